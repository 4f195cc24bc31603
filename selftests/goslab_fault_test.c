// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab with user memory that faults slowly: buffers and argument
 * structs backed by userfaultfd, whose faults wait until the test resolves
 * them.  A thread stuck in such a fault inside a command must hold up
 * nobody else: the session's other threads go on, a process sharing the
 * session dies at once when killed, and the object the stuck command
 * copies stays intact however the others free it.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
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
	bool in_time, gc = gs_has_gc();
	unsigned int i;

	/* Cases 3 on are the collector's: without it (GS_NO_GC), 0 to 2. */
	if (gc) {
		ASSERT_EQ(0, gs_gc_heap_create(self->fd, GOSLAB_GC_HEAP_MANUAL, &heap));
		ASSERT_EQ(0, gs_gc_type_create(self->fd, heap, 1, 16, &type));
		ASSERT_EQ(0, gs_gc_alloc(self->fd, type, &ref, NULL));
		ASSERT_EQ(0, gs_gc_alloc(self->fd, type, &h, NULL));
		ASSERT_EQ(0, gs_gc_store(self->fd, ref, 0, h));
	}
	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, 0, &cache));
	memset(self->page, 0, page_size());	/* present, for WP */
	ASSERT_EQ(0, uffd_register(self->uffd, self->page, page_size(),
				   UFFDIO_REGISTER_MODE_WP)) {
		TH_LOG("no userfaultfd write-protection in this kernel?");
	}

	for (i = 0; i < (gc ? 7 : 3); i++) {
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

TEST_HARNESS_MAIN
