// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: when the garbage collector releases objects (suite
 * goslab_gc_release): not while a section holds them, once each, on the
 * heap's destruction or goslab's unload too, and release callbacks that
 * store into their objects, take locks of their own or sleep.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mutex.h>

#include "gc_test.h"

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

static void section_case(struct kunit *test, bool store_back)
{
	struct gc_ctx *c = gc_ctx_new(test, "kunit-section");
	struct holder hd = { .c = c, .store_back = store_back };
	struct gc_collector co = { .h = c->h };
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

	t = kthread_run(gc_collector_fn, &co, "gc_test_collect");
	if (IS_ERR(t)) {
		complete(&hd.go);
		wait_for_completion(&hd.done);
		KUNIT_FAIL(test, "no collector thread");
		return;
	}
	/* The cycle waits for the section at mark termination. */
	early = wait_for_completion_timeout(&co.done, msecs_to_jiffies(300));
	KUNIT_EXPECT_FALSE(test, early);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 0);
	complete(&hd.go);
	wait_for_completion(&hd.done);
	wait_for_completion(&co.done);
	KUNIT_ASSERT_NOT_NULL_MSG(test, hd.obj, "object died inside its section");

	if (store_back) {
		/* Stored back during termination: shaded, lives on. */
		KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 0);
		goslab_gc_collect(c->h);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 0);
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
		KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 1);
	}
	goslab_gc_root_del(c->h, &root);
	gc_expect_no_misses(test, c->h);
	gc_expect_clean_releases(test);
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

/* Every object released once, but every third one if @kept: not yet. */
static void expect_once(struct kunit *test, atomic_t *per_id, bool kept)
{
	int i;

	for (i = 0; i < ONCE_N; i++)
		if (atomic_read(&per_id[i]) != (kept && i % 3 == 0 ? 0 : 1))
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, ONCE_N, "object %d released %d times", i,
			    i < ONCE_N ? atomic_read(&per_id[i]) : 0);
}

static void goslab_gc_test_release_once(struct kunit *test)
{
	struct gc_ctx *c = gc_ctx_new(test, "kunit-once");
	struct goslab_gc_heap *h = c->h;
	struct goslab_gc_stats st;
	atomic_t *per_id;
	void *root = NULL;
	struct node *n, *keep = NULL;
	int tok, i;

	per_id = kunit_kcalloc(test, ONCE_N, sizeof(*per_id), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, per_id);
	gc_rel_reset(per_id, ONCE_N);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(h, &root), 0);

	/* Every third object stays on a list from the root. */
	tok = goslab_gc_enter(h);
	for (i = 0; i < ONCE_N; i++) {
		n = gc_node_new(c, i);
		if (i % 3 == 0) {
			link(n, 0, keep);
			keep = n;
		}
	}
	goslab_gc_store(&root, keep);
	goslab_gc_exit(h, tok);

	goslab_gc_collect(h);
	goslab_gc_collect(h);
	expect_once(test, per_id, true);
	goslab_gc_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, (u64)DIV_ROUND_UP(ONCE_N, 3));
	KUNIT_EXPECT_EQ(test, st.objects_released, (u64)(ONCE_N - DIV_ROUND_UP(ONCE_N, 3)));
	gc_expect_no_misses(test, h);

	/* Destroying the heap releases the rest, once each. */
	goslab_gc_root_del(h, &root);
	kunit_release_action(test, gc_heap_destroy_action, h);
	expect_once(test, per_id, false);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), ONCE_N);
	gc_expect_clean_releases(test);
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
	t = goslab_gc_type_create(h, "node", sizeof(struct node), gc_node_ptrs,
				  NPTR, gc_node_release);
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
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 3000);
	gc_expect_clean_releases(test);
	gs_stats(test, &after);
	KUNIT_EXPECT_EQ(test, after.pages_in_use, before.pages_in_use);
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

	goslab_gc_store(&r->next, NULL);
	goslab_gc_store(&r->prev, NULL);
	gc_rel_kill(&r->magic);
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
	struct gc_ctx *c = gc_ctx_new(test, "kunit-relstore");
	struct gc_ctx *oc = gc_ctx_new(test, "kunit-relstore-other");
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
		n = gc_node_new(oc, i);
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
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), want);

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
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), want);
	kunit_info(test, "%lu cycles of the other heap\n", o.cycles);

	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 0ULL);
	gc_expect_no_misses(test, c->h);
	goslab_gc_get_stats(oc->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 64ULL);
	gc_expect_no_misses(test, oc->h);
	gc_expect_clean_releases(test);
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
	atomic_long_inc(&gc_rel.released);
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
	struct gc_ctx *c = gc_ctx_new(test, "kunit-relcb");
	struct gc_ctx *oc = gc_ctx_new(test, "kunit-relcb-other");
	struct gc_collector co1 = { .h = c->h }, co2 = { .h = c->h };
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
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 1);
	mutex_lock(&relcb_lock);
	goslab_gc_collect(oc->h);
	mutex_unlock(&relcb_lock);

	/* A callback sleeps; another cycle of its heap runs meanwhile. */
	relcb_garbage(test, c->h, t);
	WRITE_ONCE(relcb.block, true);
	init_completion(&co1.done);
	init_completion(&co2.done);
	k = kthread_run(gc_collector_fn, &co1, "gc_test_collect1");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&relcb.in,
							    30 * HZ));
	goslab_gc_get_stats(c->h, &st);
	cycles = st.cycles;
	k = kthread_run(gc_collector_fn, &co2, "gc_test_collect2");
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
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), 2);
	goslab_gc_get_stats(c->h, &st);
	KUNIT_EXPECT_EQ(test, st.objects, 0ULL);
	gc_expect_no_misses(test, c->h);
	gc_expect_no_misses(test, oc->h);
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

static struct kunit_case goslab_gc_release_cases[] = {
	KUNIT_CASE(goslab_gc_test_section_store_back),
	KUNIT_CASE(goslab_gc_test_section_release),
	KUNIT_CASE(goslab_gc_test_release_once),
	KUNIT_CASE(goslab_gc_test_destroy),
	KUNIT_CASE(goslab_gc_test_release_store),
	KUNIT_CASE(goslab_gc_test_release_unlocked),
	/* Last of the goslab_gc_* cases: it leaves a heap behind. */
	KUNIT_CASE(goslab_gc_test_leak_at_unload),
	{}
};

GC_TEST_SUITE(release);
