//! Unit tests of the zone model, lookup, hashing, the builder and the checks.

mod unit {
    use crate::dns::name::Name;
    use crate::zone::hash::upper_mask;
    use crate::zone::*;
    use crate::zonefile::{parse_str, Options};
    use std::path::Path;

    pub fn zone(text: &str, origin: &str) -> Zone {
        let o = Name::from_ascii(origin).unwrap();
        let p = parse_str(
            text.as_bytes(),
            Path::new("t.zone"),
            &Options::new(o.clone()),
        );
        let mut w = Vec::new();
        build(&o, p, &mut w).unwrap()
    }

    fn n(s: &str) -> Vec<u8> {
        Name::from_ascii(s).unwrap().wire().to_vec()
    }

    const Z: &str = "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 1.1.1.1\na.b.c A 1.1.1.2\n*.w A 1.1.1.3\nsub NS ns.sub\nns.sub A 1.1.1.4\n";

    #[test]
    fn lookups() {
        let z = zone(Z, "ex.");
        assert!(matches!(z.lookup(&n("ns.ex.")), Lookup::Exact(_)));
        assert!(matches!(z.lookup(&n("NS.EX.")), Lookup::Exact(_)));
        // empty non-terminals exist
        assert!(matches!(z.lookup(&n("b.c.ex.")), Lookup::Exact(_)));
        assert!(matches!(
            z.lookup(&n("x.ex.")),
            Lookup::NoName {
                encloser: 0,
                wildcard: None
            }
        ));
        match z.lookup(&n("x.y.w.ex.")) {
            Lookup::NoName {
                wildcard: Some(w), ..
            } => assert_eq!(z.node(w).name.to_string(), "*.w.ex."),
            other => panic!("{other:?}"),
        }
        for q in ["sub.ex.", "ns.sub.ex.", "deep.x.sub.ex."] {
            match z.lookup(&n(q)) {
                Lookup::Delegation(c) => assert_eq!(z.node(c).name.to_string(), "sub.ex."),
                other => panic!("{q}: {other:?}"),
            }
        }
        assert_eq!(z.serial, 1);
        assert_eq!(z.records, 7);
        assert_eq!(z.negative_ttl(), 5);
    }

    /// The DNAME met first on the way down applies strictly below its owner; a delegation met
    /// first wins; data below a DNAME is occluded.
    #[test]
    fn dname_lookups() {
        let z = zone(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 1.1.1.1\nd DNAME t.\nx.d A 1.1.1.2\n\
             e.d DNAME u.\nsub NS ns.x.\nk.sub DNAME t.\n",
            "ex.",
        );
        assert!(z.has_dname);
        #[track_caller]
        fn dname_at(z: &Zone, q: &str, owner: &str) {
            match z.lookup(&n(q)) {
                Lookup::Dname(d) => assert_eq!(z.node(d).name.to_string(), owner, "{q}"),
                other => panic!("{q}: {other:?}"),
            }
        }
        assert!(matches!(z.lookup(&n("d.ex.")), Lookup::Exact(_)));
        dname_at(&z, "a.d.ex.", "d.ex.");
        dname_at(&z, "x.d.ex.", "d.ex.");
        dname_at(&z, "e.d.ex.", "d.ex.");
        dname_at(&z, "q.e.d.ex.", "d.ex.");
        assert!(matches!(z.lookup(&n("q.k.sub.ex.")), Lookup::Delegation(_)));
        assert!(matches!(z.lookup(&n("ns.ex.")), Lookup::Exact(_)));
        let plain = zone(Z, "ex.");
        assert!(!plain.has_dname);
    }

    #[test]
    fn checks() {
        let o = Name::from_ascii("ex.").unwrap();
        let p = parse_str(
            b"$TTL 60\n@ NS ns\nx CNAME y\nx A 1.2.3.4\nout. A 1.2.3.4\n",
            Path::new("t.zone"),
            &Options::new(o.clone()),
        );
        let mut w = Vec::new();
        let e = build(&o, p, &mut w).unwrap_err();
        let msgs: Vec<String> = e.errors.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            msgs,
            vec![
                "t.zone:3: x.ex.: CNAME and other data",
                "t.zone: zone ex.: has no SOA record"
            ]
        );
        assert!(w
            .iter()
            .any(|d| d.to_string() == "t.zone:5: ignoring out-of-zone data (out.)"));
    }

    #[test]
    fn duplicates_removed() {
        let z = zone(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\n@ NS NS\nns A 1.1.1.1\nns A 1.1.1.1\n",
            "ex.",
        );
        assert_eq!(z.records, 3);
    }

    /// Sorted runs of apex children are indexed late; names that come back later (in another
    /// case, out of order, after a deeper name) must still land in their first node.
    #[test]
    fn sorted_runs_and_late_repeats() {
        let mut text = String::from("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 1.1.1.1\n");
        for i in 0..5000 {
            text.push_str(&format!("h{i:05} A 10.0.{}.{}\n", i / 250, i % 250));
        }
        text.push_str("H00007 TXT \"again, upper case\"\n"); // back inside the run
        text.push_str("a.deep TXT \"deeper name flushes the run\"\n");
        text.push_str("h04999 AAAA ::1\nh00000 MX 10 ns\nzzz A 9.9.9.9\nH00001 A 10.0.0.1\n");
        let z = zone(&text, "ex.");
        let node = |n: &str| {
            z.node(
                z.find(&Name::from_ascii(n).unwrap().wire().to_ascii_lowercase())
                    .unwrap(),
            )
        };
        assert_eq!(node("h00007.ex.").rrsets.len(), 2);
        assert_eq!(node("h04999.ex.").rrsets.len(), 2);
        assert_eq!(node("h00000.ex.").rrsets.len(), 2);
        assert_eq!(
            node("h00001.ex.").rrset(1).map(|r| r.count),
            Some(1),
            "duplicate A merged"
        );
        assert!(
            z.find(b"\x04deep\x02ex\x00").is_some(),
            "empty non-terminal"
        );
        // apex, ns, 5000 hosts, deep, a.deep, zzz
        assert_eq!(z.nodes.len(), 1 + 1 + 5000 + 2 + 1);
        for (i, n) in z.nodes.iter().enumerate() {
            assert_eq!(z.find(n.name.wire()), Some(i as NodeId), "{}", n.name);
        }
    }

    #[test]
    fn case_fold_mask() {
        for s in ["ABCDEFGH", "Z@[`az{~", "\u{7f}aAzZ019"] {
            let b = s.as_bytes();
            let mut v = [0u8; 8];
            v[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
            let got = (u64::from_le_bytes(v) | upper_mask(u64::from_le_bytes(v))).to_le_bytes();
            assert_eq!(got, v.map(|c| c.to_ascii_lowercase()), "{s}");
        }
        assert_eq!(
            hash_name(b"\x08LHMASTER\x05LIHUI\x00"),
            hash_name(b"\x08lhmaster\x05lihui\x00")
        );
    }
}

/// `build()`'s checks, each asserting the exact `path:line: message` reported.
mod build_checks {
    use crate::dns::name::Name;
    use crate::zone::*;
    use crate::zonefile::{parse_str, Options};
    use std::path::Path;

    const HEAD: &str = "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";

    fn try_build(text: &str) -> (Result<Zone, Vec<String>>, Vec<String>) {
        let o = Name::from_ascii("ex.").unwrap();
        let p = parse_str(text.as_bytes(), Path::new("z.db"), &Options::new(o.clone()));
        let mut w = Vec::new();
        let r = build(&o, p, &mut w).map_err(|e| e.errors.iter().map(|d| d.to_string()).collect());
        (r, w.iter().map(|d| d.to_string()).collect())
    }

    #[track_caller]
    fn rejects(text: &str, want: &[&str]) {
        match try_build(text).0 {
            Ok(_) => panic!("accepted: {text:?}"),
            Err(e) => assert_eq!(e, want, "{text:?}"),
        }
    }

    #[track_caller]
    fn accepts(text: &str) -> Zone {
        match try_build(text).0 {
            Ok(z) => z,
            Err(e) => panic!("rejected {text:?}: {e:?}"),
        }
    }

    fn ttl_of(z: &Zone, name: &str, rtype: u16) -> (u32, u16) {
        let w = Name::from_ascii(name).unwrap();
        let s = z.rrset_at(w.wire(), rtype).unwrap();
        (s.ttl, s.count)
    }

    #[test]
    fn soa_and_apex_ns() {
        rejects(
            "$TTL 60\n@ NS ns.other.\n",
            &["z.db: zone ex.: has no SOA record"],
        );
        rejects(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n",
            &["z.db: zone ex.: has no NS records"],
        );
        rejects(
            &format!("{HEAD}@ SOA ns h 2 2 3 4 5\n"),
            &["z.db:2: ex.: multiple RRs of singleton type (SOA)"],
        );
        rejects(
            &format!("{HEAD}sub SOA ns h 1 2 3 4 5\n"),
            &["z.db:5: sub.ex.: SOA record not at top of zone"],
        );
        rejects(
            &format!("{HEAD}@ DS 1 8 2 {}\n", "00".repeat(32)),
            &["z.db:2: DS record at top of zone (ex.)"],
        );
    }

    #[test]
    fn apex_ns_targets() {
        rejects(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\n@ NS ns2\nns2 TXT x\n",
            &[
                "z.db:3: NS 'ns.ex' has no address records (A or AAAA)",
                "z.db:4: NS 'ns2.ex' has no address records (A or AAAA)",
            ],
        );
        rejects(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns CNAME x.\n",
            &["z.db:3: NS 'ns.ex' is a CNAME (illegal)"],
        );
        rejects(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns.d\nd DNAME x.\nns.d A 1.2.3.4\n",
            &["z.db:3: NS 'ns.d.ex' is below a DNAME 'd.ex' (illegal)"],
        );
        // Out-of-zone targets, glue below a delegation, AAAA-only and wildcard-matched
        // targets are all fine.
        accepts("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns.other.\n");
        accepts("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns.sub\nsub NS ns.sub\n");
        accepts("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns AAAA ::1\n");
        accepts("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns.w\n*.w A 1.2.3.4\n");
    }

    #[test]
    fn cname_and_singletons() {
        rejects(
            &format!("{HEAD}x CNAME y\nx A 1.2.3.4\n"),
            &["z.db:5: x.ex.: CNAME and other data"],
        );
        rejects(
            &format!("{HEAD}x CNAME y\nx CNAME z\n"),
            &["z.db:5: x.ex.: multiple RRs of singleton type (CNAME)"],
        );
        rejects(
            &format!("{HEAD}x DNAME y\nx DNAME z\n"),
            &["z.db:5: x.ex.: multiple RRs of singleton type (DNAME)"],
        );
        // CNAME may sit with its DNSSEC records.
        accepts(&format!("{HEAD}x CNAME y\nx NSEC z A\n"));
    }

    #[test]
    fn cds_and_cdnskey_need_a_dnskey_of_their_algorithm() {
        let key = "AwEAAQ==";
        rejects(
            &format!("{HEAD}@ CDS 1 8 2 {}\n", "00".repeat(32)),
            &["z.db:2: zone ex.: CDS/CDNSKEY consistency checks failed"],
        );
        rejects(
            &format!("{HEAD}@ DNSKEY 257 3 8 {key}\n@ CDNSKEY 257 3 13 {key}\n"),
            &["z.db:2: zone ex.: CDS/CDNSKEY consistency checks failed"],
        );
        rejects(
            &format!(
                "{HEAD}@ DNSKEY 257 3 8 {key}\n@ CDS 0 0 0 00\n@ CDS 1 8 2 {}\n",
                "00".repeat(32)
            ),
            &["z.db:2: zone ex.: CDS/CDNSKEY consistency checks failed"],
        );
        accepts(&format!(
            "{HEAD}@ DNSKEY 257 3 8 {key}\n@ CDNSKEY 257 3 8 {key}\n@ CDS 1 8 2 {}\n",
            "00".repeat(32)
        ));
        accepts(&format!("{HEAD}@ CDS 0 0 0 00\n@ CDNSKEY 0 3 0 AA==\n"));
    }

    #[test]
    fn out_of_zone_data_is_ignored_with_a_warning() {
        let (z, w) = try_build(&format!("{HEAD}other. A 1.2.3.4\n"));
        assert_eq!(z.unwrap().records, 3);
        assert_eq!(w, ["z.db:5: ignoring out-of-zone data (other.)"]);
    }

    #[test]
    fn ttls_of_runs_and_merges() {
        // Within a run the first TTL wins (with a warning); a later run sets the TTL.
        let (z, w) = try_build(&format!(
            "{HEAD}a 10 A 1.1.1.1\na 20 A 1.1.1.2\nb A 1.1.1.3\na 30 A 1.1.1.4\n"
        ));
        let z = z.unwrap();
        assert_eq!(ttl_of(&z, "a.ex.", rdata::A), (30, 3));
        assert_eq!(w, ["z.db:6: TTL set to prior TTL (10) for a.ex. A"]);
        // RRSIGs are one RRset per covered type.
        let z = accepts(&format!(
            "{HEAD}a 10 RRSIG A 8 2 10 20300101000000 20200101000000 1 ex. AAAA\na 20 RRSIG TXT 8 2 20 20300101000000 20200101000000 1 ex. AAAA\n"
        ));
        let n = z.node(z.find(Name::from_ascii("a.ex.").unwrap().wire()).unwrap());
        let ttls: Vec<u32> = n.rrsets.iter().map(|s| s.ttl).collect();
        assert_eq!(ttls, [10, 20]);
    }

    #[test]
    fn duplicates_keep_the_later_spelling_within_a_run() {
        let z = accepts(&format!(
            "{HEAD}m MX 1 A.ex.\nm MX 1 a.ex.\nn MX 1 B.ex.\nN MX 1 b.ex.\n"
        ));
        let show = |name: &str| {
            let s = z
                .rrset_at(Name::from_ascii(name).unwrap().wire(), rdata::MX)
                .unwrap();
            let mut t = String::new();
            rdata::write_rdata(rdata::MX, s.rdatas().next().unwrap(), &mut t);
            (s.count, t)
        };
        assert_eq!(show("m.ex."), (1, "1 a.ex.".to_string()));
        // `N` starts a new run (the owner is written differently): the first spelling stays.
        assert_eq!(show("n.ex."), (1, "1 B.ex.".to_string()));
    }
}

mod diffs {
    use super::unit::zone;
    use crate::zone::*;

    const V1: &str =
        "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\na A 192.0.2.2\na A 192.0.2.3\n";

    fn text(rrs: &[Rr]) -> Vec<String> {
        rrs.iter()
            .map(|r| {
                let mut s = format!("{} {} {} ", r.owner, r.ttl, r.rtype);
                crate::dns::rdata::write_rdata(r.rtype, &r.rdata, &mut s);
                s
            })
            .collect()
    }

    #[test]
    fn serial_only_change() {
        let a = zone(V1, "ex.");
        let b = zone(&V1.replace("h 1 2", "h 7 2"), "ex.");
        assert!(same_except_serial(&a, &b));
        assert!(same_except_serial(&a, &a));
        let d = diff(&a, &b);
        assert_eq!(text(&d.removed), ["ex. 60 6 ns.ex. h.ex. 1 2 3 4 5"]);
        assert_eq!(text(&d.added), ["ex. 60 6 ns.ex. h.ex. 7 2 3 4 5"]);
        assert!(diff(&a, &a).is_empty());
        // Any other SOA field counts.
        let c = zone(&V1.replace("h 1 2", "h 1 9"), "ex.");
        assert!(!same_except_serial(&a, &c));
    }

    #[test]
    fn records_added_removed_and_ttl() {
        let a = zone(V1, "ex.");
        let b = zone(
            &V1.replace(
                "a A 192.0.2.3\n",
                "a A 192.0.2.4\nb 30 TXT \"x\"\nns 61 A 192.0.2.1\n",
            ),
            "ex.",
        );
        assert!(!same_except_serial(&a, &b));
        let d = diff(&a, &b);
        assert_eq!(
            text(&d.removed),
            ["ns.ex. 60 1 192.0.2.1", "a.ex. 60 1 192.0.2.3"]
        );
        assert_eq!(
            text(&d.added),
            [
                "ns.ex. 61 1 192.0.2.1",
                "a.ex. 60 1 192.0.2.4",
                "b.ex. 30 16 \"x\""
            ]
        );
        let back = diff(&b, &a);
        assert_eq!(back.removed, d.added);
        assert_eq!(back.added, d.removed);
    }
}
