#!/usr/bin/env bash
# bench/http/run.sh - libmicrohttpd vs libevent evhttp vs nginx, one run.
#
# Builds mhd_echo and evhttp_echo (cc -O2, pkg-config), starts nginx and each
# server variant on a free loopback port, drives it with wrk (keep-alive,
# GET /hello and POST /echo with a ~320-byte JSON body via post.lua) at each
# concurrency in $CONNS, and prints a markdown table.
#
# Env: DUR (default 5s), CONNS (default "8 64"), WRK_THREADS (default 2),
#      NGINX_WORKERS (default 2), ONLY (regex on variant names, optional).
# Needs: cc, pkg-config, libmicrohttpd-dev, libevent-dev, nginx(-light), wrk,
#        curl; optional libnginx-mod-http-echo for nginx's POST column.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DUR=${DUR:-5s}
CONNS=${CONNS:-"8 64"}
WRK_THREADS=${WRK_THREADS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-2}
ONLY=${ONLY:-}
secs=${DUR%s}
WRK_LIMIT=$((secs + 15))           # hard bound on every wrk run

WORK=$(mktemp -d "${TMPDIR:-/tmp}/casebook-http-bench.XXXXXX")
mkdir -p "$WORK/raw"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in cc pkg-config wrk curl nginx; do
  command -v "$tool" >/dev/null || { echo "run.sh: missing $tool" >&2; exit 1; }
done

echo "building in $WORK ..." >&2
cc -O2 -std=c11 -Wall -o "$WORK/mhd_echo" "$HERE/mhd_echo.c" \
  $(pkg-config --cflags --libs libmicrohttpd) || exit 1
cc -O2 -std=c11 -Wall -o "$WORK/evhttp_echo" "$HERE/evhttp_echo.c" \
  $(pkg-config --cflags --libs libevent) -lpthread || exit 1

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}

wait_ready() { # port
  for _ in $(seq 1 50); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/hello" && return 0
    sleep 0.1
  done
  return 1
}

# run_wrk FILE URL [wrk args...]  -> prints "rps p50 p99 errors"
run_wrk() {
  local out=$1 url=$2; shift 2
  timeout -k 2 "$WRK_LIMIT" wrk -t"$WRK_THREADS" -d"$DUR" --timeout 2s --latency "$@" "$url" >"$out" 2>&1
  awk '
    /Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    /Non-2xx/ { err += $NF }
    END { printf "%s %s %s %d\n", (rps ? int(rps + 0.5) : "-"), (p50 ? p50 : "-"), (p99 ? p99 : "-"), err }
  ' "$out"
}

declare -A NGINX_GET
TABLE="$WORK/table.md"
{
  echo "| variant | conns | GET req/s | GET p50 | GET p99 | POST req/s | POST p99 | GET vs nginx | errors |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$TABLE"

# bench NAME CMD...   (CMD gets the port through $PORT substitution)
bench() {
  local name=$1; shift
  if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then return; fi
  local port; port=$(free_port)
  local cmd=("${@//@PORT@/$port}")
  "${cmd[@]}" >"$WORK/raw/server.log" 2>&1 &
  SERVER_PID=$!
  if ! wait_ready "$port"; then
    echo "| $name | - | failed to start | | | | | | |" >>"$TABLE"
    cleanup; SERVER_PID=""; return
  fi
  local tag; tag=$(echo "$name" | tr -c 'A-Za-z0-9' '_')
  for c in $CONNS; do
    read -r g_rps g_p50 g_p99 g_err < <(run_wrk "$WORK/raw/$tag.get.c$c" "http://127.0.0.1:$port/hello" -c"$c")
    read -r p_rps _ p_p99 p_err < <(run_wrk "$WORK/raw/$tag.post.c$c" "http://127.0.0.1:$port/echo" -c"$c" -s "$HERE/post.lua")
    [[ $name == nginx* ]] && NGINX_GET[$c]=$g_rps
    local ratio="-"
    if [ -n "${NGINX_GET[$c]:-}" ] && [ "$g_rps" != "-" ] && [ "${NGINX_GET[$c]}" != "-" ]; then
      ratio=$(awk -v a="$g_rps" -v b="${NGINX_GET[$c]}" 'BEGIN { printf "%.2f", a / b }')
    fi
    [ "$p_rps" = "-" ] || [ "$p_err" -lt "$p_rps" ] || p_rps="n/a"
    echo "| $name | $c | $g_rps | $g_p50 | $g_p99 | $p_rps | $p_p99 | $ratio | $((g_err + p_err)) |" >>"$TABLE"
    echo "  $name c=$c: GET $g_rps ($g_p50/$g_p99) POST $p_rps" >&2
  done
  cleanup; SERVER_PID=""
}

# nginx reference from a temp prefix (no root needed)
NGX="$WORK/nginx"; mkdir -p "$NGX"
sed -e "s|@PREFIX@|$NGX|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" "$HERE/nginx.conf" >"$NGX/nginx.conf.in"
if [ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ]; then
  sed -i -e 's|^#ECHO *||' -e '/return 404;/d' "$NGX/nginx.conf.in"
fi
nginx_start() { # port
  sed "s|@PORT@|$1|g" "$NGX/nginx.conf.in" >"$NGX/nginx.conf"
  exec nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log"
}
export -f nginx_start; export NGX

M="$WORK/mhd_echo"; E="$WORK/evhttp_echo"
echo "running (each wrk: $DUR, conns: $CONNS) ..." >&2
bench "nginx ($NGINX_WORKERS workers)"                  bash -c "nginx_start @PORT@"
bench "mhd pool2, queue on 1st call (naive)"            "$M" -p @PORT@ -t 2
bench "mhd pool2, naive + TURBO"                        "$M" -p @PORT@ -t 2 -T
bench "mhd pool2, naive + static response"              "$M" -p @PORT@ -t 2 -r
bench "mhd pool2, naive + TCP_NODELAY at accept"        "$M" -p @PORT@ -t 2 -n
bench "mhd pool2, queue on 2nd call"                    "$M" -p @PORT@ -t 2 -2
bench "mhd pool2, 2nd call + TURBO"                     "$M" -p @PORT@ -t 2 -2 -T
bench "mhd pool2, 2nd call + TURBO + static response"   "$M" -p @PORT@ -t 2 -2 -T -r
bench "mhd pool2, 2nd call + TURBO + MUST_COPY"         "$M" -p @PORT@ -t 2 -2 -T -c
bench "mhd pool2, 2nd call + TURBO + TCP_NODELAY"       "$M" -p @PORT@ -t 2 -2 -T -n
bench "mhd 1 thread, 2nd call + TURBO"                  "$M" -p @PORT@ -t 1 -2 -T
bench "mhd pool4, 2nd call + TURBO"                     "$M" -p @PORT@ -t 4 -2 -T
bench "evhttp 2 bases, SO_REUSEPORT"                    "$E" -p @PORT@ -t 2
bench "evhttp 1 base"                                   "$E" -p @PORT@ -1

echo
echo "Machine: $(nproc) cores, $(uname -sr); libmicrohttpd $(pkg-config --modversion libmicrohttpd), libevent $(pkg-config --modversion libevent), $(nginx -v 2>&1 | sed 's/.*: //'), wrk -t$WRK_THREADS -d$DUR, keep-alive. Raw output: $WORK/raw"
echo
cat "$TABLE"
