//! Unit tests of RFC 2136 parsing, prerequisites, updates and authorization, on hand-built
//! messages.

use super::*;
use crate::query::acl::Rule;
use std::path::Path;

fn zone() -> Zone {
    let origin = Name::from_ascii("lihui.hadoop").expect("origin");
    let text = "$TTL 1D\n@ IN SOA ns root 7 1D 1H 1W 3H\n@ IN NS ns\nns IN A 192.168.1.4\nlhslave01 IN A 192.168.1.5\nlhslave01 IN TXT \"rack 1\"\n";
    let parsed = crate::zonefile::parse_str(
        text.as_bytes(),
        Path::new("t.zone"),
        &crate::zonefile::Options::new(origin.clone()),
    );
    build(&origin, parsed, &mut Vec::new()).expect("zone builds")
}

/// An RR in wire form; `name` is wire bytes (may hold a pointer).
fn rr(name: &[u8], rtype: u16, class: u16, ttl: u32, rd: &[u8]) -> Vec<u8> {
    let mut v = name.to_vec();
    v.extend_from_slice(&rtype.to_be_bytes());
    v.extend_from_slice(&class.to_be_bytes());
    v.extend_from_slice(&ttl.to_be_bytes());
    v.extend_from_slice(&(rd.len() as u16).to_be_bytes());
    v.extend_from_slice(rd);
    v
}

fn wire(n: &str) -> Vec<u8> {
    Name::from_ascii(n).expect("name").wire().to_vec()
}

/// An UPDATE for lihui.hadoop. (the zone name at offset 12, so `\xc0\x0c` points at it).
fn msg(prereqs: &[Vec<u8>], updates: &[Vec<u8>]) -> Vec<u8> {
    let mut p = vec![0x12, 0x34, 0x28, 0x00, 0, 1];
    p.extend_from_slice(&(prereqs.len() as u16).to_be_bytes());
    p.extend_from_slice(&(updates.len() as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&wire("lihui.hadoop"));
    p.extend_from_slice(&[0, 6, 0, 1]);
    for r in prereqs.iter().chain(updates) {
        p.extend_from_slice(r);
    }
    p
}

const PTR_ZONE: &[u8] = b"\xc0\x0c";

fn node_rrset(z: &Zone, n: &str, t: u16) -> Option<Vec<Vec<u8>>> {
    let w = wire(n);
    z.rrset_at(&w, t)
        .map(|s| s.rdatas().map(<[u8]>::to_vec).collect())
}

#[test]
fn add_with_compressed_names_bumps_the_serial() {
    // lhslave03.<ptr> A 192.168.1.7, and a CNAME whose target is compressed.
    let owner = [b"\x09lhslave03".as_slice(), PTR_ZONE].concat();
    let alias = [b"\x05alias".as_slice(), PTR_ZONE].concat();
    let target = [b"\x09lhslave03".as_slice(), PTR_ZONE].concat();
    let p = msg(
        &[],
        &[
            rr(&owner, rdata::A, CLASS_IN, 300, &[192, 168, 1, 7]),
            rr(&alias, rdata::CNAME, CLASS_IN, 300, &target),
        ],
    );
    let m = parse(&p).expect("parses");
    assert_eq!(m.id, 0x1234);
    assert_eq!(m.zone.to_string(), "lihui.hadoop.");
    assert_eq!(&m.updates[1].rdata[..], &wire("lhslave03.lihui.hadoop")[..]);
    let z = zone();
    check_prereqs(&z, &m).expect("no prerequisites");
    let new = apply(&z, &m).expect("applies").expect("changed");
    assert_eq!(new.serial, 8);
    assert_eq!(
        node_rrset(&new, "lhslave03.lihui.hadoop", rdata::A),
        Some(vec![vec![192, 168, 1, 7]])
    );
    assert!(node_rrset(&new, "alias.lihui.hadoop", rdata::CNAME).is_some());
    // The same update again changes nothing.
    let again = apply(&new, &m).expect("applies");
    assert!(again.is_none());
}

#[test]
fn prerequisites() {
    let z = zone();
    let n = wire("lhslave01.lihui.hadoop");
    let none = wire("nosuch.lihui.hadoop");
    let check = |pr: Vec<u8>| check_prereqs(&z, &parse(&msg(&[pr], &[])).expect("parses"));
    assert_eq!(check(rr(&n, TYPE_ANY, CLASS_ANY, 0, &[])), Ok(()));
    assert_eq!(
        check(rr(&none, TYPE_ANY, CLASS_ANY, 0, &[])),
        Err(rcode::NXDOMAIN)
    );
    assert_eq!(
        check(rr(&n, TYPE_ANY, CLASS_NONE, 0, &[])),
        Err(urcode::YXDOMAIN)
    );
    assert_eq!(check(rr(&none, TYPE_ANY, CLASS_NONE, 0, &[])), Ok(()));
    assert_eq!(
        check(rr(&n, rdata::AAAA, CLASS_ANY, 0, &[])),
        Err(urcode::NXRRSET)
    );
    assert_eq!(
        check(rr(&n, rdata::A, CLASS_NONE, 0, &[])),
        Err(urcode::YXRRSET)
    );
    assert_eq!(
        check(rr(&n, rdata::A, CLASS_IN, 0, &[192, 168, 1, 5])),
        Ok(())
    );
    assert_eq!(
        check(rr(&n, rdata::A, CLASS_IN, 0, &[192, 168, 1, 6])),
        Err(urcode::NXRRSET)
    );
    assert_eq!(
        check(rr(&n, rdata::A, CLASS_ANY, 5, &[])),
        Err(rcode::FORMERR)
    );
    assert_eq!(
        check(rr(&wire("other.test"), rdata::A, CLASS_ANY, 0, &[])),
        Err(urcode::NOTZONE)
    );
}

#[test]
fn deletes_keep_the_apex_and_a_breaking_update_is_refused() {
    let z = zone();
    let n = wire("lhslave01.lihui.hadoop");
    // Delete one RRset, then everything at a name.
    let m = parse(&msg(&[], &[rr(&n, rdata::TXT, CLASS_ANY, 0, &[])])).expect("parses");
    let new = apply(&z, &m).expect("applies").expect("changed");
    assert!(node_rrset(&new, "lhslave01.lihui.hadoop", rdata::TXT).is_none());
    assert!(node_rrset(&new, "lhslave01.lihui.hadoop", rdata::A).is_some());
    let apex = wire("lihui.hadoop");
    let m = parse(&msg(&[], &[rr(&apex, TYPE_ANY, CLASS_ANY, 0, &[])])).expect("parses");
    assert!(apply(&z, &m).expect("applies").is_none(), "SOA and NS stay");
    // The last apex NS is never deleted.
    let ns = wire("ns.lihui.hadoop");
    let m = parse(&msg(&[], &[rr(&apex, rdata::NS, CLASS_NONE, 0, &ns)])).expect("parses");
    assert!(apply(&z, &m).expect("applies").is_none());
    // Removing the NS target's address breaks the zone: refused, nothing changes.
    let m = parse(&msg(
        &[],
        &[rr(&ns, rdata::A, CLASS_NONE, 0, &[192, 168, 1, 4])],
    ))
    .expect("parses");
    assert_eq!(apply(&z, &m).err(), Some(rcode::REFUSED));
    // Outside the zone.
    let m = parse(&msg(
        &[],
        &[rr(&wire("x.other"), rdata::A, CLASS_IN, 1, &[1, 2, 3, 4])],
    ))
    .expect("parses");
    assert_eq!(apply(&z, &m).err(), Some(urcode::NOTZONE));
}

#[test]
fn prefix_acl_and_the_tsig_hook() {
    let allow = Table::new(&[Rule {
        addr: "127.0.0.0".parse().expect("addr"),
        len: 8,
        allow: true,
    }]);
    let mut m = parse(&msg(&[], &[])).expect("parses");
    assert_eq!(
        authorize(&m, "127.0.0.1".parse().expect("a"), &allow, None, &[]),
        Ok(())
    );
    assert_eq!(
        authorize(&m, "10.0.0.1".parse().expect("a"), &allow, None, &[]),
        Err(rcode::REFUSED)
    );
    m.signed = true;
    assert_eq!(
        authorize(&m, "127.0.0.1".parse().expect("a"), &allow, None, &[]),
        Err(urcode::NOTAUTH),
        "signed but not verified"
    );
    let k = Name::from_ascii("upd").expect("name");
    let other = Name::from_ascii("other").expect("name");
    assert_eq!(
        authorize(
            &m,
            "10.0.0.1".parse().expect("a"),
            &allow,
            Some(&k),
            std::slice::from_ref(&k)
        ),
        Ok(()),
        "the zone's key, from any address"
    );
    assert_eq!(
        authorize(
            &m,
            "127.0.0.1".parse().expect("a"),
            &allow,
            Some(&other),
            &[k]
        ),
        Err(rcode::REFUSED),
        "a valid key the zone does not name"
    );
    // Not an UPDATE.
    let mut q = msg(&[], &[]);
    q[2] = 0;
    assert_eq!(parse(&q).err(), Some(rcode::NOTIMP));
    assert_eq!(parse(&msg(&[], &[])[..5]).err(), Some(rcode::FORMERR));
}
