#!/bin/sh
# Installs the Debian packages Casebook needs to build, test and benchmark.
# Idempotent and non-interactive: only missing packages are installed.
# (prometheus brings promtool, which checks the /metrics exposition in make test.)
# (chromium is the browser the web tests of make test drive, tests/web/.)
# Usage: scripts/deps.sh            (build + test packages)
#        scripts/deps.sh bench      (also the benchmark references)
#        scripts/deps.sh valgrind   (also valgrind, for make check-valgrind)
set -eu

PKGS="build-essential pkg-config ca-certificates
libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev libical-dev libstemmer-dev tzdata
libgmime-3.0-dev libxml2-dev libcurl4-openssl-dev
sqlite3 python3 python3-yaml curl clang libclang-rt-dev nodejs npm prometheus chromium"
if [ "${1:-}" = "bench" ]; then
  PKGS="$PKGS nginx-light wrk libevent-dev libnginx-mod-http-echo linux-perf"
fi
if [ "${1:-}" = "valgrind" ]; then
  PKGS="$PKGS valgrind"
fi

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # npm/nodejs may be provided outside dpkg (e.g. a preinstalled Node.js)
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "deps.sh: installing:$missing" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
exit 0
