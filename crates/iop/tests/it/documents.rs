//! The procedure's documents over HTTP: the Nota Interna as a PDF, read back with poppler's
//! `pdftotext` (installed by the test command).

use crate::gateway::consume;
use crate::helpers::*;
use serde_json::json;

/// The PDF at `path` for this token (API bearer or web session cookie).
async fn pdf(app: &App, path: &str, bearer: Option<&str>, cookie: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut r = app.client.get(format!("{}{path}", app.base));
    if let Some(t) = bearer {
        r = r.bearer_auth(t);
    }
    if let Some(c) = cookie {
        r = r.header("cookie", format!("iop_sesion={c}"));
    }
    let res = r.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, res.bytes().await.unwrap_or_default().to_vec())
}

/// The text of a PDF, as poppler extracts it.
fn text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("nota.pdf");
    std::fs::write(&file, pdf).unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext: {e} (the test command installs poppler-utils)"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn the_nota_interna_is_a_numbered_pdf_with_what_step_4_did_its_approvals_and_no_secret() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // A consumption whose step 4 issued an API key and an HS256 secret, retrieved by the unit.
    let access = consume(&app, &w, &w.services[0], json!({"limite_por_segundo": 5, "rafaga": 10})).await;
    let code = access.request_code.clone();
    let path = format!("/api/v1/solicitudes/{code}/nota.pdf");
    // No note yet: a coded 404.
    app.get(&path, w.t("lider")).await.expect(404, "no_encontrado");
    app.act(&code, w.t("lider"), note()).await.ok();
    let numero = app.request(&code).await["nota"]["numero"].as_str().unwrap_or_default().to_owned();
    assert!(numero.starts_with("AGETIC/NI/UPAT-ADAS/"), "{numero}");

    let (status, kind, submitted) = pdf(&app, &path, Some(w.t("sol")), None).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(contains(&submitted, "pdfaid:part"), "declares PDF/A");
    let t = text(&submitted);
    for shown in [
        numero.as_str(),
        code.as_str(),
        "NOTA INTERNA",
        "Persona lider",
        "Se habilitó el acceso y se enviaron las credenciales.",
        "Rotar credenciales",
        "Trámites en línea (tramites)",
        "persona v1",
        "hasta 5 llamadas por segundo",
        "pendiente",
    ] {
        assert!(t.contains(shown), "{shown:?} in the note:\n{t}");
    }
    for secret in [access.key.as_str(), access.secret.as_str()] {
        assert!(
            !secret.is_empty() && !contains(&submitted, secret) && !t.contains(secret),
            "a secret in the note"
        );
    }
    assert!(
        !t.contains("Persona resp") && !t.contains("Persona jefe"),
        "nobody approved yet:\n{t}"
    );

    // Steps 6 and 7: the approvals, with who and when; the same state gives the same bytes.
    app.act(&code, w.t("resp"), act("aprobar_nota_adas")).await.ok();
    app.act(&code, w.t("jefe"), act("aprobar_nota_upat")).await.ok();
    let (_, _, approved) = pdf(&app, &path, Some(w.t("jefe")), None).await;
    let t = text(&approved);
    assert!(t.contains("Persona resp") && t.contains("Persona jefe"), "{t}");
    assert!(!t.contains("pendiente"), "{t}");
    assert_ne!(approved, submitted);
    let (_, _, again) = pdf(&app, &path, Some(w.t("sol")), None).await;
    assert_eq!(again, approved, "reproducible");
    // Kept as a test artifact, to look at.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/documentos");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("nota-interna-aprobada.pdf"), &approved).unwrap_or_else(|e| panic!("{e}"));

    // Only those who may see the request read its note.
    let (status, _, _) = pdf(&app, &path, Some(w.t("otro")), None).await;
    assert!(status == 403 || status == 404, "{status}");
    app.get(&path, w.t("otro")).await;

    // The web interface offers it on the request's page, with the session cookie.
    let page = app
        .client
        .get(format!("{}/solicitudes/{code}", app.base))
        .header("cookie", format!("iop_sesion={}", w.t("sol")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains(&format!("href=\"/solicitudes/{code}/nota.pdf\" data-nota-pdf")),
        "{page}"
    );
    let (status, kind, web) = pdf(&app, &format!("/solicitudes/{code}/nota.pdf"), None, Some(w.t("sol"))).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert_eq!(web, approved);
}

/// CITEs given from many notes submitted at once: no number twice, none skipped (the number is
/// taken in the transaction of step 5, so a transition that fails takes none).
#[tokio::test]
async fn cites_given_at_once_have_no_duplicate_and_no_gap() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(request_in(&app, &w, "habilitada").await);
    }
    // Each note twice at once: one of the two is refused (the state moved), and takes no number.
    let mut submitting = tokio::task::JoinSet::new();
    for id in ids.iter().chain(ids.iter()) {
        let (client, url, token) = (
            app.client.clone(),
            format!("{}/api/v1/solicitudes/{id}/transiciones", app.base),
            w.t("lider").to_owned(),
        );
        submitting.spawn(async move {
            let r = client.post(url).bearer_auth(token).json(&note()).send().await;
            r.map(|r| r.status().as_u16()).unwrap_or_else(|e| panic!("{e}"))
        });
    }
    let mut statuses = Vec::new();
    while let Some(s) = submitting.join_next().await {
        statuses.push(s.unwrap_or_else(|e| panic!("{e}")));
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 8, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "the late one is a conflict: {statuses:?}"
    );
    let mut numbers = Vec::new();
    for id in &ids {
        let n = app.request(id).await["nota"]["numero"].as_str().unwrap_or_default().to_owned();
        // AGETIC/NI/UPAT-ADAS/<seq>/<year>
        let seq: u32 = n.split('/').nth(3).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{n}"));
        numbers.push(seq);
    }
    numbers.sort_unstable();
    // The world's own publication request took the first number of the year.
    assert_eq!(numbers, (2..=9).collect::<Vec<u32>>());
}
