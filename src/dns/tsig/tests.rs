//! Unit tests of TSIG: a request signed as a client would sign it verifies; a changed byte,
//! an unknown key and a stale time give BADSIG, BADKEY and BADTIME; answers chain MACs.

use super::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn key(name: &str) -> TsigKey {
    TsigKey::new(
        &Name::from_ascii(name).expect("name"),
        Algorithm::HmacSha256,
        SECRET,
    )
}

/// A query for `example. AXFR`, unsigned.
fn query() -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(b"\x07example\x00\x00\xfc\x00\x01");
    m
}

/// Signs a request as a client does (RFC 8945 4.3.3: message, then the variables).
fn client_sign(msg: &mut Vec<u8>, k: &TsigKey, time: u64) -> Vec<u8> {
    let mut ctx = hmac::Context::with_key(&k.key);
    ctx.update(msg);
    variables(
        &mut ctx,
        k.name.wire(),
        k.alg.wire(),
        &time48(time),
        FUDGE,
        0,
        &[],
    );
    let mac = ctx.sign().as_ref().to_vec();
    let rr = tsig_rr(
        k.name.wire(),
        k.alg.wire(),
        &time48(time),
        &mac,
        0x1234,
        0,
        &[],
    );
    msg.extend_from_slice(&rr);
    bump_arcount(msg);
    mac
}

#[test]
fn keys_parse_from_the_flag_form() {
    let k: TsigKey = "Xfr-Key:hmac-sha512:c2VjcmV0".parse().expect("parses");
    assert_eq!(k.name.to_string(), "xfr-key.");
    assert_eq!(k.alg, Algorithm::HmacSha512);
    assert!("k:hmac-md5:c2VjcmV0".parse::<TsigKey>().is_err());
    assert!("k:hmac-sha256:!!".parse::<TsigKey>().is_err());
    assert!("k-only".parse::<TsigKey>().is_err());
}

#[test]
fn signed_request_verifies_and_answers_chain() {
    let k = key("xfr.");
    let keys = [k.clone()];
    let mut m = query();
    let req_mac = client_sign(&mut m, &k, 1_700_000_000);
    let Verified::Valid(mut s) = verify(&m, &keys, 1_700_000_100) else {
        panic!("a good signature must verify");
    };
    assert_eq!(s.error(), 0);
    // First answer: MAC over the request MAC, the message and the variables.
    let mut a = query();
    a[2] |= 0x80;
    let unsigned = a.clone();
    s.sign(&mut a, 1_700_000_100);
    assert_eq!(a[11], 1, "ARCOUNT counts the TSIG");
    let mut ctx = hmac::Context::with_key(&k.key);
    ctx.update(&(req_mac.len() as u16).to_be_bytes());
    ctx.update(&req_mac);
    ctx.update(&unsigned);
    variables(
        &mut ctx,
        k.name.wire(),
        k.alg.wire(),
        &time48(1_700_000_100),
        FUDGE,
        0,
        &[],
    );
    let want = ctx.sign();
    let found = find(&a).expect("parses").expect("signed");
    assert_eq!(found.mac, want.as_ref());
    // Second answer: over the first answer's MAC and the timers only.
    let mut b = unsigned.clone();
    s.sign(&mut b, 1_700_000_101);
    let mut ctx = hmac::Context::with_key(&k.key);
    ctx.update(&32u16.to_be_bytes());
    ctx.update(want.as_ref());
    ctx.update(&unsigned);
    ctx.update(&time48(1_700_000_101));
    ctx.update(&FUDGE.to_be_bytes());
    let found = find(&b).expect("parses").expect("signed");
    assert_eq!(found.mac, ctx.sign().as_ref());
}

#[test]
fn bad_signatures_keys_and_times() {
    let k = key("xfr.");
    let mut m = query();
    client_sign(&mut m, &k, 1_700_000_000);
    let other = [key("other.")];
    assert!(matches!(
        verify(&m, &other, 1_700_000_000),
        Verified::Bad {
            error: err::BADKEY,
            ..
        }
    ));
    let wrong = [TsigKey::new(
        &k.name,
        Algorithm::HmacSha256,
        b"not the secret",
    )];
    assert!(matches!(
        verify(&m, &wrong, 1_700_000_000),
        Verified::Bad {
            error: err::BADSIG,
            ..
        }
    ));
    let mut flipped = m.clone();
    flipped[14] ^= 0x20; // a letter of the question name
    assert!(matches!(
        verify(&flipped, std::slice::from_ref(&k), 1_700_000_000),
        Verified::Bad {
            error: err::BADSIG,
            ..
        }
    ));
    match verify(&m, std::slice::from_ref(&k), 1_700_000_000 + 301) {
        Verified::Valid(s) => assert_eq!(s.error(), err::BADTIME),
        _ => panic!("a stale good signature is BADTIME"),
    }
    assert!(matches!(verify(&query(), &[k], 0), Verified::Unsigned));
    let mut cut = m.clone();
    cut.truncate(m.len() - 3);
    assert!(matches!(verify(&cut, &[], 0), Verified::Malformed));
}

#[test]
fn our_signed_request_verifies_and_its_answers_are_checked_in_order() {
    let k = key("xfr.");
    let now = 1_700_000_000;
    let mut req = query();
    let mut check = sign_request(&mut req, &k, now);
    let keys = [k.clone()];
    let Verified::Valid(mut signer) = verify(&req, &keys, now) else {
        panic!("our signed request does not verify");
    };
    let answer = || {
        let mut m = vec![0x12, 0x34, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\x07example\x00\x00\xfc\x00\x01");
        m
    };
    for _ in 0..3 {
        let mut a = answer();
        signer.sign(&mut a, now);
        check.check(&a, now).expect("a signed answer checks");
    }
    // A changed byte, or an answer that was never signed first, is rejected.
    let mut a = answer();
    signer.sign(&mut a, now);
    a[3] ^= 1;
    assert!(check.check(&a, now).is_err());
    let mut fresh = query();
    let mut check = sign_request(&mut fresh, &k, now);
    assert!(
        check.check(&answer(), now).is_err(),
        "unsigned first answer"
    );
}

#[test]
fn keys_are_equal_when_name_algorithm_and_secret_are() {
    let k = |s: &str| s.parse::<TsigKey>().expect("key");
    let a = k("xfr:hmac-sha256:c2VjcmV0MQ==");
    assert!(a == k("XFR:hmac-sha256:c2VjcmV0MQ=="), "names without case");
    assert!(a != k("xfr:hmac-sha256:c2VjcmV0Mg=="), "another secret");
    assert!(a != k("xfr:hmac-sha1:c2VjcmV0MQ=="), "another algorithm");
    assert!(
        !format!("{a:?}").contains("c2VjcmV0"),
        "the secret is never printed"
    );
}
