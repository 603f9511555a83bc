#!/usr/bin/env bash
# MISP import and feed export (internal/hub/misp_test.go), each against its
# baseline in the same run, interleaved:
#   ImportMISP           a 100,000-attribute feed (1,000 events of 100) into
#                        a fresh SQLite hub, against
#   ImportMISPRecordsOnly  the same 80,000 record inputs straight to
#                        CreateRecords (the floor; both count attributes/s);
#   MISPFeed             a reader's whole served feed (manifest, 100 events of
#                        100 attributes, hashes.csv), against
#   MISPFeedSTIXBaseline the same records exported as STIX (records/s).
# The test binary is built once; each of COUNT rounds runs every benchmark
# once, alternating the order of each pair. Prints every run, the medians and
# the median of the per-round ratios.
#
#   bash bench/misp.sh            # COUNT=5
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/hub.test" ./internal/hub
dir=$(go list -f '{{.Dir}}' ./internal/hub)
run() { (cd "$dir" && "$work/hub.test" -test.run '^$' -test.bench "^Benchmark$1\$" -test.benchtime 1x) | grep -E '^Benchmark' || true; }
for i in $(seq 1 "$count"); do
  for pair in "ImportMISP ImportMISPRecordsOnly" "MISPFeed MISPFeedSTIXBaseline"; do
    set -- $pair
    [ $((i % 2)) -eq 0 ] && set -- "$2" "$1"
    for b in "$@"; do run "$b"; done
  done | sed "s/^/round $i: /"
done | tee "$work/out"
awk '
  /Benchmark/ { name=$3; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name); r=$2; sub(/:$/, "", r)
    for (i = 4; i <= NF; i++) if ($(i+1) == "attributes/s" || $(i+1) == "objects/s") v[name, r] = $i
    names[name] = 1; rounds[r] = 1 }
  function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END {
    for (n in names) { k = 0; for (r in rounds) if ((n, r) in v) x[++k] = v[n, r]; printf "median %-22s %10.0f %s\n", n, median(x, k), (n ~ /STIX/ ? "objects/s" : "attributes/s"); delete x }
    k = 0; for (r in rounds) if (("ImportMISP", r) in v && ("ImportMISPRecordsOnly", r) in v) x[++k] = v["ImportMISP", r] / v["ImportMISPRecordsOnly", r]
    printf "median ratio import / floor (attributes/s): %.2f\n", median(x, k); delete x
    k = 0; for (r in rounds) if (("MISPFeed", r) in v && ("MISPFeedSTIXBaseline", r) in v) x[++k] = v["MISPFeed", r] / (v["MISPFeedSTIXBaseline", r] / 3)
    printf "median ratio feed attributes/s / STIX records/s (3 objects a record): %.2f\n", median(x, k)
  }' "$work/out"
