//! NOTIFY out (RFC 1996): after a reload changes a zone's serial, a NOTIFY for the zone goes
//! at once to every `also_notify` address, retried with backoff (1 s, 2 s, 4 s, 8 s) until
//! answered, five tries in all. A newer serial of the same zone replaces a NOTIFY still being
//! retried. Messages are built and parsed with hickory-proto. The targets are the zone's own
//! `also_notify` (else the global `--also-notify`); the addresses of the zone's NS records
//! only for a zone with `notify = "yes"` (opt-in, unlike BIND: see `config::xfrzone`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name as HName, RecordType};
use tokio::sync::mpsc;

use crate::config::NotifyTarget;
use crate::dns::name::Name;
use crate::dns::tsig::{self, TsigKey};
use crate::dns::{client, rdata};
use crate::source::report::{Change, Report};

/// NOTIFYs sent to one address for one serial, at most.
const TRIES: u32 = 5;
/// Wait for an answer to the first try; doubled after each.
const FIRST_WAIT: Duration = Duration::from_secs(1);

/// The reloader's side: tells the sender which zones changed.
#[derive(Debug, Clone)]
pub struct Notifier {
    tx: mpsc::UnboundedSender<(Name, u32)>,
}

impl Notifier {
    /// A notifier and the receiving end for [`run`].
    pub fn channel() -> (Notifier, mpsc::UnboundedReceiver<(Name, u32)>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Notifier { tx }, rx)
    }

    /// Queues a NOTIFY for each zone whose serial this reload changed (or that it added).
    pub fn report(&self, r: &Report) {
        for c in &r.changes {
            let (origin, serial) = match c {
                Change::Updated {
                    origin,
                    old_serial,
                    serial,
                    ..
                } if old_serial != serial => (origin, *serial),
                Change::Added { origin, serial, .. } => (origin, *serial),
                _ => continue,
            };
            let _ = self.tx.send((origin.clone(), serial));
        }
    }
}

/// Sends the NOTIFYs `rx` asks for to each zone's targets until the channel closes.
pub async fn run(mut rx: mpsc::UnboundedReceiver<(Name, u32)>, store: Arc<crate::store::Store>) {
    let mut running: HashMap<(Name, SocketAddr), tokio::task::AbortHandle> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            got = rx.recv() => {
                let Some((origin, serial)) = got else { break };
                // The settings as they are now (a reload may have changed them).
                let cfg = store.xfr();
                let mut targets = cfg.notify_targets(&origin);
                if cfg.notify_ns(&origin) {
                    targets.extend(ns_addresses(&store, &origin));
                }
                targets.sort();
                targets.dedup_by(|a, b| a.addr == b.addr);
                // The zone's SOA as served now goes in the answer section (RFC 1996 3.7), so
                // that a secondary already at this serial need not ask.
                let soa = current_soa(&store, &origin);
                for t in targets {
                    if let Some(old) = running.remove(&(origin.clone(), t.addr)) {
                        old.abort();
                    }
                    let key = match &t.key {
                        Some(k) => match cfg.key(k) {
                            Some(k) => Some(k.clone()),
                            None => {
                                tracing::warn!("NOTIFY of {origin} to {}: unknown key {k}", t.addr);
                                continue;
                            }
                        },
                        None => None,
                    };
                    let (o, st, soa) = (origin.clone(), store.clone(), soa.clone());
                    let addr = t.addr;
                    let h = tasks.spawn(async move {
                        let n = Notice { origin: &o, serial, soa: soa.as_ref(), key: key.as_ref() };
                        if notify_one(&n, addr).await {
                            st.xfr_stats().notify_sent();
                        }
                    });
                    running.insert((origin.clone(), addr), h);
                }
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {
                running.retain(|_, h| !h.is_finished());
            }
        }
    }
    tasks.abort_all();
}

/// The TTL and RDATA of zone `origin`'s SOA as served now.
fn current_soa(store: &crate::store::Store, origin: &Name) -> Option<(u32, Vec<u8>)> {
    let snap = store.snapshot();
    let soa = snap.get(origin)?.soa()?;
    Some((soa.ttl, soa.rdatas().next()?.to_vec()))
}

/// What one NOTIFY says, and the key that signs it.
struct Notice<'a> {
    origin: &'a Name,
    serial: u32,
    soa: Option<&'a (u32, Vec<u8>)>,
    key: Option<&'a TsigKey>,
}

/// The addresses (port 53) of the NS targets of zone `origin` that our zones hold A/AAAA
/// records for (`notify = "yes"` only).
fn ns_addresses(store: &crate::store::Store, origin: &Name) -> Vec<NotifyTarget> {
    use crate::dns::rdata::{A, AAAA, NS};
    let snap = store.snapshot();
    let Some(zone) = snap.get(origin) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for target in zone.apex().rrset(NS).into_iter().flat_map(|s| s.rdatas()) {
        let Some(z) = snap.find(target) else { continue };
        for rd in z.rrset_at(target, A).into_iter().flat_map(|s| s.rdatas()) {
            if let Ok(b) = <[u8; 4]>::try_from(rd) {
                out.push(NotifyTarget {
                    addr: SocketAddr::new(IpAddr::from(b), 53),
                    key: None,
                });
            }
        }
        for rd in z
            .rrset_at(target, AAAA)
            .into_iter()
            .flat_map(|s| s.rdatas())
        {
            if let Ok(b) = <[u8; 16]>::try_from(rd) {
                out.push(NotifyTarget {
                    addr: SocketAddr::new(IpAddr::from(b), 53),
                    key: None,
                });
            }
        }
    }
    out
}

/// The NOTIFY message for `origin` (SOA question, AA set), with the zone's SOA record in the
/// answer section when `soa` (TTL, RDATA) is given.
fn message(id: u16, origin: &Name, soa: Option<&(u32, Vec<u8>)>) -> Option<Vec<u8>> {
    let name = HName::from_ascii(origin.to_string()).ok()?;
    let mut m = Message::new(id, MessageType::Query, OpCode::Notify);
    m.metadata.authoritative = true;
    m.add_query(Query::query(name, RecordType::SOA));
    if let Some((ttl, rd)) = soa {
        m.add_answer(client::record(origin.wire(), rdata::SOA, *ttl, rd)?);
    }
    m.to_vec().ok()
}

/// Sends NOTIFY `n` to `target`, retrying until answered; true when it was answered (and,
/// when signed, the answer's TSIG checked out).
async fn notify_one(n: &Notice<'_>, target: SocketAddr) -> bool {
    let (origin, serial) = (n.origin, n.serial);
    let sock = match client::udp_socket_for(target).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("failed to open a socket to notify {target} of {origin}: {e}");
            return false;
        }
    };
    let id = client::query_id();
    let Some(msg) = message(id, origin, n.soa) else {
        tracing::warn!("failed to build a NOTIFY for {origin}");
        return false;
    };
    let mut wait = FIRST_WAIT;
    let mut buf = [0u8; 512];
    for attempt in 1..=TRIES {
        // Each try is signed afresh (the TSIG time must be current).
        let mut wire = msg.clone();
        let mut check = n.key.map(|k| tsig::sign_request(&mut wire, k, tsig::now()));
        if let Err(e) = sock.send_to(&wire, target).await {
            tracing::debug!("failed to send NOTIFY of {origin} to {target}: {e}");
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let got = tokio::time::timeout_at(deadline, sock.recv_from(&mut buf)).await;
            let Ok(Ok((len, from))) = got else { break };
            if from != target {
                continue;
            }
            let Ok(resp) = Message::from_vec(&buf[..len]) else {
                continue;
            };
            if resp.metadata.id != id || resp.metadata.message_type != MessageType::Response {
                continue;
            }
            if let Some(c) = check.as_mut() {
                if let Err(e) = c.check(&buf[..len], tsig::now()) {
                    tracing::warn!(
                        "NOTIFY of {origin} serial {serial} to {target}: answer rejected: {e}"
                    );
                    return false;
                }
            }
            tracing::info!(
                "NOTIFY of {origin} serial {serial} to {target}: answered {} (try {attempt})",
                resp.metadata.response_code
            );
            return true;
        }
        wait *= 2;
    }
    tracing::warn!("NOTIFY of {origin} serial {serial} to {target}: no answer after {TRIES} tries");
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_message_is_a_notify_for_the_soa() {
        let origin = Name::from_ascii("lihui.hadoop").expect("name");
        let m = message(77, &origin, None).expect("builds");
        let back = Message::from_vec(&m).expect("parses");
        assert_eq!(back.metadata.op_code, OpCode::Notify);
        assert!(back.metadata.authoritative);
        assert_eq!(back.queries[0].query_type(), RecordType::SOA);
        assert_eq!(back.queries[0].name().to_ascii(), "lihui.hadoop.");
    }

    #[test]
    fn notify_carries_the_soa_in_the_answer_section() {
        let origin = Name::from_ascii("lihui.hadoop").expect("name");
        // SOA rdata: mname, rname (uncompressed), serial 2024010107, then four timers.
        let mut rd = Vec::new();
        rd.extend_from_slice(b"\x08lhmaster\x05lihui\x06hadoop\x00");
        rd.extend_from_slice(b"\x04root\x05lihui\x06hadoop\x00");
        for v in [2024010107u32, 3600, 900, 604800, 86400] {
            rd.extend_from_slice(&v.to_be_bytes());
        }
        let m = message(9, &origin, Some(&(3600, rd))).expect("builds");
        let back = Message::from_vec(&m).expect("parses");
        assert_eq!(back.answers.len(), 1);
        let hickory_proto::rr::RData::SOA(soa) = &back.answers[0].data else {
            panic!("not an SOA: {:?}", back.answers[0]);
        };
        assert_eq!(soa.serial, 2024010107);
        assert_eq!(back.answers[0].ttl, 3600);
        assert_eq!(back.answers[0].name.to_ascii(), "lihui.hadoop.");
    }

    #[test]
    fn a_signed_notify_verifies_with_the_key() {
        let origin = Name::from_ascii("lihui.hadoop").expect("name");
        let key: TsigKey = "xfr:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQ="
            .parse()
            .expect("key");
        let mut wire = message(5, &origin, None).expect("builds");
        let _check = tsig::sign_request(&mut wire, &key, tsig::now());
        let keys = [key];
        assert!(matches!(
            tsig::verify(&wire, &keys, tsig::now()),
            tsig::Verified::Valid(_)
        ));
    }
}
