//! The audit log's operations over the store: signed checkpoints (and their witness), verification
//! of the stored chains, export of a time range, and retention (archive, verify, prune).

use crate::ops_error::OpsError;
use iop_audit::{ChainCheck, ChainSummary, Checkpoint, CheckpointBody, Fault, Problem, PublicKey, Signer, to_hex};
use iop_store::{AuditBy, ChainInfo, CheckpointRow, Store};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Rows read per store query while walking a chain.
const PAGE: i64 = 20_000;

/// An instant given as RFC 3339, or as a La Paz day `YYYY-MM-DD` (its start; with `end`, the next
/// day's start, so that the day is included), in Unix milliseconds.
pub fn parse_instant(s: &str, end: bool) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let d = iop_domain::calendar::parse_date(s)?;
    let d = if end { d.next_day()? } else { d };
    let t = d.with_time(time::Time::MIDNIGHT).assume_offset(iop_domain::calendar::LA_PAZ);
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Reads the platform's Ed25519 signing key (PKCS#8, hex), creating it (mode 0600) if missing.
pub fn load_or_create_key(path: &Path) -> Result<Signer, OpsError> {
    const QUE: &str = "clave de auditoría";
    let key = |problema| OpsError::Key {
        que: QUE,
        ruta: path.to_path_buf(),
        problema,
    };
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(OpsError::io(QUE, path))?;
        let doc = iop_audit::from_hex(text.trim()).ok_or_else(|| key("no es hexadecimal"))?;
        return Signer::from_pkcs8(&doc).ok_or_else(|| key("no es una clave Ed25519 PKCS#8"));
    }
    let rng = ring::rand::SystemRandom::new();
    let doc = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| OpsError::NoRandomness)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(OpsError::io("directorio", dir))?;
    }
    crate::secrets::write_private(path, &to_hex(doc.as_ref())).map_err(OpsError::io(QUE, path))?;
    Signer::from_pkcs8(doc.as_ref()).ok_or_else(|| key("la clave generada no es válida"))
}

fn problem(stream: &str, node: &str, seq: u64, fault: Fault, detail: impl Into<String>) -> Problem {
    Problem {
        stream: stream.into(),
        node: node.into(),
        seq,
        fault,
        detail: detail.into(),
    }
}

fn backend(e: impl std::fmt::Display) -> Problem {
    problem("", "", 0, Fault::Malformed, format!("no se pudo leer el almacén: {e}"))
}

/// Signs checkpoints, exports, archives.
pub struct Auditor {
    pub store: Arc<dyn Store>,
    pub signer: Arc<Signer>,
    /// A file on another volume that receives a copy of every checkpoint.
    pub witness: Option<PathBuf>,
}

impl Auditor {
    fn row(&self, stream: &str, node: &str, seq: i64, head: &[u8], kind: &str, ts_ms: i64) -> CheckpointRow {
        let c = self.signer.checkpoint(CheckpointBody {
            cadena: stream.into(),
            nodo: node.into(),
            seq: seq as u64,
            cabeza: to_hex(head),
            ts_ms,
            tipo: kind.into(),
            clave: String::new(),
        });
        CheckpointRow {
            stream: stream.into(),
            node: node.into(),
            seq,
            kind: kind.into(),
            ts_ms,
            body: c.cuerpo,
            signature: c.firma,
        }
    }

    /// Appends checkpoints to the witness file and syncs it, on the blocking pool (never on the
    /// runtime that serves calls).
    async fn witness(&self, cps: &[CheckpointRow]) -> Result<(), OpsError> {
        let Some(path) = self.witness.clone() else { return Ok(()) };
        let mut text = String::new();
        for c in cps {
            let line = serde_json::to_string(&Checkpoint {
                cuerpo: c.body.clone(),
                firma: c.signature.clone(),
            })?;
            text.push_str(&line);
            text.push('\n');
        }
        tokio::task::spawn_blocking(move || {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(OpsError::io("testigo", &path))?;
            f.write_all(text.as_bytes())
                .and_then(|_| f.sync_data())
                .map_err(OpsError::io("testigo", &path))
        })
        .await?
    }

    /// How many records each chain has beyond its last checkpoint.
    async fn unsigned(&self) -> Result<Vec<(ChainInfo, i64)>, OpsError> {
        let chains = self.store.chains().await?;
        let last: BTreeMap<(String, String), i64> = self
            .store
            .last_checkpoints()
            .await?
            .into_iter()
            .map(|(s, n, q)| ((s, n), q))
            .collect();
        Ok(chains
            .into_iter()
            .map(|c| {
                let done = last.get(&(c.stream.clone(), c.node.clone())).copied().unwrap_or(0);
                let behind = c.last - done;
                (c, behind)
            })
            .collect())
    }

    /// Signs a checkpoint for every chain whose head moved since its last one; returns them.
    pub async fn checkpoint_now(&self, ts_ms: i64) -> Result<Vec<CheckpointRow>, OpsError> {
        let new: Vec<CheckpointRow> = self
            .unsigned()
            .await?
            .iter()
            .filter(|(_, behind)| *behind > 0)
            .map(|(c, _)| self.row(&c.stream, &c.node, c.last, &c.head, "periodico", ts_ms))
            .collect();
        if new.is_empty() {
            return Ok(new);
        }
        self.store.add_checkpoints(&new).await?;
        self.witness(&new).await?;
        Ok(new)
    }

    /// Checkpoints every `every`, or sooner once a chain has `records` records beyond its last
    /// checkpoint (only chains that moved are signed).
    pub fn spawn(self: Arc<Self>, every: Duration, records: i64, clock: Arc<dyn iop_domain::Clock>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let tick = every.min(Duration::from_secs(1));
            let mut since = Duration::ZERO;
            loop {
                tokio::time::sleep(tick).await;
                since += tick;
                let due = since >= every
                    || match self.unsigned().await {
                        Ok(v) => v.iter().any(|(_, behind)| *behind >= records),
                        Err(_) => true,
                    };
                if !due {
                    continue;
                }
                since = Duration::ZERO;
                let now = (clock.now().unix_timestamp_nanos() / 1_000_000) as i64;
                if let Err(e) = self.checkpoint_now(now).await {
                    tracing::error!(error = %e, "no se pudo firmar el punto de control de auditoría");
                }
            }
        })
    }

    /// Writes the records of `[from_ms, to_ms)` as a signed export. Each chain's part runs on to
    /// the first checkpoint at or after its last record in the range (signed now if needed), so
    /// every exported record is covered by a signature.
    pub async fn export<W: Write>(&self, out: W, from_ms: i64, to_ms: i64, now_ms: i64) -> Result<(W, u64), OpsError> {
        self.checkpoint_now(now_ms).await?;
        let chains = self.store.chains().await?;
        let cps = self.store.checkpoints().await?;
        let mut plan = Vec::new();
        for c in &chains {
            let Some((a, b)) = self.store.chain_span(&c.stream, &c.node, from_ms, to_ms).await? else {
                continue;
            };
            let mine: Vec<&CheckpointRow> = cps.iter().filter(|p| p.stream == c.stream && p.node == c.node).collect();
            let end = mine
                .iter()
                .filter(|p| p.seq >= b && p.kind == "periodico")
                .map(|p| p.seq)
                .min()
                .unwrap_or(c.last);
            let keep: Vec<CheckpointRow> = mine
                .into_iter()
                .filter(|p| (p.seq >= a && p.seq <= end) || (p.kind == "poda" && p.seq == a - 1))
                .cloned()
                .collect();
            plan.push((c.clone(), a, end, keep));
        }
        let mut w = iop_audit::export::Writer::new(out, &self.signer.public(), from_ms, to_ms, now_ms).map_err(OpsError::Export)?;
        for (_, _, _, keep) in &plan {
            for p in keep {
                w.checkpoint(&Checkpoint {
                    cuerpo: p.body.clone(),
                    firma: p.signature.clone(),
                })
                .map_err(OpsError::Export)?;
            }
        }
        let mut n = 0u64;
        for (c, a, end, _) in &plan {
            let mut after = a - 1;
            while after < *end {
                let rows = self.store.chain_rows(&c.stream, &c.node, after, PAGE).await?;
                if rows.is_empty() {
                    break;
                }
                for (seq, body, _) in rows.iter().filter(|r| r.0 <= *end) {
                    w.record(&c.stream, &c.node, *seq as u64, body).map_err(OpsError::Export)?;
                    n += 1;
                }
                after = rows.last().map_or(*end, |r| r.0);
            }
        }
        let out = w.finish(&self.signer).map_err(OpsError::Export)?;
        Ok((out, n))
    }

    /// Retention: for each chain, the records older than `before_ms` (all but the chain's last)
    /// are exported to `dir`, the export is verified, and only then pruned, leaving a signed
    /// `poda` checkpoint. Returns the archive file and the number of records removed.
    pub async fn archive(&self, dir: &Path, before_ms: i64, now_ms: i64, by: &AuditBy) -> Result<Option<(PathBuf, u64)>, OpsError> {
        let chains = self.store.chains().await?;
        let mut targets = Vec::new();
        for c in &chains {
            let span = self.store.chain_span(&c.stream, &c.node, i64::MIN, before_ms).await?;
            if let Some((_, upto)) = span {
                let upto = upto.min(c.last - 1);
                if upto >= c.first {
                    targets.push((c.clone(), upto));
                }
            }
        }
        if targets.is_empty() {
            return Ok(None);
        }
        std::fs::create_dir_all(dir).map_err(OpsError::io("directorio de archivo", dir))?;
        let path = dir.join(format!("auditoria-hasta-{before_ms}-{now_ms}.jsonl"));
        // Signed checkpoints exactly at each cut, so the archive ends on a signature.
        let mut cuts = Vec::new();
        for (c, upto) in &targets {
            let rows = self.store.chain_rows(&c.stream, &c.node, upto - 1, 1).await?;
            let Some((_, body, _)) = rows.first() else { continue };
            let head = iop_audit::digest(body.as_bytes());
            cuts.push((c.clone(), *upto, head));
        }
        let marks: Vec<CheckpointRow> = cuts
            .iter()
            .map(|(c, upto, head)| self.row(&c.stream, &c.node, *upto, head, "periodico", now_ms))
            .collect();
        self.store.add_checkpoints(&marks).await?;
        self.witness(&marks).await?;
        let file = std::fs::File::create(&path).map_err(OpsError::io("archivo", &path))?;
        let (file, _) = self
            .export(std::io::BufWriter::with_capacity(1 << 20, file), i64::MIN, before_ms, now_ms)
            .await?;
        let file = file.into_inner().map_err(|e| OpsError::Export(e.into_error()))?;
        // Sync, then verify what was written before anything is removed: both on the blocking
        // pool (a large archive takes seconds of I/O and hashing).
        let (written, key) = (path.clone(), self.signer.public());
        let report = tokio::task::spawn_blocking(move || {
            file.sync_all().map_err(OpsError::io("archivo", &written))?;
            let reader = std::io::BufReader::new(std::fs::File::open(&written).map_err(OpsError::io("archivo", &written))?);
            iop_audit::export::verify(reader, &key).map_err(OpsError::ArchiveUnverified)
        })
        .await??;
        let mut removed = 0;
        for (c, upto, head) in &cuts {
            let archived = report
                .chains
                .iter()
                .any(|s| s.stream == c.stream && s.node == c.node && s.last >= *upto as u64);
            if !archived {
                return Err(OpsError::NotArchived {
                    stream: c.stream.clone(),
                    node: c.node.clone(),
                });
            }
            let cp = self.row(&c.stream, &c.node, *upto, head, "poda", now_ms);
            removed += self.store.prune(&cp, by, iop_store::sqlite::from_ms(now_ms)).await?;
            self.witness(std::slice::from_ref(&cp)).await?;
        }
        Ok(Some((path, removed)))
    }
}

/// What a verification found.
#[derive(Debug)]
pub struct Verified {
    pub chains: Vec<ChainSummary>,
    pub checkpoints: usize,
}

fn opened(c: &CheckpointRow, key: &PublicKey) -> Result<CheckpointBody, Problem> {
    Checkpoint {
        cuerpo: c.body.clone(),
        firma: c.signature.clone(),
    }
    .open(key)
    .map_err(|e| {
        problem(
            &c.stream,
            &c.node,
            c.seq as u64,
            Fault::BadSignature,
            format!("punto de control: {e}"),
        )
    })
}

/// Walks every stored chain against its signed checkpoints (and the witness's, if given).
pub async fn verify_store(store: &dyn Store, key: &PublicKey, witness: Option<&Path>) -> Result<Verified, Problem> {
    let rows = store.checkpoints().await.map_err(backend)?;
    let mut cps: Vec<CheckpointBody> = Vec::new();
    for c in &rows {
        let b = opened(c, key)?;
        if b.cadena != c.stream || b.nodo != c.node || b.seq != c.seq as u64 {
            return Err(problem(
                &c.stream,
                &c.node,
                c.seq as u64,
                Fault::Altered,
                "el punto de control guardado no coincide con su cuerpo firmado",
            ));
        }
        cps.push(b);
    }
    if let Some(w) = witness {
        let text = std::fs::read_to_string(w).map_err(|e| problem("", "", 0, Fault::Malformed, format!("testigo {}: {e}", w.display())))?;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let c: Checkpoint =
                serde_json::from_str(line).map_err(|e| problem("", "", 0, Fault::Malformed, format!("testigo, línea {}: {e}", i + 1)))?;
            let b = c
                .open(key)
                .map_err(|e| problem("", "", 0, Fault::BadSignature, format!("testigo, línea {}: {e}", i + 1)))?;
            cps.push(b);
        }
    }
    let mut by_chain: BTreeMap<(String, String), Vec<CheckpointBody>> = BTreeMap::new();
    for b in cps {
        by_chain.entry((b.cadena.clone(), b.nodo.clone())).or_default().push(b);
    }
    let mut chains: BTreeMap<(String, String), Option<ChainInfo>> = by_chain.keys().map(|k| (k.clone(), None)).collect();
    for c in store.chains().await.map_err(backend)? {
        chains.insert((c.stream.clone(), c.node.clone()), Some(c));
    }
    let mut out = Vec::new();
    for ((stream, node), _) in chains {
        let mine = by_chain.get(&(stream.clone(), node.clone())).map(Vec::as_slice).unwrap_or_default();
        let pruned = mine
            .iter()
            .filter(|b| b.tipo == "poda")
            .max_by_key(|b| b.seq)
            .and_then(|b| Some((b.seq, iop_audit::hash_from_hex(&b.cabeza)?)));
        let mut check = ChainCheck::new(&stream, &node, pruned, true);
        for b in mine.iter().filter(|b| pruned.is_none_or(|p| b.seq > p.0)) {
            check.checkpoint(b);
        }
        let mut after = pruned.map_or(0, |p| p.0 as i64);
        loop {
            let rows = store.chain_rows(&stream, &node, after, PAGE).await.map_err(backend)?;
            if rows.is_empty() {
                break;
            }
            for (seq, body, hash) in &rows {
                check.push(*seq as u64, body.as_bytes(), Some(hash))?;
            }
            after = rows.last().map_or(after, |r| r.0);
        }
        out.push(check.finish()?);
    }
    Ok(Verified {
        checkpoints: rows.len(),
        chains: out,
    })
}
