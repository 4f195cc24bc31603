// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: randomized allocation and free from every online CPU,
 * with objects handed from CPU to CPU.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "goslab_test.h"

/*
 * The case is bound by this work, never by time: KASAN's kernel runs it
 * some ten times slower, so it does less there, well inside KUnit's case
 * timeout even on a machine busy with something else.
 */
static unsigned long stress_ops = IS_ENABLED(CONFIG_KASAN) ? 400000 : 1000000;
module_param(stress_ops, ulong, 0644);
MODULE_PARM_DESC(stress_ops,
		 "allocations plus frees in goslab_test_stress, over all CPUs (default 1000000, 400000 under KASAN)");

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
	gfp_t gfp = zero ? __GFP_ZERO : 0;
	void *p;

	if (atomic) {
		preempt_disable();
		p = goslab_alloc(size, gfp | GFP_ATOMIC | __GFP_NOWARN);
		preempt_enable();
		w->atomic++;
	} else {
		p = goslab_alloc(size, gfp | GFP_KERNEL);
	}
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

static void goslab_test_stress(struct kunit *test)
{
	unsigned long ops = 0, frees = 0, cross = 0, allocs = 0, tiny = 0;
	unsigned long large = 0, atomic = 0, failed = 0, bad_usable = 0;
	unsigned long bad_stamp = 0, not_zeroed = 0, start, elapsed;
	unsigned int nr = 0, i, nr_cpus = num_online_cpus();
	struct stress_worker *workers, *w;
	struct goslab_stats base, st;
	struct stress_shared *sh;
	struct stress_obj in;
	u64 seed = get_random_u64();
	int cpu;

	if (!stress_ops)
		kunit_skip(test, "goslab_kunit.stress_ops=0");
	sh = kunit_kzalloc(test, sizeof(*sh), GFP_KERNEL);
	workers = kunit_kcalloc(test, nr_cpus, sizeof(*workers), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sh);
	KUNIT_ASSERT_NOT_NULL(test, workers);
	spin_lock_init(&sh->lock);
	init_completion(&sh->done);

	goslab_trim();
	gs_stats(test, &base);

	for_each_online_cpu(cpu) {
		if (nr == nr_cpus)
			break;
		w = &workers[nr];
		w->sh = sh;
		w->cpu = cpu;
		w->target = DIV_ROUND_UP(stress_ops, nr_cpus);
		prandom_seed_state(&w->rnd, seed + cpu);
		w->task = kthread_create(stress_thread, w, "goslab_stress/%d", cpu);
		if (IS_ERR(w->task))
			break;
		kthread_bind(w->task, cpu);
		nr++;
	}
	if (nr < nr_cpus) {
		for (i = 0; i < nr; i++)
			kthread_stop(workers[i].task);
		KUNIT_FAIL_AND_ABORT(test, "cannot start a thread on CPU %d", cpu);
	}

	kunit_info(test, "%lu operations on %u CPUs, seed %llu\n",
		   stress_ops, nr, seed);
	start = jiffies;
	atomic_set(&sh->running, nr);
	for (i = 0; i < nr; i++)
		wake_up_process(workers[i].task);
	/* Wake up now and then: this may take long under emulation. */
	while (!wait_for_completion_timeout(&sh->done, HZ))
		;
	elapsed = jiffies - start;
	for (i = 0; i < nr; i++)
		kthread_stop(workers[i].task);

	/* Objects still in transit; no CPU took them. */
	w = &workers[0];
	while (stress_get(sh, &in))
		stress_free(w, &in, 1);

	for (i = 0; i < nr; i++) {
		w = &workers[i];
		ops += w->ops;
		allocs += w->allocs;
		frees += w->frees;
		cross += w->cross_frees;
		tiny += w->tiny;
		large += w->large;
		atomic += w->atomic;
		failed += w->alloc_failed;
		bad_usable += w->bad_usable;
		bad_stamp += w->bad_stamp;
		not_zeroed += w->not_zeroed;
		KUNIT_EXPECT_GT_MSG(test, w->ops, 0, "CPU %d did nothing", w->cpu);
	}
	kunit_info(test,
		   "%lu ops in %u ms: %lu allocs (%lu tiny, %lu large, %lu atomic), %lu frees (%lu on another CPU)\n",
		   ops, jiffies_to_msecs(elapsed), allocs, tiny, large, atomic,
		   frees, cross);

	KUNIT_EXPECT_GE(test, ops, stress_ops);
	KUNIT_EXPECT_EQ(test, allocs, frees);
	KUNIT_EXPECT_EQ(test, failed, 0);
	KUNIT_EXPECT_EQ(test, bad_usable, 0);
	KUNIT_EXPECT_EQ_MSG(test, bad_stamp, 0, "objects changed while live");
	KUNIT_EXPECT_EQ(test, not_zeroed, 0);
	KUNIT_EXPECT_GT(test, tiny, 0);
	KUNIT_EXPECT_GT(test, large, 0);
	/*
	 * At least 2% of frees on another CPU than the allocating one: how
	 * many more depends on how the host schedules the vCPUs.
	 */
	if (nr > 1)
		KUNIT_EXPECT_GE_MSG(test, cross * 50, frees,
				    "too few frees on another CPU than the allocating one");

	/* All freed: the counters are back where they were. */
	goslab_trim();
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);
	KUNIT_EXPECT_EQ(test, st.bytes_in_use, base.bytes_in_use);
	KUNIT_EXPECT_EQ(test, st.large_in_use, base.large_in_use);
	KUNIT_EXPECT_EQ(test, st.pages_in_use, base.pages_in_use);
	KUNIT_EXPECT_EQ(test, st.pages_held, st.pages_in_use + st.pages_free);
}

static struct kunit_case goslab_stress_cases[] = {
	KUNIT_CASE_SLOW(goslab_test_stress),
	{}
};

static struct kunit_suite goslab_stress_suite = {
	.name = "goslab_stress",
	.test_cases = goslab_stress_cases,
};

kunit_test_suite(goslab_stress_suite);
