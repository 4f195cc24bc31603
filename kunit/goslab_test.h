/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by goslab's KUnit suites (goslab_kunit.ko).
 */
#ifndef _GOSLAB_KUNIT_TEST_H
#define _GOSLAB_KUNIT_TEST_H

#include <kunit/test.h>
#include <linux/goslab.h>
#include <linux/preempt.h>
#include <linux/types.h>

#include "pattern.h"

struct task_struct;

/* Stats read until pages_held == pages_in_use + pages_free holds. */
void gs_stats(struct kunit *test, struct goslab_stats *st);

/*
 * After a misuse (a double free, a wrong-cache free), no object may be on
 * a free list twice: @n allocations of @size (or from @c, of objects of
 * @size) are all distinct and do not overlap.  They are freed again.
 */
void gs_check_heap(struct kunit *test, struct goslab_cache *c, size_t size,
		   unsigned int n);

/*
 * Every suite's suite_init and suite_exit: the exit logs a "LEAK" line
 * (a failure for scripts/analyze-guest.py) when the suite left more or
 * fewer objects live than its cases declared with gs_leak_on_purpose(),
 * and a "MISUSE" line when goslab counted misuse (debug_* in struct
 * goslab_stats) in a suite none of whose cases called gs_expect_reports().
 */
int gs_suite_init(struct kunit_suite *suite);
void gs_suite_exit(struct kunit_suite *suite);
void gs_leak_on_purpose(struct kunit *test, unsigned int n);
void gs_expect_reports(struct kunit *test);
/* Misuse goslab counted: the debug_* fields of struct goslab_stats. */
u64 gs_findings(const struct goslab_stats *st);

/*
 * On PREEMPT_RT goslab's locks sleep: as kmalloc(), it may not be called
 * from hard interrupts or with interrupts or preemption off there.
 */
#define GS_RT_ATOMIC_REASON \
	"PREEMPT_RT: goslab, as kmalloc(), is not for hard IRQ, IRQs-off or preempt-off context"

/*
 * Keep a sequence of calls on one CPU, so that its per-CPU list answers
 * them all (LIFO reuse, tiny packing): preemption off, as under a
 * spinlock, except on PREEMPT_RT, where goslab's locks sleep and a caller
 * can have migration off at most.
 */
static inline void gs_cpu_pin(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		migrate_disable();
	else
		preempt_disable();
}

static inline void gs_cpu_unpin(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		migrate_enable();
	else
		preempt_enable();
}

static inline void gs_skip_on_rt(struct kunit *test)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, GS_RT_ATOMIC_REASON);
}

struct tracepoint;
/* The kernel's tracepoint @name (for tracepoint_probe_register()), or NULL. */
struct tracepoint *gs_tracepoint(const char *name);

int gs_read_file(const char *path, char *buf, size_t len);
int gs_write_file(const char *path, const char *s);
int gs_param_get(const char *name, unsigned int *val);
int gs_param_set(const char *name, unsigned int val);
/* Sets a goslab parameter for the rest of the case, restoring it after. */
void gs_param_override(struct kunit *test, const char *name,
		       unsigned int val);
/* goslab's test hooks: hold a task the case made at a point of a race. */
void gs_test_hold_need(struct kunit *test);
int gs_test_hold_arm(struct kunit *test, const char *point,
		     struct task_struct *t);
bool gs_test_held(struct kunit *test, const char *point, int pid);
void gs_test_hold_release(struct kunit *test);

#ifdef CONFIG_KASAN_GENERIC
s8 gs_shadow(const void *p);
#endif

#if IS_ENABLED(CONFIG_KASAN_KUNIT_TEST)
/*
 * What KASAN exports for its own KUnit suite, declared in
 * mm/kasan/kasan.h, which modules cannot include: a suite that expects
 * KASAN reports tells KUnit so, and turns on reporting every one.
 */
void kasan_kunit_test_suite_start(void);
void kasan_kunit_test_suite_end(void);
bool kasan_save_enable_multi_shot(void);
void kasan_restore_multi_shot(bool enabled);
#endif

#endif /* _GOSLAB_KUNIT_TEST_H */
