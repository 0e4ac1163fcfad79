//! The use cases' errors. Every error has a kind (what went wrong, which the REST API maps to an
//! HTTP status), a stable machine code and a message in Spanish and English. No HTTP here: the
//! listeners render them (`iop-api` as `{"codigo", "mensaje", "campo"?, "detalle"?}`).

use iop_domain::{Invalid, Refusal};
use iop_store::StoreError;

/// What went wrong, as a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Malformed input (syntax, a bad identifier in a path).
    BadRequest,
    /// No valid session.
    Unauthenticated,
    /// The actor may not do this (role, unit, assignment, four-eyes).
    Forbidden,
    NotFound,
    /// In conflict with the current state.
    Conflict,
    /// Was here and is not any more (a delivery already retrieved or expired).
    Gone,
    TooLarge,
    UnsupportedMediaType,
    /// Well-formed input that breaks a rule.
    Invalid,
    TooManyRequests,
    /// A dependency is missing for now (the gateway, system randomness).
    Unavailable,
    Internal,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::BadRequest,
        Kind::Unauthenticated,
        Kind::Forbidden,
        Kind::NotFound,
        Kind::Conflict,
        Kind::Gone,
        Kind::TooLarge,
        Kind::UnsupportedMediaType,
        Kind::Invalid,
        Kind::TooManyRequests,
        Kind::Unavailable,
        Kind::Internal,
    ];

    /// The kind an HTTP status carries (`Internal` for any other).
    pub fn from_http_status(status: u16) -> Kind {
        Kind::ALL.into_iter().find(|k| k.http_status() == status).unwrap_or(Kind::Internal)
    }

    /// The HTTP status that carries this kind.
    pub fn http_status(self) -> u16 {
        match self {
            Kind::BadRequest => 400,
            Kind::Unauthenticated => 401,
            Kind::Forbidden => 403,
            Kind::NotFound => 404,
            Kind::Conflict => 409,
            Kind::Gone => 410,
            Kind::TooLarge => 413,
            Kind::UnsupportedMediaType => 415,
            Kind::Invalid => 422,
            Kind::TooManyRequests => 429,
            Kind::Unavailable => 503,
            Kind::Internal => 500,
        }
    }
}

/// An error of a use case. Boxed, so that `Result<T, AppError>` stays small.
#[derive(Debug, Clone)]
pub struct AppError(Box<AppErrorData>);

#[derive(Debug, Clone)]
pub struct AppErrorData {
    pub kind: Kind,
    pub code: &'static str,
    pub es: String,
    pub en: String,
    pub field: Option<String>,
    pub detail: Option<String>,
    /// Seconds after which a retry may succeed (throttling).
    pub retry_after: Option<u64>,
}

pub type AppResult<T> = Result<T, AppError>;

impl std::ops::Deref for AppError {
    type Target = AppErrorData;
    fn deref(&self) -> &AppErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for AppError {
    fn deref_mut(&mut self) -> &mut AppErrorData {
        &mut self.0
    }
}

impl AppError {
    pub fn new(kind: Kind, code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self(Box::new(AppErrorData {
            kind,
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
        Self::new(Kind::Invalid, i.code, format!("{field}: {}", i.es), format!("{field}: {}", i.en)).field(field)
    }
    pub fn unprocessable(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, code, es, en)
    }
    pub fn bad_request(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(Kind::BadRequest, code, es, en)
    }
    pub fn unauthenticated() -> Self {
        Self::new(
            Kind::Unauthenticated,
            "no_autenticado",
            "inicie sesión: falta el token de acceso o ya no es válido",
            "log in: the access token is missing or no longer valid",
        )
    }
    pub fn forbidden(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(Kind::Forbidden, code, es, en)
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
            Kind::NotFound,
            "no_encontrado",
            format!("no existe {what_es}"),
            format!("{what_en} not found"),
        )
    }
    pub fn conflict(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, code, es, en)
    }
    pub fn internal() -> Self {
        Self::new(
            Kind::Internal,
            "error_interno",
            "error interno del servidor; el incidente quedó registrado",
            "internal server error; the incident was logged",
        )
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.es, self.code)
    }
}

impl std::error::Error for AppError {}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        let (kind, i) = match r {
            Refusal::Forbidden(i) => (Kind::Forbidden, i),
            Refusal::Conflict(i) => (Kind::Conflict, i),
            Refusal::Invalid(i) => (Kind::Invalid, i),
        };
        AppError::new(kind, i.code, i.es, i.en)
    }
}

impl From<crate::secrets::SealError> for AppError {
    fn from(_: crate::secrets::SealError) -> Self {
        AppError::new(
            Kind::Unavailable,
            "cifrado_no_disponible",
            "no se pudo cifrar el secreto (sin aleatoriedad del sistema); no se guardó nada",
            "the secret could not be encrypted (no system randomness); nothing was stored",
        )
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::unprocessable(
                "referencia_inexistente",
                format!("una referencia no existe ({what})"),
                format!("a referenced record does not exist ({what})"),
            ),
            StoreError::Conflict(what) => AppError::conflict(
                "duplicado",
                format!("ya existe un registro con esos datos ({what})"),
                format!("a record with those values already exists ({what})"),
            ),
            StoreError::BasePathTaken { path, holder } => AppError::conflict(
                "ruta_base_ocupada",
                format!("ruta_base: «{path}» coincide con la ruta base del servicio {holder}, o la contiene, o está contenida en ella"),
                format!("ruta_base: '{path}' equals, contains or is contained in the base path of service {holder}"),
            )
            .field("ruta_base"),
            StoreError::Stale => AppError::conflict(
                "conflicto_concurrente",
                "la solicitud cambió mientras se procesaba esta acción; vuelva a cargarla e intente de nuevo",
                "the request changed while this action was processed; reload it and try again",
            ),
            StoreError::Backend(msg) => {
                tracing::error!(error = %msg, "error del almacén");
                AppError::internal()
            }
        }
    }
}

/// Parses an identifier that came in a path (a request's, a service's…) with the domain's parser:
/// a malformed one is a bad request naming `id`.
pub fn path_id<T>(raw: &str, parse: fn(&str) -> Result<T, Invalid>) -> AppResult<T> {
    parse(raw).map_err(|i| AppError::bad_request(i.code, i.es, i.en).field("id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_status() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_http_status(k.http_status()), k);
        }
    }
}
