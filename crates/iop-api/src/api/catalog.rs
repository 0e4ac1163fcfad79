use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::page::{Paged, paginate};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use iop_app::AppState;
use iop_app::dto::*;
use iop_app::service::require_admin;
use iop_domain::*;
use iop_store::*;
use serde::Deserialize;
use utoipa::IntoParams;

fn f<T>(name: &str, r: Result<T, Invalid>) -> ApiResult<T> {
    r.map_err(|i| ApiError::invalid(name, i))
}

fn entity_out(e: &EntityRec) -> EntityOut {
    EntityOut {
        id: e.id.to_string(),
        sigla: e.sigla.to_string(),
        nombre: e.nombre.to_string(),
        tipo: e.kind.as_str().to_owned(),
    }
}

fn system_out(s: &SystemRec) -> SystemOut {
    SystemOut {
        id: s.id.to_string(),
        entidad_id: s.entity.to_string(),
        codigo: s.code.to_string(),
        nombre: s.nombre.to_string(),
        descripcion: s.descripcion.as_ref().map(|d| d.to_string()),
    }
}

pub fn service_out(s: &ServiceRec) -> ServiceOut {
    ServiceOut {
        id: s.id.to_string(),
        entidad_id: s.entity.to_string(),
        codigo: s.code.to_string(),
        version: s.version.get(),
        nombre: s.nombre.to_string(),
        descripcion: s.descripcion.as_ref().map(|d| d.to_string()),
        estado: s.state.as_str().to_owned(),
        solicitud_id: s.request.map(|r| r.to_string()),
        obsoleto_desde: s.deprecated_at.map(iop_app::service::rfc3339),
        retiro: s.sunset_at.map(iop_app::service::rfc3339),
    }
}

/// Marks a published service version deprecated (Administrador or ADAS): from `desde` its answers
/// at the gateway carry `Deprecation` (RFC 9745) and, with `retiro`, `Sunset` (RFC 8594).
#[utoipa::path(put, path = "/api/v1/servicios/{id}/obsolescencia", tag = "catalogo", security(("token" = [])),
    params(("id" = String, Path, description = "The service version's id")), request_body = DeprecationIn,
    responses((status = 200, body = ServiceOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn deprecate_service(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DeprecationIn>,
) -> ApiResult<Json<ServiceOut>> {
    let s = iop_app::catalog::deprecate_service(&st, &u, &id, &input).await?;
    Ok(Json(service_out(&s)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ByEntity {
    /// Only those of this entity.
    pub entidad_id: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limite: Option<i64>,
    /// From the previous page's `siguiente`.
    pub cursor: Option<String>,
}

/// A page of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    pub limite: Option<i64>,
    /// From the previous page's `siguiente`.
    pub cursor: Option<String>,
}

fn entity_filter(q: &ByEntity) -> ApiResult<Option<EntityId>> {
    q.entidad_id.as_deref().map(|e| f("entidad_id", EntityId::parse(e))).transpose()
}

/// Public entities (publishing and/or consuming).
#[utoipa::path(get, path = "/api/v1/entidades", tag = "catalogo", security(("token" = [])), params(PageQuery),
    responses((status = 200, body = Paged<EntityOut>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_entities(
    State(st): State<AppState>,
    Auth(_u): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<EntityOut>>> {
    let all = st.store.list_entities().await?.iter().map(entity_out).collect();
    Ok(Json(paginate(all, |e: &EntityOut| e.id.clone(), q.limite, q.cursor.as_deref())?))
}

/// Registers a public entity (Administrador).
#[utoipa::path(post, path = "/api/v1/entidades", tag = "catalogo", security(("token" = [])), request_body = EntityIn,
    responses((status = 201, body = EntityOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_entity(
    State(st): State<AppState>,
    Auth(u): Auth,
    ApiJson(i): ApiJson<EntityIn>,
) -> ApiResult<(StatusCode, Json<EntityOut>)> {
    require_admin(&u)?;
    let e = EntityRec {
        id: EntityId::generate(),
        sigla: f("sigla", Sigla::parse(&i.sigla))?,
        nombre: f("nombre", Name::parse(&i.nombre))?,
        kind: f("tipo", EntityKind::parse(&i.tipo))?,
        created_at: st.now(),
    };
    st.store.create_entity(&e, &AuditBy::user(&u)).await?;
    Ok((StatusCode::CREATED, Json(entity_out(&e))))
}

/// Systems of consuming entities (herramientas de gobierno electrónico o soluciones tecnológicas).
#[utoipa::path(get, path = "/api/v1/sistemas", tag = "catalogo", security(("token" = [])), params(ByEntity),
    responses((status = 200, body = Paged<SystemOut>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_systems(
    State(st): State<AppState>,
    Auth(_u): Auth,
    ApiQuery(q): ApiQuery<ByEntity>,
) -> ApiResult<Json<Paged<SystemOut>>> {
    let all = st.store.list_systems(entity_filter(&q)?).await?.iter().map(system_out).collect();
    Ok(Json(paginate(all, |s: &SystemOut| s.id.clone(), q.limite, q.cursor.as_deref())?))
}

/// Registers a consuming system (Administrador).
#[utoipa::path(post, path = "/api/v1/sistemas", tag = "catalogo", security(("token" = [])), request_body = SystemIn,
    responses((status = 201, body = SystemOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_system(
    State(st): State<AppState>,
    Auth(u): Auth,
    ApiJson(i): ApiJson<SystemIn>,
) -> ApiResult<(StatusCode, Json<SystemOut>)> {
    let s = iop_app::catalog::create_system(&st, &u, i).await?;
    Ok((StatusCode::CREATED, Json(system_out(&s))))
}

/// The service catalog.
#[utoipa::path(get, path = "/api/v1/servicios", tag = "catalogo", security(("token" = [])), params(ByEntity),
    responses((status = 200, body = Paged<ServiceOut>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_services(
    State(st): State<AppState>,
    Auth(_u): Auth,
    ApiQuery(q): ApiQuery<ByEntity>,
) -> ApiResult<Json<Paged<ServiceOut>>> {
    let all = st.store.list_services(entity_filter(&q)?).await?.iter().map(service_out).collect();
    Ok(Json(paginate(all, |s: &ServiceOut| s.id.clone(), q.limite, q.cursor.as_deref())?))
}

/// Adds a catalog entry of a publishing entity's service (Administrador).
#[utoipa::path(post, path = "/api/v1/servicios", tag = "catalogo", security(("token" = [])), request_body = ServiceIn,
    responses((status = 201, body = ServiceOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_service(
    State(st): State<AppState>,
    Auth(u): Auth,
    ApiJson(i): ApiJson<ServiceIn>,
) -> ApiResult<(StatusCode, Json<ServiceOut>)> {
    let s = iop_app::catalog::create_service(&st, &u, i).await?;
    Ok((StatusCode::CREATED, Json(service_out(&s))))
}
