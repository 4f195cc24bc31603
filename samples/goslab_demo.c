// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_demo: a small client of the goslab allocator, loaded by
 * `make demo`.
 *
 * On load it allocates objects of tiny, small and large sizes, creates a
 * cache with a constructor and allocates from it in bulk, frees about half
 * of everything, keeps the rest live and prints a summary together with
 * goslab's counters.  On unload it frees what it kept, destroys the cache
 * and trims goslab's page heap.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/goslab.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>

/* Tiny (< 16 bytes), small (16 bytes to 32 KiB) and large sizes. */
static const size_t demo_sizes[] = {
	1, 8, 12, 16, 48, 100, 1024, 4000, 32768, 40000, 256 * 1024,
};

#define DEMO_PER_SIZE	16
#define DEMO_NR_BULK	64
#define DEMO_MAGIC	0x60514bU

struct demo_obj {
	u32 magic;
	u32 id;
	u8 payload[56];
};

static void *demo_objs[ARRAY_SIZE(demo_sizes)][DEMO_PER_SIZE];
static void *demo_bulk[DEMO_NR_BULK];
static struct goslab_cache *demo_cache;

static void demo_ctor(void *p)
{
	struct demo_obj *obj = p;

	obj->magic = DEMO_MAGIC;
	obj->id = 0;
}

static void demo_print_stats(const char *when)
{
	struct goslab_stats st;

	goslab_get_stats(&st);
	pr_info("%s: %llu objects (%llu bytes) in use, %llu pages held, %llu in use, %llu released\n",
		when, st.objects_in_use, st.bytes_in_use, st.pages_held,
		st.pages_in_use, st.pages_released);
}

/* Free every object of the size table; entries already freed are NULL. */
static void demo_free_sized(void)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(demo_sizes); i++) {
		for (j = 0; j < DEMO_PER_SIZE; j++) {
			if (demo_objs[i][j])
				goslab_free(demo_objs[i][j]);
			demo_objs[i][j] = NULL;
		}
	}
}

static int demo_alloc_sized(size_t *kept, size_t *usable)
{
	unsigned int i, j;
	size_t size;

	for (i = 0; i < ARRAY_SIZE(demo_sizes); i++) {
		size = demo_sizes[i];
		for (j = 0; j < DEMO_PER_SIZE; j++) {
			demo_objs[i][j] = goslab_alloc(size, GFP_KERNEL);
			if (!demo_objs[i][j])
				return -ENOMEM;
			if (goslab_usable_size(demo_objs[i][j]) < size) {
				pr_err("%zu-byte object has only %zu usable bytes\n",
				       size, goslab_usable_size(demo_objs[i][j]));
				return -EINVAL;
			}
			memset(demo_objs[i][j], 0xa5, size);
		}
	}

	/* Free the even-numbered objects of each size, keep the odd ones. */
	*kept = 0;
	*usable = 0;
	for (i = 0; i < ARRAY_SIZE(demo_sizes); i++) {
		for (j = 0; j < DEMO_PER_SIZE; j++) {
			if (j % 2 == 0) {
				goslab_free(demo_objs[i][j]);
				demo_objs[i][j] = NULL;
			} else {
				*kept += demo_sizes[i];
				*usable += goslab_usable_size(demo_objs[i][j]);
			}
		}
	}
	return 0;
}

static int demo_use_cache(void)
{
	struct demo_obj *obj;
	unsigned int i;
	int n;

	demo_cache = goslab_cache_create("goslab_demo", sizeof(struct demo_obj),
					 0, demo_ctor);
	if (!demo_cache)
		return -ENOMEM;

	obj = goslab_cache_alloc(demo_cache, GFP_KERNEL);
	if (!obj)
		return -ENOMEM;
	if (obj->magic != DEMO_MAGIC) {
		pr_err("cache object not constructed\n");
		goslab_cache_free(demo_cache, obj);
		return -EINVAL;
	}
	goslab_cache_free(demo_cache, obj);

	/* Like kmem_cache_alloc_bulk(): all @nr objects, or none and 0. */
	n = goslab_cache_alloc_bulk(demo_cache, GFP_KERNEL, DEMO_NR_BULK,
				    demo_bulk);
	if (n != DEMO_NR_BULK) {
		memset(demo_bulk, 0, sizeof(demo_bulk));
		return -ENOMEM;
	}
	for (i = 0; i < DEMO_NR_BULK; i++) {
		obj = demo_bulk[i];
		if (obj->magic != DEMO_MAGIC) {
			pr_err("bulk object %u not constructed\n", i);
			return -EINVAL;
		}
		obj->id = i;
	}

	/* Give the second half back in one call and keep the first. */
	goslab_cache_free_bulk(demo_cache, DEMO_NR_BULK / 2,
			       &demo_bulk[DEMO_NR_BULK / 2]);
	memset(&demo_bulk[DEMO_NR_BULK / 2], 0,
	       sizeof(demo_bulk) / 2);
	return 0;
}

static void demo_release_cache(void)
{
	unsigned int i;

	if (!demo_cache)
		return;
	for (i = 0; i < DEMO_NR_BULK; i++) {
		if (demo_bulk[i])
			goslab_cache_free(demo_cache, demo_bulk[i]);
		demo_bulk[i] = NULL;
	}
	goslab_cache_destroy(demo_cache);
	demo_cache = NULL;
}

static int __init goslab_demo_init(void)
{
	size_t kept, usable;
	int ret;

	pr_info("goslab debug mode: %s\n",
		goslab_debug_enabled() ? "on" : "off");

	ret = demo_alloc_sized(&kept, &usable);
	if (ret)
		goto err;
	pr_info("%zu sizes from %zu to %zu bytes: kept %u objects live, %zu bytes asked, %zu usable\n",
		ARRAY_SIZE(demo_sizes), demo_sizes[0],
		demo_sizes[ARRAY_SIZE(demo_sizes) - 1],
		(unsigned int)ARRAY_SIZE(demo_sizes) * DEMO_PER_SIZE / 2,
		kept, usable);

	ret = demo_use_cache();
	if (ret)
		goto err;
	pr_info("cache goslab_demo: %u-byte objects, %u allocated in bulk, %u kept live\n",
		(unsigned int)sizeof(struct demo_obj), DEMO_NR_BULK,
		DEMO_NR_BULK / 2);

	demo_print_stats("loaded");
	return 0;

err:
	pr_err("demo failed: %d\n", ret);
	demo_release_cache();
	demo_free_sized();
	return ret;
}

static void __exit goslab_demo_exit(void)
{
	unsigned long released;

	demo_release_cache();
	demo_free_sized();
	released = goslab_trim();
	pr_info("freed everything, trim released %lu pages\n", released);
	demo_print_stats("unloading");
}

module_init(goslab_demo_init);
module_exit(goslab_demo_exit);

MODULE_DESCRIPTION("goslab demo client");
MODULE_LICENSE("GPL");
