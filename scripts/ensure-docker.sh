#!/usr/bin/env bash
# Makes a Docker Engine answer for the container tests, unattended and idempotently: installs
# Debian's docker.io and busybox-static when missing, starts dockerd (vfs storage, no iptables,
# no bridge: no registry or network is needed) when no engine answers, and builds the test image.
# Prints the pid of a dockerd it started on fd 3 (nothing when one was already running), so the
# caller can stop exactly that daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
answers() { docker version >/dev/null 2>&1; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq </dev/null
  apt-get install -y -qq "${missing[@]}" </dev/null >/dev/null
fi

if ! answers; then
  log="${TMPDIR:-/tmp}/weir-ci-dockerd.log"
  echo "starting dockerd (log: $log)"
  setsid dockerd --storage-driver=vfs --iptables=false --bridge=none </dev/null >"$log" 2>&1 3>&- &
  pid=$!
  echo "$pid" >&3
  for _ in $(seq 1 60); do answers && break; sleep 0.5; done
  if ! answers; then
    echo "dockerd did not answer; its log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
fi
bash scripts/docker-test-image.sh
