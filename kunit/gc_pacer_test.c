// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the garbage collector's pacer (suite
 * goslab_gc_pacer), which keeps the heap near its goal under a steady
 * workload, in the concurrent and the incremental mode.
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "gc_mutator.h"

/*
 * Pacer: a steady workload (a fixed live set whose objects are replaced
 * at random) keeps the heap, as the pacer measures it, within 25% above
 * the goal in every cycle: the bound this test states and checks.
 */
#define PACER_LIVE	16384
#define PACER_ALLOCS	(8 * PACER_LIVE)
/* Cycles that start late cover more: go on, if need be, until three ran. */
#define PACER_MAX_ALLOCS	(64 * PACER_LIVE)
#define PACER_BOUND	1250	/* heap_live / goal, in thousandths */

static void pacer_case(struct kunit *test, const char *mode)
{
	struct goslab_gc_stats st0, st;
	struct gc_graph g = {};
	struct gc_mutator *m;
	unsigned long i;
	struct node *x;
	int tok;

	gc_param_set(test, "gc_mode", mode);
	gc_param_set(test, "gc_min_heap_kb", "64");
	gc_graph_setup(test, &g, mode, 100, PACER_LIVE);
	goslab_gc_stats_reset(g.c->h);
	goslab_gc_get_stats(g.c->h, &st0);

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	gc_mutator_init(m, &g, 0, 1, 7);
	tok = goslab_gc_enter(g.c->h);
	for (i = 0; i < PACER_MAX_ALLOCS; i++) {
		x = goslab_gc_alloc(g.c->node, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, x);
		x->magic = NODE_ALIVE;
		gc_set_slot(gc_slot_of(&g, gc_any_slot(m)), x);
		if (i % 64 != 63)
			continue;
		if (i >= PACER_ALLOCS) {
			goslab_gc_get_stats(g.c->h, &st);
			if (st.cycles - st0.cycles >= 3)
				break;
		}
		tok = gc_reenter(g.c->h, tok);
	}
	goslab_gc_exit(g.c->h, tok);
	goslab_gc_get_stats(g.c->h, &st);
	KUNIT_EXPECT_GE(test, st.cycles - st0.cycles, 3ULL);
	KUNIT_EXPECT_LE_MSG(test, st.goal_ratio_max, (u64)PACER_BOUND,
			    "heap reached %llu/1000 of its goal", st.goal_ratio_max);
	if (!strcmp(mode, "incremental"))
		KUNIT_EXPECT_GT(test, st.assists, st0.assists);
	kunit_info(test, "%s: %lu allocations, %llu cycles, goal %llu KiB, live peak %llu KiB (%llu/1000 of goal), allocated peak %llu KiB, %llu assists\n",
		   mode, i, st.cycles - st0.cycles, st.heap_goal >> 10,
		   st.heap_peak >> 10, st.goal_ratio_max,
		   st.heap_alloc_peak >> 10, st.assists - st0.assists);
	gc_graph_teardown(&g);
	gc_expect_no_misses(test, g.c->h);
}

static void goslab_gc_test_pacer_concurrent(struct kunit *test)
{
	pacer_case(test, "concurrent");
}

static void goslab_gc_test_pacer_incremental(struct kunit *test)
{
	pacer_case(test, "incremental");
}

static struct kunit_case goslab_gc_pacer_cases[] = {
	KUNIT_CASE_SLOW(goslab_gc_test_pacer_concurrent),
	KUNIT_CASE_SLOW(goslab_gc_test_pacer_incremental),
	{}
};

GC_TEST_SUITE(pacer);
