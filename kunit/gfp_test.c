// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the GFP flags goslab passes on to the kernel.
 *
 * Everything goslab allocates on a caller's behalf, heap chunks and its
 * own metadata, follows the caller's flags (gs_gfp() in
 * module/core/internal.h): GFP_NOWAIT takes no reserves, and __GFP_NOWARN,
 * __GFP_NORETRY, __GFP_NOMEMALLOC, __GFP_RETRY_MAYFAIL and __GFP_NOFAIL
 * keep their meaning.  A chunk larger than the span needs is an
 * opportunity: tried with no reclaim, no kswapd, no reserves, no retry and
 * never __GFP_NOFAIL, and when it fails goslab falls back to smaller
 * orders, down to what the span needs.
 *
 * The cases watch the tracepoints of the page allocator (mm_page_alloc)
 * and of slab (kmalloc, kmem_cache_alloc, the latter two only where
 * goslab's own code called) for the case's own task, and make high orders
 * fail with fail_page_alloc, for that task only.  An allocation is watched
 * after goslab_trim(), which leaves the heap no free run, so the first one
 * that needs a new span grows the heap.
 */
#include <linux/gfp.h>
#include <linux/kallsyms.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/umh.h>

#include "goslab_test.h"

/* What a watched task asked the kernel for. */
struct gfp_event {
	gfp_t gfp;
	unsigned int order;	/* of a page event */
	unsigned long call_site;	/* of a slab event; 0 for a page */
	bool ok;		/* the kernel gave it */
};

#define GFP_MAX_EVENTS	256

/*
 * The log: only the probes running in @task (in task context) write it,
 * and the case reads it once it has stopped watching, so no lock.
 */
static struct {
	struct task_struct *task;
	unsigned int n, lost;
	struct gfp_event ev[GFP_MAX_EVENTS];
} gfp_log;

static void gfp_note(unsigned long call_site, unsigned int order, gfp_t gfp,
		     bool ok)
{
	struct gfp_event *e;

	if (gfp_log.n == GFP_MAX_EVENTS) {
		gfp_log.lost++;
		return;
	}
	e = &gfp_log.ev[gfp_log.n++];
	e->gfp = gfp;
	e->order = order;
	e->call_site = call_site;
	e->ok = ok;
}

static bool gfp_watched(void)
{
	return READ_ONCE(gfp_log.task) == current && in_task();
}

static void gfp_probe_page(void *data, struct page *page, unsigned int order,
			   gfp_t gfp, int migratetype)
{
	if (gfp_watched())
		gfp_note(0, order, gfp, page);
}

static void gfp_probe_kmalloc(void *data, unsigned long call_site,
			      const void *ptr, size_t bytes_req,
			      size_t bytes_alloc, gfp_t gfp, int node)
{
	if (gfp_watched())
		gfp_note(call_site, 0, gfp, ptr);
}

static void gfp_probe_cache(void *data, unsigned long call_site,
			    const void *ptr, struct kmem_cache *s, gfp_t gfp,
			    int node)
{
	if (gfp_watched())
		gfp_note(call_site, 0, gfp, ptr);
}

/*
 * Once watching stops: keep the page events, and the slab events whose
 * call site is goslab's code, not slab's or kmemleak's own.
 */
static void gfp_log_goslab_only(void)
{
	char sym[KSYM_SYMBOL_LEN];
	unsigned int i, n = 0;

	for (i = 0; i < gfp_log.n; i++) {
		if (gfp_log.ev[i].call_site) {
			sprint_symbol(sym, gfp_log.ev[i].call_site);
			if (!strstr(sym, " [goslab]"))
				continue;
		}
		gfp_log.ev[n++] = gfp_log.ev[i];
	}
	gfp_log.n = n;
}

static struct {
	const char *name;
	void *probe;
	struct tracepoint *tp;
} gfp_tps[] = {
	{ "mm_page_alloc", gfp_probe_page },
	{ "kmalloc", gfp_probe_kmalloc },
	{ "kmem_cache_alloc", gfp_probe_cache },
};

/*
 * fail_page_alloc is set through debugfs, whose attribute files the kernel
 * cannot read or write itself (they have no ->read_iter/->write_iter), so
 * a shell does it, as a user would.
 */
static int gfp_sh(const char *cmd)
{
	static const char *const envp[] = { "PATH=/bin:/sbin:/usr/bin", NULL };
	const char *const argv[] = { "/bin/sh", "-c", cmd, NULL };

	return call_usermodehelper(argv[0], (char **)argv, (char **)envp,
				   UMH_WAIT_PROC);
}

#define GFP_FPA_DIR	"/sys/kernel/debug/fail_page_alloc"
#define GFP_FPA_SAVED	"/tmp/goslab-fail_page_alloc"

/* Note the settings a case changes, "probability" first. */
#define GFP_FPA_SAVE	"set -e\n"					\
	"cd " GFP_FPA_DIR "\n"						\
	"for f in probability interval times space verbose \\\n"	\
	"	task-filter min-order ignore-gfp-wait\n"		\
	"do echo \"$f $(cat $f)\"; done >" GFP_FPA_SAVED "\n"

/* Put them back, in that order: the first disarms. */
#define GFP_FPA_RESTORE	"set -e\n"					\
	"cd " GFP_FPA_DIR "\n"						\
	"while read -r f v; do echo \"$v\" >\"$f\"; done <" GFP_FPA_SAVED "\n"

/* Arm: min-order and times to fill in; "probability" last. */
#define GFP_FPA_ARM	"set -e\n"					\
	"cd " GFP_FPA_DIR "\n"						\
	"echo 0 >verbose\n"						\
	"echo Y >task-filter\n"					\
	"echo N >ignore-gfp-wait\n"					\
	"echo %u >min-order\n"						\
	"echo %d >times\n"						\
	"echo 0 >space\n"						\
	"echo 1 >interval\n"						\
	"echo 100 >probability\n"

/* task-filter: fail_page_alloc fails only tasks that say "make it fail". */
static void gfp_make_it_fail(int on)
{
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = on;
#endif
}

/* Put back what gfp_fail_from() found. */
static void gfp_fail_restore(void *unused)
{
	gfp_sh(GFP_FPA_RESTORE);
}

/*
 * Fail this task's page allocations of order @min_order and above, the
 * first @times of them (-1: all), whether or not they may reclaim, until
 * the case ends, when the settings go back to what they were.
 * "probability" is written last, once the rest is set.
 */
static void gfp_fail_from(struct kunit *test, unsigned int min_order,
			  int times)
{
	char cmd[256];
	int len;

	if (!IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC) ||
	    !IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS))
		kunit_skip(test, "needs FAIL_PAGE_ALLOC and FAULT_INJECTION_DEBUG_FS");
	KUNIT_ASSERT_EQ_MSG(test, gfp_sh(GFP_FPA_SAVE), 0, "cannot read %s",
			    GFP_FPA_DIR);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gfp_fail_restore,
							NULL), 0);
	len = snprintf(cmd, sizeof(cmd), GFP_FPA_ARM, min_order, times);
	KUNIT_ASSERT_LT(test, len, sizeof(cmd));
	gfp_make_it_fail(1);
	KUNIT_ASSERT_EQ_MSG(test, gfp_sh(cmd), 0, "cannot set up %s",
			    GFP_FPA_DIR);
}

/* How many of gfp_tps[] have their probe registered. */
static unsigned int gfp_nr_probed;

/* KUnit calls .exit after a failed .init too. */
static void gfp_exit(struct kunit *test)
{
	WRITE_ONCE(gfp_log.task, NULL);
	while (gfp_nr_probed) {
		gfp_nr_probed--;
		tracepoint_probe_unregister(gfp_tps[gfp_nr_probed].tp,
					    gfp_tps[gfp_nr_probed].probe, NULL);
	}
	tracepoint_synchronize_unregister();
}

static int gfp_init(struct kunit *test)
{
	struct tracepoint *tp;
	int ret;

	for (gfp_nr_probed = 0; gfp_nr_probed < ARRAY_SIZE(gfp_tps);
	     gfp_nr_probed++) {
		tp = gs_tracepoint(gfp_tps[gfp_nr_probed].name);
		if (!tp) {
			kunit_err(test, "no tracepoint %s",
				  gfp_tps[gfp_nr_probed].name);
			return -ENOENT;
		}
		ret = tracepoint_probe_register(tp, gfp_tps[gfp_nr_probed].probe,
						NULL);
		if (ret)
			return ret;
		gfp_tps[gfp_nr_probed].tp = tp;
	}
	return 0;
}

static u64 gfp_pages_held(void)
{
	struct goslab_stats st;

	goslab_get_stats(&st);
	return st.pages_held;
}

/*
 * Allocate objects of @size (from @c, if given) with @gfp until one grows
 * the heap, and log what that one asked the kernel for; the others are
 * freed.  Returns how many pages the heap grew by.
 */
static u64 gfp_grow(struct kunit *test, struct goslab_cache *c, size_t size,
		    gfp_t gfp)
{
	void *p, *fillers = NULL;
	u64 before, after, grew = 0;
	unsigned int i;

	goslab_trim();
	for (i = 0; i < 100000 && !grew; i++) {
		before = gfp_pages_held();
		gfp_log.n = 0;
		gfp_log.lost = 0;
		WRITE_ONCE(gfp_log.task, current);
		p = c ? goslab_cache_alloc(c, gfp) : goslab_alloc(size, gfp);
		WRITE_ONCE(gfp_log.task, NULL);
		if (!p)
			break;
		after = gfp_pages_held();
		if (after > before)
			grew = after - before;
		/* Fillers are chained through their first word. */
		*(void **)p = fillers;
		fillers = p;
	}
	KUNIT_EXPECT_NOT_NULL_MSG(test, p, "size %zu gfp %pGg", size, &gfp);
	KUNIT_EXPECT_GT_MSG(test, grew, 0, "%u objects of size %zu and the heap did not grow",
			    i, size);
	KUNIT_EXPECT_EQ(test, gfp_log.lost, 0);
	gfp_log_goslab_only();
	while (fillers) {
		p = fillers;
		fillers = *(void **)p;
		if (c)
			goslab_cache_free(c, p);
		else
			goslab_free(p);
	}
	return grew;
}

static struct gfp_event *gfp_log_end(void)
{
	return gfp_log.ev + gfp_log.n;
}

/* Everything a GFP_NOWAIT allocation asks for is NOWAIT too. */
static void gfp_expect_nowait(struct kunit *test, size_t size)
{
	const gfp_t never = __GFP_HIGH | __GFP_MEMALLOC | __GFP_DIRECT_RECLAIM;
	struct gfp_event *e;
	unsigned int n = 0;

	for (e = gfp_log.ev; e < gfp_log_end(); e++) {
		KUNIT_EXPECT_FALSE_MSG(test, e->gfp & never,
				       "size %zu: %s order %u asked %pGg",
				       size, e->call_site ? "slab" : "page",
				       e->order, &e->gfp);
		n += !!e->call_site;
	}
	KUNIT_EXPECT_GT_MSG(test, n, 0, "size %zu: no metadata seen", size);
}

/* Item 1b: GFP_NOWAIT, for goslab's chunks and metadata alike. */
static void goslab_gfp_test_nowait(struct kunit *test)
{
	static const size_t sizes[] = { 8, 100, 40000 };
	struct goslab_cache *c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		gfp_grow(test, NULL, sizes[i], GFP_NOWAIT);
		gfp_expect_nowait(test, sizes[i]);
	}
	c = goslab_cache_create("gfp", 200, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	gfp_grow(test, c, 200, GFP_NOWAIT);
	gfp_expect_nowait(test, 200);
	goslab_cache_destroy(c);
}

/* Item 1b: the modifiers reach goslab's own metadata. */
static void goslab_gfp_test_modifiers(struct kunit *test)
{
	static const gfp_t mods[] = {
		__GFP_NOWARN, __GFP_NORETRY, __GFP_NOMEMALLOC,
		__GFP_RETRY_MAYFAIL, __GFP_NOFAIL,
	};
	static const size_t sizes[] = { 8, 100, 40000 };
	unsigned int i, j, n;
	struct gfp_event *e;

	for (i = 0; i < ARRAY_SIZE(mods); i++) {
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			gfp_grow(test, NULL, sizes[j], GFP_KERNEL | mods[i]);
			n = 0;
			for (e = gfp_log.ev; e < gfp_log_end(); e++) {
				if (!e->call_site)
					continue;
				KUNIT_EXPECT_TRUE_MSG(test, e->gfp & mods[i],
						      "size %zu: asked %pGg for %pGg",
						      sizes[j], &e->gfp,
						      &mods[i]);
				n++;
			}
			KUNIT_EXPECT_GT_MSG(test, n, 0,
					    "size %zu: no metadata seen",
					    sizes[j]);
		}
	}
}

/*
 * Item 1d: chunks above the order a span needs cost nothing when they
 * fail.  A 16-byte span needs order 1, and what else the allocation asks
 * for is small (goslab's metadata, slab's pages for it, at most order 3),
 * so a page event above that is goslab's opportunistic chunk.
 */
static void goslab_gfp_test_high_order_cheap(struct kunit *test)
{
	static const gfp_t gfps[] = {
		GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_KERNEL | __GFP_NOFAIL,
		GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_MEMALLOC,
	};
	const gfp_t never = __GFP_RECLAIM | __GFP_HIGH | __GFP_MEMALLOC |
			    __GFP_NOFAIL | __GFP_RETRY_MAYFAIL;
	const gfp_t always = __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC;
	struct gfp_event *e;
	unsigned int i, n;

	for (i = 0; i < ARRAY_SIZE(gfps); i++) {
		gfp_grow(test, NULL, 16, gfps[i]);
		n = 0;
		for (e = gfp_log.ev; e < gfp_log_end(); e++) {
			if (e->call_site || e->order <= PAGE_ALLOC_COSTLY_ORDER)
				continue;
			KUNIT_EXPECT_FALSE_MSG(test, e->gfp & never,
					       "for %pGg: order %u asked %pGg",
					       &gfps[i], e->order, &e->gfp);
			KUNIT_EXPECT_TRUE_MSG(test, (e->gfp & always) == always,
					      "for %pGg: order %u asked %pGg",
					      &gfps[i], e->order, &e->gfp);
			n++;
		}
		KUNIT_EXPECT_GT_MSG(test, n, 0, "for %pGg: no chunk above order %d",
				    &gfps[i], PAGE_ALLOC_COSTLY_ORDER);
	}
}

/* Item 1d: with every order above what the span needs failing, it falls back. */
static void goslab_gfp_test_high_order_fallback(struct kunit *test)
{
	static const gfp_t gfps[] = { GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT };
	unsigned int i;

	/* A 16-byte span is one heap page: order GS_PAGE_ORDER (1). */
	gfp_fail_from(test, 2, -1);
	for (i = 0; i < ARRAY_SIZE(gfps); i++)
		KUNIT_EXPECT_EQ_MSG(test, gfp_grow(test, NULL, 16, gfps[i]), 2,
				    "for %pGg", &gfps[i]);
}

/*
 * Item 1b: __GFP_NOFAIL is kept, even at an order the page allocator
 * does not promise (above order 1): a 40000-byte object needs five heap
 * pages, an order-4 chunk.  The four opportunistic orders fail, then the
 * needed order twice; goslab must go on until it has the memory.
 */
static void goslab_gfp_test_nofail_high_order(struct kunit *test)
{
	const gfp_t nofail = GFP_KERNEL | __GFP_NOFAIL;
	struct gfp_event *e;
	unsigned int n = 0;
	u64 grew;

	gfp_fail_from(test, 4, 6);
	grew = gfp_grow(test, NULL, 40000, nofail);
	KUNIT_EXPECT_EQ_MSG(test, grew, 16, "pages for one order-4 chunk");
	gfp_make_it_fail(0);
	KUNIT_EXPECT_EQ_MSG(test, gfp_sh("test $(cat " GFP_FPA_DIR "/times) = 0"),
			    0, "not every injected failure was met");
	/* An injected failure is not traced: only the one that came. */
	for (e = gfp_log.ev; e < gfp_log_end(); e++) {
		if (e->call_site || e->order != 4)
			continue;
		KUNIT_EXPECT_FALSE_MSG(test, e->gfp & __GFP_NOFAIL,
				       "order 4 asked %pGg", &e->gfp);
		n += e->ok;
	}
	KUNIT_EXPECT_EQ_MSG(test, n, 1, "order-4 chunks");
}

static struct kunit_case goslab_gfp_cases[] = {
	KUNIT_CASE(goslab_gfp_test_nowait),
	KUNIT_CASE(goslab_gfp_test_modifiers),
	KUNIT_CASE(goslab_gfp_test_high_order_cheap),
	KUNIT_CASE(goslab_gfp_test_high_order_fallback),
	KUNIT_CASE(goslab_gfp_test_nofail_high_order),
	{}
};

static struct kunit_suite goslab_gfp_suite = {
	.name = "goslab_gfp",
	.init = gfp_init,
	.exit = gfp_exit,
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_gfp_cases,
};

kunit_test_suite(goslab_gfp_suite);
