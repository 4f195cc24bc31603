/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the /dev/goslab selftests: one wrapper per command,
 * returning 0 or -errno, and statistics snapshots to prove that a command
 * changed nothing.  Include after kselftest_harness.h.
 */
#ifndef GOSLAB_UTIL_H
#define GOSLAB_UTIL_H

/*
 * The harness's 30 s a test is a hang detector.  The test kernels (KASAN,
 * lockdep, PREEMPT_RT, under TCG) run some tests many times slower than a
 * real machine, so allow ten times that; the guest still kills a whole
 * program after 600 s (scripts/guest-init.sh).
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	300

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/goslab.h>

#define GS_DEV		"/dev/" GOSLAB_DEVICE_NAME
#define GS_PARAM_CAP	"/sys/module/goslab/parameters/session_cap_kb"

/* Units of the tests' lengths; PAGE is the guest's page size (x86-64). */
#define MIB		(1024ULL * 1024)
#define PAGE		4096

/* The uapi promises these; a header edit that breaks them breaks the ABI. */
static_assert(sizeof(struct goslab_ioc_version) == GOSLAB_VERSION_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_alloc) == GOSLAB_ALLOC_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_free) == GOSLAB_FREE_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_rw) == GOSLAB_RW_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_usable) == GOSLAB_USABLE_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_cache_create) == GOSLAB_CACHE_CREATE_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_cache_alloc) == GOSLAB_CACHE_ALLOC_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_cache_free) == GOSLAB_CACHE_FREE_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_cache_destroy) == GOSLAB_CACHE_DESTROY_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_stats) == GOSLAB_STATS_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_gc_heap_create) == GOSLAB_GC_HEAP_CREATE_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_gc_type_create) == GOSLAB_GC_TYPE_CREATE_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_gc_alloc) == GOSLAB_GC_ALLOC_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_gc_store) == GOSLAB_GC_STORE_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_gc_load) == GOSLAB_GC_LOAD_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_gc_drop) == GOSLAB_GC_DROP_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_gc_collect) == GOSLAB_GC_COLLECT_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_gc_alive) == GOSLAB_GC_ALIVE_SIZE_VER0, "ABI");
static_assert(sizeof(struct goslab_ioc_gc_stats) == GOSLAB_GC_STATS_SIZE_VER0, "ABI");

static inline int gs_open(void)
{
	return open(GS_DEV, O_RDWR | O_CLOEXEC);
}

/* ioctl() as 0 or -errno. */
static inline int gs_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int gs_version(int fd, struct goslab_ioc_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return gs_ioctl(fd, GOSLAB_IOC_VERSION, v);
}

/*
 * Whether goslab has its collector (GOSLAB_FEATURE_GC); a test of it
 * skips with GS_NO_GC when not, and its commands then fail with
 * EOPNOTSUPP.
 */
#define GS_NO_GC	"goslab built without its collector (GOSLAB_GC=n)"
static inline bool gs_has_gc(void)
{
	struct goslab_ioc_version v;
	int fd = gs_open();
	bool gc;

	gc = fd >= 0 && !gs_version(fd, &v) && (v.features & GOSLAB_FEATURE_GC);
	if (fd >= 0)
		close(fd);
	return gc;
}

/* Whether @cmd is one of the collector's: numbered after all others. */
static inline bool gs_is_gc_cmd(unsigned long cmd)
{
	return _IOC_TYPE(cmd) == GOSLAB_IOC_MAGIC &&
	       _IOC_NR(cmd) >= _IOC_NR(GOSLAB_IOC_GC_HEAP_CREATE);
}

static inline int gs_alloc(int fd, __u64 len, __u32 flags, __u64 *handle)
{
	struct goslab_ioc_alloc a = {
		.size = sizeof(a), .flags = flags, .len = len,
	};
	int ret = gs_ioctl(fd, GOSLAB_IOC_ALLOC, &a);

	if (!ret)
		*handle = a.handle;
	return ret;
}

static inline int gs_free(int fd, __u64 handle)
{
	struct goslab_ioc_free f = { .size = sizeof(f), .handle = handle };

	return gs_ioctl(fd, GOSLAB_IOC_FREE, &f);
}

static inline int gs_rw(int fd, unsigned long cmd, __u64 handle, __u64 off,
			__u64 len, const void *buf)
{
	struct goslab_ioc_rw r = {
		.size = sizeof(r), .handle = handle, .offset = off, .len = len,
		.buf = (__u64)(unsigned long)buf,
	};

	return gs_ioctl(fd, cmd, &r);
}

static inline int gs_write(int fd, __u64 handle, __u64 off, __u64 len,
			   const void *buf)
{
	return gs_rw(fd, GOSLAB_IOC_WRITE, handle, off, len, buf);
}

static inline int gs_read(int fd, __u64 handle, __u64 off, __u64 len,
			  void *buf)
{
	return gs_rw(fd, GOSLAB_IOC_READ, handle, off, len, buf);
}

static inline int gs_usable(int fd, __u64 handle, struct goslab_ioc_usable *u)
{
	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	u->handle = handle;
	return gs_ioctl(fd, GOSLAB_IOC_USABLE_SIZE, u);
}

static inline int gs_cache_create(int fd, __u32 obj_size, __u32 align,
				  __u32 flags, __u64 *handle)
{
	struct goslab_ioc_cache_create c = {
		.size = sizeof(c), .flags = flags, .obj_size = obj_size,
		.align = align,
	};
	int ret = gs_ioctl(fd, GOSLAB_IOC_CACHE_CREATE, &c);

	if (!ret)
		*handle = c.handle;
	return ret;
}

static inline int gs_cache_alloc(int fd, __u64 cache, __u32 flags,
				 __u64 *handle)
{
	struct goslab_ioc_cache_alloc c = {
		.size = sizeof(c), .flags = flags, .cache = cache,
	};
	int ret = gs_ioctl(fd, GOSLAB_IOC_CACHE_ALLOC, &c);

	if (!ret)
		*handle = c.handle;
	return ret;
}

static inline int gs_cache_free(int fd, __u64 cache, __u64 handle)
{
	struct goslab_ioc_cache_free c = {
		.size = sizeof(c), .cache = cache, .handle = handle,
	};

	return gs_ioctl(fd, GOSLAB_IOC_CACHE_FREE, &c);
}

static inline int gs_cache_destroy(int fd, __u64 cache)
{
	struct goslab_ioc_cache_destroy c = { .size = sizeof(c), .cache = cache };

	return gs_ioctl(fd, GOSLAB_IOC_CACHE_DESTROY, &c);
}

static inline int gs_stats(int fd, __u32 flags, struct goslab_ioc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = flags;
	return gs_ioctl(fd, GOSLAB_IOC_STATS, st);
}

static inline int gs_gc_heap_create(int fd, __u32 flags, __u64 *heap)
{
	struct goslab_ioc_gc_heap_create hc = { .size = sizeof(hc), .flags = flags };
	int ret = gs_ioctl(fd, GOSLAB_IOC_GC_HEAP_CREATE, &hc);

	if (!ret)
		*heap = hc.handle;
	return ret;
}

static inline int gs_gc_type_create(int fd, __u64 heap, __u32 nr_ptrs,
				    __u32 data_size, __u64 *type)
{
	struct goslab_ioc_gc_type_create tc = {
		.size = sizeof(tc), .heap = heap, .nr_ptrs = nr_ptrs,
		.data_size = data_size,
	};
	int ret = gs_ioctl(fd, GOSLAB_IOC_GC_TYPE_CREATE, &tc);

	if (!ret)
		*type = tc.handle;
	return ret;
}

/* @id may be NULL. */
static inline int gs_gc_alloc(int fd, __u64 type, __u64 *handle, __u64 *id)
{
	struct goslab_ioc_gc_alloc a = { .size = sizeof(a), .type = type };
	int ret = gs_ioctl(fd, GOSLAB_IOC_GC_ALLOC, &a);

	if (!ret) {
		*handle = a.handle;
		if (id)
			*id = a.id;
	}
	return ret;
}

/* @src 0 clears the field. */
static inline int gs_gc_store(int fd, __u64 dst, __u32 field, __u64 src)
{
	struct goslab_ioc_gc_store st = {
		.size = sizeof(st), .dst = dst, .field = field, .src = src,
	};

	return gs_ioctl(fd, GOSLAB_IOC_GC_STORE, &st);
}

/* @id may be NULL. */
static inline int gs_gc_load(int fd, __u64 src, __u32 field, __u64 *handle,
			     __u64 *id)
{
	struct goslab_ioc_gc_load ld = {
		.size = sizeof(ld), .src = src, .field = field,
	};
	int ret = gs_ioctl(fd, GOSLAB_IOC_GC_LOAD, &ld);

	if (!ret) {
		*handle = ld.handle;
		if (id)
			*id = ld.id;
	}
	return ret;
}

static inline int gs_gc_drop(int fd, __u64 handle)
{
	struct goslab_ioc_gc_drop d = { .size = sizeof(d), .handle = handle };

	return gs_ioctl(fd, GOSLAB_IOC_GC_DROP, &d);
}

static inline int gs_gc_collect(int fd, __u64 heap)
{
	struct goslab_ioc_gc_collect c = { .size = sizeof(c), .heap = heap };

	return gs_ioctl(fd, GOSLAB_IOC_GC_COLLECT, &c);
}

/* 1 alive, 0 released, or -errno. */
static inline int gs_gc_alive(int fd, __u64 id)
{
	struct goslab_ioc_gc_alive a = { .size = sizeof(a), .id = id };
	int ret = gs_ioctl(fd, GOSLAB_IOC_GC_ALIVE, &a);

	return ret ? ret : (int)a.alive;
}

static inline int gs_gc_stats(int fd, __u64 heap, struct goslab_ioc_gc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->heap = heap;
	return gs_ioctl(fd, GOSLAB_IOC_GC_STATS, st);
}

/*
 * A snapshot to compare: goslab trimmed first, so that per-CPU caches and
 * free heap pages do not count, and only what callers hold is left.
 */
static inline int gs_snap(int fd, struct goslab_ioc_stats *st)
{
	return gs_stats(fd, GOSLAB_STATS_TRIM, st);
}

/*
 * The fields that must be equal when nothing changed; pages_released
 * and trimmed only grow, objects_cached is per-CPU and emptied by trim.
 */
#define GS_FIELD(f)	{ #f, offsetof(struct goslab_ioc_stats, f) }
static const struct {
	const char *name;
	size_t off;
} gs_fields[] = {
	GS_FIELD(pages_held),
	GS_FIELD(pages_in_use),
	GS_FIELD(pages_free),
	GS_FIELD(objects_in_use),
	GS_FIELD(bytes_in_use),
	GS_FIELD(large_in_use),
	GS_FIELD(debug_double_free),
	GS_FIELD(debug_invalid_free),
	GS_FIELD(debug_poison_corrupt),
	GS_FIELD(session_charged),
	GS_FIELD(session_objects),
	GS_FIELD(session_caches),
};

/* Print each field that differs; true if none does. */
static inline bool gs_stats_same(const struct goslab_ioc_stats *a,
				 const struct goslab_ioc_stats *b,
				 const char *what)
{
	bool same = true;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gs_fields); i++) {
		__u64 x = *(const __u64 *)((const char *)a + gs_fields[i].off);
		__u64 y = *(const __u64 *)((const char *)b + gs_fields[i].off);

		if (x != y) {
			printf("# %s: %s %llu -> %llu\n", what, gs_fields[i].name,
			       (unsigned long long)x, (unsigned long long)y);
			same = false;
		}
	}
	return same;
}

/* Expect @call (an expression giving 0 or -errno) to fail with @err, cleanly. */
#define FAILS_CLEANLY(fd, err, call)	FAILS_CLEANLY_AS(fd, err, call, #call)

/* The same, naming the call @what (a string) in the log. */
#define FAILS_CLEANLY_AS(fd, err, call, what)				\
	do {								\
		struct goslab_ioc_stats __before, __after;		\
		const char *__what = (what);				\
		int __fd = (fd);					\
									\
		ASSERT_EQ(0, gs_snap(__fd, &__before));			\
		EXPECT_EQ(-(err), (call)) {				\
			TH_LOG("%s", __what);				\
		}							\
		ASSERT_EQ(0, gs_snap(__fd, &__after));			\
		EXPECT_TRUE(gs_stats_same(&__before, &__after, __what));	\
	} while (0)

/*
 * Global counters, without the session's: for comparing across sessions
 * (a new file has its own, empty, session counters).
 */
static inline bool gs_global_same(const struct goslab_ioc_stats *a,
				  const struct goslab_ioc_stats *b,
				  const char *what)
{
	struct goslab_ioc_stats x = *a, y = *b;

	x.session_charged = 0;
	x.session_objects = 0;
	x.session_caches = 0;
	y.session_charged = 0;
	y.session_objects = 0;
	y.session_caches = 0;
	return gs_stats_same(&x, &y, what);
}

/* The kernel's taint mask: a WARN or worse sets a bit. */
static inline unsigned long gs_taint(void)
{
	unsigned long t = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "re");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t;
}

/* Taint bits that mean a kernel splat (W, D, L, B): not module loading. */
#define GS_TAINT_SPLAT	((1UL << 9) | (1UL << 7) | (1UL << 14) | (1UL << 5))

/*
 * A fixture's teardown: close the test's file (if @fd >= 0), then check
 * that goslab's global counters are back at @base and that no splat has
 * tainted the kernel since @taint was read.
 */
static inline void gs_check_closed(struct __test_metadata *_metadata, int fd,
				   const struct goslab_ioc_stats *base,
				   unsigned long taint, const char *what)
{
	struct goslab_ioc_stats after;

	if (fd >= 0)
		close(fd);
	fd = gs_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gs_snap(fd, &after));
	close(fd);
	EXPECT_TRUE(gs_global_same(base, &after, what));
	EXPECT_EQ(0, gs_taint() & ~taint & GS_TAINT_SPLAT);
}

/* Read a number from a sysfs or debugfs file; -1 if it cannot. */
static inline long long gs_read_num(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Write a string to a sysfs, debugfs or procfs file; 0 or -errno. */
static inline int gs_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

#define GS_PARAM_RETAIN	"/sys/module/goslab/parameters/retain_kb"

/*
 * Hold the scavenger off: retain_kb raised so high that the heap keeps
 * every free page until gs_scavenger_on().  Return: retain_kb as it was,
 * or -1 (and nothing changed) if it could not be read or written.
 */
static inline long long gs_scavenger_off(void)
{
	long long was = gs_read_num(GS_PARAM_RETAIN);

	if (was < 0 || gs_write_str(GS_PARAM_RETAIN, "4194304"))
		return -1;
	return was;
}

/* Put retain_kb back as gs_scavenger_off() found it: 0 or -errno. */
static inline int gs_scavenger_on(long long was)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", was);
	return gs_write_str(GS_PARAM_RETAIN, buf);
}

/*
 * Open @n sessions into @fd under a cap of @cap_kb KiB, then put
 * session_cap_kb back as it was.  An fd that could not be opened is
 * negative.  Return: 0, or the first -errno of the parameter's handling.
 */
static inline int gs_open_capped(unsigned int cap_kb, int *fd, int n)
{
	long long old = gs_read_num(GS_PARAM_CAP);
	char buf[32];
	int i, ret;

	if (old < 0)
		return -EIO;
	snprintf(buf, sizeof(buf), "%u", cap_kb);
	ret = gs_write_str(GS_PARAM_CAP, buf);
	for (i = 0; i < n; i++)
		fd[i] = ret ? -1 : gs_open();
	snprintf(buf, sizeof(buf), "%lld", old);
	return ret ?: gs_write_str(GS_PARAM_CAP, buf);
}

/*
 * Memory with a PROT_NONE page right after @len bytes (rounded to pages):
 * the returned pointer + its length is the first byte that faults.
 */
static inline void *gs_map_guarded(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + pg - 1) / pg * pg;
	char *p = mmap(NULL, span + pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + span, pg, PROT_NONE)) {
		munmap(p, span + pg);
		return NULL;
	}
	return p + span - len;
}

/* @x rounded up to a multiple of @to. */
static inline __u64 gs_round_up(__u64 x, __u64 to)
{
	return (x + to - 1) / to * to;
}

/* A deterministic PRNG (splitmix64), the same on every libc. */
static inline __u64 gs_rand(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Fill @buf with a pattern that depends on @seed and the byte's position. */
static inline void gs_pattern(void *buf, size_t len, __u64 seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

/* Offset of the first byte of @buf that differs from @c, or -1. */
static inline long gs_find_not(const void *buf, int c, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)c)
			return (long)i;
	return -1;
}

#endif /* GOSLAB_UTIL_H */
