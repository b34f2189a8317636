#!/usr/bin/env python3
"""Live-reload benchmark for clusterdns (python3 stdlib only; builds nothing).

Measures, against a release binary on 127.0.0.1:
  (a) edit-to-served latency: EDITS edits of a NODES-node cluster zone, each appending a node by
      writing a temporary file and renaming it over the zone file (as vim and sed -i do); the
      time from the rename until a UDP query for the new name answers NOERROR;
  (b) a BIG-record zone replaced under continuous query load: failed or wrong answers during
      the swap (must be zero), and the time from the rename until the new data is served;
  (c) VmRSS before and after RELOADS reloads of a small zone.

Usage:
  CARGO_TARGET_DIR=/work/target-reload cargo build --release
  python3 contrib/bench/reload_bench.py /work/target-reload/release/clusterdns
"""

import argparse
import os
import random
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dnswire import answer_records, skip_name  # noqa: E402
from dnswire import query as _query  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_BINARY = os.path.join(REPO, "..", "target", "release", "clusterdns")

A, SOA = 1, 6


# ------------------------------------------------------------------------------------------
# DNS on the wire


def build_query(qid, name, qtype):
    return _query(qid, name, qtype)


def parse_answer(msg):
    """(id, rcode, [(type, rdata bytes)]) of the answer section."""
    qid, flags = struct.unpack(">HH", msg[:4])
    out = [(t, msg[o : o + n]) for t, o, n in answer_records(msg)]
    return qid, flags & 0x0F, out


def soa_serial(rdata):
    p = skip_name(rdata, 0)
    p = skip_name(rdata, p)
    return struct.unpack(">I", rdata[p : p + 4])[0]


class Client:
    """A blocking UDP client that matches answers to queries by id."""

    def __init__(self, port, timeout=1.0):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.connect(("127.0.0.1", port))
        self.s.settimeout(timeout)
        self.qid = random.randrange(65536)
        self.timeouts = 0

    def ask(self, name, qtype=A):
        """(rcode, answers) or (None, None) on timeout."""
        self.qid = (self.qid + 1) & 0xFFFF
        self.s.send(build_query(self.qid, name, qtype))
        deadline = time.monotonic() + self.s.gettimeout()
        while time.monotonic() < deadline:
            try:
                msg = self.s.recv(4096)
            except socket.timeout:
                break
            qid, rcode, ans = parse_answer(msg)
            if qid == self.qid:
                return rcode, ans
        self.timeouts += 1
        return None, None


# ------------------------------------------------------------------------------------------
# The server


class Server:
    def __init__(self, binary, zones, extra=()):
        cmd = [binary, "--log", "info", "serve", "--zones", zones,
               "--listen", "127.0.0.1:0", *extra]
        env = dict(os.environ, NO_COLOR="1")
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, env=env, text=True)
        self.lines = []
        self.port = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 120 and not (self.ready.is_set() and self.port):
            if self.p.poll() is not None:
                break
            time.sleep(0.01)
        if not self.port:
            self.stop()
            sys.exit("server did not start:\n" + "\n".join(self.lines[-30:]))
        self.startup = time.monotonic() - t0

    def _read(self):
        for line in self.p.stderr:
            line = re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n"))
            if len(self.lines) < 100000:
                self.lines.append(line)
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
            if "watching" in line or "polling" in line:
                self.ready.set()

    def rss_kib(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def hwm_kib(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def write_atomic(path, text):
    """Writes a temporary file next to `path`, then renames it over `path`; returns the
    monotonic time just before the rename."""
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    t = time.monotonic()
    os.rename(tmp, path)
    return t


def header(origin, serial):
    return (f"$TTL 300\n@ IN SOA ns.{origin}. hostmaster.{origin}. ( {serial} 1D 1H 1W 3H )\n"
            f"@ IN NS ns\nns IN A 10.255.255.254\n")


def ip_of(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def wait_noerror(c, name, limit=10.0, qtype=A):
    """Seconds until `name` answers NOERROR with records (None if not within `limit`)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        rcode, ans = c.ask(name, qtype)
        if rcode == 0 and ans:
            return time.monotonic()
        time.sleep(0.0002)
    return None


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


# ------------------------------------------------------------------------------------------
# (a) edit-to-served latency


def bench_latency(binary, work, nodes, edits):
    origin = "cluster.bench"
    path = os.path.join(work, f"{origin}.zone")
    body = "".join(f"node{i:05d} IN A {ip_of(i)}\n" for i in range(1, nodes + 1))
    serial = 2024010100
    with open(path, "w") as f:
        f.write(header(origin, serial) + body)
    srv = Server(binary, work)
    c = Client(srv.port, timeout=0.5)
    lat, missed = [], 0
    extra = ""
    try:
        for e in range(1, edits + 1):
            name = f"edit{e:04d}"
            extra += f"{name} IN A {ip_of(nodes + e)}\n"
            t0 = write_atomic(path, header(origin, serial + e) + body + extra)
            t1 = wait_noerror(c, f"{name}.{origin}")
            if t1 is None:
                missed += 1
            else:
                lat.append((t1 - t0) * 1000)
            time.sleep(0.03)
    finally:
        srv.stop()
    return {"n": len(lat), "missed": missed, "timeouts": c.timeouts, "lat": lat, "median": statistics.median(lat) if lat else None,
            "p99": pct(lat, 99) if lat else None, "max": max(lat) if lat else None,
            "startup": srv.startup}


# ------------------------------------------------------------------------------------------
# (b) a big zone replaced under load


def bench_big(binary, work, records, load_secs):
    origin = "big.bench"
    path = os.path.join(work, f"{origin}.zone")
    t = time.monotonic()
    body = "".join(f"r{i:07d} IN A {ip_of(i)}\n" for i in range(1, records - 2))
    with open(path, "w") as f:
        f.write(header(origin, 1) + body)
    gen = time.monotonic() - t
    srv = Server(binary, work)
    rss0 = srv.rss_kib()
    stop = threading.Event()
    stats = {"queries": 0, "failed": 0, "wrong": 0, "timeouts": 0, "serial_back": 0}

    def hammer():
        c = Client(srv.port, timeout=1.0)
        rnd = random.Random(7)
        best = 0
        t_end = time.monotonic() + load_secs + 60
        while not stop.is_set() and time.monotonic() < t_end:
            stats["queries"] += 1
            if stats["queries"] % 10 == 0:
                rcode, ans = c.ask(origin, SOA)
                if rcode is None:
                    stats["timeouts"] += 1
                elif rcode != 0 or not ans:
                    stats["failed"] += 1
                else:
                    s = soa_serial(ans[0][1])
                    if s < best:
                        stats["serial_back"] += 1
                    best = max(best, s)
                continue
            i = rnd.randrange(1, records - 3)
            rcode, ans = c.ask(f"r{i:07d}.{origin}")
            if rcode is None:
                stats["timeouts"] += 1
            elif rcode != 0 or not ans:
                stats["failed"] += 1
            elif socket.inet_ntoa(ans[0][1]) != ip_of(i):
                stats["wrong"] += 1

    th = threading.Thread(target=hammer, daemon=True)
    th.start()
    time.sleep(1.0)
    # The new version: one more record, a new serial; every existing name keeps its address.
    text = header(origin, 2) + body + "marker IN A 10.254.0.1\n"
    t0 = write_atomic(path, text)
    c = Client(srv.port, timeout=0.5)
    t1 = wait_noerror(c, f"marker.{origin}", limit=60)
    time.sleep(1.0)
    stop.set()
    th.join(70)
    rss1 = srv.rss_kib()
    hwm = srv.hwm_kib()
    reload_line = next((l for l in srv.lines if "reload (change)" in l), "")
    srv.stop()
    m = re.search(r"; ([\d.]+) ms$", reload_line)
    return {"records": records, "served_s": (t1 - t0) if t1 else None,
            "reload_ms": float(m.group(1)) if m else None, "startup": srv.startup, "gen": gen,
            "rss0": rss0, "rss1": rss1, "hwm": hwm, **stats}


# ------------------------------------------------------------------------------------------
# (c) memory over many reloads


def bench_memory(binary, work, reloads):
    origin = "small.bench"
    path = os.path.join(work, f"{origin}.zone")
    body = "".join(f"n{i:02d} IN A {ip_of(i)}\n" for i in range(1, 51))
    with open(path, "w") as f:
        f.write(header(origin, 1) + body)
    srv = Server(binary, work)
    c = Client(srv.port, timeout=0.5)
    rss = {}
    missed = 0
    try:
        for r in range(1, reloads + 1):
            name = f"x{r}"
            write_atomic(path, header(origin, 1 + r) + body + f"{name} IN A {ip_of(r)}\n")
            if wait_noerror(c, f"{name}.{origin}") is None:
                missed += 1
            if r in (10, reloads // 2, reloads):
                rss[r] = srv.rss_kib()
    finally:
        srv.stop()
    return {"reloads": reloads, "missed": missed, "rss": rss}


# ------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", nargs="?", default=DEFAULT_BINARY)
    ap.add_argument("--nodes", type=int, default=10000)
    ap.add_argument("--edits", type=int, default=100)
    ap.add_argument("--big", type=int, default=1000000)
    ap.add_argument("--load-secs", type=float, default=10)
    ap.add_argument("--reloads", type=int, default=1000)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--only", choices=["a", "b", "c"], action="append")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no binary at {binary}; build it with `cargo build --release` and pass its path")
    only = set(args.only or ["a", "b", "c"])
    rows = []
    with tempfile.TemporaryDirectory(prefix="clusterdns-reload-bench-") as tmp:
        if "a" in only:
            d = os.path.join(tmp, "a")
            os.mkdir(d)
            r = bench_latency(binary, d, args.nodes, args.edits)
            if args.verbose:
                print("latencies (ms):", " ".join(f"{x:.0f}" for x in r["lat"]))
            rows.append((f"(a) edit-to-served, {args.nodes}-node zone, {r['n']} edits "
                         f"({r['missed']} missed, {r['timeouts']} query timeouts)",
                         f"median {r['median']:.1f} ms, p99 {r['p99']:.1f} ms, "
                         f"max {r['max']:.1f} ms" if r["n"] else "no edit served"))
        if "b" in only:
            d = os.path.join(tmp, "b")
            os.mkdir(d)
            r = bench_big(binary, d, args.big, args.load_secs)
            served = f"{r['served_s']:.2f} s" if r["served_s"] is not None else "never"
            rows.append((f"(b) {r['records']}-record zone: rename to new data served", served))
            rows.append(("(b) reload itself (read, build, swap; from the log)",
                         f"{r['reload_ms']:.0f} ms" if r["reload_ms"] else "?"))
            rows.append(("(b) queries during the swap: failed / wrong / timeouts / serial back",
                         f"{r['queries']} sent: {r['failed']} / {r['wrong']} / "
                         f"{r['timeouts']} / {r['serial_back']}"))
            rows.append(("(b) first load at startup; VmRSS before -> after, peak",
                         f"{r['startup']:.2f} s; {r['rss0'] // 1024} -> {r['rss1'] // 1024} MiB, "
                         f"{r['hwm'] // 1024} MiB"))
        if "c" in only:
            d = os.path.join(tmp, "c")
            os.mkdir(d)
            r = bench_memory(binary, d, args.reloads)
            rs = ", ".join(f"after {k}: {v} KiB" for k, v in sorted(r["rss"].items()))
            rows.append((f"(c) VmRSS over {r['reloads']} reloads of a 53-record zone "
                         f"({r['missed']} missed)", rs))
    w = max(len(a) for a, _ in rows)
    print(f"| {'measure'.ljust(w)} | result |")
    print(f"|{'-' * (w + 2)}|--------|")
    for a, b in rows:
        print(f"| {a.ljust(w)} | {b} |")


if __name__ == "__main__":
    main()
