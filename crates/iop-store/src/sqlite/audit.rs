//! [`AuditStore`] on SQLite, and the helper every change uses to append its audit record in its
//! own transaction.

use super::*;
use crate::audit::*;
use iop_audit::Chain;
use serde::Serialize;

#[derive(Serialize)]
struct Event<'a> {
    ts_ms: i64,
    actor: &'a str,
    actor_id: Option<String>,
    accion: &'a str,
    sujeto: &'a str,
    detalle: &'a serde_json::Value,
}

/// What a change says about itself.
pub(crate) struct Change<'a> {
    pub stream: &'static str,
    pub action: &'a str,
    pub subject: &'a str,
    pub request_code: Option<&'a str>,
    pub detail: serde_json::Value,
}

impl<'a> Change<'a> {
    pub fn admin(action: &'a str, subject: &'a str, detail: serde_json::Value) -> Self {
        Self {
            stream: STREAM_ADMIN,
            action,
            subject,
            request_code: None,
            detail,
        }
    }
    pub fn procedure(action: &'a str, code: &'a str, detail: serde_json::Value) -> Self {
        Self {
            stream: STREAM_PROCEDURE,
            action,
            subject: code,
            request_code: Some(code),
            detail,
        }
    }
}

async fn head(tx: &mut Transaction<'static, Sqlite>, stream: &str, node: &str) -> StoreResult<Chain> {
    let row: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log WHERE stream = ? AND node = ? ORDER BY seq DESC LIMIT 1")
            .bind(stream)
            .bind(node)
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    if let Some((seq, hash)) = row {
        let prev: iop_audit::Hash = hash.try_into().map_err(|_| corrupt("audit hash"))?;
        return Ok(Chain {
            next_seq: seq as u64 + 1,
            prev,
        });
    }
    // Everything pruned: the chain resumes after its last poda checkpoint.
    let cp: Option<String> =
        sqlx::query_scalar("SELECT body FROM audit_checkpoints WHERE stream = ? AND node = ? AND kind = 'poda' ORDER BY seq DESC LIMIT 1")
            .bind(stream)
            .bind(node)
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    match cp {
        Some(body) => {
            let b: iop_audit::CheckpointBody = serde_json::from_str(&body).map_err(|_| corrupt("checkpoint"))?;
            let prev = iop_audit::hash_from_hex(&b.cabeza).ok_or_else(|| corrupt("checkpoint"))?;
            Ok(Chain { next_seq: b.seq + 1, prev })
        }
        None => Ok(Chain::default()),
    }
}

impl SqliteStore {
    /// Appends a change's audit record to its chain, inside the change's transaction.
    pub(crate) async fn audit(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        by: &AuditBy,
        c: Change<'_>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut chain = head(tx, c.stream, &self.node).await?;
        let ts_ms = ms(now);
        let ev = Event {
            ts_ms,
            actor: &by.login,
            actor_id: by.id.map(|i| i.to_string()),
            accion: c.action,
            sujeto: c.subject,
            detalle: &c.detail,
        };
        let mut buf = Vec::with_capacity(256);
        let (seq, hash) = chain.append_json(&mut buf, &ev).map_err(StoreError::backend)?;
        buf.pop();
        let body = String::from_utf8(buf).map_err(|_| corrupt("audit body"))?;
        sqlx::query("INSERT INTO audit_log (stream, node, seq, ts_ms, body, hash, actor, request_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(c.stream)
            .bind(&*self.node)
            .bind(seq as i64)
            .bind(ts_ms)
            .bind(body)
            .bind(hash.to_vec())
            .bind(&by.login)
            .bind(c.request_code)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

fn audit_row(r: &SqliteRow) -> StoreResult<AuditRow> {
    Ok(AuditRow {
        stream: get(r, "stream")?,
        node: get(r, "node")?,
        seq: get(r, "seq")?,
        ts_ms: get(r, "ts_ms")?,
        body: get(r, "body")?,
        hash: get(r, "hash")?,
        actor: get(r, "actor")?,
        system_id: get(r, "system_id")?,
        service_id: get(r, "service_id")?,
        request_id: get(r, "request_id")?,
        request_code: get(r, "request_code")?,
        status: get(r, "status")?,
        refusal: get(r, "refusal")?,
    })
}

fn checkpoint_row(r: &SqliteRow) -> StoreResult<CheckpointRow> {
    Ok(CheckpointRow {
        stream: get(r, "stream")?,
        node: get(r, "node")?,
        seq: get(r, "seq")?,
        kind: get(r, "kind")?,
        ts_ms: get(r, "ts_ms")?,
        body: get(r, "body")?,
        signature: get(r, "signature")?,
    })
}

async fn insert_checkpoint(tx: &mut Transaction<'static, Sqlite>, c: &CheckpointRow) -> StoreResult<()> {
    sqlx::query("INSERT INTO audit_checkpoints (stream, node, seq, kind, ts_ms, body, signature) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(&c.stream)
        .bind(&c.node)
        .bind(c.seq)
        .bind(&c.kind)
        .bind(c.ts_ms)
        .bind(&c.body)
        .bind(&c.signature)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn import_offset(&self, segment: &str) -> StoreResult<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT offset FROM call_segments WHERE name = ?")
            .bind(segment)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(v.unwrap_or(0))
    }

    async fn import_calls(&self, segment: &str, offset: i64, rows: &[CallRow]) -> StoreResult<()> {
        let mut tx = self.begin_import().await?;
        sqlx::query("INSERT INTO call_segments (name, offset) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET offset = MAX(offset, excluded.offset)")
            .bind(segment)
            .bind(offset)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let fresh = self.insert_calls(&mut tx, rows).await?;
        tx.commit().await.map_err(backend)?;
        self.remember_terms(fresh);
        Ok(())
    }

    async fn chain_head(&self, stream: &str, node: &str) -> StoreResult<Option<(i64, String)>> {
        if stream == STREAM_CALLS {
            return self.calls_head(node).await;
        }
        sqlx::query_as("SELECT seq, body FROM audit_log WHERE stream = ? AND node = ? ORDER BY seq DESC LIMIT 1")
            .bind(stream)
            .bind(node)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn chains(&self) -> StoreResult<Vec<ChainInfo>> {
        // The writing nodes: this one, every node with call segments or checkpoints. Each chain's
        // ends are then two index lookups (no scan of the log).
        let mut nodes = std::collections::BTreeSet::new();
        nodes.insert(self.node.to_string());
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM call_segments")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        for n in names {
            if let Some((node, _)) = n
                .strip_prefix("llamadas-")
                .and_then(|r| r.strip_suffix(".jsonl"))
                .and_then(|r| r.rsplit_once('-'))
            {
                nodes.insert(node.to_owned());
            }
        }
        let cp_nodes: Vec<String> = sqlx::query_scalar("SELECT DISTINCT node FROM audit_checkpoints")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        nodes.extend(cp_nodes);
        let mut out = Vec::new();
        for stream in iop_audit::STREAMS {
            for node in &nodes {
                let ends = if stream == STREAM_CALLS {
                    self.calls_chain(node).await?
                } else {
                    self.events_chain(stream, node).await?
                };
                let Some((first, last, head)) = ends else { continue };
                out.push(ChainInfo {
                    stream: stream.to_owned(),
                    node: node.clone(),
                    first,
                    last,
                    head,
                });
            }
        }
        Ok(out)
    }

    async fn chain_rows(&self, stream: &str, node: &str, after: i64, limit: i64) -> StoreResult<Vec<(i64, String, Vec<u8>)>> {
        if stream == STREAM_CALLS {
            return self.calls_rows(node, after, limit).await;
        }
        sqlx::query_as("SELECT seq, body, hash FROM audit_log WHERE stream = ? AND node = ? AND seq > ? ORDER BY seq LIMIT ?")
            .bind(stream)
            .bind(node)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)
    }

    async fn chain_span(&self, stream: &str, node: &str, from_ms: i64, to_ms: i64) -> StoreResult<Option<(i64, i64)>> {
        if stream == STREAM_CALLS {
            return self.calls_span(node, from_ms, to_ms).await;
        }
        let r: (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT MIN(seq), MAX(seq) FROM audit_log WHERE stream = ? AND node = ? AND ts_ms >= ? AND ts_ms < ?")
                .bind(stream)
                .bind(node)
                .bind(from_ms)
                .bind(to_ms)
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
        Ok(r.0.zip(r.1))
    }

    async fn checkpoints(&self) -> StoreResult<Vec<CheckpointRow>> {
        let rows = sqlx::query("SELECT * FROM audit_checkpoints ORDER BY stream, node, seq, id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(checkpoint_row).collect()
    }

    async fn last_checkpoints(&self) -> StoreResult<Vec<(String, String, i64)>> {
        sqlx::query_as("SELECT stream, node, MAX(seq) FROM audit_checkpoints GROUP BY stream, node")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)
    }

    async fn add_checkpoints(&self, cps: &[CheckpointRow]) -> StoreResult<()> {
        // Through the import's connection: in WAL mode a commit by any other connection empties
        // that connection's page cache at its next transaction, and the periodic checkpoints
        // (every few seconds under load) would make each import batch re-read its index pages.
        let mut tx = self.begin_import().await?;
        for c in cps {
            insert_checkpoint(&mut tx, c).await?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn search(&self, f: &AuditFilter) -> StoreResult<Vec<AuditHit>> {
        let mut hits = self.search_calls(f).await?;
        // Call records live in call_log; audit_log holds the other streams, whose records have
        // none of the call fields.
        let others = f.stream.as_deref().is_none_or(|s| s != STREAM_CALLS)
            && f.streams_allowed.iter().any(|s| *s != STREAM_CALLS)
            && f.system_id.is_none()
            && f.service_id.is_none()
            && f.request_id.is_none()
            && f.status.is_none()
            && f.refusal.is_none()
            && f.publisher_id.is_none();
        if others {
            hits.extend(self.search_events(f).await?);
            hits.sort_by_key(|h| std::cmp::Reverse((h.row.ts_ms, h.id)));
            hits.truncate(f.limit.clamp(1, 1000) as usize);
        }
        Ok(hits)
    }

    async fn append_event(
        &self,
        stream: &str,
        by: &AuditBy,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let stream = match stream {
            STREAM_PROCEDURE => STREAM_PROCEDURE,
            _ => STREAM_ADMIN,
        };
        let mut tx = self.begin().await?;
        self.audit(
            &mut tx,
            by,
            Change {
                stream,
                action,
                subject,
                request_code: None,
                detail,
            },
            now,
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn prune(&self, cp: &CheckpointRow, by: &AuditBy, now: OffsetDateTime) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        insert_checkpoint(&mut tx, cp).await?;
        let removed = if cp.stream == STREAM_CALLS {
            self.calls_prune(&mut tx, &cp.node, cp.seq).await?
        } else {
            sqlx::query("DELETE FROM audit_log WHERE stream = ? AND node = ? AND seq <= ?")
                .bind(&cp.stream)
                .bind(&cp.node)
                .bind(cp.seq)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
        };
        let subject = format!("{}/{}", cp.stream, cp.node);
        self.audit(
            &mut tx,
            by,
            Change {
                stream: STREAM_ADMIN,
                action: "auditoria.podar",
                subject: &subject,
                request_code: None,
                detail: serde_json::json!({"hasta_seq": cp.seq, "eliminados": removed, "punto_de_control": cp.body}),
            },
            now,
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(removed)
    }
}

/// A search's time range and cursor, for a table whose ids its hits carry plus `offset`.
pub(crate) fn push_range(q: &mut sqlx::QueryBuilder<Sqlite>, f: &AuditFilter, offset: i64) {
    if let Some(v) = f.from_ms {
        q.push(" AND ts_ms >= ").push_bind(v);
    }
    if let Some(v) = f.to_ms {
        q.push(" AND ts_ms < ").push_bind(v);
    }
    if let Some((ts, id)) = f.before {
        q.push(" AND (ts_ms < ")
            .push_bind(ts)
            .push(" OR (ts_ms = ")
            .push_bind(ts)
            .push(" AND id < ")
            .push_bind(id.saturating_sub(offset))
            .push("))");
    }
}

impl SqliteStore {
    /// A procedure or administration chain: (first, last, last record's hash).
    async fn events_chain(&self, stream: &str, node: &str) -> StoreResult<Option<(i64, i64, Vec<u8>)>> {
        let last: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, hash FROM audit_log WHERE stream = ? AND node = ? ORDER BY seq DESC LIMIT 1")
                .bind(stream)
                .bind(node)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        let Some((last, head)) = last else { return Ok(None) };
        let first: i64 = sqlx::query_scalar("SELECT seq FROM audit_log WHERE stream = ? AND node = ? ORDER BY seq LIMIT 1")
            .bind(stream)
            .bind(node)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(Some((first, last, head)))
    }

    /// Procedure and administration records a search finds (newest first).
    async fn search_events(&self, f: &AuditFilter) -> StoreResult<Vec<AuditHit>> {
        let mut q = sqlx::QueryBuilder::<Sqlite>::new("SELECT * FROM audit_log WHERE stream IN (");
        let mut sep = q.separated(", ");
        for s in &f.streams_allowed {
            sep.push_bind(*s);
        }
        if f.streams_allowed.is_empty() {
            sep.push("NULL");
        }
        q.push(")");
        macro_rules! eq {
            ($col:literal, $v:expr) => {
                if let Some(v) = $v {
                    q.push(concat!(" AND ", $col, " = ")).push_bind(v.clone());
                }
            };
        }
        eq!("stream", &f.stream);
        eq!("system_id", &f.system_id);
        eq!("service_id", &f.service_id);
        eq!("request_code", &f.request_code);
        eq!("request_id", &f.request_id);
        eq!("status", &f.status);
        eq!("refusal", &f.refusal);
        eq!("actor", &f.actor);
        push_range(&mut q, f, 0);
        if let Some(p) = &f.publisher_id {
            q.push(" AND service_id IN (SELECT id FROM services WHERE entity_id = ")
                .push_bind(p.clone())
                .push(")");
        }
        if let Some(u) = f.unit_scope {
            q.push(" AND request_code IN (SELECT tracking_code FROM requests WHERE unit_id = ")
                .push_bind(u.to_string())
                .push(")");
        }
        q.push(" ORDER BY ts_ms DESC, id DESC LIMIT ").push_bind(f.limit.clamp(1, 1000));
        let rows = q.build().fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(AuditHit {
                    id: get(r, "id")?,
                    row: audit_row(r)?,
                })
            })
            .collect()
    }
}
