#!/usr/bin/env bash
# GET /api/v1/feedback's work for an originator of 1,000,000 records (totals
# over all of them and the first page of 100), against its floor in the
# same run: the two aggregate queries any answer with totals must run. The
# 1,000,000-record store is built once into FUSION_BENCH_DIR (default
# bench/out) and reused. Prints medians of COUNT runs: time per call, the
# extra resident memory one call takes (peak during the call minus the
# resident set before it) and Go heap allocated per call.
#
#   bash bench/feedback.sh            # COUNT=5 by default
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-5}
export FUSION_BENCH_DIR=${FUSION_BENCH_DIR:-$PWD/bench/out}
mkdir -p "$FUSION_BENCH_DIR"
out=$(go test ./internal/hub -run '^$' -bench 'Feedback(Floor)?1M$' -benchtime 5x -benchmem -count "$count" 2>&1)
echo "$out" | grep -E '^Benchmark|built' || true
echo "$out" | awk '
  /^Benchmark/ {
    name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
    ns[name] = ns[name] " " $3
    for (i = 4; i < NF; i++) {
      if ($(i+1) == "extra-MB") mb[name] = mb[name] " " $i
      if ($(i+1) == "B/op") bytes[name] = bytes[name] " " $i
    }
  }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "\n%-18s %10s %10s %14s %14s\n", "1,000,000 records", "ms/call", "vs floor", "extra RSS MB", "Go heap KB/call"
    base = median(ns["FeedbackFloor1M"])
    split("Feedback1M FeedbackFloor1M", names, " ")
    for (k = 1; k <= 2; k++) { n = names[k]; v = median(ns[n]); printf "%-18s %10.1f %9.2fx %14.1f %14.1f\n", n, v / 1e6, v / base, median(mb[n]), median(bytes[n]) / 1024 }
  }'
