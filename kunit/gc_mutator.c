// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the garbage collector's mutator harness.  Threads
 * rewire a graph of nodes inside sections while the collector runs (see
 * gc_mutator.h); each checks that every node it reaches or holds is
 * alive, to the end of the section that held it.
 */
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "gc_mutator.h"

#define OPS_PER_SECTION	32

void **gc_slot_of(struct gc_graph *g, unsigned long s)
{
	void **b = goslab_gc_load(&g->roots[s / BUCKET_SLOTS]);

	return &b[s % BUCKET_SLOTS];
}

/* A slot index the mutator may write: buckets of its own. */
static unsigned long own_slot(struct gc_mutator *m)
{
	unsigned long b = prandom_u32_state(&m->rnd) %
			  (m->g->nbuckets / m->nmut) * m->nmut + m->id;

	return b * BUCKET_SLOTS + prandom_u32_state(&m->rnd) % BUCKET_SLOTS;
}

unsigned long gc_any_slot(struct gc_mutator *m)
{
	return prandom_u32_state(&m->rnd) % m->g->nslots;
}

/* Keep @n for the rest of the section, checked when it ends. */
static struct node *hold(struct gc_mutator *m, struct node *n)
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

void gc_set_slot(void **slot, struct node *n)
{
	struct node *old = goslab_gc_load(slot);

	if (n)
		atomic_inc(&n->slot_refs);
	goslab_gc_store(slot, n);
	if (old)
		atomic_dec(&old->slot_refs);
}

static void mutator_op(struct gc_mutator *m)
{
	struct gc_graph *g = m->g;
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
		link(x, 0, hold(m, goslab_gc_load(gc_slot_of(g, gc_any_slot(m)))));
		link(x, 1, hold(m, goslab_gc_load(gc_slot_of(g, gc_any_slot(m)))));
		gc_set_slot(gc_slot_of(g, own_slot(m)), x);
	} else if (r < 65) {		/* rewire a node's field */
		x = hold(m, goslab_gc_load(gc_slot_of(g, gc_any_slot(m))));
		y = hold(m, goslab_gc_load(gc_slot_of(g, gc_any_slot(m))));
		if (x) {
			link(x, r & 1, y);
			m->rewires++;
		}
	} else if (r < 75) {		/* move: unreachable for a while */
		slot = gc_slot_of(g, own_slot(m));
		x = hold(m, goslab_gc_load(slot));
		gc_set_slot(slot, NULL);
		if (x) {
			cond_resched();
			gc_set_slot(gc_slot_of(g, own_slot(m)), x);
			m->moves++;
		}
	} else {			/* walk from a slot */
		x = goslab_gc_load(gc_slot_of(g, gc_any_slot(m)));
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
	struct gc_mutator *m = arg;
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

static void graph_build(struct kunit *test, struct gc_graph *g,
			unsigned int nodes)
{
	struct goslab_gc_heap *h = g->c->h;
	struct rnd_state rnd;
	struct node *n;
	unsigned int i;
	void **b;
	int tok;

	g->bucket = gc_ptr_type(test, h, "bucket", BUCKET_SLOTS);
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
		n = gc_node_new(g->c, i);
		if (i) {
			link(n, 0, goslab_gc_load(gc_slot_of(g, prandom_u32_state(&rnd) % i)));
			link(n, 1, goslab_gc_load(gc_slot_of(g, prandom_u32_state(&rnd) % i)));
		}
		gc_set_slot(gc_slot_of(g, i), n);
		if (i % 512 == 511)
			tok = gc_reenter(h, tok);
	}
	goslab_gc_exit(h, tok);
}

void gc_graph_setup(struct kunit *test, struct gc_graph *g, const char *name,
		    int percent, unsigned int nodes)
{
	g->c = gc_ctx_new(test, name);
	goslab_gc_set_percent(g->c->h, percent);
	graph_build(test, g, nodes);
	goslab_gc_collect(g->c->h);
}

/* Every bucket slot holds a live node, or NULL: counts those that do not. */
unsigned long gc_graph_check(struct gc_graph *g)
{
	struct goslab_gc_heap *h = g->c->h;
	unsigned long s, bad = 0;
	struct node *n;
	int tok = goslab_gc_enter(h);

	for (s = 0; s < g->nslots; s++) {
		n = goslab_gc_load(gc_slot_of(g, s));
		if (n && (!node_ok(n) || !atomic_read(&n->slot_refs)))
			bad++;
	}
	goslab_gc_exit(h, tok);
	return bad;
}

void gc_graph_teardown(struct gc_graph *g)
{
	struct goslab_gc_heap *h = g->c->h;
	unsigned long s;
	unsigned int i;
	int tok;

	tok = goslab_gc_enter(h);
	for (s = 0; s < g->nslots; s++) {
		gc_set_slot(gc_slot_of(g, s), NULL);
		if (s % 4096 == 4095)
			tok = gc_reenter(h, tok);
	}
	goslab_gc_exit(h, tok);
	for (i = 0; i < g->nbuckets; i++) {
		goslab_gc_store(&g->roots[i], NULL);
		goslab_gc_root_del(g->c->h, &g->roots[i]);
	}
}

void gc_mutator_init(struct gc_mutator *m, struct gc_graph *g,
		     unsigned int id, unsigned int nmut, u64 seed)
{
	m->g = g;
	m->id = id;
	m->nmut = nmut;
	prandom_seed_state(&m->rnd, seed);
}

void gc_mutators_run(struct kunit *test, struct gc_graph *g,
		     struct gc_mutator *m, unsigned int nmut, unsigned long ops)
{
	unsigned int i;

	/* Bound by work, not time: a busy machine only makes it slower. */
	for (i = 0; i < nmut; i++) {
		gc_mutator_init(&m[i], g, i, nmut, get_random_u64());
		m[i].target = ops / nmut;
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
}
