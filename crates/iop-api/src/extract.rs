//! Extractors that turn bad input into [`ApiError`]s: JSON bodies (syntax, unknown fields, types,
//! size), bearer authentication, and identifiers in the path.

use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use iop_app::AppState;
use iop_store::UserRec;
use serde::de::DeserializeOwned;

/// A JSON body whose every rejection is a clear 4xx.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> ApiError {
    match rej {
        JsonRejection::JsonSyntaxError(e) => ApiError::of("json_invalido", &[]).detail(e.body_text()),
        JsonRejection::JsonDataError(e) => ApiError::of("datos_invalidos", &[]).detail(e.body_text()),
        JsonRejection::MissingJsonContentType(_) => ApiError::of("tipo_contenido.json", &[]),
        JsonRejection::BytesRejection(_) => ApiError::of("cuerpo_muy_grande", &[]),
        _ => ApiError::of("peticion_invalida", &[]),
    }
}

/// A description's JSON body, undecoded: read up to the description limit (not the general body
/// limit), so that decoding a large one happens off the serving runtime with its import.
pub struct DescriptionBody(pub Vec<bytes::Bytes>);

impl FromRequest<AppState> for DescriptionBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json {
            return Err(ApiError::of("tipo_contenido.json", &[]));
        }
        // A JSON string escapes some characters, base64 grows by a third: room for both.
        let limit = iop_app::connectors::MAX_DESCRIPTION * 3 / 2 + 64 * 1024;
        let too_big = || ApiError::of("descripcion_muy_grande", &[]).field("documento");
        // The chunks as they came: joining megabytes is left to the importer's thread, off the
        // runtime that serves calls.
        let mut body = req.into_body();
        let (mut chunks, mut size) = (Vec::new(), 0usize);
        while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
            let Ok(chunk) = frame.map_err(|_| too_big())?.into_data() else {
                continue;
            };
            size += chunk.len();
            if size > limit {
                return Err(too_big());
            }
            chunks.push(chunk);
        }
        Ok(DescriptionBody(chunks))
    }
}

/// The client's language (from `Accept-Language`), for texts inside successful answers.
pub struct ClientLang(pub iop_i18n::Lang);

impl<S: Send + Sync> FromRequestParts<S> for ClientLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let v = parts.headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(ClientLang(iop_i18n::Lang::from_accept_language(v)))
    }
}

/// The authenticated user (401 otherwise).
pub struct Auth(pub UserRec);

/// The bearer token of the request, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        Ok(Auth(iop_app::auth::session_user(state, token).await?))
    }
}

/// Parses an identifier from the path with the domain's parser.
pub fn path_id<T>(raw: &str, parse: fn(&str) -> Result<T, iop_domain::Invalid>) -> Result<T, ApiError> {
    iop_app::error::path_id(raw, parse).map_err(ApiError)
}

/// The client's address, when the server was started with connection info.
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// A query string whose rejection is a clear 400 with a code.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError::of("parametros_invalidos", &[]).detail(e.body_text())),
        }
    }
}
