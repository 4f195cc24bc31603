/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab's garbage collector, for goslab's own KUnit suites only: step a
 * cycle by hand to create exact colourings, look at colours, and break
 * the collector on purpose to see that checks catch it.
 *
 * goslab.ko exports these (symbol namespace GOSLAB_GC_TEST) only in its
 * test build, make GOSLAB_TEST=y (module/gc/export_test.c), which needs a
 * kernel with KUnit; the shipped build has none.  The header sits beside
 * goslab.h so that goslab_kunit.ko reaches it as it reaches goslab.h,
 * without reading the module's internals, while make install ships
 * goslab.h alone: clients never see it.
 */
#ifndef _LINUX_GOSLAB_GC_TEST_H
#define _LINUX_GOSLAB_GC_TEST_H

#include <linux/goslab.h>
#include <linux/types.h>

enum goslab_gc_color {
	GOSLAB_GC_FREE,		/* not an allocated object */
	GOSLAB_GC_WHITE,
	GOSLAB_GC_GREY,
	GOSLAB_GC_BLACK,
};

/**
 * struct goslab_gc_span_colors - a span's objects by colour, as debugfs
 *	"spans" shows them
 * @base: the span's first object, to tell spans apart
 * @nalloc: objects allocated, those awaiting release included
 * @white: allocated and not marked
 * @grey: marked, not scanned yet
 * @black: marked and scanned
 */
struct goslab_gc_span_colors {
	const void *base;
	unsigned int nalloc;
	unsigned int white;
	unsigned int grey;
	unsigned int black;
};

#define GOSLAB_GC_SHADE_OLD	0x1	/* the deletion (Yuasa) half */
#define GOSLAB_GC_SHADE_NEW	0x2	/* the insertion (Dijkstra) half */

/* Without the collector (GOSLAB_GC 0, as in <linux/goslab.h>), none. */
#if !defined(GOSLAB_GC) || GOSLAB_GC
int goslab_gc_step_begin(struct goslab_gc_heap *h);
unsigned long goslab_gc_step(struct goslab_gc_heap *h, unsigned long n);
unsigned long goslab_gc_step_bytes(struct goslab_gc_heap *h,
				   unsigned long bytes);
unsigned long goslab_gc_step_finish(struct goslab_gc_heap *h);
enum goslab_gc_color goslab_gc_color(struct goslab_gc_heap *h,
				     const void *obj);
void goslab_gc_test_barrier(struct goslab_gc_heap *h, unsigned int shade);
void goslab_gc_test_grey_limit(struct goslab_gc_heap *h, unsigned long n);
bool goslab_gc_test_stopped(struct goslab_gc_heap *h);
int goslab_gc_test_span_colors(struct goslab_gc_heap *h, const void *obj,
			       struct goslab_gc_span_colors *sc);
int goslab_gc_test_trace(struct goslab_gc_heap *h, char *buf, size_t size);
#endif

#endif /* _LINUX_GOSLAB_GC_TEST_H */
