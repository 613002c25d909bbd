#!/usr/bin/env bash
# bench-backup.sh: the backup job's benchmark. It builds cmd/norn, starts a simulated fleet as its
# own process (norn devsim, loopback only), backs it up into a fresh git
# repository and prints devices, seconds, devices per second and the backup process's peak RSS.
#
#   scripts/bench-backup.sh            # 1,000 devices
#   scripts/bench-backup.sh 10000      # 10,000 devices
#   WORKERS=200 scripts/bench-backup.sh 10000
#
# Environment: WORKERS (backup -workers, default the program's 100), FAULTS (norn devsim -fault-rate,
# default 0), SEED (default 1), BACKUP_ARGS (more flags for the backup program, e.g.
# "-cpuprofile /tmp/cpu.out"), KEX (SSH key exchanges the client offers, comma-separated, e.g.
# "ecdh-sha2-nistp256": the scrapli plugins' ssh_kex_algorithms, added to the inventory's
# defaults; default x/crypto's list), KEEP=1 keeps the work directory.
set -euo pipefail

n="${1:-1000}"
case "$n" in '' | *[!0-9]*) echo "usage: $0 [devices]" >&2; exit 2 ;; esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/norn-bench-backup.XXXXXX")"
fleet_pid=""

cleanup() {
	if [[ -n "$fleet_pid" ]] && kill -0 "$fleet_pid" 2>/dev/null; then
		kill -TERM "$fleet_pid" 2>/dev/null || true
		wait "$fleet_pid" 2>/dev/null || true
	fi
	if [[ "${KEEP:-0}" == 1 ]]; then
		echo "work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building cmd/norn (norn devsim, norn backup)..." >&2
(cd "$root" && go build -o "$work/norn" ./cmd/norn)

# Many devices need many file descriptors (one listener each, plus connections).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "starting a fleet of $n devices..." >&2
fleet_start=$(date +%s.%N)
"$work/norn" devsim -n "$n" -seed "${SEED:-1}" -fault-rate "${FAULTS:-0}" -inventory "$work/inv" >"$work/devsim.log" 2>&1 &
fleet_pid=$!
# devsim prints "running until SIGINT" once every device listens and the inventory is written.
until grep -q "running until" "$work/devsim.log" 2>/dev/null; do
	if ! kill -0 "$fleet_pid" 2>/dev/null; then
		echo "devsim exited early:" >&2
		cat "$work/devsim.log" >&2
		exit 1
	fi
	sleep 0.1
done
fleet_ready=$(date +%s.%N)
if [[ -n "${KEX:-}" ]]; then
	# Every scrapli connection's extras (SSH and NETCONF) get the key exchange list.
	awk -v kex="$KEX" '{ print } /^ +ssh_known_hosts_file: / { match($0, /^ +/); printf "%sssh_kex_algorithms: \"%s\"\n", substr($0, 1, RLENGTH), kex }' \
		"$work/inv/defaults.yaml" >"$work/inv/defaults.yaml.new"
	mv "$work/inv/defaults.yaml.new" "$work/inv/defaults.yaml"
	grep -q "ssh_kex_algorithms" "$work/inv/defaults.yaml" || { echo "KEX: no scrapli extras in defaults.yaml" >&2; exit 1; }
fi
awk -v a="$fleet_start" -v b="$fleet_ready" 'BEGIN { printf "fleet ready in %.1f s\n", b - a }' >&2

args=(-inventory "$work/inv" -out "$work/out" -progress lines)
[[ -n "${WORKERS:-}" ]] && args+=(-workers "$WORKERS")
# shellcheck disable=SC2206 # BACKUP_ARGS is split on purpose
[[ -n "${BACKUP_ARGS:-}" ]] && args+=(${BACKUP_ARGS})

echo "running: backup ${args[*]}" >&2
start=$(date +%s.%N)
set +e
"$work/norn" backup "${args[@]}" >"$work/summary.txt" 2> >(tee "$work/backup.err" >&2)
status=$?
set -e
end=$(date +%s.%N)
cat "$work/summary.txt"

# The fleet's CPU time so far (utime + stime, in clock ticks), to tell the two processes apart.
fleet_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$fleet_pid/stat" 2>/dev/null || echo "?")

# Figures from the program's own summary: hosts ok, failed, not run, its run time, and the peak
# RSS and CPU time it read with getrusage (the backup process alone: the fleet is another one).
awk -v n="$n" -v start="$start" -v end="$end" -v status="$status" -v fleet_cpu="$fleet_cpu" -v cores="$(nproc)" '
	/^  ok /      { ok = $2 }
	/^  failed /  { failed = $2 }
	/^  not run / { notrun = $3 }
	/ hosts\/s$/  { for (i = 1; i <= NF; i++) if ($i == "in") { run = $(i + 1); sub(/:$/, "", run) } }
	/peak RSS/    { for (i = 1; i <= NF; i++) { if ($i == "RSS") rss = $(i + 1); if ($i == "peak" && $(i - 1) == "heap") heap = $(i + 1) } }
	/^  cpu /     { cpu = $2 }
	END {
		secs = end - start
		printf "\nbackup exit status %d (ok %s, failed %s, not run %s)\n", status, ok, failed, notrun
		printf "%-30s %d\n", "devices", n
		printf "%-30s %.2f\n", "seconds (backup process)", secs
		printf "%-30s %s\n", "seconds (run, per program)", run
		printf "%-30s %.0f\n", "devices per second", n / secs
		printf "%-30s %s MiB\n", "backup peak RSS", rss
		printf "%-30s %s MiB\n", "backup Go heap peak", heap
		printf "%-30s %s\n", "backup CPU (user+sys)", cpu
		printf "%-30s %ss\n", "fleet CPU (start + serving)", fleet_cpu
		printf "%-30s %d\n", "cores", cores
	}' "$work/summary.txt"
