/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab internal definitions, shared by the tiers.
 *
 * The data structures follow the Go runtime's names:
 *
 *   mspan     a run of whole 8 KiB heap pages; either carved into objects of
 *             one size (a small span) or holding one large object.
 *   mcentral  the spans of one size class (or of one goslab_cache), under a
 *             spinlock; it hands a span's free objects to CPUs in one go
 *             and takes freed objects back in batches.
 *   mcache    per-CPU state: a free list per mcentral and the tiny block.
 *   mheap     the page heap: chunks of memory from alloc_pages(), free page
 *             runs found in per-chunk bitmaps, large objects.
 *
 * Locking, from the outside in; no two of these are ever held together:
 *
 *   mcache.lock     local_lock_t, per CPU.  Protects that CPU's free lists
 *                   and tiny block.  On !PREEMPT_RT it disables interrupts,
 *                   which is what makes the fast path IRQ-safe with neither
 *                   a lock nor an atomic read-modify-write; on PREEMPT_RT
 *                   it is a per-CPU sleeping lock.
 *   mcentral.lock   spinlock_t, taken with interrupts off.
 *   mheap.lock      spinlock_t, taken with interrupts off.
 *   gs_mprof.lock   raw_spinlock_t (mprof.c), the heap profiler's tables,
 *                   taken with interrupts off, for a few steps, in any
 *                   context goslab allocates or frees in.
 */
#ifndef _GOSLAB_INTERNAL_H
#define _GOSLAB_INTERNAL_H

#include <linux/cache.h>
#include <linux/gfp.h>
#include <linux/jump_label.h>
#include <linux/kmemleak.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/local_lock.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rbtree.h>
#include <linux/sched/mm.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <linux/goslab.h>

struct file;
struct seq_file;

#include "compat.h"
#include "sizeclasses.h"
#include "testhook.h"

#define GS_PAGE_SHIFT	GOSLAB_PAGE_SHIFT
#define GS_PAGE_SIZE	GOSLAB_PAGE_SIZE
/* Kernel pages per heap page, and the buddy order of one heap page. */
#define GS_KPAGES	(GS_PAGE_SIZE >> PAGE_SHIFT)
#define GS_PAGE_ORDER	(GS_PAGE_SHIFT - PAGE_SHIFT)

/* The largest physically contiguous run alloc_pages() can give. */
#define GS_MAX_RUN_PAGES	(1U << (MAX_PAGE_ORDER - GS_PAGE_ORDER))

/* Tiny blocks live in their own size class slot: Go leaves class 0 unused. */
#define GS_TINY_CLASS	0

#include "mspan.h"

/*
 * The memory one object keeps in use in a span of @npages heap pages
 * carved into @nelems objects: its slot and its share of the bytes at the
 * span's end that fit no slot.
 */
static inline size_t gs_slot_footprint(unsigned int npages,
				       unsigned int nelems)
{
	return DIV_ROUND_UP((size_t)npages << GS_PAGE_SHIFT, nelems);
}

/**
 * struct mcentral - the spans of one object size
 * @lock: protects @partial, @full, the spans' @freelist and @nalloc, and
 *	the counters here; they are read racily
 * @partial: spans with at least one free object
 * @full: spans whose objects are all handed out
 * @nspans: spans owned
 * @nalloc: objects handed out of all spans, to CPU caches or callers
 * @pcp: each CPU's free list for this size, under that CPU's mcache.lock
 * @elemsize: distance between objects (the size class)
 * @objsize: bytes a caller may use in an object
 * @offset: where in an object the free-list link is kept: 0, or past the
 *	object when a constructor's work must survive on the free list
 * @zero_words: 8-byte words the fast path zeroes when it must (@objsize
 *	rounded up, within the element); 0 with a constructor, whose objects
 *	are zeroed only once, with their span, before it runs
 * @nelems: objects per span
 * @npages: heap pages per span
 * @high: a CPU's free list is flushed when it reaches this length
 * @divmagic: (offset * divmagic) >> 32 == offset / elemsize within a span;
 *	see gs_divmagic()
 * @sizeclass: index in the size class table, or -1 for a goslab_cache
 * @tiny: the span's objects are tiny blocks, with reference counts
 * @ctor: constructor run once per object when its span is carved, on
 *	memory carve() has zeroed
 * @name: for statistics
 * @refilled: objects ever handed to CPU lists (mcentral_grab())
 * @flushed: objects ever taken back from CPU lists, flushed or drained
 *	(mcentral_return()); until mcentral_release_all(), @nalloc is
 *	@refilled - @flushed
 * @all: on the list of every mcentral (mcentral_mutex to change, RCU to
 *	walk: mcentral_for_each())
 *
 * Constant after init: everything from @pcp to @name.
 */
struct mcentral {
	spinlock_t lock; /* see above */
	struct list_head partial;
	struct list_head full;
	unsigned long nspans;
	unsigned long nalloc;

	struct gs_freelist __percpu *pcp;
	unsigned int elemsize;
	unsigned int objsize;
	unsigned int offset;
	unsigned int zero_words;
	unsigned int nelems;
	unsigned int npages;
	unsigned int high;
	u32 divmagic;
	int sizeclass;
	bool tiny;
	void (*ctor)(void *obj);
	const char *name;
	/* Here, not by @nalloc: the fast path's fields keep their offsets. */
	unsigned long refilled;
	unsigned long flushed;
	struct list_head all;
};

/**
 * struct gs_freelist - a CPU's free objects of one mcentral
 * @head: first free object; each links to the next (see gs_link_get())
 * @count: objects on the list
 */
struct gs_freelist {
	void *head;
	unsigned int count;
};

/*
 * Only the free fast path counts: every object that enters a CPU's lists
 * comes from a free or a refill, and leaves to a caller, a flush or a
 * drain, so the allocations are what the lists took in less what they
 * let go and still hold (mcache_allocs()).  One increment per pair where
 * two would do.
 */
enum gs_cpu_counter {
	GS_CPU_FREE,		/* objects freed onto the lists */
	GS_CPU_REFILL,		/* lists filled from an mcentral */
	GS_CPU_REFILLED,	/* objects those refills brought */
	GS_CPU_FLUSH,		/* batches returned to an mcentral */
	GS_CPU_FLUSHED,		/* objects those flushes took back */
	GS_CPU_DRAINED,		/* objects drained (offline, trim, destroy) */
	GS_CPU_TINY,		/* tiny objects packed */
	GS_CPU_COUNTER_COUNT,
};

/**
 * struct mcache - per-CPU state
 * @lock: protects everything below on this CPU
 * @tiny: the tiny block being packed, or NULL
 * @tinyend: the end mask of @tiny, in its span
 * @tinyoffset: first free byte in @tiny
 * @tinyallocs: objects packed into @tiny so far
 * @alloc: the free lists of the size classes, indexed by class
 * @stat: enum gs_cpu_counter; written under @lock, read racily
 *
 * The free lists of goslab_caches are per-CPU allocations of their own,
 * under the same @lock.
 */
struct mcache {
	local_lock_t lock;
	void *tiny;
	u16 *tinyend;
	unsigned int tinyoffset;
	unsigned int tinyallocs;
	struct gs_freelist alloc[GOSLAB_NUM_SIZE_CLASSES];
	unsigned long stat[GS_CPU_COUNTER_COUNT];
};

DECLARE_PER_CPU(struct mcache, gs_mcache);

/* The size classes, each with its mcentral; slot 0 holds the tiny blocks. */
extern struct mcentral gs_classes[GOSLAB_NUM_SIZE_CLASSES];

DECLARE_STATIC_KEY_FALSE(gs_debug_key);

/* Address-dependent encoding of free-list links, as SLUB's hardening. */
extern unsigned long gs_link_secret;

#ifdef CONFIG_KASAN_GENERIC
/*
 * Free objects are poisoned in KASAN's shadow; the allocator itself must
 * still read and write their links, so these two are not instrumented.
 */
void *gs_link_raw_get(void *slot);
void gs_link_raw_set(void *slot, void *val);
#else
static inline void *gs_link_raw_get(void *slot)
{
	return *(void **)slot;
}

static inline void gs_link_raw_set(void *slot, void *val)
{
	*(void **)slot = val;
}
#endif

static __always_inline unsigned long gs_link_mask(void *slot)
{
	if (IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED))
		return gs_link_secret ^ swab((unsigned long)slot);
	return 0;
}

/* The next free object after @obj, on a list of @c's objects. */
static __always_inline void *gs_link_get(const struct mcentral *c, void *obj)
{
	void *slot = obj + c->offset;

	return (void *)((unsigned long)gs_link_raw_get(slot) ^ gs_link_mask(slot));
}

static __always_inline void gs_link_set(const struct mcentral *c, void *obj,
					void *next)
{
	void *slot = obj + c->offset;

	gs_link_raw_set(slot, (void *)((unsigned long)next ^ gs_link_mask(slot)));
}

/*
 * The flags for everything goslab allocates on a caller's behalf: heap
 * pages and its own metadata (spans, chunk bitmaps, tiny and debug maps,
 * GC spans, a huge object's page array).  What the caller said about
 * reclaim carries over (whether it may sleep, enter FS or IO reclaim, wake
 * kswapd, use reserves, which cpuset to keep to) and so do its modifiers
 * (__GFP_NOWARN, __GFP_NORETRY, __GFP_RETRY_MAYFAIL, __GFP_NOFAIL,
 * __GFP_[NO]MEMALLOC, __GFP_NOLOCKDEP); nothing else does: no zone or
 * mobility, since goslab memory is ZONE_NORMAL and unmovable, no
 * __GFP_ZERO (goslab zeroes objects, not pages), and no __GFP_ACCOUNT,
 * since a chunk serves every caller alike and charging it to the one that
 * happened to grow the heap would be wrong (goslab memory is not charged
 * to memory cgroups).
 */
#define GS_GFP_MASK	(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HIGH | \
			 __GFP_HARDWALL | __GFP_NOWARN | __GFP_NORETRY | \
			 __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_MEMALLOC | \
			 __GFP_NOMEMALLOC | __GFP_NOLOCKDEP | GS_GFP_ATOMIC)

static inline gfp_t gs_gfp(gfp_t gfp)
{
	return gfp & GS_GFP_MASK;
}

/*
 * As kmalloc() does, report an allocation that may sleep from atomic
 * context, or recurse into FS reclaim, even when a free list serves it.
 * Only on kernels built with lockdep or DEBUG_ATOMIC_SLEEP, which can see
 * it: production kernels leave out the check and the voluntary preemption
 * point that comes with it, which the fast path does without.  It is
 * might_alloc() spelled out, so that DEBUG_ATOMIC_SLEEP's report names
 * this file, not the header every allocator shares (the tests tell
 * goslab's report from slab's so).
 */
static __always_inline void gs_might_alloc(gfp_t gfp)
{
	if (IS_ENABLED(CONFIG_LOCKDEP) || IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP)) {
		fs_reclaim_acquire(gfp);
		fs_reclaim_release(gfp);
		might_sleep_if(gfpflags_allow_blocking(gfp));
	}
}

/* mheap.c: the page heap */
struct mspan *mheap_alloc_span(unsigned int npages, enum mspan_state state,
			       gfp_t gfp);
void mheap_free_span(struct mspan *s);
void mheap_span_clear(struct mspan *s, bool can_sleep);
bool mheap_claim_free(struct mspan *s);
unsigned long mheap_lock(void);
void mheap_unlock(unsigned long flags);
struct mspan *mheap_lookup(const void *p, bool *in_heap);
struct mspan *mheap_span_of_checked(const void *p, bool *in_heap);
int mheap_spans_open(struct file *file,
		     void (*show)(struct seq_file *m, unsigned long chunk,
				  unsigned long page, const struct mspan *s));
void mheap_show(struct seq_file *m);
void mheap_read_stats(struct goslab_stats *st);
int mheap_init(void);
void mheap_exit(void);

static __always_inline unsigned int span_obj_index(const struct mcentral *c,
						   const struct mspan *s,
						   const void *p)
{
	return gs_span_index(p - s->base, c->divmagic);
}

/* mgcscavenge.c: the page heap's free pages back to the kernel */
unsigned long mheap_release(unsigned long keep_pages);
unsigned long mheap_release_some(unsigned long nr);
unsigned long mheap_free_pages(void);
void mheap_scavenger_enable(bool on);

/* mhuge.c: the page heap's huge objects */
struct mspan *mheap_alloc_huge(unsigned int npages, gfp_t gfp);
void mheap_flush_huge(void);

/* debug.c: debug mode, findings, and KASAN poisoning */
enum gs_debug_counter {
	GS_DEBUG_DOUBLE_FREE,
	GS_DEBUG_INVALID_FREE,
	GS_DEBUG_POISON_CORRUPT,
	GS_DEBUG_COUNTER_COUNT,
};

void gs_debug_report(enum gs_debug_counter what, const void *p, const char *how);
#ifdef CONFIG_KASAN_GENERIC
void gs_kasan_poison(const void *p, size_t size);
void gs_kasan_unpoison(const void *p, size_t size);
void gs_kasan_redzone(const void *p, size_t size, size_t objsize);
#else
static inline void gs_kasan_poison(const void *p, size_t size) { }
static inline void gs_kasan_unpoison(const void *p, size_t size) { }
static inline void gs_kasan_redzone(const void *p, size_t size,
				    size_t objsize) { }
#endif
void gs_debug_poison(struct mcentral *c, void *obj);
void gs_debug_carve(struct mcentral *c, struct mspan *s);
void gs_debug_alloc(struct mcentral *c, void *obj);
struct mspan *gs_debug_free(const void *p);
bool gs_debug_owner(struct mspan *s, struct mcentral *c, const void *p);
void gs_debug_show(struct seq_file *m);
void gs_debug_read_stats(struct goslab_stats *st);

/* mcentral.c: per-size span lists */
u32 gs_divmagic(unsigned int elemsize, unsigned int npages);
bool gs_divmagic_exact(unsigned int elemsize, unsigned int npages,
		       u32 divmagic);
void mcentral_init(struct mcentral *c, const char *name, int sizeclass,
		   unsigned int objsize, unsigned int elemsize,
		   unsigned int offset, unsigned int npages,
		   void (*ctor)(void *), struct gs_freelist __percpu *pcp);
unsigned int mcentral_grab(struct mcentral *c, gfp_t gfp, void **head);
void mcentral_return(struct mcentral *c, void *head, unsigned int n);
unsigned long mcentral_release_all(struct mcentral *c);
extern struct mutex mcentral_mutex;
void mcentral_unregister(struct mcentral *c);
bool mcentral_for_each(bool (*fn)(struct mcentral *c, void *arg), void *arg);
void mcentral_show_span(struct seq_file *m, unsigned long chunk,
			unsigned long page, const struct mspan *s);

/* mcache.c: per-CPU free lists */
void *mcache_refill(struct mcentral *c, gfp_t gfp);
void mcache_flush(struct mcentral *c);
void mcache_drain_all(struct mcentral *only);
void mcache_drain_async(void);
unsigned long mcache_cached(const struct mcentral *c);
unsigned long mcache_stat(unsigned int cpu, enum gs_cpu_counter item);
unsigned long mcache_cpu_cached(unsigned int cpu);
long mcache_allocs(unsigned int cpu, unsigned long cached);
int mcache_init(void);
void mcache_exit(void);

/**
 * mcache_free() - the free fast path
 * @c: the mcentral @obj belongs to
 * @obj: the object
 *
 * A push onto this CPU's free list; past the high mark, a batch goes back
 * to @c.  With CONFIG_SLAB_FREELIST_HARDENED, an object already at the
 * list's head is a double free, refused.
 */
static __always_inline void mcache_free(struct mcentral *c, void *obj)
{
	struct gs_freelist __percpu *pcp = c->pcp;
	unsigned long flags;
	unsigned int n;
	void *head;

	local_lock_irqsave(&gs_mcache.lock, flags);
	head = __this_cpu_read(pcp->head);
	/* As SLUB's hardening: the object just freed, freed again. */
	if (IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED) && unlikely(obj == head)) {
		local_unlock_irqrestore(&gs_mcache.lock, flags);
		return gs_debug_report(GS_DEBUG_DOUBLE_FREE, obj,
				       "is already at the head of its CPU list");
	}
	gs_link_set(c, obj, head);
	__this_cpu_write(pcp->head, obj);
	__this_cpu_inc(pcp->count);
	n = __this_cpu_read(pcp->count);
	__this_cpu_inc(gs_mcache.stat[GS_CPU_FREE]);
	local_unlock_irqrestore(&gs_mcache.lock, flags);
	if (unlikely(n >= c->high))
		mcache_flush(c);
}

/* malloc.c: the object tiers */
int gs_malloc_init(void);
void gs_malloc_exit(void);
int gs_spans_open(struct file *file);
void gs_tiny_retire(void *block, unsigned int nallocs);

/* nmi.c: called from NMI context */
void gs_nmi_init(void);
void gs_nmi_warn(void);
void *gs_nmi_alloc(void);
void gs_nmi_flush(void);
void gs_nmi_free(const void *p);

/* hooks.c: KASAN, debug mode, init_on_alloc/free, kmemleak */
void *gs_alloc_refill(struct mcentral *c, size_t size, gfp_t gfp);
void *gs_alloc_hooks(struct mcentral *c, void *obj, size_t size, gfp_t gfp);
void gs_free_hooks(struct mcentral *c, void *obj);
void gs_free_hooked(struct mcentral *c, void *obj);

/*
 * Whether an object needs more than a pop or a push on its way.  Debug
 * mode and the kernel's init_on_alloc and init_on_free are all fixed by
 * the time goslab loads, the heap profiler (mprof.c) comes and goes at
 * run time; one key per direction stands for all of them, so the fast
 * paths pass a single nop when none is on (gs_hooks_update() sets them).
 * gs_hooks_slow_key tells whether the hooks do more than KASAN, zeroing
 * and kmemleak: debug mode or the profiler.  Once the allocation hooks are
 * on, the fast path zeroes inline when it is off, and the hooks test it
 * once for both.
 */
DECLARE_STATIC_KEY_FALSE(gs_alloc_hooks_key);
DECLARE_STATIC_KEY_FALSE(gs_free_hooks_key);
DECLARE_STATIC_KEY_FALSE(gs_hooks_slow_key);
void gs_hooks_update(bool prof_alloc, bool prof_free);
/* Kernels whose checkers see every object: KASAN, kmemleak. */
#define GS_HOOKS_ALWAYS		(IS_ENABLED(CONFIG_KASAN_GENERIC) ||	\
				 IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
#define GS_ALLOC_HOOKS(gfp)	(GS_HOOKS_ALWAYS ||			\
				 static_branch_unlikely(&gs_alloc_hooks_key) || \
				 ((gfp) & __GFP_ZERO))
#define GS_FREE_HOOKS()		(GS_HOOKS_ALWAYS ||			\
				 static_branch_unlikely(&gs_free_hooks_key))

/*
 * Whether objects are zeroed on their way out: init_on_alloc, __GFP_ZERO,
 * or init_on_free.  init_on_free zeroes an object when it is freed, but
 * for the free list's link word, written after; the allocation zeroes the
 * whole object again rather than that one word, so that the fast path
 * keeps a single zeroing step for every option (a cost paid only with
 * init_on_free on).
 */
static __always_inline bool gs_want_init(gfp_t gfp)
{
	return want_init_on_alloc(gfp) || want_init_on_free();
}

/*
 * Zero an object on the fast path (gs_want_init()): @words is
 * its mcentral's zero_words.  On x86-64 one "rep stosq" clears them
 * inline, as the kernel's memset() did on REP_GOOD CPUs before it moved to
 * "rep stosb" for ERMS and FSRS ones; memset_orig(), what other x86-64
 * CPUs get, stores 64 bytes per 11-instruction loop.  Debug mode and KASAN
 * zero with memset() in the hooks instead, where KASAN checks the stores.
 */
static __always_inline void *gs_zero(void *obj, unsigned long words)
{
#ifdef CONFIG_X86_64
	void *dst = obj;

	asm volatile("rep stosq"
		     : "+D" (dst), "+c" (words)
		     : "a" (0UL)
		     : "memory");
	return obj;
#else
	return memset(obj, 0, words * 8);
#endif
}

/*
 * The pop from this CPU's list, with interrupts off: no lock, no atomic.
 * With @hooks (a constant), what the object needs next (zeroing, KASAN,
 * debug mode) and the refill of an empty list go through the hooks too;
 * without, the object comes raw, as a free list holds it.  Either way the
 * slow cases are tail calls, so the fast path needs no stack frame.
 */
static __always_inline void *__gs_alloc(struct mcentral *c, size_t size,
					gfp_t gfp, const bool hooks)
{
	struct gs_freelist __percpu *pcp = c->pcp;
	unsigned long flags;
	void *obj;

	local_lock_irqsave(&gs_mcache.lock, flags);
	obj = __this_cpu_read(pcp->head);
	if (unlikely(!obj)) {
		local_unlock_irqrestore(&gs_mcache.lock, flags);
		return hooks ? gs_alloc_refill(c, size, gfp) : mcache_refill(c, gfp);
	}
	__this_cpu_write(pcp->head, gs_link_get(c, obj));
	__this_cpu_dec(pcp->count);
	local_unlock_irqrestore(&gs_mcache.lock, flags);
	if (hooks && unlikely(GS_ALLOC_HOOKS(gfp))) {
		/* Only zeroing to do: inline, still no stack frame. */
		if (!GS_HOOKS_ALWAYS && !static_branch_unlikely(&gs_hooks_slow_key))
			return gs_zero(obj, c->zero_words);
		return gs_alloc_hooks(c, obj, size, gfp);
	}
	return obj;
}

/**
 * gs_fast_alloc() - allocate a small object
 * @c: its mcentral
 * @size: bytes asked for
 * @gfp: the caller's flags
 *
 * Return: the object, ready for the caller, or NULL.
 */
static __always_inline void *gs_fast_alloc(struct mcentral *c, size_t size,
					   gfp_t gfp)
{
	return __gs_alloc(c, size, gfp, true);
}

/**
 * mcache_alloc() - take a raw free object of @c
 * @c: the mcentral
 * @gfp: for the refill, should this CPU's list be empty
 *
 * Return: the object, still poisoned and unclaimed, or NULL.
 */
static __always_inline void *mcache_alloc(struct mcentral *c, gfp_t gfp)
{
	return __gs_alloc(c, 0, gfp, false);
}

/**
 * gs_fast_free() - free a small object
 * @c: its mcentral
 * @obj: the object, known to be one of @c's
 */
static __always_inline void gs_fast_free(struct mcentral *c, void *obj)
{
	if (unlikely(GS_FREE_HOOKS()))
		return gs_free_hooked(c, obj);
	mcache_free(c, obj);
}

/* mprof.c: the heap profiler */
DECLARE_STATIC_KEY_FALSE(gs_mprof_key);
extern const struct file_operations gs_mprof_fops;
void gs_mprof_malloc(const void *p, size_t size, gfp_t gfp);
void __gs_mprof_free(struct mspan *s, const void *p);
void gs_mprof_init(void);
void gs_mprof_exit(void);

/*
 * A free of an object the profiler may have sampled: with the profiler on
 * (gs_mprof_key, tested by the caller), one load tells whether @s holds
 * a sampled object at all.
 */
static inline void gs_mprof_free(struct mspan *s, const void *p)
{
	if (unlikely(READ_ONCE(s->nsampled)))
		__gs_mprof_free(s, p);
}

/* cache.c: goslab_cache */
void gs_cache_show(struct seq_file *m);
void gs_caches_exit(void);

/* reclaim.c: goslab_trim() and the shrinker */
int gs_reclaim_start(void);
void gs_reclaim_stop(void);
#ifdef GOSLAB_TEST
bool gs_reclaim_test_init_fail(void);
#else
static inline bool gs_reclaim_test_init_fail(void) { return false; }
#endif

#endif /* _GOSLAB_INTERNAL_H */
