//! DNSSEC in answers from pre-signed zones (RFC 4035 section 3.1), when the query has DO and
//! the zone is signed: the RRSIGs that go with each RRset in the answer and authority
//! sections, and the NSEC records that prove a denial (NXDOMAIN, NODATA, wildcard answers and
//! wildcard NODATA) or an unsigned delegation; NSEC3 zones get the proofs of `nsec3`.

use crate::dns::name::MAX_NAME;
use crate::dns::rdata::{DS, NSEC};
use crate::dns::wire::Owner;
use crate::zone::{wildcard_of, Node, RRset, Zone};

use super::{Resp, AUTHORITY};

/// Is `node` a wildcard standing in for another name (`owner`)?
pub(super) fn synthesized(node: &Node, owner: &[u8]) -> bool {
    let w = node.name.wire();
    w.len() >= 2 && w[0] == 1 && w[1] == b'*' && !w.eq_ignore_ascii_case(owner)
}

impl<'a> Resp<'a, '_> {
    /// DNSSEC records are wanted for answers from `zone`.
    pub(super) fn signs(&self, zone: &Zone) -> bool {
        zone.signed && self.q.edns.is_some_and(|e| e.dnssec_ok)
    }

    /// Adds `set` of `node` under `owner`, then its RRSIG when DNSSEC records are wanted.
    pub(super) fn add_signed(
        &mut self,
        zone: &'a Zone,
        section: usize,
        owner: Owner<'a>,
        node: &'a Node,
        set: &'a RRset,
        ttl: Option<u32>,
    ) -> bool {
        if !self.add(section, owner, set, ttl) {
            return false;
        }
        if self.signs(zone) && set.rtype != crate::dns::rdata::RRSIG {
            if let Some(sig) = node.rrsig(set.rtype) {
                self.put_set(section, owner, sig, ttl);
            }
        }
        true
    }

    /// The NSEC record (and its RRSIG) matching or covering `name`, in the authority section.
    fn nsec_for(&mut self, zone: &'a Zone, name: &[u8]) {
        let Some(id) = zone.nsec_for(name) else {
            return;
        };
        let node = zone.node(id);
        if let Some(nsec) = node.rrset(NSEC) {
            self.add_signed(
                zone,
                AUTHORITY,
                Owner::Name(node.name.wire()),
                node,
                nsec,
                None,
            );
        }
    }

    /// NXDOMAIN (RFC 4035 3.1.3.2): the NSEC covering the name and the one covering the
    /// wildcard at the closest encloser.
    pub(super) fn prove_no_name(&mut self, zone: &'a Zone, name: &[u8], encloser: &'a Node) {
        if !self.signs(zone) {
            return;
        }
        if zone.has_nsec3() {
            return self.nsec3_no_name(zone, name, encloser);
        }
        // BIND's order (which decides what compresses and so what fits): the wildcard's
        // NSEC first.
        let mut buf = [0u8; MAX_NAME + 2];
        if let Some(w) = wildcard_of(encloser.name.wire(), &mut buf) {
            self.nsec_for(zone, w);
        }
        self.nsec_for(zone, name);
    }

    /// NODATA (3.1.3.1), at an existing name or an empty non-terminal: the NSEC matching (or
    /// covering) it; for a wildcard (3.1.3.4) also the NSEC covering the name asked.
    pub(super) fn prove_no_data(&mut self, zone: &'a Zone, node: &'a Node, name: &'a [u8]) {
        if !self.signs(zone) {
            return;
        }
        if zone.has_nsec3() {
            return self.nsec3_no_data(zone, node, name);
        }
        self.nsec_for(zone, node.name.wire());
        if synthesized(node, name) {
            self.nsec_for(zone, name);
        }
    }

    /// A wildcard answer (3.1.3.3): the NSEC covering the name asked.
    pub(super) fn prove_wildcard(&mut self, zone: &'a Zone, node: &'a Node, name: &[u8]) {
        if self.signs(zone) && synthesized(node, name) {
            if zone.has_nsec3() {
                return self.nsec3_wildcard(zone, node, name);
            }
            self.nsec_for(zone, name);
        }
    }

    /// A referral (3.1.4): the DS RRset and its RRSIG, or the NSEC proving there is none.
    pub(super) fn prove_delegation(&mut self, zone: &'a Zone, cut: &'a Node) {
        if !self.signs(zone) {
            return;
        }
        let owner = Owner::Name(cut.name.wire());
        match cut.rrset(DS) {
            Some(ds) => {
                self.add_signed(zone, AUTHORITY, owner, cut, ds, None);
            }
            None if zone.has_nsec3() => self.nsec3_delegation(zone, cut),
            None => {
                if let Some(nsec) = cut.rrset(NSEC) {
                    self.add_signed(zone, AUTHORITY, owner, cut, nsec, None);
                }
            }
        }
    }
}
