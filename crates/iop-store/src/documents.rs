//! The Nota Interna's documents: its versions (each submission of step 5), the PDFs rendered of
//! them (one per version and stage, kept), the copies signed outside the platform, the year's register of numbers, and the lookup by verification code that the public
//! verification page starts from.

use crate::{AuditBy, CiteRec, NoteDraftRec, NotePdfRec, NoteVersionRec, RequestRec, SignedNoteRec, StoreResult};
use async_trait::async_trait;
use iop_domain::*;

#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// The note's versions, oldest first.
    async fn note_versions(&self, request: RequestId) -> StoreResult<Vec<NoteVersionRec>>;
    /// The PDFs kept of the note's versions, oldest first.
    async fn note_pdfs(&self, request: RequestId) -> StoreResult<Vec<NotePdfRec>>;
    /// Keeps a rendered PDF (its bytes already in the blob store) and records its SHA-256 in the
    /// audit log, in one transaction. A PDF already kept for that state (`seq`) stays: the answer
    /// is the one kept.
    async fn keep_note_pdf(&self, request: RequestId, pdf: &NotePdfRec, by: &AuditBy) -> StoreResult<NotePdfRec>;
    /// The signed copies filed of the note, oldest first.
    async fn signed_notes(&self, request: RequestId) -> StoreResult<Vec<SignedNoteRec>>;
    /// Files a signed copy (its bytes already in the blob store) as the next one, and records it in
    /// the audit log, in one transaction. `n` is given by the store.
    async fn file_signed_note(&self, request: RequestId, signed: &SignedNoteRec, by: &AuditBy) -> StoreResult<SignedNoteRec>;
    /// The note's draft, if one is being written.
    async fn note_draft(&self, request: RequestId) -> StoreResult<Option<NoteDraftRec>>;
    /// Keeps the note's draft in place of the one before (submitting the note removes it).
    async fn save_note_draft(&self, request: RequestId, draft: &NoteDraftRec) -> StoreResult<()>;
    /// Every number given to a note in `year` (La Paz time), in the order given.
    async fn cite_register(&self, year: i32) -> StoreResult<Vec<CiteRec>>;
    /// The request whose note carries this verification code (lowercase hex).
    async fn request_by_verification(&self, code: &str) -> StoreResult<Option<RequestRec>>;
}
