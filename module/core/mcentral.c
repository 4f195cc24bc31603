// SPDX-License-Identifier: GPL-2.0
/*
 * mcentral: the spans of one object size.
 *
 * A CPU whose free list runs dry takes every free object of one span at
 * once: a single pointer swap, however many objects the span had, after
 * which the span is "full" (all its objects are out, in CPU caches or with
 * callers).  This is Go's mcache taking a whole span from its mcentral,
 * with the span's free list standing in for its allocation bitmap.
 *
 * Objects come back in batches, when a CPU's list grows past its high
 * mark.  Each goes onto its own span's free list; a span that gets its
 * first object back becomes partial again, and a span that gets its last
 * one back returns to the heap.
 *
 * A batch is where a caller's double free shows when no CPU list check
 * saw it: the span keeps a bit per object it holds, and an object that is
 * already there, or is not one of this mcentral's objects, is refused.
 * The rest of its batch is not followed (after a double free a CPU list
 * can be a cycle): those objects stay counted as handed out, so their
 * spans never go back to the heap under a caller still using them.
 */

#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "internal.h"

/**
 * gs_divmagic() - the multiplier that divides offsets within a span
 * @elemsize: distance between objects
 * @npages: heap pages per span
 *
 * gs_span_index() takes ((u64)offset * divmagic) >> 32 for offset /
 * @elemsize.  It must be exact for every offset in the span, the tail past
 * the last object included (that gives an index no object has): a pointer
 * to any byte of an object must find that object.
 *
 * A span that one object fills gets 0: every offset in it is in object 0.
 * No 32-bit multiplier with that shift could do for large objects: with
 * 2^32 / @elemsize rounded up, the last byte of a 14-page object came out
 * as object 1.  Go sets divMul to 0 for its large spans too.
 *
 * Other spans get 2^32 / @elemsize rounded up, (2^32 + e) / @elemsize with
 * 0 <= e < @elemsize.  For offset = q * @elemsize + r, r < @elemsize, the
 * product shifted right by 32 is the integer part of
 * q + (r + offset * e / 2^32) / @elemsize, which is q whenever
 * offset * e < 2^32.  That holds for every offset once span bytes times
 * (@elemsize - 1) is below 2^32: the size classes and any goslab_cache
 * stay under 2.6 * 10^9.  gs_divmagic_exact() checks.
 *
 * Return: the multiplier.
 */
u32 gs_divmagic(unsigned int elemsize, unsigned int npages)
{
	if (elemsize == npages << GS_PAGE_SHIFT)
		return 0;
	return U32_MAX / elemsize + 1;
}

static bool index_ok(unsigned long off, unsigned int elemsize,
		     unsigned int npages, u32 divmagic)
{
	if (gs_span_index(off, divmagic) == off / elemsize)
		return true;
	pr_err("goslab: objects of %u bytes in %u pages: offset %lu gives index %u, not %lu\n",
	       elemsize, npages, off, gs_span_index(off, divmagic),
	       off / elemsize);
	return false;
}

/**
 * gs_divmagic_exact() - check a span's multiplier at every offset
 * @elemsize: distance between objects
 * @npages: heap pages per span
 * @divmagic: the multiplier
 *
 * gs_span_index() never decreases as the offset grows, so the first and the
 * last byte of each object, and of the tail, stand for every byte between.
 *
 * Return: true if gs_span_index() gives offset / @elemsize for every offset
 * in the span; false, after a report, if not.
 */
bool gs_divmagic_exact(unsigned int elemsize, unsigned int npages,
		       u32 divmagic)
{
	unsigned long bytes = (unsigned long)npages << GS_PAGE_SHIFT;
	unsigned long start, last;

	for (start = 0; start < bytes; start = last + 1) {
		last = min(start + elemsize, bytes) - 1;
		if (!index_ok(start, elemsize, npages, divmagic) ||
		    !index_ok(last, elemsize, npages, divmagic))
			return false;
	}
	return true;
}

/*
 * Every mcentral, the size classes' first and then the caches' in the
 * order they were made, for the walks that must reach them all: drains,
 * statistics, unload.  Writers hold mcentral_mutex; readers walk under RCU
 * (mcentral_for_each()), or hold the mutex to see each mcentral exactly
 * once and keep it from going away between walks.
 */
DEFINE_MUTEX(mcentral_mutex);
static LIST_HEAD(mcentral_all);

/**
 * mcentral_init() - set up an mcentral, and add it to the list of all
 * @c: the mcentral
 * @name: for statistics; must outlive @c
 * @sizeclass: index in the size class table, or -1
 * @objsize: bytes a caller may use
 * @elemsize: distance between objects
 * @offset: position of the free-list link in an object
 * @npages: heap pages per span
 * @ctor: constructor, or NULL
 * @pcp: the per-CPU free lists, zeroed
 *
 * Context: process context; takes mcentral_mutex.
 */
void mcentral_init(struct mcentral *c, const char *name, int sizeclass,
		   unsigned int objsize, unsigned int elemsize,
		   unsigned int offset, unsigned int npages,
		   void (*ctor)(void *), struct gs_freelist __percpu *pcp)
{
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->partial);
	INIT_LIST_HEAD(&c->full);
	c->name = name;
	c->sizeclass = sizeclass;
	c->objsize = objsize;
	c->elemsize = elemsize;
	c->offset = offset;
	c->zero_words = ctor ? 0 : DIV_ROUND_UP(objsize, 8);
	c->npages = npages;
	c->nelems = (npages << GS_PAGE_SHIFT) / elemsize;
	c->divmagic = gs_divmagic(elemsize, npages);
	c->ctor = ctor;
	c->pcp = pcp;
	/*
	 * Room for two spans' worth, so a CPU that frees what it just
	 * allocated never bounces a span between itself and the central
	 * list; and, for the classes of few objects per span, for 32 KiB or
	 * 128 objects, so that freeing a batch does not flush every few frees.
	 */
	c->high = max3(2 * c->nelems, min(SZ_32K / elemsize, 128U), 8U);

	mutex_lock(&mcentral_mutex);
	list_add_tail_rcu(&c->all, &mcentral_all);
	mutex_unlock(&mcentral_mutex);
}

/**
 * mcentral_unregister() - take an mcentral off the list of all
 * @c: the mcentral
 *
 * Context: mcentral_mutex held.  Walkers under RCU may still see @c until
 * a grace period has passed.
 */
void mcentral_unregister(struct mcentral *c)
{
	lockdep_assert_held(&mcentral_mutex);
	list_del_rcu(&c->all);
}

/**
 * mcentral_for_each() - call @fn on every size class and goslab_cache
 * @fn: returns false to stop; runs under rcu_read_lock()
 * @arg: passed on
 *
 * Context: any but NMI.  Hold mcentral_mutex to see each mcentral exactly
 * once.
 * Return: false if @fn stopped the walk.
 */
bool mcentral_for_each(bool (*fn)(struct mcentral *c, void *arg), void *arg)
{
	struct mcentral *c;
	bool ret = true;

	rcu_read_lock();
	list_for_each_entry_rcu(c, &mcentral_all, all) {
		ret = fn(c, arg);
		if (!ret)
			break;
	}
	rcu_read_unlock();
	return ret;
}

/*
 * Build a new span's free list in address order and construct objects.
 *
 * A constructed object is never zeroed afterwards (its constructor's work
 * must survive), so the span is zeroed before the constructor runs: the
 * pages may have held another cache's objects, free-list links or a large
 * object, and a constructor that writes only some bytes would otherwise
 * hand the rest of that on to the object's users.
 */
static void *carve(struct mcentral *c, struct mspan *s)
{
	void *obj, *last = s->base + (c->nelems - 1) * c->elemsize;

	if (c->ctor) {
		memset(s->base, 0, (size_t)s->npages << GS_PAGE_SHIFT);
		for (obj = s->base; obj <= last; obj += c->elemsize)
			c->ctor(obj);
	}
	for (obj = s->base; obj < last; obj += c->elemsize)
		gs_link_set(c, obj, obj + c->elemsize);
	gs_link_set(c, last, NULL);
	gs_debug_carve(c, s);
	gs_kasan_poison(s->base, (size_t)s->npages << GS_PAGE_SHIFT);
	return s->base;
}

/*
 * The span, then the metadata span_alloc() gave it.  In that order: until
 * mheap_free_span() has taken the span out of the heap, under mheap.lock,
 * a racing double free can still find it (debug mode's lookup, the
 * onlist and tinyref checks) and must find its metadata too.
 */
static void span_free(struct mspan *s)
{
	unsigned long *onlist = s->onlist != s->onlist_bits ? s->onlist : NULL;
	unsigned long *allocbits = s->allocbits;
	atomic_t *tinyref = s->tinyref;

	mheap_free_span(s);
	bitmap_free(onlist);
	kfree(tinyref);
	bitmap_free(allocbits);
}

static struct mspan *span_alloc(struct mcentral *c, gfp_t gfp)
{
	struct mspan *s;
	size_t meta;

	s = mheap_alloc_span(c->npages, MSPAN_SMALL, gfp);
	if (!s)
		return NULL;
	/* Read racily by mcentral_show_span(): the pages point at @s. */
	WRITE_ONCE(s->central, c);
	s->free_to = c->tiny ? NULL : c;
	if (c->tiny) {
		/* One byte per block, four to a word, and a u16 end mask. */
		meta = c->nelems * (sizeof(u8) + sizeof(u16));
		s->tinyref = kzalloc(meta, gs_gfp(gfp));
		if (!s->tinyref)
			goto fail;
		s->tinyend = (u16 *)((u8 *)s->tinyref + c->nelems);
	}
	s->onlist = c->nelems <= GS_ONLIST_INLINE ? s->onlist_bits :
		    bitmap_zalloc(c->nelems, gs_gfp(gfp));
	if (!s->onlist)
		goto fail;
	if (static_branch_unlikely(&gs_debug_key)) {
		s->allocbits = bitmap_zalloc(c->nelems, gs_gfp(gfp));
		if (!s->allocbits)
			goto fail;
	}
	return s;
fail:
	span_free(s);
	return NULL;
}

/**
 * mcentral_grab() - take every free object of one span
 * @c: the mcentral
 * @gfp: for a new span, if none has free objects
 * @head: set to the first object of the list taken
 *
 * Return: how many objects the list holds; 0 if no memory.
 */
unsigned int mcentral_grab(struct mcentral *c, gfp_t gfp, void **head)
{
	struct mspan *s;
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&c->lock, flags);
	s = list_first_entry_or_null(&c->partial, struct mspan, list);
	if (s) {
		*head = s->freelist;
		n = c->nelems - s->nalloc;
		s->freelist = NULL;
		bitmap_zero(s->onlist, c->nelems);
		list_move(&s->list, &c->full);
		goto out;
	}
	spin_unlock_irqrestore(&c->lock, flags);

	s = span_alloc(c, gfp);
	if (!s)
		return 0;
	*head = carve(c, s);
	n = c->nelems;
	spin_lock_irqsave(&c->lock, flags);
	list_add(&s->list, &c->full);
	c->nspans++;
out:
	s->nalloc = c->nelems;
	c->nalloc += n;
	c->refilled += n;
	spin_unlock_irqrestore(&c->lock, flags);
	return n;
}

/*
 * The span @obj, coming back to @c, goes back to, with its bit in
 * ->onlist set; or NULL, after a report, if it may not go back.
 */
static struct mspan *take_back(struct mcentral *c, void *obj)
{
	struct mspan *s;
	unsigned int idx;

	lockdep_assert_held(&c->lock);
	/* A list a double free made a cycle may end early. */
	if (!obj) {
		gs_debug_report(GS_DEBUG_DOUBLE_FREE, obj, "ends a list early: a double free");
		return NULL;
	}
	s = span_of_owned(obj);
	if (!s || s->central != c) {
		gs_debug_report(GS_DEBUG_INVALID_FREE, obj, "is not an object of its cache");
		return NULL;
	}
	idx = span_obj_index(c, s, obj);
	if (idx >= c->nelems || s->base + idx * c->elemsize != obj) {
		gs_debug_report(GS_DEBUG_INVALID_FREE, obj, "is not the start of an object");
		return NULL;
	}
	if (__test_and_set_bit(idx, s->onlist)) {
		gs_debug_report(GS_DEBUG_DOUBLE_FREE, obj, "is already free in its span");
		return NULL;
	}
	return s;
}

/**
 * mcentral_return() - take a batch of free objects back
 * @c: the mcentral
 * @head: a list of @n objects of @c, linked with gs_link_set()
 * @n: objects on the list
 */
void mcentral_return(struct mcentral *c, void *head, unsigned int n)
{
	struct mspan *s, *tmp;
	unsigned long flags;
	unsigned int i;
	LIST_HEAD(empty);
	void *obj = head, *next;

	spin_lock_irqsave(&c->lock, flags);
	for (i = 0; i < n; i++, obj = next) {
		s = take_back(c, obj);
		if (!s)
			break;
		next = gs_link_get(c, obj);
		if (!s->freelist)
			list_move(&s->list, &c->partial);
		gs_link_set(c, obj, s->freelist);
		s->freelist = obj;
		if (!--s->nalloc) {
			list_move(&s->list, &empty);
			c->nspans--;
		}
	}
	c->nalloc -= i;
	c->flushed += i;
	spin_unlock_irqrestore(&c->lock, flags);

	list_for_each_entry_safe(s, tmp, &empty, list)
		span_free(s);
}

/*
 * The objects of @s a caller still holds (with the CPU lists drained, all
 * that are not on the span's list) lose their memory: kmemleak must
 * forget them, or it would find the pages' next objects overlapping.  A
 * tiny block holds objects kmemleak knows by starts goslab does not
 * keep: each byte of it ends whichever object covers it.
 */
static void forget_live(struct mcentral *c, struct mspan *s)
{
	unsigned int idx, i;
	void *obj;

	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		return;
	for_each_clear_bit(idx, s->onlist, c->nelems) {
		obj = s->base + idx * c->elemsize;
		if (!c->tiny) {
			kmemleak_free(obj);
			continue;
		}
		for (i = 0; i < c->elemsize; i++)
			kmemleak_free_part(obj + i, c->elemsize - i);
	}
}

/**
 * mcentral_release_all() - give every span back to the heap
 * @c: an mcentral no CPU will use again, its CPU lists drained
 *
 * Return: objects that callers still held; their memory is gone too.
 */
unsigned long mcentral_release_all(struct mcentral *c)
{
	struct mspan *s, *tmp;
	unsigned long flags, live;
	LIST_HEAD(all);

	spin_lock_irqsave(&c->lock, flags);
	list_splice_init(&c->partial, &all);
	list_splice_init(&c->full, &all);
	live = c->nalloc;
	c->nalloc = 0;
	c->nspans = 0;
	spin_unlock_irqrestore(&c->lock, flags);

	list_for_each_entry_safe(s, tmp, &all, list) {
		forget_live(c, s);
		span_free(s);
	}
	return live;
}

/**
 * mcentral_show_span() - a small span's line in debugfs "spans"
 * @m: the file
 * @chunk: index of its chunk
 * @page: its first heap page in the chunk
 * @s: the span
 *
 * A span whose pages already point at it but whose mcentral span_alloc()
 * has not set yet (it does so after mheap_alloc_span(), with no lock
 * held) is being set up: it has no line.
 *
 * Context: under mheap.lock; reads the span's mcentral and count of
 * objects racily.
 */
void mcentral_show_span(struct seq_file *m, unsigned long chunk,
			unsigned long page, const struct mspan *s)
{
	const struct mcentral *c = READ_ONCE(s->central);

	if (!c)
		return;
	seq_printf(m, "%lu %lu %u %s %s %u %u %u\n", chunk, page, s->npages,
		   c->sizeclass < 0 ? "cache" : "class", c->name, c->elemsize,
		   c->nelems, READ_ONCE(s->nalloc));
}
