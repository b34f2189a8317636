//! Dynamic updates end to end: the channel the UDP workers and TCP connections hand UPDATE
//! messages to (never blocking the query path: a full queue answers SERVFAIL), and the step
//! the reload task runs for each one: authorize (`allow_update` prefixes), check, apply, make
//! it durable, publish, answer.
//!
//! Durability: the new version is written to the zone file before NOERROR is sent (temp file,
//! fsync, rename over the zone file, fsync of the directory), so a SIGKILL right after the
//! answer loses nothing and a restart serves it. The reloader takes the written file's stamp
//! as its own, so our write is not reloaded as an edit. A human edit not yet loaded when an
//! update arrives (the file's stamp differs from the served version's) is a conflict: the
//! update is refused with SERVFAIL and logged; the edit is then loaded as usual, and the
//! client may retry. Zones read with `$INCLUDE`s or a `hosts_file` are not updatable
//! (folding would flatten them): REFUSED.

use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::dns::tsig::{self, Verified};
use crate::dns::wire::rcode;
use crate::source::reload::Reloader;
use crate::source::update;

/// Updates waiting for the reload task; more are answered SERVFAIL.
const QUEUE: usize = 256;

/// Where the answer goes.
pub enum Reply {
    /// Sent on this socket to this peer.
    Udp(Arc<UdpSocket>, SocketAddr),
    /// Handed back to the TCP connection.
    Tcp(oneshot::Sender<Vec<u8>>),
}

impl Reply {
    pub(super) fn send(self, resp: Vec<u8>) {
        match self {
            Reply::Udp(s, peer) => {
                let _ = s.send_to(&resp, peer);
            }
            Reply::Tcp(tx) => {
                let _ = tx.send(resp);
            }
        }
    }
}

/// One UPDATE message handed over.
pub struct UpdateJob {
    pub packet: Vec<u8>,
    pub peer: SocketAddr,
    pub reply: Reply,
}

/// The sockets' end of the update channel.
#[derive(Debug, Clone)]
pub struct Updater {
    tx: mpsc::Sender<UpdateJob>,
}

impl Updater {
    /// A new channel: the `Updater` for the sockets, the receiver for the reload task.
    pub fn channel() -> (Updater, mpsc::Receiver<UpdateJob>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (Updater { tx }, rx)
    }

    /// Hands `job` over; when the queue is full, answers SERVFAIL at once.
    pub fn hand_off(&self, job: UpdateJob) {
        if let Err(e) = self.tx.try_send(job) {
            let job = match e {
                mpsc::error::TrySendError::Full(j) | mpsc::error::TrySendError::Closed(j) => j,
            };
            let resp = response(&job.packet, rcode::SERVFAIL);
            job.reply.send(resp);
        }
    }
}

/// The answer to `packet`: its ID, opcode and zone section, QR set, `rc`.
pub fn response(packet: &[u8], rc: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    let id = packet.get(..2).unwrap_or(&[0, 0]);
    out.extend_from_slice(id);
    out.push(0x80 | (5 << 3));
    out.push(rc & 0x0f);
    // Echo the zone section when it can be found.
    let zone = zone_section(packet);
    out.extend_from_slice(&[0, zone.is_some() as u8, 0, 0, 0, 0, 0, 0]);
    if let Some(z) = zone {
        out.extend_from_slice(z);
    }
    out
}

fn zone_section(p: &[u8]) -> Option<&[u8]> {
    if p.get(4..6)? != [0, 1] {
        return None;
    }
    let mut at = 12;
    loop {
        let l = *p.get(at)? as usize;
        if l == 0 {
            at += 1;
            break;
        }
        if l > 63 {
            return None;
        }
        at += 1 + l;
    }
    p.get(12..at + 4)
}

/// Runs one update against the reloader's zones; returns the answer. A signed update is
/// verified first (RFC 8945): a bad or unknown key is answered NOTAUTH (BADSIG/BADKEY,
/// unsigned), a good one is judged by the zone's `key:NAME` entries and its answer signed.
pub(super) fn run(r: &mut Reloader, packet: &[u8], peer: SocketAddr) -> Vec<u8> {
    let zone = update::parse(packet).map(|m| m.zone);
    let (keys, allowed) = match &zone {
        Ok(z) => r.update_keys(z),
        Err(_) => (Vec::new(), Vec::new()),
    };
    let now = tsig::now();
    let rc = |res: Result<(), u8>| res.err().unwrap_or(rcode::NOERROR);
    match tsig::verify(packet, &keys, now) {
        Verified::Unsigned => response(packet, rc(step(r, packet, peer, None, &allowed))),
        Verified::Malformed => response(packet, rcode::FORMERR),
        Verified::Bad {
            error,
            response_tsig,
        } => {
            tracing::info!("update from {peer} refused: TSIG error {error}");
            let mut resp = response(packet, update::urcode::NOTAUTH);
            crate::dns::tsig::append_record(&mut resp, &response_tsig);
            resp
        }
        Verified::Valid(mut s) => {
            let code = if s.error() != 0 {
                tracing::info!("update from {peer} refused: TSIG time outside the fudge");
                update::urcode::NOTAUTH
            } else {
                let key = s.key_name().clone();
                rc(step(r, packet, peer, Some(&key), &allowed))
            };
            let mut resp = response(packet, code);
            s.sign(&mut resp, now);
            resp
        }
    }
}

fn step(
    r: &mut Reloader,
    packet: &[u8],
    peer: SocketAddr,
    key: Option<&crate::dns::name::Name>,
    allowed_keys: &[crate::dns::name::Name],
) -> Result<(), u8> {
    let msg = update::parse(packet)?;
    let Some(allow) = r.allow_update(&msg.zone) else {
        // Not ours, or no allow_update: BIND answers NOTAUTH and REFUSED.
        return Err(if r.serves(&msg.zone) {
            rcode::REFUSED
        } else {
            update::urcode::NOTAUTH
        });
    };
    update::authorize(&msg, peer.ip(), &allow, key, allowed_keys).inspect_err(|_| {
        tracing::info!(
            "update of zone {} from {peer} refused: not allowed",
            msg.zone
        )
    })?;
    let Some(target) = r.update_target(&msg.zone) else {
        tracing::warn!(
            "update of zone {} refused: only a zone read from one zone file (no $INCLUDE, no hosts_file) can be updated",
            msg.zone
        );
        return Err(rcode::REFUSED);
    };
    if !target.unchanged_on_disk {
        tracing::warn!(
            "update of zone {} refused: {} was edited and not loaded yet (the edit wins; retry after the reload)",
            msg.zone,
            target.path.display()
        );
        return Err(rcode::SERVFAIL);
    }
    update::check_prereqs(&target.zone, &msg)?;
    let Some(new) = update::apply(&target.zone, &msg)? else {
        return Ok(());
    };
    if let Err(e) = write_zone_file(&target.path, &new) {
        tracing::error!(
            "update of zone {} not applied: failed to write {}: {e}",
            msg.zone,
            target.path.display()
        );
        return Err(rcode::SERVFAIL);
    }
    tracing::info!(
        "zone {}: dynamic update from {peer}: serial {} -> {}",
        msg.zone,
        target.zone.serial,
        new.serial
    );
    r.commit_update(&target.path, new);
    Ok(())
}

/// Writes `zone` over `path` atomically and durably (temp file, fsync, rename, fsync dir).
fn write_zone_file(path: &Path, zone: &crate::zone::Zone) -> std::io::Result<()> {
    let mut text = Vec::with_capacity(zone.records * 48 + 128);
    writeln!(
        text,
        "; zone {} written by clusterdns after a dynamic update (serial {})",
        zone.origin, zone.serial
    )?;
    crate::check::print_zone(zone, &mut text)?;
    super::write_durably(path, &text)
}
