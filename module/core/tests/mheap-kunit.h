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
	h->chunk_tree = RB_ROOT;
	INIT_LIST_HEAD(&h->large);
	h->huge = RB_ROOT;
	INIT_LIST_HEAD(&h->huge_dying);
	test->priv = h;
	return 0;
}

/*
 * Every page the case left in a run goes back, no longer pointing at a
 * span of the case's, then every page at all.  Also after a failed init.
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
			if (!test_bit(idx, ch->released)) {
				set_span_of((void *)chunk_addr(ch, idx),
					    GS_KPAGES, NULL);
				heap_put(h, ch, idx, 1);
			}
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

/*
 * debugfs "spans" of the case's heap: @n chunks, each filled with one-page
 * runs, every other one put back: a run per page, more than a batch.  Of
 * the runs kept, the even ones are large spans and the odd ones spans of
 * the 8-byte class (struct mspan of the case's own, which the pages point
 * at until mheap_test_exit()).
 */
static void mheap_test_striped(struct kunit *test, struct mchunk **ch,
			       unsigned int n)
{
	unsigned long idx;
	struct mspan *s;
	unsigned int i;

	for (i = 0; i < n; i++)
		ch[i] = mheap_test_grow(test);
	/* First fit: all of each chunk, before any page is free again. */
	for (i = 0; i < n; i++)
		for (idx = 0; idx < ch[i]->npages; idx++)
			KUNIT_ASSERT_EQ(test, mheap_test_take(test, 1, ch[i]), idx);
	for (i = 0; i < n; i++) {
		for (idx = 1; idx < ch[i]->npages; idx += 2)
			mheap_test_put(test, ch[i], idx, 1);
		for (idx = 0; idx < ch[i]->npages; idx += 2) {
			s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, s);
			s->base = (void *)chunk_addr(ch[i], idx);
			s->npages = 1;
			s->chunk = ch[i];
			s->state = idx % 4 ? MSPAN_SMALL : MSPAN_LARGE;
			s->central = &gs_classes[1];
			set_span_of(s->base, GS_KPAGES, s);
		}
	}
}

#define MHEAP_TEST_OUT	SZ_128K

/* Append to @buf, of MHEAP_TEST_OUT bytes, filled to *@len. */
static __printf(3, 4) void mheap_test_append(char *buf, size_t *len,
					     const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	*len += vscnprintf(buf + *len, MHEAP_TEST_OUT - *len, fmt, args);
	va_end(args);
}

/* The version and column lines. */
static void mheap_test_header(char *buf, size_t *len)
{
	mheap_test_append(buf, len, "goslab-spans 1\n%s\n",
			  "chunk page npages state owner elemsize nelems nalloc white grey black");
}

/* The line of page @idx of a chunk mheap_test_striped() made. */
static void mheap_test_striped_line(char *buf, size_t *len, unsigned long ci,
				    unsigned long idx, bool released)
{
	if (released)
		mheap_test_append(buf, len, "%lu %lu 1 released\n", ci, idx);
	else if (idx % 2)
		mheap_test_append(buf, len, "%lu %lu 1 free\n", ci, idx);
	else if (idx % 4)
		mheap_test_append(buf, len, "%lu %lu 1 class 8 8 %u 0\n", ci,
				  idx, gs_classes[1].nelems);
	else
		mheap_test_append(buf, len, "%lu %lu 1 large\n", ci, idx);
}

/*
 * Whether this task holds @h's lock, as lockdep sees it (every test
 * kernel has lockdep; without it, never).
 */
static bool mheap_test_holds(struct mheap *h)
{
	return IS_ENABLED(CONFIG_LOCKDEP) && lockdep_is_held(&h->lock);
}

/**
 * struct mheap_test_reader - a read of "spans", as seq_read() does it
 * @it: the walk
 * @out: what was read
 * @len: bytes in @out
 * @size: seq_file buffer size to start with; doubled on overflow
 * @holds: batches shown, each under one hold of the heap lock
 * @overflows: batches shown again in a larger buffer
 * @most: the most nodes one batch looked at (spans_visit())
 * @between: called between two batches, the lock not held, or NULL
 */
struct mheap_test_reader {
	struct mheap_spans it;
	char *out;
	size_t len;
	size_t size;
	unsigned int holds;
	unsigned int overflows;
	unsigned int most;
	void (*between)(struct kunit *test, unsigned int holds);
};

/*
 * Read "spans" of the case's heap through the seq_file operations, in the
 * order seq_read() calls them: a record that overflowed the buffer is
 * shown again from the same position in one twice as large, and every
 * other record ends a read() (stop, then start at the position reached).
 * The heap lock must be dropped whenever an operation returns, and no
 * batch may hold more than GS_SPANS_BATCH runs.
 */
static void mheap_test_read(struct kunit *test, struct mheap_test_reader *r)
{
	struct seq_file m = { .private = &r->it };
	unsigned int lines, i;
	loff_t index = 0;
	void *p;

	r->it.h = test->priv;
	r->it.show = mcentral_show_span;
	mheap_spans_reset(&r->it);
	r->out = kunit_kzalloc(test, MHEAP_TEST_OUT, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->out);
	m.size = r->size;
	m.buf = kunit_kmalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);

	for (p = mheap_spans_ops.start(&m, &index); p;) {
		m.count = 0;
		r->it.visited = 0;
		KUNIT_ASSERT_EQ(test, mheap_spans_ops.show(&m, p), 0);
		r->most = max(r->most, r->it.visited);
		KUNIT_EXPECT_FALSE(test, mheap_test_holds(r->it.h));
		if (seq_has_overflowed(&m)) {
			mheap_spans_ops.stop(&m, p);
			m.size *= 2;
			m.buf = kunit_kmalloc(test, m.size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, m.buf);
			r->overflows++;
			p = mheap_spans_ops.start(&m, &index);
			continue;
		}
		for (i = 0, lines = 0; i < m.count; i++)
			lines += m.buf[i] == '\n';
		/* The first batch starts with the version and column lines. */
		KUNIT_EXPECT_LE(test, lines, GS_SPANS_BATCH + (r->holds ? 0 : 2));
		KUNIT_ASSERT_LT(test, r->len + m.count, MHEAP_TEST_OUT);
		memcpy(r->out + r->len, m.buf, m.count);
		r->len += m.count;
		r->holds++;
		p = mheap_spans_ops.next(&m, p, &index);
		if (p && r->holds % 2) {
			mheap_spans_ops.stop(&m, p);
			p = mheap_spans_ops.start(&m, &index);
		}
		if (p && r->between)
			r->between(test, r->holds);
	}
	mheap_spans_ops.stop(&m, p);
	KUNIT_EXPECT_FALSE(test, mheap_test_holds(r->it.h));
	/* At the end, a read finds nothing more. */
	KUNIT_EXPECT_NULL(test, mheap_spans_ops.start(&m, &index));
}

/*
 * A huge span of the case's heap, added as mhuge.c adds one: a struct
 * only, at a made-up address of its own in the vmalloc area, @npages
 * telling its line apart.  Nothing follows its address.
 */
static void mheap_test_add_huge(struct kunit *test, unsigned int npages)
{
	struct mheap *h = test->priv;
	unsigned long flags;
	struct mspan *s;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->base = (void *)(VMALLOC_START + (unsigned long)npages * SZ_16M);
	s->npages = npages;
	s->state = MSPAN_HUGE;
	spin_lock_irqsave(&h->lock, flags);
	mheap_huge_insert(h, s);
	spin_unlock_irqrestore(&h->lock, flags);
}

/* The first huge span of the case's heap, in the walk's order, goes. */
static void mheap_test_del_huge(struct kunit *test)
{
	struct mheap *h = test->priv;
	unsigned long flags;

	spin_lock_irqsave(&h->lock, flags);
	rb_erase(rb_first(&h->huge), &h->huge);
	spin_unlock_irqrestore(&h->lock, flags);
}

/*
 * Two striped chunks, one page of the second given back, large spans and
 * huge ones: the read shows every run of each chunk in order, then the
 * huge spans alone, in address order, in batches of at most
 * GS_SPANS_BATCH runs with the lock dropped between; with a buffer too
 * small for a batch, the batch is shown again whole.
 */
static void mheap_test_spans_batches(struct kunit *test)
{
	struct mheap *h = test->priv;
	struct mheap_test_reader big = { .size = PAGE_SIZE };
	struct mheap_test_reader tiny = { .size = 32 };
	struct mchunk *ch[2];
	unsigned long ci, idx, runs = 0;
	size_t len = 0;
	unsigned int i;
	struct mspan *s;
	char *want;

	mheap_test_striped(test, ch, 2);
	/* One page back: the newest chunk's lowest free one, page 1. */
	KUNIT_ASSERT_EQ(test, __mheap_release(h, h->free - GS_KPAGES), GS_KPAGES);
	for (i = 0; i < GS_SPANS_BATCH + 6; i++) {
		if (i % 3) {
			mheap_test_add_huge(test, 1000 + i);
			continue;
		}
		s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s);
		s->npages = 1000 + i;
		s->state = MSPAN_LARGE;
		list_add_tail(&s->list, &h->large);
	}

	want = kunit_kzalloc(test, MHEAP_TEST_OUT, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	mheap_test_header(want, &len);
	for (ci = 0; ci < 2; ci++)
		for (idx = 0; idx < ch[ci]->npages; idx++, runs++)
			mheap_test_striped_line(want, &len, ci, idx,
						ci == 1 && idx == 1);
	for (i = 0; i < GS_SPANS_BATCH + 6; i++) {
		if (!(i % 3))
			continue;
		mheap_test_append(want, &len, "- - %u huge\n", 1000 + i);
		runs++;
	}

	mheap_test_read(test, &big);
	mheap_test_read(test, &tiny);
	KUNIT_EXPECT_STREQ(test, big.out, want);
	KUNIT_EXPECT_STREQ(test, tiny.out, want);
	KUNIT_EXPECT_EQ(test, big.overflows, 0);
	KUNIT_EXPECT_GT(test, tiny.overflows, 0);
	/* Every batch but maybe the last is full; the last may be empty. */
	KUNIT_EXPECT_GE(test, big.holds, DIV_ROUND_UP(runs, GS_SPANS_BATCH));
	KUNIT_EXPECT_LE(test, big.holds, runs / GS_SPANS_BATCH + 1);
	KUNIT_EXPECT_EQ(test, tiny.holds, big.holds);

	/* Leave the list as the exit wants it: the spans were the case's. */
	INIT_LIST_HEAD(&h->large);
}

/* The chunk a case of mheap_test_spans_change() removes or adds. */
static struct mchunk *mheap_test_victim;

/*
 * After the first batch, which stops in the first chunk: every page of
 * that chunk goes back to the kernel, which frees it (the walk must not
 * look at it again: KASAN would see), and the other chunks' free pages
 * with them.  After the second, a new chunk.
 */
static void mheap_test_change(struct kunit *test, unsigned int holds)
{
	struct mchunk *ch = mheap_test_victim;
	struct mheap *h = test->priv;
	unsigned long idx, flags;

	if (holds == 2) {
		mheap_test_victim = mheap_test_grow(test);
		return;
	}
	if (holds != 1)
		return;
	spin_lock_irqsave(&h->lock, flags);
	for (idx = 0; idx < ch->npages; idx += 2) {
		set_span_of((void *)chunk_addr(ch, idx), GS_KPAGES, NULL);
		heap_put(h, ch, idx, 1);
	}
	spin_unlock_irqrestore(&h->lock, flags);
	__mheap_release(h, 0);
	KUNIT_EXPECT_EQ(test, h->nchunks, 2);
}

/*
 * Chunks come and go between batches: a chunk freed under a paused walk
 * is never looked at again, the walk going on with the chunk now at its
 * place, numbered as the next; a chunk added shows at the end.  The runs
 * of the chunks read after the change still cover them exactly, in order.
 */
static void mheap_test_spans_change(struct kunit *test)
{
	struct mheap_test_reader r = {
		.size = PAGE_SIZE, .between = mheap_test_change,
	};
	struct mchunk *ch[3];
	unsigned long ci, idx, added;
	size_t len = 0;
	char *want;

	mheap_test_striped(test, ch, 3);
	mheap_test_victim = ch[0];
	KUNIT_ASSERT_GT(test, ch[0]->npages, GS_SPANS_BATCH);

	mheap_test_read(test, &r);
	added = mheap_test_victim->npages;
	want = kunit_kzalloc(test, MHEAP_TEST_OUT, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	mheap_test_header(want, &len);
	/* The first batch: GS_SPANS_BATCH runs of the chunk since freed. */
	for (idx = 0; idx < GS_SPANS_BATCH; idx++)
		mheap_test_striped_line(want, &len, 0, idx, false);
	/* The others', their free pages given back with it. */
	for (ci = 1; ci < 3; ci++)
		for (idx = 0; idx < ch[ci]->npages; idx++)
			mheap_test_striped_line(want, &len, ci, idx, idx % 2);
	mheap_test_append(want, &len, "3 0 %lu free\n", added);
	KUNIT_EXPECT_STREQ(test, r.out, want);
}

/*
 * After the first batch, which stops in the first chunk: that chunk is
 * freed and the next one made gets its struct, at the same address, as
 * kzalloc() readily gives (KASAN's quarantine would not: the case takes
 * the struct off the list and adds it as new, books unchanged).
 */
static void mheap_test_reuse(struct kunit *test, unsigned int holds)
{
	struct mchunk *ch = mheap_test_victim;
	struct mheap *h = test->priv;
	unsigned long flags;

	if (holds != 1)
		return;
	spin_lock_irqsave(&h->lock, flags);
	list_del(&ch->list);
	rb_erase(&ch->node, &h->chunk_tree);
	h->nchunks--;
	h->held -= ch->npages * GS_KPAGES;
	h->free -= ch->npages * GS_KPAGES;
	chunk_add(h, ch);
	spin_unlock_irqrestore(&h->lock, flags);
}

/*
 * The chunk a paused walk stood in is freed and a new chunk gets its
 * address: the walk goes on with the chunks after it, then shows the new
 * one whole at the end, never the chunks in between missed.
 */
static void mheap_test_spans_reused(struct kunit *test)
{
	struct mheap_test_reader r = {
		.size = PAGE_SIZE, .between = mheap_test_reuse,
	};
	struct mchunk *ch[3];
	unsigned long ci, idx;
	size_t len = 0;
	char *want;

	mheap_test_striped(test, ch, 3);
	mheap_test_victim = ch[0];
	KUNIT_ASSERT_GT(test, ch[0]->npages, GS_SPANS_BATCH);

	mheap_test_read(test, &r);
	want = kunit_kzalloc(test, MHEAP_TEST_OUT, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	mheap_test_header(want, &len);
	for (idx = 0; idx < GS_SPANS_BATCH; idx++)
		mheap_test_striped_line(want, &len, 0, idx, false);
	for (ci = 1; ci < 4; ci++)
		for (idx = 0; idx < ch[ci % 3]->npages; idx++)
			mheap_test_striped_line(want, &len, ci, idx, false);
	KUNIT_EXPECT_STREQ(test, r.out, want);
}

/*
 * A small span whose pages point at it before span_alloc() has named its
 * mcentral (mheap_alloc_span() publishes the pages, its caller sets
 * ->central after, with no lock held): a read then has no line for it,
 * and never follows the missing mcentral.
 */
static void mheap_test_spans_unowned(struct kunit *test)
{
	struct mheap_test_reader r = { .size = PAGE_SIZE };
	struct mchunk *ch;
	struct mspan *s;
	unsigned long idx;
	size_t len = 0;
	char *want;

	mheap_test_striped(test, &ch, 1);
	/* Page 2 holds a small span (mheap_test_striped()): being set up. */
	s = gs_page_span(virt_to_page((void *)chunk_addr(ch, 2)));
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, s->state, MSPAN_SMALL);
	s->central = NULL;

	want = kunit_kzalloc(test, MHEAP_TEST_OUT, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	mheap_test_header(want, &len);
	for (idx = 0; idx < ch->npages; idx++)
		if (idx != 2)
			mheap_test_striped_line(want, &len, 0, idx, false);
	mheap_test_read(test, &r);
	KUNIT_EXPECT_STREQ(test, r.out, want);
}

/* Chunks of mheap_test_spans_bounded(): a walk resumes deep in the list. */
#define MHEAP_TEST_CHUNKS	24

/*
 * Many chunks, many large spans and a few huge ones: however deep in the
 * heap a batch resumes, it looks at its GS_SPANS_BATCH runs and a few
 * nodes to find its place, never at every chunk or large span before it:
 * the heap lock, interrupts off, is held for a bounded time.
 */
static void mheap_test_spans_bounded(struct kunit *test)
{
	struct mheap_test_reader r = { .size = PAGE_SIZE };
	struct mchunk *ch[MHEAP_TEST_CHUNKS];
	struct mheap *h = test->priv;
	char line[32];
	struct mspan *s;
	unsigned int i;

	mheap_test_striped(test, ch, MHEAP_TEST_CHUNKS);
	for (i = 0; i < 1000; i++) {
		s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s);
		s->npages = 1;
		s->state = MSPAN_LARGE;
		list_add_tail(&s->list, &h->large);
	}
	for (i = 1; i <= 3; i++)
		mheap_test_add_huge(test, 1000 + i);

	mheap_test_read(test, &r);
	KUNIT_EXPECT_GT(test, r.holds, MHEAP_TEST_CHUNKS);
	KUNIT_EXPECT_LE(test, r.most, GS_SPANS_BATCH + 16);
	for (i = 1; i <= 3; i++) {
		snprintf(line, sizeof(line), "- - %u huge\n", 1000 + i);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(r.out, line), "%s", line);
	}
	/* Leave the list as the exit wants it: the spans were the case's. */
	INIT_LIST_HEAD(&h->large);
}

/* After the first batch a huge span comes; after the second one goes. */
static void mheap_test_huge_change(struct kunit *test, unsigned int holds)
{
	if (holds == 1)
		mheap_test_add_huge(test, 5000);
	else if (holds == 2)
		mheap_test_del_huge(test);
}

/* How often @line is in @out. */
static unsigned int mheap_test_count(const char *out, const char *line)
{
	unsigned int n = 0;

	for (; (out = strstr(out, line)); out += strlen(line))
		n++;
	return n;
}

/*
 * Huge spans come and go between batches: each one there for the whole
 * read has its line exactly once, as has the one that went, shown
 * before it went; the one that came, at most once.
 */
static void mheap_test_spans_huge(struct kunit *test)
{
	struct mheap_test_reader r = {
		.size = PAGE_SIZE, .between = mheap_test_huge_change,
	};
	unsigned int i, n = 3 * GS_SPANS_BATCH;
	char line[32];

	for (i = 1; i <= n; i++)
		mheap_test_add_huge(test, 1000 + i);
	mheap_test_read(test, &r);
	KUNIT_EXPECT_GE(test, r.holds, 3);
	for (i = 1; i <= n; i++) {
		snprintf(line, sizeof(line), "- - %u huge\n", 1000 + i);
		KUNIT_EXPECT_EQ_MSG(test, mheap_test_count(r.out, line), 1,
				    "%s", line);
	}
	KUNIT_EXPECT_LE(test, mheap_test_count(r.out, "- - 5000 huge\n"), 1);
}

/*
 * A page whose span is seen with a stale start (set_span_of() is not
 * ordered after the stores of ->base and ->npages, nor after a span
 * freed and made again): its span claims to start further on.  The page
 * has no line, and the pages after it still have theirs, not skipped to
 * the end of a run that is not there.
 */
static void mheap_test_spans_stale(struct kunit *test)
{
	struct mheap_test_reader r = { .size = PAGE_SIZE };
	struct mchunk *ch;
	struct mspan *s;
	unsigned long idx;
	size_t len = 0;
	char *want;

	mheap_test_striped(test, &ch, 1);
	/* Page 4 holds a large span (mheap_test_striped()). */
	s = gs_page_span(virt_to_page((void *)chunk_addr(ch, 4)));
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, s->state, MSPAN_LARGE);
	s->base = (void *)chunk_addr(ch, 10);
	s->npages = 50;

	want = kunit_kzalloc(test, MHEAP_TEST_OUT, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	mheap_test_header(want, &len);
	for (idx = 0; idx < ch->npages; idx++)
		if (idx != 4)
			mheap_test_striped_line(want, &len, 0, idx, false);
	mheap_test_read(test, &r);
	KUNIT_EXPECT_STREQ(test, r.out, want);
}

static struct kunit_case mheap_test_cases[] = {
	KUNIT_CASE(mheap_test_coalesce),
	KUNIT_CASE(mheap_test_counters),
	KUNIT_CASE(mheap_test_release),
	KUNIT_CASE(mheap_test_spans_batches),
	KUNIT_CASE(mheap_test_spans_change),
	KUNIT_CASE(mheap_test_spans_unowned),
	KUNIT_CASE(mheap_test_spans_reused),
	KUNIT_CASE(mheap_test_spans_bounded),
	KUNIT_CASE(mheap_test_spans_huge),
	KUNIT_CASE(mheap_test_spans_stale),
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
