#!/usr/bin/env bash
# Compare benchmarks of a base revision with the working tree, in one run:
# both test binaries are built first, then run alternately COUNT times, so
# that the machine's noise falls on both alike. Prints each benchmark's
# median METRIC for base and head and the ratio head/base.
#
#   bash bench/vs.sh BASE PKG BENCH [METRIC]
#   COUNT=7 bash bench/vs.sh cb3c28d ./internal/api 'IngestSQLite$' records/s
#   FUSION_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test bash bench/vs.sh cb3c28d ./internal/api 'IngestPostgres$' records/s
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1 pkg=$2 bench=$3 metric=${4:-ns/op}
count=${COUNT:-5}
benchtime=${BENCHTIME:-1x}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/base" "$base" >/dev/null 2>&1
(cd "$work/base" && go test -c -o "$work/base.test" "$pkg")
go test -c -o "$work/head.test" "$pkg"
dir=$(go list -f '{{.Dir}}' "$pkg")
for i in $(seq 1 "$count"); do
  for side in base head; do
    src=$PWD; [ "$side" = base ] && src="$work/base"
    (cd "$src/${dir#$PWD/}" && "$work/$side.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" -test.count 1) |
      awk -v side="$side" -v m="$metric" '/^Benchmark/ { for (i = 3; i < NF; i++) if ($(i+1) == m) print side, $1, $i }' >> "$work/results"
  done
done
awk -v m="$metric" '
  { key = $2; v[$1 " " key] = v[$1 " " key] " " $3; names[key] = 1 }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "%-40s %16s %16s %8s\n", "benchmark (median of " '"$count"' ")", "base " m, "head " m, "head/base"
    for (k in names) { b = median(v["base " k]); h = median(v["head " k]); printf "%-40s %16.1f %16.1f %8.3f\n", k, b, h, h / b }
  }' "$work/results"
