# SPDX-License-Identifier: GPL-2.0
# goslab: the Go runtime's allocator as an out-of-tree kernel module.
#
#   make [KDIR=<kernel build tree>]  build the modules (kbuild side: ./Kbuild)
#   make check    lint, then boot the modules in a debug kernel under QEMU
#   make demo     boot goslab.ko with the sample client and show its state
#   make lint     W=1 + sparse, checkpatch --strict, shellcheck
#   make kernel   build (or reuse) the debug test kernel, print its tree
#   make deps     apt-get install what the above need
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build

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

demo:
	@scripts/demo.sh

bench:
	@scripts/bench.sh

.PHONY: all modules clean deps kernel lint check demo bench
