#!/usr/bin/env bash
# Builds the image the container tests run (no registry is needed): Debian's static busybox in an
# empty root with a link per applet, imported as weir-test/busybox:1. Does nothing if it exists.
set -euo pipefail
image="${WEIR_TEST_IMAGE:-weir-test/busybox:1}"
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi
busybox=""
for candidate in /bin/busybox /usr/bin/busybox; do
  if [ -x "$candidate" ] && ! ldd "$candidate" >/dev/null 2>&1; then busybox="$candidate"; break; fi
done
if [ -z "$busybox" ]; then
  echo "no static busybox found (apt-get install busybox-static)" >&2
  exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' - "$image" >/dev/null
echo "built $image"
