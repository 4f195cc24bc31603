#!/bin/bash
# Boot the test kernel with an initramfs under QEMU (TCG, never KVM) and
# wait for the guest to power off.
#
# usage: run-guest.sh BZIMAGE INITRAMFS OUTDIR TIMEOUT_SECONDS
# Writes OUTDIR/console.log (ttyS0: kernel log and the init script's
# chatter), OUTDIR/results.log (ttyS1: the init script's records) and
# OUTDIR/export.b64 (ttyS2: files the guest sends, a base64 tar).
# Exits 0 when QEMU ended by itself, 124 when it was killed at the timeout.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

[ $# -eq 4 ] || die "usage: $0 BZIMAGE INITRAMFS OUTDIR TIMEOUT_SECONDS"
bzimage=$1 initrd=$2 outdir=$3 limit=$4

mkdir -p "$outdir"
rm -f "$outdir/console.log" "$outdir/results.log" "$outdir/export.b64"

# panic=-1 + oops=panic: an oops reboots at once, and -no-reboot turns
# that into QEMU exiting, so a crash costs seconds, not the whole timeout.
# No panic_on_warn: a WARN is reported as a splat and the tests go on.
cmdline="console=ttyS0 kunit.enable=1 panic=-1 oops=panic no_hash_pointers"
# Callers may add to the command line and to QEMU's options (bench.sh:
# init_on_alloc=0, -icount); both are empty by default.
cmdline+=${GOSLAB_CMDLINE:+ $GOSLAB_CMDLINE}
read -ra qemu_extra <<<"${GOSLAB_QEMU_ARGS:-}"

# --foreground keeps QEMU in our process group, so Ctrl-C or killing the
# caller's group stops it too.
rc=0
timeout --foreground -k 10 "$limit" qemu-system-x86_64 \
	-accel tcg -smp 2 -m 2G \
	-display none -monitor none -nic none -no-reboot \
	-serial "file:$outdir/console.log" \
	-serial "file:$outdir/results.log" \
	-serial "file:$outdir/export.b64" \
	-kernel "$bzimage" -initrd "$initrd" -append "$cmdline" "${qemu_extra[@]}" \
	</dev/null || rc=$?
# timeout(1) says 124 when it had to stop QEMU (137 if it needed SIGKILL).
case $rc in
0) ;;
124 | 137) exit 124 ;;
*) die "qemu-system-x86_64 failed (exit $rc)" ;;
esac
