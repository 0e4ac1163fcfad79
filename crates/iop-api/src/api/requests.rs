use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iop_app::AppState;
use iop_app::dto::*;
use iop_app::service;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only requests in this state.
    pub estado: Option<String>,
    /// Only requests of this unit.
    pub unidad_id: Option<String>,
    /// Only requests of this kind: `consumo`, `publicacion` or `consumo_publicacion`.
    pub tipo: Option<String>,
    /// Only requests whose tracking code contains this (e.g. `2026-0001`).
    pub codigo: Option<String>,
    /// Only requests created on or after this day (`AAAA-MM-DD`, La Paz time).
    pub desde: Option<String>,
    /// Only requests created on or before this day (`AAAA-MM-DD`, La Paz time).
    pub hasta: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limite: Option<i64>,
    /// From the previous page's `siguiente`.
    pub cursor: Option<String>,
}

/// Requests visible to the caller, newest first, a page at a time: a Solicitante sees its unit's
/// (and its own drafts); reviewers and the Administrador see all but others' drafts.
#[utoipa::path(get, path = "/api/v1/solicitudes", tag = "solicitudes", security(("token" = [])), params(ListQuery),
    responses((status = 200, body = RequestPageOut), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_requests(State(st): State<AppState>, Auth(u): Auth, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<RequestPageOut>> {
    let filter = service::ListFilter {
        estado: q.estado.as_deref(),
        unidad_id: q.unidad_id.as_deref(),
        tipo: q.tipo.as_deref(),
        codigo: q.codigo.as_deref(),
        desde: q.desde.as_deref(),
        hasta: q.hasta.as_deref(),
    };
    let page = service::page(q.limite, q.cursor.as_deref())?;
    let (resultados, siguiente) = service::list_requests(&st, &u, &filter, &page).await?;
    Ok(Json(RequestPageOut { resultados, siguiente }))
}

/// Creates a draft request (Solicitante). It gets its tracking code now; attach the supporting
/// document, then `presentar` it (step 1).
#[utoipa::path(post, path = "/api/v1/solicitudes", tag = "solicitudes", security(("token" = [])), request_body = RequestIn,
    responses((status = 201, body = RequestOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_request(
    State(st): State<AppState>,
    Auth(u): Auth,
    ApiJson(input): ApiJson<RequestIn>,
) -> ApiResult<(StatusCode, Json<RequestOut>)> {
    let rec = service::create_request(&st, &u, input).await?;
    Ok((StatusCode::CREATED, Json(service::request_out(&st, &rec, true).await?)))
}

/// Asks to renew what a received consumption request granted (Solicitante of its unit): a new
/// draft for the same system and services, naming the original; it goes through PR05 (attach its
/// supporting document, then `presentar`).
#[utoipa::path(post, path = "/api/v1/solicitudes/{id}/renovacion", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code of the received request")),
    responses((status = 201, body = RequestOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn renew_request(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<(StatusCode, Json<RequestOut>)> {
    let rec = service::renew(&st, &u, &id).await?;
    Ok((StatusCode::CREATED, Json(service::request_out(&st, &rec, true).await?)))
}

/// One request with its history (Progreso del documento). `id` is its UUID or tracking code.
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code (IOP-AAAA-NNNNNN)")),
    responses((status = 200, body = RequestOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_request(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Json<RequestOut>> {
    let rec = service::load_visible(&st, &u, &id).await?;
    Ok(Json(service::request_out(&st, &rec, true).await?))
}

/// Replaces a request's content: its author while a draft, its unit while observed.
#[utoipa::path(put, path = "/api/v1/solicitudes/{id}", tag = "solicitudes", security(("token" = [])), request_body = RequestIn,
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, body = RequestOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_request(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RequestIn>,
) -> ApiResult<Json<RequestOut>> {
    let rec = service::update_request(&st, &u, &id, input).await?;
    Ok(Json(service::request_out(&st, &rec, true).await?))
}

/// The upload form: `tipo` (NI, NTA or IL) and `archivo` (the PDF).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DocumentUpload {
    /// `NI`, `NTA` or `IL`.
    tipo: String,
    /// The PDF file.
    #[schema(format = Binary, content_media_type = "application/pdf")]
    archivo: Vec<u8>,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    ApiError::of("multipart_invalido", &[]).detail(e.body_text())
}

fn too_large() -> ApiError {
    ApiError::of("archivo_muy_grande", &[]).field("archivo")
}

/// Attaches (or replaces) the supporting document of step 1: a PDF, checked by content, stored by
/// its SHA-256.
#[utoipa::path(put, path = "/api/v1/solicitudes/{id}/documento", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = RequestOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_document(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<RequestOut>> {
    let mut form = form.map_err(|e| ApiError::of("tipo_contenido.multipart", &[]).detail(e.body_text()))?;
    let (kind, name, bytes) = read_upload_form(&mut form, st.config.max_upload_bytes).await?;
    let rec = service::attach_document(&st, &u, &id, &kind, &name, &bytes).await?;
    Ok(Json(service::request_out(&st, &rec, true).await?))
}

/// Reads the upload form: the `tipo` and `archivo` fields (at most `max` bytes), nothing else.
/// Every malformed form is a coded 4xx.
pub async fn read_upload_form(form: &mut Multipart, max: usize) -> ApiResult<(String, String, Vec<u8>)> {
    let mut kind: Option<String> = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        match field.name().unwrap_or("") {
            "tipo" => kind = Some(field.text().await.map_err(multipart_error)?),
            "archivo" => {
                let name = field.file_name().unwrap_or("documento.pdf").to_owned();
                let mut buf = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if buf.len() + chunk.len() > max {
                        return Err(too_large());
                    }
                    buf.extend_from_slice(&chunk);
                }
                file = Some((name, buf));
            }
            other => {
                return Err(ApiError::of("campo_desconocido", iop_i18n::args![campo = &other]).field(other.to_owned()));
            }
        }
    }
    let kind = kind.ok_or_else(|| ApiError::of("campo_requerido.tipo-documento", &[]).field("tipo"))?;
    let (name, bytes) = file.ok_or_else(|| ApiError::of("campo_requerido.archivo", &[]).field("archivo"))?;
    Ok((kind, name, bytes))
}

/// Downloads the supporting document (PDF).
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}/documento", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_document(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let rec = service::load_visible(&st, &u, &id).await?;
    let doc = rec.document.ok_or_else(|| ApiError::of("no_encontrado.documento", &[]))?;
    let bytes = st.blobs.get(&doc.sha256).await.map_err(|e| {
        tracing::error!(error = %e, sha256 = %doc.sha256, "documento ausente del almacén de archivos");
        ApiError::internal()
    })?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", doc.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", doc.sha256)) {
        h.insert(header::ETAG, v);
    }
    Ok(res)
}

/// The request's Nota Interna as a PDF (PDF/A-2b): its current version, what step 4 did and the
/// approvals of steps 6 and 7 given to that version. The same state always gives the same bytes.
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}/nota.pdf", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_note(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let pdf = iop_app::documents::note_pdf(&st, &u, &id).await?;
    Ok(pdf_response(pdf))
}

/// The request's hoja de ruta as a PDF (PDF/A-2b): every hand-over of its document flow — who, in
/// which role, when, what, from which state to whom, and the comment — as the paper routing slip.
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}/hoja-de-ruta.pdf", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_routing_slip(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let pdf = iop_app::documents::routing_slip_pdf(&st, &u, &id).await?;
    Ok(pdf_response(pdf))
}

/// Files the approved Nota Interna signed outside the platform (e.g. with the national
/// digital-signature client) as its definitive version: the request body is the signed PDF. Once
/// step 7 approved the note, by the Jefe de UPAT, the Responsable de ADAS or the assigned Líder.
/// The file must be a PDF (415 `no_es_pdf`) with a readable signature (422 `pdf_sin_firma`), at
/// most `max_upload_bytes` (413); its signer is read from the signature, not validated against the
/// certification authority. Each filing is kept; the newest is the definitive one.
#[utoipa::path(post, path = "/api/v1/solicitudes/{id}/nota/firmada", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, body = SignedNoteOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn file_signed_note(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<SignedNoteOut>)> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::of("peticion_invalida", &[]).detail(e.body_text())
        }
    })?;
    let filed = iop_app::signed_note::file(&st, &u, &id, &body).await?;
    Ok((StatusCode::CREATED, Json(SignedNoteOut::of(&filed))))
}

/// The definitive signed copy of the request's Nota Interna, as filed (404 before any).
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}/nota/firmada", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_signed_note(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(pdf_response(iop_app::signed_note::pdf(&st, &u, &id).await?))
}

/// Every signed copy filed of the request's Nota Interna, oldest first (the last is definitive).
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}/nota/firmadas", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, body = Vec<SignedNoteOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_signed_notes(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Json<Vec<SignedNoteOut>>> {
    let filed = iop_app::signed_note::list(&st, &u, &id).await?;
    Ok(Json(filed.iter().map(SignedNoteOut::of).collect()))
}

/// The list of endings' query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EndingsQuery {
    /// Working days ahead (0 to 365; default 10).
    pub dias: Option<String>,
}

/// Grants that ended and those ending within `dias` working days (ADAS, UPAT and the
/// Administrador see all; a requester, their unit's): an ended one is refused at the gateway as
/// `habilitacion_vencida`, and renewed through `POST /api/v1/solicitudes/{id}/renovacion`.
#[utoipa::path(get, path = "/api/v1/habilitaciones/vencimientos", tag = "solicitudes", security(("token" = [])), params(EndingsQuery),
    responses((status = 200, body = Vec<EndingOut>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant_endings(
    State(st): State<AppState>,
    Auth(u): Auth,
    ApiQuery(q): ApiQuery<EndingsQuery>,
) -> ApiResult<Json<Vec<EndingOut>>> {
    let list = iop_app::endings::list(&st, &u, q.dias.as_deref()).await?;
    Ok(Json(list.iter().map(|(g, ended)| EndingOut::of(g, *ended)).collect()))
}

/// The year's CITE register's query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CiteQuery {
    /// The year (`gestion`), La Paz time; the current one by default.
    pub gestion: Option<String>,
}

/// The CITE register: every number given to a Nota Interna in the year, in the order given, with
/// its request; a number whose request was then rejected or withdrawn is annulled, never reused.
/// For UPAT, ADAS and the Administrador.
#[utoipa::path(get, path = "/api/v1/notas/cites", tag = "solicitudes", security(("token" = [])), params(CiteQuery),
    responses((status = 200, body = CiteRegisterOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cite_register(
    State(st): State<AppState>,
    Auth(u): Auth,
    ApiQuery(q): ApiQuery<CiteQuery>,
) -> ApiResult<Json<CiteRegisterOut>> {
    let (gestion, cites) = iop_app::cite_register::register(&st, &u, q.gestion.as_deref()).await?;
    Ok(Json(CiteRegisterOut {
        gestion,
        cites: cites.iter().map(CiteOut::of).collect(),
    }))
}

/// A granted service's OpenAPI description, filtered to what this request's step 4 granted: only
/// the granted operations, the gateway's production and sandbox addresses as `servers`, the
/// gateway's `apikey` and JWT security schemes (never the publisher's own), and the grant's
/// validity and limits under `x-iop-acceso`.
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}/openapi/{servicio_id}", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code"), ("servicio_id" = String, Path, description = "A service the request was granted")),
    responses((status = 200, content_type = "application/json", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn granted_openapi(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path((id, service)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (filename, doc) = iop_app::documents::granted_openapi(&st, &u, &id, &service).await?;
    let mut res = Json(doc).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The access documentation of the system this consumption request was granted for (PDF/A-2b):
/// its granted services and operations, production and sandbox addresses, how to authenticate
/// (with placeholders: never a secret), its limits, the gateway's error codes and calls to try.
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}/acceso.pdf", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_access(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let pdf = iop_app::documents::access_pdf(&st, &u, &id).await?;
    Ok(pdf_response(pdf))
}

/// A generated PDF, to save under its name.
pub fn pdf_response(pdf: iop_app::documents::Pdf) -> Response {
    let mut res = pdf.bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", pdf.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// Takes an action on a request (a PR05 transition). The domain decides: 403 if the caller may not,
/// Step 4 of a consumption by a system the request proposed: the assigned Líder registers it in
/// the catalog under a consuming entity; the request names it from then on (its grants go to it).
#[utoipa::path(post, path = "/api/v1/solicitudes/{id}/sistema", tag = "solicitudes", security(("token" = [])), request_body = RegisterSystemIn,
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, body = RequestOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_system(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RegisterSystemIn>,
) -> ApiResult<Json<RequestOut>> {
    let rec = service::register_proposed_system(&st, &u, &id, input).await?;
    tracing::info!(solicitud = %rec.code, usuario = %u.login, "sistema propuesto registrado");
    Ok(Json(service::request_out(&st, &rec, true).await?))
}

/// 409 if the request is not in a state where the action applies (or changed meanwhile), 422 if the
/// action's inputs are wrong. On success the new state, the history entry and step 4's effects are
/// committed together.
#[utoipa::path(post, path = "/api/v1/solicitudes/{id}/transiciones", tag = "solicitudes", security(("token" = [])), request_body = TransitionIn,
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, body = RequestOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn take_action(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TransitionIn>,
) -> ApiResult<Json<RequestOut>> {
    let accion = input.accion.clone();
    let (rec, issued) = service::transition_issuing(&st, &u, &id, input).await?;
    tracing::info!(solicitud = %rec.code, accion = %accion, usuario = %u.login, estado = %rec.facts.state, credenciales = issued.len(), "transición");
    let mut out = service::request_out(&st, &rec, true).await?;
    if !issued.is_empty() {
        out.credenciales_emitidas = Some(issued.iter().map(iop_app::credentials::pending_out).collect());
    }
    Ok(Json(out))
}

/// The request's history (Progreso del documento): every hand-over, oldest first.
#[utoipa::path(get, path = "/api/v1/solicitudes/{id}/historial", tag = "solicitudes", security(("token" = [])),
    params(("id" = String, Path, description = "UUID or tracking code")),
    responses((status = 200, body = Vec<HistoryOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn history(State(st): State<AppState>, Auth(u): Auth, Path(id): Path<String>) -> ApiResult<Json<Vec<HistoryOut>>> {
    let rec = service::load_visible(&st, &u, &id).await?;
    Ok(Json(st.store.history(rec.id).await?.iter().map(service::history_out).collect()))
}

/// A page of the bandeja.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Page size, 1 to 200 (default 50).
    pub limite: Option<i64>,
    /// From the previous page's `siguiente`.
    pub cursor: Option<String>,
}

/// The caller's inbox (bandeja): requests waiting for them under any of their roles, oldest wait
/// first, a page at a time, with how long each has waited and whether it is overdue.
#[utoipa::path(get, path = "/api/v1/bandeja", tag = "solicitudes", security(("token" = [])), params(InboxQuery),
    responses((status = 200, body = InboxPageOut), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inbox(State(st): State<AppState>, Auth(u): Auth, ApiQuery(q): ApiQuery<InboxQuery>) -> ApiResult<Json<InboxPageOut>> {
    let page = service::page(q.limite, q.cursor.as_deref())?;
    let (resultados, siguiente) = service::inbox(&st, &u, &page).await?;
    Ok(Json(InboxPageOut { resultados, siguiente }))
}
