//! What the data plane needs from the store: connectors, service descriptions, credentials, the
//! rows the snapshot compiler reads, and the call records imported from the gateway's segments.

use crate::{AuditBy, StoreResult};
use async_trait::async_trait;
use iop_domain::*;
use time::OffsetDateTime;

/// How the gateway authenticates itself to the publisher. Secrets are sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamAuth {
    None,
    /// A header of the publisher's choosing.
    Header {
        name: String,
        value_enc: Vec<u8>,
    },
    /// HTTP Basic.
    Basic {
        user: String,
        password_enc: Vec<u8>,
    },
    /// `Authorization: Bearer`.
    Bearer {
        token_enc: Vec<u8>,
    },
    /// Mutual TLS: the client certificate chain (PEM) and its private key.
    ClientCert {
        chain_pem: String,
        key_enc: Vec<u8>,
    },
}

impl UpstreamAuth {
    /// The stored kind: `ninguna`, `cabecera`, `basica`, `bearer` or `certificado_cliente`.
    pub fn kind(&self) -> &'static str {
        match self {
            UpstreamAuth::None => "ninguna",
            UpstreamAuth::Header { .. } => "cabecera",
            UpstreamAuth::Basic { .. } => "basica",
            UpstreamAuth::Bearer { .. } => "bearer",
            UpstreamAuth::ClientCert { .. } => "certificado_cliente",
        }
    }
    /// The non-secret part: header name, user, or certificate chain.
    pub fn name(&self) -> Option<&str> {
        match self {
            UpstreamAuth::None | UpstreamAuth::Bearer { .. } => None,
            UpstreamAuth::Header { name, .. } => Some(name),
            UpstreamAuth::Basic { user, .. } => Some(user),
            UpstreamAuth::ClientCert { chain_pem, .. } => Some(chain_pem),
        }
    }
    /// The sealed secret: header value, password, token or private key.
    pub fn secret_enc(&self) -> Option<&[u8]> {
        match self {
            UpstreamAuth::None => None,
            UpstreamAuth::Header { value_enc: s, .. }
            | UpstreamAuth::Basic { password_enc: s, .. }
            | UpstreamAuth::Bearer { token_enc: s }
            | UpstreamAuth::ClientCert { key_enc: s, .. } => Some(s),
        }
    }
    /// Back from the three stored columns; `None` if they do not make one of the kinds.
    pub fn from_parts(kind: &str, name: Option<String>, secret_enc: Option<Vec<u8>>) -> Option<Self> {
        Some(match (kind, name, secret_enc) {
            ("ninguna", _, _) => UpstreamAuth::None,
            ("cabecera", Some(name), Some(value_enc)) => UpstreamAuth::Header { name, value_enc },
            ("basica", user, Some(password_enc)) => UpstreamAuth::Basic {
                user: user.unwrap_or_default(),
                password_enc,
            },
            ("bearer", _, Some(token_enc)) => UpstreamAuth::Bearer { token_enc },
            ("certificado_cliente", Some(chain_pem), Some(key_enc)) => UpstreamAuth::ClientCert { chain_pem, key_enc },
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorRec {
    pub service: ServiceId,
    pub version: i64,
    pub base_path: String,
    pub upstreams: Vec<String>,
    pub connect_timeout_ms: i64,
    pub timeout_ms: i64,
    pub auth: UpstreamAuth,
    pub max_body_bytes: i64,
    pub pii_query: Vec<String>,
    /// https upstreams: the CAs to trust (PEM); `None` trusts the system's CAs.
    pub ca_pem: Option<String>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    /// The last connection probe of this version: ok or not (`None`: never probed).
    pub probe_ok: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperationRec {
    pub op_id: String,
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    /// Parameters (path or query) whose values are personal identifiers.
    pub pii_params: Vec<String>,
    pub example_status: Option<i64>,
    pub example: Option<String>,
    /// The media type of the example (`None`: JSON, as before it was kept).
    #[serde(default)]
    pub example_type: Option<String>,
    /// The sandbox's answer was generated from the schema (the document has no example).
    #[serde(default)]
    pub example_generated: bool,
}

/// What is kept beside a service's description (the document itself left out).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DescriptionInfo {
    pub sha256: String,
    pub format: String,
    /// The import report (JSON array of coded items).
    pub report: String,
    pub servers: Vec<String>,
}

/// A service's description as imported.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DescriptionRec {
    /// The OpenAPI 3 document the platform uses; empty when `document_gz` holds it.
    pub document: String,
    /// The document gzip-compressed (see [`gzip`]), as the importer keeps it.
    pub document_gz: Option<Vec<u8>>,
    /// SHA-256 of what was uploaded.
    pub sha256: String,
    /// `openapi-3.0`, `openapi-3.1` or `swagger-2.0`.
    pub format: String,
    /// What was uploaded, when `document` is a conversion or a bundle of it.
    pub original: Option<Vec<u8>>,
    /// The import report (JSON array of coded items).
    pub report: String,
    /// The `servers` URLs the document declares.
    pub servers: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    ApiKey,
    JwtHs256,
    /// JWT signed by the consumer with its RSA private key; the platform keeps the public key.
    JwtRs256,
    /// JWT signed by the consumer with its P-256 private key; the platform keeps the public key.
    JwtEs256,
}

impl CredentialKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            CredentialKind::ApiKey => "apikey",
            CredentialKind::JwtHs256 => "jwt_hs256",
            CredentialKind::JwtRs256 => "jwt_rs256",
            CredentialKind::JwtEs256 => "jwt_es256",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s {
            "apikey" => Ok(Self::ApiKey),
            "jwt_hs256" => Ok(Self::JwtHs256),
            "jwt_rs256" => Ok(Self::JwtRs256),
            "jwt_es256" => Ok(Self::JwtEs256),
            _ => Err(Invalid::of("tipo_credencial_invalido", &[])),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRec {
    pub id: CredentialId,
    pub system: SystemId,
    pub kind: CredentialKind,
    /// API key: hex of its keyed hash. JWT: the `iss` value.
    pub key_id: String,
    /// A recognisable, non-secret prefix (`iop_k_1a2b…`).
    pub hint: String,
    /// JWT HS256: the secret, encrypted.
    pub secret_enc: Option<Vec<u8>>,
    /// JWT RS256/ES256: the consumer's public key (SubjectPublicKeyInfo, DER).
    pub public_key: Option<Vec<u8>>,
    /// The request whose step 4 issued it, if any.
    pub request: Option<RequestId>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub replaced_by: Option<CredentialId>,
    /// JWT: tokens without `exp` are refused.
    pub jwt_require_exp: bool,
    /// JWT: `exp` may lie at most this many seconds ahead.
    pub jwt_max_lifetime_s: Option<i64>,
    /// For the sandbox only (`/fake/…`): never lets a call through to a real service.
    pub sandbox_only: bool,
}

/// Compresses a description's document for [`DescriptionRec::document_gz`] (fast level: it runs
/// for every upload; JSON and YAML still shrink several times).
pub fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(text.len() / 6), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(text.as_bytes());
    e.finish().unwrap_or_default()
}

/// The text of a stored document: `gz` when the importer compressed it, else `text`.
pub(crate) fn document_text(text: Option<String>, gz: Option<Vec<u8>>) -> crate::StoreResult<Option<String>> {
    use std::io::Read;
    match gz {
        Some(gz) => {
            let mut out = String::new();
            flate2::read::GzDecoder::new(gz.as_slice())
                .read_to_string(&mut out)
                .map_err(|_| crate::StoreError::backend_msg("stored value does not parse: document_gz"))?;
            Ok(Some(out))
        }
        None => Ok(text),
    }
}

/// Which write of a service's operations something was made from: the description's hash and
/// when it was stored (every write of the operations rewrites both). The snapshot compiler keeps
/// compiled operations by it and asks the store only for those of services whose key it lacks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OperationsKey {
    pub sha256: String,
    pub stored_at_ms: i64,
}

impl OperationsKey {
    /// The key of operations stored at `at` from the description whose hash is `sha256`.
    pub fn new(sha256: &str, at: OffsetDateTime) -> Self {
        Self {
            sha256: sha256.to_owned(),
            stored_at_ms: crate::sqlite::ms(at),
        }
    }
}

/// A published service as the compiler sees it.
#[derive(Debug, Clone)]
pub struct RouteRow {
    pub service: crate::ServiceRec,
    pub entity_sigla: Sigla,
    pub connector: ConnectorRec,
    /// The key of the service's stored operations (none without a description).
    pub operations_key: Option<OperationsKey>,
    /// The operations, or `None` when the caller said it holds them under `operations_key`.
    pub operations: Option<Vec<OperationRec>>,
}

#[derive(Debug, Clone)]
pub struct CredentialRow {
    pub credential: CredentialRec,
    pub system_code: Code,
    pub entity_sigla: Sigla,
}

#[derive(Debug, Clone)]
pub struct GrantRow {
    pub grant: crate::GrantRec,
    pub request_code: TrackingCode,
}

/// Everything the snapshot compiler reads, in one consistent read.
#[derive(Debug, Clone, Default)]
pub struct GatewayRows {
    pub routes: Vec<RouteRow>,
    pub credentials: Vec<CredentialRow>,
    pub grants: Vec<GrantRow>,
}

#[async_trait]
pub trait GatewayStore: Send + Sync {
    /// Stores a new connector version (its number is one above the last); the base path must not
    /// be in force for another service.
    async fn put_connector(&self, c: ConnectorRec, by: &AuditBy) -> StoreResult<ConnectorRec>;
    async fn connector(&self, service: ServiceId) -> StoreResult<Option<ConnectorRec>>;
    async fn connector_versions(&self, service: ServiceId) -> StoreResult<Vec<ConnectorRec>>;
    /// Replaces a service's description and its operations together. The operations are taken
    /// by value: their texts (a large description's examples are megabytes) move into the
    /// statements instead of being copied on the caller's thread.
    async fn set_description(
        &self,
        service: ServiceId,
        description: &DescriptionRec,
        ops: Vec<OperationRec>,
        now: OffsetDateTime,
        by: &AuditBy,
    ) -> StoreResult<()>;
    async fn operations(&self, service: ServiceId) -> StoreResult<Vec<OperationRec>>;
    /// The service's OpenAPI description as it was given (JSON or YAML), if it has one.
    async fn description(&self, service: ServiceId) -> StoreResult<Option<String>>;
    /// What is known of the service's description without reading it (nor its original): hash,
    /// format, import report and servers.
    async fn description_info(&self, service: ServiceId) -> StoreResult<Option<DescriptionInfo>>;

    async fn create_credential(&self, c: &CredentialRec, by: &AuditBy) -> StoreResult<()>;
    async fn credential(&self, id: CredentialId) -> StoreResult<Option<CredentialRec>>;
    async fn credentials_of_system(&self, system: SystemId) -> StoreResult<Vec<CredentialRec>>;
    async fn revoke_credential(&self, id: CredentialId, now: OffsetDateTime, by: &AuditBy) -> StoreResult<()>;
    /// Issues `new` and makes `old` expire at `old_expires_at`, together; for a credential of a
    /// request, `delivery` (the new secret, sealed for the requesting unit) in the same commit.
    async fn rotate_credential(
        &self,
        old: CredentialId,
        new: &CredentialRec,
        old_expires_at: OffsetDateTime,
        delivery: Option<&crate::DeliveryRec>,
        by: &AuditBy,
    ) -> StoreResult<()>;

    /// Published services with a connector, live credentials, live grants. The operations of a
    /// service are left out (`None`) when `known` holds the service with the key of its stored
    /// operations: a rebuild does not read every example of every service again.
    async fn gateway_rows(&self, known: &std::collections::HashMap<ServiceId, OperationsKey>) -> StoreResult<GatewayRows>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document kept compressed reads back as its text; rows written before keep their text;
    /// damaged bytes are an error, not a wrong document.
    #[test]
    fn stored_documents_read_back_as_their_text() {
        let text = "openapi: 3.0.3\ninfo: {title: año, version: '1'}\n".repeat(500);
        let gz = gzip(&text);
        assert!(gz.len() * 10 < text.len(), "{} of {}", gz.len(), text.len());
        assert_eq!(
            document_text(Some(String::new()), Some(gz.clone())).ok().flatten(),
            Some(text.clone())
        );
        assert_eq!(document_text(Some(text.clone()), None).ok().flatten(), Some(text));
        assert_eq!(document_text(None, None).ok().flatten(), None);
        let mut cut = gz;
        cut.truncate(cut.len() / 2);
        assert!(document_text(None, Some(cut)).is_err());
    }
}
