/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab: the Go runtime's memory allocator as a kernel module.
 *
 * This header is the contract other modules build against.  Objects come
 * in three tiers, as in Go: tiny (< 16 bytes, packed into 16-byte blocks),
 * small (16 bytes to 32 KiB, rounded up to one of Go's size classes) and
 * large (page runs from goslab's page heap).  See
 * Documentation/goslab.rst for the design and the rules of use.
 */
#ifndef _LINUX_GOSLAB_H
#define _LINUX_GOSLAB_H

#include <linux/gfp.h>
#include <linux/types.h>

struct goslab_cache;

void *goslab_alloc(size_t size, gfp_t flags);
void goslab_free(const void *p);
size_t goslab_usable_size(const void *p);

/**
 * goslab_zalloc - allocate zeroed memory from goslab
 * @size: bytes wanted
 * @flags: GFP flags; __GFP_ZERO is added
 *
 * Return: as goslab_alloc().
 */
static inline void *goslab_zalloc(size_t size, gfp_t flags)
{
	return goslab_alloc(size, flags | __GFP_ZERO);
}

struct goslab_cache *goslab_cache_create(const char *name, unsigned int size,
					 unsigned int align,
					 void (*ctor)(void *));
void *goslab_cache_alloc(struct goslab_cache *c, gfp_t flags);
void goslab_cache_free(struct goslab_cache *c, void *p);
int goslab_cache_alloc_bulk(struct goslab_cache *c, gfp_t flags, size_t nr,
			    void **p);
void goslab_cache_free_bulk(struct goslab_cache *c, size_t nr, void **p);
void goslab_cache_destroy(struct goslab_cache *c);

/**
 * struct goslab_stats - a snapshot of goslab's global counters
 * @pages_held: kernel pages (PAGE_SIZE) goslab holds now, in use or free
 * @pages_in_use: pages held that belong to spans in use (small or large)
 * @pages_free: pages held in the page heap's free runs
 * @pages_released: pages given back to the kernel since load (cumulative)
 * @objects_in_use: small and large objects handed out and not yet freed,
 *	tiny blocks counted once per block
 * @bytes_in_use: bytes of those objects, at their size class
 * @objects_cached: free objects sitting in per-CPU caches
 * @large_in_use: large objects handed out and not yet freed
 * @debug_double_free: frees of an object that was already free (debug mode)
 * @debug_invalid_free: frees of pointers goslab never handed out (debug mode)
 * @debug_poison_corrupt: free objects found written to on reuse (debug mode)
 *
 * Each field is exact when goslab is quiescent; while other CPUs allocate,
 * the fields are read one after another without stopping them.
 */
struct goslab_stats {
	u64 pages_held;
	u64 pages_in_use;
	u64 pages_free;
	u64 pages_released;
	u64 objects_in_use;
	u64 bytes_in_use;
	u64 objects_cached;
	u64 large_in_use;
	u64 debug_double_free;
	u64 debug_invalid_free;
	u64 debug_poison_corrupt;
};

void goslab_get_stats(struct goslab_stats *st);
unsigned long goslab_trim(void);
bool goslab_debug_enabled(void);

#endif /* _LINUX_GOSLAB_H */
