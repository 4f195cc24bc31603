// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_stress.ko: runs goslab's stress workload (kunit/stress.c) once,
 * when loaded, on every online CPU, and fails to load if the run found
 * anything wrong: for kernels without KUnit, such as Debian's own.
 *
 *	insmod goslab_stress.ko [ops=N] [seed=S]
 *
 * The verdict is one line in the kernel log, "goslab-stress: ok ..." or
 * "goslab-stress: FAILED: ...", and insmod's status (EIO when it failed).
 * The module does nothing after that; unload it with rmmod.
 */
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "stress.h"

static unsigned long ops = 1000000;
module_param(ops, ulong, 0444);
MODULE_PARM_DESC(ops, "allocations plus frees, over all CPUs (default 1000000)");

static u64 seed;
module_param(seed, ullong, 0444);
MODULE_PARM_DESC(seed, "for the workers' random streams (default: random)");

static int __init goslab_stress_init(void)
{
	struct gs_stress_report *r;
	char why[192];
	int err;

	if (!seed)
		seed = get_random_u64();
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	err = gs_stress_run(ops, seed, r);
	if (!err)
		err = gs_stress_verdict(r, ops, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "the run did not start (%d)", err);
	if (err)
		pr_err("goslab-stress: FAILED: %s (seed %llu)\n", why, seed);
	else
		pr_info("goslab-stress: ok: %lu ops on %u CPUs in %lu ms, seed %llu: %lu allocs (%lu tiny, %lu large, %lu atomic), %lu frees (%lu on another CPU)\n",
			r->ops, r->cpus, r->ms, seed, r->allocs, r->tiny,
			r->large, r->atomic, r->frees, r->cross_frees);
	kfree(r);
	return err;
}

static void __exit goslab_stress_exit(void)
{
}

module_init(goslab_stress_init);
module_exit(goslab_stress_exit);
MODULE_DESCRIPTION("goslab stress workload, for kernels without KUnit");
MODULE_LICENSE("GPL");
