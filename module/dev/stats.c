// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c: what /dev/goslab reports: GOSLAB_IOC_VERSION, the interface
 * and its limits, and GOSLAB_IOC_STATS, goslab's counters and the
 * session's.
 */

#include <linux/mutex.h>

#include <uapi/linux/goslab.h>

#include "dev.h"

int gsd_cmd_version(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_version *v = a->k;

	if (v->flags)
		return -EINVAL;

	v->major = GOSLAB_VERSION_MAJOR;
	v->minor = GOSLAB_VERSION_MINOR;
	v->features = GOSLAB_FEATURE_ALLOC | GOSLAB_FEATURE_RW |
		      GOSLAB_FEATURE_CACHE | GOSLAB_FEATURE_CACHE_CTOR |
		      GOSLAB_FEATURE_STATS;
	if (GOSLAB_GC)
		v->features |= GOSLAB_FEATURE_GC;
	if (goslab_debug_enabled())
		v->features |= GOSLAB_FEATURE_DEBUG;
	v->max_alloc = GOSLAB_DEV_MAX_ALLOC;
	v->session_cap = s->cap;
	v->obj_charge = GOSLAB_DEV_OBJ_CHARGE;
	v->cache_charge = GOSLAB_DEV_CACHE_CHARGE;
	v->max_cache_obj = GOSLAB_DEV_MAX_CACHE_OBJ;
	v->max_cache_align = GOSLAB_DEV_MAX_CACHE_ALIGN;
	v->max_caches = GOSLAB_DEV_MAX_CACHES;
	v->nr_size_classes = GOSLAB_NR_SIZE_CLASSES;
	return 0;
}

int gsd_cmd_stats(struct gsd_session *s, struct gsd_arg *a)
{
	struct goslab_ioc_stats *st = a->k;
	struct goslab_stats g;

	if (st->flags & ~GOSLAB_STATS_TRIM)
		return -EINVAL;

	st->trimmed = 0;
	if (st->flags & GOSLAB_STATS_TRIM)
		st->trimmed = goslab_trim();
	goslab_get_stats(&g);
	st->pages_held = g.pages_held;
	st->pages_in_use = g.pages_in_use;
	st->pages_free = g.pages_free;
	st->pages_released = g.pages_released;
	st->objects_in_use = g.objects_in_use;
	st->bytes_in_use = g.bytes_in_use;
	st->objects_cached = g.objects_cached;
	st->large_in_use = g.large_in_use;
	st->debug_double_free = g.debug_double_free;
	st->debug_invalid_free = g.debug_invalid_free;
	st->debug_poison_corrupt = g.debug_poison_corrupt;

	if (gsd_lock(s))
		return -EINTR;
	st->session_charged = gsd_charged(s);
	st->session_objects = s->nr_objects;
	st->session_caches = s->nr_caches;
	mutex_unlock(&s->lock);
	return 0;
}
