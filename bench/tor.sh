#!/usr/bin/env bash
# Tor attribution: a year of hourly consensuses synthesised from the real
# 7,347-relay consensus of 2017-04-15, generated as dir-spec text in memory,
# parsed and imported into a fresh SQLite store (import time, storage
# against raw size, intervals), then "was this IP a Tor relay at T?" timed
# through Directory.Check in process and over HTTP. Baseline in the same
# run: one PostgreSQL row per (address, consensus hour) with a B-tree index,
# its load time, size and lookup latency, and the ratios. See
# bench/torbench/main.go for the generator and the query mix.
#
#   bash bench/tor.sh                          # 8,760 hours, baseline on all of them
#   HOURS=200 PG_HOURS=200 bash bench/tor.sh   # quick
#   PG_HOURS=2000 bash bench/tor.sh            # baseline on the first 2,000 hours only
#   JSON=1 bash bench/tor.sh                   # one JSON object instead of the table
#   bash bench/tor.sh --keep --cpuprofile bench/out/tor/import.cpu   # other arguments go to torbench
#
# Needs the fixture at ../shared/fixtures/tor (FIXTURE overrides) and
# PostgreSQL at $FUSION_TEST_POSTGRES (default
# postgres://postgres@127.0.0.1:5432/test); without it the baseline is
# skipped with a message. The baseline table (about 5 GB for a full year)
# is dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
hours=${HOURS:-8760}
pghours=${PG_HOURS:-$hours}
dsn=${FUSION_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
fixture=${FIXTURE:-$PWD/../shared/fixtures/tor/2017-04-15-00-00-00-consensus}
out=${OUT:-$PWD/bench/out/tor}
mkdir -p "$out"
go build -o "$out/torbench" ./bench/torbench
args=(--hours "$hours" --pg-hours "$pghours" --dsn "$dsn" --fixture "$fixture" --dir "$out" "$@")
result=$out/result.txt
if [ -n "${JSON:-}" ]; then
  args+=(--json)
  result=$out/result.json
fi
# Progress goes to stderr; the summary to stdout and $result.
echo "+ torbench ${args[*]}" >&2
"$out/torbench" "${args[@]}" | tee "$result"
