//! The data plane: the gateway that lets a consuming system call exactly what PR05's step 4
//! granted it, and nothing else.
//!
//! Each call goes through phases (see [`proxy`]): authenticate (`apikey` header or HS256 JWT with
//! `iss`), route (longest base path, `/fake/…` for the sandbox), authorize (grant valid now, and
//! its operations), limit (GCRA per consumer × service), forward (pooled keep-alive, credentials
//! and hop-by-hop headers stripped, identity and request id added) or answer from the examples,
//! then record — the response is released only once its record is written.
//!
//! The hot path never touches the store: it reads an immutable [`Snapshot`] that the control plane
//! compiles and swaps in atomically ([`SnapshotHandle`]).

pub mod auth;
pub mod body;
#[doc(hidden)]
pub mod fuzzing;
pub mod limit;
pub mod metrics;
pub mod path;
pub mod pool;
pub mod proxy;
pub mod records;
pub mod refusal;
pub mod snapshot;
pub mod stall;
pub mod tls;

pub use auth::DerivedKeys;
pub use hyper::header::HeaderName;
pub use pool::TlsUpstream;
pub use records::{CallRecord, Durability, RecordWriter};
pub use refusal::Refusal;
pub use snapshot::*;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Shared readiness flag: set by the process once the store is reachable and migrated.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Request ids: 32 hex digits, a random per-process prefix and a counter.
pub struct RequestIds {
    prefix: u64,
    counter: AtomicU64,
}

impl Default for RequestIds {
    fn default() -> Self {
        let mut b = [0u8; 8];
        let _ = getrandom::fill(&mut b);
        Self {
            prefix: u64::from_le_bytes(b),
            counter: AtomicU64::new(1),
        }
    }
}

impl RequestIds {
    pub fn next(&self) -> String {
        format!("{:016x}{:016x}", self.prefix, self.counter.fetch_add(1, Ordering::Relaxed))
    }
}

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// This node's name (in every record).
    pub node: Arc<str>,
    /// The largest upstream answer passed on (a larger one is refused, or cut if it was already
    /// being streamed).
    pub max_response_bytes: usize,
    /// Largest request head (line + headers).
    pub max_header_bytes: usize,
    pub connect_timeout: Duration,
    /// Rate applied when a grant has none.
    pub default_rate: Option<Rate>,
    /// Unauthenticated refusals per address and window: how many get a record of their own (the
    /// rest are counted in one aggregate record per window), and how many are answered before 429.
    pub unauth_window: Duration,
    pub unauth_record_per_window: u64,
    pub unauth_allow_per_window: u64,
    /// Query parameters (decoded, lowercase) that carry a credential: a call with one is refused
    /// (`credencial_ambigua`) and its value is recorded as `[oculto]`.
    pub credential_query_names: Vec<Box<str>>,
    /// Upstream response headers never passed on to the consumer.
    pub strip_response_headers: Vec<hyper::header::HeaderName>,
    /// How long a client may leave the gateway's answer unread before its connection is closed.
    pub client_stall: Duration,
    /// How long a client may leave its request body unsent (no byte arrives while the gateway
    /// waits for one) before the call is refused with 408 `cuerpo_lento`. A body read whole
    /// (up to 64 KiB) must arrive entirely within this time.
    pub body_stall: Duration,
}

/// The default credential-like query parameter names.
pub const CREDENTIAL_QUERY_NAMES: [&str; 7] = ["apikey", "api_key", "api-key", "token", "access_token", "jwt", "key"];

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            node: "n1".into(),
            max_response_bytes: 1 << 30,
            max_header_bytes: 32 * 1024,
            connect_timeout: Duration::from_secs(3),
            default_rate: None,
            unauth_window: Duration::from_secs(60),
            unauth_record_per_window: 60,
            unauth_allow_per_window: 600,
            credential_query_names: CREDENTIAL_QUERY_NAMES.iter().map(|n| (*n).into()).collect(),
            strip_response_headers: vec![hyper::header::SERVER, hyper::header::HeaderName::from_static("x-powered-by")],
            client_stall: Duration::from_secs(60),
            body_stall: Duration::from_secs(60),
        }
    }
}

/// Everything a call needs; shared by every connection.
pub struct Gateway {
    pub snapshot: SnapshotHandle,
    pub keys: DerivedKeys,
    pub writer: RecordWriter,
    pub metrics: metrics::Metrics,
    pub ready: Readiness,
    pub cfg: GatewayConfig,
    pool: pool::UpstreamPool,
    limiter: limit::Gcra,
    unauth: limit::UnauthLimiter,
    ids: RequestIds,
    rr: AtomicU64,
}

impl Gateway {
    pub fn new(snapshot: SnapshotHandle, keys: DerivedKeys, writer: RecordWriter, ready: Readiness, cfg: GatewayConfig) -> Arc<Self> {
        Arc::new(Self {
            snapshot,
            keys,
            writer,
            metrics: Default::default(),
            ready,
            unauth: limit::UnauthLimiter::new(
                cfg.unauth_window.as_millis() as i64,
                cfg.unauth_record_per_window,
                cfg.unauth_allow_per_window,
            ),
            pool: pool::UpstreamPool::new(),
            cfg,
            limiter: Default::default(),
            ids: Default::default(),
            rr: AtomicU64::new(0),
        })
    }

    /// Prometheus text for this gateway.
    pub fn render_metrics(&self) -> String {
        let s = self.snapshot.load();
        let age = (now_ms() - s.built_at_ms).max(0) as f64 / 1000.0;
        self.metrics.render(&s, age)
    }
}

/// Serves the gateway on `listener` (HTTP/1.1 and HTTP/2; over TLS when an acceptor is given)
/// until `stop` resolves, then lets calls in flight finish (up to 30 s).
pub async fn serve(
    listener: TcpListener,
    gw: Arc<Gateway>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(gw.cfg.max_header_bytes.max(8192))
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    builder
        .http2()
        .max_header_list_size(gw.cfg.max_header_bytes as u32)
        .timer(TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Aggregates of unauthenticated refusals are written when their window ends.
    let sweeper = {
        let gw = gw.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep((gw.cfg.unauth_window / 4).clamp(Duration::from_millis(100), Duration::from_secs(5))).await;
                for a in gw.unauth.sweep(now_ms()) {
                    gw.write_aggregate(a).await;
                }
            }
        })
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let (gw, stall) = (gw.clone(), gw.cfg.client_stall);
                let conn = Arc::new(proxy::Connection::new(peer, tls.is_some()));
                let svc = service_fn(move |req| {
                    let (gw, conn) = (gw.clone(), conn.clone());
                    async move { Ok::<_, std::convert::Infallible>(gw.handle(req, &conn).await) }
                });
                match &tls {
                    None => {
                        let conn = graceful.watch(builder.serve_connection(stall::StallGuard::new(TokioIo::new(stream), stall), svc).into_owned());
                        tokio::spawn(async move {
                            let _ = conn.await;
                        });
                    }
                    Some(acceptor) => {
                        let (acceptor, builder, watcher) = (acceptor.clone(), builder.clone(), graceful.watcher());
                        tokio::spawn(async move {
                            // A slow or broken handshake must not hold a task forever.
                            let Ok(Ok(tls_stream)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await else { return };
                            let conn = watcher.watch(builder.serve_connection(stall::StallGuard::new(TokioIo::new(tls_stream), stall), svc).into_owned());
                            let _ = conn.await;
                        });
                    }
                }
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await;
    sweeper.abort();
}
