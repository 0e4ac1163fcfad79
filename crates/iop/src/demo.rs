//! Demo mode's fictitious upstream: a person registry answering a lookup by identity card and a
//! `contrastación`, on a loopback port. Every value it returns is invented.

use crate::server::StartError;
use axum::Json;
use axum::extract::Path;
use axum::routing::{get, post};
use iop_app::seed::DemoAccess;
use serde_json::{Value, json};
use std::net::SocketAddr;
use tokio::sync::watch;
use tokio::task::JoinHandle;

async fn persona(Path(ci): Path<String>) -> Json<Value> {
    Json(json!({
        "ci": ci,
        "nombres": "JUANA (FICTICIA)",
        "primer_apellido": "PÉREZ",
        "segundo_apellido": "DEMO",
        "fecha_nacimiento": "1990-01-01",
        "aviso": "datos ficticios del modo demostración",
    }))
}

async fn contrastacion(body: Option<Json<Value>>) -> Json<Value> {
    let coincide = body
        .as_ref()
        .and_then(|b| b.get("nombres"))
        .and_then(Value::as_str)
        .is_some_and(|n| n.to_uppercase().contains("JUANA"));
    Json(json!({"coincide": coincide, "aviso": "datos ficticios del modo demostración"}))
}

/// Starts the fictitious upstream on 127.0.0.1 (ephemeral port).
pub async fn start_upstream(mut stop: watch::Receiver<bool>) -> Result<(SocketAddr, JoinHandle<()>), String> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("no se pudo iniciar el servicio ficticio: {e}"))?;
    let addr = l.local_addr().map_err(|e| e.to_string())?;
    let app = axum::Router::new()
        .route(
            "/",
            get(|| async { Json(json!({"estado": "vivo", "servicio": "registro de identidad ficticio"})) }),
        )
        .route("/personas/{ci}", get(persona))
        .route("/contrastacion", post(contrastacion));
    let task = tokio::spawn(async move {
        let _ = axum::serve(l, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    });
    Ok((addr, task))
}

/// Demo credentials are fictitious: demo mode keeps them in the data dir so that every start can
/// print them (the one exception to "a secret is shown once"). On a later start the upstream has
/// a new port, so its connector is pointed at it again.
pub fn remember_access(
    dir: &std::path::Path,
    access: Option<DemoAccess>,
    upstream: &str,
) -> Result<(Option<DemoAccess>, Option<String>), StartError> {
    let file = dir.join("demo-credenciales.json");
    let previous: Value = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let s = |k: &str| previous.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let previous_upstream = previous.get("upstream").and_then(Value::as_str).map(str::to_owned);
    let access = match access {
        Some(a) => a,
        None if previous.is_object() => DemoAccess {
            api_key: s("api_key"),
            jwt_iss: s("jwt_iss"),
            jwt_secret: s("jwt_secret"),
            base_path: s("base_path"),
        },
        None => return Ok((None, previous_upstream)),
    };
    let v = json!({"api_key": access.api_key, "jwt_iss": access.jwt_iss, "jwt_secret": access.jwt_secret, "base_path": access.base_path, "upstream": upstream});
    std::fs::write(&file, v.to_string()).map_err(|e| StartError(format!("no se pudo guardar {}: {e}", file.display())))?;
    Ok((Some(access), previous_upstream))
}

/// Points the demo services' connectors at this start's fictitious upstream (its port changes every
/// start) — only if it still points at the previous start's one: a connector someone changed is
/// left alone.
pub async fn repoint_upstream(st: &iop_app::AppState, previous: Option<&str>, upstream: &str) -> Result<(), iop_app::error::AppError> {
    let Some(previous) = previous else { return Ok(()) };
    for s in st.store.list_services(None).await? {
        if let Some(c) = st.store.connector(s.id).await?
            && c.upstreams.len() == 1
            && c.upstreams.first().map(String::as_str) == Some(previous)
            && previous != upstream
        {
            st.store
                .put_connector(
                    iop_store::ConnectorRec {
                        upstreams: vec![upstream.to_owned()],
                        created_at: st.now(),
                        ..c
                    },
                    &iop_store::AuditBy::system("demo"),
                )
                .await?;
        }
    }
    Ok(())
}
