//! Service names into a zone set: from the reloader's set and the members' current health,
//! the set served. Each zone holding a service name is rebuilt with the name's A/AAAA RRsets
//! (replacing any the zone file gave it); a name outside every zone gets a synthetic zone of
//! its own. Runs on the control side at each publish, never per query.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::service::{MemberTarget, Policy, ServiceSpec};
use crate::dns::name::Name;
use crate::dns::rdata::{A, AAAA, NS, SOA};
use crate::store::ZoneSet;
use crate::zone::service::{ServiceAnswer, Variants};
use crate::zone::{flag, Zone, ZoneBuilder};
use crate::zonefile::{Parsed, Record};

/// One service and which of its members are up (in member order).
#[derive(Debug, Clone)]
pub struct ServiceState {
    pub spec: Arc<ServiceSpec>,
    pub up: Vec<bool>,
}

/// What one service name answers.
struct Plan<'a> {
    spec: &'a ServiceSpec,
    /// (weight, address) of the members answered.
    members: Vec<(u32, IpAddr)>,
    servfail: bool,
}

/// The address a member is checked and answered at: its own, or its node name's first A
/// (else AAAA) record in `set`.
pub fn member_address(set: &ZoneSet, target: &MemberTarget) -> Option<IpAddr> {
    match target {
        MemberTarget::Address(a) => Some(*a),
        MemberTarget::Node(n) => {
            let zone = set.find(n.wire())?;
            let node = zone.node(zone.find(n.wire())?);
            if let Some(rd) = node.rrset(A).and_then(|s| s.rdatas().next()) {
                let b: [u8; 4] = rd.try_into().ok()?;
                return Some(IpAddr::from(b));
            }
            let rd = node.rrset(AAAA).and_then(|s| s.rdatas().next())?;
            let b: [u8; 16] = rd.try_into().ok()?;
            Some(IpAddr::from(b))
        }
    }
}

/// The members a service answers with: the healthy ones (`first_healthy`: the first of them);
/// none healthy: every member (fail open), or SERVFAIL with `fail_closed`.
fn plan<'a>(base: &ZoneSet, s: &'a ServiceState) -> Plan<'a> {
    let all: Vec<(u32, IpAddr, bool)> = s
        .spec
        .members
        .iter()
        .zip(&s.up)
        .filter_map(|(m, &up)| member_address(base, &m.target).map(|a| (m.weight, a, up)))
        .collect();
    let mut healthy: Vec<(u32, IpAddr)> = all.iter().filter(|m| m.2).map(|m| (m.0, m.1)).collect();
    let none_up = healthy.is_empty();
    if none_up {
        healthy = all.iter().map(|m| (m.0, m.1)).collect();
    } else if s.spec.policy == Policy::FirstHealthy {
        healthy.truncate(1);
    }
    Plan {
        spec: &s.spec,
        members: healthy,
        servfail: none_up && s.spec.fail_closed,
    }
}

fn record(owner: &Name, rtype: u16, ttl: u32, rdata: Box<[u8]>) -> Record {
    Record {
        owner: owner.clone(),
        ttl,
        class: 1,
        rtype,
        rdata,
        file: 0,
        line: 0,
    }
}

/// The A/AAAA records of a plan (duplicates dropped).
fn plan_records(p: &Plan<'_>, out: &mut Vec<Record>) {
    let mut seen: Vec<IpAddr> = Vec::new();
    for &(_, a) in &p.members {
        if seen.contains(&a) {
            continue;
        }
        seen.push(a);
        let (t, rd): (u16, Box<[u8]>) = match a {
            IpAddr::V4(v) => (A, v.octets().into()),
            IpAddr::V6(v) => (AAAA, v.octets().into()),
        };
        out.push(record(&p.spec.name, t, p.spec.ttl, rd));
    }
}

/// Freezes records into a zone ready for the query path, with the service names flagged.
fn finish(
    origin: &Name,
    records: Vec<Record>,
    file: PathBuf,
    names: &[&Name],
) -> Result<Zone, String> {
    let mut zb = ZoneBuilder::new(origin, records.len());
    for r in records {
        zb.push(r);
    }
    let parsed = Parsed {
        records: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        files: vec![file],
        suppressed: 0,
        transient: false,
    };
    let mut zone = zb.finish(parsed, &mut Vec::new()).map_err(|e| {
        e.errors
            .first()
            .map_or_else(|| "failed to build".into(), |d| d.message.clone())
    })?;
    crate::query::prepare(&mut zone);
    for n in names {
        if let Some(id) = zone.find(n.wire()) {
            zone.nodes[id as usize].flags |= flag::SERVICE;
        }
    }
    Ok(zone)
}

/// `zone` with the plans' names (all inside it) answering their members.
fn rebuild(zone: &Zone, plans: &[&Plan<'_>]) -> Result<Zone, String> {
    let is_service = |n: &Name| {
        plans
            .iter()
            .any(|p| p.spec.name.wire().eq_ignore_ascii_case(n.wire()))
    };
    let mut records = Vec::with_capacity(zone.records + plans.len() * 2);
    for node in &zone.nodes {
        let service = is_service(&node.name);
        for set in node.rrsets.iter() {
            if service && (set.rtype == A || set.rtype == AAAA) {
                continue;
            }
            for rd in set.rdatas() {
                records.push(record(&node.name, set.rtype, set.ttl, rd.into()));
            }
        }
    }
    for p in plans {
        plan_records(p, &mut records);
    }
    let file = zone.files.first().cloned().unwrap_or_default();
    let names: Vec<&Name> = plans.iter().map(|p| &p.spec.name).collect();
    finish(&zone.origin, records, file, &names)
}

/// A zone of its own for a service name outside every zone: SOA, NS (the name itself), and
/// the members.
fn synthetic(p: &Plan<'_>) -> Result<Zone, String> {
    let name = &p.spec.name;
    let host = Name::parse(b"hostmaster", Some(name)).map_err(|e| e.to_string())?;
    let mut soa = Vec::new();
    soa.extend_from_slice(name.wire());
    soa.extend_from_slice(host.wire());
    for v in [1u32, 3600, 600, 86400, p.spec.ttl] {
        soa.extend_from_slice(&v.to_be_bytes());
    }
    let mut records = vec![
        record(name, SOA, p.spec.ttl, soa.into()),
        record(name, NS, p.spec.ttl, name.wire().into()),
    ];
    plan_records(p, &mut records);
    finish(
        name,
        records,
        PathBuf::from(format!("<service {name}>")),
        &[name],
    )
}

/// One answer RR for a weighted draw: owner pointing at the question, then type, class,
/// TTL and the address.
fn variant_rr(ttl: u32, a: IpAddr) -> (u16, Box<[u8]>) {
    let (t, rd): (u16, Vec<u8>) = match a {
        IpAddr::V4(v) => (A, v.octets().to_vec()),
        IpAddr::V6(v) => (AAAA, v.octets().to_vec()),
    };
    let mut b = vec![0xc0, 12];
    b.extend_from_slice(&t.to_be_bytes());
    b.extend_from_slice(&1u16.to_be_bytes());
    b.extend_from_slice(&ttl.to_be_bytes());
    b.extend_from_slice(&(rd.len() as u16).to_be_bytes());
    b.extend_from_slice(&rd);
    (t, b.into())
}

/// The set served: `base` with every service name placed (see the module comment). A zone
/// that cannot take its service names (e.g. a CNAME there) keeps serving as it was, and the
/// reason is logged.
pub fn apply(base: &ZoneSet, services: &[ServiceState]) -> ZoneSet {
    let plans: Vec<Plan<'_>> = services.iter().map(|s| plan(base, s)).collect();
    let mut by_zone: BTreeMap<u32, Vec<&Plan<'_>>> = BTreeMap::new();
    let mut zones: Vec<Arc<Zone>> = base.zones().to_vec();
    for p in &plans {
        match base.find_index(p.spec.name.wire()) {
            Some(zi) => by_zone.entry(zi).or_default().push(p),
            None => match synthetic(p) {
                Ok(z) => zones.push(Arc::new(z)),
                Err(e) => tracing::warn!("service {}: cannot be served: {e}", p.spec.name),
            },
        }
    }
    for (zi, ps) in &by_zone {
        let zone = &base.zones()[*zi as usize];
        match rebuild(zone, ps) {
            Ok(z) => zones[*zi as usize] = Arc::new(z),
            Err(e) => tracing::warn!(
                "zone {}: cannot place service names in it: {e}",
                zone.origin
            ),
        }
    }
    let set = ZoneSet::new(zones);
    let mut answers = Vec::with_capacity(plans.len());
    for p in &plans {
        let w = p.spec.name.wire();
        let Some(zi) = set.find_index(w) else {
            continue;
        };
        let zone = &set.zones()[zi as usize];
        let Some(node) = zone.find(w) else { continue };
        if !zone.node(node).has(flag::SERVICE) {
            continue;
        }
        let (mut a, mut aaaa) = (Vec::new(), Vec::new());
        if p.spec.policy == Policy::Weighted {
            for &(weight, addr) in &p.members {
                match variant_rr(p.spec.ttl, addr) {
                    (A, b) => a.push((weight, b)),
                    (_, b) => aaaa.push((weight, b)),
                }
            }
        }
        answers.push(ServiceAnswer {
            zone: zi,
            node,
            servfail: p.servfail,
            a: Variants::new(a),
            aaaa: Variants::new(aaaa),
        });
    }
    set.with_services(answers)
}

#[cfg(test)]
mod tests;
