#!/bin/sh
# dkms.conf's POST_BUILD, POST_INSTALL and POST_REMOVE: while DKMS has
# goslab installed for a kernel, goslab's Module.symvers for it is where
# make install puts it (/usr/src/goslab-<version>/<release>/), so that
# modules using goslab build the same way either way
# (Documentation/usage.rst).
#
# usage: dkms-symvers.sh keep DIR      after a build, in DKMS's build
#                                      directory: module/Module.symvers into
#                                      DIR, DKMS's own for the kernel (its
#                                      unbuild removes it)
#        dkms-symvers.sh install DIR TO  after an install: DIR's copy to TO
#        dkms-symvers.sh remove TO     after a removal: TO's copy, and TO
#                                      if that leaves it empty
set -eu
case ${1:-} in
keep) install -D -m 644 module/Module.symvers "$2/Module.symvers" ;;
install) install -D -m 644 "$2/Module.symvers" "$3/Module.symvers" ;;
remove)
	rm -f "$2/Module.symvers"
	rmdir "$2" 2>/dev/null || true
	;;
*)
	echo "usage: $0 keep DIR | install DIR TO | remove TO" >&2
	exit 1
	;;
esac
