#!/usr/bin/env bash
# contrib/bench/tcp_wakeups.sh - who wakes whom over TCP: for clusterdns, NSD and Knot in turn, the
# cross-CPU wake-ups (IPIs), wake-ups and context switches on each CPU while dnsperf offers a
# fixed rate over TCP, the server's CPU per answered query, and (with tcpdump) when each answer
# segment leaves relative to the client's query segments on its connection. 127.0.0.1 only.
#
# Usage: contrib/bench/tcp_wakeups.sh [--bin PATH] [--rate QPS] [--secs S] [--clients N] [--out FILE]
#   --bin      clusterdns binary (default $CLUSTERDNS_BIN, else ${CARGO_TARGET_DIR:-<repo>/target}/release/clusterdns)
#   --rate     dnsperf -Q (default 20000)      --secs  seconds counted per server (default 3)
#   --clients  dnsperf -c (default 20)         --out   report file (default stdout only)
#
# Server on CPU 0 (one thread/worker), dnsperf on CPU 1, the 10k-node zone of gen_zones.py.
# Needs perf (tracepoints sched:sched_wakeup, irq_vectors:call_function_single_entry) and,
# for the segment timing, tcpdump (skipped without it). Every process started is stopped on
# exit; every load is bounded by -l and timeout.
set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=${CLUSTERDNS_BIN:-} RATE=20000 SECS=3 CLIENTS=20 OUT=""
while (( $# )); do
  case $1 in
    --bin) BIN=$2; shift 2 ;; --rate) RATE=$2; shift 2 ;; --secs) SECS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;; --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n $BIN ]] || BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/clusterdns
[[ -x $BIN ]] || { echo "no clusterdns binary at $BIN" >&2; exit 2; }
for t in perf dnsperf dig taskset; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }; done
WORK=$(mktemp -d /tmp/clusterdns-wakeups.XXXXXX)
[[ -n ${KEEP_WORK:-} ]] && echo "work: $WORK" >&2
SP=""
cleanup() {
  [[ -n $SP ]] && kill "$SP" 2>/dev/null && wait "$SP" 2>/dev/null
  pkill -f "nsd -d -c $WORK" 2>/dev/null; pkill -f "knotd -c $WORK" 2>/dev/null
  [[ -n ${KEEP_WORK:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
taskset -p -c 1 $$ >/dev/null 2>&1
python3 "$HERE/gen_zones.py" --out "$WORK/zones" --skip-1m >/dev/null 2>&1 || exit 1
Z=$WORK/zones/10k Q=$WORK/zones/queries/10k-mix.txt PORT=5790
say() { echo "$*"; [[ -n $OUT ]] && echo "$*" >> "$OUT"; return 0; }
[[ -n $OUT ]] && : > "$OUT"

nsd_conf() {
  { echo "server:"; echo "  ip-address: 127.0.0.1@$PORT"; echo "  zonesdir: \"$Z\""; echo "  database: \"\""
    echo "  pidfile: \"$WORK/nsd.pid\""; echo "  xfrdfile: \"$WORK/xfrd.state\""; echo "  username: \"\""
    echo "  server-count: 1"; echo "  rrl-ratelimit: 0"; echo "  zonelistfile: \"$WORK/zone.list\""
    echo "remote-control:"; echo "  control-enable: no"
    for f in "$Z"/*.zone; do b=$(basename "$f"); echo "zone:"; echo "  name: \"${b%.zone}\""; echo "  zonefile: \"$b\""; done
  } > "$WORK/nsd.conf"
}
knot_conf() {
  mkdir -p "$WORK/knot"
  { echo "server:"; echo "  listen: 127.0.0.1@$PORT"; echo "  rundir: \"$WORK/knot\""
    echo "  udp-workers: 1"; echo "  tcp-workers: 1"; echo "  background-workers: 1"
    echo "database:"; echo "  storage: \"$WORK/knot\""; echo "zone:"
    for f in "$Z"/*.zone; do b=$(basename "$f"); echo "  - domain: ${b%.zone}"; echo "    file: \"$f\""
      echo "    zonefile-sync: -1"; echo "    journal-content: none"; done
  } > "$WORK/knot.conf"
}

# Per-CPU count of one event from `perf stat -A` output.
count() { awk -v c="$1" -v e="$2" '$1 == c && $3 == e { gsub(",", "", $2); print $2 }' "$3"; }

for s in clusterdns nsd knot; do
  case $s in
    clusterdns) cmd=("$BIN" serve --zones "$Z" --listen 127.0.0.1:$PORT --threads 1 --no-watch) ;;
    nsd) command -v nsd >/dev/null || continue; nsd_conf; cmd=(nsd -d -c "$WORK/nsd.conf") ;;
    knot) command -v knotd >/dev/null || continue; knot_conf; cmd=(knotd -c "$WORK/knot.conf") ;;
  esac
  taskset -c 0 "${cmd[@]}" >"$WORK/$s.log" 2>&1 &
  SP=$!
  ok=0
  for _ in $(seq 100); do
    dig +short +tcp +time=1 +tries=1 @127.0.0.1 -p $PORT node10000.cluster.test A 2>/dev/null | grep -q . && { ok=1; break; }
    sleep 0.2
  done
  (( ok )) || { say "$s: did not answer"; kill "$SP"; wait "$SP" 2>/dev/null; SP=""; continue; }
  timeout $((SECS + 20)) taskset -c 1 dnsperf -m tcp -s 127.0.0.1 -p $PORT -d "$Q" -c "$CLIENTS" -Q "$RATE" -l $((SECS + 3)) >"$WORK/$s.dnsperf" 2>&1 &
  DP=$!
  sleep 1
  cpu() { local t=0 p; for p in $SP $(pgrep -P "$SP") $(pgrep -P "$(pgrep -P "$SP" | head -1)" 2>/dev/null); do
    [[ -r /proc/$p/stat ]] && t=$((t + $(sed 's/.*) //' /proc/$p/stat | awk '{print $12 + $13}'))); done; echo $t; }
  c0=$(cpu)
  timeout $((SECS + 10)) perf stat -a -A -x ' ' -e sched:sched_wakeup,irq_vectors:call_function_single_entry,context-switches \
    -o "$WORK/$s.perf" -- sleep "$SECS" >/dev/null 2>&1
  c1=$(cpu)
  if command -v tcpdump >/dev/null; then
    timeout 3 tcpdump -i lo -nn -tt "tcp port $PORT" -c 3000 > "$WORK/$s.tcpdump" 2>/dev/null
  fi
  wait "$DP"
  kill "$SP"; wait "$SP" 2>/dev/null; SP=""
  qps=$(awk '/Queries per second/ {print $4}' "$WORK/$s.dnsperf")
  lat=$(awk '/Average Latency/ {print $4; exit}' "$WORK/$s.dnsperf")
  q=$(python3 -c "print(${qps:-0} * $SECS)")
  per() { python3 -c "print('%.3f' % (${1:-0} / max($q, 1)))"; }
  say "== $s: ${qps%.*} qps answered at -Q $RATE -c $CLIENTS, mean latency $(python3 -c "print('%.3f ms' % (${lat:-0} * 1000))")"
  say "   server CPU per query: $(python3 -c "print('%.2f' % (($c1 - $c0) * 1e4 / max($q, 1)))") us (utime+stime ticks over the counted seconds, approximate)"
  for c in CPU0 CPU1; do
    say "   $c per query: IPIs received (call_function_single) $(per "$(count $c irq_vectors:call_function_single_entry "$WORK/$s.perf")"), wake-ups $(per "$(count $c sched:sched_wakeup "$WORK/$s.perf")"), context switches $(per "$(count $c context-switches "$WORK/$s.perf")")"
  done
  if [[ -s $WORK/$s.tcpdump ]]; then
    python3 - "$WORK/$s.tcpdump" "$PORT" <<'EOF' | while read -r line; do say "   $line"; done
import re, sys, collections
port = "." + sys.argv[2]
last_q = {}
gaps = []
for l in open(sys.argv[1]):
    m = re.search(r'^(\d+\.\d+) IP (\S+) > (\S+): .*length (\d+)', l)
    if not m or int(m.group(4)) == 0:
        continue
    t, src, dst = float(m.group(1)), m.group(2), m.group(3)
    if dst.endswith(port):
        last_q[src] = t
    elif dst in last_q:
        gaps.append(t - last_q[dst])
gaps.sort()
n = len(gaps)
if n:
    print("answer segment after the client's latest query segment on its connection: p50 %.1f us, p90 %.1f us (%d answers)"
          % (gaps[n // 2] * 1e6, gaps[int(n * .9)] * 1e6, n))
EOF
  fi
done
