//! A record of every call, allowed or refused, written before the response is released.
//!
//! The proxy hands each record to [`RecordWriter`] and waits for its acknowledgement. A dedicated
//! thread takes every record waiting in the queue, appends them to the segment file with one
//! `write`, in `fsync` mode also `fdatasync`s, and acknowledges them all (group commit). A record
//! acknowledged in `os` mode survives the process being killed; in `fsync` mode, power loss too.
//! The control plane imports the segment files into the store afterwards.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Written to the OS before the response is released (survives a killed process).
    Os,
    /// Also `fdatasync`ed per batch (survives power loss).
    Fsync,
}

impl Durability {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "os" => Some(Self::Os),
            "fsync" => Some(Self::Fsync),
            _ => None,
        }
    }
}

/// One call through the gateway. Field names are the record format (JSON Lines); the audit issue
/// adds its chain fields beside them.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CallRecord {
    /// Unix milliseconds when the call arrived.
    pub ts_ms: i64,
    pub request_id: String,
    pub node: Arc<str>,
    pub client_ip: String,
    pub system_id: Option<Arc<str>>,
    pub system_code: Option<Arc<str>>,
    pub credential_id: Option<Arc<str>>,
    pub service_id: Option<Arc<str>>,
    pub operation: Option<Arc<str>>,
    pub grant_id: Option<Arc<str>>,
    /// The PR05 request behind the grant (legal chain).
    pub request_code: Option<Arc<str>>,
    pub method: String,
    /// Path and query, with personal identifiers replaced by keyed hashes.
    pub path: String,
    pub status: u16,
    pub latency_us: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub upstream_status: Option<u16>,
    /// Why it was refused (the error code), if it was.
    pub refusal: Option<&'static str>,
    pub sandbox: bool,
    /// For aggregate records of unauthenticated refusals: how many calls this line stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregated: Option<u64>,
}

struct Job {
    line: Vec<u8>,
    ack: oneshot::Sender<bool>,
}

/// Appends records with group commit; see the module documentation.
#[derive(Clone)]
pub struct RecordWriter {
    tx: mpsc::Sender<Job>,
    pub dir: PathBuf,
}

fn segment_name(node: &str, n: u64) -> String {
    format!("llamadas-{node}-{n:020}.jsonl")
}

impl RecordWriter {
    /// Starts the writer thread. Records go to `dir/llamadas-<node>-<n>.jsonl`, a new segment each
    /// start (and every `segment_bytes`).
    pub fn start(dir: &Path, node: &str, durability: Durability, segment_bytes: u64) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (tx, mut rx) = mpsc::channel::<Job>(65_536);
        let first = crate::now_ms().max(0) as u64;
        let mut seq = first;
        let open = |seq: u64| -> std::io::Result<std::fs::File> {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(segment_name(node, seq)))
        };
        let mut file = open(seq)?;
        let mut written = 0u64;
        let dir_owned = dir.to_path_buf();
        let node = node.to_owned();
        std::thread::Builder::new().name("iop-registros".into()).spawn(move || {
            let mut batch: Vec<Job> = Vec::with_capacity(1024);
            let mut buf: Vec<u8> = Vec::with_capacity(256 * 1024);
            while let Some(job) = rx.blocking_recv() {
                batch.push(job);
                while batch.len() < 4096 {
                    match rx.try_recv() {
                        Ok(j) => batch.push(j),
                        Err(_) => break,
                    }
                }
                buf.clear();
                for j in &batch {
                    buf.extend_from_slice(&j.line);
                }
                let mut ok = file.write_all(&buf).is_ok();
                if ok && durability == Durability::Fsync {
                    ok = file.sync_data().is_ok();
                }
                if !ok {
                    tracing::error!("no se pudo escribir el registro de llamadas");
                }
                written += buf.len() as u64;
                for j in batch.drain(..) {
                    let _ = j.ack.send(ok);
                }
                if written >= segment_bytes {
                    seq += 1;
                    match std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(dir_owned.join(segment_name(&node, seq)))
                    {
                        Ok(f) => {
                            file = f;
                            written = 0;
                        }
                        Err(e) => tracing::error!(error = %e, "no se pudo abrir un nuevo segmento de registros"),
                    }
                }
            }
        })?;
        Ok(Self {
            tx,
            dir: dir.to_path_buf(),
        })
    }

    /// Writes a record; `true` once it is written (per the durability mode).
    pub async fn write(&self, record: &CallRecord) -> bool {
        let mut line = match serde_json::to_vec(record) {
            Ok(l) => l,
            Err(_) => return false,
        };
        line.push(b'\n');
        let (ack, done) = oneshot::channel();
        if self.tx.send(Job { line, ack }).await.is_err() {
            return false;
        }
        done.await.unwrap_or(false)
    }
}

/// Lists the segment files in order.
pub fn segments(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    v.sort();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_are_on_disk_when_acknowledged() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for mode in [Durability::Os, Durability::Fsync] {
            let w = RecordWriter::start(&dir.path().join(format!("{mode:?}")), "n1", mode, 1 << 30).unwrap_or_else(|e| panic!("{e}"));
            let mut tasks = Vec::new();
            for i in 0..200 {
                let w = w.clone();
                tasks.push(tokio::spawn(async move {
                    let r = CallRecord {
                        request_id: format!("r{i}"),
                        ..Default::default()
                    };
                    w.write(&r).await
                }));
            }
            for t in tasks {
                assert!(t.await.unwrap_or(false));
            }
            let files = segments(&w.dir).unwrap_or_default();
            let text: String = files.iter().map(|f| std::fs::read_to_string(f).unwrap_or_default()).collect();
            assert_eq!(text.lines().count(), 200);
            assert!(text.contains("\"request_id\":\"r199\""));
        }
    }
}
