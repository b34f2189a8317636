//! A structure-aware mutation test of the wire path (stable Rust, no fuzzing engine): valid
//! queries for the names of the example zones and the differential fixtures, with EDNS options
//! (cookies, NSID, keepalive, padding) and TSIG records, are mutated (bit flips, truncation,
//! counts, opcodes, flags, label lengths, compression pointers, option and RDATA lengths) and
//! answered by `respond` and `respond_general` over UDP and TCP with a real `ZoneSet`. Every
//! answer must stay within the transport's limit, be a response with the query's ID, and no
//! response is ever answered. Seeded, bounded in count and time; `CLUSTERDNS_MUTATE_ITERS`
//! runs longer.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::rand::XorShift;

use crate::dns::wire;
use crate::query::acl::Access;
use crate::query::{respond, respond_general, RequestCtx, Transport, MAX_UDP, MIN_UDP};
use crate::source::loader;
use crate::store::ZoneSet;

/// The test's generator ([`XorShift`]) with the draws it needs.
struct Rng(XorShift);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// The example zones and the differential fixtures, loaded and prepared as the server does;
/// with the wire form of every name in them (and a few outside).
fn zones() -> (ZoneSet, Vec<Vec<u8>>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["zones", "tests/fixtures/diff"] {
        files.extend(loader::zone_files(&root.join(dir)).unwrap_or_default());
    }
    let mut zones = Vec::new();
    let mut names = vec![
        b"\x07example\x03com\x00".to_vec(),
        b"\x00".to_vec(),
        b"\x04nope\x06hadoop\x00".to_vec(),
    ];
    for p in files {
        let Some(origin) = loader::origin_from_path(&p) else {
            continue;
        };
        let Ok(loaded) = loader::load_zone(&p, &origin) else {
            continue;
        };
        let mut z = loaded.zone;
        crate::query::prepare(&mut z);
        names.extend(z.nodes.iter().map(|n| n.name.wire().to_vec()));
        names.push([b"\x05nxdom".as_slice(), origin.wire()].concat());
        zones.push(Arc::new(z));
    }
    assert!(zones.len() >= 5, "example and fixture zones missing");
    (ZoneSet::new(zones), names)
}

/// Query types worth asking: the common ones, meta types, DNSSEC, unknown.
const QTYPES: &[u16] = &[
    1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 39, 41, 43, 46, 47, 48, 50, 51, 65, 99, 250, 251, 252, 255,
    256, 257, 65535,
];

/// One EDNS option (code, data).
fn option(rng: &mut Rng) -> Vec<u8> {
    let (code, data): (u16, Vec<u8>) = match rng.below(7) {
        // Client cookie alone, or with a server cookie (8-32 bytes), or a bad length.
        0 => (10, (0..8).map(|_| rng.next() as u8).collect()),
        1 => {
            let n = 8 + *rng.pick(&[8usize, 16, 24, 32, 3, 33, 0]);
            (10, (0..n).map(|_| rng.next() as u8).collect())
        }
        2 => (3, Vec::new()),                            // NSID
        3 => (11, Vec::new()),                           // keepalive, as a client asks
        4 => (11, vec![0, rng.next() as u8]),            // keepalive with a timeout (a server's)
        5 => (12, vec![0; rng.below(64)]),               // padding
        _ => (rng.next() as u16, vec![7; rng.below(8)]), // unknown
    };
    let mut o = Vec::with_capacity(4 + data.len());
    o.extend_from_slice(&code.to_be_bytes());
    o.extend_from_slice(&(data.len() as u16).to_be_bytes());
    o.extend_from_slice(&data);
    o
}

/// An OPT record with a few options.
fn opt(rng: &mut Rng) -> Vec<u8> {
    let payload: u16 = *rng.pick(&[512, 1232, 4096, 0, 100, 65535, 1400]);
    let mut ttl = [0u8; 4];
    if rng.chance(8) {
        ttl[1] = 1; // EDNS version 1
    }
    if rng.chance(2) {
        ttl[2] = 0x80; // DO
    }
    let mut rdata = Vec::new();
    for _ in 0..rng.below(4) {
        rdata.extend(option(rng));
    }
    let mut r = vec![0u8, 0, 41];
    r.extend_from_slice(&payload.to_be_bytes());
    r.extend_from_slice(&ttl);
    r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    r.extend(rdata);
    r
}

/// A TSIG record (RFC 8945) with an unknown key and a random MAC: it must end the message.
fn tsig(rng: &mut Rng) -> Vec<u8> {
    let mut rdata = b"\x0bhmac-sha256\x00".to_vec();
    rdata.extend_from_slice(&[0, 0, 0x69, 0x00, 0x00, 0x00]); // time signed
    rdata.extend_from_slice(&300u16.to_be_bytes()); // fudge
    let mac = *rng.pick(&[32usize, 0, 16, 200]);
    rdata.extend_from_slice(&(mac as u16).to_be_bytes());
    rdata.extend((0..mac).map(|_| rng.next() as u8));
    rdata.extend_from_slice(&[0x12, 0x34, 0, 0, 0, 0]); // original id, error, other len
    let mut r = b"\x03key\x00".to_vec();
    r.extend_from_slice(&[0, 250, 0, 255, 0, 0, 0, 0]);
    r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    r.extend(rdata);
    r
}

/// A valid query for one of `names`, maybe with EDNS and TSIG.
fn query(rng: &mut Rng, names: &[Vec<u8>]) -> Vec<u8> {
    let mut p = Vec::with_capacity(600);
    p.extend_from_slice(&(rng.next() as u16).to_be_bytes());
    p.extend_from_slice(&[if rng.chance(3) { 0 } else { 1 }, 0]); // RD
    p.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    let name = rng.pick(names);
    if rng.chance(4) {
        // Mixed case, as a client randomizes it.
        p.extend(name.iter().map(|&c| {
            if rng.chance(2) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        }));
    } else {
        p.extend_from_slice(name);
    }
    p.extend_from_slice(&rng.pick(QTYPES).to_be_bytes());
    p.extend_from_slice(&[0, *rng.pick(&[1u8, 1, 1, 3, 255, 254])]);
    let mut ar = 0u8;
    if rng.chance(3) {
        p.extend(opt(rng));
        ar += 1;
    }
    if rng.chance(6) {
        p.extend(tsig(rng));
        ar += 1;
    }
    p[11] = ar;
    p
}

/// Mutates `p` in place a few times.
fn mutate(rng: &mut Rng, p: &mut Vec<u8>) {
    for _ in 0..rng.below(4) + usize::from(rng.chance(2)) {
        let len = p.len();
        match rng.below(12) {
            0 if len > 0 => {
                let at = rng.below(len);
                p[at] ^= 1 << rng.below(8);
            }
            1 => p.truncate(rng.below(len + 1)),
            2 if len >= 12 => {
                // A count: 0, 1, 2 or absurd.
                let at = 4 + 2 * rng.below(4);
                let r = rng.next() as u16;
                let v: u16 = *rng.pick(&[0, 1, 2, 0xffff, r]);
                p[at..at + 2].copy_from_slice(&v.to_be_bytes());
            }
            3 if len >= 12 => {
                // Opcode: QUERY, IQUERY, STATUS, NOTIFY, UPDATE, DSO, unassigned.
                let op = *rng.pick(&[0u8, 1, 2, 4, 5, 6, 15]);
                p[2] = (p[2] & 0x87) | (op << 3);
            }
            4 if len >= 12 => {
                p[2] ^= rng.next() as u8;
                p[3] ^= rng.next() as u8;
            }
            5 if len > 12 => {
                // A label length in the question: any value, incl. the pointer and the
                // reserved label kinds.
                let at = 12 + rng.below(len - 12);
                p[at] = *rng.pick(&[0u8, 1, 63, 64, 0x40, 0x80, 0xc0, 0xff]);
            }
            6 if len > 13 => {
                // A compression pointer: to itself, forward, backward, past the end.
                let at = 12 + rng.below(len - 13);
                let target = *rng.pick(&[at, 12, 0, len, at + 2, 0x3fff]) as u16;
                p[at..at + 2].copy_from_slice(&(0xc000 | (target & 0x3fff)).to_be_bytes());
            }
            7 if len > 2 => {
                // A 16-bit length field (RDLENGTH, option length) set to something else.
                let at = rng.below(len - 1);
                let r = rng.next() as u16;
                let v: u16 = *rng.pick(&[0, 1, 0xffff, (len - at) as u16, r]);
                p[at..at + 2].copy_from_slice(&v.to_be_bytes());
            }
            8 => {
                let extra = rng.below(40);
                p.extend((0..extra).map(|_| rng.next() as u8));
            }
            9 if len > 12 => {
                // A repeated section: a second question or additional record.
                let from = 12 + rng.below(len - 12);
                let chunk = p[from..].to_vec();
                p.extend(chunk);
            }
            10 if len > 0 => {
                let at = rng.below(len);
                p.remove(at);
            }
            _ if len >= 3 => p[2] |= 0x80, // QR: a response
            _ => {}
        }
    }
}

/// The largest answer allowed for `packet` over `transport`.
fn limit(packet: &[u8], transport: Transport) -> usize {
    match transport {
        Transport::Udp => match wire::parse_query(packet) {
            Ok(q) => q
                .edns
                .map_or(MIN_UDP, |e| (e.payload as usize).clamp(MIN_UDP, MAX_UDP)),
            Err(_) => MIN_UDP,
        },
        _ => 65535,
    }
}

#[track_caller]
fn check(packet: &[u8], out: &[u8], len: Option<usize>, transport: Transport, path: &str) {
    let Some(len) = len else {
        return;
    };
    let lim = limit(packet, transport);
    assert!(
        len <= lim,
        "{path} {transport:?}: {len} bytes > {lim} for {packet:02x?}"
    );
    assert!(len >= 12, "{path}: a {len}-byte response to {packet:02x?}");
    assert!(
        packet.len() >= 3 && packet[2] & 0x80 == 0,
        "{path}: answered a response {packet:02x?}"
    );
    assert!(out[2] & 0x80 != 0, "{path}: QR not set for {packet:02x?}");
    assert_eq!(out[..2], packet[..2], "{path}: ID not echoed");
}

#[test]
fn mutated_queries_never_panic_and_answers_stay_within_limits() {
    let (iters, budget) = crate::rand::mutate_budget(20_000);
    let (set, names) = zones();
    let access = Access {
        nsid: Some(b"mutate".to_vec().into_boxed_slice()),
        ..Access::default()
    };
    let peer = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5353);
    let ctxs = [Transport::Udp, Transport::Tcp].map(|transport| RequestCtx {
        peer,
        transport,
        access: &access,
    });
    let mut out = vec![0u8; 65535];
    let mut rng = Rng(XorShift::new(0x5eed_0a11_2026_0010));
    let t0 = Instant::now();
    let (mut done, mut answered) = (0usize, 0usize);
    while done < iters && t0.elapsed() < budget {
        let mut p = query(&mut rng, &names);
        if !rng.chance(8) {
            mutate(&mut rng, &mut p);
        }
        for ctx in &ctxs {
            // The UDP workers' buffers are MAX_UDP + 512 bytes; a stream's are 64 KiB.
            let size = match ctx.transport {
                Transport::Udp => MAX_UDP + 512,
                _ => 65535,
            };
            let n = respond(&set, &p, &mut out[..size], ctx);
            check(&p, &out, n, ctx.transport, "respond");
            answered += usize::from(n.is_some());
            let n = respond_general(&set, &p, &mut out[..size], ctx);
            check(&p, &out, n, ctx.transport, "respond_general");
        }
        done += 1;
    }
    assert!(done >= iters.min(1000), "only {done} inputs in {budget:?}");
    assert!(
        answered > done / 4,
        "few answers ({answered} of {done}): mutations too coarse"
    );
    eprintln!("wire mutation test: {done} inputs ({answered} answers on UDP+TCP), 0 crashes");
}
