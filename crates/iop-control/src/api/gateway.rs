//! Step 4's platform side: connectors (how the gateway reaches a published service), service
//! descriptions (OpenAPI import), consumer credentials, call records and metrics.

use crate::AppState;
use crate::credentials::{credential_out, issue, issued_out};
use crate::dto::*;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth, path_id};
use crate::openapi_import;
use crate::service::rfc3339;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iop_domain::*;
use iop_store::*;
use std::time::{Duration, Instant};

/// ADAS configures the platform (the "clients" of PR05 step 4); the Administrador too.
fn require_adas(u: &UserRec) -> ApiResult<()> {
    if [Role::Administrador, Role::LiderAdas, Role::ResponsableAdas]
        .iter()
        .any(|r| u.roles.has(*r))
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "rol_requerido",
            "esta operación corresponde a ADAS (Líder de equipo o Responsable) o al Administrador",
            "this operation requires an ADAS role or the administrator",
        ))
    }
}

async fn must_service(st: &AppState, raw: &str) -> ApiResult<(ServiceRec, EntityRec)> {
    let id = path_id(raw, ServiceId::parse)?;
    let s = st
        .store
        .get_service(id)
        .await?
        .ok_or_else(|| ApiError::not_found("ese servicio", "service"))?;
    let e = st.store.get_entity(s.entity).await?.ok_or_else(ApiError::internal)?;
    Ok((s, e))
}

fn connector_out(c: &ConnectorRec) -> ConnectorOut {
    ConnectorOut {
        servicio_id: c.service.to_string(),
        version: c.version,
        ruta_base: c.base_path.clone(),
        origenes: c.upstreams.clone(),
        tiempo_conexion_ms: c.connect_timeout_ms,
        tiempo_espera_ms: c.timeout_ms,
        autenticacion: c.auth.kind.clone(),
        autenticacion_nombre: c.auth.name.clone(),
        autenticacion_con_valor: c.auth.secret_enc.is_some(),
        max_cuerpo_bytes: c.max_body_bytes,
        pii_query: c.pii_query.clone(),
        ca_propia: c.ca_pem.is_some(),
        creado: rfc3339(c.created_at),
    }
}

fn bad(field: &str, es: String, en: String) -> ApiError {
    ApiError::unprocessable("conector_invalido", format!("{field}: {es}"), format!("{field}: {en}")).field(field.to_owned())
}

/// Checks a base path: `/<sigla>/v<N>/` optionally followed by more segments, all lowercase.
fn check_base_path(p: &str, sigla: &str, version: u16) -> ApiResult<()> {
    let prefix = format!("/{}/v{}/", sigla.to_lowercase(), version);
    let ok = p.starts_with(&prefix)
        && p.ends_with('/')
        && p.len() <= 200
        && p.get(1..p.len() - 1).unwrap_or_default().split('/').all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(bad(
            "ruta_base",
            format!("debe empezar con «{prefix}», terminar en «/» y usar solo minúsculas, dígitos, «-» o «_»"),
            format!("must start with '{prefix}', end in '/' and use only lowercase letters, digits, '-' or '_'"),
        ))
    }
}

fn check_upstream(i: usize, u: &str) -> ApiResult<()> {
    let f = format!("origenes[{i}]");
    let uri: hyper::Uri = u
        .parse()
        .map_err(|_| bad(&f, "no es una URL válida".into(), "not a valid URL".into()))?;
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        // A password in the URL would be stored (and audited) in clear.
        return Err(bad(
            &f,
            "sin usuario ni contraseña en la URL; use la autenticación del conector".into(),
            "no user or password in the URL; use the connector's authentication".into(),
        ));
    }
    match uri.scheme_str() {
        Some("http" | "https") if uri.authority().is_some() && uri.query().is_none() => Ok(()),
        _ => Err(bad(
            &f,
            "use una URL http://host:puerto/prefijo, sin parámetros".into(),
            "use an http://host:port/prefix URL without query".into(),
        )),
    }
}

/// The connector in force for a service.
#[utoipa::path(get, path = "/api/v1/servicios/{id}/conector", tag = "pasarela", security(("token" = [])),
    params(("id" = String, Path, description = "service id")),
    responses((status = 200, body = ConnectorOut), (status = 404, body = ErrorBody)))]
pub async fn get_connector(State(st): State<AppState>, Auth(_u): Auth, Path(id): Path<String>) -> ApiResult<Json<ConnectorOut>> {
    let (s, _) = must_service(&st, &id).await?;
    let c = st
        .store
        .connector(s.id)
        .await?
        .ok_or_else(|| ApiError::not_found("conector para ese servicio", "connector"))?;
    Ok(Json(connector_out(&c)))
}

/// Sets a new version of a service's connector: base path, upstreams, timeouts, how the gateway
/// authenticates to the publisher (ADAS or Administrador). Applies to the gateway without restart.
#[utoipa::path(put, path = "/api/v1/servicios/{id}/conector", tag = "pasarela", security(("token" = [])), request_body = ConnectorIn,
    params(("id" = String, Path, description = "service id")),
    responses((status = 200, body = ConnectorOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_connector(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ConnectorIn>,
) -> ApiResult<Json<ConnectorOut>> {
    require_adas(&u)?;
    let (s, e) = must_service(&st, &id).await?;
    let hooks = st.hooks()?;
    let base = i
        .ruta_base
        .clone()
        .unwrap_or_else(|| format!("/{}/v{}/", e.sigla.as_str().to_lowercase(), s.version.get()));
    check_base_path(&base, e.sigla.as_str(), s.version.get())?;
    if i.origenes.is_empty() || i.origenes.len() > 16 {
        return Err(bad(
            "origenes",
            "indique de 1 a 16 URL de origen".into(),
            "give 1 to 16 upstream URLs".into(),
        ));
    }
    for (n, o) in i.origenes.iter().enumerate() {
        check_upstream(n, o)?;
    }
    let ms = |v: Option<u32>, default: i64, name: &str| -> ApiResult<i64> {
        match v {
            None => Ok(default),
            Some(x) if (1..=300_000).contains(&x) => Ok(i64::from(x)),
            Some(_) => Err(bad(
                name,
                "debe estar entre 1 y 300000 ms".into(),
                "must be between 1 and 300000 ms".into(),
            )),
        }
    };
    if i.origenes.iter().any(|o| o.starts_with("https://"))
        && let Err(e) = iop_gateway::tls::client_config(i.ca_pem.as_deref(), None)
    {
        return Err(bad("ca_pem", e.clone(), e));
    }
    let auth = match i.autenticacion {
        None => UpstreamAuthRec {
            kind: "ninguna".into(),
            name: None,
            secret_enc: None,
        },
        Some(a) => {
            let needs_value = matches!(a.tipo.as_str(), "cabecera" | "basica" | "bearer" | "certificado_cliente");
            if !needs_value && a.tipo != "ninguna" {
                return Err(bad(
                    "autenticacion.tipo",
                    "debe ser ninguna, cabecera, basica, bearer o certificado_cliente".into(),
                    "must be ninguna, cabecera, basica, bearer or certificado_cliente".into(),
                ));
            }
            if a.tipo == "certificado_cliente" {
                let (Some(cert), Some(key)) = (a.certificado.as_deref(), a.valor.as_deref()) else {
                    return Err(bad(
                        "autenticacion.certificado",
                        "indique el certificado (PEM) y su clave privada en «valor»".into(),
                        "give the certificate (PEM) and its private key in 'valor'".into(),
                    ));
                };
                iop_gateway::tls::client_config(i.ca_pem.as_deref(), Some((cert, key)))
                    .map_err(|e| bad("autenticacion.certificado", e.clone(), e))?;
                if !i.origenes.iter().all(|o| o.starts_with("https://")) {
                    return Err(bad(
                        "origenes",
                        "un certificado de cliente solo se usa con orígenes https".into(),
                        "a client certificate is only used with https upstreams".into(),
                    ));
                }
            }
            if needs_value && a.valor.as_deref().is_none_or(str::is_empty) {
                return Err(bad(
                    "autenticacion.valor",
                    "indique el valor (se guarda cifrado)".into(),
                    "give the value (stored encrypted)".into(),
                ));
            }
            if a.tipo == "cabecera" {
                let n = a.nombre.as_deref().unwrap_or("");
                if axum::http::HeaderName::from_bytes(n.as_bytes()).is_err() || n.is_empty() {
                    return Err(bad(
                        "autenticacion.nombre",
                        "indique un nombre de cabecera válido".into(),
                        "give a valid header name".into(),
                    ));
                }
            }
            if let Some(v) = &a.valor
                && a.tipo != "certificado_cliente"
                && HeaderValue::from_str(v).is_err()
            {
                return Err(bad(
                    "autenticacion.valor",
                    "contiene caracteres no permitidos en una cabecera".into(),
                    "contains characters not allowed in a header".into(),
                ));
            }
            let name = if a.tipo == "certificado_cliente" { a.certificado } else { a.nombre };
            UpstreamAuthRec {
                kind: a.tipo,
                name,
                secret_enc: a.valor.map(|v| hooks.secrets.seal(v.as_bytes())).transpose()?,
            }
        }
    };
    let max_body = match i.max_cuerpo_bytes {
        None => 1 << 20,
        Some(b) if (1..=(64 << 20)).contains(&b) => i64::from(b),
        Some(_) => {
            return Err(bad(
                "max_cuerpo_bytes",
                "debe estar entre 1 y 67108864".into(),
                "must be between 1 and 67108864".into(),
            ));
        }
    };
    let rec = ConnectorRec {
        service: s.id,
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
    };
    let saved = st.store.put_connector(rec, &AuditBy::user(&u)).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict(
            "ruta_base_ocupada",
            "ruta_base: otra API ya usa esa ruta base",
            "ruta_base: another service already uses that base path",
        )
        .field("ruta_base"),
        other => other.into(),
    })?;
    tracing::info!(usuario = %u.login, servicio = %s.code, version = saved.version, "conector actualizado");
    st.gateway_changed();
    Ok(Json(connector_out(&saved)))
}

/// Every version of a service's connector, oldest first.
#[utoipa::path(get, path = "/api/v1/servicios/{id}/conector/versiones", tag = "pasarela", security(("token" = [])),
    params(("id" = String, Path, description = "service id")),
    responses((status = 200, body = Vec<ConnectorOut>), (status = 404, body = ErrorBody)))]
pub async fn connector_versions(State(st): State<AppState>, Auth(_u): Auth, Path(id): Path<String>) -> ApiResult<Json<Vec<ConnectorOut>>> {
    let (s, _) = must_service(&st, &id).await?;
    Ok(Json(st.store.connector_versions(s.id).await?.iter().map(connector_out).collect()))
}

/// Imports the service's OpenAPI 3 description (JSON or YAML): its operations become what grants
/// can name; `x-pii` parameters are hashed in records; examples feed the sandbox.
#[utoipa::path(put, path = "/api/v1/servicios/{id}/descripcion", tag = "pasarela", security(("token" = [])), request_body = DescriptionIn,
    params(("id" = String, Path, description = "service id")),
    responses((status = 200, body = Vec<OperationOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_description(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<DescriptionIn>,
) -> ApiResult<Json<Vec<OperationOut>>> {
    require_adas(&u)?;
    let (s, _) = must_service(&st, &id).await?;
    if i.documento.len() > 2 << 20 {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "descripcion_muy_grande",
            "documento: la descripción supera 2 MiB",
            "documento: the description exceeds 2 MiB",
        )
        .field("documento"));
    }
    let invalid = |e: openapi_import::ImportError| {
        ApiError::unprocessable("descripcion_invalida", format!("documento: {}", e.0), format!("documento: {}", e.0)).field("documento")
    };
    let (_doc, ops) = openapi_import::import_off_runtime(i.documento.clone(), Duration::from_secs(10))
        .await
        .map_err(invalid)?;
    let sha = iop_store::blobs::sha256_hex(i.documento.as_bytes());
    st.store
        .set_description(s.id, &i.documento, &sha, &ops, st.now(), &AuditBy::user(&u))
        .await?;
    st.gateway_changed();
    Ok(Json(ops.iter().map(operation_out).collect()))
}

fn operation_out(o: &OperationRec) -> OperationOut {
    OperationOut {
        id: o.op_id.clone(),
        metodo: o.method.clone(),
        ruta: o.path.clone(),
        resumen: o.summary.clone(),
        pii: o.pii_params.clone(),
        con_ejemplo: o.example.is_some(),
    }
}

/// The operations of a service, from its description.
#[utoipa::path(get, path = "/api/v1/servicios/{id}/operaciones", tag = "pasarela", security(("token" = [])),
    params(("id" = String, Path, description = "service id")),
    responses((status = 200, body = Vec<OperationOut>), (status = 404, body = ErrorBody)))]
pub async fn list_operations(State(st): State<AppState>, Auth(_u): Auth, Path(id): Path<String>) -> ApiResult<Json<Vec<OperationOut>>> {
    let (s, _) = must_service(&st, &id).await?;
    Ok(Json(st.store.operations(s.id).await?.iter().map(operation_out).collect()))
}

/// Probes the service's upstreams now (a GET to each base URL): reachable, status, latency.
#[utoipa::path(post, path = "/api/v1/servicios/{id}/probar", tag = "pasarela", security(("token" = [])),
    params(("id" = String, Path, description = "service id")),
    responses((status = 200, body = Vec<ProbeOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn probe(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Json<Vec<ProbeOut>>> {
    require_adas(&u)?;
    let (s, _) = must_service(&st, &id).await?;
    let c = st
        .store
        .connector(s.id)
        .await?
        .ok_or_else(|| ApiError::not_found("conector para ese servicio", "connector"))?;
    let hooks = st.hooks()?;
    // Exactly as the gateway will speak to the origin: its TLS settings (CAs, client
    // certificate), its upstream credential, its timeouts.
    let client = crate::compiler::connector_client(&c, &hooks.secrets, None);
    let connect = Duration::from_millis(c.connect_timeout_ms.max(1) as u64);
    let total = Duration::from_millis(c.timeout_ms.max(1) as u64);
    let mut out = Vec::new();
    for o in &c.upstreams {
        let start = Instant::now();
        let result = match (&client, o.parse::<hyper::Uri>()) {
            (Err(e), _) => Err(e.clone()),
            (_, Err(e)) => Err(e.to_string()),
            (Ok((headers, tls)), Ok(uri)) => {
                let tls = if uri.scheme_str() == Some("https") { tls.as_ref() } else { None };
                iop_gateway::pool::probe(&uri, tls, headers, connect, total).await
            }
        };
        out.push(ProbeOut {
            ok: result.is_ok(),
            origen: o.clone(),
            estado_http: result.as_ref().ok().copied(),
            latencia_ms: start.elapsed().as_millis() as u64,
            error: result.err(),
        });
    }
    Ok(Json(out))
}

async fn must_system(st: &AppState, raw: &str) -> ApiResult<SystemRec> {
    let id = path_id(raw, SystemId::parse)?;
    st.store
        .get_system(id)
        .await?
        .ok_or_else(|| ApiError::not_found("ese sistema", "system"))
}

/// A system's credentials (never their secrets).
#[utoipa::path(get, path = "/api/v1/sistemas/{id}/credenciales", tag = "pasarela", security(("token" = [])),
    params(("id" = String, Path, description = "system id")),
    responses((status = 200, body = Vec<CredentialOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_credentials(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Json<Vec<CredentialOut>>> {
    require_adas(&u)?;
    let s = must_system(&st, &id).await?;
    Ok(Json(
        st.store.credentials_of_system(s.id).await?.iter().map(credential_out).collect(),
    ))
}

/// Issues a credential to a consuming system (ADAS or Administrador). The secret is in this answer
/// only. A credential alone grants nothing: access comes from PR05 step 4's grants.
#[utoipa::path(post, path = "/api/v1/sistemas/{id}/credenciales", tag = "pasarela", security(("token" = [])), request_body = CredentialIn,
    params(("id" = String, Path, description = "system id")),
    responses((status = 201, body = IssuedCredentialOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_credential(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<CredentialIn>,
) -> ApiResult<(StatusCode, Json<IssuedCredentialOut>)> {
    require_adas(&u)?;
    let s = must_system(&st, &id).await?;
    let kind = CredentialKind::parse(&i.tipo).map_err(|e| ApiError::invalid("tipo", e))?;
    let hooks = st.hooks()?;
    let issued = match (crate::credentials::Issuable::from_kind(kind), i.clave_publica.as_deref()) {
        (Some(k), None) => issue(k, s.id, u.id, None, &hooks.keys, &hooks.secrets, st.now())?,
        (Some(_), Some(_)) => {
            return Err(ApiError::unprocessable(
                "campo_sobrante",
                "clave_publica: solo para jwt_rs256 y jwt_es256",
                "clave_publica: only for jwt_rs256 and jwt_es256",
            )
            .field("clave_publica"));
        }
        (None, None) => {
            return Err(ApiError::unprocessable(
                "campo_requerido",
                "clave_publica: indique la clave pública PEM del consumidor",
                "clave_publica: give the consumer's PEM public key",
            )
            .field("clave_publica"));
        }
        (None, Some(pem)) => crate::credentials::register_public_key(kind, pem, s.id, u.id, st.now()).map_err(|e| {
            ApiError::unprocessable(
                "clave_publica_invalida",
                format!("clave_publica: {e}"),
                format!("clave_publica: {e}"),
            )
            .field("clave_publica")
        })?,
    };
    let mut issued = issued;
    crate::credentials::set_jwt_policy(&mut issued.rec, i.jwt_exige_exp, i.jwt_vigencia_max_s).map_err(|e| {
        let field = if i.jwt_exige_exp.is_some() && issued.rec.kind == CredentialKind::ApiKey {
            "jwt_exige_exp"
        } else {
            "jwt_vigencia_max_s"
        };
        ApiError::unprocessable("politica_jwt_invalida", e.clone(), e).field(field)
    })?;
    st.store.create_credential(&issued.rec, &AuditBy::user(&u)).await?;
    tracing::info!(usuario = %u.login, sistema = %s.code, credencial = %issued.rec.id, tipo = kind.as_str(), "credencial emitida");
    // The secret is handed out only once the gateway accepts it.
    st.gateway_applied().await;
    Ok((StatusCode::CREATED, Json(issued_out(&issued))))
}

async fn must_credential(st: &AppState, raw: &str) -> ApiResult<CredentialRec> {
    let id = path_id(raw, CredentialId::parse)?;
    st.store
        .credential(id)
        .await?
        .ok_or_else(|| ApiError::not_found("esa credencial", "credential"))
}

/// Rotates a credential: a new one of the same kind is issued (secret in this answer only); the
/// old one keeps working for the overlap, then stops.
#[utoipa::path(post, path = "/api/v1/credenciales/{id}/rotar", tag = "pasarela", security(("token" = [])), request_body = RotateIn,
    params(("id" = String, Path, description = "credential id")),
    responses((status = 201, body = IssuedCredentialOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rotate_credential(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<RotateIn>,
) -> ApiResult<(StatusCode, Json<IssuedCredentialOut>)> {
    require_adas(&u)?;
    let old = must_credential(&st, &id).await?;
    if old.revoked_at.is_some() || old.replaced_by.is_some() {
        return Err(ApiError::conflict(
            "credencial_no_vigente",
            "la credencial ya fue revocada o rotada",
            "the credential was already revoked or rotated",
        ));
    }
    let hours = i.solapamiento_horas.unwrap_or(24);
    if hours > 720 {
        return Err(ApiError::unprocessable(
            "solapamiento_invalido",
            "solapamiento_horas: de 0 a 720",
            "solapamiento_horas: 0 to 720",
        )
        .field("solapamiento_horas"));
    }
    let hooks = st.hooks()?;
    let now = st.now();
    let Some(kind) = crate::credentials::Issuable::from_kind(old.kind) else {
        return Err(ApiError::conflict(
            "rotacion_no_aplicable",
            "una credencial de clave pública se rota registrando la nueva clave y revocando la anterior",
            "a public-key credential is rotated by registering the new key and revoking the old one",
        ));
    };
    let mut issued = issue(kind, old.system, u.id, old.request, &hooks.keys, &hooks.secrets, now)?;
    // The new credential demands of its tokens what the old one did.
    issued.rec.jwt_require_exp = old.jwt_require_exp;
    issued.rec.jwt_max_lifetime_s = old.jwt_max_lifetime_s;
    st.store
        .rotate_credential(
            old.id,
            &issued.rec,
            now + time::Duration::hours(i64::from(hours)),
            &AuditBy::user(&u),
        )
        .await?;
    tracing::info!(usuario = %u.login, credencial = %old.id, nueva = %issued.rec.id, horas = hours, "credencial rotada");
    if hours == 0 {
        hooks.publisher.revoke_now(&old.id.to_string());
    }
    // The secret is handed out only once the gateway accepts it.
    st.gateway_applied().await;
    Ok((StatusCode::CREATED, Json(issued_out(&issued))))
}

/// Revokes a credential. The gateway refuses it from now on (applied at once, no restart).
#[utoipa::path(post, path = "/api/v1/credenciales/{id}/revocar", tag = "pasarela", security(("token" = [])),
    params(("id" = String, Path, description = "credential id")),
    responses((status = 200, body = CredentialOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_credential(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Json<CredentialOut>> {
    require_adas(&u)?;
    let c = must_credential(&st, &id).await?;
    if c.revoked_at.is_some() {
        return Err(ApiError::conflict(
            "credencial_no_vigente",
            "la credencial ya estaba revocada",
            "the credential was already revoked",
        ));
    }
    let hooks = st.hooks()?;
    // Refused by the gateway first (the safe direction), then recorded in the store.
    hooks.publisher.revoke_now(&c.id.to_string());
    st.store.revoke_credential(c.id, st.now(), &AuditBy::user(&u)).await?;
    tracing::info!(usuario = %u.login, credencial = %c.id, "credencial revocada");
    let c = st.store.credential(c.id).await?.ok_or_else(ApiError::internal)?;
    Ok(Json(credential_out(&c)))
}

/// Prometheus metrics of the gateway (text exposition format). They name consumers and services:
/// readable with the configured `metricas_token` as a bearer token, or by an Administrador.
#[utoipa::path(get, path = "/metrics", tag = "salud", security(("token" = [])),
    responses((status = 200, content_type = "text/plain", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn metrics(State(st): State<AppState>, headers: axum::http::HeaderMap) -> ApiResult<Response> {
    let token = crate::extract::bearer(&headers).ok_or_else(ApiError::unauthenticated)?;
    let by_token = st.config.metrics_token.as_deref().is_some_and(|t| {
        // Compared as keyed hashes: equal lengths, no early exit on the secret's bytes.
        iop_gateway::auth::hmac256(b"iop/metricas", t.as_bytes()) == iop_gateway::auth::hmac256(b"iop/metricas", token.as_bytes())
    });
    if !by_token {
        let user = st
            .store
            .session_user(&crate::auth::hash_token(token), st.now())
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        if !user.roles.has(Role::Administrador) {
            return Err(ApiError::forbidden(
                "rol_requerido",
                "las métricas son para el Administrador (o con el token de métricas configurado)",
                "metrics are for the administrator (or with the configured metrics token)",
            ));
        }
    }
    let hooks = st.hooks()?;
    let mut res = hooks.gateway.render_metrics().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(res)
}
