#!/usr/bin/env bash
# SMS-pumping guard over HTTP (issue 17): POST /api/v1/sms/check at a
# fixed rate over TCP on 127.0.0.1, served by the hub's real server
# handler (a sensor token, a hub on SQLite) with the organization's guard
# brought to 1,000,000 distinct numbers in state (62,500 valid mobile
# 1,000-number blocks of 20 countries, 16 numbers each, fed through the
# hub over the day before). Baseline in the same run, alternating phase by
# phase: a handler that only parses the request (sms.ParseRequest) and
# answers a fixed allow, on its own listener. The load is open-loop
# (latency from each request's due time, so queueing counts); see
# bench/smsbench/main.go.
#
# Each run prints its own table (p50, p99, p99.9, max, achieved rate,
# errors, CPU per request, the guard's state and memory); the last lines
# are the medians over RUNS runs and the ratios of the medians.
#
#   bash bench/sms.sh                               # 3 runs: 10,000/s, 6 rounds of 5 s, 1,000,000 numbers
#   RUNS=1 RATE=2000 NUMBERS=100000 bash bench/sms.sh
#   bash bench/sms.sh --cpuprofile bench/out/sms/cpu.prof   # other arguments go to smsbench
#
# The client shares the machine (and the process) with the servers; on a
# shared machine, other load shows in both targets' latencies and in the
# load average each run prints.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
out=${OUT:-$PWD/bench/out/sms}
mkdir -p "$out"
go build -o "$out/smsbench" ./bench/smsbench
args=(--numbers "${NUMBERS:-1000000}" --rate "${RATE:-10000}" --phase "${PHASE:-5s}" --rounds "${ROUNDS:-6}" "$@")
: >"$out/runs.jsonl"
for i in $(seq "$runs"); do
  echo "+ smsbench ${args[*]} --seed $i   (run $i of $runs)" >&2
  "$out/smsbench" "${args[@]}" --seed "$i" --json 2>"$out/run-$i.log" | tee -a "$out/runs.jsonl" >/dev/null
  grep -E '^smsbench: (loaded in|round)' "$out/run-$i.log" >&2 || true
done
python3 - "$out/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
med = lambda xs: statistics.median(xs)
s0 = runs[0]
print(f"{len(runs)} runs, {s0['rate']}/s to each target, {s0['rounds']} rounds of {s0['phase']}, {s0['conns']} connections each")
for r in runs:
    st = r["state"]
    print(f"  state {st['numbers']:,} numbers in {st['blocks']:,} blocks, {st['ips']:,} addresses; heap {r['heap_before']/2**20:.1f} -> {r['heap_after']/2**20:.1f} MB, "
          f"RSS {r['rss_before']/2**20:.1f} -> {r['rss_after']/2**20:.1f} MB; load average {r['loadavg'][0]:.1f}/{r['loadavg'][1]:.1f}")
    print(f"    guard p50 {r['guard']['p50_us']:.0f} p99 {r['guard']['p99_us']:.0f} µs ({r['guard']['achieved_per_s']:.0f}/s, CPU {r['guard']['cpu_us_per_request']:.1f} µs); "
          f"baseline p50 {r['baseline']['p50_us']:.0f} p99 {r['baseline']['p99_us']:.0f} µs ({r['baseline']['achieved_per_s']:.0f}/s, CPU {r['baseline']['cpu_us_per_request']:.1f} µs); "
          f"p99 per phase guard {r['guard']['phase_p99_us']} baseline {r['baseline']['phase_p99_us']}")
print(f"{'target':9} {'p50 µs':>8} {'p99 µs':>8} {'p99.9 µs':>9} {'max µs':>9} {'achieved/s':>10} {'errors':>6} {'CPU µs':>7}")
m = {}
for t in ("guard", "baseline"):
    k = {f: med([r[t][f] for r in runs]) for f in ("p50_us", "p99_us", "p99_9_us", "max_us", "achieved_per_s", "errors", "cpu_us_per_request")}
    m[t] = k
    print(f"{t:9} {k['p50_us']:8.0f} {k['p99_us']:8.0f} {k['p99_9_us']:9.0f} {k['max_us']:9.0f} {k['achieved_per_s']:10.0f} {k['errors']:6.0f} {k['cpu_us_per_request']:7.1f}")
g, b = m["guard"], m["baseline"]
print(f"ratio guard/baseline (medians): p50 {g['p50_us']/b['p50_us']:.2f}x, p99 {g['p99_us']/b['p99_us']:.2f}x, p99.9 {g['p99_9_us']/b['p99_9_us']:.2f}x, CPU {g['cpu_us_per_request']/b['cpu_us_per_request']:.2f}x")
print(f"guard heap for the state (median): +{med([(r['heap_after']-r['heap_before'])/2**20 for r in runs]):.1f} MB, RSS +{med([(r['rss_after']-r['rss_before'])/2**20 for r in runs]):.1f} MB")
PY
