#!/bin/bash
# make check's installation test: goslab installed as a Debian 12 user
# installs it, for Debian's kernels (their headers, from debian-kernel.sh;
# FLAVOURS, default "6.1 6.12"), and a module that uses goslab built
# against it:
#
#   make  in a copy of the sources, make KDIR=<headers> as a user would,
#         then make install with the same KDIR; later make uninstall
#   dkms  make dkms-install with Debian's dkms, then make dkms-remove
#
# Each way: modinfo of the installed goslab.ko; samples/ built as a client
# the way Documentation/usage.rst says (Kbuild only, against the installed
# /usr/src/goslab), W=1-clean, depending on goslab; modprobe showing that
# loading the client loads goslab first; and removal leaving nothing of
# goslab behind.  Leaves the machine as it found it: DKMS's signing key
# and depmod's files on kernels that had none go again.
#
# usage: install-test.sh [MODSRC [ROWS [FLAVOURS]]]
set -uo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

modsrc=${1:-$GOSLAB_ROOT} rows=${2:-/dev/null} flavours=${3:-6.1 6.12} failed=0
version=$(cat "$modsrc/VERSION")
prefix=/usr/src/goslab-$version
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What is left of goslab on the machine, one line each.
leftovers() {
	dkms status goslab 2>&1
	ls -d /lib/modules/*/updates/goslab.ko* /lib/modules/*/updates/dkms/goslab.ko* \
		/lib/modules/*/extra/goslab_demo.ko "$prefix" /usr/src/goslab 2>/dev/null
}

left=$(leftovers)
if [ -n "$left" ]; then
	printf '%s\n' "$left" >&2
	result fail "install: goslab is installed already; make uninstall or make dkms-remove first"
	exit 1
fi
keys=()
for k in /var/lib/dkms/mok.key /var/lib/dkms/mok.pub; do
	[ -e "$k" ] || keys+=("$k")
done

declare -A kdirs=()
kernels=()
bare=()
made=()
for flavour in $flavours; do
	kdir=$("$GOSLAB_ROOT/scripts/debian-kernel.sh" "$flavour" | sed -n 1p) ||
		{ result fail "install: Debian $flavour headers"; exit 1; }
	k=${kdir#/usr/src/linux-headers-}
	kernels+=("$k")
	kdirs[$k]=$kdir
	# A kernel with only its headers installed has no depmod output yet:
	# what depmod makes there goes again afterwards.
	[ -e "/lib/modules/$k/modules.dep" ] || bare+=("$k")
	for d in updates extra; do
		[ -e "/lib/modules/$k/$d" ] || made+=("/lib/modules/$k/$d")
	done
done

# installed HOW K DIR: goslab.ko of this version for K is in DIR, and
# goslab's Module.symvers for K where clients look for it.
installed() {
	local how=$1 k=$2 dir=$3 info
	info=$(modinfo -k "$k" goslab 2>&1)
	if grep -qx "version: *$version" <<<"$info" &&
		grep -q "^vermagic: *$k " <<<"$info" &&
		grep -q "^filename: *$dir/goslab.ko" <<<"$info" &&
		[ -s "/usr/src/goslab/$k/Module.symvers" ] &&
		[ -f /usr/src/goslab/include/linux/goslab.h ]; then
		result pass "$how: $k: goslab $version in $dir, headers and Module.symvers in /usr/src/goslab"
	else
		printf '%s\n' "$info" >&2
		ls -lR /usr/src/goslab/ >&2
		result fail "$how: $k: goslab $version in $dir, headers and Module.symvers in /usr/src/goslab"
	fi
}

# client HOW K: samples/ built against the installed goslab, installed
# for modprobe to say what loading it loads, then removed again.
client() {
	local how=$1 k=$2 dir=$work/$1-$2 deps
	cp -r "$modsrc/samples" "$dir"
	find "$dir" -type f ! -name Kbuild ! -name '*.[ch]' -delete
	if make -C "${kdirs[$k]}" M="$dir" W=1 >"$dir/build.log" 2>&1 &&
		! grep -E 'warning:|error:|WARNING:' "$dir/build.log" >&2 &&
		[ "$(modinfo -F depends "$dir/goslab_demo.ko")" = goslab ]; then
		result pass "$how: $k: samples/ builds against the installed goslab (W=1), depends on goslab"
	else
		tail -n 20 "$dir/build.log" >&2
		result fail "$how: $k: samples/ builds against the installed goslab (W=1), depends on goslab"
		return
	fi
	$SUDO install -D -m 644 "$dir/goslab_demo.ko" "/lib/modules/$k/extra/goslab_demo.ko"
	$SUDO depmod "$k"
	# "insmod <path>" lines, in load order.
	deps=$(modprobe -S "$k" --show-depends goslab_demo 2>&1 | awk '{ sub(".*/", "", $2); print $2 }')
	if [ "$(printf '%s\n' "$deps" | sed 's/\.ko.*//' | paste -sd ' ')" = "goslab goslab_demo" ]; then
		result pass "$how: $k: modprobe goslab_demo loads goslab first"
	else
		printf '%s\n' "$deps" >&2
		result fail "$how: $k: modprobe goslab_demo loads goslab first"
	fi
	$SUDO rm -f "/lib/modules/$k/extra/goslab_demo.ko"
	$SUDO depmod "$k"
}

# gone HOW: nothing of goslab is left.
gone() {
	local left
	left=$(leftovers)
	if [ -z "$left" ]; then
		result pass "$1: removal leaves nothing behind"
	else
		printf '%s\n' "$left" >&2
		result fail "$1: removal leaves nothing behind"
	fi
}

for k in "${kernels[@]}"; do
	tree=$work/tree-$k
	mkdir -p "$tree"
	cp -r "$modsrc"/{Makefile,Kbuild,VERSION,include,module,kunit,bench,stress,scripts} "$tree/"
	if make -C "$tree" -s KDIR="${kdirs[$k]}" >"$tree/build.log" 2>&1 &&
		$SUDO make -C "$tree" -s install KDIR="${kdirs[$k]}" >&2; then
		installed make "$k" "/lib/modules/$k/updates"
		client make "$k"
	else
		tail -n 20 "$tree/build.log" >&2
		result fail "make: $k: make, make install"
	fi
done
# One way at a time: DKMS refuses while make install's goslab is there.
if ! $SUDO make -C "$modsrc" -s dkms-install KERNELS="${kernels[*]}" >/dev/null 2>&1 &&
	[ -z "$(dkms status goslab 2>&1)" ]; then
	result pass "make: make dkms-install refuses while make install's goslab is in place"
else
	result fail "make: make dkms-install refuses while make install's goslab is in place"
	$SUDO make -C "$modsrc" -s dkms-remove >&2
fi
for k in "${kernels[@]}"; do
	$SUDO make -C "$work/tree-$k" -s uninstall KDIR="${kdirs[$k]}" >&2
done
gone make

if $SUDO make -C "$modsrc" -s dkms-install KERNELS="${kernels[*]}" >&2; then
	result pass "dkms: add, build, install goslab/$version for ${kernels[*]}"
	for k in "${kernels[@]}"; do
		installed dkms "$k" "/lib/modules/$k/updates/dkms"
		client dkms "$k"
	done
	k=${kernels[0]}
	if ! $SUDO make -C "$work/tree-$k" -s install KDIR="${kdirs[$k]}" >/dev/null 2>&1 &&
		[ ! -e "/lib/modules/$k/updates/goslab.ko" ]; then
		result pass "dkms: make install refuses while DKMS's goslab is in place"
	else
		result fail "dkms: make install refuses while DKMS's goslab is in place"
		$SUDO make -C "$work/tree-$k" -s uninstall KDIR="${kdirs[$k]}" >&2
	fi
else
	result fail "dkms: add, build, install goslab/$version for ${kernels[*]}"
fi
$SUDO make -C "$modsrc" -s dkms-remove >&2
gone dkms

[ ${#keys[@]} -eq 0 ] || $SUDO rm -f "${keys[@]}"
for k in "${bare[@]}"; do
	$SUDO rm -f "/lib/modules/$k/modules."*
done
for d in "${made[@]}"; do
	[ ! -d "$d" ] || $SUDO rmdir --ignore-fail-on-non-empty "$d"
done
exit $failed
