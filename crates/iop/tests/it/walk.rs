//! Random walks through the HTTP API (seeded, so a failure reproduces): every accepted action is
//! a PR05 edge and adds exactly one history entry; every refused one is a 4xx with a code and
//! changes nothing; nothing is ever a 5xx.

use crate::helpers::*;
use iop_domain::{PR05_EDGES, State};
use serde_json::{Value, json};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
}

const ACTORS: &[&str] = &[
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
const ACTIONS: &[&str] = &[
    "presentar",
    "derivar",
    "asignar",
    "reasignar",
    "habilitar",
    "ajustar_habilitacion",
    "elaborar_nota",
    "aprobar_nota_adas",
    "aprobar_nota_upat",
    "recibir",
    "observar",
    "subsanar",
    "rechazar",
    "desistir",
];

fn body(w: &World, rng: &mut Rng, action: &str) -> Value {
    let comment = if rng.next().is_multiple_of(4) {
        Value::Null
    } else {
        json!("motivo")
    };
    match action {
        "asignar" | "reasignar" => {
            let leader: &&str = rng.pick(&["lider", "lider2", "respylider", "jefe"]);
            json!({"accion": action, "lider_id": w.id(leader)})
        }
        "habilitar" | "ajustar_habilitacion" => {
            let mut b = enable(w);
            b["accion"] = json!(action);
            b
        }
        "elaborar_nota" => note(),
        "observar" => {
            json!({"accion": action, "comentario": comment, "devolver_a": rng.pick(&[Value::Null, json!("lider_adas"), json!("responsable_adas")])})
        }
        _ => json!({"accion": action, "comentario": comment}),
    }
}

/// Actions that apply in each state, and who usually takes them: the walk leans on these so that
/// it gets deep into the procedure, and still tries anything at random a third of the time.
fn plausible(state: State) -> &'static [&'static str] {
    match state {
        State::Borrador => &["presentar", "desistir"],
        State::Presentada => &["derivar", "observar", "rechazar", "desistir", "derivar"],
        State::DerivadaAdas => &["asignar", "observar", "rechazar", "asignar"],
        State::AsignadaLider => &["reasignar", "habilitar", "observar", "habilitar", "habilitar"],
        State::Habilitada => &["reasignar", "ajustar_habilitacion", "elaborar_nota", "elaborar_nota"],
        State::NotaElaborada => &["aprobar_nota_adas", "observar", "aprobar_nota_adas"],
        State::NotaAprobadaAdas => &["aprobar_nota_upat", "observar"],
        State::NotaAprobadaUpat => &["recibir"],
        State::Observada => &["subsanar", "subsanar", "rechazar", "desistir"],
        _ => ACTIONS,
    }
}

fn holders(action: &str) -> &'static [&'static str] {
    match action {
        "presentar" | "recibir" | "subsanar" | "desistir" => &["sol", "colega"],
        "derivar" | "aprobar_nota_upat" => &["jefe", "jefeyresp"],
        "asignar" | "reasignar" | "aprobar_nota_adas" => &["resp", "respylider", "jefeyresp"],
        "habilitar" | "ajustar_habilitacion" | "elaborar_nota" => &["lider", "lider2", "respylider"],
        "observar" => &["jefe", "resp", "lider", "jefeyresp"],
        _ => &["jefe", "resp"],
    }
}

#[tokio::test]
async fn random_walks_through_the_api_stay_inside_pr05() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut rng = Rng(0x1057_2026_0005_u64);
    let (mut accepted, mut refused, mut closed) = (0, 0, 0);
    let mut id = draft(&app, &w).await;
    let mut history = 0usize;
    let mut state = State::Borrador;
    for _ in 0..400 {
        if state.is_closed() {
            closed += 1;
            id = draft(&app, &w).await;
            history = 0;
            state = State::Borrador;
        }
        let random = rng.next().is_multiple_of(3);
        let action = if random { *rng.pick(ACTIONS) } else { *rng.pick(plausible(state)) };
        let who = if random { *rng.pick(ACTORS) } else { *rng.pick(holders(action)) };
        let before = app.request_as(&id, w.t("sol")).await;
        let r = app.act(&id, w.t(who), body(&w, &mut rng, action)).await;
        let after = app.request_as(&id, w.t("sol")).await;
        assert!(r.status.as_u16() < 500, "{action} by {who}: {} {}", r.status, r.body);
        let len = after["historial"].as_array().map(Vec::len).unwrap_or(0);
        if r.status.is_success() {
            let to = State::parse(after["estado"].as_str().unwrap_or("")).unwrap_or_else(|i| panic!("{i}"));
            assert!(
                PR05_EDGES.contains(&(state, to)),
                "{action} by {who}: {state} -> {to} is not a PR05 edge"
            );
            assert_eq!(len, history + 1, "one history entry per accepted action");
            history = len;
            state = to;
            accepted += 1;
        } else {
            assert!(
                [401, 403, 409, 422].contains(&r.status.as_u16()),
                "{action} by {who}: {} {}",
                r.status,
                r.body
            );
            assert!(!r.code().is_empty());
            assert_eq!(after, before, "{action} by {who} was refused but changed the request");
            refused += 1;
        }
    }
    assert!(
        accepted > 50 && refused > 50 && closed > 3,
        "accepted {accepted}, refused {refused}, closed {closed}"
    );
}
