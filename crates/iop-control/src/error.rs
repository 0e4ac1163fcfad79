//! Errors as responses. Every error has an HTTP status, a stable machine code and a message in
//! Spanish and English; the language middleware picks one from `Accept-Language` (Spanish unless
//! English is preferred). The body is `{"codigo", "mensaje", "campo"?, "detalle"?}`.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use iop_domain::{Invalid, Refusal};
use iop_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer. Boxed, so that `Result<T, ApiError>` stays small.
#[derive(Debug, Clone)]
pub struct ApiError(Box<ApiErrorData>);

#[derive(Debug, Clone)]
pub struct ApiErrorData {
    pub status: StatusCode,
    pub code: &'static str,
    pub es: String,
    pub en: String,
    pub field: Option<String>,
    pub detail: Option<String>,
    pub retry_after: Option<u64>,
}

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
}

pub type ApiResult<T> = Result<T, ApiError>;

impl std::ops::Deref for ApiError {
    type Target = ApiErrorData;
    fn deref(&self) -> &ApiErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorData {
        &mut self.0
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self(Box::new(ApiErrorData {
            status,
            code,
            es: es.into(),
            en: en.into(),
            field: None,
            detail: None,
            retry_after: None,
        }))
    }
    pub fn field(mut self, f: impl Into<String>) -> Self {
        self.field = Some(f.into());
        self
    }
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
    pub fn invalid(field: &str, i: Invalid) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            i.code,
            format!("{field}: {}", i.es),
            format!("{field}: {}", i.en),
        )
        .field(field)
    }
    pub fn unprocessable(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, es, en)
    }
    pub fn bad_request(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, es, en)
    }
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "no_autenticado",
            "inicie sesión: falta el token de acceso o ya no es válido",
            "log in: the access token is missing or no longer valid",
        )
    }
    pub fn forbidden(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, es, en)
    }
    pub fn admin_only() -> Self {
        Self::forbidden(
            "rol_requerido",
            "esta operación corresponde al Administrador",
            "this operation requires the administrator role",
        )
    }
    pub fn not_found(what_es: &str, what_en: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "no_encontrado",
            format!("no existe {what_es}"),
            format!("{what_en} not found"),
        )
    }
    pub fn conflict(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, es, en)
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "error_interno",
            "error interno del servidor; el incidente quedó registrado",
            "internal server error; the incident was logged",
        )
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let (status, i) = match r {
            Refusal::Forbidden(i) => (StatusCode::FORBIDDEN, i),
            Refusal::Conflict(i) => (StatusCode::CONFLICT, i),
            Refusal::Invalid(i) => (StatusCode::UNPROCESSABLE_ENTITY, i),
        };
        ApiError::new(status, i.code, i.es, i.en)
    }
}

impl From<crate::secrets::SealError> for ApiError {
    fn from(_: crate::secrets::SealError) -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "cifrado_no_disponible",
            "no se pudo cifrar el secreto (sin aleatoriedad del sistema); no se guardó nada",
            "the secret could not be encrypted (no system randomness); nothing was stored",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::unprocessable(
                "referencia_inexistente",
                format!("una referencia no existe ({what})"),
                format!("a referenced record does not exist ({what})"),
            ),
            StoreError::Conflict(what) => ApiError::conflict(
                "duplicado",
                format!("ya existe un registro con esos datos ({what})"),
                format!("a record with those values already exists ({what})"),
            ),
            StoreError::BasePathTaken { path, holder } => ApiError::conflict(
                "ruta_base_ocupada",
                format!("ruta_base: «{path}» coincide con la ruta base del servicio {holder}, o la contiene, o está contenida en ella"),
                format!("ruta_base: '{path}' equals, contains or is contained in the base path of service {holder}"),
            )
            .field("ruta_base"),
            StoreError::Stale => ApiError::conflict(
                "conflicto_concurrente",
                "la solicitud cambió mientras se procesaba esta acción; vuelva a cargarla e intente de nuevo",
                "the request changed while this action was processed; reload it and try again",
            ),
            StoreError::Backend(msg) => {
                tracing::error!(error = %msg, "error del almacén");
                ApiError::internal()
            }
        }
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
    };
    let mut res = (e.status, axum::Json(body)).into_response();
    let h = res.headers_mut();
    if english {
        h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("en"));
    } else {
        h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("es"));
    }
    if let Some(v) = e.retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        h.insert(header::RETRY_AFTER, v);
    }
    if e.status == StatusCode::UNAUTHORIZED {
        h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"iop\""));
    }
    res
}

/// Whether the client prefers English over Spanish (highest q wins; ties go to the first listed;
/// Spanish is the default).
pub fn prefers_english(headers: &HeaderMap) -> bool {
    let Some(v) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut best: Option<(f32, bool)> = None;
    for part in v.split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
            .unwrap_or(1.0);
        let lang = tag.split('-').next().unwrap_or("");
        let english = match lang {
            "en" => true,
            "es" => false,
            _ => continue,
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, english));
        }
    }
    best.is_some_and(|(_, en)| en)
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
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ruta_inexistente",
        "no existe esa ruta en la API; vea /api/docs",
        "no such API route; see /api/docs",
    )
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
