//! A DoT session the TCP event loop began (handshake and all), carried on on tokio when the
//! loop hands the connection over: the rustls server connection and its socket as one
//! `AsyncRead + AsyncWrite` stream for `tcp::serve_stream`. tokio-rustls has no way to adopt a
//! session started elsewhere, so this is the few lines of its stream we need: plaintext out of
//! the session, ciphertext read and written as the socket allows, alerts sent on a bad record.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use rustls::ServerConnection;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Ciphertext queued in a session before writes wait for the socket.
const SEND_LIMIT: usize = 64 * 1024;

/// An established TLS session on its socket.
pub(in crate::net) struct Session {
    io: TcpStream,
    tls: Box<ServerConnection>,
    /// Our close_notify is queued.
    closing: bool,
}

impl Session {
    pub(in crate::net) fn new(io: TcpStream, mut tls: Box<ServerConnection>) -> Session {
        // Writes wait for the socket once this much is queued (a zone transfer to a slow
        // reader is not buffered whole).
        tls.set_buffer_limit(Some(SEND_LIMIT));
        Session {
            io,
            tls,
            closing: false,
        }
    }

    /// Writes the session's pending ciphertext; `Pending` while the socket is full.
    fn flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.tls.wants_write() {
            let mut io = SyncIo {
                io: &mut self.io,
                cx,
            };
            match self.tls.write_tls(&mut io) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// The socket as a blocking-style reader and writer for rustls: `WouldBlock` where tokio says
/// `Pending` (the waker is registered then).
struct SyncIo<'a, 'b> {
    io: &'a mut TcpStream,
    cx: &'a mut Context<'b>,
}

impl Read for SyncIo<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut *self.io).poll_read(self.cx, &mut rb) {
            Poll::Ready(Ok(())) => Ok(rb.filled().len()),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for SyncIo<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncRead for Session {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            // Ok(0): the client's close_notify; UnexpectedEof: the socket closed without one.
            match this.tls.reader().read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            let mut io = SyncIo {
                io: &mut this.io,
                cx,
            };
            match this.tls.read_tls(&mut io) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) => return Poll::Ready(Err(e)),
            }
            if let Err(e) = this.tls.process_new_packets() {
                // Send the alert rustls queued, as far as the socket takes it at once.
                let _ = this.flush_tls(cx);
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e)));
            }
        }
    }
}

impl AsyncWrite for Session {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            let n = this.tls.writer().write(buf)?;
            match this.flush_tls(cx) {
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                // The session's buffer was full and the socket has taken it: now there is room.
                Poll::Ready(Ok(())) if n == 0 && !buf.is_empty() => continue,
                // The session's buffer is full and the socket too: wait for the socket.
                Poll::Pending if n == 0 && !buf.is_empty() => return Poll::Pending,
                _ => return Poll::Ready(Ok(n)),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.flush_tls(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.closing {
            this.closing = true;
            this.tls.send_close_notify();
        }
        std::task::ready!(this.flush_tls(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
