//! The gateway benchmark's ceiling: what hyper itself does on this machine with a minimal policy
//! chain, measured in every run of `bench/gateway.sh` beside nginx and iop, so that iop's figures
//! are ratios to it. Deliberately small, and left unchanged once committed (a change needs its
//! own reason in the commit message):
//!
//! - one thread (a current-thread tokio runtime), a hyper HTTP/1.1 server and a hyper client with
//!   pooled keep-alive connections to the upstream;
//! - the API key (`apikey` header) looked up in a hash map (401 without a known one);
//! - the path must start with the consumer's allowed prefix (403 otherwise);
//! - a token bucket per consumer (429 when empty; the benchmark's rate never binds);
//! - one line per call appended to a file with group commit (one `write` for every call waiting)
//!   before the response is released, as iop's `registro_llamadas = "os"` does.
//!
//! usage: minimal-proxy LISTEN UPSTREAM PREFIX APIKEY LOG_FILE

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::{Notify, oneshot};

type Body = BoxBody<Bytes, hyper::Error>;

struct Consumer {
    name: String,
    prefix: String,
    rate: f64,
    burst: f64,
    tokens: Cell<f64>,
    last: Cell<Instant>,
}

impl Consumer {
    fn take(&self, now: Instant) -> bool {
        let elapsed = now.duration_since(self.last.get()).as_secs_f64();
        self.last.set(now);
        let t = (self.tokens.get() + elapsed * self.rate).min(self.burst);
        if t >= 1.0 {
            self.tokens.set(t - 1.0);
            true
        } else {
            self.tokens.set(t);
            false
        }
    }
}

/// Call lines waiting for the next write, and who waits for it.
#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    waiters: Vec<oneshot::Sender<()>>,
}

struct Proxy {
    keys: HashMap<String, Consumer>,
    upstream: String,
    client: Client<HttpConnector, Incoming>,
    pending: RefCell<Pending>,
    flush: Notify,
    seq: Cell<u64>,
}

impl Proxy {
    /// Appends the call's line and waits until it has been written.
    async fn record(&self, line: &str) {
        let (tx, rx) = oneshot::channel();
        {
            let mut p = self.pending.borrow_mut();
            p.buf.extend_from_slice(line.as_bytes());
            p.waiters.push(tx);
        }
        self.flush.notify_one();
        let _ = rx.await;
    }

    async fn handle(self: Rc<Self>, mut req: Request<Incoming>) -> Response<Body> {
        let start = Instant::now();
        let seq = self.seq.get() + 1;
        self.seq.set(seq);
        let consumer = req
            .headers()
            .get("apikey")
            .and_then(|v| v.to_str().ok())
            .and_then(|k| self.keys.get(k));
        let status = match consumer {
            None => Some(StatusCode::UNAUTHORIZED),
            Some(c) if !req.uri().path().starts_with(&c.prefix) => Some(StatusCode::FORBIDDEN),
            Some(c) if !c.take(start) => Some(StatusCode::TOO_MANY_REQUESTS),
            Some(_) => None,
        };
        let name = consumer.map_or("-", |c| c.name.as_str()).to_owned();
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let res = match status {
            Some(s) => refusal(s),
            None => {
                let pq = req.uri().path_and_query().map_or("/", |p| p.as_str());
                let uri: Uri = match format!("{}{pq}", self.upstream).parse() {
                    Ok(u) => u,
                    Err(_) => return refusal(StatusCode::BAD_REQUEST),
                };
                *req.uri_mut() = uri;
                let h = req.headers_mut();
                h.remove("apikey");
                if let Ok(v) = HeaderValue::from_str(&name) {
                    h.insert(HeaderName::from_static("x-consumer-username"), v);
                }
                match self.client.request(req).await {
                    Ok(r) => r.map(|b| b.boxed()),
                    Err(_) => refusal(StatusCode::BAD_GATEWAY),
                }
            }
        };
        let mut line = String::with_capacity(160);
        let _ = writeln!(
            line,
            "{} {seq} {name} {method} {path} {} {}",
            start.elapsed().as_micros(),
            res.status().as_u16(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis())
        );
        self.record(&line).await;
        res
    }
}

fn refusal(s: StatusCode) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(b"{}")).map_err(|e| match e {}).boxed());
    *r.status_mut() = s;
    r
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, listen, upstream, prefix, key, log] = args.as_slice() else {
        eprintln!("usage: minimal-proxy LISTEN UPSTREAM PREFIX APIKEY LOG_FILE");
        std::process::exit(2);
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let local = tokio::task::LocalSet::new();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|e| panic!("{log}: {e}"));
    let mut keys = HashMap::new();
    keys.insert(
        key.clone(),
        Consumer {
            name: "tramites-en-linea".into(),
            prefix: prefix.clone(),
            rate: 1e9,
            burst: 1e9,
            tokens: Cell::new(1e9),
            last: Cell::new(Instant::now()),
        },
    );
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    let proxy = Rc::new(Proxy {
        keys,
        upstream: upstream.trim_end_matches('/').to_owned(),
        client: Client::builder(TokioExecutor::new()).build(http),
        pending: RefCell::new(Pending::default()),
        flush: Notify::new(),
        seq: Cell::new(0),
    });
    local.block_on(&rt, async move {
        // Group commit: whatever accumulated while the other tasks ran goes out in one write.
        let p = proxy.clone();
        tokio::task::spawn_local(async move {
            loop {
                p.flush.notified().await;
                tokio::task::yield_now().await;
                let batch = std::mem::take(&mut *p.pending.borrow_mut());
                if batch.buf.is_empty() {
                    continue;
                }
                if file.write_all(&batch.buf).is_err() {
                    std::process::exit(1);
                }
                for w in batch.waiters {
                    let _ = w.send(());
                }
            }
        });
        let listener = tokio::net::TcpListener::bind(listen.as_str())
            .await
            .unwrap_or_else(|e| panic!("{listen}: {e}"));
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let _ = stream.set_nodelay(true);
            let p = proxy.clone();
            tokio::task::spawn_local(async move {
                let svc = service_fn(move |req| {
                    let p = p.clone();
                    async move { Ok::<_, std::convert::Infallible>(p.handle(req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}
