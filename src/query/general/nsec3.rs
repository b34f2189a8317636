//! NSEC3 denial proofs (RFC 5155 section 7.2) for zones signed with NSEC3: closest encloser
//! proofs, NODATA, wildcard answers and wildcard NODATA, and delegations without DS (opt-out
//! included). The NSEC3 of every zone name is found at build time; next closer names and
//! wildcards are hashed per query.

use crate::dns::name::{self, MAX_NAME};
use crate::dns::wire::Owner;
use crate::zone::{wildcard_of, Node, NodeId, Zone};

use super::{Resp, AUTHORITY};

const NSEC3: u16 = 50;

/// The name below `encloser` (of length `ce_len`) on the way to `name`: the next closer name.
fn next_closer(name: &[u8], ce_len: usize) -> &[u8] {
    let mut cur = name;
    while let Some(p) = name::parent(cur) {
        if p.len() <= ce_len {
            break;
        }
        cur = p;
    }
    cur
}

impl<'a> Resp<'a, '_> {
    /// Adds the NSEC3 record at node `id` (and its RRSIG) to the authority section.
    fn add_nsec3(&mut self, zone: &'a Zone, id: Option<NodeId>) {
        let Some(node) = id.map(|i| zone.node(i)) else {
            return;
        };
        if let Some(set) = node.rrset(NSEC3) {
            self.add_signed(
                zone,
                AUTHORITY,
                Owner::Name(node.name.wire()),
                node,
                set,
                None,
            );
        }
    }

    /// The NSEC3 matching the closest (provable) encloser `ce` of `name` and the one covering
    /// the next closer name (RFC 5155 7.2.1).
    fn nsec3_closest_encloser(&mut self, zone: &'a Zone, name: &[u8], ce: &[u8]) {
        self.add_nsec3(zone, zone.find(ce).and_then(|id| zone.nsec3_matching(id)));
        if name.len() > ce.len() {
            self.add_nsec3(zone, zone.nsec3_covering(next_closer(name, ce.len())));
        }
    }

    /// The closest ancestor of `name` (itself excluded) that has an NSEC3: the closest
    /// provable encloser of an opt-out span.
    fn provable_encloser(zone: &'a Zone, name: &'a [u8]) -> &'a [u8] {
        let mut cur = name;
        while let Some(p) = name::parent(cur) {
            if p.len() < zone.origin.len() {
                break;
            }
            if zone
                .find(p)
                .and_then(|id| zone.nsec3_matching(id))
                .is_some()
            {
                return p;
            }
            cur = p;
        }
        zone.origin.wire()
    }

    /// NXDOMAIN (7.2.2): the closest encloser proof and the NSEC3 covering its wildcard.
    pub(super) fn nsec3_no_name(&mut self, zone: &'a Zone, name: &[u8], encloser: &'a Node) {
        self.nsec3_closest_encloser(zone, name, encloser.name.wire());
        let mut buf = [0u8; MAX_NAME + 2];
        if let Some(w) = wildcard_of(encloser.name.wire(), &mut buf) {
            self.add_nsec3(zone, zone.nsec3_covering(w));
        }
    }

    /// NODATA (7.2.3, 7.2.4, 7.2.5): the NSEC3 matching the name; for a wildcard the closest
    /// encloser proof and the wildcard's NSEC3; without a matching NSEC3 (opt-out) the
    /// closest provable encloser proof.
    pub(super) fn nsec3_no_data(&mut self, zone: &'a Zone, node: &'a Node, name: &'a [u8]) {
        let own = zone
            .find(node.name.wire())
            .and_then(|id| zone.nsec3_matching(id));
        if super::dnssec::synthesized(node, name) {
            let ce = name::parent(node.name.wire()).unwrap_or(&[0]);
            self.nsec3_closest_encloser(zone, name, ce);
            self.add_nsec3(zone, own);
            return;
        }
        match own {
            Some(_) => self.add_nsec3(zone, own),
            None => {
                let ce = Self::provable_encloser(zone, name);
                self.nsec3_closest_encloser(zone, name, ce);
            }
        }
    }

    /// A wildcard answer (7.2.6): the NSEC3 covering the next closer name.
    pub(super) fn nsec3_wildcard(&mut self, zone: &'a Zone, node: &'a Node, name: &[u8]) {
        let ce = name::parent(node.name.wire()).unwrap_or(&[0]);
        self.add_nsec3(zone, zone.nsec3_covering(next_closer(name, ce.len())));
    }

    /// A delegation without DS (7.2.7): the NSEC3 matching the cut, or under opt-out the
    /// closest provable encloser proof.
    pub(super) fn nsec3_delegation(&mut self, zone: &'a Zone, cut: &'a Node) {
        let own = zone
            .find(cut.name.wire())
            .and_then(|id| zone.nsec3_matching(id));
        match own {
            Some(_) => self.add_nsec3(zone, own),
            None => {
                let ce = Self::provable_encloser(zone, cut.name.wire());
                self.nsec3_closest_encloser(zone, cut.name.wire(), ce);
            }
        }
    }
}
