use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, ClientAddr, bearer};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use iop_app::AppState;
use iop_app::dto::{LoginIn, LoginOut, NoticeOut, NoticePrefs, UserOut};
use iop_app::service::{rfc3339, user_out};

/// Logs in with a local account; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "autenticacion", request_body = LoginIn,
    responses((status = 200, body = LoginOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(input): ApiJson<LoginIn>,
) -> ApiResult<Json<LoginOut>> {
    let s = iop_app::auth::login(&st, addr, &input.usuario, input.contrasena).await?;
    Ok(Json(LoginOut {
        token: s.token,
        expira: rfc3339(s.expires),
        usuario: user_out(&s.user),
    }))
}

/// Revokes the current token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "autenticacion", security(("token" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(st): State<AppState>, Auth(user): Auth, headers: HeaderMap) -> ApiResult<StatusCode> {
    if let Some(t) = bearer(&headers) {
        iop_app::auth::logout(&st, &user, t).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// One's address for notices and the kinds one receives.
#[utoipa::path(get, path = "/api/v1/auth/yo/avisos", tag = "autenticacion", security(("token" = [])),
    responses((status = 200, body = NoticePrefs), (status = 401, body = ErrorBody)))]
pub async fn my_notices(State(st): State<AppState>, Auth(user): Auth) -> ApiResult<Json<NoticePrefs>> {
    let c = iop_app::notices::own(&st, &user).await?;
    Ok(Json(NoticePrefs {
        correo: c.email,
        avisos: c.kinds,
    }))
}

/// Sets one's address for notices (`null` for none) and the kinds one receives.
#[utoipa::path(put, path = "/api/v1/auth/yo/avisos", tag = "autenticacion", security(("token" = [])), request_body = NoticePrefs,
    responses((status = 200, body = NoticePrefs), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_my_notices(
    State(st): State<AppState>,
    Auth(user): Auth,
    ApiJson(input): ApiJson<NoticePrefs>,
) -> ApiResult<Json<NoticePrefs>> {
    let c = iop_app::notices::set_own(&st, &user, input.correo.as_deref(), &input.avisos).await?;
    Ok(Json(NoticePrefs {
        correo: c.email,
        avisos: c.kinds,
    }))
}

/// The notices' delivery log, newest first (Administrador): each notice, its attempts, when it
/// went and its last error.
#[utoipa::path(get, path = "/api/v1/avisos", tag = "administracion", security(("token" = [])), params(crate::api::catalog::PageQuery),
    responses((status = 200, body = Vec<NoticeOut>), (status = 403, body = ErrorBody)))]
pub async fn notice_log(
    State(st): State<AppState>,
    Auth(user): Auth,
    ApiQuery(q): ApiQuery<crate::api::catalog::PageQuery>,
) -> ApiResult<Json<Vec<NoticeOut>>> {
    let log = iop_app::notices::log(&st, &user, q.limite.unwrap_or(100)).await?;
    Ok(Json(log.iter().map(NoticeOut::of).collect()))
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/auth/yo", tag = "autenticacion", security(("token" = [])),
    responses((status = 200, body = UserOut), (status = 401, body = ErrorBody)))]
pub async fn me(Auth(user): Auth) -> Json<UserOut> {
    Json(user_out(&user))
}
