#!/usr/bin/env python3
"""Stdlib helpers for contrib/bench/run.sh.

  benchtool.py cpu PID              CPU seconds (utime+stime) of PID and all its descendants
  benchtool.py cpu0                 "busy_s total_s" of cpu0 so far (busy = user+nice+system+irq+softirq+steal)
  benchtool.py busy SECS            busy % of the whole machine over SECS seconds
  benchtool.py mem PID              "vmrss_main_kb pss_tree_kb rss_tree_kb nprocs" (PSS from smaps_rollup)
  benchtool.py kids PID             descendant PIDs
  benchtool.py wait-answer PORT NAME T0_NS LIMIT_S
                                    send an A query for NAME to 127.0.0.1:PORT every 20 ms until an
                                    answer with rcode NOERROR and at least one answer record comes
                                    back (or LIMIT_S passes); prints seconds since T0_NS
                                    (time.time_ns() clock, e.g. `date +%s%N`), exit 1 on timeout
  benchtool.py dnsperf FILE         key=value fields from a dnsperf output file; with -v output it
                                    also computes mean / p50 / p99 / p999 latency of the answered
                                    queries from the per-query lines
  benchtool.py table TSV OUT CMD    the markdown results table (see table())
"""
import os
import re
import socket
import statistics
import struct
import sys
import time

TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    return s[s.rindex(")") + 2:].split()


def _children_map():
    m = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                m.setdefault(int(_stat_fields(d)[1]), []).append(int(d))
            except (OSError, IndexError):
                pass
    return m


def descendants(pid):
    m, out, todo = _children_map(), [], [pid]
    while todo:
        for c in m.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def tree_cpu(pid):
    tot = 0
    for p in [pid] + descendants(pid):
        try:
            f = _stat_fields(p)
            tot += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    return tot / TCK


def cpu0():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu0 "):
                x = [int(v) for v in line.split()[1:9]]
                busy = x[0] + x[1] + x[2] + x[5] + x[6] + x[7]
                return busy / TCK, sum(x) / TCK
    return 0.0, 0.0


def busy(window):
    def tot():
        with open("/proc/stat") as f:
            x = [int(v) for v in f.readline().split()[1:9]]
        return x[0] + x[1] + x[2] + x[5] + x[6] + x[7], sum(x)
    b0, t0 = tot()
    time.sleep(window)
    b1, t1 = tot()
    return (b1 - b0) * 100 / max(1, t1 - t0)


def _status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def mem(pid):
    procs = [pid] + descendants(pid)
    return (_status_kb(pid, "VmRSS"), sum(_pss_kb(p) for p in procs),
            sum(_status_kb(p, "VmRSS") for p in procs), len(procs))


def _query(qid, name):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)  # RD=0
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", 1, 1)


def wait_answer(port, name, t0_ns, limit):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.02)
    deadline = t0_ns / 1e9 + limit
    qid = 0
    while time.time() < deadline:
        qid = (qid + 1) & 0xFFFF
        try:
            s.sendto(_query(qid, name), ("127.0.0.1", port))
            end = time.time() + 0.02
            while time.time() < end:
                data = s.recv(4096)
                if len(data) >= 12:
                    rid, flags, _, an = struct.unpack(">HHHH", data[:8])
                    if rid == qid and flags & 0x8000 and flags & 0xF == 0 and an > 0:
                        print(f"{(time.time_ns() - t0_ns) / 1e9:.3f}")
                        return 0
        except socket.timeout:
            continue
        except OSError:  # ECONNREFUSED (nothing bound yet) and the like
            time.sleep(0.02)
    return 1


def parse_dnsperf(path):
    t = open(path, errors="replace").read()
    r = {}

    def g(key, pat):
        m = re.search(pat, t)
        r[key] = m.group(1) if m else "NA"

    g("sent", r"Queries sent:\s+(\d+)")
    g("completed", r"Queries completed:\s+(\d+)")
    g("lost", r"Queries lost:\s+(\d+)")
    g("qps", r"Queries per second:\s+([\d.]+)")
    g("avg_s", r"Average Latency \(s\):\s+([\d.]+)")
    g("max_s", r"Average Latency \(s\):\s+[\d.]+ \(min [\d.]+, max ([\d.]+)\)")
    g("runtime_s", r"Run time \(s\):\s+([\d.]+)")
    g("resp_bytes", r"Average packet size:\s+request \d+, response (\d+)")
    rc = dict((k, int(v)) for k, v in re.findall(r"([A-Z]+) (\d+) \([\d.]+%\)",
                                                 (re.search(r"Response codes:\s+(.*)", t) or [None, ""])[1] or ""))
    r["noerror"], r["nxdomain"] = rc.get("NOERROR", 0), rc.get("NXDOMAIN", 0)
    r["other_rcodes"] = sum(v for k, v in rc.items() if k not in ("NOERROR", "NXDOMAIN"))
    try:
        r["loss_pct"] = f"{int(r['lost']) * 100 / max(1, int(r['sent'])):.4f}"
    except ValueError:
        r["loss_pct"] = "NA"
    lat = [float(m) for m in re.findall(r"^> \S+ .* ([\d.]+)$", t, re.M)]
    if lat:
        lat.sort()
        pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
        r["lat_n"] = len(lat)
        r["lat_mean_ms"] = f"{statistics.fmean(lat) * 1000:.4f}"
        r["lat_p50_ms"] = f"{pct(0.50):.4f}"
        r["lat_p99_ms"] = f"{pct(0.99):.4f}"
        r["lat_p999_ms"] = f"{pct(0.999):.4f}"
    return r


# ------------------------------------------------------------------ table
# results.tsv rows: server <TAB> metric <TAB> value   (one row per measurement; medians are taken)
COLS = [
    # metric, header, better ("low"/"high"), format
    ("qps_max", "max qps, <0.1% loss", "high", "{:,.0f}"),
    ("lat_mean_ms", "mean latency ms @RATE", "low", "{:.3f}"),
    ("lat_p99_ms", "p99 latency ms @RATE", "low", "{:.3f}"),
    ("cpu_us_10k", "CPU µs/query @RATE, 10k zone (70/20/10 mix)", "low", "{:.2f}"),
    ("cpu_us_1m", "CPU µs/query @RATE, 1M zone (90% A / 10% NX)", "low", "{:.2f}"),
    ("cpu_1m_over_10k", "CPU 1M / 10k zone, same 90/10 mix", "low", "{:.2f}"),
    ("load_s", "1M zone: exec → last record answered, s", "low", "{:.2f}"),
    ("rss_mib", "1M zone: RSS MiB", "low", "{:.0f}"),
]
PEERS = ("bind", "nsd", "knot")


def _num(v):
    try:
        x = float(v)
        return x if x == x else None
    except (TypeError, ValueError):
        return None


def table(tsv, out, cmd):
    data, meta, order = {}, {}, []
    with open(tsv) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 3:
                continue
            s, k, v = p[0], p[1], p[2]
            if s not in order and s != "_":
                order.append(s)
            if k.startswith("meta_"):
                meta.setdefault(s, {})[k[5:]] = v
            elif _num(v) is not None:
                data.setdefault(s, {}).setdefault(k, []).append(float(v))
    med = {s: {k: statistics.median(v) for k, v in m.items()} for s, m in data.items()}
    for s, m in med.items():
        if "cpu_us_1m" in m and m.get("cpu_us_10k_anx", 0) > 0:
            m["cpu_1m_over_10k"] = m["cpu_us_1m"] / m["cpu_us_10k_anx"]
    rate = meta.get("_", {}).get("rate", "?")
    rate_s = f"{int(rate) // 1000}k qps" if rate.isdigit() else rate
    hdr = ["server"] + [h.replace("@RATE", "@ " + rate_s) for _, h, _, _ in COLS]
    lines = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for s in order:
        if s == "_":
            continue
        row = [meta.get(s, {}).get("label", s)]
        for k, _, better, fmt in COLS:
            v = med.get(s, {}).get(k)
            if v is None:
                row.append("–")
                continue
            peers = [med[p][k] for p in PEERS if p in med and k in med[p]]
            cell = fmt.format(v)
            if k == "qps_max" and data.get(s, {}).get("qps_max_lower_bound"):
                cell = "≥" + cell
            if peers:
                best = max(peers) if better == "high" else min(peers)
                if best > 0:
                    cell += f" ({v / best:.2f}×)"
            n = len(data.get(s, {}).get(k, []))
            if n > 1:
                cell += f" [n={n}]" if k not in ("cpu_1m_over_10k",) else ""
            row.append(cell)
        lines.append("| " + " | ".join(row) + " |")
    notes = meta.get("_", {})
    text = "\n".join(lines) + "\n"
    text += ("\n(x×) = ratio to the best of BIND/NSD/Knot in that column (qps: higher is better; "
             "everything else: lower is better). [n=N] = median of N interleaved measurements. "
             "≥ = the server had CPU to spare in the unthrottled probe (dnsperf or other load on the "
             "machine was the limit), so its real maximum is higher.\n")
    for s in order:
        if s != "_" and meta.get(s, {}).get("note"):
            text += f"- {meta[s].get('label', s)}: {meta[s]['note']}\n"
    for k in sorted(notes):
        if k not in ("rate",):
            text += f"- {k}: {notes[k]}\n"
    text = f"Command: `{cmd}`\n\n" + text
    with open(out, "w") as f:
        f.write(text)
    print(text)


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    a = sys.argv[2:]
    if cmd == "cpu":
        print(f"{tree_cpu(int(a[0])):.3f}")
    elif cmd == "cpu0":
        print("%.3f %.3f" % cpu0())
    elif cmd == "busy":
        print(f"{busy(float(a[0])):.0f}")
    elif cmd == "mem":
        print(*mem(int(a[0])))
    elif cmd == "kids":
        print("\n".join(map(str, descendants(int(a[0])))))
    elif cmd == "wait-answer":
        sys.exit(wait_answer(int(a[0]), a[1], int(a[2]), float(a[3])))
    elif cmd == "dnsperf":
        print(" ".join(f"{k}={v}" for k, v in parse_dnsperf(a[0]).items()))
    elif cmd == "table":
        table(a[0], a[1], a[2] if len(a) > 2 else "")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
