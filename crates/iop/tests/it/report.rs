//! The management report over HTTP: its figures are computed again here, independently, from
//! what the API says of each request and its history.

use crate::helpers::*;
use iop_domain::Clock;
use iop_domain::{Deadline, State, WorkCalendar};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn at(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap_or_default(), &Rfc3339).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn rank(mut v: Vec<u32>, p: f64) -> Value {
    v.sort_unstable();
    if v.is_empty() {
        return Value::Null;
    }
    let k = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    json!(v[k - 1])
}

#[tokio::test]
async fn the_management_report_is_what_the_history_says() {
    let app = spawn_app().await;
    let mut w = world(&app).await;
    let day = time::Duration::days(1);
    // One request walks the whole procedure slowly; one is rejected; one waits, untouched.
    let slow = draft(&app, &w).await;
    app.act(&slow, w.t("sol"), act("presentar")).await.ok();
    let rejected = draft(&app, &w).await;
    app.act(&rejected, w.t("sol"), act("presentar")).await.ok();
    let waiting = draft(&app, &w).await;
    app.act(&waiting, w.t("sol"), act("presentar")).await.ok();
    let steps: Vec<(i32, &str, Value)> = vec![
        (3, "jefe", act("derivar")),
        (1, "resp", json!({"accion": "asignar", "lider_id": w.id("lider")})),
        (6, "lider", enable(&w)),
        (1, "lider", note()),
        (4, "resp", act("aprobar_nota_adas")),
        (0, "jefe", act("aprobar_nota_upat")),
        (9, "sol", act("recibir")),
    ];
    for (n, (days, who, body)) in steps.into_iter().enumerate() {
        app.clock.advance(day * days);
        relogin(&app, &mut w).await;
        app.act(&slow, w.t(who), body).await.ok();
        if n == 1 {
            app.act(
                &rejected,
                w.t("jefe"),
                json!({"accion": "rechazar", "comentario": "No corresponde"}),
            )
            .await
            .ok();
        }
    }
    app.clock.advance(day * 2i32);
    relogin(&app, &mut w).await;

    // Only the heads of UPAT and ADAS (and the Administrador) read it.
    for who in ["sol", "lider"] {
        app.get("/api/v1/informe", w.t(who)).await.expect(403, "rol_requerido");
    }
    let report = app.get("/api/v1/informe", w.t("jefe")).await.ok();

    // The same figures, from the requests and their histories as the API shows them.
    let now = app.clock.now();
    let cal = WorkCalendar::default();
    let deadlines: HashMap<State, Deadline> = iop_app::default_deadlines();
    let requests = items(&app, "/api/v1/solicitudes?limite=100", w.t("jefe")).await;
    assert!(requests.len() >= 4, "{requests:?}");
    let mut by_state: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut days: HashMap<State, Vec<u32>> = HashMap::new();
    let mut open: HashMap<State, usize> = HashMap::new();
    let mut late: HashMap<State, usize> = HashMap::new();
    let mut people: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut months: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for r in &requests {
        let state = State::parse(r["estado"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e:?}"));
        *by_state
            .entry((state.as_str().to_owned(), r["tipo"].as_str().unwrap_or_default().to_owned()))
            .or_default() += 1;
        let history = app
            .get(
                &format!("/api/v1/solicitudes/{}/historial", r["id"].as_str().unwrap_or_default()),
                w.t("jefe"),
            )
            .await
            .ok();
        let mut since = at(&r["creada"]);
        for h in history.as_array().cloned().unwrap_or_default() {
            let (from, to) = (
                State::parse(h["estado_anterior"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e:?}")),
                State::parse(h["estado_nuevo"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e:?}")),
            );
            let when = at(&h["fecha"]);
            if from != to || h["accion"] == "reasignar" {
                if let Some(d) = deadlines.get(&from) {
                    days.entry(from).or_default().push(cal.working_days_between(since, when));
                    let was_late = when >= cal.due(since, *d);
                    *late.entry(from).or_default() += usize::from(was_late);
                    let p = people.entry(h["actor_id"].as_str().unwrap_or_default().to_owned()).or_default();
                    p.0 += 1;
                    p.1 += usize::from(was_late);
                }
                since = when;
            }
            let local = when.to_offset(iop_domain::calendar::LA_PAZ);
            let m = months
                .entry(format!("{:04}-{:02}", local.year(), u8::from(local.month())))
                .or_default();
            m.0 += usize::from(h["accion"] == "presentar");
            m.1 += usize::from(from != State::Borrador && to.is_closed());
            m.2 += usize::from(to == State::Recibida);
        }
        if let Some(d) = deadlines.get(&state) {
            *open.entry(state).or_default() += 1;
            *late.entry(state).or_default() += usize::from(now >= cal.due(since, *d));
        }
    }
    let expected_states: Vec<Value> = by_state
        .iter()
        .map(|((s, k), n)| json!({"estado": s, "tipo": k, "solicitudes": n}))
        .collect();
    // (The report lists states in the procedure's order; compared here as a set.)
    let mut got_states = report["por_estado"].as_array().cloned().unwrap_or_default();
    got_states.sort_by_key(|v| (v["estado"].to_string(), v["tipo"].to_string()));
    assert_eq!(json!(got_states), json!(expected_states), "{report}");
    for step in report["pasos"].as_array().cloned().unwrap_or_default() {
        let s = State::parse(step["estado"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e:?}"));
        let d = days.get(&s).cloned().unwrap_or_default();
        let got = (
            &step["terminadas"],
            &step["abiertas"],
            &step["mediana_dias_habiles"],
            &step["p90_dias_habiles"],
            &step["vencidas"],
        );
        let want = (
            &json!(d.len()),
            &json!(open.get(&s).copied().unwrap_or(0)),
            &rank(d.clone(), 0.5),
            &rank(d.clone(), 0.9),
            &json!(late.get(&s).copied().unwrap_or(0)),
        );
        assert_eq!(got, want, "{s:?}: {step}");
    }
    assert_eq!(report["pasos"].as_array().map(Vec::len), Some(deadlines.len()));
    let got_people: BTreeMap<String, (usize, usize)> = report["personas"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let n = |k: &str| usize::try_from(p[k].as_u64().unwrap_or(u64::MAX)).unwrap_or(usize::MAX);
            (
                p["usuario_id"].as_str().unwrap_or_default().to_owned(),
                (n("terminadas"), n("vencidas")),
            )
        })
        .collect();
    assert_eq!(got_people, people);
    let got_months: BTreeMap<String, (usize, usize, usize)> = report["meses"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let n = |k: &str| usize::try_from(m[k].as_u64().unwrap_or(u64::MAX)).unwrap_or(usize::MAX);
            (
                m["mes"].as_str().unwrap_or_default().to_owned(),
                (n("presentadas"), n("cerradas"), n("recibidas")),
            )
        })
        .collect();
    assert_eq!(got_months, months);
    // The scenario produced what it should: a late derivation, a late receipt, one open and late.
    let presentada = &report["pasos"][0];
    assert_eq!(presentada["estado"], "presentada");
    assert!(presentada["vencidas"].as_u64() >= Some(2), "{presentada}");
    assert!(months.values().map(|m| m.1).sum::<usize>() >= 2, "{months:?}");

    // As CSV, one row per figure.
    let res = app
        .client
        .get(format!("{}/api/v1/informe.csv", app.base))
        .bearer_auth(w.t("resp"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv")),
        "{:?}",
        res.headers()
    );
    let csv = res.text().await.unwrap_or_default();
    assert!(csv.starts_with("seccion,clave,medida,valor\r\n"), "{csv}");
    let line = format!("pasos,presentada,vencidas,{}\r\n", presentada["vencidas"]);
    assert!(csv.contains(&line), "{line:?} in:\n{csv}");

    // The page shows the same figures to the heads, linked from their navigation.
    let page = |who: &'static str, path: &'static str| web_page(&app, path, w.t(who));
    let (status, html) = page("jefe", "/informe").await;
    assert_eq!(status, 200, "{html}");
    let rate = presentada["tasa_vencidas"].as_f64().unwrap_or_default();
    for shown in [
        "data-nav-informe".to_owned(),
        "href=\"/informe.csv\"".to_owned(),
        format!("{} ({} %)", presentada["vencidas"], (rate * 100.0) as u32),
        format!("data-mes=\"{}\"", months.keys().next().cloned().unwrap_or_default()),
        "Persona lider".to_owned(),
    ] {
        assert!(html.contains(&shown), "{shown:?} in:\n{html}");
    }
    let (status, web_csv) = page("resp", "/informe.csv").await;
    assert_eq!((status, web_csv.lines().next()), (200, Some("seccion,clave,medida,valor")));
    let (status, _) = page("lider", "/informe").await;
    assert_eq!(status, 403);
    let (_, inbox) = page("lider", "/bandeja").await;
    assert!(!inbox.contains("data-nav-informe"), "{inbox}");
}
