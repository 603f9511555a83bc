#!/usr/bin/env bash
# Batch ingest through the HTTP API: 100,000 records in requests of 10,000,
# against the storage floor measured in the same run (the same records,
# already canonical and encoded, inserted straight into the store).
# The test binary is built once; then COUNT rounds each run every API
# benchmark and its floor once, alternating which goes first, so that the
# machine's load falls on both alike (with `go test -count` all repeats of
# one benchmark ran back to back and the ratio followed the load). Prints
# every run, the medians and the median of the per-round ratios API/floor,
# for SQLite with one request at a time and with two in flight, and, when
# FUSION_TEST_POSTGRES is set, PostgreSQL.
#
#   bash bench/ingest.sh            # COUNT=5 by default
#   FUSION_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test bash bench/ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-5}
stores="SQLite SQLite2InFlight"
[ -n "${FUSION_TEST_POSTGRES:-}" ] && stores="$stores Postgres"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/api.test" ./internal/api
dir=$(go list -f '{{.Dir}}' ./internal/api)
run() { (cd "$dir" && "$work/api.test" -test.run '^$' -test.bench "^Benchmark$1\$" -test.benchtime 1x) | grep -E '^Benchmark' || true; }
for i in $(seq 1 "$count"); do
  for s in $stores; do
    base=${s%2InFlight}
    if [ $(( (i + ${#s}) % 2 )) -eq 0 ]; then
      run "Ingest$s"; run "IngestBaseline$base"
    else
      run "IngestBaseline$base"; run "Ingest$s"
    fi | sed "s/^/round $i: /"
  done
done | tee "$work/out"
awk '
  /Benchmark/ { name=$3; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name); r=$2; sub(/:$/, "", r)
    for (i = 4; i <= NF; i++) if ($(i+1) == "records/s") v[name, r] = $i; rounds[r] = 1 }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "\n%-18s %14s %14s %16s\n", "store", "API rec/s", "floor rec/s", "ratio (median)"
    split("SQLite SQLite2InFlight Postgres", stores, " ")
    for (k = 1; k <= 3; k++) {
      s = stores[k]; base = s; sub(/2InFlight$/, "", base); a = b = q = ""
      for (r in rounds) if ((("Ingest" s), r) in v && (("IngestBaseline" base), r) in v) {
        x = v["Ingest" s, r]; y = v["IngestBaseline" base, r]
        a = a " " x; b = b " " y; q = q " " x / y
      }
      if (a == "") continue
      printf "%-18s %14.0f %14.0f %16.2f\n", s, median(a), median(b), median(q)
    }
  }' "$work/out"
