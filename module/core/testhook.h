/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab's test hooks (testhook.c), in the test build only (GOSLAB_TEST,
 * module/Kbuild): a KUnit case holds a task it made at one point of a race.
 */
#ifndef _GOSLAB_TESTHOOK_H
#define _GOSLAB_TESTHOOK_H

#include <linux/compiler.h>

/* The points; testhook.c names them for the parameter. */
enum gs_test_hook {
	GS_HOLD_DEBUG_FREE,	/* gs_debug_free(), the free just accepted */
	GS_HOLD_GC_CHECK,	/* gs_gc_check_ptr(), the heap lock dropped */
	GS_HOLD_GC_RESCHED,	/* gs_gc_drain(), where a marker reschedules */
	GS_NR_HOLDS,
};

#ifdef GOSLAB_TEST
extern int gs_test_hold_pid;
void gs_test_hold_wait(enum gs_test_hook hook);

/*
 * Hold the current task here if goslab.test_hold names this point and
 * its pid: it sleeps until the parameter is written again (10 s at most).
 * Context: any; the task named must be where it may sleep.
 */
static __always_inline void gs_test_hold(enum gs_test_hook hook)
{
	if (unlikely(READ_ONCE(gs_test_hold_pid)))
		gs_test_hold_wait(hook);
}
#else
static inline void gs_test_hold(enum gs_test_hook hook) { }
#endif

#endif /* _GOSLAB_TESTHOOK_H */
