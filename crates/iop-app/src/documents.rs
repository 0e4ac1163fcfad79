//! The procedure's documents, from what the store holds: today the Nota Interna as a PDF (PR05,
//! steps 5 to 7). Whoever may see the request may read its note; the PDF shows the note's current
//! version, what step 4 did (never a secret) and the approvals given to that version.

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::service::{load_visible, service_labels, system_label};
use iop_documents::{Approval, Note, Person};
use iop_domain::calendar::{LA_PAZ, fmt_date, fmt_local_minute};
use iop_domain::{ActionKind, RequestKind, Role};
use iop_store::{HistoryRec, RequestRec, UserRec};
use time::OffsetDateTime;

/// The agency whose procedure this is, above every note's title.
pub const AGENCY: &str = "Agencia de Gobierno Electrónico y Tecnologías de Información y Comunicación";

/// A generated document.
pub struct Pdf {
    /// A file name to save it as.
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// The request's Nota Interna as a PDF, as it stands: the same state gives the same bytes.
pub async fn note_pdf(st: &AppState, user: &UserRec, raw: &str) -> AppResult<Pdf> {
    let r = load_visible(st, user, raw).await?;
    let (doc, at) = note_of(st, &r).await?;
    let filename = format!("nota-interna-{}.pdf", r.code.as_str());
    let bytes = tokio::task::spawn_blocking(move || iop_documents::note_pdf(&doc, at))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "la composición de la nota se interrumpió");
            AppError::internal()
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "no se pudo componer la nota");
            AppError::internal()
        })?;
    Ok(Pdf { filename, bytes })
}

/// What the note shows, and its last event (the PDF's date).
async fn note_of(st: &AppState, r: &RequestRec) -> AppResult<(Note, OffsetDateTime)> {
    let note = r.note.as_ref().ok_or_else(|| AppError::of("no_encontrado.nota", &[]))?;
    let history = st.store.history(r.id).await?;
    // The current version runs from its last submission: approvals of earlier versions (before
    // an observation sent it back) do not count.
    let from = history.iter().rposition(|h| h.action == ActionKind::ElaborarNota).unwrap_or(0);
    let current = history.get(from..).unwrap_or_default();
    let submitted = current.first().filter(|h| h.action == ActionKind::ElaborarNota);
    let approval = |action: ActionKind, by: Option<iop_domain::UserId>| -> Option<&HistoryRec> {
        let by = by?;
        current.iter().rev().find(|h| h.action == action && h.actor == by)
    };
    let adas = approval(ActionKind::AprobarNotaAdas, r.facts.adas_approver);
    let upat = approval(ActionKind::AprobarNotaUpat, r.facts.upat_approver);
    let at = [submitted, adas, upat]
        .into_iter()
        .flatten()
        .map(|h| h.at)
        .max()
        .unwrap_or(r.updated_at);
    let author = match (submitted, r.facts.note_author) {
        (Some(h), _) => Some(h.actor_name.clone()),
        (None, Some(id)) => st.store.get_user(id).await?.map(|u| u.nombre.as_str().to_owned()),
        (None, None) => None,
    };
    let person = |name: Option<&HistoryRec>, role: Role| Person {
        nombre: name.map(|h| h.actor_name.clone()),
        cargo: role.label_es().to_owned(),
    };
    let approved = |step: u8, h: Option<&HistoryRec>, role: Role| Approval {
        paso: step,
        cargo: role.label_es().to_owned(),
        nombre: h.map(|h| h.actor_name.clone()),
        fecha: h.map(|h| fmt_local_minute(h.at)),
    };
    let kind = match r.content.kind {
        RequestKind::Consumo => "Consumo",
        RequestKind::Publicacion => "Publicación",
        RequestKind::Ambos => "Consumo y publicación",
    };
    let doc = Note {
        entidad: AGENCY.to_owned(),
        cite: note.number.as_str().to_owned(),
        solicitud: r.code.as_str().to_owned(),
        version: note.revision,
        sha256: note.sha256(&r.code),
        a: person(upat, Role::JefeUpat),
        via: person(adas, Role::ResponsableAdas),
        de: Person {
            nombre: author,
            cargo: Role::LiderAdas.label_es().to_owned(),
        },
        referencia: format!("{kind} de servicios de interoperabilidad — solicitud {}", r.code.as_str()),
        fecha: iop_documents::long_date(submitted.map_or(at, |h| h.at).to_offset(LA_PAZ).date()),
        cuerpo: note.body.as_str().to_owned(),
        recomendaciones: note.recommendations.as_ref().map(|t| t.as_str().to_owned()),
        habilitado: enabled(st, r).await?,
        aprobaciones: vec![approved(6, adas, Role::ResponsableAdas), approved(7, upat, Role::JefeUpat)],
        papel: iop_documents::Paper::A4,
    };
    Ok((doc, at))
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
    let grants: Vec<_> = st
        .store
        .grants_of_request(r.id)
        .await?
        .into_iter()
        .filter(|g| g.revoked_at.is_none())
        .collect();
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
