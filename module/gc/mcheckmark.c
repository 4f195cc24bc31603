// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: checkmark (Go's runtime/mcheckmark.go and
 * GODEBUG=gccheckmark=1), the proof that a finished mark left nothing
 * reachable white.
 *
 * With gc_checkmark, mark termination stops the world, so that no section
 * is open and what is live is exactly what the roots reach, and re-marks
 * everything reachable into the spans' separate cmarkbits with a
 * depth-first walk.  A reachable object without a mark bit is a collector
 * bug: it is reported, counted and marked, so that the sweep does not
 * free it.
 */

#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "mgc.h"

/*
 * Misses reported one by one: a broken barrier or marker loses objects by
 * the hundred, and the first few name the types involved; the count in
 * checkmark_missed has the rest.
 */
#define GS_GC_CHECKMARK_REPORTS	8
/*
 * The walk's stack holds an object at most once (its cmark bit is set as
 * it goes on), so an entry per object allocated is enough while the world
 * is stopped and nothing allocates; this many more are slack.
 */
#define GS_GC_CHECKMARK_SLACK	64
/* Objects walked between points where the walk reschedules. */
#define GS_GC_CHECKMARK_RESCHED	4096

/* A depth-first re-mark from the roots into cmarkbits. */
struct checkmark {
	struct goslab_gc_heap *h;
	void **stack;
	unsigned long n;
	unsigned long cap;
	unsigned long missed;
	bool incomplete;
};

static void cm_visit(struct checkmark *cm, void *p)
{
	struct goslab_gc_heap *h = cm->h;
	struct gs_gc_span *gs;
	unsigned int idx;
	void *obj;

	gs = gs_gc_lookup(h, p, &idx);
	if (!gs || test_and_set_bit(idx, gs_gc_cmarkbits(gs)))
		return;
	obj = gs_gc_obj(gs, idx);
	if (!test_bit(idx, gs_gc_markbits(gs))) {
		/*
		 * Reachable, yet the cycle left it white: sweeping would
		 * free it.  Report, count, and mark it so it survives.  No
		 * marker will scan it (this walk follows its pointers
		 * instead): black, for debugfs, as no object is grey once
		 * the mark is over.
		 */
		if (cm->missed++ < GS_GC_CHECKMARK_REPORTS)
			pr_err("goslab: gc checkmark: heap %s: reachable %s object %p was not marked\n",
			       h->name, gs->type->name, obj);
		set_bit(idx, gs_gc_markbits(gs));
		set_bit(idx, gs_gc_scanbits(gs));
		atomic_long_add(gs->type->elemsize, &h->marked_bytes);
	}
	if (!gs->type->nr_ptrs)
		return;
	if (cm->n < cm->cap)
		cm->stack[cm->n++] = obj;
	else
		cm->incomplete = true;
}

/**
 * gs_gc_checkmark() - verify a finished mark, as Go's gccheckmark
 * @h: the heap: its cycle_mutex held, the world stopped, the grey list
 *	drained, the phase MARKTERM
 *
 * With no section open, what is live is what the roots reach.  Every such
 * object must carry a mark bit; one that does not is reported, counted and
 * marked, so that the sweep does not free it.
 *
 * Return: reachable objects the mark left white.
 */
unsigned long gs_gc_checkmark(struct goslab_gc_heap *h)
{
	struct checkmark cm = { .h = h };
	struct gs_gc_span *gs, *tmp;
	struct goslab_gc_type *t;
	unsigned int i;
	unsigned long key;
	void **slot, *obj;

	lockdep_assert_held(&h->cycle_mutex);
	cm.cap = READ_ONCE(h->nobj) + GS_GC_CHECKMARK_SLACK;
	cm.stack = kvmalloc_array(cm.cap, sizeof(*cm.stack), GFP_KERNEL);
	if (!cm.stack) {
		pr_err("goslab: gc checkmark: heap %s: no memory, skipped\n",
		       h->name);
		return 0;
	}

	spin_lock(&h->lock);
	list_for_each_entry(t, &h->types, node)
		gs_gc_for_each_span(gs, tmp, t)
			bitmap_zero(gs_gc_cmarkbits(gs), t->nelems);
	spin_unlock(&h->lock);

	mutex_lock(&h->roots_mutex);
	xa_for_each(&h->roots, key, slot) {
		obj = READ_ONCE(*slot);
		if (obj)
			cm_visit(&cm, obj);
	}
	mutex_unlock(&h->roots_mutex);

	while (cm.n) {
		obj = cm.stack[--cm.n];
		t = gs_gc_span_of(obj)->type;
		for (i = 0; i < t->nr_ptrs; i++) {
			void *p = READ_ONCE(*(void **)(obj + t->ptr_offsets[i]));

			if (p)
				cm_visit(&cm, p);
		}
		if (!(cm.n % GS_GC_CHECKMARK_RESCHED))
			cond_resched();
	}
	kvfree(cm.stack);
	if (cm.incomplete)
		pr_err("goslab: gc checkmark: heap %s: stack overflow, incomplete\n",
		       h->name);
	return cm.missed;
}
