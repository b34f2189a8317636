//! TCP under attack: a keepalive flood that fills the connection table must not lock new
//! clients out (the idlest connection makes room), and more connections than file
//! descriptors must neither spin the CPU nor stop TCP service.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::*;

use super::NAME;

/// A connection to the server from 127.0.0.2: the many client ports these tests hold open
/// must not take the port another test's server is about to bind on 127.0.0.1.
fn connect(port: u16) -> Option<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).ok()?;
    sock.bind(&std::net::SocketAddr::from(([127, 0, 0, 2], 0)).into())
        .ok()?;
    let server = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    sock.connect_timeout(&server.into(), Duration::from_secs(2))
        .ok()?;
    let t: TcpStream = sock.into();
    t.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    t.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    Some(t)
}

/// One framed query on `t`; true when a framed answer came back.
fn query_on(t: &mut TcpStream, id: u16) -> bool {
    let q = query_packet(id, RD, &wire_name(NAME), 1, None);
    let mut frame = (q.len() as u16).to_be_bytes().to_vec();
    frame.extend_from_slice(&q);
    if t.write_all(&frame).is_err() {
        return false;
    }
    let mut len = [0u8; 2];
    if t.read_exact(&mut len).is_err() {
        return false;
    }
    let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
    t.read_exact(&mut msg).is_ok() && msg[..2] == id.to_be_bytes()
}

/// Keeps `n` connections busy the way the keepalive flood does: each sends a query every
/// `every`, and a closed one is reopened; until `stop` (or 60 s, or 5,000 connects).
fn keepalive_flood(port: u16, n: usize, every: Duration, stop: Arc<AtomicBool>) {
    let mut conns: Vec<Option<TcpStream>> = (0..n).map(|_| connect(port)).collect();
    let t0 = Instant::now();
    let mut connects = n;
    let mut id = 0u16;
    while !stop.load(Ordering::Relaxed) && t0.elapsed() < Duration::from_secs(60) {
        let round = Instant::now();
        for c in conns.iter_mut() {
            id = id.wrapping_add(1);
            let alive = c.as_mut().is_some_and(|t| query_on(t, id));
            if !alive && connects < 5000 {
                *c = connect(port);
                connects += 1;
                if let Some(t) = c.as_mut() {
                    query_on(t, id);
                }
            }
        }
        if let Some(rest) = every.checked_sub(round.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

#[test]
fn keepalive_flood_does_not_lock_out_new_tcp_clients() {
    let zones = TempDir::with_example_zones("tcp-flood");
    let s = Server::start(
        zones.path(),
        &["--tcp-clients", "20", "--tcp-idle-timeout", "30"],
    );
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let (port, stop) = (s.port, stop.clone());
        std::thread::spawn(move || keepalive_flood(port, 40, Duration::from_millis(300), stop))
    };
    std::thread::sleep(Duration::from_secs(1));
    let mut answered = 0;
    for _ in 0..10 {
        let d = s.dig(&["+tcp", NAME, "A"]);
        if d.answer_rdata() == vec!["192.168.1.4"] {
            answered += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = flood.join();
    assert_eq!(
        answered, 10,
        "new TCP clients answered during a keepalive flood"
    );
}

/// The server's CPU time (user + system) in clock ticks, from /proc.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the state field.
    f[11].parse::<u64>().expect("utime") + f[12].parse::<u64>().expect("stime")
}

#[test]
fn more_connections_than_fds_neither_spins_nor_kills_tcp() {
    use std::os::unix::process::CommandExt;
    let zones = TempDir::with_example_zones("tcp-fds");
    let extra = ["--tcp-clients", "1024", "--tcp-idle-timeout", "60"];
    let s = Server::try_start_with(zones.path(), &extra, |c| {
        // SAFETY: setrlimit is async-signal-safe; the closure only calls it.
        unsafe {
            c.pre_exec(|| {
                let lim = libc::rlimit {
                    rlim_cur: 100,
                    rlim_max: 100,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    })
    .unwrap_or_else(|log| panic!("server did not start:\n{log}"));
    // 150 connections, more than the 100 descriptors the server has, each sending a query
    // (the ones the server has not accepted wait in the listen backlog).
    let mut held = Vec::new();
    for i in 0..150u16 {
        if let Some(mut t) = connect(s.port) {
            let q = query_packet(i, RD, &wire_name(NAME), 1, None);
            let mut frame = (q.len() as u16).to_be_bytes().to_vec();
            frame.extend_from_slice(&q);
            let _ = t.write_all(&frame);
            held.push(t);
        }
    }
    assert!(held.len() > 100, "only {} connections", held.len());
    std::thread::sleep(Duration::from_millis(300));
    let t0 = cpu_ticks(s.pid());
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(s.pid()) - t0;
    assert!(
        used < 40,
        "server used {used} ticks of CPU in 2 s with more connections than descriptors"
    );
    // A new client is served while the flood holds its connections (the idlest is evicted);
    // a loaded machine may need more than one try.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let d = s.dig(&["+tcp", NAME, "A"]);
        if d.answer_rdata() == vec!["192.168.1.4"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "TCP not served while flooded: {d:?}\n{}",
            s.log()
        );
    }
    drop(held);
    // Once the connections close, TCP serves as before.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let d = s.dig(&["+tcp", NAME, "A"]);
        if d.answer_rdata() == vec!["192.168.1.4"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "TCP never recovered:\n{}",
            s.log()
        );
    }
    assert!(
        s.log().contains("--tcp-clients 1024 lowered to"),
        "the limit was not fitted under the descriptors:\n{}",
        s.log()
    );
}

/// The server's resident set size in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

#[test]
fn open_tcp_connections_cost_little_memory() {
    const N: usize = 300;
    // (Before the fix: 154 KiB each, two 64 KiB buffers allocated up front.)
    let zones = TempDir::with_example_zones("tcp-mem");
    let s = Server::start(
        zones.path(),
        &[
            "--tcp-clients",
            "1000",
            "--tcp-clients-per-ip",
            "1000",
            "--tcp-idle-timeout",
            "60",
        ],
    );
    // Warm up: 100 connections served and held (per-thread buffers and tables exist).
    let mut held = Vec::new();
    for i in 0..100 {
        let mut t = connect(s.port).expect("connect");
        assert!(query_on(&mut t, i as u16), "connection {i} answered");
        held.push(t);
    }
    let before = rss_kib(s.pid());
    for i in 0..N {
        let mut t = connect(s.port).expect("connect");
        assert!(query_on(&mut t, i as u16), "connection {i} answered");
        held.push(t);
    }
    let after = rss_kib(s.pid());
    let per_conn = (after.saturating_sub(before)) as f64 / N as f64;
    println!(
        "RSS {before} KiB -> {after} KiB with {N} more open connections: {per_conn:.1} KiB each"
    );
    assert!(per_conn < 16.0, "{per_conn:.1} KiB per open connection");
}
