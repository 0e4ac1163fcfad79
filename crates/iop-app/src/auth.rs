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

/// Failed logins from one client address within one window (`login_window`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedWindow {
    pub address: Option<String>,
    pub first: OffsetDateTime,
    pub last: OffsetDateTime,
    pub attempts: u32,
    /// The accounts tried that exist (at most [`FailedLogins::MAX_ACCOUNTS`]); names that are no
    /// account are only counted, never kept: people type passwords into that field.
    pub accounts: std::collections::BTreeSet<String>,
    pub unknown: u32,
}

impl FailedWindow {
    /// Worth its own record: more than the one failure already on record, or a failure on a name
    /// that is no account (never recorded one by one).
    pub fn worth_recording(&self) -> bool {
        self.attempts > 1 || self.unknown > 0
    }
}

/// Failed logins aggregated per client address: the first failure on an account in a window is
/// recorded at once (`sesion.fallida`); the window's total (`sesion.fallidas`: attempts, the
/// accounts tried, how many names were no account) is recorded when the window ends, when a login
/// from that address succeeds, or when the platform stops — so guessing passwords from one
/// address costs the audit log two records per window, not one per guess.
#[derive(Debug)]
pub struct FailedLogins {
    windows: Mutex<HashMap<String, FailedWindow>>,
    capacity: usize,
}

impl Default for FailedLogins {
    fn default() -> Self {
        Self::with_capacity(100_000)
    }
}

impl FailedLogins {
    pub const MAX_ACCOUNTS: usize = 32;

    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            windows: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    fn key(address: Option<&str>) -> String {
        address.unwrap_or("-").to_owned()
    }

    /// Counts a failure from `address` on `account` (`None`: a name that is no account). Returns
    /// whether it opens a window (so it is recorded at once, if on an account) and the windows to
    /// record now: this address's previous one if it ended, and, when memory is full, the oldest.
    pub fn count(&self, address: Option<&str>, account: Option<&str>, now: OffsetDateTime, window: Duration) -> (bool, Vec<FailedWindow>) {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let key = Self::key(address);
        let mut out = Vec::new();
        if map.get(&key).is_some_and(|w| now - w.first >= window) {
            out.extend(map.remove(&key));
        }
        if !map.contains_key(&key) && map.len() >= self.capacity {
            let oldest = map.iter().min_by_key(|(_, w)| w.first).map(|(k, _)| k.clone());
            out.extend(oldest.and_then(|k| map.remove(&k)));
        }
        let opened = !map.contains_key(&key);
        let w = map.entry(key).or_insert_with(|| FailedWindow {
            address: address.map(str::to_owned),
            first: now,
            last: now,
            attempts: 0,
            accounts: Default::default(),
            unknown: 0,
        });
        w.attempts = w.attempts.saturating_add(1);
        w.last = now;
        match account {
            Some(a) if w.accounts.len() < Self::MAX_ACCOUNTS => {
                w.accounts.insert(a.to_owned());
            }
            Some(_) => {}
            None => w.unknown = w.unknown.saturating_add(1),
        }
        (opened, out)
    }

    /// This address's window, taken out (after a successful login from it).
    pub fn take(&self, address: Option<&str>) -> Option<FailedWindow> {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&Self::key(address))
    }

    /// The windows that ended by `now` (every window, with `all`), taken out.
    pub fn take_ended(&self, now: OffsetDateTime, window: Duration, all: bool) -> Vec<FailedWindow> {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let ended: Vec<String> = map
            .iter()
            .filter(|(_, w)| all || now - w.first >= window)
            .map(|(k, _)| k.clone())
            .collect();
        ended.into_iter().filter_map(|k| map.remove(&k)).collect()
    }
}

/// Records the windows of failed logins worth a record.
async fn record_windows(st: &crate::AppState, windows: Vec<FailedWindow>) -> Result<(), AppError> {
    for w in windows.into_iter().filter(FailedWindow::worth_recording) {
        let summary = iop_store::FailedLoginsRec {
            address: w.address,
            first: w.first,
            last: w.last,
            attempts: w.attempts,
            accounts: w.accounts.into_iter().collect(),
            unknown: w.unknown,
        };
        st.store.record_failed_logins(&summary).await?;
    }
    Ok(())
}

/// Records the windows of failed logins that ended (every one, with `all`: at shutdown).
pub async fn flush_failed_logins(st: &crate::AppState, all: bool) -> Result<(), AppError> {
    let ended = st.failed_logins.take_ended(st.now(), st.config.login_window, all);
    record_windows(st, ended).await
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
        // into that field. Per address, the first failure on an account is recorded at once and
        // the rest of the window in one record.
        let (opened, ended) = st.failed_logins.count(address.as_deref(), known.as_deref(), now, cfg.login_window);
        record_windows(st, ended).await?;
        match &known {
            Some(login) => {
                tracing::info!(usuario = %login, "inicio de sesión fallido");
                if opened {
                    st.store.record_failed_login(login, address.as_deref(), now).await?;
                }
            }
            None => tracing::info!(
                direccion = address.as_deref().unwrap_or("-"),
                "inicio de sesión fallido (usuario desconocido)"
            ),
        }
        return Err(bad());
    };
    st.throttle.clear(&acct_key);
    if let Some(w) = st.failed_logins.take(address.as_deref()) {
        record_windows(st, vec![w]).await?;
    }
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

/// The user a session token belongs to, while the session lasts (401 otherwise), with the roles
/// they hold now in someone's place (suplencias in force) added to their own.
pub async fn session_user(st: &crate::AppState, token: &str) -> Result<iop_store::UserRec, AppError> {
    let now = st.now();
    let mut user = st
        .store
        .session_user(&hash_token(token), now)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    for s in st.store.suplencias_of(user.id, now).await? {
        crate::suplencias::take_on(&mut user, s);
    }
    Ok(user)
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
    fn failed_logins_are_counted_per_address_in_windows() {
        let f = FailedLogins::with_capacity(2);
        let t0 = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let win = Duration::from_secs(900);
        let at = |s: u64| t0 + Duration::from_secs(s);
        // The first failure opens the window; the next ones in it are only counted.
        assert_eq!(f.count(Some("10.0.0.1"), Some("jefe"), at(0), win), (true, vec![]));
        assert_eq!(f.count(Some("10.0.0.1"), None, at(10), win), (false, vec![]));
        assert_eq!(f.count(Some("10.0.0.1"), Some("resp"), at(20), win), (false, vec![]));
        // Past the window, the next failure opens a new one and hands back the old one.
        let (opened, ended) = f.count(Some("10.0.0.1"), Some("jefe"), at(900), win);
        assert!(opened);
        assert_eq!(ended.len(), 1);
        let w = &ended[0];
        assert_eq!((w.attempts, w.unknown, w.first, w.last), (3, 1, at(0), at(20)));
        assert_eq!(w.accounts.iter().collect::<Vec<_>>(), ["jefe", "resp"]);
        assert!(w.worth_recording());
        // A single failure on an account is already on record.
        assert!(!f.take(Some("10.0.0.1")).is_some_and(|w| w.worth_recording()));
        // Memory is bounded: the oldest window is handed back for its record, never dropped.
        f.count(Some("a"), None, at(1000), win);
        f.count(Some("b"), None, at(1001), win);
        let (_, out) = f.count(Some("c"), None, at(1002), win);
        assert_eq!(out.iter().map(|w| w.address.clone()).collect::<Vec<_>>(), [Some("a".to_owned())]);
        // At shutdown, every window.
        assert_eq!(f.take_ended(at(1003), win, false).len(), 0);
        assert_eq!(f.take_ended(at(1003), win, true).len(), 2);
        // The accounts kept are bounded too.
        for i in 0..100 {
            f.count(Some("d"), Some(&format!("u{i}")), at(2000), win);
        }
        let d = f.take(Some("d")).unwrap_or_else(|| panic!("no window"));
        assert_eq!((d.attempts, d.accounts.len()), (100, FailedLogins::MAX_ACCOUNTS));
    }

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
