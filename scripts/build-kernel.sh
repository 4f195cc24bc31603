#!/bin/bash
# Build the goslab test kernel from Debian's linux-source-6.12, or reuse the
# cached build.  Prints the build directory (usable as KDIR) on stdout; all
# chatter goes to stderr.
#
# The kernel is `make tinyconfig` + scripts/debug.config, built out of tree
# (O=) under $GOSLAB_CACHE/kernel-<debian-version>-<fragment-sha>/.  Builds
# happen in a temporary directory that is renamed only on success, so an
# interrupted build never looks like a cached one.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

mkdir -p "$GOSLAB_CACHE/src"
# One kernel build at a time: it takes both cores and the cache is shared.
exec 9>"$GOSLAB_CACHE/.kernel.lock"
flock 9

src=$(ksrc_dir)
kdir=$(kernel_dir)

if [ -f "$kdir/arch/x86/boot/bzImage" ]; then
	log "test kernel: $kdir (cached)"
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

log "configuring test kernel (tinyconfig + ${KFRAGMENT#"$GOSLAB_ROOT"/})"
kmake tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$tmp" "$tmp/.config" "$KFRAGMENT" \
	>>"$tmp/build.log" 2>&1
kmake olddefconfig

# Kconfig drops options whose dependencies are unmet without a word;
# insist that every line of the fragment made it into .config.
lost=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF "$line" "$tmp/.config" ||
			lost+=("$line (have: $(grep -E "^(# )?${line%%=*}[= ]" "$tmp/.config" || echo unset))")
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" "$tmp/.config" ||
			lost+=("$line (have: $(grep "^$opt=" "$tmp/.config"))")
		;;
	esac
done <"$KFRAGMENT"
if [ ${#lost[@]} -gt 0 ]; then
	log "these options from ${KFRAGMENT#"$GOSLAB_ROOT"/} did not stick:"
	printf '  %s\n' "${lost[@]}" >&2
	exit 1
fi

log "building test kernel with -j$(nproc) (a few minutes; log: $tmp/build.log)"
start=$SECONDS
if ! kmake -j"$(nproc)"; then
	tail -n 40 "$tmp/build.log" >&2
	die "kernel build failed"
fi
mv "$tmp" "$kdir"
tmp=
log "test kernel built in $((SECONDS - start))s: $kdir"
echo "$kdir"
