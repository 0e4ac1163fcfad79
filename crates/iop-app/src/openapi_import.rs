//! Reads a service's OpenAPI 3 description (JSON or YAML): its operations become the units a grant
//! can name; parameters marked `x-pii: true` (or `x-iop-pii`) are personal identifiers kept only as
//! keyed hashes in call records; response examples feed the sandbox.

use iop_store::OperationRec;
use serde_json::Value;

const METHODS: [&str; 8] = ["get", "post", "put", "patch", "delete", "head", "options", "trace"];

/// Why a description was refused, in Spanish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub es: String,
    pub en: String,
}

impl ImportError {
    fn new(es: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            es: es.into(),
            en: en.into(),
        }
    }
}

/// How deep a description may nest (objects and arrays); real ones stay far below.
pub const MAX_DEPTH: usize = 64;

/// Parses a description (JSON, or YAML through a maintained parser: duplicate keys are refused
/// with their line, alias expansion is bounded) and checks it is OpenAPI 3 and not nested deeper
/// than [`MAX_DEPTH`].
pub fn parse_document(text: &str) -> Result<Value, ImportError> {
    let trimmed = text.trim_start();
    let v: Value = if trimmed.starts_with('{') {
        serde_json::from_str(text).map_err(|e| ImportError::new(format!("JSON no válido: {e}"), format!("invalid JSON: {e}")))?
    } else {
        let y: serde_norway::Value = serde_norway::from_str(text).map_err(yaml_error)?;
        if depth(&y) > MAX_DEPTH {
            return Err(ImportError::new(
                format!("la descripción anida más de {MAX_DEPTH} niveles"),
                format!("the description nests more than {MAX_DEPTH} levels"),
            ));
        }
        serde_json::to_value(&y).map_err(|e| {
            ImportError::new(
                format!("YAML no representable como JSON: {e}"),
                format!("YAML that cannot be represented as JSON: {e}"),
            )
        })?
    };
    if json_depth(&v) > MAX_DEPTH {
        return Err(ImportError::new(
            format!("la descripción anida más de {MAX_DEPTH} niveles"),
            format!("the description nests more than {MAX_DEPTH} levels"),
        ));
    }
    if let Some(sw) = v.get("swagger").and_then(Value::as_str) {
        return Err(ImportError::new(
            format!(
                "es una descripción Swagger {sw} (OpenAPI 2): por ahora se importan descripciones OpenAPI 3; conviértala (por ejemplo con swagger2openapi) y súbala de nuevo"
            ),
            format!(
                "this is a Swagger {sw} (OpenAPI 2) description: OpenAPI 3 descriptions are imported for now; convert it (e.g. with swagger2openapi) and upload it again"
            ),
        ));
    }
    let version = v.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.") {
        return Err(ImportError::new(
            "se espera una descripción OpenAPI 3 (campo «openapi»: \"3.x\")",
            "an OpenAPI 3 description is expected (field 'openapi': \"3.x\")",
        ));
    }
    if !v.get("paths").is_some_and(Value::is_object) {
        return Err(ImportError::new(
            "la descripción no tiene «paths»",
            "the description has no 'paths'",
        ));
    }
    Ok(v)
}

/// A YAML error in Spanish and English, with its line and column.
fn yaml_error(e: serde_norway::Error) -> ImportError {
    let text = e.to_string();
    let en = text.split(" at line ").next().unwrap_or(&text).to_owned();
    let es = match en.split_once("duplicate entry with key ") {
        Some((at, key)) => format!("{at}clave repetida {key}"),
        None => en.clone(),
    };
    match e.location() {
        Some(l) => ImportError::new(
            format!("YAML no válido (línea {}, columna {}): {es}", l.line(), l.column()),
            format!("invalid YAML (line {}, column {}): {en}", l.line(), l.column()),
        ),
        None => ImportError::new(format!("YAML no válido: {es}"), format!("invalid YAML: {en}")),
    }
}

/// Nesting depth, without recursion.
fn depth(v: &serde_norway::Value) -> usize {
    use serde_norway::Value as Y;
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Y::Sequence(s) => stack.extend(s.iter().map(|x| (x, d + 1))),
            Y::Mapping(m) => stack.extend(m.iter().flat_map(|(k, x)| [(k, d + 1), (x, d + 1)])),
            Y::Tagged(t) => stack.push((&t.value, d + 1)),
            _ => {}
        }
        if max > MAX_DEPTH {
            break;
        }
    }
    max
}

fn json_depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, d + 1))),
            _ => {}
        }
        if max > MAX_DEPTH {
            break;
        }
    }
    max
}

/// Parses and reads a description off the serving runtime: on the blocking pool, one at a time,
/// within `limit` (a document that takes longer is refused; the parse itself is bounded by the
/// size and depth limits, so the thread is not held for long either).
pub async fn import_off_runtime(text: String, limit: std::time::Duration) -> Result<(Value, Vec<OperationRec>), ImportError> {
    static ONE_AT_A_TIME: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let permit = ONE_AT_A_TIME
        .acquire()
        .await
        .map_err(|_| ImportError::new("el importador no está disponible", "the importer is not available"))?;
    let job = tokio::task::spawn_blocking(move || {
        // Held by the parse itself: an upload refused for taking too long still keeps the next
        // one waiting until its thread is free, so repeated uploads never pile up parses.
        let _permit = permit;
        let doc = parse_document(&text)?;
        let ops = operations(&doc)?;
        Ok((doc, ops))
    });
    match tokio::time::timeout(limit, job).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err(ImportError::new(
            "el importador falló al leer la descripción",
            "the importer failed while reading the description",
        )),
        Err(_) => Err(ImportError::new(
            format!(
                "la descripción tardó más de {} s en leerse; simplifíquela o divídala",
                limit.as_secs()
            ),
            format!("reading the description took more than {} s; simplify or split it", limit.as_secs()),
        )),
    }
}

fn pii(p: &Value) -> bool {
    p.get("x-pii").and_then(Value::as_bool).unwrap_or(false) || p.get("x-iop-pii").and_then(Value::as_bool).unwrap_or(false)
}

/// Resolves a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) if let Some(pointer) = r.strip_prefix("#/") => pointer.split('/').fold(doc, |acc, k| acc.get(k).unwrap_or(&Value::Null)),
        _ => v,
    }
}

fn example_of(doc: &Value, op: &Value) -> Option<(i64, String)> {
    let responses = op.get("responses")?.as_object()?;
    let mut codes: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
    codes.sort();
    for code in codes {
        let r = resolve(doc, &responses[code]);
        let Some(content) = r.get("content").and_then(Value::as_object) else {
            continue;
        };
        for (_mime, media) in content {
            let ex = media
                .get("example")
                .cloned()
                .or_else(|| {
                    media
                        .get("examples")
                        .and_then(Value::as_object)
                        .and_then(|m| m.values().next())
                        .map(|e| resolve(doc, e))
                        .and_then(|e| e.get("value").cloned())
                })
                .or_else(|| media.get("schema").map(|s| resolve(doc, s)).and_then(|s| s.get("example").cloned()));
            if let Some(ex) = ex {
                return Some((code.parse().unwrap_or(200), ex.to_string()));
            }
        }
    }
    // No example anywhere: a success the document declares without content (a 204, or a 2xx with
    // no body) is answered as declared, with no body.
    let mut codes: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
    codes.sort();
    let all_empty = codes.iter().all(|c| resolve(doc, &responses[c.as_str()]).get("content").is_none());
    if all_empty {
        return codes.first().map(|c| (c.parse().unwrap_or(204), String::new()));
    }
    None
}

/// Removes from a description every operation `keep` refuses (by its id, as [`operations`] names
/// it), and every path left without one; path items given by reference are inlined first.
pub fn keep_operations(doc: &mut Value, keep: impl Fn(&str) -> bool) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object).cloned() else {
        return;
    };
    let mut kept = serde_json::Map::new();
    for (path, item) in paths {
        let mut item = resolve(doc, &item).clone();
        let Some(obj) = item.as_object_mut() else { continue };
        for m in METHODS {
            let id = match obj.get(m) {
                None => continue,
                Some(op) => op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{m} {path}")),
            };
            if !keep(&id) {
                obj.remove(m);
            }
        }
        if METHODS.iter().any(|m| obj.contains_key(*m)) {
            kept.insert(path, item);
        }
    }
    if let Some(d) = doc.as_object_mut() {
        d.insert("paths".into(), Value::Object(kept));
    }
}

/// The operations of a description.
pub fn operations(doc: &Value) -> Result<Vec<OperationRec>, ImportError> {
    let mut out: Vec<OperationRec> = Vec::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| ImportError::new("sin «paths»", "no 'paths'"))?;
    for (path, item) in paths {
        if !path.starts_with('/') {
            return Err(ImportError::new(
                format!("la ruta «{path}» debe empezar con «/»"),
                format!("the path '{path}' must start with '/'"),
            ));
        }
        let item = resolve(doc, item);
        let shared: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|p| resolve(doc, p)).collect())
            .unwrap_or_default();
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{m} {path}"));
            if out.iter().any(|o| o.op_id == id) {
                return Err(ImportError::new(
                    format!("operationId «{id}» repetido"),
                    format!("operationId '{id}' repeated"),
                ));
            }
            let mut params: Vec<&Value> = shared.clone();
            if let Some(a) = op.get("parameters").and_then(Value::as_array) {
                params.extend(a.iter().map(|p| resolve(doc, p)));
            }
            let pii_params: Vec<String> = params
                .iter()
                .filter(|p| pii(p))
                .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect();
            let (example_status, example) = match example_of(doc, op) {
                Some((s, e)) => (Some(s), Some(e)),
                None => (None, None),
            };
            out.push(OperationRec {
                op_id: id,
                method: m.to_uppercase(),
                path: path.clone(),
                summary: op.get("summary").and_then(Value::as_str).map(str::to_owned),
                pii_params,
                example_status,
                example,
            });
        }
    }
    if out.is_empty() {
        return Err(ImportError::new(
            "la descripción no declara ninguna operación",
            "the description declares no operation",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {

    #[test]
    fn keeping_operations_drops_the_others_and_empty_paths() {
        let mut doc = serde_json::json!({
            "openapi": "3.0.3",
            "paths": {
                "/a": {"get": {"operationId": "leer"}, "post": {"operationId": "escribir"}, "parameters": []},
                "/b": {"$ref": "#/components/pathItems/b"},
                "/c": {"delete": {"responses": {}}}
            },
            "components": {"pathItems": {"b": {"get": {"operationId": "otra"}}}}
        });
        keep_operations(&mut doc, |id| id == "leer" || id == "otra");
        assert_eq!(doc["paths"]["/a"]["get"]["operationId"], "leer");
        assert!(doc["paths"]["/a"].get("post").is_none());
        assert_eq!(doc["paths"]["/b"]["get"]["operationId"], "otra", "a referenced item is inlined");
        assert!(doc["paths"].get("/c").is_none(), "a path left empty goes");
        keep_operations(&mut doc, |id| id == "delete /c");
        assert_eq!(doc["paths"], serde_json::json!({}));
    }
    use super::*;

    #[test]
    fn swagger_2_is_named_trace_is_read_and_bodiless_successes_are_kept() {
        let e = parse_document(r#"{"swagger": "2.0", "paths": {}}"#)
            .err()
            .map(|e| (e.es, e.en))
            .unwrap_or_default();
        assert!(e.0.contains("Swagger 2.0") && e.1.contains("Swagger 2.0"), "{e:?}");
        let doc = parse_document(
            r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
                "/a": {"delete": {"operationId": "borrar", "responses": {"204": {"description": "borrado"}}},
                       "trace": {"operationId": "rastrear", "responses": {"200": {"description": "ok"}}},
                       "get": {"operationId": "sin-ejemplo", "responses": {"200": {"description": "ok",
                               "content": {"application/json": {"schema": {"type": "object"}}}}}}}}}"#,
        )
        .unwrap_or_else(|e| panic!("{}", e.es));
        let ops = operations(&doc).unwrap_or_else(|e| panic!("{}", e.es));
        let by = |id: &str| ops.iter().find(|o| o.op_id == id).cloned().unwrap_or_else(|| panic!("{id}"));
        assert_eq!(
            (by("borrar").example_status, by("borrar").example.as_deref()),
            (Some(204), Some(""))
        );
        assert_eq!(by("rastrear").method, "TRACE");
        assert_eq!((by("sin-ejemplo").example_status, by("sin-ejemplo").example), (None, None));
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
        "200":
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
      description: ok
      content:
        application/json:
          examples:
            uno: {value: {coincide: true}}
"##;

    #[test]
    fn yaml_with_refs_pii_and_examples() {
        let doc = parse_document(YAML).unwrap_or_else(|e| panic!("{e:?}"));
        let ops = operations(&doc).unwrap_or_else(|e| panic!("{e:?}"));
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
        assert_eq!(p.example_status, Some(200));
    }

    #[test]
    fn refuses_what_is_not_openapi_3() {
        assert!(parse_document("{\"swagger\": \"2.0\", \"paths\": {}}").is_err());
        assert!(parse_document("openapi: 3.0.0\n").is_err());
        assert!(parse_document("{no es json").is_err());
        let doc = parse_document("{\"openapi\": \"3.1.0\", \"paths\": {}}").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(operations(&doc).is_err());
    }
}
