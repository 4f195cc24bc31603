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
 *
 * This file is the harness: the module's parameters, measure() and put(),
 * and the table of cases that goslab_bench_init() runs.  Each case is a
 * file of its own: verify.c, pair.c (pair, memset, large), batch.c,
 * mixed.c (mixed, memory), cache.c (cache, bulk), remote.c and gc.c.
 * bench.h is what they share with the harness, loops.h the allocation
 * loops that several of them run.
 */

#include "bench.h"

#include <linux/cpumask.h>
#include <linux/goslab.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/workqueue.h>

bool short_run;
module_param_named(short, short_run, bool, 0444);
MODULE_PARM_DESC(short, "A few iterations per case, for correctness only");

unsigned int reps = 5;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "Timed rounds per case after the warm-up (best counts)");

static char *cases = "all";
module_param(cases, charp, 0444);
MODULE_PARM_DESC(cases, "Comma-separated cases to run, or all");

char *unit = "insns";
module_param(unit, charp, 0444);
MODULE_PARM_DESC(unit, "Name of the figure: insns under icount, ns otherwise");

const char *const alloc_name[NR_ALLOCS] = { "goslab", "slub" };

/* Print one figure: @t over @n operations, to a tenth. */
void put(const char *row, const char *alloc, u64 t, u64 n)
{
	u64 v = div64_u64(t * 10 + n / 2, n);

	pr_info("%s alloc=%s %s=%llu.%llu\n", row, alloc, unit, v / 10, v % 10);
}

/* Warm up once, then @reps rounds, goslab and SLUB in turn. */
void measure(run_fn run, void *arg, u64 best[NR_ALLOCS][NR_FIGS])
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
#if GOSLAB_GC
	{ "gc", bench_gc },
#endif
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
