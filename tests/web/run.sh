#!/bin/sh
# run.sh - the browser tests of the web pages (tests/web/run.mjs):
# playwright-core drives the system's chromium (Debian package `chromium`,
# installed by scripts/deps.sh) headless against the real server.
#
# The pinned playwright-core of package-lock.json is installed into
# tests/web/node_modules with `npm ci` the first time and again only when
# the lock file changes (as tests/openapi/check.sh does), so later runs
# work offline. Prints one "ok - NAME" or "FAIL - NAME" line per scenario.
# Usage: tests/web/run.sh CASEBOOK_BINARY
set -eu

here=$(cd "$(dirname "$0")" && pwd)

if ! command -v node >/dev/null 2>&1; then
	echo "web: node is not installed (Debian: apt-get install nodejs npm)" >&2
	exit 1
fi

stamp="$here/node_modules/.casebook-lock"
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "web: npm is not installed (Debian: apt-get install npm)" >&2
		exit 1
	fi
	log=$(mktemp)
	if ! (cd "$here" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "web: npm ci failed in tests/web" >&2
		exit 1
	fi
	rm -f "$log"
	cp "$here/package-lock.json" "$stamp"
fi

exec node "$here/run.mjs" "$@"
