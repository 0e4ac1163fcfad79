//! Settings. Each one comes from, in order of precedence: the command-line flag, then the `IOP_*`
//! environment variable (every file key has one: see [`load`]), then the TOML file given with
//! `--config` (or `IOP_CONFIG`), then the built-in default.

use iop_app::ControlConfig;
use iop_domain::{Deadline, State, WorkCalendar};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The TOML file. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub control_addr: Option<String>,
    pub gateway_addr: Option<String>,
    /// The public listener: only the verification pages of the notes (off unless given).
    pub public_addr: Option<String>,
    /// The address people reach the verification pages at, e.g. `https://verificar.agetic.gob.bo`:
    /// what the notes' QR codes point below. Default `http://<public_addr>`.
    pub url_verificacion: Option<String>,
    /// The address consuming systems reach the gateway at, e.g. `https://pasarela.agetic.gob.bo`:
    /// the servers of the access documentation. Default `http://<gateway_addr>`.
    pub url_pasarela: Option<String>,
    /// The agency's name, at the head of every document (default AGETIC's).
    pub entidad: Option<String>,
    /// How the notes are numbered (their CITE): a pattern with `{correlativo}` and `{gestion}`,
    /// default `AGETIC/NI/UPAT-ADAS/{correlativo}/{gestion}`.
    pub formato_cite: Option<String>,
    /// The documents' paper: `a4` (default) or `carta`.
    pub papel: Option<String>,
    /// The agency's logo at the head of every document: a PNG, JPEG or SVG file (at most 1 MiB).
    pub logo: Option<PathBuf>,
    /// Notices by e-mail: the SMTP relay (`host`), its port (default 587), `starttls` (default),
    /// `tls` or `ninguna`, the account (both or neither) and the sender's address.
    pub smtp_servidor: Option<String>,
    pub smtp_puerto: Option<u16>,
    pub smtp_seguridad: Option<String>,
    pub smtp_usuario: Option<String>,
    pub smtp_contrasena: Option<String>,
    pub smtp_remitente: Option<String>,
    /// How often queued notices are delivered, in ms (default 5000); the first retry's delay
    /// (default 30000, doubling up to an hour).
    pub avisos_intervalo_ms: Option<u64>,
    pub avisos_reintento_ms: Option<u64>,
    /// Every hand-over is POSTed as JSON to each of these (http or https), signed with
    /// `avisos_webhook_secreto` (at least 32 characters): `X-IOP-Firma: sha256=<hex HMAC>`.
    #[serde(default)]
    pub avisos_webhooks: Vec<String>,
    /// From this time of each working day (`HH:MM`, La Paz; default 08:00) the digest of overdue
    /// requests and the warnings of grants about to end are sent; grants are warned of this many
    /// working days before their last day (default 10).
    pub avisos_hora: Option<String>,
    pub avisos_vencimiento_dias: Option<u32>,
    pub avisos_webhook_secreto: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub log: Option<String>,
    /// Login token lifetime in minutes.
    pub token_ttl_minutes: Option<u64>,
    /// Working days step 4's credentials wait to be retrieved before their secrets are erased.
    pub accesos_dias_habiles: Option<u32>,
    /// Largest supporting document, in MiB.
    pub max_upload_mib: Option<usize>,
    /// Deadlines per state, e.g. `presentada = "2d"`, `habilitada = "24h"`.
    #[serde(default)]
    pub plazos: HashMap<String, String>,
    /// Holidays (`AAAA-MM-DD`) that are not working days.
    #[serde(default)]
    pub feriados: Vec<String>,
    pub login_max_fallos_cuenta: Option<u32>,
    pub login_max_fallos_ip: Option<u32>,
    pub login_ventana_segundos: Option<u64>,
    /// The master key file (64 hex digits; created if missing). Default `<data_dir>/clave-maestra`.
    pub clave_maestra: Option<PathBuf>,
    /// Call records: `os` (written to the OS before the response; default) or `fsync`.
    pub registro_llamadas: Option<String>,
    /// This node's name in call records (default `n1`).
    pub nodo: Option<String>,
    /// How often call records are imported from the segment files into the store, in ms
    /// (default 1000).
    pub importar_llamadas_ms: Option<u64>,
    /// Calls without a valid credential, per client address and minute: how many get a record of
    /// their own (default 60; the rest are counted in one aggregate record), and how many are
    /// answered before 429 (default 600).
    pub rechazos_registrados_por_minuto: Option<u64>,
    pub rechazos_permitidos_por_minuto: Option<u64>,
    /// TLS on the gateway listener: PEM certificate chain and private key (both or neither).
    pub pasarela_tls_certificado: Option<PathBuf>,
    pub pasarela_tls_clave: Option<PathBuf>,
    /// TLS on the control listener (API and web interface): PEM certificate chain and private
    /// key (both or neither). With it the web's cookies are `Secure`.
    pub control_tls_certificado: Option<PathBuf>,
    pub control_tls_clave: Option<PathBuf>,
    /// The audit signing key (Ed25519, PKCS#8 in hex; created if missing). Default
    /// `<data_dir>/clave-auditoria`; in production keep it outside the data directory.
    pub clave_auditoria: Option<PathBuf>,
    /// A file on another volume that receives a copy of every signed checkpoint.
    pub testigo_auditoria: Option<PathBuf>,
    /// Seconds between audit checkpoints (default 5; one is signed only if a chain moved).
    pub puntos_de_control_s: Option<u64>,
    /// ...or sooner, once a chain has this many records beyond its last checkpoint (default 100000).
    pub puntos_de_control_registros: Option<u64>,
    /// Retention: records older than this many days are archived (exported, verified) into
    /// `archivo_auditoria` and pruned. Off unless both are set.
    pub retencion_dias: Option<u64>,
    pub archivo_auditoria: Option<PathBuf>,
    /// Benchmarks only: `false` writes call records without their hash chain (they do not verify).
    pub cadena_llamadas: Option<bool>,
    /// A bearer token that may read `/metrics` (Prometheus' `authorization`); at least 32
    /// characters. Without it only an Administrador may.
    pub metricas_token: Option<String>,
    /// The address people reach the control plane at, e.g. `https://iop.agetic.gob.bo` (behind a
    /// TLS terminator): an `https` one makes the web interface's cookies `Secure`.
    pub url_publica: Option<String>,
    /// Query parameters that carry a credential (refused, and recorded as `[oculto]`). Default:
    /// apikey, api_key, api-key, token, access_token, jwt, key.
    pub parametros_credencial: Option<Vec<String>>,
    /// Upstream response headers never passed on to consumers (default: server, x-powered-by).
    pub cabeceras_ocultas_respuesta: Option<Vec<String>>,
    /// The largest upstream answer passed on, in bytes (default 1 GiB). Answers above 64 KiB are
    /// streamed, so this is a policy, not a memory bound.
    pub max_respuesta_bytes: Option<u64>,
    /// Seconds a client may leave the gateway's answer unread before its connection is closed
    /// (default 60).
    pub pasarela_cliente_sin_leer_s: Option<u64>,
    /// Seconds a client may leave its request body unsent before the call is refused with 408
    /// (default 60).
    pub pasarela_cuerpo_sin_enviar_s: Option<u64>,
}

/// Everything `iop serve` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub control_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
    /// The public verification listener, if any.
    pub public_addr: Option<SocketAddr>,
    pub data_dir: PathBuf,
    pub demo: bool,
    pub log: String,
    pub control: ControlConfig,
    pub master_key_file: PathBuf,
    pub durability: iop_gateway::Durability,
    pub node: String,
    pub import_every: Duration,
    pub gateway: iop_gateway::GatewayConfig,
    /// Certificate and key for TLS on the gateway listener.
    pub gateway_tls: Option<(PathBuf, PathBuf)>,
    /// Certificate and key for TLS on the control listener.
    pub control_tls: Option<(PathBuf, PathBuf)>,
    pub audit_key_file: PathBuf,
    pub audit_witness: Option<PathBuf>,
    pub checkpoint_every: Duration,
    pub checkpoint_records: i64,
    /// Retention in days and the archive directory.
    pub retention: Option<(u64, PathBuf)>,
    pub chained_calls: bool,
}

pub const DEFAULT_CONTROL_ADDR: &str = "127.0.0.1:8001";
pub const DEFAULT_GATEWAY_ADDR: &str = "127.0.0.1:8000";
pub const DEFAULT_DATA_DIR: &str = "./iop-data";

/// A configuration error, in Spanish, naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

pub fn load_file(path: Option<&Path>) -> Result<FileConfig, ConfigError> {
    load(path, std::iter::empty())
}

/// What an `IOP_*` variable holds for a file key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Bool,
    /// Comma-separated values.
    List,
    /// A table of texts: `IOP_<KEY>__<NAME>`.
    Table,
}

/// Every file key and how its `IOP_*` variable is read (a test holds this equal to `FileConfig`).
const ENV_KEYS: &[(&str, Kind)] = &[
    ("control_addr", Kind::Text),
    ("gateway_addr", Kind::Text),
    ("public_addr", Kind::Text),
    ("url_verificacion", Kind::Text),
    ("url_pasarela", Kind::Text),
    ("entidad", Kind::Text),
    ("formato_cite", Kind::Text),
    ("papel", Kind::Text),
    ("logo", Kind::Text),
    ("smtp_servidor", Kind::Text),
    ("smtp_puerto", Kind::Int),
    ("smtp_seguridad", Kind::Text),
    ("smtp_usuario", Kind::Text),
    ("smtp_contrasena", Kind::Text),
    ("smtp_remitente", Kind::Text),
    ("avisos_intervalo_ms", Kind::Int),
    ("avisos_reintento_ms", Kind::Int),
    ("avisos_webhooks", Kind::List),
    ("avisos_hora", Kind::Text),
    ("avisos_vencimiento_dias", Kind::Int),
    ("avisos_webhook_secreto", Kind::Text),
    ("data_dir", Kind::Text),
    ("log", Kind::Text),
    ("token_ttl_minutes", Kind::Int),
    ("accesos_dias_habiles", Kind::Int),
    ("max_upload_mib", Kind::Int),
    ("plazos", Kind::Table),
    ("feriados", Kind::List),
    ("login_max_fallos_cuenta", Kind::Int),
    ("login_max_fallos_ip", Kind::Int),
    ("login_ventana_segundos", Kind::Int),
    ("clave_maestra", Kind::Text),
    ("registro_llamadas", Kind::Text),
    ("nodo", Kind::Text),
    ("importar_llamadas_ms", Kind::Int),
    ("rechazos_registrados_por_minuto", Kind::Int),
    ("rechazos_permitidos_por_minuto", Kind::Int),
    ("pasarela_tls_certificado", Kind::Text),
    ("pasarela_tls_clave", Kind::Text),
    ("control_tls_certificado", Kind::Text),
    ("control_tls_clave", Kind::Text),
    ("clave_auditoria", Kind::Text),
    ("testigo_auditoria", Kind::Text),
    ("puntos_de_control_s", Kind::Int),
    ("puntos_de_control_registros", Kind::Int),
    ("retencion_dias", Kind::Int),
    ("archivo_auditoria", Kind::Text),
    ("cadena_llamadas", Kind::Bool),
    ("metricas_token", Kind::Text),
    ("url_publica", Kind::Text),
    ("parametros_credencial", Kind::List),
    ("cabeceras_ocultas_respuesta", Kind::List),
    ("max_respuesta_bytes", Kind::Int),
    ("pasarela_cliente_sin_leer_s", Kind::Int),
    ("pasarela_cuerpo_sin_enviar_s", Kind::Int),
];

/// `IOP_*` variables that are options of the command line, not file keys.
const CLI_ONLY: &[&str] = &["IOP_CONFIG", "IOP_DEMO"];

/// The TOML file (if any) with every `IOP_<KEY>` variable of `env` laid over it: the variable
/// wins over the file. Nested keys use `__` (`IOP_PLAZOS__PRESENTADA=8h`); lists are
/// comma-separated (`IOP_FERIADOS=2026-12-25,2027-01-01`). An unknown `IOP_*` variable or a value
/// of the wrong kind is an error naming the variable.
pub fn load(path: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<FileConfig, ConfigError> {
    let mut table = match path {
        None => toml::Table::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("no se pudo leer el archivo de configuración {}: {e}", path.display())))?;
            toml::from_str::<toml::Table>(&text)
                .map_err(|e| ConfigError(format!("archivo de configuración {} no válido: {e}", path.display())))?
        }
    };
    for (name, value) in env {
        let Some(rest) = name.strip_prefix("IOP_") else { continue };
        if CLI_ONLY.contains(&name.as_str()) {
            continue;
        }
        let lower = rest.to_ascii_lowercase();
        let (key, sub) = match lower.split_once("__") {
            Some((k, s)) => (k.to_owned(), Some(s.to_owned())),
            None => (lower.clone(), None),
        };
        let Some((_, kind)) = ENV_KEYS.iter().find(|(k, _)| *k == key) else {
            return Err(ConfigError(format!(
                "{name}: no es una opción de iop (las variables IOP_* corresponden a las claves del archivo de configuración)"
            )));
        };
        let bad = |what: &str| ConfigError(format!("{name}: «{value}» no es {what}"));
        let v = match (kind, &sub) {
            (Kind::Table, Some(_)) | (Kind::Text, None) => toml::Value::String(value.clone()),
            (Kind::Int, None) => toml::Value::Integer(value.trim().parse().map_err(|_| bad("un número entero"))?),
            (Kind::Bool, None) => toml::Value::Boolean(match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "si" | "sí" => true,
                "false" | "0" | "no" => false,
                _ => return Err(bad("verdadero o falso (true/false)")),
            }),
            (Kind::List, None) => toml::Value::Array(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(|x| toml::Value::String(x.to_owned()))
                    .collect(),
            ),
            (Kind::Table, None) => {
                return Err(ConfigError(format!(
                    "{name}: indique la clave anidada con «__», por ejemplo IOP_{}__PRESENTADA",
                    key.to_ascii_uppercase()
                )));
            }
            (_, Some(_)) => return Err(ConfigError(format!("{name}: la clave «{key}» no tiene claves anidadas"))),
        };
        match sub {
            None => {
                table.insert(key, v);
            }
            Some(sub) => {
                let entry = table.entry(key).or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if let toml::Value::Table(t) = entry {
                    t.insert(sub, v);
                }
            }
        }
    }
    let from = match path {
        Some(p) => format!("archivo de configuración {} (con las variables IOP_*)", p.display()),
        None => "variables IOP_*".to_owned(),
    };
    toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError(format!("{from} no válido: {e}")))
}

/// An http(s) address a setting gives, without its trailing `/`.
fn http_url(name: &str, u: &str) -> Result<String, ConfigError> {
    let ok = (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() <= 512
        && u.bytes().all(|b| b.is_ascii_graphic())
        && u.parse::<axum::http::Uri>().is_ok_and(|p| p.authority().is_some());
    if !ok {
        return Err(ConfigError(format!(
            "{name}: «{u}» no es una URL http(s)://servidor[:puerto][/ruta]"
        )));
    }
    Ok(u.trim_end_matches('/').to_owned())
}

fn addr(name: &str, v: &str) -> Result<SocketAddr, ConfigError> {
    v.parse()
        .map_err(|_| ConfigError(format!("{name}: «{v}» no es una dirección válida (ejemplo: 127.0.0.1:8001)")))
}

/// Values given on the command line or in the environment (clap merges those two).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub control_addr: Option<String>,
    pub gateway_addr: Option<String>,
    pub public_addr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub log: Option<String>,
    pub demo: bool,
}

pub fn data_dir(o: &Overrides, f: &FileConfig) -> PathBuf {
    o.data_dir
        .clone()
        .or_else(|| f.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
}

pub fn resolve(o: &Overrides, f: FileConfig) -> Result<Settings, ConfigError> {
    let control_addr = addr(
        "control_addr",
        o.control_addr
            .as_deref()
            .or(f.control_addr.as_deref())
            .unwrap_or(DEFAULT_CONTROL_ADDR),
    )?;
    let gateway_addr = addr(
        "gateway_addr",
        o.gateway_addr
            .as_deref()
            .or(f.gateway_addr.as_deref())
            .unwrap_or(DEFAULT_GATEWAY_ADDR),
    )?;
    let public_addr = match o.public_addr.as_deref().or(f.public_addr.as_deref()) {
        Some(a) => Some(addr("public_addr", a)?),
        None => None,
    };
    let mut control = ControlConfig::default();
    if let Some(u) = &f.url_verificacion {
        control.verification_url = Some(http_url("url_verificacion", u)?);
    }
    if let Some(u) = &f.url_pasarela {
        control.gateway_url = Some(http_url("url_pasarela", u)?);
    }
    if let Some(e) = &f.entidad {
        let name = iop_domain::Name::parse(e).map_err(|i| ConfigError(format!("entidad: {}", i.es)))?;
        control.agency = name.as_str().to_owned();
    }
    if let Some(c) = &f.formato_cite {
        control.cite_format = iop_domain::CiteFormat::parse(c).map_err(|i| ConfigError(i.es))?;
    }
    control.paper = match f.papel.as_deref().map(str::trim) {
        None | Some("a4") => iop_app::Paper::A4,
        Some("carta") => iop_app::Paper::UsLetter,
        Some(p) => return Err(ConfigError(format!("papel: «{p}» no es a4 ni carta"))),
    };
    if let Some(path) = &f.logo {
        let bytes = std::fs::read(path).map_err(|e| ConfigError(format!("logo: no se pudo leer {}: {e}", path.display())))?;
        control.logo = Some(iop_app::Logo::parse(bytes).map_err(|e| ConfigError(format!("{e} ({})", path.display())))?);
    }
    if let Some(host) = f.smtp_servidor.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        use iop_app::notices::{SmtpConfig, SmtpSecurity};
        let security = match f.smtp_seguridad.as_deref().map(str::trim) {
            None | Some("starttls") => SmtpSecurity::StartTls,
            Some("tls") => SmtpSecurity::Tls,
            Some("ninguna") => SmtpSecurity::Ninguna,
            Some(o) => return Err(ConfigError(format!("smtp_seguridad: «{o}» no es starttls, tls ni ninguna"))),
        };
        let from = f
            .smtp_remitente
            .clone()
            .filter(|r| iop_app::notices::valid_address(r))
            .ok_or_else(|| ConfigError("smtp_remitente: indique la dirección de correo remitente de los avisos".into()))?;
        if f.smtp_usuario.is_some() != f.smtp_contrasena.is_some() {
            return Err(ConfigError("smtp_usuario y smtp_contrasena van juntos".into()));
        }
        control.notices.smtp = Some(SmtpConfig {
            host: host.to_owned(),
            port: f.smtp_puerto.unwrap_or(match security {
                SmtpSecurity::Tls => 465,
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::Ninguna => 25,
            }),
            security,
            user: f.smtp_usuario.clone(),
            password: f.smtp_contrasena.clone(),
            from,
        });
    }
    if !f.avisos_webhooks.is_empty() {
        let mut urls = Vec::new();
        for u in &f.avisos_webhooks {
            urls.push(http_url("avisos_webhooks", u)?);
        }
        let secret = f
            .avisos_webhook_secreto
            .clone()
            .filter(|s| s.chars().count() >= 32)
            .ok_or_else(|| ConfigError("avisos_webhook_secreto: con avisos_webhooks, una clave de al menos 32 caracteres".into()))?;
        control.notices.webhooks = Some(iop_app::notices::WebhookConfig { urls, secret });
    }
    if let Some(h) = &f.avisos_hora {
        let at = time::Time::parse(h.trim(), time::macros::format_description!("[hour]:[minute]"))
            .map_err(|_| ConfigError(format!("avisos_hora: «{h}» no es una hora HH:MM")))?;
        control.notices.daily_at = at;
    }
    if let Some(d) = f.avisos_vencimiento_dias {
        if d == 0 || d > 60 {
            return Err(ConfigError("avisos_vencimiento_dias debe estar entre 1 y 60".into()));
        }
        control.notices.ending_days = d;
    }
    if let Some(ms) = f.avisos_intervalo_ms {
        control.notices.every = Duration::from_millis(ms.clamp(50, 3_600_000));
    }
    if let Some(ms) = f.avisos_reintento_ms {
        control.notices.retry_base = Duration::from_millis(ms.clamp(50, 3_600_000));
    }
    if let Some(m) = f.token_ttl_minutes {
        if m == 0 {
            return Err(ConfigError("token_ttl_minutes debe ser mayor que cero".into()));
        }
        control.token_ttl = Duration::from_secs(m * 60);
    }
    if let Some(d) = f.accesos_dias_habiles {
        if d == 0 || d > 60 {
            return Err(ConfigError("accesos_dias_habiles debe estar entre 1 y 60".into()));
        }
        control.access_delivery_days = d;
    }
    if let Some(m) = f.max_upload_mib {
        if m == 0 || m > 1024 {
            return Err(ConfigError("max_upload_mib debe estar entre 1 y 1024".into()));
        }
        control.max_upload_bytes = m * 1024 * 1024;
    }
    for (state, d) in &f.plazos {
        let s = State::parse(state).map_err(|i| ConfigError(format!("plazos: {}", i.es)))?;
        let d = Deadline::parse(d).map_err(|i| ConfigError(format!("plazos.{state}: {}", i.es)))?;
        control.deadlines.insert(s, d);
    }
    let mut holidays = Vec::new();
    for h in &f.feriados {
        holidays
            .push(iop_domain::calendar::parse_date(h).ok_or_else(|| ConfigError(format!("feriados: «{h}» no es una fecha AAAA-MM-DD")))?);
    }
    control.calendar = WorkCalendar::new(holidays);
    if let Some(v) = f.login_max_fallos_cuenta {
        control.login_max_failures_account = v.max(1);
    }
    if let Some(v) = f.login_max_fallos_ip {
        control.login_max_failures_address = v.max(1);
    }
    if let Some(v) = f.login_ventana_segundos {
        control.login_window = Duration::from_secs(v.max(1));
    }
    if let Some(t) = &f.metricas_token {
        if t.len() < 32 || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError("metricas_token: al menos 32 caracteres visibles, sin espacios".into()));
        }
        control.metrics_token = Some(t.clone());
    }
    if let Some(u) = &f.url_publica {
        control.public_url = Some(http_url("url_publica", u)?);
    }
    let mut gateway = iop_gateway::GatewayConfig::default();
    if let Some(names) = &f.parametros_credencial {
        gateway.credential_query_names = names
            .iter()
            .map(|n| n.trim().to_lowercase().into_boxed_str())
            .filter(|n| !n.is_empty())
            .collect();
    }
    if let Some(names) = &f.cabeceras_ocultas_respuesta {
        gateway.strip_response_headers = names
            .iter()
            .map(|n| {
                iop_gateway::HeaderName::from_bytes(n.trim().to_ascii_lowercase().as_bytes())
                    .map_err(|_| ConfigError(format!("cabeceras_ocultas_respuesta: «{n}» no es un nombre de cabecera")))
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(n) = f.max_respuesta_bytes {
        if n == 0 {
            return Err(ConfigError("max_respuesta_bytes: al menos 1".into()));
        }
        gateway.max_response_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = f.pasarela_cliente_sin_leer_s {
        gateway.client_stall = Duration::from_secs(n.clamp(1, 86_400));
    }
    if let Some(n) = f.pasarela_cuerpo_sin_enviar_s {
        gateway.body_stall = Duration::from_secs(n.clamp(1, 86_400));
    }
    let durability = match f.registro_llamadas.as_deref() {
        None => iop_gateway::Durability::Os,
        Some(v) => iop_gateway::Durability::parse(v)
            .ok_or_else(|| ConfigError(format!("registro_llamadas: «{v}» no válido; use «os» o «fsync»")))?,
    };
    let node = f.nodo.clone().unwrap_or_else(|| "n1".into());
    let node_name = node.clone();
    if node.is_empty() || node.len() > 32 || !node.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ConfigError("nodo: de 1 a 32 letras, dígitos o «-»".into()));
    }
    let data_dir = data_dir(o, &f);
    let gateway_tls = match (f.pasarela_tls_certificado.clone(), f.pasarela_tls_clave.clone()) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err(ConfigError("pasarela_tls_certificado y pasarela_tls_clave van juntos".into())),
    };
    let control_tls = match (f.control_tls_certificado.clone(), f.control_tls_clave.clone()) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err(ConfigError("control_tls_certificado y control_tls_clave van juntos".into())),
    };
    Ok(Settings {
        control_addr,
        gateway_addr,
        public_addr,
        master_key_file: f.clave_maestra.clone().unwrap_or_else(|| data_dir.join("clave-maestra")),
        audit_key_file: f.clave_auditoria.clone().unwrap_or_else(|| data_dir.join("clave-auditoria")),
        audit_witness: f.testigo_auditoria.clone(),
        // At most five seconds of records wait for a signature (a chain that did not move is not
        // signed again); a graceful stop signs whatever is left.
        checkpoint_every: Duration::from_secs(f.puntos_de_control_s.unwrap_or(5).clamp(1, 86_400)),
        checkpoint_records: f.puntos_de_control_registros.unwrap_or(100_000).clamp(1, 1 << 40) as i64,
        retention: match (f.retencion_dias, f.archivo_auditoria.clone()) {
            (Some(d), Some(dir)) => Some((d.max(1), dir)),
            (None, None) => None,
            _ => return Err(ConfigError("retencion_dias y archivo_auditoria van juntos".into())),
        },
        chained_calls: f.cadena_llamadas.unwrap_or(true),
        data_dir,
        demo: o.demo,
        log: o.log.clone().or(f.log).unwrap_or_else(|| "info".into()),
        control,
        durability,
        node,
        import_every: Duration::from_millis(f.importar_llamadas_ms.unwrap_or(1000).clamp(10, 3_600_000)),
        gateway_tls,
        control_tls,
        gateway: iop_gateway::GatewayConfig {
            node: node_name.as_str().into(),
            unauth_record_per_window: f.rechazos_registrados_por_minuto.unwrap_or(60),
            unauth_allow_per_window: f.rechazos_permitidos_por_minuto.unwrap_or(600).max(1),
            ..gateway
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_flag_then_file_then_default() {
        let f: FileConfig = toml::from_str("control_addr = \"127.0.0.1:9001\"\ngateway_addr = \"127.0.0.1:9000\"\nplazos = { presentada = \"8h\" }\nferiados = [\"2026-12-25\"]\n")
            .unwrap_or_default();
        let o = Overrides {
            control_addr: Some("127.0.0.1:7001".into()),
            ..Default::default()
        };
        let s = resolve(&o, f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.control_addr.port(), 7001);
        assert_eq!(s.gateway_addr.port(), 9000);
        assert_eq!(s.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(s.control.deadlines.get(&State::Presentada), Some(&Deadline::Hours(8)));
    }

    #[test]
    fn tls_certificates_and_keys_go_in_pairs() {
        let parse = |v: &str| resolve(&Overrides::default(), toml::from_str::<FileConfig>(v).unwrap_or_default());
        for half in [
            "control_tls_certificado = \"/c\"",
            "control_tls_clave = \"/k\"",
            "pasarela_tls_clave = \"/k\"",
        ] {
            let e = parse(half).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("van juntos"), "{half}: {e}");
        }
        let s = parse("control_tls_certificado = \"/c\"\ncontrol_tls_clave = \"/k\"").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.control_tls, Some((PathBuf::from("/c"), PathBuf::from("/k"))));
        assert_eq!(s.gateway_tls, None);
    }

    #[test]
    fn the_public_url_must_be_an_http_url() {
        let parse = |v: &str| {
            let f: FileConfig = toml::from_str(&format!("url_publica = \"{v}\"")).unwrap_or_default();
            resolve(&Overrides::default(), f).map(|s| s.control.public_url)
        };
        assert_eq!(
            parse("https://iop.example.gob.bo/").ok().flatten().as_deref(),
            Some("https://iop.example.gob.bo")
        );
        for bad in ["iop.example.gob.bo", "ftp://x", "https://", "https://a b", "javascript:alert(1)"] {
            let e = parse(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("url_publica"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_documents_take_the_agency_its_numbering_and_its_paper_from_the_file() {
        let parse = |v: &str| resolve(&Overrides::default(), toml::from_str::<FileConfig>(v).unwrap_or_default());
        let s = parse("entidad = \"Ministerio de Justicia\"\nformato_cite = \"MJ/NI/DGTIC/{correlativo}/{gestion}\"\npapel = \"carta\"")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.control.agency, "Ministerio de Justicia");
        assert_eq!(s.control.cite_format.number(2027, 3).as_str(), "MJ/NI/DGTIC/0003/2027");
        assert_eq!(s.control.paper, iop_app::Paper::UsLetter);
        let s = parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.control.cite_format.number(2026, 1).as_str(), "AGETIC/NI/UPAT-ADAS/0001/2026");
        assert_eq!(s.control.paper, iop_app::Paper::A4);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let logo = dir.path().join("logo.svg");
        std::fs::write(
            &logo,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="9" height="3"><rect width="9" height="3"/></svg>"##,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let s = parse(&format!("logo = {:?}", logo.display().to_string())).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.control.logo.is_some());
        let text = dir.path().join("logo.txt");
        std::fs::write(&text, "no soy una imagen").unwrap_or_else(|e| panic!("{e}"));
        for (bad, says) in [
            (format!("logo = {:?}", text.display().to_string()), "no es PNG, JPEG ni SVG"),
            ("logo = \"/no/existe.png\"".to_owned(), "logo: no se pudo leer"),
        ] {
            let e = parse(&bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(says), "{bad}: {e}");
        }
        for (bad, says) in [
            ("formato_cite = \"AGETIC/NI/{correlativo}\"", "formato_cite"),
            ("papel = \"oficio\"", "papel"),
            ("entidad = \"x\"", "entidad"),
        ] {
            let e = parse(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn notices_need_a_sender_and_webhooks_a_long_key() {
        let parse = |v: &str| resolve(&Overrides::default(), toml::from_str::<FileConfig>(v).unwrap_or_default());
        let s =
            parse("smtp_servidor = \"correo.example.gob.bo\"\nsmtp_remitente = \"iop@example.gob.bo\"").unwrap_or_else(|e| panic!("{e}"));
        let smtp = s.control.notices.smtp.unwrap_or_else(|| panic!("no relay"));
        assert_eq!((smtp.port, smtp.security), (587, iop_app::notices::SmtpSecurity::StartTls));
        let key = "k".repeat(32);
        let s = parse(&format!(
            "avisos_webhooks = [\"https://eventos.example.gob.bo/iop/\"]\navisos_webhook_secreto = \"{key}\""
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.control.notices.webhooks.map(|w| w.urls),
            Some(vec!["https://eventos.example.gob.bo/iop".to_owned()])
        );
        for (bad, says) in [
            ("smtp_servidor = \"correo\"".to_owned(), "smtp_remitente"),
            (
                "smtp_servidor = \"correo\"\nsmtp_remitente = \"a@b.bo\"\nsmtp_seguridad = \"ssl\"".to_owned(),
                "smtp_seguridad",
            ),
            (
                "smtp_servidor = \"correo\"\nsmtp_remitente = \"a@b.bo\"\nsmtp_usuario = \"iop\"".to_owned(),
                "van juntos",
            ),
            (
                "avisos_webhooks = [\"https://x.bo\"]\navisos_webhook_secreto = \"corta\"".to_owned(),
                "32 caracteres",
            ),
            (
                format!("avisos_webhooks = [\"ftp://x.bo\"]\navisos_webhook_secreto = \"{key}\""),
                "avisos_webhooks",
            ),
        ] {
            let e = parse(&bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn every_file_key_can_come_from_the_environment() {
        // serde names every field of FileConfig when it refuses an unknown one.
        let e = toml::from_str::<FileConfig>("clave_que_no_existe = 1")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let fields: std::collections::BTreeSet<String> = e.split('`').skip(3).step_by(2).map(str::to_owned).collect();
        let env: std::collections::BTreeSet<String> = ENV_KEYS.iter().map(|(k, _)| (*k).to_owned()).collect();
        assert!(fields.len() > 20, "{e}");
        assert_eq!(fields, env, "{e}");
    }

    #[test]
    fn variables_override_the_file_with_nesting_and_lists() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("iop.toml");
        std::fs::write(&file, "nodo = \"n9\"\ntoken_ttl_minutes = 60\nplazos = { presentada = \"2d\" }\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let env = [
            ("IOP_TOKEN_TTL_MINUTES", "30"),
            ("IOP_PLAZOS__HABILITADA", "24h"),
            ("IOP_FERIADOS", "2026-12-25, 2027-01-01"),
            ("IOP_CADENA_LLAMADAS", "false"),
            ("IOP_NODO", "7"),
            ("IOP_CONFIG", "ignorada"),
            ("OTRA", "x"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let f = load(Some(&file), env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.token_ttl_minutes, Some(30));
        assert_eq!(f.nodo.as_deref(), Some("7"));
        assert_eq!(f.plazos.get("presentada").map(String::as_str), Some("2d"));
        assert_eq!(f.plazos.get("habilitada").map(String::as_str), Some("24h"));
        assert_eq!(f.feriados, vec!["2026-12-25", "2027-01-01"]);
        assert_eq!(f.cadena_llamadas, Some(false));
        let s = resolve(&Overrides::default(), f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.control.token_ttl, Duration::from_secs(30 * 60));
        for (k, v, says) in [
            ("IOP_TOKEN_TTL_MINUTES", "treinta", "IOP_TOKEN_TTL_MINUTES"),
            ("IOP_PUERTO", "1", "IOP_PUERTO"),
            ("IOP_PLAZOS", "2d", "IOP_PLAZOS__PRESENTADA"),
            ("IOP_CADENA_LLAMADAS", "quizá", "IOP_CADENA_LLAMADAS"),
            ("IOP_NODO__X", "1", "IOP_NODO__X"),
        ] {
            let e = load(None, [(k.to_owned(), v.to_owned())]).err().map(|e| e.0).unwrap_or_default();
            assert!(e.contains(says), "{k}={v}: {e}");
        }
    }

    #[test]
    fn bad_values_are_named() {
        let f: FileConfig = toml::from_str("plazos = { presentada = \"tres\" }").unwrap_or_default();
        let e = resolve(&Overrides::default(), f).err().map(|e| e.0).unwrap_or_default();
        assert!(e.contains("plazos.presentada"), "{e}");
        assert!(toml::from_str::<FileConfig>("puerto = 1").is_err());
        let f: FileConfig = toml::from_str("accesos_dias_habiles = 0").unwrap_or_default();
        let e = resolve(&Overrides::default(), f).err().map(|e| e.0).unwrap_or_default();
        assert!(e.contains("accesos_dias_habiles"), "{e}");
    }

    #[test]
    fn access_delivery_days_come_from_the_file() {
        let f: FileConfig = toml::from_str("accesos_dias_habiles = 3").unwrap_or_default();
        let s = resolve(&Overrides::default(), f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.control.access_delivery_days, 3);
        let s = resolve(&Overrides::default(), FileConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.control.access_delivery_days, 10);
    }
}
