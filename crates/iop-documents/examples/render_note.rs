//! How long a two-page Nota Interna takes to render (not part of CI; see BENCHMARKS.md):
//! `cargo run --release -p iop-documents --example render_note [ROUNDS]`.

use iop_documents::{Approval, Note, Paper, Person, long_date, note_pdf};

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(200);
    let person = |n: &str, c: &str| Person {
        nombre: Some(n.into()),
        cargo: c.into(),
    };
    let note = Note {
        entidad: "Agencia de Gobierno Electrónico".into(),
        cite: "AGETIC/NI/UPAT-ADAS/0042/2026".into(),
        solicitud: "IOP-2026-000042".into(),
        version: 1,
        sha256: "0f".repeat(32),
        a: person("Carla Flores", "Jefe de UPAT"),
        via: person("Ana Quispe", "Responsable de ADAS"),
        de: person("Luis Mamani", "Líder de equipo de ADAS"),
        referencia: "Consumo de servicios de interoperabilidad — solicitud IOP-2026-000042".into(),
        fecha: long_date(time::macros::date!(2026 - 11 - 29)),
        cuerpo: vec!["Se habilitó el acceso del sistema al servicio, con sus operaciones y límites. ".repeat(8); 12].join("\n\n"),
        recomendaciones: Some("Revisar los límites en seis meses.".into()),
        habilitado: (1..=8)
            .map(|i| format!("Acceso del sistema Trámites al servicio servicio-{i} v1: todas sus operaciones"))
            .collect(),
        aprobaciones: vec![
            Approval {
                paso: 6,
                cargo: "Responsable de ADAS".into(),
                nombre: Some("Ana Quispe".into()),
                fecha: Some("2026-11-29 10:00".into()),
            },
            Approval {
                paso: 7,
                cargo: "Jefe de UPAT".into(),
                nombre: Some("Carla Flores".into()),
                fecha: Some("2026-11-29 11:00".into()),
            },
        ],
        papel: Paper::A4,
        verificacion: Some(iop_documents::Verification {
            codigo: "0A1B-2C3D-4E5F-6071-8293".into(),
            url: "http://127.0.0.1:8002/v/0a1b2c3d4e5f60718293".into(),
        }),
    };
    let at = time::macros::datetime!(2026-11-29 15:00 UTC);
    let mut ms = Vec::with_capacity(rounds);
    let mut size = 0;
    for i in 0..rounds + 5 {
        let t = std::time::Instant::now();
        let pdf = note_pdf(&note, None, at).unwrap_or_else(|e| panic!("{e}"));
        if i >= 5 {
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        size = pdf.len();
    }
    ms.sort_by(f64::total_cmp);
    let q = |p: f64| ms.get(((ms.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN);
    println!(
        "two-page note: {size} bytes; render median {:.2} ms, p99 {:.2} ms ({rounds} rounds)",
        q(0.5),
        q(0.99)
    );
}
