//! The export format: JSON Lines an auditor can check with only the platform's public key.
//!
//! ```text
//! {"tipo":"cabecera","formato":"iop-auditoria","version":1,"clave_publica":"ed25519:…",…}
//! {"tipo":"punto","cuerpo":"<checkpoint body>","firma":"<hex>"}          (every checkpoint first)
//! {"tipo":"registro","cadena":"llamadas","nodo":"n1","seq":7,"cuerpo":"<exact record bytes>"}
//! {"tipo":"manifiesto","cuerpo":"{\"lineas\":…,\"sha256\":…,\"cadenas\":[…]}","firma":"<hex>"}
//! ```
//!
//! Each record's `cuerpo` is the exact text that was chained, as a JSON string (any JSON parser
//! returns those bytes). The manifest is signed and holds the SHA-256 of every byte before it, so
//! a changed byte anywhere, a cut-off end or a file from another platform is refused.

use crate::verify::{ChainCheck, ChainSummary, Fault, Problem};
use crate::{Checkpoint, CheckpointBody, PublicKey, Signer, hash_from_hex, to_hex};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};

pub const FORMAT: &str = "iop-auditoria";

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "tipo", rename_all = "lowercase", deny_unknown_fields)]
enum Line {
    Cabecera {
        formato: String,
        version: u32,
        clave_publica: String,
        desde_ms: i64,
        hasta_ms: i64,
        creado_ms: i64,
    },
    Punto {
        cuerpo: String,
        firma: String,
    },
    Registro {
        cadena: String,
        nodo: String,
        seq: u64,
        cuerpo: String,
    },
    Manifiesto {
        cuerpo: String,
        firma: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct ManifestChain {
    cadena: String,
    nodo: String,
    desde: u64,
    hasta: u64,
    cabeza: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    lineas: u64,
    sha256: String,
    cadenas: Vec<ManifestChain>,
}

/// Writes an export: the header, then checkpoints, then records (chain by chain, in position
/// order), then [`Writer::finish`] signs the manifest.
pub struct Writer<W: Write> {
    w: W,
    hasher: Sha256,
    lines: u64,
    chains: BTreeMap<(String, String), ManifestChain>,
}

impl<W: Write> Writer<W> {
    pub fn new(w: W, key: &PublicKey, desde_ms: i64, hasta_ms: i64, creado_ms: i64) -> std::io::Result<Self> {
        let mut me = Self {
            w,
            hasher: Sha256::new(),
            lines: 0,
            chains: BTreeMap::new(),
        };
        me.line(&Line::Cabecera {
            formato: FORMAT.into(),
            version: 1,
            clave_publica: key.to_string(),
            desde_ms,
            hasta_ms,
            creado_ms,
        })?;
        Ok(me)
    }

    fn line(&mut self, l: &Line) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(l).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        self.hasher.update(&bytes);
        self.lines += 1;
        self.w.write_all(&bytes)
    }

    pub fn checkpoint(&mut self, c: &Checkpoint) -> std::io::Result<()> {
        self.line(&Line::Punto {
            cuerpo: c.cuerpo.clone(),
            firma: c.firma.clone(),
        })
    }

    pub fn record(&mut self, stream: &str, node: &str, seq: u64, body: &str) -> std::io::Result<()> {
        let e = self.chains.entry((stream.into(), node.into())).or_insert_with(|| ManifestChain {
            cadena: stream.into(),
            nodo: node.into(),
            desde: seq,
            hasta: seq,
            cabeza: String::new(),
        });
        e.hasta = seq;
        e.cabeza = to_hex(&crate::digest(body.as_bytes()));
        self.line(&Line::Registro {
            cadena: stream.into(),
            nodo: node.into(),
            seq,
            cuerpo: body.into(),
        })
    }

    /// Signs and writes the manifest; returns the underlying writer.
    pub fn finish(mut self, signer: &Signer) -> std::io::Result<W> {
        let m = Manifest {
            lineas: self.lines,
            sha256: to_hex(&self.hasher.clone().finalize()),
            cadenas: self.chains.values().cloned().collect(),
        };
        let cuerpo = serde_json::to_string(&m).map_err(std::io::Error::other)?;
        let firma = signer.sign(cuerpo.as_bytes());
        self.line(&Line::Manifiesto { cuerpo, firma })?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// What a verified export holds.
#[derive(Debug)]
pub struct Report {
    pub chains: Vec<ChainSummary>,
    pub records: u64,
    pub checkpoints: u64,
}

fn bad(fault: Fault, detail: impl Into<String>) -> Problem {
    Problem {
        stream: String::new(),
        node: String::new(),
        seq: 0,
        fault,
        detail: detail.into(),
    }
}

/// Verifies an export with only the public key the auditor trusts.
pub fn verify<R: BufRead>(mut r: R, key: &PublicKey) -> Result<Report, Problem> {
    let mut hasher = Sha256::new();
    let mut buf = Vec::new();
    let mut n: u64 = 0;
    let mut checkpoints: BTreeMap<(String, String), Vec<CheckpointBody>> = BTreeMap::new();
    let mut chains: BTreeMap<(String, String), ChainCheck> = BTreeMap::new();
    let mut records = 0u64;
    let mut points = 0u64;
    let mut manifest: Option<Manifest> = None;
    loop {
        buf.clear();
        let read = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| bad(Fault::Malformed, format!("no se pudo leer: {e}")))?;
        if read == 0 {
            break;
        }
        n += 1;
        if manifest.is_some() {
            return Err(bad(
                Fault::Malformed,
                format!("línea {n}: hay contenido después del manifiesto firmado"),
            ));
        }
        if buf.last() != Some(&b'\n') {
            return Err(bad(
                Fault::Truncated,
                format!("línea {n}: cortada (sin fin de línea); la exportación está truncada"),
            ));
        }
        let line: Line = match serde_json::from_slice(buf.strip_suffix(b"\n").unwrap_or(&buf)) {
            Ok(l) => l,
            Err(e) if n == 1 => {
                return Err(bad(
                    Fault::Malformed,
                    format!("no es una exportación de auditoría de iop (línea 1: {e})"),
                ));
            }
            Err(e) => return Err(bad(Fault::Malformed, format!("línea {n} ilegible: {e}"))),
        };
        match line {
            Line::Cabecera {
                formato,
                version,
                clave_publica,
                ..
            } => {
                if n != 1 || formato != FORMAT || version != 1 {
                    return Err(bad(
                        Fault::Malformed,
                        format!("línea {n}: cabecera inesperada o versión no soportada"),
                    ));
                }
                match PublicKey::parse(&clave_publica) {
                    Some(k) if k == *key => {}
                    Some(k) => {
                        return Err(bad(
                            Fault::BadSignature,
                            format!(
                                "la exportación fue firmada con otra clave (id {}); se esperaba la clave {}",
                                k.id(),
                                key.id()
                            ),
                        ));
                    }
                    None => return Err(bad(Fault::Malformed, "la cabecera no tiene una clave pública válida")),
                }
            }
            _ if n == 1 => {
                return Err(bad(
                    Fault::Malformed,
                    "no es una exportación de auditoría de iop (falta la cabecera)",
                ));
            }
            Line::Punto { cuerpo, firma } => {
                let body = Checkpoint { cuerpo, firma }
                    .open(key)
                    .map_err(|e| bad(Fault::BadSignature, format!("línea {n}: punto de control: {e}")))?;
                let k = (body.cadena.clone(), body.nodo.clone());
                if chains.contains_key(&k) {
                    return Err(bad(
                        Fault::Malformed,
                        format!("línea {n}: punto de control después de los registros de su cadena"),
                    ));
                }
                checkpoints.entry(k).or_default().push(body);
                points += 1;
            }
            Line::Registro { cadena, nodo, seq, cuerpo } => {
                let k = (cadena.clone(), nodo.clone());
                let check = chains.entry(k.clone()).or_insert_with(|| {
                    let cps = checkpoints.get(&k).map(Vec::as_slice).unwrap_or_default();
                    let pruned = cps
                        .iter()
                        .filter(|c| c.tipo == "poda" && c.seq + 1 == seq)
                        .find_map(|c| Some((c.seq, hash_from_hex(&c.cabeza)?)));
                    let mut c = ChainCheck::new(&cadena, &nodo, pruned, seq == 1);
                    for cp in cps {
                        c.checkpoint(cp);
                    }
                    c
                });
                check.push(seq, cuerpo.as_bytes(), None)?;
                records += 1;
            }
            Line::Manifiesto { cuerpo, firma } => {
                let sig = crate::from_hex(&firma).unwrap_or_default();
                if !key.verify(cuerpo.as_bytes(), &sig) {
                    return Err(bad(Fault::BadSignature, format!("línea {n}: la firma del manifiesto no es válida")));
                }
                let m: Manifest = serde_json::from_str(&cuerpo).map_err(|e| bad(Fault::Malformed, format!("manifiesto ilegible: {e}")))?;
                let digest = to_hex(&hasher.clone().finalize());
                if m.sha256 != digest || m.lineas != n - 1 {
                    return Err(bad(
                        Fault::Altered,
                        "el contenido no es el que firmó el manifiesto (se cambió, quitó o agregó una línea)",
                    ));
                }
                manifest = Some(m);
            }
        }
        hasher.update(&buf);
    }
    let Some(m) = manifest else {
        return Err(bad(Fault::Truncated, "falta el manifiesto firmado: la exportación está truncada"));
    };
    let mut out = Vec::new();
    for (_, c) in chains {
        let s = c.finish()?;
        if s.covered_to != s.last {
            return Err(Problem {
                stream: s.stream.clone(),
                node: s.node.clone(),
                seq: s.covered_to + 1,
                fault: Fault::Truncated,
                detail: format!(
                    "los registros {}–{} no están cubiertos por un punto de control firmado",
                    s.covered_to + 1,
                    s.last
                ),
            });
        }
        out.push(s);
    }
    let seen: Vec<ManifestChain> = out
        .iter()
        .map(|s| ManifestChain {
            cadena: s.stream.clone(),
            nodo: s.node.clone(),
            desde: s.first,
            hasta: s.last,
            cabeza: to_hex(&s.head),
        })
        .collect();
    if seen != m.cadenas {
        return Err(bad(Fault::Altered, "las cadenas no son las que declara el manifiesto firmado"));
    }
    Ok(Report {
        chains: out,
        records,
        checkpoints: points,
    })
}
