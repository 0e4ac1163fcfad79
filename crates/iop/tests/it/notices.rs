//! Notices by e-mail through a real SMTP relay (a local sink, `datos/buzon.py`, aiosmtpd): who
//! receives what, in Spanish, with no secret; with the relay down the procedure goes on, and
//! once it is back every notice arrives, once.

use crate::helpers::*;
use iop_app::notices::{SmtpConfig, SmtpSecurity};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The SMTP sink, killed when dropped.
pub struct Sink(std::process::Child);

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn start_sink(port: u16, out: &std::path::Path) -> Sink {
    use std::io::BufRead;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/datos/buzon.py");
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(out)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3: {e} (the test command installs aiosmtpd)"));
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        std::io::BufReader::new(stdout).read_line(&mut line).unwrap_or_default();
    }
    assert_eq!(line.trim(), "listo", "the SMTP sink did not start");
    Sink(child)
}

/// A webhook receiver: answers 503 until `up`, then 200; keeps every POST it answered 200 to.
#[derive(Clone, Default)]
struct Hook {
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// (X-IOP-Aviso, X-IOP-Firma, body) of the POSTs taken.
    taken: std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>,
    refused: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

async fn hook_post(
    axum::extract::State(h): axum::extract::State<Hook>,
    headers: axum::http::HeaderMap,
    body: String,
) -> axum::http::StatusCode {
    use std::sync::atomic::Ordering;
    if !h.up.load(Ordering::SeqCst) {
        h.refused.fetch_add(1, Ordering::SeqCst);
        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if let Ok(mut t) = h.taken.lock() {
        t.push((header("x-iop-aviso"), header("x-iop-firma"), body));
    }
    axum::http::StatusCode::NO_CONTENT
}

async fn start_hook() -> (String, Hook) {
    let hook = Hook::default();
    let app = axum::Router::new()
        .route("/eventos", axum::routing::post(hook_post))
        .with_state(hook.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (format!("http://{addr}/eventos"), hook)
}

const HOOK_SECRET: &str = "una-clave-de-prueba-de-al-menos-32-caracteres";

pub fn received(out: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn notices_reach_who_acts_next_once_even_when_the_relay_was_down() {
    // A port with nothing listening yet: the relay is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let (hook_url, hook) = start_hook().await;
    let app = spawn_app_with(|s| {
        s.control.notices.webhooks = Some(iop_app::notices::WebhookConfig {
            urls: vec![hook_url.clone()],
            secret: HOOK_SECRET.into(),
        });
        s.control.notices.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::Ninguna,
            user: None,
            password: None,
            from: "iop@agetic.gob.bo".into(),
        });
        s.control.notices.every = Duration::from_millis(100);
        s.control.notices.retry_base = Duration::from_millis(100);
        s.control.notices.retry_max = Duration::from_millis(400);
    })
    .await;
    let w = world(&app).await;
    // Each chooses an address and what to receive; a colleague of the unit wants nothing.
    for (who, kinds) in [
        ("sol", json!(["turno", "observacion", "accesos"])),
        ("jefe", json!(["turno"])),
        ("resp", json!(["turno"])),
        ("lider", json!(["turno"])),
        ("colega", json!([])),
    ] {
        let body = json!({"correo": format!("{who}@agetic.gob.bo"), "avisos": kinds});
        let r = app
            .call(reqwest::Method::PUT, "/api/v1/auth/yo/avisos", Some(w.t(who)), Some(body))
            .await
            .ok();
        assert_eq!(r["correo"], format!("{who}@agetic.gob.bo"), "{r}");
    }
    app.call(
        reqwest::Method::PUT,
        "/api/v1/auth/yo/avisos",
        Some(w.t("sol")),
        Some(json!({"correo": "no es un correo", "avisos": []})),
    )
    .await
    .expect(422, "correo_invalido");
    app.call(
        reqwest::Method::PUT,
        "/api/v1/auth/yo/avisos",
        Some(w.t("sol")),
        Some(json!({"correo": null, "avisos": ["todo"]})),
    )
    .await
    .expect(422, "aviso_invalido");

    // The procedure goes on while the relay is down.
    let id = draft(&app, &w).await;
    for (who, body) in [
        ("sol", act("presentar")),
        (
            "jefe",
            json!({"accion": "observar", "comentario": "Falta la firma del responsable"}),
        ),
        ("sol", act("subsanar")),
        ("jefe", act("derivar")),
        ("resp", json!({"accion": "asignar", "lider_id": w.id("lider")})),
        (
            "lider",
            json!({"accion": "habilitar", "habilitacion": {"accesos": [{"sistema_id": w.system, "servicio_id": w.services[0]}], "emitir_credenciales": ["apikey"]}}),
        ),
        ("lider", note()),
        ("resp", act("aprobar_nota_adas")),
        ("jefe", act("aprobar_nota_upat")),
        ("sol", act("recibir")),
    ] {
        app.act(&id, w.t(who), body).await.ok();
    }
    let code = app.request(&id).await["codigo"].as_str().unwrap_or_default().to_owned();
    let mine = |log: &Value| -> Vec<Value> {
        log.as_array()
            .map(|a| a.iter().filter(|n| n["solicitud"] == code.as_str()).cloned().collect())
            .unwrap_or_default()
    };
    // Queued and tried, none delivered: nine e-mails and one webhook event per hand-over (ten).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = mine(&app.get("/api/v1/avisos?limite=200", &app.admin_token).await.ok());
        if log.len() == 19 && log.iter().all(|n| n["intentos"].as_i64() >= Some(1)) {
            assert!(
                log.iter().all(|n| n["enviado"].is_null() && n["ultimo_error"].is_string()),
                "{log:?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "not queued and tried: {log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.get("/api/v1/avisos", w.t("jefe")).await.expect(403, "rol_requerido");

    // The relay and the receiver come back: every notice arrives, once.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("buzon.jsonl");
    let _sink = start_sink(port, &out);
    hook.up.store(true, std::sync::atomic::Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = mine(&app.get("/api/v1/avisos?limite=200", &app.admin_token).await.ok());
        if log.iter().all(|n| n["enviado"].is_string()) {
            break;
        }
        assert!(Instant::now() < deadline, "not delivered: {log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // (A few more rounds of the worker: nothing goes twice.)
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mail = received(&out);
    let mut ids: Vec<&str> = mail.iter().map(|m| m["aviso"].as_str().unwrap_or_default()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((mail.len(), ids.len()), (9, 9), "{mail:#?}");
    let mut got: Vec<(String, String)> = mail
        .iter()
        .map(|m| {
            let to = m["para"][0].as_str().unwrap_or_default().to_owned();
            let subject = m["asunto"].as_str().unwrap_or_default().to_owned();
            (to, subject)
        })
        .collect();
    got.sort();
    let mut expected = vec![
        (
            "jefe@agetic.gob.bo".to_owned(),
            format!("Solicitud {code}: le corresponde «Derivar a ADAS»"),
        ),
        (
            "jefe@agetic.gob.bo".to_owned(),
            format!("Solicitud {code}: le corresponde «Derivar a ADAS»"),
        ),
        (
            "lider@agetic.gob.bo".to_owned(),
            format!("Solicitud {code}: le corresponde «Habilitar»"),
        ),
        (
            "resp@agetic.gob.bo".to_owned(),
            format!("Solicitud {code}: le corresponde «Asignar a un Líder»"),
        ),
        (
            "sol@agetic.gob.bo".to_owned(),
            format!("Solicitud {code}: accesos listos para retirar"),
        ),
        ("sol@agetic.gob.bo".to_owned(), format!("Solicitud {code}: Observada")),
        (
            "resp@agetic.gob.bo".to_owned(),
            format!("Solicitud {code}: le corresponde «Aprobar la Nota Interna (ADAS)»"),
        ),
        (
            "jefe@agetic.gob.bo".to_owned(),
            format!("Solicitud {code}: le corresponde «Aprobar la Nota Interna (UPAT)»"),
        ),
        (
            "sol@agetic.gob.bo".to_owned(),
            format!("Solicitud {code}: le corresponde «Recibir»"),
        ),
    ];
    expected.sort();
    assert_eq!(got, expected, "{mail:#?}");
    for m in &mail {
        let body = m["cuerpo"].as_str().unwrap_or_default();
        assert!(body.contains(&code) && body.contains("PR05"), "{body}");
        assert!(!body.contains("iop_k_"), "no credential in a notice: {body}");
        assert_eq!(m["de"], "iop@agetic.gob.bo");
    }
    // The webhook got every hand-over once, each signed with the shared key (the world's own
    // publication, walked before, sent its events too: only this request's are counted).
    let taken: Vec<(String, String, String)> = hook
        .taken
        .lock()
        .map(|t| t.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, _, body)| body.contains(&format!("\"solicitud\":\"{code}\"")))
        .collect();
    assert!(
        hook.refused.load(std::sync::atomic::Ordering::SeqCst) >= 6,
        "it was tried while down"
    );
    let mut hook_ids: Vec<&str> = taken.iter().map(|(id, _, _)| id.as_str()).collect();
    hook_ids.sort_unstable();
    hook_ids.dedup();
    assert_eq!((taken.len(), hook_ids.len()), (10, 10), "{taken:#?}");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, HOOK_SECRET.as_bytes());
    let mut actions = Vec::new();
    for (id, sig, body) in &taken {
        let hex = sig.strip_prefix("sha256=").unwrap_or_else(|| panic!("{sig}"));
        let mac: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        ring::hmac::verify(&key, body.as_bytes(), &mac).unwrap_or_else(|_| panic!("bad signature on {body}"));
        let event: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((&event["aviso"], &event["solicitud"]), (&json!(id), &json!(code)), "{event}");
        assert!(!body.contains("iop_k_"), "{body}");
        actions.push(event["accion"].as_str().unwrap_or_default().to_owned());
    }
    actions.sort();
    assert_eq!(
        actions,
        [
            "aprobar_nota_adas",
            "aprobar_nota_upat",
            "asignar",
            "derivar",
            "elaborar_nota",
            "habilitar",
            "observar",
            "presentar",
            "recibir",
            "subsanar"
        ]
    );
    let observed = mail
        .iter()
        .find(|m| m["asunto"].as_str().is_some_and(|s| s.ends_with("Observada")))
        .map(|m| m["cuerpo"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    assert!(observed.contains("Falta la firma del responsable"), "{observed}");

    // The same choices on a page of the web interface.
    let web = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let cookie = format!("iop_sesion={}", w.t("colega"));
    let page = web
        .get(format!("{}/avisos", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains("value=\"colega@agetic.gob.bo\"") && !page.contains(" checked"),
        "{page}"
    );
    let at = page.find("name=\"_csrf\" value=\"").unwrap_or_else(|| panic!("{page}")) + 20;
    let csrf: String = page[at..].split('"').next().unwrap_or_default().to_owned();
    let post = |form: Vec<(&'static str, String)>| {
        web.post(format!("{}/avisos", app.base))
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    let bad = post(vec![("_csrf", csrf.clone()), ("correo", "colega@".into())])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bad.status().as_u16(), 422);
    assert!(
        bad.text()
            .await
            .unwrap_or_default()
            .contains("no es una dirección de correo válida")
    );
    let ok = post(vec![
        ("_csrf", csrf.clone()),
        ("correo", "colega@unidad.gob.bo".into()),
        ("avisos", "observacion".into()),
        ("avisos", "accesos".into()),
    ])
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.status().as_u16(), 303);
    let prefs = app.get("/api/v1/auth/yo/avisos", w.t("colega")).await.ok();
    assert_eq!(
        prefs,
        json!({"correo": "colega@unidad.gob.bo", "avisos": ["observacion", "accesos"]})
    );
}

/// A free port on loopback (nothing listens on it when this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Waits (a generous deadline) until the sink holds `n` messages `matching`; returns them all.
pub async fn wait_mail(out: &std::path::Path, what: &str, n: usize, matching: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mail = received(out);
        if mail.iter().filter(|m| matching(m)).count() >= n {
            return mail;
        }
        assert!(Instant::now() < deadline, "no {what}: {mail:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The day's notices, by the procedure's clock: the digest of overdue requests every working day
/// (to whom they wait for, and all of them to the heads), and the warning of a grant about to end
/// on the right working day, once.
#[tokio::test]
async fn overdue_digests_and_ending_warnings_go_out_on_the_right_working_day() {
    let (app, _sink, _dir, out) = app_with_sink(|s| s.control.notices.ending_days = 3).await;
    let mut w = world(&app).await;
    for (who, kinds) in [
        ("sol", json!(["vencimiento"])),
        ("lider", json!(["vencimiento"])),
        ("jefe", json!(["resumen"])),
        ("resp", json!(["resumen"])),
        ("lider2", json!(["resumen"])),
    ] {
        let body = json!({"correo": format!("{who}@agetic.gob.bo"), "avisos": kinds});
        app.call(reqwest::Method::PUT, "/api/v1/auth/yo/avisos", Some(w.t(who)), Some(body))
            .await
            .ok();
    }
    // A grant whose last day is Tuesday 2026-12-08, and a request that waits for the Jefe de UPAT
    // from Tuesday 2026-11-24 (its deadline: two working days).
    let (id, _) = consumption(&app, &w, &[w.services[0].as_str()]).await;
    to_leader(&app, &w, &id).await;
    let grant = json!({"accion": "habilitar", "habilitacion": {"accesos": [{"sistema_id": w.system, "servicio_id": w.services[0], "hasta": "2026-12-08"}]}});
    app.act(&id, w.t("lider"), grant).await.ok();
    let granted = app.request(&id).await["codigo"].as_str().unwrap_or_default().to_owned();
    let waiting = draft(&app, &w).await;
    app.act(&waiting, w.t("sol"), act("presentar")).await.ok();
    let late = app.request(&waiting).await["codigo"].as_str().unwrap_or_default().to_owned();
    let warned = |m: &Value| m["asunto"].as_str().is_some_and(|s| s.starts_with("Habilitación por vencer"));
    let digest_of = |day: &'static str| {
        move |m: &Value| {
            m["asunto"]
                .as_str()
                .is_some_and(|s| s.starts_with(&format!("Solicitudes vencidas al {day}")))
        }
    };

    // Wednesday 2026-12-02, 09:00: overdue for days; the grant's last day is four working days off.
    app.clock.advance(time::Duration::days(8) - time::Duration::hours(1));
    relogin(&app, &mut w).await;
    let mail = wait_mail(&out, "digests", 2, digest_of("2026-12-02")).await;
    let to: Vec<&str> = mail
        .iter()
        .filter(|m| digest_of("2026-12-02")(m))
        .map(|m| m["para"][0].as_str().unwrap_or_default())
        .collect();
    assert!(
        to.contains(&"jefe@agetic.gob.bo") && to.contains(&"resp@agetic.gob.bo"),
        "{mail:#?}"
    );
    assert!(!to.contains(&"lider2@agetic.gob.bo"), "nothing waits for lider2: {mail:#?}");
    let body = mail
        .iter()
        .find(|m| digest_of("2026-12-02")(m) && m["para"][0] == "jefe@agetic.gob.bo")
        .map(|m| m["cuerpo"].to_string())
        .unwrap_or_default();
    assert!(body.contains(&late) && body.contains("Presentada"), "{body}");
    assert!(!mail.iter().any(warned), "too early to warn: {mail:#?}");

    // Thursday 2026-12-03: three working days before the last day — the warning goes, to the
    // unit and to the Líder who granted it.
    app.clock.advance(time::Duration::days(1));
    relogin(&app, &mut w).await;
    let mail = wait_mail(&out, "warnings", 2, warned).await;
    let mut to: Vec<&str> = mail
        .iter()
        .filter(|m| warned(m))
        .map(|m| m["para"][0].as_str().unwrap_or_default())
        .collect();
    to.sort_unstable();
    assert_eq!(to, ["lider@agetic.gob.bo", "sol@agetic.gob.bo"], "{mail:#?}");
    let body = mail.iter().find(|m| warned(m)).map(|m| m["cuerpo"].to_string()).unwrap_or_default();
    assert!(
        body.contains(&granted) && body.contains("2026-12-08") && body.contains("renovación"),
        "{body}"
    );

    // Friday: the digest again, the warning not.
    app.clock.advance(time::Duration::days(1));
    relogin(&app, &mut w).await;
    wait_mail(&out, "Friday's digests", 2, digest_of("2026-12-04")).await;
    // Everything queued has gone: no warning came twice.
    let deadline = Instant::now() + Duration::from_secs(30);
    while app
        .get("/api/v1/avisos?limite=500", w.t("admin"))
        .await
        .ok()
        .as_array()
        .is_some_and(|a| a.iter().any(|n| n["enviado"].is_null()))
    {
        assert!(Instant::now() < deadline, "notices still pending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mail = received(&out);
    assert_eq!(mail.iter().filter(|m| warned(m)).count(), 2, "{mail:#?}");
}

/// A running SMTP sink with the file it writes, and an app whose notices go through it (every
/// 100 ms), with `tweak` applied to its settings too.
pub async fn app_with_sink(tweak: impl FnOnce(&mut iop::config::Settings)) -> (App, Sink, tempfile::TempDir, std::path::PathBuf) {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("buzon.jsonl");
    let sink = start_sink(port, &out);
    let app = spawn_app_with(|s| {
        s.control.notices.smtp = Some(sink_relay(port));
        s.control.notices.every = Duration::from_millis(100);
        tweak(s);
    })
    .await;
    (app, sink, dir, out)
}

/// The relay settings for a local sink on `port`.
pub fn sink_relay(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::Ninguna,
        user: None,
        password: None,
        from: "iop@agetic.gob.bo".into(),
    }
}
