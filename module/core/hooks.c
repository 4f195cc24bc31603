// SPDX-License-Identifier: GPL-2.0
/*
 * What a small object goes through beside the fast paths, when a boot
 * option, debug mode or the heap profiler asks for it: KASAN's shadow,
 * debug mode's checks and poison, init_on_alloc, init_on_free and
 * __GFP_ZERO zeroing, kmemleak, and the profiler's sampling (mprof.c).
 * The inline fast paths in internal.h test GS_ALLOC_HOOKS() and
 * GS_FREE_HOOKS(), static keys that are off unless one of those is on,
 * and call out to here.
 */

#include <linux/kmemleak.h>
#include <linux/mm.h>

#include "internal.h"

/**
 * gs_alloc_hooks() - what a small object goes through after a free list
 * @c: its mcentral
 * @obj: the object, just popped
 * @size: bytes asked for; KASAN fences off the rest of the object
 * @gfp: the caller's flags
 *
 * KASAN opens the object, debug mode checks and claims it, init_on_alloc,
 * init_on_free or __GFP_ZERO zero it (under init_on_free it was zeroed
 * when freed, but for the free list's link), and kmemleak starts
 * tracking it; the profiler may sample it.  A constructed object is never
 * zeroed: its constructor's work must survive.
 *
 * Return: @obj.
 */
void *gs_alloc_hooks(struct mcentral *c, void *obj, size_t size, gfp_t gfp)
{
	gs_kasan_unpoison(obj, c->objsize);
	/* Debug mode and the profiler, behind the one key both need. */
	if (static_branch_unlikely(&gs_hooks_slow_key)) {
		if (static_branch_unlikely(&gs_debug_key))
			gs_debug_alloc(c, obj);
		if (static_branch_unlikely(&gs_mprof_key))
			gs_mprof_malloc(obj, c->elemsize, gfp);
	}
	if (gs_want_init(gfp) && !c->ctor)
		memset(obj, 0, c->objsize);
	if (size < c->objsize)
		gs_kasan_redzone(obj, size, c->objsize);
	kmemleak_alloc(obj, c->objsize, 1, gfp);
	return obj;
}

/**
 * gs_alloc_refill() - the allocation path when this CPU's list is empty
 * @c: the mcentral
 * @size: bytes asked for
 * @gfp: the caller's flags
 *
 * Return: an object, through gs_alloc_hooks() if needed; or NULL.
 */
void *gs_alloc_refill(struct mcentral *c, size_t size, gfp_t gfp)
{
	void *obj = mcache_refill(c, gfp);

	if (obj && GS_ALLOC_HOOKS(gfp))
		return gs_alloc_hooks(c, obj, size, gfp);
	return obj;
}

/**
 * gs_free_hooks() - the mirror of gs_alloc_hooks(), before a free list
 * @c: the mcentral
 * @obj: the object being freed, validated in debug mode
 */
void gs_free_hooks(struct mcentral *c, void *obj)
{
	bool dbg = false;

	/* Debug mode and the profiler, behind the one key both need. */
	if (static_branch_unlikely(&gs_hooks_slow_key)) {
		dbg = static_branch_unlikely(&gs_debug_key);
		if (static_branch_unlikely(&gs_mprof_key))
			gs_mprof_free(span_of(obj), obj);
	}
	kmemleak_free(obj);
	if (want_init_on_free() || dbg) {
		gs_kasan_unpoison(obj, c->objsize);
		if (want_init_on_free() && !c->ctor)
			memset(obj, 0, c->objsize);
		if (dbg)
			gs_debug_poison(c, obj);
	}
	gs_kasan_poison(obj, c->elemsize);
}

/**
 * gs_free_hooked() - free a small object that needs gs_free_hooks()
 * @c: the mcentral
 * @obj: the object
 */
void gs_free_hooked(struct mcentral *c, void *obj)
{
	/*
	 * The hooks write the object (init_on_free, debug poison, KASAN):
	 * a double free that mcache_free() would refuse must be refused
	 * before them, or they would wipe the link of the list's head.  Read
	 * racily: an object at a list's head is free, whichever CPU's list
	 * it is, so a match is never a false alarm.
	 */
	if (IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED) &&
	    unlikely(obj == raw_cpu_read(c->pcp->head)))
		return gs_debug_report(GS_DEBUG_DOUBLE_FREE, obj,
				       "is already at the head of its CPU list");
	gs_free_hooks(c, obj);
	mcache_free(c, obj);
}
