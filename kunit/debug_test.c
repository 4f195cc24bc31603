// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: debug mode (goslab debug=1) catches double frees and
 * frees of pointers goslab never handed out, and the heap survives both.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "goslab_test.h"

/* Reports a test provokes on purpose are not splats (scripts/analyze-guest.py). */

static void debug_mode_only(struct kunit *test)
{
	if (!gs_debug())
		kunit_skip(test, "debug mode only (goslab debug=1)");
	gs_expect_reports(test);
}

static void goslab_test_debug_double_free(struct kunit *test)
{
	struct goslab_stats before, after;
	struct goslab_cache *c;
	void *small, *tiny, *large, *o1, *o2;
	unsigned int n = 0;

	debug_mode_only(test);
	c = goslab_cache_create("goslab_kunit_dbl", 100, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	small = goslab_alloc(64, GFP_KERNEL);
	tiny = goslab_alloc(5, GFP_KERNEL);
	large = goslab_alloc(64 << 10, GFP_KERNEL);
	o1 = goslab_cache_alloc(c, GFP_KERNEL);
	o2 = goslab_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, tiny);
	KUNIT_ASSERT_NOT_NULL(test, large);
	KUNIT_ASSERT_NOT_NULL(test, o1);
	KUNIT_ASSERT_NOT_NULL(test, o2);

	gs_stats(test, &before);
	goslab_free(small);
	goslab_free(small);
	n++;
	goslab_free(tiny);
	goslab_free(tiny);
	n++;
	goslab_free(large);
	goslab_free(large);
	n++;
	goslab_cache_free(c, o1);
	goslab_cache_free(c, o1);
	n++;
	goslab_cache_free(c, o2);
	goslab_free(o2);
	n++;
	gs_stats(test, &after);

	KUNIT_EXPECT_EQ(test, after.debug_double_free - before.debug_double_free, n);
	KUNIT_EXPECT_EQ(test, after.debug_invalid_free, before.debug_invalid_free);
	/* Each object was freed once, whatever the second free did. */
	KUNIT_EXPECT_EQ(test, before.objects_in_use - after.objects_in_use, n);

	gs_check_heap(test, NULL, 64, 2 * gs_class_objects(gs_size_class(64)) + 1);
	gs_check_heap(test, NULL, 8, 2 * gs_class_objects(gs_size_class(8)) + 1);
	gs_check_heap(test, NULL, 64 << 10, 8);
	gs_check_heap(test, c, 100, 200);
	goslab_cache_destroy(c);
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.debug_double_free - before.debug_double_free, n);
	KUNIT_EXPECT_EQ(test, after.debug_poison_corrupt, before.debug_poison_corrupt);
}

static u64 debug_static_word;

static void goslab_test_debug_invalid_free(struct kunit *test)
{
	struct goslab_stats before, after;
	struct goslab_cache *c;
	u8 *small, *large, *obj, *km, *vm;
	struct page *page;
	u64 stack_words[4];
	unsigned int n = 0;

	debug_mode_only(test);
	c = goslab_cache_create("goslab_kunit_inval", 100, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	small = goslab_alloc(64, GFP_KERNEL);
	large = goslab_alloc(64 << 10, GFP_KERNEL);
	obj = goslab_cache_alloc(c, GFP_KERNEL);
	km = kmalloc(64, GFP_KERNEL);
	vm = vmalloc(2 * PAGE_SIZE);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, large);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, vm);
	KUNIT_ASSERT_NOT_NULL(test, page);
	gs_stamp(small, 64, 8);
	gs_stamp(large, 64 << 10, 8);
	gs_stamp(obj, 100, 8);
	memset(stack_words, 0, sizeof(stack_words));

	gs_stats(test, &before);
	/* Never goslab's. */
	goslab_free(&stack_words[1]);
	n++;
	goslab_free(km);
	n++;
	goslab_free(vm);
	n++;
	goslab_free(page_address(page));
	n++;
	goslab_free(&debug_static_word);
	n++;
	/* Inside goslab objects, not at their start. */
	goslab_free(small + 8);
	n++;
	goslab_free(small + 63);
	n++;
	goslab_free(large + 8);
	n++;
	goslab_free(large + PAGE_SIZE);
	n++;
	goslab_cache_free(c, obj + 16);
	n++;
	goslab_free(obj + 8);
	n++;
	gs_stats(test, &after);

	KUNIT_EXPECT_EQ(test, after.debug_invalid_free - before.debug_invalid_free, n);
	KUNIT_EXPECT_EQ(test, after.debug_double_free, before.debug_double_free);
	KUNIT_EXPECT_EQ(test, after.objects_in_use, before.objects_in_use);

	/* The real objects are untouched and still free normally. */
	KUNIT_EXPECT_TRUE(test, gs_stamp_ok(small, 64, 8));
	KUNIT_EXPECT_TRUE(test, gs_stamp_ok(large, 64 << 10, 8));
	KUNIT_EXPECT_TRUE(test, gs_stamp_ok(obj, 100, 8));
	goslab_free(small);
	goslab_free(large);
	goslab_cache_free(c, obj);
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.debug_invalid_free - before.debug_invalid_free, n);
	KUNIT_EXPECT_EQ(test, after.debug_double_free, before.debug_double_free);
	KUNIT_EXPECT_EQ(test, before.objects_in_use - after.objects_in_use, 3);

	kfree(km);
	vfree(vm);
	__free_page(page);
	gs_check_heap(test, NULL, 64, 2 * gs_class_objects(gs_size_class(64)) + 1);
	gs_check_heap(test, c, 100, 200);
	goslab_cache_destroy(c);
}

/*
 * Two frees of one huge object, back to back, before the first one's
 * unmapping runs (goslab.test_huge_free_hold holds it off).  The second
 * free is reported; the object is unmapped once.
 */
static void goslab_test_debug_huge_double_free(struct kunit *test)
{
	struct goslab_stats before, after;
	void *p;

	debug_mode_only(test);
	goslab_trim();
	gs_stats(test, &before);
	p = goslab_alloc(6 << 20, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gs_param_override(test, "test_huge_free_hold", 1);
	goslab_free(p);
	goslab_free(p);
	KUNIT_EXPECT_EQ(test, gs_param_set("test_huge_free_hold", 0), 0);
	goslab_trim();
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.debug_double_free - before.debug_double_free, 1);
	KUNIT_EXPECT_EQ(test, after.debug_invalid_free, before.debug_invalid_free);
	KUNIT_EXPECT_EQ(test, after.large_in_use, before.large_in_use);
	KUNIT_EXPECT_EQ(test, after.pages_held, before.pages_held);
}

struct free_racer {
	void *p;
	struct completion done;
};

static int free_racer_fn(void *arg)
{
	struct free_racer *r = arg;

	goslab_free(r->p);
	complete(&r->done);
	return 0;
}

/*
 * Two CPUs free one object at once.  goslab's debug_free test hook
 * holds the first free just after debug mode accepted it, while this
 * task frees the object again and trims: the second free is reported,
 * the first one completes, and the heap is intact.
 */
static void free_race(struct kunit *test, size_t size)
{
	struct goslab_stats before, after;
	struct task_struct *t;
	struct free_racer r;
	int pid;

	gs_test_hold_need(test);
	r.p = goslab_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r.p);
	init_completion(&r.done);
	gs_stats(test, &before);
	t = kthread_create(free_racer_fn, &r, "goslab_free_racer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, (raw_smp_processor_id() + 1) % num_online_cpus());
	pid = gs_test_hold_arm(test, "debug_free", t);
	wake_up_process(t);
	gs_test_held(test, "debug_free", pid);
	goslab_free(r.p);
	/* Drained, a span whose objects all came back would go now. */
	goslab_trim();
	gs_test_hold_release(test);
	wait_for_completion(&r.done);
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ_MSG(test, after.debug_double_free - before.debug_double_free, 1,
			    "size %zu", size);
	KUNIT_EXPECT_EQ_MSG(test, before.objects_in_use - after.objects_in_use, 1,
			    "size %zu", size);
}

static void goslab_test_debug_free_race(struct kunit *test)
{
	debug_mode_only(test);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	free_race(test, 64 << 10);
	gs_check_heap(test, NULL, 64 << 10, 8);
	free_race(test, 64);
	gs_check_heap(test, NULL, 64, 2 * gs_class_objects(gs_size_class(64)) + 1);
}

static struct kunit_case goslab_debug_cases[] = {
	KUNIT_CASE(goslab_test_debug_double_free),
	KUNIT_CASE(goslab_test_debug_invalid_free),
	KUNIT_CASE(goslab_test_debug_free_race),
	KUNIT_CASE(goslab_test_debug_huge_double_free),
	{}
};

static struct kunit_suite goslab_debug_suite = {
	.name = "goslab_debug",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_debug_cases,
};

kunit_test_suite(goslab_debug_suite);
