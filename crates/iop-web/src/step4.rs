//! Step 4 of a publication on the request page: the assigned Líder stages each service to publish
//! (its connector and its description), probes the connection and sees the result, then
//! `habilitar` publishes what was staged. Each form goes through `iop_app::publication`, the same
//! use cases as the REST API.

use axum::extract::{Form, Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use iop_app::AppState;
use iop_app::error::AppError;
use iop_store::{StageRec, UpstreamAuth};

use crate::pages::{csrf_refused, request_page, status_of};
use crate::session::{self, WebUser};
use crate::texts::Tr;

/// One service to publish, as the step 4 section shows it.
pub struct StageView {
    /// `name — code vN`.
    pub etiqueta: String,
    /// Where its forms post: `/solicitudes/{code}/publicacion/{codigo}/{version}`.
    pub ruta: String,
    /// For element ids: `{codigo}-{version}`.
    pub clave: String,
    /// The value `habilitar` publishes it with: `{codigo}:{version}`.
    pub publicar: String,
    /// The staged connector, summarised (never its secret).
    pub conector: Option<String>,
    /// The connector form, prefilled with what is staged.
    pub origenes: String,
    pub ruta_base: String,
    pub conexion_ms: String,
    pub espera_ms: String,
    pub auth_tipo: &'static str,
    pub auth_nombre: String,
    /// The staged description: its fingerprint and how many operations it has.
    pub descripcion: Option<String>,
    /// The staged description's import report: (location, text) of each item.
    pub informe: Vec<(String, String)>,
    /// The last probe of the staged connector: (ok, summary, one line per origin).
    pub prueba: Option<(bool, String, Vec<String>)>,
    /// When `habilitar` committed it.
    pub aplicada: Option<String>,
}

/// The kinds of upstream authentication the form offers (a client certificate goes through the API).
pub const AUTH_KINDS: [&str; 4] = ["ninguna", "cabecera", "basica", "bearer"];

/// The views of a publication request's services, staged or not (`rec` as its page loaded it).
pub async fn views(st: &AppState, tr: Tr, rec: &iop_store::RequestRec) -> Result<Vec<StageView>, AppError> {
    let stages = iop_app::publication::stages_of(st, rec).await?;
    Ok(rec
        .content
        .publications
        .iter()
        .map(|p| {
            let stage = stages.iter().find(|s| s.code == p.code && s.version == p.version);
            view(tr, rec.code.as_ref(), p, stage)
        })
        .collect())
}

fn view(tr: Tr, request: &str, p: &iop_domain::PublicationSpec, stage: Option<&StageRec>) -> StageView {
    let (codigo, version) = (p.code.as_str(), p.version.get());
    let connector = stage.and_then(|s| s.connector.as_ref());
    let (auth_tipo, auth_nombre) = match connector.map(|c| &c.auth) {
        Some(UpstreamAuth::Header { name, .. }) => ("cabecera", name.clone()),
        Some(UpstreamAuth::Basic { user, .. }) => ("basica", user.clone()),
        Some(UpstreamAuth::Bearer { .. }) => ("bearer", String::new()),
        Some(UpstreamAuth::ClientCert { .. }) => ("certificado_cliente", String::new()),
        _ => ("ninguna", String::new()),
    };
    StageView {
        etiqueta: format!("{} — {} v{}", p.name.as_str(), codigo, version),
        ruta: format!("/solicitudes/{request}/publicacion/{codigo}/{version}"),
        clave: format!("{codigo}-{version}"),
        publicar: format!("{codigo}:{version}"),
        conector: connector.map(|c| {
            tr.ta(
                "paso4-pub-conector-resumen",
                iop_i18n::args![
                    ruta = &c.base_path,
                    origenes = &c.upstreams.join(", "),
                    autenticacion = &tr.of("auth-", auth_tipo)
                ],
            )
        }),
        origenes: connector.map(|c| c.upstreams.join("\n")).unwrap_or_default(),
        ruta_base: connector.map(|c| c.base_path.clone()).unwrap_or_default(),
        conexion_ms: connector.map(|c| c.connect_timeout_ms.to_string()).unwrap_or_default(),
        espera_ms: connector.map(|c| c.timeout_ms.to_string()).unwrap_or_default(),
        auth_tipo,
        auth_nombre,
        descripcion: stage.and_then(|s| {
            s.description_sha256.as_ref().map(|sha| {
                tr.ta(
                    "paso4-pub-descripcion-resumen",
                    iop_i18n::args![
                        sha = &sha.get(..16).unwrap_or(sha),
                        n = iop_i18n::Arg::Number(s.operations.len() as i64)
                    ],
                )
            })
        }),
        informe: stage
            .and_then(|s| s.description_report.as_deref())
            .map(iop_app::openapi_import::report::from_json)
            .unwrap_or_default()
            .iter()
            .map(|i| (i.at.clone(), i.text(tr.lang)))
            .collect(),
        prueba: stage.and_then(|s| s.probe.as_ref()).map(|pr| {
            let lines = iop_app::connectors::probe_results(pr)
                .into_iter()
                .map(|o| {
                    let line = match (o.estado_http, &o.error) {
                        (Some(code), _) => tr.ta(
                            "paso4-prueba-origen-ok",
                            iop_i18n::args![origen = &o.origen, estado = &code, ms = iop_i18n::Arg::Number(o.latencia_ms as i64)],
                        ),
                        (None, e) => tr.ta(
                            "paso4-prueba-origen-falla",
                            iop_i18n::args![origen = &o.origen, error = &e.clone().unwrap_or_default()],
                        ),
                    };
                    // The origin lacks the path prefix the description's servers declare.
                    match (&o.prefijo_faltante, &o.servidor) {
                        (Some(p), Some(s)) => {
                            let w = iop_app::openapi_import::Item::new(iop_app::openapi_import::Issue::ServidorPrefijo, "#/servers/0")
                                .arg("servidor", s)
                                .arg("prefijo", p)
                                .arg("origen", &o.origen);
                            format!("{line} — {}", w.text(tr.lang))
                        }
                        _ => line,
                    }
                })
                .collect();
            let key = if pr.ok { "paso4-prueba-ok" } else { "paso4-prueba-falla" };
            (pr.ok, tr.ta(key, iop_i18n::args![fecha = &tr.when(pr.at)]), lines)
        }),
        aplicada: stage.and_then(|s| s.applied_at).map(|t| tr.when(t)),
    }
}

/// Back to the request's step 4 section, saying what was saved.
fn done(request: &str, what: &str) -> Response {
    Redirect::to(&format!("/solicitudes/{request}?preparado={what}#preparacion")).into_response()
}

async fn refused(st: &AppState, tr: Tr, user: &WebUser, id: &str, e: &AppError) -> Response {
    request_page(st, tr, user, id, None, Some(tr.error(e)), status_of(e)).await
}

/// Stages a service's connector as typed in the form.
pub async fn connector(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path((id, codigo, version)): Path<(String, String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let form = session::Fields(form);
    let one = |name: &str| form.one(name);
    if !form.csrf_ok(&user) {
        return csrf_refused(&st, tr, &user, &id).await;
    }
    let ms = |name: &str| -> Result<Option<u32>, AppError> {
        one(name)
            .map(|v| v.parse::<u32>())
            .transpose()
            .map_err(|_| AppError::of("conector_invalido.plazo", iop_i18n::args![campo = &name]).field(name))
    };
    let timeouts = ms("tiempo_conexion_ms").and_then(|c| Ok((c, ms("tiempo_espera_ms")?)));
    let (connect, total) = match timeouts {
        Ok(x) => x,
        Err(e) => return refused(&st, tr, &user, &id, &e).await,
    };
    let tipo = one("autenticacion_tipo").unwrap_or_else(|| "ninguna".into());
    let input = iop_app::dto::ConnectorIn {
        ruta_base: one("ruta_base"),
        origenes: one("origenes")
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        tiempo_conexion_ms: connect,
        tiempo_espera_ms: total,
        autenticacion: (tipo != "ninguna").then(|| iop_app::dto::UpstreamAuthIn {
            tipo,
            nombre: one("autenticacion_nombre"),
            valor: one("autenticacion_valor"),
            certificado: None,
        }),
        max_cuerpo_bytes: None,
        pii_query: Vec::new(),
        ca_pem: None,
    };
    match iop_app::publication::stage_connector(&st, &user.user, &id, &codigo, &version, input).await {
        Ok(_) => done(&id, "conector"),
        Err(e) => refused(&st, tr, &user, &id, &e).await,
    }
}

/// Stages a service's description from an uploaded OpenAPI file (JSON or YAML).
pub async fn description(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path((id, codigo, version)): Path<(String, String, String)>,
    mut form: Multipart,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let mut csrf = String::new();
    let mut document: Option<Vec<u8>> = None;
    let mut entry: Option<String> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(b) if name == "_csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
                    Ok(b) if name == "documento" && !b.is_empty() => document = Some(b.to_vec()),
                    Ok(b) if name == "entrada" && !b.is_empty() => entry = Some(String::from_utf8_lossy(&b).trim().to_owned()),
                    Ok(_) => {}
                    Err(_) => return refused(&st, tr, &user, &id, &AppError::of("descripcion_muy_grande", &[])).await,
                }
            }
            Ok(None) => break,
            Err(_) => return refused(&st, tr, &user, &id, &AppError::of("multipart_invalido", &[])).await,
        }
    }
    if !session::same(&user.csrf(), &csrf) {
        return csrf_refused(&st, tr, &user, &id).await;
    }
    let Some(bytes) = document else {
        let e = AppError::of("campo_requerido.descripcion", &[]).field("documento");
        return refused(&st, tr, &user, &id, &e).await;
    };
    let source = iop_app::connectors::DescriptionSource::File { bytes, entry };
    match iop_app::publication::stage_description(&st, &user.user, &id, &codigo, &version, source).await {
        Ok(_) => done(&id, "descripcion"),
        Err(e) => refused(&st, tr, &user, &id, &e).await,
    }
}

/// Step 4 of a consumption by a proposed system: registers it in the catalog.
pub async fn register_system(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let form = session::Fields(form);
    if !form.csrf_ok(&user) {
        return csrf_refused(&st, tr, &user, &id).await;
    }
    let input = iop_app::dto::RegisterSystemIn {
        entidad_id: form.value("entidad_id"),
        codigo: form.value("codigo"),
    };
    match iop_app::service::register_proposed_system(&st, &user.user, &id, input).await {
        Ok(r) => Redirect::to(&format!("/solicitudes/{}?preparado=sistema", r.code)).into_response(),
        Err(e) => refused(&st, tr, &user, &id, &e).await,
    }
}

/// Step 4 of a consumption: registers the beneficiary system's public key (JWT RS256 or ES256).
pub async fn public_key(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let form = session::Fields(form);
    if !form.csrf_ok(&user) {
        return csrf_refused(&st, tr, &user, &id).await;
    }
    match iop_app::credentials::register_key_for_request(&st, &user.user, &id, &form.value("tipo"), &form.value("clave_publica")).await {
        Ok(_) => Redirect::to(&format!("/solicitudes/{id}?preparado=clave#claves")).into_response(),
        Err(e) => refused(&st, tr, &user, &id, &e).await,
    }
}

/// Probes the staged connector now; the result is stored with it and shown on the page.
pub async fn probe(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path((id, codigo, version)): Path<(String, String, String)>,
    Form(form): Form<crate::pages::CsrfForm>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    if !session::same(&user.csrf(), &form.csrf) {
        return csrf_refused(&st, tr, &user, &id).await;
    }
    match iop_app::publication::probe(&st, &user.user, &id, &codigo, &version).await {
        Ok(_) => done(&id, "prueba"),
        Err(e) => refused(&st, tr, &user, &id, &e).await,
    }
}
