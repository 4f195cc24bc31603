// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab with user memory that faults slowly: buffers and argument
 * structs backed by userfaultfd, whose faults wait until the test resolves
 * them.  A thread stuck in such a fault inside a command must hold up
 * nobody else: the session's other threads go on, a process sharing the
 * session dies at once when killed, and the object the stuck command
 * copies stays intact however the others free it.  Nor may a close that
 * frees very many objects hold up the CPU it runs on.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "goslab_util.h"

/* How long the session's other threads may take, in ms: generous, TCG. */
#define BOUND_MS	5000
#define OBJ_LEN		4096

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A userfaultfd that handles kernel faults too (root), or -errno. */
static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int uffd_register(int uffd, void *p, size_t len, __u64 mode)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)p, .len = len },
		.mode = mode,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

static int uffd_wp(int uffd, void *p, size_t len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)p, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) ? -errno : 0;
}

/* Fill the missing page at @p with zeroes, which wakes its faulter. */
static int uffd_fill(int uffd, void *p)
{
	static char zero[65536];
	struct uffdio_copy c = {
		.dst = (unsigned long)p, .src = (unsigned long)zero,
		.len = page_size(),
	};

	return ioctl(uffd, UFFDIO_COPY, &c) ? -errno : 0;
}

/* Wait for a fault to be reported: the faulting thread is stuck now. */
static int uffd_wait_fault(int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 10000) != 1)
		return -ETIMEDOUT;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -errno;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -EPROTO;
}

/* One ioctl, in a thread of its own, that may get stuck in a fault. */
struct stuck {
	int fd;
	unsigned long cmd;
	void *arg;
	int ret;
	pthread_t thread;
};

static void *stuck_thread(void *arg)
{
	struct stuck *st = arg;

	st->ret = gs_ioctl(st->fd, st->cmd, st->arg);
	return NULL;
}

/* What the session's other threads do meanwhile. */
struct others {
	int fd;
	__u64 victim;		/* the object the stuck command copies */
	int ret;
	bool done;		/* __atomic */
	pthread_t thread;
};

static void *others_thread(void *arg)
{
	struct others *o = arg;
	struct goslab_ioc_stats st;
	char buf[64];
	__u64 h;
	int ret;

	ret = gs_stats(o->fd, 0, &st);
	if (!ret)
		ret = gs_alloc(o->fd, 100, 0, &h);
	if (!ret)
		ret = gs_write(o->fd, h, 0, sizeof(buf), memset(buf, 1, sizeof(buf)));
	if (!ret)
		ret = gs_read(o->fd, h, 0, sizeof(buf), buf);
	if (!ret)
		ret = gs_free(o->fd, h);
	/* Free the very object the stuck command works on. */
	if (!ret && o->victim)
		ret = gs_free(o->fd, o->victim);
	o->ret = ret;
	__atomic_store_n(&o->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Did the others finish within BOUND_MS? */
static bool others_done_in_time(struct others *o)
{
	long long end = now_ms() + BOUND_MS;

	while (!__atomic_load_n(&o->done, __ATOMIC_ACQUIRE)) {
		if (now_ms() > end)
			return false;
		usleep(10000);
	}
	return true;
}

FIXTURE(fault) {
	int fd;
	int uffd;
	char *page;		/* registered with @uffd */
	struct goslab_ioc_stats base;
	unsigned long taint;
};

FIXTURE_SETUP(fault)
{
	self->fd = gs_open();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, gs_snap(self->fd, &self->base));
	self->taint = gs_taint();
	self->uffd = uffd_open();
	ASSERT_LE(0, self->uffd) {
		TH_LOG("userfaultfd: %s", strerror(-self->uffd));
	}
	self->page = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->page);
}

FIXTURE_TEARDOWN(fault)
{
	if (self->page && self->page != MAP_FAILED)
		munmap(self->page, page_size());
	if (self->uffd >= 0)
		close(self->uffd);
	gs_check_closed(_metadata, self->fd, &self->base, self->taint,
			"after close");
}

/*
 * READ into a page nobody has filled yet: the copy waits in the fault.
 * Meanwhile the session's other threads allocate, copy, free, and free
 * the object being read; when the page is filled at last, the read
 * completes with the bytes the object held.
 */
TEST_F(fault, read_stuck_in_fault)
{
	struct goslab_ioc_rw rw = { .size = sizeof(rw) };
	struct others o = { .fd = self->fd };
	struct stuck st = { .fd = self->fd, .cmd = GOSLAB_IOC_READ, .arg = &rw };
	unsigned char pat[OBJ_LEN];
	bool in_time;
	__u64 h;

	ASSERT_EQ(0, uffd_register(self->uffd, self->page, page_size(),
				   UFFDIO_REGISTER_MODE_MISSING));
	ASSERT_EQ(0, gs_alloc(self->fd, OBJ_LEN, 0, &h));
	gs_pattern(pat, OBJ_LEN, 7);
	ASSERT_EQ(0, gs_write(self->fd, h, 0, OBJ_LEN, pat));
	rw.handle = h;
	rw.len = page_size() > OBJ_LEN ? OBJ_LEN : page_size();
	rw.buf = (unsigned long)self->page;

	ASSERT_EQ(0, pthread_create(&st.thread, NULL, stuck_thread, &st));
	ASSERT_EQ(0, uffd_wait_fault(self->uffd));
	o.victim = h;
	ASSERT_EQ(0, pthread_create(&o.thread, NULL, others_thread, &o));
	in_time = others_done_in_time(&o);
	/* Whatever happened, unstick everyone before judging. */
	ASSERT_EQ(0, uffd_fill(self->uffd, self->page));
	ASSERT_EQ(0, pthread_join(st.thread, NULL));
	ASSERT_EQ(0, pthread_join(o.thread, NULL));

	EXPECT_TRUE(in_time) {
		TH_LOG("the session's other threads waited for a READ stuck in a fault");
	}
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(0, st.ret);
	EXPECT_EQ(0, memcmp(pat, self->page, rw.len));
	/* The others freed it. */
	EXPECT_EQ(-ENOENT, gs_free(self->fd, h));
}

/*
 * Commands that write results back: their struct lies on a page that is
 * write-protected through userfaultfd, so that reading the arguments
 * works and writing the results back waits in the fault.
 */
TEST_F_TIMEOUT(fault, writeback_stuck_in_fault, 120)
{
	struct others o;
	struct stuck st;
	__u64 heap, type, cache, ref, h;
	unsigned int i;
	bool in_time;

	ASSERT_EQ(0, gs_gc_heap_create(self->fd, GOSLAB_GC_HEAP_MANUAL, &heap));
	ASSERT_EQ(0, gs_gc_type_create(self->fd, heap, 1, 16, &type));
	ASSERT_EQ(0, gs_gc_alloc(self->fd, type, &ref, NULL));
	ASSERT_EQ(0, gs_gc_alloc(self->fd, type, &h, NULL));
	ASSERT_EQ(0, gs_gc_store(self->fd, ref, 0, h));
	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, 0, &cache));
	memset(self->page, 0, page_size());	/* present, for WP */
	ASSERT_EQ(0, uffd_register(self->uffd, self->page, page_size(),
				   UFFDIO_REGISTER_MODE_WP)) {
		TH_LOG("no userfaultfd write-protection in this kernel?");
	}

	for (i = 0; i < 7; i++) {
		const char *name = "?";

		memset(self->page, 0, page_size());
		switch (i) {
		case 0: {
			struct goslab_ioc_alloc *a = (void *)self->page;

			*a = (struct goslab_ioc_alloc){ .size = sizeof(*a), .len = 100 };
			st.cmd = GOSLAB_IOC_ALLOC;
			name = "ALLOC";
			break;
		}
		case 1: {
			struct goslab_ioc_cache_alloc *a = (void *)self->page;

			*a = (struct goslab_ioc_cache_alloc){ .size = sizeof(*a),
							      .cache = cache };
			st.cmd = GOSLAB_IOC_CACHE_ALLOC;
			name = "CACHE_ALLOC";
			break;
		}
		case 2: {
			struct goslab_ioc_cache_create *a = (void *)self->page;

			*a = (struct goslab_ioc_cache_create){ .size = sizeof(*a),
							       .obj_size = 32 };
			st.cmd = GOSLAB_IOC_CACHE_CREATE;
			name = "CACHE_CREATE";
			break;
		}
		case 3: {
			struct goslab_ioc_gc_heap_create *a = (void *)self->page;

			*a = (struct goslab_ioc_gc_heap_create){ .size = sizeof(*a),
								 .flags = GOSLAB_GC_HEAP_MANUAL };
			st.cmd = GOSLAB_IOC_GC_HEAP_CREATE;
			name = "GC_HEAP_CREATE";
			break;
		}
		case 4: {
			struct goslab_ioc_gc_type_create *a = (void *)self->page;

			*a = (struct goslab_ioc_gc_type_create){ .size = sizeof(*a),
								 .heap = heap,
								 .nr_ptrs = 1 };
			st.cmd = GOSLAB_IOC_GC_TYPE_CREATE;
			name = "GC_TYPE_CREATE";
			break;
		}
		case 5: {
			struct goslab_ioc_gc_alloc *a = (void *)self->page;

			*a = (struct goslab_ioc_gc_alloc){ .size = sizeof(*a),
							   .type = type };
			st.cmd = GOSLAB_IOC_GC_ALLOC;
			name = "GC_ALLOC";
			break;
		}
		case 6: {
			struct goslab_ioc_gc_load *a = (void *)self->page;

			*a = (struct goslab_ioc_gc_load){ .size = sizeof(*a),
							  .src = ref };
			st.cmd = GOSLAB_IOC_GC_LOAD;
			name = "GC_LOAD";
			break;
		}
		}
		st.fd = self->fd;
		st.arg = self->page;
		o = (struct others){ .fd = self->fd };
		ASSERT_EQ(0, uffd_wp(self->uffd, self->page, page_size(), true));
		ASSERT_EQ(0, pthread_create(&st.thread, NULL, stuck_thread, &st));
		ASSERT_EQ(0, uffd_wait_fault(self->uffd)) {
			TH_LOG("%s: never wrote its results back?", name);
		}
		ASSERT_EQ(0, pthread_create(&o.thread, NULL, others_thread, &o));
		in_time = others_done_in_time(&o);
		ASSERT_EQ(0, uffd_wp(self->uffd, self->page, page_size(), false));
		ASSERT_EQ(0, pthread_join(st.thread, NULL));
		ASSERT_EQ(0, pthread_join(o.thread, NULL));

		EXPECT_TRUE(in_time) {
			TH_LOG("%s: the session's other threads waited for its write-back",
			       name);
		}
		EXPECT_EQ(0, o.ret);
		EXPECT_EQ(0, st.ret) {
			TH_LOG("%s: %s", name, strerror(-st.ret));
		}
	}
}

/*
 * A process sharing the session, killed while it issues commands and
 * another thread's READ is stuck in a fault: it must die at once, not
 * when the fault is resolved.
 */
TEST_F(fault, killable)
{
	struct goslab_ioc_rw rw = { .size = sizeof(rw) };
	struct stuck st = { .fd = self->fd, .cmd = GOSLAB_IOC_READ, .arg = &rw };
	long long end;
	bool in_time;
	int status;
	pid_t pid, got = 0;
	__u64 h;

	ASSERT_EQ(0, uffd_register(self->uffd, self->page, page_size(),
				   UFFDIO_REGISTER_MODE_MISSING));
	ASSERT_EQ(0, gs_alloc(self->fd, OBJ_LEN, GOSLAB_ALLOC_ZERO, &h));
	rw.handle = h;
	rw.len = page_size() > OBJ_LEN ? OBJ_LEN : page_size();
	rw.buf = (unsigned long)self->page;
	ASSERT_EQ(0, pthread_create(&st.thread, NULL, stuck_thread, &st));
	ASSERT_EQ(0, uffd_wait_fault(self->uffd));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct goslab_ioc_stats s;

		for (;;)
			gs_stats(self->fd, 0, &s);
	}
	usleep(200000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	for (end = now_ms() + BOUND_MS; now_ms() < end; usleep(10000)) {
		got = waitpid(pid, &status, WNOHANG);
		if (got)
			break;
	}
	in_time = got == pid;
	ASSERT_EQ(0, uffd_fill(self->uffd, self->page));
	ASSERT_EQ(0, pthread_join(st.thread, NULL));
	if (!got)
		got = waitpid(pid, &status, 0);
	ASSERT_EQ(pid, got);
	EXPECT_TRUE(in_time) {
		TH_LOG("the killed process lived on until the fault was resolved");
	}
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_EQ(0, st.ret);
	EXPECT_EQ(0, gs_free(self->fd, h));
}

/*
 * Threads stuck in faults hold their copies' kernel buffers: the session
 * is charged for them while they wait, so however many there are, they
 * pin no more than its cap.  Each READ or WRITE waits in a fault on a
 * page of its own (a READ copying out, a WRITE copying in); the charge
 * goes back when they complete.
 */
#define NSTUCK	4

TEST_F(fault, stuck_copies_are_charged)
{
	struct goslab_ioc_stats before, during, after;
	struct goslab_ioc_rw rw[NSTUCK];
	struct stuck st[NSTUCK];
	long ps = page_size();
	char *pages;
	__u64 h;
	int i;

	pages = mmap(NULL, NSTUCK * ps, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, uffd_register(self->uffd, pages, NSTUCK * ps,
				   UFFDIO_REGISTER_MODE_MISSING));
	ASSERT_EQ(0, gs_alloc(self->fd, OBJ_LEN, GOSLAB_ALLOC_ZERO, &h));
	ASSERT_EQ(0, gs_stats(self->fd, 0, &before));
	for (i = 0; i < NSTUCK; i++) {
		rw[i] = (struct goslab_ioc_rw){
			.size = sizeof(rw[i]),
			.handle = h,
			.len = ps > OBJ_LEN ? OBJ_LEN : ps,
			.buf = (unsigned long)(pages + i * ps),
		};
		st[i] = (struct stuck){
			.fd = self->fd, .arg = &rw[i],
			.cmd = i % 2 ? GOSLAB_IOC_WRITE : GOSLAB_IOC_READ,
		};
		ASSERT_EQ(0, pthread_create(&st[i].thread, NULL, stuck_thread, &st[i]));
		ASSERT_EQ(0, uffd_wait_fault(self->uffd));
	}
	ASSERT_EQ(0, gs_stats(self->fd, 0, &during));
	for (i = 0; i < NSTUCK; i++)
		ASSERT_EQ(0, uffd_fill(self->uffd, pages + i * ps));
	for (i = 0; i < NSTUCK; i++) {
		ASSERT_EQ(0, pthread_join(st[i].thread, NULL));
		EXPECT_EQ(0, st[i].ret);
	}
	ASSERT_EQ(0, gs_stats(self->fd, 0, &after));

	EXPECT_EQ(before.session_charged + NSTUCK * rw[0].len, during.session_charged) {
		TH_LOG("%d READs and WRITEs stuck in faults: %llu bytes charged, %llu before",
		       NSTUCK, (unsigned long long)during.session_charged,
		       (unsigned long long)before.session_charged);
	}
	EXPECT_EQ(before.session_charged, after.session_charged);
	EXPECT_EQ(0, gs_free(self->fd, h));
	munmap(pages, NSTUCK * ps);
}

/*
 * A session at its cap can still copy: one READ or WRITE at a time whose
 * buffer does not fit takes the session's spare.  Under a 16 KiB cap an
 * 8 KiB object leaves no room for an 8 KiB copy's buffer: one READ waits
 * in a fault on the spare while another gets ENOMEM and a small one, that
 * fits, goes through; once the first is done the spare is free again.
 */
TEST_F(fault, full_session_copies)
{
	struct goslab_ioc_rw rw = { .size = sizeof(rw) };
	struct stuck st = { .cmd = GOSLAB_IOC_READ, .arg = &rw };
	long i, len = 8192, ps = page_size();
	unsigned char pat[8192], buf[8192];
	char *pages;
	__u64 h;
	int fd2;

	ASSERT_EQ(0, gs_open_capped(16, &fd2, 1));
	ASSERT_LE(0, fd2);
	pages = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, uffd_register(self->uffd, pages, len,
				   UFFDIO_REGISTER_MODE_MISSING));
	ASSERT_EQ(0, gs_alloc(fd2, len, 0, &h));
	gs_pattern(pat, len, 11);
	ASSERT_EQ(0, gs_write(fd2, h, 0, len, pat));

	rw.handle = h;
	rw.len = len;
	rw.buf = (unsigned long)pages;
	st.fd = fd2;
	ASSERT_EQ(0, pthread_create(&st.thread, NULL, stuck_thread, &st));
	ASSERT_EQ(0, uffd_wait_fault(self->uffd));
	EXPECT_EQ(-ENOMEM, gs_read(fd2, h, 0, len, buf)) {
		TH_LOG("a second full-size READ while the spare is in use");
	}
	EXPECT_EQ(0, gs_read(fd2, h, 0, 64, buf));
	EXPECT_EQ(0, memcmp(pat, buf, 64));
	for (i = 0; i < len; i += ps)
		ASSERT_EQ(0, uffd_fill(self->uffd, pages + i));
	ASSERT_EQ(0, pthread_join(st.thread, NULL));
	EXPECT_EQ(0, st.ret);
	EXPECT_EQ(0, memcmp(pat, pages, len));
	EXPECT_EQ(0, gs_read(fd2, h, 0, len, buf));
	EXPECT_EQ(0, memcmp(pat, buf, len));
	EXPECT_EQ(0, gs_free(fd2, h));
	close(fd2);
	munmap(pages, len);
}

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
