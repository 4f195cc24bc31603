#!/bin/bash
# make check's DKMS test: install goslab through Debian's dkms for Debian
# 12's 6.1 and 6.12 kernels (their headers, installed by debian-kernel.sh),
# check what got installed with modinfo, then remove it all again.  Leaves
# the machine's DKMS state as it found it (also the signing key DKMS makes
# on its first build).
#
# usage: dkms-test.sh [MODSRC [ROWS]]
set -uo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

modsrc=${1:-$GOSLAB_ROOT} rows=${2:-/dev/null}
result() {
	printf '%s\t1\t%s\n' "$1" "$2" >>"$rows"
	printf '%s %s\n' "${1^^}" "$2"
}

version=$(cat "$modsrc/VERSION")
if dkms status goslab 2>/dev/null | grep -q .; then
	result fail "dkms: goslab is already in DKMS; run make dkms-remove first"
	exit 1
fi
keys=()
for k in /var/lib/dkms/mok.key /var/lib/dkms/mok.pub; do
	[ -e "$k" ] || keys+=("$k")
done

kernels=()
bare=()
for flavour in 6.1 6.12; do
	kdir=$("$GOSLAB_ROOT/scripts/debian-kernel.sh" "$flavour" | head -n 1) ||
		{ result fail "dkms: Debian $flavour headers"; exit 1; }
	k=${kdir#/usr/src/linux-headers-}
	kernels+=("$k")
	# A kernel with only its headers installed has no depmod output yet:
	# what DKMS's depmod makes there goes again afterwards.
	[ -e "/lib/modules/$k/modules.dep" ] || bare+=("$k")
done

if $SUDO make -C "$modsrc" -s dkms-install KERNELS="${kernels[*]}" >&2; then
	result pass "dkms: add, build, install goslab/$version for ${kernels[*]}"
	for k in "${kernels[@]}"; do
		info=$(modinfo -k "$k" goslab 2>&1)
		if grep -qx "version: *$version" <<<"$info" &&
			grep -q "^vermagic: *$k " <<<"$info" &&
			grep -q "^filename: */lib/modules/$k/updates/dkms/goslab.ko" <<<"$info"; then
			result pass "dkms: modinfo -k $k goslab: version $version, vermagic $k"
		else
			printf '%s\n' "$info" >&2
			result fail "dkms: modinfo -k $k goslab"
		fi
	done
else
	result fail "dkms: add, build, install goslab/$version for ${kernels[*]}"
fi

$SUDO make -C "$modsrc" -s dkms-remove >&2
left=$(dkms status goslab 2>&1; ls /lib/modules/*/updates/dkms/goslab.ko* 2>/dev/null)
if [ -z "$left" ] && [ ! -e "/usr/src/goslab-$version" ]; then
	result pass "dkms: remove leaves nothing behind"
else
	printf '%s\n' "$left" >&2
	result fail "dkms: remove leaves nothing behind"
fi
[ ${#keys[@]} -eq 0 ] || $SUDO rm -f "${keys[@]}"
for k in "${bare[@]}"; do
	$SUDO rm -f "/lib/modules/$k/modules."*
done
