#!/bin/bash
# One of Debian 12's own kernels, as users have it: install its headers
# (linux-headers-*, --no-install-recommends) and fetch its image with
# `apt-get download`, unpacked under $GOSLAB_CACHE, never into /boot.
#
# usage: debian-kernel.sh 6.1|6.12|6.12-rt
#   6.1      Debian 12's default kernel (linux-headers-amd64)
#   6.12     the backported 6.12 (linux-headers-6.12-amd64)
#   6.12-rt  its PREEMPT_RT flavour (linux-headers-6.12-rt-amd64)
# Prints two lines: the headers tree (a KDIR) and the kernel image.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

case ${1:-} in
6.1) meta=linux-headers-amd64 ;;
6.12 | 6.12-rt) meta=linux-headers-$1-amd64 ;;
*) die "usage: $0 6.1|6.12|6.12-rt" ;;
esac

if ! dpkg-query -W -f='${Status}' "$meta" 2>/dev/null | grep -q 'ok installed'; then
	log "installing $meta"
	$SUDO apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
		--no-install-recommends "$meta" >&2
fi

# The versioned package the meta-package points at, e.g.
# linux-headers-6.12.117+deb12-amd64 (= 6.12.117-1~deb12u1).
dep=$(dpkg-query -W -f='${Depends}' "$meta" | tr ',' '\n' |
	grep -m1 -o 'linux-headers-[^ ]*-amd64 (= [^)]*)') ||
	die "cannot tell which kernel $meta is for"
krel=${dep#linux-headers-}
krel=${krel%% *}
kver=${dep##*= }
kver=${kver%)}

imgdir=$GOSLAB_CACHE/debian-$krel
vmlinuz=$imgdir/boot/vmlinuz-$krel
if [ ! -f "$vmlinuz" ]; then
	log "fetching linux-image-$krel $kver"
	tmp=$(mktemp -d "$GOSLAB_CACHE/debian.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# The signed image where Debian has one, else the unsigned one.
	(cd "$tmp" && { apt-get download -q "linux-image-$krel=$kver" ||
		apt-get download -q "linux-image-$krel-unsigned=$kver"; } >&2)
	# dpkg -x, but only ./boot: the image's modules are of no use here.
	dpkg-deb --fsys-tarfile "$tmp"/linux-image-*.deb | tar -x -C "$tmp" ./boot
	rm -rf "$imgdir"
	mkdir -p "$imgdir"
	mv "$tmp/boot" "$imgdir/"
fi
printf '%s\n%s\n' "/usr/src/linux-headers-$krel" "$vmlinuz"
