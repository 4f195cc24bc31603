// SPDX-License-Identifier: GPL-2.0
/* The KUnit stress case's workload, built into goslab_stress.ko too. */
#include "../kunit/stress.c"
