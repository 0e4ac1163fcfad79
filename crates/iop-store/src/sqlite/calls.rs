//! The call stream (`llamadas`) on SQLite: compact rows in `call_log` with their texts in the
//! `call_terms` dictionary (see [`crate::calls`]); every read rebuilds the exact chained line.

use super::*;
use crate::audit::*;
use crate::calls::{CallLine, CallRow, compact_hex};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Search hits from `call_log` carry their row id plus this, so that one cursor `(ts_ms, id)`
/// orders them together with `audit_log`'s (whose ids stay far below it).
pub(crate) const CALL_ID_BASE: i64 = 1 << 40;

/// Rows per multi-row INSERT (28 values each, well under SQLite's bound of 32,766).
const ROWS_PER_INSERT: usize = 400;

/// The columns every read of `call_log` selects (a macro so that queries stay static strings).
macro_rules! cols {
    () => {
        "id, node, seq, ts_ms, prev, rid, rid_text, client_request_id, client_ip, system, system_code, \
    credential, service, operation, grant_id, request_code, method, path, status, latency_us, bytes_in, bytes_out, \
    upstream_status, refusal, sandbox, aggregated, part, cut, raw"
    };
}

/// The dictionary as far as this process has seen it (terms are never changed or removed, so a
/// cached pair stays true).
#[derive(Debug, Default)]
pub(crate) struct Terms {
    ids: HashMap<Arc<str>, i64>,
    texts: HashMap<i64, Arc<str>>,
    /// Every term up to this id has been loaded.
    loaded: i64,
}

pub(crate) type TermCache = Arc<Mutex<Terms>>;

impl Terms {
    fn add(&mut self, id: i64, term: Arc<str>) {
        self.ids.insert(term.clone(), id);
        self.texts.insert(id, term);
    }
}

fn lock(t: &TermCache) -> std::sync::MutexGuard<'_, Terms> {
    t.lock().unwrap_or_else(|p| p.into_inner())
}

/// The texts of a record that go to the dictionary, in column order.
fn terms_of(l: &CallLine) -> [Option<&str>; 13] {
    [
        Some(l.node.as_str()),
        Some(l.client_ip.as_str()),
        l.system_id.as_deref(),
        l.system_code.as_deref(),
        l.credential_id.as_deref(),
        l.service_id.as_deref(),
        l.operation.as_deref(),
        l.grant_id.as_deref(),
        l.request_code.as_deref(),
        Some(l.method.as_str()),
        l.refusal.as_deref(),
        l.part.as_deref(),
        l.cut.as_deref(),
    ]
}

impl SqliteStore {
    /// Loads the terms added since the last load.
    async fn load_terms(&self) -> StoreResult<()> {
        let after = lock(&self.terms).loaded;
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, term FROM call_terms WHERE id > ? ORDER BY id")
            .bind(after)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut t = lock(&self.terms);
        for (id, term) in rows {
            t.loaded = t.loaded.max(id);
            t.add(id, term.into());
        }
        Ok(())
    }

    /// The dictionary's number for a text, if it has one (`None` also when no record ever had it).
    pub(crate) async fn term_id(&self, text: &str) -> StoreResult<Option<i64>> {
        if let Some(id) = lock(&self.terms).ids.get(text) {
            return Ok(Some(*id));
        }
        sqlx::query_scalar("SELECT id FROM call_terms WHERE term = ?")
            .bind(text)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    /// Stores call rows (those already stored are skipped) inside `tx`; the dictionary's new
    /// terms join the cache only once the caller has committed (see the returned list).
    pub(crate) async fn insert_calls(&self, tx: &mut Transaction<'static, Sqlite>, rows: &[CallRow]) -> StoreResult<Vec<(i64, Arc<str>)>> {
        let missing: Vec<&str> = {
            let t = lock(&self.terms);
            let mut seen = std::collections::HashSet::new();
            rows.iter()
                .flat_map(|r| terms_of(&r.line))
                .flatten()
                .filter(|s| !t.ids.contains_key(*s) && seen.insert(*s))
                .collect()
        };
        let mut fresh: HashMap<&str, i64> = HashMap::new();
        for term in missing {
            sqlx::query("INSERT OR IGNORE INTO call_terms (term) VALUES (?)")
                .bind(term)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            let id: i64 = sqlx::query_scalar("SELECT id FROM call_terms WHERE term = ?")
                .bind(term)
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
            fresh.insert(term, id);
        }
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            // The numbers of every row's terms, looked up under one lock.
            let ids: Vec<[Option<i64>; 13]> = {
                let t = lock(&self.terms);
                chunk
                    .iter()
                    .map(|r| terms_of(&r.line).map(|s| s.and_then(|s| fresh.get(s).or_else(|| t.ids.get(s)).copied())))
                    .collect()
            };
            let mut q = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT OR IGNORE INTO call_log (node, seq, ts_ms, prev, rid, rid_text, client_request_id, client_ip, system, \
                 system_code, credential, service, operation, grant_id, request_code, method, path, status, latency_us, bytes_in, \
                 bytes_out, upstream_status, refusal, sandbox, aggregated, part, cut, raw) ",
            );
            q.push_values(chunk.iter().zip(ids), |mut b, (r, t)| {
                let l = &r.line;
                let rid = compact_hex(&l.request_id, 16);
                let prev = if r.raw.is_none() { compact_hex(&l.prev, 32) } else { None };
                let [
                    node,
                    client_ip,
                    system,
                    system_code,
                    credential,
                    service,
                    operation,
                    grant,
                    request_code,
                    method,
                    refusal,
                    part,
                    cut,
                ] = t;
                b.push_bind(node)
                    .push_bind(l.seq)
                    .push_bind(l.ts_ms)
                    .push_bind(prev)
                    .push_bind(rid.clone())
                    .push_bind(rid.is_none().then(|| l.request_id.clone()))
                    .push_bind(l.client_request_id.clone())
                    .push_bind(client_ip)
                    .push_bind(system)
                    .push_bind(system_code)
                    .push_bind(credential)
                    .push_bind(service)
                    .push_bind(operation)
                    .push_bind(grant)
                    .push_bind(request_code)
                    .push_bind(method)
                    .push_bind(l.path.clone())
                    .push_bind(l.status)
                    .push_bind(l.latency_us)
                    .push_bind(l.bytes_in)
                    .push_bind(l.bytes_out)
                    .push_bind(l.upstream_status)
                    .push_bind(refusal)
                    .push_bind(l.sandbox)
                    .push_bind(l.aggregated)
                    .push_bind(part)
                    .push_bind(cut)
                    .push_bind(r.raw.clone());
            });
            // Only the full-size statement is kept prepared: a batch's last, shorter insert has
            // a length of its own each time, and caching each would fill the connection's
            // statement cache with large one-off programs.
            q.build()
                .persistent(chunk.len() == ROWS_PER_INSERT)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
        Ok(fresh.into_iter().map(|(t, id)| (id, Arc::from(t))).collect())
    }

    pub(crate) fn remember_terms(&self, fresh: Vec<(i64, Arc<str>)>) {
        let mut t = lock(&self.terms);
        for (id, term) in fresh {
            t.add(id, term);
        }
    }

    /// Rows of `call_log` (selected with `cols!()`) as (id, record), their lines rebuilt.
    async fn decode_calls(&self, rows: &[SqliteRow]) -> StoreResult<Vec<(i64, CallRow)>> {
        let decode = || {
            let t = lock(&self.terms);
            rows.iter().map(|r| decode_call(r, &t)).collect::<StoreResult<Vec<_>>>()
        };
        match decode() {
            Ok(v) => Ok(v),
            // A term this process has not seen yet: learn the new ones and decode again.
            Err(_) => {
                self.load_terms().await?;
                decode()
            }
        }
    }

    pub(crate) async fn calls_head(&self, node: &str) -> StoreResult<Option<(i64, String)>> {
        let Some(n) = self.term_id(node).await? else { return Ok(None) };
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM call_log WHERE node = ? ORDER BY seq DESC LIMIT 1"
        ))
        .bind(n)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(self
            .decode_calls(&rows)
            .await?
            .into_iter()
            .next()
            .map(|(_, c)| (c.line.seq, c.body())))
    }

    /// A node's call chain: (first, last, last record's hash).
    pub(crate) async fn calls_chain(&self, node: &str) -> StoreResult<Option<(i64, i64, Vec<u8>)>> {
        let Some(n) = self.term_id(node).await? else { return Ok(None) };
        let Some((last, body)) = self.calls_head(node).await? else {
            return Ok(None);
        };
        let first: i64 = sqlx::query_scalar("SELECT seq FROM call_log WHERE node = ? ORDER BY seq LIMIT 1")
            .bind(n)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(Some((first, last, iop_audit::digest(body.as_bytes()).to_vec())))
    }

    pub(crate) async fn calls_rows(&self, node: &str, after: i64, limit: i64) -> StoreResult<Vec<(i64, String, Vec<u8>)>> {
        let Some(n) = self.term_id(node).await? else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM call_log WHERE node = ? AND seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(n)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(self
            .decode_calls(&rows)
            .await?
            .into_iter()
            .map(|(_, c)| {
                let body = c.body();
                let hash = iop_audit::digest(body.as_bytes()).to_vec();
                (c.line.seq, body, hash)
            })
            .collect())
    }

    pub(crate) async fn calls_span(&self, node: &str, from_ms: i64, to_ms: i64) -> StoreResult<Option<(i64, i64)>> {
        let Some(n) = self.term_id(node).await? else { return Ok(None) };
        let r: (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT MIN(seq), MAX(seq) FROM call_log WHERE node = ? AND ts_ms >= ? AND ts_ms < ?")
                .bind(n)
                .bind(from_ms)
                .bind(to_ms)
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
        Ok(r.0.zip(r.1))
    }

    pub(crate) async fn calls_prune(&self, tx: &mut Transaction<'static, Sqlite>, node: &str, upto: i64) -> StoreResult<u64> {
        let Some(n) = self.term_id(node).await? else { return Ok(0) };
        let r = sqlx::query("DELETE FROM call_log WHERE node = ? AND seq <= ?")
            .bind(n)
            .bind(upto)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(r.rows_affected())
    }

    /// The call records a search finds (newest first), or nothing if the filter can only match
    /// other streams.
    pub(crate) async fn search_calls(&self, f: &AuditFilter) -> StoreResult<Vec<AuditHit>> {
        let wanted =
            f.stream.as_deref().is_none_or(|s| s == STREAM_CALLS) && f.streams_allowed.contains(&STREAM_CALLS) && f.actor.is_none();
        if !wanted {
            return Ok(Vec::new());
        }
        let mut q = sqlx::QueryBuilder::<Sqlite>::new(concat!("SELECT ", cols!(), " FROM call_log WHERE 1"));
        macro_rules! term {
            ($col:literal, $v:expr) => {
                if let Some(v) = $v {
                    q.push(concat!(" AND ", $col, " = (SELECT id FROM call_terms WHERE term = "))
                        .push_bind(v.clone())
                        .push(")");
                }
            };
        }
        term!("system", &f.system_id);
        term!("service", &f.service_id);
        term!("request_code", &f.request_code);
        term!("refusal", &f.refusal);
        if let Some(v) = &f.request_id {
            match compact_hex(v, 16) {
                Some(b) => q.push(" AND rid = ").push_bind(b),
                None => q.push(" AND rid_text = ").push_bind(v.clone()),
            };
        }
        if let Some(v) = f.status {
            q.push(" AND status = ").push_bind(v);
        }
        super::audit::push_range(&mut q, f, CALL_ID_BASE);
        if let Some(p) = &f.publisher_id {
            q.push(" AND service IN (SELECT t.id FROM call_terms t JOIN services s ON s.id = t.term WHERE s.entity_id = ")
                .push_bind(p.clone())
                .push(")");
        }
        if let Some(u) = f.unit_scope {
            q.push(" AND request_code IN (SELECT t.id FROM call_terms t JOIN requests r ON r.tracking_code = t.term WHERE r.unit_id = ")
                .push_bind(u.to_string())
                .push(")");
        }
        q.push(" ORDER BY ts_ms DESC, id DESC LIMIT ").push_bind(f.limit.clamp(1, 1000));
        let rows = q.build().fetch_all(&self.pool).await.map_err(backend)?;
        Ok(self
            .decode_calls(&rows)
            .await?
            .into_iter()
            .map(|(id, c)| {
                let body = c.body();
                let hash = iop_audit::digest(body.as_bytes()).to_vec();
                let l = c.line;
                AuditHit {
                    id: id + CALL_ID_BASE,
                    row: AuditRow {
                        stream: STREAM_CALLS.into(),
                        node: l.node,
                        seq: l.seq,
                        ts_ms: l.ts_ms,
                        body,
                        hash,
                        actor: None,
                        system_id: l.system_id,
                        service_id: l.service_id,
                        request_id: Some(l.request_id),
                        request_code: l.request_code,
                        status: Some(l.status),
                        refusal: l.refusal,
                    },
                }
            })
            .collect())
    }

    /// Moves the call records an older version kept in `audit_log` into `call_log`, a batch per
    /// transaction (so an interrupted move resumes where it stopped).
    pub(crate) async fn move_old_calls(&self) -> StoreResult<u64> {
        let mut moved = 0;
        loop {
            let mut tx = self.begin().await?;
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, body FROM audit_log WHERE stream = 'llamadas' ORDER BY id LIMIT 2000")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(backend)?;
            if rows.is_empty() {
                return Ok(moved);
            }
            let calls = rows
                .iter()
                .map(|(_, body)| CallRow::parse(body.as_bytes()).map_err(|e| corrupt(&e.to_string())))
                .collect::<StoreResult<Vec<_>>>()?;
            let fresh = self.insert_calls(&mut tx, &calls).await?;
            let last = rows.last().map_or(0, |r| r.0);
            sqlx::query("DELETE FROM audit_log WHERE stream = 'llamadas' AND id <= ?")
                .bind(last)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            self.remember_terms(fresh);
            moved += rows.len() as u64;
            tracing::info!(registros = moved, "registros de llamadas trasladados a la tabla compacta");
        }
    }
}

fn decode_call(r: &SqliteRow, t: &Terms) -> StoreResult<(i64, CallRow)> {
    let term = |col: &str| -> StoreResult<Option<String>> {
        match get::<Option<i64>>(r, col)? {
            None => Ok(None),
            Some(id) => t.texts.get(&id).map(|s| Some(s.to_string())).ok_or_else(|| corrupt("call term")),
        }
    };
    let need = |col: &str| -> StoreResult<String> { term(col)?.ok_or_else(|| corrupt(col)) };
    let hex = |col: &str| -> StoreResult<Option<String>> { Ok(get::<Option<Vec<u8>>>(r, col)?.map(|b| iop_audit::to_hex(&b))) };
    let request_id = match hex("rid")? {
        Some(h) => h,
        None => get::<Option<String>>(r, "rid_text")?.ok_or_else(|| corrupt("rid"))?,
    };
    let line = CallLine {
        seq: get(r, "seq")?,
        prev: hex("prev")?.unwrap_or_default(),
        ts_ms: get(r, "ts_ms")?,
        request_id,
        client_request_id: get(r, "client_request_id")?,
        node: need("node")?,
        client_ip: need("client_ip")?,
        system_id: term("system")?,
        system_code: term("system_code")?,
        credential_id: term("credential")?,
        service_id: term("service")?,
        operation: term("operation")?,
        grant_id: term("grant_id")?,
        request_code: term("request_code")?,
        method: need("method")?,
        path: get::<Option<String>>(r, "path")?.unwrap_or_default(),
        status: get(r, "status")?,
        latency_us: get::<Option<i64>>(r, "latency_us")?.unwrap_or_default(),
        bytes_in: get::<Option<i64>>(r, "bytes_in")?.unwrap_or_default(),
        bytes_out: get::<Option<i64>>(r, "bytes_out")?.unwrap_or_default(),
        upstream_status: get(r, "upstream_status")?,
        refusal: term("refusal")?,
        sandbox: get::<Option<bool>>(r, "sandbox")?.unwrap_or_default(),
        aggregated: get(r, "aggregated")?,
        part: term("part")?,
        cut: term("cut")?,
    };
    Ok((get(r, "id")?, CallRow { line, raw: get(r, "raw")? }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` chained call lines as the gateway writes them (every seventh refused, every fifth with
    /// a member this build does not know, so kept verbatim).
    fn lines(n: usize) -> Vec<Vec<u8>> {
        #[derive(serde::Serialize)]
        struct Extra<'a> {
            #[serde(flatten)]
            line: &'a CallLine,
            #[serde(skip_serializing_if = "Option::is_none")]
            nuevo: Option<usize>,
        }
        let mut prev = iop_audit::GENESIS;
        (0..n)
            .map(|i| {
                let refused = i % 7 == 0;
                let l = CallLine {
                    seq: i as i64 + 1,
                    prev: iop_audit::to_hex(&prev),
                    ts_ms: 1_000 + (i as i64 / 3),
                    request_id: format!("{:032x}", 0xabc0 + i),
                    node: "n1".into(),
                    client_ip: "10.0.0.1".into(),
                    system_id: Some(format!("sis-{}", i % 2)),
                    system_code: Some("SIS".into()),
                    service_id: Some("svc".into()),
                    request_code: (!refused).then(|| "IOP-1".into()),
                    method: "GET".into(),
                    path: format!("/años/{i}"),
                    status: if refused { 403 } else { 200 },
                    latency_us: 10,
                    bytes_out: 5,
                    refusal: refused.then(|| "operacion_no_habilitada".into()),
                    ..CallLine::default()
                };
                let line = serde_json::to_vec(&Extra {
                    line: &l,
                    nuevo: (i % 5 == 4).then_some(i),
                })
                .unwrap_or_else(|e| panic!("{e}"));
                prev = iop_audit::digest(&line);
                line
            })
            .collect()
    }

    #[tokio::test]
    async fn call_records_come_back_byte_for_byte_and_are_found_pruned_and_moved() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = SqliteStore::open(dir.path()).await.unwrap_or_else(|e| panic!("{e}"));
        let all = lines(40);
        let rows: Vec<CallRow> = all.iter().map(|b| CallRow::parse(b).unwrap_or_else(|e| panic!("{e}"))).collect();
        assert_eq!(
            rows.iter().filter(|r| r.raw.is_some()).count(),
            8,
            "the lines with an unknown field"
        );
        // Imported in two parts, the second twice (a re-import after a crash).
        store.import_calls("seg", 1, &rows[..25]).await.unwrap_or_else(|e| panic!("{e}"));
        store.import_calls("seg", 2, &rows[20..]).await.unwrap_or_else(|e| panic!("{e}"));
        store.import_calls("seg", 2, &rows[20..]).await.unwrap_or_else(|e| panic!("{e}"));
        // A second store on the same file learns the dictionary from the database.
        let other = SqliteStore::open(dir.path()).await.unwrap_or_else(|e| panic!("{e}"));
        for s in [&store, &other] {
            let got = s.chain_rows(STREAM_CALLS, "n1", 0, 100).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(got.len(), 40);
            for ((seq, body, hash), line) in got.iter().zip(&all) {
                assert_eq!(body.as_bytes(), line.as_slice(), "record {seq}");
                assert_eq!(hash, &iop_audit::digest(line).to_vec());
            }
            let head = s.chain_head(STREAM_CALLS, "n1").await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(head.map(|h| h.1.into_bytes()), all.last().cloned());
        }
        let chains = store.chains().await.unwrap_or_else(|e| panic!("{e}"));
        let calls = chains
            .iter()
            .find(|c| c.stream == STREAM_CALLS)
            .unwrap_or_else(|| panic!("{chains:?}"));
        assert_eq!((calls.first, calls.last), (1, 40));
        assert_eq!(calls.head, iop_audit::digest(&all[39]).to_vec());
        assert_eq!(
            store.chain_span(STREAM_CALLS, "n1", 1_002, 1_004).await.unwrap_or_default(),
            Some((7, 12))
        );

        // Search: by system and refusal, by request id, paged by cursor, newest first.
        let base = AuditFilter {
            stream: Some(STREAM_CALLS.into()),
            streams_allowed: vec![STREAM_CALLS, STREAM_ADMIN],
            limit: 4,
            ..Default::default()
        };
        let f = AuditFilter {
            system_id: Some("sis-0".into()),
            refusal: Some("operacion_no_habilitada".into()),
            ..base.clone()
        };
        let hits = store.search(&f).await.unwrap_or_else(|e| panic!("{e}"));
        let seqs: Vec<i64> = hits.iter().map(|h| h.row.seq).collect();
        assert_eq!(seqs, vec![29, 15, 1], "records 1, 15, 29 are refused calls of sis-0");
        assert!(
            hits.iter()
                .all(|h| h.row.status == Some(403) && h.row.system_id.as_deref() == Some("sis-0"))
        );
        let one = AuditFilter {
            request_id: Some(format!("{:032x}", 0xabc0 + 9)),
            ..base.clone()
        };
        let hit = store.search(&one).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hit.len(), 1);
        assert_eq!(hit[0].row.body.as_bytes(), all[9].as_slice());
        let mut seen = Vec::new();
        let mut page = base.clone();
        loop {
            let hits = store.search(&page).await.unwrap_or_else(|e| panic!("{e}"));
            let Some(last) = hits.last() else { break };
            page.before = Some((last.row.ts_ms, last.id));
            seen.extend(hits.iter().map(|h| h.row.seq));
        }
        assert_eq!(seen, (1..=40).rev().collect::<Vec<_>>(), "every record once, newest first");
        let nothing = AuditFilter {
            system_id: Some("nadie".into()),
            ..base.clone()
        };
        assert!(store.search(&nothing).await.unwrap_or_default().is_empty());

        // The database refuses edits and deletions outside a pruned prefix.
        let cp = CheckpointRow {
            stream: STREAM_CALLS.into(),
            node: "n1".into(),
            seq: 10,
            kind: "poda".into(),
            ts_ms: 1,
            body: "{}".into(),
            signature: "x".into(),
        };
        assert!(sqlx::query("UPDATE call_log SET status = 1").execute(&store.pool).await.is_err());
        assert!(
            sqlx::query("DELETE FROM call_log WHERE seq = 3")
                .execute(&store.pool)
                .await
                .is_err()
        );
        assert!(
            sqlx::query("INSERT INTO audit_log (stream, node, seq, ts_ms, body, hash) VALUES ('llamadas', 'n1', 99, 1, '{}', x'00')")
                .execute(&store.pool)
                .await
                .is_err()
        );
        assert_eq!(
            store.prune(&cp, &AuditBy::system("prueba"), OffsetDateTime::UNIX_EPOCH).await.ok(),
            Some(10)
        );
        let rest = store.chain_rows(STREAM_CALLS, "n1", 0, 100).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rest.first().map(|r| r.0), Some(11));

        // Call records an older version kept in audit_log move to call_log when the store opens.
        let old = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let s = SqliteStore::open(old.path()).await.unwrap_or_else(|e| panic!("{e}"));
        sqlx::raw_sql("DROP TRIGGER audit_log_no_calls")
            .execute(&s.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for (i, body) in all.iter().enumerate() {
            sqlx::query("INSERT INTO audit_log (stream, node, seq, ts_ms, body, hash) VALUES ('llamadas', 'n1', ?, 1, ?, x'00')")
                .bind(i as i64 + 1)
                .bind(String::from_utf8_lossy(body).into_owned())
                .execute(&s.pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        drop(s);
        let s = SqliteStore::open(old.path()).await.unwrap_or_else(|e| panic!("{e}"));
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE stream = 'llamadas'")
            .fetch_one(&s.pool)
            .await
            .unwrap_or_default();
        assert_eq!(left, 0);
        let moved = s.chain_rows(STREAM_CALLS, "n1", 0, 100).await.unwrap_or_else(|e| panic!("{e}"));
        let bodies: Vec<&[u8]> = moved.iter().map(|r| r.1.as_bytes()).collect();
        assert_eq!(bodies, all.iter().map(Vec::as_slice).collect::<Vec<_>>());
    }
}
