//! Entry points for the fuzz targets in `fuzz/` that read untrusted bytes in the control plane
//! (descriptions, segment lines as the importer reads them, signed PDFs; the upload form is `iop_api`'s), also replayed over
//! their corpora by the normal test suite. Each takes any bytes and must never panic.

/// A service description (JSON or YAML, OpenAPI 3 or Swagger 2.0; or an archive of several):
/// parsing, converting, bundling, then reading its operations and the sandbox's answers. What
/// is accepted reads again as what was kept.
pub fn description(data: &[u8]) {
    use crate::openapi_import::{Upload, archive, import, parse_text};
    let upload = if archive::looks_like_archive(data) {
        Upload::Archive {
            bytes: data.to_vec(),
            entry: String::new(),
        }
    } else {
        let Ok(text) = std::str::from_utf8(data) else { return };
        Upload::Text(text.to_owned())
    };
    if let Ok(imported) = import(upload) {
        assert!(parse_text(&imported.document, "documento").is_ok());
        assert!(!imported.operations.is_empty());
    }
}

/// A file uploaded as a note signed outside the platform: the signature reader.
pub fn signed_pdf(data: &[u8]) {
    if crate::pdf_signature::read(data).is_ok() {
        assert!(crate::service::looks_like_pdf(data));
    }
}

/// A segment file as the gateway's writer and the importer read it.
pub fn segments(data: &[u8]) {
    iop_audit::fuzzing::segment_lines(data);
    for line in data.split_inclusive(|b| *b == b'\n').filter(|l| l.ends_with(b"\n")) {
        let body = line.get(..line.len() - 1).unwrap_or_default();
        // Whatever the store takes apart, it gives back byte for byte.
        if let Ok(row) = iop_store::CallRow::parse(body) {
            assert_eq!(row.body().as_bytes(), body);
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

    /// Until AFL runs the `descripcion` target on the new readers: mutations of the Swagger 2.0,
    /// OpenAPI 3.1, zip and tar.gz seeds (bytes changed anywhere, cut anywhere) are answered,
    /// never a panic.
    #[test]
    fn mutated_descriptions_and_archives_are_answered_without_panicking() {
        let dir = iop_gateway::fuzzing::corpus("descripcion");
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut tried = 0;
        for name in [
            "swagger2-tienda.json",
            "openapi31-museo.yaml",
            "gestiones.yaml",
            "tren.zip",
            "tren.tar.gz",
        ] {
            let original = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            for round in 0..400 {
                let mut m = original.clone();
                for _ in 0..=(round % 4) {
                    let at = (next() % m.len().max(1) as u64) as usize;
                    if let Some(b) = m.get_mut(at) {
                        *b = match next() % 4 {
                            0 => b'"',
                            1 => b'#',
                            2 => b'/',
                            _ => (next() & 0xff) as u8,
                        };
                    }
                }
                if round % 7 == 0 {
                    m.truncate((next() % m.len().max(1) as u64) as usize);
                }
                description(&m);
                tried += 1;
            }
        }
        assert_eq!(tried, 2000);
    }

    #[test]
    fn the_signed_pdf_corpus_replays_clean() {
        assert!(iop_gateway::fuzzing::replay(&iop_gateway::fuzzing::corpus("firma"), signed_pdf) > 0);
    }

    #[test]
    fn the_segments_corpus_replays_clean() {
        assert!(iop_gateway::fuzzing::replay(&iop_gateway::fuzzing::corpus("segmentos"), segments) > 0);
    }
}
