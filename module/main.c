// SPDX-License-Identifier: GPL-2.0
/*
 * goslab.ko's init and exit: the only file that knows all of its layers.
 *
 * Each part starts after what it calls into, and goslab_exit() stops
 * them in exactly the reverse order: the tiers first (core/), then the
 * collector that takes spans from them (gc/), debugfs, reclaim (the
 * shrinker reaches every tier, so it starts once they are up) and, last,
 * the device (dev/), which is how user space reaches all of it.
 */

#include <linux/module.h>

#include "core/internal.h"
#include "debugfs.h"
#include "dev/dev.h"
#include "gc/gc.h"

static int __init goslab_init(void)
{
	int ret;

	ret = gs_malloc_init();
	if (ret)
		return ret;
	ret = mheap_init();
	if (ret)
		return ret;
	ret = mcache_init();
	if (ret)
		goto out_heap;
	ret = gs_gc_init();
	if (ret)
		goto out_mcache;
	gs_mprof_init();
	gs_debugfs_init();
	ret = gs_reclaim_start();
	if (ret)
		goto out_debugfs;
	if (gs_reclaim_test_init_fail()) {
		ret = -ENODEV;
		goto out_reclaim;
	}
	ret = goslab_dev_init();
	if (ret)
		goto out_reclaim;
	pr_info("goslab: %u size classes, %lu KiB heap pages, debug %s\n",
		GOSLAB_NUM_SIZE_CLASSES - 1, GS_PAGE_SIZE / SZ_1K,
		goslab_debug_enabled() ? "on" : "off");
	return 0;

out_reclaim:
	gs_reclaim_stop();
out_debugfs:
	gs_debugfs_exit();
	gs_mprof_exit();
	gs_gc_exit();
out_mcache:
	mcache_exit();
	gs_malloc_exit();
out_heap:
	mheap_exit();
	return ret;
}

static void __exit goslab_exit(void)
{
	struct goslab_stats live, left;

	goslab_dev_exit();
	gs_reclaim_stop();
	gs_debugfs_exit();
	gs_mprof_exit();	/* while the objects it sampled are still there */
	gs_gc_exit();	/* heaps left by clients: their spans back to the heap */
	gs_nmi_flush();	/* callers are gone: no NMI defers a free any more */
	mcache_exit();
	/* With every CPU drained, what is out is what callers still hold. */
	goslab_get_stats(&live);
	gs_malloc_exit();
	mheap_exit();
	goslab_get_stats(&left);
	pr_info("goslab: unloaded: %llu live objects (%llu bytes) released, %llu pages held\n",
		live.objects_in_use, live.bytes_in_use, left.pages_held);
}

module_init(goslab_init);
module_exit(goslab_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(GOSLAB_RELEASE);
MODULE_DESCRIPTION("goslab: the Go runtime's memory allocator for the kernel");
#ifdef GOSLAB_TEST
/* The test build (module/Kbuild): the kernel's mark of a test module. */
MODULE_INFO(test, "Y");
#endif
