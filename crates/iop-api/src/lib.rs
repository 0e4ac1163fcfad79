//! The REST API of the control plane: `/api/v1` (the PR05 procedure, the catalog, the gateway's
//! configuration, the audit), its generated OpenAPI 3.1 document (`/api/openapi.json`) and an
//! offline viewer (`/api/docs`).
//!
//! Handlers are thin: they authenticate, read the request into the use cases' inputs, call
//! `iop_app`, and render what comes back (errors through [`error::ApiError`], in the client's
//! language).

pub mod api;
pub mod error;
pub mod extract;
#[doc(hidden)]
pub mod fuzzing;
pub mod page;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use iop_app::AppState;
use utoipa::openapi::OpenApi;

/// The control plane's router (API, OpenAPI document, docs viewer, health) and its OpenAPI.
pub fn router(state: AppState) -> (Router, OpenApi) {
    let (api, openapi) = api::routes_and_doc();
    let limit = state.config.max_upload_bytes + 64 * 1024;
    let docs = utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi.clone());
    let router = Router::new()
        .merge(api)
        .nest("/api/v1", Router::new().fallback(error::not_found_route))
        .merge(docs)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(error::language))
        .with_state(state);
    (router, openapi)
}
