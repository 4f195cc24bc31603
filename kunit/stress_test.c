// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the stress workload (kunit/stress.c) on every online
 * CPU, with objects handed from CPU to CPU.
 */
#include <linux/module.h>
#include <linux/random.h>

#include "goslab_test.h"
#include "stress.h"

/*
 * The case is bound by this work, never by time: KASAN's kernel runs it
 * some ten times slower, so it does less there, well inside KUnit's case
 * timeout even on a machine busy with something else.
 */
static unsigned long stress_ops = IS_ENABLED(CONFIG_KASAN) ? 400000 : 1000000;
module_param(stress_ops, ulong, 0644);
MODULE_PARM_DESC(stress_ops,
		 "allocations plus frees in goslab_test_stress, over all CPUs (default 1000000, 400000 under KASAN)");

static void goslab_test_stress(struct kunit *test)
{
	struct gs_stress_report *r;
	struct goslab_stats st;
	u64 seed = get_random_u64();
	char why[192];

	if (!stress_ops)
		kunit_skip(test, "goslab_kunit.stress_ops=0");
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, gs_stress_run(stress_ops, seed, r), 0);
	kunit_info(test,
		   "%lu ops on %u CPUs in %lu ms, seed %llu: %lu allocs (%lu tiny, %lu large, %lu atomic), %lu frees (%lu on another CPU)\n",
		   r->ops, r->cpus, r->ms, seed, r->allocs, r->tiny, r->large,
		   r->atomic, r->frees, r->cross_frees);
	why[0] = '\0';
	KUNIT_EXPECT_EQ_MSG(test, gs_stress_verdict(r, stress_ops, why, sizeof(why)), 0,
			    "%s", why);
	gs_stats(test, &st);	/* pages_held adds up */
}

static struct kunit_case goslab_stress_cases[] = {
	KUNIT_CASE_SLOW(goslab_test_stress),
	{}
};

static struct kunit_suite goslab_stress_suite = {
	.name = "goslab_stress",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_stress_cases,
};

kunit_test_suite(goslab_stress_suite);
