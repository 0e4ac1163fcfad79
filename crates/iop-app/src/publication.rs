//! PR05 step 4 of a publication as use cases, apart from HTTP: while the request is assigned, the
//! Líder de equipo de ADAS stages each service to publish (its connector and its description) and
//! runs the connection probe; `habilitar` commits what was staged together with the state change
//! (see `service::transition_issuing`), and step 5 waits for a successful probe of every
//! published service's connector in force.

use crate::AppState;
use crate::connectors;
use crate::dto::ConnectorIn;
use crate::error::{AppError, AppResult};
use crate::service::load_visible;
use iop_domain::*;
use iop_store::*;

/// One service of a publication request, as named in its path.
struct Target {
    request: RequestRec,
    code: Code,
    version: ServiceVersion,
    sigla: String,
    service: ServiceId,
    /// What is staged for it so far.
    stage: Option<StageRec>,
}

async fn target(st: &AppState, actor: &UserRec, raw: &str, code: &str, version: &str) -> AppResult<Target> {
    let request = load_visible(st, actor, raw).await?;
    may_prepare_enablement(&request.facts, &actor.actor())?;
    let c = &request.content;
    let Some(publisher) = c.publisher.filter(|_| c.kind.publishes()) else {
        return Err(AppError::of("no_es_publicacion", &[]));
    };
    let code = Code::parse(code).map_err(|i| AppError::invalid("codigo", i))?;
    let version = version
        .trim()
        .trim_start_matches('v')
        .parse::<i64>()
        .ok()
        .and_then(|v| ServiceVersion::new(v).ok())
        .ok_or_else(|| AppError::of("version_invalida.ruta", &[]).field("version"))?;
    if !c.publications.iter().any(|p| p.code == code && p.version == version) {
        return Err(AppError::of(
            "no_encontrado.servicio-de-solicitud",
            iop_i18n::args![codigo = &code, version = &version.get()],
        ));
    }
    let entity = st.store.get_entity(publisher).await?.ok_or_else(AppError::internal)?;
    let stage = st
        .store
        .stages(request.id)
        .await?
        .into_iter()
        .find(|s| s.code == code && s.version == version);
    let service = match &stage {
        Some(s) => s.service,
        None => {
            let existing = st
                .store
                .list_services(Some(publisher))
                .await?
                .into_iter()
                .find(|s| s.code == code && s.version == version);
            match existing {
                None => ServiceId::generate(),
                Some(s) if s.state == ServiceState::Registrado || s.request == Some(request.id) => s.id,
                Some(_) => {
                    return Err(AppError::of(
                        "servicio_ya_publicado",
                        iop_i18n::args![codigo = &code.as_str(), version = &version.get()],
                    ));
                }
            }
        }
    };
    Ok(Target {
        request,
        code,
        version,
        sigla: entity.sigla.as_str().to_owned(),
        service,
        stage,
    })
}

/// What is staged for a request's services (anyone who sees the request).
pub async fn list(st: &AppState, actor: &UserRec, raw: &str) -> AppResult<Vec<StageRec>> {
    let request = load_visible(st, actor, raw).await?;
    stages_of(st, &request).await
}

/// What is staged for the services of a request already loaded (and seen) by its caller.
pub async fn stages_of(st: &AppState, request: &RequestRec) -> AppResult<Vec<StageRec>> {
    Ok(st.store.stages(request.id).await?)
}

/// Stages a service's connector (replacing an earlier one and its probe).
pub async fn stage_connector(
    st: &AppState,
    actor: &UserRec,
    raw: &str,
    code: &str,
    version: &str,
    input: ConnectorIn,
) -> AppResult<StageRec> {
    let t = target(st, actor, raw, code, version).await?;
    let base = connectors::base_path(st, t.service, input.ruta_base.as_deref(), &t.sigla, &t.code, t.version).await?;
    let rec = connectors::build(st, actor, input, t.service, base)?;
    Ok(st
        .store
        .stage_connector(t.request.id, &t.code, t.version, &rec, &AuditBy::user(actor))
        .await?)
}

/// Stages a service's description (OpenAPI 3.0/3.1 or Swagger 2.0, one file or an archive),
/// compared with the staged connector's origins.
pub async fn stage_description(
    st: &AppState,
    actor: &UserRec,
    raw: &str,
    code: &str,
    version: &str,
    source: connectors::DescriptionSource,
) -> AppResult<StageRec> {
    let t = target(st, actor, raw, code, version).await?;
    let staged = st.store.stages(t.request.id).await?;
    let origins = staged
        .iter()
        .find(|s| s.code == t.code && s.version == t.version)
        .and_then(|s| s.connector.as_ref())
        .map(|c| c.upstreams.clone())
        .unwrap_or_default();
    let read = connectors::read_description(source, origins).await?;
    Ok(st
        .store
        .stage_description(
            t.request.id,
            &t.code,
            t.version,
            t.service,
            &read.rec,
            &read.operations,
            st.now(),
            &AuditBy::user(actor),
        )
        .await?)
}

/// Probes the staged connector (outside any store transaction) and stores the result with it.
pub async fn probe(st: &AppState, actor: &UserRec, raw: &str, code: &str, version: &str) -> AppResult<StageRec> {
    let t = target(st, actor, raw, code, version).await?;
    let servers = t.stage.as_ref().map(|s| s.description_servers.clone()).unwrap_or_default();
    let Some(connector) = t.stage.and_then(|s| s.connector) else {
        return Err(AppError::of(
            "conector_no_preparado",
            iop_i18n::args![codigo = &t.code.as_str(), version = &t.version.get()],
        ));
    };
    let (ok, results) = connectors::probe(st, &connector, &servers).await?;
    let probe = connectors::probe_rec(st, ok, &results);
    st.store
        .stage_probe(
            t.request.id,
            &t.code,
            t.version,
            connector.created_at,
            &probe,
            &AuditBy::user(actor),
        )
        .await?
        .ok_or_else(|| AppError::of("conector_cambiado", &[]))
}

/// `habilitar` publishes only services whose connector was staged.
pub async fn check_staged(st: &AppState, request: &RequestRec, publish: &[(Code, ServiceVersion)]) -> AppResult<Vec<StageRec>> {
    let stages = st.store.stages(request.id).await?;
    let mut out = Vec::new();
    for (i, (code, version)) in publish.iter().enumerate() {
        let stage = stages.iter().find(|s| &s.code == code && &s.version == version);
        // The description is optional: a service described outside OpenAPI (SOAP, legacy) is
        // published without operations, and grants to it cover its whole base path.
        if stage.is_none_or(|s| s.connector.is_none()) {
            let f = format!("habilitacion.publicar[{i}]");
            return Err(AppError::of(
                "publicacion_incompleta",
                iop_i18n::args![
                    campo = &f,
                    servicio = &format!("{} v{}", code.as_str(), version.get()),
                    ruta = &format!(
                        "/api/v1/solicitudes/{}/publicacion/{}/{}/conector",
                        request.code,
                        code.as_str(),
                        version.get()
                    )
                ],
            )
            .field(f));
        }
        out.extend(stage.cloned());
    }
    Ok(out)
}

/// Step 5 waits until every service the request published has a successful connection probe of
/// its connector in force (a later connector change needs a new probe).
pub async fn check_probed(st: &AppState, request: &RequestRec) -> AppResult<()> {
    for p in st.store.published_probes(request.id).await? {
        if p.probe_ok != Some(true) {
            let why = match (p.connector_version, p.probe_ok) {
                (None, _) => "sin-conector",
                (Some(_), None) => "sin-prueba",
                (Some(_), Some(_)) => "prueba-fallida",
            };
            return Err(AppError::of(
                "prueba_de_conexion_pendiente",
                iop_i18n::args![servicio = &p.label, motivo = &why, id = &p.service],
            ));
        }
    }
    Ok(())
}

/// Consumption grants only services that are published and routable (they have a connector).
pub async fn check_routable(st: &AppState, e: &Enablement) -> AppResult<()> {
    for (i, g) in e.grants.iter().enumerate() {
        let s = st.store.get_service(g.service).await?;
        let routable = match &s {
            Some(s) if s.state == ServiceState::Publicado => st.store.connector(s.id).await?.is_some(),
            _ => false,
        };
        if !routable {
            let name = s
                .map(|s| format!("{} v{}", s.code.as_str(), s.version.get()))
                .unwrap_or_else(|| g.service.to_string());
            return Err(AppError::of("servicio_no_publicado", iop_i18n::args![i = &i, nombre = &name])
                .field(format!("habilitacion.accesos[{i}].servicio_id")));
        }
    }
    Ok(())
}
