// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector.
 *
 * This is Go's collector (runtime/mgc.go) for kernel object graphs that
 * ask for it: a non-generational, non-compacting, tri-colour mark and
 * sweep collector with a hybrid (Yuasa deletion + Dijkstra insertion)
 * write barrier.  A caller creates a heap, registers types whose pointer
 * fields it lists, allocates objects of them, and registers roots.  What
 * is reachable from the roots, or held by an open section, lives; the
 * rest is released.
 *
 * Go scans goroutine stacks to find the pointers held in local variables.
 * The kernel has no stack maps, so locals are covered by sections instead:
 * a section is an SRCU read-side critical section on the heap's
 * srcu_struct, and the collector never releases an object that a section
 * open since before mark termination may hold.  How that follows from one
 * grace period at mark termination is argued in Documentation/gc.rst.
 *
 * The collector runs in cycles, one at a time per heap (cycle_mutex):
 *
 *   1. Sweep termination: every span of the last cycle is swept.
 *   2. Mark: the phase becomes MARK and the barrier is armed; after an RCU
 *      grace period no store escapes it.  Roots are shaded, then the grey
 *      list is drained: by the heap's worker thread (concurrent mode), by
 *      allocating tasks as assists (incremental mode), or with sections
 *      held off (stop-the-world mode).  Objects allocated while marking
 *      are allocated black.
 *   3. Mark termination: when the grey list is empty the phase becomes
 *      MARKTERM, an SRCU grace period waits out every section that began
 *      before, the grey list is drained again, and under the grey lock,
 *      with it empty, the phase becomes SWEEP.  With gc_checkmark, the
 *      world is stopped here and everything reachable is re-marked into
 *      separate bits to prove that the cycle left nothing reachable white.
 *   4. Sweep: unmarked objects are reclaimed lazily by allocation and in
 *      the background by the worker; objects whose type has a release
 *      callback wait on a queue, and the worker (or goslab_gc_collect())
 *      runs the callbacks in process context before their slots return to
 *      the span.
 *
 * A cycle starts by itself when the heap grows to the pacer's trigger
 * (mgcpacer.c), or when goslab_gc_collect() asks for one.
 *
 * The allocation side is deliberately simple: every type has its own spans
 * from the page heap (mheap_alloc_span(..., MSPAN_GC)), with an allocation
 * bitmap and a mark bitmap each, as Go's allocBits and gcmarkBits, under
 * the heap's spinlock.  GC objects do not go through the per-CPU caches.
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/jump_label.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "mgc.h"

static const char *const gs_gc_mode_names[] = {
	[GS_GC_STW]		= "stw",
	[GS_GC_INCREMENTAL]	= "incremental",
	[GS_GC_CONCURRENT]	= "concurrent",
};

static const char *const gs_gc_phase_names[] = {
	[GS_GC_OFF]		= "off",
	[GS_GC_MARK]		= "mark",
	[GS_GC_MARKTERM]	= "marktermination",
	[GS_GC_SWEEP]		= "sweep",
};

int gs_gc_mode_param = GS_GC_CONCURRENT;

static int gc_mode_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(gs_gc_mode_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(gs_gc_mode_param, i);
	return 0;
}

static int gc_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  gs_gc_mode_names[READ_ONCE(gs_gc_mode_param)]);
}

static const struct kernel_param_ops gc_mode_ops = {
	.set = gc_mode_set,
	.get = gc_mode_get,
};
module_param_cb(gc_mode, &gc_mode_ops, NULL, 0644);
MODULE_PARM_DESC(gc_mode,
		 "Collector mode for cycles that start from now on: stw, incremental or concurrent (default)");

int gs_gc_percent_param = 100;
module_param_named(gc_percent, gs_gc_percent_param, int, 0644);
MODULE_PARM_DESC(gc_percent,
		 "GOGC: a cycle starts when the heap reaches live * (1 + gc_percent/100); negative turns automatic cycles off");

bool gs_gc_checkmark_param;
module_param_named(gc_checkmark, gs_gc_checkmark_param, bool, 0644);
MODULE_PARM_DESC(gc_checkmark,
		 "After each mark, stop the heap's sections and re-mark from the roots to verify that nothing reachable was left white");

unsigned int gs_gc_min_heap_kb = 4096;
module_param_named(gc_min_heap_kb, gs_gc_min_heap_kb, uint, 0644);
MODULE_PARM_DESC(gc_min_heap_kb,
		 "Heap goal floor at gc_percent=100, in KiB (Go's heapminimum; scaled by gc_percent)");

static bool gc_trace;
module_param(gc_trace, bool, 0644);
MODULE_PARM_DESC(gc_trace, "Log one line per collection, as Go's GODEBUG=gctrace=1");

/* Heaps, for debugfs and module exit. */
static LIST_HEAD(gs_gc_heaps);
static DEFINE_MUTEX(gs_gc_mutex);

/*
 * Non-zero while any heap marks: the write barrier's slow path.  Off, a
 * store is an RCU read-side critical section around a store-release and
 * one load of this count, as Go's check of writeBarrier.enabled.  Not a
 * static key: arming the barrier every cycle would rewrite kernel text
 * under running mutators each time, for one load saved.
 */
static atomic_t gs_gc_barrier_on = ATOMIC_INIT(0);

/* An incremental cycle's worker marks this much every tick on its own. */
#define GS_GC_IDLE_WORK		(256UL << 10)
#define GS_GC_IDLE_TICK		msecs_to_jiffies(10)

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
		gs = READ_ONCE(s->gc);
		if (gs && gs->type->heap == h) {
			idx = gs_gc_index(gs, p);
			ok = idx < gs->type->nelems && test_bit(idx, gs->allocbits);
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

/**
 * goslab_gc_enter() - open a section on a heap
 * @h: the heap
 *
 * Inside a section, GC objects the task allocates or loads stay valid
 * until goslab_gc_exit(), reachable or not.  Sections may sleep; they are
 * left by the task that entered them and must not nest on one heap;
 * sections of different heaps may nest, in any order (see
 * gs_gc_stop_world()).  They delay the end of the collector's mark, so
 * keep them short-ish.
 *
 * Context: process context; may sleep (while a stop-the-world collector
 * runs).
 * Return: the token for goslab_gc_exit().
 */
int goslab_gc_enter(struct goslab_gc_heap *h)
	__acquires(&h->srcu)
{
	int idx;

	might_sleep();
	for (;;) {
		idx = srcu_read_lock(&h->srcu);
		/* srcu_read_lock() is a full barrier: pairs with gs_gc_stop_world(). */
		if (likely(!READ_ONCE(h->stw)))
			return idx;
		srcu_read_unlock(&h->srcu, idx);
		wait_event(h->stw_wq, !READ_ONCE(h->stw));
	}
}
EXPORT_SYMBOL_GPL(goslab_gc_enter);

/**
 * goslab_gc_exit() - close a section
 * @h: the heap
 * @token: what goslab_gc_enter() returned
 *
 * Afterwards the task may hold GC objects only through roots.
 */
void goslab_gc_exit(struct goslab_gc_heap *h, int token)
	__releases(&h->srcu)
{
	srcu_read_unlock(&h->srcu, token);
}
EXPORT_SYMBOL_GPL(goslab_gc_exit);

/* A stop waits this long for the sections before it backs off. */
#define GS_GC_STW_PATIENCE_MS	100
/* Its patience doubles at each attempt, up to this. */
#define GS_GC_STW_PATIENCE_MAX	(10 * HZ)

#ifdef CONFIG_FAULT_INJECTION
/*
 * A test hook, on kernels built for fault injection only: a longer first
 * patience, so that goslab_gc_test_nested_stop's two stops overlap while
 * its threads try to nest, every time, not by luck.
 */
static unsigned int test_stw_patience_ms;
module_param(test_stw_patience_ms, uint, 0644);
MODULE_PARM_DESC(test_stw_patience_ms,
		 "Testing only: first wait of a stop of the world before it backs off (0: 100 ms)");

static unsigned long stw_patience(void)
{
	unsigned int ms = READ_ONCE(test_stw_patience_ms);

	return msecs_to_jiffies(ms ? ms : GS_GC_STW_PATIENCE_MS);
}
#else
static unsigned long stw_patience(void)
{
	return msecs_to_jiffies(GS_GC_STW_PATIENCE_MS);
}
#endif

/* The stop's grace period, in a worker, so the stop can time out. */
static void stw_grace_fn(struct work_struct *work)
{
	struct goslab_gc_heap *h = container_of(work, struct goslab_gc_heap,
						stw_work);

	synchronize_srcu_expedited(&h->srcu);
	complete(&h->stw_done);
}

/**
 * gs_gc_stop_world() - hold every section of @h off
 * @h: the heap; its cycle_mutex held
 *
 * New sections wait in goslab_gc_enter(); the grace period waits for the
 * sections that began before they could see the flag.
 *
 * Sections of different heaps may nest, in any order: a task in a section
 * of @h may be waiting in goslab_gc_enter() for another heap's stop, whose
 * collector waits for a section of that heap held by a task waiting for
 * ours.  Neither grace period could end.  So a stop that waits longer than
 * its patience backs off: it lets sections in again, waits for its grace
 * period to end (the nested sections now can), and tries again, twice as
 * patient.  A stop is what lockdep cannot see (a flag and a wait queue),
 * and this makes it unable to deadlock.  Lockdep still sees the grace
 * period itself as waiting for @h's sections: a stop inside one of them is
 * reported, as synchronize_srcu() would be.
 */
void gs_gc_stop_world(struct goslab_gc_heap *h)
{
	unsigned long patience = stw_patience();

	lockdep_assert_held(&h->cycle_mutex);
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	srcu_lock_sync(&h->srcu.dep_map);
#endif
	for (;;) {
		WRITE_ONCE(h->stw, true);
		/* Before the grace period: pairs with goslab_gc_enter(). */
		smp_mb();
		reinit_completion(&h->stw_done);
		queue_work(system_unbound_wq, &h->stw_work);
		if (wait_for_completion_timeout(&h->stw_done, patience))
			return;
		WRITE_ONCE(h->stw, false);
		wake_up_all(&h->stw_wq);
		wait_for_completion(&h->stw_done);
		patience = min(2 * patience, (unsigned long)GS_GC_STW_PATIENCE_MAX);
	}
}

/**
 * gs_gc_start_world() - let sections in again
 * @h: the heap; its cycle_mutex held
 * @since: when gs_gc_stop_world() was called, for the pause statistics
 * @pause: count it as a collector pause (not for checkmark's own stop)
 */
void gs_gc_start_world(struct goslab_gc_heap *h, ktime_t since, bool pause)
{
	s64 ns = ktime_to_ns(ktime_sub(ktime_get(), since));

	lockdep_assert_held(&h->cycle_mutex);
	WRITE_ONCE(h->stw, false);
	wake_up_all(&h->stw_wq);
	if (!pause)
		return;
	gs_gc_count(h, GS_GC_PAUSE_NS, ns);
	gs_gc_count_max(h, GS_GC_PAUSE_MAX_NS, ns);
}

/**
 * gs_gc_wake() - ask the heap's worker for something
 * @h: the heap
 * @what: GS_GC_WANT_CYCLE, GS_GC_WANT_SWEEP or GS_GC_WANT_TERM
 *
 * Any context but hard interrupts: called with the heap's locks held.
 */
void gs_gc_wake(struct goslab_gc_heap *h, int what)
{
	if (!test_and_set_bit(what, &h->flags))
		wake_up(&h->worker_wq);
}

static struct gs_gc_span *span_create(struct goslab_gc_type *t, gfp_t gfp)
{
	unsigned int words = BITS_TO_LONGS(t->nelems);
	struct gs_gc_span *gs;
	struct mspan *s;

	gs = kzalloc(struct_size(gs, bits, 4 * words), gs_gfp(gfp));
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
	gs->allocbits = gs->bits;
	gs->relbits = gs->bits + words;
	gs->markbits = gs->bits + 2 * words;
	gs->cmarkbits = gs->bits + 3 * words;
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
	/* Published with the span: the lists it goes on are under a lock. */
	WRITE_ONCE(s->gc, gs);
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
		gs = list_first_entry_or_null(&t->partial, struct gs_gc_span,
					      list);
		if (gs)
			break;
		/* Lazy sweep: a span of the last cycle may have room now. */
		gs = list_first_entry_or_null(&t->unswept, struct gs_gc_span,
					      list);
		if (!gs)
			break;
		gs_gc_sweep_span(h, gs, &dead);
	}
	if (!gs) {
		spin_unlock(&h->lock);
		gs_gc_free_spans(&dead);
		gs = span_create(t, flags);
		if (!gs)
			return NULL;
		spin_lock(&h->lock);
		gs->where = GS_GC_PARTIAL;
		list_add(&gs->list, &t->partial);
		gs->seq = h->span_seq++;
		/* Only a span with pointers in it can need a rescan. */
		if (t->nr_ptrs)
			list_add_tail(&gs->node, &h->spans);
		t->nspans++;
	}

	idx = find_next_zero_bit(gs->allocbits, t->nelems, gs->freeindex);
	__set_bit(idx, gs->allocbits);
	gs->freeindex = idx + 1;
	if (++gs->nalloc == t->nelems) {
		gs->where = GS_GC_FULL;
		list_move(&gs->list, &t->full);
	}
	obj = gs_gc_obj(gs, idx);
	/* Under the lock: a rescan (mgcmark.c) may read it from now on. */
	gs_kasan_redzone(obj, t->size, t->elemsize);
	if (h->black) {
		/*
		 * Allocate black: its fields are all NULL, and every store
		 * into it shades (h->black comes after the grace period that
		 * armed the barrier everywhere: see cycle_begin()).
		 */
		set_bit(idx, gs->markbits);
		atomic_long_add(t->elemsize, &h->marked_bytes);
		gs_gc_count(h, GS_GC_ALLOC_BLACK, 1);
	}
	h->nobj++;
	h->heap_alloc += t->elemsize;
	h->alloc_peak = max(h->alloc_peak, h->heap_alloc);
	WRITE_ONCE(h->heap_live, h->heap_live + t->elemsize);
	h->heap_peak = max(h->heap_peak, h->heap_live);
	h->cycle_peak = max(h->cycle_peak, h->heap_live);
	if ((h->phase == GS_GC_OFF || h->phase == GS_GC_SWEEP) &&
	    h->heap_live >= h->trigger && gs_gc_heap_percent(h) >= 0)
		wake = true;
	spin_unlock(&h->lock);

	gs_gc_free_spans(&dead);
	if (wake)
		gs_gc_wake(h, GS_GC_WANT_CYCLE);
	return obj;
}
EXPORT_SYMBOL_GPL(goslab_gc_alloc);

/**
 * goslab_gc_root_add() - make a slot a root
 * @h: the heap
 * @slot: a pointer in the caller's memory, aligned, holding NULL or a GC
 *	object of @h; it must stay valid until goslab_gc_root_del()
 *
 * The object in the slot, and every object reachable from it, lives while
 * the slot is a root.  Write the slot with goslab_gc_store() only.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL for a misaligned slot, -EEXIST if it is a root
 * already, or -ENOMEM.
 */
int goslab_gc_root_add(struct goslab_gc_heap *h, void **slot)
{
	unsigned long key = (unsigned long)slot / sizeof(void *);
	void *p;
	int ret;

	if (!IS_ALIGNED((unsigned long)slot, sizeof(void *)))
		return -EINVAL;
	mutex_lock(&h->roots_mutex);
	ret = xa_insert(&h->roots, key, slot, GFP_KERNEL);
	if (!ret) {
		/* A value put there without the barrier is shaded now. */
		p = READ_ONCE(*slot);
		if (p && (!static_branch_unlikely(&gs_debug_key) ||
			  gs_gc_check_ptr(h, p)))
			gs_gc_shade(h, p);
	}
	mutex_unlock(&h->roots_mutex);
	return ret == -EBUSY ? -EEXIST : ret;
}
EXPORT_SYMBOL_GPL(goslab_gc_root_add);

/**
 * goslab_gc_root_del() - a slot is no longer a root
 * @h: the heap
 * @slot: a slot goslab_gc_root_add() registered
 *
 * Once this returns the collector no longer reads @slot, and its memory
 * may go.  The object it held lives on only if reachable otherwise.
 *
 * Context: process context; may sleep.
 */
void goslab_gc_root_del(struct goslab_gc_heap *h, void **slot)
{
	void *p;

	mutex_lock(&h->roots_mutex);
	if (xa_erase(&h->roots, (unsigned long)slot / sizeof(void *))) {
		/* Deleting a root deletes a pointer: Yuasa shades it. */
		p = READ_ONCE(*slot);
		if (p)
			gs_gc_shade(h, p);
	}
	mutex_unlock(&h->roots_mutex);
}
EXPORT_SYMBOL_GPL(goslab_gc_root_del);

static void set_phase(struct goslab_gc_heap *h, int phase)
{
	lockdep_assert_held(&h->lock);
	lockdep_assert_held(&h->grey_lock);
	WRITE_ONCE(h->phase, phase);
}

/*
 * Step 1 and 2 of a cycle: finish the last sweep, arm the barrier, shade
 * the roots.
 */
static void cycle_begin(struct goslab_gc_heap *h)
{
	lockdep_assert_held(&h->cycle_mutex);
	h->cycle_start = ktime_get();
	gs_gc_grey_alloc(h);
	atomic_inc(&gs_gc_barrier_on);
	for (;;) {
		/* Sweep termination, as Go's finishsweep_m(). */
		gs_gc_sweep_all(h, true);
		spin_lock(&h->lock);
		if (!h->nunswept)
			break;
		spin_unlock(&h->lock);
	}
	gs_gc_pacer_cycle_start(h);
	spin_lock(&h->grey_lock);
	h->grey_n = 0;
	h->grey_overflow = false;
	h->rescanning = false;
	set_phase(h, GS_GC_MARK);
	spin_unlock(&h->grey_lock);
	spin_unlock(&h->lock);
	/*
	 * Stores that read the barrier off may still be in flight; they are
	 * RCU readers (goslab_gc_store()).  After this, every store shades.
	 */
	synchronize_rcu_expedited();
	/*
	 * Only now may new objects be black: a store into one is an RCU
	 * reader that began after the grace period, so it sees the barrier
	 * count and the phase, on any CPU, however the storing task came by
	 * the object (goslab_gc_load() is a plain load).  Until now new
	 * objects were white, and are marked like older ones.
	 */
	spin_lock(&h->lock);
	h->black = true;
	spin_unlock(&h->lock);
	gs_gc_mark_roots(h);
}

/*
 * Drain the grey list until it is empty and no marker holds work.  The
 * work done is credit that allocating tasks may claim instead of assisting
 * (Go's bgScanCredit), so it is handed out a slice at a time.
 */
static void mark_drain_all(struct goslab_gc_heap *h)
{
	unsigned long done;

	while (!gs_gc_grey_empty(h)) {
		done = gs_gc_drain(h, GS_GC_ASSIST_MIN, true);
		atomic_long_add(done, &h->bg_credit);
		if (!done)
			/* Assists hold the last objects: let them finish. */
			wait_event_timeout(h->worker_wq,
					   gs_gc_grey_empty(h) ||
					   READ_ONCE(h->grey_n), 1);
	}
}

/* Step 2: the mark itself, in the cycle's mode. */
static void cycle_mark(struct goslab_gc_heap *h, bool forced)
{
	lockdep_assert_held(&h->cycle_mutex);
	if (h->mode != GS_GC_INCREMENTAL || forced) {
		mark_drain_all(h);
		return;
	}
	/*
	 * Incremental: allocating tasks mark as they allocate.  Should they
	 * stop, the worker does a bounded step every tick, so every cycle
	 * ends.
	 */
	while (!gs_gc_grey_empty(h)) {
		wait_event_idle_timeout(h->worker_wq,
					gs_gc_grey_empty(h) ||
					kthread_should_stop(), GS_GC_IDLE_TICK);
		if (kthread_should_stop())
			mark_drain_all(h);
		else
			gs_gc_drain(h, GS_GC_IDLE_WORK, true);
	}
}

/*
 * Step 3: mark termination.  Returns the checkmark misses, and leaves the
 * phase SWEEP with every span on its type's unswept list.
 */
static unsigned long cycle_terminate(struct goslab_gc_heap *h, bool stopped)
{
	bool check = READ_ONCE(gs_gc_checkmark_param), checked = false;
	struct goslab_gc_type *t;
	unsigned long missed = 0;
	ktime_t t0 = ktime_get(), pause = 0;

	lockdep_assert_held(&h->cycle_mutex);
	spin_lock(&h->lock);
	spin_lock(&h->grey_lock);
	set_phase(h, GS_GC_MARKTERM);
	spin_unlock(&h->grey_lock);
	spin_unlock(&h->lock);

	/*
	 * Every section that began before this point ends: a section could
	 * have loaded an object before the mark began and still hold it,
	 * unreachable, unmarked.  Sections that began later can only hold
	 * objects that were reachable during the mark, or black.  Those older
	 * sections may have stored what they held back into the graph, and
	 * the insertion barrier shaded it: the drain below traces it.
	 */
	if (check && !stopped) {
		pause = ktime_get();
		gs_gc_stop_world(h);
	} else {
		synchronize_srcu_expedited(&h->srcu);
	}

	for (;;) {
		mark_drain_all(h);
		if (check && !checked) {
			ktime_t c0 = ktime_get();

			missed = gs_gc_checkmark(h);
			checked = true;
			gs_gc_count(h, GS_GC_CHECKMARKS, 1);
			gs_gc_count(h, GS_GC_CHECKMARK_MISSED, missed);
			gs_gc_count(h, GS_GC_CHECKMARK_NS,
				    ktime_to_ns(ktime_sub(ktime_get(), c0)));
			continue;
		}
		spin_lock(&h->lock);
		spin_lock(&h->grey_lock);
		if (!h->grey_n && !h->grey_busy && !h->grey_overflow)
			break;
		spin_unlock(&h->grey_lock);
		spin_unlock(&h->lock);
	}
	/*
	 * The grey list is empty and no marker holds work, under both locks:
	 * from here no barrier shades and no allocation is black.
	 */
	set_phase(h, GS_GC_SWEEP);
	h->black = false;
	spin_unlock(&h->grey_lock);
	/* Every span was swept before the mark began: all are unswept now. */
	list_for_each_entry(t, &h->types, node) {
		struct gs_gc_span *gs;

		list_splice_init(&t->partial, &t->unswept);
		list_splice_init(&t->full, &t->unswept);
		list_for_each_entry(gs, &t->unswept, list)
			gs->where = GS_GC_UNSWEPT;
		h->nunswept += t->nspans;
	}
	gs_gc_pacer_cycle_end(h);
	spin_unlock(&h->lock);

	atomic_dec(&gs_gc_barrier_on);
	if (pause)
		gs_gc_start_world(h, pause, false);
	gs_gc_count(h, GS_GC_TERM_NS, ktime_to_ns(ktime_sub(ktime_get(), t0)));
	return missed;
}

static void cycle_trace(struct goslab_gc_heap *h, u64 n, u64 mark_ns,
			u64 term_ns, unsigned long missed)
{
	u64 now = ktime_get_ns();

	pr_info("goslab gc %llu @%llu.%03llus %s: %llu+%llu ms mark+term, %lu->%lu KiB live, %lu KiB goal, %lu KiB marked, %llu marked, %llu scanned, %llu assists, %s, checkmark %s %lu\n",
		n, now / NSEC_PER_SEC, now / NSEC_PER_MSEC % MSEC_PER_SEC,
		h->name, div_u64(mark_ns - term_ns, NSEC_PER_MSEC),
		div_u64(term_ns, NSEC_PER_MSEC), h->cycle_peak >> 10,
		READ_ONCE(h->heap_live) >> 10, h->goal >> 10,
		h->last_marked >> 10, (u64)atomic64_read(&h->cnt[GS_GC_MARKED]),
		(u64)atomic64_read(&h->cnt[GS_GC_SCANNED]),
		(u64)atomic64_read(&h->cnt[GS_GC_ASSISTS]),
		gs_gc_mode_names[h->mode],
		READ_ONCE(gs_gc_checkmark_param) ? "missed" : "off", missed);
}

/* After termination: the sweep in stop-the-world mode, statistics. */
static void cycle_end(struct goslab_gc_heap *h, unsigned long missed,
		      s64 term0)
{
	s64 ns = ktime_to_ns(ktime_sub(ktime_get(), h->cycle_start));
	s64 term = atomic64_read(&h->cnt[GS_GC_TERM_NS]) - term0;
	u64 n;

	gs_gc_count(h, GS_GC_MARK_NS, ns);
	atomic64_set(&h->cnt[GS_GC_LAST_MARK_NS], ns);
	n = atomic64_inc_return(&h->cnt[GS_GC_CYCLES]);
	if (READ_ONCE(gc_trace))
		cycle_trace(h, n, ns, term, missed);
	/* Sweep and release in the background. */
	gs_gc_wake(h, GS_GC_WANT_SWEEP);
}

/* A whole cycle, in the mode the gc_mode parameter says now. */
static unsigned long gc_cycle(struct goslab_gc_heap *h, bool forced)
{
	s64 term0 = atomic64_read(&h->cnt[GS_GC_TERM_NS]);
	unsigned long missed;
	ktime_t since = 0;

	lockdep_assert_held(&h->cycle_mutex);
	h->mode = READ_ONCE(gs_gc_mode_param);
	if (h->mode == GS_GC_STW) {
		since = ktime_get();
		gs_gc_stop_world(h);
	}
	cycle_begin(h);
	cycle_mark(h, forced);
	missed = cycle_terminate(h, h->mode == GS_GC_STW);
	if (h->mode == GS_GC_STW) {
		/* As Go with gcstoptheworld: sweep inside the pause too. */
		gs_gc_sweep_all(h, true);
		gs_gc_start_world(h, since, true);
	}
	cycle_end(h, missed, term0);
	return missed;
}

/* The pacer's condition for a cycle to start by itself. */
static bool cycle_wanted(struct goslab_gc_heap *h)
{
	int phase = READ_ONCE(h->phase);

	return (phase == GS_GC_OFF || phase == GS_GC_SWEEP) &&
	       gs_gc_heap_percent(h) >= 0 &&
	       READ_ONCE(h->heap_live) >= READ_ONCE(h->trigger);
}

/* Sweep every span; the phase goes OFF once nothing is left to sweep. */
static void sweep_finish(struct goslab_gc_heap *h)
{
	gs_gc_sweep_all(h, true);
	spin_lock(&h->lock);
	if (h->phase == GS_GC_SWEEP && !h->nunswept) {
		spin_lock(&h->grey_lock);
		set_phase(h, GS_GC_OFF);
		spin_unlock(&h->grey_lock);
	}
	spin_unlock(&h->lock);
}

/* Background sweep, then the release callbacks, outside cycle_mutex. */
static void sweep_background(struct goslab_gc_heap *h)
{
	sweep_finish(h);
	gs_gc_release_run(h);
}

static bool worker_has_work(struct goslab_gc_heap *h)
{
	return kthread_should_stop() ||
	       test_bit(GS_GC_WANT_CYCLE, &h->flags) ||
	       test_bit(GS_GC_WANT_SWEEP, &h->flags);
}

/*
 * The heap's collector thread: Go's background mark worker, background
 * sweeper and finalizer goroutine in one.
 */
static int gc_worker(void *arg)
{
	struct goslab_gc_heap *h = arg;

	while (!kthread_should_stop()) {
		wait_event_idle(h->worker_wq, worker_has_work(h));
		if (test_and_clear_bit(GS_GC_WANT_CYCLE, &h->flags)) {
			mutex_lock(&h->cycle_mutex);
			/* goslab_gc_collect() may have run one meanwhile. */
			if (!h->manual && cycle_wanted(h))
				gc_cycle(h, false);
			mutex_unlock(&h->cycle_mutex);
		}
		if (test_and_clear_bit(GS_GC_WANT_SWEEP, &h->flags))
			sweep_background(h);
		cond_resched();
	}
	return 0;
}

/**
 * goslab_gc_collect() - run a full collection
 * @h: the heap
 *
 * Runs a complete cycle in the calling task and returns once every object
 * that was unreachable when the cycle began, and not held by a section
 * open then, has been released: its callback has run and its memory is
 * free.  A cycle already running finishes first.
 *
 * Context: process context, outside any section of @h and outside
 * release callbacks; sleeps.
 */
void goslab_gc_collect(struct goslab_gc_heap *h)
{
	might_sleep();
	mutex_lock(&h->cycle_mutex);
	gc_cycle(h, true);
	sweep_finish(h);
	mutex_unlock(&h->cycle_mutex);
	/* Callbacks run outside goslab's locks: cycles go on meanwhile. */
	gs_gc_release_wait(h);
}
EXPORT_SYMBOL_GPL(goslab_gc_collect);

/**
 * goslab_gc_set_percent() - set a heap's GOGC
 * @h: the heap
 * @percent: the heap may grow to live * (1 + @percent/100) before the next
 *	cycle; negative turns automatic cycles off for this heap
 *
 * Return: the previous setting.
 */
int goslab_gc_set_percent(struct goslab_gc_heap *h, int percent)
{
	int old;

	spin_lock(&h->lock);
	old = gs_gc_heap_percent(h);
	WRITE_ONCE(h->percent, percent < 0 ? -1 : percent);
	gs_gc_pacer_init(h);
	spin_unlock(&h->lock);
	if (cycle_wanted(h))
		gs_gc_wake(h, GS_GC_WANT_CYCLE);
	return old;
}
EXPORT_SYMBOL_GPL(goslab_gc_set_percent);

static int heap_srcu_init(struct goslab_gc_heap *h)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	int ret;

	lockdep_register_key(&h->srcu_key);
	ret = __init_srcu_struct(&h->srcu, "goslab_gc_section", &h->srcu_key);
	if (ret)
		lockdep_unregister_key(&h->srcu_key);
	return ret;
#else
	return init_srcu_struct(&h->srcu);
#endif
}

static void heap_srcu_cleanup(struct goslab_gc_heap *h)
{
	cleanup_srcu_struct(&h->srcu);
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	lockdep_unregister_key(&h->srcu_key);
#endif
}

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
	h->name = kstrdup(name, GFP_KERNEL);
	h->assist_credit = alloc_percpu(long);
	if (!h->name || !h->assist_credit || heap_srcu_init(h))
		goto fail;
	init_waitqueue_head(&h->stw_wq);
	INIT_WORK(&h->stw_work, stw_grace_fn);
	init_completion(&h->stw_done);
	mutex_init(&h->cycle_mutex);
	spin_lock_init(&h->lock);
	INIT_LIST_HEAD(&h->types);
	INIT_LIST_HEAD(&h->spans);
	INIT_LIST_HEAD(&h->release);
	init_waitqueue_head(&h->release_wq);
	spin_lock_init(&h->grey_lock);
	mutex_init(&h->roots_mutex);
	xa_init(&h->roots);
	init_waitqueue_head(&h->worker_wq);
	h->mode = READ_ONCE(gs_gc_mode_param);
	h->barrier_mask = GS_GC_SHADE_OLD | GS_GC_SHADE_NEW;
	h->percent = INT_MIN;	/* follow gc_percent */
	spin_lock(&h->lock);
	gs_gc_pacer_init(h);
	spin_unlock(&h->lock);

	h->worker = kthread_run(gc_worker, h, "goslab_gc/%s", h->name);
	if (IS_ERR(h->worker))
		goto fail_srcu;
	mutex_lock(&gs_gc_mutex);
	list_add_tail(&h->node, &gs_gc_heaps);
	mutex_unlock(&gs_gc_mutex);
	return h;

fail_srcu:
	heap_srcu_cleanup(h);
fail:
	free_percpu(h->assist_credit);
	kfree(h->name);
	kfree(h);
	return NULL;
}
EXPORT_SYMBOL_GPL(goslab_gc_heap_create);

/*
 * Free everything of a heap nobody uses any more.  @release: run the
 * callbacks of the objects still allocated (not at module exit, where the
 * modules they belong to are gone).
 */
static unsigned long heap_free(struct goslab_gc_heap *h, bool release)
{
	struct goslab_gc_type *t, *tt;
	struct gs_gc_span *gs, *tmp;
	struct list_head *lists[3];
	unsigned long n = 0;
	unsigned int idx, i;

	if (release)
		gs_gc_release_wait(h);
	list_for_each_entry_safe(t, tt, &h->types, node) {
		lists[0] = &t->partial;
		lists[1] = &t->full;
		lists[2] = &t->unswept;
		for (i = 0; i < ARRAY_SIZE(lists); i++) {
			list_for_each_entry_safe(gs, tmp, lists[i], list) {
				for_each_set_bit(idx, gs->allocbits, t->nelems) {
					n++;
					if (release && t->release &&
					    !test_bit(idx, gs->relbits)) {
						gs_gc_call_release(h, t,
								   gs_gc_obj(gs, idx));
						cond_resched();
					}
				}
				list_del(&gs->list);
				list_del(&gs->node);
				gs_gc_span_destroy(gs);
			}
		}
		list_del(&t->node);
		kfree(t->name);
		kfree(t);
	}
	xa_destroy(&h->roots);
	heap_srcu_cleanup(h);
	gs_gc_grey_free(h);
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
	set_bit(GS_GC_DYING, &h->flags);
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
	/* Small objects get their size class; larger ones a span each. */
	size = max_t(unsigned int, size, 16);
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
	INIT_LIST_HEAD(&t->partial);
	INIT_LIST_HEAD(&t->full);
	INIT_LIST_HEAD(&t->unswept);
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

/**
 * goslab_gc_get_stats() - read a heap's collector statistics
 * @h: the heap
 * @st: filled in; see struct goslab_gc_stats
 *
 * Lockless but for a moment of the heap's lock; never waits for the
 * collector.
 */
void goslab_gc_get_stats(struct goslab_gc_heap *h, struct goslab_gc_stats *st)
{
#define CNT(i) ((u64)atomic64_read(&h->cnt[i]))
	memset(st, 0, sizeof(*st));
	spin_lock(&h->lock);
	st->heap_alloc = h->heap_alloc;
	st->heap_alloc_peak = h->alloc_peak;
	st->heap_live = h->heap_live;
	st->heap_peak = h->heap_peak;
	st->heap_marked = h->last_marked;
	st->heap_goal = h->goal;
	st->heap_trigger = h->trigger;
	st->goal_ratio_max = h->ratio_max;
	st->objects = h->nobj;
	st->gc_percent = gs_gc_heap_percent(h);
	st->phase = h->phase;
	spin_unlock(&h->lock);
	st->cycles = CNT(GS_GC_CYCLES);
	st->objects_marked = CNT(GS_GC_MARKED);
	st->objects_scanned = CNT(GS_GC_SCANNED);
	st->objects_alloc_black = CNT(GS_GC_ALLOC_BLACK);
	st->objects_freed = CNT(GS_GC_FREED);
	st->objects_released = CNT(GS_GC_RELEASED);
	st->mark_ns = CNT(GS_GC_MARK_NS);
	st->last_mark_ns = CNT(GS_GC_LAST_MARK_NS);
	st->term_ns = CNT(GS_GC_TERM_NS);
	st->pause_ns = CNT(GS_GC_PAUSE_NS);
	st->pause_max_ns = CNT(GS_GC_PAUSE_MAX_NS);
	st->assists = CNT(GS_GC_ASSISTS);
	st->assist_ns = CNT(GS_GC_ASSIST_NS);
	st->assist_max_ns = CNT(GS_GC_ASSIST_MAX_NS);
	st->checkmarks = CNT(GS_GC_CHECKMARKS);
	st->checkmark_missed = CNT(GS_GC_CHECKMARK_MISSED);
	st->checkmark_ns = CNT(GS_GC_CHECKMARK_NS);
	st->rescans = CNT(GS_GC_RESCANS);
	st->stretch_max = CNT(GS_GC_STRETCH_MAX);
	st->bad_pointers = CNT(GS_GC_BAD_POINTERS);
	st->bad_frees = CNT(GS_GC_BAD_FREES);
#undef CNT
}
EXPORT_SYMBOL_GPL(goslab_gc_get_stats);

/**
 * goslab_gc_stats_reset() - restart the peaks of a heap's statistics
 * @h: the heap
 *
 * heap_peak, heap_alloc_peak, goal_ratio_max and stretch_max start again
 * from now.
 */
void goslab_gc_stats_reset(struct goslab_gc_heap *h)
{
	spin_lock(&h->lock);
	h->heap_peak = h->heap_live;
	h->alloc_peak = h->heap_alloc;
	h->ratio_max = 0;
	spin_unlock(&h->lock);
	atomic64_set(&h->cnt[GS_GC_STRETCH_MAX], 0);
}
EXPORT_SYMBOL_GPL(goslab_gc_stats_reset);

static void show_heap(struct seq_file *m, struct goslab_gc_heap *h)
{
	struct goslab_gc_stats st;

	goslab_gc_get_stats(h, &st);
	seq_printf(m, "heap %s\n", h->name);
	seq_printf(m, "  mode %s phase %s gc_percent %d\n",
		   gs_gc_mode_names[READ_ONCE(h->mode)],
		   gs_gc_phase_names[st.phase], st.gc_percent);
#define SHOW(f) seq_printf(m, "  " #f " %llu\n", (unsigned long long)st.f)
	SHOW(cycles);
	SHOW(heap_alloc);
	SHOW(heap_alloc_peak);
	SHOW(heap_live);
	SHOW(heap_peak);
	SHOW(heap_marked);
	SHOW(heap_goal);
	SHOW(heap_trigger);
	SHOW(goal_ratio_max);
	SHOW(objects);
	SHOW(objects_marked);
	SHOW(objects_scanned);
	SHOW(objects_alloc_black);
	SHOW(objects_freed);
	SHOW(objects_released);
	SHOW(mark_ns);
	SHOW(last_mark_ns);
	SHOW(term_ns);
	SHOW(pause_ns);
	SHOW(pause_max_ns);
	SHOW(assists);
	SHOW(assist_ns);
	SHOW(assist_max_ns);
	SHOW(checkmarks);
	SHOW(checkmark_missed);
	SHOW(checkmark_ns);
	SHOW(rescans);
	SHOW(stretch_max);
	SHOW(bad_pointers);
	SHOW(bad_frees);
#undef SHOW
}

static int gs_gc_show(struct seq_file *m, void *v)
{
	struct goslab_gc_heap *h;

	seq_printf(m, "gc_mode %s gc_percent %d gc_checkmark %d gc_trace %d\n",
		   gs_gc_mode_names[READ_ONCE(gs_gc_mode_param)],
		   READ_ONCE(gs_gc_percent_param),
		   READ_ONCE(gs_gc_checkmark_param), READ_ONCE(gc_trace));
	mutex_lock(&gs_gc_mutex);
	list_for_each_entry(h, &gs_gc_heaps, node)
		show_heap(m, h);
	mutex_unlock(&gs_gc_mutex);
	return 0;
}

static int gs_gc_open(struct inode *inode, struct file *file)
{
	return single_open(file, gs_gc_show, inode->i_private);
}

const struct file_operations gs_gc_fops = {
	.owner		= THIS_MODULE,
	.open		= gs_gc_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/*
 * A GC span's line in debugfs "spans", under mheap.lock; reads the span's
 * counters racily.
 */
static void gc_show_span(struct seq_file *m, unsigned long chunk,
			 unsigned long page, const struct mspan *s)
{
	struct gs_gc_span *gs = READ_ONCE(s->gc);

	if (!gs) {
		seq_printf(m, "%lu %lu %u gc -\n", chunk, page, s->npages);
		return;
	}
	seq_printf(m, "%lu %lu %u gc %s/%s %u %u %u\n", chunk, page, s->npages,
		   gs->type->heap->name, gs->type->name, gs->type->elemsize,
		   gs->type->nelems, READ_ONCE(gs->nalloc));
}

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
	.show_span	= gc_show_span,
};

/* Test hooks: step a cycle by hand.  See include/linux/goslab.h. */

/**
 * goslab_gc_step_begin() - begin a cycle that a test steps by hand
 * @h: the heap
 *
 * Runs step 1 and 2 of a cycle: the heap is marking, the roots are grey.
 * Neither the worker nor assists mark until goslab_gc_step_finish(); the
 * caller holds the heap's cycle until then.
 *
 * Context: process context, outside sections; sleeps.
 * Return: 0.
 */
int goslab_gc_step_begin(struct goslab_gc_heap *h)
{
	mutex_lock(&h->cycle_mutex);
	WRITE_ONCE(h->manual, true);
	h->mode = GS_GC_INCREMENTAL;
	cycle_begin(h);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_step_begin, GOSLAB_GC_TEST);

/**
 * goslab_gc_step() - scan grey objects of a hand-stepped cycle
 * @h: the heap, after goslab_gc_step_begin()
 * @n: objects to scan at most
 *
 * Return: objects scanned (blackened).
 */
unsigned long goslab_gc_step(struct goslab_gc_heap *h, unsigned long n)
{
	lockdep_assert_held(&h->cycle_mutex);
	return gs_gc_step_objects(h, n);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_step, GOSLAB_GC_TEST);

/**
 * goslab_gc_step_bytes() - scan grey objects as the collector's worker does
 * @h: the heap, after goslab_gc_step_begin()
 * @bytes: bytes of objects to scan at most
 *
 * Scans as a marker that may sleep: it reschedules every
 * %GOSLAB_GC_STRETCH_BYTES.  Unlike goslab_gc_step(), any task may call it
 * while the cycle is stepped, beside the task that steps it.
 *
 * Context: process context; sleeps.
 * Return: bytes of objects scanned, as gs_gc_drain() counts them.
 */
unsigned long goslab_gc_step_bytes(struct goslab_gc_heap *h,
				   unsigned long bytes)
{
	might_sleep();
	if (WARN_ON_ONCE(!READ_ONCE(h->manual)))
		return 0;
	return gs_gc_drain(h, bytes, true);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_step_bytes, GOSLAB_GC_TEST);

/**
 * goslab_gc_step_finish() - complete a hand-stepped cycle
 * @h: the heap, after goslab_gc_step_begin()
 *
 * Drains, terminates (with checkmark if gc_checkmark is set), sweeps and
 * runs the release callbacks, as goslab_gc_collect() would.
 *
 * Return: reachable objects the cycle left white (checkmark), normally 0.
 */
unsigned long goslab_gc_step_finish(struct goslab_gc_heap *h)
{
	s64 term0 = atomic64_read(&h->cnt[GS_GC_TERM_NS]);
	unsigned long missed;

	lockdep_assert_held(&h->cycle_mutex);
	mark_drain_all(h);
	missed = cycle_terminate(h, false);
	cycle_end(h, missed, term0);
	sweep_finish(h);
	WRITE_ONCE(h->manual, false);
	mutex_unlock(&h->cycle_mutex);
	gs_gc_release_wait(h);
	return missed;
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_step_finish, GOSLAB_GC_TEST);

/**
 * goslab_gc_color() - the colour of an object, for tests
 * @h: its heap
 * @obj: a pointer to it
 *
 * Return: GOSLAB_GC_FREE for a slot not holding a live object (free, or
 * dead and awaiting release), else its colour now.
 */
enum goslab_gc_color goslab_gc_color(struct goslab_gc_heap *h,
				     const void *obj)
{
	enum goslab_gc_color c;
	struct gs_gc_span *gs;
	unsigned int idx;

	gs = gs_gc_lookup(h, obj, &idx);
	if (!gs)
		return GOSLAB_GC_FREE;
	spin_lock(&h->lock);
	if (!test_bit(idx, gs->allocbits) || test_bit(idx, gs->relbits))
		c = GOSLAB_GC_FREE;
	else if (!test_bit(idx, gs->markbits))
		c = GOSLAB_GC_WHITE;
	else if (gs_gc_on_grey(h, gs_gc_obj(gs, idx)))
		c = GOSLAB_GC_GREY;
	else
		c = GOSLAB_GC_BLACK;
	spin_unlock(&h->lock);
	return c;
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_color, GOSLAB_GC_TEST);

/**
 * goslab_gc_test_barrier() - turn halves of the write barrier off
 * @h: the heap
 * @shade: GOSLAB_GC_SHADE_OLD | GOSLAB_GC_SHADE_NEW for the real barrier
 *
 * Only to show that checkmark catches what a broken barrier loses.
 */
void goslab_gc_test_barrier(struct goslab_gc_heap *h, unsigned int shade)
{
	WRITE_ONCE(h->barrier_mask, shade);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_test_barrier, GOSLAB_GC_TEST);

/**
 * goslab_gc_test_grey_limit() - cap the grey list, to test its overflow
 * @h: the heap
 * @n: entries at most from the next cycle on; 0 for no cap
 */
void goslab_gc_test_grey_limit(struct goslab_gc_heap *h, unsigned long n)
{
	spin_lock(&h->grey_lock);
	h->grey_limit = n;
	spin_unlock(&h->grey_lock);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_test_grey_limit, GOSLAB_GC_TEST);

/**
 * goslab_gc_test_stopped() - does a collector hold the heap's sections off?
 * @h: the heap
 *
 * Return: true from the moment a stop of the world begins (sections that
 * try to enter wait) until it ends or backs off.
 */
bool goslab_gc_test_stopped(struct goslab_gc_heap *h)
{
	return READ_ONCE(h->stw);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_test_stopped, GOSLAB_GC_TEST);

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
