#!/bin/bash
# Lint goslab: build the modules with W=1 and sparse (C=1) and demand no
# warning at all, check that only the test build of goslab.ko has KUnit
# suites in it, run the kernel tree's checkpatch.pl --strict on every
# .c/.h file, and shellcheck our scripts.  Each is one test result.
#
# usage: lint.sh KDIR [MODSRC [ROWS]]
#   KDIR    kernel build tree (its "source" link leads to checkpatch.pl)
#   MODSRC  external module tree to lint (default: this repository)
#   ROWS    file to append "pass|fail|skip<TAB>1<TAB>name" rows to
# Leaves the freshly built modules in MODSRC: KDIR is a test kernel, so
# they are the test build (GOSLAB_TEST=y, module/Kbuild).  Exits 1 if
# anything failed.
set -uo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

[ $# -ge 1 ] || die "usage: $0 KDIR [MODSRC [ROWS]]"
kdir=$1 modsrc=${2:-$GOSLAB_ROOT} rows=${3:-/dev/null}
failed=0

# W=1 warnings appear only when a file is compiled, so start clean.  The
# objects built here are the test build's (W= and C= change no code), and
# `make check` boots them.
log "building $modsrc with W=1 C=1 against $kdir"
buildlog=$(mktemp)
trap 'rm -f "$buildlog"' EXIT
make -s -C "$kdir" M="$modsrc" clean >/dev/null 2>&1
make -s -C "$kdir" M="$modsrc/samples" clean >/dev/null 2>&1
# samples/ is a client: built against this build of goslab, installed
# into a staging root as make install would (Documentation/usage.rst).
stage=$(mktemp -d)
trap 'rm -f "$buildlog"; rm -rf "$stage"' EXIT
if { make -C "$kdir" M="$modsrc" GOSLAB_TEST=y W=1 C=1 -j"$(nproc)" &&
	DESTDIR=$stage "$GOSLAB_ROOT/scripts/install.sh" install "$kdir" "$modsrc" &&
	make -C "$kdir" M="$modsrc/samples" GOSLAB="$stage/usr/src/goslab" W=1 C=1; } \
	>"$buildlog" 2>&1; then
	result pass "lint: modules build"
	# gcc and sparse say "warning:"/"error:"; modpost says "WARNING:".
	if grep -E 'warning:|error:|WARNING:' "$buildlog"; then
		result fail "lint: W=1 + sparse clean"
	else
		result pass "lint: W=1 + sparse clean"
	fi
else
	cat "$buildlog"
	result fail "lint: modules build"
	result skip "lint: W=1 + sparse clean"
fi

# The rule of module/Kbuild: goslab.ko's KUnit suites (kunit_test_suites()
# puts them in the section .kunit_test_suites; their asserts call KUnit)
# and its test-only code are in the test build only.  The shipped build,
# as make, make install and DKMS build it, against this kernel with KUnit,
# has none of them; the test build just made has them all.
# test_only KO: what of the test build's marks KO holds, one a line.
test_only() {
	local ko=$1
	readelf -SW "$ko" | grep -o '\.kunit_test_suites' | sort -u
	nm -u "$ko" | grep -Eo '\b_*kunit_[a-z_]*' | sed -n 1p
	nm "$ko" | grep -Eo '\b(gs_test_hold_wait|goslab_gc_step_begin|gs_gc_step_objects)$'
	modinfo -F test "$ko" | sed 's/^/modinfo test: /'
	modinfo -F parm "$ko" | grep -o '^test_[a-z_]*' | sort | tr '\n' ' ' |
		sed -n 's/^./test parameters: &/p'
}
# Every mark, that the check stays alive: a section, a KUnit call, both
# test-only files' code, test-only code in a file both builds compile
# (gs_gc_step_objects), the kernel's mark of a test module and the test_*
# parameters (core's hooks, the collector's patience).
marks=7
# The shipped build compiles less: W=1 may find what the test build hid.
shipped=$(mktemp -d)
trap 'rm -f "$buildlog"; rm -rf "$stage" "$shipped"' EXIT
rc=0
"$GOSLAB_ROOT/scripts/build-modules.sh" "$kdir" "$shipped" "$modsrc" module || rc=$?
case $rc in
0) result pass "lint: shipped goslab.ko builds (W=1)" ;;
2) result fail "lint: shipped goslab.ko builds (W=1): warnings" ;;
*) result fail "lint: shipped goslab.ko builds (W=1)" ;;
esac
if [ ! -f "$shipped/modules/goslab.ko" ] || [ ! -f "$modsrc/module/goslab.ko" ]; then
	result skip "lint: only the test build of goslab.ko has KUnit suites"
else
	got=$(test_only "$shipped/modules/goslab.ko")
	want=$(test_only "$modsrc/module/goslab.ko")
	if [ -n "$got" ]; then
		printf 'shipped goslab.ko has: %s\n' "$got"
		result fail "lint: only the test build of goslab.ko has KUnit suites"
	elif [ "$(printf '%s\n' "$want" | grep -c .)" -ne $marks ]; then
		printf 'test goslab.ko has %s, not all %d marks of the test build\n' \
			"${want:-none}" $marks
		result fail "lint: only the test build of goslab.ko has KUnit suites"
	else
		result pass "lint: only the test build of goslab.ko has KUnit suites"
	fi
fi

checkpatch=$kdir/source/scripts/checkpatch.pl
[ -x "$checkpatch" ] || checkpatch=$kdir/scripts/checkpatch.pl
mapfile -t files < <(cd "$modsrc" && find . \( -name .git -o -name out \) -prune -o \
	\( -name '*.[ch]' ! -name '*.mod.c' \) -type f -print | sed 's|^\./||' | LC_ALL=C sort)
# One checkpatch per file, as many at once as there are CPUs; each writes
# its findings to a file of its own, shown in file order afterwards.
cpdir=$(mktemp -d)
trap 'rm -f "$buildlog"; rm -rf "$stage" "$shipped" "$cpdir"' EXIT
# shellcheck disable=SC2016 # expanded by the inner sh
printf '%s\0' "${files[@]}" | (cd "$modsrc" && xargs -0 -P "$(nproc)" -I{} sh -c \
	'f=$1; o=$2/$(printf %s "$f" | tr / _); "$3" --strict --no-tree --quiet --show-types -f "$f" >"$o.log" 2>&1; echo $? >"$o.rc"' \
	sh {} "$cpdir" "$checkpatch")
for f in "${files[@]}"; do
	o=$cpdir/${f//\//_}
	if [ "$(cat "$o.rc" 2>/dev/null)" = 0 ]; then
		result pass "lint: checkpatch $f"
	else
		cat "$o.log" 2>/dev/null
		result fail "lint: checkpatch $f"
	fi
done

# goslab-top, a user-space program: gcc's warnings are errors.
if make -s -C "$modsrc/tools/goslab-top" lint >"$cpdir/top.log" 2>&1; then
	result pass "lint: goslab-top (gcc -Wall -Wextra -Werror)"
else
	cat "$cpdir/top.log"
	result fail "lint: goslab-top (gcc -Wall -Wextra -Werror)"
fi

# Our own shell: guest-init.sh is busybox sh, the rest bash.
# deps.sh installs shellcheck: without it this is a failure, not a skip.
if ! command -v shellcheck >/dev/null; then
	result fail "lint: shellcheck (not installed: run make deps)"
elif (cd "$GOSLAB_ROOT" && shellcheck -x -P SCRIPTDIR scripts/*.sh tools/*/*.sh tools/*/tests/*.sh .ci/run); then
	result pass "lint: shellcheck"
else
	result fail "lint: shellcheck"
fi
exit $failed
