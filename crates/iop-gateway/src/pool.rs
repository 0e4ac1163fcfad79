//! Keep-alive connections to upstreams: HTTP/1.1, one idle list per host:port. Leaner than a
//! general-purpose client: a call takes an idle connection (or opens one), sends, reads the
//! answer — whole when it is small and of known length, otherwise handed back unread to be
//! streamed — and puts the connection back once the answer has ended. A request that could not be
//! sent on a reused connection (the upstream had closed it) is sent again on a new one; nothing
//! else is retried.

use crate::body::{UpBody, is_streamed};
use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Body as _;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

pub enum PoolError {
    Connect,
    Send,
    /// The answer is larger than allowed.
    TooBig,
    /// The answer's body broke off or was malformed.
    Body,
}

type Sender = SendRequest<UpBody>;

/// An upstream's answer: read whole, or its body still to be streamed (`give_back` returns the
/// connection to the pool once that body has been read to its end).
pub enum Answer {
    Whole(hyper::http::response::Parts, Bytes),
    Streamed {
        parts: hyper::http::response::Parts,
        body: hyper::body::Incoming,
        give_back: Option<Box<dyn FnOnce() + Send>>,
    },
}

/// An https upstream's client settings, built once per connector version; `key` (the version's id)
/// names its pool of connections.
#[derive(Debug, Clone)]
pub struct TlsUpstream {
    pub key: Arc<str>,
    pub config: Arc<rustls::ClientConfig>,
}

#[derive(Default, Clone)]
pub struct UpstreamPool {
    idle: Arc<Mutex<HashMap<String, Vec<Sender>>>>,
}

impl UpstreamPool {
    pub fn new() -> Self {
        Self::default()
    }

    fn take(&self, authority: &str) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let list = idle.get_mut(authority)?;
        while let Some(s) = list.pop() {
            if s.is_ready() {
                return Some(s);
            }
        }
        None
    }

    fn give_back(&self, authority: &str, s: Sender) {
        if !s.is_ready() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let list = idle.entry(authority.to_owned()).or_default();
        if list.len() < 1024 {
            list.push(s);
        }
    }

    async fn connect(&self, authority: &str, tls: Option<&TlsUpstream>, connect_timeout: Duration) -> Result<Sender, PoolError> {
        let (host, port) = host_port(authority);
        let port = port.unwrap_or(if tls.is_some() { 443 } else { 80 });
        let stream = tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect((host, port)))
            .await
            .map_err(|_| PoolError::Connect)?
            .map_err(|_| PoolError::Connect)?;
        let _ = stream.set_nodelay(true);
        let Some(config) = tls else {
            let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.map_err(|_| PoolError::Connect)?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            return Ok(sender);
        };
        let name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|_| PoolError::Connect)?;
        let connector = tokio_rustls::TlsConnector::from(config.config.clone());
        let tls_stream = tokio::time::timeout(connect_timeout, connector.connect(name, stream))
            .await
            .map_err(|_| PoolError::Connect)?
            .map_err(|e| {
                tracing::warn!(origen = %authority, error = %e, "TLS hacia el origen falló");
                PoolError::Connect
            })?;
        let (sender, conn) = http1::handshake(TokioIo::new(tls_stream)).await.map_err(|_| PoolError::Connect)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// Sends `req` to `authority` (connecting within `connect_timeout` if no idle connection is
    /// at hand) and reads the answer: whole if it is small and of known length, otherwise its body
    /// is handed back to be streamed. An answer of known length above `max_bytes` is refused
    /// before its body is read; a streamed one is limited by whoever reads it.
    pub async fn send(
        &self,
        authority: &str,
        tls: Option<&TlsUpstream>,
        connect_timeout: Duration,
        req: Request<UpBody>,
        max_bytes: usize,
    ) -> Result<Answer, PoolError> {
        // TLS connections are pooled apart from plain ones, per connector version: the key
        // outlives snapshot rebuilds (which keep the same configuration) and never names another
        // connector's configuration.
        let key_owned;
        let authority_key = match tls {
            Some(t) => {
                key_owned = format!("{authority}#tls:{}", t.key);
                key_owned.as_str()
            }
            None => authority,
        };
        let mut req = req;
        let mut reused = self.take(authority_key);
        let res: Response<hyper::body::Incoming>;
        let mut sender;
        loop {
            let fresh = reused.is_none();
            sender = match reused.take() {
                Some(s) => s,
                None => self.connect(authority, tls, connect_timeout).await?,
            };
            match sender.try_send_request(req).await {
                Ok(r) => {
                    res = r;
                    break;
                }
                Err(mut e) => match e.take_message() {
                    // Not sent: the pooled connection was closed by the upstream. Try a new one.
                    Some(back) if !fresh => {
                        req = back;
                        continue;
                    }
                    _ => return Err(PoolError::Send),
                },
            }
        }
        let (parts, body) = res.into_parts();
        let keep = !parts
            .headers
            .get(hyper::header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let hint = body.size_hint();
        if hint.exact().is_some_and(|n| n > max_bytes as u64) {
            return Err(PoolError::TooBig);
        }
        if is_streamed(&hint) {
            let give_back: Option<Box<dyn FnOnce() + Send>> = keep.then(|| {
                let (pool, key) = (self.clone(), authority_key.to_owned());
                Box::new(move || {
                    tokio::spawn(async move {
                        if sender.ready().await.is_ok() {
                            pool.give_back(&key, sender);
                        }
                    });
                }) as Box<dyn FnOnce() + Send>
            });
            return Ok(Answer::Streamed { parts, body, give_back });
        }
        let bytes = Limited::new(body, max_bytes)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    PoolError::TooBig
                } else {
                    PoolError::Body
                }
            })?
            .to_bytes();
        if keep {
            // The connection is ready again once hyper has seen the end of the answer.
            if sender.ready().await.is_ok() {
                self.give_back(authority_key, sender);
            }
        }
        Ok(Answer::Whole(parts, bytes))
    }
}

/// An authority's host (IPv6 without brackets) and port, if it names one.
fn host_port(authority: &str) -> (&str, Option<u16>) {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').unwrap_or((rest, ""));
        return (host, after.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (authority, None),
        },
        None => (authority, None),
    }
}

/// One GET to `uri` on a new connection, as the gateway would send it (TLS settings, the
/// connector's headers, its timeouts): the answer's status, or why there is none, in Spanish.
pub async fn probe(
    uri: &hyper::Uri,
    tls: Option<&TlsUpstream>,
    headers: &[(hyper::header::HeaderName, hyper::header::HeaderValue)],
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<u16, String> {
    let authority = uri.authority().ok_or("la URL de origen no tiene host")?.as_str();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut req = Request::new(Either::Left(Full::new(Bytes::new())));
    *req.uri_mut() = path.parse().map_err(|_| "ruta de origen no válida".to_owned())?;
    for (k, v) in headers {
        req.headers_mut().insert(k.clone(), v.clone());
    }
    if let Ok(v) = hyper::header::HeaderValue::from_str(authority) {
        req.headers_mut().insert(hyper::header::HOST, v);
    }
    let pool = UpstreamPool::new();
    match tokio::time::timeout(timeout, pool.send(authority, tls, connect_timeout, req, 1 << 20)).await {
        Err(_) => Err("tiempo agotado".into()),
        Ok(Err(PoolError::Connect)) => Err("no se pudo conectar con el origen (TCP o TLS)".into()),
        Ok(Err(PoolError::Send)) => Err("el origen cerró la conexión sin responder".into()),
        Ok(Err(PoolError::TooBig | PoolError::Body)) => Err("la respuesta del origen no se pudo leer entera".into()),
        Ok(Ok(Answer::Whole(parts, _) | Answer::Streamed { parts, .. })) => Ok(parts.status.as_u16()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn authorities_split_into_host_and_port() {
        assert_eq!(super::host_port("api.gob.bo"), ("api.gob.bo", None));
        assert_eq!(super::host_port("127.0.0.1:8080"), ("127.0.0.1", Some(8080)));
        assert_eq!(super::host_port("[::1]:443"), ("::1", Some(443)));
        assert_eq!(super::host_port("[::1]"), ("::1", None));
    }
}
