#!/usr/bin/env bash
# Checks `norn serve` in a real browser: starts a devsim fleet (some devices failing) and
# `norn serve` on it on 127.0.0.1, changes one device's configuration over SSH, backs that host
# up on demand through the API, then takes headless chromium screenshots of the host list, the
# host's page and its diff, and saves the API's answers (curl). Finally it stops the service
# with SIGTERM and checks that it exits 0.
#
#   scripts/serve-screenshot.sh [OUTDIR]     # default OUTDIR: a new /tmp/norn-serve-shots.XXXX
#
# Needs chromium (Debian: apt-get install chromium), ssh and ssh-keygen. Nothing is written in
# the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-$(mktemp -d /tmp/norn-serve-shots.XXXX)}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/norn-serve-work.XXXX)
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || { echo "serve-screenshot: chromium not found (apt-get install chromium)" >&2; exit 2; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building norn and devsim"
go build -o "$WORK/norn" ./cmd/norn
go build -o "$WORK/devsim" ./devsim/cmd/devsim

echo "== devsim: 12 devices, 3 of them failing (authentication, incomplete configuration)"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/key"
"$WORK/devsim" -n 12 -seed 3 -inventory "$WORK/inv" -authorized-keys "$WORK/key.pub" \
  -fault-rate 0.25 -fault-kinds reject-auth,truncate-config >"$WORK/devsim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -f "$WORK/inv/hosts.yaml" ] && break; sleep 0.1; done

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
echo "== norn serve on $BASE"
"$WORK/norn" serve -inventory "$WORK/inv" -out "$WORK/backups" -listen "127.0.0.1:$PORT" -every 1h \
  -timeout 10s -retry-wait 50ms >"$OUT/serve.stdout" 2>"$OUT/serve.stderr" &
SERVE=$!
pids+=($SERVE)

# wait_idle waits until no run is in progress (healthz has no "running").
wait_idle() {
  for _ in $(seq 600); do
    if body=$(curl -fsS "$BASE/healthz" 2>/dev/null) && ! grep -q '"running"' <<<"$body" &&
       curl -fsS "$BASE/api/v1/runs" 2>/dev/null | grep -q '"id"'; then
      return 0
    fi
    sleep 0.1
  done
  echo "serve-screenshot: no run ended; stderr:" >&2; cat "$OUT/serve.stderr" >&2; exit 1
}
wait_idle
echo "   first (scheduled) run ended"

# An IOS-XE device the first run backed up (not one of the failing ones).
HOST=$(curl -fsS "$BASE/api/v1/hosts" | python3 -c '
import json, sys
print(next(h["host"] for h in json.load(sys.stdin) if h["state"] == "ok" and h.get("platform") == "cisco_iosxe"))')
HPORT=$(awk -v h="$HOST:" '$0==h{f=1} f&&/port:/{print $2; exit}' "$WORK/inv/hosts.yaml")
echo "== changing $HOST's configuration over SSH, then backing it up on demand"
printf 'configure terminal\nsnmp-server location screenshot-rack-7\nsnmp-server contact noc@example.net\nend\nexit\n' |
  ssh -T -i "$WORK/key" -p "$HPORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR admin@127.0.0.1 >/dev/null 2>&1 || true # the device may close first on "exit"; the diff check below tells
curl -fsS -X POST -d "{\"host\": \"$HOST\"}" "$BASE/api/v1/run" >"$OUT/api-run-post.json"
code=$(curl -s -o "$OUT/api-run-conflict.json" -w '%{http_code}' -X POST "$BASE/api/v1/run")
echo "   second POST while running: HTTP $code (want 409, or 202 if the first already ended)"
wait_idle

echo "== curl"
curl -fsS "$BASE/api/v1/hosts" >"$OUT/api-hosts.json"
curl -fsS "$BASE/api/v1/runs" >"$OUT/api-runs.json"
curl -fsS "$BASE/api/v1/hosts/$HOST/history" >"$OUT/api-history.json"
curl -fsS "$BASE/api/v1/hosts/$HOST/diff?format=text" >"$OUT/api-diff.txt"
curl -fsS "$BASE/metrics" >"$OUT/metrics.txt"
code=$(curl -s -o "$OUT/api-unknown-host.json" -w '%{http_code}' "$BASE/api/v1/hosts/no-such-host/config")
echo "   unknown host: HTTP $code (want 404)"
grep -q '+snmp-server location screenshot-rack-7' "$OUT/api-diff.txt" || { echo "serve-screenshot: the diff lacks the change" >&2; exit 1; }

echo "== chromium screenshots"
shot() {
  local name=$1 url=$2 prof
  prof=$(mktemp -d "$WORK/chromium.XXXX")
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$prof" \
    --screenshot="$OUT/$name.png" --window-size=1280,900 "$url" >/dev/null 2>&1
  [ -s "$OUT/$name.png" ] || { echo "serve-screenshot: no screenshot of $url" >&2; exit 1; }
  echo "   $OUT/$name.png  ($url)"
}
shot hosts "$BASE/"
shot host "$BASE/hosts/$HOST"
shot diff "$BASE/hosts/$HOST/diff"
shot failing "$BASE/?state=never"

echo "== SIGTERM"
kill -TERM "$SERVE"
set +e
wait "$SERVE"
rc=$?
set -e
echo "   norn serve exited with $rc (want 0)"
[ "$rc" = 0 ] || { tail -20 "$OUT/serve.stderr" >&2; exit 1; }
echo "screenshots and API answers in $OUT"
