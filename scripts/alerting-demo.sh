#!/usr/bin/env bash
# Three consecutive runs of 'norn backup' (fail, fail, succeed) against a devsim fleet, with a
# real Alertmanager (resolve_timeout shortened to 10s) and a real Pushgateway, as an hourly cron
# would run it. After each run it prints what amtool sees and the Pushgateway's per-host series:
# first a run whose inventory does not load raises NornSetupFailed, which the next run resolves;
# the broken host's alert stays firing across runs 1 and 2 (longer than resolve_timeout after
# the run that raised it), resolves after run 3, and every host has its series every time.
#
#   scripts/alerting-demo.sh            # needs prometheus-alertmanager (amtool) and prometheus-pushgateway
#
# Debian: apt-get install prometheus-alertmanager prometheus-pushgateway (scripts/test.sh does it).
set -euo pipefail
cd "$(dirname "$0")/.."

for bin in prometheus-alertmanager amtool prometheus-pushgateway curl; do
  command -v "$bin" >/dev/null || { echo "alerting-demo: $bin is not installed" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitfor() { for _ in $(seq 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "not ready: $1" >&2; exit 1; }

echo "== building norn"
go build -o "$work/norn" ./cmd/norn

echo "== a devsim fleet of 6 devices"
"$work/norn" devsim -n 6 -platforms cisco_iosxe,arista_eos -seed 7 -inventory "$work/inv" >"$work/devsim.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do [ -s "$work/inv/hosts.yaml" ] && break; sleep 0.1; done

am_port=$(freeport); pg_port=$(freeport)
am="http://127.0.0.1:$am_port"; pg="http://127.0.0.1:$pg_port"
cat >"$work/alertmanager.yml" <<EOF
global:
  resolve_timeout: 10s   # shortened: an alert without endsAt resolves 10s after its last post
route:
  receiver: devnull
  group_wait: 1s
receivers:
  - name: devnull
EOF
echo "== Alertmanager on $am (resolve_timeout 10s), Pushgateway on $pg"
prometheus-alertmanager --config.file="$work/alertmanager.yml" --storage.path="$work/am" \
  --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= >"$work/am.log" 2>&1 &
pids+=($!)
prometheus-pushgateway --web.listen-address="127.0.0.1:$pg_port" >"$work/pg.log" 2>&1 &
pids+=($!)
waitfor "$am/-/ready"; waitfor "$pg/-/ready"

# The broken inventory: the first host's port points at a closed port (connection refused).
victim=$(awk '/^[^ #-][^:]*:$/ {sub(":",""); print; exit}' "$work/inv/hosts.yaml")
cp -r "$work/inv" "$work/inv-broken"
awk -v v="$victim" '/^[^ ]/ {cur=$0; sub(":.*","",cur)} cur==v && /^  port:/ {$0="  port: 1"} {print}' \
  "$work/inv/hosts.yaml" >"$work/inv-broken/hosts.yaml"
echo "== $victim fails in runs 1 and 2 (port 1), succeeds in run 3"

run() { # run N INVENTORY
  echo
  echo "################ run $1 ($(date -u +%T))"
  set +e
  "$work/norn" backup -inventory "$2" -out "$work/out" -progress off -retries 1 -timeout 5s \
    -alertmanager-url "$am" -pushgateway-url "$pg" -alert-expire 2m
  echo "exit status $?"
  set -e
  echo "---- amtool alert query alertname=NornBackupFailed"
  amtool --alertmanager.url="$am" alert query alertname=NornBackupFailed
  echo "---- amtool alert query -o extended host=$victim"
  amtool --alertmanager.url="$am" alert query -o extended "host=$victim" | cut -c1-400
  echo "---- Pushgateway: norn_host_last_success_timestamp_seconds, norn_host_consecutive_failures"
  curl -fsS "$pg/metrics" | grep -E '^norn_host_(last_success_timestamp_seconds|consecutive_failures)\{' | sed 's/,instance="",job="norn_backup"//'
  curl -fsS "$pg/metrics" | grep -E '^norn_(host_failure_info|run_setup_failed|inventory_load_failed)\{' | sed -E 's/,?instance="",job="norn_backup",?//'
}

echo
echo "################ run 0: the inventory does not load (exit 2)"
set +e
"$work/norn" backup -inventory "$work/no-such-dir" -out "$work/out" -progress off \
  -alertmanager-url "$am" -pushgateway-url "$pg" -alert-expire 2m
echo "exit status $?"
set -e
echo "---- amtool alert query alertname=NornSetupFailed"
amtool --alertmanager.url="$am" alert query -o extended alertname=NornSetupFailed | cut -c1-300
curl -fsS "$pg/metrics" | grep -E '^norn_(run_setup_failed|inventory_load_failed)\{' | sed -E 's/,?instance="",job="norn_backup",?//'

run 1 "$work/inv-broken"
echo "---- after run 1 started: amtool alert query alertname=NornSetupFailed (resolved: none active)"
amtool --alertmanager.url="$am" alert query alertname=NornSetupFailed
echo; echo "(waiting 15s: longer than resolve_timeout)"; sleep 15
run 2 "$work/inv-broken"
echo; echo "(waiting 15s)"; sleep 15
echo "---- before run 3, 30s after run 1: $victim still firing?"
amtool --alertmanager.url="$am" alert query "host=$victim"
run 3 "$work/inv"
sleep 2
echo "---- 2s after run 3: amtool alert query (active) host=$victim"
amtool --alertmanager.url="$am" alert query "host=$victim"
