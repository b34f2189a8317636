//! Dynamic update (RFC 2136), the part that needs no network: an UPDATE message read from the
//! wire (names in the RDATA of the RFC 1035 types decompressed), who may update (a prefix ACL
//! from `allow_update`; TSIG is a hook until `dns::tsig` lands), the prerequisites checked
//! against the served zone, and the updates applied into a complete new `Zone` (serial
//! incremented, the zone checks applied: an update that would break the zone is refused and
//! changes nothing). Journaling is `source::journal`; the hand-off from the sockets and the
//! publish through the reloader are not wired yet.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::dns::name::{self, Name};
use crate::dns::rdata;
use crate::dns::serial::{serial_le, set_serial};
use crate::dns::wire::rcode;
use crate::query::acl::Table;
use crate::zone::{build, Zone};
use crate::zonefile::{Parsed, Record};

/// RFC 2136 response codes beyond those of RFC 1035.
pub mod urcode {
    pub const YXDOMAIN: u8 = 6;
    pub const YXRRSET: u8 = 7;
    pub const NXRRSET: u8 = 8;
    pub const NOTAUTH: u8 = 9;
    pub const NOTZONE: u8 = 10;
}

const OPCODE_UPDATE: u8 = 5;
const CLASS_IN: u16 = 1;
const CLASS_NONE: u16 = 254;
const CLASS_ANY: u16 = 255;
const TYPE_ANY: u16 = 255;
const TYPE_TSIG: u16 = 250;

/// One resource record of an UPDATE message, names uncompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRr {
    pub name: Name,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub rdata: Box<[u8]>,
}

/// An UPDATE message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateMsg {
    pub id: u16,
    pub zone: Name,
    pub prereqs: Vec<UpdateRr>,
    pub updates: Vec<UpdateRr>,
    /// The message ends with a TSIG record.
    pub signed: bool,
}

/// Why an update was not applied: the response code to send.
pub type Rcode = u8;

/// Reads an UPDATE message; FORMERR (or NOTIMP for another opcode) when it is not one.
pub fn parse(p: &[u8]) -> Result<UpdateMsg, Rcode> {
    let u16_at = |at: usize| -> Result<u16, Rcode> {
        p.get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or(rcode::FORMERR)
    };
    let id = u16_at(0)?;
    let flags = u16_at(2)?;
    if ((flags >> 11) & 0xf) as u8 != OPCODE_UPDATE {
        return Err(rcode::NOTIMP);
    }
    let (zo, pr, up, ad) = (u16_at(4)?, u16_at(6)?, u16_at(8)?, u16_at(10)?);
    if zo != 1 {
        return Err(rcode::FORMERR);
    }
    let (zone, mut at) = read_name(p, 12)?;
    if u16_at(at)? != rdata::SOA || u16_at(at + 2)? != CLASS_IN {
        return Err(rcode::FORMERR);
    }
    at += 4;
    let section = |n: u16, at: &mut usize| -> Result<Vec<UpdateRr>, Rcode> {
        let mut v = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let (rr, next) = read_rr(p, *at)?;
            v.push(rr);
            *at = next;
        }
        Ok(v)
    };
    let prereqs = section(pr, &mut at)?;
    let updates = section(up, &mut at)?;
    let additional = section(ad, &mut at)?;
    Ok(UpdateMsg {
        id,
        zone,
        prereqs,
        updates,
        signed: additional.last().is_some_and(|r| r.rtype == TYPE_TSIG),
    })
}

/// A name at `at`, following compression pointers; the position after it.
fn read_name(p: &[u8], mut at: usize) -> Result<(Name, usize), Rcode> {
    let mut wire = Vec::with_capacity(64);
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *p.get(at).ok_or(rcode::FORMERR)? as usize;
        match len {
            0 => {
                wire.push(0);
                break;
            }
            1..=63 => {
                let label = p.get(at..at + 1 + len).ok_or(rcode::FORMERR)?;
                wire.extend_from_slice(label);
                if wire.len() > name::MAX_NAME {
                    return Err(rcode::FORMERR);
                }
                at += 1 + len;
            }
            0xc0..=0xff => {
                let lo = *p.get(at + 1).ok_or(rcode::FORMERR)? as usize;
                end.get_or_insert(at + 2);
                jumps += 1;
                if jumps > 64 {
                    return Err(rcode::FORMERR);
                }
                at = ((len & 0x3f) << 8) | lo;
            }
            _ => return Err(rcode::FORMERR),
        }
    }
    Ok((Name::from_wire_unchecked(&wire), end.unwrap_or(at + 1)))
}

/// One RR at `at`; the position after it.
fn read_rr(p: &[u8], at: usize) -> Result<(UpdateRr, usize), Rcode> {
    let (name, at) = read_name(p, at)?;
    let fixed = p.get(at..at + 10).ok_or(rcode::FORMERR)?;
    let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    let class = u16::from_be_bytes([fixed[2], fixed[3]]);
    let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
    let len = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
    let start = at + 10;
    let end = start + len;
    let raw = p.get(start..end).ok_or(rcode::FORMERR)?;
    // The RFC 1035 types whose names a sender may compress: expand them.
    let names = match rtype {
        2..=5 | 7..=9 | 12 => 1,
        6 | 14 => 2,
        15 => 1,
        _ => 0,
    };
    let rdata: Box<[u8]> = if names == 0 || len == 0 {
        raw.into()
    } else {
        let mut out = Vec::with_capacity(len + 32);
        let mut q = start;
        if rtype == 15 {
            out.extend_from_slice(p.get(q..q + 2).ok_or(rcode::FORMERR)?);
            q += 2;
        }
        for _ in 0..names {
            let (n, next) = read_name(p, q)?;
            out.extend_from_slice(n.wire());
            q = next;
        }
        if q > end {
            return Err(rcode::FORMERR);
        }
        out.extend_from_slice(&p[q..end]);
        out.into()
    };
    Ok((
        UpdateRr {
            name,
            rtype,
            class,
            ttl,
            rdata,
        },
        end,
    ))
}

/// Who may update a zone: the `allow_update` prefixes for an unsigned message; a signed one
/// (its TSIG already verified by the caller: `key` is the key's name) goes to the TSIG hook.
pub fn authorize(
    msg: &UpdateMsg,
    peer: IpAddr,
    allow: &Table,
    key: Option<&Name>,
    allowed_keys: &[Name],
) -> Result<(), Rcode> {
    if msg.signed {
        return verify_tsig(key, allowed_keys);
    }
    if allow.allows(peer) {
        Ok(())
    } else {
        Err(rcode::REFUSED)
    }
}

/// TSIG hook: a message signed with a verified key (`dns::tsig::verify`, in
/// `source::updater`) may update when the zone's `allow_update` names the key (`key:NAME`);
/// another valid key is REFUSED; no verified key at all is NOTAUTH (never accepted unverified).
pub fn verify_tsig(key: Option<&Name>, allowed_keys: &[Name]) -> Result<(), Rcode> {
    let Some(key) = key else {
        return Err(urcode::NOTAUTH);
    };
    if allowed_keys
        .iter()
        .any(|k| k.wire().eq_ignore_ascii_case(key.wire()))
    {
        Ok(())
    } else {
        Err(rcode::REFUSED)
    }
}

/// The zone's content keyed by (lower-case owner, type), as sets of RDATA.
type Sets = BTreeMap<(Name, u16), (Name, u32, Vec<Box<[u8]>>)>;

fn sets_of(zone: &Zone) -> Sets {
    let mut s = Sets::new();
    for node in &zone.nodes {
        for set in node.rrsets.iter() {
            s.insert(
                (node.name.to_lowercase(), set.rtype),
                (
                    node.name.clone(),
                    set.ttl,
                    set.rdatas().map(Into::into).collect(),
                ),
            );
        }
    }
    s
}

fn name_in_use(s: &Sets, n: &Name) -> bool {
    s.range((n.clone(), 0)..=(n.clone(), u16::MAX))
        .next()
        .is_some()
}

/// Checks the prerequisites (RFC 2136 3.2) against `zone`.
pub fn check_prereqs(zone: &Zone, msg: &UpdateMsg) -> Result<(), Rcode> {
    let s = sets_of(zone);
    let mut want: BTreeMap<(Name, u16), Vec<&[u8]>> = BTreeMap::new();
    for r in &msg.prereqs {
        if r.ttl != 0 {
            return Err(rcode::FORMERR);
        }
        let n = r.name.to_lowercase();
        if !n.is_subdomain_of(&zone.origin) {
            return Err(urcode::NOTZONE);
        }
        match r.class {
            CLASS_ANY | CLASS_NONE if !r.rdata.is_empty() => return Err(rcode::FORMERR),
            CLASS_ANY if r.rtype == TYPE_ANY => {
                if !name_in_use(&s, &n) {
                    return Err(rcode::NXDOMAIN);
                }
            }
            CLASS_ANY => {
                if !s.contains_key(&(n, r.rtype)) {
                    return Err(urcode::NXRRSET);
                }
            }
            CLASS_NONE if r.rtype == TYPE_ANY => {
                if name_in_use(&s, &n) {
                    return Err(urcode::YXDOMAIN);
                }
            }
            CLASS_NONE => {
                if s.contains_key(&(n, r.rtype)) {
                    return Err(urcode::YXRRSET);
                }
            }
            CLASS_IN => want.entry((n, r.rtype)).or_default().push(&r.rdata),
            _ => return Err(rcode::FORMERR),
        }
    }
    for (key, mut rds) in want {
        let Some((_, _, have)) = s.get(&key) else {
            return Err(urcode::NXRRSET);
        };
        rds.sort();
        rds.dedup();
        let mut have: Vec<&[u8]> = have.iter().map(|b| &b[..]).collect();
        have.sort();
        if rds != have {
            return Err(urcode::NXRRSET);
        }
    }
    Ok(())
}

fn is_meta(t: u16) -> bool {
    matches!(t, 251..=255) || t == TYPE_TSIG || t == 41
}

/// Applies the update section (RFC 2136 3.4) to `zone`: `Ok(None)` when nothing changes,
/// else the new zone (serial incremented unless the update raised it) -- or the rcode why not.
pub fn apply(zone: &Zone, msg: &UpdateMsg) -> Result<Option<Zone>, Rcode> {
    let origin = zone.origin.clone();
    for r in &msg.updates {
        if !r.name.is_subdomain_of(&origin) {
            return Err(urcode::NOTZONE);
        }
        let ok = match r.class {
            CLASS_IN => !is_meta(r.rtype),
            CLASS_ANY => {
                r.ttl == 0 && r.rdata.is_empty() && (r.rtype == TYPE_ANY || !is_meta(r.rtype))
            }
            CLASS_NONE => r.ttl == 0 && !is_meta(r.rtype),
            _ => false,
        };
        if !ok {
            return Err(rcode::FORMERR);
        }
    }
    let before = sets_of(zone);
    let mut s = before.clone();
    let mut new_serial = None;
    for r in &msg.updates {
        let n = r.name.to_lowercase();
        let apex = n == origin;
        match r.class {
            CLASS_IN => {
                let has_cname = s.contains_key(&(n.clone(), rdata::CNAME));
                let has_other = s
                    .range((n.clone(), 0)..=(n.clone(), u16::MAX))
                    .any(|((_, t), _)| *t != rdata::CNAME);
                if (r.rtype == rdata::CNAME && has_other) || (r.rtype != rdata::CNAME && has_cname)
                {
                    continue;
                }
                if r.rtype == rdata::SOA {
                    let cur = zone.serial;
                    let serial = crate::zone::soa_serial(&r.rdata);
                    if !apex || serial_le(serial, cur) {
                        continue;
                    }
                    new_serial = Some(serial);
                    s.insert(
                        (n, rdata::SOA),
                        (r.name.clone(), r.ttl, vec![r.rdata.clone()]),
                    );
                    continue;
                }
                let e = s
                    .entry((n, r.rtype))
                    .or_insert_with(|| (r.name.clone(), r.ttl, Vec::new()));
                e.1 = r.ttl;
                if r.rtype == rdata::CNAME {
                    e.2.clear();
                }
                if !e.2.iter().any(|x| x[..].eq_ignore_ascii_case(&r.rdata)) {
                    e.2.push(r.rdata.clone());
                }
            }
            CLASS_ANY => {
                let keys: Vec<(Name, u16)> = s
                    .range((n.clone(), 0)..=(n.clone(), u16::MAX))
                    .map(|(k, _)| k.clone())
                    .filter(|(_, t)| r.rtype == TYPE_ANY || *t == r.rtype)
                    .filter(|(_, t)| !(apex && (*t == rdata::SOA || *t == rdata::NS)))
                    .collect();
                for k in keys {
                    s.remove(&k);
                }
            }
            _ => {
                // CLASS NONE: delete one record; never the SOA, never the apex's last NS.
                if r.rtype == rdata::SOA {
                    continue;
                }
                let key = (n, r.rtype);
                if let Some(e) = s.get_mut(&key) {
                    if apex && r.rtype == rdata::NS && e.2.len() == 1 {
                        continue;
                    }
                    e.2.retain(|x| !x[..].eq_ignore_ascii_case(&r.rdata));
                    if e.2.is_empty() {
                        s.remove(&key);
                    }
                }
            }
        }
    }
    if s == before {
        return Ok(None);
    }
    let mut records = Vec::new();
    for ((_, rtype), (owner, ttl, rds)) in &s {
        for rd in rds {
            records.push(Record {
                owner: owner.clone(),
                ttl: *ttl,
                class: CLASS_IN,
                rtype: *rtype,
                rdata: rd.clone(),
                file: 0,
                line: 0,
            });
        }
    }
    let parsed = Parsed {
        records,
        files: zone.files.clone(),
        ..Parsed::default()
    };
    let mut z = build(&origin, parsed, &mut Vec::new()).map_err(|e| {
        for d in e.errors.iter().take(3) {
            tracing::info!("zone {origin}: update refused: {}", d.message);
        }
        rcode::REFUSED
    })?;
    let serial = new_serial.unwrap_or_else(|| match zone.serial.wrapping_add(1) {
        0 => 1,
        n => n,
    });
    set_serial(&mut z, serial);
    Ok(Some(z))
}

#[cfg(test)]
mod tests;
