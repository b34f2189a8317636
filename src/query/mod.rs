//! The query path: answering one packet from a published zone set, without allocating or
//! locking. `respond` runs the steps (parse, policy, refusals, then the pre-encoded fast path
//! or the general answer pipeline); `prepare` readies a zone for it at load time.

pub mod acl;
mod cookie;
mod fast;
mod general;
pub mod nsid;
mod policy;
mod preencode;
mod respond;
mod route;
mod service;
mod signed;
#[cfg(test)]
mod tests_mutate;

use std::net::SocketAddr;

#[doc(hidden)]
pub use fast::fast_answer;
pub use policy::{forward_instead, forwardable, refused_to_servfail};
#[doc(hidden)]
pub use respond::respond_general;
pub use respond::{respond, respond_ext, Answered, NO_ZONE};
pub use route::{route, Route};
pub use signed::answer_signed;

use crate::zone::Zone;

/// Largest UDP response we send whatever the client offers (BIND 9.18, NSD, Knot default).
pub const MAX_UDP: usize = 1232;
/// UDP size without EDNS.
pub(crate) const MIN_UDP: usize = 512;
/// The payload size we advertise in OPT.
pub(crate) const OUR_PAYLOAD: u16 = 1232;
/// Most CNAMEs followed for one query: BIND 9.18 restarts a query at most 11 times and answers
/// SERVFAIL (with the chain so far) when the 12th CNAME would need following.
pub(crate) const MAX_RESTARTS: usize = 11;
const CLASS_IN: u16 = 1;

/// How the query came: the transport decides the size limit (every stream transport has
/// TCP's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
    /// DNS over TLS (RFC 7858).
    Dot,
    /// DNS over HTTPS (RFC 8484).
    Doh,
}

/// Which optional records a positive answer carries (BIND's `minimal-responses`, the config
/// file's `minimal_responses` in the same words): the zone's NS RRset in the authority
/// section, addresses of the answer's targets in the additional section. Referrals and
/// negative answers are the same in every mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Minimal {
    /// Both.
    No,
    /// Neither (but the addresses of an NS query's answer).
    Yes,
    /// Additional addresses; no authority NS.
    NoAuth,
    /// Additional addresses; the authority NS only when recursion was not desired (BIND 9.18's
    /// default, and the shape of the pre-encoded answers).
    #[default]
    NoAuthRecursive,
}

impl Minimal {
    /// Does a positive answer to a query with RD `rd` carry the zone's NS?
    pub(crate) fn authority(self, rd: bool) -> bool {
        match self {
            Minimal::No => true,
            Minimal::NoAuthRecursive => !rd,
            Minimal::Yes | Minimal::NoAuth => false,
        }
    }

    /// Do positive answers carry additional addresses? (`yes` still adds them to an NS
    /// query's answer, as BIND 9.18 does.)
    pub(crate) fn additional(self) -> bool {
        self != Minimal::Yes
    }
}

/// Who asked, and how: what the policy hook (ACLs, rate limits, metrics) judges by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestCtx<'a> {
    /// The client's address.
    pub peer: SocketAddr,
    pub transport: Transport,
    /// Who may query, and whose outside names are forwarded.
    pub access: &'a acl::Access,
}

/// Readies a freshly built zone for the query path (pre-encoded answers). Call it once the
/// zone's content is final (after any serial rewrite), before it is published.
pub fn prepare(zone: &mut Zone) {
    preencode::preencode(zone);
}
