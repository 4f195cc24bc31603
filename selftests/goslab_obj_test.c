// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab's version and object commands (VERSION, ALLOC, FREE, WRITE,
 * READ, USABLE_SIZE) and the handles they give: data written and read
 * back in every tier, zeroing, handles never reused, a close freeing all;
 * then each error, checked for its errno and for leaving goslab's and the
 * session's counters exactly as they were.
 */
#include "kselftest_harness.h"
#include "goslab_util.h"
#include "goslab_dev_fixture.h"

/*
 * Lengths across goslab's tiers, with where each must land; 0 for "tiny
 * or small", where that is goslab's policy to choose (8 bytes, a common
 * kernel size, may get a size class of its own).
 */
static const struct {
	__u64 len;
	__u32 tier;
} sizes[] = {
	{ 1, GOSLAB_TIER_TINY },
	{ 8, 0 },
	{ 15, GOSLAB_TIER_TINY },
	{ 16, GOSLAB_TIER_SMALL },
	{ 17, GOSLAB_TIER_SMALL },
	{ 100, GOSLAB_TIER_SMALL },
	{ 1024, GOSLAB_TIER_SMALL },
	{ 4096, GOSLAB_TIER_SMALL },
	{ 8193, GOSLAB_TIER_SMALL },
	{ 32768, GOSLAB_TIER_SMALL },
	{ 32769, GOSLAB_TIER_LARGE },
	{ 65536, GOSLAB_TIER_LARGE },
	{ MIB, GOSLAB_TIER_LARGE },
	{ 4 * MIB, GOSLAB_TIER_LARGE },
	{ 4 * MIB + 1, GOSLAB_TIER_HUGE },
	{ 6 * MIB + 12345, GOSLAB_TIER_HUGE },
};

/* ---- success paths ---- */

TEST_F(dev, version)
{
	struct goslab_ioc_version v;
	long long cap_kb = gs_read_num(GS_PARAM_CAP);

	ASSERT_EQ(0, gs_version(self->fd, &v));
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_EQ(GOSLAB_VERSION_MAJOR, v.major);
	EXPECT_EQ(GOSLAB_VERSION_MINOR, v.minor);
	/*
	 * GOSLAB_FEATURE_GC follows the build: goslab_gc_test's fixture and
	 * goslab_abi_test's gc_commands_follow_feature check it.
	 */
	EXPECT_EQ(GOSLAB_FEATURE_ALLOC | GOSLAB_FEATURE_RW | GOSLAB_FEATURE_CACHE |
		  GOSLAB_FEATURE_CACHE_CTOR | GOSLAB_FEATURE_STATS,
		  v.features & ~(GOSLAB_FEATURE_DEBUG | GOSLAB_FEATURE_GC));
	EXPECT_EQ(GOSLAB_DEV_MAX_ALLOC, v.max_alloc);
	EXPECT_EQ(GOSLAB_DEV_OBJ_CHARGE, v.obj_charge);
	EXPECT_EQ(GOSLAB_DEV_CACHE_CHARGE, v.cache_charge);
	EXPECT_EQ(GOSLAB_DEV_MAX_CACHE_OBJ, v.max_cache_obj);
	EXPECT_EQ(GOSLAB_DEV_MAX_CACHE_ALIGN, v.max_cache_align);
	EXPECT_EQ(GOSLAB_DEV_MAX_CACHES, v.max_caches);
	EXPECT_LT(1, v.nr_size_classes);
	ASSERT_LE(0, cap_kb);
	EXPECT_EQ((__u64)cap_kb * 1024, v.session_cap);
	TH_LOG("interface %u.%u, session cap %llu KiB, %u size classes, debug %s",
	       v.major, v.minor, (unsigned long long)v.session_cap / 1024,
	       v.nr_size_classes, self->debug ? "on" : "off");
}

TEST_F(dev, alloc_write_read)
{
	unsigned char *pat = malloc(7 * MIB), *got = malloc(7 * MIB);
	struct goslab_ioc_usable u;
	unsigned int i;
	__u64 h;

	ASSERT_NE(NULL, pat);
	ASSERT_NE(NULL, got);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		__u64 len = sizes[i].len, third = len / 3;
		__u32 tier = sizes[i].tier;

		if (tier == GOSLAB_TIER_TINY && self->debug)
			tier = GOSLAB_TIER_SMALL;	/* no packing in debug mode */
		ASSERT_EQ(0, gs_alloc(self->fd, len, 0, &h));

		/* Not zeroed: the fill byte, never old kernel data. */
		memset(got, 0, len);
		ASSERT_EQ(0, gs_read(self->fd, h, 0, len, got));
		EXPECT_EQ(-1, gs_find_not(got, GOSLAB_DEV_FILL_BYTE, len)) {
			TH_LOG("len %llu: not filled", (unsigned long long)len);
		}

		/* All of it, then a slice in the middle, read back whole. */
		gs_pattern(pat, len, i);
		ASSERT_EQ(0, gs_write(self->fd, h, 0, len, pat));
		gs_pattern(pat + third, third, i + 1000);
		ASSERT_EQ(0, gs_write(self->fd, h, third, third, pat + third));
		memset(got, 0, len);
		ASSERT_EQ(0, gs_read(self->fd, h, 0, len, got));
		EXPECT_EQ(0, memcmp(pat, got, len)) {
			TH_LOG("len %llu: read back differs", (unsigned long long)len);
		}
		/* The last byte alone, and an empty access at the end. */
		ASSERT_EQ(0, gs_read(self->fd, h, len - 1, 1, got));
		EXPECT_EQ(pat[len - 1], got[0]);
		EXPECT_EQ(0, gs_read(self->fd, h, len, 0, got));
		EXPECT_EQ(0, gs_write(self->fd, h, len, 0, got));

		ASSERT_EQ(0, gs_usable(self->fd, h, &u));
		EXPECT_EQ(len, u.len);
		EXPECT_LE(len, u.usable);
		if (!tier && (u.tier == GOSLAB_TIER_TINY || u.tier == GOSLAB_TIER_SMALL))
			tier = u.tier;
		EXPECT_EQ(tier, u.tier) {
			TH_LOG("len %llu: tier %u", (unsigned long long)len, u.tier);
		}
		EXPECT_EQ(0, u.pad);
		if (u.tier == GOSLAB_TIER_LARGE || u.tier == GOSLAB_TIER_HUGE)
			EXPECT_EQ(0, u.usable % 8192);
		if (u.tier == GOSLAB_TIER_SMALL)
			EXPECT_GE(32768, u.usable);
		ASSERT_EQ(0, gs_free(self->fd, h));
	}
	free(pat);
	free(got);
}

/* Zeroing must wipe what the memory held, most likely our own pattern. */
TEST_F(dev, alloc_zero)
{
	unsigned char *buf = malloc(7 * MIB);
	unsigned int i, k;
	__u64 h;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		__u64 len = sizes[i].len;

		for (k = 0; k < 2; k++) {
			ASSERT_EQ(0, gs_alloc(self->fd, len, GOSLAB_ALLOC_ZERO, &h));
			memset(buf, 0xff, len);
			ASSERT_EQ(0, gs_read(self->fd, h, 0, len, buf));
			EXPECT_EQ(-1, gs_find_not(buf, 0, len)) {
				TH_LOG("len %llu: not zeroed", (unsigned long long)len);
			}
			memset(buf, 0xab, len);
			ASSERT_EQ(0, gs_write(self->fd, h, 0, len, buf));
			ASSERT_EQ(0, gs_free(self->fd, h));
		}
	}
	free(buf);
}

/* Many objects live at once, each with its own contents. */
TEST_F(dev, many_live_objects)
{
	enum { N = 2000 };
	static __u64 h[N];
	unsigned char pat[300], got[300];
	__u64 seed = 1;
	unsigned int i;

	for (i = 0; i < N; i++) {
		__u64 len = 1 + gs_rand(&seed) % sizeof(pat);

		ASSERT_EQ(0, gs_alloc(self->fd, len, 0, &h[i]));
		gs_pattern(pat, len, i);
		ASSERT_EQ(0, gs_write(self->fd, h[i], 0, len, pat));
	}
	seed = 1;
	for (i = 0; i < N; i++) {
		__u64 len = 1 + gs_rand(&seed) % sizeof(pat);

		gs_pattern(pat, len, i);
		ASSERT_EQ(0, gs_read(self->fd, h[i], 0, len, got));
		ASSERT_EQ(0, memcmp(pat, got, len)) {
			TH_LOG("object %u of %llu bytes corrupted", i,
			       (unsigned long long)len);
		}
	}
	for (i = 0; i < N; i += 2)
		ASSERT_EQ(0, gs_free(self->fd, h[i]));
	for (i = 1; i < N; i += 2)
		ASSERT_EQ(0, gs_free(self->fd, h[i]));
}

/* A freed handle stays dead, and no new handle repeats an old one. */
TEST_F(dev, handles_never_reused)
{
	enum { N = 1000 };
	static __u64 seen[N];
	unsigned char b = 0;
	unsigned int i, j;

	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, gs_alloc(self->fd, 32, 0, &seen[i]));
		ASSERT_NE(0, seen[i]);
		ASSERT_EQ(0, gs_free(self->fd, seen[i]));
		/* Dead at once, with a live object in the session. */
		EXPECT_EQ(-ENOENT, gs_read(self->fd, seen[i], 0, 1, &b));
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			ASSERT_NE(seen[i], seen[j]);
}

TEST_F(dev, usable_size)
{
	struct goslab_ioc_usable u;
	__u64 h, c, o;

	ASSERT_EQ(0, gs_alloc(self->fd, 1000, 0, &h));
	ASSERT_EQ(0, gs_usable(self->fd, h, &u));
	EXPECT_EQ(sizeof(u), u.size);
	EXPECT_EQ(1000, u.len);
	EXPECT_LE(1000, u.usable);
	EXPECT_GE(1024, u.usable);	/* Go's class for 1000 is 1024 */
	EXPECT_EQ(GOSLAB_TIER_SMALL, u.tier);
	EXPECT_EQ(0, gs_free(self->fd, h));

	ASSERT_EQ(0, gs_cache_create(self->fd, 200, 0, 0, &c));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, c, 0, &o));
	ASSERT_EQ(0, gs_usable(self->fd, o, &u));
	EXPECT_EQ(200, u.len);
	EXPECT_EQ(200, u.usable);	/* a cache's size is exact */
	EXPECT_EQ(GOSLAB_TIER_SMALL, u.tier);
	EXPECT_EQ(0, gs_cache_free(self->fd, c, o));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, c));
}

/* Closing a file with objects and caches in it frees them all. */
TEST_F(dev, close_releases_everything)
{
	struct goslab_ioc_stats a, b, mid;
	unsigned int i;
	__u64 h, c;
	int fd;

	ASSERT_EQ(0, gs_snap(self->fd, &a));
	for (int round = 0; round < 3; round++) {
		fd = gs_open();
		ASSERT_LE(0, fd);
		for (i = 0; i < ARRAY_SIZE(sizes); i++)
			ASSERT_EQ(0, gs_alloc(fd, sizes[i].len, 0, &h));
		for (i = 0; i < 4; i++) {
			ASSERT_EQ(0, gs_cache_create(fd, 100 * (i + 1), 0,
						     i & 1 ? GOSLAB_CACHE_CTOR : 0, &c));
			for (int k = 0; k < 50; k++)
				ASSERT_EQ(0, gs_cache_alloc(fd, c, 0, &h));
		}
		ASSERT_EQ(0, gs_snap(fd, &mid));
		EXPECT_LT(a.pages_held, mid.pages_held);
		EXPECT_EQ(ARRAY_SIZE(sizes) + 200, mid.session_objects);
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(0, gs_snap(self->fd, &b));
		EXPECT_TRUE(gs_stats_same(&a, &b, "close"));
	}
}

/* ---- error paths ---- */

TEST_F(dev, alloc_bad_len)
{
	__u64 h = 0;

	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, 0, 0, &h));
	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, 0, GOSLAB_ALLOC_ZERO, &h));
	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, GOSLAB_DEV_MAX_ALLOC + 1, 0, &h));
	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, 1ULL << 40, 0, &h));
	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, ~0ULL, 0, &h));
	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, ~0ULL - 63, 0, &h));
	EXPECT_EQ(0, h);
}

/* Every way a handle can be wrong, for every command that takes one. */
TEST_F(dev, bad_handles)
{
	__u64 obj, stale, cache, cobj, staleobj, stalecache, other;
	unsigned char b[16] = { 0 };
	struct goslab_ioc_usable u;
	unsigned int i;
	__u64 h;
	int fd2;

	ASSERT_EQ(0, gs_alloc(self->fd, 16, 0, &obj));
	ASSERT_EQ(0, gs_alloc(self->fd, 16, 0, &stale));
	ASSERT_EQ(0, gs_free(self->fd, stale));
	ASSERT_EQ(0, gs_cache_create(self->fd, 16, 0, 0, &cache));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, cache, 0, &cobj));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, cache, 0, &staleobj));
	ASSERT_EQ(0, gs_cache_free(self->fd, cache, staleobj));
	ASSERT_EQ(0, gs_cache_create(self->fd, 16, 0, 0, &stalecache));
	ASSERT_EQ(0, gs_cache_destroy(self->fd, stalecache));
	fd2 = gs_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, gs_alloc(fd2, 16, 0, &other));

	/* Not objects: each must be refused where an object is wanted. */
	__u64 bad_obj[] = {
		0, 1, ~0ULL, 0xffffffff00000000ULL, stale, staleobj,
		obj + (1ULL << 32), obj - (1ULL << 32), obj ^ 1,
		obj & 0xffffffffULL, cache, stalecache, other,
	};
	/* Not caches. */
	__u64 bad_cache[] = {
		0, 1, ~0ULL, stalecache, cache + (1ULL << 32),
		cache & 0xffffffffULL, obj, cobj, stale, other,
	};

	for (i = 0; i < ARRAY_SIZE(bad_obj); i++) {
		h = bad_obj[i];
		FAILS_CLEANLY(self->fd, ENOENT, gs_free(self->fd, h));
		FAILS_CLEANLY(self->fd, ENOENT, gs_read(self->fd, h, 0, 1, b));
		FAILS_CLEANLY(self->fd, ENOENT, gs_write(self->fd, h, 0, 1, b));
		FAILS_CLEANLY(self->fd, ENOENT, gs_read(self->fd, h, 0, 0, b));
		FAILS_CLEANLY(self->fd, ENOENT, gs_usable(self->fd, h, &u));
		FAILS_CLEANLY(self->fd, ENOENT, gs_cache_free(self->fd, cache, h));
	}
	for (i = 0; i < ARRAY_SIZE(bad_cache); i++) {
		h = bad_cache[i];
		FAILS_CLEANLY(self->fd, ENOENT, gs_cache_alloc(self->fd, h, 0, &u.handle));
		FAILS_CLEANLY(self->fd, ENOENT, gs_cache_free(self->fd, h, cobj));
		FAILS_CLEANLY(self->fd, ENOENT, gs_cache_destroy(self->fd, h));
	}
	/* The live ones still work, in their own session only. */
	EXPECT_EQ(0, gs_read(self->fd, obj, 0, 16, b));
	EXPECT_EQ(0, gs_read(fd2, other, 0, 16, b));
	EXPECT_EQ(-ENOENT, gs_read(fd2, obj, 0, 16, b));
	EXPECT_EQ(0, gs_free(self->fd, obj));
	EXPECT_EQ(0, gs_cache_free(self->fd, cache, cobj));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, cache));
	close(fd2);
}

TEST_F(dev, double_free)
{
	__u64 h, c, o;

	ASSERT_EQ(0, gs_alloc(self->fd, 5000, 0, &h));
	ASSERT_EQ(0, gs_free(self->fd, h));
	FAILS_CLEANLY(self->fd, ENOENT, gs_free(self->fd, h));
	ASSERT_EQ(0, gs_cache_create(self->fd, 50, 0, 0, &c));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, c, 0, &o));
	ASSERT_EQ(0, gs_cache_free(self->fd, c, o));
	FAILS_CLEANLY(self->fd, ENOENT, gs_cache_free(self->fd, c, o));
	FAILS_CLEANLY(self->fd, ENOENT, gs_free(self->fd, o));
	ASSERT_EQ(0, gs_cache_destroy(self->fd, c));
	FAILS_CLEANLY(self->fd, ENOENT, gs_cache_destroy(self->fd, c));
}

TEST_F(dev, rw_out_of_range)
{
	static const struct { __u64 off, len; } bad[] = {
		{ 101, 0 }, { 0, 101 }, { 100, 1 }, { 50, 51 }, { 1, 100 },
		{ 1, ~0ULL }, { ~0ULL, 1 }, { ~0ULL, 0 }, { 1ULL << 63, 1ULL << 63 },
		{ 64, ~0ULL - 63 },
	};
	unsigned char pat[100], got[100];
	unsigned int i;
	__u64 h;

	ASSERT_EQ(0, gs_alloc(self->fd, 100, 0, &h));
	gs_pattern(pat, sizeof(pat), 7);
	ASSERT_EQ(0, gs_write(self->fd, h, 0, sizeof(pat), pat));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		FAILS_CLEANLY(self->fd, EINVAL,
			      gs_read(self->fd, h, bad[i].off, bad[i].len, got));
		FAILS_CLEANLY(self->fd, EINVAL,
			      gs_write(self->fd, h, bad[i].off, bad[i].len, got));
	}
	ASSERT_EQ(0, gs_read(self->fd, h, 0, sizeof(got), got));
	EXPECT_EQ(0, memcmp(pat, got, sizeof(got)));
	EXPECT_EQ(0, gs_free(self->fd, h));
}

/* Data buffers that fault: a write changes nothing, a read nothing in goslab. */
TEST_F(dev, bad_data_pointer)
{
	enum { LEN = 3 * PAGE };
	unsigned char *half = gs_map_guarded(LEN / 2);
	unsigned char pat[LEN], got[LEN], *ro;
	__u64 h;

	ASSERT_NE(NULL, half);
	ASSERT_EQ(0, gs_alloc(self->fd, LEN, 0, &h));
	gs_pattern(pat, LEN, 3);
	ASSERT_EQ(0, gs_write(self->fd, h, 0, LEN, pat));

	FAILS_CLEANLY(self->fd, EFAULT, gs_write(self->fd, h, 0, LEN, NULL));
	FAILS_CLEANLY(self->fd, EFAULT, gs_write(self->fd, h, 0, 1, (void *)16));
	FAILS_CLEANLY(self->fd, EFAULT,
		      gs_write(self->fd, h, 0, LEN, (void *)0xffff888000000000UL));
	/* Half of it readable: all or nothing. */
	memset(half, 0x11, LEN / 2);
	FAILS_CLEANLY(self->fd, EFAULT, gs_write(self->fd, h, 0, LEN, half));
	FAILS_CLEANLY(self->fd, EFAULT, gs_write(self->fd, h, 100, LEN - 100, half));
	ASSERT_EQ(0, gs_read(self->fd, h, 0, LEN, got));
	EXPECT_EQ(0, memcmp(pat, got, LEN)) {
		TH_LOG("a faulting write changed the object");
	}

	FAILS_CLEANLY(self->fd, EFAULT, gs_read(self->fd, h, 0, LEN, NULL));
	FAILS_CLEANLY(self->fd, EFAULT,
		      gs_read(self->fd, h, 0, LEN, (void *)0xffff888000000000UL));
	FAILS_CLEANLY(self->fd, EFAULT, gs_read(self->fd, h, 0, LEN, half));
	ro = mmap(NULL, LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	FAILS_CLEANLY(self->fd, EFAULT, gs_read(self->fd, h, 0, LEN, ro));
	munmap(ro, LEN);

	ASSERT_EQ(0, gs_read(self->fd, h, 0, LEN, got));
	EXPECT_EQ(0, memcmp(pat, got, LEN));
	EXPECT_EQ(0, gs_free(self->fd, h));
}

TEST_HARNESS_MAIN
