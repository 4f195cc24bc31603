// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the small tier (Go's size classes) and the counters.
 */
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "goslab_test.h"

/*
 * In normal mode requests below 16 bytes are tiny, so goslab_alloc()
 * reaches class 1 (8 bytes) only in debug mode, and class 2 (16 bytes)
 * only with 16-byte requests.
 */
static size_t min_request(unsigned int cls)
{
	size_t lo = gs_class_size(cls - 1) + 1;

	if (!gs_debug())
		lo = max_t(size_t, lo, GS_TINY_MAX + 1);
	return lo;
}

static bool class_reachable(unsigned int cls)
{
	return min_request(cls) <= gs_class_size(cls);
}

static void goslab_test_zero_size(struct kunit *test)
{
	struct goslab_stats before, after;

	gs_stats(test, &before);
	KUNIT_EXPECT_PTR_EQ(test, goslab_alloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, goslab_alloc(0, GFP_ATOMIC), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, goslab_zalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	goslab_free(NULL);
	goslab_free(ZERO_SIZE_PTR);
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.objects_in_use, before.objects_in_use);
	KUNIT_EXPECT_EQ(test, after.bytes_in_use, before.bytes_in_use);
	KUNIT_EXPECT_EQ(test, after.debug_invalid_free, before.debug_invalid_free);
	KUNIT_EXPECT_EQ(test, after.debug_double_free, before.debug_double_free);
}

/*
 * Every class, over more than one span's worth of objects: each object is
 * filled whole before any is checked, so overlapping objects show up.
 */
static void goslab_test_class_fill(struct kunit *test)
{
	unsigned int cls, i, n;
	void **objs;

	objs = kunit_kmalloc_array(test, gs_class_objects(1) + 2, sizeof(*objs),
				   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);

	for (cls = 1; cls < gs_nr_classes(); cls++) {
		size_t csize = gs_class_size(cls);
		bool ok = true;

		if (!class_reachable(cls))
			continue;
		n = gs_class_objects(cls) + 2;
		for (i = 0; i < n; i++) {
			/* Alternate the smallest and the largest request. */
			size_t req = i & 1 ? csize : min_request(cls);

			objs[i] = goslab_alloc(req, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL_MSG(test, objs[i], "class %u size %zu",
						  cls, req);
			KUNIT_ASSERT_EQ_MSG(test, goslab_usable_size(objs[i]), csize,
					    "class %u request %zu", cls, req);
			gs_stamp(objs[i], csize, 8);
		}
		for (i = 0; i < n; i++)
			ok &= gs_stamp_ok(objs[i], csize, 8);
		KUNIT_EXPECT_TRUE_MSG(test, ok, "class %u (%zu bytes): contents changed",
				      cls, csize);
		for (i = 0; i < n; i++)
			goslab_free(objs[i]);
	}
}

static void check_usable(struct kunit *test, size_t size)
{
	void *p = goslab_alloc(size, GFP_KERNEL);
	size_t usable;

	KUNIT_ASSERT_NOT_NULL_MSG(test, p, "size %zu", size);
	usable = goslab_usable_size(p);
	KUNIT_EXPECT_GE_MSG(test, usable, size, "size %zu", size);
	KUNIT_EXPECT_EQ_MSG(test, usable, gs_expected_usable(size), "size %zu", size);
	goslab_free(p);
}

/* Every size up to 2 KiB, a sample above, and both sides of each class. */
static void goslab_test_usable_size(struct kunit *test)
{
	unsigned int cls;
	size_t size;

	for (size = 1; size <= 2048; size++)
		check_usable(test, size);
	for (size = 2049; size <= GS_SMALL_MAX; size += 61)
		check_usable(test, size);
	for (cls = 1; cls < gs_nr_classes(); cls++) {
		check_usable(test, gs_class_size(cls));
		check_usable(test, gs_class_size(cls) + 1);
	}
}

/* Largest power of two dividing the class size, capped at 8 KiB, >= 8. */
static void goslab_test_alignment(struct kunit *test)
{
	unsigned int cls, i, n;
	void **objs;

	objs = kunit_kmalloc_array(test, gs_class_objects(1) + 1, sizeof(*objs),
				   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);

	for (cls = 1; cls < gs_nr_classes(); cls++) {
		size_t csize = gs_class_size(cls);
		unsigned long align = gs_small_align(csize);

		if (!class_reachable(cls))
			continue;
		KUNIT_ASSERT_GE(test, align, 8);
		n = gs_class_objects(cls) + 1;
		for (i = 0; i < n; i++) {
			objs[i] = goslab_alloc(csize, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)objs[i], align),
					      "class %u (%zu bytes): %p not %lu-aligned",
					      cls, csize, objs[i], align);
		}
		for (i = 0; i < n; i++)
			goslab_free(objs[i]);
	}
}

/* A CPU's free lists are LIFO: the object just freed comes back first. */
static void goslab_test_lifo(struct kunit *test)
{
	unsigned int cls;

	/*
	 * A free flushes the oldest half of a list at its high mark: start
	 * from empty lists, which a migrated earlier free may have left full.
	 */
	goslab_trim();
	for (cls = 1; cls < gs_nr_classes(); cls++) {
		size_t csize = gs_class_size(cls);
		void *p, *q;

		if (!class_reachable(cls))
			continue;
		gs_cpu_pin();
		p = goslab_alloc(csize, GFP_ATOMIC);
		goslab_free(p);
		q = goslab_alloc(csize, GFP_ATOMIC);
		gs_cpu_unpin();
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_PTR_EQ_MSG(test, q, p, "class %u (%zu bytes)", cls, csize);
		goslab_free(q);
	}
}

/*
 * __GFP_ZERO on memory that was dirty: the object just freed comes back
 * (LIFO), once in atomic context and once with a sleeping allocation.
 */
static void goslab_test_zero_small(struct kunit *test)
{
	unsigned int cls;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (cls = 1; cls < gs_nr_classes(); cls++) {
			size_t csize = gs_class_size(cls);
			void *p, *q;

			if (!class_reachable(cls))
				continue;
			p = goslab_alloc(csize, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p);
			memset(p, 0xa5, csize);
			if (pass == 0) {
				gs_cpu_pin();
				goslab_free(p);
				q = goslab_alloc(csize, GFP_ATOMIC | __GFP_ZERO);
				gs_cpu_unpin();
			} else {
				goslab_free(p);
				q = goslab_zalloc(csize, GFP_KERNEL);
			}
			KUNIT_ASSERT_NOT_NULL(test, q);
			KUNIT_EXPECT_NULL_MSG(test, memchr_inv(q, 0, csize),
					      "class %u (%zu bytes) not zeroed, %s",
					      cls, csize, pass ? "GFP_KERNEL" : "GFP_ATOMIC");
			goslab_free(q);
		}
	}
}

/* objects_in_use, bytes_in_use and large_in_use follow allocations. */
static void goslab_test_stats_counts(struct kunit *test)
{
	static const size_t large[] = { 40000, 1 << 20, 5 << 20 };
	enum { NSMALL = 100 };
	struct goslab_stats base, st;
	void **small, *big[ARRAY_SIZE(large)];
	u64 bytes = 0, large_bytes = 0;
	unsigned int i;

	small = kunit_kmalloc_array(test, NSMALL, sizeof(*small), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small);
	gs_stats(test, &base);
	for (i = 0; i < NSMALL; i++) {
		small[i] = goslab_alloc(1000, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, small[i]);
		bytes += 1024;
	}
	for (i = 0; i < ARRAY_SIZE(large); i++) {
		big[i] = goslab_alloc(large[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, big[i]);
		large_bytes += round_up(large[i], GS_HEAP_PAGE);
	}
	bytes += large_bytes;
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use - base.objects_in_use,
			NSMALL + ARRAY_SIZE(large));
	KUNIT_EXPECT_EQ(test, st.bytes_in_use - base.bytes_in_use, bytes);
	KUNIT_EXPECT_EQ(test, st.large_in_use - base.large_in_use, ARRAY_SIZE(large));
	/* Small objects may fill spans already in use; large ones take pages. */
	KUNIT_EXPECT_GE(test, st.pages_in_use - base.pages_in_use, large_bytes / PAGE_SIZE);

	for (i = 0; i < NSMALL; i++)
		goslab_free(small[i]);
	for (i = 0; i < ARRAY_SIZE(large); i++)
		goslab_free(big[i]);
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);
	KUNIT_EXPECT_EQ(test, st.bytes_in_use, base.bytes_in_use);
	KUNIT_EXPECT_EQ(test, st.large_in_use, base.large_in_use);
}

#ifdef CONFIG_KASAN_GENERIC
static void check_shadow(struct kunit *test, size_t size)
{
	size_t off, step;
	u8 *p = goslab_alloc(size, GFP_KERNEL);
	unsigned int hold;
	bool vmapped;

	KUNIT_ASSERT_NOT_NULL(test, p);
	vmapped = is_vmalloc_addr(p);
	/* Without KASAN_VMALLOC, KASAN keeps no shadow for the vmalloc area. */
	if (vmapped && !IS_ENABLED(CONFIG_KASAN_VMALLOC))
		goto out;
	/*
	 * The bytes asked for, before goslab_usable_size() opens the rest;
	 * of large objects, the first and the last granule of each page.
	 */
	step = size > GS_SMALL_MAX ? PAGE_SIZE : 8;
	for (off = 0; off + 8 <= size; off += step) {
		KUNIT_ASSERT_EQ_MSG(test, gs_shadow(p + off), 0,
				    "size %zu: shadow at +%zu", size, off);
		if (step != 8 && off + step <= size)
			KUNIT_ASSERT_EQ_MSG(test, gs_shadow(p + off + step - 8), 0,
					    "size %zu: shadow at +%zu", size,
					    off + step - 8);
	}
	/* goslab_usable_size() opens the whole object. */
	KUNIT_EXPECT_EQ_MSG(test, gs_shadow(p + goslab_usable_size(p) - 8), 0,
			    "size %zu: end of usable size", size);
	/*
	 * A huge (vmapped) object is unmapped later, by a work item, and
	 * vunmap() may drop its shadow: look while the hook holds that off.
	 */
	if (vmapped && gs_param_get("test_huge_free_hold", &hold)) {
		kunit_info(test, "size %zu: no test_huge_free_hold (goslab.ko's test build) to look at it freed\n",
			   size);
		goto out;
	}
	if (vmapped)
		gs_param_override(test, "test_huge_free_hold", 1);
	goslab_free(p);
	KUNIT_EXPECT_NE_MSG(test, gs_shadow(p), 0,
			    "size %zu: freed object not poisoned", size);
	if (vmapped)
		KUNIT_EXPECT_EQ(test, gs_param_set("test_huge_free_hold", 0), 0);
	return;
out:
	goslab_free(p);
}
#endif

/* Allocated objects are addressable, freed ones poisoned in KASAN shadow. */
static void goslab_test_kasan_shadow(struct kunit *test)
{
#ifdef CONFIG_KASAN_GENERIC
	static const size_t sizes[] = {
		16, 24, 48, 1000, 1024, 4096, 27264, 32768,
		32769, 65536, 1 << 20, 6 << 20,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		check_shadow(test, sizes[i]);
#else
	kunit_skip(test, "needs CONFIG_KASAN_GENERIC");
#endif
}

static struct kunit_case goslab_alloc_cases[] = {
	KUNIT_CASE(goslab_test_zero_size),
	KUNIT_CASE(goslab_test_class_fill),
	KUNIT_CASE(goslab_test_usable_size),
	KUNIT_CASE(goslab_test_alignment),
	KUNIT_CASE(goslab_test_lifo),
	KUNIT_CASE(goslab_test_zero_small),
	KUNIT_CASE(goslab_test_stats_counts),
	KUNIT_CASE(goslab_test_kasan_shadow),
	{}
};

static struct kunit_suite goslab_alloc_suite = {
	.name = "goslab_alloc",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_alloc_cases,
};

kunit_test_suite(goslab_alloc_suite);
