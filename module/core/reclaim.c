// SPDX-License-Identifier: GPL-2.0
/*
 * Giving memory back to the kernel across the tiers: goslab_trim(), and
 * the shrinker that memory pressure calls.  The scavenger, which gives
 * back only free heap pages, belongs to the heap (mgcscavenge.c).
 *
 * The shrinker keeps the shrinker contract in one unit, kernel pages:
 *
 *   count  the heap's free pages, plus the pages that the objects on the
 *          CPUs' free lists take up, which a drain may turn into free
 *          pages (an estimate: a span comes back only once all its
 *          objects do);
 *   scan   gives back up to nr_to_scan free heap pages and returns how
 *          many it gave, or SHRINK_STOP when there were none.  When they
 *          fell short of the request and objects are cached, it asks
 *          every CPU to drain its lists, in the background: the pages
 *          that frees up are there for the next scan.  It never waits on
 *          other CPUs, and never drains and flushes them all on every
 *          batch.
 */

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/moduleparam.h>
#include <linux/shrinker.h>

#include "internal.h"

static struct shrinker *gs_shrinker;

#ifdef GOSLAB_TEST
/*
 * Test hooks, in the test build only (GOSLAB_TEST, module/Kbuild).  With
 * test_shrink_hold set, a scan waits inside goslab (up to 10 s) until
 * goslab starts to unload (gs_reclaim_stop()), and 500 ms more, while the
 * unload goes on: the guest's unload test (scripts/guest-init.sh) makes
 * the shrinker run while the unload does, every time, not by luck.  With
 * test_init_fail set too, loading fails at its last step once such a scan
 * is held, so that init's error path meets the shrinker the same way,
 * with a free object on a CPU's list for the scan to drain.
 */
static bool test_shrink_hold;
module_param(test_shrink_hold, bool, 0644);
MODULE_PARM_DESC(test_shrink_hold,
		 "Testing only: hold the shrinker's scan until unload begins");
static bool test_init_fail;
module_param(test_init_fail, bool, 0444);
MODULE_PARM_DESC(test_init_fail,
		 "Testing only: fail loading once a held scan is in the shrinker");
static DECLARE_COMPLETION(gs_unloading);
static DECLARE_COMPLETION(gs_scan_held);

static void shrink_test_hold(void)
{
	/* drop_caches and the shrinker's debugfs only, never real reclaim. */
	if (!READ_ONCE(test_shrink_hold) || (current->flags & PF_MEMALLOC))
		return;
	complete(&gs_scan_held);
	if (wait_for_completion_timeout(&gs_unloading, 10 * HZ))
		msleep(500);
}

static void shrink_test_release(void)
{
	complete_all(&gs_unloading);
}

/**
 * gs_reclaim_test_init_fail() - whether loading is to fail, for a test
 *
 * With test_init_fail set, leaves the shrinker work (a free object on this
 * CPU's list, which a scan drains), waits (up to 10 s) for a scan held by
 * test_shrink_hold, and says to fail.
 *
 * Context: process context (init); sleeps.
 * Return: true if module init (main.c) is to fail.
 */
bool gs_reclaim_test_init_fail(void)
{
	if (!test_init_fail)
		return false;
	goslab_free(goslab_alloc(64, GFP_KERNEL));
	if (wait_for_completion_timeout(&gs_scan_held, 10 * HZ))
		pr_info("goslab: test_init_fail: loading fails while the shrinker scans\n");
	else
		pr_info("goslab: test_init_fail: loading fails, no scan came\n");
	return true;
}
#else
static void shrink_test_hold(void) { }
static void shrink_test_release(void) { }
#endif

/**
 * goslab_trim() - give back to the kernel all the memory goslab can
 *
 * Empties every CPU's cache into the central lists, returns empty spans to
 * the heap, waits for the huge objects freed so far to be unmapped and
 * gives every free heap page back.
 *
 * Context: process context; sleeps.
 * Return: kernel pages given back.
 */
unsigned long goslab_trim(void)
{
	gs_nmi_flush();
	cpus_read_lock();
	mutex_lock(&mcentral_mutex);
	mcache_drain_all(NULL);
	mutex_unlock(&mcentral_mutex);
	cpus_read_unlock();
	mheap_flush_huge();
	return mheap_release(0);
}
EXPORT_SYMBOL_GPL(goslab_trim);

static bool cached_bytes_one(struct mcentral *c, void *arg)
{
	*(unsigned long *)arg += mcache_cached(c) * c->elemsize;
	return true;
}

/* Bytes in objects on the CPUs' free lists, read racily. */
static unsigned long cached_bytes(void)
{
	unsigned long cached = 0;

	mcentral_for_each(cached_bytes_one, &cached);
	return cached;
}

static unsigned long gs_shrink_count(struct shrinker *sh,
				     struct shrink_control *sc)
{
	return mheap_free_pages() + (cached_bytes() >> PAGE_SHIFT) ? :
	       SHRINK_EMPTY;
}

static unsigned long gs_shrink_scan(struct shrinker *sh,
				    struct shrink_control *sc)
{
	unsigned long freed;

	shrink_test_hold();
	freed = mheap_release_some(sc->nr_to_scan);
	/* Short of the request: drains, whose pages the next scan finds. */
	if (freed < sc->nr_to_scan && cached_bytes())
		mcache_drain_async();
	return freed ? : SHRINK_STOP;
}

/**
 * gs_reclaim_start() - register the shrinker, let the scavenger run
 *
 * The shrinker reaches every tier, so it starts once they are all up.
 *
 * Return: 0 or -ENOMEM.
 */
int gs_reclaim_start(void)
{
	gs_shrinker = gs_shrinker_create("goslab", gs_shrink_count, gs_shrink_scan);
	if (!gs_shrinker)
		return -ENOMEM;
	mheap_scavenger_enable(true);
	return 0;
}

/**
 * gs_reclaim_stop() - the mirror of gs_reclaim_start()
 *
 * Waits for a shrinker call in progress and disarms the scavenger for
 * good, so that the tiers they reach can go.
 *
 * Context: process context; sleeps.
 */
void gs_reclaim_stop(void)
{
	shrink_test_release();
	gs_shrinker_destroy(gs_shrinker);
	mheap_scavenger_enable(false);
}
