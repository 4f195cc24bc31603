// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: kmemleak sees goslab's objects.
 *
 * As for kmalloc(), a goslab object nobody points to is reported as a
 * leak, and memory that only a goslab object points to is not: kmemleak
 * knows each object goslab hands out and scans it.  The objects are made
 * by a thread that exits before the scans, so that no stale copy of a
 * pointer on a live stack hides a leak; kmemleak reports an object once
 * it is five seconds old and unchanged across two scans.  kmemleak's
 * debugfs file takes no reads or writes from the kernel: a shell does
 * them, as a user would, the report going through a file.  The thread
 * scrubs the stack below it before it exits, so that no stale copy there
 * (kmemleak scans stacks, cached ones included) points at a leak.  An
 * attempt's objects live until the case ends: freed, their addresses would
 * come back to the next attempt, and the free left a copy of each on this
 * case's stack, which kmemleak scans whole, dead part included; the case
 * scrubs its stack after the frees, for the next boot pass's sake.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/umh.h>
#include <linux/vmalloc.h>

#include "goslab_test.h"

#define KMEMLEAK_FILE	"/sys/kernel/debug/kmemleak"
#define KMEMLEAK_COPY	"/tmp/goslab-kmemleak"
#define KMEMLEAK_REPORT	SZ_1M
/* kmemleak's MSECS_MIN_AGE, and some. */
#define KMEMLEAK_AGE_MS	6000

/* What the thread left: pointers are kept inverted, so none is seen. */
struct kml_objs {
	unsigned long leaked;	/* a goslab object nobody points to */
	unsigned long huge;	/* a huge (vmap()ed) one, likewise */
	unsigned long control;	/* a kmalloc() object nobody points to */
	unsigned long held;	/* kmalloc(), pointed to by kml_holder only */
	unsigned long holder;	/* kml_holder, as this attempt set it */
	struct completion done;
	/* What kmemleak reported, once the attempt has run. */
	bool control_seen, leaked_seen, huge_seen, held_seen, holder_seen;
};

#define KML_ATTEMPTS	3

/* The case's attempts, freed when it ends however it ends. */
struct kml_case {
	struct kml_objs objs[KML_ATTEMPTS];
	int n;			/* attempts begun */
	char *report;
};

/* Module data, which kmemleak scans: a goslab object, holding a pointer. */
static void **kml_holder;

/*
 * Overwrite the dead stack below the caller, where spilled pointers stay:
 * @depth frames of a little over 512 bytes each.
 */
static noinline void kml_scrub(unsigned int depth)
{
	u8 junk[512];

	memzero_explicit(junk, sizeof(junk));
	if (depth)
		kml_scrub(depth - 1);
	barrier_data(junk);
}

static int kml_thread(void *arg)
{
	struct kml_objs *o = arg;
	void *held;

	o->leaked = ~(unsigned long)goslab_alloc(96, GFP_KERNEL);
	o->huge = ~(unsigned long)goslab_alloc(5 << 20, GFP_KERNEL);
	o->control = ~(unsigned long)kmalloc(40, GFP_KERNEL);
	kml_holder = goslab_alloc(64, GFP_KERNEL | __GFP_ZERO);
	o->holder = ~(unsigned long)kml_holder;
	held = kmalloc(48, GFP_KERNEL);
	o->held = ~(unsigned long)held;
	if (kml_holder)
		kml_holder[1] = held;
	held = NULL;
	/* Half the stack: kmalloc() under KASAN and kmemleak runs deep. */
	kml_scrub(THREAD_SIZE / 2 / 512);
	complete(&o->done);
	return 0;
}

/* Run a shell command line, as a user would; its exit status. */
static int run_shell(const char *line)
{
	char *argv[4], *envp[2];

	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = (char *)line;
	argv[3] = NULL;
	envp[0] = "PATH=/bin:/sbin:/usr/bin:/usr/sbin";
	envp[1] = NULL;
	return call_usermodehelper(argv[0], argv, envp, UMH_WAIT_PROC);
}

static int kmemleak_cmd(const char *cmd)
{
	char line[64];

	snprintf(line, sizeof(line), "echo %s > " KMEMLEAK_FILE, cmd);
	return run_shell(line);
}

/* The report, as a user reads it. */
static int kmemleak_read(char *buf, size_t len)
{
	int ret = run_shell("mkdir -p /tmp && cat " KMEMLEAK_FILE " > " KMEMLEAK_COPY);

	return ret ?: gs_read_file(KMEMLEAK_COPY, buf, len);
}

static bool reported(const char *report, unsigned long inverted)
{
	char line[48];

	snprintf(line, sizeof(line), "unreferenced object 0x%lx ", ~inverted);
	return strstr(report, line);
}

/* What one attempt allocated, freed again. */
static void kml_release(struct kml_objs *o)
{
	void **holder = (void **)~o->holder;

	goslab_free((void *)~o->leaked);
	goslab_free((void *)~o->huge);
	kfree((void *)~o->control);
	if (holder)
		kfree(holder[1]);
	goslab_free(holder);
}

static void kml_cleanup(void *data)
{
	struct kml_case *c = data;
	int i;

	kml_holder = NULL;
	for (i = 0; i < c->n; i++)
		kml_release(&c->objs[i]);
	/* The frees left the addresses below: scrub before they come back. */
	kml_scrub(THREAD_SIZE / 2 / 512);
	kmemleak_cmd("clear");
	vfree(c->report);
}

/*
 * One attempt: a thread makes the objects and exits; after they have aged,
 * two scans, and what was reported is noted in @o.  Returns whether
 * kmemleak reported the kmalloc() control: a stale copy of its pointer
 * somewhere (a stack, a register spilled) hides even that, and then this
 * attempt has no verdict.
 */
static bool kml_attempt(struct kunit *test, struct kml_case *c)
{
	struct kml_objs *o = &c->objs[c->n];
	struct task_struct *t;
	int i;

	/* Inverted NULLs: what kml_release() skips, should the thread fail. */
	o->leaked = ~0UL;
	o->huge = ~0UL;
	o->control = ~0UL;
	o->held = ~0UL;
	o->holder = ~0UL;
	init_completion(&o->done);
	c->n++;
	KUNIT_ASSERT_EQ(test, kmemleak_cmd("clear"), 0);
	t = kthread_run(kml_thread, o, "goslab_kmemleak");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&o->done);
	/* Compared inverted: a pointer computed here could stay on the stack. */
	KUNIT_ASSERT_TRUE_MSG(test, o->leaked != ~0UL && o->huge != ~0UL &&
			      o->control != ~0UL && o->held != ~0UL &&
			      o->holder != ~0UL, "an allocation failed");

	msleep(KMEMLEAK_AGE_MS);
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_EQ(test, kmemleak_cmd("scan"), 0);
	KUNIT_ASSERT_EQ(test, kmemleak_read(c->report, KMEMLEAK_REPORT), 0);
	o->control_seen = reported(c->report, o->control);
	o->leaked_seen = reported(c->report, o->leaked);
	o->huge_seen = reported(c->report, o->huge);
	o->held_seen = reported(c->report, o->held);
	o->holder_seen = reported(c->report, o->holder);
	kunit_info(test, "attempt %d reported: control %d, leaked %d, huge %d, held %d, holder %d",
		   c->n, o->control_seen, o->leaked_seen, o->huge_seen,
		   o->held_seen, o->holder_seen);
	return o->control_seen;
}

static bool kml_as_expected(const struct kml_objs *o)
{
	return o->leaked_seen && o->huge_seen && !o->held_seen && !o->holder_seen;
}

static void goslab_test_kmemleak(struct kunit *test)
{
	struct kml_objs *judged = NULL;
	struct kml_case *c;
	int ret;

	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		kunit_skip(test, "needs CONFIG_DEBUG_KMEMLEAK");
	/* A minute of scans under TCG; debug mode's objects are no different. */
	if (gs_debug())
		kunit_skip(test, "runs without debug mode");
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->report = vmalloc(KMEMLEAK_REPORT);
	KUNIT_ASSERT_NOT_NULL(test, c->report);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kml_cleanup, c), 0);
	ret = kmemleak_read(c->report, KMEMLEAK_REPORT);
	if (ret)
		kunit_skip(test, "kmemleak is off (%d)", ret);

	/*
	 * A stale copy of a pointer hides a leak from a conservative scan
	 * now and then; a goslab bug hides it every time.  So each attempt
	 * that is not all as expected is repeated, with new objects, up to
	 * KML_ATTEMPTS, and the last one with a verdict judged.
	 */
	while (c->n < KML_ATTEMPTS) {
		if (!kml_attempt(test, c))
			continue;
		judged = &c->objs[c->n - 1];
		if (kml_as_expected(judged))
			break;
	}
	if (!judged)
		kunit_skip(test, "kmemleak did not report a kmalloc() leak either, %d times",
			   KML_ATTEMPTS);
	KUNIT_EXPECT_TRUE_MSG(test, judged->leaked_seen,
			      "a goslab object nobody points to is not reported");
	KUNIT_EXPECT_TRUE_MSG(test, judged->huge_seen,
			      "a huge goslab object nobody points to is not reported");
	KUNIT_EXPECT_FALSE_MSG(test, judged->held_seen,
			       "a kmalloc() object a goslab object points to is reported");
	KUNIT_EXPECT_FALSE_MSG(test, judged->holder_seen,
			       "a goslab object module data points to is reported");
}

static struct kunit_case goslab_kmemleak_cases[] = {
	KUNIT_CASE_SLOW(goslab_test_kmemleak),
	{}
};

static struct kunit_suite goslab_kmemleak_suite = {
	.name = "goslab_kmemleak",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_kmemleak_cases,
};

kunit_test_suite(goslab_kmemleak_suite);
