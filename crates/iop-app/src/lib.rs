//! The control plane's use cases, apart from HTTP: the PR05 procedure (requests, transitions,
//! step 4's publication staging and deliveries of accesses), the catalog's connectors and
//! credentials, users and sessions, the gateway snapshot's compilation, the import of call records,
//! the auditor, the demo seed. They take domain values or plain input structs, ask
//! [`iop_domain::decide`] whether a transition is allowed, commit through the store in one
//! transaction, and fail with [`error::AppError`]. The REST API (`iop-api`), and the web interface
//! and public listener to come, sit beside each other over them.

pub mod accesses;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod cite_register;
pub mod compiler;
pub mod connectors;
pub mod credentials;
pub mod documents;
pub mod dto;
pub mod endings;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod importer;
pub mod notices;
pub mod openapi_import;
pub mod ops_error;
pub mod pdf_signature;
pub mod publication;
pub mod report;
pub mod secrets;
pub mod seed;
pub mod service;
pub mod signed_note;
pub mod suplencias;
pub mod verification;

use iop_domain::{Clock, Deadline, State, WorkCalendar};
use iop_store::Store;
use iop_store::blobs::BlobStore;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Settings of the control plane.
#[derive(Debug, Clone)]
pub struct ControlConfig {
    /// How long a login token lives.
    pub token_ttl: Duration,
    /// Largest supporting document accepted, in bytes.
    pub max_upload_bytes: usize,
    /// Per-state deadlines; a request waiting longer is overdue.
    pub deadlines: HashMap<State, Deadline>,
    pub calendar: WorkCalendar,
    /// Failed logins per account within `login_window` before it is throttled.
    pub login_max_failures_account: u32,
    /// Failed logins per client address within `login_window` before it is throttled.
    pub login_max_failures_address: u32,
    pub login_window: Duration,
    /// A bearer token that may read `/metrics` (for Prometheus); without it only an
    /// Administrador's login token may.
    pub metrics_token: Option<String>,
    /// Working days a delivery of step 4's accesses waits to be retrieved before its sealed
    /// secrets are erased.
    pub access_delivery_days: u32,
    /// The address people reach the control plane at (`url_publica`), when it is behind a proxy
    /// or TLS terminator. An `https` one makes the web interface's cookies `Secure`.
    pub public_url: Option<String>,
    /// The control listener serves TLS itself (`control_tls_*`): cookies are `Secure` too.
    pub control_tls: bool,
    /// The public verification page's address (`url_verificacion`, or the public listener's):
    /// the notes' QR codes point below it. Without it notes carry no QR code.
    pub verification_url: Option<String>,
    /// The address consuming systems reach the gateway at (`url_pasarela`, or the gateway
    /// listener's): the servers of the access documentation.
    pub gateway_url: Option<String>,
    /// Largest file the public verification page accepts to check, in bytes.
    pub max_verification_bytes: usize,
    /// Checks (a hash or a file) one address may make per minute on the verification page.
    pub verifications_per_minute: u32,
    /// The agency's name, at the head of every document (`entidad`).
    pub agency: String,
    /// How the notes are numbered (`formato_cite`).
    pub cite_format: iop_domain::CiteFormat,
    /// The documents' paper (`papel`).
    pub paper: Paper,
    /// Notices by e-mail (`smtp_*`, `avisos_*`).
    pub notices: notices::NoticeConfig,
    /// The agency's logo at the head of every document (`logo`), checked at start.
    pub logo: Option<Logo>,
}

pub use iop_documents::{Logo, Paper};

impl Default for ControlConfig {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(8 * 3600),
            max_upload_bytes: 10 * 1024 * 1024,
            deadlines: default_deadlines(),
            calendar: WorkCalendar::default(),
            login_max_failures_account: 5,
            login_max_failures_address: 20,
            login_window: Duration::from_secs(15 * 60),
            metrics_token: None,
            access_delivery_days: 10,
            public_url: None,
            control_tls: false,
            verification_url: None,
            gateway_url: None,
            max_verification_bytes: 20 * 1024 * 1024,
            verifications_per_minute: 30,
            agency: documents::AGENCY.to_owned(),
            cite_format: iop_domain::CiteFormat::default(),
            paper: Paper::A4,
            logo: None,
            notices: notices::NoticeConfig::default(),
        }
    }
}

/// Deadlines per waiting state, in working days unless said otherwise.
pub fn default_deadlines() -> HashMap<State, Deadline> {
    use Deadline::WorkingDays as D;
    HashMap::from([
        (State::Presentada, D(2)),
        (State::DerivadaAdas, D(2)),
        (State::AsignadaLider, D(5)),
        (State::Habilitada, D(3)),
        (State::NotaElaborada, D(2)),
        (State::NotaAprobadaAdas, D(2)),
        (State::NotaAprobadaUpat, D(5)),
        (State::Observada, D(10)),
    ])
}

/// The control plane's link to the data plane: the snapshot publisher, the keys, and the
/// gateway's metrics.
#[derive(Clone)]
pub struct GatewayHooks {
    pub publisher: Arc<compiler::Publisher>,
    pub keys: iop_gateway::DerivedKeys,
    pub secrets: secrets::SecretBox,
    pub gateway: Arc<iop_gateway::Gateway>,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub blobs: BlobStore,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<ControlConfig>,
    pub throttle: Arc<auth::Throttle>,
    /// Failed logins per address, waiting for their window's record.
    pub failed_logins: Arc<auth::FailedLogins>,
    pub gateway: Option<GatewayHooks>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, blobs: BlobStore, clock: Arc<dyn Clock>, config: ControlConfig) -> Self {
        Self {
            store,
            blobs,
            clock,
            config: Arc::new(config),
            throttle: Arc::new(auth::Throttle::default()),
            failed_logins: Arc::new(auth::FailedLogins::default()),
            gateway: None,
        }
    }
    pub fn with_gateway(mut self, hooks: GatewayHooks) -> Self {
        self.gateway = Some(hooks);
        self
    }
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
    /// The gateway hooks, or 503 when this process runs no gateway.
    pub fn hooks(&self) -> Result<&GatewayHooks, error::AppError> {
        self.gateway
            .as_ref()
            .ok_or_else(|| error::AppError::of("pasarela_no_configurada", &[]))
    }
    /// Rebuilds the gateway's snapshot now and waits until it is live: what the caller is about to
    /// hand out (a credential, a grant) works on its first call. A failed rebuild is logged; the
    /// periodic one catches up.
    pub async fn gateway_applied(&self) {
        if let Some(h) = &self.gateway
            && let Err(e) = h.publisher.rebuild().await
        {
            tracing::error!(error = %e, "no se pudo aplicar el cambio en la pasarela; se reintentará");
            h.publisher.changed();
        }
    }

    /// Tells the gateway's publisher that a service's operations were just stored (committed)
    /// under `key`, handing them over so that its rebuild need not read them back.
    pub fn gateway_operations_written(
        &self,
        service: iop_domain::ServiceId,
        key: iop_store::OperationsKey,
        ops: Vec<iop_store::OperationRec>,
    ) {
        if let Some(h) = &self.gateway {
            h.publisher.written(service, key, ops);
        }
    }

    /// Tells the gateway's publisher that something it reads changed.
    pub fn gateway_changed(&self) {
        if let Some(h) = &self.gateway {
            h.publisher.changed();
        }
    }
}
