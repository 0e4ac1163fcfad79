//! Reads a service's OpenAPI 3 description (JSON or YAML): its operations become the units a grant
//! can name; parameters marked `x-pii: true` (or `x-iop-pii`) are personal identifiers kept only as
//! keyed hashes in call records; response examples feed the sandbox.

use iop_store::OperationRec;
use serde_json::Value;

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

/// Why a description was refused, in Spanish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError(pub String);

pub fn parse_document(text: &str) -> Result<Value, ImportError> {
    let trimmed = text.trim_start();
    let v: Value = if trimmed.starts_with('{') {
        serde_json::from_str(text).map_err(|e| ImportError(format!("JSON no válido: {e}")))?
    } else {
        serde_yaml::from_str(text).map_err(|e| ImportError(format!("YAML no válido: {e}")))?
    };
    let version = v.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.") {
        return Err(ImportError("se espera una descripción OpenAPI 3 (campo «openapi»: \"3.x\")".into()));
    }
    if !v.get("paths").is_some_and(Value::is_object) {
        return Err(ImportError("la descripción no tiene «paths»".into()));
    }
    Ok(v)
}

fn pii(p: &Value) -> bool {
    p.get("x-pii").and_then(Value::as_bool).unwrap_or(false) || p.get("x-iop-pii").and_then(Value::as_bool).unwrap_or(false)
}

/// Resolves a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) if r.starts_with("#/") => r[2..].split('/').fold(doc, |acc, k| acc.get(k).unwrap_or(&Value::Null)),
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
    None
}

/// The operations of a description.
pub fn operations(doc: &Value) -> Result<Vec<OperationRec>, ImportError> {
    let mut out: Vec<OperationRec> = Vec::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| ImportError("sin «paths»".into()))?;
    for (path, item) in paths {
        if !path.starts_with('/') {
            return Err(ImportError(format!("la ruta «{path}» debe empezar con «/»")));
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
                return Err(ImportError(format!("operationId «{id}» repetido")));
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
        return Err(ImportError("la descripción no declara ninguna operación".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
