#!/usr/bin/env bash
# Inline screening over HTTP (issue 18: p99 < 2 ms at 5,000 requests/s):
# POST /api/v1/screen at a fixed rate over TCP on 127.0.0.1, served by the
# hub's real server handler (a sensor token, a hub on SQLite), sent the
# bookings of a generated transactions scenario (200,000 a run, seeded by
# the run's number) in booking order, the organization's screener first
# given in process those the load does not need (40,000 at the defaults).
# Baseline in the same run, alternating phase by phase: reading the
# bookings alone, a handler that only parses the booking
# (screen.ParseBooking) and answers a fixed pass, on its own listener,
# sent the same bookings. The load is open-loop (latency from each
# request's due time, so queueing counts); see bench/screenbench/main.go
# and bench/loadgen.
#
# Each run prints its own table (p50, p99, p99.9, max, achieved rate,
# errors, CPU per request, handler times, decisions); the last lines are
# the medians over RUNS runs, the ratios of the medians and whether the
# screen's median p99 is under 2 ms.
#
#   bash bench/screen.sh                            # 3 runs: 5,000/s, 6 rounds of 5 s, 200,000 bookings
#   RUNS=1 RATE=2000 ROUNDS=2 bash bench/screen.sh
#   bash bench/screen.sh --cpuprofile bench/out/screen/cpu.prof   # other arguments go to screenbench
#
# The client shares the machine (and the process) with the servers; on a
# shared machine, other load shows in both targets' latencies and in the
# load average each run prints.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
out=${OUT:-$PWD/bench/out/screen}
mkdir -p "$out"
go build -o "$out/screenbench" ./bench/screenbench
args=(--bookings "${BOOKINGS:-200000}" --rate "${RATE:-5000}" --phase "${PHASE:-5s}" --rounds "${ROUNDS:-6}" "$@")
: >"$out/runs.jsonl"
for i in $(seq "$runs"); do
  echo "+ screenbench ${args[*]} --seed $i   (run $i of $runs)" >&2
  "$out/screenbench" "${args[@]}" --seed "$i" --json 2>"$out/run-$i.log" | tee -a "$out/runs.jsonl" >/dev/null
  grep -E '^screenbench: (screened them|round)' "$out/run-$i.log" >&2 || true
done
"$out/screenbench" --medians "$out/runs.jsonl"
