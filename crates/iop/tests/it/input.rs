//! Bad input gets a clear 4xx with a stable code and leaves nothing half-written.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

async fn raw(app: &App, method: Method, path: &str, token: &str, content_type: &str, body: &'static str) -> Resp {
    let res = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    App::read(res).await
}

async fn count(app: &App, token: &str) -> usize {
    app.get("/api/v1/solicitudes", token).await.ok()["resultados"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0)
}

#[tokio::test]
async fn malformed_bodies_unknown_fields_and_bad_identifiers() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let sol = w.t("sol").to_owned();
    let before = count(&app, &sol).await;

    raw(
        &app,
        Method::POST,
        "/api/v1/solicitudes",
        w.t("sol"),
        "application/json",
        "{\"tipo\": ",
    )
    .await
    .expect(400, "json_invalido");
    raw(&app, Method::POST, "/api/v1/solicitudes", w.t("sol"), "text/plain", "{}")
        .await
        .expect(415, "tipo_contenido");
    let r = app
        .post(
            "/api/v1/solicitudes",
            w.t("sol"),
            json!({"tipo": "consumo", "sistema_id": w.system, "servicios": [w.services[0]], "justificacion": "x", "prioridad": "alta"}),
        )
        .await
        .expect(422, "datos_invalidos");
    assert!(r["detalle"].as_str().unwrap_or("").contains("prioridad"), "{r}");
    app.post("/api/v1/solicitudes", w.t("sol"), json!({"tipo": "urgente", "justificacion": "x"}))
        .await
        .expect(422, "tipo_solicitud_invalido");
    let r = app
        .post(
            "/api/v1/solicitudes",
            w.t("sol"),
            json!({"tipo": "consumo", "sistema_id": "42", "servicios": [], "justificacion": "x"}),
        )
        .await
        .expect(422, "identificador_invalido");
    assert_eq!(r["campo"], "sistema_id");
    let r = app
        .post(
            "/api/v1/solicitudes",
            w.t("sol"),
            json!({"tipo": "consumo", "sistema_id": w.system, "servicios": [w.system], "justificacion": "x"}),
        )
        .await
        .expect(422, "referencia_inexistente");
    assert_eq!(r["campo"], "servicios[0]");
    app.post(
        "/api/v1/solicitudes",
        w.t("sol"),
        json!({"tipo": "consumo", "sistema_id": w.system, "servicios": [w.services[0]], "justificacion": "   "}),
    )
    .await
    .expect(422, "texto_invalido");
    app.post(
        "/api/v1/solicitudes",
        w.t("sol"),
        json!({"tipo": "consumo", "servicios": [w.services[0]], "justificacion": "x"}),
    )
    .await
    .expect(422, "campo_requerido");
    app.post(
        "/api/v1/solicitudes",
        w.t("jefe"),
        json!({"tipo": "consumo", "sistema_id": w.system, "servicios": [w.services[0]], "justificacion": "x"}),
    )
    .await
    .expect(403, "rol_requerido");
    assert_eq!(count(&app, &sol).await, before, "no refused creation left a request behind");

    // Identifiers in paths: one code for a malformed path parameter (each code has one status,
    // and a malformed identifier in a body is a 422), naming the parameter and the reason.
    let r = app
        .get("/api/v1/solicitudes/no-es-un-id", w.t("sol"))
        .await
        .expect(400, "parametros_invalidos");
    assert_eq!(r["campo"], "id", "{r}");
    assert!(r["mensaje"].as_str().unwrap_or("").contains("identificador"), "{r}");
    let r = app
        .get("/api/v1/solicitudes/IOP-20X6-1", w.t("sol"))
        .await
        .expect(400, "parametros_invalidos");
    assert!(r["mensaje"].as_str().unwrap_or("").contains("IOP-AAAA-NNNNNN"), "{r}");
    app.get("/api/v1/solicitudes/IOP-2026-999999", w.t("sol"))
        .await
        .expect(404, "no_encontrado");
    app.get("/api/v1/solicitudes/01890000-0000-7000-8000-000000000000", w.t("sol"))
        .await
        .expect(404, "no_encontrado");
    app.call(
        Method::PATCH,
        "/api/v1/usuarios/xyz",
        Some(&app.admin_token),
        Some(json!({"activo": false})),
    )
    .await
    .expect(400, "parametros_invalidos");
    app.get("/api/v1/no-existe", w.t("sol")).await.expect(404, "ruta_inexistente");
    app.get("/api/v1/solicitudes?estado=perdida", w.t("sol"))
        .await
        .expect(422, "estado_invalido");

    // Transitions with bad input.
    let id = request_in(&app, &w, "derivada_adas").await;
    let before = app.request(&id).await;
    app.act(&id, w.t("resp"), json!({"accion": "volar"}))
        .await
        .expect(422, "accion_invalida");
    app.act(&id, w.t("resp"), json!({"accion": "asignar"}))
        .await
        .expect(422, "lider_invalido");
    app.act(&id, w.t("resp"), json!({"accion": "asignar", "lider_id": "x"}))
        .await
        .expect(422, "identificador_invalido");
    app.act(
        &id,
        w.t("resp"),
        json!({"accion": "asignar", "lider_id": w.id("lider"), "version": 1}),
    )
    .await
    .expect(409, "conflicto_concurrente");
    app.act(
        &id,
        w.t("resp"),
        json!({"accion": "asignar", "lider_id": w.id("lider"), "extra": 1}),
    )
    .await
    .expect(422, "datos_invalidos");
    assert_eq!(app.request(&id).await, before, "refused transitions changed nothing");

    // Administration input.
    let a = &app.admin_token;
    app.post(
        "/api/v1/usuarios",
        a,
        json!({"usuario": "x", "nombre": "Equis", "roles": ["lider_adas"], "contrasena": PASSWORD}),
    )
    .await
    .expect(422, "usuario_invalido");
    app.post(
        "/api/v1/usuarios",
        a,
        json!({"usuario": "nuevo", "nombre": "Nuevo", "roles": ["mago"], "contrasena": PASSWORD}),
    )
    .await
    .expect(422, "rol_invalido");
    app.post(
        "/api/v1/usuarios",
        a,
        json!({"usuario": "nuevo", "nombre": "Nuevo", "roles": ["lider_adas"], "contrasena": "corta"}),
    )
    .await
    .expect(422, "contrasena_debil");
    app.post(
        "/api/v1/usuarios",
        a,
        json!({"usuario": "nuevo", "nombre": "Nuevo", "roles": ["solicitante"], "contrasena": PASSWORD}),
    )
    .await
    .expect(422, "unidad_requerida");
    app.post(
        "/api/v1/usuarios",
        a,
        json!({"usuario": "sol", "nombre": "Otra", "roles": ["lider_adas"], "contrasena": PASSWORD}),
    )
    .await
    .expect(409, "usuario_existente");
    app.post("/api/v1/unidades", a, json!({"sigla": "UGE", "nombre": "Repetida"}))
        .await
        .expect(409, "duplicado");
    app.post(
        "/api/v1/entidades",
        a,
        json!({"sigla": "A B", "nombre": "Mala", "tipo": "consumidora"}),
    )
    .await
    .expect(422, "sigla_invalida");
    app.post(
        "/api/v1/servicios",
        a,
        json!({"entidad_id": w.publisher, "codigo": "persona", "version": 0, "nombre": "V0"}),
    )
    .await
    .expect(422, "version_invalida");
    app.post(
        "/api/v1/servicios",
        a,
        json!({"entidad_id": w.publisher, "codigo": "persona", "version": 1, "nombre": "Repetido"}),
    )
    .await
    .expect(409, "duplicado");
}

#[tokio::test]
async fn uploads_are_sniffed_and_bounded() {
    let app = spawn_app_with(|s| s.control.max_upload_bytes = 64 * 1024).await;
    let w = world(&app).await;
    let id = draft(&app, &w).await;
    let before = app.request_as(&id, w.t("sol")).await;

    // Declared as PDF but is not: refused by content.
    app.upload(
        &id,
        w.t("sol"),
        "NI",
        b"<html>no soy un pdf</html>".to_vec(),
        "nota.pdf",
        "application/pdf",
    )
    .await
    .expect(415, "no_es_pdf");
    // A real PDF declared as something else is fine: the declaration is not trusted either way.
    app.upload(&id, w.t("sol"), "IL", pdf(), "informe.bin", "application/octet-stream")
        .await
        .ok();
    let after_ok = app.request_as(&id, w.t("sol")).await;
    assert_eq!(after_ok["documento"]["tipo"], "IL");
    // Too large.
    let mut big = pdf();
    big.extend(std::iter::repeat_n(b' ', 128 * 1024));
    big.extend_from_slice(b"\n%%EOF\n");
    app.upload(&id, w.t("sol"), "NI", big, "grande.pdf", "application/pdf")
        .await
        .expect(413, "archivo_muy_grande");
    // Bad kind; empty file.
    app.upload(&id, w.t("sol"), "PDF", pdf(), "n.pdf", "application/pdf")
        .await
        .expect(422, "tipo_documento_invalido");
    app.upload(&id, w.t("sol"), "NI", Vec::new(), "n.pdf", "application/pdf")
        .await
        .expect(415, "no_es_pdf");
    // Nothing but the accepted upload changed the request.
    let now = app.request_as(&id, w.t("sol")).await;
    assert_eq!(now["documento"], after_ok["documento"]);
    assert_eq!(now["version"], after_ok["version"]);
    assert_ne!(before["version"], now["version"]);
    // Not editable once presented.
    app.act(&id, w.t("sol"), act("presentar")).await.ok();
    app.upload(&id, w.t("sol"), "NI", pdf(), "n.pdf", "application/pdf")
        .await
        .expect(409, "no_editable");
    // Not a multipart body at all.
    let res = app
        .client
        .put(format!("{}/api/v1/solicitudes/{id}/documento", app.base))
        .bearer_auth(w.t("sol"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = App::read(res).await;
    assert!(r.status.is_client_error() && !r.code().is_empty(), "{} {}", r.status, r.body);
}
