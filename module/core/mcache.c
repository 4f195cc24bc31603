// SPDX-License-Identifier: GPL-2.0
/*
 * mcache: goslab's per-CPU caches, Go's P-bound mcache.
 *
 * Each CPU keeps, for every mcentral, a singly linked list of free objects
 * and, for tiny objects, the block it is packing.  The fast paths in
 * internal.h pop and push with interrupts off under the CPU's local_lock;
 * this file holds everything slower: filling an empty list from the
 * mcentral, flushing a long one back, and draining a CPU's lists when it
 * goes offline or when memory is wanted back.
 *
 * The slow paths drop the local lock before they touch an mcentral, and
 * retake it after: the mcentral may have to get pages from the kernel,
 * which may sleep.  By then the task may run on another CPU, or an
 * interrupt may have refilled the list; either way the objects simply go
 * onto whatever list is current.
 */

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

#include "internal.h"

DEFINE_PER_CPU(struct mcache, gs_mcache) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

/**
 * struct gs_drain - a request to drain one CPU's lists, run on that CPU
 * @work: queued on the CPU
 * @only: drain only this mcentral's list, or all with NULL
 */
struct gs_drain {
	struct work_struct work;
	struct mcentral *only;
};

static DEFINE_PER_CPU(struct gs_drain, gs_drain);
static struct workqueue_struct *gs_drain_wq;
static enum cpuhp_state gs_cpuhp_state;

/* Push a list onto this CPU's list; the local lock is held. */
static unsigned int push_list(struct mcentral *c, struct gs_freelist *fl,
			      void *head)
{
	void *next;

	lockdep_assert_held(this_cpu_ptr(&gs_mcache.lock));
	for (; head; head = next) {
		next = gs_link_get(c, head);
		gs_link_set(c, head, fl->head);
		fl->head = head;
		fl->count++;
	}
	return fl->count;
}

/**
 * mcache_refill() - the allocation slow path
 * @c: the mcentral whose list was empty
 * @gfp: the caller's flags
 *
 * Return: a free object of @c, the rest of a span's objects on this CPU's
 * list; or NULL.
 */
void *mcache_refill(struct mcentral *c, gfp_t gfp)
{
	struct gs_freelist *fl;
	unsigned long flags;
	unsigned int count;
	void *obj, *rest;

	count = mcentral_grab(c, gfp, &obj);
	if (!count)
		return NULL;
	rest = gs_link_get(c, obj);

	local_lock_irqsave(&gs_mcache.lock, flags);
	fl = this_cpu_ptr(c->pcp);
	__this_cpu_inc(gs_mcache.stat[GS_CPU_REFILL]);
	__this_cpu_add(gs_mcache.stat[GS_CPU_REFILLED], count);
	if (!fl->head) {
		/* The usual case: hand the list over whole. */
		fl->head = rest;
		fl->count = --count;
	} else {
		count = push_list(c, fl, rest);
	}
	local_unlock_irqrestore(&gs_mcache.lock, flags);

	if (unlikely(count >= c->high))
		mcache_flush(c);
	return obj;
}

/*
 * Detach the first @n (at least 1) objects of a list; the local lock is
 * held.  On the way, the walk checks that the list holds exactly its
 * count of objects, the last linking to NULL: a double free that no check
 * caught (p, q, p) makes a list a cycle, which a batch cut from it would
 * carry into the spans while the rest stayed here.
 *
 * Return: the first object of the batch; NULL if the list is not sane,
 * which is then left as it was.
 */
static void *detach(struct mcentral *c, struct gs_freelist *fl,
		    unsigned int n)
{
	void *head = fl->head, *last = NULL, *obj = head;
	unsigned int i;

	for (i = 0; i < fl->count && obj; i++) {
		if (i == n - 1)
			last = obj;
		obj = gs_link_get(c, obj);
	}
	if (obj || i != fl->count)
		return NULL;
	fl->head = gs_link_get(c, last);
	fl->count -= n;
	gs_link_set(c, last, NULL);
	return head;
}

/**
 * mcache_flush() - return half of this CPU's list of @c to @c
 * @c: the mcentral whose list reached its high mark
 */
void mcache_flush(struct mcentral *c)
{
	struct gs_freelist *fl;
	unsigned long flags;
	unsigned int n;
	void *head;

	local_lock_irqsave(&gs_mcache.lock, flags);
	fl = this_cpu_ptr(c->pcp);
	n = fl->count / 2;
	if (!n) {
		local_unlock_irqrestore(&gs_mcache.lock, flags);
		return;
	}
	head = detach(c, fl, n);
	if (unlikely(!head)) {
		/*
		 * Its objects stay counted as handed out: no span of theirs
		 * goes back to the heap, whoever still uses them.
		 */
		head = fl->head;
		fl->head = NULL;
		fl->count = 0;
		local_unlock_irqrestore(&gs_mcache.lock, flags);
		return gs_debug_report(GS_DEBUG_DOUBLE_FREE, head,
				       "heads a CPU list a double free looped: the list is dropped");
	}
	__this_cpu_inc(gs_mcache.stat[GS_CPU_FLUSH]);
	__this_cpu_add(gs_mcache.stat[GS_CPU_FLUSHED], n);
	local_unlock_irqrestore(&gs_mcache.lock, flags);
	mcentral_return(c, head, n);
}

/* Empty @fl into its mcentral.  The caller keeps others off @fl. */
static void drain_list(struct mcentral *c, struct gs_freelist *fl)
{
	unsigned int n = fl->count;
	void *head = fl->head;

	fl->head = NULL;
	fl->count = 0;
	if (n)
		mcentral_return(c, head, n);
}

static bool drain_local_one(struct mcentral *c, void *arg)
{
	struct gs_freelist fl;
	unsigned long flags;

	local_lock_irqsave(&gs_mcache.lock, flags);
	fl = *this_cpu_ptr(c->pcp);
	this_cpu_ptr(c->pcp)->head = NULL;
	this_cpu_ptr(c->pcp)->count = 0;
	__this_cpu_add(gs_mcache.stat[GS_CPU_DRAINED], fl.count);
	local_unlock_irqrestore(&gs_mcache.lock, flags);
	drain_list(c, &fl);
	return true;
}

/* Give up this CPU's tiny block; it is freed once its objects are. */
static void drain_local_tiny(void)
{
	struct mcache *mc;
	unsigned long flags;
	unsigned int n;
	void *block;

	local_lock_irqsave(&gs_mcache.lock, flags);
	mc = this_cpu_ptr(&gs_mcache);
	block = mc->tiny;
	n = mc->tinyallocs;
	mc->tiny = NULL;
	mc->tinyoffset = 0;
	mc->tinyallocs = 0;
	local_unlock_irqrestore(&gs_mcache.lock, flags);
	if (block)
		gs_tiny_retire(block, n);
}

static void drain_fn(struct work_struct *work)
{
	struct gs_drain *d = container_of(work, struct gs_drain, work);

	if (d->only) {
		drain_local_one(d->only, NULL);
		return;
	}
	/* The tiny block first: retiring it may free it onto a list. */
	drain_local_tiny();
	mcentral_for_each(drain_local_one, NULL);
}

/**
 * mcache_drain_all() - empty the CPU lists of one or every mcentral
 * @only: the mcentral, or NULL for all (and the tiny blocks)
 *
 * Each CPU drains itself, in a work item, since only it may touch its
 * lists.
 *
 * Context: process context, with cpus_read_lock() and mcentral_mutex
 * held, which keep the CPUs and the caches in place.
 */
void mcache_drain_all(struct mcentral *only)
{
	unsigned int cpu;

	lockdep_assert_held(&mcentral_mutex);
	for_each_online_cpu(cpu) {
		struct gs_drain *d = per_cpu_ptr(&gs_drain, cpu);

		INIT_WORK(&d->work, drain_fn);
		d->only = only;
		queue_work_on(cpu, gs_drain_wq, &d->work);
	}
	for_each_online_cpu(cpu)
		flush_work(&per_cpu_ptr(&gs_drain, cpu)->work);
}

/* mcache_drain_all() of every CPU, from a work item. */
static void drain_async_fn(struct work_struct *work)
{
	cpus_read_lock();
	mutex_lock(&mcentral_mutex);
	mcache_drain_all(NULL);
	mutex_unlock(&mcentral_mutex);
	cpus_read_unlock();
}

static DECLARE_WORK(gs_drain_async, drain_async_fn);

/**
 * mcache_drain_async() - have every CPU's lists emptied, soon
 *
 * For reclaim, which must not wait on other CPUs: one work item, queued
 * once at a time, does mcache_drain_all() with the locks that takes, and
 * the caller does not wait for it.
 *
 * Context: any.
 */
void mcache_drain_async(void)
{
	queue_work(system_unbound_wq, &gs_drain_async);
}

static bool drain_dead_one(struct mcentral *c, void *arg)
{
	unsigned int cpu = (unsigned long)arg;
	struct gs_freelist *fl = per_cpu_ptr(c->pcp, cpu);

	per_cpu_ptr(&gs_mcache, cpu)->stat[GS_CPU_DRAINED] += fl->count;
	drain_list(c, fl);
	return true;
}

/* A CPU went offline: nothing runs there, so its lists are ours. */
static int gs_cpu_dead(unsigned int cpu)
{
	struct mcache *mc = per_cpu_ptr(&gs_mcache, cpu);

	if (mc->tiny) {
		gs_tiny_retire(mc->tiny, mc->tinyallocs);
		mc->tiny = NULL;
		mc->tinyoffset = 0;
		mc->tinyallocs = 0;
	}
	mutex_lock(&mcentral_mutex);
	mcentral_for_each(drain_dead_one, (void *)(unsigned long)cpu);
	mutex_unlock(&mcentral_mutex);
	return 0;
}

/**
 * mcache_cached() - free objects of @c on all CPU lists, read racily
 * @c: the mcentral
 *
 * Return: the sum of the per-CPU counts.
 */
unsigned long mcache_cached(const struct mcentral *c)
{
	unsigned long n = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(c->pcp, cpu)->count);
	return n;
}

/**
 * mcache_stat() - a per-CPU counter, read racily
 * @cpu: the CPU
 * @item: enum gs_cpu_counter
 *
 * Return: the counter.
 */
unsigned long mcache_stat(unsigned int cpu, enum gs_cpu_counter item)
{
	return READ_ONCE(per_cpu_ptr(&gs_mcache, cpu)->stat[item]);
}

struct cpu_cached {
	unsigned int cpu;
	unsigned long n;
};

static bool cpu_cached_one(struct mcentral *c, void *arg)
{
	struct cpu_cached *cc = arg;

	cc->n += READ_ONCE(per_cpu_ptr(c->pcp, cc->cpu)->count);
	return true;
}

/**
 * mcache_cpu_cached() - free objects on a CPU's lists, read racily
 * @cpu: the CPU
 *
 * Return: the sum of its lists' counts, every size class's and cache's.
 */
unsigned long mcache_cpu_cached(unsigned int cpu)
{
	struct cpu_cached cc = { .cpu = cpu };

	mcentral_for_each(cpu_cached_one, &cc);
	return cc.n;
}

/**
 * mcache_allocs() - objects a CPU's lists handed out, read racily
 * @cpu: the CPU
 * @cached: what its lists hold now, mcache_cpu_cached(), which the caller
 *	shows too: one walk of every mcentral for both
 *
 * What the lists took in (frees, refills) less what they let go to the
 * mcentrals (flushes, drains) and @cached.  The fast paths count frees
 * only (enum gs_cpu_counter).
 *
 * Return: the allocations, exact when goslab is quiet; while it is not,
 * the terms are read moments apart and the sum may be off either way.
 */
long mcache_allocs(unsigned int cpu, unsigned long cached)
{
	return mcache_stat(cpu, GS_CPU_FREE) + mcache_stat(cpu, GS_CPU_REFILLED) -
	       mcache_stat(cpu, GS_CPU_FLUSHED) - mcache_stat(cpu, GS_CPU_DRAINED) -
	       cached;
}

int mcache_init(void)
{
	int ret;

	gs_drain_wq = alloc_workqueue("goslab_drain", WQ_MEM_RECLAIM, 0);
	if (!gs_drain_wq)
		return -ENOMEM;
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "goslab:dead",
					NULL, gs_cpu_dead);
	if (ret < 0) {
		destroy_workqueue(gs_drain_wq);
		return ret;
	}
	gs_cpuhp_state = ret;
	return 0;
}

/**
 * mcache_exit() - drain every CPU for good
 *
 * Context: module unload, the shrinker gone; no one allocates any more.
 */
void mcache_exit(void)
{
	cancel_work_sync(&gs_drain_async);
	cpuhp_remove_state_nocalls(gs_cpuhp_state);
	cpus_read_lock();
	mutex_lock(&mcentral_mutex);
	mcache_drain_all(NULL);
	mutex_unlock(&mcentral_mutex);
	cpus_read_unlock();
	destroy_workqueue(gs_drain_wq);
}
