#!/usr/bin/env bash
# The main job end to end on a fresh Debian machine (as root), offline if need be:
# install, build (or fall back to the bundled build, dist/), get a busybox image, run containers
# with a named volume that outlives them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup
deno install --frozen >/dev/null

if deno task build >/tmp/tsbox-build.log 2>&1; then
  TSBOX=(./tsbox)
  echo "built ./tsbox"
else
  echo "deno compile could not get its runtime (see /tmp/tsbox-build.log); using the bundled build"
  deno task bundle >/tmp/tsbox-bundle.log 2>&1
  TSBOX=(dist/tsbox)
  echo "bundled dist/ (deno task bundle): running dist/tsbox"
fi
ROOT="${TSBOX_ROOT:-/var/lib/tsbox}"
T=("${TSBOX[@]}" --root "$ROOT")

if ! "${T[@]}" image inspect busybox >/dev/null 2>&1; then
  if timeout 20 "${T[@]}" pull -q busybox >/dev/null 2>&1; then
    echo "pulled busybox from docker.io"
  else
    echo "no registry reachable: building the busybox image from Debian's busybox-static"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    deno run -A --quiet scripts/busybox_tar.ts "$tmp/busybox.tar"
    "${T[@]}" import "$tmp/busybox.tar" busybox:latest
  fi
fi

echo "--- a container: own hostname, PID 1, named volume 'demo-data'"
"${T[@]}" run --rm --network none --hostname demo -v demo-data:/data busybox \
  sh -c 'echo "hostname=$(hostname) pid=$$"; date >> /data/log; echo "runs so far: $(wc -l < /data/log)"'
echo "--- a second container sees the volume"
"${T[@]}" run --rm --network none -v demo-data:/data busybox cat /data/log
"${T[@]}" volume ls
