#!/bin/bash
# make check-full's hunt for a rare crash under make bench (issue #10
# item 14: one boot of Debian's 6.12 once oopsed with RIP 0 after the
# 2048-byte pair loop).  Boots Debian's own 6.12 image as make bench does
# (TCG, "-icount shift=0,sleep=off", goslab_bench.ko cases=pair,memset)
# again and again, and with the debugging options that image has:
#
#   shipped      GOSLAB_REPEAT boots (default 30) as Debian ships it
#   page_poison  page_poison=1: freed pages are poisoned and checked
#   kfence       kfence.sample_interval=1: KFENCE samples every 1 ms
#   memset       goslab built with memset() for gs_zero()'s "rep stosq",
#                to tell the inline zeroing apart from the rest
#
# Each boot passes if it ran to its end and powered off with no splat and
# no bad taint (scripts/analyze-guest.py); one whose crash cannot be
# goslab's (not_goslab below) is a skip, with the reason; each variant's
# line gives the 2048-byte pair figures it saw, which icount makes exact.
#
# usage: bench-repeat.sh [MODSRC [ROWS [OUTDIR]]]   (OUTDIR: out/bench-repeat)
# Knobs: GOSLAB_REPEAT, GOSLAB_TIMEOUT (seconds per boot, default 900).
set -uo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

modsrc=${1:-$GOSLAB_ROOT} rows=${2:-/dev/null}
out=${3:-$GOSLAB_ROOT/out/bench-repeat}
repeat=${GOSLAB_REPEAT:-30}
limit=${GOSLAB_TIMEOUT:-900}
args="unit=insns cases=pair,memset"
failed=0

{ read -r kdir && read -r vmlinuz; } < <("$GOSLAB_ROOT/scripts/debian-kernel.sh" 6.12) ||
	{ result fail "bench_repeat: Debian 6.12 kernel"; exit 1; }

# build NAME SRC: goslab and the bench module from SRC, in an initramfs.
build() {
	local rc=0
	"$GOSLAB_ROOT/scripts/build-modules.sh" "$kdir" "$out/$1" "$2" module bench || rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
		result fail "bench_repeat: $1: modules build"
		return 1
	fi
	"$GOSLAB_ROOT/scripts/mkinitramfs.sh" "$out/$1/initramfs.cpio" bench "$out/$1/modules"
}

# not_goslab LOG: say why LOG's crash (its first oops or panic) cannot be
# goslab's, or fail.  Either it came before goslab.ko began to load, or,
# with no other splat since goslab loaded and no goslab frame in its call
# trace, the registers it printed hold an EFLAGS with reserved bits
# (22-63) set, which no x86 CPU saves: the emulator's state went wrong.
# Seen here, both in SLUB's cmpxchg16b fast path: a #DB during boot, then
# init killed (EFLAGS 7ff81002), and a double fault in the bench's SLUB
# loop (c232dae2).
not_goslab() {
	local fatal loaded flags
	if crashed_before_goslab "$1"; then
		echo "the kernel crashed before goslab began to load"
		return 0
	fi
	read -r fatal loaded < <(crash_lines "$1") || return 1
	if sed -n "$loaded,$((fatal - 1))p" "$1" |
		grep -qE 'BUG:|WARNING:|Oops|general protection|Kernel panic' ||
		sed -n "$fatal,$((fatal + 80))p" "$1" | grep -q '\[goslab\]'; then
		return 1
	fi
	flags=$(sed -n "$fatal,$((fatal + 80))p" "$1" | grep -o -m1 'EFLAGS: [0-9a-f]*' | cut -d' ' -f2)
	[ -n "$flags" ] && [ $((0x$flags >> 22)) -ne 0 ] || return 1
	echo "QEMU reported an impossible EFLAGS $flags (reserved bits set)"
}

# variant NAME BUILD BOOTS [CMDLINE]: BOOTS boots of BUILD's initramfs.
variant() {
	local name=$1 build=$2 n=$3 cmdline=${4:-} i dir rc figs why bad=0 early=0
	for i in $(seq 1 "$n"); do
		dir=$out/$name/$i
		rc=0
		GOSLAB_CMDLINE="$cmdline bench_args=\"$args\"" \
			GOSLAB_QEMU_ARGS=$GOSLAB_ICOUNT \
			"$GOSLAB_ROOT/scripts/run-guest.sh" "$vmlinuz" \
			"$out/$build/initramfs.cpio" "$dir" "$limit" || rc=$?
		python3 "$GOSLAB_ROOT/scripts/analyze-guest.py" --mode demo \
			--outdir "$dir" --ksrc "$kdir" --rows "$dir/rows.tsv" \
			--timed-out "$([ $rc -eq 124 ] && echo "$limit" || echo 0)" \
			--benign "$GOSLAB_ROOT/scripts/splat-benign.txt" >"$dir/analysis.log"
		if [ $rc -eq 0 ] && ! grep -q '^fail' "$dir/rows.tsv" &&
			grep -q 'goslab-bench: done rc=0' "$dir/results.log"; then
			continue
		fi
		bad=$((bad + 1))
		if why=$(not_goslab "$dir/console.log"); then
			early=$((early + 1))
			result skip "bench_repeat: $name boot $i: $why (see $dir/analysis.log)"
		else
			result fail "bench_repeat: $name boot $i: see $dir/analysis.log"
		fi
	done
	# goslab's 2048-byte pair, in instructions, over the boots.
	figs=$(grep -ho 'case=pair size=2048 alloc=goslab insns=[0-9.]*' \
		"$out/$name"/*/results.log | sed 's/.*insns=//' | sort -n | uniq -c |
		awk '{ printf "%s%s (x%d)", (NR > 1 ? ", " : ""), $2, $1 }')
	[ $bad -ne $early ] ||
		result pass "bench_repeat: $name: $((n - early)) of $n boots${cmdline:+ with $cmdline} ran goslab's bench with no oops, splat or bad taint; 2048-byte pair: ${figs:-no figure} insns"
}

rm -rf "$out"
mkdir -p "$out"
build as-is "$modsrc" || exit 1
# The bisect build: the same sources with gs_zero()'s x86-64 branch off.
mkdir -p "$out/memset-src"
cp -r "$modsrc"/{VERSION,include,module,bench} "$out/memset-src/"
sed -i '/^static __always_inline void \*gs_zero(/,/^}/ s/^#ifdef CONFIG_X86_64$/#if 0/' \
	"$out/memset-src/module/core/internal.h"
if ! grep -A2 '^static __always_inline void \*gs_zero(' "$out/memset-src/module/core/internal.h" |
	grep -q '^#if 0$'; then
	result fail "bench_repeat: memset: gs_zero() not found as expected in module/core/internal.h"
	exit 1
fi
build memset "$out/memset-src" || exit 1

variant shipped as-is "$repeat"
variant page_poison as-is 1 page_poison=1
variant kfence as-is 1 kfence.sample_interval=1
variant memset memset 1
exit $failed
