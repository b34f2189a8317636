#!/usr/bin/env python3
"""Hostile-input and synthesized-PTR figures (issues 10 and 14), clusterdns against NSD/Knot/BIND.

python3 stdlib only; builds nothing; 127.0.0.0/8 only; every load loop bounded in count and
time; every server started here is killed (by its own process group) at exit.

Usage:
  python3 contrib/bench/hostile.py [--bin PATH] [--zones DIR] [--examples DIR] CASE...
  CASE: keepalive | rrl | memory | autoptr | all

  --bin       clusterdns release binary (default $CLUSTERDNS_BIN, else /work/rel-target/release/clusterdns)
  --zones     the 10k-node zones of /tmp/bench/gen_zones.py (cluster.test.zone, 0.10.in-addr.arpa.zone)
  --examples  peer start wrappers `X.sh ZONEDIR PORT` (nsd.sh, knot.sh) (default /tmp/bench/examples)
  --work      scratch directory (default: a new mktemp dir, removed at the end)

Cases:
  keepalive  1,100 TCP connections from 127.0.0.2-221 (5 per address) each send one query every
             8 s and reconnect 0.5 s after the server closes one (not with --no-reconnect; 60 s in all); from t=15 s, 30 new clients (127.0.0.225-254,
             one a second) each try one query over TCP with a 2 s timeout. Answered count for
             clusterdns (default settings), NSD and Knot (the example wrappers, defaults).
  rrl        one source (127.0.0.1, one UDP port) sends 2,000 q/s for 10 s of `node00001.cluster.test
             A` (no EDNS) to clusterdns --rrl-responses-per-second 5, BIND rate-limit
             responses-per-second 5, NSD rrl-ratelimit 5, Knot mod-rrl rate-limit 5 (slip 2 for all:
             BIND's, NSD's and clusterdns's default; Knot's default is 1); bytes received / bytes
             sent (reflection factor), answers, TC=1 slips.
  memory     `check` and `serve` on the 10k cluster zone extended with 512 MiB of NUL bytes, and on a
             zone with three `$GENERATE 1-10000000` lines (30M records, over the default 10M cap):
             seconds to reject and peak RSS (/usr/bin/time -v); serve also gets the good reverse zone
             and must keep answering it.
  autoptr    the 10k-node zone + 256 reverse zones X.0.10.in-addr.arpa (the /16 10.0.0.0/16 split
             at /24) from a TOML config: SOA+NS files with auto_ptr = true, versus the same files
             with explicit PTRs; time from exec to answering the PTR of the last node, and RSS after
             load; 5 rounds interleaved; 200 sampled addresses answered identically by both.
"""

import argparse
import os
import random
import re
import selectors
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
from dnswire import query as _query  # noqa: E402
from dnswire import skip_name  # noqa: E402

A, NS, SOA, PTR = 1, 2, 6, 12
PROCS = []


# ------------------------------------------------------------------------------------------
# DNS on the wire

def query(qid, name, qtype):
    return _query(qid & 0xFFFF, name, qtype)


def header(msg):
    """(id, flags, rcode, ancount) of a DNS message."""
    qid, flags, _qd, an, _ns, _ar = struct.unpack(">HHHHHH", msg[:12])
    return qid, flags, flags & 0xF, an


def read_name(msg, off):
    labels, jumps = [], 0
    while True:
        n = msg[off]
        if n == 0:
            return ".".join(labels) + "."
        if n & 0xC0 == 0xC0:
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumps += 1
            if jumps > 20:
                raise ValueError("loop")
            continue
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace").lower())
        off += n + 1


def answers(msg):
    """[(type, ttl, rdata-text)] of the answer section (PTR targets decoded)."""
    _id, _fl, _rc, an = header(msg)
    off = skip_name(msg, 12) + 4
    out = []
    for _ in range(an):
        off = skip_name(msg, off)
        t, _c, ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rd = read_name(msg, off) if t in (PTR, NS) else msg[off:off + rdlen].hex()
        out.append((t, ttl, rd))
        off += rdlen
    return out


def udp_ask(port, name, qtype, timeout=0.2, src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((src, 0))
        s.settimeout(timeout)
        qid = random.randrange(65536)
        s.sendto(query(qid, name, qtype), ("127.0.0.1", port))
        while True:
            m, _ = s.recvfrom(65535)
            if len(m) >= 12 and header(m)[0] == qid:
                return m
    except OSError:
        return None
    finally:
        s.close()


def tcp_ask(port, name, qtype, src, timeout):
    """One query over a new TCP connection from src; the answer or None (timeout, reset)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.bind((src, 0))
        deadline = time.monotonic() + timeout
        s.connect(("127.0.0.1", port))
        q = query(random.randrange(65536), name, qtype)
        s.sendall(struct.pack(">H", len(q)) + q)
        buf = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            s.settimeout(left)
            d = s.recv(65537)
            if not d:
                return None
            buf += d
            if len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
                return buf[2:2 + struct.unpack(">H", buf[:2])[0]]
    except OSError:
        return None
    finally:
        s.close()


# ------------------------------------------------------------------------------------------
# processes

def free_port():
    for _ in range(200):
        p = random.randrange(20000, 40000)
        ok = True
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return p
    raise RuntimeError("no free port")


def start(argv, log, **kw):
    f = open(log, "wb")
    p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, start_new_session=True, **kw)
    PROCS.append(p)
    return p


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
    if p in PROCS:
        PROCS.remove(p)


def kill_all():
    for p in list(PROCS):
        stop(p, signal.SIGKILL)


def wait_ready(port, name, limit=60.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        m = udp_ask(port, name, SOA, 0.1)
        if m is not None and header(m)[2] == 0 and header(m)[3] > 0:
            return True
        time.sleep(0.05)
    return False


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def machine_note():
    """Load average and how many compilers run now (other engineers' builds)."""
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() in ("rustc", "cc1", "ld", "cargo", "clippy-driver"):
                        n += 1
            except OSError:
                pass
    with open("/proc/loadavg") as f:
        la = " ".join(f.read().split()[:3])
    return f"load {la}, {n} compiler processes"


# ------------------------------------------------------------------------------------------
# peers

def nsd_conf(w, zd, port, extra=""):
    lines = ["server:", f"  ip-address: 127.0.0.1@{port}", f'  zonesdir: "{zd}"', '  database: ""',
             f'  pidfile: "{w}/nsd.pid"', f'  xfrdfile: "{w}/xfrd.state"', '  username: ""',
             "  server-count: 1", f'  zonelistfile: "{w}/zone.list"', extra,
             "remote-control:", "  control-enable: no"]
    for f in sorted(os.listdir(zd)):
        if f.endswith(".zone"):
            lines += ["zone:", f'  name: "{f[:-5]}"', f'  zonefile: "{f}"']
    path = os.path.join(w, "nsd.conf")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return ["nsd", "-d", "-c", path]


def knot_conf(w, zd, port, rrl=None):
    lines = ["server:", f"  listen: 127.0.0.1@{port}", f'  rundir: "{w}"', "  background-workers: 1",
             "  udp-workers: 1", "  tcp-workers: 1", "database:", f'  storage: "{w}"']
    if rrl:
        lines += ["mod-rrl:", "  - id: default", f"    rate-limit: {rrl}", "    slip: 2"]
    lines += ["template:", "  - id: default", f'    storage: "{zd}"', "    zonefile-sync: -1",
              "    journal-content: none", "    zonefile-load: whole"]
    if rrl:
        lines += ["    global-module: mod-rrl/default"]
    lines += ["zone:"]
    for f in sorted(os.listdir(zd)):
        if f.endswith(".zone"):
            lines += [f'  - domain: "{f[:-5]}"', f'    file: "{f}"']
    path = os.path.join(w, "knot.conf")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return ["knotd", "-c", path]


def bind_conf(w, zd, port, rrl):
    lines = [f'options {{ directory "{zd}"; listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};'
             f' recursion no; notify no; minimal-responses yes; pid-file "{w}/named.pid";'
             f" rate-limit {{ responses-per-second {rrl}; }}; }};"]
    for f in sorted(os.listdir(zd)):
        if f.endswith(".zone"):
            lines.append(f'zone "{f[:-5]}" {{ type primary; file "{f}"; }};')
    path = os.path.join(w, "named.conf")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return ["named", "-g", "-c", path, "-n", "1"]


# ------------------------------------------------------------------------------------------
# 1. keepalive flood

def keepalive_run(port, n_conns=1100, per_addr=5, period=8.0, total=60.0, legit=30, legit_from=15.0, reconnect=True):
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    end = t0 + total
    conns = {}  # sock -> dict
    stats = {"connects": 0, "closed_by_server": 0, "connect_fail": 0, "answers": 0, "sent": 0}
    q = query(1, "node00001.cluster.test", A)
    frame = struct.pack(">H", len(q)) + q
    srcs = [f"127.0.0.{2 + i // per_addr}" for i in range(n_conns)]
    pending = []  # (time, slot) reconnects

    def connect(slot, phase):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((srcs[slot], 0))
            s.connect_ex(("127.0.0.1", port))
        except OSError:
            s.close()
            stats["connect_fail"] += 1
            pending.append((time.monotonic() + 1.0, slot))
            return
        stats["connects"] += 1
        conns[s] = {"slot": slot, "next": time.monotonic() + phase, "buf": b""}
        sel.register(s, selectors.EVENT_READ)

    def drop(s, by_server):
        info = conns.pop(s)
        sel.unregister(s)
        s.close()
        if by_server:
            stats["closed_by_server"] += 1
        if reconnect:
            pending.append((time.monotonic() + 0.5, info["slot"]))

    for slot in range(n_conns):
        connect(slot, random.uniform(0, period))
        if slot % 100 == 99:
            time.sleep(0.02)

    results, threads, open_at_probe = [], [], []

    def probe(i):
        t = time.monotonic()
        m = tcp_ask(port, "node00002.cluster.test", A, f"127.0.0.{225 + i}", 2.0)
        ok = m is not None and header(m)[2] == 0 and header(m)[3] > 0
        results.append((ok, time.monotonic() - t))

    next_probe = t0 + legit_from
    probes = 0
    while time.monotonic() < end:
        now = time.monotonic()
        if probes < legit and now >= next_probe:
            open_at_probe.append(len(conns))
            th = threading.Thread(target=probe, args=(probes,))
            th.start()
            threads.append(th)
            probes += 1
            next_probe += 1.0
        for s, info in list(conns.items()):
            if now >= info["next"]:
                info["next"] = now + period
                try:
                    s.send(frame)
                    stats["sent"] += 1
                except BlockingIOError:
                    pass
                except OSError:
                    drop(s, True)
        for ev, _ in sel.select(timeout=0.05):
            s = ev.fileobj
            if s not in conns:
                continue
            try:
                d = s.recv(65537)
            except BlockingIOError:
                continue
            except OSError:
                drop(s, True)
                continue
            if not d:
                drop(s, True)
                continue
            info = conns[s]
            info["buf"] += d
            while len(info["buf"]) >= 2:
                ln = struct.unpack(">H", info["buf"][:2])[0]
                if len(info["buf"]) < 2 + ln:
                    break
                info["buf"] = info["buf"][2 + ln:]
                stats["answers"] += 1
        now = time.monotonic()
        due = [x for x in pending if x[0] <= now]
        if due:
            pending[:] = [x for x in pending if x[0] > now]
            for _, slot in due:
                connect(slot, random.uniform(0, 1.0))
    for th in threads:
        th.join(5)
    for s in list(conns):
        sel.unregister(s)
        s.close()
    conns.clear()
    sel.close()
    answered = sum(1 for ok, _ in results if ok)
    lat = sorted(t for ok, t in results if ok)
    return {
        "answered": answered, "tried": len(results),
        "median_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
        "attacker_open_median": int(statistics.median(open_at_probe)) if open_at_probe else 0,
        **stats,
    }


def case_keepalive(args, work, out):
    zd = os.path.join(work, "ka-zones")
    os.makedirs(zd, exist_ok=True)
    for f in ("cluster.test.zone", "0.10.in-addr.arpa.zone"):
        shutil.copy(os.path.join(args.zones, f), zd)
    rows = []
    for name in ("clusterdns", "nsd", "knot"):
        port = free_port()
        w = tempfile.mkdtemp(dir=work)
        if name == "clusterdns":
            argv = [args.bin, "serve", "--zones", zd, "--listen", f"127.0.0.1:{port}", "--log", "warn"]
        else:
            argv = ["bash", os.path.join(args.examples, f"{name}.sh"), zd, str(port)]
        cmd = " ".join(argv)
        p = start(argv, os.path.join(w, "log"))
        try:
            if not wait_ready(port, "cluster.test"):
                rows.append((name, None, cmd))
                continue
            note = machine_note()
            r = keepalive_run(port, reconnect=not args.no_reconnect)
            r["note"] = note
            r["rss_mb"] = round(status_kb(p.pid, "VmHWM") / 1024, 1) if name == "clusterdns" else None
            rows.append((name, r, cmd))
            print(name, r, flush=True)
        finally:
            stop(p)
    mode = "attackers do not reconnect" if args.no_reconnect else "attackers reconnect"
    out.append(f"## 1. Keepalive flood (issue 10 defect 1), {mode}\n")
    out.append("1,100 TCP connections from 127.0.0.2-127.0.0.221 (5 per address) each send one "
               "`node00001.cluster.test A` every 8 s (phases random), reconnecting 0.5 s after "
               "the server closes one (unless --no-reconnect); 60 s in all. From t=15 s, one new client a second "
               "(127.0.0.225-254, 30 in all) connects and sends one query with a 2 s deadline "
               "(connect + answer).\n")
    out.append("| server | new clients answered | median answer ms | attacker conns open (median at probes) "
               "| attacker connects | closed by server | attacker answers | machine |")
    out.append("|---|---|---|---|---|---|---|---|")
    for name, r, _cmd in rows:
        if r is None:
            out.append(f"| {name} | did not start | | | | | | |")
            continue
        out.append(f"| {name} | **{r['answered']} / {r['tried']}** | {r['median_ms']} | {r['attacker_open_median']} "
                   f"| {r['connects']} | {r['closed_by_server']} | {r['answers']} | {r['note']} |")
    out.append("\nCommands (ZONEDIR = copies of the 10k zones):\n")
    for name, _r, cmd in rows:
        out.append(f"- {name}: `{cmd}`")
    out.append("")


# ------------------------------------------------------------------------------------------
# 2. RRL on a one-source flood

def flood(port, rate=2000, secs=10.0, name="node00001.cluster.test", qtype=A):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.setblocking(False)
    total = int(rate * secs)
    sent = sent_bytes = got = got_bytes = tc = full = 0
    t0 = time.monotonic()
    dest = ("127.0.0.1", port)

    def drain():
        nonlocal got, got_bytes, tc, full
        while True:
            try:
                m = s.recv(65535)
            except BlockingIOError:
                return
            got += 1
            got_bytes += len(m)
            if len(m) >= 12:
                _i, fl, _rc, an = header(m)
                if fl & 0x0200:
                    tc += 1
                elif an > 0:
                    full += 1

    while sent < total and time.monotonic() < t0 + secs + 5:
        due = min(total, int((time.monotonic() - t0) * rate) + 1)
        while sent < due:
            q = query(sent, name, qtype)
            try:
                s.sendto(q, dest)
                sent += 1
                sent_bytes += len(q)
            except BlockingIOError:
                break
        drain()
        time.sleep(0.002)
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        drain()
        time.sleep(0.01)
    s.close()
    return {"sent": sent, "sent_bytes": sent_bytes, "got": got, "got_bytes": got_bytes, "tc": tc,
            "full": full, "secs": round(time.monotonic() - t0 - 1.0, 2)}


def case_rrl(args, work, out):
    zd = os.path.join(work, "rrl-zones")
    os.makedirs(zd, exist_ok=True)
    for f in ("cluster.test.zone", "0.10.in-addr.arpa.zone"):
        shutil.copy(os.path.join(args.zones, f), zd)
    rows = []
    for name in ("clusterdns", "clusterdns (RRL off)", "bind", "nsd", "knot"):
        port = free_port()
        w = tempfile.mkdtemp(dir=work)
        if name == "clusterdns":
            argv = [args.bin, "serve", "--zones", zd, "--listen", f"127.0.0.1:{port}", "--log", "warn",
                    "--rrl-responses-per-second", "5"]
        elif name.startswith("clusterdns"):
            argv = [args.bin, "serve", "--zones", zd, "--listen", f"127.0.0.1:{port}", "--log", "warn"]
        elif name == "bind":
            argv = bind_conf(w, zd, port, 5)
        elif name == "nsd":
            argv = nsd_conf(w, zd, port, "  rrl-ratelimit: 5\n  rrl-slip: 2")
        else:
            argv = knot_conf(w, zd, port, rrl=5)
        p = start(argv, os.path.join(w, "log"))
        try:
            # readiness with a different source prefix (127.0.9.x) so the flood's budget is fresh
            ok = False
            end = time.monotonic() + 60
            while time.monotonic() < end and not ok:
                m = udp_ask(port, "cluster.test", SOA, 0.1, src="127.0.9.1")
                ok = m is not None and header(m)[3] > 0
                time.sleep(0.05)
            if not ok:
                rows.append((name, None, argv, w))
                continue
            note = machine_note()
            r = flood(port)
            r["note"] = note
            rows.append((name, r, argv, w))
            print(name, r, flush=True)
        finally:
            stop(p)
    out.append("## 2. RRL on a one-source flood (issue 10)\n")
    out.append("One UDP socket on 127.0.0.1 sends `node00001.cluster.test A` (no EDNS, 40-byte "
               "queries) at 2,000 q/s for 10 s (20,000 queries), reading answers as they come and for "
               "1 s after. Rate limit 5 responses/s, slip 2 everywhere (BIND, NSD and clusterdns "
               "default to slip 2, Knot's default is 1 and is set to 2 here); window: BIND and "
               "clusterdns default 15 s, NSD and Knot have none. Reflection = bytes received / bytes sent.\n")
    out.append("| server | queries sent | responses | full answers | TC=1 slips | bytes sent | bytes received | reflection factor | machine |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for name, r, _argv, _w in rows:
        if r is None:
            out.append(f"| {name} | did not start | | | | | | | |")
            continue
        fac = r["got_bytes"] / r["sent_bytes"] if r["sent_bytes"] else 0
        out.append(f"| {name} | {r['sent']} | {r['got']} | {r['full']} | {r['tc']} | {r['sent_bytes']} | "
                   f"{r['got_bytes']} | **{fac:.3f}** | {r['note']} |")
    out.append("\nCommands and configs:\n")
    for name, _r, argv, w in rows:
        out.append(f"- {name}: `{' '.join(argv)}`")
        for cf in ("named.conf", "nsd.conf", "knot.conf"):
            path = os.path.join(w, cf)
            if os.path.exists(path):
                with open(path) as fh:
                    txt = fh.read()
                # the zone list is long-winded: keep the server part
                keep = txt.split("zone:")[0] if cf != "named.conf" else txt.split("\nzone")[0]
                out.append("\n```\n" + keep.strip() + "\n(zone list: the two zones)\n```")
    out.append("")


# ------------------------------------------------------------------------------------------
# 3. memory peak on oversized input

def time_v(path):
    r = {}
    try:
        with open(path, errors="replace") as f:
            txt = f.read()
    except OSError:
        return r
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", txt)
    if m:
        r["maxrss_mb"] = round(int(m.group(1)) / 1024, 1)
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", txt)
    if m:
        parts = [float(x) for x in m.group(1).split(":")]
        sec = 0.0
        for x in parts:
            sec = sec * 60 + x
        r["wall_s"] = round(sec, 2)
    m = re.search(r"Exit status: (\d+)", txt)
    if m:
        r["exit"] = int(m.group(1))
    return r


def first_error(path, pat):
    try:
        with open(path, "rb") as f:
            for raw in f:
                line = raw.decode("utf-8", "replace").rstrip()
                if re.search(pat, line):
                    return line[:300]
    except OSError:
        pass
    return ""


def case_memory(args, work, out):
    base = os.path.join(work, "mem")
    cases = []
    # (a) 512 MiB of NUL bytes after the 10k cluster zone
    d1 = os.path.join(base, "nul")
    os.makedirs(d1)
    f1 = os.path.join(d1, "cluster.test.zone")
    shutil.copy(os.path.join(args.zones, "cluster.test.zone"), f1)
    subprocess.run(["truncate", "-s", f"+{512 * 1024 * 1024}", f1], check=True)
    cases.append(("10k zone + 512 MiB NUL", d1, f1, "cluster.test"))
    # (b) three $GENERATE lines of 10M records each
    d2 = os.path.join(base, "gen")
    os.makedirs(d2)
    f2 = os.path.join(d2, "gen.test.zone")
    with open(f2, "w") as fh:
        fh.write("$ORIGIN gen.test.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 3600 1800 604800 86400\n"
                 "@ IN NS ns1\nns1 IN A 10.0.255.1\n"
                 "$GENERATE 1-10000000 a$ A 10.1.0.1\n"
                 "$GENERATE 1-10000000 b$ A 10.2.0.1\n"
                 "$GENERATE 1-10000000 c$ A 10.3.0.1\n")
    cases.append(("three $GENERATE 1-10000000 (30M records)", d2, f2, "gen.test"))
    rows = []
    for label, d, f, origin in cases:
        size = os.path.getsize(f)
        # check
        tv = os.path.join(work, f"time-check-{origin}")
        log = os.path.join(work, f"check-{origin}.log")
        argv = ["/usr/bin/time", "-v", "-o", tv, args.bin, "check", f]
        p = start(argv, log)
        try:
            p.wait(timeout=300)
        except subprocess.TimeoutExpired:
            pass
        stop(p, signal.SIGKILL)
        r = time_v(tv)
        r["msg"] = first_error(log, r"(?i)error|exceed|limit|too|more than|rejected")
        r["note"] = machine_note()
        rows.append((label, "check", size, r, " ".join(argv[4:])))
        print(label, "check", r, flush=True)
        # serve, with the good reverse zone next to it
        shutil.copy(os.path.join(args.zones, "0.10.in-addr.arpa.zone"), d)
        port = free_port()
        tv = os.path.join(work, f"time-serve-{origin}")
        log = os.path.join(work, f"serve-{origin}.log")
        argv = ["/usr/bin/time", "-v", "-o", tv, args.bin, "serve", "--zones", d, "--listen",
                f"127.0.0.1:{port}", "--no-watch"]
        t0 = time.monotonic()
        p = start(argv, log)
        rejected_at = None
        other_ok = False
        refused = None
        hwm_at_reject = None
        try:
            end = t0 + 300
            while time.monotonic() < end and p.poll() is None:
                if rejected_at is None and first_error(log, rf"(?i){re.escape(os.path.basename(f))}.*(error|exceed|limit|too)|(ERROR|error).*{re.escape(origin)}"):
                    rejected_at = time.monotonic() - t0
                if rejected_at is not None:
                    m = udp_ask(port, "0.10.in-addr.arpa", SOA, 0.2)
                    other_ok = m is not None and header(m)[2] == 0 and header(m)[3] > 0
                    if other_ok:
                        m2 = udp_ask(port, origin, SOA, 0.2)
                        refused = header(m2)[2] if m2 else None
                        kids = [int(x) for x in open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()]
                        hwm_at_reject = round(status_kb(kids[0], "VmHWM") / 1024, 1) if kids else None
                        break
                time.sleep(0.02)
        finally:
            # SIGTERM to clusterdns alone, so /usr/bin/time (its parent) writes its report
            try:
                for k in open(f"/proc/{p.pid}/task/{p.pid}/children").read().split():
                    os.kill(int(k), signal.SIGTERM)
                p.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                pass
            stop(p)
        r = time_v(tv)
        r["reject_s"] = round(rejected_at, 2) if rejected_at is not None else None
        r["other_zone_served"] = other_ok
        r["rcode_for_bad_zone"] = refused
        r["hwm_mb"] = hwm_at_reject
        r["msg"] = first_error(log, r"(?i)error")
        r["note"] = machine_note()
        rows.append((label, "serve", size, r, " ".join(argv[4:])))
        print(label, "serve", r, flush=True)
        os.remove(f)
    shutil.rmtree(base, ignore_errors=True)
    out.append("## 3. Memory peak on oversized input (issue 10 defect 8), release binary\n")
    out.append("`check` runs to its exit; `serve` gets the bad zone plus the good 10k reverse zone "
               "(`0.10.in-addr.arpa`) in its directory: time from exec until the rejection is logged, "
               "then the good zone must answer, then SIGTERM. Peak RSS from `/usr/bin/time -v` "
               "(Maximum resident set size, whole run).\n")
    out.append("| input | command | file bytes | exit | seconds to reject | peak RSS MiB | good zone served | rcode for the bad zone | machine |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    rc_name = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED", None: "-"}
    for label, cmd, size, r, _argv in rows:
        if cmd == "check":
            out.append(f"| {label} | check | {size} | {r.get('exit')} | {r.get('wall_s')} | **{r.get('maxrss_mb')}** | | | {r['note']} |")
        else:
            out.append(f"| {label} | serve | {size} | (SIGTERM) | {r.get('reject_s')} | **{r.get('maxrss_mb')}** | "
                       f"{'yes' if r['other_zone_served'] else 'NO'} | {rc_name.get(r['rcode_for_bad_zone'], r['rcode_for_bad_zone'])} | {r['note']} |")
    out.append("\nMessages (first matching line of the output, cut at 300 characters):\n")
    for label, cmd, _size, r, argv in rows:
        out.append(f"- {label}, `{argv}`:\n  `{r.get('msg', '')}`")
    out.append("\nThe `$GENERATE` zone:\n\n```\n$ORIGIN gen.test.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 3600 1800 604800 86400\n"
               "@ IN NS ns1\nns1 IN A 10.0.255.1\n$GENERATE 1-10000000 a$ A 10.1.0.1\n"
               "$GENERATE 1-10000000 b$ A 10.2.0.1\n$GENERATE 1-10000000 c$ A 10.3.0.1\n```\n"
               "The NUL file: `cp cluster.test.zone; truncate -s +536870912 cluster.test.zone` (deleted after).\n")


# ------------------------------------------------------------------------------------------
# 4. auto_ptr over a /16 split into 256 reverse zones

SOA_HEAD = ("$TTL 3600\n@ IN SOA ns1.cluster.test. hostmaster.cluster.test. 2024010101 3600 1800 604800 86400\n"
            "@ IN NS ns1.cluster.test.\n")


def case_autoptr(args, work, out, rounds=5):
    fwd = os.path.join(args.zones, "cluster.test.zone")
    addrs = []  # (ip, name)
    with open(fwd) as fh:
        for line in fh:
            p = line.split()
            if len(p) >= 4 and p[2] == "A" and p[1] == "IN":
                addrs.append((p[3], p[0] + ".cluster.test."))
    sets = {}
    for mode in ("auto", "explicit"):
        d = os.path.join(work, "ptr-" + mode)
        os.makedirs(d)
        shutil.copy(fwd, d)
        by_zone = {x: [] for x in range(256)}
        for ip, n in addrs:
            o = ip.split(".")
            if o[0] == "10" and o[1] == "0":
                by_zone[int(o[2])].append((int(o[3]), n))
        conf = ['[[zone]]\nname = "cluster.test"\nfile = "cluster.test.zone"\n']
        for x in range(256):
            zn = f"{x}.0.10.in-addr.arpa"
            with open(os.path.join(d, zn + ".zone"), "w") as fh:
                fh.write(SOA_HEAD)
                if mode == "explicit":
                    for last, n in by_zone[x]:
                        fh.write(f"{last} IN PTR {n}\n")
            conf.append(f'[[zone]]\nname = "{zn}"\nfile = "{zn}.zone"\n' + ("auto_ptr = true\n" if mode == "auto" else ""))
        cf = os.path.join(d, "clusterdns.toml")
        with open(cf, "w") as fh:
            fh.write("\n".join(conf))
        sets[mode] = (d, cf)
    last_ip, last_name = max(addrs, key=lambda a: tuple(int(x) for x in a[0].split(".")) if a[0].startswith("10.0.") else (0,))
    node_last = [a for a in addrs if a[1].startswith("node10000.")]
    if node_last:
        last_ip, last_name = node_last[0]
    last_q = ".".join(reversed(last_ip.split("."))) + ".in-addr.arpa"
    res = {m: [] for m in sets}
    same = None
    for rnd in range(rounds):
        for mode in (("auto", "explicit") if rnd % 2 == 0 else ("explicit", "auto")):
            d, cf = sets[mode]
            port = free_port()
            argv = [args.bin, "serve", "--config", cf, "--listen", f"127.0.0.1:{port}", "--no-watch", "--log", "warn"]
            note = machine_note()
            t0 = time.monotonic()
            p = start(argv, os.path.join(work, f"ptr-{mode}-{rnd}.log"))
            t_ans = None
            try:
                end = t0 + 120
                while time.monotonic() < end and p.poll() is None:
                    m = udp_ask(port, last_q, PTR, 0.05)
                    if m is not None and header(m)[2] == 0 and header(m)[3] > 0:
                        t_ans = time.monotonic() - t0
                        break
                    time.sleep(0.002)
                time.sleep(0.3)
                rss = status_kb(p.pid, "VmRSS")
                hwm = status_kb(p.pid, "VmHWM")
                if rnd == 0 and t_ans is not None:
                    rng = random.Random(7)
                    sample = rng.sample(addrs, min(200, len(addrs)))
                    sample += [("10.0.200.9", None), ("10.0.41.1", None)]
                    got = []
                    for ip, _n in sample:
                        q = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
                        m = udp_ask(port, q, PTR, 0.5)
                        got.append((header(m)[2], header(m)[3], answers(m)) if m else None)
                    if same is None:
                        same = got
                    else:
                        same = (same == got, sum(1 for g in got if g and g[0] == 0 and g[1] > 0))
            finally:
                stop(p)
            res[mode].append((t_ans, rss, hwm, note))
            print(mode, rnd, t_ans, rss, hwm, flush=True)
    out.append("## 4. Issue 14: auto_ptr over a /16 split into 256 reverse zones\n")
    out.append(f"Forward zone: the 10k-node `cluster.test` ({len(addrs)} A records, addresses 10.0.0.1-10.0.40.x "
               "and ns1 10.0.255.1). Reverse: the /16 10.0.0.0/16 split at /24 into 256 zones "
               "`X.0.10.in-addr.arpa` (X = 0..255), each a file, one TOML `[[zone]]` table each plus one "
               "for the forward zone. **auto**: every reverse file holds SOA+NS only, `auto_ptr = true`. "
               f"**explicit**: the same files with the {len(addrs)} PTRs written out, no auto_ptr. "
               f"Time from exec until `{last_q} PTR` (node10000, {last_name}) is answered "
               "(UDP polling every ~2 ms); RSS 0.3 s after that. Rounds interleaved.\n")
    out.append("| round | auto: exec to last PTR s | auto: RSS MiB (HWM) | explicit: exec to last PTR s | explicit: RSS MiB (HWM) | machine |")
    out.append("|---|---|---|---|---|---|")
    for i in range(rounds):
        a, e = res["auto"][i], res["explicit"][i]
        fmt = lambda x: f"{x:.3f}" if x is not None else "not answered"
        out.append(f"| {i + 1} | {fmt(a[0])} | {a[1] / 1024:.1f} ({a[2] / 1024:.1f}) | {fmt(e[0])} | "
                   f"{e[1] / 1024:.1f} ({e[2] / 1024:.1f}) | {a[3]} |")
    med = {}
    for mode in res:
        ts = [x[0] for x in res[mode] if x[0] is not None]
        med[mode] = (statistics.median(ts) if ts else None, statistics.median([x[1] for x in res[mode]]) / 1024)
    out.append(f"| median | {med['auto'][0]:.3f} | {med['auto'][1]:.1f} | {med['explicit'][0]:.3f} | {med['explicit'][1]:.1f} | |")
    if isinstance(same, tuple):
        out.append(f"\nSame answers (rcode, answer count, PTR targets and TTLs) from both for 200 sampled node "
                   f"addresses plus 10.0.200.9 and 10.0.41.1 (no node): **{'yes' if same[0] else 'NO'}** "
                   f"({same[1]} of them answered with a PTR by the explicit set).")
    out.append("\nCommand: `clusterdns serve --config DIR/clusterdns.toml --listen 127.0.0.1:PORT --no-watch --log warn`; "
               "config: `[[zone]] name = \"cluster.test\" file = \"cluster.test.zone\"` then 256 times "
               "`[[zone]] name = \"X.0.10.in-addr.arpa\" file = \"X.0.10.in-addr.arpa.zone\" auto_ptr = true` "
               "(explicit: without `auto_ptr`). Reverse file: `$TTL 3600`, SOA, NS (explicit: + `Y IN PTR nodeNNNNN.cluster.test.`).\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("CLUSTERDNS_BIN", "/work/rel-target/release/clusterdns"))
    ap.add_argument("--zones", default="/tmp/bench/zones/10k")
    ap.add_argument("--examples", default="/tmp/bench/examples")
    ap.add_argument("--work")
    ap.add_argument("--no-reconnect", action="store_true",
                    help="keepalive: a connection the server closes is not re-opened (default: re-opened after 0.5 s)")
    ap.add_argument("--out", help="append the markdown here (default: stdout)")
    ap.add_argument("cases", nargs="+", choices=["keepalive", "rrl", "memory", "autoptr", "all"])
    args = ap.parse_args()
    cases = ["keepalive", "rrl", "memory", "autoptr"] if "all" in args.cases else args.cases
    work = args.work or tempfile.mkdtemp(prefix="clusterdns-hostile.")
    os.makedirs(work, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    out = [f"<!-- hostile.py {' '.join(cases)} at {time.strftime('%Y-%m-%d %H:%M:%S')}; {machine_note()} -->\n"]
    try:
        for c in cases:
            {"keepalive": case_keepalive, "rrl": case_rrl, "memory": case_memory, "autoptr": case_autoptr}[c](args, work, out)
    finally:
        kill_all()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
        text = "\n".join(out) + "\n"
        if args.out:
            with open(args.out, "a") as fh:
                fh.write(text)
        print(text)


if __name__ == "__main__":
    main()
