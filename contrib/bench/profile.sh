#!/usr/bin/env bash
# contrib/bench/profile.sh - where clusterdns spends its time serving the 10k-node cluster zone.
#
# Usage: contrib/bench/profile.sh [--bin PATH] [--rate QPS] [--secs S] [--cg-queries N] [--out DIR]
#   --bin         clusterdns binary (default $CLUSTERDNS_BIN, else ${CARGO_TARGET_DIR:-<repo>/target}/release/clusterdns;
#                 build it with debug info, as the release profile does, to get function names)
#   --rate        dnsperf offered rate during the perf sample (default 50000)
#   --secs        perf sampling seconds (default 10)
#   --cg-queries  queries sent to the server running under callgrind (default 20000, at 2000 qps)
#   --out DIR     where reports go (default: a new /tmp/clusterdns-profile.XXXXXX, kept)
#
# Two views, both with the server on CPU 0 (--threads 1) and dnsperf on CPU 1, 127.0.0.1 only:
#   1. perf record -e cpu-clock (a software clock: works in VMs without hardware counters) on the
#      server's process while dnsperf offers --rate qps of the 70% A / 20% PTR / 10% NXDOMAIN mix;
#      reports the share of samples in the kernel vs clusterdns, and the top symbols.
#      Skipped when `perf` cannot sample.
#   2. valgrind --tool=callgrind: the server's instruction count (user space only: valgrind cannot
#      see the kernel) between `callgrind_control --zero` after start-up and `--dump` after a
#      bounded dnsperf run; instructions per answered query and the top functions (inclusive and
#      self). Skipped when valgrind is missing.
# Every process started is stopped on exit; every load is bounded in count and time.
set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TOOL="python3 $HERE/benchtool.py"
BIN=${CLUSTERDNS_BIN:-} RATE=50000 SECS=10 CGQ=20000 OUT=""
while (( $# )); do
  case $1 in
    --bin) BIN=$2; shift 2 ;; --rate) RATE=$2; shift 2 ;; --secs) SECS=$2; shift 2 ;;
    --cg-queries) CGQ=$2; shift 2 ;; --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n $BIN ]] || BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/clusterdns
[[ -x $BIN ]] || { echo "no clusterdns binary at $BIN" >&2; exit 2; }
[[ -n $OUT ]] || OUT=$(mktemp -d /tmp/clusterdns-profile.XXXXXX)
mkdir -p "$OUT"
taskset -p -c 1 $$ >/dev/null 2>&1
PIDS=()
stop() {
  local p=$1 i
  kill -TERM "$p" 2>/dev/null
  for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  return 0
}
cleanup() { local p; for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && stop "$p"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

python3 "$HERE/gen_zones.py" --out "$OUT/zones" --skip-1m 2>/dev/null || exit 1
Q=$OUT/zones/queries/10k-mix.txt
PORT=5490
while ss -Hlnu "sport = :$PORT" | grep -q .; do PORT=$((PORT + 1)); (( PORT < 5499 )) || exit 1; done
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

# ------------------------------------------------------------------ 1. perf
if perf record -e cpu-clock -o "$OUT/perf.test" true >/dev/null 2>&1; then
  T0=$(date +%s%N)
  taskset -c 0 "$BIN" serve --zones "$OUT/zones/10k" --listen 127.0.0.1:$PORT --threads 1 --no-watch >"$OUT/server.perf.log" 2>&1 &
  SP=$!; PIDS+=("$SP")
  $TOOL wait-answer $PORT node10000.cluster.test "$T0" 30 >/dev/null || { echo "server did not start" >&2; exit 1; }
  timeout $((SECS + 30)) taskset -c 1 dnsperf -s 127.0.0.1 -p $PORT -d "$Q" -l $((SECS + 2)) -c 8 -q 500 -Q "$RATE" >"$OUT/dnsperf.perf.txt" 2>&1 &
  DPID=$!
  sleep 1
  c0=$($TOOL cpu "$SP")
  timeout $((SECS + 20)) perf record -e cpu-clock -F 4999 -g -p "$SP" -o "$OUT/perf.data" -- sleep "$SECS" >"$OUT/perf.record.log" 2>&1
  c1=$($TOOL cpu "$SP")
  wait "$DPID"
  stop "$SP"
  perf report -i "$OUT/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' > "$OUT/perf.dso.txt"
  perf report -i "$OUT/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' > "$OUT/perf.symbols.txt"
  perf report -i "$OUT/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' > "$OUT/perf.children.txt"
  answered=$(awk '/Queries per second/ {print $4}' "$OUT/dnsperf.perf.txt")
  say "== perf record -e cpu-clock, ${SECS} s at ${RATE} qps offered (answered $(printf %.0f "${answered:-0}") qps), server CPU $(python3 -c "print(round(($c1-$c0)*100/$SECS))")% of a core"
  say "-- samples by object (self):"
  head -8 "$OUT/perf.dso.txt" | tee -a "$SUMMARY"
  say "-- top symbols (self):"
  head -30 "$OUT/perf.symbols.txt" | tee -a "$SUMMARY"
  say "-- top symbols (inclusive, with children):"
  head -30 "$OUT/perf.children.txt" | tee -a "$SUMMARY"
else
  say "== perf cannot sample here (perf record -e cpu-clock failed); skipped"
fi

# ------------------------------------------------------------------ 2. callgrind
if command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
  T0=$(date +%s%N)
  taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.%p" \
    "$BIN" serve --zones "$OUT/zones/10k" --listen 127.0.0.1:$PORT --threads 1 --no-watch >"$OUT/server.callgrind.log" 2>&1 &
  SP=$!; PIDS+=("$SP")
  $TOOL wait-answer $PORT node10000.cluster.test "$T0" 120 >/dev/null || { echo "server under valgrind did not start" >&2; exit 1; }
  sleep 1
  callgrind_control --zero "$SP" >/dev/null
  head -n "$CGQ" "$Q" > "$OUT/cg-queries.txt"
  timeout 120 taskset -c 1 dnsperf -s 127.0.0.1 -p $PORT -d "$OUT/cg-queries.txt" -n 1 -l 60 -c 8 -q 50 -Q 2000 -t 5 >"$OUT/dnsperf.callgrind.txt" 2>&1
  callgrind_control --dump=load "$SP" >/dev/null
  sleep 2
  stop "$SP"
  answered=$(awk '/Queries completed/ {print $3}' "$OUT/dnsperf.callgrind.txt")
  f=$(grep -l "^desc: Trigger: Client Request: load\|^cmd:" "$OUT"/callgrind.out.*.* 2>/dev/null | head -1)
  [[ -n $f ]] || f=$(ls -S "$OUT"/callgrind.out.* | head -1)
  ir=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
  # (file:function rows: time in inlined code is listed under the source file it came from)
  callgrind_annotate --threshold=100 --auto=no --inclusive=yes "$f" > "$OUT/callgrind.inclusive.txt" 2>/dev/null
  callgrind_annotate --threshold=100 --auto=no --inclusive=no "$f" > "$OUT/callgrind.self.txt" 2>/dev/null
  say ""
  say "== callgrind (user space only), $answered queries answered of $CGQ sent, dump $(basename "$f")"
  say "instructions: ${ir:-?} total, $(python3 -c "print(round(${ir:-0} / max(1, ${answered:-0})))") per answered query"
  say "-- top functions (self):"
  grep -A25 'file:function' "$OUT/callgrind.self.txt" | tail -25 | tee -a "$SUMMARY"
  say "-- top functions (inclusive):"
  grep -A30 'file:function' "$OUT/callgrind.inclusive.txt" | tail -30 | tee -a "$SUMMARY"
else
  say "== valgrind/callgrind_control not installed; callgrind skipped"
fi
echo "reports in $OUT (summary.txt)" >&2
