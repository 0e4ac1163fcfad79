//! Keep-alive connections to upstreams: HTTP/1.1, one idle list per host:port. Leaner than a
//! general-purpose client: a call takes an idle connection (or opens one), sends, reads the whole
//! answer, and puts the connection back. A request that could not be sent on a reused connection
//! (the upstream had closed it) is sent again on a new one; nothing else is retried.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
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
    TooBig,
}

type Sender = SendRequest<Full<Bytes>>;

#[derive(Default)]
pub struct UpstreamPool {
    idle: Mutex<HashMap<String, Vec<Sender>>>,
    pub connect_timeout: Duration,
}

impl UpstreamPool {
    pub fn new(connect_timeout: Duration) -> Self {
        Self {
            idle: Mutex::new(HashMap::new()),
            connect_timeout,
        }
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

    async fn connect(&self, authority: &str, tls: Option<&Arc<rustls::ClientConfig>>) -> Result<Sender, PoolError> {
        let stream = tokio::time::timeout(self.connect_timeout, tokio::net::TcpStream::connect(authority))
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
        let host = authority
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(authority)
            .trim_start_matches('[')
            .trim_end_matches(']');
        let name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|_| PoolError::Connect)?;
        let connector = tokio_rustls::TlsConnector::from(config.clone());
        let tls_stream = tokio::time::timeout(self.connect_timeout, connector.connect(name, stream))
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

    /// Sends `req` to `authority` and reads the whole answer (at most `max_bytes`).
    pub async fn send(
        &self,
        authority: &str,
        tls: Option<&Arc<rustls::ClientConfig>>,
        req: Request<Full<Bytes>>,
        max_bytes: usize,
    ) -> Result<(hyper::http::response::Parts, Bytes), PoolError> {
        // TLS connections are pooled apart from plain ones, per client configuration.
        let key_owned;
        let authority_key = match tls {
            Some(c) => {
                key_owned = format!("{authority}#tls{:p}", Arc::as_ptr(c));
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
                None => self.connect(authority, tls).await?,
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
        let bytes = Limited::new(body, max_bytes)
            .collect()
            .await
            .map_err(|_| PoolError::TooBig)?
            .to_bytes();
        let keep = !parts
            .headers
            .get(hyper::header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        if keep {
            // The connection is ready again once hyper has seen the end of the answer.
            if sender.ready().await.is_ok() {
                self.give_back(authority_key, sender);
            }
        }
        Ok((parts, bytes))
    }
}
