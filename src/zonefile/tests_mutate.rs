//! A structure-aware mutation test of the zone-file reader (stable Rust, no fuzzing engine):
//! valid zones are cut into lines and tokens, and recombined, truncated and sprinkled with the
//! bytes and tokens the lexer treats specially; every result must read (and build) without a
//! panic, within the limits, with errors that point at a real line and quote little. Seeded,
//! and bounded in count and time; `CLUSTERDNS_MUTATE_ITERS` runs longer.

use std::path::Path;
use std::time::Instant;

use crate::rand::XorShift;

use crate::dns::name::Name;
use crate::zonefile::*;

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
}

const SEEDS: &[&str] = &[
    include_str!("../../zones/lihui.hadoop.zone"),
    include_str!("../../zones/1.168.192.in-addr.arpa.zone"),
    "$TTL 1h\n$ORIGIN t.\n@ SOA ns r ( 1 2 3 4 5 )\n NS ns\nns A 10.0.0.1\n AAAA ::1\nt TXT \"a b\" c \"\\\"\"\nm MX 10 ns\ns SRV 0 0 53 ns\nc CNAME ns\nw.x CAA 0 issue \"ca\"\n* A 10.0.0.2\n$GENERATE 1-20/3 g${0,3,x} A 10.0.1.$\n$GENERATE 1-4 $.r PTR h$.t.\nk DNSKEY 257 3 13 AQID BAUG\nh HINFO \"x\" \"y\"\nn NAPTR 1 2 \"u\" \"E2U+sip\" \"\" .\n",
];

/// Tokens and bytes the lexer and the directives treat specially.
const SPECIAL: &[&[u8]] = &[
    b"(",
    b")",
    b"\"",
    b"\\",
    b"\\0",
    b"\\065",
    b";",
    b"\n",
    b"\t",
    b" ",
    b"\0",
    b"\xff",
    b"@",
    b"*",
    b".",
    b"..",
    b"$TTL",
    b"$ORIGIN",
    b"$GENERATE",
    b"${",
    b"${-1,300,x}",
    b"$",
    b"4294967295",
    b"99999999999",
    b"1w2d",
    b"IN",
    b"CH",
    b"ANY",
    b"TYPE65535",
    b"\\# 3 abcdef",
    b"0-4294967295",
    b"1-1000000",
    b"\r\n",
];

fn mutate(rng: &mut Rng, lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out: Vec<Vec<u8>> = (0..rng.below(40) + 1)
        .map(|_| rng.pick(lines).clone())
        .collect();
    for _ in 0..rng.below(8) {
        let i = rng.below(out.len());
        let line = &mut out[i];
        match rng.below(6) {
            0 => {
                let at = rng.below(line.len() + 1);
                line.splice(at..at, rng.pick(SPECIAL).iter().copied());
            }
            1 if !line.is_empty() => {
                let at = rng.below(line.len());
                line[at] = rng.next() as u8;
            }
            2 if !line.is_empty() => {
                let at = rng.below(line.len());
                line.truncate(at);
            }
            3 => {
                // A long run: a token or line near a limit.
                let b = *rng.pick(&[b'x', b'0', b'\\', b'(', 0u8]);
                line.extend(std::iter::repeat_n(b, rng.below(5000)));
            }
            4 => {
                let other = rng.pick(lines).clone();
                let at = rng.below(line.len() + 1);
                line.splice(at..at, other);
            }
            _ => line.reverse(),
        }
    }
    let mut text: Vec<u8> = out.join(&b'\n');
    if rng.below(4) == 0 {
        text.truncate(rng.below(text.len() + 1));
    }
    // Nothing outside the input is read: `$INCLUDE` is taken out.
    while let Some(p) = text
        .windows(8)
        .position(|w| w.eq_ignore_ascii_case(b"$INCLUDE"))
    {
        text[p + 1] = b'X';
    }
    text
}

#[test]
fn mutated_zone_files_never_panic_and_stay_within_limits() {
    let (iters, budget) = crate::rand::mutate_budget(3000);
    let lines: Vec<Vec<u8>> = SEEDS
        .iter()
        .flat_map(|s| s.split('\n'))
        .map(|l| l.as_bytes().to_vec())
        .collect();
    let origin = Name::from_ascii("t.").expect("origin");
    let mut opts = Options::new(origin.clone());
    opts.limits.max_records = 5000;
    opts.limits.max_generate = 5000;
    opts.limits.max_token = 2000;
    let mut rng = Rng(XorShift::new(0x5eed_c1d5_2026_0010));
    let t0 = Instant::now();
    let mut done = 0;
    while done < iters && t0.elapsed() < budget {
        let text = mutate(&mut rng, &lines);
        let nlines = text.iter().filter(|&&c| c == b'\n').count() as u32 + 1;
        let parsed = parse_str(&text, Path::new("m.zone"), &opts);
        assert!(parsed.records.len() as u64 <= opts.limits.max_records);
        for d in parsed.errors.iter().chain(&parsed.warnings) {
            assert!(d.line <= nlines, "line {} of {nlines}: {d}", d.line);
            assert!(
                d.message.len() <= 403,
                "message quotes too much: {}",
                d.message
            );
        }
        let _ = crate::zone::build(&origin, parsed, &mut Vec::new());
        done += 1;
    }
    assert!(done >= iters.min(200), "only {done} inputs in {budget:?}");
    eprintln!("mutation test: {done} inputs, 0 crashes");
}
