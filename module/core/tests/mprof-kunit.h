/* SPDX-License-Identifier: GPL-2.0 */
/*
 * White-box tests of the heap profiler (mprof.c), in goslab.ko's test
 * build only: mprof.c includes this file at its bottom under GOSLAB_TEST.
 *
 * Each case starts a profile of its own (the rate it needs, which forgets
 * any profile before) and its exit puts back the rate goslab was loaded
 * with.  Objects come from noinline functions of this file, whose names
 * the cases look for at the top of the stacks the profile kept: the
 * allocator's own frames must be gone from them, whatever the tier.
 */
#ifndef _GOSLAB_MPROF_KUNIT_H
#define _GOSLAB_MPROF_KUNIT_H

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>

#define MPROF_TEST_N	32

static unsigned int mprof_test_saved_rate;

static int mprof_test_set(unsigned int rate)
{
	int ret;

	mutex_lock(&gs_mprof_mutex);
	ret = gs_mprof_set_rate(0);
	if (!ret)
		ret = gs_mprof_set_rate(rate);
	mutex_unlock(&gs_mprof_mutex);
	return ret;
}

static int mprof_test_init(struct kunit *test)
{
	mprof_test_saved_rate = READ_ONCE(gs_mprof.rate);
	return 0;
}

static void mprof_test_exit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, mprof_test_set(mprof_test_saved_rate), 0);
}

/* Start a profile at @rate, or skip a kernel whose stack depot cannot. */
static void mprof_test_start(struct kunit *test, unsigned int rate)
{
	int ret = mprof_test_set(rate);

	if (ret == -EOPNOTSUPP)
		kunit_skip(test, "no stack depot: the profiler is unavailable");
	KUNIT_ASSERT_EQ(test, ret, 0);
}

/* What the profile holds for the stacks that start in function @fn. */
struct mprof_test_sum {
	u64 allocs, alloc_bytes, inuse, inuse_bytes;
};

static bool mprof_test_top_is(unsigned long addr, const char *fn)
{
	char name[KSYM_SYMBOL_LEN];

	sprint_symbol_no_offset(name, addr);
	return strcspn(name, ". ") == strlen(fn) && !strncmp(name, fn, strlen(fn));
}

static struct mprof_test_sum mprof_test_sum(const char *fn)
{
	struct mprof_test_sum sum = {};
	struct gs_mprof_bucket b;
	unsigned long flags, *entries;
	unsigned int i, nr;

	for (i = 0;; i++) {
		raw_spin_lock_irqsave(&gs_mprof.lock, flags);
		if (i >= gs_mprof.nbuckets) {
			raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
			return sum;
		}
		b = gs_mprof.t->bucket[i];
		raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
		nr = gs_stack_fetch(b.stack, &entries);
		if (!nr || !mprof_test_top_is(entries[0], fn))
			continue;
		sum.allocs += b.allocs;
		sum.alloc_bytes += b.alloc_bytes;
		sum.inuse += b.allocs - b.frees;
		sum.inuse_bytes += b.alloc_bytes - b.free_bytes;
	}
}

/*
 * In loops, so that no call to goslab is a tail call: each keeps a frame.
 * Their code must differ (here, the flags), or the compiler folds them
 * into one function (-fipa-icf), whose name both stacks would show.
 */
static noinline void mprof_test_alloc_a(void **p, unsigned int n, size_t size)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = goslab_alloc(size, GFP_KERNEL);
}

static noinline void mprof_test_alloc_b(void **p, unsigned int n, size_t size)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = goslab_alloc(size, GFP_KERNEL | __GFP_NOWARN);
}

static noinline void mprof_test_alloc_cache(void **p, unsigned int n,
					    struct goslab_cache *c)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = goslab_cache_alloc(c, GFP_KERNEL);
}

static noinline int mprof_test_alloc_bulk(void **p, unsigned int n,
					  struct goslab_cache *c)
{
	int ret = goslab_cache_alloc_bulk(c, GFP_KERNEL, n, p);

	/* Not a tail call: the frame stays. */
	return ret == n ? 0 : -ENOMEM;
}

static void mprof_test_free(void **p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		goslab_free(p[i]);
		p[i] = NULL;
	}
}

/* The bytes the profile counts for an object: its slot, as Go does. */
static size_t mprof_test_bytes(const void *p, size_t size)
{
	struct mspan *s = span_of(p);

	if (s->state != MSPAN_SMALL)
		return (size_t)s->npages << GS_PAGE_SHIFT;
	return s->central->tiny ? size : s->central->elemsize;
}

/*
 * The countdown is Go's: exponential with the rate as its mean.  Exactly
 * over an even grid of the random bits (the integral of -ln(q) on (0, 1]
 * is 1), and within 3% over 20000 random draws (the standard error of
 * their mean is 0.7%).
 */
static void mprof_test_exprand(struct kunit *test)
{
	static const unsigned int rates[] = { 4096, GS_MPROF_DEFAULT_RATE };
	unsigned int r, i, rate;
	u64 sum;

	KUNIT_EXPECT_EQ(test, gs_log2_q16(1), 0);
	KUNIT_EXPECT_EQ(test, gs_log2_q16(2), 1 << 16);
	KUNIT_EXPECT_EQ(test, gs_log2_q16(1 << 26), 26 << 16);
	/* log2(3) = 1.5849625 = 103872.2 / 65536 */
	KUNIT_EXPECT_LE(test, abs((int)gs_log2_q16(3) - 103872), 2);
	KUNIT_EXPECT_EQ(test, gs_mprof_exprand(4096, U32_MAX), 1);

	for (r = 0; r < ARRAY_SIZE(rates); r++) {
		rate = rates[r];
		sum = 0;
		for (i = 0; i < 65536; i++)
			sum += gs_mprof_exprand(rate, i << 16 | 0x8000);
		KUNIT_EXPECT_LE_MSG(test, abs((s64)div_u64(sum, 65536) - rate),
				    (s64)rate / 100, "grid mean at rate %u", rate);
		sum = 0;
		for (i = 0; i < 20000; i++)
			sum += gs_mprof_exprand(rate, get_random_u32());
		KUNIT_EXPECT_LE_MSG(test, abs((s64)div_u64(sum, 20000) - rate),
				    (s64)rate * 3 / 100, "random mean at rate %u", rate);
	}
}

/*
 * Every allocation sampled (rate 1): two functions' objects are counted
 * each at its own stack, exactly, and frees take them out of "in use".
 */
static void mprof_test_two_stacks(struct kunit *test)
{
	void *a[MPROF_TEST_N], *b[MPROF_TEST_N / 2];
	struct mprof_test_sum sa, sb;
	size_t bytes_a, bytes_b;

	mprof_test_start(test, 1);
	mprof_test_alloc_a(a, ARRAY_SIZE(a), 256);
	mprof_test_alloc_b(b, ARRAY_SIZE(b), 1000);
	KUNIT_ASSERT_NOT_NULL(test, a[ARRAY_SIZE(a) - 1]);
	KUNIT_ASSERT_NOT_NULL(test, b[ARRAY_SIZE(b) - 1]);
	bytes_a = mprof_test_bytes(a[0], 256);
	bytes_b = mprof_test_bytes(b[0], 1000);

	sa = mprof_test_sum("mprof_test_alloc_a");
	sb = mprof_test_sum("mprof_test_alloc_b");
	KUNIT_EXPECT_EQ(test, sa.allocs, ARRAY_SIZE(a));
	KUNIT_EXPECT_EQ(test, sa.alloc_bytes, ARRAY_SIZE(a) * bytes_a);
	KUNIT_EXPECT_EQ(test, sa.inuse, ARRAY_SIZE(a));
	KUNIT_EXPECT_EQ(test, sb.allocs, ARRAY_SIZE(b));
	KUNIT_EXPECT_EQ(test, sb.inuse_bytes, ARRAY_SIZE(b) * bytes_b);

	mprof_test_free(a, ARRAY_SIZE(a) / 4);
	sa = mprof_test_sum("mprof_test_alloc_a");
	KUNIT_EXPECT_EQ(test, sa.allocs, ARRAY_SIZE(a));
	KUNIT_EXPECT_EQ(test, sa.inuse, ARRAY_SIZE(a) * 3 / 4);
	KUNIT_EXPECT_EQ(test, sa.inuse_bytes, ARRAY_SIZE(a) * 3 / 4 * bytes_a);
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_alloc_b").inuse,
			ARRAY_SIZE(b));

	mprof_test_free(a + ARRAY_SIZE(a) / 4, ARRAY_SIZE(a) * 3 / 4);
	mprof_test_free(b, ARRAY_SIZE(b));
	sa = mprof_test_sum("mprof_test_alloc_a");
	sb = mprof_test_sum("mprof_test_alloc_b");
	KUNIT_EXPECT_EQ(test, sa.inuse + sa.inuse_bytes, 0);
	KUNIT_EXPECT_EQ(test, sb.inuse + sb.inuse_bytes, 0);
	KUNIT_EXPECT_EQ(test, sb.allocs, ARRAY_SIZE(b));
}

/*
 * Each tier samples and sees its frees: tiny (a class in debug mode),
 * small, large, huge, a cache's objects one by one and in bulk.
 */
static void mprof_test_tiers(struct kunit *test)
{
	static const size_t sizes[] = { 4, 64, 64 * 1024, 5 * 1024 * 1024 };
	struct goslab_cache *c;
	struct mprof_test_sum s;
	void *p[8];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		mprof_test_start(test, 1);
		mprof_test_alloc_a(p, ARRAY_SIZE(p), sizes[i]);
		KUNIT_ASSERT_NOT_NULL(test, p[ARRAY_SIZE(p) - 1]);
		s = mprof_test_sum("mprof_test_alloc_a");
		KUNIT_EXPECT_EQ_MSG(test, s.inuse, ARRAY_SIZE(p), "size %zu", sizes[i]);
		KUNIT_EXPECT_EQ_MSG(test, s.inuse_bytes,
				    ARRAY_SIZE(p) * mprof_test_bytes(p[0], sizes[i]),
				    "size %zu", sizes[i]);
		mprof_test_free(p, ARRAY_SIZE(p));
		s = mprof_test_sum("mprof_test_alloc_a");
		KUNIT_EXPECT_EQ_MSG(test, s.allocs, ARRAY_SIZE(p), "size %zu", sizes[i]);
		KUNIT_EXPECT_EQ_MSG(test, s.inuse, 0, "size %zu", sizes[i]);
	}

	c = goslab_cache_create("mprof_test", 200, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	mprof_test_start(test, 1);
	mprof_test_alloc_cache(p, ARRAY_SIZE(p) / 2, c);
	KUNIT_EXPECT_EQ(test, mprof_test_alloc_bulk(p + ARRAY_SIZE(p) / 2,
						    ARRAY_SIZE(p) / 2, c), 0);
	s = mprof_test_sum("mprof_test_alloc_cache");
	KUNIT_EXPECT_EQ(test, s.inuse, ARRAY_SIZE(p) / 2);
	KUNIT_EXPECT_EQ(test, s.inuse_bytes,
			ARRAY_SIZE(p) / 2 * mprof_test_bytes(p[0], 200));
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_alloc_bulk").inuse,
			ARRAY_SIZE(p) / 2);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		goslab_cache_free(c, p[i]);
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_alloc_cache").inuse, 0);
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_alloc_bulk").inuse, 0);
	goslab_cache_destroy(c);
}

/*
 * At 2 KiB per sample, 10000 objects of 64 bytes: each is sampled with
 * probability 1 - exp(-64 / 2048) = 0.03077, 308 samples expected (the
 * standard deviation is 17.3); within 25%.  Every one is freed again.
 */
static void mprof_test_rate(struct kunit *test)
{
	const unsigned int n = 10000, per = 500, want = 308;
	struct mprof_test_sum s;
	void **p;
	unsigned int i;

	p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	mprof_test_start(test, 2048);
	for (i = 0; i < n; i += per)
		mprof_test_alloc_a(p + i, per, 64);
	KUNIT_ASSERT_NOT_NULL(test, p[n - 1]);
	s = mprof_test_sum("mprof_test_alloc_a");
	KUNIT_EXPECT_GE(test, s.allocs, want * 3 / 4);
	KUNIT_EXPECT_LE(test, s.allocs, want * 5 / 4);
	KUNIT_EXPECT_EQ(test, s.alloc_bytes, s.allocs * mprof_test_bytes(p[0], 64));
	KUNIT_EXPECT_EQ(test, s.inuse, s.allocs);
	mprof_test_free(p, n);
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_alloc_a").inuse, 0);
}

/*
 * Stopping forgets the objects still in use: their spans count none
 * after, their frees count nothing, and a new profile starts empty.
 */
static void mprof_test_stop(struct kunit *test)
{
	void *p[MPROF_TEST_N];
	unsigned int i;

	mprof_test_start(test, 1);
	mprof_test_alloc_a(p, ARRAY_SIZE(p), 96);
	KUNIT_ASSERT_NOT_NULL(test, p[ARRAY_SIZE(p) - 1]);
	KUNIT_EXPECT_GT(test, READ_ONCE(span_of(p[0])->nsampled), 0);
	mprof_test_start(test, 1);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		KUNIT_EXPECT_EQ(test, READ_ONCE(span_of(p[i])->nsampled), 0);
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_alloc_a").allocs, 0);
	mprof_test_free(p, ARRAY_SIZE(p));
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_alloc_a").allocs, 0);

	mprof_test_alloc_b(p, 1, 96);
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_alloc_b").inuse, 1);
	mprof_test_free(p, 1);
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_alloc_b").inuse, 0);
}

/*
 * A read of debugfs "profile" takes the rate once, then the buckets one
 * by one: a profile started anew meanwhile, even at another rate, must
 * end the read, or its buckets would be printed under the old rate (and
 * scaled by it).
 */
static void mprof_test_restart_read(struct kunit *test)
{
	struct gs_mprof_bucket b;
	void *p[MPROF_TEST_N];
	unsigned long gen;

	mprof_test_start(test, 1);
	mprof_test_alloc_a(p, ARRAY_SIZE(p), 64);
	KUNIT_ASSERT_NOT_NULL(test, p[ARRAY_SIZE(p) - 1]);
	gen = READ_ONCE(gs_mprof.gen);
	KUNIT_EXPECT_TRUE(test, gs_mprof_bucket_read(0, gen, &b));
	mprof_test_free(p, ARRAY_SIZE(p));

	/* Started anew at another rate, and sampling again. */
	mprof_test_start(test, 2);
	mprof_test_alloc_b(p, ARRAY_SIZE(p), 64);
	KUNIT_ASSERT_NOT_NULL(test, p[ARRAY_SIZE(p) - 1]);
	KUNIT_EXPECT_GT(test, mprof_test_sum("mprof_test_alloc_b").allocs, 0);
	KUNIT_EXPECT_FALSE(test, gs_mprof_bucket_read(0, gen, &b));
	/* And at the same rate: still another profile. */
	mprof_test_start(test, 1);
	mprof_test_free(p, ARRAY_SIZE(p));
	mprof_test_alloc_b(p, ARRAY_SIZE(p), 64);
	KUNIT_EXPECT_FALSE(test, gs_mprof_bucket_read(0, gen, &b));
	mprof_test_free(p, ARRAY_SIZE(p));
}

/*
 * The allocator's own frames are found by name once; so are the other
 * return addresses in goslab (its own callers of goslab_alloc(), these
 * tests), which are no less frequent.  The tables are emptied first (a
 * full one would only cost the lookups again).
 */
static void mprof_test_sites(struct kunit *test)
{
	unsigned long own = (unsigned long)gs_mprof_record + 1;
	unsigned long other = (unsigned long)mprof_test_alloc_a + 1;
	unsigned int i;

	for (i = 0; i < GS_MPROF_SITES; i++) {
		WRITE_ONCE(gs_mprof_sites[i], 0);
		WRITE_ONCE(gs_mprof_other_sites[i], 0);
	}
	KUNIT_EXPECT_TRUE(test, gs_mprof_internal(own));
	KUNIT_EXPECT_TRUE(test, gs_mprof_site_known(gs_mprof_sites, own));
	KUNIT_EXPECT_FALSE(test, gs_mprof_internal(other));
	KUNIT_EXPECT_TRUE(test, gs_mprof_site_known(gs_mprof_other_sites, other));
	KUNIT_EXPECT_FALSE(test, gs_mprof_site_known(gs_mprof_sites, other));
	/* Found again in the tables, the same. */
	KUNIT_EXPECT_TRUE(test, gs_mprof_internal(own));
	KUNIT_EXPECT_FALSE(test, gs_mprof_internal(other));
	KUNIT_EXPECT_FALSE(test, gs_mprof_internal((unsigned long)kfree));
}

/*
 * A free that found its span holding sampled objects may stall before it
 * takes the lock (an NMI's deferred free runs until gs_nmi_flush(), after
 * gs_mprof_exit()): the tables freed meanwhile, it must count nothing,
 * and find no tables rather than freed ones.
 */
static void mprof_test_exit_stalled_free(struct kunit *test)
{
	struct mspan *s;
	void *p;

	mprof_test_start(test, 1);
	mprof_test_alloc_a(&p, 1, 96);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = span_of(p);
	KUNIT_ASSERT_GT(test, READ_ONCE(s->nsampled), 0);

	gs_mprof_exit();
	KUNIT_EXPECT_NULL(test, READ_ONCE(gs_mprof.t));
	__gs_mprof_free(s, p);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->nsampled), 0);

	/* Up again, as after gs_mprof_init(), for the next cases. */
	mutex_lock(&gs_mprof_mutex);
	gs_mprof_ready = true;
	mutex_unlock(&gs_mprof_mutex);
	goslab_free(p);
}

/*
 * debugfs "profile" is made a record at a time: the header, then each
 * bucket of the profile the header took, and no more once another one
 * started.
 */
static void mprof_test_read_records(struct kunit *test)
{
	struct gs_mprof_iter it = {};
	struct seq_file m = { .private = &it, .size = PAGE_SIZE };
	unsigned int n = 0;
	void *p[MPROF_TEST_N], *v;
	loff_t pos = 0;

	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	mprof_test_start(test, 1);
	mprof_test_alloc_a(p, ARRAY_SIZE(p) / 2, 64);
	mprof_test_alloc_b(p + ARRAY_SIZE(p) / 2, ARRAY_SIZE(p) / 2, 64);
	KUNIT_ASSERT_NOT_NULL(test, p[ARRAY_SIZE(p) - 1]);

	v = gs_mprof_seq_start(&m, &pos);
	KUNIT_ASSERT_PTR_EQ(test, v, SEQ_START_TOKEN);
	KUNIT_EXPECT_EQ(test, gs_mprof_seq_show(&m, v), 0);
	KUNIT_EXPECT_TRUE(test, str_has_prefix(m.buf, "goslab-profile 1\nrate 1\n"));
	for (v = gs_mprof_seq_next(&m, v, &pos); v;
	     v = gs_mprof_seq_next(&m, v, &pos)) {
		m.count = 0;
		KUNIT_EXPECT_EQ(test, gs_mprof_seq_show(&m, v), 0);
		KUNIT_EXPECT_EQ(test, m.buf[0], '@');
		n++;
	}
	gs_mprof_seq_stop(&m, v);
	KUNIT_EXPECT_GE(test, n, 2);
	KUNIT_EXPECT_EQ(test, n, READ_ONCE(gs_mprof.nbuckets));
	/* Read again from bucket 0: the same profile's, until it restarts. */
	pos = 1;
	KUNIT_EXPECT_NOT_NULL(test, gs_mprof_seq_start(&m, &pos));
	mprof_test_start(test, 1);
	mprof_test_free(p, ARRAY_SIZE(p));
	mprof_test_alloc_a(p, ARRAY_SIZE(p), 64);
	KUNIT_EXPECT_NULL(test, gs_mprof_seq_next(&m, &it, &pos));
	KUNIT_EXPECT_NULL(test, gs_mprof_seq_start(&m, &pos));
	mprof_test_free(p, ARRAY_SIZE(p));
}

/* Records of @t whose object is in span @s (under gs_mprof.lock). */
static unsigned int mprof_test_span_records(struct gs_mprof_tables *t,
					    struct mspan *s)
{
	unsigned int h, n = 0;
	u32 i;

	for (h = 0; h < GS_MPROF_OBJECTS; h++)
		for (i = t->object_hash[h]; i != GS_MPROF_NONE;
		     i = t->special[i].next)
			n += span_of((void *)~t->special[i].addr) == s;
	return n;
}

/*
 * The tables' invariants, under the lock: each record is on one hash
 * chain or on the free list, once, and points at a bucket in use; and,
 * when there are few records, each one's span counts exactly those in it.
 *
 * Return: the records in use.
 */
static unsigned int mprof_test_check_tables(struct kunit *test)
{
	unsigned int nrec = 0, nfree = 0, dup = 0, bad = 0, h;
	struct gs_mprof_tables *t = gs_mprof.t;
	unsigned long *seen, flags;
	struct mspan *s;
	u32 i;

	seen = kunit_kzalloc(test, BITS_TO_LONGS(GS_MPROF_OBJECTS) *
			     sizeof(long), GFP_KERNEL);
	if (!seen || !t) {
		KUNIT_FAIL(test, "no memory, or no tables");
		return 0;
	}
	raw_spin_lock_irqsave(&gs_mprof.lock, flags);
	for (h = 0; h < GS_MPROF_OBJECTS && !dup; h++) {
		for (i = t->object_hash[h]; i != GS_MPROF_NONE && !dup;
		     i = t->special[i].next) {
			dup += __test_and_set_bit(i, seen);
			bad += t->special[i].bucket >= gs_mprof.nbuckets;
			nrec++;
		}
	}
	for (i = gs_mprof.free; i != GS_MPROF_NONE && !dup;
	     i = t->special[i].next) {
		dup += __test_and_set_bit(i, seen);
		nfree++;
	}
	for (h = 0; !dup && nrec <= 64 && h < GS_MPROF_OBJECTS; h++) {
		for (i = t->object_hash[h]; i != GS_MPROF_NONE;
		     i = t->special[i].next) {
			s = span_of((void *)~t->special[i].addr);
			bad += mprof_test_span_records(t, s) != s->nsampled;
		}
	}
	raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
	KUNIT_EXPECT_EQ(test, dup, 0);
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, nrec + nfree, GS_MPROF_OBJECTS);
	return nrec;
}

#define MPROF_CHURN_BATCH	32
#define MPROF_CHURN_SWAP	16

/*
 * What the churn's threads share: the objects each hands the other to
 * free (so that frees race allocations on another CPU), and the stop.
 */
struct mprof_churn {
	void *swap[MPROF_CHURN_SWAP];
	atomic_t rounds;
};

static noinline void mprof_test_churn_alloc(void **p, unsigned int n,
					    unsigned int round)
{
	static const size_t sizes[] = { 4, 12, 64, 200, 3000, 40000 };
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = goslab_alloc(sizes[(round + i) % ARRAY_SIZE(sizes)],
				    GFP_KERNEL | __GFP_NOWARN);
}

static int mprof_test_churn_fn(void *arg)
{
	struct mprof_churn *ch = arg;
	void *p[MPROF_CHURN_BATCH];
	unsigned int round = 0, i;

	while (!kthread_should_stop()) {
		mprof_test_churn_alloc(p, ARRAY_SIZE(p), round++);
		/* Half to the other thread, whose leftovers this one frees. */
		for (i = 0; i < ARRAY_SIZE(p); i += 2)
			goslab_free(xchg(&ch->swap[(round + i) % MPROF_CHURN_SWAP],
					 p[i]));
		for (i = 1; i < ARRAY_SIZE(p); i += 2)
			goslab_free(p[i]);
		atomic_inc(&ch->rounds);
		cond_resched();
	}
	return 0;
}

/*
 * Start, stop and rate changes while two threads on two CPUs allocate
 * in every tier and free each other's objects: the tables stay whole,
 * a stop leaves no record and no span count behind, and a profile at
 * rate 1 through the churn sees every object it sampled freed.
 */
static void mprof_test_churn(struct kunit *test)
{
	static const unsigned int rates[] = { 1, 0, 4096, 1, 64, 0, 1 };
	struct task_struct *k[2];
	struct mprof_churn *ch;
	unsigned int i, r;
	int ret;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	ch = kunit_kzalloc(test, sizeof(*ch), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ch);
	mprof_test_start(test, 1);
	for (i = 0; i < ARRAY_SIZE(k); i++) {
		k[i] = kthread_create(mprof_test_churn_fn, ch, "mprof_churn%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(k[i]));
		kthread_bind(k[i], cpumask_nth(i, cpu_online_mask));
		get_task_struct(k[i]);
		wake_up_process(k[i]);
	}
	for (r = 0; r < 8 * ARRAY_SIZE(rates); r++) {
		i = atomic_read(&ch->rounds);
		/* Each rate for a few rounds of both threads. */
		while (atomic_read(&ch->rounds) < i + 4)
			usleep_range(1000, 2000);
		mutex_lock(&gs_mprof_mutex);
		ret = gs_mprof_set_rate(rates[r % ARRAY_SIZE(rates)]);
		mutex_unlock(&gs_mprof_mutex);
		KUNIT_EXPECT_EQ(test, ret, 0);
		if (!gs_mprof.rate) {
			/* Stopped: nothing left, not even a span count. */
			KUNIT_EXPECT_EQ(test, gs_mprof.nbuckets, 0);
			KUNIT_EXPECT_EQ(test, mprof_test_check_tables(test), 0);
		}
	}
	/* The last rate is 1: every object the threads make is sampled. */
	KUNIT_EXPECT_EQ(test, gs_mprof.rate, 1);
	i = atomic_read(&ch->rounds);
	while (atomic_read(&ch->rounds) < i + 8)
		usleep_range(1000, 2000);
	for (i = 0; i < ARRAY_SIZE(k); i++) {
		kthread_stop(k[i]);
		put_task_struct(k[i]);
	}
	for (i = 0; i < MPROF_CHURN_SWAP; i++)
		goslab_free(xchg(&ch->swap[i], NULL));
	mprof_test_check_tables(test);
	KUNIT_EXPECT_GT(test, mprof_test_sum("mprof_test_churn_alloc").allocs, 0);
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_churn_alloc").inuse, 0);
	KUNIT_EXPECT_EQ(test, mprof_test_sum("mprof_test_churn_alloc").inuse_bytes, 0);
}

static struct kunit_case mprof_test_cases[] = {
	KUNIT_CASE(mprof_test_exprand),
	KUNIT_CASE(mprof_test_two_stacks),
	KUNIT_CASE(mprof_test_tiers),
	KUNIT_CASE(mprof_test_rate),
	KUNIT_CASE(mprof_test_stop),
	KUNIT_CASE(mprof_test_churn),
	KUNIT_CASE(mprof_test_restart_read),
	KUNIT_CASE(mprof_test_read_records),
	KUNIT_CASE(mprof_test_exit_stalled_free),
	KUNIT_CASE(mprof_test_sites),
	{}
};

static struct kunit_suite mprof_test_suite = {
	.name = "goslab_mprof_internal",
	.init = mprof_test_init,
	.exit = mprof_test_exit,
	.test_cases = mprof_test_cases,
};

kunit_test_suite(mprof_test_suite);

#endif /* _GOSLAB_MPROF_KUNIT_H */
