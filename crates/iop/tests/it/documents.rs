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

/// The request's page as this session sees it.
pub async fn request_page(app: &App, session: &str, code: &str) -> String {
    web_page(app, &format!("/solicitudes/{code}"), session).await.1
}

/// Keeps a document as a test artifact under `target/documentos/`, to look at.
fn keep(name: &str, bytes: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/documentos");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join(name), bytes).unwrap_or_else(|e| panic!("{e}"));
}

/// The text of a PDF, as poppler extracts it.
pub fn text(pdf: &[u8]) -> String {
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

/// The images of a PDF, as `WIDTHxHEIGHT`, as poppler's `pdfimages -list` lists them.
fn images(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("pdfimages: {e} (the test command installs poppler-utils)"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            Some(format!("{}x{}", cols.get(3)?, cols.get(4)?))
        })
        .collect()
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
    // The Administrador names UPAT's head: the note is addressed to her, by name and title.
    let upat = items(&app, "/api/v1/unidades?limite=100", &app.admin_token)
        .await
        .into_iter()
        .find(|u| u["sigla"] == "UPAT")
        .and_then(|u| u["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no UPAT"));
    let head = json!({"nombre": "Lic. Ana Pérez Quispe", "cargo": "Jefa de la Unidad de Producción y Actualización Tecnológica"});
    let put = |token: String, id: String, body: serde_json::Value| {
        let app = &app;
        async move {
            app.call(
                reqwest::Method::PUT,
                &format!("/api/v1/unidades/{id}/responsable"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    put(w.t("jefe").to_owned(), upat.clone(), head.clone())
        .await
        .expect(403, "rol_requerido");
    put(app.admin_token.clone(), upat.clone(), json!({"nombre": "x", "cargo": "Jefa"}))
        .await
        .expect(422, "nombre_invalido");
    put(app.admin_token.clone(), iop_domain::UnitId::generate().to_string(), head.clone())
        .await
        .expect(404, "no_encontrado");
    let named = put(app.admin_token.clone(), upat.clone(), head).await.ok();
    assert_eq!(named["responsable"]["nombre"], "Lic. Ana Pérez Quispe", "{named}");
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
    let flat = t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Lic. Ana Pérez Quispe") && flat.contains("Jefa de la Unidad de Producción y Actualización Tecnológica"),
        "A: UPAT's head by name and title:\n{t}"
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
    keep("nota-interna-aprobada.pdf", &approved);

    // Only those who may see the request read its note.
    let (status, _, _) = pdf(&app, &path, Some(w.t("otro")), None).await;
    assert!(status == 403 || status == 404, "{status}");
    app.get(&path, w.t("otro")).await;

    // The web interface offers it on the request's page, with the session cookie.
    let page = request_page(&app, w.t("sol"), &code).await;
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
async fn cites_given_at_once_have_no_duplicate_and_no_gap_in_the_register() {
    // The agency's own numbering (`formato_cite`).
    let app = spawn_app_with(|s| {
        s.control.cite_format = iop_domain::CiteFormat::parse("MJ/NI/{gestion}-{correlativo}").unwrap_or_else(|e| panic!("{e:?}"));
    })
    .await;
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
        // MJ/NI/<year>-<seq>
        assert!(n.starts_with("MJ/NI/"), "{n}");
        let seq: u32 = n.rsplit('-').next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{n}"));
        numbers.push(seq);
    }
    numbers.sort_unstable();
    // The world's own publication request took the first number of the year.
    assert_eq!(numbers, (2..=9).collect::<Vec<u32>>());

    // The register lists every number of the year, in the order given, none annulled.
    let reg = app.get("/api/v1/notas/cites", w.t("jefe")).await.ok();
    let year = reg["gestion"].as_i64().unwrap_or_default();
    let listed: Vec<String> = reg["cites"]
        .as_array()
        .map(|a| a.iter().map(|c| c["cite"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default();
    let expected: Vec<String> = (1..=9).map(|n| format!("MJ/NI/{year}-{n:04}")).collect();
    assert_eq!(listed, expected, "{reg}");
    assert!(
        reg["cites"]
            .as_array()
            .is_some_and(|a| a.iter().all(|c| c["anulado"] == false && c["autor"] == "Persona lider")),
        "{reg}"
    );
    let other = app
        .get(&format!("/api/v1/notas/cites?gestion={}", year - 1), w.t("resp"))
        .await
        .ok();
    assert_eq!(other["cites"].as_array().map(Vec::len), Some(0), "{other}");
    app.get("/api/v1/notas/cites?gestion=dos-mil", w.t("jefe"))
        .await
        .expect(422, "gestion_invalida");
    // It is the agency's register: not the requesting units'.
    app.get("/api/v1/notas/cites", w.t("sol")).await.expect(403, "rol_requerido");

    // The web interface offers it to the agency's staff, with the same numbers.
    let web = |session: String, path: &'static str| {
        app.client
            .get(format!("{}{path}", app.base))
            .header("cookie", format!("iop_sesion={session}"))
            .send()
    };
    let res = web(w.t("jefe").to_owned(), "/notas/cites").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap_or_default();
    assert!(
        page.contains("data-nav-cites") && page.contains("9 números asignados, ninguno anulado"),
        "{page}"
    );
    for n in &expected {
        assert!(page.contains(&format!("data-cite=\"{n}\"")), "{n} in:\n{page}");
    }
    let res = web(w.t("sol").to_owned(), "/notas/cites").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status().as_u16(), 403);
    let page = web(w.t("sol").to_owned(), "/bandeja")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(!page.contains("data-nav-cites"), "{page}");
    let res = web(w.t("jefe").to_owned(), "/notas/cites?gestion=abc")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap_or_default().contains("año de cuatro cifras"));
}

/// The public verification listener's address.
pub fn public_base(app: &App) -> String {
    format!(
        "http://{}",
        app._running
            .as_ref()
            .and_then(|r| r.public_addr)
            .unwrap_or_else(|| panic!("no public listener"))
    )
}

/// The public listener's page for a note's code, and what a check on it says.
async fn public_page(app: &App, public: &str, path: &str) -> (u16, String) {
    let res = app
        .client
        .get(format!("{public}{path}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

async fn check_hash(app: &App, public: &str, code: &str, sha: &str) -> (u16, String) {
    let res = app
        .client
        .post(format!("{public}/v/{code}"))
        .form(&[("sha256", sha), ("idioma", "es")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

async fn check_file(app: &App, public: &str, code: &str, bytes: Vec<u8>) -> (u16, String) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("copia.pdf");
    let res = app
        .client
        .post(format!("{public}/v/{code}/archivo"))
        .multipart(reqwest::multipart::Form::new().part("archivo", part))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

/// What the page says the note's status is.
fn status_line(page: &str) -> String {
    let at = page.find("<dt>Estado</dt><dd>").unwrap_or_else(|| panic!("no status in:\n{page}"));
    let rest = page.get(at + "<dt>Estado</dt><dd>".len()..).unwrap_or_default();
    rest.get(..rest.find("</dd>").unwrap_or(0)).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_public_verification_page_follows_the_note_version_by_version_and_checks_copies() {
    let app = spawn_app_with(|s| {
        s.public_addr = Some("127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")));
        s.control.verifications_per_minute = 20;
        s.control.max_verification_bytes = 64 * 1024;
    })
    .await;
    let public = public_base(&app);
    let w = world(&app).await;
    let id = request_in(&app, &w, "habilitada").await;
    app.act(&id, w.t("lider"), note()).await.ok();
    let req = app.request(&id).await;
    let (code, cite) = (
        req["codigo"].as_str().unwrap_or_default().to_owned(),
        req["nota"]["numero"].as_str().unwrap_or_default().to_owned(),
    );
    let v1_sha = req["nota"]["sha256"].as_str().unwrap_or_default().to_owned();
    let note_path = format!("/api/v1/solicitudes/{code}/nota.pdf");

    // The PDF carries the page's address (in its QR code and in words) and the short code.
    let (_, _, v1_pdf) = pdf(&app, &note_path, Some(w.t("lider")), None).await;
    let t = text(&v1_pdf);
    let at = t
        .find(&format!("{public}/v/"))
        .unwrap_or_else(|| panic!("no verification address in:\n{t}"));
    let raw: String = t.get(at + public.len() + 3..).unwrap_or_default().chars().take(20).collect();
    assert!(raw.len() == 20 && raw.bytes().all(|b| b.is_ascii_hexdigit()), "{raw}");
    let printed = raw
        .to_ascii_uppercase()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-");
    assert!(t.contains(&printed), "the short code {printed} in:\n{t}");
    assert!(
        !cite.contains(&raw) && !code.contains(&raw),
        "the code is not derived from the CITE"
    );
    let v1_pdf_sha = iop_store::blobs::sha256_hex(&v1_pdf);

    // Submitted: its page, without login, shows exactly what verification needs.
    let (status, page) = public_page(&app, &public, &format!("/v/{raw}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(status_line(&page), "Elaborada; espera la aprobación de ADAS");
    for shown in [
        cite.as_str(),
        code.as_str(),
        v1_sha.as_str(),
        v1_pdf_sha.as_str(),
        printed.as_str(),
        "data-sin-aprobaciones",
    ] {
        assert!(page.contains(shown), "{shown:?} in:\n{page}");
    }
    for hidden in ["Se habilitó el acceso", "Rotar credenciales", "Persona lider", "Trámites en línea"] {
        assert!(!page.contains(hidden), "{hidden:?} is not the public's:\n{page}");
    }
    // The printed form of the code works too (the form's answer).
    let (status, _) = public_page(&app, &public, &format!("/v?codigo={printed}")).await;
    assert_eq!(status, 200);

    // A hash or a file is checked against every version and every PDF kept.
    let (status, page) = check_hash(&app, &public, &raw, &v1_pdf_sha).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("data-resultado=\"coincide\"") && page.contains("es el PDF de la versión 1"),
        "{page}"
    );
    let (_, page) = check_hash(&app, &public, &raw, &v1_sha.to_uppercase()).await;
    assert!(page.contains("es el contenido de la versión 1"), "{page}");
    let (status, page) = check_hash(&app, &public, &raw, &"0".repeat(64)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("data-resultado=\"no-coincide\"") && page.contains("No coincide con ninguna versión"),
        "{page}"
    );
    let (status, page) = check_hash(&app, &public, &raw, "no es una huella").await;
    assert_eq!(status, 422);
    assert!(page.contains("64 dígitos hexadecimales"), "{page}");
    let (status, page) = check_file(&app, &public, &raw, v1_pdf.clone()).await;
    assert_eq!(status, 200);
    assert!(page.contains("data-resultado=\"coincide\""), "{page}");
    let mut altered = v1_pdf.clone();
    altered.extend_from_slice(b"\n% una linea mas\n");
    let (_, page) = check_file(&app, &public, &raw, altered).await;
    assert!(page.contains("data-resultado=\"no-coincide\""), "{page}");
    let (status, page) = check_file(&app, &public, &raw, vec![b'x'; 100 * 1024]).await;
    assert_eq!(status, 413, "over the size limit");
    assert!(page.contains("supera el tamaño"), "{page}");

    // Approved by ADAS, then returned by UPAT to the leader: in revision, approvals undone.
    app.act(&id, w.t("resp"), act("aprobar_nota_adas")).await.ok();
    let (_, page) = public_page(&app, &public, &format!("/v/{raw}")).await;
    assert_eq!(status_line(&page), "Aprobada por ADAS; espera la aprobación de UPAT");
    assert!(page.contains("data-aprobaciones") && page.contains("Persona resp"), "{page}");
    app.act(
        &id,
        w.t("jefe"),
        json!({"accion": "observar", "comentario": "Precisar la vigencia", "devolver_a": "lider_adas"}),
    )
    .await
    .ok();
    let (_, page) = public_page(&app, &public, &format!("/v/{raw}")).await;
    assert_eq!(status_line(&page), "En revisión (devuelta para corregirla)");

    // The revision is version 2: same number, same code, approvals start again.
    let mut v2 = note();
    v2["nota"]["cuerpo"] = json!("Se habilitó el acceso hasta fin de año.");
    app.act(&id, w.t("lider"), v2).await.ok();
    let req = app.request(&id).await;
    assert_eq!(
        (req["nota"]["numero"].as_str(), req["nota"]["revision"].as_i64()),
        (Some(cite.as_str()), Some(2))
    );
    let v2_sha = req["nota"]["sha256"].as_str().unwrap_or_default().to_owned();
    let (_, page) = public_page(&app, &public, &format!("/v/{raw}")).await;
    assert_eq!(status_line(&page), "Elaborada; espera la aprobación de ADAS");
    assert!(page.contains("data-sin-aprobaciones"), "{page}");
    assert!(
        page.contains(&v1_sha) && page.contains(&v2_sha) && page.contains("Versión 2: contenido"),
        "{page}"
    );
    app.act(&id, w.t("resp"), act("aprobar_nota_adas")).await.ok();
    app.act(&id, w.t("jefe"), act("aprobar_nota_upat")).await.ok();
    let (_, page) = public_page(&app, &public, &format!("/v/{raw}")).await;
    assert_eq!(status_line(&page), "Aprobada; espera la recepción de la unidad solicitante");
    assert!(page.contains("Persona resp") && page.contains("Persona jefe"), "{page}");
    app.act(&id, w.t("sol"), act("recibir")).await.ok();
    let (_, page) = public_page(&app, &public, &format!("/v/{raw}")).await;
    assert_eq!(status_line(&page), "Aprobada y recibida: vigente");
    // The approved PDF was kept when UPAT approved: its hash is on the page, and matches.
    let (_, _, approved) = pdf(&app, &note_path, Some(w.t("sol")), None).await;
    let approved_sha = iop_store::blobs::sha256_hex(&approved);
    keep("nota-interna-verificable.pdf", &approved);
    assert!(page.contains(&approved_sha), "{page}");
    let (_, page) = check_file(&app, &public, &raw, approved).await;
    assert!(
        page.contains("es el PDF de la versión 2 de esta nota (tras la aprobación de UPAT)"),
        "{page}"
    );
    // Each kept PDF is in the audit log with its hash.
    let audit = app
        .get(
            &format!("/api/v1/auditoria?cadena=procedimiento&solicitud={code}&limite=200"),
            &app.admin_token,
        )
        .await
        .ok()
        .to_string();
    assert!(audit.contains(&approved_sha) && audit.contains(&v1_pdf_sha), "{audit}");

    // English on request.
    let (_, page) = public_page(&app, &public, &format!("/v/{raw}?idioma=en")).await;
    assert!(page.contains("Approved and received: in force"), "{page}");

    // Nothing but verification: the API, the pages, the documents are not here.
    for path in [
        "/api/v1/solicitudes".to_owned(),
        "/bandeja".to_owned(),
        "/ingresar".to_owned(),
        "/healthz".to_owned(),
        format!("/solicitudes/{code}/nota.pdf"),
        format!("/api/v1/solicitudes/{code}/nota.pdf"),
        "/v/00000000000000000000".to_owned(),
        "/v/no-es-un-codigo".to_owned(),
    ] {
        let (status, page) = public_page(&app, &public, &path).await;
        assert_eq!(status, 404, "{path}: {page}");
    }

    // Checks are limited per address: the 21st in a minute is refused.
    let mut refused = None;
    for _ in 0..20 {
        let (status, page) = check_hash(&app, &public, &raw, &v2_sha).await;
        if status == 429 {
            refused = Some(page);
            break;
        }
    }
    let page = refused.unwrap_or_else(|| panic!("no limit"));
    assert!(page.contains("demasiadas comprobaciones"), "{page}");
}

#[tokio::test]
async fn the_hoja_de_ruta_is_a_pdf_of_every_hand_over() {
    // With the agency's logo (`logo`), at the head of the page.
    let png = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../iop-documents/testdata/logo.png"))
        .unwrap_or_else(|e| panic!("{e}"));
    let app = spawn_app_with(|s| s.control.logo = Some(iop_app::Logo::parse(png).unwrap_or_else(|e| panic!("{e}")))).await;
    let w = world(&app).await;
    let id = request_in(&app, &w, "habilitada").await;
    let code = app.request(&id).await["codigo"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/v1/solicitudes/{code}/hoja-de-ruta.pdf");
    let (status, kind, slip) = pdf(&app, &path, Some(w.t("sol")), None).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(contains(&slip, "pdfaid:part"), "declares PDF/A");
    assert_eq!(images(&slip), vec!["4x4".to_owned()], "the logo, and only it");
    let t = text(&slip).split_whitespace().collect::<Vec<_>>().join(" ");
    let history = app.get(&format!("/api/v1/solicitudes/{id}/historial"), w.t("sol")).await.ok();
    let n = history.as_array().map_or(0, Vec::len);
    assert!(n >= 4, "{history}");
    for shown in [
        "HOJA DE RUTA",
        code.as_str(),
        "Presentar",
        "Derivar a ADAS",
        "Asignar a un Líder",
        "Habilitar",
        "Persona jefe",
        "Persona resp",
        "Persona lider",
        "Jefe de UPAT",
        "Habilitada",
    ] {
        assert!(t.contains(shown), "{shown:?} in:\n{t}");
    }
    let (status, _, _) = pdf(&app, &path, Some(w.t("otro")), None).await;
    assert!(status == 403 || status == 404, "{status}");
    let page = request_page(&app, w.t("sol"), &code).await;
    assert!(
        page.contains(&format!("href=\"/solicitudes/{code}/hoja-de-ruta.pdf\" data-hoja-de-ruta")),
        "{page}"
    );
    let (status, kind, web) = pdf(&app, &format!("/solicitudes/{code}/hoja-de-ruta.pdf"), None, Some(w.t("sol"))).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert_eq!(web, slip, "the same flow gives the same bytes");
    keep("hoja-de-ruta.pdf", &slip);
}

/// Operation ids of a description.
fn operation_ids(doc: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
        .filter_map(|item| item.as_object())
        .flat_map(|item| item.values())
        .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_access_documentation_and_the_openapi_of_a_grant_show_only_what_was_granted() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = crate::upstream::start("uno").await;
    let service = crate::gateway::publish(&app, &w, &format!("http://{}/base", up.addr), 1000).await;
    let a = consume(&app, &w, &service, json!({"operaciones": ["consultar-persona", "eco"]})).await;
    let code = a.request_code.clone();
    let path = format!("/api/v1/solicitudes/{code}/openapi/{service}");
    let r = app.get(&path, w.t("sol")).await;
    let disposition = r
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(disposition.contains("openapi-consulta-v3-"), "{disposition}");
    let doc = r.ok();
    assert_eq!(operation_ids(&doc), ["consultar-persona", "eco"], "{doc}");
    assert!(doc["paths"].get("/lento").is_none() && doc["paths"].get("/certificados/{id}").is_none());
    assert_eq!(doc["servers"][0]["url"], format!("{}/segip/consulta/v3", app.gateway));
    assert_eq!(doc["servers"][1]["url"], format!("{}/fake/segip/consulta/v3", app.gateway));
    assert_eq!(doc["components"]["securitySchemes"]["apikey"]["name"], "apikey");
    assert_eq!(doc["security"], json!([{"apikey": []}, {"jwt": []}]));
    assert_eq!(doc["x-iop-acceso"]["solicitud"], code.as_str());
    for secret in [a.key.as_str(), a.secret.as_str(), "secreto-del-origen"] {
        assert!(!doc.to_string().contains(secret), "a secret in the document");
    }
    // The servers are real: the key the unit received calls a granted operation through the
    // first, and the sandbox answers from the description's example through the second.
    let prod = doc["servers"][0]["url"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches(app.gateway.as_str())
        .to_owned();
    app.gw_until(&format!("{prod}/personas/123"), &[("apikey", a.key.as_str())], 200)
        .await;

    // It validates as OpenAPI 3 (openapi-spec-validator, installed by the test command).
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valido')",
        ])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("valido"),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Only for a service the request was granted, and only for those who may see the request.
    app.get(&format!("/api/v1/solicitudes/{code}/openapi/{}", w.services[0]), w.t("sol"))
        .await
        .expect(404, "no_encontrado");
    let r = app.get(&path, w.t("otro")).await;
    assert!(r.status == 403 || r.status == 404, "{}", r.status);
    // The request's page links it.
    let page = request_page(&app, w.t("sol"), &code).await;
    let href = format!("/solicitudes/{code}/openapi/{service}");
    assert!(page.contains(&format!("href=\"{href}\" data-openapi")), "{page}");
    let web: serde_json::Value = app
        .client
        .get(format!("{}{href}", app.base))
        .header("cookie", format!("iop_sesion={}", w.t("sol")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(web, doc);

    // The access documentation, as a PDF: what was granted, how to call it, never a secret.
    assert!(
        page.contains(&format!("href=\"/solicitudes/{code}/acceso.pdf\" data-acceso-pdf")),
        "{page}"
    );
    let (status, kind, access) = pdf(&app, &format!("/api/v1/solicitudes/{code}/acceso.pdf"), Some(w.t("sol")), None).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(contains(&access, "pdfaid:part"), "declares PDF/A");
    let t = text(&access).split_whitespace().collect::<Vec<_>>().join(" ");
    for shown in [
        "DOCUMENTACIÓN DE ACCESO",
        "Trámites en línea (tramites)",
        "consulta v3",
        "consultar-persona",
        "/personas/{ci}",
        "apikey: <SU_CLAVE_DE_API>",
        "Authorization: Bearer <JWT>",
        &format!("{}/segip/consulta/v3", app.gateway),
        &format!("{}/fake/segip/consulta/v3", app.gateway),
        "sin_habilitacion",
        "limite_excedido",
        code.as_str(),
    ] {
        assert!(t.contains(shown), "{shown:?} in:\n{t}");
    }
    assert!(
        !t.contains("/lento") && !t.contains("/certificados/"),
        "only what was granted:\n{t}"
    );
    for secret in [a.key.as_str(), a.secret.as_str(), "secreto-del-origen"] {
        assert!(!t.contains(secret) && !contains(&access, secret), "a secret in the documentation");
    }
    let (status, _, web) = pdf(&app, &format!("/solicitudes/{code}/acceso.pdf"), None, Some(w.t("sol"))).await;
    assert_eq!(status, 200);
    assert_eq!(web, access, "the same grant gives the same bytes");
    keep("documentacion-de-acceso.pdf", &access);

    // The same documentation as a page, linked from the request's.
    assert!(
        page.contains(&format!("href=\"/solicitudes/{code}/acceso\" data-acceso>")),
        "{page}"
    );
    let (_, html) = web_page(&app, &format!("/solicitudes/{code}/acceso"), w.t("sol")).await;
    for shown in [
        "Documentación de acceso",
        "Trámites en línea (tramites)",
        "data-operacion=\"consultar-persona\"",
        "/personas/{ci}",
        "apikey: &lt;SU_CLAVE_DE_API&gt;",
        &format!("{}/segip/consulta/v3", app.gateway),
        &format!("{}/fake/segip/consulta/v3", app.gateway),
        "data-error=\"limite_excedido\"",
    ] {
        assert!(html.contains(shown), "{shown:?} in:\n{html}");
    }
    assert!(
        !html.contains("/lento") && !html.contains("/certificados/"),
        "only what was granted:\n{html}"
    );
    for secret in [a.key.as_str(), a.secret.as_str(), "secreto-del-origen"] {
        assert!(!html.contains(secret), "a secret in the page");
    }
    let (status, _) = web_page(&app, &format!("/solicitudes/{code}/acceso"), w.t("otro")).await;
    assert!(matches!(status, 403 | 404), "{status}");
}

/// Signs `pdf` as `name` would with the national signature client: a PAdES signature added in an
/// incremental update, by a throw-away self-signed certificate (`datos/firmar.py`, pyHanko; the
/// test command installs it).
pub fn sign(pdf: &[u8], name: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (src, dst) = (dir.path().join("nota.pdf"), dir.path().join("firmada.pdf"));
    std::fs::write(&src, pdf).unwrap_or_else(|e| panic!("{e}"));
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/datos/firmar.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&src)
        .arg(&dst)
        .arg(name)
        .output()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(out.status.success(), "firmar.py: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(&dst).unwrap_or_else(|e| panic!("{e}"))
}

/// Files `bytes` as the signed note through the API.
async fn file_signed(app: &App, code: &str, token: &str, bytes: Vec<u8>, mime: &str) -> Resp {
    let res = app
        .client
        .post(format!("{}/api/v1/solicitudes/{code}/nota/firmada", app.base))
        .bearer_auth(token)
        .header("content-type", mime)
        .body(bytes)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    App::read(res).await
}

#[tokio::test]
async fn the_signed_note_is_filed_by_the_officials_and_verified_by_anyone() {
    let app = spawn_app_with(|s| {
        s.public_addr = Some("127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")));
        s.control.max_upload_bytes = 512 * 1024;
    })
    .await;
    let public = public_base(&app);
    let w = world(&app).await;
    let id = request_in(&app, &w, "habilitada").await;
    app.act(&id, w.t("lider"), note()).await.ok();
    let code = app.request(&id).await["codigo"].as_str().unwrap_or_default().to_owned();
    let note_path = format!("/api/v1/solicitudes/{code}/nota.pdf");
    let (_, _, draft) = pdf(&app, &note_path, Some(w.t("lider")), None).await;

    // Before UPAT approves it, no signed copy is filed: a signed draft is not the note.
    file_signed(&app, &code, w.t("jefe"), sign(&draft, "Persona Jefe"), "application/pdf")
        .await
        .expect(409, "nota_sin_aprobar");
    app.act(&id, w.t("resp"), act("aprobar_nota_adas")).await.ok();
    app.act(&id, w.t("jefe"), act("aprobar_nota_upat")).await.ok();
    let (_, _, approved) = pdf(&app, &note_path, Some(w.t("jefe")), None).await;

    // What is not a signed PDF is named, and nothing is kept.
    file_signed(&app, &code, w.t("jefe"), b"no soy un pdf".to_vec(), "application/pdf")
        .await
        .expect(415, "no_es_pdf");
    let r = file_signed(&app, &code, w.t("jefe"), approved.clone(), "application/pdf").await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "pdf_sin_firma"), "{:?}", r.body);
    assert!(r.body["mensaje"].as_str().unwrap_or_default().contains("firma"), "{:?}", r.body);
    let mut big = sign(&approved, "Persona Jefe");
    big.resize(600 * 1024, b' ');
    let r = file_signed(&app, &code, w.t("jefe"), big, "application/pdf").await;
    assert_eq!(r.status.as_u16(), 413, "{:?}", r.body);
    // Only the officials who handled the note file it: not the requesting unit, not another.
    let signed = sign(&approved, "Ana Pérez Quispe");
    for who in ["sol", "otro"] {
        let r = file_signed(&app, &code, w.t(who), signed.clone(), "application/pdf").await;
        assert!(matches!(r.status.as_u16(), 403 | 404), "{who}: {:?}", r.body);
    }
    let list = app.get(&format!("/api/v1/solicitudes/{code}/nota/firmadas"), w.t("sol")).await.ok();
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    app.get(&format!("/api/v1/solicitudes/{code}/nota/firmada"), w.t("sol"))
        .await
        .expect(404, "no_encontrado");

    // The Jefe de UPAT files it: what its signature says is kept with it.
    let r = file_signed(&app, &code, w.t("jefe"), signed.clone(), "application/pdf").await;
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
    let filed = r.body;
    let sha = iop_store::blobs::sha256_hex(&signed);
    assert_eq!(filed["sha256"].as_str(), Some(sha.as_str()), "{filed}");
    assert!(
        filed["firmante"].as_str().unwrap_or_default().contains("CN=Ana Pérez Quispe"),
        "{filed}"
    );
    assert_eq!(
        (filed["resumen_coincide"].as_bool(), filed["cubre_todo"].as_bool()),
        (Some(true), Some(true)),
        "{filed}"
    );
    assert_eq!((filed["n"].as_i64(), filed["revision"].as_i64()), (Some(1), Some(1)), "{filed}");
    assert_eq!(filed["archivada_por"].as_str(), Some("Persona jefe"), "{filed}");
    // The requesting unit reads it back, byte for byte.
    let (status, kind, back) = pdf(&app, &format!("/api/v1/solicitudes/{code}/nota/firmada"), Some(w.t("sol")), None).await;
    assert_eq!((status, kind.as_str(), back == signed), (200, "application/pdf", true));
    let list = app.get(&format!("/api/v1/solicitudes/{code}/nota/firmadas"), w.t("sol")).await.ok();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    keep("nota-interna-firmada.pdf", &signed);

    // A copy changed after signing is kept as it is, and says so.
    let mut tampered = signed.clone();
    let at = tampered.windows(7).position(|w| w == b"/Type /").unwrap_or(20) + 1;
    if let Some(b) = tampered.get_mut(at) {
        *b = b'X';
    }
    let r = file_signed(&app, &code, w.t("resp"), tampered, "application/pdf").await;
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
    assert_eq!(r.body["resumen_coincide"].as_bool(), Some(false), "{:?}", r.body);
    assert_eq!(r.body["n"].as_i64(), Some(2));
    let page = request_page(&app, w.t("sol"), &code).await;
    assert!(page.contains("NO coincide con el contenido"), "{page}");
    // So is a copy with something added after the signature.
    let mut appended = signed.clone();
    appended.extend_from_slice(b"\n% anadido despues de firmar\n");
    let r = file_signed(&app, &code, w.t("lider"), appended, "application/pdf").await;
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
    assert_eq!(
        (r.body["resumen_coincide"].as_bool(), r.body["cubre_todo"].as_bool()),
        (Some(true), Some(false)),
        "{:?}",
        r.body
    );
    let page = request_page(&app, w.t("sol"), &code).await;
    assert!(page.contains("contenido añadido después de la firma"), "{page}");
    // The definitive copy is the last filed; filing it again puts the good one back on top.
    let r = file_signed(&app, &code, w.t("jefe"), signed.clone(), "application/pdf").await;
    assert_eq!(r.body["n"].as_i64(), Some(4), "{:?}", r.body);
    let page = request_page(&app, w.t("sol"), &code).await;
    assert!(page.contains("El resumen firmado coincide con el contenido del archivo."), "{page}");

    // Every filing is in the audit log with its hash and its signer.
    let audit = app
        .get(
            &format!("/api/v1/auditoria?cadena=procedimiento&solicitud={code}&limite=200"),
            &app.admin_token,
        )
        .await
        .ok()
        .to_string();
    assert!(
        audit.contains("nota.firmada") && audit.contains(&sha) && audit.contains("Ana Pérez Quispe"),
        "{audit}"
    );

    // The public page shows the signed copy, and a check of its hash says what it is.
    let (_, _, with_qr) = pdf(&app, &note_path, Some(w.t("sol")), None).await;
    let t = text(&with_qr);
    let at = t
        .find(&format!("{public}/v/"))
        .unwrap_or_else(|| panic!("no verification address in:\n{t}"));
    let raw: String = t.get(at + public.len() + 3..).unwrap_or_default().chars().take(20).collect();
    let (status, page) = public_page(&app, &public, &format!("/v/{raw}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("data-firmada") && page.contains("Ana Pérez Quispe") && page.contains(&sha),
        "{page}"
    );
    let (_, page) = check_hash(&app, &public, &raw, &sha).await;
    assert!(
        page.contains("data-resultado=\"coincide\"") && page.contains("copia firmada"),
        "{page}"
    );
    let (_, page) = check_file(&app, &public, &raw, signed.clone()).await;
    assert!(page.contains("copia firmada"), "{page}");

    // The request's page shows it to everyone who sees the request; only officials get the form.
    let page = request_page(&app, w.t("sol"), &code).await;
    assert!(page.contains("data-firmada") && page.contains("data-nota-firmada"), "{page}");
    assert!(!page.contains("data-archivar-firmada"), "{page}");
    let page = request_page(&app, w.t("lider"), &code).await;
    assert!(page.contains("data-archivar-firmada"), "{page}");
    // Filing through the page: the form's token, the file, back to the note.
    let csrf_at = page.find("name=\"_csrf\" value=\"").unwrap_or_else(|| panic!("no csrf in {page}")) + 20;
    let csrf = page
        .get(csrf_at..)
        .unwrap_or_default()
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let web_post = |bytes: Vec<u8>, csrf: String| {
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf)
            .part("archivo", reqwest::multipart::Part::bytes(bytes).file_name("firmada.pdf"));
        browser
            .post(format!("{}/solicitudes/{code}/nota/firmada", app.base))
            .header("cookie", format!("iop_sesion={}", w.t("lider")))
            .multipart(form)
            .send()
    };
    let res = web_post(approved.clone(), csrf.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status().as_u16(), 422);
    let body = res.text().await.unwrap_or_default();
    assert!(body.contains("no lleva una firma digital"), "{body}");
    let res = web_post(signed.clone(), "otro".into()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status().as_u16(), 403, "without the form's token");
    let res = web_post(signed.clone(), csrf).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status().as_u16(), 303);
    let to = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(to, format!("/solicitudes/{code}?preparado=firmada#nota"));
    let list = app.get(&format!("/api/v1/solicitudes/{code}/nota/firmadas"), w.t("sol")).await.ok();
    assert_eq!(list.as_array().map(Vec::len), Some(5), "{list}");
    let (status, _, web) = pdf(&app, &format!("/solicitudes/{code}/nota/firmada"), None, Some(w.t("sol"))).await;
    assert_eq!((status, web == signed), (200, true));
}
