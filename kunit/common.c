// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by goslab's KUnit suites.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/kasan.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "../module/sizeclasses.h"
#include "goslab_test.h"

unsigned int gs_nr_classes(void)
{
	return GOSLAB_NUM_SIZE_CLASSES;
}

unsigned int gs_class_size(unsigned int cls)
{
	return goslab_class_to_size[cls];
}

unsigned int gs_class_objects(unsigned int cls)
{
	return goslab_class_to_nobjs[cls];
}

unsigned int gs_size_class(size_t size)
{
	if (size <= GOSLAB_SMALL_SIZE_MAX)
		return goslab_size_to_class8[DIV_ROUND_UP(size, GOSLAB_SMALL_SIZE_DIV)];
	return goslab_size_to_class128[DIV_ROUND_UP(size - GOSLAB_SMALL_SIZE_MAX,
						    GOSLAB_LARGE_SIZE_DIV)];
}

bool gs_debug(void)
{
	return goslab_debug_enabled();
}

/* What goslab_usable_size() must say for a fresh object of @size bytes. */
size_t gs_expected_usable(size_t size)
{
	if (!size)
		return 0;
	if (size <= GS_TINY_MAX && !gs_debug())
		return size;
	if (size <= GS_SMALL_MAX)
		return gs_class_size(gs_size_class(size));
	return round_up(size, GS_HEAP_PAGE);
}

/* Largest power of two dividing the class size, capped at 8 KiB. */
unsigned long gs_small_align(unsigned int class_size)
{
	return min(1UL << __ffs(class_size), GS_HEAP_PAGE);
}

static u64 gs_seed(const void *p, size_t size)
{
	return hash_64((unsigned long)p ^ ((u64)size << 44) ^ size, 64) | 1;
}

static u64 gs_word(u64 seed, size_t off)
{
	return seed ^ ((u64)off * GOLDEN_RATIO_64);
}

/*
 * Below 16 bytes every byte is stamped; above, one word per @stride and the
 * last word.  The strided words stop 16 bytes short of the end so that none
 * of them overlaps the last word.
 */
void gs_stamp(void *p, size_t size, size_t stride)
{
	u64 seed = gs_seed(p, size);
	size_t off;

	if (size < 16) {
		for (off = 0; off < size; off++)
			((u8 *)p)[off] = seed >> (8 * (off & 7)) ^ off;
		return;
	}
	for (off = 0; off + 16 <= size; off += stride)
		put_unaligned(gs_word(seed, off), (u64 *)(p + off));
	put_unaligned(gs_word(seed, size - 8), (u64 *)(p + size - 8));
}

bool gs_stamp_ok(const void *p, size_t size, size_t stride)
{
	u64 seed = gs_seed(p, size);
	size_t off;

	if (size < 16) {
		for (off = 0; off < size; off++)
			if (((const u8 *)p)[off] != (u8)(seed >> (8 * (off & 7)) ^ off))
				return false;
		return true;
	}
	for (off = 0; off + 16 <= size; off += stride)
		if (get_unaligned((const u64 *)(p + off)) != gs_word(seed, off))
			return false;
	return get_unaligned((const u64 *)(p + size - 8)) == gs_word(seed, size - 8);
}

/*
 * The scavenger may be releasing pages while we read; a reading where the
 * page counters add up comes within a few tries when goslab is otherwise
 * quiet, and a persistent mismatch is a bug.
 */
void gs_stats(struct kunit *test, struct goslab_stats *st)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		goslab_get_stats(st);
		if (st->pages_held == st->pages_in_use + st->pages_free)
			return;
		msleep(20);
	}
	KUNIT_FAIL(test, "pages_held %llu != pages_in_use %llu + pages_free %llu",
		   st->pages_held, st->pages_in_use, st->pages_free);
}

static int cmp_ptr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

void gs_check_heap(struct kunit *test, struct goslab_cache *c, size_t size,
		   unsigned int n)
{
	void **objs = kunit_kmalloc_array(test, n, sizeof(*objs), GFP_KERNEL);
	unsigned int i, dup = 0, bad = 0;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = c ? goslab_cache_alloc(c, GFP_KERNEL) : goslab_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		gs_stamp(objs[i], size, 8);
	}
	for (i = 0; i < n; i++)
		bad += !gs_stamp_ok(objs[i], size, 8);
	sort(objs, n, sizeof(*objs), cmp_ptr, NULL);
	for (i = 1; i < n; i++)
		dup += objs[i] == objs[i - 1];
	KUNIT_EXPECT_EQ_MSG(test, dup, 0, "size %zu: object handed out twice", size);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "size %zu: objects overlap", size);
	for (i = 0; i < n; i++)
		goslab_free(objs[i]);
	kunit_kfree(test, objs);
}

int gs_read_file(const char *path, char *buf, size_t len)
{
	struct file *f;
	loff_t pos = 0;
	size_t got = 0;
	ssize_t n;

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	/* A seq_file may give its records a read at a time. */
	while ((n = kernel_read(f, buf + got, len - 1 - got, &pos)) > 0)
		got += n;
	filp_close(f, NULL);
	if (n < 0)
		return n;
	buf[got] = '\0';
	strim(buf);
	return 0;
}

int gs_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = filp_open(path, O_WRONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, s, len, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	return n == len ? 0 : -EIO;
}

#define GS_PARAM_DIR "/sys/module/goslab/parameters/"

int gs_param_get(const char *name, unsigned int *val)
{
	char path[96], buf[32];
	int ret;

	snprintf(path, sizeof(path), GS_PARAM_DIR "%s", name);
	ret = gs_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	return kstrtouint(buf, 10, val);
}

int gs_param_set(const char *name, unsigned int val)
{
	char path[96], buf[16];

	snprintf(path, sizeof(path), GS_PARAM_DIR "%s", name);
	snprintf(buf, sizeof(buf), "%u", val);
	return gs_write_file(path, buf);
}

struct gs_param_saved {
	const char *name;
	unsigned int val;
};

static void gs_param_restore(void *data)
{
	struct gs_param_saved *saved = data;

	if (gs_param_set(saved->name, saved->val))
		pr_err("goslab_kunit: cannot restore goslab.%s=%u\n",
		       saved->name, saved->val);
}

void gs_param_override(struct kunit *test, const char *name,
		       unsigned int val)
{
	struct gs_param_saved *saved;
	int ret;

	saved = kunit_kzalloc(test, sizeof(*saved), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, saved);
	saved->name = name;
	KUNIT_ASSERT_EQ_MSG(test, gs_param_get(name, &saved->val), 0,
			    "cannot read goslab.%s", name);
	KUNIT_ASSERT_EQ_MSG(test, gs_param_set(name, val), 0,
			    "cannot write goslab.%s", name);
	ret = kunit_add_action_or_reset(test, gs_param_restore, saved);
	KUNIT_ASSERT_EQ(test, ret, 0);
}

#ifdef CONFIG_KASAN_GENERIC
/* Reads the shadow byte itself, which KASAN would otherwise check too. */
__no_sanitize_address noinline s8 gs_shadow(const void *p)
{
	return *(s8 *)kasan_mem_to_shadow(p);
}
#endif

MODULE_DESCRIPTION("KUnit tests for goslab, the Go runtime's allocator");
MODULE_LICENSE("GPL");
