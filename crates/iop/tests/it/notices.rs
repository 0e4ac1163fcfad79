//! Notices by e-mail through a real SMTP relay (a local sink, `datos/buzon.py`, aiosmtpd): who
//! receives what, in Spanish, with no secret; with the relay down the procedure goes on, and
//! once it is back every notice arrives, once.

use crate::helpers::*;
use iop_app::notices::{SmtpConfig, SmtpSecurity};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The SMTP sink, killed when dropped.
struct Sink(std::process::Child);

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sink(port: u16, out: &std::path::Path) -> Sink {
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

fn received(out: &std::path::Path) -> Vec<Value> {
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
    let app = spawn_app_with(|s| {
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
        Some(json!({"correo": null, "avisos": ["resumen"]})),
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
    ] {
        app.act(&id, w.t(who), body).await.ok();
    }
    let code = app.request(&id).await["codigo"].as_str().unwrap_or_default().to_owned();
    let mine = |log: &Value| -> Vec<Value> {
        log.as_array()
            .map(|a| a.iter().filter(|n| n["solicitud"] == code.as_str()).cloned().collect())
            .unwrap_or_default()
    };
    // Queued and tried, none delivered.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = mine(&app.get("/api/v1/avisos?limite=200", &app.admin_token).await.ok());
        if log.len() == 6 && log.iter().all(|n| n["intentos"].as_i64() >= Some(1)) {
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

    // The relay comes back: every notice arrives, once.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("buzon.jsonl");
    let _sink = start_sink(port, &out);
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
    assert_eq!((mail.len(), ids.len()), (6, 6), "{mail:#?}");
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
    ];
    expected.sort();
    assert_eq!(got, expected, "{mail:#?}");
    for m in &mail {
        let body = m["cuerpo"].as_str().unwrap_or_default();
        assert!(body.contains(&code) && body.contains("PR05"), "{body}");
        assert!(!body.contains("iop_k_"), "no credential in a notice: {body}");
        assert_eq!(m["de"], "iop@agetic.gob.bo");
    }
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
