//! [`NoticeStore`] on SQLite, and the notices a transition queues (inside its transaction).

use super::*;
use crate::notices::*;

pub(super) async fn insert(tx: &mut Transaction<'static, Sqlite>, n: &NoticeRec) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO notices (id, channel, recipient, kind, subject, body, request_code, created_at, attempts, next_attempt_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
    )
    .bind(&n.id)
    .bind(&n.channel)
    .bind(&n.recipient)
    .bind(&n.kind)
    .bind(&n.subject)
    .bind(&n.body)
    .bind(n.request_code.as_deref())
    .bind(ms(n.created_at))
    .bind(ms(n.next_attempt_at))
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

fn notice_row(r: &SqliteRow) -> StoreResult<NoticeRec> {
    Ok(NoticeRec {
        id: get(r, "id")?,
        channel: get(r, "channel")?,
        recipient: get(r, "recipient")?,
        kind: get(r, "kind")?,
        subject: get(r, "subject")?,
        body: get(r, "body")?,
        request_code: get(r, "request_code")?,
        created_at: from_ms(get(r, "created_at")?),
        attempts: get(r, "attempts")?,
        next_attempt_at: from_ms(get(r, "next_attempt_at")?),
        sent_at: get::<Option<i64>>(r, "sent_at")?.map(from_ms),
        last_error: get(r, "last_error")?,
    })
}

#[async_trait]
impl NoticeStore for SqliteStore {
    async fn contacts(&self) -> StoreResult<Vec<Contact>> {
        let rows = sqlx::query("SELECT id, email, notice_kinds FROM users WHERE active = 1")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let kinds: String = get(r, "notice_kinds")?;
                Ok(Contact {
                    user: id(r, "id", UserId::parse)?,
                    email: get(r, "email")?,
                    kinds: kinds.split(',').filter(|k| !k.is_empty()).map(str::to_owned).collect(),
                })
            })
            .collect()
    }

    async fn set_contact(&self, c: &Contact, by: &AuditBy, at: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let login: Option<String> = sqlx::query_scalar("UPDATE users SET email = ?, notice_kinds = ? WHERE id = ? RETURNING login")
            .bind(c.email.as_deref())
            .bind(c.kinds.join(","))
            .bind(c.user.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let login = login.ok_or(StoreError::NotFound("usuario"))?;
        let detail = json!({"correo": c.email, "avisos": c.kinds});
        self.audit(&mut tx, by, Change::admin("usuario.avisos", &login, detail), at).await?;
        tx.commit().await.map_err(backend)
    }

    async fn due_notices(&self, now: OffsetDateTime, limit: i64) -> StoreResult<Vec<NoticeRec>> {
        let rows = sqlx::query(
            "SELECT * FROM notices WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at, id LIMIT ?",
        )
        .bind(ms(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(notice_row).collect()
    }

    async fn notice_sent(&self, id: &str, at: OffsetDateTime) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE notices SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ? AND sent_at IS NULL")
            .bind(ms(at))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(backend)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn notice_failed(&self, id: &str, error: &str, next_attempt_at: OffsetDateTime) -> StoreResult<()> {
        sqlx::query("UPDATE notices SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND sent_at IS NULL")
            .bind(error)
            .bind(ms(next_attempt_at))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn queue_daily(&self, day: &str, notices: &[NoticeRec], warned: &[GrantId], at: OffsetDateTime) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let claimed = sqlx::query("INSERT INTO notice_days (day, queued_at) VALUES (?, ?) ON CONFLICT(day) DO NOTHING")
            .bind(day)
            .bind(ms(at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected()
            == 1;
        if !claimed {
            return Ok(false);
        }
        for n in notices {
            insert(&mut tx, n).await?;
        }
        for g in warned {
            sqlx::query("INSERT INTO grant_warnings (grant_id, warned_at) VALUES (?, ?) ON CONFLICT(grant_id) DO NOTHING")
                .bind(g.to_string())
                .bind(ms(at))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn warned_grants(&self) -> StoreResult<Vec<GrantId>> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT grant_id FROM grant_warnings")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        ids.iter().map(|i| GrantId::parse(i).map_err(|_| corrupt("grant_id"))).collect()
    }

    async fn recent_notices(&self, limit: i64) -> StoreResult<Vec<NoticeRec>> {
        let rows = sqlx::query("SELECT * FROM notices ORDER BY created_at DESC, id DESC LIMIT ?")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(notice_row).collect()
    }
}
