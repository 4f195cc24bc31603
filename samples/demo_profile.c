// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_demo's heap for the heap profiler: two functions allocate 64 MiB
 * between them, three quarters from demo_alloc_big_share() and a quarter
 * from demo_alloc_small_share(), and keep it in use until
 * demo_profile_release().  A profile taken between the two (debugfs
 * "profile", with goslab's profile_rate on) must rank them in that order,
 * with about those shares of inuse_space and alloc_space:
 * tools/goslab-pprof/check-profile.sh checks it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/goslab.h>
#include <linux/kernel.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "goslab_demo.h"

/* A size class of its own: the profile counts exactly these bytes. */
#define DEMO_PROF_SIZE		4096
#define DEMO_PROF_TOTAL		SZ_64M
#define DEMO_PROF_SMALL		(DEMO_PROF_TOTAL / 4 / DEMO_PROF_SIZE)
#define DEMO_PROF_BIG		(DEMO_PROF_TOTAL / DEMO_PROF_SIZE - DEMO_PROF_SMALL)

static void **demo_prof_objs;

/*
 * Not inlined, and the calls in loops, not tail calls: each function
 * keeps its frame, so the profile's stacks start there.  Each fills its
 * objects with a byte of its own: two functions of the same code would
 * be folded into one by the compiler (-fipa-icf), and the profile would
 * name that one for both.
 */
static noinline int demo_alloc_big_share(void **p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = goslab_alloc(DEMO_PROF_SIZE, GFP_KERNEL);
		if (!p[i])
			return -ENOMEM;
		memset(p[i], 0xb1, DEMO_PROF_SIZE);
	}
	return 0;
}

static noinline int demo_alloc_small_share(void **p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = goslab_alloc(DEMO_PROF_SIZE, GFP_KERNEL);
		if (!p[i])
			return -ENOMEM;
		memset(p[i], 0x5a, DEMO_PROF_SIZE);
	}
	return 0;
}

/**
 * demo_profile_run() - allocate the profiled heap and keep it
 *
 * Interleaved in rounds, so that both functions see the same state of
 * the heap and of each CPU's sampling countdown.
 *
 * Return: 0, or -ENOMEM with nothing kept.
 */
int demo_profile_run(void)
{
	const unsigned int round = 64;
	unsigned int big = 0, small = 0, n;
	int ret = 0;

	demo_prof_objs = vcalloc(DEMO_PROF_BIG + DEMO_PROF_SMALL, sizeof(void *));
	if (!demo_prof_objs)
		return -ENOMEM;
	while (!ret && (big < DEMO_PROF_BIG || small < DEMO_PROF_SMALL)) {
		n = min(3 * round, DEMO_PROF_BIG - big);
		ret = demo_alloc_big_share(demo_prof_objs + big, n);
		big += n;
		n = min(round, DEMO_PROF_SMALL - small);
		if (!ret)
			ret = demo_alloc_small_share(demo_prof_objs + DEMO_PROF_BIG + small, n);
		small += n;
	}
	if (ret) {
		demo_profile_release();
		return ret;
	}
	pr_info("profile: %u objects of %u bytes in use, %u from demo_alloc_big_share, %u from demo_alloc_small_share\n",
		big + small, DEMO_PROF_SIZE, big, small);
	return 0;
}

/**
 * demo_profile_release() - free what demo_profile_run() kept
 */
void demo_profile_release(void)
{
	unsigned int i;

	if (!demo_prof_objs)
		return;
	for (i = 0; i < DEMO_PROF_BIG + DEMO_PROF_SMALL; i++)
		goslab_free(demo_prof_objs[i]);
	vfree(demo_prof_objs);
	demo_prof_objs = NULL;
}
