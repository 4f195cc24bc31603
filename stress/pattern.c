// SPDX-License-Identifier: GPL-2.0
/* The KUnit suites' object patterns, built into goslab_stress.ko too. */
#include "../kunit/pattern.c"
