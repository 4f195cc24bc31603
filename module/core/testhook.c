// SPDX-License-Identifier: GPL-2.0
/*
 * Test hooks: a KUnit case holds a task it made at one point of a race,
 * does the other side, and lets the task go, so that the race goes the
 * same way every run.  Built only into goslab.ko's test build (make
 * GOSLAB_TEST=y, module/Kbuild), never into the one users load.
 *
 * One parameter, goslab.test_hold, arms them: "POINT PID" holds the task
 * PID when it reaches POINT; while it is held the parameter reads
 * "POINT PID held"; a valid write lets it go, and "0" disarms.  A hold
 * that nobody ends within 10 s ends by itself and the parameter reads
 * "POINT PID expired": the race did not happen as the case meant.  No
 * other task ever waits at a hook, and the named task is held only where
 * it may sleep.
 */
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/wait.h>

#include "internal.h"

static const char *const gs_test_hook_names[GS_NR_HOLDS] = {
	[GS_HOLD_DEBUG_FREE]	= "debug_free",
	[GS_HOLD_GC_CHECK]	= "gc_check",
	[GS_HOLD_GC_RESCHED]	= "gc_resched",
};

/* What test_hold says, under gs_test_hold_lock; the pid is read racily too. */
int gs_test_hold_pid;
static enum gs_test_hook gs_test_hold_point;
static bool gs_test_held, gs_test_expired;
static DEFINE_SPINLOCK(gs_test_hold_lock);
static DECLARE_WAIT_QUEUE_HEAD(gs_test_hold_wq);
/* Bumped by every write: a held task waits for the next one. */
static unsigned int gs_test_hold_gen;

static int test_hold_set(const char *val, const struct kernel_param *kp)
{
	int pid = 0, point = 0;
	char name[16];

	if (!sysfs_streq(val, "0")) {
		if (sscanf(val, "%15s %d", name, &pid) != 2 || pid <= 0)
			return -EINVAL;
		point = match_string(gs_test_hook_names, GS_NR_HOLDS, name);
		if (point < 0)
			return -EINVAL;
	}
	spin_lock_irq(&gs_test_hold_lock);
	gs_test_hold_point = point;
	WRITE_ONCE(gs_test_hold_pid, pid);
	gs_test_held = false;
	gs_test_expired = false;
	WRITE_ONCE(gs_test_hold_gen, gs_test_hold_gen + 1);
	spin_unlock_irq(&gs_test_hold_lock);
	wake_up_all(&gs_test_hold_wq);
	return 0;
}

static int test_hold_get(char *buf, const struct kernel_param *kp)
{
	int ret;

	spin_lock_irq(&gs_test_hold_lock);
	if (gs_test_hold_pid)
		ret = sysfs_emit(buf, "%s %d%s\n",
				 gs_test_hook_names[gs_test_hold_point],
				 gs_test_hold_pid, gs_test_expired ? " expired" :
				 gs_test_held ? " held" : "");
	else
		ret = sysfs_emit(buf, "0\n");
	spin_unlock_irq(&gs_test_hold_lock);
	return ret;
}

static const struct kernel_param_ops test_hold_ops = {
	.set = test_hold_set,
	.get = test_hold_get,
};
module_param_cb(test_hold, &test_hold_ops, NULL, 0600);
MODULE_PARM_DESC(test_hold, "Testing only: \"POINT PID\" holds that task at that point");

/**
 * gs_test_hold_wait() - hold the current task if test_hold names it here
 * @hook: the point
 *
 * Context: the task a test named, where it may sleep.
 */
void gs_test_hold_wait(enum gs_test_hook hook)
{
	unsigned long flags;
	unsigned int gen;
	bool hold;

	/* An interrupt in the named task is not the task. */
	if (READ_ONCE(gs_test_hold_pid) != task_pid_nr(current) || !in_task())
		return;
	/* Nor is it held where it may not sleep: the case asked wrongly. */
	if (IS_ENABLED(CONFIG_PREEMPT_COUNT) &&
	    WARN_ONCE(!preemptible() || rcu_preempt_depth(),
		      "goslab: test_hold: task %d may not sleep here\n",
		      task_pid_nr(current)))
		return;
	spin_lock_irqsave(&gs_test_hold_lock, flags);
	hold = gs_test_hold_pid == task_pid_nr(current) &&
	       gs_test_hold_point == hook && !gs_test_held;
	if (hold)
		gs_test_held = true;
	gen = gs_test_hold_gen;
	spin_unlock_irqrestore(&gs_test_hold_lock, flags);
	if (!hold || wait_event_timeout(gs_test_hold_wq,
					READ_ONCE(gs_test_hold_gen) != gen, 10 * HZ))
		return;
	spin_lock_irqsave(&gs_test_hold_lock, flags);
	if (gs_test_hold_gen == gen)
		gs_test_expired = true;
	spin_unlock_irqrestore(&gs_test_hold_lock, flags);
	pr_warn("goslab: test_hold: %s: task %d let go after 10 s\n",
		gs_test_hook_names[hook], task_pid_nr(current));
}
