//! Step 4's accesses over HTTP: their deliveries (never a secret) and their one retrieval. The use
//! cases are in `iop_app::accesses`.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::Auth;
use axum::Json;
use axum::extract::{Path, State};
use iop_app::AppState;
use iop_app::accesses;
use iop_app::dto::*;
use iop_app::service::rfc3339;
use iop_store::DeliveryRec;

fn delivery_out(d: &DeliveryRec) -> DeliveryOut {
    let estado = if d.retrieved_at.is_some() {
        "retirada"
    } else if d.expired_at.is_some() {
        "vencida"
    } else {
        "pendiente_de_retiro"
    };
    DeliveryOut {
        id: d.id.to_string(),
        sistema_id: d.system.to_string(),
        estado: estado.into(),
        credenciales: d
            .credentials
            .iter()
            .map(|c| DeliveredCredentialOut {
                id: c.id.clone(),
                tipo: c.tipo.clone(),
                prefijo: c.prefijo.clone(),
            })
            .collect(),
        emitida: rfc3339(d.issued_at),
        vence: rfc3339(d.expires_at),
        retirada_por: d.retrieved_by_login.clone(),
        retirada: d.retrieved_at.map(rfc3339),
        vencida: d.expired_at.map(rfc3339),
    }
}

/// The deliveries of the credentials issued for a request (step 4 and rotations): whether each is
/// pending retrieval, retrieved (by whom, when) or expired. Never a secret.
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}/accesos", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, body = Vec<DeliveryOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_deliveries(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Json<Vec<DeliveryOut>>> {
    Ok(Json(accesses::list(&st, &u, &id).await?.iter().map(delivery_out).collect()))
}

/// Retrieves the pending credentials of a request with their secrets: once in total, by a
/// Solicitante of the requesting unit. Later attempts get 410 naming who retrieved them and when
/// (or when they expired); the sealed secrets are erased as they are handed over.
#[utoipa::path(post, path = "/api/v1/solicitudes/{id}/accesos/retirar", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, body = RetrievedOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn retrieve_accesses(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Json<RetrievedOut>> {
    Ok(Json(accesses::retrieve(&st, &u, &id).await?))
}
