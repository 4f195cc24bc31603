/* SPDX-License-Identifier: GPL-2.0 */
/* What goslab_demo.c calls of the demo's other parts. */
#ifndef _GOSLAB_DEMO_H
#define _GOSLAB_DEMO_H

/* demo_profile.c: a heap for the profiler to see (Documentation/profile.rst) */
int goslab_demo_profile(void);
void goslab_demo_profile_free(void);

#endif /* _GOSLAB_DEMO_H */
