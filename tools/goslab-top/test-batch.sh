#!/bin/bash
# test-batch.sh [GOSLAB_TOP]: goslab-top's batch mode against the debugfs
# snapshot in tests/snapshot (and copies of it, changed): the header's
# figures against the snapshot's goslab_get_stats() (check-batch.py), rates
# from two samples, files read by column names, missing files and columns,
# options.  Prints "pass NAME" / "fail NAME" rows; exits 1 on a failure.
set -uo pipefail
# shellcheck source=tests/common.sh
. "$(dirname "$0")/tests/common.sh"

top=$(binary "${1:-}") || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The header against goslab_get_stats(), as the guest's test does.
"$top" -b -n 1 --root "$fixture" >"$tmp/one.txt"
expect "batch: -n 1 exits 0" test $? -eq 0
"$here/check-batch.py" "$tmp/one.txt" "$fixture/client-stats" || failed=1
expect "batch: the class rows (8 classes holding spans, 1 cache)" \
	test "$(screen 1 "$tmp/one.txt" | rows | wc -l)" -eq 9
expect "batch: the largest bytes first (sort bytes by default)" \
	test "$(screen 1 "$tmp/one.txt" | rows | head -1 | field 2)" = 32768
expect "batch: no escapes" test "$(grep -c $'\033' "$tmp/one.txt")" -eq 0
expect "batch: GC heap with spec12's figures (last pause 41.0us, 1000 released)" \
	grep -Eq '^demo_graph +off +3 +128 +4224 +41.0us +84.0us +2 +1000$' "$tmp/one.txt"
expect "batch: GC heap without them (mean released per cycle 400/4)" \
	grep -Eq '^demo_list +sweep +4 +40 +4096 +- +1.25ms +0 +100$' "$tmp/one.txt"
expect "batch: CPU rows (cached 0 and 2347)" \
	grep -Eq '^ +1( +-){4} +2347$' "$tmp/one.txt"

# The checker itself fails on a figure that differs.
sed 's/^bytes_in_use .*/bytes_in_use 1/' "$fixture/client-stats" >"$tmp/wrong"
"$here/check-batch.py" "$tmp/one.txt" "$tmp/wrong" >"$tmp/wrong.out"
expect "check-batch.py fails on a wrong figure" test $? -eq 1
expect "check-batch.py names it" grep -q '^fail goslab-top bytes_in_use' "$tmp/wrong.out"

# N screens, each begun by its line; rates "-" on the first only.
"$top" -b -n 3 -d 0.1 --root "$fixture" >"$tmp/three.txt"
expect "batch: -n 3 prints 3 screens" \
	test "$(grep -c '^goslab-top - up 2.14s' "$tmp/three.txt")" -eq 3
expect "batch: no rate on the first screen" \
	grep -q '^Pages:   1536 held (-), 720 in use (-)' "$tmp/three.txt"
expect "batch: rates 0 on the third (nothing moved)" \
	bash -c "awk '/^goslab-top - /{s++} s==3' '$tmp/three.txt' |
		grep -q '^Pages:   1536 held (+0/s), 720 in use (+0/s), 816 free (+0/s), 0 released (+0/s)'"

# Rates: figures that move between the two samples, 2 s apart.
cp -r "$fixture" "$tmp/live"
"$top" -b -n 2 -d 2 --root "$tmp/live" >"$tmp/rate.txt" &
pid=$!
for _ in $(seq 100); do
	grep -q '^goslab-top - ' "$tmp/rate.txt" && break
	sleep 0.1
done
# class 8: 1000 more refilled; CPU 1: 500 more frees; 20 more pages held.
sed -i 's/^\(8 .*\) 1024 0$/\1 2024 0/' "$tmp/live/classes"
sed -i 's/^1 194 97 /1 194 597 /' "$tmp/live/cpus"
sed -i 's/^pages_held 1536$/pages_held 1556/' "$tmp/live/totals"
wait "$pid"
expect "batch: -n 2 -d 2 exits 0" test $? -eq 0
screen 2 "$tmp/rate.txt" >"$tmp/rate2.txt"
moved=$(rows <"$tmp/rate2.txt" | awk '$1 == "class" && $2 == 8 { print $9 }')
expect "batch: class 8 moves 1000 objects in 2 s ($moved/s)" \
	test "${moved:-0}" -ge 250 -a "${moved:-0}" -le 500
frees=$(awk '$1 == 1 && NF == 6 { print $3 }' "$tmp/rate2.txt")
expect "batch: CPU 1 frees 500 in 2 s ($frees/s)" \
	test "${frees:-0}" -ge 125 -a "${frees:-0}" -le 250
held=$(sed -n 's/^Pages:   1556 held (+\([0-9]*\)\/s).*/\1/p' "$tmp/rate2.txt")
expect "batch: 20 pages more held in 2 s (+$held/s)" \
	test "${held:-0}" -ge 5 -a "${held:-0}" -le 10
expect "batch: other classes still (0/s)" \
	test "$(rows <"$tmp/rate2.txt" | awk '$2 != 8 && $9 != 0' | wc -l)" -eq 0

# Columns are read by their names: the same screen with them reversed.
mkdir "$tmp/perm"
cp "$fixture"/* "$tmp/perm/"
for f in classes caches cpus; do
	awk '{ for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "\n") }' \
		"$fixture/$f" >"$tmp/perm/$f"
done
"$top" -b -n 1 --root "$tmp/perm" | tail -n +2 >"$tmp/perm.txt"
tail -n +2 "$tmp/one.txt" >"$tmp/one-body.txt"
expect "batch: columns in another order read the same" \
	cmp -s "$tmp/perm.txt" "$tmp/one-body.txt"

# Today's files: no refills/flushes/cached columns, no gc file, no uptime.
mkdir "$tmp/old"
for f in classes caches cpus; do
	cut -d' ' -f1-9 "$fixture/$f" >"$tmp/old/$f"
done
cp "$fixture"/{heap,totals,debug} "$tmp/old/"
"$top" -b -n 2 -d 0.1 --root "$tmp/old" >"$tmp/old.txt"
expect "batch: without the new columns and gc: exits 0" test $? -eq 0
"$here/check-batch.py" "$tmp/old.txt" "$fixture/client-stats" >/dev/null
expect "batch: without them, the header still equals the client's figures" test $? -eq 0
screen 2 "$tmp/old.txt" >"$tmp/old2.txt"
expect "batch: without refills/flushes, MOVED/S is -" \
	test "$(rows <"$tmp/old2.txt" | awk '$9 != "-"' | wc -l)" -eq 0
expect "batch: without cpus' cached, CACHED is -" \
	grep -Eq '^ +1 +0 +0 +0 +0 +-$' "$tmp/old2.txt"
expect "batch: without gc, says so" \
	grep -q '^GC:      no gc file' "$tmp/old2.txt"

# No totals: pages from heap, the rest unknown.
mkdir "$tmp/nototals"
cp "$fixture"/{classes,caches,cpus,heap} "$tmp/nototals/"
"$top" -b -n 1 --root "$tmp/nototals" >"$tmp/nototals.txt"
expect "batch: without totals, pages from heap, objects -" \
	grep -q '^Objects: - in use, - bytes in use' "$tmp/nototals.txt"
expect "batch: without totals, pages held from heap" \
	grep -q '^Pages:   1536 held (-)' "$tmp/nototals.txt"

# Options.
"$top" --help >"$tmp/help.txt"
expect "--help exits 0 with a man-style text" \
	bash -c "[ $? -eq 0 ] && grep -q '^SYNOPSIS' '$tmp/help.txt' && grep -q '^KEYS' '$tmp/help.txt'"
"$top" -b -n 1 --root "$tmp/nothing" >/dev/null 2>"$tmp/err"
expect "nothing under --root: exit 1" test $? -eq 1
expect "nothing under --root: says so" grep -q 'no goslab statistics' "$tmp/err"
"$top" -b --sort nosuch -n 1 --root "$fixture" >/dev/null 2>&1
expect "bad --sort: exit 1" test $? -eq 1
"$top" -b -s objects -n 1 --root "$fixture" >"$tmp/objs.txt"
expect "--sort objects: the most objects first" \
	test "$(screen 1 "$tmp/objs.txt" | rows | head -1 | field 2)" = goslab_demo
expect "--sort objects: objects never grow" \
	bash -c "grep -E '^(class|cache) ' '$tmp/objs.txt' | awk '{print \$5}' |
		awk 'NR > 1 && \$1 > p { exit 1 } { p = \$1 }'"
"$top" -b -d 10 --root "$fixture" >/dev/null &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid"
expect "batch: SIGTERM while waiting ends it (status 143)" test $? -eq 143
"$top" --root "$fixture" </dev/null >/dev/null 2>"$tmp/err"
expect "interactive without a terminal: exit 1" test $? -eq 1

[ "$failed" -eq 0 ] && echo "test-batch: all passed" || echo "test-batch: FAILED"
exit "$failed"
