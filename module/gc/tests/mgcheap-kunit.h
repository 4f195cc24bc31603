/* SPDX-License-Identifier: GPL-2.0 */
/*
 * White-box tests of the collector's heaps (mgcheap.c), in goslab.ko's
 * test build only: mgcheap.c includes this file at its bottom under
 * GOSLAB_TEST, so the cases call its functions for every type size there
 * is, not only those a KUnit run makes.
 */
#ifndef _GOSLAB_MGCHEAP_KUNIT_H
#define _GOSLAB_MGCHEAP_KUNIT_H

#include <kunit/test.h>

/*
 * A span's bookkeeping before the scan bits came: its fields (@where the
 * last), a pointer to each of its four bitmaps, and the four.
 */
static size_t heap_test_meta_size_before_scanbits(unsigned int nelems)
{
	return offsetofend(struct gs_gc_span, where) +
	       4 * (sizeof(unsigned long *) +
		    BITS_TO_LONGS(nelems) * sizeof(unsigned long));
}

/* Spans of @elemsize-byte objects, @npages pages each: kmalloc's bucket. */
static void heap_test_meta_bucket(struct kunit *test, unsigned int elemsize,
				  unsigned int npages)
{
	unsigned int nelems = (npages << GS_PAGE_SHIFT) / elemsize;
	size_t size = span_meta_size(nelems);

	KUNIT_EXPECT_LE_MSG(test, kmalloc_size_roundup(size),
			    kmalloc_size_roundup(heap_test_meta_size_before_scanbits(nelems)),
			    "%u-byte objects, %u a span: %zu bytes of bookkeeping",
			    elemsize, nelems, size);
}

/*
 * The scan bits cost no span a larger kmalloc bucket for its bookkeeping:
 * spans of every size class a type may have, and of a large object.
 */
static void heap_test_span_meta_size(struct kunit *test)
{
	unsigned int cls;

	for (cls = goslab_size_to_class(GOSLAB_TINY_SIZE);
	     cls < GOSLAB_NUM_SIZE_CLASSES; cls++)
		heap_test_meta_bucket(test, goslab_class_to_size[cls],
				      goslab_class_to_npages[cls]);
	heap_test_meta_bucket(test, GS_PAGE_SIZE, 1);
}

static struct kunit_case heap_test_cases[] = {
	KUNIT_CASE(heap_test_span_meta_size),
	{}
};

static struct kunit_suite heap_test_suite = {
	.name = "goslab_gc_heap_internal",
	.test_cases = heap_test_cases,
};

kunit_test_suites(&heap_test_suite);

#endif /* _GOSLAB_MGCHEAP_KUNIT_H */
