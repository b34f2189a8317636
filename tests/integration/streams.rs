//! Stream transports: TCP pipelining (many queries in one write, answered in order with their
//! IDs), frames split across writes, the EDNS keepalive option (RFC 7828); DoT and DoH (in
//! `streams_tls`) answer as UDP does; concurrent clients with the loops gathering queries and without.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::harness::{opt_rr, query_packet, wire_name, Server, TempDir, RD};

fn connect(port: u16) -> TcpStream {
    let t = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    t.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    t
}

fn frame(p: &[u8]) -> Vec<u8> {
    let mut f = (p.len() as u16).to_be_bytes().to_vec();
    f.extend_from_slice(p);
    f
}

fn read_frame(t: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    t.read_exact(&mut len).expect("length prefix");
    let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
    t.read_exact(&mut msg).expect("message");
    msg
}

/// The last four bytes of a one-A-record answer.
fn a_rdata(r: &[u8]) -> [u8; 4] {
    assert_eq!(&r[6..8], &[0, 1], "one answer");
    r[r.len() - 4..].try_into().expect("4 bytes")
}

#[test]
fn pipelined_queries_in_one_write_are_all_answered_in_order() {
    let zones = TempDir::with_example_zones("pipeline");
    let s = Server::start(zones.path(), &[]);
    let names = [
        ("lhmaster.lihui.hadoop", [192, 168, 1, 4]),
        ("lhslave01.lihui.hadoop", [192, 168, 1, 5]),
        ("lhslave02.lihui.hadoop", [192, 168, 1, 6]),
    ];
    let mut t = connect(s.port);
    let mut batch = Vec::new();
    for i in 0..30u16 {
        let (name, _) = names[i as usize % 3];
        batch.extend(frame(&query_packet(
            0x1000 + i,
            RD,
            &wire_name(name),
            1,
            None,
        )));
    }
    // One NXDOMAIN in the middle of the next batch.
    batch.extend(frame(&query_packet(
        0x2000,
        RD,
        &wire_name("nosuch.lihui.hadoop"),
        1,
        None,
    )));
    t.write_all(&batch).expect("write");
    for i in 0..30u16 {
        let r = read_frame(&mut t);
        assert_eq!(u16::from_be_bytes([r[0], r[1]]), 0x1000 + i, "ID, in order");
        assert_eq!(r[3] & 0xf, 0, "NOERROR");
        assert_eq!(a_rdata(&r), names[i as usize % 3].1);
    }
    let r = read_frame(&mut t);
    assert_eq!(u16::from_be_bytes([r[0], r[1]]), 0x2000);
    assert_eq!(r[3] & 0xf, 3, "NXDOMAIN");
}

#[test]
fn frames_split_across_writes_are_reassembled() {
    let zones = TempDir::with_example_zones("split");
    let s = Server::start(zones.path(), &[]);
    let mut t = connect(s.port);
    t.set_nodelay(true).expect("nodelay");
    let mut bytes = frame(&query_packet(
        7,
        RD,
        &wire_name("lhslave01.lihui.hadoop"),
        1,
        None,
    ));
    bytes.extend(frame(&query_packet(
        8,
        RD,
        &wire_name("lhslave02.lihui.hadoop"),
        1,
        None,
    )));
    // Byte by byte, each in its own segment where the stack allows.
    for b in &bytes {
        t.write_all(&[*b]).expect("write");
        t.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(2));
    }
    let r = read_frame(&mut t);
    assert_eq!(&r[..2], &[0, 7]);
    assert_eq!(a_rdata(&r), [192, 168, 1, 5]);
    let r = read_frame(&mut t);
    assert_eq!(&r[..2], &[0, 8]);
    assert_eq!(a_rdata(&r), [192, 168, 1, 6]);
}

/// An OPT record with an empty edns-tcp-keepalive option.
fn opt_with_keepalive() -> Vec<u8> {
    let mut o = opt_rr(1232, false).to_vec();
    o[9..11].copy_from_slice(&4u16.to_be_bytes());
    o.extend_from_slice(&[0, 11, 0, 0]);
    o
}

#[test]
fn keepalive_option_is_answered_with_our_idle_timeout() {
    let zones = TempDir::with_example_zones("keepalive");
    let s = Server::start(zones.path(), &["--tcp-idle-timeout", "7"]);
    let mut t = connect(s.port);
    let opt = opt_with_keepalive();
    let q = query_packet(9, RD, &wire_name("lhmaster.lihui.hadoop"), 1, Some(&opt));
    t.write_all(&frame(&q)).expect("write");
    let r = read_frame(&mut t);
    assert_eq!(r[3] & 0xf, 0);
    // The response ends with OPT carrying the option: code 11, length 2, 70 x 100 ms.
    assert_eq!(&r[r.len() - 6..], &[0, 11, 0, 2, 0, 70], "{r:?}");
    // Without the option in the query, none in the answer.
    let q = query_packet(
        10,
        RD,
        &wire_name("lhmaster.lihui.hadoop"),
        1,
        Some(&opt_rr(1232, false)),
    );
    t.write_all(&frame(&q)).expect("write");
    let r = read_frame(&mut t);
    assert_eq!(&r[r.len() - 2..], &[0, 0], "empty OPT rdata");
    // kdig sends it empty with +ednsopt=11 and prints what came back (0x46 = 70).
    let out = std::process::Command::new("kdig")
        .args([
            "@127.0.0.1",
            "-p",
            &s.port.to_string(),
            "+tcp",
            "+ednsopt=11",
            "lhmaster.lihui.hadoop",
            "A",
        ])
        .output()
        .expect("kdig");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Option (11): 0046") && text.contains("192.168.1.4"),
        "{text}"
    );
}

/// Reads until EOF (or the read timeout); true when the server closed the connection: a FIN,
/// a reset, or any other error that ends the connection. Bytes from the server are a failure
/// of their own. Only the timeout says "still open". A read on a socket with a timeout fails
/// with EINTR whenever a signal handler runs, SA_RESTART or not (signal(7)); such a read is
/// taken again (CI once saw this read fail 174 ms after the last answer, with the server's
/// idle timeout 1 s away).
fn closed_by_server(t: &mut TcpStream) -> bool {
    use std::io::ErrorKind::{Interrupted, TimedOut, WouldBlock};
    let mut buf = [0u8; 64];
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match t.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => panic!("unexpected bytes from the server: {:02x?}", &buf[..n]),
            Err(e) if e.kind() == Interrupted && std::time::Instant::now() < deadline => {}
            Err(e) if matches!(e.kind(), WouldBlock | TimedOut | Interrupted) => return false,
            Err(e) => {
                eprintln!(
                    "closed_by_server: the read failed with {e} ({:?})",
                    e.kind()
                );
                return true;
            }
        }
    }
}

#[test]
fn idle_connections_close_after_the_timeout_and_active_ones_stay() {
    let zones = TempDir::with_example_zones("idle");
    let s = Server::start(zones.path(), &["--tcp-idle-timeout", "1"]);
    let q = frame(&query_packet(
        1,
        RD,
        &wire_name("lhmaster.lihui.hadoop"),
        1,
        None,
    ));
    // Active: a query every 300 ms for 2.4 s, over twice the timeout, all answered.
    let mut active = connect(s.port);
    let t0 = std::time::Instant::now();
    let mut last = t0;
    while t0.elapsed() < Duration::from_millis(2400) {
        std::thread::sleep(Duration::from_millis(300));
        active.write_all(&q).expect("write on an active connection");
        let r = read_frame(&mut active);
        last = std::time::Instant::now();
        assert_eq!(a_rdata(&r), [192, 168, 1, 4]);
    }
    // Idle: closed by the server about a second after its last answer, not before.
    assert!(
        closed_by_server(&mut active),
        "the idle connection stays open {:?} after the last answer",
        last.elapsed()
    );
    let waited = last.elapsed();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(3),
        "closed {waited:?} after the last answer"
    );
}

/// A client that trickles a message a byte at a time (slowloris) is idle: only a complete
/// message (or an answer sent) counts as activity, so the connection is closed about one idle
/// timeout after it opened, however steadily the bytes come. The same on DoT for a trickled
/// TLS handshake, which before the DoT sessions moved to the event loops had a deadline of its
/// own.
#[test]
fn a_trickled_message_or_handshake_is_idle_and_closed() {
    let zones = TempDir::with_example_zones("trickle");
    let (cert, key) = crate::streams_tls::make_cert(zones.path(), "trickle");
    let (c, k) = (cert.to_string_lossy(), key.to_string_lossy());
    let s = Server::start(
        zones.path(),
        &[
            "--tcp-idle-timeout",
            "1",
            "--listen-tls",
            "127.0.0.1:0",
            "--tls-cert",
            &c,
            "--tls-key",
            &k,
        ],
    );
    let dot = crate::streams_tls::logged_port(&s, "TLS");
    let query = frame(&query_packet(
        1,
        RD,
        &wire_name("lhmaster.lihui.hadoop"),
        1,
        None,
    ));
    // A TLS 1.2/1.3 ClientHello starts 0x16 0x03 0x01 and a length: trickle a long record.
    let hello: Vec<u8> = [0x16, 0x03, 0x01, 0x02, 0x00]
        .into_iter()
        .chain(std::iter::repeat_n(0x01, 512))
        .collect();
    for (port, bytes, what) in [
        (s.port, &query, "a TCP query"),
        (dot, &hello, "a TLS handshake"),
    ] {
        let mut t = connect(port);
        t.set_nodelay(true).expect("nodelay");
        let t0 = std::time::Instant::now();
        let mut closed_at = None;
        // A byte every 200 ms, for at most 4 s (four idle timeouts); the message never ends.
        for b in bytes.iter().cycle().take(20) {
            std::thread::sleep(Duration::from_millis(200));
            if t.write_all(std::slice::from_ref(b)).is_err() {
                closed_at = Some(t0.elapsed());
                break;
            }
        }
        let closed_at = closed_at.or_else(|| closed_by_server(&mut t).then(|| t0.elapsed()));
        let at = closed_at.unwrap_or_else(|| panic!("{what} trickled for 4 s kept its connection"));
        assert!(
            at < Duration::from_millis(3500),
            "{what}: closed only after {at:?}"
        );
    }
}

#[test]
fn a_transfer_between_pipelined_queries_is_answered_in_order_on_the_same_connection() {
    // The event loop answers the first query, hands the connection to the async path at the
    // AXFR (with the query after it still buffered), which streams the zone, answers the
    // buffered query and goes on serving the connection.
    let zones = TempDir::with_example_zones("pipeline-axfr");
    let s = Server::start(zones.path(), &["--allow-transfer", "127.0.0.1"]);
    let q = |id: u16, name: &str, qtype: u16| {
        frame(&query_packet(id, RD, &wire_name(name), qtype, None))
    };
    let mut t = connect(s.port);
    let mut batch = q(1, "lhmaster.lihui.hadoop", 1);
    batch.extend(q(2, "lihui.hadoop", 252)); // AXFR
    batch.extend(q(3, "lhslave01.lihui.hadoop", 1));
    t.write_all(&batch).expect("write");
    let r = read_frame(&mut t);
    assert_eq!(&r[..2], &[0, 1], "the query before the transfer first");
    assert_eq!(a_rdata(&r), [192, 168, 1, 4]);
    let mut transfer_msgs = 0;
    let r = loop {
        let r = read_frame(&mut t);
        if r[..2] != [0, 2] {
            break r;
        }
        assert_eq!(r[3] & 0xf, 0, "the transfer is allowed");
        assert!(
            u16::from_be_bytes([r[6], r[7]]) > 0,
            "records in the transfer"
        );
        transfer_msgs += 1;
    };
    assert!(
        transfer_msgs > 0,
        "the transfer came before the next answer"
    );
    assert_eq!(&r[..2], &[0, 3], "the query after the transfer");
    assert_eq!(a_rdata(&r), [192, 168, 1, 5]);
    // The connection goes on serving queries.
    t.write_all(&q(4, "lhslave02.lihui.hadoop", 1))
        .expect("write");
    let r = read_frame(&mut t);
    assert_eq!(&r[..2], &[0, 4]);
    assert_eq!(a_rdata(&r), [192, 168, 1, 6]);
}

#[test]
fn a_client_that_reads_slowly_gets_every_answer_in_order() {
    // A small receive buffer and a client that writes 60,000 queries (~4 MB of answers, more
    // than the kernel lets a socket queue) before reading for a second: the server's sends
    // come up short and it waits for the socket to drain (not reading that connection
    // meanwhile), then carries on where it stopped.
    use socket2::{Domain, Socket, Type};
    const N: u16 = 60_000;
    let zones = TempDir::with_example_zones("slow-reader");
    let s = Server::start(zones.path(), &[]);
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    sock.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], s.port));
    sock.connect(&addr.into()).expect("connect");
    let mut t: TcpStream = sock.into();
    t.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut w = t.try_clone().expect("clone");
    let writer = std::thread::spawn(move || {
        for i in 0..N {
            let q = query_packet(i, RD, &wire_name("lhmaster.lihui.hadoop"), 1, None);
            w.write_all(&frame(&q)).expect("write");
        }
    });
    std::thread::sleep(Duration::from_millis(1000));
    for i in 0..N {
        let r = read_frame(&mut t);
        assert_eq!(u16::from_be_bytes([r[0], r[1]]), i, "ID, in order");
        assert_eq!(a_rdata(&r), [192, 168, 1, 4]);
    }
    writer.join().expect("writer");
}

/// Sixteen connections, each asking 40 questions one at a time (each waits for its answer):
/// every answer is right, with the loops gathering queries (the default) and without.
#[test]
fn concurrent_clients_are_answered_with_and_without_gathering() {
    let zones = TempDir::with_example_zones("gather");
    for extra in [&[][..], &["--tcp-coalesce-us", "0"][..]] {
        let s = Server::start(zones.path(), extra);
        let port = s.port;
        let clients: Vec<_> = (0..16u16)
            .map(|c| {
                std::thread::spawn(move || {
                    let mut t = connect(port);
                    for i in 0..40u16 {
                        let (name, want) = if (c + i) % 2 == 0 {
                            ("lhslave01.lihui.hadoop", [192, 168, 1, 5])
                        } else {
                            ("lhmaster.lihui.hadoop", [192, 168, 1, 4])
                        };
                        let id = c << 8 | i;
                        t.write_all(&frame(&query_packet(id, RD, &wire_name(name), 1, None)))
                            .expect("write");
                        let r = read_frame(&mut t);
                        assert_eq!(u16::from_be_bytes([r[0], r[1]]), id);
                        assert_eq!(a_rdata(&r), want, "{name} on connection {c}");
                    }
                })
            })
            .collect();
        for c in clients {
            c.join().expect("client thread");
        }
    }
}

#[test]
fn a_gathering_ceiling_over_ten_milliseconds_is_refused() {
    let zones = TempDir::with_example_zones("gather-bad");
    let log = Server::try_start(zones.path(), &["--tcp-coalesce-us", "20000"])
        .err()
        .expect("the server must not start");
    assert!(
        log.contains("--tcp-coalesce-us 20000 is more than 10000"),
        "{log}"
    );
}
