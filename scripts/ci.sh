#!/usr/bin/env bash
# The whole CI: install, check, build, then the README's test command (unit, integration and the
# web UI in Chromium) on the embedded database and again on the local PostgreSQL. Any failure
# fails the run. The container tests need a Docker
# Engine: one is installed and started here if none answers (CI=true makes a missing one fail).
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"
export TEST_PG_URL="${TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"

echo "== install"
npm ci --no-audit --no-fund

echo "== postgres"
bash scripts/ensure-postgres.sh

echo "== chromium (the web UI's browser tests)"
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

echo "== build (server and web UI)"
npm run build

echo "== docker engine (container tests)"
# A daemon started here is stopped when the run ends, however it ends.
dockerd_pid=$(bash scripts/ensure-docker.sh 3>&1 >&2)
stop_dockerd() {
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.25; done
  fi
}
trap stop_dockerd EXIT

echo "== typecheck"
npm run typecheck
echo "== lint"
npm run lint
echo "== format"
npm run format:check

echo "== tests on the embedded database (PGlite)"
env -u TEST_DATABASE_URL npm test

echo "== tests on PostgreSQL ($TEST_PG_URL)"
TEST_DATABASE_URL="$TEST_PG_URL" npm test
