//! PR05 step 4 "sends the accesses (credentials)": use cases, apart from HTTP. The secrets of the
//! credentials issued for a request are sealed for the requesting unit in the same commit as the
//! issue (step 4, or a rotation); any Solicitante of that unit retrieves them once in total; the
//! sealed secrets are erased on retrieval or after `access_delivery_days` working days. Whoever
//! issued them sees "pendiente de retiro", never the secret.

use crate::AppState;
use crate::credentials::Issued;
use crate::dto::{IssuedCredentialOut, RetrievedOut};
use crate::error::{AppError, AppResult};
use crate::service::{load_visible, rfc3339};
use iop_domain::*;
use iop_store::*;
use serde::{Deserialize, Serialize};

/// The sealed payload: one entry per credential.
#[derive(Serialize, Deserialize)]
struct Secret {
    credencial_id: String,
    clave: Option<String>,
    iss: Option<String>,
    secreto: Option<String>,
}

/// The delivery of freshly issued credentials of `request`, sealed for its unit.
pub fn seal(st: &AppState, request: &RequestRec, system: SystemId, issued: &[Issued], by: UserId) -> AppResult<DeliveryRec> {
    let hooks = st.hooks()?;
    let secrets: Vec<Secret> = issued
        .iter()
        .map(|i| Secret {
            credencial_id: i.rec.id.to_string(),
            clave: i.api_key.clone(),
            iss: (i.rec.kind != CredentialKind::ApiKey).then(|| i.rec.key_id.clone()),
            secreto: i.jwt_secret.clone(),
        })
        .collect();
    let plain = serde_json::to_vec(&secrets).map_err(|_| AppError::internal())?;
    let unit = request.facts.unit;
    let now = st.now();
    let days = Deadline::WorkingDays(st.config.access_delivery_days.max(1));
    Ok(DeliveryRec {
        id: DeliveryId::generate(),
        request: request.id,
        system,
        unit,
        credentials: issued
            .iter()
            .map(|i| DeliveredCredential {
                id: i.rec.id.to_string(),
                tipo: i.rec.kind.as_str().to_owned(),
                prefijo: i.rec.hint.clone(),
            })
            .collect(),
        sealed: Some(hooks.secrets.for_unit(&unit.to_string()).seal(&plain)?),
        issued_by: by,
        issued_at: now,
        expires_at: st.config.calendar.due(now, days),
        retrieved_by: None,
        retrieved_by_login: None,
        retrieved_at: None,
        expired_at: None,
    })
}

/// The request's deliveries (anyone who sees the request; never a secret).
pub async fn list(st: &AppState, actor: &UserRec, raw: &str) -> AppResult<Vec<DeliveryRec>> {
    let rec = load_visible(st, actor, raw).await?;
    of_request(st, &rec).await
}

/// The deliveries of a request already loaded for someone who may see it.
pub async fn of_request(st: &AppState, rec: &RequestRec) -> AppResult<Vec<DeliveryRec>> {
    Ok(st.store.deliveries(rec.id, st.now()).await?)
}

/// Retrieves the pending accesses of a request, once in total.
pub async fn retrieve(st: &AppState, actor: &UserRec, raw: &str) -> AppResult<RetrievedOut> {
    let rec = load_visible(st, actor, raw).await?;
    if !rec.facts.accesses_retrievable_by(&actor.actor()) {
        return Err(AppError::of("retiro_no_autorizado", &[]));
    }
    let hooks = st.hooks()?;
    let now = st.now();
    // Opened before anything is erased: if a delivery does not open (a changed master key), the
    // answer is an error and the secrets stay where they were.
    let all = st.store.deliveries(rec.id, now).await?;
    let mut opened = Vec::new();
    for d in all.iter().filter(|d| d.sealed.is_some()) {
        let unit_box = hooks.secrets.for_unit(&d.unit.to_string());
        let secrets: Vec<Secret> = d
            .sealed
            .as_deref()
            .and_then(|s| unit_box.open(s))
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or_else(|| {
                tracing::error!(entrega = %d.id, "no se pudo abrir una entrega de credenciales");
                AppError::internal()
            })?;
        opened.push((d.id, secrets));
    }
    let ids: Vec<DeliveryId> = opened.iter().map(|(id, _)| *id).collect();
    let taken = if ids.is_empty() {
        Vec::new()
    } else {
        st.store.take_deliveries(rec.id, &ids, actor.id, now, &AuditBy::user(actor)).await?
    };
    if taken.is_empty() {
        // Nothing was pending, or another retrieval took it in between: read again only then.
        let all = if ids.is_empty() {
            all
        } else {
            st.store.deliveries(rec.id, now).await?
        };
        let Some(last) = all.last() else {
            return Err(AppError::of("no_encontrado.credenciales-de-solicitud", &[]));
        };
        return Err(match (&last.retrieved_by_login, last.retrieved_at, last.expired_at) {
            (Some(who), Some(at), _) => AppError::of("accesos_ya_retirados", iop_i18n::args![quien = who, fecha = &rfc3339(at)]),
            (_, _, Some(at)) => AppError::of("accesos_vencidos", iop_i18n::args![fecha = &rfc3339(at)]),
            _ => AppError::internal(),
        });
    }
    // Only what this call took (another may have taken some in between).
    let mut out = Vec::new();
    for (id, secrets) in opened {
        if !taken.iter().any(|d| d.id == id) {
            continue;
        }
        for s in secrets {
            let cred = match CredentialId::parse(&s.credencial_id) {
                Ok(id) => st.store.credential(id).await?,
                Err(_) => None,
            };
            let Some(cred) = cred else { continue };
            out.push(IssuedCredentialOut {
                credencial: crate::credentials::credential_out(&cred),
                clave: s.clave,
                iss: s.iss,
                secreto: s.secreto,
                pendiente_de_retiro: false,
            });
        }
    }
    tracing::info!(solicitud = %rec.code, usuario = %actor.login, credenciales = out.len(), "credenciales retiradas");
    Ok(RetrievedOut { credenciales: out })
}
