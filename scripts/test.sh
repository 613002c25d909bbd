#!/usr/bin/env bash
# norn's whole test suite: formatting, vet, staticcheck, and every test with the race detector.
# Works on a fresh machine: it installs what the tests need (Debian's prometheus-alertmanager for
# the Alertmanager hook's tests, when run as root; staticcheck from its pinned module).
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=0.8.2

if ! command -v prometheus-alertmanager >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing prometheus-alertmanager (Debian) for the alertmanager hook tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager) >/dev/null 2>&1 \
    || echo "warning: could not install prometheus-alertmanager; its tests will skip"
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
