// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: KASAN sees on goslab memory what it sees on
 * kmalloc's.  Each case makes a bad access and expects a KASAN report:
 * past the end of a small, a large and a huge object, past a tiny object
 * and into a freed tiny object while its block is still in use, and
 * after the free of a large one.
 *
 * A KASAN report taints the kernel, which turns lockdep off for the rest
 * of the boot, so the suite runs only in a boot of its own, which loads
 * goslab_kunit.ko expect_reports=1 (scripts/check.sh); elsewhere it skips.
 * Around each expected report the case prints a "goslab-expect:" line,
 * which tells scripts/analyze-guest.py that exactly one KASAN report
 * belongs there: any other report still fails the run.
 */
#include <linux/kasan.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <trace/events/printk.h>

#include "goslab_test.h"

static bool expect_reports;
module_param(expect_reports, bool, 0444);
MODULE_PARM_DESC(expect_reports,
		 "Run the goslab_kasan suite, whose cases provoke KASAN reports");

#if defined(CONFIG_KASAN_GENERIC) && IS_ENABLED(CONFIG_KASAN_KUNIT_TEST)

static bool kasan_report_seen;
static bool kasan_multishot;

/* Every console line passes here while the suite runs. */
static void kasan_probe_console(void *ignore, const char *buf, size_t len)
{
	if (strnstr(buf, "BUG: KASAN: ", len))
		WRITE_ONCE(kasan_report_seen, true);
}

/*
 * Make the access @expr, which must draw one KASAN report, between the
 * two lines the harness looks for.
 */
#define GS_EXPECT_KASAN_REPORT(test, what, expr) do {			\
	const char *__what = (what);					\
									\
	WRITE_ONCE(kasan_report_seen, false);				\
	pr_info("goslab-expect: KASAN report: %s\n", __what);		\
	barrier();							\
	expr;								\
	barrier();							\
	pr_info("goslab-expect: end\n");				\
	KUNIT_EXPECT_TRUE_MSG(test, READ_ONCE(kasan_report_seen),	\
			      "no KASAN report for %s", __what);	\
} while (0)

static int goslab_kasan_suite_init(struct kunit_suite *suite)
{
	gs_suite_init(suite);
	if (!expect_reports)
		return 0;
	/* Reports in this suite are expected; KUnit must not fail on them. */
	kasan_kunit_test_suite_start();
	kasan_multishot = kasan_save_enable_multi_shot();
	return register_trace_console(kasan_probe_console, NULL);
}

static void goslab_kasan_suite_exit(struct kunit_suite *suite)
{
	gs_suite_exit(suite);
	if (!expect_reports)
		return;
	unregister_trace_console(kasan_probe_console, NULL);
	tracepoint_synchronize_unregister();
	kasan_restore_multi_shot(kasan_multishot);
	kasan_kunit_test_suite_end();
}

static int goslab_kasan_init(struct kunit *test)
{
	if (!expect_reports)
		kunit_skip(test, "in a boot of its own (goslab_kunit.ko expect_reports=1): %s",
			   "its reports turn lockdep off");
	return 0;
}

/* Read or write one byte where the compiler cannot see it coming. */
static void poke(u8 *p, size_t off)
{
	OPTIMIZER_HIDE_VAR(p);
	WRITE_ONCE(p[off], 0x5a);
}

static u8 peek(u8 *p, size_t off)
{
	OPTIMIZER_HIDE_VAR(p);
	return READ_ONCE(p[off]);
}

static void goslab_test_kasan_small_oob(struct kunit *test)
{
	u8 *p = goslab_alloc(100, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	GS_EXPECT_KASAN_REPORT(test, "write past a 100-byte object", poke(p, 100));
	goslab_free(p);
}

static void goslab_test_kasan_large_oob(struct kunit *test)
{
	static const size_t sizes[] = { 40000, 65537, (5 << 20) + 1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u8 *p = goslab_alloc(sizes[i], GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		/* Huge (vmapped) objects: KASAN checks vmalloc memory only so. */
		if (is_vmalloc_addr(p) && !IS_ENABLED(CONFIG_KASAN_VMALLOC)) {
			goslab_free(p);
			continue;
		}
		GS_EXPECT_KASAN_REPORT(test, "write past a large object",
				       poke(p, sizes[i]));
		/* As ksize(): the usable size is open to the caller. */
		KUNIT_EXPECT_EQ(test, goslab_usable_size(p),
				round_up(sizes[i], GS_HEAP_PAGE));
		poke(p, sizes[i]);
		goslab_free(p);
	}
}

static void goslab_test_kasan_large_uaf(struct kunit *test)
{
	u8 *p = goslab_alloc(40000, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	goslab_free(p);
	GS_EXPECT_KASAN_REPORT(test, "read of a freed large object", peek(p, 0));
}

static void goslab_test_kasan_tiny_oob(struct kunit *test)
{
	u8 *p = goslab_alloc(5, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	GS_EXPECT_KASAN_REPORT(test, "read past a 5-byte object", peek(p, 5));
	goslab_free(p);
}

/* The block stays this CPU's, in use by its neighbour, yet p is caught. */
static void goslab_test_kasan_tiny_uaf(struct kunit *test)
{
	u8 *p, *q;

	gs_cpu_pin();
	p = goslab_alloc(5, GFP_ATOMIC);
	q = goslab_alloc(4, GFP_ATOMIC);
	gs_cpu_unpin();
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	goslab_free(p);
	GS_EXPECT_KASAN_REPORT(test, "read of a freed 5-byte object", peek(p, 0));
	goslab_free(q);
}

static struct kunit_case goslab_kasan_cases[] = {
	KUNIT_CASE(goslab_test_kasan_small_oob),
	KUNIT_CASE(goslab_test_kasan_large_oob),
	KUNIT_CASE(goslab_test_kasan_large_uaf),
	KUNIT_CASE(goslab_test_kasan_tiny_oob),
	KUNIT_CASE(goslab_test_kasan_tiny_uaf),
	{}
};

static struct kunit_suite goslab_kasan_suite = {
	.name = "goslab_kasan",
	.suite_init = goslab_kasan_suite_init,
	.suite_exit = goslab_kasan_suite_exit,
	.init = goslab_kasan_init,
	.test_cases = goslab_kasan_cases,
};

kunit_test_suite(goslab_kasan_suite);

#endif /* CONFIG_KASAN_GENERIC && CONFIG_KASAN_KUNIT_TEST */
