#!/usr/bin/env python3
"""Benchmark inputs for contrib/bench/run.sh (python3 stdlib only, deterministic).

Usage: gen_zones.py --out DIR [--nodes 10000] [--big 1000000] [--queries 200000]
                    [--big-queries 100000] [--seed 42] [--skip-10k] [--skip-1m]

Writes (every zone file is named <origin>.zone):
  DIR/10k/cluster.test.zone         N (10,000) nodes nodeNNNNN -> 10.0.x.y, plus NS, CNAMEs, SRVs
  DIR/10k/0.10.in-addr.arpa.zone    the PTRs of those nodes
  DIR/1m/big.test.zone              1,000,000 A records hNNNNNNN.big.test
  DIR/queries/10k-mix.txt           dnsperf input: 70% A hits, 20% PTR hits, 10% NXDOMAIN (shuffled)
  DIR/queries/1m-mix.txt            dnsperf input for big.test: 90% A hits, 10% NXDOMAIN (shuffled)
  DIR/queries/10k-anx.txt           the same 90% A hits / 10% NXDOMAIN mix for cluster.test, so that
                                    CPU/query on the 1M zone and on the 10k zone compare like with like

The 10k zones, 10k-mix.txt and big.test.zone are byte-identical to what the team's shared
bench generator (shared/bench/gen_zones.py, seed 42) writes, so results stay comparable; this
copy exists so that the benchmark runs where shared/ is not present (CI, users).
All addresses are data only: nothing here ever contacts them.
"""
import argparse
import os
import random
import sys

SERIAL0 = 2024010101
CL = "cluster.test"
BIG = "big.test"


def soa(ttl, mname, rname, origin):
    return [
        f"$ORIGIN {origin}.",
        f"$TTL {ttl}",
        f"@\tIN\tSOA\t{mname} {rname} (",
        f"\t\t{SERIAL0}\t; serial",
        "\t\t3600\t\t; refresh",
        "\t\t1800\t\t; retry",
        "\t\t604800\t\t; expire",
        "\t\t86400 )\t\t; minimum",
    ]


def write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines))
        f.write("\n")
    os.replace(path + ".tmp", path)


def node_ip(i):
    """node i (1-based) -> 10.0.x.y, y in 1..250"""
    return f"10.0.{(i - 1) // 250}.{(i - 1) % 250 + 1}"


def gen_10k(out, n, total, rng):
    assert 1 <= n <= 250 * 255
    width = max(5, len(str(n)))

    def name(i):
        return f"node{i:0{width}d}"

    fwd = soa(3600, f"ns1.{CL}.", f"hostmaster.{CL}.", CL)
    fwd += ["@\t\tIN\tNS\tns1", "ns1\t\tIN\tA\t10.0.255.1"]
    for alias, i in (("namenode", 1), ("resourcemanager", 2), ("zk1", 3), ("zk2", 4), ("zk3", 5)):
        fwd.append(f"{alias}\tIN\tCNAME\t{name(i)}")
    for i in (3, 4, 5):
        fwd.append(f"_zookeeper._tcp\tIN\tSRV\t0 10 2181 {name(i)}")
    fwd.append(f"_namenode._tcp\tIN\tSRV\t0 10 8020 {name(1)}")
    fwd += [f"{name(i)}\tIN\tA\t{node_ip(i)}" for i in range(1, n + 1)]
    write(os.path.join(out, "10k", f"{CL}.zone"), fwd)

    rev = soa(3600, f"ns1.{CL}.", f"hostmaster.{CL}.", "0.10.in-addr.arpa")
    rev.append(f"@\t\tIN\tNS\tns1.{CL}.")
    for i in range(1, n + 1):
        _, _, c, e = node_ip(i).split(".")
        rev.append(f"{e}.{c}\tIN\tPTR\t{name(i)}.{CL}.")
    write(os.path.join(out, "10k", "0.10.in-addr.arpa.zone"), rev)

    # queries: the same random sequence as the shared generator (A, then PTR, then NX, shuffled)
    n_a, n_ptr = total * 70 // 100, total * 20 // 100
    q = [f"{name(rng.randint(1, n))}.{CL} A" for _ in range(n_a)]
    for _ in range(n_ptr):
        _, _, c, e = node_ip(rng.randint(1, n)).split(".")
        q.append(f"{e}.{c}.0.10.in-addr.arpa PTR")
    q += [f"nx{rng.randint(0, 99999999):08d}.{CL} A" for _ in range(total - n_a - n_ptr)]
    rng.shuffle(q)
    write(os.path.join(out, "queries", "10k-mix.txt"), q)


def gen_1m(out, n):
    path = os.path.join(out, "1m", f"{BIG}.zone")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    width = max(7, len(str(n)))
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(soa(3600, f"ns1.{BIG}.", f"hostmaster.{BIG}.", BIG)))
        f.write("\n@\t\tIN\tNS\tns1\nns1\t\tIN\tA\t10.255.255.254\n")
        for start in range(1, n + 1, 50000):
            f.write("".join(f"h{i:0{width}d}\tIN\tA\t10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}\n"
                            for i in range(start, min(n, start + 49999) + 1)))
    os.replace(path + ".tmp", path)
    return f"h{n:0{width}d}.{BIG}"


def gen_1m_queries(out, n, total, rng):
    width = max(7, len(str(n)))
    n_hit = total * 90 // 100
    q = [f"h{rng.randint(1, n):0{width}d}.{BIG} A" for _ in range(n_hit)]
    q += [f"nx{rng.randint(0, 99999999):08d}.{BIG} A" for _ in range(total - n_hit)]
    rng.shuffle(q)
    write(os.path.join(out, "queries", "1m-mix.txt"), q)


def gen_10k_anx(out, n, total, rng):
    width = max(5, len(str(n)))
    n_hit = total * 90 // 100
    q = [f"node{rng.randint(1, n):0{width}d}.{CL} A" for _ in range(n_hit)]
    q += [f"nx{rng.randint(0, 99999999):08d}.{CL} A" for _ in range(total - n_hit)]
    rng.shuffle(q)
    write(os.path.join(out, "queries", "10k-anx.txt"), q)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--nodes", type=int, default=10000)
    ap.add_argument("--big", type=int, default=1000000)
    ap.add_argument("--queries", type=int, default=200000, help="lines in 10k-mix.txt")
    ap.add_argument("--big-queries", type=int, default=100000, help="lines in 1m-mix.txt")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--skip-10k", action="store_true", help="only the 1M zone and its queries")
    ap.add_argument("--skip-1m", action="store_true", help="only the 10k zones and their queries")
    ap.add_argument("--only-extra-queries", action="store_true",
                    help="only queries/1m-mix.txt and queries/10k-anx.txt (not in the shared generator)")
    a = ap.parse_args()
    if a.only_extra_queries:
        gen_1m_queries(a.out, a.big, a.big_queries, random.Random(a.seed + 1))
        gen_10k_anx(a.out, a.nodes, a.big_queries, random.Random(a.seed + 2))
        return
    if not a.skip_10k:
        gen_10k(a.out, a.nodes, a.queries, random.Random(a.seed))
        gen_10k_anx(a.out, a.nodes, a.big_queries, random.Random(a.seed + 2))
    if not a.skip_1m:
        last = gen_1m(a.out, a.big)
        gen_1m_queries(a.out, a.big, a.big_queries, random.Random(a.seed + 1))
        print(f"last record: {last}", file=sys.stderr)


if __name__ == "__main__":
    main()
