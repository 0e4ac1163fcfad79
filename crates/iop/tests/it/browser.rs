//! The web interface in a real browser: headless Chromium driven through chromedriver (Debian's
//! `chromium` and `chromium-driver`; `scripts/test.sh` installs them). Saves screenshots of the
//! main pages, in both languages and on a phone-sized screen, under `target/capturas/`.

use crate::helpers::*;
use fantoccini::{Client, ClientBuilder, Locator};
use std::time::{Duration, Instant};

/// A chromedriver of our own on a free port, stopped when dropped.
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Driver {
    let bin = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or_else(|| {
            panic!("the browser tests need chromium and chromium-driver: run scripts/test.sh (it installs them), or apt-get install -y chromium chromium-driver")
        });
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let child = std::process::Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    let d = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(format!("{}/status", d.url)).await.is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    d
}

async fn browser(d: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1280,1000", "--lang=es-BO"]}),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&d.url)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Saves a screenshot as `target/capturas/NAME.png`.
async fn capture(c: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/capturas");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let png = c.screenshot().await.unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap_or_else(|e| panic!("{e}"));
}

/// Saves a screenshot with the first element matching `css` scrolled into view.
async fn capture_at(c: &Client, css: &str, name: &str) {
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView(); return 1;",
        vec![serde_json::json!(css)],
    )
    .await
    .unwrap_or_else(|e| panic!("{css}: {e}"));
    capture(c, name).await;
}

async fn path(c: &Client) -> String {
    c.current_url().await.map(|u| u.path().to_owned()).unwrap_or_default()
}

async fn text(c: &Client, css: &str) -> String {
    let e = c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(css)).await;
    e.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap_or_default()
}

/// Waits (a generous deadline) until the page shown has this path: a click that submits a form
/// returns before the next page has loaded.
async fn wait_path(c: &Client, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let p = path(c).await;
        if p == expected {
            return;
        }
        assert!(Instant::now() < deadline, "still at {p}, expected {expected}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the first element matching `css` reads `expected`.
async fn wait_text(c: &Client, css: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if got == expected {
            return;
        }
        assert!(Instant::now() < deadline, "{css} reads «{got}», expected «{expected}»");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// axe-core's rules, installed by `scripts/test.sh` (npm).
fn axe_source() -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; the browser tests need axe-core: run scripts/test.sh (it installs it with npm)",
            p.display()
        )
    })
}

/// Runs axe-core on the page shown; fails on any serious or critical accessibility violation.
async fn accessible(c: &Client, axe: &str, page: &str) {
    c.execute(&format!("{axe}\n;return 1;"), vec![])
        .await
        .unwrap_or_else(|e| panic!("{page}: loading axe: {e}"));
    let out = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']})
               .then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html)})))))
               .catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("{page}: running axe: {e}"));
    let found: Vec<serde_json::Value> = serde_json::from_str(out.as_str().unwrap_or("[]")).unwrap_or_default();
    let bad: Vec<&serde_json::Value> = found
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(bad.is_empty(), "{page}: accessibility violations: {bad:#?}");
}

/// CSP reports that name this server's pages.
fn reports(base: &str) -> Vec<String> {
    iop_web::csp_reports().into_iter().filter(|r| r.contains(base)).collect()
}

#[tokio::test]
async fn a_jefe_de_upat_works_in_a_real_browser_in_both_languages() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (_, code) = submitted(&app, &w).await;
    let axe = axe_source();
    let d = driver().await;
    let c = browser(&d).await;

    // Logged out: the inbox sends the browser to the login page, and back after login.
    c.goto(&format!("{}/bandeja", app.base)).await.unwrap_or_else(|e| panic!("{e}"));
    wait_path(&c, "/ingresar").await;
    wait_text(&c, "h1", "Iniciar sesión").await;
    capture(&c, "ingresar-es").await;
    accessible(&c, &axe, "ingresar").await;
    for (id, value) in [("usuario", "jefe"), ("contrasena", PASSWORD)] {
        let f = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("{id}: {e}"));
        f.send_keys(value).await.unwrap_or_else(|e| panic!("{e}"));
    }
    c.find(Locator::Css("form button[type=submit]")).await.and_then_click().await;
    wait_text(&c, "h1", "Bandeja").await;
    wait_path(&c, "/bandeja").await;
    capture(&c, "bandeja-es").await;
    accessible(&c, &axe, "bandeja").await;

    // The request page, from the inbox: the Jefe de UPAT's three actions.
    c.find(Locator::LinkText(&code)).await.and_then_click().await;
    wait_text(&c, "h1", &format!("Solicitud {code}")).await;
    let mut offered = Vec::new();
    for f in c.find_all(Locator::Css("form[data-accion]")).await.unwrap_or_default() {
        offered.push(f.attr("data-accion").await.ok().flatten().unwrap_or_default());
    }
    offered.sort();
    assert_eq!(offered, ["derivar", "observar", "rechazar"]);
    capture(&c, "solicitud-es").await;
    accessible(&c, &axe, "solicitud").await;

    // Derive it, with a comment; the page says so and the flow shows it.
    c.find(Locator::Id("comentario-derivar"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .send_keys("Procede")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.find(Locator::Css("form[data-accion=derivar] button[type=submit]"))
        .await
        .and_then_click()
        .await;
    wait_text(&c, ".aviso", "Acción registrada: Derivar a ADAS.").await;
    assert!(text(&c, ".linea-de-tiempo").await.contains("Procede"));
    capture(&c, "solicitud-derivada-es").await;
    accessible(&c, &axe, "solicitud tras una acción").await;
    c.goto(&format!("{}/solicitudes", app.base)).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "Solicitudes").await;
    capture(&c, "solicitudes-es").await;
    accessible(&c, &axe, "solicitudes").await;
    c.goto(&format!("{}/solicitudes/nueva", app.base))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "Nueva solicitud").await;
    capture(&c, "nueva-es").await;
    accessible(&c, &axe, "nueva solicitud").await;
    c.goto(&format!("{}/informe", app.base)).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "Informe de gestión").await;
    capture(&c, "informe-es").await;
    accessible(&c, &axe, "informe de gestión").await;
    c.goto(&format!("{}/avisos", app.base)).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "Avisos por correo").await;
    capture(&c, "avisos-es").await;
    accessible(&c, &axe, "avisos").await;
    c.goto(&format!("{}/contrasena", app.base)).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "Cambiar su contraseña").await;
    accessible(&c, &axe, "contraseña").await;
    c.goto(&format!("{}/solicitudes", app.base)).await.unwrap_or_else(|e| panic!("{e}"));
    c.find(Locator::LinkText(&code)).await.and_then_click().await;

    // English with the switch, on a phone-sized screen.
    c.find(Locator::LinkText("English")).await.and_then_click().await;
    wait_text(&c, "h1", &format!("Request {code}")).await;
    c.set_window_size(390, 900).await.unwrap_or_else(|e| panic!("{e}"));
    capture(&c, "solicitud-en-estrecha").await;
    accessible(&c, &axe, "request (English, narrow)").await;
    c.goto(&format!("{}/bandeja", app.base)).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "Inbox").await;
    capture(&c, "bandeja-en-estrecha").await;
    accessible(&c, &axe, "inbox (English, narrow)").await;
    c.goto(&format!("{}/informe", app.base)).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "Management report").await;
    capture(&c, "informe-en-estrecha").await;
    accessible(&c, &axe, "report (English, narrow)").await;
    c.goto(&format!("{}/avisos", app.base)).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "E-mail notices").await;
    capture(&c, "avisos-en-estrecha").await;
    accessible(&c, &axe, "notices (English, narrow)").await;

    // No page needed anything the policy forbids; and a violation would have been seen.
    assert!(reports(&app.base).is_empty(), "{:?}", reports(&app.base));
    c.execute(
        "const s = document.createElement('style'); s.textContent = 'body { color: red }'; document.head.appendChild(s); return 1;",
        vec![],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while reports(&app.base).is_empty() {
        assert!(Instant::now() < deadline, "the injected inline style was not reported");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = c.close().await;
}

/// Clicks what a find returned (a failed find fails the test with its locator's error).
trait ClickFound {
    async fn and_then_click(self);
}

impl ClickFound for Result<fantoccini::elements::Element, fantoccini::error::CmdError> {
    async fn and_then_click(self) {
        self.unwrap_or_else(|e| panic!("{e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Logs in through the form (in a fresh browser session).
async fn login(c: &Client, base: &str, user: &str) {
    c.goto(&format!("{base}/ingresar")).await.unwrap_or_else(|e| panic!("{e}"));
    for (id, value) in [("usuario", user), ("contrasena", PASSWORD)] {
        let f = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("{id}: {e}"));
        f.send_keys(value).await.unwrap_or_else(|e| panic!("{e}"));
    }
    c.find(Locator::Css("form button[type=submit]")).await.and_then_click().await;
    wait_path(c, "/bandeja").await;
}

#[tokio::test]
async fn a_consumption_goes_through_the_whole_procedure_in_a_real_browser() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let axe = axe_source();
    let d = driver().await;
    let base = app.base.clone();

    // Step 1: the Solicitante asks to consume a service, with its Nota Interna as support.
    let c = browser(&d).await;
    login(&c, &base, "sol").await;
    c.goto(&format!("{base}/solicitudes/nueva")).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "Nueva solicitud").await;
    choose(&c, "#sistema_id", &w.system).await;
    c.find(Locator::Css(&format!("input[name=servicios][value='{}']", w.services[0])))
        .await
        .and_then_click()
        .await;
    type_into(&c, "#justificacion", "Verificar la identidad en los trámites en línea").await;
    choose(&c, "#documento_tipo", "NI").await;
    type_into(&c, "#archivo", &file("ni.pdf", &pdf())).await;
    let code = create_and_present(&c).await;
    let _ = c.close().await;
    act_as(&d, &base, "jefe", &code, "derivar", "Derivar a ADAS", None, "Derivada a ADAS").await;
    let c = as_user(&d, &base, "resp", &code).await;
    choose(&c, "#lider-asignar", w.id("lider")).await;
    take(&c, "asignar", "Asignar a un Líder", None, "Asignada a un Líder de equipo").await;
    let _ = c.close().await;

    // Step 4: the leader grants the service with a limit and issues an API key; step 5 the note.
    let c = as_user(&d, &base, "lider", &code).await;
    let form = "form[data-accion=habilitar]";
    type_into(&c, &format!("#limite-habilitar-{}", w.services[0]), "5").await;
    c.find(Locator::Css(&format!("{form} input[name=emitir][value=apikey]")))
        .await
        .and_then_click()
        .await;
    capture(&c, "paso4-es").await;
    accessible(&c, &axe, "paso 4").await;
    take(&c, "habilitar", "Habilitar", None, "Habilitada").await;
    let delivered = text(&c, ".accesos").await;
    assert!(
        delivered.contains("Clave de API (iop_k_") && delivered.contains("pendiente de retiro"),
        "{delivered}"
    );
    let draft = replace_text(&c, "#cuerpo-elaborar_nota", "Se habilitó el acceso a la consulta de identidad.").await;
    assert!(
        draft.contains("se habilitó el acceso del sistema"),
        "the form starts from a draft: {draft}"
    );
    // The page keeps the draft as it is typed: back on the page, it is there.
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("[data-estado-borrador][data-guardado-ok=true]"))
        .await
        .unwrap_or_else(|e| panic!("the draft was not saved: {e}"));
    assert!(text(&c, "[data-estado-borrador]").await.starts_with("Borrador guardado a las"));
    capture_at(&c, "form[data-borrador]", "nota-borrador-es").await;
    c.refresh().await.unwrap_or_else(|e| panic!("{e}"));
    let kept = c
        .find(Locator::Css("#cuerpo-elaborar_nota"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(kept, "Se habilitó el acceso a la consulta de identidad.");
    take(&c, "elaborar_nota", "Elaborar la Nota Interna", None, "Nota Interna elaborada").await;
    let _ = c.close().await;

    // Steps 6 and 7.
    approve_note(&d, &base, &code).await;

    // The Jefe de UPAT files the copy signed with the signature client, from the request's page.
    let approved = app
        .client
        .get(format!("{base}/api/v1/solicitudes/{code}/nota.pdf"))
        .bearer_auth(w.t("jefe"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let signed = crate::documents::sign(&approved, "Ana Pérez Quispe");
    let c = as_user(&d, &base, "jefe", &code).await;
    type_into(&c, "#archivo-firmada", &file("firmada.pdf", &signed)).await;
    c.find(Locator::Css("form[data-archivar-firmada] button[type=submit]"))
        .await
        .and_then_click()
        .await;
    wait_text(&c, "[data-firmante]", "CN=Ana Pérez Quispe,O=AGETIC,C=BO").await;
    capture_at(&c, "[data-firmada]", "nota-firmada-es").await;
    accessible(&c, &axe, "nota firmada").await;
    // The CITE register, in both languages and on a narrow screen.
    c.goto(&format!("{base}/notas/cites")).await.unwrap_or_else(|e| panic!("{e}"));
    let heading = text(&c, "h1").await;
    assert!(heading.starts_with("Registro de CITE de la gestión"), "{heading}");
    assert!(text(&c, "[data-cites-resumen]").await.contains("ninguno anulado"));
    capture(&c, "registro-cites-es").await;
    accessible(&c, &axe, "registro de CITE").await;
    c.find(Locator::LinkText("English")).await.and_then_click().await;
    wait_text(&c, "[data-nav-cites]", "CITE register").await;
    c.set_window_size(390, 900).await.unwrap_or_else(|e| panic!("{e}"));
    capture(&c, "registro-cites-en-estrecha").await;
    accessible(&c, &axe, "CITE register (English, narrow)").await;
    let _ = c.close().await;

    // Step 8: the requesting unit retrieves the key, once, and receives the request.
    let c = as_user(&d, &base, "sol", &code).await;
    c.find(Locator::Css("form[data-retirar] button[type=submit]"))
        .await
        .and_then_click()
        .await;
    wait_text(&c, "h1", "Credenciales retiradas").await;
    let key = text(&c, "[data-secreto]").await;
    assert!(key.starts_with("iop_k_"), "{key}");
    let heading = text(&c, "[data-credencial] h2").await;
    assert!(heading.starts_with("Clave de API — iop_k_"), "{heading}");
    // The copy button: shown by the page's one script (allowed by the CSP), it copies the key or,
    // without clipboard access, selects it.
    let copy = c.find(Locator::Css("button[data-copiar]")).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(copy.is_displayed().await.unwrap_or(false), "the script did not run");
    copy.click().await.unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let label = text(&c, "button[data-copiar]").await;
        if label == "Copiado" || label == "Seleccionado: cópielo con Ctrl+C" {
            break;
        }
        assert!(Instant::now() < deadline, "the copy button still reads «{label}»");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    capture(&c, "credenciales-es").await;
    accessible(&c, &axe, "credenciales").await;
    c.goto(&format!("{base}/solicitudes/{code}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(text(&c, ".accesos").await.contains("retirado por «sol»"));
    take(&c, "recibir", "Recibir", None, "Recibida").await;
    // Received: the unit may ask for its renewal from here.
    capture_at(&c, "form[data-renovar]", "renovacion-es").await;
    accessible(&c, &axe, "solicitud recibida").await;
    // The access documentation, from the request's page, in both languages.
    c.find(Locator::Css("a[data-acceso]")).await.and_then_click().await;
    wait_path(&c, &format!("/solicitudes/{code}/acceso")).await;
    assert!(text(&c, "h1").await.starts_with("Documentación de acceso"));
    assert!(text(&c, "[data-ejemplo]").await.contains("apikey: <SU_CLAVE_DE_API>"));
    capture(&c, "acceso-es").await;
    accessible(&c, &axe, "documentación de acceso").await;
    c.find(Locator::LinkText("English")).await.and_then_click().await;
    wait_text(&c, "#credenciales", "Credentials").await;
    c.set_window_size(390, 900).await.unwrap_or_else(|e| panic!("{e}"));
    capture(&c, "acceso-en-estrecha").await;
    // Nothing wider than the phone's screen: long addresses wrap.
    let wide = c
        .execute("return document.documentElement.scrollWidth > window.innerWidth;", vec![])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(wide, serde_json::json!(false), "the page scrolls sideways on a narrow screen");
    capture_at(&c, "[data-servicio-habilitado]", "acceso-en-estrecha-servicio").await;
    accessible(&c, &axe, "access documentation (English, narrow)").await;
    assert!(reports(&base).is_empty(), "{:?}", reports(&base));
    let _ = c.close().await;

    // The key the browser showed opens the service granted, at the gateway.
    app.gw_until("/segip/persona/v1/personas/123", &[("apikey", &key)], 200).await;
}

/// A file for an upload field, under `target/` (the browser reads it from disk).
fn file(name: &str, bytes: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/subidas");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let p = dir.join(format!("{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
    p.canonicalize().unwrap_or_else(|e| panic!("{e}")).to_string_lossy().into_owned()
}

async fn type_into(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// Replaces what a text field holds (step 5's form starts from a draft).
async fn replace_text(c: &Client, css: &str, value: &str) -> String {
    let e = c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    let before = e.prop("value").await.ok().flatten().unwrap_or_default();
    e.clear().await.unwrap_or_else(|e| panic!("{css}: {e}"));
    e.send_keys(value).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    before
}

async fn choose(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{css} = {value}: {e}"));
}

/// Takes an action on the request page shown, with a comment if given, and waits until the page
/// says it was recorded and shows the state it led to.
async fn take(c: &Client, accion: &str, label: &str, comment: Option<&str>, state: &str) {
    if let Some(text) = comment {
        type_into(c, &format!("#comentario-{accion}"), text).await;
    }
    c.find(Locator::Css(&format!("form[data-accion={accion}] button[type=submit]:not([name])")))
        .await
        .and_then_click()
        .await;
    wait_text(c, ".aviso", &format!("Acción registrada: {label}.")).await;
    wait_text(c, "[data-estado]", state).await;
}

/// A fresh browser session for `user`, on the request page `code`.
async fn as_user(d: &Driver, base: &str, user: &str, code: &str) -> Client {
    let c = browser(d).await;
    login(&c, base, user).await;
    c.goto(&format!("{base}/solicitudes/{code}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", &format!("Solicitud {code}")).await;
    c
}

/// Steps 6 and 7 in the browser: the Responsable de ADAS, then the Jefe de UPAT, approve the note.
async fn approve_note(d: &Driver, base: &str, code: &str) {
    for (who, accion, label, state) in [
        (
            "resp",
            "aprobar_nota_adas",
            "Aprobar la Nota Interna (ADAS)",
            "Nota Interna aprobada por ADAS",
        ),
        (
            "jefe",
            "aprobar_nota_upat",
            "Aprobar la Nota Interna (UPAT)",
            "Nota Interna aprobada por UPAT",
        ),
    ] {
        act_as(d, base, who, code, accion, label, None, state).await;
    }
}

/// Submits the new-request form shown, then presents the draft; returns its tracking code.
async fn create_and_present(c: &Client) -> String {
    c.find(Locator::Css("form[action='/solicitudes/nueva'] button[type=submit]"))
        .await
        .and_then_click()
        .await;
    wait_text(c, "[data-estado]", "Borrador").await;
    let code = text(c, "h1").await.trim_start_matches("Solicitud ").to_owned();
    assert!(code.starts_with("IOP-"), "{code}");
    take(c, "presentar", "Presentar", None, "Presentada").await;
    code
}

/// `who`, in a browser session of their own, takes one action on the request's page.
#[allow(clippy::too_many_arguments)]
async fn act_as(d: &Driver, base: &str, who: &str, code: &str, accion: &str, label: &str, comment: Option<&str>, state: &str) {
    let c = as_user(d, base, who, code).await;
    take(&c, accion, label, comment, state).await;
    let _ = c.close().await;
}

#[tokio::test]
async fn a_publication_goes_through_the_whole_procedure_in_a_real_browser_and_a_request_is_rejected() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let axe = axe_source();
    let d = driver().await;
    let base = app.base.clone();

    // A rejection: the Jefe de UPAT refuses a submitted request, giving the reason.
    let (_, rejected) = submitted(&app, &w).await;
    let c = as_user(&d, &base, "jefe", &rejected).await;
    take(
        &c,
        "rechazar",
        "Rechazar",
        Some("No corresponde a un servicio de interoperabilidad"),
        "Rechazada",
    )
    .await;
    assert!(text(&c, ".linea-de-tiempo").await.contains("No corresponde"));
    let _ = c.close().await;

    // Step 1: the Solicitante fills in the form for a publication, with its NTA.
    let c = browser(&d).await;
    login(&c, &base, "sol").await;
    c.goto(&format!("{base}/solicitudes/nueva")).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "Nueva solicitud").await;
    c.find(Locator::Css("input[name=tipo][value=publicacion]"))
        .await
        .and_then_click()
        .await;
    choose(&c, "#entidad_publicadora_id", &w.publisher).await;
    type_into(&c, "#pub-codigo-0", "padron").await;
    type_into(&c, "#pub-version-0", "1").await;
    type_into(&c, "#pub-nombre-0", "Padrón de contribuyentes").await;
    type_into(&c, "#justificacion", "Publicar el padrón para las alcaldías").await;
    choose(&c, "#documento_tipo", "NTA").await;
    type_into(&c, "#archivo", &file("nta.pdf", &pdf())).await;
    capture(&c, "nueva-publicacion-es").await;
    accessible(&c, &axe, "nueva solicitud de publicación").await;
    let code = create_and_present(&c).await;
    let _ = c.close().await;

    // Step 2 with an observation, and its correction by the requesting unit.
    act_as(
        &d,
        &base,
        "jefe",
        &code,
        "observar",
        "Observar",
        Some("Falta la firma del responsable"),
        "Observada",
    )
    .await;
    let c = as_user(&d, &base, "sol", &code).await;
    assert!(text(&c, ".linea-de-tiempo").await.contains("Falta la firma"));
    take(&c, "subsanar", "Subsanar", Some("Se firmó la nota técnica"), "Presentada").await;
    let _ = c.close().await;
    act_as(&d, &base, "jefe", &code, "derivar", "Derivar a ADAS", None, "Derivada a ADAS").await;

    // Step 3: the Responsable de ADAS assigns it to a leader who is also a Responsable.
    let c = as_user(&d, &base, "resp", &code).await;
    choose(&c, "#lider-asignar", w.id("respylider")).await;
    take(&c, "asignar", "Asignar a un Líder", None, "Asignada a un Líder de equipo").await;
    let _ = c.close().await;

    // Step 4: the leader stages the connector and the description, probes, and enables.
    let c = as_user(&d, &base, "respylider", &code).await;
    let origin = w.origin();
    type_into(&c, "#origenes-padron-1", &origin).await;
    c.find(Locator::Css("[data-preparacion=padron-1] form[data-form=conector] button"))
        .await
        .and_then_click()
        .await;
    wait_text(&c, ".aviso", "Conector guardado. Pruebe la conexión antes de habilitar.").await;
    // A description whose server carries a path prefix the origin lacks: the import report and
    // the probe say so.
    let described = crate::upstream::DESCRIPTION.replacen('{', r#"{"servers": [{"url": "https://padron.ejemplo.gob.bo/v1"}],"#, 1);
    type_into(&c, "#documento-padron-1", &file("openapi.json", described.as_bytes())).await;
    c.find(Locator::Css("[data-preparacion=padron-1] form[data-form=descripcion] button"))
        .await
        .and_then_click()
        .await;
    wait_text(&c, ".aviso", "Descripción guardada.").await;
    c.find(Locator::Css("[data-preparacion=padron-1] form[data-form=prueba] button"))
        .await
        .and_then_click()
        .await;
    wait_text(&c, ".aviso", "Prueba de conexión registrada.").await;
    assert!(text(&c, "[data-prueba-ok=true]").await.starts_with("Conexión correcta"));
    capture(&c, "paso4-publicacion-es").await;
    accessible(&c, &axe, "paso 4 de una publicación").await;
    let report = text(&c, "[data-preparacion=padron-1] [data-informe]").await;
    assert!(report.contains("Informe de importación"), "{report}");
    c.find(Locator::Css("[data-preparacion=padron-1] [data-informe] summary"))
        .await
        .and_then_click()
        .await;
    let report = text(&c, "[data-preparacion=padron-1] [data-informe]").await;
    assert!(report.contains("agregue «/v1» a la URL de origen del conector"), "{report}");
    let probe = text(&c, "[data-preparacion=padron-1]").await;
    assert!(probe.contains("respondió") && probe.contains("«/v1»"), "{probe}");
    capture_at(&c, "[data-preparacion=padron-1]", "paso4-informe-es").await;
    // In English on a phone-sized screen, then back.
    c.find(Locator::LinkText("English")).await.and_then_click().await;
    wait_text(&c, "h1", &format!("Request {code}")).await;
    c.set_window_size(390, 900).await.unwrap_or_else(|e| panic!("{e}"));
    c.find(Locator::Css("[data-preparacion=padron-1] [data-informe] summary"))
        .await
        .and_then_click()
        .await;
    let report = text(&c, "[data-preparacion=padron-1] [data-informe]").await;
    assert!(report.contains("add '/v1' to the connector's origin URL"), "{report}");
    capture_at(&c, "[data-preparacion=padron-1]", "paso4-informe-en-estrecha").await;
    accessible(&c, &axe, "step 4 of a publication (English, narrow)").await;
    c.find(Locator::LinkText("Español")).await.and_then_click().await;
    wait_text(&c, "h1", &format!("Solicitud {code}")).await;
    c.set_window_size(1280, 1000).await.unwrap_or_else(|e| panic!("{e}"));
    take(&c, "habilitar", "Habilitar", None, "Habilitada").await;

    // Step 5: the note, previewed first; then the four-eyes rule is said in words.
    let draft = replace_text(
        &c,
        "#cuerpo-elaborar_nota",
        "Se publicó el servicio padron v1 con su conector y su descripción.",
    )
    .await;
    assert!(
        draft.contains("se publicaron en la Plataforma de Interoperabilidad los servicios padron v1"),
        "the form starts from a draft: {draft}"
    );
    c.find(Locator::Css("form[data-accion=elaborar_nota] button[name=vista_previa]"))
        .await
        .and_then_click()
        .await;
    let preview = text(&c, "[data-vista-previa]").await;
    assert!(preview.contains("Se publicó el servicio padron v1"), "{preview}");
    assert_eq!(text(&c, "[data-estado]").await, "Habilitada", "a preview changes nothing");
    capture_at(&c, "[data-vista-previa]", "nota-vista-previa-es").await;
    accessible(&c, &axe, "vista previa de la nota").await;
    take(&c, "elaborar_nota", "Elaborar la Nota Interna", None, "Nota Interna elaborada").await;
    let why = text(&c, "[data-cuatro-ojos]").await;
    assert!(why.contains("Quien elaboró la Nota Interna no puede aprobarla."), "{why}");
    assert!(c.find(Locator::Css("form[data-accion=aprobar_nota_adas]")).await.is_err());
    capture_at(&c, "[data-cuatro-ojos]", "cuatro-ojos-es").await;
    let _ = c.close().await;

    // Steps 6 to 8.
    approve_note(&d, &base, &code).await;
    let c = as_user(&d, &base, "sol", &code).await;
    take(&c, "recibir", "Recibir", None, "Recibida").await;
    let flow = text(&c, ".linea-de-tiempo").await;
    for what in ["Presentar", "Observar", "Subsanar", "Derivar a ADAS", "Habilitar", "Recibir"] {
        assert!(flow.contains(what), "{what} in {flow}");
    }
    assert!(text(&c, "[data-nota]").await.contains("Se publicó el servicio padron v1"));
    capture(&c, "solicitud-recibida-es").await;
    c.find(Locator::LinkText("English")).await.and_then_click().await;
    wait_text(&c, "h1", &format!("Request {code}")).await;
    wait_text(&c, "[data-estado]", "Received").await;
    capture(&c, "solicitud-recibida-en").await;
    accessible(&c, &axe, "request received (English)").await;
    c.set_window_size(390, 900).await.unwrap_or_else(|e| panic!("{e}"));
    c.goto(&format!("{base}/solicitudes/nueva")).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "New request").await;
    capture(&c, "nueva-en-estrecha").await;
    accessible(&c, &axe, "new request (English, narrow)").await;
    assert!(reports(&base).is_empty(), "{:?}", reports(&base));
    let _ = c.close().await;

    // The service is in the catalog, published.
    let services = items(&app, "/api/v1/servicios", w.t("admin")).await;
    assert!(
        services.iter().any(|s| s["codigo"] == "padron" && s["estado"] == "publicado"),
        "{services:?}"
    );
}

/// Anyone holding a printed note checks it on the public listener, in a browser: from its code to
/// its page, then a copy's fingerprint and the file itself; in both languages and on a phone.
#[tokio::test]
async fn a_note_is_verified_from_its_printed_code_in_a_real_browser() {
    let app = spawn_app_with(|s| s.public_addr = Some("127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")))).await;
    let public = crate::documents::public_base(&app);
    let w = world(&app).await;
    let id = request_in(&app, &w, "habilitada").await;
    app.act(&id, w.t("lider"), note()).await.ok();
    app.act(&id, w.t("resp"), act("aprobar_nota_adas")).await.ok();
    let code = app.request(&id).await["codigo"].as_str().unwrap_or_default().to_owned();
    let res = app
        .client
        .get(format!("{}/api/v1/solicitudes/{code}/nota.pdf", app.base))
        .bearer_auth(w.t("sol"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let pdf = res.bytes().await.unwrap_or_default().to_vec();
    // The code as the PDF prints it.
    let t = crate::documents::text(&pdf);
    let at = t.find("Código de verificación: ").unwrap_or_else(|| panic!("{t}"));
    let printed: String = t
        .get(at + "Código de verificación: ".len()..)
        .unwrap_or_default()
        .chars()
        .take(24)
        .collect();
    let axe = axe_source();
    let d = driver().await;
    let c = browser(&d).await;

    c.goto(&format!("{public}/")).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "h1", "Verificación de documentos").await;
    capture(&c, "verificar-inicio-es").await;
    accessible(&c, &axe, "verificar-inicio").await;
    type_into(&c, "#codigo", &printed).await;
    c.find(Locator::Css("form[action='/v'] button")).await.and_then_click().await;
    wait_text(&c, "[data-codigo]", &printed).await;
    let page = text(&c, "main").await;
    assert!(page.contains("Aprobada por ADAS; espera la aprobación de UPAT"), "{page}");
    assert!(page.contains("Persona resp"), "{page}");
    capture(&c, "verificar-es").await;
    accessible(&c, &axe, "verificar").await;

    // A fingerprint that matches nothing says so; the file itself matches.
    type_into(&c, "#sha256", &"ab".repeat(32)).await;
    c.find(Locator::Css("#sha256 + button")).await.and_then_click().await;
    let outcome = text(&c, "[data-resultado]").await;
    assert!(outcome.contains("No coincide con ninguna versión"), "{outcome}");
    capture_at(&c, "[data-resultado]", "verificar-no-coincide-es").await;
    c.find(Locator::Css("#archivo"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .send_keys(&file("copia.pdf", &pdf))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.find(Locator::Css("#archivo + button")).await.and_then_click().await;
    let outcome = text(&c, "[data-resultado='coincide']").await;
    assert!(outcome.contains("Coincide: es el PDF de la versión 1"), "{outcome}");
    capture_at(&c, "[data-resultado]", "verificar-coincide-es").await;

    // English, and a phone.
    c.find(Locator::Css("a[lang=en]")).await.and_then_click().await;
    wait_text(&c, "h1", "Document verification").await;
    assert!(text(&c, "main").await.contains("Approved by ADAS; waiting for UPAT's approval"));
    capture(&c, "verificar-en").await;
    accessible(&c, &axe, "verificar-en").await;
    c.set_window_size(390, 900).await.unwrap_or_else(|e| panic!("{e}"));
    capture(&c, "verificar-en-estrecha").await;
    let _ = c.close().await;
}
