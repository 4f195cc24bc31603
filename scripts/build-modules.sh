#!/bin/bash
# Build goslab's modules for a kernel other than the one the work tree's
# objects belong to, in a copy of the sources, with W=1.
#
# usage: build-modules.sh [--test] KDIR OUTDIR [MODSRC [SUBDIR...]]
#   --test   goslab.ko's test build (GOSLAB_TEST=y, module/Kbuild), for
#            goslab's own test kernels, which have KUnit; without it, the
#            shipped build, as make, make install and DKMS build it
#   KDIR     kernel build tree (a test kernel or /usr/src/linux-headers-*)
#   OUTDIR   gets src/ (the copy and its build log) and modules/ (the .ko)
#   MODSRC   the module tree to copy (default: this repository)
#   SUBDIR   which of module kunit samples bench stress to build (default: all;
#            kunit/ builds only with --test).  samples/
#            is a client of goslab: it builds as Documentation/usage.rst says
#            module authors build theirs, against this build installed
#            (scripts/install.sh) into OUTDIR/stage.
# Exits 1 if the build fails, 2 if it succeeds with a warning (printed).
set -uo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

# Given either way on make's command line, which an exported GOSLAB_TEST
# in the environment cannot override.
test=
if [ "${1:-}" = --test ]; then
	test=y
	shift
fi
[ $# -ge 2 ] || die "usage: $0 [--test] KDIR OUTDIR [MODSRC [SUBDIR...]]"
kdir=$1 outdir=$2 modsrc=${3:-$GOSLAB_ROOT}
shift $(($# < 3 ? $# : 3))
subdirs=("$@")
[ ${#subdirs[@]} -gt 0 ] || subdirs=(module kunit samples bench stress)

rm -rf "$outdir/src" "$outdir/modules" "$outdir/stage"
mkdir -p "$outdir/src" "$outdir/modules"
cp -r "$modsrc/include" "$modsrc/VERSION" "$outdir/src/"
for d in "${subdirs[@]}"; do
	cp -r "$modsrc/$d" "$outdir/src/"
done
tree=()
for d in "${subdirs[@]}"; do
	[ "$d" = samples ] || tree+=("$d/")
done
printf 'obj-m += %s\n' "${tree[*]}" >"$outdir/src/Kbuild"
find "$outdir/src" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -delete

buildlog=$outdir/src/build.log
log "building ${subdirs[*]} against $kdir${test:+ (test build)} (log: $buildlog)"
if ! make -C "$kdir" M="$outdir/src" GOSLAB_TEST="$test" W=1 -j"$(nproc)" >"$buildlog" 2>&1; then
	tail -n 40 "$buildlog" >&2
	exit 1
fi
if [ ${#tree[@]} -ne ${#subdirs[@]} ] &&
	! { DESTDIR=$outdir/stage "$GOSLAB_ROOT/scripts/install.sh" install "$kdir" "$outdir/src" &&
		make -C "$kdir" M="$outdir/src/samples" GOSLAB="$outdir/stage/usr/src/goslab" W=1; } \
		>>"$buildlog" 2>&1; then
	tail -n 40 "$buildlog" >&2
	exit 1
fi
find "$outdir/src" -name '*.ko' -exec cp -t "$outdir/modules" {} +
# gcc says "warning:"/"error:"; modpost says "WARNING:".
! grep -E 'warning:|error:|WARNING:' "$buildlog" >&2 || exit 2
