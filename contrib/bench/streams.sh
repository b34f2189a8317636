#!/usr/bin/env bash
# contrib/bench/streams.sh - stream transports: clusterdns against NSD, Knot and BIND over TCP,
# DNS over TLS and DNS over HTTPS, one core each, on 127.0.0.1 only.
#
# Usage: contrib/bench/streams.sh [options]
#   --bin PATH         clusterdns binary (default $CLUSTERDNS_BIN, else
#                      ${CARGO_TARGET_DIR:-<repo>/target}/release/clusterdns)
#   --transports LIST  subset of "tcp dot doh" (default all three)
#   --servers LIST     subset of "clusterdns nsd knot bind" (default all; each runs the transports
#                      it has: TCP all four, DoT clusterdns/NSD/BIND, DoH clusterdns/BIND)
#   --rate QPS         fixed offered rate for CPU per answered query (default 20000)
#   --rounds N         interleaved rounds at the fixed rate (default 3)
#   --secs S           dnsperf seconds per run (default 10)
#   --clients N        dnsperf -c: connections (default 20)
#   --doh-method M     GET or POST (default GET, dnsperf's default)
#   --out FILE         markdown table (default contrib/bench/results-streams.md)
#   --work DIR / --keep   work directory (default a new mktemp dir, removed at the end)
#   --port-base P      first port (default 5600; server k uses P+10k .. P+10k+2)
#   --peers-nodelay    start the peers with contrib/bench/nodelay_shim.c preloaded: TCP_NODELAY on
#                      every accepted socket, as clusterdns sets it (NSD and Knot leave Nagle on, so
#                      an answer written while an earlier one is unacknowledged waits for the
#                      client's next segment and is sent from the client's context: less server
#                      CPU, more latency)
#
# What it measures, servers pinned to CPU 0 (--threads 1 / one worker each), dnsperf on CPU 1,
# 10k-node cluster zone, 70% A / 20% PTR / 10% NXDOMAIN (contrib/bench/gen_zones.py):
#   1. per transport and server, one unthrottled `dnsperf -m MODE` run: answered qps (max qps)
#      and the server's CPU share during it; then one closed-loop run (`-q` = `-c`: each
#      connection waits for its answer before it asks again): answered qps and mean latency;
#   2. per transport, ROUNDS interleaved rounds (server A B C, A B C, ...) at --rate: server CPU
#      microseconds per answered query (utime+stime of the process tree / answered queries),
#      dnsperf's own CPU per answered query (bash `time`: where a server's socket settings can
#      move work -- e.g. Nagle leaves the transmit of an answer to the ACK the client's next
#      query carries), and dnsperf's mean and largest latency of the answered queries.
# The certificate is a throwaway self-signed one made here with openssl. Every run is bounded
# in time (timeout); every process started is stopped on exit.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TOOL="python3 $HERE/benchtool.py"
CMDLINE="contrib/bench/streams.sh $*"
BIN=${CLUSTERDNS_BIN:-} TRANSPORTS="tcp dot doh" SERVERS="clusterdns nsd knot bind"
RATE=20000 ROUNDS=3 SECS=10 CLIENTS=20 DOH_METHOD=GET OUT=$HERE/results-streams.md
WORK="" KEEP=0 PORT_BASE=5600 PEERS_NODELAY=0
while (( $# )); do
  case $1 in
    --bin) BIN=$2; shift 2 ;; --transports) TRANSPORTS=$2; shift 2 ;;
    --servers) SERVERS=$2; shift 2 ;; --rate) RATE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;; --secs) SECS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;; --doh-method) DOH_METHOD=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;; --work) WORK=$2; shift 2 ;; --keep) KEEP=1; shift ;;
    --port-base) PORT_BASE=$2; shift 2 ;; --peers-nodelay) PEERS_NODELAY=1; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n $BIN ]] || BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/clusterdns
[[ -e $BIN ]] && BIN=$(realpath "$BIN")
for t in dnsperf openssl taskset python3 timeout dig; do
  command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }
done
taskset -p -c 1 $$ >/dev/null 2>&1 || echo "warning: taskset failed, nothing is pinned" >&2

STARTED=()
[[ -n $WORK ]] && KEEP=1 || WORK=$(mktemp -d /tmp/clusterdns-streams.XXXXXX)
mkdir -p "$WORK"
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${STARTED[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  (( KEEP )) && echo "work directory kept: $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
log() { echo "[$(date +%T)] $*" | tee -a "$WORK/run.log" >&2; }
RES=$WORK/results.tsv; : > "$RES"
rec() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RES"; }   # transport server metric value

# ---- inputs: zones, queries, a throwaway certificate for 127.0.0.1
python3 "$HERE/gen_zones.py" --out "$WORK/zones" --skip-1m >>"$WORK/run.log" 2>&1 || { log "zone generation failed"; exit 1; }
ZD=$WORK/zones/10k Q=$WORK/zones/queries/10k-mix.txt
CERT=$WORK/cert.pem KEY=$WORK/key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$KEY" -out "$CERT" >/dev/null 2>&1 || { log "openssl failed"; exit 1; }
chmod 644 "$KEY"

# ---- servers: NAME_cmd WORKDIR PORT -> CMD; DoT on PORT+1, DoH on PORT+2; NAME_has TRANSPORT
clusterdns_cmd() {
  CMD="$BIN serve --zones $ZD --listen 127.0.0.1:$2 --threads 1 --no-watch --listen-tls 127.0.0.1:$(($2 + 1)) --listen-https 127.0.0.1:$(($2 + 2)) --tls-cert $CERT --tls-key $KEY"
}
clusterdns_has() { true; }
nsd_cmd() {
  local w=$1 p=$2 f
  {
    printf 'server:\n  ip-address: 127.0.0.1@%s\n  ip-address: 127.0.0.1@%s\n  tls-port: %s\n' "$p" "$((p + 1))" "$((p + 1))"
    printf '  tls-service-key: "%s"\n  tls-service-pem: "%s"\n' "$KEY" "$CERT"
    printf '  do-ip6: no\n  server-count: 1\n  username: ""\n  chroot: ""\n  zonesdir: "%s"\n  database: ""\n' "$ZD"
    printf '  zonelistfile: "%s/zone.list"\n  xfrdfile: "%s/xfrd.state"\n  xfrdir: "%s"\n  pidfile: "%s/nsd.pid"\n' "$w" "$w" "$w" "$w"
    printf '  logfile: "%s/nsd.log"\n  rrl-ratelimit: 0\n  rrl-whitelist-ratelimit: 0\nremote-control:\n  control-enable: no\n' "$w"
    for f in "$ZD"/*.zone; do f=$(basename "$f" .zone); printf 'zone:\n  name: "%s"\n  zonefile: "%s.zone"\n' "$f" "$f"; done
  } > "$w/nsd.conf"
  CMD="nsd -d -c $w/nsd.conf"
}
nsd_has() { [[ $1 != doh ]]; }
knot_cmd() {
  local w=$1 p=$2 f
  {
    printf 'server:\n  rundir: "%s"\n  pidfile: "%s/knot.pid"\n  listen: 127.0.0.1@%s\n' "$w" "$w" "$p"
    printf '  udp-workers: 1\n  tcp-workers: 1\n  background-workers: 1\n'
    printf 'log:\n  - target: "%s/knot.log"\n    any: info\ndatabase:\n  storage: "%s/db"\n' "$w" "$w"
    printf 'template:\n  - id: default\n    storage: "%s"\n    file: "%%s.zone"\n    zonefile-sync: -1\n    journal-content: none\nzone:\n' "$ZD"
    for f in "$ZD"/*.zone; do echo "  - domain: $(basename "$f" .zone)"; done
  } > "$w/knot.conf"
  CMD="knotd -c $w/knot.conf"
}
knot_has() { [[ $1 == tcp ]]; }
bind_cmd() {
  local w=$1 p=$2 f
  {
    echo "tls local-tls { cert-file \"$CERT\"; key-file \"$KEY\"; };"
    echo "http local-http { endpoints { \"/dns-query\"; }; };"
    echo "options { directory \"$w\"; listen-on port $p { 127.0.0.1; };"
    echo "  listen-on port $((p + 1)) tls local-tls { 127.0.0.1; };"
    echo "  listen-on port $((p + 2)) tls local-tls http local-http { 127.0.0.1; }; listen-on-v6 { none; };"
    echo "  pid-file \"$w/named.pid\"; session-keyfile \"$w/session.key\"; managed-keys-directory \"$w\";"
    echo "  recursion no; dnssec-validation no; notify no; allow-transfer { none; }; minimal-responses yes; };"
    echo "controls { };"
    for f in "$ZD"/*.zone; do f=$(basename "$f" .zone); echo "zone \"$f\" { type primary; file \"$ZD/$f.zone\"; };"; done
  } > "$w/named.conf"
  CMD="named -f -4 -n 1 -c $w/named.conf"
}
bind_has() { true; }

SHIM=""
if (( PEERS_NODELAY )); then
  SHIM=$WORK/nodelay_shim.so
  cc -O2 -shared -fPIC -o "$SHIM" "$HERE/nodelay_shim.c" -ldl >>"$WORK/run.log" 2>&1 || { log "cc failed (--peers-nodelay)"; exit 2; }
  CMDLINE="$CMDLINE (peers with TCP_NODELAY)"
fi

declare -A PID PORT
idx=0
for s in $SERVERS; do
  case $s in clusterdns) [[ -x $BIN ]] || { log "no clusterdns binary at $BIN"; exit 2; } ;;
    nsd) command -v nsd ;; knot) command -v knotd ;; bind) command -v named ;;
    *) echo "unknown server $s" >&2; exit 2 ;; esac >/dev/null || { log "$s not installed, skipped"; continue; }
  p=$((PORT_BASE + 10 * idx)); w=$WORK/$s; mkdir -p "$w/db"
  "${s}_cmd" "$w" "$p"
  pre=(); [[ -n $SHIM && $s != clusterdns ]] && pre=(env "LD_PRELOAD=$SHIM")
  ( cd "$w" && exec "${pre[@]}" taskset -c 0 bash -c "exec $CMD" ) >"$w/server.out" 2>&1 &
  PID[$s]=$!; PORT[$s]=$p; STARTED+=("$!")
  if t=$($TOOL wait-answer "$p" node10000.cluster.test "$(date +%s%N)" 120); then
    log "$s up on port $p (DoT $((p + 1)), DoH $((p + 2))) in $t s"
  else
    log "$s did not answer within 120 s; see $w/server.out"; unset "PID[$s]"; KEEP=1
  fi
  idx=$((idx + 1))
done
sleep 1

# perf_run TRANSPORT SERVER SECS OUT [dnsperf args] -> DP fields, CPU_S (server CPU seconds used)
declare -A DP
perf_run() {
  local tr=$1 s=$2 secs=$3 f=$4 p=${PORT[$2]} c0 c1 kv; shift 4
  local mode=(-m "$tr" -p "$p")
  case $tr in
    dot) mode=(-m dot -p $((p + 1))) ;;
    doh) mode=(-m doh -p $((p + 2)) -O "doh-uri=https://127.0.0.1:$((p + 2))/dns-query" -O "doh-method=$DOH_METHOD") ;;
  esac
  c0=$($TOOL cpu "${PID[$s]}")
  # bash's `time` reports the user+system CPU of dnsperf (a waited-for descendant): the
  # client's share of the work, which a server's socket settings can move onto it.
  local t
  t=$( { TIMEFORMAT='%U %S'; time timeout $((secs + 30)) taskset -c 1 dnsperf -s 127.0.0.1 "${mode[@]}" -d "$Q" -l "$secs" -c "$CLIENTS" -q "${OUTSTANDING:-500}" -t 2 "$@" >"$f" 2>&1; } 2>&1 )
  c1=$($TOOL cpu "${PID[$s]}")
  CPU_S=$(python3 -c "print($c1 - $c0)")
  CLIENT_S=$(python3 -c "u, s = '$t'.split()[-2:]; print(float(u) + float(s))" 2>/dev/null || echo nan)
  DP=(); for kv in $($TOOL dnsperf "$f"); do DP[${kv%%=*}]=${kv#*=}; done
}

for tr in $TRANSPORTS; do
  LIST=()
  for s in $SERVERS; do [[ -n ${PID[$s]:-} ]] && "${s}_has" "$tr" && LIST+=("$s"); done
  log "$tr: servers ${LIST[*]}"
  for s in "${LIST[@]}"; do
    perf_run "$tr" "$s" "$SECS" "$WORK/$tr.$s.max.txt"
    q=${DP[qps]:-0}; busy=$(python3 -c "print(round($CPU_S * 100 / max(0.1, $SECS)))")
    rec "$tr" "$s" qps_max "${q%.*}"; rec "$tr" "$s" max_cpu_pct "$busy"
    log "  $tr $s: unthrottled ${q%.*} qps answered, loss ${DP[loss_pct]:-NA}%, server CPU ${busy}%"
    OUTSTANDING=$CLIENTS perf_run "$tr" "$s" "$SECS" "$WORK/$tr.$s.closed.txt"
    q=${DP[qps]:-0}; rec "$tr" "$s" qps_closed "${q%.*}"
    rec "$tr" "$s" lat_closed_ms "$(python3 -c "print(float('${DP[avg_s]:-nan}') * 1000)")"
    log "  $tr $s: closed loop (-q $CLIENTS) ${q%.*} qps answered, latency mean ${DP[avg_s]:-NA} s"
  done
  for r in $(seq 1 "$ROUNDS"); do
    for s in "${LIST[@]}"; do
      perf_run "$tr" "$s" "$SECS" "$WORK/$tr.$s.r$r.txt" -Q "$RATE"
      comp=${DP[completed]:-0}; [[ $comp =~ ^[0-9]+$ ]] || comp=0
      us=$(python3 -c "print(f'{$CPU_S * 1e6 / max(1, $comp):.2f}')")
      rec "$tr" "$s" cpu_us "$us"
      rec "$tr" "$s" client_us "$(python3 -c "print(f'{$CLIENT_S * 1e6 / max(1, $comp):.2f}')")"
      rec "$tr" "$s" lat_ms "$(python3 -c "print(float('${DP[avg_s]:-nan}') * 1000)")"
      rec "$tr" "$s" lat_max_ms "$(python3 -c "print(float('${DP[max_s]:-nan}') * 1000)")"
      log "  round $r $tr $s: ${DP[qps]%.*} qps answered at -Q $RATE, loss ${DP[loss_pct]:-NA}%, CPU $us us/query (dnsperf $(python3 -c "print(f'{$CLIENT_S * 1e6 / max(1, $comp):.2f}')")), latency mean ${DP[avg_s]:-NA} s max ${DP[max_s]:-NA} s"
    done
  done
done

# ---- the table: per transport, per server: CPU us/answered query (mean of rounds), ratio to
# the best peer, max qps
python3 - "$RES" "$OUT" "$CMDLINE" "$RATE" "$ROUNDS" "$SECS" "$CLIENTS" "$DOH_METHOD" <<'EOF'
import sys, statistics, collections, datetime
res, out, cmd, rate, rounds, secs, clients, dohm = sys.argv[1:]
d = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(res):
    tr, s, k, v = line.rstrip("\n").split("\t")
    try:
        d[(tr, s)][k].append(float(v))
    except ValueError:
        pass
lines = [f"# Stream transports: CPU per answered query at {rate} qps ({rounds} interleaved rounds of {secs} s, dnsperf -c {clients}; DoH {dohm})", "",
         f"`{cmd}`, {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, servers on CPU 0, dnsperf on CPU 1.", "",
         "| transport | server | CPU µs / answered query | vs best peer | dnsperf CPU µs / query | server + dnsperf µs / query | latency mean / max ms @rate | max qps (unthrottled) | server CPU at max | closed loop qps / mean latency ms |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for tr in ["tcp", "dot", "doh"]:
    rows = {s: v for (t, s), v in d.items() if t == tr}
    if not rows:
        continue
    mean = {s: statistics.mean(v["cpu_us"]) for s, v in rows.items() if v.get("cpu_us")}
    peers = [m for s, m in mean.items() if s != "clusterdns"]
    best = min(peers) if peers else None
    for s, v in rows.items():
        m = mean.get(s)
        ratio = f"{m / best:.2f}x" if m is not None and best else "-"
        cpu = f"{m:.2f}" if m is not None else "NA"
        q = int(v["qps_max"][0]) if v.get("qps_max") else "NA"
        c = int(v["max_cpu_pct"][0]) if v.get("max_cpu_pct") else "NA"
        lat = [x for x in v.get("lat_ms", []) if x == x]
        lmax = [x for x in v.get("lat_max_ms", []) if x == x]
        la = f"{statistics.mean(lat):.2f} / {max(lmax):.1f}" if lat and lmax else "NA"
        cl = [x for x in v.get("client_us", []) if x == x]
        clu = f"{statistics.mean(cl):.2f}" if cl else "NA"
        tot = f"{m + statistics.mean(cl):.2f}" if cl and m is not None else "NA"
        cq = int(v["qps_closed"][0]) if v.get("qps_closed") else "NA"
        clat = [x for x in v.get("lat_closed_ms", []) if x == x]
        cl_ = f"{cq} / {clat[0]:.2f}" if clat else f"{cq} / NA"
        lines.append(f"| {tr} | {s} | {cpu} | {ratio} | {clu} | {tot} | {la} | {q} | {c}% | {cl_} |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
log "wrote $OUT"
