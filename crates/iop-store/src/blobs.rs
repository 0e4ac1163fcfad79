//! Content-addressed file storage for uploaded documents: `<root>/<aa>/<sha256>`. A blob is
//! written to a temporary file and renamed into place, so a reader never sees half a file; writing
//! the same content twice is harmless.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    iop_audit::to_hex(&iop_audit::digest(bytes))
}

impl BlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path_of(&self, sha: &str) -> Option<PathBuf> {
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.join(sha.get(..2)?).join(sha))
    }

    /// Stores `bytes` and returns their SHA-256 (hex).
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = sha256_hex(bytes);
        let path = self.path_of(&sha).ok_or_else(|| std::io::Error::other("bad hash"))?;
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(sha);
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        tokio::fs::create_dir_all(dir).await?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", uuid::Uuid::now_v7()));
        tokio::fs::write(&tmp, bytes).await?;
        let f = tokio::fs::File::open(&tmp).await?;
        f.sync_all().await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(sha)
    }

    pub async fn get(&self, sha: &str) -> std::io::Result<Vec<u8>> {
        let path = self.path_of(sha).ok_or_else(|| std::io::Error::other("bad hash"))?;
        tokio::fs::read(path).await
    }
}
