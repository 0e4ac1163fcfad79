//! Values that parse: once one of these exists, it is valid. Each refusal carries a stable code and
//! a message in Spanish and English.

use crate::Invalid;
use std::fmt;

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
}

macro_rules! string_value {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// A login name: 3 to 32 characters, lowercase letters, digits, `.`, `_` or `-`, starting with a
/// letter. Input is lowercased first, so `JPerez` and `jperez` are the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Login(String);
string_value!(Login);

impl Login {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let v = s.trim().to_lowercase();
        let ok = (3..=32).contains(&v.chars().count())
            && v.starts_with(|c: char| c.is_ascii_lowercase())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(Self(v))
        } else {
            Err(Invalid::of("usuario_invalido", &[]))
        }
    }
}

/// A human-readable name (of a person, unit, entity, system or service): 2 to 200 characters after
/// trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(String);
string_value!(Name);

impl Name {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let v = s.trim();
        let n = v.chars().count();
        if !(2..=200).contains(&n) || v.contains('\n') || has_control(v) {
            return Err(Invalid::of("nombre_invalido", &[]));
        }
        Ok(Self(v.to_owned()))
    }
}

/// An acronym (sigla) of a unit or public entity: 2 to 16 characters, uppercase letters, digits or
/// `-`, starting with a letter. Input is uppercased first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sigla(String);
string_value!(Sigla);

impl Sigla {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let v = s.trim().to_uppercase();
        let ok = (2..=16).contains(&v.len())
            && v.starts_with(|c: char| c.is_ascii_uppercase())
            && v.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if ok { Ok(Self(v)) } else { Err(Invalid::of("sigla_invalida", &[])) }
    }
}

/// A machine code (of a system or a service): 2 to 64 characters, lowercase letters, digits, `-`
/// or `_`, starting with a letter. It becomes part of URLs, so nothing else is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(String);
string_value!(Code);

impl Code {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let v = s.trim();
        let ok = (2..=64).contains(&v.len())
            && v.starts_with(|c: char| c.is_ascii_lowercase())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'));
        if ok {
            Ok(Self(v.to_owned()))
        } else {
            Err(Invalid::of("codigo_invalido", &[]))
        }
    }
}

/// A service's major version, as in `/segip/v2/`: 1 to 999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceVersion(u16);

impl ServiceVersion {
    pub fn new(v: i64) -> Result<Self, Invalid> {
        if (1..=999).contains(&v) {
            Ok(Self(v as u16))
        } else {
            Err(Invalid::of("version_invalida.valor", &[]))
        }
    }
    pub fn get(&self) -> u16 {
        self.0
    }
}

/// Free text with bounds (justification, comment, note body). Trimmed; must not be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);
string_value!(Text);

impl Text {
    pub const MAX: usize = 20_000;
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Self::parse_max(s, Self::MAX)
    }
    pub fn parse_max(s: &str, max: usize) -> Result<Self, Invalid> {
        let v = s.trim();
        let n = v.chars().count();
        if n == 0 || n > max || has_control(v) {
            return Err(Invalid::of("texto_invalido", iop_i18n::args![max = &max]));
        }
        Ok(Self(v.to_owned()))
    }
}

/// A new password: 12 to 256 characters. (Only new passwords are parsed; a login attempt compares
/// whatever it was given.)
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let n = s.chars().count();
        if (12..=256).contains(&n) {
            Ok(Self(s.to_owned()))
        } else {
            Err(Invalid::of("contrasena_debil", &[]))
        }
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A request's tracking code, `IOP-<year>-<6 digits>`, e.g. `IOP-2026-000042`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingCode(String);
string_value!(TrackingCode);

impl TrackingCode {
    pub fn new(year: i32, seq: u32) -> Self {
        Self(format!("IOP-{year:04}-{seq:06}"))
    }
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let v = s.trim().to_uppercase();
        let b = v.as_bytes();
        let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
        let ok = b.len() == 15 && v.starts_with("IOP-") && b.get(8) == Some(&b'-') && digits(4..8) && digits(9..15);
        if ok {
            Ok(Self(v))
        } else {
            Err(Invalid::of("codigo_seguimiento_invalido", &[]))
        }
    }
}

/// The Nota Interna's number (CITE), as [`CiteFormat`] writes it (by default
/// `AGETIC/NI/UPAT-ADAS/<seq>/<year>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteNumber(String);
string_value!(NoteNumber);

impl NoteNumber {
    /// The number in the default format.
    pub fn new(year: i32, seq: u32) -> Self {
        CiteFormat::default().number(year, seq)
    }
    /// Reads back a number the store wrote.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// How notes are numbered (`formato_cite`): the agency's own pattern of unit, document type, year
/// and correlative, with `{correlativo}` (the year's sequence, at least four digits) and `{gestion}`
/// (the year) each exactly once. Numbers restart each year, so the year must be in them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CiteFormat(String);
string_value!(CiteFormat);

impl CiteFormat {
    pub const DEFAULT: &'static str = "AGETIC/NI/UPAT-ADAS/{correlativo}/{gestion}";
    const SEQ: &'static str = "{correlativo}";
    const YEAR: &'static str = "{gestion}";

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let v = s.trim();
        let rest = v.replacen(Self::SEQ, "", 1).replacen(Self::YEAR, "", 1);
        let ok = v.matches(Self::SEQ).count() == 1
            && v.matches(Self::YEAR).count() == 1
            && !rest.contains(['{', '}'])
            && (1..=60).contains(&rest.chars().count())
            && rest.chars().all(|c| c.is_alphanumeric() || " /-_.·º°".contains(c));
        if ok {
            Ok(Self(v.to_owned()))
        } else {
            Err(Invalid::of("formato_cite_invalido", &[]))
        }
    }

    /// The number `seq` of `year`.
    pub fn number(&self, year: i32, seq: u32) -> NoteNumber {
        NoteNumber(
            self.0
                .replacen(Self::SEQ, &format!("{seq:04}"), 1)
                .replacen(Self::YEAR, &format!("{year:04}"), 1),
        )
    }
}

impl Default for CiteFormat {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? } $code:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            pub fn parse(s: &str) -> Result<Self, Invalid> {
                match s.trim() {
                    $($s => Ok($name::$variant),)+
                    _ => Err(Invalid::of($code, iop_i18n::args![opciones = &[$($s),+].join(", ")])),
                }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use str_enum;

str_enum!(
    /// What a request asks for.
    RequestKind { Consumo = "consumo", Publicacion = "publicacion", Ambos = "consumo_publicacion" }
    "tipo_solicitud_invalido"
);

impl RequestKind {
    pub fn consumes(&self) -> bool {
        matches!(self, Self::Consumo | Self::Ambos)
    }
    pub fn publishes(&self) -> bool {
        matches!(self, Self::Publicacion | Self::Ambos)
    }
}

str_enum!(
    /// The supporting document of step 1: Nota Interna, Norma Técnica de Adhesión or Informe Legal.
    DocumentKind { NotaInterna = "NI", NormaTecnicaAdhesion = "NTA", InformeLegal = "IL" }
    "tipo_documento_invalido"
);

str_enum!(
    /// Whether a public entity publishes services, consumes them, or both.
    EntityKind { Publicadora = "publicadora", Consumidora = "consumidora", Ambas = "publicadora_consumidora" }
    "tipo_entidad_invalido"
);

impl EntityKind {
    pub fn publishes(&self) -> bool {
        matches!(self, Self::Publicadora | Self::Ambas)
    }
    pub fn consumes(&self) -> bool {
        matches!(self, Self::Consumidora | Self::Ambas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins() {
        assert_eq!(Login::parse(" JPerez ").map(|l| l.0), Ok("jperez".into()));
        for bad in ["ab", "1abc", "juan perez", "ñandu", &"a".repeat(33)] {
            assert!(Login::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cite_formats_need_the_year_and_the_correlative_once() {
        assert_eq!(NoteNumber::new(2026, 7).as_str(), "AGETIC/NI/UPAT-ADAS/0007/2026");
        let f = CiteFormat::parse(" MINJ-DGTIC/NI/{gestion}-{correlativo} ").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(f.number(2027, 12345).as_str(), "MINJ-DGTIC/NI/2027-12345");
        for bad in [
            "AGETIC/NI/{correlativo}",
            "AGETIC/NI/{gestion}",
            "{correlativo}/{correlativo}/{gestion}",
            "{correlativo}/{gestion}/{unidad}",
            "{correlativo}{gestion}",
            "AGETIC\n/{correlativo}/{gestion}",
            "AGETIC;DROP/{correlativo}/{gestion}",
        ] {
            assert!(CiteFormat::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn siglas_codes_versions() {
        assert_eq!(Sigla::parse("segip").map(|s| s.0), Ok("SEGIP".into()));
        assert!(Sigla::parse("S").is_err());
        assert!(Sigla::parse("SEG IP").is_err());
        assert!(Code::parse("persona-contrastacion").is_ok());
        assert!(Code::parse("Persona").is_err());
        assert!(Code::parse("a/b").is_err());
        assert!(ServiceVersion::new(0).is_err());
        assert_eq!(ServiceVersion::new(2).map(|v| v.get()), Ok(2));
    }

    #[test]
    fn tracking_codes() {
        let c = TrackingCode::new(2026, 42);
        assert_eq!(c.as_str(), "IOP-2026-000042");
        assert_eq!(TrackingCode::parse("iop-2026-000042"), Ok(c));
        assert!(TrackingCode::parse("IOP-2026-42").is_err());
        assert!(TrackingCode::parse("IOP-20X6-000042").is_err());
    }

    #[test]
    fn texts_and_passwords() {
        assert!(Text::parse("   ").is_err());
        assert!(Text::parse_max("abcd", 3).is_err());
        assert!(Text::parse("ok\nvarias líneas").is_ok());
        assert!(Password::parse("corta").is_err());
        assert!(!format!("{:?}", Password::parse("una-clave-muy-larga").unwrap_or_else(|_| unreachable!())).contains("larga"));
    }

    #[test]
    fn enums_parse_their_names_only() {
        assert_eq!(RequestKind::parse("consumo"), Ok(RequestKind::Consumo));
        assert_eq!(DocumentKind::parse("NTA"), Ok(DocumentKind::NormaTecnicaAdhesion));
        let e = DocumentKind::parse("PDF").expect_err("PDF is not a document kind");
        assert!(e.es.contains("NI, NTA, IL"));
    }
}
