# shellcheck shell=bash disable=SC2034 # the variables are for the sourcing scripts
# Shared settings for the goslab scripts.  Source it; it defines no
# behaviour of its own besides these variables and helpers.

# Repository root (the directory holding this scripts/ folder).
GOSLAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Everything built from Debian's kernel source lives outside the repo so a
# fresh clone or `git clean` never throws away a 3.5 minute kernel build.
GOSLAB_CACHE=${GOSLAB_CACHE:-$HOME/.cache/goslab}

# Debian ships the source as one tarball per kernel series.
KSRC_PKG=linux-source-6.12
KSRC_TARBALL=/usr/src/$KSRC_PKG.tar.xz

# The test kernels, each `make tinyconfig` plus config fragments applied
# in order (a later line overrides an earlier one for the same option):
#   debug  KASAN, kmemleak, lockdep, full preemption: scripts/debug.config
#   prod   what distributions ship (no KASAN; init_on_alloc, KFENCE, memcg,
#          NUMA) but with KUnit and lockdep: debug.config + prod.config
#   rt     PREEMPT_RT with KASAN and lockdep: debug.config + rt.config
#   novmalloc  the debug kernel without KASAN_VMALLOC: + novmalloc.config
kernel_fragments() {
	case $1 in
	debug) printf '%s\n' "$GOSLAB_ROOT/scripts/debug.config" ;;
	prod | rt | novmalloc) printf '%s\n' "$GOSLAB_ROOT/scripts/debug.config" \
		"$GOSLAB_ROOT/scripts/$1.config" ;;
	*) die "no test kernel called '$1' (debug, prod, rt, novmalloc)" ;;
	esac
}

# QEMU's options for make bench's boots: the guest clock counts executed
# instructions (scripts/bench.sh, scripts/bench-repeat.sh).
GOSLAB_ICOUNT="-icount shift=0,sleep=off"

# Prefix for what needs root (apt-get, dkms, /lib/modules).
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# result pass|fail|skip NAME: one test result, printed and appended as a
# "STATUS<TAB>1<TAB>NAME" row to the file $rows (make check sums them);
# a failure sets $failed to 1.
result() {
	printf '%s\t1\t%s\n' "$1" "$2" >>"${rows:-/dev/null}"
	printf '%s %s\n' "${1^^}" "$2"
	[ "$1" != fail ] || failed=1
}

# crash_lines LOG: print the line numbers of LOG's first oops or panic
# and of goslab.ko's first load message (0 if none); fail if LOG has no
# oops or panic.
crash_lines() {
	local fatal loaded
	fatal=$(grep -n -m1 -E 'Oops|Kernel panic' "$1" | cut -d: -f1)
	[ -n "$fatal" ] || return 1
	loaded=$(grep -n -m1 -E 'goslab: (loading out-of-tree module|[0-9]+ size classes)' "$1" |
		cut -d: -f1)
	echo "$fatal ${loaded:-0}"
}

# crashed_before_goslab LOG: LOG's first oops or panic came before goslab.ko
# began to load, so neither goslab nor its tests had run.
crashed_before_goslab() {
	local fatal loaded
	read -r fatal loaded < <(crash_lines "$1") || return 1
	[ "$loaded" -eq 0 ] || [ "$fatal" -lt "$loaded" ]
}

log() { printf 'goslab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Debian version of the installed kernel source, e.g. 6.12.117-1~deb12u1.
ksrc_version() {
	dpkg-query -W -f='${Version}' "$KSRC_PKG" 2>/dev/null ||
		die "$KSRC_PKG is not installed (run: make deps)"
}

# Extracted source tree for that version.
ksrc_dir() { printf '%s/src/%s-%s\n' "$GOSLAB_CACHE" "$KSRC_PKG" "$(ksrc_version)"; }

# Build tree of test kernel NAME: keyed by source version and the
# fragments' contents, so editing a fragment or upgrading the package
# rebuilds it.  (The debug kernel's key is the sum of debug.config alone.)
kernel_dir() {
	local sum frags
	mapfile -t frags < <(kernel_fragments "$1")
	[ ${#frags[@]} -gt 0 ] || exit 1
	sum=$(cat "${frags[@]}" | sha256sum | cut -c1-12)
	printf '%s/kernel-%s-%s\n' "$GOSLAB_CACHE" "$(ksrc_version)" "$sum"
}
