// SPDX-License-Identifier: GPL-2.0
/* goslab_bench: gc, goslab's garbage collector alone. */
#include "bench.h"

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/goslab.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>

/*
 * gc: goslab's garbage collector on a GC_OBJS-object graph, in each
 * gc_mode.  The graph is a binary tree through fields 0 and 1 (in a
 * shuffled order, so that neighbours in the tree are not neighbours in
 * memory) with one or two random extra edges per object in fields 2 and
 * 3, under one root.  The mode is goslab's gc_mode parameter, read when a
 * cycle starts: the case writes it through sysfs before each mode's
 * cycles, and gc_checkmark with it (off for figures, on with short=1),
 * and puts both back at the end.
 *
 * Per mode, on a fresh heap (built with automatic cycles off, then at
 * GOGC 100): GC_MUT_CYCLES cycles with a mutator thread on CPU 1 walking
 * the graph and rewiring extra edges in sections (one operation in 16
 * also allocates), for the pauses; then a warm-up and @reps cycles
 * without it, of which the cheapest per object scanned gives the mark
 * cost.  The tree edges are
 * never rewritten: every original object stays reachable, which the
 * release callback and a walk of the tree check.
 */
#define GC_OBJS		100000U
#define GC_MUT_CYCLES	5U
#define GC_TAG		0x60c0ffeeU

struct gc_node {
	struct gc_node *p[4];
	u32 tag;
	u32 id;
	u64 payload[3];
};

static const unsigned int gc_node_ptrs[] = {
	offsetof(struct gc_node, p[0]), offsetof(struct gc_node, p[1]),
	offsetof(struct gc_node, p[2]), offsetof(struct gc_node, p[3]),
};

static const char *const gc_modes[] = { "stw", "incremental", "concurrent" };

struct gc_arg {
	struct goslab_gc_heap *h;
	struct goslab_gc_type *t;
	struct gc_node *root;		/* a root slot */
	unsigned int n;
	struct rnd_state rs;		/* the mutator's */
	u64 mut_max;			/* longest section of the mutator */
	u64 enter_max;			/* of which in goslab_gc_enter() */
	u64 body_max;			/* after goslab_gc_enter() */
	u64 alloc_max;			/* in goslab_gc_alloc() */
	u64 oncpu_max;			/* of sections never switched out */
	unsigned long mut_ops;
	bool failed;
};

static atomic_t gc_bad_release;

static void gc_release(void *obj)
{
	struct gc_node *x = obj;

	/* Objects of the original graph stay reachable: never released. */
	if (x->tag == GC_TAG)
		atomic_inc(&gc_bad_release);
}

/* Read or write one of goslab's parameters, as root would with sysfs. */
static int gc_param(const char *name, char *get, size_t len, const char *set)
{
	char path[64];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/module/goslab/parameters/%s", name);
	f = filp_open(path, set ? O_WRONLY : O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	if (set) {
		n = kernel_write(f, set, strlen(set), &pos);
	} else {
		n = kernel_read(f, get, len - 1, &pos);
		if (n >= 0)
			get[n] = '\0';
		if (n > 0 && get[n - 1] == '\n')
			get[n - 1] = '\0';
	}
	filp_close(f, NULL);
	return n < 0 ? n : 0;
}

/* Build the graph; the nodes are held in @v inside one section. */
static int gc_build(struct gc_arg *g)
{
	struct rnd_state rs;
	struct gc_node **v, *x;
	unsigned int i, j;
	int tok, ret = 0;

	v = vcalloc(g->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	prandom_seed_state(&rs, 6);
	tok = goslab_gc_enter(g->h);
	for (i = 0; i < g->n; i++) {
		v[i] = goslab_gc_alloc(g->t, GFP_KERNEL);
		if (!v[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = g->n - 1; i > 0; i--) {
		j = prandom_u32_state(&rs) % (i + 1);
		swap(v[i], v[j]);
	}
	for (i = 0; i < g->n; i++) {
		x = v[i];
		x->tag = GC_TAG;
		x->id = i;
		if (2 * i + 1 < g->n)
			goslab_gc_store((void **)&x->p[0], v[2 * i + 1]);
		if (2 * i + 2 < g->n)
			goslab_gc_store((void **)&x->p[1], v[2 * i + 2]);
		goslab_gc_store((void **)&x->p[2],
				v[prandom_u32_state(&rs) % g->n]);
		if (prandom_u32_state(&rs) & 1)
			goslab_gc_store((void **)&x->p[3],
					v[prandom_u32_state(&rs) % g->n]);
	}
	goslab_gc_store((void **)&g->root, v[0]);
out:
	goslab_gc_exit(g->h, tok);
	vfree(v);
	return ret;
}

/* Every object of the tree is there, in order (breadth-first ids). */
static bool gc_check(struct gc_arg *g)
{
	struct gc_node **q, *x;
	unsigned int head = 0, tail = 0, k;
	bool ok = true;
	int tok;

	q = vcalloc(g->n, sizeof(*q));
	if (!q)
		return false;
	tok = goslab_gc_enter(g->h);
	x = goslab_gc_load((void **)&g->root);
	if (x)
		q[tail++] = x;
	while (head < tail && ok) {
		x = q[head];
		if (x->tag != GC_TAG || x->id != head) {
			ok = false;
			break;
		}
		head++;
		for (k = 0; k < 2; k++) {
			struct gc_node *c = goslab_gc_load((void **)&x->p[k]);

			if (c && tail < g->n)
				q[tail++] = c;
		}
	}
	goslab_gc_exit(g->h, tok);
	vfree(q);
	return ok && head == g->n;
}

/* A random walk from the root; inside a section. */
static struct gc_node *gc_walk(struct gc_arg *g)
{
	struct gc_node *x = goslab_gc_load((void **)&g->root), *y;
	unsigned int d = prandom_u32_state(&g->rs) % 20;

	while (d--) {
		y = goslab_gc_load((void **)&x->p[prandom_u32_state(&g->rs) & 3]);
		if (!y)
			break;
		x = y;
	}
	return x;
}

static int gc_mutator(void *arg)
{
	struct gc_arg *g = arg;
	struct gc_node *a, *b, *x;
	unsigned long sw;
	u64 t0, t1, t2, ta;
	int tok;

	while (!kthread_should_stop()) {
		sw = current->nvcsw + current->nivcsw;
		t0 = now();
		tok = goslab_gc_enter(g->h);
		t1 = now();
		a = gc_walk(g);
		b = gc_walk(g);
		if (!(prandom_u32_state(&g->rs) & 15)) {
			ta = now();
			x = goslab_gc_alloc(g->t, GFP_KERNEL);
			g->alloc_max = max(g->alloc_max, now() - ta);
			if (x) {
				goslab_gc_store((void **)&x->p[0], b);
				b = x;
			}
		}
		goslab_gc_store((void **)&a->p[2 + (prandom_u32_state(&g->rs) & 1)],
				b);
		goslab_gc_exit(g->h, tok);
		t2 = now();
		g->enter_max = max(g->enter_max, t1 - t0);
		g->body_max = max(g->body_max, t2 - t1);
		g->mut_max = max(g->mut_max, t2 - t0);
		if (sw == current->nvcsw + current->nivcsw)
			g->oncpu_max = max(g->oncpu_max, t2 - t0);
		WRITE_ONCE(g->mut_ops, g->mut_ops + 1);
		cond_resched();
	}
	return 0;
}

/* Let the mutator do a few operations before the next cycle starts. */
static void gc_mutator_wait(struct gc_arg *g)
{
	unsigned long ops = READ_ONCE(g->mut_ops);
	unsigned int i;

	for (i = 0; i < 1000 && READ_ONCE(g->mut_ops) < ops + 8; i++)
		usleep_range(50, 100);
}

static long gc_mode_run(const char *mode, bool checkmark)
{
	struct goslab_gc_stats s0, s1;
	struct task_struct *mut;
	struct gc_arg g = { .n = scaled(GC_OBJS) };
	u64 best_ns = 0, best_obj = 0, v;
	bool rooted = false;
	unsigned int r;
	long ret;

	ret = gc_param("gc_mode", NULL, 0, mode);
	if (ret)
		return ret;
	g.h = goslab_gc_heap_create("goslab_bench");
	if (!g.h)
		return -ENOMEM;
	goslab_gc_set_percent(g.h, -1);
	g.t = goslab_gc_type_create(g.h, "gc_node", sizeof(struct gc_node),
				    gc_node_ptrs, ARRAY_SIZE(gc_node_ptrs),
				    gc_release);
	ret = g.t ? goslab_gc_root_add(g.h, (void **)&g.root) : -ENOMEM;
	if (ret)
		goto out;
	rooted = true;
	ret = gc_build(&g);
	if (ret)
		goto out;
	atomic_set(&gc_bad_release, 0);
	/* GOGC as by default, so that the mutator's allocations owe assists. */
	goslab_gc_set_percent(g.h, 100);

	/* Pauses: cycles with the mutator running. */
	prandom_seed_state(&g.rs, 7);
	mut = kthread_create(gc_mutator, &g, "goslab_bench_gc");
	if (IS_ERR(mut)) {
		ret = PTR_ERR(mut);
		goto out;
	}
	if (cpu_online(1))
		kthread_bind(mut, 1);
	wake_up_process(mut);
	for (r = 0; r < (short_run ? 2 : GC_MUT_CYCLES); r++) {
		gc_mutator_wait(&g);
		goslab_gc_collect(g.h);
	}
	kthread_stop(mut);
	goslab_gc_get_stats(g.h, &s1);
	pr_info("case=gc mode=%s what=pause cycles=%llu pause_max=%llu assist_max=%llu assists=%llu mutator_max=%llu enter_max=%llu body_max=%llu alloc_max=%llu oncpu_max=%llu mutator_ops=%lu\n",
		mode, s1.cycles, s1.pause_max_ns, s1.assist_max_ns,
		s1.assists, g.mut_max, g.enter_max, g.body_max, g.alloc_max,
		g.oncpu_max, g.mut_ops);

	/* Mark cost: quiescent cycles, the cheapest per object scanned. */
	for (r = 0; r <= reps; r++) {
		goslab_gc_get_stats(g.h, &s0);
		goslab_gc_collect(g.h);
		goslab_gc_get_stats(g.h, &s1);
		v = s1.objects_scanned - s0.objects_scanned;
		if (r && v && (!best_obj ||
			       div64_u64((s1.mark_ns - s0.mark_ns) << 10, v) <
			       div64_u64(best_ns << 10, best_obj))) {
			best_ns = s1.mark_ns - s0.mark_ns;
			best_obj = v;
		}
		cond_resched();
	}
	if (best_obj) {
		v = div64_u64(best_ns * 10 + best_obj / 2, best_obj);
		pr_info("case=gc mode=%s what=mark objects=%u size=%zu scanned=%llu mark=%llu %s=%llu.%llu\n",
			mode, g.n, sizeof(struct gc_node), best_obj, best_ns,
			unit, v / 10, v % 10);
	}
	if (!gc_check(&g) || atomic_read(&gc_bad_release) ||
	    s1.bad_pointers || s1.checkmark_missed ||
	    (checkmark && !s1.checkmarks) || best_obj < g.n) {
		pr_err("case=gc mode=%s: graph check failed (released %d, bad pointers %llu, checkmarks %llu missed %llu, scanned %llu)\n",
		       mode, atomic_read(&gc_bad_release), s1.bad_pointers,
		       s1.checkmarks, s1.checkmark_missed, best_obj);
		ret = -EINVAL;
	}
out:
	if (rooted)
		goslab_gc_root_del(g.h, (void **)&g.root);
	goslab_gc_heap_destroy(g.h);
	return ret;
}

long bench_gc(void)
{
	char mode[32], check[8];
	unsigned int i;
	long ret;

	ret = gc_param("gc_mode", mode, sizeof(mode), NULL);
	if (!ret)
		ret = gc_param("gc_checkmark", check, sizeof(check), NULL);
	if (!ret)
		ret = gc_param("gc_checkmark", NULL, 0, short_run ? "1" : "0");
	if (ret) {
		pr_err("case=gc: cannot use goslab's parameters in sysfs: %ld\n",
		       ret);
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(gc_modes) && !ret; i++)
		ret = gc_mode_run(gc_modes[i], short_run);
	gc_param("gc_mode", NULL, 0, mode);
	gc_param("gc_checkmark", NULL, 0, check);
	return ret;
}
