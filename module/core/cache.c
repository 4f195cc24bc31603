// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_cache: objects of one caller-chosen size, kmem_cache style.
 *
 * A cache is an mcentral of its own, with per-CPU free lists of its own,
 * so its objects never mix with goslab_alloc()'s: a constructor's work
 * survives on the free list.  The object size is exact (rounded up to the
 * alignment), and the span size is chosen as Go chooses it for a size
 * class: the fewest heap pages that waste at most an eighth at the tail.
 */

#include <linux/cpu.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "internal.h"

/**
 * struct goslab_cache - a cache of objects of one size
 * @central: its spans and per-CPU lists; on the list of every mcentral
 *	until it is destroyed (mcentral_for_each())
 * @zombie: destroyed with objects in use; kept until goslab unloads
 * @name: for statistics
 */
struct goslab_cache {
	struct mcentral central;
	bool zombie;
	char name[32];
};

/* The cache @c is, or NULL if it is a size class. */
static struct goslab_cache *to_cache(struct mcentral *c)
{
	return c->sizeclass < 0 ? container_of(c, struct goslab_cache, central) :
				  NULL;
}

/* The fewest heap pages for objects of @elemsize with <= 1/8 tail waste. */
static unsigned int span_pages(unsigned int elemsize)
{
	unsigned int npages = 1, bytes;

	for (;; npages++) {
		bytes = npages << GS_PAGE_SHIFT;
		if (bytes % elemsize <= bytes / 8)
			return npages;
	}
}

/**
 * goslab_cache_create() - create a cache of objects of one size
 * @name: for statistics; copied
 * @size: object size, 1 to 32768 bytes
 * @align: alignment, a power of two up to 8 KiB, or 0 for 8 bytes
 * @ctor: called once for each object when its memory is first carved
 *	out, or NULL.  goslab zeroes the memory first: the constructor
 *	finds the whole object zero, so a new object is zero wherever the
 *	constructor did not write, never what the pages held before.
 *	Objects must be freed in their constructed state, and are not
 *	zeroed again (no __GFP_ZERO, no init_on_alloc/free).
 *
 * Context: process context; sleeps.
 * Return: the cache, or NULL on bad arguments or no memory.
 */
struct goslab_cache *goslab_cache_create(const char *name, unsigned int size,
					 unsigned int align,
					 void (*ctor)(void *))
{
	unsigned int offset = 0, elemsize = size, npages;
	struct gs_freelist __percpu *pcp;
	struct goslab_cache *gc;

	if (!size || size > GOSLAB_MAX_SMALL_SIZE ||
	    (align & (align - 1)) || align > GS_PAGE_SIZE)
		return NULL;
	align = max_t(unsigned int, align, sizeof(void *));
	if (ctor) {
		/* The link goes past the object, out of the constructor's way. */
		offset = round_up(size, sizeof(void *));
		elemsize = offset + sizeof(void *);
	}
	elemsize = round_up(elemsize, align);
	npages = span_pages(elemsize);
	/* Within gs_divmagic()'s bound: never fails, but it must hold. */
	if (!gs_divmagic_exact(elemsize, npages, gs_divmagic(elemsize, npages)))
		return NULL;

	gc = kzalloc(sizeof(*gc), GFP_KERNEL);
	pcp = alloc_percpu(struct gs_freelist);
	if (!gc || !pcp) {
		kfree(gc);
		free_percpu(pcp);
		return NULL;
	}
	strscpy(gc->name, name ? : "?", sizeof(gc->name));
	mcentral_init(&gc->central, gc->name, -1, size, elemsize, offset,
		      npages, ctor, pcp);
	return gc;
}
EXPORT_SYMBOL_GPL(goslab_cache_create);

/**
 * goslab_cache_alloc() - allocate an object from a cache
 * @c: the cache
 * @flags: GFP flags, as for goslab_alloc()
 *
 * The contexts goslab_alloc() allows: NULL in NMI context.
 *
 * Return: the object, or NULL.
 */
void *goslab_cache_alloc(struct goslab_cache *c, gfp_t flags)
{
	if (unlikely(in_nmi()))
		return gs_nmi_alloc();
	gs_might_alloc(flags);
	return gs_fast_alloc(&c->central, c->central.objsize, flags);
}
EXPORT_SYMBOL_GPL(goslab_cache_alloc);

/**
 * goslab_cache_footprint() - the memory an object of a cache pins
 * @c: the cache
 *
 * What goslab keeps in use for one of @c's objects while it lives: its
 * slot (the object size rounded up to the alignment, with room for the
 * free-list link when the cache has a constructor) and its share of the
 * span's tail.  At least goslab_usable_size() of the cache's objects.
 *
 * Return: the bytes; the same for the cache's whole life.
 */
size_t goslab_cache_footprint(const struct goslab_cache *c)
{
	return gs_slot_footprint(c->central.npages, c->central.nelems);
}
EXPORT_SYMBOL_GPL(goslab_cache_footprint);

/*
 * With CONFIG_SLAB_FREELIST_HARDENED, as SLUB checks kmem_cache_free(),
 * an object freed to @c must be in one of @c's spans: a page goslab
 * marked, whose span @c owns.  Cache objects are never vmap()ed.
 */
static __always_inline bool cache_owns(struct goslab_cache *c, const void *p)
{
	unsigned long addr = (unsigned long)p;
	struct page *page;

	if (!IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED))
		return true;
	if (unlikely(gs_is_vmalloc(addr)))
		return false;
	page = gs_direct_page(addr);
	return likely(gs_page_owned(page)) &&
	       likely(gs_page_span(page)->central == &c->central);
}

/*
 * In debug mode, the object must be one of @c's, handed out; otherwise it
 * failed cache_owns().  Return: whether to free it.
 */
static noinline bool cache_free_checked(struct goslab_cache *c, void *p)
{
	struct mspan *s;

	if (static_branch_unlikely(&gs_debug_key)) {
		s = gs_debug_free(p);
		return s && gs_debug_owner(s, &c->central, p);
	}
	if (cache_owns(c, p))
		return true;
	gs_debug_report(GS_DEBUG_INVALID_FREE, p, span_of_owned(p) ?
			"belongs to another cache" : "is not goslab memory");
	return false;
}

static __always_inline bool cache_free_ok(struct goslab_cache *c, void *p)
{
	if (likely(!static_branch_unlikely(&gs_debug_key) && cache_owns(c, p)))
		return true;
	return cache_free_checked(c, p);
}

/* goslab_cache_free() when debug mode is on or cache_owns() failed. */
static noinline void cache_free_slow(struct goslab_cache *c, void *p)
{
	if (cache_free_checked(c, p))
		gs_fast_free(&c->central, p);
}

/**
 * goslab_cache_free() - free an object to its cache
 * @c: the cache it came from
 * @p: the object; NULL is ignored
 *
 * Any CPU, the contexts goslab_free() allows (deferred in NMI context).
 * With CONFIG_SLAB_FREELIST_HARDENED, as for
 * kmem_cache_free(), an object of another cache, or not goslab's at all,
 * is refused, logged and counted (debug_invalid_free); debug mode checks
 * that and more whatever the configuration.
 */
void goslab_cache_free(struct goslab_cache *c, void *p)
{
	if (unlikely(!p))
		return;
	if (unlikely(in_nmi()))
		return gs_nmi_free(p);
	if (static_branch_unlikely(&gs_debug_key) || unlikely(!cache_owns(c, p)))
		return cache_free_slow(c, p);
	gs_fast_free(&c->central, p);
}
EXPORT_SYMBOL_GPL(goslab_cache_free);

/**
 * goslab_cache_alloc_bulk() - allocate several objects, all or nothing
 * @c: the cache
 * @flags: GFP flags
 * @nr: how many
 * @p: receives the objects
 *
 * The objects on this CPU's list come in one go, with interrupts off once.
 *
 * Return: @nr, or 0 with nothing allocated.
 */
int goslab_cache_alloc_bulk(struct goslab_cache *c, gfp_t flags, size_t nr,
			    void **p)
{
	struct mcentral *cc = &c->central;
	struct gs_freelist *fl;
	unsigned long irqflags;
	size_t i = 0, j;

	if (unlikely(in_nmi())) {
		gs_nmi_warn();
		return 0;
	}
	gs_might_alloc(flags);
	local_lock_irqsave(&gs_mcache.lock, irqflags);
	fl = this_cpu_ptr(cc->pcp);
	for (; i < nr && fl->head; i++) {
		p[i] = fl->head;
		fl->head = gs_link_get(cc, p[i]);
	}
	fl->count -= i;
	local_unlock_irqrestore(&gs_mcache.lock, irqflags);

	for (; i < nr; i++) {
		p[i] = mcache_alloc(cc, flags);
		if (!p[i])
			goto fail;
	}
	if (GS_ALLOC_HOOKS(flags))
		for (j = 0; j < nr; j++)
			gs_alloc_hooks(cc, p[j], cc->objsize, flags);
	return nr;

fail:
	/* Still free objects, poisoned and unowned: straight back. */
	for (j = 0; j < i; j++)
		mcache_free(cc, p[j]);
	return 0;
}
EXPORT_SYMBOL_GPL(goslab_cache_alloc_bulk);

/**
 * goslab_cache_free_bulk() - free several objects to their cache
 * @c: the cache
 * @nr: how many
 * @p: the objects
 *
 * They join this CPU's list with interrupts off once.
 */
void goslab_cache_free_bulk(struct goslab_cache *c, size_t nr, void **p)
{
	struct mcentral *cc = &c->central;
	struct gs_freelist *fl;
	unsigned long irqflags;
	unsigned int n;
	size_t i;

	if (unlikely(in_nmi())) {
		for (i = 0; i < nr; i++)
			if (p[i])
				gs_nmi_free(p[i]);
		return;
	}
	for (i = 0; i < nr; i++) {
		/* NULL entries are skipped, as kmem_cache_free_bulk() skips them. */
		if (!p[i] || !cache_free_ok(c, p[i])) {
			p[i] = NULL;
			continue;
		}
		if (GS_FREE_HOOKS())
			gs_free_hooks(cc, p[i]);
	}
	local_lock_irqsave(&gs_mcache.lock, irqflags);
	fl = this_cpu_ptr(cc->pcp);
	n = fl->count;
	for (i = 0; i < nr; i++) {
		if (!p[i])
			continue;
		if (IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED) &&
		    unlikely(p[i] == fl->head)) {
			gs_debug_report(GS_DEBUG_DOUBLE_FREE, p[i],
					"is already at the head of its CPU list");
			continue;
		}
		gs_link_set(cc, p[i], fl->head);
		fl->head = p[i];
		fl->count++;
	}
	__this_cpu_add(gs_mcache.stat[GS_CPU_FREE], fl->count - n);
	n = fl->count;
	local_unlock_irqrestore(&gs_mcache.lock, irqflags);
	if (unlikely(n >= cc->high))
		mcache_flush(cc);
}
EXPORT_SYMBOL_GPL(goslab_cache_free_bulk);

static void cache_release(struct goslab_cache *c)
{
	mcentral_release_all(&c->central);
	free_percpu(c->central.pcp);
	kfree(c);
}

/**
 * goslab_cache_destroy() - destroy a cache
 * @c: the cache; NULL is ignored
 *
 * Objects still in use are reported by count.  Their memory is not lost:
 * it stays valid, goslab_free() still takes them back, and goslab gives
 * it all back when it unloads.
 *
 * Context: process context; sleeps.
 */
void goslab_cache_destroy(struct goslab_cache *c)
{
	unsigned long live;

	if (!c)
		return;
	gs_nmi_flush();
	cpus_read_lock();
	mutex_lock(&mcentral_mutex);
	mcache_drain_all(&c->central);
	live = READ_ONCE(c->central.nalloc);
	if (live)
		c->zombie = true;
	else
		mcentral_unregister(&c->central);
	mutex_unlock(&mcentral_mutex);
	cpus_read_unlock();

	if (live) {
		pr_warn("goslab: cache %s destroyed with %lu objects in use; kept until unload\n",
			c->name, live);
		return;
	}
	synchronize_rcu();
	cache_release(c);
}
EXPORT_SYMBOL_GPL(goslab_cache_destroy);

static bool show_one(struct mcentral *central, void *m)
{
	struct goslab_cache *c = to_cache(central);

	if (c)
		seq_printf(m, "%s %u %u %u %u %lu %lu %lu %d %lu %lu\n",
			   c->name, central->objsize, central->elemsize,
			   central->npages, central->nelems,
			   READ_ONCE(central->nspans),
			   READ_ONCE(central->nalloc),
			   mcache_cached(central), c->zombie,
			   READ_ONCE(central->refilled),
			   READ_ONCE(central->flushed));
	return true;
}

/**
 * gs_cache_show() - the caches, for debugfs
 * @m: the file
 */
void gs_cache_show(struct seq_file *m)
{
	seq_puts(m, "name objsize elemsize npages nelems spans allocated cached zombie refills flushes\n");
	mcentral_for_each(show_one, m);
}

static bool find_cache(struct mcentral *central, void *found)
{
	struct goslab_cache *c = to_cache(central);

	*(struct goslab_cache **)found = c;
	return !c;
}

/**
 * gs_caches_exit() - release every cache at unload
 *
 * Context: the CPU lists are drained; no one allocates any more.
 */
void gs_caches_exit(void)
{
	struct goslab_cache *c;

	mutex_lock(&mcentral_mutex);
	/* One at a time: a cache is freed outside the walk that found it. */
	for (;;) {
		c = NULL;
		mcentral_for_each(find_cache, &c);
		if (!c)
			break;
		if (c->central.nalloc)
			pr_warn("goslab: cache %s: %lu objects still in use at unload, released\n",
				c->name, c->central.nalloc);
		mcentral_unregister(&c->central);
		cache_release(c);
	}
	mutex_unlock(&mcentral_mutex);
}
