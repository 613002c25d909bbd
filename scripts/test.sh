#!/usr/bin/env bash
# norn's whole test suite: formatting, vet, staticcheck, and every test with the race detector.
# Works on a fresh machine: it installs what the tests need (Debian's prometheus-alertmanager,
# prometheus-pushgateway and prometheus (promtool) for the hooks' tests, when run as root;
# staticcheck from its pinned module).
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=0.8.2

# The real tools the hooks' tests run (each skips when missing): Alertmanager (alerts across
# runs, inhibit rules), the Pushgateway (metrics pushed by one-shot runs), promtool (check metrics).
missing=()
# OpenSSH's scp and sftp clients copy files to devsim's SCP and SFTP servers (devsim tests).
for pair in prometheus-alertmanager:prometheus-alertmanager prometheus-pushgateway:prometheus-pushgateway promtool:prometheus scp:openssh-client; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing ${missing[*]} (Debian) for the alerting and metrics hook tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}") >/dev/null 2>&1 \
    || echo "warning: could not install ${missing[*]}; their tests will skip"
fi

GOBIN="$(go env GOPATH)/bin"
if ! "$GOBIN/staticcheck" -version 2>/dev/null | grep -q "$STATICCHECK_VERSION"; then
  echo "== installing staticcheck $STATICCHECK_VERSION"
  go install "honnef.co/go/tools/cmd/staticcheck@v$STATICCHECK_VERSION"
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
"$GOBIN/staticcheck" ./...

echo "== go test -race"
go test -race -count=1 -timeout 20m ./... "$@"
