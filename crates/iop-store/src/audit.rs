//! The audit log as the store keeps it: rows of hash chains (see `iop-audit`), signed
//! checkpoints, search and pruning. Procedure and administrative events are appended by the
//! store itself, in the same transaction as the change they describe.

use crate::{StoreResult, UserRec};
use async_trait::async_trait;
use iop_domain::{UnitId, UserId};
use time::OffsetDateTime;

pub const STREAM_CALLS: &str = "llamadas";
pub const STREAM_PROCEDURE: &str = "procedimiento";
pub const STREAM_ADMIN: &str = "administracion";

/// Who made a change (kept in its audit record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditBy {
    pub id: Option<UserId>,
    pub login: String,
}

impl AuditBy {
    pub fn user(u: &UserRec) -> Self {
        Self {
            id: Some(u.id),
            login: u.login.as_str().to_owned(),
        }
    }
    /// The platform itself (first start, demo seeding, the CLI).
    pub fn system(what: &str) -> Self {
        Self {
            id: None,
            login: format!("sistema:{what}"),
        }
    }
}

/// One stored audit record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditRow {
    pub stream: String,
    pub node: String,
    pub seq: i64,
    pub ts_ms: i64,
    /// The exact chained bytes.
    pub body: String,
    pub hash: Vec<u8>,
    pub actor: Option<String>,
    pub system_id: Option<String>,
    pub service_id: Option<String>,
    pub request_id: Option<String>,
    pub request_code: Option<String>,
    pub status: Option<i64>,
    pub refusal: Option<String>,
}

/// A search hit: the row and its cursor position.
#[derive(Debug, Clone)]
pub struct AuditHit {
    pub id: i64,
    pub row: AuditRow,
}

/// A stored checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRow {
    pub stream: String,
    pub node: String,
    pub seq: i64,
    pub kind: String,
    pub ts_ms: i64,
    pub body: String,
    pub signature: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub stream: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub system_id: Option<String>,
    pub service_id: Option<String>,
    /// Calls to any service of this publishing entity.
    pub publisher_id: Option<String>,
    pub request_code: Option<String>,
    pub request_id: Option<String>,
    pub status: Option<i64>,
    pub refusal: Option<String>,
    pub actor: Option<String>,
    /// Only records under requests of this unit (a Solicitante's scope).
    pub unit_scope: Option<UnitId>,
    /// Streams the searcher may see.
    pub streams_allowed: Vec<&'static str>,
    /// Resume after this (ts_ms, id), newest first.
    pub before: Option<(i64, i64)>,
    pub limit: i64,
}

/// A chain and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainInfo {
    pub stream: String,
    pub node: String,
    pub first: i64,
    pub last: i64,
    pub head: Vec<u8>,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Where the import of a segment file stands (bytes).
    async fn import_offset(&self, segment: &str) -> StoreResult<i64>;
    /// Stores call records and the segment's new offset together (records already stored are
    /// skipped).
    async fn import_calls(&self, segment: &str, offset: i64, rows: &[crate::CallRow]) -> StoreResult<()>;
    /// The last record of a chain (position and bytes), to resume it.
    async fn chain_head(&self, stream: &str, node: &str) -> StoreResult<Option<(i64, String)>>;
    async fn chains(&self) -> StoreResult<Vec<ChainInfo>>;
    /// Up to `limit` rows of a chain after position `after`, in order: (seq, body, hash).
    async fn chain_rows(&self, stream: &str, node: &str, after: i64, limit: i64) -> StoreResult<Vec<(i64, String, Vec<u8>)>>;
    /// The first and last positions of a chain's records within a time range.
    async fn chain_span(&self, stream: &str, node: &str, from_ms: i64, to_ms: i64) -> StoreResult<Option<(i64, i64)>>;
    async fn checkpoints(&self) -> StoreResult<Vec<CheckpointRow>>;
    /// The highest checkpointed position of each chain: (stream, node, seq).
    async fn last_checkpoints(&self) -> StoreResult<Vec<(String, String, i64)>>;
    async fn add_checkpoints(&self, cps: &[CheckpointRow]) -> StoreResult<()>;
    async fn search(&self, f: &AuditFilter) -> StoreResult<Vec<AuditHit>>;
    /// Appends an event on its own (a search, an export, a failed check).
    async fn append_event(
        &self,
        stream: &str,
        by: &AuditBy,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Removes the records of a chain up to `cp.seq` (already archived), together with storing
    /// the signed `poda` checkpoint and an administrative record of the pruning.
    async fn prune(&self, cp: &CheckpointRow, by: &AuditBy, now: OffsetDateTime) -> StoreResult<u64>;
}
