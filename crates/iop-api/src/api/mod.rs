//! Routes of the REST API. Every route is registered through `routes!`, which takes its OpenAPI
//! entry from the handler's `#[utoipa::path]`, so a route without an entry cannot be added here;
//! a test scans this folder for plain axum routing that would bypass it.

mod accesses;
mod audit;
mod auth;
pub(crate) mod catalog;
pub mod codes;
mod gateway;
mod health;
mod publication;
mod report;
pub(crate) mod requests;
mod users;

use iop_app::AppState;
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
    tags(
        (name = "salud", description = "Estado del servicio"),
        (name = "autenticacion", description = "Inicio y cierre de sesión"),
        (name = "administracion", description = "Unidades y usuarios"),
        (name = "catalogo", description = "Entidades, sistemas y servicios"),
        (name = "solicitudes", description = "El procedimiento PR05: solicitudes, transiciones, historial y bandeja"),
        (name = "pasarela", description = "Conectores, descripciones y credenciales de la pasarela"),
        (name = "auditoria", description = "Registro de auditoría encadenado: llamadas, procedimiento y administración; cadena legal de cada llamada"),
    )
)]
pub struct ApiDoc;

/// What a status means, for responses whose handler gave no description.
fn status_description(code: &str) -> &'static str {
    match code {
        "200" => "Correcto",
        "201" => "Creado",
        "204" => "Sin contenido",
        "400" => "Petición mal formada",
        "401" => "Falta el token de acceso o ya no es válido",
        "403" => "Sin permiso para esta operación (rol, unidad, asignación o cuatro ojos)",
        "404" => "No existe",
        "409" => "En conflicto con el estado actual (estado de la solicitud, duplicado, cambio concurrente)",
        "410" => "Ya no está disponible",
        "413" => "Cuerpo demasiado grande",
        "415" => "Tipo de contenido no admitido",
        "422" => "Datos no válidos",
        "429" => "Demasiadas peticiones",
        "503" => "No disponible por ahora",
        _ => "Respuesta",
    }
}

/// What every operation shares: the bearer scheme, and the error answers any `/api/v1` route can
/// give (malformed body 400, missing token 401, too large 413, wrong content type 415, invalid
/// input 422, too many requests 429, server error 500), all with the same `ErrorBody`.
pub struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("iop_s_…").build()),
        );
        let error = |desc: &str| {
            ResponseBuilder::new()
                .description(desc)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build()
        };
        let common = [
            ("400", "Petición mal formada (JSON no válido, identificador en la ruta no válido)"),
            ("401", "Falta el token de acceso o ya no es válido"),
            ("413", "Cuerpo demasiado grande"),
            ("415", "Tipo de contenido no admitido"),
            (
                "422",
                "Datos no válidos (campo desconocido, faltante, de otro tipo o fuera de las reglas)",
            ),
            ("429", "Demasiadas peticiones"),
            ("500", "Error interno"),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            // OpenAPI requires a description on every response: the status's meaning, where the
            // handler gave none.
            let under_api = path.starts_with("/api/v1/");
            let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for op in ops.into_iter().flatten() {
                // The error codes it can answer with (the harness holds the suite to them).
                let id = op.operation_id.clone().unwrap_or_default();
                let codes = codes::declared(&id, under_api).unwrap_or_else(|| panic!("operation {id} is missing from api/codes.rs"));
                op.extensions.get_or_insert_with(Default::default).merge(
                    utoipa::openapi::extensions::ExtensionsBuilder::new()
                        .add("x-codigos-error", codes)
                        .build(),
                );
                for (code, r) in op.responses.responses.iter_mut() {
                    if let utoipa::openapi::RefOr::T(r) = r
                        && r.description.is_empty()
                    {
                        r.description = status_description(code).to_owned();
                    }
                }
            }
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let has_id = path.contains('{');
            let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for op in ops.into_iter().flatten() {
                for (code, desc) in common {
                    op.responses.responses.entry(code.to_owned()).or_insert_with(|| error(desc).into());
                }
                if has_id {
                    op.responses
                        .responses
                        .entry("404".to_owned())
                        .or_insert_with(|| error("No existe").into());
                }
            }
        }
    }
}

/// The API's router and its complete OpenAPI document.
pub fn routes_and_doc() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = routes().split_for_parts();
    // Applied after the routes are collected, so it sees every operation.
    Conventions.modify(&mut doc);
    (router, doc)
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::my_notices, auth::set_my_notices))
        .routes(routes!(auth::notice_log))
        .routes(routes!(users::list_units, users::create_unit))
        .routes(routes!(users::set_unit_head))
        .routes(routes!(users::list_suplencias, users::create_suplencia))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::patch_user))
        .routes(routes!(users::reset_password))
        .routes(routes!(catalog::list_entities, catalog::create_entity))
        .routes(routes!(catalog::list_systems, catalog::create_system))
        .routes(routes!(catalog::list_services, catalog::create_service))
        .routes(routes!(catalog::deprecate_service))
        .routes(routes!(requests::list_requests, requests::create_request))
        .routes(routes!(requests::get_request, requests::update_request))
        .routes(routes!(requests::upload_document, requests::download_document))
        .routes(routes!(requests::download_note))
        .routes(routes!(requests::download_routing_slip))
        .routes(routes!(requests::file_signed_note, requests::download_signed_note))
        .routes(routes!(requests::list_signed_notes))
        .routes(routes!(requests::cite_register))
        .routes(routes!(requests::renew_request))
        .routes(routes!(requests::grant_endings))
        .routes(routes!(report::report))
        .routes(routes!(report::report_csv))
        .routes(routes!(requests::granted_openapi))
        .routes(routes!(requests::download_access))
        .routes(routes!(requests::take_action))
        .routes(routes!(requests::register_system))
        .routes(routes!(requests::history))
        .routes(routes!(requests::inbox))
        .routes(routes!(accesses::list_deliveries))
        .routes(routes!(accesses::retrieve_accesses))
        .routes(routes!(publication::list_staged))
        .routes(routes!(publication::stage_connector))
        .routes(routes!(publication::stage_description))
        .routes(routes!(publication::probe_staged))
        .routes(routes!(gateway::get_connector, gateway::put_connector))
        .routes(routes!(gateway::connector_versions))
        .routes(routes!(gateway::get_description, gateway::put_description))
        .routes(routes!(gateway::list_operations))
        .routes(routes!(gateway::probe))
        .routes(routes!(gateway::list_credentials, gateway::create_credential))
        .routes(routes!(gateway::rotate_credential))
        .routes(routes!(gateway::revoke_credential))
        .routes(routes!(audit::search))
        .routes(routes!(audit::legal_chain))
        .routes(routes!(gateway::metrics))
}
