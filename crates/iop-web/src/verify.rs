//! The public verification pages, for the optional public listener (`--public-addr`): no login, no
//! cookie, and nothing but verification — a form for the short code, a note's page by its code
//! (`/v/{code}`, what its QR code points to), and checking a hash or a file against it. Every other
//! path is 404. The language is Spanish unless `?idioma=en` (or the form's `idioma`) asks.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use iop_app::AppState;
use iop_app::error::AppError;
use iop_app::verification::{self, Match, Presented, Verified};
use iop_i18n::Lang;
use serde::Deserialize;

use crate::pages::{render, status_of};
use crate::session::ClientIp;
use crate::texts::Tr;

/// The public listener's pages.
pub fn public_router(state: AppState) -> Router {
    let max = state.config.max_verification_bytes + 64 * 1024;
    Router::new()
        .route("/", get(start))
        .route("/v", get(by_query))
        .route("/v/{code}", get(note).post(check_hash))
        .route("/v/{code}/archivo", axum::routing::post(check_file))
        .route("/estatico/estilo.css", get(crate::pages::stylesheet))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(max))
        .layer(axum::middleware::from_fn(crate::security_headers))
        .with_state(state)
}

#[derive(Deserialize, Default)]
pub struct Lq {
    idioma: Option<String>,
    codigo: Option<String>,
}

fn tr_of(idioma: Option<&str>) -> Tr {
    Tr {
        lang: if idioma == Some("en") { Lang::En } else { Lang::Es },
    }
}

/// One line of the page: a label and its value.
struct Row {
    label: String,
    value: String,
}

struct ApprovalRow {
    step: u8,
    role: String,
    name: String,
    at: String,
}

struct HashRow {
    what: String,
    at: String,
    sha256: String,
}

/// A copy signed outside the platform, worded.
struct SignedRow {
    subject: String,
    issuer: String,
    validity: String,
    digest: String,
    digest_ok: bool,
}

/// What a check found, worded.
struct Outcome {
    ok: bool,
    text: String,
    sha256: String,
}

#[derive(Template)]
#[template(path = "verificar.html")]
struct VerifyPage {
    tr: Tr,
    /// The code (display form) when a note is shown.
    code: String,
    /// The same, as its address writes it.
    raw: String,
    /// The language switch's link.
    other_href: String,
    rows: Vec<Row>,
    approvals: Vec<ApprovalRow>,
    hashes: Vec<HashRow>,
    signed: Vec<SignedRow>,
    outcome: Option<Outcome>,
    error: Option<String>,
}

impl VerifyPage {
    fn empty(tr: Tr, here: &str) -> Self {
        let sep = if here.contains('?') { '&' } else { '?' };
        VerifyPage {
            tr,
            code: String::new(),
            raw: String::new(),
            other_href: format!("{here}{sep}idioma={}", tr.other()),
            rows: Vec::new(),
            approvals: Vec::new(),
            hashes: Vec::new(),
            signed: Vec::new(),
            outcome: None,
            error: None,
        }
    }

    fn of(tr: Tr, v: &Verified) -> Self {
        let raw = v.code.replace('-', "").to_ascii_lowercase();
        let mut page = Self::empty(tr, &format!("/v/{raw}"));
        page.code = v.code.clone();
        page.raw = raw;
        page.rows = vec![
            Row {
                label: tr.t("verificar-cite"),
                value: v.cite.clone(),
            },
            Row {
                label: tr.t("verificar-fecha"),
                value: tr.when(v.date),
            },
            Row {
                label: tr.t("verificar-asunto"),
                value: v.subject.clone(),
            },
            Row {
                label: tr.t("verificar-estado"),
                value: tr.of("verificacion-estado-", v.status.as_str()),
            },
        ];
        page.approvals = v
            .approvals
            .iter()
            .map(|a| ApprovalRow {
                step: a.step,
                role: match &a.acting_for {
                    Some(replaced) => tr.ta(
                        "verificar-suplencia",
                        iop_i18n::args![rol = &tr.of("rol-", a.role.as_str()), suplido = replaced],
                    ),
                    None => tr.of("rol-", a.role.as_str()),
                },
                name: a.name.clone(),
                at: tr.when(a.at),
            })
            .collect();
        for ver in &v.versions {
            page.hashes.push(HashRow {
                what: tr.ta("verificar-version-contenido", iop_i18n::args![revision = &ver.revision]),
                at: tr.when(ver.submitted_at),
                sha256: ver.sha256.clone(),
            });
            for p in &ver.pdfs {
                page.hashes.push(HashRow {
                    what: tr.ta(
                        "verificar-version-pdf",
                        iop_i18n::args![revision = &ver.revision, etapa = &tr.of("verificacion-etapa-", &p.stage)],
                    ),
                    at: tr.when(p.at),
                    sha256: p.sha256.clone(),
                });
            }
        }
        for sg in &v.signed {
            page.hashes.push(HashRow {
                what: tr.ta("verificar-version-firmada", iop_i18n::args![revision = &sg.revision]),
                at: tr.when(sg.at),
                sha256: sg.sha256.clone(),
            });
            page.signed.push(SignedRow {
                subject: sg.subject.clone(),
                issuer: sg.issuer.clone(),
                validity: tr.ta(
                    "verificar-firma-vigencia-valor",
                    iop_i18n::args![desde = &tr.when(sg.not_before), hasta = &tr.when(sg.not_after)],
                ),
                digest: tr.t(integrity_key(sg.digest_matches, sg.covers_whole_file)),
                digest_ok: sg.digest_matches && sg.covers_whole_file,
            });
        }
        page
    }
}

/// What a signed copy's integrity is, in words: the signed digest holds over the whole file, holds
/// over part of it (something was added after signing), or does not hold.
pub(crate) fn integrity_key(digest_matches: bool, covers_whole_file: bool) -> &'static str {
    match (digest_matches, covers_whole_file) {
        (true, true) => "verificar-firma-integra",
        (true, false) => "verificar-firma-parcial",
        (false, _) => "verificar-firma-alterada",
    }
}

/// The start: a form for the code printed on a document.
async fn start(Query(q): Query<Lq>) -> Response {
    let tr = tr_of(q.idioma.as_deref());
    render(&VerifyPage::empty(tr, "/"), StatusCode::OK)
}

/// The start form's answer: the note's page.
async fn by_query(Query(q): Query<Lq>) -> Response {
    let tr = tr_of(q.idioma.as_deref());
    match q.codigo.as_deref().and_then(verification::parse_code) {
        Some(code) => Redirect::to(&format!("/v/{code}?idioma={}", tr.tag())).into_response(),
        None => {
            let mut page = VerifyPage::empty(tr, "/");
            page.error = Some(tr.error(&AppError::of("no_encontrado.verificacion", &[])));
            render(&page, StatusCode::NOT_FOUND)
        }
    }
}

/// A note's page.
async fn note(State(st): State<AppState>, Path(code): Path<String>, Query(q): Query<Lq>) -> Response {
    let tr = tr_of(q.idioma.as_deref());
    match verification::verify(&st, &code).await {
        Ok(v) => render(&VerifyPage::of(tr, &v), StatusCode::OK),
        Err(e) => refused(tr, None, &e),
    }
}

#[derive(Deserialize)]
pub struct HashForm {
    #[serde(default)]
    sha256: String,
    idioma: Option<String>,
}

/// Checks a pasted hash.
async fn check_hash(
    State(st): State<AppState>,
    ClientIp(addr): ClientIp,
    Path(code): Path<String>,
    axum::extract::Form(f): axum::extract::Form<HashForm>,
) -> Response {
    let tr = tr_of(f.idioma.as_deref());
    answer(
        &st,
        tr,
        &code,
        verification::check(&st, &code, Presented::Hash(&f.sha256), addr).await,
    )
    .await
}

/// Checks an uploaded file (its SHA-256 against every version and PDF).
async fn check_file(State(st): State<AppState>, ClientIp(addr): ClientIp, Path(code): Path<String>, mut form: Multipart) -> Response {
    let mut tr = tr_of(None);
    let mut file: Option<Vec<u8>> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name().unwrap_or("") {
                "archivo" => match field.bytes().await {
                    Ok(b) => file = Some(b.to_vec()),
                    Err(_) => return answer(&st, tr, &code, Err(AppError::of("archivo_muy_grande", &[]).field("archivo"))).await,
                },
                "idioma" => tr = tr_of(field.text().await.ok().as_deref()),
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return answer(&st, tr, &code, Err(AppError::of("multipart_invalido", &[]))).await,
        }
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return answer(&st, tr, &code, Err(AppError::of("campo_requerido.archivo", &[]).field("archivo"))).await;
    };
    answer(&st, tr, &code, verification::check(&st, &code, Presented::File(&bytes), addr).await).await
}

async fn answer(st: &AppState, tr: Tr, code: &str, found: Result<(Verified, String, Match), AppError>) -> Response {
    match found {
        Ok((v, sha256, m)) => {
            let mut page = VerifyPage::of(tr, &v);
            let (ok, text) = match m {
                Match::Version { revision } => (true, tr.ta("verificar-coincide-contenido", iop_i18n::args![revision = &revision])),
                Match::Pdf { revision, stage } => (
                    true,
                    tr.ta(
                        "verificar-coincide-pdf",
                        iop_i18n::args![revision = &revision, etapa = &tr.of("verificacion-etapa-", &stage)],
                    ),
                ),
                Match::Signed { revision } => (true, tr.ta("verificar-coincide-firmada", iop_i18n::args![revision = &revision])),
                Match::None => (false, tr.t("verificar-no-coincide")),
            };
            page.outcome = Some(Outcome { ok, text, sha256 });
            render(&page, StatusCode::OK)
        }
        Err(e) => {
            // The note's page stays, with the refusal above the forms.
            let v = verification::verify(st, code).await.ok();
            refused(tr, v.as_ref(), &e)
        }
    }
}

fn refused(tr: Tr, v: Option<&Verified>, e: &AppError) -> Response {
    let mut page = match v {
        Some(v) => VerifyPage::of(tr, v),
        None => VerifyPage::empty(tr, "/"),
    };
    page.error = Some(tr.error(e));
    render(&page, status_of(e))
}

async fn not_found() -> Response {
    let tr = tr_of(None);
    let mut page = VerifyPage::empty(tr, "/");
    page.error = Some(tr.t("error-no-encontrada"));
    render(&page, StatusCode::NOT_FOUND)
}
