use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth, ClientAddr, bearer};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use iop_app::AppState;
use iop_app::auth::{hash_token, new_token, throttled, verify_password};
use iop_app::dto::{LoginIn, LoginOut, UserOut};
use iop_app::service::{rfc3339, user_out};
use iop_domain::Login;
use iop_store::SessionRec;

fn bad_credentials() -> ApiError {
    ApiError::of("credenciales_invalidas", &[])
}

/// Logs in with a local account; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "autenticacion", request_body = LoginIn,
    responses((status = 200, body = LoginOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(input): ApiJson<LoginIn>,
) -> ApiResult<Json<LoginOut>> {
    let now = st.now();
    let cfg = &st.config;
    let ip_key = format!("ip:{}", addr.map(|a| a.to_string()).unwrap_or_else(|| "desconocida".into()));
    st.throttle
        .check(&ip_key, cfg.login_max_failures_address, cfg.login_window, now)
        .map_err(throttled)?;
    let login = Login::parse(&input.usuario).map_err(|_| bad_credentials())?;
    let acct_key = format!("cuenta:{login}");
    st.throttle
        .check(&acct_key, cfg.login_max_failures_account, cfg.login_window, now)
        .map_err(throttled)?;
    let user = st.store.user_by_login(&login).await?;
    // An unknown user is checked against a dummy hash, so timing does not tell who exists.
    let ok = verify_password(input.contrasena, user.as_ref().map(|u| u.password_hash.clone())).await;
    let Some(user) = user.filter(|u| ok && u.active) else {
        st.throttle.fail(&acct_key, now, cfg.login_window);
        st.throttle.fail(&ip_key, now, cfg.login_window);
        tracing::info!(usuario = %login, "inicio de sesión fallido");
        return Err(bad_credentials());
    };
    st.throttle.clear(&acct_key);
    let token = new_token();
    let expires = now + cfg.token_ttl;
    st.store
        .create_session(&SessionRec {
            token_hash: hash_token(&token),
            user: user.id,
            created_at: now,
            expires_at: expires,
        })
        .await?;
    tracing::info!(usuario = %login, "inicio de sesión");
    Ok(Json(LoginOut {
        token,
        expira: rfc3339(expires),
        usuario: user_out(&user),
    }))
}

/// Revokes the current token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "autenticacion", security(("token" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(st): State<AppState>, Auth(_user): Auth, headers: HeaderMap) -> ApiResult<StatusCode> {
    if let Some(t) = bearer(&headers) {
        st.store.revoke_session(&hash_token(t), st.now()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/auth/yo", tag = "autenticacion", security(("token" = [])),
    responses((status = 200, body = UserOut), (status = 401, body = ErrorBody)))]
pub async fn me(Auth(user): Auth) -> Json<UserOut> {
    Json(user_out(&user))
}
