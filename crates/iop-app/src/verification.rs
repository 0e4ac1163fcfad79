//! Public verification of the Nota Interna (issue 13): anyone holding a note's short code (printed
//! on its PDF, and in its QR code) can see, without an account, exactly its number, date, subject
//! line, status, the approvals of its current version (who, in which role, when) and the hashes of
//! its versions and of the PDFs kept of them — nothing else — and can check a hash or a file
//! against them. Checks are limited per client address.

use crate::AppState;
use crate::documents::{CurrentNote, display_code, subject};
use crate::error::{AppError, AppResult};
use iop_domain::{Role, State};
use iop_store::blobs::sha256_hex;
use std::time::Duration;
use time::OffsetDateTime;

/// What the public verification page shows of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The short code, as printed (`A1B2-C3D4-…`).
    pub code: String,
    pub cite: String,
    /// When its current version was submitted.
    pub date: OffsetDateTime,
    pub subject: String,
    pub status: NoteStatus,
    /// The approvals of the current version, in order.
    pub approvals: Vec<Approved>,
    /// Every version, oldest first.
    pub versions: Vec<VersionLine>,
    /// The copies signed outside the platform, oldest first (the last is the definitive one).
    pub signed: Vec<SignedLine>,
}

/// A signed copy, as the public may know it: its hash and what its signature says of the signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedLine {
    pub revision: i64,
    pub sha256: String,
    pub at: OffsetDateTime,
    pub subject: String,
    pub issuer: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Whether its signed digest is the digest of what the signature covers.
    pub digest_matches: bool,
    /// Whether the signature covers the whole file (nothing added after signing).
    pub covers_whole_file: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    pub step: u8,
    pub role: Role,
    pub name: String,
    pub at: OffsetDateTime,
    /// Whom the approver replaced, when acting in their place (a suplencia).
    pub acting_for: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionLine {
    pub revision: i64,
    pub submitted_at: OffsetDateTime,
    /// The SHA-256 of its canonical content: what approvals bind.
    pub sha256: String,
    /// The PDFs kept of it, one per state it went through.
    pub pdfs: Vec<PdfLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfLine {
    /// elaborada, aprobada_adas or aprobada_upat.
    pub stage: String,
    pub sha256: String,
    pub at: OffsetDateTime,
}

/// Where a note stands, as the public may know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteStatus {
    /// Sent back to its author for changes: no version is approved.
    EnRevision,
    /// Submitted, waiting for ADAS (step 6).
    Elaborada,
    /// Approved by ADAS, waiting for UPAT (step 7).
    AprobadaAdas,
    /// Approved by UPAT, waiting for the requesting unit (step 8).
    AprobadaUpat,
    /// Approved and received: in force.
    Recibida,
    /// Its request was closed without it taking effect.
    Anulada,
}

impl NoteStatus {
    /// Its stable name (the web catalog's `verificacion-estado-<name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            NoteStatus::EnRevision => "en_revision",
            NoteStatus::Elaborada => "elaborada",
            NoteStatus::AprobadaAdas => "aprobada_adas",
            NoteStatus::AprobadaUpat => "aprobada_upat",
            NoteStatus::Recibida => "recibida",
            NoteStatus::Anulada => "anulada",
        }
    }

    fn of(state: State) -> Self {
        match state {
            State::NotaElaborada => NoteStatus::Elaborada,
            State::NotaAprobadaAdas => NoteStatus::AprobadaAdas,
            State::NotaAprobadaUpat => NoteStatus::AprobadaUpat,
            State::Recibida => NoteStatus::Recibida,
            State::Rechazada | State::Desistida => NoteStatus::Anulada,
            _ => NoteStatus::EnRevision,
        }
    }
}

/// What a presented hash or file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The canonical content of this version.
    Version { revision: i64 },
    /// A PDF the platform produced of this version, in this state.
    Pdf { revision: i64, stage: String },
    /// A copy of this version signed outside the platform, filed as definitive.
    Signed { revision: i64 },
    /// Nothing this note ever was.
    None,
}

/// A code as typed or scanned: case, spaces and dashes do not matter; anything else is no code.
pub fn parse_code(raw: &str) -> Option<String> {
    let hex: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (hex.len() == 20 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// The note behind a code.
pub async fn verify(st: &AppState, raw_code: &str) -> AppResult<Verified> {
    let not_found = || AppError::of("no_encontrado.verificacion", &[]);
    let code = parse_code(raw_code).ok_or_else(not_found)?;
    let r = st.store.request_by_verification(&code).await?.ok_or_else(not_found)?;
    let note = r.note.as_ref().ok_or_else(not_found)?;
    let history = st.store.history(r.id).await?;
    let current = CurrentNote::of(&history, &r.facts);
    let versions = st.store.note_versions(r.id).await?;
    let pdfs = st.store.note_pdfs(r.id).await?;
    let signed = st
        .store
        .signed_notes(r.id)
        .await?
        .into_iter()
        .map(|s| SignedLine {
            revision: s.revision,
            sha256: s.sha256,
            at: s.filed_at,
            subject: s.subject,
            issuer: s.issuer,
            not_before: s.not_before,
            not_after: s.not_after,
            digest_matches: s.digest_matches,
            covers_whole_file: s.covers_whole_file,
        })
        .collect();
    let approvals = [(6, Role::ResponsableAdas, current.adas), (7, Role::JefeUpat, current.upat)]
        .into_iter()
        .filter_map(|(step, role, h)| {
            h.map(|h| Approved {
                step,
                role,
                name: h.actor_name.clone(),
                at: h.at,
                acting_for: h.acting_for_name.clone(),
            })
        })
        .collect();
    let versions = versions
        .iter()
        .map(|v| VersionLine {
            revision: v.revision,
            submitted_at: v.submitted_at,
            sha256: v.sha256(&r.code),
            pdfs: pdfs
                .iter()
                .filter(|p| p.revision == v.revision)
                .map(|p| PdfLine {
                    stage: p.stage.clone(),
                    sha256: p.sha256.clone(),
                    at: p.created_at,
                })
                .collect(),
        })
        .collect();
    Ok(Verified {
        code: display_code(&code),
        cite: note.number.as_str().to_owned(),
        date: current.submitted.map_or(r.updated_at, |h| h.at),
        subject: subject(&r),
        status: NoteStatus::of(r.facts.state),
        approvals,
        versions,
        signed,
    })
}

impl Verified {
    /// What a SHA-256 (hex) is of this note.
    pub fn find(&self, sha256: &str) -> Match {
        for v in &self.versions {
            if v.sha256.eq_ignore_ascii_case(sha256) {
                return Match::Version { revision: v.revision };
            }
            if let Some(p) = v.pdfs.iter().find(|p| p.sha256.eq_ignore_ascii_case(sha256)) {
                return Match::Pdf {
                    revision: v.revision,
                    stage: p.stage.clone(),
                };
            }
        }
        match self.signed.iter().find(|s| s.sha256.eq_ignore_ascii_case(sha256)) {
            Some(s) => Match::Signed { revision: s.revision },
            None => Match::None,
        }
    }
}

/// What was presented to check.
pub enum Presented<'a> {
    /// A SHA-256 as typed.
    Hash(&'a str),
    /// A file's bytes.
    File(&'a [u8]),
}

/// Checks a hash or a file against the note behind a code. Each address may check
/// `verifications_per_minute` times a minute; a file is at most `max_verification_bytes`.
/// Returns the note, the hash checked and what it is.
pub async fn check(
    st: &AppState,
    raw_code: &str,
    presented: Presented<'_>,
    address: Option<std::net::IpAddr>,
) -> AppResult<(Verified, String, Match)> {
    let key = format!("verificar:{}", address.map(|a| a.to_string()).unwrap_or_default());
    let (now, window) = (st.now(), Duration::from_secs(60));
    if st.throttle.check(&key, st.config.verifications_per_minute, window, now).is_err() {
        return Err(AppError::of("demasiadas_comprobaciones", &[]));
    }
    st.throttle.fail(&key, now, window);
    let sha = match presented {
        Presented::Hash(h) => {
            let h = h.trim().to_ascii_lowercase();
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(AppError::of("hash_invalido", &[]).field("sha256"));
            }
            h
        }
        Presented::File(bytes) => {
            if bytes.len() > st.config.max_verification_bytes {
                return Err(AppError::of("archivo_muy_grande", &[]).field("archivo"));
            }
            sha256_hex(bytes)
        }
    };
    let v = verify(st, raw_code).await?;
    let found = v.find(&sha);
    Ok((v, sha, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_typed_or_scanned() {
        assert_eq!(parse_code("0A1B-2C3D-4E5F-6071-8293").as_deref(), Some("0a1b2c3d4e5f60718293"));
        assert_eq!(parse_code(" 0a1b 2c3d 4e5f 6071 8293 ").as_deref(), Some("0a1b2c3d4e5f60718293"));
        for bad in [
            "",
            "0A1B-2C3D",
            "0A1B-2C3D-4E5F-6071-829G",
            "0A1B/2C3D/4E5F/6071/8293",
            "0a1b2c3d4e5f607182931",
        ] {
            assert_eq!(parse_code(bad), None, "{bad}");
        }
        assert_eq!(display_code("0a1b2c3d4e5f60718293"), "0A1B-2C3D-4E5F-6071-8293");
    }
}
