//! The read path of the pages (the session behind every page, units, leaders, a request, the
//! bandeja, the request list, the overview): each read runs as one blocking unit on a connection
//! of its own, in one read transaction, instead of handing every row from sqlx's connection
//! thread to the async task (on two cores that hand-off cost more than SQLite itself; see
//! BENCHMARKS.md, "Web pages at scale").
//!
//! The store keeps a few query-only connections for this (WAL lets them read beside the writer;
//! a read started after a write committed sees it). Pages read lists as `RequestLine`s (only the
//! columns they show and the domain judges them by, one statement a page); the bandeja reads its
//! lines, the overview's counts and the leaders in one unit.

use super::{Cols, SqliteStore, corrupt, id, ms, opt_text, request_from};
use crate::*;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, ToSql};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Connections kept idle for reads; more are opened when every one is busy, and closed after.
const IDLE_READERS: usize = 4;

/// The store's read connections.
#[derive(Debug)]
pub(crate) struct Readers {
    file: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(file: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            file,
            idle: Mutex::new(Vec::new()),
        })
    }

    fn take(&self) -> StoreResult<Connection> {
        if let Some(c) = self.idle.lock().ok().and_then(|mut v| v.pop()) {
            return Ok(c);
        }
        let c = Connection::open_with_flags(&self.file, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(read_err)?;
        c.busy_timeout(Duration::from_secs(10)).map_err(read_err)?;
        c.pragma_update(None, "query_only", true).map_err(read_err)?;
        // The pages' statements are prepared once and kept: without the planner's stability
        // guarantee, SQLite prepares again on every run a statement whose plan could depend on a
        // bound value (a `LIMIT ?`, a partial index), which cost more than the statement itself.
        c.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(read_err)?;
        // Room for every statement of this module (a dozen today) and more to come.
        c.set_prepared_statement_cache_capacity(64);
        Ok(c)
    }

    /// Keeps `c` for the next read, unless enough are kept or it is still inside a transaction
    /// (a failed `COMMIT`): then it is closed.
    fn put(&self, c: Connection) {
        if c.is_autocommit()
            && let Ok(mut v) = self.idle.lock()
            && v.len() < IDLE_READERS
        {
            v.push(c);
        }
    }
}

pub(crate) fn read_err(e: rusqlite::Error) -> StoreError {
    StoreError::backend(e)
}

impl SqliteStore {
    /// Runs `f` in one read transaction on a read connection, on the blocking pool (in the
    /// caller's tracing span, so its statements are logged as the caller's).
    pub(crate) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _in = span.enter();
            let c = readers.take()?;
            let out = in_transaction(&c, f);
            readers.put(c);
            out
        })
        .await
        .map_err(StoreError::backend)?
    }
}

/// Runs `f` in one read transaction (one snapshot for all its statements), ended whatever `f`
/// returns; both statements are prepared once per connection.
fn in_transaction<T>(c: &Connection, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
    c.prepare_cached("BEGIN").and_then(|mut s| s.execute([])).map_err(read_err)?;
    let out = f(c);
    c.prepare_cached("COMMIT").and_then(|mut s| s.execute([])).map_err(read_err)?;
    out
}

/// A row and the names of its statement's columns: read by name, like sqlx's rows.
pub(crate) struct Named<'a> {
    row: &'a rusqlite::Row<'a>,
    names: &'a [String],
    /// Where the next name is looked for first: decoders mostly read columns in the order the
    /// statement selects them, so most lookups compare one name.
    next: std::cell::Cell<usize>,
}

impl Named<'_> {
    fn index(&self, col: &str) -> StoreResult<usize> {
        let from = self.next.get().min(self.names.len());
        let (before, after) = self.names.split_at(from);
        let i = match after.iter().position(|n| n == col) {
            Some(i) => from + i,
            None => before.iter().position(|n| n == col).ok_or_else(|| corrupt(col))?,
        };
        self.next.set(i + 1);
        Ok(i)
    }
}

impl Cols for Named<'_> {
    fn opt_str(&self, col: &str) -> StoreResult<Option<&str>> {
        let v = self.row.get_ref(self.index(col)?).map_err(read_err)?;
        v.as_str_or_null().map_err(StoreError::backend)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        self.row.get(self.index(col)?).map_err(read_err)
    }
}

/// Turns the store's file (created if missing) to write-ahead logging, which it keeps, before
/// any pool opens it. Switching needs the file alone and SQLite does not wait for that (the busy
/// timeout does not apply), so connections that open at once — a pool's first ones, or two
/// commands starting on one fresh store — could find it locked; here the switch is retried for
/// up to 10 s. Once the file is in WAL, setting it again is a no-op that waits like any read.
pub(crate) fn ensure_wal(file: &std::path::Path) -> StoreResult<()> {
    let c = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(read_err)?;
    c.busy_timeout(Duration::from_secs(10)).map_err(read_err)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => return Err(StoreError::backend_msg(format!("el almacén no admite WAL (modo {mode})"))),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(read_err(e)),
        }
    }
}

/// Every row `sql` finds with `params`, decoded: one statement, logged at debug level under
/// `iop_store::sql` with the same fields as sqlx's statements (so that statements can be counted).
pub(crate) fn rows<T>(
    c: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    decode: impl Fn(&Named<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = c.prepare_cached(sql).map_err(read_err)?;
    let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let mut found = stmt.query(params).map_err(read_err)?;
    let mut out = Vec::new();
    while let Some(row) = found.next().map_err(read_err)? {
        out.push(decode(&Named {
            row,
            names: &names,
            next: std::cell::Cell::new(0),
        })?);
    }
    tracing::debug!(target: "iop_store::sql", summary = sql.get(..40).unwrap_or(sql), rows_returned = out.len());
    Ok(out)
}

/// Requests from the rows of `sql` (whole rows of `requests`), with their services and
/// publications: one more statement in all, however many rows.
pub(crate) fn requests(c: &Connection, sql: &str, params: &[&dyn ToSql]) -> StoreResult<Vec<RequestRec>> {
    let mut found = rows(c, sql, params, |r| request_from(r))?;
    if found.is_empty() {
        return Ok(found);
    }
    let ids: Vec<String> = found.iter().map(|r| r.id.to_string()).collect();
    let ids = serde_json::to_string(&ids).map_err(StoreError::backend)?;
    // Services asked for (`s`), in catalog order, then services to publish (`p`), in theirs.
    let content = rows(
        c,
        "SELECT 's' AS k, rs.request_id, rs.service_id, NULL AS codigo, NULL AS version, NULL AS nombre, \
                NULL AS descripcion, s.codigo AS o1, s.version AS o2 \
           FROM request_services rs JOIN services s ON s.id = rs.service_id \
          WHERE rs.request_id IN (SELECT value FROM json_each(?1)) \
         UNION ALL \
         SELECT 'p', request_id, NULL, codigo, version, nombre, descripcion, codigo, version \
           FROM request_publications WHERE request_id IN (SELECT value FROM json_each(?1)) \
         ORDER BY k DESC, o1, o2",
        &[&ids],
        |r| {
            let request = id(r, "request_id", RequestId::parse)?;
            let item = if r.string("k")? == "s" {
                Err(id(r, "service_id", ServiceId::parse)?)
            } else {
                Ok(PublicationSpec {
                    code: id(r, "codigo", Code::parse)?,
                    version: ServiceVersion::new(r.int("version")?).map_err(|_| corrupt("version"))?,
                    name: id(r, "nombre", Name::parse)?,
                    description: opt_text(r, "descripcion")?,
                })
            };
            Ok((request, item))
        },
    )?;
    let mut by_request: HashMap<RequestId, Vec<Result<PublicationSpec, ServiceId>>> = HashMap::new();
    for (request, item) in content {
        by_request.entry(request).or_default().push(item);
    }
    for r in &mut found {
        for item in by_request.remove(&r.id).unwrap_or_default() {
            match item {
                Ok(p) => r.content.publications.push(p),
                Err(s) => r.content.services.push(s),
            }
        }
    }
    Ok(found)
}

/// A page from the `limit + 1` rows a statement found: the extra one only says that a next page
/// exists; the cursor is the last one's `key` (its moment and tracking code).
pub(crate) fn page<T>(mut items: Vec<T>, limit: i64, key: impl Fn(&T) -> (time::OffsetDateTime, &TrackingCode)) -> PageOf<T> {
    let more = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(0));
    let next = match (more, items.last()) {
        (true, Some(last)) => {
            let (at, code) = key(last);
            Some(Cursor {
                ms: ms(at),
                code: code.clone(),
            })
        }
        _ => None,
    };
    PageOf { items, next }
}
