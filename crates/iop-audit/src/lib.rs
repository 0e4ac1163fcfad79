//! The audit log's pure core: how records are chained, how checkpoints are signed, how a chain
//! (in the store or in an export) is verified, and the export format. No I/O: the store, the
//! gateway and the CLI feed bytes in.
//!
//! **Chain.** Every record is one JSON object whose first two members are `"seq"` (its position,
//! from 1, per stream and writing node) and `"prev"` (the hex SHA-256 of the previous record's
//! exact bytes; 64 zeros for the first). A record's hash is the SHA-256 of its exact bytes, so a
//! record names its predecessor and the last hash names the whole chain.
//!
//! **Checkpoints.** A checkpoint is a JSON body naming a chain, a position and the hash of the
//! record there (`cabeza`), signed with the platform's Ed25519 key. A `poda` checkpoint marks the
//! one sanctioned deletion: the records up to `seq` were archived and removed, and the first
//! record kept must name `cabeza` as its `prev`.

#![forbid(unsafe_code)]

pub mod export;
#[doc(hidden)]
pub mod fuzzing;
mod verify;

pub use verify::{ChainCheck, ChainSummary, Fault, Problem};

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// The `prev` of the first record of a chain.
pub const GENESIS: Hash = [0u8; 32];

/// The streams of the audit log.
pub const STREAMS: [&str; 3] = ["llamadas", "procedimiento", "administracion"];

pub fn digest(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// Lowercase hex (the project's one hex encoder: hashes, keys, ids).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut v = Vec::with_capacity(bytes.len() * 2);
    append_hex(&mut v, bytes);
    String::from_utf8(v).unwrap_or_default()
}

/// Appends lowercase hex to a buffer, without allocating.
pub fn append_hex(buf: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        // Both indexes are below 16.
        buf.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
        buf.push(HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'));
    }
}

pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let b = s.as_bytes();
    let val = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    b.chunks(2).map(|p| Some(val(*p.first()?)? << 4 | val(*p.get(1)?)?)).collect()
}

pub fn hash_from_hex(s: &str) -> Option<Hash> {
    from_hex(s)?.try_into().ok()
}

/// The head of one chain: the next position and the hash the next record must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain {
    pub next_seq: u64,
    pub prev: Hash,
}

impl Default for Chain {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev: GENESIS,
        }
    }
}

impl Chain {
    /// Resumes after a record whose position and exact bytes are known.
    pub fn after(seq: u64, body: &[u8]) -> Self {
        Self {
            // A head read from disk may say anything: never overflow on it.
            next_seq: seq.saturating_add(1),
            prev: digest(body),
        }
    }

    /// Appends `value` (which must serialise as a non-empty JSON object) to `buf` as the chain's
    /// next record, followed by a newline; returns the record's position and hash.
    pub fn append_json<T: Serialize + ?Sized>(&mut self, buf: &mut Vec<u8>, value: &T) -> serde_json::Result<(u64, Hash)> {
        let start = buf.len();
        let seq = self.append(buf, value, self.prev)?;
        let h = digest(buf.get(start..buf.len().saturating_sub(1)).unwrap_or_default());
        self.prev = h;
        Ok((seq, h))
    }

    /// Like [`Chain::append_json`] but without the hash (`prev` stays all zeros): only for
    /// measuring what the chain costs; such records do not verify.
    pub fn append_json_unchained<T: Serialize + ?Sized>(&mut self, buf: &mut Vec<u8>, value: &T) -> serde_json::Result<u64> {
        self.append(buf, value, GENESIS)
    }

    /// Writes `{"seq":N,"prev":"<hex>",<value's members>}` and a newline; on error leaves `buf`
    /// as it was.
    fn append<T: Serialize + ?Sized>(&mut self, buf: &mut Vec<u8>, value: &T, prev: Hash) -> serde_json::Result<u64> {
        use std::io::Write;
        let start = buf.len();
        let _ = write!(buf, "{{\"seq\":{},\"prev\":\"", self.next_seq);
        append_hex(buf, &prev);
        buf.extend_from_slice(b"\",");
        let mark = buf.len();
        if let Err(e) = serde_json::to_writer(&mut *buf, value) {
            buf.truncate(start);
            return Err(e);
        }
        // The value's own opening brace goes: its members follow ours.
        if buf.get(mark) != Some(&b'{') || buf.len() < mark + 2 {
            buf.truncate(start);
            return Err(serde::ser::Error::custom("el registro debe ser un objeto JSON"));
        }
        buf.remove(mark);
        if buf.len() == mark + 1 {
            // The value was `{}`: drop our trailing comma.
            buf.remove(mark - 1);
        }
        buf.push(b'\n');
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        Ok(seq)
    }
}

/// What every chained record starts with.
#[derive(Debug, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub prev: String,
}

pub fn head_of(body: &[u8]) -> Option<(u64, Hash)> {
    let h: Head = serde_json::from_slice(body).ok()?;
    Some((h.seq, hash_from_hex(&h.prev)?))
}

/// What a checkpoint asserts. Its exact serialisation is what is signed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CheckpointBody {
    pub cadena: String,
    pub nodo: String,
    /// The position of the record whose hash is `cabeza`.
    pub seq: u64,
    pub cabeza: String,
    pub ts_ms: i64,
    /// `periodico` or `poda` (the records up to `seq` were archived and removed).
    pub tipo: String,
    /// The signing key's id ([`key_id`]).
    pub clave: String,
}

/// A signed checkpoint as stored and exported.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    pub cuerpo: String,
    pub firma: String,
}

impl Checkpoint {
    /// Checks the signature with `key` and parses the body.
    pub fn open(&self, key: &PublicKey) -> Result<CheckpointBody, String> {
        let sig = from_hex(&self.firma).ok_or("la firma no es hexadecimal")?;
        if !key.verify(self.cuerpo.as_bytes(), &sig) {
            return Err("la firma no es válida para la clave pública dada".into());
        }
        let b: CheckpointBody = serde_json::from_str(&self.cuerpo).map_err(|e| format!("cuerpo ilegible: {e}"))?;
        if hash_from_hex(&b.cabeza).is_none() {
            return Err("la cabeza no es un hash".into());
        }
        Ok(b)
    }
}

/// The first 8 bytes of the public key's SHA-256, in hex.
pub fn key_id(public: &[u8]) -> String {
    to_hex(&digest(public)[..8])
}

/// An Ed25519 public key, written as `ed25519:<64 hex>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.trim().strip_prefix("ed25519:")?;
        Some(Self(from_hex(hex)?.try_into().ok()?))
    }
    pub fn id(&self) -> String {
        key_id(&self.0)
    }
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.0).verify(msg, sig).is_ok()
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ed25519:{}", to_hex(&self.0))
    }
}

/// The platform's signing key (PKCS#8 document; generated by the caller).
pub struct Signer {
    pair: Ed25519KeyPair,
}

impl Signer {
    pub fn from_pkcs8(doc: &[u8]) -> Option<Self> {
        Ed25519KeyPair::from_pkcs8(doc).ok().map(|pair| Self { pair })
    }
    pub fn public(&self) -> PublicKey {
        let mut k = [0u8; 32];
        k.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey(k)
    }
    pub fn sign(&self, msg: &[u8]) -> String {
        to_hex(self.pair.sign(msg).as_ref())
    }
    /// Signs a checkpoint body (its `clave` is set to this key's id).
    pub fn checkpoint(&self, mut body: CheckpointBody) -> Checkpoint {
        body.clave = self.public().id();
        let cuerpo = serde_json::to_string(&body).unwrap_or_default();
        let firma = self.sign(cuerpo.as_bytes());
        Checkpoint { cuerpo, firma }
    }
}

#[cfg(test)]
mod tests;
