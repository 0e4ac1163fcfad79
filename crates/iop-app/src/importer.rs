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

/// ... unless the store has fallen this far behind the calls (the newest record imported is
/// older than this): the import then rests only as long as each chunk took (at most half a core),
/// so that under a load that lasts, the store stays a few seconds behind instead of falling
/// further behind for as long as the load lasts.
const BEHIND_MS: i64 = 3_000;
const PACE_BEHIND: u32 = 1;

fn len_of(p: Option<&std::path::PathBuf>) -> u64 {
    p.and_then(|p| std::fs::metadata(p).ok()).map_or(0, |m| m.len())
}

/// What one import keeps from batch to batch: the bytes read and the records parsed. Reused, so
/// that a batch neither grows a 2 MiB buffer by doubling nor touches fresh memory that the
/// allocator returns to the system after it (the resident memory then swung by tens of MB with
/// the batches, and the page faults cost CPU on the serving core).
#[derive(Default)]
pub struct Buffers {
    chunk: Vec<u8>,
    rows: Vec<CallRow>,
}

/// Reads one chunk of `path` from `start` into `b.chunk` and parses its complete lines into
/// `b.rows` (cleared first, here on the blocking pool, where they were made, rather than on the
/// runtime's thread).
/// Returns the bytes read and the length of the complete lines among them.
fn read_chunk(path: &Path, start: u64, seg_name: &str, b: &mut Buffers) -> std::io::Result<(usize, usize)> {
    b.rows.clear();
    b.chunk.clear();
    // Room for a whole chunk up front: reading then never grows (nor moves) the buffer.
    b.chunk.reserve(CHUNK as usize);
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    let read = f.take(CHUNK).read_to_end(&mut b.chunk)?;
    let chunk = b.chunk.as_slice();
    let Some(last_nl) = chunk.iter().rposition(|c| *c == b'\n') else {
        return Ok((read, 0));
    };
    let complete = chunk.get(..=last_nl).unwrap_or_default();
    for line in complete.split_inclusive(|c| *c == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        if !body.is_empty() {
            match CallRow::parse(body) {
                Ok(r) => b.rows.push(r),
                Err(e) => tracing::error!(segmento = %seg_name, error = %e, "registro de llamada ilegible; se omite"),
            }
        }
    }
    Ok((read, complete.len()))
}

/// One pass over every segment; returns how many records were imported.
pub async fn import_once(store: &Arc<dyn Store>, dir: &Path) -> Result<usize, OpsError> {
    import_with(store, dir, &mut Buffers::default()).await
}

/// [`import_once`] with buffers kept from an earlier pass.
pub async fn import_with(store: &Arc<dyn Store>, dir: &Path, buffers: &mut Buffers) -> Result<usize, OpsError> {
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
            let mut b = std::mem::take(buffers);
            let (b, read) = tokio::task::spawn_blocking(move || {
                let r = read_chunk(&path, start as u64, &seg_name, &mut b);
                (b, r)
            })
            .await?;
            *buffers = b;
            let (chunk_len, complete_len) = read.map_err(OpsError::io("segmento", &seg))?;
            if complete_len == 0 {
                break;
            }
            offset += complete_len as i64;
            // Rows and the new offset commit together; a re-import after a crash finds the rows
            // already there (same chain and position) and skips them.
            store.import_calls(&name, offset, &buffers.rows).await?;
            total += buffers.rows.len();
            if len_of(newest.as_ref()) > newest_len {
                let behind = buffers.rows.last().map_or(0, |r| iop_gateway::now_ms() - r.line.ts_ms);
                let pace = if behind > BEHIND_MS { PACE_BEHIND } else { PACE };
                tokio::time::sleep(began.elapsed() * pace).await;
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
        let mut buffers = Buffers::default();
        loop {
            if let Err(e) = import_with(&store, &dir, &mut buffers).await {
                tracing::error!(error = %e, "no se pudieron importar los registros de llamadas");
            }
            tokio::time::sleep(every).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use iop_store::CallLine;

    fn line(seq: i64) -> Vec<u8> {
        let mut l = CallLine {
            seq,
            ts_ms: 1_700_000_000_000 + seq,
            request_id: format!("{seq:032x}"),
            node: "n1".into(),
            method: "GET".into(),
            path: "/v1/personas".into(),
            status: 200,
            ..Default::default()
        }
        .to_bytes();
        l.push(b'\n');
        l
    }

    #[test]
    fn a_chunk_takes_complete_lines_only_and_its_buffers_are_kept_for_the_next() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("llamadas-n1-1.jsonl");
        let mut bytes: Vec<u8> = (1..=3).flat_map(line).collect();
        let complete = bytes.len();
        // A line the writer has not finished yet: never taken.
        bytes.extend_from_slice(b"{\"seq\":4,\"prev\"");
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));

        let mut b = Buffers::default();
        let (read, done) = read_chunk(&path, 0, "s", &mut b).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((read, done), (bytes.len(), complete));
        assert_eq!(b.rows.iter().map(|r| r.line.seq).collect::<Vec<_>>(), [1, 2, 3]);
        let (buf, rows) = (b.chunk.as_ptr(), b.rows.capacity());
        assert!(b.chunk.capacity() >= CHUNK as usize);

        // The next chunk starts after the complete lines and reuses what the first one allocated.
        let (read, done) = read_chunk(&path, complete as u64, "s", &mut b).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((read, done), (bytes.len() - complete, 0));
        assert!(b.rows.is_empty(), "the rows of the previous chunk are cleared");
        assert_eq!(b.chunk.as_ptr(), buf, "the chunk buffer is reused, not allocated again");
        assert_eq!(b.rows.capacity(), rows);
    }
}
