//! Unit tests of the reloader: content comparison, serial rewriting, what a reload re-reads.

use super::*;

#[track_caller]
fn zone(text: &str) -> Zone {
    let origin = Name::from_ascii("lihui.hadoop").expect("origin");
    let parsed = crate::zonefile::parse_str(
        text.as_bytes(),
        Path::new("t.zone"),
        &crate::zonefile::Options::new(origin.clone()),
    );
    crate::zone::build(&origin, parsed, &mut Vec::new()).expect("zone builds")
}

/// The date the unit tests run on (fixed, so they cannot fail across UTC midnight).
const TODAY: u32 = 2025112300;

const BASE: &str =
    "$TTL 1D\n@ IN SOA ns root ( 2024010101 1D 1H 1W 3H )\n@ IN NS ns\nns IN A 192.168.1.4\n";

#[test]
fn content_comparison_ignores_only_the_serial() {
    let a = zone(BASE);
    assert!(crate::zone::same_except_serial(&a, &zone(BASE)));
    assert!(crate::zone::same_except_serial(
        &a,
        &zone(&BASE.replace("2024010101", "7"))
    ));
    assert!(!crate::zone::same_except_serial(
        &a,
        &zone(&BASE.replace("3H )", "2H )"))
    ));
    assert!(!crate::zone::same_except_serial(
        &a,
        &zone(&BASE.replace("1.4", "1.5"))
    ));
    assert!(!crate::zone::same_except_serial(
        &a,
        &zone(&BASE.replace("$TTL 1D", "$TTL 2D"))
    ));
    assert!(!crate::zone::same_except_serial(
        &a,
        &zone(&format!("{BASE}n1 IN A 10.0.0.1\n"))
    ));
}

#[test]
fn serial_is_rewritten_in_place() {
    let mut z = zone(BASE);
    set_serial(&mut z, 2025112301);
    assert_eq!(z.serial, 2025112301);
    let soa = z.soa().expect("soa");
    let rd = soa.rdatas().next().expect("one soa");
    assert_eq!(crate::zone::soa_serial(rd), 2025112301);
    assert!(crate::zone::same_except_serial(&z, &zone(BASE)));
}

#[test]
fn reloader_rereads_only_what_changed() {
    let dir = std::env::temp_dir().join(format!("clusterdns-reload-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("lihui.hadoop.zone");
    std::fs::write(&path, BASE).expect("write");
    let store = Arc::new(Store::new(ZoneSet::default()));
    let mut r = Reloader::new(
        dir.clone(),
        store.clone(),
        ReloadOptions {
            auto_serial: true,
            today: || TODAY,
            withdraw_grace: Duration::ZERO,
            ..ReloadOptions::default()
        },
    );
    let rep = r.reload().expect("first load");
    assert_eq!(rep.zones, 1);
    assert!(rep.published);
    // A forced rescan re-reads, finds nothing new, publishes nothing.
    let force = Request {
        force: true,
        ..Request::default()
    };
    let rep = r.reload_with(&force).expect("rescan");
    assert_eq!(rep.reread, 1);
    assert!(rep.changes.is_empty() && !rep.published);
    // Changed content, same serial: bumped (--auto-serial).
    std::fs::write(&path, format!("{BASE}n1 IN A 10.0.0.1\n")).expect("write");
    let rep = r.reload_with(&force).expect("reload");
    assert!(rep.published);
    let served = store.snapshot().zones()[0].serial;
    assert_eq!(served, next_serial(2024010101, TODAY));
    // Broken: the last good version stays.
    std::fs::write(&path, "$TTL 1D\n@ IN NS ns\n").expect("write");
    let rep = r.reload_with(&force).expect("reload");
    assert_eq!(rep.errors.len(), 1);
    assert!(!rep.published);
    assert_eq!(store.snapshot().zones()[0].serial, served);
    // Deleted: withdrawn.
    std::fs::remove_file(&path).expect("remove");
    let rep = r.reload().expect("reload");
    assert!(matches!(rep.changes[..], [Change::Removed { .. }]));
    assert!(store.snapshot().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
