//! The web interface over a real socket: sessions in a cookie, CSRF on every form, security
//! headers, the inbox, and the request page offering exactly what the domain allows.

use crate::helpers::*;
use reqwest::StatusCode;
use std::collections::{BTreeSet, HashMap};

/// A browser without JavaScript: keeps its cookies, never follows redirects by itself.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
    lang: Option<&'static str>,
}

struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    set_cookies: Vec<String>,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
    }
    /// The value of the first `name="…" value="…"` hidden input with that name.
    fn hidden(&self, name: &str) -> String {
        let needle = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&needle)
            .map(|i| i + needle.len())
            .unwrap_or_else(|| panic!("no {name} in {}", self.body));
        self.body[start..].split('"').next().unwrap_or("").to_owned()
    }
    /// The actions the page offers (`data-accion`).
    fn actions(&self) -> BTreeSet<String> {
        self.body
            .match_indices("data-accion=\"")
            .map(|(i, m)| self.body[i + m.len()..].split('"').next().unwrap_or("").to_owned())
            .collect()
    }
    fn cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }
}

impl Browser {
    fn new(app: &App) -> Browser {
        Browser {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
            cookies: HashMap::new(),
            lang: None,
        }
    }

    async fn send(&mut self, r: reqwest::RequestBuilder) -> Page {
        let mut r = r;
        if !self.cookies.is_empty() {
            let c: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            r = r.header("cookie", c.join("; "));
        }
        if let Some(l) = self.lang {
            r = r.header("accept-language", l);
        }
        let res = r.send().await.unwrap_or_else(|e| panic!("{e}"));
        let status = res.status();
        let headers = res.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for c in &set_cookies {
            let first = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let body = res.text().await.unwrap_or_default();
        Page {
            status,
            headers,
            set_cookies,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let r = self.client.get(format!("{}{path}", self.base));
        self.send(r).await
    }

    async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let r = self.client.post(format!("{}{path}", self.base)).multipart(form);
        self.send(r).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(r).await
    }

    /// A form sent as the pages' scripts send it (they ask for JSON).
    async fn post_for_script(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("accept", "application/json")
            .form(form);
        self.send(r).await
    }

    /// Logs in through the form; returns the page after the redirect.
    async fn login(&mut self, user: &str, password: &str) -> Page {
        let form = self.get("/ingresar").await;
        let csrf = form.hidden("_csrf");
        let r = self
            .post(
                "/ingresar",
                &[
                    ("usuario", user),
                    ("contrasena", password),
                    ("_csrf", &csrf),
                    ("siguiente", "/bandeja"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let next = r.location().to_owned();
        self.get(&next).await
    }
}

fn security_headers(p: &Page) {
    let h = |n: &str| p.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(h("content-security-policy"), iop_web::CSP);
    assert!(iop_web::CSP.contains("frame-ancestors 'none'") && !iop_web::CSP.contains("unsafe-inline"));
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("referrer-policy"), "no-referrer");
    // No page carries inline script or style (a script is one of this site's files).
    let inline_script = p
        .body
        .match_indices("<script")
        .any(|(i, _)| !p.body[i..].starts_with("<script src=\"/estatico/"));
    assert!(
        !inline_script && !p.body.contains("<style") && !p.body.contains(" style=") && !p.body.contains(" onclick="),
        "{}",
        p.body
    );
}

#[tokio::test]
async fn sessions_live_in_a_strict_cookie_and_every_form_needs_its_token() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (_, code) = submitted(&app, &w).await;
    let mut b = Browser::new(&app);

    // A logged-out user is sent to the login page, and back after login.
    let r = b.get("/bandeja").await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/ingresar?siguiente=/bandeja"));
    let r = b.get(&format!("/solicitudes/{code}")).await;
    assert_eq!(r.location(), format!("/ingresar?siguiente=/solicitudes/{code}"));
    let form = b.get(&format!("/ingresar?siguiente=/solicitudes/{code}")).await;
    assert_eq!(form.status, StatusCode::OK);
    security_headers(&form);
    assert!(
        form.body.contains("<html lang=\"es\">") && form.body.contains("Iniciar sesión"),
        "{}",
        form.body
    );
    let csrf_cookie = form
        .cookie("iop_csrf")
        .unwrap_or_else(|| panic!("{:?}", form.set_cookies))
        .to_owned();
    assert!(
        csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"),
        "{csrf_cookie}"
    );
    let csrf = form.hidden("_csrf");

    // The login form refuses a missing or wrong token, and wrong credentials, and sets nothing.
    for bad in ["", "0123456789abcdef0123456789abcdef"] {
        let r = b
            .post("/ingresar", &[("usuario", "jefe"), ("contrasena", PASSWORD), ("_csrf", bad)])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.cookie("iop_sesion").is_none());
        assert!(r.body.contains("El formulario venció"), "{}", r.body);
    }
    // Each refusal handed out a fresh token: use the latest.
    drop(csrf);
    let csrf = b.get("/ingresar").await.hidden("_csrf");
    let r = b
        .post(
            "/ingresar",
            &[("usuario", "jefe"), ("contrasena", "no-es-la-clave"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.cookie("iop_sesion").is_none());
    assert!(
        r.body.contains("usuario o contraseña incorrectos") && r.body.contains("value=\"jefe\""),
        "{}",
        r.body
    );

    // Right credentials: a strict session cookie, and back where the user was going; a path of
    // another site is never followed.
    let csrf = r.hidden("_csrf");
    let r = b
        .post(
            "/ingresar",
            &[
                ("usuario", "jefe"),
                ("contrasena", PASSWORD),
                ("_csrf", &csrf),
                ("siguiente", &format!("/solicitudes/{code}")),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, format!("/solicitudes/{code}").as_str())
    );
    let session = r.cookie("iop_sesion").unwrap_or_else(|| panic!("{:?}", r.set_cookies)).to_owned();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(!session.contains("Secure"), "plain http on loopback: not Secure ({session})");
    let mut evil = Browser::new(&app);
    let f = evil.get("/ingresar").await;
    let r = evil
        .post(
            "/ingresar",
            &[
                ("usuario", "jefe"),
                ("contrasena", PASSWORD),
                ("_csrf", &f.hidden("_csrf")),
                ("siguiente", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/bandeja");

    // The inbox shows what waits for the Jefe de UPAT.
    let inbox = b.get("/bandeja").await;
    assert_eq!(inbox.status, StatusCode::OK);
    security_headers(&inbox);
    assert!(inbox.body.contains(&format!("data-solicitud=\"{code}\"")), "{}", inbox.body);
    assert!(
        inbox.body.contains("Presentada") && inbox.body.contains("Jefe de UPAT"),
        "{}",
        inbox.body
    );
    assert!(
        inbox
            .body
            .contains("<td data-dias data-etiqueta=\"Antigüedad\">menos de 1 día hábil</td>"),
        "{}",
        inbox.body
    );

    // The request list, by state, and the header's search box.
    let list = b.get("/solicitudes?estado=presentada").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("data-solicitud=\"{code}\"")), "{}", list.body);
    assert!(list.body.contains("<option value=\"presentada\" selected>"), "{}", list.body);
    let other_state = b.get("/solicitudes?estado=recibida").await;
    assert!(
        !other_state.body.contains(&code) && other_state.body.contains(">Recibida</td>"),
        "{}",
        other_state.body
    );
    let none = b.get("/solicitudes?estado=rechazada").await;
    assert!(none.body.contains("No hay solicitudes que mostrar"), "{}", none.body);
    let bad = b.get("/solicitudes?estado=perdida").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("name=\"estado\" aria-invalid=\"true\""), "{}", bad.body);
    let found = b.get(&format!("/buscar?q=%20{}%20", code.to_lowercase())).await;
    assert_eq!(
        (found.status, found.location()),
        (StatusCode::SEE_OTHER, format!("/solicitudes/{code}").as_str())
    );
    let missing = b.get("/buscar?q=IOP-2026-999999").await;
    assert!(missing.body.contains("No se encontró «IOP-2026-999999»"), "{}", missing.body);
    let mut outsider = Browser::new(&app);
    outsider.login("otro", PASSWORD).await;
    let hidden = outsider.get(&format!("/buscar?q={code}")).await;
    assert_eq!(hidden.status, StatusCode::OK, "another unit's requester is not sent to it");
    assert!(hidden.body.contains("No se encontró"), "{}", hidden.body);
    let list = outsider.get("/solicitudes").await;
    assert!(!list.body.contains(&code), "{}", list.body);
    // Above it, for the Jefe de UPAT: requests per state and each team leader's open load.
    assert!(inbox.body.contains("Resumen del procedimiento"), "{}", inbox.body);
    assert!(
        inbox
            .body
            .contains("<tr data-conteo><td data-etiqueta=\"Estado\">Presentada</td><td data-etiqueta=\"Cantidad\">1</td></tr>"),
        "{}",
        inbox.body
    );
    assert!(
        inbox.body.contains("<tr data-carga><td data-etiqueta=\"Líder de equipo de ADAS\">Persona lider</td><td data-etiqueta=\"Solicitudes abiertas asignadas\">0</td></tr>"),
        "{}",
        inbox.body
    );
    let other = Browser::new(&app).login("lider", PASSWORD).await;
    assert!(!other.body.contains("Resumen del procedimiento"), "only for UPAT and ADAS heads");
    assert!(
        !other.body.contains(&code) && other.body.contains("No hay solicitudes esperando"),
        "{}",
        other.body
    );

    // Logging out needs the session's token; then the session is over on the server too.
    let token = b.cookies.get("iop_sesion").cloned().unwrap_or_default();
    let r = b.post("/salir", &[("_csrf", "x")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b.post("/salir", &[("_csrf", &inbox.hidden("_csrf"))]).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/ingresar"));
    assert!(r.cookie("iop_sesion").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(app.get("/api/v1/auth/yo", &token).await.status.as_u16(), 401);
    b.cookies.insert("iop_sesion".into(), token);
    assert_eq!(b.get("/bandeja").await.status, StatusCode::SEE_OTHER);

    // Logins and logouts are in the audit log, with the client's address; failed ones are not
    // recorded by name (people type passwords into that field).
    let page = app
        .get("/api/v1/auditoria?cadena=administracion&actor=jefe&limite=50", &app.admin_token)
        .await
        .ok();
    let actions: Vec<&str> = page["registros"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["registro"]["accion"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions.first(), Some(&"sesion.cerrar"), "{page}");
    assert!(actions.iter().filter(|a| **a == "sesion.iniciar").count() >= 2, "{actions:?}");
    let login = page["registros"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["registro"]["accion"] == "sesion.iniciar"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(login["registro"]["detalle"]["direccion"], "127.0.0.1", "{login}");
    let all = app
        .get("/api/v1/auditoria?cadena=administracion&limite=200", &app.admin_token)
        .await
        .ok();
    assert!(
        !all.to_string().contains("no-es-la-clave"),
        "a typed password reached the audit log"
    );
    // A failed login on an account is recorded (by the platform, naming the account and the
    // address); one on a name that is no account is not (it may be a password typed there).
    let failed: Vec<serde_json::Value> = all["registros"]
        .as_array()
        .map(|a| a.iter().filter(|r| r["registro"]["accion"] == "sesion.fallida").cloned().collect())
        .unwrap_or_default();
    assert_eq!(failed.len(), 1, "the wrong password on «jefe»: {all}");
    assert_eq!(
        (
            failed[0]["registro"]["sujeto"].as_str(),
            failed[0]["registro"]["detalle"]["direccion"].as_str()
        ),
        (Some("jefe"), Some("127.0.0.1"))
    );
    let mut typo = Browser::new(&app);
    let f = typo.get("/ingresar").await;
    let r = typo
        .post(
            "/ingresar",
            &[
                ("usuario", "Secreta-2026-clave"),
                ("contrasena", "x"),
                ("_csrf", &f.hidden("_csrf")),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let after = app
        .get("/api/v1/auditoria?cadena=administracion&limite=200", &app.admin_token)
        .await
        .ok();
    assert!(
        !after.to_string().to_lowercase().contains("secreta-2026"),
        "an unknown name reached the audit log"
    );
}

#[tokio::test]
async fn the_request_page_offers_exactly_what_the_domain_allows_in_both_languages() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, code) = submitted(&app, &w).await;
    let page = format!("/solicitudes/{code}");

    // Presented: the Jefe de UPAT derives, observes or rejects; the Responsable de ADAS may reject;
    // the requester may withdraw; a team leader has nothing to do.
    let mut seen = HashMap::new();
    for (who, expected) in [
        ("jefe", &["derivar", "observar", "rechazar"][..]),
        ("resp", &["rechazar"][..]),
        ("sol", &["desistir"][..]),
        ("lider", &[][..]),
    ] {
        let mut b = Browser::new(&app);
        b.login(who, PASSWORD).await;
        let p = b.get(&page).await;
        assert_eq!(p.status, StatusCode::OK, "{who}: {}", p.body);
        security_headers(&p);
        let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(p.actions(), want, "{who}");
        if expected.is_empty() {
            assert!(p.body.contains("No tiene acciones disponibles"), "{}", p.body);
        }
        seen.insert(who, (b, p));
    }

    // An action the page did not offer, submitted by hand, is refused by the domain and changes
    // nothing; so is any form without the session's token.
    let (mut sol, sol_page) = seen.remove("sol").unwrap_or_else(|| panic!("sol"));
    let csrf = sol_page.hidden("_csrf");
    let r = sol
        .post(&format!("{page}/acciones"), &[("_csrf", &csrf), ("accion", "derivar")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("id=\"error\""), "{}", r.body);
    let (mut jefe, jefe_page) = seen.remove("jefe").unwrap_or_else(|| panic!("jefe"));
    let r = jefe
        .post(&format!("{page}/acciones"), &[("_csrf", &csrf), ("accion", "derivar")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "another session's token: {}", r.body);
    assert_eq!(
        app.get(&format!("/api/v1/solicitudes/{id}"), w.t("jefe")).await.ok()["estado"],
        "presentada"
    );

    // A comment is required where the domain says so.
    let jcsrf = jefe_page.hidden("_csrf");
    let r = jefe
        .post(
            &format!("{page}/acciones"),
            &[("_csrf", &jcsrf), ("accion", "rechazar"), ("comentario", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("requiere un comentario"), "{}", r.body);

    // The offered action goes through, and the page tells what happened and shows the flow.
    let version = jefe_page.hidden("version");
    let r = jefe
        .post(
            &format!("{page}/acciones"),
            &[
                ("_csrf", &jcsrf),
                ("accion", "derivar"),
                ("comentario", "Pasa a ADAS"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, format!("{page}?hecho=derivar").as_str())
    );
    let p = jefe.get(r.location()).await;
    assert!(p.body.contains("Acción registrada: Derivar a ADAS."), "{}", p.body);
    assert!(
        p.body.contains("Progreso del documento") && p.body.contains("Pasa a ADAS"),
        "{}",
        p.body
    );
    // Forwarded: the Jefe de UPAT may still reject, nothing else.
    assert_eq!(p.actions(), BTreeSet::from(["rechazar".to_owned()]));
    assert_eq!(
        app.get(&format!("/api/v1/solicitudes/{id}"), w.t("jefe")).await.ok()["estado"],
        "derivada_adas"
    );
    // A stale form (rendered before the request moved on) is refused, and changes nothing.
    let r = jefe
        .post(
            &format!("{page}/acciones"),
            &[
                ("_csrf", &jcsrf),
                ("accion", "rechazar"),
                ("version", &version),
                ("comentario", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        app.get(&format!("/api/v1/solicitudes/{id}"), w.t("jefe")).await.ok()["estado"],
        "derivada_adas"
    );

    // English, chosen with the switch, for the same pages.
    let (mut resp, _) = seen.remove("resp").unwrap_or_else(|| panic!("resp"));
    let r = resp.get(&format!("/idioma/en?siguiente={page}")).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, page.as_str()));
    assert!(r.cookie("iop_idioma").is_some_and(|c| c.starts_with("iop_idioma=en")));
    let p = resp.get(&page).await;
    assert!(
        p.body.contains("<html lang=\"en\">") && p.body.contains("Document progress"),
        "{}",
        p.body
    );
    assert_eq!(
        p.actions(),
        ["asignar", "observar", "rechazar"].iter().map(|s| s.to_string()).collect()
    );
    let inbox = resp.get("/bandeja").await;
    assert!(
        inbox.body.contains("Inbox") && inbox.body.contains("Forwarded to ADAS"),
        "{}",
        inbox.body
    );
    // Spanish unless English was chosen, whatever the browser's own language.
    let mut en = Browser::new(&app);
    en.lang = Some("en-US,en;q=0.9");
    let f = en.get("/ingresar").await;
    assert!(
        f.body.contains("<html lang=\"es\">") && f.body.contains("Iniciar sesión"),
        "{}",
        f.body
    );
    let _ = en.get("/idioma/en?siguiente=/ingresar").await;
    let f = en.get("/ingresar").await;
    assert!(f.body.contains("<html lang=\"en\">") && f.body.contains("Log in"), "{}", f.body);
    let nf = en.get("/no-existe").await;
    assert_eq!(nf.status, StatusCode::NOT_FOUND);
    assert!(nf.body.contains("No such page"), "{}", nf.body);
    let css = en.get("/estatico/estilo.css").await;
    assert_eq!(
        css.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/css; charset=utf-8")
    );
}

/// The value of the `<option>` whose text is `label`.
fn option_value(body: &str, label: &str) -> String {
    let end = body
        .find(&format!(">{label}</option>"))
        .unwrap_or_else(|| panic!("no option {label} in {body}"));
    let start = body[..end].rfind("value=\"").map(|i| i + 7).unwrap_or_else(|| panic!("{body}"));
    body[start..end].trim_end_matches('"').to_owned()
}

#[tokio::test]
async fn the_procedure_walks_through_the_pages() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, code) = consumption(&app, &w, &[w.services[0].as_str()]).await;
    let page = format!("/solicitudes/{code}");
    let state = || async { app.get(&format!("/api/v1/solicitudes/{id}"), w.t("jefe")).await.ok()["estado"].clone() };
    let mut browsers = HashMap::new();
    for who in ["sol", "jefe", "resp", "lider"] {
        let mut b = Browser::new(&app);
        b.login(who, PASSWORD).await;
        browsers.insert(who, b);
    }
    // Each step: open the page, fill the offered action's form, submit, land on the page again.
    async fn step(b: &mut Browser, page: &str, accion: &str, extra: &[(&str, String)]) -> Page {
        let p = b.get(page).await;
        assert!(p.actions().contains(accion), "{accion} not offered: {:?}", p.actions());
        let mut form: Vec<(&str, String)> = vec![
            ("_csrf", p.hidden("_csrf")),
            ("accion", accion.to_owned()),
            ("version", p.hidden("version")),
            ("nota_sha256", p.hidden("nota_sha256")),
        ];
        form.extend(extra.iter().cloned());
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = b.post(&format!("{page}/acciones"), &pairs).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{accion}: {}", r.body);
        b.get(r.location()).await
    }
    step(browsers.get_mut("sol").unwrap_or_else(|| panic!()), &page, "presentar", &[]).await;
    step(browsers.get_mut("jefe").unwrap_or_else(|| panic!()), &page, "derivar", &[]).await;
    // Step 3 offers the active team leaders by name.
    let resp = browsers.get_mut("resp").unwrap_or_else(|| panic!());
    let p = resp.get(&page).await;
    let lider = option_value(&p.body, "Persona lider");
    assert_eq!(lider, w.id("lider"));
    step(resp, &page, "asignar", &[("lider_id", lider)]).await;
    assert_eq!(state().await, "asignada_lider");
    let overview = browsers.get_mut("jefe").unwrap_or_else(|| panic!()).get("/bandeja").await;
    assert!(
        overview
            .body
            .contains("Persona lider</td><td data-etiqueta=\"Solicitudes abiertas asignadas\">1</td>"),
        "the assigned leader's load: {}",
        overview.body
    );
    // Step 4 on its form: the leader grants the service asked for, with a limit, and issues an
    // API key for the requesting unit.
    let lider = browsers.get_mut("lider").unwrap_or_else(|| panic!());
    let lp = lider.get(&page).await;
    let svc = &w.services[0];
    assert!(lp.body.contains(&format!("data-servicio=\"{svc}\"")), "{}", lp.body);
    let r = lider
        .post(
            &format!("{page}/acciones"),
            &[
                ("_csrf", lp.hidden("_csrf").as_str()),
                ("accion", "habilitar"),
                ("version", lp.hidden("version").as_str()),
                ("paso4", "1"),
                ("sistema_id", w.system.as_str()),
                ("otorgar", svc.as_str()),
                (format!("limite-{svc}").as_str(), "50"),
                (format!("rafaga-{svc}").as_str(), "100"),
                (format!("desde-{svc}").as_str(), ""),
                ("emitir", "apikey"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let grants = app.get(&format!("/api/v1/solicitudes/{id}"), w.t("jefe")).await.ok()["habilitaciones"].clone();
    assert_eq!(grants.as_array().map(Vec::len), Some(1), "{grants}");
    assert_eq!(
        (grants[0]["servicio_id"].as_str(), grants[0]["limite_por_segundo"].as_f64()),
        (Some(svc.as_str()), Some(50.0)),
        "{grants}"
    );
    // A limit that is not a number is refused on the form, naming the problem.
    let lp = lider.get(&page).await;
    let bad = lider
        .post(
            &format!("{page}/acciones"),
            &[
                ("_csrf", lp.hidden("_csrf").as_str()),
                ("accion", "ajustar_habilitacion"),
                ("paso4", "1"),
                ("sistema_id", w.system.as_str()),
                ("otorgar", svc.as_str()),
                (format!("limite-{svc}").as_str(), "muchas"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("id=\"error\""), "{}", bad.body);
    // The accesses wait for the requesting unit: its Solicitante may retrieve them, the leader may not.
    let lider_view = browsers.get_mut("lider").unwrap_or_else(|| panic!()).get(&page).await;
    assert!(
        lider_view.body.contains("pendiente de retiro") && !lider_view.body.contains("data-retirar"),
        "{}",
        lider_view.body
    );
    let sol = browsers.get_mut("sol").unwrap_or_else(|| panic!());
    let sp = sol.get(&page).await;
    assert!(sp.body.contains("data-retirar"), "{}", sp.body);
    let secrets = sol.post(&format!("{page}/accesos"), &[("_csrf", &sp.hidden("_csrf"))]).await;
    assert_eq!(secrets.status, StatusCode::OK, "{}", secrets.body);
    assert_eq!(secrets.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert!(secrets.body.contains("no se volverán a mostrar"), "{}", secrets.body);
    security_headers(&secrets);
    let key_at = secrets
        .body
        .find("data-secreto id=\"clave-1\">iop_k_")
        .unwrap_or_else(|| panic!("{}", secrets.body))
        + "data-secreto id=\"clave-1\">".len();
    let key = secrets.body[key_at..].split('<').next().unwrap_or("").to_owned();
    assert!(key.len() > 60, "{key}");
    // Once: the page now says who took them, and a second attempt is refused.
    let sp = sol.get(&page).await;
    assert!(
        sp.body.contains("retirado por «sol»") && !sp.body.contains("data-retirar"),
        "{}",
        sp.body
    );
    let again = sol.post(&format!("{page}/accesos"), &[("_csrf", &sp.hidden("_csrf"))]).await;
    assert_eq!(again.status, StatusCode::GONE, "{}", again.body);
    assert!(!again.body.contains(&key) && !sp.body.contains(&key), "the secret is shown once");
    // Step 5's form starts from a draft of the note: what step 4 did, and the usual advice.
    let dp = browsers.get_mut("lider").unwrap_or_else(|| panic!()).get(&page).await;
    for drafted in [
        "required>En atención a la solicitud IOP-",
        "el equipo de ADAS informa que se habilitó el acceso del sistema",
        "Que la unidad solicitante retire las credenciales en la plataforma",
        "<script src=\"/estatico/borrador.js\" defer></script>",
    ] {
        assert!(dp.body.contains(drafted), "{drafted:?} in:\n{}", dp.body);
    }
    // What the Líder writes is kept as they type (the page's script), and found on coming back.
    let draft_path = format!("{page}/nota/borrador");
    let csrf = dp.hidden("_csrf");
    let lider = browsers.get_mut("lider").unwrap_or_else(|| panic!());
    let saved = lider
        .post_for_script(
            &draft_path,
            &[("_csrf", &csrf), ("cuerpo", "Borrador a medias"), ("recomendaciones", "")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::NO_CONTENT, "{}", saved.body);
    let back = lider.get(&page).await;
    assert!(back.body.contains("required>Borrador a medias</textarea>"), "{}", back.body);
    assert!(
        back.body.contains("name=\"recomendaciones\" rows=\"3\"></textarea>"),
        "kept empty: {}",
        back.body
    );
    // Without the script, the form's button saves it and comes back to the page.
    let saved = lider
        .post(
            &draft_path,
            &[("_csrf", &csrf), ("cuerpo", "Borrador sin script"), ("recomendaciones", "Nada")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), format!("{page}?preparado=borrador#acciones"));
    let back = lider.get(saved.location()).await;
    assert!(
        back.body.contains("Borrador de la Nota Interna guardado.") && back.body.contains(">Borrador sin script</textarea>"),
        "{}",
        back.body
    );
    let forged = lider.post_for_script(&draft_path, &[("_csrf", "otro"), ("cuerpo", "x")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    // Only who could submit the note keeps a draft of it.
    let rp = browsers.get_mut("resp").unwrap_or_else(|| panic!()).get(&page).await;
    let refused = browsers
        .get_mut("resp")
        .unwrap_or_else(|| panic!())
        .post_for_script(&draft_path, &[("_csrf", &rp.hidden("_csrf")), ("cuerpo", "de otro")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("\"codigo\""), "{}", refused.body);
    let lp = step(
        browsers.get_mut("lider").unwrap_or_else(|| panic!()),
        &page,
        "elaborar_nota",
        &[
            ("cuerpo", "Se habilitó el acceso del sistema.".to_owned()),
            ("recomendaciones", String::new()),
        ],
    )
    .await;
    assert!(lp.body.contains("Elaborar la Nota Interna"), "{}", lp.body);
    // The approvers read the note on the page, with the hash they approve.
    let rp = browsers.get_mut("resp").unwrap_or_else(|| panic!()).get(&page).await;
    assert!(
        rp.body.contains("data-nota") && rp.body.contains("Se habilitó el acceso del sistema."),
        "{}",
        rp.body
    );
    assert!(
        rp.body.contains(&format!("<code>{}</code>", rp.hidden("nota_sha256"))),
        "{}",
        rp.body
    );
    // Steps 6 to 8 send back the note's hash as the page showed it.
    step(
        browsers.get_mut("resp").unwrap_or_else(|| panic!()),
        &page,
        "aprobar_nota_adas",
        &[],
    )
    .await;
    step(
        browsers.get_mut("jefe").unwrap_or_else(|| panic!()),
        &page,
        "aprobar_nota_upat",
        &[],
    )
    .await;
    let last = step(browsers.get_mut("sol").unwrap_or_else(|| panic!()), &page, "recibir", &[]).await;
    assert_eq!(state().await, "recibida");
    assert!(last.body.contains("Recibida") && last.actions().is_empty(), "{}", last.body);
    for label in [
        "Presentar",
        "Derivar a ADAS",
        "Asignar a un Líder",
        "Habilitar",
        "Aprobar la Nota Interna (UPAT)",
        "Recibir",
    ] {
        assert!(last.body.contains(label), "{label} missing from the flow: {}", last.body);
    }
}

#[tokio::test]
async fn a_requester_creates_a_request_with_its_document_through_the_form() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut b = Browser::new(&app);
    b.login("sol", PASSWORD).await;
    let count = || requests_seen(&app, &w);
    let before = count().await;
    let form = b.get("/solicitudes/nueva").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    security_headers(&form);
    let csrf = form.hidden("_csrf");
    assert!(
        form.body.contains(&format!("value=\"{}\"", w.system)),
        "the world's system is offered: {}",
        form.body
    );
    assert!(
        form.body.contains(&format!("value=\"{}\"", w.services[0])),
        "its published service too"
    );
    let fill = |csrf: &str, file: Option<(Vec<u8>, &str)>| {
        let mut f = reqwest::multipart::Form::new()
            .text("_csrf", csrf.to_owned())
            .text("tipo", "consumo".to_owned())
            .text("sistema_id", w.system.clone())
            .text("servicios", w.services[0].clone())
            .text("justificacion", "Verificar identidad en trámites".to_owned())
            .text("documento_tipo", "NI".to_owned());
        if let Some((bytes, name)) = file {
            f = f.part("archivo", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
        }
        f
    };

    // Refusals keep what was typed, name the field, and create nothing.
    let r = b.post_multipart("/solicitudes/nueva", fill(&csrf, None)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("adjunte el PDF") && r.body.contains("Verificar identidad en trámites"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("id=\"archivo\" name=\"archivo\" type=\"file\" accept=\"application/pdf\" required aria-invalid=\"true\""),
        "{}",
        r.body
    );
    let r = b
        .post_multipart("/solicitudes/nueva", fill(&csrf, Some((b"no soy un pdf".to_vec(), "nota.pdf"))))
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    assert!(r.body.contains("debe ser un PDF"), "{}", r.body);
    let r = b
        .post_multipart("/solicitudes/nueva", fill("otro", Some((pdf(), "nota.pdf"))))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(count().await, before, "nothing was created");

    // The complete form: a draft with its document, ready to be submitted from its page.
    let r = b.post_multipart("/solicitudes/nueva", fill(&csrf, Some((pdf(), "nota.pdf")))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(r.location()).await;
    assert!(
        page.body.contains("Borrador") && page.body.contains("NI — nota.pdf"),
        "{}",
        page.body
    );
    assert_eq!(page.actions(), ["desistir", "presentar"].iter().map(|s| s.to_string()).collect());
    assert_eq!(count().await, before + 1);
    // Someone who may not request gets the domain's refusal, and nothing is created.
    let mut jefe = Browser::new(&app);
    jefe.login("jefe", PASSWORD).await;
    let jf = jefe.get("/solicitudes/nueva").await;
    let r = jefe
        .post_multipart("/solicitudes/nueva", fill(&jf.hidden("_csrf"), Some((pdf(), "nota.pdf"))))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("solo un solicitante"), "{}", r.body);
}

#[tokio::test]
async fn behind_https_the_cookies_are_secure() {
    let app = spawn_app_with(|s| s.control.public_url = Some("https://iop.example.gob.bo".into())).await;
    let _w = world(&app).await;
    let mut b = Browser::new(&app);
    let form = b.get("/ingresar").await;
    assert!(
        form.cookie("iop_csrf").is_some_and(|c| c.ends_with("; Secure")),
        "{:?}",
        form.set_cookies
    );
    let r = b
        .post(
            "/ingresar",
            &[("usuario", "jefe"), ("contrasena", PASSWORD), ("_csrf", &form.hidden("_csrf"))],
        )
        .await;
    let session = r.cookie("iop_sesion").unwrap_or_else(|| panic!("{:?}", r.set_cookies));
    for flag in ["HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(session.contains(flag), "{session}");
    }
}

#[tokio::test]
async fn a_user_changes_their_own_password_and_logs_in_again() {
    let app = spawn_app().await;
    let _w = world(&app).await;
    let mut b = Browser::new(&app);
    b.login("sol", PASSWORD).await;
    let form = b.get("/contrasena").await;
    assert_eq!(form.status, StatusCode::OK);
    security_headers(&form);
    let csrf = form.hidden("_csrf");
    let new = "una-clave-nueva-y-larga";
    let send = |csrf: &str, actual: &str, nueva: &str, repetida: &str| {
        vec![
            ("_csrf".to_owned(), csrf.to_owned()),
            ("actual".to_owned(), actual.to_owned()),
            ("nueva".to_owned(), nueva.to_owned()),
            ("repetida".to_owned(), repetida.to_owned()),
        ]
    };
    for (fields, status, says) in [
        (send("otro", PASSWORD, new, new), StatusCode::FORBIDDEN, "El formulario venció"),
        (
            send(&csrf, PASSWORD, new, "otra-distinta-123"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no coinciden",
        ),
        (
            send(&csrf, PASSWORD, "corta", "corta"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "de 12 a 256 caracteres",
        ),
        (
            send(&csrf, "no-es-la-actual", new, new),
            StatusCode::UNAUTHORIZED,
            "usuario o contraseña incorrectos",
        ),
    ] {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = b.post("/contrasena", &pairs).await;
        assert_eq!(r.status, status, "{says}: {}", r.body);
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }
    // Nothing changed so far: the old password still works.
    assert!(!app.login("sol", PASSWORD).await.is_empty());
    let fields = send(&csrf, PASSWORD, new, new);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = b.post("/contrasena", &pairs).await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/ingresar?cambiada=1"),
        "{}",
        r.body
    );
    assert!(r.cookie("iop_sesion").is_some_and(|c| c.contains("Max-Age=0")));
    let notice = b.get(r.location()).await;
    assert!(notice.body.contains("Su contraseña cambió"), "{}", notice.body);
    // Every session ended; the old password no longer opens one, the new one does.
    let mut old = Browser::new(&app);
    let f = old.get("/ingresar").await;
    let refused = old
        .post(
            "/ingresar",
            &[("usuario", "sol"), ("contrasena", PASSWORD), ("_csrf", &f.hidden("_csrf"))],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let inbox = Browser::new(&app).login("sol", new).await;
    assert_eq!(inbox.status, StatusCode::OK);
    // The change is in the audit log, by its owner.
    let page = app
        .get("/api/v1/auditoria?cadena=administracion&actor=sol&limite=20", &app.admin_token)
        .await
        .ok();
    assert!(
        page["registros"]
            .as_array()
            .is_some_and(|a| a.iter().any(|r| r["registro"]["accion"] == "usuario.contrasena")),
        "{page}"
    );
}

#[tokio::test]
async fn a_publication_is_requested_prepared_and_enabled_through_the_pages() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let count = || requests_seen(&app, &w);
    let before = count().await;
    let mut sol = Browser::new(&app);
    sol.login("sol", PASSWORD).await;
    let form = sol.get("/solicitudes/nueva").await;
    assert!(
        form.body.contains(&format!("value=\"{}\"", w.publisher)),
        "the publisher is offered"
    );
    let csrf = form.hidden("_csrf");
    let fill = |codigo: &str| {
        reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .text("tipo", "publicacion".to_owned())
            // The consumption part is not this request's: ignored, not refused.
            .text("sistema_id", w.system.clone())
            .text("entidad_publicadora_id", w.publisher.clone())
            .text("pub-codigo-0", codigo.to_owned())
            .text("pub-version-0", "1".to_owned())
            .text("pub-nombre-0", "Padrón de contribuyentes".to_owned())
            .text("pub-codigo-1", String::new())
            .text("justificacion", "Publicar el padrón".to_owned())
            .text("documento_tipo", "NTA".to_owned())
            .part("archivo", reqwest::multipart::Part::bytes(pdf()).file_name("nta.pdf"))
    };
    // A bad code names its row's field, keeps what was typed, and creates nothing.
    let r = sol.post_multipart("/solicitudes/nueva", fill("Mal Código")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("name=\"pub-codigo-0\" value=\"Mal Código\" maxlength=\"64\" aria-invalid=\"true\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("Padrón de contribuyentes") && r.body.contains("letras minúsculas"));
    assert_eq!(count().await, before, "nothing was created");
    let r = sol.post_multipart("/solicitudes/nueva", fill("padron")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = sol.get(r.location()).await;
    assert!(
        page.body.contains("Padrón de contribuyentes — padron v1") && page.body.contains("Registro de identidad (SEGIP)"),
        "{}",
        page.body
    );
    let code = r.location().trim_start_matches("/solicitudes/").to_owned();
    let req = app.get(&format!("/api/v1/solicitudes/{code}"), w.t("sol")).await.ok();
    assert_eq!(req["tipo"], "publicacion");
    assert!(req["sistema_id"].is_null(), "{req}");
    let id = req["id"].as_str().unwrap_or_default().to_owned();
    to_leader(&app, &w, &id).await;

    // The leader stages the connector, the description and a probe on the request page.
    let mut lider = Browser::new(&app);
    lider.login("lider", PASSWORD).await;
    let page_path = format!("/solicitudes/{code}");
    let p = lider.get(&page_path).await;
    assert!(p.body.contains("data-preparacion=\"padron-1\""), "{}", p.body);
    assert!(p.body.contains("Sin conector todavía"), "{}", p.body);
    let lcsrf = p.hidden("_csrf");
    let stage = format!("{page_path}/publicacion/padron/1");
    let origin = w.origin();
    let r = lider
        .post(&format!("{stage}/conector"), &[("_csrf", "otro"), ("origenes", &origin)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = lider
        .post(
            &format!("{stage}/conector"),
            &[("_csrf", &lcsrf), ("origenes", "ftp://origen"), ("tiempo_espera_ms", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Sin conector todavía"), "nothing staged: {}", r.body);
    let r = lider
        .post(
            &format!("{stage}/conector"),
            &[("_csrf", &lcsrf), ("origenes", &origin), ("tiempo_espera_ms", "muchos")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("tiempo_espera_ms"), "{}", r.body);
    let r = lider
        .post(
            &format!("{stage}/conector"),
            &[
                ("_csrf", &lcsrf),
                ("origenes", &format!("{origin}\r\n")),
                ("autenticacion_tipo", "cabecera"),
                ("autenticacion_nombre", "X-Clave"),
                ("autenticacion_valor", "secreto-del-origen"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().contains("preparado=conector"), "{}", r.location());
    let p = lider.get(&format!("{page_path}?preparado=conector")).await;
    assert!(p.body.contains("Conector guardado"), "{}", p.body);
    assert!(p.body.contains(&origin) && p.body.contains("cabecera propia"), "{}", p.body);
    assert!(!p.body.contains("secreto-del-origen"), "the upstream secret is never shown");

    let upload = |csrf: &str, bytes: Vec<u8>| {
        reqwest::multipart::Form::new()
            .text("_csrf", csrf.to_owned())
            .part("documento", reqwest::multipart::Part::bytes(bytes).file_name("openapi.yaml"))
    };
    let r = lider
        .post_multipart(&format!("{stage}/descripcion"), upload(&lcsrf, vec![0xff, 0xfe, 0x00]))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("no es texto UTF-8") && r.body.contains("Sin descripción todavía"));
    let r = lider
        .post_multipart(&format!("{stage}/descripcion"), upload("otro", crate::upstream::DESCRIPTION.into()))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Several files as one zip, its main file named: the page shows the import report.
    let zip = crate::import::zip_of(&[
        (
            "api/openapi.yaml".into(),
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a: {$ref: 'rutas.yaml'}\nwebhooks: {w: {post: {responses: {'200': {description: ok}}}}}\n".into(),
        ),
        ("api/rutas.yaml".into(), "get: {operationId: leer, responses: {'204': {description: ok}}}\n".into()),
    ]);
    let r = lider
        .post_multipart(
            &format!("{stage}/descripcion"),
            upload(&lcsrf, zip).text("entrada", "api/openapi.yaml"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = lider.get(&page_path).await;
    assert!(p.body.contains("1 operación") && p.body.contains("data-informe"), "{}", p.body);
    assert!(p.body.contains("<code>#/webhooks</code> 1 webhook no se importa"), "{}", p.body);
    let r = lider
        .post_multipart(&format!("{stage}/descripcion"), upload(&lcsrf, crate::upstream::DESCRIPTION.into()))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = lider.get(&page_path).await;
    assert!(p.body.contains("operaciones"), "{}", p.body);
    assert!(p.body.contains("Sin prueba de conexión todavía"), "{}", p.body);

    // Enabling before a probe is allowed (step 5 waits for it); the probe's result is shown.
    let r = lider.post(&format!("{stage}/prueba"), &[("_csrf", &lcsrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = lider.get(&page_path).await;
    assert!(
        p.body.contains("data-prueba-ok=\"true\"") && p.body.contains("Conexión correcta"),
        "{}",
        p.body
    );
    assert!(p.body.contains("name=\"publicar\" value=\"padron:1\" checked"), "{}", p.body);
    let r = lider
        .post(
            &format!("{page_path}/acciones"),
            &[
                ("_csrf", &lcsrf),
                ("accion", "habilitar"),
                ("version", &p.hidden("version")),
                ("paso4", "1"),
                ("publicar", "padron:1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = lider.get(&page_path).await;
    assert!(p.body.contains("Publicado el"), "{}", p.body);
    let services = items(&app, "/api/v1/servicios", w.t("admin")).await;
    let padron = services.iter().find(|s| s["codigo"] == "padron");
    assert_eq!(
        padron.map(|s| s["estado"].clone()),
        Some(serde_json::json!("publicado")),
        "{services:?}"
    );

    // Another leader cannot stage anything on it.
    let mut otro = Browser::new(&app);
    otro.login("lider2", PASSWORD).await;
    let op = otro.get(&page_path).await;
    assert!(!op.body.contains("data-preparacion"), "{}", op.body);
    let r = otro.post(&format!("{stage}/prueba"), &[("_csrf", &op.hidden("_csrf"))]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

/// How many requests `sol` sees through the API (up to 200).
async fn requests_seen(app: &App, w: &World) -> usize {
    app.get("/api/v1/solicitudes?limite=200", w.t("sol")).await.ok()["resultados"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0)
}

/// The rows a list page shows, by tracking code.
fn listed(p: &Page) -> BTreeSet<String> {
    p.body
        .match_indices("data-solicitud=\"")
        .map(|(i, m)| p.body[i + m.len()..].split('"').next().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn the_list_filters_by_kind_unit_code_and_date_and_the_overview_counts_overdue_per_holder() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // The world's publication request (received) and two consumption requests: one at step 3 with
    // `lider`, one just submitted.
    let (pub_code, _) = {
        let all = app.get("/api/v1/solicitudes?tipo=publicacion", w.t("jefe")).await.ok();
        let first = all["resultados"][0].clone();
        (first["codigo"].as_str().unwrap_or_default().to_owned(), first)
    };
    let (id_a, code_a) = consumption(&app, &w, &[w.services[0].as_str()]).await;
    to_leader(&app, &w, &id_a).await;
    let (_, code_b) = submitted(&app, &w).await;
    let mut jefe = Browser::new(&app);
    jefe.login("jefe", PASSWORD).await;
    let all = listed(&jefe.get("/solicitudes").await);
    assert!(all.contains(&pub_code) && all.contains(&code_a) && all.contains(&code_b), "{all:?}");
    let p = jefe.get("/solicitudes?tipo=consumo").await;
    assert_eq!(listed(&p), [code_a.clone(), code_b.clone()].into_iter().collect());
    assert!(p.body.contains("<option value=\"consumo\" selected>"), "the filter stays chosen");
    let p = jefe.get("/solicitudes?tipo=publicacion").await;
    assert_eq!(listed(&p), [pub_code.clone()].into_iter().collect());
    let p = jefe.get(&format!("/solicitudes?codigo={}", &code_b[4..])).await;
    assert_eq!(listed(&p), [code_b.clone()].into_iter().collect());
    let p = jefe.get(&format!("/solicitudes?unidad_id={}&estado=presentada", w.unit)).await;
    assert_eq!(listed(&p), [code_b.clone()].into_iter().collect());
    // Dates are La Paz days: today has them all, tomorrow none.
    let today = iop_domain::Clock::now(&app.clock).to_offset(iop_domain::calendar::LA_PAZ).date();
    let tomorrow = today.next_day().unwrap_or(today);
    let day = |d: time::Date| iop_domain::calendar::fmt_date(d);
    let p = jefe.get(&format!("/solicitudes?desde={}&hasta={}", day(today), day(today))).await;
    assert_eq!(listed(&p).len(), 3, "{}", p.body);
    let p = jefe.get(&format!("/solicitudes?desde={}", day(tomorrow))).await;
    assert!(listed(&p).is_empty());
    // The next page keeps the filters.
    for _ in 0..50 {
        submitted(&app, &w).await;
    }
    let p = jefe.get("/solicitudes?tipo=consumo").await;
    assert_eq!(listed(&p).len(), 50);
    let next = p
        .body
        .split("<a href=\"/solicitudes?")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no next page: {}", p.body))
        .replace("&#38;", "&");
    assert!(next.starts_with("tipo=consumo&cursor="), "{next}");
    let p2 = jefe.get(&format!("/solicitudes?{next}")).await;
    assert_eq!(listed(&p2).len(), 2);
    assert!(listed(&p2).is_disjoint(&listed(&p)));
    // A filter that does not read names its field and lists nothing; the API refuses it too.
    let p = jefe.get("/solicitudes?desde=ayer").await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body
            .contains("id=\"desde\" name=\"desde\" type=\"date\" value=\"ayer\" aria-invalid=\"true\""),
        "{}",
        p.body
    );
    assert!(listed(&p).is_empty());
    app.get("/api/v1/solicitudes?desde=ayer", w.t("jefe"))
        .await
        .expect(422, "fecha_invalida");
    app.get("/api/v1/solicitudes?tipo=otro", w.t("jefe"))
        .await
        .expect(422, "tipo_solicitud_invalido");
    let api = app
        .get(&format!("/api/v1/solicitudes?codigo={}", &code_a[4..]), w.t("jefe"))
        .await
        .ok();
    assert_eq!(api["resultados"].as_array().map(Vec::len), Some(1), "{api}");

    // Nothing is overdue yet; ten working days later the one at step 3 is the leader's, the 51
    // submitted ones the Jefe de UPAT's.
    let o = jefe.get("/bandeja").await;
    assert!(o.body.contains("Ninguna solicitud vencida"), "{}", o.body);
    app.clock.advance(time::Duration::days(14));
    jefe.login("jefe", PASSWORD).await;
    let o = jefe.get("/bandeja").await;
    assert!(
        o.body
            .contains("<tr data-vencidas><td data-etiqueta=\"Quién\">Jefe de UPAT</td><td data-etiqueta=\"Cantidad\">51</td>"),
        "{}",
        o.body
    );
    assert!(
        o.body.contains(
            "<tr data-vencidas><td data-etiqueta=\"Quién\">Persona lider (Líder de equipo de ADAS)</td><td data-etiqueta=\"Cantidad\">1</td>"
        ),
        "{}",
        o.body
    );
}

#[tokio::test]
async fn csp_reports_are_limited_per_address_and_in_size() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let send = |body: String| {
        client
            .post(format!("{}/csp-informe", app.base))
            .header("content-type", "application/csp-report")
            .body(body)
            .send()
    };
    let report = r#"{"csp-report":{"document-uri":"http://x/","violated-directive":"style-src"}}"#;
    let big = send("x".repeat(17 * 1024)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for i in 0..iop_web::CSP_REPORTS_PER_MINUTE {
        let r = send(report.to_owned()).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "report {i}");
    }
    let r = send(report.to_owned()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // A minute later the address may report again.
    app.clock.advance(time::Duration::seconds(61));
    let r = send(report.to_owned()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

/// One HTTP/1.1 request over TLS to `addr`, trusting only `cert`: (status, headers, body).
async fn https(
    addr: std::net::SocketAddr,
    cert: &std::path::Path,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: String,
) -> (u16, hyper::HeaderMap, String) {
    use http_body_util::BodyExt;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for der in rustls::pki_types::CertificateDer::pem_file_iter(cert).unwrap_or_else(|e| panic!("{e}")) {
        roots.add(der.unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"));
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap_or_else(|e| panic!("{e}"));
    let tls = connector.connect(name, tcp).await.unwrap_or_else(|e| panic!("TLS handshake: {e}"));
    let (mut send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(conn);
    let mut req = hyper::Request::builder().method(method).uri(path).header("host", "localhost");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = send
        .send_request(
            req.body(http_body_util::Full::new(bytes::Bytes::from(body)))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (parts, b) = res.into_parts();
    let bytes = b.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    (parts.status.as_u16(), parts.headers, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn the_control_listener_speaks_tls_with_secure_cookies_when_given_a_certificate() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (cert, key) = test_certificate(dir.path());
    let (c, k) = (cert.clone(), key.clone());
    let running = iop::server::start_with_clock(
        settings(dir.path(), false, move |s| s.control_tls = Some((c, k))),
        std::sync::Arc::new(TestClock::new()),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let (admin, pw) = running.admin_password.clone().unwrap_or_else(|| panic!("no admin password"));
    let addr = running.control_addr;
    let cookies = |h: &hyper::HeaderMap| -> Vec<String> {
        h.get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    };

    let (status, headers, body) = https(addr, &cert, "GET", "/ingresar", &[], String::new()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        headers.get("content-security-policy").and_then(|v| v.to_str().ok()),
        Some(iop_web::CSP)
    );
    let csrf_cookie = cookies(&headers)
        .into_iter()
        .find(|c| c.starts_with("iop_csrf="))
        .unwrap_or_else(|| panic!("no CSRF cookie"));
    assert!(csrf_cookie.ends_with("; Secure"), "{csrf_cookie}");
    let csrf = csrf_cookie
        .trim_start_matches("iop_csrf=")
        .split(';')
        .next()
        .unwrap_or("")
        .to_owned();
    let form = |password: &str| format!("usuario={admin}&contrasena={password}&_csrf={csrf}");
    let post = [
        ("content-type", "application/x-www-form-urlencoded".to_owned()),
        ("cookie", format!("iop_csrf={csrf}")),
    ];
    let (status, _, _) = https(addr, &cert, "POST", "/ingresar", &post, form("no-es-la-clave")).await;
    assert_eq!(status, 401);
    let (status, headers, _) = https(addr, &cert, "POST", "/ingresar", &post, form(&pw)).await;
    assert_eq!(status, 303);
    let session = cookies(&headers)
        .into_iter()
        .find(|c| c.starts_with("iop_sesion="))
        .unwrap_or_else(|| panic!("no session cookie"));
    assert!(session.contains("HttpOnly; SameSite=Strict; Secure"), "{session}");
    let token = session.trim_start_matches("iop_sesion=").split(';').next().unwrap_or("").to_owned();

    // The REST API is on the same listener, and the handlers see the real peer over TLS.
    let (status, _, body) = https(
        addr,
        &cert,
        "GET",
        "/api/v1/auditoria?cadena=administracion&limite=200",
        &[("authorization", format!("Bearer {token}"))],
        String::new(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let all: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let failed = all["registros"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["registro"]["accion"] == "sesion.fallida").cloned())
        .unwrap_or_else(|| panic!("no failed login on record: {body}"));
    assert_eq!(failed["registro"]["detalle"]["direccion"], "127.0.0.1");
    // Plain HTTP to it gets no HTTP answer.
    let plain = reqwest::get(format!("http://{addr}/healthz")).await;
    assert!(plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()));
    running.stop().await;
}

#[tokio::test]
async fn failed_logins_are_aggregated_per_address_and_never_name_who_is_no_account() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let try_login = |user: &'static str, pw: &'static str| {
        app.call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"usuario": user, "contrasena": pw})),
        )
    };
    let records = || async {
        let all = app
            .get("/api/v1/auditoria?cadena=administracion&limite=200", w.t("admin"))
            .await
            .ok();
        all["registros"].as_array().cloned().unwrap_or_default()
    };
    let of = |rs: &[serde_json::Value], action: &str| -> Vec<serde_json::Value> {
        rs.iter()
            .filter(|r| r["registro"]["accion"] == action)
            .map(|r| r["registro"].clone())
            .collect()
    };
    for (user, pw) in [
        ("jefe", "no-es-la-clave"),
        ("jefe", "tampoco-es"),
        ("resp", "no-es-la-clave"),
        ("Secreta-2026-clave", "x"),
        ("otra-clave-tecleada", "x"),
    ] {
        try_login(user, pw).await.expect(401, "credenciales_invalidas");
    }
    // One record at once for the window's first failure; the others wait for the window's end.
    let rs = records().await;
    assert_eq!(of(&rs, "sesion.fallida").len(), 1, "{rs:?}");
    assert!(of(&rs, "sesion.fallidas").is_empty());
    // A login from the address closes its window: one record counts it all.
    app.login("sol", PASSWORD).await;
    let rs = records().await;
    let windows = of(&rs, "sesion.fallidas");
    assert_eq!(windows.len(), 1, "{rs:?}");
    let d = &windows[0]["detalle"];
    assert_eq!(
        (d["direccion"].as_str(), d["intentos"].as_i64(), d["nombres_desconocidos"].as_i64()),
        (Some("127.0.0.1"), Some(5), Some(2))
    );
    assert_eq!(d["cuentas"], serde_json::json!(["jefe", "resp"]));
    let text = serde_json::to_string(&rs).unwrap_or_default();
    assert!(
        !text.contains("Secreta-2026-clave") && !text.contains("otra-clave-tecleada"),
        "a name that is no account is never recorded"
    );
    // A window that ends on its own is recorded by the next failure from that address.
    try_login("Secreta-2026-clave", "x").await.expect(401, "credenciales_invalidas");
    app.clock.advance(time::Duration::minutes(16));
    try_login("jefe", "no-es-la-clave").await.expect(401, "credenciales_invalidas");
    let rs = records().await;
    assert_eq!(of(&rs, "sesion.fallidas").len(), 2, "{rs:?}");
    assert_eq!(of(&rs, "sesion.fallida").len(), 2, "the new window's first failure");
}

#[tokio::test]
async fn at_step_4_the_leader_registers_the_systems_public_key_and_its_jwts_open_the_grant() {
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, code) = consumption(&app, &w, &[w.services[0].as_str()]).await;
    to_leader(&app, &w, &id).await;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap_or_else(|e| panic!("{e}"));
    let ec = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap_or_else(|e| panic!("{e}"));
    let mut spki = crate::gateway::hex_bytes("3059301306072a8648ce3d020106082a8648ce3d030107034200");
    spki.extend_from_slice(ec.public_key().as_ref());
    let public = crate::gateway::pem("PUBLIC KEY", &spki);

    let mut lider = Browser::new(&app);
    lider.login("lider", PASSWORD).await;
    let page = format!("/solicitudes/{code}");
    let p = lider.get(&page).await;
    assert!(p.body.contains("data-form=\"clave-publica\""), "{}", p.body);
    let csrf = p.hidden("_csrf");
    async fn post(b: &mut Browser, page: &str, tipo: &str, pem_text: String, csrf: String) -> Page {
        b.post(
            &format!("{page}/clave-publica"),
            &[("_csrf", &csrf), ("tipo", tipo), ("clave_publica", &pem_text)],
        )
        .await
    }
    let r = post(&mut lider, &page, "jwt_es256", "no es una clave".into(), csrf.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("clave_publica: se espera una clave pública PEM"), "{}", r.body);
    let r = post(&mut lider, &page, "jwt_rs256", public.clone(), csrf.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an EC key is not an RSA one: {}",
        r.body
    );
    let r = post(&mut lider, &page, "apikey", public.clone(), csrf.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = post(&mut lider, &page, "jwt_es256", public.clone(), "otro".into()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(!lider.get(&page).await.body.contains("data-claves"), "nothing registered yet");
    let r = post(&mut lider, &page, "jwt_es256", public.clone(), csrf.clone()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = lider.get(&format!("{page}?preparado=clave")).await;
    assert!(p.body.contains("Clave pública registrada"), "{}", p.body);
    let listed = p.body.split("data-claves>").nth(1).unwrap_or("");
    let iss = listed
        .split("emisor «")
        .nth(1)
        .and_then(|r| r.split('»').next())
        .unwrap_or_else(|| panic!("no issuer shown: {}", p.body))
        .to_owned();
    assert!(iss.starts_with("iop_j_"), "{iss}");

    // Another leader may not; once enabled, a JWT the system signs opens what was granted.
    let mut otro = Browser::new(&app);
    otro.login("lider2", PASSWORD).await;
    let op = otro.get(&page).await;
    let r = otro
        .post(
            &format!("{page}/clave-publica"),
            &[("_csrf", &op.hidden("_csrf")), ("tipo", "jwt_es256"), ("clave_publica", &public)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    app.act(&id, w.t("lider"), enable(&w)).await.ok();
    let token = crate::gateway::signed_jwt("ES256", serde_json::json!({"iss": iss, "exp": crate::gateway::now_s() + 60}), |m| {
        ec.sign(&rng, m).map(|s| s.as_ref().to_vec()).unwrap_or_default()
    });
    let bearer = format!("Bearer {token}");
    app.gw_until("/segip/persona/v1/personas/1", &[("authorization", bearer.as_str())], 200)
        .await;
}

#[tokio::test]
async fn a_request_proposes_a_new_system_and_the_leader_registers_it_at_step_4() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let entities = items(&app, "/api/v1/entidades", w.t("admin")).await;
    let gam = entities
        .iter()
        .find(|e| e["sigla"] == "GAM")
        .and_then(|e| e["id"].as_str())
        .unwrap_or_else(|| panic!("{entities:?}"))
        .to_owned();
    // The API refuses naming a catalog system and proposing one at once.
    app.post(
        "/api/v1/solicitudes",
        w.t("sol"),
        serde_json::json!({"tipo": "consumo", "sistema_id": w.system, "servicios": [w.services[0]], "justificacion": "x",
                           "sistema_propuesto": {"nombre": "Ventanilla única", "proposito": "Trámites municipales"}}),
    )
    .await
    .expect(422, "fuera_de_solicitud");

    // Through the form: no system chosen, one proposed.
    let mut sol = Browser::new(&app);
    sol.login("sol", PASSWORD).await;
    let form = sol.get("/solicitudes/nueva").await;
    let f = reqwest::multipart::Form::new()
        .text("_csrf", form.hidden("_csrf"))
        .text("tipo", "consumo".to_owned())
        .text("sistema_id", String::new())
        .text("sistema_nombre", "Ventanilla única municipal".to_owned())
        .text("sistema_proposito", "Trámites municipales en línea".to_owned())
        .text("servicios", w.services[0].clone())
        .text("justificacion", "Verificar identidad en la ventanilla".to_owned())
        .text("documento_tipo", "NI".to_owned())
        .part("archivo", reqwest::multipart::Part::bytes(pdf()).file_name("ni.pdf"));
    let r = sol.post_multipart("/solicitudes/nueva", f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = r.location().to_owned();
    let p = sol.get(&page).await;
    assert!(
        p.body
            .contains("Ventanilla única municipal — Trámites municipales en línea (se registra en el paso 4)"),
        "{}",
        p.body
    );
    let code = page.trim_start_matches("/solicitudes/").to_owned();
    let id = app.get(&format!("/api/v1/solicitudes/{code}"), w.t("sol")).await.ok()["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    to_leader(&app, &w, &id).await;

    // The leader registers it; until then there is nothing to grant to.
    let mut lider = Browser::new(&app);
    lider.login("lider", PASSWORD).await;
    let p = lider.get(&page).await;
    assert!(p.body.contains("data-form=\"registrar-sistema\""), "{}", p.body);
    assert!(!p.body.contains("data-servicio=") && !p.body.contains("data-form=\"clave-publica\""));
    let csrf = p.hidden("_csrf");
    let r = lider
        .post(
            &format!("{page}/sistema"),
            &[("_csrf", &csrf), ("entidad_id", &w.publisher), ("codigo", "ventanilla")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a publishing entity: {}", r.body);
    let r = lider
        .post(
            &format!("{page}/sistema"),
            &[("_csrf", &csrf), ("entidad_id", &gam), ("codigo", "Mal Código")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut otro = Browser::new(&app);
    otro.login("lider2", PASSWORD).await;
    let op = otro.get(&page).await;
    let r = otro
        .post(
            &format!("{page}/sistema"),
            &[("_csrf", &op.hidden("_csrf")), ("entidad_id", &gam), ("codigo", "ventanilla")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = lider
        .post(
            &format!("{page}/sistema"),
            &[("_csrf", &csrf), ("entidad_id", &gam), ("codigo", "ventanilla")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = lider.get(&format!("{page}?preparado=sistema")).await;
    assert!(p.body.contains("Sistema registrado"), "{}", p.body);
    assert!(p.body.contains("Ventanilla única municipal (ventanilla)"), "{}", p.body);
    assert!(!p.body.contains("data-form=\"registrar-sistema\""));
    let req = app.get(&format!("/api/v1/solicitudes/{code}"), w.t("lider")).await.ok();
    let system = req["sistema_id"].as_str().unwrap_or_default().to_owned();
    assert!(!system.is_empty(), "{req}");
    assert_eq!(req["sistema_propuesto"]["nombre"], "Ventanilla única municipal");
    // Registering again is refused; the grant form now offers the service to the new system.
    let r = lider
        .post(
            &format!("{page}/sistema"),
            &[("_csrf", &csrf), ("entidad_id", &gam), ("codigo", "otra")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(p.body.contains(&format!("name=\"sistema_id\" value=\"{system}\"")), "{}", p.body);
    let r = lider
        .post(
            &format!("{page}/acciones"),
            &[
                ("_csrf", &csrf),
                ("accion", "habilitar"),
                ("version", &p.hidden("version")),
                ("paso4", "1"),
                ("sistema_id", &system),
                ("otorgar", &w.services[0]),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let req = app.get(&format!("/api/v1/solicitudes/{code}"), w.t("lider")).await.ok();
    assert_eq!(req["estado"], "habilitada");
    assert_eq!(req["habilitaciones"][0]["sistema_id"], system.as_str(), "{req}");
}

#[tokio::test]
async fn step_4_forms_refuse_a_wrong_csrf_token_and_change_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, code) = consumption(&app, &w, &[w.services[0].as_str()]).await;
    to_leader(&app, &w, &id).await;
    let before = app.get(&format!("/api/v1/solicitudes/{id}"), w.t("lider")).await.ok()["version"].clone();
    let mut lider = Browser::new(&app);
    lider.login("lider", PASSWORD).await;
    let page = format!("/solicitudes/{code}");
    for (path, form) in [
        (format!("{page}/publicacion/persona/1/prueba"), vec![]),
        (
            format!("{page}/publicacion/persona/1/conector"),
            vec![("origenes", "http://127.0.0.1:9/base")],
        ),
        (
            format!("{page}/sistema"),
            vec![("entidad_id", w.publisher.as_str()), ("codigo", "x")],
        ),
        (format!("{page}/clave-publica"), vec![("tipo", "jwt_es256"), ("clave_publica", "x")]),
        (format!("{page}/acciones"), vec![("accion", "habilitar"), ("paso4", "1")]),
    ] {
        let mut fields = vec![("_csrf", "no-es-el-token")];
        fields.extend(form);
        let r = lider.post(&path, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
        assert!(r.body.contains("El formulario venció"), "{path}: {}", r.body);
    }
    let after = app.get(&format!("/api/v1/solicitudes/{id}"), w.t("lider")).await.ok()["version"].clone();
    assert_eq!(before, after, "nothing changed");
}

#[tokio::test]
async fn the_new_request_form_refuses_an_oversized_upload_and_a_too_long_text_naming_the_field() {
    let app = spawn_app_with(|s| s.control.max_upload_bytes = 100_000).await;
    let w = world(&app).await;
    let count = || requests_seen(&app, &w);
    let before = count().await;
    let mut sol = Browser::new(&app);
    sol.login("sol", PASSWORD).await;
    let csrf = sol.get("/solicitudes/nueva").await.hidden("_csrf");
    let form = |justificacion: String, file: Vec<u8>| {
        reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .text("tipo", "consumo".to_owned())
            .text("sistema_id", w.system.clone())
            .text("servicios", w.services[0].clone())
            .text("justificacion", justificacion)
            .text("documento_tipo", "NI".to_owned())
            .part("archivo", reqwest::multipart::Part::bytes(file).file_name("ni.pdf"))
    };
    // A justification over 4,000 characters: its field is marked, what was typed stays.
    let long = "a".repeat(4001);
    let r = sol.post_multipart("/solicitudes/nueva", form(long.clone(), pdf())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("id=\"justificacion\" name=\"justificacion\" rows=\"4\" required aria-invalid=\"true\""),
        "{}",
        r.body
    );
    assert!(r.body.contains(&long), "what was typed is kept");
    // A document over the configured size: the file's field is marked.
    let mut big = pdf();
    big.resize(300_000, b' ');
    let r = sol
        .post_multipart("/solicitudes/nueva", form("Una justificación".into(), big))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.body
            .contains("type=\"file\" accept=\"application/pdf\" required aria-invalid=\"true\""),
        "{}",
        r.body
    );
    assert_eq!(count().await, before, "nothing was created");
}
