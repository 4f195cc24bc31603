#!/bin/bash
# Build a goslab test kernel from Debian's linux-source-6.12, or reuse the
# cached build.  Prints the build directory (usable as KDIR) on stdout; all
# chatter goes to stderr.
#
# usage: build-kernel.sh [debug|prod|rt|novmalloc]   (default debug; see common.sh)
#
# The kernel is `make tinyconfig` + its fragments, built out of tree (O=)
# under $GOSLAB_CACHE/kernel-<debian-version>-<fragments-sha>/.  Builds
# happen in a temporary directory that is renamed only on success, so an
# interrupted build never looks like a cached one.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

mkdir -p "$GOSLAB_CACHE/src"
# One kernel build at a time: it takes both cores and the cache is shared.
exec 9>"$GOSLAB_CACHE/.kernel.lock"
flock 9

name=${1:-debug}
mapfile -t frags < <(kernel_fragments "$name")
[ ${#frags[@]} -gt 0 ] || exit 1
src=$(ksrc_dir)
kdir=$(kernel_dir "$name")

if [ -f "$kdir/arch/x86/boot/bzImage" ]; then
	log "$name test kernel: $kdir (cached)"
	echo "$kdir"
	exit 0
fi

tmp=
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT

if [ ! -f "$src/Makefile" ]; then
	[ -f "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing (run: make deps)"
	log "extracting $KSRC_TARBALL"
	rm -rf "$src".tmp.*
	tmp=$src.tmp.$$
	mkdir "$tmp"
	tar -xf "$KSRC_TARBALL" -C "$tmp" --strip-components=1
	mv "$tmp" "$src"
	tmp=
fi

rm -rf "$kdir".tmp.*
tmp=$kdir.tmp.$$
mkdir "$tmp"
kmake() { make -C "$src" O="$tmp" "$@" >>"$tmp/build.log" 2>&1; }

log "configuring $name test kernel (tinyconfig + ${frags[*]##*/})"
kmake tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$tmp" "$tmp/.config" "${frags[@]}" \
	>>"$tmp/build.log" 2>&1
kmake olddefconfig

# Kconfig drops options whose dependencies are unmet without a word;
# insist that every option the fragments set, as the last of them sets
# it, made it into .config.
declare -A want=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) want[${line%%=*}]=$line ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		want[${opt%% *}]=$line
		;;
	esac
done < <(cat "${frags[@]}")
lost=()
for opt in "${!want[@]}"; do
	line=${want[$opt]}
	case $line in
	CONFIG_*)
		grep -qxF "$line" "$tmp/.config" ||
			lost+=("$line (have: $(grep -E "^(# )?${opt}[= ]" "$tmp/.config" || echo unset))")
		;;
	*)
		! grep -q "^$opt=" "$tmp/.config" ||
			lost+=("$line (have: $(grep "^$opt=" "$tmp/.config"))")
		;;
	esac
done
if [ ${#lost[@]} -gt 0 ]; then
	log "these options from ${frags[*]##*/} did not stick:"
	printf '  %s\n' "${lost[@]}" >&2
	exit 1
fi

log "building $name test kernel with -j$(nproc) (a few minutes; log: $tmp/build.log)"
start=$SECONDS
if ! kmake -j"$(nproc)"; then
	tail -n 40 "$tmp/build.log" >&2
	die "kernel build failed"
fi
mv "$tmp" "$kdir"
tmp=
log "$name test kernel built in $((SECONDS - start))s: $kdir"
echo "$kdir"
