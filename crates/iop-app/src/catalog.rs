//! The catalog's entries as use cases, apart from HTTP: the consuming systems and the services of
//! publishing entities the Administrador registers outside a PR05 request.

use crate::AppState;
use crate::dto::{DeprecationIn, ServiceIn, SystemIn};
use crate::error::{AppError, AppResult};
use crate::service::require_admin;
use iop_domain::*;
use iop_store::*;

fn field<T>(name: &str, r: Result<T, Invalid>) -> AppResult<T> {
    r.map_err(|i| AppError::invalid(name, i))
}

/// The entity an entry belongs to (422 naming `entidad_id` if there is none).
async fn entity(st: &AppState, raw: &str) -> AppResult<EntityRec> {
    let id = field("entidad_id", EntityId::parse(raw))?;
    st.store
        .get_entity(id)
        .await?
        .ok_or_else(|| AppError::of("referencia_inexistente.entidad", &[]).field("entidad_id"))
}

fn description(d: Option<&str>) -> AppResult<Option<Text>> {
    d.map(|d| field("descripcion", Text::parse_max(d, 4000))).transpose()
}

/// Marks a published service version deprecated (Administrador or ADAS): from `desde` (a day in
/// La Paz) its answers carry `Deprecation`, and with `retiro` (a later day) `Sunset`. Marking it
/// again replaces the dates.
pub async fn deprecate_service(st: &AppState, actor: &UserRec, raw: &str, i: &DeprecationIn) -> AppResult<ServiceRec> {
    if ![Role::Administrador, Role::ResponsableAdas, Role::LiderAdas]
        .iter()
        .any(|r| actor.roles.has(*r))
    {
        return Err(AppError::of("rol_requerido.adas", &[]));
    }
    let id = crate::error::path_id(raw, ServiceId::parse)?;
    let service = st
        .store
        .get_service(id)
        .await?
        .ok_or_else(|| AppError::of("no_encontrado.servicio", &[]))?;
    if service.state != ServiceState::Publicado {
        return Err(AppError::of("servicio_no_publicado.obsolescencia", &[]));
    }
    let day = |name: &str, v: &str| {
        calendar::parse_date(v)
            .map(|d| d.midnight().assume_offset(calendar::LA_PAZ))
            .ok_or_else(|| AppError::of("fecha_invalida", iop_i18n::args![campo = &name]).field(name))
    };
    let from = day("desde", &i.desde)?;
    let sunset = i.retiro.as_deref().map(|r| day("retiro", r)).transpose()?;
    if sunset.is_some_and(|s| s <= from) {
        return Err(AppError::of("vigencia_invalida.retiro", &[]).field("retiro"));
    }
    let notices = crate::notices::for_deprecation(st, &service, from, sunset).await?;
    let out = st
        .store
        .deprecate_service(id, from, sunset, &notices, &AuditBy::user(actor), st.now())
        .await?;
    st.gateway_applied().await;
    Ok(out)
}

/// Registers a consuming entity's system (Administrador).
pub async fn create_system(st: &AppState, actor: &UserRec, i: SystemIn) -> AppResult<SystemRec> {
    require_admin(actor)?;
    let entity = entity(st, &i.entidad_id).await?;
    if !entity.kind.consumes() {
        return Err(AppError::of("entidad_no_consumidora", &[]).field("entidad_id"));
    }
    let s = SystemRec {
        id: SystemId::generate(),
        entity: entity.id,
        code: field("codigo", Code::parse(&i.codigo))?,
        nombre: field("nombre", Name::parse(&i.nombre))?,
        descripcion: description(i.descripcion.as_deref())?,
        created_at: st.now(),
    };
    st.store.create_system(&s, &AuditBy::user(actor)).await?;
    Ok(s)
}

/// Registers a publishing entity's service in the catalog, not yet published (Administrador).
pub async fn create_service(st: &AppState, actor: &UserRec, i: ServiceIn) -> AppResult<ServiceRec> {
    require_admin(actor)?;
    let entity = entity(st, &i.entidad_id).await?;
    if !entity.kind.publishes() {
        return Err(AppError::of("entidad_no_publicadora.entidad", &[]).field("entidad_id"));
    }
    let s = ServiceRec {
        id: ServiceId::generate(),
        entity: entity.id,
        code: field("codigo", Code::parse(&i.codigo))?,
        version: field("version", ServiceVersion::new(i.version))?,
        nombre: field("nombre", Name::parse(&i.nombre))?,
        descripcion: description(i.descripcion.as_deref())?,
        state: ServiceState::Registrado,
        request: None,
        created_at: st.now(),
        deprecated_at: None,
        sunset_at: None,
    };
    st.store.create_service(&s, &AuditBy::user(actor)).await?;
    Ok(s)
}
