//! Step 4 of a publication over HTTP: stage each service's connector and description, probe the
//! connector. The use cases are in `iop_app::publication`.

use super::gateway::{connector_out, operation_out, report_out};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth, ClientLang, DescriptionBody};
use axum::Json;
use axum::extract::{Path, State};
use iop_app::AppState;
use iop_app::dto::*;
use iop_app::publication;
use iop_app::service::rfc3339;
use iop_store::StageRec;

fn stage_out(s: &StageRec, lang: iop_i18n::Lang) -> StageOut {
    StageOut {
        descripcion_formato: s.description_format.clone(),
        informe: report_out(
            &iop_app::openapi_import::report::from_json(s.description_report.as_deref().unwrap_or("[]")),
            lang,
        ),
        codigo: s.code.as_str().to_owned(),
        version: s.version.get(),
        servicio_id: s.service.to_string(),
        conector: s.connector.as_ref().map(connector_out),
        descripcion_sha256: s.description_sha256.clone(),
        operaciones: s.operations.iter().map(operation_out).collect(),
        prueba: s.probe.as_ref().map(|p| StagedProbeOut {
            ok: p.ok,
            fecha: rfc3339(p.at),
            resultados: serde_json::from_str(&p.detail).unwrap_or_default(),
        }),
        aplicada: s.applied_at.map(rfc3339),
    }
}

/// What step 4 has prepared for each service the publication request describes.
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}/publicacion", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, body = Vec<StageOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_staged(
    State(st): State<AppState>,
    Auth(u): Auth,
    ClientLang(lang): ClientLang,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<StageOut>>> {
    Ok(Json(
        publication::list(&st, &u, &id).await?.iter().map(|s| stage_out(s, lang)).collect(),
    ))
}

/// Step 4 (publication): stages the connector of one service to publish (the assigned Líder de
/// equipo de ADAS). `habilitar` commits it; a change clears the last probe.
#[utoipa::path(put, path = "/api/v1/solicitudes/{id}/publicacion/{codigo}/{version}/conector", tag = "solicitudes", security(("token" = [])),
    request_body = ConnectorIn,
    params(("id" = String, Path, description = "UUID or tracking code"), ("codigo" = String, Path, description = "service code"), ("version" = String, Path, description = "service version")),
    responses((status = 200, body = StageOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stage_connector(
    State(st): State<AppState>,
    Auth(u): Auth,
    ClientLang(lang): ClientLang,
    Path((id, code, version)): Path<(String, String, String)>,
    ApiJson(i): ApiJson<ConnectorIn>,
) -> ApiResult<Json<StageOut>> {
    Ok(Json(stage_out(
        &publication::stage_connector(&st, &u, &id, &code, &version, i).await?,
        lang,
    )))
}

/// Step 4 (publication): stages the description of one service to publish (as
/// `PUT /servicios/{id}/descripcion` reads it: OpenAPI 3.0, 3.1, Swagger 2.0, one document or an
/// archive), compared with the staged connector's origins; the answer carries the import report.
#[utoipa::path(put, path = "/api/v1/solicitudes/{id}/publicacion/{codigo}/{version}/descripcion", tag = "solicitudes", security(("token" = [])),
    request_body = DescriptionIn,
    params(("id" = String, Path, description = "UUID or tracking code"), ("codigo" = String, Path, description = "service code"), ("version" = String, Path, description = "service version")),
    responses((status = 200, body = StageOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stage_description(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path((id, code, version)): Path<(String, String, String)>,
    ClientLang(lang): ClientLang,
    DescriptionBody(body): DescriptionBody,
) -> ApiResult<Json<StageOut>> {
    let source = iop_app::connectors::DescriptionSource::Json(body);
    Ok(Json(stage_out(
        &publication::stage_description(&st, &u, &id, &code, &version, source).await?,
        lang,
    )))
}

/// Step 4 (publication): probes the staged connector now, as the gateway will speak to the
/// origin, and stores the result with it.
#[utoipa::path(post, path = "/api/v1/solicitudes/{id}/publicacion/{codigo}/{version}/probar", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code"), ("codigo" = String, Path, description = "service code"), ("version" = String, Path, description = "service version")),
    responses((status = 200, body = StageOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn probe_staged(
    State(st): State<AppState>,
    Auth(u): Auth,
    ClientLang(lang): ClientLang,
    Path((id, code, version)): Path<(String, String, String)>,
) -> ApiResult<Json<StageOut>> {
    Ok(Json(stage_out(&publication::probe(&st, &u, &id, &code, &version).await?, lang)))
}
