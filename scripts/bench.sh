#!/bin/bash
# make bench: goslab against SLUB on Debian's own 6.12 kernel, in QEMU.
#
# Fetches Debian's kernel image (apt-get download, unpacked under
# $GOSLAB_CACHE, never installed), builds goslab.ko and goslab_bench.ko
# against the linux-headers package of the same version, and boots it
# under TCG (never KVM) with "-icount shift=0,sleep=off", where the guest
# clock counts executed instructions: once as Debian ships it, once with
# init_on_alloc=0, once with goslab's heap profiler on at Go's default
# rate (profile_rate=524288), and once without icount for wall-clock
# reference.
# Prints one markdown table per boot (scripts/bench-table.py) and keeps
# them, with the logs, in $GOSLAB_OUT (default out/bench).
#
# Knobs (environment):
#   GOSLAB_BENCH_BOOTS  boots to run, of: shipped noinit profile wall
#                       (default: all four)
#   GOSLAB_BENCH_ARGS   extra goslab_bench.ko parameters, e.g.
#                       "cases=pair,mixed reps=3"
#   GOSLAB_TIMEOUT      seconds each boot may run (default: 900)
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

out=${GOSLAB_OUT:-$GOSLAB_ROOT/out/bench}
boots=${GOSLAB_BENCH_BOOTS:-shipped noinit profile wall}
limit=${GOSLAB_TIMEOUT:-900}

"$GOSLAB_ROOT/scripts/deps.sh"
{ read -r kdir && read -r vmlinuz; } < <("$GOSLAB_ROOT/scripts/debian-kernel.sh" 6.12) ||
	die "no Debian 6.12 kernel"
krel=${vmlinuz##*/vmlinuz-}

# Build a copy of the sources: the work tree's objects belong to the
# debug kernel (make check), these to Debian's.
rm -rf "$out"
mkdir -p "$out"
"$GOSLAB_ROOT/scripts/build-modules.sh" "$kdir" "$out" "$GOSLAB_ROOT" module bench ||
	[ $? -eq 2 ] || die "building the modules against $kdir failed"
"$GOSLAB_ROOT/scripts/mkinitramfs.sh" "$out/initramfs.cpio" bench "$out/modules"

tables=()
for boot in $boots; do
	icount=$GOSLAB_ICOUNT
	args="unit=insns"
	cmdline=
	case $boot in
	shipped) title="Debian $krel as shipped, icount" ;;
	noinit)
		title="Debian $krel with init_on_alloc=0, icount"
		cmdline=init_on_alloc=0
		;;
	profile)
		title="Debian $krel as shipped, heap profiler on (profile_rate=524288), icount"
		cmdline='goslab_args="profile_rate=524288"'
		;;
	wall)
		title="Debian $krel as shipped, wall clock (TCG, reference only)"
		icount=
		args=unit=ns
		;;
	*) die "unknown boot '$boot' (shipped, noinit, profile, wall)" ;;
	esac
	args+=${GOSLAB_BENCH_ARGS:+ $GOSLAB_BENCH_ARGS}
	log "boot $boot: $title"
	start=$SECONDS
	GOSLAB_CMDLINE="$cmdline bench_args=\"$args\"" GOSLAB_QEMU_ARGS=$icount \
		"$GOSLAB_ROOT/scripts/run-guest.sh" "$vmlinuz" "$out/initramfs.cpio" \
		"$out/$boot" "$limit" || die "boot $boot timed out; see $out/$boot/console.log"
	grep -q 'goslab-bench: done rc=0' "$out/$boot/results.log" ||
		die "boot $boot: the bench failed; see $out/$boot/console.log"
	log "boot $boot: $((SECONDS - start))s"
	tables+=("$title=$out/$boot/results.log")
done

python3 "$GOSLAB_ROOT/scripts/bench-table.py" "${tables[@]}" | tee "$out/table.md"
