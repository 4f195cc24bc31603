# SPDX-License-Identifier: GPL-2.0
#
# The collector's build switch, read by every Kbuild it concerns (module/,
# kunit/, bench/), so that all build the same way: make GOSLAB_GC=n builds
# goslab without its collector, GOSLAB_GC=y (the default) with it.  The
# code sees GOSLAB_GC as 1 or 0; module/gc/gc.h says what changes.
goslab_gc := $(strip $(or $(GOSLAB_GC),y))
ifeq ($(filter y n,$(goslab_gc)),)
$(error GOSLAB_GC must be y or n, not '$(GOSLAB_GC)')
endif
ccflags-y += -DGOSLAB_GC=$(if $(filter y,$(goslab_gc)),1,0)
