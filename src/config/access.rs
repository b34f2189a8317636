//! Address match lists (`allow_query`, `allow_recursion`) into the query path's prefix
//! tables, with BIND's meaning of `localhost` (the addresses of our interfaces) and
//! `localnets` (their networks), read once with getifaddrs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::file::{MatchEntry, MatchKind};
use crate::query::acl::{Rule, Table};

/// One address of one of our interfaces, with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interface {
    pub addr: IpAddr,
    pub len: u8,
}

/// The addresses of our interfaces (loopback included); empty if they cannot be listed.
pub fn interfaces() -> Vec<Interface> {
    let mut out = vec![
        Interface {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            len: 8,
        },
        Interface {
            addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
            len: 128,
        },
    ];
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        tracing::warn!(
            "failed to list the network interfaces: localhost/localnets mean loopback only"
        );
        return out;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a live node of the list getifaddrs returned.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if let (Some(addr), Some(mask)) = (sockaddr_ip(ifa.ifa_addr), sockaddr_ip(ifa.ifa_netmask))
        {
            let len = match mask {
                IpAddr::V4(m) => u32::from(m).count_ones() as u8,
                IpAddr::V6(m) => u128::from(m).count_ones() as u8,
            };
            let i = Interface { addr, len };
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    // SAFETY: `head` came from a successful getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

/// The IP address in a socket address, if it is IPv4 or IPv6.
fn sockaddr_ip(sa: *const libc::sockaddr) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: a non-null ifa_addr/ifa_netmask points at a sockaddr of the family it names.
    unsafe {
        match (*sa).sa_family as i32 {
            libc::AF_INET => {
                let s = &*(sa as *const libc::sockaddr_in);
                Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(s.sin_addr.s_addr))))
            }
            libc::AF_INET6 => {
                let s = &*(sa as *const libc::sockaddr_in6);
                Some(IpAddr::V6(Ipv6Addr::from(s.sin6_addr.s6_addr)))
            }
            _ => None,
        }
    }
}

/// The table of `list` (first match decides; `key:NAME` elements never match an unsigned
/// query, so they are left out).
pub fn table(list: &[MatchEntry], ifaces: &[Interface]) -> Table {
    let mut rules = Vec::new();
    for e in list {
        let allow = !e.negated;
        let mut push = |addr: IpAddr, len: u8| rules.push(Rule { addr, len, allow });
        match &e.kind {
            MatchKind::Prefix(addr, len) => push(*addr, *len),
            MatchKind::Any => {
                push(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
                push(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0);
            }
            MatchKind::Localhost => {
                for i in ifaces {
                    push(i.addr, if i.addr.is_ipv4() { 32 } else { 128 });
                }
            }
            MatchKind::Localnets => {
                for i in ifaces {
                    push(i.addr, i.len);
                }
            }
            MatchKind::None | MatchKind::Key(_) => {}
        }
    }
    Table::new(&rules)
}

/// BIND's default `allow-recursion`: `localhost; localnets;`.
pub fn default_recursion(ifaces: &[Interface]) -> Table {
    let entries: Vec<MatchEntry> = ["localhost", "localnets"]
        .into_iter()
        .filter_map(|s| MatchEntry::try_from(s.to_string()).ok())
        .collect();
    table(&entries, ifaces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &[&str]) -> Vec<MatchEntry> {
        list.iter()
            .map(|s| MatchEntry::try_from(s.to_string()).expect("entry"))
            .collect()
    }

    #[test]
    fn localhost_and_localnets_are_our_interfaces() {
        let ifaces = [
            Interface {
                addr: "127.0.0.1".parse().expect("ip"),
                len: 8,
            },
            Interface {
                addr: "10.9.0.7".parse().expect("ip"),
                len: 16,
            },
        ];
        let t = table(&entries(&["localhost"]), &ifaces);
        assert!(t.allows("10.9.0.7".parse().expect("ip")));
        assert!(!t.allows("10.9.0.8".parse().expect("ip")));
        assert!(!t.allows("127.0.0.2".parse().expect("ip")));
        let t = default_recursion(&ifaces);
        assert!(t.allows("10.9.200.1".parse().expect("ip")));
        assert!(t.allows("127.0.0.2".parse().expect("ip")));
        assert!(!t.allows("10.10.0.1".parse().expect("ip")));
        let t = table(&entries(&["!127.0.0.2", "any"]), &ifaces);
        assert!(t.allows("192.0.2.1".parse().expect("ip")));
        assert!(!t.allows("127.0.0.2".parse().expect("ip")));
        assert!(!table(&entries(&["none"]), &ifaces).allows("127.0.0.1".parse().expect("ip")));
        assert!(!interfaces().is_empty());
    }
}
