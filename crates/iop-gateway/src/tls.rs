//! TLS on the gateway listener (rustls, ring provider), with ALPN for HTTP/2 and HTTP/1.1.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// Builds the acceptor from PEM files: a certificate chain and its private key.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("certificado {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("certificado {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("certificado {}: no contiene ningún certificado PEM", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("clave privada {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificado y clave no válidos: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Where Debian (and most Linux systems) keep the trusted CAs.
const SYSTEM_CAS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// TLS settings towards an https upstream: trust `ca_pem` (or the system's CAs), and present a
/// client certificate when the connector has one (`cert_pem` chain and `key_pem`).
pub fn client_config(ca_pem: Option<&str>, client: Option<(&str, &str)>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    let certs: Vec<CertificateDer<'static>> = match ca_pem {
        Some(pem) => CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("ca_pem: {e}"))?,
        None => CertificateDer::pem_file_iter(SYSTEM_CAS)
            .map_err(|e| format!("sin CA del sistema ({SYSTEM_CAS}): {e}"))?
            .filter_map(Result::ok)
            .collect(),
    };
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err("ca_pem: no contiene ningún certificado de CA utilizable".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let mut config = match client {
        None => builder.with_no_client_auth(),
        Some((cert_pem, key_pem)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("certificado de cliente: {e}"))?;
            if chain.is_empty() {
                return Err("certificado de cliente: no contiene ningún certificado PEM".into());
            }
            let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| format!("clave del certificado de cliente: {e}"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("certificado de cliente y clave no válidos: {e}"))?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
