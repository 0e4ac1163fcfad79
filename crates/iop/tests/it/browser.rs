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
    wait_text(&c, "h1", "Nueva solicitud de consumo").await;
    capture(&c, "nueva-es").await;
    accessible(&c, &axe, "nueva solicitud").await;
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
async fn step_4_and_the_retrieval_of_accesses_in_a_real_browser() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, code) = submitted(&app, &w).await;
    app.post(&format!("/api/v1/solicitudes/{id}/transiciones"), w.t("jefe"), act("derivar"))
        .await
        .ok();
    app.post(
        &format!("/api/v1/solicitudes/{id}/transiciones"),
        w.t("resp"),
        serde_json::json!({"accion": "asignar", "lider_id": w.id("lider")}),
    )
    .await
    .ok();
    let axe = axe_source();
    let d = driver().await;

    // The leader enables it on the step 4 form, issuing an API key.
    let c = browser(&d).await;
    login(&c, &app.base, "lider").await;
    c.goto(&format!("{}/solicitudes/{code}", app.base))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let form = "form[data-accion=habilitar]";
    c.find(Locator::Css(&format!("{form} input[name=emitir][value=apikey]")))
        .await
        .and_then_click()
        .await;
    capture(&c, "paso4-es").await;
    accessible(&c, &axe, "paso 4").await;
    c.find(Locator::Css(&format!("{form} button[type=submit]")))
        .await
        .and_then_click()
        .await;
    wait_text(&c, ".aviso", "Acción registrada: Habilitar.").await;
    assert!(text(&c, ".accesos").await.contains("pendiente de retiro"));
    let _ = c.close().await;

    // The requesting unit's Solicitante retrieves the key, once.
    let c = browser(&d).await;
    login(&c, &app.base, "sol").await;
    c.goto(&format!("{}/solicitudes/{code}", app.base))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.find(Locator::Css("form[data-retirar] button[type=submit]"))
        .await
        .and_then_click()
        .await;
    wait_text(&c, "h1", "Credenciales retiradas").await;
    assert!(text(&c, "[data-secreto]").await.starts_with("iop_k_"));
    capture(&c, "credenciales-es").await;
    accessible(&c, &axe, "credenciales").await;
    assert!(reports(&app.base).is_empty(), "{:?}", reports(&app.base));
    let _ = c.close().await;
}
