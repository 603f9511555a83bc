#!/usr/bin/env bash
# Batch ingest through the HTTP API: 100,000 records in requests of 10,000,
# against the storage floor measured in the same run (the same records,
# already canonical and encoded, inserted straight into the store).
# Prints the median of COUNT runs and the ratio API/baseline, for SQLite with
# one request at a time and with two in flight, and, when
# FUSION_TEST_POSTGRES is set, PostgreSQL.
#
#   bash bench/ingest.sh            # COUNT=5 by default
#   FUSION_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test bash bench/ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-5}
pattern='Ingest.*SQLite'
[ -n "${FUSION_TEST_POSTGRES:-}" ] && pattern='Ingest'
out=$(go test ./internal/api -run '^$' -bench "$pattern" -benchtime 1x -count "$count")
echo "$out" | grep -E '^Benchmark' || true
echo "$out" | awk '
  /^Benchmark/ { name=$1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name); v[name] = v[name] " " $5 }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "\n%-18s %14s %14s %8s\n", "store", "API rec/s", "baseline rec/s", "ratio"
    split("SQLite SQLite2InFlight Postgres", stores, " ")
    for (k = 1; k <= 3; k++) {
      s = stores[k]; base = s; sub(/2InFlight$/, "", base)
      if (!(("Ingest" s) in v)) continue
      a = median(v["Ingest" s]); b = median(v["IngestBaseline" base])
      printf "%-18s %14.0f %14.0f %8.2f\n", s, a, b, a / b
    }
  }'
