/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What goslab's garbage-collector suites (goslab_gc_*) share: the node
 * type, the release callbacks' tally, a heap per case, and the one .init
 * of every suite (kunit/gc_common.c).
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
#ifndef _GOSLAB_KUNIT_GC_TEST_H
#define _GOSLAB_KUNIT_GC_TEST_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/sched.h>

#include <linux/goslab_gc_test.h>

#include "gc_stubs.h"
#include "goslab_test.h"

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

extern const unsigned int gc_node_ptrs[NPTR];

/* What release callbacks saw; one case at a time. */
struct gc_rel {
	atomic_long_t released;
	atomic_long_t double_release;
	atomic_long_t while_held;
	atomic_long_t while_rooted;
	atomic_long_t atomic_ctx;
	atomic_t *per_id;	/* release count per id, if tracked */
	unsigned long nids;
};

extern struct gc_rel gc_rel;

void gc_rel_reset(atomic_t *per_id, unsigned long nids);
/* A release callback's tally: one more release, and its context. */
void gc_rel_count(void);
/* The same for an object with a magic, which it checks and kills. */
void gc_rel_kill(u64 *magic);
/* struct node's release callback. */
void gc_node_release(void *obj);

static inline bool node_ok(const struct node *n)
{
	return n && READ_ONCE(n->magic) == NODE_ALIVE;
}

struct gc_ctx {
	struct kunit *test;
	struct goslab_gc_heap *h;
	struct goslab_gc_type *node;
};

/* The kunit action that destroys a gc_ctx_new() heap. */
void gc_heap_destroy_action(void *h);
/* A heap destroyed when the case ends, with the node type. */
struct gc_ctx *gc_ctx_new(struct kunit *test, const char *name);
struct node *gc_node_new(struct gc_ctx *c, u64 id);
/* A type of @nptrs pointer fields and nothing else, in @h. */
struct goslab_gc_type *gc_ptr_type(struct kunit *test,
				   struct goslab_gc_heap *h, const char *name,
				   unsigned int nptrs);

static inline void link(struct node *from, int i, struct node *to)
{
	goslab_gc_store(&from->ptr[i], to);
}

static inline struct node *follow(struct node *n, int i)
{
	return goslab_gc_load(&n->ptr[i]);
}

/* Ends section @tok of @h, lets others run, and opens another. */
static inline int gc_reenter(struct goslab_gc_heap *h, int tok)
{
	goslab_gc_exit(h, tok);
	cond_resched();
	return goslab_gc_enter(h);
}

/* Sets goslab.@name to @val for the rest of the case. */
void gc_param_set(struct kunit *test, const char *name, const char *val);

/* @h's checkmarks ran and found nothing unmarked; it met no bad pointer. */
void gc_expect_no_misses(struct kunit *test, struct goslab_gc_heap *h);
/* No release callback saw a dead, held or rooted object, or atomic context. */
void gc_expect_clean_releases(struct kunit *test);

/* A thread that runs one goslab_gc_collect() of @h, then completes. */
struct gc_collector {
	struct goslab_gc_heap *h;
	struct completion done;
};

int gc_collector_fn(void *arg);

/*
 * The .init of every goslab_gc_* suite.  Define them with GC_TEST_SUITE()
 * only, so that each has it.
 */
int gc_test_init(struct kunit *test);

/* The suite goslab_gc_@concern, of the cases goslab_gc_@concern_cases. */
#define GC_TEST_SUITE(concern)						\
	static struct kunit_suite goslab_gc_##concern##_suite = {	\
		.name = "goslab_gc_" #concern,				\
		.suite_init = gs_suite_init,				\
		.suite_exit = gs_suite_exit,				\
		.init = gc_test_init,					\
		.test_cases = goslab_gc_##concern##_cases,		\
	};								\
	kunit_test_suite(goslab_gc_##concern##_suite)

#endif /* _GOSLAB_KUNIT_GC_TEST_H */
