/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab_demo: the parts of the story goslab_demo.c tells, one file each.
 */
#ifndef GOSLAB_DEMO_H
#define GOSLAB_DEMO_H

#include <linux/types.h>

/* demo_tiers.c: a burst across the three tiers, from every CPU */
int demo_tiers_run(void);
void demo_tiers_release(void);

/* demo_gc.c: an object graph under the collector */
int demo_gc_run(void);
void demo_gc_release(void);

/* goslab_demo.c */
void demo_stats(const char *what);

#endif /* GOSLAB_DEMO_H */
