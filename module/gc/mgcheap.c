// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: heaps, types and allocation (the collector's part of
 * Go's runtime/mheap.go and malloc.go).
 *
 * Heaps are independent: each has its own roots, sections, collector
 * thread and pacing, and never scans another's objects.  A type lists the
 * offsets of its pointer fields and lives as long as its heap.
 *
 * The allocation side is deliberately simple: every type has its own spans
 * from the page heap (mheap_alloc_span(..., MSPAN_GC)), with an allocation
 * bitmap and a mark bitmap each, as Go's allocBits and gcmarkBits, under
 * the heap's spinlock.  GC objects do not go through the per-CPU caches.
 * A pointer finds its object as any goslab pointer does, through its
 * span, whose ->gc is the collector's struct gs_gc_span.
 *
 * Core asks the collector about its spans through struct mspan_gc_ops,
 * registered here at module init.
 */

#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mgc.h"

/* Heaps, for debugfs and module exit. */
LIST_HEAD(gs_gc_heaps);
DEFINE_MUTEX(gs_gc_mutex);	/* protects gs_gc_heaps */

/**
 * gs_gc_lookup() - the span and index of a GC object of @h
 * @h: the heap the pointer is expected in
 * @p: a pointer to, or into, an allocated object
 * @idx: set to the object's index in its span
 *
 * Trusts that @p is goslab memory (it came through the barrier, which
 * checks it in debug mode); other heaps' objects and pointers into a span's
 * tail are counted and refused.
 *
 * Return: the span, or NULL.
 */
struct gs_gc_span *gs_gc_lookup(struct goslab_gc_heap *h, const void *p,
				unsigned int *idx)
{
	struct mspan *s = span_of(p);
	struct gs_gc_span *gs;

	if (unlikely(!s || s->state != MSPAN_GC))
		goto bad;
	/* Its address dependency orders it after type_grow()'s release. */
	gs = READ_ONCE(s->gc);
	if (unlikely(!gs || gs->type->heap != h))
		goto bad;
	*idx = gs_gc_index(gs, p);
	if (unlikely(*idx >= gs->type->nelems))
		goto bad;
	return gs;
bad:
	gs_gc_count(h, GS_GC_BAD_POINTERS, 1);
	return NULL;
}

/**
 * gs_gc_check_ptr() - debug mode: is @p an allocated object of @h?
 * @h: the heap
 * @p: any pointer
 *
 * Never dereferences memory goslab does not own, nor a span another
 * heap's sweep or destruction may free meanwhile: the span, its GC
 * bookkeeping and its type are read under the heap lock, which freeing a
 * span takes (gs_gc_span_destroy() frees its gs_gc_span after, a type
 * goes after all its spans).  A pointer that fails is reported once per
 * call and counted.
 *
 * Return: true if @p points into an allocated object of @h.
 */
bool gs_gc_check_ptr(struct goslab_gc_heap *h, const void *p)
{
	struct gs_gc_span *gs;
	unsigned long flags;
	bool in_heap, ok = false;
	unsigned int idx;
	struct mspan *s;

	flags = mheap_lock();
	s = mheap_lookup(p, &in_heap);
	if (s && s->state == MSPAN_GC) {
		/* Pairs with type_grow()'s release: @p may be any pointer. */
		gs = smp_load_acquire(&s->gc);
		if (gs && gs->type->heap == h) {
			idx = gs_gc_index(gs, p);
			ok = idx < gs->type->nelems &&
			     test_bit(idx, gs_gc_allocbits(gs));
		}
	}
	mheap_unlock(flags);
	/* KUnit destroys the heap @p points into here: @s may be gone. */
	gs_test_hold(GS_HOLD_GC_CHECK);
	if (ok)
		return true;
	gs_gc_count(h, GS_GC_BAD_POINTERS, 1);
	pr_err_ratelimited("goslab: gc heap %s: %p is not an object of this heap\n",
			   h->name, p);
	return false;
}

/* Bytes of the bookkeeping of a span of @nelems objects, its bitmaps too. */
static size_t span_meta_size(unsigned int nelems)
{
	struct gs_gc_span *gs;

	return struct_size(gs, bits, GS_GC_SPAN_BITMAPS * BITS_TO_LONGS(nelems));
}

/*
 * A new span for objects of @t, as Go's mcentral.grow(): its pages from
 * the page heap, all slots free and zeroed.  On no list yet.
 */
static struct gs_gc_span *type_grow(struct goslab_gc_type *t, gfp_t gfp)
{
	struct gs_gc_span *gs;
	struct mspan *s;

	gs = kzalloc(span_meta_size(t->nelems), gs_gfp(gfp));
	if (!gs)
		return NULL;
	s = mheap_alloc_span(t->npages, MSPAN_GC, gfp);
	if (!s) {
		kfree(gs);
		return NULL;
	}
	INIT_LIST_HEAD(&gs->relnode);
	INIT_LIST_HEAD(&gs->node);
	gs->span = s;
	gs->type = t;
	gs->base = s->base;
	/*
	 * Free slots are kept zeroed (sweep zeroes what it reclaims), so the
	 * collector never finds stale pointers in an object allocated black
	 * and not yet initialised by its caller.
	 */
	memset(s->base, 0, (size_t)t->npages << GS_PAGE_SHIFT);
	gs_kasan_poison(s->base, (size_t)t->npages << GS_PAGE_SHIFT);
	/*
	 * kmemleak scans the whole span for pointers to other memory (free
	 * slots are zero), and never reports it: the collector, not a
	 * caller's free, ends its objects' lives.  One kmemleak object per
	 * span, not per object, keeps its cost off a million-object heap.
	 */
	kmemleak_alloc(s->base, (size_t)t->npages << GS_PAGE_SHIFT, 0, gfp);
	/*
	 * Published with the span, whose pages already point at it: a
	 * reader that finds it by a page (debugfs "spans", a debug-mode
	 * check) sees the bookkeeping above filled in, on weakly ordered
	 * CPUs too.
	 */
	smp_store_release(&s->gc, gs);
	return gs;
}

/**
 * goslab_gc_alloc() - allocate a GC object
 * @t: its type
 * @flags: GFP flags for new spans; without __GFP_DIRECT_RECLAIM the call
 *	never sleeps.  The object is always zeroed.
 *
 * Call it inside a section and store the object into the graph (or a
 * root) before the section ends, or it is garbage.  While the heap marks,
 * the object is allocated black, and the allocation may first pay for
 * some marking (an assist) to keep the heap within its goal.
 *
 * Return: the object, or NULL.
 */
void *goslab_gc_alloc(struct goslab_gc_type *t, gfp_t flags)
{
	struct goslab_gc_heap *h = t->heap;
	struct gs_gc_span *gs;
	bool wake = false;
	unsigned int idx;
	LIST_HEAD(dead);
	void *obj;

	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&h->srcu),
			 "GC allocation outside a section");
	gs_might_alloc(flags);
	if (unlikely(gs_gc_marking(READ_ONCE(h->phase))))
		gs_gc_assist(h, t->elemsize, flags);

	spin_lock(&h->lock);
	for (;;) {
		gs = list_first_entry_or_null(&t->spans[GS_GC_PARTIAL],
					      struct gs_gc_span, list);
		if (gs)
			break;
		/* Lazy sweep: a span of the last cycle may have room now. */
		gs = list_first_entry_or_null(&t->spans[GS_GC_UNSWEPT],
					      struct gs_gc_span, list);
		if (!gs)
			break;
		gs_gc_sweep_span(h, gs, &dead);
	}
	if (!gs) {
		spin_unlock(&h->lock);
		gs_gc_free_spans(&dead);
		gs = type_grow(t, flags);
		if (!gs)
			return NULL;
		spin_lock(&h->lock);
		gs->where = GS_GC_PARTIAL;
		list_add(&gs->list, &t->spans[GS_GC_PARTIAL]);
		gs->seq = h->span_seq++;
		/* Only a span with pointers in it can need a rescan. */
		if (t->nr_ptrs)
			list_add_tail(&gs->node, &h->spans);
		t->nspans++;
	}

	idx = find_next_zero_bit(gs_gc_allocbits(gs), t->nelems, gs->freeindex);
	__set_bit(idx, gs_gc_allocbits(gs));
	gs->freeindex = idx + 1;
	if (++gs->nalloc == t->nelems) {
		gs->where = GS_GC_FULL;
		list_move(&gs->list, &t->spans[GS_GC_FULL]);
	}
	obj = gs_gc_obj(gs, idx);
	/* Under the lock: a rescan (mgcmark.c) may read it from now on. */
	gs_kasan_redzone(obj, t->size, t->elemsize);
	if (h->black) {
		/*
		 * Allocate black: its fields are all NULL, and every store
		 * into it shades (h->black comes after the grace period that
		 * armed the barrier everywhere: see gs_gc_cycle_begin()).
		 */
		set_bit(idx, gs_gc_markbits(gs));
		set_bit(idx, gs_gc_scanbits(gs));
		atomic_long_add(t->elemsize, &h->marked_bytes);
		gs_gc_count(h, GS_GC_ALLOC_BLACK, 1);
	}
	h->nobj++;
	h->heap_alloc += t->elemsize;
	h->alloc_peak = max(h->alloc_peak, h->heap_alloc);
	WRITE_ONCE(h->heap_live, h->heap_live + t->elemsize);
	h->heap_peak = max(h->heap_peak, h->heap_live);
	h->cycle_peak = max(h->cycle_peak, h->heap_live);
	wake = gs_gc_pacer_wants_cycle(h);
	spin_unlock(&h->lock);

	gs_gc_free_spans(&dead);
	if (wake)
		gs_gc_wake(h, GS_GC_WANT_CYCLE);
	return obj;
}
EXPORT_SYMBOL_GPL(goslab_gc_alloc);

/**
 * goslab_gc_heap_create() - create a garbage-collected heap
 * @name: for statistics and the collector thread's name; copied
 *
 * Heaps are independent: each has its own roots, sections, collector
 * thread and pacing, and never scans another's objects.
 *
 * Context: process context; sleeps.
 * Return: the heap, or NULL.
 */
struct goslab_gc_heap *goslab_gc_heap_create(const char *name)
{
	struct goslab_gc_heap *h;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return NULL;
	h->created_ns = ktime_get_ns();
	h->name = kstrdup(name, GFP_KERNEL);
	h->assist_credit = alloc_percpu(long);
	if (!h->name || !h->assist_credit ||
	    !zalloc_cpumask_var(&h->mark_cpus, GFP_KERNEL) ||
	    gs_gc_sections_init(h))
		goto fail;
	mutex_init(&h->cycle_mutex);
	spin_lock_init(&h->lock);
	INIT_LIST_HEAD(&h->types);
	INIT_LIST_HEAD(&h->spans);
	INIT_LIST_HEAD(&h->release_queue);
	init_waitqueue_head(&h->release_wq);
	spin_lock_init(&h->grey_lock);
	mutex_init(&h->roots_mutex);
	xa_init(&h->roots);
	init_waitqueue_head(&h->worker_wq);
	h->mode = READ_ONCE(gs_gc_mode_param);
	h->barrier_mask = GS_GC_SHADE_OLD | GS_GC_SHADE_NEW;
	h->percent = GS_GC_PERCENT_FROM_PARAM;
	spin_lock(&h->lock);
	gs_gc_pacer_init(h);
	spin_unlock(&h->lock);

	h->worker = kthread_run(gs_gc_worker, h, "goslab_gc/%s", h->name);
	if (IS_ERR(h->worker))
		goto fail_sections;
	mutex_lock(&gs_gc_mutex);
	list_add_tail(&h->node, &gs_gc_heaps);
	mutex_unlock(&gs_gc_mutex);
	return h;

fail_sections:
	gs_gc_sections_destroy(h);
fail:
	free_cpumask_var(h->mark_cpus);
	free_percpu(h->assist_credit);
	kfree(h->name);
	kfree(h);
	return NULL;
}
EXPORT_SYMBOL_GPL(goslab_gc_heap_create);

/*
 * Free everything of a heap nobody uses any more.  @release: run the
 * callbacks of the objects still allocated (not at module exit, where the
 * modules they belong to are gone).  Returns the objects it held.
 */
static unsigned long heap_free(struct goslab_gc_heap *h, bool release)
{
	struct goslab_gc_type *t, *tt;
	struct gs_gc_span *gs, *tmp;
	unsigned int idx;
	unsigned long n = 0;

	if (release)
		gs_gc_release_all(h);
	list_for_each_entry_safe(t, tt, &h->types, node) {
		gs_gc_for_each_span(gs, tmp, t) {
			for_each_set_bit(idx, gs_gc_allocbits(gs), t->nelems) {
				n++;
				if (release && t->release &&
				    !test_bit(idx, gs_gc_relbits(gs))) {
					gs_gc_call_release(h, t,
							   gs_gc_obj(gs, idx));
					cond_resched();
				}
			}
			list_del(&gs->list);
			list_del(&gs->node);
			gs_gc_span_destroy(gs);
		}
		list_del(&t->node);
		kfree(t->name);
		kfree(t);
	}
	xa_destroy(&h->roots);
	gs_gc_sections_destroy(h);
	gs_gc_grey_free(h);
	free_cpumask_var(h->mark_cpus);
	free_percpu(h->assist_credit);
	kfree(h->name);
	kfree(h);
	return n;
}

/**
 * goslab_gc_heap_destroy() - release every object of a heap, and the heap
 * @h: the heap; NULL is ignored
 *
 * Every object still allocated is released, reachable or not: its release
 * callback runs (once), and its memory goes back to goslab.  Roots and
 * types go with the heap.
 *
 * Context: process context; sleeps.  No section of @h may be open and no
 * other call on @h may run or follow.
 */
void goslab_gc_heap_destroy(struct goslab_gc_heap *h)
{
	if (!h)
		return;
	mutex_lock(&gs_gc_mutex);
	list_del(&h->node);
	mutex_unlock(&gs_gc_mutex);
	/* The worker finishes a cycle it is in, then exits. */
	kthread_stop(h->worker);
	heap_free(h, true);
}
EXPORT_SYMBOL_GPL(goslab_gc_heap_destroy);

/**
 * goslab_gc_type_create() - register a type of GC object on a heap
 * @h: the heap
 * @name: for statistics; copied
 * @size: bytes of an object, at most 4 MiB
 * @ptr_offsets: byte offset of each pointer field, pointer-aligned and
 *	inside the object; copied
 * @nr_ptrs: number of pointer fields; 0 makes a pointer-free (noscan) type
 * @release: called once for every object of the type the collector
 *	reclaims, in process context, outside goslab's locks, before the
 *	memory is reused; it must not store the object anywhere nor follow
 *	its GC pointers (their targets may be released already).  It may
 *	clear them with goslab_gc_store(), which then ignores the values
 *	they held.  NULL for none.
 *
 * Types live as long as their heap.
 *
 * Context: process context; sleeps.
 * Return: the type, or NULL on a bad layout or no memory.
 */
struct goslab_gc_type *goslab_gc_type_create(struct goslab_gc_heap *h,
					     const char *name,
					     unsigned int size,
					     const unsigned int *ptr_offsets,
					     unsigned int nr_ptrs,
					     void (*release)(void *obj))
{
	struct goslab_gc_type *t;
	unsigned int i, cls;

	if (!size || size > (GS_MAX_RUN_PAGES << GS_PAGE_SHIFT) ||
	    nr_ptrs > size / sizeof(void *))
		return NULL;
	for (i = 0; i < nr_ptrs; i++)
		if (!IS_ALIGNED(ptr_offsets[i], sizeof(void *)) ||
		    ptr_offsets[i] > size - sizeof(void *))
			return NULL;

	t = kzalloc(struct_size(t, ptr_offsets, nr_ptrs), GFP_KERNEL);
	if (!t)
		return NULL;
	t->nr_ptrs = nr_ptrs;
	t->name = kstrdup(name, GFP_KERNEL);
	if (!t->name) {
		kfree(t);
		return NULL;
	}
	memcpy(t->ptr_offsets, ptr_offsets, nr_ptrs * sizeof(*ptr_offsets));
	t->heap = h;
	t->size = size;
	t->release = release;
	/*
	 * Small objects get their size class, at least the 16-byte one, the
	 * smallest a goslab_alloc() object outside the tiny blocks has;
	 * larger ones a span each.
	 */
	size = max_t(unsigned int, size, GOSLAB_TINY_SIZE);
	if (size <= GOSLAB_MAX_SMALL_SIZE) {
		cls = goslab_size_to_class(size);
		t->elemsize = goslab_class_to_size[cls];
		t->npages = goslab_class_to_npages[cls];
	} else {
		t->npages = DIV_ROUND_UP(size, GS_PAGE_SIZE);
		t->elemsize = t->npages << GS_PAGE_SHIFT;
	}
	t->nelems = (t->npages << GS_PAGE_SHIFT) / t->elemsize;
	t->divmagic = gs_divmagic(t->elemsize, t->npages);
	for (i = 0; i < GS_GC_NR_SPAN_LISTS; i++)
		INIT_LIST_HEAD(&t->spans[i]);
	spin_lock(&h->lock);
	list_add_tail(&t->node, &h->types);
	spin_unlock(&h->lock);
	return t;
}
EXPORT_SYMBOL_GPL(goslab_gc_type_create);

/**
 * goslab_gc_type_footprint() - the memory an object of a GC type pins
 * @t: the type
 *
 * What goslab keeps in use for one object of @t until the collector
 * frees it: its size class's slot and its share of the span's tail, or
 * whole 8 KiB heap pages for a type larger than 32 KiB.
 *
 * Return: the bytes; the same for the type's whole life.
 */
size_t goslab_gc_type_footprint(const struct goslab_gc_type *t)
{
	return gs_slot_footprint(t->npages, t->nelems);
}
EXPORT_SYMBOL_GPL(goslab_gc_type_footprint);

/*
 * goslab_free() was given a GC object: GC objects are never freed
 * explicitly, and the object is left alone.
 */
static void gc_bad_free(struct mspan *s, const void *p)
{
	struct gs_gc_span *gs = READ_ONCE(s->gc);

	if (gs)
		gs_gc_count(gs->type->heap, GS_GC_BAD_FREES, 1);
	pr_err_ratelimited("goslab: free of GC object %p (%s) ignored: the collector frees it\n",
			   p, gs ? gs->type->name : "?");
}

/* goslab_usable_size() of a GC object: the size of its type. */
static size_t gc_usable_size(struct mspan *s, const void *p)
{
	struct gs_gc_span *gs = READ_ONCE(s->gc);

	return gs ? gs->type->size : 0;
}

static const struct mspan_gc_ops gc_span_ops = {
	.bad_free	= gc_bad_free,
	.usable_size	= gc_usable_size,
	.show_span	= gs_gc_show_span,
};

/**
 * gs_gc_init() - module init
 *
 * The span of a large type holds one object of any number of whole heap
 * pages up to GS_MAX_RUN_PAGES: check that a pointer to any byte of it
 * finds the object (small types use the size classes, checked before),
 * then answer core about the collector's spans (struct mspan_gc_ops).
 *
 * Return: 0, or -EINVAL if some size would not.
 */
int gs_gc_init(void)
{
	unsigned int npages, elemsize;

	for (npages = 1; npages <= GS_MAX_RUN_PAGES; npages++) {
		elemsize = npages << GS_PAGE_SHIFT;
		if (!gs_divmagic_exact(elemsize, npages,
				       gs_divmagic(elemsize, npages)))
			return -EINVAL;
	}
	mspan_set_gc_ops(&gc_span_ops);
	return 0;
}

/**
 * gs_gc_exit() - module exit: free the heaps clients left behind
 *
 * Their objects' memory goes back to goslab; release callbacks are not
 * run, since the modules they belong to are gone by now.
 */
void gs_gc_exit(void)
{
	struct goslab_gc_heap *h, *tmp;
	unsigned long n;

	list_for_each_entry_safe(h, tmp, &gs_gc_heaps, node) {
		list_del(&h->node);
		kthread_stop(h->worker);
		pr_info("goslab: gc heap %s still live at unload: freeing it\n",
			h->name);
		n = heap_free(h, false);
		pr_info("goslab: gc heap freed at unload: %lu objects\n", n);
	}
	mspan_set_gc_ops(NULL);
}

#ifdef GOSLAB_TEST
#include "tests/mgcheap-kunit.h"
#endif
