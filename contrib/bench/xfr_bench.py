#!/usr/bin/env python3
"""Zone-transfer figures of issue 12, measured against a release binary and the Debian peers.

python3 stdlib only, plus `named`, `rndc`, `knotd` and `dig` from Debian. Every server it
starts listens on 127.0.0.1 only, in its own temp dir, and is killed at exit; every loop is
bounded in count and time. Nothing is sent anywhere but 127.0.0.1.

  edit      edit -> served on a secondary: clusterdns primary of the 10k zone with BIND, then
            Knot as secondary (NOTIFY from clusterdns); then BIND primary (its defaults, edit +
            `rndc reload ZONE`) with BIND secondary, for contrast. EDITS edits each: a new
            version with a bumped serial and one new A record renamed over the zone file; the
            time from the rename until the secondary answers the new name (UDP poll every
            5 ms, deadline 10 s).
  axfr      AXFR of the 1,000,000-record zone from clusterdns, BIND and Knot serving the same
            file, interleaved, ROUNDS rounds, by a Python TCP client that reads every message
            and counts the records; meanwhile a side thread sends UDP queries to the same
            server (one every 10 ms) and keeps the worst latency.
  ixfr      IXFR of one change to the 1M zone from clusterdns: bytes on the wire and time
            (`dig IXFR=SERIAL` and the Python client).

Usage:
  python3 contrib/bench/xfr_bench.py --binary /work/rel-target/release/clusterdns \
      --zone10k /tmp/bench/zones/10k/cluster.test.zone \
      --zone1m /tmp/bench/zones/1m/big.test.zone --out /tmp/xfr-results.json [PARTS...]
"""

import argparse
import atexit
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dnswire import answer_records, encode_name, skip_name  # noqa: E402
from dnswire import query as _query  # noqa: E402

A, SOA, IXFR, AXFR = 1, 6, 251, 252
PROCS = []
TMPDIRS = []


# ------------------------------------------------------------------------------------------
# processes and dirs


def cleanup():
    for p in PROCS:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in PROCS:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=5)
    PROCS.clear()
    if not os.environ.get("XFR_BENCH_KEEP"):
        for d in TMPDIRS:
            shutil.rmtree(d, ignore_errors=True)


atexit.register(cleanup)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def spawn(args, log):
    f = open(log, "ab")
    p = subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    PROCS.append(p)
    return p


def stop(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=5)
    PROCS.remove(p)


def tempdir(tag):
    d = tempfile.mkdtemp(prefix=f"xfr-bench-{tag}-")
    TMPDIRS.append(d)
    return d


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(100):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port")


# ------------------------------------------------------------------------------------------
# DNS on the wire


def build_query(qid, name, qtype, authority=b"", nscount=0):
    return _query(qid, name, qtype, authority=authority, nscount=nscount)


def records(msg):
    """[(type, rdata offset, rdlength)] of the answer section."""
    return answer_records(msg)


def soa_serial(msg, off):
    p = skip_name(msg, skip_name(msg, off))
    return struct.unpack(">I", msg[p : p + 4])[0]


def udp_ask(port, name, qtype, timeout=1.0):
    """(rcode, answer records, message) or None on timeout."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        qid = int.from_bytes(os.urandom(2), "big")
        s.sendto(build_query(qid, name, qtype), ("127.0.0.1", port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg, _ = s.recvfrom(65535)
            except socket.timeout:
                return None
            if struct.unpack(">H", msg[:2])[0] == qid:
                return msg[3] & 0xF, records(msg), msg
        return None
    finally:
        s.close()


def serial_at(port, zone):
    r = udp_ask(port, zone, SOA, 0.5)
    if r and r[0] == 0:
        for t, off, _ in r[1]:
            if t == SOA:
                return soa_serial(r[2], off)
    return None


def wait_for(pred, deadline_s, what, step=0.05):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(step)
    raise RuntimeError(f"timed out after {deadline_s}s waiting for {what}")


class Poller:
    """Polls one name over UDP every 5 ms on one socket until it answers with an A record."""

    def __init__(self, port):
        self.port = port
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.connect(("127.0.0.1", port))
        self.qid = 0

    def wait_served(self, name, deadline_s=10.0, interval=0.005):
        """Seconds until `name` A answered with data (from the call), or None at the deadline."""
        t0 = time.perf_counter()
        end = t0 + deadline_s
        while time.perf_counter() < end:
            self.qid = (self.qid + 1) & 0xFFFF
            self.s.send(build_query(self.qid, name, A))
            tick = time.perf_counter() + interval
            while True:
                left = tick - time.perf_counter()
                if left <= 0:
                    break
                r, _, _ = select.select([self.s], [], [], left)
                if not r:
                    break
                try:
                    msg = self.s.recv(65535)
                except OSError:
                    break
                if struct.unpack(">H", msg[:2])[0] != self.qid:
                    continue
                if msg[3] & 0xF == 0 and any(t == A for t, _, _ in records(msg)):
                    return time.perf_counter() - t0
            left = tick - time.perf_counter()
            if left > 0:
                time.sleep(left)
        return None


# ------------------------------------------------------------------------------------------
# servers


def start_clusterdns(binary, zones, port, log, extra=()):
    args = [binary, "serve", "--zones", zones, "--listen", f"127.0.0.1:{port}",
            "--threads", "1", "--allow-transfer", "127.0.0.0/8", "--log", "info", *extra]
    return spawn(args, log), args


def named_conf(d, port, zones, extra_options="", controls=None):
    ctl = "controls { };"
    if controls:
        ctl = (f'key "rndc-key" {{ algorithm hmac-sha256; secret "{controls[1]}"; }};\n'
               f'controls {{ inet 127.0.0.1 port {controls[0]} allow {{ 127.0.0.1; }} '
               f'keys {{ "rndc-key"; }}; }};')
    conf = (
        f'options {{ directory "{d}"; pid-file "{d}/named.pid"; session-keyfile "{d}/s.key";\n'
        f"  listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};\n"
        f"  recursion no; {extra_options} }};\n{ctl}\n{zones}\n"
    )
    path = os.path.join(d, "named.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path, conf


def start_named(d, conf_path):
    args = ["named", "-g", "-n", "1", "-c", conf_path]
    return spawn(args, os.path.join(d, "named.log")), args


def knot_conf(d, port, zone_block, remotes="", acls=""):
    conf = (
        f'server:\n    rundir: "{d}"\n    listen: 127.0.0.1@{port}\n'
        f'control:\n    listen: "{d}/knot.sock"\n'
        f"log:\n  - target: stderr\n    any: info\n"
        f'database:\n    storage: "{d}"\n'
        f"{remotes}{acls}"
        f'template:\n  - id: default\n    storage: "{d}"\n'
        f"zone:\n{zone_block}"
    )
    path = os.path.join(d, "knot.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path, conf


def start_knot(d, conf_path):
    args = ["knotd", "-c", conf_path]
    return spawn(args, os.path.join(d, "knot.log")), args


# ------------------------------------------------------------------------------------------
# part 1: edit -> served on a secondary

SERIAL_RE = re.compile(r"^(\s*)(\d+)(\s*;\s*serial)", re.M)


class Editor:
    """Writes new versions of a zone file (serial bumped, one more A record) by rename.

    The new version is written next to clusterdns's zone directory, not in it: a 1M-record
    zone file written as a temp file inside the watched directory and renamed over the zone
    (as `sed -i` does) lost the edit in the binary first measured (the rename's event came while
    the rescan started by the temp file was still reading the old file, and was dropped), so
    every temp file here is written outside it (a rename from there is the same edit)."""

    def __init__(self, path, base_text, base_serial, tmpdir):
        self.path = path
        self.tmpdir = tmpdir
        self.base = base_text
        self.serial = base_serial
        self.added = []

    def edit(self, i, after_rename=None):
        self.serial += 1
        host = f"edit{i:03d}"
        self.added.append(f"{host}\tIN\tA\t10.9.{i // 250}.{i % 250 + 1}\n")
        text = SERIAL_RE.sub(lambda m: f"{m.group(1)}{self.serial}{m.group(3)}", self.base, 1)
        text += "".join(self.added)
        tmp = os.path.join(self.tmpdir, ".edit.tmp")
        with open(tmp, "w") as f:
            f.write(text)
        t0 = time.perf_counter()
        os.rename(tmp, self.path)
        if after_rename:
            after_rename()
        return host, t0


def run_edits(editor, zone, sec_port, edits, pause, after_rename=None):
    poll = Poller(sec_port)
    lat, missed = [], 0
    for i in range(1, edits + 1):
        host, t0 = editor.edit(i, after_rename)
        d = poll.wait_served(f"{host}.{zone}", 10.0)
        if d is None:
            missed += 1
        else:
            lat.append(time.perf_counter() - t0)  # from the rename, rndc included for BIND
        time.sleep(pause)  # let the secondary settle before the next edit
    return lat, missed


def summary(lat, missed):
    if not lat:
        return {"n": 0, "missed": missed}
    s = sorted(lat)
    p99 = s[min(len(s) - 1, max(0, int(round(0.99 * len(s) + 0.5)) - 1))]
    return {
        "n": len(s), "missed": missed,
        "median_ms": round(statistics.median(s) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "min_ms": round(s[0] * 1000, 1), "max_ms": round(s[-1] * 1000, 1),
    }


def part_edit(a, res):
    zone = "cluster.test"
    with open(a.zone10k) as f:
        base = f.read()
    base_serial = int(SERIAL_RE.search(base).group(2))
    out = res.setdefault("edit", {})

    for sec in a.secondaries.split():
        zd = tempdir(f"edit-cdns-{sec}")
        zones = os.path.join(zd, "zones")
        os.mkdir(zones)
        zpath = os.path.join(zones, f"{zone}.zone")
        shutil.copy(a.zone10k, zpath)
        p_port, s_port = free_port(), free_port()
        cd, cd_args = start_clusterdns(a.binary, zones, p_port, os.path.join(zd, "clusterdns.log"),
                                       ["--also-notify", f"127.0.0.1:{s_port}"])
        wait_for(lambda: serial_at(p_port, zone) == base_serial, 60, "clusterdns to serve")
        sd = tempdir(f"edit-sec-{sec}")
        if sec == "bind":
            conf, text = named_conf(
                sd, s_port,
                f'zone "{zone}" {{ type secondary; primaries port {p_port} {{ 127.0.0.1; }}; '
                f'file "sec.db"; }};', "notify no;")
            sp, sargs = start_named(sd, conf)
        else:
            # "knot-leaf": a Knot secondary with no secondaries of its own, told so
            # (`block-notify-after-transfer: on`): it then plans no NOTIFY of its own after each
            # transfer, the event whose whole-second timer holds back a refresh asked for by a
            # NOTIFY arriving in the same second (see docs/bench/transfers.md).
            leaf = "    block-notify-after-transfer: on\n" if sec == "knot-leaf" else ""
            conf, text = knot_conf(
                sd, s_port,
                f'  - domain: {zone}\n    master: primary\n    acl: notify\n'
                f'    file: "{sd}/sec.zone"\n',
                f"remote:\n  - id: primary\n    address: 127.0.0.1@{p_port}\n{leaf}",
                "acl:\n  - id: notify\n    address: 127.0.0.1\n    action: notify\n")
            sp, sargs = start_knot(sd, conf)
        wait_for(lambda: serial_at(s_port, zone) == base_serial, 60, f"{sec} secondary AXFR")
        ed = Editor(zpath, base, base_serial, zd)
        lat, missed = run_edits(ed, zone, s_port, a.edits, a.pause)
        out[f"clusterdns->{sec}"] = {
            **summary(lat, missed), "samples_ms": [round(x * 1000, 1) for x in lat],
            "primary_cmd": " ".join(cd_args), "secondary_cmd": " ".join(sargs),
            "secondary_conf": text,
        }
        print(f"edit clusterdns->{sec}: {summary(lat, missed)}", flush=True)
        stop(sp)
        stop(cd)

    if a.bind_edits == 0:
        return
    # BIND primary with its defaults (notify-delay 5 s, rndc reload needed) -> BIND secondary.
    # `notify explicit` + also-notify: the default `notify yes` would also notify the NS
    # record's address (ns1.cluster.test = 10.0.255.1), which nothing here may send to.
    pd = tempdir("edit-bindp")
    zpath = os.path.join(pd, f"{zone}.db")
    shutil.copy(a.zone10k, zpath)
    p_port, s_port, c_port = free_port(), free_port(), free_port()
    secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="
    pconf, ptext = named_conf(
        pd, p_port, f'zone "{zone}" {{ type primary; file "{zone}.db"; }};',
        f"notify explicit; also-notify {{ 127.0.0.1 port {s_port}; }}; "
        f"allow-transfer {{ 127.0.0.1; }};",
        controls=(c_port, secret))
    pp, pargs = start_named(pd, pconf)
    keyfile = os.path.join(pd, "rndc.key")
    with open(keyfile, "w") as f:
        f.write(f'key "rndc-key" {{ algorithm hmac-sha256; secret "{secret}"; }};\n')
    wait_for(lambda: serial_at(p_port, zone) == base_serial, 60, "BIND primary")
    sd = tempdir("edit-binds")
    sconf, stext = named_conf(
        sd, s_port,
        f'zone "{zone}" {{ type secondary; primaries port {p_port} {{ 127.0.0.1; }}; '
        f'file "sec.db"; }};', "notify no;")
    sp, sargs = start_named(sd, sconf)
    wait_for(lambda: serial_at(s_port, zone) == base_serial, 60, "BIND secondary AXFR")
    rndc = ["rndc", "-k", keyfile, "-s", "127.0.0.1", "-p", str(c_port), "reload", zone]

    def reload():
        subprocess.run(rndc, check=True, stdout=subprocess.DEVNULL, timeout=30)

    ed = Editor(zpath, base, base_serial, pd)
    lat, missed = run_edits(ed, zone, s_port, a.bind_edits, a.pause, reload)
    out["bind->bind"] = {
        **summary(lat, missed), "samples_ms": [round(x * 1000, 1) for x in lat],
        "primary_cmd": " ".join(pargs), "reload_cmd": " ".join(rndc),
        "secondary_cmd": " ".join(sargs), "primary_conf": ptext, "secondary_conf": stext,
    }
    print(f"edit bind->bind: {summary(lat, missed)}", flush=True)
    stop(sp)
    stop(pp)


# ------------------------------------------------------------------------------------------
# part 2: AXFR of the 1M zone


def axfr(port, zone, qtype=AXFR, authority=b"", nscount=0, expected=None, timeout=120.0):
    """(records, messages, bytes, seconds, first serial) of one transfer over TCP.

    With `expected` (the record count of an earlier, fully parsed transfer) only the framing
    and ANCOUNT of each message are read while the clock runs, so that the client does not
    bound the rate; the last message is then parsed to check that it closes with the SOA.
    Without it every record is parsed and the transfer ends at the closing SOA."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        q = build_query(0x4242, zone, qtype, authority, nscount)
        t0 = time.perf_counter()
        s.sendall(struct.pack(">H", len(q)) + q)
        buf = bytearray()
        nrec = nmsg = nbytes = soas = 0
        first_serial = last = None
        done = False
        end = time.monotonic() + timeout
        while not done:
            if time.monotonic() > end:
                raise RuntimeError("transfer took too long")
            chunk = s.recv(1 << 20)
            if not chunk:
                raise RuntimeError(f"connection closed after {nrec} records")
            buf += chunk
            p = 0
            while not done and len(buf) - p >= 2:
                ln = (buf[p] << 8) | buf[p + 1]
                if len(buf) - p - 2 < ln:
                    break
                msg = bytes(buf[p + 2 : p + 2 + ln])
                p += 2 + ln
                nmsg += 1
                nbytes += 2 + ln
                if msg[3] & 0xF:
                    raise RuntimeError(f"rcode {msg[3] & 0xF} from port {port}")
                an = struct.unpack(">H", msg[6:8])[0]
                nrec += an
                if expected is not None and nmsg > 1:
                    done = nrec >= expected
                    last = msg
                    continue
                recs = records(msg)
                for t, off, _ in recs:
                    if t == SOA:
                        soas += 1
                        ser = soa_serial(msg, off)
                        first_serial = ser if first_serial is None else first_serial
                        last_serial = ser
                if nmsg == 1 and qtype == IXFR and an == 1:
                    done = True  # the client is current: the single SOA
                elif soas >= 2 and recs and recs[-1][0] == SOA and last_serial == first_serial:
                    done = expected is None or nrec >= expected
                last = msg
            del buf[:p]
        secs = time.perf_counter() - t0
        if records(last)[-1][0] != SOA:
            raise RuntimeError("transfer did not close with the SOA")
        if expected is not None and nrec != expected:
            raise RuntimeError(f"{nrec} records, expected {expected}")
        return nrec, nmsg, nbytes, secs, first_serial
    finally:
        s.close()


class SideQueries(threading.Thread):
    """UDP queries to the server every 10 ms while a transfer runs; keeps the worst latency."""

    def __init__(self, port, name):
        super().__init__(daemon=True)
        self.port, self.name = port, name
        self.stop_ev = threading.Event()
        self.lat, self.lost = [], 0

    def run(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("127.0.0.1", self.port))
        s.settimeout(2.0)
        qid = 0
        end = time.monotonic() + 300
        while not self.stop_ev.is_set() and time.monotonic() < end:
            qid = (qid + 1) & 0xFFFF
            t0 = time.perf_counter()
            s.send(build_query(qid, self.name, A))
            try:
                while True:
                    msg = s.recv(65535)
                    if struct.unpack(">H", msg[:2])[0] == qid:
                        break
                if msg[3] & 0xF != 0:
                    self.lost += 1
                else:
                    self.lat.append(time.perf_counter() - t0)
            except socket.timeout:
                self.lost += 1
            time.sleep(0.01)
        s.close()


def part_axfr(a, res):
    zone = "big.test"
    out = res.setdefault("axfr", {})
    servers = {}

    d = tempdir("axfr-cdns")
    zones = os.path.join(d, "zones")
    os.mkdir(zones)
    shutil.copy(a.zone1m, os.path.join(zones, f"{zone}.zone"))
    port = free_port()
    t0 = time.monotonic()
    p, args = start_clusterdns(a.binary, zones, port, os.path.join(d, "clusterdns.log"))
    servers["clusterdns"] = (port, " ".join(args), p)
    cd_dir = d

    d = tempdir("axfr-bind")
    shutil.copy(a.zone1m, os.path.join(d, f"{zone}.db"))
    port = free_port()
    conf, text = named_conf(d, port, f'zone "{zone}" {{ type primary; file "{zone}.db"; }};',
                            "notify no; allow-transfer { 127.0.0.1; };")
    p, args = start_named(d, conf)
    servers["bind"] = (port, " ".join(args) + "\n" + text, p)

    d = tempdir("axfr-knot")
    shutil.copy(a.zone1m, os.path.join(d, f"{zone}.zone"))
    port = free_port()
    conf, text = knot_conf(
        d, port, f'  - domain: {zone}\n    file: "{d}/{zone}.zone"\n    acl: xfr\n',
        "", "acl:\n  - id: xfr\n    address: 127.0.0.1\n    action: transfer\n")
    p, args = start_knot(d, conf)
    servers["knot"] = (port, " ".join(args) + "\n" + text, p)

    for name, (port, _, _) in servers.items():
        wait_for(lambda: serial_at(port, zone) == 2024010101, 300, f"{name} to load 1M zone",
                 step=0.5)
        print(f"{name} serving big.test after {time.monotonic() - t0:.1f}s", flush=True)

    expected = {}
    for name, (port, _, _) in servers.items():
        expected[name] = axfr(port, zone)[0]  # untimed, fully parsed: the record count
    print(f"records per full transfer: {expected}", flush=True)
    if len(set(expected.values())) != 1:
        print(f"WARNING: servers disagree on the record count: {expected}", flush=True)
        res["axfr_count_mismatch"] = expected
    rounds = {n: [] for n in servers}
    for r in range(a.rounds):
        for name, (port, _, _) in servers.items():
            side = SideQueries(port, f"h{123 + r:07d}.{zone}")
            side.start()
            time.sleep(0.05)
            nrec, nmsg, nbytes, secs, _ = axfr(port, zone, expected=expected[name])
            side.stop_ev.set()
            side.join()
            row = {
                "records": nrec, "messages": nmsg, "bytes": nbytes, "seconds": round(secs, 3),
                "rps": round(nrec / secs), "side_queries": len(side.lat) + side.lost,
                "side_lost": side.lost,
                "side_worst_ms": round(max(side.lat) * 1000, 2) if side.lat else None,
                "side_median_ms": round(statistics.median(side.lat) * 1000, 2)
                if side.lat else None,
            }
            rounds[name].append(row)
            print(f"axfr round {r + 1} {name}: {row}", flush=True)
            time.sleep(1)
    for name, (port, cmd, _) in servers.items():
        best = max(x["rps"] for x in rounds[name])
        med = statistics.median(x["rps"] for x in rounds[name])
        out[name] = {"rounds": rounds[name], "best_rps": best, "median_rps": med, "cmd": cmd}
    fastest_peer = max(out[n]["median_rps"] for n in ("bind", "knot"))
    out["ratio_clusterdns_to_fastest_peer"] = round(out["clusterdns"]["median_rps"]
                                                    / fastest_peer, 2)
    # dig AXFR for reference (one each), timed as a whole.
    for name, (port, _, _) in servers.items():
        cmd = ["dig", "@127.0.0.1", "-p", str(port), zone, "AXFR", "+noall", "+stats"]
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        out[name]["dig_seconds"] = round(time.perf_counter() - t, 3)
        m = re.search(r"XFR size: (\d+) records \(messages (\d+), bytes (\d+)\)", r.stdout)
        out[name]["dig_xfr_size"] = m.group(0) if m else r.stdout[-300:]
        out[name]["dig_cmd"] = " ".join(cmd)
        print(f"dig {name}: {out[name]['dig_seconds']}s {out[name]['dig_xfr_size']}", flush=True)

    for name in ("bind", "knot"):
        stop(servers[name][2])
    if "ixfr" in a.parts:
        part_ixfr(a, res, servers["clusterdns"][0], cd_dir)
    stop(servers["clusterdns"][2])


# ------------------------------------------------------------------------------------------
# part 3: IXFR of one change to the 1M zone


def part_ixfr(a, res, port, d):
    zone = "big.test"
    out = res.setdefault("ixfr", {})
    zpath = os.path.join(d, "zones", f"{zone}.zone")
    with open(zpath) as f:
        text = f.read()
    old = int(SERIAL_RE.search(text).group(2))
    new = old + 1
    text = SERIAL_RE.sub(lambda m: f"{m.group(1)}{new}{m.group(3)}", text, 1)
    text = text.replace("h0000500\tIN\tA\t10.0.1.244\n", "h0000500\tIN\tA\t10.9.9.9\n", 1)
    tmp = os.path.join(d, ".edit.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    t0 = time.monotonic()
    os.rename(tmp, zpath)
    wait_for(lambda: serial_at(port, zone) == new, 120, "clusterdns to reload the 1M zone",
             step=0.1)
    out["reload_seconds"] = round(time.monotonic() - t0, 2)
    r = udp_ask(port, f"h0000500.{zone}", A)
    out["changed_record_served"] = bool(r and r[0] == 0 and any(
        t == A and r[2][off : off + 4] == bytes([10, 9, 9, 9]) for t, off, _ in r[1]))

    # The client's SOA in the authority section, as RFC 1995 says.
    soa = (encode_name(zone) + struct.pack(">HHIH", SOA, 1, 0, 22) + b"\x00\x00"
           + struct.pack(">IIIII", old, 0, 0, 0, 0))
    runs = []
    for _ in range(5):
        nrec, nmsg, nbytes, secs, _ = axfr(port, zone, IXFR, soa, 1)
        runs.append({"records": nrec, "messages": nmsg, "bytes_on_wire": nbytes,
                     "ms": round(secs * 1000, 2)})
    out["python_client"] = runs
    cmd = ["dig", "@127.0.0.1", "-p", str(port), zone, f"IXFR={old}"]
    digs = []
    for _ in range(5):
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        wall = time.perf_counter() - t
        m = re.search(r"XFR size: (\d+) records \(messages (\d+), bytes (\d+)\)", r.stdout)
        q = re.search(r"Query time: (\d+) msec", r.stdout)
        digs.append({"xfr_size": m.group(0) if m else None,
                     "query_time_ms": int(q.group(1)) if q else None,
                     "wall_ms": round(wall * 1000, 1)})
    out["dig_cmd"] = " ".join(cmd)
    out["dig"] = digs
    out["dig_output"] = r.stdout
    print(f"ixfr: {json.dumps(out, indent=1)}", flush=True)


# ------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="/work/rel-target/release/clusterdns")
    ap.add_argument("--zone10k", default="/tmp/bench/zones/10k/cluster.test.zone")
    ap.add_argument("--zone1m", default="/tmp/bench/zones/1m/big.test.zone")
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--bind-edits", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pause", type=float, default=0.2, help="seconds between served and next edit")
    ap.add_argument("--secondaries", default="bind knot",
                    help="secondaries of clusterdns in the edit part (subset of 'bind knot knot-leaf')")
    ap.add_argument("--out", default="xfr-results.json")
    ap.add_argument("parts", nargs="*", default=["edit", "axfr", "ixfr"])
    a = ap.parse_args()
    a.edits = min(a.edits, 500)
    a.bind_edits = min(a.bind_edits, 500)
    a.rounds = min(a.rounds, 10)
    a.pause = min(max(a.pause, 0.0), 10.0)
    res = {"machine": {"nproc": os.cpu_count(), "uname": platform.uname()._asdict(),
                       "loadavg_start": os.getloadavg()}, "started": time.ctime()}
    try:
        if "edit" in a.parts:
            part_edit(a, res)
        if "axfr" in a.parts:
            part_axfr(a, res)
    finally:
        res["machine"]["loadavg_end"] = os.getloadavg()
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)
        print(f"results in {a.out}")


if __name__ == "__main__":
    main()
