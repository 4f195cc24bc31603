/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab's garbage collector: internal declarations.
 *
 * The files follow Go's runtime/mgc*.go:
 *
 *   mgc.c         the cycle driver: phases, modes, the worker
 *   mgcheap.c     heaps, types, spans, allocation, object lookup
 *   mgcroots.c    roots and sections, and stopping the sections
 *   mbarrier.c    the write barrier
 *   mgcmark.c     the grey list, shading, scanning, assists
 *   mcheckmark.c  checkmark, the verification of a finished mark
 *   mgcsweep.c    sweeping spans and running release callbacks
 *   mgcpacer.c    the heap goal, the trigger and the assist ratio
 *   mgcstats.c    statistics, the trace line and debugfs
 *   export_test.c the stepping API for goslab's KUnit suites only
 *                 (include/linux/goslab_gc_test.h), as Go's
 *                 runtime/export_test.go: in the test build only
 *
 * Documentation/gc.rst has the protocol and its correctness argument.
 *
 * Locking, from the outside in:
 *
 *   gs_gc_mutex       the list of heaps (debugfs, module exit)
 *   heap.cycle_mutex  one collection at a time; held for a whole cycle,
 *                     including its grace periods and the sweep, not while
 *                     release callbacks run; never taken inside a section
 *   heap.roots_mutex  the root set; taken inside sections (root_add/del)
 *                     and by the collector when it scans roots
 *   heap.lock         spinlock: the phase (with grey_lock), the types and
 *                     their span lists, heap.spans and the rescan cursor,
 *                     every span's bitmaps but the mark bits, the release
 *                     queue, the allocation counters
 *   heap.grey_lock    spinlock: the grey list, the markers' busy count and
 *                     the phase (with lock); taken by the write barrier
 *   mheap.lock        the allocator's (never held with either of the two
 *                     above: spans are created and freed outside them)
 *
 * Mark bits are set with atomic bit operations by markers and the barrier
 * (under grey_lock, or while counted busy) and by allocation (under lock);
 * they are cleared only by sweeping, when nothing marks.
 */
#ifndef _GOSLAB_MGC_H
#define _GOSLAB_MGC_H

#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/limits.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "../core/internal.h"
#include "gc.h"

/* Collector phases, as Go's gcphase plus the sweep. */
enum gs_gc_phase {
	GS_GC_OFF,	/* everything swept; the barrier does nothing */
	GS_GC_MARK,	/* marking: barrier shades old and new values */
	GS_GC_MARKTERM,	/* termination: grace period, final drain */
	GS_GC_SWEEP,	/* spans are swept lazily and in the background */
};

enum gs_gc_mode {
	GS_GC_STW,		/* the whole mark runs with sections stopped */
	GS_GC_INCREMENTAL,	/* marking is paid for by allocation (assists) */
	GS_GC_CONCURRENT,	/* a worker marks while mutators run */
};

/* A type's span lists (goslab_gc_type.spans); gs_gc_span.where says which. */
enum gs_gc_span_list {
	GS_GC_PARTIAL,		/* swept, with a free slot */
	GS_GC_FULL,		/* swept, without one */
	GS_GC_UNSWEPT,		/* still to sweep this cycle */
	GS_GC_NR_SPAN_LISTS,
};

/*
 * Go's gcOverAssistWork: an assist does at least this much scan work, so
 * that an allocating task assists once per 64 KiB of debt rather than on
 * every allocation.  The worker hands its work out as background credit
 * in slices of the same size (mgc.c), one assist's worth each.
 */
#define GS_GC_ASSIST_MIN	(64UL << 10)

/**
 * struct gs_gc_span - the collector's view of a span of GC objects
 * @list: on one of its type's @spans lists (heap.lock)
 * @node: on heap.spans if its type has pointer fields, or self-linked
 *	(heap.lock)
 * @seq: which span of the heap it is, in the order spans were made
 * @relnode: on heap.release_queue while @nrel (heap.lock); self-linked if
 *	not
 * @span: the allocator's span (its ->gc points back here)
 * @type: the type of every object in it
 * @base: address of object 0
 * @nalloc: objects allocated or awaiting release (heap.lock)
 * @nrel: objects awaiting their release callback (heap.lock)
 * @freeindex: no free slot below this index (heap.lock)
 * @where: enum gs_gc_span_list: which of its type's lists it is on
 *	(heap.lock)
 * @bits: its bitmaps, a bit per object each, one after another in the
 *	order of enum gs_gc_span_bitmap; gs_gc_allocbits() and its kin find
 *	them.  Their places follow from the type's @nelems, so that the span
 *	stores no pointer to each, which would cost some size classes a
 *	larger kmalloc bucket.
 *
 * An allocated object is white while its mark bit is clear; grey while it
 * is marked and waits to be scanned (on the grey list, in a marker's
 * batch, or left off a full list for a rescan); black once marked and
 * scanned, or allocated black, or marked without pointer fields to scan.
 * The scan bits tell grey from black for debugfs (gs_gc_span_colors());
 * the collector itself never reads them.
 */
struct gs_gc_span {
	struct list_head list;
	struct list_head node;
	unsigned long seq;
	struct list_head relnode;
	struct mspan *span;
	struct goslab_gc_type *type;
	void *base;
	unsigned int nalloc;
	unsigned int nrel;
	unsigned int freeindex;
	unsigned int where;
	unsigned long bits[];
};

/*
 * A span's bitmaps, in the order they lie in gs_gc_span.bits:
 *
 *   GS_GC_ALLOCBITS  slot holds an object (heap.lock)
 *   GS_GC_RELBITS    the object is dead and awaits its callback (heap.lock)
 *   GS_GC_MARKBITS   marked this cycle (atomic bit operations: see "Mark
 *                    bits" at the top of this file)
 *   GS_GC_SCANBITS   scanned this cycle, allocated black, or marked by
 *                    checkmark (atomic bit operations by markers,
 *                    allocation and checkmark; cleared with the mark bits)
 *   GS_GC_CMARKBITS  checkmark's own marks (the collector, world stopped)
 */
enum gs_gc_span_bitmap {
	GS_GC_ALLOCBITS,
	GS_GC_RELBITS,
	GS_GC_MARKBITS,
	GS_GC_SCANBITS,
	GS_GC_CMARKBITS,
	GS_GC_SPAN_BITMAPS,
};

/**
 * struct gs_gc_colors - a span's allocated objects by colour
 * @white: not marked
 * @grey: marked, not scanned yet
 * @black: marked and scanned (or allocated black, or without pointers)
 */
struct gs_gc_colors {
	unsigned int white;
	unsigned int grey;
	unsigned int black;
};

/**
 * struct gs_gc_cursor - where an overflow rescan pass goes on
 * @pass: the pass it belongs to (goslab_gc_heap.rescan_pass)
 * @pos: the node on heap.spans of the span it goes on in, heap.spans
 *	itself once the pass is over, or NULL before the first pass
 * @next: the object of that span it goes on from
 * @looked: that span's look (its header and mark bits) is paid for
 * @end: the @seq of the first span made after the pass began, where it
 *	stops: such spans hold only objects allocated white or black since,
 *	and an overflow among them is the next pass's.  Taken at the pass's
 *	first step, after rescan() took the overflow count it answers for,
 *	so no span it stops short of holds an object that overflowed before
 *
 * All under heap.lock; a span that goes moves the cursor on first.
 */
struct gs_gc_cursor {
	unsigned long pass;
	struct list_head *pos;
	unsigned int next;
	bool looked;
	unsigned long end;
};

/**
 * struct goslab_gc_type - a type of GC object
 * @node: on heap.types (heap.lock)
 * @heap: the heap it belongs to
 * @name: for statistics (a copy)
 * @size: bytes a caller may use
 * @elemsize: distance between objects (a size class, or whole pages)
 * @nelems: objects per span
 * @npages: heap pages per span
 * @divmagic: ((p - base) * divmagic) >> 32 is the index of the object at p;
 *	see gs_divmagic()
 * @release: callback run once per collected object, or NULL
 * @spans: its spans, by enum gs_gc_span_list (heap.lock)
 * @nspans: spans on those lists (heap.lock)
 * @nr_ptrs: pointer fields per object; 0 makes the type's spans noscan
 * @ptr_offsets: byte offsets of the pointer fields
 *
 * Constant after creation: all but the lists and @nspans.
 */
struct goslab_gc_type {
	struct list_head node;
	struct goslab_gc_heap *heap;
	const char *name;
	unsigned int size;
	unsigned int elemsize;
	unsigned int nelems;
	unsigned int npages;
	u32 divmagic;
	void (*release)(void *obj);
	struct list_head spans[GS_GC_NR_SPAN_LISTS];
	unsigned long nspans;
	unsigned int nr_ptrs;
	unsigned int ptr_offsets[] __counted_by(nr_ptrs);
};

/* Bitmap @b of span @gs: see enum gs_gc_span_bitmap. */
static __always_inline unsigned long *gs_gc_bitmap(struct gs_gc_span *gs,
						   enum gs_gc_span_bitmap b)
{
	return gs->bits + b * BITS_TO_LONGS(gs->type->nelems);
}

static __always_inline unsigned long *gs_gc_allocbits(struct gs_gc_span *gs)
{
	return gs_gc_bitmap(gs, GS_GC_ALLOCBITS);
}

static __always_inline unsigned long *gs_gc_relbits(struct gs_gc_span *gs)
{
	return gs_gc_bitmap(gs, GS_GC_RELBITS);
}

static __always_inline unsigned long *gs_gc_markbits(struct gs_gc_span *gs)
{
	return gs_gc_bitmap(gs, GS_GC_MARKBITS);
}

static __always_inline unsigned long *gs_gc_scanbits(struct gs_gc_span *gs)
{
	return gs_gc_bitmap(gs, GS_GC_SCANBITS);
}

static __always_inline unsigned long *gs_gc_cmarkbits(struct gs_gc_span *gs)
{
	return gs_gc_bitmap(gs, GS_GC_CMARKBITS);
}

/**
 * gs_gc_for_each_span() - walk every span of a type, on all its lists
 * @gs: struct gs_gc_span cursor
 * @tmp: another, so that the walk may take @gs off its list
 * @t: the type
 *
 * Under heap.lock, or on a heap nobody else uses any more.  A break leaves
 * only the list being walked.
 */
#define gs_gc_for_each_span(gs, tmp, t)					\
	for (unsigned int __list = 0; __list < GS_GC_NR_SPAN_LISTS; __list++) \
		list_for_each_entry_safe(gs, tmp, &(t)->spans[__list], list)

/*
 * Counters read by goslab_gc_get_stats(); updated without a common lock.
 * mgcstats.c names each after its field of struct goslab_gc_stats.
 */
enum gs_gc_counter {
	GS_GC_CYCLES,
	GS_GC_MARKED,		/* objects shaded (white -> grey/black) */
	GS_GC_SCANNED,		/* objects scanned (grey -> black) */
	GS_GC_ALLOC_BLACK,	/* objects allocated while marking */
	GS_GC_FREED,		/* objects whose memory was reclaimed */
	GS_GC_RELEASED,		/* release callbacks run */
	GS_GC_MARK_NS,		/* cycle start to sweep start, summed */
	GS_GC_LAST_MARK_NS,
	GS_GC_TERM_NS,		/* termination (grace period, drain), summed */
	GS_GC_PAUSE_NS,		/* sections held off by the collector */
	GS_GC_PAUSE_MAX_NS,
	GS_GC_ASSISTS,
	GS_GC_ASSIST_NS,
	GS_GC_ASSIST_MAX_NS,
	GS_GC_CHECKMARKS,
	GS_GC_CHECKMARK_MISSED,
	GS_GC_CHECKMARK_NS,
	GS_GC_RESCANS,		/* overflow rescan passes begun */
	GS_GC_STRETCH_MAX,	/* most bytes scanned with no resched point */
	GS_GC_BAD_POINTERS,	/* values that are not objects of the heap */
	GS_GC_BAD_FREES,	/* goslab_free() of a GC object */
	GS_GC_COUNTER_COUNT,
};

/*
 * goslab_gc_heap.percent when goslab_gc_set_percent() never set it: the
 * heap follows the gc_percent parameter.  No GOGC is this low: a negative
 * setting is stored as -1.
 */
#define GS_GC_PERCENT_FROM_PARAM	INT_MIN

/**
 * struct gs_gc_cycle - what gc_trace and debugfs say of one cycle
 * @n: its number (GS_GC_CYCLES once it ended)
 * @start: ktime_get_ns() when it began, before a stop of the world (Go's
 *	tSweepTerm)
 * @mark: when marking began: the last sweep finished and the barrier armed
 *	on every CPU (tMark)
 * @markterm: when mark termination began (tMarkTerm)
 * @end: when it ended: termination done, and in stw mode the sweep too
 *	and the world started again (tEnd)
 * @start_ns: the collector's work between @start and @mark: finishing the
 *	last cycle's sweep (Go's sweep termination CPU time)
 * @assist_ns: time allocations spent assisting during the cycle
 * @bg_ns: the collector's own marking from @mark to @markterm, roots
 *	included (Go's dedicated and fractional workers)
 * @term_ns: its marking and checkmark from @markterm to @end
 * @pause_ns: time sections were held off (GS_GC_PAUSE_NS's part)
 * @assist0: GS_GC_ASSIST_NS when the cycle began
 * @pause0: GS_GC_PAUSE_NS when the cycle began
 * @heap0: heap_live when marking began (Go's heap0)
 * @heap1: heap_live when marking ended (heap1)
 * @heap2: bytes marked: live, black allocation included (heap2)
 * @goal: the goal the cycle was paced to (Go's lastHeapGoal)
 * @roots: root slots read (Go's globals)
 * @cpus: CPUs that took grey objects off the list to scan them
 * @util: percent of all CPUs' time since the heap was created that the
 *	collector used, up to @end (Go's gc_cpu_fraction)
 * @mode: enum gs_gc_mode
 * @forced: goslab_gc_collect() or a test asked for it
 * @checked: checkmark verified it
 * @missed: reachable objects checkmark found white
 *
 * Written by the task that runs the cycle (heap.cycle_mutex); a copy goes
 * to heap.last when it ends.
 */
struct gs_gc_cycle {
	u64 n;
	u64 start;
	u64 mark;
	u64 markterm;
	u64 end;
	u64 start_ns;
	u64 assist_ns;
	u64 bg_ns;
	u64 term_ns;
	u64 pause_ns;
	u64 assist0;
	u64 pause0;
	unsigned long heap0;
	unsigned long heap1;
	unsigned long heap2;
	unsigned long goal;
	unsigned long roots;
	unsigned int cpus;
	unsigned int util;
	int mode;
	bool forced;
	bool checked;
	unsigned long missed;
};

/**
 * struct goslab_gc_heap - a garbage-collected heap
 * @node: on gs_gc_heaps (gs_gc_mutex)
 * @name: for statistics (a copy)
 * @srcu: sections are read-side critical sections of it
 * @srcu_key: lockdep: each heap's sections are a lock class of their own,
 *	so a section of one heap around a collection of another is fine
 * @stw: set while the collector holds sections off; see gs_gc_stop_world()
 * @stw_wq: goslab_gc_enter() waits here while @stw
 * @stw_work: runs the grace period of a stop (@cycle_mutex)
 * @stw_done: that grace period has ended
 * @cycle_mutex: one cycle at a time: see "Locking" at the top of this file
 * @lock: the allocation side and the phase: see "Locking"
 * @phase: enum gs_gc_phase; written under both @lock and @grey_lock, read
 *	under either or with READ_ONCE()
 * @black: new objects are black: from a grace period after the phase
 *	became MARK until it becomes SWEEP (@lock)
 * @types: struct goslab_gc_type (@lock)
 * @spans: the spans of types with pointer fields, oldest first (@lock;
 *	heap_free() in mgcheap.c takes them off unlocked, the heap dying)
 * @span_seq: the next span's @seq (@lock)
 * @rescan: where the overflow rescan pass goes on (@lock)
 * @release_queue: spans with objects awaiting their callback (@lock)
 * @release_running: a task is running callbacks (@lock)
 * @release_wq: goslab_gc_collect() waits here for the release queue
 * @nunswept: spans on the types' unswept lists (@lock)
 * @nobj: objects allocated, including those awaiting release (@lock)
 * @heap_alloc: bytes of those objects (@lock; read with READ_ONCE())
 * @alloc_peak: highest @heap_alloc since creation or the last reset (@lock)
 * @heap_live: Go's heapLive, what the pacer steers: the bytes the last
 *	cycle marked plus the bytes allocated since (@lock)
 * @heap_peak: highest @heap_live since creation or the last reset (@lock)
 * @grey_lock: the mark side: see "Locking"
 * @grey: the grey list, a stack of objects to scan (@grey_lock)
 * @grey_n: objects on it (@grey_lock)
 * @grey_cap: its capacity, at least @nobj when the cycle began (@grey_lock)
 * @grey_limit: tests only: cap the capacity to force overflow (@grey_lock)
 * @grey_overflow: an object was marked but did not fit, and no rescan
 *	pass has run since (@grey_lock)
 * @grey_overflows: objects that did not fit, ever (@grey_lock)
 * @grey_busy: markers holding objects taken from @grey (@grey_lock)
 * @rescan_pass: the overflow rescan pass under way, or the last (@grey_lock)
 * @rescan_from: @grey_overflows when that pass began (@grey_lock)
 * @rescanning: that pass is not finished (@grey_lock)
 * @roots_mutex: protects @roots
 * @roots: the root slots, indexed by address
 * @worker: the collector thread
 * @worker_wq: it sleeps here
 * @flags: GS_GC_WANT_* bits
 * @mode: enum gs_gc_mode of the current cycle (@cycle_mutex)
 * @manual: tests only: a test steps the cycle by hand: no worker marking,
 *	no assists
 * @barrier_mask: tests only: which halves of the barrier shade
 * @percent: GOGC of this heap, or GS_GC_PERCENT_FROM_PARAM
 * @marked_bytes: bytes marked this cycle, black allocation included
 * @scan_work: bytes scanned this cycle
 * @bg_credit: scan work done by the worker and not yet claimed by assists
 * @assist_credit: per CPU: scan work assists did ahead of allocation
 * @last_marked: bytes marked by the last cycle (@lock)
 * @last_scan: bytes scanned by the last cycle (@lock)
 * @goal: the heap goal (@lock)
 * @trigger: @heap_live that starts the next cycle (@lock)
 * @trigger_frac: where between live and goal the trigger sits, in 1/1000
 * @cycle_peak: highest @heap_live during the cycle being paced (@lock)
 * @ratio_max: highest cycle_peak / goal seen, in 1/1000 (@lock)
 * @scan_expected: the scan work the pacer expects of this cycle (@lock)
 * @mark_cpus: CPUs that took grey objects this cycle (@grey_lock)
 * @cycle: the figures of the cycle under way (@cycle_mutex)
 * @last: those of the last cycle that ended (@lock; written under
 *	@cycle_mutex too)
 * @created_ns: ktime_get_ns() when the heap was created
 * @released: objects the last cycle found dead, as its sweep frees them or
 *	queues their release callbacks (@lock)
 * @cpu_ns: the collector's CPU time since the heap was created, Go's
 *	work.totaltime: each cycle's start, assist, background and
 *	termination time (@lock)
 * @cnt: enum gs_gc_counter
 */
struct goslab_gc_heap {
	struct list_head node;
	const char *name;

	struct srcu_struct srcu;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	struct lock_class_key srcu_key;
#endif
	bool stw;
	wait_queue_head_t stw_wq;
	struct work_struct stw_work;
	struct completion stw_done;

	struct mutex cycle_mutex; /* one cycle at a time */

	spinlock_t lock; /* the allocation side; the phase with grey_lock */
	int phase;
	bool black;
	struct list_head types;
	struct list_head spans;
	unsigned long span_seq;
	struct gs_gc_cursor rescan;
	struct list_head release_queue;
	bool release_running;
	wait_queue_head_t release_wq;
	unsigned long nunswept;
	unsigned long nobj;
	unsigned long heap_alloc;
	unsigned long alloc_peak;
	unsigned long heap_live;
	unsigned long heap_peak;

	spinlock_t grey_lock; /* the mark side; the phase with lock */
	void **grey;
	unsigned long grey_n;
	unsigned long grey_cap;
	unsigned long grey_limit;
	bool grey_overflow;
	unsigned long grey_overflows;
	unsigned int grey_busy;
	unsigned long rescan_pass;
	unsigned long rescan_from;
	bool rescanning;

	struct mutex roots_mutex; /* protects roots */
	struct xarray roots;

	struct task_struct *worker;
	wait_queue_head_t worker_wq;
	unsigned long flags;
	int mode;
	bool manual;
	unsigned int barrier_mask;

	int percent;
	atomic_long_t marked_bytes;
	atomic_long_t scan_work;
	atomic_long_t bg_credit;
	long __percpu *assist_credit;
	unsigned long last_marked;
	unsigned long last_scan;
	unsigned long goal;
	unsigned long trigger;
	unsigned int trigger_frac;
	unsigned long cycle_peak;
	unsigned long ratio_max;
	unsigned long scan_expected;

	cpumask_var_t mark_cpus;
	struct gs_gc_cycle cycle;
	struct gs_gc_cycle last;
	u64 created_ns;
	unsigned long released;
	u64 cpu_ns;

	atomic64_t cnt[GS_GC_COUNTER_COUNT];
};

/* heap.flags: what the worker is asked to do (gs_gc_wake()) */
#define GS_GC_WANT_CYCLE	0	/* the pacer asks for a cycle */
#define GS_GC_WANT_SWEEP	1	/* spans to sweep, callbacks to run */

/* heap.barrier_mask */
#define GS_GC_SHADE_OLD		BIT(0)
#define GS_GC_SHADE_NEW		BIT(1)

/* The list of heaps (mgcheap.c), under gs_gc_mutex. */
extern struct list_head gs_gc_heaps;
extern struct mutex gs_gc_mutex;

/* Module parameters read outside the file that holds them. */
extern int gs_gc_mode_param;		/* gc_mode (mgc.c) */
extern bool gs_gc_checkmark_param;	/* gc_checkmark (mgc.c) */
extern int gs_gc_percent_param;		/* gc_percent (mgcpacer.c) */
extern const char *const gs_gc_mode_names[];

static inline void gs_gc_count(struct goslab_gc_heap *h, enum gs_gc_counter c,
			       s64 n)
{
	atomic64_add(n, &h->cnt[c]);
}

static inline void gs_gc_count_max(struct goslab_gc_heap *h,
				   enum gs_gc_counter c, s64 v)
{
	s64 old = atomic64_read(&h->cnt[c]);

	while (v > old && !atomic64_try_cmpxchg(&h->cnt[c], &old, v))
		;
}

static inline bool gs_gc_marking(int phase)
{
	return phase == GS_GC_MARK || phase == GS_GC_MARKTERM;
}

/* The index of the object @p points into, within its span @gs. */
static __always_inline unsigned int gs_gc_index(const struct gs_gc_span *gs,
						const void *p)
{
	return gs_span_index(p - gs->base, gs->type->divmagic);
}

static __always_inline void *gs_gc_obj(const struct gs_gc_span *gs,
				       unsigned int idx)
{
	return gs->base + (size_t)idx * gs->type->elemsize;
}

/* The collector's span of a GC object of any heap; @p must be one. */
static __always_inline struct gs_gc_span *gs_gc_span_of(const void *p)
{
	return span_of(p)->gc;
}

/* mgc.c */
int gs_gc_worker(void *arg);
void gs_gc_wake(struct goslab_gc_heap *h, int what);
void gs_gc_cycle_begin(struct goslab_gc_heap *h, u64 start, bool forced);
void gs_gc_drain_all(struct goslab_gc_heap *h);
unsigned long gs_gc_cycle_terminate(struct goslab_gc_heap *h, bool stopped);
void gs_gc_cycle_end(struct goslab_gc_heap *h);
void gs_gc_sweep_finish(struct goslab_gc_heap *h);

/* mgcheap.c */
struct gs_gc_span *gs_gc_lookup(struct goslab_gc_heap *h, const void *p,
				unsigned int *idx);
bool gs_gc_check_ptr(struct goslab_gc_heap *h, const void *p);

/* mgcroots.c */
void gs_gc_stop_world(struct goslab_gc_heap *h);
void gs_gc_start_world(struct goslab_gc_heap *h, ktime_t since, bool pause);
int gs_gc_sections_init(struct goslab_gc_heap *h);
void gs_gc_sections_destroy(struct goslab_gc_heap *h);

/* mbarrier.c */
void gs_gc_barrier_arm(void);
void gs_gc_barrier_disarm(void);

/* mgcmark.c */
int gs_gc_grey_alloc(struct goslab_gc_heap *h);
void gs_gc_grey_free(struct goslab_gc_heap *h);
void gs_gc_shade_locked(struct goslab_gc_heap *h, void *p);
void gs_gc_shade(struct goslab_gc_heap *h, void *p);
unsigned long gs_gc_mark_roots(struct goslab_gc_heap *h);
unsigned long gs_gc_drain(struct goslab_gc_heap *h, unsigned long work,
			  bool resched);
unsigned long gs_gc_step_objects(struct goslab_gc_heap *h, unsigned long n);
bool gs_gc_grey_empty(struct goslab_gc_heap *h);
void gs_gc_assist(struct goslab_gc_heap *h, size_t size, gfp_t gfp);

/* mcheckmark.c */
unsigned long gs_gc_checkmark(struct goslab_gc_heap *h);

/**
 * struct gs_gc_releasing - a release callback running
 * @node: on the list of callbacks running (mgcsweep.c)
 * @task: the task running it
 * @obj: the dying object
 * @size: its size
 *
 * Lets the write barrier know a store into the dying object's own fields,
 * whose old values it must not follow: see gs_gc_in_release().
 */
struct gs_gc_releasing {
	struct list_head node;
	struct task_struct *task;
	void *obj;
	size_t size;
};

/* mgcsweep.c */
void gs_gc_call_release(struct goslab_gc_heap *h, struct goslab_gc_type *t,
			void *obj);
bool gs_gc_in_release(void **slot);
bool gs_gc_sweep_span(struct goslab_gc_heap *h, struct gs_gc_span *gs,
		      struct list_head *dead);
void gs_gc_free_spans(struct list_head *dead);
void gs_gc_sweep_all(struct goslab_gc_heap *h, bool resched);
bool gs_gc_run_release_queue(struct goslab_gc_heap *h);
void gs_gc_release_all(struct goslab_gc_heap *h);
void gs_gc_span_destroy(struct gs_gc_span *gs);

/* mgcpacer.c */
void gs_gc_pacer_init(struct goslab_gc_heap *h);
void gs_gc_pacer_cycle_start(struct goslab_gc_heap *h);
void gs_gc_pacer_cycle_end(struct goslab_gc_heap *h);
long gs_gc_assist_debt(struct goslab_gc_heap *h, size_t size);
int gs_gc_heap_percent(struct goslab_gc_heap *h);
bool gs_gc_pacer_wants_cycle(struct goslab_gc_heap *h);

/* mgcstats.c */
unsigned int gs_gc_cpu_percent(u64 cpu_ns, u64 elapsed_ns, unsigned int ncpus);
int gs_gc_trace_format(char *buf, size_t size,
		       const struct goslab_gc_heap *h, const struct gs_gc_cycle *c);
void gs_gc_trace_cycle(struct goslab_gc_heap *h);
void gs_gc_span_colors(struct gs_gc_span *gs, struct gs_gc_colors *c);
void gs_gc_show_span(struct seq_file *m, unsigned long chunk,
		     unsigned long page, const struct mspan *s);

/* export_test.c: the test build only (GOSLAB_TEST, module/Kbuild) */
#ifdef GOSLAB_TEST
unsigned int gs_gc_test_stw_patience_ms(void);
#else
static inline unsigned int gs_gc_test_stw_patience_ms(void)
{
	return 0;
}
#endif

#endif /* _GOSLAB_MGC_H */
