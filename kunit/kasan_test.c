// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: KASAN sees on goslab memory what it sees on
 * kmalloc's.  Each case makes a bad access and expects a KASAN report:
 * past the end of a small, a large and a huge object, past a tiny object
 * and into a freed tiny object while its block is still in use, and
 * after the free of a large one.  One case expects the other report an
 * allocation can draw on purpose: DEBUG_ATOMIC_SLEEP's, for an allocation
 * that may sleep made in atomic context.
 *
 * A KASAN report taints the kernel, which turns lockdep off for the rest
 * of the boot, so the suite runs only in a boot of its own, which loads
 * goslab_kunit.ko expect_reports=1 (scripts/check.sh); elsewhere it skips.
 * Around each expected report the case prints a "goslab-expect:" line,
 * which tells scripts/analyze-guest.py that exactly one report of that
 * kind belongs there: any other report still fails the run.
 */
#include <linux/delay.h>
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

/* The first line of the report a window expects, and whether it came. */
static const char *report_header;
static bool report_seen;
static bool kasan_multishot;

/* Every console line passes here while the suite runs. */
static void kasan_probe_console(void *ignore, const char *buf, size_t len)
{
	const char *header = READ_ONCE(report_header);

	if (header && strnstr(buf, header, len))
		WRITE_ONCE(report_seen, true);
}

/*
 * Announce the one report of @kind (a name scripts/analyze-guest.py knows)
 * that the caller's next step must draw: its first line holds @header,
 * and the report holds each of @texts (NULL-terminated) too.
 */
static void report_expect(const char *kind, const char *what,
			  const char *header, const char *const *texts)
{
	WRITE_ONCE(report_seen, false);
	pr_info("goslab-expect: %s report: %s\n", kind, what);
	pr_info("goslab-expect: with \"%s\"\n", header);
	for (; *texts; texts++)
		pr_info("goslab-expect: with \"%s\"\n", *texts);
	/* Only now: the lines above hold @header too. */
	WRITE_ONCE(report_header, header);
	barrier();
}

/*
 * Close the window: whether the report's first line came, as a bool, for
 * any context, unlike a KUnit expectation, which allocates when it fails.
 */
static bool report_end(void)
{
	barrier();
	pr_info("goslab-expect: end\n");
	WRITE_ONCE(report_header, NULL);
	return READ_ONCE(report_seen);
}

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

/*
 * A one-byte access at @p + @off (a write if @write), which must draw a
 * KASAN report of @type ("slab-out-of-bounds", ...) for that very access:
 * its direction, the address's offset in its page, and this task.  The
 * bug types are named as since 6.3; the suite runs on the 6.12 test
 * kernels only.
 */
static void expect_kasan(struct kunit *test, const char *type,
			 const char *what, u8 *p, size_t off, bool write)
{
	char header[48], access[32], where[64];
	const char *const texts[] = { access, where, NULL };

	snprintf(header, sizeof(header), "BUG: KASAN: %s in ", type);
	snprintf(access, sizeof(access), "%s of size 1 at addr ",
		 write ? "Write" : "Read");
	snprintf(where, sizeof(where), "%03lx by task %s/%d",
		 offset_in_page(p + off), current->comm, current->pid);
	report_expect("KASAN", what, header, texts);
	if (write)
		poke(p, off);
	else
		peek(p, off);
	KUNIT_EXPECT_TRUE_MSG(test, report_end(),
			      "no KASAN report of %s for %s", type, what);
}

static void goslab_test_kasan_small_oob(struct kunit *test)
{
	u8 *p = goslab_alloc(100, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_kasan(test, "slab-out-of-bounds", "write past a 100-byte object",
		     p, 100, true);
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
		expect_kasan(test, "slab-out-of-bounds",
			     "write past a large object", p, sizes[i], true);
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
	expect_kasan(test, "slab-use-after-free", "read of a freed large object",
		     p, 0, false);
}

/* Two tiny objects of @first and @second bytes, packed in that order on one CPU. */
static void tiny_two(struct kunit *test, size_t first, size_t second,
		     u8 **a, u8 **b)
{
	gs_cpu_pin();
	*a = goslab_alloc(first, GFP_ATOMIC);
	*b = goslab_alloc(second, GFP_ATOMIC);
	gs_cpu_unpin();
	KUNIT_ASSERT_NOT_NULL(test, *a);
	KUNIT_ASSERT_NOT_NULL(test, *b);
}

/*
 * p starts a fresh block: the 15-byte object before it leaves its block
 * no room.  KASAN names the bug by the granule after p's last, here room
 * not yet packed; after an object packed further on, it would name that.
 */
static void goslab_test_kasan_tiny_oob(struct kunit *test)
{
	u8 *p, *q;

	tiny_two(test, 15, 5, &q, &p);
	KUNIT_ASSERT_EQ(test, (unsigned long)p % GS_TINY_BLOCK, 0);
	expect_kasan(test, "slab-out-of-bounds", "read past a 5-byte object",
		     p, 5, false);
	goslab_free(p);
	goslab_free(q);
}

/* The block stays this CPU's, in use by its neighbour, yet p is caught. */
static void goslab_test_kasan_tiny_uaf(struct kunit *test)
{
	u8 *p, *q;

	tiny_two(test, 5, 4, &p, &q);
	goslab_free(p);
	expect_kasan(test, "slab-use-after-free",
		     "read of a freed 5-byte object", p, 0, false);
	goslab_free(q);
}

/*
 * An allocation that may sleep, made in atomic context, is reported as
 * kmalloc()'s is, even when the CPU's list serves it and nothing sleeps
 * (might_alloc()).  The report must be goslab's own: its first line names
 * goslab's module/core/internal.h (gs_might_alloc()), where slab's or the page
 * allocator's, should goslab reach them, name include/linux/sched/mm.h.
 * The object freed just before, from the same context, makes it likely
 * that the CPU's list serves the allocation.  DEBUG_ATOMIC_SLEEP reports
 * at most once a second: the sizes are a second and more apart.  Its
 * reports are the only ones that set TAINT_WARN here, which the harness
 * then allows: so no warning may have come before.
 */
static void goslab_test_kasan_might_alloc(struct kunit *test)
{
	static const size_t sizes[] = { 5, 64, 1000 };
	unsigned int i;
	char what[64], who[48];
	const char *const texts[] = { who, NULL };
	void *p, *q;
	bool seen;

	if (!IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP))
		kunit_skip(test, "needs CONFIG_DEBUG_ATOMIC_SLEEP");
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: goslab may not be called with preemption off");
	KUNIT_EXPECT_FALSE_MSG(test, test_taint(TAINT_WARN),
			       "a warning came before this case's reports");
	snprintf(who, sizeof(who), "pid: %d, name: %s", current->pid,
		 current->comm);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (i)
			msleep(1100);
		snprintf(what, sizeof(what),
			 "GFP_KERNEL allocation of %zu bytes, preemption off", sizes[i]);
		preempt_disable();
		q = goslab_alloc(sizes[i], GFP_ATOMIC);
		goslab_free(q);
		report_expect("sleep-in-atomic", what, "module/core/internal.h:",
			      texts);
		p = goslab_alloc(sizes[i], GFP_KERNEL);
		seen = report_end();
		preempt_enable();
		KUNIT_EXPECT_TRUE_MSG(test, seen, "no sleep-in-atomic report of goslab's for %s",
				      what);
		KUNIT_EXPECT_NOT_NULL(test, q);
		KUNIT_EXPECT_NOT_NULL(test, p);
		goslab_free(p);
	}
}

static struct kunit_case goslab_kasan_cases[] = {
	KUNIT_CASE(goslab_test_kasan_small_oob),
	KUNIT_CASE(goslab_test_kasan_large_oob),
	KUNIT_CASE(goslab_test_kasan_large_uaf),
	KUNIT_CASE(goslab_test_kasan_tiny_oob),
	KUNIT_CASE(goslab_test_kasan_tiny_uaf),
	KUNIT_CASE_SLOW(goslab_test_kasan_might_alloc),
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
