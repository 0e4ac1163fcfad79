//! Reading the signature of a PDF signed outside the platform (the national digital-signature
//! client, or any PAdES signer): the signer certificate's subject, issuer, serial and validity, and
//! whether the digest the signature carries is the digest of the bytes it says it covers. Only the
//! last signature of the file is read (an incremental update adds each signature after the one
//! before). The signer's certificate is not validated against any authority: that is out of scope.
//!
//! The file is untrusted: every offset is checked, and anything unexpected is a [`Unreadable`]
//! answer, never a panic (fuzzed: `fuzz/src/bin/firma.rs`). A PDF is what
//! [`crate::service::looks_like_pdf`] says.

use cms::cert::x509::Certificate;
use cms::cert::x509::der::asn1::OctetStringRef;
use cms::cert::x509::der::oid::ObjectIdentifier;
use cms::cert::x509::der::{Decode, Encode, SliceReader};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use time::OffsetDateTime;

/// What a PDF's last signature says about its signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfSignature {
    /// The signer certificate's subject, as RFC 4514 writes it (`CN=…,O=…,C=BO`).
    pub subject: String,
    pub issuer: String,
    /// The certificate's serial number, hex.
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Whether the signed message digest is the digest of the byte ranges the signature covers.
    pub digest_matches: bool,
    /// Whether those ranges cover the whole file (nothing was appended after signing).
    pub covers_whole_file: bool,
}

/// Why a file is not a signed PDF we can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    /// It does not begin as a PDF does.
    NotPdf,
    /// A PDF without a signature (no byte range with a signature value in it).
    Unsigned,
    /// A signature whose value is not a CMS SignedData with the signer's certificate.
    BadSignature,
}

const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// Reads the last signature of a PDF.
pub fn read(pdf: &[u8]) -> Result<PdfSignature, Unreadable> {
    if !crate::service::looks_like_pdf(pdf) {
        return Err(Unreadable::NotPdf);
    }
    let at = rfind(pdf, b"/ByteRange").ok_or(Unreadable::Unsigned)?;
    let ranges = byte_range(pdf.get(at + b"/ByteRange".len()..).unwrap_or_default()).ok_or(Unreadable::Unsigned)?;
    let [start, len1, start2, len2] = ranges;
    // The signature value sits between the two ranges: `<hex…>`.
    let gap = pdf
        .get(start.checked_add(len1).ok_or(Unreadable::Unsigned)?..start2)
        .ok_or(Unreadable::Unsigned)?;
    let first = pdf.get(start..start + len1).ok_or(Unreadable::Unsigned)?;
    let second = pdf
        .get(start2..start2.checked_add(len2).ok_or(Unreadable::Unsigned)?)
        .ok_or(Unreadable::Unsigned)?;
    let der = hex_string(gap).ok_or(Unreadable::Unsigned)?;
    let (signer, cert) = signer_of(&der).ok_or(Unreadable::BadSignature)?;
    let digest_matches = signed_digest(&signer).is_some_and(|(alg, want)| {
        let mut ctx = ring::digest::Context::new(alg);
        ctx.update(first);
        ctx.update(second);
        ctx.finish().as_ref() == want.as_slice()
    });
    let tbs = &cert.tbs_certificate;
    let when = |t: &cms::cert::x509::time::Time| {
        OffsetDateTime::from_unix_timestamp(i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX))
            .map_err(|_| Unreadable::BadSignature)
    };
    Ok(PdfSignature {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial: tbs.serial_number.as_bytes().iter().map(|b| format!("{b:02x}")).collect(),
        not_before: when(&tbs.validity.not_before)?,
        not_after: when(&tbs.validity.not_after)?,
        digest_matches,
        covers_whole_file: start == 0 && start2 + len2 == pdf.len(),
    })
}

/// `[a b c d]` after `/ByteRange`: four non-negative integers, the ranges in order.
fn byte_range(after: &[u8]) -> Option<[usize; 4]> {
    let open = after.iter().position(|b| !b.is_ascii_whitespace())?;
    if after.get(open) != Some(&b'[') {
        return None;
    }
    let rest = after.get(open + 1..)?;
    let close = rest.iter().position(|b| *b == b']')?;
    let inner = std::str::from_utf8(rest.get(..close)?).ok()?;
    let mut n = inner.split_ascii_whitespace().map(|t| t.parse::<usize>().ok());
    let r = [n.next()??, n.next()??, n.next()??, n.next()??];
    if n.next().is_some() {
        return None;
    }
    let [a, b, c, _] = r;
    (a.checked_add(b)? < c).then_some(r)
}

/// The bytes of a PDF hex string `<…>` (whitespace allowed; the signer pads it with zeros).
fn hex_string(gap: &[u8]) -> Option<Vec<u8>> {
    let gap = gap.trim_ascii();
    let inner = gap.strip_prefix(b"<")?.strip_suffix(b">")?;
    let digits: Vec<u8> = inner.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let val = |d: u8| (d as char).to_digit(16).map(|v| v as u8);
    digits
        .chunks_exact(2)
        .map(|p| match p {
            [h, l] => Some(val(*h)? << 4 | val(*l)?),
            _ => None,
        })
        .collect()
}

/// The first signer of a CMS SignedData (DER, possibly followed by padding) and its certificate.
fn signer_of(der: &[u8]) -> Option<(SignerInfo, Certificate)> {
    // One value is read; the zeros padding the signature's slot after it are left alone.
    let mut reader = SliceReader::new(der).ok()?;
    let info = ContentInfo::decode(&mut reader).ok()?;
    if info.content_type != SIGNED_DATA {
        return None;
    }
    let signed: SignedData = info.content.decode_as().ok()?;
    let signer = signed.signer_infos.0.iter().next()?.clone();
    let certs: Vec<&Certificate> = signed
        .certificates
        .as_ref()?
        .0
        .iter()
        .filter_map(|c| match c {
            CertificateChoices::Certificate(cert) => Some(cert),
            _ => None,
        })
        .collect();
    let cert = match &signer.sid {
        SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber { issuer, serial_number }) => certs
            .iter()
            .find(|c| &c.tbs_certificate.issuer == issuer && &c.tbs_certificate.serial_number == serial_number),
        SignerIdentifier::SubjectKeyIdentifier(ski) => certs.iter().find(|c| {
            c.tbs_certificate.extensions.as_ref().is_some_and(|exts| {
                exts.iter().any(|e| {
                    e.extn_id == ObjectIdentifier::new_unwrap("2.5.29.14")
                        && ski.to_der().ok().is_some_and(|want| {
                            // The extension's value is the identifier's own DER.
                            e.extn_value.as_bytes() == want.as_slice()
                        })
                })
            })
        }),
    }?;
    Some((signer, (*cert).clone()))
}

/// The digest algorithm and the message digest the signer signed (its signed attributes).
fn signed_digest(signer: &SignerInfo) -> Option<(&'static ring::digest::Algorithm, Vec<u8>)> {
    let alg = match signer.digest_alg.oid {
        SHA256 => &ring::digest::SHA256,
        SHA384 => &ring::digest::SHA384,
        SHA512 => &ring::digest::SHA512,
        _ => return None,
    };
    let attr = signer.signed_attrs.as_ref()?.iter().find(|a| a.oid == MESSAGE_DIGEST)?;
    let value = attr.values.iter().next()?;
    let digest = value.decode_as::<OctetStringRef<'_>>().ok()?;
    Some((alg, digest.as_bytes().to_vec()))
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_signed_pdf_is_named() {
        assert_eq!(read(b"GIF89a"), Err(Unreadable::NotPdf));
        assert_eq!(read(b""), Err(Unreadable::NotPdf));
        assert_eq!(read(b"%PDF-1.7\n1 0 obj << >> endobj\n"), Err(Unreadable::NotPdf), "no end");
        assert_eq!(read(b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF"), Err(Unreadable::Unsigned));
        // A range that points outside the file, or backwards.
        assert_eq!(read(b"%PDF-1.7 /ByteRange [0 10 99999 5] %%EOF"), Err(Unreadable::Unsigned));
        assert_eq!(read(b"%PDF-1.7 /ByteRange [0 30 10 5] <00> %%EOF"), Err(Unreadable::Unsigned));
        // A signature slot holding something that is not CMS (fixed-width numbers: the header's
        // length does not depend on them).
        let head_len = "%PDF-1.7 /ByteRange [0 0000000000 0000000000 3] ".len();
        let f = format!("%PDF-1.7 /ByteRange [0 {head_len:010} {:010} 3] <3000>xyz%%EOF", head_len + 6).into_bytes();
        assert_eq!(read(&f), Err(Unreadable::BadSignature));
    }

    /// A PDF signed with pyHanko by a self-signed certificate (`fuzz/corpus/firma`).
    fn signed_sample() -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/firma/3c4de599e936e327");
        std::fs::read(path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_signed_pdf_names_its_signer_and_its_digest_holds() {
        let sig = read(&signed_sample()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(sig.subject, "CN=Ana Perez Quispe,O=AGETIC,C=BO");
        assert_eq!(sig.issuer, sig.subject, "self-signed");
        assert!(sig.digest_matches && sig.covers_whole_file, "{sig:?}");
        assert!(sig.not_before < sig.not_after);
    }

    #[test]
    fn a_changed_byte_inside_the_signed_ranges_breaks_the_digest() {
        let mut pdf = signed_sample();
        let at = pdf.iter().position(|b| *b == b'/').unwrap_or_default() + 1;
        if let Some(b) = pdf.get_mut(at) {
            *b ^= 0x20;
        }
        let sig = read(&pdf).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!sig.digest_matches && sig.covers_whole_file);
        // Bytes appended after signing (an incremental update): still read, not covered.
        let mut longer = signed_sample();
        longer.extend_from_slice(b"\n% appended\n");
        let sig = read(&longer).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(sig.digest_matches && !sig.covers_whole_file);
    }

    /// Until AFL runs the `firma` target: mutations of a real signed file (bytes changed in the
    /// byte range, the signature and the certificate; cut anywhere) are answered, never a panic.
    #[test]
    fn mutated_signed_files_are_answered_without_panicking() {
        let pdf = signed_sample();
        let ranges = rfind(&pdf, b"/ByteRange").unwrap_or_default();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..3000 {
            let mut m = pdf.clone();
            let at = if round % 3 == 0 {
                ranges + (next() % 64) as usize
            } else {
                (next() % pdf.len() as u64) as usize
            };
            if let Some(b) = m.get_mut(at) {
                *b = (next() & 0xff) as u8;
            }
            if round % 5 == 0 {
                m.truncate((next() % pdf.len() as u64) as usize);
                m.extend_from_slice(b"%%EOF");
            }
            crate::fuzzing::signed_pdf(&m);
        }
    }

    #[test]
    fn hex_strings_read_with_padding_and_spaces() {
        assert_eq!(hex_string(b" <30 8201ff000000> "), Some(vec![0x30, 0x82, 0x01, 0xff, 0, 0, 0]));
        assert_eq!(hex_string(b"<3>"), None);
        assert_eq!(hex_string(b"<zz>"), None);
        assert_eq!(hex_string(b"(30)"), None);
    }
}
