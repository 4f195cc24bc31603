// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the garbage collector under concurrent mutators
 * (suite goslab_gc_stress), with the harness of kunit/gc_mutator.c.
 */
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "gc_mutator.h"

static unsigned long gc_stress_ops = 300000;
module_param(gc_stress_ops, ulong, 0644);
MODULE_PARM_DESC(gc_stress_ops,
		 "graph operations in goslab_gc_test_stress, over all mutators (default 300000)");

static unsigned int gc_stress_nodes = 100000;
module_param(gc_stress_nodes, uint, 0644);
MODULE_PARM_DESC(gc_stress_nodes,
		 "objects in goslab_gc_test_stress's graph (default 100000)");

/*
 * Concurrent stress: two mutator threads rewire a graph of 100,000
 * objects inside sections while the concurrent collector runs cycles
 * paced by their allocation, checkmark after every cycle.
 */
static void goslab_gc_test_stress(struct kunit *test)
{
	unsigned int nmut = 2, i;
	unsigned long released0;
	/* Two on the stack with the graph would make too large a frame. */
	struct goslab_gc_stats *st0, st;
	struct gc_mutator *m;
	struct gc_graph g = {};
	u64 allocs = 0;

	gc_param_set(test, "gc_mode", "concurrent");
	gc_param_set(test, "gc_min_heap_kb", "256");
	/* GOGC 10: a cycle every ~10% of growth, many cycles per run. */
	gc_graph_setup(test, &g, "kunit-stress", 10, gc_stress_nodes);
	st0 = kunit_kzalloc(test, sizeof(*st0), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st0);
	goslab_gc_get_stats(g.c->h, st0);
	released0 = atomic_long_read(&gc_rel.released);
	KUNIT_EXPECT_GE(test, st0->objects, (u64)gc_stress_nodes);

	m = kunit_kcalloc(test, nmut, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	gc_mutators_run(test, &g, m, nmut, gc_stress_ops);

	/* One more cycle to collect what the mutators left behind. */
	goslab_gc_collect(g.c->h);
	goslab_gc_get_stats(g.c->h, &st);
	for (i = 0; i < nmut; i++) {
		KUNIT_EXPECT_EQ_MSG(test, m[i].bad, 0UL,
				    "mutator %u saw %lu dead nodes", i, m[i].bad);
		KUNIT_EXPECT_FALSE(test, m[i].alloc_failed);
		allocs += m[i].allocs;
	}
	KUNIT_EXPECT_EQ(test, gc_graph_check(&g), 0UL);
	KUNIT_EXPECT_GE(test, st.cycles - st0->cycles, 3ULL);
	KUNIT_EXPECT_EQ(test, st.checkmarks, st.cycles);
	KUNIT_EXPECT_EQ(test, st.checkmark_missed, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bad_pointers, 0ULL);
	kunit_info(test, "%u mutators, %lu + %lu ops, %llu allocs, %llu cycles, %llu objects marked, %llu released, %llu assists, longest pause %llu us, mark %llu us/cycle\n",
		   nmut, m[0].ops, m[1].ops, allocs, st.cycles - st0->cycles,
		   st.objects_marked - st0->objects_marked,
		   (u64)(atomic_long_read(&gc_rel.released) - released0), st.assists,
		   st.pause_max_ns / 1000,
		   div64_u64(st.mark_ns - st0->mark_ns,
			     max(st.cycles - st0->cycles, 1ULL)) / 1000);

	/* Everything goes when the heap does: each object exactly once. */
	gc_graph_teardown(&g);
	kunit_release_action(test, gc_heap_destroy_action, g.c->h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released),
			(long)(gc_stress_nodes + allocs));
	gc_expect_clean_releases(test);
}

static struct kunit_case goslab_gc_stress_cases[] = {
	KUNIT_CASE_SLOW(goslab_gc_test_stress),
	{}
};

GC_TEST_SUITE(stress);
