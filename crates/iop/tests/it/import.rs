//! Descriptions as publishers bring them, over the API: a corpus written here to the shapes of real
//! public descriptions (`datos/descripciones/`: a Swagger 2.0 petstore, a 3.1 museum with `$ref`
//! examples and webhooks, a Spanish one with non-ASCII paths and `{id}.pdf` segments, a train API
//! split in several files; the large one generated). For each, its operations are counted and the
//! sandbox is called, as an integrator would, and must answer as the document says.

use crate::gateway::{consume, publish_with};
use crate::helpers::*;
use crate::upstream;
use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

fn corpus(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/datos/descripciones")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The files of the multi-file description, by their path inside the archive.
fn train_files() -> Vec<(String, String)> {
    [
        "openapi.yaml",
        "paths/estaciones.yaml",
        "paths/viajes.yaml",
        "paths/reservas.yaml",
        "components/esquemas.yaml",
        "components/ejemplos.yaml",
    ]
    .iter()
    .map(|f| (format!("tren/{f}"), corpus(&format!("tren/{f}"))))
    .collect()
}

pub(crate) fn zip_of(files: &[(String, String)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        w.start_file(name.as_str(), opts).unwrap_or_else(|e| panic!("{e}"));
        w.write_all(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    }
    w.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
}

fn tgz_of(files: &[(String, String)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut t = tar::Builder::new(gz);
    for (name, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        t.append_data(&mut h, name, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    }
    t.into_inner().and_then(|gz| gz.finish()).unwrap_or_else(|e| panic!("{e}"))
}

/// A sandbox answer: status, `Content-Type`, `x-iop-sandbox`, body as text.
struct Answer {
    status: u16,
    ctype: Option<String>,
    mark: Option<String>,
    body: String,
}

async fn sandbox(app: &App, method: Method, path: &str, key: &str) -> Answer {
    // reqwest percent-encodes what the URL does not allow (`años` goes as `a%C3%B1os`).
    let r = app
        .client
        .request(method, format!("{}{path}", app.gateway))
        .header("apikey", key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let h = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, ctype, mark) = (r.status().as_u16(), h("content-type"), h("x-iop-sandbox"));
    Answer {
        status,
        ctype,
        mark,
        body: r.text().await.unwrap_or_default(),
    }
}

/// Waits (generous deadline) until the gateway serves `path` the way `ready` expects: a changed
/// description reaches the gateway when its snapshot is rebuilt, in the background.
async fn sandbox_when(app: &App, path: &str, key: &str, ready: impl Fn(&Answer) -> bool) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let a = sandbox(app, Method::GET, path, key).await;
        if ready(&a) || Instant::now() > deadline {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn put_description(app: &App, w: &World, service: &str, body: Value, lang: &str) -> Resp {
    let r = app
        .client
        .put(format!("{}/api/v1/servicios/{service}/descripcion", app.base))
        .bearer_auth(w.t("lider"))
        .header("accept-language", lang)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    App::read(r).await
}

fn codes(report: &Value) -> Vec<(String, String)> {
    report
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            (
                i["codigo"].as_str().unwrap_or("").to_owned(),
                i["ubicacion"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn a_corpus_of_real_shapes_imports_and_the_sandbox_answers_as_each_document_says() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = upstream::start("corpus").await;
    let origin = format!("http://{}/base", up.addr);

    // --- Swagger 2.0, staged through PR05's step 4 like any description ---
    let (tienda, base) = publish_with(&app, &w, "tienda", 2, &origin, 2000, Some(&corpus("tienda-swagger2.json"))).await;
    let d = app.get(&format!("/api/v1/servicios/{tienda}/descripcion"), w.t("lider")).await.ok();
    assert_eq!(d["formato"], "swagger-2.0", "{d}");
    assert_eq!(d["operaciones"].as_array().map(Vec::len), Some(6), "{d}");
    let report = codes(&d["informe"]);
    assert!(report.contains(&("swagger-convertido".into(), "#/swagger".into())), "{report:?}");
    // basePath /v2 is not carried by the connector's origin: the publisher is told what to change.
    assert!(report.contains(&("servidor-prefijo".into(), "#/servers/0".into())), "{report:?}");
    // And the probe says it of each origin, whatever the connector has become since.
    let probe = app
        .post(&format!("/api/v1/servicios/{tienda}/probar"), w.t("lider"), json!({}))
        .await
        .ok();
    assert_eq!(
        (probe[0]["prefijo_faltante"].as_str(), probe[0]["servidor"].as_str()),
        (Some("/v2"), Some("https://tienda.ejemplo.gob.bo/v2")),
        "{probe}"
    );
    let key = consume(&app, &w, &tienda, json!({})).await.key;
    let fake = format!("/fake{}", base.trim_end_matches('/'));
    let a = sandbox(&app, Method::POST, &format!("{fake}/mascotas"), &key).await;
    assert_eq!(
        (a.status, a.ctype.as_deref(), a.mark.as_deref()),
        (201, Some("application/json"), Some("ficticio"))
    );
    assert_eq!(json_of(&a.body), json!({"id": 10, "nombre": "Firulais", "estado": "disponible"}));
    // The operation's own `produces` puts XML first: its example, as written, with its type.
    let a = sandbox(&app, Method::GET, &format!("{fake}/mascotas/5"), &key).await;
    assert_eq!(
        (a.status, a.ctype.as_deref(), a.body.as_str()),
        (200, Some("application/xml"), "<mascota><id>1</id><nombre>Michi</nombre></mascota>")
    );
    // HEAD is answered from GET: same status and type, no body.
    let a = sandbox(&app, Method::HEAD, &format!("{fake}/mascotas/5"), &key).await;
    assert_eq!((a.status, a.ctype.as_deref(), a.body.as_str()), (200, Some("application/xml"), ""));
    let a = sandbox(&app, Method::DELETE, &format!("{fake}/mascotas/5"), &key).await;
    assert_eq!((a.status, a.ctype, a.body.as_str()), (204, None, ""));
    // No example anywhere: generated from the schema (enum, example of a property, integer).
    let a = sandbox(&app, Method::GET, &format!("{fake}/mascotas/buscarPorEstado?estado=vendida"), &key).await;
    assert_eq!((a.status, a.mark.as_deref()), (200, Some("generado")));
    assert_eq!(
        json_of(&a.body),
        json!([{"id": 0, "nombre": "Firulais", "estado": "disponible", "etiquetas": ["texto"]}])
    );
    // The access documentation and the filtered OpenAPI read the converted document.
    let original = app.get(&format!("/api/v1/servicios/{tienda}/descripcion"), w.t("lider")).await.ok();
    assert_eq!(original["sha256"].as_str().map(str::len), Some(64));

    // --- OpenAPI 3.1: $ref examples, two-level response refs, ~1 path items, webhooks ---
    let (museo, base) = publish_with(&app, &w, "museo", 1, &origin, 2000, Some(&corpus("museo-3.1.yaml"))).await;
    let d = app.get(&format!("/api/v1/servicios/{museo}/descripcion"), w.t("lider")).await.ok();
    assert_eq!(
        (d["formato"].as_str(), d["operaciones"].as_array().map(Vec::len)),
        (Some("openapi-3.1"), Some(7)),
        "{d}"
    );
    let trace = d["operaciones"].as_array().into_iter().flatten().find(|o| o["id"] == "diagnostico");
    assert_eq!(trace.map(|o| o["metodo"].clone()), Some(json!("TRACE")));
    let report = codes(&d["informe"]);
    for expected in [
        ("webhooks-no-importados", "#/webhooks"),
        (
            "ejemplo-externo",
            "#/paths/~1tienda/get/responses/200/content/application~1json/examples/remoto",
        ),
        ("respuesta-generada", "#/paths/~1eventos/get/responses/200"),
    ] {
        assert!(
            report.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {report:?}"
        );
    }
    let key = consume(&app, &w, &museo, json!({})).await.key;
    let fake = format!("/fake{}", base.trim_end_matches('/'));
    // The document's first example (a $ref to components/examples), not the alphabetically first.
    let a = sandbox(&app, Method::GET, &format!("{fake}/horarios"), &key).await;
    assert_eq!(json_of(&a.body)[1]["cierra"], "14:00", "{}", a.body);
    let a = sandbox(
        &app,
        Method::GET,
        &format!("{fake}/eventos/3fa85f64-5717-4562-b3fc-2c963f66afa6"),
        &key,
    )
    .await;
    assert_eq!(json_of(&a.body)["nombre"], "Textiles de Charazani", "two levels of response $ref");
    let a = sandbox(&app, Method::GET, &format!("{fake}/reglas"), &key).await;
    assert_eq!(
        (a.ctype.as_deref(), a.body.as_str()),
        (Some("text/plain"), "Prohibido tocar las obras."),
        "text comes as written, not as a JSON string"
    );
    let a = sandbox(&app, Method::GET, &format!("{fake}/tienda"), &key).await;
    assert_eq!(
        json_of(&a.body),
        json!([{"articulo": "Afiche", "precio": 20}]),
        "externalValue gives way"
    );
    let a = sandbox(&app, Method::GET, &format!("{fake}/eventos"), &key).await;
    assert_eq!(
        (a.mark.as_deref(), json_of(&a.body)),
        (
            Some("generado"),
            json!([{"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "nombre": "texto", "fecha": "2024-01-15", "precio": 0.0, "tipo": "exposicion"}])
        )
    );

    // --- Spanish paths: non-ASCII letters called percent-encoded; `{id}.pdf` segments ---
    let (gestiones, base) = publish_with(&app, &w, "gestiones", 1, &origin, 2000, Some(&corpus("gestiones-3.0.yaml"))).await;
    let key = consume(&app, &w, &gestiones, json!({})).await.key;
    let fake = format!("/fake{}", base.trim_end_matches('/'));
    let a = sandbox(&app, Method::GET, &format!("{fake}/años/2024"), &key).await;
    assert_eq!((a.status, json_of(&a.body)), (200, json!({"gestion": 2024, "cerrada": true})));
    let a = sandbox(&app, Method::GET, &format!("{fake}/certificados/C-1.pdf"), &key).await;
    assert_eq!(
        (a.status, a.ctype.as_deref(), a.body.as_str()),
        (200, Some("application/pdf"), "%PDF-1.7 certificado ficticio")
    );
    let a = sandbox(&app, Method::GET, &format!("{fake}/certificados/C-1"), &key).await;
    assert_eq!(json_of(&a.body)["formato"], "json");
    // A sandbox credential: issued for a registered system without a PR05 request; it tries any
    // service's sandbox and never reaches a real one, even one its system is enabled for.
    let issued = app
        .post(
            &format!("/api/v1/sistemas/{}/credenciales", w.system),
            w.t("lider"),
            json!({"tipo": "apikey", "solo_sandbox": true}),
        )
        .await
        .ok();
    assert_eq!(issued["credencial"]["solo_sandbox"], true, "{issued}");
    assert!(issued["credencial"]["solicitud_id"].is_null());
    let trial = issued["clave"].as_str().unwrap_or_default().to_owned();
    let a = sandbox_when(&app, &format!("{fake}/años/2024"), &trial, |a| a.status == 200).await;
    assert_eq!((a.status, a.mark.as_deref()), (200, Some("ficticio")), "{}", a.body);
    let real = sandbox(&app, Method::GET, &format!("{}años/2024", base), &trial).await;
    assert_eq!(real.status, 403, "{}", real.body);
    assert_eq!(json_of(&real.body)["codigo"], "credencial_solo_sandbox");
    let real = sandbox(&app, Method::GET, &format!("{}años/2024", base), &key).await;
    assert_ne!(
        real.status, 403,
        "the enabled credential of the same system goes through: {}",
        real.body
    );

    // --- Several files in one archive: zip with its entry found, then tar.gz with it named ---
    let zip = base64::engine::general_purpose::STANDARD.encode(zip_of(&train_files()));
    let (tren, base) = publish_with(&app, &w, "tren", 1, &origin, 2000, None).await;
    let r = put_description(&app, &w, &tren, json!({"archivo": zip}), "es").await.ok();
    assert_eq!(r["operaciones"].as_array().map(Vec::len), Some(4), "{r}");
    assert_eq!(r["formato"], "openapi-3.1");
    let key = consume(&app, &w, &tren, json!({})).await.key;
    let fake = format!("/fake{}", base.trim_end_matches('/'));
    let a = sandbox_when(&app, &format!("{fake}/estaciones"), &key, |a| a.status == 200).await;
    assert_eq!(json_of(&a.body)[1]["ciudad"], "Oruro", "an example from another file: {}", a.body);
    let a = sandbox(&app, Method::GET, &format!("{fake}/viajes/V-7"), &key).await;
    assert_eq!(
        json_of(&a.body),
        json!({"id": "V-7", "origen": {"id": "texto", "nombre": "texto", "ciudad": "texto"},
               "destino": {"id": "texto", "nombre": "texto", "ciudad": "texto"}, "sale": "2024-01-15T10:30:00Z"}),
        "a schema two files away, its own local refs resolved"
    );
    let a = sandbox(&app, Method::POST, &format!("{fake}/reservas"), &key).await;
    assert_eq!((a.status, json_of(&a.body)["estado"].clone()), (201, json!("confirmada")));
    let mut files = train_files();
    files.iter_mut().for_each(|(n, _)| *n = n.replacen("tren/", "api/", 1));
    files.push(("api/otra.yaml".into(), "openapi: 3.0.0\npaths: {}\n".into()));
    let tgz = base64::engine::general_purpose::STANDARD.encode(tgz_of(&files));
    let r = put_description(&app, &w, &tren, json!({"archivo": tgz, "entrada": "api/openapi.yaml"}), "es")
        .await
        .ok();
    assert_eq!(r["operaciones"].as_array().map(Vec::len), Some(4), "{r}");
    // Refusals name their code and place: a file outside the archive, an entry that is not there.
    let mut bad = train_files();
    bad.push(("../fuera.yaml".into(), "x: 1\n".into()));
    let r = put_description(
        &app,
        &w,
        &tren,
        json!({"archivo": base64::engine::general_purpose::STANDARD.encode(zip_of(&bad))}),
        "en",
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "descripcion_invalida"), "{}", r.body);
    assert_eq!(
        (r.body["motivo"].as_str(), r.body["ubicacion"].as_str()),
        (Some("archivo-ruta-insegura"), Some("../fuera.yaml"))
    );
    assert!(
        r.body["mensaje"]
            .as_str()
            .is_some_and(|m| m.contains("absolute path or one with '..'")),
        "{}",
        r.body
    );
    let r = put_description(&app, &w, &tren, json!({"archivo": zip, "entrada": "no/existe.yaml"}), "es").await;
    assert_eq!(
        (r.body["motivo"].as_str(), r.status.as_u16()),
        (Some("archivo-sin-entrada"), 422),
        "{}",
        r.body
    );
    let mut broken = train_files();
    broken.retain(|(n, _)| !n.ends_with("ejemplos.yaml"));
    let r = put_description(
        &app,
        &w,
        &tren,
        json!({"archivo": base64::engine::general_purpose::STANDARD.encode(zip_of(&broken))}),
        "es",
    )
    .await;
    assert_eq!(
        (r.body["motivo"].as_str(), r.body["ubicacion"].as_str()),
        (
            Some("ref-no-resuelta"),
            Some("tren/paths/estaciones.yaml#/get/responses/200/content/application~1json/examples/todas")
        ),
        "{}",
        r.body
    );

    // --- A large description (over 5 MiB), generated ---
    let mut paths = serde_json::Map::new();
    for i in 0..5200 {
        paths.insert(
            format!("/registros/grupo{i}/{{id}}"),
            json!({"get": {"operationId": format!("registro{i}"), "summary": "x".repeat(300), "responses": {"200": {"description": "ok",
                   "content": {"application/json": {"example": {"grupo": i, "texto": "y".repeat(600)}}}}}}}),
        );
    }
    let big = json!({"openapi": "3.0.3", "info": {"title": "grande", "version": "1"}, "paths": paths}).to_string();
    assert!(big.len() > 5 << 20, "{}", big.len());
    let (grande, base) = publish_with(&app, &w, "grande", 1, &origin, 2000, None).await;
    let gauge = |m: &str, name: &str| {
        m.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse::<f64>().ok())
            .unwrap_or(-1.0)
    };
    let before = gauge(&app.metrics().await, "iop_gateway_snapshot_version");
    let r = put_description(&app, &w, &grande, json!({"documento": big}), "es").await.ok();
    assert_eq!(r["operaciones"].as_array().map(Vec::len), Some(5200));
    // The upload hands its operations to the gateway's publisher: the rebuild that follows
    // compiles them without reading the megabytes of examples back from the store, and every other
    // service's operations stay compiled from earlier builds.
    let deadline = Instant::now() + Duration::from_secs(30);
    let read = loop {
        let m = app.metrics().await;
        let (version, read) = (
            gauge(&m, "iop_gateway_snapshot_version"),
            gauge(&m, "iop_gateway_snapshot_operations_read"),
        );
        if (version > before && read == 0.0) || Instant::now() > deadline {
            break read;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(read, 0.0, "operations read back from the store by the rebuild after the upload");
    let key = consume(&app, &w, &grande, json!({})).await.key;
    let fake = format!("/fake{}", base.trim_end_matches('/'));
    let a = sandbox_when(&app, &format!("{fake}/registros/grupo5123/1"), &key, |a| a.status == 200).await;
    assert_eq!(json_of(&a.body)["grupo"], 5123, "{}", a.body);
    let a = sandbox(&app, Method::GET, &format!("{fake}/registros/grupo0/x"), &key).await;
    assert_eq!(json_of(&a.body)["grupo"], 0);
}

/// Refusals and report items in both languages, each with its code and location; the limit on
/// size is named.
#[tokio::test]
async fn every_refusal_is_coded_with_its_place_in_spanish_and_english() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = upstream::start("rechazos").await;
    let (service, _) = publish_with(&app, &w, "rechazos", 1, &format!("http://{}/base", up.addr), 2000, None).await;
    let cases = [
        (
            "openapi: 3.0.0\npaths:\n  /a: {get: {}}\n  /a: {post: {}}\n",
            "clave-repetida",
            "documento:4:3",
            "«/a»",
            "'/a'",
        ),
        (
            "{\"openapi\": \"3.0.0\",\n \"paths\": {\"/a\": {\"get\": {}}, \"/a\": {}}}",
            "clave-repetida",
            "documento:2:39",
            "«/a»",
            "'/a'",
        ),
        (
            "swagger: '1.2'\npaths: {}\n",
            "version-no-admitida",
            "#/swagger",
            "Swagger 1.2",
            "Swagger 1.2",
        ),
        (
            "openapi: 3.0.0\npaths:\n  /a:\n    $ref: 'otro.yaml#/a'\n",
            "ref-externa",
            "#/paths/~1a",
            "zip o tar.gz",
            "zip or tar.gz",
        ),
        (
            "openapi: 3.0.0\npaths:\n  /a: {$ref: '#/components/pathItems/x'}\n",
            "ref-no-resuelta",
            "#/paths/~1a/$ref",
            "no lleva",
            "leads to no",
        ),
        (
            "openapi: 3.1.0\nwebhooks: {a: {post: {}}}\npaths: {}\n",
            "sin-operaciones",
            "#/paths",
            "ninguna operación",
            "no operation",
        ),
        (
            "{\"openapi\": \"3.0.0\", \"paths\": [}",
            "json-no-valido",
            "documento:1:32",
            "JSON no válido",
            "invalid JSON",
        ),
    ];
    for (doc, motivo, at, es, en) in cases {
        for (lang, text) in [("es", es), ("en", en)] {
            let r = put_description(&app, &w, &service, json!({"documento": doc}), lang).await;
            assert_eq!(
                (r.status.as_u16(), r.code(), r.body["motivo"].as_str(), r.body["ubicacion"].as_str()),
                (422, "descripcion_invalida", Some(motivo), Some(at)),
                "{doc}: {}",
                r.body
            );
            let m = r.body["mensaje"].as_str().unwrap_or("");
            assert!(m.contains(text) && m.contains(at), "{lang}: {m}");
        }
    }
    // Over the limit: the description's own limit is named (not the general body limit).
    let huge = "x".repeat(25 << 20);
    let r = put_description(&app, &w, &service, json!({"documento": huge}), "es").await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "descripcion_muy_grande"), "{}", r.body);
    assert!(r.body["mensaje"].as_str().is_some_and(|m| m.contains("24 MiB")), "{}", r.body);
    let r = put_description(
        &app,
        &w,
        &service,
        json!({"documento": "openapi: 3.0.0", "archivo": "UEsDBA=="}),
        "es",
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "descripcion_invalida"), "{}", r.body);
    let r = put_description(&app, &w, &service, json!({"archivo": "no es base64!"}), "es").await;
    assert_eq!((r.status.as_u16(), r.body["campo"].as_str()), (422, Some("archivo")), "{}", r.body);
    // Nothing was kept by any refusal.
    let d = app
        .call(
            Method::GET,
            &format!("/api/v1/servicios/{service}/descripcion"),
            Some(w.t("lider")),
            None,
        )
        .await;
    assert_eq!(d.status.as_u16(), 404, "{}", d.body);
}
