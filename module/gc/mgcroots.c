// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: roots and sections, what keeps an object alive
 * besides the graph, and how the collector holds sections off.
 *
 * A root is a slot in the caller's memory that the collector reads at the
 * start of every mark (gs_gc_mark_roots(), as Go's markroot).
 *
 * Go scans goroutine stacks to find the pointers held in local variables.
 * The kernel has no stack maps, so locals are covered by sections instead:
 * a section is an SRCU read-side critical section on the heap's
 * srcu_struct, and the collector never releases an object that a section
 * open since before mark termination may hold.  How that follows from one
 * grace period at mark termination is argued in Documentation/gc.rst.
 *
 * Stopping the world (stw mode, checkmark) is holding every section of a
 * heap off: new sections wait, and a grace period waits out the old ones.
 */

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "mgc.h"

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

/*
 * A stop waits this long for the sections before it backs off: how long a
 * stop may be stuck behind nested sections waiting for another heap's
 * stop (gs_gc_stop_world()) before it lets them through.
 */
#define GS_GC_STW_PATIENCE_MS	100
/*
 * Its patience doubles at each attempt, so that long sections cannot
 * starve it (each attempt waits longer than the last), up to this, so
 * that stops caught in a nest still let it through within seconds.
 */
#define GS_GC_STW_PATIENCE_MAX	(10 * HZ)

static unsigned long stw_patience(void)
{
	unsigned int ms = gs_gc_test_stw_patience_ms();

	return msecs_to_jiffies(ms ? ms : GS_GC_STW_PATIENCE_MS);
}

/* The stop's grace period, in a worker, so the stop can time out. */
static void stw_grace_fn(struct work_struct *work)
{
	struct goslab_gc_heap *h = container_of(work, struct goslab_gc_heap,
						stw_work);

	synchronize_srcu_expedited(&h->srcu);
	complete(&h->stw_done);
}

/**
 * gs_gc_sections_init() - the sections of a new heap
 * @h: the heap
 *
 * Each heap's sections are a lock class of their own for lockdep, so a
 * section of one heap around a collection of another is fine.
 *
 * Return: 0, or what init_srcu_struct() returned.
 */
int gs_gc_sections_init(struct goslab_gc_heap *h)
{
	int ret;

#ifdef CONFIG_DEBUG_LOCK_ALLOC
	lockdep_register_key(&h->srcu_key);
	ret = __init_srcu_struct(&h->srcu, "goslab_gc_section", &h->srcu_key);
	if (ret)
		lockdep_unregister_key(&h->srcu_key);
#else
	ret = init_srcu_struct(&h->srcu);
#endif
	if (ret)
		return ret;
	init_waitqueue_head(&h->stw_wq);
	INIT_WORK(&h->stw_work, stw_grace_fn);
	init_completion(&h->stw_done);
	return 0;
}

/**
 * gs_gc_sections_destroy() - undo gs_gc_sections_init()
 * @h: the heap, with no section open
 */
void gs_gc_sections_destroy(struct goslab_gc_heap *h)
{
	cleanup_srcu_struct(&h->srcu);
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	lockdep_unregister_key(&h->srcu_key);
#endif
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
