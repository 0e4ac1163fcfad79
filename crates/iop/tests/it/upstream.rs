//! A real upstream for gateway tests: records what reaches it, answers JSON, can be slow.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Seen(pub Arc<Mutex<Vec<HeaderMap>>>);

impl Seen {
    pub fn all(&self) -> Vec<HeaderMap> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Seen,
}

async fn persona(State((seen, name)): State<(Seen, &'static str)>, headers: HeaderMap, Path(ci): Path<String>) -> Json<Value> {
    if let Ok(mut v) = seen.0.lock() {
        v.push(headers);
    }
    Json(json!({"ci": ci, "nombres": "PRUEBA", "origen": name}))
}

async fn eco(State((seen, name)): State<(Seen, &'static str)>, headers: HeaderMap, body: axum::body::Bytes) -> Json<Value> {
    if let Ok(mut v) = seen.0.lock() {
        v.push(headers);
    }
    Json(json!({"bytes": body.len(), "origen": name}))
}

async fn slow() -> Json<Value> {
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    Json(json!({"tarde": true}))
}

/// Starts an upstream named `name` on an ephemeral port.
pub async fn start(name: &'static str) -> Upstream {
    let seen = Seen::default();
    let app = axum::Router::new()
        .route("/base/personas/{ci}", get(persona))
        .route("/base/eco", post(eco))
        .route("/base/lento", get(slow))
        .route("/base/certificados/{id}", get(persona))
        .with_state((seen.clone(), name));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    Upstream { addr, seen }
}

/// An address where nothing listens.
pub async fn closed_port() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    l.local_addr().unwrap_or_else(|e| panic!("{e}"))
}

pub const DESCRIPTION: &str = r#"{
  "openapi": "3.0.3",
  "info": {"title": "Consulta (prueba)", "version": "1"},
  "paths": {
    "/personas/{ci}": {"get": {"operationId": "consultar-persona",
        "parameters": [{"name": "ci", "in": "path", "required": true, "x-pii": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"ci": "0000000", "nombres": "EJEMPLO"}}}}}}},
    "/eco": {"post": {"operationId": "eco", "responses": {"200": {"description": "ok"}}}},
    "/lento": {"get": {"operationId": "lento", "responses": {"200": {"description": "ok"}}}},
    "/certificados/{id}": {"get": {"operationId": "certificado", "responses": {"200": {"description": "ok"}}}}
  }
}"#;

/// Makes a test PKI with openssl: a CA, a server certificate for localhost and a client
/// certificate, all signed by the CA. Returns the directory holding `ca.pem`, `srv.pem`,
/// `srv.key`, `cli.pem`, `cli.key`.
pub fn test_pki() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let run = |args: &[&str]| {
        let ok = std::process::Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(ok, "openssl {args:?} failed");
    };
    std::fs::write(
        d.join("srv.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("cli.ext"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n").unwrap_or_else(|e| panic!("{e}"));
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &["-days", "1", "-subj", "/CN=CA de prueba", "-keyout", "ca.key", "-out", "ca.pem"],
    ]
    .concat());
    for (name, cn) in [("srv", "localhost"), ("cli", "sistema-de-prueba")] {
        let subj = format!("/CN={cn}");
        run(&[
            &["req"][..],
            &ec,
            &["-subj", &subj, "-keyout", &format!("{name}.key"), "-out", &format!("{name}.csr")],
        ]
        .concat());
        run(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ]);
    }
    dir
}

/// An https upstream that requires a client certificate signed by the test CA; counts the TLS
/// handshakes it completed.
pub async fn start_mtls(pki: &std::path::Path) -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(pki.join("ca.pem")).unwrap_or_else(|e| panic!("{e}")) {
        roots.add(c.unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"));
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(pki.join("srv.pem"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .collect();
    let key = PrivateKeyDer::from_pem_file(pki.join("srv.key")).unwrap_or_else(|e| panic!("{e}"));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap_or_else(|e| panic!("{e}"));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let handshakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = handshakes.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = l.accept().await else { break };
            let acceptor = acceptor.clone();
            let count = count.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else { return };
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let with_cert = tls.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
                let svc = hyper::service::service_fn(move |_req| async move {
                    let body = json!({"origen": "tls", "certificado_cliente": with_cert}).to_string();
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Full::new(bytes::Bytes::from(body))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (addr, handshakes)
}
