//! The Nota Interna signed outside the platform (issue 13): once step 7 approved the note, an
//! official who handled it files the copy signed with the national digital-signature client as
//! its definitive version. The file must be a PDF carrying a signature the platform can read; what
//! the signature says of its signer (subject, issuer, validity) and whether its digest holds are
//! kept with it, its SHA-256 goes to the audit log and the public verification page, and the file
//! itself to the document store. The signer is not validated against the national CA.

use crate::AppState;
use crate::documents::Pdf;
use crate::error::{AppError, AppResult};
use crate::pdf_signature::{self, Unreadable};
use crate::service::{load_visible, looks_like_pdf};
use iop_store::{AuditBy, SignedNoteRec, UserRec};

/// Files `bytes` as the signed copy of the request's approved note. Refused, with nothing
/// written: before step 7 (`nota_sin_aprobar`), by anyone but the officials who handled it
/// (`firma_no_permitida`), over `max_upload_bytes` like every uploaded document
/// (`archivo_muy_grande`; the verification page accepts at least as much), not a PDF (`no_es_pdf.firmada`), a PDF without a readable signature
/// (`pdf_sin_firma`).
pub async fn file(st: &AppState, user: &UserRec, raw: &str, bytes: &[u8]) -> AppResult<SignedNoteRec> {
    let r = load_visible(st, user, raw).await?;
    r.facts.may_file_signed_note(&user.actor())?;
    let note = r.note.as_ref().ok_or_else(|| AppError::of("no_encontrado.nota", &[]))?;
    if bytes.len() > st.config.max_upload_bytes {
        return Err(AppError::of("archivo_muy_grande", &[]).field("archivo"));
    }
    if !looks_like_pdf(bytes) {
        return Err(AppError::of("no_es_pdf.firmada", &[]).field("archivo"));
    }
    let sig = pdf_signature::read(bytes).map_err(|e| {
        let code = match e {
            Unreadable::NotPdf => "no_es_pdf.firmada",
            Unreadable::Unsigned => "pdf_sin_firma",
            Unreadable::BadSignature => "pdf_sin_firma.ilegible",
        };
        AppError::of(code, &[]).field("archivo")
    })?;
    let sha256 = st.blobs.put(bytes).await.map_err(|e| {
        tracing::error!(error = %e, "no se pudo guardar la nota firmada");
        AppError::internal()
    })?;
    let rec = SignedNoteRec {
        n: 0,
        revision: note.revision,
        sha256,
        size: bytes.len() as i64,
        subject: sig.subject,
        issuer: sig.issuer,
        serial: sig.serial,
        not_before: sig.not_before,
        not_after: sig.not_after,
        digest_matches: sig.digest_matches,
        covers_whole_file: sig.covers_whole_file,
        filed_by: user.id,
        filed_by_name: user.nombre.as_str().to_owned(),
        filed_at: st.now(),
    };
    Ok(st.store.file_signed_note(r.id, &rec, &AuditBy::user(user)).await?)
}

/// The signed copies filed of the request's note, oldest first (the last is the definitive one).
pub async fn list(st: &AppState, user: &UserRec, raw: &str) -> AppResult<Vec<SignedNoteRec>> {
    let r = load_visible(st, user, raw).await?;
    Ok(st.store.signed_notes(r.id).await?)
}

/// The definitive signed copy, as filed.
pub async fn pdf(st: &AppState, user: &UserRec, raw: &str) -> AppResult<Pdf> {
    let r = load_visible(st, user, raw).await?;
    let last = st
        .store
        .signed_notes(r.id)
        .await?
        .pop()
        .ok_or_else(|| AppError::of("no_encontrado.firmada", &[]))?;
    let bytes = st.blobs.get(&last.sha256).await.map_err(|e| {
        tracing::error!(error = %e, sha256 = %last.sha256, "falta en el almacén de documentos una nota firmada");
        AppError::internal()
    })?;
    Ok(Pdf {
        filename: format!("nota-interna-{}-firmada.pdf", r.code.as_str()),
        bytes,
    })
}
