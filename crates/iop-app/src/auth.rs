//! Local accounts: Argon2id password hashes, bearer tokens (random, stored only as SHA-256), and
//! throttling of failed logins per account and per client address.

use crate::error::AppError;
use crate::secrets::sha256_hex;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use time::OffsetDateTime;

/// Random bytes from the OS, hex-encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // getrandom only fails on platforms without an entropy source; we cannot run there.
    if getrandom::fill(&mut buf).is_err() {
        panic!("no OS randomness available");
    }
    iop_audit::to_hex(&buf)
}

/// A new bearer token: `iop_s_` + 256 random bits.
pub fn new_token() -> String {
    format!("iop_s_{}", random_hex(32))
}

/// A new random password (shown once): 24 characters from an unambiguous alphabet.
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 24];
    if getrandom::fill(&mut buf).is_err() {
        panic!("no OS randomness available");
    }
    buf.iter()
        .filter_map(|b| ALPHABET.get(usize::from(*b) % ALPHABET.len()))
        .map(|c| char::from(*c))
        .collect()
}

pub fn hash_token(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// Hashes a password with Argon2id (default parameters), off the async threads.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|_| AppError::internal())
    })
    .await
    .map_err(|_| AppError::internal())?
}

/// A hash of a random password, computed once: unknown users are checked against it so that a
/// login attempt takes as long whether or not the account exists.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(random_hex(16).as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Checks a password against a stored hash (or the dummy one), off the async threads.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let matches = PasswordHash::new(&hash)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false);
        matches && known
    })
    .await
    .unwrap_or(false)
}

/// Counts failed logins in a sliding window, per key (`cuenta:<login>`, `ip:<addr>`).
///
/// Memory is bounded: past `capacity` keys, expired entries go first, then those with the fewest
/// failures; a key that has reached a limit is never forgotten for room, so spraying new keys
/// cannot lift a lockout.
#[derive(Debug)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<OffsetDateTime>>>,
    capacity: usize,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::with_capacity(100_000)
    }
}

impl Throttle {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            capacity: capacity.max(2),
        }
    }

    /// `Err` with the seconds to wait if `key` already reached `max` failures in `window`.
    pub fn check(&self, key: &str, max: u32, window: Duration, now: OffsetDateTime) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(list) = map.get_mut(key) else {
            return Ok(());
        };
        list.retain(|t| now - *t < window);
        if list.len() as u32 >= max {
            let oldest = list.iter().min().copied().unwrap_or(now);
            let wait = (oldest + window - now).whole_seconds().max(1);
            return Err(wait as u64);
        }
        Ok(())
    }

    pub fn fail(&self, key: &str, now: OffsetDateTime, window: Duration) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity && !map.contains_key(key) {
            map.retain(|_, list| {
                list.retain(|t| now - *t < window);
                !list.is_empty()
            });
            if map.len() >= self.capacity {
                // Make room for a tenth: the keys with the fewest recent failures, oldest first.
                let mut by_weight: Vec<(usize, OffsetDateTime, String)> = map
                    .iter()
                    .map(|(k, l)| (l.len(), l.iter().max().copied().unwrap_or(now), k.clone()))
                    .collect();
                by_weight.sort_unstable();
                let excess = map.len() + 1 - self.capacity * 9 / 10;
                for (_, _, k) in by_weight.into_iter().take(excess) {
                    map.remove(&k);
                }
            }
        }
        let list = map.entry(key.to_owned()).or_default();
        list.push(now);
        // A key never holds more entries than any limit needs.
        if list.len() > 1_000 {
            list.remove(0);
        }
    }

    pub fn clear(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }
}

pub fn throttled(wait: u64) -> AppError {
    let mut e = AppError::of("demasiados_intentos", iop_i18n::args![segundos = &wait]);
    e.retry_after = Some(wait);
    e
}

/// A session opened by [`login`]: the bearer token (returned once, stored only as its hash),
/// when it expires, and whose it is.
pub struct Session {
    pub token: String,
    pub expires: OffsetDateTime,
    pub user: iop_store::UserRec,
}

/// Logs in with a local account, throttled per client address and per account. An unknown user is
/// checked against a dummy hash, so timing does not tell who exists.
pub async fn login(st: &crate::AppState, addr: Option<std::net::IpAddr>, usuario: &str, contrasena: String) -> Result<Session, AppError> {
    let bad = || AppError::of("credenciales_invalidas", &[]);
    let now = st.now();
    let cfg = &st.config;
    let ip_key = format!("ip:{}", addr.map(|a| a.to_string()).unwrap_or_else(|| "desconocida".into()));
    st.throttle
        .check(&ip_key, cfg.login_max_failures_address, cfg.login_window, now)
        .map_err(throttled)?;
    let login = iop_domain::Login::parse(usuario).map_err(|_| bad())?;
    let acct_key = format!("cuenta:{login}");
    st.throttle
        .check(&acct_key, cfg.login_max_failures_account, cfg.login_window, now)
        .map_err(throttled)?;
    let user = st.store.user_by_login(&login).await?;
    let ok = verify_password(contrasena, user.as_ref().map(|u| u.password_hash.clone())).await;
    let address = addr.map(|a| a.to_string());
    let known = user.as_ref().map(|u| u.login.as_str().to_owned());
    let Some(user) = user.filter(|u| ok && u.active) else {
        st.throttle.fail(&acct_key, now, cfg.login_window);
        st.throttle.fail(&ip_key, now, cfg.login_window);
        // The name typed is logged and recorded only if it is an account: people type passwords
        // into that field.
        match &known {
            Some(login) => {
                tracing::info!(usuario = %login, "inicio de sesión fallido");
                st.store.record_failed_login(login, address.as_deref(), now).await?;
            }
            None => tracing::info!(
                direccion = address.as_deref().unwrap_or("-"),
                "inicio de sesión fallido (usuario desconocido)"
            ),
        }
        return Err(bad());
    };
    st.throttle.clear(&acct_key);
    let token = new_token();
    let expires = now + cfg.token_ttl;
    st.store
        .create_session(
            &iop_store::SessionRec {
                token_hash: hash_token(&token),
                user: user.id,
                created_at: now,
                expires_at: expires,
            },
            &iop_store::AuditBy::user(&user),
            address.as_deref(),
        )
        .await?;
    tracing::info!(usuario = %login, "inicio de sesión");
    Ok(Session { token, expires, user })
}

/// The user a session token belongs to, while the session lasts (401 otherwise).
pub async fn session_user(st: &crate::AppState, token: &str) -> Result<iop_store::UserRec, AppError> {
    st.store
        .session_user(&hash_token(token), st.now())
        .await?
        .ok_or_else(AppError::unauthenticated)
}

/// Changes one's own password: the current one must be right (a wrong one counts as a failed
/// login, throttled the same way), the new one must be a valid password. Every session of the
/// user ends, this one included; the change is an audit record (`usuario.contrasena`).
pub async fn change_own_password(
    st: &crate::AppState,
    user: &iop_store::UserRec,
    addr: Option<std::net::IpAddr>,
    current: String,
    new: &str,
) -> Result<(), AppError> {
    let now = st.now();
    let cfg = &st.config;
    let acct_key = format!("cuenta:{}", user.login);
    st.throttle
        .check(&acct_key, cfg.login_max_failures_account, cfg.login_window, now)
        .map_err(throttled)?;
    if !verify_password(current, Some(user.password_hash.clone())).await {
        st.throttle.fail(&acct_key, now, cfg.login_window);
        let address = addr.map(|a| a.to_string());
        st.store.record_failed_login(user.login.as_str(), address.as_deref(), now).await?;
        return Err(AppError::of("credenciales_invalidas", &[]));
    }
    let pw = iop_domain::Password::parse(new).map_err(|i| AppError::invalid("contrasena", i))?;
    let hash = hash_password(pw.expose().to_owned()).await?;
    st.store.set_password(user.id, &hash, now, &iop_store::AuditBy::user(user)).await?;
    tracing::info!(usuario = %user.login, "contraseña cambiada por su titular");
    Ok(())
}

/// Ends a session (recorded in the audit log as its user's).
pub async fn logout(st: &crate::AppState, user: &iop_store::UserRec, token: &str) -> Result<(), AppError> {
    st.store
        .revoke_session(&hash_token(token), st.now(), &iop_store::AuditBy::user(user))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_counts_in_a_window() {
        let t = Throttle::default();
        let w = Duration::from_secs(60);
        let t0 = OffsetDateTime::UNIX_EPOCH;
        for i in 0..3 {
            assert!(t.check("k", 3, w, t0).is_ok(), "{i}");
            t.fail("k", t0, w);
        }
        assert_eq!(t.check("k", 3, w, t0 + time::Duration::seconds(10)), Err(50));
        assert!(t.check("k", 3, w, t0 + time::Duration::seconds(61)).is_ok());
        t.fail("k", t0, w);
        t.clear("k");
        assert!(t.check("k", 1, w, t0).is_ok());
    }

    #[test]
    fn spraying_new_keys_never_lifts_a_lockout() {
        let t = Throttle::with_capacity(1_000);
        let w = Duration::from_secs(900);
        let t0 = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..5 {
            t.fail("cuenta:victima", t0, w);
        }
        assert!(t.check("cuenta:victima", 5, w, t0).is_err());
        // Ten times the table's capacity of other keys, each failing once.
        for i in 0..10_000 {
            t.fail(&format!("cuenta:x{i}"), t0 + time::Duration::seconds(1), w);
        }
        assert!(t.check("cuenta:victima", 5, w, t0 + time::Duration::seconds(2)).is_err());
        let held = t.failures.lock().map(|m| m.len()).unwrap_or(usize::MAX);
        assert!(held <= 1_000, "memory stays bounded: {held}");
        // Expired entries are what goes first.
        assert!(t.check("cuenta:victima", 5, w, t0 + time::Duration::seconds(901)).is_ok());
    }

    #[test]
    fn tokens_and_passwords_are_random() {
        assert_ne!(new_token(), new_token());
        assert!(new_token().starts_with("iop_s_"));
        assert_eq!(new_password().len(), 24);
    }
}
