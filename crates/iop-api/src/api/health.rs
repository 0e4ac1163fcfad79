use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::State;
use iop_app::AppState;
use iop_app::dto::Health;

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "salud", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { estado: "vivo".into() })
}

/// Ready: the store answers and its migrations are applied.
#[utoipa::path(get, path = "/readyz", tag = "salud", responses((status = 200, body = Health), (status = 503, body = crate::error::ErrorBody)))]
pub async fn readyz(State(st): State<AppState>) -> ApiResult<Json<Health>> {
    match st.store.ready().await {
        Ok(()) => Ok(Json(Health { estado: "listo".into() })),
        Err(e) => {
            tracing::warn!(error = %e, "almacén no disponible");
            Err(ApiError::of("no_listo", &[]))
        }
    }
}
