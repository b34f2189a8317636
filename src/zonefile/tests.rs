//! Unit tests of the master-file reader: lexer, directives, `$GENERATE`, records and errors.

mod unit {
    use crate::dns::name::Name;
    use crate::dns::rdata;
    use crate::zonefile::generate::expand_template;
    use crate::zonefile::*;

    fn parse(text: &str, origin: &str) -> Parsed {
        parse_str(
            text.as_bytes(),
            Path::new("t.zone"),
            &Options::new(Name::from_ascii(origin).unwrap()),
        )
    }

    fn lines(p: &Parsed) -> Vec<String> {
        p.records
            .iter()
            .map(|r| {
                let mut s = format!("{} {} ", r.owner, r.ttl);
                rdata::type_to_text(r.rtype, &mut s);
                s.push(' ');
                rdata::write_rdata(r.rtype, &r.rdata, &mut s);
                s
            })
            .collect()
    }

    #[test]
    fn classic_tutorial_zone() {
        let p = parse(
            "$TTL 1D\n@\tIN SOA\tlhmaster.lihui.hadoop. root.lihui.hadoop. (\n\t\t\t0\t; serial\n\t\t\t1D\t; refresh\n\t\t\t1H\t; retry\n\t\t\t1W\t; expire\n\t\t\t3H )\t; minimum\n\tNS\tlhmaster\nlhmaster\tA\t192.168.1.4\nlhslave01 IN A 192.168.1.5\n",
            "lihui.hadoop.",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            lines(&p),
            vec![
                "lihui.hadoop. 86400 SOA lhmaster.lihui.hadoop. root.lihui.hadoop. 0 86400 3600 604800 10800",
                "lihui.hadoop. 86400 NS lhmaster.lihui.hadoop.",
                "lhmaster.lihui.hadoop. 86400 A 192.168.1.4",
                "lhslave01.lihui.hadoop. 86400 A 192.168.1.5",
            ]
        );
        assert_eq!(p.records[3].line, 10);
    }

    #[test]
    fn every_error_with_its_line() {
        let p = parse(
            "$TTL 60\n@ SOA a b 1 2 3 4 5\nx AX 1.2.3.4\ny A 1.2.3.999\nz A 1.2.3.4\n",
            "ex.",
        );
        let msgs: Vec<String> = p.errors.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            msgs,
            vec![
                "t.zone:3: unknown RR type 'AX'",
                "t.zone:4: A: bad IPv4 address '1.2.3.999'"
            ]
        );
        assert_eq!(p.records.len(), 2);
    }

    #[test]
    fn origin_ttl_and_inheritance() {
        let p = parse("$ORIGIN sub\n$TTL 1h\na 30 IN A 1.1.1.1\n  IN 40 TXT \"x y\"\n$ORIGIN other.\nb A 2.2.2.2\n", "ex.");
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            lines(&p),
            vec![
                "a.sub.ex. 30 A 1.1.1.1",
                "a.sub.ex. 40 TXT \"x y\"",
                "b.other. 3600 A 2.2.2.2"
            ]
        );
    }

    #[test]
    fn rfc1035_ttl_without_dollar_ttl() {
        let p = parse(
            "@ 100 SOA a b 1 2 3 4 5\nx A 1.1.1.1\ny 7 A 1.1.1.2\nz A 1.1.1.3\n",
            "ex.",
        );
        let ttls: Vec<u32> = p.records.iter().map(|r| r.ttl).collect();
        assert_eq!(ttls, vec![100, 100, 7, 7]);
    }

    #[test]
    fn generate() {
        let p = parse(
            "$TTL 5\n$GENERATE 1-3/2 host$ A 10.0.0.${10}\n$GENERATE 10-11 ${0,4,x} PTR h$.\n",
            "ex.",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            lines(&p),
            vec![
                "host1.ex. 5 A 10.0.0.11",
                "host3.ex. 5 A 10.0.0.13",
                "000a.ex. 5 PTR h10.",
                "000b.ex. 5 PTR h11."
            ]
        );
        assert_eq!(expand_template(b"${0,3,n}", 0x12).unwrap(), b"2.1");
        assert_eq!(expand_template(b"${0,6,n}", 0x12).unwrap(), b"2.1.0.");
        assert_eq!(
            expand_template(b"${-2000,0,n}", 1024).unwrap(),
            b"0.3.c.f.f.f.f.f"
        );
        assert!(expand_template(b"${2147483647}", 1).is_err());
        assert_eq!(expand_template(b"a\\$", 1).unwrap(), b"a\\$");
    }

    #[test]
    fn lexer_errors_do_not_stop_the_file() {
        let p = parse("$TTL 5\na TXT \"open\nb A 1.2.3.4\nc A (1.2.3.4\n", "ex.");
        let msgs: Vec<String> = p.errors.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            msgs,
            vec![
                "t.zone:2: unbalanced quotes",
                "t.zone:4: unbalanced parentheses (missing ')')"
            ]
        );
        assert_eq!(lines(&p), vec!["b.ex. 5 A 1.2.3.4"]);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 12345u64;
        for _ in 0..200 {
            let mut v = Vec::new();
            for _ in 0..200 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let alphabet = b"\\\"();$ \n\tA1.@x";
                v.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            let _ = parse_str(&v, Path::new("g"), &Options::new(Name::root()));
        }
    }

    /// A file read in chunks gives exactly what the same text read whole gives: records cut by
    /// a chunk boundary (in parentheses, in quotes, mid-token) and line numbers included.
    #[test]
    fn chunked_reading_matches_whole_text() {
        let mut text = String::from("$TTL 60\n@ SOA ns h ( 1\n 2 3 4 5 )\n@ NS ns\n");
        let mut i = 0;
        while text.len() < 3 * READ_CHUNK + 1000 {
            match i % 5 {
                0 => text.push_str(&format!("h{i} A 10.0.{}.{}\n", (i / 250) % 250, i % 250)),
                1 => text.push_str(&format!("t{i} TXT ( \"a b\"\n  \"c;d\" ) ; comment\n")),
                2 => text.push_str(&format!("  AAAA 2001:db8::{:x}\n", i % 65536)),
                3 => text.push_str(&format!("bad{i} A 1.2.3\n")),
                _ => text.push_str(&format!("m{i} MX ( 10\n\n h{} )\n", i - 4)),
            }
            i += 1;
        }
        let dir = std::env::temp_dir().join(format!("cdns-chunk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.zone");
        std::fs::write(&path, &text).unwrap();
        let opts = Options::new(Name::from_ascii("ex.").unwrap());
        let whole = parse_str(text.as_bytes(), &path, &opts);
        assert!(whole.records.len() > 50_000);
        let lines = |p: &Parsed| p.errors.iter().map(|d| d.line).collect::<Vec<_>>();
        // The real chunk size, then small odd ones that cut every kind of record.
        for chunk in [READ_CHUNK, 4093, 509, 7] {
            let mut st = State::new(&opts);
            st.read_chunk = chunk;
            st.include(&path, None, opts.origin.clone(), None, 0);
            let chunked = st.finish();
            assert_eq!(chunked.records, whole.records, "chunk {chunk}");
            assert_eq!(lines(&chunked), lines(&whole), "chunk {chunk}");
            assert_eq!(chunked.suppressed, whole.suppressed, "chunk {chunk}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn include_scopes_origin() {
        let dir = std::env::temp_dir().join(format!("cdns-inc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("inc.db"), "$ORIGIN deep.ex.\nx A 1.1.1.1\n").unwrap();
        std::fs::write(
            dir.join("main.zone"),
            "$TTL 5\n$INCLUDE inc.db sub\ny A 2.2.2.2\n$INCLUDE inc.db\n",
        )
        .unwrap();
        let p = parse_file(
            &dir.join("main.zone"),
            &Options::new(Name::from_ascii("ex.").unwrap()),
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            lines(&p),
            vec![
                "x.deep.ex. 5 A 1.1.1.1",
                "y.ex. 5 A 2.2.2.2",
                "x.deep.ex. 5 A 1.1.1.1"
            ]
        );
        std::fs::write(dir.join("loop.zone"), "$INCLUDE loop.zone\n").unwrap();
        let p = parse_file(
            &dir.join("loop.zone"),
            &Options::new(Name::from_ascii("ex.").unwrap()),
        );
        assert!(p.errors[0].message.contains("loop"), "{:?}", p.errors);
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// Table-driven checks of each directive and each error case: the exact records read, or the
/// exact `path:line: message` lines reported.
mod table_tests {
    use crate::dns::name::Name;
    use crate::dns::rdata;
    use crate::zonefile::*;

    fn read(text: &str) -> Parsed {
        let o = Name::from_ascii("ex.").unwrap();
        parse_str(text.as_bytes(), Path::new("z.db"), &Options::new(o))
    }

    fn show(p: &Parsed) -> Vec<String> {
        p.records
            .iter()
            .map(|r| {
                let mut s = format!("{} {} ", r.owner, r.ttl);
                rdata::class_to_text(r.class, &mut s);
                s.push(' ');
                rdata::type_to_text(r.rtype, &mut s);
                s.push(' ');
                rdata::write_rdata(r.rtype, &r.rdata, &mut s);
                s
            })
            .collect()
    }

    /// The file reads without errors into exactly these records.
    #[track_caller]
    fn ok(text: &str, want: &[&str]) {
        let p = read(text);
        let errs: Vec<String> = p.errors.iter().map(|d| d.to_string()).collect();
        assert!(errs.is_empty(), "unexpected errors for {text:?}: {errs:?}");
        assert_eq!(show(&p), want, "records of {text:?}");
    }

    /// The file reports exactly these errors (each a `path:line: message`), in order.
    #[track_caller]
    fn errs(text: &str, want: &[&str]) {
        let p = read(text);
        let got: Vec<String> = p.errors.iter().map(|d| d.to_string()).collect();
        assert_eq!(got, want, "errors of {text:?}");
    }

    #[test]
    fn origin_directive() {
        ok(
            "$TTL 1\n$ORIGIN sub\na A 1.2.3.4\n",
            &["a.sub.ex. 1 IN A 1.2.3.4"],
        );
        ok(
            "$TTL 1\n$ORIGIN other.\n@ A 1.2.3.4\n",
            &["other. 1 IN A 1.2.3.4"],
        );
        ok(
            "$TTL 1\n$origin Sub.\na A 1.2.3.4\n",
            &["a.Sub. 1 IN A 1.2.3.4"],
        );
        errs("$ORIGIN\n", &["z.db:1: $ORIGIN without a name"]);
        errs(
            "$ORIGIN a..b.\n",
            &["z.db:1: bad $ORIGIN 'a..b.': empty label"],
        );
        errs("$ORIGIN a. b\n", &["z.db:1: extra input text 'b'"]);
    }

    #[test]
    fn ttl_directive() {
        ok("$TTL 1h30m\na A 1.2.3.4\n", &["a.ex. 5400 IN A 1.2.3.4"]);
        ok("$TTL 1W\na A 1.2.3.4\n", &["a.ex. 604800 IN A 1.2.3.4"]);
        errs("$TTL x\na 1 A 1.2.3.4\n", &["z.db:1: bad $TTL 'x'"]);
        errs("$TTL\n", &["z.db:1: $TTL without a value"]);
        errs("$TTL 1 2\n", &["z.db:1: extra input text '2'"]);
        let p = read("$TTL 4294967295\na A 1.2.3.4\n");
        assert_eq!(show(&p), ["a.ex. 0 IN A 1.2.3.4"]);
        assert_eq!(
            p.warnings[0].to_string(),
            "z.db:1: $TTL 4294967295 > MAXTTL, setting $TTL to 0"
        );
    }

    #[test]
    fn ttl_inheritance() {
        // RFC 1035: the last explicit TTL carries over when there is no $TTL.
        ok(
            "a 10 A 1.1.1.1\nb A 1.1.1.2\nc 20 A 1.1.1.3\nd A 1.1.1.4\n",
            &[
                "a.ex. 10 IN A 1.1.1.1",
                "b.ex. 10 IN A 1.1.1.2",
                "c.ex. 20 IN A 1.1.1.3",
                "d.ex. 20 IN A 1.1.1.4",
            ],
        );
        // $TTL wins over the last TTL.
        ok(
            "$TTL 5\na 10 A 1.1.1.1\nb A 1.1.1.2\n",
            &["a.ex. 10 IN A 1.1.1.1", "b.ex. 5 IN A 1.1.1.2"],
        );
        // No TTL at all: the SOA MINIMUM serves as $TTL (explicit TTLs do not change it).
        ok(
            "@ SOA ns h 1 2 3 4 7\na 2 A 1.1.1.1\nb A 1.1.1.2\n",
            &[
                "ex. 7 IN SOA ns.ex. h.ex. 1 2 3 4 7",
                "a.ex. 2 IN A 1.1.1.1",
                "b.ex. 7 IN A 1.1.1.2",
            ],
        );
        errs(
            "a A 1.1.1.1\n",
            &["z.db:1: no TTL specified; zone rejected"],
        );
        errs("$TTL 1\na 1x A 1.1.1.1\n", &["z.db:2: bad TTL '1x'"]);
    }

    #[test]
    fn class_and_ttl_in_either_order() {
        ok(
            "a 1 IN A 1.1.1.1\nb IN 2 A 1.1.1.2\nc CLASS1 3 A 1.1.1.3\nd in 4 a 1.1.1.4\n",
            &[
                "a.ex. 1 IN A 1.1.1.1",
                "b.ex. 2 IN A 1.1.1.2",
                "c.ex. 3 IN A 1.1.1.3",
                "d.ex. 4 IN A 1.1.1.4",
            ],
        );
        errs(
            "$TTL 1\na CH A 1.1.1.1\n",
            &["z.db:2: class 'CH' does not match the zone's class"],
        );
        errs(
            "$TTL 1\na IN IN A 1.1.1.1\n",
            &["z.db:2: unknown RR type 'IN'"],
        );
    }

    #[test]
    fn owners_and_escapes() {
        ok(
            "$TTL 1\na\\.b A 1.1.1.1\n\\065x A 1.1.1.2\n  A 1.1.1.3\n@ TXT \"q\\\"\\092\\010\"\n",
            &[
                "a\\.b.ex. 1 IN A 1.1.1.1",
                "Ax.ex. 1 IN A 1.1.1.2",
                "Ax.ex. 1 IN A 1.1.1.3",
                "ex. 1 IN TXT \"q\\\"\\\\\\010\"",
            ],
        );
        let long = "a".repeat(64);
        errs(
            &format!("$TTL 1\n{long} A 1.1.1.1\n"),
            &[&format!("z.db:2: bad owner name '{long}': label too long")],
        );
        let many = "abcdefghi.".repeat(26);
        errs(
            &format!("$TTL 1\n{many} A 1.1.1.1\n"),
            // Errors quote at most 100 bytes of a token.
            &[&format!(
                "z.db:2: bad owner name '{}...': name too long",
                &many[..100]
            )],
        );
        errs("$TTL 1\n  A 1.1.1.1\n", &["z.db:2: no current owner name"]);
        errs(
            "$TTL 1\na\\256 A 1.1.1.1\n",
            &["z.db:2: bad owner name 'a\\256': bad escape"],
        );
    }

    #[test]
    fn rfc3597_generic_data() {
        ok(
            "$TTL 1\na TYPE65280 \\# 2 ABcd\nb A \\# 4 01020304\nc TYPE1 \\# 4 0A000001\nd NULL \\# 0\n",
            &[
                "a.ex. 1 IN TYPE65280 \\# 2 ABCD",
                "b.ex. 1 IN A 1.2.3.4",
                "c.ex. 1 IN A 10.0.0.1",
                "d.ex. 1 IN NULL \\# 0",
            ],
        );
        errs(
            "$TTL 1\na A \\# 3 010203\n",
            &["z.db:2: A: \\# data is not valid A RDATA"],
        );
        errs(
            "$TTL 1\na TYPE999 \\# 2 01\n",
            &["z.db:2: TYPE999: \\# length 2 does not match 1 bytes of data"],
        );
        errs(
            "$TTL 1\na TYPE999 \\# 1 0g\n",
            &["z.db:2: TYPE999: bad hex '0g'"],
        );
        errs("$TTL 1\na TYPE999 1\n", &["z.db:2: TYPE999: type TYPE999 has no known text form; use \\# syntax (RFC 3597), not '1'"]);
    }

    #[test]
    fn rdata_errors_name_the_token() {
        errs(
            "$TTL 1\na A 1.2.3\nb AAAA 1::2::3\nc MX x y\nd A 1.2.3.4 5\ne MX 10\n",
            &[
                "z.db:2: A: bad IPv4 address '1.2.3'",
                "z.db:3: AAAA: bad IPv6 address '1::2::3'",
                "z.db:4: MX: bad number 'x'",
                "z.db:5: A: extra input text '5'",
                "z.db:6: MX: unexpected end of input (expected a name)",
            ],
        );
        errs("$TTL 1\na AX 1.2.3.4\n", &["z.db:2: unknown RR type 'AX'"]);
        errs(
            "$TTL 1\na A\n",
            &["z.db:2: A: unexpected end of input (expected an IPv4 address)"],
        );
        errs(
            "$TTL 1\na IN AXFR 1\nb TYPE200 \\# 0\n",
            &[
                "z.db:2: type 'AXFR': invalid use of a meta type",
                "z.db:3: type 'TYPE200': invalid use of a meta type",
            ],
        );
        errs(
            "$TTL 1\n* NS ns\n",
            &["z.db:2: *.ex.: invalid NS owner name (wildcard)"],
        );
    }

    #[test]
    fn lexer_errors() {
        errs(
            "$TTL 1\na TXT \"x\nb A 1.1.1.1\n",
            &["z.db:2: unbalanced quotes"],
        );
        errs(
            "$TTL 1\na A ( 1.1.1.1\n",
            &["z.db:2: unbalanced parentheses (missing ')')"],
        );
        errs(
            "$TTL 1\na A 1.1.1.1 )\n",
            &["z.db:2: unbalanced parentheses (extra ')')"],
        );
        errs("$FOO 1\n", &["z.db:1: unknown directive '$FOO'"]);
    }

    #[test]
    fn every_error_is_reported_up_to_the_cap() {
        let text: String = (0..150)
            .map(|i| format!("h{i} 1 A 1.2.3.{}\n", 300 + i))
            .collect();
        let p = read(&text);
        assert_eq!(p.errors.len(), MAX_ERRORS);
        assert_eq!(p.suppressed, 150 - MAX_ERRORS);
        assert_eq!(
            p.errors[7].to_string(),
            "z.db:8: A: bad IPv4 address '1.2.3.307'"
        );
    }

    #[test]
    fn generate_directive() {
        ok(
            "$TTL 1\n$GENERATE 1-3/2 h$ A 10.0.0.$\n",
            &["h1.ex. 1 IN A 10.0.0.1", "h3.ex. 1 IN A 10.0.0.3"],
        );
        ok(
            "$TTL 1\n$GENERATE 9-10 ${1,3,d}-${0,2,x}-${0,3,X}-${0,0,o} TXT x\n",
            &[
                "010-09-009-11.ex. 1 IN TXT \"x\"",
                "011-0a-00A-12.ex. 1 IN TXT \"x\"",
            ],
        );
        ok(
            "$TTL 1\n$GENERATE 18-18 ${0,0,n} PTR h\n",
            &["2.1.ex. 1 IN PTR h.ex."],
        );
        ok(
            "$TTL 1\n$GENERATE 26-26 ${0,0,N} PTR h\n",
            &["A.1.ex. 1 IN PTR h.ex."],
        );
        // `\$` is a literal dollar sign.
        ok(
            "$TTL 1\n$GENERATE 1-1 a\\$$ A 1.1.1.$\n",
            &["a\\$1.ex. 1 IN A 1.1.1.1"],
        );
        // TTL and class after the owner template, in either order.
        ok(
            "$GENERATE 1-1 a$ 7 IN A 1.1.1.1\n$GENERATE 2-2 a$ IN 8 A 1.1.1.2\n",
            &["a1.ex. 7 IN A 1.1.1.1", "a2.ex. 8 IN A 1.1.1.2"],
        );
        errs(
            "$TTL 1\n$GENERATE 3-1 a$ A 1.1.1.1\n",
            &["z.db:2: $GENERATE: bad range '3-1'"],
        );
        errs(
            "$TTL 1\n$GENERATE 1-1 a$\n",
            &["z.db:2: $GENERATE: too few arguments"],
        );
        errs(
            "$TTL 1\n$GENERATE 1-1 a$ TXT x${2147483647}\n",
            &["z.db:2: $GENERATE: ${2147483647}: out of range"],
        );
        errs(
            "$TTL 1\n$GENERATE 1-2 a$ A 1.1.1.${0,1,q}\n",
            &["z.db:2: $GENERATE: bad base in ${0,1,q}"],
        );
    }

    #[test]
    fn include_directive() {
        let dir = std::env::temp_dir().join(format!("cdns-tbl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let o = Name::from_ascii("ex.").unwrap();
        let run = |main: &str| {
            std::fs::write(dir.join("main.db"), main).unwrap();
            let p = parse_file(&dir.join("main.db"), &Options::new(o.clone()));
            let errs: Vec<String> = p
                .errors
                .iter()
                .map(|d| d.to_string().replace(&format!("{}/", dir.display()), ""))
                .collect();
            (show(&p), errs)
        };
        std::fs::write(
            dir.join("inc.db"),
            "  A 1.1.1.1\n$ORIGIN deep.ex.\nx A 2.2.2.2\n",
        )
        .unwrap();
        // The included file inherits the owner, and its $ORIGIN does not leak back.
        let (recs, errs) = run("$TTL 1\nown A 9.9.9.9\n$INCLUDE inc.db sub\ny A 3.3.3.3\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            recs,
            [
                "own.ex. 1 IN A 9.9.9.9",
                "own.ex. 1 IN A 1.1.1.1",
                "x.deep.ex. 1 IN A 2.2.2.2",
                "y.ex. 1 IN A 3.3.3.3"
            ]
        );
        let (_, errs) = run("$TTL 1\n$INCLUDE missing.db\n$INCLUDE\n$INCLUDE inc.db a. b\n");
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs[0].starts_with("main.db:2: failed to read included file missing.db:"),
            "{errs:?}"
        );
        assert_eq!(errs[1], "main.db:3: $INCLUDE without a file name");
        assert_eq!(errs[2], "main.db:4: extra input text 'b'");
        let (_, errs) = run("$INCLUDE main.db\n");
        assert_eq!(errs, ["main.db:1: $INCLUDE loop: main.db includes itself"]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn hostile_input_never_panics() {
        let o = Options::new(Name::root());
        // One very long line, unterminated quotes and parentheses, binary bytes.
        let mut long = b"a 1 TXT ".to_vec();
        long.extend(std::iter::repeat_n(b'x', 10 << 20));
        let p = parse_str(&long, Path::new("g"), &o);
        assert_eq!(
            p.errors[0].to_string(),
            format!(
                "g:1: token '{}...' is 10485760 bytes, over the limit of 131072",
                "x".repeat(100)
            )
        );
        for text in [
            &b"a 1 TXT \"abc"[..],
            b"a 1 A (1.1.1.1",
            b"\xff\xfe\x00\x01(\"\\",
            b"$GENERATE 0-4294967295 a$ A 1.1.1.1",
        ] {
            let _ = parse_str(text, Path::new("g"), &o);
        }
        let mut seed = 7u64;
        for _ in 0..300 {
            let v: Vec<u8> = (0..300)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) as u8
                })
                .collect();
            let _ = parse_str(&v, Path::new("g"), &o);
        }
    }
}
