// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_bench: alloc+free of one size (pair), the same at the page
 * heap's sizes (large), and memset() at pair's sizes, the floor under
 * init_on_alloc (memset).
 */
#include "bench.h"
#include "loops.h"

#include <linux/goslab.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#define PAIR_ITERS	100000UL

/* One copy per @op, so that neither loop tests it (loops.h has the other). */
static noinline void slub_pair_loop(size_t size, unsigned long n)
{
	slub_const(SLUB_PAIR, size, NULL, n);
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

long bench_pair(void)
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

long bench_memset(void)
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

/* large: beyond the small sizes, goslab's page heap and kmalloc's pages. */
long bench_large(void)
{
	pair_case("large", SZ_64K, short_run ? 4 : 5000);
	pair_case("large", SZ_1M, short_run ? 2 : 300);
	return 0;
}
