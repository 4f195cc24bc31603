// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: the pacer (Go's runtime/mgcpacer.go, simplified).
 *
 * GOGC (gc_percent, or goslab_gc_set_percent() per heap) sets the goal: a
 * cycle that ends having marked M bytes lets the heap grow to
 *
 *	goal = max(M * (1 + GOGC/100), gc_min_heap_kb * GOGC/100)
 *
 * before the next cycle must be done.  "The heap" is Go's heapLive: the
 * bytes the last cycle marked plus every byte allocated since; sweeping
 * does not lower it, since what sweeping frees was never counted live.
 *
 * A cycle has to start before the heap reaches the goal, since mutators
 * allocate while it marks.  The trigger sits a fraction of the way from M
 * to the goal; the fraction adapts, as Go's pre-1.18 trigger controller
 * did: a cycle whose heap went past its goal moves the next trigger
 * earlier, one that ended well below it moves it later.
 *
 * While marking, every allocated byte owes scan work (assists, mgcmark.c):
 *
 *	assist ratio = scan work still expected / heap bytes left to the goal
 *
 * The expected scan work is what the last cycle scanned; should this one
 * scan more, the estimate becomes the whole heap and the goal the hard goal
 * (110% of the goal), as in Go.  So a mutator that allocates faster than
 * the worker marks ends up marking for it, and the heap stays near the
 * goal whatever the allocation rate.
 */

#include <linux/module.h>

#include "mgc.h"

/*
 * The trigger's place between live and goal, in thousandths.  A heap that
 * has not collected yet triggers 70% of the way, leaving the mark the
 * last 30% of the runway.  It adapts between halfway (earlier only buys
 * more cycles for the same garbage: assists catch a mutator that outruns
 * the worker) and 95% (later leaves the worker no runway, and assists do
 * the whole mark).
 */
#define GS_GC_TRIGGER_START	700
#define GS_GC_TRIGGER_MIN	500
#define GS_GC_TRIGGER_MAX	950
/*
 * A cycle whose heap went past its goal moves the next trigger this much
 * earlier; one that ended well below it, half as much later.  Missing the
 * goal costs memory, ending early only an earlier cycle, so the trigger
 * backs off fast and creeps forward, and settles just under the goal.
 */
#define GS_GC_TRIGGER_EARLIER	50
#define GS_GC_TRIGGER_LATER	25
/*
 * "Well below" the goal: a peak under 95% of it.  Between that and the
 * goal the trigger was right and stays.
 */
#define GS_GC_GOAL_MET_PERCENT	95
/*
 * Never expect less scan work, nor less runway, than this: the assist
 * ratio divides the one by the other, and a nearly empty heap must not
 * make it huge.
 */
#define GS_GC_MIN_WORK		(64UL << 10)
/*
 * Go's hard goal: once a cycle scans more than the last one, assists aim
 * at the goal plus a tenth of it, against the whole heap as the work.
 */
#define GS_GC_HARD_GOAL_DIV	10
/*
 * A cycle asked for by hand on a heap already past its goal gets a goal
 * a quarter of the minimum heap above the live heap: runway for assists
 * to pace against, rather than a goal already missed.
 */
#define GS_GC_FORCED_RUNWAY_DIV	4

int gs_gc_percent_param = 100;
module_param_named(gc_percent, gs_gc_percent_param, int, 0644);
MODULE_PARM_DESC(gc_percent,
		 "GOGC: a cycle starts when the heap reaches live * (1 + gc_percent/100); negative turns automatic cycles off");

/**
 * gs_gc_heap_percent() - the GOGC in force for a heap
 * @h: the heap
 *
 * Return: its own setting, else the gc_percent parameter; negative: off.
 */
int gs_gc_heap_percent(struct goslab_gc_heap *h)
{
	int p = READ_ONCE(h->percent);

	if (p == GS_GC_PERCENT_FROM_PARAM)
		p = READ_ONCE(gs_gc_percent_param);
	return p < 0 ? -1 : p;
}

/* Go's heapminimum: 4 MiB at GOGC 100. */
#define GC_MIN_HEAP_KB_DEFAULT	4096
static unsigned int gc_min_heap_kb = GC_MIN_HEAP_KB_DEFAULT;
module_param(gc_min_heap_kb, uint, 0644);
MODULE_PARM_DESC(gc_min_heap_kb,
		 "Heap goal floor at gc_percent=100, in KiB (Go's heapminimum; scaled by gc_percent)");

static unsigned long min_heap(int percent)
{
	return max_t(unsigned long,
		     (unsigned long)READ_ONCE(gc_min_heap_kb) * SZ_1K / 100 *
		     percent, GS_GC_MIN_WORK);
}

/* Goal and trigger from the last cycle's marked bytes. */
static void set_goal(struct goslab_gc_heap *h)
{
	int percent = gs_gc_heap_percent(h);
	unsigned long marked = h->last_marked;

	lockdep_assert_held(&h->lock);
	if (percent < 0) {
		h->goal = ULONG_MAX;
		h->trigger = ULONG_MAX;
		return;
	}
	h->goal = max(marked + marked / 100 * percent, min_heap(percent));
	h->trigger = marked + (h->goal - marked) / 1000 * h->trigger_frac;
}

/**
 * gs_gc_pacer_init() - pace a heap that has not collected yet
 * @h: the heap; its lock held
 *
 * Also called when the heap's GOGC changes.
 */
void gs_gc_pacer_init(struct goslab_gc_heap *h)
{
	lockdep_assert_held(&h->lock);
	if (!h->trigger_frac)
		h->trigger_frac = GS_GC_TRIGGER_START;
	set_goal(h);
}

/**
 * gs_gc_pacer_cycle_start() - a cycle begins
 * @h: the heap; its lock held, not marking yet
 */
void gs_gc_pacer_cycle_start(struct goslab_gc_heap *h)
{
	long *credit;
	int cpu;

	lockdep_assert_held(&h->lock);
	atomic_long_set(&h->marked_bytes, 0);
	atomic_long_set(&h->scan_work, 0);
	atomic_long_set(&h->bg_credit, 0);
	for_each_possible_cpu(cpu) {
		credit = per_cpu_ptr(h->assist_credit, cpu);
		*credit = 0;
	}
	h->scan_expected = max(h->last_scan, GS_GC_MIN_WORK);
	h->cycle_peak = h->heap_live;
	/* A cycle asked for by hand keeps the goal the pacer had. */
	if (h->goal < h->heap_live && gs_gc_heap_percent(h) >= 0)
		h->goal = h->heap_live +
			  min_heap(gs_gc_heap_percent(h)) / GS_GC_FORCED_RUNWAY_DIV;
}

/**
 * gs_gc_pacer_cycle_end() - the mark ended: set the next goal and trigger
 * @h: the heap; its lock held, the phase just turned SWEEP
 */
void gs_gc_pacer_cycle_end(struct goslab_gc_heap *h)
{
	unsigned long goal = h->goal, peak = h->cycle_peak;

	lockdep_assert_held(&h->lock);
	if (goal && goal != ULONG_MAX) {
		h->ratio_max = max(h->ratio_max, peak / (goal / 1000 + 1));
		if (peak > goal)
			h->trigger_frac = max(h->trigger_frac -
					      GS_GC_TRIGGER_EARLIER,
					      GS_GC_TRIGGER_MIN);
		else if (peak < goal / 100 * GS_GC_GOAL_MET_PERCENT)
			h->trigger_frac = min(h->trigger_frac +
					      GS_GC_TRIGGER_LATER,
					      GS_GC_TRIGGER_MAX);
	}
	h->last_marked = atomic_long_read(&h->marked_bytes);
	h->last_scan = atomic_long_read(&h->scan_work);
	/* From here, Go's heapLive: what was marked, plus new allocation. */
	WRITE_ONCE(h->heap_live, h->last_marked);
	set_goal(h);
}

/**
 * gs_gc_assist_debt() - scan work owed for an allocation while marking
 * @h: the heap
 * @size: bytes allocated
 *
 * Return: bytes of scan work.
 */
long gs_gc_assist_debt(struct goslab_gc_heap *h, size_t size)
{
	unsigned long expected = READ_ONCE(h->scan_expected);
	unsigned long done = atomic_long_read(&h->scan_work);
	unsigned long goal = READ_ONCE(h->goal);
	unsigned long live = READ_ONCE(h->heap_live);
	unsigned long work, runway;

	if (goal == ULONG_MAX)
		return 0;
	if (done >= expected) {
		/* More to scan than the last cycle: assume the worst. */
		expected = max(live, done + GS_GC_MIN_WORK);
		goal += goal / GS_GC_HARD_GOAL_DIV;
	}
	work = expected - done;
	runway = goal > live + GS_GC_MIN_WORK ? goal - live : GS_GC_MIN_WORK;
	/* Fixed point, 1/1024: bytes of scan work per byte allocated. */
	return (long)((size * ((work << 10) / runway)) >> 10);
}

/**
 * gs_gc_pacer_wants_cycle() - should a cycle start by itself?
 * @h: the heap
 *
 * Lockless; under heap.lock when the answer must hold.
 *
 * Return: true when no cycle marks, automatic cycles are on and the heap
 * has reached its trigger.
 */
bool gs_gc_pacer_wants_cycle(struct goslab_gc_heap *h)
{
	int phase = READ_ONCE(h->phase);

	return (phase == GS_GC_OFF || phase == GS_GC_SWEEP) &&
	       gs_gc_heap_percent(h) >= 0 &&
	       READ_ONCE(h->heap_live) >= READ_ONCE(h->trigger);
}

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
	if (gs_gc_pacer_wants_cycle(h))
		gs_gc_wake(h, GS_GC_WANT_CYCLE);
	return old;
}
EXPORT_SYMBOL_GPL(goslab_gc_set_percent);

#ifdef GOSLAB_TEST
#include "tests/mgcpacer-kunit.h"
#endif
