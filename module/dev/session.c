// SPDX-License-Identifier: GPL-2.0
/*
 * session.c: a session of /dev/goslab, goslab driven from user space:
 * its handles, its charges against its cap, its open and its close.
 *
 * Each open file is a session (struct gsd_session) that owns the objects
 * and caches it creates; closing the file frees all of them.  User space
 * names them by handles: the low 32 bits are an index in the session's
 * xarray, the high 32 bits a generation that is different for every handle
 * the session ever issues (struct gsd_entry).  Lookups compare both, so a
 * handle whose object was freed is stale for good: it can neither reach
 * nor be mistaken for a later object.  No kernel address ever leaves the
 * kernel.  include/uapi/linux/goslab.h has the commands and their structs,
 * dev.c their table, Documentation/userspace-api.rst every errno.
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
 * Locking rules: struct gsd_session (dev.h).
 *
 * User memory is never touched with the mutex held: a fault may wait as
 * long as user space likes (userfaultfd, FUSE), and would hold up every
 * thread of the session.  Results are written back after the mutex is
 * dropped, undoing the command if that fails (gsd_copy_out_or_undo() in
 * dev.c); READ and WRITE copy through a bounce buffer a piece at a time
 * (gsd_rw() in object.c).
 *
 * Copies between user space and goslab objects, against
 * CONFIG_HARDENED_USERCOPY (check_heap_object() in mm/usercopy.c): only
 * the bounce buffer of GOSLAB_IOC_READ and GOSLAB_IOC_WRITE, from
 * kvmalloc(), meets copy_to_user() and copy_from_user(): a kmalloc bucket,
 * whose usercopy window is the whole object, a large kmalloc's pages, or
 * a vmalloc area that covers the whole buffer.  The object's bytes move
 * to and from it with memcpy(), under the mutex that keeps the object
 * alive.  The ioctl argument structs live on the stack (gsd_ioctl()): the
 * stack check.
 */

#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <uapi/linux/goslab.h>

#include "dev.h"

static unsigned int session_cap_kb = 64 * 1024;
module_param(session_cap_kb, uint, 0644);
MODULE_PARM_DESC(session_cap_kb,
		 "Memory (KiB) one open file of /dev/goslab may hold at once, objects and bookkeeping; read at open (default 64 MiB)");

/*
 * The handle's generation is 32 bits wide: after 2^32 handles a session
 * could hand out an old (index, generation) pair again.  It refuses to
 * instead (ENOSPC); a new session starts afresh.
 */
#define GSD_MAX_HANDLES		BIT_ULL(32)

/*
 * Take the session's mutex at the start of a command, killably: nothing
 * holds it across a wait on user memory, but should a command wait long
 * for it anyway, the caller can still be killed.  The paths that finish
 * or undo what a command began take it with mutex_lock(): they must not
 * fail, and wait only for other commands' short sections.
 */
int __must_check gsd_lock(struct gsd_session *s)
{
	return mutex_lock_killable(&s->lock);
}

/* The entry @handle names if it is live and of @kind, else NULL. */
struct gsd_entry *gsd_lookup(struct gsd_session *s, u64 handle,
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

/**
 * gsd_install() - give an entry a handle and make it reachable
 * @s: the session, its mutex held
 * @a: the command, whose struct carries the handle to the caller
 * @e: the entry
 * @handle: where in @a's struct the handle goes
 * @undo: what removes the entry again should the caller's struct not take
 *	the handle (struct gsd_arg), or NULL to leave it with the session
 *
 * Undo with gsd_uninstall().
 *
 * Return: 0, -ENOSPC when the session has issued all its handles or has
 * no index left, or -ENOMEM.
 */
int gsd_install(struct gsd_session *s, struct gsd_arg *a,
		struct gsd_entry *e, u64 *handle, gsd_remove_fn undo)
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
	a->handle = *handle;
	a->undo = undo;
	return 0;
}

void gsd_uninstall(struct gsd_session *s, u64 handle)
{
	lockdep_assert_held(&s->lock);
	xa_erase(&s->handles, lower_32_bits(handle));
}

/* A command that removes what @handle names, by @remove. */
int gsd_remove(struct gsd_session *s, u64 handle, gsd_remove_fn remove)
{
	int ret;

	if (gsd_lock(s))
		return -EINTR;
	ret = remove(s, handle);
	mutex_unlock(&s->lock);
	return ret;
}

/* All the session has charged to its cap, GC objects included. */
u64 gsd_charged(struct gsd_session *s)
{
	return s->charged + atomic64_read(&s->gc_charged);
}

/*
 * What an object that pins @footprint bytes of goslab's memory costs the
 * session's cap: those bytes, not the length asked for (a 1-byte object
 * of a cache aligned to 8 KiB pins 8 KiB, one of 32769 bytes 40 KiB),
 * and the device's own record.  The footprint comes from goslab
 * (goslab_alloc_footprint() and its kin), which knows its layout.
 */
u64 gsd_obj_charge(size_t footprint)
{
	return (u64)footprint + GOSLAB_DEV_OBJ_CHARGE;
}

/*
 * Charge @bytes to the cap ahead of an allocation.  Whoever reserves gives
 * the bytes back with gsd_unreserve() unless an object keeps them.
 */
int gsd_reserve(struct gsd_session *s, u64 bytes)
{
	lockdep_assert_held(&s->lock);
	if (bytes > s->cap - gsd_charged(s))
		return -ENOMEM;
	s->charged += bytes;
	return 0;
}

void gsd_unreserve(struct gsd_session *s, u64 bytes)
{
	lockdep_assert_held(&s->lock);
	s->charged -= bytes;
}

/*
 * Reserve one of at most @max things a session may hold (*@nr counts
 * them) and charge @bytes for it: -ENOSPC past @max, -ENOMEM past the cap.
 */
int gsd_reserve_slot(struct gsd_session *s, unsigned int *nr,
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

/* Give back a gsd_reserve_slot() that nothing came of. */
void gsd_unreserve_slot(struct gsd_session *s, unsigned int *nr, u64 bytes)
{
	mutex_lock(&s->lock);
	gsd_unreserve(s, bytes);
	(*nr)--;
	mutex_unlock(&s->lock);
}

int gsd_open(struct inode *inode, struct file *file)
{
	struct gsd_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	xa_init_flags(&s->handles, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);
	atomic64_set(&s->gc_charged, 0);
	gsd_gc_open(s);
	s->next_index = 1;
	s->gen_base = get_random_u32();
	s->cap = (u64)READ_ONCE(session_cap_kb) * SZ_1K;
	file->private_data = s;
	return nonseekable_open(inode, file);
}

/* Close: free all the session holds. */
int gsd_release(struct inode *inode, struct file *file)
{
	struct gsd_session *s = file->private_data;
	struct gsd_entry *e;
	unsigned long index;

	/* The last reference: no ioctl can run, but the helpers want it. */
	mutex_lock(&s->lock);
	gsd_gc_close(s);
	/* Objects first: a cache can only go once its objects are gone. */
	xa_for_each(&s->handles, index, e) {
		if (e->kind != GSD_OBJECT)
			continue;
		xa_erase(&s->handles, index);
		gsd_object_discard(s, container_of(e, struct gsd_object, e));
		/* A session may hold millions of objects. */
		cond_resched();
	}
	xa_for_each(&s->handles, index, e) {
		xa_erase(&s->handles, index);
		gsd_cache_destroy(s, container_of(e, struct gsd_cache, e));
		cond_resched();
	}
	WARN_ON_ONCE(s->charged || s->nr_objects || s->nr_caches);
	mutex_unlock(&s->lock);

	xa_destroy(&s->handles);
	mutex_destroy(&s->lock);
	kfree(s);
	return 0;
}
