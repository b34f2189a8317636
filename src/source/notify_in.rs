//! NOTIFY in (RFC 1996): the sockets hand NOTIFY messages for the zones we are secondary for
//! to the secondary tasks (`source::secondary`) through a bounded queue, never blocking the
//! query path (a full queue drops the message: the primary retries). The answer (NOERROR,
//! AA, the question echoed; REFUSED or NOTAUTH) is written here.

use std::net::SocketAddr;

use tokio::sync::mpsc;

use crate::dns::tsig::Signer;
use crate::source::updater::Reply;

/// NOTIFYs waiting for the secondary tasks.
const QUEUE: usize = 256;

/// One NOTIFY handed over.
pub struct NotifyJob {
    pub packet: Vec<u8>,
    pub peer: SocketAddr,
    pub reply: Reply,
}

/// The sockets' end of the NOTIFY queue.
#[derive(Debug, Clone)]
pub struct NotifyIn {
    tx: mpsc::Sender<NotifyJob>,
}

impl NotifyIn {
    /// A new queue: the `NotifyIn` for the sockets, the receiver for the secondary tasks.
    pub fn channel() -> (NotifyIn, mpsc::Receiver<NotifyJob>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (NotifyIn { tx }, rx)
    }

    /// Hands `job` over; dropped when the queue is full (the primary sends again).
    pub fn hand_off(&self, job: NotifyJob) {
        if self.tx.try_send(job).is_err() {
            tracing::debug!("NOTIFY queue full: one dropped");
        }
    }
}

/// The answer to NOTIFY `packet`: its ID and question, QR and AA set, rcode `rc`; signed when
/// `signer` is given.
pub(super) fn answer(packet: &[u8], rc: u8, signer: Option<&mut Signer<'_>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(packet.get(..2).unwrap_or(&[0, 0]));
    out.push(0x80 | (4 << 3) | 0x04);
    out.push(rc & 0x0f);
    let question = question(packet);
    out.extend_from_slice(&[0, question.is_some() as u8, 0, 0, 0, 0, 0, 0]);
    if let Some(q) = question {
        out.extend_from_slice(q);
    }
    if let Some(s) = signer {
        s.sign(&mut out, crate::dns::tsig::now());
    }
    out
}

/// The question section of `p` (one question), if well formed.
pub(super) fn question(p: &[u8]) -> Option<&[u8]> {
    if p.get(4..6)? != [0, 1] {
        return None;
    }
    let end = crate::dns::wire::skip_name(p, 12)? + 4;
    p.get(12..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_echoes_the_question_with_aa() {
        let mut q = vec![0x12, 0x34, 4 << 3, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x01a\x04test\x00\x00\x06\x00\x01");
        assert_eq!(crate::query::route(&q, false), crate::query::Route::Notify);
        let a = answer(&q, 0, None);
        assert_eq!(&a[..2], &[0x12, 0x34]);
        assert_eq!(a[2], 0x80 | (4 << 3) | 0x04, "QR, NOTIFY, AA");
        assert_eq!(&a[12..], &q[12..]);
        assert_eq!(crate::query::route(&a, false), crate::query::Route::Query);
        assert!(question(&q[..14]).is_none());
    }
}
