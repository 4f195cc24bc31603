/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stress workload (kunit/stress.c): run by the KUnit case
 * goslab_stress.goslab_test_stress and, on kernels without KUnit, by the
 * plain module goslab_stress.ko (stress/).
 */
#ifndef _GOSLAB_STRESS_H
#define _GOSLAB_STRESS_H

#include <linux/goslab.h>
#include <linux/types.h>

/* What a run did and saw, summed over its CPUs. */
struct gs_stress_report {
	unsigned int cpus;		/* that ran a worker */
	unsigned int idle_cpus;		/* of them, that did nothing */
	unsigned long ms;
	unsigned long ops;
	unsigned long allocs;
	unsigned long frees;
	unsigned long cross_frees;	/* on another CPU than the allocating one */
	unsigned long tiny;
	unsigned long large;
	unsigned long atomic;
	unsigned long alloc_failed;
	unsigned long bad_usable;	/* goslab_usable_size() said otherwise */
	unsigned long bad_stamp;	/* objects changed while live */
	unsigned long not_zeroed;	/* __GFP_ZERO objects with a byte set */
	struct goslab_stats before;	/* after goslab_trim(), before the run */
	struct goslab_stats after;	/* the same, after it */
};

int gs_stress_run(unsigned long ops, u64 seed, struct gs_stress_report *r);
int gs_stress_verdict(const struct gs_stress_report *r, unsigned long ops,
		      char *why, size_t len);

#endif /* _GOSLAB_STRESS_H */
