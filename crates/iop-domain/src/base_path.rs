//! Where a service lives on the gateway. One rule gives the default and checks what ADAS types:
//! `/<sigla>/<código>/v<N>/`, optionally followed by more lowercase segments, ending in `/`.
//! Two services' base paths never overlap: neither is equal to, nor a segment-prefix of, the other
//! (the gateway routes by the longest base path, so an overlap would let one service's grant reach
//! into another's paths).

use crate::{Code, Invalid, ServiceVersion};

/// A checked base path (always starts and ends with `/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BasePath(String);

impl BasePath {
    /// The default for a service: `/<sigla>/<código>/v<N>/`.
    pub fn default_for(sigla: &str, code: &Code, version: ServiceVersion) -> Self {
        Self(format!("/{}/{}/v{}/", sigla.to_lowercase(), code.as_str(), version.get()))
    }

    /// Checks a base path typed for a service against the rule.
    pub fn parse(raw: &str, sigla: &str, code: &Code, version: ServiceVersion) -> Result<Self, Invalid> {
        let prefix = Self::default_for(sigla, code, version);
        let p = raw.trim();
        let segments_ok = p.get(1..p.len().saturating_sub(1)).unwrap_or_default().split('/').all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        });
        if p.starts_with(prefix.as_str()) && p.ends_with('/') && p.len() <= 200 && segments_ok {
            Ok(Self(p.to_owned()))
        } else {
            Err(Invalid::of("ruta_base_invalida", iop_i18n::args![prefijo = &prefix.0]))
        }
    }

    /// A base path already in force (stored before this rule existed): kept as it is.
    pub fn existing(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// Whether the two are equal or one is a segment-prefix of the other.
    pub fn overlaps(&self, other: &str) -> bool {
        let (a, b) = (self.0.as_str(), other);
        let seg = |s: &str| if s.ends_with('/') { s.to_owned() } else { format!("{s}/") };
        let (a, b) = (seg(a), seg(b));
        a.starts_with(&b) || b.starts_with(&a)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Code {
        Code::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }
    fn v(n: i64) -> ServiceVersion {
        ServiceVersion::new(n).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_default_is_unique_per_service_and_passes_its_own_check() {
        let a = BasePath::default_for("SEGIP", &code("persona"), v(1));
        let b = BasePath::default_for("SEGIP", &code("certificado"), v(1));
        assert_eq!(a.as_str(), "/segip/persona/v1/");
        assert!(!a.overlaps(b.as_str()));
        assert_eq!(BasePath::parse(a.as_str(), "SEGIP", &code("persona"), v(1)), Ok(a.clone()));
        assert!(BasePath::parse("/segip/persona/v1/extra/", "SEGIP", &code("persona"), v(1)).is_ok());
        for bad in [
            "/segip/v1/",
            "/segip/persona/v2/",
            "/segip/persona/v1",
            "/segip/persona/v1//",
            "/segip/persona/v1/A/",
            "/otra/persona/v1/",
        ] {
            assert_eq!(
                BasePath::parse(bad, "SEGIP", &code("persona"), v(1)).map_err(|e| e.code),
                Err("ruta_base_invalida"),
                "{bad}"
            );
        }
    }

    #[test]
    fn overlap_is_equality_or_a_segment_prefix() {
        let a = BasePath::existing("/segip/v3/");
        assert!(a.overlaps("/segip/v3/"));
        assert!(a.overlaps("/segip/v3/v1/"));
        assert!(a.overlaps("/segip/"));
        assert!(!a.overlaps("/segip/v3x/"));
        assert!(!a.overlaps("/segip/v30/"));
        assert!(!a.overlaps("/segip/persona/v3/"));
    }
}
