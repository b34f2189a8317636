//! One health check against one address: a TCP connect, or an HTTP/1.0 `GET` on a plain
//! `tokio` stream whose status line is compared with the expected code. The caller bounds it
//! with the service's timeout.

use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::service::Check;

/// Runs `check` against `addr`: true when healthy. Never longer than the peer makes it; the
/// caller wraps it in a timeout.
pub async fn run(check: &Check, addr: IpAddr) -> bool {
    match check {
        Check::Tcp { port } => TcpStream::connect(SocketAddr::new(addr, *port))
            .await
            .is_ok(),
        Check::Http { port, path, expect } => {
            http_status(SocketAddr::new(addr, *port), path).await == Some(*expect)
        }
    }
}

/// The status code of `GET path` at `to`, or `None` on any failure.
async fn http_status(to: SocketAddr, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(to).await.ok()?;
    let host = match to.ip() {
        IpAddr::V4(a) => format!("{a}:{}", to.port()),
        IpAddr::V6(a) => format!("[{a}]:{}", to.port()),
    };
    let req = format!(
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: clusterdns-health\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = [0u8; 256];
    let mut n = 0;
    while n < buf.len() && !buf[..n].contains(&b'\n') {
        match s.read(&mut buf[n..]).await.ok()? {
            0 => break,
            k => n += k,
        }
    }
    status_of(&buf[..n])
}

/// `HTTP/1.x NNN ...` -> NNN.
fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_whitespace();
    if !words.next()?.starts_with("HTTP/") {
        return None;
    }
    let code = words.next()?;
    (code.len() == 3).then(|| code.parse().ok())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(
            status_of(b"HTTP/1.0 503 Service Unavailable\r\nX: y"),
            Some(503)
        );
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_of(b"HTTP/1.1 2000 x"), None);
        assert_eq!(status_of(b""), None);
    }
}
