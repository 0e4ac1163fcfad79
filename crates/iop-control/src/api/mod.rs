//! Routes of the REST API. Every route is registered through `routes!`, which takes its OpenAPI
//! entry from the handler's `#[utoipa::path]`, so a route without an entry cannot be added here;
//! a test scans this folder for plain axum routing that would bypass it.

mod auth;
mod catalog;
mod health;
mod requests;
mod users;

use crate::AppState;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "iop — Plataforma de Interoperabilidad",
        description = "API del procedimiento PR05 (Consumo y/o Publicación de Servicios de Interoperabilidad). \
Errores: JSON `{codigo, mensaje, campo?, detalle?}`; mensajes en español, o en inglés con `Accept-Language: en`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "salud", description = "Estado del servicio"),
        (name = "autenticacion", description = "Inicio y cierre de sesión"),
        (name = "administracion", description = "Unidades y usuarios"),
        (name = "catalogo", description = "Entidades, sistemas y servicios"),
        (name = "solicitudes", description = "El procedimiento PR05: solicitudes, transiciones, historial y bandeja"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("iop_s_…")
                    .build(),
            ),
        );
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(users::list_units, users::create_unit))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::patch_user))
        .routes(routes!(users::reset_password))
        .routes(routes!(catalog::list_entities, catalog::create_entity))
        .routes(routes!(catalog::list_systems, catalog::create_system))
        .routes(routes!(catalog::list_services, catalog::create_service))
        .routes(routes!(requests::list_requests, requests::create_request))
        .routes(routes!(requests::get_request, requests::update_request))
        .routes(routes!(
            requests::upload_document,
            requests::download_document
        ))
        .routes(routes!(requests::take_action))
        .routes(routes!(requests::history))
        .routes(routes!(requests::inbox))
}
