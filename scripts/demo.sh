#!/bin/bash
# make demo: build a test kernel (or fetch one of Debian's own) and the
# modules, boot them under QEMU, load goslab.ko and the sample client
# goslab_demo.ko, show what goslab exposes in debugfs, unload both, and
# print that part of the guest log.
#
# Knobs (environment): GOSLAB_KERNEL (make demo KERNEL=...): debug (the
# default), prod, rt, or Debian 12's own debian-6.1, debian-6.12,
# debian-6.12-rt; GOSLAB_MODSRC, GOSLAB_OUT (default: out/demo),
# GOSLAB_TIMEOUT (default: 900 seconds), as for scripts/check.sh.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

modsrc=${GOSLAB_MODSRC:-$GOSLAB_ROOT}
out=${GOSLAB_OUT:-$GOSLAB_ROOT/out/demo}
limit=${GOSLAB_TIMEOUT:-900}
scripts=$GOSLAB_ROOT/scripts

kernel=${GOSLAB_KERNEL:-debug}

"$scripts/deps.sh"
rm -rf "$out"
mkdir -p "$out"
case $kernel in
debian-*)
	{ read -r kdir && read -r image; } < <("$scripts/debian-kernel.sh" "${kernel#debian-}") ||
		die "no Debian kernel $kernel"
	ksrc=$(ksrc_dir)
	;;
*)
	kdir=$("$scripts/build-kernel.sh" "$kernel")
	image=$kdir/arch/x86/boot/bzImage
	ksrc=$(readlink -f "$kdir/source")
	;;
esac

log "building the modules against the $kernel kernel"
"$scripts/build-modules.sh" "$kdir" "$out" "$modsrc" module samples || [ $? -eq 2 ] ||
	die "building the modules against $kdir failed"
for ko in goslab.ko goslab_demo.ko; do
	[ -f "$out/modules/$ko" ] || die "$ko was not built"
done

"$scripts/mkinitramfs.sh" "$out/initramfs.cpio" demo "$out/modules"
log "booting the guest (QEMU TCG; log: $out/console.log)"
rc=0
"$scripts/run-guest.sh" "$image" "$out/initramfs.cpio" \
	"$out" "$limit" || rc=$?

echo
sed -n '/===== goslab-guest: demo begin/,/===== goslab-guest: demo end/p' \
	"$out/console.log"
echo
timed_out=0
[ "$rc" -ne 124 ] || timed_out=$limit
python3 "$scripts/analyze-guest.py" --mode demo --outdir "$out" \
	--ksrc "$ksrc" --rows "$out/results.tsv" \
	--timed-out "$timed_out" --benign "$scripts/splat-benign.txt"
echo "guest log: $out/console.log"
! grep -q '^fail' "$out/results.tsv"
