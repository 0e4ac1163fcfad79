//! Start-up and shutdown of `iop serve`: open the store (migrating it), seed, bind both listeners,
//! serve until told to stop, then drain in-flight requests.

use crate::config::Settings;
use iop_control::seed::DemoAccount;
use iop_control::{AppState, SystemClock, seed};
use iop_domain::Clock;
use iop_gateway::Readiness;
use iop_store::Store;
use iop_store::blobs::BlobStore;
use iop_store::sqlite::SqliteStore;
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
    /// Demo accounts (demo mode, first start only).
    pub demo_accounts: Vec<DemoAccount>,
    /// The first administrator's login and password (normal mode, first start only).
    pub admin_password: Option<(String, String)>,
    pub state: AppState,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Asks both listeners to stop and waits until in-flight requests are done.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
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
        .map(Arc::new)
        .map_err(|e| {
            StartError(format!(
                "no se pudo abrir el almacén en {}: {e}",
                settings.data_dir.display()
            ))
        })
}

pub fn app_state(settings: &Settings, store: Arc<SqliteStore>, clock: Arc<dyn Clock>) -> AppState {
    AppState::new(
        store,
        BlobStore::new(settings.data_dir.join("documentos")),
        clock,
        settings.control.clone(),
    )
}

async fn bind(what: &str, addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| StartError(format!("no se pudo escuchar en {addr} ({what}): {e}")))
}

/// Starts the server with the system clock.
pub async fn start(settings: Settings) -> Result<Running, StartError> {
    start_with_clock(settings, Arc::new(SystemClock)).await
}

/// Starts the server with the given clock (tests move time forward with it).
pub async fn start_with_clock(
    settings: Settings,
    clock: Arc<dyn Clock>,
) -> Result<Running, StartError> {
    let store = open_store(&settings).await?;
    let state = app_state(&settings, store.clone(), clock);
    let seed_err = |e: iop_control::error::ApiError| {
        StartError(format!(
            "no se pudieron crear los datos iniciales: {} ({})",
            e.es, e.code
        ))
    };
    seed::ensure_agency_units(&state).await.map_err(seed_err)?;
    let (demo_accounts, admin_password) = if settings.demo {
        (seed::seed_demo(&state).await.map_err(seed_err)?, None)
    } else {
        (
            Vec::new(),
            seed::bootstrap_admin(&state).await.map_err(seed_err)?,
        )
    };

    let control_l = bind("plano de control", settings.control_addr).await?;
    let gateway_l = bind("pasarela", settings.gateway_addr).await?;
    let control_addr = control_l
        .local_addr()
        .map_err(|e| StartError(e.to_string()))?;
    let gateway_addr = gateway_l
        .local_addr()
        .map_err(|e| StartError(e.to_string()))?;

    let (stop, stop_rx) = watch::channel(false);
    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    let (control_router, _) = iop_control::router(state.clone());
    let control_task = tokio::spawn({
        let rx = stop_rx.clone();
        async move {
            let svc = control_router.into_make_service_with_connect_info::<SocketAddr>();
            if let Err(e) = axum::serve(control_l, svc)
                .with_graceful_shutdown(wait(rx))
                .await
            {
                tracing::error!(error = %e, "el plano de control terminó con error");
            }
        }
    });

    let readiness = Readiness::default();
    readiness.set(store.ready().await.is_ok());
    let gateway_task = tokio::spawn({
        let rx = stop_rx.clone();
        let router = iop_gateway::router(readiness.clone());
        async move {
            if let Err(e) = axum::serve(gateway_l, router)
                .with_graceful_shutdown(wait(rx))
                .await
            {
                tracing::error!(error = %e, "la pasarela terminó con error");
            }
        }
    });

    // Keeps the gateway's readiness flag current without the gateway touching the store.
    let probe_task = tokio::spawn({
        let mut rx = stop_rx.clone();
        async move {
            loop {
                tokio::select! {
                    changed = rx.changed() => {
                        if changed.is_err() || *rx.borrow() {
                            break;
                        }
                    }
                    () = tokio::time::sleep(Duration::from_secs(5)) => {
                        readiness.set(store.ready().await.is_ok());
                    }
                }
            }
        }
    });

    tracing::info!(%control_addr, %gateway_addr, demo = settings.demo, "iop en marcha");
    Ok(Running {
        control_addr,
        gateway_addr,
        demo_accounts,
        admin_password,
        state,
        stop,
        tasks: vec![control_task, gateway_task, probe_task],
    })
}
