#!/usr/bin/env bash
# Scenario generation rate per kind, events per second, against the I/O
# floor measured in the same run: copying the very files generated. Prints
# the median of COUNT runs and the ratio generation time / copy time.
#
#   bash bench/scenario.sh           # COUNT=3, sizes below
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-3}
out=${OUT:-$PWD/bench/out/scenario}
go build -o "$out/fusion" ./cmd/fusion
bin=$out/fusion

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# kind, flags, files whose lines are events
run() {
  local kind=$1 flags=$2 files=$3 gen=() cp=() events=0
  for i in $(seq 1 "$count"); do
    rm -rf "$out/$kind" "$out/$kind.copy"
    local t0; t0=$(now)
    "$bin" scenario generate --kind "$kind" --seed "$i" --out "$out/$kind" $flags 2>/dev/null
    local t1; t1=$(now)
    cp -r "$out/$kind" "$out/$kind.copy" && sync
    local t2; t2=$(now)
    gen+=("$(echo "$t1 - $t0" | bc -l)")
    cp+=("$(echo "$t2 - $t1" | bc -l)")
    events=0
    for f in $files; do
      events=$((events + $(grep -vc '^#' "$out/$kind/$f")))
    done
  done
  local g c
  g=$(printf '%s\n' "${gen[@]}" | median)
  c=$(printf '%s\n' "${cp[@]}" | median)
  printf '%-13s %11d events %8.2f s %12.0f events/s   copy %6.2f s   gen/copy %5.2f\n' \
    "$kind" "$events" "$g" "$(echo "$events / $g" | bc -l)" "$c" "$(echo "$g / $c" | bc -l)"
  rm -rf "$out/$kind" "$out/$kind.copy"
}

run network "--hosts 400 --days 1" "conn.log dns.log http.log"
run intel "--count 5000000" "records.jsonl"
run sms "--count 5000000" "requests.jsonl"
run transactions "--count 5000000" "bookings.jsonl"
