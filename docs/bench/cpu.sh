#!/bin/bash
# One interleaved CPU-per-query run: the pre-session binary, today's binary (plain and with each
# optional feature on), NSD and Knot, 10k-node zone, 70% A / 20% PTR / 10% NXDOMAIN.
B=/tmp/bench
OLD=${OLD:-/work/wt-before/target/release/clusterdns}
NEW=${NEW:-/work/rel-target/release/clusterdns}
Z=$B/zones/10k
COMMON="--zones $Z --listen 127.0.0.1:{port} --threads 1 --no-watch"
cd $B
exec ./cpu_per_query.sh --rounds ${ROUNDS:-3} --secs ${SECS:-10} \
  before="$OLD serve $COMMON" \
  now="$NEW serve $COMMON" \
  rrl="$NEW serve $COMMON --rrl-responses-per-second 1000000" \
  metrics="$NEW serve $COMMON --metrics 127.0.0.1:19153" \
  querylog="$NEW serve $COMMON --query-log" \
  forward="$NEW serve --config docs/bench/fwd.toml --listen 127.0.0.1:{port} --threads 1 --no-watch" \
  nsd="examples/nsd.sh $Z {port}" \
  knot="examples/knot.sh $Z {port}"
