#!/usr/bin/env bash
# Makes sure the local PostgreSQL used by the test suite's second run is up and reachable.
set -euo pipefail
url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
ready() { pg_isready -d "$url" -t 2 >/dev/null 2>&1; }
if ready; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  echo "starting PostgreSQL ${version:-15} (main)"
  pg_ctlcluster --skip-systemctl-redirect "${version:-15}" main start || true
fi
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "PostgreSQL is not reachable at $url" >&2
exit 1
