/* SPDX-License-Identifier: GPL-2.0 */
/*
 * White-box tests of the page heap's runs (mheap.c) and of giving them
 * back (mgcscavenge.c), in goslab.ko's test build only: mheap.c includes
 * this file at its bottom under GOSLAB_TEST, so the cases call its static
 * functions.
 *
 * Each case works on a heap of its own (struct mheap, from the case's
 * init), with chunks of its own from chunk_create(), and the case's exit
 * gives every page of them back to the kernel, whatever the case did: the
 * allocator's heap, mheap, is never touched, so the cases disturb neither
 * the allocator nor the tests after them.  The cases hold the heap's lock
 * where its functions want it held (lockdep checks), report outside it,
 * and read the heap's fields without it: nothing else knows their heap.
 */
#ifndef _GOSLAB_MHEAP_KUNIT_H
#define _GOSLAB_MHEAP_KUNIT_H

#include <kunit/test.h>

/* Heap pages a case asks chunk_create() for; a chunk may have more. */
#define MHEAP_TEST_PAGES	16

static int mheap_test_init(struct kunit *test)
{
	struct mheap *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);

	if (!h)
		return -ENOMEM;
	spin_lock_init(&h->lock);
	INIT_LIST_HEAD(&h->chunks);
	INIT_LIST_HEAD(&h->large);
	INIT_LIST_HEAD(&h->huge_dying);
	test->priv = h;
	return 0;
}

/*
 * Every page the case left in a run goes back, then every page at all.
 * Also after a failed init.
 */
static void mheap_test_exit(struct kunit *test)
{
	struct mheap *h = test->priv;
	unsigned long flags, idx;
	struct mchunk *ch;

	if (!h)
		return;
	spin_lock_irqsave(&h->lock, flags);
	list_for_each_entry(ch, &h->chunks, list)
		for_each_set_bit(idx, ch->busy, ch->npages)
			if (!test_bit(idx, ch->released))
				heap_put(h, ch, idx, 1);
	spin_unlock_irqrestore(&h->lock, flags);
	__mheap_release(h, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&h->chunks));
	KUNIT_EXPECT_EQ(test, h->nchunks, 0);
	KUNIT_EXPECT_EQ(test, h->held, 0);
	KUNIT_EXPECT_EQ(test, h->free, 0);
	KUNIT_EXPECT_EQ(test, h->inuse, 0);
}

/* A new chunk for the case's heap, added as mheap_alloc_span() adds one. */
static struct mchunk *mheap_test_grow(struct kunit *test)
{
	struct mheap *h = test->priv;
	unsigned long flags;
	struct mchunk *ch;

	ch = chunk_create(MHEAP_TEST_PAGES, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ch);
	spin_lock_irqsave(&h->lock, flags);
	chunk_add(h, ch);
	spin_unlock_irqrestore(&h->lock, flags);
	KUNIT_ASSERT_GE(test, ch->npages, MHEAP_TEST_PAGES);
	return ch;
}

/*
 * heap_take() of @npages: the index of the run's first page, in the chunk
 * that must hold it, or -1 if the heap has no such run; @ch NULL: no run
 * is expected.
 */
static long mheap_test_take(struct kunit *test, unsigned int npages,
			    struct mchunk *ch)
{
	struct mheap *h = test->priv;
	struct mchunk *got = NULL;
	unsigned long flags, base;

	spin_lock_irqsave(&h->lock, flags);
	base = heap_take(h, npages, &got);
	spin_unlock_irqrestore(&h->lock, flags);
	KUNIT_EXPECT_PTR_EQ_MSG(test, got, ch, "run of %u pages in another chunk",
				npages);
	if (!base)
		return -1;
	KUNIT_EXPECT_EQ(test, base & (GS_PAGE_SIZE - 1), 0);
	return (base - got->base) >> GS_PAGE_SHIFT;
}

static void mheap_test_put(struct kunit *test, struct mchunk *ch,
			   unsigned long idx, unsigned long npages)
{
	struct mheap *h = test->priv;
	unsigned long flags;

	spin_lock_irqsave(&h->lock, flags);
	heap_put(h, ch, idx, npages);
	spin_unlock_irqrestore(&h->lock, flags);
}

/*
 * The books of the case's heap agree with its bitmaps: each chunk's
 * @nfree counts its clear busy bits and @nheld its clear released bits, a
 * page given back is busy too, and the heap's counters are the sums, in
 * kernel pages: free in runs, held (not given back), in use (held, not
 * free), chunks.
 */
static void mheap_test_books(struct kunit *test)
{
	unsigned long flags, nfree = 0, nheld = 0, nchunks = 0;
	unsigned long bad_free = 0, bad_held = 0, bad_hole = 0;
	unsigned long free, held, inuse, chunks;
	struct mheap *h = test->priv;
	struct mchunk *ch;

	spin_lock_irqsave(&h->lock, flags);
	list_for_each_entry(ch, &h->chunks, list) {
		bad_free += ch->nfree !=
			    ch->npages - bitmap_weight(ch->busy, ch->npages);
		bad_held += ch->nheld !=
			    ch->npages - bitmap_weight(ch->released, ch->npages);
		bad_hole += !bitmap_subset(ch->released, ch->busy, ch->npages);
		nfree += ch->nfree;
		nheld += ch->nheld;
		nchunks++;
	}
	free = h->free;
	held = h->held;
	inuse = h->inuse;
	chunks = h->nchunks;
	spin_unlock_irqrestore(&h->lock, flags);

	KUNIT_EXPECT_EQ_MSG(test, bad_free, 0, "chunks whose nfree is wrong");
	KUNIT_EXPECT_EQ_MSG(test, bad_held, 0, "chunks whose nheld is wrong");
	KUNIT_EXPECT_EQ_MSG(test, bad_hole, 0, "chunks with a page given back but free");
	KUNIT_EXPECT_EQ(test, free, nfree * GS_KPAGES);
	KUNIT_EXPECT_EQ(test, held, nheld * GS_KPAGES);
	KUNIT_EXPECT_EQ(test, inuse, (nheld - nfree) * GS_KPAGES);
	KUNIT_EXPECT_EQ(test, chunks, nchunks);
}

/* Whether page @idx of @ch was given back to the kernel. */
static bool mheap_test_released(struct kunit *test, struct mchunk *ch,
				unsigned long idx)
{
	struct mheap *h = test->priv;
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&h->lock, flags);
	ret = test_bit(idx, ch->released) && test_bit(idx, ch->busy);
	spin_unlock_irqrestore(&h->lock, flags);
	return ret;
}

/*
 * A run freed between two free runs joins both: the three are one run,
 * which one heap_take() of their length gets whole, where before it no
 * run of even half that length was there.
 */
static void mheap_test_coalesce(struct kunit *test)
{
	struct mchunk *ch = mheap_test_grow(test);
	unsigned long rest = ch->npages - 8;

	/* A | B | C | D | the rest: the chunk is full. */
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, 2, ch), 0);
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, 3, ch), 2);
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, 2, ch), 5);
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, 1, ch), 7);
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, rest, ch), 8);
	KUNIT_EXPECT_EQ(test, ch->nfree, 0);
	mheap_test_books(test);

	/* A and C free: two runs of 2, B busy between them. */
	mheap_test_put(test, ch, 0, 2);
	mheap_test_put(test, ch, 5, 2);
	KUNIT_EXPECT_EQ(test, mheap_test_take(test, 3, NULL), -1);
	mheap_test_books(test);

	/* B free: A, B and C are one run of 7, from page 0. */
	mheap_test_put(test, ch, 2, 3);
	mheap_test_books(test);
	KUNIT_EXPECT_EQ(test, ch->nfree, 7);
	KUNIT_EXPECT_EQ(test, mheap_test_take(test, 7, ch), 0);
	KUNIT_EXPECT_EQ(test, mheap_test_take(test, 1, NULL), -1);

	/* D and the rest, at the chunk's end, join too. */
	mheap_test_put(test, ch, 8, rest);
	mheap_test_put(test, ch, 7, 1);
	KUNIT_EXPECT_EQ(test, mheap_test_take(test, rest + 1, ch), 7);
	mheap_test_books(test);
}

/* Runs a case holds at once, at most. */
#define MHEAP_TEST_RUNS		32

struct mheap_test_run {
	struct mchunk *ch;
	unsigned long idx;
	unsigned long n;
};

/*
 * The counters follow every take, put and release exactly, over a mixed
 * sequence on two chunks, and pages held plus pages given back stay what
 * the chunks brought.
 */
static void mheap_test_counters(struct kunit *test)
{
	unsigned long total, free, inuse, held, released, got, base;
	struct mheap *h = test->priv;
	unsigned int i, j, n, nruns = 0;
	struct mheap_test_run *runs;
	struct mchunk *a, *b, *ch;
	u32 seed = 1;

	runs = kunit_kcalloc(test, MHEAP_TEST_RUNS, sizeof(*runs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, runs);
	a = mheap_test_grow(test);
	b = mheap_test_grow(test);
	total = (unsigned long)(a->npages + b->npages) * GS_KPAGES;
	KUNIT_EXPECT_EQ(test, h->held, total);
	KUNIT_EXPECT_EQ(test, h->free, total);
	KUNIT_EXPECT_EQ(test, h->nchunks, 2);

	for (i = 0; i < 200; i++) {
		seed = seed * 1103515245 + 12345;
		n = 1 + (seed >> 16) % 5;
		free = h->free;
		inuse = h->inuse;
		held = h->held;
		released = h->released;
		if (i % 16 == 15) {
			/* One heap page back to the kernel. */
			got = __mheap_release(h, free - GS_KPAGES);
			KUNIT_EXPECT_EQ(test, got, free ? GS_KPAGES : 0);
			KUNIT_EXPECT_EQ(test, h->free, free - got);
			KUNIT_EXPECT_EQ(test, h->held, held - got);
			KUNIT_EXPECT_EQ(test, h->released, released + got);
		} else if ((seed >> 8) & 1 && nruns) {
			/* Put a run back: any of them. */
			j = (seed >> 20) % nruns;
			mheap_test_put(test, runs[j].ch, runs[j].idx, runs[j].n);
			KUNIT_EXPECT_EQ(test, h->free,
					free + runs[j].n * GS_KPAGES);
			KUNIT_EXPECT_EQ(test, h->inuse,
					inuse - runs[j].n * GS_KPAGES);
			runs[j] = runs[--nruns];
		} else if (nruns < MHEAP_TEST_RUNS) {
			spin_lock_irq(&h->lock);
			base = heap_take(h, n, &ch);
			spin_unlock_irq(&h->lock);
			if (!base) {
				KUNIT_EXPECT_EQ(test, h->free, free);
				continue;
			}
			runs[nruns].ch = ch;
			runs[nruns].idx = (base - ch->base) >> GS_PAGE_SHIFT;
			runs[nruns++].n = n;
			KUNIT_EXPECT_EQ(test, h->free, free - n * GS_KPAGES);
			KUNIT_EXPECT_EQ(test, h->inuse, inuse + n * GS_KPAGES);
		}
		KUNIT_EXPECT_EQ(test, h->held + h->released, total);
		mheap_test_books(test);
		/* One failure is enough: its cause is in the first report. */
		if (test->status == KUNIT_FAILURE)
			break;
	}
}

/*
 * A page given back is a hole: the scavenger gives back the newest
 * chunk's lowest free page first, the page stays busy, a run freed beside
 * it does not merge across it, and a chunk whose every page went back is
 * freed whole.
 */
static void mheap_test_release(struct kunit *test)
{
	struct mheap *h = test->priv;
	struct mchunk *old, *new;
	unsigned long newpages;

	old = mheap_test_grow(test);
	new = mheap_test_grow(test);
	newpages = new->npages;

	/* Both chunks full: old in one run, new in four. */
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, old->npages, old), 0);
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, 2, new), 0);
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, 2, new), 2);
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, 2, new), 4);
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, newpages - 6, new), 6);

	/* Free: old whole, and new's pages 2 to 5. */
	mheap_test_put(test, old, 0, old->npages);
	mheap_test_put(test, new, 2, 2);
	mheap_test_put(test, new, 4, 2);

	/* One page back: the newest chunk's first free one, page 2. */
	KUNIT_EXPECT_EQ(test, __mheap_release(h, h->free - GS_KPAGES), GS_KPAGES);
	KUNIT_EXPECT_TRUE(test, mheap_test_released(test, new, 2));
	KUNIT_EXPECT_EQ(test, old->nheld, old->npages);
	KUNIT_EXPECT_EQ(test, new->nheld, newpages - 1);
	KUNIT_EXPECT_EQ(test, new->nfree, 3);
	KUNIT_EXPECT_EQ(test, h->released, GS_KPAGES);
	mheap_test_books(test);

	/* First fit takes old whole again; new's run is 3 long, after the hole. */
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, old->npages, old), 0);
	KUNIT_EXPECT_EQ(test, mheap_test_take(test, 4, NULL), -1);
	KUNIT_ASSERT_EQ(test, mheap_test_take(test, 3, new), 3);
	mheap_test_put(test, new, 3, 3);

	/* Pages 0 and 1 free beside the hole: two runs, not one of 6. */
	mheap_test_put(test, new, 0, 2);
	KUNIT_EXPECT_EQ(test, mheap_test_take(test, 4, NULL), -1);
	KUNIT_EXPECT_EQ(test, new->nfree, 5);
	mheap_test_books(test);

	/* All of new free but the hole: given back, it is freed whole. */
	mheap_test_put(test, new, 6, newpages - 6);
	KUNIT_EXPECT_EQ(test, __mheap_release(h, 0), (newpages - 1) * GS_KPAGES);
	KUNIT_EXPECT_EQ(test, h->nchunks, 1);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&h->chunks, struct mchunk,
						   list), old);
	KUNIT_EXPECT_TRUE(test, list_is_singular(&h->chunks));
	KUNIT_EXPECT_EQ(test, h->released, newpages * GS_KPAGES);
	KUNIT_EXPECT_EQ(test, h->held, old->npages * GS_KPAGES);
	KUNIT_EXPECT_EQ(test, h->free, 0);
	mheap_test_books(test);
}

static struct kunit_case mheap_test_cases[] = {
	KUNIT_CASE(mheap_test_coalesce),
	KUNIT_CASE(mheap_test_counters),
	KUNIT_CASE(mheap_test_release),
	{}
};

static struct kunit_suite mheap_test_suite = {
	.name = "goslab_mheap_internal",
	.init = mheap_test_init,
	.exit = mheap_test_exit,
	.test_cases = mheap_test_cases,
};

kunit_test_suites(&mheap_test_suite);

#endif /* _GOSLAB_MHEAP_KUNIT_H */
