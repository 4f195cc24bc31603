#!/bin/bash
# make check: install what is missing, build (or reuse) the test kernels,
# lint and build the modules, boot them under QEMU and turn all of it into
# test results.  Ends with one line "N passed, N failed, N skipped"
# and exits 1 if anything failed.
#
# Knobs (environment):
#   GOSLAB_MODSRC   external module tree to test (default: this repo)
#   GOSLAB_OUT      where logs go (default: out/check in the repo)
#   GOSLAB_TIMEOUT  seconds each guest boot may run (default: 3000)
#   GOSLAB_FULL     set (make check-full): run every boot, not only
#                   make check's (the list is at the end of this file)
#   GOSLAB_BOOTS    the guest boots to run instead; GOSLAB_PASSES, only these passes of
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

# Each test kernel other than the debug one gets its own build of the
# modules (kernel_modules), made once, before its first boot: goslab's
# own test kernels the test build (GOSLAB_TEST=y, module/Kbuild), as
# lint.sh builds the debug kernel's, Debian's the shipped build.
# KERNEL/nogc is that kernel with the modules built without the collector
# (GOSLAB_GC=n).
declare -A kimage=([debug]=$kdir/arch/x86/boot/bzImage) kmods=([debug]=$out/modules)
kernel_modules() {
	local key=$1 name=${1%/nogc} dir image rc=0 gc=y build=() subdirs=()
	[ -z "${kimage[$key]:-}" ] || return 0
	# Without the collector, no samples/: goslab_demo.ko is a client that
	# uses it, and such a client fails at modpost, as it should.
	[ "$name" = "$key" ] || { gc=n; subdirs=(module kunit bench stress); }
	case $name in
	debian-*)
		{ read -r dir && read -r image; } < <("$scripts/debian-kernel.sh" "${name#debian-}") ||
			{ result fail "$name: kernel headers and image"; return 1; }
		;;
	*)
		dir=$("$scripts/build-kernel.sh" "$name") ||
			{ result fail "$name: test kernel build"; return 1; }
		image=$dir/arch/x86/boot/bzImage
		build=(--test)
		;;
	esac
	local built=$out/${key/\//-}
	GOSLAB_GC=$gc "$scripts/build-modules.sh" "${build[@]}" "$dir" "$built" "$modsrc" \
		"${subdirs[@]}" || rc=$?
	# A build without the collector that exports it would test nothing.
	[ $rc -ne 0 ] || [ $gc = y ] || ! grep -q goslab_gc_ "$built/src/Module.symvers" ||
		rc=3
	case $rc in
	0) result pass "$key: modules build (W=1)" ;;
	2) result fail "$key: modules build (W=1): warnings" ;;
	3) result fail "$key: modules build: goslab_gc_* exported with GOSLAB_GC=n"; return 1 ;;
	*) result fail "$key: modules build (W=1)"; return 1 ;;
	esac
	kimage[$key]=$image
	kmods[$key]=$built/modules
}

# boot NAME KERNEL PASSES [CMDLINE]: one guest boot of test kernel KERNEL
# running the guest-init.sh passes PASSES; logs in $out (the main boot) or
# $out/NAME, results named "NAME: ..." but for the main boot.
boot() {
	local name=$1 kernel=$2 passes=$3 cmdline=${4:-} dir=$out label=
	if [ "$name" != debug ]; then
		dir=$out/$name
		label="$name: "
	fi
	kernel_modules "$kernel" || return 0
	mkdir -p "$dir"
	echo "=== guest $name ($kernel kernel, QEMU TCG, up to ${limit}s; log: $dir/console.log)"
	GOSLAB_PASSES=$passes "$scripts/mkinitramfs.sh" "$dir/initramfs.cpio" check \
		"${kmods[$kernel]}" "$out/selftests"
	local start=$SECONDS rc timed_out=0 try
	# A kernel that crashes before goslab.ko loads ran nothing of ours:
	# under TCG, a guest beside another has oopsed patching its own text
	# (int3 in sched_clock_cpu at boot).  Such a boot is made once more.
	for try in 1 2; do
		rc=0
		GOSLAB_CMDLINE=$cmdline "$scripts/run-guest.sh" "${kimage[$kernel]}" \
			"$dir/initramfs.cpio" "$dir" "$limit" || rc=$?
		if [ $try -eq 2 ] || [ $rc -ne 0 ] ||
			! crashed_before_goslab "$dir/console.log"; then
			break
		fi
		mv "$dir/console.log" "$dir/console-crashed.log"
		echo "guest $name: the kernel crashed before goslab.ko loaded" \
			"(see $dir/console-crashed.log); booting it again"
	done
	echo "guest $name ran for $((SECONDS - start))s"
	case $rc in
	0) ;;
	124) timed_out=$limit ;;
	*) result fail "${label}guest: QEMU failed to run" ;;
	esac
	python3 "$scripts/analyze-guest.py" --mode check --outdir "$dir" --ksrc "$ksrc" \
		--rows "$rows" --timed-out "$timed_out" --benign "$scripts/splat-benign.txt" \
		--passes "$passes" --label "$label" --boot "$name" \
		--coverage "$scripts/coverage.txt" --cmdline "$cmdline" ||
		result fail "${label}guest log analysis"
}

# The boots, by name ("full:" marks what only make check-full runs):
#   debug          the debug kernel as booted: both KUnit passes, the
#                  bench smoke test, the unload checks, the selftests
#                  (full: the selftests again against debug=1)
#   kasan_reports  the suite whose cases provoke KASAN reports, which turn
#                  lockdep off: a boot of its own, without kmemleak (whose
#                  own allocation in goslab's hook would draw the report
#                  goslab_test_kasan_might_alloc expects of goslab)
#   init_on_free, init_on_alloc (full)
#                  the debug kernel's KUnit set with those boot options on
#   prod           the production-like kernel as booted (init_on_alloc on:
#                  goslab's gs_zero() path): KUnit set (full: selftests)
#   prod_nogc      the production-like kernel with goslab built without its
#                  collector (GOSLAB_GC=n): KUnit set and selftests, whose
#                  GC cases skip (coverage.txt)
#   prod_noinit (full)  its KUnit set with init_on_alloc=0: the hook-free paths
#   prod_init_on_free (full)  its KUnit set with init_on_free=1
#   rt             the PREEMPT_RT kernel booted with init_on_free=1, the
#                  one boot of make check where the init_on_free cases run:
#                  KUnit set (full: selftests)
#   novmalloc (full)  the debug kernel without KASAN_VMALLOC, as KASAN
#                  kernels are by default (and so without VMAP_STACK): KUnit set
#   debian-6.1, debian-6.12-rt, debian-6.12 (full)
#                  Debian 12's own kernels, as users have them (no KUnit):
#                  the selftests and the stress module goslab_stress.ko
#   install, install-6.12 (full)
#                  not boots: make install and DKMS against Debian's 6.1
#                  (Debian 12's default kernel) or 6.12 headers, a client
#                  module built against it, and their removal
#                  (scripts/install-test.sh)
#   demo           make demo on the production-like kernel: the client's
#                  story (it fails to load if the collector got it wrong),
#                  and its output checked on the host (demo.sh demo_checks:
#                  goslab-top against the client's goslab_get_stats(), on a
#                  fixture in tmux, the heap map in chromium, the profile
#                  in go tool pprof)
#   bench_repeat (full)  Debian's 6.12 under make bench's icount, booted
#                  again and again (scripts/bench-repeat.sh)
# make check runs CHECK_BOOTS, inside CI's time; make check-full
# (GOSLAB_FULL=1) all of them.
CHECK_BOOTS="debug kasan_reports prod prod_nogc rt debian-6.1 debian-6.12-rt demo install"
FULL_BOOTS="$CHECK_BOOTS prod_noinit prod_init_on_free init_on_free init_on_alloc novmalloc debian-6.12 install-6.12 bench_repeat"
boots=$CHECK_BOOTS
[ -z "${GOSLAB_FULL:-}" ] || boots=$FULL_BOOTS
full_pass3=${GOSLAB_FULL:+ pass3}
for b in ${GOSLAB_BOOTS:-$boots}; do
	extra=${GOSLAB_CMDLINE:-}
	case $b in
	debug) boot debug debug "${GOSLAB_PASSES:-pass1 pass2 bench unload pass3${GOSLAB_FULL:+ pass4}}" "$extra" ;;
	kasan_reports) boot "$b" debug kasan "kunit.filter_glob=goslab_kasan kmemleak=off" ;;
	init_on_free | init_on_alloc)
		boot "$b" debug "${GOSLAB_PASSES:-pass1}" "$b=1${extra:+ $extra}" ;;
	prod) boot "$b" "$b" "${GOSLAB_PASSES:-pass1$full_pass3}" "$extra" ;;
	rt) boot "$b" "$b" "${GOSLAB_PASSES:-pass1$full_pass3}" "init_on_free=1${extra:+ $extra}" ;;
	novmalloc) boot "$b" "$b" "${GOSLAB_PASSES:-pass1}" "$extra" ;;
	prod_nogc) boot "$b" prod/nogc "${GOSLAB_PASSES:-pass1 pass3}" "$extra" ;;
	prod_noinit)
		boot "$b" prod "${GOSLAB_PASSES:-pass1}" "init_on_alloc=0${extra:+ $extra}" ;;
	prod_init_on_free)
		boot "$b" prod "${GOSLAB_PASSES:-pass1}" "init_on_free=1${extra:+ $extra}" ;;
	debian-*) boot "$b" "$b" "${GOSLAB_PASSES:-stress pass3}" "$extra" ;;
	demo)
		echo "=== demo (prod kernel, QEMU TCG; log: $out/demo/console.log)"
		GOSLAB_OUT=$out/demo GOSLAB_KERNEL=prod GOSLAB_ROWS=$rows GOSLAB_LABEL="demo: " \
			GOSLAB_TIMEOUT=$limit "$scripts/demo.sh" || result fail "demo: scripts/demo.sh"
		;;
	install) echo "=== install"; "$scripts/install-test.sh" "$modsrc" "$rows" 6.1 ;;
	install-6.12) echo "=== $b"; "$scripts/install-test.sh" "$modsrc" "$rows" 6.12 ;;
	bench_repeat) echo "=== bench_repeat"; "$scripts/bench-repeat.sh" "$modsrc" "$rows" "$out/bench_repeat" ;;
	*) result fail "unknown boot $b in GOSLAB_BOOTS" ;;
	esac
done
finish
