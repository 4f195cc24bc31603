// SPDX-License-Identifier: GPL-2.0
/*
 * What a /dev/goslab session may take and what it leaves the next: the
 * memory cap (session_cap_kb), which bounds the memory pinned, not the
 * bytes asked for; no stale data from one session in any kind of object
 * of the next; the device node's permissions (failing, not skipping,
 * where root cannot open it).
 */
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "goslab_util.h"
#include "goslab_dev_fixture.h"

/* ---- the session cap ---- */

/* The default cap is 64 MiB, unless someone changed the parameter. */
TEST_F(dev, session_cap_default)
{
	if (gs_read_num(GS_PARAM_CAP) != 64 * 1024)
		SKIP(return, "session_cap_kb is not at its default");
	EXPECT_EQ(64 * MIB, self->v.session_cap);
}

/*
 * Fill the session to its cap, with ever smaller objects until even the
 * smallest charge (an 8-byte slot) does not fit: then every allocation
 * is ENOMEM.
 */
TEST_F(dev, session_cap)
{
	static const __u64 lens[] = { 4 * MIB, 64 * 1024, 8192, 1024, 64, 8 };
	struct goslab_ioc_stats st;
	__u64 c, h, first = 0, left;
	unsigned int i;
	int ret, fd2;

	if (self->v.session_cap > 256 * MIB)
		SKIP(return, "session cap %llu KiB is too big to fill here",
		     (unsigned long long)self->v.session_cap / 1024);
	ASSERT_EQ(0, gs_cache_create(self->fd, 100, 0, 0, &c));
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		while (!(ret = gs_alloc(self->fd, lens[i], 0, &h)))
			if (!first)
				first = h;
		ASSERT_EQ(-ENOMEM, ret);
	}
	ASSERT_EQ(0, gs_stats(self->fd, 0, &st));
	left = self->v.session_cap - st.session_charged;
	ASSERT_GT(8 + GOSLAB_DEV_OBJ_CHARGE, left);

	FAILS_CLEANLY(self->fd, ENOMEM, gs_alloc(self->fd, 1, 0, &h));
	FAILS_CLEANLY(self->fd, ENOMEM, gs_alloc(self->fd, 1, GOSLAB_ALLOC_ZERO, &h));
	FAILS_CLEANLY(self->fd, ENOMEM, gs_alloc(self->fd, 2 * MIB, 0, &h));
	FAILS_CLEANLY(self->fd, ENOMEM, gs_alloc(self->fd, GOSLAB_DEV_MAX_ALLOC, 0, &h));
	FAILS_CLEANLY(self->fd, ENOMEM, gs_cache_alloc(self->fd, c, 0, &h));
	FAILS_CLEANLY(self->fd, ENOMEM, gs_cache_create(self->fd, 100, 0, 0, &h));

	/* Room again after a free; other sessions have their own cap. */
	ASSERT_EQ(0, gs_free(self->fd, first));
	EXPECT_EQ(0, gs_cache_alloc(self->fd, c, 0, &h));
	EXPECT_EQ(0, gs_alloc(self->fd, 1000, 0, &h));
	fd2 = gs_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, gs_alloc(fd2, MIB, 0, &h));
	close(fd2);
}

/* The cap is read at open: a smaller one for the next session. */
TEST_F(dev, session_cap_param)
{
	struct goslab_ioc_version v;
	__u64 h;
	int fd2;

	ASSERT_EQ(0, gs_open_capped(16, &fd2, 1));
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, gs_version(fd2, &v));
	EXPECT_EQ(16 * 1024, v.session_cap);
	/* 8192 bytes and the record; the second does not fit. */
	EXPECT_EQ(0, gs_alloc(fd2, 8192, 0, &h));
	FAILS_CLEANLY(fd2, ENOMEM, gs_alloc(fd2, 8192, 0, &h));
	close(fd2);
	/* Ours, opened before, kept its own. */
	ASSERT_EQ(0, gs_version(self->fd, &v));
	EXPECT_EQ(self->v.session_cap, v.session_cap);
}

/*
 * The cap bounds the memory a session pins, not the bytes it asks for:
 * under a 4 MiB cap, allocate objects whose slot is far larger than their
 * length until ENOMEM, and count the pages goslab has in use for them.
 * Each loop stops at twice the cap's worth of slots, should the cap not
 * hold.  "About the cap": the last span of a size may be partly empty.
 */
TEST_F(dev, cap_counts_pinned_memory)
{
	static const struct {
		const char *what;
		__u32 obj_size, align;	/* a cache's; 0: GOSLAB_IOC_ALLOC */
		__u32 gc_data;		/* a GC type's data bytes; 0: not GC */
		__u64 len;
		__u64 slot;		/* memory one object pins at least */
	} loops[] = {
		{ "cache of 1-byte objects aligned to 8192", 1, 8192, 0, 0, 8192 },
		{ "cache of 2049-byte objects aligned to 2048", 2049, 2048, 0, 0, 4096 },
		{ "8193-byte objects", 0, 0, 0, 8193, 9472 },
		{ "32769-byte objects", 0, 0, 0, 32769, 40960 },
		{ "GC objects of 32784 bytes", 0, 0, GOSLAB_DEV_MAX_GC_DATA, 0, 40960 },
	};
	const __u64 cap = 4096 * 1024;
	struct goslab_ioc_stats a, b;
	int fd[ARRAY_SIZE(loops)];
	__u64 c = 0, h, n, limit, pinned, heap;
	unsigned int i;
	int ret = 0;

	/* A session per loop, all opened under the small cap. */
	ASSERT_EQ(0, gs_open_capped(4096, fd, ARRAY_SIZE(loops)));

	for (i = 0; i < ARRAY_SIZE(loops); i++) {
		ASSERT_LE(0, fd[i]);
		if (loops[i].gc_data && !(self->v.features & GOSLAB_FEATURE_GC)) {
			TH_LOG("%s: %s", loops[i].what, GS_NO_GC);
			close(fd[i]);
			continue;
		}
		ASSERT_EQ(0, gs_snap(fd[i], &a));
		if (loops[i].obj_size)
			ASSERT_EQ(0, gs_cache_create(fd[i], loops[i].obj_size,
						     loops[i].align, 0, &c));
		if (loops[i].gc_data) {
			ASSERT_EQ(0, gs_gc_heap_create(fd[i], GOSLAB_GC_HEAP_MANUAL,
						       &heap));
			ASSERT_EQ(0, gs_gc_type_create(fd[i], heap, 0,
						       loops[i].gc_data, &c));
		}
		limit = 2 * cap / loops[i].slot;
		for (n = 0; n < limit; n++) {
			if (loops[i].gc_data)
				ret = gs_gc_alloc(fd[i], c, &h, NULL);
			else if (loops[i].obj_size)
				ret = gs_cache_alloc(fd[i], c, 0, &h);
			else
				ret = gs_alloc(fd[i], loops[i].len, 0, &h);
			if (ret)
				break;
		}
		ASSERT_EQ(0, gs_snap(fd[i], &b));
		pinned = (b.pages_in_use - a.pages_in_use) * PAGE;
		TH_LOG("%s: %llu objects pin %llu KiB, charged %llu KiB",
		       loops[i].what, (unsigned long long)n,
		       (unsigned long long)pinned / 1024,
		       (unsigned long long)b.session_charged / 1024);
		EXPECT_EQ(-ENOMEM, ret) {
			TH_LOG("%s: no ENOMEM after %llu objects",
			       loops[i].what, (unsigned long long)n);
		}
		EXPECT_GE(cap + cap / 16, pinned) {
			TH_LOG("%s: %llu KiB pinned under a %llu KiB cap",
			       loops[i].what, (unsigned long long)pinned / 1024,
			       (unsigned long long)cap / 1024);
		}
		EXPECT_GE(cap, b.session_charged);
		close(fd[i]);
	}
}

/* ---- no stale data ---- */

/*
 * No session sees what another left in memory.  The first session writes
 * stale_pat, over and over, into every byte of many objects of each tier
 * and kind (ALLOC, plain caches, constructor caches) and frees them all;
 * the second then reads every byte of fresh objects of each kind and size
 * and must find only what goslab or the device put there: the fill byte,
 * zeroes, or GOSLAB_DEV_CTOR_MAGIC followed by zeroes.
 */
static const unsigned char stale_pat[8] = { 'g', 's', 'S', 'T', 'A', 'L', 'E', '!' };

/* ALLOC lengths: tiny, small, and large (over 32 KiB). */
static const __u64 stale_alloc_lens[] = {
	1, 7, 13, 16, 100, 1001, 5000, 32768, 40000, 100000, MIB,
};

/* Cache object sizes; at least 8 for the constructor. */
static const __u32 stale_cache_sizes[] = {
	8, 13, 24, 100, 1001, 5000, 20000, 32768,
};

#define STALE_MAX	256

/* Objects of @len bytes per size and kind: about 512 KiB, 8 to 256. */
static unsigned int stale_count(__u64 len)
{
	__u64 n = 512 * 1024 / len;

	return n < 8 ? 8 : n > STALE_MAX ? STALE_MAX : n;
}

static void stale_fill(unsigned char *buf, __u64 len)
{
	__u64 i;

	for (i = 0; i < len; i++)
		buf[i] = stale_pat[i % sizeof(stale_pat)];
}

/*
 * Whether the @len bytes read, @got, are @want and hold no copy of
 * stale_pat at any offset; if not, and @log, say where they differ.
 */
static bool stale_ok(struct __test_metadata *_metadata, bool log,
		     const char *what, __u64 len, const unsigned char *got,
		     const unsigned char *want)
{
	const unsigned char *pat = memmem(got, len, stale_pat, sizeof(stale_pat));
	__u64 i;

	if (!pat && !memcmp(got, want, len))
		return true;
	for (i = 0; i < len - 1 && got[i] == want[i]; i++)
		;
	if (log)
		TH_LOG("%s of %llu bytes: byte %llu is %#x, not %#x; stale_pat %s %lld",
		       what, (unsigned long long)len, (unsigned long long)i,
		       got[i], want[i], pat ? "at byte" : "absent",
		       pat ? (long long)(pat - got) : -1LL);
	return false;
}

/* Session one: fill objects with stale_pat, free them, close. */
static void stale_dirty(struct __test_metadata *_metadata, unsigned char *pat)
{
	static __u64 h[STALE_MAX];
	unsigned int i, k, n, ctor;
	__u64 c;
	int fd;

	fd = gs_open();
	ASSERT_LE(0, fd);
	stale_fill(pat, MIB);
	for (i = 0; i < ARRAY_SIZE(stale_alloc_lens); i++) {
		__u64 len = stale_alloc_lens[i];

		n = stale_count(len);
		for (k = 0; k < n; k++) {
			ASSERT_EQ(0, gs_alloc(fd, len, 0, &h[k]));
			ASSERT_EQ(0, gs_write(fd, h[k], 0, len, pat));
		}
		for (k = 0; k < n; k++)
			ASSERT_EQ(0, gs_free(fd, h[k]));
	}
	for (ctor = 0; ctor < 2; ctor++) {
		for (i = 0; i < ARRAY_SIZE(stale_cache_sizes); i++) {
			__u32 len = stale_cache_sizes[i];

			ASSERT_EQ(0, gs_cache_create(fd, len, 0,
						     ctor ? GOSLAB_CACHE_CTOR : 0, &c));
			n = stale_count(len);
			for (k = 0; k < n; k++) {
				ASSERT_EQ(0, gs_cache_alloc(fd, c, 0, &h[k]));
				ASSERT_EQ(0, gs_write(fd, h[k], 0, len, pat));
			}
			for (k = 0; k < n; k++)
				ASSERT_EQ(0, gs_cache_free(fd, c, h[k]));
			ASSERT_EQ(0, gs_cache_destroy(fd, c));
		}
	}
	ASSERT_EQ(0, close(fd));
}

/*
 * Its own fixture: the heap keeps all the free pages the first session
 * leaves (retain_kb raised, so the scavenger gives none back) for the
 * second to reuse, and teardown puts retain_kb back.
 */
FIXTURE(stale) {
	int fd;
	long long retain_kb;
	struct goslab_ioc_stats base;
	unsigned long taint;
};

FIXTURE_SETUP(stale)
{
	self->retain_kb = -1;
	self->fd = gs_open();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, gs_snap(self->fd, &self->base));
	self->taint = gs_taint();
	self->retain_kb = gs_scavenger_off();
	ASSERT_LE(0, self->retain_kb);
}

FIXTURE_TEARDOWN(stale)
{
	if (self->retain_kb >= 0)
		EXPECT_EQ(0, gs_scavenger_on(self->retain_kb));
	gs_check_closed(_metadata, self->fd, &self->base, self->taint,
			"after close");
}

/* Session two (self->fd): fresh objects of each kind, every byte read. */
TEST_F(stale, no_stale_data)
{
	unsigned char *got = malloc(MIB), *want = malloc(MIB);
	static __u64 h[STALE_MAX];
	unsigned int i, k, n, bad, ctor, total = 0;
	__u64 c, magic = GOSLAB_DEV_CTOR_MAGIC;
	char what[64];

	ASSERT_NE(NULL, got);
	ASSERT_NE(NULL, want);
	stale_dirty(_metadata, got);

	/* Constructor caches first: nothing of ours is in the heap yet. */
	for (ctor = 2; ctor-- > 0;) {
		for (i = 0; i < ARRAY_SIZE(stale_cache_sizes); i++) {
			__u32 len = stale_cache_sizes[i];

			ASSERT_EQ(0, gs_cache_create(self->fd, len, 0,
						     ctor ? GOSLAB_CACHE_CTOR : 0, &c));
			n = stale_count(len);
			bad = 0;
			for (k = 0; k < n; k++) {
				__u32 zero = !ctor && (k & 1) ? GOSLAB_ALLOC_ZERO : 0;

				ASSERT_EQ(0, gs_cache_alloc(self->fd, c, zero, &h[k]));
				memset(got, 0xee, len);
				ASSERT_EQ(0, gs_read(self->fd, h[k], 0, len, got));
				/* Nothing past the object: not even its padding. */
				if (!k)
					EXPECT_EQ(-EINVAL, gs_read(self->fd, h[k], len, 1, got));
				if (ctor) {
					/* The constructor's 8 bytes, zeroes after. */
					memset(want, 0, len);
					memcpy(want, &magic, sizeof(magic));
				} else {
					memset(want, zero ? 0 : GOSLAB_DEV_FILL_BYTE, len);
				}
				snprintf(what, sizeof(what), "%s cache object%s",
					 ctor ? "constructor" : "plain",
					 zero ? ", zeroed" : "");
				bad += !stale_ok(_metadata, !bad, what, len, got, want);
			}
			EXPECT_EQ(0, bad) {
				TH_LOG("%s cache of %u: %u of %u objects hold stale data",
				       ctor ? "constructor" : "plain", len, bad, n);
			}
			total += bad;
			for (k = 0; k < n; k++)
				ASSERT_EQ(0, gs_cache_free(self->fd, c, h[k]));
			ASSERT_EQ(0, gs_cache_destroy(self->fd, c));
		}
	}
	for (i = 0; i < ARRAY_SIZE(stale_alloc_lens); i++) {
		__u64 len = stale_alloc_lens[i];

		n = stale_count(len);
		bad = 0;
		for (k = 0; k < n; k++) {
			__u32 zero = k & 1 ? GOSLAB_ALLOC_ZERO : 0;

			ASSERT_EQ(0, gs_alloc(self->fd, len, zero, &h[k]));
			memset(got, 0xee, len);
			ASSERT_EQ(0, gs_read(self->fd, h[k], 0, len, got));
			memset(want, zero ? 0 : GOSLAB_DEV_FILL_BYTE, len);
			snprintf(what, sizeof(what), "ALLOC%s", zero ? " zeroed" : "");
			bad += !stale_ok(_metadata, !bad, what, len, got, want);
		}
		EXPECT_EQ(0, bad) {
			TH_LOG("ALLOC %llu: %u of %u objects hold stale data",
			       (unsigned long long)len, bad, n);
		}
		total += bad;
		for (k = 0; k < n; k++)
			ASSERT_EQ(0, gs_free(self->fd, h[k]));
	}
	EXPECT_EQ(0, total);
	free(got);
	free(want);
}

/* ---- permissions ---- */

/* Failures, not skips: the programs run where goslab.ko is loaded. */
TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(GS_DEV, &st)) {
		TH_LOG(GS_DEV ": %s", strerror(errno));
	}
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
}

/* Dropped to nobody, the device is out of reach; root again cannot be had. */
TEST(unprivileged_open)
{
	int status, fd;
	pid_t pid;

	/* Root can: else the refusal below would prove nothing. */
	fd = gs_open();
	ASSERT_LE(0, fd) {
		TH_LOG("root cannot open " GS_DEV ": %s", strerror(errno));
	}
	close(fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		gid_t none[1] = { 65534 };

		if (setgroups(1, none) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		fd = gs_open();
		if (fd >= 0)
			_exit(11);
		_exit(errno == EACCES ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child: 10 cannot drop privileges, 11 opened, 12 wrong errno");
	}
}

TEST_HARNESS_MAIN
