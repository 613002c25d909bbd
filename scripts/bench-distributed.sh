#!/usr/bin/env bash
# bench-distributed.sh: norn backup over NATS JetStream workers against the local pool, on one
# simulated fleet. It builds cmd/norn, starts Debian's nats-server (JetStream, 127.0.0.1), a devsim
# fleet of N devices and WORKERS worker processes (norn worker, all on the queue "default"), then
# backs the fleet up twice into fresh repositories: distributed (norn backup -nats-url) and local
# (norn backup), and prints seconds and devices per second of each.
#
#   scripts/bench-distributed.sh             # 1,000 devices, 4 workers
#   scripts/bench-distributed.sh 10000       # 10,000 devices
#   KILL=1 scripts/bench-distributed.sh      # kill -9 one worker 2 s into the distributed run
#
# Environment: WORKERS (worker processes, default 4), KILL (1: kill one worker mid-run),
# KEEP=1 keeps the work directory. Needs nats-server (apt-get install nats-server).
set -euo pipefail

n="${1:-1000}"
case "$n" in '' | *[!0-9]*) echo "usage: $0 [devices]" >&2; exit 2 ;; esac
nw="${WORKERS:-4}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/norn-bench-distributed.XXXXXX")"
pids=()
nats_bin="$(command -v nats-server || echo /usr/sbin/nats-server)"
[[ -x "$nats_bin" ]] || { echo "nats-server not found (apt-get install nats-server)" >&2; exit 2; }

cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [[ "${KEEP:-0}" == 1 ]]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "building cmd/norn..." >&2
(cd "$root" && go build -o "$work/norn" ./cmd/norn)

port=$((20000 + RANDOM % 20000))
"$nats_bin" -js -a 127.0.0.1 -p "$port" -sd "$work/nats" >"$work/nats.log" 2>&1 &
pids+=($!)
url="nats://127.0.0.1:$port"

"$work/norn" devsim -n "$n" -seed 1 -fault-rate 0 -inventory "$work/inv" >"$work/devsim.log" 2>&1 &
pids+=($!)
until grep -q "running until" "$work/devsim.log" 2>/dev/null; do sleep 0.1; done
until grep -q "Server is ready" "$work/nats.log" 2>/dev/null; do sleep 0.1; done

wpids=()
for i in $(seq "$nw"); do
	"$work/norn" worker -region default -nats-url "$url" -nats-route none -inventory "$work/inv" >"$work/worker$i.log" 2>&1 &
	wpids+=($!)
	pids+=($!)
done
for i in $(seq "$nw"); do until grep -q "serving queue" "$work/worker$i.log" 2>/dev/null; do sleep 0.1; done; done

run() { # label, extra args...
	local label="$1"; shift
	local start end status
	start=$(date +%s.%N)
	set +e
	"$work/norn" backup -inventory "$work/inv" -progress off "$@" >"$work/$label.txt" 2>"$work/$label.err"
	status=$?
	set -e
	end=$(date +%s.%N)
	grep -E '^ +(ok|failed|not run) ' "$work/$label.txt" | tr -s ' ' | sed "s/^/  $label:/" >&2 || true
	awk -v l="$label" -v a="$start" -v b="$end" -v n="$n" -v s="$status" \
		'BEGIN { printf "%-12s %6d devices %8.2f s %8.0f devices/s (exit %d)\n", l, n, b - a, n / (b - a), s }'
}

if [[ "${KILL:-0}" == 1 ]]; then
	(sleep 2; kill -9 "${wpids[0]}" 2>/dev/null && echo "killed worker 1 (pid ${wpids[0]})" >&2) &
fi
run distributed -out "$work/out-nats" -nats-url "$url" -nats-route none
run local -out "$work/out-local"
