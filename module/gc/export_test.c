// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: what goslab's KUnit suites use and nothing else
 * may, as Go's runtime/export_test.go: step a cycle by hand, read an
 * object's colour and its span's colour counts, format the last cycle's
 * trace line, turn halves of the barrier off, cap the grey list, and make
 * stops of the world patient enough to overlap on purpose.
 *
 * Built only into goslab.ko's test build (make GOSLAB_TEST=y,
 * module/Kbuild), exported in the symbol namespace GOSLAB_GC_TEST,
 * declared in include/linux/goslab_gc_test.h.
 */

#include <linux/goslab_gc_test.h>
#include <linux/module.h>

#include "mgc.h"

static_assert(GOSLAB_GC_SHADE_OLD == GS_GC_SHADE_OLD);
static_assert(GOSLAB_GC_SHADE_NEW == GS_GC_SHADE_NEW);

/*
 * A longer first patience for a stop of the world, so that
 * goslab_gc_test_nested_stop's two stops overlap while its threads try to
 * nest, every time, not by luck.
 */
static unsigned int test_stw_patience_ms;
module_param(test_stw_patience_ms, uint, 0644);
MODULE_PARM_DESC(test_stw_patience_ms,
		 "Testing only: first wait of a stop of the world before it backs off (0: 100 ms)");

/**
 * gs_gc_test_stw_patience_ms() - the test's first patience of a stop
 *
 * Return: milliseconds, or 0 for the collector's own.
 */
unsigned int gs_gc_test_stw_patience_ms(void)
{
	return READ_ONCE(test_stw_patience_ms);
}

/* Is @obj on the grey list, waiting to be scanned? */
static bool on_grey(struct goslab_gc_heap *h, const void *obj)
{
	unsigned long i;
	bool found = false;

	spin_lock(&h->grey_lock);
	for (i = 0; i < h->grey_n && !found; i++)
		found = h->grey[i] == obj;
	spin_unlock(&h->grey_lock);
	return found;
}

/**
 * goslab_gc_step_begin() - begin a cycle that a test steps by hand
 * @h: the heap
 *
 * Runs step 1 and 2 of a cycle: the heap is marking, the roots are grey.
 * Neither the worker nor assists mark until goslab_gc_step_finish(); the
 * caller holds the heap's cycle until then.
 *
 * Context: process context, outside sections; sleeps.
 * Return: 0.
 */
int goslab_gc_step_begin(struct goslab_gc_heap *h)
{
	mutex_lock(&h->cycle_mutex);
	WRITE_ONCE(h->manual, true);
	h->mode = GS_GC_INCREMENTAL;
	gs_gc_cycle_begin(h, ktime_get_ns(), true);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_step_begin, GOSLAB_GC_TEST);

/**
 * goslab_gc_step() - scan grey objects of a hand-stepped cycle
 * @h: the heap, after goslab_gc_step_begin()
 * @n: objects to scan at most
 *
 * Return: objects scanned (blackened).
 */
unsigned long goslab_gc_step(struct goslab_gc_heap *h, unsigned long n)
{
	lockdep_assert_held(&h->cycle_mutex);
	return gs_gc_step_objects(h, n);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_step, GOSLAB_GC_TEST);

/**
 * goslab_gc_step_bytes() - scan grey objects as the collector's worker does
 * @h: the heap, after goslab_gc_step_begin()
 * @bytes: bytes of objects to scan at most
 *
 * Scans as a marker that may sleep: it reschedules every
 * %GOSLAB_GC_STRETCH_BYTES.  Unlike goslab_gc_step(), any task may call it
 * while the cycle is stepped, beside the task that steps it.
 *
 * Context: process context; sleeps.
 * Return: bytes of objects scanned, as gs_gc_drain() counts them.
 */
unsigned long goslab_gc_step_bytes(struct goslab_gc_heap *h,
				   unsigned long bytes)
{
	might_sleep();
	if (WARN_ON_ONCE(!READ_ONCE(h->manual)))
		return 0;
	return gs_gc_drain(h, bytes, true);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_step_bytes, GOSLAB_GC_TEST);

/**
 * goslab_gc_step_finish() - complete a hand-stepped cycle
 * @h: the heap, after goslab_gc_step_begin()
 *
 * Drains, terminates (with checkmark if gc_checkmark is set), sweeps and
 * runs the release callbacks, as goslab_gc_collect() would.
 *
 * Return: reachable objects the cycle left white (checkmark), normally 0.
 */
unsigned long goslab_gc_step_finish(struct goslab_gc_heap *h)
{
	unsigned long missed;

	lockdep_assert_held(&h->cycle_mutex);
	gs_gc_drain_all(h);
	missed = gs_gc_cycle_terminate(h, false);
	gs_gc_cycle_end(h);
	gs_gc_sweep_finish(h);
	WRITE_ONCE(h->manual, false);
	mutex_unlock(&h->cycle_mutex);
	gs_gc_release_all(h);
	return missed;
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_step_finish, GOSLAB_GC_TEST);

/**
 * goslab_gc_color() - the colour of an object, for tests
 * @h: its heap
 * @obj: a pointer to it
 *
 * Return: GOSLAB_GC_FREE for a slot not holding a live object (free, or
 * dead and awaiting release), else its colour now.
 */
enum goslab_gc_color goslab_gc_color(struct goslab_gc_heap *h,
				     const void *obj)
{
	enum goslab_gc_color c;
	struct gs_gc_span *gs;
	unsigned int idx;

	gs = gs_gc_lookup(h, obj, &idx);
	if (!gs)
		return GOSLAB_GC_FREE;
	spin_lock(&h->lock);
	if (!test_bit(idx, gs_gc_allocbits(gs)) ||
	    test_bit(idx, gs_gc_relbits(gs)))
		c = GOSLAB_GC_FREE;
	else if (!test_bit(idx, gs_gc_markbits(gs)))
		c = GOSLAB_GC_WHITE;
	else if (on_grey(h, gs_gc_obj(gs, idx)))
		c = GOSLAB_GC_GREY;
	else
		c = GOSLAB_GC_BLACK;
	spin_unlock(&h->lock);
	return c;
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_color, GOSLAB_GC_TEST);

/**
 * goslab_gc_test_span_colors() - the colour counts debugfs "spans" shows
 *	for the span of an object
 * @h: its heap
 * @obj: a live object, which keeps its span
 * @sc: filled in
 *
 * Return: 0, or -ENOENT if @obj is not an object of @h.
 */
int goslab_gc_test_span_colors(struct goslab_gc_heap *h, const void *obj,
			       struct goslab_gc_span_colors *sc)
{
	struct gs_gc_colors c;
	struct gs_gc_span *gs;
	unsigned int idx;

	gs = gs_gc_lookup(h, obj, &idx);
	if (!gs)
		return -ENOENT;
	spin_lock(&h->lock);
	gs_gc_span_colors(gs, &c);
	sc->base = gs->base;
	sc->nalloc = gs->nalloc;
	spin_unlock(&h->lock);
	sc->white = c.white;
	sc->grey = c.grey;
	sc->black = c.black;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_test_span_colors, GOSLAB_GC_TEST);

/**
 * goslab_gc_test_trace() - the gc_trace line of the heap's last cycle
 * @h: the heap, which has collected
 * @buf: where to write the line, without a newline
 * @size: its size
 *
 * Return: the length written.
 */
int goslab_gc_test_trace(struct goslab_gc_heap *h, char *buf, size_t size)
{
	struct gs_gc_cycle c;

	spin_lock(&h->lock);
	c = h->last;
	spin_unlock(&h->lock);
	return gs_gc_trace_format(buf, size, h, &c);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_test_trace, GOSLAB_GC_TEST);

/**
 * goslab_gc_test_barrier() - turn halves of the write barrier off
 * @h: the heap
 * @shade: GOSLAB_GC_SHADE_OLD | GOSLAB_GC_SHADE_NEW for the real barrier
 *
 * Only to show that checkmark catches what a broken barrier loses.
 */
void goslab_gc_test_barrier(struct goslab_gc_heap *h, unsigned int shade)
{
	WRITE_ONCE(h->barrier_mask, shade);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_test_barrier, GOSLAB_GC_TEST);

/**
 * goslab_gc_test_grey_limit() - cap the grey list, to test its overflow
 * @h: the heap
 * @n: entries at most from the next cycle on; 0 for no cap
 */
void goslab_gc_test_grey_limit(struct goslab_gc_heap *h, unsigned long n)
{
	spin_lock(&h->grey_lock);
	h->grey_limit = n;
	spin_unlock(&h->grey_lock);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_test_grey_limit, GOSLAB_GC_TEST);

/**
 * goslab_gc_test_stopped() - does a collector hold the heap's sections off?
 * @h: the heap
 *
 * Return: true from the moment a stop of the world begins (sections that
 * try to enter wait) until it ends or backs off.
 */
bool goslab_gc_test_stopped(struct goslab_gc_heap *h)
{
	return READ_ONCE(h->stw);
}
EXPORT_SYMBOL_NS_GPL(goslab_gc_test_stopped, GOSLAB_GC_TEST);
