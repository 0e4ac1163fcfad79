//! Errors of the operator's side of the control plane (key files, the audit witness, export and
//! archive, the call-record importer). They reach the CLI and the logs, never an API client, so
//! they carry their source error instead of a code.

use std::path::PathBuf;

use iop_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// A file could not be read, created, written or synced.
    #[error("{que} {}: {source}", ruta.display())]
    Io {
        que: &'static str,
        ruta: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A key file holds something that is not the key it should.
    #[error("{que} {}: {problema}", ruta.display())]
    Key {
        que: &'static str,
        ruta: PathBuf,
        problema: &'static str,
    },
    #[error("sin aleatoriedad del sistema")]
    NoRandomness,
    #[error("almacén: {0}")]
    Store(#[from] StoreError),
    /// Writing an export (to a file or a pipe) failed.
    #[error("exportación: {0}")]
    Export(#[source] std::io::Error),
    /// An archive was written but did not verify: nothing was pruned.
    #[error("el archivo no verificó; no se podó nada: {0}")]
    ArchiveUnverified(iop_audit::Problem),
    #[error("la cadena {stream}/{node} no quedó archivada; no se podó")]
    NotArchived { stream: String, node: String },
    #[error("tarea interrumpida: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Utf8(#[from] std::str::Utf8Error),
}

impl OpsError {
    pub(crate) fn io(que: &'static str, ruta: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> OpsError {
        let ruta = ruta.into();
        move |source| OpsError::Io { que, ruta, source }
    }
}
