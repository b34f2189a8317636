//! Integration tests of `clusterdns serve` on the bundled example cluster, through `dig`.

mod common;
use common::*;

#[test]
fn example_cluster_forward_and_reverse() {
    let dir = TempDir::with_example_zones("example");
    let s = Server::start(dir.path(), &[]);
    let a = s.dig(&["lhslave01.lihui.hadoop", "A"]);
    assert_eq!(a.status, "NOERROR", "{}", a.raw);
    assert!(a.has_flag("aa"), "{}", a.raw);
    assert_eq!(a.answer_rdata(), vec!["192.168.1.5"]);
    let ptr = s.dig(&["-x", "192.168.1.5"]);
    assert_eq!(
        ptr.answer_rdata(),
        vec!["lhslave01.lihui.hadoop."],
        "{}",
        ptr.raw
    );
    let nx = s.dig(&["nosuch.lihui.hadoop", "A"]);
    assert_eq!(nx.status, "NXDOMAIN");
    assert!(nx.authority[0].contains("SOA"), "{}", nx.raw);
    let out = s.dig(&["example.com", "A"]);
    assert_eq!(out.status, "REFUSED");
    let tcp = s.dig(&["+tcp", "lhmaster.lihui.hadoop", "A"]);
    assert_eq!(tcp.transport, "TCP");
    assert_eq!(tcp.answer_rdata(), vec!["192.168.1.4"]);
}
