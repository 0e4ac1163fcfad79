//! Entry points for the coverage-guided fuzz targets in `fuzz/`, also replayed over their corpora by
//! the normal test suite. Each takes any bytes, must never panic, and asserts what must hold for
//! every input.

use crate::auth::{self, DerivedKeys};
use crate::path;
use crate::snapshot::{Consumer, JwtPolicy, JwtVerifier, Operation, Route, Segment, Snapshot, SnapshotBuilder};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The instant every fuzzed credential is checked at.
const NOW_MS: i64 = 1_800_000_000_000;

fn op(id: &str, method: hyper::Method, path: &str) -> Operation {
    Operation {
        id: id.into(),
        method,
        segments: Segment::parse_template(path, &["ci".to_owned()]),
        pii_query: vec![],
        example: None,
    }
}

fn route(base: &str, operations: Vec<Operation>) -> Route {
    Route {
        service_id: base.into(),
        service_code: base.into(),
        entity_sigla: "E".into(),
        base_path: base.into(),
        upstreams: vec![],
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        upstream_headers: vec![],
        operations: operations.into(),
        pii_query: vec![],
        max_body_bytes: 1024,
        tls: None,
        deprecation: None,
    }
}

/// A small world: three services (one described, one nested under it, one not described), an API
/// key and an HS256 JWT credential that requires `exp`.
pub fn world() -> &'static (Snapshot, DerivedKeys) {
    static WORLD: OnceLock<(Snapshot, DerivedKeys)> = OnceLock::new();
    WORLD.get_or_init(|| {
        let keys = DerivedKeys::from_master(b"clave-maestra-de-fuzzing-0123456");
        let mut b = SnapshotBuilder::new(1, 0);
        let described = vec![
            op("persona", hyper::Method::GET, "/personas/{ci}"),
            op("items", hyper::Method::GET, "/items/{id}"),
            op("anios", hyper::Method::GET, "/años/{gestion}"),
            op("arroba", hyper::Method::GET, "/users/@me"),
            op("crear", hyper::Method::POST, "/items"),
        ];
        for r in [
            route("/eco/v1/", described),
            route("/eco/v1/sub/", vec![op("hoja", hyper::Method::GET, "/hoja")]),
            route("/otra/v1/", vec![]),
        ] {
            let _ = b.route(r);
        }
        let consumer = Arc::new(Consumer {
            system_id: "sys".into(),
            system_code: "sistema".into(),
            entity_sigla: "E".into(),
            credential_id: "cred".into(),
            not_after_ms: None,
            sandbox_only: false,
        });
        b.api_key(keys.api_key_hash("iop_k_fuzz"), consumer.clone());
        let policy = JwtPolicy {
            require_exp: true,
            max_lifetime_s: Some(3600),
        };
        b.jwt_with("iop_j_fuzz", JwtVerifier::Hs256(b"secreto-fuzz".to_vec().into()), policy, consumer);
        (b.build(), keys)
    })
}

/// Path canonicalisation, routing and operation matching.
pub fn path_and_route(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let (snap, _) = world();
    let Ok(c) = path::canonicalize(raw) else { return };
    assert!(c.forward.is_ascii(), "{raw:?}");
    for seg in c.matching.split('/') {
        assert!(seg != "." && seg != ".." && !seg.contains('\\'), "{raw:?}");
    }
    for bad in ["%2F", "%2f", "%25", "%5C", "%5c", "%00", "//"] {
        assert!(!c.forward.contains(bad), "{raw:?}");
    }
    // Canonical forms are fixed points.
    match path::canonicalize(&c.forward) {
        Ok(again) => assert_eq!((&again.matching, &again.forward), (&c.matching, &c.forward), "{raw:?}"),
        Err(e) => panic!("{raw:?}: the canonical form is refused: {e:?}"),
    }
    if let Some((route, rest)) = snap.route(&c.matching) {
        assert!(c.matching.len() >= rest.len());
        let forwarded = c.forward_rest(c.matching.len() - rest.len());
        assert_eq!(forwarded.matches('/').count(), rest.matches('/').count(), "{raw:?}");
        for m in [hyper::Method::GET, hyper::Method::POST] {
            if let Ok(Some(op)) = route.operation(&m, rest) {
                let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
                assert_eq!(op.segments.len(), parts.len(), "{raw:?}");
                assert!(parts.iter().all(|p| *p != "." && *p != ".."), "{raw:?}");
            }
        }
    }
}

/// API keys, JWTs (header, claims, signature, policy) and public keys (SubjectPublicKeyInfo DER):
/// the first byte says which.
pub fn credentials(data: &[u8]) {
    let (snap, keys) = world();
    match data.split_first() {
        Some((0, rest)) => {
            if let Ok(k) = std::str::from_utf8(rest) {
                let ok = auth::by_api_key(snap, keys, k, NOW_MS).is_ok();
                assert_eq!(ok, k == "iop_k_fuzz");
            }
        }
        Some((1, rest)) => {
            if let Ok(t) = std::str::from_utf8(rest)
                && let Ok(c) = auth::by_jwt(snap, t, NOW_MS)
            {
                // Only a token signed with the credential's secret gets through.
                assert_eq!(&*c.credential_id, "cred");
            }
        }
        Some((_, rest)) => {
            let _ = auth::verifier_from_spki(rest);
        }
        None => {}
    }
}

/// The corpus directory of a fuzz target (`fuzz/corpus/<name>` in the repository).
pub fn corpus(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(name)
}

/// Replays a corpus directory through a target (for the normal test suite).
pub fn replay(dir: &std::path::Path, target: fn(&[u8])) -> usize {
    let mut n = 0;
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    for e in entries.flatten() {
        if let Ok(bytes) = std::fs::read(e.path()) {
            target(&bytes);
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_corpus_replays_clean() {
        assert!(replay(&corpus("ruta"), path_and_route) > 0, "corpus ruta is empty");
    }

    #[test]
    fn the_credentials_corpus_replays_clean() {
        assert!(replay(&corpus("credenciales"), credentials) > 0, "corpus credenciales is empty");
    }
}
