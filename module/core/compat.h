/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels goslab builds for (6.1 and later):
 * every version test in goslab is here.
 */
#ifndef _GOSLAB_COMPAT_H
#define _GOSLAB_COMPAT_H

#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mmzone.h>
#include <linux/shrinker.h>
#include <linux/slab.h>

/*
 * The largest order the page allocator hands out.  6.4 made MAX_ORDER
 * inclusive (it had been one past the largest order) and 6.8 renamed it
 * MAX_PAGE_ORDER, so 6.1's MAX_ORDER is 11 where MAX_PAGE_ORDER would be
 * 10.  MAX_ORDER_NR_PAGES, the pages of the largest block, has meant the
 * same all along.
 */
#ifndef MAX_PAGE_ORDER
#define MAX_PAGE_ORDER	ilog2(MAX_ORDER_NR_PAGES)
#endif

/*
 * Until 6.3, GFP_ATOMIC carried __GFP_ATOMIC, which opens the page
 * allocator's reserves for atomic callers; goslab passes it on too.
 */
#ifdef __GFP_ATOMIC
#define GS_GFP_ATOMIC	__GFP_ATOMIC
#else
#define GS_GFP_ATOMIC	((__force gfp_t)0)
#endif

/*
 * Shrinkers: 6.7 made them allocated objects (shrinker_alloc(),
 * shrinker_register(), shrinker_free(), which waits for scans in flight
 * through RCU), and SHRINKER_ALLOCATED came with them; before, the caller
 * owned the struct and unregister_shrinker() waited by taking
 * shrinker_rwsem for writing.
 */
static inline struct shrinker *
gs_shrinker_create(const char *name,
		   unsigned long (*count)(struct shrinker *, struct shrink_control *),
		   unsigned long (*scan)(struct shrinker *, struct shrink_control *))
{
	struct shrinker *s;

#ifdef SHRINKER_ALLOCATED
	s = shrinker_alloc(0, "%s", name);
	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	shrinker_register(s);
#else
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	if (register_shrinker(s, "%s", name)) {
		kfree(s);
		return NULL;
	}
#endif
	return s;
}

/* Unregister @s and wait for any scan of it in progress; NULL is a no-op. */
static inline void gs_shrinker_destroy(struct shrinker *s)
{
#ifdef SHRINKER_ALLOCATED
	shrinker_free(s);
#else
	if (s) {
		unregister_shrinker(s);
		kfree(s);
	}
#endif
}

/*
 * The heap profiler (mprof.c) keeps its call stacks in the kernel's stack
 * depot, which exists only with CONFIG_STACKDEPOT (which brings
 * CONFIG_STACKTRACE): Debian's 6.1 and 6.12 kernels have it (SLUB_DEBUG
 * selects it), and export stack_depot_init(), stack_depot_save(),
 * stack_depot_fetch() and stack_trace_save().  Without it the profiler
 * cannot start: gs_stack_depot_init() fails with -EOPNOTSUPP.
 */
#ifdef CONFIG_STACKDEPOT
#include <linux/stackdepot.h>
#include <linux/stacktrace.h>

static inline int gs_stack_depot_init(void)
{
	return stack_depot_init();
}

/* Save the stack of @nr return addresses; 0 if the depot could not. */
static inline u32 gs_stack_save(unsigned long *entries, unsigned int nr,
				gfp_t gfp)
{
	return stack_depot_save(entries, nr, gfp);
}

static inline unsigned int gs_stack_fetch(u32 handle, unsigned long **entries)
{
	return stack_depot_fetch(handle, entries);
}

static inline unsigned int gs_stack_trace(unsigned long *entries,
					  unsigned int size)
{
	return stack_trace_save(entries, size, 0);
}
#else
static inline int gs_stack_depot_init(void)
{
	return -EOPNOTSUPP;
}

static inline u32 gs_stack_save(unsigned long *entries, unsigned int nr,
				gfp_t gfp)
{
	return 0;
}

static inline unsigned int gs_stack_fetch(u32 handle, unsigned long **entries)
{
	return 0;
}

static inline unsigned int gs_stack_trace(unsigned long *entries,
					  unsigned int size)
{
	return 0;
}
#endif

#endif /* _GOSLAB_COMPAT_H */
