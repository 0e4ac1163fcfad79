//! Notices (issue 15): on every hand-over, whoever must act next learns it without logging in;
//! the requesting unit learns of observations, rejections and the delivery of its accesses. The
//! notices a transition causes are computed here before it commits and queued in its own
//! transaction ([`for_transition`]); a worker delivers them by e-mail (SMTP through the
//! configured relay) and retries with backoff until each goes, once ([`spawn`]). A failed
//! delivery never blocks the procedure. Texts come from the interface's catalog, in Spanish; a
//! notice never carries a secret (the accesses are retrieved on the platform).
//!
//! Delivery times are the machine's clock (`SystemClock`): retries are a real-world schedule,
//! whatever clock the procedure runs on.

use crate::error::{AppError, AppResult};
use crate::{AppState, Clock, SystemClock};
use iop_domain::{ActionKind, Actor, Role, State, Transition};
use iop_i18n::Lang;
use iop_store::{Contact, NoticeRec, RequestRec, UserRec};
use std::time::Duration;

/// The kinds of notice a user may choose: a request waits for them (`turno`), their unit's was
/// returned or rejected (`observacion`), their unit's accesses are ready (`accesos`), a grant of
/// their unit (or that they granted) ends soon (`vencimiento`), the daily digest of overdue
/// requests (`resumen`: those waiting for them; the heads of UPAT and ADAS, all).
pub const KINDS: [&str; 6] = ["turno", "observacion", "accesos", "vencimiento", "cambios", "resumen"];

/// How e-mail leaves: the relay and the sender.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The sender's address, e.g. `iop@agetic.gob.bo`.
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password is a secret: never in a log line.
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on the same machine or network).
    Ninguna,
    /// STARTTLS on the submission port (587).
    StartTls,
    /// TLS from the start (465).
    Tls,
}

/// Where every hand-over is posted as signed JSON, and the key that signs it.
#[derive(Clone)]
pub struct WebhookConfig {
    pub urls: Vec<String>,
    /// HMAC-SHA-256 key: each POST carries `X-IOP-Firma: sha256=<hex of the body's MAC>`.
    pub secret: String,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig").field("urls", &self.urls).finish_non_exhaustive()
    }
}

/// Settings of the notices.
#[derive(Debug, Clone)]
pub struct NoticeConfig {
    /// Without a relay no e-mail is queued.
    pub smtp: Option<SmtpConfig>,
    /// Without it no webhook is queued.
    pub webhooks: Option<WebhookConfig>,
    /// How often the worker looks for notices due.
    pub every: Duration,
    /// The first retry's delay; each later one doubles it, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// From this time of a working day (La Paz) that day's digest and warnings are queued.
    pub daily_at: time::Time,
    /// Grants are warned of this many working days before their last day.
    pub ending_days: u32,
}

impl Default for NoticeConfig {
    fn default() -> Self {
        Self {
            smtp: None,
            webhooks: None,
            every: Duration::from_secs(5),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            daily_at: time::Time::from_hms(8, 0, 0).unwrap_or(time::Time::MIDNIGHT),
            ending_days: 10,
        }
    }
}

/// The users a notice may reach, with the roles they hold now (their own and their suplencias').
async fn people(st: &AppState) -> AppResult<Vec<(UserRec, Actor, Contact)>> {
    let now = st.now();
    let contacts = st.store.contacts().await?;
    let suplencias = st.store.list_suplencias().await?;
    let mut out = Vec::new();
    for mut u in st.store.list_users().await?.into_iter().filter(|u| u.active) {
        let Some(c) = contacts.iter().find(|c| c.user == u.id).cloned() else {
            continue;
        };
        let id = u.id;
        for s in suplencias.iter().filter(|s| s.user == id && s.in_force(now)) {
            crate::suplencias::take_on(&mut u, s.clone());
        }
        let actor = u.actor();
        out.push((u, actor, c));
    }
    Ok(out)
}

/// The link to a request's page, when the platform knows its public address.
fn link(st: &AppState, code: &str) -> String {
    st.config
        .public_url
        .as_ref()
        .map(|u| format!("{u}/solicitudes/{code}"))
        .unwrap_or_default()
}

/// The notices a transition causes, to queue with it: to whoever it now waits for (not the
/// actor), to the requesting unit when it is returned to it, rejected or its accesses are ready.
/// Each person once per kind, by e-mail if they have an address and chose that kind.
pub async fn for_transition(
    st: &AppState,
    actor: &UserRec,
    rec: &RequestRec,
    t: &Transition,
    comment: Option<&str>,
    delivery_until: Option<time::OffsetDateTime>,
) -> AppResult<Vec<NoticeRec>> {
    let now = st.now();
    let mut out = Vec::new();
    // Every hand-over, to each webhook: what happened, never a secret.
    out.extend(events(
        st,
        &format!("{} {}", rec.code.as_str(), t.action.as_str()),
        Some(rec.code.as_str()),
        |id| {
            serde_json::json!({
                "evento": "solicitud.transicion",
                "aviso": id,
                "solicitud": rec.code.as_str(),
                "tipo": rec.content.kind.as_str(),
                "accion": t.action.as_str(),
                "paso": t.step,
                "de": t.from.as_str(),
                "a": t.to.as_str(),
                "actor": actor.login.as_str(),
                "rol": t.role.as_str(),
                "espera_rol": t.waiting.role.map(|r| r.as_str()),
                "fecha": crate::service::rfc3339(now),
            })
        },
    ));
    if st.config.notices.smtp.is_none() {
        return Ok(out);
    }
    let web = iop_i18n::web();
    let tx = |key: &str, args: &[(&str, iop_i18n::Arg)]| web.text(Lang::Es, key, args);
    let code = rec.code.as_str();
    let state = tx(&format!("estado-{}", t.to.as_str()), &[]);
    let action = tx(&format!("accion-{}", t.action.as_str()), &[]);
    let next = t
        .next
        .forward()
        .map(|a| tx(&format!("accion-{}", a.as_str()), &[]))
        .unwrap_or_default();
    let who = format!("{} ({})", actor.nombre.as_str(), t.role.label_es());
    let arg = |s: &str| iop_i18n::Arg::Text(s.to_owned());
    let base = [
        ("codigo", arg(code)),
        ("estado", arg(&state)),
        ("accion", arg(&action)),
        ("actor", arg(&who)),
        ("siguiente", arg(&next)),
        ("enlace", arg(&link(st, code))),
    ];
    let unit_requesters = |a: &Actor| a.roles.has(Role::Solicitante) && a.unit == Some(rec.facts.unit);
    let mut wanted: Vec<(iop_domain::UserId, &'static str)> = Vec::new();
    let people = people(st).await?;
    for (u, a, _) in &people {
        if u.id == actor.id {
            continue;
        }
        if t.waiting.includes(a) {
            wanted.push((u.id, if t.to == State::Observada { "observacion" } else { "turno" }));
        }
        if t.action == ActionKind::Rechazar && unit_requesters(a) {
            wanted.push((u.id, "observacion"));
        }
    }
    if delivery_until.is_some() {
        for (u, a, _) in &people {
            if unit_requesters(a) {
                wanted.push((u.id, "accesos"));
            }
        }
    }
    // A new version published (step 4 of a publication): the consumers of its earlier versions.
    let mut newer: Vec<(String, Vec<iop_domain::UserId>)> = Vec::new();
    if t.action == ActionKind::Habilitar
        && let Some(publisher) = rec.content.publisher
    {
        let services = st.store.list_services(Some(publisher)).await?;
        for p in &rec.content.publications {
            let mut told = Vec::new();
            for old in services
                .iter()
                .filter(|s| s.code == p.code && s.version.get() < p.version.get() && s.state == iop_store::ServiceState::Publicado)
            {
                for (_, unit, leader) in st.store.grants_of_service(old.id).await? {
                    for (u, a, _) in &people {
                        if (a.roles.has(Role::Solicitante) && a.unit == Some(unit)) || leader == Some(u.id) {
                            told.push(u.id);
                        }
                    }
                }
            }
            told.sort();
            told.dedup();
            if !told.is_empty() {
                newer.push((format!("{} v{}", p.code.as_str(), p.version.get()), told));
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    for (user, kind) in wanted {
        let Some((_, _, c)) = people.iter().find(|(u, _, _)| u.id == user) else {
            continue;
        };
        let (Some(email), true) = (&c.email, c.kinds.iter().any(|k| k == kind)) else {
            continue;
        };
        let mut args = base.to_vec();
        if let Some(until) = delivery_until {
            args.push(("vence", arg(&iop_domain::calendar::fmt_local_minute(until))));
        }
        args.push(("comentario", arg(comment.unwrap_or("—"))));
        out.push(mail(st, email, kind, &args, Some(code)));
    }
    for (label, told) in newer {
        let args = [("servicio", arg(&label)), ("enlace", arg(&link(st, code)))];
        for user in told {
            let Some((_, _, c)) = people.iter().find(|(u, _, _)| u.id == user) else {
                continue;
            };
            if let (Some(email), true) = (&c.email, c.kinds.iter().any(|k| k == "cambios")) {
                out.push(mail(st, email, "nueva-version", &args, Some(code)));
            }
        }
    }
    Ok(out)
}

/// The notices of a service version marked deprecated: to the requesting units of its grants and
/// the Líderes who granted them (`cambios`), and one event to each webhook; queued with the mark.
pub async fn for_deprecation(
    st: &AppState,
    service: &iop_store::ServiceRec,
    from: time::OffsetDateTime,
    sunset: Option<time::OffsetDateTime>,
) -> AppResult<Vec<NoticeRec>> {
    let label = format!("{} v{}", service.code.as_str(), service.version.get());
    let mut out = Vec::new();
    out.extend(events(st, &format!("{label} obsolescencia"), None, |id| {
        serde_json::json!({
            "evento": "servicio.obsolescencia",
            "aviso": id,
            "servicio": label,
            "servicio_id": service.id.to_string(),
            "obsoleto_desde": crate::service::rfc3339(from),
            "retiro": sunset.map(crate::service::rfc3339),
        })
    }));
    if st.config.notices.smtp.is_none() {
        return Ok(out);
    }
    let grants = st.store.grants_of_service(service.id).await?;
    let people = people(st).await?;
    let arg = |s: &str| iop_i18n::Arg::Text(s.to_owned());
    let day = |t: time::OffsetDateTime| iop_domain::calendar::fmt_date(t.to_offset(iop_domain::calendar::LA_PAZ).date());
    let retiro = sunset.map(day).unwrap_or_else(|| "—".to_owned());
    let args = [("servicio", arg(&label)), ("desde", arg(&day(from))), ("retiro", arg(&retiro))];
    for (u, a, c) in &people {
        let concerned = grants
            .iter()
            .any(|(_, unit, leader)| (a.roles.has(Role::Solicitante) && a.unit == Some(*unit)) || *leader == Some(u.id));
        let email = c.email.clone().filter(|_| c.kinds.iter().any(|k| k == "cambios"));
        if let (true, Some(email)) = (concerned, email) {
            out.push(mail(st, &email, "cambios", &args, None));
        }
    }
    Ok(out)
}

/// A text without runs of blank lines (an empty link leaves one).
fn tidy(text: &str) -> String {
    let mut out = text.trim().to_owned();
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out
}

/// Sets one's own address for notices and the kinds one receives.
pub async fn set_own(st: &AppState, user: &UserRec, email: Option<&str>, kinds: &[String]) -> AppResult<Contact> {
    let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(e) => Some(
            e.parse::<lettre::Address>()
                .map_err(|_| AppError::of("correo_invalido", &[]).field("correo"))?
                .to_string(),
        ),
    };
    let mut chosen: Vec<String> = Vec::new();
    for k in kinds {
        if !KINDS.contains(&k.as_str()) {
            return Err(AppError::of("aviso_invalido", iop_i18n::args![opciones = &KINDS.join(", ")]).field("avisos"));
        }
        if !chosen.contains(k) {
            chosen.push(k.clone());
        }
    }
    let c = Contact {
        user: user.id,
        email,
        kinds: chosen,
    };
    st.store.set_contact(&c, &iop_store::AuditBy::user(user), st.now()).await?;
    Ok(c)
}

/// Whether `s` is an e-mail address.
pub fn valid_address(s: &str) -> bool {
    s.trim().parse::<lettre::Address>().is_ok()
}

/// One's own address and choices.
pub async fn own(st: &AppState, user: &UserRec) -> AppResult<Contact> {
    Ok(st
        .store
        .contacts()
        .await?
        .into_iter()
        .find(|c| c.user == user.id)
        .unwrap_or(Contact {
            user: user.id,
            email: None,
            kinds: Vec::new(),
        }))
}

/// The delivery log (Administrador).
pub async fn log(st: &AppState, user: &UserRec, limit: i64) -> AppResult<Vec<NoticeRec>> {
    crate::service::require_admin(user)?;
    Ok(st.store.recent_notices(limit.clamp(1, 500)).await?)
}

/// Delivers the notices due now; returns how many went. Each is marked sent only after the relay
/// took it, and only once; a failure schedules the next attempt further away each time.
pub async fn deliver_due(st: &AppState) -> AppResult<usize> {
    let cfg = &st.config.notices;
    let now = SystemClock.now();
    let due = st.store.due_notices(now, 50).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut sent = 0;
    for n in due {
        let result = match (n.channel.as_str(), &cfg.smtp, &cfg.webhooks) {
            ("correo", Some(smtp), _) => send_mail(smtp, &n).await,
            ("webhook", _, Some(hooks)) => post_webhook(hooks, &n).await,
            _ => Err(format!("canal sin configurar: {}", n.channel)),
        };
        match result {
            Ok(()) => {
                if st.store.notice_sent(&n.id, SystemClock.now()).await? {
                    sent += 1;
                }
            }
            Err(e) => {
                let factor = 1u32 << n.attempts.clamp(0, 16);
                let wait = cfg.retry_base.saturating_mul(factor).min(cfg.retry_max);
                tracing::warn!(aviso = %n.id, intento = n.attempts + 1, error = %e, "aviso no entregado; se reintentará");
                st.store.notice_failed(&n.id, &e, SystemClock.now() + wait).await?;
            }
        }
    }
    Ok(sent)
}

async fn send_mail(smtp: &SmtpConfig, n: &NoticeRec) -> Result<(), String> {
    use lettre::message::header::{ContentType, HeaderName, HeaderValue};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let from = smtp.from.parse::<lettre::message::Mailbox>().map_err(|e| e.to_string())?;
    let to = n.recipient.parse::<lettre::message::Mailbox>().map_err(|e| e.to_string())?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(n.subject.clone())
        .header(ContentType::TEXT_PLAIN);
    builder = builder.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("X-IOP-Aviso"), n.id.clone()));
    let message = builder.body(n.body.clone()).map_err(|e| e.to_string())?;
    let transport = match smtp.security {
        SmtpSecurity::Ninguna => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str()),
        SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(|e| e.to_string())?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(|e| e.to_string())?,
    };
    let mut transport = transport.port(smtp.port).timeout(Some(Duration::from_secs(15)));
    if let (Some(u), Some(p)) = (&smtp.user, &smtp.password) {
        transport = transport.credentials(lettre::transport::smtp::authentication::Credentials::new(u.clone(), p.clone()));
    }
    transport.build().send(message).await.map(|_| ()).map_err(|e| e.to_string())
}

/// The signature of a webhook's body: `sha256=` and the hex of its HMAC-SHA-256 under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The webhooks' HTTP client (http and https, the public CA roots), built once.
fn webhook_client() -> &'static hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Full<bytes::Bytes>,
> {
    static CLIENT: std::sync::OnceLock<
        hyper_util::client::legacy::Client<
            hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
            http_body_util::Full<bytes::Bytes>,
        >,
    > = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(https)
    })
}

async fn post_webhook(hooks: &WebhookConfig, n: &NoticeRec) -> Result<(), String> {
    let req = hyper::Request::post(n.recipient.as_str())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header("x-iop-aviso", n.id.as_str())
        .header("x-iop-firma", signature(&hooks.secret, n.body.as_bytes()))
        .body(http_body_util::Full::new(bytes::Bytes::from(n.body.clone())))
        .map_err(|e| e.to_string())?;
    let res = tokio::time::timeout(Duration::from_secs(10), webhook_client().request(req))
        .await
        .map_err(|_| "tiempo agotado".to_owned())?
        .map_err(|e| e.to_string())?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("respuesta {}", res.status()))
    }
}

/// An event to queue now for each configured webhook; `event` builds its body from the
/// notice's id (its `aviso`).
fn events(st: &AppState, subject: &str, code: Option<&str>, event: impl Fn(&str) -> serde_json::Value) -> Vec<NoticeRec> {
    let Some(hooks) = &st.config.notices.webhooks else {
        return Vec::new();
    };
    hooks
        .urls
        .iter()
        .map(|url| {
            let id = iop_domain::UserId::generate().to_string();
            NoticeRec {
                body: event(&id).to_string(),
                id,
                channel: "webhook".into(),
                recipient: url.clone(),
                kind: "evento".into(),
                subject: subject.to_owned(),
                request_code: code.map(str::to_owned),
                created_at: st.now(),
                attempts: 0,
                next_attempt_at: SystemClock.now(),
                sent_at: None,
                last_error: None,
            }
        })
        .collect()
}

/// An e-mail to queue now.
fn mail(st: &AppState, to: &str, kind: &str, args: &[(&str, iop_i18n::Arg)], code: Option<&str>) -> NoticeRec {
    let web = iop_i18n::web();
    NoticeRec {
        id: iop_domain::UserId::generate().to_string(),
        channel: "correo".into(),
        recipient: to.to_owned(),
        kind: kind.into(),
        subject: web.text(Lang::Es, &format!("aviso-{kind}-asunto"), args),
        body: tidy(&web.text(Lang::Es, &format!("aviso-{kind}-cuerpo"), args)),
        request_code: code.map(str::to_owned),
        created_at: st.now(),
        attempts: 0,
        next_attempt_at: SystemClock.now(),
        sent_at: None,
        last_error: None,
    }
}

/// Once each working day, from `daily_at` (La Paz, by the procedure's clock): the digest of
/// overdue requests to those they wait for (and all of them to the heads of UPAT and ADAS), and
/// the warning of each grant whose last day is within `ending_days` working days, to its
/// requesting unit and to the Líder who granted it (once per grant). Queued in one transaction
/// with the day's mark, so a day's notices go once whichever node gets there. Returns whether
/// this call queued them.
pub async fn daily(st: &AppState) -> AppResult<bool> {
    let cfg = &st.config.notices;
    if cfg.smtp.is_none() {
        return Ok(false);
    }
    let now = st.now();
    let local = now.to_offset(iop_domain::calendar::LA_PAZ);
    let cal = &st.config.calendar;
    if !cal.is_working_day(local.date()) || local.time() < cfg.daily_at {
        return Ok(false);
    }
    let day = iop_domain::calendar::fmt_date(local.date());
    let people = people(st).await?;
    let wants = |c: &Contact, kind: &str| c.email.clone().filter(|_| c.kinds.iter().any(|k| k == kind));
    let arg = |s: &str| iop_i18n::Arg::Text(s.to_owned());
    let web = iop_i18n::web();
    let mut out = Vec::new();

    // The digest: each overdue request, to whom it waits for and to the heads.
    let mut overdue: Vec<(RequestRec, String)> = Vec::new();
    for row in st.store.report_rows().await? {
        let Some(deadline) = st.config.deadlines.get(&row.state) else {
            continue;
        };
        let Some(r) = st.store.get_request(row.id).await? else {
            continue;
        };
        let due = cal.due(r.state_since, *deadline);
        if now >= due {
            let line = format!(
                "- {}: {} — vencida desde {}",
                r.code.as_str(),
                web.text(Lang::Es, &format!("estado-{}", r.facts.state.as_str()), &[]),
                iop_domain::calendar::fmt_local_minute(due)
            );
            overdue.push((r, line));
        }
    }
    if !overdue.is_empty() {
        for (_, a, c) in &people {
            let Some(email) = wants(c, "resumen") else {
                continue;
            };
            let head = a.roles.has(Role::JefeUpat) || a.roles.has(Role::ResponsableAdas);
            let lines: Vec<&str> = overdue
                .iter()
                .filter(|(r, _)| head || r.waiting.includes(a))
                .map(|(_, l)| l.as_str())
                .collect();
            if lines.is_empty() {
                continue;
            }
            let args = [
                ("fecha", arg(&day)),
                ("n", iop_i18n::Arg::Number(lines.len() as i64)),
                ("lista", arg(&lines.join("\n"))),
                (
                    "enlace",
                    arg(&st.config.public_url.clone().map(|p| format!("{p}/bandeja")).unwrap_or_default()),
                ),
            ];
            out.push(mail(st, &email, "resumen", &args, None));
        }
    }

    // The grants about to end, once each.
    let through = cal
        .due(now, iop_domain::Deadline::WorkingDays(cfg.ending_days))
        .to_offset(iop_domain::calendar::LA_PAZ)
        .date();
    let warned = st.store.warned_grants().await?;
    let mut warning = Vec::new();
    for g in st.store.grants_ending(through).await? {
        let Some(last) = g.grant.spec.valid_until else {
            continue;
        };
        if last < local.date() || warned.contains(&g.grant.id) {
            continue;
        }
        let leader = st.store.get_request(g.grant.request).await?.and_then(|r| r.facts.assignee);
        let args = [
            ("codigo", arg(g.request_code.as_str())),
            ("sistema", arg(&g.system_code)),
            ("servicio", arg(&format!("{} v{}", g.service_code, g.service_version))),
            ("hasta", arg(&iop_domain::calendar::fmt_date(last))),
            ("enlace", arg(&link(st, g.request_code.as_str()))),
        ];
        for (u, a, c) in &people {
            let concerned = (a.roles.has(Role::Solicitante) && a.unit == Some(g.unit)) || Some(u.id) == leader;
            if let (true, Some(email)) = (concerned, wants(c, "vencimiento")) {
                out.push(mail(st, &email, "vencimiento", &args, Some(g.request_code.as_str())));
            }
        }
        warning.push(g.grant.id);
    }
    Ok(st.store.queue_daily(&day, &out, &warning, now).await?)
}

/// The worker: queues the day's scheduled notices when their time comes, and delivers what is
/// due, every `every`, for as long as the process runs.
pub fn spawn(st: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(st.config.notices.every).await;
            if let Err(e) = daily(&st).await {
                tracing::warn!(error = %e, "no se pudieron preparar los avisos del día");
            }
            if let Err(e) = deliver_due(&st).await {
                tracing::warn!(error = %e, "no se pudieron entregar los avisos");
            }
        }
    })
}
