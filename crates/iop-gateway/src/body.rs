//! The bodies the gateway moves. Small ones of known length are read whole (the request can then
//! be sent to another upstream if the first cannot be reached, and the record names its exact
//! size); larger ones, or of unknown length, are streamed in both directions with bounded memory
//! (hyper reads the next piece only when the other side has taken the last one) and never sent to
//! another upstream.
//!
//! A streamed answer's record is written before its head is released, like every other; what is
//! known only at its end (bytes, duration, whether it was cut) follows in a completion record of
//! the same chain, written when the body is dropped — at its end, or when the client went away.

use crate::stall::StallClock;
use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Bodies of a known length up to this many bytes are read whole; the rest are streamed.
pub const WHOLE_UP_TO: u64 = 64 * 1024;

/// Whether a body with this size hint is streamed.
pub fn is_streamed(hint: &SizeHint) -> bool {
    hint.exact().is_none_or(|n| n > WHOLE_UP_TO)
}

/// Why a streamed body ended before its end (the completion record's `cut`).
pub mod cut {
    /// The client stopped reading and went away.
    pub const CLIENT: &str = "cliente_cerro";
    /// The upstream's answer broke off.
    pub const UPSTREAM: &str = "respuesta_interrumpida";
    /// The answer grew past the gateway's maximum.
    pub const TOO_LARGE: &str = "respuesta_muy_grande";
}

#[derive(Debug)]
struct Exceeded(&'static str);

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Exceeded {}

/// What happens when a streamed answer's body is dropped: `(bytes sent, why it was cut)`.
pub type OnEnd = Box<dyn FnOnce(u64, Option<&'static str>) + Send>;

/// An upstream's answer on its way to the client, counted and limited.
pub struct Relay {
    inner: Incoming,
    sent: u64,
    limit: u64,
    ended: bool,
    cut: Option<&'static str>,
    /// Run once at a clean end (the upstream connection goes back to the pool).
    on_clean_end: Option<Box<dyn FnOnce() + Send>>,
    on_end: Option<OnEnd>,
}

impl Relay {
    pub fn new(inner: Incoming, limit: u64, on_clean_end: Option<Box<dyn FnOnce() + Send>>) -> Self {
        Self {
            inner,
            sent: 0,
            limit,
            ended: false,
            cut: None,
            on_clean_end,
            on_end: None,
        }
    }

    /// What to run when the body is dropped (the completion record).
    pub fn on_end(&mut self, f: OnEnd) {
        self.on_end = Some(f);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let cut = match (self.ended, self.cut) {
            (true, _) => None,
            (false, Some(c)) => Some(c),
            (false, None) => Some(cut::CLIENT),
        };
        if cut.is_none()
            && let Some(f) = self.on_clean_end.take()
        {
            f();
        }
        if let Some(f) = self.on_end.take() {
            f(self.sent, cut);
        }
    }
}

impl Body for Relay {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.ended || this.cut.is_some() {
            return Poll::Ready(None);
        }
        match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            Some(Ok(frame)) => {
                if let Some(d) = frame.data_ref() {
                    this.sent += d.len() as u64;
                    if this.sent > this.limit {
                        this.cut = Some(cut::TOO_LARGE);
                        return Poll::Ready(Some(Err(Box::new(Exceeded(cut::TOO_LARGE)))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(e)) => {
                this.cut = Some(cut::UPSTREAM);
                Poll::Ready(Some(Err(Box::new(e))))
            }
            None => {
                this.ended = true;
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What the proxy learns of a streamed request body while it goes up.
#[derive(Default)]
pub struct UploadState {
    bytes: AtomicU64,
    over: AtomicBool,
    broke: AtomicBool,
    slow: AtomicBool,
    /// Told when the body ended, one way or the other.
    pub ended: tokio::sync::Notify,
}

impl UploadState {
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// The body grew past the service's maximum.
    pub fn over(&self) -> bool {
        self.over.load(Ordering::Relaxed)
    }
    /// The client's body broke off.
    pub fn broke(&self) -> bool {
        self.broke.load(Ordering::Relaxed)
    }
    /// The client left its body unsent for longer than the gateway waits.
    pub fn slow(&self) -> bool {
        self.slow.load(Ordering::Relaxed)
    }
}

/// A client's request body on its way to the upstream, counted and limited.
pub struct Upload {
    inner: Incoming,
    limit: u64,
    state: Arc<UploadState>,
    done: bool,
    /// Runs while the body is asked for a piece the client has not sent: only while it is asked
    /// for (the upstream taking it slowly is not the client's delay); any piece stops it.
    stall: StallClock,
}

impl Upload {
    pub fn new(inner: Incoming, limit: u64, stall: std::time::Duration) -> (Self, Arc<UploadState>) {
        let state = Arc::new(UploadState::default());
        (
            Self {
                inner,
                limit,
                state: state.clone(),
                done: false,
                stall: StallClock::new(stall),
            },
            state,
        )
    }

    fn end(&mut self) {
        if !self.done {
            self.done = true;
            self.state.ended.notify_one();
        }
    }
}

impl Body for Upload {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if polled.is_pending() {
            if this.stall.waiting(cx) {
                this.state.slow.store(true, Ordering::Relaxed);
                this.end();
                return Poll::Ready(Some(Err(Box::new(Exceeded("cuerpo_lento")))));
            }
            return Poll::Pending;
        }
        this.stall.progress();
        match ready!(polled) {
            Some(Ok(frame)) => {
                if let Some(d) = frame.data_ref() {
                    let n = this.state.bytes.fetch_add(d.len() as u64, Ordering::Relaxed) + d.len() as u64;
                    if n > this.limit {
                        this.state.over.store(true, Ordering::Relaxed);
                        this.end();
                        return Poll::Ready(Some(Err(Box::new(Exceeded("cuerpo_muy_grande")))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(e)) => {
                this.state.broke.store(true, Ordering::Relaxed);
                this.end();
                Poll::Ready(Some(Err(Box::new(e))))
            }
            None => {
                this.end();
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        self.end();
    }
}

/// An answer's body: whole (`Left`), or relayed from the upstream (`Right`).
pub type OutBody = Either<Full<Bytes>, Box<Relay>>;

/// A request's body toward the upstream: whole (`Left`), or streamed from the client (`Right`).
pub type UpBody = Either<Full<Bytes>, Upload>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_known_bodies_are_whole_and_the_rest_streamed() {
        assert!(!is_streamed(&SizeHint::with_exact(0)));
        assert!(!is_streamed(&SizeHint::with_exact(WHOLE_UP_TO)));
        assert!(is_streamed(&SizeHint::with_exact(WHOLE_UP_TO + 1)));
        // Unknown length (chunked): streamed.
        assert!(is_streamed(&SizeHint::new()));
    }
}
