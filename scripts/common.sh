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

# Config fragment for the test kernel (on top of tinyconfig).
KFRAGMENT=$GOSLAB_ROOT/scripts/debug.config

log() { printf 'goslab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Debian version of the installed kernel source, e.g. 6.12.117-1~deb12u1.
ksrc_version() {
	dpkg-query -W -f='${Version}' "$KSRC_PKG" 2>/dev/null ||
		die "$KSRC_PKG is not installed (run: make deps)"
}

# Extracted source tree for that version.
ksrc_dir() { printf '%s/src/%s-%s\n' "$GOSLAB_CACHE" "$KSRC_PKG" "$(ksrc_version)"; }

# Build tree of the test kernel: keyed by source version and fragment
# contents, so editing debug.config or upgrading the package rebuilds it.
kernel_dir() {
	local sum
	sum=$(sha256sum "$KFRAGMENT" | cut -c1-12)
	printf '%s/kernel-%s-%s\n' "$GOSLAB_CACHE" "$(ksrc_version)" "$sum"
}
