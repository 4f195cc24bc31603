// SPDX-License-Identifier: GPL-2.0
/*
 * goslab's global counters, struct goslab_stats, as Go's mstats.go keeps
 * its own: each tier counts on its slow paths, and goslab_get_stats()
 * adds them up without stopping anyone.  One table names them, for
 * debugfs and anyone else who walks them all.
 */

#include <linux/build_bug.h>
#include <linux/export.h>

#include "internal.h"

static bool stats_one(struct mcentral *c, void *arg)
{
	struct goslab_stats *st = arg;
	unsigned long cached = mcache_cached(c);
	unsigned long out = READ_ONCE(c->nalloc);
	unsigned long inuse = out > cached ? out - cached : 0;

	st->objects_in_use += inuse;
	st->bytes_in_use += (u64)inuse * c->elemsize;
	st->objects_cached += cached;
	return true;
}

/*
 * The name of each counter of struct goslab_stats, which is its field's,
 * at the index the field's place in the struct gives it.
 */
#define GS_STAT(field)	\
	[offsetof(struct goslab_stats, field) / sizeof(u64)] = #field
static const char *const gs_stat_names[] = {
	GS_STAT(pages_held),
	GS_STAT(pages_in_use),
	GS_STAT(pages_free),
	GS_STAT(pages_released),
	GS_STAT(objects_in_use),
	GS_STAT(bytes_in_use),
	GS_STAT(objects_cached),
	GS_STAT(large_in_use),
	GS_STAT(debug_double_free),
	GS_STAT(debug_invalid_free),
	GS_STAT(debug_poison_corrupt),
};

#undef GS_STAT
static_assert(ARRAY_SIZE(gs_stat_names) == GOSLAB_NR_STATS);
static_assert(sizeof(struct goslab_stats) == GOSLAB_NR_STATS * sizeof(u64));

/**
 * goslab_stat_name() - the name of a counter of struct goslab_stats
 * @item: the counter
 *
 * Return: its field's name, as debugfs "totals" and the misc device's
 * struct goslab_ioc_stats call it, or NULL for an index out of range.
 */
const char *goslab_stat_name(enum goslab_stat_item item)
{
	return (unsigned int)item < GOSLAB_NR_STATS ? gs_stat_names[item] : NULL;
}
EXPORT_SYMBOL_GPL(goslab_stat_name);

/**
 * goslab_get_stats() - read goslab's global counters
 * @st: filled in; see struct goslab_stats
 *
 * Cheap, lockless, never stops allocation.
 */
void goslab_get_stats(struct goslab_stats *st)
{
	memset(st, 0, sizeof(*st));
	mheap_read_stats(st);
	mcentral_for_each(stats_one, st);
	st->objects_in_use += st->large_in_use;
	gs_debug_read_stats(st);
}
EXPORT_SYMBOL_GPL(goslab_get_stats);
