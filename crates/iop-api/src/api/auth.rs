use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth, ClientAddr, bearer};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use iop_app::AppState;
use iop_app::dto::{LoginIn, LoginOut, UserOut};
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

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/auth/yo", tag = "autenticacion", security(("token" = [])),
    responses((status = 200, body = UserOut), (status = 401, body = ErrorBody)))]
pub async fn me(Auth(user): Auth) -> Json<UserOut> {
    Json(user_out(&user))
}
