// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics in debugfs, under /sys/kernel/debug/goslab/:
 *
 *   classes  one line per size class: its shape and what it holds
 *   caches   the same for each goslab_cache
 *   cpus     one line per CPU: the fast path's counters
 *   heap     the page heap
 *   spans    every chunk of the heap, run by run: the heap, drawn
 *   debug    debug mode's findings
 *   totals   struct goslab_stats, as goslab_get_stats() returns it
 *   profile  the heap profiler's samples per call stack (core/mprof.c)
 *   gc       one block per garbage-collected heap (gc/mgcstats.c), if
 *            goslab has its collector (GOSLAB_GC)
 *
 * Every number is read without stopping allocation: counters that CPUs
 * update under their own locks are read racily, and each file is exact
 * only when goslab is quiet.  "spans" holds the heap lock for a bounded
 * batch of runs at a time (mheap.c), which delays span allocation a
 * little, never the per-CPU fast paths.  Documentation/debugfs.rst gives
 * every file's format.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "core/internal.h"
#include "debugfs.h"
#include "gc/gc.h"

static const char *const gs_cpu_counter_names[] = {
	[GS_CPU_FREE]		= "frees",
	[GS_CPU_REFILL]		= "refills",
	[GS_CPU_REFILLED]	= "refilled",
	[GS_CPU_FLUSH]		= "flushes",
	[GS_CPU_FLUSHED]	= "flushed",
	[GS_CPU_DRAINED]	= "drained",
	[GS_CPU_TINY]		= "tiny",
};

static_assert(ARRAY_SIZE(gs_cpu_counter_names) == GS_CPU_COUNTER_COUNT);

static struct dentry *gs_debugfs;

static int classes_show(struct seq_file *m, void *v)
{
	unsigned long spans, out, cached, inuse, span_bytes;
	struct mcentral *c;
	unsigned int i;

	seq_puts(m, "class size npages nelems spans objects_in_use bytes_in_use cached waste_bytes refills flushes\n");
	for (i = 0; i < GOSLAB_NUM_SIZE_CLASSES; i++) {
		c = &gs_classes[i];
		spans = READ_ONCE(c->nspans);
		out = READ_ONCE(c->nalloc);
		cached = mcache_cached(c);
		inuse = out > cached ? out - cached : 0;
		span_bytes = (unsigned long)c->npages << GS_PAGE_SHIFT;
		/* Span memory not holding an object in use: free slots, tails. */
		seq_printf(m, "%s %u %u %u %lu %lu %lu %lu %lu %lu %lu\n",
			   c->name, c->elemsize, c->npages, c->nelems, spans,
			   inuse, inuse * c->elemsize, cached,
			   spans * span_bytes - min(spans * span_bytes,
						   inuse * c->elemsize),
			   READ_ONCE(c->refilled), READ_ONCE(c->flushed));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(classes);

static int caches_show(struct seq_file *m, void *v)
{
	gs_cache_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(caches);

static int cpus_show(struct seq_file *m, void *v)
{
	unsigned long cached;
	unsigned int cpu, i;

	seq_puts(m, "cpu allocs");
	for (i = 0; i < GS_CPU_COUNTER_COUNT; i++)
		seq_printf(m, " %s", gs_cpu_counter_names[i]);
	seq_puts(m, " cached\n");
	for_each_online_cpu(cpu) {
		cached = mcache_cpu_cached(cpu);
		seq_printf(m, "%u %ld", cpu, mcache_allocs(cpu, cached));
		for (i = 0; i < GS_CPU_COUNTER_COUNT; i++)
			seq_printf(m, " %lu", mcache_stat(cpu, i));
		seq_printf(m, " %lu\n", cached);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cpus);

static int heap_show(struct seq_file *m, void *v)
{
	mheap_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(heap);

static int spans_open(struct inode *inode, struct file *file)
{
	return gs_spans_open(file);
}

static const struct file_operations spans_fops = {
	.owner		= THIS_MODULE,
	.open		= spans_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= seq_release_private,
};

static int debug_show(struct seq_file *m, void *v)
{
	seq_printf(m, "enabled %d\n", goslab_debug_enabled());
	gs_debug_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(debug);

static int totals_show(struct seq_file *m, void *v)
{
	struct goslab_stats st;
	unsigned int i;

	goslab_get_stats(&st);
	for (i = 0; i < GOSLAB_NR_STATS; i++)
		seq_printf(m, "%s %llu\n", goslab_stat_name(i), st.item[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(totals);

void gs_debugfs_init(void)
{
	gs_debugfs = debugfs_create_dir("goslab", NULL);
	debugfs_create_file("classes", 0444, gs_debugfs, NULL, &classes_fops);
	debugfs_create_file("caches", 0444, gs_debugfs, NULL, &caches_fops);
	debugfs_create_file("cpus", 0444, gs_debugfs, NULL, &cpus_fops);
	debugfs_create_file("heap", 0444, gs_debugfs, NULL, &heap_fops);
	debugfs_create_file("spans", 0444, gs_debugfs, NULL, &spans_fops);
	debugfs_create_file("debug", 0444, gs_debugfs, NULL, &debug_fops);
	debugfs_create_file("totals", 0444, gs_debugfs, NULL, &totals_fops);
	debugfs_create_file("profile", 0444, gs_debugfs, NULL, &gs_mprof_fops);
	if (GOSLAB_GC)
		debugfs_create_file("gc", 0444, gs_debugfs, NULL, &gs_gc_fops);
}

void gs_debugfs_exit(void)
{
	debugfs_remove_recursive(gs_debugfs);
}
