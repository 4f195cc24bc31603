// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_bench: mixed, a live set of random sizes churned in place, and
 * memory, the pages that same live set holds.
 */
#include "bench.h"
#include "loops.h"

#include <linux/cpumask.h>
#include <linux/goslab.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#define MIXED_LIVE	100000U
#define MIXED_STEPS	500000U		/* one free and one alloc each */

/*
 * mixed: sizes from a fixed distribution skewed small, a live set of
 * MIXED_LIVE objects, then MIXED_STEPS steps that each free a random live
 * object and allocate one of a random size in its place: 2 * MIXED_STEPS
 * operations.  Both allocators see the same sequence, drawn beforehand
 * from a seeded PRNG, so the timed loops only read arrays.
 *
 * Each bucket is drawn with weight/1024 and the size uniformly in it; the
 * mean is about 250 bytes.  Keep Documentation/bench.rst in step.
 */
static const struct {
	u32 max, weight;
} mixed_dist[] = {
	{ 8, 96 }, { 16, 128 }, { 32, 192 }, { 64, 192 }, { 128, 160 },
	{ 256, 112 }, { 512, 64 }, { 1024, 40 }, { 2048, 20 }, { 4096, 12 },
	{ 8192, 5 }, { 16384, 2 }, { 32768, 1 },
};

struct mixed_arg {
	unsigned int live, steps;
	u32 *size0;		/* [live]: the live set's sizes */
	u32 *slot, *size;	/* [steps]: which object to replace, by what */
	void **v;		/* [live] */
	u64 requested;		/* bytes in the live set */
	bool failed;
};

static u32 mixed_size(struct rnd_state *rs)
{
	u32 w = prandom_u32_state(rs) % 1024, lo = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mixed_dist) - 1; i++) {
		if (w < mixed_dist[i].weight)
			break;
		w -= mixed_dist[i].weight;
		lo = mixed_dist[i].max;
	}
	return lo + 1 + prandom_u32_state(rs) % (mixed_dist[i].max - lo);
}

static int mixed_init(struct mixed_arg *m)
{
	struct rnd_state rs;
	unsigned int i;

	m->live = scaled(MIXED_LIVE);
	m->steps = scaled(MIXED_STEPS);
	m->size0 = vmalloc_array(m->live, sizeof(u32));
	m->slot = vmalloc_array(m->steps, sizeof(u32));
	m->size = vmalloc_array(m->steps, sizeof(u32));
	m->v = vcalloc(m->live, sizeof(void *));
	if (!m->size0 || !m->slot || !m->size || !m->v)
		return -ENOMEM;
	prandom_seed_state(&rs, 0x90514b);
	m->requested = 0;
	for (i = 0; i < m->live; i++) {
		m->size0[i] = mixed_size(&rs);
		m->requested += m->size0[i];
	}
	for (i = 0; i < m->steps; i++) {
		m->slot[i] = prandom_u32_state(&rs) % m->live;
		m->size[i] = mixed_size(&rs);
	}
	return 0;
}

static void mixed_fini(struct mixed_arg *m)
{
	vfree(m->size0);
	vfree(m->slot);
	vfree(m->size);
	vfree(m->v);
}

static __always_inline void *mixed_alloc(int a, size_t size)
{
	return a == SLUB ? kmalloc(size, GFP_KERNEL) : goslab_alloc(size, GFP_KERNEL);
}

static __always_inline void mixed_free(int a, void *p)
{
	if (a == SLUB)
		kfree(p);
	else
		goslab_free(p);
}

static __always_inline void mixed_build_loop(int a, struct mixed_arg *m)
{
	unsigned int i;

	for (i = 0; i < m->live; i++)
		m->v[i] = mixed_alloc(a, m->size0[i]);
}

static __always_inline void mixed_churn_loop(int a, struct mixed_arg *m)
{
	unsigned int i;
	void **slot;

	for (i = 0; i < m->steps; i++) {
		slot = &m->v[m->slot[i]];
		mixed_free(a, *slot);
		*slot = mixed_alloc(a, m->size[i]);
	}
}

static __always_inline void mixed_teardown_loop(int a, struct mixed_arg *m)
{
	unsigned int i;

	for (i = 0; i < m->live; i++)
		mixed_free(a, m->v[i]);
}

/* Out of line, one copy per allocator, so neither loop tests which. */
static noinline void mixed_build(int a, struct mixed_arg *m)
{
	if (a == SLUB)
		mixed_build_loop(SLUB, m);
	else
		mixed_build_loop(GOSLAB, m);
}

static noinline void mixed_churn(int a, struct mixed_arg *m)
{
	if (a == SLUB)
		mixed_churn_loop(SLUB, m);
	else
		mixed_churn_loop(GOSLAB, m);
}

static noinline void mixed_teardown(int a, struct mixed_arg *m)
{
	if (a == SLUB)
		mixed_teardown_loop(SLUB, m);
	else
		mixed_teardown_loop(GOSLAB, m);
}

static void mixed_run(int a, void *arg, u64 *t)
{
	struct mixed_arg *m = arg;
	u64 t0;

	t0 = now();
	mixed_build(a, m);
	t[1] = now() - t0;
	t0 = now();
	mixed_churn(a, m);
	t[0] = now() - t0;
	if (!all_there(m->v, m->live))
		m->failed = true;
	t0 = now();
	mixed_teardown(a, m);
	t[2] = now() - t0;
}

long bench_mixed(void)
{
	u64 best[NR_ALLOCS][NR_FIGS];
	struct mixed_arg m = {};
	long ret;
	int a;

	ret = mixed_init(&m);
	if (ret)
		goto out;
	pr_info("info mixed live=%u steps=%u requested=%llu\n",
		m.live, m.steps, m.requested);
	measure(mixed_run, &m, best);
	for (a = 0; a < NR_ALLOCS; a++)
		put("case=mixed phase=churn", alloc_name[a], best[a][0], m.steps);
	for (a = 0; a < NR_ALLOCS; a++)
		put("case=mixed phase=build", alloc_name[a], best[a][1], m.live);
	for (a = 0; a < NR_ALLOCS; a++)
		put("case=mixed phase=teardown", alloc_name[a], best[a][2], m.live);
	ret = m.failed ? -ENOMEM : 0;
out:
	mixed_fini(&m);
	return ret;
}

/*
 * memory: kernel pages held for the mixed live set.  SLUB: the change in
 * NR_SLAB_UNRECLAIMABLE_B (which counts large kmallocs too), read exactly,
 * per-CPU deltas included.  goslab: the change in pages_held, plus the
 * change in slab pages, which is goslab's own metadata (spans, chunks).
 * Both start trimmed (kmem_cache_shrink() of every kmalloc cache, or
 * goslab_trim()) and are read as built ("asis") and trimmed again.
 */
static long slab_pages(void)
{
	long pages = 0;
	int nid, cpu;

	for_each_online_node(nid) {
		struct pglist_data *pgdat = NODE_DATA(nid);

		pages += atomic_long_read(&pgdat->vm_stat[NR_SLAB_UNRECLAIMABLE_B]);
		for_each_possible_cpu(cpu)
			pages += per_cpu_ptr(pgdat->per_cpu_nodestats, cpu)->
				vm_node_stat_diff[NR_SLAB_UNRECLAIMABLE_B];
	}
	return pages;
}

static void slub_shrink(void)
{
	unsigned int i;

	for (i = 0; i <= KMALLOC_SHIFT_HIGH; i++)
		if (kmalloc_caches[KMALLOC_NORMAL][i])
			kmem_cache_shrink(kmalloc_caches[KMALLOC_NORMAL][i]);
}

static long goslab_pages(void)
{
	struct goslab_stats st;

	goslab_get_stats(&st);
	return st.pages_held;
}

static void mem_trim(int a)
{
	if (a == SLUB)
		slub_shrink();
	else
		goslab_trim();
}

static void mem_report(int a, const char *state, long heap0, long slab0)
{
	long slab = slab_pages() - slab0;
	long heap = a == GOSLAB ? goslab_pages() - heap0 : 0;

	pr_info("case=memory state=%s alloc=%s heap=%ld slab=%ld pages=%ld\n",
		state, alloc_name[a], heap, slab, heap + slab);
}

long bench_memory(void)
{
	struct mixed_arg m = {};
	long heap0, slab0, ret;
	int a;

	ret = mixed_init(&m);
	if (ret)
		goto out;
	pr_info("info memory live=%u requested=%llu page_size=%lu\n",
		m.live, m.requested, PAGE_SIZE);
	for (a = 0; a < NR_ALLOCS && !m.failed; a++) {
		mem_trim(a);
		heap0 = goslab_pages();
		slab0 = slab_pages();
		mixed_build(a, &m);
		if (!all_there(m.v, m.live))
			m.failed = true;
		mem_report(a, "asis", heap0, slab0);
		mem_trim(a);
		mem_report(a, "trimmed", heap0, slab0);
		mixed_teardown(a, &m);
		mem_trim(a);
	}
	ret = m.failed ? -ENOMEM : 0;
out:
	mixed_fini(&m);
	return ret;
}
