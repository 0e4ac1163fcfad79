//! Connectors as use cases, apart from HTTP: the base path rule, checking what ADAS typed into a
//! connector, the connection probe (spoken exactly as the gateway will), and reading a description.
//! The catalog's `PUT /servicios/{id}/conector` and step 4's staging both come through here.

use crate::AppState;
use crate::dto::{ConnectorIn, ProbeOut};
use crate::error::{AppError, AppResult};
use crate::openapi_import;
use hyper::http::HeaderValue;
use iop_domain::*;
use iop_store::*;
use std::time::{Duration, Instant};

/// The base path a connector gets: the one typed (checked against the rule), else the one in force
/// (base paths never change by omission), else the service's default. A typed path that overlaps
/// another service's is a 409 naming that service, whatever else is wrong with it.
pub async fn base_path(
    st: &AppState,
    service: ServiceId,
    typed: Option<&str>,
    sigla: &str,
    code: &Code,
    version: ServiceVersion,
) -> AppResult<String> {
    let existing = st.store.connector(service).await?.map(|c| c.base_path);
    let path = match (typed.map(str::trim), existing) {
        (Some(t), Some(e)) if t == e => e,
        (Some(t), _) => {
            let checked = BasePath::parse(t, sigla, code, version);
            if let Some(holder) = st.store.base_path_holder(t, service).await? {
                return Err(StoreError::BasePathTaken {
                    path: t.to_owned(),
                    holder,
                }
                .into());
            }
            checked.map(BasePath::into_string).map_err(|i| AppError::invalid("ruta_base", i))?
        }
        (None, Some(e)) => e,
        (None, None) => BasePath::default_for(sigla, code, version).into_string(),
    };
    Ok(path)
}

/// `key`'s refusal of the connector's field `field`.
fn bad(field: &str, key: &'static str) -> AppError {
    AppError::of(key, iop_i18n::args![campo = &field]).field(field.to_owned())
}

/// A refusal of `field` by the TLS configuration (its reason is the library's, in English).
fn bad_tls(field: &str, reason: String) -> AppError {
    AppError::of("conector_invalido.tls", iop_i18n::args![campo = &field])
        .field(field.to_owned())
        .detail(reason)
}

fn check_upstream(i: usize, u: &str) -> AppResult<()> {
    let f = format!("origenes[{i}]");
    let uri: hyper::Uri = u.parse().map_err(|_| bad(&f, "conector_invalido.url"))?;
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        // A password in the URL would be stored (and audited) in clear.
        return Err(bad(&f, "conector_invalido.url-con-usuario"));
    }
    match uri.scheme_str() {
        Some("http" | "https") if uri.authority().is_some() && uri.query().is_none() => Ok(()),
        _ => Err(bad(&f, "conector_invalido.url-forma")),
    }
}

/// The largest request body a connector may allow (1 GiB).
pub const MAX_BODY: u32 = 1 << 30;

/// Checks a connector as typed and seals its upstream secret; `base` was checked by [`base_path`].
pub fn build(st: &AppState, u: &UserRec, i: ConnectorIn, service: ServiceId, base: String) -> AppResult<ConnectorRec> {
    let hooks = st.hooks()?;
    if i.origenes.is_empty() || i.origenes.len() > 16 {
        return Err(bad("origenes", "conector_invalido.origenes"));
    }
    for (n, o) in i.origenes.iter().enumerate() {
        check_upstream(n, o)?;
    }
    let ms = |v: Option<u32>, default: i64, name: &str| -> AppResult<i64> {
        match v {
            None => Ok(default),
            Some(x) if (1..=300_000).contains(&x) => Ok(i64::from(x)),
            Some(_) => Err(bad(name, "conector_invalido.plazo")),
        }
    };
    if i.origenes.iter().any(|o| o.starts_with("https://"))
        && let Err(e) = iop_gateway::tls::client_config(i.ca_pem.as_deref(), None)
    {
        return Err(bad_tls("ca_pem", e));
    }
    let auth = match i.autenticacion {
        None => UpstreamAuth::None,
        Some(a) => {
            let needs_value = matches!(a.tipo.as_str(), "cabecera" | "basica" | "bearer" | "certificado_cliente");
            if !needs_value && a.tipo != "ninguna" {
                return Err(bad("autenticacion.tipo", "conector_invalido.autenticacion-tipo"));
            }
            if a.tipo == "certificado_cliente" {
                let (Some(cert), Some(key)) = (a.certificado.as_deref(), a.valor.as_deref()) else {
                    return Err(bad("autenticacion.certificado", "conector_invalido.certificado-requerido"));
                };
                iop_gateway::tls::client_config(i.ca_pem.as_deref(), Some((cert, key)))
                    .map_err(|e| bad_tls("autenticacion.certificado", e))?;
                if !i.origenes.iter().all(|o| o.starts_with("https://")) {
                    return Err(bad("origenes", "conector_invalido.certificado-sin-https"));
                }
            }
            if needs_value && a.valor.as_deref().is_none_or(str::is_empty) {
                return Err(bad("autenticacion.valor", "conector_invalido.valor-requerido"));
            }
            if a.tipo == "cabecera" {
                let n = a.nombre.as_deref().unwrap_or("");
                if hyper::http::HeaderName::from_bytes(n.as_bytes()).is_err() || n.is_empty() {
                    return Err(bad("autenticacion.nombre", "conector_invalido.nombre-cabecera"));
                }
            }
            if let Some(v) = &a.valor
                && a.tipo != "certificado_cliente"
                && HeaderValue::from_str(v).is_err()
            {
                return Err(bad("autenticacion.valor", "conector_invalido.valor-cabecera"));
            }
            let sealed = a.valor.map(|v| hooks.secrets.seal(v.as_bytes())).transpose()?;
            match (a.tipo.as_str(), sealed) {
                ("cabecera", Some(value_enc)) => UpstreamAuth::Header {
                    name: a.nombre.unwrap_or_default(),
                    value_enc,
                },
                ("basica", Some(password_enc)) => UpstreamAuth::Basic {
                    user: a.nombre.unwrap_or_default(),
                    password_enc,
                },
                ("bearer", Some(token_enc)) => UpstreamAuth::Bearer { token_enc },
                ("certificado_cliente", Some(key_enc)) => UpstreamAuth::ClientCert {
                    chain_pem: a.certificado.unwrap_or_default(),
                    key_enc,
                },
                _ => UpstreamAuth::None,
            }
        }
    };
    let max_body = match i.max_cuerpo_bytes {
        None => 1 << 20,
        // Bodies above 64 KiB are streamed: the maximum is the service's policy, not memory.
        Some(b) if (1..=MAX_BODY).contains(&b) => i64::from(b),
        Some(_) => {
            return Err(bad("max_cuerpo_bytes", "conector_invalido.max-cuerpo"));
        }
    };
    let rec = ConnectorRec {
        service,
        version: 0,
        base_path: base,
        upstreams: i.origenes,
        connect_timeout_ms: ms(i.tiempo_conexion_ms, 3_000, "tiempo_conexion_ms")?,
        timeout_ms: ms(i.tiempo_espera_ms, 10_000, "tiempo_espera_ms")?,
        auth,
        max_body_bytes: max_body,
        pii_query: i.pii_query,
        ca_pem: i.ca_pem,
        created_by: u.id,
        created_at: st.now(),
        probe_ok: None,
    };
    Ok(rec)
}

/// Probes a connector's upstreams now (a GET to each base URL) exactly as the gateway will speak
/// to them: its TLS settings, its upstream credential, its timeouts. Ok when every origin answered.
/// Each origin is also compared with the description's `servers` (`servers`): an origin without
/// the servers' path prefix is named with it (the calls would arrive without it).
pub async fn probe(st: &AppState, c: &ConnectorRec, servers: &[String]) -> AppResult<(bool, Vec<ProbeOut>)> {
    let hooks = st.hooks()?;
    let client = crate::compiler::connector_client(c, &hooks.secrets, None);
    let connect = Duration::from_millis(c.connect_timeout_ms.max(1) as u64);
    let total = Duration::from_millis(c.timeout_ms.max(1) as u64);
    let mut out = Vec::new();
    for o in &c.upstreams {
        let start = Instant::now();
        let result = match (&client, o.parse::<hyper::Uri>()) {
            (Err(e), _) => Err(e.to_string()),
            (_, Err(e)) => Err(e.to_string()),
            (Ok((headers, tls)), Ok(uri)) => {
                let tls = if uri.scheme_str() == Some("https") { tls.as_ref() } else { None };
                iop_gateway::pool::probe(&uri, tls, headers, connect, total).await
            }
        };
        let warning = openapi_import::server_warnings(servers, std::slice::from_ref(o)).into_iter().next();
        let arg = |name: &str| {
            warning
                .as_ref()
                .and_then(|w| w.args.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()))
        };
        out.push(ProbeOut {
            prefijo_faltante: arg("prefijo"),
            servidor: arg("servidor"),
            ok: result.is_ok(),
            origen: o.clone(),
            estado_http: result.as_ref().ok().copied(),
            latencia_ms: start.elapsed().as_millis() as u64,
            error: result.err(),
        });
    }
    Ok((!out.is_empty() && out.iter().all(|p| p.ok), out))
}

/// The probe as stored: its outcome, when, and the per-origin results.
pub fn probe_rec(st: &AppState, ok: bool, results: &[ProbeOut]) -> ProbeRec {
    ProbeRec {
        ok,
        at: st.now(),
        detail: serde_json::to_string(results).unwrap_or_else(|_| "[]".into()),
    }
}

/// A stored probe's per-origin results (none if the stored detail does not read).
pub fn probe_results(p: &ProbeRec) -> Vec<ProbeOut> {
    serde_json::from_str(&p.detail).unwrap_or_default()
}

/// The most a description may weigh (text, or an archive as uploaded).
pub const MAX_DESCRIPTION: usize = 24 << 20;

/// How a description reaches the control plane.
pub enum DescriptionSource {
    /// The API's JSON body (`DescriptionIn`) in the chunks it came in, still undecoded: a large
    /// body is joined and decoded off the serving runtime with the rest of the import.
    Json(Vec<bytes::Bytes>),
    /// A file from a form: a description, or an archive, and its entry point if named.
    File { bytes: Vec<u8>, entry: Option<String> },
}

/// A description read: what is kept, its operations, and its report (warnings only: a refusal
/// is the error).
pub struct ReadDescription {
    pub rec: DescriptionRec,
    pub operations: Vec<OperationRec>,
    pub report: Vec<openapi_import::Item>,
}

fn body_error(detail: String) -> AppError {
    AppError::of("descripcion_invalida.cuerpo", iop_i18n::args![detalle = &detail]).field("documento")
}

/// An upload from what a form or the API sent.
fn upload_of(source: DescriptionSource) -> Result<openapi_import::Upload, AppError> {
    use base64::Engine;
    use openapi_import::Upload;
    let too_big = || AppError::of("descripcion_muy_grande", &[]).field("documento");
    let (bytes, entry) = match source {
        DescriptionSource::Json(chunks) => {
            let body = match chunks.as_slice() {
                [one] => one.clone(),
                _ => chunks.concat().into(),
            };
            let i: crate::dto::DescriptionIn = serde_json::from_slice(&body).map_err(|e| body_error(e.to_string()))?;
            match (i.documento, i.archivo) {
                (Some(text), None) if text.len() > MAX_DESCRIPTION => return Err(too_big()),
                (Some(text), None) => return Ok(Upload::Text(text)),
                (None, Some(b64)) => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64.trim())
                        .map_err(|_| AppError::of("descripcion_invalida.base64", &[]).field("archivo"))?;
                    (bytes, i.entrada)
                }
                _ => return Err(AppError::of("descripcion_invalida.ambos", &[]).field("documento")),
            }
        }
        DescriptionSource::File { bytes, entry } => (bytes, entry),
    };
    if bytes.len() > MAX_DESCRIPTION {
        return Err(too_big());
    }
    if openapi_import::archive::looks_like_archive(&bytes) {
        return Ok(Upload::Archive {
            bytes,
            entry: entry.unwrap_or_default(),
        });
    }
    String::from_utf8(bytes)
        .map(Upload::Text)
        .map_err(|_| AppError::of("descripcion_invalida.no-es-texto", &[]).field("documento"))
}

/// Reads a service's description (OpenAPI 3.0/3.1 or Swagger 2.0; one file or an archive; at
/// most [`MAX_DESCRIPTION`]) entirely off the serving runtime: decoding the body, unpacking,
/// parsing, converting, hashing. `origins` are the connector's, compared with the description's
/// `servers` in the report.
pub async fn read_description(source: DescriptionSource, origins: Vec<String>) -> AppResult<ReadDescription> {
    read_description_then(source, origins, |_| ()).await.map(|(read, ())| read)
}

/// [`read_description`], then `then` on what was read, in the same job off the serving runtime:
/// the caller's answer to a large description (thousands of operations) is built there too.
pub async fn read_description_then<R: Send + 'static>(
    source: DescriptionSource,
    origins: Vec<String>,
    then: impl FnOnce(&ReadDescription) -> R + Send + 'static,
) -> AppResult<(ReadDescription, R)> {
    openapi_import::run_off_runtime(Duration::from_secs(30), move || {
        let upload = upload_of(source)?;
        let sha256 = match &upload {
            openapi_import::Upload::Text(t) => crate::secrets::sha256_hex(t.as_bytes()),
            openapi_import::Upload::Archive { bytes, .. } => crate::secrets::sha256_hex(bytes),
        };
        let mut imported = openapi_import::import(upload)?;
        imported.report.extend(openapi_import::server_warnings(&imported.servers, &origins));
        let read = ReadDescription {
            rec: DescriptionRec {
                document_gz: Some(iop_store::gzip(&imported.document)),
                document: String::new(),
                sha256,
                format: imported.format.code().to_owned(),
                original: imported.original,
                report: openapi_import::report::to_json(&imported.report),
                servers: imported.servers,
            },
            operations: imported.operations,
            report: imported.report,
        };
        let after = then(&read);
        Ok((read, after))
    })
    .await
}
