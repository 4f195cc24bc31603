// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab's cache commands (CACHE_CREATE, CACHE_ALLOC, CACHE_FREE,
 * CACHE_DESTROY): caches of every shape with data written and read back,
 * constructors, then each error (bad sizes and alignments, a busy cache,
 * an object given to the wrong cache, too many caches), checked for its
 * errno and for leaving the counters exactly as they were.
 */
#include "kselftest_harness.h"
#include "goslab_util.h"
#include "goslab_dev_fixture.h"

/* ---- success paths ---- */

TEST_F(dev, cache_lifecycle)
{
	static const struct { __u32 size, align; } shapes[] = {
		{ 1, 0 }, { 7, 0 }, { 24, 8 }, { 100, 64 }, { 200, 0 },
		{ 4096, 4096 }, { 5000, 8192 }, { 32768, 0 },
	};
	unsigned char pat[32768], got[32768];
	enum { N = 40 };
	__u64 c, h[N];
	unsigned int i, k;

	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		__u32 len = shapes[i].size;
		struct goslab_ioc_stats st;

		ASSERT_EQ(0, gs_cache_create(self->fd, len, shapes[i].align, 0, &c));
		for (k = 0; k < N; k++) {
			ASSERT_EQ(0, gs_cache_alloc(self->fd, c, k & 1 ? GOSLAB_ALLOC_ZERO : 0,
						    &h[k]));
			ASSERT_EQ(0, gs_read(self->fd, h[k], 0, len, got));
			EXPECT_EQ(-1, gs_find_not(got, k & 1 ? 0 : GOSLAB_DEV_FILL_BYTE, len));
			gs_pattern(pat, len, k);
			ASSERT_EQ(0, gs_write(self->fd, h[k], 0, len, pat));
		}
		ASSERT_EQ(0, gs_stats(self->fd, 0, &st));
		EXPECT_EQ(N, st.session_objects);
		EXPECT_EQ(1, st.session_caches);
		/* Each object is charged the same: at least its slot. */
		st.session_charged -= GOSLAB_DEV_CACHE_CHARGE;
		EXPECT_EQ(0, st.session_charged % N);
		EXPECT_LE(N * (gs_round_up(len, shapes[i].align ? : 8) +
			       GOSLAB_DEV_OBJ_CHARGE), st.session_charged);
		for (k = 0; k < N; k++) {
			gs_pattern(pat, len, k);
			ASSERT_EQ(0, gs_read(self->fd, h[k], 0, len, got));
			EXPECT_EQ(0, memcmp(pat, got, len));
			ASSERT_EQ(0, gs_cache_free(self->fd, c, h[k]));
		}
		ASSERT_EQ(0, gs_cache_destroy(self->fd, c));
		/* Gone: the handle is stale now. */
		EXPECT_EQ(-ENOENT, gs_cache_alloc(self->fd, c, 0, &h[0]));
	}
}

/* The constructor runs once per object and its work survives a free. */
TEST_F(dev, cache_ctor)
{
	enum { N = 300 };
	__u64 c, h[N], magic;
	unsigned int k;

	ASSERT_EQ(0, gs_cache_create(self->fd, 48, 0, GOSLAB_CACHE_CTOR, &c));
	for (k = 0; k < N; k++) {
		ASSERT_EQ(0, gs_cache_alloc(self->fd, c, 0, &h[k]));
		ASSERT_EQ(0, gs_read(self->fd, h[k], 0, 8, &magic));
		EXPECT_EQ(GOSLAB_DEV_CTOR_MAGIC, magic);
		/* Scribble past the constructed part only. */
		ASSERT_EQ(0, gs_write(self->fd, h[k], 8, 8, &magic));
	}
	for (k = 0; k < N; k++)
		ASSERT_EQ(0, gs_cache_free(self->fd, c, h[k]));
	for (k = 0; k < N; k++) {
		ASSERT_EQ(0, gs_cache_alloc(self->fd, c, 0, &h[k]));
		ASSERT_EQ(0, gs_read(self->fd, h[k], 0, 8, &magic));
		EXPECT_EQ(GOSLAB_DEV_CTOR_MAGIC, magic) {
			TH_LOG("object %u lost its constructed state", k);
		}
	}
	for (k = 0; k < N; k++)
		ASSERT_EQ(0, gs_free(self->fd, h[k]));	/* FREE takes them too */
	ASSERT_EQ(0, gs_cache_destroy(self->fd, c));
}

/* ---- error paths ---- */

TEST_F(dev, cache_bad_args)
{
	__u64 c, h;

	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_create(self->fd, 0, 0, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL,
		      gs_cache_create(self->fd, GOSLAB_DEV_MAX_CACHE_OBJ + 1, 0, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_create(self->fd, ~0U, 0, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_create(self->fd, 64, 3, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_create(self->fd, 64, 24, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL,
		      gs_cache_create(self->fd, 64, GOSLAB_DEV_MAX_CACHE_ALIGN * 2, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_create(self->fd, 64, 1U << 31, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL,
		      gs_cache_create(self->fd, 7, 0, GOSLAB_CACHE_CTOR, &c));

	/* Zeroing would undo a constructor. */
	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, GOSLAB_CACHE_CTOR, &c));
	FAILS_CLEANLY(self->fd, EINVAL,
		      gs_cache_alloc(self->fd, c, GOSLAB_ALLOC_ZERO, &h));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, c));
}

TEST_F(dev, cache_busy_and_mismatch)
{
	__u64 c1, c2, o1, o2, h;

	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, 0, &c1));
	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, 0, &c2));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, c1, 0, &o1));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, c2, 0, &o2));
	ASSERT_EQ(0, gs_alloc(self->fd, 64, 0, &h));

	FAILS_CLEANLY(self->fd, EBUSY, gs_cache_destroy(self->fd, c1));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_free(self->fd, c1, o2));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_free(self->fd, c2, o1));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_free(self->fd, c1, h));

	EXPECT_EQ(0, gs_cache_free(self->fd, c1, o1));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, c1));
	EXPECT_EQ(0, gs_free(self->fd, o2));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, c2));
	EXPECT_EQ(0, gs_free(self->fd, h));
}

TEST_F(dev, too_many_caches)
{
	__u64 c[GOSLAB_DEV_MAX_CACHES], x;
	unsigned int i;

	for (i = 0; i < GOSLAB_DEV_MAX_CACHES; i++)
		ASSERT_EQ(0, gs_cache_create(self->fd, 8 + i, 0, 0, &c[i]));
	FAILS_CLEANLY(self->fd, ENOSPC, gs_cache_create(self->fd, 8, 0, 0, &x));
	ASSERT_EQ(0, gs_cache_destroy(self->fd, c[0]));
	ASSERT_EQ(0, gs_cache_create(self->fd, 8, 0, 0, &c[0]));
	for (i = 0; i < GOSLAB_DEV_MAX_CACHES; i++)
		ASSERT_EQ(0, gs_cache_destroy(self->fd, c[i]));
}

TEST_HARNESS_MAIN
