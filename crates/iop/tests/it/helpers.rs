//! Test harness: a real server on ephemeral ports with a fresh data directory, a clock the test
//! can move, and a small JSON client.

use iop::config::{Overrides, Settings, resolve};
use iop::server::{Running, start_with_clock};
use iop_domain::Clock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// A clock that starts at a fixed working-day instant and moves only when told.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<OffsetDateTime>>);

impl TestClock {
    pub fn new() -> Self {
        // Tuesday 2026-11-24 10:00 in La Paz.
        Self(Arc::new(Mutex::new(time::macros::datetime!(2026-11-24 14:00 UTC))))
    }
    pub fn advance(&self, d: time::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += d;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct App {
    pub base: String,
    pub gateway: String,
    pub client: reqwest::Client,
    pub clock: TestClock,
    pub admin_token: String,
    pub admin_password: String,
    /// The error codes each operation declares, read once from the served OpenAPI document.
    pub declared: tokio::sync::OnceCell<Vec<(String, String, Vec<String>)>>,
    pub _running: Option<Running>,
    pub _dir: tempfile::TempDir,
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["codigo"].as_str().unwrap_or("")
    }
    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(self.status.is_success(), "expected success, got {} {}", self.status, self.body);
        self.body
    }
    #[track_caller]
    pub fn expect(self, status: u16, code: &str) -> Value {
        assert_eq!((self.status.as_u16(), self.code()), (status, code), "body: {}", self.body);
        self.body
    }
}

pub fn settings(dir: &std::path::Path, demo: bool, tweak: impl FnOnce(&mut Settings)) -> Settings {
    let o = Overrides {
        control_addr: Some("127.0.0.1:0".into()),
        gateway_addr: Some("127.0.0.1:0".into()),
        public_addr: None,
        data_dir: Some(dir.to_path_buf()),
        log: None,
        demo,
    };
    let mut s = resolve(&o, Default::default()).unwrap_or_else(|e| panic!("{e}"));
    tweak(&mut s);
    s
}

pub async fn spawn_app() -> App {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> App {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock = TestClock::new();
    let running = start_with_clock(settings(dir.path(), false, tweak), Arc::new(clock.clone()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (login, pw) = running
        .admin_password
        .clone()
        .unwrap_or_else(|| panic!("no admin password on first start"));
    let mut app = App {
        base: format!("http://{}", running.control_addr),
        gateway: format!("http://{}", running.gateway_addr),
        client: reqwest::Client::new(),
        clock,
        admin_token: String::new(),
        admin_password: pw.clone(),
        declared: tokio::sync::OnceCell::new(),
        _running: Some(running),
        _dir: dir,
    };
    app.admin_token = app.login(&login, &pw).await;
    app
}

/// The audit record an accepted change through this route must leave: (stream, action).
fn audited_change(method: &Method, path: &str) -> Option<(&'static str, &'static str)> {
    let p: Vec<&str> = path
        .split('?')
        .next()
        .unwrap_or("")
        .trim_start_matches("/api/v1/")
        .split('/')
        .collect();
    let m = method.as_str();
    Some(match (m, p.as_slice()) {
        ("POST", ["unidades"]) => ("administracion", "unidad.crear"),
        ("PUT", ["auth", "yo", "avisos"]) => ("administracion", "usuario.avisos"),
        ("PUT", ["unidades", _, "responsable"]) => ("administracion", "unidad.responsable"),
        ("POST", ["suplencias"]) => ("administracion", "suplencia.crear"),
        ("POST", ["usuarios"]) => ("administracion", "usuario.crear"),
        ("PATCH", ["usuarios", _]) => ("administracion", "usuario.modificar"),
        ("POST", ["usuarios", _, "contrasena"]) => ("administracion", "usuario.contrasena"),
        ("POST", ["entidades"]) => ("administracion", "entidad.crear"),
        ("POST", ["sistemas"]) => ("administracion", "sistema.crear"),
        ("POST", ["servicios"]) => ("administracion", "servicio.crear"),
        ("PUT", ["servicios", _, "conector"]) => ("administracion", "conector.versionar"),
        ("PUT", ["servicios", _, "descripcion"]) => ("administracion", "servicio.descripcion"),
        ("PUT", ["servicios", _, "obsolescencia"]) => ("administracion", "servicio.obsolescencia"),
        ("POST", ["sistemas", _, "credenciales"]) => ("administracion", "credencial.emitir"),
        ("POST", ["credenciales", _, "rotar"]) => ("administracion", "credencial.rotar"),
        ("POST", ["credenciales", _, "revocar"]) => ("administracion", "credencial.revocar"),
        ("POST", ["solicitudes"]) => ("procedimiento", "solicitud.crear"),
        ("POST", ["solicitudes", _, "renovacion"]) => ("procedimiento", "solicitud.crear"),
        ("PUT", ["solicitudes", _]) => ("procedimiento", "solicitud.modificar"),
        ("PUT", ["solicitudes", _, "documento"]) => ("procedimiento", "solicitud.documento"),
        _ => return None,
    })
}

impl App {
    /// Every error answer of the suite must carry a code its operation declares in the OpenAPI
    /// document (`x-codigos-error`, from `iop-api/src/api/codes.rs`).
    async fn check_code(&self, method: &str, path: &str, r: &Resp) {
        if r.status.is_success() || r.code().is_empty() {
            return;
        }
        let declared = self
            .declared
            .get_or_init(|| async {
                let doc: Value = self
                    .client
                    .get(format!("{}/api/openapi.json", self.base))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .json()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let mut out = Vec::new();
                for (template, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
                    for (m, op) in item.as_object().cloned().unwrap_or_default() {
                        let codes: Vec<String> = op["x-codigos-error"]
                            .as_array()
                            .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect())
                            .unwrap_or_default();
                        out.push((m.to_uppercase(), template.clone(), codes));
                    }
                }
                out
            })
            .await;
        let path = path.split('?').next().unwrap_or("");
        let segs: Vec<&str> = path.split('/').collect();
        let mut matches: Vec<&(String, String, Vec<String>)> = declared
            .iter()
            .filter(|(m, t, _)| {
                let ts: Vec<&str> = t.split('/').collect();
                m == method && ts.len() == segs.len() && ts.iter().zip(&segs).all(|(t, s)| t.starts_with('{') || t == s)
            })
            .collect();
        matches.sort_by_key(|(_, t, _)| t.matches('{').count());
        // A path no operation matches answers `ruta_inexistente` (or 405), which no operation declares.
        let Some((_, template, codes)) = matches.first() else { return };
        assert!(
            codes.iter().any(|c| c == r.code()),
            "{method} {template} answered {} «{}», a code it does not declare (iop-api/src/api/codes.rs): {}",
            r.status,
            r.code(),
            r.body
        );
    }

    /// A call to the API. Every accepted change (user, unit, catalog, connector, description,
    /// credential, request content or document) must show up at once in the audit log as the
    /// newest record of its actor, with the right action.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let expected = audited_change(&method, path);
        let r = self.raw_call(method, path, token, body).await;
        if let (Some((stream, action)), Some(token), true) = (expected, token, r.status.is_success()) {
            self.assert_audited(stream, action, token, &r.body).await;
        }
        r
    }

    async fn assert_audited(&self, stream: &str, action: &str, token: &str, body: &Value) {
        let me = self.raw_call(Method::GET, "/api/v1/auth/yo", Some(token), None).await.ok();
        let login = me["usuario"].as_str().unwrap_or_default().to_owned();
        let query = if stream == "procedimiento" {
            let code = body["codigo"].as_str().unwrap_or_default();
            format!("/api/v1/auditoria?cadena=procedimiento&solicitud={code}&limite=1")
        } else {
            format!("/api/v1/auditoria?cadena=administracion&actor={login}&limite=10")
        };
        // The administrative stream is the Administrador's to read; procedure records the actor's.
        let reader = if stream == "procedimiento" {
            token.to_owned()
        } else {
            let r = self.raw_call(Method::GET, "/api/v1/auth/yo", Some(&self.admin_token), None).await;
            if r.status.is_success() {
                self.admin_token.clone()
            } else {
                self.login("admin", &self.admin_password).await
            }
        };
        let page = self.raw_call(Method::GET, &query, Some(&reader), None).await.ok();
        // The newest change of the actor (the reader's own login, if it had to log in again, is
        // recorded too, and comes after it).
        let rec = page["registros"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|r| !r["registro"]["accion"].as_str().unwrap_or("").starts_with("sesion."))
            })
            .map(|r| r["registro"].clone())
            .unwrap_or_default();
        assert_eq!(
            (rec["accion"].as_str(), rec["actor"].as_str()),
            (Some(action), Some(login.as_str())),
            "the change must be in the audit with its actor: {page}"
        );
    }

    async fn raw_call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let method_name = method.as_str().to_owned();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let r = Self::read(res).await;
        self.check_code(&method_name, path, &r).await;
        r
    }

    pub async fn read(res: reqwest::Response) -> Resp {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, body, headers }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn login(&self, user: &str, pw: &str) -> String {
        let r = self
            .raw_call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"usuario": user, "contrasena": pw})),
            )
            .await
            .ok();
        r["token"].as_str().unwrap_or_else(|| panic!("no token: {r}")).to_owned()
    }

    pub async fn upload(&self, id: &str, token: &str, kind: &str, bytes: Vec<u8>, filename: &str, mime: &str) -> Resp {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str(mime)
            .unwrap_or_else(|e| panic!("{e}"));
        let form = reqwest::multipart::Form::new().text("tipo", kind.to_owned()).part("archivo", part);
        let res = self
            .client
            .put(format!("{}/api/v1/solicitudes/{id}/documento", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let r = Self::read(res).await;
        self.check_code("PUT", &format!("/api/v1/solicitudes/{id}/documento"), &r).await;
        if r.status.is_success() {
            self.assert_audited("procedimiento", "solicitud.documento", token, &r.body).await;
        }
        r
    }

    /// Takes an action on a request. Every accepted one must show up at once in the audit log:
    /// its newest procedure record is this transition, by this actor, as the history says.
    pub async fn act(&self, id: &str, token: &str, mut body: Value) -> Resp {
        // Approvals and the receipt send back the note's hash as the user was shown it.
        let binds = ["aprobar_nota_adas", "aprobar_nota_upat", "recibir"].contains(&body["accion"].as_str().unwrap_or(""));
        if binds && body.get("nota_sha256").is_none() {
            let r = self
                .raw_call(Method::GET, &format!("/api/v1/solicitudes/{id}"), Some(token), None)
                .await;
            if let (Some(h), Some(b)) = (r.body["nota"]["sha256"].as_str(), body.as_object_mut()) {
                b.insert("nota_sha256".into(), Value::String(h.to_owned()));
            }
        }
        let r = self.post(&format!("/api/v1/solicitudes/{id}/transiciones"), token, body).await;
        if r.status.is_success() {
            let code = r.body["codigo"].as_str().unwrap_or_default().to_owned();
            let history = self.get(&format!("/api/v1/solicitudes/{code}/historial"), token).await.ok();
            let last = history.as_array().and_then(|h| h.last()).cloned().unwrap_or_default();
            let page = self
                .get(&format!("/api/v1/auditoria?cadena=procedimiento&solicitud={code}&limite=2"), token)
                .await
                .ok();
            // A transition of the note is followed by the record of the PDF it kept of it.
            let first = &page["registros"][0]["registro"];
            let rec = if first["accion"] == "nota.pdf" {
                &page["registros"][1]["registro"]
            } else {
                first
            };
            assert_eq!(rec["accion"], "solicitud.transicion", "{page}");
            assert_eq!(
                (&rec["detalle"]["accion"], &rec["actor_id"], &rec["actor"], &rec["detalle"]["a"]),
                (&last["accion"], &last["actor_id"], &last["actor_usuario"], &last["estado_nuevo"]),
                "the audit must name the transition and its actor: {rec} vs {last}"
            );
        }
        r
    }

    /// The request as `token` sees it.
    pub async fn request_as(&self, id: &str, token: &str) -> Value {
        self.get(&format!("/api/v1/solicitudes/{id}"), token).await.ok()
    }

    pub async fn request(&self, id: &str) -> Value {
        self.get(&format!("/api/v1/solicitudes/{id}"), &self.admin_token).await.ok()
    }
}

/// The items of an API list (`resultados` of a page, or a bare array), as `token` reads them.
/// A page of the web interface as this session sees it: its status and HTML.
pub async fn web_page(app: &App, path: &str, session: &str) -> (u16, String) {
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .header("cookie", format!("iop_sesion={session}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

pub async fn items(app: &App, path: &str, token: &str) -> Vec<Value> {
    let v = app.get(path, token).await.ok();
    v.get("resultados").unwrap_or(&v).as_array().cloned().unwrap_or_default()
}

pub const PASSWORD: &str = "contrasena-de-prueba-1";

/// A world to run PR05 in: units, one user per role (and spares), entities, a system and services.
pub struct World {
    pub unit: String,
    pub tokens: std::collections::HashMap<&'static str, String>,
    pub ids: std::collections::HashMap<&'static str, String>,
    pub system: String,
    pub services: Vec<String>,
    pub publisher: String,
    /// The origin the world's services are published to.
    pub _upstream: Option<crate::upstream::Upstream>,
}

impl World {
    /// The base URL of the world's upstream (its services' origin).
    pub fn origin(&self) -> String {
        format!(
            "http://{}/base",
            self._upstream.as_ref().map(|u| u.addr.to_string()).unwrap_or_default()
        )
    }
    pub fn t(&self, who: &str) -> &str {
        self.tokens.get(who).map(String::as_str).unwrap_or_else(|| panic!("no user {who}"))
    }
    pub fn id(&self, who: &str) -> &str {
        self.ids.get(who).map(String::as_str).unwrap_or_else(|| panic!("no user {who}"))
    }
}

pub const PEOPLE: &[(&str, &[&str], bool)] = &[
    // (login, roles, in the requesting unit?)
    ("sol", &["solicitante"], true),
    ("colega", &["solicitante"], true),
    ("otro", &["solicitante"], false),
    ("jefe", &["jefe_upat"], false),
    ("resp", &["responsable_adas"], false),
    ("lider", &["lider_adas"], false),
    ("lider2", &["lider_adas"], false),
    ("respylider", &["responsable_adas", "lider_adas"], false),
    ("jefeyresp", &["jefe_upat", "responsable_adas"], false),
];

pub async fn world(app: &App) -> World {
    let a = &app.admin_token;
    let unit = app
        .post(
            "/api/v1/unidades",
            a,
            json!({"sigla": "UGE", "nombre": "Unidad de Gobierno Electrónico"}),
        )
        .await
        .ok();
    let other = app
        .post("/api/v1/unidades", a, json!({"sigla": "AJ", "nombre": "Asesoría Jurídica"}))
        .await
        .ok();
    let unit = unit["id"].as_str().unwrap_or_default().to_owned();
    let mut tokens = std::collections::HashMap::new();
    let mut ids = std::collections::HashMap::new();
    for (login, roles, in_unit) in PEOPLE {
        let u = if *in_unit {
            unit.clone()
        } else {
            other["id"].as_str().unwrap_or_default().to_owned()
        };
        let r = app
            .post(
                "/api/v1/usuarios",
                a,
                json!({"usuario": login, "nombre": format!("Persona {login}"), "unidad_id": u, "roles": roles, "contrasena": PASSWORD}),
            )
            .await
            .ok();
        ids.insert(*login, r["usuario"]["id"].as_str().unwrap_or_default().to_owned());
        tokens.insert(*login, app.login(login, PASSWORD).await);
    }
    tokens.insert("admin", a.clone());
    let cons = app
        .post(
            "/api/v1/entidades",
            a,
            json!({"sigla": "GAM", "nombre": "Gobierno Municipal", "tipo": "consumidora"}),
        )
        .await
        .ok();
    let publ = app
        .post(
            "/api/v1/entidades",
            a,
            json!({"sigla": "SEGIP", "nombre": "Registro de identidad", "tipo": "publicadora"}),
        )
        .await
        .ok();
    let system = app
        .post(
            "/api/v1/sistemas",
            a,
            json!({"entidad_id": cons["id"], "codigo": "tramites", "nombre": "Trámites en línea"}),
        )
        .await
        .ok();
    let up = crate::upstream::start("mundo").await;
    let mut w = World {
        unit,
        tokens,
        ids,
        system: system["id"].as_str().unwrap_or_default().to_owned(),
        services: Vec::new(),
        publisher: publ["id"].as_str().unwrap_or_default().to_owned(),
        _upstream: Some(up),
    };
    // The catalog's services reach it the way PR05 says: a publication request whose step 4 built
    // their connectors and descriptions, closed (received) before the test starts.
    let origin = w.origin();
    let (id, published) = publish_services(
        app,
        &w,
        &[("persona", 1), ("certificado", 1)],
        json!({"origenes": [origin]}),
        Some(crate::upstream::DESCRIPTION),
    )
    .await;
    for (who, body) in [
        ("lider", note()),
        ("resp", act("aprobar_nota_adas")),
        ("jefe", act("aprobar_nota_upat")),
        ("sol", act("recibir")),
    ] {
        app.act(&id, w.t(who), body).await.ok();
    }
    w.services = published.into_iter().map(|(s, _)| s).collect();
    w
}

/// A publication request for `items` run through PR05 step 4 the way the Líder does it: for each
/// service, its connector (`connector`, with the default base path unless it names one) and its
/// description (if given) staged, the connector probed, then `habilitar`. Returns the request id and, per
/// item, the service id and its base path.
pub async fn publish_services(
    app: &App,
    w: &World,
    items: &[(&str, u32)],
    connector: Value,
    description: Option<&str>,
) -> (String, Vec<(String, String)>) {
    let specs: Vec<Value> = items
        .iter()
        .map(|(code, version)| json!({"codigo": code, "version": version, "nombre": format!("Servicio {code}")}))
        .collect();
    let r = app
        .post(
            "/api/v1/solicitudes",
            w.t("sol"),
            json!({"tipo": "publicacion", "entidad_publicadora_id": w.publisher, "justificacion": "Publicar servicios",
                   "servicios_publicacion": specs}),
        )
        .await
        .ok();
    let id = r["id"].as_str().unwrap_or_default().to_owned();
    app.upload(&id, w.t("sol"), "NTA", pdf(), "nta.pdf", "application/pdf").await.ok();
    to_leader(app, w, &id).await;
    let mut out = Vec::new();
    for (code, version) in items {
        let base = format!("/api/v1/solicitudes/{id}/publicacion/{code}/{version}");
        let c = app
            .call(
                Method::PUT,
                &format!("{base}/conector"),
                Some(w.t("lider")),
                Some(connector.clone()),
            )
            .await
            .ok();
        if let Some(d) = description {
            let s = app
                .call(
                    Method::PUT,
                    &format!("{base}/descripcion"),
                    Some(w.t("lider")),
                    Some(json!({"documento": d})),
                )
                .await
                .ok();
            assert!(s["operaciones"].as_array().is_some_and(|a| !a.is_empty()), "{s}");
        }
        app.post(&format!("{base}/probar"), w.t("lider"), json!({})).await.ok();
        out.push((
            c["servicio_id"].as_str().unwrap_or_default().to_owned(),
            c["conector"]["ruta_base"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    let publish: Vec<Value> = items.iter().map(|(c, v)| json!({"codigo": c, "version": v})).collect();
    app.act(
        &id,
        w.t("lider"),
        json!({"accion": "habilitar", "habilitacion": {"publicar": publish}}),
    )
    .await
    .ok();
    (id, out)
}

pub fn pdf() -> Vec<u8> {
    iop_app::seed::demo_pdf()
}

/// A consumption request by `sol`, with its document, still a draft. Returns its id.
pub async fn draft(app: &App, w: &World) -> String {
    consumption(app, w, &[w.services[0].as_str()]).await.0
}

/// A consumption request by `sol` for `services`, with its document, still a draft. Returns its
/// id and tracking code.
pub async fn consumption(app: &App, w: &World, services: &[&str]) -> (String, String) {
    let r = app
        .post(
            "/api/v1/solicitudes",
            w.t("sol"),
            json!({"tipo": "consumo", "sistema_id": w.system, "servicios": services, "justificacion": "Verificar identidad en trámites"}),
        )
        .await
        .ok();
    let id = r["id"].as_str().unwrap_or_default().to_owned();
    app.upload(&id, w.t("sol"), "NI", pdf(), "nota.pdf", "application/pdf").await.ok();
    (id, r["codigo"].as_str().unwrap_or_default().to_owned())
}

/// A consumption request by `sol` for the world's first service, submitted (step 1). Returns its
/// id and tracking code.
pub async fn submitted(app: &App, w: &World) -> (String, String) {
    let (id, code) = consumption(app, w, &[w.services[0].as_str()]).await;
    app.post(&format!("/api/v1/solicitudes/{id}/transiciones"), w.t("sol"), act("presentar"))
        .await
        .ok();
    (id, code)
}

pub fn act(accion: &str) -> Value {
    json!({"accion": accion})
}

pub fn enable(w: &World) -> Value {
    json!({"accion": "habilitar", "habilitacion": {"accesos": [{"sistema_id": w.system, "servicio_id": w.services[0]}]}})
}

pub fn note() -> Value {
    json!({"accion": "elaborar_nota", "nota": {"cuerpo": "Se habilitó el acceso y se enviaron las credenciales.", "recomendaciones": "Rotar credenciales"}})
}

/// Moves a fresh request to `state` along the happy path (leader: `lider`).
pub async fn request_in(app: &App, w: &World, state: &str) -> String {
    let id = draft(app, w).await;
    let steps: Vec<(&str, Value)> = vec![
        ("sol", act("presentar")),
        ("jefe", act("derivar")),
        ("resp", json!({"accion": "asignar", "lider_id": w.id("lider")})),
        ("lider", enable(w)),
        ("lider", note()),
        ("resp", act("aprobar_nota_adas")),
        ("jefe", act("aprobar_nota_upat")),
        ("sol", act("recibir")),
    ];
    let order = [
        "borrador",
        "presentada",
        "derivada_adas",
        "asignada_lider",
        "habilitada",
        "nota_elaborada",
        "nota_aprobada_adas",
        "nota_aprobada_upat",
        "recibida",
    ];
    let target = order
        .iter()
        .position(|s| *s == state)
        .unwrap_or_else(|| panic!("unknown state {state}"));
    for (who, body) in steps.into_iter().take(target) {
        app.act(&id, w.t(who), body).await.ok();
    }
    id
}

/// Logs everyone in again (after the test clock made their tokens expire).
pub async fn relogin(app: &App, w: &mut World) {
    for (login, _, _) in PEOPLE {
        let t = app.login(login, PASSWORD).await;
        w.tokens.insert(login, t);
    }
    let t = app.login("admin", &app.admin_password).await;
    w.tokens.insert("admin", t);
}

/// Steps 1–3 for a draft that has its document: presented, routed, assigned to `lider`.
pub async fn to_leader(app: &App, w: &World, id: &str) {
    for (who, body) in [
        ("sol", act("presentar")),
        ("jefe", act("derivar")),
        ("resp", json!({"accion": "asignar", "lider_id": w.id("lider")})),
    ] {
        app.act(id, w.t(who), body).await.ok();
    }
}

pub const BIN: &str = env!("CARGO_BIN_EXE_iop");

/// The real binary, with no configuration from the environment.
pub fn iop(args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(BIN);
    c.args(args)
        .env_remove("IOP_CONFIG")
        .env_remove("IOP_DATA_DIR")
        .env("IOP_LOG", "warn");
    c
}

/// A self-signed certificate for `localhost` and 127.0.0.1 (EC P-256, one day) and its key, as
/// PEM files in `dir`, made with openssl.
pub fn test_certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(ok, "openssl could not make a test certificate");
    (cert, key)
}
