// SPDX-License-Identifier: GPL-2.0
/*
 * goslab: the Go runtime's memory allocator, in the kernel.
 *
 * This is Go's runtime/malloc.go design (itself TCMalloc's heir) for code
 * that calls it explicitly, as kmalloc is called.  The main allocator
 * works in runs of 8 KiB heap pages.  Small allocation sizes (up to and
 * including 32 KiB) are rounded to one of about 70 size classes, each of
 * which has its own free set of objects of exactly that size.  Any free
 * page of memory can be split into a set of objects of one size class.
 *
 * The allocator's data structures are:
 *
 *	mheap: the page heap, managed at 8 KiB granularity; see mheap.c.
 *	mspan: a run of in-use pages managed by the mheap.
 *	mcentral: collects all spans of a given size class; see mcentral.c.
 *	mcache: a per-CPU cache of free objects of each size; see mcache.c.
 *
 * Allocating a small object proceeds up a hierarchy of caches:
 *
 *	1. Round the size up to one of the small size classes and look in
 *	   this CPU's free list for the class.  If it is not empty, pop an
 *	   object.  This is done with interrupts off and no lock and no atomic
 *	   instruction: the list belongs to the CPU.
 *
 *	2. If the list is empty, take every free object of one span of the
 *	   class from the mcentral, under the mcentral's lock.  That refills
 *	   the CPU's list for many allocations to come, at the cost of one
 *	   lock.
 *
 *	3. If the mcentral has no span with free objects, take a run of pages
 *	   from the mheap and carve it into objects.
 *
 *	4. If the mheap has no free run large enough, get a new chunk from
 *	   the kernel with alloc_pages().  Large chunks amortize the cost of
 *	   talking to the kernel.
 *
 * Freeing a small object proceeds down the same hierarchy: push it on this
 * CPU's list; when the list grows past its high mark, return half of it
 * to the mcentral; a span whose objects have all come back returns to the
 * heap; free heap pages beyond a bound go back to the kernel after a delay
 * (the scavenger), or at once under memory pressure (the shrinker).
 *
 * Unlike Go, callers free explicitly and may free on any CPU, so an object
 * need not come back to the CPU that allocated it: it goes to the freeing
 * CPU's list, and from there in a batch to its span.  The span of any
 * pointer is found in O(1) through page->private of its page.
 *
 * Objects under 16 bytes are "tiny": as in Go, several are packed into one
 * 16-byte block, each aligned to the largest power of two dividing its
 * size (at most 8).  An 8-byte object is the exception: it fills a slot of
 * the 8-byte class exactly, so packing it would save nothing and cost the
 * block's count.  Go can do that because its collector frees the block
 * only when no object in it is reachable.  Here each block counts its live
 * objects instead; since a block is shared by objects that any CPU may
 * free, that count is the one atomic in goslab's object paths, paid on
 * tiny frees only.  While a CPU still packs into a block, it counts its
 * allocations privately and adds a bias to the block's count; retiring the
 * block swaps the bias for the real number.  A block is reused only once
 * all its objects are freed and its CPU has moved on.
 *
 * Objects over 32 KiB are "large": a span of their own, straight from the
 * mheap.  Those larger than the kernel's largest contiguous allocation are
 * built from single pages and vmap()ed, as vmalloc() does.
 *
 * Debug mode (the "debug" parameter) poisons free objects, checks the
 * poison when they are reused, and validates every free against the heap;
 * it turns the tiny allocator off so every object can be checked alone.
 * Under KASAN, free objects are poisoned in the shadow whatever the mode.
 *
 * Without debug mode a caller's misuse must still not corrupt the heap.
 * A freed pointer's page must carry goslab's marker before its span is
 * looked at, so memory goslab never handed out is refused, not followed;
 * a large object is freed only from its start, and only once.  With
 * CONFIG_SLAB_FREELIST_HARDENED, as SLUB does, a free of the object at the
 * head of this CPU's list and a free to the wrong goslab_cache are caught
 * on the fast path.  What gets past those (p, q, p) is caught when the
 * objects come back to their spans, where each span knows which of its
 * objects it holds: a span never goes back to the heap with objects in use.
 * Each finding is a log line and a counter of struct goslab_stats.
 */

#include <linux/cpu.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "internal.h"

static bool debug;
module_param(debug, bool, 0444);
MODULE_PARM_DESC(debug, "Poison and check free objects, validate frees");

/* Beyond this, an allocation fails at once. */
#define GS_MAX_ALLOC_SIZE	SZ_1G

/*
 * A tiny block's count holds this bias while a CPU packs into it: frees
 * cannot bring it to zero before the CPU retires the block.  At most 16
 * objects fit in a block, so the count fits in a byte.
 */
#define GS_TINY_BIAS	0x40U

DEFINE_STATIC_KEY_FALSE(gs_debug_key);
DEFINE_STATIC_KEY_FALSE(gs_alloc_hooks_key);
DEFINE_STATIC_KEY_FALSE(gs_free_hooks_key);
DEFINE_STATIC_KEY_FALSE(gs_hooks_slow_key);
unsigned long gs_link_secret __read_mostly;
struct mcentral gs_classes[GOSLAB_NUM_SIZE_CLASSES];
static char gs_class_names[GOSLAB_NUM_SIZE_CLASSES][12];
/* Set while the collector is loaded: see struct mspan_gc_ops. */
static const struct mspan_gc_ops *gs_gc_ops;

/**
 * goslab_debug_enabled() - whether goslab runs in debug mode
 *
 * Return: the value of the debug module parameter.
 */
bool goslab_debug_enabled(void)
{
	return static_branch_unlikely(&gs_debug_key);
}
EXPORT_SYMBOL_GPL(goslab_debug_enabled);

/*
 * The mcentral of each small size, by GOSLAB_CLASS8_INDEX() up to 1024
 * bytes and GOSLAB_CLASS128_INDEX() above: Go's two lookup tables, turned
 * into pointers at load so the fast path does one load, not two and a
 * multiply.
 */
static struct mcentral *gs_central8[GOSLAB_SMALL_SIZE_MAX / GOSLAB_SMALL_SIZE_DIV + 1]
	__read_mostly;
static struct mcentral *gs_central128[(GOSLAB_MAX_SMALL_SIZE - GOSLAB_SMALL_SIZE_MAX) /
				      GOSLAB_LARGE_SIZE_DIV + 1] __read_mostly;

static __always_inline struct mcentral *size_to_central(size_t size)
{
	if (size <= GOSLAB_SMALL_SIZE_MAX)
		return gs_central8[GOSLAB_CLASS8_INDEX(size)];
	return gs_central128[GOSLAB_CLASS128_INDEX(size)];
}

/* Index of the tiny block @p is in, within its span @s. */
static unsigned int tiny_index(const struct mspan *s, const void *p)
{
	return (p - s->base) / GOSLAB_TINY_SIZE;
}

/*
 * Drop @n from a block's count; at zero the block is free.  A count that
 * would go below zero is a double free: it is refused, since the byte's
 * borrow would come out of the neighbouring block's count.
 */
static void tiny_put(const void *p, unsigned int n)
{
	struct mspan *s = span_of(p);
	unsigned int idx = tiny_index(s, p), shift = (idx % 4) * 8;
	atomic_t *ref = &s->tinyref[idx / 4];
	int old = atomic_read(ref);

	do {
		if (((old >> shift) & 0xff) < n) {
			gs_debug_report(GS_DEBUG_DOUBLE_FREE, p,
					"takes its tiny block's count below zero");
			return;
		}
	} while (!atomic_try_cmpxchg(ref, &old, old - (n << shift)));
	if (((old >> shift) & 0xff) != n)
		return;
	p = s->base + idx * GOSLAB_TINY_SIZE;
	gs_kasan_poison(p, GOSLAB_TINY_SIZE);
	mcache_free(&gs_classes[GS_TINY_CLASS], (void *)p);
}

/**
 * gs_tiny_retire() - a CPU stops packing into a tiny block
 * @block: the block
 * @nallocs: objects the CPU packed into it
 */
void gs_tiny_retire(void *block, unsigned int nallocs)
{
	tiny_put(block, GS_TINY_BIAS - nallocs);
}

/*
 * A block fresh from the free list becomes this CPU's tiny block.  Inline
 * in tiny_alloc(), as tiny_alloc() is in its callers.
 */
static __always_inline u16 *tiny_block_init(void *block)
{
	struct mspan *s = span_of(block);
	unsigned int idx = tiny_index(s, block);

	atomic_add(GS_TINY_BIAS << ((idx % 4) * 8), &s->tinyref[idx / 4]);
	s->tinyend[idx] = 0;
	return &s->tinyend[idx];
}

/*
 * Pack @size bytes into this CPU's block.  Called with the local lock
 * held; the end mask and the KASAN shadow of the block are updated under
 * it too, so that two objects packed from one CPU never race on them.
 * KASAN opens exactly the object: room not yet packed stays a redzone,
 * and a freed object is poisoned free.
 */
static void *tiny_pack(struct mcache *mc, unsigned int off, size_t size)
{
	void *p = mc->tiny + off;

	mc->tinyoffset = off + size;
	mc->tinyallocs++;
	WRITE_ONCE(*mc->tinyend, *mc->tinyend | BIT(off + size - 1));
	gs_kasan_unpoison(p, size);
	__this_cpu_inc(gs_mcache.stat[GS_CPU_TINY]);
	return p;
}

/*
 * A tiny object's alignment: the largest power of two dividing its size,
 * at most 8.  Under KASAN, whose shadow describes memory in 8-byte
 * granules, always 8: each object starts a granule of its own, so that
 * KASAN can fence it off from its neighbours and poison it when it is
 * freed, while the block is still in use.
 */
static unsigned int tiny_align(size_t size)
{
	if (IS_ENABLED(CONFIG_KASAN_GENERIC))
		return 8;
	return min_t(unsigned int, size & -size, 8);
}

/* Inline in alloc_under16(), whose fast case it is, as it always was. */
static __always_inline void *tiny_alloc(size_t size, gfp_t gfp)
{
	unsigned int align = tiny_align(size);
	struct mcache *mc;
	unsigned long flags;
	unsigned int off, oldn;
	void *p, *old;
	u16 *end;

	local_lock_irqsave(&gs_mcache.lock, flags);
	mc = this_cpu_ptr(&gs_mcache);
	off = ALIGN(mc->tinyoffset, align);
	if (likely(mc->tiny && off + size <= GOSLAB_TINY_SIZE)) {
		p = tiny_pack(mc, off, size);
		local_unlock_irqrestore(&gs_mcache.lock, flags);
		goto out;
	}
	local_unlock_irqrestore(&gs_mcache.lock, flags);

	p = mcache_alloc(&gs_classes[GS_TINY_CLASS], gfp);
	if (!p)
		return NULL;
	end = tiny_block_init(p);
	/* For KASAN, room not yet packed lies past the objects' ends. */
	gs_kasan_redzone(p, 0, GOSLAB_TINY_SIZE);

	/*
	 * The CPU may have changed, or an interrupt may have installed a
	 * block meanwhile; whichever block is current gives way to this one.
	 */
	local_lock_irqsave(&gs_mcache.lock, flags);
	mc = this_cpu_ptr(&gs_mcache);
	old = mc->tiny;
	oldn = mc->tinyallocs;
	mc->tiny = p;
	mc->tinyend = end;
	mc->tinyoffset = 0;
	mc->tinyallocs = 0;
	p = tiny_pack(mc, 0, size);
	local_unlock_irqrestore(&gs_mcache.lock, flags);
	if (old)
		gs_tiny_retire(old, oldn);
out:
	/* A block fresh from its free list still holds the list's link. */
	if (unlikely(gs_want_init(gfp)))
		memset(p, 0, size);
	kmemleak_alloc(p, size, 1, gfp);
	return p;
}

static size_t tiny_size(struct mspan *s, const void *p)
{
	unsigned int off = (unsigned long)p % GOSLAB_TINY_SIZE;
	unsigned int mask = READ_ONCE(s->tinyend[tiny_index(s, p)]) >> off;

	return mask ? __ffs(mask) + 1 : 0;
}

/* A tiny block's count, read racily. */
static unsigned int tiny_count(const struct mspan *s, const void *p)
{
	unsigned int idx = tiny_index(s, p);

	return (atomic_read(&s->tinyref[idx / 4]) >> ((idx % 4) * 8)) & 0xff;
}

static void tiny_free(struct mspan *s, void *p)
{
	size_t size;

	/* A free that tiny_put() would refuse must not zero or poison first. */
	if (unlikely(!tiny_count(s, p)))
		return gs_debug_report(GS_DEBUG_DOUBLE_FREE, p,
				       "takes its tiny block's count below zero");
	if (static_branch_unlikely(&gs_mprof_key))
		gs_mprof_free(s, p);
	kmemleak_free(p);
	/* Only init_on_free and KASAN need the size: read it for them alone. */
	if (want_init_on_free() || IS_ENABLED(CONFIG_KASAN_GENERIC)) {
		size = tiny_size(s, p);
		if (want_init_on_free())
			memset(p, 0, size);
		gs_kasan_poison(p, size);
	}
	tiny_put(p, 1);
}

static noinline void *large_alloc(size_t size, gfp_t gfp)
{
	unsigned int npages = DIV_ROUND_UP(size, GS_PAGE_SIZE);
	struct mspan *s;

	if (size > GS_MAX_ALLOC_SIZE)
		return NULL;
	if (npages <= GS_MAX_RUN_PAGES)
		s = mheap_alloc_span(npages, MSPAN_LARGE, gfp);
	else
		s = mheap_alloc_huge(npages, gfp);
	if (!s)
		return NULL;
	/* Under init_on_free, heap pages are zero already, as buddy pages are. */
	if (want_init_on_alloc(gfp) && !want_init_on_free())
		mheap_span_clear(s, gfpflags_allow_blocking(gfp));
	/* As kmalloc()'s large objects: KASAN fences off the page run's tail. */
	gs_kasan_redzone(s->base, size, (size_t)s->npages << GS_PAGE_SHIFT);
	/* A huge object's vm_struct points at it too: one reference more. */
	kmemleak_alloc(s->base, size, s->state == MSPAN_HUGE ? 2 : 1, gfp);
	if (static_branch_unlikely(&gs_mprof_key))
		gs_mprof_malloc(s->base, (size_t)s->npages << GS_PAGE_SHIFT, gfp);
	return s->base;
}

/* alloc_under16() in debug mode (a class) or with the profiler on. */
static noinline void *alloc_under16_hooked(size_t size, gfp_t flags)
{
	void *p;

	if (static_branch_unlikely(&gs_debug_key))
		return gs_fast_alloc(size_to_central(size), size, flags);
	p = tiny_alloc(size, flags);
	if (p && static_branch_unlikely(&gs_mprof_key))
		gs_mprof_malloc(p, size, flags);
	return p;
}

/* Sizes 0 to 15 but 8: ZERO_SIZE_PTR, tiny, or (debug mode) a class. */
static noinline void *alloc_under16(size_t size, gfp_t flags)
{
	if (!size)
		return ZERO_SIZE_PTR;
	if (static_branch_unlikely(&gs_hooks_slow_key))
		return alloc_under16_hooked(size, flags);
	return tiny_alloc(size, flags);
}

/**
 * goslab_alloc() - allocate memory
 * @size: bytes wanted
 * @flags: GFP flags; __GFP_ZERO zeroes the memory, and without
 *	__GFP_DIRECT_RECLAIM goslab never sleeps (GFP_ATOMIC works in any
 *	context, hard interrupts included).  The pages and metadata goslab
 *	allocates for the object follow the same reclaim context (gs_gfp()):
 *	GFP_NOFS and GFP_NOIO never enter FS or IO reclaim.  __GFP_ACCOUNT
 *	is ignored.
 *
 * Not from NMI context, where it fails (returns NULL) with a warning
 * once.  On PREEMPT_RT, as kmalloc(), not from hard interrupts or with
 * interrupts or preemption off, nor under a raw_spinlock_t: goslab's
 * locks sleep there.
 *
 * Objects under 16 bytes but 8 are packed into shared 16-byte blocks,
 * aligned to the largest power of two that divides their size (at most 4;
 * 8 under KASAN, so that it sees each of them on its own).  Objects
 * up to 32 KiB get their size class; they are aligned to the largest power
 * of two dividing the class size, at most 8 KiB.  Larger objects are whole
 * 8 KiB heap pages, page aligned; beyond 4 MiB they are vmap()ed and need
 * a sleeping @flags.
 *
 * Return: the memory, ZERO_SIZE_PTR for @size 0, or NULL on failure.
 */
void *goslab_alloc(size_t size, gfp_t flags)
{
	struct mcentral *c;

	if (unlikely(in_nmi()))
		return gs_nmi_alloc();
	gs_might_alloc(flags);
	/* Tested in the order of how common the sizes are in the kernel. */
	if (likely(size <= GOSLAB_SMALL_SIZE_MAX)) {
		if (unlikely(size < GOSLAB_TINY_SIZE) && size != 8)
			return alloc_under16(size, flags);
		c = gs_central8[GOSLAB_CLASS8_INDEX(size)];
	} else if (likely(size <= GOSLAB_MAX_SMALL_SIZE)) {
		c = gs_central128[GOSLAB_CLASS128_INDEX(size)];
	} else {
		return large_alloc(size, flags);
	}
	return gs_fast_alloc(c, size, flags);
}
EXPORT_SYMBOL_GPL(goslab_alloc);

/**
 * goslab_alloc_footprint() - the memory an object of goslab_alloc() pins
 * @size: bytes, as for goslab_alloc()
 *
 * For callers that account memory, as kmalloc_size_roundup() is for
 * kmalloc(): what goslab keeps in use for the object while it lives.  A
 * tiny object, its 16-byte block; a small one, its size class's slot and
 * its share of the span's tail; a large one, its whole 8 KiB heap pages,
 * and a huge one those and the array of its kernel pages.  At least @size
 * and at least goslab_usable_size() of the object; the same for every
 * call while goslab is loaded.
 *
 * Return: the bytes, or 0 for @size 0 or beyond what goslab_alloc() gives.
 */
size_t goslab_alloc_footprint(size_t size)
{
	struct mcentral *c;
	size_t bytes;

	if (!size || size > GS_MAX_ALLOC_SIZE)
		return 0;
	if (size > GOSLAB_MAX_SMALL_SIZE) {
		bytes = round_up(size, GS_PAGE_SIZE);
		if (bytes >> GS_PAGE_SHIFT > GS_MAX_RUN_PAGES)
			bytes += (bytes >> PAGE_SHIFT) * sizeof(struct page *);
		return bytes;
	}
	/* As alloc_under16(): debug mode gives those sizes a class. */
	if (size < GOSLAB_TINY_SIZE && size != 8 &&
	    !static_branch_unlikely(&gs_debug_key))
		return GOSLAB_TINY_SIZE;
	c = size_to_central(size);
	return gs_slot_footprint(c->npages, c->nelems);
}
EXPORT_SYMBOL_GPL(goslab_alloc_footprint);

/* A pointer whose page goslab has not marked: say what it is, refuse it. */
static void free_unowned(const void *p)
{
	bool in_heap;

	if (!mheap_span_of_checked(p, &in_heap) && in_heap)
		gs_debug_report(GS_DEBUG_DOUBLE_FREE, p, "is in free heap pages");
	else
		gs_debug_report(GS_DEBUG_INVALID_FREE, p, "is not goslab memory");
}

/* Frees the fast path leaves alone: debug mode, tiny, large, huge, GC. */
static noinline void free_slow(const void *p)
{
	bool dbg = static_branch_unlikely(&gs_debug_key);
	struct mspan *s;

	s = dbg ? gs_debug_free(p) : span_of_owned(p);
	if (!s) {
		if (!dbg)
			free_unowned(p);
		return;
	}
	switch (s->state) {
	case MSPAN_SMALL:
		if (s->central->tiny)
			tiny_free(s, (void *)p);
		else
			gs_fast_free(s->central, (void *)p);
		break;
	case MSPAN_GC:
		gs_gc_ops->bad_free(s, p);	/* never freed explicitly */
		break;
	default:
		/* Debug mode checked and claimed it under the heap lock. */
		if (!dbg && p != s->base)
			return gs_debug_report(GS_DEBUG_INVALID_FREE, p,
					       "is inside a large object");
		if (!dbg && !mheap_claim_free(s))
			return gs_debug_report(GS_DEBUG_DOUBLE_FREE, p,
					       "is already free");
		if (static_branch_unlikely(&gs_mprof_key))
			gs_mprof_free(s, p);
		kmemleak_free(p);
		mheap_free_span(s);	/* zeroed there under init_on_free */
	}
}

/**
 * goslab_free() - free memory from goslab_alloc() or goslab_cache_alloc()
 * @p: the memory; NULL and ZERO_SIZE_PTR are ignored
 *
 * Any context an allocation could be made in, huge objects included:
 * their unmapping is left to a work item.  In NMI context the free is
 * deferred to an irq_work, with a warning once.  On PREEMPT_RT, as for
 * kfree(), not from hard interrupts, with interrupts or preemption off, or
 * under a raw_spinlock_t, where goslab's locks cannot sleep.  @p may be
 * freed on any CPU.
 *
 * A pointer goslab never handed out, a pointer into a large object and a
 * second free of a large object are refused, with a log line and a count
 * in struct goslab_stats, debug mode or not; so is a second free of a
 * small object when its CPU list or its span sees it (the malloc.c
 * design notes say which do).  Debug mode catches every such free.
 */
void goslab_free(const void *p)
{
	unsigned long addr = (unsigned long)p;
	struct mcentral *c;
	struct page *page;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	if (unlikely(in_nmi()))
		return gs_nmi_free(p);
	if (unlikely(gs_is_vmalloc(addr)) || static_branch_unlikely(&gs_debug_key))
		return free_slow(p);
	page = gs_direct_page(addr);
	if (unlikely(!gs_page_owned(page)))
		return free_slow(p);
	c = gs_page_span(page)->free_to;
	if (unlikely(!c))
		return free_slow(p);
	gs_fast_free(c, (void *)p);
}
EXPORT_SYMBOL_GPL(goslab_free);

/**
 * goslab_usable_size() - the bytes a caller may use in an object
 * @p: memory from goslab; NULL and ZERO_SIZE_PTR give 0
 *
 * As ksize(): at least the size asked for.  It is the size class for small
 * objects, the requested size for tiny ones, whole heap pages for large
 * ones.  Under KASAN the whole of it becomes accessible.
 *
 * Return: the usable size; 0 for memory goslab did not hand out, which
 * is logged and counted as debug_invalid_free.
 */
size_t goslab_usable_size(const void *p)
{
	struct mspan *s;
	size_t size;
	bool in_heap;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return 0;
	if (static_branch_unlikely(&gs_debug_key)) {
		/* The heap lock, which an NMI may have interrupted. */
		if (in_nmi()) {
			gs_nmi_warn();
			return 0;
		}
		s = mheap_span_of_checked(p, &in_heap);
		if (!s)
			return 0;
	} else {
		s = span_of_owned(p);
		if (unlikely(!s)) {
			gs_debug_report(GS_DEBUG_INVALID_FREE, p,
					"is not goslab memory (usable size asked)");
			return 0;
		}
	}
	if (unlikely(s->state == MSPAN_GC))
		return gs_gc_ops->usable_size(s, p);
	if (s->state != MSPAN_SMALL) {
		size = (size_t)s->npages << GS_PAGE_SHIFT;
		gs_kasan_unpoison(s->base, size);
		return size;
	}
	if (s->central->tiny)
		return tiny_size(s, p);
	size = s->central->objsize;
	gs_kasan_unpoison(p, size);
	return size;
}
EXPORT_SYMBOL_GPL(goslab_usable_size);

/* The public header's copies of the size class table's limits. */
static_assert(GOSLAB_NR_SIZE_CLASSES == GOSLAB_NUM_SIZE_CLASSES);
static_assert(GOSLAB_CACHE_MAX_SIZE == GOSLAB_MAX_SMALL_SIZE);
static_assert(GOSLAB_CACHE_MAX_ALIGN == GS_PAGE_SIZE);

/**
 * goslab_object_tier() - where goslab keeps an object
 * @p: memory from goslab_alloc() or goslab_cache_alloc(), not yet freed
 *
 * For a caller that shows or checks goslab's layout (/dev/goslab's
 * GOSLAB_IOC_USABLE_SIZE does) without reading goslab's structures.
 * Lockless and O(1).  Kernel memory goslab does not own is told apart as
 * goslab_usable_size() tells it (span_of_owned()), but neither logged nor
 * counted.
 *
 * Return: the tier of @p; GOSLAB_NO_TIER for NULL, a GC object, or kernel
 * memory goslab did not hand out (a kmalloc object, a stack).
 */
enum goslab_tier goslab_object_tier(const void *p)
{
	const struct mspan *s;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return GOSLAB_NO_TIER;
	s = span_of_owned(p);
	if (unlikely(!s))
		return GOSLAB_NO_TIER;
	switch (s->state) {
	case MSPAN_SMALL:
		return s->central->tiny ? GOSLAB_TINY : GOSLAB_SMALL;
	case MSPAN_LARGE:
		return GOSLAB_LARGE;
	case MSPAN_HUGE:
		return GOSLAB_HUGE;
	default:
		return GOSLAB_NO_TIER;
	}
}
EXPORT_SYMBOL_GPL(goslab_object_tier);

static int classes_init(void)
{
	struct mcentral *c;
	unsigned int i, size;

	for (i = 0; i < GOSLAB_NUM_SIZE_CLASSES; i++) {
		/* Slot 0, unused in Go's table, holds the tiny blocks. */
		size = i == GS_TINY_CLASS ? GOSLAB_TINY_SIZE :
					    goslab_class_to_size[i];
		snprintf(gs_class_names[i], sizeof(gs_class_names[i]),
			 i == GS_TINY_CLASS ? "tiny" : "%u", size);
		mcentral_init(&gs_classes[i], gs_class_names[i], i, size, size,
			      0, i == GS_TINY_CLASS ? 1 : goslab_class_to_npages[i],
			      NULL, &gs_mcache.alloc[i]);
	}
	gs_classes[GS_TINY_CLASS].tiny = true;
	for (i = 0; i < ARRAY_SIZE(gs_central8); i++)
		gs_central8[i] = &gs_classes[goslab_size_to_class8[i]];
	for (i = 0; i < ARRAY_SIZE(gs_central128); i++)
		gs_central128[i] = &gs_classes[goslab_size_to_class128[i]];
	/* Every pointer into a span must find its object: see gs_divmagic(). */
	for (i = 0; i < GOSLAB_NUM_SIZE_CLASSES; i++) {
		c = &gs_classes[i];
		if (!gs_divmagic_exact(c->elemsize, c->npages, c->divmagic))
			return -EINVAL;
	}
	return 0;
}

/**
 * mspan_set_gc_ops() - the collector's answers about its spans
 * @ops: the collector's, or NULL once it has no span left
 */
void mspan_set_gc_ops(const struct mspan_gc_ops *ops)
{
	gs_gc_ops = ops;
}

/* A span's line in debugfs "spans", by its owner. */
static void show_span(struct seq_file *m, unsigned long chunk,
		      unsigned long page, const struct mspan *s)
{
	if (s->state == MSPAN_GC)
		gs_gc_ops->show_span(m, chunk, page, s);
	else
		mcentral_show_span(m, chunk, page, s);
}

/**
 * gs_spans_open() - open debugfs "spans": every chunk of the heap, run by run
 * @file: the file; its release must be seq_release_private()
 *
 * Return: 0 or -ENOMEM.
 */
int gs_spans_open(struct file *file)
{
	return mheap_spans_open(file, show_span);
}

static void gs_key_set(struct static_key_false *key, bool on)
{
	if (on)
		static_branch_enable(key);
	else
		static_branch_disable(key);
}

/**
 * gs_hooks_update() - set the hooks' keys for the options and the profiler
 * @prof_alloc: the profiler samples allocations
 * @prof_free: the profiler follows the frees of the objects it sampled
 *
 * The free hooks' key is set first: turned on, frees are followed before
 * the first sample.  To stop, mprof.c turns sampling off (@prof_free
 * still true), forgets its samples, and only then stops following frees.
 *
 * Context: process context, sleeps; goslab's init or gs_mprof_mutex.
 */
void gs_hooks_update(bool prof_alloc, bool prof_free)
{
	bool init = want_init_on_alloc(0) || want_init_on_free();

	gs_key_set(&gs_free_hooks_key, debug || want_init_on_free() || prof_free);
	gs_key_set(&gs_hooks_slow_key, debug || prof_alloc || prof_free);
	gs_key_set(&gs_alloc_hooks_key, debug || init || prof_alloc);
}

/**
 * gs_malloc_init() - set up the object tiers, before the heap
 *
 * Checks that the direct map can be told from vmalloc memory, sets the
 * static keys of the boot's options and of the debug parameter, and
 * builds the size classes.  Takes no memory.
 *
 * Return: 0, -ENODEV on a kernel whose address layout goslab cannot use,
 * or -EINVAL if a size class's index divisor is not exact.
 */
int __init gs_malloc_init(void)
{
	/* gs_is_vmalloc() tells the direct map from the vmalloc area by one compare. */
	if ((unsigned long)high_memory > VMALLOC_START)
		return -ENODEV;
	gs_link_secret = get_random_long();
	gs_nmi_init();
	if (debug)
		static_branch_enable(&gs_debug_key);
	gs_hooks_update(false, false);
	return classes_init();
}

/**
 * gs_malloc_exit() - every cache and size class gives its spans back
 *
 * Context: no caller left, every CPU's lists drained (mcache_exit()).
 */
void gs_malloc_exit(void)
{
	unsigned int i;

	gs_caches_exit();
	for (i = 0; i < GOSLAB_NUM_SIZE_CLASSES; i++)
		mcentral_release_all(&gs_classes[i]);
}
