//! Errors as responses. Every use-case error ([`iop_app::error::AppError`]) has a kind, a stable
//! machine code and a message in Spanish and English; here it becomes an HTTP status and the body
//! `{"codigo", "mensaje", "campo"?, "detalle"?}`, in the language the language middleware picks
//! from `Accept-Language` (Spanish unless English is preferred).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use iop_app::error::{AppError, Kind};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer: a use-case error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError(pub AppError);

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `estado_incompatible`.
    pub codigo: String,
    /// Human message (Spanish by default, English if `Accept-Language` prefers it).
    pub mensaje: String,
    /// The input field at fault, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campo: Option<String>,
    /// Technical detail (e.g. the JSON parser's message), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detalle: Option<String>,
    /// A finer code under `codigo`, when there is one (a description's refusal: `clave-repetida`,
    /// `ref-ciclica`, `archivo-ruta-insegura`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motivo: Option<String>,
    /// Where in the input the fault is: a JSON pointer (`#/paths/~1a/get`), `archivo#/puntero`
    /// or `archivo:línea:columna`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ubicacion: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<iop_store::StoreError> for ApiError {
    fn from(e: iop_store::StoreError) -> Self {
        ApiError(e.into())
    }
}

impl From<iop_domain::Refusal> for ApiError {
    fn from(e: iop_domain::Refusal) -> Self {
        ApiError(e.into())
    }
}

impl From<iop_app::secrets::SealError> for ApiError {
    fn from(e: iop_app::secrets::SealError) -> Self {
        ApiError(e.into())
    }
}

impl std::ops::Deref for ApiError {
    type Target = AppError;
    fn deref(&self) -> &AppError {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut AppError {
        &mut self.0
    }
}

/// The status that carries a kind.
pub fn status(kind: Kind) -> StatusCode {
    StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ApiError {
    /// The error whose text is `key` in the error catalog (see [`AppError::of`]).
    pub fn of(key: &'static str, args: &[(&str, iop_i18n::Arg)]) -> Self {
        ApiError(AppError::of(key, args))
    }
    pub fn status(&self) -> StatusCode {
        status(self.0.kind)
    }
    pub fn field(self, f: impl Into<String>) -> Self {
        ApiError(self.0.field(f))
    }
    pub fn detail(self, d: impl Into<String>) -> Self {
        ApiError(self.0.detail(d))
    }
    pub fn invalid(field: &str, i: iop_domain::Invalid) -> Self {
        ApiError(AppError::invalid(field, i))
    }
    pub fn unauthenticated() -> Self {
        ApiError(AppError::unauthenticated())
    }
    pub fn admin_only() -> Self {
        ApiError(AppError::admin_only())
    }
    pub fn internal() -> Self {
        ApiError(AppError::internal())
    }
}

/// Marker left in the response so the language middleware can render the body.
#[derive(Clone)]
struct PendingError(ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = render(&self, false);
        res.extensions_mut().insert(PendingError(self));
        res
    }
}

fn render(e: &ApiError, english: bool) -> Response {
    let body = ErrorBody {
        codigo: e.code.to_owned(),
        mensaje: if english { e.en.clone() } else { e.es.clone() },
        campo: e.field.clone(),
        detalle: e.detail.clone(),
        motivo: e.reason.map(str::to_owned),
        ubicacion: e.location.clone(),
    };
    let mut res = (e.status(), axum::Json(body)).into_response();
    let h = res.headers_mut();
    if english {
        h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("en"));
    } else {
        h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("es"));
    }
    if let Some(v) = e.retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        h.insert(header::RETRY_AFTER, v);
    }
    if e.status() == StatusCode::UNAUTHORIZED {
        h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"iop\""));
    }
    res
}

/// Whether the client prefers English over Spanish (see [`iop_i18n::Lang::from_accept_language`]).
pub fn prefers_english(headers: &HeaderMap) -> bool {
    let v = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    iop_i18n::Lang::from_accept_language(v) == iop_i18n::Lang::En
}

/// Renders pending errors in the client's language.
pub async fn language(req: Request, next: Next) -> Response {
    let english = prefers_english(req.headers());
    let mut res = next.run(req).await;
    if english && let Some(PendingError(e)) = res.extensions_mut().remove::<PendingError>() {
        return render(&e, true);
    }
    res
}

/// Any route not found under the API answers in JSON.
pub async fn not_found_route() -> ApiError {
    ApiError::of("ruta_inexistente", &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
        );
        m
    }

    #[test]
    fn language_negotiation() {
        assert!(!prefers_english(&HeaderMap::new()));
        assert!(prefers_english(&h("en-US,en;q=0.9")));
        assert!(!prefers_english(&h("es-BO,es;q=0.9,en;q=0.8")));
        assert!(prefers_english(&h("fr, en;q=0.8, es;q=0.5")));
        assert!(!prefers_english(&h("de")));
    }
}
