/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector's API for goslab's GC suites when goslab is built without
 * it (GOSLAB_GC=n, module/Kbuild): <linux/goslab.h> and
 * <linux/goslab_gc_test.h> then declare none of it, and these stand in so
 * that the suites still build and report every case, skipped by their
 * init (gc_test_init()) before any of these runs.  Each fails or does
 * nothing.
 */
#ifndef _GOSLAB_KUNIT_GC_STUBS_H
#define _GOSLAB_KUNIT_GC_STUBS_H

#if defined(GOSLAB_GC) && !GOSLAB_GC
#include <linux/compiler.h>
#include <linux/goslab_gc_test.h>
#include <linux/string.h>

/*
 * A failure the compiler cannot see through: seeing it, it would take
 * the helpers that assert success for noreturn (objtool warns).
 */
static inline void *gc_stub_null(void)
{
	void *p = NULL;

	OPTIMIZER_HIDE_VAR(p);
	return p;
}

static inline int gc_stub_err(void)
{
	int err = -EOPNOTSUPP;

	OPTIMIZER_HIDE_VAR(err);
	return err;
}

static inline struct goslab_gc_heap *goslab_gc_heap_create(const char *name)
{
	return gc_stub_null();
}

static inline void goslab_gc_heap_destroy(struct goslab_gc_heap *h) { }

static inline struct goslab_gc_type *
goslab_gc_type_create(struct goslab_gc_heap *h, const char *name,
		      unsigned int size, const unsigned int *ptr_offsets,
		      unsigned int nr_ptrs, void (*release)(void *obj))
{
	return gc_stub_null();
}

static inline void *goslab_gc_alloc(struct goslab_gc_type *t, gfp_t flags)
{
	return gc_stub_null();
}

static inline int goslab_gc_root_add(struct goslab_gc_heap *h, void **slot)
{
	return gc_stub_err();
}

static inline void goslab_gc_root_del(struct goslab_gc_heap *h, void **slot) { }
static inline void goslab_gc_store(void **slot, void *val) { }

static inline int goslab_gc_enter(struct goslab_gc_heap *h)
{
	return 0;
}

static inline void goslab_gc_exit(struct goslab_gc_heap *h, int token) { }
static inline void goslab_gc_collect(struct goslab_gc_heap *h) { }

static inline int goslab_gc_set_percent(struct goslab_gc_heap *h, int percent)
{
	return gc_stub_err();
}

static inline void goslab_gc_get_stats(struct goslab_gc_heap *h,
				       struct goslab_gc_stats *st)
{
	memset(st, 0, sizeof(*st));
}

static inline void goslab_gc_stats_reset(struct goslab_gc_heap *h) { }

static inline int goslab_gc_step_begin(struct goslab_gc_heap *h)
{
	return gc_stub_err();
}

static inline unsigned long goslab_gc_step(struct goslab_gc_heap *h,
					   unsigned long n)
{
	return 0;
}

static inline unsigned long goslab_gc_step_bytes(struct goslab_gc_heap *h,
						 unsigned long bytes)
{
	return 0;
}

static inline unsigned long goslab_gc_step_finish(struct goslab_gc_heap *h)
{
	return 0;
}

static inline enum goslab_gc_color goslab_gc_color(struct goslab_gc_heap *h,
						   const void *obj)
{
	return GOSLAB_GC_FREE;
}

static inline void goslab_gc_test_barrier(struct goslab_gc_heap *h,
					  unsigned int shade) { }
static inline void goslab_gc_test_grey_limit(struct goslab_gc_heap *h,
					     unsigned long n) { }

static inline bool goslab_gc_test_stopped(struct goslab_gc_heap *h)
{
	return false;
}

static inline int goslab_gc_test_span_colors(struct goslab_gc_heap *h,
					     const void *obj,
					     struct goslab_gc_span_colors *sc)
{
	return gc_stub_err();
}

static inline int goslab_gc_test_trace(struct goslab_gc_heap *h, char *buf,
				       size_t size)
{
	return gc_stub_err();
}
#endif /* !GOSLAB_GC */

#endif /* _GOSLAB_KUNIT_GC_STUBS_H */
