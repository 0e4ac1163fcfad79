//! The delivery of step 4's accesses: the secrets of the credentials issued for a request, sealed
//! for the requesting unit, retrieved once.

use crate::{AuditBy, StoreResult};
use async_trait::async_trait;
use iop_domain::*;
use time::OffsetDateTime;

/// A credential in a delivery, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeliveredCredential {
    pub id: String,
    pub tipo: String,
    pub prefijo: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRec {
    pub id: DeliveryId,
    pub request: RequestId,
    pub system: SystemId,
    pub unit: UnitId,
    pub credentials: Vec<DeliveredCredential>,
    /// The secrets, sealed for the unit; `None` once retrieved or expired.
    pub sealed: Option<Vec<u8>>,
    pub issued_by: UserId,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub retrieved_by: Option<UserId>,
    /// The retriever's login, as the store knows it.
    pub retrieved_by_login: Option<String>,
    pub retrieved_at: Option<OffsetDateTime>,
    pub expired_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// A request's deliveries, oldest first, after erasing those expired at `now`.
    async fn deliveries(&self, request: RequestId, now: OffsetDateTime) -> StoreResult<Vec<DeliveryRec>>;
    /// Takes those of `ids` that are still pending deliveries of the request (not retrieved, not
    /// expired at `now`): returns them and, in the same transaction, erases their secrets, records
    /// who took them and appends the audit record (without secrets). Empty if none was pending.
    async fn take_deliveries(
        &self,
        request: RequestId,
        ids: &[DeliveryId],
        user: UserId,
        now: OffsetDateTime,
        by: &AuditBy,
    ) -> StoreResult<Vec<DeliveryRec>>;
    /// Erases the sealed secrets of every delivery expired at `now`; returns how many.
    async fn expire_deliveries(&self, now: OffsetDateTime) -> StoreResult<u64>;
}
