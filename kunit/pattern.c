// SPDX-License-Identifier: GPL-2.0
/*
 * What goslab must hand out, and patterns to fill objects with: shared by
 * the KUnit suites and the plain stress module (stress/), so nothing here
 * uses KUnit.
 */
#include <linux/goslab.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "../module/core/sizeclasses.h"
#include "pattern.h"

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
	return goslab_size_to_class(size);
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
/* Words of a stamp may sit at any offset: copy them byte-wise. */
static void gs_put_word(void *p, u64 w)
{
	memcpy(p, &w, sizeof(w));
}

static u64 gs_get_word(const void *p)
{
	u64 w;

	memcpy(&w, p, sizeof(w));
	return w;
}

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
		gs_put_word(p + off, gs_word(seed, off));
	gs_put_word(p + size - 8, gs_word(seed, size - 8));
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
		if (gs_get_word(p + off) != gs_word(seed, off))
			return false;
	return gs_get_word(p + size - 8) == gs_word(seed, size - 8);
}
