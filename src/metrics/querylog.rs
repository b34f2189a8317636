//! The query log (`--query-log`): one line per query, written by its own thread. The query path
//! only copies a fixed-size record into a bounded channel; when the channel is full the line
//! is counted as dropped and the answer goes out regardless.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use crate::dns::{name, rdata};

/// Lines the channel holds before new ones are dropped.
const CAPACITY: usize = 8192;
/// Longest query name kept (the wire form's limit).
const MAX_NAME: usize = 255;

/// One query, as copied off the query path (no allocation).
struct Line {
    peer: SocketAddr,
    qname: [u8; MAX_NAME],
    qname_len: u8,
    qtype: u16,
    /// The response's header flags word (rcode in the low bits).
    flags: u16,
    size: u16,
    us: u32,
}

/// The running query log: its writer thread and the count of dropped lines.
pub struct QueryLog {
    tx: SyncSender<Line>,
    dropped: Arc<AtomicU64>,
}

/// What a worker holds to send lines.
#[derive(Clone)]
pub(super) struct QueryLogSender {
    tx: SyncSender<Line>,
    dropped: Arc<AtomicU64>,
}

impl QueryLog {
    /// Starts the writer thread; `dropped` counts lines that did not fit.
    pub fn start(dropped: Arc<AtomicU64>) -> std::io::Result<QueryLog> {
        let (tx, rx) = sync_channel(CAPACITY);
        let d = dropped.clone();
        std::thread::Builder::new()
            .name("query-log".into())
            .spawn(move || writer(rx, &d))?;
        Ok(QueryLog { tx, dropped })
    }

    pub(super) fn sender(&self) -> QueryLogSender {
        QueryLogSender {
            tx: self.tx.clone(),
            dropped: self.dropped.clone(),
        }
    }
}

impl QueryLogSender {
    /// Queues one line; never blocks.
    #[inline]
    pub(super) fn send(
        &self,
        peer: SocketAddr,
        query: &[u8],
        response: &[u8],
        qtype: u16,
        us: u64,
    ) {
        let mut line = Line {
            peer,
            qname: [0; MAX_NAME],
            qname_len: 0,
            qtype,
            flags: response
                .get(2..4)
                .map_or(0, |b| u16::from_be_bytes([b[0], b[1]])),
            size: response.len().min(u16::MAX as usize) as u16,
            us: us.min(u32::MAX as u64) as u32,
        };
        if let Some(q) = query.get(12..) {
            let n = name::wire_len(q).unwrap_or(0).min(MAX_NAME);
            line.qname[..n].copy_from_slice(&q[..n]);
            line.qname_len = n as u8;
        }
        match self.tx.try_send(line) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Relaxed);
            }
        }
    }
}

/// Writes every line; reports dropped lines (at most once a second) until every sender is gone.
fn writer(rx: Receiver<Line>, dropped: &AtomicU64) {
    let mut reported = 0;
    let mut text = String::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(l) => {
                format_line(&l, &mut text);
                tracing::info!(target: "clusterdns::query", "{text}");
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let d = dropped.load(Relaxed);
        if d != reported {
            tracing::warn!("query log fell behind: {} line(s) dropped", d - reported);
            reported = d;
        }
    }
}

/// `query CLIENT QNAME QTYPE RCODE FLAGS SIZE US` as one line.
fn format_line(l: &Line, out: &mut String) {
    use std::fmt::Write;
    out.clear();
    let _ = write!(out, "query {} ", l.peer);
    let qn = &l.qname[..l.qname_len as usize];
    if qn.is_empty() {
        out.push('-');
    } else {
        name::write_name(qn, out);
    }
    out.push(' ');
    if l.qtype == 0 {
        out.push('-');
    } else {
        rdata::type_to_text(l.qtype, out);
    }
    const RC: [&str; 6] = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
    ];
    let rc = (l.flags & 0xf) as usize;
    match RC.get(rc) {
        Some(s) => {
            let _ = write!(out, " {s} ");
        }
        None => {
            let _ = write!(out, " RCODE{rc} ");
        }
    }
    let mut any = false;
    for (bit, f) in [
        (0x8000, "qr"),
        (0x0400, "aa"),
        (0x0200, "tc"),
        (0x0100, "rd"),
        (0x0080, "ra"),
        (0x0010, "cd"),
    ] {
        if l.flags & bit != 0 {
            if any {
                out.push(',');
            }
            out.push_str(f);
            any = true;
        }
    }
    if !any {
        out.push('-');
    }
    let _ = write!(out, " {} {}us", l.size, l.us);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format() {
        let mut l = Line {
            peer: "127.0.0.1:5353".parse().unwrap(),
            qname: [0; MAX_NAME],
            qname_len: 0,
            qtype: 1,
            flags: 0x8500,
            size: 63,
            us: 12,
        };
        let w = b"\x09lhslave01\x05lihui\x06hadoop\x00";
        l.qname[..w.len()].copy_from_slice(w);
        l.qname_len = w.len() as u8;
        let mut s = String::new();
        format_line(&l, &mut s);
        assert_eq!(
            s,
            "query 127.0.0.1:5353 lhslave01.lihui.hadoop. A NOERROR qr,aa,rd 63 12us"
        );
    }

    #[test]
    fn full_channel_counts_drops_and_never_blocks() {
        let (tx, _rx) = sync_channel(1);
        let s = QueryLogSender {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
        };
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        for _ in 0..3 {
            s.send(peer, &[0; 17], &[0; 12], 1, 5);
        }
        assert_eq!(s.dropped.load(Relaxed), 2);
    }
}
