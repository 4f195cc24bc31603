/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The GC suites' mutator harness (kunit/gc_mutator.c), which
 * goslab_gc_stress and goslab_gc_pacer load the collector with.
 *
 * The graph: roots -> buckets (512 pointer fields each) -> nodes, which
 * point at each other at random.  Each mutator writes only its own
 * buckets' slots, keeping the nodes' slot_refs exact; node fields are
 * rewired by anyone.
 */
#ifndef _GOSLAB_KUNIT_GC_MUTATOR_H
#define _GOSLAB_KUNIT_GC_MUTATOR_H

#include <linux/completion.h>
#include <linux/prandom.h>

#include "gc_test.h"

#define BUCKET_SLOTS	512
#define HOLD_MAX	32

struct gc_graph {
	struct gc_ctx *c;
	struct goslab_gc_type *bucket;
	void **roots;		/* one root slot per bucket */
	unsigned int nbuckets;
	unsigned long nslots;
};

struct gc_mutator {
	struct gc_graph *g;
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

/*
 * A heap @name with GOGC @percent (gc_ctx_new()), and in it a graph of
 * @nodes nodes, one collection after it was built.
 */
void gc_graph_setup(struct kunit *test, struct gc_graph *g, const char *name,
		    int percent, unsigned int nodes);
/* Bucket slot @s of @g, inside a section. */
void **gc_slot_of(struct gc_graph *g, unsigned long s);
/* Stores @n in @slot, keeping the slot_refs of @n and of what it replaces. */
void gc_set_slot(void **slot, struct node *n);
/* Bad slots: those that hold a dead node, or one that counts no slot. */
unsigned long gc_graph_check(struct gc_graph *g);
/* Empty every slot (so no node counts as rooted), drop the roots. */
void gc_graph_teardown(struct gc_graph *g);

/* Mutator @id of @nmut on @g, its random numbers from @seed. */
void gc_mutator_init(struct gc_mutator *m, struct gc_graph *g,
		     unsigned int id, unsigned int nmut, u64 seed);
/* A slot index of @m's graph, at random. */
unsigned long gc_any_slot(struct gc_mutator *m);
/*
 * @nmut mutator threads, one per CPU as far as they go, that do @ops
 * operations on @g between them; returns when all are done.
 */
void gc_mutators_run(struct kunit *test, struct gc_graph *g,
		     struct gc_mutator *m, unsigned int nmut, unsigned long ops);

#endif /* _GOSLAB_KUNIT_GC_MUTATOR_H */
