//! The PR05 procedure through the HTTP API: the eight activities, returns, rejection, withdrawal,
//! four-eyes, reassignment, adjustments, history and inboxes.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

fn states(h: &Value) -> Vec<(String, String)> {
    h.as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["accion"].as_str().unwrap_or("").to_owned(),
                        e["estado_nuevo"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_whole_pr05_path() {
    let app = spawn_app().await;
    let w = world(&app).await;

    // Step 1: a draft with its supporting document, then presented.
    let r = app
        .post(
            "/api/v1/solicitudes",
            w.t("sol"),
            json!({"tipo": "consumo", "sistema_id": w.system, "servicios": [w.services[0]], "justificacion": "Verificar identidad"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201);
    let body = r.ok();
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    let code = body["codigo"].as_str().unwrap_or_default().to_owned();
    assert!(code.starts_with("IOP-2026-"), "{code}");
    assert_eq!(body["estado"], "borrador");
    // Presenting without a document is refused and changes nothing.
    app.act(&id, w.t("sol"), act("presentar")).await.expect(422, "documento_requerido");
    let up = app.upload(&id, w.t("sol"), "NI", pdf(), "nota.pdf", "application/pdf").await.ok();
    assert_eq!(up["documento"]["tipo"], "NI");
    let sha = up["documento"]["sha256"].as_str().unwrap_or_default().to_owned();
    assert_eq!(sha.len(), 64);
    // The draft is private: other people cannot see it.
    app.get(&format!("/api/v1/solicitudes/{id}"), w.t("colega"))
        .await
        .expect(403, "borrador_ajeno");
    app.get(&format!("/api/v1/solicitudes/{id}"), w.t("jefe"))
        .await
        .expect(403, "borrador_ajeno");
    let listed = app.get("/api/v1/solicitudes", w.t("jefe")).await.ok()["resultados"].clone();
    assert!(!listed.to_string().contains(&id), "drafts are not listed to others");
    let r = app.act(&id, w.t("sol"), act("presentar")).await.ok();
    assert_eq!(
        (r["estado"].as_str(), r["espera_a"].as_str()),
        (Some("presentada"), Some("jefe_upat"))
    );

    // The Jefe de UPAT's inbox has it; the document downloads as the same bytes.
    let inbox = app.get("/api/v1/bandeja", w.t("jefe")).await.ok()["resultados"].clone();
    assert!(
        inbox
            .as_array()
            .is_some_and(|a| { a.iter().any(|i| i["solicitud"]["id"] == id.as_str() && i["rol"] == "jefe_upat") })
    );
    let doc = app
        .client
        .get(format!("{}/api/v1/solicitudes/{code}/documento", app.base))
        .bearer_auth(w.t("jefe"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    assert_eq!(doc.bytes().await.map(|b| b.to_vec()).unwrap_or_default(), pdf());

    // Steps 2–3.
    app.act(&id, w.t("jefe"), json!({"accion": "derivar", "comentario": "Procede"}))
        .await
        .ok();
    let r = app
        .act(&id, w.t("resp"), json!({"accion": "asignar", "lider_id": w.id("lider")}))
        .await
        .ok();
    assert_eq!(r["lider_id"], w.id("lider"));
    assert_eq!(r["espera_a"], format!("lider_adas:{}", w.id("lider")));
    // Only the assigned leader sees it in their inbox.
    let l1 = app.get("/api/v1/bandeja", w.t("lider")).await.ok()["resultados"].clone();
    let l2 = app.get("/api/v1/bandeja", w.t("lider2")).await.ok()["resultados"].clone();
    assert_eq!(l1.as_array().map(Vec::len), Some(1));
    assert_eq!(l2.as_array().map(Vec::len), Some(0));

    // Step 4: enablement outside the request is refused; within it, committed with the transition.
    let bad = json!({"accion": "habilitar", "habilitacion": {"accesos": [{"sistema_id": w.system, "servicio_id": w.services[1]}]}});
    app.act(&id, w.t("lider"), bad).await.expect(422, "fuera_de_solicitud");
    app.act(&id, w.t("lider"), act("habilitar")).await.expect(422, "campo_requerido");
    assert_eq!(app.request(&id).await["estado"], "asignada_lider");
    let r = app.act(&id, w.t("lider"), enable(&w)).await.ok();
    assert_eq!(r["estado"], "habilitada");
    let grants = r["habilitaciones"].as_array().cloned().unwrap_or_default();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["servicio_id"], w.services[0].as_str());
    assert_eq!(grants[0]["desde"], "2026-11-24");

    // Step 5: the Nota Interna gets its number.
    let r = app.act(&id, w.t("lider"), note()).await.ok();
    assert_eq!(r["estado"], "nota_elaborada");
    // 0001 is the note of the world's own publication request.
    assert_eq!(r["nota"]["numero"], "AGETIC/NI/UPAT-ADAS/0002/2026");
    assert_eq!(r["nota"]["autor_id"], w.id("lider"));

    // Steps 6–8.
    app.act(&id, w.t("resp"), act("aprobar_nota_adas")).await.ok();
    app.act(&id, w.t("jefe"), act("aprobar_nota_upat")).await.ok();
    let inbox = app.get("/api/v1/bandeja", w.t("colega")).await.ok()["resultados"].clone();
    assert!(
        inbox
            .as_array()
            .is_some_and(|a| a.iter().any(|i| i["solicitud"]["id"] == id.as_str()))
    );
    let r = app.act(&id, w.t("colega"), act("recibir")).await.ok();
    assert_eq!((r["estado"].as_str(), r["espera_a"].as_str()), (Some("recibida"), Some("nadie")));
    assert_eq!(r["nota"]["aprobada_adas_por"], w.id("resp"));
    assert_eq!(r["nota"]["aprobada_upat_por"], w.id("jefe"));

    // The history shows every hand-over with who, role, step and to whom.
    let h = app.get(&format!("/api/v1/solicitudes/{id}/historial"), w.t("sol")).await.ok();
    let steps: Vec<i64> = h
        .as_array()
        .map(|a| a.iter().map(|e| e["paso"].as_i64().unwrap_or(0)).collect())
        .unwrap_or_default();
    assert_eq!(steps, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(h[1]["actor_usuario"], "jefe");
    assert_eq!(h[1]["rol"], "jefe_upat");
    assert_eq!(h[1]["comentario"], "Procede");
    assert_eq!(h[1]["destinatario"], "responsable_adas");
    assert_eq!(h[3]["detalle"]["accesos"][0]["servicio_id"], w.services[0].as_str());
    assert_eq!(h[7]["destinatario"], "nadie");

    // The gateway does not serve anything yet: deny by default, in JSON.
    let g = app
        .client
        .get(format!("{}/segip/v1/persona", app.gateway))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.status().as_u16(), 404);

    // A closed request refuses further actions with 409.
    app.act(&id, w.t("sol"), json!({"accion": "desistir", "comentario": "ya no"}))
        .await
        .expect(409, "estado_incompatible");
}

#[tokio::test]
async fn observations_return_to_the_right_holder_and_come_back() {
    let app = spawn_app().await;
    let w = world(&app).await;

    // Step 2 → requester, who corrects (edit + new document) and sends it back to the Jefe.
    let id = request_in(&app, &w, "presentada").await;
    app.act(&id, w.t("jefe"), act("observar")).await.expect(422, "comentario_requerido");
    let r = app
        .act(
            &id,
            w.t("jefe"),
            json!({"accion": "observar", "comentario": "Falta la NTA firmada"}),
        )
        .await
        .ok();
    assert_eq!(
        (r["estado"].as_str(), r["espera_a"].as_str()),
        (Some("observada"), Some(format!("unidad:{}", w.unit).as_str()))
    );
    let inbox = app.get("/api/v1/bandeja", w.t("sol")).await.ok()["resultados"].clone();
    assert!(
        inbox
            .as_array()
            .is_some_and(|a| a.iter().any(|i| i["solicitud"]["id"] == id.as_str()))
    );
    // While observed, the unit may edit it; others may not.
    let edit = json!({"tipo": "consumo", "sistema_id": w.system, "servicios": [w.services[0], w.services[1]], "justificacion": "Con NTA"});
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/solicitudes/{id}"),
        Some(w.t("jefe")),
        Some(edit.clone()),
    )
    .await
    .expect(409, "no_editable");
    let r = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/solicitudes/{id}"),
            Some(w.t("colega")),
            Some(edit),
        )
        .await
        .ok();
    assert_eq!(r["servicios"].as_array().map(Vec::len), Some(2));
    app.upload(&id, w.t("sol"), "NTA", pdf(), "nta.pdf", "application/pdf").await.ok();
    let r = app.act(&id, w.t("sol"), act("subsanar")).await.ok();
    assert_eq!(
        (r["estado"].as_str(), r["espera_a"].as_str(), r["documento"]["tipo"].as_str()),
        (Some("presentada"), Some("jefe_upat"), Some("NTA"))
    );

    // Step 3 → requester → back to the Responsable de ADAS.
    app.act(&id, w.t("jefe"), act("derivar")).await.ok();
    app.act(
        &id,
        w.t("resp"),
        json!({"accion": "observar", "comentario": "Detalle los servicios"}),
    )
    .await
    .ok();
    let r = app.act(&id, w.t("sol"), act("subsanar")).await.ok();
    assert_eq!(r["estado"], "derivada_adas");

    // Step 4 → requester → back to the same leader.
    app.act(&id, w.t("resp"), json!({"accion": "asignar", "lider_id": w.id("lider")}))
        .await
        .ok();
    app.act(
        &id,
        w.t("lider"),
        json!({"accion": "observar", "comentario": "Describa el sistema"}),
    )
    .await
    .ok();
    let r = app.act(&id, w.t("sol"), act("subsanar")).await.ok();
    assert_eq!(
        (r["estado"].as_str(), r["lider_id"].as_str()),
        (Some("asignada_lider"), Some(w.id("lider")))
    );

    // Step 6 → the leader (back to habilitada); the leader adjusts the enablement and rewrites the note.
    app.act(&id, w.t("lider"), enable(&w)).await.ok();
    app.act(&id, w.t("lider"), note()).await.ok();
    let r = app
        .act(
            &id,
            w.t("resp"),
            json!({"accion": "observar", "comentario": "Agregue el segundo servicio"}),
        )
        .await
        .ok();
    assert_eq!(
        (r["estado"].as_str(), r["espera_a"].as_str()),
        (Some("habilitada"), Some(format!("lider_adas:{}", w.id("lider")).as_str()))
    );
    let adjust = json!({"accion": "ajustar_habilitacion", "habilitacion": {"accesos": [
        {"sistema_id": w.system, "servicio_id": w.services[0]},
        {"sistema_id": w.system, "servicio_id": w.services[1], "hasta": "2027-12-31"}]}});
    let r = app.act(&id, w.t("lider"), adjust).await.ok();
    let live: Vec<&Value> = r["habilitaciones"]
        .as_array()
        .map(|a| a.iter().filter(|g| g["revocada"] == false).collect())
        .unwrap_or_default();
    assert_eq!(live.len(), 2);
    let r = app.act(&id, w.t("lider"), note()).await.ok();
    assert_eq!(
        (r["nota"]["revision"].as_i64(), r["nota"]["numero"].as_str()),
        (Some(2), Some("AGETIC/NI/UPAT-ADAS/0002/2026"))
    );

    // Step 7 → the Responsable de ADAS (back to nota_elaborada), then → the leader.
    app.act(&id, w.t("resp"), act("aprobar_nota_adas")).await.ok();
    let r = app
        .act(
            &id,
            w.t("jefe"),
            json!({"accion": "observar", "comentario": "Revise", "devolver_a": "responsable_adas"}),
        )
        .await
        .ok();
    assert_eq!(
        (r["estado"].as_str(), r["espera_a"].as_str()),
        (Some("nota_elaborada"), Some("responsable_adas"))
    );
    app.act(&id, w.t("resp"), act("aprobar_nota_adas")).await.ok();
    app.act(
        &id,
        w.t("jefe"),
        json!({"accion": "observar", "comentario": "x", "devolver_a": "solicitante"}),
    )
    .await
    .expect(422, "destino_invalido");
    let r = app
        .act(
            &id,
            w.t("jefe"),
            json!({"accion": "observar", "comentario": "Corrija la nota", "devolver_a": "lider_adas"}),
        )
        .await
        .ok();
    assert_eq!(r["estado"], "habilitada");
    // A note change invalidates the earlier approvals: the path goes through step 6 again.
    app.act(&id, w.t("lider"), note()).await.ok();
    app.act(&id, w.t("jefe"), act("aprobar_nota_upat"))
        .await
        .expect(409, "estado_incompatible");
    app.act(&id, w.t("resp"), act("aprobar_nota_adas")).await.ok();
    app.act(&id, w.t("jefe"), act("aprobar_nota_upat")).await.ok();
    let r = app.act(&id, w.t("sol"), act("recibir")).await.ok();
    assert_eq!(r["estado"], "recibida");
    let h = r["historial"].clone();
    assert!(states(&h).contains(&("observar".into(), "observada".into())));
    assert_eq!(h.as_array().map(Vec::len), Some(states(&h).len()));
}

#[tokio::test]
async fn rejection_withdrawal_reassignment_and_four_eyes() {
    let app = spawn_app().await;
    let w = world(&app).await;

    // Rejection, with its reason, by the Jefe de UPAT or the Responsable de ADAS, before step 4.
    let id = request_in(&app, &w, "presentada").await;
    app.act(&id, w.t("jefe"), act("rechazar")).await.expect(422, "comentario_requerido");
    let r = app
        .act(&id, w.t("jefe"), json!({"accion": "rechazar", "comentario": "No corresponde"}))
        .await
        .ok();
    assert_eq!(r["estado"], "rechazada");
    let id = request_in(&app, &w, "asignada_lider").await;
    app.act(&id, w.t("resp"), json!({"accion": "rechazar", "comentario": "Duplicada"}))
        .await
        .ok();
    // After step 4 reviewers return instead of rejecting.
    let id = request_in(&app, &w, "habilitada").await;
    app.act(&id, w.t("jefe"), json!({"accion": "rechazar", "comentario": "tarde"}))
        .await
        .expect(409, "estado_incompatible");

    // Withdrawal by the requesting unit, before step 4, not after.
    let id = request_in(&app, &w, "derivada_adas").await;
    app.act(&id, w.t("otro"), json!({"accion": "desistir", "comentario": "x"}))
        .await
        .expect(403, "sin_acceso");
    let r = app
        .act(&id, w.t("colega"), json!({"accion": "desistir", "comentario": "Ya no se necesita"}))
        .await
        .ok();
    assert_eq!(r["estado"], "desistida");
    let id = request_in(&app, &w, "habilitada").await;
    app.act(&id, w.t("sol"), json!({"accion": "desistir", "comentario": "x"}))
        .await
        .expect(409, "estado_incompatible");

    // Reassignment to another leader; the previous one loses it.
    let id = request_in(&app, &w, "asignada_lider").await;
    app.act(&id, w.t("resp"), json!({"accion": "reasignar", "lider_id": w.id("jefe")}))
        .await
        .expect(422, "lider_invalido");
    app.act(
        &id,
        w.t("resp"),
        json!({"accion": "reasignar", "lider_id": w.id("lider2"), "comentario": "Carga de trabajo"}),
    )
    .await
    .ok();
    app.act(&id, w.t("lider"), enable(&w)).await.expect(403, "no_asignado");
    app.act(&id, w.t("lider2"), enable(&w)).await.ok();

    // Four-eyes: the note's author (also Responsable de ADAS) cannot approve it; steps 6 and 7 need
    // different people.
    let id = request_in(&app, &w, "derivada_adas").await;
    app.act(&id, w.t("resp"), json!({"accion": "asignar", "lider_id": w.id("respylider")}))
        .await
        .ok();
    app.act(&id, w.t("respylider"), enable(&w)).await.ok();
    app.act(&id, w.t("respylider"), note()).await.ok();
    app.act(&id, w.t("respylider"), act("aprobar_nota_adas"))
        .await
        .expect(403, "cuatro_ojos");
    app.act(&id, w.t("jefeyresp"), act("aprobar_nota_adas")).await.ok();
    app.act(&id, w.t("jefeyresp"), act("aprobar_nota_upat"))
        .await
        .expect(403, "cuatro_ojos");
    app.act(&id, w.t("jefe"), act("aprobar_nota_upat")).await.ok();
    assert_eq!(app.request(&id).await["estado"], "nota_aprobada_upat");
}

/// PR05 step 4 of a publication builds what the gateway needs. Nothing is published until the
/// assigned Líder has staged the service's connector; `habilitar` commits it (and the description)
/// with the state change; step 5 waits for a successful probe of the connector in force; then the
/// service answers through the gateway. Before, a publication reached `recibida` with no route.
#[tokio::test]
async fn publication_step_4_builds_the_connector_and_step_5_waits_for_its_probe() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let up = crate::upstream::start("defuncion").await;
    let r = app
        .post(
            "/api/v1/solicitudes",
            w.t("sol"),
            json!({"tipo": "publicacion", "entidad_publicadora_id": w.publisher, "justificacion": "Publicar",
                   "servicios_publicacion": [{"codigo": "defuncion", "version": 1, "nombre": "Consulta de defunción"}]}),
        )
        .await
        .ok();
    let id = r["id"].as_str().unwrap_or_default().to_owned();
    let code = r["codigo"].as_str().unwrap_or_default().to_owned();
    app.upload(&id, w.t("sol"), "NTA", pdf(), "nta.pdf", "application/pdf").await.ok();
    let stage = format!("/api/v1/solicitudes/{id}/publicacion/defuncion/1");
    let origin = format!("http://{}/base", up.addr);
    // Before step 3 nobody stages anything.
    app.act(&id, w.t("sol"), act("presentar")).await.ok();
    app.call(
        Method::PUT,
        &format!("{stage}/conector"),
        Some(w.t("lider")),
        Some(json!({"origenes": [origin]})),
    )
    .await
    .expect(409, "estado_incompatible");
    app.act(&id, w.t("jefe"), act("derivar")).await.ok();
    app.act(&id, w.t("resp"), json!({"accion": "asignar", "lider_id": w.id("lider")}))
        .await
        .ok();

    // `habilitar` with nothing staged publishes nothing and names the service.
    let publish = json!({"accion": "habilitar", "habilitacion": {"publicar": [{"codigo": "defuncion", "version": 1}]}});
    let e = app
        .act(&id, w.t("lider"), publish.clone())
        .await
        .expect(409, "publicacion_incompleta");
    assert!(e["mensaje"].as_str().is_some_and(|m| m.contains("defuncion v1")), "{e}");
    // Only the assigned leader stages.
    for (who, status, codigo) in [
        ("lider2", 403, "no_asignado"),
        ("sol", 403, "rol_requerido"),
        ("resp", 403, "rol_requerido"),
    ] {
        app.call(
            Method::PUT,
            &format!("{stage}/conector"),
            Some(w.t(who)),
            Some(json!({"origenes": [origin]})),
        )
        .await
        .expect(status, codigo);
    }
    // Base paths: another service's, or a segment-prefix of it, is a 409 naming its holder.
    for taken in ["/segip/persona/v1/", "/segip/persona/", "/segip/"] {
        let e = app
            .call(
                Method::PUT,
                &format!("{stage}/conector"),
                Some(w.t("lider")),
                Some(json!({"origenes": [origin], "ruta_base": taken})),
            )
            .await
            .expect(409, "ruta_base_ocupada");
        assert!(e["mensaje"].as_str().is_some_and(|m| m.contains("SEGIP")), "{e}");
    }
    // Staged first towards a port where nothing listens: the probe says so.
    let closed = crate::upstream::closed_port().await;
    app.call(
        Method::PUT,
        &format!("{stage}/conector"),
        Some(w.t("lider")),
        Some(json!({"origenes": [format!("http://{closed}/base")], "tiempo_conexion_ms": 500})),
    )
    .await
    .ok();
    app.call(
        Method::PUT,
        &format!("{stage}/descripcion"),
        Some(w.t("lider")),
        Some(json!({"documento": crate::upstream::DESCRIPTION})),
    )
    .await
    .ok();
    let p = app.post(&format!("{stage}/probar"), w.t("lider"), json!({})).await.ok();
    assert_eq!(p["prueba"]["ok"], false, "{p}");
    assert_eq!(p["conector"]["ruta_base"], "/segip/defuncion/v1/");
    // Staged is not published: neither the catalog nor the gateway know it yet.
    let catalog = app.get("/api/v1/servicios", w.t("lider")).await.ok()["resultados"].clone();
    assert!(!catalog.to_string().contains("defuncion"), "{catalog}");

    // `habilitar` commits connector, description and publication with the state change.
    app.act(&id, w.t("lider"), publish).await.ok();
    let service = p["servicio_id"].as_str().unwrap_or_default().to_owned();
    let svc = app
        .get(&format!("/api/v1/servicios?entidad_id={}", w.publisher), w.t("lider"))
        .await
        .ok()["resultados"]
        .clone();
    let svc = svc
        .as_array()
        .and_then(|a| a.iter().find(|s| s["codigo"] == "defuncion").cloned())
        .unwrap_or_default();
    assert_eq!(
        (svc["id"].as_str(), svc["estado"].as_str(), svc["solicitud_id"].as_str()),
        (Some(service.as_str()), Some("publicado"), Some(id.as_str()))
    );
    let c = app.get(&format!("/api/v1/servicios/{service}/conector"), w.t("lider")).await.ok();
    assert_eq!(
        (c["version"].as_i64(), c["ruta_base"].as_str()),
        (Some(1), Some("/segip/defuncion/v1/"))
    );
    let ops = app
        .get(&format!("/api/v1/servicios/{service}/operaciones"), w.t("lider"))
        .await
        .ok();
    assert!(ops.as_array().is_some_and(|a| a.len() == 4), "{ops}");
    // The step's history and its audit record say what step 4 built.
    let h = app.get(&format!("/api/v1/solicitudes/{id}/historial"), w.t("lider")).await.ok();
    let step4 = h.as_array().and_then(|h| h.last()).cloned().unwrap_or_default();
    let built = &step4["detalle"]["publicar"][0];
    assert_eq!(
        (
            built["ruta_base"].as_str(),
            built["servicio_id"].as_str(),
            built["prueba_ok"].as_bool()
        ),
        (Some("/segip/defuncion/v1/"), Some(service.as_str()), Some(false)),
        "{step4}"
    );
    assert_eq!(built["operaciones"].as_array().map(Vec::len), Some(4));
    let audit = app
        .get(
            &format!("/api/v1/auditoria?cadena=procedimiento&solicitud={code}&limite=1"),
            w.t("lider"),
        )
        .await
        .ok();
    assert_eq!(
        audit["registros"][0]["registro"]["detalle"]["publicaciones"][0]["ruta_base"],
        "/segip/defuncion/v1/"
    );

    // Step 5 waits for a successful probe of the connector in force, and names the service.
    let e = app.act(&id, w.t("lider"), note()).await.expect(409, "prueba_de_conexion_pendiente");
    assert!(e["mensaje"].as_str().is_some_and(|m| m.contains("SEGIP defuncion v1")), "{e}");
    // A new connector version towards the real origin has not been probed either.
    app.call(
        Method::PUT,
        &format!("/api/v1/servicios/{service}/conector"),
        Some(w.t("lider")),
        Some(json!({"origenes": [origin]})),
    )
    .await
    .ok();
    app.act(&id, w.t("lider"), note()).await.expect(409, "prueba_de_conexion_pendiente");
    let p = app
        .post(&format!("/api/v1/servicios/{service}/probar"), w.t("lider"), json!({}))
        .await
        .ok();
    assert!(p.as_array().is_some_and(|a| a.iter().all(|o| o["ok"] == true)), "{p}");
    app.act(&id, w.t("lider"), note()).await.ok();

    // What was published is reachable through the gateway once a consumer is granted it.
    let a = crate::gateway::consume(&app, &w, &service, json!({})).await;
    let r = app
        .gw_until("/segip/defuncion/v1/personas/7", &[("apikey", a.key.as_str())], 200)
        .await;
    assert_eq!(r.body["origen"], "defuncion");
}

/// Approvals (steps 6 and 7) and the receipt (step 8) bind the note's text: they send the hash of
/// the note as read; a missing one is a 422, a stale one (the note was rewritten after a return)
/// a 409 that changes nothing; the hash is in the history entry and in the audit record, and a
/// return says which approvals it undid.
#[tokio::test]
async fn approvals_bind_the_text_of_the_note_they_approve() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = request_in(&app, &w, "nota_elaborada").await;
    let first = app.request(&id).await["nota"].clone();
    let h1 = first["sha256"].as_str().unwrap_or_default().to_owned();
    assert_eq!((h1.len(), first["revision"].as_i64()), (64, Some(1)));
    let url = format!("/api/v1/solicitudes/{id}/transiciones");
    app.post(&url, w.t("resp"), act("aprobar_nota_adas"))
        .await
        .expect(422, "campo_requerido");
    app.act(&id, w.t("resp"), json!({"accion": "aprobar_nota_adas", "nota_sha256": h1}))
        .await
        .ok();
    // Step 7 returns it to the leader, who rewrites it: the step 6 approval is undone, explicitly.
    app.act(
        &id,
        w.t("jefe"),
        json!({"accion": "observar", "devolver_a": "lider_adas", "comentario": "precisar"}),
    )
    .await
    .ok();
    let h = app.get(&format!("/api/v1/solicitudes/{id}/historial"), w.t("jefe")).await.ok();
    let ret = h.as_array().and_then(|h| h.last()).cloned().unwrap_or_default();
    assert_eq!(ret["detalle"]["aprobaciones_anuladas"][0]["paso"], 6, "{ret}");
    assert_eq!(ret["detalle"]["aprobaciones_anuladas"][0]["por"], w.id("resp"));
    app.act(
        &id,
        w.t("lider"),
        json!({"accion": "elaborar_nota", "nota": {"cuerpo": "Texto corregido tras la observación."}}),
    )
    .await
    .ok();
    let second = app.request(&id).await["nota"].clone();
    let h2 = second["sha256"].as_str().unwrap_or_default().to_owned();
    assert_eq!(second["revision"], 2);
    assert_ne!(h1, h2);
    // The page was loaded before the rewrite: its hash is stale, and nothing changes.
    let before = app.request(&id).await;
    let e = app
        .post(&url, w.t("resp"), json!({"accion": "aprobar_nota_adas", "nota_sha256": h1}))
        .await
        .expect(409, "nota_cambiada");
    assert!(e["mensaje"].as_str().is_some_and(|m| m.contains("revisión 2")), "{e}");
    assert_eq!(app.request(&id).await, before);
    // With the current hash each approval and the receipt go through, and say what they bound.
    for (who, accion) in [("resp", "aprobar_nota_adas"), ("jefe", "aprobar_nota_upat"), ("sol", "recibir")] {
        let r = app
            .act(&id, w.t(who), json!({"accion": accion, "nota_sha256": h2.to_uppercase()}))
            .await
            .ok();
        let code = r["codigo"].as_str().unwrap_or_default().to_owned();
        let h = app.get(&format!("/api/v1/solicitudes/{id}/historial"), w.t(who)).await.ok();
        let last = h.as_array().and_then(|h| h.last()).cloned().unwrap_or_default();
        assert_eq!(
            (
                last["accion"].as_str(),
                last["detalle"]["nota_sha256"].as_str(),
                last["detalle"]["nota_revision"].as_i64()
            ),
            (Some(accion), Some(h2.as_str()), Some(2))
        );
        let audit = app
            .get(
                &format!("/api/v1/auditoria?cadena=procedimiento&solicitud={code}&limite=2"),
                w.t(who),
            )
            .await
            .ok();
        // The newest transition record (an approval is followed by the record of the PDF kept).
        let transition = audit["registros"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["registro"]["accion"] == "solicitud.transicion"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(transition["registro"]["detalle"]["nota_sha256"], h2.as_str(), "{audit}");
    }
    assert_eq!(app.request(&id).await["estado"], "recibida");
}

/// The bandeja offers only what the rules allow: a user with both the Responsable and the Líder
/// roles who wrote the note does not find it waiting at step 6 (before, it was there and acting
/// gave 403), and whoever approved at step 6 does not find it at step 7.
#[tokio::test]
async fn the_bandeja_leaves_out_whom_four_eyes_excludes() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = draft(&app, &w).await;
    for (who, body) in [
        ("sol", act("presentar")),
        ("jefe", act("derivar")),
        ("resp", json!({"accion": "asignar", "lider_id": w.id("respylider")})),
        ("respylider", enable(&w)),
        ("respylider", note()),
    ] {
        app.act(&id, w.t(who), body).await.ok();
    }
    let waits_for = |who: &'static str| {
        let app = &app;
        let w = &w;
        let id = id.clone();
        async move {
            let inbox = app.get("/api/v1/bandeja", w.t(who)).await.ok()["resultados"].clone();
            inbox
                .as_array()
                .is_some_and(|a| a.iter().any(|i| i["solicitud"]["id"] == id.as_str()))
        }
    };
    assert!(waits_for("resp").await && waits_for("jefeyresp").await);
    assert!(!waits_for("respylider").await, "the note's author is offered its own approval");
    // What the bandeja leaves out is what the rules refuse.
    app.act(&id, w.t("respylider"), act("aprobar_nota_adas"))
        .await
        .expect(403, "cuatro_ojos");
    app.act(&id, w.t("jefeyresp"), act("aprobar_nota_adas")).await.ok();
    assert!(waits_for("jefe").await);
    assert!(!waits_for("jefeyresp").await, "the step 6 approver is offered step 7");
    app.act(&id, w.t("jefeyresp"), act("aprobar_nota_upat"))
        .await
        .expect(403, "cuatro_ojos");
}

/// Two services of one entity with the same version get distinct default base paths, and both
/// route (before, both defaulted to `/<sigla>/v<N>/` and the second was refused).
#[tokio::test]
async fn services_of_one_entity_and_version_get_distinct_base_paths() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut bases = Vec::new();
    for s in &w.services {
        let c = app.get(&format!("/api/v1/servicios/{s}/conector"), w.t("lider")).await.ok();
        bases.push(c["ruta_base"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(bases, vec!["/segip/persona/v1/", "/segip/certificado/v1/"]);
    // A base path never changes by omission, and a typed one follows the same rule as the default.
    let s = &w.services[0];
    let c = app
        .call(
            Method::PUT,
            &format!("/api/v1/servicios/{s}/conector"),
            Some(w.t("lider")),
            Some(json!({"origenes": ["http://127.0.0.1:9/base"]})),
        )
        .await
        .ok();
    assert_eq!(
        (c["version"].as_i64(), c["ruta_base"].as_str()),
        (Some(2), Some("/segip/persona/v1/"))
    );
    app.call(
        Method::PUT,
        &format!("/api/v1/servicios/{s}/conector"),
        Some(w.t("lider")),
        Some(json!({"origenes": ["http://127.0.0.1:9/base"], "ruta_base": "/segip/v1/"})),
    )
    .await
    .expect(422, "ruta_base_invalida");
    let e = app
        .call(
            Method::PUT,
            &format!("/api/v1/servicios/{s}/conector"),
            Some(w.t("lider")),
            Some(json!({"origenes": ["http://127.0.0.1:9/base"], "ruta_base": "/segip/certificado/v1/"})),
        )
        .await
        .expect(409, "ruta_base_ocupada");
    assert!(e["mensaje"].as_str().is_some_and(|m| m.contains("SEGIP certificado v1")), "{e}");
    // Both are granted and both answer through the gateway, each at its own base path.
    let both: Vec<&str> = w.services.iter().map(String::as_str).collect();
    let (id, _) = consumption(&app, &w, &both).await;
    to_leader(&app, &w, &id).await;
    // Point the first back at the world's origin.
    let origin = w.origin();
    app.call(
        Method::PUT,
        &format!("/api/v1/servicios/{s}/conector"),
        Some(w.t("lider")),
        Some(json!({"origenes": [origin]})),
    )
    .await
    .ok();
    let accesos: Vec<Value> = w
        .services
        .iter()
        .map(|s| json!({"sistema_id": w.system, "servicio_id": s}))
        .collect();
    let r = app
        .act(
            &id,
            w.t("lider"),
            json!({"accion": "habilitar", "habilitacion": {"accesos": accesos, "emitir_credenciales": ["apikey"]}}),
        )
        .await
        .ok();
    assert!(r["credenciales_emitidas"][0]["clave"].is_null(), "{r}");
    let got = crate::gateway::retrieve(&app, &w, &id).await;
    let key = got[0]["clave"].as_str().unwrap_or_default().to_owned();
    app.gw_until("/segip/persona/v1/personas/1", &[("apikey", key.as_str())], 200).await;
    app.gw_until("/segip/certificado/v1/certificados/1", &[("apikey", key.as_str())], 200)
        .await;
}

/// Consumption grants only services that are published and routable: a catalog entry registered
/// by hand (`registrado`) is refused, naming it; before, the grant was accepted and the gateway
/// answered 404.
#[tokio::test]
async fn a_registered_but_unpublished_service_cannot_be_granted() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = app
        .post(
            "/api/v1/servicios",
            &app.admin_token,
            json!({"entidad_id": w.publisher, "codigo": "nacimiento", "version": 1, "nombre": "Registrado a mano"}),
        )
        .await
        .ok();
    assert_eq!(s["estado"], "registrado");
    let service = s["id"].as_str().unwrap_or_default().to_owned();
    let (id, _) = consumption(&app, &w, &[service.as_str()]).await;
    to_leader(&app, &w, &id).await;
    let e = app
        .act(
            &id,
            w.t("lider"),
            json!({"accion": "habilitar", "habilitacion": {"accesos": [{"sistema_id": w.system, "servicio_id": service}]}}),
        )
        .await
        .expect(409, "servicio_no_publicado");
    assert!(e["mensaje"].as_str().is_some_and(|m| m.contains("nacimiento v1")), "{e}");
    assert_eq!(app.request(&id).await["estado"], "asignada_lider");
    assert_eq!(app.request(&id).await["habilitaciones"], json!([]));
}

#[tokio::test]
async fn inbox_orders_by_waiting_time_and_marks_overdue_in_working_days() {
    let app = spawn_app_with(|s| s.control.token_ttl = std::time::Duration::from_secs(30 * 86400)).await;
    let w = world(&app).await;
    let first = request_in(&app, &w, "presentada").await;
    app.clock.advance(time::Duration::hours(1));
    let second = request_in(&app, &w, "presentada").await;
    let inbox = app.get("/api/v1/bandeja", w.t("jefe")).await.ok()["resultados"].clone();
    let ids: Vec<&str> = inbox
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["solicitud"]["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec![first.as_str(), second.as_str()]);
    assert_eq!(inbox[0]["espera_segundos"], 3600);
    assert_eq!(inbox[0]["vencida"], false);
    // Presented Tuesday 10:00 La Paz, deadline 2 working days: due Thursday 10:00.
    assert_eq!(inbox[0]["vence"], "2026-11-26T14:00:00Z");
    app.clock.advance(time::Duration::hours(47));
    let inbox = app.get("/api/v1/bandeja", w.t("jefe")).await.ok()["resultados"].clone();
    assert_eq!(
        (inbox[0]["vencida"].as_bool(), inbox[1]["vencida"].as_bool()),
        (Some(true), Some(false))
    );
    // Thursday 10:00 for the first (two working days since Tuesday 10:00), 09:00 for the second.
    assert_eq!(
        (inbox[0]["espera_dias_habiles"].as_u64(), inbox[1]["espera_dias_habiles"].as_u64()),
        (Some(2), Some(1))
    );
    // Nobody else waits for them.
    for who in ["resp", "lider", "otro"] {
        assert_eq!(
            app.get("/api/v1/bandeja", w.t(who)).await.ok()["resultados"]
                .clone()
                .as_array()
                .map(Vec::len),
            Some(0),
            "{who}"
        );
    }
}

#[tokio::test]
async fn accounts_tokens_throttling_and_administration() {
    let app = spawn_app_with(|s| {
        s.control.login_max_failures_account = 3;
        s.control.token_ttl = std::time::Duration::from_secs(3600);
    })
    .await;
    let mut w = world(&app).await;

    // Wrong passwords are throttled per account, with Retry-After; the window passes.
    for _ in 0..3 {
        app.call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"usuario": "lider2", "contrasena": "mala-mala-mala"})),
        )
        .await
        .expect(401, "credenciales_invalidas");
    }
    let r = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"usuario": "lider2", "contrasena": PASSWORD})),
        )
        .await;
    assert!(r.headers.get("retry-after").is_some());
    r.expect(429, "demasiados_intentos");
    app.clock.advance(time::Duration::minutes(16));
    app.login("lider2", PASSWORD).await;

    // Tokens expire.
    app.get("/api/v1/auth/yo", w.t("lider")).await.ok();
    app.clock.advance(time::Duration::minutes(61));
    let r = app.get("/api/v1/auth/yo", w.t("lider")).await;
    assert!(r.headers.get("www-authenticate").is_some());
    r.expect(401, "no_autenticado");
    relogin(&app, &mut w).await;
    let admin = w.t("admin").to_owned();
    let lider = w.t("lider").to_owned();

    // Logout revokes the token.
    app.call(reqwest::Method::POST, "/api/v1/auth/logout", Some(&lider), None).await;
    app.get("/api/v1/auth/yo", &lider).await.expect(401, "no_autenticado");

    // Only the Administrador administers.
    let sol = app.login("sol", PASSWORD).await;
    app.post("/api/v1/unidades", &sol, json!({"sigla": "XX", "nombre": "Otra"}))
        .await
        .expect(403, "rol_requerido");
    let lider_id = w.id("lider").to_owned();
    app.post(&format!("/api/v1/usuarios/{lider_id}/contrasena"), &sol, json!({}))
        .await
        .expect(403, "rol_requerido");

    // Password reset: a generated one, shown once; the old password and sessions stop working.
    let lider = app.login("lider", PASSWORD).await;
    let r = app
        .post(&format!("/api/v1/usuarios/{lider_id}/contrasena"), &admin, json!({}))
        .await
        .ok();
    let new_pw = r["contrasena_generada"].as_str().unwrap_or_default().to_owned();
    assert_eq!(new_pw.len(), 24);
    app.get("/api/v1/auth/yo", &lider).await.expect(401, "no_autenticado");
    app.call(
        reqwest::Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"usuario": "lider", "contrasena": PASSWORD})),
    )
    .await
    .expect(401, "credenciales_invalidas");
    let lider = app.login("lider", &new_pw).await;
    let users = app.get("/api/v1/usuarios", &admin).await.ok()["resultados"].clone();
    assert!(!users.to_string().contains("argon2"), "password hashes never leave the server");

    // Disabling a user revokes their sessions and refuses their logins.
    let r = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/usuarios/{lider_id}"),
            Some(&admin),
            Some(json!({"activo": false})),
        )
        .await
        .ok();
    assert_eq!(r["activo"], false);
    app.get("/api/v1/auth/yo", &lider).await.expect(401, "no_autenticado");
    app.call(
        reqwest::Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"usuario": "lider", "contrasena": new_pw})),
    )
    .await
    .expect(401, "credenciales_invalidas");
    // A disabled leader cannot be assigned.
    let id = request_in(&app, &w, "derivada_adas").await;
    let resp = app.login("resp", PASSWORD).await;
    app.act(&id, &resp, json!({"accion": "asignar", "lider_id": lider_id}))
        .await
        .expect(422, "lider_invalido");
    // Errors speak English when asked.
    let r = app
        .client
        .get(format!("{}/api/v1/auth/yo", app.base))
        .header("accept-language", "en-US,en;q=0.9,es;q=0.5")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = App::read(r).await;
    assert!(r.body["mensaje"].as_str().unwrap_or("").starts_with("log in"), "{}", r.body);
    assert_eq!(r.code(), "no_autenticado");
}

#[tokio::test]
async fn failed_logins_are_throttled_per_client_address() {
    let app = spawn_app_with(|s| {
        s.control.login_max_failures_address = 4;
        s.control.login_max_failures_account = 100;
    })
    .await;
    // Four different accounts (existing or not) from the same address...
    for user in ["ana", "beto", "carla", "admin"] {
        app.call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"usuario": user, "contrasena": "no-es-la-clave"})),
        )
        .await
        .expect(401, "credenciales_invalidas");
    }
    // ...and even the right password is refused from that address until the window passes.
    let r = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"usuario": "admin", "contrasena": app.admin_password})),
        )
        .await;
    let wait: u64 = r
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((1..=900).contains(&wait), "Retry-After: {wait}");
    r.expect(429, "demasiados_intentos");
    app.clock.advance(time::Duration::seconds(wait as i64));
    app.login("admin", &app.admin_password).await;
}

/// How many deliveries still hold a sealed secret, read from the store's file.
async fn sealed_deliveries(app: &App) -> i64 {
    use sqlx::Connection;
    let url = format!("sqlite://{}", app._dir.path().join("iop.sqlite3").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE sealed IS NOT NULL")
        .fetch_one(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// PR05 step 4 sends the accesses: the secrets of the credentials issued go to the requesting
/// unit, sealed, and are retrieved exactly once by one of its Solicitantes; everyone else gets
/// 403, a second attempt and an expired delivery 410; the Líder never sees a secret; the audit
/// records the retrieval without it; a rotation re-issues to the unit the same way.
#[tokio::test]
async fn accesses_reach_the_requesting_unit_once_and_nobody_else() {
    let app = spawn_app_with(|s| s.control.token_ttl = std::time::Duration::from_secs(60 * 86400)).await;
    let w = world(&app).await;
    let id = draft(&app, &w).await;
    to_leader(&app, &w, &id).await;
    let step4 = app
        .act(
            &id,
            w.t("lider"),
            json!({"accion": "habilitar", "habilitacion": {"accesos": [{"sistema_id": w.system, "servicio_id": w.services[0]}],
                                                               "emitir_credenciales": ["apikey", "jwt_hs256"]}}),
        )
        .await
        .ok();
    let issued = step4["credenciales_emitidas"].as_array().cloned().unwrap_or_default();
    assert!(
        issued.len() == 2
            && issued
                .iter()
                .all(|c| c["pendiente_de_retiro"] == true && c["clave"].is_null() && c["secreto"].is_null()),
        "{step4}"
    );
    // Step 4's history lists what was issued: kind and prefix.
    let h = app.get(&format!("/api/v1/solicitudes/{id}/historial"), w.t("lider")).await.ok();
    let listed = h.as_array().and_then(|h| h.last()).cloned().unwrap_or_default()["detalle"]["credenciales"].clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    assert!(listed[0]["prefijo"].as_str().is_some_and(|p| p.starts_with("iop_k_")) || listed[1]["prefijo"].is_string());
    // The Líder sees "pendiente de retiro".
    let d = app.get(&format!("/api/v1/solicitudes/{id}/accesos"), w.t("lider")).await.ok();
    assert_eq!(
        (d[0]["estado"].as_str(), d[0]["credenciales"].as_array().map(Vec::len)),
        (Some("pendiente_de_retiro"), Some(2)),
        "{d}"
    );
    assert_eq!(sealed_deliveries(&app).await, 1);

    // Nobody but a Solicitante of the requesting unit retrieves it.
    let url = format!("/api/v1/solicitudes/{id}/accesos/retirar");
    for (who, code) in [
        ("lider", "retiro_no_autorizado"),
        ("jefe", "retiro_no_autorizado"),
        ("admin", "retiro_no_autorizado"),
        ("otro", "sin_acceso"),
    ] {
        app.post(&url, w.t(who), json!({})).await.expect(403, code);
    }
    let got = app.post(&url, w.t("colega"), json!({})).await.ok();
    let key = got["credenciales"]
        .as_array()
        .and_then(|a| a.iter().find_map(|c| c["clave"].as_str()))
        .unwrap_or_default()
        .to_owned();
    let secret = got["credenciales"]
        .as_array()
        .and_then(|a| a.iter().find_map(|c| c["secreto"].as_str()))
        .unwrap_or_default()
        .to_owned();
    assert!(key.starts_with("iop_k_") && secret.len() >= 32, "{got}");
    assert_eq!(sealed_deliveries(&app).await, 0, "the sealed secrets are erased on retrieval");
    // It works at once; the Líder's answer never held it.
    app.gw_until("/segip/persona/v1/personas/1", &[("apikey", key.as_str())], 200).await;
    assert!(!step4.to_string().contains(&key) && !step4.to_string().contains(&secret));
    // Once in total: a second attempt, by anyone of the unit, names who and when.
    let e = app.post(&url, w.t("sol"), json!({})).await.expect(410, "accesos_ya_retirados");
    assert!(e["mensaje"].as_str().is_some_and(|m| m.contains("colega")), "{e}");
    let d = app.get(&format!("/api/v1/solicitudes/{id}/accesos"), w.t("lider")).await.ok();
    assert_eq!(
        (d[0]["estado"].as_str(), d[0]["retirada_por"].as_str()),
        (Some("retirada"), Some("colega"))
    );
    // The audit records the retrieval, never the secret.
    let code = step4["codigo"].as_str().unwrap_or_default();
    let audit = app
        .get(&format!("/api/v1/auditoria?cadena=procedimiento&solicitud={code}"), w.t("lider"))
        .await
        .ok();
    let text = audit.to_string();
    assert!(text.contains("accesos.retirar"), "{audit}");
    assert!(!text.contains(&key) && !text.contains(&secret), "no secret in the audit");

    // A delivery nobody retrieves expires after 10 working days, and its secret is erased.
    let late = draft(&app, &w).await;
    to_leader(&app, &w, &late).await;
    app.act(
        &late,
        w.t("lider"),
        json!({"accion": "habilitar", "habilitacion": {"accesos": [{"sistema_id": w.system, "servicio_id": w.services[0]}],
                                                         "emitir_credenciales": ["apikey"]}}),
    )
    .await
    .ok();
    app.clock.advance(time::Duration::days(15));
    let url = format!("/api/v1/solicitudes/{late}/accesos/retirar");
    app.post(&url, w.t("sol"), json!({})).await.expect(410, "accesos_vencidos");
    assert_eq!(sealed_deliveries(&app).await, 0);
    let d = app.get(&format!("/api/v1/solicitudes/{late}/accesos"), w.t("sol")).await.ok();
    assert_eq!(d[0]["estado"], "vencida");
    // Re-issuing is a rotation: to the unit again, never to whoever rotates.
    let cred = d[0]["credenciales"][0]["id"].as_str().unwrap_or_default().to_owned();
    let r = app
        .post(
            &format!("/api/v1/credenciales/{cred}/rotar"),
            w.t("lider"),
            json!({"solapamiento_horas": 0}),
        )
        .await
        .ok();
    assert!(r["clave"].is_null() && r["pendiente_de_retiro"] == true, "{r}");
    let got = app.post(&url, w.t("sol"), json!({})).await.ok();
    let new_key = got["credenciales"][0]["clave"].as_str().unwrap_or_default().to_owned();
    assert!(new_key.starts_with("iop_k_") && !r.to_string().contains(&new_key), "{got}");
}

/// The bandeja and the request list come a page at a time (`limite`, `cursor` → `siguiente`):
/// walking the pages gives every item once, in the same order as one big page.
#[tokio::test]
async fn lists_come_in_pages_that_follow_each_other() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for _ in 0..5 {
        request_in(&app, &w, "presentada").await;
    }
    for (path, who) in [
        ("/api/v1/bandeja", "jefe"),
        ("/api/v1/solicitudes", "jefe"),
        ("/api/v1/solicitudes", "sol"),
    ] {
        let all = app.get(&format!("{path}?limite=200"), w.t(who)).await.ok();
        let ids = |page: &Value| -> Vec<String> {
            page["resultados"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|i| i["solicitud"]["id"].as_str().or(i["id"].as_str()).unwrap_or_default().to_owned())
                        .collect()
                })
                .unwrap_or_default()
        };
        let want = ids(&all);
        assert!(want.len() >= 5 && all["siguiente"].is_null(), "{path} as {who}: {all}");
        let mut got = Vec::new();
        let mut url = format!("{path}?limite=2");
        loop {
            let page = app.get(&url, w.t(who)).await.ok();
            let some = ids(&page);
            assert!(some.len() <= 2);
            got.extend(some);
            match page["siguiente"].as_str() {
                Some(c) => url = format!("{path}?limite=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(got, want, "{path} as {who}");
    }
    app.get("/api/v1/bandeja?limite=0", w.t("jefe"))
        .await
        .expect(422, "limite_invalido");
    app.get("/api/v1/solicitudes?limite=201", w.t("jefe"))
        .await
        .expect(422, "limite_invalido");
    app.get("/api/v1/bandeja?cursor=nada", w.t("jefe"))
        .await
        .expect(422, "cursor_invalido");
}

/// Suplencias: an acting Jefe de UPAT approves at step 7 within the period, named «a.i.» in the
/// history, the note and the page; after the period the role is gone; and the note's author
/// cannot approve it through a suplencia (four eyes see the person, not the role).
#[tokio::test]
async fn an_acting_jefe_de_upat_approves_within_the_period_and_not_after() {
    let app = spawn_app_with(|s| s.public_addr = Some("127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")))).await;
    let mut w = world(&app).await;
    let admin = app.admin_token.clone();
    // The test clock stands on Tuesday 2026-11-24 in La Paz.
    let acting = |who: &str, instead: &str| {
        json!({"usuario_id": w.id(who), "rol": "jefe_upat", "en_lugar_de_id": w.id(instead),
               "desde": "2026-11-24", "hasta": "2026-11-26", "memorandum": "MEM/AGETIC/DGE/0042/2026"})
    };
    // What is not a suplencia is refused, naming why; only the Administrador records one.
    let with = |mut v: Value, k: &str, x: Value| {
        v[k] = x;
        v
    };
    for (body, code) in [
        (with(acting("lider2", "jefe"), "rol", json!("solicitante")), "suplencia_invalida"),
        (acting("jefe", "jefe"), "suplencia_invalida"),
        (acting("lider2", "resp"), "suplencia_invalida"),
        (with(acting("lider2", "jefe"), "hasta", json!("2026-11-20")), "suplencia_invalida"),
        (with(acting("lider2", "jefe"), "desde", json!("24/11/2026")), "fecha_invalida"),
        (with(acting("lider2", "jefe"), "memorandum", json!("")), "nombre_invalido"),
    ] {
        app.post("/api/v1/suplencias", &admin, body).await.expect(422, code);
    }
    app.post("/api/v1/suplencias", w.t("jefe"), acting("lider2", "jefe"))
        .await
        .expect(403, "rol_requerido");
    let s = app.post("/api/v1/suplencias", &admin, acting("lider2", "jefe")).await.ok();
    assert_eq!(
        (s["usuario"].as_str(), s["en_lugar_de"].as_str()),
        (Some("Persona lider2"), Some("Persona jefe")),
        "{s}"
    );
    app.post("/api/v1/suplencias", &admin, acting("lider", "jefe")).await.ok();
    let listed = app.get("/api/v1/suplencias", w.t("jefe")).await.ok();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");

    // Within the period: lider2 approves as Jefe de UPAT a.i.
    let id = request_in(&app, &w, "nota_aprobada_adas").await;
    app.act(&id, w.t("lider2"), act("aprobar_nota_upat")).await.ok();
    let history = app.get(&format!("/api/v1/solicitudes/{id}/historial"), w.t("jefe")).await.ok();
    let last = history.as_array().and_then(|h| h.last()).cloned().unwrap_or_default();
    assert_eq!(
        (&last["actor_usuario"], &last["rol"], &last["en_suplencia_de"]),
        (&json!("lider2"), &json!("jefe_upat"), &json!("Persona jefe")),
        "{last}"
    );
    let code = app.request(&id).await["codigo"].as_str().unwrap_or_default().to_owned();
    let pdf = app
        .client
        .get(format!("{}/api/v1/solicitudes/{code}/nota.pdf", app.base))
        .bearer_auth(w.t("jefe"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .bytes()
        .await
        .unwrap_or_default();
    let t = crate::documents::text(&pdf).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        t.contains("Jefe de UPAT a.i. (en lugar de Persona jefe)") && t.contains("Persona lider2"),
        "{t}"
    );
    let page = crate::documents::request_page(&app, w.t("sol"), &code).await;
    assert!(
        page.contains("Persona lider2 (Jefe de UPAT a.i., en lugar de Persona jefe)"),
        "{page}"
    );
    // And so does the public verification page.
    let public = crate::documents::public_base(&app);
    let at = t.find(&format!("{public}/v/")).unwrap_or_else(|| panic!("no address in {t}")) + public.len() + 3;
    let short: String = t.get(at..).unwrap_or_default().chars().take(20).collect();
    let verified = app
        .client
        .get(format!("{public}/v/{short}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(verified.contains("Jefe de UPAT a.i. (en lugar de Persona jefe)"), "{verified}");

    // The note's author holds the role too, but four eyes see the person.
    let authored = request_in(&app, &w, "nota_aprobada_adas").await;
    app.act(&authored, w.t("lider"), act("aprobar_nota_upat"))
        .await
        .expect(403, "cuatro_ojos");

    // After the period (from Friday 2026-11-27 on) the role is gone.
    let later = request_in(&app, &w, "nota_aprobada_adas").await;
    app.clock.advance(time::Duration::days(3));
    relogin(&app, &mut w).await;
    let r = app.act(&later, w.t("lider2"), act("aprobar_nota_upat")).await;
    assert_eq!(r.status.as_u16(), 403, "{:?}", r.body);
    app.act(&later, w.t("jefe"), act("aprobar_nota_upat")).await.ok();
}
