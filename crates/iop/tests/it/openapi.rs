//! The OpenAPI document is generated from the code, valid, complete, and every documented route
//! exists (and every route in the API's source is documented).

use crate::helpers::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(s) = x.as_str() {
                        out.push(s.to_owned());
                    }
                } else {
                    collect_refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// `(method, path)` of every `#[utoipa::path(...)]` in the control plane's API source.
fn documented_in_source() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../iop-api/src/api");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            !src.contains(".route(") && !src.contains("routing::"),
            "{}: routes must be registered with utoipa_axum::routes! so they carry their OpenAPI entry",
            path.display()
        );
        for chunk in src.split("#[utoipa::path(").skip(1) {
            let method = chunk.split(',').next().unwrap_or("").trim().to_owned();
            let p = chunk
                .split("path = \"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or("")
                .to_owned();
            out.insert((method, p));
        }
    }
    out
}

#[tokio::test]
async fn openapi_is_complete_and_every_route_has_its_entry() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    let mut in_doc = BTreeSet::new();
    for (p, item) in &paths {
        for (m, op) in item.as_object().cloned().unwrap_or_default() {
            if !["get", "post", "put", "patch", "delete"].contains(&m.as_str()) {
                continue;
            }
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{m} {p} has no responses"
            );
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{m} {p} has no tag");
            in_doc.insert((m.clone(), p.clone()));
        }
    }
    let in_source = documented_in_source();
    assert!(in_source.len() >= 20, "{in_source:?}");
    assert_eq!(in_doc, in_source, "the OpenAPI paths and the annotated handlers differ");

    // Every $ref resolves.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(doc["components"]["schemas"][name].is_object(), "dangling $ref {r}");
    }

    // Every documented route exists: it answers with something other than "no such route".
    for (m, p) in &in_doc {
        let url = format!("{}{}", app.base, p.replace("{id}", "01890000-0000-7000-8000-000000000000"));
        let method = reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).unwrap_or(reqwest::Method::GET);
        let r = App::read(app.client.request(method, &url).send().await.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_ne!(r.status.as_u16(), 405, "{m} {p}");
        assert_ne!(r.code(), "ruta_inexistente", "{m} {p}");
        if p.starts_with("/api/v1/") && p != "/api/v1/auth/login" {
            assert_eq!(r.status.as_u16(), 401, "{m} {p} must require a token: {}", r.body);
        }
    }
}

#[tokio::test]
async fn the_docs_viewer_works_offline() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/api/docs/", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(
        !html.contains("unpkg.com") && !html.contains("cdn."),
        "the viewer must not load from a CDN"
    );
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css", "swagger-initializer.js"] {
        let r = app
            .client
            .get(format!("{}/api/docs/{asset}", app.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 200, "{asset}");
        let text = r.text().await.unwrap_or_default();
        assert!(text.len() > 100, "{asset} is embedded");
        if asset == "swagger-initializer.js" {
            assert!(text.contains("/api/openapi.json"), "{text}");
        }
    }
}
