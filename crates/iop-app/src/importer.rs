//! Imports the gateway's call-record segments into the store. Only complete lines are taken (a
//! line cut by a crash was never acknowledged); the offset of each segment is stored with the rows
//! it covers, so a restart resumes exactly where the last import stopped.

use crate::ops_error::OpsError;
use iop_store::{CallRow, Store};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Bytes read (and records committed) per store transaction: about 3,000 records. A transaction
/// writes every index page it touches once, so larger ones write far less per record (the
/// system, service and request indexes each touch a page per consumer in the batch); smaller
/// ones hold the store's write lock for less time (a revocation must not wait long behind an
/// import).
const CHUNK: u64 = 2 << 20;

/// While calls are flowing, the import rests this many times as long as each chunk took: it uses
/// at most a fifth of a core and yields the rest to the calls. The records are already safe in the
/// segment files; the store catches up as soon as the flow stops.
const PACE: u32 = 4;

fn len_of(p: Option<&std::path::PathBuf>) -> u64 {
    p.and_then(|p| std::fs::metadata(p).ok()).map_or(0, |m| m.len())
}

/// One pass over every segment; returns how many records were imported.
pub async fn import_once(store: &Arc<dyn Store>, dir: &Path) -> Result<usize, OpsError> {
    let segments = iop_gateway::records::segments(dir).map_err(OpsError::io("registros de llamadas", dir))?;
    // The segment being written now (the newest): if it grows while a chunk is imported, calls
    // are flowing.
    let newest = segments.last().cloned();
    let mut total = 0;
    for seg in segments {
        let name = seg.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let mut offset = store.import_offset(&name).await?;
        loop {
            let path = seg.clone();
            let start = offset;
            let seg_name = name.clone();
            let began = std::time::Instant::now();
            let newest_len = len_of(newest.as_ref());
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
                let complete = chunk.get(..=last_nl).unwrap_or_default();
                let mut rows = Vec::new();
                for line in complete.split_inclusive(|b| *b == b'\n') {
                    let body = line.strip_suffix(b"\n").unwrap_or(line);
                    if !body.is_empty() {
                        match CallRow::parse(body) {
                            Ok(r) => rows.push(r),
                            Err(e) => tracing::error!(segmento = %seg_name, error = %e, "registro de llamada ilegible; se omite"),
                        }
                    }
                }
                Ok((chunk.len(), complete.len(), rows))
            })
            .await?
            .map_err(OpsError::io("segmento", &seg))?;
            if complete_len == 0 {
                break;
            }
            offset += complete_len as i64;
            // Rows and the new offset commit together; a re-import after a crash finds the rows
            // already there (same chain and position) and skips them.
            store.import_calls(&name, offset, &rows).await?;
            total += rows.len();
            if len_of(newest.as_ref()) > newest_len {
                tokio::time::sleep(began.elapsed() * PACE).await;
            }
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
