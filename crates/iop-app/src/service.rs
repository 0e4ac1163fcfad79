//! Operations shared by the HTTP handlers and the demo seed: input → domain values → decision →
//! one store call.

use crate::AppState;
use crate::auth::{hash_password, new_password};
use crate::dto::*;
use crate::error::{AppError, AppResult};
use iop_domain::calendar::{fmt_date, parse_date};
use iop_domain::*;
use iop_store::*;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn field<T>(name: &str, r: Result<T, Invalid>) -> AppResult<T> {
    r.map_err(|i| AppError::invalid(name, i))
}

fn opt_field<T>(name: &str, v: Option<&str>, parse: fn(&str) -> Result<T, Invalid>) -> AppResult<Option<T>> {
    v.map(|s| field(name, parse(s))).transpose()
}

pub fn user_out(u: &UserRec) -> UserOut {
    UserOut {
        id: u.id.to_string(),
        usuario: u.login.to_string(),
        nombre: u.nombre.to_string(),
        unidad_id: u.unit.map(|x| x.to_string()),
        roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        activo: u.active,
    }
}

pub fn require_admin(u: &UserRec) -> AppResult<()> {
    if u.roles.has(Role::Administrador) {
        Ok(())
    } else {
        Err(AppError::admin_only())
    }
}

/// Names the head of a unit (Administrador only): name and title, both checked as names.
pub async fn set_unit_head(st: &AppState, actor: &UserRec, raw: &str, input: &UnitHeadIn) -> AppResult<UnitRec> {
    require_admin(actor)?;
    let unit = crate::error::path_id(raw, UnitId::parse)?;
    if st.store.get_unit(unit).await?.is_none() {
        return Err(AppError::of("no_encontrado.unidad", &[]));
    }
    let head = UnitHead {
        name: field("nombre", Name::parse(&input.nombre))?,
        title: field("cargo", Name::parse(&input.cargo))?,
    };
    Ok(st.store.set_unit_head(unit, &head, &AuditBy::user(actor), st.now()).await?)
}

/// Creates a user; returns it and the generated password if none was given.
pub async fn create_user(st: &AppState, input: UserIn, by: &AuditBy) -> AppResult<(UserRec, Option<String>)> {
    let login = field("usuario", Login::parse(&input.usuario))?;
    let nombre = field("nombre", Name::parse(&input.nombre))?;
    let roles = field("roles", RoleSet::parse_list(&input.roles))?;
    let unit = opt_field("unidad_id", input.unidad_id.as_deref(), UnitId::parse)?;
    if let Some(u) = unit
        && st.store.get_unit(u).await?.is_none()
    {
        return Err(AppError::of("referencia_inexistente.unidad", &[]).field("unidad_id"));
    }
    if roles.has(Role::Solicitante) && unit.is_none() {
        return Err(AppError::of("unidad_requerida.al-crear", &[]).field("unidad_id"));
    }
    let (password, generated) = match input.contrasena {
        Some(p) => (field("contrasena", Password::parse(&p))?, None),
        None => {
            let p = new_password();
            (field("contrasena", Password::parse(&p))?, Some(p))
        }
    };
    if st.store.user_by_login(&login).await?.is_some() {
        return Err(AppError::of("usuario_existente", &[]).field("usuario"));
    }
    let user = UserRec {
        id: UserId::generate(),
        login,
        nombre,
        unit,
        roles,
        active: true,
        password_hash: hash_password(password.expose().to_owned()).await?,
        created_at: st.now(),
        acting: Vec::new(),
    };
    st.store.create_user(&user, by).await?;
    Ok((user, generated))
}

/// What a request list is filtered by, as typed (each checked by [`list_requests`], which names
/// the field at fault).
#[derive(Debug, Default, Clone, Copy)]
pub struct ListFilter<'a> {
    pub estado: Option<&'a str>,
    pub unidad_id: Option<&'a str>,
    pub tipo: Option<&'a str>,
    /// Part of the tracking code.
    pub codigo: Option<&'a str>,
    /// Created on or after this day, and on or before this other one (`AAAA-MM-DD`, La Paz).
    pub desde: Option<&'a str>,
    pub hasta: Option<&'a str>,
}

/// A filter's values, checked.
pub struct CheckedFilter {
    pub state: Option<iop_domain::State>,
    pub unit: Option<iop_domain::UnitId>,
    pub kind: Option<RequestKind>,
    pub code: Option<String>,
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
}

impl ListFilter<'_> {
    pub fn check(&self) -> AppResult<CheckedFilter> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        let date = |name: &str, v: Option<&str>| {
            given(v)
                .map(|v| {
                    iop_domain::calendar::parse_date(v)
                        .ok_or_else(|| AppError::of("fecha_invalida", iop_i18n::args![campo = &name]).field(name))
                })
                .transpose()
        };
        let code = given(self.codigo).map(|c| c.to_uppercase());
        if code
            .as_deref()
            .is_some_and(|c| c.len() > 15 || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'))
        {
            return Err(AppError::of("codigo_seguimiento_invalido", &[]).field("codigo"));
        }
        Ok(CheckedFilter {
            state: opt_field("estado", given(self.estado), iop_domain::State::parse)?,
            unit: opt_field("unidad_id", given(self.unidad_id), iop_domain::UnitId::parse)?,
            kind: opt_field("tipo", given(self.tipo), RequestKind::parse)?,
            code,
            from: date("desde", self.desde)?,
            to: date("hasta", self.hasta)?,
        })
    }
}

/// The requests `user` may see, filtered, newest first, a page at a time (as the API shows them).
/// The store filters by visibility; the domain still has the last word on each row.
pub async fn list_requests(
    st: &AppState,
    user: &UserRec,
    f: &ListFilter<'_>,
    page: &iop_store::Page,
) -> AppResult<(Vec<RequestOut>, Option<String>)> {
    let actor = user.actor();
    let found = st.store.list_requests(&store_filter(actor, f)?, page).await?;
    let visible: Vec<RequestRec> = found.items.into_iter().filter(|r| r.facts.visible_to(&actor)).collect();
    Ok((requests_out(st, &visible).await?, found.next.map(|c| c.to_string())))
}

/// The same page as [`list_requests`], as lines (what a list page shows): one statement.
pub async fn list_lines(
    st: &AppState,
    user: &UserRec,
    f: &ListFilter<'_>,
    page: &iop_store::Page,
) -> AppResult<(Vec<RequestLine>, Option<String>)> {
    let actor = user.actor();
    let found = st.store.list_lines(&store_filter(actor, f)?, page).await?;
    let visible = found.items.into_iter().filter(|r| r.facts.visible_to(&actor)).collect();
    Ok((visible, found.next.map(|c| c.to_string())))
}

/// A list's filter, checked, as the store reads it: dates are whole days in La Paz.
fn store_filter(viewer: Actor, f: &ListFilter<'_>) -> AppResult<iop_store::RequestFilter> {
    let c = f.check()?;
    let day_start = |d: time::Date| d.midnight().assume_offset(iop_domain::calendar::LA_PAZ);
    Ok(iop_store::RequestFilter {
        state: c.state,
        unit: c.unit,
        kind: c.kind,
        code: c.code,
        created_from: c.from.map(day_start),
        created_before: c.to.and_then(|d| d.next_day()).map(day_start),
        viewer,
    })
}

/// What a new consumption request can name: the catalog's systems and its published services
/// (only those can be granted at step 4), by name.
pub async fn consumption_choices(st: &AppState) -> AppResult<(Vec<iop_store::SystemRec>, Vec<iop_store::ServiceRec>)> {
    let mut systems = st.store.list_systems(None).await?;
    systems.sort_by(|a, b| a.nombre.as_str().cmp(b.nombre.as_str()));
    let mut services: Vec<iop_store::ServiceRec> = st
        .store
        .list_services(None)
        .await?
        .into_iter()
        .filter(|s| s.state == iop_store::ServiceState::Publicado)
        .collect();
    services.sort_by(|a, b| a.nombre.as_str().cmp(b.nombre.as_str()));
    Ok((systems, services))
}

/// Step 4 of a consumption by a system the request proposed: the assigned Líder registers it in
/// the catalog (under a consuming entity, with a code) and the request names it from then on; the
/// system, the request's change and both audit records commit together.
pub async fn register_proposed_system(st: &AppState, actor: &UserRec, raw: &str, input: RegisterSystemIn) -> AppResult<RequestRec> {
    let rec = load_visible(st, actor, raw).await?;
    iop_domain::may_prepare_enablement(&rec.facts, &actor.actor())?;
    let Some(proposed) = rec.content.proposed_system.clone().filter(|_| rec.content.system.is_none()) else {
        return Err(AppError::of("sin_sistema_propuesto", &[]));
    };
    let entity_id = field("entidad_id", EntityId::parse(&input.entidad_id))?;
    match st.store.get_entity(entity_id).await? {
        Some(e) if e.kind.consumes() => {}
        Some(_) => return Err(AppError::of("entidad_no_consumidora", &[]).field("entidad_id")),
        None => return Err(AppError::of("referencia_inexistente.entidad", &[]).field("entidad_id")),
    }
    let system = iop_store::SystemRec {
        id: SystemId::generate(),
        entity: entity_id,
        code: field("codigo", Code::parse(&input.codigo))?,
        nombre: proposed.name,
        descripcion: Some(proposed.purpose),
        created_at: st.now(),
    };
    Ok(st
        .store
        .register_request_system(rec.id, rec.version, &system, &AuditBy::user(actor))
        .await?)
}

/// The consuming entities, by name: where a proposed system is registered.
pub async fn consumer_entities(st: &AppState) -> AppResult<Vec<iop_store::EntityRec>> {
    let mut entities: Vec<iop_store::EntityRec> = st.store.list_entities().await?.into_iter().filter(|e| e.kind.consumes()).collect();
    entities.sort_by(|a, b| a.nombre.as_str().cmp(b.nombre.as_str()));
    Ok(entities)
}

/// The requesting units (not the agency's own), by name: what a request list filters by.
pub async fn requesting_units(st: &AppState) -> AppResult<Vec<iop_store::UnitRec>> {
    let mut units: Vec<iop_store::UnitRec> = st.store.list_units().await?.into_iter().filter(|u| !u.agency).collect();
    units.sort_by(|a, b| a.nombre.as_str().cmp(b.nombre.as_str()));
    Ok(units)
}

/// The entities a publication request can name as its publisher, by name.
pub async fn publisher_choices(st: &AppState) -> AppResult<Vec<iop_store::EntityRec>> {
    let mut entities: Vec<iop_store::EntityRec> = st.store.list_entities().await?.into_iter().filter(|e| e.kind.publishes()).collect();
    entities.sort_by(|a, b| a.nombre.as_str().cmp(b.nombre.as_str()));
    Ok(entities)
}

/// What a request names, by name: its beneficiary system and its publishing entity, if any.
pub async fn party_labels(st: &AppState, rec: &RequestRec) -> AppResult<(Option<String>, Option<String>)> {
    let c = &rec.content;
    let system = match c.system {
        Some(id) => Some(system_label(st, id).await?),
        None => None,
    };
    let publisher = match c.publisher {
        Some(id) => Some(match st.store.get_entity(id).await? {
            Some(e) => format!("{} ({})", e.nombre.as_str(), e.sigla.as_str()),
            None => id.to_string(),
        }),
        None => None,
    };
    Ok((system, publisher))
}

/// A system by name: `name (code)`, or its id if the catalog lost it.
pub async fn system_label(st: &AppState, id: iop_domain::SystemId) -> AppResult<String> {
    Ok(match st.store.get_system(id).await? {
        Some(s) => format!("{} ({})", s.nombre.as_str(), s.code.as_str()),
        None => id.to_string(),
    })
}

/// The services a request names, with a label each (`name — code vN`), in the request's order.
pub async fn service_labels(st: &AppState, ids: &[iop_domain::ServiceId]) -> AppResult<Vec<(iop_domain::ServiceId, String)>> {
    let mut out = Vec::new();
    for id in ids {
        let label = match st.store.get_service(*id).await? {
            Some(s) => format!("{} — {} v{}", s.nombre.as_str(), s.code.as_str(), s.version.get()),
            None => id.to_string(),
        };
        out.push((*id, label));
    }
    Ok(out)
}

/// What the Jefe de UPAT and the Responsable de ADAS see beside their inbox: how many requests are
/// in each state, how many open requests each active team leader holds, and who holds overdue
/// ones. Two statements, whatever the number of requests.
pub struct Overview {
    pub by_state: Vec<(iop_domain::State, i64)>,
    pub leaders: Vec<(UserRec, i64)>,
    /// Overdue requests by whom they wait for: a role, and the person when one holds them.
    pub overdue: Vec<(Role, Option<UserRec>, i64)>,
}

/// The overview from its counts and the active Líderes.
fn overview_of(counts: OverviewCounts, active: Vec<UserRec>) -> Overview {
    let by_state = iop_domain::State::ALL
        .iter()
        .map(|s| (*s, counts.by_state.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n)))
        .collect();
    let load = &counts.open_by_assignee;
    // By person when an active leader holds them; otherwise by role (a draft's author, a unit's
    // Solicitantes, the Jefe de UPAT, the Responsable de ADAS), so the statements stay constant.
    let mut overdue: Vec<(Role, Option<UserRec>, i64)> = Vec::new();
    for (role, user, n) in counts.overdue.iter().cloned() {
        let person = user.and_then(|id| active.iter().find(|u| u.id == id).cloned());
        match overdue
            .iter_mut()
            .find(|(r, p, _)| *r == role && p.as_ref().map(|u| u.id) == person.as_ref().map(|u| u.id))
        {
            Some(row) => row.2 += n,
            None => overdue.push((role, person, n)),
        }
    }
    overdue.sort_by_key(|o| std::cmp::Reverse(o.2));
    let leaders = active
        .into_iter()
        .map(|u| {
            let n = load.iter().find(|(id, _)| *id == u.id).map_or(0, |(_, n)| *n);
            (u, n)
        })
        .collect();
    Overview {
        by_state,
        leaders,
        overdue,
    }
}

/// The active Líderes de equipo de ADAS, by name: whom a request may be assigned to (step 3).
pub async fn active_leaders(st: &AppState) -> AppResult<Vec<UserRec>> {
    Ok(st.store.active_users_with_role(iop_domain::Role::LiderAdas).await?)
}

/// The request named by a UUID or a tracking code, if the actor may see it.
pub async fn load_visible(st: &AppState, actor: &UserRec, raw: &str) -> AppResult<RequestRec> {
    let rec = if raw.trim().to_ascii_uppercase().starts_with("IOP-") {
        let code = crate::error::path_id(raw, TrackingCode::parse)?;
        st.store.request_by_code(&code).await?
    } else {
        let id = crate::error::path_id(raw, RequestId::parse)?;
        st.store.get_request(id).await?
    };
    let not_found = || AppError::of("no_encontrado.solicitud", &[]);
    let rec = rec.ok_or_else(not_found)?;
    let a = actor.actor();
    if rec.facts.state == State::Borrador && rec.facts.created_by != actor.id {
        return Err(AppError::of("borrador_ajeno.privado", &[]));
    }
    if !rec.facts.visible_to(&a) {
        return Err(AppError::of("sin_acceso", &[]));
    }
    Ok(rec)
}

/// Parses and checks a request's content against the catalog.
async fn parse_content(st: &AppState, input: RequestIn) -> AppResult<RequestContent> {
    let kind = field("tipo", RequestKind::parse(&input.tipo))?;
    let justification = field("justificacion", Text::parse_max(&input.justificacion, 4000))?;
    let system = opt_field("sistema_id", input.sistema_id.as_deref(), SystemId::parse)?;
    let publisher = opt_field("entidad_publicadora_id", input.entidad_publicadora_id.as_deref(), EntityId::parse)?;
    let mut services = Vec::new();
    for (i, s) in input.servicios.iter().enumerate() {
        let id = field(&format!("servicios[{i}]"), ServiceId::parse(s))?;
        if st.store.get_service(id).await?.is_none() {
            return Err(AppError::of("referencia_inexistente.servicio", iop_i18n::args![i = &i]).field(format!("servicios[{i}]")));
        }
        if services.contains(&id) {
            return Err(AppError::of("servicio_repetido.servicios", iop_i18n::args![i = &i]).field(format!("servicios[{i}]")));
        }
        services.push(id);
    }
    let mut publications: Vec<PublicationSpec> = Vec::new();
    for (i, p) in input.servicios_publicacion.iter().enumerate() {
        let f = |n: &str| format!("servicios_publicacion[{i}].{n}");
        let spec = PublicationSpec {
            code: field(&f("codigo"), Code::parse(&p.codigo))?,
            version: field(&f("version"), ServiceVersion::new(p.version))?,
            name: field(&f("nombre"), Name::parse(&p.nombre))?,
            description: p
                .descripcion
                .as_deref()
                .map(|d| field(&f("descripcion"), Text::parse_max(d, 4000)))
                .transpose()?,
        };
        if publications.iter().any(|o| o.code == spec.code && o.version == spec.version) {
            return Err(AppError::of("servicio_repetido.publicacion", iop_i18n::args![campo = &f("codigo")]).field(f("codigo")));
        }
        publications.push(spec);
    }
    let proposed = input
        .sistema_propuesto
        .as_ref()
        .map(|p| -> AppResult<iop_store::ProposedSystem> {
            Ok(iop_store::ProposedSystem {
                name: field("sistema_propuesto.nombre", Name::parse(&p.nombre))?,
                purpose: field("sistema_propuesto.proposito", Text::parse_max(&p.proposito, 2000))?,
            })
        })
        .transpose()?;
    if kind.consumes() {
        match (system, &proposed) {
            (Some(_), Some(_)) => {
                return Err(AppError::of("fuera_de_solicitud.sistema-propuesto", &[]).field("sistema_propuesto"));
            }
            (None, None) => return Err(AppError::of("campo_requerido.sistema", &[]).field("sistema_id")),
            (None, Some(_)) => {}
            (Some(sys), None) => {
                if st.store.get_system(sys).await?.is_none() {
                    return Err(AppError::of("referencia_inexistente.sistema", &[]).field("sistema_id"));
                }
            }
        }
        if services.is_empty() {
            return Err(AppError::of("campo_requerido.servicios", &[]).field("servicios"));
        }
    } else if system.is_some() || proposed.is_some() || !services.is_empty() {
        return Err(AppError::of("fuera_de_solicitud.campos-de-consumo", &[]).field("servicios"));
    }
    if kind.publishes() {
        let Some(p) = publisher else {
            return Err(AppError::of("campo_requerido.entidad-publicadora", &[]).field("entidad_publicadora_id"));
        };
        match st.store.get_entity(p).await? {
            Some(e) if e.kind.publishes() => {}
            Some(_) => {
                return Err(AppError::of("entidad_no_publicadora.entidad-publicadora", &[]).field("entidad_publicadora_id"));
            }
            None => {
                return Err(AppError::of("referencia_inexistente.entidad-publicadora", &[]).field("entidad_publicadora_id"));
            }
        }
        if publications.is_empty() {
            return Err(AppError::of("campo_requerido.servicios-publicacion", &[]).field("servicios_publicacion"));
        }
    } else if publisher.is_some() || !publications.is_empty() {
        return Err(AppError::of("fuera_de_solicitud.campos-de-publicacion", &[]).field("servicios_publicacion"));
    }
    Ok(RequestContent {
        kind,
        system,
        proposed_system: proposed,
        publisher,
        justification,
        services,
        publications,
    })
}

/// Asks to renew what a received consumption request granted: a new draft consumption for the
/// same system and the services it was granted, its justification naming the original. It goes
/// through PR05 like any request (a new supporting document, steps 1 to 8), so the calls it lets
/// through have a legal chain of their own.
pub async fn renew(st: &AppState, actor: &UserRec, raw: &str) -> AppResult<RequestRec> {
    let r = load_visible(st, actor, raw).await?;
    r.facts.renewable_by(&actor.actor())?;
    let system = r.content.system.ok_or_else(|| AppError::of("renovacion_no_aplicable", &[]))?;
    let mut services: Vec<String> = Vec::new();
    for g in st.store.grants_of_request(r.id).await? {
        let s = g.spec.service.to_string();
        if !services.contains(&s) {
            services.push(s);
        }
    }
    if services.is_empty() {
        services = r.content.services.iter().map(|s| s.to_string()).collect();
    }
    let mut justificacion = format!(
        "Renovación de la habilitación otorgada por la solicitud {}. {}",
        r.code.as_str(),
        r.content.justification.as_str()
    );
    if justificacion.chars().count() > Text::MAX {
        justificacion = justificacion.chars().take(Text::MAX).collect();
    }
    create_request(
        st,
        actor,
        RequestIn {
            tipo: RequestKind::Consumo.as_str().to_owned(),
            sistema_id: Some(system.to_string()),
            sistema_propuesto: None,
            entidad_publicadora_id: None,
            justificacion,
            servicios: services,
            servicios_publicacion: Vec::new(),
        },
    )
    .await
}

pub async fn create_request(st: &AppState, actor: &UserRec, input: RequestIn) -> AppResult<RequestRec> {
    let Some(unit) = actor.unit.filter(|_| actor.roles.has(Role::Solicitante)) else {
        return Err(AppError::of("rol_requerido.crear-solicitud", &[]));
    };
    let content = parse_content(st, input).await?;
    let rec = st
        .store
        .create_request(
            NewRequest {
                id: RequestId::generate(),
                unit,
                created_by: actor.id,
                content,
            },
            st.now(),
            &AuditBy::user(actor),
        )
        .await?;
    Ok(rec)
}

fn not_editable() -> AppError {
    AppError::of("no_editable", &[])
}

pub async fn update_request(st: &AppState, actor: &UserRec, raw: &str, input: RequestIn) -> AppResult<RequestRec> {
    let rec = load_visible(st, actor, raw).await?;
    if !rec.facts.editable_by(&actor.actor()) {
        return Err(not_editable());
    }
    let content = parse_content(st, input).await?;
    Ok(st
        .store
        .update_request_content(rec.id, rec.version, content, st.now(), &AuditBy::user(actor))
        .await?)
}

/// Whether the bytes are a PDF: the header in the first KiB, `%%EOF` in the last KiB.
pub fn looks_like_pdf(b: &[u8]) -> bool {
    let head = b.get(..b.len().min(1024)).unwrap_or_default();
    let tail = b.get(b.len().saturating_sub(1024)..).unwrap_or_default();
    head.windows(5).any(|w| w == b"%PDF-") && tail.windows(5).any(|w| w == b"%%EOF")
}

pub async fn attach_document(st: &AppState, actor: &UserRec, raw: &str, kind: &str, filename: &str, bytes: &[u8]) -> AppResult<RequestRec> {
    let rec = load_visible(st, actor, raw).await?;
    if !rec.facts.editable_by(&actor.actor()) {
        return Err(not_editable());
    }
    let kind = field("tipo", DocumentKind::parse(kind))?;
    if bytes.is_empty() || !looks_like_pdf(bytes) {
        return Err(AppError::of("no_es_pdf", &[]).field("archivo"));
    }
    let filename: String = filename
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
        .take(200)
        .collect();
    let sha = st.blobs.put(bytes).await.map_err(|e| {
        tracing::error!(error = %e, "no se pudo guardar el documento");
        AppError::internal()
    })?;
    let doc = DocumentRef {
        kind,
        sha256: sha,
        filename: if filename.is_empty() { "documento.pdf".into() } else { filename },
        size: bytes.len() as i64,
    };
    Ok(st
        .store
        .attach_document(rec.id, rec.version, doc, st.now(), &AuditBy::user(actor))
        .await?)
}

fn parse_enablement(input: EnablementIn, today: time::Date) -> AppResult<Enablement> {
    let mut e = Enablement::default();
    for (i, g) in input.accesos.into_iter().enumerate() {
        let f = |n: &str| format!("habilitacion.accesos[{i}].{n}");
        let date =
            |n: &str, v: &str| parse_date(v).ok_or_else(|| AppError::of("fecha_invalida", iop_i18n::args![campo = &f(n)]).field(f(n)));
        let rate = match (g.limite_por_segundo, g.rafaga) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(AppError::of("campo_requerido.limite-con-rafaga", iop_i18n::args![campo = &f("rafaga")]).field(f("rafaga")));
            }
            (Some(r), b) => Some(field(
                &f("limite_por_segundo"),
                GrantRate::new(r, b.unwrap_or_else(|| (r.ceil() as u32).max(1))),
            )?),
        };
        let operations = match g.operaciones {
            None => None,
            Some(ops) if ops.is_empty() => {
                return Err(
                    AppError::of("campo_requerido.operaciones", iop_i18n::args![campo = &f("operaciones")]).field(f("operaciones")),
                );
            }
            Some(ops) => Some(ops),
        };
        e.grants.push(GrantSpec {
            system: field(&f("sistema_id"), SystemId::parse(&g.sistema_id))?,
            service: field(&f("servicio_id"), ServiceId::parse(&g.servicio_id))?,
            valid_from: g.desde.as_deref().map(|d| date("desde", d)).transpose()?.unwrap_or(today),
            valid_until: g.hasta.as_deref().map(|d| date("hasta", d)).transpose()?,
            operations,
            rate,
        });
    }
    for (i, p) in input.publicar.into_iter().enumerate() {
        let f = |n: &str| format!("habilitacion.publicar[{i}].{n}");
        e.publish.push((
            field(&f("codigo"), Code::parse(&p.codigo))?,
            field(&f("version"), ServiceVersion::new(p.version))?,
        ));
    }
    Ok(e)
}

fn enablement_detail(e: &Enablement, staged: &[iop_store::StageRec], credentials: &[iop_store::CredentialRec]) -> String {
    let grants: Vec<serde_json::Value> = e
        .grants
        .iter()
        .map(|g| {
            serde_json::json!({
                "sistema_id": g.system.to_string(),
                "servicio_id": g.service.to_string(),
                "desde": fmt_date(g.valid_from),
                "hasta": g.valid_until.map(fmt_date),
                "operaciones": g.operations,
                "limite_por_segundo": g.rate.map(|r| r.per_second),
                "rafaga": g.rate.map(|r| r.burst),
            })
        })
        .collect();
    let publish: Vec<serde_json::Value> = e
        .publish
        .iter()
        .map(|(c, v)| {
            let s = staged.iter().find(|s| &s.code == c && &s.version == v);
            let connector = s.and_then(|s| s.connector.as_ref());
            serde_json::json!({
                "codigo": c.as_str(),
                "version": v.get(),
                "servicio_id": s.map(|s| s.service.to_string()),
                "ruta_base": connector.map(|c| c.base_path.clone()),
                "origenes": connector.map(|c| c.upstreams.clone()),
                "operaciones": s.map(|s| s.operations.iter().map(|o| o.op_id.clone()).collect::<Vec<_>>()),
                "descripcion_sha256": s.and_then(|s| s.description_sha256.clone()),
                "prueba_ok": s.and_then(|s| s.probe.as_ref().map(|p| p.ok)),
            })
        })
        .collect();
    // What was issued, never a secret: kind and the recognisable prefix.
    let credentials: Vec<serde_json::Value> = credentials
        .iter()
        .map(|c| serde_json::json!({"id": c.id.to_string(), "tipo": c.kind.as_str(), "prefijo": c.hint}))
        .collect();
    serde_json::json!({"accesos": grants, "publicar": publish, "credenciales": credentials}).to_string()
}

/// Takes an action on a request: the domain decides, the store commits.
pub async fn transition(st: &AppState, actor: &UserRec, raw: &str, input: TransitionIn) -> AppResult<RequestRec> {
    transition_issuing(st, actor, raw, input).await.map(|(r, _)| r)
}

/// Like [`transition`], also returning the credentials step 4 issued (never their secrets: those
/// are sealed for the requesting unit, see `crate::accesses`).
pub async fn transition_issuing(
    st: &AppState,
    actor: &UserRec,
    raw: &str,
    input: TransitionIn,
) -> AppResult<(RequestRec, Vec<iop_store::CredentialRec>)> {
    let rec = load_visible(st, actor, raw).await?;
    let kind = field("accion", ActionKind::parse(&input.accion))?;
    if let Some(v) = input.version
        && v != rec.version
    {
        return Err(iop_store::StoreError::Stale.into());
    }
    let comment = input
        .comentario
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| field("comentario", Text::parse_max(c, 4000)))
        .transpose()?;
    let action = match kind {
        ActionKind::Presentar => Action::Presentar,
        ActionKind::Derivar => Action::Derivar,
        ActionKind::Asignar | ActionKind::Reasignar => {
            // An unknown or missing leader still goes through the decision, so that an actor without
            // the role hears 403 rather than learning about the input.
            let mut c = Candidate {
                user: UserId::from_uuid(uuid::Uuid::nil()),
                roles: RoleSet::empty(),
                active: false,
            };
            if let Some(raw) = input.lider_id.as_deref() {
                let id = field("lider_id", UserId::parse(raw))?;
                if let Some(u) = st.store.get_user(id).await? {
                    c = Candidate {
                        user: u.id,
                        roles: u.roles,
                        active: u.active,
                    };
                }
            }
            if kind == ActionKind::Asignar {
                Action::Asignar(c)
            } else {
                Action::Reasignar(c)
            }
        }
        ActionKind::Habilitar => Action::Habilitar,
        ActionKind::AjustarHabilitacion => Action::AjustarHabilitacion,
        ActionKind::ElaborarNota => Action::ElaborarNota,
        ActionKind::AprobarNotaAdas => Action::AprobarNotaAdas,
        ActionKind::AprobarNotaUpat => Action::AprobarNotaUpat,
        ActionKind::Recibir => Action::Recibir,
        ActionKind::Observar => Action::Observar(
            input
                .devolver_a
                .as_deref()
                .map(|d| field("devolver_a", ReturnTo::parse(d)))
                .transpose()?,
        ),
        ActionKind::Subsanar => Action::Subsanar,
        ActionKind::Rechazar => Action::Rechazar,
        ActionKind::Desistir => Action::Desistir,
    };
    let t = decide(&rec.facts, &actor.actor(), &action, comment.is_some())?;

    let mut effects = Effects::default();
    let mut detail = None;
    let mut issued = Vec::new();
    match kind {
        ActionKind::Habilitar | ActionKind::AjustarHabilitacion => {
            let Some(input) = input.habilitacion else {
                return Err(AppError::of("campo_requerido.habilitacion", &[]).field("habilitacion"));
            };
            let today = st.now().to_offset(iop_domain::calendar::LA_PAZ).date();
            let kinds = input
                .emitir_credenciales
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let f = format!("habilitacion.emitir_credenciales[{i}]");
                    let kind = field(&f, CredentialKind::parse(k))?;
                    crate::credentials::Issuable::from_kind(kind)
                        .ok_or_else(|| AppError::of("credencial_no_emitible", iop_i18n::args![campo = &f, tipo = &k]).field(f.clone()))
                })
                .collect::<AppResult<Vec<_>>>()?;
            let e = parse_enablement(input, today)?;
            let c = &rec.content;
            check_enablement(c.kind, c.system, &c.services, &c.publications, &e).map_err(|i| AppError::invalid("habilitacion", i))?;
            check_operations(st, &e).await?;
            crate::publication::check_routable(st, &e).await?;
            let staged = crate::publication::check_staged(st, &rec, &e.publish).await?;
            if !kinds.is_empty() {
                let Some(system) = c.system else {
                    return Err(AppError::of("fuera_de_solicitud.emitir-credenciales", &[]).field("habilitacion.emitir_credenciales"));
                };
                let hooks = st.hooks()?;
                for k in kinds {
                    issued.push(crate::credentials::issue(
                        k,
                        system,
                        actor.id,
                        Some(rec.id),
                        &hooks.keys,
                        &hooks.secrets,
                        st.now(),
                    )?);
                }
                effects.credentials = issued.iter().map(|i| i.rec.clone()).collect();
                // Their secrets go to the requesting unit, not into this answer.
                effects.delivery = Some(crate::accesses::seal(st, &rec, system, &issued, actor.id)?);
            }
            detail = Some(enablement_detail(&e, &staged, &effects.credentials));
            effects.enablement = Some(e);
        }
        ActionKind::AprobarNotaAdas | ActionKind::AprobarNotaUpat | ActionKind::Recibir => {
            detail = Some(bind_note(&rec, input.nota_sha256.as_deref())?);
        }
        ActionKind::Observar => {
            // A return undoes earlier approvals of the note: said, not only implied.
            let mut undone = Vec::new();
            if let (Some(by), None) = (rec.facts.adas_approver, t.next.adas_approver) {
                undone.push(serde_json::json!({"paso": 6, "por": by.to_string()}));
            }
            if let (Some(by), None) = (rec.facts.upat_approver, t.next.upat_approver) {
                undone.push(serde_json::json!({"paso": 7, "por": by.to_string()}));
            }
            if !undone.is_empty() {
                detail = Some(serde_json::json!({"aprobaciones_anuladas": undone}).to_string());
            }
        }
        ActionKind::ElaborarNota => {
            if rec.content.kind.publishes() {
                crate::publication::check_probed(st, &rec).await?;
            }
            let Some(n) = input.nota else {
                return Err(AppError::of("campo_requerido.nota", &[]).field("nota"));
            };
            let body = field("nota.cuerpo", Text::parse(&n.cuerpo))?;
            let rec_ = n
                .recomendaciones
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map(|r| field("nota.recomendaciones", Text::parse(r)))
                .transpose()?;
            effects.note = Some(iop_store::NoteText {
                body,
                recommendations: rec_,
                verification: crate::auth::random_hex(10),
                cite_format: st.config.cite_format.clone(),
            });
        }
        _ => {}
    }
    let issued: Vec<iop_store::CredentialRec> = issued.into_iter().map(|i| i.rec).collect();
    // Acting in someone's place (a suplencia in force) for the role this step took: named.
    let acting_for = actor.acting.iter().find(|a| a.role == t.role).map(|a| a.replaces);
    // Who must learn of it, queued with it.
    let notices = crate::notices::for_transition(
        st,
        actor,
        &rec,
        &t,
        comment.as_ref().map(|c| c.as_str()),
        effects.delivery.as_ref().map(|d| d.expires_at),
    )
    .await?;
    let commit = TransitionCommit {
        request: rec.id,
        expected_version: rec.version,
        actor: actor.id,
        transition: t,
        comment,
        effects,
        detail,
        acting_for,
        notices,
    };
    let by = AuditBy::user(actor);
    let out = st.store.apply_transition(commit, st.now(), &by).await?;
    if matches!(
        kind,
        ActionKind::ElaborarNota | ActionKind::AprobarNotaAdas | ActionKind::AprobarNotaUpat
    ) {
        // The note's new state gets its PDF now, kept with its hash; if this fails the first
        // download renders it (the same bytes).
        if let Err(e) = crate::documents::keep_note_pdf(st, &out, &by).await {
            tracing::warn!(error = %e.es, solicitud = %out.code.as_str(), "el PDF de la nota se generará al descargarlo");
        }
    }
    if matches!(kind, ActionKind::Habilitar | ActionKind::AjustarHabilitacion) {
        // Grants and credentials of step 4 work as soon as the answer hands them out.
        st.gateway_applied().await;
    }
    Ok((out, issued))
}

/// Steps 6, 7 and 8 bind the text the user read: the `nota_sha256` sent must be the note's as it is
/// now. Returns the history detail naming it.
fn bind_note(rec: &RequestRec, sent: Option<&str>) -> AppResult<String> {
    let Some(note) = &rec.note else {
        return Err(AppError::internal());
    };
    let current = note.sha256(&rec.code);
    let Some(sent) = sent.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(AppError::of("campo_requerido.nota-sha256", &[]).field("nota_sha256"));
    };
    if !sent.eq_ignore_ascii_case(&current) {
        return Err(AppError::of("nota_cambiada", iop_i18n::args![revision = &note.revision]).field("nota_sha256"));
    }
    Ok(serde_json::json!({"nota_numero": note.number.as_str(), "nota_revision": note.revision, "nota_sha256": current}).to_string())
}

/// Operations named by grants must exist in the service's description.
async fn check_operations(st: &AppState, e: &Enablement) -> AppResult<()> {
    for (i, g) in e.grants.iter().enumerate() {
        let Some(ops) = &g.operations else { continue };
        let known = st.store.operations(g.service).await?;
        for op in ops {
            if !known.iter().any(|k| &k.op_id == op) {
                return Err(AppError::of("operacion_inexistente", iop_i18n::args![i = &i, operacion = &op])
                    .field(format!("habilitacion.accesos[{i}].operaciones")));
            }
        }
    }
    Ok(())
}

pub async fn request_out(st: &AppState, r: &RequestRec, with_history: bool) -> AppResult<RequestOut> {
    let grants = st.store.grants_of_request(r.id).await?;
    let historial = if with_history {
        Some(st.store.history(r.id).await?.iter().map(history_out).collect())
    } else {
        None
    };
    Ok(request_out_from(r, &grants, historial))
}

/// Several requests as the API shows them in lists (without history): one more statement in all.
pub async fn requests_out(st: &AppState, rs: &[RequestRec]) -> AppResult<Vec<RequestOut>> {
    let ids: Vec<RequestId> = rs.iter().map(|r| r.id).collect();
    let grants = st.store.grants_of_requests(&ids).await?;
    Ok(rs
        .iter()
        .map(|r| request_out_from(r, grants.get(&r.id).map(Vec::as_slice).unwrap_or_default(), None))
        .collect())
}

fn request_out_from(r: &RequestRec, grants: &[iop_store::GrantRec], historial: Option<Vec<HistoryOut>>) -> RequestOut {
    let c = &r.content;
    RequestOut {
        id: r.id.to_string(),
        codigo: r.code.to_string(),
        tipo: c.kind.as_str().to_owned(),
        estado: r.facts.state.as_str().to_owned(),
        estado_descripcion: r.facts.state.label_es().to_owned(),
        unidad_id: r.facts.unit.to_string(),
        creada_por: r.facts.created_by.to_string(),
        sistema_id: c.system.map(|x| x.to_string()),
        sistema_propuesto: c.proposed_system.as_ref().map(|p| ProposedSystemIn {
            nombre: p.name.to_string(),
            proposito: p.purpose.to_string(),
        }),
        entidad_publicadora_id: c.publisher.map(|x| x.to_string()),
        justificacion: c.justification.to_string(),
        servicios: c.services.iter().map(|s| s.to_string()).collect(),
        servicios_publicacion: c
            .publications
            .iter()
            .map(|p| PublicationIn {
                codigo: p.code.to_string(),
                version: i64::from(p.version.get()),
                nombre: p.name.to_string(),
                descripcion: p.description.as_ref().map(|d| d.to_string()),
            })
            .collect(),
        documento: r.document.as_ref().map(|d| DocumentOut {
            tipo: d.kind.as_str().to_owned(),
            sha256: d.sha256.clone(),
            nombre_archivo: d.filename.clone(),
            bytes: d.size,
        }),
        lider_id: r.facts.assignee.map(|x| x.to_string()),
        espera_a: holder_label(&r.facts.holder()),
        nota: r.note.as_ref().map(|n| NoteOut {
            numero: n.number.to_string(),
            cuerpo: n.body.to_string(),
            recomendaciones: n.recommendations.as_ref().map(|x| x.to_string()),
            revision: n.revision,
            sha256: n.sha256(&r.code),
            autor_id: r.facts.note_author.map(|x| x.to_string()),
            aprobada_adas_por: r.facts.adas_approver.map(|x| x.to_string()),
            aprobada_upat_por: r.facts.upat_approver.map(|x| x.to_string()),
        }),
        habilitaciones: grants
            .iter()
            .map(|g| GrantOut {
                id: g.id.to_string(),
                sistema_id: g.spec.system.to_string(),
                servicio_id: g.spec.service.to_string(),
                desde: fmt_date(g.spec.valid_from),
                hasta: g.spec.valid_until.map(fmt_date),
                operaciones: g.spec.operations.clone(),
                limite_por_segundo: g.spec.rate.map(|r| r.per_second),
                rafaga: g.spec.rate.map(|r| r.burst),
                revocada: g.revoked_at.is_some(),
            })
            .collect(),
        estado_desde: rfc3339(r.state_since),
        creada: rfc3339(r.created_at),
        actualizada: rfc3339(r.updated_at),
        version: r.version,
        historial,
        credenciales_emitidas: None,
    }
}

pub fn history_out(h: &HistoryRec) -> HistoryOut {
    HistoryOut {
        n: h.seq,
        fecha: rfc3339(h.at),
        actor_id: h.actor.to_string(),
        actor_usuario: h.actor_login.clone(),
        actor_nombre: h.actor_name.clone(),
        rol: h.role.as_str().to_owned(),
        accion: h.action.as_str().to_owned(),
        paso: h.action.step(),
        estado_anterior: h.from.as_str().to_owned(),
        estado_nuevo: h.to.as_str().to_owned(),
        destinatario: h.to_holder.clone(),
        comentario: h.comment.clone(),
        detalle: h.detail.as_deref().and_then(|d| serde_json::from_str(d).ok()),
        en_suplencia_de: h.acting_for_name.clone(),
    }
}

/// A page as asked in a query: `limite` 1 to 200 (default 50), `cursor` from an earlier page.
pub fn page(limite: Option<i64>, cursor: Option<&str>) -> AppResult<iop_store::Page> {
    let limit = page_limit(limite)?;
    let after = match cursor.filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(iop_store::Cursor::parse(c).ok_or_else(|| AppError::of("cursor_invalido.lista", &[]).field("cursor"))?),
    };
    Ok(iop_store::Page { limit, after })
}

/// A page's size as asked in a query: `limite` 1 to 200, default 50.
pub fn page_limit(limite: Option<i64>) -> AppResult<u32> {
    match limite.unwrap_or(50) {
        l @ 1..=200 => Ok(l as u32),
        _ => Err(AppError::of("limite_invalido.pagina", &[]).field("limite")),
    }
}

/// The requests waiting for this user, oldest wait first, a page at a time.
pub async fn inbox(st: &AppState, user: &UserRec, page: &iop_store::Page) -> AppResult<(Vec<InboxItem>, Option<String>)> {
    let actor = user.actor();
    let now = st.now();
    let found = st.store.waiting_for(&actor, page).await?;
    // Who it waits for is the domain's, stored by its last transition (four-eyes included).
    let mine: Vec<RequestRec> = found.items.into_iter().filter(|r| r.waiting.includes(&actor)).collect();
    let outs = requests_out(st, &mine).await?;
    let out = mine
        .iter()
        .zip(outs)
        .map(|(r, solicitud)| {
            let w = wait(st, r.facts.state, r.state_since, now);
            InboxItem {
                rol: r.waiting.role.map(|x| x.as_str().to_owned()).unwrap_or_default(),
                esperando_desde: rfc3339(r.state_since),
                espera_segundos: (now - r.state_since).whole_seconds().max(0),
                espera_dias_habiles: w.working_days,
                vence: w.due.map(rfc3339),
                vencida: w.overdue,
                solicitud,
            }
        })
        .collect();
    Ok((out, found.next.map(|c| c.to_string())))
}

/// What the bandeja shows: the page of [`inbox`] as lines and, for the Jefe de UPAT and the
/// Responsable de ADAS, the overview of the procedure; one read of the store.
pub async fn bandeja(st: &AppState, user: &UserRec, page: &iop_store::Page) -> AppResult<Bandeja> {
    let actor = user.actor();
    let now = st.now();
    let overview = (user.roles.has(Role::JefeUpat) || user.roles.has(Role::ResponsableAdas)).then(|| OverviewQuery {
        cutoffs: st
            .config
            .deadlines
            .iter()
            .map(|(s, d)| (*s, st.config.calendar.overdue_cutoff(now, *d)))
            .collect(),
        people: Role::LiderAdas,
    });
    let read = st.store.bandeja(&actor, page, overview.as_ref()).await?;
    let lines = read
        .lines
        .items
        .into_iter()
        .filter(|r| r.waiting.includes(&actor))
        .map(|line| InboxLine {
            wait: wait(st, line.facts.state, line.state_since, now),
            line,
        })
        .collect();
    Ok(Bandeja {
        lines,
        next: read.lines.next.map(|c| c.to_string()),
        overview: read.overview.map(|(counts, active)| overview_of(counts, active)),
    })
}

/// What [`bandeja`] reads.
pub struct Bandeja {
    pub lines: Vec<InboxLine>,
    /// The next page's cursor, if any.
    pub next: Option<String>,
    pub overview: Option<Overview>,
}

/// A request waiting for someone, and how long it has waited.
pub struct InboxLine {
    pub line: RequestLine,
    pub wait: Wait,
}

/// How long a request has waited in its state, against the state's deadline.
pub struct Wait {
    /// Working days (America/La_Paz, weekends and configured holidays excluded).
    pub working_days: u32,
    /// When it becomes overdue, if the state has a deadline.
    pub due: Option<OffsetDateTime>,
    pub overdue: bool,
}

fn wait(st: &AppState, state: State, since: OffsetDateTime, now: OffsetDateTime) -> Wait {
    let cal = &st.config.calendar;
    let due = st.config.deadlines.get(&state).map(|d| cal.due(since, *d));
    Wait {
        working_days: cal.working_days_between(since, now),
        due,
        overdue: due.is_some_and(|d| now >= d),
    }
}
