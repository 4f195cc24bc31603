// SPDX-License-Identifier: GPL-2.0
/*
 * gc.c: the GC commands of /dev/goslab, GOSLAB_IOC_GC_*, on goslab's
 * garbage-collected heaps: a session's heaps, types, GC handles (root
 * slots) and the ids of its objects, and what the session's open and
 * close do for them.  All of the device that knows the collector is here.
 */

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/stddef.h>

#include <uapi/linux/goslab.h>

#include "dev.h"

/**
 * struct gsd_gc_heap - a GC heap the session created
 * @e: its handle
 * @h: the heap; constant, and alive until the session closes (there is no
 *	command to destroy a heap), so it may be used without @s->lock
 * @s: the session, for release callbacks; constant
 * @types: the heap's struct gsd_gc_type, also those whose handle could not
 *	be given out (gsd_session.lock)
 * @nr_refs: GC handles on the heap (gsd_session.lock)
 * @nr_live: objects allocated through the session and not yet released;
 *	atomic, as release callbacks decrement it without any lock
 */
struct gsd_gc_heap {
	struct gsd_entry e;
	struct goslab_gc_heap *h;
	struct gsd_session *s;
	struct list_head types;
	u64 nr_refs;
	atomic64_t nr_live;
};

/**
 * struct gsd_gc_type - a GC type the session created
 * @e: its handle
 * @node: in @gh->types
 * @gh: its heap
 * @t: the type; it lives as long as the heap
 * @nr_ptrs: pointer fields of its objects
 * @charge: what each of its objects costs the session's cap (as
 *	gsd_obj_charge())
 *
 * All but @node constant once the type is installed.
 */
struct gsd_gc_type {
	struct gsd_entry e;
	struct list_head node;
	struct gsd_gc_heap *gh;
	struct goslab_gc_type *t;
	u32 nr_ptrs;
	u64 charge;
};

/**
 * struct gsd_gc_hdr - the layout of a GC object the device allocates
 * @id: the object's id, the index of its entry in gsd_session.gc_live
 * @gt: its type, for the release callback and GC_LOAD
 * @ptrs: the pointer fields, the only bytes the collector scans; the data
 *	bytes follow them
 *
 * @id and @gt are written in the section that allocates the object, and
 * are constant after.
 */
struct gsd_gc_hdr {
	u64 id;
	struct gsd_gc_type *gt;
	void *ptrs[];
};

/* Every GC type fits goslab_gc_type_create()'s limit. */
static_assert(sizeof(struct gsd_gc_hdr) + GOSLAB_DEV_MAX_GC_PTRS *
	      sizeof(void *) + GOSLAB_DEV_MAX_GC_DATA <= SZ_4M);

/**
 * struct gsd_gc_ref - a GC handle: a root slot the session owns
 * @e: its handle
 * @gt: the type of the object in @slot; constant
 * @slot: a root of @gt->gh->h (goslab_gc_root_add()) holding the object;
 *	written once, with goslab_gc_store() in a section, before the handle
 *	is installed, and read only in sections
 */
struct gsd_gc_ref {
	struct gsd_entry e;
	struct gsd_gc_type *gt;
	void *slot;
};

/*
 * The GC's locking, on top of the session's lock (struct gsd_session):
 *
 *  - Release callbacks (gsd_gc_on_release()) run in the heap's collector
 *    thread, in goslab_gc_collect() and in goslab_gc_heap_destroy(),
 *    and take no session lock: they only erase from @gc_live (the
 *    xarray's own spinlock) and decrement atomics.  So @lock may be held
 *    while waiting for them, and nothing the collector waits for needs it.
 *  - Sections (goslab_gc_enter()) are entered with @lock held, never the
 *    other way round, and contain no goslab_gc_root_add()/_del() (those
 *    take the heap's roots mutex, which a cycle holds when it shades the
 *    roots); the sections are short and never wait for user memory.
 *  - goslab_gc_collect() is called outside any section (it waits for
 *    sections to end) and without @lock: nothing it waits for needs @lock
 *    (above), so holding it would not deadlock, but a cycle can take long
 *    and the session's other commands should not wait for it.  The heap
 *    stays valid without @lock: only the session's close frees it.
 *  - Rule for anyone changing this: a release callback must never take
 *    @lock, or GC_ALLOC and GC_STORE (which hold @lock in a section) and
 *    close (which holds @lock across goslab_gc_heap_destroy()) deadlock
 *    against the collector.
 */

/* GC ids are xarray indices; a session refuses more (ENOSPC). */
#define GSD_MAX_GC_IDS		((u64)ULONG_MAX - 1)

/* Numbers the GC heaps of all sessions: their collector threads' names. */
static atomic_t gsd_next_gc_heap = ATOMIC_INIT(0);

/*
 * Charge @bytes for a GC object, as gsd_reserve() does, to @gc_charged:
 * its release callback gives them back without @s->lock.  That only
 * lowers @gc_charged, so the check holds.
 */
static int gsd_gc_reserve(struct gsd_session *s, u64 bytes)
{
	lockdep_assert_held(&s->lock);
	if (bytes > s->cap - gsd_charged(s))
		return -ENOMEM;
	atomic64_add(bytes, &s->gc_charged);
	return 0;
}

/*
 * The release callback of every device GC type: the object is dead.  No
 * session lock (see above); the session outlives its heaps.
 */
static void gsd_gc_on_release(void *obj)
{
	struct gsd_gc_hdr *hd = obj;
	struct gsd_gc_type *gt = hd->gt;
	struct gsd_session *s = gt->gh->s;

	xa_erase(&s->gc_live, hd->id);
	atomic64_dec(&gt->gh->nr_live);
	atomic64_sub(gt->charge, &s->gc_charged);
}

/*
 * Free GC handle @r, once uninstalled or before it was: its root goes (the
 * object lives on only if reachable otherwise), and so does its charge.
 */
static void gsd_gc_ref_destroy(struct gsd_session *s, struct gsd_gc_ref *r)
{
	lockdep_assert_held(&s->lock);
	goslab_gc_root_del(r->gt->gh->h, &r->slot);
	r->gt->gh->nr_refs--;
	gsd_unreserve(s, GOSLAB_DEV_OBJ_CHARGE);
	kfree(r);
}

/* GC_DROP, and the undo of GC_ALLOC and GC_LOAD: drop a GC handle. */
static int gsd_gc_ref_remove(struct gsd_session *s, u64 handle)
{
	struct gsd_gc_ref *r = gsd_find(s, handle, struct gsd_gc_ref,
					GSD_GC_REF);

	if (!r)
		return -ENOENT;
	gsd_uninstall(s, handle);
	gsd_gc_ref_destroy(s, r);
	return 0;
}

/*
 * The undo of GC_TYPE_CREATE: the type loses its handle, but stays on its
 * heap, charged (gsd_cmd_gc_type_create()).
 */
static int gsd_gc_type_forget(struct gsd_session *s, u64 handle)
{
	if (!gsd_find(s, handle, struct gsd_gc_type, GSD_GC_TYPE))
		return -ENOENT;
	gsd_uninstall(s, handle);
	return 0;
}

int gsd_cmd_gc_heap_create(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_gc_heap_create *hc = a->k;
	struct gsd_gc_heap *gh;
	char name[32];
	int ret;

	if (hc->flags & ~GOSLAB_GC_HEAP_MANUAL)
		return -EINVAL;

	ret = gsd_reserve_slot(s, &s->nr_gc_heaps, GOSLAB_DEV_MAX_GC_HEAPS,
			       GOSLAB_DEV_GC_HEAP_CHARGE);
	if (ret)
		return ret;

	ret = -ENOMEM;
	gh = kzalloc(sizeof(*gh), GFP_KERNEL_ACCOUNT);
	if (!gh)
		goto unreserve;
	gh->e.kind = GSD_GC_HEAP;
	gh->s = s;
	INIT_LIST_HEAD(&gh->types);
	atomic64_set(&gh->nr_live, 0);
	snprintf(name, sizeof(name), "dev-%u",
		 atomic_inc_return(&gsd_next_gc_heap));
	gh->h = goslab_gc_heap_create(name);
	if (!gh->h) {
		kfree(gh);
		goto unreserve;
	}
	if (hc->flags & GOSLAB_GC_HEAP_MANUAL)
		goslab_gc_set_percent(gh->h, -1);

	/*
	 * Should user space not learn the handle, the heap stays with the
	 * session until it closes, as a GC type does: another thread may be
	 * using it through its handle already, and GC_COLLECT and GC_STATS
	 * use a heap after dropping the mutex, so it must outlive them.
	 */
	mutex_lock(&s->lock);
	ret = gsd_install(s, a, &gh->e, &hc->handle, NULL);
	mutex_unlock(&s->lock);
	if (!ret)
		return 0;
	/* Not installed: nothing was allocated on it, nothing to release. */
	goslab_gc_heap_destroy(gh->h);
	kfree(gh);
unreserve:
	gsd_unreserve_slot(s, &s->nr_gc_heaps, GOSLAB_DEV_GC_HEAP_CHARGE);
	return ret;
}

int gsd_cmd_gc_type_create(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_gc_type_create *tc = a->k;
	struct gsd_gc_type *gt = NULL;
	unsigned int *offs = NULL;
	struct gsd_gc_heap *gh;
	u32 size, i;
	int ret;

	if (tc->flags || tc->nr_ptrs > GOSLAB_DEV_MAX_GC_PTRS ||
	    tc->data_size > GOSLAB_DEV_MAX_GC_DATA)
		return -EINVAL;
	size = struct_size_t(struct gsd_gc_hdr, ptrs, tc->nr_ptrs) +
	       tc->data_size;

	/* The handle, then the cap, then the allocations. */
	if (gsd_lock(s))
		return -EINTR;
	gh = gsd_find(s, tc->heap, struct gsd_gc_heap, GSD_GC_HEAP);
	if (!gh) {
		ret = -ENOENT;
		goto unlock;
	}
	ret = gsd_reserve(s, GOSLAB_DEV_GC_TYPE_CHARGE);
	if (ret)
		goto unlock;
	ret = -ENOMEM;
	gt = kzalloc(sizeof(*gt), GFP_KERNEL_ACCOUNT);
	offs = kmalloc_array(max(tc->nr_ptrs, 1U), sizeof(*offs),
			     GFP_KERNEL_ACCOUNT);
	if (!gt || !offs)
		goto unreserve;
	for (i = 0; i < tc->nr_ptrs; i++)
		offs[i] = offsetof(struct gsd_gc_hdr, ptrs) + i * sizeof(void *);
	gt->t = goslab_gc_type_create(gh->h, "dev", size, offs, tc->nr_ptrs,
				      gsd_gc_on_release);
	if (!gt->t)
		goto unreserve;
	gt->e.kind = GSD_GC_TYPE;
	gt->gh = gh;
	gt->nr_ptrs = tc->nr_ptrs;
	gt->charge = gsd_obj_charge(goslab_gc_type_footprint(gt->t));
	/*
	 * A GC type cannot be destroyed before its heap: from here it stays
	 * on the heap's list, and charged, even if user space never learns
	 * its handle, so that failed calls cannot pile up types beyond the cap.
	 */
	list_add_tail(&gt->node, &gh->types);
	ret = gsd_install(s, a, &gt->e, &tc->handle, gsd_gc_type_forget);
	mutex_unlock(&s->lock);
	kfree(offs);
	return ret;

unreserve:
	gsd_unreserve(s, GOSLAB_DEV_GC_TYPE_CHARGE);
unlock:
	mutex_unlock(&s->lock);
	kfree(offs);
	kfree(gt);
	return ret;
}

int gsd_cmd_gc_alloc(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_gc_alloc *al = a->k;
	struct gsd_gc_ref *r = NULL;
	struct goslab_gc_heap *h;
	struct gsd_gc_type *gt;
	struct gsd_gc_hdr *hd;
	int ret, tok;
	u64 id;

	if (al->flags)
		return -EINVAL;

	/* The handle, then the limits, then the allocations. */
	if (gsd_lock(s))
		return -EINTR;
	gt = gsd_find(s, al->type, struct gsd_gc_type, GSD_GC_TYPE);
	if (!gt) {
		ret = -ENOENT;
		goto unlock;
	}
	if (s->gc_serial >= GSD_MAX_GC_IDS) {
		ret = -ENOSPC;
		goto unlock;
	}
	ret = gsd_reserve(s, GOSLAB_DEV_OBJ_CHARGE);
	if (ret)
		goto unlock;
	ret = gsd_gc_reserve(s, gt->charge);
	if (ret)
		goto unreserve_ref;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r) {
		ret = -ENOMEM;
		goto unreserve_obj;
	}
	r->e.kind = GSD_GC_REF;
	id = s->gc_serial + 1;
	ret = xa_insert(&s->gc_live, id, xa_mk_value(0), GFP_KERNEL_ACCOUNT);
	if (ret)
		goto unreserve_obj;
	r->gt = gt;
	h = gt->gh->h;
	/* An empty root first: the object is never unreachable. */
	ret = goslab_gc_root_add(h, &r->slot);
	if (ret)
		goto erase_id;
	/* If the copy out fails the object is garbage; a cycle releases it. */
	ret = gsd_install(s, a, &r->e, &al->handle, gsd_gc_ref_remove);
	if (ret)
		goto root_del;

	tok = goslab_gc_enter(h);
	hd = goslab_gc_alloc(gt->t, GFP_KERNEL | __GFP_NOWARN);
	if (hd) {
		hd->id = id;
		hd->gt = gt;
		goslab_gc_store(&r->slot, hd);
	}
	goslab_gc_exit(h, tok);
	if (!hd) {
		ret = -ENOMEM;
		gsd_uninstall(s, al->handle);
		goto root_del;
	}
	s->gc_serial = id;
	atomic64_inc(&gt->gh->nr_live);
	gt->gh->nr_refs++;
	al->id = id;
	mutex_unlock(&s->lock);
	return 0;

root_del:
	goslab_gc_root_del(h, &r->slot);
erase_id:
	xa_erase(&s->gc_live, id);
unreserve_obj:
	atomic64_sub(gt->charge, &s->gc_charged);
unreserve_ref:
	gsd_unreserve(s, GOSLAB_DEV_OBJ_CHARGE);
unlock:
	mutex_unlock(&s->lock);
	kfree(r);
	return ret;
}

int gsd_cmd_gc_store(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_gc_store *st = a->k;
	struct gsd_gc_ref *dst, *src = NULL;
	struct goslab_gc_heap *h;
	struct gsd_gc_hdr *hd;
	int ret = 0, tok;
	u32 field;

	if (st->flags || st->pad)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	dst = gsd_find(s, st->dst, struct gsd_gc_ref, GSD_GC_REF);
	if (st->src)
		src = gsd_find(s, st->src, struct gsd_gc_ref, GSD_GC_REF);
	if (!dst || (st->src && !src)) {
		ret = -ENOENT;
	} else if (st->field >= dst->gt->nr_ptrs ||
		   (src && src->gt->gh != dst->gt->gh)) {
		/* Out of the object, or into another heap. */
		ret = -EINVAL;
	} else {
		field = array_index_nospec(st->field, dst->gt->nr_ptrs);
		h = dst->gt->gh->h;
		tok = goslab_gc_enter(h);
		hd = goslab_gc_load(&dst->slot);
		goslab_gc_store(&hd->ptrs[field],
				src ? goslab_gc_load(&src->slot) : NULL);
		goslab_gc_exit(h, tok);
	}
	mutex_unlock(&s->lock);
	return ret;
}

int gsd_cmd_gc_load(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_gc_load *ld = a->k;
	struct gsd_gc_hdr *hd, *target = NULL;
	struct gsd_gc_ref *src, *r = NULL;
	struct goslab_gc_heap *h;
	int ret, tok;
	u32 field;

	if (ld->flags || ld->pad)
		return -EINVAL;

	/* The handle, then the field and the cap, then the allocations. */
	if (gsd_lock(s))
		return -EINTR;
	src = gsd_find(s, ld->src, struct gsd_gc_ref, GSD_GC_REF);
	if (!src) {
		ret = -ENOENT;
		goto unlock;
	}
	if (ld->field >= src->gt->nr_ptrs) {
		ret = -EINVAL;
		goto unlock;
	}
	field = array_index_nospec(ld->field, src->gt->nr_ptrs);
	ret = gsd_reserve(s, GOSLAB_DEV_OBJ_CHARGE);
	if (ret)
		goto unlock;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r) {
		gsd_unreserve(s, GOSLAB_DEV_OBJ_CHARGE);
		ret = -ENOMEM;
		goto unlock;
	}
	r->e.kind = GSD_GC_REF;
	h = src->gt->gh->h;
	ret = goslab_gc_root_add(h, &r->slot);
	if (ret) {
		gsd_unreserve(s, GOSLAB_DEV_OBJ_CHARGE);
		goto unlock;
	}
	tok = goslab_gc_enter(h);
	hd = goslab_gc_load(&src->slot);
	target = goslab_gc_load(&hd->ptrs[field]);
	if (target) {
		goslab_gc_store(&r->slot, target);
		ld->id = target->id;
		r->gt = target->gt;
	}
	goslab_gc_exit(h, tok);
	ld->handle = 0;
	if (target) {
		r->gt->gh->nr_refs++;
		ret = gsd_install(s, a, &r->e, &ld->handle, gsd_gc_ref_remove);
		if (ret)
			gsd_gc_ref_destroy(s, r);
		r = NULL;	/* the session's now, or freed */
	} else {
		ld->id = 0;
		goslab_gc_root_del(h, &r->slot);
		gsd_unreserve(s, GOSLAB_DEV_OBJ_CHARGE);
	}
unlock:
	mutex_unlock(&s->lock);
	kfree(r);
	return ret;
}

int gsd_cmd_gc_drop(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_gc_drop *d = a->k;

	if (d->flags)
		return -EINVAL;
	return gsd_remove(s, d->handle, gsd_gc_ref_remove);
}

int gsd_cmd_gc_collect(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_gc_collect *c = a->k;
	struct gsd_gc_heap *gh;

	if (c->flags)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	gh = gsd_find(s, c->heap, struct gsd_gc_heap, GSD_GC_HEAP);
	mutex_unlock(&s->lock);
	if (!gh)
		return -ENOENT;
	/* Without the lock, outside any section: see the GC's locking. */
	goslab_gc_collect(gh->h);
	return 0;
}

int gsd_cmd_gc_alive(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_gc_alive *al = a->k;
	int ret = 0;

	if (al->flags || al->pad)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	if (!al->id || al->id > s->gc_serial)
		ret = -ENOENT;
	else
		al->alive = !!xa_load(&s->gc_live, al->id);
	mutex_unlock(&s->lock);
	return ret;
}

/*
 * The fields of struct goslab_gc_stats that GOSLAB_IOC_GC_STATS reports:
 * each goes to its field of the same name in struct goslab_ioc_gc_stats.
 */
#define GSD_GC_STAT(field)							\
	GSD_COPY(struct goslab_gc_stats, struct goslab_ioc_gc_stats, field)
static const struct gsd_copy gsd_gc_stats_copy[] = {
	GSD_GC_STAT(cycles),
	GSD_GC_STAT(heap_alloc),
	GSD_GC_STAT(heap_live),
	GSD_GC_STAT(heap_goal),
	GSD_GC_STAT(objects),
	GSD_GC_STAT(objects_marked),
	GSD_GC_STAT(objects_freed),
	GSD_GC_STAT(objects_released),
	GSD_GC_STAT(bad_pointers),
};

#undef GSD_GC_STAT
/*
 * Every u64 of struct goslab_ioc_gc_stats is in the table, or one of the
 * three gsd_cmd_gc_stats() sets itself: heap (the caller's), live_objects
 * and handles.
 */
static_assert(ARRAY_SIZE(gsd_gc_stats_copy) + 3 ==
	      (sizeof(struct goslab_ioc_gc_stats) -
	       offsetof(struct goslab_ioc_gc_stats, heap)) / sizeof(u64));

int gsd_cmd_gc_stats(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_gc_stats *st = a->k;
	struct goslab_gc_stats g;
	struct gsd_gc_heap *gh;

	if (st->flags)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	gh = gsd_find(s, st->heap, struct gsd_gc_heap, GSD_GC_HEAP);
	if (gh)
		st->handles = gh->nr_refs;
	mutex_unlock(&s->lock);
	if (!gh)
		return -ENOENT;
	goslab_gc_get_stats(gh->h, &g);
	gsd_copy_fields(st, &g, gsd_gc_stats_copy,
			ARRAY_SIZE(gsd_gc_stats_copy));
	st->live_objects = atomic64_read(&gh->nr_live);
	return 0;
}

/* Open: the session's GC state, before any GC command can run. */
void gsd_gc_open(struct gsd_session *s)
{
	xa_init_flags(&s->gc_live, XA_FLAGS_ACCOUNT);
}

/*
 * Close, before the objects and caches: destroy the GC heaps first, which
 * releases every object left (their callbacks still find the records),
 * then free the records.
 */
void gsd_gc_close(struct gsd_session *s)
{
	struct gsd_gc_type *gt, *tmp;
	struct gsd_gc_heap *gh;
	struct gsd_entry *e;
	unsigned long index;

	lockdep_assert_held(&s->lock);
	/* Each walk meets every handle of the session, objects and all. */
	xa_for_each(&s->handles, index, e) {
		if (e->kind == GSD_GC_HEAP)
			goslab_gc_heap_destroy(container_of(e, struct gsd_gc_heap,
							    e)->h);
		cond_resched();
	}
	/* Roots and types went with the heaps. */
	xa_for_each(&s->handles, index, e) {
		if (e->kind == GSD_GC_REF) {
			xa_erase(&s->handles, index);
			gsd_unreserve(s, GOSLAB_DEV_OBJ_CHARGE);
			kfree(container_of(e, struct gsd_gc_ref, e));
		} else if (e->kind == GSD_GC_TYPE) {
			xa_erase(&s->handles, index);	/* freed below */
		}
		cond_resched();
	}
	xa_for_each(&s->handles, index, e) {
		if (e->kind == GSD_GC_HEAP) {
			xa_erase(&s->handles, index);
			gh = container_of(e, struct gsd_gc_heap, e);
			list_for_each_entry_safe(gt, tmp, &gh->types, node) {
				gsd_unreserve(s, GOSLAB_DEV_GC_TYPE_CHARGE);
				kfree(gt);
			}
			WARN_ON_ONCE(atomic64_read(&gh->nr_live));
			gsd_unreserve(s, GOSLAB_DEV_GC_HEAP_CHARGE);
			s->nr_gc_heaps--;
			kfree(gh);
		}
		cond_resched();
	}
	WARN_ON_ONCE(atomic64_read(&s->gc_charged));
	xa_destroy(&s->gc_live);
}
