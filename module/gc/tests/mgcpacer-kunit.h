/* SPDX-License-Identifier: GPL-2.0 */
/*
 * White-box tests of the pacer's arithmetic (mgcpacer.c), in goslab.ko's
 * test build only: mgcpacer.c includes this file at its bottom under
 * GOSLAB_TEST, so the cases call its static functions and read its named
 * constants.
 *
 * The cases pace a heap of their own, a struct goslab_gc_heap that holds
 * only what the pacer reads and writes: no collector runs on it and no
 * GC heap of goslab's sees it.  Its GOGC is set, never the gc_percent
 * parameter's, and gc_min_heap_kb is only read.  Sizes are in decimal
 * bytes where a division by 100 or 1000 must come out exact.
 */
#ifndef _GOSLAB_MGCPACER_KUNIT_H
#define _GOSLAB_MGCPACER_KUNIT_H

#include <kunit/test.h>

static int pacer_test_init(struct kunit *test)
{
	struct goslab_gc_heap *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);

	/* The cases' figures are worked out for the floor goslab ships with. */
	if (READ_ONCE(gc_min_heap_kb) != GC_MIN_HEAP_KB_DEFAULT)
		kunit_skip(test, "gc_min_heap_kb is not its default (%u KiB)",
			   GC_MIN_HEAP_KB_DEFAULT);
	if (!h)
		return -ENOMEM;
	test->priv = h;
	h->assist_credit = alloc_percpu(long);
	if (!h->assist_credit)
		return -ENOMEM;
	spin_lock_init(&h->lock);
	h->phase = GS_GC_OFF;
	h->percent = 100;
	return 0;
}

/* Also after a failed init. */
static void pacer_test_exit(struct kunit *test)
{
	struct goslab_gc_heap *h = test->priv;

	if (h)
		free_percpu(h->assist_credit);
}

/* A heap whose last cycle marked @marked bytes, at GOGC @percent. */
static void pacer_test_set(struct goslab_gc_heap *h, int percent,
			   unsigned long marked)
{
	spin_lock(&h->lock);
	h->percent = percent;
	h->last_marked = marked;
	h->heap_live = marked;
	gs_gc_pacer_init(h);
	spin_unlock(&h->lock);
}

/*
 * A cycle that marks @marked bytes, while the heap peaks at @peak, ends:
 * the pacer sets the next goal and trigger.
 */
static void pacer_test_cycle(struct goslab_gc_heap *h, unsigned long marked,
			     unsigned long peak)
{
	spin_lock(&h->lock);
	gs_gc_pacer_cycle_start(h);
	h->cycle_peak = peak;
	atomic_long_set(&h->marked_bytes, marked);
	gs_gc_pacer_cycle_end(h);
	spin_unlock(&h->lock);
}

/*
 * The goal is live * (1 + GOGC/100), but never under the minimum heap
 * scaled by GOGC, which is never under GS_GC_MIN_WORK; a heap that has
 * not collected triggers GS_GC_TRIGGER_START thousandths of the way from
 * live to goal; GOGC off puts both out of reach.
 */
static void pacer_test_goal(struct kunit *test)
{
	unsigned long min100 = min_heap(100);
	struct goslab_gc_heap *h = test->priv;

	/* The minimum heap: gc_min_heap_kb at GOGC 100, scaled, floored. */
	KUNIT_EXPECT_LE(test, min100, (unsigned long)gc_min_heap_kb * SZ_1K);
	KUNIT_EXPECT_GT(test, min100 + 100, (unsigned long)gc_min_heap_kb * SZ_1K);
	KUNIT_EXPECT_EQ(test, min_heap(200), 2 * min100);
	KUNIT_EXPECT_EQ(test, min_heap(0), GS_GC_MIN_WORK);

	pacer_test_set(h, 100, 64000000);
	KUNIT_EXPECT_EQ(test, h->trigger_frac, GS_GC_TRIGGER_START);
	KUNIT_EXPECT_EQ(test, h->goal, 128000000);
	KUNIT_EXPECT_EQ(test, h->trigger, 64000000 + 64000 * GS_GC_TRIGGER_START);

	pacer_test_set(h, 50, 64000000);
	KUNIT_EXPECT_EQ(test, h->goal, 96000000);
	KUNIT_EXPECT_EQ(test, h->trigger, 64000000 + 32000 * GS_GC_TRIGGER_START);

	/* GOGC 0: the goal is the live heap, and so is the trigger. */
	pacer_test_set(h, 0, 64000000);
	KUNIT_EXPECT_EQ(test, h->goal, 64000000);
	KUNIT_EXPECT_EQ(test, h->trigger, 64000000);

	/* A small heap: the minimum heap is the goal. */
	pacer_test_set(h, 100, min100 / 4);
	KUNIT_EXPECT_EQ(test, h->goal, min100);
	pacer_test_set(h, 200, 0);
	KUNIT_EXPECT_EQ(test, h->goal, 2 * min100);
	pacer_test_set(h, 0, 0);
	KUNIT_EXPECT_EQ(test, h->goal, GS_GC_MIN_WORK);

	/* Off: no goal, no trigger, no cycle, however large the heap. */
	pacer_test_set(h, -1, 64000000);
	KUNIT_EXPECT_EQ(test, h->goal, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, h->trigger, ULONG_MAX);
	h->heap_live = ULONG_MAX / 2;
	KUNIT_EXPECT_FALSE(test, gs_gc_pacer_wants_cycle(h));
}

/*
 * A cycle is wanted once the heap reaches its trigger, and only while no
 * cycle marks.
 */
static void pacer_test_wants_cycle(struct kunit *test)
{
	struct goslab_gc_heap *h = test->priv;

	pacer_test_set(h, 100, 64000000);
	h->heap_live = h->trigger - 1;
	KUNIT_EXPECT_FALSE(test, gs_gc_pacer_wants_cycle(h));
	h->heap_live = h->trigger;
	KUNIT_EXPECT_TRUE(test, gs_gc_pacer_wants_cycle(h));
	h->phase = GS_GC_SWEEP;
	KUNIT_EXPECT_TRUE(test, gs_gc_pacer_wants_cycle(h));
	h->phase = GS_GC_MARK;
	KUNIT_EXPECT_FALSE(test, gs_gc_pacer_wants_cycle(h));
	h->phase = GS_GC_OFF;
}

/*
 * The trigger adapts: a cycle whose heap went past its goal moves the
 * next trigger GS_GC_TRIGGER_EARLIER thousandths earlier, down to
 * GS_GC_TRIGGER_MIN; one that peaked under GS_GC_GOAL_MET_PERCENT of the
 * goal, GS_GC_TRIGGER_LATER later, up to GS_GC_TRIGGER_MAX; one between
 * leaves it.  The goal follows what each cycle marked.
 */
static void pacer_test_trigger(struct kunit *test)
{
	const unsigned long m = 64000000, goal = 2 * m;
	struct goslab_gc_heap *h = test->priv;
	unsigned int frac, i;

	pacer_test_set(h, 100, m);
	for (frac = GS_GC_TRIGGER_START, i = 0; i < 20; i++) {
		pacer_test_cycle(h, m, goal + goal / 10);
		frac = max(frac - GS_GC_TRIGGER_EARLIER, GS_GC_TRIGGER_MIN);
		KUNIT_EXPECT_EQ(test, h->trigger_frac, frac);
	}
	KUNIT_EXPECT_EQ(test, frac, GS_GC_TRIGGER_MIN);
	KUNIT_EXPECT_EQ(test, h->goal, goal);
	KUNIT_EXPECT_EQ(test, h->trigger, m + m / 1000 * GS_GC_TRIGGER_MIN);
	/* The heap went a tenth past its goal: 1100 thousandths, near enough. */
	KUNIT_EXPECT_GE(test, h->ratio_max, 1099);
	KUNIT_EXPECT_LE(test, h->ratio_max, 1100);

	/* Just under the goal, and just at it: the trigger was right. */
	pacer_test_cycle(h, m, goal / 100 * GS_GC_GOAL_MET_PERCENT);
	pacer_test_cycle(h, m, goal);
	KUNIT_EXPECT_EQ(test, h->trigger_frac, GS_GC_TRIGGER_MIN);

	for (i = 0; i < 20; i++) {
		pacer_test_cycle(h, m, goal / 100 * GS_GC_GOAL_MET_PERCENT - 1);
		frac = min(frac + GS_GC_TRIGGER_LATER, GS_GC_TRIGGER_MAX);
		KUNIT_EXPECT_EQ(test, h->trigger_frac, frac);
	}
	KUNIT_EXPECT_EQ(test, frac, GS_GC_TRIGGER_MAX);
	KUNIT_EXPECT_EQ(test, h->trigger, m + m / 1000 * GS_GC_TRIGGER_MAX);

	/* A cycle that marked half: the next goal is half too. */
	pacer_test_cycle(h, m / 2, goal);
	KUNIT_EXPECT_EQ(test, h->last_marked, m / 2);
	KUNIT_EXPECT_EQ(test, h->heap_live, m / 2);
	KUNIT_EXPECT_EQ(test, h->goal, m);
	KUNIT_EXPECT_EQ(test, h->trigger, m / 2 + m / 2 / 1000 * GS_GC_TRIGGER_MAX);
}

/*
 * A cycle's start: the scan work expected is the last cycle's, at least
 * GS_GC_MIN_WORK, the counts and assist credits start at zero, and a
 * cycle asked for on a heap already past its goal gets a goal a
 * GS_GC_FORCED_RUNWAY_DIV'th of the minimum heap above the live heap.
 */
static void pacer_test_cycle_start(struct kunit *test)
{
	struct goslab_gc_heap *h = test->priv;
	unsigned long goal;
	long *credit;
	int cpu;

	pacer_test_set(h, 100, 64000000);
	goal = h->goal;
	h->heap_live = goal - 1;
	atomic_long_set(&h->marked_bytes, 1);
	atomic_long_set(&h->scan_work, 1);
	atomic_long_set(&h->bg_credit, 1);
	for_each_possible_cpu(cpu) {
		credit = per_cpu_ptr(h->assist_credit, cpu);
		*credit = 1;
	}
	spin_lock(&h->lock);
	gs_gc_pacer_cycle_start(h);
	spin_unlock(&h->lock);
	KUNIT_EXPECT_EQ(test, h->goal, goal);
	KUNIT_EXPECT_EQ(test, h->cycle_peak, goal - 1);
	KUNIT_EXPECT_EQ(test, h->scan_expected, GS_GC_MIN_WORK);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&h->marked_bytes), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&h->scan_work), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&h->bg_credit), 0);
	for_each_possible_cpu(cpu)
		KUNIT_EXPECT_EQ(test, *per_cpu_ptr(h->assist_credit, cpu), 0);

	/* Forced, past the goal. */
	h->last_scan = 8000000;
	h->heap_live = goal + 1;
	spin_lock(&h->lock);
	gs_gc_pacer_cycle_start(h);
	spin_unlock(&h->lock);
	KUNIT_EXPECT_EQ(test, h->goal,
			goal + 1 + min_heap(100) / GS_GC_FORCED_RUNWAY_DIV);
	KUNIT_EXPECT_EQ(test, h->scan_expected, 8000000);

	/* Off: a cycle asked for by hand has no goal to pace against. */
	pacer_test_set(h, -1, 64000000);
	spin_lock(&h->lock);
	gs_gc_pacer_cycle_start(h);
	spin_unlock(&h->lock);
	KUNIT_EXPECT_EQ(test, h->goal, ULONG_MAX);
}

/* Marking: the heap's expected scan work, done and runway, in bytes. */
static long pacer_test_debt(struct goslab_gc_heap *h, unsigned long expected,
			    unsigned long done, unsigned long goal,
			    unsigned long live, size_t size)
{
	h->scan_expected = expected;
	atomic_long_set(&h->scan_work, done);
	h->goal = goal;
	h->heap_live = live;
	return gs_gc_assist_debt(h, size);
}

/*
 * The assist debt of an allocation while marking is its size times the
 * scan work left over the runway left to the goal; once a cycle scanned
 * more than expected, the work is the whole heap's and the goal the hard
 * goal (a GS_GC_HARD_GOAL_DIV'th more); the runway is GS_GC_MIN_WORK at
 * least; with GOGC off nothing is owed.
 */
static void pacer_test_assist(struct kunit *test)
{
	struct goslab_gc_heap *h = test->priv;

	/* 8 MB to scan over 16 MB to the goal: half a byte a byte. */
	KUNIT_EXPECT_EQ(test, pacer_test_debt(h, 8000000, 0, 32000000,
					      16000000, 4096), 2048);
	/* Half of it scanned: a quarter. */
	KUNIT_EXPECT_EQ(test, pacer_test_debt(h, 8000000, 4000000, 32000000,
					      16000000, 4096), 1024);
	/*
	 * All the expected work done, still marking: 12 MB of heap less
	 * the 8 MB done over 44 MB (the hard goal of 40) less the 12 MB
	 * live: an eighth.
	 */
	KUNIT_EXPECT_EQ(test, pacer_test_debt(h, 8000000, 8000000, 40000000,
					      12000000, 8192), 1024);
	/* At the goal: the runway is GS_GC_MIN_WORK. */
	KUNIT_EXPECT_EQ(test, pacer_test_debt(h, GS_GC_MIN_WORK * 4, 0,
					      40000000, 40000000, 1024), 4096);
	/* Past it too. */
	KUNIT_EXPECT_EQ(test, pacer_test_debt(h, GS_GC_MIN_WORK * 4, 0,
					      40000000, 50000000, 1024), 4096);
	/* No goal, no debt. */
	KUNIT_EXPECT_EQ(test, pacer_test_debt(h, 8000000, 0, ULONG_MAX,
					      16000000, 4096), 0);
}

static struct kunit_case pacer_test_cases[] = {
	KUNIT_CASE(pacer_test_goal),
	KUNIT_CASE(pacer_test_wants_cycle),
	KUNIT_CASE(pacer_test_trigger),
	KUNIT_CASE(pacer_test_cycle_start),
	KUNIT_CASE(pacer_test_assist),
	{}
};

static struct kunit_suite pacer_test_suite = {
	.name = "goslab_gc_pacer_internal",
	.init = pacer_test_init,
	.exit = pacer_test_exit,
	.test_cases = pacer_test_cases,
};

kunit_test_suites(&pacer_test_suite);

#endif /* _GOSLAB_MGCPACER_KUNIT_H */
