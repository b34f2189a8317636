//! Zone labels stay with their zone across reloads that reorder, add and remove zones.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::query::Transport;
use crate::zonefile::{parse_str, Options};

fn zone(origin: &str) -> Arc<crate::zone::Zone> {
    let o = Name::from_ascii(origin).unwrap();
    let text = "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 1.1.1.1\n";
    let p = parse_str(text.as_bytes(), Path::new("t"), &Options::new(o.clone()));
    Arc::new(crate::zone::build(&o, p, &mut Vec::new()).unwrap())
}

/// Counts one NOERROR answer from the zone `origin` of `set`.
fn answer(tap: &mut Tap, set: &Arc<ZoneSet>, origin: &str) {
    tap.batch_start(set);
    let i = set
        .zones()
        .iter()
        .position(|z| z.origin.to_string() == origin)
        .unwrap();
    let access = crate::query::acl::Access::default();
    let ctx = RequestCtx {
        peer: "127.0.0.1:1".parse().unwrap(),
        transport: Transport::Udp,
        access: &access,
    };
    let a = Answered {
        len: 12,
        qtype: 1,
        zone: i as u32,
        cookie_ok: false,
        keepalive: false,
    };
    tap.packet(&ctx, &[0; 17], &[0x80; 12][..], a);
    tap.batch_end(1);
}

fn noerror(m: &Metrics, zone: &str) -> u64 {
    m.sums()
        .responses
        .iter()
        .find(|(z, _)| z == zone)
        .map_or(0, |(_, c)| c[0])
}

#[test]
fn zone_rows_survive_reloads() {
    let store = Arc::new(Store::new(ZoneSet::default()));
    let m = Metrics::new(store);
    let mut tap = Taps::new(Some(m.clone()), None).own_tap(Proto::Udp);
    let one = Arc::new(ZoneSet::new(vec![zone("a."), zone("b.")]));
    answer(&mut tap, &one, "a.");
    answer(&mut tap, &one, "b.");
    answer(&mut tap, &one, "b.");
    // A reload: a is gone, c is new, and b sits at another index.
    let two = Arc::new(ZoneSet::new(vec![zone("c."), zone("b.")]));
    answer(&mut tap, &two, "b.");
    answer(&mut tap, &two, "c.");
    assert_eq!(noerror(&m, "a."), 1);
    assert_eq!(noerror(&m, "b."), 3);
    assert_eq!(noerror(&m, "c."), 1);
    let s = m.sums();
    assert_eq!(s.requests[0][0][type_index(1)], 5);
    assert_eq!(s.duration[0].0.iter().sum::<u64>(), 5);
}
