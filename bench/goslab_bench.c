// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_bench: goslab against SLUB, case by case, in the same boot.
 *
 * Every case runs for goslab and for SLUB (kmalloc or kmem_cache)
 * alternately: one warm-up round that is thrown away, then @reps rounds,
 * of which the cheapest counts.  Costs are ktime_get_ns() deltas divided
 * by the operations done.  Under QEMU's "-icount shift=0,sleep=off" the
 * guest clock advances one nanosecond per instruction executed, so they
 * are instruction counts; without icount they are (emulated) wall clock.
 * scripts/bench.sh boots it both ways and passes unit= to say which.
 *
 * Results go to the kernel log, one line each, as "key=value" fields:
 *
 *	goslab-bench: case=pair size=64 alloc=goslab insns=123.4
 *
 * The fields before alloc= name the row, the last one is the figure.
 * scripts/bench-table.py turns them into a table of goslab/SLUB ratios;
 * Documentation/bench.rst describes each case.
 *
 * Before any timing, the "verify" case checks what both allocators hand
 * out: distinct, writable, zeroed when init_on_alloc says so.  With
 * short=1 every case also runs a few iterations only: that is for make
 * check, on the debug kernel, where the figures mean nothing.  A failed
 * check fails the module's load; no figure ever does.
 */

#define pr_fmt(fmt) "goslab-bench: " fmt

#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/goslab.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

static bool short_run;
module_param_named(short, short_run, bool, 0444);
MODULE_PARM_DESC(short, "A few iterations per case, for correctness only");

static unsigned int reps = 5;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "Timed rounds per case after the warm-up (best counts)");

static char *cases = "all";
module_param(cases, charp, 0444);
MODULE_PARM_DESC(cases, "Comma-separated cases to run, or all");

static char *unit = "insns";
module_param(unit, charp, 0444);
MODULE_PARM_DESC(unit, "Name of the figure: insns under icount, ns otherwise");

enum { GOSLAB, SLUB, NR_ALLOCS };
static const char *const alloc_name[NR_ALLOCS] = { "goslab", "slub" };

/* Up to this many figures per run; the first one picks the best run. */
#define NR_FIGS	3

/* One run of a case for allocator @a; fills @t with ktime deltas. */
typedef void (*run_fn)(int a, void *arg, u64 *t);

#define PAIR_ITERS	100000UL
#define BATCH_OBJS	10000U
#define MIXED_LIVE	100000U
#define MIXED_STEPS	500000U		/* one free and one alloc each */
#define CACHE_ITERS	100000UL
#define REMOTE_OBJS	1000U
#define REMOTE_ROUNDS	10U

static unsigned long scaled(unsigned long n)
{
	return short_run ? max(n / 1000, 10UL) : n;
}

static u64 now(void)
{
	return ktime_get_ns();
}

/* Print one figure: @t over @n operations, to a tenth. */
static void put(const char *row, const char *alloc, u64 t, u64 n)
{
	u64 v = div64_u64(t * 10 + n / 2, n);

	pr_info("%s alloc=%s %s=%llu.%llu\n", row, alloc, unit, v / 10, v % 10);
}

/* Warm up once, then @reps rounds, goslab and SLUB in turn. */
static void measure(run_fn run, void *arg, u64 best[NR_ALLOCS][NR_FIGS])
{
	u64 t[NR_FIGS];
	unsigned int r;
	int a;

	memset(best, 0, sizeof(u64) * NR_ALLOCS * NR_FIGS);
	for (r = 0; r <= reps; r++) {
		for (a = 0; a < NR_ALLOCS; a++) {
			memset(t, 0, sizeof(t));
			run(a, arg, t);
			if (r && (!best[a][0] || t[0] < best[a][0]))
				memcpy(best[a], t, sizeof(t));
			cond_resched();
		}
	}
}

/*
 * kmalloc() picks its cache at compile time when the size is a constant,
 * as it is for most callers: give it a constant for each size the cases
 * use.  goslab_alloc() is out of line and takes the size at run time.
 */
enum slub_op { SLUB_PAIR, SLUB_FILL };

static __always_inline void slub_loop(enum slub_op op, size_t size, void **v,
				      unsigned long n)
{
	unsigned long i;
	void *p;

	for (i = 0; i < n; i++) {
		p = kmalloc(size, GFP_KERNEL);
		OPTIMIZER_HIDE_VAR(p);
		if (op == SLUB_PAIR)
			kfree(p);
		else
			v[i] = p;
	}
}

static __always_inline void slub_const(enum slub_op op, size_t size, void **v,
				       unsigned long n)
{
	switch (size) {
	case 8:
		slub_loop(op, 8, v, n);
		break;
	case 16:
		slub_loop(op, 16, v, n);
		break;
	case 32:
		slub_loop(op, 32, v, n);
		break;
	case 64:
		slub_loop(op, 64, v, n);
		break;
	case 96:
		slub_loop(op, 96, v, n);
		break;
	case 128:
		slub_loop(op, 128, v, n);
		break;
	case 192:
		slub_loop(op, 192, v, n);
		break;
	case 256:
		slub_loop(op, 256, v, n);
		break;
	case 512:
		slub_loop(op, 512, v, n);
		break;
	case 1024:
		slub_loop(op, 1024, v, n);
		break;
	case 2048:
		slub_loop(op, 2048, v, n);
		break;
	case 4096:
		slub_loop(op, 4096, v, n);
		break;
	case 8192:
		slub_loop(op, 8192, v, n);
		break;
	case 16384:
		slub_loop(op, 16384, v, n);
		break;
	case 32768:
		slub_loop(op, 32768, v, n);
		break;
	case 65536:
		slub_loop(op, 65536, v, n);
		break;
	case 1048576:
		slub_loop(op, 1048576, v, n);
		break;
	default:
		slub_loop(op, size, v, n);
		break;
	}
}

/* One copy per @op, so that neither loop tests it. */
static noinline void slub_pair_loop(size_t size, unsigned long n)
{
	slub_const(SLUB_PAIR, size, NULL, n);
}

static noinline void slub_fill_loop(size_t size, void **v, unsigned long n)
{
	slub_const(SLUB_FILL, size, v, n);
}

static noinline void goslab_pair_loop(size_t size, unsigned long n)
{
	void *p;

	while (n--) {
		p = goslab_alloc(size, GFP_KERNEL);
		OPTIMIZER_HIDE_VAR(p);
		goslab_free(p);
	}
}

static void fill(int a, size_t size, void **v, unsigned long n)
{
	unsigned long i;

	if (a == SLUB) {
		slub_fill_loop(size, v, n);
		return;
	}
	for (i = 0; i < n; i++)
		v[i] = goslab_alloc(size, GFP_KERNEL);
}

static void free_one(int a, void *p)
{
	if (a == SLUB)
		kfree(p);
	else
		goslab_free(p);
}

static bool all_there(void **v, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (!v[i])
			return false;
	return true;
}

/*
 * verify: what both allocators hand out, every object at once: not NULL,
 * zeroed if init_on_alloc, not overlapping (each keeps its own pattern),
 * goslab_usable_size() at least the size asked for.
 */
static const size_t verify_sizes[] = {
	1, 7, 8, 15, 16, 17, 24, 64, 100, 256, 1000, 4096, 5000, 8192,
	16384, 32768, 32769, 65536, 1048576,
};

static int verify_one(int a, size_t size, void **v, unsigned int n)
{
	bool zero = want_init_on_alloc(GFP_KERNEL);
	unsigned int i;
	int ret = 0;

	fill(a, size, v, n);
	for (i = 0; i < n && !ret; i++) {
		if (!v[i]) {
			ret = -ENOMEM;
		} else if (zero && memchr_inv(v[i], 0, size)) {
			pr_err("%s: %zu-byte object not zeroed\n", alloc_name[a], size);
			ret = -EINVAL;
		} else if (a == GOSLAB && goslab_usable_size(v[i]) < size) {
			pr_err("goslab: usable size %zu < %zu\n",
			       goslab_usable_size(v[i]), size);
			ret = -EINVAL;
		} else {
			memset(v[i], i & 0xff, size);
		}
	}
	for (i = 0; i < n && !ret; i++) {
		if (memchr_inv(v[i], i & 0xff, size)) {
			pr_err("%s: %zu-byte object %u overwritten\n",
			       alloc_name[a], size, i);
			ret = -EINVAL;
		}
	}
	for (i = 0; i < n; i++)
		free_one(a, v[i]);
	return ret;
}

static int verify_cache(void)
{
	struct goslab_cache *gc = goslab_cache_create("goslab_bench_v", 72, 0, NULL);
	void *v[64], *p;
	unsigned int i;
	int ret = 0;

	if (!gc)
		return -ENOMEM;
	p = goslab_cache_alloc(gc, GFP_KERNEL);
	if (goslab_cache_alloc_bulk(gc, GFP_KERNEL, ARRAY_SIZE(v), v) !=
	    ARRAY_SIZE(v) || !p) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(v); i++)
		memset(v[i], i, 72);
	memset(p, 0xff, 72);
	for (i = 0; i < ARRAY_SIZE(v) && !ret; i++)
		if (memchr_inv(v[i], i, 72))
			ret = -EINVAL;
	goslab_cache_free_bulk(gc, ARRAY_SIZE(v), v);
	if (ret)
		pr_err("goslab_cache: bulk objects overlap\n");
out:
	goslab_cache_free(gc, p);
	goslab_cache_destroy(gc);
	return ret;
}

static long bench_verify(void)
{
	unsigned int i, n;
	void **v;
	int a, ret = 0;

	v = vcalloc(64, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(verify_sizes) && !ret; i++) {
		n = verify_sizes[i] > SZ_32K ? 4 : (short_run ? 16 : 64);
		for (a = 0; a < NR_ALLOCS && !ret; a++)
			ret = verify_one(a, verify_sizes[i], v, n);
	}
	vfree(v);
	if (!ret)
		ret = verify_cache();
	pr_info("case=verify result=%s\n", ret ? "fail" : "ok");
	return ret;
}

/* pair: kmalloc + kfree of one size, over and over. */
static const size_t pair_sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
	16384, 32768,
};

struct pair_arg {
	size_t size;
	unsigned long n;
};

static void pair_run(int a, void *arg, u64 *t)
{
	struct pair_arg *pa = arg;
	u64 t0 = now();

	if (a == SLUB)
		slub_pair_loop(pa->size, pa->n);
	else
		goslab_pair_loop(pa->size, pa->n);
	t[0] = now() - t0;
}

static void pair_case(const char *name, size_t size, unsigned long n)
{
	struct pair_arg pa = { .size = size, .n = n };
	u64 best[NR_ALLOCS][NR_FIGS];
	char row[48];
	int a;

	measure(pair_run, &pa, best);
	snprintf(row, sizeof(row), "case=%s size=%zu", name, size);
	for (a = 0; a < NR_ALLOCS; a++)
		put(row, alloc_name[a], best[a][0], n);
}

static long bench_pair(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pair_sizes); i++)
		pair_case("pair", pair_sizes[i], scaled(PAIR_ITERS));
	return 0;
}

/* memset: the floor under init_on_alloc, zeroing alone. */
static noinline void memset_loop(void *buf, size_t size, unsigned long n)
{
	while (n--) {
		/* A run-time size, as the allocators have: the real memset(). */
		OPTIMIZER_HIDE_VAR(size);
		memset(buf, 0, size);
	}
}

static long bench_memset(void)
{
	unsigned long n = scaled(PAIR_ITERS / 10);
	u64 t, best;
	unsigned int i, r;
	char row[48];
	void *buf;

	buf = kmalloc(SZ_32K, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(pair_sizes); i++) {
		best = U64_MAX;
		for (r = 0; r <= reps; r++) {
			t = now();
			memset_loop(buf, pair_sizes[i], n);
			t = now() - t;
			if (r)
				best = min(best, t);
		}
		snprintf(row, sizeof(row), "case=memset size=%zu", pair_sizes[i]);
		put(row, "memset", best, n);
		cond_resched();
	}
	kfree(buf);
	return 0;
}

/* batch: allocate BATCH_OBJS, then free them, newest (LIFO) or oldest first. */
static const size_t batch_sizes[] = { 64, 256, 1024, 4096 };

struct batch_arg {
	size_t size;
	bool fifo;
	void **v;
	unsigned int n;
	bool failed;
};

static void batch_run(int a, void *arg, u64 *t)
{
	struct batch_arg *ba = arg;
	unsigned int i, n = ba->n;
	u64 t0, t1, t2;

	t0 = now();
	fill(a, ba->size, ba->v, n);
	t1 = now();
	if (ba->fifo)
		for (i = 0; i < n; i++)
			free_one(a, ba->v[i]);
	else
		for (i = n; i--;)
			free_one(a, ba->v[i]);
	t2 = now();
	/* Freed, but a NULL among them is still a failed allocation. */
	if (!all_there(ba->v, n))
		ba->failed = true;
	t[0] = t2 - t0;
	t[1] = t1 - t0;
	t[2] = t2 - t1;
}

static long bench_batch(void)
{
	static const char *const what[NR_FIGS] = { "pair", "alloc", "free" };
	struct batch_arg ba = { .n = scaled(BATCH_OBJS) };
	u64 best[NR_ALLOCS][NR_FIGS];
	unsigned int i, f;
	char row[64];
	int a;

	ba.v = vcalloc(ba.n, sizeof(*ba.v));
	if (!ba.v)
		return -ENOMEM;
	for (i = 0; i < 2 * ARRAY_SIZE(batch_sizes); i++) {
		ba.size = batch_sizes[i / 2];
		ba.fifo = i % 2;
		measure(batch_run, &ba, best);
		for (f = 0; f < NR_FIGS; f++) {
			snprintf(row, sizeof(row), "case=batch size=%zu order=%s op=%s",
				 ba.size, ba.fifo ? "fifo" : "lifo", what[f]);
			for (a = 0; a < NR_ALLOCS; a++)
				put(row, alloc_name[a], best[a][f], ba.n);
		}
	}
	vfree(ba.v);
	return ba.failed ? -ENOMEM : 0;
}

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

static long bench_mixed(void)
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

static long bench_memory(void)
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

/* cache and bulk: goslab_cache against a kmem_cache of the same size. */
static const unsigned int cache_sizes[] = { 64, 256 };

struct cache_arg {
	struct goslab_cache *gc;
	struct kmem_cache *kc;
	unsigned int bulk;	/* 0: one at a time */
	unsigned long n;	/* objects */
	void **v;
	bool failed;
};

static noinline void goslab_cache_loop(struct cache_arg *ca)
{
	unsigned long i;
	void *p;

	for (i = 0; i < ca->n; i++) {
		p = goslab_cache_alloc(ca->gc, GFP_KERNEL);
		OPTIMIZER_HIDE_VAR(p);
		goslab_cache_free(ca->gc, p);
	}
}

static noinline void kmem_cache_loop(struct cache_arg *ca)
{
	unsigned long i;
	void *p;

	for (i = 0; i < ca->n; i++) {
		p = kmem_cache_alloc(ca->kc, GFP_KERNEL);
		OPTIMIZER_HIDE_VAR(p);
		kmem_cache_free(ca->kc, p);
	}
}

static noinline void goslab_bulk_loop(struct cache_arg *ca)
{
	unsigned long i;

	for (i = 0; i < ca->n; i += ca->bulk) {
		if (!goslab_cache_alloc_bulk(ca->gc, GFP_KERNEL, ca->bulk, ca->v)) {
			ca->failed = true;
			continue;
		}
		goslab_cache_free_bulk(ca->gc, ca->bulk, ca->v);
	}
}

static noinline void kmem_bulk_loop(struct cache_arg *ca)
{
	unsigned long i;

	for (i = 0; i < ca->n; i += ca->bulk) {
		if (!kmem_cache_alloc_bulk(ca->kc, GFP_KERNEL, ca->bulk, ca->v)) {
			ca->failed = true;
			continue;
		}
		kmem_cache_free_bulk(ca->kc, ca->bulk, ca->v);
	}
}

static void cache_run(int a, void *arg, u64 *t)
{
	struct cache_arg *ca = arg;
	u64 t0 = now();

	if (!ca->bulk && a == SLUB)
		kmem_cache_loop(ca);
	else if (!ca->bulk)
		goslab_cache_loop(ca);
	else if (a == SLUB)
		kmem_bulk_loop(ca);
	else
		goslab_bulk_loop(ca);
	t[0] = now() - t0;
}

static long bench_cache(void)
{
	static const unsigned int bulks[] = { 0, 16, 64 };
	struct cache_arg ca = {};
	u64 best[NR_ALLOCS][NR_FIGS];
	unsigned int i, j;
	char row[64];
	long ret = 0;
	void *v[64];
	int a;

	ca.v = v;
	for (i = 0; i < ARRAY_SIZE(cache_sizes) && !ret; i++) {
		ca.gc = goslab_cache_create("goslab_bench", cache_sizes[i], 0, NULL);
		ca.kc = kmem_cache_create("goslab_bench", cache_sizes[i], 0, 0, NULL);
		if (!ca.gc || !ca.kc) {
			ret = -ENOMEM;
		} else {
			for (j = 0; j < ARRAY_SIZE(bulks); j++) {
				ca.bulk = bulks[j];
				ca.n = round_up(scaled(CACHE_ITERS), 64);
				measure(cache_run, &ca, best);
				if (ca.bulk)
					snprintf(row, sizeof(row), "case=bulk size=%u bulk=%u",
						 cache_sizes[i], ca.bulk);
				else
					snprintf(row, sizeof(row), "case=cache size=%u",
						 cache_sizes[i]);
				for (a = 0; a < NR_ALLOCS; a++)
					put(row, alloc_name[a], best[a][0], ca.n);
			}
		}
		goslab_cache_destroy(ca.gc);
		kmem_cache_destroy(ca.kc);
	}
	return ret ? ret : ca.failed ? -ENOMEM : 0;
}

/*
 * remote: CPU 0 allocates REMOTE_OBJS objects, CPU 1 frees them; a run is
 * REMOTE_ROUNDS such rounds.  Objects never go back to the CPU that
 * allocated them, which is the producer-consumer pattern.
 */
static const size_t remote_sizes[] = { 64, 256 };

struct remote_arg {
	int a;
	size_t size;
	void **v;
	unsigned int n;
	u64 t;
	bool failed;
};

static long remote_free_fn(void *arg)
{
	struct remote_arg *ra = arg;
	unsigned int i;
	u64 t0 = now();

	for (i = 0; i < ra->n; i++)
		free_one(ra->a, ra->v[i]);
	ra->t = now() - t0;
	return 0;
}

static void remote_run(int a, void *arg, u64 *t)
{
	struct remote_arg *ra = arg;
	unsigned int r;
	u64 t0;

	ra->a = a;
	for (r = 0; r < REMOTE_ROUNDS; r++) {
		t0 = now();
		fill(a, ra->size, ra->v, ra->n);
		t[1] += now() - t0;
		if (!all_there(ra->v, ra->n))
			ra->failed = true;
		work_on_cpu(1, remote_free_fn, ra);
		t[2] += ra->t;
	}
	t[0] = t[1] + t[2];
}

static long bench_remote(void)
{
	static const char *const what[NR_FIGS] = { "pair", "alloc", "free" };
	struct remote_arg ra = { .n = scaled(REMOTE_OBJS) };
	u64 best[NR_ALLOCS][NR_FIGS];
	unsigned int i, f;
	char row[64];
	int a;

	if (!cpu_online(1) || raw_smp_processor_id() != 0) {
		pr_info("case=remote skipped: needs CPUs 0 and 1\n");
		return 0;
	}
	ra.v = vcalloc(ra.n, sizeof(*ra.v));
	if (!ra.v)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(remote_sizes); i++) {
		ra.size = remote_sizes[i];
		measure(remote_run, &ra, best);
		for (f = 0; f < NR_FIGS; f++) {
			snprintf(row, sizeof(row), "case=remote size=%zu op=%s",
				 ra.size, what[f]);
			for (a = 0; a < NR_ALLOCS; a++)
				put(row, alloc_name[a], best[a][f],
				    (u64)ra.n * REMOTE_ROUNDS);
		}
	}
	vfree(ra.v);
	return ra.failed ? -ENOMEM : 0;
}

/* large: beyond the small sizes, goslab's page heap and kmalloc's pages. */
static long bench_large(void)
{
	pair_case("large", SZ_64K, short_run ? 4 : 5000);
	pair_case("large", SZ_1M, short_run ? 2 : 300);
	return 0;
}

/*
 * gc: goslab's garbage collector on a GC_OBJS-object graph, in each
 * gc_mode.  The graph is a binary tree through fields 0 and 1 (in a
 * shuffled order, so that neighbours in the tree are not neighbours in
 * memory) with one or two random extra edges per object in fields 2 and
 * 3, under one root.  The mode is goslab's gc_mode parameter, read when a
 * cycle starts: the case writes it through sysfs before each mode's
 * cycles, and gc_checkmark with it (off for figures, on with short=1),
 * and puts both back at the end.
 *
 * Per mode, on a fresh heap (built with automatic cycles off, then at
 * GOGC 100): GC_MUT_CYCLES cycles with a mutator thread on CPU 1 walking
 * the graph and rewiring extra edges in sections (one operation in 16
 * also allocates), for the pauses; then a warm-up and @reps cycles
 * without it, of which the cheapest per object scanned gives the mark
 * cost.  The tree edges are
 * never rewritten: every original object stays reachable, which the
 * release callback and a walk of the tree check.
 */
#define GC_OBJS		100000U
#define GC_MUT_CYCLES	5U
#define GC_TAG		0x60c0ffeeU

struct gc_node {
	struct gc_node *p[4];
	u32 tag;
	u32 id;
	u64 payload[3];
};

static const unsigned int gc_node_ptrs[] = {
	offsetof(struct gc_node, p[0]), offsetof(struct gc_node, p[1]),
	offsetof(struct gc_node, p[2]), offsetof(struct gc_node, p[3]),
};

static const char *const gc_modes[] = { "stw", "incremental", "concurrent" };

struct gc_arg {
	struct goslab_gc_heap *h;
	struct goslab_gc_type *t;
	struct gc_node *root;		/* a root slot */
	unsigned int n;
	struct rnd_state rs;		/* the mutator's */
	u64 mut_max;			/* longest section of the mutator */
	u64 enter_max;			/* of which in goslab_gc_enter() */
	u64 body_max;			/* after goslab_gc_enter() */
	u64 alloc_max;			/* in goslab_gc_alloc() */
	u64 oncpu_max;			/* of sections never switched out */
	unsigned long mut_ops;
	bool failed;
};

static atomic_t gc_bad_release;

static void gc_release(void *obj)
{
	struct gc_node *x = obj;

	/* Objects of the original graph stay reachable: never released. */
	if (x->tag == GC_TAG)
		atomic_inc(&gc_bad_release);
}

/* Read or write one of goslab's parameters, as root would with sysfs. */
static int gc_param(const char *name, char *get, size_t len, const char *set)
{
	char path[64];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/module/goslab/parameters/%s", name);
	f = filp_open(path, set ? O_WRONLY : O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	if (set) {
		n = kernel_write(f, set, strlen(set), &pos);
	} else {
		n = kernel_read(f, get, len - 1, &pos);
		if (n >= 0)
			get[n] = '\0';
		if (n > 0 && get[n - 1] == '\n')
			get[n - 1] = '\0';
	}
	filp_close(f, NULL);
	return n < 0 ? n : 0;
}

/* Build the graph; the nodes are held in @v inside one section. */
static int gc_build(struct gc_arg *g)
{
	struct rnd_state rs;
	struct gc_node **v, *x;
	unsigned int i, j;
	int tok, ret = 0;

	v = vcalloc(g->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	prandom_seed_state(&rs, 6);
	tok = goslab_gc_enter(g->h);
	for (i = 0; i < g->n; i++) {
		v[i] = goslab_gc_alloc(g->t, GFP_KERNEL);
		if (!v[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = g->n - 1; i > 0; i--) {
		j = prandom_u32_state(&rs) % (i + 1);
		swap(v[i], v[j]);
	}
	for (i = 0; i < g->n; i++) {
		x = v[i];
		x->tag = GC_TAG;
		x->id = i;
		if (2 * i + 1 < g->n)
			goslab_gc_store((void **)&x->p[0], v[2 * i + 1]);
		if (2 * i + 2 < g->n)
			goslab_gc_store((void **)&x->p[1], v[2 * i + 2]);
		goslab_gc_store((void **)&x->p[2],
				v[prandom_u32_state(&rs) % g->n]);
		if (prandom_u32_state(&rs) & 1)
			goslab_gc_store((void **)&x->p[3],
					v[prandom_u32_state(&rs) % g->n]);
	}
	goslab_gc_store((void **)&g->root, v[0]);
out:
	goslab_gc_exit(g->h, tok);
	vfree(v);
	return ret;
}

/* Every object of the tree is there, in order (breadth-first ids). */
static bool gc_check(struct gc_arg *g)
{
	struct gc_node **q, *x;
	unsigned int head = 0, tail = 0, k;
	bool ok = true;
	int tok;

	q = vcalloc(g->n, sizeof(*q));
	if (!q)
		return false;
	tok = goslab_gc_enter(g->h);
	x = goslab_gc_load((void **)&g->root);
	if (x)
		q[tail++] = x;
	while (head < tail && ok) {
		x = q[head];
		if (x->tag != GC_TAG || x->id != head) {
			ok = false;
			break;
		}
		head++;
		for (k = 0; k < 2; k++) {
			struct gc_node *c = goslab_gc_load((void **)&x->p[k]);

			if (c && tail < g->n)
				q[tail++] = c;
		}
	}
	goslab_gc_exit(g->h, tok);
	vfree(q);
	return ok && head == g->n;
}

/* A random walk from the root; inside a section. */
static struct gc_node *gc_walk(struct gc_arg *g)
{
	struct gc_node *x = goslab_gc_load((void **)&g->root), *y;
	unsigned int d = prandom_u32_state(&g->rs) % 20;

	while (d--) {
		y = goslab_gc_load((void **)&x->p[prandom_u32_state(&g->rs) & 3]);
		if (!y)
			break;
		x = y;
	}
	return x;
}

static int gc_mutator(void *arg)
{
	struct gc_arg *g = arg;
	struct gc_node *a, *b, *x;
	unsigned long sw;
	u64 t0, t1, t2, ta;
	int tok;

	while (!kthread_should_stop()) {
		sw = current->nvcsw + current->nivcsw;
		t0 = now();
		tok = goslab_gc_enter(g->h);
		t1 = now();
		a = gc_walk(g);
		b = gc_walk(g);
		if (!(prandom_u32_state(&g->rs) & 15)) {
			ta = now();
			x = goslab_gc_alloc(g->t, GFP_KERNEL);
			g->alloc_max = max(g->alloc_max, now() - ta);
			if (x) {
				goslab_gc_store((void **)&x->p[0], b);
				b = x;
			}
		}
		goslab_gc_store((void **)&a->p[2 + (prandom_u32_state(&g->rs) & 1)],
				b);
		goslab_gc_exit(g->h, tok);
		t2 = now();
		g->enter_max = max(g->enter_max, t1 - t0);
		g->body_max = max(g->body_max, t2 - t1);
		g->mut_max = max(g->mut_max, t2 - t0);
		if (sw == current->nvcsw + current->nivcsw)
			g->oncpu_max = max(g->oncpu_max, t2 - t0);
		WRITE_ONCE(g->mut_ops, g->mut_ops + 1);
		cond_resched();
	}
	return 0;
}

/* Let the mutator do a few operations before the next cycle starts. */
static void gc_mutator_wait(struct gc_arg *g)
{
	unsigned long ops = READ_ONCE(g->mut_ops);
	unsigned int i;

	for (i = 0; i < 1000 && READ_ONCE(g->mut_ops) < ops + 8; i++)
		usleep_range(50, 100);
}

static long gc_mode_run(const char *mode, bool checkmark)
{
	struct goslab_gc_stats s0, s1;
	struct task_struct *mut;
	struct gc_arg g = { .n = scaled(GC_OBJS) };
	u64 best_ns = 0, best_obj = 0, v;
	bool rooted = false;
	unsigned int r;
	long ret;

	ret = gc_param("gc_mode", NULL, 0, mode);
	if (ret)
		return ret;
	g.h = goslab_gc_heap_create("goslab_bench");
	if (!g.h)
		return -ENOMEM;
	goslab_gc_set_percent(g.h, -1);
	g.t = goslab_gc_type_create(g.h, "gc_node", sizeof(struct gc_node),
				    gc_node_ptrs, ARRAY_SIZE(gc_node_ptrs),
				    gc_release);
	ret = g.t ? goslab_gc_root_add(g.h, (void **)&g.root) : -ENOMEM;
	if (ret)
		goto out;
	rooted = true;
	ret = gc_build(&g);
	if (ret)
		goto out;
	atomic_set(&gc_bad_release, 0);
	/* GOGC as by default, so that the mutator's allocations owe assists. */
	goslab_gc_set_percent(g.h, 100);

	/* Pauses: cycles with the mutator running. */
	prandom_seed_state(&g.rs, 7);
	mut = kthread_create(gc_mutator, &g, "goslab_bench_gc");
	if (IS_ERR(mut)) {
		ret = PTR_ERR(mut);
		goto out;
	}
	if (cpu_online(1))
		kthread_bind(mut, 1);
	wake_up_process(mut);
	for (r = 0; r < (short_run ? 2 : GC_MUT_CYCLES); r++) {
		gc_mutator_wait(&g);
		goslab_gc_collect(g.h);
	}
	kthread_stop(mut);
	goslab_gc_get_stats(g.h, &s1);
	pr_info("case=gc mode=%s what=pause cycles=%llu pause_max=%llu assist_max=%llu assists=%llu mutator_max=%llu enter_max=%llu body_max=%llu alloc_max=%llu oncpu_max=%llu mutator_ops=%lu\n",
		mode, s1.cycles, s1.pause_max_ns, s1.assist_max_ns,
		s1.assists, g.mut_max, g.enter_max, g.body_max, g.alloc_max,
		g.oncpu_max, g.mut_ops);

	/* Mark cost: quiescent cycles, the cheapest per object scanned. */
	for (r = 0; r <= reps; r++) {
		goslab_gc_get_stats(g.h, &s0);
		goslab_gc_collect(g.h);
		goslab_gc_get_stats(g.h, &s1);
		v = s1.objects_scanned - s0.objects_scanned;
		if (r && v && (!best_obj ||
			       div64_u64((s1.mark_ns - s0.mark_ns) << 10, v) <
			       div64_u64(best_ns << 10, best_obj))) {
			best_ns = s1.mark_ns - s0.mark_ns;
			best_obj = v;
		}
		cond_resched();
	}
	if (best_obj) {
		v = div64_u64(best_ns * 10 + best_obj / 2, best_obj);
		pr_info("case=gc mode=%s what=mark objects=%u size=%zu scanned=%llu mark=%llu %s=%llu.%llu\n",
			mode, g.n, sizeof(struct gc_node), best_obj, best_ns,
			unit, v / 10, v % 10);
	}
	if (!gc_check(&g) || atomic_read(&gc_bad_release) ||
	    s1.bad_pointers || s1.checkmark_missed ||
	    (checkmark && !s1.checkmarks) || best_obj < g.n) {
		pr_err("case=gc mode=%s: graph check failed (released %d, bad pointers %llu, checkmarks %llu missed %llu, scanned %llu)\n",
		       mode, atomic_read(&gc_bad_release), s1.bad_pointers,
		       s1.checkmarks, s1.checkmark_missed, best_obj);
		ret = -EINVAL;
	}
out:
	if (rooted)
		goslab_gc_root_del(g.h, (void **)&g.root);
	goslab_gc_heap_destroy(g.h);
	return ret;
}

static long bench_gc(void)
{
	char mode[32], check[8];
	unsigned int i;
	long ret;

	ret = gc_param("gc_mode", mode, sizeof(mode), NULL);
	if (!ret)
		ret = gc_param("gc_checkmark", check, sizeof(check), NULL);
	if (!ret)
		ret = gc_param("gc_checkmark", NULL, 0, short_run ? "1" : "0");
	if (ret) {
		pr_err("case=gc: cannot use goslab's parameters in sysfs: %ld\n",
		       ret);
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(gc_modes) && !ret; i++)
		ret = gc_mode_run(gc_modes[i], short_run);
	gc_param("gc_mode", NULL, 0, mode);
	gc_param("gc_checkmark", NULL, 0, check);
	return ret;
}

static const struct {
	const char *name;
	long (*fn)(void);
} bench_cases[] = {
	{ "verify", bench_verify },
	{ "memset", bench_memset },
	{ "pair", bench_pair },
	{ "batch", bench_batch },
	{ "mixed", bench_mixed },
	{ "memory", bench_memory },
	{ "cache", bench_cache },
	{ "remote", bench_remote },
	{ "large", bench_large },
	{ "gc", bench_gc },
};

static bool wanted(const char *name)
{
	size_t len = strlen(name);
	const char *p = cases;

	if (!strcmp(cases, "all") || !strcmp(name, "verify"))
		return true;
	while ((p = strstr(p, name))) {
		if ((p == cases || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
		p += len;
	}
	return false;
}

static long run_case(void *arg)
{
	return bench_cases[(unsigned long)arg].fn();
}

static int __init goslab_bench_init(void)
{
	unsigned int i;
	long ret = 0;

	if (!reps)
		reps = 1;
	if (short_run)
		reps = 1;
	pr_info("info init_on_alloc=%d init_on_free=%d cpus=%u short=%d reps=%u unit=%s debug=%d\n",
		want_init_on_alloc(GFP_KERNEL), want_init_on_free(),
		num_online_cpus(), short_run, reps, unit,
		goslab_debug_enabled());
	/* All on CPU 0, a kworker there, so that nothing migrates mid-run. */
	for (i = 0; i < ARRAY_SIZE(bench_cases) && !ret; i++) {
		if (!wanted(bench_cases[i].name))
			continue;
		ret = work_on_cpu(0, run_case, (void *)(unsigned long)i);
		if (ret)
			pr_err("case %s failed: %ld\n", bench_cases[i].name, ret);
	}
	pr_info("done rc=%ld\n", ret);
	return ret;
}

static void __exit goslab_bench_exit(void)
{
}

module_init(goslab_bench_init);
module_exit(goslab_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("goslab against SLUB: instruction counts and memory");
