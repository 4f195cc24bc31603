/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dev.h: what the files of /dev/goslab share: the session and its handles
 * (session.c), a command's argument (dev.c), and the commands the table
 * in dev.c dispatches to (object.c, cache.c, gc.c, stats.c).  Only for
 * module/dev/; the layer below is include/linux/goslab.h.
 */
#ifndef _GOSLAB_DEV_H
#define _GOSLAB_DEV_H

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/container_of.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <linux/goslab.h>

struct file;
struct inode;

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
 * @ctor: it has gsd_cache_ctor() as constructor
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

/**
 * struct gsd_session - one open file of /dev/goslab
 * @lock: protects everything below but @gc_live and @gc_charged, and the
 *	objects, caches, GC heaps, types and handles that @handles leads to;
 *	held across GC sections, never across an access to user memory (a
 *	fault may wait as long as user space likes: userfaultfd, FUSE), and
 *	taken killably where a command starts (gsd_lock())
 * @handles: index -> struct gsd_entry in a gsd_object, gsd_cache or one
 *	of gc.c's records.  The xarray locks itself too, but every lookup,
 *	store and erase is done under @lock, which is what makes a lookup
 *	and what follows atomic.
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
 * @rw_spare_busy: a READ or WRITE runs whose bounce buffer did not fit
 *	in @cap: one such at a time (gsd_rw_reserve())
 * @gc_charged: bytes GC objects charge to @cap; added under @lock by
 *	gsd_gc_reserve(), subtracted by release callbacks without it, so
 *	@charged + @gc_charged <= @cap always holds
 * @nr_gc_heaps: GC heaps held, or being created
 * @gc_serial: ids GC_ALLOC gave out; the next object gets @gc_serial + 1
 * @gc_live: id -> xa_mk_value(0) while the object is allocated; erased by
 *	its release callback, so an id absent below @gc_serial is dead
 *
 * The fields from @gc_charged on are the GC commands' (gc.c), which has
 * their locking rules beside its records.
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
	bool rw_spare_busy;
	atomic64_t gc_charged;
	unsigned int nr_gc_heaps;
	u64 gc_serial;
	struct xarray gc_live;
};

/*
 * Removes what @handle names, with the session's mutex held: the undo of
 * a command whose handle did not reach user space (gsd_arg.undo).
 */
typedef int (*gsd_remove_fn)(struct gsd_session *s, u64 handle);

/**
 * struct gsd_arg - the argument struct of the command running
 * @user: the caller's struct
 * @usize: its size as the caller knows it, from its size field
 * @ksize: its size in this kernel
 * @k: the kernel's copy, which the handler reads and fills in; dev.c
 *	copies it in before the handler runs and, for a command that
 *	returns data, out after it succeeded
 * @handle: the handle the command gave out, which @k carries to the caller
 * @undo: removes @handle should the copy out fail, or NULL to leave
 *	what it names with the session; set by gsd_install()
 */
struct gsd_arg {
	void __user *user;
	u32 usize;
	u32 ksize;
	void *k;
	u64 handle;
	gsd_remove_fn undo;
};

/* Each command: GOSLAB_IOC_<NAME> is gsd_cmd_<name>(). */
typedef int (*gsd_cmd_fn)(struct gsd_session *s, struct gsd_arg *a);

/**
 * struct gsd_copy - a u64 a command copies from a kernel struct into the
 *	field of the same name of its uapi struct
 * @from: the field's offset in the kernel struct
 * @to: its offset in the uapi struct
 *
 * A command that reports a kernel struct's counters keeps a table of
 * these, made with GSD_COPY(), and hands it to gsd_copy_fields(): a
 * counter the uapi struct gains is one more line of its table.
 */
struct gsd_copy {
	u16 from;
	u16 to;
};

/*
 * The struct gsd_copy of @field, a u64 in both @kstruct and @ustruct; it
 * does not build if either lacks the field or has it of another size.
 * @field is variadic only for checkpatch, which cannot tell a field name
 * used four times from an expression with side effects.
 */
#define GSD_COPY(kstruct, ustruct, field...) {				\
	.from = offsetof(kstruct, field) +				\
		BUILD_BUG_ON_ZERO(sizeof_field(kstruct, field) != sizeof(u64)), \
	.to = offsetof(ustruct, field) +				\
		BUILD_BUG_ON_ZERO(sizeof_field(ustruct, field) != sizeof(u64)), \
}

/* Copy the @n fields of table @c from kernel struct @from to uapi @to. */
static inline void gsd_copy_fields(void *to, const void *from,
				   const struct gsd_copy *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		*(u64 *)((u8 *)to + c[i].to) =
			*(const u64 *)((const u8 *)from + c[i].from);
}

/* session.c: handles, charges, open and close */
int __must_check gsd_lock(struct gsd_session *s);
struct gsd_entry *gsd_lookup(struct gsd_session *s, u64 handle,
			     enum gsd_kind kind);
int gsd_install(struct gsd_session *s, struct gsd_arg *a,
		struct gsd_entry *e, u64 *handle, gsd_remove_fn undo);
void gsd_uninstall(struct gsd_session *s, u64 handle);
int gsd_remove(struct gsd_session *s, u64 handle, gsd_remove_fn remove);
u64 gsd_charged(struct gsd_session *s);
u64 gsd_obj_charge(size_t footprint);
int gsd_reserve(struct gsd_session *s, u64 bytes);
void gsd_unreserve(struct gsd_session *s, u64 bytes);
int gsd_reserve_slot(struct gsd_session *s, unsigned int *nr,
		     unsigned int max, u64 bytes);
void gsd_unreserve_slot(struct gsd_session *s, unsigned int *nr, u64 bytes);
int gsd_open(struct inode *inode, struct file *file);
int gsd_release(struct inode *inode, struct file *file);

/*
 * The live entry of @kind that @handle names, as the struct of @type it is
 * member e of, or NULL.
 */
#define gsd_find(s, handle, type, kind) ({				\
	struct gsd_entry *__e = gsd_lookup(s, handle, kind);		\
	__e ? container_of(__e, type, e) : NULL;			\
})

/* object.c: objects */
int gsd_object_create(struct gsd_session *s, struct gsd_arg *a,
		      u64 *handle, struct gsd_cache *c, u64 len, u64 charge,
		      u32 flags);
void gsd_object_discard(struct gsd_session *s, struct gsd_object *o);
int gsd_cmd_alloc(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_free(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_write(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_read(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_usable_size(struct gsd_session *s, struct gsd_arg *a);

/* cache.c: caches */
void gsd_cache_destroy(struct gsd_session *s, struct gsd_cache *c);
int gsd_cmd_cache_create(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_cache_alloc(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_cache_free(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_cache_destroy(struct gsd_session *s, struct gsd_arg *a);

/* stats.c: what goslab and the session report */
int gsd_cmd_version(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_stats(struct gsd_session *s, struct gsd_arg *a);

/*
 * gc.c: garbage-collected heaps, the GC session state.  Without the
 * collector (GOSLAB_GC 0) there is no gc.c: a session has no GC state
 * and the GC commands' entries in dev.c have no handler.
 */
#if GOSLAB_GC
void gsd_gc_open(struct gsd_session *s);
void gsd_gc_close(struct gsd_session *s);
#else
static inline void gsd_gc_open(struct gsd_session *s) { }
static inline void gsd_gc_close(struct gsd_session *s) { }
#endif
int gsd_cmd_gc_heap_create(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_gc_type_create(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_gc_alloc(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_gc_store(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_gc_load(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_gc_drop(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_gc_collect(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_gc_alive(struct gsd_session *s, struct gsd_arg *a);
int gsd_cmd_gc_stats(struct gsd_session *s, struct gsd_arg *a);

/* dev.c: the misc device, which module/main.c starts and stops. */
int goslab_dev_init(void);
void goslab_dev_exit(void);

#endif /* _GOSLAB_DEV_H */
