#!/bin/sh
# `make run`: create the data directory with demo data if absent, start the
# server and, once it listens, print the URL, an admin token and the demo
# logins. Another address or data directory (defaults 127.0.0.1:8080, ./var):
#   make run LISTEN=127.0.0.1:9090 DATA=var2
set -eu
BIN=${BIN:-build/casebook}
DATA=${DATA:-var}
LISTEN=${LISTEN:-127.0.0.1:8080}
if [ ! -f "$DATA/casebook.db" ]; then
  echo "creating $DATA with demo data..."
  $BIN init --data "$DATA" --admin-email admin@casebook.local > "$DATA.init.out"
  mv "$DATA.init.out" "$DATA/init.out"
  tail -n 1 "$DATA/init.out" > "$DATA/admin.token"
  chmod 600 "$DATA/admin.token"
  $BIN demo --data "$DATA"
fi
TOKEN=$(cat "$DATA/admin.token")
# The server prints "listening on URL" once it has bound the address; the
# token and logins are printed only then. If it cannot start (the port is
# taken, another server holds $DATA), it says why on stderr and we stop.
$BIN serve --data "$DATA" --listen "$LISTEN" | {
  if ! IFS= read -r line; then
    echo >&2
    echo "make run: Casebook did not start on $LISTEN (the reason is above)." >&2
    echo "  If the port is taken, choose another: make run LISTEN=127.0.0.1:9090" >&2
    echo "  Another data directory: make run DATA=var2 (default: var)" >&2
    exit 1
  fi
  URL=${line#listening on }
  URL=${URL%/}
  echo
  echo "Casebook is running on $URL/"
  echo "Admin token: $TOKEN"
  echo "Try: curl -H 'Authorization: Bearer $TOKEN' $URL/api/v1/tickets"
  echo "Web console, portal and dashboard: open $URL/ in a browser and sign in"
  echo "  as the demo agent maria.lopez@support.example or the demo customer"
  echo "  alice@northwind.example, password casebook-demo (demo data set)."
  echo "Stop with Ctrl-C."
  echo
  cat
}
