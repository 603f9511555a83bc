#!/usr/bin/env bash
# TAXII export of a big hub, end to end over HTTP, against fusion's own
# export stream of the same records in the same run; and first-page latency
# on a 10,000-record hub against the big one (internal/taxii/bench_test.go).
# The hubs are built once through hub.CreateRecords (internal/bighub, `go run
# ./bench/bighub`) into FUSION_BENCH_DIR (default bench/out) and reused.
# The test binary is built once; each of COUNT rounds pages the visible
# collection with limit=10000, streams GET /api/v1/records/export and (with
# DEFAULT=1) pages with the default limit, alternating the order. Prints
# every run, the medians and the median of the per-round ratios TAXII /
# export (records per second, wall and CPU), then the first-page medians.
#
#   bash bench/taxii.sh                    # 1,000,000 records, COUNT=3
#   RECORDS=100000 COUNT=5 DEFAULT=1 bash bench/taxii.sh
#   PAGES=201 bash bench/taxii.sh          # first pages timed per hub and limit
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-3}
pages=${PAGES:-101}
export FUSION_BENCH_RECORDS=${RECORDS:-1000000}
export FUSION_BENCH_DIR=${FUSION_BENCH_DIR:-$PWD/bench/out}
mkdir -p "$FUSION_BENCH_DIR"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go run ./bench/bighub --records "$FUSION_BENCH_RECORDS" >/dev/null
go run ./bench/bighub --records 10000 >/dev/null
go test -c -o "$work/taxii.test" ./internal/taxii
dir=$(go list -f '{{.Dir}}' ./internal/taxii)
run() { (cd "$dir" && "$work/taxii.test" -test.run '^$' -test.bench "^Benchmark$1\$" -test.benchtime "${2:-1x}") | grep -E '^Benchmark' || true; }
exports="TAXIIExportLimit10000 RecordsExport"
[ -n "${DEFAULT:-}" ] && exports="$exports TAXIIExportDefault"
for i in $(seq 1 "$count"); do
  set -- $exports
  [ $((i % 2)) -eq 0 ] && set -- $(printf '%s\n' "$@" | tac)
  for b in "$@"; do run "$b"; done | sed "s/^/round $i: /"
done | tee "$work/out"
awk '
  /Benchmark/ { name=$3; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name); r=$2; sub(/:$/, "", r)
    for (i = 4; i <= NF; i++) { if ($(i+1) == "records/s") w[name, r] = $i; if ($(i+1) == "records/cpu-s") c[name, r] = $i; if ($(i+1) == "objects/s") o[name, r] = $i }
    names[name] = 1; rounds[r] = 1 }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "\n%-24s %12s %12s %14s %12s %12s\n", "median of rounds", "objects/s", "records/s", "records/cpu-s", "vs export", "cpu vs export"
    for (n in names) {
      sw = sc = so = rw = rc = ""
      for (r in rounds) {
        sw = sw " " w[n, r]; sc = sc " " c[n, r]; so = so " " o[n, r]
        if (w["RecordsExport", r] > 0) { rw = rw " " w[n, r] / w["RecordsExport", r]; rc = rc " " c[n, r] / c["RecordsExport", r] }
      }
      printf "%-24s %12.0f %12.0f %14.0f %12.3f %12.3f\n", n, median(so), median(sw), median(sc), median(rw), median(rc)
    }
  }' "$work/out"
echo
run TAXIIFirstPage "${pages}x"
