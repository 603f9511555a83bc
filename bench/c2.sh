#!/usr/bin/env bash
# C2 detection (issue 16): quality and speed of `fusion detect c2`.
#
# Quality: for each seed, a `network` scenario of HOSTS hosts over DAYS
# days (beacons, polls, DNS tunnels and long connections hidden among
# people's traffic and benign periodic services), detected and scored with
# `fusion exercise score`; also counts findings that point at a benign
# service of benign.jsonl (there must be none). Prints a line per seed and
# kind, and the time and peak memory of each detection run.
#
# Speed: BenchmarkDetectConn on one core (taskset -c 0): the detector over
# a scenario's conn.log against the baseline of the Zeek reader reading the
# same rows, alternating in one run; prints both rates, the ratio and the
# heap per tracked address pair.
#
#   bash bench/c2.sh                       # seeds 1 2 3, 500 hosts, 2 days
#   SEEDS="7" HOSTS=200 DAYS=1 bash bench/c2.sh
#
# A 500-host, two-day scenario is about 4.8 GB of logs; OUT (default
# bench/out/c2) must have room for one at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${SEEDS:-1 2 3}
hosts=${HOSTS:-500}
days=${DAYS:-2}
out=${OUT:-$PWD/bench/out/c2}
mkdir -p "$out"
go build -o "$out/fusion" ./cmd/fusion
bin=$out/fusion

for seed in $seeds; do
  world=$out/net-$seed
  rm -rf "$world"
  "$bin" scenario generate --kind network --seed "$seed" --hosts "$hosts" --days "$days" --out "$world" 2>/dev/null
  /usr/bin/time -f '%e %M' -o "$out/time" "$bin" detect c2 --in "$world" --out "$world/found.jsonl" 2>"$out/detect.err"
  read -r secs kib <"$out/time"
  "$bin" exercise score --truth "$world/truth.jsonl" --found "$world/found.jsonl" --json >"$out/score.json"
  python3 - "$seed" "$world" "$out/score.json" "$secs" "$kib" <<'EOF'
import json, sys
seed, world, scorefile, secs, kib = sys.argv[1:]
score = json.load(open(scorefile))["kinds"]
benign = [json.loads(l) for l in open(world + "/benign.jsonl")]
names = {n for b in benign for n in b["names"]}
addrs = {a for b in benign for a in b["addrs"]}
found = [json.loads(l) for l in open(world + "/found.jsonl")]
def benign_dst(f):
    d = f.get("dst", "").split("/")[0]
    return d in addrs or any(d == n or d.endswith("." + n) or n.endswith("." + d) for n in names) or any(a in addrs for a in f.get("dst_addrs", []))
hits = sum(1 for f in found if benign_dst(f))
for kind in ("c2-beacon", "c2-poll", "c2-dns", "long-connection"):
    k = score.get(kind, {"truth": 0, "found": 0, "precision": 0, "recall": 0, "f1": 0})
    print(f"seed {seed} {kind:16} truth {k['truth']:3} found {k['found']:3} precision {k['precision']:.3f} recall {k['recall']:.3f} F1 {k['f1']:.3f}")
print(f"seed {seed} findings on benign services: {hits}; detection {float(secs):.1f} s, peak RSS {int(kib)//1024} MiB")
EOF
  grep '^read' "$out/detect.err" | sed "s/^/seed $seed /"
  rm -rf "$world"
done

taskset -c 0 go test -run '^$' -bench BenchmarkDetectConn -benchtime "${ROUNDS:-5}x" ./internal/c2/ | grep Benchmark
