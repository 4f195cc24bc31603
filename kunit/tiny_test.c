// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the tiny allocator (requests of 1 to 15 bytes but 8,
 * packed into a CPU's current 16-byte block).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/string.h>

#include "goslab_test.h"

#define BLOCK_OF(p)	((unsigned long)(p) & ~(GS_TINY_BLOCK - 1UL))

static void tiny_normal_mode_only(struct kunit *test)
{
	if (gs_debug())
		kunit_skip(test, "tiny allocator is off in debug mode");
}

/*
 * Each object is aligned to the largest power of two dividing its size,
 * <= 8; under KASAN to 8, a shadow granule of its own.
 */
#define TINY_KASAN	IS_ENABLED(CONFIG_KASAN_GENERIC)

static unsigned long tiny_align(size_t size)
{
	if (TINY_KASAN)
		return 8;
	return min(1UL << __ffs(size), 8UL);
}

/* Where the next object of @size goes after @cur bytes of a block. */
static unsigned int tiny_next(unsigned int *cur, size_t size, bool *new_block)
{
	unsigned int off = ALIGN(*cur, tiny_align(size));

	*new_block = off + size > GS_TINY_BLOCK;
	if (*new_block)
		off = 0;
	*cur = off + size;
	return off;
}

/*
 * Whatever the CPU's current block holds, a 15-byte object leaves at most
 * one byte free in it, so the next object of 2 bytes or more starts a
 * fresh block.
 */
static void *tiny_fill_block(void)
{
	return goslab_alloc(15, GFP_ATOMIC);
}

struct tiny_step {
	u8 size;
	bool new_block;		/* must start a fresh block */
	u8 offset;		/* offset in its block */
};

#define TINY_SEQ_MAX 4

struct tiny_seq {
	struct tiny_step step[TINY_SEQ_MAX];
};

/*
 * Offsets follow from the alignment rule; the first step always starts a
 * block.  Size 8 is not tiny: it fills an 8-byte class slot exactly.
 * Without KASAN the table is the oracle, and tiny_next() must agree with
 * it; under KASAN the offsets come from tiny_next().
 */
static const struct tiny_seq tiny_seqs[] = {
	{ { { 4, 1, 0 }, { 1, 0, 4 }, { 2, 0, 6 }, { 4, 0, 8 } } },
	{ { { 12, 1, 0 }, { 4, 0, 12 }, { 1, 1, 0 } } },
	{ { { 6, 1, 0 }, { 3, 0, 6 }, { 4, 0, 12 } } },
	{ { { 2, 1, 0 }, { 12, 0, 4 } } },
	{ { { 5, 1, 0 }, { 4, 0, 8 }, { 4, 0, 12 } } },
	{ { { 3, 1, 0 }, { 10, 0, 4 }, { 2, 0, 14 } } },
	{ { { 9, 1, 0 }, { 12, 1, 0 }, { 4, 0, 12 } } },
	{ { { 7, 1, 0 }, { 7, 0, 7 }, { 2, 0, 14 } } },
	{ { { 15, 1, 0 }, { 1, 0, 15 }, { 1, 1, 0 } } },
	{ { { 10, 1, 0 }, { 4, 0, 12 } } },
	{ { { 11, 1, 0 }, { 4, 0, 12 } } },
	{ { { 13, 1, 0 }, { 2, 0, 14 } } },
	{ { { 14, 1, 0 }, { 2, 0, 14 } } },
	{ { { 4, 1, 0 }, { 12, 0, 4 }, { 4, 1, 0 } } },
};

static void goslab_test_tiny_packing(struct kunit *test)
{
	void *objs[TINY_SEQ_MAX], *filler;
	unsigned int s, i, cur;
	bool fresh;

	tiny_normal_mode_only(test);
	for (s = 0; s < ARRAY_SIZE(tiny_seqs); s++) {
		const struct tiny_step *step = tiny_seqs[s].step;
		unsigned long block;

		/* One CPU, nothing else allocating on it in between. */
		gs_cpu_pin();
		filler = tiny_fill_block();
		for (i = 0; i < TINY_SEQ_MAX && step[i].size; i++)
			objs[i] = goslab_alloc(step[i].size, GFP_ATOMIC);
		gs_cpu_unpin();
		KUNIT_ASSERT_NOT_NULL(test, filler);

		block = BLOCK_OF(filler);
		cur = GS_TINY_MAX;
		for (i = 0; i < TINY_SEQ_MAX && step[i].size; i++) {
			unsigned long p = (unsigned long)objs[i];
			unsigned int off = tiny_next(&cur, step[i].size, &fresh);

			if (!TINY_KASAN) {
				KUNIT_EXPECT_EQ(test, off, step[i].offset);
				KUNIT_EXPECT_EQ(test, fresh, step[i].new_block);
			}
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
			KUNIT_EXPECT_EQ_MSG(test, goslab_usable_size(objs[i]),
					    step[i].size, "seq %u step %u", s, i);
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED(p, tiny_align(step[i].size)),
					      "seq %u step %u: %u bytes at %p",
					      s, i, step[i].size, objs[i]);
			if (fresh) {
				KUNIT_EXPECT_NE_MSG(test, BLOCK_OF(p), block,
						    "seq %u step %u: expected a new block",
						    s, i);
				block = BLOCK_OF(p);
			}
			KUNIT_EXPECT_EQ_MSG(test, p, block + off,
					    "seq %u step %u: %u bytes", s, i, step[i].size);
			gs_stamp(objs[i], step[i].size, 8);
		}
		/* Packed neighbours must not have written over each other. */
		for (i = 0; i < TINY_SEQ_MAX && step[i].size; i++)
			KUNIT_EXPECT_TRUE_MSG(test, gs_stamp_ok(objs[i], step[i].size, 8),
					      "seq %u step %u overwritten", s, i);
		for (i = 0; i < TINY_SEQ_MAX && step[i].size; i++)
			goslab_free(objs[i]);
		goslab_free(filler);
	}
}

/*
 * A block comes back only once it is retired and all its objects are freed:
 * not while one object is live, and first (LIFO) once the last one goes.
 */
static void goslab_test_tiny_reuse(struct kunit *test)
{
	/* Two objects that fill a block: 12 + 4 bytes, or 4 + 4 under KASAN. */
	const size_t xsize = TINY_KASAN ? 4 : 12, yoff = TINY_KASAN ? 8 : 12;
	void *f, *x, *y, *z, *w, *v;

	tiny_normal_mode_only(test);
	gs_cpu_pin();
	f = tiny_fill_block();
	x = goslab_alloc(xsize, GFP_ATOMIC);	/* fresh block B1 */
	y = goslab_alloc(4, GFP_ATOMIC);	/* fills B1 */
	z = goslab_alloc(15, GFP_ATOMIC);	/* new block; B1 retired */
	goslab_free(x);
	w = goslab_alloc(12, GFP_ATOMIC);	/* new block: B1 still has y */
	goslab_free(y);				/* B1 is free now */
	v = goslab_alloc(15, GFP_ATOMIC);	/* new block: B1 again */
	gs_cpu_unpin();

	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_NOT_NULL(test, x);
	KUNIT_ASSERT_NOT_NULL(test, y);
	KUNIT_ASSERT_NOT_NULL(test, z);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_EQ(test, BLOCK_OF(x), (unsigned long)x);
	KUNIT_EXPECT_PTR_EQ(test, y, x + yoff);
	KUNIT_EXPECT_NE(test, BLOCK_OF(z), BLOCK_OF(x));
	KUNIT_EXPECT_NE_MSG(test, BLOCK_OF(w), BLOCK_OF(x),
			    "block reused while an object in it was live");
	KUNIT_EXPECT_NE(test, BLOCK_OF(w), BLOCK_OF(z));
	KUNIT_EXPECT_PTR_EQ_MSG(test, v, x, "freed retired block not reused first");
	goslab_free(f);
	goslab_free(z);
	goslab_free(w);
	goslab_free(v);
}

/* __GFP_ZERO on a reused block whose bytes were all dirty. */
static void goslab_test_tiny_zero(struct kunit *test)
{
	/* Objects that fill a block exactly, and where they go. */
	static const size_t dsize[] = { 3, 5, 4, 4 };
	static const unsigned int doff[] = { 0, 3, 8, 12 };
	const unsigned int n = TINY_KASAN ? 2 : ARRAY_SIZE(dsize);
	const size_t xsize = TINY_KASAN ? 4 : 12, yoff = TINY_KASAN ? 8 : 12;
	u8 *f, *x, *y, *z, *d[ARRAY_SIZE(dsize)];
	unsigned int i;
	size_t size;

	tiny_normal_mode_only(test);
	gs_cpu_pin();
	f = tiny_fill_block();
	x = goslab_alloc(xsize, GFP_ATOMIC);
	y = goslab_alloc(4, GFP_ATOMIC);
	if (x && y) {
		memset(x, 0xff, xsize);
		memset(y, 0xff, 4);
	}
	z = goslab_alloc(15, GFP_ATOMIC);
	goslab_free(x);
	goslab_free(y);
	/* The dirty block comes back; 3 + 5 bytes (+ 4 + 4 but KASAN) fill it. */
	for (i = 0; i < n; i++)
		d[i] = goslab_alloc(dsize[i], GFP_ATOMIC | __GFP_ZERO);
	gs_cpu_unpin();

	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_NOT_NULL(test, x);
	KUNIT_ASSERT_NOT_NULL(test, y);
	KUNIT_ASSERT_NOT_NULL(test, z);
	KUNIT_EXPECT_PTR_EQ(test, y, x + yoff);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_NOT_NULL(test, d[i]);
		KUNIT_EXPECT_PTR_EQ(test, d[i],
				    x + (TINY_KASAN ? 8 * i : doff[i]));
		KUNIT_EXPECT_NULL(test, memchr_inv(d[i], 0, dsize[i]));
	}
	for (i = 0; i < n; i++)
		goslab_free(d[i]);
	goslab_free(z);
	goslab_free(f);

	/* Every tiny size, packed after dirty neighbours. */
	for (size = 1; size <= GS_TINY_MAX; size++) {
		gs_cpu_pin();
		x = goslab_alloc(1, GFP_ATOMIC);
		if (x)
			*x = 0xff;
		y = goslab_alloc(size, GFP_ATOMIC | __GFP_ZERO);
		gs_cpu_unpin();
		KUNIT_ASSERT_NOT_NULL(test, x);
		KUNIT_ASSERT_NOT_NULL(test, y);
		KUNIT_EXPECT_NULL_MSG(test, memchr_inv(y, 0, size), "size %zu", size);
		memset(y, 0xff, size);
		goslab_free(x);
		goslab_free(y);
	}
}

/* In debug mode requests of 1 to 15 bytes get whole 8- or 16-byte objects. */
static void goslab_test_tiny_debug_off(struct kunit *test)
{
	void *p[GS_TINY_MAX + 1];
	size_t size;

	if (!gs_debug())
		kunit_skip(test, "debug mode only (goslab debug=1)");
	for (size = 1; size <= GS_TINY_MAX; size++) {
		size_t csize = size <= 8 ? 8 : 16;

		p[size] = goslab_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[size]);
		KUNIT_EXPECT_EQ_MSG(test, goslab_usable_size(p[size]), csize,
				    "size %zu", size);
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p[size], csize),
				      "size %zu at %p", size, p[size]);
		gs_stamp(p[size], csize, 8);
	}
	for (size = 1; size <= GS_TINY_MAX; size++) {
		KUNIT_EXPECT_TRUE(test, gs_stamp_ok(p[size], size <= 8 ? 8 : 16, 8));
		goslab_free(p[size]);
	}
}

static struct kunit_case goslab_tiny_cases[] = {
	KUNIT_CASE(goslab_test_tiny_packing),
	KUNIT_CASE(goslab_test_tiny_reuse),
	KUNIT_CASE(goslab_test_tiny_zero),
	KUNIT_CASE(goslab_test_tiny_debug_off),
	{}
};

static struct kunit_suite goslab_tiny_suite = {
	.name = "goslab_tiny",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_tiny_cases,
};

kunit_test_suite(goslab_tiny_suite);
