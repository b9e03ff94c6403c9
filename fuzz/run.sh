#!/bin/sh
# Runs each named harness (build/fuzz/fuzz_<name>, built by `make fuzz`) for
# FUZZ_SECONDS (default 60) from its committed seeds (fuzz/corpus/<name>) and
# past crashes (fuzz/regress/<name>). New inputs go to build/fuzz/corpus/<name>,
# crashes, leaks, timeouts and slow units (> 10 s) to build/fuzz/artifacts/<name>/, logs to
# build/fuzz/logs/<name>.log. FUZZ_JOBS harnesses run at a time (default 1).
# Prints one line per harness (executions, corpus, result) and exits 1 if any
# harness found something: turn each artifact into fuzz/regress/<name>/<file>
# once fixed (fuzz/README.md).
# Usage: FUZZ_SECONDS=60 FUZZ_JOBS=1 sh fuzz/run.sh NAME...
set -u
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
B=build/fuzz
mkdir -p "$B/logs" "$B/tmp"
touch "$B/logs/.start"

max_len() {
	case "$1" in
	time) echo 64 ;;
	cursor) echo 64 ;;
	calbiz) echo 256 ;;
	route) echo 1024 ;;
	import | ics) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

run_one() {
	n=$1
	mkdir -p "$B/corpus/$n" "$B/artifacts/$n"
	set -- "$B/corpus/$n" "fuzz/corpus/$n"
	[ -d "fuzz/regress/$n" ] && set -- "$@" "fuzz/regress/$n"
	dict=""
	[ -f "fuzz/dict/$n.dict" ] && dict="-dict=fuzz/dict/$n.dict"
	# shellcheck disable=SC2086
	TMPDIR="$PWD/$B/tmp" "$B/fuzz_$n" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$n")" \
		-timeout=30 -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$B/artifacts/$n/" \
		$dict "$@" >"$B/logs/$n.log" 2>&1
	echo $? >"$B/logs/$n.rc"
}

i=0
for n in "$@"; do
	run_one "$n" &
	i=$((i + 1))
	if [ "$i" -ge "$JOBS" ]; then
		wait
		i=0
	fi
done
wait

failed=0
printf '%-10s %12s %10s %8s  %s\n' harness executions exec/s corpus result
for n in "$@"; do
	log="$B/logs/$n.log"
	rc=$(cat "$B/logs/$n.rc" 2>/dev/null || echo 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	units=$(find "$B/corpus/$n" -type f | wc -l)
	# crashes stop libFuzzer (rc != 0); slow units (> 10 s) only leave a file
	art=$(find "$B/artifacts/$n" -type f -newer "$B/logs/.start" 2>/dev/null | head -1)
	if [ "$rc" = 0 ] && [ -z "$art" ]; then
		res=ok
	else
		failed=1
		res="FAILED (rc $rc) ${art:-?}; see $log"
	fi
	printf '%-10s %12s %10s %8s  %s\n' "$n" "${runs:-?}" "${rate:-?}" "$units" "$res"
done
rm -rf "$B/tmp"
exit $failed
