// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the garbage collector and its callers' mistakes
 * (suite goslab_gc_misuse): goslab_free() of a GC object, a pointer into
 * another heap, and the check of such a pointer racing with its heap's
 * destruction.  goslab reports each; this suite is listed among those
 * that provoke reports in scripts/coverage.txt.
 */
#include <linux/kthread.h>

#include "gc_test.h"

/* goslab_free() of a GC object is refused and reported. */
static void goslab_gc_test_bad_free(struct kunit *test)
{
	struct gc_ctx *c = gc_ctx_new(test, "kunit-badfree");
	struct goslab_stats before, after;
	struct goslab_gc_stats st;
	void *root = NULL;
	struct node *n;
	int tok;

	gs_expect_reports(test);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &root), 0);
	goslab_get_stats(&before);
	tok = goslab_gc_enter(c->h);
	n = gc_node_new(c, 7);
	goslab_gc_store(&root, n);
	goslab_free(n);
	KUNIT_EXPECT_TRUE(test, node_ok(n));
	KUNIT_EXPECT_EQ(test, goslab_usable_size(n), sizeof(struct node));
	goslab_gc_exit(c->h, tok);
	goslab_get_stats(&after);
	goslab_gc_get_stats(c->h, &st);
	if (gs_debug())
		KUNIT_EXPECT_EQ(test, after.debug_invalid_free,
				before.debug_invalid_free + 1);
	else
		KUNIT_EXPECT_EQ(test, st.bad_frees, 1ULL);
	goslab_gc_collect(c->h);
	KUNIT_EXPECT_TRUE(test, node_ok(n));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 0);
	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(c->h, &root);
}

/*
 * A pointer into another heap is a caller's bug that the barrier, off
 * outside marking, cannot see.  The store is performed; the collector does
 * not follow it and counts it in bad_pointers where it meets it (issue #9
 * item 15).
 */
static void goslab_gc_test_cross_heap(struct kunit *test)
{
	struct gc_ctx *a = gc_ctx_new(test, "kunit-cross-a");
	struct gc_ctx *b = gc_ctx_new(test, "kunit-cross-b");
	struct goslab_gc_stats st;
	struct node *x, *y;
	void *root = NULL;
	int ta, tb;

	goslab_gc_set_percent(a->h, -1);
	goslab_gc_set_percent(b->h, -1);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(a->h, &root), 0);
	ta = goslab_gc_enter(a->h);
	tb = goslab_gc_enter(b->h);
	x = gc_node_new(a, 1);
	y = gc_node_new(b, 2);
	goslab_gc_store(&root, x);
	link(x, 0, y);
	KUNIT_EXPECT_PTR_EQ(test, follow(x, 0), y);
	goslab_gc_exit(b->h, tb);
	goslab_gc_exit(a->h, ta);

	goslab_gc_collect(a->h);
	goslab_gc_get_stats(a->h, &st);
	KUNIT_EXPECT_GE(test, st.bad_pointers, 1ULL);
	KUNIT_EXPECT_EQ(test, st.checkmark_missed, 0ULL);
	KUNIT_EXPECT_EQ(test, st.objects, 1ULL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 0);

	/* Still there; once it is cleared, its own heap collects it. */
	ta = goslab_gc_enter(a->h);
	KUNIT_EXPECT_PTR_EQ(test, follow(x, 0), y);
	link(x, 0, NULL);
	goslab_gc_exit(a->h, ta);
	goslab_gc_collect(b->h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 1);
	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(a->h, &root);
	goslab_gc_collect(a->h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 2);
	gc_expect_no_misses(test, b->h);
	gc_expect_clean_releases(test);
}

/*
 * In debug mode a root's pointer is checked before it is shaded.  A task
 * adding a root of heap A that points into heap B is held in that check,
 * once it has looked the pointer up and dropped the heap lock
 * (goslab.test_hold=gc_check), while B is destroyed, its spans with it:
 * the check must find the pointer bad, and not read B's freed span.
 */
struct root_adder {
	struct goslab_gc_heap *h;
	void **slot;
	int ret;
	struct completion done;
};

static int root_adder_fn(void *arg)
{
	struct root_adder *r = arg;

	r->ret = goslab_gc_root_add(r->h, r->slot);
	complete(&r->done);
	return 0;
}

static void goslab_gc_test_check_race(struct kunit *test)
{
	struct goslab_gc_stats st;
	struct goslab_gc_heap *b;
	struct goslab_gc_type *bt;
	struct root_adder r;
	struct task_struct *t;
	struct gc_ctx *a;
	void *slot;
	int pid, tb;

	if (!gs_debug())
		kunit_skip(test, "debug mode only (goslab debug=1)");
	gs_test_hold_need(test);
	a = gc_ctx_new(test, "kunit-check-a");
	b = goslab_gc_heap_create("kunit-check-b");
	KUNIT_ASSERT_NOT_NULL(test, b);
	goslab_gc_set_percent(b, -1);
	bt = goslab_gc_type_create(b, "node", sizeof(struct node), gc_node_ptrs,
				   NPTR, NULL);
	slot = NULL;
	if (bt) {
		tb = goslab_gc_enter(b);
		slot = goslab_gc_alloc(bt, GFP_KERNEL);
		goslab_gc_exit(b, tb);
	}
	if (!slot)
		goslab_gc_heap_destroy(b);
	KUNIT_ASSERT_NOT_NULL(test, slot);

	r.h = a->h;
	r.slot = &slot;
	init_completion(&r.done);
	t = kthread_create(root_adder_fn, &r, "goslab_gc_checker");
	if (IS_ERR(t))
		goslab_gc_heap_destroy(b);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	pid = gs_test_hold_arm(test, "gc_check", t);
	wake_up_process(t);
	gs_test_held(test, "gc_check", pid);
	goslab_gc_heap_destroy(b);
	gs_test_hold_release(test);
	wait_for_completion(&r.done);

	KUNIT_EXPECT_EQ(test, r.ret, 0);
	goslab_gc_get_stats(a->h, &st);
	KUNIT_EXPECT_EQ(test, st.bad_pointers, 1ULL);
	slot = NULL;
	goslab_gc_root_del(a->h, &slot);
}

static struct kunit_case goslab_gc_misuse_cases[] = {
	KUNIT_CASE(goslab_gc_test_bad_free),
	KUNIT_CASE(goslab_gc_test_cross_heap),
	KUNIT_CASE(goslab_gc_test_check_race),
	{}
};

GC_TEST_SUITE(misuse);
