//! The embedded store: SQLite in WAL mode under the data directory.

use crate::*;
use async_trait::async_trait;
use audit::Change;
use rusqlite::ToSql;
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
use std::path::Path;
use std::time::Duration;
use time::OffsetDateTime;

mod audit;
mod calls;
mod delivery;
mod documents;
mod gw;
mod notices;
mod read;
mod stage;

/// Versioned migrations, applied in order at start; each runs once, in its own transaction.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/sqlite/0001_init.sql")),
    (2, "gateway", include_str!("../migrations/sqlite/0002_gateway.sql")),
    (3, "audit", include_str!("../migrations/sqlite/0003_audit.sql")),
    (4, "jwt_policy", include_str!("../migrations/sqlite/0004_jwt_policy.sql")),
    (
        5,
        "publication_stage",
        include_str!("../migrations/sqlite/0005_publication_stage.sql"),
    ),
    (6, "waiting", include_str!("../migrations/sqlite/0006_waiting.sql")),
    (7, "deliveries", include_str!("../migrations/sqlite/0007_deliveries.sql")),
    (8, "request_list", include_str!("../migrations/sqlite/0008_request_list.sql")),
    (9, "proposed_system", include_str!("../migrations/sqlite/0009_proposed_system.sql")),
    (
        10,
        "overdue_by_holder",
        include_str!("../migrations/sqlite/0010_overdue_by_holder.sql"),
    ),
    (11, "note_documents", include_str!("../migrations/sqlite/0011_note_documents.sql")),
    (12, "signed_notes", include_str!("../migrations/sqlite/0012_signed_notes.sql")),
    (13, "unit_heads", include_str!("../migrations/sqlite/0013_unit_heads.sql")),
    (14, "note_drafts", include_str!("../migrations/sqlite/0014_note_drafts.sql")),
    (15, "suplencias", include_str!("../migrations/sqlite/0015_suplencias.sql")),
    (
        16,
        "service_deprecation",
        include_str!("../migrations/sqlite/0016_service_deprecation.sql"),
    ),
    (17, "notices", include_str!("../migrations/sqlite/0017_notices.sql")),
    (
        18,
        "description_import",
        include_str!("../migrations/sqlite/0018_description_import.sql"),
    ),
    (
        19,
        "description_gzip",
        include_str!("../migrations/sqlite/0019_description_gzip.sql"),
    ),
    (20, "call_log", include_str!("../migrations/sqlite/0020_call_log.sql")),
];

/// The newest schema version this build knows: the last migration's (so a new migration can never
/// leave the store "not ready").
pub const SCHEMA_VERSION: i64 = match MIGRATIONS.last() {
    Some(m) => m.0,
    None => 0,
};

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// This node's name in the audit chains it writes.
    node: std::sync::Arc<str>,
    /// The connections the pages' reads run on (see [`read`]).
    readers: std::sync::Arc<read::Readers>,
    /// The call records' dictionary as far as this process has seen it.
    terms: calls::TermCache,
    /// The call records' import's own connection (see [`SqliteStore::open`]).
    imports: SqlitePool,
}

fn backend(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StoreError::Conflict("unique");
        }
        if db.is_foreign_key_violation() {
            return StoreError::NotFound("referencia");
        }
    }
    StoreError::backend(e)
}

fn corrupt(what: &str) -> StoreError {
    StoreError::backend_msg(format!("stored value does not parse: {what}"))
}

pub fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_ms(v: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(v) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

use iop_domain::calendar::{fmt_date, parse_date};

fn roles_to_text(r: RoleSet) -> String {
    r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

fn roles_from_text(s: &str) -> StoreResult<RoleSet> {
    let names: Vec<&str> = s.split(',').filter(|x| !x.is_empty()).collect();
    RoleSet::parse_list(&names).map_err(|_| corrupt("roles"))
}

fn get<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(row: &'r SqliteRow, col: &str) -> StoreResult<T> {
    row.try_get(col).map_err(backend)
}

/// A stored row's columns read by name, whichever library read the row (sqlx for writes and
/// most reads, rusqlite for the pages' reads in [`read`]): the decoders below serve both.
pub(crate) trait Cols {
    /// A text column, borrowed from the row (decoders parse it without a copy).
    fn opt_str(&self, col: &str) -> StoreResult<Option<&str>>;
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>>;
    fn opt_string(&self, col: &str) -> StoreResult<Option<String>> {
        Ok(self.opt_str(col)?.map(str::to_owned))
    }
    fn str(&self, col: &str) -> StoreResult<&str> {
        self.opt_str(col)?.ok_or_else(|| corrupt(col))
    }
    fn string(&self, col: &str) -> StoreResult<String> {
        self.str(col).map(str::to_owned)
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.opt_int(col)?.ok_or_else(|| corrupt(col))
    }
}

impl Cols for SqliteRow {
    fn opt_str(&self, col: &str) -> StoreResult<Option<&str>> {
        get(self, col)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        get(self, col)
    }
}

fn opt_id<T, R: Cols + ?Sized>(row: &R, col: &str, f: fn(&str) -> Result<T, Invalid>) -> StoreResult<Option<T>> {
    row.opt_str(col)?.map(|s| f(s).map_err(|_| corrupt(col))).transpose()
}

fn id<T, R: Cols + ?Sized>(row: &R, col: &str, f: fn(&str) -> Result<T, Invalid>) -> StoreResult<T> {
    f(row.str(col)?).map_err(|_| corrupt(col))
}

fn opt_text<R: Cols + ?Sized>(row: &R, col: &str) -> StoreResult<Option<Text>> {
    row.opt_str(col)?.map(|s| Text::parse(s).map_err(|_| corrupt(col))).transpose()
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/iop.sqlite3` and applies pending migrations.
    pub async fn open(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir).map_err(StoreError::backend)?;
        let file = dir.join("iop.sqlite3");
        let wal = file.clone();
        tokio::task::spawn_blocking(move || read::ensure_wal(&wal))
            .await
            .map_err(StoreError::backend)??;
        let opts = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // The call records' import writes through a connection of its own whose page cache
        // holds the indexes' hot pages between batches (with the default 2 MB it re-read them
        // from the OS on every batch); the other connections keep the default.
        let imports = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(opts.clone().pragma("cache_size", "-32768"));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await
            .map_err(backend)?;
        let s = Self {
            pool,
            node: "n1".into(),
            readers: read::Readers::new(file),
            terms: Default::default(),
            imports,
        };
        s.migrate().await?;
        Ok(s)
    }

    /// Names the node whose audit chains this store appends to (default `n1`).
    pub fn with_node(mut self, node: &str) -> Self {
        self.node = node.into();
        self
    }

    /// Applies pending migrations; returns how many were applied.
    pub async fn migrate(&self) -> StoreResult<usize> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        let mut applied = 0;
        for (version, name, sql) in MIGRATIONS {
            let mut tx = self.begin().await?;
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            if done.is_some() {
                continue;
            }
            sqlx::raw_sql(*sql).execute(&mut *tx).await.map_err(backend)?;
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                .bind(version)
                .bind(name)
                .bind(ms(OffsetDateTime::now_utc()))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            tracing::info!(version, name, "migración aplicada");
            applied += 1;
        }
        self.move_old_calls().await?;
        Ok(applied)
    }

    /// The row a query with one bound key finds, decoded.
    pub(crate) async fn one<T, B>(&self, sql: &'static str, key: B, decode: fn(&SqliteRow) -> StoreResult<T>) -> StoreResult<Option<T>>
    where
        B: for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Send + 'static,
    {
        let row = sqlx::query(sql).bind(key).fetch_optional(&self.pool).await.map_err(backend)?;
        row.as_ref().map(decode).transpose()
    }

    /// Every row a query with one bound key finds, decoded.
    pub(crate) async fn many<T, B>(&self, sql: &'static str, key: B, decode: fn(&SqliteRow) -> StoreResult<T>) -> StoreResult<Vec<T>>
    where
        B: for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Send + 'static,
    {
        let rows = sqlx::query(sql).bind(key).fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(decode).collect()
    }

    pub(crate) async fn begin(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)
    }

    /// A write transaction on the call-record import's own connection (see `open`).
    pub(crate) async fn begin_import(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.imports.begin_with("BEGIN IMMEDIATE").await.map_err(backend)
    }

    async fn next_counter(tx: &mut Transaction<'static, Sqlite>, name: &str) -> StoreResult<u32> {
        let v: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
        )
        .bind(name)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        u32::try_from(v).map_err(|_| corrupt("counter"))
    }

    fn unit_row<R: Cols + ?Sized>(row: &R) -> StoreResult<UnitRec> {
        Ok(UnitRec {
            id: id(row, "id", UnitId::parse)?,
            sigla: id(row, "sigla", Sigla::parse)?,
            nombre: id(row, "nombre", Name::parse)?,
            agency: row.int("agencia")? != 0,
            head: match (row.opt_str("head_name")?, row.opt_str("head_title")?) {
                (Some(n), Some(t)) => Some(UnitHead {
                    name: Name::parse(n).map_err(|_| corrupt("head_name"))?,
                    title: Name::parse(t).map_err(|_| corrupt("head_title"))?,
                }),
                _ => None,
            },
            created_at: from_ms(row.int("created_at")?),
        })
    }

    fn user_row<R: Cols + ?Sized>(row: &R) -> StoreResult<UserRec> {
        Ok(UserRec {
            id: id(row, "id", UserId::parse)?,
            login: id(row, "login", Login::parse)?,
            nombre: id(row, "nombre", Name::parse)?,
            unit: opt_id(row, "unit_id", UnitId::parse)?,
            roles: roles_from_text(row.str("roles")?)?,
            active: row.int("active")? != 0,
            password_hash: row.string("password_hash")?,
            created_at: from_ms(row.int("created_at")?),
            acting: Vec::new(),
        })
    }

    fn entity_row(row: &SqliteRow) -> StoreResult<EntityRec> {
        Ok(EntityRec {
            id: id(row, "id", EntityId::parse)?,
            sigla: id(row, "sigla", Sigla::parse)?,
            nombre: id(row, "nombre", Name::parse)?,
            kind: id(row, "tipo", EntityKind::parse)?,
            created_at: from_ms(get(row, "created_at")?),
        })
    }

    fn system_row(row: &SqliteRow) -> StoreResult<SystemRec> {
        Ok(SystemRec {
            id: id(row, "id", SystemId::parse)?,
            entity: id(row, "entity_id", EntityId::parse)?,
            code: id(row, "codigo", Code::parse)?,
            nombre: id(row, "nombre", Name::parse)?,
            descripcion: opt_text(row, "descripcion")?,
            created_at: from_ms(get(row, "created_at")?),
        })
    }

    pub(crate) fn service_row(row: &SqliteRow) -> StoreResult<ServiceRec> {
        Ok(ServiceRec {
            id: id(row, "id", ServiceId::parse)?,
            entity: id(row, "entity_id", EntityId::parse)?,
            code: id(row, "codigo", Code::parse)?,
            version: ServiceVersion::new(get(row, "version")?).map_err(|_| corrupt("version"))?,
            nombre: id(row, "nombre", Name::parse)?,
            descripcion: opt_text(row, "descripcion")?,
            state: match get::<String>(row, "estado")?.as_str() {
                "publicado" => ServiceState::Publicado,
                "registrado" => ServiceState::Registrado,
                _ => return Err(corrupt("estado")),
            },
            request: opt_id(row, "request_id", RequestId::parse)?,
            created_at: from_ms(get(row, "created_at")?),
            deprecated_at: get::<Option<i64>>(row, "deprecated_at")?.map(from_ms),
            sunset_at: get::<Option<i64>>(row, "sunset_at")?.map(from_ms),
        })
    }

    async fn write_content(tx: &mut Transaction<'static, Sqlite>, id: RequestId, c: &RequestContent) -> StoreResult<()> {
        let rid = id.to_string();
        sqlx::query("DELETE FROM request_services WHERE request_id = ?")
            .bind(&rid)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM request_publications WHERE request_id = ?")
            .bind(&rid)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        for s in &c.services {
            sqlx::query("INSERT INTO request_services (request_id, service_id) VALUES (?, ?)")
                .bind(&rid)
                .bind(s.to_string())
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
        for p in &c.publications {
            sqlx::query("INSERT INTO request_publications (request_id, codigo, version, nombre, descripcion) VALUES (?, ?, ?, ?, ?)")
                .bind(&rid)
                .bind(p.code.as_str())
                .bind(i64::from(p.version.get()))
                .bind(p.name.as_str())
                .bind(p.description.as_ref().map(|d| d.as_str()))
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// Bumps the version if it is still `expected`; otherwise the request changed (or is gone).
    /// A system into the catalog, with its audit record, inside `tx`; returns the record's detail.
    async fn insert_system(&self, tx: &mut Transaction<'static, Sqlite>, s: &SystemRec, by: &AuditBy) -> StoreResult<serde_json::Value> {
        sqlx::query("INSERT INTO systems (id, entity_id, codigo, nombre, descripcion, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(s.id.to_string())
            .bind(s.entity.to_string())
            .bind(s.code.as_str())
            .bind(s.nombre.as_str())
            .bind(s.descripcion.as_ref().map(|d| d.as_str()))
            .bind(ms(s.created_at))
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        let detail =
            json!({"id": s.id.to_string(), "entidad": s.entity.to_string(), "codigo": s.code.as_str(), "nombre": s.nombre.as_str()});
        self.audit(
            tx,
            by,
            Change::admin("sistema.crear", s.code.as_str(), detail.clone()),
            s.created_at,
        )
        .await?;
        Ok(detail)
    }

    async fn bump(tx: &mut Transaction<'static, Sqlite>, id: RequestId, expected: i64, now: OffsetDateTime) -> StoreResult<()> {
        let r = sqlx::query("UPDATE requests SET version = version + 1, updated_at = ? WHERE id = ? AND version = ?")
            .bind(ms(now))
            .bind(id.to_string())
            .bind(expected)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 1 {
            return Ok(());
        }
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM requests WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
        Err(if exists.is_some() {
            StoreError::Stale
        } else {
            StoreError::NotFound("solicitud")
        })
    }

    async fn code_of(tx: &mut Transaction<'static, Sqlite>, id: RequestId) -> StoreResult<String> {
        sqlx::query_scalar("SELECT tracking_code FROM requests WHERE id = ?")
            .bind(id.to_string())
            .fetch_one(&mut **tx)
            .await
            .map_err(backend)
    }

    async fn must_get(&self, id: RequestId) -> StoreResult<RequestRec> {
        self.get_request(id).await?.ok_or(StoreError::NotFound("solicitud"))
    }

    async fn apply_enablement(
        tx: &mut Transaction<'static, Sqlite>,
        request: RequestId,
        publisher: Option<EntityId>,
        publications: &[PublicationSpec],
        e: &Enablement,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let rid = request.to_string();
        // Grants: the request's live grants become exactly the listed ones.
        let live = sqlx::query("SELECT * FROM grants WHERE request_id = ? AND revoked_at IS NULL")
            .bind(&rid)
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?;
        let live = live.iter().map(grant_row).collect::<StoreResult<Vec<_>>>()?;
        for g in &live {
            if !e.grants.contains(&g.spec) {
                sqlx::query("UPDATE grants SET revoked_at = ? WHERE id = ?")
                    .bind(ms(now))
                    .bind(g.id.to_string())
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
            }
        }
        for g in &e.grants {
            if live.iter().any(|l| &l.spec == g) {
                continue;
            }
            sqlx::query("INSERT INTO grants (id, request_id, system_id, service_id, valid_from, valid_until, operations, rate_per_second, burst, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(GrantId::generate().to_string())
                .bind(&rid)
                .bind(g.system.to_string())
                .bind(g.service.to_string())
                .bind(fmt_date(g.valid_from))
                .bind(g.valid_until.map(fmt_date))
                .bind(g.operations.as_deref().map(to_json_strings))
                .bind(g.rate.map(|r| r.per_second))
                .bind(g.rate.map(|r| i64::from(r.burst)))
                .bind(ms(now))
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
        // Publications: each listed service enters the catalog as published (once).
        if !e.publish.is_empty() {
            let publisher = publisher.ok_or(StoreError::NotFound("entidad publicadora"))?;
            for (code, version) in &e.publish {
                let Some(spec) = publications.iter().find(|p| &p.code == code && &p.version == version) else {
                    return Err(StoreError::NotFound("servicio descrito"));
                };
                let existing: Option<(String, Option<String>)> =
                    sqlx::query_as("SELECT estado, request_id FROM services WHERE entity_id = ? AND codigo = ? AND version = ?")
                        .bind(publisher.to_string())
                        .bind(code.as_str())
                        .bind(i64::from(version.get()))
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(backend)?;
                match existing {
                    None => {
                        // The id the Líder staged its connector and description under.
                        let staged: Option<String> = sqlx::query_scalar(
                            "SELECT service_id FROM publication_stage WHERE request_id = ? AND codigo = ? AND version = ?",
                        )
                        .bind(&rid)
                        .bind(code.as_str())
                        .bind(i64::from(version.get()))
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(backend)?;
                        sqlx::query("INSERT INTO services (id, entity_id, codigo, version, nombre, descripcion, estado, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 'publicado', ?, ?)")
                            .bind(staged.unwrap_or_else(|| ServiceId::generate().to_string()))
                            .bind(publisher.to_string())
                            .bind(code.as_str())
                            .bind(i64::from(version.get()))
                            .bind(spec.name.as_str())
                            .bind(spec.description.as_ref().map(|d| d.as_str()))
                            .bind(&rid)
                            .bind(ms(now))
                            .execute(&mut **tx)
                            .await
                            .map_err(backend)?;
                    }
                    Some((_, Some(by))) if by == rid => {}
                    Some((estado, _)) if estado == "registrado" => {
                        sqlx::query(
                            "UPDATE services SET estado = 'publicado', request_id = ? WHERE entity_id = ? AND codigo = ? AND version = ?",
                        )
                        .bind(&rid)
                        .bind(publisher.to_string())
                        .bind(code.as_str())
                        .bind(i64::from(version.get()))
                        .execute(&mut **tx)
                        .await
                        .map_err(backend)?;
                    }
                    Some(_) => return Err(StoreError::Conflict("servicio ya publicado")),
                }
            }
        }
        Ok(())
    }
}

/// The suplencias with the names of both people (`suplencia_row`'s columns).
macro_rules! suplencia_select {
    () => {
        "SELECT s.*, u.nombre AS user_name, r.nombre AS replaces_name FROM suplencias s \
         JOIN users u ON u.id = s.user_id JOIN users r ON r.id = s.replaces_id"
    };
}
#[async_trait]
impl UserStore for SqliteStore {
    async fn create_unit(&self, u: &UnitRec, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO units (id, sigla, nombre, agencia, head_name, head_title, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(u.id.to_string())
            .bind(u.sigla.as_str())
            .bind(u.nombre.as_str())
            .bind(i64::from(u.agency))
            .bind(u.head.as_ref().map(|h| h.name.as_str()))
            .bind(u.head.as_ref().map(|h| h.title.as_str()))
            .bind(ms(u.created_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let detail = json!({"id": u.id.to_string(), "sigla": u.sigla.as_str(), "nombre": u.nombre.as_str(), "agencia": u.agency});
        self.audit(&mut tx, by, Change::admin("unidad.crear", u.sigla.as_str(), detail), u.created_at)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn set_unit_head(&self, unit: UnitId, head: &UnitHead, by: &AuditBy, at: OffsetDateTime) -> StoreResult<UnitRec> {
        let mut tx = self.begin().await?;
        let sigla: Option<String> = sqlx::query_scalar("UPDATE units SET head_name = ?, head_title = ? WHERE id = ? RETURNING sigla")
            .bind(head.name.as_str())
            .bind(head.title.as_str())
            .bind(unit.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let sigla = sigla.ok_or(StoreError::NotFound("unidad"))?;
        let detail = json!({"id": unit.to_string(), "responsable": head.name.as_str(), "cargo": head.title.as_str()});
        self.audit(&mut tx, by, Change::admin("unidad.responsable", &sigla, detail), at)
            .await?;
        let row = sqlx::query("SELECT * FROM units WHERE id = ?")
            .bind(unit.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let out = Self::unit_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn create_suplencia(&self, s: &SuplenciaRec, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO suplencias (id, user_id, role, replaces_id, desde, hasta, memorandum, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&s.id)
            .bind(s.user.to_string())
            .bind(s.role.as_str())
            .bind(s.replaces.to_string())
            .bind(ms(s.from))
            .bind(ms(s.until))
            .bind(s.memorandum.as_str())
            .bind(s.created_by.to_string())
            .bind(ms(s.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| match e.as_database_error().map(|d| d.kind()) {
                Some(sqlx::error::ErrorKind::ForeignKeyViolation) => StoreError::NotFound("usuario"),
                _ => backend(e),
            })?;
        let detail = json!({
            "id": s.id, "usuario": s.user.to_string(), "rol": s.role.as_str(), "en_lugar_de": s.replaces.to_string(),
            "desde": ms(s.from), "hasta": ms(s.until), "memorandum": s.memorandum.as_str(),
        });
        self.audit(&mut tx, by, Change::admin("suplencia.crear", &s.id, detail), s.created_at)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn list_suplencias(&self) -> StoreResult<Vec<SuplenciaRec>> {
        let rows = sqlx::query(concat!(suplencia_select!(), " ORDER BY s.created_at DESC, s.id"))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(suplencia_row).collect()
    }

    async fn suplencias_of(&self, user: UserId, at: OffsetDateTime) -> StoreResult<Vec<SuplenciaRec>> {
        let rows = sqlx::query(concat!(
            suplencia_select!(),
            " WHERE s.user_id = ? AND s.desde <= ? AND ? < s.hasta ORDER BY s.desde"
        ))
        .bind(user.to_string())
        .bind(ms(at))
        .bind(ms(at))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(suplencia_row).collect()
    }

    async fn list_units(&self) -> StoreResult<Vec<UnitRec>> {
        self.read(|c| read::rows(c, "SELECT * FROM units ORDER BY agencia DESC, sigla", &[], |r| Self::unit_row(r)))
            .await
    }

    async fn get_unit(&self, id: UnitId) -> StoreResult<Option<UnitRec>> {
        self.one("SELECT * FROM units WHERE id = ?", id.to_string(), Self::unit_row).await
    }

    async fn unit_by_sigla(&self, sigla: &Sigla) -> StoreResult<Option<UnitRec>> {
        self.one("SELECT * FROM units WHERE sigla = ?", sigla.as_str().to_owned(), Self::unit_row)
            .await
    }

    async fn create_user(&self, u: &UserRec, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO users (id, login, nombre, unit_id, roles, password_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(u.id.to_string())
            .bind(u.login.as_str())
            .bind(u.nombre.as_str())
            .bind(u.unit.map(|x| x.to_string()))
            .bind(roles_to_text(u.roles))
            .bind(&u.password_hash)
            .bind(i64::from(u.active))
            .bind(ms(u.created_at))
            .bind(ms(u.created_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        self.audit(
            &mut tx,
            by,
            Change::admin("usuario.crear", u.login.as_str(), user_json(u)),
            u.created_at,
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<UserRec>> {
        self.one("SELECT * FROM users WHERE id = ?", id.to_string(), Self::user_row).await
    }

    async fn user_by_login(&self, login: &Login) -> StoreResult<Option<UserRec>> {
        self.one("SELECT * FROM users WHERE login = ?", login.as_str().to_owned(), Self::user_row)
            .await
    }

    async fn active_users_with_role(&self, role: Role) -> StoreResult<Vec<UserRec>> {
        self.read(move |c| active_users_with_role(c, role)).await
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRec>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY login")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(Self::user_row).collect()
    }

    async fn count_users(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)
    }

    async fn update_user(&self, u: &UserRec, now: OffsetDateTime, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let before = sqlx::query("SELECT * FROM users WHERE id = ?")
            .bind(u.id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .map(|r| Self::user_row(&r))
            .transpose()?;
        let Some(before) = before else {
            return Err(StoreError::NotFound("usuario"));
        };
        let r = sqlx::query("UPDATE users SET nombre = ?, unit_id = ?, roles = ?, active = ?, updated_at = ? WHERE id = ?")
            .bind(u.nombre.as_str())
            .bind(u.unit.map(|x| x.to_string()))
            .bind(roles_to_text(u.roles))
            .bind(i64::from(u.active))
            .bind(ms(now))
            .bind(u.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("usuario"));
        }
        if !u.active {
            sqlx::query("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
                .bind(ms(now))
                .bind(u.id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        let detail = json!({"antes": user_json(&before), "despues": user_json(u)});
        self.audit(&mut tx, by, Change::admin("usuario.modificar", u.login.as_str(), detail), now)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn set_password(&self, id: UserId, hash: &str, now: OffsetDateTime, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
            .bind(hash)
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("usuario"));
        }
        sqlx::query("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let login: String = sqlx::query_scalar("SELECT login FROM users WHERE id = ?")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let detail = json!({"id": id.to_string(), "sesiones_revocadas": true});
        self.audit(&mut tx, by, Change::admin("usuario.contrasena", &login, detail), now)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn create_session(&self, s: &SessionRec, by: &AuditBy, address: Option<&str>) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(&s.token_hash)
            .bind(s.user.to_string())
            .bind(ms(s.created_at))
            .bind(ms(s.expires_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let detail = json!({"usuario": by.login, "direccion": address, "vence": ms(s.expires_at)});
        self.audit(&mut tx, by, Change::admin("sesion.iniciar", &by.login, detail), s.created_at)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn session_user(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<UserRec>> {
        let token_hash = token_hash.to_owned();
        let users = self
            .read(move |c| {
                read::rows(
                    c,
                    "SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 AND u.active = 1",
                    &[&token_hash, &ms(now)],
                    |r| Self::user_row(r),
                )
            })
            .await?;
        Ok(users.into_iter().next())
    }

    async fn record_failed_login(&self, login: &str, address: Option<&str>, at: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let by = AuditBy::system("inicio-de-sesion");
        let detail = json!({"usuario": login, "direccion": address});
        self.audit(&mut tx, &by, Change::admin("sesion.fallida", login, detail), at).await?;
        tx.commit().await.map_err(backend)
    }

    async fn record_failed_logins(&self, w: &FailedLoginsRec) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let by = AuditBy::system("inicio-de-sesion");
        let address = w.address.as_deref().unwrap_or("desconocida");
        let detail = json!({
            "direccion": w.address,
            "intentos": w.attempts,
            "cuentas": w.accounts,
            "nombres_desconocidos": w.unknown,
            "desde": w.first.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "hasta": w.last.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        });
        self.audit(&mut tx, &by, Change::admin("sesion.fallidas", address, detail), w.last)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn revoke_session(&self, token_hash: &str, now: OffsetDateTime, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let ended = sqlx::query("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(token_hash)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if ended > 0 {
            self.audit(
                &mut tx,
                by,
                Change::admin("sesion.cerrar", &by.login, json!({"usuario": by.login})),
                now,
            )
            .await?;
        }
        tx.commit().await.map_err(backend)
    }
}

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn create_entity(&self, e: &EntityRec, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO entities (id, sigla, nombre, tipo, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(e.id.to_string())
            .bind(e.sigla.as_str())
            .bind(e.nombre.as_str())
            .bind(e.kind.as_str())
            .bind(ms(e.created_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let detail = json!({"id": e.id.to_string(), "sigla": e.sigla.as_str(), "nombre": e.nombre.as_str(), "tipo": e.kind.as_str()});
        self.audit(&mut tx, by, Change::admin("entidad.crear", e.sigla.as_str(), detail), e.created_at)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn list_entities(&self) -> StoreResult<Vec<EntityRec>> {
        let rows = sqlx::query("SELECT * FROM entities ORDER BY sigla")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(Self::entity_row).collect()
    }

    async fn get_entity(&self, id: EntityId) -> StoreResult<Option<EntityRec>> {
        self.one("SELECT * FROM entities WHERE id = ?", id.to_string(), Self::entity_row)
            .await
    }

    async fn create_system(&self, s: &SystemRec, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        self.insert_system(&mut tx, s, by).await?;
        tx.commit().await.map_err(backend)
    }

    async fn list_systems(&self, entity: Option<EntityId>) -> StoreResult<Vec<SystemRec>> {
        self.many(
            "SELECT * FROM systems WHERE (?1 IS NULL OR entity_id = ?1) ORDER BY codigo",
            entity.map(|e| e.to_string()),
            Self::system_row,
        )
        .await
    }

    async fn get_system(&self, id: SystemId) -> StoreResult<Option<SystemRec>> {
        self.one("SELECT * FROM systems WHERE id = ?", id.to_string(), Self::system_row)
            .await
    }

    async fn create_service(&self, s: &ServiceRec, by: &AuditBy) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO services (id, entity_id, codigo, version, nombre, descripcion, estado, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(s.id.to_string())
            .bind(s.entity.to_string())
            .bind(s.code.as_str())
            .bind(i64::from(s.version.get()))
            .bind(s.nombre.as_str())
            .bind(s.descripcion.as_ref().map(|d| d.as_str()))
            .bind(s.state.as_str())
            .bind(s.request.map(|r| r.to_string()))
            .bind(ms(s.created_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let subject = format!("{}/v{}", s.code.as_str(), s.version.get());
        let detail = json!({"id": s.id.to_string(), "entidad": s.entity.to_string(), "codigo": s.code.as_str(), "version": s.version.get(), "nombre": s.nombre.as_str(), "estado": s.state.as_str()});
        self.audit(&mut tx, by, Change::admin("servicio.crear", &subject, detail), s.created_at)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn deprecate_service(
        &self,
        id: ServiceId,
        deprecated_at: OffsetDateTime,
        sunset_at: Option<OffsetDateTime>,
        notices: &[NoticeRec],
        by: &AuditBy,
        at: OffsetDateTime,
    ) -> StoreResult<ServiceRec> {
        let mut tx = self.begin().await?;
        for n in notices {
            self::notices::insert(&mut tx, n).await?;
        }
        let subject: Option<(String, i64)> =
            sqlx::query_as("UPDATE services SET deprecated_at = ?, sunset_at = ? WHERE id = ? RETURNING codigo, version")
                .bind(ms(deprecated_at))
                .bind(sunset_at.map(ms))
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let (code, version) = subject.ok_or(StoreError::NotFound("servicio"))?;
        let detail = json!({"id": id.to_string(), "obsoleto_desde": ms(deprecated_at), "retiro": sunset_at.map(ms)});
        self.audit(
            &mut tx,
            by,
            Change::admin("servicio.obsolescencia", &format!("{code}/v{version}"), detail),
            at,
        )
        .await?;
        let row = sqlx::query("SELECT * FROM services WHERE id = ?")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let out = Self::service_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn list_services(&self, entity: Option<EntityId>) -> StoreResult<Vec<ServiceRec>> {
        self.many(
            "SELECT * FROM services WHERE (?1 IS NULL OR entity_id = ?1) ORDER BY codigo, version",
            entity.map(|e| e.to_string()),
            Self::service_row,
        )
        .await
    }

    async fn get_service(&self, id: ServiceId) -> StoreResult<Option<ServiceRec>> {
        self.one("SELECT * FROM services WHERE id = ?", id.to_string(), Self::service_row)
            .await
    }

    async fn grants_of_requests(&self, ids: &[RequestId]) -> StoreResult<std::collections::HashMap<RequestId, Vec<GrantRec>>> {
        let mut out: std::collections::HashMap<RequestId, Vec<GrantRec>> = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        let rows = sqlx::query("SELECT * FROM grants WHERE request_id IN (SELECT value FROM json_each(?)) ORDER BY created_at, id")
            .bind(serde_json::to_string(&ids).map_err(StoreError::backend)?)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        for r in &rows {
            out.entry(id(r, "request_id", RequestId::parse)?).or_default().push(grant_row(r)?);
        }
        Ok(out)
    }

    async fn grants_of_service(&self, service: ServiceId) -> StoreResult<Vec<(GrantRec, UnitId, Option<UserId>)>> {
        let rows = sqlx::query(
            "SELECT g.*, r.unit_id, r.assignee FROM grants g JOIN requests r ON r.id = g.request_id \
             WHERE g.service_id = ? AND g.revoked_at IS NULL ORDER BY g.created_at, g.id",
        )
        .bind(service.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok((
                    grant_row(r)?,
                    id(r, "unit_id", UnitId::parse)?,
                    opt_id(r, "assignee", UserId::parse)?,
                ))
            })
            .collect()
    }

    async fn grants_ending(&self, through: time::Date) -> StoreResult<Vec<EndingGrant>> {
        let rows = sqlx::query(
            "SELECT g.*, r.tracking_code, r.unit_id, sy.codigo AS system_code, sv.codigo AS service_code, sv.version AS service_version \
             FROM grants g JOIN requests r ON r.id = g.request_id JOIN systems sy ON sy.id = g.system_id JOIN services sv ON sv.id = g.service_id \
             WHERE g.revoked_at IS NULL AND g.valid_until IS NOT NULL AND g.valid_until <= ? ORDER BY g.valid_until, g.id",
        )
        .bind(iop_domain::calendar::fmt_date(through))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(EndingGrant {
                    grant: grant_row(r)?,
                    request_code: id(r, "tracking_code", TrackingCode::parse)?,
                    unit: id(r, "unit_id", UnitId::parse)?,
                    system_code: get(r, "system_code")?,
                    service_code: get(r, "service_code")?,
                    service_version: get(r, "service_version")?,
                })
            })
            .collect()
    }

    async fn grants_of_request(&self, id: RequestId) -> StoreResult<Vec<GrantRec>> {
        self.many(
            "SELECT * FROM grants WHERE request_id = ? ORDER BY created_at, id",
            id.to_string(),
            grant_row,
        )
        .await
    }
}

pub(crate) fn grant_row(r: &SqliteRow) -> StoreResult<GrantRec> {
    let from: String = get(r, "valid_from")?;
    let until: Option<String> = get(r, "valid_until")?;
    let ops: Option<String> = get(r, "operations")?;
    let rate: Option<f64> = get(r, "rate_per_second")?;
    let burst: Option<i64> = get(r, "burst")?;
    Ok(GrantRec {
        id: id(r, "id", GrantId::parse)?,
        request: id(r, "request_id", RequestId::parse)?,
        spec: GrantSpec {
            system: id(r, "system_id", SystemId::parse)?,
            service: id(r, "service_id", ServiceId::parse)?,
            valid_from: parse_date(&from).ok_or_else(|| corrupt("valid_from"))?,
            valid_until: until.map(|u| parse_date(&u).ok_or_else(|| corrupt("valid_until"))).transpose()?,
            operations: ops.map(|o| json_strings(&o)).transpose()?,
            rate: match (rate, burst) {
                (Some(r), Some(b)) => Some(GrantRate::new(r, u32::try_from(b).unwrap_or(1)).map_err(|_| corrupt("rate"))?),
                _ => None,
            },
        },
        created_at: from_ms(get(r, "created_at")?),
        revoked_at: get::<Option<i64>>(r, "revoked_at")?.map(from_ms),
    })
}

/// A JSON array of strings, as stored.
/// A request from its row, without its services and publications (which are rows of their own:
/// see [`read::requests`]).
/// The columns of a [`RequestLine`], in the order `line_from` reads them.
macro_rules! line_cols {
    () => {
        "id, tracking_code, state, tipo, unit_id, created_by, assignee, return_state, note_author, \
         adas_approver, upat_approver, doc_sha256, wait_role, wait_user, wait_unit, wait_excluded, \
         state_since, created_at, updated_at"
    };
}

/// `Waiting::includes` as a query over the stored holders (the caller still asks the domain about
/// each row), with these columns and this condition on the role (`?1`); parameters as
/// [`WaitingQuery::params`] binds them.
macro_rules! waiting_sql {
    ($cols:expr, $roles:expr) => {
        concat!(
            "SELECT ",
            $cols,
            " FROM requests WHERE ",
            $roles,
            " AND (wait_user IS NULL OR wait_user = ?2) AND (wait_unit IS NULL OR wait_unit = ?3) \
             AND (wait_excluded = '[]' OR NOT EXISTS (SELECT 1 FROM json_each(requests.wait_excluded) x WHERE x.value = ?2)) \
             AND (?4 IS NULL OR state_since > ?4 OR (state_since = ?4 AND tracking_code > ?5)) \
             ORDER BY state_since, tracking_code LIMIT ?6"
        )
    };
}

/// Several roles: every waiting row of each role is sorted.
macro_rules! wait_roles {
    () => {
        "wait_role IN (SELECT value FROM json_each(?1))"
    };
}

/// `Facts::visible_to` as a query (one's own drafts; submitted requests of one's unit for a
/// Solicitante, all of them for a reviewer) and the filter, with these columns; parameters as
/// [`ListQuery::params`] binds them.
macro_rules! listing_sql {
    ($cols:expr) => {
        concat!(
            "SELECT ",
            $cols,
            " FROM requests WHERE ((state = 'borrador' AND created_by = ?1) \
               OR (state <> 'borrador' AND (?2 OR (?3 AND unit_id = ?4)))) \
             AND (?5 IS NULL OR state = ?5) AND (?6 IS NULL OR unit_id = ?6) \
             AND (?7 IS NULL OR created_at < ?7 OR (created_at = ?7 AND tracking_code < ?8)) \
             AND (?10 IS NULL OR tipo = ?10) AND (?11 IS NULL OR instr(tracking_code, ?11) > 0) \
             AND (?12 IS NULL OR created_at >= ?12) AND (?13 IS NULL OR created_at < ?13) \
             ORDER BY created_at DESC, tracking_code DESC LIMIT ?9"
        )
    };
}

/// The active users with a role, by name. Roles are stored as `a,b,c`: the role is one of them
/// when `,role,` is in `,roles,`.
fn active_users_with_role(c: &rusqlite::Connection, role: Role) -> StoreResult<Vec<UserRec>> {
    read::rows(
        c,
        "SELECT * FROM users WHERE active = 1 AND instr(',' || roles || ',', ',' || ?1 || ',') > 0 ORDER BY nombre, login",
        &[&role.as_str()],
        |r| SqliteStore::user_row(r),
    )
}

/// The overview's counts (see [`OverviewCounts`]) in one statement; each part of the union is
/// read from an index or the triggers' table alone (see migrations 0008 and 0010). Overdue
/// requests are counted state by state, each part in the order of the index on (state, role,
/// user), so no part sorts (one sort of every overdue request was 2/3 of the statement); the
/// same holder may come once per state.
fn overview_counts(c: &rusqlite::Connection, cutoffs: &[(State, i64)]) -> StoreResult<OverviewCounts> {
    let mut sql = String::from(
        "SELECT 'estado' AS k, state AS a, NULL AS b, n FROM request_state_counts WHERE n > 0 \
         UNION ALL SELECT 'carga', assignee, NULL, COUNT(*) FROM requests INDEXED BY requests_open_assignee \
           WHERE assignee IS NOT NULL AND state NOT IN ('recibida', 'rechazada', 'desistida') GROUP BY assignee",
    );
    let states: Vec<&'static str> = cutoffs.iter().map(|(s, _)| s.as_str()).collect();
    let mut params: Vec<&dyn ToSql> = Vec::with_capacity(cutoffs.len() * 2);
    for (i, ((_, cutoff), state)) in cutoffs.iter().zip(&states).enumerate() {
        let (s, t) = (2 * i + 1, 2 * i + 2);
        sql.push_str(&format!(
            " UNION ALL SELECT 'vencidas', wait_role, wait_user, COUNT(*) FROM requests INDEXED BY requests_state_holder \
               WHERE state = ?{s} AND wait_role IS NOT NULL AND state_since <= ?{t} GROUP BY wait_role, wait_user"
        ));
        params.push(state);
        params.push(cutoff);
    }
    let rows = read::rows(c, &sql, &params, |r| {
        Ok((r.string("k")?, r.string("a")?, r.opt_string("b")?, r.int("n")?))
    })?;
    let mut out = OverviewCounts::default();
    for (k, a, b, n) in rows {
        let bad = |e: iop_domain::Invalid| corrupt(&e.es);
        match k.as_str() {
            "estado" => out.by_state.push((State::parse(&a).map_err(bad)?, n)),
            "carga" => out.open_by_assignee.push((UserId::parse(&a).map_err(bad)?, n)),
            _ => out.overdue.push((
                Role::parse(&a).map_err(bad)?,
                b.map(|u| UserId::parse(&u)).transpose().map_err(bad)?,
                n,
            )),
        }
    }
    Ok(out)
}

/// The values an inbox page's statement binds.
struct WaitingQuery {
    /// One role (most people): the index on (wait_role, state_since, …) gives the order and the
    /// scan stops at the page's end.
    one_role: bool,
    /// The role, or several as a JSON array.
    roles: String,
    user: String,
    unit: Option<String>,
    after_ms: Option<i64>,
    after_code: Option<String>,
    limit: i64,
    /// One more than the page: the extra row says that a next page exists.
    fetch: i64,
}

impl WaitingQuery {
    fn new(actor: &Actor, page: &Page) -> StoreResult<Self> {
        let roles: Vec<&str> = actor.roles.iter().map(|r| r.as_str()).collect();
        let (one_role, roles) = match roles.as_slice() {
            [one] => (true, (*one).to_owned()),
            _ => (false, serde_json::to_string(&roles).map_err(StoreError::backend)?),
        };
        let limit = i64::from(page.limit.clamp(1, 500));
        Ok(Self {
            one_role,
            roles,
            user: actor.user.to_string(),
            unit: actor.unit.map(|u| u.to_string()),
            after_ms: page.after.as_ref().map(|c| c.ms),
            after_code: page.after.as_ref().map(|c| c.code.as_str().to_owned()),
            limit,
            fetch: limit + 1,
        })
    }
    /// The statement for one role or for several.
    fn sql(&self, one: &'static str, several: &'static str) -> &'static str {
        if self.one_role { one } else { several }
    }
    fn params(&self) -> [&dyn ToSql; 6] {
        [&self.roles, &self.user, &self.unit, &self.after_ms, &self.after_code, &self.fetch]
    }
}

/// The values a request list's statement binds.
struct ListQuery {
    user: String,
    reviews: bool,
    solicitante: bool,
    own_unit: Option<String>,
    state: Option<&'static str>,
    unit: Option<String>,
    kind: Option<&'static str>,
    code: Option<String>,
    from: Option<i64>,
    before: Option<i64>,
    after_ms: Option<i64>,
    after_code: Option<String>,
    limit: i64,
    fetch: i64,
}

impl ListQuery {
    fn new(f: &RequestFilter, page: &Page) -> Self {
        let v = &f.viewer;
        let limit = i64::from(page.limit.clamp(1, 500));
        Self {
            user: v.user.to_string(),
            reviews: v.reviews(),
            solicitante: v.roles.has(Role::Solicitante),
            own_unit: v.unit.map(|u| u.to_string()),
            state: f.state.map(|s| s.as_str()),
            unit: f.unit.map(|u| u.to_string()),
            kind: f.kind.map(|k| k.as_str()),
            code: f.code.as_deref().map(str::to_uppercase),
            from: f.created_from.map(ms),
            before: f.created_before.map(ms),
            after_ms: page.after.as_ref().map(|c| c.ms),
            after_code: page.after.as_ref().map(|c| c.code.as_str().to_owned()),
            limit,
            fetch: limit + 1,
        }
    }
    fn params(&self) -> [&dyn ToSql; 13] {
        [
            &self.user,
            &self.reviews,
            &self.solicitante,
            &self.own_unit,
            &self.state,
            &self.unit,
            &self.after_ms,
            &self.after_code,
            &self.fetch,
            &self.kind,
            &self.code,
            &self.from,
            &self.before,
        ]
    }
}

/// A request's facts, from its row.
fn facts_of<R: Cols + ?Sized>(row: &R) -> StoreResult<Facts> {
    Ok(Facts {
        state: id(row, "state", State::parse)?,
        kind: id(row, "tipo", RequestKind::parse)?,
        unit: id(row, "unit_id", UnitId::parse)?,
        created_by: id(row, "created_by", UserId::parse)?,
        assignee: opt_id(row, "assignee", UserId::parse)?,
        return_state: opt_id(row, "return_state", State::parse)?,
        note_author: opt_id(row, "note_author", UserId::parse)?,
        adas_approver: opt_id(row, "adas_approver", UserId::parse)?,
        upat_approver: opt_id(row, "upat_approver", UserId::parse)?,
        has_document: row.opt_str("doc_sha256")?.is_some(),
    })
}

/// A request line from a row with [`line_cols`]' columns.
fn line_from<R: Cols + ?Sized>(row: &R) -> StoreResult<RequestLine> {
    Ok(RequestLine {
        id: id(row, "id", RequestId::parse)?,
        code: id(row, "tracking_code", TrackingCode::parse)?,
        facts: facts_of(row)?,
        waiting: waiting_of(row)?,
        state_since: from_ms(row.int("state_since")?),
        created_at: from_ms(row.int("created_at")?),
        updated_at: from_ms(row.int("updated_at")?),
    })
}

fn request_from<R: Cols + ?Sized>(row: &R) -> StoreResult<RequestRec> {
    let rid = id(row, "id", RequestId::parse)?;
    let doc_sha = row.opt_string("doc_sha256")?;
    let document = match doc_sha {
        Some(sha) => Some(DocumentRef {
            kind: id(row, "doc_kind", DocumentKind::parse)?,
            sha256: sha,
            filename: row.opt_string("doc_filename")?.unwrap_or_default(),
            size: row.opt_int("doc_size")?.unwrap_or(0),
        }),
        None => None,
    };
    let note = note_of(row)?;
    let facts = facts_of(row)?;
    let kind = facts.kind;
    Ok(RequestRec {
        id: rid,
        code: id(row, "tracking_code", TrackingCode::parse)?,
        facts,
        content: RequestContent {
            kind,
            system: opt_id(row, "system_id", SystemId::parse)?,
            proposed_system: match (opt_text(row, "proposed_system_name")?, opt_text(row, "proposed_system_purpose")?) {
                (Some(n), Some(p)) => Some(ProposedSystem {
                    name: Name::parse(n.as_str()).map_err(|_| corrupt("proposed_system_name"))?,
                    purpose: p,
                }),
                _ => None,
            },
            publisher: opt_id(row, "publisher_id", EntityId::parse)?,
            justification: id(row, "justificacion", Text::parse)?,
            services: Vec::new(),
            publications: Vec::new(),
        },
        document,
        note,
        waiting: waiting_of(row)?,
        state_since: from_ms(row.int("state_since")?),
        created_at: from_ms(row.int("created_at")?),
        updated_at: from_ms(row.int("updated_at")?),
        version: row.int("version")?,
    })
}

/// Stores who the request waits for (computed by the domain) in the caller's transaction.
async fn write_waiting(tx: &mut Transaction<'static, Sqlite>, request: RequestId, w: &Waiting) -> StoreResult<()> {
    let excluded: Vec<String> = w.excluded.iter().map(|u| u.to_string()).collect();
    sqlx::query("UPDATE requests SET wait_role = ?, wait_user = ?, wait_unit = ?, wait_excluded = ? WHERE id = ?")
        .bind(w.role.map(|r| r.as_str()))
        .bind(w.user.map(|u| u.to_string()))
        .bind(w.unit.map(|u| u.to_string()))
        .bind(to_json_strings(&excluded))
        .bind(request.to_string())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Who a request row waits for.
fn waiting_of<R: Cols + ?Sized>(row: &R) -> StoreResult<Waiting> {
    Ok(Waiting {
        role: opt_id(row, "wait_role", Role::parse)?,
        user: opt_id(row, "wait_user", UserId::parse)?,
        unit: opt_id(row, "wait_unit", UnitId::parse)?,
        excluded: json_strings(row.str("wait_excluded")?)?
            .iter()
            .map(|u| UserId::parse(u).map_err(|_| corrupt("wait_excluded")))
            .collect::<StoreResult<Vec<_>>>()?,
    })
}

/// The Nota Interna stored in a request row, if written.
fn note_of<R: Cols + ?Sized>(row: &R) -> StoreResult<Option<NoteRec>> {
    let note_number = row.opt_string("note_number")?;
    Ok(match (note_number, opt_text(row, "note_body")?) {
        (Some(n), Some(body)) => Some(NoteRec {
            number: NoteNumber::from_stored(n),
            body,
            recommendations: opt_text(row, "note_recommendations")?,
            revision: row.int("note_revision")?,
            verification: row.opt_string("verify_code")?.unwrap_or_default(),
        }),
        _ => None,
    })
}

pub(crate) fn json_strings(s: &str) -> StoreResult<Vec<String>> {
    let v: Vec<String> = serde_json::from_str(s).map_err(|_| corrupt("json"))?;
    Ok(v)
}

fn user_json(u: &UserRec) -> serde_json::Value {
    json!({
        "id": u.id.to_string(),
        "login": u.login.as_str(),
        "nombre": u.nombre.as_str(),
        "unidad": u.unit.map(|x| x.to_string()),
        "roles": u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "activo": u.active,
    })
}

fn content_json(c: &RequestContent) -> serde_json::Value {
    json!({
        "tipo": c.kind.as_str(),
        "sistema": c.system.map(|x| x.to_string()),
        "sistema_propuesto": c.proposed_system.as_ref().map(|p| json!({"nombre": p.name.as_str(), "proposito": p.purpose.as_str()})),
        "publicadora": c.publisher.map(|x| x.to_string()),
        "justificacion": c.justification.as_str(),
        "servicios": c.services.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        "publicaciones": c.publications.iter().map(|p| json!({"codigo": p.code.as_str(), "version": p.version.get()})).collect::<Vec<_>>(),
    })
}

pub(crate) fn to_json_strings(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

#[async_trait]
impl RequestStore for SqliteStore {
    async fn create_request(&self, r: NewRequest, now: OffsetDateTime, by: &AuditBy) -> StoreResult<RequestRec> {
        let mut tx = self.begin().await?;
        let year = now.to_offset(iop_domain::calendar::LA_PAZ).year();
        let seq = Self::next_counter(&mut tx, &format!("solicitud-{year}")).await?;
        let code = TrackingCode::new(year, seq);
        let c = &r.content;
        sqlx::query("INSERT INTO requests (id, tracking_code, tipo, unit_id, created_by, system_id, publisher_id, justificacion, state, state_since, created_at, updated_at, proposed_system_name, proposed_system_purpose) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'borrador', ?, ?, ?, ?, ?)")
            .bind(r.id.to_string())
            .bind(code.as_str())
            .bind(c.kind.as_str())
            .bind(r.unit.to_string())
            .bind(r.created_by.to_string())
            .bind(c.system.map(|s| s.to_string()))
            .bind(c.publisher.map(|s| s.to_string()))
            .bind(c.justification.as_str())
            .bind(ms(now))
            .bind(ms(now))
            .bind(ms(now))
            .bind(c.proposed_system.as_ref().map(|p| p.name.as_str().to_owned()))
            .bind(c.proposed_system.as_ref().map(|p| p.purpose.as_str().to_owned()))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Self::write_content(&mut tx, r.id, c).await?;
        write_waiting(&mut tx, r.id, &Facts::draft(c.kind, r.unit, r.created_by).waiting()).await?;
        let detail = json!({"id": r.id.to_string(), "unidad": r.unit.to_string(), "contenido": content_json(c)});
        self.audit(&mut tx, by, Change::procedure("solicitud.crear", code.as_str(), detail), now)
            .await?;
        tx.commit().await.map_err(backend)?;
        self.must_get(r.id).await
    }

    async fn get_request(&self, id: RequestId) -> StoreResult<Option<RequestRec>> {
        let found = self
            .read(move |c| read::requests(c, "SELECT * FROM requests WHERE id = ?1", &[&id.to_string()]))
            .await?;
        Ok(found.into_iter().next())
    }

    async fn request_by_code(&self, code: &TrackingCode) -> StoreResult<Option<RequestRec>> {
        let code = code.as_str().to_owned();
        let found = self
            .read(move |c| read::requests(c, "SELECT * FROM requests WHERE tracking_code = ?1", &[&code]))
            .await?;
        Ok(found.into_iter().next())
    }

    async fn waiting_for(&self, actor: &Actor, page: &Page) -> StoreResult<PageOf<RequestRec>> {
        let q = WaitingQuery::new(actor, page)?;
        self.read(move |c| {
            let sql = q.sql(waiting_sql!("*", "wait_role = ?1"), waiting_sql!("*", wait_roles!()));
            let found = read::requests(c, sql, &q.params())?;
            Ok(read::page(found, q.limit, |r| (r.state_since, &r.code)))
        })
        .await
    }

    async fn bandeja(&self, actor: &Actor, page: &Page, overview: Option<&OverviewQuery>) -> StoreResult<BandejaRead> {
        let q = WaitingQuery::new(actor, page)?;
        let overview = overview.map(|o| {
            let cutoffs: Vec<(State, i64)> = o.cutoffs.iter().map(|(s, t)| (*s, ms(*t))).collect();
            (cutoffs, o.people)
        });
        self.read(move |c| {
            let sql = q.sql(
                waiting_sql!(line_cols!(), "wait_role = ?1"),
                waiting_sql!(line_cols!(), wait_roles!()),
            );
            let found = read::rows(c, sql, &q.params(), |r| line_from(r))?;
            let overview = match overview {
                Some((cutoffs, people)) => Some((overview_counts(c, &cutoffs)?, active_users_with_role(c, people)?)),
                None => None,
            };
            Ok(BandejaRead {
                lines: read::page(found, q.limit, |r| (r.state_since, &r.code)),
                overview,
            })
        })
        .await
    }

    async fn list_requests(&self, f: &RequestFilter, page: &Page) -> StoreResult<PageOf<RequestRec>> {
        let q = ListQuery::new(f, page);
        self.read(move |c| {
            let found = read::requests(c, listing_sql!("*"), &q.params())?;
            Ok(read::page(found, q.limit, |r| (r.created_at, &r.code)))
        })
        .await
    }

    async fn list_lines(&self, f: &RequestFilter, page: &Page) -> StoreResult<PageOf<RequestLine>> {
        let q = ListQuery::new(f, page);
        self.read(move |c| {
            let found = read::rows(c, listing_sql!(line_cols!()), &q.params(), |r| line_from(r))?;
            Ok(read::page(found, q.limit, |r| (r.created_at, &r.code)))
        })
        .await
    }

    async fn register_request_system(&self, id: RequestId, expected_version: i64, s: &SystemRec, by: &AuditBy) -> StoreResult<RequestRec> {
        let mut tx = self.begin().await?;
        Self::bump(&mut tx, id, expected_version, s.created_at).await?;
        let detail = self.insert_system(&mut tx, s, by).await?;
        sqlx::query("UPDATE requests SET system_id = ? WHERE id = ? AND system_id IS NULL")
            .bind(s.id.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let code = Self::code_of(&mut tx, id).await?;
        self.audit(
            &mut tx,
            by,
            Change::procedure("solicitud.sistema", &code, json!({"sistema": detail})),
            s.created_at,
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        self.must_get(id).await
    }

    async fn update_request_content(
        &self,
        id: RequestId,
        expected_version: i64,
        c: RequestContent,
        now: OffsetDateTime,
        by: &AuditBy,
    ) -> StoreResult<RequestRec> {
        let mut tx = self.begin().await?;
        Self::bump(&mut tx, id, expected_version, now).await?;
        sqlx::query("UPDATE requests SET tipo = ?, system_id = ?, publisher_id = ?, justificacion = ?, proposed_system_name = ?, proposed_system_purpose = ? WHERE id = ?")
            .bind(c.kind.as_str())
            .bind(c.system.map(|s| s.to_string()))
            .bind(c.publisher.map(|s| s.to_string()))
            .bind(c.justification.as_str())
            .bind(c.proposed_system.as_ref().map(|p| p.name.as_str().to_owned()))
            .bind(c.proposed_system.as_ref().map(|p| p.purpose.as_str().to_owned()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Self::write_content(&mut tx, id, &c).await?;
        let code = Self::code_of(&mut tx, id).await?;
        self.audit(
            &mut tx,
            by,
            Change::procedure("solicitud.modificar", &code, json!({"contenido": content_json(&c)})),
            now,
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        self.must_get(id).await
    }

    async fn attach_document(
        &self,
        id: RequestId,
        expected_version: i64,
        d: DocumentRef,
        now: OffsetDateTime,
        by: &AuditBy,
    ) -> StoreResult<RequestRec> {
        let mut tx = self.begin().await?;
        Self::bump(&mut tx, id, expected_version, now).await?;
        sqlx::query("INSERT INTO documents (sha256, size, created_at) VALUES (?, ?, ?) ON CONFLICT(sha256) DO NOTHING")
            .bind(&d.sha256)
            .bind(d.size)
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("UPDATE requests SET doc_kind = ?, doc_sha256 = ?, doc_filename = ?, doc_size = ? WHERE id = ?")
            .bind(d.kind.as_str())
            .bind(&d.sha256)
            .bind(&d.filename)
            .bind(d.size)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let code = Self::code_of(&mut tx, id).await?;
        let detail = json!({"tipo": d.kind.as_str(), "sha256": d.sha256, "nombre": d.filename, "bytes": d.size});
        self.audit(&mut tx, by, Change::procedure("solicitud.documento", &code, detail), now)
            .await?;
        tx.commit().await.map_err(backend)?;
        self.must_get(id).await
    }

    async fn apply_transition(&self, c: TransitionCommit, now: OffsetDateTime, by: &AuditBy) -> StoreResult<RequestRec> {
        let t = &c.transition;
        let n = &t.next;
        let mut tx = self.begin().await?;
        Self::bump(&mut tx, c.request, c.expected_version, now).await?;
        let rid = c.request.to_string();
        let state_changed = t.from != t.to;
        let mut published = Vec::new();
        sqlx::query(
            "UPDATE requests SET state = ?, assignee = ?, return_state = ?, note_author = ?, adas_approver = ?, upat_approver = ?, state_since = CASE WHEN ? THEN ? ELSE state_since END WHERE id = ?",
        )
        .bind(n.state.as_str())
        .bind(n.assignee.map(|u| u.to_string()))
        .bind(n.return_state.map(|s| s.as_str()))
        .bind(n.note_author.map(|u| u.to_string()))
        .bind(n.adas_approver.map(|u| u.to_string()))
        .bind(n.upat_approver.map(|u| u.to_string()))
        .bind(state_changed || t.action == ActionKind::Reasignar)
        .bind(ms(now))
        .bind(&rid)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;

        write_waiting(&mut tx, c.request, &t.waiting).await?;
        if let Some(e) = &c.effects.enablement {
            let row = sqlx::query("SELECT publisher_id FROM requests WHERE id = ?")
                .bind(&rid)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            let publisher = opt_id(&row, "publisher_id", EntityId::parse)?;
            let pubs = sqlx::query("SELECT * FROM request_publications WHERE request_id = ?")
                .bind(&rid)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
            let pubs = pubs
                .iter()
                .map(|p| {
                    Ok(PublicationSpec {
                        code: id(p, "codigo", Code::parse)?,
                        version: ServiceVersion::new(get(p, "version")?).map_err(|_| corrupt("version"))?,
                        name: id(p, "nombre", Name::parse)?,
                        description: opt_text(p, "descripcion")?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            Self::apply_enablement(&mut tx, c.request, publisher, &pubs, e, now).await?;
            published = Self::commit_stages(&mut tx, c.request, &e.publish, now).await?;
        }

        if let Some(note) = &c.effects.note {
            documents::submit_note(&mut tx, c.request, c.actor, note, now).await?;
        }

        for cred in &c.effects.credentials {
            gw::insert_credential(&mut tx, cred).await?;
        }
        if let Some(d) = &c.effects.delivery {
            delivery::insert_delivery(&mut tx, d).await?;
        }

        let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM history WHERE request_id = ?")
            .bind(&rid)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("INSERT INTO history (request_id, seq, at, actor_id, role, action, from_state, to_state, to_holder, comment, detail, acting_for) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&rid)
            .bind(seq)
            .bind(ms(now))
            .bind(c.actor.to_string())
            .bind(t.role.as_str())
            .bind(t.action.as_str())
            .bind(t.from.as_str())
            .bind(t.to.as_str())
            .bind(holder_label(&t.to_holder))
            .bind(c.comment.as_ref().map(|x| x.as_str()))
            .bind(c.detail.as_deref())
            .bind(c.acting_for.map(|u| u.to_string()))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // Its notices go with it: queued in the same transaction, delivered afterwards.
        for n in &c.notices {
            notices::insert(&mut tx, n).await?;
        }
        let row = sqlx::query("SELECT * FROM requests WHERE id = ?")
            .bind(&rid)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let tracking = id(&row, "tracking_code", TrackingCode::parse)?;
        let code = tracking.as_str().to_owned();
        let doc: Option<String> = get(&row, "doc_sha256")?;
        let after = note_of(&row)?;
        let note = after.as_ref().map(|n| n.number.as_str().to_owned());
        // The text the note has after this transition (steps 6–8 bind it; step 5 wrote it).
        let note_sha = after.as_ref().map(|n| n.sha256(&tracking));
        let grants: Vec<(String, String, String)> = if c.effects.enablement.is_some() {
            sqlx::query_as("SELECT id, system_id, service_id FROM grants WHERE request_id = ? ORDER BY id")
                .bind(&rid)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?
        } else {
            Vec::new()
        };
        let detail = json!({
            "accion": t.action.as_str(),
            "rol": t.role.as_str(),
            "de": t.from.as_str(),
            "a": t.to.as_str(),
            "titular": holder_label(&t.to_holder),
            "en_suplencia_de": c.acting_for.map(|u| u.to_string()),
            "comentario": c.comment.as_ref().map(|x| x.as_str()),
            "documento_sha256": doc,
            "nota_interna": note,
            "nota_sha256": note_sha,
            "nota_revision": after.as_ref().map(|n| n.revision),
            "publicaciones": published,
            "habilitaciones": grants.iter().map(|(g, sys, svc)| json!({"id": g, "sistema": sys, "servicio": svc})).collect::<Vec<_>>(),
            "credenciales": c.effects.credentials.iter().map(|k| json!({"id": k.id.to_string(), "tipo": k.kind.as_str(), "prefijo": k.hint, "sistema": k.system.to_string()})).collect::<Vec<_>>(),
            "entrega": c.effects.delivery.as_ref().map(|d| json!({"id": d.id.to_string(), "unidad": d.unit.to_string(), "vence": ms(d.expires_at)})),
        });
        self.audit(&mut tx, by, Change::procedure("solicitud.transicion", &code, detail), now)
            .await?;
        tx.commit().await.map_err(backend)?;
        self.must_get(c.request).await
    }

    async fn history(&self, id: RequestId) -> StoreResult<Vec<HistoryRec>> {
        let rows = sqlx::query(
            "SELECT h.*, u.login AS actor_login, u.nombre AS actor_name, s.nombre AS acting_for_name FROM history h JOIN users u ON u.id = h.actor_id LEFT JOIN users s ON s.id = h.acting_for WHERE h.request_id = ? ORDER BY h.seq",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(history_row).collect()
    }

    async fn report_rows(&self) -> StoreResult<Vec<ReportRow>> {
        let requests = sqlx::query("SELECT id, tracking_code, tipo, state, created_at FROM requests WHERE state != 'borrador' ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let history = sqlx::query(
            "SELECT h.*, u.login AS actor_login, u.nombre AS actor_name, s.nombre AS acting_for_name FROM history h JOIN users u ON u.id = h.actor_id \
             LEFT JOIN users s ON s.id = h.acting_for JOIN requests r ON r.id = h.request_id WHERE r.state != 'borrador' ORDER BY h.request_id, h.seq",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut by_request: std::collections::HashMap<String, Vec<HistoryRec>> = std::collections::HashMap::new();
        for r in &history {
            by_request.entry(get(r, "request_id")?).or_default().push(history_row(r)?);
        }
        requests
            .iter()
            .map(|r| {
                let rid: String = get(r, "id")?;
                Ok(ReportRow {
                    id: RequestId::parse(&rid).map_err(|_| corrupt("id"))?,
                    code: self::id(r, "tracking_code", TrackingCode::parse)?,
                    kind: self::id(r, "tipo", RequestKind::parse)?,
                    state: self::id(r, "state", State::parse)?,
                    created_at: from_ms(get(r, "created_at")?),
                    history: by_request.remove(&rid).unwrap_or_default(),
                })
            })
            .collect()
    }
}

fn suplencia_row(r: &SqliteRow) -> StoreResult<SuplenciaRec> {
    Ok(SuplenciaRec {
        id: get(r, "id")?,
        user: id(r, "user_id", UserId::parse)?,
        user_name: get(r, "user_name")?,
        role: id(r, "role", Role::parse)?,
        replaces: id(r, "replaces_id", UserId::parse)?,
        replaces_name: get(r, "replaces_name")?,
        from: from_ms(get(r, "desde")?),
        until: from_ms(get(r, "hasta")?),
        memorandum: id(r, "memorandum", Name::parse)?,
        created_by: id(r, "created_by", UserId::parse)?,
        created_at: from_ms(get(r, "created_at")?),
    })
}

/// One hand-over, with its actor's login and name joined.
fn history_row(r: &SqliteRow) -> StoreResult<HistoryRec> {
    Ok(HistoryRec {
        seq: get(r, "seq")?,
        at: from_ms(get(r, "at")?),
        actor: id(r, "actor_id", UserId::parse)?,
        actor_login: get(r, "actor_login")?,
        actor_name: get(r, "actor_name")?,
        role: id(r, "role", Role::parse)?,
        action: id(r, "action", ActionKind::parse)?,
        from: id(r, "from_state", State::parse)?,
        to: id(r, "to_state", State::parse)?,
        to_holder: get(r, "to_holder")?,
        comment: get(r, "comment")?,
        detail: get(r, "detail")?,
        acting_for: opt_id(r, "acting_for", UserId::parse)?,
        acting_for_name: get(r, "acting_for_name")?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn ready(&self) -> StoreResult<()> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        if v == Some(SCHEMA_VERSION) {
            Ok(())
        } else {
            Err(StoreError::backend_msg(format!("schema version {v:?}, expected {SCHEMA_VERSION}")))
        }
    }
}

#[cfg(test)]
mod migration_tests {
    use super::*;
    use sqlx::Connection;

    /// Every file in `migrations/sqlite` is applied, in the order of its number (a file added
    /// without its line here would leave its tables out of every store).
    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS.iter().map(|(v, name, _)| format!("{v:04}_{name}.sql")).collect();
        assert_eq!(listed, files);
    }

    /// Migration 6 backfills who each existing request waits for in SQL; it must say what
    /// `Facts::waiting` says, for every state and with or without a note author and approver.
    #[tokio::test]
    async fn the_waiting_backfill_is_what_the_domain_computes() {
        let mut c = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (before, after): (Vec<&(i64, &str, &str)>, Vec<_>) = MIGRATIONS.iter().partition(|m| m.0 < 6);
        for m in &before {
            sqlx::raw_sql(m.2).execute(&mut c).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let unit = UnitId::generate();
        let people: Vec<UserId> = (0..4).map(|_| UserId::generate()).collect();
        let [creator, leader, author, approver] = [people[0], people[1], people[2], people[3]];
        sqlx::query("INSERT INTO units (id, sigla, nombre, created_at) VALUES (?, 'UGE', 'Unidad', 0)")
            .bind(unit.to_string())
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for (i, u) in people.iter().enumerate() {
            sqlx::query("INSERT INTO users (id, login, nombre, roles, password_hash, created_at, updated_at) VALUES (?, ?, 'P', 'solicitante', 'x', 0, 0)")
                .bind(u.to_string())
                .bind(format!("u{i}"))
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut expected = Vec::new();
        let mut n = 0;
        for state in State::ALL.iter().copied() {
            for (assignee, note_author, adas) in [
                (None, None, None),
                (Some(leader), None, None),
                (Some(leader), Some(author), None),
                (Some(leader), Some(author), Some(approver)),
                (Some(author), Some(author), Some(author)),
            ] {
                n += 1;
                let id = RequestId::generate();
                let facts = Facts {
                    state,
                    kind: RequestKind::Consumo,
                    unit,
                    created_by: creator,
                    assignee,
                    return_state: None,
                    note_author,
                    adas_approver: adas,
                    upat_approver: None,
                    has_document: true,
                };
                sqlx::query("INSERT INTO requests (id, tracking_code, tipo, unit_id, created_by, justificacion, state, assignee, note_author, adas_approver, state_since, created_at, updated_at) VALUES (?, ?, 'consumo', ?, ?, 'x', ?, ?, ?, ?, 0, 0, 0)")
                    .bind(id.to_string())
                    .bind(TrackingCode::new(2026, n).as_str().to_owned())
                    .bind(unit.to_string())
                    .bind(creator.to_string())
                    .bind(state.as_str())
                    .bind(assignee.map(|u| u.to_string()))
                    .bind(note_author.map(|u| u.to_string()))
                    .bind(adas.map(|u| u.to_string()))
                    .execute(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                expected.push((id, facts.waiting()));
            }
        }
        for m in &after {
            sqlx::raw_sql(m.2).execute(&mut c).await.unwrap_or_else(|e| panic!("{e}"));
        }
        for (id, want) in expected {
            let row = sqlx::query("SELECT * FROM requests WHERE id = ?")
                .bind(id.to_string())
                .fetch_one(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let mut got = waiting_of(&row).unwrap_or_else(|e| panic!("{e}"));
            got.excluded.sort_by_key(|u| u.to_string());
            let mut want = want;
            want.excluded.sort_by_key(|u| u.to_string());
            assert_eq!(got, want, "{}", get::<String>(&row, "state").unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod list_tests {
    use super::*;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tracing::Instrument;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::registry::LookupSpan;

    /// How many statements the pages' read path ran inside a span named `recuento` (one test
    /// uses that span, so tests running beside it do not add to the count).
    static STATEMENTS: OnceLock<AtomicUsize> = OnceLock::new();

    struct Record;

    impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Record {
        fn on_event(&self, e: &tracing::Event<'_>, cx: tracing_subscriber::layer::Context<'_, S>) {
            let counted = e.metadata().target() == "iop_store::sql"
                && cx
                    .event_scope(e)
                    .is_some_and(|mut scope| scope.any(|span| span.name() == "recuento"));
            if counted && let Some(n) = STATEMENTS.get() {
                n.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    fn counted() -> usize {
        STATEMENTS
            .get_or_init(|| {
                let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Record));
                tracing::callsite::rebuild_interest_cache();
                AtomicUsize::new(0)
            })
            .load(Ordering::SeqCst)
    }

    /// A store in a fresh directory (removed with the returned guard) with one Solicitante and
    /// `n` drafts of theirs.
    async fn store_with(n: u32) -> (SqliteStore, Actor, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = SqliteStore::open(dir.path()).await.unwrap_or_else(|e| panic!("{e}"));
        let now = OffsetDateTime::now_utc();
        let by = AuditBy::system("prueba");
        let unit = UnitRec {
            id: UnitId::generate(),
            sigla: Sigla::parse("UGE").unwrap_or_else(|e| panic!("{e}")),
            nombre: Name::parse("Unidad").unwrap_or_else(|e| panic!("{e}")),
            agency: false,
            head: None,
            created_at: now,
        };
        store.create_unit(&unit, &by).await.unwrap_or_else(|e| panic!("{e}"));
        let user = UserRec {
            id: UserId::generate(),
            login: Login::parse("sol").unwrap_or_else(|e| panic!("{e}")),
            nombre: Name::parse("Sol").unwrap_or_else(|e| panic!("{e}")),
            unit: Some(unit.id),
            roles: RoleSet::of(&[Role::Solicitante]),
            active: true,
            password_hash: "x".into(),
            created_at: now,
            acting: Vec::new(),
        };
        store.create_user(&user, &by).await.unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..n {
            let content = RequestContent {
                kind: RequestKind::Publicacion,
                system: None,
                proposed_system: None,
                publisher: None,
                justification: Text::parse("x").unwrap_or_else(|e| panic!("{e}")),
                services: vec![],
                publications: vec![],
            };
            let r = NewRequest {
                id: RequestId::generate(),
                unit: unit.id,
                created_by: user.id,
                content,
            };
            store.create_request(r, now, &by).await.unwrap_or_else(|e| panic!("{e}"));
        }
        (store, user.actor(), dir)
    }

    fn must<T>(r: StoreResult<T>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    fn everything(viewer: Actor) -> RequestFilter {
        RequestFilter {
            state: None,
            unit: None,
            kind: None,
            code: None,
            created_from: None,
            created_before: None,
            viewer,
        }
    }

    /// Statements of the first page of the inbox and of the request list (as the API reads them),
    /// and of the bandeja with its overview and of the list as lines (as the web pages do).
    async fn statements(n: u32) -> [usize; 4] {
        let (store, actor, _dir) = store_with(n).await;
        let start = counted(); // before the span: it installs the counting subscriber
        let span = tracing::info_span!("recuento");
        let page = Page { limit: 50, after: None };
        let mut marks = vec![start];
        let waiting = must(store.waiting_for(&actor, &page).instrument(span.clone()).await);
        marks.push(counted());
        let listed = must(store.list_requests(&everything(actor), &page).instrument(span.clone()).await);
        marks.push(counted());
        let overview = OverviewQuery {
            cutoffs: vec![(State::Borrador, OffsetDateTime::now_utc())],
            people: Role::LiderAdas,
        };
        let bandeja = must(store.bandeja(&actor, &page, Some(&overview)).instrument(span.clone()).await);
        marks.push(counted());
        let listed_lines = must(store.list_lines(&everything(actor), &page).instrument(span).await);
        marks.push(counted());
        let (counts, _) = bandeja.overview.unwrap_or_else(|| panic!("asked for"));
        assert_eq!(counts.by_state, vec![(State::Borrador, i64::from(n))]);
        let shown = (n.min(50)) as usize;
        for found in [
            waiting.items.len(),
            listed.items.len(),
            bandeja.lines.items.len(),
            listed_lines.items.len(),
        ] {
            assert_eq!(found, shown);
        }
        [marks[1] - marks[0], marks[2] - marks[1], marks[3] - marks[2], marks[4] - marks[3]]
    }

    /// Stores opened at once on one fresh directory (a pool's first connections, or two commands
    /// starting together) all open: switching the new file to WAL once found it locked.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stores_opened_at_once_on_a_fresh_directory_all_open() {
        for _ in 0..25 {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let mut opening = tokio::task::JoinSet::new();
            for _ in 0..8 {
                let path = dir.path().to_owned();
                opening.spawn(async move { SqliteStore::open(&path).await.map(|_| ()) });
            }
            while let Some(opened) = opening.join_next().await {
                must(opened.unwrap_or_else(|e| panic!("{e}")));
            }
        }
    }

    #[tokio::test]
    async fn active_users_with_a_role_are_read_by_the_role_alone() {
        let (store, _, _dir) = store_with(0).await;
        let by = AuditBy::system("prueba");
        for (login, name, roles, active) in [
            ("lider", "Beatriz", &[Role::LiderAdas][..], true),
            ("respylider", "Ana", &[Role::ResponsableAdas, Role::LiderAdas][..], true),
            ("baja", "Carla", &[Role::LiderAdas][..], false),
            ("resp", "Diego", &[Role::ResponsableAdas][..], true),
        ] {
            let u = UserRec {
                id: UserId::generate(),
                login: Login::parse(login).unwrap_or_else(|e| panic!("{e}")),
                nombre: Name::parse(name).unwrap_or_else(|e| panic!("{e}")),
                unit: None,
                roles: RoleSet::of(roles),
                active,
                password_hash: "x".into(),
                created_at: OffsetDateTime::now_utc(),
                acting: Vec::new(),
            };
            store.create_user(&u, &by).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let names = |us: Vec<UserRec>| us.into_iter().map(|u| u.login.as_str().to_owned()).collect::<Vec<_>>();
        let leaders = store
            .active_users_with_role(Role::LiderAdas)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(names(leaders), ["respylider", "lider"], "active ones, by name");
        let resp = store
            .active_users_with_role(Role::ResponsableAdas)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(names(resp), ["respylider", "resp"]);
        let jefes = store.active_users_with_role(Role::JefeUpat).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(jefes.is_empty());
    }

    #[tokio::test]
    async fn the_counts_per_state_kept_by_triggers_agree_with_the_requests() {
        let (store, _, _dir) = store_with(30).await;
        for (i, state) in ["presentada", "presentada", "observada", "recibida"].iter().enumerate() {
            sqlx::query("UPDATE requests SET state = ? WHERE rowid = ?")
                .bind(state)
                .bind(i as i64 + 1)
                .execute(&store.pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let counts = must(store.read(|c| overview_counts(c, &[])).await);
        let mut by_state = counts.by_state;
        by_state.sort_by_key(|(s, _)| s.as_str());
        let direct: Vec<(String, i64)> = sqlx::query_as("SELECT state, COUNT(*) FROM requests GROUP BY state ORDER BY state")
            .fetch_all(&store.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            by_state.iter().map(|(s, n)| (s.as_str().to_owned(), *n)).collect::<Vec<_>>(),
            direct
        );
        assert_eq!(direct.iter().map(|(_, n)| n).sum::<i64>(), 30);
        assert!(counts.overdue.is_empty() && counts.open_by_assignee.is_empty());
    }

    /// Overdue requests, counted state by state, agree with a plain count over every request: in a
    /// state with a cutoff, entered at or before it, waiting for someone; by role and user.
    #[tokio::test]
    async fn overdue_counts_agree_with_a_count_of_every_request() {
        let (store, _, _dir) = store_with(40).await;
        let (ana, beto) = (UserId::generate().to_string(), UserId::generate().to_string());
        let states = ["presentada", "derivada_adas", "asignada_lider", "observada", "recibida"];
        for i in 0..40i64 {
            let state = states[(i % 5) as usize];
            let (role, user): (Option<&str>, Option<&String>) = match i % 4 {
                0 => (Some("jefe_upat"), None),
                1 => (Some("lider_adas"), Some(&ana)),
                2 => (Some("lider_adas"), Some(&beto)),
                _ => (if state == "recibida" { None } else { Some("responsable_adas") }, None),
            };
            sqlx::query("UPDATE requests SET state = ?, wait_role = ?, wait_user = ?, state_since = ? WHERE rowid = ?")
                .bind(state)
                .bind(role)
                .bind(user)
                .bind(1_000 * i)
                .bind(i + 1)
                .execute(&store.pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let cutoffs = [
            (State::Presentada, 20_000),
            (State::DerivadaAdas, 40_000),
            (State::AsignadaLider, 0),
            (State::Observada, 35_000),
        ];
        let mut counted: Vec<(String, Option<String>, i64)> = Vec::new();
        for (role, user, n) in must(store.read(move |c| overview_counts(c, &cutoffs)).await).overdue {
            let key = (role.as_str().to_owned(), user.map(|u| u.to_string()));
            match counted.iter_mut().find(|(r, u, _)| (r, u) == (&key.0, &key.1)) {
                Some(row) => row.2 += n,
                None => counted.push((key.0, key.1, n)),
            }
        }
        counted.sort();
        let mut direct: Vec<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT wait_role, wait_user, COUNT(*) FROM requests WHERE wait_role IS NOT NULL AND ( \
               (state = 'presentada' AND state_since <= 20000) OR (state = 'derivada_adas' AND state_since <= 40000) \
               OR (state = 'asignada_lider' AND state_since <= 0) OR (state = 'observada' AND state_since <= 35000)) \
             GROUP BY wait_role, wait_user",
        )
        .fetch_all(&store.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        direct.sort();
        assert!(direct.len() >= 3, "several holders: {direct:?}");
        assert_eq!(counted, direct);
    }

    #[tokio::test]
    async fn the_bandeja_and_the_request_list_cost_the_same_for_1_and_1000_requests() {
        let one = statements(1).await;
        let thousand = statements(1000).await;
        assert!(one.iter().all(|n| *n > 0), "statements are counted: {one:?}");
        assert_eq!(thousand, one);
        assert_eq!(one[2..], [3, 1], "the bandeja: lines, counts, people; the list: lines");
    }

    #[tokio::test]
    async fn lines_are_the_records_pages_shortened() {
        let (store, one_role, _dir) = store_with(7).await;
        let several = Actor {
            roles: RoleSet::of(&[Role::Solicitante, Role::LiderAdas]),
            ..one_role
        };
        for actor in [one_role, several] {
            let mut after = None;
            for _ in 0..3 {
                let page = Page { limit: 3, after };
                let full = must(store.waiting_for(&actor, &page).await);
                let lines = must(store.bandeja(&actor, &page, None).await).lines;
                assert_eq!(lines.items, full.items.iter().map(RequestLine::from).collect::<Vec<_>>());
                assert_eq!(lines.next, full.next);
                after = full.next;
            }
            assert!(after.is_none(), "7 requests in 3 pages of 3");
            let mut after = None;
            for _ in 0..3 {
                let page = Page { limit: 3, after };
                let full = must(store.list_requests(&everything(actor), &page).await);
                let lines = must(store.list_lines(&everything(actor), &page).await);
                assert_eq!(lines.items, full.items.iter().map(RequestLine::from).collect::<Vec<_>>());
                assert_eq!(lines.next, full.next);
                after = full.next;
            }
            assert!(after.is_none());
        }
    }

    #[tokio::test]
    async fn pages_follow_each_other_without_gaps_or_repeats() {
        let (store, one_role, _dir) = store_with(7).await;
        // With one role and with several (the statement differs), the same pages.
        let several = Actor {
            roles: RoleSet::of(&[Role::Solicitante, Role::LiderAdas]),
            ..one_role
        };
        for actor in [one_role, several] {
            follow_pages(&store, &actor).await;
        }
    }

    async fn follow_pages(store: &SqliteStore, actor: &Actor) {
        let all = store
            .waiting_for(actor, &Page { limit: 50, after: None })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let p = store
                .waiting_for(actor, &Page { limit: 3, after })
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            seen.extend(p.items.iter().map(|r| r.id));
            match p.next {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, all.items.iter().map(|r| r.id).collect::<Vec<_>>());
        assert_eq!(seen.len(), 7);
    }
}
