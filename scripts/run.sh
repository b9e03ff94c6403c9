#!/bin/sh
# `make run`: create ./var with demo data if absent, then serve on
# 127.0.0.1:8080 and print the URL, an admin token and the demo logins.
set -eu
BIN=build/casebook
DATA=${DATA:-var}
LISTEN=${LISTEN:-127.0.0.1:8080}
if [ ! -f "$DATA/casebook.db" ]; then
  echo "creating $DATA with demo data..."
  $BIN init --data "$DATA" --admin-email admin@casebook.local > "$DATA.init.out"
  mv "$DATA.init.out" "$DATA/init.out"
  tail -n 1 "$DATA/init.out" > "$DATA/admin.token"
  chmod 600 "$DATA/admin.token"
  if $BIN demo --help >/dev/null 2>&1; then
    $BIN demo --data "$DATA"
  fi
fi
TOKEN=$(cat "$DATA/admin.token")
echo
echo "Casebook is starting on http://$LISTEN/"
echo "Admin token: $TOKEN"
echo "Try: curl -H 'Authorization: Bearer $TOKEN' http://$LISTEN/api/v1/tickets"
echo "Web console, portal and dashboard: open http://$LISTEN/ in a browser and sign in"
echo "  as the demo agent maria.lopez@support.example or the demo customer"
echo "  alice@northwind.example, password casebook-demo (demo data set)."
echo
exec $BIN serve --data "$DATA" --listen "$LISTEN"
