//! The CITE register (issue 13): every number given to a Nota Interna in a year, in the order
//! given, with the request it belongs to. A number whose request was then rejected or withdrawn
//! is shown as annulled (the domain says which: [`iop_domain::State::annuls_cite`]); numbers are
//! never given twice, so the register has no gap and no repeat.

use crate::AppState;
use crate::error::{AppError, AppResult};
use iop_domain::calendar::LA_PAZ;
use iop_store::{CiteRec, UserRec};

/// The register of `year` (the current year in La Paz when none is given). For the agency's
/// staff who review requests (`rol_requerido.registro-cite` for anyone else).
pub async fn register(st: &AppState, user: &UserRec, year: Option<&str>) -> AppResult<(i32, Vec<CiteRec>)> {
    if !user.actor().reviews() {
        return Err(AppError::of("rol_requerido.registro-cite", &[]));
    }
    let year = match year.map(str::trim).filter(|y| !y.is_empty()) {
        None => st.now().to_offset(LA_PAZ).year(),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=9998).contains(y))
            .ok_or_else(|| AppError::of("gestion_invalida", &[]).field("gestion"))?,
    };
    Ok((year, st.store.cite_register(year).await?))
}
