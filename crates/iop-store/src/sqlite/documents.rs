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
            note.cite_format.number(year, seq).as_str().to_owned()
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
    // The draft it was written from is done with.
    sqlx::query("DELETE FROM note_drafts WHERE request_id = ?")
        .bind(&rid)
        .execute(&mut **tx)
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

fn signed_row(r: &SqliteRow) -> StoreResult<SignedNoteRec> {
    Ok(SignedNoteRec {
        n: get(r, "n")?,
        revision: get(r, "revision")?,
        sha256: get(r, "sha256")?,
        size: get(r, "size")?,
        subject: get(r, "subject")?,
        issuer: get(r, "issuer")?,
        serial: get(r, "serial")?,
        not_before: from_ms(get(r, "not_before")?),
        not_after: from_ms(get(r, "not_after")?),
        digest_matches: get::<i64>(r, "digest_matches")? != 0,
        covers_whole_file: get::<i64>(r, "covers_whole_file")? != 0,
        filed_by: id(r, "filed_by", UserId::parse)?,
        filed_by_name: get::<Option<String>>(r, "filed_by_name")?.unwrap_or_default(),
        filed_at: from_ms(get(r, "filed_at")?),
    })
}

/// The signed copies with the name of who filed each (`signed_row`'s columns).
macro_rules! signed_select {
    ($where:literal) => {
        concat!(
            "SELECT s.*, u.nombre AS filed_by_name FROM signed_notes s LEFT JOIN users u ON u.id = s.filed_by ",
            $where
        )
    };
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

    async fn signed_notes(&self, request: RequestId) -> StoreResult<Vec<SignedNoteRec>> {
        let rows = sqlx::query(signed_select!("WHERE s.request_id = ? ORDER BY s.n"))
            .bind(request.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(signed_row).collect()
    }

    async fn file_signed_note(&self, request: RequestId, signed: &SignedNoteRec, by: &AuditBy) -> StoreResult<SignedNoteRec> {
        let rid = request.to_string();
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO documents (sha256, size, created_at) VALUES (?, ?, ?) ON CONFLICT(sha256) DO NOTHING")
            .bind(&signed.sha256)
            .bind(signed.size)
            .bind(ms(signed.filed_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO signed_notes (request_id, n, revision, sha256, size, subject, issuer, serial, not_before, not_after, digest_matches, covers_whole_file, filed_by, filed_at) \
             VALUES (?, (SELECT COALESCE(MAX(n), 0) + 1 FROM signed_notes WHERE request_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING n",
        )
        .bind(&rid)
        .bind(&rid)
        .bind(signed.revision)
        .bind(&signed.sha256)
        .bind(signed.size)
        .bind(&signed.subject)
        .bind(&signed.issuer)
        .bind(&signed.serial)
        .bind(ms(signed.not_before))
        .bind(ms(signed.not_after))
        .bind(i64::from(signed.digest_matches))
        .bind(i64::from(signed.covers_whole_file))
        .bind(signed.filed_by.to_string())
        .bind(ms(signed.filed_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match e.as_database_error().map(|d| d.kind()) {
            Some(sqlx::error::ErrorKind::ForeignKeyViolation) => StoreError::NotFound("nota"),
            _ => backend(e),
        })?;
        let code = Self::code_of(&mut tx, request).await?;
        let detail = json!({
            "n": n, "revision": signed.revision, "sha256": signed.sha256, "bytes": signed.size,
            "firmante": signed.subject, "emisor": signed.issuer, "serie": signed.serial,
            "resumen_coincide": signed.digest_matches, "cubre_todo": signed.covers_whole_file,
        });
        self.audit(&mut tx, by, Change::procedure("nota.firmada", &code, detail), signed.filed_at)
            .await?;
        let row = sqlx::query(signed_select!("WHERE s.request_id = ? AND s.n = ?"))
            .bind(&rid)
            .bind(n)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let kept = signed_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(kept)
    }

    async fn note_draft(&self, request: RequestId) -> StoreResult<Option<NoteDraftRec>> {
        let row = sqlx::query("SELECT * FROM note_drafts WHERE request_id = ?")
            .bind(request.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        let text = |r: &SqliteRow, col: &'static str| -> StoreResult<Option<Text>> {
            get::<Option<String>>(r, col)?
                .map(|t| Text::parse(&t).map_err(|_| corrupt(col)))
                .transpose()
        };
        row.map(|r| {
            Ok(NoteDraftRec {
                body: text(&r, "body")?,
                recommendations: text(&r, "recommendations")?,
                saved_by: id(&r, "saved_by", UserId::parse)?,
                saved_at: from_ms(get(&r, "saved_at")?),
            })
        })
        .transpose()
    }

    async fn save_note_draft(&self, request: RequestId, draft: &NoteDraftRec) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO note_drafts (request_id, body, recommendations, saved_by, saved_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT(request_id) DO UPDATE SET body = excluded.body, recommendations = excluded.recommendations, \
             saved_by = excluded.saved_by, saved_at = excluded.saved_at",
        )
        .bind(request.to_string())
        .bind(draft.body.as_ref().map(|t| t.as_str()))
        .bind(draft.recommendations.as_ref().map(|t| t.as_str()))
        .bind(draft.saved_by.to_string())
        .bind(ms(draft.saved_at))
        .execute(&self.pool)
        .await
        .map_err(|e| match e.as_database_error().map(|d| d.kind()) {
            Some(sqlx::error::ErrorKind::ForeignKeyViolation) => StoreError::NotFound("solicitud"),
            _ => backend(e),
        })?;
        Ok(())
    }

    async fn cite_register(&self, year: i32) -> StoreResult<Vec<CiteRec>> {
        let start = |y: i32| {
            time::Date::from_calendar_date(y, time::Month::January, 1)
                .map(|d| ms(d.midnight().assume_offset(iop_domain::calendar::LA_PAZ)))
                .map_err(|_| StoreError::NotFound("gestion"))
        };
        let rows = sqlx::query(
            "SELECT v.number, r.id, r.tracking_code, r.tipo, r.state, u.sigla, v.submitted_at, a.nombre AS author_name \
             FROM note_versions v JOIN requests r ON r.id = v.request_id JOIN units u ON u.id = r.unit_id \
             LEFT JOIN users a ON a.id = v.author_id \
             WHERE v.revision = 1 AND v.submitted_at >= ? AND v.submitted_at < ? ORDER BY v.submitted_at, v.number",
        )
        .bind(start(year)?)
        .bind(start(year + 1)?)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(CiteRec {
                    number: NoteNumber::from_stored(get(r, "number")?),
                    request: id(r, "id", RequestId::parse)?,
                    code: id(r, "tracking_code", TrackingCode::parse)?,
                    kind: id(r, "tipo", RequestKind::parse)?,
                    unit: get(r, "sigla")?,
                    state: id(r, "state", State::parse)?,
                    given_at: from_ms(get(r, "submitted_at")?),
                    author_name: get(r, "author_name")?,
                })
            })
            .collect()
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
