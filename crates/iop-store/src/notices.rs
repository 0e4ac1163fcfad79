//! Notices: the users' addresses and choices, and the queue of notices to deliver (which is also
//! the delivery log). Notices are queued with the transition that causes them
//! ([`crate::TransitionCommit::notices`]).

use crate::{AuditBy, StoreResult};
use async_trait::async_trait;
use iop_domain::{GrantId, UserId};
use time::OffsetDateTime;

/// A user's address for notices and the kinds they receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub user: UserId,
    pub email: Option<String>,
    /// `turno`, `observacion`, `accesos`, `resumen`.
    pub kinds: Vec<String>,
}

/// A notice to deliver, or delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRec {
    pub id: String,
    /// `correo` or `webhook`.
    pub channel: String,
    /// An e-mail address or a webhook's URL.
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    /// The text of an e-mail; the JSON of a webhook.
    pub body: String,
    pub request_code: Option<String>,
    pub created_at: OffsetDateTime,
    pub attempts: i64,
    pub next_attempt_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Every active user's address and choices.
    async fn contacts(&self) -> StoreResult<Vec<Contact>>;
    /// Sets a user's address (none: no e-mail) and choices, audited as `usuario.avisos`.
    async fn set_contact(&self, c: &Contact, by: &AuditBy, at: OffsetDateTime) -> StoreResult<()>;
    /// The notices not yet delivered whose next attempt is due at `now`, oldest first.
    async fn due_notices(&self, now: OffsetDateTime, limit: i64) -> StoreResult<Vec<NoticeRec>>;
    /// Marks a notice delivered (only if it was not already: a notice goes once).
    async fn notice_sent(&self, id: &str, at: OffsetDateTime) -> StoreResult<bool>;
    /// Records a failed attempt and when to try again.
    async fn notice_failed(&self, id: &str, error: &str, next_attempt_at: OffsetDateTime) -> StoreResult<()>;
    /// Queues `day`'s scheduled notices and marks the grants warned of, in one transaction,
    /// unless that day's were queued already (then nothing is written and the answer is false).
    async fn queue_daily(&self, day: &str, notices: &[NoticeRec], warned: &[GrantId], at: OffsetDateTime) -> StoreResult<bool>;
    /// The grants whose coming end was already warned of.
    async fn warned_grants(&self) -> StoreResult<Vec<GrantId>>;
    /// The newest notices, newest first (the delivery log).
    async fn recent_notices(&self, limit: i64) -> StoreResult<Vec<NoticeRec>>;
}
