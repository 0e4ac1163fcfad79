//! Searching the audit log, and the legal chain behind a call. Who may see what is decided by
//! role; every search is itself an audit record.

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use axum::Json;
use axum::extract::{Path, State};
use iop_app::AppState;
use iop_app::dto::*;
use iop_app::service::{self, rfc3339};
use iop_domain::*;
use iop_store::*;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// `llamadas`, `procedimiento` or `administracion`.
    pub cadena: Option<String>,
    /// From (inclusive): RFC 3339, or a day `YYYY-MM-DD` (La Paz).
    pub desde: Option<String>,
    /// Until (exclusive): RFC 3339, or a day `YYYY-MM-DD` (the whole day is included).
    pub hasta: Option<String>,
    /// Consuming system (its calls).
    pub sistema_id: Option<String>,
    pub servicio_id: Option<String>,
    /// Publishing entity (calls to its services).
    pub entidad_id: Option<String>,
    /// PR05 tracking code (`IOP-2026-000001`): the request's events and the calls under it.
    pub solicitud: Option<String>,
    /// The gateway's `X-Request-Id` of a call.
    pub request_id: Option<String>,
    /// HTTP status of a call.
    #[param(minimum = 100, maximum = 599)]
    pub estado: Option<i64>,
    /// Refusal code of a call (e.g. `sin_habilitacion`).
    pub motivo: Option<String>,
    /// Login of whoever made a change.
    pub actor: Option<String>,
    /// From the previous page's `siguiente`.
    pub cursor: Option<String>,
    /// 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limite: Option<i64>,
}

fn bad(key: &'static str, field: &'static str) -> ApiError {
    ApiError::of(key, iop_i18n::args![campo = &field]).field(field)
}

/// A bound: RFC 3339, or a La Paz day (its start; with `end`, the next day's start).
fn bound(raw: &Option<String>, field: &'static str, end: bool) -> ApiResult<Option<i64>> {
    let Some(s) = raw.as_deref() else { return Ok(None) };
    match iop_app::audit::parse_instant(s, end) {
        Some(t) => Ok(Some(t)),
        None => Err(bad("fecha_invalida.consulta", field)),
    }
}

/// An id filter, parsed by the domain's id type and kept in its canonical form (as records hold it).
fn id_field<T: ToString>(raw: &Option<String>, field: &'static str, parse: fn(&str) -> Result<T, Invalid>) -> ApiResult<Option<String>> {
    match raw.as_deref().map(parse) {
        None => Ok(None),
        Some(Ok(id)) => Ok(Some(id.to_string())),
        Some(Err(_)) => Err(bad("id_invalido", field)),
    }
}

/// The streams a user may search, and whether they are held to their unit's requests.
fn scope(u: &UserRec) -> ApiResult<(Vec<&'static str>, Option<UnitId>)> {
    if u.roles.has(Role::Administrador) {
        return Ok((vec![STREAM_CALLS, STREAM_PROCEDURE, STREAM_ADMIN], None));
    }
    if [Role::JefeUpat, Role::ResponsableAdas, Role::LiderAdas]
        .iter()
        .any(|r| u.roles.has(*r))
    {
        return Ok((vec![STREAM_CALLS, STREAM_PROCEDURE], None));
    }
    match u.unit {
        Some(unit) if u.roles.has(Role::Solicitante) => Ok((vec![STREAM_CALLS, STREAM_PROCEDURE], Some(unit))),
        _ => Err(ApiError::of("rol_requerido.auditoria", &[])),
    }
}

fn record_out(h: &AuditHit) -> AuditRecordOut {
    let r = &h.row;
    AuditRecordOut {
        cadena: r.stream.clone(),
        nodo: r.node.clone(),
        seq: r.seq,
        fecha: rfc3339(iop_store::sqlite::from_ms(r.ts_ms)),
        hash: iop_audit::to_hex(&r.hash),
        registro: serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
        solicitud: r.request_code.clone(),
    }
}

/// Searches the audit log, newest first, by cursor. Administrador: every stream; Jefe de UPAT and
/// ADAS: calls and procedure; Solicitante: calls and procedure under its unit's requests.
#[utoipa::path(get, path = "/api/v1/auditoria", tag = "auditoria", security(("token" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPageOut), (status = 403, body = ErrorBody)))]
pub async fn search(State(st): State<AppState>, Auth(u): Auth, ApiQuery(q): ApiQuery<AuditQuery>) -> ApiResult<Json<AuditPageOut>> {
    let (allowed, unit_scope) = scope(&u)?;
    let limit = q.limite.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(bad("limite_invalido.auditoria", "limite"));
    }
    if let Some(c) = q.cadena.as_deref()
        && !iop_audit::STREAMS.contains(&c)
    {
        return Err(bad("cadena_invalida", "cadena"));
    }
    if let Some(e) = q.estado
        && !(100..=599).contains(&e)
    {
        return Err(bad("estado_invalido.http", "estado"));
    }
    let before = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            c.split_once('_')
                .and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)))
                .ok_or_else(|| bad("cursor_invalido.auditoria", "cursor"))?,
        ),
    };
    let f = AuditFilter {
        stream: q.cadena.clone(),
        from_ms: bound(&q.desde, "desde", false)?,
        to_ms: bound(&q.hasta, "hasta", true)?,
        system_id: id_field(&q.sistema_id, "sistema_id", SystemId::parse)?,
        service_id: id_field(&q.servicio_id, "servicio_id", ServiceId::parse)?,
        publisher_id: id_field(&q.entidad_id, "entidad_id", EntityId::parse)?,
        request_code: q.solicitud.clone(),
        request_id: q.request_id.clone(),
        status: q.estado,
        refusal: q.motivo.clone(),
        actor: q.actor.clone(),
        unit_scope,
        streams_allowed: allowed,
        before,
        limit,
    };
    let hits = st.store.search(&f).await?;
    let siguiente = (hits.len() as i64 == limit)
        .then(|| hits.last().map(|h| format!("{}_{}", h.row.ts_ms, h.id)))
        .flatten();
    // Searching the audit is itself audited (the filters, not the results).
    let detail = serde_json::json!({
        "cadena": q.cadena, "desde": q.desde, "hasta": q.hasta, "sistema_id": q.sistema_id, "servicio_id": q.servicio_id,
        "entidad_id": q.entidad_id, "solicitud": q.solicitud, "request_id": q.request_id, "estado": q.estado,
        "motivo": q.motivo, "actor": q.actor, "cursor": q.cursor, "resultados": hits.len(),
    });
    st.store
        .append_event(
            STREAM_ADMIN,
            &AuditBy::user(&u),
            "auditoria.consultar",
            "auditoria",
            detail,
            st.now(),
        )
        .await?;
    Ok(Json(AuditPageOut {
        registros: hits.iter().map(record_out).collect(),
        siguiente,
    }))
}

/// The legal chain behind a call: its record, the grant that let it through, and the PR05
/// request with its supporting document, its Nota Interna (approvals) and its history.
#[utoipa::path(get, path = "/api/v1/auditoria/llamadas/{request_id}", tag = "auditoria", security(("token" = [])),
    params(("request_id" = String, Path, description = "the call's X-Request-Id")),
    responses((status = 200, body = LegalChainOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn legal_chain(State(st): State<AppState>, Auth(u): Auth, Path(request_id): Path<String>) -> ApiResult<Json<LegalChainOut>> {
    let (allowed, unit_scope) = scope(&u)?;
    let f = AuditFilter {
        stream: Some(STREAM_CALLS.into()),
        request_id: Some(request_id.clone()),
        unit_scope,
        streams_allowed: allowed,
        limit: 1,
        ..Default::default()
    };
    let hit = st
        .store
        .search(&f)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::of("no_encontrado.llamada", &[]))?;
    let body: serde_json::Value = serde_json::from_str(&hit.row.body).unwrap_or(serde_json::Value::Null);
    let grant_id = body.get("grant_id").and_then(|v| v.as_str()).map(str::to_owned);
    let solicitud = match hit.row.request_code.as_deref() {
        Some(code) => Some(service::request_out(&st, &service::load_visible(&st, &u, code).await?, true).await?),
        None => None,
    };
    let habilitacion = solicitud
        .as_ref()
        .and_then(|s| s.habilitaciones.iter().find(|g| Some(&g.id) == grant_id.as_ref()).cloned());
    st.store
        .append_event(
            STREAM_ADMIN,
            &AuditBy::user(&u),
            "auditoria.cadena_legal",
            &request_id,
            serde_json::json!({"request_id": request_id}),
            st.now(),
        )
        .await?;
    Ok(Json(LegalChainOut {
        llamada: record_out(&hit),
        habilitacion,
        solicitud,
    }))
}
