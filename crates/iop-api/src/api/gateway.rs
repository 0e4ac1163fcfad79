//! Step 4's platform side: connectors (how the gateway reaches a published service), service
//! descriptions (OpenAPI import), consumer credentials, call records and metrics.

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth, ClientLang, DescriptionBody, path_id};
use crate::page::{Paged, paginate};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iop_app::AppState;
use iop_app::connectors;
use iop_app::credentials::{credential_out, issue, issued_out};
use iop_app::dto::*;
use iop_app::service::rfc3339;
use iop_domain::*;
use iop_store::*;

/// ADAS configures the platform (the "clients" of PR05 step 4); the Administrador too.
fn require_adas(u: &UserRec) -> ApiResult<()> {
    if [Role::Administrador, Role::LiderAdas, Role::ResponsableAdas]
        .iter()
        .any(|r| u.roles.has(*r))
    {
        Ok(())
    } else {
        Err(ApiError::of("rol_requerido.adas", &[]))
    }
}

async fn must_service(st: &AppState, raw: &str) -> ApiResult<(ServiceRec, EntityRec)> {
    let id = path_id(raw, ServiceId::parse)?;
    let s = st
        .store
        .get_service(id)
        .await?
        .ok_or_else(|| ApiError::of("no_encontrado.servicio", &[]))?;
    let e = st.store.get_entity(s.entity).await?.ok_or_else(ApiError::internal)?;
    Ok((s, e))
}

pub(crate) fn connector_out(c: &ConnectorRec) -> ConnectorOut {
    ConnectorOut {
        servicio_id: c.service.to_string(),
        version: c.version,
        ruta_base: c.base_path.clone(),
        origenes: c.upstreams.clone(),
        tiempo_conexion_ms: c.connect_timeout_ms,
        tiempo_espera_ms: c.timeout_ms,
        autenticacion: c.auth.kind().to_owned(),
        autenticacion_nombre: c.auth.name().map(str::to_owned),
        autenticacion_con_valor: c.auth.secret_enc().is_some(),
        max_cuerpo_bytes: c.max_body_bytes,
        pii_query: c.pii_query.clone(),
        ca_propia: c.ca_pem.is_some(),
        creado: rfc3339(c.created_at),
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
        .ok_or_else(|| ApiError::of("no_encontrado.conector", &[]))?;
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
    let base = connectors::base_path(&st, s.id, i.ruta_base.as_deref(), e.sigla.as_str(), &s.code, s.version).await?;
    let rec = connectors::build(&st, &u, i, s.id, base)?;
    let saved = st.store.put_connector(rec, &AuditBy::user(&u)).await?;
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

/// Imports the service's description: OpenAPI 3.0, 3.1 or Swagger 2.0 (converted to OpenAPI 3;
/// the original is kept), JSON or YAML, one document (`documento`) or an archive of several
/// (`archivo`, zip or tar.gz in base64, with `entrada`). Its operations become what grants can
/// name; `x-pii` parameters are hashed in records; the sandbox answers from its examples. The
/// answer carries the import report: every element not imported, with its location.
#[utoipa::path(put, path = "/api/v1/servicios/{id}/descripcion", tag = "pasarela", security(("token" = [])), request_body = DescriptionIn,
    params(("id" = String, Path, description = "service id")),
    responses((status = 200, body = DescriptionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_description(
    State(st): State<AppState>,
    Auth(u): Auth,
    ClientLang(lang): ClientLang,
    Path(id): Path<String>,
    DescriptionBody(body): DescriptionBody,
) -> ApiResult<Response> {
    require_adas(&u)?;
    let (s, _) = must_service(&st, &id).await?;
    let origins = st.store.connector(s.id).await?.map(|c| c.upstreams).unwrap_or_default();
    // The answer (every operation) and the gateway's copy of the operations are made with the
    // import, off the serving runtime; the store takes its copy by value.
    let source = connectors::DescriptionSource::Json(body);
    let (read, (answer, for_gateway)) = connectors::read_description_then(source, origins, move |read| {
        let out = DescriptionOut {
            formato: read.rec.format.clone(),
            sha256: read.rec.sha256.clone(),
            operaciones: read.operations.iter().map(operation_out).collect(),
            informe: report_out(&read.report, lang),
        };
        (serde_json::to_vec(&out), read.operations.clone())
    })
    .await?;
    let answer = answer.map_err(|_| ApiError::internal())?;
    let now = st.now();
    st.store
        .set_description(s.id, &read.rec, read.operations, now, &AuditBy::user(&u))
        .await?;
    st.gateway_operations_written(s.id, iop_store::OperationsKey::new(&read.rec.sha256, now), for_gateway);
    Ok(([(header::CONTENT_TYPE, "application/json")], answer).into_response())
}

/// The service's description as imported: format, operations and the import report.
#[utoipa::path(get, path = "/api/v1/servicios/{id}/descripcion", tag = "pasarela", security(("token" = [])),
    params(("id" = String, Path, description = "service id")),
    responses((status = 200, body = DescriptionOut), (status = 404, body = ErrorBody)))]
pub async fn get_description(
    State(st): State<AppState>,
    Auth(_u): Auth,
    ClientLang(lang): ClientLang,
    Path(id): Path<String>,
) -> ApiResult<Json<DescriptionOut>> {
    let (s, _) = must_service(&st, &id).await?;
    let d = st
        .store
        .description_info(s.id)
        .await?
        .ok_or_else(|| ApiError::of("no_encontrado.descripcion", &[]))?;
    let ops = st.store.operations(s.id).await?;
    Ok(Json(DescriptionOut {
        formato: d.format,
        sha256: d.sha256,
        operaciones: ops.iter().map(operation_out).collect(),
        informe: report_out(&iop_app::openapi_import::report::from_json(&d.report), lang),
    }))
}

pub(crate) fn report_out(items: &[iop_app::openapi_import::Item], lang: iop_i18n::Lang) -> Vec<ReportItemOut> {
    items
        .iter()
        .map(|i| ReportItemOut {
            codigo: i.code().to_owned(),
            nivel: i.level().code().to_owned(),
            ubicacion: i.at.clone(),
            mensaje: i.text(lang),
        })
        .collect()
}

pub(crate) fn operation_out(o: &OperationRec) -> OperationOut {
    OperationOut {
        id: o.op_id.clone(),
        metodo: o.method.clone(),
        ruta: o.path.clone(),
        resumen: o.summary.clone(),
        pii: o.pii_params.clone(),
        con_ejemplo: o.example.is_some() && !o.example_generated,
        sandbox: o.example_status.map(|s| SandboxOut {
            estado: u16::try_from(s).unwrap_or(200),
            tipo: match (&o.example_type, o.example.as_deref()) {
                (Some(t), _) => Some(t.clone()),
                (None, Some(b)) if !b.is_empty() => Some("application/json".to_owned()),
                _ => None,
            },
            generado: o.example_generated,
        }),
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
        .ok_or_else(|| ApiError::of("no_encontrado.conector", &[]))?;
    let servers = st.store.description_info(s.id).await?.map(|d| d.servers).unwrap_or_default();
    let (ok, out) = connectors::probe(&st, &c, &servers).await?;
    // Step 5 of the request that published the service needs a successful probe of this version.
    st.store
        .record_probe(s.id, c.version, &connectors::probe_rec(&st, ok, &out), &AuditBy::user(&u))
        .await?;
    Ok(Json(out))
}

async fn must_system(st: &AppState, raw: &str) -> ApiResult<SystemRec> {
    let id = path_id(raw, SystemId::parse)?;
    st.store
        .get_system(id)
        .await?
        .ok_or_else(|| ApiError::of("no_encontrado.sistema", &[]))
}

/// A system's credentials (never their secrets).
#[utoipa::path(get, path = "/api/v1/sistemas/{id}/credenciales", tag = "pasarela", security(("token" = [])),
    params(("id" = String, Path, description = "system id"), crate::api::catalog::PageQuery),
    responses((status = 200, body = Paged<CredentialOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_credentials(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<crate::api::catalog::PageQuery>,
) -> ApiResult<Json<Paged<CredentialOut>>> {
    require_adas(&u)?;
    let s = must_system(&st, &id).await?;
    let all = st.store.credentials_of_system(s.id).await?.iter().map(credential_out).collect();
    Ok(Json(paginate(
        all,
        |c: &CredentialOut| c.id.clone(),
        q.limite,
        q.cursor.as_deref(),
    )?))
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
    let issued = iop_app::credentials::create_for_system(&st, &u, s.id, None, &i).await?;
    Ok((StatusCode::CREATED, Json(issued_out(&issued))))
}

async fn must_credential(st: &AppState, raw: &str) -> ApiResult<CredentialRec> {
    let id = path_id(raw, CredentialId::parse)?;
    st.store
        .credential(id)
        .await?
        .ok_or_else(|| ApiError::of("no_encontrado.credencial", &[]))
}

/// Rotates a credential: a new one of the same kind is issued; the old one keeps working for the
/// overlap, then stops. The secret of a credential issued for a PR05 request goes to its
/// requesting unit (`pendiente_de_retiro` here; retrieved once with
/// `POST /api/v1/solicitudes/{id}/accesos/retirar`); any other's is in this answer only.
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
        return Err(ApiError::of("credencial_no_vigente.al-rotar", &[]));
    }
    let hours = i.solapamiento_horas.unwrap_or(24);
    if hours > 720 {
        return Err(ApiError::of("solapamiento_invalido", &[]).field("solapamiento_horas"));
    }
    let hooks = st.hooks()?;
    let now = st.now();
    let Some(kind) = iop_app::credentials::Issuable::from_kind(old.kind) else {
        return Err(ApiError::of("rotacion_no_aplicable", &[]));
    };
    let mut issued = issue(kind, old.system, u.id, old.request, &hooks.keys, &hooks.secrets, now)?;
    // The new credential demands of its tokens what the old one did.
    issued.rec.jwt_require_exp = old.jwt_require_exp;
    issued.rec.jwt_max_lifetime_s = old.jwt_max_lifetime_s;
    issued.rec.sandbox_only = old.sandbox_only;
    // A credential of a request is re-issued as its step 4 issued it: sealed for the requesting
    // unit, retrieved by one of its Solicitantes; whoever rotates it never sees the secret.
    let delivery = match old.request {
        Some(r) => {
            let rec = st.store.get_request(r).await?.ok_or_else(ApiError::internal)?;
            Some(iop_app::accesses::seal(&st, &rec, old.system, std::slice::from_ref(&issued), u.id)?)
        }
        None => None,
    };
    st.store
        .rotate_credential(
            old.id,
            &issued.rec,
            now + time::Duration::hours(i64::from(hours)),
            delivery.as_ref(),
            &AuditBy::user(&u),
        )
        .await?;
    tracing::info!(usuario = %u.login, credencial = %old.id, nueva = %issued.rec.id, horas = hours, "credencial rotada");
    if hours == 0 {
        hooks.publisher.revoke_now(&old.id.to_string());
    }
    // The secret is handed out only once the gateway accepts it.
    st.gateway_applied().await;
    let out = match delivery {
        Some(_) => iop_app::credentials::pending_out(&issued.rec),
        None => issued_out(&issued),
    };
    Ok((StatusCode::CREATED, Json(out)))
}

/// Revokes a credential. The gateway refuses it from now on (applied at once, no restart).
#[utoipa::path(post, path = "/api/v1/credenciales/{id}/revocar", tag = "pasarela", security(("token" = [])),
    params(("id" = String, Path, description = "credential id")),
    responses((status = 200, body = CredentialOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_credential(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Json<CredentialOut>> {
    require_adas(&u)?;
    let c = must_credential(&st, &id).await?;
    if c.revoked_at.is_some() {
        return Err(ApiError::of("credencial_no_vigente.al-revocar", &[]));
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
        iop_app::secrets::same_secret(t, token)
    });
    if !by_token {
        let user = st
            .store
            .session_user(&iop_app::auth::hash_token(token), st.now())
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        if !user.roles.has(Role::Administrador) {
            return Err(ApiError::of("rol_requerido.metricas", &[]));
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
