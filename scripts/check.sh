#!/bin/bash
# make check: install what is missing, build (or reuse) the debug test
# kernel, lint and build the modules, boot them under QEMU and turn all of
# it into test results.  Ends with one line "N passed, N failed, N skipped"
# and exits 1 if anything failed.
#
# Knobs (environment):
#   GOSLAB_MODSRC   external module tree to test (default: this repo)
#   GOSLAB_OUT      where logs go (default: out/check in the repo)
#   GOSLAB_TIMEOUT  seconds the guest may run (default: 1200)
#   GOSLAB_PASSES   run only these guest passes (guest-init.sh), and
#                   GOSLAB_CMDLINE adds to the kernel command line, e.g.
#                   kunit.filter_glob=goslab_gc*: quick runs while
#                   developing; CI sets neither
set -uo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

modsrc=${GOSLAB_MODSRC:-$GOSLAB_ROOT}
out=${GOSLAB_OUT:-$GOSLAB_ROOT/out/check}
limit=${GOSLAB_TIMEOUT:-1200}
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

echo "=== guest (QEMU TCG, up to ${limit}s; log: $out/console.log)"
"$scripts/mkinitramfs.sh" "$out/initramfs.cpio" check "$out/modules" "$out/selftests"
start=$SECONDS
rc=0
"$scripts/run-guest.sh" "$kdir/arch/x86/boot/bzImage" "$out/initramfs.cpio" \
	"$out" "$limit" || rc=$?
echo "guest ran for $((SECONDS - start))s"
timed_out=0
case $rc in
0) ;;
124) timed_out=$limit ;;
*) result fail "guest: QEMU failed to run" ;;
esac
python3 "$scripts/analyze-guest.py" --mode check --outdir "$out" --ksrc "$ksrc" \
	--rows "$rows" --timed-out "$timed_out" --benign "$scripts/splat-benign.txt" \
	--passes "${GOSLAB_PASSES:-pass1 pass2}" ||
	result fail "guest log analysis"
finish
