//! The pages. Each handler reads through a use case of `iop-app`, turns what it got into a view
//! (texts already in the page's language) and renders a template.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use iop_app::AppState;
use iop_app::dto::TransitionIn;
use iop_app::error::AppError;
use iop_domain::ActionKind;
use serde::Deserialize;

use crate::session::{self, LOGIN_CSRF_COOKIE, SESSION_COOKIE, WebUser};
use crate::texts::{LANG_COOKIE, Tr};

/// What every page's frame shows.
pub struct Frame {
    pub tr: Tr,
    /// The signed-in user's name and the logout form's token, if signed in.
    pub who: Option<(String, String)>,
    /// This page's path, for the language switch to come back to.
    pub here: String,
    /// The signed-in user reviews requests (UPAT, ADAS, the Administrador): the navigation offers
    /// the CITE register.
    pub revisa: bool,
    /// The signed-in user heads UPAT or ADAS (or administers): the navigation offers the report.
    pub informe: bool,
}

impl Frame {
    fn new(tr: Tr, user: Option<&WebUser>, here: &str) -> Frame {
        Frame {
            tr,
            who: user.map(|u| (u.user.nombre.as_str().to_owned(), u.csrf())),
            here: session::encode(here),
            revisa: user.is_some_and(|u| u.user.actor().reviews()),
            informe: user.is_some_and(|u| {
                [
                    iop_domain::Role::JefeUpat,
                    iop_domain::Role::ResponsableAdas,
                    iop_domain::Role::Administrador,
                ]
                .iter()
                .any(|r| u.user.roles.has(*r))
            }),
        }
    }
}

pub(crate) fn render(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "no se pudo generar la página");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub(crate) fn status_of(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub async fn home() -> Redirect {
    Redirect::to("/bandeja")
}

#[derive(Template)]
#[template(path = "ingresar.html")]
struct LoginPage {
    f: Frame,
    csrf: String,
    siguiente: String,
    usuario: String,
    error: Option<String>,
    aviso: Option<String>,
}

#[derive(Deserialize)]
pub struct Next {
    siguiente: Option<String>,
    /// Set after a password change: the login page says so.
    cambiada: Option<String>,
}

/// The login form, with a fresh CSRF token in its own cookie.
pub async fn login_form(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<Next>) -> Response {
    let tr = Tr::from_headers(&headers);
    let notice = q.cambiada.is_some().then(|| tr.t("contrasena-cambiada"));
    login_page(
        &st,
        tr,
        q.siguiente.as_deref().unwrap_or("/bandeja"),
        "",
        (None, notice),
        StatusCode::OK,
    )
}

/// The login page; `messages` is (error, notice).
fn login_page(
    st: &AppState,
    tr: Tr,
    siguiente: &str,
    usuario: &str,
    messages: (Option<String>, Option<String>),
    status: StatusCode,
) -> Response {
    let (error, aviso) = messages;
    let csrf = iop_app::auth::random_hex(16);
    let page = LoginPage {
        f: Frame::new(tr, None, "/ingresar"),
        csrf: csrf.clone(),
        siguiente: session::local_path(siguiente).unwrap_or("/bandeja").to_owned(),
        usuario: usuario.to_owned(),
        error,
        aviso,
    };
    let mut res = render(&page, status);
    if let Ok(v) = session::set_cookie(st, LOGIN_CSRF_COOKIE, &csrf, "/ingresar", 3600).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct LoginForm {
    usuario: String,
    contrasena: String,
    #[serde(rename = "_csrf")]
    csrf: String,
    siguiente: Option<String>,
}

/// Logs in: on success the session cookie, and back to where the user was going.
pub async fn login(
    State(st): State<AppState>,
    headers: HeaderMap,
    session::ClientIp(addr): session::ClientIp,
    Form(form): Form<LoginForm>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let next = form
        .siguiente
        .as_deref()
        .and_then(session::local_path)
        .unwrap_or("/bandeja")
        .to_owned();
    let expected = session::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !session::same(expected, &form.csrf) {
        return login_page(
            &st,
            tr,
            &next,
            &form.usuario,
            (Some(tr.t("error-csrf")), None),
            StatusCode::FORBIDDEN,
        );
    }
    match iop_app::auth::login(&st, addr, &form.usuario, form.contrasena).await {
        Ok(s) => {
            let ttl = (s.expires - st.now()).whole_seconds().max(1);
            let mut res = Redirect::to(&next).into_response();
            let h = res.headers_mut();
            if let Ok(v) = session::set_cookie(&st, SESSION_COOKIE, &s.token, "/", ttl).parse() {
                h.append(header::SET_COOKIE, v);
            }
            if let Ok(v) = session::set_cookie(&st, LOGIN_CSRF_COOKIE, "", "/ingresar", 0).parse() {
                h.append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            let status = status_of(&e);
            login_page(&st, tr, &next, &form.usuario, (Some(tr.error(&e)), None), status)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    pub csrf: String,
}

/// Logs out: the session ends on the server and the cookie is cleared.
pub async fn logout(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Form(form): Form<CsrfForm>) -> Response {
    if !session::same(&user.csrf(), &form.csrf) {
        return error_page(
            Tr::from_headers(&headers),
            Some(&user),
            Tr::from_headers(&headers).t("error-csrf"),
            StatusCode::FORBIDDEN,
        );
    }
    if let Err(e) = iop_app::auth::logout(&st, &user.user, &user.token).await {
        tracing::error!(error = %e, "no se pudo cerrar la sesión");
    }
    let mut res = Redirect::to("/ingresar").into_response();
    if let Ok(v) = session::set_cookie(&st, SESSION_COOKIE, "", "/", 0).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    f: Frame,
    message: String,
}

fn error_page(tr: Tr, user: Option<&WebUser>, message: String, status: StatusCode) -> Response {
    render(
        &ErrorPage {
            f: Frame::new(tr, user, "/bandeja"),
            message,
        },
        status,
    )
}

/// The error page for a use case's refusal, with its status.
fn failed(tr: Tr, user: Option<&WebUser>, e: &AppError) -> Response {
    error_page(tr, user, tr.error(e), status_of(e))
}

pub async fn not_found(headers: HeaderMap) -> Response {
    let tr = Tr::from_headers(&headers);
    error_page(tr, None, tr.t("error-no-encontrada"), StatusCode::NOT_FOUND)
}

/// One row of the inbox.
struct InboxRow {
    codigo: String,
    href: String,
    tipo: String,
    estado: String,
    como: String,
    espera: String,
    dias: String,
    vence: String,
    vencida: bool,
}

/// Labelled counts, in order.
type Counts = Vec<(String, i64)>;

#[derive(Template)]
#[template(path = "bandeja.html")]
struct InboxPage {
    f: Frame,
    rows: Vec<InboxRow>,
    next: Option<String>,
    /// For the Jefe de UPAT and the Responsable de ADAS: (state label, count), (leader's name,
    /// open requests) and (who it waits for, overdue requests).
    resumen: Option<(Counts, Counts, Counts)>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    cursor: Option<String>,
}

/// What waits for me, oldest first.
pub async fn inbox(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Query(q): Query<PageQuery>) -> Response {
    let tr = Tr::from_headers(&headers);
    let page = match iop_app::service::page(Some(50), q.cursor.as_deref()) {
        Ok(p) => p,
        Err(e) => return failed(tr, Some(&user), &e),
    };
    let (items, next, overview) = match iop_app::service::bandeja(&st, &user.user, &page).await {
        Ok(b) => (b.lines, b.next, b.overview),
        Err(e) => return failed(tr, Some(&user), &e),
    };
    let rows = items
        .into_iter()
        .map(|i| {
            let r = &i.line;
            InboxRow {
                href: format!("/solicitudes/{}", r.code.as_str()),
                codigo: r.code.as_str().to_owned(),
                tipo: tr.of("tipo-", r.facts.kind.as_str()),
                estado: tr.of("estado-", r.facts.state.as_str()),
                como: r.waiting.role.map(|x| tr.of("rol-", x.as_str())).unwrap_or_default(),
                espera: tr.when(r.state_since),
                dias: tr.ta(
                    "dias-habiles",
                    iop_i18n::args![n = iop_i18n::Arg::Number(i64::from(i.wait.working_days))],
                ),
                vence: i.wait.due.map_or_else(|| tr.t("sin-plazo"), |t| tr.when(t)),
                vencida: i.wait.overdue,
            }
        })
        .collect();
    let resumen = overview.map(|o| {
        (
            o.by_state.into_iter().map(|(s, n)| (tr.of("estado-", s.as_str()), n)).collect(),
            o.leaders.into_iter().map(|(u, n)| (u.nombre.as_str().to_owned(), n)).collect(),
            o.overdue
                .into_iter()
                .map(|(role, person, n)| {
                    let role = tr.of("rol-", role.as_str());
                    match person {
                        Some(u) => (format!("{} ({role})", u.nombre.as_str()), n),
                        None => (role, n),
                    }
                })
                .collect(),
        )
    });
    render(
        &InboxPage {
            resumen,
            f: Frame::new(tr, Some(&user), "/bandeja"),
            rows,
            next: next.map(|c| format!("/bandeja?cursor={}", session::encode(&c))),
        },
        StatusCode::OK,
    )
}

/// One step of the report, as the page shows it.
struct ReportStepRow {
    paso: String,
    plazo: String,
    terminadas: usize,
    abiertas: usize,
    mediana: String,
    p90: String,
    vencidas: usize,
    /// Overdue share, in percent (0–100), for the bar and in words.
    tasa: u32,
}

#[derive(Template)]
#[template(path = "informe.html")]
struct ReportPage {
    f: Frame,
    /// How it was computed, and when.
    ayuda: String,
    por_estado: Vec<(String, String, usize)>,
    pasos: Vec<ReportStepRow>,
    /// Name, ended, overdue, overdue share in percent.
    personas: Vec<(String, usize, usize, u32)>,
    /// Month, presented, closed, received, and the bars' lengths (0–100) against the busiest month.
    meses: Vec<(String, usize, usize, usize, u32, u32)>,
}

/// The management report for the heads of UPAT and ADAS: tables with bars, and its CSV.
pub async fn report(State(st): State<AppState>, headers: HeaderMap, user: WebUser) -> Response {
    let tr = Tr::from_headers(&headers);
    let r = match iop_app::report::report(&st, &user.user).await {
        Ok(r) => r,
        Err(e) => return failed(tr, Some(&user), &e),
    };
    let pct = |a: usize, b: usize| (a * 100).checked_div(b).map_or(0, |p| u32::try_from(p).unwrap_or(100));
    let days = |d: Option<u32>| d.map_or_else(|| "—".to_owned(), |d| d.to_string());
    let busiest = r.months.iter().map(|m| m.presented.max(m.received)).max().unwrap_or(0);
    let page = ReportPage {
        f: Frame::new(tr, Some(&user), "/informe"),
        ayuda: tr.ta("informe-ayuda", iop_i18n::args![fecha = &tr.when(st.now())]),
        por_estado: r
            .by_state
            .iter()
            .map(|(s, k, n)| (tr.of("estado-", s.as_str()), tr.of("tipo-", k.as_str()), *n))
            .collect(),
        pasos: r
            .steps
            .iter()
            .map(|s| ReportStepRow {
                paso: tr.of("estado-", s.state.as_str()),
                plazo: match s.deadline {
                    iop_domain::Deadline::WorkingDays(n) => tr.ta("dias-habiles", iop_i18n::args![n = iop_i18n::Arg::Number(i64::from(n))]),
                    iop_domain::Deadline::Hours(n) => format!("{n} h"),
                },
                terminadas: s.ended,
                abiertas: s.open,
                mediana: days(s.median_days),
                p90: days(s.p90_days),
                vencidas: s.overdue,
                tasa: pct(s.overdue, s.ended + s.open),
            })
            .collect(),
        personas: r
            .people
            .iter()
            .map(|p| (p.name.clone(), p.ended, p.overdue, pct(p.overdue, p.ended)))
            .collect(),
        meses: r
            .months
            .iter()
            .map(|m| {
                (
                    m.month.clone(),
                    m.presented,
                    m.closed,
                    m.received,
                    pct(m.presented, busiest),
                    pct(m.received, busiest),
                )
            })
            .collect(),
    };
    render(&page, StatusCode::OK)
}

/// The management report as CSV, with the session.
pub async fn report_csv(State(st): State<AppState>, headers: HeaderMap, user: WebUser) -> Response {
    let tr = Tr::from_headers(&headers);
    match iop_app::report::report(&st, &user.user).await {
        Ok(r) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"informe-de-gestion.csv\""),
            ],
            iop_app::dto::ReportOut::of(&r, st.now()).csv(),
        )
            .into_response(),
        Err(e) => failed(tr, Some(&user), &e),
    }
}

/// One number of the CITE register, as the page shows it.
struct CiteRow {
    cite: String,
    anulado: bool,
    solicitud: String,
    href: String,
    tipo: String,
    unidad: String,
    estado: String,
    fecha: String,
    autor: String,
}

#[derive(Template)]
#[template(path = "cites.html")]
struct CitePage {
    f: Frame,
    gestion: String,
    rows: Vec<CiteRow>,
    /// How many numbers, how many annulled.
    resumen: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CiteQuery {
    gestion: Option<String>,
}

/// The CITE register of a year: every number given, in order, the annulled ones marked.
pub async fn cite_register(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Query(q): Query<CiteQuery>) -> Response {
    let tr = Tr::from_headers(&headers);
    let here = match &q.gestion {
        Some(g) => format!("/notas/cites?gestion={}", session::encode(g)),
        None => "/notas/cites".to_owned(),
    };
    let (gestion, cites, error, status) = match iop_app::cite_register::register(&st, &user.user, q.gestion.as_deref()).await {
        Ok((y, c)) => (y.to_string(), c, None, StatusCode::OK),
        Err(e) if e.field.is_some() => (q.gestion.clone().unwrap_or_default(), Vec::new(), Some(tr.error(&e)), status_of(&e)),
        Err(e) => return failed(tr, Some(&user), &e),
    };
    let rows: Vec<CiteRow> = cites
        .iter()
        .map(|c| CiteRow {
            cite: c.number.as_str().to_owned(),
            anulado: c.state.annuls_cite(),
            solicitud: c.code.as_str().to_owned(),
            href: format!("/solicitudes/{}", c.code.as_str()),
            tipo: tr.of("tipo-", c.kind.as_str()),
            unidad: c.unit.clone(),
            estado: tr.of("estado-", c.state.as_str()),
            fecha: tr.when(c.given_at),
            autor: c.author_name.clone().unwrap_or_default(),
        })
        .collect();
    render(
        &CitePage {
            f: Frame::new(tr, Some(&user), &here),
            gestion,
            resumen: tr.ta(
                "cites-resumen",
                iop_i18n::args![
                    n = iop_i18n::Arg::Number(rows.len() as i64),
                    anulados = iop_i18n::Arg::Number(rows.iter().filter(|r| r.anulado).count() as i64)
                ],
            ),
            rows,
            error,
        },
        status,
    )
}

/// One row of the request list.
struct ListRow {
    codigo: String,
    href: String,
    tipo: String,
    estado: String,
    unidad: String,
    creada: String,
    actualizada: String,
}

#[derive(Template)]
#[template(path = "solicitudes.html")]
struct ListPage {
    f: Frame,
    rows: Vec<ListRow>,
    /// (stable name or id, label, selected) for the state, kind and unit filters.
    estados: Vec<(&'static str, String, bool)>,
    tipos: Vec<(&'static str, String, bool)>,
    unidades: Vec<(String, String, bool)>,
    /// The text filters as typed.
    codigo: String,
    desde: String,
    hasta: String,
    next: Option<String>,
    error: Option<String>,
    /// The filter at fault, if any.
    campo: String,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    estado: Option<String>,
    tipo: Option<String>,
    unidad_id: Option<String>,
    codigo: Option<String>,
    desde: Option<String>,
    hasta: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> iop_app::service::ListFilter<'_> {
        iop_app::service::ListFilter {
            estado: self.estado.as_deref(),
            unidad_id: self.unidad_id.as_deref(),
            tipo: self.tipo.as_deref(),
            codigo: self.codigo.as_deref(),
            desde: self.desde.as_deref(),
            hasta: self.hasta.as_deref(),
        }
    }
    /// The filters given, as a query string (`a=1&b=2`), to page on with them.
    fn query(&self) -> String {
        [
            ("estado", &self.estado),
            ("tipo", &self.tipo),
            ("unidad_id", &self.unidad_id),
            ("codigo", &self.codigo),
            ("desde", &self.desde),
            ("hasta", &self.hasta),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| format!("{k}={}", session::encode(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// The requests this user may see, newest first, filtered, a page at a time.
pub async fn requests(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Query(q): Query<ListQuery>) -> Response {
    let tr = Tr::from_headers(&headers);
    list_page(&st, tr, &user, &q, None).await
}

async fn list_page(st: &AppState, tr: Tr, user: &WebUser, q: &ListQuery, error: Option<String>) -> Response {
    let page = match iop_app::service::page(Some(50), q.cursor.as_deref()) {
        Ok(p) => p,
        Err(e) => return failed(tr, Some(user), &e),
    };
    // The units and the page are read at once (each read waits for its own connection).
    let filter = q.filter();
    let (units, listed) = tokio::join!(
        iop_app::service::requesting_units(st),
        iop_app::service::list_lines(st, &user.user, &filter, &page)
    );
    let units = match units {
        Ok(u) => u,
        Err(e) => return failed(tr, Some(user), &e),
    };
    // A filter that does not read is shown beside the form, with an empty list.
    let (found, next, error, campo, status) = match listed {
        Ok((found, next)) => (found, next, error, String::new(), StatusCode::OK),
        Err(e) => (
            Vec::new(),
            None,
            Some(tr.error(&e)),
            e.field.clone().unwrap_or_default(),
            status_of(&e),
        ),
    };
    let checked = q.filter().check().ok();
    let unit_name = |id: iop_domain::UnitId| {
        units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.sigla.as_str().to_owned())
            .unwrap_or_default()
    };
    let rows = found
        .into_iter()
        .map(|r| ListRow {
            href: format!("/solicitudes/{}", r.code.as_str()),
            unidad: unit_name(r.facts.unit),
            codigo: r.code.as_str().to_owned(),
            tipo: tr.of("tipo-", r.facts.kind.as_str()),
            estado: tr.of("estado-", r.facts.state.as_str()),
            creada: tr.when(r.created_at),
            actualizada: tr.when(r.updated_at),
        })
        .collect();
    let state = checked.as_ref().and_then(|c| c.state);
    let kind = checked.as_ref().and_then(|c| c.kind);
    let unit = checked.as_ref().and_then(|c| c.unit);
    let estados = iop_domain::State::ALL
        .iter()
        .map(|s| (s.as_str(), tr.of("estado-", s.as_str()), state == Some(*s)))
        .collect();
    let tipos = iop_domain::RequestKind::ALL
        .iter()
        .map(|k| (k.as_str(), tr.of("tipo-", k.as_str()), kind == Some(*k)))
        .collect();
    let unidades = units
        .iter()
        .map(|u| {
            (
                u.id.to_string(),
                format!("{} ({})", u.nombre.as_str(), u.sigla.as_str()),
                unit == Some(u.id),
            )
        })
        .collect();
    let filters = q.query();
    let here = if filters.is_empty() {
        "/solicitudes".to_owned()
    } else {
        format!("/solicitudes?{filters}")
    };
    let and = if filters.is_empty() { String::new() } else { format!("{filters}&") };
    let typed = |v: &Option<String>| v.clone().unwrap_or_default();
    render(
        &ListPage {
            f: Frame::new(tr, Some(user), &here),
            rows,
            estados,
            tipos,
            unidades,
            codigo: typed(&q.codigo),
            desde: typed(&q.desde),
            hasta: typed(&q.hasta),
            next: next.map(|c| format!("/solicitudes?{and}cursor={}", session::encode(&c))),
            error,
            campo,
        },
        status,
    )
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// The header's search box: a tracking code (or a request's id) opens its page if this user may
/// see it; otherwise the list says it was not found.
pub async fn search(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Query(q): Query<SearchQuery>) -> Response {
    let tr = Tr::from_headers(&headers);
    let wanted = q.q.as_deref().map(str::trim).unwrap_or("");
    if wanted.is_empty() {
        return Redirect::to("/solicitudes").into_response();
    }
    match iop_app::service::load_visible(&st, &user.user, wanted).await {
        Ok(r) => Redirect::to(&format!("/solicitudes/{}", r.code)).into_response(),
        Err(e) => {
            let message = tr.ta("buscar-sin-resultado", iop_i18n::args![q = &wanted, motivo = &tr.error(&e)]);
            list_page(&st, tr, &user, &ListQuery::default(), Some(message)).await
        }
    }
}

/// A catalog message as a sentence on its own: capital first letter, final period.
fn sentence(m: &str) -> String {
    let mut chars = m.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn parse_rfc3339(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// One movement of the document flow.
struct HistoryRow {
    fecha: String,
    quien: String,
    accion: String,
    de: String,
    a: String,
    comentario: String,
}

/// A delivery of step 4's accesses, as its page shows it (never a secret).
struct DeliveryRow {
    estado: String,
    credenciales: String,
}

/// An action the user may take now, as a form with the inputs the action takes.
struct ActionForm {
    accion: &'static str,
    etiqueta: String,
    comentario_requerido: bool,
    /// Assigning (step 3): the active team leaders to choose from, as (id, name).
    lideres: Vec<(String, String)>,
    /// Observing at step 7: whom the request goes back to.
    devolver: bool,
    /// Writing the Nota Interna (step 5).
    nota: bool,
    /// Step 4 (`habilitar`, `ajustar_habilitacion`): the form carries an enablement.
    paso4: bool,
    /// Step 4 of a consumption: the services asked for, as (id, label), each granted with its
    /// validity and limits, and the credentials to issue.
    accesos: Vec<(String, String)>,
    /// Step 4 of a publication: the services to publish, as (`codigo:version`, label, ready: a
    /// connector is staged).
    publicar: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "solicitud.html")]
struct RequestPage {
    f: Frame,
    codigo: String,
    titulo: String,
    tipo: String,
    estado: String,
    espera_a: String,
    desde: String,
    justificacion: String,
    documento: Option<String>,
    historial: Vec<HistoryRow>,
    acciones: Vec<ActionForm>,
    csrf: String,
    version: i64,
    nota_sha256: String,
    aviso: Option<String>,
    error: Option<String>,
    accesos: Vec<DeliveryRow>,
    /// The user may retrieve the pending accesses now (a Solicitante of the requesting unit).
    retirar: bool,
    /// The beneficiary system (step 4 grants go to it).
    sistema_id: String,
    /// The Nota Interna, once written: (number, body, recommendations, revision).
    nota: Option<(String, String, String, i64)>,
    /// The definitive signed copy of the note, if one was filed.
    firmada: Option<SignedView>,
    /// Whether this user may file a signed copy now.
    archivar_firmada: bool,
    /// The viewer may ask to renew what this request granted.
    renovar: bool,
    /// What the request names, by name.
    sistema: Option<String>,
    /// A system the request proposed, while not registered: (name, purpose).
    propuesto: Option<(String, String)>,
    /// Step 4, for the Líder, while the proposed system waits: the consuming entities to register
    /// it under, as (id, label).
    registrar_en: Vec<(String, String)>,
    servicios: Vec<String>,
    /// Step 4's grants: each granted service's label and its filtered OpenAPI's address.
    openapi: Vec<(String, String)>,
    entidad: Option<String>,
    publicaciones: Vec<String>,
    /// Step 4 of a publication, for the Líder who may enable it: each service's staging.
    preparacion: Vec<crate::step4::StageView>,
    auth_kinds: [&'static str; 4],
    /// Approvals the four-eyes rule withholds from this user, in words.
    cuatro_ojos: Vec<String>,
    /// Step 4 of a consumption, for the Líder who may enable it: the public keys registered so
    /// far, as (kind, `iss`, when), and whether to offer the form.
    claves: Option<Vec<(String, String, String)>>,
    /// The Nota Interna as typed so far (kept after a preview or a refusal).
    borrador: NoteDraft,
}

/// What step 4's forms (and the signed note's) say they saved (`?preparado=`), each with its text.
pub(crate) const PREPARED: [&str; 7] = ["conector", "descripcion", "prueba", "clave", "sistema", "firmada", "borrador"];

#[derive(Deserialize)]
pub struct RequestQuery {
    hecho: Option<String>,
    /// Step 4 of a publication: what was just saved (`conector`, `descripcion`, `prueba`).
    preparado: Option<String>,
}

/// A request: its data, its document flow, and exactly the actions the domain lets this user
/// take now.
/// The request's Nota Interna as a PDF, to download.
pub async fn note_pdf(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Path(id): Path<String>) -> Response {
    let tr = Tr::from_headers(&headers);
    match iop_app::documents::note_pdf(&st, &user.user, &id).await {
        Ok(pdf) => pdf_download(pdf),
        Err(e) => failed(tr, Some(&user), &e),
    }
}

/// The definitive signed copy of the note, to download.
pub async fn signed_note_pdf(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Path(id): Path<String>) -> Response {
    let tr = Tr::from_headers(&headers);
    match iop_app::signed_note::pdf(&st, &user.user, &id).await {
        Ok(pdf) => pdf_download(pdf),
        Err(e) => failed(tr, Some(&user), &e),
    }
}

/// Files a signed copy of the approved note (a form with `_csrf` and `archivo`), then shows the
/// request with it; a refused file leaves nothing behind and is named above the form.
pub async fn file_signed_note(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let (mut csrf, mut file) = (String::new(), None::<Vec<u8>>);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name().unwrap_or("") {
                "_csrf" => csrf = field.text().await.unwrap_or_default(),
                "archivo" => match field.bytes().await {
                    Ok(b) => file = Some(b.to_vec()),
                    Err(_) => {
                        let e = AppError::of("archivo_muy_grande", &[]).field("archivo");
                        return request_page(&st, tr, &user, &id, None, Some(tr.error(&e)), status_of(&e)).await;
                    }
                },
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                let e = AppError::of("multipart_invalido", &[]);
                return request_page(&st, tr, &user, &id, None, Some(tr.error(&e)), status_of(&e)).await;
            }
        }
    }
    if !session::same(&user.csrf(), &csrf) {
        return csrf_refused(&st, tr, &user, &id).await;
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        let e = AppError::of("campo_requerido.archivo", &[]).field("archivo");
        return request_page(&st, tr, &user, &id, None, Some(tr.error(&e)), status_of(&e)).await;
    };
    match iop_app::signed_note::file(&st, &user.user, &id, &bytes).await {
        Ok(_) => Redirect::to(&format!("/solicitudes/{id}?preparado=firmada#nota")).into_response(),
        Err(e) => request_page(&st, tr, &user, &id, None, Some(tr.error(&e)), status_of(&e)).await,
    }
}

/// The request's hoja de ruta as a PDF, to download.
pub async fn routing_slip_pdf(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Path(id): Path<String>) -> Response {
    let tr = Tr::from_headers(&headers);
    match iop_app::documents::routing_slip_pdf(&st, &user.user, &id).await {
        Ok(pdf) => pdf_download(pdf),
        Err(e) => failed(tr, Some(&user), &e),
    }
}

/// The access documentation of the request's granted system, as a PDF, to download.
pub async fn access_pdf(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Path(id): Path<String>) -> Response {
    let tr = Tr::from_headers(&headers);
    match iop_app::documents::access_pdf(&st, &user.user, &id).await {
        Ok(pdf) => pdf_download(pdf),
        Err(e) => failed(tr, Some(&user), &e),
    }
}

#[derive(Template)]
#[template(path = "acceso.html")]
struct AccessPage {
    f: Frame,
    codigo: String,
    d: iop_app::documents::AccessDoc,
}

/// The access documentation as a page (the PDF's content, to read and copy from).
pub async fn access_page(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Path(id): Path<String>) -> Response {
    let tr = Tr::from_headers(&headers);
    match iop_app::documents::access_doc(&st, &user.user, &id).await {
        Ok((d, _)) => render(
            &AccessPage {
                f: Frame::new(tr, Some(&user), &format!("/solicitudes/{}/acceso", d.solicitud)),
                codigo: d.solicitud.clone(),
                d,
            },
            StatusCode::OK,
        ),
        Err(e) => failed(tr, Some(&user), &e),
    }
}

/// A granted service's OpenAPI description, filtered to the grant, to download.
pub async fn granted_openapi(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path((id, service)): Path<(String, String)>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    match iop_app::documents::granted_openapi(&st, &user.user, &id, &service).await {
        Ok((filename, doc)) => {
            let mut res = axum::Json(doc).into_response();
            if let Ok(v) = header::HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => failed(tr, Some(&user), &e),
    }
}

/// A generated PDF, to save under its name.
pub(crate) fn pdf_download(pdf: iop_app::documents::Pdf) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", pdf.filename);
    let mut res = pdf.bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/pdf"));
    if let Ok(v) = header::HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// A request: its data, its document flow, and exactly the actions the domain lets this user
/// take now.
pub async fn request(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<RequestQuery>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let aviso = q
        .hecho
        .as_deref()
        .and_then(|a| ActionKind::parse(a).ok())
        .map(|a| tr.ta("solicitud-hecho", iop_i18n::args![accion = &tr.of("accion-", a.as_str())]))
        .or_else(|| match q.preparado.as_deref() {
            Some(w) if PREPARED.contains(&w) => Some(tr.of("preparado-", w)),
            _ => None,
        });
    request_page(&st, tr, &user, &id, aviso, None, StatusCode::OK).await
}

pub(crate) async fn request_page(
    st: &AppState,
    tr: Tr,
    user: &WebUser,
    id: &str,
    aviso: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    request_page_with(st, tr, user, id, (aviso, error), None, status).await
}

/// The definitive signed copy of the note, worded.
struct SignedView {
    firmante: String,
    vigencia: String,
    integridad: String,
    archivada: String,
    sha256: String,
}

impl SignedView {
    fn of(tr: Tr, s: &iop_store::SignedNoteRec) -> Self {
        SignedView {
            firmante: s.subject.clone(),
            vigencia: tr.ta(
                "verificar-firma-vigencia-valor",
                iop_i18n::args![desde = &tr.when(s.not_before), hasta = &tr.when(s.not_after)],
            ),
            integridad: tr.t(crate::verify::integrity_key(s.digest_matches, s.covers_whole_file)),
            archivada: tr.ta(
                "firmada-archivada",
                iop_i18n::args![nombre = &s.filed_by_name, fecha = &tr.when(s.filed_at), revision = &s.revision],
            ),
            sha256: s.sha256.clone(),
        }
    }
}

/// A Nota Interna being written (step 5), kept on the page: its body and recommendations, and
/// whether the user asked to preview it.
#[derive(Default)]
struct NoteDraft {
    cuerpo: String,
    recomendaciones: String,
    vista_previa: bool,
}

async fn request_page_with(
    st: &AppState,
    tr: Tr,
    user: &WebUser,
    id: &str,
    (aviso, error): (Option<String>, Option<String>),
    borrador: Option<NoteDraft>,
    status: StatusCode,
) -> Response {
    let rec = match iop_app::service::load_visible(st, &user.user, id).await {
        Ok(r) => r,
        Err(e) => return failed(tr, Some(user), &e),
    };
    let out = match iop_app::service::request_out(st, &rec, true).await {
        Ok(o) => o,
        Err(e) => return failed(tr, Some(user), &e),
    };
    let historial = out
        .historial
        .unwrap_or_default()
        .into_iter()
        .map(|h| HistoryRow {
            fecha: parse_rfc3339(&h.fecha).map(|t| tr.when(t)).unwrap_or_default(),
            quien: match &h.en_suplencia_de {
                Some(replaced) => tr.ta(
                    "historial-suplencia",
                    iop_i18n::args![nombre = &h.actor_nombre, rol = &tr.of("rol-", &h.rol), suplido = replaced],
                ),
                None => format!("{} ({})", h.actor_nombre, tr.of("rol-", &h.rol)),
            },
            accion: tr.of("accion-", &h.accion),
            de: tr.of("estado-", &h.estado_anterior),
            a: tr.of("estado-", &h.estado_nuevo),
            comentario: h.comentario.unwrap_or_default(),
        })
        .collect();
    let offered = iop_domain::offered(&rec.facts, &user.user.actor());
    let lideres = if offered.iter().any(|k| matches!(k, ActionKind::Asignar | ActionKind::Reasignar)) {
        match iop_app::service::active_leaders(st).await {
            Ok(l) => l.into_iter().map(|u| (u.id.to_string(), u.nombre.as_str().to_owned())).collect(),
            Err(e) => return failed(tr, Some(user), &e),
        }
    } else {
        Vec::new()
    };
    let step4 = offered
        .iter()
        .any(|k| matches!(k, ActionKind::Habilitar | ActionKind::AjustarHabilitacion));
    let preparacion = if step4 && rec.content.kind.publishes() {
        match crate::step4::views(st, tr, &rec).await {
            Ok(v) => v,
            Err(e) => return failed(tr, Some(user), &e),
        }
    } else {
        Vec::new()
    };
    let publicar: Vec<(String, String, bool)> = preparacion
        .iter()
        .filter(|v| v.aplicada.is_none())
        .map(|v| (v.publicar.clone(), v.etiqueta.clone(), v.conector.is_some()))
        .collect();
    let propuesto = rec
        .content
        .proposed_system
        .as_ref()
        .filter(|_| rec.content.system.is_none())
        .map(|p| (p.name.as_str().to_owned(), p.purpose.as_str().to_owned()));
    let registrar_en = if step4 && propuesto.is_some() {
        match iop_app::service::consumer_entities(st).await {
            Ok(es) => es
                .into_iter()
                .map(|e| (e.id.to_string(), format!("{} ({})", e.nombre.as_str(), e.sigla.as_str())))
                .collect(),
            Err(e) => return failed(tr, Some(user), &e),
        }
    } else {
        Vec::new()
    };
    let claves = if step4 && rec.content.kind.consumes() && rec.content.system.is_some() {
        match iop_app::credentials::public_keys_of_request(st, &rec).await {
            Ok(ks) => Some(
                ks.into_iter()
                    .map(|c| (tr.of("credencial-", c.kind.as_str()), c.key_id, tr.when(c.created_at)))
                    .collect(),
            ),
            Err(e) => return failed(tr, Some(user), &e),
        }
    } else {
        None
    };
    // Grants go to the beneficiary system: none to offer while a proposed one waits.
    let servicios = if step4 && rec.content.kind.consumes() && rec.content.system.is_some() {
        match iop_app::service::service_labels(st, &rec.content.services).await {
            Ok(l) => l.into_iter().map(|(id, label)| (id.to_string(), label)).collect(),
            Err(e) => return failed(tr, Some(user), &e),
        }
    } else {
        Vec::new()
    };
    // Step 5's form starts from the current note, or from a first draft of it.
    let borrador = match borrador {
        Some(b) => b,
        None if offered.contains(&ActionKind::ElaborarNota) => match iop_app::documents::note_draft(st, &rec).await {
            Ok((cuerpo, recomendaciones)) => NoteDraft {
                cuerpo,
                recomendaciones,
                vista_previa: false,
            },
            Err(e) => return failed(tr, Some(user), &e),
        },
        None => NoteDraft::default(),
    };
    let acciones = offered
        .into_iter()
        .map(|k| ActionForm {
            accion: k.as_str(),
            etiqueta: tr.of("accion-", k.as_str()),
            comentario_requerido: k.needs_comment(),
            lideres: if matches!(k, ActionKind::Asignar | ActionKind::Reasignar) {
                lideres.clone()
            } else {
                Vec::new()
            },
            devolver: k == ActionKind::Observar && rec.facts.state == iop_domain::State::NotaAprobadaAdas,
            nota: k == ActionKind::ElaborarNota,
            paso4: matches!(k, ActionKind::Habilitar | ActionKind::AjustarHabilitacion),
            accesos: if matches!(k, ActionKind::Habilitar | ActionKind::AjustarHabilitacion) {
                servicios.clone()
            } else {
                Vec::new()
            },
            publicar: if matches!(k, ActionKind::Habilitar | ActionKind::AjustarHabilitacion) {
                publicar.clone()
            } else {
                Vec::new()
            },
        })
        .collect();
    let cuatro_ojos = iop_domain::withheld(&rec.facts, &user.user.actor())
        .into_iter()
        .map(|(_, why)| {
            sentence(match tr.lang {
                iop_i18n::Lang::Es => &why.es,
                iop_i18n::Lang::En => &why.en,
            })
        })
        .collect();
    let (sistema, entidad) = match iop_app::service::party_labels(st, &rec).await {
        Ok(x) => x,
        Err(e) => return failed(tr, Some(user), &e),
    };
    let servicios_pedidos = match iop_app::service::service_labels(st, &rec.content.services).await {
        Ok(l) => l.into_iter().map(|(_, label)| label).collect(),
        Err(e) => return failed(tr, Some(user), &e),
    };
    let firmada = match st.store.signed_notes(rec.id).await {
        Ok(mut l) => l.pop().map(|s| SignedView::of(tr, &s)),
        Err(e) => return failed(tr, Some(user), &e.into()),
    };
    let archivar_firmada = rec.facts.may_file_signed_note(&user.user.actor()).is_ok();
    let renovar = rec.content.system.is_some() && rec.facts.renewable_by(&user.user.actor()).is_ok();
    let openapi = match iop_app::documents::granted_services(st, &rec).await {
        Ok(l) => l
            .into_iter()
            .map(|(id, label)| (label, format!("/solicitudes/{}/openapi/{id}", rec.code.as_str())))
            .collect(),
        Err(e) => return failed(tr, Some(user), &e),
    };
    let deliveries = match iop_app::accesses::of_request(st, &rec).await {
        Ok(d) => d,
        Err(e) => return failed(tr, Some(user), &e),
    };
    let pending = deliveries.iter().any(|d| d.retrieved_at.is_none() && d.expired_at.is_none());
    let accesos = deliveries
        .iter()
        .map(|d| DeliveryRow {
            estado: match (&d.retrieved_by_login, d.retrieved_at, d.expired_at) {
                (Some(who), Some(at), _) => tr.ta("acceso-retirado", iop_i18n::args![quien = who, fecha = &tr.when(at)]),
                (_, _, Some(at)) => tr.ta("acceso-vencido", iop_i18n::args![fecha = &tr.when(at)]),
                _ => tr.ta("acceso-pendiente", iop_i18n::args![fecha = &tr.when(d.expires_at)]),
            },
            credenciales: d
                .credentials
                .iter()
                .map(|c| format!("{} ({})", tr.of("credencial-", &c.tipo), c.prefijo))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let page = RequestPage {
        sistema,
        propuesto,
        registrar_en,
        servicios: servicios_pedidos,
        openapi,
        entidad,
        publicaciones: rec
            .content
            .publications
            .iter()
            .map(|p| format!("{} — {} v{}", p.name.as_str(), p.code.as_str(), p.version.get()))
            .collect(),
        preparacion,
        auth_kinds: crate::step4::AUTH_KINDS,
        cuatro_ojos,
        claves,
        borrador,
        retirar: pending && rec.facts.accesses_retrievable_by(&user.user.actor()),
        sistema_id: rec.content.system.map(|s| s.to_string()).unwrap_or_default(),
        nota: out.nota.as_ref().map(|n| {
            (
                n.numero.clone(),
                n.cuerpo.clone(),
                n.recomendaciones.clone().unwrap_or_default(),
                n.revision,
            )
        }),
        firmada,
        archivar_firmada,
        renovar,
        accesos,
        f: Frame::new(tr, Some(user), &format!("/solicitudes/{}", out.codigo)),
        titulo: tr.ta("solicitud-titulo", iop_i18n::args![codigo = &out.codigo]),
        tipo: tr.of("tipo-", &out.tipo),
        estado: tr.of("estado-", &out.estado),
        espera_a: match rec.waiting.role {
            Some(r) => tr.of("rol-", r.as_str()),
            None => tr.t("espera-nadie"),
        },
        desde: parse_rfc3339(&out.estado_desde).map(|t| tr.when(t)).unwrap_or_default(),
        justificacion: out.justificacion.clone(),
        documento: out.documento.as_ref().map(|d| format!("{} — {}", d.tipo, d.nombre_archivo)),
        historial,
        acciones,
        csrf: user.csrf(),
        version: out.version,
        nota_sha256: out.nota.as_ref().map(|n| n.sha256.clone()).unwrap_or_default(),
        codigo: out.codigo,
        aviso,
        error,
    };
    render(&page, status)
}

/// The request's page again, saying the form's token was not this session's (403).
pub(crate) async fn csrf_refused(st: &AppState, tr: Tr, user: &WebUser, id: &str) -> Response {
    request_page(st, tr, user, id, None, Some(tr.t("error-csrf")), StatusCode::FORBIDDEN).await
}

/// Saves the note's draft (step 5's form: `_csrf`, `cuerpo`, `recomendaciones`). The page's script
/// sends it as the Líder types (`Accept: application/json`: 204, or the refusal's code and
/// message as JSON); the form's «Guardar borrador» button, without script, comes back to the page.
pub async fn save_note_draft(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let form = session::Fields(form);
    let script = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    /// A refusal as the script reads it.
    #[derive(serde::Serialize)]
    struct Refused {
        codigo: &'static str,
        mensaje: String,
    }
    let refused =
        |status: StatusCode, codigo: &'static str, mensaje: String| (status, axum::Json(Refused { codigo, mensaje })).into_response();
    if !form.csrf_ok(&user) {
        if script {
            return refused(StatusCode::FORBIDDEN, "csrf", tr.t("error-csrf"));
        }
        return csrf_refused(&st, tr, &user, &id).await;
    }
    let (body, recs) = (
        form.one("cuerpo").unwrap_or_default(),
        form.one("recomendaciones").unwrap_or_default(),
    );
    match iop_app::documents::save_note_draft(&st, &user.user, &id, &body, &recs).await {
        Ok(_) if script => StatusCode::NO_CONTENT.into_response(),
        Ok(_) => Redirect::to(&format!("/solicitudes/{id}?preparado=borrador#acciones")).into_response(),
        Err(e) if script => refused(status_of(&e), e.code, tr.error(&e)),
        Err(e) => request_page(&st, tr, &user, &id, None, Some(tr.error(&e)), status_of(&e)).await,
    }
}

/// Asks to renew what a received request granted, then shows the new draft.
pub async fn renew(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    if !session::Fields(form).csrf_ok(&user) {
        return csrf_refused(&st, tr, &user, &id).await;
    }
    match iop_app::service::renew(&st, &user.user, &id).await {
        Ok(draft) => Redirect::to(&format!("/solicitudes/{}", draft.code.as_str())).into_response(),
        Err(e) => request_page(&st, tr, &user, &id, None, Some(tr.error(&e)), status_of(&e)).await,
    }
}

/// Takes an action through the same use case as the API: the domain judges it again, so an action
/// the page did not offer, sent by hand, is refused and shown as such.
pub async fn act(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let form = session::Fields(form);
    let one = |name: &str| form.one(name);
    let all = |name: &str| form.all(name);
    if !form.csrf_ok(&user) {
        return csrf_refused(&st, tr, &user, &id).await;
    }
    let accion = one("accion").unwrap_or_default();
    let version = match one("version").map(|v| v.parse::<i64>()) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => {
            let e = AppError::of("datos_invalidos", &[]);
            return request_page(&st, tr, &user, &id, None, Some(tr.error(&e)), status_of(&e)).await;
        }
    };
    // Step 4: one grant per service ticked, with its validity and limits; the services to publish.
    let habilitacion = if one("paso4").is_some() {
        let mut accesos = Vec::new();
        for s in all("otorgar") {
            // A number the leader typed, if any; anything else is refused naming the field.
            fn number<T: std::str::FromStr>(v: Option<String>, field: &str) -> Result<Option<T>, AppError> {
                v.map(|v| v.trim().parse::<T>())
                    .transpose()
                    .map_err(|_| AppError::of("limite_invalido.habilitacion", &[]).field(field))
            }
            let limits = number::<f64>(one(&format!("limite-{s}")), "limite_por_segundo")
                .and_then(|l| Ok((l, number::<u32>(one(&format!("rafaga-{s}")), "rafaga")?)));
            let (limite, rafaga) = match limits {
                Ok(x) => x,
                Err(e) => return request_page(&st, tr, &user, &id, None, Some(tr.error(&e)), status_of(&e)).await,
            };
            accesos.push(iop_app::dto::GrantIn {
                sistema_id: one("sistema_id").unwrap_or_default(),
                servicio_id: s.clone(),
                desde: one(&format!("desde-{s}")),
                hasta: one(&format!("hasta-{s}")),
                operaciones: None,
                limite_por_segundo: limite,
                rafaga,
            });
        }
        let publicar = all("publicar")
            .iter()
            .filter_map(|v| v.rsplit_once(':'))
            .map(|(codigo, version)| iop_app::dto::PublishIn {
                codigo: codigo.to_owned(),
                // Not a number: 0, which the version's own check refuses.
                version: version.parse().unwrap_or(0),
            })
            .collect();
        Some(iop_app::dto::EnablementIn {
            accesos,
            publicar,
            emitir_credenciales: all("emitir"),
        })
    } else {
        None
    };
    // Step 5: the note as typed stays on the page, previewed on request or after a refusal.
    let draft = || NoteDraft {
        cuerpo: one("cuerpo").unwrap_or_default(),
        recomendaciones: one("recomendaciones").unwrap_or_default(),
        vista_previa: one("vista_previa").is_some(),
    };
    if accion == ActionKind::ElaborarNota.as_str() && one("vista_previa").is_some() {
        return request_page_with(&st, tr, &user, &id, (None, None), Some(draft()), StatusCode::OK).await;
    }
    let input = TransitionIn {
        accion: accion.clone(),
        comentario: one("comentario"),
        lider_id: one("lider_id"),
        devolver_a: one("devolver_a"),
        habilitacion,
        nota: one("cuerpo").map(|cuerpo| iop_app::dto::NoteIn {
            cuerpo,
            recomendaciones: one("recomendaciones"),
        }),
        nota_sha256: one("nota_sha256"),
        version,
    };
    match iop_app::service::transition(&st, &user.user, &id, input).await {
        Ok(r) => Redirect::to(&format!("/solicitudes/{}?hecho={}", r.code, session::encode(&accion))).into_response(),
        Err(e) => {
            let status = status_of(&e);
            let kept = (accion == ActionKind::ElaborarNota.as_str()).then(draft);
            request_page_with(&st, tr, &user, &id, (None, Some(tr.error(&e))), kept, status).await
        }
    }
}

/// How many new services one publication form offers (a request may name more through the API).
const PUBLICATION_ROWS: usize = 3;

/// One new service to publish, as typed, with the part at fault if any.
#[derive(Default, Clone)]
struct PublicationRow {
    codigo: String,
    version: String,
    nombre: String,
    descripcion: String,
    /// `codigo`, `version`, `nombre` or `descripcion` when the error names this row's field.
    invalido: String,
    /// Its place in the form, from 0, and as people count, from 1.
    i: usize,
    n: String,
}

#[derive(Template)]
#[template(path = "nueva.html")]
struct NewRequestPage {
    f: Frame,
    csrf: String,
    /// (stable name, chosen)
    tipos: Vec<(&'static str, bool)>,
    /// (id, label, chosen)
    sistemas: Vec<(String, String, bool)>,
    servicios: Vec<(String, String, bool)>,
    entidades: Vec<(String, String, bool)>,
    publicaciones: Vec<PublicationRow>,
    documentos: Vec<(&'static str, bool)>,
    justificacion: String,
    sistema_nombre: String,
    sistema_proposito: String,
    error: Option<String>,
    /// The field at fault, if any (its control gets the error's id).
    campo: String,
}

/// What the user typed, kept when the form comes back with an error.
#[derive(Default)]
struct Typed {
    tipo: String,
    sistema: String,
    /// A system not in the catalog, proposed by name and purpose.
    sistema_nombre: String,
    sistema_proposito: String,
    servicios: Vec<String>,
    entidad: String,
    publicaciones: Vec<PublicationRow>,
    documento: String,
    justificacion: String,
}

impl PublicationRow {
    /// A row the user left empty: not a service.
    fn is_blank(&self) -> bool {
        self.codigo.trim().is_empty() && self.version.trim().is_empty() && self.nombre.trim().is_empty()
    }
}

impl Typed {
    /// The new services the user filled in (blank rows are not services).
    fn publications(&self) -> Vec<iop_app::dto::PublicationIn> {
        self.publicaciones
            .iter()
            .filter(|p| !p.is_blank())
            .map(|p| iop_app::dto::PublicationIn {
                codigo: p.codigo.trim().to_owned(),
                // Not a number: 0, which the version's own check refuses with its message.
                version: p.version.trim().trim_start_matches('v').parse().unwrap_or(0),
                nombre: p.nombre.trim().to_owned(),
                descripcion: Some(p.descripcion.trim().to_owned()).filter(|d| !d.is_empty()),
            })
            .collect()
    }
}

async fn new_request_page(
    st: &AppState,
    tr: Tr,
    user: &WebUser,
    typed: &Typed,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Response {
    let (systems, services) = match iop_app::service::consumption_choices(st).await {
        Ok(x) => x,
        Err(e) => return failed(tr, Some(user), &e),
    };
    let entities = match iop_app::service::publisher_choices(st).await {
        Ok(x) => x,
        Err(e) => return failed(tr, Some(user), &e),
    };
    let (error, campo) = match error {
        Some((m, c)) => (Some(m), c),
        None => (None, String::new()),
    };
    // The rows as typed (the error's row and field marked), then blank ones up to the form's size.
    let filled: Vec<PublicationRow> = typed.publicaciones.iter().filter(|p| !p.is_blank()).cloned().collect();
    let mut publicaciones: Vec<PublicationRow> = filled
        .into_iter()
        .enumerate()
        .map(|(i, mut p)| {
            let head = format!("servicios_publicacion[{i}].");
            p.invalido = campo.strip_prefix(&head).unwrap_or("").to_owned();
            p
        })
        .collect();
    while publicaciones.len() < PUBLICATION_ROWS {
        publicaciones.push(PublicationRow::default());
    }
    for (i, p) in publicaciones.iter_mut().enumerate() {
        (p.i, p.n) = (i, (i + 1).to_string());
    }
    let tipo = if typed.tipo.is_empty() { "consumo" } else { typed.tipo.as_str() };
    let page = NewRequestPage {
        f: Frame::new(tr, Some(user), "/solicitudes/nueva"),
        csrf: user.csrf(),
        tipos: iop_domain::RequestKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.as_str() == tipo))
            .collect(),
        entidades: entities
            .into_iter()
            .map(|e| {
                let id = e.id.to_string();
                let chosen = id == typed.entidad;
                (id, format!("{} ({})", e.nombre.as_str(), e.sigla.as_str()), chosen)
            })
            .collect(),
        publicaciones,
        sistemas: systems
            .into_iter()
            .map(|s| {
                let id = s.id.to_string();
                let chosen = id == typed.sistema;
                (id, format!("{} ({})", s.nombre.as_str(), s.code.as_str()), chosen)
            })
            .collect(),
        servicios: services
            .into_iter()
            .map(|s| {
                let id = s.id.to_string();
                let chosen = typed.servicios.contains(&id);
                (
                    id,
                    format!("{} — {} v{}", s.nombre.as_str(), s.code.as_str(), s.version.get()),
                    chosen,
                )
            })
            .collect(),
        documentos: ["NI", "NTA", "IL"].into_iter().map(|d| (d, d == typed.documento)).collect(),
        justificacion: typed.justificacion.clone(),
        sistema_nombre: typed.sistema_nombre.clone(),
        sistema_proposito: typed.sistema_proposito.clone(),
        error,
        campo,
    };
    render(&page, status)
}

/// The form for a new consumption request (step 1 starts from its draft).
pub async fn new_request_form(State(st): State<AppState>, headers: HeaderMap, user: WebUser) -> Response {
    let tr = Tr::from_headers(&headers);
    new_request_page(&st, tr, &user, &Typed::default(), None, StatusCode::OK).await
}

/// Creates the draft with its supporting document, then shows it (where it can be submitted).
/// The document is checked before anything is written, so a refused form leaves nothing behind.
pub async fn new_request(State(st): State<AppState>, headers: HeaderMap, user: WebUser, mut form: axum::extract::Multipart) -> Response {
    let tr = Tr::from_headers(&headers);
    let mut typed = Typed::default();
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                let e = AppError::of("multipart_invalido", &[]);
                return new_request_page(&st, tr, &user, &typed, Some((tr.error(&e), String::new())), status_of(&e)).await;
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "archivo" {
            let filename = field.file_name().unwrap_or("documento.pdf").to_owned();
            match field.bytes().await {
                Ok(b) if !b.is_empty() => file = Some((filename, b.to_vec())),
                Ok(_) => {}
                Err(_) => {
                    let e = AppError::of("archivo_muy_grande", &[]);
                    return new_request_page(&st, tr, &user, &typed, Some((tr.error(&e), "archivo".into())), status_of(&e)).await;
                }
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "_csrf" => csrf = value,
            "tipo" => typed.tipo = value,
            "sistema_id" => typed.sistema = value,
            "sistema_nombre" => typed.sistema_nombre = value,
            "sistema_proposito" => typed.sistema_proposito = value,
            "servicios" => typed.servicios.push(value),
            "entidad_publicadora_id" => typed.entidad = value,
            "documento_tipo" => typed.documento = value,
            "justificacion" => typed.justificacion = value,
            other => {
                // A new service to publish: `pub-<part>-<row>`.
                let mut parts = other.splitn(3, '-');
                if let (Some("pub"), Some(part), Some(Ok(row))) = (parts.next(), parts.next(), parts.next().map(str::parse::<usize>))
                    && row < PUBLICATION_ROWS
                {
                    if typed.publicaciones.len() <= row {
                        typed.publicaciones.resize(row + 1, PublicationRow::default());
                    }
                    if let Some(p) = typed.publicaciones.get_mut(row) {
                        match part {
                            "codigo" => p.codigo = value,
                            "version" => p.version = value,
                            "nombre" => p.nombre = value,
                            "descripcion" => p.descripcion = value,
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    if !session::same(&user.csrf(), &csrf) {
        return new_request_page(
            &st,
            tr,
            &user,
            &typed,
            Some((tr.t("error-csrf"), String::new())),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let refuse = |e: AppError| {
        let campo = e.field.clone().unwrap_or_default();
        (tr.error(&e), campo, status_of(&e))
    };
    let checked = match &file {
        None => Err(refuse(AppError::of("campo_requerido.archivo", &[]).field("archivo"))),
        Some((_, b)) if !iop_app::service::looks_like_pdf(b) => Err(refuse(AppError::of("no_es_pdf", &[]).field("archivo"))),
        Some(_) if !["NI", "NTA", "IL"].contains(&typed.documento.as_str()) => {
            Err(refuse(AppError::of("campo_requerido.tipo-documento", &[]).field("documento_tipo")))
        }
        Some(_) => Ok(()),
    };
    if let Err((m, c, status)) = checked {
        return new_request_page(&st, tr, &user, &typed, Some((m, c)), status).await;
    }
    // The form shows both parts; only the chosen kind's part is the request's.
    let kind = iop_domain::RequestKind::parse(&typed.tipo).ok();
    let consumes = kind.is_some_and(|k| k.consumes());
    let publishes = kind.is_some_and(|k| k.publishes());
    let input = iop_app::dto::RequestIn {
        tipo: typed.tipo.clone(),
        sistema_id: Some(typed.sistema.clone()).filter(|s| consumes && !s.is_empty()),
        // A system proposed by name when none of the catalog's was chosen.
        sistema_propuesto: (consumes
            && typed.sistema.is_empty()
            && !(typed.sistema_nombre.trim().is_empty() && typed.sistema_proposito.trim().is_empty()))
        .then(|| iop_app::dto::ProposedSystemIn {
            nombre: typed.sistema_nombre.trim().to_owned(),
            proposito: typed.sistema_proposito.trim().to_owned(),
        }),
        entidad_publicadora_id: Some(typed.entidad.clone()).filter(|s| publishes && !s.is_empty()),
        justificacion: typed.justificacion.clone(),
        servicios: if consumes { typed.servicios.clone() } else { Vec::new() },
        servicios_publicacion: if publishes { typed.publications() } else { Vec::new() },
    };
    let rec = match iop_app::service::create_request(&st, &user.user, input).await {
        Ok(r) => r,
        Err(e) => {
            let (m, c, status) = refuse(e);
            return new_request_page(&st, tr, &user, &typed, Some((m, c)), status).await;
        }
    };
    let (filename, bytes) = file.unwrap_or_default();
    let id = rec.id.to_string();
    match iop_app::service::attach_document(&st, &user.user, &id, &typed.documento, &filename, &bytes).await {
        Ok(r) => Redirect::to(&format!("/solicitudes/{}", r.code)).into_response(),
        Err(e) => request_page(&st, tr, &user, &id, None, Some(tr.error(&e)), status_of(&e)).await,
    }
}

/// One retrieved credential, shown this once.
struct SecretRow {
    tipo: String,
    pista: String,
    clave: Option<String>,
    iss: Option<String>,
    secreto: Option<String>,
}

#[derive(Template)]
#[template(path = "credenciales.html")]
struct SecretsPage {
    f: Frame,
    codigo: String,
    filas: Vec<SecretRow>,
}

/// Retrieves step 4's accesses, once in total, for the requesting unit: the secrets are shown on
/// this answer only (never cached), then erased from the platform.
pub async fn retrieve(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    if !session::same(&user.csrf(), &form.csrf) {
        return csrf_refused(&st, tr, &user, &id).await;
    }
    match iop_app::accesses::retrieve(&st, &user.user, &id).await {
        Ok(out) => {
            let page = SecretsPage {
                f: Frame::new(tr, Some(&user), &format!("/solicitudes/{id}")),
                codigo: id.clone(),
                filas: out
                    .credenciales
                    .into_iter()
                    .map(|c| SecretRow {
                        tipo: tr.of("credencial-", &c.credencial.tipo),
                        pista: c.credencial.pista,
                        clave: c.clave,
                        iss: c.iss,
                        secreto: c.secreto,
                    })
                    .collect(),
            };
            render(&page, StatusCode::OK)
        }
        Err(e) => {
            let status = status_of(&e);
            request_page(&st, tr, &user, &id, None, Some(tr.error(&e)), status).await
        }
    }
}

#[derive(Template)]
#[template(path = "contrasena.html")]
struct PasswordPage {
    f: Frame,
    csrf: String,
    error: Option<String>,
}

fn password_page(tr: Tr, user: &WebUser, error: Option<String>, status: StatusCode) -> Response {
    render(
        &PasswordPage {
            f: Frame::new(tr, Some(user), "/contrasena"),
            csrf: user.csrf(),
            error,
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "avisos.html")]
struct NoticesPage {
    f: Frame,
    csrf: String,
    correo: String,
    /// (kind, label, chosen).
    tipos: Vec<(&'static str, String, bool)>,
    guardado: bool,
    error: Option<String>,
}

fn notices_page(
    tr: Tr,
    user: &WebUser,
    correo: String,
    kinds: &[String],
    guardado: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    render(
        &NoticesPage {
            f: Frame::new(tr, Some(user), "/avisos"),
            csrf: user.csrf(),
            correo,
            tipos: iop_app::notices::KINDS
                .iter()
                .map(|k| (*k, tr.t(&format!("avisos-tipo-{k}")), kinds.iter().any(|c| c == k)))
                .collect(),
            guardado,
            error,
        },
        status,
    )
}

#[derive(Deserialize, Default)]
pub struct NoticesQuery {
    guardado: Option<String>,
}

/// One's address for notices and the kinds one receives.
pub async fn notices_form(State(st): State<AppState>, headers: HeaderMap, user: WebUser, Query(q): Query<NoticesQuery>) -> Response {
    let tr = Tr::from_headers(&headers);
    match iop_app::notices::own(&st, &user.user).await {
        Ok(c) => notices_page(
            tr,
            &user,
            c.email.unwrap_or_default(),
            &c.kinds,
            q.guardado.is_some(),
            None,
            StatusCode::OK,
        ),
        Err(e) => failed(tr, Some(&user), &e),
    }
}

/// Saves them (a form with `_csrf`, `correo` and one `avisos` per kind chosen).
pub async fn save_notices(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let form = session::Fields(form);
    let correo = form.one("correo").unwrap_or_default();
    let kinds = form.all("avisos");
    if !form.csrf_ok(&user) {
        return notices_page(tr, &user, correo, &kinds, false, Some(tr.t("error-csrf")), StatusCode::FORBIDDEN);
    }
    match iop_app::notices::set_own(&st, &user.user, Some(&correo), &kinds).await {
        Ok(_) => Redirect::to("/avisos?guardado=1").into_response(),
        Err(e) => notices_page(tr, &user, correo, &kinds, false, Some(tr.error(&e)), status_of(&e)),
    }
}

pub async fn password_form(headers: HeaderMap, user: WebUser) -> Response {
    password_page(Tr::from_headers(&headers), &user, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    actual: String,
    nueva: String,
    repetida: String,
}

/// Changes one's own password; every session ends, so the user logs in again with it.
pub async fn change_password(
    State(st): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    session::ClientIp(addr): session::ClientIp,
    Form(form): Form<PasswordForm>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    if !session::same(&user.csrf(), &form.csrf) {
        return password_page(tr, &user, Some(tr.t("error-csrf")), StatusCode::FORBIDDEN);
    }
    if form.nueva != form.repetida {
        return password_page(tr, &user, Some(tr.t("contrasena-no-coinciden")), StatusCode::UNPROCESSABLE_ENTITY);
    }
    match iop_app::auth::change_own_password(&st, &user.user, addr, form.actual, &form.nueva).await {
        Ok(()) => {
            let mut res = Redirect::to("/ingresar?cambiada=1").into_response();
            if let Ok(v) = session::set_cookie(&st, SESSION_COOKIE, "", "/", 0).parse() {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => password_page(tr, &user, Some(tr.error(&e)), status_of(&e)),
    }
}

/// Switches the language and comes back.
pub async fn language(State(st): State<AppState>, Path(lang): Path<String>, Query(q): Query<Next>) -> Response {
    let lang = if lang == "en" { "en" } else { "es" };
    let back = q.siguiente.as_deref().and_then(session::local_path).unwrap_or("/bandeja");
    let mut res = Redirect::to(back).into_response();
    if let Ok(v) = session::set_cookie(&st, LANG_COOKIE, lang, "/", 365 * 86400).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The one script: copy buttons on the one-time secrets page (the pages work without it).
/// The note's draft saver (step 5's form), embedded in the binary.
pub async fn draft_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/borrador.js"),
    )
        .into_response()
}

pub async fn copy_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/copiar.js"),
    )
        .into_response()
}

/// The one style sheet, embedded in the binary.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/estilo.css"),
    )
        .into_response()
}
