#!/usr/bin/env bash
# quickstart.sh — the README's two commands.
#
#   tools/quickstart.sh run    install what is missing (apt, as root), build,
#                              and run augur with config/augur.yml and ./data
#   tools/quickstart.sh test   the same set-up, then every test suite
#
# Idempotent: packages already present are not touched; an existing build
# directory is reused.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-run}
build=${AUGUR_BUILD_DIR:-build}

# Build and runtime dependencies, plus what the tests use: Debian's
# prometheus (e2e), python3-snappy (test clients), clang (fuzz builds).
pkgs=(gcc meson ninja-build pkg-config protobuf-c-compiler libprotobuf-c-dev libsnappy-dev
      libmicrohttpd-dev liblmdb-dev libcurl4-openssl-dev libyaml-dev python3 python3-snappy)
if [ "$mode" = test ]; then
  pkgs+=(prometheus clang llvm lmdb-utils)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "quickstart: missing packages: ${missing[*]}; run as root (or install them) first" >&2
    exit 1
  fi
  echo "quickstart: installing ${missing[*]}" >&2
  # Packages such as prometheus must not start their own service: the tests
  # start Prometheus themselves on a free loopback port.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
  fi
fi

if [ ! -d "$build" ]; then
  meson setup "$build" --buildtype=debugoptimized
fi
ninja -C "$build"

case "$mode" in
  run)
    mkdir -p data
    exec "$build/augur" --config.file=config/augur.yml --storage.path=data
    ;;
  test)
    meson test -C "$build" --print-errorlogs --num-processes 2
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
