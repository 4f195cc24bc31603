// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the garbage collector.
 *
 * Every case runs with gc_checkmark on: after each mark the collector
 * re-marks from the roots with the heap's sections stopped and counts the
 * reachable objects the mark left white, which must be 0.
 *
 * Objects carry a magic and an id.  Release callbacks check that the
 * object is alive (not released before: exactly once), that no section
 * holds it (a per-object holder count) and that no root-reachable slot
 * names it (a per-object count of the bucket slots pointing at it), and
 * then kill its magic; a use after release is then seen as a dead magic,
 * or by KASAN once the slot is reclaimed.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "goslab_test.h"

MODULE_IMPORT_NS(GOSLAB_GC_TEST);

static unsigned long gc_stress_ops = 300000;
module_param(gc_stress_ops, ulong, 0644);
MODULE_PARM_DESC(gc_stress_ops,
		 "graph operations in goslab_gc_test_stress, over all mutators (default 300000)");

static unsigned int gc_stress_nodes = 100000;
module_param(gc_stress_nodes, uint, 0644);
MODULE_PARM_DESC(gc_stress_nodes,
		 "objects in goslab_gc_test_stress's graph (default 100000)");

#define NODE_ALIVE	0x6f6b5f6c69766521ULL	/* "!evil_ko" */
#define NODE_DEAD	0x646561645f6e6f64ULL
#define NPTR		2

struct node {
	u64 magic;
	u64 id;
	void *ptr[NPTR];
	atomic_t holders;	/* sections holding it */
	atomic_t slot_refs;	/* root-reachable bucket slots naming it */
};

static const unsigned int node_ptrs[NPTR] = {
	offsetof(struct node, ptr[0]),
	offsetof(struct node, ptr[1]),
};

/* What release callbacks saw; one case at a time. */
static struct {
	atomic_long_t released;
	atomic_long_t double_release;
	atomic_long_t while_held;
	atomic_long_t while_rooted;
	atomic_long_t atomic_ctx;
	atomic_t *per_id;	/* release count per id, if tracked */
	unsigned long nids;
} rel;

static void rel_reset(atomic_t *per_id, unsigned long nids)
{
	atomic_long_set(&rel.released, 0);
	atomic_long_set(&rel.double_release, 0);
	atomic_long_set(&rel.while_held, 0);
	atomic_long_set(&rel.while_rooted, 0);
	atomic_long_set(&rel.atomic_ctx, 0);
	rel.per_id = per_id;
	rel.nids = nids;
}

static void node_release(void *obj)
{
	struct node *n = obj;

	if (n->magic != NODE_ALIVE)
		atomic_long_inc(&rel.double_release);
	if (atomic_read(&n->holders))
		atomic_long_inc(&rel.while_held);
	if (atomic_read(&n->slot_refs))
		atomic_long_inc(&rel.while_rooted);
	if (!preemptible() || irqs_disabled())
		atomic_long_inc(&rel.atomic_ctx);
	if (rel.per_id && n->id < rel.nids)
		atomic_inc(&rel.per_id[n->id]);
	n->magic = NODE_DEAD;
	atomic_long_inc(&rel.released);
}

static bool node_ok(const struct node *n)
{
	return n && READ_ONCE(n->magic) == NODE_ALIVE;
}

struct gc_ctx {
	struct kunit *test;
	struct goslab_gc_heap *h;
	struct goslab_gc_type *node;
};

static void heap_destroy_action(void *h)
{
	goslab_gc_heap_destroy(h);
}

/* A heap destroyed when the case ends, with the node type. */
static struct gc_ctx *ctx_new(struct kunit *test, const char *name)
{
	struct gc_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->test = test;
	c->h = goslab_gc_heap_create(name);
	KUNIT_ASSERT_NOT_NULL(test, c->h);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, heap_destroy_action,
							c->h), 0);
	c->node = goslab_gc_type_create(c->h, "node", sizeof(struct node),
					node_ptrs, NPTR, node_release);
	KUNIT_ASSERT_NOT_NULL(test, c->node);
	return c;
}

static struct node *node_new(struct gc_ctx *c, u64 id)
{
	struct node *n = goslab_gc_alloc(c->node, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(c->test, n);
	n->magic = NODE_ALIVE;
	n->id = id;
	return n;
}

static void link(struct node *from, int i, struct node *to)
{
	goslab_gc_store(&from->ptr[i], to);
}

static struct node *follow(struct node *n, int i)
{
	return goslab_gc_load(&n->ptr[i]);
}

/* Module parameters as strings, restored when the case ends. */
struct param_saved {
	char name[32];
	char val[32];
};

static void param_restore(void *data)
{
	struct param_saved *p = data;
	char path[96];

	snprintf(path, sizeof(path), "/sys/module/goslab/parameters/%s", p->name);
	if (gs_write_file(path, p->val))
		pr_err("goslab_kunit: cannot restore goslab.%s=%s\n", p->name,
		       p->val);
}

static void param_set(struct kunit *test, const char *name, const char *val)
{
	struct param_saved *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	char path[96];

	KUNIT_ASSERT_NOT_NULL(test, p);
	strscpy(p->name, name, sizeof(p->name));
	snprintf(path, sizeof(path), "/sys/module/goslab/parameters/%s", name);
	KUNIT_ASSERT_EQ_MSG(test, gs_read_file(path, p->val, sizeof(p->val)), 0,
			    "cannot read goslab.%s", name);
	KUNIT_ASSERT_EQ_MSG(test, gs_write_file(path, val), 0,
			    "cannot set goslab.%s=%s", name, val);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, param_restore, p), 0);
}

static int gc_test_init(struct kunit *test)
{
	if (!GOSLAB_GC)
		kunit_skip(test, "goslab built without its collector (GOSLAB_GC=n)");
	param_set(test, "gc_checkmark", "Y");
	rel_reset(NULL, 0);
	return 0;
}

static void expect_no_misses(struct kunit *test, struct goslab_gc_heap *h)
{
	struct goslab_gc_stats st;

	goslab_gc_get_stats(h, &st);
	KUNIT_EXPECT_GT(test, st.checkmarks, 0ULL);
	KUNIT_EXPECT_EQ(test, st.checkmark_missed, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bad_pointers, 0ULL);
}

static void expect_clean_releases(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.double_release), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.while_held), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.while_rooted), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.atomic_ctx), 0);
}

/*
 * Unreachable cycles are collected: a self-loop, a triangle, and two
 * cycles joined by one edge.  The same shapes hanging from a root live.
 */
static void build_shapes(struct gc_ctx *c, u64 base, struct node **first)
{
	struct node *a, *b, *d, *e, *f, *g, *k, *l;

	a = node_new(c, base + 0);		/* self-loop */
	link(a, 0, a);
	b = node_new(c, base + 1);		/* triangle b -> d -> e -> b */
	d = node_new(c, base + 2);
	e = node_new(c, base + 3);
	link(b, 0, d);
	link(d, 0, e);
	link(e, 0, b);
	f = node_new(c, base + 4);		/* f <-> g, one edge g -> k */
	g = node_new(c, base + 5);
	k = node_new(c, base + 6);		/* k <-> l */
	l = node_new(c, base + 7);
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
	struct gc_ctx *c = ctx_new(test, "kunit-cycles");
	static atomic_t per_id[16];
	void *root = NULL;
	struct node *dead, *live, *n;
	int tok, i;

	rel_reset(per_id, ARRAY_SIZE(per_id));
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
	expect_no_misses(test, c->h);
	expect_clean_releases(test);
}

/* Everything reachable from a root survives cycles, contents intact. */
#define LIST_LEN	3000

static void goslab_gc_test_reachable(struct kunit *test)
{
	struct gc_ctx *c = ctx_new(test, "kunit-reach");
	unsigned int offs[64];
	struct goslab_gc_type *wide;
	struct goslab_gc_stats st;
	void *root = NULL, **w;
	struct node *n, *prev = NULL;
	int tok, i, round;
	bool ok;

	for (i = 0; i < ARRAY_SIZE(offs); i++)
		offs[i] = i * sizeof(void *);
	wide = goslab_gc_type_create(c->h, "wide", sizeof(void *) * ARRAY_SIZE(offs),
				     offs, ARRAY_SIZE(offs), NULL);
	KUNIT_ASSERT_NOT_NULL(test, wide);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &root), 0);

	/* root -> wide[64]; wide[i] -> a list; lists share a tail. */
	tok = goslab_gc_enter(c->h);
	w = goslab_gc_alloc(wide, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	goslab_gc_store(&root, w);
	for (i = 0; i < LIST_LEN; i++) {
		n = node_new(c, i);
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
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 0);

	goslab_gc_store(&root, NULL);
	goslab_gc_collect(c->h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), LIST_LEN);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 0ULL);
	KUNIT_EXPECT_EQ(test, st.heap_alloc, 0ULL);
	goslab_gc_root_del(c->h, &root);
	expect_no_misses(test, c->h);
	expect_clean_releases(test);
}

/*
 * The write-barrier examples, on a cycle stepped by hand:
 *
 *	roots: r0 -> B, r1 -> A;  B.ptr[0] -> C
 *
 * After one step A is black (scanned), B grey, C white.  The mutator then
 * moves C from B into A.  Dijkstra's example: storing C into the black A
 * must shade C (insertion).  Yuasa's: deleting C from the grey B while
 * only the black A holds it must shade C (deletion).
 */
struct wb {
	struct gc_ctx *c;
	void *roots[2];
	struct node *a, *b, *cc;
};

static void wb_setup(struct kunit *test, struct wb *wb, const char *name)
{
	int tok;

	param_set(test, "gc_mode", "incremental");
	wb->c = ctx_new(test, name);
	goslab_gc_set_percent(wb->c->h, -1);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(wb->c->h, &wb->roots[0]), 0);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(wb->c->h, &wb->roots[1]), 0);
	tok = goslab_gc_enter(wb->c->h);
	wb->a = node_new(wb->c, 1);
	wb->b = node_new(wb->c, 2);
	wb->cc = node_new(wb->c, 3);
	link(wb->b, 0, wb->cc);
	goslab_gc_store(&wb->roots[0], wb->b);
	goslab_gc_store(&wb->roots[1], wb->a);
	goslab_gc_exit(wb->c->h, tok);
	/*
	 * The test task holds a, b and cc across sections: safe here since
	 * the roots keep them, and only the hand-stepped cycle runs.
	 */
	goslab_gc_step_begin(wb->c->h);
	/* Roots are shaded in slot order: A is on top of the grey stack. */
	goslab_gc_step(wb->c->h, 1);
}

static void wb_expect(struct kunit *test, struct wb *wb, int a, int b, int c)
{
	struct goslab_gc_heap *h = wb->c->h;

	KUNIT_EXPECT_EQ(test, goslab_gc_color(h, wb->a), a);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(h, wb->b), b);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(h, wb->cc), c);
}

static void wb_finish(struct kunit *test, struct wb *wb, bool missed)
{
	struct goslab_gc_heap *h = wb->c->h;
	unsigned long m;
	int tok;

	m = goslab_gc_step_finish(h);
	if (missed)
		KUNIT_EXPECT_GE(test, m, 1UL);
	else
		KUNIT_EXPECT_EQ(test, m, 0UL);
	/* C lives, in A, whatever the barrier did: checkmark rescued it. */
	tok = goslab_gc_enter(h);
	KUNIT_EXPECT_PTR_EQ(test, follow(wb->a, 0), wb->cc);
	KUNIT_EXPECT_TRUE(test, node_ok(wb->cc));
	KUNIT_EXPECT_NULL(test, follow(wb->b, 0));
	goslab_gc_exit(h, tok);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 0);
	goslab_gc_collect(h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 0);
	KUNIT_EXPECT_TRUE(test, node_ok(wb->cc));
	goslab_gc_root_del(h, &wb->roots[0]);
	goslab_gc_root_del(h, &wb->roots[1]);
}

static void goslab_gc_test_barrier_dijkstra(struct kunit *test)
{
	struct wb wb = {};
	struct node *x;
	int tok;

	wb_setup(test, &wb, "kunit-dijkstra");
	wb_expect(test, &wb, GOSLAB_GC_BLACK, GOSLAB_GC_GREY, GOSLAB_GC_WHITE);
	/* The insertion half alone must do it. */
	goslab_gc_test_barrier(wb.c->h, GOSLAB_GC_SHADE_NEW);
	tok = goslab_gc_enter(wb.c->h);
	x = follow(wb.b, 0);
	link(wb.a, 0, x);		/* black A -> white C: C shaded */
	KUNIT_EXPECT_EQ(test, goslab_gc_color(wb.c->h, wb.cc), GOSLAB_GC_GREY);
	link(wb.b, 0, NULL);
	goslab_gc_exit(wb.c->h, tok);
	goslab_gc_test_barrier(wb.c->h, GOSLAB_GC_SHADE_OLD | GOSLAB_GC_SHADE_NEW);
	wb_expect(test, &wb, GOSLAB_GC_BLACK, GOSLAB_GC_GREY, GOSLAB_GC_GREY);
	wb_finish(test, &wb, false);
	expect_no_misses(test, wb.c->h);
}

static void goslab_gc_test_barrier_yuasa(struct kunit *test)
{
	struct wb wb = {};
	struct node *x;
	int tok;

	wb_setup(test, &wb, "kunit-yuasa");
	/* The deletion half alone must do it. */
	goslab_gc_test_barrier(wb.c->h, GOSLAB_GC_SHADE_OLD);
	tok = goslab_gc_enter(wb.c->h);
	x = follow(wb.b, 0);
	link(wb.a, 0, x);		/* no insertion barrier: C stays white */
	KUNIT_EXPECT_EQ(test, goslab_gc_color(wb.c->h, wb.cc), GOSLAB_GC_WHITE);
	link(wb.b, 0, NULL);		/* deleted from grey B: C shaded */
	KUNIT_EXPECT_EQ(test, goslab_gc_color(wb.c->h, wb.cc), GOSLAB_GC_GREY);
	goslab_gc_exit(wb.c->h, tok);
	goslab_gc_test_barrier(wb.c->h, GOSLAB_GC_SHADE_OLD | GOSLAB_GC_SHADE_NEW);
	wb_finish(test, &wb, false);
	expect_no_misses(test, wb.c->h);
}

/* Checkmark is not a formality: with no barrier, it finds the lost C. */
static void goslab_gc_test_checkmark_catches(struct kunit *test)
{
	struct goslab_gc_stats st;
	struct wb wb = {};
	int tok;

	wb_setup(test, &wb, "kunit-nobarrier");
	goslab_gc_test_barrier(wb.c->h, 0);
	tok = goslab_gc_enter(wb.c->h);
	link(wb.a, 0, follow(wb.b, 0));
	link(wb.b, 0, NULL);
	goslab_gc_exit(wb.c->h, tok);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(wb.c->h, wb.cc), GOSLAB_GC_WHITE);
	goslab_gc_test_barrier(wb.c->h, GOSLAB_GC_SHADE_OLD | GOSLAB_GC_SHADE_NEW);
	wb_finish(test, &wb, true);
	goslab_gc_get_stats(wb.c->h, &st);
	KUNIT_EXPECT_EQ(test, st.checkmark_missed, 1ULL);
}

/* Objects allocated while marking are black; a hand-stepped cycle. */
static void goslab_gc_test_alloc_black(struct kunit *test)
{
	struct gc_ctx *c;
	void *root = NULL;
	struct node *x, *y;
	int tok;

	param_set(test, "gc_mode", "incremental");
	c = ctx_new(test, "kunit-black");
	goslab_gc_set_percent(c->h, -1);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &root), 0);
	goslab_gc_step_begin(c->h);
	tok = goslab_gc_enter(c->h);
	x = node_new(c, 1);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(c->h, x), GOSLAB_GC_BLACK);
	y = node_new(c, 2);		/* garbage, black: floating this cycle */
	KUNIT_EXPECT_EQ(test, goslab_gc_color(c->h, y), GOSLAB_GC_BLACK);
	goslab_gc_store(&root, x);
	goslab_gc_exit(c->h, tok);
	KUNIT_EXPECT_EQ(test, goslab_gc_step_finish(c->h), 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 0);
	goslab_gc_collect(c->h);	/* now y goes, x stays */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 1);
	KUNIT_EXPECT_TRUE(test, node_ok(x));
	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(c->h, &root);
	expect_no_misses(test, c->h);
}

/*
 * A section holds an object nothing else reaches, across a collection:
 * the collection cannot end before the section, and the object may be
 * stored back and live on.  Without that, it goes when the section ends.
 */
struct holder {
	struct gc_ctx *c;
	void **root;
	bool store_back;
	struct node *obj;
	struct completion allocated, go, done;
};

static int holder_fn(void *arg)
{
	struct holder *hd = arg;
	int tok = goslab_gc_enter(hd->c->h);

	hd->obj = goslab_gc_alloc(hd->c->node, GFP_KERNEL);
	if (hd->obj) {
		hd->obj->magic = NODE_ALIVE;
		hd->obj->id = 42;
		atomic_inc(&hd->obj->holders);
	}
	complete(&hd->allocated);
	wait_for_completion(&hd->go);
	if (hd->obj) {
		/* Still valid, whatever the collector did meanwhile. */
		if (!node_ok(hd->obj))
			hd->obj = NULL;
		else if (hd->store_back)
			goslab_gc_store(hd->root, hd->obj);
		if (hd->obj)
			atomic_dec(&hd->obj->holders);
	}
	goslab_gc_exit(hd->c->h, tok);
	complete(&hd->done);
	return 0;
}

struct collector {
	struct goslab_gc_heap *h;
	struct completion done;
};

static int collector_fn(void *arg)
{
	struct collector *co = arg;

	goslab_gc_collect(co->h);
	complete(&co->done);
	return 0;
}

static void section_case(struct kunit *test, bool store_back)
{
	struct gc_ctx *c = ctx_new(test, "kunit-section");
	struct holder hd = { .c = c, .store_back = store_back };
	struct collector co = { .h = c->h };
	struct task_struct *t;
	void *root = NULL;
	bool early;

	goslab_gc_set_percent(c->h, -1);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &root), 0);
	hd.root = &root;
	init_completion(&hd.allocated);
	init_completion(&hd.go);
	init_completion(&hd.done);
	init_completion(&co.done);
	t = kthread_run(holder_fn, &hd, "gc_test_holder");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&hd.allocated);
	KUNIT_ASSERT_NOT_NULL(test, hd.obj);

	t = kthread_run(collector_fn, &co, "gc_test_collect");
	if (IS_ERR(t)) {
		complete(&hd.go);
		wait_for_completion(&hd.done);
		KUNIT_FAIL(test, "no collector thread");
		return;
	}
	/* The cycle waits for the section at mark termination. */
	early = wait_for_completion_timeout(&co.done, msecs_to_jiffies(300));
	KUNIT_EXPECT_FALSE(test, early);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 0);
	complete(&hd.go);
	wait_for_completion(&hd.done);
	wait_for_completion(&co.done);
	KUNIT_ASSERT_NOT_NULL_MSG(test, hd.obj, "object died inside its section");

	if (store_back) {
		/* Stored back during termination: shaded, lives on. */
		KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 0);
		goslab_gc_collect(c->h);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 0);
		KUNIT_EXPECT_PTR_EQ(test, root, (void *)hd.obj);
		KUNIT_EXPECT_TRUE(test, node_ok(hd.obj));
		goslab_gc_store(&root, NULL);
	} else {
		/*
		 * Unreachable when the cycle began, but held by a section open
		 * then: this cycle may keep it (floating garbage); the next
		 * one must release it.
		 */
		goslab_gc_collect(c->h);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 1);
	}
	goslab_gc_root_del(c->h, &root);
	expect_no_misses(test, c->h);
	expect_clean_releases(test);
}

static void goslab_gc_test_section_store_back(struct kunit *test)
{
	section_case(test, true);
}

static void goslab_gc_test_section_release(struct kunit *test)
{
	section_case(test, false);
}

/* Release callbacks: once per collected object, process context. */
#define ONCE_N		4000

static void goslab_gc_test_release_once(struct kunit *test)
{
	struct gc_ctx *c = ctx_new(test, "kunit-once");
	struct goslab_gc_heap *h = c->h;
	struct goslab_gc_stats st;
	atomic_t *per_id;
	void *root = NULL;
	struct node *n, *keep = NULL;
	int tok, i;

	per_id = kunit_kcalloc(test, ONCE_N, sizeof(*per_id), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, per_id);
	rel_reset(per_id, ONCE_N);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(h, &root), 0);

	/* Every third object stays on a list from the root. */
	tok = goslab_gc_enter(h);
	for (i = 0; i < ONCE_N; i++) {
		n = node_new(c, i);
		if (i % 3 == 0) {
			link(n, 0, keep);
			keep = n;
		}
	}
	goslab_gc_store(&root, keep);
	goslab_gc_exit(h, tok);

	goslab_gc_collect(h);
	goslab_gc_collect(h);
	for (i = 0; i < ONCE_N; i++)
		if (atomic_read(&per_id[i]) != (i % 3 ? 1 : 0))
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, ONCE_N, "object %d released %d times", i,
			    i < ONCE_N ? atomic_read(&per_id[i]) : 0);
	goslab_gc_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, (u64)DIV_ROUND_UP(ONCE_N, 3));
	KUNIT_EXPECT_EQ(test, st.objects_released, (u64)(ONCE_N - DIV_ROUND_UP(ONCE_N, 3)));
	expect_no_misses(test, h);

	/* Destroying the heap releases the rest, once each. */
	goslab_gc_root_del(h, &root);
	kunit_release_action(test, heap_destroy_action, h);
	for (i = 0; i < ONCE_N; i++)
		if (atomic_read(&per_id[i]) != 1)
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, ONCE_N, "object %d released %d times", i,
			    i < ONCE_N ? atomic_read(&per_id[i]) : 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), ONCE_N);
	expect_clean_releases(test);
}

/* Destroying a heap gives every page back; its callbacks all run. */
static void goslab_gc_test_destroy(struct kunit *test)
{
	struct goslab_stats before, after;
	struct goslab_gc_heap *h;
	struct goslab_gc_type *t, *big, *raw;
	static void *root;
	unsigned int off = 0;
	int tok, i;

	goslab_trim();
	gs_stats(test, &before);
	h = goslab_gc_heap_create("kunit-destroy");
	KUNIT_ASSERT_NOT_NULL(test, h);
	t = goslab_gc_type_create(h, "node", sizeof(struct node), node_ptrs,
				  NPTR, node_release);
	big = goslab_gc_type_create(h, "big", 40000, &off, 1, NULL);
	raw = goslab_gc_type_create(h, "raw", 200, NULL, 0, NULL);
	KUNIT_ASSERT_TRUE(test, t && big && raw);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(h, &root), 0);
	tok = goslab_gc_enter(h);
	for (i = 0; i < 3000; i++) {
		struct node *n = goslab_gc_alloc(t, GFP_KERNEL);

		if (!n)
			break;
		n->magic = NODE_ALIVE;
		n->id = i;
		if (i % 2)
			goslab_gc_store(&n->ptr[0], goslab_gc_load(&root));
		goslab_gc_store(&root, n);
		if (i % 100 == 0) {
			void **b = goslab_gc_alloc(big, GFP_KERNEL);
			void *r = goslab_gc_alloc(raw, GFP_KERNEL);

			KUNIT_EXPECT_TRUE(test, b && r);
			if (b)
				goslab_gc_store(&n->ptr[1], b);
		}
	}
	goslab_gc_exit(h, tok);
	KUNIT_EXPECT_EQ(test, i, 3000);
	goslab_gc_root_del(h, &root);
	goslab_gc_heap_destroy(h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 3000);
	expect_clean_releases(test);
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.pages_in_use, before.pages_in_use);
}

/* goslab_free() of a GC object is refused and reported. */
static void goslab_gc_test_bad_free(struct kunit *test)
{
	struct gc_ctx *c = ctx_new(test, "kunit-badfree");
	struct goslab_stats before, after;
	struct goslab_gc_stats st;
	void *root = NULL;
	struct node *n;
	int tok;

	gs_expect_reports(test);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &root), 0);
	goslab_get_stats(&before);
	tok = goslab_gc_enter(c->h);
	n = node_new(c, 7);
	goslab_gc_store(&root, n);
	goslab_free(n);
	KUNIT_EXPECT_TRUE(test, node_ok(n));
	KUNIT_EXPECT_EQ(test, goslab_usable_size(n), sizeof(struct node));
	goslab_gc_exit(c->h, tok);
	goslab_get_stats(&after);
	goslab_gc_get_stats(c->h, &st);
	if (gs_debug())
		KUNIT_EXPECT_EQ(test, after.debug_invalid_free,
				before.debug_invalid_free + 1);
	else
		KUNIT_EXPECT_EQ(test, st.bad_frees, 1ULL);
	goslab_gc_collect(c->h);
	KUNIT_EXPECT_TRUE(test, node_ok(n));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 0);
	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(c->h, &root);
}

/* Pointer-free objects, large objects and interior pointers. */
static void goslab_gc_test_noscan_large(struct kunit *test)
{
	struct gc_ctx *c = ctx_new(test, "kunit-noscan");
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
	n = node_new(c, 1);
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
	expect_no_misses(test, c->h);
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
	if (!preemptible() || irqs_disabled())
		atomic_long_inc(&rel.atomic_ctx);
	atomic_long_inc(&rel.released);
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
	released = atomic_long_read(&rel.released);
	for (i = 0; i < 2 && atomic_long_read(&rel.released) == released; i++)
		goslab_gc_collect(h);
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&rel.released), released,
			    "%u pages: released while a root holds byte %zu",
			    npages, off);
	/* Read the object only if it still is one. */
	if (atomic_long_read(&rel.released) == released)
		KUNIT_EXPECT_TRUE_MSG(test, gs_stamp_ok(obj, size, TAIL_STRIDE),
				      "%u pages: contents changed", npages);

	goslab_gc_store(&tail_root, NULL);
	goslab_gc_collect(h);
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&rel.released), released + 1,
			    "%u pages: released %ld times, not once", npages,
			    atomic_long_read(&rel.released) - released);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(tail_released), obj);
}

static void goslab_gc_test_large_tail(struct kunit *test)
{
	struct gc_ctx *c = ctx_new(test, "kunit-tail");
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
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released),
			(long)(2 * ARRAY_SIZE(tail_pages)));
	expect_no_misses(test, c->h);
	expect_clean_releases(test);
}

/*
 * A grey list too small overflows into heap rescans, and loses nothing: a
 * complete binary tree, whose frontier outgrows a list of 4 at once.
 */
#define TREE_N		2047

static void goslab_gc_test_grey_overflow(struct kunit *test)
{
	struct gc_ctx *c = ctx_new(test, "kunit-overflow");
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
		v[i] = node_new(c, i);
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
	expect_no_misses(test, c->h);
}

/*
 * A release callback clears its object's fields with goslab_gc_store(), the
 * natural thing for a destructor, while another heap marks (issue #9 item
 * 13).  The write barrier is on for every heap then, and it used to look up
 * the heap of the value overwritten: in a dead ring a neighbour has been
 * released before, and its span freed.  Each ring object fills a span of
 * its own, so every release frees one.  First the other heap is held
 * marking by hand, so every callback runs with the barrier on; then it
 * collects in a loop on a thread while this heap collects rings.
 */
#define RING_LEN	16
#define RING_N		4
#define RING_ROUNDS	10

struct ring {
	u64 magic;
	void *next;
	void *prev;
};

static const unsigned int ring_ptrs[] = {
	offsetof(struct ring, next),
	offsetof(struct ring, prev),
};

static void ring_release(void *obj)
{
	struct ring *r = obj;

	if (r->magic != NODE_ALIVE)
		atomic_long_inc(&rel.double_release);
	if (!preemptible() || irqs_disabled())
		atomic_long_inc(&rel.atomic_ctx);
	goslab_gc_store(&r->next, NULL);
	goslab_gc_store(&r->prev, NULL);
	r->magic = NODE_DEAD;
	atomic_long_inc(&rel.released);
}

/* RING_N unreachable rings of RING_LEN, linked both ways. */
static void rings_build(struct kunit *test, struct goslab_gc_heap *h,
			struct goslab_gc_type *t)
{
	struct ring *first, *prev, *r;
	int tok, i, j;

	tok = goslab_gc_enter(h);
	for (i = 0; i < RING_N; i++) {
		first = NULL;
		prev = NULL;
		for (j = 0; j < RING_LEN; j++) {
			r = goslab_gc_alloc(t, GFP_KERNEL);
			if (!r)
				break;
			r->magic = NODE_ALIVE;
			if (prev) {
				goslab_gc_store(&prev->next, r);
				goslab_gc_store(&r->prev, prev);
			} else {
				first = r;
			}
			prev = r;
		}
		if (first) {
			goslab_gc_store(&prev->next, first);
			goslab_gc_store(&first->prev, prev);
		}
		if (j < RING_LEN)
			break;
	}
	goslab_gc_exit(h, tok);
	KUNIT_ASSERT_EQ_MSG(test, i, RING_N, "allocation failed");
}

struct other_heap {
	struct goslab_gc_heap *h;
	bool stop;
	unsigned long cycles, missed;
	struct completion begun, go, done;
};

static int other_step_fn(void *arg)
{
	struct other_heap *o = arg;

	goslab_gc_step_begin(o->h);
	complete(&o->begun);
	wait_for_completion(&o->go);
	o->missed = goslab_gc_step_finish(o->h);
	complete(&o->done);
	return 0;
}

static int other_collect_fn(void *arg)
{
	struct other_heap *o = arg;

	while (!READ_ONCE(o->stop)) {
		goslab_gc_collect(o->h);
		o->cycles++;
		cond_resched();
	}
	complete(&o->done);
	return 0;
}

static void goslab_gc_test_release_store(struct kunit *test)
{
	struct gc_ctx *c = ctx_new(test, "kunit-relstore");
	struct gc_ctx *oc = ctx_new(test, "kunit-relstore-other");
	struct other_heap o = { .h = oc->h };
	struct goslab_gc_stats st;
	struct goslab_gc_type *t;
	struct task_struct *k;
	struct node *n, *list = NULL;
	void *root = NULL;
	long want;
	int tok, i;

	goslab_gc_set_percent(c->h, -1);
	goslab_gc_set_percent(oc->h, -1);
	t = goslab_gc_type_create(c->h, "ring", GS_HEAP_PAGE, ring_ptrs,
				  ARRAY_SIZE(ring_ptrs), ring_release);
	KUNIT_ASSERT_NOT_NULL(test, t);

	/* The other heap has something to mark: a list from a root. */
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(oc->h, &root), 0);
	tok = goslab_gc_enter(oc->h);
	for (i = 0; i < 64; i++) {
		n = node_new(oc, i);
		link(n, 0, list);
		list = n;
	}
	goslab_gc_store(&root, list);
	goslab_gc_exit(oc->h, tok);

	/*
	 * Every callback runs while the other heap marks: a thread holds its
	 * hand-stepped cycle open (not this task, which must not collect
	 * while holding another heap's cycle).
	 */
	init_completion(&o.begun);
	init_completion(&o.go);
	init_completion(&o.done);
	k = kthread_run(other_step_fn, &o, "gc_test_other");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	wait_for_completion(&o.begun);
	rings_build(test, c->h, t);
	goslab_gc_collect(c->h);
	complete(&o.go);
	wait_for_completion(&o.done);
	KUNIT_EXPECT_EQ(test, o.missed, 0UL);
	want = RING_N * RING_LEN;
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), want);

	/* The other heap collects in a loop meanwhile. */
	reinit_completion(&o.done);
	k = kthread_run(other_collect_fn, &o, "gc_test_other");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	for (i = 0; i < RING_ROUNDS; i++) {
		rings_build(test, c->h, t);
		goslab_gc_collect(c->h);
	}
	WRITE_ONCE(o.stop, true);
	wait_for_completion(&o.done);
	want += RING_ROUNDS * RING_N * RING_LEN;
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), want);
	kunit_info(test, "%lu cycles of the other heap\n", o.cycles);

	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 0ULL);
	expect_no_misses(test, c->h);
	goslab_gc_get_stats(oc->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 64ULL);
	expect_no_misses(test, oc->h);
	expect_clean_releases(test);
	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(oc->h, &root);
}

/*
 * Release callbacks run outside goslab's locks, as the contract says
 * (issue #9 item 15); they used to run with the heap's cycle_mutex held
 * when goslab_gc_collect() ran them.  Two consequences, both checked:
 *
 *  - A callback that takes a lock of its own, here relcb_lock, made every
 *    goslab_gc_collect() under that lock, of any heap, an inversion to
 *    lockdep (cycle_mutex -> relcb_lock -> cycle_mutex).
 *  - While one callback slept, no cycle of its heap could run.
 *
 * The callback also calls back into goslab (statistics of its heap).
 */
static DEFINE_MUTEX(relcb_lock);

static struct {
	struct goslab_gc_heap *h;
	bool block;
	struct completion in, go;
} relcb;

static void relcb_release(void *obj)
{
	struct goslab_gc_stats st;

	mutex_lock(&relcb_lock);
	mutex_unlock(&relcb_lock);
	goslab_gc_get_stats(relcb.h, &st);
	if (READ_ONCE(relcb.block)) {
		WRITE_ONCE(relcb.block, false);
		complete(&relcb.in);
		wait_for_completion_timeout(&relcb.go, 30 * HZ);
	}
	atomic_long_inc(&rel.released);
}

static void relcb_garbage(struct kunit *test, struct goslab_gc_heap *h,
			  struct goslab_gc_type *t)
{
	int tok = goslab_gc_enter(h);
	void *p = goslab_gc_alloc(t, GFP_KERNEL);

	goslab_gc_exit(h, tok);
	KUNIT_ASSERT_NOT_NULL(test, p);
}

static void goslab_gc_test_release_unlocked(struct kunit *test)
{
	struct gc_ctx *c = ctx_new(test, "kunit-relcb");
	struct gc_ctx *oc = ctx_new(test, "kunit-relcb-other");
	struct collector co1 = { .h = c->h }, co2 = { .h = c->h };
	struct goslab_gc_stats st;
	struct goslab_gc_type *t;
	struct task_struct *k;
	unsigned long deadline;
	u64 cycles;

	goslab_gc_set_percent(c->h, -1);
	goslab_gc_set_percent(oc->h, -1);
	relcb.h = c->h;
	init_completion(&relcb.in);
	init_completion(&relcb.go);
	t = goslab_gc_type_create(c->h, "relcb", 64, NULL, 0, relcb_release);
	KUNIT_ASSERT_NOT_NULL(test, t);

	/* The callback takes relcb_lock; another heap collects under it. */
	relcb_garbage(test, c->h, t);
	goslab_gc_collect(c->h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 1);
	mutex_lock(&relcb_lock);
	goslab_gc_collect(oc->h);
	mutex_unlock(&relcb_lock);

	/* A callback sleeps; another cycle of its heap runs meanwhile. */
	relcb_garbage(test, c->h, t);
	WRITE_ONCE(relcb.block, true);
	init_completion(&co1.done);
	init_completion(&co2.done);
	k = kthread_run(collector_fn, &co1, "gc_test_collect1");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&relcb.in,
							    30 * HZ));
	goslab_gc_get_stats(c->h, &st);
	cycles = st.cycles;
	k = kthread_run(collector_fn, &co2, "gc_test_collect2");
	if (IS_ERR(k)) {
		complete(&relcb.go);
		wait_for_completion(&co1.done);
		KUNIT_FAIL(test, "no second collector thread");
		return;
	}
	deadline = jiffies + 10 * HZ;
	do {
		msleep(20);
		goslab_gc_get_stats(c->h, &st);
	} while (st.cycles == cycles && time_before(jiffies, deadline));
	KUNIT_EXPECT_GT_MSG(test, st.cycles, cycles,
			    "no cycle ran in 10 s while a release callback slept");
	complete(&relcb.go);
	wait_for_completion(&co1.done);
	wait_for_completion(&co2.done);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 2);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 0ULL);
	expect_no_misses(test, c->h);
	expect_no_misses(test, oc->h);
}

/*
 * A pointer into another heap is a caller's bug that the barrier, off
 * outside marking, cannot see.  The store is performed; the collector does
 * not follow it and counts it in bad_pointers where it meets it (issue #9
 * item 15).
 */
static void goslab_gc_test_cross_heap(struct kunit *test)
{
	struct gc_ctx *a = ctx_new(test, "kunit-cross-a");
	struct gc_ctx *b = ctx_new(test, "kunit-cross-b");
	struct goslab_gc_stats st;
	struct node *x, *y;
	void *root = NULL;
	int ta, tb;

	goslab_gc_set_percent(a->h, -1);
	goslab_gc_set_percent(b->h, -1);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(a->h, &root), 0);
	ta = goslab_gc_enter(a->h);
	tb = goslab_gc_enter(b->h);
	x = node_new(a, 1);
	y = node_new(b, 2);
	goslab_gc_store(&root, x);
	link(x, 0, y);
	KUNIT_EXPECT_PTR_EQ(test, follow(x, 0), y);
	goslab_gc_exit(b->h, tb);
	goslab_gc_exit(a->h, ta);

	goslab_gc_collect(a->h);
	goslab_gc_get_stats(a->h, &st);
	KUNIT_EXPECT_GE(test, st.bad_pointers, 1ULL);
	KUNIT_EXPECT_EQ(test, st.checkmark_missed, 0ULL);
	KUNIT_EXPECT_EQ(test, st.objects, 1ULL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 0);

	/* Still there; once it is cleared, its own heap collects it. */
	ta = goslab_gc_enter(a->h);
	KUNIT_EXPECT_PTR_EQ(test, follow(x, 0), y);
	link(x, 0, NULL);
	goslab_gc_exit(a->h, ta);
	goslab_gc_collect(b->h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 1);
	goslab_gc_store(&root, NULL);
	goslab_gc_root_del(a->h, &root);
	goslab_gc_collect(a->h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released), 2);
	expect_no_misses(test, b->h);
	expect_clean_releases(test);
}

/*
 * In debug mode a root's pointer is checked before it is shaded.  A task
 * adding a root of heap A that points into heap B is held in that check,
 * once it has looked the pointer up and dropped the heap lock
 * (goslab.test_hold=gc_check), while B is destroyed, its spans with it:
 * the check must find the pointer bad, and not read B's freed span.
 */
struct root_adder {
	struct goslab_gc_heap *h;
	void **slot;
	int ret;
	struct completion done;
};

static int root_adder_fn(void *arg)
{
	struct root_adder *r = arg;

	r->ret = goslab_gc_root_add(r->h, r->slot);
	complete(&r->done);
	return 0;
}

static void goslab_gc_test_check_race(struct kunit *test)
{
	struct goslab_gc_stats st;
	struct goslab_gc_heap *b;
	struct goslab_gc_type *bt;
	struct root_adder r;
	struct task_struct *t;
	struct gc_ctx *a;
	void *slot;
	int pid, tb;

	if (!gs_debug())
		kunit_skip(test, "debug mode only (goslab debug=1)");
	gs_test_hold_need(test);
	a = ctx_new(test, "kunit-check-a");
	b = goslab_gc_heap_create("kunit-check-b");
	KUNIT_ASSERT_NOT_NULL(test, b);
	goslab_gc_set_percent(b, -1);
	bt = goslab_gc_type_create(b, "node", sizeof(struct node), node_ptrs,
				   NPTR, NULL);
	slot = NULL;
	if (bt) {
		tb = goslab_gc_enter(b);
		slot = goslab_gc_alloc(bt, GFP_KERNEL);
		goslab_gc_exit(b, tb);
	}
	if (!slot)
		goslab_gc_heap_destroy(b);
	KUNIT_ASSERT_NOT_NULL(test, slot);

	r.h = a->h;
	r.slot = &slot;
	init_completion(&r.done);
	t = kthread_create(root_adder_fn, &r, "goslab_gc_checker");
	if (IS_ERR(t))
		goslab_gc_heap_destroy(b);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	pid = gs_test_hold_arm(test, "gc_check", t);
	wake_up_process(t);
	gs_test_held(test, "gc_check", pid);
	goslab_gc_heap_destroy(b);
	gs_test_hold_release(test);
	wait_for_completion(&r.done);

	KUNIT_EXPECT_EQ(test, r.ret, 0);
	goslab_gc_get_stats(a->h, &st);
	KUNIT_EXPECT_EQ(test, st.bad_pointers, 1ULL);
	slot = NULL;
	goslab_gc_root_del(a->h, &slot);
}

/*
 * Sections of two heaps nest in opposite orders while both heaps stop the
 * world (issue #9 item 12), which the contract allows:
 *
 *   1. T1 enters a section of A.	2. T2 enters a section of B.
 *   3. A's and B's collectors stop their worlds (stw mode): each waits
 *      for the other task's outer section.
 *   4. T1 enters B, T2 enters A: each waits for the other's stop.
 *
 * Nothing must wait for ever.  The stop waits on a plain wait queue, which
 * lockdep cannot see; steps 3 and 4 are ordered by
 * goslab_gc_test_stopped().  On a deadlock the threads stay blocked: their
 * state and the heaps are left behind, not freed under them.
 */
struct nest {
	struct goslab_gc_heap *outer, *inner;
	struct completion in, done;
	struct completion *go;
};

static int nest_fn(void *arg)
{
	struct nest *n = arg;
	int outer, inner;

	outer = goslab_gc_enter(n->outer);
	complete(&n->in);
	wait_for_completion(n->go);
	inner = goslab_gc_enter(n->inner);
	goslab_gc_exit(n->inner, inner);
	goslab_gc_exit(n->outer, outer);
	complete(&n->done);
	return 0;
}

struct nest_case {
	struct nest t1, t2;
	struct collector ca, cb;
	struct completion go;
};

static void goslab_gc_test_nested_stop(struct kunit *test)
{
	struct goslab_gc_heap *a, *b;
	struct task_struct *k[4];
	struct nest_case *nc;
	unsigned long deadline;
	bool stopped = false, done;
	char val[32];
	int i;

	param_set(test, "gc_mode", "stw");
	/* Fault-injection kernels: steps 3 and 4 overlap for sure. */
	if (!gs_read_file("/sys/module/goslab/parameters/test_stw_patience_ms",
			  val, sizeof(val)))
		param_set(test, "test_stw_patience_ms", "3000");
	nc = kzalloc(sizeof(*nc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, nc);
	a = goslab_gc_heap_create("kunit-nest-a");
	b = goslab_gc_heap_create("kunit-nest-b");
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	goslab_gc_set_percent(a, -1);
	goslab_gc_set_percent(b, -1);
	init_completion(&nc->go);
	nc->t1 = (struct nest){ .outer = a, .inner = b, .go = &nc->go };
	nc->t2 = (struct nest){ .outer = b, .inner = a, .go = &nc->go };
	init_completion(&nc->t1.in);
	init_completion(&nc->t1.done);
	init_completion(&nc->t2.in);
	init_completion(&nc->t2.done);
	nc->ca.h = a;
	nc->cb.h = b;
	init_completion(&nc->ca.done);
	init_completion(&nc->cb.done);

	k[0] = kthread_run(nest_fn, &nc->t1, "gc_test_nest1");
	k[1] = kthread_run(nest_fn, &nc->t2, "gc_test_nest2");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k[0]) || IS_ERR(k[1]));
	wait_for_completion(&nc->t1.in);
	wait_for_completion(&nc->t2.in);
	k[2] = kthread_run(collector_fn, &nc->ca, "gc_test_collect_a");
	k[3] = kthread_run(collector_fn, &nc->cb, "gc_test_collect_b");
	if (IS_ERR(k[2]) || IS_ERR(k[3])) {
		complete_all(&nc->go);
		KUNIT_FAIL(test, "no collector threads");
		return;
	}
	deadline = jiffies + 10 * HZ;
	while (time_before(jiffies, deadline)) {
		if (goslab_gc_test_stopped(a) && goslab_gc_test_stopped(b)) {
			stopped = true;
			break;
		}
		usleep_range(500, 1000);
	}
	KUNIT_EXPECT_TRUE_MSG(test, stopped, "the two stops never overlapped");
	complete_all(&nc->go);

	done = true;
	for (i = 0; i < 4 && done; i++) {
		struct completion *c[] = { &nc->t1.done, &nc->t2.done,
					   &nc->ca.done, &nc->cb.done };

		done = wait_for_completion_timeout(c[i], 30 * HZ);
	}
	if (!done) {
		KUNIT_FAIL(test, "deadlock: thread %d still blocked after 30 s",
			   i - 1);
		return;
	}
	goslab_gc_heap_destroy(a);
	goslab_gc_heap_destroy(b);
	kfree(nc);
}

/*
 * A small workload under each mode, cycles started by the pacer only: a
 * ring of root slots whose objects are replaced as the mutator goes.
 */
static void mode_case(struct kunit *test, const char *mode)
{
	struct gc_ctx *c;
	struct goslab_gc_stats st;
	void **roots;
	struct node *n, *old;
	unsigned int i, nroots = 256;
	int tok;
	bool ok = true;

	param_set(test, "gc_mode", mode);
	param_set(test, "gc_min_heap_kb", "32");
	param_set(test, "gc_trace", "Y");
	c = ctx_new(test, mode);
	goslab_gc_set_percent(c->h, 50);
	roots = kunit_kcalloc(test, nroots, sizeof(*roots), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, roots);
	for (i = 0; i < nroots; i++)
		KUNIT_ASSERT_EQ(test, goslab_gc_root_add(c->h, &roots[i]), 0);
	tok = goslab_gc_enter(c->h);
	for (i = 0; i < 12000; i++) {
		n = node_new(c, i);
		old = goslab_gc_load(&roots[i % nroots]);
		if (old && !node_ok(old))
			ok = false;
		link(n, 0, old);	/* a chain of two: old dies next round */
		if (old)
			link(old, 0, NULL);
		goslab_gc_store(&roots[i % nroots], n);
		if (i % 64 == 63) {
			goslab_gc_exit(c->h, tok);
			tok = goslab_gc_enter(c->h);
		}
	}
	goslab_gc_exit(c->h, tok);
	/* The last cycle the pacer started may still be running. */
	goslab_gc_collect(c->h);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_TRUE(test, ok);
	KUNIT_EXPECT_GE(test, st.cycles, 3ULL);
	/* Each slot's node, and the one it replaced, which it points to. */
	KUNIT_EXPECT_EQ(test, st.objects, 2ULL * nroots);
	if (!strcmp(mode, "stw"))
		KUNIT_EXPECT_GT(test, st.pause_max_ns, 0ULL);
	kunit_info(test, "%s: %llu cycles, %llu marked, %llu assists, longest pause %llu us, last mark %llu us\n",
		   mode, st.cycles, st.objects_marked, st.assists,
		   st.pause_max_ns / 1000, st.last_mark_ns / 1000);
	for (i = 0; i < nroots; i++) {
		goslab_gc_store(&roots[i], NULL);
		goslab_gc_root_del(c->h, &roots[i]);
	}
	expect_no_misses(test, c->h);
	expect_clean_releases(test);
}

static void goslab_gc_test_mode_stw(struct kunit *test)
{
	mode_case(test, "stw");
}

static void goslab_gc_test_mode_incremental(struct kunit *test)
{
	mode_case(test, "incremental");
}

static void goslab_gc_test_mode_concurrent(struct kunit *test)
{
	mode_case(test, "concurrent");
}

/*
 * The graph: roots -> buckets (512 pointer fields each) -> nodes, which
 * point at each other at random.  Each mutator writes only its own
 * buckets' slots, keeping the nodes' slot_refs exact; node fields are
 * rewired by anyone.
 */
#define BUCKET_SLOTS	512
#define HOLD_MAX	32
#define OPS_PER_SECTION	32

struct graph {
	struct gc_ctx *c;
	struct goslab_gc_type *bucket;
	void **roots;		/* one root slot per bucket */
	unsigned int nbuckets;
	unsigned long nslots;
};

struct mutator {
	struct graph *g;
	struct task_struct *task;
	struct completion done;
	unsigned int id;
	unsigned int nmut;
	unsigned long target;
	struct rnd_state rnd;
	struct node *hold[HOLD_MAX];
	unsigned int nhold;

	unsigned long ops;
	unsigned long allocs;
	unsigned long rewires;
	unsigned long moves;
	unsigned long walked;
	unsigned long bad;	/* a reachable or held node not alive */
	bool alloc_failed;
};

static void **slot_of(struct graph *g, unsigned long s)
{
	void **b = goslab_gc_load(&g->roots[s / BUCKET_SLOTS]);

	return &b[s % BUCKET_SLOTS];
}

/* A slot index the mutator may write: buckets of its own. */
static unsigned long own_slot(struct mutator *m)
{
	unsigned long b = prandom_u32_state(&m->rnd) %
			  (m->g->nbuckets / m->nmut) * m->nmut + m->id;

	return b * BUCKET_SLOTS + prandom_u32_state(&m->rnd) % BUCKET_SLOTS;
}

static unsigned long any_slot(struct mutator *m)
{
	return prandom_u32_state(&m->rnd) % m->g->nslots;
}

/* Keep @n for the rest of the section, checked when it ends. */
static struct node *hold(struct mutator *m, struct node *n)
{
	if (!n)
		return NULL;
	if (!node_ok(n)) {
		m->bad++;
		return NULL;
	}
	if (m->nhold < HOLD_MAX) {
		atomic_inc(&n->holders);
		m->hold[m->nhold++] = n;
	}
	return n;
}

static void set_slot(void **slot, struct node *n)
{
	struct node *old = goslab_gc_load(slot);

	if (n)
		atomic_inc(&n->slot_refs);
	goslab_gc_store(slot, n);
	if (old)
		atomic_dec(&old->slot_refs);
}

static void mutator_op(struct mutator *m)
{
	struct graph *g = m->g;
	u32 r = prandom_u32_state(&m->rnd) % 100;
	struct node *x, *y;
	void **slot;
	int i;

	if (r < 35) {			/* replace a slot's node */
		x = goslab_gc_alloc(g->c->node, GFP_KERNEL);
		if (!x) {
			m->alloc_failed = true;
			return;
		}
		x->magic = NODE_ALIVE;
		x->id = m->allocs++;
		hold(m, x);
		link(x, 0, hold(m, goslab_gc_load(slot_of(g, any_slot(m)))));
		link(x, 1, hold(m, goslab_gc_load(slot_of(g, any_slot(m)))));
		set_slot(slot_of(g, own_slot(m)), x);
	} else if (r < 65) {		/* rewire a node's field */
		x = hold(m, goslab_gc_load(slot_of(g, any_slot(m))));
		y = hold(m, goslab_gc_load(slot_of(g, any_slot(m))));
		if (x) {
			link(x, r & 1, y);
			m->rewires++;
		}
	} else if (r < 75) {		/* move: unreachable for a while */
		slot = slot_of(g, own_slot(m));
		x = hold(m, goslab_gc_load(slot));
		set_slot(slot, NULL);
		if (x) {
			cond_resched();
			set_slot(slot_of(g, own_slot(m)), x);
			m->moves++;
		}
	} else {			/* walk from a slot */
		x = goslab_gc_load(slot_of(g, any_slot(m)));
		for (i = 0; x && i < 8; i++) {
			if (!node_ok(x)) {
				m->bad++;
				break;
			}
			m->walked++;
			x = follow(x, prandom_u32_state(&m->rnd) & 1);
		}
	}
}

static int mutator_fn(void *arg)
{
	struct mutator *m = arg;
	struct goslab_gc_heap *h = m->g->c->h;
	unsigned int i;
	int tok;

	while (m->ops < m->target && !m->alloc_failed) {
		tok = goslab_gc_enter(h);
		for (i = 0; i < OPS_PER_SECTION; i++, m->ops++)
			mutator_op(m);
		/* Everything held must have lived to the end of the section. */
		for (i = 0; i < m->nhold; i++) {
			if (!node_ok(m->hold[i]))
				m->bad++;
			atomic_dec(&m->hold[i]->holders);
		}
		m->nhold = 0;
		goslab_gc_exit(h, tok);
		cond_resched();
	}
	complete(&m->done);
	return 0;
}

static void graph_build(struct kunit *test, struct graph *g,
			unsigned int nodes)
{
	struct goslab_gc_heap *h = g->c->h;
	struct rnd_state rnd;
	unsigned int *offs, i;
	struct node *n;
	void **b;
	int tok;

	offs = kunit_kcalloc(test, BUCKET_SLOTS, sizeof(*offs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, offs);
	for (i = 0; i < BUCKET_SLOTS; i++)
		offs[i] = i * sizeof(void *);
	g->bucket = goslab_gc_type_create(h, "bucket",
					  BUCKET_SLOTS * sizeof(void *), offs,
					  BUCKET_SLOTS, NULL);
	KUNIT_ASSERT_NOT_NULL(test, g->bucket);
	g->nbuckets = round_up(DIV_ROUND_UP(nodes, BUCKET_SLOTS), 2);
	g->nslots = (unsigned long)g->nbuckets * BUCKET_SLOTS;
	g->roots = kunit_kcalloc(test, g->nbuckets, sizeof(*g->roots),
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, g->roots);
	prandom_seed_state(&rnd, 42);

	tok = goslab_gc_enter(h);
	for (i = 0; i < g->nbuckets; i++) {
		KUNIT_ASSERT_EQ(test, goslab_gc_root_add(h, &g->roots[i]), 0);
		b = goslab_gc_alloc(g->bucket, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, b);
		goslab_gc_store(&g->roots[i], b);
	}
	for (i = 0; i < nodes; i++) {
		n = node_new(g->c, i);
		if (i) {
			link(n, 0, goslab_gc_load(slot_of(g, prandom_u32_state(&rnd) % i)));
			link(n, 1, goslab_gc_load(slot_of(g, prandom_u32_state(&rnd) % i)));
		}
		set_slot(slot_of(g, i), n);
		if (i % 512 == 511) {
			goslab_gc_exit(h, tok);
			cond_resched();
			tok = goslab_gc_enter(h);
		}
	}
	goslab_gc_exit(h, tok);
}

/* Every bucket slot holds a live node, or NULL. */
static unsigned long graph_check(struct graph *g)
{
	struct goslab_gc_heap *h = g->c->h;
	unsigned long s, bad = 0;
	struct node *n;
	int tok = goslab_gc_enter(h);

	for (s = 0; s < g->nslots; s++) {
		n = goslab_gc_load(slot_of(g, s));
		if (n && (!node_ok(n) || !atomic_read(&n->slot_refs)))
			bad++;
	}
	goslab_gc_exit(h, tok);
	return bad;
}

/* Empty every slot (so no node counts as rooted), drop the roots. */
static void graph_teardown(struct graph *g)
{
	struct goslab_gc_heap *h = g->c->h;
	unsigned long s;
	unsigned int i;
	int tok;

	tok = goslab_gc_enter(h);
	for (s = 0; s < g->nslots; s++) {
		set_slot(slot_of(g, s), NULL);
		if (s % 4096 == 4095) {
			goslab_gc_exit(h, tok);
			cond_resched();
			tok = goslab_gc_enter(h);
		}
	}
	goslab_gc_exit(h, tok);
	for (i = 0; i < g->nbuckets; i++) {
		goslab_gc_store(&g->roots[i], NULL);
		goslab_gc_root_del(g->c->h, &g->roots[i]);
	}
}

/*
 * Concurrent stress: two mutator threads rewire a graph of 100,000
 * objects inside sections while the concurrent collector runs cycles
 * paced by their allocation, checkmark after every cycle.
 */
static void goslab_gc_test_stress(struct kunit *test)
{
	unsigned int nmut = 2, i;
	unsigned long released0;
	struct goslab_gc_stats st0, st;
	struct mutator *m;
	struct graph g = {};
	u64 allocs = 0;

	param_set(test, "gc_mode", "concurrent");
	param_set(test, "gc_min_heap_kb", "256");
	g.c = ctx_new(test, "kunit-stress");
	/* GOGC 10: a cycle every ~10% of growth, many cycles per run. */
	goslab_gc_set_percent(g.c->h, 10);
	graph_build(test, &g, gc_stress_nodes);
	goslab_gc_collect(g.c->h);
	goslab_gc_get_stats(g.c->h, &st0);
	released0 = atomic_long_read(&rel.released);
	KUNIT_EXPECT_GE(test, st0.objects, (u64)gc_stress_nodes);

	m = kunit_kcalloc(test, nmut, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	/* Bound by work, not time: a busy machine only makes it slower. */
	for (i = 0; i < nmut; i++) {
		m[i].g = &g;
		m[i].id = i;
		m[i].nmut = nmut;
		m[i].target = gc_stress_ops / nmut;
		prandom_seed_state(&m[i].rnd, get_random_u64());
		init_completion(&m[i].done);
		m[i].task = kthread_create(mutator_fn, &m[i], "gc_mutator/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(m[i].task));
		kthread_bind(m[i].task, i % num_online_cpus());
	}
	for (i = 0; i < nmut; i++)
		wake_up_process(m[i].task);
	/* In steps, so that the hung-task detector sees a waiting task run. */
	for (i = 0; i < nmut; i++)
		while (!wait_for_completion_timeout(&m[i].done, 10 * HZ))
			;

	/* One more cycle to collect what the mutators left behind. */
	goslab_gc_collect(g.c->h);
	goslab_gc_get_stats(g.c->h, &st);
	for (i = 0; i < nmut; i++) {
		KUNIT_EXPECT_EQ_MSG(test, m[i].bad, 0UL,
				    "mutator %u saw %lu dead nodes", i, m[i].bad);
		KUNIT_EXPECT_FALSE(test, m[i].alloc_failed);
		allocs += m[i].allocs;
	}
	KUNIT_EXPECT_EQ(test, graph_check(&g), 0UL);
	KUNIT_EXPECT_GE(test, st.cycles - st0.cycles, 3ULL);
	KUNIT_EXPECT_EQ(test, st.checkmarks, st.cycles);
	KUNIT_EXPECT_EQ(test, st.checkmark_missed, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bad_pointers, 0ULL);
	kunit_info(test, "%u mutators, %lu + %lu ops, %llu allocs, %llu cycles, %llu objects marked, %llu released, %llu assists, longest pause %llu us, mark %llu us/cycle\n",
		   nmut, m[0].ops, m[1].ops, allocs, st.cycles - st0.cycles,
		   st.objects_marked - st0.objects_marked,
		   (u64)(atomic_long_read(&rel.released) - released0), st.assists,
		   st.pause_max_ns / 1000,
		   div64_u64(st.mark_ns - st0.mark_ns,
			     max(st.cycles - st0.cycles, 1ULL)) / 1000);

	/* Everything goes when the heap does: each object exactly once. */
	graph_teardown(&g);
	kunit_release_action(test, heap_destroy_action, g.c->h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rel.released),
			(long)(gc_stress_nodes + allocs));
	expect_clean_releases(test);
}

/*
 * Pacer: a steady workload (a fixed live set whose objects are replaced
 * at random) keeps the heap, as the pacer measures it, within 25% above
 * the goal in every cycle: the bound this test states and checks.
 */
#define PACER_LIVE	16384
#define PACER_ALLOCS	(8 * PACER_LIVE)
/* Cycles that start late cover more: go on, if need be, until three ran. */
#define PACER_MAX_ALLOCS	(64 * PACER_LIVE)
#define PACER_BOUND	1250	/* heap_live / goal, in thousandths */

static void pacer_case(struct kunit *test, const char *mode)
{
	struct goslab_gc_stats st0, st;
	struct graph g = {};
	struct mutator *m;
	unsigned long i;
	struct node *x;
	int tok;

	param_set(test, "gc_mode", mode);
	param_set(test, "gc_min_heap_kb", "64");
	g.c = ctx_new(test, mode);
	goslab_gc_set_percent(g.c->h, 100);
	graph_build(test, &g, PACER_LIVE);
	goslab_gc_collect(g.c->h);
	goslab_gc_stats_reset(g.c->h);
	goslab_gc_get_stats(g.c->h, &st0);

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->g = &g;
	m->nmut = 1;
	prandom_seed_state(&m->rnd, 7);
	tok = goslab_gc_enter(g.c->h);
	for (i = 0; i < PACER_MAX_ALLOCS; i++) {
		x = goslab_gc_alloc(g.c->node, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, x);
		x->magic = NODE_ALIVE;
		set_slot(slot_of(&g, any_slot(m)), x);
		if (i % 64 != 63)
			continue;
		if (i >= PACER_ALLOCS) {
			goslab_gc_get_stats(g.c->h, &st);
			if (st.cycles - st0.cycles >= 3)
				break;
		}
		goslab_gc_exit(g.c->h, tok);
		cond_resched();
		tok = goslab_gc_enter(g.c->h);
	}
	goslab_gc_exit(g.c->h, tok);
	goslab_gc_get_stats(g.c->h, &st);
	KUNIT_EXPECT_GE(test, st.cycles - st0.cycles, 3ULL);
	KUNIT_EXPECT_LE_MSG(test, st.goal_ratio_max, (u64)PACER_BOUND,
			    "heap reached %llu/1000 of its goal", st.goal_ratio_max);
	if (!strcmp(mode, "incremental"))
		KUNIT_EXPECT_GT(test, st.assists, st0.assists);
	kunit_info(test, "%s: %lu allocations, %llu cycles, goal %llu KiB, live peak %llu KiB (%llu/1000 of goal), allocated peak %llu KiB, %llu assists\n",
		   mode, i, st.cycles - st0.cycles, st.heap_goal >> 10,
		   st.heap_peak >> 10, st.goal_ratio_max,
		   st.heap_alloc_peak >> 10, st.assists - st0.assists);
	graph_teardown(&g);
	expect_no_misses(test, g.c->h);
}

static void goslab_gc_test_pacer_concurrent(struct kunit *test)
{
	pacer_case(test, "concurrent");
}

static void goslab_gc_test_pacer_incremental(struct kunit *test)
{
	pacer_case(test, "incremental");
}

/*
 * A heap its owner never destroys: goslab's unload frees it, objects and
 * all, before it counts the objects callers left (the unload line must
 * then say 0 pages held).  No root outlives this module and no
 * cycle runs, so nothing touches this module's memory later.
 */
static void goslab_gc_test_leak_at_unload(struct kunit *test)
{
	struct goslab_gc_heap *h = goslab_gc_heap_create("kunit-leak");
	struct goslab_gc_type *t;
	int tok, i;

	KUNIT_ASSERT_NOT_NULL(test, h);
	goslab_gc_set_percent(h, -1);
	t = goslab_gc_type_create(h, "raw", 64, NULL, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	tok = goslab_gc_enter(h);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_NOT_NULL(test, goslab_gc_alloc(t, GFP_KERNEL));
	goslab_gc_exit(h, tok);
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

/* The type of struct hub, every field a pointer, in @c's heap. */
static struct goslab_gc_type *hub_type(struct kunit *test, struct gc_ctx *c)
{
	unsigned int *offs = kunit_kcalloc(test, STRETCH_FAN, sizeof(*offs), GFP_KERNEL);
	struct goslab_gc_type *t;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, offs);
	for (i = 0; i < STRETCH_FAN; i++)
		offs[i] = i * sizeof(void *);
	t = goslab_gc_type_create(c->h, "hub", sizeof(struct hub), offs,
				  STRETCH_FAN, NULL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	return t;
}

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
			goslab_gc_store(&hub->ptr[j], node_new(c, i * fan + j));
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

	param_set(test, "gc_mode", "incremental");
	c = ctx_new(test, "kunit-stretch");
	goslab_gc_set_percent(c->h, -1);
	hub_t = hub_type(test, c);
	hub_tree(test, c, hub_t, &root, STRETCH_HUBS, STRETCH_FAN);

	goslab_gc_test_grey_limit(c->h, 4);
	goslab_gc_collect(c->h);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_GT(test, st.rescans, 0ULL);
	KUNIT_EXPECT_EQ(test, st.objects, (u64)(1 + STRETCH_HUBS * (STRETCH_FAN + 1)));
	KUNIT_EXPECT_LE_MSG(test, st.stretch_max, bound,
			    "rescanning %llu objects", st.objects);
	expect_no_misses(test, c->h);

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
	expect_no_misses(test, c->h);

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
	unsigned long scanned;
	struct completion done;
};

static int resched_marker_fn(void *arg)
{
	struct resched_marker *m = arg;

	m->scanned = goslab_gc_step_bytes(m->h, RESCHED_HUBS * sizeof(struct hub));
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
	c = ctx_new(test, "kunit-resched");
	goslab_gc_set_percent(c->h, -1);
	hub_t = hub_type(test, c);
	hub_tree(test, c, hub_t, &root, RESCHED_HUBS, 0);

	goslab_gc_step_begin(c->h);
	KUNIT_EXPECT_EQ(test, goslab_gc_step(c->h, 1), 1UL);
	m.h = c->h;
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

static struct kunit_case goslab_gc_cases[] = {
	KUNIT_CASE(goslab_gc_test_cycles),
	KUNIT_CASE(goslab_gc_test_reachable),
	KUNIT_CASE(goslab_gc_test_barrier_dijkstra),
	KUNIT_CASE(goslab_gc_test_barrier_yuasa),
	KUNIT_CASE(goslab_gc_test_checkmark_catches),
	KUNIT_CASE(goslab_gc_test_alloc_black),
	KUNIT_CASE(goslab_gc_test_section_store_back),
	KUNIT_CASE(goslab_gc_test_section_release),
	KUNIT_CASE(goslab_gc_test_release_once),
	KUNIT_CASE(goslab_gc_test_destroy),
	KUNIT_CASE(goslab_gc_test_bad_free),
	KUNIT_CASE(goslab_gc_test_noscan_large),
	KUNIT_CASE(goslab_gc_test_large_tail),
	KUNIT_CASE(goslab_gc_test_grey_overflow),
	KUNIT_CASE_SLOW(goslab_gc_test_bounded_stretch),
	KUNIT_CASE(goslab_gc_test_resched_holds_nothing),
	KUNIT_CASE(goslab_gc_test_release_store),
	KUNIT_CASE(goslab_gc_test_release_unlocked),
	KUNIT_CASE(goslab_gc_test_cross_heap),
	KUNIT_CASE(goslab_gc_test_check_race),
	KUNIT_CASE_SLOW(goslab_gc_test_nested_stop),
	KUNIT_CASE_SLOW(goslab_gc_test_mode_stw),
	KUNIT_CASE_SLOW(goslab_gc_test_mode_incremental),
	KUNIT_CASE_SLOW(goslab_gc_test_mode_concurrent),
	KUNIT_CASE_SLOW(goslab_gc_test_stress),
	KUNIT_CASE_SLOW(goslab_gc_test_pacer_concurrent),
	KUNIT_CASE_SLOW(goslab_gc_test_pacer_incremental),
	KUNIT_CASE(goslab_gc_test_leak_at_unload),
	{}
};

static struct kunit_suite goslab_gc_suite = {
	.name = "goslab_gc",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.init = gc_test_init,
	.test_cases = goslab_gc_cases,
};

kunit_test_suite(goslab_gc_suite);
