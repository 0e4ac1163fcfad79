//! Start-up and shutdown of `iop serve`: open the store (migrating it), seed, bind both listeners,
//! serve until told to stop, then drain in-flight requests.

use crate::config::Settings;
use iop_app::compiler::Publisher;
use iop_app::secrets::MasterKey;
use iop_app::seed::{DemoAccess, DemoAccount};
use iop_app::{AppState, GatewayHooks, SystemClock, seed};
use iop_domain::Clock;
use iop_gateway::{Gateway, Readiness, RecordWriter, SnapshotHandle};
use iop_store::blobs::BlobStore;
use iop_store::sqlite::SqliteStore;
use iop_store::{AuditStore, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A start-up failure, in Spanish.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// A running server.
pub struct Running {
    pub control_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
    /// The public verification listener, if one was asked for.
    pub public_addr: Option<SocketAddr>,
    /// Demo accounts (demo mode, first start only).
    pub demo_accounts: Vec<DemoAccount>,
    /// The first administrator's login and password (normal mode, first start only).
    pub admin_password: Option<(String, String)>,
    /// The demo consumer's credentials (demo mode).
    pub demo_access: Option<DemoAccess>,
    /// The demo's fictitious upstream (demo mode).
    pub demo_upstream: Option<SocketAddr>,
    pub gateway: Arc<Gateway>,
    pub publisher: Arc<Publisher>,
    pub state: AppState,
    /// The audit's public key (`ed25519:<hex>`), for auditors to verify exports with.
    pub audit_public_key: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
    /// For the last steps of a graceful stop: import the last call records, sign the heads.
    finale: Finale,
}

struct Finale {
    store: Arc<dyn Store>,
    records_dir: std::path::PathBuf,
    auditor: Arc<iop_app::audit::Auditor>,
    clock: Arc<dyn Clock>,
}

impl Running {
    /// Asks both listeners to stop and waits until in-flight requests are done.
    ///
    /// Then, with no call in flight, the last call records are imported and every chain that
    /// moved gets a signed checkpoint at its head: a stopped store has no unsigned tail, so even
    /// the removal of its last record is caught without a witness.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        for t in self.background {
            t.abort();
        }
        // Failed logins still counting in memory get their record.
        if let Err(e) = iop_app::auth::flush_failed_logins(&self.state, true).await {
            tracing::error!(error = %e, "no se pudieron registrar los inicios de sesión fallidos");
        }
        let f = self.finale;
        if let Err(e) = iop_app::importer::import_once(&f.store, &f.records_dir).await {
            tracing::error!(error = %e, "no se pudieron importar los últimos registros de llamadas");
        }
        let now = (f.clock.now().unix_timestamp_nanos() / 1_000_000) as i64;
        match f.auditor.checkpoint_now(now).await {
            Ok(cps) => tracing::info!(puntos_de_control = cps.len(), "puntos de control firmados al detenerse"),
            Err(e) => tracing::error!(error = %e, "no se pudo firmar el punto de control final"),
        }
    }

    /// Serves until SIGINT or SIGTERM, then stops gracefully.
    pub async fn run_until_signal(self) {
        shutdown_signal().await;
        tracing::info!("señal de parada recibida: terminando las peticiones en curso");
        self.stop().await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Opens the embedded store under the data directory.
pub async fn open_store(settings: &Settings) -> Result<Arc<SqliteStore>, StartError> {
    SqliteStore::open(&settings.data_dir)
        .await
        .map(|s| Arc::new(s.with_node(&settings.node)))
        .map_err(|e| StartError(format!("no se pudo abrir el almacén en {}: {e}", settings.data_dir.display())))
}

pub fn app_state(settings: &Settings, store: Arc<SqliteStore>, clock: Arc<dyn Clock>) -> AppState {
    AppState::new(
        store,
        BlobStore::new(settings.data_dir.join("documentos")),
        clock,
        iop_app::ControlConfig {
            // The web's cookies are `Secure` when this listener serves TLS itself.
            control_tls: settings.control_tls.is_some(),
            ..settings.control.clone()
        },
    )
}

async fn bind(what: &str, addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| StartError(format!("no se pudo escuchar en {addr} ({what}): {e}")))
}

/// The audit's signer over this store (the key is created on first use).
pub fn auditor(settings: &Settings, store: Arc<SqliteStore>) -> Result<iop_app::audit::Auditor, StartError> {
    let signer = iop_app::audit::load_or_create_key(&settings.audit_key_file).map_err(|e| StartError(e.to_string()))?;
    Ok(iop_app::audit::Auditor {
        store,
        signer: Arc::new(signer),
        witness: settings.audit_witness.clone(),
    })
}

/// Archives and prunes records older than `days`, once an hour.
fn spawn_retention(
    auditor: Arc<iop_app::audit::Auditor>,
    clock: Arc<dyn Clock>,
    days: u64,
    dir: std::path::PathBuf,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let now = clock.now();
            let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
            let before = now_ms - (days as i64) * 86_400_000;
            match auditor
                .archive(&dir, before, now_ms, &iop_store::AuditBy::system("retencion"))
                .await
            {
                Ok(Some((file, n))) => tracing::info!(archivo = %file.display(), podados = n, "auditoría archivada y podada"),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "no se pudo archivar la auditoría"),
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    })
}

/// Starts the server with the system clock.
pub async fn start(settings: Settings) -> Result<Running, StartError> {
    start_with_clock(settings, Arc::new(SystemClock)).await
}

/// Starts the server with the given clock (tests move time forward with it).
pub async fn start_with_clock(mut settings: Settings, clock: Arc<dyn Clock>) -> Result<Running, StartError> {
    // The public listener is bound first: its address is the notes' verification address unless
    // `url_verificacion` says otherwise.
    let public_l = match settings.public_addr {
        Some(a) => Some(bind("verificación pública", a).await?),
        None => None,
    };
    let public_addr = match &public_l {
        Some(l) => Some(l.local_addr().map_err(|e| StartError(e.to_string()))?),
        None => None,
    };
    if let (None, Some(a)) = (&settings.control.verification_url, public_addr) {
        settings.control.verification_url = Some(format!("http://{a}"));
    }
    // The gateway's too: the access documentation names it.
    let gateway_l = bind("pasarela", settings.gateway_addr).await?;
    let gateway_addr = gateway_l.local_addr().map_err(|e| StartError(e.to_string()))?;
    if settings.control.gateway_url.is_none() {
        let scheme = if settings.gateway_tls.is_some() { "https" } else { "http" };
        settings.control.gateway_url = Some(format!("{scheme}://{gateway_addr}"));
    }
    let store = open_store(&settings).await?;
    let master = MasterKey::load_or_create(&settings.master_key_file).map_err(|e| StartError(e.to_string()))?;
    let keys = master.derived();
    let secrets = master.secret_box();
    let handle = SnapshotHandle::default();
    let publisher = Publisher::new(handle.clone(), store.clone(), secrets.clone());
    let records_dir = settings.data_dir.join("llamadas");
    let stored = store
        .chain_head(iop_store::STREAM_CALLS, &settings.node)
        .await
        .map_err(|e| StartError(format!("no se pudo leer la cadena de auditoría: {e}")))?
        .map(|(seq, body)| (seq as u64, body.into_bytes()));
    let writer = RecordWriter::start_with(
        &records_dir,
        &settings.node,
        settings.durability,
        256 << 20,
        stored,
        settings.chained_calls,
    )
    .map_err(|e| {
        StartError(format!(
            "no se pudo abrir el registro de llamadas en {}: {e}",
            records_dir.display()
        ))
    })?;
    let readiness = Readiness::default();
    let gateway = Gateway::new(handle, keys.clone(), writer, readiness.clone(), settings.gateway.clone());
    let state = app_state(&settings, store.clone(), clock).with_gateway(GatewayHooks {
        publisher: publisher.clone(),
        keys,
        secrets,
        gateway: gateway.clone(),
    });
    let seed_err = |e: iop_app::error::AppError| StartError(format!("no se pudieron crear los datos iniciales: {} ({})", e.es, e.code));
    seed::ensure_agency_units(&state).await.map_err(seed_err)?;

    let (stop, stop_rx) = watch::channel(false);
    let mut background = Vec::new();
    let mut demo_upstream = None;
    let (demo_accounts, admin_password, demo_access) = if settings.demo {
        let (addr, task) = crate::demo::start_upstream(stop_rx.clone()).await.map_err(StartError)?;
        background.push(task);
        demo_upstream = Some(addr);
        let upstream = format!("http://{addr}");
        let (accounts, access) = seed::seed_demo(&state, Some(&upstream)).await.map_err(seed_err)?;
        let (access, previous) = crate::demo::remember_access(&settings.data_dir, access, &upstream)?;
        crate::demo::repoint_upstream(&state, previous.as_deref(), &upstream)
            .await
            .map_err(seed_err)?;
        (accounts, None, access)
    } else {
        (Vec::new(), seed::bootstrap_admin(&state).await.map_err(seed_err)?, None)
    };
    publisher
        .rebuild()
        .await
        .map_err(|e| StartError(format!("no se pudo compilar la configuración de la pasarela: {e}")))?;
    background.push(publisher.spawn(Duration::from_secs(300)));
    background.push(iop_app::importer::spawn(store.clone(), records_dir.clone(), settings.import_every));
    if state.config.notices.smtp.is_some() || state.config.notices.webhooks.is_some() {
        background.push(iop_app::notices::spawn(state.clone()));
    }
    let auditor = Arc::new(auditor(&settings, store.clone())?);
    let audit_public_key = auditor.signer.public().to_string();
    background.push(
        auditor
            .clone()
            .spawn(settings.checkpoint_every, settings.checkpoint_records, state.clock.clone()),
    );
    if let Some((days, dir)) = settings.retention.clone() {
        background.push(spawn_retention(auditor.clone(), state.clock.clone(), days, dir));
    }

    let tls = match &settings.gateway_tls {
        Some((cert, key)) => Some(iop_gateway::tls::acceptor(cert, key).map_err(StartError)?),
        None => None,
    };
    let control_l = bind("plano de control", settings.control_addr).await?;
    let control_addr = control_l.local_addr().map_err(|e| StartError(e.to_string()))?;

    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    // The REST API and, beside it at `/`, the web interface (both over the same use cases).
    let (api_router, _) = iop_api::router(state.clone());
    let control_router = api_router.merge(iop_web::router(state.clone()));
    let control_tls = match &settings.control_tls {
        Some((cert, key)) => Some(iop_gateway::tls::acceptor(cert, key).map_err(StartError)?),
        None => None,
    };
    let control_task = tokio::spawn({
        let rx = stop_rx.clone();
        async move {
            let served = match control_tls {
                None => {
                    let svc = control_router.into_make_service_with_connect_info::<SocketAddr>();
                    axum::serve(control_l, svc).with_graceful_shutdown(wait(rx)).await
                }
                Some(acceptor) => match crate::tls_listener::TlsListener::new(control_l, acceptor) {
                    Ok(l) => {
                        let svc = control_router
                            .layer(axum::middleware::from_fn(crate::tls_listener::peer_layer))
                            .into_make_service_with_connect_info::<crate::tls_listener::TlsPeer>();
                        axum::serve(l, svc).with_graceful_shutdown(wait(rx)).await
                    }
                    Err(e) => Err(e),
                },
            };
            if let Err(e) = served {
                tracing::error!(error = %e, "el plano de control terminó con error");
            }
        }
    });

    let mut tasks = vec![control_task];
    if let Some(l) = public_l {
        let router = iop_web::public_router(state.clone());
        let rx = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let svc = router.into_make_service_with_connect_info::<SocketAddr>();
            if let Err(e) = axum::serve(l, svc).with_graceful_shutdown(wait(rx)).await {
                tracing::error!(error = %e, "el listener público de verificación terminó con error");
            }
        }));
    }

    readiness.set(store.ready().await.is_ok());
    let gateway_task = tokio::spawn(iop_gateway::serve(gateway_l, gateway.clone(), tls, wait(stop_rx.clone())));

    // Keeps the gateway's readiness flag current without the gateway touching the store.
    background.push(tokio::spawn({
        let store = store.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                readiness.set(store.ready().await.is_ok());
            }
        }
    }));

    // Records the windows of failed logins that ended (a failure or a login from the same
    // address records its own window too, so nothing depends on when this runs).
    background.push(tokio::spawn({
        let state = state.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                if let Err(e) = iop_app::auth::flush_failed_logins(&state, false).await {
                    tracing::warn!(error = %e, "no se pudieron registrar los inicios de sesión fallidos");
                }
            }
        }
    }));

    // Erases the sealed secrets of step 4's deliveries that nobody retrieved in time (reads of a
    // request's deliveries erase its own too, so nothing depends on when this runs).
    background.push(tokio::spawn({
        let store = store.clone();
        let clock = state.clock.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                if let Err(e) = iop_store::DeliveryStore::expire_deliveries(store.as_ref(), clock.now()).await {
                    tracing::warn!(error = %e, "no se pudieron vencer las entregas de credenciales");
                }
            }
        }
    }));

    tracing::info!(%control_addr, %gateway_addr, ?public_addr, demo = settings.demo, "iop en marcha");
    let clock = state.clock.clone();
    Ok(Running {
        control_addr,
        public_addr,
        gateway_addr,
        demo_accounts,
        admin_password,
        demo_access,
        demo_upstream,
        gateway,
        publisher,
        state,
        audit_public_key,
        stop,
        tasks: {
            tasks.push(gateway_task);
            tasks
        },
        background,
        finale: Finale {
            store,
            records_dir,
            auditor,
            clock,
        },
    })
}
