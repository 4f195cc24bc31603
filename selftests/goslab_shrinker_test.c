// SPDX-License-Identifier: GPL-2.0
/*
 * goslab's shrinker keeps the shrinker contract, seen through the
 * kernel's shrinker debugfs (CONFIG_SHRINKER_DEBUG): "count" says what
 * "scan" can give back, in kernel pages; a scan gives back about what it
 * was asked for, not everything; it leaves the CPUs' free lists alone
 * while free heap pages cover the request, and drains them in the
 * background, without waiting, when they do not.
 */
#include <glob.h>

#include "kselftest_harness.h"
#include "goslab_util.h"

#define NR_OBJS		2048
#define OBJ_SIZE	4096

FIXTURE(shrinker) {
	int fd;
	char count[256];
	char scan[256];
	long long retain_kb;
	struct goslab_ioc_stats base;
	unsigned long taint;
	bool armed;		/* setup changed retain_kb: teardown restores it */
};

FIXTURE_SETUP(shrinker)
{
	glob_t g;

	self->fd = gs_open();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, self->fd);
	/*
	 * Distribution kernels have no CONFIG_SHRINKER_DEBUG; the test
	 * kernels do, and scripts/coverage.txt allows this skip only on
	 * Debian's own.
	 */
	if (access("/sys/kernel/debug/shrinker", F_OK))
		SKIP(return, "no /sys/kernel/debug/shrinker: CONFIG_SHRINKER_DEBUG is off");
	ASSERT_EQ(0, glob("/sys/kernel/debug/shrinker/goslab-*", 0, NULL, &g));
	ASSERT_EQ(1, g.gl_pathc);
	snprintf(self->count, sizeof(self->count), "%s/count", g.gl_pathv[0]);
	snprintf(self->scan, sizeof(self->scan), "%s/scan", g.gl_pathv[0]);
	globfree(&g);
	ASSERT_EQ(0, gs_snap(self->fd, &self->base));
	self->taint = gs_taint();
	/* No scavenger: what the heap holds free stays until a scan. */
	self->retain_kb = gs_scavenger_off();
	ASSERT_LE(0, self->retain_kb);
	self->armed = true;
}

FIXTURE_TEARDOWN(shrinker)
{
	if (!self->armed)	/* setup skipped, or failed before its change */
		return;
	EXPECT_EQ(0, gs_scavenger_on(self->retain_kb));
	gs_check_closed(_metadata, self->fd, &self->base, self->taint,
			"after close");
}

/* The shrinker's count: the second number of its one line, or 0. */
static long long shrink_count(const char *path)
{
	long long ino, n;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (fscanf(f, "%lld %lld", &ino, &n) != 2)
		n = 0;
	fclose(f);
	return n;
}

static int shrink_scan(const char *path, unsigned long nr)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "0 0 %lu", nr);
	return gs_write_str(path, buf);
}

/* Allocate and free @n objects of @size: the heap keeps their pages. */
static void churn(struct __test_metadata *_metadata, int fd,
		  unsigned int n, unsigned int size)
{
	__u64 *h = calloc(n, sizeof(*h));
	unsigned int i;

	ASSERT_NE(NULL, h);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, gs_alloc(fd, size, 0, &h[i]));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, gs_free(fd, h[i]));
	free(h);
}

TEST_F(shrinker, count_is_what_scan_can_free)
{
	struct goslab_ioc_stats st;
	long long count;

	churn(_metadata, self->fd, NR_OBJS, OBJ_SIZE);
	ASSERT_EQ(0, gs_stats(self->fd, 0, &st));
	count = shrink_count(self->count);
	/* 8 MiB went through the heap: most of it is free pages now. */
	ASSERT_LE(NR_OBJS / 2, st.pages_free);
	/* Free pages, and at most what the cached objects take up. */
	EXPECT_LE(st.pages_free, count);
	EXPECT_GE(st.pages_free + st.objects_cached * 32768 / 4096 + 64, count);
}

/*
 * The count is in pages, as the scan's work is: an object on a CPU's list
 * counts by the memory it takes, not as one.  With nothing else cached,
 * the count is exactly the free pages plus the cached objects' bytes in
 * whole pages.
 */
TEST_F(shrinker, count_is_in_pages)
{
	const long page = sysconf(_SC_PAGESIZE);
	struct goslab_ioc_stats st;

	/* Nothing free, nothing cached; then small objects on a list. */
	ASSERT_EQ(0, gs_snap(self->fd, &st));
	churn(_metadata, self->fd, 256, 256);
	ASSERT_EQ(0, gs_stats(self->fd, 0, &st));
	/* Enough that objects and pages differ. */
	ASSERT_LE(16, st.objects_cached);
	EXPECT_EQ(st.pages_free + st.objects_cached * 256 / page,
		  shrink_count(self->count)) {
		TH_LOG("%llu free pages, %llu objects of 256 bytes cached",
		       (unsigned long long)st.pages_free,
		       (unsigned long long)st.objects_cached);
	}
}

TEST_F(shrinker, scan_frees_about_nr_to_scan)
{
	struct goslab_ioc_stats before, after;
	long long c0, c1;

	churn(_metadata, self->fd, NR_OBJS, OBJ_SIZE);
	ASSERT_EQ(0, gs_stats(self->fd, 0, &before));
	ASSERT_LE(1024, before.pages_free);
	c0 = shrink_count(self->count);
	ASSERT_EQ(0, shrink_scan(self->scan, 256));
	ASSERT_EQ(0, gs_stats(self->fd, 0, &after));
	c1 = shrink_count(self->count);
	/* 256 pages, give or take one 8 KiB heap page, not all of them. */
	EXPECT_LE(before.pages_free - 258, after.pages_free);
	EXPECT_GE(before.pages_free - 254, after.pages_free);
	EXPECT_EQ(before.pages_held - after.pages_held,
		  before.pages_free - after.pages_free);
	EXPECT_LE(c0 - 258, c1);
	EXPECT_GE(c0 - 254, c1);
	/* Free pages covered the request: the CPUs' lists were left alone. */
	EXPECT_EQ(before.objects_cached, after.objects_cached);
}

TEST_F(shrinker, scan_drains_cpu_lists_in_the_background)
{
	struct goslab_ioc_stats st;
	unsigned int i;

	/* Nothing free, nothing cached; then 48 small objects cached. */
	ASSERT_EQ(0, gs_snap(self->fd, &st));
	churn(_metadata, self->fd, 48, 256);
	ASSERT_EQ(0, gs_stats(self->fd, 0, &st));
	ASSERT_LT(0, st.objects_cached);
	ASSERT_LT(0, shrink_count(self->count));
	ASSERT_EQ(0, shrink_scan(self->scan, 1024));
	/* The drain returns the spans; nothing gave their pages back yet. */
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, gs_stats(self->fd, 0, &st));
		if (st.pages_free)
			break;
		usleep(10000);
	}
	EXPECT_LT(0, st.pages_free);
	EXPECT_EQ(0, st.objects_cached);
	/* The next scan gives them back. */
	ASSERT_EQ(0, shrink_scan(self->scan, 1024));
	ASSERT_EQ(0, gs_stats(self->fd, 0, &st));
	EXPECT_EQ(0, st.pages_free);
}

TEST_HARNESS_MAIN
