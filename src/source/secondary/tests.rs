//! Unit tests of the NOTIFY acceptance rules: from a primary's address or signed with a key
//! its primaries name -> NOERROR and the zone's task woken; else REFUSED, NOTAUTH for a zone
//! we are not secondary for, BADKEY for an unknown key.

use super::*;
use crate::config::Primary;
use crate::dns::tsig::TsigKey;
use crate::source::updater::Reply;

fn notify(zone: &[u8]) -> Vec<u8> {
    let mut m = vec![0x43, 0x21, 4 << 3, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(zone);
    m.extend_from_slice(&[0, 6, 0, 1]);
    m
}

/// Answers `packet` from `peer`; (rcode, woken).
fn run(cfg: &XfrConfig, packet: Vec<u8>, peer: &str) -> (u8, bool) {
    let wake = Arc::new(Notify::new());
    let origin = Name::from_ascii("s.test").expect("n");

    let (tx, mut rx) = tokio::sync::oneshot::channel();
    let job = NotifyJob {
        packet,
        peer: peer.parse().expect("peer"),
        reply: Reply::Tcp(tx),
    };
    answer_notify(job, cfg, |o| (*o == origin).then(|| wake.clone()));
    let resp = rx.try_recv().expect("answered");
    assert_eq!(resp[2] & 0x84, 0x84, "QR and AA");
    let woken = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("rt");
        rt.block_on(async {
            tokio::time::timeout(Duration::from_millis(1), wake.notified())
                .await
                .is_ok()
        })
    };
    (resp[3] & 0x0f, woken)
}

/// Two known keys, `xfr` and `other`.
fn keys() -> (TsigKey, TsigKey) {
    let key: TsigKey = "xfr:hmac-sha256:c2VjcmV0c2VjcmV0".parse().expect("key");
    let other: TsigKey = "other:hmac-sha256:c2VjcmV0c2VjcmV0".parse().expect("key");
    (key, other)
}

/// Secondary zone `s.test` of the primary 127.0.0.9 (signing with `primary_key`), both keys
/// known.
fn secondary_of_127_0_0_9(
    key: &TsigKey,
    other: &TsigKey,
    primary_key: Option<&TsigKey>,
    allow_notify: Option<crate::config::xfrzone::TransferAcl>,
) -> XfrConfig {
    XfrConfig {
        keys: vec![key.clone(), other.clone()],
        secondaries: vec![SecondaryZone {
            origin: Name::from_ascii("s.test").expect("n"),
            primaries: vec![Primary {
                addr: "127.0.0.9:53".parse().expect("a"),
                key: primary_key.map(|k| k.name.clone()),
            }],
            file: None,
            allow_notify,
        }],
        ..XfrConfig::default()
    }
}

#[test]
fn notify_is_accepted_from_primaries_or_with_their_key() {
    let (key, other) = keys();
    let cfg = secondary_of_127_0_0_9(&key, &other, Some(&key), None);
    let zone = b"\x01s\x04test\x00";
    assert_eq!(run(&cfg, notify(zone), "127.0.0.9:4000"), (0, true));
    assert_eq!(
        run(&cfg, notify(zone), "127.0.0.8:4000"),
        (rcode::REFUSED, false)
    );
    assert_eq!(
        run(&cfg, notify(b"\x01x\x04test\x00"), "127.0.0.9:4000"),
        (rcode::NOTAUTH, false)
    );
    // Signed with the primary's key, from anywhere: accepted; another known key: refused.
    let mut signed = notify(zone);
    let _ = tsig::sign_request(&mut signed, &key, tsig::now());
    assert_eq!(run(&cfg, signed, "127.0.0.8:4000"), (0, true));
    let mut signed = notify(zone);
    let _ = tsig::sign_request(&mut signed, &other, tsig::now());
    assert_eq!(run(&cfg, signed, "127.0.0.8:4000"), (rcode::REFUSED, false));
    let unknown: TsigKey = "nope:hmac-sha256:c2VjcmV0c2VjcmV0".parse().expect("key");
    let mut signed = notify(zone);
    let _ = tsig::sign_request(&mut signed, &unknown, tsig::now());
    assert_eq!(run(&cfg, signed, "127.0.0.9:4000"), (rcode::NOTAUTH, false));
}

#[test]
fn allow_notify_admits_more_senders_by_address_or_key() {
    use crate::config::file::MatchEntry;
    let (key, other) = keys();
    let list: Vec<MatchEntry> = ["10.1.0.0/16", "key:other"]
        .into_iter()
        .map(|s| MatchEntry::try_from(s.to_string()).expect("entry"))
        .collect();
    let acl = crate::config::xfrzone::TransferAcl::new(&list);
    let cfg = secondary_of_127_0_0_9(&key, &other, None, Some(acl));
    let zone = b"\x01s\x04test\x00";
    assert_eq!(
        run(&cfg, notify(zone), "127.0.0.9:4000"),
        (0, true),
        "the primary"
    );
    assert_eq!(
        run(&cfg, notify(zone), "10.1.2.3:4000"),
        (0, true),
        "a listed prefix"
    );
    assert_eq!(
        run(&cfg, notify(zone), "10.2.0.1:4000"),
        (rcode::REFUSED, false),
        "neither"
    );
    let mut signed = notify(zone);
    let _ = tsig::sign_request(&mut signed, &other, tsig::now());
    assert_eq!(
        run(&cfg, signed, "127.0.0.8:4000"),
        (0, true),
        "a listed key"
    );
    let mut signed = notify(zone);
    let _ = tsig::sign_request(&mut signed, &key, tsig::now());
    assert_eq!(
        run(&cfg, signed, "127.0.0.8:4000"),
        (rcode::REFUSED, false),
        "a known key neither the primaries nor the list name"
    );
}
