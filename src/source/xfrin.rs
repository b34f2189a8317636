//! Transfers in, the client side of secondary mode: the SOA query (UDP), and IXFR (RFC 1995)
//! with AXFR (RFC 5936) as the fallback, over TCP; every query TSIG-signed when the primary
//! entry names a key, and every answer's TSIG checked (RFC 8945). Messages are built and
//! parsed with hickory-proto; the IXFR answer (incremental or AXFR-style) is applied to the
//! records of the version we hold.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name as HName, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::dns::name::Name;
use crate::dns::tsig::{self, ResponseCheck, TsigKey};

/// How long one SOA query or connection may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one transfer message may take.
const MSG_TIMEOUT: Duration = Duration::from_secs(30);

/// SOA timers of a zone (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
}

impl Timers {
    /// The timers of SOA RDATA in wire form (the last 20 bytes).
    pub fn of_rdata(rd: &[u8]) -> Option<Timers> {
        let t = rd.get(rd.len().checked_sub(20)?..)?;
        let at = |i: usize| u32::from_be_bytes([t[i], t[i + 1], t[i + 2], t[i + 3]]);
        Some(Timers {
            serial: at(0),
            refresh: at(4),
            retry: at(8),
            expire: at(12),
        })
    }

    fn of_record(r: &Record) -> Option<Timers> {
        match &r.data {
            RData::SOA(s) => Some(Timers {
                serial: s.serial,
                refresh: s.refresh.max(0) as u32,
                retry: s.retry.max(0) as u32,
                expire: s.expire.max(0) as u32,
            }),
            _ => None,
        }
    }
}

/// What a transfer brought: the whole zone (SOA first, no closing SOA) and how it came.
pub struct Transferred {
    pub records: Vec<Record>,
    /// "IXFR" (incremental, applied to the held version) or "AXFR" (whole zone).
    pub how: &'static str,
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn hname(origin: &Name) -> io::Result<HName> {
    HName::from_ascii(origin.to_string()).map_err(|e| bad(format!("bad zone name: {e}")))
}

/// The query `qtype` for `origin`, with `authority` (IXFR: our SOA), signed with `key`.
fn query<'k>(
    origin: &Name,
    qtype: RecordType,
    authority: Option<Record>,
    key: Option<&'k TsigKey>,
) -> io::Result<(u16, Vec<u8>, Option<ResponseCheck<'k>>)> {
    let id = crate::dns::client::query_id();
    let mut q = Message::new(id, MessageType::Query, OpCode::Query);
    q.add_query(Query::query(hname(origin)?, qtype));
    if let Some(a) = authority {
        q.add_authority(a);
    }
    let mut wire = q
        .to_vec()
        .map_err(|e| bad(format!("failed to build a {qtype} query: {e}")))?;
    let check = key.map(|k| tsig::sign_request(&mut wire, k, tsig::now()));
    Ok((id, wire, check))
}

/// The primary's SOA timers (a UDP query).
pub async fn soa(origin: &Name, primary: SocketAddr, key: Option<&TsigKey>) -> io::Result<Timers> {
    let sock = crate::dns::client::udp_socket_for(primary).await?;
    let (id, wire, mut check) = query(origin, RecordType::SOA, None, key)?;
    sock.send_to(&wire, primary).await?;
    let mut buf = vec![0u8; 4096];
    let deadline = tokio::time::Instant::now() + QUERY_TIMEOUT;
    loop {
        let (n, from) = tokio::time::timeout_at(deadline, sock.recv_from(&mut buf))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer to the SOA query"))??;
        let Ok(m) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        if from != primary || m.metadata.id != id {
            continue;
        }
        if let Some(c) = check.as_mut() {
            c.check(&buf[..n], tsig::now())
                .map_err(|e| bad(format!("SOA answer: {e}")))?;
        }
        if m.metadata.response_code != ResponseCode::NoError {
            return Err(bad(format!(
                "SOA query answered {}",
                m.metadata.response_code
            )));
        }
        return m
            .answers
            .iter()
            .find_map(Timers::of_record)
            .ok_or_else(|| bad("no SOA in the answer".into()));
    }
}

/// Where the transfer stream is.
enum State {
    /// Nothing yet.
    Start,
    /// After the first SOA: the next record says incremental or whole zone.
    First,
    /// A whole zone, until the closing SOA.
    Whole,
    /// Incremental: deleting, then adding, until the new SOA closes.
    Deleting,
    Adding,
    Done,
}

/// The zone by IXFR from `held` (our version's records, SOA first), or by AXFR without one.
/// An IXFR answered AXFR-style is taken as the whole zone.
pub async fn transfer(
    origin: &Name,
    primary: SocketAddr,
    key: Option<&TsigKey>,
    held: Option<&[Record]>,
) -> io::Result<Transferred> {
    let held_soa = held.and_then(|h| h.first().filter(|r| Timers::of_record(r).is_some()));
    let (qtype, authority) = match held_soa {
        Some(soa) => (RecordType::IXFR, Some(soa.clone())),
        None => (RecordType::AXFR, None),
    };
    let held_serial = held_soa.and_then(Timers::of_record).map(|t| t.serial);
    let mut s = tokio::time::timeout(QUERY_TIMEOUT, TcpStream::connect(primary))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
    let (id, wire, mut check) = query(origin, qtype, authority, key)?;
    let mut framed = (wire.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&wire);
    s.write_all(&framed).await?;

    let mut state = State::Start;
    let mut new_serial = 0u32;
    let mut first: Option<Record> = None;
    let mut records: Vec<Record> = Vec::new();
    // The held version an incremental answer is applied to.
    let mut base: Option<Base> = None;
    let mut incremental = false;
    let mut buf = vec![0u8; 65535];
    while !matches!(state, State::Done) {
        let mut len = [0u8; 2];
        let read = async {
            s.read_exact(&mut len).await?;
            let n = u16::from_be_bytes(len) as usize;
            s.read_exact(&mut buf[..n]).await?;
            Ok::<usize, io::Error>(n)
        };
        let n = tokio::time::timeout(MSG_TIMEOUT, read)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "transfer stalled"))??;
        if let Some(c) = check.as_mut() {
            c.check(&buf[..n], tsig::now()).map_err(bad)?;
        }
        let m = Message::from_vec(&buf[..n]).map_err(|e| bad(format!("broken message: {e}")))?;
        if m.metadata.id != id {
            return Err(bad("answer with another ID".into()));
        }
        if m.metadata.response_code != ResponseCode::NoError {
            return Err(bad(format!(
                "{qtype} answered {}",
                m.metadata.response_code
            )));
        }
        for r in m.answers {
            let soa = Timers::of_record(&r);
            state = match state {
                State::Start => {
                    let t =
                        soa.ok_or_else(|| bad("transfer does not start with the SOA".into()))?;
                    new_serial = t.serial;
                    first = Some(r);
                    State::First
                }
                State::First => match soa {
                    Some(t) if Some(t.serial) == held_serial && t.serial != new_serial => {
                        incremental = true;
                        base = Some(Base::new(held.map(<[Record]>::to_vec).unwrap_or_default()));
                        State::Deleting
                    }
                    Some(_) => State::Done, // a zone of its SOA alone
                    None => {
                        records.extend(first.clone());
                        records.push(r);
                        State::Whole
                    }
                },
                State::Whole if soa.is_some() => State::Done,
                State::Whole => {
                    records.push(r);
                    State::Whole
                }
                State::Deleting if soa.is_some() => State::Adding,
                State::Deleting => {
                    let b = base
                        .as_mut()
                        .ok_or_else(|| bad("IXFR out of order".into()))?;
                    if !b.remove(&r) {
                        return Err(bad(format!("IXFR deletes a record we do not hold: {r}")));
                    }
                    State::Deleting
                }
                State::Adding => match soa {
                    Some(t) if t.serial == new_serial => State::Done,
                    Some(_) => State::Deleting,
                    None => {
                        let b = base
                            .as_mut()
                            .ok_or_else(|| bad("IXFR out of order".into()))?;
                        b.add(r);
                        State::Adding
                    }
                },
                State::Done => State::Done,
            };
        }
        if matches!(state, State::First) && held_serial == Some(new_serial) {
            // IXFR answered with the one SOA: we are current.
            records = held.map(<[Record]>::to_vec).unwrap_or_default();
            state = State::Done;
        }
    }
    if let Some(b) = base {
        records = b.into_records();
    }
    let new_soa = first.ok_or_else(|| bad("empty transfer".into()))?;
    if records.is_empty() {
        records.push(new_soa);
    } else {
        records[0] = new_soa;
    }
    Ok(Transferred {
        records,
        how: if incremental { "IXFR" } else { "AXFR" },
    })
}

/// The same record (owner, type, class, data), whatever the TTL.
fn same(a: &Record, b: &Record) -> bool {
    a.name == b.name
        && a.record_type() == b.record_type()
        && a.dns_class == b.dns_class
        && a.data == b.data
}

/// The held records an IXFR is applied to, indexed by (owner, type, class, data) -- owner
/// names compare without case, as `same` does -- so each deletion and addition costs O(1)
/// instead of a scan of the zone (k changes to an n-record zone: O(n + k), was O(k * n)).
/// Deleted records are marked and dropped at the end; the survivors keep their order and
/// additions follow them.
struct Base {
    records: Vec<Record>,
    alive: Vec<bool>,
    /// Hash of a record's key -> indices of live records with that hash.
    index: HashMap<u64, Vec<usize>>,
    hasher: RandomState,
}

impl Base {
    fn new(records: Vec<Record>) -> Base {
        let mut b = Base {
            alive: vec![true; records.len()],
            index: HashMap::with_capacity(records.len()),
            hasher: RandomState::new(),
            records: Vec::new(),
        };
        for (i, r) in records.iter().enumerate() {
            let h = b.key(r);
            b.index.entry(h).or_default().push(i);
        }
        b.records = records;
        b
    }

    fn key(&self, r: &Record) -> u64 {
        self.hasher
            .hash_one((&r.name, r.record_type(), r.dns_class, &r.data))
    }

    /// Where a live record equal to `r` is: (its hash, its place in the hash's list, its index).
    fn find(&self, r: &Record) -> Option<(u64, usize, usize)> {
        let h = self.key(r);
        let list = self.index.get(&h)?;
        list.iter()
            .position(|&i| same(&self.records[i], r))
            .map(|at| (h, at, list[at]))
    }

    /// Deletes the record equal to `r`; false when none is held.
    fn remove(&mut self, r: &Record) -> bool {
        let Some((h, at, i)) = self.find(r) else {
            return false;
        };
        if let Some(list) = self.index.get_mut(&h) {
            list.swap_remove(at);
        }
        self.alive[i] = false;
        true
    }

    /// Adds `r` unless an equal record is held (an RRset holds a record once).
    fn add(&mut self, r: Record) {
        if self.find(&r).is_some() {
            return;
        }
        let h = self.key(&r);
        self.index.entry(h).or_default().push(self.records.len());
        self.records.push(r);
        self.alive.push(true);
    }

    fn into_records(self) -> Vec<Record> {
        self.records
            .into_iter()
            .zip(self.alive)
            .filter_map(|(r, live)| live.then_some(r))
            .collect()
    }
}

/// The SOA timers of a transferred zone.
pub fn timers(records: &[Record]) -> Option<Timers> {
    records.first().and_then(Timers::of_record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::A;

    fn a(owner: &str, ip: [u8; 4], ttl: u32) -> Record {
        let name = HName::from_ascii(owner).expect("name");
        Record::from_rdata(name, ttl, RData::A(A::from(std::net::Ipv4Addr::from(ip))))
    }

    #[test]
    fn an_ixfr_base_deletes_and_adds_by_key_and_keeps_the_order() {
        let held: Vec<Record> = (0..5u8)
            .map(|i| a(&format!("h{i}.t.test."), [10, 0, 0, i], 300))
            .collect();
        let mut b = Base::new(held);
        // Owner names compare without case, TTLs do not matter.
        assert!(b.remove(&a("H1.T.test.", [10, 0, 0, 1], 60)));
        assert!(
            !b.remove(&a("h1.t.test.", [10, 0, 0, 1], 300)),
            "deleted once"
        );
        assert!(
            !b.remove(&a("h2.t.test.", [10, 0, 0, 9], 300)),
            "other data"
        );
        b.add(a("h3.t.test.", [10, 0, 0, 3], 300)); // held already: not twice
        b.add(a("h1.t.test.", [10, 0, 0, 7], 300));
        b.add(a("h9.t.test.", [10, 0, 0, 9], 300));
        assert!(
            b.remove(&a("h9.t.test.", [10, 0, 0, 9], 300)),
            "an addition can go again"
        );
        let got: Vec<String> = b
            .into_records()
            .iter()
            .map(|r| format!("{} {}", r.name, r.data))
            .collect();
        assert_eq!(
            got,
            [
                "h0.t.test. 10.0.0.0",
                "h2.t.test. 10.0.0.2",
                "h3.t.test. 10.0.0.3",
                "h4.t.test. 10.0.0.4",
                "h1.t.test. 10.0.0.7",
            ]
        );
    }

    #[test]
    fn an_ixfr_base_of_many_records_applies_many_changes() {
        let n = 50_000u32;
        let ip = |i: u32| [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let held: Vec<Record> = (0..n)
            .map(|i| a(&format!("h{i}.t.test."), ip(i), 300))
            .collect();
        let mut b = Base::new(held);
        for i in (0..n).step_by(5) {
            assert!(b.remove(&a(&format!("h{i}.t.test."), ip(i), 300)));
            b.add(a(&format!("h{i}.t.test."), ip(i + n), 300));
        }
        let got = b.into_records();
        assert_eq!(got.len(), n as usize);
        assert_eq!(got[0].name.to_string(), "h1.t.test.");
        let last = got.last().expect("records");
        assert_eq!(last.name.to_string(), format!("h{}.t.test.", n - 5));
    }
}
