//! The audit log: tampering with the database file is named by `iop audit verify`; exports verify
//! with only the public key and fail after any change; the witness catches a truncation the
//! database alone cannot; administrative changes and searches are audited with their actor;
//! pruning archives first and leaves a chain that still verifies.

use crate::gateway::{consume, publish};
use crate::helpers::*;
use crate::upstream;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection;
use std::path::{Path, PathBuf};

/// A data directory with procedure, administrative and call records, its server stopped, and a
/// signed checkpoint of every chain (the export signs them).
async fn audited_dir(witness: Option<&Path>) -> (tempfile::TempDir, PathBuf) {
    let mut app = spawn_app_with(|s| {
        s.audit_witness = witness.map(Path::to_path_buf);
        s.checkpoint_every = std::time::Duration::from_secs(3600);
        // Only the witness test needs the running platform's own checkpoints. Elsewhere the one
        // checkpoint per chain is the one `iop audit export` signs at its head below, so where
        // checkpoints fall never depends on when the signer ran (a checkpoint landing at a
        // tampered record changes what verification names first).
        s.checkpoint_records = if witness.is_some() { 5 } else { 1 << 40 };
    })
    .await;
    let w = world(&app).await;
    let up = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", up.addr), 2000).await;
    let a = consume(&app, &w, &service, json!({})).await;
    for i in 0..5 {
        let r = app
            .gw_until(&format!("/segip/consulta/v3/personas/{i}"), &[("apikey", a.key.as_str())], 200)
            .await;
        let id = r
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        app.record(&app.admin_token, &id).await;
    }
    request_in(&app, &w, "recibida").await;
    if let Some(wp) = witness {
        // The running platform signs a checkpoint once a chain has 5 unsigned records (the
        // hour-long period never comes), and copies it to the witness.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let text = std::fs::read_to_string(wp).unwrap_or_default();
            let chains = ["llamadas", "procedimiento", "administracion"];
            if chains.iter().all(|c| text.contains(&format!(r#"\"cadena\":\"{c}\""#))) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no periodic checkpoint in the witness: {text}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
    if let Some(r) = app._running.take() {
        r.stop().await;
    }
    let dir = std::mem::replace(&mut app._dir, tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")));
    let d = dir.path().to_str().unwrap_or(".").to_owned();
    let mut args = vec![
        "audit",
        "export",
        "--data-dir",
        &d,
        "--desde",
        "2000-01-01",
        "--hasta",
        "2100-01-01",
        "--salida",
    ];
    let export = dir.path().join("exportacion.jsonl");
    let e = export.to_str().unwrap_or("").to_owned();
    args.push(&e);
    let cfg;
    if let Some(wp) = witness {
        cfg = dir.path().join("iop.toml");
        std::fs::write(&cfg, format!("testigo_auditoria = {:?}\n", wp.to_str().unwrap_or(""))).unwrap_or_else(|e| panic!("{e}"));
        args.push("--config");
        args.push(cfg.to_str().unwrap_or(""));
    }
    let out = iop(&args).output().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (dir, export)
}

fn copy_dir(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")).flatten() {
        if e.path().is_file() {
            std::fs::copy(e.path(), to.path().join(e.file_name())).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    to
}

/// Runs SQL on the database file as an insider would: triggers dropped first.
async fn tamper(dir: &Path, sql: &str) {
    let url = format!("sqlite://{}", dir.join("iop.sqlite3").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    let drop = "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_prune_only; DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete; DROP TRIGGER call_log_no_update; DROP TRIGGER call_log_prune_only;";
    sqlx::raw_sql(drop).execute(&mut c).await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    c.close().await.unwrap_or_else(|e| panic!("{e}"));
}

/// Every audit record: the call stream's compact rows and the other streams' rows.
const ALL_RECORDS: &str = "SELECT CAST((SELECT COUNT(*) FROM audit_log) + (SELECT COUNT(*) FROM call_log) AS TEXT)";

async fn scalar(dir: &Path, sql: &str) -> String {
    let url = format!("sqlite://{}", dir.join("iop.sqlite3").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    let v: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    c.close().await.unwrap_or_else(|e| panic!("{e}"));
    v
}

/// `iop audit verify` with these extra arguments: (exit code, stdout + stderr).
fn verify(args: &[&str]) -> (i32, String) {
    let out = iop(&[&["audit", "verify"][..], args].concat())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn audit_verify_names_the_first_changed_removed_inserted_or_reordered_record() {
    let (dir, _) = audited_dir(None).await;
    let d = dir.path().to_str().unwrap_or(".");
    let (code, text) = verify(&["--data-dir", d]);
    assert_eq!(code, 0, "an untouched log verifies: {text}");
    assert!(text.starts_with("OK: "), "{text}");
    for chain in ["llamadas/n1", "procedimiento/n1", "administracion/n1"] {
        assert!(text.contains(chain), "{chain} missing: {text}");
    }
    // The gateway's records are all stored compact (rebuilt exactly, none kept verbatim).
    let verbatim = scalar(
        dir.path(),
        "SELECT CAST(COUNT(raw) AS TEXT) || '/' || CAST(COUNT(*) AS TEXT) FROM call_log",
    )
    .await;
    assert!(verbatim.starts_with("0/") && verbatim != "0/0", "{verbatim}");
    // The store itself refuses to change or delete audit rows.
    let url = format!("sqlite://{}", dir.path().join("iop.sqlite3").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    for sql in [
        "UPDATE audit_log SET body = body WHERE seq = 1",
        "DELETE FROM audit_log WHERE stream = 'procedimiento' AND seq = 2",
        "DELETE FROM audit_checkpoints",
    ] {
        assert!(sqlx::raw_sql(sql).execute(&mut c).await.is_err(), "{sql} was allowed");
    }
    c.close().await.unwrap_or_else(|e| panic!("{e}"));

    let p = "stream = 'procedimiento' AND node = 'n1'";
    let h2 = scalar(dir.path(), &format!("SELECT lower(hex(hash)) FROM audit_log WHERE {p} AND seq = 2")).await;
    let forged = format!(r#"{{"seq":3,"prev":"{h2}","ts_ms":1,"actor":"intruso","accion":"solicitud.transicion"}}"#);
    let forged_hash = iop_audit::to_hex(&iop_audit::digest(forged.as_bytes()));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "content edited",
            format!(r#"UPDATE audit_log SET body = replace(body, '"actor":"', '"actor":"x') WHERE {p} AND seq = 3"#),
            "procedimiento/n1, registro 3: alterado",
        ),
        (
            "content and its stored hash edited",
            format!(
                r#"UPDATE audit_log SET body = replace(body, '"actor":"', '"actor":"x') WHERE {p} AND seq = 3;
                   UPDATE audit_log SET hash = unhex('{forged_hash}') WHERE {p} AND seq = 3"#
            ),
            "procedimiento/n1, registro 3: alterado",
        ),
        (
            "a record deleted",
            format!("DELETE FROM audit_log WHERE {p} AND seq = 3"),
            "procedimiento/n1, registro 3: eliminado",
        ),
        (
            "a record deleted and the rest renumbered",
            format!(
                "DELETE FROM audit_log WHERE {p} AND seq = 3; UPDATE audit_log SET seq = -seq + 1 WHERE {p} AND seq > 3; UPDATE audit_log SET seq = -seq WHERE {p} AND seq < 0"
            ),
            "procedimiento/n1, registro 3: eliminado",
        ),
        (
            "a forged record inserted",
            format!(
                "UPDATE audit_log SET seq = -seq - 1 WHERE {p} AND seq >= 3; UPDATE audit_log SET seq = -seq WHERE {p} AND seq < 0;
                 INSERT INTO audit_log (stream, node, seq, ts_ms, body, hash) VALUES ('procedimiento', 'n1', 3, 1, '{forged}', unhex('{forged_hash}'))"
            ),
            "procedimiento/n1, registro 3: insertado",
        ),
        (
            "two records swapped",
            format!(
                "UPDATE audit_log SET seq = -1 WHERE {p} AND seq = 3; UPDATE audit_log SET seq = 3 WHERE {p} AND seq = 4; UPDATE audit_log SET seq = 4 WHERE {p} AND seq = -1"
            ),
            "procedimiento/n1, registro 3: reordenado",
        ),
        (
            "the last records cut off",
            format!("DELETE FROM audit_log WHERE {p} AND seq > (SELECT MAX(seq) - 2 FROM audit_log WHERE {p})"),
            ": truncado",
        ),
        (
            "a call record's status edited",
            "UPDATE call_log SET status = 404 WHERE seq = 2 AND status = 200".into(),
            "llamadas/n1, registro 2: alterado",
        ),
        (
            "a checkpoint re-signed with another key",
            "UPDATE audit_checkpoints SET signature = substr(signature, 3) || substr(signature, 1, 2) WHERE id = (SELECT MIN(id) FROM audit_checkpoints)".into(),
            "firma_invalida",
        ),
    ];
    for (what, sql, expected) in cases {
        let copy = copy_dir(dir.path());
        tamper(copy.path(), &sql).await;
        let (code, text) = verify(&["--data-dir", copy.path().to_str().unwrap_or(".")]);
        assert_eq!(code, 1, "{what}: {text}");
        assert!(
            text.contains("VERIFICACIÓN FALLIDA") && text.contains(expected),
            "{what}: expected «{expected}», got {text}"
        );
    }
}

#[tokio::test]
async fn exports_verify_with_only_the_public_key_and_fail_after_any_change() {
    let (dir, export) = audited_dir(None).await;
    let d = dir.path().to_str().unwrap_or(".");
    let out = iop(&["audit", "public-key", "--data-dir", d])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let key_text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(key_text.starts_with("ed25519:"), "{key_text}");
    // The auditor holds only the export and the public key.
    let auditor = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pk = auditor.path().join("clave.pub");
    std::fs::write(&pk, &key_text).unwrap_or_else(|e| panic!("{e}"));
    let file = auditor.path().join("exportacion.jsonl");
    std::fs::copy(&export, &file).unwrap_or_else(|e| panic!("{e}"));
    let (pk_s, file_s) = (pk.to_str().unwrap_or(""), file.to_str().unwrap_or(""));
    let (code, text) = verify(&["--exportacion", file_s, "--clave-publica", pk_s]);
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("OK: exportación íntegra"), "{text}");
    let bytes = std::fs::read(&file).unwrap_or_default();
    assert!(bytes.len() > 2000, "a real export: {} bytes", bytes.len());

    // A changed byte anywhere (spread over the whole file) is refused, and never a panic.
    let bad = auditor.path().join("alterada.jsonl");
    let bad_s = bad.to_str().unwrap_or("");
    for k in 0..24 {
        let at = (bytes.len() - 1) * k / 23;
        let mut b = bytes.clone();
        b[at] = if b[at] == b'0' { b'1' } else { b'0' };
        std::fs::write(&bad, &b).unwrap_or_else(|e| panic!("{e}"));
        let (code, text) = verify(&["--exportacion", bad_s, "--clave-publica", pk_s]);
        assert_eq!(code, 1, "byte {at} changed: {text}");
        assert!(text.contains("VERIFICACIÓN FALLIDA"), "{text}");
    }
    // Truncated, malformed, empty, or from another platform: said clearly, exit 1.
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let foreign = iop(&["audit", "public-key", "--data-dir", other.path().to_str().unwrap_or(".")])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let foreign_pk = auditor.path().join("otra.pub");
    std::fs::write(&foreign_pk, &foreign.stdout).unwrap_or_else(|e| panic!("{e}"));
    let cases: Vec<(&str, Vec<u8>, &Path, &str)> = vec![
        ("cut in half", bytes[..bytes.len() / 2].to_vec(), &pk, "truncad"),
        (
            "last line dropped",
            {
                let text = String::from_utf8_lossy(&bytes).to_string();
                let mut lines: Vec<&str> = text.lines().collect();
                lines.pop();
                (lines.join("\n") + "\n").into_bytes()
            },
            &pk,
            "truncad",
        ),
        (
            "not an export",
            b"hola, esto no es una exportacion\n".to_vec(),
            &pk,
            "no es una exportación",
        ),
        ("empty", Vec::new(), &pk, "truncad"),
        ("binary", vec![0xff, 0x00, 0xfe, b'\n', 0x80], &pk, "no es una exportación"),
        ("another platform's key", bytes.clone(), &foreign_pk, "otra clave"),
    ];
    for (what, content, key, expected) in cases {
        std::fs::write(&bad, content).unwrap_or_else(|e| panic!("{e}"));
        let (code, text) = verify(&["--exportacion", bad_s, "--clave-publica", key.to_str().unwrap_or("")]);
        assert_eq!(code, 1, "{what}: {text}");
        assert!(text.contains(expected), "{what}: expected «{expected}»: {text}");
    }
    // Usage errors: exit 2 with a reason.
    let (code, text) = verify(&["--exportacion", file_s]);
    assert!(code == 2 && text.contains("--clave-publica"), "{text}");
    let (code, text) = verify(&["--exportacion", "/no/existe.jsonl", "--clave-publica", pk_s]);
    assert!(code == 2 && text.contains("no se pudo abrir"), "{text}");
    let (code, text) = verify(&["--exportacion", file_s, "--clave-publica", file_s]);
    assert!(code == 2 && text.contains("no es una clave pública"), "{text}");
}

#[tokio::test]
async fn the_witness_catches_a_truncation_the_database_alone_cannot() {
    let elsewhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let witness = elsewhere.path().join("testigo.jsonl");
    let (dir, _) = audited_dir(Some(&witness)).await;
    let w = witness.to_str().unwrap_or("");
    let (code, text) = verify(&["--data-dir", dir.path().to_str().unwrap_or("."), "--testigo", w]);
    assert_eq!(code, 0, "{text}");
    // An insider removes the newest call records and every checkpoint (the log now looks whole).
    let copy = copy_dir(dir.path());
    let c = copy.path().to_str().unwrap_or(".");
    tamper(copy.path(), "DELETE FROM call_log WHERE seq > 2; DELETE FROM audit_checkpoints").await;
    let (code, text) = verify(&["--data-dir", c]);
    assert_eq!(code, 0, "without the witness the cut is invisible: {text}");
    let (code, text) = verify(&["--data-dir", c, "--testigo", w]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("llamadas/n1, registro 3: truncado"), "{text}");
    // A witness that is not one.
    std::fs::write(elsewhere.path().join("malo.jsonl"), "{}\n").unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = verify(&[
        "--data-dir",
        c,
        "--testigo",
        elsewhere.path().join("malo.jsonl").to_str().unwrap_or(""),
    ]);
    assert!(code == 1 && text.contains("testigo, línea 1"), "{text}");
}

fn actions(page: &Value) -> Vec<String> {
    page["registros"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["registro"]["accion"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn administrative_changes_and_searches_are_audited_with_their_actor() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = upstream::start("uno").await;
    let service = publish(&app, &w, &format!("http://{}/base", up.addr), 2000).await;
    let a = consume(&app, &w, &service, json!({})).await;
    // The connector and the description changed outside a request (administrative changes).
    app.call(
        Method::PUT,
        &format!("/api/v1/servicios/{service}/conector"),
        Some(w.t("lider")),
        Some(json!({"origenes": [format!("http://{}/base", up.addr)]})),
    )
    .await
    .ok();
    app.call(
        Method::PUT,
        &format!("/api/v1/servicios/{service}/descripcion"),
        Some(w.t("lider")),
        Some(json!({"documento": upstream::DESCRIPTION})),
    )
    .await
    .ok();
    // A catalog entry registered by hand (it is not published until a PR05 request does so).
    app.post(
        "/api/v1/servicios",
        &app.admin_token,
        json!({"entidad_id": w.publisher, "codigo": "registrado", "version": 1, "nombre": "Registrado a mano"}),
    )
    .await
    .ok();
    // Users: create, change, reset password.
    let u = app
        .post(
            "/api/v1/usuarios",
            &app.admin_token,
            json!({"usuario": "auditada", "nombre": "Ana Auditada", "roles": ["solicitante"], "unidad_id": w.unit}),
        )
        .await
        .ok();
    let uid = u["usuario"]["id"].as_str().unwrap_or_default().to_owned();
    let generated = u["contrasena_generada"].as_str().unwrap_or_default().to_owned();
    app.call(
        Method::PATCH,
        &format!("/api/v1/usuarios/{uid}"),
        Some(&app.admin_token),
        Some(json!({"activo": false})),
    )
    .await
    .ok();
    app.post(
        &format!("/api/v1/usuarios/{uid}/contrasena"),
        &app.admin_token,
        json!({"contrasena": "otra-clave-larga-2026"}),
    )
    .await
    .ok();
    // Credentials: issue, rotate, revoke (as the ADAS leader).
    let issued = app
        .post(
            &format!("/api/v1/sistemas/{}/credenciales", w.system),
            w.t("lider"),
            json!({"tipo": "apikey"}),
        )
        .await
        .ok();
    let cid = issued["credencial"]["id"].as_str().unwrap_or_default().to_owned();
    let secret = issued["clave"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("iop_k_"), "{issued}");
    let rotated = app
        .post(
            &format!("/api/v1/credenciales/{cid}/rotar"),
            w.t("lider"),
            json!({"solapamiento_horas": 1}),
        )
        .await
        .ok();
    let new_id = rotated["credencial"]["id"].as_str().unwrap_or_default().to_owned();
    app.post(&format!("/api/v1/credenciales/{new_id}/revocar"), w.t("lider"), json!({}))
        .await
        .ok();

    // Every kind of change is in the administrative stream, with its actor.
    let admin_login = "admin";
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/v1/auditoria?cadena=administracion&limite=7&cursor={c}"),
            None => "/api/v1/auditoria?cadena=administracion&limite=7".into(),
        };
        let page = app.get(&q, &app.admin_token).await.ok();
        all.extend(page["registros"].as_array().cloned().unwrap_or_default());
        pages += 1;
        match page["siguiente"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 100, "the cursor must end");
    }
    assert!(pages > 2, "several pages: {pages}");
    let mut keys: Vec<(String, i64)> = all
        .iter()
        .map(|r| (r["nodo"].as_str().unwrap_or("").to_owned(), r["seq"].as_i64().unwrap_or(0)))
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "no record twice across pages");
    let by = |accion: &str, actor: &str| {
        all.iter()
            .any(|r| r["registro"]["accion"] == accion && r["registro"]["actor"] == actor)
    };
    for accion in [
        "usuario.crear",
        "usuario.modificar",
        "usuario.contrasena",
        "entidad.crear",
        "sistema.crear",
        "servicio.crear",
    ] {
        assert!(by(accion, admin_login), "{accion} by {admin_login} missing");
    }
    let lider = app.get("/api/v1/auth/yo", w.t("lider")).await.ok();
    let lider_login = lider["usuario"].as_str().unwrap_or_default().to_owned();
    for accion in ["credencial.emitir", "credencial.rotar", "credencial.revocar"] {
        assert!(by(accion, &lider_login), "{accion} by {lider_login} missing");
    }
    assert!(
        all.iter().any(|r| r["registro"]["accion"] == "conector.versionar")
            && all.iter().any(|r| r["registro"]["accion"] == "servicio.descripcion"),
        "connector and description changes"
    );
    let change = all
        .iter()
        .find(|r| r["registro"]["accion"] == "usuario.modificar" && r["registro"]["sujeto"] == "auditada")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            &change["registro"]["detalle"]["antes"]["activo"],
            &change["registro"]["detalle"]["despues"]["activo"]
        ),
        (&json!(true), &json!(false)),
        "before and after: {change}"
    );
    // Never a secret value.
    let everything = serde_json::to_string(&all).unwrap_or_default();
    for s in [
        &secret,
        &generated,
        &a.key,
        &a.secret,
        &"otra-clave-larga-2026".to_owned(),
        &"$argon2".to_owned(),
    ] {
        assert!(
            !s.is_empty() && !everything.contains(s.as_str()),
            "a secret reached the audit log: {s}"
        );
    }

    // Who may search what: a Solicitante never sees administrative records; the searches are
    // themselves audited.
    let page = app.get("/api/v1/auditoria?cadena=administracion", w.t("sol")).await.ok();
    assert_eq!(page["registros"], json!([]), "{page}");
    let page = app
        .get(&format!("/api/v1/auditoria?solicitud={}", a.request_code), w.t("sol"))
        .await
        .ok();
    assert!(actions(&page).iter().any(|x| x == "solicitud.transicion"), "{page}");
    let sol = app.get("/api/v1/auth/yo", w.t("sol")).await.ok();
    let sol_login = sol["usuario"].as_str().unwrap_or_default().to_owned();
    let page = app
        .get(
            &format!("/api/v1/auditoria?cadena=administracion&actor={sol_login}"),
            &app.admin_token,
        )
        .await
        .ok();
    assert!(actions(&page).iter().any(|x| x == "auditoria.consultar"), "{page}");
    // Bad filters: a coded 422, never a 500.
    for (q, code) in [
        ("cadena=otra", "cadena_invalida"),
        ("desde=ayer", "fecha_invalida"),
        ("cursor=zz", "cursor_invalido"),
        ("limite=0", "limite_invalido"),
        ("sistema_id=no-uuid", "id_invalido"),
        ("estado=42", "estado_invalido"),
    ] {
        app.get(&format!("/api/v1/auditoria?{q}"), &app.admin_token).await.expect(422, code);
    }
    app.get("/api/v1/auditoria/llamadas/no-existe", &app.admin_token)
        .await
        .expect(404, "no_encontrado");
}

#[tokio::test]
async fn archiving_exports_verifies_then_prunes_a_prefix_that_still_verifies() {
    let (dir, _) = audited_dir(None).await;
    let d = dir.path().to_str().unwrap_or(".");
    let before: i64 = scalar(dir.path(), ALL_RECORDS).await.parse().unwrap_or(0);
    let archive = dir.path().join("archivo");
    let out = iop(&[
        "audit",
        "archive",
        "--data-dir",
        d,
        "--antes-de",
        "2100-01-01",
        "--dir",
        archive.to_str().unwrap_or(""),
    ])
    .output()
    .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("archivo verificado"), "{text}");
    let after: i64 = scalar(dir.path(), ALL_RECORDS).await.parse().unwrap_or(0);
    // Each chain keeps its last record, plus one administrative record per pruning.
    assert!(after < before && after <= 6, "before {before}, after {after}");
    let (code, text) = verify(&["--data-dir", d]);
    assert_eq!(code, 0, "what remains still verifies: {text}");
    let podas = scalar(
        dir.path(),
        "SELECT CAST(COUNT(*) AS TEXT) FROM audit_checkpoints WHERE kind = 'poda'",
    )
    .await;
    assert_eq!(podas, "3", "one signed poda checkpoint per chain");
    let pruned = scalar(
        dir.path(),
        "SELECT body FROM audit_log WHERE stream = 'administracion' ORDER BY seq DESC LIMIT 1",
    )
    .await;
    assert!(
        pruned.contains("auditoria.podar"),
        "the pruning is itself an audit record: {pruned}"
    );
    // The archive verifies with only the public key.
    let file = std::fs::read_dir(&archive)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .next()
        .map(|e| e.path())
        .unwrap_or_default();
    let out = iop(&["audit", "public-key", "--data-dir", d])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let pk = dir.path().join("clave.pub");
    std::fs::write(&pk, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = verify(&[
        "--exportacion",
        file.to_str().unwrap_or(""),
        "--clave-publica",
        pk.to_str().unwrap_or(""),
    ]);
    assert_eq!(code, 0, "{text}");
    // And after pruning, nothing else may be deleted.
    let url = format!("sqlite://{}", dir.path().join("iop.sqlite3").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(sqlx::raw_sql("DELETE FROM audit_log").execute(&mut c).await.is_err());
    assert!(sqlx::raw_sql("DELETE FROM call_log").execute(&mut c).await.is_err());
    c.close().await.unwrap_or_else(|e| panic!("{e}"));
}

/// A graceful stop imports the last call records and signs every chain's head: a stopped store
/// has no unsigned tail, so even the removal of its very last record is caught without a witness.
#[tokio::test]
async fn a_graceful_stop_leaves_no_unsigned_tail() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The periodic signer never runs during the test: the stop alone must sign.
    let cfg = dir.path().join("iop.toml");
    std::fs::write(&cfg, "puntos_de_control_s = 3600\npuntos_de_control_registros = 1000000000\n").unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("datos");
    let s = crate::cli::start(&data, &["--demo", "--config", cfg.to_str().unwrap_or("")], &[]);
    let c = reqwest::Client::new();
    crate::cli::wait_ok(&c, &format!("{}/readyz", s.gateway)).await;
    let key = s.demo_key();
    for i in 0..3 {
        let r = c
            .get(format!("{}/segip/persona/v2/personas/{i}", s.gateway))
            .header("apikey", &key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 200);
    }
    let (ok, _) = s.terminate();
    assert!(ok, "a clean exit on SIGTERM");
    let d = data.to_str().unwrap_or(".");
    let (code, text) = verify(&["--data-dir", d]);
    assert_eq!(code, 0, "{text}");
    for chain in ["llamadas", "procedimiento", "administracion"] {
        let last = scalar(
            &data,
            &match chain {
                "llamadas" => "SELECT CAST(MAX(seq) AS TEXT) FROM call_log".to_owned(),
                _ => format!("SELECT CAST(MAX(seq) AS TEXT) FROM audit_log WHERE stream = '{chain}'"),
            },
        )
        .await;
        let signed = scalar(
            &data,
            &format!("SELECT CAST(MAX(seq) AS TEXT) FROM audit_checkpoints WHERE stream = '{chain}'"),
        )
        .await;
        assert_eq!(last, signed, "{chain}: records after the last signed checkpoint");
    }
    // The three calls are in the log, imported before the stop signed.
    let calls = scalar(&data, "SELECT CAST(COUNT(*) AS TEXT) FROM call_log WHERE status = 200").await;
    assert!(calls.parse::<u32>().unwrap_or(0) >= 3, "{calls}");
    // An insider removes the newest record: caught, with no witness.
    tamper(&data, "DELETE FROM call_log WHERE seq = (SELECT MAX(seq) FROM call_log)").await;
    let (code, text) = verify(&["--data-dir", d]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("truncado"), "{text}");
}
