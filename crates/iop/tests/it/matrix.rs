//! The authorization matrix: every action, tried by every actor (and anonymously) on a request in
//! the state where the action applies. Exactly the allowed actors succeed; the others get 401 or
//! 403 and leave the request unchanged; an allowed actor in a wrong state gets 409, unchanged too.
//! The expectations below are written from PR05 (shared/PR05.md), not derived from the code.

use crate::helpers::*;
use serde_json::{Value, json};

const ACTORS: &[&str] = &[
    "anon",
    "sol",
    "colega",
    "otro",
    "jefe",
    "resp",
    "lider",
    "lider2",
    "respylider",
    "jefeyresp",
    "admin",
];

struct Case {
    action: &'static str,
    state: &'static str,
    allowed: &'static [&'static str],
    wrong_state: &'static str,
}

const CASES: &[Case] = &[
    Case {
        action: "presentar",
        state: "borrador",
        allowed: &["sol"],
        wrong_state: "presentada",
    },
    Case {
        action: "derivar",
        state: "presentada",
        allowed: &["jefe", "jefeyresp"],
        wrong_state: "derivada_adas",
    },
    Case {
        action: "asignar",
        state: "derivada_adas",
        allowed: &["resp", "respylider", "jefeyresp"],
        wrong_state: "presentada",
    },
    Case {
        action: "reasignar",
        state: "asignada_lider",
        allowed: &["resp", "respylider", "jefeyresp"],
        wrong_state: "derivada_adas",
    },
    Case {
        action: "habilitar",
        state: "asignada_lider",
        allowed: &["lider"],
        wrong_state: "habilitada",
    },
    Case {
        action: "ajustar_habilitacion",
        state: "habilitada",
        allowed: &["lider"],
        wrong_state: "asignada_lider",
    },
    Case {
        action: "elaborar_nota",
        state: "habilitada",
        allowed: &["lider"],
        wrong_state: "nota_elaborada",
    },
    Case {
        action: "aprobar_nota_adas",
        state: "nota_elaborada",
        allowed: &["resp", "respylider", "jefeyresp"],
        wrong_state: "habilitada",
    },
    Case {
        action: "aprobar_nota_upat",
        state: "nota_aprobada_adas",
        allowed: &["jefe", "jefeyresp"],
        wrong_state: "nota_elaborada",
    },
    Case {
        action: "recibir",
        state: "nota_aprobada_upat",
        allowed: &["sol", "colega"],
        wrong_state: "nota_aprobada_adas",
    },
    Case {
        action: "observar",
        state: "presentada",
        allowed: &["jefe", "jefeyresp"],
        wrong_state: "habilitada",
    },
    Case {
        action: "subsanar",
        state: "observada",
        allowed: &["sol", "colega"],
        wrong_state: "presentada",
    },
    Case {
        action: "rechazar",
        state: "presentada",
        allowed: &["jefe", "resp", "respylider", "jefeyresp"],
        wrong_state: "habilitada",
    },
    Case {
        action: "desistir",
        state: "presentada",
        allowed: &["sol", "colega"],
        wrong_state: "habilitada",
    },
];

fn body(w: &World, action: &str) -> Value {
    match action {
        "asignar" => json!({"accion": "asignar", "lider_id": w.id("lider")}),
        "reasignar" => json!({"accion": "reasignar", "lider_id": w.id("lider2")}),
        "habilitar" => enable(w),
        "ajustar_habilitacion" => {
            let mut b = enable(w);
            b["accion"] = json!("ajustar_habilitacion");
            b
        }
        "elaborar_nota" => note(),
        "observar" | "rechazar" | "desistir" => {
            json!({"accion": action, "comentario": "motivo de prueba"})
        }
        other => act(other),
    }
}

async fn at(app: &App, w: &World, state: &str) -> String {
    if state == "observada" {
        let id = request_in(app, w, "presentada").await;
        app.act(&id, w.t("jefe"), json!({"accion": "observar", "comentario": "observación"}))
            .await
            .ok();
        return id;
    }
    request_in(app, w, state).await
}

async fn snapshot(app: &App, w: &World, id: &str) -> Value {
    let r = app.request_as(id, w.t("sol")).await;
    json!({
        "estado": r["estado"], "version": r["version"], "lider": r["lider_id"],
        "historial": r["historial"].as_array().map(Vec::len), "habilitaciones": r["habilitaciones"],
    })
}

async fn attempt(app: &App, w: &World, who: &str, id: &str, action: &str) -> crate::helpers::Resp {
    let token = if who == "anon" { None } else { Some(w.t(who)) };
    let mut b = body(w, action);
    // Steps 6–8 send the hash of the note as shown (the request as the Administrador reads it).
    let shown = app.get(&format!("/api/v1/solicitudes/{id}"), &app.admin_token).await.body;
    if let Some(h) = shown["nota"]["sha256"].as_str() {
        b["nota_sha256"] = json!(h);
    }
    app.call(
        reqwest::Method::POST,
        &format!("/api/v1/solicitudes/{id}/transiciones"),
        token,
        Some(b),
    )
    .await
}

#[tokio::test]
async fn every_transition_as_every_role() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut checked = 0;
    for case in CASES {
        // Everyone not allowed is refused and changes nothing.
        let id = at(&app, &w, case.state).await;
        let before = snapshot(&app, &w, &id).await;
        for who in ACTORS.iter().filter(|a| !case.allowed.contains(a)) {
            let r = attempt(&app, &w, who, &id, case.action).await;
            let expected = if *who == "anon" { 401 } else { 403 };
            assert_eq!(
                r.status.as_u16(),
                expected,
                "{} by {who} in {}: {}",
                case.action,
                case.state,
                r.body
            );
            assert!(!r.code().is_empty(), "stable code missing: {}", r.body);
            assert_eq!(
                snapshot(&app, &w, &id).await,
                before,
                "{} by {who} changed the request",
                case.action
            );
            checked += 1;
        }
        // An allowed actor in a wrong state gets 409 and changes nothing.
        let wrong = at(&app, &w, case.wrong_state).await;
        let before_wrong = snapshot(&app, &w, &wrong).await;
        let r = attempt(&app, &w, case.allowed[0], &wrong, case.action).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (409, "estado_incompatible"),
            "{} in {}: {}",
            case.action,
            case.wrong_state,
            r.body
        );
        assert_eq!(snapshot(&app, &w, &wrong).await, before_wrong);
        // Each allowed actor succeeds (on a fresh request each), and adds exactly one history entry.
        for (i, who) in case.allowed.iter().enumerate() {
            let id = if i == 0 { id.clone() } else { at(&app, &w, case.state).await };
            let n = snapshot(&app, &w, &id).await["historial"].as_u64().unwrap_or(0);
            let r = attempt(&app, &w, who, &id, case.action).await;
            assert!(
                r.status.is_success(),
                "{} by {who} in {}: {} {}",
                case.action,
                case.state,
                r.status,
                r.body
            );
            assert_eq!(snapshot(&app, &w, &id).await["historial"].as_u64(), Some(n + 1));
            checked += 1;
        }
    }
    assert_eq!(checked, CASES.len() * ACTORS.len());
}
