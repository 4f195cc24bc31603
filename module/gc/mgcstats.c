// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: statistics (struct goslab_gc_stats), the trace line
 * of gc_trace, and what debugfs shows: the "gc" file and the collector's
 * lines of "spans".
 *
 * Counters (enum gs_gc_counter) are named once, in gc_counters[], after
 * their field of struct goslab_gc_stats; goslab_gc_get_stats(), debugfs
 * and the trace line all take the names and fields from there.
 */

#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/stddef.h>

#include "mgc.h"

static bool gc_trace;
module_param(gc_trace, bool, 0644);
MODULE_PARM_DESC(gc_trace, "Log one line per collection, as Go's GODEBUG=gctrace=1");

static const char *const gc_phase_names[] = {
	[GS_GC_OFF]		= "off",
	[GS_GC_MARK]		= "mark",
	[GS_GC_MARKTERM]	= "marktermination",
	[GS_GC_SWEEP]		= "sweep",
};

/* A u64 field of struct goslab_gc_stats: its name and where it is. */
struct gc_stat_field {
	const char *name;
	size_t offset;
};

#define GC_STAT(field)	{ #field, offsetof(struct goslab_gc_stats, field) }

/* The counters, in their fields' order. */
static const struct gc_stat_field gc_counters[] = {
	[GS_GC_CYCLES]			= GC_STAT(cycles),
	[GS_GC_MARKED]			= GC_STAT(objects_marked),
	[GS_GC_SCANNED]			= GC_STAT(objects_scanned),
	[GS_GC_ALLOC_BLACK]		= GC_STAT(objects_alloc_black),
	[GS_GC_FREED]			= GC_STAT(objects_freed),
	[GS_GC_RELEASED]		= GC_STAT(objects_released),
	[GS_GC_MARK_NS]			= GC_STAT(mark_ns),
	[GS_GC_LAST_MARK_NS]		= GC_STAT(last_mark_ns),
	[GS_GC_TERM_NS]			= GC_STAT(term_ns),
	[GS_GC_PAUSE_NS]		= GC_STAT(pause_ns),
	[GS_GC_PAUSE_MAX_NS]		= GC_STAT(pause_max_ns),
	[GS_GC_ASSISTS]			= GC_STAT(assists),
	[GS_GC_ASSIST_NS]		= GC_STAT(assist_ns),
	[GS_GC_ASSIST_MAX_NS]		= GC_STAT(assist_max_ns),
	[GS_GC_CHECKMARKS]		= GC_STAT(checkmarks),
	[GS_GC_CHECKMARK_MISSED]	= GC_STAT(checkmark_missed),
	[GS_GC_CHECKMARK_NS]		= GC_STAT(checkmark_ns),
	[GS_GC_RESCANS]			= GC_STAT(rescans),
	[GS_GC_STRETCH_MAX]		= GC_STAT(stretch_max),
	[GS_GC_BAD_POINTERS]		= GC_STAT(bad_pointers),
	[GS_GC_BAD_FREES]		= GC_STAT(bad_frees),
};

static_assert(ARRAY_SIZE(gc_counters) == GS_GC_COUNTER_COUNT);

/* The other u64 fields: the heap's sizes, read under its lock. */
static const struct gc_stat_field gc_sizes[] = {
	GC_STAT(heap_alloc),
	GC_STAT(heap_alloc_peak),
	GC_STAT(heap_live),
	GC_STAT(heap_peak),
	GC_STAT(heap_marked),
	GC_STAT(heap_goal),
	GC_STAT(heap_trigger),
	GC_STAT(goal_ratio_max),
	GC_STAT(objects),
};

/* Between them the two tables name every u64 field: debugfs shows all. */
static_assert(ARRAY_SIZE(gc_sizes) + GS_GC_COUNTER_COUNT ==
	      offsetof(struct goslab_gc_stats, gc_percent) / sizeof(u64));

static u64 *stat_field(struct goslab_gc_stats *st,
		       const struct gc_stat_field *f)
{
	return (u64 *)((char *)st + f->offset);
}

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
	unsigned int i;

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
	for (i = 0; i < GS_GC_COUNTER_COUNT; i++)
		*stat_field(st, &gc_counters[i]) = atomic64_read(&h->cnt[i]);
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

/**
 * gs_gc_trace_cycle() - with gc_trace, log a cycle that ended
 * @h: the heap
 * @n: the cycle's number
 * @mark_ns: its time from start to sweep
 * @term_ns: the part of it in termination
 * @missed: reachable objects checkmark found white
 */
void gs_gc_trace_cycle(struct goslab_gc_heap *h, u64 n, u64 mark_ns,
		       u64 term_ns, unsigned long missed)
{
	u64 now;

	if (!READ_ONCE(gc_trace))
		return;
	now = ktime_get_ns();
	pr_info("goslab gc %llu @%llu.%03llus %s: %llu+%llu ms mark+term, %lu->%lu KiB live, %lu KiB goal, %lu KiB marked, %llu %s, %llu %s, %llu %s, %s, checkmark %s %lu\n",
		n, now / NSEC_PER_SEC, now / NSEC_PER_MSEC % MSEC_PER_SEC,
		h->name, div_u64(mark_ns - term_ns, NSEC_PER_MSEC),
		div_u64(term_ns, NSEC_PER_MSEC), h->cycle_peak >> 10,
		READ_ONCE(h->heap_live) >> 10, h->goal >> 10,
		h->last_marked >> 10,
		(u64)atomic64_read(&h->cnt[GS_GC_MARKED]),
		gc_counters[GS_GC_MARKED].name,
		(u64)atomic64_read(&h->cnt[GS_GC_SCANNED]),
		gc_counters[GS_GC_SCANNED].name,
		(u64)atomic64_read(&h->cnt[GS_GC_ASSISTS]),
		gc_counters[GS_GC_ASSISTS].name,
		gs_gc_mode_names[h->mode],
		READ_ONCE(gs_gc_checkmark_param) ? "missed" : "off", missed);
}

static void show_fields(struct seq_file *m, struct goslab_gc_stats *st,
			const struct gc_stat_field *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		seq_printf(m, "  %s %llu\n", f[i].name,
			   (unsigned long long)*stat_field(st, &f[i]));
}

static void show_heap(struct seq_file *m, struct goslab_gc_heap *h)
{
	struct goslab_gc_stats st;

	goslab_gc_get_stats(h, &st);
	seq_printf(m, "heap %s\n", h->name);
	seq_printf(m, "  mode %s phase %s gc_percent %d\n",
		   gs_gc_mode_names[READ_ONCE(h->mode)],
		   gc_phase_names[st.phase], st.gc_percent);
	show_fields(m, &st, gc_sizes, ARRAY_SIZE(gc_sizes));
	show_fields(m, &st, gc_counters, ARRAY_SIZE(gc_counters));
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

/**
 * gs_gc_span_colors() - count a span's allocated objects by colour
 * @gs: the span
 * @c: filled in
 *
 * Reads its bitmaps racily: any context, any lock or none.  Objects
 * awaiting their release callback are white (unmarked); after a sweep
 * every object is, and outside a mark none is grey.
 */
void gs_gc_span_colors(const struct gs_gc_span *gs, struct gs_gc_colors *c)
{
	unsigned int w, words = BITS_TO_LONGS(gs->type->nelems);
	bool noscan = !gs->type->nr_ptrs;
	unsigned long alloc, mark, scan;

	memset(c, 0, sizeof(*c));
	for (w = 0; w < words; w++) {
		alloc = READ_ONCE(gs->allocbits[w]);
		mark = READ_ONCE(gs->markbits[w]) & alloc;
		/* Shaded objects without pointers go straight to black. */
		scan = noscan ? mark : READ_ONCE(gs->scanbits[w]) & mark;
		c->white += hweight_long(alloc & ~mark);
		c->grey += hweight_long(mark & ~scan);
		c->black += hweight_long(scan);
	}
}

/**
 * gs_gc_show_span() - a GC span's line in debugfs "spans"
 * @m: the file
 * @chunk: the heap chunk the span is in
 * @page: its first heap page in the chunk
 * @s: the span
 *
 * Under mheap.lock, interrupts off: takes no lock of the collector, and
 * reads the span's counters and colours racily (gs_gc_span_colors()).
 * The span's bookkeeping lives while mheap.lock is held: it is freed after
 * the span leaves the page heap (gs_gc_span_destroy()).
 */
void gs_gc_show_span(struct seq_file *m, unsigned long chunk,
		     unsigned long page, const struct mspan *s)
{
	struct gs_gc_span *gs = READ_ONCE(s->gc);
	struct gs_gc_colors c;

	if (!gs) {
		seq_printf(m, "%lu %lu %u gc -\n", chunk, page, s->npages);
		return;
	}
	gs_gc_span_colors(gs, &c);
	seq_printf(m, "%lu %lu %u gc %s/%s %u %u %u %u %u %u\n", chunk, page,
		   s->npages, gs->type->heap->name, gs->type->name,
		   gs->type->elemsize, gs->type->nelems, READ_ONCE(gs->nalloc),
		   c.white, c.grey, c.black);
}
