// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests of the garbage collector: no cases, what the suites
 * goslab_gc_* share (gc_test.h): the node type and its release callback,
 * heaps destroyed with the case, goslab's parameters set for one case,
 * the expectations cases end with, and the suites' one .init.
 */
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "gc_test.h"

MODULE_IMPORT_NS(GOSLAB_GC_TEST);

const unsigned int gc_node_ptrs[NPTR] = {
	offsetof(struct node, ptr[0]),
	offsetof(struct node, ptr[1]),
};

struct gc_rel gc_rel;

void gc_rel_reset(atomic_t *per_id, unsigned long nids)
{
	atomic_long_set(&gc_rel.released, 0);
	atomic_long_set(&gc_rel.double_release, 0);
	atomic_long_set(&gc_rel.while_held, 0);
	atomic_long_set(&gc_rel.while_rooted, 0);
	atomic_long_set(&gc_rel.atomic_ctx, 0);
	gc_rel.per_id = per_id;
	gc_rel.nids = nids;
}

void gc_rel_count(void)
{
	if (!preemptible() || irqs_disabled())
		atomic_long_inc(&gc_rel.atomic_ctx);
	atomic_long_inc(&gc_rel.released);
}

void gc_rel_kill(u64 *magic)
{
	if (*magic != NODE_ALIVE)
		atomic_long_inc(&gc_rel.double_release);
	*magic = NODE_DEAD;
	gc_rel_count();
}

void gc_node_release(void *obj)
{
	struct node *n = obj;

	if (atomic_read(&n->holders))
		atomic_long_inc(&gc_rel.while_held);
	if (atomic_read(&n->slot_refs))
		atomic_long_inc(&gc_rel.while_rooted);
	if (gc_rel.per_id && n->id < gc_rel.nids)
		atomic_inc(&gc_rel.per_id[n->id]);
	gc_rel_kill(&n->magic);
}

void gc_heap_destroy_action(void *h)
{
	goslab_gc_heap_destroy(h);
}

struct gc_ctx *gc_ctx_new(struct kunit *test, const char *name)
{
	struct gc_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->test = test;
	c->h = goslab_gc_heap_create(name);
	KUNIT_ASSERT_NOT_NULL(test, c->h);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gc_heap_destroy_action,
							c->h), 0);
	c->node = goslab_gc_type_create(c->h, "node", sizeof(struct node),
					gc_node_ptrs, NPTR, gc_node_release);
	KUNIT_ASSERT_NOT_NULL(test, c->node);
	return c;
}

struct node *gc_node_new(struct gc_ctx *c, u64 id)
{
	struct node *n = goslab_gc_alloc(c->node, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(c->test, n);
	n->magic = NODE_ALIVE;
	n->id = id;
	return n;
}

struct goslab_gc_type *gc_ptr_type(struct kunit *test,
				   struct goslab_gc_heap *h, const char *name,
				   unsigned int nptrs)
{
	unsigned int *offs = kunit_kcalloc(test, nptrs, sizeof(*offs), GFP_KERNEL);
	struct goslab_gc_type *t;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, offs);
	for (i = 0; i < nptrs; i++)
		offs[i] = i * sizeof(void *);
	/* The type keeps a copy of the offsets. */
	t = goslab_gc_type_create(h, name, nptrs * sizeof(void *), offs, nptrs,
				  NULL);
	kunit_kfree(test, offs);
	KUNIT_ASSERT_NOT_NULL(test, t);
	return t;
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

void gc_param_set(struct kunit *test, const char *name, const char *val)
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

void gc_expect_no_misses(struct kunit *test, struct goslab_gc_heap *h)
{
	struct goslab_gc_stats st;

	goslab_gc_get_stats(h, &st);
	KUNIT_EXPECT_GT(test, st.checkmarks, 0ULL);
	KUNIT_EXPECT_EQ(test, st.checkmark_missed, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bad_pointers, 0ULL);
}

void gc_expect_clean_releases(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.double_release), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.while_held), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.while_rooted), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.atomic_ctx), 0);
}

int gc_collector_fn(void *arg)
{
	struct gc_collector *co = arg;

	goslab_gc_collect(co->h);
	complete(&co->done);
	return 0;
}

int gc_test_init(struct kunit *test)
{
	if (!GOSLAB_GC)
		kunit_skip(test, "goslab built without its collector (GOSLAB_GC=n)");
	gc_param_set(test, "gc_checkmark", "Y");
	gc_rel_reset(NULL, 0);
	return 0;
}
