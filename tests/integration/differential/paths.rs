//! The fast path against the general path: every name of the fixture zones, many types, EDNS
//! variants and both transports, answered by `query::respond` (pre-encoded answers on) and
//! `query::respond_general` (off) must be byte-identical; `query::fast_answer` is checked on
//! its own too.

use clusterdns::dns::name::Name;
use clusterdns::query::{self, RequestCtx, Transport};

use super::load_set;
use crate::harness::{opt_rr, query_packet, RD};

/// A query packet: RD set, optional OPT (payload, DO).
fn packet(id: u16, qname: &[u8], qtype: u16, edns: Option<(u16, bool)>) -> Vec<u8> {
    let opt = edns.map(|(payload, dnssec_ok)| opt_rr(payload, dnssec_ok));
    query_packet(id, RD, qname, qtype, opt.as_ref().map(|o| &o[..]))
}

/// Flips the case of letters in a wire name at random.
fn random_case(wire: &[u8], seed: &mut u64) -> Vec<u8> {
    let mut out = wire.to_vec();
    let mut i = 0;
    while i < out.len() && out[i] != 0 {
        let l = out[i] as usize;
        for b in &mut out[i + 1..i + 1 + l] {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if (*seed >> 40) & 1 == 1 {
                *b = b.to_ascii_uppercase();
            }
        }
        i += 1 + l;
    }
    out
}

#[test]
fn fast_and_general_paths_agree() {
    const A: u16 = 1;
    const PTR: u16 = 12;
    const TXT: u16 = 16;
    const AAAA: u16 = 28;
    let (set, names) = load_set(true);
    // preencode must have produced blobs for answers with compressible names (PTR); A, AAAA
    // and TXT are context-free and answered from the stored RDATA (checked by `fast_taken`).
    let blobs = set
        .zones()
        .iter()
        .flat_map(|z| z.nodes.iter())
        .filter_map(|n| n.rrset(PTR))
        .filter(|s| s.fast.is_some())
        .count();
    assert!(blobs > 0, "no pre-encoded answers for PTR");
    let types = [
        A, 2, 5, 6, 12, 13, 15, 16, 28, 33, 39, 43, 44, 99, 255, 257, 4242,
    ];
    let edns_variants = [
        None,
        Some((1232, false)),
        Some((4096, true)),
        Some((512, false)),
    ];
    let peer: std::net::SocketAddr = "127.0.0.1:5300".parse().expect("address");
    let mut seed = 7u64;
    let mut fast_taken = [0usize; 4];
    let mut compared = 0usize;
    let mut a = vec![0u8; 65535];
    let mut b = vec![0u8; 65535];
    let mut c = vec![0u8; 65535];
    for zone_names in &names {
        // Each name and a name just below it: below a DNAME, a wildcard or a cut.
        let below = zone_names.iter().filter(|n| n.len() < 250).map(|n| {
            let mut w = vec![1, b'x'];
            w.extend_from_slice(n.wire());
            Name::from_wire_unchecked(&w)
        });
        for name in zone_names.iter().cloned().chain(below) {
            let name = &name;
            for &t in &types {
                for &edns in edns_variants.iter() {
                    for transport in [Transport::Udp, Transport::Tcp] {
                        let qname = random_case(name.wire(), &mut seed);
                        let id = (seed >> 17) as u16;
                        let pkt = packet(id, &qname, t, edns);
                        let access = clusterdns::query::acl::Access::default();
                        let ctx = RequestCtx {
                            peer,
                            transport,
                            access: &access,
                        };
                        let na = query::respond(&set, &pkt, &mut a, &ctx)
                            .expect("a query gets an answer");
                        let nb = query::respond_general(&set, &pkt, &mut b, &ctx)
                            .expect("a query gets an answer");
                        assert_eq!(
                            &a[..na],
                            &b[..nb],
                            "fast and general paths differ for {name} type {t} edns {edns:?} {transport:?}"
                        );
                        compared += 1;
                        // Is the fast path really what answered?
                        let q = clusterdns::dns::wire::parse_query(&pkt).expect("valid query");
                        let limit = match (transport, edns) {
                            (Transport::Tcp | Transport::Dot | Transport::Doh, _) => 65535,
                            (Transport::Udp, Some((p, _))) => (p as usize).clamp(512, 1232),
                            (Transport::Udp, None) => 512,
                        };
                        if let Some(z) = set.find(&qname) {
                            if let Some(nc) = query::fast_answer(z, &q, &mut c, limit) {
                                assert_eq!(&c[..nc], &b[..nb], "fast_answer for {name} type {t}");
                                if let Some(i) = [A, AAAA, PTR, TXT].iter().position(|&x| x == t) {
                                    fast_taken[i] += 1;
                                }
                                let m = hickory_proto::op::Message::from_vec(&c[..nc])
                                    .unwrap_or_else(|e| panic!("{name} {t}: {e}"));
                                assert!(!m.answers.is_empty(), "{name} {t}: empty fast answer");
                                assert_eq!(m.edns.is_some(), edns.is_some());
                            }
                        }
                    }
                }
            }
        }
    }
    println!("compared {compared} responses; fast path taken (A, AAAA, PTR, TXT): {fast_taken:?}");
    assert!(
        fast_taken.iter().all(|&n| n > 0),
        "fast path never taken for some type: {fast_taken:?}"
    );
}

/// With a client cookie the two paths still agree, and both add the same COOKIE option (its
/// timestamp and hash aside, which depend on the second the call ran in).
#[test]
fn fast_and_general_paths_agree_with_cookies() {
    let (set, names) = load_set(true);
    let peer: std::net::SocketAddr = "127.0.0.1:5300".parse().expect("address");
    let client = [9u8, 8, 7, 6, 5, 4, 3, 2];
    let mut a = vec![0u8; 65535];
    let mut b = vec![0u8; 65535];
    let mut compared = 0;
    for zone_names in &names {
        for name in zone_names {
            for t in [1u16, 12, 16, 28, 15, 255] {
                for payload in [512u16, 1232, 4096] {
                    for transport in [Transport::Udp, Transport::Tcp] {
                        let mut opt = opt_rr(payload, false).to_vec();
                        opt[9..11].copy_from_slice(&12u16.to_be_bytes());
                        opt.extend_from_slice(&[0, 10, 0, 8]);
                        opt.extend_from_slice(&client);
                        let pkt = query_packet(7, RD, name.wire(), t, Some(&opt));
                        let access = clusterdns::query::acl::Access::default();
                        let ctx = RequestCtx {
                            peer,
                            transport,
                            access: &access,
                        };
                        let na = query::respond(&set, &pkt, &mut a, &ctx).expect("answer");
                        let nb = query::respond_general(&set, &pkt, &mut b, &ctx).expect("answer");
                        assert_eq!(na, nb, "{name} type {t}: lengths differ");
                        assert_eq!(
                            &a[..na - 12],
                            &b[..nb - 12],
                            "{name} type {t} {transport:?}"
                        );
                        let m = hickory_proto::op::Message::from_vec(&a[..na])
                            .unwrap_or_else(|e| panic!("{name} {t}: {e}"));
                        assert!(m.edns.is_some(), "{name} {t}: OPT kept");
                        // The option: code 10, length 24, our client cookie, version 1.
                        let opt_at = na - 28;
                        assert_eq!(&a[opt_at..opt_at + 4], &[0, 10, 0, 24]);
                        assert_eq!(&a[opt_at + 4..opt_at + 12], &client);
                        assert_eq!(a[opt_at + 12], 1);
                        assert!(
                            na <= if transport == Transport::Udp {
                                payload.clamp(512, 1232) as usize
                            } else {
                                65535
                            }
                        );
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared > 100, "compared only {compared}");
}

/// The same comparison on the DNSSEC fixture signed with NSEC and with NSEC3 (at test time):
/// with DO the pre-encoded path answers RRset + RRSIG and must give the general path's bytes.
#[test]
fn fast_and_general_paths_agree_on_signed_zones() {
    let dir = crate::harness::TempDir::new("paths-signed");
    let mut zones = Vec::new();
    let mut names = Vec::new();
    for (origin, args) in [
        ("signed.test", &[][..]),
        ("nsec3.test", &["-3", "aabb", "-H", "1", "-A"][..]),
    ] {
        let path = super::dnssec::sign(dir.path(), origin, args);
        let o = Name::from_ascii(origin).expect("origin");
        let mut z = clusterdns::source::loader::load_zone(&path, &o)
            .unwrap_or_else(|e| panic!("{e}"))
            .zone;
        assert!(z.signed, "{origin} is signed");
        query::prepare(&mut z);
        for n in &z.nodes {
            names.push(n.name.clone());
            let mut w = vec![1, b'x'];
            w.extend_from_slice(n.name.wire());
            names.push(Name::from_wire_unchecked(&w));
        }
        zones.push(std::sync::Arc::new(z));
    }
    let set = clusterdns::store::ZoneSet::new(zones);
    let peer: std::net::SocketAddr = "127.0.0.1:5300".parse().expect("address");
    let access = clusterdns::query::acl::Access::default();
    let (mut a, mut b, mut c) = (vec![0u8; 65535], vec![0u8; 65535], vec![0u8; 65535]);
    let (mut compared, mut fast_do) = (0usize, 0usize);
    for name in &names {
        for t in [1u16, 2, 5, 6, 15, 16, 28, 39, 43, 46, 47, 48, 50, 255] {
            for edns in [
                None,
                Some((1232, true)),
                Some((512, true)),
                Some((1232, false)),
            ] {
                for transport in [Transport::Udp, Transport::Tcp] {
                    let pkt = packet(9, name.wire(), t, edns);
                    let ctx = RequestCtx {
                        peer,
                        transport,
                        access: &access,
                    };
                    let na = query::respond(&set, &pkt, &mut a, &ctx).expect("answer");
                    let nb = query::respond_general(&set, &pkt, &mut b, &ctx).expect("answer");
                    assert_eq!(
                        &a[..na],
                        &b[..nb],
                        "fast and general paths differ for {name} type {t} edns {edns:?} {transport:?}"
                    );
                    compared += 1;
                    let q = clusterdns::dns::wire::parse_query(&pkt).expect("valid query");
                    let limit = match (transport, edns) {
                        (Transport::Tcp | Transport::Dot | Transport::Doh, _) => 65535,
                        (Transport::Udp, Some((p, _))) => (p as usize).clamp(512, 1232),
                        (Transport::Udp, None) => 512,
                    };
                    if let (Some(z), Some((_, true))) = (set.find(name.wire()), edns) {
                        if let Some(nc) = query::fast_answer(z, &q, &mut c, limit) {
                            assert_eq!(&c[..nc], &b[..nb], "fast_answer for {name} type {t}");
                            fast_do += 1;
                        }
                    }
                }
            }
        }
    }
    println!("compared {compared} responses; fast path with DO taken {fast_do} times");
    assert!(fast_do > 0, "the fast path never answered with DO");
}
