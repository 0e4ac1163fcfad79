//! The control plane's one module for hashing, keyed hashing and sealing: the platform's master key
//! and what is derived from it (the gateway's keyed hashes of API keys and personal identifiers,
//! the encryption of stored secrets with ChaCha20-Poly1305, per-unit boxes for step 4's
//! deliveries), SHA-256 in hex (documents, descriptions, session tokens) and comparing secrets in
//! constant time.

use crate::ops_error::OpsError;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use iop_gateway::DerivedKeys;
use iop_gateway::auth::hmac256;
use std::path::Path;

/// SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    iop_store::blobs::sha256_hex(bytes)
}

/// Whether two secrets are equal, compared in constant time (through their keyed hashes).
pub fn same_secret(a: &str, b: &str) -> bool {
    hmac256(b"iop/comparar", a.as_bytes()) == hmac256(b"iop/comparar", b.as_bytes())
}

/// The master key (32 bytes). Never logged.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    /// Reads the key file (64 hex digits), creating it with a random key (mode 0600) if missing.
    pub fn load_or_create(path: &Path) -> Result<Self, OpsError> {
        const QUE: &str = "clave maestra";
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(OpsError::io(QUE, path))?;
            return iop_audit::hash_from_hex(text.trim()).map(Self).ok_or_else(|| OpsError::Key {
                que: QUE,
                ruta: path.to_path_buf(),
                problema: "debe tener 64 dígitos hexadecimales",
            });
        }
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).map_err(|_| OpsError::NoRandomness)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(OpsError::io("directorio", dir))?;
        }
        write_private(path, &iop_audit::to_hex(&k)).map_err(OpsError::io(QUE, path))?;
        Ok(Self(k))
    }

    pub fn derived(&self) -> DerivedKeys {
        DerivedKeys::from_master(&self.0)
    }

    pub fn secret_box(&self) -> SecretBox {
        SecretBox(hmac256(&self.0, b"iop/v1/secretos"))
    }
}

#[cfg(unix)]
pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// Encrypts and decrypts stored secrets: `nonce (12) || ciphertext`.
#[derive(Clone)]
pub struct SecretBox([u8; 32]);

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

/// A secret could not be sealed (no randomness for the nonce, or the cipher refused): nothing is
/// stored, rather than a secret under a predictable nonce or an empty ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no se pudo cifrar el secreto (sin aleatoriedad del sistema)")]
pub struct SealError;

impl SecretBox {
    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        self.seal_with(plain, |n| getrandom::fill(n).map_err(|_| SealError))
    }

    /// [`SecretBox::seal`] with the nonce drawn by `fill` (tests inject a failing source).
    fn seal_with(&self, plain: &[u8], fill: impl FnOnce(&mut [u8]) -> Result<(), SealError>) -> Result<Vec<u8>, SealError> {
        let cipher = ChaCha20Poly1305::new(&Key::from(self.0));
        let mut nonce = [0u8; 12];
        fill(&mut nonce)?;
        let ct = cipher.encrypt(&Nonce::from(nonce), plain).map_err(|_| SealError)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// The box for secrets sealed for one requesting unit (step 4's accesses): a key of its own,
    /// so that what is sealed for one unit does not open as another's.
    pub fn for_unit(&self, unit: &str) -> SecretBox {
        SecretBox(hmac256(&self.0, format!("iop/v1/accesos/{unit}").as_bytes()))
    }

    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < 12 + 16 {
            return None;
        }
        let cipher = ChaCha20Poly1305::new(&Key::from(self.0));
        let (nonce, ct) = sealed.split_first_chunk::<12>()?;
        cipher.decrypt(&Nonce::from(*nonce), ct).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key() {
        let a = MasterKey::from_bytes([7; 32]).secret_box();
        let b = MasterKey::from_bytes([8; 32]).secret_box();
        let sealed = a.seal(b"secreto").unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(&sealed[12..], b"secreto");
        assert_eq!(a.open(&sealed).as_deref(), Some(&b"secreto"[..]));
        assert_eq!(b.open(&sealed), None);
        let mut tampered = sealed.clone();
        if let Some(x) = tampered.last_mut() {
            *x ^= 1;
        }
        assert_eq!(a.open(&tampered), None);
    }

    #[test]
    fn without_randomness_nothing_is_sealed() {
        let a = MasterKey::from_bytes([7; 32]).secret_box();
        assert_eq!(a.seal_with(b"secreto", |_| Err(SealError)), Err(SealError));
        // Two seals of the same secret never share a nonce.
        let (x, y) = (a.seal(b"s"), a.seal(b"s"));
        assert!(x.is_ok() && y.is_ok() && x.ok().map(|v| v[..12].to_vec()) != y.ok().map(|v| v[..12].to_vec()));
    }

    /// Secrets sealed by earlier versions (this fixture was sealed with master key 07…07) open
    /// with this one: the format is `nonce (12) || ChaCha20-Poly1305 ciphertext`.
    #[test]
    fn secrets_sealed_before_still_open() {
        let a = MasterKey::from_bytes([7; 32]).secret_box();
        let fixture = iop_audit::from_hex(FIXTURE).unwrap_or_default();
        assert_eq!(a.open(&fixture).as_deref(), Some(&b"iop_js_fixture-secreto"[..]));
    }

    const FIXTURE: &str = "72739ce067db0a66e090e6d4d6137563d1c1188b097b7327bb17c673f2e417353a2d97d1da8cc6173f84a7642d25433dd133";

    #[test]
    fn the_key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("clave");
        let k1 = MasterKey::load_or_create(&p).unwrap_or_else(|e| panic!("{e}"));
        let k2 = MasterKey::load_or_create(&p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(k1.0, k2.0);
        std::fs::write(&p, "corta").unwrap_or_else(|e| panic!("{e}"));
        let e = MasterKey::load_or_create(&p).err();
        assert!(matches!(e, Some(OpsError::Key { .. })), "{e:?}");
        // An unreadable path keeps the I/O error as the source.
        let e = MasterKey::load_or_create(dir.path()).err();
        let source = e.as_ref().and_then(|e| std::error::Error::source(e));
        assert!(source.is_some_and(|s| s.is::<std::io::Error>()), "{e:?}");
    }
}
