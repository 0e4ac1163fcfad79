//! [`GatewayStore`] on SQLite.

use super::*;
use crate::gateway::*;
use futures_util::TryStreamExt;

pub(super) fn connector_row(r: &SqliteRow) -> StoreResult<ConnectorRec> {
    connector_columns(
        r,
        id(r, "service_id", ServiceId::parse)?,
        get(r, "version")?,
        "created_by",
        "created_at",
    )
}

/// A connector from a row with the `connectors` columns: a stored version, or a staged one (whose
/// author and time are in other columns).
pub(super) fn connector_columns(r: &SqliteRow, service: ServiceId, version: i64, by: &str, at: &str) -> StoreResult<ConnectorRec> {
    Ok(ConnectorRec {
        service,
        version,
        base_path: get(r, "base_path")?,
        upstreams: json_strings(&get::<String>(r, "upstreams")?)?,
        connect_timeout_ms: get(r, "connect_timeout_ms")?,
        timeout_ms: get(r, "timeout_ms")?,
        auth: UpstreamAuth::from_parts(&get::<String>(r, "auth_kind")?, get(r, "auth_name")?, get(r, "auth_secret_enc")?)
            .ok_or_else(|| corrupt("auth_kind"))?,
        max_body_bytes: get(r, "max_body_bytes")?,
        ca_pem: get(r, "ca_pem")?,
        pii_query: json_strings(&get::<String>(r, "pii_query")?)?,
        created_by: id(r, by, UserId::parse)?,
        created_at: from_ms(get(r, at)?),
        probe_ok: get::<Option<i64>>(r, "probe_ok")?.map(|v| v != 0),
    })
}

fn operation_row(r: &SqliteRow) -> StoreResult<OperationRec> {
    Ok(OperationRec {
        op_id: get(r, "op_id")?,
        method: get(r, "method")?,
        path: get(r, "path")?,
        summary: get(r, "summary")?,
        pii_params: json_strings(&get::<String>(r, "pii_params")?)?,
        example_status: get(r, "example_status")?,
        example: get(r, "example")?,
        example_type: get(r, "example_type")?,
        example_generated: get::<i64>(r, "example_generated")? != 0,
    })
}

fn credential_row(r: &SqliteRow) -> StoreResult<CredentialRec> {
    Ok(CredentialRec {
        id: id(r, "id", CredentialId::parse)?,
        system: id(r, "system_id", SystemId::parse)?,
        kind: id(r, "kind", CredentialKind::parse)?,
        key_id: get(r, "key_id")?,
        hint: get(r, "hint")?,
        secret_enc: get(r, "secret_enc")?,
        public_key: get(r, "public_key")?,
        request: opt_id(r, "request_id", RequestId::parse)?,
        created_by: id(r, "created_by", UserId::parse)?,
        created_at: from_ms(get(r, "created_at")?),
        expires_at: get::<Option<i64>>(r, "expires_at")?.map(from_ms),
        revoked_at: get::<Option<i64>>(r, "revoked_at")?.map(from_ms),
        replaced_by: opt_id(r, "replaced_by", CredentialId::parse)?,
        jwt_require_exp: get::<i64>(r, "jwt_exige_exp")? != 0,
        sandbox_only: get::<i64>(r, "sandbox_only")? != 0,
        jwt_max_lifetime_s: get(r, "jwt_vigencia_max_s")?,
    })
}

/// What the audit keeps of a credential: never its secret, its keyed hash or its key id.
fn credential_json(c: &CredentialRec) -> serde_json::Value {
    serde_json::json!({
        "id": c.id.to_string(),
        "sistema": c.system.to_string(),
        "tipo": c.kind.as_str(),
        "pista": c.hint,
        "solicitud": c.request.map(|r| r.to_string()),
        "vence": c.expires_at.map(ms),
        "jwt_exige_exp": c.jwt_require_exp,
        "jwt_vigencia_max_s": c.jwt_max_lifetime_s,
        "solo_sandbox": c.sandbox_only,
    })
}

pub(crate) async fn insert_credential(tx: &mut Transaction<'static, Sqlite>, c: &CredentialRec) -> StoreResult<()> {
    sqlx::query("INSERT INTO credentials (id, system_id, kind, key_id, hint, secret_enc, public_key, request_id, created_by, created_at, expires_at, revoked_at, replaced_by, jwt_exige_exp, jwt_vigencia_max_s, sandbox_only) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(c.id.to_string())
        .bind(c.system.to_string())
        .bind(c.kind.as_str())
        .bind(&c.key_id)
        .bind(&c.hint)
        .bind(c.secret_enc.as_deref())
        .bind(c.public_key.as_deref())
        .bind(c.request.map(|r| r.to_string()))
        .bind(c.created_by.to_string())
        .bind(ms(c.created_at))
        .bind(c.expires_at.map(ms))
        .bind(c.revoked_at.map(ms))
        .bind(c.replaced_by.map(|r| r.to_string()))
        .bind(i64::from(c.jwt_require_exp))
        .bind(c.jwt_max_lifetime_s)
        .bind(i64::from(c.sandbox_only))
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

/// The connector in force for each service: its highest version.
const LATEST_CONNECTORS: &str = "SELECT c.* FROM connectors c JOIN (SELECT service_id, MAX(version) AS v FROM connectors GROUP BY service_id) m ON m.service_id = c.service_id AND m.v = c.version";

/// Replaces a service's description and its operations.
pub(super) async fn replace_description(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    service: ServiceId,
    d: &DescriptionRec,
    ops: Vec<OperationRec>,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let sid = service.to_string();
    sqlx::query("INSERT INTO service_descriptions (service_id, document, sha256, updated_at, format, original, report, servers, document_gz) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(service_id) DO UPDATE SET document = excluded.document, sha256 = excluded.sha256, updated_at = excluded.updated_at, format = excluded.format, original = excluded.original, report = excluded.report, servers = excluded.servers, document_gz = excluded.document_gz")
            .bind(&sid)
            .bind(&d.document)
            .bind(&d.sha256)
            .bind(ms(now))
            .bind(&d.format)
            .bind(d.original.as_deref())
            .bind(&d.report)
            .bind(to_json_strings(&d.servers))
            .bind(d.document_gz.as_deref())
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    sqlx::query("DELETE FROM service_operations WHERE service_id = ?")
        .bind(&sid)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    // Many rows per statement: a large description has thousands of operations, and each
    // statement is a round trip between the async task and SQLite's thread.
    const ROWS: usize = 90; // 10 parameters a row, within SQLite's 999 per statement
    let mut ops = ops.into_iter().peekable();
    while ops.peek().is_some() {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO service_operations (service_id, op_id, method, path, summary, pii_params, example_status, example, example_type, example_generated) ",
        );
        qb.push_values(ops.by_ref().take(ROWS), |mut row, o| {
            let pii = to_json_strings(&o.pii_params);
            row.push_bind(sid.clone())
                .push_bind(o.op_id)
                .push_bind(o.method)
                .push_bind(o.path)
                .push_bind(o.summary)
                .push_bind(pii)
                .push_bind(o.example_status)
                .push_bind(o.example)
                .push_bind(o.example_type)
                .push_bind(i64::from(o.example_generated));
        });
        qb.build().execute(&mut **tx).await.map_err(backend)?;
    }
    Ok(())
}

/// Inserts a connector version one above the service's last; returns its number.
pub(super) async fn insert_connector(tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>, c: &ConnectorRec) -> StoreResult<i64> {
    let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM connectors WHERE service_id = ?")
        .bind(c.service.to_string())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
    sqlx::query("INSERT INTO connectors (service_id, version, base_path, upstreams, connect_timeout_ms, timeout_ms, auth_kind, auth_name, auth_secret_enc, max_body_bytes, pii_query, ca_pem, created_by, created_at, probe_ok, probe_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? IS NULL THEN NULL ELSE ? END)")
            .bind(c.service.to_string())
            .bind(version)
            .bind(&c.base_path)
            .bind(to_json_strings(&c.upstreams))
            .bind(c.connect_timeout_ms)
            .bind(c.timeout_ms)
            .bind(c.auth.kind())
            .bind(c.auth.name())
            .bind(c.auth.secret_enc())
            .bind(c.max_body_bytes)
            .bind(to_json_strings(&c.pii_query))
            .bind(c.ca_pem.as_deref())
            .bind(c.created_by.to_string())
            .bind(ms(c.created_at))
            .bind(c.probe_ok.map(i64::from))
            .bind(c.probe_ok.map(i64::from))
            .bind(ms(c.created_at))
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    Ok(version)
}

/// Refuses a base path that overlaps (equals, or is a segment-prefix of, or extends) the base path
/// in force of any other service; the error names that service.
pub(crate) async fn base_path_free(tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>, path: &str, service: ServiceId) -> StoreResult<()> {
    match base_path_holder(&mut **tx, path, service).await? {
        Some(holder) => Err(StoreError::BasePathTaken {
            path: path.to_owned(),
            holder,
        }),
        None => Ok(()),
    }
}

/// The service (other than `service`) whose base path in force overlaps `path`, named
/// `SIGLA código vN (path)`.
pub(crate) async fn base_path_holder<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    path: &str,
    service: ServiceId,
) -> StoreResult<Option<String>> {
    let sql = format!(
        "SELECT c.base_path, e.sigla, s.codigo, s.version FROM ({LATEST_CONNECTORS}) c JOIN services s ON s.id = c.service_id JOIN entities e ON e.id = s.entity_id WHERE c.service_id <> ?"
    );
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(service.to_string())
        .fetch_all(exec)
        .await
        .map_err(backend)?;
    let mine = BasePath::existing(path);
    Ok(rows
        .into_iter()
        .find(|(p, ..)| mine.overlaps(p))
        .map(|(p, sigla, code, version)| format!("{sigla} {code} v{version} ({p})")))
}

#[async_trait]
impl GatewayStore for SqliteStore {
    async fn put_connector(&self, c: ConnectorRec, by: &AuditBy) -> StoreResult<ConnectorRec> {
        let mut tx = self.begin().await?;
        base_path_free(&mut tx, &c.base_path, c.service).await?;
        let version = insert_connector(&mut tx, &c).await?;
        // Never the upstream secret.
        let detail = serde_json::json!({
            "servicio": c.service.to_string(),
            "version": version,
            "ruta_base": c.base_path,
            "origenes": c.upstreams,
            "autenticacion": c.auth.kind(),
            "max_bytes": c.max_body_bytes,
            "tiempo_ms": c.timeout_ms,
        });
        let subject = format!("{}@{version}", c.base_path);
        self.audit(&mut tx, by, Change::admin("conector.versionar", &subject, detail), c.created_at)
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(ConnectorRec { version, ..c })
    }

    async fn connector(&self, service: ServiceId) -> StoreResult<Option<ConnectorRec>> {
        self.one(
            "SELECT * FROM connectors WHERE service_id = ? ORDER BY version DESC LIMIT 1",
            service.to_string(),
            connector_row,
        )
        .await
    }

    async fn connector_versions(&self, service: ServiceId) -> StoreResult<Vec<ConnectorRec>> {
        self.many(
            "SELECT * FROM connectors WHERE service_id = ? ORDER BY version",
            service.to_string(),
            connector_row,
        )
        .await
    }

    async fn set_description(
        &self,
        service: ServiceId,
        description: &DescriptionRec,
        ops: Vec<OperationRec>,
        now: OffsetDateTime,
        by: &AuditBy,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let sid = service.to_string();
        let detail = serde_json::json!({"servicio": sid, "sha256": description.sha256, "formato": description.format, "operaciones": ops.iter().map(|o| &o.op_id).collect::<Vec<_>>()});
        replace_description(&mut tx, service, description, ops, now).await?;
        self.audit(&mut tx, by, Change::admin("servicio.descripcion", &sid, detail), now)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn operations(&self, service: ServiceId) -> StoreResult<Vec<OperationRec>> {
        self.many(
            "SELECT * FROM service_operations WHERE service_id = ? ORDER BY path, method",
            service.to_string(),
            operation_row,
        )
        .await
    }

    async fn description(&self, service: ServiceId) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT document, document_gz FROM service_descriptions WHERE service_id = ?")
            .bind(service.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let (text, gz) = (get(&row, "document")?, get(&row, "document_gz")?);
        // Inflating megabytes is left to the blocking pool, off the threads that serve calls.
        tokio::task::spawn_blocking(move || document_text(text, gz))
            .await
            .map_err(StoreError::backend)?
    }

    async fn description_info(&self, service: ServiceId) -> StoreResult<Option<DescriptionInfo>> {
        let row = sqlx::query("SELECT sha256, format, report, servers FROM service_descriptions WHERE service_id = ?")
            .bind(service.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|r| {
            Ok(DescriptionInfo {
                sha256: get(&r, "sha256")?,
                format: get::<Option<String>>(&r, "format")?.unwrap_or_else(|| "openapi-3.0".into()),
                report: get(&r, "report")?,
                servers: json_strings(&get::<String>(&r, "servers")?)?,
            })
        })
        .transpose()
    }

    async fn create_credential(&self, c: &CredentialRec, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_credential(&mut tx, c).await?;
        let id = c.id.to_string();
        self.audit(
            &mut tx,
            by,
            Change::admin("credencial.emitir", &id, credential_json(c)),
            c.created_at,
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn credential(&self, cid: CredentialId) -> StoreResult<Option<CredentialRec>> {
        self.one("SELECT * FROM credentials WHERE id = ?", cid.to_string(), credential_row)
            .await
    }

    async fn credentials_of_system(&self, system: SystemId) -> StoreResult<Vec<CredentialRec>> {
        self.many(
            "SELECT * FROM credentials WHERE system_id = ? ORDER BY created_at, id",
            system.to_string(),
            credential_row,
        )
        .await
    }

    async fn revoke_credential(&self, cid: CredentialId, now: OffsetDateTime, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(cid.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("credencial"));
        }
        let id = cid.to_string();
        self.audit(
            &mut tx,
            by,
            Change::admin("credencial.revocar", &id, serde_json::json!({"id": id})),
            now,
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn rotate_credential(
        &self,
        old: CredentialId,
        new: &CredentialRec,
        old_expires_at: OffsetDateTime,
        delivery: Option<&crate::DeliveryRec>,
        by: &AuditBy,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE credentials SET expires_at = MIN(COALESCE(expires_at, ?1), ?1), replaced_by = ?2 WHERE id = ?3 AND revoked_at IS NULL",
        )
        .bind(ms(old_expires_at))
        .bind(new.id.to_string())
        .bind(old.to_string())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("credencial"));
        }
        insert_credential(&mut tx, new).await?;
        if let Some(d) = delivery {
            super::delivery::insert_delivery(&mut tx, d).await?;
        }
        let id = old.to_string();
        let detail = serde_json::json!({"anterior": id, "anterior_vence": ms(old_expires_at), "nueva": credential_json(new)});
        self.audit(&mut tx, by, Change::admin("credencial.rotar", &id, detail), new.created_at)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn gateway_rows(&self, known: &std::collections::HashMap<ServiceId, OperationsKey>) -> StoreResult<GatewayRows> {
        // One read transaction, so the three parts agree with each other.
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let sql = format!(
            "SELECT s.*, e.sigla AS entity_sigla, c.service_id AS c_service, d.sha256 AS d_sha256, d.updated_at AS d_stored_at FROM services s JOIN entities e ON e.id = s.entity_id JOIN ({LATEST_CONNECTORS}) c ON c.service_id = s.id LEFT JOIN service_descriptions d ON d.service_id = s.id WHERE s.estado = 'publicado' ORDER BY s.id"
        );
        let services = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *tx).await.map_err(backend)?;
        let mut keys = Vec::with_capacity(services.len());
        for s in &services {
            let key = match (get::<Option<String>>(s, "d_sha256")?, get::<Option<i64>>(s, "d_stored_at")?) {
                (Some(sha256), Some(stored_at_ms)) => Some(OperationsKey { sha256, stored_at_ms }),
                _ => None,
            };
            let sid = get::<String>(s, "id")?;
            let held = key
                .as_ref()
                .is_some_and(|k| ServiceId::parse(&sid).ok().and_then(|id| known.get(&id)) == Some(k));
            keys.push((sid, key, held));
        }
        let connectors = sqlx::query(sqlx::AssertSqlSafe(LATEST_CONNECTORS))
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let mut by_service = std::collections::HashMap::new();
        for c in &connectors {
            let c = connector_row(c)?;
            by_service.insert(c.service, c);
        }
        // The operations of the services whose key the caller lacks: all at once when most are
        // wanted (the first rebuild), else service by service through the index.
        let wanted: Vec<&str> = keys.iter().filter(|(_, _, held)| !held).map(|(sid, _, _)| sid.as_str()).collect();
        let mut ops_by_service: std::collections::HashMap<String, Vec<OperationRec>> = std::collections::HashMap::new();
        if wanted.len() > 16 && wanted.len() * 2 > keys.len() {
            let ops = sqlx::query("SELECT * FROM service_operations ORDER BY service_id, path, method")
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
            for o in &ops {
                ops_by_service
                    .entry(get::<String>(o, "service_id")?)
                    .or_default()
                    .push(operation_row(o)?);
            }
        } else {
            for sid in wanted {
                let ops = sqlx::query("SELECT * FROM service_operations WHERE service_id = ? ORDER BY path, method")
                    .bind(sid)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(backend)?;
                ops_by_service.insert(sid.to_string(), ops.iter().map(operation_row).collect::<StoreResult<_>>()?);
            }
        }
        let mut routes = Vec::with_capacity(services.len());
        for (s, (sid, key, held)) in services.iter().zip(keys) {
            let service = Self::service_row(s)?;
            let Some(connector) = by_service.remove(&service.id) else {
                continue;
            };
            routes.push(RouteRow {
                entity_sigla: id(s, "entity_sigla", Sigla::parse)?,
                operations: (!held).then(|| ops_by_service.remove(&sid).unwrap_or_default()),
                operations_key: key,
                service,
                connector,
            });
        }
        // Streamed row by row: with 100,000 consumers, holding every raw row at once would cost
        // far more memory than the decoded records.
        let mut credentials = Vec::new();
        {
            let mut rows = sqlx::query(
                "SELECT c.*, s.codigo AS system_code, e.sigla AS entity_sigla FROM credentials c JOIN systems s ON s.id = c.system_id JOIN entities e ON e.id = s.entity_id WHERE c.revoked_at IS NULL",
            )
            .fetch(&mut *tx);
            while let Some(r) = rows.try_next().await.map_err(backend)? {
                credentials.push(CredentialRow {
                    credential: credential_row(&r)?,
                    system_code: id(&r, "system_code", Code::parse)?,
                    entity_sigla: id(&r, "entity_sigla", Sigla::parse)?,
                });
            }
        }
        let mut grants = Vec::new();
        {
            let mut rows = sqlx::query("SELECT g.*, r.tracking_code AS request_code FROM grants g JOIN requests r ON r.id = g.request_id WHERE g.revoked_at IS NULL")
                .fetch(&mut *tx);
            while let Some(r) = rows.try_next().await.map_err(backend)? {
                grants.push(GrantRow {
                    grant: grant_row(&r)?,
                    request_code: id(&r, "request_code", TrackingCode::parse)?,
                });
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(GatewayRows {
            routes,
            credentials,
            grants,
        })
    }
}
