//! The web interface: server-rendered pages over the same use cases as the REST API (`iop-app`),
//! served by `iop serve` on the control listener at `/`.
//!
//! - Every label comes from `iop-i18n`'s `web.ftl` (Spanish by default, English on request) and
//!   every error from `errores.ftl`; templates hold no user-facing text.
//! - What a page offers is the domain's (`iop_domain::offered`), and a submitted action goes
//!   through the same use case as the API, so a hidden action sent by hand is refused there.
//! - Sessions are the API's sessions, carried in an HttpOnly, SameSite=Strict cookie; every form
//!   carries a CSRF token bound to the session (the login form, to a cookie of its own).
//! - Every answer carries a strict CSP (no inline script or style), `frame-ancestors 'none'`,
//!   `nosniff` and `no-referrer`; the one style sheet is embedded in the binary.

mod pages;
mod session;
mod step4;
mod texts;
mod verify;

pub use verify::public_router;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use iop_app::AppState;

/// The pages, for the control listener (the REST API is routed before them).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/ingresar", get(pages::login_form).post(pages::login))
        .route("/salir", post(pages::logout))
        .route("/contrasena", get(pages::password_form).post(pages::change_password))
        .route("/avisos", get(pages::notices_form).post(pages::save_notices))
        .route("/bandeja", get(pages::inbox))
        .route("/solicitudes", get(pages::requests))
        .route("/solicitudes/nueva", get(pages::new_request_form).post(pages::new_request))
        .route("/buscar", get(pages::search))
        .route("/notas/cites", get(pages::cite_register))
        .route("/informe", get(pages::report))
        .route("/informe.csv", get(pages::report_csv))
        .route("/solicitudes/{id}", get(pages::request))
        .route("/solicitudes/{id}/acciones", post(pages::act))
        .route("/solicitudes/{id}/renovacion", post(pages::renew))
        .route("/solicitudes/{id}/nota.pdf", get(pages::note_pdf))
        .route("/solicitudes/{id}/nota/borrador", post(pages::save_note_draft))
        .route("/solicitudes/{id}/hoja-de-ruta.pdf", get(pages::routing_slip_pdf))
        .route(
            "/solicitudes/{id}/nota/firmada",
            get(pages::signed_note_pdf).post(pages::file_signed_note),
        )
        .route("/solicitudes/{id}/openapi/{servicio}", get(pages::granted_openapi))
        .route("/solicitudes/{id}/acceso.pdf", get(pages::access_pdf))
        .route("/solicitudes/{id}/acceso", get(pages::access_page))
        .route("/solicitudes/{id}/accesos", post(pages::retrieve))
        .route("/solicitudes/{id}/clave-publica", post(step4::public_key))
        .route("/solicitudes/{id}/sistema", post(step4::register_system))
        .route("/solicitudes/{id}/publicacion/{codigo}/{version}/conector", post(step4::connector))
        .route(
            "/solicitudes/{id}/publicacion/{codigo}/{version}/descripcion",
            post(step4::description).layer(axum::extract::DefaultBodyLimit::max(
                iop_app::connectors::MAX_DESCRIPTION + 64 * 1024,
            )),
        )
        .route("/solicitudes/{id}/publicacion/{codigo}/{version}/prueba", post(step4::probe))
        .route("/idioma/{lang}", get(pages::language))
        .route("/estatico/estilo.css", get(pages::stylesheet))
        .route("/estatico/copiar.js", get(pages::copy_script))
        .route("/estatico/borrador.js", get(pages::draft_script))
        .route(
            "/csp-informe",
            post(csp_report).layer(axum::extract::DefaultBodyLimit::max(CSP_REPORT_MAX_BYTES)),
        )
        .fallback(pages::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(state.config.max_upload_bytes + 64 * 1024))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// The policy every page is served with: nothing inline, nothing from elsewhere, never framed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; report-uri /csp-informe";

/// The CSP violation reports browsers sent (the newest 1,000), for the browser tests to read; each
/// is also logged.
static REPORTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// The CSP violation reports received so far by this process.
pub fn csp_reports() -> Vec<String> {
    REPORTS.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// A CSP report's largest body (browsers send about 1 KiB).
const CSP_REPORT_MAX_BYTES: usize = 16 * 1024;
/// Reports one address may send per minute; beyond them they are dropped (429), unlogged.
pub const CSP_REPORTS_PER_MINUTE: u32 = 30;

async fn csp_report(
    axum::extract::State(st): axum::extract::State<AppState>,
    session::ClientIp(addr): session::ClientIp,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    // Anyone can post here: each address gets a few reports a minute, so the log and the memory
    // kept for them cannot be flooded.
    let key = format!("csp:{}", addr.map(|a| a.to_string()).unwrap_or_default());
    let (now, window) = (st.now(), std::time::Duration::from_secs(60));
    if st.throttle.check(&key, CSP_REPORTS_PER_MINUTE, window, now).is_err() {
        return axum::http::StatusCode::TOO_MANY_REQUESTS;
    }
    st.throttle.fail(&key, now, window);
    let text = String::from_utf8_lossy(&body).into_owned();
    tracing::warn!(informe = %text, "violación de la política de seguridad de contenido");
    let mut r = REPORTS.lock().unwrap_or_else(|p| p.into_inner());
    if r.len() >= 1000 {
        r.remove(0);
    }
    r.push(text);
    axum::http::StatusCode::NO_CONTENT
}

pub(crate) async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use iop_domain::{ActionKind, RequestKind, Role, State};

    /// Every label a template or a handler names, and every label of a state, action, role or
    /// request kind, is in the web catalog in both languages (`iop-i18n` checks both languages
    /// have the same keys).
    #[test]
    fn every_label_the_pages_use_is_in_the_catalog() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for sub in ["templates", "src"] {
            for e in std::fs::read_dir(dir.join(sub)).into_iter().flatten().flatten() {
                sources.push(std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
        assert!(sources.len() >= 6, "{}", sources.len());
        let catalog = iop_i18n::web();
        let mut seen = 0;
        let mut missing = Vec::new();
        for src in &sources {
            for head in ["t(\"", "ta(\""] {
                for (i, _) in src.match_indices(head) {
                    let key = src.get(i + head.len()..).and_then(|r| r.split('"').next()).unwrap_or("");
                    seen += 1;
                    if !catalog.has(key) {
                        missing.push(key.to_owned());
                    }
                }
            }
        }
        let names = State::ALL
            .iter()
            .map(|s| format!("estado-{s}"))
            .chain(ActionKind::ALL.iter().map(|a| format!("accion-{a}")))
            .chain(Role::ALL.iter().map(|r| format!("rol-{}", r.as_str())))
            .chain(RequestKind::ALL.iter().map(|k| format!("tipo-{k}")))
            .chain(iop_domain::DocumentKind::ALL.iter().map(|k| format!("documento-{}", k.as_str())))
            .chain(
                crate::step4::AUTH_KINDS
                    .iter()
                    .chain(&["certificado_cliente"])
                    .map(|k| format!("auth-{k}")),
            )
            .chain(
                ["apikey", "jwt_hs256", "jwt_rs256", "jwt_es256"]
                    .iter()
                    .map(|k| format!("credencial-{k}")),
            )
            .chain(crate::pages::PREPARED.iter().map(|k| format!("preparado-{k}")));
        for key in names {
            seen += 1;
            if !catalog.has(&key) {
                missing.push(key);
            }
        }
        assert!(seen > 60, "only {seen} labels found");
        assert!(missing.is_empty(), "labels without text: {missing:?}");
    }
}
