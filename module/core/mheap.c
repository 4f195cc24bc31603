// SPDX-License-Identifier: GPL-2.0
/*
 * mheap: goslab's page heap.
 *
 * The heap takes memory from the kernel in chunks: high-order blocks from
 * alloc_pages(), split at once into independent order-0 pages with
 * split_page().  A chunk keeps two bitmaps of its 8 KiB heap pages, "busy"
 * (in a span, or given back) and "released" (given back).  Free page runs
 * are the runs of clear busy bits, so a freed span coalesces with its free
 * neighbours by clearing its bits, with nothing to merge by hand; this is
 * the idea of Go's bitmap page allocator, at chunk scale.
 *
 * Because the pages were split, any free heap page can be given back to
 * the kernel on its own.  The scavenger (mgcscavenge.c) does that, newest
 * chunk first, when the free pages exceed retain_kb for scavenge_delay_ms;
 * the shrinker does it under memory pressure.  A page given back leaves a hole that
 * stays busy until the whole chunk is gone, since the linear map cannot
 * put another page at that address.  Allocation is first fit from the
 * oldest chunk, so live spans gather low and the newest chunks drain.
 *
 * Objects larger than a chunk can ever be (MAX_PAGE_ORDER) are "huge"
 * (mhuge.c): their pages come straight from alloc_pages() and are
 * vmap()ed, as vmalloc() would, so they need a sleeping GFP.
 */

#include <linux/bitmap.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "mheap.h"

/* New chunks are at least this large (1 MiB), and at most MAX_PAGE_ORDER. */
#define GS_CHUNK_ORDER	min(8, MAX_PAGE_ORDER)
struct mheap mheap = {
	.lock = __SPIN_LOCK_UNLOCKED(mheap.lock),
	.chunks = LIST_HEAD_INIT(mheap.chunks),
	.chunk_tree = RB_ROOT,
	.large = LIST_HEAD_INIT(mheap.large),
	.huge = RB_ROOT,
	.huge_dying = LIST_HEAD_INIT(mheap.huge_dying),
};

static void set_span_of(void *base, unsigned long kpages, struct mspan *s)
{
	struct page *page = virt_to_page(base);
	unsigned long i;

	for (i = 0; i < kpages; i++)
		page_set_span(page + i, s);
}

/**
 * mheap_claim_free() - take the one free of a large or huge span
 * @s: the span, found through a caller's pointer to its start
 *
 * The first page's marker goes: a second free of the object finds it
 * gone, and is refused, however soon it comes.
 *
 * Return: true for the first free; false if the object was freed already.
 */
bool mheap_claim_free(struct mspan *s)
{
	struct page *page = s->state == MSPAN_HUGE ? s->pages[0] :
			    virt_to_page(s->base);

	return cmpxchg(&page->index, GS_PAGE_MAGIC, 0) == GS_PAGE_MAGIC;
}

static bool span_contains(const struct mspan *s, unsigned long addr)
{
	return addr >= (unsigned long)s->base &&
	       addr < (unsigned long)s->base +
		      ((unsigned long)s->npages << GS_PAGE_SHIFT);
}

/*
 * A span struct.  kmemleak scans it only from ->onlist on, where the
 * metadata it owns is: ->base and ->freelist point at objects, which must
 * count as unreferenced when only goslab's own books mention them.
 */
struct mspan *mheap_span_struct_alloc(gfp_t gfp)
{
	struct mspan *s = kmem_cache_zalloc(mheap.span_cache, gs_gfp(gfp));

	if (s)
		kmemleak_scan_area(&s->onlist,
				   sizeof(*s) - offsetof(struct mspan, onlist),
				   gs_gfp(gfp));
	return s;
}

/*
 * First fit in @h's chunks; 0 if no run of @npages is free.  @h, here and
 * in heap_put() and chunk_add(), is &mheap but in the white-box tests
 * (tests/mheap-kunit.h), which work on a heap of their own.
 */
static unsigned long heap_take(struct mheap *h, unsigned int npages,
			       struct mchunk **chp)
{
	struct mchunk *ch;
	unsigned long idx;

	lockdep_assert_held(&h->lock);
	list_for_each_entry(ch, &h->chunks, list) {
		if (ch->nfree < npages)
			continue;
		idx = bitmap_find_next_zero_area(ch->busy, ch->npages, 0,
						 npages, 0);
		if (idx >= ch->npages)
			continue;
		bitmap_set(ch->busy, idx, npages);
		ch->nfree -= npages;
		h->free -= npages * GS_KPAGES;
		h->inuse += npages * GS_KPAGES;
		*chp = ch;
		return chunk_addr(ch, idx);
	}
	return 0;
}

/*
 * Heap pages @idx to @idx + @n - 1 of @ch, taken by heap_take(), are free
 * again: clearing their busy bits joins them to the free runs on either
 * side, if any.
 */
static void heap_put(struct mheap *h, struct mchunk *ch, unsigned long idx,
		     unsigned long n)
{
	lockdep_assert_held(&h->lock);
	bitmap_clear(ch->busy, idx, n);
	ch->nfree += n;
	h->free += n * GS_KPAGES;
	h->inuse -= n * GS_KPAGES;
}

/*
 * The pages of a chunk of @order when @need is the order the caller's
 * span needs.  Chunks larger than that are an opportunity, tried as SLUB
 * tries its higher slab orders: cheap to fail, so no reclaim (not even
 * waking kswapd for an order nobody needs), no reserves, no retrying, no
 * warning and never __GFP_NOFAIL.  The needed order gets the caller's
 * flags, but for __GFP_NOFAIL above order 1, which the page allocator
 * refuses to promise: goslab keeps the promise itself, retrying.
 */
static struct page *chunk_pages(unsigned int order, unsigned int need,
				gfp_t gfp)
{
	gfp_t g = gs_gfp(gfp);
	struct page *page;

	if (order > need)
		return alloc_pages((g | __GFP_NOWARN | __GFP_NORETRY |
				    __GFP_NOMEMALLOC) &
				   ~(__GFP_RECLAIM | __GFP_HIGH | GS_GFP_ATOMIC |
				     __GFP_MEMALLOC | __GFP_NOFAIL |
				     __GFP_RETRY_MAYFAIL), order);
	if (!(g & __GFP_NOFAIL) || order <= 1)
		return alloc_pages(g, order);
	g = (g & ~__GFP_NOFAIL) | __GFP_RETRY_MAYFAIL;
	while (!(page = alloc_pages(g, order)))
		memalloc_retry_wait(g);
	return page;
}

/*
 * A new chunk for at least @npages heap pages: the largest order that
 * comes cheaply, from GS_CHUNK_ORDER down to what the span needs, since
 * when memory is fragmented a chunk just big enough is the better answer.
 */
static struct mchunk *chunk_create(unsigned int npages, gfp_t gfp)
{
	unsigned int need = order_base_2(npages) + GS_PAGE_ORDER;
	unsigned int order = max_t(unsigned int, need, GS_CHUNK_ORDER);
	unsigned int hpages, words;
	struct mchunk *ch;
	struct page *page;

	for (;; order--) {
		page = chunk_pages(order, need, gfp);
		if (page || order == need)
			break;
	}
	if (!page)
		return NULL;

	hpages = 1U << (order - GS_PAGE_ORDER);
	words = BITS_TO_LONGS(hpages);
	ch = kzalloc(struct_size(ch, bits, 2 * words), gs_gfp(gfp));
	if (!ch) {
		__free_pages(page, order);
		return NULL;
	}
	/*
	 * Its ->base points at the chunk's first object: kmemleak scans only
	 * its list links, which keep its neighbours referenced.
	 */
	kmemleak_scan_area(&ch->list, sizeof(ch->list), gs_gfp(gfp));
	split_page(page, order);
	/* No page of a free run may look like a span's, whatever it held. */
	set_span_of(page_address(page), 1UL << order, NULL);
	ch->base = (unsigned long)page_address(page);
	ch->npages = hpages;
	ch->nfree = hpages;
	ch->nheld = hpages;
	ch->busy = ch->bits;
	ch->released = ch->bits + words;
	return ch;
}

static bool chunk_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct mchunk, node)->seq <
	       rb_entry(b, struct mchunk, node)->seq;
}

/* The chunk leaves @h by release_batch() (mgcscavenge.c). */
static void chunk_add(struct mheap *h, struct mchunk *ch)
{
	lockdep_assert_held(&h->lock);
	ch->seq = ++h->chunk_seq;
	list_add_tail(&ch->list, &h->chunks);
	rb_add(&ch->node, &h->chunk_tree, chunk_less);
	h->nchunks++;
	h->held += ch->npages * GS_KPAGES;
	h->free += ch->npages * GS_KPAGES;
}

/**
 * mheap_alloc_span() - a span of contiguous heap pages
 * @npages: heap pages wanted, at most GS_MAX_RUN_PAGES
 * @state: MSPAN_SMALL or MSPAN_GC (the caller carves it), or MSPAN_LARGE
 * @gfp: the caller's GFP flags
 *
 * Return: the span, its pages pointing at it, or NULL.
 */
struct mspan *mheap_alloc_span(unsigned int npages, enum mspan_state state,
			       gfp_t gfp)
{
	struct mchunk *ch = NULL, *fresh = NULL;
	unsigned long flags, base;
	struct mspan *s;

	s = mheap_span_struct_alloc(gfp);
	if (!s)
		return NULL;

	for (;;) {
		spin_lock_irqsave(&mheap.lock, flags);
		if (fresh)
			chunk_add(&mheap, fresh);
		base = heap_take(&mheap, npages, &ch);
		spin_unlock_irqrestore(&mheap.lock, flags);
		if (base)
			break;
		/* Others may have taken a fresh chunk's pages: grow again. */
		fresh = chunk_create(npages, gfp);
		if (!fresh) {
			kmem_cache_free(mheap.span_cache, s);
			return NULL;
		}
	}

	s->base = (void *)base;
	s->npages = npages;
	s->state = state;
	s->chunk = ch;
	set_span_of(s->base, (unsigned long)npages * GS_KPAGES, s);
	gs_kasan_unpoison(s->base, (size_t)npages << GS_PAGE_SHIFT);

	if (state == MSPAN_LARGE) {
		spin_lock_irqsave(&mheap.lock, flags);
		list_add(&s->list, &mheap.large);
		mheap.nlarge++;
		mheap.nlarge_pages += (unsigned long)npages * GS_KPAGES;
		spin_unlock_irqrestore(&mheap.lock, flags);
	}
	return s;
}

/**
 * mheap_span_clear() - zero a span's memory a page at a time
 * @s: the span, accessible to KASAN
 * @can_sleep: reschedule now and then, for a huge span
 */
void mheap_span_clear(struct mspan *s, bool can_sleep)
{
	unsigned long i, kpages = (unsigned long)s->npages * GS_KPAGES;

	for (i = 0; i < kpages; i++) {
		clear_page(s->base + i * PAGE_SIZE);
		if (can_sleep && !((i + 1) % GS_RESCHED_PAGES))
			cond_resched();
	}
}

/**
 * mheap_free_span() - give a span's pages back to the heap
 * @s: a small span with no objects out, or a large or huge span
 *
 * With init_on_free the pages are zeroed first, as the page allocator
 * zeroes the pages it gets back: whatever the span held, free objects'
 * links included, is gone before the heap hands the pages out again.
 * Huge spans go back to the kernel, which does the same.  They are
 * unmapped by a work item: vunmap() may sleep, and a caller's context
 * cannot be known to allow that (rcu_read_lock() on a preemptible
 * kernel, any spinlock on PREEMPT_RT, any kernel without PREEMPT_COUNT).
 *
 * Context: any.
 */
void mheap_free_span(struct mspan *s)
{
	unsigned long idx, flags, n = s->npages;
	struct mchunk *ch;

	if (s->state == MSPAN_HUGE)
		return mheap_huge_free(s);
	ch = s->chunk;
	if (want_init_on_free()) {
		/* Free objects in it are poisoned: open it for the clearing. */
		gs_kasan_unpoison(s->base, n << GS_PAGE_SHIFT);
		mheap_span_clear(s, false);
	}
	gs_kasan_poison(s->base, n << GS_PAGE_SHIFT);
	set_span_of(s->base, n * GS_KPAGES, NULL);
	idx = ((unsigned long)s->base - ch->base) >> GS_PAGE_SHIFT;

	spin_lock_irqsave(&mheap.lock, flags);
	if (s->state == MSPAN_LARGE) {
		list_del(&s->list);
		mheap.nlarge--;
		mheap.nlarge_pages -= n * GS_KPAGES;
	}
	heap_put(&mheap, ch, idx, n);
	mheap_scavenger_kick();
	spin_unlock_irqrestore(&mheap.lock, flags);

	kmem_cache_free(mheap.span_cache, s);
}

static bool huge_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct mspan, node)->base <
	       rb_entry(b, struct mspan, node)->base;
}

/**
 * mheap_huge_insert() - a new huge span joins the huge spans in use
 * @h: &mheap, or a white-box test's own heap (tests/mheap-kunit.h)
 * @s: the span, its ->base set; it leaves in mheap_huge_free()
 *
 * Context: @h->lock held.
 */
void mheap_huge_insert(struct mheap *h, struct mspan *s)
{
	lockdep_assert_held(&h->lock);
	rb_add(&s->node, &h->huge, huge_less);
}

/* For rb_find(): where the address @key is, against huge span @n. */
static int huge_cmp(const void *key, const struct rb_node *n)
{
	const struct mspan *s = rb_entry(n, struct mspan, node);
	unsigned long addr = (unsigned long)key;

	if (addr < (unsigned long)s->base)
		return -1;
	return span_contains(s, addr) ? 0 : 1;
}

/**
 * mheap_lock() - take the heap lock, for mheap_lookup()
 *
 * Return: the interrupt flags, for mheap_unlock().
 */
unsigned long mheap_lock(void)
	__acquires(&mheap.lock)
{
	unsigned long flags;

	spin_lock_irqsave(&mheap.lock, flags);
	return flags;
}

/**
 * mheap_unlock() - the mirror of mheap_lock()
 * @flags: what mheap_lock() returned
 */
void mheap_unlock(unsigned long flags)
	__releases(&mheap.lock)
{
	spin_unlock_irqrestore(&mheap.lock, flags);
}

/**
 * mheap_lookup() - the span of any pointer, if goslab owns it
 * @p: any pointer
 * @in_heap: set when @p points into free heap memory that goslab holds,
 *	or into a huge object already freed
 *
 * The slow, safe cousin of span_of() for debug mode and the collector's
 * pointer checks: it never dereferences memory goslab does not own.
 *
 * Context: mheap_lock() held; a span found stays valid until
 * mheap_unlock(), since freeing it takes the lock.
 * Return: the span in use that contains @p, or NULL.
 */
struct mspan *mheap_lookup(const void *p, bool *in_heap)
{
	unsigned long addr = (unsigned long)p, idx;
	struct rb_node *node;
	struct mchunk *ch;
	struct mspan *s;

	lockdep_assert_held(&mheap.lock);
	*in_heap = false;
	if (is_vmalloc_addr(p)) {
		node = rb_find(p, &mheap.huge, huge_cmp);
		if (node)
			return rb_entry(node, struct mspan, node);
		list_for_each_entry(s, &mheap.huge_dying, list)
			if (span_contains(s, addr))
				*in_heap = true;
		return NULL;
	}
	list_for_each_entry(ch, &mheap.chunks, list) {
		if (addr < ch->base ||
		    addr >= chunk_addr(ch, ch->npages))
			continue;
		idx = (addr - ch->base) >> GS_PAGE_SHIFT;
		/*
		 * A page given back may have come back to goslab in a newer
		 * chunk, whose range overlaps this one's: look on.
		 */
		if (test_bit(idx, ch->released))
			continue;
		if (!test_bit(idx, ch->busy)) {
			*in_heap = true;
			return NULL;
		}
		return (struct mspan *)page_private(virt_to_page(p));
	}
	return NULL;
}

/**
 * mheap_span_of_checked() - mheap_lookup() under its own hold of the lock
 * @p: any pointer
 * @in_heap: as for mheap_lookup()
 *
 * For a caller that owns the object @p may point into: nothing else can
 * free its span once the lock is dropped.
 *
 * Return: the span in use that contains @p, or NULL.
 */
struct mspan *mheap_span_of_checked(const void *p, bool *in_heap)
{
	unsigned long flags = mheap_lock();
	struct mspan *s = mheap_lookup(p, in_heap);

	mheap_unlock(flags);
	return s;
}

/**
 * mheap_read_stats() - the heap's part of struct goslab_stats
 * @st: filled in: pages_*, large_in_use; large objects' bytes added to
 *	bytes_in_use
 */
void mheap_read_stats(struct goslab_stats *st)
{
	st->pages_held = READ_ONCE(mheap.held);
	st->pages_in_use = READ_ONCE(mheap.inuse);
	st->pages_free = READ_ONCE(mheap.free);
	st->pages_released = READ_ONCE(mheap.released);
	st->large_in_use = READ_ONCE(mheap.nlarge);
	st->bytes_in_use += (u64)READ_ONCE(mheap.nlarge_pages) * PAGE_SIZE;
}

/**
 * mheap_show() - the heap summary for debugfs
 * @m: the file
 */
void mheap_show(struct seq_file *m)
{
	seq_printf(m, "chunks %lu\n", READ_ONCE(mheap.nchunks));
	seq_printf(m, "pages_held %lu\n", READ_ONCE(mheap.held));
	seq_printf(m, "pages_in_use %lu\n", READ_ONCE(mheap.inuse));
	seq_printf(m, "pages_free %lu\n", READ_ONCE(mheap.free));
	seq_printf(m, "pages_released %lu\n", READ_ONCE(mheap.released));
	seq_printf(m, "large_in_use %lu\n", READ_ONCE(mheap.nlarge));
	mheap_scavenger_show(m);
}

int mheap_init(void)
{
	mheap.span_cache = KMEM_CACHE(mspan, 0);
	if (!mheap.span_cache)
		return -ENOMEM;
	mheap.wq = alloc_workqueue("goslab_heap", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!mheap.wq) {
		kmem_cache_destroy(mheap.span_cache);
		return -ENOMEM;
	}
	mheap_scavenger_init();
	mheap_huge_init();
	return 0;
}

/**
 * mheap_exit() - give everything back
 *
 * Called with the scavenger off and after every small span went back
 * to the heap: frees the large and huge spans still in use, then every
 * chunk.
 */
void mheap_exit(void)
{
	struct mspan *s, *tmp;
	struct rb_node *node;

	/* What callers left: large and huge spans still in use. */
	list_for_each_entry_safe(s, tmp, &mheap.large, list) {
		kmemleak_free(s->base);
		mheap_free_span(s);
	}
	while ((node = rb_first(&mheap.huge))) {
		s = rb_entry(node, struct mspan, node);
		kmemleak_free(s->base);
		mheap_free_span(s);	/* which takes it out of the tree */
	}
	mheap_huge_exit();
	destroy_workqueue(mheap.wq);	/* after the huge frees queued so far */
	mheap_release(0);
	kmem_cache_destroy(mheap.span_cache);
}

#ifdef GOSLAB_TEST
#include "tests/mheap-kunit.h"
#endif
