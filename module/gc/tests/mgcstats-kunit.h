/* SPDX-License-Identifier: GPL-2.0 */
/*
 * White-box tests of the collector's figures (mgcstats.c), in goslab.ko's
 * test build only: mgcstats.c includes this file at its bottom under
 * GOSLAB_TEST, so the cases call its functions on figures of their own,
 * far beyond what a KUnit run lives to see: a heap years old, thousands
 * of CPUs, counters near their limits.
 */
#ifndef _GOSLAB_MGCSTATS_KUNIT_H
#define _GOSLAB_MGCSTATS_KUNIT_H

#include <kunit/test.h>

#define STATS_TEST_DAY_NS	(86400ULL * NSEC_PER_SEC)

/* Go's GC CPU fraction, rounded down, whatever the heap's age and CPUs. */
static void stats_test_cpu_percent(struct kunit *test)
{
	/* 1 ms of 10 ms on 2 CPUs. */
	KUNIT_EXPECT_EQ(test, gs_gc_cpu_percent(NSEC_PER_MSEC,
						10 * NSEC_PER_MSEC, 2), 5U);
	/* All of one CPU: 100, rounded down from just below. */
	KUNIT_EXPECT_EQ(test, gs_gc_cpu_percent(999, 1000, 1), 99U);
	KUNIT_EXPECT_EQ(test, gs_gc_cpu_percent(1000, 1000, 1), 100U);
	/*
	 * A year on 64 CPUs, 10% of them collecting: cpu_ns * 100 is past
	 * 2^64.
	 */
	KUNIT_EXPECT_EQ(test, gs_gc_cpu_percent(365 * STATS_TEST_DAY_NS / 10 * 64,
						365 * STATS_TEST_DAY_NS, 64),
			10U);
	/* 30 days on 8192 CPUs: the CPUs' time is past 2^64. */
	KUNIT_EXPECT_EQ(test, gs_gc_cpu_percent(30 * STATS_TEST_DAY_NS / 10 * 8192,
						30 * STATS_TEST_DAY_NS, 8192),
			10U);
	/* A heap created nanoseconds ago, or no time at all. */
	KUNIT_EXPECT_EQ(test, gs_gc_cpu_percent(0, 3, 2), 0U);
	KUNIT_EXPECT_EQ(test, gs_gc_cpu_percent(5, 0, 2), 0U);
	KUNIT_EXPECT_EQ(test, gs_gc_cpu_percent(5, 5, 0), 0U);
	/* Nonsense figures saturate, and do not trap. */
	KUNIT_EXPECT_EQ(test, gs_gc_cpu_percent(U64_MAX, 1, 1), UINT_MAX);
}

/* Fill @buf with a canary byte, and check it is left alone from @size on. */
#define STATS_TEST_CANARY	0x5a

/*
 * gs_gc_trace_format() into every buffer size from 1 to past the line:
 * never a byte past the buffer, always a NUL-terminated line, the length
 * it returns that of the string; a heap made the nanosecond its cycle
 * began, and every figure at its largest.
 */
static void stats_test_trace_format(struct kunit *test)
{
	struct goslab_gc_heap *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	struct gs_gc_cycle *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	char *buf = kunit_kzalloc(test, 2 * GS_GC_TRACE_LEN, GFP_KERNEL);
	size_t size, i;
	int len;

	KUNIT_ASSERT_NOT_NULL(test, h);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	h->name = "kunit";
	h->created_ns = 1000;
	*c = (struct gs_gc_cycle) {
		.n = 1, .start = 1000, .mark = 1000, .markterm = 1000,
		.end = 1000, .mode = GS_GC_CONCURRENT,
	};
	len = gs_gc_trace_format(buf, GS_GC_TRACE_LEN, h, c);
	KUNIT_EXPECT_STREQ(test, buf,
			   "goslab gc(kunit) 1 @0.000s 0%: 0.000+0.000+0.000 ms clock, 0.000+0.000/0.000/0.000+0.000 ms cpu, 0.000->0.000->0.000 MB, 0.000 MB goal, 0.000 MB globals, 0 P");
	KUNIT_EXPECT_EQ(test, len, (int)strlen(buf));

	*c = (struct gs_gc_cycle) {
		.n = U64_MAX, .start = U64_MAX, .mark = U64_MAX,
		.markterm = U64_MAX, .end = U64_MAX, .start_ns = U64_MAX,
		.assist_ns = U64_MAX, .bg_ns = U64_MAX, .term_ns = U64_MAX,
		.heap0 = ULONG_MAX, .heap1 = ULONG_MAX, .heap2 = ULONG_MAX,
		.goal = ULONG_MAX, .roots = ULONG_MAX, .cpus = UINT_MAX,
		.util = UINT_MAX, .mode = GS_GC_INCREMENTAL, .forced = true,
		.checked = true, .missed = ULONG_MAX,
	};
	h->created_ns = 0;
	for (size = 1; size < 2 * GS_GC_TRACE_LEN; size++) {
		memset(buf, STATS_TEST_CANARY, 2 * GS_GC_TRACE_LEN);
		len = gs_gc_trace_format(buf, size, h, c);
		KUNIT_ASSERT_LT(test, (size_t)len, size);
		KUNIT_ASSERT_EQ(test, strlen(buf), (size_t)len);
		for (i = size; i < 2 * GS_GC_TRACE_LEN; i++)
			KUNIT_ASSERT_EQ_MSG(test, buf[i], (char)STATS_TEST_CANARY,
					    "size %zu: byte %zu written", size, i);
	}
	kunit_info(test, "longest line: %d bytes\n", len);
}

static struct kunit_case stats_test_cases[] = {
	KUNIT_CASE(stats_test_cpu_percent),
	KUNIT_CASE(stats_test_trace_format),
	{}
};

static struct kunit_suite stats_test_suite = {
	.name = "goslab_gc_stats_internal",
	.test_cases = stats_test_cases,
};

kunit_test_suites(&stats_test_suite);

#endif /* _GOSLAB_MGCSTATS_KUNIT_H */
