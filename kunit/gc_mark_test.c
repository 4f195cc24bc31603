// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the garbage collector's mark (suite goslab_gc_mark):
 * unreachable cycles go and everything reachable stays, objects allocated
 * while marking are black, pointer-free, large and interior-pointed
 * objects are marked right, a grey list too small rescans the heap, and
 * marking works in bounded non-preemptible stretches.
 */
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/slab.h>

#include "gc_test.h"

/*
 * Unreachable cycles are collected: a self-loop, a triangle, and two
 * cycles joined by one edge.  The same shapes hanging from a root live.
 */
static void build_shapes(struct gc_ctx *c, u64 base, struct node **first)
{
	struct node *a, *b, *d, *e, *f, *g, *k, *l;

	a = gc_node_new(c, base + 0);		/* self-loop */
	link(a, 0, a);
	b = gc_node_new(c, base + 1);		/* triangle b -> d -> e -> b */
	d = gc_node_new(c, base + 2);
	e = gc_node_new(c, base + 3);
	link(b, 0, d);
	link(d, 0, e);
	link(e, 0, b);
	f = gc_node_new(c, base + 4);		/* f <-> g, one edge g -> k */
	g = gc_node_new(c, base + 5);
	k = gc_node_new(c, base + 6);		/* k <-> l */
	l = gc_node_new(c, base + 7);
	link(f, 0, g);
	link(g, 0, f);
	link(k, 0, l);
	link(l, 0, k);
	link(g, 1, k);
	/* One entry to all three shapes, for the rooted copy. */
	link(a, 1, b);
	link(b, 1, f);
	*first = a;
}

static void goslab_gc_test_cycles(struct kunit *test)
{
	struct gc_ctx *c = gc_ctx_new(test, "kunit-cycles");
	static atomic_t per_id[16];
	void *root = NULL;
	struct node *dead, *live, *n;
	int tok, i;

	gc_rel_reset(per_id, ARRAY_SIZE(per_id));
	for (i = 0; i < ARRAY_SIZE(per_id); i++)
		atomic_set(&per_id[i], 0);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &root), 0);

	tok = goslab_gc_enter(c->h);
	build_shapes(c, 0, &dead);
	/* The unrooted copy: three separate shapes, as drawn above. */
	link(follow(dead, 1), 1, NULL);		/* b -> f */
	link(dead, 1, NULL);			/* a -> b */
	build_shapes(c, 8, &live);
	goslab_gc_store(&root, live);
	goslab_gc_exit(c->h, tok);

	goslab_gc_collect(c->h);

	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&per_id[i]), 1,
				    "unreachable node %d released %d times", i,
				    atomic_read(&per_id[i]));
	for (i = 8; i < 16; i++)
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&per_id[i]), 0,
				    "reachable node %d released", i);

	/* The rooted shapes are whole. */
	tok = goslab_gc_enter(c->h);
	n = goslab_gc_load(&root);
	KUNIT_EXPECT_TRUE(test, node_ok(n) && n->id == 8 && follow(n, 0) == n);
	n = follow(n, 1);			/* b */
	KUNIT_EXPECT_TRUE(test, node_ok(n) && n->id == 9);
	KUNIT_EXPECT_TRUE(test, node_ok(follow(follow(follow(n, 0), 0), 0)) &&
			  follow(follow(follow(n, 0), 0), 0) == n);
	n = follow(n, 1);			/* f */
	KUNIT_EXPECT_TRUE(test, node_ok(n) && n->id == 12);
	n = follow(follow(n, 0), 1);		/* k, across the joining edge */
	KUNIT_EXPECT_TRUE(test, node_ok(n) && n->id == 14 &&
			  follow(follow(n, 0), 0) == n);
	goslab_gc_exit(c->h, tok);

	/* Drop the root: everything goes, each object once. */
	goslab_gc_store(&root, NULL);
	goslab_gc_collect(c->h);
	for (i = 0; i < 16; i++)
		KUNIT_EXPECT_EQ(test, atomic_read(&per_id[i]), 1);
	goslab_gc_root_del(c->h, &root);
	gc_expect_no_misses(test, c->h);
	gc_expect_clean_releases(test);
}

/* Everything reachable from a root survives cycles, contents intact. */
#define LIST_LEN	3000

static void goslab_gc_test_reachable(struct kunit *test)
{
	struct gc_ctx *c = gc_ctx_new(test, "kunit-reach");
	struct goslab_gc_type *wide;
	struct goslab_gc_stats st;
	void *root = NULL, **w;
	struct node *n, *prev = NULL;
	int tok, i, round;
	bool ok;

	wide = gc_ptr_type(test, c->h, "wide", 64);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &root), 0);

	/* root -> wide[64]; wide[i] -> a list; lists share a tail. */
	tok = goslab_gc_enter(c->h);
	w = goslab_gc_alloc(wide, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	goslab_gc_store(&root, w);
	for (i = 0; i < LIST_LEN; i++) {
		n = gc_node_new(c, i);
		link(n, 0, prev);
		prev = n;
		if (i % (LIST_LEN / 64) == 0)
			goslab_gc_store(&w[i / (LIST_LEN / 64) % 64], n);
		if (i % 256 == 0) {
			/* Short sections, so cycles can end meanwhile. */
			goslab_gc_exit(c->h, tok);
			tok = goslab_gc_enter(c->h);
		}
	}
	goslab_gc_store(&w[63], prev);
	goslab_gc_exit(c->h, tok);

	for (round = 0; round < 3; round++) {
		goslab_gc_collect(c->h);
		tok = goslab_gc_enter(c->h);
		n = goslab_gc_load(&((void **)goslab_gc_load(&root))[63]);
		ok = true;
		for (i = LIST_LEN - 1; i >= 0 && ok; i--, n = follow(n, 0))
			ok = node_ok(n) && n->id == i && !n->ptr[1];
		ok = ok && !n;
		goslab_gc_exit(c->h, tok);
		KUNIT_EXPECT_TRUE_MSG(test, ok, "round %d: list broken at %d",
				      round, i);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 0);

	goslab_gc_store(&root, NULL);
	goslab_gc_collect(c->h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), LIST_LEN);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 0ULL);
	KUNIT_EXPECT_EQ(test, st.heap_alloc, 0ULL);
	goslab_gc_root_del(c->h, &root);
	gc_expect_no_misses(test, c->h);
	gc_expect_clean_releases(test);
}

/* Objects allocated while marking are black; a hand-stepped cycle. */
static void goslab_gc_test_alloc_black(struct kunit *test)
{
	struct gc_ctx *c;
	void *root = NULL;
	struct node *x, *y;
	int tok;

	gc_param_set(test, "gc_mode", "incremental");
	c = gc_ctx_new(test, "kunit-black");
	goslab_gc_set_percent(c->h, -1);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &root), 0);
	goslab_gc_step_begin(c->h);
	tok = goslab_gc_enter(c->h);
	x = gc_node_new(c, 1);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(c->h, x), GOSLAB_GC_BLACK);
	y = gc_node_new(c, 2);		/* garbage, black: floating this cycle */
	KUNIT_EXPECT_EQ(test, goslab_gc_color(c->h, y), GOSLAB_GC_BLACK);
	goslab_gc_store(&root, x);
	goslab_gc_exit(c->h, tok);
	KUNIT_EXPECT_EQ(test, goslab_gc_step_finish(c->h), 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 0);
	goslab_gc_collect(c->h);	/* now y goes, x stays */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 1);
	KUNIT_EXPECT_TRUE(test, node_ok(x));
	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(c->h, &root);
	gc_expect_no_misses(test, c->h);
}

/* Pointer-free objects, large objects and interior pointers. */
static void goslab_gc_test_noscan_large(struct kunit *test)
{
	struct gc_ctx *c = gc_ctx_new(test, "kunit-noscan");
	struct goslab_gc_type *raw, *big;
	unsigned int off = 48000 - sizeof(void *);
	struct goslab_gc_stats st;
	void *root = NULL, *r, *b, *garbage;
	struct node *n;
	int tok;

	raw = goslab_gc_type_create(c->h, "raw", 100, NULL, 0, NULL);
	big = goslab_gc_type_create(c->h, "big", 48000, &off, 1, NULL);
	KUNIT_ASSERT_TRUE(test, raw && big);
	KUNIT_EXPECT_NULL(test, goslab_gc_type_create(c->h, "bad", 16,
						      (unsigned int[]){ 12 }, 1,
						      NULL));
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &root), 0);
	tok = goslab_gc_enter(c->h);
	n = gc_node_new(c, 1);
	r = goslab_gc_alloc(raw, GFP_KERNEL);
	b = goslab_gc_alloc(big, GFP_KERNEL);
	garbage = goslab_gc_alloc(big, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, r && b && garbage);
	memset(r, 0x5a, 100);
	/* An interior pointer keeps its object alive too. */
	goslab_gc_store(&n->ptr[0], r + 50);
	goslab_gc_store(b + off, n);
	goslab_gc_store(&root, b);
	goslab_gc_exit(c->h, tok);
	goslab_gc_collect(c->h);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 3ULL);
	KUNIT_EXPECT_TRUE(test, node_ok(n));
	KUNIT_EXPECT_EQ(test, ((u8 *)r)[99], 0x5a);
	KUNIT_EXPECT_EQ(test, st.heap_alloc, (u64)(49152 + 48 + 112));
	goslab_gc_store(&root, NULL);
	goslab_gc_collect(c->h);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 0ULL);
	goslab_gc_root_del(c->h, &root);
	gc_expect_no_misses(test, c->h);
}

/*
 * A large object is found from any byte of it (issue #9 item 11).  Its span
 * holds it alone; the index of ((p - base) * (2^32 / elemsize rounded up))
 * >> 32 came out 1, "no object", for the last byte from 14 pages on and for
 * the last word from 27 pages on (not for 16, 26 or 32), so an object held
 * only by such a pointer was freed while reachable.  Each size is tried
 * twice: an object held only by a root at its last byte, then one held
 * only by a root at its last 8-byte word.
 */
static const unsigned int tail_pages[] = {
	14, 15, 16, 26, 27, 33, 100, 255, 384,
};

/* Stamped stride: every 8-byte word, the last ones included. */
#define TAIL_STRIDE	8

static void *tail_released;

static void tail_release(void *obj)
{
	WRITE_ONCE(tail_released, obj);
	gc_rel_count();
}

/* A root outside the stack: a failed assertion leaves nothing dangling. */
static void *tail_root;

static void tail_case(struct kunit *test, struct goslab_gc_heap *h,
		      struct goslab_gc_type *t, unsigned int npages, size_t off)
{
	size_t size = npages * GS_HEAP_PAGE;
	enum goslab_gc_color whole, tail;
	long released;
	void *obj;
	int tok, i;

	tok = goslab_gc_enter(h);
	obj = goslab_gc_alloc(t, GFP_KERNEL);
	if (obj) {
		gs_stamp(obj, size, TAIL_STRIDE);
		goslab_gc_store(&tail_root, obj + off);
	}
	goslab_gc_exit(h, tok);
	KUNIT_ASSERT_NOT_NULL(test, obj);

	/* The lookup itself: the tail pointer names the same object. */
	whole = goslab_gc_color(h, obj);
	tail = goslab_gc_color(h, obj + off);
	KUNIT_EXPECT_EQ_MSG(test, tail, whole,
			    "%u pages: byte %zu is not in the object", npages,
			    off);

	/* Two cycles; should the first free it, the root must not outlive it. */
	released = atomic_long_read(&gc_rel.released);
	for (i = 0; i < 2 && atomic_long_read(&gc_rel.released) == released; i++)
		goslab_gc_collect(h);
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&gc_rel.released), released,
			    "%u pages: released while a root holds byte %zu",
			    npages, off);
	/* Read the object only if it still is one. */
	if (atomic_long_read(&gc_rel.released) == released)
		KUNIT_EXPECT_TRUE_MSG(test, gs_stamp_ok(obj, size, TAIL_STRIDE),
				      "%u pages: contents changed", npages);

	goslab_gc_store(&tail_root, NULL);
	goslab_gc_collect(h);
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&gc_rel.released), released + 1,
			    "%u pages: released %ld times, not once", npages,
			    atomic_long_read(&gc_rel.released) - released);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(tail_released), obj);
}

static void goslab_gc_test_large_tail(struct kunit *test)
{
	struct gc_ctx *c = gc_ctx_new(test, "kunit-tail");
	struct goslab_gc_type *t;
	struct goslab_gc_stats st;
	unsigned int i, npages;
	char name[16];

	/* Only this case's collections run. */
	goslab_gc_set_percent(c->h, -1);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &tail_root), 0);
	for (i = 0; i < ARRAY_SIZE(tail_pages); i++) {
		npages = tail_pages[i];
		snprintf(name, sizeof(name), "tail%u", npages);
		t = goslab_gc_type_create(c->h, name, npages * GS_HEAP_PAGE,
					  NULL, 0, tail_release);
		KUNIT_ASSERT_NOT_NULL(test, t);
		tail_case(test, c->h, t, npages, npages * GS_HEAP_PAGE - 1);
		tail_case(test, c->h, t, npages, npages * GS_HEAP_PAGE - 8);
	}
	goslab_gc_root_del(c->h, &tail_root);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 0ULL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released),
			(long)(2 * ARRAY_SIZE(tail_pages)));
	gc_expect_no_misses(test, c->h);
	gc_expect_clean_releases(test);
}

/*
 * A grey list too small overflows into heap rescans, and loses nothing: a
 * complete binary tree, whose frontier outgrows a list of 4 at once.
 */
#define TREE_N		2047

static void goslab_gc_test_grey_overflow(struct kunit *test)
{
	struct gc_ctx *c = gc_ctx_new(test, "kunit-overflow");
	struct goslab_gc_stats st;
	struct node **v, *n;
	void *root = NULL;
	int tok, i, bad = 0;

	v = kunit_kcalloc(test, TREE_N, sizeof(*v), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	goslab_gc_test_grey_limit(c->h, 4);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &root), 0);
	/* v[] holds GC pointers only while this section is open. */
	tok = goslab_gc_enter(c->h);
	for (i = 0; i < TREE_N; i++) {
		v[i] = gc_node_new(c, i);
		if (i)
			link(v[(i - 1) / 2], (i - 1) % 2, v[i]);
	}
	goslab_gc_store(&root, v[0]);
	goslab_gc_exit(c->h, tok);
	goslab_gc_collect(c->h);
	goslab_gc_collect(c->h);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_GT(test, st.rescans, 0ULL);
	KUNIT_EXPECT_EQ(test, st.objects, (u64)TREE_N);
	/* Walk it again from the root, breadth first, into v[]. */
	tok = goslab_gc_enter(c->h);
	v[0] = goslab_gc_load(&root);
	for (i = 0; i < TREE_N; i++) {
		n = v[i];
		if (!node_ok(n) || n->id != i) {
			bad++;
			break;
		}
		if (2 * i + 2 < TREE_N) {
			v[2 * i + 1] = follow(n, 0);
			v[2 * i + 2] = follow(n, 1);
		}
	}
	goslab_gc_exit(c->h, tok);
	KUNIT_EXPECT_EQ(test, bad, 0);
	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(c->h, &root);
	gc_expect_no_misses(test, c->h);
}

/*
 * Bounded non-preemptible work (issue #9 item 14), on a million-object
 * heap: a root hub points at 512 hubs, each at 2048 nodes.  With a grey
 * list of 4, the hubs and nodes overflow it, and the marker rescans the
 * heap; then, with GOGC 5, the heap is past its goal while allocations
 * that may not sleep (GFP_NOWAIT) pay for the mark with assists.  No
 * stretch of scanning with a spinlock held or no point to reschedule
 * may exceed GOSLAB_GC_STRETCH_BYTES and one object (a hub, more than a
 * look at any span of this heap).  Under KASAN, which
 * makes it one of the longest cases of the set (45 s on the RT test
 * kernel under TCG), a quarter of the heap, still 4,000 times the bound.
 */
#define STRETCH_HUBS	(IS_ENABLED(CONFIG_KASAN) ? 128 : 512)
#define STRETCH_FAN	2048

struct hub {
	void *ptr[STRETCH_FAN];
};

/*
 * Under @root in @c's heap: a hub pointing at @hubs hubs of type @hub_t,
 * each pointing at @fan new nodes.
 */
static void hub_tree(struct kunit *test, struct gc_ctx *c,
		     struct goslab_gc_type *hub_t, void **root,
		     unsigned long hubs, unsigned long fan)
{
	struct hub *top, *hub;
	unsigned long i, j;
	int tok;

	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, root), 0);
	tok = goslab_gc_enter(c->h);
	top = goslab_gc_alloc(hub_t, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, top);
	goslab_gc_store(root, top);
	for (i = 0; i < hubs; i++) {
		hub = goslab_gc_alloc(hub_t, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, hub);
		goslab_gc_store(&top->ptr[i], hub);
		for (j = 0; j < fan; j++)
			goslab_gc_store(&hub->ptr[j], gc_node_new(c, i * fan + j));
		cond_resched();
	}
	goslab_gc_exit(c->h, tok);
}

static void goslab_gc_test_bounded_stretch(struct kunit *test)
{
	u64 bound = GOSLAB_GC_STRETCH_BYTES + sizeof(struct hub);
	struct goslab_gc_type *hub_t;
	struct goslab_gc_stats st;
	struct gc_ctx *c;
	void *root = NULL;
	unsigned long i, j;
	u64 cycles;
	int tok;

	gc_param_set(test, "gc_mode", "incremental");
	c = gc_ctx_new(test, "kunit-stretch");
	goslab_gc_set_percent(c->h, -1);
	hub_t = gc_ptr_type(test, c->h, "hub", STRETCH_FAN);
	hub_tree(test, c, hub_t, &root, STRETCH_HUBS, STRETCH_FAN);

	goslab_gc_test_grey_limit(c->h, 4);
	goslab_gc_collect(c->h);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_GT(test, st.rescans, 0ULL);
	KUNIT_EXPECT_EQ(test, st.objects, (u64)(1 + STRETCH_HUBS * (STRETCH_FAN + 1)));
	KUNIT_EXPECT_LE_MSG(test, st.stretch_max, bound,
			    "rescanning %llu objects", st.objects);
	gc_expect_no_misses(test, c->h);

	goslab_gc_test_grey_limit(c->h, 0);
	goslab_gc_stats_reset(c->h);
	goslab_gc_set_percent(c->h, 5);
	cycles = st.cycles;
	/*
	 * Garbage, allocated where the assist may not reschedule, in short
	 * sections: a cycle's termination waits for open ones.
	 */
	for (i = 0; i < STRETCH_FAN * STRETCH_HUBS && st.cycles < cycles + 2;
	     i += STRETCH_FAN) {
		tok = goslab_gc_enter(c->h);
		for (j = 0; j < STRETCH_FAN; j++)
			if (!goslab_gc_alloc(c->node, GFP_NOWAIT | __GFP_NOWARN))
				break;
		goslab_gc_exit(c->h, tok);
		goslab_gc_get_stats(c->h, &st);
		cond_resched();
	}
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_GE(test, st.cycles, cycles + 2);
	KUNIT_EXPECT_GT(test, st.assists, 0ULL);
	KUNIT_EXPECT_LE_MSG(test, st.stretch_max, bound, "assists past the goal");
	gc_expect_no_misses(test, c->h);

	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(c->h, &root);
}

/*
 * A marker that reschedules holds nothing from the grey list meanwhile:
 * 32 hubs of 16 KiB, pointing nowhere, are grey; one marker takes them as
 * a batch, scans 64 KiB of them, and is held where it reschedules.  The
 * other 28 are back on the list for other markers (here the stepping
 * task), and the mark ends without waiting for the one held: on the old
 * code, only once its hold had expired, which fails the case.
 */
#define RESCHED_HUBS	32

struct resched_marker {
	struct goslab_gc_heap *h;
	unsigned long bytes;
	unsigned long scanned;
	struct completion done;
};

static int resched_marker_fn(void *arg)
{
	struct resched_marker *m = arg;

	m->scanned = goslab_gc_step_bytes(m->h, m->bytes);
	complete(&m->done);
	return 0;
}

static void goslab_gc_test_resched_holds_nothing(struct kunit *test)
{
	unsigned long early = GOSLAB_GC_STRETCH_BYTES / sizeof(struct hub);
	struct goslab_gc_type *hub_t;
	struct resched_marker m;
	struct task_struct *t;
	struct gc_ctx *c;
	void *root = NULL;
	unsigned long n;
	int pid;

	gs_test_hold_need(test);
	c = gc_ctx_new(test, "kunit-resched");
	goslab_gc_set_percent(c->h, -1);
	hub_t = gc_ptr_type(test, c->h, "hub", STRETCH_FAN);
	hub_tree(test, c, hub_t, &root, RESCHED_HUBS, 0);

	goslab_gc_step_begin(c->h);
	KUNIT_EXPECT_EQ(test, goslab_gc_step(c->h, 1), 1UL);
	m.h = c->h;
	m.bytes = RESCHED_HUBS * sizeof(struct hub);
	init_completion(&m.done);
	t = kthread_create(resched_marker_fn, &m, "goslab_resched_marker");
	if (IS_ERR(t)) {
		goslab_gc_step_finish(c->h);
		KUNIT_FAIL(test, "kthread_create: %ld", PTR_ERR(t));
		return;
	}
	pid = gs_test_hold_arm(test, "gc_resched", t);
	wake_up_process(t);
	if (gs_test_held(test, "gc_resched", pid)) {
		n = goslab_gc_step(c->h, RESCHED_HUBS);
		KUNIT_EXPECT_EQ_MSG(test, n, RESCHED_HUBS - early,
				    "grey hubs left to others while a marker reschedules");
	}
	/* The mark ends without it: it counts as busy no more. */
	KUNIT_EXPECT_EQ(test, goslab_gc_step_finish(c->h), 0UL);
	gs_test_hold_release(test);
	wait_for_completion(&m.done);
	KUNIT_EXPECT_EQ(test, m.scanned, early * sizeof(struct hub));
	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(c->h, &root);
}

/*
 * A marker that moves to another CPU where it reschedules counts that CPU
 * too: bound to CPU 0, it scans a stretch of the 33 hubs, is held where it
 * reschedules, moved to CPU 1 and let go, and scans the rest there; the
 * cycle marked on two CPUs.  The old code counted a marker's CPU once per
 * drain, so one.
 */
static void goslab_gc_test_resched_migrates(struct kunit *test)
{
	struct goslab_gc_stats st;
	struct goslab_gc_type *hub_t;
	struct resched_marker m;
	struct task_struct *t;
	struct gc_ctx *c;
	void *root = NULL;
	int pid;

	gs_test_hold_need(test);
	if (!cpu_online(0) || !cpu_online(1))
		kunit_skip(test, "needs CPUs 0 and 1 online");
	c = gc_ctx_new(test, "kunit-migrate");
	goslab_gc_set_percent(c->h, -1);
	hub_t = gc_ptr_type(test, c->h, "hub", STRETCH_FAN);
	hub_tree(test, c, hub_t, &root, RESCHED_HUBS, 0);

	goslab_gc_step_begin(c->h);
	m.h = c->h;
	m.bytes = (RESCHED_HUBS + 1) * sizeof(struct hub);
	init_completion(&m.done);
	t = kthread_create(resched_marker_fn, &m, "goslab_migrating_marker");
	if (IS_ERR(t)) {
		goslab_gc_step_finish(c->h);
		KUNIT_FAIL(test, "kthread_create: %ld", PTR_ERR(t));
		return;
	}
	KUNIT_EXPECT_EQ(test, set_cpus_allowed_ptr(t, cpumask_of(0)), 0);
	pid = gs_test_hold_arm(test, "gc_resched", t);
	wake_up_process(t);
	if (gs_test_held(test, "gc_resched", pid))
		KUNIT_EXPECT_EQ(test, set_cpus_allowed_ptr(t, cpumask_of(1)), 0);
	gs_test_hold_release(test);
	wait_for_completion(&m.done);
	/* It scanned every hub: the step's own drain finds none. */
	KUNIT_EXPECT_EQ(test, m.scanned, (RESCHED_HUBS + 1) * sizeof(struct hub));
	KUNIT_EXPECT_EQ(test, goslab_gc_step_finish(c->h), 0UL);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_EQ(test, st.last_cpus_marked, 2ULL);
	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(c->h, &root);
}

static struct kunit_case goslab_gc_mark_cases[] = {
	KUNIT_CASE(goslab_gc_test_cycles),
	KUNIT_CASE(goslab_gc_test_reachable),
	KUNIT_CASE(goslab_gc_test_alloc_black),
	KUNIT_CASE(goslab_gc_test_noscan_large),
	KUNIT_CASE(goslab_gc_test_large_tail),
	KUNIT_CASE(goslab_gc_test_grey_overflow),
	KUNIT_CASE_SLOW(goslab_gc_test_bounded_stretch),
	KUNIT_CASE(goslab_gc_test_resched_holds_nothing),
	KUNIT_CASE(goslab_gc_test_resched_migrates),
	{}
};

GC_TEST_SUITE(mark);
