// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: giving memory back to the kernel after a burst, by
 * goslab_trim(), by the shrinker (drop_caches) and by the scavenger; the
 * shrinker saying SHRINK_STOP when it has nothing to give; and a CPU going
 * offline handing its cache back.
 */
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/workqueue.h>
#include <linux/mm.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "goslab_test.h"

/* 32 MiB: half in small objects of three classes, half in large ones. */
static const struct {
	size_t size;
	unsigned int count;
} burst_mix[] = {
	{ 256, 16384 },
	{ 4096, 1024 },
	{ GS_SMALL_MAX, 256 },
	{ 512 << 10, 32 },
};

#define BURST_PAGES	((32UL << 20) / PAGE_SIZE)
#define KB_PAGES(kb)	((kb) / (PAGE_SIZE / 1024))
/* retain_kb far above the burst: the scavenger has nothing to give back. */
#define SCAV_OFF_KB	(16U << 20)

/* Allocates the burst, touching every object; returns the objects. */
static void **burst_alloc(struct kunit *test, unsigned int *n)
{
	unsigned int i, j, total = 0;
	void **objs;

	for (i = 0; i < ARRAY_SIZE(burst_mix); i++)
		total += burst_mix[i].count;
	objs = kunit_kmalloc_array(test, total, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	*n = 0;
	for (i = 0; i < ARRAY_SIZE(burst_mix); i++) {
		for (j = 0; j < burst_mix[i].count; j++) {
			void *p = goslab_alloc(burst_mix[i].size, GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, p);
			memset(p, 0x3c, 64);
			objs[(*n)++] = p;
		}
	}
	return objs;
}

static void burst_free(void **objs, unsigned int n)
{
	unsigned int i;

	/* Interleaved, so that spans empty late and out of order. */
	for (i = 0; i < n; i += 2)
		goslab_free(objs[i]);
	for (i = 1; i < n; i += 2)
		goslab_free(objs[i]);
}

/*
 * Bound after goslab_trim(): within 256 KiB of the trimmed baseline.  Trim
 * drains every per-CPU and central list and returns every free page, so
 * the only slack is for a CPU's current tiny block landing in a new span.
 */
#define TRIM_SLACK	KB_PAGES(256)

static void goslab_test_trim(struct kunit *test)
{
	struct goslab_stats base, peak, mid, st;
	unsigned long released;
	unsigned int n;
	void **objs;

	/*
	 * Keep the scavenger out, so that counts below are exact: with free
	 * memory under retain_kb it is not started and, if running, stops.
	 */
	gs_param_override(test, "retain_kb", SCAV_OFF_KB);
	goslab_trim();
	gs_stats(test, &base);
	KUNIT_EXPECT_EQ_MSG(test, base.pages_free, 0, "free pages left after trim");

	objs = burst_alloc(test, &n);
	gs_stats(test, &peak);
	KUNIT_EXPECT_GE(test, peak.pages_held - base.pages_held, BURST_PAGES);
	burst_free(objs, n);
	gs_stats(test, &mid);

	released = goslab_trim();
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.pages_free, 0);
	KUNIT_EXPECT_LE_MSG(test, st.pages_held, base.pages_held + TRIM_SLACK,
			    "bound: trimmed baseline %llu + %lu pages",
			    base.pages_held, TRIM_SLACK);
	KUNIT_EXPECT_EQ_MSG(test, released, st.pages_released - mid.pages_released,
			    "trim's return value vs pages_released");
	KUNIT_EXPECT_EQ(test, mid.pages_held - st.pages_held, released);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);
}

/*
 * Bound after drop_caches: within 1 MiB of the trimmed baseline.  The
 * shrinker does what trim does, but the core calls it in batches and may
 * stop short of the last one.
 */
#define SHRINK_SLACK	KB_PAGES(1024)
#define DRAIN_WAIT_MS	10000

/*
 * The shrinker drains the CPUs' lists in a work item it does not wait
 * for: until that has run, an object taken off a CPU's list and not yet
 * back in its span reads as in use.  Waits (bounded) until the CPU lists
 * are empty and the count of objects in use is back to @in_use, and
 * leaves the reading that ended the wait in @st.  Lists holding less than
 * a page in all are not worth a scan, so they may stay: the wait then
 * ends at the bound.  Returns how long it waited, in ms.
 */
static unsigned int wait_drained(struct kunit *test, u64 in_use,
				 struct goslab_stats *st)
{
	unsigned long start = jiffies;
	unsigned long end = start + msecs_to_jiffies(DRAIN_WAIT_MS);

	for (;;) {
		gs_stats(test, st);
		if ((!st->objects_cached && st->objects_in_use == in_use) ||
		    time_after_eq(jiffies, end))
			break;
		msleep(20);
	}
	return jiffies_to_msecs(jiffies - start);
}

static void goslab_test_shrinker(struct kunit *test)
{
	struct goslab_stats base, mid, st;
	unsigned int n, waited;
	void **objs;
	int ret;

	gs_param_override(test, "retain_kb", SCAV_OFF_KB);
	goslab_trim();
	gs_stats(test, &base);

	objs = burst_alloc(test, &n);
	burst_free(objs, n);
	gs_stats(test, &mid);
	KUNIT_EXPECT_GE(test, mid.pages_held, base.pages_held + BURST_PAGES - SHRINK_SLACK);

	/* "2": reclaim slab objects, i.e. run every shrinker. */
	ret = gs_write_file("/proc/sys/vm/drop_caches", "2");
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "writing /proc/sys/vm/drop_caches");
	waited = wait_drained(test, base.objects_in_use, &st);
	kunit_info(test, "CPU lists drained %u ms after drop_caches: %llu objects cached\n",
		   waited, st.objects_cached);
	KUNIT_EXPECT_LE_MSG(test, st.pages_held, base.pages_held + SHRINK_SLACK,
			    "bound: trimmed baseline %llu + %lu pages",
			    base.pages_held, SHRINK_SLACK);
	KUNIT_EXPECT_GE(test, st.pages_released - mid.pages_released,
			mid.pages_held - base.pages_held - SHRINK_SLACK);
	KUNIT_EXPECT_EQ_MSG(test, st.objects_in_use, base.objects_in_use,
			    "after %u ms for the drain to settle", waited);
	/* Every object 8 bytes or more: lists the shrinker would not drain. */
	KUNIT_EXPECT_LT_MSG(test, st.objects_cached, PAGE_SIZE / 8,
			    "objects left on the CPUs' lists after %u ms", waited);
}

/*
 * The scavenger leaves retain_kb of free memory in place and returns the
 * rest.  Pages on per-CPU and central lists are not free heap memory and
 * stay: SCAV_SLACK (2 MiB) covers those.
 */
#define SCAV_SLACK	KB_PAGES(2048)
#define SCAV_WAIT_MS	20000

/* Waits until pages_free is at most @free_max; returns the last reading. */
static void wait_scavenged(struct kunit *test, u64 free_max,
			   struct goslab_stats *st)
{
	unsigned long end = jiffies + msecs_to_jiffies(SCAV_WAIT_MS);

	do {
		msleep(100);
		goslab_get_stats(st);
	} while (st->pages_free > free_max && time_before(jiffies, end));
	gs_stats(test, st);
}

/* Frees a fresh large object: the scavenger starts counting idle time. */
static void kick(struct kunit *test)
{
	void *p = goslab_alloc(64 << 10, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	goslab_free(p);
}

static void goslab_test_scavenger(struct kunit *test)
{
	const unsigned int retain_kb = 16 << 10;
	struct goslab_stats base, mid, st;
	unsigned int n;
	void **objs;

	gs_param_override(test, "retain_kb", retain_kb);
	gs_param_override(test, "scavenge_delay_ms", 50);
	goslab_trim();
	gs_stats(test, &base);

	objs = burst_alloc(test, &n);
	burst_free(objs, n);
	gs_stats(test, &mid);

	/* 32 MiB freed, 16 MiB retained: about 16 MiB goes back. */
	kick(test);
	wait_scavenged(test, KB_PAGES(retain_kb), &st);
	KUNIT_EXPECT_LE_MSG(test, st.pages_free, KB_PAGES(retain_kb),
			    "bound: retain_kb %u after %u ms", retain_kb, SCAV_WAIT_MS);
	KUNIT_EXPECT_GE_MSG(test, st.pages_free, KB_PAGES(retain_kb) / 2,
			    "scavenger returned memory retain_kb should keep");
	KUNIT_EXPECT_LE_MSG(test, st.pages_held,
			    base.pages_held + KB_PAGES(retain_kb) + SCAV_SLACK,
			    "bound: baseline %llu + retain_kb + %lu pages",
			    base.pages_held, SCAV_SLACK);
	KUNIT_EXPECT_GT(test, st.pages_released, mid.pages_released);
	kunit_info(test, "pages held: %llu before the burst, %llu after freeing it, %llu after the scavenger with retain_kb %u\n",
		   base.pages_held, mid.pages_held, st.pages_held, retain_kb);

	/* Nothing retained: every free page goes back. */
	KUNIT_ASSERT_EQ(test, gs_param_set("retain_kb", 0), 0);
	kick(test);
	wait_scavenged(test, 0, &st);
	KUNIT_EXPECT_EQ_MSG(test, st.pages_free, 0,
			    "free pages left %u ms after retain_kb=0", SCAV_WAIT_MS);
	KUNIT_EXPECT_LE_MSG(test, st.pages_held, base.pages_held + SCAV_SLACK,
			    "bound: baseline %llu + %lu pages",
			    base.pages_held, SCAV_SLACK);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);
	kunit_info(test, "pages held: %llu after the scavenger with retain_kb 0\n",
		   st.pages_held);
}

#ifdef CONFIG_SHRINKER_DEBUG
/*
 * What the core's do_shrink_slab() says of goslab's shrinker on its first
 * call from the watched task: the scan budget it started with and had
 * left, and what its scans gave back.  Shrinkers are named only with
 * CONFIG_SHRINKER_DEBUG, which the test kernels have.
 */
static struct {
	struct task_struct *task;
	bool started, ended;
	unsigned long budget, freeable;
	long left;
	int freed;
} shrink_log;

static bool shrink_watched(struct shrinker *shr)
{
	return READ_ONCE(shrink_log.task) == current && shr->name &&
	       !strcmp(shr->name, "goslab");
}

static void shrink_probe_start(void *data, struct shrinker *shr,
			       struct shrink_control *sc, long nr,
			       unsigned long freeable, unsigned long long delta,
			       unsigned long total_scan, int priority)
{
	if (!shrink_watched(shr) || shrink_log.started)
		return;
	shrink_log.started = true;
	shrink_log.freeable = freeable;
	shrink_log.budget = total_scan;
}

static void shrink_probe_end(void *data, struct shrinker *shr, int nid,
			     int freed, long nr, long new_nr, long total_scan)
{
	if (!shrink_watched(shr) || !shrink_log.started || shrink_log.ended)
		return;
	shrink_log.ended = true;
	shrink_log.left = total_scan;
	shrink_log.freed = freed;
}

#define SHRINK_STOP_OBJS	8

/*
 * With no free heap page but objects on a CPU's list, a scan has nothing
 * to give back now: it drains the lists in the background and says
 * SHRINK_STOP, and the core stops calling it for this pass, with all its
 * scan budget left.  A scan that said 0 would be called again and again
 * until the budget ran out.  The shrinker's debugfs "scan" file does not
 * show what a scan returns; the core's tracepoints do.
 */
static void goslab_test_shrink_stop(struct kunit *test)
{
	struct tracepoint *start = gs_tracepoint("mm_shrink_slab_start");
	struct tracepoint *end = gs_tracepoint("mm_shrink_slab_end");
	void *objs[SHRINK_STOP_OBJS];
	struct goslab_stats base, st;
	unsigned int i, got = 0;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, start);
	KUNIT_ASSERT_NOT_NULL(test, end);
	gs_param_override(test, "retain_kb", 0);
	gs_param_override(test, "scavenge_delay_ms", 50);
	goslab_trim();
	gs_stats(test, &base);
	/* Objects on this CPU's list... */
	gs_cpu_pin();
	for (i = 0; i < SHRINK_STOP_OBJS; i++)
		objs[i] = goslab_alloc(1024, GFP_ATOMIC);
	for (i = 0; i < SHRINK_STOP_OBJS; i++) {
		got += !!objs[i];
		goslab_free(objs[i]);
	}
	gs_cpu_unpin();
	KUNIT_ASSERT_EQ(test, got, SHRINK_STOP_OBJS);
	/* ...and no free heap page: the scavenger leaves the lists alone. */
	kick(test);
	wait_scavenged(test, 0, &st);
	KUNIT_ASSERT_EQ(test, st.pages_free, 0);
	KUNIT_ASSERT_GE(test, st.objects_cached * 1024, PAGE_SIZE);

	memset(&shrink_log, 0, sizeof(shrink_log));
	KUNIT_ASSERT_EQ(test, tracepoint_probe_register(start, shrink_probe_start,
							NULL), 0);
	ret = tracepoint_probe_register(end, shrink_probe_end, NULL);
	if (!ret) {
		WRITE_ONCE(shrink_log.task, current);
		ret = gs_write_file("/proc/sys/vm/drop_caches", "2");
		WRITE_ONCE(shrink_log.task, NULL);
		tracepoint_probe_unregister(end, shrink_probe_end, NULL);
	}
	tracepoint_probe_unregister(start, shrink_probe_start, NULL);
	tracepoint_synchronize_unregister();
	KUNIT_ASSERT_EQ(test, ret, 0);

	KUNIT_ASSERT_TRUE_MSG(test, shrink_log.started && shrink_log.ended,
			      "drop_caches did not call goslab's shrinker");
	KUNIT_EXPECT_GT(test, shrink_log.freeable, 0);
	KUNIT_EXPECT_EQ(test, shrink_log.freed, 0);
	KUNIT_EXPECT_EQ_MSG(test, shrink_log.left, shrink_log.budget,
			    "the core spent its scan budget (%lu counted): no SHRINK_STOP",
			    shrink_log.freeable);
	/* The drain it asked for puts the objects back. */
	wait_drained(test, base.objects_in_use, &st);
	KUNIT_EXPECT_EQ(test, st.objects_cached, 0);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);
}
#else
static void goslab_test_shrink_stop(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_SHRINKER_DEBUG, to tell goslab's shrinker by name");
}
#endif

#define OFFLINE_CPU	1
#define OFFLINE_OBJS	200

struct offline_ctx {
	void *objs[OFFLINE_OBJS];
	void *tiny;	/* left live in the CPU's tiny block */
	int err;
};

/* On OFFLINE_CPU: fill its 64-byte list and start a tiny block. */
static long fill_cpu_cache(void *arg)
{
	struct offline_ctx *ctx = arg;
	void *other;
	int i;

	for (i = 0; i < OFFLINE_OBJS; i++) {
		ctx->objs[i] = goslab_alloc(64, GFP_KERNEL);
		if (!ctx->objs[i])
			ctx->err = -ENOMEM;
	}
	for (i = 0; i < OFFLINE_OBJS; i++)
		goslab_free(ctx->objs[i]);
	ctx->tiny = goslab_alloc(4, GFP_KERNEL);
	other = goslab_alloc(4, GFP_KERNEL);
	if (!ctx->tiny || !other)
		ctx->err = -ENOMEM;
	goslab_free(other);
	return 0;
}

static void goslab_test_cpu_offline(struct kunit *test)
{
	struct goslab_stats base, full, gone, st;
	struct offline_ctx *ctx;

	if (!cpu_online(OFFLINE_CPU))
		kunit_skip(test, "needs CPU %d online", OFFLINE_CPU);
	if (gs_debug())
		kunit_skip(test, "no tiny blocks in debug mode");
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	goslab_trim();
	gs_stats(test, &base);

	KUNIT_ASSERT_EQ(test, work_on_cpu(OFFLINE_CPU, fill_cpu_cache, ctx), 0);
	KUNIT_ASSERT_EQ(test, ctx->err, 0);
	gs_stats(test, &full);
	/* The 64-byte objects and the tiny blocks sit on CPU 1's lists. */
	KUNIT_ASSERT_GE(test, full.objects_cached, base.objects_cached + OFFLINE_OBJS);
	/* In use: the tiny block CPU 1 packs into. */
	KUNIT_EXPECT_EQ(test, full.objects_in_use, base.objects_in_use + 1);

	KUNIT_ASSERT_EQ(test, remove_cpu(OFFLINE_CPU), 0);
	gs_stats(test, &gone);
	KUNIT_EXPECT_EQ(test, add_cpu(OFFLINE_CPU), 0);

	/* The dead CPU's lists went back to the central lists and the heap. */
	KUNIT_EXPECT_LE(test, gone.objects_cached + OFFLINE_OBJS, full.objects_cached);
	KUNIT_EXPECT_LT(test, gone.pages_in_use, full.pages_in_use);
	/* Its tiny block was retired, alive only for the object still in it. */
	KUNIT_EXPECT_EQ(test, gone.objects_in_use, base.objects_in_use + 1);
	goslab_free(ctx->tiny);
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ_MSG(test, st.objects_in_use, base.objects_in_use,
			    "the retired block was not freed with its last object");
}

static struct kunit_case goslab_reclaim_cases[] = {
	KUNIT_CASE(goslab_test_trim),
	KUNIT_CASE(goslab_test_shrinker),
	KUNIT_CASE(goslab_test_shrink_stop),
	KUNIT_CASE_SLOW(goslab_test_scavenger),
	KUNIT_CASE(goslab_test_cpu_offline),
	{}
};

static struct kunit_suite goslab_reclaim_suite = {
	.name = "goslab_reclaim",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_reclaim_cases,
};

kunit_test_suite(goslab_reclaim_suite);
