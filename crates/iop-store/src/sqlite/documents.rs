//! [`DocumentStore`] on SQLite, and step 5's write of a note version (inside the transition's
//! transaction).

use super::*;
use crate::documents::*;

/// Step 5: writes the submitted text as the note's next version, numbering the note on its first
/// submission (the number and the verification code stay across versions).
pub(super) async fn submit_note(
    tx: &mut Transaction<'static, Sqlite>,
    request: RequestId,
    author: UserId,
    note: &NoteText,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let rid = request.to_string();
    let existing: Option<String> = sqlx::query_scalar("SELECT note_number FROM requests WHERE id = ?")
        .bind(&rid)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
    let number = match existing {
        Some(n) => n,
        None => {
            let year = now.to_offset(iop_domain::calendar::LA_PAZ).year();
            let seq = SqliteStore::next_counter(tx, &format!("nota-{year}")).await?;
            NoteNumber::new(year, seq).as_str().to_owned()
        }
    };
    let revision: i64 = sqlx::query_scalar(
        "UPDATE requests SET note_number = ?, note_body = ?, note_recommendations = ?, note_revision = note_revision + 1, verify_code = COALESCE(verify_code, ?) WHERE id = ? RETURNING note_revision",
    )
    .bind(&number)
    .bind(note.body.as_str())
    .bind(note.recommendations.as_ref().map(|r| r.as_str()))
    .bind(&note.verification)
    .bind(&rid)
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)?;
    sqlx::query("INSERT INTO note_versions (request_id, revision, number, body, recommendations, author_id, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(&rid)
        .bind(revision)
        .bind(&number)
        .bind(note.body.as_str())
        .bind(note.recommendations.as_ref().map(|r| r.as_str()))
        .bind(author.to_string())
        .bind(ms(now))
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

fn version_row(r: &SqliteRow) -> StoreResult<NoteVersionRec> {
    Ok(NoteVersionRec {
        revision: get(r, "revision")?,
        number: NoteNumber::from_stored(get(r, "number")?),
        body: id(r, "body", Text::parse)?,
        recommendations: get::<Option<String>>(r, "recommendations")?
            .map(|t| Text::parse(&t).map_err(|_| corrupt("recommendations")))
            .transpose()?,
        author: opt_id(r, "author_id", UserId::parse)?,
        submitted_at: from_ms(get(r, "submitted_at")?),
    })
}

fn pdf_row(r: &SqliteRow) -> StoreResult<NotePdfRec> {
    Ok(NotePdfRec {
        seq: get(r, "seq")?,
        revision: get(r, "revision")?,
        stage: get(r, "stage")?,
        sha256: get(r, "sha256")?,
        size: get(r, "size")?,
        created_at: from_ms(get(r, "created_at")?),
    })
}

#[async_trait]
impl DocumentStore for SqliteStore {
    async fn note_versions(&self, request: RequestId) -> StoreResult<Vec<NoteVersionRec>> {
        let rows = sqlx::query("SELECT * FROM note_versions WHERE request_id = ? ORDER BY revision")
            .bind(request.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(version_row).collect()
    }

    async fn note_pdfs(&self, request: RequestId) -> StoreResult<Vec<NotePdfRec>> {
        let rows = sqlx::query("SELECT * FROM note_pdfs WHERE request_id = ? ORDER BY seq")
            .bind(request.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(pdf_row).collect()
    }

    async fn keep_note_pdf(&self, request: RequestId, pdf: &NotePdfRec, by: &AuditBy) -> StoreResult<NotePdfRec> {
        let rid = request.to_string();
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO documents (sha256, size, created_at) VALUES (?, ?, ?) ON CONFLICT(sha256) DO NOTHING")
            .bind(&pdf.sha256)
            .bind(pdf.size)
            .bind(ms(pdf.created_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let added = sqlx::query("INSERT INTO note_pdfs (request_id, seq, revision, stage, sha256, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(&rid)
            .bind(pdf.seq)
            .bind(pdf.revision)
            .bind(&pdf.stage)
            .bind(&pdf.sha256)
            .bind(pdf.size)
            .bind(ms(pdf.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| match e.as_database_error().map(|d| d.kind()) {
                Some(sqlx::error::ErrorKind::ForeignKeyViolation) => StoreError::NotFound("nota"),
                _ => backend(e),
            })?
            .rows_affected()
            == 1;
        if added {
            let code = Self::code_of(&mut tx, request).await?;
            let detail = json!({"evento": pdf.seq, "revision": pdf.revision, "etapa": pdf.stage, "sha256": pdf.sha256, "bytes": pdf.size});
            self.audit(&mut tx, by, Change::procedure("nota.pdf", &code, detail), pdf.created_at)
                .await?;
        }
        let row = sqlx::query("SELECT * FROM note_pdfs WHERE request_id = ? AND seq = ?")
            .bind(&rid)
            .bind(pdf.seq)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let kept = pdf_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(kept)
    }

    async fn request_by_verification(&self, code: &str) -> StoreResult<Option<RequestRec>> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM requests WHERE verify_code = ?")
            .bind(code)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        match id {
            Some(id) => self.get_request(RequestId::parse(&id).map_err(|_| corrupt("id"))?).await,
            None => Ok(None),
        }
    }
}
