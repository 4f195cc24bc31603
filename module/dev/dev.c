// SPDX-License-Identifier: GPL-2.0
/*
 * dev.c: /dev/goslab, goslab driven from user space.
 *
 * Each open file is a session (struct gsd_session) that owns the objects
 * and caches it creates; closing the file frees all of them.  User space
 * names them by handles: the low 32 bits are an index in the session's
 * xarray, the high 32 bits a generation that is different for every handle
 * the session ever issues (struct gsd_entry).  Lookups compare both, so a
 * handle whose object was freed is stale for good: it can neither reach
 * nor be mistaken for a later object.  No kernel address ever leaves the
 * kernel.  include/uapi/linux/goslab.h has the commands and their structs,
 * Documentation/userspace-api.rst every errno.
 *
 * Everything a command changes is changed under the session's mutex, and
 * only after every check that can fail has passed, so a command that fails
 * leaves the session and goslab as they were.  The checks come in the
 * order Documentation/userspace-api.rst gives: the handles a command names
 * are looked up before anything is reserved or allocated, so that a bad
 * handle is ENOENT whatever memory there is.  Allocating an object or a
 * cache is the one slow step done without the mutex: the bytes are charged
 * to the session's cap first (a reservation), the memory is allocated
 * unlocked, and the handle is installed under the mutex again, or the
 * reservation is given back.  The GC commands allocate their small records
 * under the mutex, which they hold across their goslab calls anyway.
 * Locking rules: struct gsd_session.
 *
 * User memory is never touched with the mutex held: a fault may wait as
 * long as user space likes (userfaultfd, FUSE), and would hold up every
 * thread of the session.  Results are written back after the mutex is
 * dropped, undoing the command if that fails (gsd_copy_out_or_undo());
 * READ and WRITE copy through a bounce buffer a piece at a time (gsd_rw()).
 *
 * Copies between user space and goslab objects, against
 * CONFIG_HARDENED_USERCOPY (check_heap_object() in mm/usercopy.c): only
 * the bounce buffer of GOSLAB_IOC_READ and GOSLAB_IOC_WRITE, from
 * kvmalloc(), meets copy_to_user() and copy_from_user(): a kmalloc bucket,
 * whose usercopy window is the whole object, a large kmalloc's pages, or
 * a vmalloc area that covers the whole buffer.  The object's bytes move
 * to and from it with memcpy(), under the mutex that keeps the object
 * alive.  The ioctl argument structs live on the stack: the stack check.
 */

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <uapi/linux/goslab.h>

#include "../core/internal.h"
#include "dev.h"

static unsigned int session_cap_kb = 64 * 1024;
module_param(session_cap_kb, uint, 0644);
MODULE_PARM_DESC(session_cap_kb,
		 "Memory (KiB) one open file of /dev/goslab may hold at once, objects and bookkeeping; read at open (default 64 MiB)");

/* Numbers the caches of all sessions, for unique names in statistics. */
static atomic_t gsd_next_cache = ATOMIC_INIT(0);
/* The same for GC heaps, whose collector threads are named after them. */
static atomic_t gsd_next_gc_heap = ATOMIC_INIT(0);

enum gsd_kind {
	GSD_OBJECT,
	GSD_CACHE,
	GSD_GC_HEAP,
	GSD_GC_TYPE,
	GSD_GC_REF,
};

/**
 * struct gsd_entry - what a handle's index leads to
 * @gen: the generation its handle carries; set before the entry is stored
 *	and constant after
 * @kind: enum gsd_kind; constant
 */
struct gsd_entry {
	u32 gen;
	u8 kind;
};

struct gsd_cache;

/**
 * struct gsd_object - an object the session holds
 * @e: its handle
 * @p: the memory
 * @len: the length it was allocated with; user space may touch [0, @len)
 * @charge: what it costs the session's cap: the memory it pins
 *	(gsd_obj_charge())
 * @cache: the cache it came from, or NULL for goslab_alloc()
 *
 * All constant once the object is installed.
 */
struct gsd_object {
	struct gsd_entry e;
	void *p;
	u64 len;
	u64 charge;
	struct gsd_cache *cache;
};

/**
 * struct gsd_cache - a goslab_cache the session holds
 * @e: its handle
 * @c: the cache
 * @obj_size: its object size
 * @obj_charge: what each of its objects costs the session's cap
 * @ctor: it has gsd_ctor() as constructor
 * @nr_objects: objects allocated from it and not yet freed, counting
 *	allocations under way; the cache may only be destroyed at 0
 *	(gsd_session.lock)
 *
 * All but @nr_objects constant once the cache is installed.
 */
struct gsd_cache {
	struct gsd_entry e;
	struct goslab_cache *c;
	u32 obj_size;
	u64 obj_charge;
	bool ctor;
	u64 nr_objects;
};

struct gsd_session;

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

/**
 * struct gsd_session - one open file of /dev/goslab
 * @lock: protects everything below but @gc_live and @gc_charged, and the
 *	objects, caches, GC heaps, types and handles that @handles leads to;
 *	held across GC sections, never across an access to user memory (a
 *	fault may wait as long as user space likes: userfaultfd, FUSE), and
 *	taken killably where a command starts (gsd_lock())
 * @handles: index -> struct gsd_entry in a gsd_object or gsd_cache.  The
 *	xarray locks itself too, but every lookup, store and erase is done
 *	under @lock, which is what makes a lookup and what follows atomic.
 * @next_index: where xa_alloc_cyclic() looks next: a freed index is only
 *	reused after all others, for easier debugging of stale handles
 * @gen_base: random start of the generations, so that handles from another
 *	session are unlikely to name anything here
 * @serial: handles issued; the next one gets generation @gen_base + @serial
 * @cap: bytes the session may have charged at once; constant
 * @charged: bytes charged: objects, caches, reservations under way and
 *	the bounce buffers of READ and WRITE commands running
 * @nr_objects: objects held
 * @nr_caches: caches held, or being created
 * @nr_gc_heaps: GC heaps held, or being created
 * @gc_serial: ids GC_ALLOC gave out; the next object gets @gc_serial + 1
 * @gc_live: id -> xa_mk_value(0) while the object is allocated; erased by
 *	its release callback, so an id absent below @gc_serial is dead
 * @gc_charged: bytes GC objects charge to @cap; added under @lock by
 *	gsd_reserve_gc(), subtracted by release callbacks without it, so
 *	@charged + @gc_charged <= @cap always holds
 * @rw_spare_busy: a READ or WRITE runs whose bounce buffer did not fit
 *	in @cap: one such at a time (gsd_rw_check())
 */
struct gsd_session {
	struct mutex lock;	/* see above: all of the session */
	struct xarray handles;
	u32 next_index;
	u32 gen_base;
	u64 serial;
	u64 cap;
	u64 charged;
	u64 nr_objects;
	unsigned int nr_caches;
	unsigned int nr_gc_heaps;
	u64 gc_serial;
	struct xarray gc_live;
	atomic64_t gc_charged;
	bool rw_spare_busy;
};

/*
 * The GC's locking, on top of @lock:
 *
 *  - Release callbacks (gsd_gc_release()) run in the heap's collector
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

/*
 * The handle's generation is 32 bits wide: after 2^32 handles a session
 * could hand out an old (index, generation) pair again.  It refuses to
 * instead (ENOSPC); a new session starts afresh.
 */
#define GSD_MAX_HANDLES		BIT_ULL(32)

/* GC ids are xarray indices; a session refuses more (ENOSPC). */
#define GSD_MAX_GC_IDS		((u64)ULONG_MAX - 1)

static void gsd_ctor(void *obj)
{
	u64 magic = GOSLAB_DEV_CTOR_MAGIC;

	/* Cache objects are only 8-byte aligned when align asks for it. */
	memcpy(obj, &magic, sizeof(magic));
}

/* Where goslab keeps @p, for GOSLAB_IOC_USABLE_SIZE. */
static u32 gsd_tier(const void *p)
{
	const struct mspan *s = span_of(p);

	switch (s->state) {
	case MSPAN_SMALL:
		return s->central->tiny ? GOSLAB_TIER_TINY : GOSLAB_TIER_SMALL;
	case MSPAN_LARGE:
		return GOSLAB_TIER_LARGE;
	case MSPAN_HUGE:
		return GOSLAB_TIER_HUGE;
	default:
		return 0;	/* a live object is never in a free span */
	}
}

/*
 * Take the session's mutex at the start of a command, killably: nothing
 * holds it across a wait on user memory, but should a command wait long
 * for it anyway, the caller can still be killed.  The paths that finish
 * or undo what a command began take it with mutex_lock(): they must not
 * fail, and wait only for other commands' short sections.
 */
static int __must_check gsd_lock(struct gsd_session *s)
{
	return mutex_lock_killable(&s->lock);
}

/* The entry @handle names if it is live and of @kind, else NULL. */
static struct gsd_entry *gsd_lookup(struct gsd_session *s, u64 handle,
				    enum gsd_kind kind)
{
	u32 index = lower_32_bits(handle);
	struct gsd_entry *e;

	lockdep_assert_held(&s->lock);
	if (!index)
		return NULL;
	e = xa_load(&s->handles, index);
	if (!e || e->gen != upper_32_bits(handle) || e->kind != kind)
		return NULL;
	return e;
}

static struct gsd_object *gsd_lookup_object(struct gsd_session *s,
					    u64 handle)
{
	struct gsd_entry *e = gsd_lookup(s, handle, GSD_OBJECT);

	return e ? container_of(e, struct gsd_object, e) : NULL;
}

static struct gsd_cache *gsd_lookup_cache(struct gsd_session *s, u64 handle)
{
	struct gsd_entry *e = gsd_lookup(s, handle, GSD_CACHE);

	return e ? container_of(e, struct gsd_cache, e) : NULL;
}

static struct gsd_gc_heap *gsd_lookup_gc_heap(struct gsd_session *s,
					      u64 handle)
{
	struct gsd_entry *e = gsd_lookup(s, handle, GSD_GC_HEAP);

	return e ? container_of(e, struct gsd_gc_heap, e) : NULL;
}

static struct gsd_gc_type *gsd_lookup_gc_type(struct gsd_session *s,
					      u64 handle)
{
	struct gsd_entry *e = gsd_lookup(s, handle, GSD_GC_TYPE);

	return e ? container_of(e, struct gsd_gc_type, e) : NULL;
}

static struct gsd_gc_ref *gsd_lookup_gc_ref(struct gsd_session *s,
					    u64 handle)
{
	struct gsd_entry *e = gsd_lookup(s, handle, GSD_GC_REF);

	return e ? container_of(e, struct gsd_gc_ref, e) : NULL;
}

/* Give @e a new handle and make it reachable; undo with gsd_uninstall(). */
static int gsd_install(struct gsd_session *s, struct gsd_entry *e,
		       u64 *handle)
{
	u32 index;
	int ret;

	lockdep_assert_held(&s->lock);
	if (s->serial >= GSD_MAX_HANDLES)
		return -ENOSPC;
	e->gen = s->gen_base + (u32)s->serial;
	ret = xa_alloc_cyclic(&s->handles, &index, e, XA_LIMIT(1, U32_MAX),
			      &s->next_index, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		return ret == -EBUSY ? -ENOSPC : ret;
	s->serial++;
	*handle = (u64)e->gen << 32 | index;
	return 0;
}

static void gsd_uninstall(struct gsd_session *s, u64 handle)
{
	lockdep_assert_held(&s->lock);
	xa_erase(&s->handles, lower_32_bits(handle));
}

/*
 * What an object that pins @footprint bytes of goslab's memory costs the
 * session's cap: those bytes, not the length asked for (a 1-byte object
 * of a cache aligned to 8 KiB pins 8 KiB, one of 32769 bytes 40 KiB),
 * and the device's own record.  The footprint comes from goslab
 * (goslab_alloc_footprint() and its kin), which knows its layout.
 */
static u64 gsd_obj_charge(size_t footprint)
{
	return (u64)footprint + GOSLAB_DEV_OBJ_CHARGE;
}

/*
 * Charge @bytes to the cap ahead of an allocation.  Whoever reserves gives
 * the bytes back with gsd_unreserve() unless an object keeps them.
 */
static int gsd_reserve(struct gsd_session *s, u64 bytes)
{
	lockdep_assert_held(&s->lock);
	if (bytes > s->cap - s->charged - atomic64_read(&s->gc_charged))
		return -ENOMEM;
	s->charged += bytes;
	return 0;
}

/*
 * The same for a GC object, whose charge its release callback gives back
 * without @s->lock.  That only lowers @gc_charged, so the check holds.
 */
static int gsd_reserve_gc(struct gsd_session *s, u64 bytes)
{
	lockdep_assert_held(&s->lock);
	if (bytes > s->cap - s->charged - atomic64_read(&s->gc_charged))
		return -ENOMEM;
	atomic64_add(bytes, &s->gc_charged);
	return 0;
}

static void gsd_unreserve(struct gsd_session *s, u64 bytes)
{
	lockdep_assert_held(&s->lock);
	s->charged -= bytes;
}

/*
 * Reserve one of at most @max things a session may hold (*@nr counts
 * them) and charge @bytes for it: -ENOSPC past @max, -ENOMEM past the cap.
 */
static int gsd_reserve_slot(struct gsd_session *s, unsigned int *nr,
			    unsigned int max, u64 bytes)
{
	int ret = -ENOSPC;

	if (gsd_lock(s))
		return -EINTR;
	if (*nr < max) {
		ret = gsd_reserve(s, bytes);
		if (!ret)
			(*nr)++;
	}
	mutex_unlock(&s->lock);
	return ret;
}

/*
 * Free the memory of an object that is not reachable (any more), give its
 * charge back and unpin its cache: the undo of an allocation.
 */
static void gsd_object_release(struct gsd_session *s, struct gsd_object *o)
{
	lockdep_assert_held(&s->lock);
	if (o->cache) {
		goslab_cache_free(o->cache->c, o->p);
		o->cache->nr_objects--;
	} else {
		goslab_free(o->p);
	}
	gsd_unreserve(s, o->charge);
	kfree(o);
}

/* Free an object the session held, after gsd_uninstall(). */
static void gsd_object_free(struct gsd_session *s, struct gsd_object *o)
{
	lockdep_assert_held(&s->lock);
	s->nr_objects--;
	gsd_object_release(s, o);
}

/* Destroy a cache that is no longer reachable and has no objects. */
static void gsd_cache_free(struct gsd_session *s, struct gsd_cache *c)
{
	lockdep_assert_held(&s->lock);
	WARN_ON_ONCE(c->nr_objects);
	goslab_cache_destroy(c->c);
	gsd_unreserve(s, GOSLAB_DEV_CACHE_CHARGE);
	s->nr_caches--;
	kfree(c);
}

/*
 * Every argument struct starts with __u32 size: read that, then the struct
 * as copy_struct_from_user() does for openat2() and clone3(): a caller's
 * struct shorter than ours is zero-extended, a longer one must be zero
 * past our end (-E2BIG otherwise).  Inlined, so that copy_struct_from_user()
 * still sees the real object size of @karg.
 */
static __always_inline int gsd_copy_in(void *karg, size_t ksize, u32 ver0,
				       const void __user *uarg, u32 *usize)
{
	if (get_user(*usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (*usize < ver0)
		return -EINVAL;
	if (*usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, *usize);
}

/*
 * Write back what the caller's struct has room for, and say how much in
 * its size field (offset 0 in every struct, see gsd_check_abi()).
 */
static int gsd_copy_out(void __user *uarg, void *karg, size_t ksize,
			u32 usize)
{
	u32 n = min_t(size_t, usize, ksize);

	*(u32 *)karg = n;
	return copy_to_user(uarg, karg, n) ? -EFAULT : 0;
}

static int gsd_version(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_version v;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&v, sizeof(v), GOSLAB_VERSION_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (v.flags)
		return -EINVAL;

	v.major = GOSLAB_VERSION_MAJOR;
	v.minor = GOSLAB_VERSION_MINOR;
	v.features = GOSLAB_FEATURE_ALLOC | GOSLAB_FEATURE_RW |
		     GOSLAB_FEATURE_CACHE | GOSLAB_FEATURE_CACHE_CTOR |
		     GOSLAB_FEATURE_STATS | GOSLAB_FEATURE_GC;
	if (goslab_debug_enabled())
		v.features |= GOSLAB_FEATURE_DEBUG;
	v.max_alloc = GOSLAB_DEV_MAX_ALLOC;
	v.session_cap = s->cap;
	v.obj_charge = GOSLAB_DEV_OBJ_CHARGE;
	v.cache_charge = GOSLAB_DEV_CACHE_CHARGE;
	v.max_cache_obj = GOSLAB_DEV_MAX_CACHE_OBJ;
	v.max_cache_align = GOSLAB_DEV_MAX_CACHE_ALIGN;
	v.max_caches = GOSLAB_DEV_MAX_CACHES;
	v.nr_size_classes = GOSLAB_NUM_SIZE_CLASSES;
	return gsd_copy_out(uarg, &v, sizeof(v), usize);
}

static void gsd_gc_ref_free(struct gsd_session *s, struct gsd_gc_ref *r);

/*
 * Undo a command whose results could not be written back: user space never
 * learnt @handle, so what it names goes again.  The write-back was done
 * without the mutex, so another thread may have used the handle already
 * (it could only have read it from the half-written struct): whatever
 * @handle names now is looked up afresh, and left alone if it is gone or
 * in use (a cache with objects).  A GC type stays on its heap, charged;
 * a GC heap is the caller's to undo.
 */
static void gsd_undo(struct gsd_session *s, u64 handle, enum gsd_kind kind)
{
	struct gsd_entry *e;

	mutex_lock(&s->lock);
	e = gsd_lookup(s, handle, kind);
	if (e && kind == GSD_CACHE &&
	    container_of(e, struct gsd_cache, e)->nr_objects)
		e = NULL;
	if (e) {
		gsd_uninstall(s, handle);
		if (kind == GSD_OBJECT)
			gsd_object_free(s, container_of(e, struct gsd_object, e));
		else if (kind == GSD_CACHE)
			gsd_cache_free(s, container_of(e, struct gsd_cache, e));
		else if (kind == GSD_GC_REF)
			gsd_gc_ref_free(s, container_of(e, struct gsd_gc_ref, e));
	}
	mutex_unlock(&s->lock);
}

/*
 * Write a command's results back, without the session's mutex: user
 * memory may fault, and a fault may wait for long (userfaultfd, FUSE).
 * If that fails, undo what created @handle, of @kind.
 */
static int gsd_copy_out_or_undo(struct gsd_session *s, void __user *uarg,
				void *karg, size_t ksize, u32 usize,
				u64 handle, enum gsd_kind kind)
{
	lockdep_assert_not_held(&s->lock);
	if (!gsd_copy_out(uarg, karg, ksize, usize))
		return 0;
	gsd_undo(s, handle, kind);
	return -EFAULT;
}

/*
 * The end of GOSLAB_IOC_ALLOC and GOSLAB_IOC_CACHE_ALLOC: @o holds memory
 * that @o->charge was reserved for.  Install it and tell user space its
 * handle; on failure free it and give the reservation back.
 */
static int gsd_object_publish(struct gsd_session *s, struct gsd_object *o,
			      void __user *uarg, void *karg, u64 *handlep,
			      u32 usize, size_t ksize)
{
	int ret;

	mutex_lock(&s->lock);
	ret = gsd_install(s, &o->e, handlep);
	if (ret)
		gsd_object_release(s, o);
	else
		s->nr_objects++;
	mutex_unlock(&s->lock);
	if (ret)
		return ret;
	return gsd_copy_out_or_undo(s, uarg, karg, ksize, usize, *handlep,
				    GSD_OBJECT);
}

static int gsd_alloc(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_alloc a;
	struct gsd_object *o;
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	u64 charge;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&a, sizeof(a), GOSLAB_ALLOC_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (a.flags & ~GOSLAB_ALLOC_ZERO)
		return -EINVAL;
	if (!a.len || a.len > GOSLAB_DEV_MAX_ALLOC)
		return -EINVAL;
	if (a.flags & GOSLAB_ALLOC_ZERO)
		gfp |= __GFP_ZERO;

	charge = gsd_obj_charge(goslab_alloc_footprint(a.len));
	if (gsd_lock(s))
		return -EINTR;
	ret = gsd_reserve(s, charge);
	mutex_unlock(&s->lock);
	if (ret)
		return ret;

	ret = -ENOMEM;
	o = kzalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		goto unreserve;
	o->p = goslab_alloc(a.len, gfp);
	if (!o->p)
		goto free_record;
	/* Never show user space what the memory held before. */
	if (!(a.flags & GOSLAB_ALLOC_ZERO))
		memset(o->p, GOSLAB_DEV_FILL_BYTE, a.len);
	o->e.kind = GSD_OBJECT;
	o->len = a.len;
	o->charge = charge;
	return gsd_object_publish(s, o, uarg, &a, &a.handle, usize, sizeof(a));

free_record:
	kfree(o);
unreserve:
	mutex_lock(&s->lock);
	gsd_unreserve(s, charge);
	mutex_unlock(&s->lock);
	return ret;
}

static int gsd_free(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_free f;
	struct gsd_object *o;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&f, sizeof(f), GOSLAB_FREE_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (f.flags)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	o = gsd_lookup_object(s, f.handle);
	if (o) {
		gsd_uninstall(s, f.handle);
		gsd_object_free(s, o);
	}
	mutex_unlock(&s->lock);
	return o ? 0 : -ENOENT;
}

/* Is [@off, @off + @len) inside @o? */
static bool gsd_range_ok(const struct gsd_object *o, u64 off, u64 len)
{
	return off <= o->len && len <= o->len - off;
}

/*
 * What the bounce buffer of a READ or WRITE of @len bytes costs the
 * session's cap while the command runs: the memory kvmalloc() takes for
 * it.  A thread stuck in a fault on its buffer keeps it that long.
 */
static u64 gsd_bounce_charge(u64 len)
{
	return kmalloc_size_roundup(min_t(u64, len, GOSLAB_DEV_RW_PIECE));
}

/*
 * The checks of READ and WRITE, before a bounce buffer is allocated:
 * @rw names an object and its range lies inside it.  Then the buffer is
 * charged, into *@charge, or, when the cap has no room, it takes the
 * session's spare (*@charge 0), which one copy may use at a time, so
 * that a full session can still read and write its objects.  gsd_rw()
 * gives either back.
 */
static int gsd_rw_check(struct gsd_session *s, const struct goslab_ioc_rw *rw,
			u64 *charge)
{
	struct gsd_object *o;
	int ret = 0;

	if (gsd_lock(s))
		return -EINTR;
	o = gsd_lookup_object(s, rw->handle);
	if (!o) {
		ret = -ENOENT;
	} else if (!gsd_range_ok(o, rw->offset, rw->len)) {
		ret = -EINVAL;
	} else if (rw->len) {
		*charge = gsd_bounce_charge(rw->len);
		if (gsd_reserve(s, *charge)) {
			*charge = 0;
			if (s->rw_spare_busy)
				ret = -ENOMEM;
			else
				s->rw_spare_busy = true;
		}
	}
	mutex_unlock(&s->lock);
	return ret;
}

/*
 * Copy @n bytes, @done bytes into the range of @rw, between the object
 * and @bounce: into the object for a WRITE (@write), out of it for a
 * READ.  Under the mutex, which keeps the object alive; it may have been
 * freed since the last piece.  Its length never changes, so the range
 * checked at the start still fits.
 */
static int gsd_rw_piece(struct gsd_session *s, const struct goslab_ioc_rw *rw,
			u64 done, size_t n, void *bounce, bool write)
{
	struct gsd_object *o;

	if (gsd_lock(s))
		return -EINTR;
	o = gsd_lookup_object(s, rw->handle);
	if (o && write)
		memcpy(o->p + rw->offset + done, bounce, n);
	else if (o)
		memcpy(bounce, o->p + rw->offset + done, n);
	mutex_unlock(&s->lock);
	return o ? 0 : -ENOENT;
}

/*
 * READ and WRITE copy through a bounce buffer of at most
 * GOSLAB_DEV_RW_PIECE bytes, a piece at a time: the user copy outside the
 * mutex, the object copy inside.  So a fault on user memory, however
 * long it waits, holds up only its own thread, a piece never sees the
 * object freed under it, and the buffer's size is bounded whatever the
 * length.  A WRITE fetches each piece before it touches the object.  The
 * buffer is charged to the session's cap while the command runs, or
 * takes the session's one spare: any number of threads stuck in faults
 * pin no more than the cap and one piece.
 */
static int gsd_rw(struct gsd_session *s, void __user *uarg, bool write)
{
	struct goslab_ioc_rw rw;
	void __user *ubuf;
	size_t n, max;
	void *bounce;
	u64 done, charge = 0;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&rw, sizeof(rw), GOSLAB_RW_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (rw.flags)
		return -EINVAL;

	/* Check, and charge, before allocating the bounce buffer. */
	ret = gsd_rw_check(s, &rw, &charge);
	if (ret || !rw.len)
		return ret;

	max = min_t(u64, rw.len, GOSLAB_DEV_RW_PIECE);
	bounce = kvmalloc(max, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!bounce) {
		ret = -ENOMEM;
		goto uncharge;
	}
	ubuf = u64_to_user_ptr(rw.buf);
	for (done = 0; done < rw.len; done += n) {
		n = min_t(u64, rw.len - done, max);
		if (write && copy_from_user(bounce, ubuf + done, n)) {
			ret = -EFAULT;
			break;
		}
		ret = gsd_rw_piece(s, &rw, done, n, bounce, write);
		if (ret)
			break;
		if (!write && copy_to_user(ubuf + done, bounce, n)) {
			ret = -EFAULT;
			break;
		}
		cond_resched();
	}
	kvfree(bounce);
uncharge:
	/* Not killable: the charge or the spare must go back. */
	mutex_lock(&s->lock);
	if (charge)
		gsd_unreserve(s, charge);
	else
		s->rw_spare_busy = false;
	mutex_unlock(&s->lock);
	return ret;
}

static int gsd_usable_size(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_usable u;
	struct gsd_object *o;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&u, sizeof(u), GOSLAB_USABLE_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (u.flags || u.pad)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	o = gsd_lookup_object(s, u.handle);
	if (o) {
		u.len = o->len;
		u.usable = goslab_usable_size(o->p);
		u.tier = gsd_tier(o->p);
	}
	mutex_unlock(&s->lock);
	if (!o)
		return -ENOENT;
	return gsd_copy_out(uarg, &u, sizeof(u), usize);
}

static int gsd_cache_create(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_cache_create cc;
	struct gsd_cache *c;
	char name[32];
	u32 usize;
	int ret;

	ret = gsd_copy_in(&cc, sizeof(cc), GOSLAB_CACHE_CREATE_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (cc.flags & ~GOSLAB_CACHE_CTOR)
		return -EINVAL;
	if (!cc.obj_size || cc.obj_size > GOSLAB_DEV_MAX_CACHE_OBJ)
		return -EINVAL;
	if ((cc.flags & GOSLAB_CACHE_CTOR) &&
	    cc.obj_size < sizeof(u64))
		return -EINVAL;
	if (cc.align && (!is_power_of_2(cc.align) ||
			 cc.align > GOSLAB_DEV_MAX_CACHE_ALIGN))
		return -EINVAL;

	ret = gsd_reserve_slot(s, &s->nr_caches, GOSLAB_DEV_MAX_CACHES,
			       GOSLAB_DEV_CACHE_CHARGE);
	if (ret)
		return ret;

	ret = -ENOMEM;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		goto unreserve;
	c->e.kind = GSD_CACHE;
	c->obj_size = cc.obj_size;
	c->ctor = cc.flags & GOSLAB_CACHE_CTOR;
	/* goslab copies the name. */
	snprintf(name, sizeof(name), "dev-%u",
		 atomic_inc_return(&gsd_next_cache));
	c->c = goslab_cache_create(name, cc.obj_size, cc.align,
				   c->ctor ? gsd_ctor : NULL);
	if (!c->c) {
		kfree(c);
		goto unreserve;
	}
	c->obj_charge = gsd_obj_charge(goslab_cache_footprint(c->c));

	mutex_lock(&s->lock);
	ret = gsd_install(s, &c->e, &cc.handle);
	if (ret)
		gsd_cache_free(s, c);	/* gives the reservation back */
	mutex_unlock(&s->lock);
	if (ret)
		return ret;
	return gsd_copy_out_or_undo(s, uarg, &cc, sizeof(cc), usize, cc.handle,
				    GSD_CACHE);

unreserve:
	mutex_lock(&s->lock);
	gsd_unreserve(s, GOSLAB_DEV_CACHE_CHARGE);
	s->nr_caches--;
	mutex_unlock(&s->lock);
	return ret;
}

static int gsd_cache_alloc(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_cache_alloc ca;
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	struct gsd_object *o;
	struct gsd_cache *c;
	u64 charge = 0;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&ca, sizeof(ca), GOSLAB_CACHE_ALLOC_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (ca.flags & ~GOSLAB_ALLOC_ZERO)
		return -EINVAL;
	if (ca.flags & GOSLAB_ALLOC_ZERO)
		gfp |= __GFP_ZERO;

	if (gsd_lock(s))
		return -EINTR;
	c = gsd_lookup_cache(s, ca.cache);
	if (!c) {
		ret = -ENOENT;
	} else if (c->ctor && (ca.flags & GOSLAB_ALLOC_ZERO)) {
		/* Zeroing would undo the constructor's work. */
		ret = -EINVAL;
	} else {
		charge = c->obj_charge;
		ret = gsd_reserve(s, charge);
		/* Pins the cache: it cannot be destroyed from under us. */
		if (!ret)
			c->nr_objects++;
	}
	mutex_unlock(&s->lock);
	if (ret)
		return ret;

	ret = -ENOMEM;
	o = kzalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		goto unreserve;
	o->p = goslab_cache_alloc(c->c, gfp);
	if (!o->p) {
		kfree(o);
		goto unreserve;
	}
	/*
	 * The constructor's work is the point of a cache that has one.  Its
	 * objects hold no stale data all the same: goslab carved them from
	 * zeroed memory, and only this session has used them since.
	 */
	if (!c->ctor && !(ca.flags & GOSLAB_ALLOC_ZERO))
		memset(o->p, GOSLAB_DEV_FILL_BYTE, c->obj_size);
	o->e.kind = GSD_OBJECT;
	o->len = c->obj_size;
	o->charge = charge;
	o->cache = c;
	return gsd_object_publish(s, o, uarg, &ca, &ca.handle, usize,
				  sizeof(ca));

unreserve:
	mutex_lock(&s->lock);
	c->nr_objects--;
	gsd_unreserve(s, charge);
	mutex_unlock(&s->lock);
	return ret;
}

static int gsd_cache_free_obj(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_cache_free cf;
	struct gsd_object *o;
	struct gsd_cache *c;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&cf, sizeof(cf), GOSLAB_CACHE_FREE_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (cf.flags)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	c = gsd_lookup_cache(s, cf.cache);
	o = gsd_lookup_object(s, cf.handle);
	if (!c || !o) {
		ret = -ENOENT;
	} else if (o->cache != c) {
		ret = -EINVAL;
	} else {
		gsd_uninstall(s, cf.handle);
		gsd_object_free(s, o);
	}
	mutex_unlock(&s->lock);
	return ret;
}

static int gsd_cache_destroy(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_cache_destroy cd;
	struct gsd_cache *c;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&cd, sizeof(cd), GOSLAB_CACHE_DESTROY_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (cd.flags)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	c = gsd_lookup_cache(s, cd.cache);
	if (!c) {
		ret = -ENOENT;
	} else if (c->nr_objects) {
		/* goslab would keep it as a zombie; refuse instead. */
		ret = -EBUSY;
	} else {
		gsd_uninstall(s, cd.cache);
		gsd_cache_free(s, c);
	}
	mutex_unlock(&s->lock);
	return ret;
}

static int gsd_stats(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_stats st;
	struct goslab_stats g;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&st, sizeof(st), GOSLAB_STATS_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (st.flags & ~GOSLAB_STATS_TRIM)
		return -EINVAL;

	st.trimmed = 0;
	if (st.flags & GOSLAB_STATS_TRIM)
		st.trimmed = goslab_trim();
	goslab_get_stats(&g);
	st.pages_held = g.pages_held;
	st.pages_in_use = g.pages_in_use;
	st.pages_free = g.pages_free;
	st.pages_released = g.pages_released;
	st.objects_in_use = g.objects_in_use;
	st.bytes_in_use = g.bytes_in_use;
	st.objects_cached = g.objects_cached;
	st.large_in_use = g.large_in_use;
	st.debug_double_free = g.debug_double_free;
	st.debug_invalid_free = g.debug_invalid_free;
	st.debug_poison_corrupt = g.debug_poison_corrupt;

	if (gsd_lock(s))
		return -EINTR;
	st.session_charged = s->charged + atomic64_read(&s->gc_charged);
	st.session_objects = s->nr_objects;
	st.session_caches = s->nr_caches;
	mutex_unlock(&s->lock);
	return gsd_copy_out(uarg, &st, sizeof(st), usize);
}

/*
 * The release callback of every device GC type: the object is dead.  No
 * session lock (see struct gsd_session); the session outlives its heaps.
 */
static void gsd_gc_release(void *obj)
{
	struct gsd_gc_hdr *hd = obj;
	struct gsd_gc_type *gt = hd->gt;
	struct gsd_session *s = gt->gh->s;

	xa_erase(&s->gc_live, hd->id);
	atomic64_dec(&gt->gh->nr_live);
	atomic64_sub(gt->charge, &s->gc_charged);
}

static int gsd_gc_heap_create(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_gc_heap_create hc;
	struct gsd_gc_heap *gh;
	char name[32];
	u32 usize;
	int ret;

	ret = gsd_copy_in(&hc, sizeof(hc), GOSLAB_GC_HEAP_CREATE_SIZE_VER0,
			  uarg, &usize);
	if (ret)
		return ret;
	if (hc.flags & ~GOSLAB_GC_HEAP_MANUAL)
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
	if (hc.flags & GOSLAB_GC_HEAP_MANUAL)
		goslab_gc_set_percent(gh->h, -1);

	mutex_lock(&s->lock);
	ret = gsd_install(s, &gh->e, &hc.handle);
	mutex_unlock(&s->lock);
	if (!ret) {
		/*
		 * Written back without the mutex: see gsd_copy_out_or_undo().
		 * Should that fail, the heap stays with the session until it
		 * closes, as a GC type does: another thread may be using it
		 * through its handle already, and GC_COLLECT and GC_STATS use
		 * a heap after dropping the mutex, so it must outlive them.
		 */
		if (gsd_copy_out(uarg, &hc, sizeof(hc), usize))
			return -EFAULT;
		return 0;
	}
	/* Not installed: nothing was allocated on it, nothing to release. */
	goslab_gc_heap_destroy(gh->h);
	kfree(gh);
unreserve:
	mutex_lock(&s->lock);
	gsd_unreserve(s, GOSLAB_DEV_GC_HEAP_CHARGE);
	s->nr_gc_heaps--;
	mutex_unlock(&s->lock);
	return ret;
}

static int gsd_gc_type_create(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_gc_type_create tc;
	struct gsd_gc_type *gt = NULL;
	unsigned int *offs = NULL;
	struct gsd_gc_heap *gh;
	u32 usize, size, i;
	int ret;

	ret = gsd_copy_in(&tc, sizeof(tc), GOSLAB_GC_TYPE_CREATE_SIZE_VER0,
			  uarg, &usize);
	if (ret)
		return ret;
	if (tc.flags || tc.nr_ptrs > GOSLAB_DEV_MAX_GC_PTRS ||
	    tc.data_size > GOSLAB_DEV_MAX_GC_DATA)
		return -EINVAL;
	size = struct_size_t(struct gsd_gc_hdr, ptrs, tc.nr_ptrs) +
	       tc.data_size;

	/* The handle, then the cap, then the allocations. */
	if (gsd_lock(s))
		return -EINTR;
	gh = gsd_lookup_gc_heap(s, tc.heap);
	if (!gh) {
		ret = -ENOENT;
		goto unlock;
	}
	ret = gsd_reserve(s, GOSLAB_DEV_GC_TYPE_CHARGE);
	if (ret)
		goto unlock;
	ret = -ENOMEM;
	gt = kzalloc(sizeof(*gt), GFP_KERNEL_ACCOUNT);
	offs = kmalloc_array(max(tc.nr_ptrs, 1U), sizeof(*offs),
			     GFP_KERNEL_ACCOUNT);
	if (!gt || !offs)
		goto unreserve;
	for (i = 0; i < tc.nr_ptrs; i++)
		offs[i] = offsetof(struct gsd_gc_hdr, ptrs) + i * sizeof(void *);
	gt->t = goslab_gc_type_create(gh->h, "dev", size, offs, tc.nr_ptrs,
				      gsd_gc_release);
	if (!gt->t)
		goto unreserve;
	gt->e.kind = GSD_GC_TYPE;
	gt->gh = gh;
	gt->nr_ptrs = tc.nr_ptrs;
	gt->charge = gsd_obj_charge(goslab_gc_type_footprint(gt->t));
	/*
	 * A GC type cannot be destroyed before its heap: from here it stays
	 * on the heap's list, and charged, even if user space never learns
	 * its handle, so that failed calls cannot pile up types beyond the cap.
	 */
	list_add_tail(&gt->node, &gh->types);
	ret = gsd_install(s, &gt->e, &tc.handle);
	mutex_unlock(&s->lock);
	kfree(offs);
	if (ret)
		return ret;
	return gsd_copy_out_or_undo(s, uarg, &tc, sizeof(tc), usize, tc.handle,
				    GSD_GC_TYPE);

unreserve:
	gsd_unreserve(s, GOSLAB_DEV_GC_TYPE_CHARGE);
unlock:
	mutex_unlock(&s->lock);
	kfree(offs);
	kfree(gt);
	return ret;
}

/*
 * Free GC handle @r, once uninstalled or before it was: its root goes (the
 * object lives on only if reachable otherwise), and so does its charge.
 */
static void gsd_gc_ref_free(struct gsd_session *s, struct gsd_gc_ref *r)
{
	lockdep_assert_held(&s->lock);
	goslab_gc_root_del(r->gt->gh->h, &r->slot);
	r->gt->gh->nr_refs--;
	gsd_unreserve(s, GOSLAB_DEV_OBJ_CHARGE);
	kfree(r);
}

static int gsd_gc_alloc(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_gc_alloc a;
	struct gsd_gc_ref *r = NULL;
	struct goslab_gc_heap *h;
	struct gsd_gc_type *gt;
	struct gsd_gc_hdr *hd;
	u32 usize;
	int ret, tok;
	u64 id;

	ret = gsd_copy_in(&a, sizeof(a), GOSLAB_GC_ALLOC_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;

	/* The handle, then the limits, then the allocations. */
	if (gsd_lock(s))
		return -EINTR;
	gt = gsd_lookup_gc_type(s, a.type);
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
	ret = gsd_reserve_gc(s, gt->charge);
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
	ret = gsd_install(s, &r->e, &a.handle);
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
		gsd_uninstall(s, a.handle);
		goto root_del;
	}
	s->gc_serial = id;
	atomic64_inc(&gt->gh->nr_live);
	gt->gh->nr_refs++;
	a.id = id;
	mutex_unlock(&s->lock);
	/* If that fails the object is garbage; a collection releases it. */
	return gsd_copy_out_or_undo(s, uarg, &a, sizeof(a), usize, a.handle,
				    GSD_GC_REF);

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

static int gsd_gc_store_cmd(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_gc_store st;
	struct gsd_gc_ref *dst, *src = NULL;
	struct goslab_gc_heap *h;
	struct gsd_gc_hdr *hd;
	u32 usize, field;
	int ret, tok;

	ret = gsd_copy_in(&st, sizeof(st), GOSLAB_GC_STORE_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (st.flags || st.pad)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	dst = gsd_lookup_gc_ref(s, st.dst);
	if (st.src)
		src = gsd_lookup_gc_ref(s, st.src);
	if (!dst || (st.src && !src)) {
		ret = -ENOENT;
	} else if (st.field >= dst->gt->nr_ptrs ||
		   (src && src->gt->gh != dst->gt->gh)) {
		/* Out of the object, or into another heap. */
		ret = -EINVAL;
	} else {
		field = array_index_nospec(st.field, dst->gt->nr_ptrs);
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

static int gsd_gc_load_cmd(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_gc_load ld;
	struct gsd_gc_hdr *hd, *target = NULL;
	struct gsd_gc_ref *src, *r = NULL;
	struct goslab_gc_heap *h;
	u32 usize, field;
	int ret, tok;

	ret = gsd_copy_in(&ld, sizeof(ld), GOSLAB_GC_LOAD_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (ld.flags || ld.pad)
		return -EINVAL;

	/* The handle, then the field and the cap, then the allocations. */
	if (gsd_lock(s))
		return -EINTR;
	src = gsd_lookup_gc_ref(s, ld.src);
	if (!src) {
		ret = -ENOENT;
		goto unlock;
	}
	if (ld.field >= src->gt->nr_ptrs) {
		ret = -EINVAL;
		goto unlock;
	}
	field = array_index_nospec(ld.field, src->gt->nr_ptrs);
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
		ld.id = target->id;
		r->gt = target->gt;
	}
	goslab_gc_exit(h, tok);
	ld.handle = 0;
	if (target) {
		r->gt->gh->nr_refs++;
		ret = gsd_install(s, &r->e, &ld.handle);
		if (ret) {
			gsd_gc_ref_free(s, r);
			goto unlock_nofree;
		}
	} else {
		ld.id = 0;
		goslab_gc_root_del(h, &r->slot);
		gsd_unreserve(s, GOSLAB_DEV_OBJ_CHARGE);
		kfree(r);
	}
	mutex_unlock(&s->lock);
	if (!target)
		return gsd_copy_out(uarg, &ld, sizeof(ld), usize);
	return gsd_copy_out_or_undo(s, uarg, &ld, sizeof(ld), usize, ld.handle,
				    GSD_GC_REF);

unlock_nofree:
	mutex_unlock(&s->lock);
	return ret;

unlock:
	mutex_unlock(&s->lock);
	kfree(r);
	return ret;
}

static int gsd_gc_drop(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_gc_drop d;
	struct gsd_gc_ref *r;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&d, sizeof(d), GOSLAB_GC_DROP_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (d.flags)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	r = gsd_lookup_gc_ref(s, d.handle);
	if (r) {
		gsd_uninstall(s, d.handle);
		gsd_gc_ref_free(s, r);
	}
	mutex_unlock(&s->lock);
	return r ? 0 : -ENOENT;
}

static int gsd_gc_collect(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_gc_collect c;
	struct gsd_gc_heap *gh;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&c, sizeof(c), GOSLAB_GC_COLLECT_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (c.flags)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	gh = gsd_lookup_gc_heap(s, c.heap);
	mutex_unlock(&s->lock);
	if (!gh)
		return -ENOENT;
	/* Without the lock, outside any section: see struct gsd_session. */
	goslab_gc_collect(gh->h);
	return 0;
}

static int gsd_gc_alive(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_gc_alive a;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&a, sizeof(a), GOSLAB_GC_ALIVE_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (a.flags || a.pad)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	if (!a.id || a.id > s->gc_serial)
		ret = -ENOENT;
	else
		a.alive = !!xa_load(&s->gc_live, a.id);
	mutex_unlock(&s->lock);
	if (ret)
		return ret;
	return gsd_copy_out(uarg, &a, sizeof(a), usize);
}

static int gsd_gc_stats(struct gsd_session *s, void __user *uarg)
{
	struct goslab_ioc_gc_stats st;
	struct goslab_gc_stats g;
	struct gsd_gc_heap *gh;
	u32 usize;
	int ret;

	ret = gsd_copy_in(&st, sizeof(st), GOSLAB_GC_STATS_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (st.flags)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	gh = gsd_lookup_gc_heap(s, st.heap);
	if (gh)
		st.handles = gh->nr_refs;
	mutex_unlock(&s->lock);
	if (!gh)
		return -ENOENT;
	goslab_gc_get_stats(gh->h, &g);
	st.cycles = g.cycles;
	st.heap_alloc = g.heap_alloc;
	st.heap_live = g.heap_live;
	st.heap_goal = g.heap_goal;
	st.objects = g.objects;
	st.objects_marked = g.objects_marked;
	st.objects_freed = g.objects_freed;
	st.objects_released = g.objects_released;
	st.bad_pointers = g.bad_pointers;
	st.live_objects = atomic64_read(&gh->nr_live);
	return gsd_copy_out(uarg, &st, sizeof(st), usize);
}

/*
 * Close: destroy the GC heaps first, which releases every object left
 * (their callbacks still find the records), then free the records.
 */
static void gsd_gc_release_all(struct gsd_session *s)
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
}

static long gsd_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct gsd_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case GOSLAB_IOC_VERSION:
		return gsd_version(s, uarg);
	case GOSLAB_IOC_ALLOC:
		return gsd_alloc(s, uarg);
	case GOSLAB_IOC_FREE:
		return gsd_free(s, uarg);
	case GOSLAB_IOC_WRITE:
		return gsd_rw(s, uarg, true);
	case GOSLAB_IOC_READ:
		return gsd_rw(s, uarg, false);
	case GOSLAB_IOC_USABLE_SIZE:
		return gsd_usable_size(s, uarg);
	case GOSLAB_IOC_CACHE_CREATE:
		return gsd_cache_create(s, uarg);
	case GOSLAB_IOC_CACHE_ALLOC:
		return gsd_cache_alloc(s, uarg);
	case GOSLAB_IOC_CACHE_FREE:
		return gsd_cache_free_obj(s, uarg);
	case GOSLAB_IOC_CACHE_DESTROY:
		return gsd_cache_destroy(s, uarg);
	case GOSLAB_IOC_STATS:
		return gsd_stats(s, uarg);
	case GOSLAB_IOC_GC_HEAP_CREATE:
		return gsd_gc_heap_create(s, uarg);
	case GOSLAB_IOC_GC_TYPE_CREATE:
		return gsd_gc_type_create(s, uarg);
	case GOSLAB_IOC_GC_ALLOC:
		return gsd_gc_alloc(s, uarg);
	case GOSLAB_IOC_GC_STORE:
		return gsd_gc_store_cmd(s, uarg);
	case GOSLAB_IOC_GC_LOAD:
		return gsd_gc_load_cmd(s, uarg);
	case GOSLAB_IOC_GC_DROP:
		return gsd_gc_drop(s, uarg);
	case GOSLAB_IOC_GC_COLLECT:
		return gsd_gc_collect(s, uarg);
	case GOSLAB_IOC_GC_ALIVE:
		return gsd_gc_alive(s, uarg);
	case GOSLAB_IOC_GC_STATS:
		return gsd_gc_stats(s, uarg);
	default:
		return -ENOTTY;
	}
}

static int gsd_open(struct inode *inode, struct file *file)
{
	struct gsd_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	xa_init_flags(&s->handles, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);
	xa_init_flags(&s->gc_live, XA_FLAGS_ACCOUNT);
	atomic64_set(&s->gc_charged, 0);
	s->next_index = 1;
	s->gen_base = get_random_u32();
	s->cap = (u64)READ_ONCE(session_cap_kb) * SZ_1K;
	file->private_data = s;
	return nonseekable_open(inode, file);
}

static int gsd_release(struct inode *inode, struct file *file)
{
	struct gsd_session *s = file->private_data;
	struct gsd_entry *e;
	unsigned long index;

	/* The last reference: no ioctl can run, but the helpers want it. */
	mutex_lock(&s->lock);
	gsd_gc_release_all(s);
	/* Objects first: a cache can only go once its objects are gone. */
	xa_for_each(&s->handles, index, e) {
		if (e->kind != GSD_OBJECT)
			continue;
		xa_erase(&s->handles, index);
		gsd_object_free(s, container_of(e, struct gsd_object, e));
		/* A session may hold millions of objects. */
		cond_resched();
	}
	xa_for_each(&s->handles, index, e) {
		xa_erase(&s->handles, index);
		gsd_cache_free(s, container_of(e, struct gsd_cache, e));
		cond_resched();
	}
	WARN_ON_ONCE(s->charged || s->nr_objects || s->nr_caches);
	mutex_unlock(&s->lock);

	xa_destroy(&s->handles);
	xa_destroy(&s->gc_live);
	mutex_destroy(&s->lock);
	kfree(s);
	return 0;
}

static const struct file_operations gsd_fops = {
	.owner		= THIS_MODULE,
	.open		= gsd_open,
	.release	= gsd_release,
	.unlocked_ioctl	= gsd_ioctl,
	/* The structs are the same for 32-bit callers: no holes, no longs. */
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice gsd_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= GOSLAB_DEVICE_NAME,
	.fops	= &gsd_fops,
	.mode	= 0600,		/* root only: sessions pin kernel memory */
};

/* Each struct's first version, as baked into the command numbers. */
static void __init gsd_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct goslab_ioc_version) != GOSLAB_VERSION_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_alloc) != GOSLAB_ALLOC_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_free) != GOSLAB_FREE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_rw) != GOSLAB_RW_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_usable) != GOSLAB_USABLE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_cache_create) !=
		     GOSLAB_CACHE_CREATE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_cache_alloc) !=
		     GOSLAB_CACHE_ALLOC_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_cache_free) !=
		     GOSLAB_CACHE_FREE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_cache_destroy) !=
		     GOSLAB_CACHE_DESTROY_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_stats) != GOSLAB_STATS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_gc_heap_create) !=
		     GOSLAB_GC_HEAP_CREATE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_gc_type_create) !=
		     GOSLAB_GC_TYPE_CREATE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_gc_alloc) != GOSLAB_GC_ALLOC_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_gc_store) != GOSLAB_GC_STORE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_gc_load) != GOSLAB_GC_LOAD_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_gc_drop) != GOSLAB_GC_DROP_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_gc_collect) !=
		     GOSLAB_GC_COLLECT_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_gc_alive) != GOSLAB_GC_ALIVE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct goslab_ioc_gc_stats) != GOSLAB_GC_STATS_SIZE_VER0);
	/* Every GC type fits goslab_gc_type_create()'s limit. */
	BUILD_BUG_ON(sizeof(struct gsd_gc_hdr) + GOSLAB_DEV_MAX_GC_PTRS *
		     sizeof(void *) + GOSLAB_DEV_MAX_GC_DATA > SZ_4M);
	/* gsd_object_publish() sets the size field through a u32 *. */
	BUILD_BUG_ON(offsetof(struct goslab_ioc_alloc, size) != 0);
	BUILD_BUG_ON(offsetof(struct goslab_ioc_cache_alloc, size) != 0);
	/* Limits the uapi promises that goslab must be able to keep. */
	BUILD_BUG_ON(GOSLAB_DEV_MAX_CACHE_OBJ > GOSLAB_MAX_SMALL_SIZE);
	BUILD_BUG_ON(GOSLAB_DEV_MAX_CACHE_ALIGN > GS_PAGE_SIZE);
}

/**
 * goslab_dev_init() - register /dev/goslab
 *
 * Called by goslab's module init once the allocator works.
 *
 * Return: 0 or a negative errno from misc_register().
 */
int __init goslab_dev_init(void)
{
	gsd_check_abi();
	return misc_register(&gsd_misc);
}

/**
 * goslab_dev_exit() - unregister /dev/goslab
 *
 * Called by goslab's module exit.  No session is left: each open file
 * holds a reference on the module.
 */
void goslab_dev_exit(void)
{
	misc_deregister(&gsd_misc);
}
