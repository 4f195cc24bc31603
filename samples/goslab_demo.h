/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab_demo: the parts of the story demo_main.c tells, one file each.
 */
#ifndef GOSLAB_DEMO_H
#define GOSLAB_DEMO_H

/* demo_tiers.c: a burst across the three tiers, from every CPU */
int demo_tiers_run(void);
void demo_tiers_release(void);

/* demo_profile.c: a heap for the profiler to see (Documentation/profile.rst) */
int demo_profile_run(void);
void demo_profile_release(void);

/* demo_gc.c: an object graph under the collector */
int demo_gc_run(void);
void demo_gc_release(void);

/* demo_main.c */
void demo_stats(const char *what);

#endif /* GOSLAB_DEMO_H */
