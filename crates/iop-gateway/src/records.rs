//! A record of every call, allowed or refused, written before the response is released.
//!
//! The proxy hands each record to [`RecordWriter`] and waits for its acknowledgement. A dedicated
//! thread takes every record waiting in the queue, appends them to the segment file with one
//! `write`, in `fsync` mode also `fdatasync`s, and acknowledges them all (group commit). A record
//! acknowledged in `os` mode survives the process being killed; in `fsync` mode, power loss too.
//! The control plane imports the segment files into the store afterwards.
//!
//! Each record is chained (see `iop-audit`): it starts with its position `seq` in this node's
//! chain and `prev`, the SHA-256 of the previous record's line. The chain continues across
//! restarts and segments: at start the writer resumes after the last complete line on disk (or
//! the last record the store holds, whichever is further).

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::oneshot;

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

/// One call through the gateway. Field names are the record format (JSON Lines), after the chain's
/// `seq` and `prev`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CallRecord {
    /// Unix milliseconds when the call arrived.
    pub ts_ms: i64,
    /// The gateway's own id of the call (sent upstream as `X-Request-Id`).
    pub request_id: String,
    /// The client's `X-Request-Id`, if it sent a short and plain one (passed on as
    /// `X-Client-Request-Id`); never used to find the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    pub node: Arc<str>,
    pub client_ip: Arc<str>,
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
    /// For a call whose answer was streamed: `"inicio"` on the record written before its head
    /// was released (bytes counted so far), `"fin"` on the completion record written when its
    /// body ended (same `request_id` and `ts_ms`; `latency_us`, `bytes_in` and `bytes_out` then
    /// cover the whole call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<&'static str>,
    /// On a completion record: why the stream ended early (`cliente_cerro`,
    /// `respuesta_interrumpida`, `respuesta_muy_grande`), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut: Option<&'static str>,
}

struct Pending {
    buf: Vec<u8>,
    /// The chain as of the last record queued...
    chain: iop_audit::Chain,
    /// ...and as of the last record on disk: a failed write rewinds to it.
    committed: iop_audit::Chain,
    /// Off only to measure what the chain costs (such records do not verify).
    chained: bool,
    waiters: Vec<oneshot::Sender<bool>>,
    /// A flush is scheduled or running: new records join the next batch.
    scheduled: bool,
}

struct Segment {
    file: std::fs::File,
    written: u64,
    seq: u64,
}

struct Shared {
    /// Tests only: the next write stops halfway and fails, as on a full disk.
    #[cfg(test)]
    fail_next_write: std::sync::atomic::AtomicBool,
    pending: std::sync::Mutex<Pending>,
    segment: std::sync::Mutex<Segment>,
    wake: tokio::sync::Notify,
    durability: Durability,
    segment_bytes: u64,
    node: String,
    dir: PathBuf,
}

/// Appends records with group commit; see the module documentation.
///
/// Records are appended to a shared buffer; one flusher task takes the whole buffer at a time,
/// writes it with one `write` (in `fsync` mode followed by `fdatasync`, off the async threads) and
/// acknowledges every record in it. Everything stays on the runtime's own threads in `os` mode, so
/// a call costs no thread hand-off.
#[derive(Clone)]
pub struct RecordWriter {
    shared: Arc<Shared>,
    pub dir: PathBuf,
}

fn segment_name(node: &str, n: u64) -> String {
    format!("llamadas-{node}-{n:020}.jsonl")
}

/// This node's segments with their numbers, in order.
fn node_segments(dir: &Path, node: &str) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let prefix = format!("llamadas-{node}-");
    let mut v: Vec<(u64, PathBuf)> = segments(dir)?
        .into_iter()
        .filter_map(|p| {
            let n = p
                .file_name()?
                .to_str()?
                .strip_prefix(&prefix)?
                .strip_suffix(".jsonl")?
                .parse::<u64>()
                .ok()?;
            Some((n, p))
        })
        .collect();
    v.sort();
    Ok(v)
}

/// The last complete line of these segments: its position and bytes.
fn last_record(files: &[(u64, PathBuf)]) -> std::io::Result<Option<(u64, Vec<u8>)>> {
    use std::io::{Read, Seek, SeekFrom};
    for (_, f) in files.iter().rev() {
        let mut file = std::fs::File::open(f)?;
        let len = file.metadata()?.len();
        let mut from = len.saturating_sub(1 << 20);
        loop {
            file.seek(SeekFrom::Start(from))?;
            let mut tail = Vec::new();
            (&mut file).take(len - from).read_to_end(&mut tail)?;
            let Some(end) = tail.iter().rposition(|b| *b == b'\n') else {
                break;
            };
            let lines = tail.get(..end).unwrap_or_default();
            match lines.iter().rposition(|b| *b == b'\n') {
                Some(s) => return Ok(last_of(lines.get(s + 1..).unwrap_or_default())),
                None if from == 0 => return Ok(last_of(lines)),
                None => from = 0,
            }
        }
    }
    Ok(None)
}

fn last_of(line: &[u8]) -> Option<(u64, Vec<u8>)> {
    iop_audit::head_of(line).map(|(seq, _)| (seq, line.to_vec()))
}

fn open_segment(dir: &Path, node: &str, seq: u64) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(segment_name(node, seq)))
}

impl RecordWriter {
    /// Starts the writer (must run inside a Tokio runtime). Records go to
    /// `dir/llamadas-<node>-<n>.jsonl`, a new segment each start (and every `segment_bytes`).
    /// `stored` is the last record of this node's chain the store holds, if any.
    pub fn start(
        dir: &Path,
        node: &str,
        durability: Durability,
        segment_bytes: u64,
        stored: Option<(u64, Vec<u8>)>,
    ) -> std::io::Result<Self> {
        Self::start_with(dir, node, durability, segment_bytes, stored, true)
    }

    /// [`RecordWriter::start`], with the chain optionally off (benchmarks only).
    pub fn start_with(
        dir: &Path,
        node: &str,
        durability: Durability,
        segment_bytes: u64,
        stored: Option<(u64, Vec<u8>)>,
        chained: bool,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mine = node_segments(dir, node)?;
        let on_disk = last_record(&mine)?;
        // A new segment each start, never one that exists (a torn last line stays where it is,
        // unimported): numbered by the start time, above every segment of this node.
        let newest = mine.last().map(|(n, _)| *n);
        let seq = (crate::now_ms().max(0) as u64).max(newest.map_or(0, |n| n + 1));
        let chain = match on_disk.into_iter().chain(stored).max_by_key(|(seq, _)| *seq) {
            Some((seq, line)) => iop_audit::Chain::after(seq, &line),
            None => iop_audit::Chain::default(),
        };
        let file = open_segment(dir, node, seq)?;
        let shared = Arc::new(Shared {
            pending: std::sync::Mutex::new(Pending {
                buf: Vec::with_capacity(1 << 16),
                chain,
                committed: chain,
                chained,
                waiters: Vec::with_capacity(256),
                scheduled: false,
            }),
            #[cfg(test)]
            fail_next_write: Default::default(),
            segment: std::sync::Mutex::new(Segment { file, written: 0, seq }),
            wake: tokio::sync::Notify::new(),
            durability,
            segment_bytes,
            node: node.to_owned(),
            dir: dir.to_path_buf(),
        });
        let flusher = shared.clone();
        tokio::spawn(async move {
            loop {
                flusher.wake.notified().await;
                // Let the calls that are ready run first, so that they join this batch.
                tokio::task::yield_now().await;
                let (buf, waiters, before, after) = {
                    let mut p = flusher.pending.lock().unwrap_or_else(|e| e.into_inner());
                    p.scheduled = false;
                    (std::mem::take(&mut p.buf), std::mem::take(&mut p.waiters), p.committed, p.chain)
                };
                if waiters.is_empty() {
                    continue;
                }
                let ok = match flusher.durability {
                    Durability::Os => flusher.append(&buf),
                    Durability::Fsync => {
                        let f = flusher.clone();
                        tokio::task::spawn_blocking(move || f.append(&buf)).await.unwrap_or(false)
                    }
                };
                let mut failed = Vec::new();
                {
                    let mut p = flusher.pending.lock().unwrap_or_else(|e| e.into_inner());
                    if ok {
                        p.committed = after;
                    } else {
                        // Nothing of the batch is on disk (the file was cut back): the chain
                        // rewinds, and the records queued meanwhile, chained after the lost ones,
                        // fail with them. None of them was acknowledged.
                        p.chain = before;
                        p.committed = before;
                        p.buf.clear();
                        failed = std::mem::take(&mut p.waiters);
                    }
                }
                if !ok {
                    tracing::error!("no se pudo escribir el registro de llamadas");
                }
                for w in waiters.into_iter().chain(failed) {
                    let _ = w.send(ok);
                }
            }
        });
        Ok(Self {
            shared,
            dir: dir.to_path_buf(),
        })
    }

    /// Writes a record; `true` once it is written (per the durability mode).
    pub async fn write(&self, record: &CallRecord) -> bool {
        let (ack, done) = oneshot::channel();
        {
            let mut p = self.shared.pending.lock().unwrap_or_else(|e| e.into_inner());
            let p = &mut *p;
            let written = if p.chained {
                p.chain.append_json(&mut p.buf, record).is_ok()
            } else {
                p.chain.append_json_unchained(&mut p.buf, record).is_ok()
            };
            if !written {
                return false;
            }
            p.waiters.push(ack);
            if !p.scheduled {
                p.scheduled = true;
                self.shared.wake.notify_one();
            }
        }
        done.await.unwrap_or(false)
    }
}

impl Shared {
    /// Appends `buf` whole, or leaves the segment as it was: a failed or partial write is cut
    /// back, or if even that fails the segment is abandoned for a new one, so that no later record
    /// is ever glued to a torn one.
    fn append(&self, buf: &[u8]) -> bool {
        let mut seg = self.segment.lock().unwrap_or_else(|e| e.into_inner());
        let mut ok = self.write_all(&mut seg.file, buf).is_ok();
        if ok && self.durability == Durability::Fsync {
            ok = seg.file.sync_data().is_ok();
        }
        if !ok {
            let cut = seg.file.set_len(seg.written).and_then(|()| seg.file.sync_data());
            if cut.is_err() {
                seg.written = self.segment_bytes;
            } else {
                return false;
            }
        } else {
            seg.written += buf.len() as u64;
        }
        if seg.written >= self.segment_bytes {
            let next = seg.seq + 1;
            match open_segment(&self.dir, &self.node, next) {
                Ok(f) => {
                    *seg = Segment {
                        file: f,
                        written: 0,
                        seq: next,
                    };
                }
                Err(e) => {
                    tracing::error!(error = %e, "no se pudo abrir un nuevo segmento de registros");
                    return false;
                }
            }
        }
        ok
    }

    fn write_all(&self, file: &mut std::fs::File, buf: &[u8]) -> std::io::Result<()> {
        #[cfg(test)]
        if self.fail_next_write.swap(false, std::sync::atomic::Ordering::SeqCst) {
            file.write_all(buf.get(..buf.len() / 2).unwrap_or_default())?;
            return Err(std::io::Error::other("sin espacio (simulado)"));
        }
        file.write_all(buf)
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
            let w = RecordWriter::start(&dir.path().join(format!("{mode:?}")), "n1", mode, 1 << 30, None).unwrap_or_else(|e| panic!("{e}"));
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

    #[tokio::test]
    async fn a_failed_write_is_cut_back_and_the_chain_rewinds() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let w = RecordWriter::start(dir.path(), "n1", Durability::Os, 1 << 30, None).unwrap_or_else(|e| panic!("{e}"));
        let rec = |id: &str| CallRecord {
            request_id: id.into(),
            ..Default::default()
        };
        assert!(w.write(&rec("a")).await);
        w.shared.fail_next_write.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(!w.write(&rec("b")).await, "a record not on disk is never acknowledged");
        assert!(w.write(&rec("c")).await);
        let text: String = segments(dir.path())
            .unwrap_or_default()
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap_or_default())
            .collect();
        assert!(!text.contains("\"b\""), "no torn half of the failed record: {text}");
        let mut check = iop_audit::ChainCheck::new("llamadas", "n1", None, true);
        for line in text.lines() {
            let (seq, _) = iop_audit::head_of(line.as_bytes()).unwrap_or_else(|| panic!("línea sin cadena: {line}"));
            check.push(seq, line.as_bytes(), None).unwrap_or_else(|p| panic!("{p}"));
        }
        let s = check.finish().unwrap_or_else(|p| panic!("{p}"));
        assert_eq!((s.first, s.last), (1, 2), "a then c, with no gap");
    }

    #[tokio::test]
    async fn the_chain_continues_across_restarts_and_ignores_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for round in 0..3 {
            let w = RecordWriter::start(dir.path(), "n1", Durability::Os, 300, None).unwrap_or_else(|e| panic!("{e}"));
            for i in 0..5 {
                let r = CallRecord {
                    request_id: format!("r{round}-{i}"),
                    ..Default::default()
                };
                assert!(w.write(&r).await);
            }
            // A line cut by a crash: never acknowledged, never chained.
            let last = segments(dir.path()).unwrap_or_default().pop().unwrap_or_default();
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(last)
                .unwrap_or_else(|e| panic!("{e}"));
            f.write_all(b"{\"seq\":999,\"prev\":\"ab").unwrap_or_else(|e| panic!("{e}"));
        }
        let mut check = iop_audit::ChainCheck::new("llamadas", "n1", None, true);
        for f in segments(dir.path()).unwrap_or_default() {
            let bytes = std::fs::read(f).unwrap_or_default();
            for line in bytes.split_inclusive(|b| *b == b'\n').filter(|l| l.ends_with(b"\n")) {
                let body = &line[..line.len() - 1];
                let (seq, _) = iop_audit::head_of(body).unwrap_or_else(|| panic!("línea sin cadena"));
                check.push(seq, body, None).unwrap_or_else(|p| panic!("{p}"));
            }
        }
        let s = check.finish().unwrap_or_else(|p| panic!("{p}"));
        assert_eq!((s.first, s.last), (1, 15));
    }
}
