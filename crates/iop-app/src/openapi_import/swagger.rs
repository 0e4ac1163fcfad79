//! Swagger 2.0 (OpenAPI 2) converted to OpenAPI 3.0.3 on import, so the sandbox, the access
//! documentation and the filtered description read one format. The original is kept beside the
//! conversion; what has no OpenAPI 3 equivalent is named in the import report.
//!
//! What moves: `host`/`basePath`/`schemes` → `servers`; `definitions`, `parameters`,
//! `responses`, `securityDefinitions` → `components` (body parameters → `requestBodies`); `body`
//! and `formData` parameters → `requestBody` with the operation's (or the document's) `consumes`;
//! response `schema` and `examples` → `content` per `produces` type, in the document's order;
//! parameter schema keywords → `schema`; `collectionFormat` → `style`/`explode`; `type: file` →
//! binary strings; `x-nullable` → `nullable`; every `$ref` rewritten to its new place.

use super::METHODS;
use super::doc::{Doc, Map, escape};
use super::report::{Issue, Item};

const SCHEMA_KEYS: [&str; 17] = [
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
    "x-nullable",
];

struct Conv<'a> {
    src: &'a Doc,
    report: &'a mut Vec<Item>,
    consumes: Vec<String>,
    produces: Vec<String>,
    /// The document's body parameters (`#/parameters/x` with `in: body`): references to them
    /// become `#/components/requestBodies/x`.
    body_names: Vec<String>,
}

fn strings(v: Option<&Doc>) -> Option<Vec<String>> {
    v.and_then(Doc::as_array)
        .map(|a| a.iter().filter_map(Doc::as_str).map(str::to_owned).collect())
}

/// Rewrites `$ref`s to their OpenAPI 3 places and Swagger-only schema keywords, in place.
fn rewrite(node: &mut Doc, body_params: &[String]) {
    match node {
        Doc::Obj(m) => {
            if let Some(Doc::Str(r)) = m.get_mut("$ref") {
                let new = if let Some(rest) = r.strip_prefix("#/definitions/") {
                    Some(format!("#/components/schemas/{rest}"))
                } else if let Some(rest) = r.strip_prefix("#/parameters/") {
                    if body_params.iter().any(|b| b == rest) {
                        Some(format!("#/components/requestBodies/{rest}"))
                    } else {
                        Some(format!("#/components/parameters/{rest}"))
                    }
                } else {
                    r.strip_prefix("#/responses/").map(|rest| format!("#/components/responses/{rest}"))
                };
                if let Some(n) = new {
                    *r = n;
                }
            }
            if m.get("type").and_then(Doc::as_str) == Some("file") {
                m.insert("type".into(), Doc::str("string"));
                m.insert("format".into(), Doc::str("binary"));
            }
            if let Some(n) = m.shift_remove("x-nullable") {
                m.insert("nullable".into(), n);
            }
            if let Some(Doc::Str(d)) = m.get("discriminator").cloned() {
                m.insert("discriminator".into(), Doc::obj([("propertyName", Doc::Str(d))]));
            }
            for v in m.values_mut() {
                rewrite(v, body_params);
            }
        }
        Doc::Arr(a) => a.iter_mut().for_each(|v| rewrite(v, body_params)),
        _ => {}
    }
}

impl<'a> Conv<'a> {
    /// A non-body parameter: its schema keywords move under `schema`.
    fn parameter(&mut self, p: &Doc, at: &str) -> Doc {
        let Some(m) = p.as_object() else { return p.clone() };
        if m.contains_key("$ref") {
            return p.clone();
        }
        let mut out = Map::new();
        let mut schema = Map::new();
        for (k, v) in m {
            if SCHEMA_KEYS.contains(&k.as_str()) {
                schema.insert(k.clone(), v.clone());
            } else if k == "collectionFormat" {
                let fmt = v.as_str().unwrap_or("csv");
                let in_query = m.get("in").and_then(Doc::as_str) == Some("query");
                match fmt {
                    "multi" => {
                        out.insert("style".into(), Doc::str("form"));
                        out.insert("explode".into(), Doc::Bool(true));
                    }
                    "csv" => {
                        out.insert("style".into(), Doc::str(if in_query { "form" } else { "simple" }));
                        out.insert("explode".into(), Doc::Bool(false));
                    }
                    "ssv" if in_query => {
                        out.insert("style".into(), Doc::str("spaceDelimited"));
                    }
                    "pipes" if in_query => {
                        out.insert("style".into(), Doc::str("pipeDelimited"));
                    }
                    other => self.report.push(
                        Item::new(Issue::SwaggerPerdido, format!("{at}/collectionFormat")).arg("que", format!("collectionFormat: {other}")),
                    ),
                }
            } else if !k.starts_with("x-") && !matches!(k.as_str(), "name" | "in" | "description" | "required" | "allowEmptyValue") {
                self.report
                    .push(Item::new(Issue::SwaggerPerdido, format!("{at}/{}", escape(k))).arg("que", k));
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
        if !schema.is_empty() {
            let mut s = Doc::Obj(schema);
            rewrite(&mut s, &[]);
            out.insert("schema".into(), s);
        }
        Doc::Obj(out)
    }

    /// `content` for each media type, with the schema and the example given for it.
    fn content(types: &[String], schema: Option<&Doc>, examples: Option<&Map>) -> Map {
        let mut content = Map::new();
        let mut all: Vec<String> = examples.map(|e| e.keys().cloned().collect()).unwrap_or_default();
        for t in types {
            if !all.contains(t) {
                all.push(t.clone());
            }
        }
        for t in all {
            let mut media = Map::new();
            if let Some(s) = schema {
                media.insert("schema".into(), s.clone());
            }
            if let Some(ex) = examples.and_then(|e| e.get(&t)) {
                media.insert("example".into(), ex.clone());
            }
            content.insert(t, Doc::Obj(media));
        }
        content
    }

    fn response(&mut self, r: &Doc, produces: &[String]) -> Doc {
        let Some(m) = r.as_object() else { return r.clone() };
        if m.contains_key("$ref") {
            return r.clone();
        }
        let mut out = Map::new();
        out.insert("description".into(), m.get("description").cloned().unwrap_or_else(|| Doc::str("")));
        if let Some(Doc::Obj(h)) = m.get("headers") {
            let headers: Map = h
                .iter()
                .map(|(k, v)| {
                    let mut schema = Map::new();
                    let mut header = Map::new();
                    for (hk, hv) in v.as_object().into_iter().flatten() {
                        if SCHEMA_KEYS.contains(&hk.as_str()) {
                            schema.insert(hk.clone(), hv.clone());
                        } else {
                            header.insert(hk.clone(), hv.clone());
                        }
                    }
                    header.insert("schema".into(), Doc::Obj(schema));
                    (k.clone(), Doc::Obj(header))
                })
                .collect();
            out.insert("headers".into(), Doc::Obj(headers));
        }
        let schema = m.get("schema");
        let examples = m.get("examples").and_then(Doc::as_object);
        if schema.is_some() || examples.is_some() {
            let types: Vec<String> = if produces.is_empty() {
                vec!["application/json".into()]
            } else {
                produces.to_vec()
            };
            out.insert("content".into(), Doc::Obj(Self::content(&types, schema, examples)));
        }
        for (k, v) in m.iter().filter(|(k, _)| k.starts_with("x-")) {
            out.insert(k.clone(), v.clone());
        }
        Doc::Obj(out)
    }

    fn operation(&mut self, op: &Doc, shared: &[Doc], at: &str) -> Doc {
        let Some(m) = op.as_object() else { return op.clone() };
        let consumes = strings(m.get("consumes")).unwrap_or_else(|| self.consumes.clone());
        let produces = strings(m.get("produces")).unwrap_or_else(|| self.produces.clone());
        let mut out = Map::new();
        let mut params = Vec::new();
        let mut body: Option<Doc> = None;
        let mut form = Map::new();
        let mut form_required = Vec::new();
        let mut has_file = false;
        let own: Vec<(usize, &Doc)> = m
            .get("parameters")
            .and_then(Doc::as_array)
            .map(|a| a.iter().enumerate().collect())
            .unwrap_or_default();
        // Shared parameters not overridden by the operation's own (same name and place).
        let key = |p: &Doc| {
            let p = self.deref_param(p);
            (
                p.get("name").and_then(Doc::as_str).map(str::to_owned),
                p.get("in").and_then(Doc::as_str).map(str::to_owned),
            )
        };
        let own_keys: Vec<_> = own.iter().map(|(_, p)| key(p)).collect();
        let mut all: Vec<(String, Doc)> = shared
            .iter()
            .enumerate()
            .filter(|(_, p)| !own_keys.contains(&key(p)))
            .map(|(i, p)| {
                (
                    format!("{}/parameters/{i}", at.rsplit_once('/').map_or(at, |(item, _)| item)),
                    p.clone(),
                )
            })
            .collect();
        all.extend(own.into_iter().map(|(i, p)| (format!("{at}/parameters/{i}"), p.clone())));
        for (pat, p) in all {
            let resolved = self.deref_param(&p).clone();
            let place = resolved.get("in").and_then(Doc::as_str).unwrap_or("");
            match place {
                "body" => {
                    let rb = match p.get("$ref").and_then(Doc::as_str).and_then(|r| r.strip_prefix("#/parameters/")) {
                        Some(name) => Doc::obj([("$ref", Doc::str(format!("#/components/requestBodies/{name}")))]),
                        None => self.request_body(&resolved, &consumes),
                    };
                    body = Some(rb);
                }
                "formData" => {
                    let name = resolved.get("name").and_then(Doc::as_str).unwrap_or("").to_owned();
                    if resolved.get("required").and_then(Doc::as_bool) == Some(true) {
                        form_required.push(Doc::str(name.clone()));
                    }
                    if resolved.get("type").and_then(Doc::as_str) == Some("file") {
                        has_file = true;
                    }
                    let converted = self.parameter(&resolved, &pat);
                    let mut schema = converted.get("schema").cloned().unwrap_or_else(|| Doc::obj([]));
                    if let (Some(d), Some(s)) = (resolved.get("description"), schema.as_object_mut()) {
                        s.insert("description".into(), d.clone());
                    }
                    form.insert(name, schema);
                }
                _ => params.push(if p.get("$ref").is_some() {
                    p.clone()
                } else {
                    self.parameter(&p, &pat)
                }),
            }
        }
        for (k, v) in m {
            match k.as_str() {
                "parameters" | "consumes" | "produces" => {}
                "schemes" => self
                    .report
                    .push(Item::new(Issue::SwaggerPerdido, format!("{at}/schemes")).arg("que", "schemes")),
                "responses" => {
                    let rs: Map = v
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(code, r)| (code.clone(), self.response(r, &produces)))
                        .collect();
                    out.insert("responses".into(), Doc::Obj(rs));
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        if !params.is_empty() {
            out.insert("parameters".into(), Doc::Arr(params));
        }
        if !form.is_empty() {
            let mime = if has_file || consumes.iter().any(|c| c == "multipart/form-data") {
                "multipart/form-data"
            } else {
                "application/x-www-form-urlencoded"
            };
            let mut schema = Map::new();
            schema.insert("type".into(), Doc::str("object"));
            schema.insert("properties".into(), Doc::Obj(form));
            if !form_required.is_empty() {
                schema.insert("required".into(), Doc::Arr(form_required));
            }
            body = Some(Doc::obj([(
                "content",
                Doc::obj([(mime, Doc::obj([("schema", Doc::Obj(schema))]))]),
            )]));
        }
        if let Some(b) = body {
            out.insert("requestBody".into(), b);
        }
        let mut op = Doc::Obj(out);
        rewrite(&mut op, &self.body_names);
        op
    }

    fn deref_param<'d>(&self, p: &'d Doc) -> &'d Doc
    where
        'a: 'd,
    {
        match p.get("$ref").and_then(Doc::as_str).and_then(|r| r.strip_prefix("#/parameters/")) {
            Some(name) => self
                .src
                .get("parameters")
                .and_then(|ps| ps.get(&super::doc::unescape(name)))
                .unwrap_or(p),
            None => p,
        }
    }

    fn request_body(&self, p: &Doc, consumes: &[String]) -> Doc {
        let types: Vec<String> = if consumes.is_empty() {
            vec!["application/json".into()]
        } else {
            consumes.to_vec()
        };
        let mut out = Map::new();
        if let Some(d) = p.get("description") {
            out.insert("description".into(), d.clone());
        }
        out.insert(
            "content".into(),
            Doc::Obj(Self::content(&types, p.get("schema"), p.get("x-examples").and_then(Doc::as_object))),
        );
        if let Some(r) = p.get("required") {
            out.insert("required".into(), r.clone());
        }
        Doc::Obj(out)
    }
}

/// Converts a Swagger 2.0 document; what is lost is added to `report`.
pub fn convert(src: &Doc, report: &mut Vec<Item>) -> Doc {
    report.push(Item::new(Issue::SwaggerConvertido, "#/swagger"));
    let body_names = body_param_names(src);
    let mut c = Conv {
        src,
        report,
        consumes: strings(src.get("consumes")).unwrap_or_default(),
        produces: strings(src.get("produces")).unwrap_or_default(),
        body_names: body_names.clone(),
    };
    let mut out = Map::new();
    out.insert("openapi".into(), Doc::str("3.0.3"));
    out.insert("info".into(), src.get("info").cloned().unwrap_or_else(|| Doc::obj([])));
    // servers from host, basePath and schemes.
    let base = src.get("basePath").and_then(Doc::as_str).unwrap_or("");
    let servers: Vec<Doc> = match src.get("host").and_then(Doc::as_str) {
        Some(host) => strings(src.get("schemes"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| vec!["https".into()])
            .iter()
            .map(|s| Doc::obj([("url", Doc::str(format!("{s}://{host}{base}")))]))
            .collect(),
        None if !base.is_empty() => vec![Doc::obj([("url", Doc::str(base))])],
        None => Vec::new(),
    };
    if !servers.is_empty() {
        out.insert("servers".into(), Doc::Arr(servers));
    }
    for k in ["tags", "externalDocs", "security"] {
        if let Some(v) = src.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    // paths
    let mut paths = Map::new();
    for (path, item) in src.get("paths").and_then(Doc::as_object).into_iter().flatten() {
        let at = format!("#/paths/{}", escape(path));
        let Some(im) = item.as_object() else { continue };
        let shared: Vec<Doc> = im
            .get("parameters")
            .and_then(Doc::as_array)
            .map(<[Doc]>::to_vec)
            .unwrap_or_default();
        let mut new_item = Map::new();
        for (k, v) in im {
            if METHODS.contains(&k.as_str()) {
                new_item.insert(k.clone(), c.operation(v, &shared, &format!("{at}/{k}")));
            } else if k == "parameters" {
                let plain: Vec<(usize, &Doc)> = shared
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !matches!(c.deref_param(p).get("in").and_then(Doc::as_str), Some("body" | "formData")))
                    .collect();
                let ps: Vec<Doc> = plain
                    .into_iter()
                    .map(|(i, p)| {
                        if p.get("$ref").is_some() {
                            p.clone()
                        } else {
                            c.parameter(p, &format!("{at}/parameters/{i}"))
                        }
                    })
                    .collect();
                if !ps.is_empty() {
                    let mut ps = Doc::Arr(ps);
                    rewrite(&mut ps, &body_names);
                    new_item.insert("parameters".into(), ps);
                }
            } else {
                let mut v = v.clone();
                rewrite(&mut v, &body_names);
                new_item.insert(k.clone(), v);
            }
        }
        paths.insert(path.clone(), Doc::Obj(new_item));
    }
    out.insert("paths".into(), Doc::Obj(paths));
    // components
    let mut comp = Map::new();
    if let Some(d) = src.get("definitions") {
        let mut d = d.clone();
        rewrite(&mut d, &body_names);
        comp.insert("schemas".into(), d);
    }
    let mut params = Map::new();
    let mut bodies = Map::new();
    for (name, p) in src.get("parameters").and_then(Doc::as_object).into_iter().flatten() {
        let at = format!("#/parameters/{}", escape(name));
        if p.get("in").and_then(Doc::as_str) == Some("body") {
            let mut b = c.request_body(p, &c.consumes.clone());
            rewrite(&mut b, &body_names);
            bodies.insert(name.clone(), b);
        } else if p.get("in").and_then(Doc::as_str) == Some("formData") {
            c.report
                .push(Item::new(Issue::SwaggerPerdido, at).arg("que", "formData (parameters)"));
        } else {
            params.insert(name.clone(), c.parameter(p, &at));
        }
    }
    if !params.is_empty() {
        comp.insert("parameters".into(), Doc::Obj(params));
    }
    if !bodies.is_empty() {
        comp.insert("requestBodies".into(), Doc::Obj(bodies));
    }
    if let Some(rs) = src.get("responses").and_then(Doc::as_object) {
        let produces = c.produces.clone();
        let mut out_rs = Map::new();
        for (k, r) in rs {
            let mut r = c.response(r, &produces);
            rewrite(&mut r, &body_names);
            out_rs.insert(k.clone(), r);
        }
        comp.insert("responses".into(), Doc::Obj(out_rs));
    }
    if let Some(sd) = src.get("securityDefinitions").and_then(Doc::as_object) {
        let schemes: Map = sd
            .iter()
            .map(|(k, s)| {
                (
                    k.clone(),
                    security_scheme(s, c.report, &format!("#/securityDefinitions/{}", escape(k))),
                )
            })
            .collect();
        comp.insert("securitySchemes".into(), Doc::Obj(schemes));
    }
    if !comp.is_empty() {
        out.insert("components".into(), Doc::Obj(comp));
    }
    for (k, v) in src.as_object().into_iter().flatten().filter(|(k, _)| k.starts_with("x-")) {
        out.insert(k.clone(), v.clone());
    }
    Doc::Obj(out)
}

fn security_scheme(s: &Doc, report: &mut Vec<Item>, at: &str) -> Doc {
    match s.get("type").and_then(Doc::as_str) {
        Some("basic") => Doc::obj([("type", Doc::str("http")), ("scheme", Doc::str("basic"))]),
        Some("oauth2") => {
            let flow = match s.get("flow").and_then(Doc::as_str) {
                Some("implicit") => "implicit",
                Some("password") => "password",
                Some("application") => "clientCredentials",
                Some("accessCode") => "authorizationCode",
                other => {
                    report
                        .push(Item::new(Issue::SwaggerPerdido, format!("{at}/flow")).arg("que", format!("flow: {}", other.unwrap_or("?"))));
                    "implicit"
                }
            };
            let mut f = Map::new();
            for (from, to) in [("authorizationUrl", "authorizationUrl"), ("tokenUrl", "tokenUrl")] {
                if let Some(v) = s.get(from) {
                    f.insert(to.into(), v.clone());
                }
            }
            f.insert("scopes".into(), s.get("scopes").cloned().unwrap_or_else(|| Doc::obj([])));
            Doc::obj([("type", Doc::str("oauth2")), ("flows", Doc::obj([(flow, Doc::Obj(f))]))])
        }
        _ => s.clone(),
    }
}

/// The document's body parameters (`#/parameters/x` with `in: body`).
fn body_param_names(src: &Doc) -> Vec<String> {
    src.get("parameters")
        .and_then(Doc::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, p)| p.get("in").and_then(Doc::as_str) == Some("body"))
        .map(|(k, _)| k.clone())
        .collect()
}
