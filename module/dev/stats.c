// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c: what /dev/goslab reports: GOSLAB_IOC_VERSION, the interface
 * and its limits, and GOSLAB_IOC_STATS, goslab's counters and the
 * session's.
 */

#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/stddef.h>

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

/*
 * Where GOSLAB_IOC_STATS puts each counter of struct goslab_stats: its
 * field of the same name in struct goslab_ioc_stats.
 */
#define GSD_STAT(field)							\
	GSD_COPY(struct goslab_stats, struct goslab_ioc_stats, field)
static const struct gsd_copy gsd_stats_copy[] = {
	GSD_STAT(pages_held),
	GSD_STAT(pages_in_use),
	GSD_STAT(pages_free),
	GSD_STAT(pages_released),
	GSD_STAT(objects_in_use),
	GSD_STAT(bytes_in_use),
	GSD_STAT(objects_cached),
	GSD_STAT(large_in_use),
	GSD_STAT(debug_double_free),
	GSD_STAT(debug_invalid_free),
	GSD_STAT(debug_poison_corrupt),
};

#undef GSD_STAT
/* Every counter reaches user space... */
static_assert(ARRAY_SIZE(gsd_stats_copy) == GOSLAB_NR_STATS);
/*
 * ...and every u64 of struct goslab_ioc_stats is one, or one of the four
 * gsd_cmd_stats() sets itself: trimmed, session_charged, session_objects
 * and session_caches.
 */
static_assert(ARRAY_SIZE(gsd_stats_copy) + 4 ==
	      (sizeof(struct goslab_ioc_stats) -
	       offsetof(struct goslab_ioc_stats, trimmed)) / sizeof(u64));

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
	gsd_copy_fields(st, &g, gsd_stats_copy, ARRAY_SIZE(gsd_stats_copy));

	if (gsd_lock(s))
		return -EINTR;
	st->session_charged = gsd_charged(s);
	st->session_objects = s->nr_objects;
	st->session_caches = s->nr_caches;
	mutex_unlock(&s->lock);
	return 0;
}
