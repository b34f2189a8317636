//! The `auto_ptr` step of a reload: before a zone set is published, every reverse zone that
//! asks for it is rebuilt with the PTRs the forward zones' A/AAAA records imply (see
//! `zone::synth`), and reverse zones declared without a file are made from the
//! `[ptr_template]` (or the SOA/NS of the forward zone whose addresses they hold). Forward and
//! reverse zones thus change in one publish. A rebuilt zone whose content changed while its
//! SOA serial did not grow is served with the next serial, so secondaries pick it up.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use crate::config::file::PtrTemplate;
use crate::dns::name::Name;
use crate::dns::rdata;
use crate::dns::serial::{next_serial, serial_le, set_serial};
use crate::store::ZoneSet;
use crate::zone::synth::{self, SynthPtr};
use crate::zone::Zone;

/// Which zones get synthesized PTRs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoPtrSpec {
    /// Every reverse zone served (`serve --auto-ptr`).
    pub all_reverse: bool,
    /// Zones the config marks `auto_ptr = true`.
    pub zones: BTreeSet<Name>,
    /// `auto_ptr` zones declared without a file.
    pub fileless: Vec<Name>,
    /// Their SOA/NS; without it, those of the forward zone holding their addresses.
    pub template: Option<PtrTemplate>,
}

impl AutoPtrSpec {
    fn wants(&self, origin: &Name) -> bool {
        (self.all_reverse && synth::is_reverse(origin)) || self.zones.contains(origin)
    }

    fn is_empty(&self) -> bool {
        !self.all_reverse && self.zones.is_empty() && self.fileless.is_empty()
    }
}

/// What was served for one reverse zone.
struct Cached {
    base: Arc<Zone>,
    ptrs: Vec<SynthPtr>,
    zone: Arc<Zone>,
}

/// The step's state across reloads: the last spec, and each rebuilt zone with its inputs.
#[derive(Default)]
pub struct Synth {
    spec: AutoPtrSpec,
    cache: BTreeMap<Name, Cached>,
}

impl Synth {
    /// Takes in the spec for this reload; true if it differs from the last one (then the set
    /// must be published even if no file changed).
    pub fn set_spec(&mut self, spec: AutoPtrSpec) -> bool {
        let changed = spec != self.spec;
        self.spec = spec;
        changed
    }

    /// The zones to publish: `zones` (as loaded) with the `auto_ptr` reverse zones rebuilt and
    /// the fileless ones added. `today` is the date-based serial base.
    pub fn apply(&mut self, mut zones: Vec<Arc<Zone>>, today: u32) -> Vec<Arc<Zone>> {
        if self.spec.is_empty() {
            self.cache.clear();
            return zones;
        }
        let mut all = Vec::new();
        for z in zones.iter().filter(|z| !synth::is_reverse(&z.origin)) {
            synth::address_ptrs(z, &mut all);
        }
        for origin in self.spec.fileless.clone() {
            if zones.iter().any(|z| z.origin == origin) {
                continue; // a zone file of the same name wins
            }
            match self.fileless_base(&origin, &zones, &all) {
                Ok(z) => zones.push(Arc::new(z)),
                Err(e) => tracing::warn!("zone {origin}: not served: {e}"),
            }
        }
        // Each address goes to the most specific zone that holds its reverse name.
        let set = ZoneSet::new(zones.clone());
        let mut by_zone: BTreeMap<Name, Vec<SynthPtr>> = BTreeMap::new();
        for p in all {
            if let Some(z) = set.find(p.owner.wire()) {
                if self.spec.wants(&z.origin) || self.spec.fileless.contains(&z.origin) {
                    by_zone.entry(z.origin.clone()).or_default().push(p);
                }
            }
        }
        let mut kept = BTreeMap::new();
        for slot in zones.iter_mut() {
            let origin = slot.origin.clone();
            if !(self.spec.wants(&origin) || self.spec.fileless.contains(&origin)) {
                continue;
            }
            let base = slot.clone();
            let ptrs = synth::ptrs_for(&base, by_zone.get(&origin).map_or(&[], Vec::as_slice));
            let prev = match self.cache.remove(&origin) {
                Some(p) if p.ptrs == ptrs && same_base(&p.base, &base) => {
                    *slot = p.zone.clone();
                    kept.insert(origin, Cached { base, ..p });
                    continue;
                }
                other => other,
            };
            let mut zone = match synth::with_ptrs(&base, &ptrs) {
                Ok(z) => z,
                Err(e) => {
                    let first = e.errors.first().map(|d| d.to_string()).unwrap_or_default();
                    tracing::warn!("zone {origin}: synthesized PTRs not added: {first}");
                    continue;
                }
            };
            if let Some(p) = &prev {
                // Content changed (the served one differs): the serial must grow.
                if serial_le(zone.serial, p.zone.serial) {
                    set_serial(&mut zone, next_serial(p.zone.serial, today));
                }
                // The step from the served version, for IXFR.
                zone.history = crate::zone::History::next(&p.zone, &zone);
            }
            tracing::info!(
                "zone {origin}: {} synthesized PTRs, serial {}",
                ptrs.len(),
                zone.serial
            );
            crate::query::prepare(&mut zone);
            let zone = Arc::new(zone);
            *slot = zone.clone();
            kept.insert(origin, Cached { base, ptrs, zone });
        }
        self.cache = kept;
        zones
    }

    /// A reverse zone declared without a file: SOA/NS from the template, or copied from the
    /// forward zone that holds the first of its addresses (else the first forward zone).
    fn fileless_base(
        &self,
        origin: &Name,
        zones: &[Arc<Zone>],
        all: &[SynthPtr],
    ) -> Result<Zone, String> {
        if let Some(t) = &self.spec.template {
            let mut text = format!("$TTL {}\n@ IN SOA {}\n", t.ttl, t.soa);
            for ns in &t.ns {
                text.push_str(&format!("@ IN NS {ns}\n"));
            }
            let parsed = crate::zonefile::parse_str(
                text.as_bytes(),
                Path::new("[ptr_template]"),
                &crate::zonefile::Options::new(origin.clone()),
            );
            return crate::zone::build(origin, parsed, &mut Vec::new()).map_err(|e| {
                e.errors
                    .first()
                    .map_or_else(|| "bad [ptr_template]".to_string(), |d| d.message.clone())
            });
        }
        let forwards = || zones.iter().filter(|z| !synth::is_reverse(&z.origin));
        let holder = all
            .iter()
            .find(|p| p.owner.is_subdomain_of(origin))
            .and_then(|p| forwards().find(|z| p.target.is_subdomain_of(&z.origin)))
            .or_else(|| forwards().next())
            .ok_or("no [ptr_template] and no forward zone to copy the SOA and NS from")?;
        let apex = holder.apex();
        let mut records = Vec::new();
        for rtype in [rdata::SOA, rdata::NS] {
            if let Some(set) = apex.rrset(rtype) {
                for rd in set.rdatas() {
                    records.push(crate::zonefile::Record {
                        owner: origin.clone(),
                        ttl: set.ttl,
                        class: 1,
                        rtype,
                        rdata: rd.into(),
                        file: 0,
                        line: 0,
                    });
                }
            }
        }
        let parsed = crate::zonefile::Parsed {
            records,
            files: vec![Path::new("[auto_ptr]").to_path_buf()],
            ..crate::zonefile::Parsed::default()
        };
        crate::zone::build(origin, parsed, &mut Vec::new()).map_err(|e| {
            e.errors
                .first()
                .map_or_else(|| "cannot build".to_string(), |d| d.message.clone())
        })
    }
}

/// The same loaded zone (the same version, or re-read unchanged with the same serial).
fn same_base(a: &Arc<Zone>, b: &Arc<Zone>) -> bool {
    Arc::ptr_eq(a, b) || (a.serial == b.serial && crate::zone::same_except_serial(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn zone(origin: &str, text: &str) -> Arc<Zone> {
        let origin = Name::from_ascii(origin).expect("origin");
        let parsed = crate::zonefile::parse_str(
            text.as_bytes(),
            Path::new("t.zone"),
            &crate::zonefile::Options::new(origin.clone()),
        );
        Arc::new(crate::zone::build(&origin, parsed, &mut Vec::new()).expect("zone builds"))
    }

    const FWD: &str = "$TTL 1D\n@ IN SOA ns.lihui.hadoop. root.lihui.hadoop. 5 1D 1H 1W 3H\n@ IN NS ns\nns IN A 192.168.1.4\nn5 IN A 192.168.1.5\n";

    fn ptr_at(zones: &[Arc<Zone>], rev: &str) -> Option<crate::zone::RRset> {
        let set = ZoneSet::new(zones.to_vec());
        let w = Name::from_ascii(rev).expect("name");
        set.find(w.wire())?.rrset_at(w.wire(), rdata::PTR).cloned()
    }

    #[test]
    fn fileless_zone_from_the_forward_soa_prepared_cached_and_bumped() {
        let origin = Name::from_ascii("1.168.192.in-addr.arpa").expect("origin");
        let mut s = Synth::default();
        assert!(s.set_spec(AutoPtrSpec {
            fileless: vec![origin.clone()],
            zones: [origin.clone()].into(),
            ..AutoPtrSpec::default()
        }));
        let fwd = zone("lihui.hadoop", FWD);
        let first = s.apply(vec![fwd.clone()], 2025010100);
        assert_eq!(first.len(), 2);
        let rev = first
            .iter()
            .find(|z| z.origin == origin)
            .expect("reverse zone");
        // SOA and NS copied from the forward zone.
        assert_eq!(rev.serial, 5);
        assert!(rev.apex().rrset(rdata::NS).is_some());
        // The synthesized PTR is pre-encoded for the fast path like a stored one.
        let p = ptr_at(&first, "5.1.168.192.in-addr.arpa").expect("PTR");
        assert!(p.fast.is_some());
        // Nothing changed: the same zone is served again.
        let again = s.apply(vec![fwd.clone()], 2025010100);
        let rev2 = again
            .iter()
            .find(|z| z.origin == origin)
            .expect("reverse zone");
        // (the fileless base is rebuilt, but compares equal)
        assert!(Arc::ptr_eq(rev, rev2));
        // A forward edit with the same serial: a new PTR, and the reverse serial grows.
        let fwd2 = zone("lihui.hadoop", &format!("{FWD}n7 IN A 192.168.1.7\n"));
        let third = s.apply(vec![fwd2], 2025010100);
        let rev3 = third
            .iter()
            .find(|z| z.origin == origin)
            .expect("reverse zone");
        assert!(ptr_at(&third, "7.1.168.192.in-addr.arpa").is_some());
        assert_eq!(rev3.serial, 2025010100);
        // The step is kept for IXFR, and a reload that named only the forward zone reports
        // the reverse zone's serial change too (its secondaries get a NOTIFY).
        assert!(!rev3.history.is_empty(), "{:?}", rev3.history);
        let mut r = crate::source::report::Report::default();
        crate::source::report::add_derived(&mut r, &ZoneSet::new(again.clone()), &third);
        assert_eq!(
            r.changes,
            [crate::source::report::Change::Updated {
                origin: origin.clone(),
                old_serial: 5,
                serial: 2025010100,
                records: rev3.records,
            }]
        );
    }
}
