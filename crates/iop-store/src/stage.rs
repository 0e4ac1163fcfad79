//! PR05 step 4 of a publication, before it is committed: per service to publish, the connector
//! and description the Líder prepared and the last connection probe of that connector.

use crate::{AuditBy, ConnectorRec, DescriptionRec, OperationRec, StoreResult};
use async_trait::async_trait;
use iop_domain::*;
use time::OffsetDateTime;

/// The result of a connection probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRec {
    pub ok: bool,
    pub at: OffsetDateTime,
    /// JSON array of the per-origin results (status, latency, error).
    pub detail: String,
}

/// What is staged for one service of a publication request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRec {
    pub request: RequestId,
    pub code: Code,
    pub version: ServiceVersion,
    /// The catalog id the service has, or will get when `habilitar` commits.
    pub service: ServiceId,
    /// Its `service` is [`StageRec::service`]; its `version` is 0 until committed.
    pub connector: Option<ConnectorRec>,
    pub description_sha256: Option<String>,
    /// The staged description's format and import report (JSON), once staged.
    pub description_format: Option<String>,
    pub description_report: Option<String>,
    /// The staged description's `servers` URLs.
    pub description_servers: Vec<String>,
    pub operations: Vec<OperationRec>,
    /// The last probe of the staged connector (cleared when the connector changes).
    pub probe: Option<ProbeRec>,
    pub applied_at: Option<OffsetDateTime>,
}

/// What step 5 needs to know about a service a request published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedProbe {
    pub service: ServiceId,
    /// `SIGLA código vN`.
    pub label: String,
    pub connector_version: Option<i64>,
    /// The last probe of the connector version in force.
    pub probe_ok: Option<bool>,
}

#[async_trait]
pub trait StageStore: Send + Sync {
    /// Stages (replaces) the connector of one service of a publication request; clears its probe.
    async fn stage_connector(
        &self,
        request: RequestId,
        code: &Code,
        version: ServiceVersion,
        connector: &ConnectorRec,
        by: &AuditBy,
    ) -> StoreResult<StageRec>;
    /// Stages (replaces) the description of one service of a publication request.
    #[allow(clippy::too_many_arguments)]
    async fn stage_description(
        &self,
        request: RequestId,
        code: &Code,
        version: ServiceVersion,
        service: ServiceId,
        description: &DescriptionRec,
        ops: &[OperationRec],
        now: OffsetDateTime,
        by: &AuditBy,
    ) -> StoreResult<StageRec>;
    /// Stores a probe of the staged connector, unless the connector changed since `connector_at`
    /// (then nothing is stored and `Ok(None)` says so).
    async fn stage_probe(
        &self,
        request: RequestId,
        code: &Code,
        version: ServiceVersion,
        connector_at: OffsetDateTime,
        probe: &ProbeRec,
        by: &AuditBy,
    ) -> StoreResult<Option<StageRec>>;
    async fn stages(&self, request: RequestId) -> StoreResult<Vec<StageRec>>;
    /// Stores a probe of a committed connector version.
    async fn record_probe(&self, service: ServiceId, connector_version: i64, probe: &ProbeRec, by: &AuditBy) -> StoreResult<()>;
    /// The service whose base path in force overlaps `path` (other than `except`), named.
    async fn base_path_holder(&self, path: &str, except: ServiceId) -> StoreResult<Option<String>>;
    /// The services a request published, with the probe of each one's connector in force.
    async fn published_probes(&self, request: RequestId) -> StoreResult<Vec<PublishedProbe>>;
}
