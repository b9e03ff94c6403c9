#!/bin/sh
# check.sh - validates docs/openapi.yaml with a real OpenAPI 3.1 validator and
# cross-checks it against the route table (tests/openapi/validate.mjs).
#
# Needs Node.js and npm (Debian's or the image's). The pinned packages of
# package-lock.json are installed into tests/openapi/node_modules with
# `npm ci` the first time, and again only when the lock file changes, so
# later runs work offline. Prints "openapi: ok (N operations)" on success.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if ! command -v node >/dev/null 2>&1; then
	echo "openapi: node is not installed (Debian: apt-get install nodejs npm)" >&2
	exit 1
fi

stamp="$here/node_modules/.casebook-lock"
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "openapi: npm is not installed (Debian: apt-get install npm)" >&2
		exit 1
	fi
	log=$(mktemp)
	if ! (cd "$here" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "openapi: npm ci failed in tests/openapi" >&2
		exit 1
	fi
	rm -f "$log"
	cp "$here/package-lock.json" "$stamp"
fi

exec node "$here/validate.mjs" "$root"
