# SPDX-License-Identifier: GPL-2.0
# goslab: the Go runtime's allocator as an out-of-tree kernel module.
#
#   make [KDIR=<kernel build tree>]  build the modules (kbuild side: ./Kbuild)
#   make GOSLAB_TEST=y [KDIR=...]  goslab.ko's test build instead, for a
#                 kernel with KUnit: its white-box suites and test hooks,
#                 and kunit/goslab_kunit.ko (module/Kbuild); make check
#                 builds it for the test kernels
#   make check    lint, then boot the modules in the test kernels under QEMU
#   make check-full  the same with every boot (scripts/check.sh lists them)
#   make demo [KERNEL=debug|prod|rt|debian-6.1|debian-6.12|debian-6.12-rt]
#                 boot goslab.ko with the sample client and show its state
#   make lint     W=1 + sparse, checkpatch --strict, shellcheck
#   make kernel   build (or reuse) the debug test kernel, print its tree
#   make deps     apt-get install what the above need
#   make install [KDIR=...] [DESTDIR=...]  after make: goslab.ko, its headers
#                 and its Module.symvers for modules that use it; make uninstall
#   make dkms-install [KERNELS="<release> ..."]  the same through DKMS
#                 (default: the running kernel); make dkms-remove
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
VERSION := $(shell cat VERSION)
# Where dkms-install puts the sources DKMS builds from.
DKMS_SRC := /usr/src/goslab-$(VERSION)

all: modules

modules:
	@test -d "$(KDIR)" || { echo "no kernel build tree at $(KDIR):" \
		"use make KDIR=<tree>, e.g. KDIR=\$$(make -s kernel)" >&2; exit 1; }
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)"

# No KDIR needed to clean: the tree to clean is ours.
clean:
	find . -path ./.git -prune -o \( -name '*.o' -o -name '*.ko' \
		-o -name '*.mod' -o -name '*.mod.c' -o -name '.*.cmd' \
		-o -name modules.order -o -name Module.symvers \) -type f -print0 | \
		xargs -0 rm -f
	rm -rf out
	if [ -f selftests/Makefile ]; then $(MAKE) -C selftests clean; fi

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/build-kernel.sh

lint: deps
	@kdir=$$(scripts/build-kernel.sh) && scripts/lint.sh "$$kdir"

check:
	@scripts/check.sh

check-full:
	@GOSLAB_FULL=1 scripts/check.sh

demo:
	@GOSLAB_KERNEL=$(KERNEL) scripts/demo.sh

bench:
	@scripts/bench.sh

# DKMS builds goslab.ko from a copy of the sources in $(DKMS_SRC), for
# every kernel whose headers are installed, now and on kernel upgrades.
dkms-install:
	@! ls /lib/modules/*/updates/goslab.ko 2>/dev/null || \
		{ echo "goslab is installed by make install: make uninstall first" >&2; exit 1; }
	@[ ! -e /usr/src/goslab ] || [ -L /usr/src/goslab ] || \
		{ echo "/usr/src/goslab is not a link to goslab's headers" >&2; exit 1; }
	rm -rf "$(DKMS_SRC)"
	mkdir -p "$(DKMS_SRC)"
	cp -r VERSION include module scripts/dkms-symvers.sh "$(DKMS_SRC)/"
	find "$(DKMS_SRC)" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' -o -name modules.order \
		-o -name Module.symvers \) -type f -delete
	sed 's/@VERSION@/$(VERSION)/' dkms.conf >"$(DKMS_SRC)/dkms.conf"
	dkms add goslab/$(VERSION)
	ln -sfn goslab-$(VERSION) /usr/src/goslab
	for k in $(or $(KERNELS),$(shell uname -r)); do \
		dkms build goslab/$(VERSION) -k $$k && \
		dkms install goslab/$(VERSION) -k $$k || exit 1; \
	done

dkms-remove:
	-dkms remove goslab/$(VERSION) --all
	rm -rf "$(DKMS_SRC)"
	[ -e /usr/src/goslab ] || rm -f /usr/src/goslab

# After make [KDIR=...]: goslab.ko for that kernel, with its headers and
# Module.symvers for client modules (scripts/install.sh says where);
# DESTDIR= stages it.  uninstall takes the same KDIR (or KRELEASE=).
install:
	@DESTDIR="$(DESTDIR)" scripts/install.sh install "$(KDIR)"

uninstall:
	@DESTDIR="$(DESTDIR)" KRELEASE="$(KRELEASE)" scripts/install.sh uninstall "$(KDIR)"

.PHONY: all modules clean deps kernel lint check check-full demo bench dkms-install dkms-remove \
	install uninstall
