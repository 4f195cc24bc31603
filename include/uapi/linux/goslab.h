/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * goslab: user-space interface of /dev/goslab.
 *
 * /dev/goslab drives goslab, the Go runtime's allocator in the kernel, from
 * user space, mainly to test it.  Every open file is a session: it owns the
 * objects and caches it creates, and closing it releases all of them.
 * Documentation/userspace-api.rst describes the commands and every errno.
 *
 * Conventions, for every command:
 *
 *  - The argument is a pointer to a struct that starts with "__u32 size"
 *    and "__u32 flags".  @size is sizeof the struct as the caller knows it;
 *    a struct only ever grows at its end, so an old binary on a new kernel
 *    and a new binary on an old kernel both work (copy_struct_from_user()).
 *    The command number encodes the size of the first version of the struct
 *    (GOSLAB_*_SIZE_VER0) and never changes.
 *  - Unknown @flags bits and fields named pad* must be zero.  No struct has
 *    an implicit hole: where alignment needs one, it is an explicit pad*
 *    field, so that every byte the caller passes has a meaning.
 *  - Commands that return data write back min(@size, kernel's size) bytes
 *    and set @size to that number.
 *  - Objects and caches are named by handles, never by addresses.  A handle
 *    carries a generation: once its object is freed the handle is stale
 *    for the rest of the session, and is refused with ENOENT; it is never
 *    given to another object.  0 is never a valid handle.
 *  - Every byte GOSLAB_IOC_READ returns was written by the session itself,
 *    by a cache's constructor, or by goslab's zeroing or the device's
 *    fill: never what the kernel or other sessions left in the memory.
 */
#ifndef _UAPI_LINUX_GOSLAB_H
#define _UAPI_LINUX_GOSLAB_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The device node is /dev/GOSLAB_DEVICE_NAME. */
#define GOSLAB_DEVICE_NAME	"goslab"

/* The interface version: minor grows with compatible additions. */
#define GOSLAB_VERSION_MAJOR	1
#define GOSLAB_VERSION_MINOR	1

/* Limits of this version of the interface; GOSLAB_IOC_VERSION reports them. */
#define GOSLAB_DEV_MAX_ALLOC		(1ULL << 30)	/* bytes per object */
#define GOSLAB_DEV_MAX_CACHE_OBJ	32768		/* bytes per cache object */
#define GOSLAB_DEV_MAX_CACHE_ALIGN	8192		/* cache alignment */
#define GOSLAB_DEV_MAX_CACHES		64		/* caches per session */
/* GOSLAB_IOC_READ and GOSLAB_IOC_WRITE copy this many bytes at a time. */
#define GOSLAB_DEV_RW_PIECE		65536
/*
 * The session cap counts the memory a session pins.  An object costs its
 * footprint (its slot with its share of the span, or its whole 8 KiB heap
 * pages when large; Documentation/userspace-api.rst) plus
 * GOSLAB_DEV_OBJ_CHARGE of bookkeeping.
 */
#define GOSLAB_DEV_OBJ_CHARGE		64		/* per object */
#define GOSLAB_DEV_CACHE_CHARGE		4096		/* per cache */
/* Garbage collection (GOSLAB_FEATURE_GC). */
#define GOSLAB_DEV_MAX_GC_HEAPS		4		/* GC heaps per session */
#define GOSLAB_DEV_MAX_GC_PTRS		64		/* pointer fields per type */
#define GOSLAB_DEV_MAX_GC_DATA		32768		/* data bytes per type */
#define GOSLAB_DEV_GC_HEAP_CHARGE	65536		/* per GC heap */
#define GOSLAB_DEV_GC_TYPE_CHARGE	4096		/* per GC type */
/* A GC handle costs GOSLAB_DEV_OBJ_CHARGE; a GC object its footprint and that. */

/* Bytes of an object allocated without zeroing, before it is written. */
#define GOSLAB_DEV_FILL_BYTE		0x5a
/* What the constructor of a GOSLAB_CACHE_CTOR cache stores at offset 0. */
#define GOSLAB_DEV_CTOR_MAGIC		0x676f736c61626374ULL	/* "goslabct" */

/**
 * struct goslab_ioc_version - GOSLAB_IOC_VERSION: what this kernel offers
 * @size: in: sizeof(struct) as the caller knows it; out: bytes written
 * @flags: in: 0
 * @major: out: GOSLAB_VERSION_MAJOR
 * @minor: out: GOSLAB_VERSION_MINOR
 * @features: out: GOSLAB_FEATURE_* bits
 * @max_alloc: out: largest length for GOSLAB_IOC_ALLOC
 * @session_cap: out: bytes this session may have charged at once
 * @obj_charge: out: bytes charged per object besides its footprint
 * @cache_charge: out: bytes charged per cache
 * @max_cache_obj: out: largest object size of a cache
 * @max_cache_align: out: largest cache alignment (a power of two)
 * @max_caches: out: caches a session may have at once
 * @nr_size_classes: out: goslab's size classes, slot 0 being the tiny blocks
 */
struct goslab_ioc_version {
	__u32 size;
	__u32 flags;
	__u32 major;
	__u32 minor;
	__u64 features;
	__u64 max_alloc;
	__u64 session_cap;
	__u32 obj_charge;
	__u32 cache_charge;
	__u32 max_cache_obj;
	__u32 max_cache_align;
	__u32 max_caches;
	__u32 nr_size_classes;
};

#define GOSLAB_VERSION_SIZE_VER0	64

/* Features, in goslab_ioc_version.features. */
#define GOSLAB_FEATURE_ALLOC		(1ULL << 0)	/* ALLOC, FREE, USABLE_SIZE */
#define GOSLAB_FEATURE_RW		(1ULL << 1)	/* READ, WRITE */
#define GOSLAB_FEATURE_CACHE		(1ULL << 2)	/* the CACHE_* commands */
#define GOSLAB_FEATURE_CACHE_CTOR	(1ULL << 3)	/* GOSLAB_CACHE_CTOR */
#define GOSLAB_FEATURE_STATS		(1ULL << 4)	/* STATS, GOSLAB_STATS_TRIM */
/*
 * The GC_* commands.  A goslab built without its collector lacks it and
 * fails them with EOPNOTSUPP, whatever their struct holds.
 */
#define GOSLAB_FEATURE_GC		(1ULL << 5)
/* Not a command: goslab runs in debug mode (double and invalid frees). */
#define GOSLAB_FEATURE_DEBUG		(1ULL << 63)

/**
 * struct goslab_ioc_alloc - GOSLAB_IOC_ALLOC: goslab_alloc()
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: GOSLAB_ALLOC_*
 * @len: in: bytes wanted, 1 to GOSLAB_DEV_MAX_ALLOC
 * @handle: out: the new object
 */
struct goslab_ioc_alloc {
	__u32 size;
	__u32 flags;
	__u64 len;
	__u64 handle;
};

#define GOSLAB_ALLOC_SIZE_VER0		24

/*
 * Zeroed by goslab (__GFP_ZERO).  Without it the device fills the object
 * with GOSLAB_DEV_FILL_BYTE, so no stale kernel data ever reaches user space.
 */
#define GOSLAB_ALLOC_ZERO		(1U << 0)

/**
 * struct goslab_ioc_free - GOSLAB_IOC_FREE: free any object
 * @size: in: sizeof(struct)
 * @flags: in: 0
 * @handle: in: any object: one from GOSLAB_IOC_ALLOC is goslab_free()d,
 *	one from a cache goes back to its cache (goslab_cache_free()), as
 *	with GOSLAB_IOC_CACHE_FREE
 */
struct goslab_ioc_free {
	__u32 size;
	__u32 flags;
	__u64 handle;
};

#define GOSLAB_FREE_SIZE_VER0		16

/**
 * struct goslab_ioc_rw - GOSLAB_IOC_READ and GOSLAB_IOC_WRITE
 * @size: in: sizeof(struct)
 * @flags: in: 0
 * @handle: in: any object
 * @offset: in: first byte of the object to access
 * @len: in: bytes to copy; @offset + @len must not pass the object's length
 * @buf: in: user address of @len bytes, as a __u64
 *
 * The bytes are copied in pieces of GOSLAB_DEV_RW_PIECE, in order, each
 * atomic with respect to the session's other commands.  A write of up to
 * GOSLAB_DEV_RW_PIECE bytes is all or nothing: should @buf fault, the
 * object is unchanged; a longer one that faults leaves the pieces before
 * the fault written.  A read that faults may have filled part of @buf.
 * Should another thread free the object meanwhile, the copy stops there
 * with ENOENT.  The kernel buffer of the copy, min(@len,
 * GOSLAB_DEV_RW_PIECE) bytes, is charged to the session's cap while the
 * command runs; when it does not fit, one copy at a time uses a spare
 * (ENOMEM for another meanwhile).
 */
struct goslab_ioc_rw {
	__u32 size;
	__u32 flags;
	__u64 handle;
	__u64 offset;
	__u64 len;
	__u64 buf;
};

#define GOSLAB_RW_SIZE_VER0		40

/**
 * struct goslab_ioc_usable - GOSLAB_IOC_USABLE_SIZE: goslab_usable_size()
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: 0
 * @handle: in: any object
 * @len: out: the length it was allocated with
 * @usable: out: goslab_usable_size(), at least @len
 * @tier: out: GOSLAB_TIER_*, where goslab keeps the object
 * @pad: in: 0; out: 0
 */
struct goslab_ioc_usable {
	__u32 size;
	__u32 flags;
	__u64 handle;
	__u64 len;
	__u64 usable;
	__u32 tier;
	__u32 pad;
};

#define GOSLAB_USABLE_SIZE_VER0		40

/* Tiers, in goslab_ioc_usable.tier. */
#define GOSLAB_TIER_TINY	1	/* packed into a 16-byte block */
#define GOSLAB_TIER_SMALL	2	/* a size class or cache slot in a span */
#define GOSLAB_TIER_LARGE	3	/* its own run of contiguous pages */
#define GOSLAB_TIER_HUGE	4	/* its own vmap()ed pages */

/**
 * struct goslab_ioc_cache_create - GOSLAB_IOC_CACHE_CREATE
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: GOSLAB_CACHE_*
 * @obj_size: in: object size, 1 to GOSLAB_DEV_MAX_CACHE_OBJ (at least 8 with
 *	GOSLAB_CACHE_CTOR)
 * @align: in: 0 for goslab's default, or a power of two up to
 *	GOSLAB_DEV_MAX_CACHE_ALIGN
 * @handle: out: the new cache
 */
struct goslab_ioc_cache_create {
	__u32 size;
	__u32 flags;
	__u32 obj_size;
	__u32 align;
	__u64 handle;
};

#define GOSLAB_CACHE_CREATE_SIZE_VER0	24

/*
 * Give the cache a constructor that stores GOSLAB_DEV_CTOR_MAGIC in the
 * first 8 bytes of each object, once, when goslab carves it out of zeroed
 * memory: a new object holds the magic and zeroes after it.
 */
#define GOSLAB_CACHE_CTOR		(1U << 0)

/**
 * struct goslab_ioc_cache_alloc - GOSLAB_IOC_CACHE_ALLOC: goslab_cache_alloc()
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: GOSLAB_ALLOC_ZERO (not with a GOSLAB_CACHE_CTOR cache)
 * @cache: in: the cache
 * @handle: out: the new object; its length is the cache's @obj_size
 *
 * Without GOSLAB_ALLOC_ZERO, the object of a cache without a constructor is
 * filled with GOSLAB_DEV_FILL_BYTE.  That of a cache with one holds
 * GOSLAB_DEV_CTOR_MAGIC and zeroes when new, and what the session last
 * wrote into it when reused: a cache, with every user of its objects,
 * belongs to one session.
 */
struct goslab_ioc_cache_alloc {
	__u32 size;
	__u32 flags;
	__u64 cache;
	__u64 handle;
};

#define GOSLAB_CACHE_ALLOC_SIZE_VER0	24

/**
 * struct goslab_ioc_cache_free - GOSLAB_IOC_CACHE_FREE: goslab_cache_free()
 * @size: in: sizeof(struct)
 * @flags: in: 0
 * @cache: in: the cache
 * @handle: in: an object allocated from that cache
 */
struct goslab_ioc_cache_free {
	__u32 size;
	__u32 flags;
	__u64 cache;
	__u64 handle;
};

#define GOSLAB_CACHE_FREE_SIZE_VER0	24

/**
 * struct goslab_ioc_cache_destroy - GOSLAB_IOC_CACHE_DESTROY
 * @size: in: sizeof(struct)
 * @flags: in: 0
 * @cache: in: a cache with no objects left
 */
struct goslab_ioc_cache_destroy {
	__u32 size;
	__u32 flags;
	__u64 cache;
};

#define GOSLAB_CACHE_DESTROY_SIZE_VER0	16

/**
 * struct goslab_ioc_stats - GOSLAB_IOC_STATS: goslab's counters
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: GOSLAB_STATS_*
 * @trimmed: out: pages goslab_trim() gave back, with GOSLAB_STATS_TRIM
 * @pages_held: out: kernel pages goslab holds, in use or free
 * @pages_in_use: out: pages held in spans in use
 * @pages_free: out: pages held in the page heap's free runs
 * @pages_released: out: pages given back to the kernel since load
 * @objects_in_use: out: objects handed out and not yet freed
 * @bytes_in_use: out: bytes of those objects, at their size class
 * @objects_cached: out: free objects in per-CPU caches
 * @large_in_use: out: large objects handed out and not yet freed
 * @debug_double_free: out: double frees caught (debug mode)
 * @debug_invalid_free: out: frees of foreign pointers caught (debug mode)
 * @debug_poison_corrupt: out: writes to free objects caught (debug mode)
 * @session_charged: out: bytes this session has charged to its cap
 * @session_objects: out: objects this session holds
 * @session_caches: out: caches this session holds
 *
 * @pages_held to @debug_poison_corrupt are goslab_get_stats(), the numbers
 * debugfs shows, for all of goslab and not only this session.  Fields may
 * be appended (per-size-class numbers, for one); @size tells which exist.
 */
struct goslab_ioc_stats {
	__u32 size;
	__u32 flags;
	__u64 trimmed;
	__u64 pages_held;
	__u64 pages_in_use;
	__u64 pages_free;
	__u64 pages_released;
	__u64 objects_in_use;
	__u64 bytes_in_use;
	__u64 objects_cached;
	__u64 large_in_use;
	__u64 debug_double_free;
	__u64 debug_invalid_free;
	__u64 debug_poison_corrupt;
	__u64 session_charged;
	__u64 session_objects;
	__u64 session_caches;
};

#define GOSLAB_STATS_SIZE_VER0		128

/* Call goslab_trim() first, so that free heap pages are given back. */
#define GOSLAB_STATS_TRIM		(1U << 0)

/*
 * Garbage collection: a session builds object graphs on GC heaps of its
 * own (include/linux/goslab.h, Documentation/gc.rst) and watches the
 * collector reclaim what becomes unreachable.
 *
 * A GC type has @nr_ptrs pointer fields, numbered from 0, and @data_size
 * bytes of data the collector does not scan; the kernel chooses the
 * layout.  Every GC handle (from GC_ALLOC or GC_LOAD) is a root owned by
 * the session: the object it names lives, with all it reaches, until the
 * handle is dropped (GC_DROP) or the session closes; then it lives only
 * while reachable from another handle.  Several handles may name one
 * object.  Each object also has an id, unique in the session and never
 * reused, that outlives it: GC_ALIVE tells whether the object is still
 * there, that is, whether the collector has not yet released it.
 */

/**
 * struct goslab_ioc_gc_heap_create - GOSLAB_IOC_GC_HEAP_CREATE
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: GOSLAB_GC_HEAP_*
 * @handle: out: the new heap; it lives until the session closes
 */
struct goslab_ioc_gc_heap_create {
	__u32 size;
	__u32 flags;
	__u64 handle;
};

#define GOSLAB_GC_HEAP_CREATE_SIZE_VER0	16

/* No automatic cycles (GOGC off): only GOSLAB_IOC_GC_COLLECT collects. */
#define GOSLAB_GC_HEAP_MANUAL		(1U << 0)

/**
 * struct goslab_ioc_gc_type_create - GOSLAB_IOC_GC_TYPE_CREATE
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: 0
 * @heap: in: the GC heap
 * @nr_ptrs: in: pointer fields, 0 to GOSLAB_DEV_MAX_GC_PTRS
 * @data_size: in: data bytes, 0 to GOSLAB_DEV_MAX_GC_DATA
 * @handle: out: the new type; it lives as long as its heap
 */
struct goslab_ioc_gc_type_create {
	__u32 size;
	__u32 flags;
	__u64 heap;
	__u32 nr_ptrs;
	__u32 data_size;
	__u64 handle;
};

#define GOSLAB_GC_TYPE_CREATE_SIZE_VER0	32

/**
 * struct goslab_ioc_gc_alloc - GOSLAB_IOC_GC_ALLOC: goslab_gc_alloc()
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: 0
 * @type: in: the GC type
 * @handle: out: a new GC handle naming the new object, whose pointer
 *	fields are all NULL
 * @id: out: the object's id
 */
struct goslab_ioc_gc_alloc {
	__u32 size;
	__u32 flags;
	__u64 type;
	__u64 handle;
	__u64 id;
};

#define GOSLAB_GC_ALLOC_SIZE_VER0	32

/**
 * struct goslab_ioc_gc_store - GOSLAB_IOC_GC_STORE: goslab_gc_store()
 * @size: in: sizeof(struct)
 * @flags: in: 0
 * @dst: in: GC handle of the object written
 * @field: in: its pointer field, below its type's nr_ptrs
 * @pad: in: 0
 * @src: in: GC handle of the object stored, on the same heap; 0 stores
 *	NULL (clears the field)
 */
struct goslab_ioc_gc_store {
	__u32 size;
	__u32 flags;
	__u64 dst;
	__u32 field;
	__u32 pad;
	__u64 src;
};

#define GOSLAB_GC_STORE_SIZE_VER0	32

/**
 * struct goslab_ioc_gc_load - GOSLAB_IOC_GC_LOAD: goslab_gc_load()
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: 0
 * @src: in: GC handle of the object read
 * @field: in: its pointer field, below its type's nr_ptrs
 * @pad: in: 0; out: 0
 * @handle: out: a new GC handle naming the object the field points to, or
 *	0 (and no new handle) if the field is NULL
 * @id: out: that object's id, or 0
 */
struct goslab_ioc_gc_load {
	__u32 size;
	__u32 flags;
	__u64 src;
	__u32 field;
	__u32 pad;
	__u64 handle;
	__u64 id;
};

#define GOSLAB_GC_LOAD_SIZE_VER0	40

/**
 * struct goslab_ioc_gc_drop - GOSLAB_IOC_GC_DROP: drop a GC handle
 * @size: in: sizeof(struct)
 * @flags: in: 0
 * @handle: in: a GC handle; its root goes (goslab_gc_root_del()), the
 *	object stays until a collection finds it unreachable
 */
struct goslab_ioc_gc_drop {
	__u32 size;
	__u32 flags;
	__u64 handle;
};

#define GOSLAB_GC_DROP_SIZE_VER0	16

/**
 * struct goslab_ioc_gc_collect - GOSLAB_IOC_GC_COLLECT: goslab_gc_collect()
 * @size: in: sizeof(struct)
 * @flags: in: 0
 * @heap: in: the GC heap
 *
 * Returns once every object of @heap that was unreachable from the
 * session's GC handles when the cycle began has been released.
 */
struct goslab_ioc_gc_collect {
	__u32 size;
	__u32 flags;
	__u64 heap;
};

#define GOSLAB_GC_COLLECT_SIZE_VER0	16

/**
 * struct goslab_ioc_gc_alive - GOSLAB_IOC_GC_ALIVE: is an object still there
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: 0
 * @id: in: an id GC_ALLOC gave out in this session
 * @alive: out: 1 if the object has not been released, else 0
 * @pad: in: 0; out: 0
 */
struct goslab_ioc_gc_alive {
	__u32 size;
	__u32 flags;
	__u64 id;
	__u32 alive;
	__u32 pad;
};

#define GOSLAB_GC_ALIVE_SIZE_VER0	24

/**
 * struct goslab_ioc_gc_stats - GOSLAB_IOC_GC_STATS: goslab_gc_get_stats()
 * @size: in: sizeof(struct); out: bytes written
 * @flags: in: 0
 * @heap: in: the GC heap
 * @cycles: out: collections completed
 * @heap_alloc: out: bytes of allocated objects, those awaiting release
 *	included
 * @heap_live: out: bytes the last cycle marked plus bytes allocated since
 * @heap_goal: out: the pacer's goal for the current cycle
 * @objects: out: objects allocated, those awaiting release included
 * @objects_marked: out: objects shaded by all cycles
 * @objects_freed: out: objects collected
 * @objects_released: out: release callbacks run
 * @bad_pointers: out: stores or fields holding something not of the heap
 * @live_objects: out: objects of the heap allocated through this session
 *	and not yet released
 * @handles: out: GC handles the session holds on the heap
 *
 * @cycles to @bad_pointers are those of struct goslab_gc_stats.
 */
struct goslab_ioc_gc_stats {
	__u32 size;
	__u32 flags;
	__u64 heap;
	__u64 cycles;
	__u64 heap_alloc;
	__u64 heap_live;
	__u64 heap_goal;
	__u64 objects;
	__u64 objects_marked;
	__u64 objects_freed;
	__u64 objects_released;
	__u64 bad_pointers;
	__u64 live_objects;
	__u64 handles;
};

#define GOSLAB_GC_STATS_SIZE_VER0	104

#define GOSLAB_IOC_MAGIC		0xB9

#define GOSLAB_IOC_VERSION \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x00, GOSLAB_VERSION_SIZE_VER0)
#define GOSLAB_IOC_ALLOC \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x01, GOSLAB_ALLOC_SIZE_VER0)
#define GOSLAB_IOC_FREE \
	_IOC(_IOC_WRITE, GOSLAB_IOC_MAGIC, 0x02, GOSLAB_FREE_SIZE_VER0)
#define GOSLAB_IOC_WRITE \
	_IOC(_IOC_WRITE, GOSLAB_IOC_MAGIC, 0x03, GOSLAB_RW_SIZE_VER0)
#define GOSLAB_IOC_READ \
	_IOC(_IOC_WRITE, GOSLAB_IOC_MAGIC, 0x04, GOSLAB_RW_SIZE_VER0)
#define GOSLAB_IOC_USABLE_SIZE \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x05, GOSLAB_USABLE_SIZE_VER0)
#define GOSLAB_IOC_CACHE_CREATE \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x06, GOSLAB_CACHE_CREATE_SIZE_VER0)
#define GOSLAB_IOC_CACHE_ALLOC \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x07, GOSLAB_CACHE_ALLOC_SIZE_VER0)
#define GOSLAB_IOC_CACHE_FREE \
	_IOC(_IOC_WRITE, GOSLAB_IOC_MAGIC, 0x08, GOSLAB_CACHE_FREE_SIZE_VER0)
#define GOSLAB_IOC_CACHE_DESTROY \
	_IOC(_IOC_WRITE, GOSLAB_IOC_MAGIC, 0x09, GOSLAB_CACHE_DESTROY_SIZE_VER0)
#define GOSLAB_IOC_STATS \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x0a, GOSLAB_STATS_SIZE_VER0)
#define GOSLAB_IOC_GC_HEAP_CREATE \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x0b, GOSLAB_GC_HEAP_CREATE_SIZE_VER0)
#define GOSLAB_IOC_GC_TYPE_CREATE \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x0c, GOSLAB_GC_TYPE_CREATE_SIZE_VER0)
#define GOSLAB_IOC_GC_ALLOC \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x0d, GOSLAB_GC_ALLOC_SIZE_VER0)
#define GOSLAB_IOC_GC_STORE \
	_IOC(_IOC_WRITE, GOSLAB_IOC_MAGIC, 0x0e, GOSLAB_GC_STORE_SIZE_VER0)
#define GOSLAB_IOC_GC_LOAD \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x0f, GOSLAB_GC_LOAD_SIZE_VER0)
#define GOSLAB_IOC_GC_DROP \
	_IOC(_IOC_WRITE, GOSLAB_IOC_MAGIC, 0x10, GOSLAB_GC_DROP_SIZE_VER0)
#define GOSLAB_IOC_GC_COLLECT \
	_IOC(_IOC_WRITE, GOSLAB_IOC_MAGIC, 0x11, GOSLAB_GC_COLLECT_SIZE_VER0)
#define GOSLAB_IOC_GC_ALIVE \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x12, GOSLAB_GC_ALIVE_SIZE_VER0)
#define GOSLAB_IOC_GC_STATS \
	_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x13, GOSLAB_GC_STATS_SIZE_VER0)

#endif /* _UAPI_LINUX_GOSLAB_H */
