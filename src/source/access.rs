//! The config file's access lists (`allow_query`, global and per zone, `allow_recursion`) and
//! forwarders (`forward_to`) applied at each reload: the catalog keeps them as the config
//! file's last good read had them; the reloader turns the lists into prefix tables and
//! publishes a new `Access` when they changed, in one step, as it does with zones, and a new
//! upstream list (the forwarding task then starts a new resolver). The NSID stays what it was
//! at start.

use std::net::SocketAddr;

use crate::config::access;
use crate::config::file::{MatchEntry, ServerAddr};
use crate::query::acl::{Access, Table};
use crate::store::Store;

/// The access lists of a config file as read (`None`: the list is not set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessLists {
    pub allow_query: Option<Vec<MatchEntry>>,
    /// (zone name, its `allow_query`) of the zones that have one.
    pub zone_query: Vec<(String, Vec<MatchEntry>)>,
    pub allow_recursion: Option<Vec<MatchEntry>>,
    pub minimal_responses: Option<crate::query::Minimal>,
    pub forward_to: Vec<ServerAddr>,
}

/// Publishes the tables of `lists` (with the served NSID) when they differ from those served;
/// returns true when it did.
pub(super) fn apply(store: &Store, lists: &AccessLists) -> bool {
    let ifaces = access::interfaces();
    let next = Access {
        query: lists
            .allow_query
            .as_deref()
            .map_or_else(Table::open, |l| access::table(l, &ifaces)),
        zones: lists
            .zone_query
            .iter()
            .filter_map(|(name, list)| {
                let origin = crate::config::xfrzone::origin_of(name).ok()?;
                let key: Box<[u8]> = origin.to_lowercase().wire().into();
                Some((key, access::table(list, &ifaces)))
            })
            .collect(),
        minimal: lists.minimal_responses.unwrap_or_default(),
        recursion: lists.allow_recursion.as_deref().map_or_else(
            || access::default_recursion(&ifaces),
            |l| access::table(l, &ifaces),
        ),
        nsid: store.access().nsid.clone(),
    };
    let access = store.set_access(next);
    let upstreams: Vec<SocketAddr> = lists
        .forward_to
        .iter()
        .map(|s| SocketAddr::new(s.addr, s.port.unwrap_or(53)))
        .collect();
    if store.set_forward_to(upstreams) {
        let list = store.forward_to();
        if list.is_empty() {
            tracing::info!("forwarders removed: outside names are refused");
        } else {
            let names: Vec<String> = list.iter().map(|a| a.to_string()).collect();
            tracing::info!("forwarding names outside our zones to {}", names.join(", "));
        }
    }
    access
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ZoneSet;

    #[test]
    fn zone_lists_are_keyed_by_lower_case_origin_the_root_included() {
        let store = Store::new(ZoneSet::default());
        let entry = |t: &str| MatchEntry::try_from(t.to_string()).expect("entry");
        let lists = AccessLists {
            zone_query: vec![
                ("Lihui.Hadoop.".to_string(), vec![entry("192.0.2.0/24")]),
                (".".to_string(), vec![entry("none")]),
            ],
            ..AccessLists::default()
        };
        assert!(apply(&store, &lists));
        let access = store.access();
        let lihui = access
            .zones
            .get(&b"\x05lihui\x06hadoop\x00"[..])
            .expect("lihui.hadoop");
        assert!(lihui.allows("192.0.2.7".parse().expect("ip")));
        assert!(!lihui.allows("198.51.100.7".parse().expect("ip")));
        let root = access
            .zones
            .get(&b"\x00"[..])
            .expect("the root zone's list");
        assert!(!root.allows("192.0.2.7".parse().expect("ip")));
    }
}
