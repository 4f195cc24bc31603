// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: GFP_ATOMIC allocation and free from softirq (timer)
 * and hard IRQ (irq_work) context, and with interrupts off; and NMI
 * context, where allocations fail and frees are deferred.
 */
#include <linux/completion.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/string.h>
#include <linux/timer.h>

#include "goslab_test.h"

/* One of each tier; large ones stay small enough for atomic page allocs. */
static const size_t atomic_sizes[] = {
	1, 7, 15, 16, 100, 1024, 4096, GS_SMALL_MAX, GS_SMALL_MAX + 1,
	65536, 256 << 10,
};

#define NSIZES		ARRAY_SIZE(atomic_sizes)
#define ROUNDS		16
#define STRIDE		64

/* Results only: KUnit assertions may not be used in interrupt context. */
struct atomic_ctx {
	void *held[NSIZES];
	unsigned int round;
	unsigned int alloc_failed;
	unsigned int bad_stamp;
	unsigned int not_zeroed;
	unsigned int wrong_context;
	struct completion done;
	struct timer_list timer;
	struct irq_work work;
};

static void atomic_release(struct atomic_ctx *c)
{
	unsigned int i;

	for (i = 0; i < NSIZES; i++) {
		if (!c->held[i])
			continue;
		if (!gs_stamp_ok(c->held[i], atomic_sizes[i], STRIDE))
			c->bad_stamp++;
		goslab_free(c->held[i]);
		c->held[i] = NULL;
	}
}

/*
 * Frees what the previous round (or process context) left, allocates one
 * object per size, frees half of them at once and keeps the rest for the
 * next round, which may run on another CPU.
 */
static void atomic_round(struct atomic_ctx *c, gfp_t gfp)
{
	unsigned int i;

	atomic_release(c);
	for (i = 0; i < NSIZES; i++) {
		size_t size = atomic_sizes[i];
		bool zero = (c->round + i) & 1;
		void *p;

		p = goslab_alloc(size, gfp | (zero ? __GFP_ZERO : 0));
		if (!p) {
			c->alloc_failed++;
			continue;
		}
		if (zero && memchr_inv(p, 0, size))
			c->not_zeroed++;
		gs_stamp(p, size, STRIDE);
		if (i & 1) {
			if (!gs_stamp_ok(p, size, STRIDE))
				c->bad_stamp++;
			goslab_free(p);
		} else {
			c->held[i] = p;
		}
	}
	c->round++;
}

static struct atomic_ctx *atomic_setup(struct kunit *test)
{
	struct atomic_ctx *c;
	unsigned int i;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	init_completion(&c->done);
	/* The first round in interrupt context frees these. */
	for (i = 0; i < NSIZES; i++) {
		c->held[i] = goslab_alloc(atomic_sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, c->held[i]);
		gs_stamp(c->held[i], atomic_sizes[i], STRIDE);
	}
	return c;
}

static void atomic_check(struct kunit *test, struct atomic_ctx *c,
			 const char *where)
{
	atomic_release(c);
	KUNIT_EXPECT_EQ_MSG(test, c->round, ROUNDS, "%s", where);
	KUNIT_EXPECT_EQ_MSG(test, c->alloc_failed, 0, "%s: GFP_ATOMIC failed", where);
	KUNIT_EXPECT_EQ_MSG(test, c->bad_stamp, 0, "%s: contents changed", where);
	KUNIT_EXPECT_EQ_MSG(test, c->not_zeroed, 0, "%s: __GFP_ZERO ignored", where);
	KUNIT_EXPECT_EQ_MSG(test, c->wrong_context, 0,
			    "%s: callback not in the expected context", where);
}

static void atomic_timer_fn(struct timer_list *t)
{
	struct atomic_ctx *c = from_timer(c, t, timer);

	if (!in_serving_softirq())
		c->wrong_context++;
	atomic_round(c, GFP_ATOMIC | __GFP_NOWARN);
	if (c->round < ROUNDS)
		mod_timer(&c->timer, jiffies + 1);
	else
		complete(&c->done);
}

static void goslab_test_atomic_timer(struct kunit *test)
{
	struct atomic_ctx *c = atomic_setup(test);
	unsigned long left;

	timer_setup(&c->timer, atomic_timer_fn, 0);
	mod_timer(&c->timer, jiffies + 1);
	left = wait_for_completion_timeout(&c->done, 60 * HZ);
	timer_delete_sync(&c->timer);
	KUNIT_ASSERT_GT_MSG(test, left, 0, "timer rounds did not finish");
	atomic_check(test, c, "timer");
}

static void atomic_irq_work_fn(struct irq_work *w)
{
	struct atomic_ctx *c = container_of(w, struct atomic_ctx, work);

	if (!in_hardirq())
		c->wrong_context++;
	atomic_round(c, GFP_ATOMIC | __GFP_NOWARN);
}

static void goslab_test_atomic_irq_work(struct kunit *test)
{
	struct atomic_ctx *c;
	unsigned int r;

	gs_skip_on_rt(test);
	c = atomic_setup(test);
	c->work = IRQ_WORK_INIT_HARD(atomic_irq_work_fn);
	for (r = 0; r < ROUNDS; r++) {
		KUNIT_ASSERT_TRUE(test, irq_work_queue(&c->work));
		irq_work_sync(&c->work);
	}
	atomic_check(test, c, "irq_work");
}

/* Process context with interrupts off: same rules as an interrupt. */
static void goslab_test_atomic_irqs_off(struct kunit *test)
{
	struct atomic_ctx *c;
	unsigned long flags;
	unsigned int r;

	gs_skip_on_rt(test);
	c = atomic_setup(test);
	for (r = 0; r < ROUNDS; r++) {
		local_irq_save(flags);
		atomic_round(c, GFP_ATOMIC | __GFP_NOWARN);
		local_irq_restore(flags);
	}
	atomic_check(test, c, "irqs off");
}

/*
 * NMI context, as an NMI handler sees it (in_nmi()), entered here without
 * a real NMI, so that what goslab does there is checked deterministically:
 * an NMI could land between the read and the write of a CPU's list head,
 * so allocations must fail and frees must wait until the NMI is over.
 */
static void goslab_test_atomic_nmi(struct kunit *test)
{
	struct goslab_stats before, after;
	struct goslab_cache *cache;
	void *p, *q, *o, *got[3], *bulkp[2];
	unsigned long flags;
	unsigned int i;
	int bulk;

	cache = goslab_cache_create("goslab_kunit_nmi", 64, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, cache);
	p = goslab_alloc(64, GFP_KERNEL);
	o = goslab_cache_alloc(cache, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, o);
	gs_stats(test, &before);

	local_irq_save(flags);
	__preempt_count_add(NMI_OFFSET + HARDIRQ_OFFSET);
	q = goslab_alloc(64, GFP_ATOMIC);
	got[0] = goslab_alloc(5, GFP_ATOMIC);
	got[1] = goslab_alloc(40000, GFP_ATOMIC);
	got[2] = goslab_cache_alloc(cache, GFP_ATOMIC);
	bulk = goslab_cache_alloc_bulk(cache, GFP_ATOMIC, 2, bulkp);
	goslab_free(p);
	goslab_cache_free(cache, o);
	__preempt_count_sub(NMI_OFFSET + HARDIRQ_OFFSET);
	/* Still in the "NMI"'s wake: nothing was freed yet. */
	goslab_get_stats(&after);
	local_irq_restore(flags);

	KUNIT_EXPECT_NULL(test, q);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_NULL_MSG(test, got[i], "allocation %u", i);
	KUNIT_EXPECT_EQ(test, bulk, 0);
	KUNIT_EXPECT_EQ(test, after.objects_in_use, before.objects_in_use);

	/* The irq_work frees them once interrupts are on. */
	for (i = 0; i < 100; i++) {
		gs_stats(test, &after);
		if (before.objects_in_use - after.objects_in_use == 2)
			break;
		msleep(20);
	}
	KUNIT_EXPECT_EQ(test, before.objects_in_use - after.objects_in_use, 2);
	gs_check_heap(test, NULL, 64, 2 * gs_class_objects(gs_size_class(64)) + 1);
	goslab_cache_destroy(cache);
}

static struct kunit_case goslab_atomic_cases[] = {
	KUNIT_CASE(goslab_test_atomic_timer),
	KUNIT_CASE(goslab_test_atomic_irq_work),
	KUNIT_CASE(goslab_test_atomic_nmi),
	KUNIT_CASE(goslab_test_atomic_irqs_off),
	{}
};

static struct kunit_suite goslab_atomic_suite = {
	.name = "goslab_atomic",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_atomic_cases,
};

kunit_test_suite(goslab_atomic_suite);
