// SPDX-License-Identifier: GPL-2.0
/* goslab_bench: remote, allocated on CPU 0 and freed on CPU 1. */
#include "bench.h"
#include "loops.h"

#include <linux/cpumask.h>
#include <linux/smp.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#define REMOTE_OBJS	1000U
#define REMOTE_ROUNDS	10U

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

long bench_remote(void)
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
