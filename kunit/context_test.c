// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the calling contexts the API promises.
 *
 * A GFP_NOFS or GFP_NOIO caller must never enter FS or IO reclaim, not
 * even for goslab's own metadata: lockdep sees that when the case holds
 * fs_reclaim itself, as a filesystem in reclaim does, and goslab then
 * recurses into it.  goslab_free() works in any context, so a huge
 * (vmap()ed) object may be freed under rcu_read_lock(), a spinlock, with
 * preemption or interrupts off: DEBUG_ATOMIC_SLEEP reports any sleep
 * there.  These cases fail by the report they provoke, which the harness
 * counts as a failure.
 */
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/spinlock.h>

#include "goslab_test.h"

/* One of each tier: tiny, small, large, huge (beyond 4 MiB). */
static const size_t ctx_sizes[] = { 5, 100, 4096, 40000, 6 << 20 };

static void ctx_alloc_in_reclaim(struct kunit *test, gfp_t gfp,
				 const char *what)
{
	struct goslab_cache *c;
	unsigned int i;
	void *p;

	c = goslab_cache_create("ctx", 200, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < ARRAY_SIZE(ctx_sizes); i++) {
		/* Empty lists and heap: the allocation reaches every tier. */
		goslab_trim();
		fs_reclaim_acquire(GFP_KERNEL);
		p = goslab_alloc(ctx_sizes[i], gfp);
		fs_reclaim_release(GFP_KERNEL);
		KUNIT_EXPECT_NOT_NULL_MSG(test, p, "%s size %zu", what,
					  ctx_sizes[i]);
		goslab_free(p);
	}
	goslab_trim();
	fs_reclaim_acquire(GFP_KERNEL);
	p = goslab_cache_alloc(c, gfp);
	fs_reclaim_release(GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL_MSG(test, p, "%s cache", what);
	goslab_cache_free(c, p);
	goslab_cache_destroy(c);
}

static void goslab_test_ctx_nofs(struct kunit *test)
{
	ctx_alloc_in_reclaim(test, GFP_NOFS, "GFP_NOFS");
}

static void goslab_test_ctx_noio(struct kunit *test)
{
	ctx_alloc_in_reclaim(test, GFP_NOIO, "GFP_NOIO");
}

enum ctx_atomic { CTX_RCU, CTX_SPIN, CTX_PREEMPT, CTX_IRQ, CTX_NR };

static DEFINE_SPINLOCK(ctx_lock);

static void ctx_free_in(enum ctx_atomic how, void *p)
{
	unsigned long flags;

	switch (how) {
	case CTX_RCU:
		rcu_read_lock();
		goslab_free(p);
		rcu_read_unlock();
		break;
	case CTX_SPIN:
		spin_lock(&ctx_lock);
		goslab_free(p);
		spin_unlock(&ctx_lock);
		break;
	case CTX_PREEMPT:
		preempt_disable();
		goslab_free(p);
		preempt_enable();
		break;
	default:
		local_irq_save(flags);
		goslab_free(p);
		local_irq_restore(flags);
		break;
	}
}

/* Huge objects freed where sleeping is not allowed, then given back. */
static void goslab_test_ctx_huge_free_atomic(struct kunit *test)
{
	struct goslab_stats base, st;
	enum ctx_atomic how;

	goslab_trim();
	gs_stats(test, &base);
	for (how = 0; how < CTX_NR; how++) {
		void *p;

		/* GS_RT_ATOMIC_REASON: only RCU and spinlocks there. */
		if (IS_ENABLED(CONFIG_PREEMPT_RT) && how >= CTX_PREEMPT)
			continue;
		p = goslab_alloc(6 << 20, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		gs_stamp(p, 6 << 20, 4096);
		ctx_free_in(how, p);
	}
	/* Deferred frees are done by the time goslab_trim() returns. */
	goslab_trim();
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.large_in_use, base.large_in_use);
	KUNIT_EXPECT_EQ(test, st.pages_held, base.pages_held);
}

static struct kunit_case goslab_context_cases[] = {
	KUNIT_CASE(goslab_test_ctx_nofs),
	KUNIT_CASE(goslab_test_ctx_noio),
	KUNIT_CASE(goslab_test_ctx_huge_free_atomic),
	{}
};

static struct kunit_suite goslab_context_suite = {
	.name = "goslab_context",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_context_cases,
};

kunit_test_suite(goslab_context_suite);
