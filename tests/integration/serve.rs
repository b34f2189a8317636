//! Integration tests of `clusterdns serve` on the bundled example cluster: answers through `dig`
//! over UDP and TCP, truncation and TCP retry, protocol errors, malformed input, and startup
//! failures.

use crate::harness::*;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::{Duration, Instant};

#[test]
fn example_cluster_forward_and_reverse() {
    let dir = TempDir::with_example_zones("example");
    let s = Server::start(dir.path(), &[]);
    for transport in ["+notcp", "+tcp"] {
        let a = s.dig(&[transport, "lhslave01.lihui.hadoop", "A"]);
        assert_eq!(a.status, "NOERROR", "{}", a.raw);
        assert!(a.has_flag("aa"), "{}", a.raw);
        assert_eq!(a.answer_rdata(), vec!["192.168.1.5"], "{}", a.raw);
        let want = if transport == "+tcp" { "TCP" } else { "UDP" };
        assert_eq!(a.transport, want, "{}", a.raw);

        let ptr = s.dig(&[transport, "-x", "192.168.1.5"]);
        assert_eq!(ptr.status, "NOERROR", "{}", ptr.raw);
        assert!(ptr.has_flag("aa"), "{}", ptr.raw);
        assert_eq!(
            ptr.answer_rdata(),
            vec!["lhslave01.lihui.hadoop."],
            "{}",
            ptr.raw
        );

        let nx = s.dig(&[transport, "nosuch.lihui.hadoop", "A"]);
        assert_eq!(nx.status, "NXDOMAIN", "{}", nx.raw);
        assert!(nx.has_flag("aa"), "{}", nx.raw);
        assert!(nx.answer.is_empty(), "{}", nx.raw);
        assert_eq!(nx.authority.len(), 1, "{}", nx.raw);
        // SOA TTL 1D, MINIMUM 3H: the negative TTL is the smaller (RFC 2308).
        assert!(
            nx.authority[0].starts_with("lihui.hadoop. 10800 IN SOA lhmaster.lihui.hadoop."),
            "{}",
            nx.raw
        );

        let out = s.dig(&[transport, "example.com", "A"]);
        assert_eq!(out.status, "REFUSED", "{}", out.raw);
        assert!(!out.has_flag("aa"), "{}", out.raw);
        assert!(out.answer.is_empty() && out.authority.is_empty());
    }
}

#[test]
fn sigterm_stops_every_task_and_exits_cleanly() {
    let dir = TempDir::with_example_zones("stop");
    let s = Server::start(dir.path(), &[]);
    s.wait_log("watching", Duration::from_secs(10));
    // An open TCP connection must not hold the shutdown up.
    let _idle = tcp_connect(s.port);
    assert_eq!(s.dig(&["lhslave01.lihui.hadoop", "A"]).status, "NOERROR");
    let log = s.log.clone();
    let status = s.stop();
    assert!(status.success(), "exit status {status:?}");
    // The log reader may lag the exit a little.
    let t0 = Instant::now();
    let read = || log.lock().map(|l| l.clone()).unwrap_or_default();
    while !read().contains("stopped") && t0.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = read();
    assert!(
        log.contains("shutting down") && log.contains("stopped"),
        "{log}"
    );
}

/// A zone with an RRset too large for a UDP response.
fn zones_with_big_rrset(tag: &str) -> TempDir {
    let dir = TempDir::with_example_zones(tag);
    let mut z = String::from("$TTL 300\n@ SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 10.0.0.1\n");
    for i in 1..=100 {
        z.push_str(&format!("many A 10.1.0.{i}\n"));
    }
    std::fs::write(dir.path().join("big.test.zone"), z).expect("write zone");
    dir
}

#[test]
fn large_rrset_truncates_over_udp_and_retries_over_tcp() {
    let dir = zones_with_big_rrset("trunc");
    let s = Server::start(dir.path(), &[]);
    // +ignore: show the truncated UDP answer instead of retrying.
    let udp = s.dig(&["+ignore", "many.big.test", "A"]);
    assert_eq!(udp.transport, "UDP", "{}", udp.raw);
    assert!(udp.has_flag("tc"), "{}", udp.raw);
    assert!(udp.has_flag("aa"), "{}", udp.raw);
    assert!(
        udp.answer.is_empty(),
        "EDNS truncation sends no partial RRset:\n{}",
        udp.raw
    );
    // Without EDNS: the 512-byte limit.
    let small = s.dig(&["+ignore", "+noedns", "many.big.test", "A"]);
    assert!(small.has_flag("tc"), "{}", small.raw);
    assert!(small.raw.contains("MSG SIZE  rcvd: 5"), "{}", small.raw);
    // Plain dig sees TC and asks again over TCP, getting the whole RRset.
    let full = s.dig(&["many.big.test", "A"]);
    assert_eq!(full.transport, "TCP", "{}", full.raw);
    assert!(!full.has_flag("tc"), "{}", full.raw);
    assert_eq!(full.answer.len(), 100, "{}", full.raw);
    // A small answer from the same server is not truncated.
    let a = s.dig(&["ns.big.test", "A"]);
    assert!(!a.has_flag("tc") && a.transport == "UDP", "{}", a.raw);
}

// ------------------------------------------------------------------------------------------
// Raw packets

/// A query packet for `name` (dotted), with flags word, qdcount and optional OPT.
fn raw_query(id: u16, flags: u16, name: &str, qtype: u16, opt: Option<&[u8]>) -> Vec<u8> {
    query_packet(id, flags, &wire_name(name), qtype, opt)
}

fn udp_client() -> UdpSocket {
    let c = UdpSocket::bind("127.0.0.1:0").expect("bind client");
    c.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    c
}

/// Sends one UDP packet and returns the response, if one comes within 2 s.
fn udp_ask(port: u16, p: &[u8]) -> Option<Vec<u8>> {
    let c = udp_client();
    c.send_to(p, ("127.0.0.1", port)).expect("send");
    let mut buf = [0u8; 4096];
    c.recv(&mut buf).ok().map(|n| buf[..n].to_vec())
}

fn tcp_connect(port: u16) -> TcpStream {
    let t = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    t.set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    t
}

/// Sends one framed query over a new TCP connection and reads one framed response.
fn tcp_ask(port: u16, p: &[u8]) -> Option<Vec<u8>> {
    let mut t = tcp_connect(port);
    let mut frame = (p.len() as u16).to_be_bytes().to_vec();
    frame.extend_from_slice(p);
    t.write_all(&frame).ok()?;
    read_frame(&mut t)
}

fn read_frame(t: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 2];
    t.read_exact(&mut len).ok()?;
    let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
    t.read_exact(&mut msg).ok()?;
    Some(msg)
}

fn rcode(resp: &[u8]) -> u8 {
    resp[3] & 0x0f
}

/// Checks that the server answers a good query correctly (over UDP and TCP).
#[track_caller]
fn still_serving(s: &Server) {
    let q = raw_query(0x4242, 0x0100, "lhslave01.lihui.hadoop", 1, None);
    for (how, r) in [("udp", udp_ask(s.port, &q)), ("tcp", tcp_ask(s.port, &q))] {
        let r = r.unwrap_or_else(|| panic!("no {how} answer after malformed input"));
        assert_eq!(&r[..2], &[0x42, 0x42], "{how}");
        assert_eq!(rcode(&r), 0, "{how}");
        assert_eq!(&r[6..8], &[0, 1], "{how}: one answer");
        assert_eq!(&r[r.len() - 4..], &[192, 168, 1, 5], "{how}");
    }
}

#[test]
fn protocol_errors() {
    let dir = TempDir::with_example_zones("proto");
    let s = Server::start(dir.path(), &[]);
    // Opcode 5 (UPDATE): NOTIMP.
    let r = udp_ask(s.port, &raw_query(1, 5 << 11, "lihui.hadoop", 6, None)).expect("answer");
    assert_eq!(rcode(&r), 4, "NOTIMP");
    assert_eq!(r[2] & 0x80, 0x80, "QR");
    assert_eq!((r[2] >> 3) & 0xf, 5, "opcode echoed");
    // EDNS version 1: BADVERS (extended rcode 16 = 1 << 4 in the OPT TTL, 0 in the header).
    let d = s.dig(&["+edns=1", "+noednsneg", "lhslave01.lihui.hadoop", "A"]);
    assert_eq!(d.status, "BADVERS", "{}", d.raw);
    assert!(d.answer.is_empty(), "{}", d.raw);
    // qdcount 2: FORMERR.
    let mut two = raw_query(3, 0x0100, "lihui.hadoop", 1, None);
    two[5] = 2;
    two.extend_from_within(12..);
    let r = udp_ask(s.port, &two).expect("answer");
    assert_eq!(rcode(&r), 1, "FORMERR for qdcount 2");
    assert_eq!(&r[..2], &[0, 3]);
    // qdcount 0: FORMERR.
    let mut none = raw_query(4, 0x0100, "lihui.hadoop", 1, None);
    none[5] = 0;
    none.truncate(12);
    let r = udp_ask(s.port, &none).expect("answer");
    assert_eq!(rcode(&r), 1, "FORMERR for qdcount 0");
    // The question is echoed with the client's letter case, over UDP and TCP.
    let mixed = raw_query(
        5,
        0x0100,
        "LhSlAvE01.LiHuI.HaDoOp",
        1,
        Some(&opt_rr(1232, false)),
    );
    for r in [udp_ask(s.port, &mixed), tcp_ask(s.port, &mixed)] {
        let r = r.expect("answer");
        let qlen = mixed.len() - 12 - 11;
        assert_eq!(
            &r[12..12 + qlen],
            &mixed[12..12 + qlen],
            "question echoed as sent"
        );
        assert_eq!(rcode(&r), 0);
        assert_eq!(r[2] & 0x04, 0x04, "AA");
    }
    let d = s.dig(&["LHSLAVE01.lihui.HADOOP", "A"]);
    assert!(d.raw.contains(";LHSLAVE01.lihui.HADOOP."), "{}", d.raw);
    assert_eq!(d.answer_rdata(), vec!["192.168.1.5"]);
    // A response (QR set) is never answered.
    let resp = raw_query(6, 0x8100, "lhslave01.lihui.hadoop", 1, None);
    assert_eq!(udp_ask(s.port, &resp), None, "answered a response");
    still_serving(&s);
}

/// Deterministic random bytes from the library's generator.
struct Rng(clusterdns::rand::XorShift);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn malformed_input_never_breaks_the_server() {
    let dir = TempDir::with_example_zones("fuzz");
    let s = Server::start(dir.path(), &[]);
    let mut rng = Rng(clusterdns::rand::XorShift::new(0x9e37_79b9_7f4a_7c15));
    let good = raw_query(0, 0x0100, "lhslave01.lihui.hadoop", 1, None);

    // UDP: 2000 packets, random or mutated queries. IDs below 0x8000 have QR clear; IDs at or
    // above it have QR set and must never be answered.
    let c = udp_client();
    c.set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let mut sent_queries = 0;
    for i in 0..2000u16 {
        let mut p = match i % 4 {
            0 => {
                let n = (rng.next() % 64) as usize;
                rng.bytes(n)
            }
            1 => {
                let n = 12 + (rng.next() % 600) as usize;
                rng.bytes(n)
            }
            2 => {
                // A good query with a few bytes changed, or cut short.
                let mut p = good.clone();
                for _ in 0..1 + rng.next() % 4 {
                    let at = (rng.next() as usize) % p.len();
                    p[at] = rng.next() as u8;
                }
                let keep = (rng.next() as usize) % (p.len() + 1);
                if rng.next().is_multiple_of(3) {
                    p.truncate(keep);
                }
                p
            }
            _ => {
                let mut p = good.clone();
                let extra = {
                    let n = (rng.next() % 40) as usize;
                    rng.bytes(n)
                };
                p.extend(extra);
                p
            }
        };
        if p.len() >= 4 {
            let qr = i % 2 == 1;
            let id = if qr { 0x8000 | i } else { i };
            p[..2].copy_from_slice(&id.to_be_bytes());
            if qr {
                p[2] |= 0x80;
            } else {
                p[2] &= 0x7f;
                sent_queries += 1;
            }
        }
        c.send_to(&p, ("127.0.0.1", s.port)).expect("send");
        if i % 100 == 99 {
            // Do not overrun the socket buffers.
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let mut buf = [0u8; 4096];
    let mut responses = 0;
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        let Ok(n) = c.recv(&mut buf) else { break };
        responses += 1;
        let r = &buf[..n];
        assert!(n >= 12, "response shorter than a header: {r:?}");
        assert_eq!(r[2] & 0x80, 0x80, "a response without QR");
        let id = u16::from_be_bytes([r[0], r[1]]);
        assert!(id < 0x8000, "answered a packet with QR set (id {id:#x})");
        assert!(
            matches!(rcode(r), 0 | 1 | 3 | 4 | 5),
            "unexpected rcode {}",
            rcode(r)
        );
    }
    assert!(
        responses > 0 && responses <= sent_queries,
        "{responses} responses"
    );
    still_serving(&s);

    // TCP: random frames, a frame shorter than a header, a zero-length frame, truncated
    // frames (the peer closes mid-message), and a frame holding a response.
    for i in 0..200u32 {
        let mut t = tcp_connect(s.port);
        let body = match i % 5 {
            0 => {
                let n = (rng.next() % 300) as usize;
                rng.bytes(n)
            }
            1 => rng.bytes(5),
            2 => {
                let mut p = good.clone();
                let at = (rng.next() as usize) % p.len();
                p[at] = rng.next() as u8;
                p
            }
            3 => {
                let mut p = good.clone();
                p[2] |= 0x80;
                p
            }
            _ => good.clone(),
        };
        let mut frame = (body.len() as u16).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        if i % 5 == 4 {
            // Announce the whole message, send half, and hang up.
            frame.truncate(2 + body.len() / 2);
            let _ = t.write_all(&frame);
            drop(t);
            continue;
        }
        if t.write_all(&frame).is_err() {
            continue;
        }
        let _ = t.shutdown(std::net::Shutdown::Write);
        if let Some(r) = read_frame(&mut t) {
            assert!(r.len() >= 12, "tcp response shorter than a header");
            assert_eq!(r[2] & 0x80, 0x80, "tcp response without QR");
            assert_ne!(i % 5, 3, "answered a response over TCP");
            assert_ne!(i % 5, 1, "answered a 5-byte message");
        }
    }
    // A zero-length frame, then a stalled partial length: the server must not hang.
    let mut t = tcp_connect(s.port);
    let _ = t.write_all(&[0, 0]);
    let mut b = [0u8; 2];
    assert!(
        !matches!(t.read(&mut b), Ok(n) if n > 0),
        "answered an empty frame"
    );
    let mut stalled = tcp_connect(s.port);
    let _ = stalled.write_all(&[0]);
    still_serving(&s);
    drop(stalled);
}

// ------------------------------------------------------------------------------------------
// Startup failures

/// Runs `clusterdns serve ARGS` and returns (exit success, stderr), killing it after 20 s.
fn run_serve(args: &[&str]) -> (Option<bool>, String) {
    let mut child = clusterdns(&["serve"])
        .args(args)
        .args(["--no-watch", "--threads", "1"])
        .spawn()
        .expect("spawn clusterdns");
    let t0 = Instant::now();
    let status = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break Some(st.success());
        }
        if t0.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    (status, err)
}

#[test]
fn serve_fails_clearly_when_the_port_is_taken() {
    let dir = TempDir::with_example_zones("busy");
    let taken = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let zones = dir.path().to_str().expect("utf-8 path");
    let (status, err) = run_serve(&["--zones", zones, "--listen", &addr]);
    assert_eq!(status, Some(false), "serve must exit non-zero:\n{err}");
    assert!(err.contains(&addr), "{err}");
    assert!(err.contains("already in use"), "{err}");
    drop(taken);
}

#[test]
fn serve_fails_clearly_without_a_loadable_zone() {
    let serve_dir = |d: &TempDir| {
        let zones = d.path().to_str().expect("utf-8 path");
        run_serve(&["--zones", zones, "--listen", "127.0.0.1:0"])
    };
    let empty = TempDir::new("nozones");
    let (status, err) = serve_dir(&empty);
    assert_eq!(status, Some(false), "serve must exit non-zero:\n{err}");
    assert!(err.contains("no zone can be served"), "{err}");
    assert!(err.contains("no NAME.zone files"), "{err}");

    let broken = TempDir::new("badzones");
    std::fs::write(
        broken.path().join("bad.test.zone"),
        "$TTL 60\n@ NS ns\nx CNAME y\nx A 1.2.3.4\n",
    )
    .expect("write zone");
    let (status, err) = serve_dir(&broken);
    assert_eq!(status, Some(false), "serve must exit non-zero:\n{err}");
    assert!(err.contains("no zone can be served"), "{err}");
    assert!(
        err.contains("bad.test.zone"),
        "the log names the file:\n{err}"
    );
}

#[test]
fn serve_rejects_options_it_would_ignore() {
    let dir = TempDir::with_example_zones("badopts");
    let zones = dir.path().to_str().expect("utf-8 path");
    // `run_serve` passes --no-watch: polling as well is a contradiction, not a silent no-op.
    let (status, err) = run_serve(&["--zones", zones, "--poll-interval", "1"]);
    assert_eq!(status, Some(false), "serve must exit non-zero:\n{err}");
    assert!(
        err.contains("--poll-interval") && err.contains("--no-watch"),
        "{err}"
    );
    let (status, err) = run_serve(&["--zones", zones, "--tcp-idle-timeout", "0"]);
    assert_eq!(status, Some(false), "serve must exit non-zero:\n{err}");
    assert!(
        err.contains("--tcp-idle-timeout must be at least 1"),
        "{err}"
    );
}
