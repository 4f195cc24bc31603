// SPDX-License-Identifier: GPL-2.0
/*
 * Garbage collector: marking (Go's runtime/mgcmark.go and mgcwork.go).
 *
 * Colours: an allocated object is white while its mark bit is clear, grey
 * once marked and on the grey list, black once marked and scanned.  Grey
 * objects are the work list.  Shading is the white-to-grey step: set the
 * mark bit; if the object has pointer fields, push it (a noscan object
 * goes straight to black).  Scanning sets the object's scan bit, which
 * only debugfs reads, to count grey and black objects per span.
 *
 * The grey list is one stack per heap under heap.grey_lock.  A marker (the
 * worker, an assist, a test step) takes a batch, counts itself busy,
 * scans the batch without the lock, and pushes what it shaded in batches.
 * Mark termination waits for the list to be empty with nobody busy, so a
 * marker's shading never straddles the switch to SWEEP; the barrier, which
 * is not counted busy, shades under the lock instead.
 *
 * Only objects allocated white can be shaded, each at most once per
 * cycle.  The list is sized when a cycle begins to the objects then
 * allocated and an eighth more, which covers the objects allocated white
 * until black allocation begins as a rule, but not always; and the memory
 * for it may be missing.  So it can overflow: an object that does not fit
 * stays marked, the heap is flagged, and when the list runs dry the
 * marker rescans every marked object of the heap (Go's old work.full
 * overflow rescan), which pushes whatever they point to.
 *
 * No marker scans more than GS_GC_STRETCH bytes of objects (and one
 * object or one look at a span) with a spinlock held or where it may not
 * reschedule: a batch stops early, and is given back, to reschedule; an
 * assist that may not sleep stops at that much work and leaves the rest
 * of its debt to later allocations; and a rescan goes in steps, each under
 * one hold of heap.lock, the pass keeping its place among the heap's
 * spans from one step to the next.  A pass that an overflow overtook (an
 * object marked after the pass had done its span) is followed by another.
 */

#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "mgc.h"

/*
 * Objects a marker takes from the grey list at once, and pushes at once:
 * one hold of grey_lock per 32 objects, and little held back from other
 * markers by one that stops to reschedule.
 */
#define GS_GC_POP_BATCH		32
/* Scan work between points where the marker may reschedule or unlock. */
#define GS_GC_STRETCH		GOSLAB_GC_STRETCH_BYTES
/*
 * Entries always available, should a big enough list not be allocatable:
 * 2 KiB, which a __GFP_NOFAIL allocation may ask for; overflow rescans
 * do the rest.
 */
#define GS_GC_GREY_MIN		256UL
/*
 * The list is sized for the objects allocated when a cycle begins, an
 * eighth more and 64 entries, for those allocated white until black
 * allocation begins (see the top of this file).
 */
#define GS_GC_GREY_SLACK_DIV	8
#define GS_GC_GREY_SLACK_MIN	64
/*
 * A list this many times larger than a cycle wants is made anew, smaller:
 * a heap that shrank gives the memory back, one that only varies does not
 * reallocate every cycle.
 */
#define GS_GC_GREY_SHRINK	4
/*
 * Roots shaded between points where gs_gc_mark_roots() reschedules: a
 * root is a load and at most one shade, far less than GS_GC_STRETCH.
 */
#define GS_GC_ROOTS_PER_RESCHED	1024

/*
 * A marker's local batch of objects to push, and what it counts: objects
 * it marked, and the CPU it last put in heap.mark_cpus (-1: none yet).
 */
struct gc_wbuf {
	unsigned int n;
	unsigned long marked;
	int cpu;
	void *obj[GS_GC_POP_BATCH];
};

/**
 * gs_gc_grey_alloc() - size the grey list for the cycle about to begin
 * @h: the heap; its cycle_mutex held and not marking
 *
 * Return: 0, or -ENOMEM when the list stays smaller than the heap (the
 * cycle still works, through overflow rescans).
 */
int gs_gc_grey_alloc(struct goslab_gc_heap *h)
{
	unsigned long want = READ_ONCE(h->nobj), limit;
	void **grey, **old = NULL;

	lockdep_assert_held(&h->cycle_mutex);
	/* Room for the objects allocated before the lock is taken, too. */
	want = max(want + want / GS_GC_GREY_SLACK_DIV + GS_GC_GREY_SLACK_MIN,
		   GS_GC_GREY_MIN);
	limit = READ_ONCE(h->grey_limit);
	if (limit)
		want = limit;
	if (h->grey && h->grey_cap >= want &&
	    (limit || h->grey_cap <= GS_GC_GREY_SHRINK * want))
		return 0;
	grey = kvmalloc_array(want, sizeof(*grey), GFP_KERNEL | __GFP_NOWARN);
	if (!grey && h->grey)
		return -ENOMEM;
	if (!grey) {
		want = GS_GC_GREY_MIN;
		grey = kvmalloc_array(want, sizeof(*grey),
				      GFP_KERNEL | __GFP_NOFAIL);
	}
	spin_lock(&h->grey_lock);
	old = h->grey;
	h->grey = grey;
	h->grey_cap = want;
	spin_unlock(&h->grey_lock);
	kvfree(old);
	return 0;
}

/**
 * gs_gc_grey_free() - free the grey list of a dead heap
 * @h: the heap
 */
void gs_gc_grey_free(struct goslab_gc_heap *h)
{
	kvfree(h->grey);
	h->grey = NULL;
	h->grey_cap = 0;
}

static void push_locked(struct goslab_gc_heap *h, void *obj)
{
	lockdep_assert_held(&h->grey_lock);
	if (likely(h->grey_n < h->grey_cap)) {
		h->grey[h->grey_n++] = obj;
	} else {
		h->grey_overflow = true;
		h->grey_overflows++;
	}
}

/*
 * Set the mark bit of the object @p points into.  Return its start if it
 * was white and has pointers to scan (it must then be pushed), else NULL.
 */
static void *mark_obj(struct goslab_gc_heap *h, void *p, unsigned long *marked)
{
	struct gs_gc_span *gs;
	unsigned int idx;

	gs = gs_gc_lookup(h, p, &idx);
	if (!gs || test_and_set_bit(idx, gs_gc_markbits(gs)))
		return NULL;
	atomic_long_add(gs->type->elemsize, &h->marked_bytes);
	(*marked)++;
	return gs->type->nr_ptrs ? gs_gc_obj(gs, idx) : NULL;
}

/**
 * gs_gc_shade_locked() - shade an object, from the barrier
 * @h: the heap; its grey_lock held and the phase MARK or MARKTERM
 * @p: a pointer to, or into, a GC object of @h
 */
void gs_gc_shade_locked(struct goslab_gc_heap *h, void *p)
{
	unsigned long marked = 0;
	void *obj;

	lockdep_assert_held(&h->grey_lock);
	obj = mark_obj(h, p, &marked);
	if (obj)
		push_locked(h, obj);
	if (marked)
		gs_gc_count(h, GS_GC_MARKED, marked);
}

/**
 * gs_gc_shade() - shade an object if the heap is marking
 * @h: the heap
 * @p: a pointer to, or into, a GC object of @h
 *
 * The phase is read under grey_lock, which orders this against the switch
 * to MARK: root additions and deletions are not RCU readers as stores are,
 * so they rely on the lock (Documentation/gc.rst).
 */
void gs_gc_shade(struct goslab_gc_heap *h, void *p)
{
	spin_lock(&h->grey_lock);
	if (gs_gc_marking(h->phase))
		gs_gc_shade_locked(h, p);
	spin_unlock(&h->grey_lock);
}

/**
 * gs_gc_mark_roots() - shade what every root holds
 * @h: the heap, marking
 *
 * A root changed meanwhile went through the barrier, which shaded its old
 * value: what the roots held when the barrier was armed is all shaded.
 *
 * Return: the roots read.
 */
unsigned long gs_gc_mark_roots(struct goslab_gc_heap *h)
{
	unsigned long key, n = 0;
	void **slot;
	void *p;

	mutex_lock(&h->roots_mutex);
	xa_for_each(&h->roots, key, slot) {
		p = READ_ONCE(*slot);
		if (p)
			gs_gc_shade(h, p);
		if (!(++n % GS_GC_ROOTS_PER_RESCHED))
			cond_resched();
	}
	mutex_unlock(&h->roots_mutex);
	return n;
}

static void wbuf_flush(struct goslab_gc_heap *h, struct gc_wbuf *buf)
{
	unsigned int i;

	spin_lock(&h->grey_lock);
	for (i = 0; i < buf->n; i++)
		push_locked(h, buf->obj[i]);
	spin_unlock(&h->grey_lock);
	buf->n = 0;
}

/*
 * Blacken @obj: shade every object its pointer fields hold.  Its scan bit
 * tells debugfs it is black now (gs_gc_span_colors()).
 */
static unsigned int scan_obj(struct goslab_gc_heap *h, void *obj,
			     struct gc_wbuf *buf)
{
	struct gs_gc_span *gs = gs_gc_span_of(obj);
	struct goslab_gc_type *t = gs->type;
	unsigned int i;
	void *p;

	set_bit(gs_gc_index(gs, obj), gs_gc_scanbits(gs));
	for (i = 0; i < t->nr_ptrs; i++) {
		p = READ_ONCE(*(void **)(obj + t->ptr_offsets[i]));
		if (!p)
			continue;
		p = mark_obj(h, p, &buf->marked);
		if (!p)
			continue;
		if (buf->n == ARRAY_SIZE(buf->obj))
			wbuf_flush(h, buf);
		buf->obj[buf->n++] = p;
	}
	return t->elemsize;
}

/*
 * What looking at a span costs a rescan step, in the bytes of scanning it
 * stands for: its header and mark bits, read even where nothing is marked.
 */
static unsigned long span_look_cost(const struct goslab_gc_type *t)
{
	return L1_CACHE_BYTES + BITS_TO_LONGS(t->nelems) * sizeof(long);
}

/*
 * One step of the overflow rescan pass @pass: under one hold of heap.lock,
 * scan the marked objects of the heap's spans from where the pass stopped
 * last (struct gs_gc_cursor), until @limit bytes (at most GS_GC_STRETCH).
 * Looking at a span costs as scanning does, and so does finding the pass
 * over: every step does one of these first, and no more once @limit is
 * reached, so a step is worth at most @limit bytes less one, plus the
 * larger of an object and a span's look.  The pass walks heap.spans once,
 * in the order spans were made: spans moving between their type's lists
 * while the lock is dropped do not move there.  Objects allocated black
 * are zeroed and opened for KASAN under heap.lock before anyone may see
 * them.  Called counted busy, with the list empty.
 *
 * Return: bytes scanned; *@done set when the pass is over.
 */
static unsigned long rescan_step(struct goslab_gc_heap *h, unsigned long pass,
				 struct gc_wbuf *buf, unsigned long limit,
				 bool *done)
{
	struct gs_gc_cursor *cur = &h->rescan;
	unsigned long work = 0, *markbits;
	struct goslab_gc_type *t;
	struct gs_gc_span *gs;
	bool moved = false;
	unsigned int idx;

	spin_lock(&h->lock);
	if (cur->pass != pass) {
		cur->pass = pass;
		cur->pos = h->spans.next;
		cur->next = 0;
		cur->looked = false;
		cur->end = h->span_seq;
	}
	while (cur->pos != &h->spans) {
		gs = list_entry(cur->pos, struct gs_gc_span, node);
		if (gs->seq >= cur->end) {
			cur->pos = &h->spans;
			break;
		}
		t = gs->type;
		if (!cur->looked) {
			if (moved && work >= limit)
				goto out;
			work += span_look_cost(t);
			cur->looked = true;
			moved = true;
		}
		markbits = gs_gc_markbits(gs);
		for (idx = find_next_bit(markbits, t->nelems, cur->next);
		     idx < t->nelems;
		     idx = find_next_bit(markbits, t->nelems, idx + 1)) {
			if (moved && work >= limit) {
				cur->next = idx;
				goto out;
			}
			if (test_bit(idx, gs_gc_allocbits(gs)))
				work += scan_obj(h, gs_gc_obj(gs, idx), buf);
			moved = true;
		}
		cur->pos = cur->pos->next;
		cur->next = 0;
		cur->looked = false;
	}
	/* The pass is over: finding that out is a step's work too. */
	if (!moved)
		work += L1_CACHE_BYTES;
out:
	*done = cur->pos == &h->spans;
	spin_unlock(&h->lock);
	gs_gc_count_max(h, GS_GC_STRETCH_MAX, work);
	return work;
}

/* Done with a batch: push what was shaded, stop counting busy. */
static void batch_done(struct goslab_gc_heap *h, struct gc_wbuf *buf)
{
	unsigned int i;

	spin_lock(&h->grey_lock);
	for (i = 0; i < buf->n; i++)
		push_locked(h, buf->obj[i]);
	buf->n = 0;
	h->grey_busy--;
	if (!h->grey_n && !h->grey_busy && !h->grey_overflow &&
	    wq_has_sleeper(&h->worker_wq))
		wake_up(&h->worker_wq);
	spin_unlock(&h->grey_lock);
}

/*
 * The grey list is dry, nobody busy, and an overflow is pending: take a
 * step of the rescan, starting a pass if none is under way.  The overflow
 * is cleared when a pass ends that no overflow overtook.  Called with
 * grey_lock held; returns with it dropped.
 */
static unsigned long rescan(struct goslab_gc_heap *h, struct gc_wbuf *buf,
			    unsigned long limit)
	__releases(&h->grey_lock)
{
	unsigned long pass, work;
	bool done;

	lockdep_assert_held(&h->grey_lock);
	if (!h->rescanning) {
		h->rescanning = true;
		h->rescan_pass++;
		h->rescan_from = h->grey_overflows;
		gs_gc_count(h, GS_GC_RESCANS, 1);
	}
	pass = h->rescan_pass;
	h->grey_busy++;
	spin_unlock(&h->grey_lock);

	work = rescan_step(h, pass, buf, limit, &done);

	spin_lock(&h->grey_lock);
	if (done) {
		h->rescanning = false;
		if (h->grey_overflows == h->rescan_from)
			h->grey_overflow = false;
	}
	spin_unlock(&h->grey_lock);
	batch_done(h, buf);
	return work;
}

/*
 * The marker of @buf is about to scan: its CPU marked this cycle.  Under
 * grey_lock, so that the CPU is counted before the mark can end; again
 * whenever the marker finds itself on another CPU than the one it last
 * counted, as it may after rescheduling or being preempted.
 */
static void count_cpu(struct goslab_gc_heap *h, struct gc_wbuf *buf)
{
	/* Migration is off under the lock, even on PREEMPT_RT. */
	int cpu = smp_processor_id();

	lockdep_assert_held(&h->grey_lock);
	if (buf->cpu == cpu)
		return;
	__cpumask_set_cpu(cpu, h->mark_cpus);
	buf->cpu = cpu;
}

/*
 * Take up to @max objects from the grey list into @batch, counted busy.
 * Return how many; 0 when the heap is not marking, the list is empty, or
 * an overflow rescan step of at most @limit bytes (and one object or span
 * look) ran instead, its bytes in *@rescanned.
 */
static unsigned int grey_take_batch(struct goslab_gc_heap *h, void **batch,
				    unsigned int max, struct gc_wbuf *buf,
				    unsigned long limit,
				    unsigned long *rescanned)
{
	unsigned int n;

	*rescanned = 0;
	spin_lock(&h->grey_lock);
	if (!gs_gc_marking(h->phase)) {
		spin_unlock(&h->grey_lock);
		return 0;
	}
	n = min_t(unsigned long, h->grey_n, max);
	if (n || (h->grey_overflow && !h->grey_busy))
		count_cpu(h, buf);
	if (!n && h->grey_overflow && !h->grey_busy) {
		*rescanned = rescan(h, buf, limit);
		return 0;
	}
	if (n) {
		h->grey_n -= n;
		memcpy(batch, &h->grey[h->grey_n], n * sizeof(*batch));
		h->grey_busy++;
	}
	spin_unlock(&h->grey_lock);
	return n;
}

/* A marker is done: count its marks, its scans and its scan work. */
static void count_mark_work(struct goslab_gc_heap *h, struct gc_wbuf *buf,
			    unsigned long scanned, unsigned long work)
{
	if (buf->marked)
		gs_gc_count(h, GS_GC_MARKED, buf->marked);
	if (scanned)
		gs_gc_count(h, GS_GC_SCANNED, scanned);
	atomic_long_add(work, &h->scan_work);
	buf->marked = 0;
}

/* Hand the objects of a batch a marker stops short of back to the list. */
static void give_back(struct goslab_gc_heap *h, struct gc_wbuf *buf,
		      void **objs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (buf->n == ARRAY_SIZE(buf->obj))
			wbuf_flush(h, buf);
		buf->obj[buf->n++] = objs[i];
	}
}

/**
 * gs_gc_drain() - scan grey objects
 * @h: the heap
 * @work: stop after scanning this many bytes of objects
 * @resched: the caller may sleep: reschedule every GS_GC_STRETCH bytes,
 *	having given back what it took from the grey list, so that other
 *	markers, and the end of the mark, do not wait for a marker that chose
 *	to sleep (one preempted meanwhile still holds its batch).  Without
 *	it, @work must not exceed GS_GC_STRETCH: the call is one stretch
 *	without a point to reschedule.
 *
 * Return: bytes of objects scanned; less than @work when the grey list ran
 * dry or the heap stopped marking.  It may exceed @work by one object or
 * one look at a span, which an overflow rescan counts as scanning.
 */
unsigned long gs_gc_drain(struct goslab_gc_heap *h, unsigned long work,
			  bool resched)
{
	unsigned long done = 0, scanned = 0, stretch = 0, rescans = 0;
	unsigned long rescanned, w;
	void *batch[GS_GC_POP_BATCH];
	struct gc_wbuf buf;
	unsigned int n, i;

	buf.n = 0;
	buf.marked = 0;
	buf.cpu = -1;
	while (done < work) {
		if (resched && stretch >= GS_GC_STRETCH) {
			gs_gc_count_max(h, GS_GC_STRETCH_MAX, stretch);
			stretch = 0;
			gs_test_hold(GS_HOLD_GC_RESCHED);
			cond_resched();
		}
		/* A rescan step may fill what is left of this stretch. */
		n = grey_take_batch(h, batch, ARRAY_SIZE(batch), &buf,
				    min(work - done, GS_GC_STRETCH -
					min(stretch, GS_GC_STRETCH - 1)),
				    &rescanned);
		done += rescanned;
		rescans += rescanned;
		stretch += rescanned;
		if (!n && !rescanned)
			break;
		if (!n)
			continue;
		for (i = 0; i < n && done < work; i++) {
			/* Reschedule above, holding no object from the list. */
			if (resched && stretch >= GS_GC_STRETCH)
				break;
			w = scan_obj(h, batch[i], &buf);
			stretch += w;
			done += w;
		}
		give_back(h, &buf, batch + i, n - i);
		scanned += i;
		batch_done(h, &buf);
	}
	gs_gc_count_max(h, GS_GC_STRETCH_MAX, stretch);
	/* Rescans are not the cycle's scan work: the pacer must not see them. */
	count_mark_work(h, &buf, scanned, done - rescans);
	return done;
}

#ifdef GOSLAB_TEST
/**
 * gs_gc_step_objects() - scan exactly up to @n grey objects
 * @h: the heap
 * @n: objects
 *
 * For goslab_gc_step() (export_test.c) only.
 *
 * Return: objects scanned.
 */
unsigned long gs_gc_step_objects(struct goslab_gc_heap *h, unsigned long n)
{
	unsigned long done = 0, work = 0, rescanned;
	struct gc_wbuf buf;
	void *obj;

	buf.n = 0;
	buf.marked = 0;
	buf.cpu = -1;
	while (done < n) {
		if (!grey_take_batch(h, &obj, 1, &buf, GS_GC_STRETCH,
				     &rescanned)) {
			if (!rescanned)
				break;
			cond_resched();
			continue;
		}
		work += scan_obj(h, obj, &buf);
		batch_done(h, &buf);
		done++;
	}
	count_mark_work(h, &buf, done, work);
	return done;
}
#endif

/**
 * gs_gc_grey_empty() - is the mark's work done for now?
 * @h: the heap
 *
 * Return: true when the grey list is empty, no marker holds objects from
 * it and no overflow rescan is due.
 */
bool gs_gc_grey_empty(struct goslab_gc_heap *h)
{
	bool empty;

	spin_lock(&h->grey_lock);
	empty = !h->grey_n && !h->grey_busy && !h->grey_overflow;
	spin_unlock(&h->grey_lock);
	return empty;
}

/**
 * gs_gc_assist() - pay for an allocation with marking
 * @h: the heap, marking
 * @size: bytes being allocated
 * @gfp: the allocation's flags: whether the assist may reschedule
 *
 * As Go's gcAssistAlloc(): each byte allocated while the heap marks owes
 * the pacer's assist ratio in bytes of scan work.  Debt is kept per CPU;
 * the worker's surplus (background credit) pays first, and a CPU in debt
 * scans at least GS_GC_ASSIST_MIN bytes so that assists stay rare.  An
 * allocation that may not sleep pays at most GS_GC_STRETCH: the rest of
 * the debt waits for the next allocation on the CPU, even past the goal,
 * so that no allocation does the whole remaining mark where it cannot
 * reschedule.
 */
void gs_gc_assist(struct goslab_gc_heap *h, size_t size, gfp_t gfp)
{
	bool can_sleep = gfpflags_allow_blocking(gfp);
	long debt, credit, bg, steal;
	unsigned long done, want;
	ktime_t t0;
	s64 ns;

	if (READ_ONCE(h->manual) || READ_ONCE(h->mode) == GS_GC_STW)
		return;
	debt = gs_gc_assist_debt(h, size);
	credit = this_cpu_sub_return(*h->assist_credit, debt);
	if (credit >= 0)
		return;
	bg = atomic_long_read(&h->bg_credit);
	if (bg > 0) {
		steal = min(bg, -credit);
		atomic_long_sub(steal, &h->bg_credit);
		this_cpu_add(*h->assist_credit, steal);
		credit += steal;
		if (credit >= 0)
			return;
	}
	t0 = ktime_get();
	want = max_t(unsigned long, -credit, GS_GC_ASSIST_MIN);
	if (!can_sleep)
		want = min(want, GS_GC_STRETCH);
	done = gs_gc_drain(h, want, can_sleep);
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	if (done < want && (!gs_gc_marking(READ_ONCE(h->phase)) ||
			    gs_gc_grey_empty(h)))
		/* The grey list is dry: the mark is ending, forgive the rest. */
		done = max_t(unsigned long, done, -credit);
	this_cpu_add(*h->assist_credit, done);
	gs_gc_count(h, GS_GC_ASSISTS, 1);
	gs_gc_count(h, GS_GC_ASSIST_NS, ns);
	gs_gc_count_max(h, GS_GC_ASSIST_MAX_NS, ns);
}
