//! Credentials as clients of the national platform already send them: Kong-style `apikey` header,
//! and `Authorization: Bearer <JWT>` signed HS256 whose `iss` names the credential.
//!
//! API keys are never held in clear: the snapshot indexes them by HMAC-SHA-256 under a key derived
//! from the platform's master key. JWTs must say `alg: HS256` exactly; `none` and every other
//! algorithm are refused before any key is looked up, so there is no algorithm confusion.

use crate::refusal::Refusal;
use crate::snapshot::{Consumer, JwtVerifier, Snapshot};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::sync::Arc;

type HmacSha256 = Hmac<Sha256>;

/// Keys derived from the master key, one per purpose.
#[derive(Clone)]
pub struct DerivedKeys {
    api_key: [u8; 32],
    pii: [u8; 32],
}

impl std::fmt::Debug for DerivedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKeys(***)")
    }
}

pub fn hmac256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("hmac takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl DerivedKeys {
    pub fn from_master(master: &[u8]) -> Self {
        Self {
            api_key: hmac256(master, b"iop/v1/apikey"),
            pii: hmac256(master, b"iop/v1/pii"),
        }
    }
    /// What the snapshot and the store keep of an API key.
    pub fn api_key_hash(&self, key: &str) -> [u8; 32] {
        hmac256(&self.api_key, key.as_bytes())
    }
    /// A personal identifier as it may be kept in a record.
    pub fn pii_hash(&self, value: &str) -> String {
        let h = hmac256(&self.pii, value.as_bytes());
        format!("hmac:{}", iop_audit::to_hex(&h[..8]))
    }
}

/// Why a credential was refused (all 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    UnknownKey,
    Malformed,
    Algorithm,
    BadSignature,
    Expired,
    NotYetValid,
    /// The credential requires `exp` and the token has none.
    NoExp,
    /// `exp` lies further ahead than the credential allows.
    TooLong,
}

impl AuthError {
    pub fn refusal(self) -> Refusal {
        match self {
            AuthError::Missing => Refusal::CredencialRequerida,
            AuthError::UnknownKey => Refusal::CredencialInvalida,
            AuthError::Malformed => Refusal::JwtMalFormado,
            AuthError::Algorithm => Refusal::JwtAlgoritmo,
            AuthError::BadSignature => Refusal::JwtFirmaInvalida,
            AuthError::Expired => Refusal::CredencialVencida,
            AuthError::NotYetValid => Refusal::JwtAunNoValido,
            AuthError::NoExp => Refusal::JwtSinExp,
            AuthError::TooLong => Refusal::JwtVigenciaExcesiva,
        }
    }
}

fn not_expired(c: &Arc<Consumer>, now_ms: i64) -> Result<Arc<Consumer>, AuthError> {
    match c.not_after_ms {
        Some(t) if now_ms >= t => Err(AuthError::Expired),
        _ => Ok(c.clone()),
    }
}

/// Authenticates with an `apikey` header value.
pub fn by_api_key(snap: &Snapshot, keys: &DerivedKeys, key: &str, now_ms: i64) -> Result<Arc<Consumer>, AuthError> {
    if key.is_empty() || key.len() > 256 {
        return Err(AuthError::UnknownKey);
    }
    let c = snap.api_key(&keys.api_key_hash(key)).ok_or(AuthError::UnknownKey)?;
    not_expired(c, now_ms)
}

#[derive(Clone, Copy)]
enum Alg {
    Hs256,
    Rs256,
    Es256,
}

#[derive(serde::Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: Option<std::borrow::Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct Claims {
    iss: Option<String>,
    exp: Option<serde_json::Number>,
    nbf: Option<serde_json::Number>,
}

fn numeric(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))
}

/// Authenticates with a bearer JWT (HS256, `iss` = credential key).
pub fn by_jwt(snap: &Snapshot, token: &str, now_ms: i64) -> Result<Arc<Consumer>, AuthError> {
    if token.len() > 8192 {
        return Err(AuthError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(AuthError::Malformed);
    };
    let header = URL_SAFE_NO_PAD.decode(h64).map_err(|_| AuthError::Malformed)?;
    let header: Header = serde_json::from_slice(&header).map_err(|_| AuthError::Malformed)?;
    // Only these three, spelled exactly; `none` and everything else are refused before any lookup.
    let alg = match header.alg.as_deref() {
        Some("HS256") => Alg::Hs256,
        Some("RS256") => Alg::Rs256,
        Some("ES256") => Alg::Es256,
        _ => return Err(AuthError::Algorithm),
    };
    let payload = URL_SAFE_NO_PAD.decode(p64).map_err(|_| AuthError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| AuthError::Malformed)?;
    let iss = claims.iss.ok_or(AuthError::Malformed)?;
    let key = snap.jwt_key(&iss).ok_or(AuthError::UnknownKey)?;
    let sig = URL_SAFE_NO_PAD.decode(s64).map_err(|_| AuthError::BadSignature)?;
    let signed_len = h64.len() + 1 + p64.len();
    let signed = token.as_bytes().get(..signed_len).ok_or(AuthError::Malformed)?;
    // The credential decides the algorithm: a token whose header names another one (say HS256
    // "signed" with an RSA public key) is refused — no algorithm confusion.
    match (&key.verifier, alg) {
        (JwtVerifier::Hs256(secret), Alg::Hs256) => {
            let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret).map_err(|_| AuthError::BadSignature)?;
            mac.update(signed);
            mac.verify_slice(&sig).map_err(|_| AuthError::BadSignature)?;
        }
        (JwtVerifier::Rs256(pk), Alg::Rs256) => {
            ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &pk[..])
                .verify(signed, &sig)
                .map_err(|_| AuthError::BadSignature)?;
        }
        (JwtVerifier::Es256(pk), Alg::Es256) => {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &pk[..])
                .verify(signed, &sig)
                .map_err(|_| AuthError::BadSignature)?;
        }
        _ => return Err(AuthError::Algorithm),
    }
    let now_s = now_ms.div_euclid(1000);
    let exp = claims.exp.as_ref().map(|n| numeric(n).ok_or(AuthError::Malformed)).transpose()?;
    match exp {
        Some(exp) if now_s >= exp => return Err(AuthError::Expired),
        Some(exp) if key.policy.max_lifetime_s.is_some_and(|max| exp - now_s > i64::from(max)) => return Err(AuthError::TooLong),
        Some(_) => {}
        None if key.policy.require_exp => return Err(AuthError::NoExp),
        None => {}
    }
    if let Some(nbf) = claims.nbf.as_ref().map(|n| numeric(n).ok_or(AuthError::Malformed)).transpose()?
        && now_s < nbf
    {
        return Err(AuthError::NotYetValid);
    }
    not_expired(&key.consumer, now_ms)
}

/// Reads a public key (SubjectPublicKeyInfo, DER) into a verifier: RSA (2048 bits or more) for
/// RS256, or P-256 for ES256. Refuses anything else.
pub fn verifier_from_spki(der: &[u8]) -> Result<JwtVerifier, &'static str> {
    // SEQUENCE { SEQUENCE { OID algorithm, parameters }, BIT STRING subjectPublicKey }
    let (outer, rest) = der_take(der, 0x30).ok_or("no es una clave pública DER")?;
    if !rest.is_empty() {
        return Err("datos sobrantes tras la clave");
    }
    let (alg_id, after) = der_take(outer, 0x30).ok_or("falta el algoritmo")?;
    let (bits, tail) = der_take(after, 0x03).ok_or("falta la clave")?;
    if !tail.is_empty() || bits.first() != Some(&0) {
        return Err("clave mal formada");
    }
    let key = bits.get(1..).unwrap_or_default();
    let (oid, params) = der_take(alg_id, 0x06).ok_or("falta el OID")?;
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    const EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    if oid == RSA {
        if key.len() < 256 {
            return Err("la clave RSA debe tener al menos 2048 bits");
        }
        return Ok(JwtVerifier::Rs256(key.into()));
    }
    if oid == EC {
        let (curve, _) = der_take(params, 0x06).ok_or("falta la curva")?;
        if curve != P256 {
            return Err("solo se admite la curva P-256 (ES256)");
        }
        if key.len() != 65 || key.first() != Some(&4) {
            return Err("punto P-256 no válido");
        }
        return Ok(JwtVerifier::Es256(key.into()));
    }
    Err("algoritmo de clave no admitido (use RSA o EC P-256)")
}

/// Takes one DER element of the given tag: its contents and what follows it.
fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(n)?;
        (bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), rest)
    };
    rest.split_at_checked(len)
}

/// Signs an HS256 JWT (used by tests, benchmarks and the demo's example).
pub fn sign_hs256(secret: &[u8], claims: &serde_json::Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    let sig = hmac256(secret, format!("{h}.{p}").as_bytes());
    format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{JwtPolicy, SnapshotBuilder};
    use serde_json::json;

    fn snap() -> (Snapshot, DerivedKeys) {
        let keys = DerivedKeys::from_master(b"master-key-for-tests-0123456789ab");
        let consumer = Arc::new(Consumer {
            system_id: "sys".into(),
            system_code: "tramites".into(),
            entity_sigla: "GAM".into(),
            credential_id: "cred".into(),
            not_after_ms: None,
            sandbox_only: false,
        });
        let mut b = SnapshotBuilder::new(1, 0);
        b.api_key(keys.api_key_hash("iop_k_secreta"), consumer.clone());
        b.jwt("iop_j_clave", b"secreto-jwt".to_vec(), consumer.clone());
        let strict = JwtPolicy {
            require_exp: true,
            max_lifetime_s: Some(3600),
        };
        b.jwt_with(
            "iop_j_estricta",
            JwtVerifier::Hs256(b"secreto-jwt".to_vec().into()),
            strict,
            consumer,
        );
        (b.build(), keys)
    }

    #[test]
    fn api_keys_by_keyed_hash() {
        let (s, k) = snap();
        assert_eq!(
            by_api_key(&s, &k, "iop_k_secreta", 0).map(|c| c.credential_id.to_string()),
            Ok("cred".into())
        );
        assert_eq!(by_api_key(&s, &k, "iop_k_otra", 0).err(), Some(AuthError::UnknownKey));
        // A different master key derives different hashes.
        let other = DerivedKeys::from_master(b"another-master-key");
        assert_eq!(by_api_key(&s, &other, "iop_k_secreta", 0).err(), Some(AuthError::UnknownKey));
    }

    #[test]
    fn jwt_hs256_with_iss_exp_nbf() {
        let (s, _) = snap();
        let now = 1_800_000_000_000i64;
        let ok = sign_hs256(b"secreto-jwt", &json!({"iss": "iop_j_clave", "exp": now / 1000 + 60}));
        assert!(by_jwt(&s, &ok, now).is_ok());
        let expired = sign_hs256(b"secreto-jwt", &json!({"iss": "iop_j_clave", "exp": now / 1000 - 1}));
        assert_eq!(by_jwt(&s, &expired, now).err(), Some(AuthError::Expired));
        let early = sign_hs256(b"secreto-jwt", &json!({"iss": "iop_j_clave", "nbf": now / 1000 + 60}));
        assert_eq!(by_jwt(&s, &early, now).err(), Some(AuthError::NotYetValid));
        let wrong = sign_hs256(b"otro-secreto", &json!({"iss": "iop_j_clave"}));
        assert_eq!(by_jwt(&s, &wrong, now).err(), Some(AuthError::BadSignature));
        let unknown = sign_hs256(b"secreto-jwt", &json!({"iss": "iop_j_nadie"}));
        assert_eq!(by_jwt(&s, &unknown, now).err(), Some(AuthError::UnknownKey));
        assert_eq!(by_jwt(&s, "a.b", now).err(), Some(AuthError::Malformed));
    }

    #[test]
    fn a_credential_may_require_exp_and_bound_its_lifetime() {
        let (s, _) = snap();
        let now = 1_800_000_000_000i64;
        let t = |claims| sign_hs256(b"secreto-jwt", &claims);
        // Without exp: accepted only where the credential allows it (older credentials).
        assert!(by_jwt(&s, &t(json!({"iss": "iop_j_clave"})), now).is_ok());
        assert_eq!(by_jwt(&s, &t(json!({"iss": "iop_j_estricta"})), now).err(), Some(AuthError::NoExp));
        assert!(by_jwt(&s, &t(json!({"iss": "iop_j_estricta", "exp": now / 1000 + 3600})), now).is_ok());
        assert_eq!(
            by_jwt(&s, &t(json!({"iss": "iop_j_estricta", "exp": now / 1000 + 3601})), now).err(),
            Some(AuthError::TooLong)
        );
        assert_eq!(
            by_jwt(&s, &t(json!({"iss": "iop_j_estricta", "exp": now / 1000 - 1})), now).err(),
            Some(AuthError::Expired)
        );
    }

    #[test]
    fn alg_none_and_confusion_are_refused() {
        let (s, _) = snap();
        let claims = URL_SAFE_NO_PAD.encode(json!({"iss": "iop_j_clave"}).to_string());
        for alg in ["none", "None", "RS256", "HS512", "hs256"] {
            let h = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
            let sig = URL_SAFE_NO_PAD.encode(hmac256(b"secreto-jwt", format!("{h}.{claims}").as_bytes()));
            assert_eq!(
                by_jwt(&s, &format!("{h}.{claims}.{sig}"), 0).err(),
                Some(AuthError::Algorithm),
                "{alg}"
            );
            assert_eq!(by_jwt(&s, &format!("{h}.{claims}."), 0).err(), Some(AuthError::Algorithm), "{alg}");
        }
        let h = URL_SAFE_NO_PAD.encode(json!({"typ": "JWT"}).to_string());
        assert_eq!(by_jwt(&s, &format!("{h}.{claims}.x"), 0).err(), Some(AuthError::Algorithm));
    }
}
