#!/bin/bash
# make demo: build a test kernel (or fetch one of Debian's own), the
# modules and goslab-top, boot them under QEMU, and let the sample client
# goslab_demo.ko tell goslab's story (samples/demo_main.c) while the guest
# watches (scripts/guest-init.sh's demo).  Then, on the host: the story,
# goslab-top's screen at the end, the heap map (heap.html) and the heap
# profile with `go tool pprof -top` of it.  Raw debugfs, as the guest saw
# it, stays in OUTDIR/export/snapshot/.
#
# Knobs (environment): GOSLAB_KERNEL (make demo KERNEL=...): debug (the
# default), prod, rt, or Debian 12's own debian-6.1, debian-6.12,
# debian-6.12-rt; GOSLAB_MODSRC, GOSLAB_OUT (default: out/demo),
# GOSLAB_TIMEOUT (default: 900 seconds), as for scripts/check.sh.
# scripts/check.sh's demo boot sets GOSLAB_ROWS (its results file) and
# GOSLAB_LABEL: the guest's results and the checks of what it made go
# there (demo_checks), the story is not printed.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

modsrc=${GOSLAB_MODSRC:-$GOSLAB_ROOT}
out=${GOSLAB_OUT:-$GOSLAB_ROOT/out/demo}
limit=${GOSLAB_TIMEOUT:-900}
scripts=$GOSLAB_ROOT/scripts
tools=$modsrc/tools
rows=${GOSLAB_ROWS:-$out/results.tsv}
label=${GOSLAB_LABEL:-}

kernel=${GOSLAB_KERNEL:-debug}

# test_rows TEST...: run a test that prints "pass|fail|skip WHAT" lines; each
# becomes a result, and a test that fails without saying so fails too.
test_rows() {
	local line status what rc=1 failed=0
	while IFS= read -r line; do
		status=${line%% *} what=${line#* }
		status=${status,,}
		case $status in
		pass | skip) result "$status" "${label}$what" ;;
		fail) result fail "${label}$what"; failed=1 ;;
		@@exit) rc=$what ;;
		*) echo "$line" ;;
		esac
	done < <("$@" 2>&1; echo "@@exit $?")
	[ "$rc" -eq 0 ] || [ $failed -eq 1 ] || result fail "${label}$* (exit $rc)"
}

# What make check asks of the demo's output (scripts/check.sh's demo boot).
demo_checks() {
	test_rows python3 "$tools/goslab-top/check-batch.py" "$ex/top.txt" "$ex/snapshot/client-stats"
	test_rows "$tools/goslab-top/test-tmux.sh" "$out/tools/goslab-top"
	test_rows "$tools/goslab-top/test-batch.sh" "$out/tools/goslab-top"
	test_rows env GOSLAB_OUT="$out/map" "$tools/goslab-map/test-map.sh" "$ex/snapshot" "$ex/series"
	label="${label}fixture: " test_rows "$tools/goslab-map/test-map.sh"
	test_rows "$tools/goslab-pprof/check-profile.sh" "$ex/profile"
	test_rows "$tools/goslab-pprof/test-pprof.sh" "$ex/profile"
	label="${label}fixture: " test_rows "$tools/goslab-pprof/test-pprof.sh"
}

"$scripts/deps.sh"
rm -rf "$out"
mkdir -p "$out/tools" "$out/export"
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

log "building the modules against the $kernel kernel, and goslab-top"
"$scripts/build-modules.sh" "$kdir" "$out" "$modsrc" module samples || [ $? -eq 2 ] ||
	die "building the modules against $kdir failed"
for ko in goslab.ko goslab_demo.ko; do
	[ -f "$out/modules/$ko" ] || die "$ko was not built"
done
make -s -C "$tools/goslab-top" OUTPUT="$out/tools" >&2 ||
	die "building goslab-top failed"

"$scripts/mkinitramfs.sh" "$out/initramfs.cpio" demo "$out/modules" "" "$out/tools"
log "booting the guest (QEMU TCG; log: $out/console.log)"
rc=0
"$scripts/run-guest.sh" "$image" "$out/initramfs.cpio" \
	"$out" "$limit" || rc=$?
timed_out=0
[ "$rc" -ne 124 ] || timed_out=$limit
python3 "$scripts/analyze-guest.py" --mode demo --outdir "$out" \
	--ksrc "$ksrc" --rows "$rows" --label "$label" \
	--timed-out "$timed_out" --benign "$scripts/splat-benign.txt" >"$out/analysis.txt"

# What the guest sent on ttyS2: the snapshot, the series, goslab-top's
# output, the profile.
ex=$out/export
base64 -d <"$out/export.b64" | tar -x -C "$ex" ||
	result fail "${label}demo: the guest's files came back"

# The pictures, from what came back.
"$tools/goslab-map/goslab-map" --series "$ex/series" "$ex/snapshot" >"$out/heap.html" ||
	result fail "${label}demo: goslab-map"
"$tools/goslab-pprof/goslab-pprof" "$ex/profile" >"$out/profile.pb.gz" ||
	result fail "${label}demo: goslab-pprof"

if [ -n "${GOSLAB_ROWS:-}" ]; then
	demo_checks
	exit 0
fi

# The story: the client's lines and the collector's trace lines, without
# the kernel's timestamps.
echo
sed -nE 's/^\[ *[0-9.]+\] //; /^(goslab_demo: |goslab gc)/p' "$out/console.log"
echo
# goslab-top ran through the story: show its busiest screen (the most
# allocations per second over the CPUs); the one at the end, quiet, is in
# $ex/top.txt.
echo "goslab-top -b, at the busiest moment of the story:"
awk '/^goslab-top - / { n++; rate[n] = 0 }
	n { screen[n] = screen[n] $0 "\n" }
	/^ CPU / { cpu = 1; next }
	/^$/ { cpu = 0 }
	cpu && $2 ~ /^[0-9]+$/ { rate[n] += $2 }
	END { pick = 1
	      for (i = 1; i <= n; i++) if (rate[i] > rate[pick]) pick = i
	      printf "%s", screen[pick] }' "$ex/top-live.txt" | head -n 24
echo
echo "go tool pprof -top $out/profile.pb.gz:"
go tool pprof -top "$out/profile.pb.gz" 2>/dev/null | sed -n '/^Showing nodes/,$p' | head -n 8
echo
echo "heap map: $out/heap.html"
echo "heap profile: $out/profile.pb.gz (go tool pprof -http=: $out/profile.pb.gz)"
echo "debugfs as the guest saw it: $ex/snapshot/"
echo "guest log: $out/console.log"
! grep -q '^fail' "$rows"
