//! The data plane. This first cut is the gateway's listener and its deny-by-default posture: it
//! answers its own health checks and refuses every other path with a JSON 404 in Spanish, because
//! no service has been published to it yet (routes, credentials and grants arrive with the
//! gateway issue, compiled into an immutable snapshot). It never touches the store: readiness is a
//! flag the binary keeps current.

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared readiness flag: set by the process once the store is reachable and migrated.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn healthz() -> Response {
    json(StatusCode::OK, serde_json::json!({"estado": "vivo"}))
}

async fn not_routed(uri: Uri) -> Response {
    tracing::debug!(path = %uri.path(), "ruta no publicada");
    json(
        StatusCode::NOT_FOUND,
        serde_json::json!({
            "codigo": "ruta_inexistente",
            "mensaje": "no hay ningún servicio publicado en esa ruta",
        }),
    )
}

/// The gateway's router.
pub fn router(ready: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/readyz",
            get(move || {
                let ready = ready.clone();
                async move {
                    if ready.get() {
                        json(StatusCode::OK, serde_json::json!({"estado": "listo"}))
                    } else {
                        json(
                            StatusCode::SERVICE_UNAVAILABLE,
                            serde_json::json!({"codigo": "no_listo", "mensaje": "el almacén no está disponible"}),
                        )
                    }
                }
            }),
        )
        .fallback(not_routed)
}
