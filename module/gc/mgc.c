// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: the cycle driver.
 *
 * This is Go's collector (runtime/mgc.go) for kernel object graphs that
 * ask for it: a non-generational, non-compacting, tri-colour mark and
 * sweep collector with a hybrid (Yuasa deletion + Dijkstra insertion)
 * write barrier.  A caller creates a heap, registers types whose pointer
 * fields it lists, allocates objects of them, and registers roots.  What
 * is reachable from the roots, or held by an open section, lives; the
 * rest is released.  Sections stand in for Go's scan of goroutine stacks
 * (mgcroots.c); how objects are allocated is in mgcheap.c.
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
 */

#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "mgc.h"

const char *const gs_gc_mode_names[] = {
	[GS_GC_STW]		= "stw",
	[GS_GC_INCREMENTAL]	= "incremental",
	[GS_GC_CONCURRENT]	= "concurrent",
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

bool gs_gc_checkmark_param;
module_param_named(gc_checkmark, gs_gc_checkmark_param, bool, 0644);
MODULE_PARM_DESC(gc_checkmark,
		 "After each mark, stop the heap's sections and re-mark from the roots to verify that nothing reachable was left white");

/*
 * An incremental cycle's worker marks GS_GC_IDLE_WORK every
 * GS_GC_IDLE_TICK on its own, should allocation (which pays for the mark)
 * stop: every cycle ends, scanning 25 MiB/s at the least, while the
 * worker keeps to short bursts and leaves the mark to the allocations
 * that pay for it.
 */
#define GS_GC_IDLE_WORK		(256UL << 10)
#define GS_GC_IDLE_TICK		msecs_to_jiffies(10)

/*
 * How long gs_gc_drain_all() sleeps while assists hold the last grey
 * objects: they wake the worker when the list runs dry, not when they push
 * new objects, so it looks again every tick.
 */
#define GS_GC_DRAIN_WAIT	1

/**
 * gs_gc_wake() - ask the heap's worker for something
 * @h: the heap
 * @what: GS_GC_WANT_CYCLE or GS_GC_WANT_SWEEP
 *
 * Any context but hard interrupts: called with the heap's locks held.
 */
void gs_gc_wake(struct goslab_gc_heap *h, int what)
{
	if (!test_and_set_bit(what, &h->flags))
		wake_up(&h->worker_wq);
}

static void set_phase(struct goslab_gc_heap *h, int phase)
{
	lockdep_assert_held(&h->lock);
	lockdep_assert_held(&h->grey_lock);
	WRITE_ONCE(h->phase, phase);
}

/**
 * gs_gc_cycle_begin() - step 1 and 2 of a cycle
 * @h: the heap; its cycle_mutex held
 * @start: ktime_get_ns() when the cycle began, before any stop of the world
 * @forced: goslab_gc_collect() or a test asked for it, not the pacer
 *
 * Finishes the last sweep, arms the barrier, shades the roots.
 */
void gs_gc_cycle_begin(struct goslab_gc_heap *h, u64 start, bool forced)
{
	struct gs_gc_cycle *c = &h->cycle;
	u64 t;

	lockdep_assert_held(&h->cycle_mutex);
	*c = (struct gs_gc_cycle) {
		.start = start,
		.mode = h->mode,
		.forced = forced,
		.assist0 = atomic64_read(&h->cnt[GS_GC_ASSIST_NS]),
		.pause0 = atomic64_read(&h->cnt[GS_GC_PAUSE_NS]),
	};
	gs_gc_grey_alloc(h);
	gs_gc_barrier_arm();
	t = ktime_get_ns();
	for (;;) {
		/* Sweep termination, as Go's finishsweep_m(). */
		gs_gc_sweep_all(h, true);
		spin_lock(&h->lock);
		if (!h->nunswept)
			break;
		spin_unlock(&h->lock);
	}
	c->start_ns = ktime_get_ns() - t;
	gs_gc_pacer_cycle_start(h);
	c->heap0 = h->heap_live;
	spin_lock(&h->grey_lock);
	h->grey_n = 0;
	h->grey_overflow = false;
	h->rescanning = false;
	cpumask_clear(h->mark_cpus);
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
	c->mark = ktime_get_ns();
	c->roots = gs_gc_mark_roots(h);
	c->bg_ns += ktime_get_ns() - c->mark;
}

/*
 * The collector's own marking, timed as Go times its dedicated workers:
 * background work while the phase is MARK, termination work after.
 */
static unsigned long own_drain(struct goslab_gc_heap *h, unsigned long work)
{
	u64 t = ktime_get_ns();
	unsigned long done = gs_gc_drain(h, work, true);

	t = ktime_get_ns() - t;
	if (READ_ONCE(h->phase) == GS_GC_MARKTERM)
		h->cycle.term_ns += t;
	else
		h->cycle.bg_ns += t;
	return done;
}

/**
 * gs_gc_drain_all() - drain the grey list until it is empty and no marker
 *	holds work
 * @h: the heap, marking; its cycle_mutex held
 *
 * The work done is credit that allocating tasks may claim instead of
 * assisting (Go's bgScanCredit), so it is handed out a slice at a time.
 */
void gs_gc_drain_all(struct goslab_gc_heap *h)
{
	unsigned long done;

	lockdep_assert_held(&h->cycle_mutex);
	while (!gs_gc_grey_empty(h)) {
		done = own_drain(h, GS_GC_ASSIST_MIN);
		atomic_long_add(done, &h->bg_credit);
		if (!done)
			/* Assists hold the last objects: let them finish. */
			wait_event_timeout(h->worker_wq,
					   gs_gc_grey_empty(h) ||
					   READ_ONCE(h->grey_n),
					   GS_GC_DRAIN_WAIT);
	}
}

/* Step 2: the mark itself, in the cycle's mode. */
static void cycle_mark(struct goslab_gc_heap *h, bool forced)
{
	lockdep_assert_held(&h->cycle_mutex);
	if (h->mode != GS_GC_INCREMENTAL || forced) {
		gs_gc_drain_all(h);
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
			gs_gc_drain_all(h);
		else
			own_drain(h, GS_GC_IDLE_WORK);
	}
}

/* Every span was swept before the mark began: all are unswept now. */
static void unsweep_all(struct goslab_gc_heap *h)
{
	struct goslab_gc_type *t;
	struct gs_gc_span *gs;

	lockdep_assert_held(&h->lock);
	list_for_each_entry(t, &h->types, node) {
		list_splice_init(&t->spans[GS_GC_PARTIAL],
				 &t->spans[GS_GC_UNSWEPT]);
		list_splice_init(&t->spans[GS_GC_FULL],
				 &t->spans[GS_GC_UNSWEPT]);
		list_for_each_entry(gs, &t->spans[GS_GC_UNSWEPT], list)
			gs->where = GS_GC_UNSWEPT;
		h->nunswept += t->nspans;
	}
}

/**
 * gs_gc_cycle_terminate() - step 3: mark termination
 * @h: the heap; its cycle_mutex held, the grey list drained
 * @stopped: the world is stopped already (stw mode)
 *
 * Leaves the phase SWEEP with every span on its type's unswept list.
 *
 * Return: the checkmark misses.
 */
unsigned long gs_gc_cycle_terminate(struct goslab_gc_heap *h, bool stopped)
{
	bool check = READ_ONCE(gs_gc_checkmark_param), checked = false;
	struct gs_gc_cycle *c = &h->cycle;
	unsigned long missed = 0;
	ktime_t t0 = ktime_get(), pause = 0;

	lockdep_assert_held(&h->cycle_mutex);
	c->markterm = ktime_to_ns(t0);
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
		gs_gc_drain_all(h);
		if (check && !checked) {
			u64 c0 = ktime_get_ns();

			missed = gs_gc_checkmark(h);
			checked = true;
			c0 = ktime_get_ns() - c0;
			c->term_ns += c0;
			gs_gc_count(h, GS_GC_CHECKMARKS, 1);
			gs_gc_count(h, GS_GC_CHECKMARK_MISSED, missed);
			gs_gc_count(h, GS_GC_CHECKMARK_NS, c0);
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
	c->cpus = cpumask_weight(h->mark_cpus);
	spin_unlock(&h->grey_lock);
	unsweep_all(h);
	h->released = 0;
	c->heap1 = h->heap_live;
	c->goal = h->goal;
	gs_gc_pacer_cycle_end(h);
	c->heap2 = h->last_marked;
	spin_unlock(&h->lock);
	c->checked = checked;
	c->missed = missed;

	gs_gc_barrier_disarm();
	if (pause)
		gs_gc_start_world(h, pause, false);
	gs_gc_count(h, GS_GC_TERM_NS, ktime_to_ns(ktime_sub(ktime_get(), t0)));
	return missed;
}

/**
 * gs_gc_cycle_end() - after termination: statistics, then the sweep
 * @h: the heap; its cycle_mutex held
 */
void gs_gc_cycle_end(struct goslab_gc_heap *h)
{
	struct gs_gc_cycle *c = &h->cycle;
	u64 ns;

	lockdep_assert_held(&h->cycle_mutex);
	c->end = ktime_get_ns();
	ns = c->end - c->start;
	c->assist_ns = atomic64_read(&h->cnt[GS_GC_ASSIST_NS]) - c->assist0;
	c->pause_ns = atomic64_read(&h->cnt[GS_GC_PAUSE_NS]) - c->pause0;
	gs_gc_count(h, GS_GC_MARK_NS, ns);
	atomic64_set(&h->cnt[GS_GC_LAST_MARK_NS], ns);
	c->n = atomic64_inc_return(&h->cnt[GS_GC_CYCLES]);
	spin_lock(&h->lock);
	h->cpu_ns += c->start_ns + c->assist_ns + c->bg_ns + c->term_ns;
	/* Go's GC CPU fraction: of every online CPU's time since creation. */
	c->util = gs_gc_cpu_percent(h->cpu_ns, c->end - h->created_ns,
				    num_online_cpus());
	h->last = *c;
	spin_unlock(&h->lock);
	gs_gc_trace_cycle(h);
	/* Sweep and release in the background. */
	gs_gc_wake(h, GS_GC_WANT_SWEEP);
}

/* A whole cycle, in the mode the gc_mode parameter says now. */
static unsigned long gc_cycle(struct goslab_gc_heap *h, bool forced)
{
	u64 start = ktime_get_ns();
	unsigned long missed;

	lockdep_assert_held(&h->cycle_mutex);
	h->mode = READ_ONCE(gs_gc_mode_param);
	if (h->mode == GS_GC_STW)
		gs_gc_stop_world(h);
	gs_gc_cycle_begin(h, start, forced);
	cycle_mark(h, forced);
	missed = gs_gc_cycle_terminate(h, h->mode == GS_GC_STW);
	if (h->mode == GS_GC_STW) {
		/* As Go with gcstoptheworld: sweep inside the pause too. */
		gs_gc_sweep_all(h, true);
		gs_gc_start_world(h, ns_to_ktime(start), true);
	}
	gs_gc_cycle_end(h);
	return missed;
}

/**
 * gs_gc_sweep_finish() - sweep every span left
 * @h: the heap
 *
 * The phase goes OFF once nothing is left to sweep.
 */
void gs_gc_sweep_finish(struct goslab_gc_heap *h)
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
	gs_gc_sweep_finish(h);
	gs_gc_run_release_queue(h);
}

static bool worker_has_work(struct goslab_gc_heap *h)
{
	return kthread_should_stop() ||
	       test_bit(GS_GC_WANT_CYCLE, &h->flags) ||
	       test_bit(GS_GC_WANT_SWEEP, &h->flags);
}

/**
 * gs_gc_worker() - the heap's collector thread
 * @arg: the heap
 *
 * Go's background mark worker, background sweeper and finalizer goroutine
 * in one.
 *
 * Return: 0, once stopped.
 */
int gs_gc_worker(void *arg)
{
	struct goslab_gc_heap *h = arg;

	while (!kthread_should_stop()) {
		wait_event_idle(h->worker_wq, worker_has_work(h));
		if (test_and_clear_bit(GS_GC_WANT_CYCLE, &h->flags)) {
			mutex_lock(&h->cycle_mutex);
			/* goslab_gc_collect() may have run one meanwhile. */
			if (!h->manual && gs_gc_pacer_wants_cycle(h))
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
	gs_gc_sweep_finish(h);
	mutex_unlock(&h->cycle_mutex);
	/* Callbacks run outside goslab's locks: cycles go on meanwhile. */
	gs_gc_release_all(h);
}
EXPORT_SYMBOL_GPL(goslab_gc_collect);
