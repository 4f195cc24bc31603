#!/bin/bash
# Build the guest's initramfs: static busybox, scripts/guest-init.sh as
# /init, kernel modules in /modules and selftest programs in /selftests.
#
# usage: mkinitramfs.sh OUT.cpio MODE MODULE_DIR [SELFTEST_DIR [TOOL_DIR]]
#   MODE        check or demo (see guest-init.sh)
#   MODULE_DIR  directory whose *.ko files go to /modules
#   SELFTEST_DIR  optional; its executable files go to /selftests (they
#               must be statically linked: the guest has no libc)
#   TOOL_DIR    optional; its executable files go to /usr/bin (goslab-top;
#               static too)
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

[ $# -ge 3 ] || die "usage: $0 OUT.cpio MODE MODULE_DIR [SELFTEST_DIR [TOOL_DIR]]"
out=$1 mode=$2 moddir=$3 stdir=${4:-} tooldir=${5:-}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,modules,selftests}

# Link every busybox applet at the path busybox itself expects.
cp /bin/busybox "$stage/bin/busybox"
for applet in $(/bin/busybox --list-full); do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done

install -m 755 "$GOSLAB_ROOT/scripts/guest-init.sh" "$stage/init"
{
	printf 'MODE=%s\nSELFTEST_TIMEOUT=%s\n' "$mode" "${GOSLAB_SELFTEST_TIMEOUT:-600}"
	[ -z "${GOSLAB_PASSES:-}" ] || printf 'PASSES="%s"\n' "$GOSLAB_PASSES"
} >"$stage/etc/goslab.conf"

find "$moddir" -maxdepth 1 -name '*.ko' -exec cp -t "$stage/modules" {} +
if [ -n "$stdir" ] && [ -d "$stdir" ]; then
	find "$stdir" -maxdepth 1 -type f -perm -u+x -exec cp -t "$stage/selftests" {} +
fi
if [ -n "$tooldir" ]; then
	find "$tooldir" -maxdepth 1 -type f -perm -u+x -exec cp -t "$stage/usr/bin" {} +
fi

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
