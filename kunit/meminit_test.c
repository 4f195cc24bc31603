// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: init_on_alloc and init_on_free.
 *
 * With either boot option on, memory that goslab hands out must read as
 * zeroes, whatever an earlier user wrote into it, exactly as the kernel's
 * own lib/test_meminit.c expects of kmalloc() and kmem_cache: objects of
 * every tier, objects that come back after a free, objects of a cache
 * taken one by one and in bulk, with and without __GFP_ZERO.  Objects of
 * a cache with a constructor are the exception: they keep what the
 * constructor wrote.  Neither option is on by default, so the cases skip
 * unless the guest was booted with one: make check boots the rt kernel
 * with init_on_free=1, make check-full adds boots with each option.
 */
#include <linux/kasan.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "goslab_test.h"

#define MEMINIT_GARBAGE	0x9e
#define MEMINIT_CTOR	0x41414141U
#define MEMINIT_ROUNDS	10
#define MEMINIT_BULK	100

static void meminit_require(struct kunit *test)
{
	if (!want_init_on_alloc(GFP_KERNEL) && !want_init_on_free())
		kunit_skip(test, "boot with init_on_alloc=1 or init_on_free=1");
}

static size_t nonzero_bytes(const void *p, size_t size)
{
	const u8 *b = p;
	size_t i, n = 0;

	for (i = 0; i < size; i++)
		n += b[i] != 0;
	return n;
}

/*
 * Every tier, sizes 1 to 512 KiB by powers of two plus the odd tiny and
 * huge ones: dirty an object, free it, and the next one of that size,
 * whether the same memory or not, reads as zeroes.
 */
static void goslab_test_meminit_alloc(struct kunit *test)
{
	static const size_t odd[] = { 3, 5, 7, 12, 15, 24, 100, 40000,
				      (4 << 20) + 1 };
	unsigned int i, round;

	meminit_require(test);
	for (i = 0; i < 20 + ARRAY_SIZE(odd); i++) {
		size_t size = i < 20 ? 1UL << i : odd[i - 20];

		for (round = 0; round < 4; round++) {
			void *p = goslab_alloc(size, GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, p);
			KUNIT_EXPECT_EQ_MSG(test, nonzero_bytes(p, size), 0,
					    "size %zu round %u", size, round);
			memset(p, MEMINIT_GARBAGE, size);
			goslab_free(p);
		}
	}
}

static void meminit_ctor(void *p)
{
	*(u32 *)p = MEMINIT_CTOR;
}

/* An object of a cache: zeroes, or what the constructor wrote. */
static bool meminit_fresh(void *p, unsigned int size, bool ctor)
{
	if (ctor)
		return *(u32 *)p == MEMINIT_CTOR;
	return !memchr_inv(p, 0, size);
}

static void meminit_cache_one(struct kunit *test, unsigned int size,
			      bool ctor, bool zero)
{
	gfp_t gfp = GFP_KERNEL | (zero ? __GFP_ZERO : 0);
	struct goslab_cache *c;
	unsigned int round, i;
	void **bulk, *p;

	bulk = kunit_kmalloc_array(test, MEMINIT_BULK, sizeof(*bulk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bulk);
	c = goslab_cache_create("meminit", size, 0, ctor ? meminit_ctor : NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (round = 0; round < MEMINIT_ROUNDS; round++) {
		if (!ctor) {
			int got = goslab_cache_alloc_bulk(c, gfp, MEMINIT_BULK,
							  bulk);

			KUNIT_ASSERT_EQ(test, got, MEMINIT_BULK);
			for (i = 0; i < MEMINIT_BULK; i++) {
				bool fresh = meminit_fresh(bulk[i], size, false);

				KUNIT_EXPECT_TRUE_MSG(test, fresh,
						      "size %u bulk object %u round %u",
						      size, i, round);
				memset(bulk[i], MEMINIT_GARBAGE, size);
			}
			goslab_cache_free_bulk(c, MEMINIT_BULK, bulk);
		}
		p = goslab_cache_alloc(c, gfp);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_TRUE_MSG(test, meminit_fresh(p, size, ctor),
				      "size %u ctor %d zero %d round %u",
				      size, ctor, zero, round);
		/* A constructed object goes back in its constructed state. */
		if (!ctor)
			memset(p, MEMINIT_GARBAGE, size);
		goslab_cache_free(c, p);
	}
	goslab_cache_destroy(c);
}

/* Caches of 8 bytes to 4 KiB, with and without ctor and __GFP_ZERO. */
static void goslab_test_meminit_cache(struct kunit *test)
{
	unsigned int i;

	meminit_require(test);
	for (i = 0; i < 10; i++) {
		meminit_cache_one(test, 8U << i, false, false);
		meminit_cache_one(test, 8U << i, false, true);
		meminit_cache_one(test, 8U << i, true, false);
	}
}

/*
 * init_on_free itself: memory is zero while it is free, not only once it
 * is handed out again.  Freed objects are read behind KASAN's back: the
 * small object but its first word, the free list's link; the tiny object
 * whole; the large object's pages, back in the heap.  (On PREEMPT_RT the
 * pin keeps the task on its CPU without holding off others there; nothing
 * else in the test guest allocates from goslab meanwhile.)
 */
static void goslab_test_meminit_free(struct kunit *test)
{
	static const size_t sizes[] = { 5, 12, 64, 1024, 40000 };
	unsigned int i;

	if (!want_init_on_free())
		kunit_skip(test, "boot with init_on_free=1");
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t size = sizes[i], skip = size >= 16 && size < 40000 ? 8 : 0;
		u8 *p = goslab_alloc(size, GFP_KERNEL);
		size_t dirty;

		KUNIT_ASSERT_NOT_NULL(test, p);
		memset(p, MEMINIT_GARBAGE, size);
		gs_cpu_pin();
		goslab_free(p);
		kasan_disable_current();
		dirty = nonzero_bytes(p + skip, size - skip);
		kasan_enable_current();
		gs_cpu_unpin();
		KUNIT_EXPECT_EQ_MSG(test, dirty, 0, "size %zu, freed", size);
	}
}

static struct kunit_case goslab_meminit_cases[] = {
	KUNIT_CASE(goslab_test_meminit_alloc),
	KUNIT_CASE(goslab_test_meminit_free),
	KUNIT_CASE(goslab_test_meminit_cache),
	{}
};

static struct kunit_suite goslab_meminit_suite = {
	.name = "goslab_meminit",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_meminit_cases,
};

kunit_test_suite(goslab_meminit_suite);
