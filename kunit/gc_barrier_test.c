// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the garbage collector's write barrier (suite
 * goslab_gc_barrier), on a cycle stepped by hand: each half of it alone
 * keeps the tri-colour invariant, and with neither, checkmark finds the
 * object lost (a "gc checkmark" report, which scripts/coverage.txt
 * allows in this suite).
 */
#include "gc_test.h"

/*
 * The write-barrier examples, on a cycle stepped by hand:
 *
 *	roots: r0 -> B, r1 -> A;  B.ptr[0] -> C
 *
 * After one step A is black (scanned), B grey, C white.  The mutator then
 * moves C from B into A.  Dijkstra's example: storing C into the black A
 * must shade C (insertion).  Yuasa's: deleting C from the grey B while
 * only the black A holds it must shade C (deletion).
 */
struct wb {
	struct gc_ctx *c;
	void *roots[2];
	struct node *a, *b, *cc;
};

static void wb_setup(struct kunit *test, struct wb *wb, const char *name)
{
	int tok;

	gc_param_set(test, "gc_mode", "incremental");
	wb->c = gc_ctx_new(test, name);
	goslab_gc_set_percent(wb->c->h, -1);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(wb->c->h, &wb->roots[0]), 0);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(wb->c->h, &wb->roots[1]), 0);
	tok = goslab_gc_enter(wb->c->h);
	wb->a = gc_node_new(wb->c, 1);
	wb->b = gc_node_new(wb->c, 2);
	wb->cc = gc_node_new(wb->c, 3);
	link(wb->b, 0, wb->cc);
	goslab_gc_store(&wb->roots[0], wb->b);
	goslab_gc_store(&wb->roots[1], wb->a);
	goslab_gc_exit(wb->c->h, tok);
	/*
	 * The test task holds a, b and cc across sections: safe here since
	 * the roots keep them, and only the hand-stepped cycle runs.
	 */
	goslab_gc_step_begin(wb->c->h);
	/* Roots are shaded in slot order: A is on top of the grey stack. */
	goslab_gc_step(wb->c->h, 1);
}

static void wb_expect(struct kunit *test, struct wb *wb, int a, int b, int c)
{
	struct goslab_gc_heap *h = wb->c->h;

	KUNIT_EXPECT_EQ(test, goslab_gc_color(h, wb->a), a);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(h, wb->b), b);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(h, wb->cc), c);
}

static void wb_finish(struct kunit *test, struct wb *wb, bool missed)
{
	struct goslab_gc_heap *h = wb->c->h;
	unsigned long m;
	int tok;

	m = goslab_gc_step_finish(h);
	if (missed)
		KUNIT_EXPECT_GE(test, m, 1UL);
	else
		KUNIT_EXPECT_EQ(test, m, 0UL);
	/* C lives, in A, whatever the barrier did: checkmark rescued it. */
	tok = goslab_gc_enter(h);
	KUNIT_EXPECT_PTR_EQ(test, follow(wb->a, 0), wb->cc);
	KUNIT_EXPECT_TRUE(test, node_ok(wb->cc));
	KUNIT_EXPECT_NULL(test, follow(wb->b, 0));
	goslab_gc_exit(h, tok);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 0);
	goslab_gc_collect(h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 0);
	KUNIT_EXPECT_TRUE(test, node_ok(wb->cc));
	goslab_gc_root_del(h, &wb->roots[0]);
	goslab_gc_root_del(h, &wb->roots[1]);
}

static void goslab_gc_test_barrier_dijkstra(struct kunit *test)
{
	struct wb wb = {};
	struct node *x;
	int tok;

	wb_setup(test, &wb, "kunit-dijkstra");
	wb_expect(test, &wb, GOSLAB_GC_BLACK, GOSLAB_GC_GREY, GOSLAB_GC_WHITE);
	/* The insertion half alone must do it. */
	goslab_gc_test_barrier(wb.c->h, GOSLAB_GC_SHADE_NEW);
	tok = goslab_gc_enter(wb.c->h);
	x = follow(wb.b, 0);
	link(wb.a, 0, x);		/* black A -> white C: C shaded */
	KUNIT_EXPECT_EQ(test, goslab_gc_color(wb.c->h, wb.cc), GOSLAB_GC_GREY);
	link(wb.b, 0, NULL);
	goslab_gc_exit(wb.c->h, tok);
	goslab_gc_test_barrier(wb.c->h, GOSLAB_GC_SHADE_OLD | GOSLAB_GC_SHADE_NEW);
	wb_expect(test, &wb, GOSLAB_GC_BLACK, GOSLAB_GC_GREY, GOSLAB_GC_GREY);
	wb_finish(test, &wb, false);
	gc_expect_no_misses(test, wb.c->h);
}

static void goslab_gc_test_barrier_yuasa(struct kunit *test)
{
	struct wb wb = {};
	struct node *x;
	int tok;

	wb_setup(test, &wb, "kunit-yuasa");
	/* The deletion half alone must do it. */
	goslab_gc_test_barrier(wb.c->h, GOSLAB_GC_SHADE_OLD);
	tok = goslab_gc_enter(wb.c->h);
	x = follow(wb.b, 0);
	link(wb.a, 0, x);		/* no insertion barrier: C stays white */
	KUNIT_EXPECT_EQ(test, goslab_gc_color(wb.c->h, wb.cc), GOSLAB_GC_WHITE);
	link(wb.b, 0, NULL);		/* deleted from grey B: C shaded */
	KUNIT_EXPECT_EQ(test, goslab_gc_color(wb.c->h, wb.cc), GOSLAB_GC_GREY);
	goslab_gc_exit(wb.c->h, tok);
	goslab_gc_test_barrier(wb.c->h, GOSLAB_GC_SHADE_OLD | GOSLAB_GC_SHADE_NEW);
	wb_finish(test, &wb, false);
	gc_expect_no_misses(test, wb.c->h);
}

/* Checkmark is not a formality: with no barrier, it finds the lost C. */
static void goslab_gc_test_checkmark_catches(struct kunit *test)
{
	struct goslab_gc_stats st;
	struct wb wb = {};
	int tok;

	wb_setup(test, &wb, "kunit-nobarrier");
	goslab_gc_test_barrier(wb.c->h, 0);
	tok = goslab_gc_enter(wb.c->h);
	link(wb.a, 0, follow(wb.b, 0));
	link(wb.b, 0, NULL);
	goslab_gc_exit(wb.c->h, tok);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(wb.c->h, wb.cc), GOSLAB_GC_WHITE);
	goslab_gc_test_barrier(wb.c->h, GOSLAB_GC_SHADE_OLD | GOSLAB_GC_SHADE_NEW);
	wb_finish(test, &wb, true);
	goslab_gc_get_stats(wb.c->h, &st);
	KUNIT_EXPECT_EQ(test, st.checkmark_missed, 1ULL);
}

static struct kunit_case goslab_gc_barrier_cases[] = {
	KUNIT_CASE(goslab_gc_test_barrier_dijkstra),
	KUNIT_CASE(goslab_gc_test_barrier_yuasa),
	KUNIT_CASE(goslab_gc_test_checkmark_catches),
	{}
};

GC_TEST_SUITE(barrier);
