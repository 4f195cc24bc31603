// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: large objects (whole 8 KiB heap pages).
 */
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/string.h>

#include "goslab_test.h"

static const size_t large_sizes[] = {
	GS_SMALL_MAX + 1, 40000, 65536, 65537, 100000, 1 << 20,
	(4 << 20) - 1, 4 << 20, (4 << 20) + 1, (6 << 20) + 123, 8 << 20,
};

static u8 page_mark(const void *p, size_t i)
{
	return (unsigned long)p >> PAGE_SHIFT ^ i ^ 0x5a;
}

/* Writes the first and last byte of each page, then reads them all back. */
static bool touch_pages(u8 *p, size_t usable)
{
	size_t i, n = usable / PAGE_SIZE;

	for (i = 0; i < n; i++) {
		p[i * PAGE_SIZE] = page_mark(p, i);
		p[i * PAGE_SIZE + PAGE_SIZE - 1] = ~page_mark(p, i);
	}
	for (i = 0; i < n; i++) {
		if (p[i * PAGE_SIZE] != page_mark(p, i) ||
		    p[i * PAGE_SIZE + PAGE_SIZE - 1] != (u8)~page_mark(p, i))
			return false;
	}
	return true;
}

static void goslab_test_large_sizes(struct kunit *test)
{
	struct goslab_stats base, st;
	unsigned int i;

	gs_stats(test, &base);
	for (i = 0; i < ARRAY_SIZE(large_sizes); i++) {
		size_t size = large_sizes[i];
		u8 *p = goslab_alloc(size, GFP_KERNEL);
		size_t usable;

		KUNIT_ASSERT_NOT_NULL_MSG(test, p, "size %zu", size);
		usable = goslab_usable_size(p);
		KUNIT_EXPECT_EQ_MSG(test, usable, round_up(size, GS_HEAP_PAGE),
				    "size %zu", size);
		KUNIT_EXPECT_TRUE_MSG(test, PAGE_ALIGNED(p), "size %zu at %p", size, p);
		KUNIT_EXPECT_TRUE_MSG(test, touch_pages(p, usable), "size %zu", size);
		goslab_get_stats(&st);
		KUNIT_EXPECT_EQ(test, st.large_in_use, base.large_in_use + 1);
		goslab_free(p);
	}
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.large_in_use, base.large_in_use);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);
}

/* Many live large objects at once do not overlap. */
static void goslab_test_large_many(struct kunit *test)
{
	enum { N = 48 };
	size_t *sizes;
	void **p;
	unsigned int i;

	sizes = kunit_kmalloc_array(test, N, sizeof(*sizes), GFP_KERNEL);
	p = kunit_kmalloc_array(test, N, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sizes);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < N; i++) {
		sizes[i] = GS_SMALL_MAX + 1 + i * 12345;
		p[i] = goslab_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		gs_stamp(p[i], goslab_usable_size(p[i]), 512);
	}
	for (i = 0; i < N; i++)
		KUNIT_EXPECT_TRUE_MSG(test, gs_stamp_ok(p[i], goslab_usable_size(p[i]), 512),
				      "object %u (%zu bytes)", i, sizes[i]);
	/* Free out of order so that neighbouring free runs merge. */
	for (i = 0; i < N; i += 2)
		goslab_free(p[i]);
	for (i = 1; i < N; i += 2)
		goslab_free(p[i]);
}

/* Without sleeping, large objects up to 4 MiB work; beyond, NULL. */
static void goslab_test_large_nowait(struct kunit *test)
{
	const gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	u8 *p, *q, *r;

	gs_cpu_pin();
	p = goslab_alloc(GS_LARGE_NOWAIT_MAX, gfp);
	q = goslab_alloc(GS_LARGE_NOWAIT_MAX + 1, gfp);
	r = goslab_alloc(8 << 20, GFP_ATOMIC | __GFP_NOWARN);
	gs_cpu_unpin();
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, q);
	KUNIT_EXPECT_NULL(test, r);
	if (p) {
		KUNIT_EXPECT_EQ(test, goslab_usable_size(p), GS_LARGE_NOWAIT_MAX);
		KUNIT_EXPECT_TRUE(test, touch_pages(p, GS_LARGE_NOWAIT_MAX));
	}
	goslab_free(p);
	goslab_free(q);
	goslab_free(r);
}

/* __GFP_ZERO on pages that were just dirtied and freed. */
static void goslab_test_large_zero(struct kunit *test)
{
	static const size_t sizes[] = { 40000, 256 << 10, 4 << 20, 8 << 20 };
	unsigned int i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			size_t size = sizes[i], usable;
			bool atomic = pass == 0 && size <= GS_LARGE_NOWAIT_MAX;
			void *p, *q;

			p = goslab_alloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p);
			usable = goslab_usable_size(p);
			memset(p, 0xa5, usable);
			goslab_free(p);
			if (atomic) {
				gs_cpu_pin();
				q = goslab_alloc(size, GFP_ATOMIC | __GFP_ZERO);
				gs_cpu_unpin();
			} else {
				q = goslab_zalloc(size, GFP_KERNEL);
			}
			KUNIT_ASSERT_NOT_NULL(test, q);
			KUNIT_EXPECT_NULL_MSG(test, memchr_inv(q, 0, goslab_usable_size(q)),
					      "size %zu %s", size,
					      atomic ? "GFP_ATOMIC" : "GFP_KERNEL");
			goslab_free(q);
		}
	}
}

static struct kunit_case goslab_large_cases[] = {
	KUNIT_CASE(goslab_test_large_sizes),
	KUNIT_CASE(goslab_test_large_many),
	KUNIT_CASE(goslab_test_large_nowait),
	KUNIT_CASE(goslab_test_large_zero),
	{}
};

static struct kunit_suite goslab_large_suite = {
	.name = "goslab_large",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_large_cases,
};

kunit_test_suite(goslab_large_suite);
