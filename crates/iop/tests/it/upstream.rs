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
        "parameters": [{"name": "ci", "in": "path", "required": true, "x-pii": true}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"ci": "0000000", "nombres": "EJEMPLO"}}}}}}},
    "/eco": {"post": {"operationId": "eco", "responses": {"200": {"description": "ok"}}}},
    "/lento": {"get": {"operationId": "lento", "responses": {"200": {"description": "ok"}}}},
    "/certificados/{id}": {"get": {"operationId": "certificado", "responses": {"200": {"description": "ok"}}}}
  }
}"#;
