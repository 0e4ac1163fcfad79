//! What the sandbox answers for an operation, decided on import: the document's first example of
//! its first success (document order), with that example's media type and status; a success
//! declared without content answers with no body (a 204); `examples` are read in order and an
//! `externalValue` (never fetched) gives way to the next inline one; with no example at all, an
//! answer generated from the schema (types, formats, enums, required fields), marked as such.

use super::doc::{Doc, escape};
use super::report::{Issue, Item};

/// The sandbox's answer to an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// The media type of the body (none for an answer without body).
    pub media: Option<String>,
    pub body: String,
    /// Made from the schema, not taken from an example.
    pub generated: bool,
}

/// Follows `$ref`s inside the document (any number of hops, cycles end in `None`).
pub fn deref<'a>(doc: &'a Doc, v: &'a Doc) -> Option<&'a Doc> {
    let mut cur = v;
    for _ in 0..32 {
        match cur.get("$ref").and_then(Doc::as_str) {
            Some(r) => cur = local(doc, r)?,
            None => return Some(cur),
        }
    }
    None
}

/// A local reference's target.
pub fn local<'a>(doc: &'a Doc, r: &str) -> Option<&'a Doc> {
    let frag = r.strip_prefix('#')?;
    doc.pointer(&super::decode_fragment(frag))
}

fn status_of(code: &str) -> Option<u16> {
    match code {
        "2XX" | "2xx" => Some(200),
        c => c.parse().ok().filter(|s| (200..300).contains(s)),
    }
}

/// The body of an example as sent: a text example of a non-JSON type goes as it is written.
fn render(media: &str, value: &Doc) -> (String, String) {
    let json_like = media.contains("json") || media == "*/*";
    match value {
        Doc::Str(s) if !json_like => (media.to_owned(), s.clone()),
        v => {
            let media = if media.contains('*') { "application/json" } else { media };
            (media.to_owned(), v.to_json())
        }
    }
}

/// The first inline example of a media type object, warning of `externalValue`s passed over.
fn example_of(doc: &Doc, media: &Doc, at: &str, report: &mut Vec<Item>) -> Option<Doc> {
    if let Some(ex) = media.get("example") {
        return Some(ex.clone());
    }
    for (name, e) in media.get("examples").and_then(Doc::as_object).into_iter().flatten() {
        let Some(e) = deref(doc, e) else { continue };
        if let Some(v) = e.get("value") {
            return Some(v.clone());
        }
        if let Some(url) = e.get("externalValue").and_then(Doc::as_str) {
            report.push(Item::new(Issue::EjemploExterno, format!("{at}/examples/{}", escape(name))).arg("url", url));
        }
    }
    let schema = media.get("schema").and_then(|s| deref(doc, s))?;
    schema
        .get("example")
        .or_else(|| schema.get("examples").and_then(Doc::as_array).and_then(|a| a.first()))
        .cloned()
}

/// The sandbox's answer for `op` (at pointer `at`), or `None` (it answers `sin_ejemplo`).
pub fn answer(doc: &Doc, op: &Doc, at: &str, report: &mut Vec<Item>) -> Option<Answer> {
    let responses = op.get("responses").and_then(Doc::as_object)?;
    let mut codes: Vec<(u16, &String, &Doc)> = responses.iter().filter_map(|(k, r)| Some((status_of(k)?, k, r))).collect();
    codes.sort_by_key(|(s, _, _)| *s);
    for (status, code, r) in &codes {
        let at = format!("{at}/responses/{}", escape(code));
        let Some(r) = deref(doc, r) else { continue };
        for (media, m) in r.get("content").and_then(Doc::as_object).into_iter().flatten() {
            if let Some(ex) = example_of(doc, m, &format!("{at}/content/{}", escape(media)), report) {
                let (media, body) = render(media, &ex);
                return Some(Answer {
                    status: *status,
                    media: Some(media),
                    body,
                    generated: false,
                });
            }
        }
    }
    // No example: the first success as declared. Without content it has no body; with a schema
    // the answer is generated from it.
    let (status, code, r) = codes.first()?;
    let at = format!("{at}/responses/{}", escape(code));
    let r = deref(doc, r)?;
    let content = r.get("content").and_then(Doc::as_object).filter(|c| !c.is_empty());
    let Some(content) = content else {
        return Some(Answer {
            status: *status,
            media: None,
            body: String::new(),
            generated: false,
        });
    };
    for (media, m) in content {
        if let Some(schema) = m.get("schema") {
            let value = generate(doc, schema, 0, &mut Vec::new());
            let (media, body) = render(media, &value);
            report.push(Item::new(Issue::RespuestaGenerada, at.clone()));
            return Some(Answer {
                status: *status,
                media: Some(media),
                body,
                generated: true,
            });
        }
    }
    report.push(Item::new(Issue::SinRespuesta, at));
    None
}

fn text_for(format: Option<&str>, min_len: usize) -> String {
    let s = match format {
        Some("date") => "2024-01-15",
        Some("date-time") => "2024-01-15T10:30:00Z",
        Some("time") => "10:30:00",
        Some("email") => "persona@ejemplo.gob.bo",
        Some("uuid") => "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        Some("uri" | "url" | "iri") => "https://ejemplo.gob.bo/recurso",
        Some("hostname") => "ejemplo.gob.bo",
        Some("ipv4") => "192.0.2.1",
        Some("ipv6") => "2001:db8::1",
        Some("byte") => "ZWplbXBsbw==",
        Some("binary") => "",
        _ => "texto",
    };
    let mut s = s.to_owned();
    while s.chars().count() < min_len {
        s.push('x');
    }
    s
}

fn number(v: Option<&Doc>) -> Option<f64> {
    match v {
        Some(Doc::Num(n)) => n.as_f64(),
        _ => None,
    }
}

/// A value that fits `schema`: its example, default or first enum value if it has one, else
/// built from its type and format; objects with their properties, arrays with one item.
pub fn generate(doc: &Doc, schema: &Doc, depth: usize, seen: &mut Vec<String>) -> Doc {
    if depth > 12 {
        return Doc::Null;
    }
    if let Some(r) = schema.get("$ref").and_then(Doc::as_str) {
        if seen.iter().any(|s| s == r) {
            return Doc::Null; // a recursive schema ends here
        }
        let Some(target) = local(doc, r) else { return Doc::Null };
        seen.push(r.to_owned());
        let v = generate(doc, target, depth + 1, seen);
        seen.pop();
        return v;
    }
    for k in ["const", "example", "default"] {
        if let Some(v) = schema.get(k) {
            return v.clone();
        }
    }
    if let Some(v) = ["enum", "examples"]
        .iter()
        .find_map(|k| schema.get(k).and_then(Doc::as_array).and_then(|a| a.first()))
    {
        return v.clone();
    }
    if let Some(all) = schema.get("allOf").and_then(Doc::as_array) {
        let mut merged = indexmap::IndexMap::new();
        for part in all {
            match generate(doc, part, depth + 1, seen) {
                Doc::Obj(m) => merged.extend(m),
                other if merged.is_empty() && all.len() == 1 => return other,
                _ => {}
            }
        }
        return Doc::Obj(merged);
    }
    for k in ["oneOf", "anyOf"] {
        if let Some(first) = schema.get(k).and_then(Doc::as_array).and_then(|a| a.first()) {
            return generate(doc, first, depth + 1, seen);
        }
    }
    let ty = match schema.get("type") {
        Some(Doc::Str(t)) => Some(t.as_str()),
        Some(Doc::Arr(ts)) => ts.iter().filter_map(Doc::as_str).find(|t| *t != "null"),
        _ => None,
    };
    let ty = ty.or(if schema.get("properties").is_some() {
        Some("object")
    } else if schema.get("items").is_some() {
        Some("array")
    } else {
        None
    });
    match ty {
        Some("object") => {
            let mut out = indexmap::IndexMap::new();
            for (name, p) in schema.get("properties").and_then(Doc::as_object).into_iter().flatten().take(64) {
                let p_resolved = deref(doc, p).unwrap_or(p);
                if p_resolved.get("writeOnly").and_then(Doc::as_bool) == Some(true) {
                    continue;
                }
                out.insert(name.clone(), generate(doc, p, depth + 1, seen));
            }
            Doc::Obj(out)
        }
        Some("array") => {
            let n = number(schema.get("minItems")).unwrap_or(1.0).clamp(1.0, 3.0) as usize;
            let item = schema.get("items").map(|i| generate(doc, i, depth + 1, seen)).unwrap_or(Doc::Null);
            Doc::Arr(vec![item; n])
        }
        Some("string") => {
            let min = number(schema.get("minLength")).unwrap_or(0.0).clamp(0.0, 256.0) as usize;
            Doc::Str(text_for(schema.get("format").and_then(Doc::as_str), min))
        }
        Some("integer") => {
            let min = number(schema.get("minimum")).unwrap_or(0.0).max(-1e15);
            let max = number(schema.get("maximum")).unwrap_or(f64::MAX);
            Doc::Num(serde_json::Number::from((min.ceil().min(max.floor().max(min.ceil()))) as i64))
        }
        Some("number") => {
            let min = number(schema.get("minimum")).unwrap_or(0.0);
            serde_json::Number::from_f64(min).map_or(Doc::Null, Doc::Num)
        }
        Some("boolean") => Doc::Bool(true),
        _ => Doc::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(y: &str) -> Doc {
        serde_norway::from_str(y).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn first_example_in_document_order_with_its_media_type() {
        let d = doc(r#"
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          content:
            text/plain:
              examples:
                zeta: {externalValue: "https://ejemplo.bo/x.txt"}
                beta: {value: "hola"}
                alfa: {value: "adiós"}
"#);
        let op = d.pointer("/paths/~1a/get").cloned().unwrap_or_default();
        let mut report = Vec::new();
        let a = answer(&d, &op, "#/paths/~1a/get", &mut report);
        assert_eq!(
            a,
            Some(Answer {
                status: 200,
                media: Some("text/plain".into()),
                body: "hola".into(),
                generated: false
            })
        );
        assert_eq!(
            report.first().map(|i| (i.issue, i.at.as_str())),
            Some((
                Issue::EjemploExterno,
                "#/paths/~1a/get/responses/200/content/text~1plain/examples/zeta"
            ))
        );
    }

    #[test]
    fn generated_from_the_schema_when_there_is_no_example() {
        let d = doc(r##"
components:
  schemas:
    Nodo:
      type: object
      required: [id]
      properties:
        id: {type: string, format: uuid}
        estado: {type: string, enum: [activo, inactivo]}
        creado: {type: string, format: date-time}
        hijos: {type: array, items: {$ref: "#/components/schemas/Nodo"}}
        cantidad: {type: integer, minimum: 5}
        clave: {type: string, writeOnly: true}
op:
  responses:
    "201":
      description: creado
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Nodo"}
"##);
        let mut report = Vec::new();
        let a = answer(&d, d.at("op"), "#/op", &mut report).unwrap_or_else(|| panic!("sin respuesta"));
        assert_eq!((a.status, a.generated), (201, true));
        assert_eq!(
            a.body,
            r#"{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","estado":"activo","creado":"2024-01-15T10:30:00Z","hijos":[null],"cantidad":5}"#
        );
        assert_eq!(report.first().map(|i| i.issue), Some(Issue::RespuestaGenerada));
    }
}
