#!/bin/sh
# /init of the goslab test guest: busybox, no real root filesystem.
#
# Runs one of three scripts, chosen by MODE in /etc/goslab.conf:
#   check: pass1 loads goslab.ko and goslab_kunit.ko, collects every KUnit
#          suite's KTAP from debugfs, unloads both; pass2 is the same with
#          goslab.ko debug=1; pass3 loads goslab.ko and runs every program
#          in /selftests; pass4 runs them again against goslab.ko debug=1.
#          Between pass2 and pass3, goslab_bench.ko short=1 checks the
#          bench module's cases for correctness (no figures), and
#          unload loads and unloads goslab under drop_caches; stress
#          loads goslab_stress.ko, the KUnit stress workload as a plain
#          module (for kernels without KUnit).  PASSES
#          (GOSLAB_PASSES on the host) may name a subset of pass1, pass2,
#          bench, unload, stress, pass3, pass4 (the default is all but
#          stress) for a quicker run while developing;
#          kasan, the KUnit pass of the suite that provokes KASAN reports,
#          runs only when named there (scripts/check.sh gives it a boot).
#   demo:  loads goslab.ko and goslab_demo.ko, watches goslab while the
#          client runs and sends what it gathered to the host on ttyS2.
#   bench: loads goslab.ko and goslab_bench.ko and copies its result lines
#          (scripts/bench.sh).
# then powers the machine off.  Modules are in /modules, selftests in
# /selftests.
#
# Humans read the console (ttyS0), interleaved with the kernel log.  The
# host's parser reads the second serial port (ttyS1), which carries only
# what this script writes there, so kernel messages can never split a KTAP
# or TAP line.  Its lines starting with "@@ " are records:
#   @@ step RC WHAT                  a command and its exit status
#   @@ ktap-begin PASS / ktap-end    one KTAP document for the pass
#   @@ selftest-begin PASS NAME / @@ selftest-end PASS NAME RC
#   @@ done                          the script reached the end
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
MODE=check
PASSES="pass1 pass2 bench unload pass3 pass4"
PREEMPT_MODE=/sys/kernel/debug/sched/preempt
GOSLAB_DEBUGFS=/sys/kernel/debug/goslab
# The demo's goslab.ko parameters: its trace line and its profiler, one
# sample per 32 KiB (Go's 512 KiB would give too few samples of the
# client's 64 MiB for tools/goslab-pprof/check-profile.sh's shares).
DEMO_GOSLAB_ARGS="gc_trace=1 profile_rate=32768"
SELFTEST_TIMEOUT=600
# shellcheck source=/dev/null # written by mkinitramfs.sh
. /etc/goslab.conf

mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
# insmod of the KUnit module waits on each case for up to KUnit's own
# 300 s timeout by design: a hung task is one that waits longer.
echo 360 >/proc/sys/kernel/hung_task_timeout_secs

# Results channel; raw so the tty does not turn \n into \r\n.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec 3>/dev/ttyS1

say() { echo "===== goslab-guest: $* ====="; }
rec() { echo "@@ $*" >&3; }

# step WHAT CMD...: run CMD, log its status to both channels.
step() {
	what=$1
	shift
	"$@"
	rc=$?
	echo "goslab-guest: $what: rc=$rc"
	rec step "$rc" "$what"
	return $rc
}

# kunit_pass NAME ARGS...: one goslab.ko + goslab_kunit.ko round;
# goslab_kunit.ko gets $KUNIT_ARGS.
kunit_pass() {
	pass=$1
	shift
	say "$pass begin"
	ls /sys/kernel/debug/kunit >/tmp/suites.before 2>/dev/null
	args=$*
	if step "$pass: insmod goslab.ko${args:+ $args}" insmod /modules/goslab.ko "$@"; then
		# shellcheck disable=SC2086 # a list of module parameters
		step "$pass: insmod goslab_kunit.ko${KUNIT_ARGS:+ $KUNIT_ARGS}" \
			insmod /modules/goslab_kunit.ko ${KUNIT_ARGS:-} &&
			collect_ktap "$pass" &&
			step "$pass: rmmod goslab_kunit" rmmod goslab_kunit
		step "$pass: rmmod goslab" rmmod goslab
	fi
	say "$pass end"
}

# Combine the results files of the suites that appeared with the module
# into one KTAP document with a top-level plan: each file is a complete
# document for a single suite ("KTAP version 1", "1..1", the suite as
# subtest, "ok 1 <suite>"), so drop its two header lines and renumber
# its last line.
collect_ktap() {
	suites=
	n=0
	for d in /sys/kernel/debug/kunit/*/; do
		s=$(basename "$d")
		if [ -f "$d/results" ] && ! grep -qxF "$s" /tmp/suites.before; then
			suites="$suites $s"
			n=$((n + 1))
		fi
	done
	rec ktap-begin "$1"
	echo "KTAP version 1" >&3
	echo "1..$n" >&3
	i=0
	for s in $suites; do
		i=$((i + 1))
		sed -E -e '1,2d' -e "s/^(not ok|ok) 1 /\\1 $i /" \
			"/sys/kernel/debug/kunit/$s/results" >&3
	done
	rec ktap-end "$1"
}

# kill_session SID: kill every process of session SID, until none but
# zombies is left (the kselftest harness puts each test in a process group
# of its own, so no single group kill reaches them all).
kill_session() {
	sid=$1
	while :; do
		left=
		for st in /proc/[0-9]*/stat; do
			read -r line <"$st" 2>/dev/null || continue
			# The fields after the command's ")": state ppid pgrp session
			# shellcheck disable=SC2086 # split on purpose
			set -- ${line##*) }
			if [ "${4:-}" != "$sid" ] || [ "$1" = Z ]; then
				continue
			fi
			p=${st#/proc/}
			kill -KILL "${p%/stat}" 2>/dev/null
			left=1
		done
		[ -n "$left" ] || return 0
		sleep 1
	done
}

# run_selftest PROGRAM: run it in a session of its own, output in
# /tmp/out, its status in $rc.  A watchdog kills the whole session after
# SELFTEST_TIMEOUT seconds and sets $timed_out to "timeout"; whatever the
# program leaves running is killed when it ends, so nothing runs on into
# the next program or keeps /dev/goslab open.  A program may switch the
# kernel's preemption mode (goslab_close_test's big_close): it is put back
# even if the program was killed.
run_selftest() {
	preempt=
	[ ! -e "$PREEMPT_MODE" ] ||
		preempt=$(sed 's/.*(\(.*\)).*/\1/' "$PREEMPT_MODE")
	rm -f /tmp/timed-out
	(cd /tmp && exec setsid "$1") >/tmp/out 2>&1 &
	pid=$!
	(sleep "$SELFTEST_TIMEOUT" && touch /tmp/timed-out && kill_session "$pid") &
	dog=$!
	wait "$pid"
	rc=$?
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	kill_session "$pid"
	timed_out=
	[ ! -e /tmp/timed-out ] || timed_out=timeout
	[ -z "$preempt" ] || echo "$preempt" >"$PREEMPT_MODE"
}

# selftest_pass NAME ARGS...: every selftest against goslab.ko ARGS.
selftest_pass() {
	pass=$1
	shift
	say "$pass begin"
	if step "$pass: insmod goslab.ko $*" insmod /modules/goslab.ko "$@"; then
		for t in /selftests/*; do
			if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
			name=${t##*/}
			say "$pass: selftest $name"
			rec selftest-begin "$pass" "$name"
			read -r t0 _ </proc/uptime
			run_selftest "$t"
			read -r t1 _ </proc/uptime
			# Not on the console: the host scans it for splats, and a test
			# printing "WARNING:" is not one.  The host shows it instead.
			cat /tmp/out >&3
			rec selftest-end "$pass" "$name" "$rc" $timed_out
			echo "goslab-guest: selftest $name: rc=$rc $timed_out (uptime $t0 to $t1 s)"
		done
		step "$pass: rmmod goslab" rmmod goslab
	fi
	say "$pass end"
}

# bench_pass: the bench module's short pass, a correctness check only.
bench_pass() {
	say "bench begin"
	if step "bench: insmod goslab.ko" insmod /modules/goslab.ko; then
		step "bench: insmod goslab_bench.ko short=1" \
			insmod /modules/goslab_bench.ko short=1 &&
			step "bench: rmmod goslab_bench" rmmod goslab_bench
		step "bench: rmmod goslab" rmmod goslab
	fi
	say "bench end"
}

# stress_pass: the stress workload, which fails to load if it found
# anything wrong (its verdict is in the kernel log).
stress_pass() {
	say "stress begin"
	if step "stress: insmod goslab.ko" insmod /modules/goslab.ko; then
		step "stress: insmod goslab_stress.ko" insmod /modules/goslab_stress.ko &&
			step "stress: rmmod goslab_stress" rmmod goslab_stress
		step "stress: rmmod goslab" rmmod goslab
	fi
	say "stress end"
}

# init_fails_clean: goslab's loading fails at its last step while a
# shrinker scan is held in it, and leaves nothing behind.  An empty heap
# counts nothing to reclaim, so drop_caches would not call the scan: the
# scan comes through the shrinker's debugfs file, as soon as it exists.
init_fails_clean() {
	rm -f /tmp/initfail.done
	(while [ ! -e /tmp/initfail.done ]; do
		for f in /sys/kernel/debug/shrinker/goslab-*/scan; do
			[ ! -e "$f" ] || echo "0 0 128" 2>/dev/null >"$f"
		done
		sleep 0.05
	done) &
	scanner=$!
	insmod /modules/goslab.ko test_shrink_hold=1 test_init_fail=1
	rc=$?
	touch /tmp/initfail.done
	wait "$scanner"
	if [ "$rc" = 0 ]; then
		echo "loading with test_init_fail=1 succeeded"
		rmmod goslab
		return 1
	fi
	dmesg | grep -q 'goslab: test_init_fail: loading fails while the shrinker scans' ||
		{ echo "no shrinker scan was held when loading failed"; return 1; }
	left=
	! grep -q '^goslab ' /proc/modules || left="$left module"
	[ ! -e /sys/kernel/debug/goslab ] || left="$left debugfs"
	[ ! -e /dev/goslab ] || left="$left device"
	! ls -d /sys/kernel/debug/shrinker/goslab-* >/dev/null 2>&1 || left="$left shrinker"
	[ -z "$left" ] || { echo "the failed load left behind:$left"; return 1; }
}

# unload_pass: load and unload goslab while the shrinker and a parameter
# write are inside it.  Each round leaves free objects in goslab (the
# bench module's pair case) while drop_caches runs in a loop; goslab's
# test_shrink_hold hook holds the shrinker's scan until the unload has
# begun, and KASAN sees any use of what the unload freed.
unload_pass() {
	say "unload begin"
	rm -f /tmp/unload.done
	(while [ ! -e /tmp/unload.done ]; do
		echo 2 >/proc/sys/vm/drop_caches
		echo 5 2>/dev/null >/sys/module/goslab/parameters/scavenge_delay_ms
	done) &
	bg=$!
	for i in 1 2 3 4 5; do
		step "unload $i: insmod goslab.ko" insmod /modules/goslab.ko \
			test_shrink_hold=1 || break
		step "unload $i: insmod goslab_bench.ko" \
			insmod /modules/goslab_bench.ko short=1 cases=pair &&
			step "unload $i: rmmod goslab_bench" rmmod goslab_bench
		step "unload $i: rmmod goslab" rmmod goslab
	done
	# Loading fails at its last step with a scan in the shrinker, and
	# init's error path tears down what it set up: then goslab loads again.
	step "unload: failed load meets the shrinker" init_fails_clean &&
		step "unload: insmod goslab.ko after the failed load" \
			insmod /modules/goslab.ko &&
		step "unload: rmmod goslab after the failed load" rmmod goslab
	touch /tmp/unload.done
	wait $bg
	say "unload end"
}

# bench: scripts/bench.sh's boot.  Lets boot-time work settle, runs the
# bench module (parameters from bench_args= on the kernel command line,
# which the kernel hands to init as an environment variable; goslab's own
# from goslab_args=) and copies its result lines to the results channel.
bench() {
	say "bench begin"
	sleep 2
	# shellcheck disable=SC2086 # lists of module parameters
	if step "insmod goslab.ko" insmod /modules/goslab.ko ${goslab_args:-}; then
		# shellcheck disable=SC2086
		step "insmod goslab_bench.ko" insmod /modules/goslab_bench.ko ${bench_args:-}
		dmesg | grep -o 'goslab-bench: .*' >&3
		rmmod goslab_bench 2>/dev/null
		step "rmmod goslab" rmmod goslab
	fi
	say "bench end"
}

# series DIR: copy what goslab-map charts to DIR/NNNN/ ten times a second
# until killed.  Each snapshot is written as NNNN.part and renamed when
# whole: the one the kill interrupts stays .part, and demo() drops it.
series() {
	i=0
	while :; do
		d=$1/$(printf %04d $i)
		mkdir -p "$d.part"
		cat /proc/uptime >"$d.part/uptime"
		for f in heap totals gc; do
			[ ! -f "$GOSLAB_DEBUGFS/$f" ] || cat "$GOSLAB_DEBUGFS/$f" >"$d.part/$f"
		done
		mv "$d.part" "$d"
		i=$((i + 1))
		usleep 100000
	done
}

# snapshot DIR: every debugfs file of goslab, goslab-top's screen and the
# demo client's goslab_get_stats() (client-stats) at one quiet point: the
# client's figures read before and after the rest, and equal.
snapshot() {
	stats=/sys/module/goslab_demo/parameters/stats
	mkdir -p "$1/snapshot"
	for try in 1 2 3 4 5; do
		cat $stats >/tmp/stats.before
		goslab-top -b -n 1 >"$1/top.txt" 2>&1
		for f in "$GOSLAB_DEBUGFS"/*; do
			cat "$f" >"$1/snapshot/${f##*/}"
		done
		cat /proc/uptime >"$1/snapshot/uptime"
		cat $stats >/tmp/stats.after
		cmp -s /tmp/stats.before /tmp/stats.after && break
		echo "goslab-guest: goslab was not quiet (try $try)"
		sleep 1
	done
	cp /tmp/stats.after "$1/snapshot/client-stats"
	rec step "$(cmp -s /tmp/stats.before /tmp/stats.after; echo $?)" \
		"demo: a quiet snapshot"
}

# demo: goslab.ko with its trace line and profiler on, the client's story
# (samples/), goslab-top during it, then the snapshot; everything
# gathered goes to the host through ttyS2 (scripts/demo.sh unpacks it).
demo() {
	say "demo begin"
	ex=/tmp/export
	mkdir -p $ex/series
	# shellcheck disable=SC2086 # a list of module parameters
	if step "insmod goslab.ko" insmod /modules/goslab.ko $DEMO_GOSLAB_ARGS; then
		series $ex/series &
		series_pid=$!
		goslab-top -b -d 0.5 -n 1200 >$ex/top-live.txt 2>&1 &
		top_pid=$!
		if step "insmod goslab_demo.ko" insmod /modules/goslab_demo.ko; then
			kill $series_pid $top_pid
			wait
			rm -rf $ex/series/*.part
			snapshot $ex
			[ ! -f "$GOSLAB_DEBUGFS/profile" ] ||
				cat "$GOSLAB_DEBUGFS/profile" >$ex/profile
			step "rmmod goslab_demo" rmmod goslab_demo
		else
			kill $series_pid $top_pid
			wait
		fi
		step "rmmod goslab" rmmod goslab
	fi
	stty -F /dev/ttyS2 raw -echo 2>/dev/null
	tar -C $ex -c . | base64 >/dev/ttyS2
	say "demo end"
}

say "mode $MODE, kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
case $MODE in
check)
	for p in $PASSES; do
		case $p in
		pass1) kunit_pass pass1 ;;
		pass2) kunit_pass pass2 debug=1 ;;
		bench) bench_pass ;;
		pass3) selftest_pass pass3 ;;
		# Debug mode validates every free the device makes on a user's behalf.
		pass4) selftest_pass pass4 debug=1 ;;
		unload) unload_pass ;;
		stress) stress_pass ;;
		# The suite whose cases provoke KASAN reports (kunit/kasan_test.c).
		kasan)
			KUNIT_ARGS=expect_reports=1
			kunit_pass kasan
			KUNIT_ARGS=
			;;
		esac
	done
	;;
demo)
	demo
	;;
bench)
	bench
	;;
esac
# The host fails the run on warning, bad-page, oops or lockup taints.
rec taint "$(cat /proc/sys/kernel/tainted)"
rec "done"
say "done, powering off"
sync
poweroff -f
# Without ACPI power-off a reboot ends QEMU too (-no-reboot).
sleep 5
reboot -f
