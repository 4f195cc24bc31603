#!/bin/bash
# make install / make uninstall: goslab.ko for one kernel, and what a
# module that uses goslab builds against (Documentation/usage.rst).
#
# usage: install.sh install|uninstall KDIR [BUILT]
#   KDIR   the kernel's build tree, e.g. /lib/modules/$(uname -r)/build;
#          for uninstall, KRELEASE=<release> (environment) may stand in
#          for it once the kernel's headers are gone
#   BUILT  the tree in which goslab was built for KDIR (module/goslab.ko,
#          Module.symvers, and the include/ and VERSION it was built
#          from): by default this repository, as after `make KDIR=...`
# DESTDIR (environment) puts everything under another root, as a package
# build would, and leaves depmod to whoever installs that.
#
# For kernel release R and goslab version V (the file VERSION) it installs
#   /lib/modules/R/updates/goslab.ko      then runs depmod for R
#   /usr/src/goslab-V/include/linux/goslab.h
#   /usr/src/goslab-V/include/uapi/linux/goslab.h
#   /usr/src/goslab-V/R/Module.symvers    goslab's exports, built for R
#   /usr/src/goslab -> goslab-V
# as make dkms-install does through DKMS (dkms.conf); one goslab is
# installed one way at a time.  uninstall removes R's module and
# Module.symvers, and the rest with the last kernel's.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

[ $# -ge 2 ] || die "usage: $0 install|uninstall KDIR [BUILT]"
action=$1 kdir=$2 built=${3:-$GOSLAB_ROOT}
# The release the kernel reports (uname -r), which is the one kbuild gives
# modules built against KDIR as KERNELRELEASE: Debian's 6.1 headers hold
# another in include/config/kernel.release.
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$kdir/include/generated/utsrelease.h" 2>/dev/null || true)
[ "$action" != uninstall ] || krel=${krel:-${KRELEASE:-}}
[ -n "$krel" ] || die "$kdir is not a kernel build tree (no UTS_RELEASE)"
version=$(cat "$built/VERSION")
root=${DESTDIR:-}
moddir=$root/lib/modules/$krel/updates
prefix=$root/usr/src/goslab-$version
link=$root/usr/src/goslab

# Under DESTDIR, depmod is for whoever installs the result (a package's
# postinst), as for the kernel's own modules_install into a staging root.
run_depmod() { [ -n "$root" ] || depmod "$krel"; }

case $action in
install)
	ko=$built/module/goslab.ko
	if [ ! -f "$ko" ] || [ ! -f "$built/Module.symvers" ]; then
		die "no goslab build in $built: run make KDIR=$kdir first"
	fi
	magic=$(modinfo -F vermagic "$ko")
	[ "${magic%% *}" = "$krel" ] ||
		die "$ko is built for ${magic%% *}, not $krel: run make KDIR=$kdir first"
	if [ -z "$root" ] && [ -n "$(dkms status goslab 2>/dev/null)" ]; then
		die "goslab is installed through DKMS: make dkms-remove first"
	fi
	if [ -e "$link" ] && [ ! -L "$link" ]; then
		die "$link is not a link to goslab's headers; move it away first"
	fi
	# A staged install may be a test kernel's (build-modules.sh --test).
	if [ -z "$root" ] && [ -n "$(modinfo -F test "$ko")" ]; then
		die "$ko is the test build (GOSLAB_TEST=y): run make KDIR=$kdir first"
	fi
	install -D -m 644 "$ko" "$moddir/goslab.ko"
	install -D -m 644 "$built/include/linux/goslab.h" "$prefix/include/linux/goslab.h"
	install -D -m 644 "$built/include/uapi/linux/goslab.h" \
		"$prefix/include/uapi/linux/goslab.h"
	install -D -m 644 "$built/Module.symvers" "$prefix/$krel/Module.symvers"
	ln -sfn "goslab-$version" "$link"
	run_depmod
	log "installed goslab $version for $krel: $moddir/goslab.ko, $prefix"
	;;
uninstall)
	rm -f "$moddir/goslab.ko"
	rmdir --ignore-fail-on-non-empty "$moddir" 2>/dev/null || true
	[ ! -d "$root/lib/modules/$krel" ] || run_depmod
	rm -f "$prefix/$krel/Module.symvers"
	rmdir "$prefix/$krel" 2>/dev/null || true
	# What all kernels share goes with the last of them; DKMS's source
	# tree (with a dkms.conf) is make dkms-remove's.
	if [ -d "$prefix" ] && [ ! -e "$prefix/dkms.conf" ] &&
		[ -z "$(find "$prefix" -mindepth 2 -maxdepth 2 -name Module.symvers)" ]; then
		rm -rf "$prefix/include"
		rmdir "$prefix" 2>/dev/null || true
	fi
	[ ! -L "$link" ] || [ -e "$link" ] || rm -f "$link"
	log "uninstalled goslab $version for $krel"
	;;
*) die "usage: $0 install|uninstall KDIR [BUILT]" ;;
esac
