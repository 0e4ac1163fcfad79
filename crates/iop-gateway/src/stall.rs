//! A client connection that stops reading is closed after a while. A streamed answer is read from
//! the upstream only as fast as the client takes it, so a client that never reads would otherwise
//! hold its call, and the publisher's connection behind it, for as long as it keeps the socket.
//! The clock runs only while the gateway has bytes the client's socket will not take; any progress
//! stops it. The call's completion record then says `cliente_cerro`.

use hyper::rt::{Read, ReadBufCursor, Write};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// A clock of how long the other side has made no progress: it starts when an operation first
/// waits, any progress stops it, and it runs out after `limit` without progress.
pub struct StallClock {
    limit: Duration,
    /// Kept once created (reset, not reallocated, each time the clock starts).
    timer: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl StallClock {
    pub fn new(limit: Duration) -> Self {
        Self {
            limit,
            timer: None,
            armed: false,
        }
    }

    /// Something moved: the clock stops.
    pub fn progress(&mut self) {
        self.armed = false;
    }

    /// An operation waits: starts the clock if it is not running (the task is woken when it runs
    /// out); whether it has run out.
    pub fn waiting(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.armed {
            let deadline = Instant::now() + self.limit;
            match &mut self.timer {
                Some(t) => t.as_mut().reset(deadline),
                None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
            self.armed = true;
        }
        self.timer.as_mut().is_some_and(|t| t.as_mut().poll(cx).is_ready())
    }
}

pub struct StallGuard<T> {
    inner: T,
    clock: StallClock,
}

impl<T> StallGuard<T> {
    pub fn new(inner: T, limit: Duration) -> Self {
        Self {
            inner,
            clock: StallClock::new(limit),
        }
    }

    /// Passes a write's outcome through; a write that waits starts the clock (if it was not
    /// running), and one that waited longer than the limit fails.
    fn watch<R>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        if r.is_ready() {
            self.clock.progress();
            return r;
        }
        if self.clock.waiting(cx) {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "el cliente dejó de leer la respuesta")));
        }
        Poll::Pending
    }
}

impl<T: Read + Unpin> Read for StallGuard<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for StallGuard<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, r)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, r)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, r)
    }
}
