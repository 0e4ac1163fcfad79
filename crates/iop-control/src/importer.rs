//! Imports the gateway's call-record segments into the store. Only complete lines are taken (a
//! line cut by a crash was never acknowledged); the offset of each segment is stored with the rows
//! it covers, so a restart resumes exactly where the last import stopped.

use iop_store::{CallRow, Store};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(serde::Deserialize)]
struct Line {
    ts_ms: i64,
    request_id: String,
    node: String,
    client_ip: String,
    system_id: Option<String>,
    credential_id: Option<String>,
    service_id: Option<String>,
    operation: Option<String>,
    grant_id: Option<String>,
    request_code: Option<String>,
    method: String,
    path: String,
    status: i64,
    latency_us: i64,
    bytes_in: i64,
    bytes_out: i64,
    upstream_status: Option<i64>,
    refusal: Option<String>,
    sandbox: bool,
    aggregated: Option<i64>,
}

impl From<Line> for CallRow {
    fn from(l: Line) -> Self {
        CallRow {
            node: l.node,
            request_id: l.request_id,
            ts_ms: l.ts_ms,
            client_ip: l.client_ip,
            system_id: l.system_id,
            credential_id: l.credential_id,
            service_id: l.service_id,
            operation: l.operation,
            grant_id: l.grant_id,
            request_code: l.request_code,
            method: l.method,
            path: l.path,
            status: l.status,
            latency_us: l.latency_us,
            bytes_in: l.bytes_in,
            bytes_out: l.bytes_out,
            upstream_status: l.upstream_status,
            refusal: l.refusal,
            sandbox: l.sandbox,
            aggregated: l.aggregated,
        }
    }
}

/// One pass over every segment; returns how many records were imported.
pub async fn import_once(store: &Arc<dyn Store>, dir: &Path) -> Result<usize, String> {
    let segments = iop_gateway::records::segments(dir).map_err(|e| e.to_string())?;
    let mut total = 0;
    for seg in segments {
        let name = seg.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let mut offset = store.import_offset(&name).await.map_err(|e| e.to_string())?;
        loop {
            let path = seg.clone();
            let start = offset;
            let chunk = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
                let mut f = std::fs::File::open(&path)?;
                f.seek(SeekFrom::Start(start as u64))?;
                let mut buf = Vec::new();
                f.take(4 << 20).read_to_end(&mut buf)?;
                Ok(buf)
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
            let Some(last_nl) = chunk.iter().rposition(|b| *b == b'\n') else {
                break;
            };
            let complete = &chunk[..=last_nl];
            let mut rows = Vec::new();
            for line in complete.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                match serde_json::from_slice::<Line>(line) {
                    Ok(l) => rows.push(CallRow::from(l)),
                    Err(e) => tracing::error!(segmento = %name, error = %e, "registro de llamada ilegible; se omite"),
                }
            }
            offset += complete.len() as i64;
            for part in rows.chunks(2000) {
                let last = std::ptr::eq(part.as_ptr_range().end, rows.as_ptr_range().end);
                // The offset moves with the last batch of this chunk only.
                let at = if last { offset } else { start };
                store.import_calls(&name, at, part).await.map_err(|e| e.to_string())?;
            }
            if rows.is_empty() {
                store.import_calls(&name, offset, &[]).await.map_err(|e| e.to_string())?;
            }
            total += rows.len();
            if chunk.len() < (4 << 20) {
                break;
            }
        }
    }
    Ok(total)
}

/// Imports every `every` until the process ends.
pub fn spawn(store: Arc<dyn Store>, dir: std::path::PathBuf, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = import_once(&store, &dir).await {
                tracing::error!(error = %e, "no se pudieron importar los registros de llamadas");
            }
            tokio::time::sleep(every).await;
        }
    })
}
