//! The promises made to publishing entities, tested as an attacker would break them: deny by
//! default whatever the path's spelling, no secret in the log, call ids that cannot be borrowed,
//! a clean contract toward the upstream, and the control plane's own defects of the security
//! review (each test fails on the code before it).

use crate::gateway::{consume, jwt, now_s, publish, publish_with};
use crate::helpers::*;
use crate::upstream;
use reqwest::Method;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An answer read off the wire.
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn code(&self) -> &str {
        self.body["codigo"].as_str().unwrap_or("")
    }
}

/// Sends a request exactly as written (no client library normalises the path), HTTP/1.1 with
/// `Connection: close`, and reads the whole answer.
pub async fn raw(addr: &str, method: &str, target: &str, headers: &[(&str, &str)]) -> Raw {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line for {target}: {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Raw {
        status,
        headers,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

/// An upstream that records the request target exactly as it arrived, with the headers, and
/// announces itself as servers do (`Server`, `X-Powered-By`).
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Seen>>>);

/// A request target and its headers.
type Seen = (String, Vec<(String, String)>);

impl Recorder {
    pub fn targets(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|v| v.iter().map(|(t, _)| t.clone()).collect())
            .unwrap_or_default()
    }
    pub fn last_headers(&self) -> Vec<(String, String)> {
        self.0
            .lock()
            .ok()
            .and_then(|v| v.last().map(|(_, h)| h.clone()))
            .unwrap_or_default()
    }
}

pub async fn recording_upstream() -> (SocketAddr, Recorder) {
    let rec = Recorder::default();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let r = rec.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = l.accept().await else { break };
            let r = r.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let r = r.clone();
                    async move {
                        let target = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                            .collect();
                        if let Ok(mut v) = r.0.lock() {
                            v.push((target.clone(), headers));
                        }
                        let mut res =
                            hyper::Response::new(http_body_util::Full::new(bytes::Bytes::from(json!({"visto": target}).to_string())));
                        res.headers_mut()
                            .insert("server", hyper::header::HeaderValue::from_static("nginx/1.22.1"));
                        res.headers_mut()
                            .insert("x-powered-by", hyper::header::HeaderValue::from_static("PHP/8.2"));
                        Ok::<_, std::convert::Infallible>(res)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, rec)
}

/// A fresh platform with one service published behind `upstream` (its base URL without the
/// `/base` prefix) and the world's system granted all of it: the app, the world, the service id
/// and what the consumer received.
async fn granted(upstream: &str) -> (App, World, String, crate::gateway::Access) {
    let app = spawn_app().await;
    let w = world(&app).await;
    let service = publish(&app, &w, &format!("{upstream}/base"), 2000).await;
    let a = consume(&app, &w, &service, json!({})).await;
    (app, w, service, a)
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn remove_dots(segments: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in segments {
        match s.as_str() {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            _ => out.push(s),
        }
    }
    out
}

/// What servers behind the gateway make of a request path: nginx (decode once, merge slashes,
/// resolve dot segments), Tomcat (drop `;parameters`, decode, resolve), IIS (decode twice, `\`
/// is `/`, trailing dots and spaces dropped, resolve).
fn interpretations(target: &str) -> Vec<(&'static str, Vec<String>)> {
    let path = target.split('?').next().unwrap_or("");
    let nginx = remove_dots(decode(path).split('/').map(str::to_owned));
    let tomcat = remove_dots(
        path.split('/')
            .map(|s| decode(s.split(';').next().unwrap_or("")))
            .flat_map(|s| s.split('/').map(str::to_owned).collect::<Vec<_>>()),
    );
    let twice = decode(&decode(path)).replace('\\', "/");
    let iis = remove_dots(twice.split('/').map(|s| {
        let spaced = s.trim_end_matches(' ');
        if !spaced.is_empty() && spaced.chars().all(|c| c == '.') {
            if spaced.len() >= 2 { "..".to_owned() } else { ".".to_owned() }
        } else {
            s.trim_end_matches(['.', ' ']).to_owned()
        }
    }));
    vec![("nginx", nginx), ("tomcat", tomcat), ("iis", iis)]
}

/// No spelling of `..` takes a granted consumer outside its grant: on a described service with a
/// grant for one operation and on a service without a description, every attempt is refused with
/// a coded 400 before it reaches the upstream, and recorded under the service's base path only;
/// what does reach the upstream is, for every server's reading of it, inside the grant.
#[tokio::test]
async fn no_spelling_of_dot_segments_reaches_outside_the_grant() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (addr, seen) = recording_upstream().await;
    let described = publish(&app, &w, &format!("http://{addr}/base3"), 2000).await;
    let (plain, plain_base) = publish_with(&app, &w, "abierto", 4, &format!("http://{addr}/base4"), 2000, None).await;
    assert_eq!(plain_base, "/segip/abierto/v4/");
    // Step 4's connection probes reached the origins' base URLs; calls come after them.
    let probes = seen.targets().len();
    let a = consume(&app, &w, &described, json!({"operaciones": ["consultar-persona"]})).await;
    let b = consume(&app, &w, &plain, json!({})).await;
    assert_eq!(a.key.len(), b.key.len());
    let gw = app.gateway.trim_start_matches("http://").to_owned();
    let key = a.key.as_str();
    // Both grants live.
    app.gw_until("/segip/consulta/v3/personas/1", &[("apikey", key)], 200).await;
    app.gw_until("/segip/abierto/v4/algo", &[("apikey", key)], 200).await;

    // What is allowed still passes, canonically: unreserved escapes decoded, UTF-8 re-encoded.
    let r = raw(&gw, "GET", "/segip/consulta/v3/personas/%37%36", &[("apikey", key)]).await;
    assert_eq!(
        (r.status, r.body["visto"].as_str()),
        (200, Some("/base3/personas/76")),
        "{}",
        r.body
    );
    let r = raw(&gw, "GET", "/segip/abierto/v4/a%c3%b1os/2024?x=1", &[("apikey", key)]).await;
    assert_eq!(
        (r.status, r.body["visto"].as_str()),
        (200, Some("/base4/a%C3%B1os/2024?x=1")),
        "{}",
        r.body
    );
    let r = raw(&gw, "GET", "/segip/abierto/v4/años/2024", &[("apikey", key)]).await;
    assert_eq!((r.status, r.body["visto"].as_str()), (200, Some("/base4/a%C3%B1os/2024")));

    let attacks = [
        "personas/../../otra/x",
        "personas/1/../../../otra/x",
        "personas/%2e%2e/%2e%2e/otra/x",
        "personas/%2E%2E/%2E%2E/otra/x",
        "personas/.%2e/.%2E/otra/x",
        "personas/%252e%252e/%252e%252e/otra/x",
        "personas/..%2f..%2f..%2fotra%2fx",
        "personas/%2f..%2f..%2fotra",
        "personas/..;/..;/otra/x",
        "personas/..;jsessionid=1/otra",
        "personas/..%3b/otra",
        "personas/..\\..\\otra\\x",
        "personas/%5c..%5c..%5cotra",
        "personas/1..%2f..%2f..%2fotra%2fv1%2fitems%2f1",
        "personas/..%2f..%2f..%2fotra%2fv1%2fitems%2f1",
        "personas/..%00/x",
        "personas/..%20/otra",
        "personas//..//otra",
        "..",
        "../otra/x",
        "%2e%2e/otra",
        "./personas/1",
    ];
    let before = seen.targets().len();
    let mut ids = Vec::new();
    for base in ["/segip/consulta/v3/", "/segip/abierto/v4/", "/fake/segip/consulta/v3/"] {
        for attack in attacks {
            let target = format!("{base}{attack}");
            let r = raw(&gw, "GET", &target, &[("apikey", key)]).await;
            assert_eq!((r.status, r.code()), (400, "ruta_no_canonica"), "{target}: {}", r.body);
            ids.push((target, r.header("x-request-id").unwrap_or_default().to_owned(), base));
        }
    }
    assert_eq!(seen.targets().len(), before, "nothing refused reached the upstream");

    // Every refusal is recorded, under the base path it aimed at and nothing more.
    for (target, id, base) in &ids {
        let rec = app.record(&app.admin_token, id).await;
        assert_eq!(rec["refusal"], "ruta_no_canonica", "{target}");
        assert_eq!(
            rec["path"].as_str(),
            Some(base.trim_end_matches('/').to_owned() + "/").as_deref(),
            "{target}: {rec}"
        );
    }

    // Whatever did reach the upstream, read as nginx, Tomcat or IIS would, is inside the grant.
    for target in seen.targets().into_iter().skip(probes) {
        for (server, segs) in interpretations(&target) {
            match segs.first().map(String::as_str) {
                Some("base3") => assert!(
                    segs.len() == 3 && segs[1] == "personas",
                    "{server} reads {target} as {segs:?}, outside consultar-persona"
                ),
                Some("base4") => {}
                _ => panic!("{server} reads {target} as {segs:?}, outside every grant"),
            }
        }
    }
    assert!(
        interpretations("/base3/personas/..%2f..%2fx")[0]
            .1
            .first()
            .is_some_and(|s| s != "base3")
    );
}

/// A credential in the query string is refused (400 `credencial_ambigua`) and recorded as
/// `[oculto]`, never in clear (the log is append-only: a key written there stays forever); so are
/// two credentials at once.
#[tokio::test]
async fn credentials_in_the_url_or_twice_are_refused_and_never_recorded() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", up.addr), 2000).await;
    let a = consume(&app, &w, &service, json!({})).await;
    let key = a.key.as_str();
    app.gw_until("/segip/consulta/v3/personas/1", &[("apikey", key)], 200).await;
    let bearer = format!("Bearer {}", jwt(&a.secret, json!({"iss": a.iss, "exp": now_s() + 60})));
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/segip/consulta/v3/personas/1?apikey={key}"), vec![]),
        (format!("/segip/consulta/v3/personas/1?x=1&API_KEY={key}"), vec![]),
        (format!("/segip/consulta/v3/personas/1?access%5Ftoken={key}"), vec![("apikey", key)]),
        ("/segip/consulta/v3/personas/1".into(), vec![("apikey", key), ("apikey", key)]),
        (
            "/segip/consulta/v3/personas/1".into(),
            vec![("apikey", key), ("authorization", bearer.as_str())],
        ),
    ];
    let gw = app.gateway.trim_start_matches("http://").to_owned();
    for (target, headers) in &cases {
        let r = raw(&gw, "GET", target, headers).await;
        assert_eq!((r.status, r.code()), (400, "credencial_ambigua"), "{target}: {}", r.body);
        let rec = app.record(&app.admin_token, r.header("x-request-id").unwrap_or_default()).await;
        assert!(!rec.to_string().contains(key), "a key in the log: {rec}");
        if target.contains('?') {
            assert!(rec["path"].as_str().is_some_and(|p| p.contains("=[oculto]")), "{rec}");
        }
    }
    let audit = app.get("/api/v1/auditoria?cadena=llamadas&limite=500", &app.admin_token).await.ok();
    assert!(!audit.to_string().contains(key));
}

/// Every call gets the gateway's own id: a client's `X-Request-Id` is passed on apart
/// (`X-Client-Request-Id`) and kept in its own field, so nobody can point the legal chain of
/// their id at another consumer's call.
#[tokio::test]
async fn call_ids_belong_to_the_gateway() {
    let (addr, seen) = recording_upstream().await;
    let (app, _, _, a) = granted(&format!("http://{addr}")).await;
    let key = a.key.as_str();
    app.gw_until("/segip/consulta/v3/personas/1", &[("apikey", key)], 200).await;
    let r = app
        .gw(
            Method::GET,
            "/segip/consulta/v3/personas/2",
            &[("apikey", key), ("x-request-id", "mi-id.1")],
            None,
        )
        .await;
    assert_eq!(r.status.as_u16(), 200);
    let id = r
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(id.len() == 32 && id != "mi-id.1", "{id}");
    let h = seen.last_headers();
    let get = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(
        (get("x-request-id"), get("x-client-request-id")),
        (Some(id.as_str()), Some("mi-id.1"))
    );
    let rec = app.record(&app.admin_token, &id).await;
    assert_eq!(rec["client_request_id"], "mi-id.1");
    // The legal chain is found by the gateway's id only.
    app.get("/api/v1/auditoria/llamadas/mi-id.1", &app.admin_token)
        .await
        .expect(404, "no_encontrado");
    app.get(&format!("/api/v1/auditoria/llamadas/{id}"), &app.admin_token).await.ok();
    // An id that is not short and plain is not passed on.
    let long = "x".repeat(65);
    app.gw(
        Method::GET,
        "/segip/consulta/v3/personas/3",
        &[("apikey", key), ("x-request-id", long.as_str())],
        None,
    )
    .await;
    assert!(seen.last_headers().iter().all(|(k, _)| k != "x-client-request-id"));
}

/// What the publisher's service receives is the platform's contract: the real client address in
/// `Forwarded` and `X-Forwarded-For` (whatever the client claimed), no header that reads as one
/// the platform sets, and no upstream `Server` or `X-Powered-By` toward the consumer.
#[tokio::test]
async fn what_the_upstream_receives_is_the_platforms_contract() {
    let (addr, seen) = recording_upstream().await;
    let (app, w, _, a) = granted(&format!("http://{addr}")).await;
    let key = a.key.as_str();
    app.gw_until("/segip/consulta/v3/personas/1", &[("apikey", key)], 200).await;
    let gw = app.gateway.trim_start_matches("http://").to_owned();
    let r = raw(
        &gw,
        "GET",
        "/segip/consulta/v3/personas/9",
        &[
            ("apikey", key),
            ("x-forwarded-for", "10.9.9.9"),
            ("forwarded", "for=10.9.9.9"),
            ("x-real-ip", "10.9.9.9"),
            ("x-forwarded-host", "intranet"),
            ("x_consumer_id", "sistema-ajeno"),
            ("x-consumer-id", "sistema-ajeno"),
            ("api_key", "iop_k_otra"),
            ("x-propia", "pasa"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.header("server"), r.header("x-powered-by")), (None, None), "{:?}", r.headers);
    let h = seen.last_headers();
    let all = |n: &str| h.iter().filter(|(k, _)| k == n).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    assert_eq!(all("x-forwarded-for"), ["127.0.0.1"]);
    assert_eq!(all("forwarded"), ["for=127.0.0.1;proto=http"]);
    assert_eq!(all("x-consumer-id"), [w.system.as_str()]);
    assert!(all("x-real-ip").is_empty() && all("x-forwarded-host").is_empty());
    assert!(all("x_consumer_id").is_empty() && all("api_key").is_empty() && all("apikey").is_empty());
    assert_eq!(all("x-propia"), ["pasa"]);
}

/// A description nested beyond any real one is refused with a coded 422 (it used to take seconds
/// of the serving runtime's CPU), and parsing runs off that runtime: the gateway keeps answering.
#[tokio::test]
async fn descriptions_are_parsed_with_limits_off_the_serving_runtime() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", up.addr), 2000).await;
    let deep = format!(
        "openapi: 3.0.0\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n      x: {}1{}\n      responses: {{}}\n",
        "[".repeat(100),
        "]".repeat(100)
    );
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/servicios/{service}/descripcion"),
            Some(w.t("lider")),
            Some(json!({"documento": deep})),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "descripcion_invalida"), "{}", r.body);
    // Duplicate keys are named with their line.
    let dup = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a: {get: {responses: {}}}\n  /a: {post: {responses: {}}}\n";
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/servicios/{service}/descripcion"),
            Some(w.t("lider")),
            Some(json!({"documento": dup})),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "descripcion_invalida"), "{}", r.body);
    assert_eq!(
        (r.body["motivo"].as_str(), r.body["ubicacion"].as_str()),
        (Some("clave-repetida"), Some("documento:5:3")),
        "{}",
        r.body
    );
    assert!(
        r.body["mensaje"]
            .as_str()
            .is_some_and(|m| m.contains("la clave «/a» está escrita dos veces")),
        "{}",
        r.body
    );
    // In English when asked (before, the description's errors were Spanish in both languages).
    let r = app
        .client
        .put(format!("{}/api/v1/servicios/{service}/descripcion", app.base))
        .bearer_auth(w.t("lider"))
        .header("accept-language", "en")
        .json(&json!({"documento": dup}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = App::read(r).await;
    assert!(
        r.body["mensaje"]
            .as_str()
            .is_some_and(|m| m.contains("documento:5:3") && m.contains("the key '/a' is written twice")),
        "{}",
        r.body
    );
    // Two large uploads at once; the gateway answers meanwhile.
    let mut paths = serde_json::Map::new();
    for i in 0..6000 {
        paths.insert(
            format!("/recurso{i}/{{id}}"),
            json!({"get": {"operationId": format!("op{i}"), "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"i": i, "texto": "x".repeat(100)}}}}}}}),
        );
    }
    let big = json!({"openapi": "3.0.3", "info": {"title": "grande", "version": "1"}, "paths": paths}).to_string();
    assert!(big.len() > 1 << 20 && big.len() < 2 << 20, "{}", big.len());
    let uploads: Vec<_> = (0..2)
        .map(|_| {
            let (client, url, token, doc) = (
                app.client.clone(),
                format!("{}/api/v1/servicios/{service}/descripcion", app.base),
                w.t("lider").to_owned(),
                big.clone(),
            );
            tokio::spawn(async move {
                client
                    .put(url)
                    .bearer_auth(token)
                    .json(&json!({"documento": doc}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    let health = app.gw(Method::GET, "/healthz", &[], None).await;
    assert_eq!(health.status.as_u16(), 200);
    for u in uploads {
        assert_eq!(u.await.ok().and_then(Result::ok), Some(200));
    }
}

/// An upstream that answers a head promising 100 bytes, sends 5, and hangs up.
async fn broken_upstream() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { break };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":")
                    .await;
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

/// A listener whose accept queue is full: new connections hang in the handshake.
async fn unaccepting_upstream() -> (SocketAddr, Vec<tokio::net::TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap_or_else(|e| panic!("{e}"));
    socket
        .bind("127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let l = socket.listen(1).unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let mut held = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_millis(300), tokio::net::TcpStream::connect(addr)).await {
            held.push(s);
        }
    }
    // Keep the listener open (never accepting) for the test's life.
    std::mem::forget(l);
    (addr, held)
}

/// The connector's own connection timeout is honoured (it was accepted and ignored: a 3 s default
/// applied, longer than this connector's whole wait), and an upstream body cut short is reported
/// as such (it used to read as `respuesta_muy_grande`).
#[tokio::test]
async fn connector_timeouts_and_broken_answers_are_told_apart() {
    let broken = broken_upstream().await;
    let (app, w, service, a) = granted(&format!("http://{broken}")).await;
    let key = a.key.as_str();
    let r = app.gw_until("/segip/consulta/v3/personas/1", &[("apikey", key)], 502).await;
    assert_eq!(r.code(), "respuesta_interrumpida", "{}", r.body);

    let (hung, _held) = unaccepting_upstream().await;
    app.call(
        Method::PUT,
        &format!("/api/v1/servicios/{service}/conector"),
        Some(w.t("lider")),
        Some(json!({"origenes": [format!("http://{hung}/base")], "tiempo_conexion_ms": 200, "tiempo_espera_ms": 2500})),
    )
    .await
    .ok();
    // Connecting fails after 200 ms (502), well inside the 2.5 s wait (which would answer 504).
    // Until the new connector is live the broken one still answers.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = app.gw(Method::GET, "/segip/consulta/v3/personas/1", &[("apikey", key)], None).await;
        match r.code() {
            "servicio_no_disponible" => break,
            "respuesta_interrumpida" => assert!(std::time::Instant::now() < deadline, "the new connector never took over"),
            other => panic!("{other}: {}", r.body),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The user list is for the roles that pick people (it listed every user to any requester).
#[tokio::test]
async fn users_are_listed_only_to_roles_that_need_them() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.get("/api/v1/usuarios", w.t("sol")).await.expect(403, "rol_requerido");
    let staff = app.get("/api/v1/usuarios", w.t("resp")).await.ok()["resultados"].clone();
    let logins: Vec<&str> = staff
        .as_array()
        .map(|a| a.iter().filter_map(|u| u["usuario"].as_str()).collect())
        .unwrap_or_default();
    assert!(logins.contains(&"lider") && logins.contains(&"jefe"), "{staff}");
    assert!(!logins.contains(&"sol") && !logins.contains(&"admin"), "{staff}");
    let all = app.get("/api/v1/usuarios", &app.admin_token).await.ok()["resultados"].clone();
    assert!(all.as_array().map(Vec::len) > staff.as_array().map(Vec::len));
}

/// New JWT credentials require `exp` and bound it (tokens without one were accepted forever);
/// a credential can waive it for clients that cannot send it, and says so.
#[tokio::test]
async fn new_jwt_credentials_require_exp() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", up.addr), 2000).await;
    let a = consume(&app, &w, &service, json!({})).await;
    let bearer = |claims: Value| format!("Bearer {}", jwt(&a.secret, claims));
    let ok = bearer(json!({"iss": a.iss, "exp": now_s() + 600}));
    app.gw_until("/segip/consulta/v3/personas/1", &[("authorization", ok.as_str())], 200)
        .await;
    let none = bearer(json!({"iss": a.iss}));
    app.gw(
        Method::GET,
        "/segip/consulta/v3/personas/1",
        &[("authorization", none.as_str())],
        None,
    )
    .await
    .expect(401, "jwt_sin_exp");
    let far = bearer(json!({"iss": a.iss, "exp": now_s() + 2 * 86_400}));
    app.gw(
        Method::GET,
        "/segip/consulta/v3/personas/1",
        &[("authorization", far.as_str())],
        None,
    )
    .await
    .expect(401, "jwt_vigencia_excesiva");
    // A credential issued without the requirement (an old client) accepts tokens without exp.
    let issued = app
        .post(
            &format!("/api/v1/sistemas/{}/credenciales", w.system),
            w.t("lider"),
            json!({"tipo": "jwt_hs256", "jwt_exige_exp": false, "jwt_vigencia_max_s": 0}),
        )
        .await
        .ok();
    assert_eq!(issued["credencial"]["jwt_exige_exp"], false, "{issued}");
    let lax = format!(
        "Bearer {}",
        jwt(issued["secreto"].as_str().unwrap_or_default(), json!({"iss": issued["iss"]}))
    );
    app.gw_until("/segip/consulta/v3/personas/1", &[("authorization", lax.as_str())], 200)
        .await;
    app.post(
        &format!("/api/v1/sistemas/{}/credenciales", w.system),
        w.t("lider"),
        json!({"tipo": "apikey", "jwt_exige_exp": false}),
    )
    .await
    .expect(422, "politica_jwt_invalida");
}

/// `/metrics` names consumers: an Administrador, or Prometheus with the configured token.
#[tokio::test]
async fn metrics_need_the_configured_token_or_an_administrator() {
    let token = "token-de-metricas-0123456789abcdef";
    let app = spawn_app_with(|s| s.control.metrics_token = Some(token.into())).await;
    let get = |t: Option<&str>| {
        let mut r = app.client.get(format!("{}/metrics", app.base));
        if let Some(t) = t {
            r = r.bearer_auth(t);
        }
        async move { r.send().await.map(|r| r.status().as_u16()).unwrap_or(0) }
    };
    assert_eq!(get(None).await, 401);
    assert_eq!(get(Some("token-equivocado-0123456789abcdef0")).await, 401);
    assert_eq!(get(Some(token)).await, 200);
    assert_eq!(get(Some(&app.admin_token)).await, 200);
}

/// A credential works on its very first call: its secret is answered only once the gateway's
/// live snapshot accepts it (and step 4's grants with it). It used to fail with
/// `credencial_invalida` for some milliseconds.
#[tokio::test]
async fn credentials_work_on_their_first_call() {
    let up = upstream::start("uno").await;
    // Step 4 issues a key with a new grant: the first call goes through, no waiting.
    let (app, w, _, a) = granted(&format!("http://{}", up.addr)).await;
    let r = app
        .gw(Method::GET, "/segip/consulta/v3/personas/1", &[("apikey", a.key.as_str())], None)
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    // Keys issued later, one after another, each called at once.
    for i in 0..5 {
        let issued = app
            .post(
                &format!("/api/v1/sistemas/{}/credenciales", w.system),
                w.t("lider"),
                json!({"tipo": "apikey"}),
            )
            .await
            .ok();
        let key = issued["clave"].as_str().unwrap_or_default();
        let r = app.gw(Method::GET, "/segip/consulta/v3/personas/2", &[("apikey", key)], None).await;
        assert_eq!(r.status.as_u16(), 200, "key {i}: {}", r.body);
    }
}

/// A described path with non-ASCII letters (`/años/{gestion}`) is reached by clients that
/// percent-encode it, as standard clients do, and by those that send UTF-8: both match the same
/// operation (a grant limited to it lets them through), and the publisher receives the canonical
/// encoding.
#[tokio::test]
async fn non_ascii_described_paths_match_when_percent_encoded() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (addr, _seen) = recording_upstream().await;
    const DOC: &str = r#"{"openapi": "3.0.3", "info": {"title": "Gestiones", "version": "1"}, "paths": {
        "/años/{gestion}": {"get": {"operationId": "por-gestion", "responses": {"200": {"description": "ok"}}}},
        "/otros": {"get": {"operationId": "otros", "responses": {"200": {"description": "ok"}}}}}}"#;
    let (service, _) = publish_with(&app, &w, "gestiones", 1, &format!("http://{addr}/base"), 2000, Some(DOC)).await;
    let a = consume(&app, &w, &service, json!({"operaciones": ["por-gestion"]})).await;
    let gw = app.gateway.trim_start_matches("http://").to_owned();
    let key = a.key.as_str();
    app.gw_until("/segip/gestiones/v1/otros", &[("apikey", key)], 403).await;
    for target in [
        "/segip/gestiones/v1/a%C3%B1os/2024",
        "/segip/gestiones/v1/a%c3%b1os/2024",
        "/segip/gestiones/v1/años/2024",
    ] {
        let r = raw(&gw, "GET", target, &[("apikey", key)]).await;
        assert_eq!(
            (r.status, r.body["visto"].as_str()),
            (200, Some("/base/a%C3%B1os/2024")),
            "{target}: {}",
            r.body
        );
    }
}
