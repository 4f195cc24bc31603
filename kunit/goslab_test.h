/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by goslab's KUnit suites (goslab_kunit.ko).
 */
#ifndef _GOSLAB_KUNIT_TEST_H
#define _GOSLAB_KUNIT_TEST_H

#include <kunit/test.h>
#include <linux/goslab.h>
#include <linux/types.h>

/* Tiers, from include/linux/goslab.h. */
#define GS_TINY_MAX		15
#define GS_SMALL_MAX		32768
#define GS_HEAP_PAGE		8192UL
#define GS_LARGE_NOWAIT_MAX	(4UL << 20)

/* Size class table of module/sizeclasses.h; class 0 is unused. */
unsigned int gs_nr_classes(void);
unsigned int gs_class_size(unsigned int cls);
unsigned int gs_class_objects(unsigned int cls);
unsigned int gs_size_class(size_t size);

bool gs_debug(void);
size_t gs_expected_usable(size_t size);
unsigned long gs_small_align(unsigned int class_size);

/*
 * Objects carry a pattern derived from their address and size, so that an
 * object overlapping another, or moved, or written by goslab while in use,
 * shows up.  @stride is the distance between stamped words: 8 stamps every
 * byte, larger strides keep stress cheap.
 */
void gs_stamp(void *p, size_t size, size_t stride);
bool gs_stamp_ok(const void *p, size_t size, size_t stride);

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
 * On PREEMPT_RT goslab's locks sleep: as kmalloc(), it may not be called
 * from hard interrupts or with interrupts or preemption off there.
 */
#define GS_RT_ATOMIC_REASON \
	"PREEMPT_RT: goslab, as kmalloc(), is not for hard IRQ, IRQs-off or preempt-off context"

static inline void gs_skip_on_rt(struct kunit *test)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, GS_RT_ATOMIC_REASON);
}

int gs_read_file(const char *path, char *buf, size_t len);
int gs_write_file(const char *path, const char *s);
int gs_param_get(const char *name, unsigned int *val);
int gs_param_set(const char *name, unsigned int val);
/* Sets a goslab parameter for the rest of the case, restoring it after. */
void gs_param_override(struct kunit *test, const char *name,
		       unsigned int val);

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
