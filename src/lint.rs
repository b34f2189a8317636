//! `clusterdns check --lint`: the cluster lint over a set of zones, forward and reverse
//! together. One line per finding, `path:line: error|warning: message`:
//!
//! - an A/AAAA with no matching PTR, when the reverse zone holding its address is one of ours
//!   (and has no `auto_ptr`);
//! - a PTR with no matching A/AAAA, when the target's zone is ours;
//! - a PTR to a name that does not exist in our zones;
//! - a CNAME where Hadoop needs an address: a PTR target or an NS target that is a CNAME;
//! - two names on one address and no canonical mark (warning; the mark is: exactly one PTR
//!   for the address in a reverse file);
//! - with `--against ADDR:PORT`: a zone whose file serial is below the served one, or whose
//!   names (A, AAAA, PTR, CNAME) differ from what the server answers while the serial is the
//!   same (not bumped).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::dns::name::{self, Name};
use crate::dns::rdata;
use crate::dns::serial::serial_le;
use crate::zone::synth::{is_reverse, reverse_name};

/// One zone to lint: its file, origin, and whether its PTRs are synthesized (`auto_ptr`).
pub struct LintZone {
    pub path: PathBuf,
    pub origin: Name,
    pub auto_ptr: bool,
}

/// One record as written, with where.
struct Rec {
    owner: Name,
    rtype: u16,
    rdata: Box<[u8]>,
    path: PathBuf,
    line: u32,
    /// Index into the zones.
    zone: usize,
}

/// One finding.
struct Finding {
    path: PathBuf,
    line: u32,
    error: bool,
    message: String,
}

/// At most this many RRsets of a zone are compared with the server (`--against`).
const AGAINST_MAX_QUERIES: usize = 2000;
/// And for at most this long in all.
const AGAINST_DEADLINE: Duration = Duration::from_secs(20);

/// Lints `zones` (already checked to load); writes the findings and a summary to `err`;
/// true when there is no error finding.
pub fn lint(
    zones: &[LintZone],
    against: Option<SocketAddr>,
    err: &mut dyn Write,
) -> std::io::Result<bool> {
    let mut recs = Vec::new();
    let mut serials = Vec::with_capacity(zones.len());
    for (i, z) in zones.iter().enumerate() {
        let parsed =
            crate::zonefile::parse_file(&z.path, &crate::zonefile::Options::new(z.origin.clone()));
        let mut serial = 0;
        for r in parsed.records {
            if r.rtype == rdata::SOA {
                serial = crate::dns::serial::soa_serial(&r.rdata);
            }
            recs.push(Rec {
                owner: r.owner.to_lowercase(),
                rtype: r.rtype,
                rdata: r.rdata,
                path: parsed
                    .files
                    .get(r.file as usize)
                    .cloned()
                    .unwrap_or_default(),
                line: r.line,
                zone: i,
            });
        }
        serials.push(serial);
    }
    let mut out = Vec::new();
    names(zones, &recs, &mut out);
    if let Some(server) = against {
        for (i, z) in zones.iter().enumerate() {
            against_server(z, serials[i], &recs, i, server, &mut out);
        }
    }
    out.sort_by(|a, b| (&a.path, a.line, &a.message).cmp(&(&b.path, b.line, &b.message)));
    out.dedup_by(|a, b| a.path == b.path && a.line == b.line && a.message == b.message);
    let errors = out.iter().filter(|f| f.error).count();
    for f in &out {
        let kind = if f.error { "error" } else { "warning" };
        writeln!(
            err,
            "{}:{}: {kind}: {}",
            f.path.display(),
            f.line,
            f.message
        )?;
    }
    writeln!(
        err,
        "lint: {} zones, {errors} errors, {} warnings",
        zones.len(),
        out.len() - errors
    )?;
    Ok(errors == 0)
}

/// The most specific of `zones` holding `n`.
fn zone_of(zones: &[LintZone], n: &[u8]) -> Option<usize> {
    zones
        .iter()
        .enumerate()
        .filter(|(_, z)| name::is_subdomain(n, z.origin.wire()))
        .max_by_key(|(_, z)| z.origin.len())
        .map(|(i, _)| i)
}

/// The address a reverse name stands for (`5.1.168.192.in-addr.arpa.` -> 192.168.1.5).
fn address_of(owner: &Name) -> Option<IpAddr> {
    let labels: Vec<&[u8]> = name::labels(owner.wire()).collect();
    let text = |l: &[u8]| std::str::from_utf8(l).ok().map(str::to_ascii_lowercase);
    match labels.as_slice() {
        [d, c, b, a, x, y] if text(x)? == "in-addr" && text(y)? == "arpa" => {
            let o = |l: &[u8]| text(l)?.parse::<u8>().ok();
            Some(IpAddr::from([o(a)?, o(b)?, o(c)?, o(d)?]))
        }
        [nibbles @ .., x, y] if nibbles.len() == 32 && text(x)? == "ip6" && text(y)? == "arpa" => {
            let mut v = [0u8; 16];
            for (i, l) in nibbles.iter().rev().enumerate() {
                let d = u8::from_str_radix(&text(l)?, 16).ok()?;
                v[i / 2] |= if i % 2 == 0 { d << 4 } else { d };
            }
            Some(IpAddr::from(v))
        }
        _ => None,
    }
}

fn ip_of(r: &Rec) -> Option<IpAddr> {
    match r.rtype {
        rdata::A => <[u8; 4]>::try_from(&r.rdata[..]).ok().map(IpAddr::from),
        rdata::AAAA => <[u8; 16]>::try_from(&r.rdata[..]).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Forward against reverse, PTR and NS targets, names per address.
fn names(zones: &[LintZone], recs: &[Rec], out: &mut Vec<Finding>) {
    let mut at: BTreeMap<&Name, Vec<&Rec>> = BTreeMap::new();
    for r in recs {
        at.entry(&r.owner).or_default().push(r);
    }
    // Delegations (NS below an apex): addresses at or below them are glue.
    let cuts: Vec<&Name> = recs
        .iter()
        .filter(|r| r.rtype == rdata::NS && r.owner != zones[r.zone].origin.to_lowercase())
        .map(|r| &r.owner)
        .collect();
    let glue = |r: &Rec| cuts.iter().any(|c| r.owner.is_subdomain_of(c));
    let mut by_addr: BTreeMap<IpAddr, Vec<&Rec>> = BTreeMap::new();
    for r in recs {
        if is_reverse(&zones[r.zone].origin) || glue(r) {
            continue;
        }
        if let Some(ip) = ip_of(r) {
            by_addr.entry(ip).or_default().push(r);
        }
    }
    let mut ptrs: BTreeMap<IpAddr, Vec<&Rec>> = BTreeMap::new();
    for r in recs.iter().filter(|r| r.rtype == rdata::PTR) {
        if let Some(ip) = address_of(&r.owner) {
            ptrs.entry(ip).or_default().push(r);
        }
    }
    let target = |r: &Rec| Name::from_wire_unchecked(&r.rdata).to_lowercase();
    for (ip, fwd) in &by_addr {
        let rev = reverse_name(*ip);
        let ours = zone_of(zones, rev.wire()).filter(|&z| is_reverse(&zones[z].origin));
        let mut owners: Vec<&Name> = fwd.iter().map(|r| &r.owner).collect();
        owners.dedup();
        let listed = ptrs.get(ip).map_or(&[][..], Vec::as_slice);
        if let Some(z) = ours.filter(|&z| !zones[z].auto_ptr) {
            for r in fwd {
                if !listed.iter().any(|p| target(p) == r.owner) {
                    out.push(finding(
                        r,
                        true,
                        format!(
                            "{} {} {ip} has no matching PTR in zone {}",
                            r.owner,
                            rdata::type_name(r.rtype),
                            zones[z].origin
                        ),
                    ));
                }
            }
        }
        if owners.len() > 1 && listed.len() != 1 {
            let shown: Vec<String> = owners.iter().map(|n| n.to_string()).collect();
            let second = fwd
                .iter()
                .find(|r| r.owner != fwd[0].owner)
                .unwrap_or(&fwd[0]);
            out.push(finding(
                second,
                false,
                format!(
                    "{ip} has several names ({}) and no canonical mark (one PTR for it)",
                    shown.join(", ")
                ),
            ));
        }
    }
    for r in recs.iter().filter(|r| r.rtype == rdata::PTR) {
        let t = target(r);
        if zone_of(zones, t.wire()).is_none() {
            continue;
        }
        let Some(there) = at.get(&t) else {
            out.push(finding(
                r,
                true,
                format!("PTR to {t}, a name that does not exist"),
            ));
            continue;
        };
        if there.iter().any(|x| x.rtype == rdata::CNAME) {
            out.push(finding(
                r,
                true,
                format!("PTR to {t}, a CNAME (Hadoop needs the name that has the A record)"),
            ));
            continue;
        }
        if let Some(ip) = address_of(&r.owner) {
            if !there.iter().any(|x| ip_of(x) == Some(ip)) {
                out.push(finding(
                    r,
                    true,
                    format!("PTR {} -> {t}, but {t} has no A/AAAA {ip}", r.owner),
                ));
            }
        }
    }
    for r in recs.iter().filter(|r| r.rtype == rdata::NS) {
        let t = Name::from_wire_unchecked(&r.rdata).to_lowercase();
        if at
            .get(&t)
            .is_some_and(|v| v.iter().any(|x| x.rtype == rdata::CNAME))
        {
            out.push(finding(
                r,
                true,
                format!("NS target {t} is a CNAME (it must have A/AAAA records)"),
            ));
        }
    }
}

fn finding(r: &Rec, error: bool, message: String) -> Finding {
    Finding {
        path: r.path.clone(),
        line: r.line,
        error,
        message,
    }
}

/// Compares zone `i` with what `server` serves.
fn against_server(
    z: &LintZone,
    file_serial: u32,
    recs: &[Rec],
    i: usize,
    server: SocketAddr,
    out: &mut Vec<Finding>,
) {
    let soa_line = recs
        .iter()
        .find(|r| r.zone == i && r.rtype == rdata::SOA)
        .map_or((z.path.clone(), 0), |r| (r.path.clone(), r.line));
    let mut report = |error: bool, message: String| {
        out.push(Finding {
            path: soa_line.0.clone(),
            line: soa_line.1,
            error,
            message,
        })
    };
    let served = match query(server, &z.origin, rdata::SOA) {
        Ok(a) => a
            .first()
            .and_then(|s| s.split_whitespace().nth(2)?.parse::<u32>().ok()),
        Err(e) => {
            report(
                true,
                format!("failed to query {server} for the SOA of {}: {e}", z.origin),
            );
            return;
        }
    };
    let Some(served) = served else {
        report(false, format!("{server} does not serve zone {}", z.origin));
        return;
    };
    if file_serial != served && serial_le(file_serial, served) {
        report(
            true,
            format!("serial {file_serial} is below the served {served}: secondaries and caches keep the served version"),
        );
        return;
    }
    if file_serial != served {
        return; // bumped: the server will pick it up
    }
    // Same serial: any difference in the names means the serial was not bumped.
    let mut sets: BTreeMap<(&Name, u16), BTreeSet<String>> = BTreeMap::new();
    for r in recs.iter().filter(|r| r.zone == i) {
        if matches!(r.rtype, rdata::A | rdata::AAAA | rdata::PTR | rdata::CNAME) {
            let mut text = String::new();
            rdata::write_rdata(r.rtype, &r.rdata, &mut text);
            sets.entry((&r.owner, r.rtype))
                .or_default()
                .insert(norm(&text));
        }
    }
    let t0 = Instant::now();
    for (n, ((owner, rtype), want)) in sets.iter().enumerate() {
        if n >= AGAINST_MAX_QUERIES || t0.elapsed() > AGAINST_DEADLINE {
            break;
        }
        let Ok(have) = query(server, owner, *rtype) else {
            continue;
        };
        let have: BTreeSet<String> = have.iter().map(|s| norm(s)).collect();
        if &have != want {
            report(
                true,
                format!(
                    "{owner} {} differs from the served version but serial {file_serial} was not bumped",
                    rdata::type_name(*rtype)
                ),
            );
            return;
        }
    }
}

/// RDATA text compared across our form and hickory's: addresses parsed, names lower-cased.
fn norm(s: &str) -> String {
    match s.parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => s.to_ascii_lowercase(),
    }
}

/// The answer RDATA (as text) of one UDP query for `name`/`rtype` of the same type.
fn query(server: SocketAddr, qname: &Name, rtype: u16) -> Result<Vec<String>, String> {
    let bind: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = UdpSocket::bind(bind).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    let id = (std::process::id() as u16) ^ (rtype.rotate_left(7));
    let mut q = Vec::with_capacity(32 + qname.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    q.extend_from_slice(qname.wire());
    q.extend_from_slice(&rtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    let mut buf = [0u8; 4096];
    for _ in 0..2 {
        sock.send_to(&q, server).map_err(|e| e.to_string())?;
        let Ok((n, _)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let m = hickory_proto::op::Message::from_vec(&buf[..n]).map_err(|e| e.to_string())?;
        if m.metadata.id != id {
            continue;
        }
        return Ok(m
            .answers
            .iter()
            .filter(|r| u16::from(r.record_type()) == rtype)
            .map(|r| r.data.to_string())
            .collect());
    }
    Err("no answer".to_string())
}
