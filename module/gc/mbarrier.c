// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: the write barrier (Go's runtime/mbarrier.go).
 *
 * Go's hybrid barrier, goslab_gc_store(): while a heap marks, a store
 * shades the value it overwrites (Yuasa) and the value it stores
 * (Dijkstra), under the heap's grey lock.  Outside marking it costs one
 * load of a global count inside an RCU read-side critical section.  Why
 * that is enough, with the grace period a cycle waits for after arming
 * the barrier, is argued in Documentation/gc.rst.
 */

#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/rcupdate.h>

#include "mgc.h"

/*
 * Non-zero while any heap marks: the write barrier's slow path.  Off, a
 * store is an RCU read-side critical section around a store-release and
 * one load of this count, as Go's check of writeBarrier.enabled.  Not a
 * static key: arming the barrier every cycle would rewrite kernel text
 * under running mutators each time, for one load saved.
 */
static atomic_t gs_gc_barrier_on = ATOMIC_INIT(0);

/**
 * gs_gc_barrier_arm() - a heap begins to mark: stores take the slow path
 *
 * Stores that read the count before are RCU readers: a grace period after
 * this, every store sees it.
 */
void gs_gc_barrier_arm(void)
{
	atomic_inc(&gs_gc_barrier_on);
}

/**
 * gs_gc_barrier_disarm() - a heap's mark is over
 */
void gs_gc_barrier_disarm(void)
{
	atomic_dec(&gs_gc_barrier_on);
}

/* The heap of the GC object @p (any heap). */
static struct goslab_gc_heap *heap_of(const void *p)
{
	return gs_gc_span_of(p)->type->heap;
}

static noinline void gc_barrier(void **slot, void *val)
{
	void *old = READ_ONCE(*slot);
	struct goslab_gc_heap *h;
	unsigned int mask;

	/* A dying object's field: its old value may be freed memory. */
	if (old && unlikely(gs_gc_in_release(slot)))
		old = NULL;
	if (!old && !val)
		return;
	h = heap_of(old ? old : val);
	RCU_LOCKDEP_WARN(val && !srcu_read_lock_held(&h->srcu),
			 "goslab_gc_store() of an object outside a section");
	if (!gs_gc_marking(READ_ONCE(h->phase)))
		return;
	if (val && static_branch_unlikely(&gs_debug_key) &&
	    !gs_gc_check_ptr(h, val))
		val = NULL;
	mask = READ_ONCE(h->barrier_mask);
	spin_lock(&h->grey_lock);
	/* Under the lock the phase cannot become SWEEP behind our back. */
	if (gs_gc_marking(h->phase)) {
		if (old && (mask & GS_GC_SHADE_OLD))
			gs_gc_shade_locked(h, old);
		if (val && (mask & GS_GC_SHADE_NEW))
			gs_gc_shade_locked(h, val);
	}
	spin_unlock(&h->grey_lock);
}

/**
 * goslab_gc_store() - store a pointer into a GC object or a root slot
 * @slot: a pointer field of a GC object (at an offset its type lists), or
 *	a root slot
 * @val: a GC object of the same heap, or NULL
 *
 * A pointer into another heap is a bug the barrier does not check for (it
 * does nothing outside marking): the store is performed, but the collector
 * does not follow the pointer, so it keeps nothing alive, and counts it in
 * bad_pointers wherever it meets it.
 *
 * Go's hybrid write barrier: while the heap marks, the value being
 * overwritten is shaded (Yuasa's deletion barrier: what was reachable
 * when the mark began stays reachable for the collector) and so is @val
 * (Dijkstra's insertion barrier: a black object never points to a white
 * one the collector could miss).  Outside marking it is a store-release,
 * so the collector, reading the field, sees the object's initialisation.
 *
 * Call it inside a section when @val is not NULL (the caller holds @val);
 * storing NULL into a root is allowed anywhere.  Any process context.
 */
void goslab_gc_store(void **slot, void *val)
{
	/*
	 * The barrier's check and the store form one RCU read-side critical
	 * section: a cycle arms the barrier and then waits for a grace
	 * period, after which no store that missed the barrier is in flight.
	 */
	rcu_read_lock();
	if (unlikely(atomic_read(&gs_gc_barrier_on)))
		gc_barrier(slot, val);
	/* Orders the object's initialisation before its publication. */
	smp_store_release(slot, val);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(goslab_gc_store);
