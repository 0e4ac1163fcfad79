//! The request phases: route → authenticate → authorize → limit → forward (or answer from the
//! sandbox) → record. Each refusal is a JSON body `{codigo, mensaje, request_id}` in Spanish.

use crate::Gateway;
use crate::auth::{self, AuthError};
use crate::limit::Unauth;
use crate::pool::PoolError;
use crate::records::CallRecord;
use crate::snapshot::{Consumer, Operation, Route, Segment};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

pub type Body = Full<Bytes>;

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

fn json_error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response<Body> {
    let body = serde_json::json!({"codigo": code, "mensaje": message, "request_id": request_id});
    let mut res = Response::new(Full::new(Bytes::from(body.to_string())));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
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

/// The path and query as they may be recorded: personal identifiers replaced by keyed hashes.
fn masked_path(gw: &Gateway, path: &str, query: Option<&str>, base_len: usize, route: Option<&Route>, op: Option<&Operation>) -> String {
    let mut out = String::with_capacity(path.len() + 16);
    match op {
        Some(op) if op.segments.iter().any(|s| matches!(s, Segment::Param { pii: true, .. })) => {
            out.push_str(&path[..base_len.min(path.len())]);
            let rest = &path[base_len.min(path.len())..];
            let mut first = true;
            let parts = rest.split('/').filter(|p| !p.is_empty());
            for (seg, part) in op.segments.iter().zip(parts) {
                if !first {
                    out.push('/');
                }
                first = false;
                match seg {
                    Segment::Param { pii: true, .. } => out.push_str(&gw.keys.pii_hash(part)),
                    _ => out.push_str(part),
                }
            }
        }
        _ => out.push_str(path),
    }
    if let Some(q) = query {
        out.push('?');
        let pii = |name: &str| {
            route.is_some_and(|r| r.pii_query.iter().any(|p| &**p == name)) || op.is_some_and(|o| o.pii_query.iter().any(|p| &**p == name))
        };
        let mut first = true;
        for pair in q.split('&') {
            if !first {
                out.push('&');
            }
            first = false;
            match pair.split_once('=') {
                Some((k, v)) if pii(k) => {
                    out.push_str(k);
                    out.push('=');
                    out.push_str(&gw.keys.pii_hash(v));
                }
                _ => out.push_str(pair),
            }
        }
    }
    out
}

enum Credential<'a> {
    None,
    ApiKey(&'a str),
    Jwt(&'a str),
}

fn credential(h: &HeaderMap) -> Credential<'_> {
    if let Some(k) = h.get("apikey").and_then(|v| v.to_str().ok()) {
        return Credential::ApiKey(k.trim());
    }
    if let Some(a) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some((scheme, token)) = a.split_once(' ')
        && scheme.eq_ignore_ascii_case("bearer")
    {
        return Credential::Jwt(token.trim());
    }
    Credential::None
}

impl Gateway {
    /// Serves one call.
    pub async fn handle(self: Arc<Self>, req: Request<hyper::body::Incoming>, peer: SocketAddr) -> Response<Body> {
        let start = Instant::now();
        let now_ms = crate::now_ms();
        let path = req.uri().path().to_owned();
        match path.as_str() {
            "/healthz" => return json_plain(StatusCode::OK, r#"{"estado":"vivo"}"#),
            "/readyz" => {
                return if self.ready.get() {
                    json_plain(StatusCode::OK, r#"{"estado":"listo"}"#)
                } else {
                    json_plain(
                        StatusCode::SERVICE_UNAVAILABLE,
                        r#"{"codigo":"no_listo","mensaje":"el almacén no está disponible"}"#,
                    )
                };
            }
            _ => {}
        }
        let request_id = match req.headers().get("x-request-id").and_then(|v| v.to_str().ok()) {
            Some(id) if !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()) => id.to_owned(),
            _ => self.ids.next(),
        };
        let mut rec = CallRecord {
            ts_ms: now_ms,
            request_id: request_id.clone(),
            node: self.cfg.node.clone(),
            client_ip: peer.ip().to_string(),
            method: req.method().to_string(),
            ..Default::default()
        };
        let query = req.uri().query().map(str::to_owned);
        let snap = self.snapshot.load_full();

        // Phase 1, authenticate (before routing, so that refusals of callers without a valid
        // credential are all limited and aggregated alike).
        let auth: Result<Arc<Consumer>, AuthError> = match credential(req.headers()) {
            Credential::None => Err(AuthError::Missing),
            Credential::ApiKey(k) => auth::by_api_key(&snap, &self.keys, k, now_ms),
            Credential::Jwt(t) => auth::by_jwt(&snap, t, now_ms),
        };
        // Revoked since the snapshot was built: refused at once.
        let auth = auth.and_then(|c| {
            if self.snapshot.is_revoked(&c.credential_id) {
                Err(AuthError::UnknownKey)
            } else {
                Ok(c)
            }
        });
        if let Ok(c) = &auth {
            rec.system_id = Some(c.system_id.clone());
            rec.system_code = Some(c.system_code.clone());
            rec.credential_id = Some(c.credential_id.clone());
        }

        // Phase 2, route: `/fake/<entidad>/v<N>/…` is the sandbox of the same service.
        let (sandbox, lookup) = match path.strip_prefix("/fake/") {
            Some(_) => (true, &path[5..]),
            None => (false, path.as_str()),
        };
        rec.sandbox = sandbox;
        let Some((route, rest)) = snap.route(lookup) else {
            rec.path = masked_path(&self, &path, query.as_deref(), 0, None, None);
            return self
                .refuse(
                    rec,
                    peer.ip(),
                    auth.is_ok(),
                    StatusCode::NOT_FOUND,
                    "servicio_inexistente",
                    "no hay ningún servicio publicado en esa ruta",
                    start,
                    now_ms,
                )
                .await;
        };
        let route = route.clone();
        let rest = rest.to_owned();
        rec.service_id = Some(route.service_id.clone());
        let base_len = path.len() - rest.len();
        let op = route.operation(req.method(), &rest);
        let op_ref = op.ok().flatten();
        rec.operation = op_ref.map(|o| o.id.clone());
        rec.path = masked_path(&self, &path, query.as_deref(), base_len, Some(&route), op_ref);

        let consumer = match auth {
            Ok(c) => c,
            Err(e) => {
                return self
                    .refuse(
                        rec,
                        peer.ip(),
                        false,
                        StatusCode::UNAUTHORIZED,
                        e.code(),
                        e.message(),
                        start,
                        now_ms,
                    )
                    .await;
            }
        };
        let Ok(op) = op else {
            return self
                .refuse(
                    rec,
                    peer.ip(),
                    true,
                    StatusCode::NOT_FOUND,
                    "operacion_inexistente",
                    "el servicio no tiene esa operación (método y ruta)",
                    start,
                    now_ms,
                )
                .await;
        };
        let op_id = op.map(|o| o.id.clone());

        // Phase 3, authorize (the sandbox serves any valid credential, fictitious data only).
        let mut rate = None;
        if !sandbox {
            let grants = snap.grants(&consumer.system_id, &route.service_id);
            if grants.is_empty() {
                return self
                    .refuse(
                        rec,
                        peer.ip(),
                        true,
                        StatusCode::FORBIDDEN,
                        "sin_habilitacion",
                        "su sistema no tiene habilitado el consumo de este servicio",
                        start,
                        now_ms,
                    )
                    .await;
            }
            let live: Vec<_> = grants.iter().filter(|g| g.valid_at(now_ms)).collect();
            if live.is_empty() {
                return self
                    .refuse(
                        rec,
                        peer.ip(),
                        true,
                        StatusCode::FORBIDDEN,
                        "habilitacion_no_vigente",
                        "la habilitación de su sistema para este servicio no está vigente",
                        start,
                        now_ms,
                    )
                    .await;
            }
            // Several live grants (from several requests) may cover the call: the most generous
            // rate applies (no rate at all beats any rate).
            let best = live
                .iter()
                .filter(|g| g.allows(op_id.as_deref()))
                .max_by(|a, b| match (a.rate, b.rate) {
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (Some(x), Some(y)) => x.per_second.total_cmp(&y.per_second),
                });
            let Some(g) = best else {
                return self
                    .refuse(
                        rec,
                        peer.ip(),
                        true,
                        StatusCode::FORBIDDEN,
                        "operacion_no_habilitada",
                        "su habilitación no incluye esta operación",
                        start,
                        now_ms,
                    )
                    .await;
            };
            rec.grant_id = Some(g.grant_id.clone());
            rec.request_code = Some(g.request_code.clone());
            rate = g.rate;
        }

        // Phase 4, limit.
        if let Some(rate) = rate.or(self.cfg.default_rate) {
            let now_us = now_ms * 1000 + i64::from(start.elapsed().subsec_micros() % 1000);
            if let Err(wait) = self.limiter.check(
                &limit_key(rec.grant_id.as_deref(), &consumer.system_id, &route.service_id),
                rate,
                now_us,
            ) {
                self.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
                let mut res = json_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "limite_excedido",
                    "superó el límite de llamadas de su habilitación; reintente más tarde",
                    &request_id,
                );
                if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                rec.status = 429;
                rec.refusal = Some("limite_excedido");
                return self.finish(rec, res, start, Some(&consumer.system_id)).await;
            }
        }

        // Phase 5, the sandbox answers from the description's examples.
        if sandbox {
            let res = match op.and_then(|o| o.example.as_ref()) {
                Some((status, body)) => {
                    let mut res = Response::new(Full::new(body.clone()));
                    *res.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
                    res.headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    res.headers_mut().insert("x-iop-sandbox", HeaderValue::from_static("ficticio"));
                    rec.status = res.status().as_u16();
                    res
                }
                None => {
                    rec.refusal = Some("sin_ejemplo");
                    rec.status = 501;
                    json_error(
                        StatusCode::NOT_IMPLEMENTED,
                        "sin_ejemplo",
                        "la descripción del servicio no tiene un ejemplo para esta operación",
                        &request_id,
                    )
                }
            };
            return self.finish(rec, res, start, Some(&consumer.system_id)).await;
        }

        // Phase 6, forward.
        let res = self
            .forward(req, &route, &rest, query.as_deref(), &consumer, &request_id, &mut rec)
            .await;
        self.finish(rec, res, start, Some(&consumer.system_id)).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn refuse(
        &self,
        mut rec: CallRecord,
        ip: std::net::IpAddr,
        authenticated: bool,
        status: StatusCode,
        code: &'static str,
        msg: &str,
        start: Instant,
        now_ms: i64,
    ) -> Response<Body> {
        rec.status = status.as_u16();
        rec.refusal = Some(code);
        if !authenticated {
            self.metrics.unauthenticated.fetch_add(1, Ordering::Relaxed);
            let (verdict, flushed) = self.unauth.refusal(ip, now_ms);
            if let Some(a) = flushed {
                self.write_aggregate(a).await;
            }
            match verdict {
                Unauth::Record => {}
                Unauth::Count => {
                    let res = json_error(status, code, msg, &rec.request_id);
                    return self.respond(res, &rec.request_id);
                }
                Unauth::Throttle => {
                    let mut res = json_error(
                        StatusCode::TOO_MANY_REQUESTS,
                        "demasiados_rechazos",
                        "demasiadas llamadas sin credencial válida desde su dirección; espere un minuto",
                        &rec.request_id,
                    );
                    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                    return self.respond(res, &rec.request_id);
                }
            }
        }
        let res = json_error(status, code, msg, &rec.request_id);
        let consumer = rec.system_id.clone();
        self.finish(rec, res, start, consumer.as_ref()).await
    }

    pub(crate) async fn write_aggregate(&self, a: crate::limit::Aggregate) {
        let rec = CallRecord {
            ts_ms: a.window_start_ms,
            request_id: self.ids.next(),
            node: self.cfg.node.clone(),
            client_ip: a.ip.to_string(),
            refusal: Some("agregado_sin_credencial"),
            status: 401,
            aggregated: Some(a.count),
            ..Default::default()
        };
        let _ = self.writer.write(&rec).await;
    }

    fn respond(&self, mut res: Response<Body>, request_id: &str) -> Response<Body> {
        if let Ok(v) = HeaderValue::from_str(request_id) {
            res.headers_mut().insert("x-request-id", v);
        }
        res
    }

    /// Records the call, then releases the response (never the other way round).
    async fn finish(&self, mut rec: CallRecord, res: Response<Body>, start: Instant, consumer: Option<&Arc<str>>) -> Response<Body> {
        rec.latency_us = start.elapsed().as_micros() as u64;
        if rec.status == 0 {
            rec.status = res.status().as_u16();
        }
        if let (Some(svc), Some(c)) = (rec.service_id.as_ref(), consumer) {
            self.metrics.observe(svc, c, rec.status, rec.latency_us);
        }
        if !self.writer.write(&rec).await {
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "registro_no_disponible",
                "no se pudo registrar la llamada; no se entrega la respuesta",
                &rec.request_id,
            );
        }
        let id = rec.request_id.clone();
        self.respond(res, &id)
    }

    #[allow(clippy::too_many_arguments)]
    async fn forward(
        &self,
        req: Request<hyper::body::Incoming>,
        route: &Route,
        rest: &str,
        query: Option<&str>,
        consumer: &Consumer,
        request_id: &str,
        rec: &mut CallRecord,
    ) -> Response<Body> {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > route.max_body_bytes as u64) {
            rec.refusal = Some("cuerpo_muy_grande");
            return json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "cuerpo_muy_grande",
                "el cuerpo de la petición supera el máximo del servicio",
                request_id,
            );
        }
        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, route.max_body_bytes).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                rec.refusal = Some("cuerpo_muy_grande");
                return json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "cuerpo_muy_grande",
                    "el cuerpo de la petición supera el máximo del servicio",
                    request_id,
                );
            }
        };
        rec.bytes_in = body.len() as u64;
        let mut headers = parts.headers;
        strip_hop_by_hop(&mut headers);
        headers.remove("apikey");
        headers.remove(header::AUTHORIZATION);
        headers.remove(header::HOST);
        for h in [
            "x-consumer-id",
            "x-consumer-username",
            "x-consumer-custom-id",
            "x-credential-identifier",
            "x-anonymous-consumer",
        ] {
            headers.remove(h);
        }
        let set = |headers: &mut HeaderMap, name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        };
        set(&mut headers, "x-request-id", request_id);
        set(&mut headers, "x-consumer-id", &consumer.system_id);
        set(&mut headers, "x-consumer-username", &consumer.system_code);
        set(&mut headers, "x-consumer-custom-id", &consumer.entity_sigla);
        set(&mut headers, "x-credential-identifier", &consumer.credential_id);
        if !headers.contains_key("traceparent") {
            let trace = format!("00-{}-{}-01", pad32(request_id), &self.ids.next()[16..32]);
            set(&mut headers, "traceparent", &trace);
        }
        for (k, v) in &route.upstream_headers {
            headers.insert(k.clone(), v.clone());
        }

        let n = route.upstreams.len().max(1);
        let first = (self.rr.fetch_add(1, Ordering::Relaxed) as usize) % n;
        let mut last_err = "servicio_no_disponible";
        for attempt in 0..n {
            let Some(base) = route.upstreams.get((first + attempt) % n) else {
                break;
            };
            let Some(authority) = base.authority() else { break };
            // Origin-form target: the upstream's path prefix, the rest, the query.
            let prefix = base.path().trim_end_matches('/');
            let target = match query {
                Some(q) => format!("{prefix}/{rest}?{q}"),
                None => format!("{prefix}/{rest}"),
            };
            let Ok(uri) = target.parse::<hyper::Uri>() else { break };
            let mut up = Request::new(Full::new(body.clone()));
            *up.method_mut() = parts.method.clone();
            *up.uri_mut() = uri;
            *up.headers_mut() = if attempt + 1 == n {
                std::mem::take(&mut headers)
            } else {
                headers.clone()
            };
            if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
                up.headers_mut().insert(header::HOST, v);
            }
            match tokio::time::timeout(
                route.timeout,
                self.pool.send(
                    authority.as_str(),
                    if base.scheme_str() == Some("https") {
                        route.tls.as_ref()
                    } else {
                        None
                    },
                    up,
                    self.cfg.max_response_bytes,
                ),
            )
            .await
            {
                Err(_) => {
                    self.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
                    rec.refusal = Some("tiempo_agotado");
                    return json_error(
                        StatusCode::GATEWAY_TIMEOUT,
                        "tiempo_agotado",
                        "el servicio de la entidad publicadora no respondió a tiempo",
                        request_id,
                    );
                }
                Ok(Err(PoolError::Connect)) if attempt + 1 < n => continue,
                Ok(Err(PoolError::Connect | PoolError::Send)) => break,
                Ok(Err(PoolError::TooBig)) => {
                    last_err = "respuesta_muy_grande";
                    break;
                }
                Ok(Ok((mut p, bytes))) => {
                    rec.upstream_status = Some(p.status.as_u16());
                    rec.bytes_out = bytes.len() as u64;
                    strip_hop_by_hop(&mut p.headers);
                    p.headers.remove(header::CONTENT_LENGTH);
                    return Response::from_parts(p, Full::new(bytes));
                }
            }
        }
        self.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
        rec.refusal = Some(last_err);
        json_error(
            StatusCode::BAD_GATEWAY,
            last_err,
            "no se pudo obtener respuesta del servicio de la entidad publicadora",
            request_id,
        )
    }
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
    let mut res = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}
