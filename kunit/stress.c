// SPDX-License-Identifier: GPL-2.0
/*
 * goslab's stress workload: randomized allocation and free from every
 * online CPU, with objects handed from CPU to CPU, each object stamped
 * with a pattern checked when it is freed.  Without KUnit, so that the
 * plain module goslab_stress.ko runs it on kernels that have none.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "pattern.h"
#include "stress.h"

#define SLOTS		256	/* objects a worker keeps live */
#define RING		512	/* objects in transit between CPUs */
#define STAMP_STRIDE	256

struct stress_obj {
	void *p;
	u32 size;
	int cpu;		/* that allocated it */
};

struct stress_shared {
	spinlock_t lock;	/* protects ring, head and count */
	struct stress_obj ring[RING];
	unsigned int head;
	unsigned int count;
	atomic_t running;
	struct completion done;
};

struct stress_worker {
	struct stress_shared *sh;
	struct task_struct *task;
	int cpu;
	unsigned long target;
	struct rnd_state rnd;
	struct stress_obj slot[SLOTS];

	unsigned long ops;
	unsigned long allocs;
	unsigned long frees;
	unsigned long cross_frees;
	unsigned long tiny;
	unsigned long large;
	unsigned long atomic;
	unsigned long alloc_failed;
	unsigned long bad_usable;
	unsigned long bad_stamp;
	unsigned long not_zeroed;
};

/* Sizes across the tiers: about 30% tiny, 66% small, 3% large. */
static size_t stress_size(struct stress_worker *w)
{
	u32 r = prandom_u32_state(&w->rnd);
	u32 tier = r & 63;

	r >>= 6;
	if (tier < 20)
		return 1 + r % GS_TINY_MAX;
	if (tier < 52)
		return 16 + r % (1024 - 15);
	if (tier < 62)
		return 1025 + r % (GS_SMALL_MAX - 1024);
	return GS_SMALL_MAX + 1 + r % (224 << 10);
}

static void stress_alloc(struct stress_worker *w, struct stress_obj *o, u32 r)
{
	size_t size = stress_size(w);
	bool atomic = !(r & (7 << 20));
	bool zero = !(r & (15 << 23));
	/*
	 * GFP_ATOMIC with preemption off, as under a spinlock; on PREEMPT_RT
	 * goslab's locks sleep, so there the flags alone (as for kmalloc()).
	 */
	bool nopreempt = atomic && !IS_ENABLED(CONFIG_PREEMPT_RT);
	gfp_t gfp = zero ? __GFP_ZERO : 0;
	void *p;

	if (nopreempt)
		preempt_disable();
	p = goslab_alloc(size, gfp | (atomic ? GFP_ATOMIC | __GFP_NOWARN : GFP_KERNEL));
	if (nopreempt)
		preempt_enable();
	w->atomic += atomic;
	w->ops++;
	if (!p) {
		w->alloc_failed++;
		return;
	}
	w->allocs++;
	w->tiny += size <= GS_TINY_MAX;
	w->large += size > GS_SMALL_MAX;
	if (goslab_usable_size(p) != gs_expected_usable(size))
		w->bad_usable++;
	if (zero && memchr_inv(p, 0, size))
		w->not_zeroed++;
	gs_stamp(p, size, STAMP_STRIDE);
	o->p = p;
	o->size = size;
	o->cpu = w->cpu;
}

static void stress_free(struct stress_worker *w, struct stress_obj *o, u32 r)
{
	unsigned long flags;

	if (!gs_stamp_ok(o->p, o->size, STAMP_STRIDE))
		w->bad_stamp++;
	if (o->cpu != w->cpu)
		w->cross_frees++;
	/* Some frees with interrupts off, as from an interrupt handler. */
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) && !(r & (7 << 27))) {
		local_irq_save(flags);
		goslab_free(o->p);
		local_irq_restore(flags);
	} else {
		goslab_free(o->p);
	}
	o->p = NULL;
	w->ops++;
	w->frees++;
}

static bool stress_put(struct stress_shared *sh, struct stress_obj *o)
{
	bool ok = false;

	spin_lock(&sh->lock);
	if (sh->count < RING) {
		sh->ring[(sh->head + sh->count++) % RING] = *o;
		ok = true;
	}
	spin_unlock(&sh->lock);
	return ok;
}

static bool stress_get(struct stress_shared *sh, struct stress_obj *o)
{
	bool ok = false;

	spin_lock(&sh->lock);
	if (sh->count) {
		*o = sh->ring[sh->head];
		sh->head = (sh->head + 1) % RING;
		sh->count--;
		ok = true;
	}
	spin_unlock(&sh->lock);
	return ok;
}

static int stress_thread(void *data)
{
	struct stress_worker *w = data;
	struct stress_shared *sh = w->sh;
	struct stress_obj in;
	unsigned long iter = 0;
	unsigned int i;

	while (w->ops < w->target) {
		u32 r = prandom_u32_state(&w->rnd);
		struct stress_obj *o = &w->slot[r % SLOTS];
		bool share = ((r >> 16) & 7) < 3;

		if (o->p) {
			/* Hand it to whichever CPU takes it next. */
			if (share && stress_put(sh, o))
				o->p = NULL;
			else
				stress_free(w, o, r);
		} else if (share && stress_get(sh, &in)) {
			stress_free(w, &in, r);
		} else {
			stress_alloc(w, o, r);
		}
		if (!(++iter & 63))
			cond_resched();
	}
	for (i = 0; i < SLOTS; i++)
		if (w->slot[i].p)
			stress_free(w, &w->slot[i], 1);

	if (atomic_dec_and_test(&sh->running))
		complete(&sh->done);
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/**
 * gs_stress_run() - run the workload
 * @ops: allocations plus frees to make, over all online CPUs
 * @seed: for the workers' random streams (worker on CPU c uses @seed + c)
 * @r: filled with what the run did and saw
 *
 * Bound by work, never by time.  Every object is freed before it returns,
 * and goslab is trimmed before and after, so that @r->before and
 * @r->after can be compared.
 *
 * Context: process context; sleeps.
 * Return: 0, -ENOMEM, or the error of a worker thread that did not start.
 */
int gs_stress_run(unsigned long ops, u64 seed, struct gs_stress_report *r)
{
	unsigned int nr = 0, i, nr_cpus = num_online_cpus();
	struct stress_worker *workers, *w;
	struct stress_shared *sh;
	struct stress_obj in;
	unsigned long start;
	int cpu, err = 0;

	memset(r, 0, sizeof(*r));
	sh = kzalloc(sizeof(*sh), GFP_KERNEL);
	workers = kcalloc(nr_cpus, sizeof(*workers), GFP_KERNEL);
	if (!sh || !workers) {
		err = -ENOMEM;
		goto out;
	}
	spin_lock_init(&sh->lock);
	init_completion(&sh->done);

	goslab_trim();
	goslab_get_stats(&r->before);

	for_each_online_cpu(cpu) {
		if (nr == nr_cpus)
			break;
		w = &workers[nr];
		w->sh = sh;
		w->cpu = cpu;
		w->target = DIV_ROUND_UP(ops, nr_cpus);
		prandom_seed_state(&w->rnd, seed + cpu);
		w->task = kthread_create(stress_thread, w, "goslab_stress/%d", cpu);
		if (IS_ERR(w->task)) {
			err = PTR_ERR(w->task);
			break;
		}
		kthread_bind(w->task, cpu);
		nr++;
	}
	if (err) {
		for (i = 0; i < nr; i++)
			kthread_stop(workers[i].task);
		goto out;
	}

	start = jiffies;
	atomic_set(&sh->running, nr);
	for (i = 0; i < nr; i++)
		wake_up_process(workers[i].task);
	/* Wake up now and then: this may take long under emulation. */
	while (!wait_for_completion_timeout(&sh->done, HZ))
		;
	r->ms = jiffies_to_msecs(jiffies - start);
	for (i = 0; i < nr; i++)
		kthread_stop(workers[i].task);

	/* Objects still in transit; no CPU took them. */
	w = &workers[0];
	while (stress_get(sh, &in))
		stress_free(w, &in, 1);

	r->cpus = nr;
	for (i = 0; i < nr; i++) {
		w = &workers[i];
		r->idle_cpus += !w->ops;
		r->ops += w->ops;
		r->allocs += w->allocs;
		r->frees += w->frees;
		r->cross_frees += w->cross_frees;
		r->tiny += w->tiny;
		r->large += w->large;
		r->atomic += w->atomic;
		r->alloc_failed += w->alloc_failed;
		r->bad_usable += w->bad_usable;
		r->bad_stamp += w->bad_stamp;
		r->not_zeroed += w->not_zeroed;
	}
	goslab_trim();
	goslab_get_stats(&r->after);
out:
	kfree(workers);
	kfree(sh);
	return err;
}

__printf(3, 4)
static int stress_wrong(char *why, size_t len, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(why, len, fmt, args);
	va_end(args);
	return -EIO;
}

/**
 * gs_stress_verdict() - judge a run
 * @r: what gs_stress_run() reported
 * @ops: the @ops it was asked for
 * @why: gets the first thing found wrong
 * @len: size of @why
 *
 * Return: 0 if the run did all its work, every object came back as it was
 * written, every CPU took part, frees crossed CPUs and the counters are
 * back where they were; -EIO otherwise, with @why saying what.
 */
int gs_stress_verdict(const struct gs_stress_report *r, unsigned long ops,
		      char *why, size_t len)
{
	const struct goslab_stats *b = &r->before, *a = &r->after;

	if (r->ops < ops)
		return stress_wrong(why, len, "%lu operations of %lu", r->ops, ops);
	if (r->idle_cpus)
		return stress_wrong(why, len, "%u CPUs did nothing", r->idle_cpus);
	if (r->allocs != r->frees)
		return stress_wrong(why, len, "%lu allocations, %lu frees",
				    r->allocs, r->frees);
	if (r->alloc_failed)
		return stress_wrong(why, len, "%lu allocations failed", r->alloc_failed);
	if (r->bad_usable)
		return stress_wrong(why, len, "%lu objects of the wrong usable size",
				    r->bad_usable);
	if (r->bad_stamp)
		return stress_wrong(why, len, "%lu objects changed while live",
				    r->bad_stamp);
	if (r->not_zeroed)
		return stress_wrong(why, len, "%lu __GFP_ZERO objects not zeroed",
				    r->not_zeroed);
	if (!r->tiny || !r->large)
		return stress_wrong(why, len, "%lu tiny and %lu large objects",
				    r->tiny, r->large);
	/*
	 * At least 2% of frees on another CPU than the allocating one: how
	 * many more depends on how the host schedules the vCPUs.
	 */
	if (r->cpus > 1 && r->cross_frees * 50 < r->frees)
		return stress_wrong(why, len, "only %lu of %lu frees on another CPU",
				    r->cross_frees, r->frees);
	/* All freed: the counters are back where they were. */
	if (a->objects_in_use != b->objects_in_use ||
	    a->bytes_in_use != b->bytes_in_use ||
	    a->large_in_use != b->large_in_use ||
	    a->pages_in_use != b->pages_in_use)
		return stress_wrong(why, len,
				    "in use after the run: %llu objects, %llu bytes, %llu large, %llu pages; before: %llu, %llu, %llu, %llu",
				    a->objects_in_use, a->bytes_in_use, a->large_in_use,
				    a->pages_in_use, b->objects_in_use, b->bytes_in_use,
				    b->large_in_use, b->pages_in_use);
	return 0;
}
