//! [`DeliveryStore`] on SQLite.

use super::*;
use crate::delivery::*;

fn delivery_row(r: &SqliteRow) -> StoreResult<DeliveryRec> {
    Ok(DeliveryRec {
        id: id(r, "id", DeliveryId::parse)?,
        request: id(r, "request_id", RequestId::parse)?,
        system: id(r, "system_id", SystemId::parse)?,
        unit: id(r, "unit_id", UnitId::parse)?,
        credentials: serde_json::from_str(&get::<String>(r, "credentials")?).map_err(|_| corrupt("credentials"))?,
        sealed: get(r, "sealed")?,
        issued_by: id(r, "issued_by", UserId::parse)?,
        issued_at: from_ms(get(r, "issued_at")?),
        expires_at: from_ms(get(r, "expires_at")?),
        retrieved_by: opt_id(r, "retrieved_by", UserId::parse)?,
        retrieved_by_login: get(r, "retrieved_login")?,
        retrieved_at: get::<Option<i64>>(r, "retrieved_at")?.map(from_ms),
        expired_at: get::<Option<i64>>(r, "expired_at")?.map(from_ms),
    })
}

const SELECT: &str = "SELECT d.*, u.login AS retrieved_login FROM deliveries d LEFT JOIN users u ON u.id = d.retrieved_by";

pub(super) async fn insert_delivery(tx: &mut Transaction<'static, Sqlite>, d: &DeliveryRec) -> StoreResult<()> {
    let creds = serde_json::to_string(&d.credentials).map_err(StoreError::backend)?;
    sqlx::query("INSERT INTO deliveries (id, request_id, system_id, unit_id, credentials, sealed, issued_by, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(d.id.to_string())
        .bind(d.request.to_string())
        .bind(d.system.to_string())
        .bind(d.unit.to_string())
        .bind(creds)
        .bind(d.sealed.as_deref())
        .bind(d.issued_by.to_string())
        .bind(ms(d.issued_at))
        .bind(ms(d.expires_at))
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

async fn expire(tx: &mut Transaction<'static, Sqlite>, request: Option<RequestId>, now: OffsetDateTime) -> StoreResult<u64> {
    let r = sqlx::query("UPDATE deliveries SET sealed = NULL, expired_at = ?1 WHERE sealed IS NOT NULL AND expires_at <= ?1 AND (?2 IS NULL OR request_id = ?2)")
        .bind(ms(now))
        .bind(request.map(|r| r.to_string()))
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(r.rows_affected())
}

#[async_trait]
impl DeliveryStore for SqliteStore {
    async fn deliveries(&self, request: RequestId, now: OffsetDateTime) -> StoreResult<Vec<DeliveryRec>> {
        let mut tx = self.begin().await?;
        expire(&mut tx, Some(request), now).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE d.request_id = ? ORDER BY d.issued_at, d.id"
        )))
        .bind(request.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        rows.iter().map(delivery_row).collect()
    }

    async fn take_deliveries(
        &self,
        request: RequestId,
        ids: &[DeliveryId],
        user: UserId,
        now: OffsetDateTime,
        by: &AuditBy,
    ) -> StoreResult<Vec<DeliveryRec>> {
        let mut tx = self.begin().await?;
        expire(&mut tx, Some(request), now).await?;
        let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE d.request_id = ? AND d.sealed IS NOT NULL AND d.id IN (SELECT value FROM json_each(?)) ORDER BY d.issued_at, d.id"
        )))
        .bind(request.to_string())
        .bind(serde_json::to_string(&ids).map_err(StoreError::backend)?)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let taken = rows.iter().map(delivery_row).collect::<StoreResult<Vec<_>>>()?;
        if taken.is_empty() {
            tx.commit().await.map_err(backend)?;
            return Ok(taken);
        }
        for d in &taken {
            sqlx::query("UPDATE deliveries SET sealed = NULL, retrieved_by = ?, retrieved_at = ? WHERE id = ? AND sealed IS NOT NULL")
                .bind(user.to_string())
                .bind(ms(now))
                .bind(d.id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        let code: String = sqlx::query_scalar("SELECT tracking_code FROM requests WHERE id = ?")
            .bind(request.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        // Which credentials were handed over, never their secrets.
        let detail = serde_json::json!({
            "entregas": taken.iter().map(|d| serde_json::json!({"id": d.id.to_string(), "sistema": d.system.to_string(), "credenciales": d.credentials})).collect::<Vec<_>>(),
        });
        self.audit(&mut tx, by, Change::procedure("accesos.retirar", &code, detail), now)
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(taken)
    }

    async fn expire_deliveries(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = expire(&mut tx, None, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }
}
