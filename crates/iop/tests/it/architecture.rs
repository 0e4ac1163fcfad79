//! Which crate may depend on which (ARCHITECTURE.md, "Dependency rules"), read from `cargo
//! metadata`: a forbidden arrow fails CI. The rules already name the crates to come (the
//! application crate, the REST API crate, the web interface, the documents, the public
//! verification listener) and apply as soon as they exist.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Normal and build dependencies of each workspace package (dev-dependencies are the tests' own).
fn workspace() -> BTreeMap<String, BTreeSet<String>> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
            "--manifest-path",
            manifest,
        ])
        .output()
        .unwrap_or_else(|e| panic!("cargo metadata: {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let mut map = BTreeMap::new();
    for p in meta["packages"].as_array().cloned().unwrap_or_default() {
        let deps = p["dependencies"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter(|d| d["kind"].as_str() != Some("dev"))
                    .filter_map(|d| d["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        map.insert(p["name"].as_str().unwrap_or_default().to_owned(), deps);
    }
    map
}

const WORKSPACE_CRATES: &[&str] = &[
    "iop",
    "iop-i18n",
    "iop-domain",
    "iop-audit",
    "iop-store",
    "iop-gateway",
    "iop-app",
    "iop-api",
    "iop-web",
    "iop-documents",
    "iop-public",
];
/// Crates that do I/O: none of them below the store, the gateway or the listeners.
const IO: &[&str] = &[
    "tokio",
    "sqlx",
    "rusqlite",
    "hyper",
    "hyper-util",
    "axum",
    "reqwest",
    "rustls",
    "tokio-rustls",
    "mio",
    "tower",
    "tower-http",
];
/// HTTP server frameworks: only the listeners' crates use them.
const HTTP_FRAMEWORKS: &[&str] = &[
    "axum",
    "axum-extra",
    "tower-http",
    "utoipa-axum",
    "utoipa-swagger-ui",
    "actix-web",
    "warp",
    "poem",
    "rocket",
];

/// (crate, forbidden dependencies, why)
fn rules() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    // Every crate may use the texts (`iop-i18n`), which depend on nothing of ours and do no I/O.
    let others = |keep: &[&str]| -> Vec<&'static str> {
        WORKSPACE_CRATES
            .iter()
            .copied()
            .filter(|c| !keep.contains(c) && *c != "iop-i18n")
            .collect()
    };
    let with = |a: Vec<&'static str>, b: &[&'static str]| -> Vec<&'static str> { a.into_iter().chain(b.iter().copied()).collect() };
    vec![
        (
            "iop-i18n",
            with(WORKSPACE_CRATES.iter().copied().filter(|c| *c != "iop-i18n").collect(), IO),
            "the texts are data: no I/O, no other crate of ours",
        ),
        (
            "iop-domain",
            with(others(&[]), IO),
            "the domain is pure: no I/O, no other crate of ours but the texts",
        ),
        ("iop-audit", with(others(&[]), IO), "the audit core is pure: no I/O"),
        (
            "iop-store",
            others(&["iop-domain", "iop-audit"]),
            "the store knows the domain and the audit core only",
        ),
        (
            "iop-gateway",
            others(&["iop-audit"]),
            "the gateway never touches the store nor the control plane",
        ),
        (
            "iop-app",
            with(
                others(&["iop-domain", "iop-audit", "iop-store", "iop-gateway", "iop-documents"]),
                HTTP_FRAMEWORKS,
            ),
            "use cases hold no HTTP",
        ),
        (
            "iop-documents",
            with(others(&["iop-domain"]), IO),
            "documents depend only on the domain and do no I/O: data in, bytes out",
        ),
        (
            "iop-api",
            others(&["iop-domain", "iop-audit", "iop-store", "iop-gateway", "iop-app"]),
            "the REST API sits over the use cases",
        ),
        (
            "iop-web",
            others(&["iop-domain", "iop-audit", "iop-store", "iop-app"]),
            "the web interface sits over the use cases, beside the REST API",
        ),
        (
            "iop-public",
            others(&["iop-domain", "iop-audit", "iop-app"]),
            "the public listener sits over the use cases",
        ),
    ]
}

/// Every forbidden arrow in `ws`.
fn broken(ws: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut broken = Vec::new();
    for (krate, forbidden, why) in rules() {
        let Some(deps) = ws.get(krate) else { continue };
        for f in forbidden {
            if deps.contains(f) {
                broken.push(format!("{krate} → {f} ({why})"));
            }
        }
    }
    // Nothing depends on the binary crate; only the store knows the store's backend.
    for (krate, deps) in ws {
        if deps.contains("iop") {
            broken.push(format!("{krate} → iop (nothing depends on the binary)"));
        }
        for backend in ["sqlx", "rusqlite"] {
            if krate != "iop-store" && deps.contains(backend) {
                broken.push(format!("{krate} → {backend} (only the store knows its backend)"));
            }
        }
    }
    broken
}

#[test]
fn crates_depend_only_as_the_architecture_says() {
    let ws = workspace();
    assert!(ws.contains_key("iop-domain") && ws.contains_key("iop-gateway"), "{ws:?}");
    let broken = broken(&ws);
    assert!(broken.is_empty(), "forbidden dependencies:\n{}", broken.join("\n"));
}

/// The check sees each kind of forbidden arrow, including those of crates still to come.
#[test]
fn the_dependency_check_sees_forbidden_arrows() {
    let ws: BTreeMap<String, BTreeSet<String>> = [
        ("iop-gateway", &["iop-store"][..]),
        ("iop-domain", &["tokio"][..]),
        ("iop-i18n", &["iop-domain"][..]),
        ("iop-app", &["axum"][..]),
        ("iop-documents", &["iop-store"][..]),
        ("iop-web", &["iop"][..]),
        ("iop-api", &["sqlx"][..]),
        ("iop-public", &["rusqlite"][..]),
    ]
    .iter()
    .map(|(k, d)| (k.to_string(), d.iter().map(|x| x.to_string()).collect()))
    .collect();
    let found = broken(&ws);
    for arrow in [
        "iop-gateway → iop-store",
        "iop-domain → tokio",
        "iop-i18n → iop-domain",
        "iop-app → axum",
        "iop-documents → iop-store",
        "iop-web → iop",
        "iop-api → sqlx",
        "iop-public → rusqlite",
    ] {
        assert!(found.iter().any(|b| b.starts_with(arrow)), "{arrow} not seen in {found:?}");
    }
}
