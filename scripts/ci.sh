#!/usr/bin/env bash
# The whole CI: install, check, then the README's test command on the embedded database and
# again on the local PostgreSQL. Any failure fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"
export TEST_PG_URL="${TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"

echo "== install"
npm ci --no-audit --no-fund

echo "== postgres"
bash scripts/ensure-postgres.sh

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
