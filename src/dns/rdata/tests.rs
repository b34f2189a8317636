//! Unit tests of RDATA reading and printing, type by type.

mod unit {
    use crate::dns::rdata::codec::{decode_base64_into, encode_base64};
    use crate::dns::rdata::*;

    fn toks(s: &str) -> Vec<Tok<'_>> {
        s.split_whitespace()
            .map(|t| Tok {
                text: t.as_bytes(),
                quoted: false,
            })
            .collect()
    }

    #[track_caller]
    fn rt(ty: &str, text: &str, want: &str) {
        let code = type_from_text(ty.as_bytes()).unwrap();
        let origin = Name::from_ascii("example.").unwrap();
        let mut wire = Vec::new();
        parse_rdata(code, &toks(text), &origin, &mut wire).unwrap();
        let mut s = String::new();
        write_rdata(code, &wire, &mut s);
        assert_eq!(s, want);
    }

    #[test]
    fn core_types_round_trip() {
        rt("A", "192.168.1.5", "192.168.1.5");
        rt("AAAA", "2001:db8::1", "2001:db8::1");
        rt("NS", "lhmaster", "lhmaster.example.");
        rt("MX", "10 mail", "10 mail.example.");
        rt(
            "SOA",
            "ns root 1 1H 30M 1W 1D",
            "ns.example. root.example. 1 3600 1800 604800 86400",
        );
        rt("SRV", "0 10 2181 node1", "0 10 2181 node1.example.");
        rt("TYPE999", "\\# 3 abcdef", "\\# 3 ABCDEF");
        rt("HINFO", "PC Linux", "\"PC\" \"Linux\"");
    }

    #[test]
    fn ttl_units() {
        assert_eq!(
            parse_ttl(b"1W2D3H4M5S"),
            Some(604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5)
        );
        assert_eq!(parse_ttl(b"1d"), Some(86400));
        assert_eq!(parse_ttl(b"1d2"), None);
        assert_eq!(parse_ttl(b"x"), None);
        assert_eq!(parse_ttl(b"4294967296"), None);
    }

    #[test]
    fn bad_rdata() {
        let origin = Name::root();
        let mut w = Vec::new();
        assert!(parse_rdata(A, &toks("1.2.3"), &origin, &mut w)
            .unwrap_err()
            .to_string()
            .contains("'1.2.3'"));
        assert!(parse_rdata(A, &toks("1.2.3.256"), &origin, &mut w).is_err());
        assert!(parse_rdata(MX, &toks("10"), &origin, &mut w)
            .unwrap_err()
            .to_string()
            .contains("end of input"));
        assert!(parse_rdata(A, &toks("1.2.3.4 5"), &origin, &mut w)
            .unwrap_err()
            .to_string()
            .contains("extra"));
        assert!(parse_rdata(A, &toks("\\# 4 0102"), &origin, &mut w).is_err());
    }

    #[test]
    fn base64() {
        let mut v = Vec::new();
        decode_base64_into(b"aGVsbG8=", &mut v).unwrap();
        assert_eq!(v, b"hello");
        let mut s = String::new();
        encode_base64(&v, &mut s);
        assert_eq!(s, "aGVsbG8=");
    }
}

/// Every type's text form read and printed back in BIND's canonical form, and the errors
/// that name the offending token.
mod type_table_tests {
    use crate::dns::rdata::*;

    /// Splits like the master-file lexer: blanks separate tokens, `"..."` is one quoted token.
    fn lex(s: &str) -> Vec<Tok<'_>> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b' ' {
                i += 1;
            } else if b[i] == b'"' {
                let start = i + 1;
                i = start;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                out.push(Tok {
                    text: &b[start..i.min(b.len())],
                    quoted: true,
                });
                i += 1;
            } else {
                let start = i;
                while i < b.len() && b[i] != b' ' && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                out.push(Tok {
                    text: &b[start..i.min(b.len())],
                    quoted: false,
                });
            }
        }
        out
    }

    fn read(ty: &str, text: &str) -> Result<String, String> {
        let code = type_from_text(ty.as_bytes()).ok_or("no such type")?;
        let origin = Name::from_ascii("example.").unwrap();
        let mut wire = Vec::new();
        parse_rdata(code, &lex(text), &origin, &mut wire).map_err(|e| e.to_string())?;
        let mut s = String::new();
        write_rdata(code, &wire, &mut s);
        Ok(s)
    }

    #[track_caller]
    fn rt(ty: &str, text: &str, want: &str) {
        match read(ty, text) {
            Ok(got) => assert_eq!(got, want, "{ty} {text}"),
            Err(e) => panic!("{ty} {text}: {e}"),
        }
    }

    #[track_caller]
    fn bad(ty: &str, text: &str, want: &str) {
        match read(ty, text) {
            Ok(got) => panic!("{ty} {text}: accepted as {got}"),
            Err(e) => assert_eq!(e, want, "{ty} {text}"),
        }
    }

    #[test]
    fn names_strings_and_numbers() {
        rt("NS", "ns", "ns.example.");
        rt(
            "SOA",
            "ns h 1 1h 1m 1w 1d",
            "ns.example. h.example. 1 3600 60 604800 86400",
        );
        rt(
            "TXT",
            "\"a b\" c \"\\\"\\\\\\255\"",
            "\"a b\" \"c\" \"\\\"\\\\\\255\"",
        );
        rt("HINFO", "\"PC\" Linux", "\"PC\" \"Linux\"");
        rt(
            "NAPTR",
            "10 20 \"s\" \"SIP+D2U\" \"\" _sip._udp",
            "10 20 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.",
        );
        rt("ISDN", "\"isdn\"", "\"isdn\"");
        rt("ISDN", "isdn sub", "\"isdn\" \"sub\"");
        rt("X25", "311061700956", "\"311061700956\"");
        rt(
            "GPOS",
            "-22.6882 116.8652 250.0",
            "\"-22.6882\" \"116.8652\" \"250.0\"",
        );
        rt("RP", "mbox txt", "mbox.example. txt.example.");
        rt("PX", "10 a b.", "10 a.example. b.");
        rt("URI", "10 1 \"ftp://a/b\"", "10 1 \"ftp://a/b\"");
        rt(
            "CAA",
            "0 issue \"ca.example; x\"",
            "0 issue \"ca.example; x\"",
        );
        rt("CAA", "128 tbs \"\"", "128 tbs \"\"");
        rt("L32", "10 1.2.3.4", "10 1.2.3.4");
        rt("L64", "10 2001:db8:0:1", "10 2001:db8:0:1");
        rt("NID", "10 0014:4fff:ff20:ee64", "10 14:4fff:ff20:ee64");
        rt("EUI48", "00-00-5e-00-53-2A", "00-00-5e-00-53-2a");
        rt(
            "EUI64",
            "00-00-5e-ef-10-00-00-2a",
            "00-00-5e-ef-10-00-00-2a",
        );
        rt("NSAP", "0x47.0005.80.005a00", "0x47000580005a00");
        rt("ATMA", "+61.2.0000.0000", "+61200000000");
        rt("ATMA", "0.0", "00");
        rt("DSYNC", "CDS NOTIFY 5359 ns", "CDS NOTIFY 5359 ns.example.");
        rt("TYPE999", "\\# 3 abcdef", "\\# 3 ABCDEF");
        bad("A", "1.2.3", "bad IPv4 address '1.2.3'");
        bad("A", "01.2.3.4", "bad IPv4 address '01.2.3.4'");
        bad("MX", "65536 a", "number '65536' out of range");
        bad(
            "URI",
            "0 0 a",
            "syntax error near 'a' (expected a quoted string)",
        );
        bad(
            "CAA",
            "0 \"a\" b",
            "unexpected token '\"a\"' (the tag is not quoted)",
        );
        bad("X25", "123", "bad X25 address '123' (at least 4 digits)");
        bad("ATMA", "0..0", "syntax error near '0..0'");
        bad(
            "TXT",
            "",
            "unexpected end of input (expected a character-string)",
        );
    }

    #[test]
    fn dnssec_types() {
        rt(
            "DS",
            "30795 RSASHA1 SHA-1 310D27F4D82C1FC2400704EA9939FE6E1CEAA3B9",
            "30795 5 1 310D27F4D82C1FC2400704EA9939FE6E1CEAA3B9",
        );
        rt(
            "DS",
            "1 8 2 36FB69A752615831B47EA6EF9EA4619D0FB08ABDA69EA3ED200F4C02FF4921D4",
            "1 8 2 36FB69A752615831B47EA6EF9EA4619D0FB08ABDA69EA3ED200F4C02 FF4921D4",
        );
        rt("DNSKEY", "257 3 13 AAAA BBBB", "257 3 13 AAAABBBB");
        rt("KEY", "NOKEY|ZONE 3 1", "49408 3 1");
        rt(
            "RRSIG",
            "A 13 2 300 20300101000000 1700000000 1 example. AAAA",
            "A 13 2 300 20300101000000 20231114221320 1 example. AAAA",
        );
        rt(
            "NSEC",
            "next A TYPE1000 RRSIG NSEC",
            "next.example. A RRSIG NSEC TYPE1000",
        );
        rt(
            "NSEC3",
            "1 1 10 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG",
            "1 1 10 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG",
        );
        rt("NSEC3", "2 0 0 AABB 2t7b4g4v", "2 0 0 AABB 2T7B4G4V");
        bad(
            "NSEC3",
            "1 0 0 AABB 2t7b4g4v",
            "'2t7b4g4v' out of range (bad hash length)",
        );
        bad(
            "RRSIG",
            "A 8 0 300 20300101000000 20200101000000 1 example. AAAA",
            "'example.' out of range (more labels than the labels field)",
        );
        rt("NSEC3PARAM", "1 0 10 -", "1 0 10 -");
        rt("CERT", "PKIX 1 RSASHA1 AAAA", "PKIX 1 RSASHA1 AAAA");
        rt(
            "CERT",
            "65534 65535 254 AAAA",
            "65534 65535 PRIVATEOID AAAA",
        );
        rt(
            "SSHFP",
            "1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac",
            "1 1 DD465C09CFA51FB45020CC83316FFF21B9EC74AC",
        );
        rt("SSHFP", "0 0", "0 0");
        rt("TLSA", "3 1 1 0011", "3 1 1 0011");
        rt("CSYNC", "66 3 A NS AAAA", "66 3 A NS AAAA");
        rt("NXT", "a NS SOA 127", "a.example. NS SOA 127");
        rt(
            "IPSECKEY",
            "10 1 2 192.0.2.38 AQNR",
            "10 1 2 192.0.2.38 AQNR",
        );
        rt("IPSECKEY", "10 3 2 gw AQNR", "10 3 2 gw.example. AQNR");
        rt("AMTRELAY", "10 1 3 relay", "10 1 3 relay.example.");
        rt("AMTRELAY", "0 0 0 .", "0 0 0 .");
        rt(
            "HIP",
            "2 200100107B1A74DF365639CC39F1D578 AwEAAQ== rvs",
            "2 200100107B1A74DF365639CC39F1D578 AwEAAQ== rvs.example.",
        );
        rt("DOA", "0 1 2 \"\" -", "0 1 2 \"\" -");
        rt("ZONEMD", "1 1 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF", "1 1 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABB CCDDEEFF00112233445566778899AABBCCDDEEFF0011223344556677 8899AABBCCDDEEFF");
        bad(
            "DS",
            "1 8 1 00",
            "unexpected end of input (digest is 1 bytes, expected 20)",
        );
        bad("NSEC3", "1 0 0 - 00======", "bad base32hex '00======'");
        bad("NSEC", "next", "FORMERR: empty type bitmap");
        bad(
            "RRSIG",
            "A 13 2 300 20301301000000 1 1 example. AAAA",
            "bad time '20301301000000'",
        );
        bad(
            "RKEY",
            "1 0 0 aaaa",
            "FORMERR near '1' (RKEY flags must be 0)",
        );
        bad(
            "DOA",
            "0 0 1 \"t\" \"Zm9v\"",
            "unexpected token '\"Zm9v\"' (DOA data is not quoted)",
        );
    }

    #[test]
    fn irregular_types() {
        rt(
            "LOC",
            "42 21 54 N 71 06 18 W -24m 30m",
            "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m",
        );
        rt(
            "LOC",
            "0 S 0 W 0",
            "0 0 0.000 N 0 0 0.000 E 0.00m 1m 10000m 10m",
        );
        rt(
            "LOC",
            "1 2 3.5 S 4 5 6.25 E 7.5 0.5 1 9000000",
            "1 2 3.500 S 4 5 6.250 E 7.50m 0.50m 1m 9000000m",
        );
        rt(
            "APL",
            "1:192.168.32.0/21 !1:192.168.38.0/28 2:2001:db8::/32",
            "1:192.168.32.0/21 !1:192.168.38.0/28 2:2001:db8::/32",
        );
        rt("APL", "", "");
        rt("WKS", "10.0.0.1 tcp smtp 0 80 1", "10.0.0.1 6 0 1 25 80");
        rt(
            "A6",
            "64 ::ffff:ffff:ffff:ffff foo",
            "64 ::ffff:ffff:ffff:ffff foo.example.",
        );
        rt("A6", "0 2001:db8::1", "0 2001:db8::1");
        rt("AAAA", "::ffff:1.2.3.4", "::ffff:1.2.3.4");
        rt("AAAA", "::1.2.3.4", "::1.2.3.4");
        rt(
            "SVCB",
            "1 . alpn=h3,h2 port=8443 ipv4hint=1.2.3.4,5.6.7.8",
            "1 . alpn=\"h3,h2\" port=8443 ipv4hint=1.2.3.4,5.6.7.8",
        );
        rt(
            "SVCB",
            "1 svc mandatory=port,alpn alpn=\"h2\" port=1",
            "1 svc.example. mandatory=alpn,port alpn=\"h2\" port=1",
        );
        rt(
            "HTTPS",
            "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\"",
            "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\"",
        );
        rt(
            "HTTPS",
            "1 . dohpath=/q{?dns} key667=\"x y\" ech=AA==",
            "1 . ech=AA== key7=\"/q{?dns}\" key667=\"x y\"",
        );
        rt("SVCB", "0 target", "0 target.example.");
        bad("LOC", "91 N 0 E 0", "'91' out of range");
        bad("LOC", "0 North 0 E 0", "'North' is not a valid direction");
        bad("APL", "1:0.0.0.0/33", "'1:0.0.0.0/33' out of range");
        bad("WKS", "127.1 6", "bad dotted quad '127.1'");
        bad(
            "SVCB",
            "1 . alpn=h2 alpn=h3",
            "duplicate SvcParamKey 'alpn'",
        );
        bad("SVCB", "1 . mandatory=port", "a mandatory key is missing");
        bad(
            "SVCB",
            "1 . no-default-alpn",
            "no-default-alpn without alpn",
        );
        bad(
            "SVCB",
            "1 . dohpath=/nodns",
            "bad SvcParam 'dohpath=/nodns'",
        );
        bad("SVCB", "1 . key012=x", "bad SvcParamKey 'key012=x'");
    }
}
