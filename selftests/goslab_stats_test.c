// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab's STATS command: the session's counters follow what it
 * allocates and frees, and goslab's own are those debugfs shows.
 */
#include "kselftest_harness.h"
#include "goslab_util.h"
#include "goslab_dev_fixture.h"

TEST_F(dev, stats_track_session)
{
	struct goslab_ioc_stats a, b;
	__u64 h, c;

	ASSERT_EQ(0, gs_snap(self->fd, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(0, a.session_objects);
	EXPECT_EQ(0, a.session_charged);
	EXPECT_EQ(0, a.objects_cached);	/* trimmed */

	ASSERT_EQ(0, gs_alloc(self->fd, 100000, 0, &h));
	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, 0, &c));
	ASSERT_EQ(0, gs_snap(self->fd, &b));
	EXPECT_EQ(a.large_in_use + 1, b.large_in_use);
	EXPECT_EQ(a.objects_in_use + 1, b.objects_in_use);
	EXPECT_LE(a.pages_held + 100000 / PAGE, b.pages_held);
	EXPECT_LE(a.pages_in_use + 100000 / PAGE, b.pages_in_use);
	EXPECT_EQ(1, b.session_objects);
	EXPECT_EQ(1, b.session_caches);
	/* A large object is charged its whole 8 KiB heap pages. */
	EXPECT_EQ(gs_round_up(100000, 8192) + GOSLAB_DEV_OBJ_CHARGE +
		  GOSLAB_DEV_CACHE_CHARGE, b.session_charged);

	ASSERT_EQ(0, gs_free(self->fd, h));
	ASSERT_EQ(0, gs_cache_destroy(self->fd, c));
	ASSERT_EQ(0, gs_snap(self->fd, &b));
	EXPECT_TRUE(gs_stats_same(&a, &b, "alloc+free"));
	EXPECT_LE(a.pages_released, b.pages_released);
}

/* GOSLAB_IOC_STATS shows what debugfs shows, field for field. */
TEST_F(dev, stats_match_debugfs)
{
	static const struct { const char *name; size_t off; } f[] = {
#define F(x) { #x, offsetof(struct goslab_ioc_stats, x) }
		F(pages_held), F(pages_in_use), F(pages_free), F(pages_released),
		F(objects_in_use), F(bytes_in_use), F(objects_cached),
		F(large_in_use), F(debug_double_free), F(debug_invalid_free),
		F(debug_poison_corrupt),
#undef F
	};
	struct goslab_ioc_stats a, b;
	unsigned long long v;
	unsigned int i, seen = 0;
	char name[64];
	FILE *t;
	__u64 h;

	/* Something in every tier, so that the numbers are not all 0. */
	ASSERT_EQ(0, gs_alloc(self->fd, 8, 0, &h));
	ASSERT_EQ(0, gs_alloc(self->fd, 100, 0, &h));
	ASSERT_EQ(0, gs_alloc(self->fd, 100000, 0, &h));
	ASSERT_EQ(0, gs_snap(self->fd, &a));
	t = fopen("/sys/kernel/debug/goslab/totals", "re");
	if (!t)
		SKIP(return, "/sys/kernel/debug/goslab/totals: %s", strerror(errno));
	ASSERT_EQ(0, gs_stats(self->fd, 0, &b));
	ASSERT_TRUE(gs_stats_same(&a, &b, "quiescent"));
	while (fscanf(t, "%63s %llu", name, &v) == 2) {
		for (i = 0; i < ARRAY_SIZE(f); i++) {
			if (strcmp(name, f[i].name))
				continue;
			seen++;
			EXPECT_EQ(v, *(__u64 *)((char *)&a + f[i].off)) {
				TH_LOG("%s: debugfs %llu", name, v);
			}
		}
	}
	fclose(t);
	EXPECT_EQ(ARRAY_SIZE(f), seen);
	EXPECT_LT(0, a.objects_in_use);
}

TEST_HARNESS_MAIN
