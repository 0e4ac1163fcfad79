//! The gateway over real sockets, with real upstreams: what PR05's step 4 granted goes through,
//! everything else is refused, and every call is recorded with the legal chain behind it.

use crate::helpers::*;
use crate::upstream;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub struct Access {
    pub request_code: String,
    pub key: String,
    pub iss: String,
    pub secret: String,
}

/// Runs a publication request through PR05 and configures its connector and description.
pub async fn publish(app: &App, w: &World, upstream: &str, timeout_ms: u32) -> String {
    let (service, base) = publish_with(app, w, "consulta", 3, upstream, timeout_ms, Some(upstream::DESCRIPTION)).await;
    assert_eq!(base, "/segip/consulta/v3/");
    service
}

/// Publishes service `code` version `version` through PR05 with a connector to `upstream` and,
/// if given, a description; returns the service id and its base path.
pub async fn publish_with(
    app: &App,
    w: &World,
    code: &str,
    version: u32,
    upstream: &str,
    timeout_ms: u32,
    description: Option<&str>,
) -> (String, String) {
    let connector = json!({"origenes": [upstream], "tiempo_espera_ms": timeout_ms, "max_cuerpo_bytes": 1024,
                           "autenticacion": {"tipo": "cabecera", "nombre": "x-clave-origen", "valor": "secreto-del-origen"}});
    let (id, mut published) = publish_services(app, w, &[(code, version)], connector, description).await;
    let (service, base) = published.pop().unwrap_or_default();
    let c = app.get(&format!("/api/v1/servicios/{service}/conector"), w.t("lider")).await.ok();
    assert_eq!(c["autenticacion_con_valor"], true);
    let staged = app.get(&format!("/api/v1/solicitudes/{id}/publicacion"), w.t("lider")).await.ok();
    assert!(
        !c.to_string().contains("secreto-del-origen") && !staged.to_string().contains("secreto-del-origen"),
        "connector secrets are never returned"
    );
    (service, base)
}

/// Runs a consumption request through step 4 with `grant` (merged into the access) and two new
/// credentials; returns what the consuming entity receives.
pub async fn consume(app: &App, w: &World, service: &str, grant: Value) -> Access {
    let (id, code) = consumption(app, w, &[service]).await;
    to_leader(app, w, &id).await;
    let mut access = json!({"sistema_id": w.system, "servicio_id": service});
    if let (Some(a), Some(g)) = (access.as_object_mut(), grant.as_object()) {
        a.extend(g.clone());
    }
    let r = app
        .act(
            &id,
            w.t("lider"),
            json!({"accion": "habilitar", "habilitacion": {"accesos": [access], "emitir_credenciales": ["apikey", "jwt_hs256"]}}),
        )
        .await
        .ok();
    // The Líder's answer names what was issued, never a secret: the requesting unit retrieves it.
    let pending = r["credenciales_emitidas"].as_array().cloned().unwrap_or_default();
    assert_eq!(pending.len(), 2, "{r}");
    assert!(
        pending
            .iter()
            .all(|i| i["pendiente_de_retiro"] == true && i["clave"].is_null() && i["secreto"].is_null()),
        "{r}"
    );
    let issued = retrieve(app, w, &id).await;
    assert_eq!(issued.len(), 2, "{issued:?}");
    // Secrets are shown once: reading the request again does not show them.
    let again = app.request(&id).await;
    assert!(again.get("credenciales_emitidas").is_none());
    let key = issued.iter().find_map(|i| i["clave"].as_str()).unwrap_or_default().to_owned();
    assert!(key.starts_with("iop_k_") && key.len() >= 6 + 32, "{key}");
    assert!(!again.to_string().contains(&key));
    let jwt = issued.iter().find(|i| i["iss"].is_string()).cloned().unwrap_or_default();
    Access {
        request_code: code,
        key,
        iss: jwt["iss"].as_str().unwrap_or_default().to_owned(),
        secret: jwt["secreto"].as_str().unwrap_or_default().to_owned(),
    }
}

/// A Solicitante of the requesting unit retrieves the request's pending credentials (once).
pub async fn retrieve(app: &App, w: &World, request: &str) -> Vec<Value> {
    let r = app
        .post(&format!("/api/v1/solicitudes/{request}/accesos/retirar"), w.t("colega"), json!({}))
        .await
        .ok();
    r["credenciales"].as_array().cloned().unwrap_or_default()
}

pub fn jwt(secret: &str, claims: Value) -> String {
    iop_gateway::auth::sign_hs256(secret.as_bytes(), &claims)
}

pub fn now_s() -> i64 {
    iop_gateway::now_ms() / 1000
}

impl App {
    pub async fn gw(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Resp {
        let mut r = self.client.request(method, format!("{}{path}", self.gateway));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        if let Some(b) = body {
            r = r.body(b);
        }
        App::read(r.send().await.unwrap_or_else(|e| panic!("{path}: {e}"))).await
    }

    /// The gateway's metrics, read as the Administrador.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default()
    }

    /// Waits (generously) until a gateway call answers `status`.
    pub async fn gw_until(&self, path: &str, headers: &[(&str, &str)], status: u16) -> Resp {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = self.gw(Method::GET, path, headers, None).await;
            if r.status.as_u16() == status {
                return r;
            }
            assert!(Instant::now() < deadline, "{path} still answers {} {}", r.status, r.body);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the call with this request id is in the audit log; returns the record as chained.
    pub async fn record(&self, token: &str, request_id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = self
                .get(&format!("/api/v1/auditoria?cadena=llamadas&request_id={request_id}"), token)
                .await
                .ok();
            if let Some(x) = r["registros"].as_array().and_then(|a| a.first()) {
                return x["registro"].clone();
            }
            assert!(Instant::now() < deadline, "no record for {request_id}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// (path, headers, expected status, expected code)
type Case<'a> = (&'a str, Vec<(&'a str, String)>, u16, &'a str);

fn rid(r: &Resp) -> String {
    r.headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn granted_calls_pass_and_everything_else_is_refused_and_recorded() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", up.addr), 1000).await;
    let a = consume(&app, &w, &service, json!({"operaciones": ["consultar-persona", "eco", "lento"]})).await;
    let key = a.key.as_str();

    // Allowed, by API key: the upstream answers through the gateway.
    let r = app.gw_until("/segip/consulta/v3/personas/7654321", &[("apikey", key)], 200).await;
    assert_eq!((r.body["ci"].as_str(), r.body["origen"].as_str()), (Some("7654321"), Some("uno")));
    let id = rid(&r);
    assert_eq!(id.len(), 32);

    // What reached the upstream: identity, request id, trace context, the connector's own
    // credential; never the consumer's credential nor hop-by-hop headers.
    let h = up.seen.all().pop().unwrap_or_default();
    assert_eq!(h.get("x-request-id").and_then(|v| v.to_str().ok()), Some(id.as_str()));
    assert_eq!(h.get("x-consumer-id").and_then(|v| v.to_str().ok()), Some(w.system.as_str()));
    assert_eq!(h.get("x-consumer-username").and_then(|v| v.to_str().ok()), Some("tramites"));
    assert_eq!(h.get("x-clave-origen").and_then(|v| v.to_str().ok()), Some("secreto-del-origen"));
    assert!(h.get("traceparent").is_some());
    assert!(h.get("apikey").is_none() && h.get("authorization").is_none());

    // The same through HTTP/2 (prior knowledge, as gRPC-era clients do).
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let r = h2
        .get(format!("{}/segip/consulta/v3/personas/1", app.gateway))
        .header("apikey", key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.version(), r.status().as_u16()), (reqwest::Version::HTTP_2, 200));

    // Allowed, by JWT (HS256, iss = credential key), with exp in the future; credentials never
    // reach the upstream either way; a client's traceparent passes through; hop-by-hop is stripped.
    let token = jwt(&a.secret, json!({"iss": a.iss, "exp": now_s() + 60}));
    let bearer = format!("Bearer {token}");
    let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let r = app
        .gw(
            Method::POST,
            "/segip/consulta/v3/eco",
            &[
                ("authorization", bearer.as_str()),
                ("traceparent", tp),
                ("connection", "x-secreto"),
                ("x-secreto", "1"),
            ],
            Some(b"hola".to_vec()),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.body["bytes"].as_i64()), (200, Some(4)), "{}", r.body);
    let h = up.seen.all().pop().unwrap_or_default();
    assert_eq!(h.get("traceparent").and_then(|v| v.to_str().ok()), Some(tp));
    assert!(h.get("authorization").is_none() && h.get("x-secreto").is_none());
    for seen in up.seen.all() {
        for (_, v) in seen.iter() {
            let v = v.to_str().unwrap_or("");
            assert!(
                !v.contains(key) && !v.contains(&token) && !v.contains(&a.secret),
                "a consumer credential reached the upstream"
            );
        }
    }

    // Refusals.
    let wrong_key = "iop_k_0000000000000000000000000000000000000000000000000000000000000000";
    let cases: Vec<Case> = vec![
        ("/segip/consulta/v3/personas/1", vec![], 401, "credencial_requerida"),
        (
            "/segip/consulta/v3/personas/1",
            vec![("apikey", wrong_key.into())],
            401,
            "credencial_invalida",
        ),
        (
            "/segip/consulta/v3/personas/1",
            vec![(
                "authorization",
                format!("Bearer {}", jwt(&a.secret, json!({"iss": a.iss, "exp": now_s() - 5}))),
            )],
            401,
            "credencial_vencida",
        ),
        (
            "/segip/consulta/v3/personas/1",
            vec![(
                "authorization",
                format!(
                    "Bearer {}",
                    jwt(&a.secret, json!({"iss": a.iss, "nbf": now_s() + 300, "exp": now_s() + 600}))
                ),
            )],
            401,
            "jwt_aun_no_valido",
        ),
        (
            "/segip/consulta/v3/personas/1",
            vec![("authorization", format!("Bearer {}", jwt("otro-secreto", json!({"iss": a.iss}))))],
            401,
            "jwt_firma_invalida",
        ),
        (
            "/segip/consulta/v3/personas/1",
            vec![("authorization", "Bearer no.es.jwt".into())],
            401,
            "jwt_mal_formado",
        ),
        (
            "/segip/consulta/v3/certificados/9",
            vec![("apikey", key.into())],
            403,
            "operacion_no_habilitada",
        ),
        (
            "/segip/consulta/v3/inexistente",
            vec![("apikey", key.into())],
            404,
            "operacion_inexistente",
        ),
        ("/otra/v1/cosa", vec![("apikey", key.into())], 404, "servicio_inexistente"),
    ];
    for (path, headers, status, code) in &cases {
        let hs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = app.gw(Method::GET, path, &hs, None).await;
        assert_eq!((r.status.as_u16(), r.code()), (*status, *code), "{path}: {}", r.body);
        assert!(r.body["mensaje"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // alg: none, and algorithm confusion (the HS256 secret presented as RS256/HS512, or no
    // signature at all) are refused before any key is used.
    let claims = URL_SAFE_NO_PAD.encode(json!({"iss": a.iss}).to_string());
    for alg in ["none", "RS256", "ES256", "HS512"] {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
        let signed = iop_gateway::auth::hmac256(a.secret.as_bytes(), format!("{header}.{claims}").as_bytes());
        for sig in [String::new(), URL_SAFE_NO_PAD.encode(signed)] {
            let bearer = format!("Bearer {header}.{claims}.{sig}");
            let r = app
                .gw(
                    Method::GET,
                    "/segip/consulta/v3/personas/1",
                    &[("authorization", bearer.as_str())],
                    None,
                )
                .await;
            assert_eq!((r.status.as_u16(), r.code()), (401, "jwt_algoritmo_no_admitido"), "{alg}");
        }
    }

    // A valid credential of a system without a grant: 403.
    let entity = entity_of(&app, &w).await;
    let other = app
        .post(
            "/api/v1/sistemas",
            &app.admin_token,
            json!({"entidad_id": entity, "codigo": "otro-sistema", "nombre": "Otro sistema"}),
        )
        .await
        .ok();
    let issued = app
        .post(
            &format!("/api/v1/sistemas/{}/credenciales", other["id"].as_str().unwrap_or("")),
            w.t("lider"),
            json!({"tipo": "apikey"}),
        )
        .await
        .ok();
    let other_key = issued["clave"].as_str().unwrap_or_default().to_owned();
    let r = app
        .gw_until("/segip/consulta/v3/personas/1", &[("apikey", other_key.as_str())], 403)
        .await;
    assert_eq!(r.code(), "sin_habilitacion");
    // ...which the sandbox serves, from the description's examples, with no upstream call.
    let before = up.seen.all().len();
    let r = app
        .gw(
            Method::GET,
            "/fake/segip/consulta/v3/personas/1",
            &[("apikey", other_key.as_str())],
            None,
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["nombres"].as_str()),
        (200, Some("EJEMPLO")),
        "{}",
        r.body
    );
    assert_eq!(r.headers.get("x-iop-sandbox").and_then(|v| v.to_str().ok()), Some("ficticio"));
    assert_eq!(up.seen.all().len(), before, "the sandbox never calls the upstream");
    let es = app
        .gw(Method::GET, "/fake/segip/consulta/v3/personas/1", &[], None)
        .await
        .expect(401, "credencial_requerida");
    // The gateway's own answers speak Spanish unless the caller prefers English.
    let r = app
        .gw(
            Method::GET,
            "/fake/segip/consulta/v3/personas/1",
            &[("accept-language", "en-US,en;q=0.9,es;q=0.5")],
            None,
        )
        .await;
    assert_eq!(r.headers.get("content-language").and_then(|v| v.to_str().ok()), Some("en"));
    let en = r.expect(401, "credencial_requerida");
    assert!(es["mensaje"].as_str().unwrap_or("").starts_with("envíe su credencial"), "{es}");
    assert!(en["mensaje"].as_str().unwrap_or("").starts_with("send your credential"), "{en}");

    // Oversized body (the connector allows 1024 bytes): 413, declared or streamed.
    let r = app
        .gw(Method::POST, "/segip/consulta/v3/eco", &[("apikey", key)], Some(vec![b'x'; 4096]))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "cuerpo_muy_grande"));
    // The same without a declared length (chunked, so streamed upstream): refused once it grows
    // past the maximum, and the upstream's echo never answers it.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(app.gateway.trim_start_matches("http://"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let piece = "x".repeat(700);
        let head = format!(
            "POST /segip/consulta/v3/eco HTTP/1.1\r\nHost: gw\r\napikey: {key}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        );
        let chunk = format!("{:x}\r\n{piece}\r\n", piece.len());
        let _ = s.write_all(format!("{head}{chunk}{chunk}0\r\n\r\n").as_bytes()).await;
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("cuerpo_muy_grande"), "{answer}");
    }

    // Slow upstream (it takes 3 s; the connector waits 1 s): 504, in JSON, no hang.
    let t = Instant::now();
    let r = app.gw(Method::GET, "/segip/consulta/v3/lento", &[("apikey", key)], None).await;
    assert_eq!((r.status.as_u16(), r.code()), (504, "tiempo_agotado"));
    assert!(t.elapsed() < Duration::from_secs(3));

    // Every call is recorded, with the grant and the PR05 request behind it (the legal chain),
    // and personal identifiers only as keyed hashes.
    let rec = app.record(&app.admin_token, &id).await;
    assert_eq!(rec["request_code"], a.request_code.as_str());
    assert_eq!(
        (rec["status"].as_i64(), rec["upstream_status"].as_i64(), rec["operation"].as_str()),
        (Some(200), Some(200), Some("consultar-persona"))
    );
    assert!(
        rec["path"].as_str().unwrap_or("").starts_with("/segip/consulta/v3/personas/hmac:"),
        "{rec}"
    );
    assert!(
        !rec.to_string().contains("7654321"),
        "the identity card number is not kept in clear"
    );
    assert!(
        rec["seq"].as_i64().is_some() && rec["prev"].as_str().is_some_and(|p| p.len() == 64),
        "{rec}"
    );
    // The legal chain: the call, the grant that let it through, the request, its supporting
    // document and its approved Nota Interna.
    let grant_id = rec["grant_id"].as_str().unwrap_or_default().to_owned();
    // Steps 5–7: the Nota Interna is drafted and approved.
    for (who, body) in [
        ("lider", note()),
        ("resp", act("aprobar_nota_adas")),
        ("jefe", act("aprobar_nota_upat")),
    ] {
        app.act(&a.request_code, w.t(who), body).await.ok();
    }
    let chain = app.get(&format!("/api/v1/auditoria/llamadas/{id}"), &app.admin_token).await.ok();
    assert_eq!(chain["habilitacion"]["id"], grant_id.as_str(), "{chain}");
    assert_eq!(chain["solicitud"]["codigo"], a.request_code.as_str());
    assert!(
        chain["solicitud"]["documento"]["sha256"].is_string(),
        "and the request to its supporting document"
    );
    assert!(
        chain["solicitud"]["nota"]["numero"]
            .as_str()
            .is_some_and(|n| n.starts_with("AGETIC/NI/")),
        "{chain}"
    );
    assert_eq!(chain["solicitud"]["estado"], "nota_aprobada_upat", "{chain}");
    let refused = app
        .gw(Method::GET, "/segip/consulta/v3/certificados/9", &[("apikey", key)], None)
        .await;
    let rec = app.record(&app.admin_token, &rid(&refused)).await;
    assert_eq!(
        (rec["status"].as_i64(), rec["refusal"].as_str()),
        (Some(403), Some("operacion_no_habilitada"))
    );
    let chain = app
        .get(&format!("/api/v1/auditoria/llamadas/{}", rid(&refused)), &app.admin_token)
        .await
        .ok();
    assert!(chain["habilitacion"].is_null(), "a refused call has no grant behind it: {chain}");

    // Metrics: they name consumers, so only an Administrador (or the metrics token) reads them.
    let anonymous = app.client.get(format!("{}/metrics", app.base)).send().await;
    assert_eq!(anonymous.map(|r| r.status().as_u16()).ok(), Some(401));
    let requester = app.client.get(format!("{}/metrics", app.base)).bearer_auth(w.t("sol")).send().await;
    assert_eq!(requester.map(|r| r.status().as_u16()).ok(), Some(403));
    let m = app.metrics().await;
    assert!(
        m.contains(&format!(
            "iop_gateway_calls_total{{service=\"{service}\",consumer=\"{}\",status=\"2xx\"}}",
            w.system
        )),
        "{m}"
    );
    assert!(m.contains("iop_gateway_upstream_errors_total 1"));
    assert!(m.contains("iop_gateway_snapshot_version"));
}

async fn entity_of(app: &App, w: &World) -> String {
    let s = app.get("/api/v1/sistemas", &app.admin_token).await.ok()["resultados"].clone();
    s.as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == w.system.as_str()))
        .and_then(|x| x["entidad_id"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn revocation_rotation_limits_outages_and_live_config_changes() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let one = upstream::start("uno").await;
    let two = upstream::start("dos").await;
    let service = publish(&app, &w, &format!("http://{}/base", one.addr), 2000).await;
    let a = consume(&app, &w, &service, json!({"limite_por_segundo": 0.5, "rafaga": 3})).await;
    let key = a.key.clone();
    let token = jwt(&a.secret, json!({"iss": a.iss, "exp": now_s() + 3600}));
    let bearer = format!("Bearer {token}");

    // Rate limit per consumer × service: a burst of 3, then 429 with Retry-After. The calls go out
    // together, so that a loaded machine cannot space them out enough to earn tokens back.
    app.gw_until("/segip/consulta/v3/personas/1", &[("apikey", key.as_str())], 200)
        .await;
    let h = [("apikey", key.as_str())];
    let call = || app.gw(Method::GET, "/segip/consulta/v3/personas/1", &h, None);
    let (r1, r2, r3, r4, r5) = tokio::join!(call(), call(), call(), call(), call());
    let all = [r1, r2, r3, r4, r5];
    let statuses: Vec<u16> = all.iter().map(|r| r.status.as_u16()).collect();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let limited: Vec<&Resp> = all.iter().filter(|r| r.status.as_u16() == 429).collect();
    // At most the 2 tokens left of the burst (3 if the machine was slow enough to earn one back).
    assert!(
        (1..=3).contains(&ok) && limited.len() + ok == 5 && limited.len() >= 2,
        "{statuses:?}"
    );
    for r in limited {
        assert_eq!(r.code(), "limite_excedido");
        let retry = r
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        assert!(retry.is_some_and(|s| (1..=3).contains(&s)), "{retry:?}");
    }

    // A live configuration change (new upstream) applies with no restart.
    let service_path = format!("/api/v1/servicios/{service}/conector");
    let c = app
        .call(
            Method::PUT,
            &service_path,
            Some(w.t("lider")),
            Some(json!({"origenes": [format!("http://{}/base", two.addr)], "tiempo_espera_ms": 2000})),
        )
        .await
        .ok();
    assert_eq!(c["version"], 2);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = app
            .gw(
                Method::GET,
                "/segip/consulta/v3/personas/2",
                &[("authorization", bearer.as_str())],
                None,
            )
            .await;
        if r.body["origen"] == "dos" {
            break;
        }
        assert!(Instant::now() < deadline, "the new upstream was not used: {}", r.body);
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    let versions = app.get(&format!("{service_path}/versiones"), w.t("lider")).await.ok();
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "connector versions are kept");

    // Upstream down: 502 in JSON, with a code, quickly.
    let down = upstream::closed_port().await;
    app.call(
        Method::PUT,
        &service_path,
        Some(w.t("lider")),
        Some(json!({"origenes": [format!("http://{down}/base")]})),
    )
    .await
    .ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = app
            .gw(
                Method::GET,
                "/segip/consulta/v3/personas/3",
                &[("authorization", bearer.as_str())],
                None,
            )
            .await;
        if r.status.as_u16() == 502 {
            assert_eq!(r.code(), "servicio_no_disponible");
            break;
        }
        assert!(Instant::now() < deadline, "still {}", r.status);
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    let probe = app
        .post(&format!("/api/v1/servicios/{service}/probar"), w.t("lider"), json!({}))
        .await
        .ok();
    assert_eq!(probe[0]["ok"], false);
    app.call(
        Method::PUT,
        &service_path,
        Some(w.t("lider")),
        Some(json!({"origenes": [format!("http://{}/base", one.addr)]})),
    )
    .await
    .ok();
    let probe = app
        .post(&format!("/api/v1/servicios/{service}/probar"), w.t("lider"), json!({}))
        .await
        .ok();
    assert_eq!(probe[0]["ok"], true, "{probe}");

    // Rotation with no overlap: the old key stops, the new one works.
    let creds = app
        .get(&format!("/api/v1/sistemas/{}/credenciales", w.system), w.t("lider"))
        .await
        .ok()["resultados"]
        .clone();
    assert!(!creds.to_string().contains(&key), "listings never show secrets");
    let key_cred = creds
        .as_array()
        .and_then(|a| a.iter().find(|c| c["tipo"] == "apikey"))
        .and_then(|c| c["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let jwt_cred = creds
        .as_array()
        .and_then(|a| a.iter().find(|c| c["tipo"] == "jwt_hs256"))
        .and_then(|c| c["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let rotated = app
        .post(
            &format!("/api/v1/credenciales/{key_cred}/rotar"),
            w.t("lider"),
            json!({"solapamiento_horas": 0}),
        )
        .await
        .ok();
    // A credential of a request is re-issued to the requesting unit, not to whoever rotates it.
    assert!(rotated["clave"].is_null() && rotated["pendiente_de_retiro"] == true, "{rotated}");
    let again = retrieve(&app, &w, &a.request_code).await;
    let new_key = again.iter().find_map(|c| c["clave"].as_str()).unwrap_or_default().to_owned();
    assert_ne!(new_key, key);
    app.gw_until("/segip/consulta/v3/personas/4", &[("apikey", key.as_str())], 401)
        .await;
    app.gw_until("/segip/consulta/v3/personas/4", &[("apikey", new_key.as_str())], 200)
        .await;
    app.post(&format!("/api/v1/credenciales/{key_cred}/rotar"), w.t("lider"), json!({}))
        .await
        .expect(409, "credencial_no_vigente");

    // Revocation takes effect without restart.
    let r = app
        .post(&format!("/api/v1/credenciales/{jwt_cred}/revocar"), w.t("lider"), json!({}))
        .await
        .ok();
    assert!(r["revocada"].is_string());
    let r = app
        .gw_until("/segip/consulta/v3/personas/5", &[("authorization", bearer.as_str())], 401)
        .await;
    assert_eq!(r.code(), "credencial_invalida");
    app.post(&format!("/api/v1/credenciales/{jwt_cred}/revocar"), w.t("lider"), json!({}))
        .await
        .expect(409, "credencial_no_vigente");
    // Only ADAS (or the administrator) manages credentials.
    app.post(&format!("/api/v1/credenciales/{jwt_cred}/revocar"), w.t("sol"), json!({}))
        .await
        .expect(403, "rol_requerido");
}

#[tokio::test]
async fn grants_outside_their_validity_are_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", up.addr), 2000).await;
    // A grant that ended (the test clock stands on 2026-11-24; the gateway reads the real one,
    // always later): the credential is valid, the grant is over, and the code says so.
    let old = consume(&app, &w, &service, json!({"hasta": "2026-11-25"})).await;
    let r = app
        .gw_until("/segip/consulta/v3/personas/1", &[("apikey", old.key.as_str())], 403)
        .await;
    assert_eq!(r.code(), "habilitacion_vencida");
    assert!(r.body["mensaje"].as_str().unwrap_or_default().contains("PR05"), "{:?}", r.body);
    // A grant that starts next year: the credential is valid, the grant is not yet.
    let a = consume(&app, &w, &service, json!({"desde": "2099-01-01"})).await;
    let r = app
        .gw_until("/segip/consulta/v3/personas/1", &[("apikey", a.key.as_str())], 403)
        .await;
    assert_eq!(r.code(), "habilitacion_no_vigente");
    // Bad enablement input is refused before anything is written.
    let (id, _) = consumption(&app, &w, &[service.as_str()]).await;
    to_leader(&app, &w, &id).await;
    let access = |extra: Value| {
        let mut a = json!({"sistema_id": w.system, "servicio_id": service});
        if let (Some(o), Some(e)) = (a.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        json!({"accion": "habilitar", "habilitacion": {"accesos": [a], "emitir_credenciales": ["apikey"]}})
    };
    app.act(&id, w.t("lider"), access(json!({"operaciones": ["no-existe"]})))
        .await
        .expect(422, "operacion_inexistente");
    app.act(&id, w.t("lider"), access(json!({"limite_por_segundo": -1})))
        .await
        .expect(422, "limite_invalido");
    app.act(&id, w.t("lider"), access(json!({"hasta": "2020-01-01"})))
        .await
        .expect(422, "vigencia_invalida");
    let mut bad = access(json!({}));
    bad["habilitacion"]["emitir_credenciales"] = json!(["clave-maestra"]);
    app.act(&id, w.t("lider"), bad).await.expect(422, "tipo_credencial_invalido");
    let creds = app
        .get(&format!("/api/v1/sistemas/{}/credenciales", w.system), w.t("lider"))
        .await
        .ok()["resultados"]
        .clone();
    // Two per enablement above (the ended grant's and the future one's); none from the refused.
    assert_eq!(creds.as_array().map(Vec::len), Some(4), "refused enablements issued no credential");
    assert_eq!(app.request(&id).await["estado"], "asignada_lider");
}

#[tokio::test]
async fn a_flood_without_credentials_is_throttled_and_aggregated() {
    let app = spawn_app_with(|s| {
        s.gateway.unauth_window = Duration::from_secs(4);
        s.gateway.unauth_record_per_window = 5;
        s.gateway.unauth_allow_per_window = 20;
    })
    .await;
    let bad = "iop_k_ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    let mut codes = Vec::new();
    for i in 0..60 {
        let r = app.gw(Method::GET, &format!("/nada/v1/{i}"), &[("apikey", bad)], None).await;
        codes.push(r.status.as_u16());
        if i >= 20 {
            assert_eq!(r.code(), "demasiados_rechazos");
            assert!(r.headers.get("retry-after").is_some());
        }
    }
    assert!(codes[..20].iter().all(|c| *c == 404), "{codes:?}");
    assert!(codes[20..].iter().all(|c| *c == 429), "{codes:?}");
    // Five records of their own, then one aggregate for the other 55 once the window ends.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page = app.get("/api/v1/auditoria?cadena=llamadas&limite=500", &app.admin_token).await.ok();
        let rows: Vec<Value> = page["registros"]
            .as_array()
            .map(|a| a.iter().map(|r| r["registro"].clone()).collect())
            .unwrap_or_default();
        let single = rows
            .iter()
            .filter(|r| r["aggregated"].is_null() && r["refusal"] == "servicio_inexistente")
            .count();
        let aggregated: i64 = rows.iter().filter_map(|r| r["aggregated"].as_i64()).sum();
        if aggregated > 0 {
            assert_eq!((single, aggregated), (5, 55), "{rows:?}");
            assert!(rows.len() <= 6, "a flood must not leave one record per call");
            break;
        }
        assert!(Instant::now() < deadline, "no aggregate record: {rows:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_gateway_listener_speaks_tls_when_given_a_certificate() {
    use rustls::pki_types::pem::PemObject;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (cert, key) = test_certificate(dir.path());
    let (c, k) = (cert.clone(), key.clone());
    let app = spawn_app_with(move |s| s.gateway_tls = Some((c, k))).await;
    let addr = app.gateway.trim_start_matches("http://").to_owned();

    let mut roots = rustls::RootCertStore::empty();
    for der in rustls::pki_types::CertificateDer::pem_file_iter(&cert).unwrap_or_else(|e| panic!("{e}")) {
        roots.add(der.unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"));
    }
    for alpn in [&b"http/1.1"[..], &b"h2"[..]] {
        let mut config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|e| panic!("{e}"))
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        config.alpn_protocols = vec![alpn.to_vec()];
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap_or_else(|e| panic!("{e}"));
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap_or_else(|e| panic!("{e}"));
        let tls = connector.connect(name, tcp).await.unwrap_or_else(|e| panic!("TLS handshake: {e}"));
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn), "ALPN");
        let io = hyper_util::rt::TokioIo::new(tls);
        let req = || {
            hyper::Request::get("https://localhost/nada/v1/x")
                .header("host", "localhost")
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let status = if alpn == b"h2" {
            let (mut send, conn) = hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            tokio::spawn(conn);
            send.send_request(req()).await.unwrap_or_else(|e| panic!("{e}")).status()
        } else {
            let (mut send, conn) = hyper::client::conn::http1::handshake(io).await.unwrap_or_else(|e| panic!("{e}"));
            tokio::spawn(conn);
            send.send_request(req()).await.unwrap_or_else(|e| panic!("{e}")).status()
        };
        // Over TLS the gateway runs its phases as usual: no credential, no such service.
        assert_eq!(status.as_u16(), 404);
    }
    // Plain HTTP to the TLS listener gets no HTTP answer.
    let plain = app.client.get(format!("{}/healthz", app.gateway)).send().await;
    assert!(plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()));
}

pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

pub(crate) fn signed_jwt(alg: &str, claims: Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let h = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    let sig = sign(format!("{h}.{p}").as_bytes());
    format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig))
}

#[tokio::test]
async fn consumers_may_sign_with_their_own_rsa_or_p256_keys() {
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", up.addr), 2000).await;
    consume(&app, &w, &service, json!({})).await;
    let rng = ring::rand::SystemRandom::new();
    let register = |tipo: &'static str, pem_text: String| {
        let path = format!("/api/v1/sistemas/{}/credenciales", w.system);
        let token = w.t("lider").to_owned();
        let app = &app;
        async move { app.post(&path, &token, json!({"tipo": tipo, "clave_publica": pem_text})).await }
    };

    // ES256: the consumer keeps its private key; the platform registers the public one.
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap_or_else(|e| panic!("{e}"));
    let ec = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap_or_else(|e| panic!("{e}"));
    let mut spki = hex_bytes("3059301306072a8648ce3d020106082a8648ce3d030107034200");
    spki.extend_from_slice(ec.public_key().as_ref());
    let r = register("jwt_es256", pem("PUBLIC KEY", &spki)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    assert!(r.body["secreto"].is_null() && r.body["clave"].is_null(), "nothing secret is issued");
    let es_iss = r.body["iss"].as_str().unwrap_or_default().to_owned();
    let token = signed_jwt("ES256", json!({"iss": es_iss, "exp": now_s() + 60}), |m| {
        ec.sign(&rng, m).map(|s| s.as_ref().to_vec()).unwrap_or_default()
    });
    let bearer = format!("Bearer {token}");
    let r = app
        .gw_until("/segip/consulta/v3/personas/1", &[("authorization", bearer.as_str())], 200)
        .await;
    assert_eq!(r.body["origen"], "uno");
    // Algorithm confusion: an HS256 token "signed" with the public key as the secret is refused.
    let confused = signed_jwt("HS256", json!({"iss": es_iss}), |m| iop_gateway::auth::hmac256(&spki, m).to_vec());
    let bearer = format!("Bearer {confused}");
    let r = app
        .gw(
            Method::GET,
            "/segip/consulta/v3/personas/1",
            &[("authorization", bearer.as_str())],
            None,
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "jwt_algoritmo_no_admitido"));
    // A token signed by another key is refused.
    let other = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap_or_else(|e| panic!("{e}"))
            .as_ref(),
        &rng,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let forged = signed_jwt("ES256", json!({"iss": es_iss}), |m| {
        other.sign(&rng, m).map(|s| s.as_ref().to_vec()).unwrap_or_default()
    });
    let bearer = format!("Bearer {forged}");
    let r = app
        .gw(
            Method::GET,
            "/segip/consulta/v3/personas/1",
            &[("authorization", bearer.as_str())],
            None,
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "jwt_firma_invalida"));

    // RS256 with a 2048-bit key made by openssl.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (key, public) = (dir.path().join("rsa.pem"), dir.path().join("rsa.pub"));
    let ok = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(&key)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
        && std::process::Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&key)
            .arg("-out")
            .arg(&public)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    assert!(ok, "openssl could not make an RSA key");
    let private_pem = std::fs::read_to_string(&key).unwrap_or_default();
    let der: String = private_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(der).unwrap_or_default();
    let rsa = RsaKeyPair::from_pkcs8(&der).unwrap_or_else(|e| panic!("{e}"));
    let r = register("jwt_rs256", std::fs::read_to_string(&public).unwrap_or_default()).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let rs_iss = r.body["iss"].as_str().unwrap_or_default().to_owned();
    let token = signed_jwt("RS256", json!({"iss": rs_iss, "exp": now_s() + 3600}), |m| {
        let mut sig = vec![0u8; rsa.public().modulus_len()];
        rsa.sign(&RSA_PKCS1_SHA256, &rng, m, &mut sig).unwrap_or_else(|e| panic!("{e}"));
        sig
    });
    let bearer = format!("Bearer {token}");
    app.gw_until("/segip/consulta/v3/personas/2", &[("authorization", bearer.as_str())], 200)
        .await;

    // Bad keys are refused with a clear message; the kind must match the key.
    register("jwt_es256", "no es una clave".into())
        .await
        .expect(422, "clave_publica_invalida");
    register("jwt_rs256", pem("PUBLIC KEY", &spki))
        .await
        .expect(422, "clave_publica_invalida");
    // In English when asked (before, these messages were Spanish in both languages).
    let r = app
        .client
        .post(format!("{}/api/v1/sistemas/{}/credenciales", app.base, w.system))
        .bearer_auth(w.t("lider"))
        .header("accept-language", "en")
        .json(&json!({"tipo": "jwt_es256", "clave_publica": "no es una clave"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = App::read(r).await;
    assert_eq!(r.code(), "clave_publica_invalida");
    assert!(
        r.body["mensaje"].as_str().is_some_and(|m| m.contains("PEM public key is expected")),
        "{}",
        r.body
    );
    app.post(
        &format!("/api/v1/sistemas/{}/credenciales", w.system),
        w.t("lider"),
        json!({"tipo": "jwt_rs256"}),
    )
    .await
    .expect(422, "campo_requerido");
}

pub(crate) fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[tokio::test]
async fn https_upstreams_with_the_connectors_own_ca_and_client_certificate() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let pki = upstream::test_pki();
    let read = |f: &str| std::fs::read_to_string(pki.path().join(f)).unwrap_or_default();
    let (tls_up, handshakes) = upstream::start_mtls(pki.path()).await;
    let plain = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", plain.addr), 2000).await;
    let a = consume(&app, &w, &service, json!({})).await;
    let path = format!("/api/v1/servicios/{service}/conector");
    let origin = format!("https://localhost:{}/base", tls_up.port());

    // Without a client certificate the upstream refuses the handshake: 502.
    app.call(
        Method::PUT,
        &path,
        Some(w.t("lider")),
        Some(json!({"origenes": [origin], "ca_pem": read("ca.pem")})),
    )
    .await
    .ok();
    let r = app
        .gw_until("/segip/consulta/v3/personas/1", &[("apikey", a.key.as_str())], 502)
        .await;
    assert_eq!(r.code(), "servicio_no_disponible");

    // With it (its key stored encrypted, never returned): the call goes through over TLS.
    let c = app
        .call(
            Method::PUT,
            &path,
            Some(w.t("lider")),
            Some(json!({"origenes": [origin], "ca_pem": read("ca.pem"),
                        "autenticacion": {"tipo": "certificado_cliente", "certificado": read("cli.pem"), "valor": read("cli.key")}})),
        )
        .await
        .ok();
    assert_eq!(
        (c["autenticacion"].as_str(), c["ca_propia"].as_bool()),
        (Some("certificado_cliente"), Some(true))
    );
    assert!(!c.to_string().contains("PRIVATE KEY"), "the client key is never returned");
    let r = app
        .gw_until("/segip/consulta/v3/personas/1", &[("apikey", a.key.as_str())], 200)
        .await;
    assert_eq!(
        (r.body["origen"].as_str(), r.body["certificado_cliente"].as_bool()),
        (Some("tls"), Some(true))
    );

    // The connection probe speaks as the gateway does: TLS with the connector's CA and client
    // certificate (it used to speak plain HTTP only, so every https origin "failed").
    let probe = app
        .call(
            Method::POST,
            &format!("/api/v1/servicios/{service}/probar"),
            Some(w.t("lider")),
            None,
        )
        .await
        .ok();
    assert_eq!(
        (probe[0]["ok"].as_bool(), probe[0]["estado_http"].as_u64()),
        (Some(true), Some(200)),
        "{probe}"
    );

    // A snapshot rebuild keeps the connector's TLS settings and so its pooled connections: no
    // new handshake (it used to reconnect every TLS upstream, and leak the idle connections).
    let shakes = handshakes.load(std::sync::atomic::Ordering::SeqCst);
    let version = |m: &str| {
        m.lines()
            .find_map(|l| l.strip_prefix("iop_gateway_snapshot_version "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let before = version(&app.metrics().await);
    app.post(
        &format!("/api/v1/sistemas/{}/credenciales", w.system),
        w.t("lider"),
        json!({"tipo": "apikey"}),
    )
    .await
    .ok();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while version(&app.metrics().await) <= before {
        assert!(std::time::Instant::now() < deadline, "no rebuild");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..3 {
        let r = app
            .gw(Method::GET, "/segip/consulta/v3/personas/1", &[("apikey", a.key.as_str())], None)
            .await;
        assert_eq!(r.status.as_u16(), 200);
    }
    assert_eq!(handshakes.load(std::sync::atomic::Ordering::SeqCst), shakes);

    // Bad TLS material is refused when the connector is saved, not later.
    let bad = |body: Value| {
        let (app, path, t) = (&app, path.clone(), w.t("lider").to_owned());
        async move { app.call(Method::PUT, &path, Some(&t), Some(body)).await }
    };
    bad(json!({"origenes": [origin], "ca_pem": "no es PEM"}))
        .await
        .expect(422, "conector_invalido");
    // A password in the URL would be kept (and audited) in clear: refused.
    let r = bad(json!({"origenes": [format!("http://usuario:secreto@{}/base", plain.addr)]})).await;
    assert_eq!(r.body["campo"], "origenes[0]", "{}", r.body);
    r.expect(422, "conector_invalido");
    bad(json!({"origenes": [origin], "ca_pem": read("ca.pem"), "autenticacion": {"tipo": "certificado_cliente", "certificado": read("cli.pem"), "valor": "clave rota"}}))
        .await
        .expect(422, "conector_invalido");
    bad(json!({"origenes": [format!("http://{}/base", plain.addr)], "autenticacion": {"tipo": "certificado_cliente", "certificado": read("cli.pem"), "valor": read("cli.key")}}))
        .await
        .expect(422, "conector_invalido");
}

/// The sandbox answers as the document says: its example (JSON), a success declared without
/// content with no body (before, 501), an answer generated from the schema where there is no
/// example (marked), and 501 `sin_ejemplo` only where the document gives neither example nor
/// schema for a response that has content. (The corpus in `import.rs` covers the rest.)
#[tokio::test]
async fn the_sandbox_answers_as_the_document_says() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = upstream::start("muestra").await;
    const DOC: &str = r#"{"openapi": "3.0.3", "info": {"title": "Muestra", "version": "1"}, "paths": {
        "/personas/{ci}": {
            "get": {"operationId": "ver", "responses": {"200": {"description": "ok",
                    "content": {"application/json": {"example": {"ci": "1", "nombres": "EJEMPLO"}}}}}},
            "delete": {"operationId": "borrar", "responses": {"204": {"description": "borrado"}}}},
        "/reportes": {"get": {"operationId": "reporte", "responses": {"200": {"description": "ok",
                    "content": {"application/json": {"schema": {"type": "object", "properties": {"total": {"type": "integer"}}}}}}}}},
        "/vacio": {"get": {"operationId": "vacio", "responses": {"200": {"description": "ok",
                    "content": {"application/json": {}}}}}}}}"#;
    let (service, base) = publish_with(&app, &w, "muestra", 1, &format!("http://{}/base", up.addr), 2000, Some(DOC)).await;
    assert_eq!(base, "/segip/muestra/v1/");
    let a = consume(&app, &w, &service, json!({})).await;
    let key = [("apikey", a.key.as_str())];
    let r = app.gw(Method::GET, "/fake/segip/muestra/v1/personas/7", &key, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body["nombres"].as_str()),
        (200, Some("EJEMPLO")),
        "{}",
        r.body
    );
    let r = app.gw(Method::DELETE, "/fake/segip/muestra/v1/personas/7", &key, None).await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.body);
    assert!(r.headers.get("content-type").is_none() && r.body.is_null());
    assert_eq!(r.headers.get("x-iop-sandbox").and_then(|v| v.to_str().ok()), Some("ficticio"));
    let r = app.gw(Method::GET, "/fake/segip/muestra/v1/reportes", &key, None).await;
    assert_eq!((r.status.as_u16(), r.body.clone()), (200, json!({"total": 0})));
    assert_eq!(r.headers.get("x-iop-sandbox").and_then(|v| v.to_str().ok()), Some("generado"));
    app.gw(Method::GET, "/fake/segip/muestra/v1/vacio", &key, None)
        .await
        .expect(501, "sin_ejemplo");
}

/// A grant that ended is renewed through PR05: the received request gives a new draft for the
/// same system and services, which goes through every step; then the same key opens the service
/// again, and the call's legal chain is the renewal's.
#[tokio::test]
async fn an_ended_grant_is_renewed_through_pr05_with_a_legal_chain_of_its_own() {
    let app = spawn_app().await;
    let mut w = world(&app).await;
    let up = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", up.addr), 2000).await;
    // Ended on 2026-11-25 (the gateway reads the real clock, always later).
    let old = consume(&app, &w, &service, json!({"hasta": "2026-11-25"})).await;
    let path = "/segip/consulta/v3/personas/1";
    let r = app.gw_until(path, &[("apikey", old.key.as_str())], 403).await;
    assert_eq!(r.code(), "habilitacion_vencida");
    let renew = format!("/api/v1/solicitudes/{}/renovacion", old.request_code);
    // Not before the request was received.
    app.post(&renew, w.t("sol"), json!({})).await.expect(409, "renovacion_no_aplicable");
    for (who, body) in [
        ("lider", note()),
        ("resp", act("aprobar_nota_adas")),
        ("jefe", act("aprobar_nota_upat")),
        ("sol", act("recibir")),
    ] {
        app.act(&old.request_code, w.t(who), body).await.ok();
    }
    // Only the requesting unit asks for it.
    app.post(&renew, w.t("lider"), json!({})).await.expect(403, "otra_unidad");
    let draft = app.post(&renew, w.t("sol"), json!({})).await;
    assert_eq!(draft.status.as_u16(), 201, "{:?}", draft.body);
    let draft = draft.body;
    assert_eq!(draft["estado"], "borrador");
    assert_eq!(draft["sistema_id"], w.system.as_str(), "{draft}");
    assert!(
        draft["justificacion"].as_str().unwrap_or_default().contains(&old.request_code),
        "it names the original: {draft}"
    );
    assert_eq!(draft["servicios"].as_array().map(Vec::len), Some(1), "{draft}");
    // Through PR05, with a supporting document of its own.
    let id = draft["id"].as_str().unwrap_or_default().to_owned();
    app.upload(&id, w.t("sol"), "NI", pdf(), "renovacion.pdf", "application/pdf")
        .await
        .ok();
    to_leader(&app, &w, &id).await;
    app.act(
        &id,
        w.t("lider"),
        json!({"accion": "habilitar", "habilitacion": {"accesos": [{"sistema_id": w.system, "servicio_id": service}]}}),
    )
    .await
    .ok();
    let ok = app.gw_until(path, &[("apikey", old.key.as_str())], 200).await;
    // (The call's record reaches the store in the background: wait for it, then its chain.)
    let rec = app.record(&app.admin_token, &rid(&ok)).await;
    assert_eq!(rec["request_code"], draft["codigo"], "{rec}");
    let chain = app
        .get(&format!("/api/v1/auditoria/llamadas/{}", rid(&ok)), &app.admin_token)
        .await
        .ok();
    assert_eq!(chain["solicitud"]["codigo"], draft["codigo"], "{chain}");
    assert_ne!(chain["solicitud"]["codigo"], old.request_code.as_str());

    // The request's page offers it to the requesting unit, and the form makes the draft.
    let web = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let page = |who: &str| {
        web.get(format!("{}/solicitudes/{}", app.base, old.request_code))
            .header("cookie", format!("iop_sesion={}", w.t(who)))
            .send()
    };
    let lp = page("lider")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(!lp.contains("data-renovar"), "{lp}");
    let sp = page("sol").await.unwrap_or_else(|e| panic!("{e}")).text().await.unwrap_or_default();
    assert!(sp.contains("data-renovar") && sp.contains("Solicitar la renovación"), "{sp}");
    let at = sp.find("name=\"_csrf\" value=\"").unwrap_or_else(|| panic!("{sp}")) + 20;
    let csrf: String = sp[at..].split('"').next().unwrap_or_default().to_owned();
    let res = web
        .post(format!("{}/solicitudes/{}/renovacion", app.base, old.request_code))
        .header("cookie", format!("iop_sesion={}", w.t("sol")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status().as_u16(), 303);
    let to = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(to.starts_with("/solicitudes/IOP-") && !to.ends_with(&old.request_code), "{to}");

    // The list of endings: by the test clock (Tuesday 2026-11-24) the grant ends tomorrow; from
    // Thursday on it has ended. The requesting unit sees its own, ADAS all, another unit none.
    let endings = |who: &'static str, q: &'static str| {
        let (app, token) = (&app, w.t(who).to_owned());
        async move { app.get(&format!("/api/v1/habilitaciones/vencimientos{q}"), &token).await }
    };
    let ends = endings("sol", "").await.ok();
    let mine: Vec<&Value> = ends
        .as_array()
        .map(|a| a.iter().filter(|g| g["solicitud"] == old.request_code.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(mine.len(), 1, "{ends}");
    assert_eq!(
        (&mine[0]["hasta"], &mine[0]["vencida"]),
        (&json!("2026-11-25"), &json!(false)),
        "{ends}"
    );
    assert_eq!(endings("otro", "").await.ok(), json!([]));
    endings("sol", "?dias=muchos").await.expect(422, "dias_invalidos");
    app.clock.advance(time::Duration::days(2));
    relogin(&app, &mut w).await;
    let ends = app.get("/api/v1/habilitaciones/vencimientos?dias=0", w.t("lider")).await.ok();
    assert!(
        ends.as_array().is_some_and(|a| a
            .iter()
            .any(|g| g["solicitud"] == old.request_code.as_str() && g["vencida"] == true)),
        "{ends}"
    );
}

/// A deprecated version's answers carry `Deprecation` (RFC 9745) from its date on, and `Sunset`
/// (RFC 8594) with its retirement date; a version deprecated later answers as before.
#[tokio::test]
async fn a_deprecated_version_answers_with_deprecation_and_sunset() {
    use crate::notices::{app_with_sink, wait_mail};
    let (app, _sink, _dir, out) = app_with_sink(|_| {}).await;
    let w = world(&app).await;
    // The consuming unit and the Líder who will grant it want to hear of changes.
    for who in ["sol", "lider"] {
        let body = json!({"correo": format!("{who}@agetic.gob.bo"), "avisos": ["cambios"]});
        app.call(Method::PUT, "/api/v1/auth/yo/avisos", Some(w.t(who)), Some(body))
            .await
            .ok();
    }
    let up = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", up.addr), 2000).await;
    let a = consume(&app, &w, &service, json!({})).await;
    let path = "/segip/consulta/v3/personas/1";
    let key = [("apikey", a.key.as_str())];
    let r = app.gw_until(path, &key, 200).await;
    assert!(r.headers.get("deprecation").is_none() && r.headers.get("sunset").is_none());
    let mark = format!("/api/v1/servicios/{service}/obsolescencia");
    app.call(Method::PUT, &mark, Some(w.t("sol")), Some(json!({"desde": "2026-11-20"})))
        .await
        .expect(403, "rol_requerido");
    app.call(Method::PUT, &mark, Some(w.t("lider")), Some(json!({"desde": "20/11/2026"})))
        .await
        .expect(422, "fecha_invalida");
    app.call(
        Method::PUT,
        &mark,
        Some(w.t("lider")),
        Some(json!({"desde": "2026-11-20", "retiro": "2026-11-20"})),
    )
    .await
    .expect(422, "vigencia_invalida");
    // Deprecated from a day still to come (the gateway reads the real clock): nothing yet.
    app.call(Method::PUT, &mark, Some(w.t("lider")), Some(json!({"desde": "2099-01-01"})))
        .await
        .ok();
    let r = app.gw(Method::GET, path, &key, None).await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(r.headers.get("deprecation").is_none(), "{:?}", r.headers);
    // Deprecated since a day gone by, retired next year.
    let s = app
        .call(
            Method::PUT,
            &mark,
            Some(w.t("lider")),
            Some(json!({"desde": "2026-11-20", "retiro": "2027-06-30"})),
        )
        .await
        .ok();
    assert_eq!(s["obsoleto_desde"], "2026-11-20T04:00:00Z", "{s}");
    let r = app.gw(Method::GET, path, &key, None).await;
    assert_eq!(r.status.as_u16(), 200);
    let h = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let since = time::macros::datetime!(2026-11-20 04:00 UTC).unix_timestamp();
    assert_eq!(h("deprecation"), format!("@{since}"));
    assert_eq!(h("sunset"), "Wed, 30 Jun 2027 04:00:00 GMT");
    // Its consumers were told, each time it was marked (the future date, then the past one).
    let told = |m: &Value| {
        m["asunto"]
            .as_str()
            .is_some_and(|s| s.contains("quedará obsoleto desde el 2026-11-20"))
    };
    let mail = wait_mail(&out, "deprecation notices", 2, told).await;
    let mut to: Vec<&str> = mail
        .iter()
        .filter(|m| told(m))
        .map(|m| m["para"][0].as_str().unwrap_or_default())
        .collect();
    to.sort_unstable();
    assert_eq!(to, ["lider@agetic.gob.bo", "sol@agetic.gob.bo"], "{mail:#?}");
    assert!(
        mail.iter()
            .filter(|m| told(m))
            .all(|m| m["cuerpo"].as_str().is_some_and(|b| b.contains("2027-06-30")))
    );
    // Its successor goes through PR05 as a publication of its own; the consumers of v3 hear of it.
    publish_with(
        &app,
        &w,
        "consulta",
        4,
        &format!("http://{}/base", up.addr),
        2000,
        Some(upstream::DESCRIPTION),
    )
    .await;
    let newer = |m: &Value| m["asunto"] == "Nueva versión publicada: consulta v4";
    let mail = wait_mail(&out, "new version notices", 2, newer).await;
    let mut to: Vec<&str> = mail
        .iter()
        .filter(|m| newer(m))
        .map(|m| m["para"][0].as_str().unwrap_or_default())
        .collect();
    to.sort_unstable();
    assert_eq!(to, ["lider@agetic.gob.bo", "sol@agetic.gob.bo"], "{mail:#?}");
}
