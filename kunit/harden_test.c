// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: a caller's misuse with debug mode off.
 *
 * Debug mode (debug_test.c) validates every free.  Without it, goslab
 * still refuses what it can see cheaply (Documentation/design.rst,
 * "Misuse"): a pointer it never handed out, a large object freed from its
 * middle or twice, a double free caught at the head of a CPU list or when
 * the object comes back to its span, a tiny block's count going below
 * zero and, with CONFIG_SLAB_FREELIST_HARDENED, an object freed to a
 * cache that does not own it.  Each misuse is counted in the debug_*
 * fields of struct goslab_stats and leaves the heap intact: after it, and
 * a goslab_trim() that sends every CPU's objects back to their spans,
 * no object is handed out twice and objects in use keep their contents.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "goslab_test.h"

#define HARDEN_LIVE	64

/*
 * A refused misuse may leave objects in use for good: a CPU list found
 * looped is dropped whole rather than trusted.  A case that can leave
 * some says how many at most (harden_may_leave()); its exit checks that,
 * and declares what was left for the unload's count.
 */
static u64 harden_live, harden_leave_max;

static void harden_may_leave(u64 n)
{
	harden_leave_max += n;
}

static int harden_init(struct kunit *test)
{
	struct goslab_stats st;

	goslab_trim();
	goslab_get_stats(&st);
	harden_live = st.objects_in_use;
	harden_leave_max = 0;
	return 0;
}

static void harden_exit(struct kunit *test)
{
	struct goslab_stats st;
	s64 left;

	goslab_trim();
	goslab_get_stats(&st);
	left = st.objects_in_use - harden_live;
	KUNIT_EXPECT_GE(test, left, 0);
	KUNIT_EXPECT_LE_MSG(test, left, (s64)harden_leave_max,
			    "objects left in use by refused misuse");
	if (left > 0)
		gs_leak_on_purpose(test, left);
}

static void harden_require(struct kunit *test)
{
	if (gs_debug())
		kunit_skip(test, "checks without debug mode (goslab debug=0)");
	gs_expect_reports(test);
}

static void harden_require_hardened(struct kunit *test)
{
	harden_require(test);
	if (!IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED))
		kunit_skip(test, "needs CONFIG_SLAB_FREELIST_HARDENED");
}

/* Objects of @size a caller holds throughout, stamped. */
static void **live_alloc(struct kunit *test, size_t size)
{
	void **live = kunit_kcalloc(test, HARDEN_LIVE, sizeof(*live), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, live);
	for (i = 0; i < HARDEN_LIVE; i++) {
		live[i] = goslab_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, live[i]);
		gs_stamp(live[i], size, 8);
	}
	return live;
}

static void live_check_free(struct kunit *test, void **live, size_t size)
{
	unsigned int i, bad = 0;

	for (i = 0; i < HARDEN_LIVE; i++) {
		bad += !gs_stamp_ok(live[i], size, 8);
		goslab_free(live[i]);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "size %zu: objects in use overwritten", size);
}

/*
 * Each case stays on one CPU with migrate_disable(), not with interrupts
 * off, which PREEMPT_RT forbids around goslab calls.
 *
 * p, p: the second free finds p at the head of this CPU's list.
 */
static void goslab_harden_test_double_free_head(struct kunit *test)
{
	struct goslab_stats before, after;
	void **live, *p;

	harden_require_hardened(test);
	live = live_alloc(test, 64);
	goslab_trim();
	p = goslab_alloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gs_stats(test, &before);
	migrate_disable();
	goslab_free(p);
	goslab_free(p);
	migrate_enable();
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.debug_double_free - before.debug_double_free, 1);
	goslab_trim();
	gs_check_heap(test, NULL, 64, 2 * gs_class_objects(gs_size_class(64)) + 1);
	live_check_free(test, live, 64);
}

/*
 * p, q, p: no CPU list check sees it, and the list becomes a cycle.  When
 * the list comes back whole (a drain: goslab_trim()), the mcentral sees
 * p already on its span's list; when half of it would (a flush, after
 * @more frees), the flush finds the list longer than its count.  Either
 * way no span may go back to the heap while objects of it are in use,
 * and no object may be handed out twice.
 */
static void double_free_pqp(struct kunit *test, struct goslab_cache *c,
			    size_t size, unsigned int more)
{
	void **many = kunit_kcalloc(test, more + 1, sizeof(*many), GFP_KERNEL);
	struct goslab_stats before, after;
	unsigned int i;
	void *p, *q;

	KUNIT_ASSERT_NOT_NULL(test, many);
	/*
	 * The looped list, dropped: p, q, the @more freed after them, and
	 * the free objects of p's span the CPU list held before.
	 */
	harden_may_leave(more + 2 + gs_class_objects(gs_size_class(size)));
	goslab_trim();
	for (i = 0; i < more; i++) {
		many[i] = c ? goslab_cache_alloc(c, GFP_KERNEL) : goslab_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, many[i]);
	}
	p = c ? goslab_cache_alloc(c, GFP_KERNEL) : goslab_alloc(size, GFP_KERNEL);
	q = c ? goslab_cache_alloc(c, GFP_KERNEL) : goslab_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	gs_stats(test, &before);
	migrate_disable();
	goslab_free(p);
	goslab_free(q);
	goslab_free(p);
	for (i = 0; i < more; i++)
		goslab_free(many[i]);
	migrate_enable();
	goslab_trim();
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ_MSG(test, after.debug_double_free - before.debug_double_free, 1,
			    "size %zu", size);
	KUNIT_EXPECT_EQ_MSG(test, after.debug_invalid_free, before.debug_invalid_free,
			    "size %zu", size);
	gs_check_heap(test, c, size, c ? 200 : 2 * gs_class_objects(gs_size_class(size)) + 1);
}

static void goslab_harden_test_double_free_pqp(struct kunit *test)
{
	struct goslab_cache *c;
	void **live;

	harden_require(test);
	live = live_alloc(test, 64);
	double_free_pqp(test, NULL, 64, 0);
	double_free_pqp(test, NULL, 8, 0);
	/* Past the high mark of a CPU list of 64-byte objects: a flush. */
	double_free_pqp(test, NULL, 64, 4 * gs_class_objects(gs_size_class(64)));
	live_check_free(test, live, 64);

	c = goslab_cache_create("goslab_kunit_pqp", 100, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	double_free_pqp(test, c, 100, 0);
	double_free_pqp(test, c, 100, 1024);
	goslab_cache_destroy(c);
}

/*
 * Two tiny objects of one block, the block retired: freeing one of them
 * twice takes the block's count below zero.  The free is refused and the
 * block, and its neighbours' counts, stay as they were.
 */
static void goslab_harden_test_tiny_underflow(struct kunit *test)
{
	struct goslab_stats before, after;
	void *t, *u;

	harden_require(test);
	/* This CPU starts a fresh block: t and u are its only objects. */
	goslab_trim();
	migrate_disable();
	t = goslab_alloc(4, GFP_KERNEL);
	u = goslab_alloc(4, GFP_KERNEL);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, u);
	KUNIT_ASSERT_LT(test, (unsigned long)t ^ (unsigned long)u, 16UL);
	/* Retire the block: it is freed once its objects are. */
	goslab_trim();
	gs_stats(test, &before);
	goslab_free(t);
	goslab_free(u);
	goslab_free(u);
	goslab_trim();
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.debug_double_free - before.debug_double_free, 1);
	gs_check_heap(test, NULL, 4, 4 * gs_class_objects(gs_size_class(16)));
	gs_check_heap(test, NULL, 12, 4 * gs_class_objects(gs_size_class(16)));
}

/*
 * A large or huge object freed twice, or freed by a pointer into it: the
 * free is refused, the object keeps its pages and contents.
 */
static void large_misuse(struct kunit *test, size_t size)
{
	struct goslab_stats before, after;
	u8 *p;

	p = goslab_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gs_stamp(p, size, 64);
	gs_stats(test, &before);
	goslab_free(p + 8);
	goslab_free(p + PAGE_SIZE);
	goslab_free(p + size - 1);
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ_MSG(test, after.debug_invalid_free - before.debug_invalid_free, 3,
			    "size %zu", size);
	KUNIT_EXPECT_EQ_MSG(test, after.large_in_use, before.large_in_use, "size %zu", size);
	KUNIT_EXPECT_TRUE_MSG(test, gs_stamp_ok(p, size, 64), "size %zu", size);

	/* Before a huge object's unmapping, and after. */
	goslab_free(p);
	goslab_free(p);
	goslab_trim();
	goslab_free(p);
	gs_stats(test, &after);
	/* The heap may have given the pages back: then p is not goslab's. */
	KUNIT_EXPECT_EQ_MSG(test, gs_findings(&after) - gs_findings(&before), 3 + 2,
			    "size %zu", size);
	KUNIT_EXPECT_EQ_MSG(test, before.large_in_use - after.large_in_use, 1,
			    "size %zu", size);
	gs_check_heap(test, NULL, size, 4);
}

static void goslab_harden_test_large(struct kunit *test)
{
	harden_require(test);
	large_misuse(test, 5 * GS_HEAP_PAGE);
	large_misuse(test, (6 << 20) + 1);
}

static u64 harden_static_word;

/* Pointers goslab never handed out are refused, not followed. */
static void goslab_harden_test_foreign(struct kunit *test)
{
	struct goslab_stats before, after;
	struct goslab_cache *c;
	u64 stack_words[4];
	struct page *page;
	void *km, *vm;
	unsigned int n = 0;

	harden_require(test);
	c = goslab_cache_create("goslab_kunit_foreign", 64, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	km = kmalloc(64, GFP_KERNEL);
	vm = vmalloc(2 * PAGE_SIZE);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, vm);
	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(stack_words, 0, sizeof(stack_words));
	/* As a page-cache page with buffers: page->private is a pointer. */
	set_page_private(page, (unsigned long)km);
	SetPagePrivate(page);

	gs_stats(test, &before);
	goslab_free(km);
	n++;
	goslab_free(&stack_words[1]);
	n++;
	goslab_free(vm);
	n++;
	goslab_free(page_address(page));
	n++;
	goslab_free(&harden_static_word);
	n++;
	if (IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED)) {
		goslab_cache_free(c, km);
		n++;
		goslab_cache_free(c, page_address(page));
		n++;
	}
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.debug_invalid_free - before.debug_invalid_free, n);
	KUNIT_EXPECT_EQ(test, after.debug_double_free, before.debug_double_free);
	KUNIT_EXPECT_EQ(test, after.objects_in_use, before.objects_in_use);

	ClearPagePrivate(page);
	set_page_private(page, 0);
	__free_page(page);
	vfree(vm);
	kfree(km);
	gs_check_heap(test, c, 64, 200);
	goslab_cache_destroy(c);
}

/* An object freed to a cache that does not own it stays with its caller. */
static void goslab_harden_test_wrong_cache(struct kunit *test)
{
	struct goslab_stats before, after;
	struct goslab_cache *a, *b;
	void *obj, *small;

	harden_require_hardened(test);
	a = goslab_cache_create("goslab_kunit_owner", 100, 0, NULL);
	b = goslab_cache_create("goslab_kunit_other", 100, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	obj = goslab_cache_alloc(a, GFP_KERNEL);
	small = goslab_alloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_NOT_NULL(test, small);
	gs_stamp(obj, 100, 8);

	gs_stats(test, &before);
	goslab_cache_free(b, obj);
	goslab_cache_free(b, small);
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.debug_invalid_free - before.debug_invalid_free, 2);
	KUNIT_EXPECT_EQ(test, after.objects_in_use, before.objects_in_use);
	KUNIT_EXPECT_TRUE(test, gs_stamp_ok(obj, 100, 8));

	/* b never hands out a's object. */
	gs_check_heap(test, b, 100, 200);
	goslab_cache_free(a, obj);
	goslab_free(small);
	goslab_trim();
	gs_check_heap(test, a, 100, 200);
	goslab_cache_destroy(b);
	goslab_cache_destroy(a);
}

static struct kunit_case goslab_harden_cases[] = {
	KUNIT_CASE(goslab_harden_test_double_free_head),
	KUNIT_CASE(goslab_harden_test_double_free_pqp),
	KUNIT_CASE(goslab_harden_test_tiny_underflow),
	KUNIT_CASE(goslab_harden_test_large),
	KUNIT_CASE(goslab_harden_test_foreign),
	KUNIT_CASE(goslab_harden_test_wrong_cache),
	{}
};

static struct kunit_suite goslab_harden_suite = {
	.name = "goslab_harden",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.init = harden_init,
	.exit = harden_exit,
	.test_cases = goslab_harden_cases,
};

kunit_test_suite(goslab_harden_suite);
