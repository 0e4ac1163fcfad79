//! Reads a service's description: OpenAPI 3.0 or 3.1 (JSON or YAML), Swagger 2.0 (converted to
//! OpenAPI 3 on import, the original kept), one file or an archive of several. Its operations
//! become the units a grant can name; parameters marked `x-pii: true` (or `x-iop-pii`) are
//! personal identifiers kept only as keyed hashes in call records; the sandbox's answers are
//! decided here. Every upload gets an import report: what was found and every element left out,
//! each a coded item with its location (`report`). Untrusted bytes: fuzzed (`fuzz/`).

pub mod archive;
pub mod doc;
pub mod report;
pub mod sandbox;
pub mod swagger;

use doc::{Doc, escape};
use iop_store::OperationRec;
pub use report::{Issue, Item, Level};

pub(crate) const METHODS: [&str; 8] = ["get", "post", "put", "patch", "delete", "head", "options", "trace"];

/// How deep a description may nest (objects and arrays); real ones stay far below.
pub const MAX_DEPTH: usize = 64;

/// What a description is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenApi30,
    OpenApi31,
    Swagger20,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Format::OpenApi30 => "openapi-3.0",
            Format::OpenApi31 => "openapi-3.1",
            Format::Swagger20 => "swagger-2.0",
        }
    }
}

/// What a publisher uploads.
#[derive(Debug, Clone)]
pub enum Upload {
    /// One document, JSON or YAML.
    Text(String),
    /// A zip, tar or tar.gz archive and the path of its main document inside it.
    Archive { bytes: Vec<u8>, entry: String },
}

/// A description read and accepted.
#[derive(Debug, Clone)]
pub struct Imported {
    pub format: Format,
    /// The OpenAPI 3 document kept (the upload itself when it is one OpenAPI 3 file; else the
    /// conversion or the bundle, as JSON in the source's order).
    pub document: String,
    /// What was uploaded, when it is not `document` (a Swagger 2.0 text, an archive).
    pub original: Option<Vec<u8>>,
    pub operations: Vec<OperationRec>,
    /// Everything not imported, with its location.
    pub report: Vec<Item>,
    /// The `servers` URLs the document declares (for the comparison with the connector).
    pub servers: Vec<String>,
}

/// A reference's fragment, percent-decoded (`#/paths/~1a%7Bb%7D` names `/a{b}`).
pub(crate) fn decode_fragment(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match iop_gateway::path::escape_at(b, i) {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `message at line L column C` → `message`.
fn without_position(text: &str) -> &str {
    text.split(" at line ").next().unwrap_or(text)
}

/// One file (JSON or YAML; `name` locates errors) into a tree, duplicate keys refused with their
/// line, nesting bounded.
pub fn parse_text(text: &str, name: &str) -> Result<Doc, Item> {
    let json = text.trim_start().starts_with('{');
    let parsed = if json {
        serde_json::from_str::<Doc>(text).map_err(|e| {
            let at = format!("{name}:{}:{}", e.line(), e.column());
            let msg = e.to_string();
            syntax_item(without_position(&msg), at, Issue::JsonNoValido)
        })
    } else {
        serde_norway::from_str::<Doc>(text).map_err(|e| {
            let msg = e.to_string();
            let msg = without_position(&msg);
            let at = match e.location() {
                Some(l) => {
                    // The parser places a repeated key at the start of its mapping: point at the
                    // key's second writing when the mapping is a block one.
                    let (line, col) = match msg.split(doc::DUPLICATE).nth(1) {
                        Some(key) => second_key_line(text, l.line(), l.column(), key),
                        None => (l.line(), l.column()),
                    };
                    format!("{name}:{line}:{col}")
                }
                None => name.to_owned(),
            };
            syntax_item(msg, at, Issue::YamlNoValido)
        })
    }?;
    if parsed.depth(MAX_DEPTH) > MAX_DEPTH {
        return Err(Item::new(Issue::Anidamiento, name).arg("max", MAX_DEPTH));
    }
    Ok(parsed)
}

/// In a block mapping that starts at `line`:`col`, the line and column of the second key written
/// `key` at the mapping's indentation (the start itself if there is none).
fn second_key_line(text: &str, line: usize, col: usize, key: &str) -> (usize, usize) {
    let indent = col.saturating_sub(1);
    let is_key = |l: &str| {
        let Some(rest) = l.get(indent..) else { return false };
        l.get(..indent).is_some_and(|p| p.trim().is_empty() || p.trim() == "-")
            && [key.to_owned(), format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .any(|k| rest.strip_prefix(k.as_str()).is_some_and(|r| r.trim_start().starts_with(':')))
    };
    let mut seen = 0;
    for (i, l) in text.lines().enumerate().skip(line.saturating_sub(1)) {
        if i + 1 > line && l.get(..indent).is_some_and(|p| !p.trim().is_empty() && p.trim() != "-") {
            break; // left the mapping
        }
        if is_key(l) {
            seen += 1;
            if seen == 2 {
                return (i + 1, col);
            }
        }
    }
    (line, col)
}

fn syntax_item(msg: &str, at: String, issue: Issue) -> Item {
    if let Some(key) = msg.split(doc::DUPLICATE).nth(1) {
        return Item::new(Issue::ClaveRepetida, at).arg("clave", key);
    }
    if msg.contains("recursion limit") {
        return Item::new(Issue::Anidamiento, at).arg("max", MAX_DEPTH);
    }
    Item::new(issue, at).arg("detalle", msg)
}

/// The format a parsed document declares.
fn format_of(d: &Doc) -> Result<Format, Item> {
    if let Some(v) = d.get("swagger") {
        let v = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_json());
        return if v == "2.0" {
            Ok(Format::Swagger20)
        } else {
            Err(Item::new(Issue::VersionNoAdmitida, "#/swagger").arg("version", format!("Swagger {v}")))
        };
    }
    match d.get("openapi") {
        Some(Doc::Str(v)) if v.starts_with("3.0") => Ok(Format::OpenApi30),
        Some(Doc::Str(v)) if v.starts_with("3.1") => Ok(Format::OpenApi31),
        Some(v) => {
            Err(Item::new(Issue::VersionNoAdmitida, "#/openapi")
                .arg("version", v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_json())))
        }
        None => Err(Item::new(Issue::NoEsOpenapi, "#")),
    }
}

/// A reference to anything but the document itself, in a single-file upload, is refused.
fn no_outside_refs(node: &Doc, pointer: &mut String) -> Result<(), Item> {
    match node {
        Doc::Obj(m) => {
            if let Some(r) = m.get("$ref").and_then(Doc::as_str)
                && !r.starts_with('#')
            {
                let issue = if r.contains("://") { Issue::RefRemota } else { Issue::RefExterna };
                return Err(Item::new(issue, format!("#{pointer}")).arg("ref", r));
            }
            for (k, v) in m {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(k));
                no_outside_refs(v, pointer)?;
                pointer.truncate(len);
            }
        }
        Doc::Arr(a) => {
            for (i, v) in a.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                no_outside_refs(v, pointer)?;
                pointer.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Reads an upload: parse (or unpack and bundle), convert Swagger 2.0, read the operations and
/// the sandbox's answers, and write the report.
pub fn import(upload: Upload) -> Result<Imported, Item> {
    let (parsed, original_text, original) = match upload {
        Upload::Text(text) => {
            let d = parse_text(&text, "documento")?;
            no_outside_refs(&d, &mut String::new())?;
            (d, Some(text), None)
        }
        Upload::Archive { bytes, entry } => {
            let files = archive::open(&bytes)?;
            let entry = match entry.trim().trim_start_matches("./") {
                "" => files.entry_point()?,
                e => e.to_owned(),
            };
            let d = archive::Bundler::new(&files).bundle(&entry)?;
            (d, None, Some(bytes))
        }
    };
    let format = format_of(&parsed)?;
    let mut report = Vec::new();
    let (doc, document, original) = match (format, original_text) {
        (Format::Swagger20, text) => {
            let converted = swagger::convert(&parsed, &mut report);
            let json = serde_json::to_string_pretty(&converted).unwrap_or_default();
            (converted, json, original.or(text.map(String::into_bytes)))
        }
        (_, Some(text)) => (parsed, text, None),
        (_, None) => {
            let json = serde_json::to_string_pretty(&parsed).unwrap_or_default();
            (parsed, json, original)
        }
    };
    let operations = operations_reporting(&doc, &mut report)?;
    let servers = doc
        .get("servers")
        .and_then(Doc::as_array)
        .into_iter()
        .flatten()
        .filter_map(server_url)
        .collect();
    Ok(Imported {
        format,
        document,
        original,
        operations,
        report,
        servers,
    })
}

/// A server's URL with its variables at their defaults.
fn server_url(s: &Doc) -> Option<String> {
    let mut url = s.get("url")?.as_str()?.to_owned();
    for (name, v) in s.get("variables").and_then(Doc::as_object).into_iter().flatten() {
        if let Some(d) = v.get("default").and_then(Doc::as_str) {
            url = url.replace(&format!("{{{name}}}"), d);
        }
    }
    Some(url)
}

/// The path part of a server URL (`https://h/api/v2` → `/api/v2`), without a trailing `/`.
pub fn server_prefix(url: &str) -> String {
    let rest = match url.split_once("://") {
        Some((_, r)) => r.find('/').and_then(|i| r.get(i..)).unwrap_or(""),
        None => url,
    };
    rest.trim_end_matches('/').to_owned()
}

/// The report's warnings about `servers` against the connector's origins: the gateway forwards
/// the path after the service's base to each origin as it is, so an origin has to carry the
/// server's path prefix itself.
pub fn server_warnings(servers: &[String], origins: &[String]) -> Vec<Item> {
    let Some(first) = servers.first() else { return Vec::new() };
    let prefix = server_prefix(first);
    if prefix.is_empty() || prefix.contains('{') {
        return Vec::new();
    }
    origins
        .iter()
        .filter(|o| !server_prefix(o).ends_with(&prefix))
        .map(|o| {
            Item::new(Issue::ServidorPrefijo, "#/servers/0")
                .arg("servidor", first)
                .arg("prefijo", &prefix)
                .arg("origen", o)
        })
        .collect()
}

/// Parses and reads an upload off the serving runtime, on the importer's thread (see
/// [`run_off_runtime`]), within `limit`.
pub async fn import_off_runtime(upload: Upload, limit: std::time::Duration) -> Result<Imported, Item> {
    run_off_runtime(limit, move || import(upload)).await
}

/// A description already kept (always OpenAPI 3), read off the serving runtime.
pub async fn read_kept(text: String, limit: std::time::Duration) -> Result<Doc, Item> {
    run_off_runtime(limit, move || parse_text(&text, "documento")).await
}

type Job = Box<dyn FnOnce() + Send>;

/// The importer's thread: one for the process, started on first use, at nice
/// [`IMPORTER_NICE`]. While calls keep the core busy it gets about a tenth of it (the scheduler's
/// weights for nice 10 against 0), so an upload still finishes (2–4 s for 10 MiB under a
/// saturating load) and the gateway keeps the rest; with the core free it runs at full speed.
/// The idle class (`SCHED_IDLE`) was tried first: under a saturating load it starved, and an
/// upload ran into its time limit (BENCHMARKS.md). Being its own thread, it never hands a
/// lowered priority on to other work.
fn importer() -> Option<&'static std::sync::Mutex<std::sync::mpsc::Sender<Job>>> {
    static IMPORTER: std::sync::OnceLock<Option<std::sync::Mutex<std::sync::mpsc::Sender<Job>>>> = std::sync::OnceLock::new();
    IMPORTER
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("iop-importador".into())
                .spawn(move || {
                    lower_priority();
                    for job in rx {
                        job();
                    }
                })
                .ok()?;
            Some(std::sync::Mutex::new(tx))
        })
        .as_ref()
}

/// The importer thread's niceness (see [`importer`]).
pub const IMPORTER_NICE: i32 = 10;

fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), IMPORTER_NICE) {
        tracing::warn!(error = %e, "no se pudo bajar la prioridad del importador de descripciones");
    }
}

/// This thread's niceness (for tests of the importer's thread).
#[cfg(all(test, target_os = "linux"))]
fn nice() -> i32 {
    rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap_or(i32::MIN)
}

/// Runs an import job on the importer's thread, one at a time, within `limit` (waiting for the
/// previous one included). A job that panics is refused as unavailable; the thread goes on.
pub(crate) async fn run_off_runtime<T: Send + 'static, E: From<Item> + Send + 'static>(
    limit: std::time::Duration,
    job: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, E> {
    static ONE_AT_A_TIME: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let unavailable = || E::from(Item::new(Issue::ImportadorNoDisponible, "documento"));
    let deadline = tokio::time::Instant::now() + limit;
    let permit = match tokio::time::timeout_at(deadline, ONE_AT_A_TIME.acquire()).await {
        Ok(Ok(p)) => p,
        Ok(Err(_)) | Err(_) => return Err(unavailable()),
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let run: Job = Box::new(move || {
        // Held by the job itself: an upload refused for taking too long still keeps the next one
        // waiting until the thread is free, so repeated uploads never pile up parses.
        let _permit = permit;
        if let Ok(r) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
            let _ = tx.send(r);
        }
    });
    let sent = importer().and_then(|m| m.lock().ok()).is_some_and(|tx| tx.send(run).is_ok());
    if !sent {
        return Err(unavailable());
    }
    match tokio::time::timeout_at(deadline, rx).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err(unavailable()),
        Err(_) => Err(E::from(
            Item::new(Issue::TiempoAgotado, "documento").arg("segundos", limit.as_secs()),
        )),
    }
}

fn pii(p: &Doc) -> bool {
    p.get("x-pii").and_then(Doc::as_bool).unwrap_or(false) || p.get("x-iop-pii").and_then(Doc::as_bool).unwrap_or(false)
}

const PATH_ITEM_KEYS: [&str; 5] = ["summary", "description", "servers", "parameters", "$ref"];

/// Removes from a description every operation `keep` refuses (by its id, as [`operations`] names
/// it), and every path left without one; path items given by reference are inlined first.
pub fn keep_operations(doc: &mut Doc, keep: impl Fn(&str) -> bool) {
    let Some(paths) = doc.get("paths").and_then(Doc::as_object).cloned() else {
        return;
    };
    let mut kept = doc::Map::new();
    for (path, item) in paths {
        let mut item = sandbox::deref(doc, &item).cloned().unwrap_or_default();
        let Some(obj) = item.as_object_mut() else { continue };
        for m in METHODS {
            let id = match obj.get(m) {
                None => continue,
                Some(op) => op_id(op, m, &path),
            };
            if !keep(&id) {
                obj.shift_remove(m);
            }
        }
        if METHODS.iter().any(|m| obj.contains_key(*m)) {
            kept.insert(path, item);
        }
    }
    if let Some(d) = doc.as_object_mut() {
        d.insert("paths".into(), Doc::Obj(kept));
        d.shift_remove("webhooks");
    }
}

fn op_id(op: &Doc, method: &str, path: &str) -> String {
    op.get("operationId")
        .and_then(Doc::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{method} {path}"))
}

/// The operations of a description (its warnings dropped).
pub fn operations(doc: &Doc) -> Result<Vec<OperationRec>, Item> {
    operations_reporting(doc, &mut Vec::new())
}

/// The operations of a description; what is not imported goes to `report`.
pub fn operations_reporting(doc: &Doc, report: &mut Vec<Item>) -> Result<Vec<OperationRec>, Item> {
    let mut out: Vec<OperationRec> = Vec::new();
    if let Some(w) = doc.get("webhooks").and_then(Doc::as_object).filter(|w| !w.is_empty()) {
        report.push(Item::new(Issue::WebhooksNoImportados, "#/webhooks").arg("n", w.len()));
    }
    let Some(paths) = doc.get("paths").and_then(Doc::as_object) else {
        return Err(Item::new(Issue::SinPaths, "#/paths"));
    };
    for (path, item) in paths {
        let at = format!("#/paths/{}", escape(path));
        if !path.starts_with('/') {
            return Err(Item::new(Issue::RutaSinBarra, at).arg("ruta", path));
        }
        let item = match item.get("$ref").and_then(Doc::as_str) {
            Some(r) => match sandbox::deref(doc, item) {
                Some(i) => i,
                None if sandbox::local(doc, r).is_some() => {
                    return Err(Item::new(Issue::RefCiclica, format!("{at}/$ref")).arg("ref", r));
                }
                None => return Err(Item::new(Issue::RefNoResuelta, format!("{at}/$ref")).arg("ref", r)),
            },
            None => item,
        };
        for k in item.as_object().into_iter().flatten().map(|(k, _)| k) {
            if !METHODS.contains(&k.as_str()) && !PATH_ITEM_KEYS.contains(&k.as_str()) && !k.starts_with("x-") {
                report.push(Item::new(Issue::ClaveDesconocida, format!("{at}/{}", escape(k))).arg("clave", k));
            }
        }
        let params_of = |v: &Doc, at: &str, report: &mut Vec<Item>| -> Vec<Doc> {
            let mut out = Vec::new();
            for (i, p) in v.get("parameters").and_then(Doc::as_array).into_iter().flatten().enumerate() {
                match sandbox::deref(doc, p) {
                    Some(p) => out.push(p.clone()),
                    None => report.push(
                        Item::new(Issue::RefLocalRota, format!("{at}/parameters/{i}"))
                            .arg("ref", p.get("$ref").and_then(Doc::as_str).unwrap_or("")),
                    ),
                }
            }
            out
        };
        let shared = params_of(item, &at, report);
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let op_at = format!("{at}/{m}");
            let id = op_id(op, m, path);
            if out.iter().any(|o| o.op_id == id) {
                return Err(Item::new(Issue::IdRepetido, format!("{op_at}/operationId")).arg("id", id));
            }
            if op.get("callbacks").is_some() {
                report.push(Item::new(Issue::CallbacksNoImportados, format!("{op_at}/callbacks")));
            }
            let mut params = shared.clone();
            params.extend(params_of(op, &op_at, report));
            let pii_params: Vec<String> = params
                .iter()
                .filter(|p| pii(p))
                .filter_map(|p| p.get("name").and_then(Doc::as_str).map(str::to_owned))
                .collect();
            let answer = sandbox::answer(doc, op, &op_at, report);
            out.push(OperationRec {
                op_id: id,
                method: m.to_uppercase(),
                path: path.clone(),
                summary: op.get("summary").and_then(Doc::as_str).map(str::to_owned),
                pii_params,
                example_status: answer.as_ref().map(|a| i64::from(a.status)),
                example_type: answer.as_ref().and_then(|a| a.media.clone()),
                example_generated: answer.as_ref().is_some_and(|a| a.generated),
                example: answer.map(|a| a.body),
            });
        }
    }
    if out.is_empty() {
        return Err(Item::new(Issue::SinOperaciones, "#/paths"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Result<Imported, Item> {
        import(Upload::Text(t.to_owned()))
    }

    /// Jobs run on the importer's own thread at a lowered priority in the normal class (so that
    /// they still progress while calls keep the core busy; the idle class starved), and a job
    /// that panics is refused without stopping the thread.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn imports_run_on_their_own_thread_at_a_lowered_priority() {
        use thread_priority::ThreadSchedulePolicy;
        let limit = std::time::Duration::from_secs(30);
        let here = std::thread::current().id();
        let caller_nice = nice();
        let (name, niceness, policy, other) = run_off_runtime(limit, move || {
            let t = std::thread::current();
            let policy = thread_priority::unix::thread_schedule_policy().ok();
            Ok::<_, Item>((t.name().map(str::to_owned), nice(), policy, t.id() != here))
        })
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
        let normal = Some(ThreadSchedulePolicy::Normal(thread_priority::NormalThreadSchedulePolicy::Other));
        assert_eq!(
            (name.as_deref(), niceness, policy, other),
            (Some("iop-importador"), IMPORTER_NICE, normal, true)
        );
        assert_eq!(nice(), caller_nice, "the caller's thread keeps its priority");
        let panicked = run_off_runtime(limit, || -> Result<(), Item> { panic!("a broken job") }).await;
        assert_eq!(panicked.map_err(|e| e.issue), Err(Issue::ImportadorNoDisponible));
        let again = run_off_runtime(limit, || Ok::<_, Item>(7)).await;
        assert_eq!(again.ok(), Some(7));
    }

    #[test]
    fn keeping_operations_drops_the_others_and_empty_paths() {
        let mut doc = parse_text(
            r##"{
            "openapi": "3.0.3",
            "paths": {
                "/a": {"get": {"operationId": "leer"}, "post": {"operationId": "escribir"}, "parameters": []},
                "/b": {"$ref": "#/components/pathItems/b"},
                "/c": {"delete": {"responses": {}}}
            },
            "components": {"pathItems": {"b": {"get": {"operationId": "otra"}}}}
        }"##,
            "d",
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        keep_operations(&mut doc, |id| id == "leer" || id == "otra");
        assert_eq!(doc.pointer("/paths/~1a/get/operationId").and_then(Doc::as_str), Some("leer"));
        assert!(doc.pointer("/paths/~1a/post").is_none());
        assert_eq!(
            doc.pointer("/paths/~1b/get/operationId").and_then(Doc::as_str),
            Some("otra"),
            "a referenced item is inlined"
        );
        assert!(doc.pointer("/paths/~1c").is_none(), "a path left empty goes");
        keep_operations(&mut doc, |id| id == "delete /c");
        assert_eq!(doc.at("paths").to_json(), "{}");
    }

    #[test]
    fn trace_is_read_and_bodiless_successes_are_kept() {
        let imported = text(
            r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
                "/a": {"delete": {"operationId": "borrar", "responses": {"204": {"description": "borrado"}}},
                       "trace": {"operationId": "rastrear", "responses": {"200": {"description": "ok"}}},
                       "get": {"operationId": "sin-ejemplo", "responses": {"200": {"description": "ok",
                               "content": {"application/json": {}}}}}}}}"#,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let ops = imported.operations;
        let by = |id: &str| ops.iter().find(|o| o.op_id == id).cloned().unwrap_or_else(|| panic!("{id}"));
        assert_eq!(
            (by("borrar").example_status, by("borrar").example.as_deref()),
            (Some(204), Some(""))
        );
        assert_eq!(by("rastrear").method, "TRACE");
        assert_eq!((by("sin-ejemplo").example_status, by("sin-ejemplo").example), (None, None));
        assert_eq!(
            imported.report.iter().map(|i| (i.issue, i.at.as_str())).collect::<Vec<_>>(),
            vec![(Issue::SinRespuesta, "#/paths/~1a/get/responses/200")]
        );
    }

    const YAML: &str = r##"
openapi: 3.0.3
info: {title: Personas, version: "2"}
paths:
  /personas/{ci}:
    parameters:
      - {name: ci, in: path, required: true, x-pii: true, schema: {type: string}}
    get:
      operationId: consultar-persona
      summary: Datos de una persona
      responses:
        200:
          description: ok
          content:
            application/json:
              example: {nombres: "JUAN", ci: "0000000"}
  /contrastacion:
    post:
      operationId: contrastar
      parameters:
        - {name: fecha, in: query, x-iop-pii: true}
      responses:
        "200":
          $ref: "#/components/responses/Ok"
components:
  responses:
    Ok:
      $ref: "#/components/responses/OkReal"
    OkReal:
      description: ok
      content:
        application/json:
          examples:
            uno: {value: {coincide: true}}
"##;

    #[test]
    fn yaml_with_refs_two_levels_deep_pii_and_examples() {
        let ops = text(YAML).unwrap_or_else(|e| panic!("{e:?}")).operations;
        assert_eq!(ops.len(), 2);
        let c = ops.iter().find(|o| o.op_id == "contrastar").unwrap_or_else(|| panic!("contrastar"));
        assert_eq!(
            (c.method.as_str(), c.pii_params.clone(), c.example.as_deref()),
            ("POST", vec!["fecha".to_owned()], Some(r#"{"coincide":true}"#))
        );
        let p = ops
            .iter()
            .find(|o| o.op_id == "consultar-persona")
            .unwrap_or_else(|| panic!("persona"));
        assert_eq!(p.pii_params, vec!["ci".to_owned()]);
        assert_eq!(
            (p.example_status, p.example.as_deref()),
            (Some(200), Some(r#"{"nombres":"JUAN","ci":"0000000"}"#))
        );
    }

    #[test]
    fn refusals_are_coded_with_their_location() {
        let refused = |t: &str| text(t).err().map(|e| (e.code(), e.at)).unwrap_or_default();
        assert_eq!(
            refused("{\"swagger\": \"1.2\", \"paths\": {}}"),
            ("version-no-admitida", "#/swagger".into())
        );
        assert_eq!(refused("openapi: 3.0.0\n"), ("sin-paths", "#/paths".into()));
        assert_eq!(refused("{no es json").0, "json-no-valido");
        assert_eq!(
            refused("{\"openapi\": \"3.1.0\", \"paths\": {}}"),
            ("sin-operaciones", "#/paths".into())
        );
        assert_eq!(
            refused("openapi: 3.0.0\npaths:\n  /a: {get: {}}\n  /a: {post: {}}\n"),
            ("clave-repetida", "documento:4:3".into())
        );
        assert_eq!(
            refused("openapi: 3.0.0\npaths:\n  /a: {$ref: 'otro.yaml#/a'}\n"),
            ("ref-externa", "#/paths/~1a".into())
        );
        assert_eq!(
            refused("openapi: 3.0.0\npaths:\n  a: {get: {}}\n"),
            ("ruta-sin-barra", "#/paths/a".into())
        );
        assert_eq!(
            refused("openapi: 3.0.0\npaths:\n  /a: {get: {operationId: x}}\n  /b: {get: {operationId: x}}\n"),
            ("id-repetido", "#/paths/~1b/get/operationId".into())
        );
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(
            refused(&format!("{{\"openapi\": \"3.0.0\", \"paths\": {{}}, \"x\": {deep}}}")).0,
            "anidamiento"
        );
    }

    #[test]
    fn servers_are_compared_with_the_connectors_origin() {
        let w = server_warnings(
            &["https://api.segip.gob.bo/v2/".into()],
            &["http://10.0.0.5:8080".into(), "http://10.0.0.6/v2".into()],
        );
        assert_eq!(w.len(), 1);
        assert_eq!(
            w.first().map(|i| i.text(iop_i18n::Lang::Es)).unwrap_or_default(),
            "la descripción declara el servidor «https://api.segip.gob.bo/v2/» con la ruta «/v2», y el origen del conector «http://10.0.0.5:8080» no termina en ella: las llamadas llegarían sin ese prefijo; agregue «/v2» a la URL de origen del conector"
        );
        assert!(server_warnings(&["/".into()], &["http://x".into()]).is_empty());
    }
}
