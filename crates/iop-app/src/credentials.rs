//! Issuing consumer credentials. API keys: `iop_k_` + 256 random bits, kept as a keyed hash.
//! JWT (HS256): `iss` = `iop_j_` + 96 random bits, secret `iop_js_` + 256 random bits, kept
//! encrypted. The secrets are returned once, to be delivered to the consuming entity.

use crate::auth::random_hex;
use crate::dto::{CredentialOut, IssuedCredentialOut};
use crate::error::{AppError, AppResult};
use crate::secrets::SecretBox;
use crate::service::rfc3339;
use iop_domain::{CredentialId, RequestId, SystemId, UserId};
use iop_gateway::DerivedKeys;
use iop_store::{CredentialKind, CredentialRec};
use time::OffsetDateTime;

/// Step 4 of a consumption: the assigned Líder registers the beneficiary system's public key (an
/// RS256 or ES256 JWT credential; nothing secret is issued), as the request's step 4 allows.
pub async fn register_key_for_request(
    st: &crate::AppState,
    actor: &iop_store::UserRec,
    raw: &str,
    tipo: &str,
    pem: &str,
) -> AppResult<CredentialRec> {
    let request = crate::service::load_visible(st, actor, raw).await?;
    iop_domain::may_prepare_enablement(&request.facts, &actor.actor())?;
    let Some(system) = request.content.system.filter(|_| request.content.kind.consumes()) else {
        return Err(AppError::of("campo_requerido.sistema", &[]).field("sistema_id"));
    };
    // An API key or an HS256 JWT sent here by hand has a key it does not take: refused.
    let input = crate::dto::CredentialIn {
        tipo: tipo.to_owned(),
        clave_publica: Some(pem.trim().to_owned()),
        jwt_exige_exp: None,
        jwt_vigencia_max_s: None,
        solo_sandbox: None,
    };
    // On the legal chain: the request whose step 4 registered it.
    Ok(create_for_system(st, actor, system, Some(request.id), &input).await?.rec)
}

/// Issues a credential to a system (API key, JWT HS256: the secret is in the answer only) or
/// registers its public key (JWT RS256/ES256), with its JWT policy; stored with its audit record
/// and in force at the gateway before this returns.
pub async fn create_for_system(
    st: &crate::AppState,
    actor: &iop_store::UserRec,
    system: SystemId,
    request: Option<RequestId>,
    i: &crate::dto::CredentialIn,
) -> AppResult<Issued> {
    let kind = CredentialKind::parse(&i.tipo).map_err(|e| AppError::invalid("tipo", e))?;
    let hooks = st.hooks()?;
    let mut issued = match (Issuable::from_kind(kind), i.clave_publica.as_deref()) {
        (Some(k), None) => issue(k, system, actor.id, request, &hooks.keys, &hooks.secrets, st.now())?,
        (Some(_), Some(_)) => return Err(AppError::of("campo_sobrante", &[]).field("clave_publica")),
        (None, None) => return Err(AppError::of("campo_requerido.clave-publica", &[]).field("clave_publica")),
        (None, Some(pem)) => {
            let mut r = register_public_key(kind, pem, system, actor.id, st.now())?;
            r.rec.request = request;
            r
        }
    };
    set_jwt_policy(&mut issued.rec, i.jwt_exige_exp, i.jwt_vigencia_max_s)?;
    // A sandbox credential needs no PR05 request: the sandbox serves fictitious examples only.
    issued.rec.sandbox_only = i.solo_sandbox.unwrap_or(false);
    st.store.create_credential(&issued.rec, &iop_store::AuditBy::user(actor)).await?;
    tracing::info!(usuario = %actor.login, credencial = %issued.rec.id, tipo = kind.as_str(), "credencial emitida");
    // The secret is handed out only once the gateway accepts it.
    st.gateway_applied().await;
    Ok(issued)
}

/// The public-key credentials (RS256, ES256) a request's step 4 registered, still in force.
pub async fn public_keys_of_request(st: &crate::AppState, request: &iop_store::RequestRec) -> AppResult<Vec<CredentialRec>> {
    let Some(system) = request.content.system else {
        return Ok(Vec::new());
    };
    Ok(st
        .store
        .credentials_of_system(system)
        .await?
        .into_iter()
        .filter(|c| c.request == Some(request.id) && c.public_key.is_some() && c.revoked_at.is_none())
        .collect())
}

/// Registers a consumer's public key (PEM `PUBLIC KEY`) as an RS256 or ES256 JWT credential:
/// nothing secret is issued; the consumer signs with its private key and names `iss`.
pub fn register_public_key(kind: CredentialKind, pem: &str, system: SystemId, by: UserId, now: OffsetDateTime) -> AppResult<Issued> {
    use rustls::pki_types::SubjectPublicKeyInfoDer;
    use rustls::pki_types::pem::PemObject;
    let bad = |key: &'static str| AppError::of(key, &[]).field("clave_publica");
    let der = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes()).map_err(|_| bad("clave_publica_invalida.pem"))?;
    let verifier = iop_gateway::auth::verifier_from_spki(der.as_ref()).map_err(|e| bad("clave_publica_invalida.inutilizable").detail(e))?;
    let matches = matches!(
        (kind, &verifier),
        (CredentialKind::JwtRs256, iop_gateway::JwtVerifier::Rs256(_)) | (CredentialKind::JwtEs256, iop_gateway::JwtVerifier::Es256(_))
    );
    if !matches {
        return Err(bad("clave_publica_invalida.tipo"));
    }
    let iss = format!("iop_j_{}", random_hex(12));
    Ok(Issued {
        rec: fresh(system, kind, iss.clone(), iss, None, Some(der.as_ref().to_vec()), None, by, now),
        api_key: None,
        jwt_secret: None,
    })
}

/// A new, live credential record.
#[allow(clippy::too_many_arguments)]
fn fresh(
    system: SystemId,
    kind: CredentialKind,
    key_id: String,
    hint: String,
    secret_enc: Option<Vec<u8>>,
    public_key: Option<Vec<u8>>,
    request: Option<RequestId>,
    by: UserId,
    now: OffsetDateTime,
) -> CredentialRec {
    CredentialRec {
        id: CredentialId::generate(),
        system,
        kind,
        key_id,
        hint,
        secret_enc,
        public_key,
        request,
        created_by: by,
        created_at: now,
        expires_at: None,
        revoked_at: None,
        replaced_by: None,
        jwt_require_exp: kind != CredentialKind::ApiKey,
        jwt_max_lifetime_s: (kind != CredentialKind::ApiKey).then_some(DEFAULT_JWT_MAX_LIFETIME_S),
        sandbox_only: false,
    }
}

/// The longest a new JWT credential's tokens may live (`exp` ahead of now), unless set otherwise.
pub const DEFAULT_JWT_MAX_LIFETIME_S: i64 = 24 * 3600;

/// What a JWT credential demands of its tokens: `exp` required (`exige_exp`, default yes) and at
/// most `vigencia_max_s` ahead (default 24 h; 0 means no bound). Not for API keys.
pub fn set_jwt_policy(rec: &mut CredentialRec, exige_exp: Option<bool>, vigencia_max_s: Option<u32>) -> AppResult<()> {
    if rec.kind == CredentialKind::ApiKey {
        if exige_exp.is_some() || vigencia_max_s.is_some() {
            let field = if exige_exp.is_some() {
                "jwt_exige_exp"
            } else {
                "jwt_vigencia_max_s"
            };
            return Err(AppError::of("politica_jwt_invalida.solo-jwt", iop_i18n::args![campo = &field]).field(field));
        }
        return Ok(());
    }
    if let Some(e) = exige_exp {
        rec.jwt_require_exp = e;
    }
    if let Some(v) = vigencia_max_s {
        if v > 366 * 24 * 3600 {
            return Err(AppError::of("politica_jwt_invalida.vigencia-maxima", &[]).field("jwt_vigencia_max_s"));
        }
        rec.jwt_max_lifetime_s = (v > 0).then_some(i64::from(v));
    }
    Ok(())
}

pub struct Issued {
    pub rec: CredentialRec,
    pub api_key: Option<String>,
    pub jwt_secret: Option<String>,
}

/// The kinds the platform issues (with a secret). RS256/ES256 are registered from the consumer's
/// public key instead ([`register_public_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuable {
    ApiKey,
    JwtHs256,
}

impl Issuable {
    pub fn from_kind(k: CredentialKind) -> Option<Self> {
        match k {
            CredentialKind::ApiKey => Some(Self::ApiKey),
            CredentialKind::JwtHs256 => Some(Self::JwtHs256),
            CredentialKind::JwtRs256 | CredentialKind::JwtEs256 => None,
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn issue(
    kind: Issuable,
    system: SystemId,
    by: UserId,
    request: Option<RequestId>,
    keys: &DerivedKeys,
    secrets: &SecretBox,
    now: OffsetDateTime,
) -> Result<Issued, crate::secrets::SealError> {
    Ok(match kind {
        Issuable::ApiKey => {
            let kind = CredentialKind::ApiKey;
            let key = format!("iop_k_{}", random_hex(32));
            let hash = iop_audit::to_hex(&keys.api_key_hash(&key));
            Issued {
                rec: fresh(
                    system,
                    kind,
                    hash,
                    format!("{}…", key.get(..14).unwrap_or(&key)),
                    None,
                    None,
                    request,
                    by,
                    now,
                ),
                api_key: Some(key),
                jwt_secret: None,
            }
        }
        Issuable::JwtHs256 => {
            let kind = CredentialKind::JwtHs256;
            let iss = format!("iop_j_{}", random_hex(12));
            let secret = format!("iop_js_{}", random_hex(32));
            Issued {
                rec: fresh(
                    system,
                    kind,
                    iss.clone(),
                    iss,
                    Some(secrets.seal(secret.as_bytes())?),
                    None,
                    request,
                    by,
                    now,
                ),
                api_key: None,
                jwt_secret: Some(secret),
            }
        }
    })
}

pub fn credential_out(c: &CredentialRec) -> CredentialOut {
    CredentialOut {
        id: c.id.to_string(),
        tipo: c.kind.as_str().to_owned(),
        sistema_id: c.system.to_string(),
        pista: c.hint.clone(),
        solicitud_id: c.request.map(|r| r.to_string()),
        creada: rfc3339(c.created_at),
        vence: c.expires_at.map(rfc3339),
        revocada: c.revoked_at.map(rfc3339),
        reemplazada_por: c.replaced_by.map(|r| r.to_string()),
        jwt_exige_exp: (c.kind != CredentialKind::ApiKey).then_some(c.jwt_require_exp),
        jwt_vigencia_max_s: c.jwt_max_lifetime_s,
        solo_sandbox: c.sandbox_only,
    }
}

pub fn issued_out(i: &Issued) -> IssuedCredentialOut {
    IssuedCredentialOut {
        credencial: credential_out(&i.rec),
        clave: i.api_key.clone(),
        iss: (i.rec.kind != CredentialKind::ApiKey).then(|| i.rec.key_id.clone()),
        secreto: i.jwt_secret.clone(),
        pendiente_de_retiro: false,
    }
}

/// A credential issued for a request, as its issuer sees it: no secret, pending retrieval.
pub fn pending_out(c: &CredentialRec) -> IssuedCredentialOut {
    IssuedCredentialOut {
        credencial: credential_out(c),
        clave: None,
        iss: (c.kind != CredentialKind::ApiKey).then(|| c.key_id.clone()),
        secreto: None,
        pendiente_de_retiro: true,
    }
}
