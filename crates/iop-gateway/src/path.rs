//! The one canonical form of a request path, decided before routing.
//!
//! Authorisation is decided on a path; the publisher's server resolves another one if the two
//! disagree on what `..`, `%2e`, `%2F`, `\` or `;` mean. So a path is either in one canonical form,
//! which every RFC 3986 normaliser (and nginx, Tomcat, IIS) leaves where it is, or it is refused
//! with `ruta_no_canonica` — never normalised into another service.
//!
//! - Escapes of unreserved ASCII (`A-Z a-z 0-9 - . _ ~`) and of UTF-8 are decoded for matching, so
//!   `/a%C3%B1os/` and `/años/` are the same path; other escapes are kept, in uppercase hex.
//! - Refused: `.` and `..` segments however written (raw, `%2e`, with `;params`, with trailing
//!   spaces), `%2F`, `%5C` and a raw `\`, `%00` and control characters, `%25` (so nothing decodes
//!   twice), malformed escapes, invalid or overlong UTF-8, empty segments (`//`) and anything that
//!   does not start with `/`. A trailing `/` is kept.
//! - What is forwarded is the canonical re-encoding of exactly the matched path: ASCII as matched,
//!   every non-ASCII byte as `%XX` in uppercase.

use std::borrow::Cow;

/// Why a path is not canonical. Every variant is answered as 400 `ruta_no_canonica`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    NotAbsolute,
    EmptySegment,
    DotSegment,
    EncodedSlash,
    Backslash,
    Nul,
    Control,
    EncodedPercent,
    BadEscape,
    BadUtf8,
}

/// A canonical path: `matching` is what routes and operations are matched against, `forward` what
/// the upstream receives. Both have the same segments (the same `/` at the same positions in
/// segment order); for a plain ASCII path both borrow the request's own path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalPath<'a> {
    pub matching: Cow<'a, str>,
    pub forward: Cow<'a, str>,
}

impl CanonicalPath<'_> {
    /// The forwarded form of what follows `matching[..offset]`, where `offset` ends a segment
    /// (just after a `/`, or the end).
    pub fn forward_rest(&self, offset: usize) -> &str {
        let prefix = self.matching.get(..offset).unwrap_or(&self.matching);
        let slashes = prefix.bytes().filter(|b| *b == b'/').count();
        if offset >= self.matching.len() && !prefix.ends_with('/') {
            return "";
        }
        let mut seen = 0;
        for (i, b) in self.forward.bytes().enumerate() {
            if b == b'/' {
                seen += 1;
                if seen == slashes {
                    return self.forward.get(i + 1..).unwrap_or("");
                }
            }
        }
        ""
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `%XX` in uppercase hex.
fn push_escape(out: &mut Vec<u8>, v: u8) {
    let hex = |n: u8| HEX.get(usize::from(n)).copied().unwrap_or(b'0');
    out.extend_from_slice(&[b'%', hex(v >> 4), hex(v & 15)]);
}

/// The byte a `%XX` escape starting at `i` stands for, if `bytes[i..]` starts with one.
pub fn escape_at(bytes: &[u8], i: usize) -> Option<u8> {
    if bytes.get(i) != Some(&b'%') {
        return None;
    }
    let h = bytes.get(i + 1).copied().and_then(hex_val)?;
    let l = bytes.get(i + 2).copied().and_then(hex_val)?;
    Some(h << 4 | l)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Whether a segment would be taken for `.` or `..` by some server: with every remaining escape
/// decoded (a server that decodes twice), cut at the first `;` (Tomcat's path parameters) and
/// trailing spaces and tabs dropped (Windows), nothing but dots is left.
fn dot_like(seg: &[u8]) -> bool {
    // Decoded on the fly, without allocating: dots, then only spaces or tabs, up to a `;`.
    let (mut dots, mut spaces, mut other) = (0usize, false, false);
    let mut i = 0;
    while let Some(&raw) = seg.get(i) {
        let b = match escape_at(seg, i) {
            Some(v) => {
                i += 3;
                v
            }
            None => {
                i += 1;
                raw
            }
        };
        match b {
            b';' => break,
            b'.' if !spaces => dots += 1,
            b' ' | b'\t' => spaces = true,
            _ => other = true,
        }
        if other {
            return false;
        }
    }
    dots > 0
}

/// Canonicalises `raw` (a request's path, without the query). On refusal, also says how many
/// leading bytes of the canonical matching form were fine (whole segments), so that a refusal can
/// be recorded under the service it was aimed at without recording what was refused.
pub fn canonicalize(raw: &str) -> Result<CanonicalPath<'_>, (PathError, String)> {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err((PathError::NotAbsolute, String::new()));
    }
    // Fast path (most calls): plain ASCII without escapes, backslashes or control characters is
    // checked segment by segment without allocating, and both forms borrow `raw`.
    if bytes.iter().all(|b| b.is_ascii_graphic() && *b != b'%' && *b != b'\\') {
        let mut start: usize = 1;
        let mut segments = bytes.get(1..).unwrap_or_default().split(|b| *b == b'/').peekable();
        while let Some(seg) = segments.next() {
            let last = segments.peek().is_none();
            let error = if seg.is_empty() && !last {
                Some(PathError::EmptySegment)
            } else if dot_like(seg) {
                Some(PathError::DotSegment)
            } else {
                None
            };
            if let Some(e) = error {
                let prefix = raw.get(..start.saturating_sub(1)).unwrap_or_default();
                return Err((e, prefix.to_owned()));
            }
            start += seg.len() + 1;
        }
        return Ok(CanonicalPath {
            matching: Cow::Borrowed(raw),
            forward: Cow::Borrowed(raw),
        });
    }
    let mut matching: Vec<u8> = Vec::new();
    let segments: Vec<&[u8]> = bytes.get(1..).unwrap_or_default().split(|b| *b == b'/').collect();
    let last = segments.len().saturating_sub(1);
    let ok_prefix = |m: &[u8]| String::from_utf8_lossy(m).into_owned();
    for (i, seg) in segments.iter().enumerate() {
        matching.push(b'/');
        if seg.is_empty() {
            if i != last {
                matching.pop();
                return Err((PathError::EmptySegment, ok_prefix(&matching)));
            }
            continue;
        }
        let start = matching.len();
        let fail = |e: PathError, m: &mut Vec<u8>| -> (PathError, String) {
            m.truncate(start - 1);
            (e, ok_prefix(m))
        };
        let mut j = 0;
        while let Some(&b) = seg.get(j) {
            match b {
                b'%' => {
                    let Some(v) = escape_at(seg, j) else {
                        return Err(fail(PathError::BadEscape, &mut matching));
                    };
                    match v {
                        b'/' => return Err(fail(PathError::EncodedSlash, &mut matching)),
                        b'\\' => return Err(fail(PathError::Backslash, &mut matching)),
                        0 => return Err(fail(PathError::Nul, &mut matching)),
                        b'%' => return Err(fail(PathError::EncodedPercent, &mut matching)),
                        v if unreserved(v) || v >= 0x80 => matching.push(v),
                        v => {
                            push_escape(&mut matching, v);
                        }
                    }
                    j += 3;
                }
                b'\\' => return Err(fail(PathError::Backslash, &mut matching)),
                b if b < 0x20 || b == 0x7f => return Err(fail(PathError::Control, &mut matching)),
                b => {
                    matching.push(b);
                    j += 1;
                }
            }
        }
        let decoded = matching.get(start..).unwrap_or_default();
        if std::str::from_utf8(decoded).is_err() {
            return Err(fail(PathError::BadUtf8, &mut matching));
        }
        if dot_like(decoded) {
            return Err(fail(PathError::DotSegment, &mut matching));
        }
    }
    let matching = String::from_utf8(matching).map_err(|_| (PathError::BadUtf8, String::new()))?;
    let forward = if matching.is_ascii() {
        Cow::Owned(matching.clone())
    } else {
        let mut f = String::with_capacity(matching.len() * 2);
        let mut bytes = Vec::with_capacity(matching.len() * 2);
        for b in matching.bytes() {
            if b.is_ascii() {
                bytes.push(b);
            } else {
                push_escape(&mut bytes, b);
            }
        }
        f.push_str(&String::from_utf8_lossy(&bytes));
        Cow::Owned(f)
    };
    Ok(CanonicalPath {
        matching: Cow::Owned(matching),
        forward,
    })
}

#[cfg(test)]
#[allow(clippy::string_slice, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(raw: &str) -> (String, String) {
        let c = canonicalize(raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
        (c.matching.into_owned(), c.forward.into_owned())
    }

    #[test]
    fn plain_paths_are_borrowed_and_unchanged() {
        let c = canonicalize("/segip/v2/personas/123").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(matches!(c.matching, Cow::Borrowed(_)));
        assert_eq!(c.forward, "/segip/v2/personas/123");
        assert_eq!(ok("/"), ("/".into(), "/".into()));
        assert_eq!(ok("/a/b/").0, "/a/b/");
        assert_eq!(ok("/users/@me;v=1").0, "/users/@me;v=1");
    }

    #[test]
    fn unreserved_and_utf8_escapes_are_decoded_others_kept_in_uppercase() {
        assert_eq!(ok("/a%C3%B1os/2024"), ("/años/2024".into(), "/a%C3%B1os/2024".into()));
        assert_eq!(ok("/años/2024"), ("/años/2024".into(), "/a%C3%B1os/2024".into()));
        assert_eq!(ok("/%61%62c"), ("/abc".into(), "/abc".into()));
        assert_eq!(ok("/a%2cb%3a"), ("/a%2Cb%3A".into(), "/a%2Cb%3A".into()));
        assert_eq!(ok("/x%20y"), ("/x%20y".into(), "/x%20y".into()));
    }

    #[test]
    fn every_spelling_of_dot_segments_and_separators_is_refused() {
        for (raw, why) in [
            ("/a/../b", PathError::DotSegment),
            ("/a/./b", PathError::DotSegment),
            ("/a/..", PathError::DotSegment),
            ("/a/%2e%2e/b", PathError::DotSegment),
            ("/a/%2E%2E/b", PathError::DotSegment),
            ("/a/.%2e/b", PathError::DotSegment),
            ("/a/%2e/b", PathError::DotSegment),
            ("/a/..;x=1/b", PathError::DotSegment),
            ("/a/..;/b", PathError::DotSegment),
            ("/a/...", PathError::DotSegment),
            ("/a/..%20/b", PathError::DotSegment),
            ("/a/..%09", PathError::DotSegment),
            ("/a/.%3B/b", PathError::DotSegment),
            ("/a/..%3bx/b", PathError::DotSegment),
            ("/a/%252e%252e/b", PathError::EncodedPercent),
            ("/a/..%2f..%2fb", PathError::EncodedSlash),
            ("/a/%2f../b", PathError::EncodedSlash),
            ("/a/%2F", PathError::EncodedSlash),
            ("/a/..\\b", PathError::Backslash),
            ("/a\\b", PathError::Backslash),
            ("/a/%5c../b", PathError::Backslash),
            ("/a/%00", PathError::Nul),
            ("/a/%zz", PathError::BadEscape),
            ("/a/%4", PathError::BadEscape),
            ("/a/%C3", PathError::BadUtf8),
            ("/a/%C0%AE%C0%AE/b", PathError::BadUtf8),
            ("/a/%FF", PathError::BadUtf8),
            ("/a//b", PathError::EmptySegment),
            ("//a", PathError::EmptySegment),
            ("*", PathError::NotAbsolute),
            ("", PathError::NotAbsolute),
        ] {
            assert_eq!(canonicalize(raw).err().map(|e| e.0), Some(why), "{raw}");
        }
    }

    #[test]
    fn a_refusal_keeps_only_the_whole_segments_before_it() {
        assert_eq!(
            canonicalize("/eco/v1/items/..%2fotra").err().map(|e| e.1),
            Some("/eco/v1/items".into())
        );
        assert_eq!(
            canonicalize("/eco/v1/a%C3%B1o/%2e%2e").err().map(|e| e.1),
            Some("/eco/v1/año".into())
        );
    }

    #[test]
    fn the_forwarded_rest_follows_the_matched_segments() {
        let c = canonicalize("/gam/a%C3%B1os/v1/%C3%B1/x").unwrap_or_else(|e| panic!("{e:?}"));
        let base = "/gam/años/v1/";
        assert!(c.matching.starts_with(base));
        assert_eq!(c.forward_rest(base.len()), "%C3%B1/x");
        let c = canonicalize("/gam/v1").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.forward_rest(7), "");
    }

    /// RFC 3986: uppercase escapes (6.2.2.1), unreserved escapes decoded (6.2.2.2), then
    /// remove_dot_segments (5.2.4).
    fn rfc3986_normalize(path: &str) -> String {
        let b = path.as_bytes();
        let mut s = String::new();
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            if c == b'%'
                && let (Some(h), Some(l)) = (b.get(i + 1).copied().and_then(hex_val), b.get(i + 2).copied().and_then(hex_val))
            {
                let v = h << 4 | l;
                if unreserved(v) {
                    s.push(char::from(v));
                } else {
                    s.push('%');
                    s.push(char::from(HEX[usize::from(v >> 4)]));
                    s.push(char::from(HEX[usize::from(v & 15)]));
                }
                i += 3;
                continue;
            }
            s.push(char::from(c));
            i += 1;
        }
        // remove_dot_segments
        let mut input = s.as_str();
        let mut out: Vec<&str> = Vec::new();
        let mut result = String::new();
        while !input.is_empty() {
            if let Some(r) = input.strip_prefix("../").or_else(|| input.strip_prefix("./")) {
                input = r;
            } else if input.starts_with("/./") {
                input = &input[2..];
            } else if input == "/." {
                input = "/";
            } else if input.starts_with("/../") {
                input = &input[3..];
                out.pop();
            } else if input == "/.." {
                input = "/";
                out.pop();
            } else if input == "." || input == ".." {
                input = "";
            } else {
                let start = usize::from(input.starts_with('/'));
                let end = input[start..].find('/').map_or(input.len(), |p| p + start);
                out.push(&input[..end]);
                input = &input[end..];
            }
        }
        for seg in out {
            result.push_str(seg);
        }
        result
    }

    fn piece() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "/", "/", "/", ".", ".", "..", "%2e", "%2E", "%2f", "%2F", "%25", "%5c", "\\", ";", "a", "b", "x1", "%41", "%61", "%C3%B1",
            "ñ", "%20", " ", "%00", "%C0%AE", "~", "-", "_", "%7E", "%3B", "@", ":", "%", "%g", "e", "2",
        ])
        .prop_map(str::to_owned)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn accepted_paths_are_fixed_points_of_rfc3986_normalisation(pieces in prop::collection::vec(piece(), 0..12)) {
            let raw = format!("/{}", pieces.concat());
            if let Ok(c) = canonicalize(&raw) {
                // An RFC 3986 normaliser (what nginx and most servers apply) leaves the forwarded
                // path as it is, and agrees with our canonical form of the raw path.
                prop_assert_eq!(rfc3986_normalize(&c.forward), c.forward.to_string());
                if raw.is_ascii() {
                    prop_assert_eq!(rfc3986_normalize(&raw), c.forward.to_string());
                }
                // Canonical forms are stable.
                let again = canonicalize(&c.forward).map(|d| (d.matching.into_owned(), d.forward.into_owned()));
                prop_assert_eq!(again, Ok((c.matching.to_string(), c.forward.to_string())));
                // Decoding everything once more (a server that decodes twice) cannot create a
                // separator, an escape or a dot segment.
                let once: Vec<u8> = {
                    let b = c.forward.as_bytes();
                    let mut v = Vec::new();
                    let mut i = 0;
                    while let Some(&x) = b.get(i) {
                        if x == b'%' && let (Some(h), Some(l)) = (b.get(i + 1).copied().and_then(hex_val), b.get(i + 2).copied().and_then(hex_val)) {
                            v.push(h << 4 | l);
                            i += 3;
                        } else {
                            v.push(x);
                            i += 1;
                        }
                    }
                    v
                };
                prop_assert_eq!(once.iter().filter(|b| **b == b'/').count(), c.forward.matches('/').count());
                prop_assert!(!once.contains(&b'\\'));
                for seg in once.split(|b| *b == b'/') {
                    prop_assert!(!dot_like(seg), "{:?}", raw);
                }
            }
        }
    }
}
