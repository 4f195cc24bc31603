/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What goslab must hand out, and object patterns (kunit/pattern.c): for
 * the KUnit suites and the plain stress module alike, so without KUnit.
 */
#ifndef _GOSLAB_PATTERN_H
#define _GOSLAB_PATTERN_H

#include <linux/types.h>

/* Tiers, from include/linux/goslab.h. */
#define GS_TINY_MAX		15
#define GS_TINY_BLOCK		16
#define GS_SMALL_MAX		32768
#define GS_HEAP_PAGE		8192UL
#define GS_LARGE_NOWAIT_MAX	(4UL << 20)

/* Size class table of module/core/sizeclasses.h; class 0 is unused. */
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

#endif /* _GOSLAB_PATTERN_H */
