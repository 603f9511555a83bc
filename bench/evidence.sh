#!/usr/bin/env bash
# Evidence log: durable appends per second on SQLite (synchronous=FULL) with
# batching, against one leaf per transaction in the same run; and proof
# latency at 1,000,000 entries, against the same proofs from in-memory hashes.
# The million-leaf log is built once into FUSION_BENCH_DIR (default
# bench/out) and reused.
#
#   bash bench/evidence.sh          # COUNT=5 by default
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-5}
export FUSION_BENCH_DIR=${FUSION_BENCH_DIR:-$PWD/bench/out}
mkdir -p "$FUSION_BENCH_DIR"
out=$(go test ./internal/evidence -run '^$' -bench 'Append|Proof1M' -benchtime 2s -count "$count" -timeout 60m 2>&1)
echo "$out" | grep -E '^Benchmark|built' || true
echo "$out" | awk '
  /^Benchmark/ {
    name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
    ns[name] = ns[name] " " $3
    for (i = 4; i < NF; i++) if ($(i+1) == "leaves/s") rate[name] = rate[name] " " $i
  }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    base = median(rate["AppendUnbatched"])
    printf "\n%-28s %14s %10s\n", "durable appends (SQLite)", "leaves/s", "vs 1/tx"
    split("AppendUnbatched AppendGroupCommit AppendBatch1000", names, " ")
    for (k = 1; k <= 3; k++) { r = median(rate[names[k]]); printf "%-28s %14.0f %9.1fx\n", names[k], r, r / base }
    mem = median(ns["InclusionProof1MInMemory"])
    printf "\n%-28s %14s %10s\n", "proofs at 1,000,000 leaves", "median us", "vs memory"
    split("InclusionProof1M ConsistencyProof1M InclusionProof1MInMemory", names, " ")
    for (k = 1; k <= 3; k++) { v = median(ns[names[k]]); printf "%-28s %14.1f %9.1fx\n", names[k], v / 1000, v / mem }
  }'
