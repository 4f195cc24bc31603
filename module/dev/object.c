// SPDX-License-Identifier: GPL-2.0
/*
 * object.c: the object commands of /dev/goslab: GOSLAB_IOC_ALLOC, FREE,
 * READ, WRITE and USABLE_SIZE, and the life of an object the session
 * holds, whether from goslab_alloc() or from a cache (cache.c).
 */

#include <linux/build_bug.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <uapi/linux/goslab.h>

#include "dev.h"

/*
 * GOSLAB_IOC_USABLE_SIZE reports goslab_object_tier() as GOSLAB_TIER_*:
 * the kernel's and the uapi's numbers are the same.
 */
static_assert(GOSLAB_TINY == GOSLAB_TIER_TINY);
static_assert(GOSLAB_SMALL == GOSLAB_TIER_SMALL);
static_assert(GOSLAB_LARGE == GOSLAB_TIER_LARGE);
static_assert(GOSLAB_HUGE == GOSLAB_TIER_HUGE);

/*
 * Free the memory of an object that is not reachable (any more), give its
 * charge back and unpin its cache: the undo of an allocation.
 */
static void gsd_object_destroy(struct gsd_session *s, struct gsd_object *o)
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
void gsd_object_discard(struct gsd_session *s, struct gsd_object *o)
{
	lockdep_assert_held(&s->lock);
	s->nr_objects--;
	gsd_object_destroy(s, o);
}

/* FREE, and the undo of ALLOC and CACHE_ALLOC: free any object. */
static int gsd_object_remove(struct gsd_session *s, u64 handle)
{
	struct gsd_object *o = gsd_find(s, handle, struct gsd_object,
					GSD_OBJECT);

	if (!o)
		return -ENOENT;
	gsd_uninstall(s, handle);
	gsd_object_discard(s, o);
	return 0;
}

/**
 * gsd_object_create() - the end of GOSLAB_IOC_ALLOC and CACHE_ALLOC
 * @s: the session
 * @a: the command
 * @handle: where in @a's struct the object's handle goes
 * @c: the cache to allocate from, pinned by the caller, or NULL for
 *	goslab_alloc()
 * @len: bytes to allocate; @c's object size for a cache
 * @charge: what the object costs, reserved by the caller
 * @flags: GOSLAB_ALLOC_*
 *
 * Allocate the object, fill it, and install it for user space to learn
 * its handle.  On failure the reservation and @c's pin are given back.
 *
 * Return: 0 or a negative errno.
 */
int gsd_object_create(struct gsd_session *s, struct gsd_arg *a,
		      u64 *handle, struct gsd_cache *c, u64 len, u64 charge,
		      u32 flags)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	struct gsd_object *o;
	int ret;

	if (flags & GOSLAB_ALLOC_ZERO)
		gfp |= __GFP_ZERO;
	o = kzalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		goto unreserve;
	o->p = c ? goslab_cache_alloc(c->c, gfp) : goslab_alloc(len, gfp);
	if (!o->p) {
		kfree(o);
		goto unreserve;
	}
	/*
	 * Never show user space what the memory held before.  The
	 * constructor's work is the point of a cache that has one; its
	 * objects hold no stale data all the same: goslab carved them from
	 * zeroed memory, and only this session has used them since.
	 */
	if (!(flags & GOSLAB_ALLOC_ZERO) && !(c && c->ctor))
		memset(o->p, GOSLAB_DEV_FILL_BYTE, len);
	o->e.kind = GSD_OBJECT;
	o->len = len;
	o->charge = charge;
	o->cache = c;

	mutex_lock(&s->lock);
	ret = gsd_install(s, a, &o->e, handle, gsd_object_remove);
	if (ret)
		gsd_object_destroy(s, o);
	else
		s->nr_objects++;
	mutex_unlock(&s->lock);
	return ret;

unreserve:
	mutex_lock(&s->lock);
	if (c)
		c->nr_objects--;
	gsd_unreserve(s, charge);
	mutex_unlock(&s->lock);
	return -ENOMEM;
}

int gsd_cmd_alloc(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_alloc *al = a->k;
	u64 charge;
	int ret;

	if (al->flags & ~GOSLAB_ALLOC_ZERO)
		return -EINVAL;
	if (!al->len || al->len > GOSLAB_DEV_MAX_ALLOC)
		return -EINVAL;

	charge = gsd_obj_charge(goslab_alloc_footprint(al->len));
	if (gsd_lock(s))
		return -EINTR;
	ret = gsd_reserve(s, charge);
	mutex_unlock(&s->lock);
	if (ret)
		return ret;
	return gsd_object_create(s, a, &al->handle, NULL, al->len, charge,
				 al->flags);
}

int gsd_cmd_free(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_free *f = a->k;

	if (f->flags)
		return -EINVAL;
	return gsd_remove(s, f->handle, gsd_object_remove);
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
static int gsd_rw_reserve(struct gsd_session *s,
			  const struct goslab_ioc_rw *rw, u64 *charge)
{
	struct gsd_object *o;
	int ret = 0;

	if (gsd_lock(s))
		return -EINTR;
	o = gsd_find(s, rw->handle, struct gsd_object, GSD_OBJECT);
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
static int gsd_rw_copy_piece(struct gsd_session *s,
			     const struct goslab_ioc_rw *rw, u64 done,
			     size_t n, void *bounce, bool write)
{
	struct gsd_object *o;

	if (gsd_lock(s))
		return -EINTR;
	o = gsd_find(s, rw->handle, struct gsd_object, GSD_OBJECT);
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
static int gsd_rw(struct gsd_session *s, const struct goslab_ioc_rw *rw,
		  bool write)
{
	void __user *ubuf;
	size_t n, max;
	void *bounce;
	u64 done, charge = 0;
	int ret;

	if (rw->flags)
		return -EINVAL;

	/* Check, and charge, before allocating the bounce buffer. */
	ret = gsd_rw_reserve(s, rw, &charge);
	if (ret || !rw->len)
		return ret;

	max = min_t(u64, rw->len, GOSLAB_DEV_RW_PIECE);
	bounce = kvmalloc(max, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!bounce) {
		ret = -ENOMEM;
		goto uncharge;
	}
	ubuf = u64_to_user_ptr(rw->buf);
	for (done = 0; done < rw->len; done += n) {
		n = min_t(u64, rw->len - done, max);
		if (write && copy_from_user(bounce, ubuf + done, n)) {
			ret = -EFAULT;
			break;
		}
		ret = gsd_rw_copy_piece(s, rw, done, n, bounce, write);
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

int gsd_cmd_write(struct gsd_session *s, struct gsd_arg *a)
{
	return gsd_rw(s, a->k, true);
}

int gsd_cmd_read(struct gsd_session *s, struct gsd_arg *a)
{
	return gsd_rw(s, a->k, false);
}

int gsd_cmd_usable_size(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_usable *u = a->k;
	struct gsd_object *o;

	if (u->flags || u->pad)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	o = gsd_find(s, u->handle, struct gsd_object, GSD_OBJECT);
	if (o) {
		u->len = o->len;
		u->usable = goslab_usable_size(o->p);
		u->tier = goslab_object_tier(o->p);
	}
	mutex_unlock(&s->lock);
	return o ? 0 : -ENOENT;
}
