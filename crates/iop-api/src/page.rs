//! Pages of the catalog's lists (units, users, entities, systems, services, credentials): the same
//! envelope and cursor contract as the request list and the bandeja. These tables are small and
//! read in one statement; the page is cut here, after the item the cursor names.

use crate::error::{ApiError, ApiResult};
use serde::Serialize;
use utoipa::ToSchema;

/// One page of a list: `resultados`, and `siguiente` to ask for the next (absent on the last).
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub resultados: Vec<T>,
    /// Cursor of the next page (`cursor=`); absent on the last page.
    pub siguiente: Option<String>,
}

/// Cuts the page after `cursor` (an item's id) with at most `limite` items (1 to 200, default 50).
pub fn paginate<T>(items: Vec<T>, id: impl Fn(&T) -> String, limite: Option<i64>, cursor: Option<&str>) -> ApiResult<Paged<T>> {
    let limit = iop_app::service::page_limit(limite)? as usize;
    let start = match cursor.filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => items
            .iter()
            .position(|x| id(x) == c)
            .map(|p| p + 1)
            .ok_or_else(|| ApiError::of("cursor_invalido.pagina", &[]).field("cursor"))?,
    };
    let more = items.len() > start + limit;
    let resultados: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let siguiente = if more { resultados.last().map(&id) } else { None };
    Ok(Paged { resultados, siguiente })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_the_list_once() {
        let items: Vec<u32> = (0..7).collect();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let p = paginate(items.clone(), |x| x.to_string(), Some(3), cursor.as_deref()).unwrap_or_else(|e| panic!("{e:?}"));
            seen.extend(p.resultados);
            match p.siguiente {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, items);
        assert_eq!(
            paginate(items, |x| x.to_string(), None, Some("99")).err().map(|e| e.code),
            Some("cursor_invalido")
        );
    }
}
