// SPDX-License-Identifier: GPL-2.0
/* goslab_bench: batch, many objects allocated, then freed. */
#include "bench.h"
#include "loops.h"

#include <linux/vmalloc.h>

#define BATCH_OBJS	10000U

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

long bench_batch(void)
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
