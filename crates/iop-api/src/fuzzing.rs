//! The fuzz target of the REST API's own parser of untrusted bytes (the upload form), also replayed
//! over its corpus by the normal test suite. It takes any bytes and must never panic.

use axum::extract::{FromRequest, Multipart};
use std::sync::OnceLock;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    })
}

/// The supporting-document upload form (`multipart/form-data`, boundary `XyZ`), then the PDF check
/// on what it yields.
pub fn multipart(data: &[u8]) {
    let req = axum::http::Request::builder()
        .method("PUT")
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(axum::body::Body::from(data.to_vec()));
    let Ok(req) = req else { return };
    runtime().block_on(async {
        let Ok(mut form) = Multipart::from_request(req, &()).await else {
            return;
        };
        match crate::api::requests::read_upload_form(&mut form, 64 << 10).await {
            Ok((kind, _name, bytes)) => {
                assert!(bytes.len() <= 64 << 10);
                let _ = iop_domain::DocumentKind::parse(&kind);
                let _ = iop_app::service::looks_like_pdf(&bytes);
            }
            Err(e) => {
                let status = e.status().as_u16();
                assert!((400..500).contains(&status), "a malformed form is a 4xx, not {status}");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_multipart_corpus_replays_clean() {
        assert!(iop_gateway::fuzzing::replay(&iop_gateway::fuzzing::corpus("multipart"), multipart) > 0);
    }
}
