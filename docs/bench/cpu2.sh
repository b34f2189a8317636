#!/bin/bash
# Feature-specific CPU per query, each pair in one interleaved run:
#  ptr:  synthesized PTRs (--auto-ptr, reverse zone with SOA/NS only) vs stored PTRs, PTR-only mix
#  svc:  a health-checked service name vs the same two A records in the zone file
#  do:   DO=1 queries on the signed 10k zone: clusterdns vs NSD vs Knot
B=/tmp/bench
NEW=${NEW:-/work/rel-target/release/clusterdns}
L="--listen 127.0.0.1:{port} --threads 1 --no-watch"
cd $B
R=${ROUNDS:-3}; S=${SECS:-8}
echo "== ptr (10k-ptr.txt)"
./cpu_per_query.sh --rounds $R --secs $S --queries zones/queries/10k-ptr.txt \
  stored="$NEW serve --zones zones/10k $L" \
  synth="$NEW serve --zones zones/synth --auto-ptr $L"
echo "== svc (svc.txt)"
./cpu_per_query.sh --rounds $R --secs $S --queries zones/queries/svc.txt \
  plain="$NEW serve --zones zones/svc $L" \
  service="$NEW serve --config docs/bench/svc.toml $L"
echo "== do=1 (10k-mix.txt, signed cluster.test)"
DNSPERF_EXTRA="-D" ./cpu_per_query.sh --rounds $R --secs $S \
  ours="$NEW serve --zones zones/signed $L" \
  nsd="examples/nsd.sh $B/zones/signed {port}" \
  knot="examples/knot.sh $B/zones/signed {port}"
