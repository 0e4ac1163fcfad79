//! Sessions in a cookie and CSRF tokens.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use iop_app::AppState;
use iop_store::UserRec;

/// The session cookie: the API's bearer token, never readable by scripts.
pub const SESSION_COOKIE: &str = "iop_sesion";
/// The login form's CSRF cookie (there is no session yet to bind the token to).
pub const LOGIN_CSRF_COOKIE: &str = "iop_csrf";

/// The value of a cookie of the request.
pub fn cookie<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for a cookie that scripts cannot read and other sites cannot send; `Secure` when
/// people reach the platform over https (the control listener's own TLS, or an https
/// `url_publica` in front of it).
pub fn set_cookie(st: &AppState, name: &str, value: &str, path: &str, max_age_s: i64) -> String {
    let secure = st.config.control_tls || st.config.public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
    format!(
        "{name}={value}; Path={path}; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The CSRF token of a session: derived from its secret token, so it needs no storage and dies
/// with the session.
pub fn csrf_for(session_token: &str) -> String {
    let h = iop_app::secrets::sha256_hex(format!("iop/v1/csrf:{session_token}").as_bytes());
    h.get(..32).unwrap_or(&h).to_owned()
}

/// Compares two tokens in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A logged-in user of the web interface; without a live session, the page answers with a
/// redirect to the login page that comes back here afterwards.
pub struct WebUser {
    pub user: UserRec,
    pub token: String,
}

impl WebUser {
    pub fn csrf(&self) -> String {
        csrf_for(&self.token)
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let back = || {
            let target = parts.uri.path_and_query().map_or("/bandeja", |p| p.as_str());
            Redirect::to(&format!("/ingresar?siguiente={}", encode(target))).into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(back());
        };
        match iop_app::auth::session_user(st, token).await {
            Ok(user) => Ok(WebUser {
                user,
                token: token.to_owned(),
            }),
            Err(_) => Err(back()),
        }
    }
}

/// The client's address (login throttling per address), when the server gives it.
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// A submitted form's fields, as sent (names may repeat).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// A value the user gave, trimmed (blank is none).
    pub fn one(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
    }
    /// A value, or empty.
    pub fn value(&self, name: &str) -> String {
        self.one(name).unwrap_or_default()
    }
    /// Every value of a field that repeats.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
    /// The form carries this session's CSRF token.
    pub fn csrf_ok(&self, user: &WebUser) -> bool {
        same(&user.csrf(), &self.value("_csrf"))
    }
}

/// A path to come back to after login: only one of this site's (never `//host` or a URL).
pub fn local_path(p: &str) -> Option<&str> {
    (p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.bytes().any(|b| b.is_ascii_control())).then_some(p)
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(local_path("/bandeja"), Some("/bandeja"));
        assert_eq!(
            local_path("/solicitudes/IOP-2026-000001?x=1"),
            Some("/solicitudes/IOP-2026-000001?x=1")
        );
        for bad in ["//evil.example/", "https://evil.example/", "evil", "/\\evil", "/a\nb", ""] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn csrf_tokens_are_per_session_and_compared_whole() {
        let a = csrf_for("t1");
        assert_eq!(a.len(), 32);
        assert_ne!(a, csrf_for("t2"));
        assert!(same(&a, &csrf_for("t1")));
        assert!(!same(&a, a.get(..31).unwrap_or_default()) && !same(&a, ""));
    }
}
