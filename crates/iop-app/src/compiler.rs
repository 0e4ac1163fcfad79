//! Compiles the store's gateway rows into an immutable [`Snapshot`] and publishes it. Runs off the
//! hot path: after every committed change the control plane calls [`Publisher::changed`]; a task
//! rebuilds (coalescing bursts of changes) and swaps the result in atomically. A revocation is also
//! applied at once, incrementally, so it takes effect before the rebuild finishes.

use crate::secrets::SecretBox;
use base64::Engine;
use iop_domain::ServiceId;
use iop_domain::calendar::LA_PAZ;
use iop_gateway::snapshot::{Consumer, Grant, JwtPolicy, JwtVerifier, Operation, Rate, Route, Segment, SnapshotBuilder};
use iop_gateway::{Snapshot, SnapshotHandle, TlsUpstream};
use iop_store::{CredentialKind, GatewayRows, OperationRec, OperationsKey, Store, UpstreamAuth};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

fn day_start_ms(d: time::Date) -> i64 {
    let t = d.with_time(time::Time::MIDNIGHT).assume_offset(LA_PAZ);
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// One shared copy of a repeated string.
fn intern(map: &mut HashMap<String, Arc<str>>, s: &str) -> Arc<str> {
    if let Some(a) = map.get(s) {
        return a.clone();
    }
    let a: Arc<str> = s.into();
    map.insert(s.to_owned(), a.clone());
    a
}

/// The headers of a deprecated version: `Deprecation: @<seconds>` (RFC 9745) and `Sunset: <HTTP
/// date>` (RFC 8594).
fn deprecation(from: time::OffsetDateTime, sunset: Option<time::OffsetDateTime>) -> Option<iop_gateway::Deprecation> {
    let http_date = |t: time::OffsetDateTime| {
        let f = time::macros::format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");
        t.to_offset(time::UtcOffset::UTC).format(&f).ok()
    };
    Some(iop_gateway::Deprecation {
        from_ms: (from.unix_timestamp_nanos() / 1_000_000) as i64,
        deprecation: hyper::header::HeaderValue::from_str(&format!("@{}", from.unix_timestamp())).ok()?,
        sunset: sunset
            .and_then(http_date)
            .and_then(|s| hyper::header::HeaderValue::from_str(&s).ok()),
    })
}

/// What a rebuild keeps for the next one.
#[derive(Default)]
pub struct Caches {
    /// The TLS client settings of every connector version in use (by `service:version`): each is
    /// built once, and its key names its pool of upstream connections, so a rebuild neither
    /// reconnects nor leaks idle connections.
    tls: TlsCache,
    /// Each published service's compiled operations, by the key of the stored operations they
    /// were compiled from: a rebuild reads and compiles only the operations that changed.
    compiled: HashMap<ServiceId, (OperationsKey, Arc<[Operation]>)>,
    /// Operations just written, handed over by their writer after the commit, so the rebuild
    /// that follows need not read them back from the store (a large description's examples are
    /// megabytes). Used only when the store holds the same key.
    written: HashMap<ServiceId, (OperationsKey, Vec<OperationRec>)>,
}

impl Caches {
    /// The operations the next read can leave out, by service.
    fn known(&self) -> HashMap<ServiceId, OperationsKey> {
        let mut known: HashMap<ServiceId, OperationsKey> = self.compiled.iter().map(|(s, (k, _))| (*s, k.clone())).collect();
        for (s, (k, _)) in &self.written {
            known.insert(*s, k.clone());
        }
        known
    }
}

/// A rebuild's rows left out operations that its caches no longer hold (another rebuild replaced
/// them meanwhile): read again, everything.
#[derive(Debug)]
pub struct StaleRead;

fn compile_operations(ops: &[OperationRec]) -> Arc<[Operation]> {
    let mut ops: Vec<Operation> = ops
        .iter()
        .filter_map(|o| {
            Some(Operation {
                id: o.op_id.as_str().into(),
                method: hyper::Method::from_bytes(o.method.as_bytes()).ok()?,
                segments: Segment::parse_template(&o.path, &o.pii_params),
                pii_query: o.pii_params.iter().map(|p| p.as_str().into()).collect(),
                example: o.example.as_ref().map(|e| iop_gateway::snapshot::Example {
                    status: u16::try_from(o.example_status.unwrap_or(200)).unwrap_or(200),
                    body: bytes::Bytes::from(e.clone()),
                    // Kept before the media type was: JSON.
                    content_type: match &o.example_type {
                        _ if e.is_empty() => None,
                        Some(t) => hyper::header::HeaderValue::from_str(t).ok(),
                        None => Some(hyper::header::HeaderValue::from_static("application/json")),
                    },
                    generated: o.example_generated,
                }),
            })
        })
        .collect();
    Route::sort_operation_list(&mut ops);
    ops.into()
}

/// Builds a snapshot from the rows. Rows that cannot be used (a secret that does not decrypt, a
/// malformed URL) are left out and reported, never half-used. Only the connector versions and
/// operations still in use stay in `caches`.
pub fn compile(
    rows: &GatewayRows,
    secrets: &SecretBox,
    version: u64,
    now_ms: i64,
    caches: &mut Caches,
) -> Result<(Snapshot, Vec<String>), StaleRead> {
    let mut b = SnapshotBuilder::new(version, now_ms);
    let mut warnings = Vec::new();
    let mut tls_now = TlsCache::new();
    let mut compiled_now = HashMap::with_capacity(rows.routes.len());
    let mut read = 0;
    // Every route's operations first: a stale read is found before anything in `caches` changes.
    let mut all_operations = Vec::with_capacity(rows.routes.len());
    for r in &rows.routes {
        all_operations.push(match (&r.operations, &r.operations_key) {
            (Some(ops), _) => {
                read += ops.len() as u64;
                compile_operations(ops)
            }
            (None, Some(key)) => match (caches.compiled.get(&r.service.id), caches.written.get(&r.service.id)) {
                (Some((k, ops)), _) if k == key => ops.clone(),
                (_, Some((k, ops))) if k == key => compile_operations(ops),
                _ => return Err(StaleRead),
            },
            (None, None) => return Err(StaleRead),
        });
    }
    for (r, operations) in rows.routes.iter().zip(all_operations) {
        if let Some(key) = &r.operations_key {
            compiled_now.insert(r.service.id, (key.clone(), operations.clone()));
        }
        let c = &r.connector;
        let upstreams: Vec<hyper::Uri> = c.upstreams.iter().filter_map(|u| u.parse().ok()).collect();
        if upstreams.is_empty() {
            warnings.push(format!("servicio {}: sin URL de origen válida", r.service.code));
            continue;
        }
        let (headers, tls_client) = match connector_client(c, secrets, caches.tls.remove(&tls_key(c))) {
            Ok(x) => x,
            Err(e) => {
                warnings.push(format!("servicio {}: {e}", r.service.code));
                continue;
            }
        };
        if let Some(t) = &tls_client {
            tls_now.insert(t.key.to_string(), t.clone());
        }
        let tls = tls_client;
        let route = Route {
            service_id: r.service.id.to_string().into(),
            service_code: r.service.code.as_str().into(),
            entity_sigla: r.entity_sigla.as_str().into(),
            base_path: c.base_path.as_str().into(),
            upstreams,
            connect_timeout: Duration::from_millis(c.connect_timeout_ms.max(1) as u64),
            timeout: Duration::from_millis(c.timeout_ms.max(1) as u64),
            upstream_headers: headers,
            operations,
            pii_query: c.pii_query.iter().map(|p| p.as_str().into()).collect(),
            max_body_bytes: usize::try_from(c.max_body_bytes).unwrap_or(1 << 20),
            tls,
            deprecation: r.service.deprecated_at.and_then(|from| deprecation(from, r.service.sunset_at)),
        };
        if let Err(e) = b.route(route) {
            warnings.push(e);
        }
    }
    let mut systems: HashMap<String, Arc<str>> = HashMap::new();
    let mut names: HashMap<String, Arc<str>> = HashMap::new();
    for c in &rows.credentials {
        let cred = &c.credential;
        let system_id = systems
            .entry(cred.system.to_string())
            .or_insert_with(|| cred.system.to_string().into())
            .clone();
        let consumer = Arc::new(Consumer {
            system_id,
            system_code: intern(&mut names, c.system_code.as_str()),
            entity_sigla: intern(&mut names, c.entity_sigla.as_str()),
            credential_id: cred.id.to_string().into(),
            not_after_ms: cred.expires_at.map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64),
            sandbox_only: cred.sandbox_only,
        });
        let policy = JwtPolicy {
            require_exp: cred.jwt_require_exp,
            max_lifetime_s: cred.jwt_max_lifetime_s.and_then(|s| u32::try_from(s).ok()),
        };
        match cred.kind {
            CredentialKind::ApiKey => match iop_audit::hash_from_hex(&cred.key_id) {
                Some(h) => b.api_key(h, consumer),
                None => warnings.push(format!("credencial {}: huella no válida", cred.id)),
            },
            CredentialKind::JwtHs256 => match cred.secret_enc.as_deref().and_then(|s| secrets.open(s)) {
                Some(secret) => b.jwt_with(&cred.key_id, JwtVerifier::Hs256(secret.into()), policy, consumer),
                None => warnings.push(format!("credencial {}: el secreto no se pudo descifrar", cred.id)),
            },
            CredentialKind::JwtRs256 | CredentialKind::JwtEs256 => {
                match cred.public_key.as_deref().map(iop_gateway::auth::verifier_from_spki) {
                    Some(Ok(v)) => b.jwt_with(&cred.key_id, v, policy, consumer),
                    _ => warnings.push(format!("credencial {}: clave pública no válida", cred.id)),
                }
            }
        }
    }
    let mut codes: HashMap<String, Arc<str>> = HashMap::new();
    for g in &rows.grants {
        let s = &g.grant.spec;
        let request_code = codes
            .entry(g.request_code.to_string())
            .or_insert_with(|| g.request_code.as_str().into())
            .clone();
        let system_id = systems
            .entry(s.system.to_string())
            .or_insert_with(|| s.system.to_string().into())
            .clone();
        b.grant(
            system_id,
            s.service.to_string().into(),
            Grant {
                grant_id: g.grant.id.to_string().into(),
                request_code,
                operations: s.operations.as_ref().map(|o| o.iter().map(|x| x.as_str().into()).collect()),
                from_ms: day_start_ms(s.valid_from),
                until_ms: s.valid_until.and_then(|d| d.next_day()).map(day_start_ms),
                rate: s.rate.map(|r| Rate {
                    per_second: r.per_second,
                    burst: r.burst,
                }),
            },
        );
    }
    b.operations_read(read);
    caches.tls = tls_now;
    // Operations handed over by a writer whose commit this read came before stay for the next.
    caches.written.retain(|s, (k, _)| {
        compiled_now
            .get(s)
            .is_some_and(|(now, _): &(OperationsKey, _)| k.stored_at_ms > now.stored_at_ms)
    });
    caches.compiled = compiled_now;
    Ok((b.build(), warnings))
}

/// The headers that authenticate the gateway to a publisher.
pub type UpstreamHeaders = Vec<(hyper::header::HeaderName, hyper::header::HeaderValue)>;

/// The name of a connector version's TLS settings and connection pool.
fn tls_key(c: &iop_store::ConnectorRec) -> String {
    format!("{}:{}", c.service, c.version)
}

/// Why the gateway could not be told how to reach a connector's upstreams.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("la credencial hacia el origen no se pudo descifrar")]
    Undecryptable,
    /// The TLS client settings were refused (the reason is rustls's, as the gateway reports it).
    #[error("TLS hacia el origen: {0}")]
    Tls(String),
}

/// TLS client settings per connector version (`service:version`).
pub type TlsCache = HashMap<String, TlsUpstream>;

/// How the gateway reaches a connector's upstreams: the headers that authenticate it to the
/// publisher and, for https origins, the TLS client settings (built unless `tls` already holds
/// them for this version). The compiler and the connection probe both use it, so the probe speaks
/// exactly as the gateway will.
pub fn connector_client(
    c: &iop_store::ConnectorRec,
    secrets: &SecretBox,
    tls: Option<TlsUpstream>,
) -> Result<(UpstreamHeaders, Option<TlsUpstream>), ClientError> {
    let secret = c
        .auth
        .secret_enc()
        .and_then(|s| secrets.open(s))
        .and_then(|s| String::from_utf8(s).ok());
    let header = |name: &str, value: String| -> Option<(hyper::header::HeaderName, hyper::header::HeaderValue)> {
        Some((
            hyper::header::HeaderName::from_bytes(name.as_bytes()).ok()?,
            hyper::header::HeaderValue::from_str(&value).ok()?,
        ))
    };
    let pair = match (&c.auth, &secret) {
        (UpstreamAuth::None, _) | (UpstreamAuth::ClientCert { .. }, Some(_)) => None,
        (UpstreamAuth::Header { name, .. }, Some(v)) => header(name, v.clone()),
        (UpstreamAuth::Basic { user, .. }, Some(v)) => header(
            "authorization",
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{v}"))),
        ),
        (UpstreamAuth::Bearer { .. }, Some(v)) => header("authorization", format!("Bearer {v}")),
        (_, None) => return Err(ClientError::Undecryptable),
    };
    let headers: Vec<_> = pair.into_iter().collect();
    let https = c.upstreams.iter().any(|u| u.starts_with("https://"));
    let tls = match (https, tls) {
        (false, _) => None,
        (true, Some(t)) => Some(t),
        (true, None) => {
            let client = match (&c.auth, secret.as_deref()) {
                (UpstreamAuth::ClientCert { chain_pem, .. }, Some(key)) => Some((chain_pem.as_str(), key)),
                _ => None,
            };
            let config = iop_gateway::tls::client_config(c.ca_pem.as_deref(), client).map_err(ClientError::Tls)?;
            Some(TlsUpstream {
                key: tls_key(c).into(),
                config,
            })
        }
    };
    Ok((headers, tls))
}

/// Keeps the gateway's snapshot current.
pub struct Publisher {
    pub handle: SnapshotHandle,
    store: Arc<dyn Store>,
    secrets: SecretBox,
    version: AtomicU64,
    notify: Notify,
    caches: std::sync::Mutex<Caches>,
}

impl Publisher {
    pub fn new(handle: SnapshotHandle, store: Arc<dyn Store>, secrets: SecretBox) -> Arc<Self> {
        Arc::new(Self {
            handle,
            store,
            secrets,
            version: AtomicU64::new(0),
            notify: Notify::new(),
            caches: Default::default(),
        })
    }

    /// Something the gateway reads changed: rebuild soon.
    pub fn changed(&self) {
        self.notify.notify_one();
    }

    /// Refuses a credential in the gateway right away (O(1), whatever the number of consumers),
    /// then rebuilds.
    pub fn revoke_now(&self, credential_id: &str) {
        self.handle.revoke(credential_id);
        self.changed();
    }

    /// Rebuilds from the store and swaps the result in. The compilation runs off the async
    /// threads: with 100,000 consumers it takes long enough to be felt by calls in flight.
    pub async fn rebuild(self: &Arc<Self>) -> Result<u64, iop_store::StoreError> {
        match self.rebuild_reading(false).await? {
            Ok(v) => Ok(v),
            Err(StaleRead) => Ok(self.rebuild_reading(true).await?.unwrap_or_default()),
        }
    }

    /// Operations `service` holds since the commit that stored them under `key`: the rebuild
    /// they trigger compiles them without reading them back.
    pub fn written(&self, service: ServiceId, key: OperationsKey, ops: Vec<OperationRec>) {
        if let Ok(mut c) = self.caches.lock() {
            c.written.insert(service, (key, ops));
        }
        self.changed();
    }

    async fn rebuild_reading(self: &Arc<Self>, everything: bool) -> Result<Result<u64, StaleRead>, iop_store::StoreError> {
        let known = match everything {
            true => HashMap::new(),
            false => self.caches.lock().map(|c| c.known()).unwrap_or_default(),
        };
        let rows = self.store.gateway_rows(&known).await?;
        let v = self.version.fetch_add(1, Ordering::SeqCst) + 1;
        let me = self.clone();
        let built = tokio::task::spawn_blocking(move || {
            let mut caches = me.caches.lock().unwrap_or_else(|e| e.into_inner());
            compile(&rows, &me.secrets, v, iop_gateway::now_ms(), &mut caches)
        })
        .await
        .map_err(iop_store::StoreError::backend)?;
        let (snap, warnings) = match built {
            Ok(x) => x,
            Err(stale) => return Ok(Err(stale)),
        };
        for w in warnings {
            tracing::warn!(aviso = %w, "configuración de la pasarela omitida");
        }
        // A slower, older rebuild must not replace a newer snapshot.
        if self.handle.load().version < v {
            self.handle.store_build(snap);
        }
        Ok(Ok(v))
    }

    /// Rebuilds after each change (bursts coalesce) and at least every `every`.
    pub fn spawn(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                let _ = tokio::time::timeout(every, me.notify.notified()).await;
                if let Err(e) = me.rebuild().await {
                    tracing::error!(error = %e, "no se pudo recompilar la configuración de la pasarela");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        })
    }
}
