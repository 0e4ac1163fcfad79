//! Entry points for the fuzz targets in `fuzz/` that read untrusted bytes in the control plane
//! (descriptions, the upload form, segment lines as the importer reads them), also replayed over
//! their corpora by the normal test suite. Each takes any bytes and must never panic.

use axum::extract::{FromRequest, Multipart};
use std::sync::OnceLock;

/// A service description (JSON or YAML): parsing, then reading its operations.
pub fn description(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(doc) = crate::openapi_import::parse_document(text) {
        let _ = crate::openapi_import::operations(&doc);
    }
}

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
                let _ = crate::service::looks_like_pdf(&bytes);
            }
            Err(e) => {
                let status = e.status.as_u16();
                assert!((400..500).contains(&status), "a malformed form is a 4xx, not {status}");
            }
        }
    });
}

/// A segment file as the gateway's writer and the importer read it.
pub fn segments(data: &[u8]) {
    iop_audit::fuzzing::segment_lines(data);
    for line in data.split_inclusive(|b| *b == b'\n').filter(|l| l.ends_with(b"\n")) {
        let body = line.get(..line.len() - 1).unwrap_or_default();
        if let Ok(row) = crate::importer::row(body) {
            assert_eq!(row.hash, iop_audit::digest(body).to_vec());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_corpus_replays_clean() {
        assert!(iop_gateway::fuzzing::replay(&iop_gateway::fuzzing::corpus("descripcion"), description) > 0);
    }

    #[test]
    fn the_multipart_corpus_replays_clean() {
        assert!(iop_gateway::fuzzing::replay(&iop_gateway::fuzzing::corpus("multipart"), multipart) > 0);
    }

    #[test]
    fn the_segments_corpus_replays_clean() {
        assert!(iop_gateway::fuzzing::replay(&iop_gateway::fuzzing::corpus("segmentos"), segments) > 0);
    }
}
