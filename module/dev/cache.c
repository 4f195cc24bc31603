// SPDX-License-Identifier: GPL-2.0
/*
 * cache.c: the cache commands of /dev/goslab: GOSLAB_IOC_CACHE_CREATE,
 * CACHE_ALLOC, CACHE_FREE (an object) and CACHE_DESTROY (the cache), on
 * goslab_cache.  Its objects are object.c's.
 */

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <uapi/linux/goslab.h>

#include "dev.h"

/* Limits the uapi promises that goslab must be able to keep. */
static_assert(GOSLAB_DEV_MAX_CACHE_OBJ <= GOSLAB_CACHE_MAX_SIZE);
static_assert(GOSLAB_DEV_MAX_CACHE_ALIGN <= GOSLAB_CACHE_MAX_ALIGN);

/* Numbers the caches of all sessions, for unique names in statistics. */
static atomic_t gsd_next_cache = ATOMIC_INIT(0);

static void gsd_cache_ctor(void *obj)
{
	u64 magic = GOSLAB_DEV_CTOR_MAGIC;

	/* Cache objects are only 8-byte aligned when align asks for it. */
	memcpy(obj, &magic, sizeof(magic));
}

/* Destroy a cache that is no longer reachable and has no objects. */
void gsd_cache_destroy(struct gsd_session *s, struct gsd_cache *c)
{
	lockdep_assert_held(&s->lock);
	WARN_ON_ONCE(c->nr_objects);
	goslab_cache_destroy(c->c);
	gsd_unreserve(s, GOSLAB_DEV_CACHE_CHARGE);
	s->nr_caches--;
	kfree(c);
}

/*
 * CACHE_DESTROY, and the undo of CACHE_CREATE: destroy a cache, unless
 * objects are left (goslab would keep it as a zombie; refuse instead).
 */
static int gsd_cache_remove(struct gsd_session *s, u64 handle)
{
	struct gsd_cache *c = gsd_find(s, handle, struct gsd_cache, GSD_CACHE);

	if (!c)
		return -ENOENT;
	if (c->nr_objects)
		return -EBUSY;
	gsd_uninstall(s, handle);
	gsd_cache_destroy(s, c);
	return 0;
}

int gsd_cmd_cache_create(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_cache_create *cc = a->k;
	struct gsd_cache *c;
	char name[32];
	int ret;

	if (cc->flags & ~GOSLAB_CACHE_CTOR)
		return -EINVAL;
	if (!cc->obj_size || cc->obj_size > GOSLAB_DEV_MAX_CACHE_OBJ)
		return -EINVAL;
	if ((cc->flags & GOSLAB_CACHE_CTOR) &&
	    cc->obj_size < sizeof(u64))
		return -EINVAL;
	if (cc->align && (!is_power_of_2(cc->align) ||
			  cc->align > GOSLAB_DEV_MAX_CACHE_ALIGN))
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
	c->obj_size = cc->obj_size;
	c->ctor = cc->flags & GOSLAB_CACHE_CTOR;
	/* goslab copies the name. */
	snprintf(name, sizeof(name), "dev-%u",
		 atomic_inc_return(&gsd_next_cache));
	c->c = goslab_cache_create(name, cc->obj_size, cc->align,
				   c->ctor ? gsd_cache_ctor : NULL);
	if (!c->c) {
		kfree(c);
		goto unreserve;
	}
	c->obj_charge = gsd_obj_charge(goslab_cache_footprint(c->c));

	mutex_lock(&s->lock);
	ret = gsd_install(s, a, &c->e, &cc->handle, gsd_cache_remove);
	if (ret)
		gsd_cache_destroy(s, c);	/* gives the reservation back */
	mutex_unlock(&s->lock);
	return ret;

unreserve:
	gsd_unreserve_slot(s, &s->nr_caches, GOSLAB_DEV_CACHE_CHARGE);
	return ret;
}

int gsd_cmd_cache_alloc(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_cache_alloc *ca = a->k;
	struct gsd_cache *c;
	u64 charge = 0;
	int ret;

	if (ca->flags & ~GOSLAB_ALLOC_ZERO)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	c = gsd_find(s, ca->cache, struct gsd_cache, GSD_CACHE);
	if (!c) {
		ret = -ENOENT;
	} else if (c->ctor && (ca->flags & GOSLAB_ALLOC_ZERO)) {
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
	return gsd_object_create(s, a, &ca->handle, c, c->obj_size, charge,
				 ca->flags);
}

int gsd_cmd_cache_free(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_cache_free *cf = a->k;
	struct gsd_object *o;
	struct gsd_cache *c;
	int ret = 0;

	if (cf->flags)
		return -EINVAL;

	if (gsd_lock(s))
		return -EINTR;
	c = gsd_find(s, cf->cache, struct gsd_cache, GSD_CACHE);
	o = gsd_find(s, cf->handle, struct gsd_object, GSD_OBJECT);
	if (!c || !o) {
		ret = -ENOENT;
	} else if (o->cache != c) {
		ret = -EINVAL;
	} else {
		gsd_uninstall(s, cf->handle);
		gsd_object_discard(s, o);
	}
	mutex_unlock(&s->lock);
	return ret;
}

int gsd_cmd_cache_destroy(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_cache_destroy *cd = a->k;

	if (cd->flags)
		return -EINVAL;
	return gsd_remove(s, cd->cache, gsd_cache_remove);
}
