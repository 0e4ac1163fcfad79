//! A call's phases, one method each over the call's context ([`Call`]):
//! credentials → authenticate → canonical path → route → authorize → limit → sandbox or forward →
//! record. Any phase may end the call with a [`Refusal`]; every answer, refusal or not, is recorded
//! before it is released.

use crate::Gateway;
use crate::auth::{self, AuthError};
use crate::body::{OutBody, Relay, Upload, UploadState, is_streamed};
use crate::limit::Unauth;
use crate::path::{self, CanonicalPath};
use crate::pool::{Answer, PoolError};
use crate::records::CallRecord;
use crate::refusal::Refusal;
use crate::snapshot::{Consumer, Operation, Route, Segment, Snapshot};
use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Body as _;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use iop_i18n::Lang;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

pub type Body = OutBody;

const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Request headers the platform owns toward the upstream (compared after mapping `_` to `-`):
/// whatever the client sent under these names, or under a name that reads as one of them, is
/// dropped, and the platform sets its own where it has one.
const RESERVED: [&str; 12] = [
    "apikey",
    "api-key",
    "authorization",
    "forwarded",
    "x-real-ip",
    "x-request-id",
    "x-client-request-id",
    "x-consumer-id",
    "x-consumer-username",
    "x-consumer-custom-id",
    "x-credential-identifier",
    "x-anonymous-consumer",
];

/// Header names parsed once, at compile time.
const APIKEY: HeaderName = HeaderName::from_static("apikey");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
const SUNSET: HeaderName = HeaderName::from_static("sunset");
const X_CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-client-request-id");
const X_CONSUMER_ID: HeaderName = HeaderName::from_static("x-consumer-id");
const X_CONSUMER_USERNAME: HeaderName = HeaderName::from_static("x-consumer-username");
const X_CONSUMER_CUSTOM_ID: HeaderName = HeaderName::from_static("x-consumer-custom-id");
const X_CREDENTIAL_IDENTIFIER: HeaderName = HeaderName::from_static("x-credential-identifier");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const X_IOP_SANDBOX: HeaderName = HeaderName::from_static("x-iop-sandbox");

/// The value recorded in place of a query parameter that carries a credential.
pub const HIDDEN: &str = "[oculto]";

/// The gateway's own answer: `{codigo, mensaje, request_id}`, the message in `lang`.
fn json_error(refusal: Refusal, request_id: &str, lang: Lang) -> Response<Body> {
    let body = serde_json::json!({"codigo": refusal.code(), "mensaje": refusal.message(lang), "request_id": request_id});
    let mut res = Response::new(Either::Left(Full::new(Bytes::from(body.to_string()))));
    *res.status_mut() = refusal.status();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
    res
}

/// Strips hop-by-hop headers (and those named by `Connection`).
fn strip_hop_by_hop(h: &mut HeaderMap) {
    let named: Vec<HeaderName> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()).collect::<Vec<_>>())
        .filter_map(|s| HeaderName::from_bytes(s.as_bytes()).ok())
        .collect();
    for n in named {
        h.remove(n);
    }
    for n in HOP_BY_HOP {
        h.remove(n);
    }
}

/// `name` equals `reserved` once `_` is read as `-` (header names are already lowercase).
fn reads_as(name: &str, reserved: &str) -> bool {
    name.len() == reserved.len() && name.bytes().zip(reserved.bytes()).all(|(a, b)| a == b || (a == b'_' && b == b'-'))
}

fn is_reserved(name: &str) -> bool {
    // Every reserved name starts with one of these (most headers are rejected here).
    if !matches!(name.as_bytes().first(), Some(b'a' | b'f' | b'x')) {
        return false;
    }
    let forwarded = name.len() > 12 && name.get(..12).is_some_and(|p| reads_as(p, "x-forwarded-"));
    forwarded || RESERVED.iter().any(|r| reads_as(name, r))
}

/// The request headers as the upstream receives them: no hop-by-hop header, no credential, nothing
/// that reads as a header the platform sets.
fn clean_request_headers(h: &mut HeaderMap) {
    strip_hop_by_hop(h);
    h.remove(header::HOST);
    let drop: Vec<HeaderName> = h.keys().filter(|k| is_reserved(k.as_str())).cloned().collect();
    for n in drop {
        h.remove(n);
    }
}

/// A client's own request id, kept when it is short and plain.
fn client_request_id(h: &HeaderMap) -> Option<String> {
    let v = h.get(&X_REQUEST_ID)?.to_str().ok()?;
    (!v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')))
        .then(|| v.to_owned())
}

fn percent_decoded_lowercase(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.bytes().any(|b| b == b'%' || b == b'+' || b.is_ascii_uppercase()) {
        return std::borrow::Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match (c, path::escape_at(b, i)) {
            (_, Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).to_lowercase())
}

/// What the gateway tells upstreams about a client connection, built once per connection (so no
/// call pays for it).
pub struct Connection {
    pub peer: SocketAddr,
    /// The client's address as records write it.
    ip: Arc<str>,
    forwarded: HeaderValue,
    forwarded_for: HeaderValue,
    proto: HeaderValue,
}

impl Connection {
    pub fn new(peer: SocketAddr, tls: bool) -> Self {
        let proto = if tls { "https" } else { "http" };
        let forwarded = match peer.ip() {
            std::net::IpAddr::V4(v4) => format!("for={v4};proto={proto}"),
            std::net::IpAddr::V6(v6) => format!("for=\"[{v6}]\";proto={proto}"),
        };
        let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("unknown"));
        let ip: Arc<str> = peer.ip().to_string().into();
        Self {
            peer,
            forwarded: value(&forwarded),
            forwarded_for: value(&ip),
            ip,
            proto: HeaderValue::from_static(proto),
        }
    }
}

enum Credential<'a> {
    None,
    ApiKey(&'a str),
    Jwt(&'a str),
}

impl Gateway {
    fn is_credential_param(&self, name: &str) -> bool {
        let n = percent_decoded_lowercase(name);
        self.cfg.credential_query_names.iter().any(|c| **c == *n)
    }

    /// The one credential of a call. Two of them (two `apikey` headers, `apikey` and a bearer
    /// token), or one in the query string, make the call ambiguous: refused, never guessed.
    fn credential<'a>(&self, h: &'a HeaderMap, query: Option<&str>) -> Result<Credential<'a>, Refusal> {
        if let Some(q) = query
            && q.split('&').any(|p| self.is_credential_param(p.split('=').next().unwrap_or(p)))
        {
            return Err(Refusal::CredencialAmbigua);
        }
        let mut keys = h.get_all(&APIKEY).iter();
        let key = keys.next();
        let mut auths = h.get_all(header::AUTHORIZATION).iter();
        let authorization = auths.next();
        if keys.next().is_some() || auths.next().is_some() {
            return Err(Refusal::CredencialAmbigua);
        }
        // Other spellings of the header (`api_key`, `api-key`) are not read, and never passed on.
        let bearer = authorization
            .and_then(|v| v.to_str().ok())
            .and_then(|a| a.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim());
        match (key, bearer) {
            (Some(_), Some(_)) => Err(Refusal::CredencialAmbigua),
            (Some(k), None) => Ok(k.to_str().map(|k| Credential::ApiKey(k.trim())).unwrap_or(Credential::ApiKey(""))),
            (None, Some(t)) => Ok(Credential::Jwt(t)),
            (None, None) => Ok(Credential::None),
        }
    }

    /// Serves one call.
    pub async fn handle(self: Arc<Self>, req: hyper::Request<hyper::body::Incoming>, conn: &Connection) -> Response<Body> {
        let (parts, body) = req.into_parts();
        match parts.uri.path() {
            "/healthz" => return json_plain(StatusCode::OK, r#"{"estado":"vivo"}"#),
            "/readyz" => {
                return if self.ready.get() {
                    json_plain(StatusCode::OK, r#"{"estado":"listo"}"#)
                } else {
                    json_error(Refusal::NoListo, "", lang(&parts.headers))
                };
            }
            _ => {}
        }
        let snap = self.snapshot.load_full();
        let mut call = Call {
            gw: &self,
            snap: &snap,
            start: Instant::now(),
            now_ms: crate::now_ms(),
            conn,
            authenticated: false,
            lang: lang(&parts.headers),
            rec: CallRecord::default(),
            upload: None,
        };
        call.rec = CallRecord {
            ts_ms: call.now_ms,
            request_id: self.ids.next(),
            client_request_id: client_request_id(&parts.headers),
            node: self.cfg.node.clone(),
            client_ip: conn.ip.clone(),
            method: parts.method.to_string(),
            ..Default::default()
        };
        call.run(parts, body).await
    }

    pub(crate) async fn write_aggregate(&self, a: crate::limit::Aggregate) {
        let rec = CallRecord {
            ts_ms: a.window_start_ms,
            request_id: self.ids.next(),
            node: self.cfg.node.clone(),
            client_ip: a.ip.to_string().into(),
            refusal: Some(Refusal::AgregadoSinCredencial.code()),
            status: Refusal::AgregadoSinCredencial.status().as_u16(),
            aggregated: Some(a.count),
            ..Default::default()
        };
        let _ = self.writer.write(&rec).await;
    }
}

/// One call on its way through the phases.
struct Call<'g> {
    gw: &'g Arc<Gateway>,
    snap: &'g Snapshot,
    start: Instant,
    now_ms: i64,
    conn: &'g Connection,
    /// A valid credential was presented (refusals of the others are limited per address).
    authenticated: bool,
    /// The language of the gateway's own answers (Spanish unless `Accept-Language` prefers English).
    lang: Lang,
    rec: CallRecord,
    /// The request body, when it was streamed upstream.
    upload: Option<Arc<UploadState>>,
}

/// The language a call's `Accept-Language` prefers for the gateway's own answers.
fn lang(h: &HeaderMap) -> Lang {
    match h.get(header::ACCEPT_LANGUAGE) {
        None => Lang::Es,
        Some(v) => Lang::from_accept_language(v.to_str().ok()),
    }
}

/// A request's body as the proxy holds it: read whole, or to be streamed (taken by the one
/// attempt that sends it).
enum Outgoing {
    Whole(Bytes),
    Streamed(Option<Upload>, Arc<UploadState>),
}

/// Where a call goes: the route and operation matched on the canonical path.
struct Target<'s> {
    route: &'s Arc<Route>,
    /// What follows the base path, as forwarded.
    rest: String,
    op: Option<&'s Operation>,
}

impl<'g> Call<'g> {
    async fn run(mut self, mut parts: Parts, body: hyper::body::Incoming) -> Response<Body> {
        let query = parts.uri.query();
        let consumer = self.authenticate(&parts.headers, query);
        let path = match path::canonicalize(parts.uri.path()) {
            Ok(p) => p,
            Err((_, valid_prefix)) => {
                self.record_base_only(&valid_prefix);
                return self.refuse(Refusal::RutaNoCanonica).await;
            }
        };
        let target = self.route(&parts.method, &path, query);
        // No service there: 404 whoever asks (deny by default says nothing more).
        if let Err(r @ Refusal::ServicioInexistente) = target {
            return self.refuse(r).await;
        }
        let consumer = match consumer {
            Ok(c) => c,
            Err(r) => return self.refuse(r).await,
        };
        let target = match target {
            Ok(t) => t,
            Err(r) => return self.refuse(r).await,
        };
        let sandbox = self.rec.sandbox;
        if consumer.sandbox_only && !sandbox {
            return self.refuse(Refusal::CredencialSoloSandbox).await;
        }
        let rate = if sandbox {
            None
        } else {
            match self.authorize(&consumer, &target) {
                Ok(rate) => rate,
                Err(r) => return self.refuse(r).await,
            }
        };
        if let Err(res) = self.limit(rate, &consumer, &target) {
            return self.finish(*res, Some(&consumer.system_id)).await;
        }
        let res = if sandbox {
            self.sandbox(&target)
        } else {
            let headers = std::mem::take(&mut parts.headers);
            self.forward(&parts.method, headers, body, &target, query, &consumer).await
        };
        self.finish(res, Some(&consumer.system_id)).await
    }

    /// Phase 1: the call's one credential, checked against the snapshot and the revocations made
    /// since it was built.
    fn authenticate(&mut self, headers: &HeaderMap, query: Option<&str>) -> Result<Arc<Consumer>, Refusal> {
        let consumer = match self.gw.credential(headers, query)? {
            Credential::None => Err(AuthError::Missing),
            Credential::ApiKey(k) => auth::by_api_key(self.snap, &self.gw.keys, k, self.now_ms),
            Credential::Jwt(t) => auth::by_jwt(self.snap, t, self.now_ms),
        }
        .and_then(|c| {
            if self.gw.snapshot.is_revoked(&c.credential_id) {
                Err(AuthError::UnknownKey)
            } else {
                Ok(c)
            }
        })
        .map_err(AuthError::refusal)?;
        self.authenticated = true;
        self.rec.system_id = Some(consumer.system_id.clone());
        self.rec.system_code = Some(consumer.system_code.clone());
        self.rec.credential_id = Some(consumer.credential_id.clone());
        Ok(consumer)
    }

    /// A refused non-canonical path is recorded as the base path it was aimed at, if any: never
    /// what was refused.
    fn record_base_only(&mut self, valid_prefix: &str) {
        let lookup = valid_prefix.strip_prefix("/fake").filter(|p| p.starts_with('/'));
        self.rec.sandbox = lookup.is_some();
        let candidate = format!("{}/", lookup.unwrap_or(valid_prefix));
        match self.snap.route(&candidate) {
            Some((route, _)) => {
                self.rec.service_id = Some(route.service_id.clone());
                self.rec.path = format!("{}{}", if self.rec.sandbox { "/fake" } else { "" }, route.base_path);
            }
            None => self.rec.path = "/".to_owned(),
        }
    }

    /// Phase 2: the service (longest base path; `/fake/…` is its sandbox) and the operation.
    fn route(&mut self, method: &hyper::Method, path: &CanonicalPath<'_>, query: Option<&str>) -> Result<Target<'g>, Refusal> {
        let full = &*path.matching;
        let (sandbox, lookup) = match full.strip_prefix("/fake") {
            Some(rest) if rest.starts_with('/') => (true, rest),
            _ => (false, full),
        };
        self.rec.sandbox = sandbox;
        let Some((route, rest)) = self.snap.route(lookup) else {
            self.rec.path = self.masked(&path.forward, query, None, None);
            return Err(Refusal::ServicioInexistente);
        };
        self.rec.service_id = Some(route.service_id.clone());
        let op = route.operation(method, rest);
        let op_ref = op.ok().flatten();
        self.rec.operation = op_ref.map(|o| o.id.clone());
        let rest_fwd = path.forward_rest(full.len() - rest.len());
        let base_fwd = path.forward.get(..path.forward.len() - rest_fwd.len()).unwrap_or_default();
        self.rec.path = self.masked(base_fwd, query, Some((route, rest_fwd)), op_ref);
        match op {
            Ok(op) => Ok(Target {
                route,
                rest: rest_fwd.to_owned(),
                op,
            }),
            Err(_) => Err(Refusal::OperacionInexistente),
        }
    }

    /// The path and query as they may be recorded: personal identifiers replaced by keyed hashes,
    /// credentials by [`HIDDEN`].
    fn masked(&self, base: &str, query: Option<&str>, rest: Option<(&Route, &str)>, op: Option<&Operation>) -> String {
        let keys = &self.gw.keys;
        let mut out = String::with_capacity(base.len() + rest.map_or(0, |r| r.1.len()) + query.map_or(0, str::len) + 16);
        out.push_str(base);
        if let Some((_, rest)) = rest {
            match op {
                Some(op)
                    if op
                        .segments
                        .iter()
                        .any(|s| matches!(s, Segment::Param { pii: true, .. } | Segment::Pattern { pii: true, .. })) =>
                {
                    for (i, (seg, part)) in op.segments.iter().zip(rest.split('/')).enumerate() {
                        if i > 0 {
                            out.push('/');
                        }
                        match seg {
                            Segment::Param { pii: true, .. } | Segment::Pattern { pii: true, .. } => out.push_str(&keys.pii_hash(part)),
                            _ => out.push_str(part),
                        }
                    }
                }
                _ => out.push_str(rest),
            }
        }
        if let Some(q) = query {
            let route = rest.map(|r| r.0);
            let pii = |name: &str| {
                route.is_some_and(|r| r.pii_query.iter().any(|p| &**p == name))
                    || op.is_some_and(|o| o.pii_query.iter().any(|p| &**p == name))
            };
            out.push('?');
            for (i, pair) in q.split('&').enumerate() {
                if i > 0 {
                    out.push('&');
                }
                match pair.split_once('=') {
                    Some((k, _)) if self.gw.is_credential_param(k) => {
                        out.push_str(k);
                        out.push('=');
                        out.push_str(HIDDEN);
                    }
                    None if self.gw.is_credential_param(pair) => out.push_str(pair),
                    Some((k, v)) if pii(k) => {
                        out.push_str(k);
                        out.push('=');
                        out.push_str(&keys.pii_hash(v));
                    }
                    _ => out.push_str(pair),
                }
            }
        }
        out
    }

    /// Phase 3: a grant valid now that covers the operation; its rate, if it has one. The sandbox
    /// skips it (fictitious data only).
    fn authorize(&mut self, consumer: &Consumer, target: &Target<'_>) -> Result<Option<crate::Rate>, Refusal> {
        let grants = self.snap.grants(&consumer.system_id, &target.route.service_id);
        if grants.is_empty() {
            return Err(Refusal::SinHabilitacion);
        }
        let now = self.now_ms;
        let op_id = target.op.map(|o| &*o.id);
        // Several live grants (from several requests) may cover the call: the most generous rate
        // applies (no rate at all beats any rate).
        let mut live = grants.iter().filter(|g| g.valid_at(now)).peekable();
        if live.peek().is_none() {
            // None in force: all ended (renewal is a new request), or one still to start.
            return Err(if grants.iter().all(|g| g.ended_at(now)) {
                Refusal::HabilitacionVencida
            } else {
                Refusal::HabilitacionNoVigente
            });
        }
        let best = live.filter(|g| g.allows(op_id)).max_by(|a, b| match (a.rate, b.rate) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(x), Some(y)) => x.per_second.total_cmp(&y.per_second),
        });
        let g = best.ok_or(Refusal::OperacionNoHabilitada)?;
        self.rec.grant_id = Some(g.grant_id.clone());
        self.rec.request_code = Some(g.request_code.clone());
        Ok(g.rate)
    }

    /// Phase 4: the grant's rate (or the default one), per consumer × service.
    fn limit(&mut self, rate: Option<crate::Rate>, consumer: &Consumer, target: &Target<'_>) -> Result<(), Box<Response<Body>>> {
        let Some(rate) = rate.or(self.gw.cfg.default_rate) else {
            return Ok(());
        };
        let now_us = self.now_ms * 1000 + i64::from(self.start.elapsed().subsec_micros() % 1000);
        let key = limit_key(self.rec.grant_id.as_deref(), &consumer.system_id, &target.route.service_id);
        let Err(wait) = self.gw.limiter.check(&key, rate, now_us) else {
            return Ok(());
        };
        self.gw.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
        let mut res = json_error(Refusal::LimiteExcedido, &self.rec.request_id, self.lang);
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        self.rec.status = res.status().as_u16();
        self.rec.refusal = Some(Refusal::LimiteExcedido.code());
        Err(Box::new(res))
    }

    /// Phase 5a: the sandbox answers from the description's examples.
    fn sandbox(&mut self, target: &Target<'_>) -> Response<Body> {
        match target.op.and_then(|o| o.example.as_ref()) {
            Some(ex) => {
                let mut res = Response::new(Either::Left(Full::new(ex.body.clone())));
                *res.status_mut() = StatusCode::from_u16(ex.status).unwrap_or(StatusCode::OK);
                // A success the document declares without content has no body and no type.
                if let Some(t) = &ex.content_type {
                    res.headers_mut().insert(header::CONTENT_TYPE, t.clone());
                }
                let mark = if ex.generated { "generado" } else { "ficticio" };
                res.headers_mut().insert(X_IOP_SANDBOX, HeaderValue::from_static(mark));
                res
            }
            None => {
                self.rec.refusal = Some(Refusal::SinEjemplo.code());
                json_error(Refusal::SinEjemplo, &self.rec.request_id, self.lang)
            }
        }
    }

    /// Phase 5b: forwards to the service's upstreams in turn (only a failed connection moves on).
    async fn forward(
        &mut self,
        method: &hyper::Method,
        mut headers: HeaderMap,
        body: hyper::body::Incoming,
        target: &Target<'_>,
        query: Option<&str>,
        consumer: &Consumer,
    ) -> Response<Body> {
        let route = &**target.route;
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > route.max_body_bytes as u64) {
            return self.fail(Refusal::CuerpoMuyGrande);
        }
        // Small bodies of known length are read whole (they may go to another upstream if the
        // first cannot be reached); the rest are streamed, to one upstream only.
        let mut body = if is_streamed(&body.size_hint()) {
            let (upload, state) = Upload::new(body, route.max_body_bytes as u64, self.gw.cfg.body_stall);
            Outgoing::Streamed(Some(upload), state)
        } else if body.is_end_stream() {
            Outgoing::Whole(Bytes::new())
        } else {
            // A body read whole (at most 64 KiB) has the stall time to arrive entirely.
            let read = tokio::time::timeout(self.gw.cfg.body_stall, Limited::new(body, route.max_body_bytes).collect());
            match read.await {
                Err(_) => return self.fail(Refusal::CuerpoLento),
                Ok(Ok(b)) => {
                    let b = b.to_bytes();
                    self.rec.bytes_in = b.len() as u64;
                    Outgoing::Whole(b)
                }
                Ok(Err(_)) => return self.fail(Refusal::CuerpoMuyGrande),
            }
        };
        clean_request_headers(&mut headers);
        let set = |headers: &mut HeaderMap, name: HeaderName, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        };
        let request_id = &self.rec.request_id;
        set(&mut headers, X_REQUEST_ID, request_id);
        if let Some(c) = &self.rec.client_request_id {
            set(&mut headers, X_CLIENT_REQUEST_ID, c);
        }
        set(&mut headers, X_CONSUMER_ID, &consumer.system_id);
        set(&mut headers, X_CONSUMER_USERNAME, &consumer.system_code);
        set(&mut headers, X_CONSUMER_CUSTOM_ID, &consumer.entity_sigla);
        set(&mut headers, X_CREDENTIAL_IDENTIFIER, &consumer.credential_id);
        headers.insert(FORWARDED, self.conn.forwarded.clone());
        headers.insert(X_FORWARDED_FOR, self.conn.forwarded_for.clone());
        headers.insert(X_FORWARDED_PROTO, self.conn.proto.clone());
        if !headers.contains_key(&TRACEPARENT) {
            let trace = format!(
                "00-{}-{}-01",
                pad32(request_id),
                self.gw.ids.next().get(16..32).unwrap_or("0000000000000001")
            );
            set(&mut headers, TRACEPARENT, &trace);
        }
        for (k, v) in &route.upstream_headers {
            headers.insert(k.clone(), v.clone());
        }

        let n = route.upstreams.len().max(1);
        let attempts = if matches!(body, Outgoing::Streamed(..)) { 1 } else { n };
        let first = (self.gw.rr.fetch_add(1, Ordering::Relaxed) as usize) % n;
        let mut last_err = Refusal::ServicioNoDisponible;
        for attempt in 0..attempts {
            let Some(base) = route.upstreams.get((first + attempt) % n) else {
                break;
            };
            let Some(authority) = base.authority() else { break };
            // Origin-form target: the upstream's path prefix, the rest (canonical), the query.
            let prefix = base.path().trim_end_matches('/');
            let uri = match query {
                Some(q) => format!("{prefix}/{}?{q}", target.rest),
                None => format!("{prefix}/{}", target.rest),
            };
            let Ok(uri) = uri.parse::<hyper::Uri>() else { break };
            let up_body = match &mut body {
                Outgoing::Whole(b) => Either::Left(Full::new(b.clone())),
                Outgoing::Streamed(u, _) => match u.take() {
                    Some(u) => Either::Right(u),
                    None => break,
                },
            };
            let mut up = hyper::Request::new(up_body);
            *up.method_mut() = method.clone();
            *up.uri_mut() = uri;
            *up.headers_mut() = if attempt + 1 == attempts {
                std::mem::take(&mut headers)
            } else {
                headers.clone()
            };
            if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
                up.headers_mut().insert(header::HOST, v);
            }
            let tls = if base.scheme_str() == Some("https") {
                route.tls.as_ref()
            } else {
                None
            };
            let sent = self
                .gw
                .pool
                .send(authority.as_str(), tls, route.connect_timeout, up, self.gw.cfg.max_response_bytes);
            // The upstream has `timeout` to answer once it has the whole request: a streamed
            // body's own time does not count against it.
            let answered = match &body {
                Outgoing::Streamed(_, state) => {
                    tokio::pin!(sent);
                    tokio::select! {
                        r = &mut sent => Ok(r),
                        () = state.ended.notified() => tokio::time::timeout(route.timeout, sent).await,
                    }
                }
                Outgoing::Whole(_) => tokio::time::timeout(route.timeout, sent).await,
            };
            if let Outgoing::Streamed(_, state) = &body {
                self.rec.bytes_in = state.bytes();
                self.upload = Some(state.clone());
                if state.over() {
                    return self.fail(Refusal::CuerpoMuyGrande);
                }
                if state.slow() {
                    return self.fail(Refusal::CuerpoLento);
                }
                if state.broke() {
                    return self.fail(Refusal::CuerpoInterrumpido);
                }
            }
            match answered {
                Err(_) => {
                    self.gw.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
                    return self.fail(Refusal::TiempoAgotado);
                }
                Ok(Err(PoolError::Connect)) if attempt + 1 < attempts => continue,
                Ok(Err(PoolError::Connect | PoolError::Send)) => break,
                Ok(Err(PoolError::TooBig)) => {
                    last_err = Refusal::RespuestaMuyGrande;
                    break;
                }
                Ok(Err(PoolError::Body)) => {
                    last_err = Refusal::RespuestaInterrumpida;
                    break;
                }
                Ok(Ok(answer)) => {
                    let (mut p, out) = match answer {
                        Answer::Whole(p, bytes) => {
                            self.rec.bytes_out = bytes.len() as u64;
                            (p, Either::Left(Full::new(bytes)))
                        }
                        Answer::Streamed { parts, body, give_back } => {
                            let relay = Relay::new(body, self.gw.cfg.max_response_bytes as u64, give_back);
                            (parts, Either::Right(Box::new(relay)))
                        }
                    };
                    self.rec.upstream_status = Some(p.status.as_u16());
                    strip_hop_by_hop(&mut p.headers);
                    // Set again from the body (whole: its length; streamed: the upstream's, if known).
                    p.headers.remove(header::CONTENT_LENGTH);
                    for h in &self.gw.cfg.strip_response_headers {
                        p.headers.remove(h);
                    }
                    if let Some(d) = route.deprecation.as_ref().filter(|d| self.now_ms >= d.from_ms) {
                        p.headers.insert(DEPRECATION, d.deprecation.clone());
                        if let Some(s) = &d.sunset {
                            p.headers.insert(SUNSET, s.clone());
                        }
                    }
                    return Response::from_parts(p, out);
                }
            }
        }
        self.gw.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
        self.fail(last_err)
    }

    /// An answer of the gateway's own after the call was let through (upstream failures, body
    /// too large): recorded with its code.
    fn fail(&mut self, r: Refusal) -> Response<Body> {
        self.rec.refusal = Some(r.code());
        json_error(r, &self.rec.request_id, self.lang)
    }

    /// Ends the call with a refusal. Refusals of callers without a valid credential are limited
    /// per address, and past a number per window only counted in one aggregate record.
    async fn refuse(mut self, r: Refusal) -> Response<Body> {
        self.rec.status = r.status().as_u16();
        self.rec.refusal = Some(r.code());
        if !self.authenticated {
            self.gw.metrics.unauthenticated.fetch_add(1, Ordering::Relaxed);
            let (verdict, flushed) = self.gw.unauth.refusal(self.conn.peer.ip(), self.now_ms);
            if let Some(a) = flushed {
                self.gw.write_aggregate(a).await;
            }
            match verdict {
                Unauth::Record => {}
                Unauth::Count => return respond(json_error(r, &self.rec.request_id, self.lang), &self.rec.request_id),
                Unauth::Throttle => {
                    let mut res = json_error(Refusal::DemasiadosRechazos, &self.rec.request_id, self.lang);
                    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                    return respond(res, &self.rec.request_id);
                }
            }
        }
        let res = json_error(r, &self.rec.request_id, self.lang);
        let consumer = self.rec.system_id.clone();
        self.finish(res, consumer.as_ref()).await
    }

    /// Records the call, then releases the response (never the other way round). A streamed
    /// answer's completion record follows when its body ends.
    async fn finish(mut self, mut res: Response<Body>, consumer: Option<&Arc<str>>) -> Response<Body> {
        let rec = &mut self.rec;
        rec.latency_us = self.start.elapsed().as_micros() as u64;
        if rec.status == 0 {
            rec.status = res.status().as_u16();
        }
        let relayed = matches!(res.body(), Either::Right(_));
        if relayed {
            rec.part = Some("inicio");
        }
        if let (Some(svc), Some(c)) = (rec.service_id.as_ref(), consumer) {
            self.gw.metrics.observe(svc, c, rec.status, rec.latency_us);
        }
        if !self.gw.writer.write(rec).await {
            return json_error(Refusal::RegistroNoDisponible, &rec.request_id, self.lang);
        }
        if let Either::Right(relay) = res.body_mut() {
            let (gw, start, upload) = (self.gw.clone(), self.start, self.upload.take());
            let mut end = rec.clone();
            relay.on_end(Box::new(move |sent, cut| {
                end.part = Some("fin");
                end.cut = cut;
                end.bytes_out = sent;
                end.latency_us = start.elapsed().as_micros() as u64;
                if let Some(u) = upload {
                    end.bytes_in = u.bytes();
                }
                // Dropped on the connection's task (inside the runtime); the answer is already out,
                // so nothing waits for this record but the chain.
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move {
                        let _ = gw.writer.write(&end).await;
                    });
                }
            }));
        }
        respond(res, &rec.request_id)
    }
}

fn respond(mut res: Response<Body>, request_id: &str) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        res.headers_mut().insert(X_REQUEST_ID, v);
    }
    res
}

/// Limits are per consumer × service: keyed by the grant (or, for the default rate, by system and
/// service), so that a rotated credential does not reset the count.
fn limit_key<'a>(grant: Option<&'a str>, system: &'a str, service: &'a str) -> [&'a str; 2] {
    match grant {
        Some(g) => [g, ""],
        None => [system, service],
    }
}

fn pad32(id: &str) -> String {
    let hex: String = id
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_lowercase())
        .take(32)
        .collect();
    format!("{hex:0>32}")
}

fn json_plain(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut res = Response::new(Either::Left(Full::new(Bytes::from_static(body.as_bytes()))));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_that_read_as_reserved_ones_are_dropped() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("x_consumer_id", "falso"),
            ("x-consumer-id", "falso"),
            ("X_Request_Id", "falso"),
            ("x-forwarded-for", "10.0.0.1"),
            ("x_forwarded_host", "evil"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=10.0.0.1"),
            ("x-real-ip", "10.0.0.1"),
            ("api_key", "iop_k_x"),
            ("apikey", "iop_k_x"),
            ("authorization", "Bearer x"),
            ("connection", "x-mio"),
            ("x-mio", "hop"),
            ("x-consumidor", "se queda"),
            ("accept", "application/json"),
        ] {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap_or_else(|e| panic!("{e}")),
                HeaderValue::from_static(v),
            );
        }
        clean_request_headers(&mut h);
        let mut left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["accept", "x-consumidor"]);
    }

    #[test]
    fn client_request_ids_are_short_and_plain() {
        let id = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert("x-request-id", HeaderValue::from_static(v));
            client_request_id(&h)
        };
        assert_eq!(id("abc-123_x.y"), Some("abc-123_x.y".into()));
        assert_eq!(id("con espacio"), None);
        assert_eq!(id("a/b"), None);
        assert_eq!(id("x".repeat(65).leak()), None);
        assert_eq!(id(""), None);
    }
}
