// SPDX-License-Identifier: GPL-2.0
/*
 * Debug mode and KASAN support.
 *
 * Debug mode (debug=1 at load) fills free objects with POISON_FREE, checks
 * the fill when an object is handed out again, and validates every free:
 * the pointer must be the start of an object goslab handed out and has
 * not taken back.  Ownership is a bit per object in its span, so a double
 * free is told apart from a pointer goslab never gave.  Each finding is
 * one line in the log and a counter; the heap is left as it was.
 *
 * Under KASAN, whatever the mode, free objects are poisoned in the shadow,
 * and a small object is opened only for the bytes the caller asked for.
 * KASAN's own poisoning helpers are not exported to modules, but its
 * shadow is plain memory at kasan_mem_to_shadow(), written here from
 * uninstrumented functions.
 */

#include <linux/kasan.h>
#include <linux/moduleparam.h>
#include <linux/poison.h>
#include <linux/seq_file.h>

#include "internal.h"

static const char *const gs_debug_counter_names[] = {
	[GS_DEBUG_DOUBLE_FREE]		= "double_free",
	[GS_DEBUG_INVALID_FREE]		= "invalid_free",
	[GS_DEBUG_POISON_CORRUPT]	= "poison_corrupt",
};

static_assert(ARRAY_SIZE(gs_debug_counter_names) == GS_DEBUG_COUNTER_COUNT);

static atomic_long_t gs_debug_counters[GS_DEBUG_COUNTER_COUNT];

#ifdef CONFIG_KASAN_GENERIC
/* KASAN's granule: one shadow byte covers this many bytes. */
#define GS_KASAN_GRANULE	BIT(KASAN_SHADOW_SCALE_SHIFT)
/* Shadow values, as KASAN's own reports name them. */
#define GS_KASAN_FREE		0xFB	/* "slab-use-after-free" */
#define GS_KASAN_REDZONE	0xFC	/* "slab-out-of-bounds" */

noinline __no_sanitize_address void *gs_link_raw_get(void *slot)
{
	return *(void **)slot;
}

noinline __no_sanitize_address void gs_link_raw_set(void *slot, void *val)
{
	*(void **)slot = val;
}

/*
 * Without CONFIG_KASAN_VMALLOC, KASAN keeps no shadow of its own for the
 * vmalloc area: one read-only page stands for all of it.  Huge objects
 * (vmap()ed) go unchecked then, as all vmalloc memory does.
 */
static bool shadow_tracked(const void *p)
{
	return IS_ENABLED(CONFIG_KASAN_VMALLOC) || !is_vmalloc_addr(p);
}

static __no_sanitize_address void shadow_fill(const void *p, size_t size,
					      u8 value)
{
	if (!shadow_tracked(p))
		return;
	/*
	 * The uninstrumented memset, as KASAN's own poisoning: a huge object
	 * freed with interrupts off may have megabytes of shadow.
	 */
	__memset(kasan_mem_to_shadow(p), value, size >> KASAN_SHADOW_SCALE_SHIFT);
}

/**
 * gs_kasan_poison() - mark memory free in KASAN's shadow
 * @p: start, 8-byte aligned
 * @size: bytes, rounded up to 8
 */
void gs_kasan_poison(const void *p, size_t size)
{
	shadow_fill(p, round_up(size, GS_KASAN_GRANULE), GS_KASAN_FREE);
}

/**
 * gs_kasan_unpoison() - make exactly @size bytes at @p accessible
 * @p: start, 8-byte aligned
 * @size: bytes
 */
__no_sanitize_address void gs_kasan_unpoison(const void *p, size_t size)
{
	size_t tail = size & (GS_KASAN_GRANULE - 1);

	shadow_fill(p, size - tail, 0);
	if (tail && shadow_tracked(p))
		WRITE_ONCE(*(u8 *)kasan_mem_to_shadow(p + size - tail), tail);
}

/**
 * gs_kasan_redzone() - fence off an object past what the caller asked for
 * @p: the object, accessible for @objsize bytes
 * @size: bytes asked for
 * @objsize: bytes in the object
 */
void gs_kasan_redzone(const void *p, size_t size, size_t objsize)
{
	size_t open = round_up(size, GS_KASAN_GRANULE);

	gs_kasan_unpoison(p, size);
	if (objsize > open)
		shadow_fill(p + open, round_up(objsize - open, GS_KASAN_GRANULE),
			    GS_KASAN_REDZONE);
}
#endif /* CONFIG_KASAN_GENERIC */

/**
 * gs_debug_report() - count and log a caller's misuse
 * @what: the counter
 * @p: the pointer the caller passed
 * @how: what is wrong with it, after the pointer in the log line
 *
 * For debug mode's findings and for the checks that run without it.
 *
 * Context: any.
 */
void gs_debug_report(enum gs_debug_counter what, const void *p, const char *how)
{
	atomic_long_inc(&gs_debug_counters[what]);
	pr_err_ratelimited("goslab: %s: %p %s\n", gs_debug_counter_names[what],
			   p, how);
}

/* Objects keep their link in the first word unless they have a ctor. */
static bool poisoned(const struct mcentral *c)
{
	return !c->ctor;
}

/* The poisoned bytes: the object past its link word, if anything. */
static size_t fill_len(const struct mcentral *c)
{
	return c->objsize > sizeof(void *) ? c->objsize - sizeof(void *) : 0;
}

static void fill(struct mcentral *c, void *obj)
{
	memset(obj + sizeof(void *), POISON_FREE, fill_len(c));
}

/**
 * gs_debug_carve() - poison the objects of a new span
 * @c: its mcentral
 * @s: the span, its free list built
 */
void gs_debug_carve(struct mcentral *c, struct mspan *s)
{
	unsigned int i;

	if (!static_branch_unlikely(&gs_debug_key) || !poisoned(c))
		return;
	for (i = 0; i < c->nelems; i++)
		fill(c, s->base + i * c->elemsize);
}

/**
 * gs_debug_poison() - poison an object being freed
 * @c: its mcentral
 * @obj: the object, accessible
 */
void gs_debug_poison(struct mcentral *c, void *obj)
{
	if (poisoned(c))
		fill(c, obj);
}

/**
 * gs_debug_alloc() - check and claim an object being handed out
 * @c: its mcentral
 * @obj: the object, accessible
 */
void gs_debug_alloc(struct mcentral *c, void *obj)
{
	struct mspan *s = span_of(obj);
	void *bad;

	set_bit(span_obj_index(c, s, obj), s->allocbits);
	if (!poisoned(c))
		return;
	bad = memchr_inv(obj + sizeof(void *), POISON_FREE, fill_len(c));
	if (bad)
		gs_debug_report(GS_DEBUG_POISON_CORRUPT, obj,
				"was written to while free");
}

/*
 * Claim the free of @p in its span @s, under mheap.lock, where @s cannot
 * be freed: of two frees of one object racing here, one wins and the
 * other finds it free.  Return: NULL, or why the free is refused.
 */
static const char *debug_claim(struct mspan *s, const void *p,
			       enum gs_debug_counter *what)
{
	struct mcentral *c;
	unsigned int idx;

	*what = GS_DEBUG_INVALID_FREE;
	if (s->state == MSPAN_GC)
		return "is a GC object: never freed";
	if (s->state != MSPAN_SMALL) {
		if (p != s->base)
			return "is inside a large object";
		if (s->freed) {
			*what = GS_DEBUG_DOUBLE_FREE;
			return "is already free";
		}
		s->freed = true;
		return NULL;
	}
	c = s->central;
	idx = span_obj_index(c, s, p);
	if (idx >= c->nelems || s->base + idx * c->elemsize != p)
		return "is not the start of an object";
	if (!test_and_clear_bit(idx, s->allocbits)) {
		*what = GS_DEBUG_DOUBLE_FREE;
		return "is already free";
	}
	return NULL;
}

/**
 * gs_debug_free() - validate a free
 * @p: the pointer being freed
 *
 * The span is looked up and the object claimed under one hold of the
 * heap lock: a span cannot go back to the heap in between, so two frees
 * of one object, racing, are told apart safely.
 *
 * Return: the span of @p if it is an object goslab handed out and the
 * caller owned, its ownership now given up; NULL, after a report,
 * otherwise.
 */
struct mspan *gs_debug_free(const void *p)
{
	enum gs_debug_counter what = GS_DEBUG_INVALID_FREE;
	const char *why = NULL;
	unsigned long flags;
	struct mspan *s;
	bool in_heap;

	flags = mheap_lock();
	s = mheap_lookup(p, &in_heap);
	if (s)
		why = debug_claim(s, p, &what);
	mheap_unlock(flags);
	if (!s) {
		if (in_heap)
			gs_debug_report(GS_DEBUG_DOUBLE_FREE, p, "is in free heap pages");
		else
			gs_debug_report(GS_DEBUG_INVALID_FREE, p, "is not goslab memory");
		return NULL;
	}
	if (why) {
		gs_debug_report(what, p, why);
		return NULL;
	}
	/* KUnit frees the object again here, from another CPU. */
	gs_test_hold(GS_HOLD_DEBUG_FREE);
	return s;
}

/**
 * gs_debug_owner() - check the cache a validated object is freed to
 * @s: its span, from gs_debug_free()
 * @c: the mcentral the caller names
 * @p: the object
 *
 * Return: true if @p belongs to @c.  Otherwise it is reported, and stays
 * with its caller as if the free had not happened.
 */
bool gs_debug_owner(struct mspan *s, struct mcentral *c, const void *p)
{
	if (s->state == MSPAN_SMALL && s->central == c)
		return true;
	if (s->state == MSPAN_SMALL)
		set_bit(span_obj_index(s->central, s, p), s->allocbits);
	else
		WRITE_ONCE(s->freed, false);
	gs_debug_report(GS_DEBUG_INVALID_FREE, p, "belongs to another cache");
	return false;
}

/**
 * gs_debug_read_stats() - the debug counters of struct goslab_stats
 * @st: filled in: debug_*
 */
void gs_debug_read_stats(struct goslab_stats *st)
{
	st->debug_double_free =
		atomic_long_read(&gs_debug_counters[GS_DEBUG_DOUBLE_FREE]);
	st->debug_invalid_free =
		atomic_long_read(&gs_debug_counters[GS_DEBUG_INVALID_FREE]);
	st->debug_poison_corrupt =
		atomic_long_read(&gs_debug_counters[GS_DEBUG_POISON_CORRUPT]);
}

/**
 * gs_debug_show() - the debug counters, for debugfs
 * @m: the file
 */
void gs_debug_show(struct seq_file *m)
{
	int i;

	for (i = 0; i < GS_DEBUG_COUNTER_COUNT; i++)
		seq_printf(m, "%s %ld\n", gs_debug_counter_names[i],
			   atomic_long_read(&gs_debug_counters[i]));
}
