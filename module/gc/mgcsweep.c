// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: sweeping (Go's runtime/mgcsweep.go) and release
 * callbacks (the part of Go's finalizers that kernel code needs).
 *
 * When a mark ends, every span of the heap goes on its type's unswept
 * list.  A span is swept once per cycle, under heap.lock: by an allocation
 * that finds no swept span with room (lazy sweep), or by the worker in the
 * background.  The next cycle begins only when every span is swept.
 *
 * Sweeping a span finds its dead objects, allocated and unmarked, in a few
 * word operations on its bitmaps.  Objects of a type without a release
 * callback are reclaimed at once: zeroed (free slots are kept zeroed),
 * poisoned for KASAN, and their slots cleared.  Objects of a type with one
 * are flagged in the span's relbits and the span joins the heap's release
 * queue; a dead object stays allocated until its callback has run, so its
 * memory cannot be reused before.  The callbacks run in process context
 * without any goslab lock held, one object at a time, by one task at a
 * time (the worker, or goslab_gc_collect() waiting for them).
 *
 * A span left without objects goes back to the page heap.
 */

#include <linux/sched.h>
#include <linux/slab.h>

#include "mgc.h"

/* Free the slot @idx of @gs, whose object is dead. */
static void free_slot(struct goslab_gc_heap *h, struct gs_gc_span *gs,
		      unsigned int idx)
{
	struct goslab_gc_type *t = gs->type;

	lockdep_assert_held(&h->lock);
	__clear_bit(idx, gs_gc_allocbits(gs));
	gs->nalloc--;
	gs->freeindex = min(gs->freeindex, idx);
	h->nobj--;
	h->heap_alloc -= t->elemsize;
}

/*
 * Move a swept span to the list its @gs->nalloc objects say: full,
 * partial, or @dead if empty.  Return true for @dead.
 */
static bool span_relist(struct goslab_gc_heap *h, struct gs_gc_span *gs,
			struct list_head *dead)
{
	struct goslab_gc_type *t = gs->type;

	lockdep_assert_held(&h->lock);
	if (!gs->nalloc) {
		/* Release callbacks may empty a span while a rescan goes on. */
		if (h->rescan.pos == &gs->node) {
			h->rescan.pos = gs->node.next;
			h->rescan.next = 0;
			h->rescan.looked = false;
		}
		list_del_init(&gs->node);
		list_move(&gs->list, dead);
		t->nspans--;
		return true;
	}
	if (gs->nalloc == t->nelems) {
		gs->where = GS_GC_FULL;
		list_move(&gs->list, &t->spans[GS_GC_FULL]);
	} else {
		gs->where = GS_GC_PARTIAL;
		list_move_tail(&gs->list, &t->spans[GS_GC_PARTIAL]);
	}
	return false;
}

/**
 * gs_gc_sweep_span() - sweep one span of the last cycle
 * @h: the heap; its lock held
 * @gs: a span on its type's unswept list
 * @dead: where the span goes if it ends up empty; gs_gc_free_spans() it
 *	after dropping the lock
 *
 * Return: true if the span went to @dead.
 */
bool gs_gc_sweep_span(struct goslab_gc_heap *h, struct gs_gc_span *gs,
		      struct list_head *dead)
{
	struct goslab_gc_type *t = gs->type;
	unsigned int w, words = BITS_TO_LONGS(t->nelems), idx;
	unsigned long *alloc = gs_gc_allocbits(gs), *rel = gs_gc_relbits(gs);
	unsigned long *mark = gs_gc_markbits(gs);
	unsigned long bits, freed = 0;
	void *obj;

	lockdep_assert_held(&h->lock);
	for (w = 0; w < words; w++) {
		bits = alloc[w] & ~mark[w] & ~rel[w];
		if (!bits)
			continue;
		h->released += hweight_long(bits);
		if (t->release) {
			rel[w] |= bits;
			gs->nrel += hweight_long(bits);
			continue;
		}
		for_each_set_bit(idx, &bits, BITS_PER_LONG) {
			obj = gs_gc_obj(gs, w * BITS_PER_LONG + idx);
			memset(obj, 0, t->size);
			gs_kasan_poison(obj, t->elemsize);
			free_slot(h, gs, w * BITS_PER_LONG + idx);
			freed++;
		}
	}
	/* Nothing marks now; the next cycle starts from clear bits. */
	bitmap_zero(mark, t->nelems);
	bitmap_zero(gs_gc_scanbits(gs), t->nelems);
	h->nunswept--;
	if (freed)
		gs_gc_count(h, GS_GC_FREED, freed);
	if (gs->nrel && list_empty(&gs->relnode)) {
		list_add_tail(&gs->relnode, &h->release_queue);
		gs_gc_wake(h, GS_GC_WANT_SWEEP);
	}
	return span_relist(h, gs, dead);
}

/**
 * gs_gc_span_destroy() - give a span's pages back to goslab
 * @gs: a span on no list, with no object anyone may touch
 */
void gs_gc_span_destroy(struct gs_gc_span *gs)
{
	struct mspan *s = gs->span;

	WRITE_ONCE(s->gc, NULL);
	kmemleak_free(s->base);
	/* After the span leaves the heap, under its lock: gs_gc_check_ptr(). */
	mheap_free_span(s);
	kfree(gs);
}

/**
 * gs_gc_free_spans() - destroy the spans sweeping emptied
 * @dead: a list of them; left empty
 */
void gs_gc_free_spans(struct list_head *dead)
{
	struct gs_gc_span *gs, *tmp;

	list_for_each_entry_safe(gs, tmp, dead, list) {
		list_del(&gs->list);
		gs_gc_span_destroy(gs);
	}
}

/**
 * gs_gc_sweep_all() - sweep every span still to sweep
 * @h: the heap
 * @resched: the caller may sleep: drop the lock now and then
 */
void gs_gc_sweep_all(struct goslab_gc_heap *h, bool resched)
{
	struct goslab_gc_type *t;
	struct gs_gc_span *gs;
	LIST_HEAD(dead);

	spin_lock(&h->lock);
	/* Types are never removed while the heap lives: the walk is safe. */
	list_for_each_entry(t, &h->types, node) {
		while ((gs = list_first_entry_or_null(&t->spans[GS_GC_UNSWEPT],
						      struct gs_gc_span, list))) {
			gs_gc_sweep_span(h, gs, &dead);
			if (resched && need_resched()) {
				spin_unlock(&h->lock);
				gs_gc_free_spans(&dead);
				cond_resched();
				spin_lock(&h->lock);
			}
		}
	}
	spin_unlock(&h->lock);
	gs_gc_free_spans(&dead);
}

/*
 * The release callbacks running now, in any heap: a few at most (one task
 * per heap runs them).  The write barrier looks here only while the list
 * is not empty.
 */
static LIST_HEAD(gs_gc_releasing_list);
static DEFINE_SPINLOCK(gs_gc_releasing_lock);

/**
 * gs_gc_call_release() - run the release callback of one dead object
 * @h: its heap
 * @t: its type, which has a callback
 * @obj: the object, still allocated
 *
 * Context: process context, no goslab lock held; sleeps.
 */
void gs_gc_call_release(struct goslab_gc_heap *h, struct goslab_gc_type *t,
			void *obj)
{
	struct gs_gc_releasing r = {
		.task = current,
		.obj = obj,
		.size = t->size,
	};

	spin_lock(&gs_gc_releasing_lock);
	list_add(&r.node, &gs_gc_releasing_list);
	spin_unlock(&gs_gc_releasing_lock);
	t->release(obj);
	spin_lock(&gs_gc_releasing_lock);
	list_del(&r.node);
	spin_unlock(&gs_gc_releasing_lock);
	gs_gc_count(h, GS_GC_RELEASED, 1);
}

/**
 * gs_gc_in_release() - is @slot a field of the object whose release
 *	callback the current task runs?
 * @slot: where goslab_gc_store() stores
 *
 * A dead object's fields may hold objects released before it, whose spans
 * may be gone: the barrier must not look their old values up.  Nor need
 * it: nothing reachable can be reached through a dead object, so the
 * deletion barrier has nothing to preserve there.  Only the current task's
 * own callbacks can be found here, and they are on the list for as long
 * as they run, so the lockless test for an empty list misses none.
 *
 * Return: true if it is.
 */
bool gs_gc_in_release(void **slot)
{
	struct gs_gc_releasing *r;
	bool found = false;

	if (list_empty(&gs_gc_releasing_list))
		return false;
	spin_lock(&gs_gc_releasing_lock);
	list_for_each_entry(r, &gs_gc_releasing_list, node) {
		if (r->task == current && (void *)slot >= r->obj &&
		    (void *)slot < r->obj + r->size) {
			found = true;
			break;
		}
	}
	spin_unlock(&gs_gc_releasing_lock);
	return found;
}

/**
 * gs_gc_run_release_queue() - run the release callbacks waiting
 * @h: the heap
 *
 * Context: process context, no goslab lock held; sleeps.
 * Return: false if another task is running them already.
 */
bool gs_gc_run_release_queue(struct goslab_gc_heap *h)
{
	struct goslab_gc_type *t;
	struct gs_gc_span *gs;
	unsigned int idx;
	LIST_HEAD(dead);
	void *obj;

	spin_lock(&h->lock);
	if (h->release_running) {
		spin_unlock(&h->lock);
		return false;
	}
	h->release_running = true;
	while ((gs = list_first_entry_or_null(&h->release_queue,
					      struct gs_gc_span, relnode))) {
		idx = find_first_bit(gs_gc_relbits(gs), gs->type->nelems);
		if (idx >= gs->type->nelems) {
			list_del_init(&gs->relnode);
			continue;
		}
		obj = gs_gc_obj(gs, idx);
		t = gs->type;
		spin_unlock(&h->lock);

		/*
		 * The object is still allocated: nobody can reuse its slot,
		 * and its span cannot go, while the callback runs.
		 */
		gs_gc_call_release(h, t, obj);
		memset(obj, 0, t->size);
		gs_gc_count(h, GS_GC_FREED, 1);
		cond_resched();

		spin_lock(&h->lock);
		gs_kasan_poison(obj, gs->type->elemsize);
		__clear_bit(idx, gs_gc_relbits(gs));
		gs->nrel--;
		free_slot(h, gs, idx);
		if (!gs->nrel)
			list_del_init(&gs->relnode);
		/* An unswept span stays for its sweep, which relists it. */
		if (gs->where != GS_GC_UNSWEPT &&
		    (gs->where == GS_GC_FULL || !gs->nalloc))
			span_relist(h, gs, &dead);
		if (!list_empty(&dead)) {
			spin_unlock(&h->lock);
			gs_gc_free_spans(&dead);
			spin_lock(&h->lock);
		}
	}
	h->release_running = false;
	spin_unlock(&h->lock);
	wake_up_all(&h->release_wq);
	return true;
}

static bool release_idle(struct goslab_gc_heap *h)
{
	bool idle;

	spin_lock(&h->lock);
	idle = !h->release_running && list_empty(&h->release_queue);
	spin_unlock(&h->lock);
	return idle;
}

/**
 * gs_gc_release_all() - run release callbacks until none is left
 * @h: the heap
 *
 * Returns when no object of @h awaits its callback and none is running.
 *
 * Context: process context, outside sections and callbacks; sleeps.
 */
void gs_gc_release_all(struct goslab_gc_heap *h)
{
	while (!release_idle(h)) {
		if (!gs_gc_run_release_queue(h))
			wait_event(h->release_wq, !READ_ONCE(h->release_running));
	}
}
