#!/usr/bin/env bash
# Log matching: `fusion match` over a Zeek conn log against an intel set,
# with baselines in the same run: the floor — a plain Go loader and hash
# set of the same exact values, interleaved with the index (bench/matchfloor)
# — a MISP-style SQL lookup per event against PostgreSQL (B-tree and GiST
# indexed tables, bench/pgmatch) and `grep -F -w -f` (exact values) plus
# `grepcidr` (prefixes). Prints the index build time, resident memory
# against the live index, events/s (all cores and one core) and the
# ratios. SKIP_PG=1 and SKIP_GREP=1 leave those baselines out.
#
#   bash bench/match.sh                                  # 10M indicators, 10M events
#   INDICATORS=1000000 EVENTS=1000000 bash bench/match.sh
#
# Needs grepcidr (apt-get install grepcidr) and PostgreSQL at
# $FUSION_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
indicators=${INDICATORS:-10000000}
events=${EVENTS:-10000000}
pgevents=${PG_EVENTS:-200000}
grepevents=${GREP_EVENTS:-1000000}
count=${COUNT:-3}
dsn=${FUSION_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
out=${OUT:-$PWD/bench/out/match}
mkdir -p "$out"
go build -o "$out/fusion" ./cmd/fusion
go build -o "$out/pgmatch" ./bench/pgmatch
go build -o "$out/matchfloor" ./bench/matchfloor
bin=$out/fusion
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
# seconds reads a Go duration (784ms, 3.2s, 4m32.229s) as seconds.
seconds() { awk '{ d = $1; t = 0
  if (d ~ /ms$/) { sub(/ms$/, "", d); print d / 1000; next }
  if (d ~ /h/) { split(d, a, "h"); t += a[1] * 3600; d = a[2] }
  if (d ~ /m/) { split(d, a, "m"); t += a[1] * 60; d = a[2] }
  sub(/s$/, "", d); print t + d }'; }

# The world: the intel set, and an enterprise that contacts some of it.
if [ ! -s "$out/intel/records.jsonl" ] || [ "$(cat "$out/intel/.count" 2>/dev/null)" != "$indicators" ]; then
  rm -rf "$out/intel"
  "$bin" scenario generate --kind intel --seed 1 --count "$indicators" --out "$out/intel"
  echo "$indicators" > "$out/intel/.count"
fi
if [ ! -s "$out/conn.log" ] || [ "$(grep -vc '^#' "$out/conn.log")" != "$events" ]; then
  hosts=$(( events / 15000 + 1 ))
  rm -rf "$out/net"
  "$bin" scenario generate --kind network --seed 1 --hosts "$hosts" --days 1 --intel "$out/intel" --out "$out/net"
  awk -v max="$events" '/^#/ { if (!/^#close/) print; next } n++ < max' "$out/net/conn.log" > "$out/conn.log"
  rm -rf "$out/net"
fi
n_events=$(grep -vc '^#' "$out/conn.log")
echo "indicators: $indicators ($(du -h "$out/intel/records.jsonl" | cut -f1)), conn events: $n_events ($(du -h "$out/conn.log" | cut -f1))"

# fusion match: build time, memory, rate on all cores; then on one core.
builds=() rates=() rss=() live=()
for i in $(seq 1 "$count"); do
  /usr/bin/time -f '%M' -o "$out/time" "$bin" match --in "$out/conn.log" --indicators "$out/intel/records.jsonl" --out "$out/found.jsonl" 2> "$out/stderr"
  line=$(grep '^indexed' "$out/stderr")
  builds+=("$(echo "$line" | sed -E 's/.* indicators in ([0-9.hms]+) .*/\1/' | seconds)")
  rates+=("$(echo "$line" | awk '{for (i=1;i<=NF;i++) if ($i == "events/s") print $(i-1)}')")
  rss+=("$(cat "$out/time")")
  live+=("$(echo "$line" | sed -E 's/.*\(([0-9]+) MiB live heap.*/\1/')")
  echo "  run $i: $line; max RSS $(($(cat "$out/time") / 1024)) MiB"
done
taskset -c 0 "$bin" match --in "$out/conn.log" --indicators "$out/intel/records.jsonl" --out /dev/null 2> "$out/stderr1"
rate1=$(grep '^indexed' "$out/stderr1" | awk '{for (i=1;i<=NF;i++) if ($i == "events/s") print $(i-1)}')
echo "  one core (taskset -c 0): $(grep '^indexed' "$out/stderr1")"
tonum() { awk '{v=$1; m=1; if (v ~ /M$/) m=1e6; else if (v ~ /k$/) m=1e3; sub(/[Mk]$/, "", v); printf "%.0f\n", v*m}'; }
build=$(printf '%s\n' "${builds[@]}" | median)
rate=$(printf '%s\n' "${rates[@]}" | tonum | median)
rate1=$(echo "$rate1" | tonum)
rssk=$(printf '%s\n' "${rss[@]}" | median)
livem=$(printf '%s\n' "${live[@]}" | median)

# The floor: index build and matching against a plain loader and hash set,
# interleaved in one process (both files read into memory first).
"$out/matchfloor" --indicators "$out/intel/records.jsonl" --in "$out/conn.log" --count "$count" --matches 3 | tee "$out/floor"
floorbuild=$(awk '/^index build \/ floor build/ {print $(NF-4)}' "$out/floor")
floormatch=$(awk '/^index match rate \/ floor rate/ {print $(NF-4)}' "$out/floor")
floorbuildcpu=$(awk '/^CPU index build \/ floor build/ {print $(NF-4)}' "$out/floor")
floormatchcpu=$(awk '/^CPU floor match \/ index match/ {print $(NF-4)}' "$out/floor")

pgrate=0 grate=0
if [ -z "${SKIP_PG:-}" ]; then
# PostgreSQL: one round trip per event.
pg=$("$out/pgmatch" --dsn "$dsn" --indicators "$out/intel/records.jsonl" --in "$out/conn.log" --events "$pgevents")
pgrate=$(echo "$pg" | sed -E 's/.*"events_per_second":([0-9.e+]+).*/\1/')
echo "  postgres: $pg"
fi

if [ -z "${SKIP_GREP:-}" ]; then
# grep -F -w -f (exact values) and grepcidr (prefixes) over the first
# GREP_EVENTS lines of the same log (grep's cost is per line once its
# automaton is built; the whole log would take hours).
awk -v max="$grepevents" '/^#/ { print; next } n++ < max' "$out/conn.log" > "$out/conn.sample.log"
n_grep=$(grep -vc '^#' "$out/conn.sample.log")
awk -F'"' '$4 != "cidr" { print $8 }' "$out/intel/records.jsonl" > "$out/values.txt"
awk -F'"' '$4 == "cidr" { print $8 }' "$out/intel/records.jsonl" > "$out/cidrs.txt"
t0=$(now)
gmatch=$(timeout 1800 grep -F -w -f "$out/values.txt" "$out/conn.sample.log" | wc -l) || gmatch="failed"
t1=$(now)
cmatch=$(timeout 1800 grepcidr -f "$out/cidrs.txt" "$out/conn.sample.log" | wc -l) || cmatch="failed"
t2=$(now)
gsec=$(echo "$t1 - $t0" | bc -l); csec=$(echo "$t2 - $t1" | bc -l)
echo "  over $n_grep events: grep -F -w -f: $gmatch lines in ${gsec}s; grepcidr: $cmatch lines in ${csec}s"
grate=$(echo "$n_grep / ($gsec + $csec)" | bc -l)
fi

printf '\n%-34s %14s\n' "" "value"
printf '%-34s %14.1f s\n' "index build (median)" "$build"
printf '%-34s %14.0f MiB\n' "fusion match max RSS (median)" "$(echo "$rssk / 1024" | bc -l)"
printf '%-34s %14.0f B\n' "RSS per indicator" "$(echo "$rssk * 1024 / $indicators" | bc -l)"
printf '%-34s %14.0f MiB\n' "live index heap (median)" "$livem"
printf '%-34s %14.2f x   (target <= 1.5)\n' "max RSS / live index" "$(echo "$rssk / 1024 / $livem" | bc -l)"
printf '%-34s %14s x   (target <= 2)\n' "index build / plain loader" "$floorbuild wall, $floorbuildcpu CPU"
printf '%-34s %14s x   (target >= 0.8)\n' "matching / hash-set floor" "$floormatch wall, $floormatchcpu CPU"
printf '%-34s %14.0f events/s\n' "fusion match, 2 cores (median)" "$rate"
printf '%-34s %14.0f events/s\n' "fusion match, one core" "$rate1"
[ "$pgrate" != 0 ] && printf '%-34s %14.0f events/s\n' "PostgreSQL per-event lookup" "$pgrate"
[ "$grate" != 0 ] && printf '%-34s %14.0f events/s\n' "grep -F -w -f + grepcidr" "$grate"
[ "$pgrate" != 0 ] && printf '%-34s %14.1f x\n' "one core / PostgreSQL" "$(echo "$rate1 / $pgrate" | bc -l)"
[ "$grate" != 0 ] && printf '%-34s %14.1f x\n' "one core / grep + grepcidr" "$(echo "$rate1 / $grate" | bc -l)"
true
