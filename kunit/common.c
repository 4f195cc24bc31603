// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by goslab's KUnit suites.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kasan.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "goslab_test.h"

/*
 * The scavenger may be releasing pages while we read; a reading where the
 * page counters add up comes within a few tries when goslab is otherwise
 * quiet, and a persistent mismatch is a bug.
 */
void gs_stats(struct kunit *test, struct goslab_stats *st)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		goslab_get_stats(st);
		if (st->pages_held == st->pages_in_use + st->pages_free)
			return;
		msleep(20);
	}
	KUNIT_FAIL(test, "pages_held %llu != pages_in_use %llu + pages_free %llu",
		   st->pages_held, st->pages_in_use, st->pages_free);
}

static int cmp_ptr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

void gs_check_heap(struct kunit *test, struct goslab_cache *c, size_t size,
		   unsigned int n)
{
	void **objs = kunit_kmalloc_array(test, n, sizeof(*objs), GFP_KERNEL);
	unsigned int i, dup = 0, bad = 0;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = c ? goslab_cache_alloc(c, GFP_KERNEL) : goslab_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		gs_stamp(objs[i], size, 8);
	}
	for (i = 0; i < n; i++)
		bad += !gs_stamp_ok(objs[i], size, 8);
	sort(objs, n, sizeof(*objs), cmp_ptr, NULL);
	for (i = 1; i < n; i++)
		dup += objs[i] == objs[i - 1];
	KUNIT_EXPECT_EQ_MSG(test, dup, 0, "size %zu: object handed out twice", size);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "size %zu: objects overlap", size);
	for (i = 0; i < n; i++)
		goslab_free(objs[i]);
	kunit_kfree(test, objs);
}

struct gs_tp_find {
	const char *name;
	struct tracepoint *tp;
};

static void gs_tp_match(struct tracepoint *tp, void *priv)
{
	struct gs_tp_find *f = priv;

	if (!strcmp(tp->name, f->name))
		f->tp = tp;
}

struct tracepoint *gs_tracepoint(const char *name)
{
	struct gs_tp_find f = { .name = name };

	for_each_kernel_tracepoint(gs_tp_match, &f);
	return f.tp;
}

int gs_read_file(const char *path, char *buf, size_t len)
{
	struct file *f;
	loff_t pos = 0;
	size_t got = 0;
	ssize_t n;

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	/* A seq_file may give its records a read at a time. */
	while ((n = kernel_read(f, buf + got, len - 1 - got, &pos)) > 0)
		got += n;
	filp_close(f, NULL);
	if (n < 0)
		return n;
	buf[got] = '\0';
	strim(buf);
	return 0;
}

int gs_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = filp_open(path, O_WRONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, s, len, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	return n == len ? 0 : -EIO;
}

#define GS_PARAM_DIR "/sys/module/goslab/parameters/"

int gs_param_get(const char *name, unsigned int *val)
{
	char path[96], buf[32];
	int ret;

	snprintf(path, sizeof(path), GS_PARAM_DIR "%s", name);
	ret = gs_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	return kstrtouint(buf, 10, val);
}

int gs_param_set(const char *name, unsigned int val)
{
	char path[96], buf[16];

	snprintf(path, sizeof(path), GS_PARAM_DIR "%s", name);
	snprintf(buf, sizeof(buf), "%u", val);
	return gs_write_file(path, buf);
}

struct gs_param_saved {
	const char *name;
	unsigned int val;
};

static void gs_param_restore(void *data)
{
	struct gs_param_saved *saved = data;

	if (gs_param_set(saved->name, saved->val))
		pr_err("goslab_kunit: cannot restore goslab.%s=%u\n",
		       saved->name, saved->val);
}

void gs_param_override(struct kunit *test, const char *name,
		       unsigned int val)
{
	struct gs_param_saved *saved;
	int ret;

	saved = kunit_kzalloc(test, sizeof(*saved), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, saved);
	saved->name = name;
	KUNIT_ASSERT_EQ_MSG(test, gs_param_get(name, &saved->val), 0,
			    "cannot read goslab.%s", name);
	KUNIT_ASSERT_EQ_MSG(test, gs_param_set(name, val), 0,
			    "cannot write goslab.%s", name);
	ret = kunit_add_action_or_reset(test, gs_param_restore, saved);
	KUNIT_ASSERT_EQ(test, ret, 0);
}

#define GS_TEST_HOLD GS_PARAM_DIR "test_hold"

/*
 * The helpers below never abort the case: between making its task and
 * waiting for it, a case must go on, or the task would outlive the stack
 * it uses.  They report with KUNIT_EXPECT and return what happened.
 */

/**
 * gs_test_hold_need() - skip the case on a kernel without goslab's test hooks
 * @test: the case, before it makes its task
 */
void gs_test_hold_need(struct kunit *test)
{
	char buf[48];

	if (gs_read_file(GS_TEST_HOLD, buf, sizeof(buf)))
		kunit_skip(test, "needs goslab.test_hold (goslab.ko's test build)");
}

static void gs_test_hold_disarm(void *unused)
{
	if (gs_write_file(GS_TEST_HOLD, "0"))
		pr_err("goslab_kunit: cannot disarm goslab.test_hold\n");
}

/**
 * gs_test_hold_arm() - have goslab hold a task at one of its test hooks
 * @test: the case, which checked gs_test_hold_need()
 * @point: the hook's name (module/core/testhook.c)
 * @t: the task, made by the case and not yet woken
 *
 * The hook is disarmed when the case ends, whatever happened.
 *
 * Return: @t's pid, for gs_test_held(), or 0 if the hook is not armed.
 */
int gs_test_hold_arm(struct kunit *test, const char *point,
		     struct task_struct *t)
{
	char line[48];
	int ret;

	snprintf(line, sizeof(line), "%s %d", point, task_pid_nr(t));
	ret = kunit_add_action_or_reset(test, gs_test_hold_disarm, NULL);
	if (!ret)
		ret = gs_write_file(GS_TEST_HOLD, line);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "cannot arm goslab.test_hold");
	return ret ? 0 : task_pid_nr(t);
}

/**
 * gs_test_held() - wait, 10 s at most, until the task is held
 * @test: the case
 * @point: as for gs_test_hold_arm()
 * @pid: what gs_test_hold_arm() returned
 *
 * Return: whether it is; a failed expectation if not.
 */
bool gs_test_held(struct kunit *test, const char *point, int pid)
{
	char want[48], buf[48] = "";
	unsigned int i;

	snprintf(want, sizeof(want), "%s %d held", point, pid);
	for (i = 0; pid && i < 5000; i++) {
		if (gs_read_file(GS_TEST_HOLD, buf, sizeof(buf)))
			break;
		if (!strcmp(buf, want))
			return true;
		usleep_range(1000, 2000);
	}
	KUNIT_FAIL(test, "goslab.test_hold never held %s %d: reads \"%s\"",
		   point, pid, buf);
	return false;
}

/**
 * gs_test_hold_release() - let the held task go, and disarm the hook
 * @test: the case; fails if the hold had ended by itself meanwhile, when
 *	the other side of the race took too long to count as having raced
 */
void gs_test_hold_release(struct kunit *test)
{
	char buf[48] = "";

	gs_read_file(GS_TEST_HOLD, buf, sizeof(buf));
	KUNIT_EXPECT_FALSE_MSG(test, strstr(buf, "expired"),
			       "goslab.test_hold let the task go by itself: %s", buf);
	KUNIT_EXPECT_EQ(test, gs_write_file(GS_TEST_HOLD, "0"), 0);
}

#ifdef CONFIG_KASAN_GENERIC
/* Reads the shadow byte itself, which KASAN would otherwise check too. */
__no_sanitize_address noinline s8 gs_shadow(const void *p)
{
	return *(s8 *)kasan_mem_to_shadow(p);
}
#endif

MODULE_DESCRIPTION("KUnit tests for goslab, the Go runtime's allocator");
MODULE_LICENSE("GPL");

/*
 * Objects a suite leaves live: goslab's unload releases them, and must
 * release only those that tests leave on purpose (scripts/analyze-guest.py
 * holds each pass's unload line to the sum of the declarations).  And
 * misuse goslab reports: only suites that provoke it on purpose may cause
 * any, since its log lines are rate-limited and cannot be counted.
 */
static u64 gs_suite_live, gs_suite_on_purpose, gs_suite_findings;
static bool gs_suite_reports;

u64 gs_findings(const struct goslab_stats *st)
{
	return st->debug_double_free + st->debug_invalid_free + st->debug_poison_corrupt;
}

void gs_leak_on_purpose(struct kunit *test, unsigned int n)
{
	gs_suite_on_purpose += n;
	pr_info("goslab-kunit: %s: %u objects left live on purpose\n", test->name, n);
}

void gs_expect_reports(struct kunit *test)
{
	gs_suite_reports = true;
}

int gs_suite_init(struct kunit_suite *suite)
{
	struct goslab_stats st;

	goslab_trim();
	goslab_get_stats(&st);
	gs_suite_live = st.objects_in_use;
	gs_suite_findings = gs_findings(&st);
	gs_suite_on_purpose = 0;
	gs_suite_reports = false;
	return 0;
}

void gs_suite_exit(struct kunit_suite *suite)
{
	struct goslab_stats st;
	s64 left;

	goslab_trim();
	goslab_get_stats(&st);
	left = st.objects_in_use - gs_suite_live;
	if (left != gs_suite_on_purpose)
		pr_err("goslab-kunit: LEAK: suite %s left %lld objects live, %llu on purpose\n",
		       suite->name, left, gs_suite_on_purpose);
	if (gs_findings(&st) != gs_suite_findings && !gs_suite_reports)
		pr_err("goslab-kunit: MISUSE: suite %s made goslab report %llu misuses, none expected\n",
		       suite->name, gs_findings(&st) - gs_suite_findings);
}
