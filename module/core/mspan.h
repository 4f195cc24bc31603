/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct mspan, a run of heap pages, and how goslab finds the span of a
 * pointer: every kernel page of a span in use points at it.  internal.h
 * includes this; the heap (mheap.c) makes and frees spans, mcentral.c
 * carves small ones, the collector (module/gc/) owns MSPAN_GC ones.
 */
#ifndef _GOSLAB_MSPAN_H
#define _GOSLAB_MSPAN_H

enum mspan_state {
	MSPAN_FREE,	/* pages in the heap's free runs */
	MSPAN_SMALL,	/* carved into objects of one mcentral */
	MSPAN_LARGE,	/* one large object, physically contiguous */
	MSPAN_HUGE,	/* one object beyond GS_MAX_RUN_PAGES, vmap()ed */
	MSPAN_GC,	/* a GC type's objects (mgcheap.c); ->gc has the rest */
};

struct mchunk;
struct mcentral;
struct gs_gc_span;

/* Spans of up to this many objects keep mspan.onlist inline. */
#define GS_ONLIST_INLINE	128

/**
 * struct mspan - a run of heap pages
 * @list: on mcentral.partial or mcentral.full (mcentral.lock), or on
 *	mheap.large or, once freed, a huge span on mheap.huge_dying
 *	(mheap.lock)
 * @base: address of the first byte
 * @npages: heap pages (8 KiB) in the run
 * @state: enum mspan_state; set by the heap, constant while the span lives
 * @central: owner of a small span; NULL otherwise
 * @free_to: the mcentral goslab_free() hands objects straight to: @central
 *	for small spans but tiny ones, NULL for every span the fast path
 *	must leave alone
 * @chunk: the heap chunk of a small or large span
 * @freelist: free objects still in the span (mcentral.lock)
 * @nalloc: objects handed out of the span, to CPU caches or to callers
 *	(mcentral.lock)
 * @node: huge spans in use, which have none of the three above: in
 *	mheap.huge (mheap.lock)
 * @onlist: small spans: a bit per object, set while it is on @freelist
 *	(mcentral.lock), so that an object coming back twice is seen
 * @onlist_bits: @onlist of a span of up to GS_ONLIST_INLINE objects,
 *	which would cost an allocation per span otherwise
 * @tinyref: tiny spans only: one byte per 16-byte block, four to a word,
 *	counting the block's live objects plus a bias while a CPU still
 *	packs into it (see malloc.c)
 * @tinyend: tiny spans only: per block, a bit set at the last byte of each
 *	object, so that goslab_usable_size() can tell an object's size
 * @allocbits: debug mode only: a bit per object, set while a caller owns it
 * @freed: debug mode only, large and huge spans: a free of the object was
 *	claimed (mheap.lock)
 * @nsampled: objects of the span the heap profiler sampled and still
 *	tracks (gs_mprof.lock; read racily by frees, see gs_mprof_free())
 * @pages: huge spans only: the kernel pages behind the vmap()ed range
 * @free_node: huge spans only: on mheap.huge_deferred once freed
 * @gc: MSPAN_GC spans only: the collector's bitmaps and type (mgc.h);
 *	set before the span's first object is handed out, constant after;
 *	published with smp_store_release(), for readers that find the span
 *	by its pages
 *
 * Every kernel page of a span in use points back to it through
 * page->private, which makes finding the span of a pointer O(1).
 * kmemleak scans a span from @onlist on only (mheap.c): a pointer to an
 * object (@base, @freelist) must stay above it.
 */
struct mspan {
	struct list_head list;
	void *base;
	unsigned int npages;
	enum mspan_state state;
	struct mcentral *central;
	struct mcentral *free_to;
	union {
		struct {
			struct mchunk *chunk;
			void *freelist;
			unsigned int nalloc;
		};
		struct rb_node node;
	};
	unsigned long *onlist;
	unsigned long onlist_bits[BITS_TO_LONGS(GS_ONLIST_INLINE)];
	atomic_t *tinyref;
	u16 *tinyend;
	unsigned long *allocbits;
	bool freed;
	unsigned int nsampled;
	struct page **pages;
	struct llist_node free_node;
	struct gs_gc_span *gc;
};

/*
 * goslab memory is either in the direct map or vmap()ed, and the direct map
 * lies below the vmalloc area (gs_malloc_init() checks): one compare tells
 * them apart, where is_vmalloc_addr() is a function call and two.
 */
static __always_inline bool gs_is_vmalloc(unsigned long addr)
{
	return addr >= VMALLOC_START;
}

/* The page of a direct-map address. */
static __always_inline struct page *gs_direct_page(unsigned long addr)
{
#ifdef CONFIG_X86_64
	/* __pa() without its test for kernel-image addresses. */
	return pfn_to_page((addr - PAGE_OFFSET) >> PAGE_SHIFT);
#else
	return virt_to_page((void *)addr);
#endif
}

/*
 * Every kernel page of a span in use carries GS_PAGE_MAGIC in page->index
 * and its span in page->private; pages goslab does not own, or no longer
 * does, do not.  So a pointer a caller frees is checked before its
 * page->private is followed: a slab page's, a page-cache page's, a vmalloc
 * page's or a plain alloc_pages() page's index is an address, a file
 * offset, or zero, never this odd number, which points into the unused
 * top of the address space (so kmemleak's scan of struct pages takes it
 * for no object).  It is a marker against mistakes, not a secret against
 * attacks, and it fits one compare with a sign-extended immediate, which
 * is what the free fast path can afford.
 */
#define GS_PAGE_MAGIC	((pgoff_t)-0x1a5f0bL)	/* 0xffffffffffe5a0f5 */

static __always_inline bool gs_page_owned(const struct page *page)
{
	return page->index == GS_PAGE_MAGIC;
}

static __always_inline struct mspan *gs_page_span(const struct page *page)
{
	return (struct mspan *)page_private(page);
}

/**
 * span_of() - the span of an object goslab handed out
 * @p: pointer to the start of, or into, an object in use
 *
 * Return: its span.  O(1): a page table walk for huge objects, arithmetic
 * on the linear map for all others.
 */
static __always_inline struct mspan *span_of(const void *p)
{
	unsigned long addr = (unsigned long)p;

	if (unlikely(gs_is_vmalloc(addr)))
		return gs_page_span(vmalloc_to_page(p));
	return gs_page_span(gs_direct_page(addr));
}

/**
 * span_of_owned() - the span of any pointer a caller hands goslab
 * @p: a pointer that may not be goslab's at all
 *
 * Follows page->private only on pages goslab marked (GS_PAGE_MAGIC): a
 * pointer into a kmalloc object, a stack, the kernel image, vmalloc
 * memory or another subsystem's page gives NULL.  A pointer that is not
 * kernel memory at all (a user address, an unmapped hole in the direct
 * map) is not checked, as kfree() does not check it.
 *
 * Return: the span in use whose pages @p is in, or NULL.
 */
static inline struct mspan *span_of_owned(const void *p)
{
	unsigned long addr = (unsigned long)p;
	struct page *page;

	if (gs_is_vmalloc(addr)) {
		page = is_vmalloc_addr(p) ? vmalloc_to_page(p) : NULL;
		if (!page)
			return NULL;
	} else {
		page = gs_direct_page(addr);
	}
	return gs_page_owned(page) ? gs_page_span(page) : NULL;
}

/*
 * The index of the object at byte @offset of a span, offset / elemsize,
 * by the span's divmagic (see gs_divmagic()).  Every lookup of an object
 * from a pointer into a span goes through here.
 */
static __always_inline unsigned int gs_span_index(unsigned long offset,
						  u32 divmagic)
{
	return ((u64)offset * divmagic) >> 32;
}

/**
 * struct mspan_gc_ops - what core asks the collector about MSPAN_GC spans
 * @bad_free: goslab_free() was given an object of such a span
 * @usable_size: goslab_usable_size() of such an object
 * @show_span: such a span's line in debugfs "spans" (mheap_spans_open()),
 *	under mheap.lock
 *
 * MSPAN_GC spans belong to the optional collector (module/gc/), which
 * sits above core: core carves nothing in them and knows nothing of their
 * objects, and reaches the collector only through these.  The collector
 * registers them (mspan_set_gc_ops()) before it creates its first span
 * and takes them back after its last span went back to the heap.
 */
struct mspan_gc_ops {
	void (*bad_free)(struct mspan *s, const void *p);
	size_t (*usable_size)(struct mspan *s, const void *p);
	void (*show_span)(struct seq_file *m, unsigned long chunk,
			  unsigned long page, const struct mspan *s);
};

void mspan_set_gc_ops(const struct mspan_gc_ops *ops);

#endif /* _GOSLAB_MSPAN_H */
