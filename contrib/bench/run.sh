#!/usr/bin/env bash
# contrib/bench/run.sh - clusterdns against BIND, NSD and Knot, one core each, on 127.0.0.1 only.
#
# Usage: contrib/bench/run.sh [options]
#   --quick            smoke run, about 3 minutes (short runs, 1 round)
#   --out FILE         markdown table to write          (default contrib/bench/results.md)
#   --bin PATH         clusterdns binary                (default $CLUSTERDNS_BIN, else
#                      ${CARGO_TARGET_DIR:-<repo>/target}/release/clusterdns)
#   --build            run `cargo build --release` in the repo first
#   --servers LIST     subset of "clusterdns bind nsd knot"   (default all four)
#   --rate QPS         fixed offered rate for CPU/query and latency   (default 50000)
#   --rounds N         interleaved rounds for CPU/latency and the 1M zone (default 3, quick 1)
#   --secs S           dnsperf seconds per fixed-rate run          (default 10, quick 4)
#   --search-secs S    dnsperf seconds per max-qps step           (default 5, quick 2)
#   --search-steps N   binary-search steps for max qps            (default 5, quick 3)
#   --gen auto|own|shared   zone generator: auto = <repo>/../shared/bench/gen_zones.py when it
#                      exists, else contrib/bench/gen_zones.py (both write byte-identical zones)
#   --work DIR         work directory (default: a new mktemp dir, removed at the end)
#   --keep             keep the work directory (configs, logs, dnsperf outputs)
#   --port-base P      first port (default 5400; server k uses P+10k)
#   --probes N         unthrottled max-qps probes per server, best kept (default 2, quick 1)
#   --nice N           run servers and dnsperf at this nice level (e.g. -10 on a machine shared with
#                      builds, so they are preempted less; CPU/query is unaffected). Default 0.
#   --rt               run servers and dnsperf with SCHED_FIFO priority 10 (chrt -f 10), so that
#                      other work on the machine (builds) delays them less; the kernel's RT
#                      throttling still leaves 5% of each CPU to everything else. Default off.
#   --label TEXT       name of the clusterdns row (default "clusterdns VERSION", plus the git
#                      revision with --build)
#
# What it measures (servers pinned to CPU 0 with taskset, dnsperf and this script to CPU 1):
#   1. max qps at <0.1% loss, 10k-node cluster zone + reverse zone, 70% A / 20% PTR / 10% NXDOMAIN:
#      one unthrottled dnsperf run gives the capacity C; if it lost <0.1% that is the result
#      (the server or the single dnsperf core saturated), else a binary search on dnsperf -Q
#      between C/2 and C; a step passes when loss < 0.1% and >= 97% of the target was answered.
#   2. at the fixed rate (--rate), in interleaved rounds (server A B C D, A B C D, ...):
#      server CPU microseconds per answered query = utime+stime delta of the server's process tree
#      (/proc/PID/stat) / answered queries; mean and p99 latency from dnsperf -v per-query lines
#      (dnsperf itself prints only mean/min/max/stddev); then the same with 90% A hits / 10% NXDOMAIN
#      on cluster.test, the like-for-like base for the 1M-zone figure below.
#   3. the 1,000,000-record zone, interleaved rounds: time from exec to the first answer for the
#      last record (UDP poll every 20 ms), then RSS 3 s later (VmRSS; PSS of the whole process
#      tree for NSD, which forks), then CPU/query at the fixed rate on 90% hit / 10% NXDOMAIN
#      queries for big.test.
# Every loop is bounded in time; every process started is killed on exit (trap).
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TOOL="python3 $HERE/benchtool.py"
CMDLINE="contrib/bench/run.sh $*"

QUICK=0 OUT=$HERE/results.md BIN=${CLUSTERDNS_BIN:-} BUILD=0
SERVERS="clusterdns bind nsd knot" RATE=50000 ROUNDS="" SECS="" SSECS="" SSTEPS=""
GEN=auto WORK="" KEEP=0 PORT_BASE=5400 PROBES="" NICE=0 CLABEL="" RT=""
while (( $# )); do
  case $1 in
    --quick) QUICK=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --build) BUILD=1; shift ;;
    --servers) SERVERS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --secs) SECS=$2; shift 2 ;;
    --search-secs) SSECS=$2; shift 2 ;;
    --search-steps) SSTEPS=$2; shift 2 ;;
    --gen) GEN=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --port-base) PORT_BASE=$2; shift 2 ;;
    --probes) PROBES=$2; shift 2 ;;
    --nice) NICE=$2; shift 2 ;;
    --label) CLABEL=$2; shift 2 ;;
    --rt) RT="chrt -f 10"; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if (( QUICK )); then
  : "${ROUNDS:=1}" "${SECS:=4}" "${SSECS:=2}" "${SSTEPS:=3}" "${PROBES:=1}"; SETTLE=1; LOAD_LIMIT=120; QUIET_WAIT=5
else
  : "${ROUNDS:=3}" "${SECS:=10}" "${SSECS:=5}" "${SSTEPS:=5}" "${PROBES:=2}"; SETTLE=3; LOAD_LIMIT=300; QUIET_WAIT=20
fi
(( QUICK )) || QUIET_WAIT=10
[[ -n $RT ]] && QUIET_WAIT=3   # with SCHED_FIFO other load matters less; do not wait long for it
CLIENTS=8 OUTSTANDING=500

# this script, dig, dnsperf and the helpers run on CPU 1; servers are started on CPU 0
taskset -p -c 1 $$ >/dev/null 2>&1 || echo "warning: taskset failed, nothing is pinned" >&2
for t in dnsperf dig taskset python3 timeout ss; do
  command -v $t >/dev/null || { echo "missing $t (apt-get install -y dnsperf bind9-dnsutils util-linux python3 iproute2)" >&2; exit 2; }
done

# ------------------------------------------------------------------ processes and cleanup
STARTED=()
KEEP_WORK=$KEEP
if [[ -z $WORK ]]; then WORK=$(mktemp -d /tmp/clusterdns-bench.XXXXXX); else mkdir -p "$WORK"; KEEP_WORK=1; fi
stop_pid() {
  local pid=$1 kids i k
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kids=$($TOOL kids "$pid" 2>/dev/null)
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  for k in $kids; do kill -0 "$k" 2>/dev/null && kill -KILL "$k" 2>/dev/null; done
  local keep=() p
  for p in "${STARTED[@]}"; do [[ $p != "$pid" ]] && keep+=("$p"); done
  STARTED=("${keep[@]}")
  return 0
}
cleanup() {
  local p
  for p in "${STARTED[@]}"; do stop_pid "$p"; done
  if (( KEEP_WORK )); then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

LOG=$WORK/run.log
log() { echo "[$(date +%T)] $*" | tee -a "$LOG" >&2; }
RES=$WORK/results.tsv
: > "$RES"
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RES"; }   # server metric value

# ------------------------------------------------------------------ binary
if (( BUILD )); then
  log "cargo build --release"
  (cd "$REPO" && cargo build --release) >"$WORK/build.log" 2>&1 || { log "build failed, see $WORK/build.log"; KEEP_WORK=1; exit 1; }
fi
[[ -n $BIN ]] || BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/clusterdns
if [[ " $SERVERS " == *" clusterdns "* && ! -x $BIN ]]; then
  echo "clusterdns binary not found at $BIN (use --build, --bin or CLUSTERDNS_BIN)" >&2; exit 2
fi

# ------------------------------------------------------------------ inputs
ZONES=$WORK/zones
SHARED_GEN=$REPO/../shared/bench/gen_zones.py
T_START=$(date +%s)
case $GEN in
  auto) [[ -f $SHARED_GEN ]] && GEN=shared || GEN=own ;;
  shared) [[ -f $SHARED_GEN ]] || { echo "no $SHARED_GEN" >&2; exit 2; } ;;
  own) ;;
  *) echo "--gen auto|own|shared" >&2; exit 2 ;;
esac
log "generating zones and queries into $ZONES ($GEN generator)"
if [[ $GEN == shared ]]; then
  python3 "$SHARED_GEN" --out "$ZONES" 2>>"$LOG" && python3 "$HERE/gen_zones.py" --out "$ZONES" --only-extra-queries
else
  python3 "$HERE/gen_zones.py" --out "$ZONES" 2>>"$LOG"
fi || { log "zone generation failed"; exit 1; }
Q10K=$ZONES/queries/10k-mix.txt Q1M=$ZONES/queries/1m-mix.txt Q10KANX=$ZONES/queries/10k-anx.txt
LAST=h1000000.big.test

# ------------------------------------------------------------------ server definitions
# NAME_start WORKDIR PORT ZONEDIR -> sets CMD (foreground command) and LABEL
clusterdns_start() {
  CMD="$BIN serve --zones $3 --listen 127.0.0.1:$2 --threads 1 --no-watch"
  LABEL="clusterdns $($BIN --version 2>/dev/null | awk '{print $2}')"
  if (( BUILD )); then
    local rev; rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) && LABEL+=" ($rev$(git -C "$REPO" diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo '+local edits'))"
  fi
  [[ -n $CLABEL ]] && LABEL=$CLABEL
}
bind_start() {
  local w=$1 p=$2 zd=$3 f
  {
    echo "options { directory \"$w\"; listen-on port $p { 127.0.0.1; }; listen-on-v6 { none; };"
    echo "  pid-file \"$w/named.pid\"; session-keyfile \"$w/session.key\"; managed-keys-directory \"$w\";"
    echo "  recursion no; dnssec-validation no; notify no; allow-transfer { none; }; minimal-responses yes; };"
    echo "controls { };"
    echo "logging { channel f { file \"$w/named.log\"; severity info; }; category default { f; }; };"
    for f in "$zd"/*.zone; do f=$(basename "$f" .zone); echo "zone \"$f\" { type primary; file \"$zd/$f.zone\"; };"; done
  } > "$w/named.conf"
  CMD="named -f -4 -n 1 -c $w/named.conf"
  LABEL="BIND $(named -v | awk '{print $2}' | cut -d- -f1)"
}
nsd_start() {
  local w=$1 p=$2 zd=$3 f
  {
    echo "server:"
    echo "  ip-address: 127.0.0.1@$p"
    echo "  do-ip6: no"
    echo "  server-count: 1"
    echo "  username: \"\""
    echo "  chroot: \"\""
    echo "  zonesdir: \"$zd\""
    echo "  database: \"\""
    echo "  zonelistfile: \"$w/zone.list\""
    echo "  xfrdfile: \"$w/xfrd.state\""
    echo "  xfrdir: \"$w\""
    echo "  pidfile: \"$w/nsd.pid\""
    echo "  logfile: \"$w/nsd.log\""
    echo "  rrl-ratelimit: 0"
    echo "  rrl-whitelist-ratelimit: 0"
    echo "remote-control:"
    echo "  control-enable: no"
    for f in "$zd"/*.zone; do f=$(basename "$f" .zone); printf 'zone:\n  name: "%s"\n  zonefile: "%s.zone"\n' "$f" "$f"; done
  } > "$w/nsd.conf"
  CMD="nsd -d -c $w/nsd.conf"
  LABEL="NSD $(nsd -v 2>&1 | head -1 | awk '{print $3}')"
}
knot_start() {
  local w=$1 p=$2 zd=$3 f
  {
    echo "server:"
    echo "  rundir: \"$w\""
    echo "  pidfile: \"$w/knot.pid\""
    echo "  listen: 127.0.0.1@$p"
    echo "  udp-workers: 1"
    echo "  tcp-workers: 1"
    echo "  background-workers: 1"
    echo "log:"
    echo "  - target: \"$w/knot.log\""
    echo "    any: info"
    echo "database:"
    echo "  storage: \"$w/db\""
    echo "template:"
    echo "  - id: default"
    echo "    storage: \"$zd\""
    echo "    file: \"%s.zone\""
    echo "    zonefile-sync: -1"
    echo "    zonefile-load: whole"
    echo "    journal-content: none"
    echo "zone:"
    for f in "$zd"/*.zone; do echo "  - domain: $(basename "$f" .zone)"; done
  } > "$w/knot.conf"
  CMD="knotd -c $w/knot.conf"
  LABEL="Knot $(knotd -V 2>&1 | awk '{print $NF}' | head -1)"
}

# launch NAME TAG ZONEDIR IDX -> SPID, PORT, W (server started pinned to CPU 0), T0 (ns)
launch() {
  local name=$1 tag=$2 zd=$3 idx=$4
  PORT=$((PORT_BASE + 10 * idx))
  while ss -Hlnu "sport = :$PORT" 2>/dev/null | grep -q . || ss -Hlnt "sport = :$PORT" 2>/dev/null | grep -q .; do
    PORT=$((PORT + 1)); (( PORT < PORT_BASE + 10 * idx + 9 )) || { log "no free port near $((PORT_BASE + 10 * idx))"; return 1; }
  done
  W=$WORK/$name.$tag; mkdir -p "$W/db"
  "${name}_start" "$W" "$PORT" "$zd"
  T0=$(date +%s%N)
  ( cd "$W" && exec nice -n "$NICE" $RT taskset -c 0 bash -c "exec $CMD" ) >"$W/server.out" 2>&1 &
  SPID=$!
  STARTED+=("$SPID")
}

# dnsperf_run PORT QUERYFILE SECS OUTFILE [extra args] -> parsed fields in DP (assoc array)
declare -A DP
dnsperf_run() {
  local port=$1 q=$2 secs=$3 f=$4; shift 4
  timeout $((secs + 20)) nice -n "$NICE" $RT taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$q" -l "$secs" \
    -c "$CLIENTS" -q "$OUTSTANDING" -t 2 "$@" > "$f" 2>&1
  DP=()
  local kv
  for kv in $($TOOL dnsperf "$f"); do DP[${kv%%=*}]=${kv#*=}; done
}

# wait (bounded) for the machine to be quiet before a measurement; other builds share it
wait_quiet() {
  local t0=$SECONDS b
  while :; do
    b=$($TOOL busy 1)
    (( b < 15 )) && return 0
    (( SECONDS - t0 >= QUIET_WAIT )) && { log "  (machine ${b}% busy before the run; going on)"; return 0; }
  done
}

# fixed_rate NAME PID PORT QUERYFILE TAG -> CPU_US, plus DP; records foreign load on cpu0
fixed_rate() {
  local name=$1 pid=$2 port=$3 q=$4 tag=$5 c0 c1 b0 b1 t0 t1 f
  f=$WORK/$name.$tag.dnsperf.txt
  wait_quiet
  read -r b0 t0 < <($TOOL cpu0); c0=$($TOOL cpu "$pid")
  dnsperf_run "$port" "$q" "$SECS" "$f" -Q "$RATE" -v
  c1=$($TOOL cpu "$pid"); read -r b1 t1 < <($TOOL cpu0)
  local comp=${DP[completed]:-0}; [[ $comp =~ ^[0-9]+$ ]] || comp=0
  CPU_US=$(python3 -c "print(f'{($c1 - $c0) * 1e6 / max(1, $comp):.3f}')")
  FOREIGN=$(python3 -c "t=max(1e-9,$t1-$t0); print(f'{max(0.0, ($b1-$b0) - ($c1-$c0)) * 100 / t:.0f}')")
  rec "$name" "foreign_cpu0_pct" "$FOREIGN"
}

answer() { dig +short +time=1 +tries=1 @127.0.0.1 -p "$1" "$2" "$3" 2>/dev/null | grep -v '^;;' | tr '\n' ' ' | sed 's/ $//'; }

# ------------------------------------------------------------------ run
LIST=()
for s in $SERVERS; do
  case $s in
    clusterdns|bind|nsd|knot) LIST+=("$s") ;;
    *) echo "unknown server $s (clusterdns bind nsd knot)" >&2; exit 2 ;;
  esac
  case $s in bind) command -v named ;; nsd) command -v nsd ;; knot) command -v knotd ;; *) true ;; esac >/dev/null ||
    { echo "$s not installed (apt-get install -y bind9 nsd knot)" >&2; exit 2; }
done
rec _ meta_rate "$RATE"
NICE_S=""; [[ $NICE != 0 ]] && NICE_S="nice $NICE, "
rec _ meta_settings "${RT:+$RT, }${NICE_S}rounds $ROUNDS, fixed-rate runs ${SECS} s, max-qps steps ${SSECS} s x $SSTEPS, dnsperf -c $CLIENTS -q $OUTSTANDING -t 2, $(nproc --all) CPUs (servers on CPU 0, dnsperf on CPU 1), $(dnsperf -h 2>&1 | grep -m1 -o 'Version [0-9.]*' || echo dnsperf)"

# ---- phase 1: 10k zones, all servers up at once (idle ones use no CPU), each pinned to CPU 0
declare -A PID10 PORT10 BROKEN
idx=0
for s in "${LIST[@]}"; do
  launch "$s" 10k "$ZONES/10k" "$idx" || exit 1
  PID10[$s]=$SPID; PORT10[$s]=$PORT
  rec "$s" meta_label "$LABEL"
  if t=$($TOOL wait-answer "$PORT" node10000.cluster.test "$T0" 120); then
    log "$s up on port $PORT in $t s (pid $SPID)"
  else
    log "$s did not answer within 120 s; see $W/server.out"; BROKEN[$s]=1; KEEP_WORK=1
  fi
  # sanity: A, PTR, NXDOMAIN
  a=$(answer "$PORT" node04242.cluster.test A); p=$(answer "$PORT" 242.16.0.10.in-addr.arpa PTR)
  nx=$(dig +norec +time=1 +tries=1 @127.0.0.1 -p "$PORT" nosuch.cluster.test A 2>/dev/null | grep -o 'status: [A-Z]*')
  if [[ $a != 10.0.16.242 || $p != node04242.cluster.test. || $nx != "status: NXDOMAIN" ]]; then
    log "  SANITY FAIL $s: A '$a' PTR '$p' NX '$nx'"; rec "$s" meta_note "sanity check failed: A '$a', PTR '$p', '$nx'"
  fi
  idx=$((idx + 1))
done
ORDER_IDX=$idx

log "phase 1: max qps at <0.1% loss (10k zones; unthrottled probe + $SSTEPS-step search on -Q, ${SSECS} s each)"
for s in "${LIST[@]}"; do
  [[ -n ${BROKEN[$s]:-} ]] && continue
  port=${PORT10[$s]}
  dnsperf_run "$port" "$Q10K" 2 "$WORK/$s.warmup.txt"
  # PROBES unthrottled runs; keep the best one that lost < 0.1% (else the best one)
  cap=-1 loss=NA busy=0 okbest=0
  unset BEST; declare -A BEST
  for pr in $(seq 1 "$PROBES"); do
    wait_quiet
    c0=$($TOOL cpu "${PID10[$s]}")
    dnsperf_run "$port" "$Q10K" "$SSECS" "$WORK/$s.probe$pr.txt"
    c1=$($TOOL cpu "${PID10[$s]}")
    # server CPU % over dnsperf's sending time (the server is idle once the queries stop)
    b=$(python3 -c "print(round(($c1 - $c0) * 100 / max(0.1, float('${DP[runtime_s]}'.replace('NA', '$SSECS')))))")
    q=${DP[qps]%.*}; [[ $q =~ ^[0-9]+$ ]] || q=0
    ok=$(python3 -c "print(1 if '${DP[loss_pct]}' != 'NA' and float('${DP[loss_pct]}') < 0.1 else 0)")
    (( PROBES > 1 )) && log "    probe $pr: $q qps, loss ${DP[loss_pct]}%, server CPU $b%"
    if (( cap < 0 )) || (( ok && (q > cap || ! okbest) )) || (( ! ok && ! okbest && q > cap )); then
      cap=$q loss=${DP[loss_pct]} busy=$b okbest=$ok; BEST=(); for k in "${!DP[@]}"; do BEST[$k]=${DP[$k]}; done
    fi
  done
  for k in "${!BEST[@]}"; do DP[$k]=${BEST[$k]}; done
  rec "$s" probe_cpu_pct "$busy"
  rec "$s" resp_bytes "${DP[resp_bytes]}"
  rec "$s" rcodes "${DP[noerror]}/${DP[nxdomain]}/${DP[other_rcodes]}"
  log "  $s: unthrottled ${cap} qps, loss ${loss}%, server CPU ${busy}%, NOERROR/NXDOMAIN/other ${DP[noerror]}/${DP[nxdomain]}/${DP[other_rcodes]}, response ${DP[resp_bytes]} B"
  (( ${DP[other_rcodes]:-0} > 0 )) && rec "$s" meta_note "answered other rcodes than NOERROR/NXDOMAIN: ${DP[other_rcodes]}"
  best=0
  if [[ $loss != NA ]] && python3 -c "import sys; sys.exit(0 if $loss < 0.1 else 1)"; then
    best=$cap
    # the server had CPU to spare: dnsperf (or the machine) was the limit, the result is a lower bound
    (( busy < 85 )) && rec "$s" qps_max_lower_bound 1
  else
    lo=$((cap / 2)) hi=$cap
    for step in $(seq 1 "$SSTEPS"); do
      mid=$(((lo + hi) / 2))
      wait_quiet
      dnsperf_run "$port" "$Q10K" "$SSECS" "$WORK/$s.search$step.txt" -Q "$mid"
      got=${DP[qps]%.*}
      if [[ ${DP[loss_pct]} != NA ]] && python3 -c "import sys; sys.exit(0 if ${DP[loss_pct]} < 0.1 and $got >= 0.97 * $mid else 1)"; then
        (( got > best )) && best=$got; lo=$mid; r=pass
      else
        hi=$mid; r=fail
      fi
      log "    -Q $mid: $got qps, loss ${DP[loss_pct]}% -> $r"
    done
    # nothing passed between C/2 and C: try C/2 and C/4 themselves
    for mid in $((cap / 2)) $((cap / 4)); do
      (( best > 0 )) && break
      dnsperf_run "$port" "$Q10K" "$SSECS" "$WORK/$s.search-low$mid.txt" -Q "$mid"
      got=${DP[qps]%.*}
      if [[ ${DP[loss_pct]} != NA ]] && python3 -c "import sys; sys.exit(0 if ${DP[loss_pct]} < 0.1 and $got >= 0.97 * $mid else 1)"; then best=$got; r=pass; else r=fail; fi
      log "    -Q $mid: $got qps, loss ${DP[loss_pct]}% -> $r"
    done
    (( best > 0 )) || { best=NA; rec "$s" meta_note "lost >= 0.1% of the queries even at a quarter of its unthrottled rate"; }
  fi
  log "  $s: max qps <0.1% loss = $best"
  rec "$s" qps_max "$best"
done

log "phase 2: CPU/query and latency at $RATE qps, 10k zones, $ROUNDS interleaved round(s) of ${SECS} s"
for r in $(seq 1 "$ROUNDS"); do
  for s in "${LIST[@]}"; do
    [[ -n ${BROKEN[$s]:-} ]] && continue
    fixed_rate "$s" "${PID10[$s]}" "${PORT10[$s]}" "$Q10K" "10k.r$r"
    rec "$s" cpu_us_10k "$CPU_US"; rec "$s" lat_mean_ms "${DP[lat_mean_ms]:-NA}"; rec "$s" lat_p99_ms "${DP[lat_p99_ms]:-NA}"
    rec "$s" rate_answered "${DP[qps]}"
    log "  round $r $s: ${DP[qps]%.*} qps answered, loss ${DP[loss_pct]}%, CPU ${CPU_US} us/query, latency mean ${DP[lat_mean_ms]:-NA} p99 ${DP[lat_p99_ms]:-NA} ms (other load on cpu0 ${FOREIGN}%)"
    fixed_rate "$s" "${PID10[$s]}" "${PORT10[$s]}" "$Q10KANX" "10k-anx.r$r"
    rec "$s" cpu_us_10k_anx "$CPU_US"
    log "  round $r $s: 90% A / 10% NX on the 10k zone: CPU ${CPU_US} us/query (other load on cpu0 ${FOREIGN}%)"
  done
done
for s in "${LIST[@]}"; do stop_pid "${PID10[$s]}"; done

# ---- phase 3: 1M zone, one server at a time, interleaved rounds
log "phase 3: 1M-record zone: load time, RSS, CPU/query at $RATE qps; $ROUNDS interleaved round(s)"
for r in $(seq 1 "$ROUNDS"); do
  idx=0
  for s in "${LIST[@]}"; do
    idx=$((idx + 1))
    sync; wait_quiet
    launch "$s" "1m.r$r" "$ZONES/1m" "$((ORDER_IDX + idx))" || continue
    read -r b0 t0c < <($TOOL cpu0)
    if ! lt=$($TOOL wait-answer "$PORT" "$LAST" "$T0" "$LOAD_LIMIT"); then
      log "  round $r $s: $LAST not answered within $LOAD_LIMIT s (see $W/server.out)"; KEEP_WORK=1
      stop_pid "$SPID"; continue
    fi
    read -r b1 t1c < <($TOOL cpu0); lcpu=$($TOOL cpu "$SPID")
    chk=$(answer "$PORT" "$LAST" A)
    [[ $chk == 10.15.66.64 ]] || log "  round $r $s: dig $LAST answered '$chk' (expected 10.15.66.64)"
    sleep "$SETTLE"
    read -r rss pss rsst np < <($TOOL mem "$SPID")
    if [[ $s == nsd ]]; then m=$pss; mk="PSS of $np processes"; else m=$rss; mk="VmRSS"; fi
    rec "$s" load_s "$lt"; rec "$s" rss_mib "$((m / 1024))"
    fl=$(python3 -c "print(f'{max(0.0, ($b1-$b0) - $lcpu):.2f}')")
    log "  round $r $s: loaded in $lt s (server CPU ${lcpu} s, other load on cpu0 ${fl} s), $mk $((m / 1024)) MiB (RSS sum $((rsst / 1024)) MiB)"
    fixed_rate "$s" "$SPID" "$PORT" "$Q1M" "1m.r$r"
    rec "$s" cpu_us_1m "$CPU_US"
    log "  round $r $s: 1M zone ${DP[qps]%.*} qps answered, loss ${DP[loss_pct]}%, CPU ${CPU_US} us/query, latency mean ${DP[lat_mean_ms]:-NA} p99 ${DP[lat_p99_ms]:-NA} ms (other load on cpu0 ${FOREIGN}%)"
    stop_pid "$SPID"
  done
done

# ---- the table
fmax=$(awk -F'\t' '$2 == "foreign_cpu0_pct" && $3 > m { m = $3 } END { print m + 0 }' "$RES")
rec _ meta_conditions "$(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), run took $(( $(date +%s) - T_START )) s; other processes used up to ${fmax}% of cpu0 during a fixed-rate run$( (( fmax > 10 )) && echo ' (numbers disturbed: re-run on a quiet machine)')"
for s in "${LIST[@]}"; do
  rb=$(awk -F'\t' -v s="$s" '$1 == s && $2 == "resp_bytes" { print $3 }' "$RES" | head -1)
  rc=$(awk -F'\t' -v s="$s" '$1 == s && $2 == "rcodes" { print $3 }' "$RES" | head -1)
  pc=$(awk -F'\t' -v s="$s" '$1 == s && $2 == "probe_cpu_pct" { print $3 }' "$RES" | head -1)
  rec _ "meta_$s" "avg response ${rb:-?} B; NOERROR/NXDOMAIN/other ${rc:-?} and server CPU ${pc:-?}% of a core in the unthrottled max-qps probe"
done
mkdir -p "$(dirname "$OUT")"
cp "$RES" "$WORK/results.tsv.bak" 2>/dev/null
$TOOL table "$RES" "$OUT" "$CMDLINE"
cp "$RES" "${OUT%.md}.tsv"
log "wrote $OUT (raw values: ${OUT%.md}.tsv)"
