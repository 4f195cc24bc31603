// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_demo: a client of the goslab allocator that tells its story,
 * loaded by `make demo`.
 *
 * On load: the tiers at work (demo_tiers.c: a burst of tiny, small and
 * large objects from every CPU, freed, and the scavenger giving the pages
 * back), a heap for the profiler (demo_profile.c: 64 MiB from two
 * functions, 3:1), then the collector (demo_gc.c: a graph with cycles,
 * cut in two, and goslab_gc_collect() releasing exactly the unreachable
 * part).  What stays live until unload: one huge object, a cache, the
 * profiled heap, the reachable half of the graph.
 *
 * Its read-only parameter "stats" is goslab_get_stats() at the moment it
 * is read, "name value" per line with the names of debugfs "totals":
 * make demo compares goslab-top's figures against it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/goslab.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "goslab_demo.h"

/**
 * demo_stats() - one line of goslab's figures
 * @what: where the story is
 */
void demo_stats(const char *what)
{
	struct goslab_stats st;

	goslab_get_stats(&st);
	pr_info("%s: %llu objects (%llu KiB) in use; pages: %llu held, %llu in use, %llu free, %llu released\n",
		what, st.objects_in_use, st.bytes_in_use >> 10, st.pages_held,
		st.pages_in_use, st.pages_free, st.pages_released);
}

static int stats_get(char *buf, const struct kernel_param *kp)
{
	struct goslab_stats st;
	unsigned int i;
	int len = 0;

	goslab_get_stats(&st);
	for (i = 0; i < GOSLAB_NR_STATS; i++)
		len += scnprintf(buf + len, PAGE_SIZE - len, "%s %llu\n",
				 goslab_stat_name(i), st.item[i]);
	return len;
}

static const struct kernel_param_ops stats_ops = {
	.get = stats_get,
};
module_param_cb(stats, &stats_ops, NULL, 0444);
MODULE_PARM_DESC(stats, "goslab_get_stats() now, one \"name value\" per line");

static void demo_release(void)
{
	demo_gc_release();
	demo_profile_release();
	demo_tiers_release();
}

static int __init goslab_demo_init(void)
{
	int ret;

	pr_info("goslab debug mode: %s\n",
		goslab_debug_enabled() ? "on" : "off");
	ret = demo_tiers_run();
	if (!ret)
		ret = demo_profile_run();
	if (!ret)
		ret = demo_gc_run();
	if (ret) {
		pr_err("demo failed: %d\n", ret);
		demo_release();
		return ret;
	}
	demo_stats("loaded");
	return 0;
}

static void __exit goslab_demo_exit(void)
{
	demo_release();
	pr_info("freed everything, trim released %lu pages\n", goslab_trim());
	demo_stats("unloading");
}

module_init(goslab_demo_init);
module_exit(goslab_demo_exit);

MODULE_DESCRIPTION("goslab demo client");
MODULE_LICENSE("GPL");
