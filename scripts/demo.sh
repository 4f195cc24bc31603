#!/bin/bash
# make demo: build the test kernel and the modules, boot them under QEMU,
# load goslab.ko and the sample client goslab_demo.ko, show what goslab
# exposes in debugfs, unload both, and print that part of the guest log.
#
# Knobs (environment): GOSLAB_MODSRC, GOSLAB_OUT (default: out/demo),
# GOSLAB_TIMEOUT (default: 900 seconds), as for scripts/check.sh.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

modsrc=${GOSLAB_MODSRC:-$GOSLAB_ROOT}
out=${GOSLAB_OUT:-$GOSLAB_ROOT/out/demo}
limit=${GOSLAB_TIMEOUT:-900}
scripts=$GOSLAB_ROOT/scripts

"$scripts/deps.sh"
kdir=$("$scripts/build-kernel.sh")

log "building the modules against the test kernel"
make -s -C "$kdir" M="$modsrc"
rm -rf "$out"
mkdir -p "$out/modules"
find "$modsrc" -path "$modsrc/out" -prune -o -name '*.ko' -type f \
	-exec cp -t "$out/modules" {} +
for ko in goslab.ko goslab_demo.ko; do
	[ -f "$out/modules/$ko" ] || die "$ko was not built"
done

"$scripts/mkinitramfs.sh" "$out/initramfs.cpio" demo "$out/modules"
log "booting the guest (QEMU TCG; log: $out/console.log)"
rc=0
"$scripts/run-guest.sh" "$kdir/arch/x86/boot/bzImage" "$out/initramfs.cpio" \
	"$out" "$limit" || rc=$?

echo
sed -n '/===== goslab-guest: demo begin/,/===== goslab-guest: demo end/p' \
	"$out/console.log"
echo
timed_out=0
[ "$rc" -ne 124 ] || timed_out=$limit
python3 "$scripts/analyze-guest.py" --mode demo --outdir "$out" \
	--ksrc "$(readlink -f "$kdir/source")" --rows "$out/results.tsv" \
	--timed-out "$timed_out" --benign "$scripts/splat-benign.txt"
echo "guest log: $out/console.log"
! grep -q '^fail' "$out/results.tsv"
