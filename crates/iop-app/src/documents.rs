//! The procedure's documents, from what the store holds: the Nota Interna as a PDF (PR05, steps
//! 5 to 7) and the hoja de ruta of a request. Whoever may see the request may read them.
//!
//! The note's PDF shows its current version, what step 4 did (never a secret), the approvals given
//! to that version and, when the platform has a public verification page, its QR code and short
//! code. Each state of the note (its submission, each approval) is rendered once: the PDF is kept
//! in the document store, its SHA-256 recorded with the version and in the audit log, and served
//! from there afterwards.

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::service::{load_visible, service_labels, system_label};
use iop_documents::{Approval, Hop, Note, Person, RoutingSlip};
use iop_domain::calendar::{LA_PAZ, fmt_date, fmt_local_minute};
use iop_domain::{ActionKind, Facts, RequestKind, Role, UnitId, UserId};
use iop_i18n::Lang;
use iop_store::{AuditBy, HistoryRec, NotePdfRec, RequestRec, UserRec};
use time::OffsetDateTime;

/// The agency whose procedure this is, above every document's title.
pub const AGENCY: &str = "Agencia de Gobierno Electrónico y Tecnologías de Información y Comunicación";

/// A generated document.
pub struct Pdf {
    /// A file name to save it as.
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// The request's Nota Interna as a PDF, as it stands: the PDF kept for its current state (rendered
/// and kept now if this state has none yet).
pub async fn note_pdf(st: &AppState, user: &UserRec, raw: &str) -> AppResult<Pdf> {
    let r = load_visible(st, user, raw).await?;
    let (kept, bytes) = keep_note_pdf(st, &r, &AuditBy::user(user)).await?;
    let bytes = match bytes {
        Some(b) => b,
        None => st.blobs.get(&kept.sha256).await.map_err(|e| {
            tracing::error!(error = %e, sha256 = %kept.sha256, "falta en el almacén de documentos el PDF de una nota");
            AppError::internal()
        })?,
    };
    Ok(Pdf {
        filename: format!("nota-interna-{}-v{}.pdf", r.code.as_str(), kept.revision),
        bytes,
    })
}

/// The PDF of the note's current state, kept: the one already kept, or rendered, stored and
/// recorded now (then its bytes come along).
pub(crate) async fn keep_note_pdf(st: &AppState, r: &RequestRec, by: &AuditBy) -> AppResult<(NotePdfRec, Option<Vec<u8>>)> {
    let (doc, at, state) = note_of(st, r).await?;
    if let Some(kept) = st.store.note_pdfs(r.id).await?.into_iter().find(|p| p.seq == state.seq) {
        return Ok((kept, None));
    }
    let logo = st.config.logo.clone();
    let bytes = typeset(move || iop_documents::note_pdf(&doc, logo.as_ref(), at)).await?;
    let sha256 = st.blobs.put(&bytes).await.map_err(|e| {
        tracing::error!(error = %e, "no se pudo guardar el PDF de la nota");
        AppError::internal()
    })?;
    let rec = NotePdfRec {
        seq: state.seq,
        revision: state.revision,
        stage: state.stage.to_owned(),
        sha256,
        size: bytes.len() as i64,
        created_at: st.now(),
    };
    let kept = st.store.keep_note_pdf(r.id, &rec, by).await?;
    // Two renderings of one state give the same bytes; if another got there first, it is the same.
    Ok((kept, Some(bytes)))
}

/// Runs a typesetting job off the async threads.
async fn typeset(job: impl FnOnce() -> Result<Vec<u8>, iop_documents::DocError> + Send + 'static) -> AppResult<Vec<u8>> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "la composición del documento se interrumpió");
            AppError::internal()
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "no se pudo componer el documento");
            AppError::internal()
        })
}

/// The note's current version and the history entries that gave it its state.
pub(crate) struct CurrentNote<'a> {
    pub submitted: Option<&'a HistoryRec>,
    pub adas: Option<&'a HistoryRec>,
    pub upat: Option<&'a HistoryRec>,
}

impl<'a> CurrentNote<'a> {
    /// The current version runs from its last submission: approvals of earlier versions (before an
    /// observation sent it back) do not count, nor approvals a return undid.
    pub fn of(history: &'a [HistoryRec], facts: &Facts) -> Self {
        let from = history.iter().rposition(|h| h.action == ActionKind::ElaborarNota).unwrap_or(0);
        let current = history.get(from..).unwrap_or_default();
        let approval = |action: ActionKind, by: Option<UserId>| -> Option<&'a HistoryRec> {
            let by = by?;
            current.iter().rev().find(|h| h.action == action && h.actor == by)
        };
        Self {
            submitted: current.first().filter(|h| h.action == ActionKind::ElaborarNota),
            adas: approval(ActionKind::AprobarNotaAdas, facts.adas_approver),
            upat: approval(ActionKind::AprobarNotaUpat, facts.upat_approver),
        }
    }

    /// The entry that brought the note to its state: its submission or its latest approval.
    pub fn last(&self) -> Option<&'a HistoryRec> {
        [self.submitted, self.adas, self.upat].into_iter().flatten().max_by_key(|h| h.seq)
    }

    /// elaborada, aprobada_adas or aprobada_upat.
    pub fn stage(&self) -> &'static str {
        match (self.adas, self.upat) {
            (_, Some(_)) => "aprobada_upat",
            (Some(_), None) => "aprobada_adas",
            (None, None) => "elaborada",
        }
    }
}

/// Which state of the note a PDF shows.
struct NoteState {
    seq: i64,
    revision: i64,
    stage: &'static str,
}

/// A verification code as people read it: groups of four, upper case.
pub fn display_code(hex: &str) -> String {
    hex.to_ascii_uppercase()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The subject line of a request's documents.
pub(crate) fn subject(r: &RequestRec) -> String {
    let kind = match r.content.kind {
        RequestKind::Consumo => "Consumo",
        RequestKind::Publicacion => "Publicación",
        RequestKind::Ambos => "Consumo y publicación",
    };
    format!("{kind} de servicios de interoperabilidad — solicitud {}", r.code.as_str())
}

/// The grants step 4 gave a request that still stand (not revoked).
async fn active_grants(st: &AppState, request: iop_domain::RequestId) -> AppResult<Vec<iop_store::GrantRec>> {
    Ok(st
        .store
        .grants_of_request(request)
        .await?
        .into_iter()
        .filter(|g| g.revoked_at.is_none())
        .collect())
}

/// Keeps what the Líder is writing at step 5 (the page saves it as they type): refused to anyone
/// who could not submit the note now. Empty fields are kept empty. Returns when it was saved.
pub async fn save_note_draft(st: &AppState, user: &UserRec, raw: &str, body: &str, recommendations: &str) -> AppResult<OffsetDateTime> {
    let r = load_visible(st, user, raw).await?;
    iop_domain::may_draft_note(&r.facts, &user.actor())?;
    let text = |name: &str, t: &str| {
        if t.trim().is_empty() {
            Ok(None)
        } else {
            iop_domain::Text::parse(t).map(Some).map_err(|i| AppError::invalid(name, i))
        }
    };
    let draft = iop_store::NoteDraftRec {
        body: text("nota.cuerpo", body)?,
        recommendations: text("nota.recomendaciones", recommendations)?,
        saved_by: user.id,
        saved_at: st.now(),
    };
    st.store.save_note_draft(r.id, &draft).await?;
    Ok(draft.saved_at)
}

/// The text step 5's form starts from (the Líder edits it): the draft being written, if any;
/// once the note exists, its current version (a revision starts from what was returned); before,
/// a first draft from the request and what step 4 did — the activities in one paragraph and the
/// usual recommendations. The PDF lists what step 4 did, line by line, after the body.
pub async fn note_draft(st: &AppState, r: &RequestRec) -> AppResult<(String, String)> {
    if let Some(d) = st.store.note_draft(r.id).await? {
        let text = |t: &Option<iop_domain::Text>| t.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default();
        return Ok((text(&d.body), text(&d.recommendations)));
    }
    if let Some(n) = &r.note {
        return Ok((
            n.body.as_str().to_owned(),
            n.recommendations.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default(),
        ));
    }
    let unit = st.store.get_unit(r.facts.unit).await?.map_or_else(String::new, |u| {
        format!(" de la unidad {} ({})", u.nombre.as_str(), u.sigla.as_str())
    });
    let mut done = Vec::new();
    if !r.content.publications.is_empty() {
        let names: Vec<String> = r
            .content
            .publications
            .iter()
            .map(|p| format!("{} v{}", p.code.as_str(), p.version.get()))
            .collect();
        done.push(format!(
            "se publicaron en la Plataforma de Interoperabilidad los servicios {}, con su conector y su descripción",
            names.join(", ")
        ));
    }
    let grants = active_grants(st, r.id).await?;
    if let Some(first) = grants.first() {
        let system = system_label(st, first.spec.system).await?;
        let n = grants.len();
        done.push(format!(
            "se habilitó el acceso del sistema {system} a {} en la pasarela, con sus credenciales, que la unidad solicitante retira en la plataforma",
            if n == 1 { "un servicio".to_owned() } else { format!("{n} servicios") }
        ));
    }
    let body = format!(
        "En atención a la solicitud {}{unit}, el equipo de ADAS informa que {}.",
        r.code.as_str(),
        if done.is_empty() {
            "se atendió lo solicitado".to_owned()
        } else {
            done.join("; y ")
        }
    );
    let recommendations = if grants.is_empty() {
        "Que la entidad publicadora mantenga disponible el servicio y comunique a ADAS todo cambio de su dirección o su descripción."
    } else {
        "Que la unidad solicitante retire las credenciales en la plataforma, las resguarde y no las comparta, y que solicite su revocación ante cualquier sospecha de compromiso."
    };
    Ok((body, recommendations.to_owned()))
}

/// The post a hand-over was made in: the role, or, acting in someone's place (a suplencia), the
/// role «a.i.» and whom the actor replaced.
fn post_of(h: &HistoryRec, role: Role) -> String {
    match &h.acting_for_name {
        Some(name) => format!("{} a.i. (en lugar de {name})", role.label_es()),
        None => role.label_es().to_owned(),
    }
}

/// What the note shows, its last event (the PDF's date) and which state that is.
async fn note_of(st: &AppState, r: &RequestRec) -> AppResult<(Note, OffsetDateTime, NoteState)> {
    let note = r.note.as_ref().ok_or_else(|| AppError::of("no_encontrado.nota", &[]))?;
    let history = st.store.history(r.id).await?;
    let current = CurrentNote::of(&history, &r.facts);
    let last = current.last();
    let at = last.map_or(r.updated_at, |h| h.at);
    let state = NoteState {
        seq: last.map_or(0, |h| h.seq),
        revision: note.revision,
        stage: current.stage(),
    };
    let author = match (current.submitted, r.facts.note_author) {
        (Some(h), _) => Some(h.actor_name.clone()),
        (None, Some(id)) => st.store.get_user(id).await?.map(|u| u.nombre.as_str().to_owned()),
        (None, None) => None,
    };
    // A and VÍA: the heads of UPAT and ADAS as the Administrador named them; without one, whoever
    // approved for the unit, with the role's name.
    let head = |sigla: &'static str| async move {
        let sigla = iop_domain::Sigla::parse(sigla).map_err(|_| AppError::internal())?;
        Ok::<_, AppError>(st.store.unit_by_sigla(&sigla).await?.and_then(|u| u.head))
    };
    let (upat_head, adas_head) = (head("UPAT").await?, head("ADAS").await?);
    let person = |head: Option<&iop_store::UnitHead>, name: Option<&HistoryRec>, role: Role| match head {
        Some(h) => Person {
            nombre: Some(h.name.as_str().to_owned()),
            cargo: h.title.as_str().to_owned(),
        },
        None => Person {
            nombre: name.map(|h| h.actor_name.clone()),
            cargo: role.label_es().to_owned(),
        },
    };
    let approved = |step: u8, h: Option<&HistoryRec>, role: Role| Approval {
        paso: step,
        cargo: h.map_or_else(|| role.label_es().to_owned(), |h| post_of(h, role)),
        nombre: h.map(|h| h.actor_name.clone()),
        fecha: h.map(|h| fmt_local_minute(h.at)),
    };
    let verificacion = match (&st.config.verification_url, note.verification.is_empty()) {
        (Some(base), false) => Some(iop_documents::Verification {
            codigo: display_code(&note.verification),
            url: format!("{base}/v/{}", note.verification),
        }),
        _ => None,
    };
    let doc = Note {
        entidad: st.config.agency.clone(),
        cite: note.number.as_str().to_owned(),
        solicitud: r.code.as_str().to_owned(),
        version: note.revision,
        sha256: note.sha256(&r.code),
        a: person(upat_head.as_ref(), current.upat, Role::JefeUpat),
        via: person(adas_head.as_ref(), current.adas, Role::ResponsableAdas),
        de: Person {
            nombre: author,
            cargo: Role::LiderAdas.label_es().to_owned(),
        },
        referencia: subject(r),
        fecha: iop_documents::long_date(current.submitted.map_or(at, |h| h.at).to_offset(LA_PAZ).date()),
        cuerpo: note.body.as_str().to_owned(),
        recomendaciones: note.recommendations.as_ref().map(|t| t.as_str().to_owned()),
        habilitado: enabled(st, r).await?,
        aprobaciones: vec![
            approved(6, current.adas, Role::ResponsableAdas),
            approved(7, current.upat, Role::JefeUpat),
        ],
        papel: st.config.paper,
        verificacion,
    };
    Ok((doc, at, state))
}

/// The request's hoja de ruta as a PDF: every hand-over so far.
pub async fn routing_slip_pdf(st: &AppState, user: &UserRec, raw: &str) -> AppResult<Pdf> {
    let r = load_visible(st, user, raw).await?;
    let history = st.store.history(r.id).await?;
    let web = iop_i18n::web();
    let label = |prefix: &str, name: &str| web.text(Lang::Es, &format!("{prefix}{name}"), &[]);
    let mut pasos = Vec::with_capacity(history.len());
    for h in &history {
        pasos.push(Hop {
            n: h.seq,
            fecha: fmt_local_minute(h.at),
            por: Person {
                nombre: Some(h.actor_name.clone()),
                cargo: post_of(h, h.role),
            },
            accion: label("accion-", h.action.as_str()),
            desde: label("estado-", h.from.as_str()),
            hacia: label("estado-", h.to.as_str()),
            para: holder_words(st, &h.to_holder).await?,
            comentario: h.comment.clone(),
        });
    }
    let at = history.last().map_or(r.created_at, |h| h.at);
    let unit = st.store.get_unit(r.facts.unit).await?;
    let slip = RoutingSlip {
        entidad: st.config.agency.clone(),
        solicitud: r.code.as_str().to_owned(),
        tipo: web.text(Lang::Es, &format!("tipo-{}", r.content.kind.as_str()), &[]),
        unidad: unit.map_or_else(
            || r.facts.unit.to_string(),
            |u| format!("{} — {}", u.sigla.as_str(), u.nombre.as_str()),
        ),
        asunto: subject(&r),
        cite: r.note.as_ref().map(|n| n.number.as_str().to_owned()),
        estado: label("estado-", r.facts.state.as_str()),
        fecha: fmt_local_minute(at),
        pasos,
        papel: st.config.paper,
    };
    let logo = st.config.logo.clone();
    let bytes = typeset(move || iop_documents::routing_slip_pdf(&slip, logo.as_ref(), at)).await?;
    Ok(Pdf {
        filename: format!("hoja-de-ruta-{}.pdf", r.code.as_str()),
        bytes,
    })
}

/// Whom a hand-over went to, in words (the history keeps `jefe_upat`, `lider_adas:<id>`,
/// `unidad:<id>`, `autor:<id>` or `nadie`).
async fn holder_words(st: &AppState, label: &str) -> AppResult<String> {
    let user = |id: &str| UserId::parse(id).ok();
    Ok(match label.split_once(':') {
        None if label == "nadie" => "— (trámite cerrado)".to_owned(),
        None => Role::parse(label).map_or_else(|_| label.to_owned(), |r| r.label_es().to_owned()),
        Some(("unidad", id)) => match UnitId::parse(id).ok() {
            Some(u) => match st.store.get_unit(u).await? {
                Some(u) => format!("Unidad solicitante: {}", u.sigla.as_str()),
                None => label.to_owned(),
            },
            None => label.to_owned(),
        },
        Some((kind, id)) => {
            let name = match user(id) {
                Some(u) => st.store.get_user(u).await?.map(|u| u.nombre.as_str().to_owned()),
                None => None,
            };
            let role = if kind == "lider_adas" { Role::LiderAdas } else { Role::Solicitante };
            match name {
                Some(n) => format!("{n}, {}", role.label_es()),
                None => role.label_es().to_owned(),
            }
        }
    })
}

/// What step 4 did, one line each: the services published and the accesses granted (never a
/// credential: those go to the consuming unit through the platform).
async fn enabled(st: &AppState, r: &RequestRec) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = r
        .content
        .publications
        .iter()
        .map(|p| format!("Servicio publicado: {} v{} — {}", p.code.as_str(), p.version.get(), p.name.as_str()))
        .collect();
    let grants = active_grants(st, r.id).await?;
    let services: Vec<_> = grants.iter().map(|g| g.spec.service).collect();
    let labels = service_labels(st, &services).await?;
    for (g, (_, service)) in grants.iter().zip(labels) {
        let s = &g.spec;
        let system = system_label(st, s.system).await?;
        let operations = match &s.operations {
            None => "todas sus operaciones".to_owned(),
            Some(ops) => format!("operaciones {}", ops.join(", ")),
        };
        let until = s
            .valid_until
            .map_or_else(|| "sin fecha de fin".to_owned(), |d| format!("hasta el {}", fmt_date(d)));
        let rate = s.rate.map_or_else(String::new, |r| {
            format!("; hasta {} llamadas por segundo (ráfaga {})", r.per_second, r.burst)
        });
        out.push(format!(
            "Acceso del sistema {system} al servicio {service}: {operations}; desde el {} {until}{rate}",
            fmt_date(s.valid_from)
        ));
    }
    if !grants.is_empty() {
        out.push("Las credenciales se entregan a la unidad solicitante por la plataforma; ninguna figura en esta nota.".to_owned());
    }
    Ok(out)
}

/// A service's OpenAPI description filtered to what a request's step 4 granted: only the granted
/// operations, the gateway's production and sandbox addresses as its servers, and the gateway's
/// two ways to authenticate (the publisher's own security schemes are the upstream's, which the
/// gateway adds itself, so they are left out). Returns a file name and the document.
pub async fn granted_openapi(st: &AppState, user: &UserRec, raw: &str, service_raw: &str) -> AppResult<(String, serde_json::Value)> {
    use serde_json::{Value, json};
    let r = load_visible(st, user, raw).await?;
    let service = crate::error::path_id(service_raw, iop_domain::ServiceId::parse)?;
    let grants: Vec<_> = st
        .store
        .grants_of_request(r.id)
        .await?
        .into_iter()
        .filter(|g| g.revoked_at.is_none() && g.spec.service == service)
        .collect();
    let not_found = || AppError::of("no_encontrado.servicio", &[]);
    let first = grants.first().ok_or_else(not_found)?;
    let svc = st.store.get_service(service).await?.ok_or_else(not_found)?;
    let text = st
        .store
        .description(service)
        .await?
        .ok_or_else(|| AppError::of("no_encontrado.descripcion", &[]))?;
    let mut doc = crate::openapi_import::read_kept(text, std::time::Duration::from_secs(30))
        .await
        .map_err(|e: crate::openapi_import::Item| {
            tracing::error!(error = %e.text(iop_i18n::Lang::Es), at = %e.at, "la descripción guardada de un servicio no se lee");
            AppError::internal()
        })?;
    // Every operation when one grant names none; else those any grant names.
    let all = grants.iter().any(|g| g.spec.operations.is_none());
    let named: std::collections::BTreeSet<String> = grants.iter().flat_map(|g| g.spec.operations.clone().unwrap_or_default()).collect();
    crate::openapi_import::keep_operations(&mut doc, |id| all || named.contains(id));
    let mut doc = serde_json::to_value(&doc).map_err(|_| AppError::internal())?;
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                op.remove("security");
            }
        }
    }
    let gateway = st.config.gateway_url.clone().unwrap_or_default();
    let base = st
        .store
        .connector(service)
        .await?
        .map(|c| c.base_path.trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let system = system_label(st, first.spec.system).await?;
    let s = &first.spec;
    let Some(d) = doc.as_object_mut() else {
        return Err(AppError::internal());
    };
    d.insert(
        "servers".into(),
        json!([
            {"url": format!("{gateway}{base}"), "description": "Producción: la pasarela de la plataforma"},
            {"url": format!("{gateway}/fake{base}"), "description": "Sandbox: respuestas de ejemplo de esta descripción, sin datos reales"}
        ]),
    );
    let mut components = d.get("components").cloned().unwrap_or_else(|| json!({}));
    if let Some(c) = components.as_object_mut() {
        c.insert(
            "securitySchemes".into(),
            json!({
                "apikey": {"type": "apiKey", "in": "header", "name": "apikey",
                           "description": "La clave de API entregada a la unidad solicitante en el paso 4."},
                "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                        "description": "JWT HS256 firmado con el secreto entregado en el paso 4; su «iss» es la clave (key) de la credencial."}
            }),
        );
    }
    d.insert("components".into(), components);
    d.insert("security".into(), json!([{"apikey": []}, {"jwt": []}]));
    d.insert(
        "x-iop-acceso".into(),
        json!({
            "solicitud": r.code.as_str(),
            "sistema": system,
            "servicio": format!("{} v{}", svc.code.as_str(), svc.version.get()),
            "desde": fmt_date(s.valid_from),
            "hasta": s.valid_until.map(fmt_date),
            "limite_por_segundo": s.rate.map(|r| r.per_second),
            "rafaga": s.rate.map(|r| r.burst),
        }),
    );
    let filename = format!("openapi-{}-v{}-{}.json", svc.code.as_str(), svc.version.get(), r.code.as_str());
    Ok((filename, doc))
}

/// The services a request's step 4 granted (live grants), labelled, for their access
/// documentation.
pub async fn granted_services(st: &AppState, r: &RequestRec) -> AppResult<Vec<(iop_domain::ServiceId, String)>> {
    let mut ids: Vec<_> = st
        .store
        .grants_of_request(r.id)
        .await?
        .into_iter()
        .filter(|g| g.revoked_at.is_none())
        .map(|g| g.spec.service)
        .collect();
    ids.sort_unstable_by_key(|id| id.to_string());
    ids.dedup();
    service_labels(st, &ids).await
}

pub use iop_documents::{AccessDoc, AccessOperation, AccessService, ErrorCode};

/// The access documentation of the system a consumption request was granted for, as a PDF (see
/// [`access_doc`]).
pub async fn access_pdf(st: &AppState, user: &UserRec, raw: &str) -> AppResult<Pdf> {
    let (doc, at) = access_doc(st, user, raw).await?;
    let filename = format!("documentacion-de-acceso-{}.pdf", doc.solicitud);
    let logo = st.config.logo.clone();
    let bytes = typeset(move || iop_documents::access_pdf(&doc, logo.as_ref(), at)).await?;
    Ok(Pdf { filename, bytes })
}

/// The access documentation of the system a consumption request was granted for, and the
/// enablement it describes: its granted services and operations, their production and sandbox
/// addresses, how to authenticate (placeholders, never a secret), limits, the gateway's error
/// codes and calls to try. The PDF and the web page show the same.
pub async fn access_doc(st: &AppState, user: &UserRec, raw: &str) -> AppResult<(AccessDoc, OffsetDateTime)> {
    let r = load_visible(st, user, raw).await?;
    let grants = active_grants(st, r.id).await?;
    let first = grants
        .first()
        .ok_or_else(|| AppError::of("no_encontrado.credenciales-de-solicitud", &[]))?;
    let gateway = st.config.gateway_url.clone().unwrap_or_default();
    let mut servicios = Vec::new();
    for g in &grants {
        let s = &g.spec;
        let Some(svc) = st.store.get_service(s.service).await? else {
            continue;
        };
        let base = st
            .store
            .connector(s.service)
            .await?
            .map(|c| c.base_path.trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let operaciones: Vec<AccessOperation> = st
            .store
            .operations(s.service)
            .await?
            .into_iter()
            .filter(|o| s.operations.as_ref().is_none_or(|ops| ops.contains(&o.op_id)))
            .map(|o| AccessOperation {
                metodo: o.method,
                ruta: o.path,
                id: o.op_id,
                resumen: o.summary,
            })
            .collect();
        let produccion = format!("{gateway}{base}");
        let ejemplo = match operaciones.first() {
            Some(o) => format!(
                "curl -X {} -H \"apikey: <SU_CLAVE_DE_API>\" \"{produccion}{}\"\ncurl -X {} -H \"apikey: <SU_CLAVE_DE_API>\" \"{gateway}/fake{base}{}\"",
                o.metodo.to_uppercase(),
                o.ruta,
                o.metodo.to_uppercase(),
                o.ruta
            ),
            None => format!("curl -H \"apikey: <SU_CLAVE_DE_API>\" \"{produccion}/\""),
        };
        servicios.push(AccessService {
            nombre: format!("{} v{} — {}", svc.code.as_str(), svc.version.get(), svc.nombre.as_str()),
            sandbox: format!("{gateway}/fake{base}"),
            produccion,
            vigencia: match s.valid_until {
                Some(d) => format!("del {} al {}", fmt_date(s.valid_from), fmt_date(d)),
                None => format!("desde el {}, sin fecha de fin", fmt_date(s.valid_from)),
            },
            limite: s.rate.map(|r| {
                format!(
                    "{} llamadas por segundo (ráfaga de {}); más allá, 429 limite_excedido",
                    r.per_second, r.burst
                )
            }),
            operaciones,
            ejemplo,
        });
    }
    let credenciales = crate::accesses::of_request(st, &r)
        .await?
        .iter()
        .flat_map(|d| d.credentials.iter())
        .map(|c| match c.tipo.as_str() {
            "apikey" => format!("Clave de API que empieza por «{}»", c.prefijo),
            "jwt_hs256" => format!("JWT HS256 con secreto compartido ({})", c.prefijo),
            other => format!(
                "JWT {} con la clave pública registrada ({})",
                other.trim_start_matches("jwt_").to_uppercase(),
                c.prefijo
            ),
        })
        .collect();
    let errores = iop_gateway::Refusal::ALL
        .iter()
        .filter(|e| !matches!(e, iop_gateway::Refusal::AgregadoSinCredencial))
        .map(|e| ErrorCode {
            codigo: e.code().to_owned(),
            estado: e.status().as_u16(),
            significado: e.message(iop_i18n::Lang::Es).to_owned(),
        })
        .collect();
    let at = first.created_at;
    let unit = st.store.get_unit(r.facts.unit).await?;
    let doc = AccessDoc {
        entidad: st.config.agency.clone(),
        solicitud: r.code.as_str().to_owned(),
        sistema: system_label(st, first.spec.system).await?,
        unidad: unit.map_or_else(
            || r.facts.unit.to_string(),
            |u| format!("{} — {}", u.sigla.as_str(), u.nombre.as_str()),
        ),
        fecha: iop_documents::long_date(at.to_offset(LA_PAZ).date()),
        credenciales,
        servicios,
        errores,
        papel: st.config.paper,
    };
    Ok((doc, at))
}
