/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab: the Go runtime's memory allocator as a kernel module.
 *
 * This header is the contract other modules build against.  Objects come
 * in three tiers, as in Go: tiny (< 16 bytes, packed into 16-byte blocks),
 * small (16 bytes to 32 KiB, rounded up to one of Go's size classes) and
 * large (page runs from goslab's page heap).  See Documentation/usage.rst
 * for the rules of use and Documentation/design.rst for the design.
 */
#ifndef _LINUX_GOSLAB_H
#define _LINUX_GOSLAB_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/types.h>

struct goslab_cache;

void *goslab_alloc(size_t size, gfp_t flags);
void goslab_free(const void *p);
size_t goslab_usable_size(const void *p);
size_t goslab_alloc_footprint(size_t size);

/**
 * enum goslab_tier - where goslab keeps an object, as goslab_object_tier()
 * tells
 * @GOSLAB_NO_TIER: not an object of goslab_alloc() or of a goslab_cache
 * @GOSLAB_TINY: packed with others into a 16-byte block
 * @GOSLAB_SMALL: a slot of a size class or of a goslab_cache, in a span
 * @GOSLAB_LARGE: its own run of physically contiguous heap pages
 * @GOSLAB_HUGE: its own heap pages, vmap()ed: larger than alloc_pages()
 *	gives in one piece
 */
enum goslab_tier {
	GOSLAB_NO_TIER,
	GOSLAB_TINY,
	GOSLAB_SMALL,
	GOSLAB_LARGE,
	GOSLAB_HUGE,
};

enum goslab_tier goslab_object_tier(const void *p);

/*
 * Go's size classes, slot 0 being the tiny blocks', and the largest object
 * size and alignment of a goslab_cache: a small object, aligned to at most
 * one 8 KiB heap page.
 */
#define GOSLAB_NR_SIZE_CLASSES	68
#define GOSLAB_CACHE_MAX_SIZE	32768
#define GOSLAB_CACHE_MAX_ALIGN	8192

/**
 * goslab_zalloc - allocate zeroed memory from goslab
 * @size: bytes wanted
 * @flags: GFP flags; __GFP_ZERO is added
 *
 * Return: as goslab_alloc().
 */
static inline void *goslab_zalloc(size_t size, gfp_t flags)
{
	return goslab_alloc(size, flags | __GFP_ZERO);
}

/*
 * A cache's constructor runs once per object, when goslab carves a span
 * of new objects, and always on zeroed memory: whatever the constructor
 * does not write is zero in a fresh object, never stale data from the
 * pages' earlier users.  Constructed objects are not zeroed again, so
 * they must be freed in their constructed state (goslab_cache_create()).
 */
struct goslab_cache *goslab_cache_create(const char *name, unsigned int size,
					 unsigned int align,
					 void (*ctor)(void *));
void *goslab_cache_alloc(struct goslab_cache *c, gfp_t flags);
void goslab_cache_free(struct goslab_cache *c, void *p);
int goslab_cache_alloc_bulk(struct goslab_cache *c, gfp_t flags, size_t nr,
			    void **p);
void goslab_cache_free_bulk(struct goslab_cache *c, size_t nr, void **p);
void goslab_cache_destroy(struct goslab_cache *c);
size_t goslab_cache_footprint(const struct goslab_cache *c);

/* The counters of struct goslab_stats, in its order. */
enum goslab_stat_item {
	GOSLAB_STAT_PAGES_HELD,
	GOSLAB_STAT_PAGES_IN_USE,
	GOSLAB_STAT_PAGES_FREE,
	GOSLAB_STAT_PAGES_RELEASED,
	GOSLAB_STAT_OBJECTS_IN_USE,
	GOSLAB_STAT_BYTES_IN_USE,
	GOSLAB_STAT_OBJECTS_CACHED,
	GOSLAB_STAT_LARGE_IN_USE,
	GOSLAB_STAT_DEBUG_DOUBLE_FREE,
	GOSLAB_STAT_DEBUG_INVALID_FREE,
	GOSLAB_STAT_DEBUG_POISON_CORRUPT,
	GOSLAB_NR_STATS
};

/**
 * struct goslab_stats - a snapshot of goslab's global counters
 * @pages_held: kernel pages (PAGE_SIZE) goslab holds now, in use or free
 * @pages_in_use: pages held that belong to spans in use (small or large)
 * @pages_free: pages held in the page heap's free runs
 * @pages_released: pages given back to the kernel since load (cumulative)
 * @objects_in_use: small and large objects handed out and not yet freed,
 *	tiny blocks counted once per block
 * @bytes_in_use: bytes of those objects, at their size class
 * @objects_cached: free objects sitting in per-CPU caches
 * @large_in_use: large objects handed out and not yet freed
 * @debug_double_free: frees of an object that was already free; debug mode
 *	sees every one, and without it goslab counts those its cheap checks
 *	see (Documentation/design.rst, "A caller's misuse")
 * @debug_invalid_free: pointers goslab never handed out, or not at an
 *	object's start, passed to a free or to goslab_usable_size(); objects
 *	freed to a cache that does not own them; as above, all of them in
 *	debug mode
 * @debug_poison_corrupt: free objects found written to on reuse (debug mode)
 * @item: the same counters, by enum goslab_stat_item, for code that walks
 *	them all; goslab_stat_name() names each
 *
 * Each field is exact when goslab is quiescent; while other CPUs allocate,
 * the fields are read one after another without stopping them.
 */
struct goslab_stats {
	union {
		struct {
			u64 pages_held;
			u64 pages_in_use;
			u64 pages_free;
			u64 pages_released;
			u64 objects_in_use;
			u64 bytes_in_use;
			u64 objects_cached;
			u64 large_in_use;
			u64 debug_double_free;
			u64 debug_invalid_free;
			u64 debug_poison_corrupt;
		};
		u64 item[GOSLAB_NR_STATS];
	};
};

void goslab_get_stats(struct goslab_stats *st);
const char *goslab_stat_name(enum goslab_stat_item item);
unsigned long goslab_trim(void);
bool goslab_debug_enabled(void);

/* ------------------------------------------------------------------------
 * Garbage collection (Go's collector, for object graphs a caller registers)
 *
 * A heap holds objects of registered types; each type lists the offsets
 * of its pointer fields.  The collector keeps every object reachable from
 * the heap's roots, and every object a section holds; it releases the
 * rest, running the type's release callback once per object.  The rules:
 *
 *  - Hold a GC pointer in a local variable only inside a section
 *    (goslab_gc_enter() .. goslab_gc_exit()); outside, only through a
 *    root.  An object allocated or loaded in a section stays valid until
 *    the section ends.  Sections may sleep, must not nest on one heap
 *    (sections of different heaps may, in any order), and are entered
 *    and left by the same task.
 *  - Store pointers into pointer fields and root slots only with
 *    goslab_gc_store(); read them with goslab_gc_load() (a plain load).
 *    Never store a pointer into another heap: it is stored, but not
 *    followed (it keeps nothing alive) and counted in bad_pointers.
 *  - Never free a GC object; never call goslab_gc_collect() or
 *    goslab_gc_heap_destroy() inside a section or a release callback, nor
 *    with a lock held that the heap's release callbacks take (both run
 *    them, or wait for them).  Callbacks run outside goslab's locks.
 *
 * Documentation/gc.rst has the design and the correctness argument.
 * ------------------------------------------------------------------------
 */
struct goslab_gc_heap;
struct goslab_gc_type;
struct goslab_gc_stats;

/*
 * goslab built without its collector (make GOSLAB_GC=n) exports none of
 * these; code built in goslab's own tree then sees GOSLAB_GC defined 0
 * and no declaration, so a use that the build did not leave out fails to
 * compile.  Other modules never define GOSLAB_GC: built against such a
 * goslab, one that calls these fails at modpost, which names the symbol.
 */
#if !defined(GOSLAB_GC) || GOSLAB_GC
struct goslab_gc_heap *goslab_gc_heap_create(const char *name);
void goslab_gc_heap_destroy(struct goslab_gc_heap *h);
struct goslab_gc_type *goslab_gc_type_create(struct goslab_gc_heap *h,
					     const char *name,
					     unsigned int size,
					     const unsigned int *ptr_offsets,
					     unsigned int nr_ptrs,
					     void (*release)(void *obj));
size_t goslab_gc_type_footprint(const struct goslab_gc_type *t);
void *goslab_gc_alloc(struct goslab_gc_type *t, gfp_t flags);
int goslab_gc_root_add(struct goslab_gc_heap *h, void **slot);
void goslab_gc_root_del(struct goslab_gc_heap *h, void **slot);
void goslab_gc_store(void **slot, void *val);
int goslab_gc_enter(struct goslab_gc_heap *h);
void goslab_gc_exit(struct goslab_gc_heap *h, int token);
void goslab_gc_collect(struct goslab_gc_heap *h);
int goslab_gc_set_percent(struct goslab_gc_heap *h, int percent);
void goslab_gc_get_stats(struct goslab_gc_heap *h, struct goslab_gc_stats *st);
void goslab_gc_stats_reset(struct goslab_gc_heap *h);
#endif

/**
 * goslab_gc_load() - read a pointer field or root slot
 * @slot: the field or slot
 *
 * Reads need no barrier; this is READ_ONCE(), which also orders the reads
 * of the object's fields after it.  Inside a section only.
 *
 * Return: the pointer stored there.
 */
static inline void *goslab_gc_load(void **slot)
{
	return READ_ONCE(*slot);
}

/**
 * struct goslab_gc_stats - a snapshot of one GC heap
 * @cycles: collections completed
 * @heap_alloc: bytes of allocated objects, those awaiting release included
 * @heap_alloc_peak: highest @heap_alloc since creation or
 *	goslab_gc_stats_reset()
 * @heap_live: what the pacer steers, as Go's heapLive: the bytes the last
 *	cycle marked plus the bytes allocated since
 * @heap_peak: highest @heap_live since creation or goslab_gc_stats_reset()
 * @heap_marked: bytes the last cycle marked (live, plus black allocation)
 * @heap_goal: the pacer's goal for the current cycle
 * @heap_trigger: the next cycle starts when @heap_live reaches this
 * @goal_ratio_max: the highest heap_live / heap_goal any cycle reached,
 *	in thousandths (since creation or goslab_gc_stats_reset())
 * @objects: objects allocated, those awaiting release included
 * @objects_marked: objects shaded by all cycles (mark work)
 * @objects_scanned: objects scanned by all cycles
 * @objects_alloc_black: objects allocated while marking
 * @objects_freed: objects collected, their memory reused
 * @objects_released: release callbacks run
 * @mark_ns: time from cycle start to sweep start, summed
 * @last_mark_ns: that time for the last cycle
 * @term_ns: time in mark termination (grace period, final drain), summed
 * @pause_ns: time sections were held off (stw mode), summed
 * @pause_max_ns: the longest such pause
 * @assists: mark assists done by allocating tasks
 * @assist_ns: their time, summed
 * @assist_max_ns: the longest assist
 * @checkmarks: checkmark verifications run (gc_checkmark)
 * @checkmark_missed: reachable objects a cycle left white; always 0
 * @checkmark_ns: time spent in checkmark, world stopped
 * @rescans: passes over the heap's marked objects that grey list
 *	overflows made the marker take
 * @stretch_max: the most bytes of objects the collector scanned in one
 *	stretch with a spinlock held or without a point to reschedule (an
 *	assist in atomic context, a batch, an overflow rescan's step, which
 *	counts each span it looks at as a cache line and its mark bits)
 * @bad_pointers: stores or fields holding something not of this heap
 *	(another heap's object, or in debug mode anything not an object),
 *	each time the barrier or the marker meets it
 * @bad_frees: goslab_free() or goslab_cache_free() of a GC object
 * @created_ns: ktime_get_ns() when the heap was created
 * @last_pause_ns: the last cycle's part of @pause_ns
 * @last_released: objects the last cycle found unreachable: freed, or
 *	queued for their release callback, as its sweep goes (complete once
 *	goslab_gc_collect() returns)
 * @last_cpus_marked: CPUs that took objects off the grey list to scan them
 *	in the last cycle
 * @last_cycle_ns: ktime_get_ns() when the last cycle ended its mark (and,
 *	in stw mode, its sweep)
 * @cpu_ns: the collector's CPU time since the heap was created, as Go's
 *	gctrace counts it: every cycle's sweep termination, assists, the
 *	collector thread's marking, and its mark termination (drains and
 *	checkmark)
 * @gc_percent: the heap's GOGC in force
 * @phase: 0 off, 1 mark, 2 mark termination, 3 sweep
 */
struct goslab_gc_stats {
	u64 cycles;
	u64 heap_alloc;
	u64 heap_alloc_peak;
	u64 heap_live;
	u64 heap_peak;
	u64 heap_marked;
	u64 heap_goal;
	u64 heap_trigger;
	u64 goal_ratio_max;
	u64 objects;
	u64 objects_marked;
	u64 objects_scanned;
	u64 objects_alloc_black;
	u64 objects_freed;
	u64 objects_released;
	u64 mark_ns;
	u64 last_mark_ns;
	u64 term_ns;
	u64 pause_ns;
	u64 pause_max_ns;
	u64 assists;
	u64 assist_ns;
	u64 assist_max_ns;
	u64 checkmarks;
	u64 checkmark_missed;
	u64 checkmark_ns;
	u64 rescans;
	u64 stretch_max;
	u64 bad_pointers;
	u64 bad_frees;
	u64 created_ns;
	u64 last_pause_ns;
	u64 last_released;
	u64 last_cpus_marked;
	u64 last_cycle_ns;
	u64 cpu_ns;
	int gc_percent;
	int phase;
};

/*
 * The most bytes of objects the collector scans with a spinlock held or
 * where it may not reschedule, plus one object or one look at a span (a
 * cache line and its mark bits): the latency it can add.
 */
#define GOSLAB_GC_STRETCH_BYTES	(64UL << 10)

/*
 * goslab's own KUnit suites step cycles by hand through
 * <linux/goslab_gc_test.h>, which only goslab.ko's test build (make
 * GOSLAB_TEST=y) exports.
 */

/* ------------------------------------------------------------------------
 * End of garbage collection.
 * ------------------------------------------------------------------------
 */

#endif /* _LINUX_GOSLAB_H */
