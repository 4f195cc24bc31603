#!/bin/bash
# Install what building and booting the goslab test kernel needs, from
# Debian's archive.  Idempotent: when everything is present it only asks
# dpkg, so `make check` can call it every time.
set -euo pipefail

pkgs=(
	gcc make libc6-dev perl python3 xz-utils	# toolchain, checkpatch, kunit.py
	flex bison bc libelf-dev libssl-dev kmod	# kernel build
	linux-source-6.12				# the test kernel's source
	sparse shellcheck				# make lint
	busybox-static cpio qemu-system-x86		# the guest
	dkms						# make check's DKMS test
	tmux chromium python3-pil golang-go		# the pictures' tests: goslab-top, heap map, pprof
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "goslab: installing ${missing[*]}" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
install() {
	$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}
# Refresh the package lists only when they are absent or too old to
# resolve what we ask for.
if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null || ! install; then
	$sudo apt-get update -q >&2
	install
fi
