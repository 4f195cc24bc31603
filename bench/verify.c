// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_bench: verify, the only case that runs on every load, checks
 * what both allocators hand out before anything is timed.
 */
#include "bench.h"
#include "loops.h"

#include <linux/goslab.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

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

long bench_verify(void)
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
