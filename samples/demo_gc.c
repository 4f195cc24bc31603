// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_demo, part two: the collector.  A graph of NODES objects, full
 * of cycles, hangs from one root: a ring through every node, and each
 * node's second pointer to a node further on.  Then the graph is cut in
 * two, so that the second half is reachable from nothing (it still points
 * into itself and into the first half), and goslab_gc_collect() must
 * release exactly that half.  A churn of short-lived nodes in between lets
 * the pacer start cycles of its own (gc_trace prints one line each).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/goslab.h>
#include <linux/slab.h>
#include <linux/stddef.h>

#include "goslab_demo.h"

#define NODES		4000
#define CUT		(NODES / 2)	/* nodes [CUT, NODES) become garbage */
#define CHURN_BYTES	(24UL << 20)	/* short-lived garbage allocated */

struct demo_node {
	void *next;		/* the ring */
	void *jump;		/* a node further on: more cycles */
	unsigned int id;
	u8 payload[48];
};

static const unsigned int node_ptrs[] = {
	offsetof(struct demo_node, next),
	offsetof(struct demo_node, jump),
};

static struct goslab_gc_heap *heap;
static struct goslab_gc_type *node_type;
static void *root;
/* Releases: all, of the cut-off half, of the half still reachable. */
static atomic_long_t released, released_cut, released_live;

static void node_release(void *obj)
{
	struct demo_node *n = obj;

	atomic_long_inc(&released);
	if (n->id < CUT)
		atomic_long_inc(&released_live);
	else if (n->id < NODES)
		atomic_long_inc(&released_cut);
}

static struct demo_node *node_new(unsigned int id)
{
	struct demo_node *n = goslab_gc_alloc(node_type, GFP_KERNEL);

	if (n)
		n->id = id;
	return n;
}

/* Build the graph from the root, within a section: locals hold nodes. */
static int build_graph(void)
{
	struct demo_node **nodes, *n;
	unsigned int i;
	int tok, err = 0;

	nodes = kvcalloc(NODES, sizeof(*nodes), GFP_KERNEL);
	if (!nodes)
		return -ENOMEM;
	tok = goslab_gc_enter(heap);
	for (i = 0; i < NODES && !err; i++) {
		nodes[i] = node_new(i);
		if (!nodes[i])
			err = -ENOMEM;
	}
	for (i = 0; i < NODES && !err; i++) {
		n = nodes[i];
		goslab_gc_store(&n->next, nodes[(i + 1) % NODES]);
		goslab_gc_store(&n->jump, nodes[(i * 7 + 13) % NODES]);
	}
	if (!err)
		goslab_gc_store(&root, nodes[0]);
	goslab_gc_exit(heap, tok);
	kvfree(nodes);
	return err;
}

/*
 * Cut the graph: the ring's link into the second half goes back to the
 * start, and every jump from the first half into the second is dropped.
 */
static void cut_graph(void)
{
	struct demo_node *n;
	unsigned int i;
	int tok;

	tok = goslab_gc_enter(heap);
	n = goslab_gc_load(&root);
	for (i = 0; i < CUT; i++) {
		if (((i * 7 + 13) % NODES) >= CUT)
			goslab_gc_store(&n->jump, NULL);
		if (i == CUT - 1)
			goslab_gc_store(&n->next, goslab_gc_load(&root));
		n = goslab_gc_load(&n->next);
	}
	goslab_gc_exit(heap, tok);
}

/* Short-lived nodes: garbage once their section ends, for the pacer. */
static int churn(void)
{
	unsigned long done = 0;
	unsigned int i;
	int tok, err = 0;

	while (done < CHURN_BYTES && !err) {
		tok = goslab_gc_enter(heap);
		for (i = 0; i < 256 && !err; i++) {
			if (!node_new(NODES))
				err = -ENOMEM;
			done += sizeof(struct demo_node);
		}
		goslab_gc_exit(heap, tok);
	}
	return err;
}

/**
 * demo_gc_run() - build, churn, cut and collect
 *
 * Return: 0, -ENOMEM, or -EINVAL if the collector released a node that
 * was reachable or kept one that was not.
 */
int demo_gc_run(void)
{
	struct goslab_gc_stats st;
	long cut, live;
	int err;

	heap = goslab_gc_heap_create("demo");
	if (!heap)
		return -ENOMEM;
	node_type = goslab_gc_type_create(heap, "node", sizeof(struct demo_node),
					  node_ptrs, ARRAY_SIZE(node_ptrs),
					  node_release);
	if (!node_type)
		return -ENOMEM;
	err = goslab_gc_root_add(heap, &root);
	if (err)
		return err;
	err = build_graph();
	if (err)
		return err;
	pr_info("gc: a graph of %u nodes with cycles hangs from one root\n",
		NODES);
	err = churn();
	if (err)
		return err;
	goslab_gc_get_stats(heap, &st);
	pr_info("gc: %lu KiB of short-lived nodes churned: the pacer ran %llu cycles and released %ld nodes, %ld of the graph's\n",
		CHURN_BYTES >> 10, st.cycles, atomic_long_read(&released),
		atomic_long_read(&released_cut) + atomic_long_read(&released_live));
	if (atomic_long_read(&released_cut) || atomic_long_read(&released_live))
		return -EINVAL;

	cut_graph();
	goslab_gc_collect(heap);
	cut = atomic_long_read(&released_cut);
	live = atomic_long_read(&released_live);
	pr_info("gc: cut %u nodes off the root; goslab_gc_collect() released %ld of them and %ld still reachable: %s\n",
		NODES - CUT, cut, live,
		cut == NODES - CUT && !live ? "exactly the unreachable part" : "WRONG");
	return cut == NODES - CUT && !live ? 0 : -EINVAL;
}

/**
 * demo_gc_release() - destroy the heap and what it holds
 */
void demo_gc_release(void)
{
	if (!heap)
		return;
	goslab_gc_root_del(heap, &root);
	goslab_gc_heap_destroy(heap);
	heap = NULL;
}
