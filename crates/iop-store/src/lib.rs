//! The store: traits per capability, the records they exchange, and the embedded SQLite
//! implementation ([`sqlite::SqliteStore`]). A PostgreSQL implementation will sit beside it and
//! satisfy the same traits; nothing above this crate knows which one it talks to.

pub mod audit;
pub mod blobs;
pub mod calls;
pub mod delivery;
pub mod documents;
pub mod gateway;
pub mod notices;
mod records;
pub mod sqlite;
pub mod stage;

pub use audit::*;
pub use calls::{CallLine, CallRow};
pub use delivery::*;
pub use documents::*;
pub use gateway::*;
pub use notices::*;
pub use records::*;
pub use stage::*;

use async_trait::async_trait;
use iop_domain::*;
use time::OffsetDateTime;

/// Errors of the store. `Conflict` means a uniqueness rule or a concurrent change refused the
/// write; `NotFound` that a referenced row does not exist; `Backend` anything else (logged, 500).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A base path equal to, or a segment-prefix of, another service's (which `holder` names).
    #[error("base path {path} overlaps {holder}'s")]
    BasePathTaken { path: String, holder: String },
    #[error("stale: the request changed since it was read")]
    Stale,
    /// Anything else, with its cause kept as the error's source.
    #[error("backend: {0}")]
    Backend(#[source] BackendError),
}

/// The cause of a [`StoreError::Backend`]: the backend's own error (kept, not flattened into a
/// string), or a message when there is no error value.
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl StoreError {
    /// A backend failure caused by `e`.
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(e))
    }
    /// A backend failure described by a message.
    pub fn backend_msg(msg: impl Into<String>) -> Self {
        StoreError::Backend(msg.into().into())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn create_unit(&self, unit: &UnitRec, by: &AuditBy) -> StoreResult<()>;
    /// Names the head of a unit (the documents' A and VÍA), audited as `unidad.responsable`.
    async fn set_unit_head(&self, unit: UnitId, head: &UnitHead, by: &AuditBy, at: OffsetDateTime) -> StoreResult<UnitRec>;
    async fn list_units(&self) -> StoreResult<Vec<UnitRec>>;
    async fn get_unit(&self, id: UnitId) -> StoreResult<Option<UnitRec>>;
    async fn unit_by_sigla(&self, sigla: &Sigla) -> StoreResult<Option<UnitRec>>;

    async fn create_user(&self, user: &UserRec, by: &AuditBy) -> StoreResult<()>;
    async fn get_user(&self, id: UserId) -> StoreResult<Option<UserRec>>;
    async fn user_by_login(&self, login: &Login) -> StoreResult<Option<UserRec>>;
    async fn list_users(&self) -> StoreResult<Vec<UserRec>>;
    /// The active users who hold `role`, by name (one statement; the others are not read).
    async fn active_users_with_role(&self, role: Role) -> StoreResult<Vec<UserRec>>;
    async fn count_users(&self) -> StoreResult<i64>;
    /// Changes roles, unit, name or active flag. Disabling revokes the user's sessions in the same
    /// transaction.
    async fn update_user(&self, user: &UserRec, now: OffsetDateTime, by: &AuditBy) -> StoreResult<()>;
    /// Sets a new password hash and revokes every session of the user, together.
    async fn set_password(&self, id: UserId, hash: &str, now: OffsetDateTime, by: &AuditBy) -> StoreResult<()>;

    /// Opens a session and records the login (`sesion.iniciar`, with the client's address) in
    /// the same transaction.
    async fn create_session(&self, s: &SessionRec, by: &AuditBy, address: Option<&str>) -> StoreResult<()>;
    /// The live session for a token hash (not expired at `now`, not revoked) and its user.
    async fn session_user(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<UserRec>>;
    /// Records a suplencia, audited as `suplencia.crear`.
    async fn create_suplencia(&self, s: &SuplenciaRec, by: &AuditBy) -> StoreResult<()>;
    /// Every suplencia, newest first.
    async fn list_suplencias(&self) -> StoreResult<Vec<SuplenciaRec>>;
    /// The suplencias `user` holds at `at`.
    async fn suplencias_of(&self, user: UserId, at: OffsetDateTime) -> StoreResult<Vec<SuplenciaRec>>;
    /// Records a failed login on an existing account (`sesion.fallida`, by the platform, naming
    /// the account and the client's address). Failures on names that are no account are never
    /// recorded: people type passwords into that field.
    async fn record_failed_login(&self, login: &str, address: Option<&str>, at: OffsetDateTime) -> StoreResult<()>;
    /// Records one window of failed logins from one address (`sesion.fallidas`, by the platform):
    /// how many, when, the accounts tried, and how many names were no account (never which).
    async fn record_failed_logins(&self, w: &FailedLoginsRec) -> StoreResult<()>;
    /// Ends a session and records the logout (`sesion.cerrar`) in the same transaction; ending one
    /// already ended records nothing.
    async fn revoke_session(&self, token_hash: &str, now: OffsetDateTime, by: &AuditBy) -> StoreResult<()>;
}

#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn create_entity(&self, e: &EntityRec, by: &AuditBy) -> StoreResult<()>;
    async fn list_entities(&self) -> StoreResult<Vec<EntityRec>>;
    async fn get_entity(&self, id: EntityId) -> StoreResult<Option<EntityRec>>;
    async fn create_system(&self, s: &SystemRec, by: &AuditBy) -> StoreResult<()>;
    async fn list_systems(&self, entity: Option<EntityId>) -> StoreResult<Vec<SystemRec>>;
    async fn get_system(&self, id: SystemId) -> StoreResult<Option<SystemRec>>;
    async fn create_service(&self, s: &ServiceRec, by: &AuditBy) -> StoreResult<()>;
    async fn list_services(&self, entity: Option<EntityId>) -> StoreResult<Vec<ServiceRec>>;
    /// Marks a service version deprecated from `deprecated_at`, retired at `sunset_at`; audited as
    /// `servicio.obsolescencia`.
    async fn deprecate_service(
        &self,
        id: ServiceId,
        deprecated_at: OffsetDateTime,
        sunset_at: Option<OffsetDateTime>,
        notices: &[NoticeRec],
        by: &AuditBy,
        at: OffsetDateTime,
    ) -> StoreResult<ServiceRec>;
    /// The grants (not revoked) for a service, with their request's unit and assigned Líder.
    async fn grants_of_service(&self, id: ServiceId) -> StoreResult<Vec<(GrantRec, UnitId, Option<UserId>)>>;
    async fn get_service(&self, id: ServiceId) -> StoreResult<Option<ServiceRec>>;
    async fn grants_of_request(&self, id: RequestId) -> StoreResult<Vec<GrantRec>>;
    /// The grants of several requests in one statement.
    async fn grants_of_requests(&self, ids: &[RequestId]) -> StoreResult<std::collections::HashMap<RequestId, Vec<GrantRec>>>;
    /// The grants in force or ended (not revoked) whose last day is `through` or earlier, with
    /// their request and the names of their system and service; by last day.
    async fn grants_ending(&self, through: time::Date) -> StoreResult<Vec<EndingGrant>>;
}

#[async_trait]
pub trait RequestStore: Send + Sync {
    /// Creates a draft and gives it its tracking code (numbered per year, in the same transaction).
    async fn create_request(&self, r: NewRequest, now: OffsetDateTime, by: &AuditBy) -> StoreResult<RequestRec>;
    async fn get_request(&self, id: RequestId) -> StoreResult<Option<RequestRec>>;
    async fn request_by_code(&self, code: &TrackingCode) -> StoreResult<Option<RequestRec>>;
    /// The requests waiting for `actor` (as stored by their last transition), oldest wait first.
    async fn waiting_for(&self, actor: &Actor, page: &Page) -> StoreResult<PageOf<RequestRec>>;
    /// What the bandeja shows, read at once from one snapshot: the page of
    /// [`RequestStore::waiting_for`] as lines (one statement) and, when asked, the overview
    /// (two more; see [`OverviewQuery`]).
    async fn bandeja(&self, actor: &Actor, page: &Page, overview: Option<&OverviewQuery>) -> StoreResult<BandejaRead>;
    /// Requests the filter's viewer may see, newest first; a constant number of statements per page.
    async fn list_requests(&self, filter: &RequestFilter, page: &Page) -> StoreResult<PageOf<RequestRec>>;
    /// The same page as [`RequestStore::list_requests`], as lines: one statement.
    async fn list_lines(&self, filter: &RequestFilter, page: &Page) -> StoreResult<PageOf<RequestLine>>;
    /// Step 4: registers the system a request proposed in the catalog and names it as the
    /// request's beneficiary, in one transaction (optimistic on `version`).
    async fn register_request_system(
        &self,
        id: RequestId,
        expected_version: i64,
        system: &SystemRec,
        by: &AuditBy,
    ) -> StoreResult<RequestRec>;
    /// Replaces the editable content of a draft or an observed request (optimistic on `version`).
    async fn update_request_content(
        &self,
        id: RequestId,
        expected_version: i64,
        content: RequestContent,
        now: OffsetDateTime,
        by: &AuditBy,
    ) -> StoreResult<RequestRec>;
    /// Records the supporting document (already in the blob store) on the request.
    async fn attach_document(
        &self,
        id: RequestId,
        expected_version: i64,
        doc: DocumentRef,
        now: OffsetDateTime,
        by: &AuditBy,
    ) -> StoreResult<RequestRec>;
    /// Commits a transition: the new facts, the history entry and the step's effects, all in one
    /// transaction, and only if the request is still at `expected_version`.
    async fn apply_transition(&self, commit: TransitionCommit, now: OffsetDateTime, by: &AuditBy) -> StoreResult<RequestRec>;
    async fn history(&self, id: RequestId) -> StoreResult<Vec<HistoryRec>>;
    /// Every request past its draft, with its whole history: what the management report reads.
    async fn report_rows(&self) -> StoreResult<Vec<ReportRow>>;
}

/// Everything the control plane needs.
#[async_trait]
pub trait Store:
    UserStore
    + CatalogStore
    + RequestStore
    + GatewayStore
    + StageStore
    + DeliveryStore
    + DocumentStore
    + NoticeStore
    + AuditStore
    + Send
    + Sync
    + 'static
{
    /// Whether the store answers and its schema is current.
    async fn ready(&self) -> StoreResult<()>;
}
