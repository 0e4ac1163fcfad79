//! Call records as the store keeps them: not the chained line itself but its fields, with every
//! repeated text (node, system, service, grant, request code, …) stored once in a dictionary and
//! referred to by number, the ids as bytes, and the line rebuilt on read.
//!
//! The rebuilt line must be the exact bytes that were chained, or nothing verifies. So a line is
//! taken apart only after checking that rebuilding it gives back the same bytes; any line that
//! does not (a field this build does not know, a number written differently, an id not in its
//! usual form) is kept verbatim beside its searchable fields.

use serde::{Deserialize, Serialize};

/// One call record of the gateway (`iop-gateway`'s `CallRecord` after the chain's `seq` and
/// `prev`), field by field in the order the gateway writes them: serialising it gives the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CallLine {
    pub seq: i64,
    pub prev: String,
    pub ts_ms: i64,
    pub request_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    pub node: String,
    pub client_ip: String,
    pub system_id: Option<String>,
    pub system_code: Option<String>,
    pub credential_id: Option<String>,
    pub service_id: Option<String>,
    pub operation: Option<String>,
    pub grant_id: Option<String>,
    pub request_code: Option<String>,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub latency_us: i64,
    pub bytes_in: i64,
    pub bytes_out: i64,
    pub upstream_status: Option<i64>,
    pub refusal: Option<String>,
    pub sandbox: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregated: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut: Option<String>,
}

impl CallLine {
    /// The line these fields make (without its newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain strings, integers and booleans cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// A call record ready for the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    pub line: CallLine,
    /// The exact line, when rebuilding it from `line` would not give the same bytes.
    pub raw: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallLineError {
    #[error("registro de llamada ilegible: {0}")]
    Json(#[from] serde_json::Error),
    #[error("registro de llamada con bytes que no son UTF-8")]
    Utf8(#[from] std::str::Utf8Error),
}

impl CallRow {
    /// Takes a chained call line (without its newline) apart.
    pub fn parse(body: &[u8]) -> Result<Self, CallLineError> {
        let line: CallLine = serde_json::from_slice(body)?;
        let exact = line.to_bytes() == body && compact_hex(&line.prev, 32).is_some();
        let raw = if exact { None } else { Some(std::str::from_utf8(body)?.to_owned()) };
        Ok(Self { line, raw })
    }

    /// The exact chained bytes.
    pub fn body(&self) -> String {
        match &self.raw {
            Some(r) => r.clone(),
            // The line is JSON made of UTF-8 strings.
            None => String::from_utf8(self.line.to_bytes()).unwrap_or_default(),
        }
    }
}

/// `text` as `len` bytes, if it is exactly their lowercase hexadecimal form (how the gateway
/// writes request ids and hashes); otherwise the text is kept as it is.
pub fn compact_hex(text: &str, len: usize) -> Option<Vec<u8>> {
    if text.len() != len * 2 || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    iop_audit::from_hex(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CallLine {
        CallLine {
            seq: 7,
            prev: "ab".repeat(32),
            ts_ms: 1_793_505_600_123,
            request_id: "0123456789abcdef0000000000000001".into(),
            node: "n1".into(),
            client_ip: "10.0.0.7".into(),
            system_id: Some("s".into()),
            system_code: Some("SIS-1".into()),
            method: "GET".into(),
            path: "/v1/años?ci=h:1f".into(),
            status: 200,
            latency_us: 812,
            bytes_out: 1234,
            upstream_status: Some(200),
            ..CallLine::default()
        }
    }

    #[test]
    fn a_gateway_line_is_taken_apart_and_rebuilt_byte_for_byte() {
        let body = sample().to_bytes();
        let row = CallRow::parse(&body).unwrap();
        assert_eq!(row.raw, None);
        assert_eq!(row.body().as_bytes(), body);
        let mut cut = sample();
        cut.part = Some("fin".into());
        cut.cut = Some("cliente_cerro".into());
        cut.aggregated = Some(3);
        cut.client_request_id = Some("abc \"x\"".into());
        let body = cut.to_bytes();
        assert_eq!(CallRow::parse(&body).unwrap().raw, None);
    }

    #[test]
    fn a_line_that_would_not_rebuild_exactly_is_kept_verbatim() {
        let body = sample().to_bytes();
        let text = String::from_utf8(body).unwrap();
        for odd in [
            text.replace("\"sandbox\":false", "\"sandbox\":false,\"nuevo\":1"),
            text.replace("\"status\":200", "\"status\": 200"),
            text.replace("\"method\":\"GET\"", "\"method\":\"G\\u0045T\""),
            text.replace(&"ab".repeat(32), &"AB".repeat(32)),
        ] {
            let row = CallRow::parse(odd.as_bytes()).unwrap();
            assert_eq!(row.raw.as_deref(), Some(odd.as_str()));
            assert_eq!(row.body(), odd);
        }
        assert!(CallRow::parse(b"{\"seq\":1}").is_err());
        assert!(CallRow::parse(b"no").is_err());
    }

    #[test]
    fn only_lowercase_hex_of_the_right_length_is_compacted() {
        assert_eq!(compact_hex("0aff", 2), Some(vec![0x0a, 0xff]));
        assert_eq!(compact_hex("0AFF", 2), None);
        assert_eq!(compact_hex("0af", 2), None);
        assert_eq!(compact_hex("zz00", 2), None);
    }
}
