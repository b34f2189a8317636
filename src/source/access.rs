//! The config file's access lists (`allow_query`, `allow_recursion`) applied at each reload:
//! the catalog keeps the lists of the config file's last good read; the reloader turns them
//! into prefix tables and publishes a new `Access` when they changed, in one step, as it does
//! with zones. The NSID (command line or file) stays what it was at start.

use crate::config::access;
use crate::config::file::MatchEntry;
use crate::query::acl::{Access, Table};
use crate::store::Store;

/// The access lists of a config file as read (`None`: the list is not set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessLists {
    pub allow_query: Option<Vec<MatchEntry>>,
    pub allow_recursion: Option<Vec<MatchEntry>>,
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
        recursion: lists.allow_recursion.as_deref().map_or_else(
            || access::default_recursion(&ifaces),
            |l| access::table(l, &ifaces),
        ),
        nsid: store.access().nsid.clone(),
    };
    store.set_access(next)
}
