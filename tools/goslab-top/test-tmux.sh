#!/bin/bash
# shellcheck disable=SC2317 # the check functions run through expect
# test-tmux.sh [GOSLAB_TOP]: goslab-top on a terminal, inside a detached
# tmux session of fixed size, on a copy of the debugfs snapshot in
# tests/snapshot: capture-pane checks the screen (header figures equal the
# snapshot's goslab_get_stats(), class rows), send-keys sorts (the order
# follows), shows all classes, reverses, opens the help, and quits (the
# program exits 0 and the session is gone).  A figure changed in the copy
# shows as a rate.  Prints "pass NAME" / "fail NAME" rows; exits 1 on a
# failure.
set -uo pipefail
# shellcheck source=tests/common.sh
. "$(dirname "$0")/tests/common.sh"

top=$(binary "${1:-}") || exit 1
command -v tmux >/dev/null || { result fail "tmux: not installed (make deps)"; exit 1; }
tmp=$(mktemp -d)
# A server of our own: nothing else's sessions are touched.
sock=goslab-top-test-$$
tm() {
	tmux -L "$sock" "$@"
}
trap 'tm kill-server 2>/dev/null; rm -rf "$tmp"' EXIT

cp -r "$fixture" "$tmp/root"
# TERM for tmux's server; the program itself needs none.
TERM=${TERM:-xterm} tm -f /dev/null new-session -d -s top -x 100 -y 100 \
	"'$top' --root '$tmp/root' -d 1; echo \$? >'$tmp/rc'"

# capture: the screen of the session $target into $tmp/screen.
target=top
capture() {
	tm capture-pane -p -t "$target" >"$tmp/screen" 2>/dev/null
}

# wait_for PATTERN: until the screen has a line matching it and is
# drawn (the same twice, 0.1 s apart), for up to 10 s.
wait_for() {
	local _

	for _ in $(seq 100); do
		if capture && grep -Eq "$1" "$tmp/screen"; then
			cp "$tmp/screen" "$tmp/before"
			sleep 0.1
			capture && cmp -s "$tmp/screen" "$tmp/before" && return 0
		fi
		sleep 0.1
	done
	return 1
}

# wait_for_rows N: until the class table has N rows (5 s).
wait_for_rows() {
	local _

	for _ in $(seq 50); do
		capture && [ "$(rows <"$tmp/screen" | wc -l)" -eq "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# exit_status: goslab-top's, once it has ended (5 s).
exit_status() {
	local _

	for _ in $(seq 50); do
		[ -s "$tmp/rc" ] && break
		sleep 0.1
	done
	cat "$tmp/rc" 2>/dev/null
}

# column_descends COL: the class table's column COL never grows.
column_descends() {
	rows <"$tmp/screen" | field "$1" | descending
}

# key KEY SORT: send KEY, wait for the header to say "sort SORT".
key() {
	tm send-keys -t top "$1"
	wait_for "^goslab-top - .*sort $2(,| \\(reversed\\),)"
}

expect "tmux: the first screen" wait_for '^goslab-top - up 2.14s, 2 CPUs'
"$here/check-batch.py" "$tmp/screen" "$fixture/client-stats" | sed 's/^\([a-z]*\) /\1 tmux: /'
[ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
expect "tmux: no escape left on the screen" test "$(grep -c $'\033' "$tmp/screen")" -eq 0
expect "tmux: class rows (8 classes holding spans, 1 cache)" \
	test "$(rows <"$tmp/screen" | wc -l)" -eq 9
expect "tmux: sorted by bytes: the largest (32768, 262144 bytes) first" \
	test "$(rows <"$tmp/screen" | head -1 | field 7)" = 262144
expect "tmux: sorted by bytes: bytes never grow" column_descends 7
expect "tmux: GC heaps shown" grep -Eq '^demo_graph +off' "$tmp/screen"

expect "tmux: key o sorts by objects" key o objects
expect "tmux: sorted by objects: the cache (32 objects) first" \
	test "$(rows <"$tmp/screen" | head -1 | field 2)" = goslab_demo
expect "tmux: sorted by objects: objects never grow" column_descends 5

expect "tmux: key n sorts by name" key n name
expect "tmux: sorted by name: 8 first, tiny last" \
	test "$(rows <"$tmp/screen" | field 2 | sed -n '1p;$p' | tr '\n' ' ')" = "8 tiny "
expect "tmux: key < moves the sort left (name -> rate, wrapping)" key '<' rate
expect "tmux: key > moves it right (rate -> name)" key '>' name
expect "tmux: key > again (name -> size)" key '>' size
expect "tmux: sorted by size: 32768 first" \
	test "$(rows <"$tmp/screen" | head -1 | field 2)" = 32768
expect "tmux: key i reverses (size, smallest first)" key i size
expect "tmux: reversed: the smallest size (8) first" \
	test "$(rows <"$tmp/screen" | head -1 | field 2)" = 8
tm send-keys -t top i

# Every row of classes and caches, less their header lines.
all=$(($(cat "$fixture/classes" "$fixture/caches" | wc -l) - 2))
tm send-keys -t top a
expect "tmux: key a shows all $all classes and caches" \
	wait_for_rows "$all"
tm send-keys -t top a
expect "tmux: key a again hides them" wait_for_rows 9

tm send-keys -t top h
expect "tmux: key h shows the help" wait_for '^goslab-top - help'
tm send-keys -t top x
expect "tmux: any key leaves it" wait_for '^goslab-top - up'

# A short terminal cuts the screen, the header stays.
short_screen() {
	sleep 0.5
	capture && head -1 "$tmp/screen" | grep -q '^goslab-top - ' &&
		[ "$(wc -l <"$tmp/screen")" -le 12 ] &&
		grep -q '^ CPU' "$tmp/screen" && ! grep -q '^KIND' "$tmp/screen"
}
tm resize-window -t top -y 12
expect "tmux: a 12-line terminal shows the screen's first 12 lines" short_screen
tm resize-window -t top -y 100

# 1000 objects more through class 8 (its refills column): shown as a rate.
sed -i 's/^\(8 .*\) 1024 0$/\1 2024 0/' "$tmp/root/classes"
moved=
for _ in $(seq 50); do
	capture
	moved=$(rows <"$tmp/screen" | awk '$2 == 8 && $9 != 0 && $9 != "-" { print $9 }')
	[ -z "$moved" ] || break
	sleep 0.1
done
expect "tmux: class 8 moved 1000 objects in about 1 s ($moved/s)" \
	test "${moved:-0}" -ge 300 -a "${moved:-0}" -le 1000

tm send-keys -t top q
expect "tmux: key q quits, exit status 0" test "$(exit_status)" = 0
sleep 0.2
expect "tmux: the session is gone" bash -c "! tmux -L '$sock' has-session -t top 2>/dev/null"

# ^C (SIGINT through the terminal) ends it too, with status 130.
rm -f "$tmp/rc"
tm -f /dev/null new-session -d -s intr -x 100 -y 40 \
	"'$top' --root '$fixture'; echo \$? >'$tmp/rc'"
target=intr
expect "tmux: a second session's first screen" wait_for '^goslab-top - up'
tm send-keys -t intr C-c
expect "tmux: ^C ends it, exit status 130" test "$(exit_status)" = 130

[ "$failed" -eq 0 ] && echo "test-tmux: all passed" || echo "test-tmux: FAILED"
exit "$failed"
