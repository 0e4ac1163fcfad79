//! A multi-file description comes as one archive (zip, tar or tar.gz) with a named entry point.
//! The archive is read in memory under caps (file count, uncompressed size, compression ratio);
//! entries with an absolute path, `..` or links are refused. Every `$ref` to another file is then
//! resolved inside the archive (relative to the file that holds it, JSON-pointer fragments with
//! their escapes, any depth, cycles refused) and inlined, so what is kept is one document. Nothing
//! is ever fetched over the network.

use super::doc::{Doc, escape};
use super::report::{Issue, Item};
use std::collections::BTreeMap;
use std::io::Read;

/// At most this many files in an archive.
pub const MAX_FILES: usize = 1000;
/// At most this much uncompressed content in all.
pub const MAX_TOTAL: u64 = 64 << 20;
/// No entry (and no tar.gz as a whole) may compress more than this many times.
pub const MAX_RATIO: u64 = 200;
/// At most this many nodes inlined while resolving references (a reference graph that fans out
/// exponentially is refused instead of expanded).
pub const MAX_INLINED: usize = 4_000_000;

/// The files of an archive, by their normalised relative path.
#[derive(Debug, Default)]
pub struct Files {
    pub files: BTreeMap<String, Vec<u8>>,
}

fn mib(n: u64) -> String {
    format!("{} MiB", n >> 20)
}

impl Files {
    /// The main document when none is named: the shallowest `openapi.*` or `swagger.*`, else
    /// the only JSON or YAML file.
    pub fn entry_point(&self) -> Result<String, Item> {
        let text = |n: &str| [".yaml", ".yml", ".json"].iter().any(|e| n.ends_with(e));
        let base = |n: &str| n.rsplit('/').next().unwrap_or(n).to_owned();
        let mut named: Vec<&String> = self
            .files
            .keys()
            .filter(|n| text(n) && (base(n).starts_with("openapi.") || base(n).starts_with("swagger.")))
            .collect();
        named.sort_by_key(|n| n.matches('/').count());
        if let Some(n) = named.first() {
            return Ok((*n).clone());
        }
        let all: Vec<&String> = self.files.keys().filter(|n| text(n)).collect();
        match all.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(Item::new(Issue::ArchivoSinEntrada, "archivo").arg("entrada", "openapi.yaml")),
        }
    }
}

/// Whether uploaded bytes are an archive (zip, gzip, tar) rather than a text document.
pub fn looks_like_archive(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"PK\x05\x06")
        || bytes.starts_with(&[0x1f, 0x8b])
        || bytes.get(257..262) == Some(b"ustar")
}

/// A relative path with `.` segments removed; `None` if absolute or with `..`.
fn safe_name(raw: &str) -> Option<String> {
    if raw.starts_with('/') || raw.starts_with('\\') || raw.contains('\\') || raw.get(1..2) == Some(":") {
        return None;
    }
    let parts: Vec<&str> = raw.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.contains(&"..") || parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// Reads an archive (zip, or tar optionally gzip-compressed) into memory, within the caps.
pub fn open(bytes: &[u8]) -> Result<Files, Item> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        open_zip(bytes)
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut counted = Counted {
            inner: flate2::read::GzDecoder::new(bytes),
            read: 0,
        };
        let files = open_tar(&mut counted)?;
        if counted.read > (bytes.len() as u64).saturating_mul(MAX_RATIO) {
            return Err(Item::new(Issue::ArchivoCompresion, "archivo")
                .arg("nombre", "archivo")
                .arg("max", MAX_RATIO));
        }
        Ok(files)
    } else if bytes.get(257..262) == Some(b"ustar") {
        open_tar(&mut std::io::Cursor::new(bytes))
    } else {
        Err(Item::new(Issue::ArchivoNoValido, "archivo").arg("detalle", "no es zip, tar ni tar.gz / not zip, tar nor tar.gz"))
    }
}

struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > MAX_TOTAL + (1 << 20) {
            return Err(std::io::Error::other("demasiado contenido"));
        }
        Ok(n)
    }
}

fn broken(e: impl std::fmt::Display) -> Item {
    Item::new(Issue::ArchivoNoValido, "archivo").arg("detalle", e)
}

fn too_big() -> Item {
    Item::new(Issue::ArchivoMuyGrande, "archivo").arg("max", mib(MAX_TOTAL))
}

fn open_zip(bytes: &[u8]) -> Result<Files, Item> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(broken)?;
    if z.len() > MAX_FILES {
        return Err(Item::new(Issue::ArchivoDemasiados, "archivo").arg("max", MAX_FILES));
    }
    let mut out = Files::default();
    let mut total = 0u64;
    for i in 0..z.len() {
        let mut f = z.by_index(i).map_err(broken)?;
        let raw = String::from_utf8_lossy(f.name_raw()).into_owned();
        if f.is_dir() {
            continue;
        }
        if f.is_symlink() {
            return Err(Item::new(Issue::ArchivoEnlace, raw.clone()).arg("nombre", raw));
        }
        let name = safe_name(&raw).ok_or_else(|| Item::new(Issue::ArchivoRutaInsegura, raw.clone()).arg("nombre", &raw))?;
        let mut data = Vec::new();
        let room = MAX_TOTAL - total;
        (&mut f).take(room + 1).read_to_end(&mut data).map_err(broken)?;
        total += data.len() as u64;
        if total > MAX_TOTAL {
            return Err(too_big());
        }
        if data.len() as u64 > f.compressed_size().max(1).saturating_mul(MAX_RATIO) && data.len() > 64 << 10 {
            return Err(Item::new(Issue::ArchivoCompresion, name.clone())
                .arg("nombre", name)
                .arg("max", MAX_RATIO));
        }
        out.files.insert(name, data);
    }
    Ok(out)
}

fn open_tar(r: &mut impl Read) -> Result<Files, Item> {
    let mut a = tar::Archive::new(r);
    let mut out = Files::default();
    let mut total = 0u64;
    for e in a.entries().map_err(broken)? {
        let mut e = e.map_err(|e| {
            if e.to_string().contains("demasiado contenido") {
                too_big()
            } else {
                broken(e)
            }
        })?;
        let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let kind = e.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() || kind.is_gnu_longname() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(Item::new(Issue::ArchivoEnlace, raw.clone()).arg("nombre", raw));
        }
        if !kind.is_file() {
            return Err(broken(format!("«{raw}»: tipo de entrada no admitido / unsupported entry type")));
        }
        let name = safe_name(&raw).ok_or_else(|| Item::new(Issue::ArchivoRutaInsegura, raw.clone()).arg("nombre", &raw))?;
        if out.files.len() >= MAX_FILES {
            return Err(Item::new(Issue::ArchivoDemasiados, "archivo").arg("max", MAX_FILES));
        }
        let mut data = Vec::new();
        (&mut e).take(MAX_TOTAL - total + 1).read_to_end(&mut data).map_err(|e| {
            if e.to_string().contains("demasiado contenido") {
                too_big()
            } else {
                broken(e)
            }
        })?;
        total += data.len() as u64;
        if total > MAX_TOTAL {
            return Err(too_big());
        }
        out.files.insert(name, data);
    }
    Ok(out)
}

/// `dir/../x` within the archive: the file a relative reference in `from` names.
fn join(from: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Resolves every reference to another file of the archive, starting from `entry`.
pub struct Bundler<'a> {
    files: &'a Files,
    parsed: BTreeMap<String, Doc>,
    stack: Vec<String>,
    inlined: usize,
}

impl<'a> Bundler<'a> {
    pub fn new(files: &'a Files) -> Self {
        Bundler {
            files,
            parsed: BTreeMap::new(),
            stack: Vec::new(),
            inlined: 0,
        }
    }

    fn load(&mut self, name: &str, at: &str, reference: &str) -> Result<&Doc, Item> {
        if !self.parsed.contains_key(name) {
            let bytes = self
                .files
                .files
                .get(name)
                .ok_or_else(|| Item::new(Issue::RefNoResuelta, at).arg("ref", reference))?;
            let text = std::str::from_utf8(bytes).map_err(|_| Item::new(Issue::NoEsTexto, name).arg("nombre", name))?;
            let doc = super::parse_text(text, name)?;
            self.parsed.insert(name.to_owned(), doc);
        }
        self.parsed
            .get(name)
            .ok_or_else(|| Item::new(Issue::RefNoResuelta, at).arg("ref", reference))
    }

    /// The entry document with every reference to another file inlined; references inside the
    /// entry (`#/…`) stay as they are.
    pub fn bundle(mut self, entry: &str) -> Result<Doc, Item> {
        let mut doc = self
            .load(entry, "archivo", entry)
            .map_err(|e| match e.issue {
                Issue::RefNoResuelta => Item::new(Issue::ArchivoSinEntrada, "archivo").arg("entrada", entry),
                _ => e,
            })?
            .clone();
        self.walk(&mut doc, entry, entry, String::new())?;
        Ok(doc)
    }

    /// Inlines, in `node` (which is in `file`, at `pointer`), every reference that leaves the
    /// entry document (`file` is not the entry, or the reference names another file).
    fn walk(&mut self, node: &mut Doc, file: &str, entry: &str, pointer: String) -> Result<(), Item> {
        let at = |p: &str| {
            if file == entry { format!("#{p}") } else { format!("{file}#{p}") }
        };
        if let Some(r) = node.get("$ref").and_then(Doc::as_str).map(str::to_owned) {
            let (target_file, fragment) = match r.split_once('#') {
                Some((f, frag)) => (f, super::decode_fragment(frag)),
                None => (r.as_str(), String::new()),
            };
            if target_file.is_empty() && file == entry {
                return Ok(()); // local to the entry: kept as a reference
            }
            if target_file.contains("://") || target_file.starts_with("//") {
                return Err(Item::new(Issue::RefRemota, at(&pointer)).arg("ref", &r));
            }
            let target_name = if target_file.is_empty() {
                file.to_owned()
            } else {
                join(file, &super::decode_fragment(target_file))
                    .ok_or_else(|| Item::new(Issue::RefNoResuelta, at(&pointer)).arg("ref", &r))?
            };
            let key = format!("{target_name}#{fragment}");
            if self.stack.contains(&key) {
                return Err(Item::new(Issue::RefCiclica, at(&pointer)).arg("ref", &r));
            }
            let target_doc = self.load(&target_name, &at(&pointer), &r)?;
            let mut target = target_doc
                .pointer(&fragment)
                .cloned()
                .ok_or_else(|| Item::new(Issue::RefNoResuelta, at(&pointer)).arg("ref", &r))?;
            self.inlined += 1;
            if self.inlined > MAX_INLINED {
                return Err(too_big());
            }
            self.stack.push(key);
            // The target lives in its own file: its references are relative to it. A reference
            // back into the entry document (`entry.yaml#/components/…`) stays a local one.
            let res = self.walk(&mut target, &target_name, entry, fragment);
            self.stack.pop();
            res?;
            *node = target;
            return Ok(());
        }
        match node {
            Doc::Obj(m) => {
                for (k, v) in m.iter_mut() {
                    self.walk(v, file, entry, format!("{pointer}/{}", escape(k)))?;
                }
            }
            Doc::Arr(a) => {
                for (i, v) in a.iter_mut().enumerate() {
                    self.walk(v, file, entry, format!("{pointer}/{i}"))?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, text) in entries {
            let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            w.start_file(*name, opts).unwrap_or_else(|e| panic!("{e}"));
            w.write_all(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        }
        w.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
    }

    fn tgz_of(entries: &[(&str, &[u8], tar::EntryType)]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut t = tar::Builder::new(gz);
        for (name, data, kind) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            if kind.is_symlink() {
                let _ = h.set_link_name("/etc/passwd");
            }
            // Written raw so that unsafe names reach the reader as an attacker would write them.
            let bytes = name.as_bytes();
            if let Some(old) = h.as_old_mut().name.get_mut(..bytes.len()) {
                old.copy_from_slice(bytes);
            }
            h.set_cksum();
            t.append(&h, *data).unwrap_or_else(|e| panic!("{e}"));
        }
        t.into_inner().and_then(|gz| gz.finish()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn resolves_relative_refs_with_escapes_and_refuses_cycles_and_the_network() {
        let files = open(&zip_of(&[
            (
                "api/openapi.yaml",
                "openapi: 3.1.0\npaths:\n  /a:\n    $ref: 'paths/a.yaml'\n  /b:\n    $ref: 'paths/b.yaml#/~1b'\n",
            ),
            ("api/paths/a.yaml", "get:\n  responses:\n    '200':\n      $ref: '../comunes.yaml#/respuestas/Ok'\n"),
            ("api/paths/b.yaml", "/b:\n  get: {operationId: be}\n"),
            (
                "api/comunes.yaml",
                "respuestas:\n  Ok:\n    description: ok\n    content:\n      application/json:\n        schema: {$ref: '#/esquemas/Cosa'}\nesquemas:\n  Cosa: {type: object, example: {a: 1}}\n",
            ),
        ]))
        .unwrap_or_else(|e| panic!("{e:?}"));
        let doc = Bundler::new(&files).bundle("api/openapi.yaml").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            doc.pointer("/paths/~1a/get/responses/200/content/application~1json/schema/example/a"),
            Some(&Doc::Num(1.into()))
        );
        assert_eq!(doc.pointer("/paths/~1b/get/operationId").and_then(Doc::as_str), Some("be"));

        let cyc = open(&zip_of(&[
            ("e.yaml", "openapi: 3.0.0\npaths:\n  /a: {$ref: 'x.yaml'}\n"),
            ("x.yaml", "get: {$ref: 'y.yaml'}\n"),
            ("y.yaml", "$ref: 'x.yaml#/get'\n"),
        ]))
        .unwrap_or_else(|e| panic!("{e:?}"));
        let e = Bundler::new(&cyc).bundle("e.yaml").err();
        assert_eq!(
            e.as_ref().map(|e| (e.issue, e.at.as_str())),
            Some((Issue::RefCiclica, "x.yaml#/get"))
        );

        let net = open(&zip_of(&[(
            "e.yaml",
            "openapi: 3.0.0\npaths:\n  /a: {$ref: 'https://ejemplo.bo/a.yaml'}\n",
        )]))
        .unwrap_or_else(|e| panic!("{e:?}"));
        let e = Bundler::new(&net).bundle("e.yaml").err();
        assert_eq!(e.map(|e| (e.issue, e.at)), Some((Issue::RefRemota, "#/paths/~1a".to_owned())));
        let e = Bundler::new(&net).bundle("otro.yaml").err();
        assert_eq!(e.map(|e| e.issue), Some(Issue::ArchivoSinEntrada));
    }

    #[test]
    fn refuses_unsafe_entries_links_and_bombs() {
        let file = tar::EntryType::Regular;
        let ok = tgz_of(&[("./a/openapi.yaml", b"openapi: 3.0.0\n", file)]);
        assert!(open(&ok).is_ok_and(|f| f.files.contains_key("a/openapi.yaml")));
        for (name, kind, issue) in [
            ("../fuera.yaml", file, Issue::ArchivoRutaInsegura),
            ("/etc/x.yaml", file, Issue::ArchivoRutaInsegura),
            ("a/../../x.yaml", file, Issue::ArchivoRutaInsegura),
            ("enlace.yaml", tar::EntryType::Symlink, Issue::ArchivoEnlace),
        ] {
            let e = open(&tgz_of(&[(name, b"x", kind)])).err().map(|e| e.issue);
            assert_eq!(e, Some(issue), "{name}");
        }
        let zeros = vec![b' '; 8 << 20];
        let e = open(&tgz_of(&[("grande.yaml", &zeros, file)])).err().map(|e| e.issue);
        assert_eq!(e, Some(Issue::ArchivoCompresion));
        let e = open(&zip_of(&[("grande.yaml", &String::from_utf8_lossy(&zeros))]))
            .err()
            .map(|e| e.issue);
        assert_eq!(e, Some(Issue::ArchivoCompresion));
        assert_eq!(open(b"no soy un archivo").err().map(|e| e.issue), Some(Issue::ArchivoNoValido));
    }
}
