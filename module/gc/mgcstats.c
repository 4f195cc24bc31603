// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: statistics (struct goslab_gc_stats), the trace line
 * of gc_trace, and what debugfs shows: the "gc" file and the collector's
 * lines of "spans".
 *
 * Counters (enum gs_gc_counter) are named once, in gc_counters[], after
 * their field of struct goslab_gc_stats; goslab_gc_get_stats() and debugfs
 * take the names and fields from there, and from the tables of the
 * heap's sizes and of its last cycle.
 */

#include <linux/cpumask.h>
#include <linux/math64.h>
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

/* The heap's age and its last cycle's figures, read under its lock too. */
static const struct gc_stat_field gc_cycle_fields[] = {
	GC_STAT(created_ns),
	GC_STAT(last_pause_ns),
	GC_STAT(last_released),
	GC_STAT(last_cpus_marked),
	GC_STAT(last_cycle_ns),
	GC_STAT(cpu_ns),
};

/* Between them the three tables name every u64 field: debugfs shows all. */
static_assert(ARRAY_SIZE(gc_sizes) + GS_GC_COUNTER_COUNT +
	      ARRAY_SIZE(gc_cycle_fields) ==
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
	st->created_ns = h->created_ns;
	st->last_pause_ns = h->last.pause_ns;
	st->last_released = h->released;
	st->last_cpus_marked = h->last.cpus;
	st->last_cycle_ns = h->last.end;
	st->cpu_ns = h->cpu_ns;
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
 * gs_gc_cpu_percent() - the collector's share of the CPUs' time, in percent
 * @cpu_ns: the collector's CPU time
 * @elapsed_ns: the wall time it is a share of
 * @ncpus: the CPUs whose time that is
 *
 * Go's GC CPU fraction, rounded down, without the products that overflow
 * a u64: @cpu_ns * 100 once the collector has used six years of CPU time,
 * and @elapsed_ns * @ncpus after a month on thousands of CPUs.
 *
 * Return: @cpu_ns * 100 / (@elapsed_ns * @ncpus), at most UINT_MAX; 0
 * without time or CPUs to share.
 */
unsigned int gs_gc_cpu_percent(u64 cpu_ns, u64 elapsed_ns, unsigned int ncpus)
{
	u64 whole, rem;

	if (!elapsed_ns || !ncpus)
		return 0;
	/* The CPUs' worth of time used, whole and a remainder. */
	whole = div64_u64_rem(cpu_ns, elapsed_ns, &rem);
	if (whole >= UINT_MAX / 100)
		return UINT_MAX;
	/* rem < elapsed_ns: the quotient is below 100, and cannot trap. */
	whole = whole * 100 + mul_u64_u64_div_u64(rem, 100, elapsed_ns);
	return div_u64(whole, ncpus);
}

/* Thousandths of @n, as a decimal: "12.345". */
static int put_milli(char *buf, size_t size, u64 n)
{
	u32 frac;
	u64 whole = div_u64_rem(n, 1000, &frac);

	return scnprintf(buf, size, "%llu.%03u", whole, frac);
}

/* Bytes in MiB, Go's MB, to three decimals: a KiB or so. */
static int put_mb(char *buf, size_t size, u64 bytes)
{
	return put_milli(buf, size, mul_u64_u32_shr(bytes, 1000, 20));
}

/**
 * gs_gc_trace_format() - the gc_trace line of a cycle, in Go's gctrace shape
 * @buf: where to write it, NUL-terminated, without a newline
 * @size: its size
 * @h: the heap
 * @c: its cycle, ended
 *
 * The line, field by field against Go's, is in Documentation/gc.rst:
 *
 *	goslab gc(NAME) 7 @12.345s 1%: 0.120+3.400+0.800 ms clock,
 *	0.050+1.200/2.100/0.000+0.700 ms cpu, 3.900->4.100->2.000 MB,
 *	4.000 MB goal, 0.002 MB globals, 2 P (forced)
 *
 * Return: the length written, as scnprintf().
 */
int gs_gc_trace_format(char *buf, size_t size,
		       const struct goslab_gc_heap *h, const struct gs_gc_cycle *c)
{
	/* Go's phases: sweep termination, concurrent mark, termination. */
	const u64 clock[] = {
		c->mark - c->start, c->markterm - c->mark, c->end - c->markterm,
	};
	/* Go's sweep termination, assist/background/idle, termination. */
	const u64 cpu[] = {
		c->start_ns, c->assist_ns, c->bg_ns, 0, c->term_ns,
	};
	static const char *const cpu_sep[] = { "", "+", "/", "/", "+" };
	const unsigned long heap[] = { c->heap0, c->heap1, c->heap2 };
	unsigned int i;
	int len;

	len = scnprintf(buf, size, "goslab gc(%s) %llu @", h->name, c->n);
	len += put_milli(buf + len, size - len,
			 div_u64(c->start - h->created_ns, NSEC_PER_MSEC));
	len += scnprintf(buf + len, size - len, "s %u%%: ", c->util);
	for (i = 0; i < ARRAY_SIZE(clock); i++) {
		len += scnprintf(buf + len, size - len, "%s", i ? "+" : "");
		len += put_milli(buf + len, size - len,
				 div_u64(clock[i], NSEC_PER_USEC));
	}
	len += scnprintf(buf + len, size - len, " ms clock, ");
	for (i = 0; i < ARRAY_SIZE(cpu); i++) {
		len += scnprintf(buf + len, size - len, "%s", cpu_sep[i]);
		len += put_milli(buf + len, size - len,
				 div_u64(cpu[i], NSEC_PER_USEC));
	}
	len += scnprintf(buf + len, size - len, " ms cpu, ");
	for (i = 0; i < ARRAY_SIZE(heap); i++) {
		len += scnprintf(buf + len, size - len, "%s", i ? "->" : "");
		len += put_mb(buf + len, size - len, heap[i]);
	}
	len += scnprintf(buf + len, size - len, " MB, ");
	len += put_mb(buf + len, size - len, c->goal);
	len += scnprintf(buf + len, size - len, " MB goal, ");
	len += put_mb(buf + len, size - len, c->roots * sizeof(void *));
	len += scnprintf(buf + len, size - len, " MB globals, %u P", c->cpus);
	if (c->mode != GS_GC_CONCURRENT)
		len += scnprintf(buf + len, size - len, " (%s)",
				 gs_gc_mode_names[c->mode]);
	if (c->forced)
		len += scnprintf(buf + len, size - len, " (forced)");
	if (c->checked)
		len += scnprintf(buf + len, size - len, " (checkmark %lu missed)",
				 c->missed);
	return len;
}

/* Go's gctrace line with its figures, and room for a long heap name. */
#define GS_GC_TRACE_LEN		320

/**
 * gs_gc_trace_cycle() - with gc_trace, log the cycle that just ended
 * @h: the heap; its cycle_mutex held, heap.cycle the cycle's figures
 */
void gs_gc_trace_cycle(struct goslab_gc_heap *h)
{
	char buf[GS_GC_TRACE_LEN];

	lockdep_assert_held(&h->cycle_mutex);
	if (!READ_ONCE(gc_trace))
		return;
	gs_gc_trace_format(buf, sizeof(buf), h, &h->cycle);
	pr_info("%s\n", buf);
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
	show_fields(m, &st, gc_cycle_fields, ARRAY_SIZE(gc_cycle_fields));
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
 * Reads its bitmaps racily, under no lock of the collector, in any
 * context; but something must keep the span alive meanwhile: mheap.lock
 * (gs_gc_show_span()) or its heap's lock.  Objects awaiting their release
 * callback are white (unmarked); after a sweep every object is, and
 * outside a mark none is grey (checkmark's late marks are black too).
 */
void gs_gc_span_colors(struct gs_gc_span *gs, struct gs_gc_colors *c)
{
	unsigned int w, words = BITS_TO_LONGS(gs->type->nelems);
	unsigned long *allocbits = gs_gc_allocbits(gs);
	unsigned long *markbits = gs_gc_markbits(gs);
	unsigned long *scanbits = gs_gc_scanbits(gs);
	bool noscan = !gs->type->nr_ptrs;
	unsigned long alloc, mark, scan;

	memset(c, 0, sizeof(*c));
	for (w = 0; w < words; w++) {
		alloc = READ_ONCE(allocbits[w]);
		mark = READ_ONCE(markbits[w]) & alloc;
		/* Shaded objects without pointers go straight to black. */
		scan = noscan ? mark : READ_ONCE(scanbits[w]) & mark;
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
	struct gs_gc_span *gs;
	struct gs_gc_colors c;

	/* Pairs with type_grow()'s release: the span was found by its pages. */
	gs = smp_load_acquire(&s->gc);
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

#ifdef GOSLAB_TEST
#include "tests/mgcstats-kunit.h"
#endif
