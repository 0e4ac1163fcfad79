//! Imports the gateway's call-record segments into the store. Only complete lines are taken (a
//! line cut by a crash was never acknowledged); the offset of each segment is stored with the rows
//! it covers, so a restart resumes exactly where the last import stopped.

use iop_store::{CallRow, Store};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Bytes read (and records committed) per store transaction: about 2,500 records, so that the
/// store's write lock is never held long (a revocation must not wait behind an import).
const CHUNK: u64 = 512 << 10;

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

impl Line {
    fn into_row(self, line_offset: i64) -> CallRow {
        let l = self;
        CallRow {
            line_offset,
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
            let seg_name = name.clone();
            // Reading and parsing happen off the async threads, so that a large batch never stalls
            // the gateway's calls.
            let (chunk_len, complete_len, rows) = tokio::task::spawn_blocking(move || -> std::io::Result<(usize, usize, Vec<CallRow>)> {
                let mut f = std::fs::File::open(&path)?;
                f.seek(SeekFrom::Start(start as u64))?;
                let mut chunk = Vec::new();
                f.take(CHUNK).read_to_end(&mut chunk)?;
                let Some(last_nl) = chunk.iter().rposition(|b| *b == b'\n') else {
                    return Ok((chunk.len(), 0, Vec::new()));
                };
                let complete = &chunk[..=last_nl];
                let mut rows = Vec::new();
                let mut at = start;
                for line in complete.split_inclusive(|b| *b == b'\n') {
                    let body = &line[..line.len() - 1];
                    if !body.is_empty() {
                        match serde_json::from_slice::<Line>(body) {
                            Ok(l) => rows.push(l.into_row(at)),
                            Err(e) => tracing::error!(segmento = %seg_name, error = %e, "registro de llamada ilegible; se omite"),
                        }
                    }
                    at += line.len() as i64;
                }
                Ok((chunk.len(), complete.len(), rows))
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
            if complete_len == 0 {
                break;
            }
            offset += complete_len as i64;
            // Rows and the new offset commit together; a re-import after a crash finds the rows
            // already there (same segment and offset) and skips them.
            store.import_calls(&name, offset, &rows).await.map_err(|e| e.to_string())?;
            total += rows.len();
            if (chunk_len as u64) < CHUNK {
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
