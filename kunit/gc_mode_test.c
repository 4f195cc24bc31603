// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the garbage collector's modes (suite
 * goslab_gc_mode): a small workload under each of stw, incremental and
 * concurrent, and two heaps that stop the world while their sections
 * nest in opposite orders.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "gc_test.h"

/*
 * Sections of two heaps nest in opposite orders while both heaps stop the
 * world (issue #9 item 12), which the contract allows:
 *
 *   1. T1 enters a section of A.	2. T2 enters a section of B.
 *   3. A's and B's collectors stop their worlds (stw mode): each waits
 *      for the other task's outer section.
 *   4. T1 enters B, T2 enters A: each waits for the other's stop.
 *
 * Nothing must wait for ever.  The stop waits on a plain wait queue, which
 * lockdep cannot see; steps 3 and 4 are ordered by
 * goslab_gc_test_stopped().  On a deadlock the threads stay blocked: their
 * state and the heaps are left behind, not freed under them.
 */
struct nest {
	struct goslab_gc_heap *outer, *inner;
	struct completion in, done;
	struct completion *go;
};

static int nest_fn(void *arg)
{
	struct nest *n = arg;
	int outer, inner;

	outer = goslab_gc_enter(n->outer);
	complete(&n->in);
	wait_for_completion(n->go);
	inner = goslab_gc_enter(n->inner);
	goslab_gc_exit(n->inner, inner);
	goslab_gc_exit(n->outer, outer);
	complete(&n->done);
	return 0;
}

struct nest_case {
	struct nest t1, t2;
	struct gc_collector ca, cb;
	struct completion go;
};

static void goslab_gc_test_nested_stop(struct kunit *test)
{
	struct goslab_gc_heap *a, *b;
	struct task_struct *k[4];
	struct nest_case *nc;
	unsigned long deadline;
	bool stopped = false, done;
	char val[32];
	int i;

	gc_param_set(test, "gc_mode", "stw");
	/*
	 * A first stop patient for 3 s: steps 3 and 4 overlap for sure.  The
	 * parameter is goslab's wherever the kernel has KUnit
	 * (module/gc/export_test.c).
	 */
	if (!gs_read_file("/sys/module/goslab/parameters/test_stw_patience_ms",
			  val, sizeof(val)))
		gc_param_set(test, "test_stw_patience_ms", "3000");
	nc = kzalloc(sizeof(*nc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, nc);
	a = goslab_gc_heap_create("kunit-nest-a");
	b = goslab_gc_heap_create("kunit-nest-b");
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	goslab_gc_set_percent(a, -1);
	goslab_gc_set_percent(b, -1);
	init_completion(&nc->go);
	nc->t1 = (struct nest){ .outer = a, .inner = b, .go = &nc->go };
	nc->t2 = (struct nest){ .outer = b, .inner = a, .go = &nc->go };
	init_completion(&nc->t1.in);
	init_completion(&nc->t1.done);
	init_completion(&nc->t2.in);
	init_completion(&nc->t2.done);
	nc->ca.h = a;
	nc->cb.h = b;
	init_completion(&nc->ca.done);
	init_completion(&nc->cb.done);

	k[0] = kthread_run(nest_fn, &nc->t1, "gc_test_nest1");
	k[1] = kthread_run(nest_fn, &nc->t2, "gc_test_nest2");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k[0]) || IS_ERR(k[1]));
	wait_for_completion(&nc->t1.in);
	wait_for_completion(&nc->t2.in);
	k[2] = kthread_run(gc_collector_fn, &nc->ca, "gc_test_collect_a");
	k[3] = kthread_run(gc_collector_fn, &nc->cb, "gc_test_collect_b");
	if (IS_ERR(k[2]) || IS_ERR(k[3])) {
		complete_all(&nc->go);
		KUNIT_FAIL(test, "no collector threads");
		return;
	}
	deadline = jiffies + 10 * HZ;
	while (time_before(jiffies, deadline)) {
		if (goslab_gc_test_stopped(a) && goslab_gc_test_stopped(b)) {
			stopped = true;
			break;
		}
		usleep_range(500, 1000);
	}
	KUNIT_EXPECT_TRUE_MSG(test, stopped, "the two stops never overlapped");
	complete_all(&nc->go);

	done = true;
	for (i = 0; i < 4 && done; i++) {
		struct completion *c[] = { &nc->t1.done, &nc->t2.done,
					   &nc->ca.done, &nc->cb.done };

		done = wait_for_completion_timeout(c[i], 30 * HZ);
	}
	if (!done) {
		KUNIT_FAIL(test, "deadlock: thread %d still blocked after 30 s",
			   i - 1);
		return;
	}
	goslab_gc_heap_destroy(a);
	goslab_gc_heap_destroy(b);
	kfree(nc);
}

/*
 * A small workload under each mode, cycles started by the pacer only: a
 * ring of root slots whose objects are replaced as the mutator goes.
 */
static void mode_case(struct kunit *test, const char *mode)
{
	struct gc_ctx *c;
	struct goslab_gc_stats st;
	void **roots;
	struct node *n, *old;
	unsigned int i, nroots = 256;
	int tok;
	bool ok = true;

	gc_param_set(test, "gc_mode", mode);
	gc_param_set(test, "gc_min_heap_kb", "32");
	gc_param_set(test, "gc_trace", "Y");
	c = gc_ctx_new(test, mode);
	goslab_gc_set_percent(c->h, 50);
	roots = kunit_kcalloc(test, nroots, sizeof(*roots), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, roots);
	for (i = 0; i < nroots; i++)
		KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &roots[i]), 0);
	tok = goslab_gc_enter(c->h);
	for (i = 0; i < 12000; i++) {
		n = gc_node_new(c, i);
		old = goslab_gc_load(&roots[i % nroots]);
		if (old && !node_ok(old))
			ok = false;
		link(n, 0, old);	/* a chain of two: old dies next round */
		if (old)
			link(old, 0, NULL);
		goslab_gc_store(&roots[i % nroots], n);
		if (i % 64 == 63) {
			goslab_gc_exit(c->h, tok);
			tok = goslab_gc_enter(c->h);
		}
	}
	goslab_gc_exit(c->h, tok);
	/* The last cycle the pacer started may still be running. */
	goslab_gc_collect(c->h);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_TRUE(test, ok);
	KUNIT_EXPECT_GE(test, st.cycles, 3ULL);
	/* Each slot's node, and the one it replaced, which it points to. */
	KUNIT_EXPECT_EQ(test, st.objects, 2ULL * nroots);
	if (!strcmp(mode, "stw"))
		KUNIT_EXPECT_GT(test, st.pause_max_ns, 0ULL);
	kunit_info(test, "%s: %llu cycles, %llu marked, %llu assists, longest pause %llu us, last mark %llu us\n",
		   mode, st.cycles, st.objects_marked, st.assists,
		   st.pause_max_ns / 1000, st.last_mark_ns / 1000);
	for (i = 0; i < nroots; i++) {
		goslab_gc_store(&roots[i], NULL);
		goslab_gc_root_del(c->h, &roots[i]);
	}
	gc_expect_no_misses(test, c->h);
	gc_expect_clean_releases(test);
}

static void goslab_gc_test_mode_stw(struct kunit *test)
{
	mode_case(test, "stw");
}

static void goslab_gc_test_mode_incremental(struct kunit *test)
{
	mode_case(test, "incremental");
}

static void goslab_gc_test_mode_concurrent(struct kunit *test)
{
	mode_case(test, "concurrent");
}

static struct kunit_case goslab_gc_mode_cases[] = {
	KUNIT_CASE_SLOW(goslab_gc_test_nested_stop),
	KUNIT_CASE_SLOW(goslab_gc_test_mode_stw),
	KUNIT_CASE_SLOW(goslab_gc_test_mode_incremental),
	KUNIT_CASE_SLOW(goslab_gc_test_mode_concurrent),
	{}
};

GC_TEST_SUITE(mode);
