// SPDX-License-Identifier: GPL-2.0
/* goslab_bench: cache and bulk, goslab_cache against kmem_cache. */
#include "bench.h"

#include <linux/goslab.h>
#include <linux/slab.h>

#define CACHE_ITERS	100000UL

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

long bench_cache(void)
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
