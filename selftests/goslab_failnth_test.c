// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab under fault injection: for every command, fail its 1st,
 * 2nd, 3rd... allocation (and user copy, if the kernel has
 * CONFIG_FAULT_INJECTION_USERCOPY) through /proc/self/task/<tid>/fail-nth,
 * until the command gets through without reaching the fault.  Each
 * failure must be a clean ENOMEM or EFAULT that changed nothing: the
 * session's and goslab's counters (after goslab_trim()) are as before, and
 * the objects involved are intact.  Needs CONFIG_FAULT_INJECTION,
 * CONFIG_FAILSLAB and CONFIG_FAIL_PAGE_ALLOC with their debugfs knobs;
 * skips without them.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "goslab_util.h"

#define DBG		"/sys/kernel/debug"
#define MAX_POINTS	100000

enum op {
	OP_OPEN,
	OP_VERSION,
	OP_STATS,
	OP_STATS_TRIM,
	OP_ALLOC,
	OP_FREE,
	OP_WRITE,
	OP_READ,
	OP_USABLE,
	OP_CACHE_CREATE,
	OP_CACHE_ALLOC,
	OP_CACHE_FREE,
	OP_CACHE_DESTROY,
	/* The GC commands, each in a session of its own (struct step.gfd). */
	OP_GC_HEAP_CREATE,
	OP_GC_TYPE_CREATE,
	OP_GC_ALLOC,
	OP_GC_STORE,
	OP_GC_LOAD,
	OP_GC_DROP,
	OP_GC_COLLECT,
	OP_GC_ALIVE,
	OP_GC_STATS,
};

#define OP_GC_FIRST	OP_GC_HEAP_CREATE

static const struct case_ {
	const char *name;
	enum op op;
	__u64 len;	/* object length, or cache object size */
	__u32 flags;
} cases[] = {
	{ "open", OP_OPEN },
	{ "version", OP_VERSION },
	{ "stats", OP_STATS },
	{ "stats_trim", OP_STATS_TRIM, 0, GOSLAB_STATS_TRIM },
	{ "alloc_tiny", OP_ALLOC, 8 },
	{ "alloc_small", OP_ALLOC, 1000 },
	{ "alloc_small_zero", OP_ALLOC, 5000, GOSLAB_ALLOC_ZERO },
	{ "alloc_large", OP_ALLOC, 100000 },
	{ "alloc_large_zero", OP_ALLOC, 1 << 20, GOSLAB_ALLOC_ZERO },
	{ "alloc_huge", OP_ALLOC, (4 << 20) + 8192 },
	{ "free_small", OP_FREE, 1000 },
	{ "free_large", OP_FREE, 100000 },
	{ "free_huge", OP_FREE, (4 << 20) + 8192 },
	{ "write_small", OP_WRITE, 3000 },
	{ "write_big", OP_WRITE, 200000 },
	{ "write_huge", OP_WRITE, (4 << 20) + 8192 },
	{ "read_small", OP_READ, 3000 },
	{ "read_huge", OP_READ, (4 << 20) + 8192 },
	{ "usable_size", OP_USABLE, 3000 },
	{ "cache_create", OP_CACHE_CREATE, 72 },
	{ "cache_create_ctor", OP_CACHE_CREATE, 72, GOSLAB_CACHE_CTOR },
	{ "cache_alloc", OP_CACHE_ALLOC, 72 },
	{ "cache_alloc_zero", OP_CACHE_ALLOC, 3000, GOSLAB_ALLOC_ZERO },
	{ "cache_free", OP_CACHE_FREE, 72 },
	{ "cache_destroy", OP_CACHE_DESTROY, 72 },
	/* For the GC commands, len is the data size of the type. */
	{ "gc_heap_create", OP_GC_HEAP_CREATE },
	{ "gc_heap_create_manual", OP_GC_HEAP_CREATE, 0, GOSLAB_GC_HEAP_MANUAL },
	{ "gc_type_create", OP_GC_TYPE_CREATE, 100 },
	{ "gc_alloc", OP_GC_ALLOC, 100 },
	{ "gc_alloc_large", OP_GC_ALLOC, 32768 },
	{ "gc_store", OP_GC_STORE, 100 },
	{ "gc_load", OP_GC_LOAD, 100 },
	{ "gc_drop", OP_GC_DROP, 100 },
	{ "gc_collect", OP_GC_COLLECT, 100 },
	{ "gc_alive", OP_GC_ALIVE, 100 },
	{ "gc_stats", OP_GC_STATS, 100 },
};

#define NR_CASES	(ARRAY_SIZE(cases))

/* The knobs that make fail-nth reach GFP_KERNEL and order-0 allocations. */
static const struct {
	const char *path;
	const char *value;
	bool optional;
} knobs[] = {
	{ DBG "/failslab/ignore-gfp-wait", "N" },
	{ DBG "/failslab/verbose", "0" },
	{ DBG "/fail_page_alloc/ignore-gfp-wait", "N" },
	{ DBG "/fail_page_alloc/ignore-gfp-highmem", "N" },
	{ DBG "/fail_page_alloc/min-order", "0" },
	{ DBG "/fail_page_alloc/verbose", "0" },
	{ DBG "/fail_usercopy/verbose", "0", true },
};

#define NR_KNOBS	(ARRAY_SIZE(knobs))

/* State one step of a case works on. */
struct step {
	const struct case_ *c;
	int fd;
	__u64 obj, cache, out;
	bool obj_live, cache_live;
	unsigned char *pat, *pat2, *buf;
	/*
	 * GC commands: a session of its own, with a manual heap, a type with
	 * one pointer field and two GC handles, r1's field 0 naming r2's
	 * object; closing it releases them all.
	 */
	int gfd;
	__u64 heap, type, r1, r2, id1;
};

FIXTURE(failnth) {
	int fd;
	int nth;
	char saved[NR_KNOBS][32];
	bool have[NR_KNOBS];
	unsigned char *pat, *pat2, *buf;
	unsigned long taint;
};

static int read_str(const char *path, char *s, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = read(fd, s, n - 1);
	close(fd);
	if (r < 0)
		return -EIO;
	s[r] = 0;
	s[strcspn(s, "\n")] = 0;
	return 0;
}

FIXTURE_SETUP(failnth)
{
	char path[64];
	unsigned int i;

	self->fd = gs_open();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, self->fd);

	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", gettid());
	self->nth = open(path, O_RDWR | O_CLOEXEC);
	if (self->nth < 0)
		SKIP(return, "%s: %s (no CONFIG_FAULT_INJECTION?)", path, strerror(errno));

	if (access(DBG "/failslab", F_OK))
		mount("debugfs", DBG, "debugfs", 0, NULL);
	for (i = 0; i < NR_KNOBS; i++) {
		int ret = read_str(knobs[i].path, self->saved[i], sizeof(self->saved[i]));

		if (ret && knobs[i].optional)
			continue;
		if (ret)
			SKIP(return, "%s: %s (no CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC?)",
			     knobs[i].path, strerror(-ret));
		ASSERT_EQ(0, gs_write_str(knobs[i].path, knobs[i].value));
		self->have[i] = true;
	}

	self->pat = malloc(5 << 20);
	self->pat2 = malloc(5 << 20);
	self->buf = malloc(5 << 20);
	ASSERT_NE(NULL, self->pat);
	ASSERT_NE(NULL, self->pat2);
	ASSERT_NE(NULL, self->buf);
	gs_pattern(self->pat, 5 << 20, 1);
	gs_pattern(self->pat2, 5 << 20, 2);
	self->taint = gs_taint();
}

FIXTURE_TEARDOWN(failnth)
{
	unsigned int i;

	for (i = 0; i < NR_KNOBS; i++)
		if (self->have[i])
			gs_write_str(knobs[i].path, self->saved[i]);
	EXPECT_EQ(0, gs_taint() & ~self->taint & GS_TAINT_SPLAT);
}

/* Arm fail-nth: the @n-th fault point from now on fails. */
static int nth_arm(int nth, unsigned int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%u", n);

	return write(nth, s, len) == len ? 0 : -errno;
}

/*
 * Disarm, and tell whether the fault was injected.  Reading says 0 once it
 * was; should the read's own copy to user space be the point that fails
 * (fail_usercopy), the command before it did not reach the fault either.
 */
static bool nth_disarm(int nth)
{
	char s[16];
	ssize_t r = pread(nth, s, sizeof(s) - 1, 0);
	bool injected = false;

	if (r > 0) {
		s[r] = 0;
		injected = strtoul(s, NULL, 10) == 0;
	}
	/* Twice: a first write that hit the fault has disarmed it already. */
	if (nth_arm(nth, 0))
		nth_arm(nth, 0);
	return injected;
}

/* Get the objects a case needs, without fault injection. */
static void step_setup(struct __test_metadata *_metadata, struct step *s)
{
	const struct case_ *c = s->c;

	switch (c->op) {
	case OP_FREE:
	case OP_WRITE:
	case OP_READ:
	case OP_USABLE:
		ASSERT_EQ(0, gs_alloc(s->fd, c->len, 0, &s->obj));
		s->obj_live = true;
		ASSERT_EQ(0, gs_write(s->fd, s->obj, 0, c->len, s->pat));
		break;
	case OP_CACHE_ALLOC:
	case OP_CACHE_DESTROY:
		ASSERT_EQ(0, gs_cache_create(s->fd, c->len, 0, 0, &s->cache));
		s->cache_live = true;
		break;
	case OP_CACHE_FREE:
		ASSERT_EQ(0, gs_cache_create(s->fd, c->len, 0, 0, &s->cache));
		s->cache_live = true;
		ASSERT_EQ(0, gs_cache_alloc(s->fd, s->cache, 0, &s->obj));
		s->obj_live = true;
		ASSERT_EQ(0, gs_write(s->fd, s->obj, 0, c->len, s->pat));
		break;
	default:
		break;
	}
	s->gfd = -1;
	if (c->op >= OP_GC_FIRST) {
		s->gfd = gs_open();
		ASSERT_LE(0, s->gfd);
		ASSERT_EQ(0, gs_gc_heap_create(s->gfd, GOSLAB_GC_HEAP_MANUAL, &s->heap));
		ASSERT_EQ(0, gs_gc_type_create(s->gfd, s->heap, 1, c->len, &s->type));
		ASSERT_EQ(0, gs_gc_alloc(s->gfd, s->type, &s->r1, &s->id1));
		ASSERT_EQ(0, gs_gc_alloc(s->gfd, s->type, &s->r2, NULL));
		ASSERT_EQ(0, gs_gc_store(s->gfd, s->r1, 0, s->r2));
	}
}

/* The command under test: 0 or -errno. */
static int step_call(struct step *s)
{
	const struct case_ *c = s->c;
	struct goslab_ioc_gc_stats gst;
	struct goslab_ioc_version v;
	struct goslab_ioc_stats st;
	struct goslab_ioc_usable u;
	int fd;

	switch (c->op) {
	case OP_OPEN:
		fd = gs_open();
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	case OP_VERSION:
		return gs_version(s->fd, &v);
	case OP_STATS:
	case OP_STATS_TRIM:
		return gs_stats(s->fd, c->flags, &st);
	case OP_ALLOC:
		return gs_alloc(s->fd, c->len, c->flags, &s->out);
	case OP_FREE:
		return gs_free(s->fd, s->obj);
	case OP_WRITE:
		return gs_write(s->fd, s->obj, 0, c->len, s->pat2);
	case OP_READ:
		memset(s->buf, 0, c->len);
		return gs_read(s->fd, s->obj, 0, c->len, s->buf);
	case OP_USABLE:
		return gs_usable(s->fd, s->obj, &u);
	case OP_CACHE_CREATE:
		return gs_cache_create(s->fd, c->len, 0, c->flags, &s->out);
	case OP_CACHE_ALLOC:
		return gs_cache_alloc(s->fd, s->cache, c->flags, &s->out);
	case OP_CACHE_FREE:
		return gs_cache_free(s->fd, s->cache, s->obj);
	case OP_CACHE_DESTROY:
		return gs_cache_destroy(s->fd, s->cache);
	case OP_GC_HEAP_CREATE:
		return gs_gc_heap_create(s->gfd, c->flags, &s->out);
	case OP_GC_TYPE_CREATE:
		return gs_gc_type_create(s->gfd, s->heap, 2, c->len, &s->out);
	case OP_GC_ALLOC:
		return gs_gc_alloc(s->gfd, s->type, &s->out, NULL);
	case OP_GC_STORE:
		return gs_gc_store(s->gfd, s->r2, 0, s->r1);
	case OP_GC_LOAD:
		return gs_gc_load(s->gfd, s->r1, 0, &s->out, NULL);
	case OP_GC_DROP:
		return gs_gc_drop(s->gfd, s->r2);
	case OP_GC_COLLECT:
		return gs_gc_collect(s->gfd, s->heap);
	case OP_GC_ALIVE:
		fd = gs_gc_alive(s->gfd, s->id1);
		return fd < 0 ? fd : fd == 1 ? 0 : -EPROTO;
	case OP_GC_STATS:
		return gs_gc_stats(s->gfd, s->heap, &gst);
	}
	return -EINVAL;
}

/* After a failure: what the command was given is as it was. */
static void step_check_failed(struct __test_metadata *_metadata, struct step *s)
{
	const struct case_ *c = s->c;

	long done;

	switch (c->op) {
	case OP_WRITE:
		/*
		 * Still there.  A failed write wrote whole pieces of
		 * GOSLAB_DEV_RW_PIECE bytes up to where it failed, and
		 * nothing after: nothing at all if it was one piece.
		 */
		ASSERT_EQ(0, gs_read(s->fd, s->obj, 0, c->len, s->buf));
		for (done = 0; done < (long)c->len; done++)
			if (s->buf[done] != s->pat2[done])
				break;
		done -= done % GOSLAB_DEV_RW_PIECE;
		EXPECT_EQ(0, memcmp(s->pat + done, s->buf + done, c->len - done)) {
			TH_LOG("a failed write changed bytes past %ld", done);
		}
		break;
	case OP_FREE:
	case OP_CACHE_FREE:
		/* Still there, unchanged. */
		ASSERT_EQ(0, gs_read(s->fd, s->obj, 0, c->len, s->buf));
		EXPECT_EQ(0, memcmp(s->pat, s->buf, c->len));
		break;
	default:
		break;
	}
}

/* After a success: the result is right; then undo it. */
static void step_check_ok(struct __test_metadata *_metadata, struct step *s)
{
	const struct case_ *c = s->c;
	int fill;

	switch (c->op) {
	case OP_ALLOC:
		fill = c->flags & GOSLAB_ALLOC_ZERO ? 0 : GOSLAB_DEV_FILL_BYTE;
		ASSERT_EQ(0, gs_read(s->fd, s->out, 0, c->len, s->buf));
		EXPECT_EQ(-1, gs_find_not(s->buf, fill, c->len));
		ASSERT_EQ(0, gs_free(s->fd, s->out));
		break;
	case OP_FREE:
	case OP_CACHE_FREE:
		EXPECT_EQ(-ENOENT, gs_read(s->fd, s->obj, 0, 1, s->buf));
		s->obj_live = false;
		break;
	case OP_WRITE:
		ASSERT_EQ(0, gs_read(s->fd, s->obj, 0, c->len, s->buf));
		EXPECT_EQ(0, memcmp(s->pat2, s->buf, c->len));
		break;
	case OP_READ:
		EXPECT_EQ(0, memcmp(s->pat, s->buf, c->len));
		break;
	case OP_CACHE_CREATE:
		ASSERT_EQ(0, gs_cache_destroy(s->fd, s->out));
		break;
	case OP_CACHE_ALLOC:
		ASSERT_EQ(0, gs_read(s->fd, s->out, 0, c->len, s->buf));
		EXPECT_EQ(-1, gs_find_not(s->buf, c->flags ? 0 : GOSLAB_DEV_FILL_BYTE,
					  c->len));
		ASSERT_EQ(0, gs_cache_free(s->fd, s->cache, s->out));
		break;
	case OP_CACHE_DESTROY:
		s->cache_live = false;
		break;
	case OP_GC_ALLOC:
	case OP_GC_LOAD:
		/* A new handle: droppable once. */
		EXPECT_EQ(0, gs_gc_drop(s->gfd, s->out));
		break;
	case OP_GC_DROP:
		EXPECT_EQ(-ENOENT, gs_gc_drop(s->gfd, s->r2));
		break;
	default:
		break;
	}
}

static void step_teardown(struct __test_metadata *_metadata, struct step *s)
{
	if (s->gfd >= 0)
		close(s->gfd);	/* releases every GC object */
	if (s->obj_live)
		ASSERT_EQ(0, gs_free(s->fd, s->obj));
	if (s->cache_live)
		ASSERT_EQ(0, gs_cache_destroy(s->fd, s->cache));
}

/*
 * Run case @c with the n-th fault point failing, n = 1, 2, ... until it
 * succeeds without reaching the fault.  Return the points covered.
 */
static unsigned int run_case(struct __test_metadata *_metadata, int nth,
			     const struct step *tmpl)
{
	const struct case_ *c = tmpl->c;
	struct goslab_ioc_stats before, ready, after;
	unsigned int n, points = 0, tolerated = 0;
	struct step s;
	bool injected;
	int ret;

	for (n = 1; n < MAX_POINTS; n++) {
		s = *tmpl;
		ASSERT_EQ(0, gs_snap(s.fd, &before));
		step_setup(_metadata, &s);
		ASSERT_EQ(0, gs_snap(s.fd, &ready));

		ASSERT_EQ(0, nth_arm(nth, n));
		ret = step_call(&s);
		injected = nth_disarm(nth);

		if (ret) {
			if (!injected || (ret != -ENOMEM && ret != -EFAULT)) {
				TH_LOG("%s: point %u: errno %d (%s), fault %sinjected",
				       c->name, n, -ret, strerror(-ret),
				       injected ? "" : "not ");
				_metadata->exit_code = KSFT_FAIL;
			}
			/*
			 * A failed command changed nothing at all; but a GC
			 * object whose handle could not be written back is
			 * left to the collector (userspace-api.rst): collect.
			 */
			if (c->op >= OP_GC_FIRST)
				EXPECT_EQ(0, gs_gc_collect(s.gfd, s.heap));
			EXPECT_EQ(0, gs_snap(s.fd, &after));
			if (!gs_stats_same(&ready, &after, c->name)) {
				TH_LOG("%s: point %u: failure changed the counters",
				       c->name, n);
				_metadata->exit_code = KSFT_FAIL;
			}
			step_check_failed(_metadata, &s);
		} else {
			/* A fault may also be absorbed, e.g. by a fallback. */
			tolerated += injected;
			step_check_ok(_metadata, &s);
		}
		step_teardown(_metadata, &s);
		EXPECT_EQ(0, gs_snap(s.fd, &after));
		if (!gs_stats_same(&before, &after, c->name)) {
			TH_LOG("%s: point %u: leaked", c->name, n);
			_metadata->exit_code = KSFT_FAIL;
		}
		if (_metadata->exit_code == KSFT_FAIL)
			break;
		if (!injected)
			break;		/* got through: every point was covered */
		points++;
	}
	printf("# %-18s %5u fault points covered (%u absorbed)\n", c->name,
	       points, tolerated);
	fflush(stdout);
	return points;
}

TEST_F_TIMEOUT(failnth, every_command, 500)
{
	unsigned int i, total = 0, pts;
	struct step tmpl = {
		.fd = self->fd, .pat = self->pat, .pat2 = self->pat2,
		.buf = self->buf,
	};

	bool gc = gs_has_gc();

	for (i = 0; i < NR_CASES; i++) {
		if (cases[i].op >= OP_GC_FIRST && !gc)
			continue;
		tmpl.c = &cases[i];
		pts = run_case(_metadata, self->nth, &tmpl);
		ASSERT_NE(KSFT_FAIL, _metadata->exit_code);
		/* Every command reaches at least one fault point. */
		if (cases[i].op == OP_OPEN || cases[i].op == OP_ALLOC ||
		    cases[i].op == OP_WRITE || cases[i].op == OP_CACHE_CREATE ||
		    cases[i].op == OP_CACHE_ALLOC || cases[i].op == OP_READ ||
		    cases[i].op == OP_GC_HEAP_CREATE ||
		    cases[i].op == OP_GC_TYPE_CREATE ||
		    cases[i].op == OP_GC_ALLOC || cases[i].op == OP_GC_LOAD) {
			EXPECT_LT(0, pts) {
				TH_LOG("%s: no fault point reached", cases[i].name);
			}
		}
		total += pts;
	}
	printf("# %u fault points covered over %zu cases\n", total, NR_CASES);
}

/*
 * Handles are looked up before anything is allocated: a handle that names
 * nothing gets ENOENT whatever fails later, never ENOMEM.  Each command
 * that takes a handle is given a bad one with its 1st, 2nd... fault point
 * armed: the only fault it may reach is the copy of its argument struct
 * (EFAULT, with CONFIG_FAULT_INJECTION_USERCOPY); past that it must fail
 * with ENOENT without reaching another, and change nothing.
 */
enum bh_op {
	BH_FREE,
	BH_WRITE,
	BH_READ,
	BH_USABLE,
	BH_CACHE_ALLOC,
	BH_CACHE_ALLOC_OBJ,
	BH_CACHE_FREE_CACHE,
	BH_CACHE_FREE_OBJ,
	BH_CACHE_DESTROY,
	BH_GC_TYPE_CREATE,
	BH_GC_TYPE_CREATE_0,
	BH_GC_ALLOC,
	BH_GC_ALLOC_GEN,
	BH_GC_STORE_DST,
	BH_GC_STORE_SRC,
	BH_GC_LOAD,
	BH_GC_LOAD_TYPE,
	BH_GC_DROP,
	BH_GC_COLLECT,
	BH_GC_STATS,
	BH_NR,
};

static const char *const bh_names[BH_NR] = {
	[BH_FREE]		= "FREE stale object",
	[BH_WRITE]		= "WRITE stale object",
	[BH_READ]		= "READ stale object",
	[BH_USABLE]		= "USABLE_SIZE stale object",
	[BH_CACHE_ALLOC]	= "CACHE_ALLOC destroyed cache",
	[BH_CACHE_ALLOC_OBJ]	= "CACHE_ALLOC object as cache",
	[BH_CACHE_FREE_CACHE]	= "CACHE_FREE destroyed cache",
	[BH_CACHE_FREE_OBJ]	= "CACHE_FREE stale object",
	[BH_CACHE_DESTROY]	= "CACHE_DESTROY destroyed cache",
	[BH_GC_TYPE_CREATE]	= "GC_TYPE_CREATE type as heap",
	[BH_GC_TYPE_CREATE_0]	= "GC_TYPE_CREATE heap 0",
	[BH_GC_ALLOC]		= "GC_ALLOC heap as type",
	[BH_GC_ALLOC_GEN]	= "GC_ALLOC type, wrong generation",
	[BH_GC_STORE_DST]	= "GC_STORE dropped dst",
	[BH_GC_STORE_SRC]	= "GC_STORE dropped src",
	[BH_GC_LOAD]		= "GC_LOAD dropped src",
	[BH_GC_LOAD_TYPE]	= "GC_LOAD type as src",
	[BH_GC_DROP]		= "GC_DROP dropped",
	[BH_GC_COLLECT]		= "GC_COLLECT type as heap",
	[BH_GC_STATS]		= "GC_STATS handle as heap",
};

/* A session with live things to name, and handles that name nothing. */
struct bh {
	int fd;
	__u64 cache, cobj, heap, type, ref;		/* live */
	__u64 stale_obj, stale_cache, stale_ref;	/* freed */
	unsigned char buf[8192];
};

static int bh_call(struct bh *b, enum bh_op op)
{
	struct goslab_ioc_gc_stats gst;
	struct goslab_ioc_usable u;
	__u64 x;

	switch (op) {
	case BH_FREE:
		return gs_free(b->fd, b->stale_obj);
	case BH_WRITE:
		return gs_write(b->fd, b->stale_obj, 0, sizeof(b->buf), b->buf);
	case BH_READ:
		return gs_read(b->fd, b->stale_obj, 0, 8, b->buf);
	case BH_USABLE:
		return gs_usable(b->fd, b->stale_obj, &u);
	case BH_CACHE_ALLOC:
		return gs_cache_alloc(b->fd, b->stale_cache, 0, &x);
	case BH_CACHE_ALLOC_OBJ:
		return gs_cache_alloc(b->fd, b->cobj, 0, &x);
	case BH_CACHE_FREE_CACHE:
		return gs_cache_free(b->fd, b->stale_cache, b->cobj);
	case BH_CACHE_FREE_OBJ:
		return gs_cache_free(b->fd, b->cache, b->stale_obj);
	case BH_CACHE_DESTROY:
		return gs_cache_destroy(b->fd, b->stale_cache);
	case BH_GC_TYPE_CREATE:
		return gs_gc_type_create(b->fd, b->type, 1, 8, &x);
	case BH_GC_TYPE_CREATE_0:
		return gs_gc_type_create(b->fd, 0, 1, 8, &x);
	case BH_GC_ALLOC:
		return gs_gc_alloc(b->fd, b->heap, &x, NULL);
	case BH_GC_ALLOC_GEN:
		return gs_gc_alloc(b->fd, b->type ^ (1ULL << 40), &x, NULL);
	case BH_GC_STORE_DST:
		return gs_gc_store(b->fd, b->stale_ref, 0, b->ref);
	case BH_GC_STORE_SRC:
		return gs_gc_store(b->fd, b->ref, 0, b->stale_ref);
	case BH_GC_LOAD:
		return gs_gc_load(b->fd, b->stale_ref, 0, &x, NULL);
	case BH_GC_LOAD_TYPE:
		return gs_gc_load(b->fd, b->type, 0, &x, NULL);
	case BH_GC_DROP:
		return gs_gc_drop(b->fd, b->stale_ref);
	case BH_GC_COLLECT:
		return gs_gc_collect(b->fd, b->type);
	case BH_GC_STATS:
		return gs_gc_stats(b->fd, b->ref, &gst);
	case BH_NR:
		break;
	}
	return -EINVAL;
}

TEST_F(failnth, bad_handle_allocates_nothing)
{
	struct goslab_ioc_gc_stats gbefore = {}, gafter = {};
	struct goslab_ioc_stats base, before, after;
	bool injected, gc = gs_has_gc();
	unsigned int op, n;
	struct bh *b;
	int ret;

	b = calloc(1, sizeof(*b));
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, gs_snap(self->fd, &base));
	b->fd = gs_open();
	ASSERT_LE(0, b->fd);
	ASSERT_EQ(0, gs_alloc(b->fd, 64, 0, &b->stale_obj));
	ASSERT_EQ(0, gs_free(b->fd, b->stale_obj));
	ASSERT_EQ(0, gs_cache_create(b->fd, 64, 0, 0, &b->cache));
	ASSERT_EQ(0, gs_cache_alloc(b->fd, b->cache, 0, &b->cobj));
	ASSERT_EQ(0, gs_cache_create(b->fd, 64, 0, 0, &b->stale_cache));
	ASSERT_EQ(0, gs_cache_destroy(b->fd, b->stale_cache));
	/* Without the collector, the GC commands' cases go (GS_NO_GC). */
	if (gc) {
		ASSERT_EQ(0, gs_gc_heap_create(b->fd, GOSLAB_GC_HEAP_MANUAL, &b->heap));
		ASSERT_EQ(0, gs_gc_type_create(b->fd, b->heap, 1, 8, &b->type));
		ASSERT_EQ(0, gs_gc_alloc(b->fd, b->type, &b->ref, NULL));
		ASSERT_EQ(0, gs_gc_alloc(b->fd, b->type, &b->stale_ref, NULL));
		ASSERT_EQ(0, gs_gc_drop(b->fd, b->stale_ref));
	}

	for (op = 0; op < (gc ? BH_NR : BH_GC_TYPE_CREATE); op++) {
		for (n = 1; n <= 8; n++) {
			ASSERT_EQ(0, gs_snap(b->fd, &before));
			ASSERT_EQ(0, gc ? gs_gc_stats(b->fd, b->heap, &gbefore) : 0);
			ASSERT_EQ(0, nth_arm(self->nth, n));
			ret = bh_call(b, op);
			injected = nth_disarm(self->nth);

			ASSERT_EQ(0, gs_snap(b->fd, &after));
			ASSERT_EQ(0, gc ? gs_gc_stats(b->fd, b->heap, &gafter) : 0);
			EXPECT_TRUE(gs_stats_same(&before, &after, bh_names[op])) {
				TH_LOG("%s: point %u: counters changed", bh_names[op], n);
			}
			EXPECT_EQ(gbefore.handles, gafter.handles);
			EXPECT_EQ(gbefore.live_objects, gafter.live_objects);
			EXPECT_EQ(gbefore.objects, gafter.objects);
			/* The copy of the argument struct, before any lookup. */
			if (ret == -EFAULT && injected)
				continue;
			EXPECT_TRUE(ret == -ENOENT && !injected) {
				TH_LOG("%s: point %u: errno %d (%s), fault %sinjected",
				       bh_names[op], n, -ret, strerror(-ret),
				       injected ? "" : "not ");
			}
			break;
		}
		EXPECT_GE(8, n) {
			TH_LOG("%s: never got to its lookup", bh_names[op]);
		}
	}

	/* The live ones still work. */
	EXPECT_EQ(0, gs_cache_free(b->fd, b->cache, b->cobj));
	EXPECT_EQ(0, gs_cache_destroy(b->fd, b->cache));
	EXPECT_EQ(0, gc ? gs_gc_drop(b->fd, b->ref) : 0);
	ASSERT_EQ(0, close(b->fd));
	free(b);
	ASSERT_EQ(0, gs_snap(self->fd, &after));
	EXPECT_TRUE(gs_global_same(&base, &after, "after close"));
}

TEST_HARNESS_MAIN
