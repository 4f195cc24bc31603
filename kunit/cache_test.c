// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: goslab_cache (objects of one size, with an optional
 * constructor, in spans of their own).
 */
#include <linux/atomic.h>
#include <linux/bsearch.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "goslab_test.h"

#define CTOR_MAGIC	0x60c70a11

struct ctor_obj {
	u32 magic;
	u32 state;		/* 0: as constructed */
	unsigned long self;
	u8 payload[40];
};

/* Where the constructor ran, in call order. */
static struct {
	atomic_t calls;
	unsigned int cap;
	unsigned long *addr;
} ctor_log;

static void test_ctor(void *p)
{
	struct ctor_obj *o = p;
	unsigned int i = atomic_inc_return(&ctor_log.calls) - 1;

	if (i < ctor_log.cap)
		ctor_log.addr[i] = (unsigned long)p;
	o->magic = CTOR_MAGIC;
	o->state = 0;
	o->self = (unsigned long)p;
	memset(o->payload, 0x5a, sizeof(o->payload));
}

static bool constructed(const struct ctor_obj *o)
{
	return o->magic == CTOR_MAGIC && !o->state &&
	       o->self == (unsigned long)o &&
	       !memchr_inv(o->payload, 0x5a, sizeof(o->payload));
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static void ctor_log_init(struct kunit *test, unsigned int cap)
{
	ctor_log.addr = kunit_kcalloc(test, cap, sizeof(*ctor_log.addr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctor_log.addr);
	ctor_log.cap = cap;
	atomic_set(&ctor_log.calls, 0);
}

/*
 * The constructor runs once per object, when its span is carved, before
 * the object is handed out; a reused object is not constructed again and
 * keeps what the constructor wrote, its first word included.
 */
static void goslab_test_cache_ctor(struct kunit *test)
{
	enum { N = 300, CAP = 8192 };
	unsigned int i, calls, dup = 0, missing = 0, bad = 0;
	struct ctor_obj **objs, *p, *q;
	struct goslab_cache *c;

	objs = kunit_kcalloc(test, N, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	ctor_log_init(test, CAP);
	c = goslab_cache_create("goslab_kunit_ctor", sizeof(struct ctor_obj), 0,
				test_ctor);
	KUNIT_ASSERT_NOT_NULL(test, c);

	for (i = 0; i < N; i++) {
		objs[i] = goslab_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		bad += !constructed(objs[i]);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "objects handed out unconstructed");

	calls = atomic_read(&ctor_log.calls);
	KUNIT_EXPECT_GE(test, calls, N);
	KUNIT_ASSERT_LE(test, calls, CAP);
	/* Nothing was freed: no object was carved, hence constructed, twice. */
	sort(ctor_log.addr, calls, sizeof(*ctor_log.addr), cmp_ulong, NULL);
	for (i = 1; i < calls; i++)
		dup += ctor_log.addr[i] == ctor_log.addr[i - 1];
	KUNIT_EXPECT_EQ_MSG(test, dup, 0, "constructor ran twice on an object");
	for (i = 0; i < N; i++) {
		unsigned long key = (unsigned long)objs[i];

		missing += !bsearch(&key, ctor_log.addr, calls, sizeof(key), cmp_ulong);
	}
	KUNIT_EXPECT_EQ_MSG(test, missing, 0, "objects the constructor never saw");

	/* Used, then put back in constructed state, as SLAB rules require. */
	for (i = 0; i < N; i++) {
		objs[i]->state = 1;
		memset(objs[i]->payload, 0, sizeof(objs[i]->payload));
		objs[i]->state = 0;
		memset(objs[i]->payload, 0x5a, sizeof(objs[i]->payload));
		goslab_cache_free(c, objs[i]);
	}

	calls = atomic_read(&ctor_log.calls);
	gs_cpu_pin();
	p = goslab_cache_alloc(c, GFP_ATOMIC);
	goslab_cache_free(c, p);
	q = goslab_cache_alloc(c, GFP_ATOMIC);
	gs_cpu_unpin();
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctor_log.calls), calls,
			    "constructor ran on reuse");
	KUNIT_EXPECT_TRUE_MSG(test, q && constructed(q),
			      "constructed state lost on the free list");
	goslab_cache_free(c, q);

	bad = 0;
	for (i = 0; i < N; i++) {
		objs[i] = goslab_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		bad += !constructed(objs[i]);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "reused objects not in constructed state");
	for (i = 0; i < N; i++)
		goslab_cache_free(c, objs[i]);
	goslab_cache_destroy(c);
}

/* What zero_ctor() saw: objects it found not all zero. */
static struct {
	atomic_t calls;
	atomic_t dirty;
	unsigned int size;
} zero_log;

#define ZERO_CTOR_MAGIC	0x7a65726fU

static void zero_ctor(void *p)
{
	atomic_inc(&zero_log.calls);
	if (memchr_inv(p, 0, zero_log.size))
		atomic_inc(&zero_log.dirty);
	*(u32 *)p = ZERO_CTOR_MAGIC;
}

/*
 * A constructor sees its object zeroed, whatever the pages held before,
 * and the bytes it leaves alone stay zero until the caller writes them:
 * the heap is dirtied first with large objects full of 0xa5, whose pages
 * the caches' new spans then reuse.
 */
static void goslab_test_cache_ctor_zeroed(struct kunit *test)
{
	static const unsigned int sizes[] = { 8, 13, 100, 1000, 5000, 32768 };
	enum { DIRTY = 64, DIRTY_SIZE = 64 * 1024, MAX = 600 };
	unsigned int s, i, n, bad;
	struct goslab_cache *c;
	void **objs;

	objs = kunit_kcalloc(test, max_t(unsigned int, DIRTY, MAX), sizeof(*objs),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < DIRTY; i++) {
		objs[i] = goslab_alloc(DIRTY_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		memset(objs[i], 0xa5, DIRTY_SIZE);
	}
	for (i = 0; i < DIRTY; i++)
		goslab_free(objs[i]);

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		zero_log.size = sizes[s];
		atomic_set(&zero_log.calls, 0);
		atomic_set(&zero_log.dirty, 0);
		c = goslab_cache_create("goslab_kunit_zero", sizes[s], 0, zero_ctor);
		KUNIT_ASSERT_NOT_NULL(test, c);
		n = clamp(512 * 1024 / sizes[s], 4U, (unsigned int)MAX);
		bad = 0;
		for (i = 0; i < n; i++) {
			u32 *p = goslab_cache_alloc(c, GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, p);
			objs[i] = p;
			bad += *p != ZERO_CTOR_MAGIC ||
			       memchr_inv(p + 1, 0, sizes[s] - sizeof(*p));
		}
		KUNIT_EXPECT_LE(test, n, atomic_read(&zero_log.calls));
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&zero_log.dirty), 0,
				    "size %u: the constructor saw old bytes", sizes[s]);
		KUNIT_EXPECT_EQ_MSG(test, bad, 0,
				    "size %u: objects not as constructed", sizes[s]);
		for (i = 0; i < n; i++)
			goslab_cache_free(c, objs[i]);
		goslab_cache_destroy(c);
	}
}

/* Object geometry: objects are exactly round_up(max(size, 8), align) apart. */
static const struct {
	unsigned int size;
	unsigned int align;	/* 0: the default, 8 */
	unsigned int elem;
} cache_geo[] = {
	{ 1, 0, 8 },
	{ 5, 2, 8 },
	{ 8, 8, 8 },
	{ 20, 8, 24 },
	{ 20, 16, 32 },
	{ 24, 1, 24 },
	{ 100, 64, 128 },
	{ 1000, 8, 1000 },
	{ 3000, 512, 3072 },
	{ 4096, 4096, 4096 },
	{ 5000, 8192, 8192 },
	{ 32767, 0, 32768 },
	{ 32768, 8, 32768 },
};

static void goslab_test_cache_geometry(struct kunit *test)
{
	struct goslab_stats base, st;
	unsigned int g, i, n;
	unsigned long *objs;

	objs = kunit_kcalloc(test, 600, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	gs_stats(test, &base);
	for (g = 0; g < ARRAY_SIZE(cache_geo); g++) {
		unsigned int size = cache_geo[g].size, elem = cache_geo[g].elem;
		unsigned long align = cache_geo[g].align ?: 8, gap = ULONG_MAX;
		struct goslab_cache *c;
		bool ok = true;

		c = goslab_cache_create("goslab_kunit_geo", size, cache_geo[g].align, NULL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, c, "size %u align %u", size,
					  cache_geo[g].align);
		/* Several spans' worth, at least a few objects. */
		n = clamp(3 * 65536 / elem, 4U, 600U);
		for (i = 0; i < n; i++) {
			void *p = goslab_cache_alloc(c, GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, p);
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p, align),
					      "size %u: %p not %lu-aligned", size, p, align);
			KUNIT_EXPECT_GE(test, goslab_usable_size(p), size);
			KUNIT_EXPECT_LE(test, goslab_usable_size(p), elem);
			gs_stamp(p, size, 8);
			objs[i] = (unsigned long)p;
		}
		for (i = 0; i < n; i++)
			ok &= gs_stamp_ok((void *)objs[i], size, 8);
		KUNIT_EXPECT_TRUE_MSG(test, ok, "size %u: objects overlap", size);
		sort(objs, n, sizeof(*objs), cmp_ulong, NULL);
		for (i = 1; i < n; i++)
			gap = min(gap, objs[i] - objs[i - 1]);
		/* Neighbours in one span; a span holds one object if larger. */
		if (elem <= GS_HEAP_PAGE / 2)
			KUNIT_EXPECT_EQ_MSG(test, gap, elem, "size %u align %u: object spacing",
					    size, cache_geo[g].align);
		else
			KUNIT_EXPECT_GE(test, gap, elem);
		/* goslab_free() takes cache objects too. */
		for (i = 0; i < n; i++) {
			if (i & 1)
				goslab_free((void *)objs[i]);
			else
				goslab_cache_free(c, (void *)objs[i]);
		}
		goslab_cache_destroy(c);
	}
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);
}

static void goslab_test_cache_invalid(struct kunit *test)
{
	struct goslab_cache *c;

	KUNIT_EXPECT_NULL(test, goslab_cache_create("goslab_kunit_bad", GS_SMALL_MAX + 1,
						    8, NULL));
	KUNIT_EXPECT_NULL(test, goslab_cache_create("goslab_kunit_bad", 1 << 20, 0, NULL));
	KUNIT_EXPECT_NULL(test, goslab_cache_create("goslab_kunit_bad", 64, 3, NULL));
	KUNIT_EXPECT_NULL(test, goslab_cache_create("goslab_kunit_bad", 64, 24, NULL));
	KUNIT_EXPECT_NULL(test, goslab_cache_create("goslab_kunit_bad", 64, 96, NULL));
	c = goslab_cache_create("goslab_kunit_max", GS_SMALL_MAX, 8, NULL);
	KUNIT_EXPECT_NOT_NULL(test, c);
	if (c)
		goslab_cache_destroy(c);
}

/* Objects go back to their own cache's lists, never to goslab_alloc()'s. */
static void goslab_test_cache_own_spans(struct kunit *test)
{
	struct goslab_cache *c;
	void *o, *p, *q, *r;

	c = goslab_cache_create("goslab_kunit_own", 64, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	gs_cpu_pin();
	o = goslab_cache_alloc(c, GFP_ATOMIC);
	goslab_cache_free(c, o);
	p = goslab_alloc(64, GFP_ATOMIC);	/* not o: it is the cache's */
	goslab_free(p);
	q = goslab_cache_alloc(c, GFP_ATOMIC);	/* o again, not p */
	r = goslab_alloc(64, GFP_ATOMIC);	/* p again */
	gs_cpu_unpin();
	KUNIT_ASSERT_NOT_NULL(test, o);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_NE(test, p, o);
	KUNIT_EXPECT_PTR_EQ(test, q, o);
	KUNIT_EXPECT_PTR_EQ(test, r, p);
	goslab_cache_free(c, q);
	goslab_free(r);
	goslab_cache_destroy(c);
}

static void goslab_test_cache_bulk(struct kunit *test)
{
	enum { NR = 1000 };
	unsigned int i, dup = 0, bad = 0;
	struct goslab_stats base, st;
	struct goslab_cache *c;
	void **objs;
	int ret;

	objs = kunit_kcalloc(test, NR, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	ctor_log_init(test, 4 * NR);
	c = goslab_cache_create("goslab_kunit_bulk", sizeof(struct ctor_obj), 64,
				test_ctor);
	KUNIT_ASSERT_NOT_NULL(test, c);
	gs_stats(test, &base);

	ret = goslab_cache_alloc_bulk(c, GFP_KERNEL, NR, objs);
	KUNIT_ASSERT_EQ(test, ret, NR);
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use - base.objects_in_use, NR);
	for (i = 0; i < NR; i++) {
		bad += !constructed(objs[i]);
		bad += !IS_ALIGNED((unsigned long)objs[i], 64);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "unconstructed or misaligned objects");
	sort(objs, NR, sizeof(*objs), cmp_ulong, NULL);
	for (i = 1; i < NR; i++)
		dup += objs[i] == objs[i - 1];
	KUNIT_EXPECT_EQ_MSG(test, dup, 0, "object handed out twice");

	goslab_cache_free_bulk(c, NR, objs);
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);

	/* Bulk and single calls mix; in atomic context too. */
	gs_cpu_pin();
	ret = goslab_cache_alloc_bulk(c, GFP_ATOMIC, 16, objs);
	gs_cpu_unpin();
	KUNIT_ASSERT_EQ(test, ret, 16);
	for (i = 0; i < 16; i++)
		goslab_cache_free(c, objs[i]);
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);
	goslab_cache_destroy(c);
}

/*
 * Destroying a cache with live objects reports them and keeps the cache
 * until goslab unloads: the objects stay valid and goslab_free() takes
 * them back.
 */
static void goslab_test_cache_destroy_live(struct kunit *test)
{
	enum { N = 10, LIVE = 7 };
	struct goslab_stats base, st;
	struct goslab_cache *c;
	unsigned int i;
	void *objs[N];

	/* The trim below retires the CPUs' tiny blocks: count without them. */
	goslab_trim();
	gs_stats(test, &base);
	c = goslab_cache_create("goslab_kunit_zombie", 200, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < N; i++) {
		objs[i] = goslab_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		gs_stamp(objs[i], 200, 8);
	}
	for (i = LIVE; i < N; i++)
		goslab_cache_free(c, objs[i]);

	goslab_cache_destroy(c);
	/* A trim must not take the zombie's memory either. */
	goslab_trim();

	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use - base.objects_in_use, LIVE);
	for (i = 0; i < LIVE; i++) {
		KUNIT_EXPECT_TRUE(test, gs_stamp_ok(objs[i], 200, 8));
		memset(objs[i], 0xee, 200);
		KUNIT_EXPECT_NULL(test, memchr_inv(objs[i], 0xee, 200));
	}
	for (i = 0; i < LIVE; i++)
		goslab_free(objs[i]);
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);
	KUNIT_EXPECT_EQ(test, st.debug_invalid_free, base.debug_invalid_free);
	KUNIT_EXPECT_EQ(test, st.debug_double_free, base.debug_double_free);
}

static struct kunit_case goslab_cache_cases[] = {
	KUNIT_CASE(goslab_test_cache_ctor),
	KUNIT_CASE(goslab_test_cache_ctor_zeroed),
	KUNIT_CASE(goslab_test_cache_geometry),
	KUNIT_CASE(goslab_test_cache_invalid),
	KUNIT_CASE(goslab_test_cache_own_spans),
	KUNIT_CASE(goslab_test_cache_bulk),
	KUNIT_CASE(goslab_test_cache_destroy_live),
	{}
};

static struct kunit_suite goslab_cache_suite = {
	.name = "goslab_cache",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_cache_cases,
};

kunit_test_suite(goslab_cache_suite);
