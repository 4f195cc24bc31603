#!/bin/bash
# make check: install what is missing, build (or reuse) the debug test
# kernel, lint and build the modules, boot them under QEMU and turn all of
# it into test results.  Ends with one line "N passed, N failed, N skipped"
# and exits 1 if anything failed.
#
# Knobs (environment):
#   GOSLAB_MODSRC   external module tree to test (default: this repo)
#   GOSLAB_OUT      where logs go (default: out/check in the repo)
#   GOSLAB_TIMEOUT  seconds each guest boot may run (default: 3000)
#   GOSLAB_BOOTS    the guest boots to run (default: debug init_on_free
#                   init_on_alloc kasan_reports); GOSLAB_PASSES, only these passes of
#                   guest-init.sh in each; GOSLAB_CMDLINE adds to the
#                   kernel command line, e.g. kunit.filter_glob=goslab_gc*:
#                   quick runs while developing; CI sets none of them
set -uo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

modsrc=${GOSLAB_MODSRC:-$GOSLAB_ROOT}
out=${GOSLAB_OUT:-$GOSLAB_ROOT/out/check}
limit=${GOSLAB_TIMEOUT:-3000}
scripts=$GOSLAB_ROOT/scripts

rm -rf "$out"
mkdir -p "$out/modules" "$out/selftests"
rows=$out/results.tsv
: >"$rows"

result() {
	printf '%s\t1\t%s\n' "$1" "$2" >>"$rows"
	printf '%s %s\n' "${1^^}" "$2"
}

# Sum the rows, print the closing line and exit 1 if anything failed.
finish() {
	awk -F'\t' '{ n[$1] += $2 }
		END { printf "%d passed, %d failed, %d skipped\n",
		      n["pass"], n["fail"], n["skip"] }' "$rows" >"$out/summary"
	echo
	# CI keeps only the tail of the output: name what failed here.
	awk -F'\t' '$1 == "fail" { print "FAILED: " $3 }' "$rows"
	[ ! -f "$out/console.log" ] || echo "guest log: $out/console.log"
	cat "$out/summary"
	grep -q '^[0-9]* passed, 0 failed,' "$out/summary"
	exit
}

"$scripts/deps.sh" || { result fail "install dependencies"; finish; }
kdir=$("$scripts/build-kernel.sh") || { result fail "test kernel build"; finish; }
ksrc=$(readlink -f "$kdir/source")

echo "=== lint"
"$scripts/lint.sh" "$kdir" "$modsrc" "$rows"

# selftests/Makefile builds static programs into OUTPUT; the guest runs
# every executable there.
stdir=$modsrc/selftests
if [ -f "$stdir/Makefile" ]; then
	echo "=== selftests build"
	if make -C "$stdir" KSRC="$ksrc" OUTPUT="$out/selftests"; then
		result pass "selftests build"
	else
		result fail "selftests build"
	fi
fi

find "$modsrc" -path "$modsrc/out" -prune -o -name '*.ko' -type f \
	-exec cp -t "$out/modules" {} +
if [ ! -f "$out/modules/goslab.ko" ]; then
	result fail "guest: not booted, goslab.ko was not built"
	finish
fi

# boot NAME PASSES [CMDLINE]: one guest boot of the test kernel running
# the guest-init.sh passes PASSES; logs in $out (the main boot) or
# $out/NAME, results named "NAME: ..." but for the main boot.
boot() {
	local name=$1 passes=$2 cmdline=${3:-} dir=$out label=
	if [ "$name" != debug ]; then
		dir=$out/$name
		label="$name: "
	fi
	mkdir -p "$dir"
	echo "=== guest $name (QEMU TCG, up to ${limit}s; log: $dir/console.log)"
	GOSLAB_PASSES=$passes "$scripts/mkinitramfs.sh" "$dir/initramfs.cpio" check \
		"$out/modules" "$out/selftests"
	local start=$SECONDS rc=0 timed_out=0
	GOSLAB_CMDLINE=$cmdline "$scripts/run-guest.sh" "$kdir/arch/x86/boot/bzImage" \
		"$dir/initramfs.cpio" "$dir" "$limit" || rc=$?
	echo "guest $name ran for $((SECONDS - start))s"
	case $rc in
	0) ;;
	124) timed_out=$limit ;;
	*) result fail "${label}guest: QEMU failed to run" ;;
	esac
	python3 "$scripts/analyze-guest.py" --mode check --outdir "$dir" --ksrc "$ksrc" \
		--rows "$rows" --timed-out "$timed_out" --benign "$scripts/splat-benign.txt" \
		--passes "$passes" --label "$label" ||
		result fail "${label}guest log analysis"
}

# The debug kernel as booted runs everything; two more boots run the
# KUnit set with the kernel's init_on_free and init_on_alloc on, the
# boot options that change what goslab must zero; one more runs the
# suite whose cases provoke KASAN reports, which turn lockdep off.
for b in ${GOSLAB_BOOTS:-debug init_on_free init_on_alloc kasan_reports}; do
	case $b in
	debug) boot debug "${GOSLAB_PASSES:-pass1 pass2 bench unload pass3 pass4}" \
		"${GOSLAB_CMDLINE:-}" ;;
	init_on_free | init_on_alloc)
		boot "$b" "${GOSLAB_PASSES:-pass1}" "$b=1${GOSLAB_CMDLINE:+ $GOSLAB_CMDLINE}" ;;
	kasan_reports)
		boot "$b" kasan kunit.filter_glob=goslab_kasan ;;
	*) result fail "unknown boot $b in GOSLAB_BOOTS" ;;
	esac
done
finish
