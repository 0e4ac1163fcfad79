//! [`StageStore`] on SQLite: step 4 of a publication before it is committed, and the commit.

use super::gw::{base_path_free, connector_columns, insert_connector, replace_description};
use super::*;
use crate::gateway::*;
use crate::stage::*;

fn stage_row(r: &SqliteRow) -> StoreResult<StageRec> {
    let service = id(r, "service_id", ServiceId::parse)?;
    let connector = match get::<Option<String>>(r, "base_path")? {
        None => None,
        Some(_) => Some(connector_columns(r, service, 0, "staged_by", "connector_at")?),
    };
    let operations = match get::<Option<String>>(r, "operations")? {
        None => Vec::new(),
        Some(j) => serde_json::from_str(&j).map_err(|_| corrupt("operations"))?,
    };
    let probe = match (get::<Option<i64>>(r, "probe_ok")?, get::<Option<i64>>(r, "probe_at")?) {
        (Some(ok), Some(at)) => Some(ProbeRec {
            ok: ok != 0,
            at: from_ms(at),
            detail: get::<Option<String>>(r, "probe_detail")?.unwrap_or_else(|| "[]".into()),
        }),
        _ => None,
    };
    Ok(StageRec {
        request: id(r, "request_id", RequestId::parse)?,
        code: id(r, "codigo", Code::parse)?,
        version: ServiceVersion::new(get(r, "version")?).map_err(|_| corrupt("version"))?,
        service,
        connector,
        description_sha256: get(r, "document_sha256")?,
        description_format: get(r, "document_format")?,
        description_report: get(r, "document_report")?,
        description_servers: get::<Option<String>>(r, "document_servers")?
            .map(|j| json_strings(&j))
            .transpose()?
            .unwrap_or_default(),
        operations,
        probe,
        applied_at: get::<Option<i64>>(r, "applied_at")?.map(from_ms),
    })
}

async fn tracking_code(tx: &mut Transaction<'static, Sqlite>, request: RequestId) -> StoreResult<String> {
    sqlx::query_scalar("SELECT tracking_code FROM requests WHERE id = ?")
        .bind(request.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound("solicitud"))
}

async fn load(tx: &mut Transaction<'static, Sqlite>, request: RequestId, code: &Code, version: ServiceVersion) -> StoreResult<StageRec> {
    let row = sqlx::query("SELECT * FROM publication_stage WHERE request_id = ? AND codigo = ? AND version = ?")
        .bind(request.to_string())
        .bind(code.as_str())
        .bind(i64::from(version.get()))
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
    stage_row(&row)
}

/// Creates the stage row if missing (with `service` as the catalog id).
async fn ensure(
    tx: &mut Transaction<'static, Sqlite>,
    request: RequestId,
    code: &Code,
    version: ServiceVersion,
    service: ServiceId,
    by: UserId,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO publication_stage (request_id, codigo, version, service_id, staged_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(request.to_string())
    .bind(code.as_str())
    .bind(i64::from(version.get()))
    .bind(service.to_string())
    .bind(by.to_string())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

impl SqliteStore {
    /// Step 4 of a publication, inside `habilitar`'s transaction: each staged service that was not
    /// committed yet gets its connector (a new version, carrying the staged probe) and its
    /// description. Returns what was committed, for the history and the audit.
    pub(crate) async fn commit_stages(
        tx: &mut Transaction<'static, Sqlite>,
        request: RequestId,
        publish: &[(Code, ServiceVersion)],
        now: OffsetDateTime,
    ) -> StoreResult<Vec<serde_json::Value>> {
        let mut out = Vec::new();
        for (code, version) in publish {
            let stage = load(tx, request, code, *version)
                .await
                .map_err(|_| StoreError::NotFound("publicación preparada"))?;
            let Some(connector) = &stage.connector else {
                return Err(StoreError::NotFound("conector preparado"));
            };
            let mut connector_version = None;
            if stage.applied_at.is_none() {
                base_path_free(tx, &connector.base_path, stage.service).await?;
                let c = ConnectorRec {
                    created_at: now,
                    ..connector.clone()
                };
                connector_version = Some(insert_connector(tx, &c).await?);
                let row = sqlx::query("SELECT document, document_gz, document_format, document_original, document_report, document_servers FROM publication_stage WHERE request_id = ? AND codigo = ? AND version = ?")
                    .bind(request.to_string())
                    .bind(code.as_str())
                    .bind(i64::from(version.get()))
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(backend)?;
                let document: Option<String> = get(&row, "document")?;
                if let (Some(document), Some(sha)) = (document, &stage.description_sha256) {
                    let d = DescriptionRec {
                        document,
                        document_gz: get(&row, "document_gz")?,
                        sha256: sha.clone(),
                        format: get::<Option<String>>(&row, "document_format")?.unwrap_or_else(|| "openapi-3.0".into()),
                        original: get(&row, "document_original")?,
                        report: get::<Option<String>>(&row, "document_report")?.unwrap_or_else(|| "[]".into()),
                        servers: get::<Option<String>>(&row, "document_servers")?
                            .map(|j| json_strings(&j))
                            .transpose()?
                            .unwrap_or_default(),
                    };
                    replace_description(tx, stage.service, &d, stage.operations.clone(), now).await?;
                }
                sqlx::query("UPDATE publication_stage SET applied_at = ? WHERE request_id = ? AND codigo = ? AND version = ?")
                    .bind(ms(now))
                    .bind(request.to_string())
                    .bind(code.as_str())
                    .bind(i64::from(version.get()))
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
            }
            out.push(serde_json::json!({
                "servicio_id": stage.service.to_string(),
                "codigo": code.as_str(),
                "version": version.get(),
                "ruta_base": connector.base_path,
                "origenes": connector.upstreams,
                "conector_version": connector_version,
                "descripcion_sha256": stage.description_sha256,
                "operaciones": stage.operations.iter().map(|o| &o.op_id).collect::<Vec<_>>(),
                "prueba_ok": stage.probe.as_ref().map(|p| p.ok),
            }));
        }
        Ok(out)
    }
}

#[async_trait]
impl StageStore for SqliteStore {
    async fn stage_connector(
        &self,
        request: RequestId,
        code: &Code,
        version: ServiceVersion,
        c: &ConnectorRec,
        by: &AuditBy,
    ) -> StoreResult<StageRec> {
        let mut tx = self.begin().await?;
        base_path_free(&mut tx, &c.base_path, c.service).await?;
        ensure(&mut tx, request, code, version, c.service, c.created_by).await?;
        sqlx::query("UPDATE publication_stage SET base_path = ?, upstreams = ?, connect_timeout_ms = ?, timeout_ms = ?, auth_kind = ?, auth_name = ?, auth_secret_enc = ?, ca_pem = ?, max_body_bytes = ?, pii_query = ?, connector_at = ?, staged_by = ?, probe_ok = NULL, probe_at = NULL, probe_detail = NULL, applied_at = NULL WHERE request_id = ? AND codigo = ? AND version = ?")
            .bind(&c.base_path)
            .bind(to_json_strings(&c.upstreams))
            .bind(c.connect_timeout_ms)
            .bind(c.timeout_ms)
            .bind(c.auth.kind())
            .bind(c.auth.name())
            .bind(c.auth.secret_enc())
            .bind(c.ca_pem.as_deref())
            .bind(c.max_body_bytes)
            .bind(to_json_strings(&c.pii_query))
            .bind(ms(c.created_at))
            .bind(c.created_by.to_string())
            .bind(request.to_string())
            .bind(code.as_str())
            .bind(i64::from(version.get()))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let tracking = tracking_code(&mut tx, request).await?;
        // Never the upstream secret.
        let detail = serde_json::json!({
            "servicio": format!("{} v{}", code.as_str(), version.get()),
            "ruta_base": c.base_path,
            "origenes": c.upstreams,
            "autenticacion": c.auth.kind(),
            "tiempo_ms": c.timeout_ms,
        });
        self.audit(
            &mut tx,
            by,
            Change::procedure("publicacion.conector", &tracking, detail),
            c.created_at,
        )
        .await?;
        let out = load(&mut tx, request, code, version).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn stage_description(
        &self,
        request: RequestId,
        code: &Code,
        version: ServiceVersion,
        service: ServiceId,
        description: &DescriptionRec,
        ops: &[OperationRec],
        now: OffsetDateTime,
        by: &AuditBy,
    ) -> StoreResult<StageRec> {
        let mut tx = self.begin().await?;
        let actor = by.id.unwrap_or_else(|| UserId::from_uuid(uuid::Uuid::nil()));
        ensure(&mut tx, request, code, version, service, actor).await?;
        let ops_json = serde_json::to_string(ops).map_err(StoreError::backend)?;
        sqlx::query("UPDATE publication_stage SET document = ?, document_sha256 = ?, operations = ?, document_format = ?, document_original = ?, document_report = ?, document_servers = ?, document_gz = ?, applied_at = NULL WHERE request_id = ? AND codigo = ? AND version = ?")
            .bind(&description.document)
            .bind(&description.sha256)
            .bind(ops_json)
            .bind(&description.format)
            .bind(description.original.as_deref())
            .bind(&description.report)
            .bind(to_json_strings(&description.servers))
            .bind(description.document_gz.as_deref())
            .bind(request.to_string())
            .bind(code.as_str())
            .bind(i64::from(version.get()))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let tracking = tracking_code(&mut tx, request).await?;
        let detail = serde_json::json!({
            "servicio": format!("{} v{}", code.as_str(), version.get()),
            "sha256": description.sha256,
            "formato": description.format,
            "operaciones": ops.iter().map(|o| &o.op_id).collect::<Vec<_>>(),
        });
        self.audit(&mut tx, by, Change::procedure("publicacion.descripcion", &tracking, detail), now)
            .await?;
        let out = load(&mut tx, request, code, version).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn stage_probe(
        &self,
        request: RequestId,
        code: &Code,
        version: ServiceVersion,
        connector_at: OffsetDateTime,
        probe: &ProbeRec,
        by: &AuditBy,
    ) -> StoreResult<Option<StageRec>> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE publication_stage SET probe_ok = ?, probe_at = ?, probe_detail = ? WHERE request_id = ? AND codigo = ? AND version = ? AND connector_at = ?")
            .bind(i64::from(probe.ok))
            .bind(ms(probe.at))
            .bind(&probe.detail)
            .bind(request.to_string())
            .bind(code.as_str())
            .bind(i64::from(version.get()))
            .bind(ms(connector_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let tracking = tracking_code(&mut tx, request).await?;
        let detail = serde_json::json!({
            "servicio": format!("{} v{}", code.as_str(), version.get()),
            "ok": probe.ok,
            "resultado": serde_json::from_str::<serde_json::Value>(&probe.detail).unwrap_or_default(),
        });
        self.audit(&mut tx, by, Change::procedure("publicacion.prueba", &tracking, detail), probe.at)
            .await?;
        let out = load(&mut tx, request, code, version).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(out))
    }

    async fn stages(&self, request: RequestId) -> StoreResult<Vec<StageRec>> {
        self.many(
            "SELECT * FROM publication_stage WHERE request_id = ? ORDER BY codigo, version",
            request.to_string(),
            stage_row,
        )
        .await
    }

    async fn record_probe(&self, service: ServiceId, connector_version: i64, probe: &ProbeRec, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE connectors SET probe_ok = ?, probe_at = ? WHERE service_id = ? AND version = ?")
            .bind(i64::from(probe.ok))
            .bind(ms(probe.at))
            .bind(service.to_string())
            .bind(connector_version)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let detail = serde_json::json!({
            "servicio": service.to_string(),
            "conector_version": connector_version,
            "ok": probe.ok,
            "resultado": serde_json::from_str::<serde_json::Value>(&probe.detail).unwrap_or_default(),
        });
        let subject = format!("{service}@{connector_version}");
        self.audit(&mut tx, by, Change::admin("conector.probar", &subject, detail), probe.at)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn base_path_holder(&self, path: &str, except: ServiceId) -> StoreResult<Option<String>> {
        super::gw::base_path_holder(&self.pool, path, except).await
    }

    async fn published_probes(&self, request: RequestId) -> StoreResult<Vec<PublishedProbe>> {
        let rows = sqlx::query(
            "SELECT s.id, e.sigla, s.codigo, s.version, c.version AS cv, c.probe_ok FROM services s JOIN entities e ON e.id = s.entity_id \
             LEFT JOIN (SELECT service_id, MAX(version) AS v FROM connectors GROUP BY service_id) m ON m.service_id = s.id \
             LEFT JOIN connectors c ON c.service_id = s.id AND c.version = m.v WHERE s.request_id = ? ORDER BY s.codigo, s.version",
        )
        .bind(request.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(PublishedProbe {
                    service: id(r, "id", ServiceId::parse)?,
                    label: format!(
                        "{} {} v{}",
                        get::<String>(r, "sigla")?,
                        get::<String>(r, "codigo")?,
                        get::<i64>(r, "version")?
                    ),
                    connector_version: get(r, "cv")?,
                    probe_ok: get::<Option<i64>>(r, "probe_ok")?.map(|v| v != 0),
                })
            })
            .collect()
    }
}
