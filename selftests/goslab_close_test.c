// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab's last close of a session that holds very many objects,
 * ALLOC's or GC objects: it frees them all at once and must yield the CPU
 * as it goes, which a ticker thread sharing that CPU measures.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/utsname.h>
#include <time.h>

#include "kselftest_harness.h"
#include "goslab_util.h"

/*
 * Closing a session that holds very many objects must yield the CPU: the
 * last close frees them all in one go in the kernel (gsd_release(), and
 * gsd_gc_release_all() for GC objects), calling cond_resched() as it goes;
 * without that, on a kernel that does not preempt kernel code nothing
 * else runs on that CPU until the loop ends.
 *
 * Only cond_resched() may yield here: on a PREEMPT_DYNAMIC kernel the test
 * switches to preempt=none through debugfs, where neither the return from
 * an interrupt nor might_sleep() reschedules.  With full preemption (and
 * PREEMPT_RT) a loop without cond_resched() is preempted as well, so the
 * test cannot tell the difference there and skips.
 *
 * The closing task and a SCHED_FIFO thread, the ticker, share CPU 0.  The
 * ticker sleeps 1 ms at a time and notes when it wakes.  The interrupt of
 * its timer marks the closing task for rescheduling, and its next
 * cond_resched() hands the CPU over; without one, the ticker runs only
 * when close() returns to user space.  The last fput() is task work run
 * on that return, so close() brackets the release, and the ticker's
 * notes leave a gap as long as the loop that does not yield.
 */
#define PREEMPT_MODE	"/sys/kernel/debug/sched/preempt"
#define TICKS_MAX	131072		/* two minutes of ticks at least */
#define CLOSE_MIN_MS	1000		/* a quicker close tells nothing */
#define CLOSE_MAX_OBJS	(4U << 20)	/* objects to try at most */
/*
 * The ticker may wait a sixteenth of the close at once.  Under TCG it
 * waits a few ms, 40 with the host busy; a loop that frees without
 * cond_resched() holds it off for a third of the close or more, one that
 * only walks all the handles (gsd_gc_release_all()) for a tenth.  A loop
 * that does not yield does so every time, a host that stalls the guest
 * seldom twice: a close that looks too long is tried once more.
 */
#define GAP_PART	16

/* The ticker: a thread that notes when it gets CPU 0. */
struct ticker {
	pthread_t thread;
	int err;		/* why it could not be SCHED_FIFO on CPU 0 */
	bool stop;		/* __atomic */
	unsigned int n;		/* __atomic: the notes taken */
	long long ns[TICKS_MAX];
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int pin_cpu0(void)
{
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	return pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
}

static void *ticker_thread(void *arg)
{
	struct sched_param sp = { .sched_priority = 10 };
	struct timespec ms = { .tv_nsec = 1000000 };
	struct ticker *t = arg;
	unsigned int n = 0;

	t->err = pin_cpu0();
	if (!t->err)
		t->err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (t->err) {
		__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
		return NULL;
	}
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE) && n < TICKS_MAX) {
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL);
		t->ns[n] = now_ns();
		__atomic_store_n(&t->n, ++n, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * The mode of a PREEMPT_DYNAMIC kernel, the one in parentheses in
 * PREEMPT_MODE ("none (voluntary) full"), into @mode; 0 or -errno.
 */
static int preempt_mode_get(char *mode, size_t len)
{
	int fd = open(PREEMPT_MODE, O_RDONLY | O_CLOEXEC);
	char buf[128], *l, *r;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	l = strchr(buf, '(');
	r = l ? strchr(l, ')') : NULL;
	if (!r || r - l - 1 >= (ssize_t)len)
		return -EPROTO;
	memcpy(mode, l + 1, r - l - 1);
	mode[r - l - 1] = '\0';
	return 0;
}

FIXTURE(big_close) {
	char old_mode[32];	/* the mode to put back, if the test set none */
	struct goslab_ioc_stats base;
	unsigned long taint;
};

FIXTURE_VARIANT(big_close) {
	bool gc;		/* GC objects (GC_ALLOC), or ALLOC's */
	unsigned int n;		/* how many: enough for seconds under TCG */
};

FIXTURE_VARIANT_ADD(big_close, objects) {
	.n = 500000,
};

FIXTURE_VARIANT_ADD(big_close, gc) {
	.gc = true,
	.n = 300000,
};

FIXTURE_SETUP(big_close)
{
	/* What scripts/coverage.txt allows on the test kernels. */
	static const char preempted[] =
		"a loop without cond_resched() is preempted anyway";
	struct utsname u;
	char mode[32] = "";
	int fd, ret;

	fd = gs_open();
	if (fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gs_snap(fd, &self->base));
	close(fd);
	self->taint = gs_taint();

	/* uname -v names the preemption model the kernel was built with. */
	ASSERT_EQ(0, uname(&u));
	if (strstr(u.version, "PREEMPT_RT"))
		SKIP(return, "PREEMPT_RT: %s", preempted);
	if (!strstr(u.version, "PREEMPT_DYNAMIC")) {
		if (strstr(u.version, "PREEMPT"))
			SKIP(return, "CONFIG_PREEMPT: %s", preempted);
		return;		/* built without preemption: as wanted */
	}
	ret = preempt_mode_get(self->old_mode, sizeof(self->old_mode));
	if (ret)
		SKIP(return, "PREEMPT_DYNAMIC, but no mode in " PREEMPT_MODE ": %s",
		     strerror(-ret));
	ret = gs_write_str(PREEMPT_MODE, "none");
	if (ret) {
		self->old_mode[0] = '\0';
		SKIP(return, "PREEMPT_DYNAMIC, but " PREEMPT_MODE " refuses none: %s",
		     strerror(-ret));
	}
	/* A failed setup has no teardown: put the old mode back here. */
	if (preempt_mode_get(mode, sizeof(mode)) || strcmp(mode, "none")) {
		gs_write_str(PREEMPT_MODE, self->old_mode);
		ASSERT_STREQ("none", mode);
	}
}

/* In the parent: the old mode comes back even if the test crashed. */
FIXTURE_TEARDOWN_PARENT(big_close)
{
	char mode[32] = "";

	if (self->old_mode[0]) {
		EXPECT_EQ(0, gs_write_str(PREEMPT_MODE, self->old_mode));
		EXPECT_EQ(0, preempt_mode_get(mode, sizeof(mode)));
		EXPECT_STREQ(self->old_mode, mode);
	}
	gs_check_closed(_metadata, -1, &self->base, self->taint,
			"after the big close");
}

struct close_run {
	long long close_ns;	/* how long close() took */
	long long gap_ns;	/* the longest the ticker waited meanwhile */
	unsigned int ticks;	/* its notes inside close() */
};

/*
 * Fill a session with @n objects, then close it beside the ticker on
 * CPU 0.  The session's cap is raised for it: 300 bytes an object.
 */
static void close_with_ticker(struct __test_metadata *_metadata,
			      struct ticker *t, bool gc, unsigned int n,
			      struct close_run *r)
{
	long long t0, t1, last;
	__u64 h, heap = 0, type = 0;
	unsigned int i;
	int fd;

	ASSERT_EQ(0, gs_open_capped(n / 1024 * 300 + 1024, &fd, 1));
	ASSERT_LE(0, fd);
	if (gc) {
		ASSERT_EQ(0, gs_gc_heap_create(fd, GOSLAB_GC_HEAP_MANUAL, &heap));
		ASSERT_EQ(0, gs_gc_type_create(fd, heap, 0, 8, &type));
	}
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, gc ? gs_gc_alloc(fd, type, &h, NULL) :
				  gs_alloc(fd, 8, 0, &h));

	memset(t, 0, sizeof(*t));
	ASSERT_EQ(0, pthread_create(&t->thread, NULL, ticker_thread, t));
	/* Once it ticks, it is SCHED_FIFO on CPU 0. */
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&t->n, __ATOMIC_ACQUIRE) < 3)
		usleep(1000);
	t0 = now_ns();
	close(fd);
	t1 = now_ns();
	__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(t->thread, NULL));
	ASSERT_EQ(0, t->err) {
		TH_LOG("ticker: %s", strerror(t->err));
	}

	r->close_ns = t1 - t0;
	r->gap_ns = 0;
	r->ticks = 0;
	last = t0;
	for (i = 0; i < t->n; i++) {
		if (t->ns[i] <= t0 || t->ns[i] >= t1)
			continue;
		r->ticks++;
		if (t->ns[i] - last > r->gap_ns)
			r->gap_ns = t->ns[i] - last;
		last = t->ns[i];
	}
	if (t1 - last > r->gap_ns)
		r->gap_ns = t1 - last;
}

TEST_F(big_close, yields_cpu)
{
	const char *what = variant->gc ? "GC objects" : "objects";
	struct close_run r;
	struct ticker *t;
	unsigned int n;

	if (variant->gc && !gs_has_gc())
		SKIP(return, GS_NO_GC);
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t);
	ASSERT_EQ(0, pin_cpu0());
	/* On a quick machine, more objects until the close takes long. */
	for (n = variant->n;; n *= 2) {
		close_with_ticker(_metadata, t, variant->gc, n, &r);
		TH_LOG("close of %u %s: %lld ms, %u ticks in it, longest wait %lld ms",
		       n, what, r.close_ns / 1000000, r.ticks,
		       r.gap_ns / 1000000);
		if (r.close_ns >= CLOSE_MIN_MS * 1000000LL || n >= CLOSE_MAX_OBJS)
			break;
	}
	if (r.gap_ns * GAP_PART >= r.close_ns) {
		close_with_ticker(_metadata, t, variant->gc, n, &r);
		TH_LOG("once more: %lld ms, %u ticks in it, longest wait %lld ms",
		       r.close_ns / 1000000, r.ticks, r.gap_ns / 1000000);
	}
	munmap(t, sizeof(*t));
	ASSERT_LE(CLOSE_MIN_MS * 1000000LL, r.close_ns) {
		TH_LOG("a close of %u %s is too quick to judge", n, what);
	}
	EXPECT_LT(r.gap_ns * GAP_PART, r.close_ns) {
		TH_LOG("the ticker waited %lld of the %lld ms: a loop without cond_resched()?",
		       r.gap_ns / 1000000, r.close_ns / 1000000);
	}
}

TEST_HARNESS_MAIN
