//! The procedure's documents as PDF: the Nota Interna (PR05, step 5; `templates/nota.typ`) and the
//! hoja de ruta, the routing slip of a request's hand-overs (`templates/hoja.typ`). Typeset by
//! typst with fonts embedded in the binary (works offline), PDF/A-2b, and reproducible — the same
//! document in the same state gives the same bytes (the creation date is its last event, the
//! document ID derives from what it shows).
//!
//! The data reaches a template as one JSON file (`/datos.json`) that the template reads and sets
//! as text: nothing a person typed is parsed as typst markup. Besides it a template can read only
//! the note's QR code (`/qr.svg`, drawn here from the verification address) and the agency's logo
//! (`/logo.png`, `/logo.jpg` or `/logo.svg`, given by the operator and checked once, at start):
//! no file system, no packages, no network. Pure: data in, bytes out.

use serde::Serialize;
use std::sync::LazyLock;
use time::OffsetDateTime;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// Why a document could not be produced (a template error: a programming error, tested).
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("no se pudo componer el documento: {0}")]
    Typeset(String),
    #[error("logo: {0}")]
    Logo(String),
}

/// A person a note is addressed to, through or from: the post always, the name when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub nombre: Option<String>,
    pub cargo: String,
}

/// One approval of the note (steps 6 and 7): pending until someone gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub paso: u8,
    pub cargo: String,
    pub nombre: Option<String>,
    /// When, as people in La Paz read it.
    pub fecha: Option<String>,
}

/// Paper size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Paper {
    A4,
    UsLetter,
}

/// What a Nota Interna shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The agency's name, above the title.
    pub entidad: String,
    /// The note's number.
    pub cite: String,
    /// The request's tracking code.
    pub solicitud: String,
    /// The note's version (each submission is one).
    pub version: i64,
    /// The SHA-256 of the note's canonical content: what the approvals bind.
    pub sha256: String,
    pub a: Person,
    pub via: Person,
    pub de: Person,
    pub referencia: String,
    /// The date written on the note (see [`long_date`]).
    pub fecha: String,
    pub cuerpo: String,
    pub recomendaciones: Option<String>,
    /// What step 4 did, one line each (never a secret).
    pub habilitado: Vec<String>,
    pub aprobaciones: Vec<Approval>,
    pub papel: Paper,
    /// How anyone can check this note (its QR code and short code), if the platform has a public
    /// verification page.
    pub verificacion: Option<Verification>,
}

/// Where and with which code a document can be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The short code as people read it (`A1B2-C3D4-…`).
    pub codigo: String,
    /// The public verification page's address for this document (what the QR code encodes).
    pub url: String,
}

/// One hand-over in a request's routing slip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub n: i64,
    /// When, as people in La Paz read it.
    pub fecha: String,
    /// Who acted, and in which role.
    pub por: Person,
    pub accion: String,
    /// The state it left and the state it reached.
    pub desde: String,
    pub hacia: String,
    /// Who holds it after.
    pub para: String,
    pub comentario: Option<String>,
}

/// The hoja de ruta: a request's document flow, as the paper routing slip it replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutingSlip {
    pub entidad: String,
    pub solicitud: String,
    pub tipo: String,
    pub unidad: String,
    pub asunto: String,
    /// The note's number, once it has one.
    pub cite: Option<String>,
    pub estado: String,
    /// When this slip was drawn (its last hand-over), as people in La Paz read it.
    pub fecha: String,
    pub pasos: Vec<Hop>,
    pub papel: Paper,
}

/// One operation a system may call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessOperation {
    pub metodo: String,
    pub ruta: String,
    pub id: String,
    pub resumen: Option<String>,
}

/// One service granted, as its consumer calls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessService {
    pub nombre: String,
    pub produccion: String,
    pub sandbox: String,
    pub vigencia: String,
    pub limite: Option<String>,
    pub operaciones: Vec<AccessOperation>,
    /// A call to try, with placeholders for the credential.
    pub ejemplo: String,
}

/// A code the gateway may answer with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorCode {
    pub codigo: String,
    pub estado: u16,
    pub significado: String,
}

/// The access documentation of a consuming system (PR05, step 4 of a consumption: "the accesses
/// and the documentation"): exactly what it was granted, how to authenticate, its limits and the
/// gateway's error codes. Never a secret: placeholders stand for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessDoc {
    pub entidad: String,
    pub solicitud: String,
    pub sistema: String,
    pub unidad: String,
    pub fecha: String,
    /// The credentials issued, by kind and public part (prefix or `iss`).
    pub credenciales: Vec<String>,
    pub servicios: Vec<AccessService>,
    pub errores: Vec<ErrorCode>,
    pub papel: Paper,
}

/// The access documentation as a PDF; `at` is the enablement it describes.
pub fn access_pdf(doc: &AccessDoc, logo: Option<&Logo>, at: OffsetDateTime) -> Result<Vec<u8>, DocError> {
    let ident = format!("{}/acceso/{}", doc.solicitud, doc.servicios.len());
    render(include_str!("../templates/acceso.typ"), doc, None, logo, ident, at)
}

/// The note as a PDF. `at` is the note's last event (its submission or its latest approval): the
/// PDF's creation date, so that the same state always gives the same bytes.
pub fn note_pdf(note: &Note, logo: Option<&Logo>, at: OffsetDateTime) -> Result<Vec<u8>, DocError> {
    let qr = match &note.verificacion {
        Some(v) => Some(qr_svg(&v.url)?),
        None => None,
    };
    let ident = format!("{}/{}/{}", note.solicitud, note.version, note.aprobaciones_dadas());
    render(include_str!("../templates/nota.typ"), note, qr, logo, ident, at)
}

/// The hoja de ruta as a PDF; `at` is its last hand-over.
pub fn routing_slip_pdf(slip: &RoutingSlip, logo: Option<&Logo>, at: OffsetDateTime) -> Result<Vec<u8>, DocError> {
    let ident = format!("{}/hoja/{}", slip.solicitud, slip.pasos.len());
    render(include_str!("../templates/hoja.typ"), slip, None, logo, ident, at)
}

/// The agency's logo, at the head of every document: a PNG, JPEG or SVG file, checked by
/// [`Logo::parse`] (it must typeset) before any document uses it.
#[derive(Clone)]
pub struct Logo {
    bytes: Bytes,
    path: &'static str,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Logo({}, {} bytes)", self.path, self.bytes.len())
    }
}

impl PartialEq for Logo {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.bytes.as_slice() == other.bytes.as_slice()
    }
}

impl Eq for Logo {}

impl Logo {
    /// Largest logo accepted.
    pub const MAX_BYTES: usize = 1024 * 1024;

    /// A logo from a file's bytes: PNG, JPEG or SVG (by content, not name), at most
    /// [`Logo::MAX_BYTES`], and one typst can draw (tried on a page of its own).
    pub fn parse(bytes: Vec<u8>) -> Result<Self, DocError> {
        if bytes.len() > Self::MAX_BYTES {
            return Err(DocError::Logo(format!("ocupa {} bytes; el máximo es 1 MiB", bytes.len())));
        }
        let head = bytes.get(..bytes.len().min(512)).unwrap_or_default();
        let path = if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            "/logo.png"
        } else if head.starts_with(&[0xff, 0xd8, 0xff]) {
            "/logo.jpg"
        } else if head.windows(4).any(|w| w == b"<svg") {
            "/logo.svg"
        } else {
            return Err(DocError::Logo("no es PNG, JPEG ni SVG".into()));
        };
        let logo = Self {
            bytes: Bytes::new(bytes),
            path,
        };
        let probe = format!("#image(\"{path}\", height: 1.5cm)");
        let world = DocWorld {
            main: Source::new(*MAIN, probe),
            data: Bytes::new(b"{}".to_vec()),
            qr: None,
            logo: Some(logo.clone()),
        };
        let drawn = typst::compile::<PagedDocument>(&world).output;
        comemo::evict(10);
        drawn.map_err(|e| DocError::Logo(format!("no se pudo dibujar: {:?}", e.first().map(|d| d.message.as_str()))))?;
        Ok(logo)
    }
}

/// The QR code of an address, as SVG.
fn qr_svg(url: &str) -> Result<Bytes, DocError> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| DocError::Typeset(format!("código QR: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .quiet_zone(false)
        .build();
    Ok(Bytes::new(svg.into_bytes()))
}

fn render<T: Serialize>(
    template: &str,
    data: &T,
    qr: Option<Bytes>,
    logo: Option<&Logo>,
    ident: String,
    at: OffsetDateTime,
) -> Result<Vec<u8>, DocError> {
    // The template learns where the logo is (or that there is none) from its data.
    let mut data = serde_json::to_value(data).map_err(|e| DocError::Typeset(e.to_string()))?;
    if let Some(fields) = data.as_object_mut() {
        fields.insert("logo".into(), logo.map(|l| l.path).into());
    }
    let data = serde_json::to_vec(&data).map_err(|e| DocError::Typeset(e.to_string()))?;
    let world = DocWorld {
        main: Source::new(*MAIN, template.to_owned()),
        data: Bytes::new(data),
        qr,
        logo: logo.cloned(),
    };
    let compiled = typst::compile::<PagedDocument>(&world).output;
    // typst memoises across compilations; keep only what recent ones used.
    comemo::evict(10);
    let doc = compiled.map_err(|e| DocError::Typeset(format!("{e:?}")))?;
    let at = at.to_offset(time::UtcOffset::UTC);
    let stamp = Datetime::from_ymd_hms(at.year(), at.month().into(), at.day(), at.hour(), at.minute(), at.second())
        .ok_or_else(|| DocError::Typeset("fecha fuera de rango".into()))?;
    let standards = typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::A_2b]).map_err(|e| DocError::Typeset(format!("{e:?}")))?;
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(ident),
        timestamp: Some(typst_pdf::Timestamp::new_utc(stamp)),
        standards,
        ..Default::default()
    };
    typst_pdf::pdf(&doc, &options).map_err(|e| DocError::Typeset(format!("{e:?}")))
}

impl Note {
    fn aprobaciones_dadas(&self) -> usize {
        self.aprobaciones.iter().filter(|a| a.fecha.is_some()).count()
    }
}

const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// A date as a note writes it: `29 de noviembre de 2026`.
pub fn long_date(d: time::Date) -> String {
    let month = MONTHS.get(usize::from(u8::from(d.month())) - 1).unwrap_or(&"");
    format!("{} de {month} de {}", d.day(), d.year())
}

/// The template's, the data's and the QR code's files: the only ones a document can read.
static MAIN: LazyLock<FileId> = LazyLock::new(|| file_id("/documento.typ"));
static DATA: LazyLock<FileId> = LazyLock::new(|| file_id("/datos.json"));
static QR: LazyLock<FileId> = LazyLock::new(|| file_id("/qr.svg"));

fn file_id(path: &str) -> FileId {
    // Both paths are constants `VirtualPath::new` accepts (every render in the tests reads them).
    let vpath = VirtualPath::new(path).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// The standard library, built once.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// The embedded fonts the templates use (Libertinus Serif), loaded once.
static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|bytes| Font::iter(Bytes::new(bytes)))
        .filter(|f| f.info().family.starts_with("Libertinus Serif"))
        .collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

/// What a template sees: itself, its data and the QR code, nothing else.
struct DocWorld {
    main: Source,
    data: Bytes,
    qr: Option<Bytes>,
    logo: Option<Logo>,
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        match (&self.qr, &self.logo) {
            _ if id == *DATA => Ok(self.data.clone()),
            (Some(qr), _) if id == *QR => Ok(qr.clone()),
            (_, Some(logo)) if id == file_id(logo.path) => Ok(logo.bytes.clone()),
            _ => Err(FileError::AccessDenied),
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // A document never depends on the day it is rendered.
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn note() -> Note {
        Note {
            entidad: "Agencia de Gobierno Electrónico".into(),
            cite: "AGETIC/NI/UPAT-ADAS/0007/2026".into(),
            solicitud: "IOP-2026-000012".into(),
            version: 2,
            sha256: "ab".repeat(32),
            a: Person {
                nombre: None,
                cargo: "Jefe de UPAT".into(),
            },
            via: Person {
                nombre: Some("Ana Quispe".into()),
                cargo: "Responsable de ADAS".into(),
            },
            de: Person {
                nombre: Some("Luis Mamani".into()),
                cargo: "Líder de equipo de ADAS".into(),
            },
            referencia: "Publicación de servicios — solicitud IOP-2026-000012".into(),
            fecha: long_date(date!(2026 - 11 - 29)),
            // Markup and code in what people type stay text.
            cuerpo: "Se publicó el servicio *segip-v1* #eval(\"1+1\") $x$ <a> @b.\n\nSegundo párrafo: año, niño.".into(),
            recomendaciones: Some("Revisar los límites en seis meses.".into()),
            habilitado: vec!["Servicio publicado: segip v1 — Consulta de identidad".into()],
            aprobaciones: vec![
                Approval {
                    paso: 6,
                    cargo: "Responsable de ADAS".into(),
                    nombre: Some("Ana Quispe".into()),
                    fecha: Some("2026-11-29 10:00".into()),
                },
                Approval {
                    paso: 7,
                    cargo: "Jefe de UPAT".into(),
                    nombre: None,
                    fecha: None,
                },
            ],
            papel: Paper::A4,
            verificacion: Some(Verification {
                codigo: "0A1B-2C3D-4E5F-6071-8293".into(),
                url: "https://verificar.example.bo/v/0a1b2c3d4e5f60718293".into(),
            }),
        }
    }

    fn pdf(n: &Note) -> Vec<u8> {
        note_pdf(n, None, datetime!(2026-11-29 14:00 UTC)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn contains(hay: &[u8], needle: &str) -> bool {
        hay.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    fn sample_logo() -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/logo.png");
        std::fs::read(p).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_logo_is_png_jpeg_or_svg_that_draws_and_heads_every_document() {
        let png = Logo::parse(sample_logo()).unwrap_or_else(|e| panic!("{e}"));
        let svg =
            br##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="#0b4f8a"/></svg>"##;
        Logo::parse(svg.to_vec()).unwrap_or_else(|e| panic!("{e}"));
        let refused = |b: Vec<u8>| Logo::parse(b).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused(b"GIF89a....".to_vec()).contains("no es PNG"));
        assert!(refused(vec![0; Logo::MAX_BYTES + 1]).contains("1 MiB"));
        let mut broken = sample_logo();
        broken.truncate(30);
        assert!(refused(broken).contains("no se pudo dibujar"));
        // With it, each document changes, and stays reproducible.
        let at = datetime!(2026-11-29 14:00 UTC);
        let with = note_pdf(&note(), Some(&png), at).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(with, pdf(&note()));
        assert_eq!(with, note_pdf(&note(), Some(&png), at).unwrap_or_else(|e| panic!("{e}")));
    }

    #[test]
    fn a_note_is_a_reproducible_pdf_a() {
        let a = pdf(&note());
        assert!(a.starts_with(b"%PDF-"), "a PDF");
        assert!(contains(&a, "pdfaid:part"), "declares PDF/A");
        assert_eq!(a, pdf(&note()), "the same note gives the same bytes");
        let mut approved = note();
        approved.aprobaciones[1].nombre = Some("Carla Flores".into());
        approved.aprobaciones[1].fecha = Some("2026-11-30 09:00".into());
        assert_ne!(a, pdf(&approved), "another state, another document");
        let mut letter = note();
        letter.papel = Paper::UsLetter;
        assert_ne!(a, pdf(&letter));
    }

    /// A poppler tool's output for this PDF (the test command installs poppler-utils).
    fn poppler(tool: &str, pdf: &[u8], args: &[&str]) -> String {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("nota.pdf");
        std::fs::write(&file, pdf).unwrap_or_else(|e| panic!("{e}"));
        let out = std::process::Command::new(tool)
            .args(args)
            .arg(&file)
            .args(if tool == "pdftotext" { &["-"][..] } else { &[][..] })
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e} (the test command installs poppler-utils)"));
        assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn what_people_typed_is_set_as_text_never_as_markup() {
        let text = poppler("pdftotext", &pdf(&note()), &[]);
        for shown in [
            "NOTA INTERNA",
            "AGETIC/NI/UPAT-ADAS/0007/2026",
            "*segip-v1* #eval(\"1+1\") $x$ <a> @b.",
            "año, niño",
            "Luis Mamani",
            "Ana Quispe",
            "Servicio publicado: segip v1",
            "Revisar los límites en seis meses.",
            "pendiente",
            "29 de noviembre de 2026",
            "IOP-2026-000012",
            "0A1B-2C3D-4E5F-6071-8293",
            "https://verificar.example.bo/v/0a1b2c3d4e5f60718293",
        ] {
            assert!(text.contains(shown), "{shown:?} in:\n{text}");
        }
    }

    #[test]
    fn long_notes_run_over_numbered_pages() {
        let mut n = note();
        n.cuerpo = vec!["Un párrafo largo sobre lo habilitado en la plataforma. ".repeat(12); 14].join("\n\n");
        let long = pdf(&n);
        let info = poppler("pdfinfo", &long, &[]);
        let pages: u32 = info
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{info}"));
        assert!(pages >= 2, "{info}");
        let text = poppler("pdftotext", &long, &[]);
        assert!(text.contains(&format!("Página 1 de {pages}")), "{text}");
        assert!(text.contains(&format!("Página {pages} de {pages}")), "{text}");
        assert!(info.contains("Nota Interna AGETIC/NI/UPAT-ADAS/0007/2026"), "the title: {info}");
    }

    #[test]
    fn a_routing_slip_lists_every_hand_over() {
        let hop = |n: i64, who: &str, role: &str, action: &str, to: &str, comment: Option<&str>| Hop {
            n,
            fecha: format!("2026-11-{:02} 10:00", 20 + n),
            por: Person {
                nombre: Some(who.into()),
                cargo: role.into(),
            },
            accion: action.into(),
            desde: "Presentada".into(),
            hacia: "Derivada a ADAS".into(),
            para: to.into(),
            comentario: comment.map(Into::into),
        };
        let slip = RoutingSlip {
            entidad: "Agencia de Gobierno Electrónico".into(),
            solicitud: "IOP-2026-000012".into(),
            tipo: "Consumo de servicios".into(),
            unidad: "SEGIP — Servicio General de Identificación Personal".into(),
            asunto: "Consulta de identidad para #trámites *web*".into(),
            cite: None,
            estado: "Derivada a ADAS".into(),
            fecha: "2026-11-22 10:00".into(),
            pasos: vec![
                hop(1, "Sonia Vargas", "Solicitante", "Presentar", "Jefe de UPAT", None),
                hop(
                    2,
                    "Carla Flores",
                    "Jefe de UPAT",
                    "Derivar",
                    "Responsable de ADAS",
                    Some("Revisar con prioridad $x$"),
                ),
            ],
            papel: Paper::A4,
        };
        let at = datetime!(2026-11-22 14:00 UTC);
        let a = routing_slip_pdf(&slip, None, at).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            a,
            routing_slip_pdf(&slip, None, at).unwrap_or_else(|e| panic!("{e}")),
            "reproducible"
        );
        assert!(contains(&a, "pdfaid:part"), "declares PDF/A");
        // Table cells wrap: compare with the words joined by single spaces.
        let text = poppler("pdftotext", &a, &[]).split_whitespace().collect::<Vec<_>>().join(" ");
        for shown in [
            "HOJA DE RUTA",
            "IOP-2026-000012",
            "Consulta de identidad para #trámites *web*",
            "Sonia Vargas",
            "Carla Flores",
            "Revisar con prioridad $x$",
            "Responsable de ADAS",
            "2026-11-22 10:00",
        ] {
            assert!(text.contains(shown), "{shown:?} in:\n{text}");
        }
    }

    #[test]
    fn the_qr_code_is_drawn_only_with_a_verification_page() {
        let with = pdf(&note());
        let mut n = note();
        n.verificacion = None;
        let without = pdf(&n);
        assert!(poppler("pdftotext", &with, &[]).contains("Código de verificación"));
        assert!(!poppler("pdftotext", &without, &[]).contains("Código de verificación"));
        // The code is drawn as vector paths: hundreds of modules weigh on the page's stream.
        assert!(with.len() > without.len() + 1000, "{} vs {}", with.len(), without.len());
    }

    #[test]
    fn dates_are_written_in_spanish() {
        assert_eq!(long_date(date!(2026 - 01 - 05)), "5 de enero de 2026");
        assert_eq!(long_date(date!(2026 - 12 - 31)), "31 de diciembre de 2026");
    }
}
