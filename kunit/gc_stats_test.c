// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: the collector's figures (suite goslab_gc_stats):
 * what a cycle over a known graph reports in struct goslab_gc_stats (and
 * so in debugfs "gc"), the colour counts debugfs "spans" shows per span
 * before, during and after a hand-stepped mark, and the gc_trace line,
 * parsed field by field against the statistics.
 */
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/string.h>

#include "gc_test.h"

/* Nodes hanging from the root, and nodes of a ring nothing reaches. */
#define STATS_LIVE	64
#define STATS_DEAD	40
/*
 * GOGC for the cases: a goal of ten times the minimum heap, so that the
 * pacer starts no cycle of its own in the middle of one.
 */
#define STATS_PERCENT	1000

/*
 * The graph's live nodes, in live[0 .. STATS_LIVE - 1], and in
 * live[STATS_LIVE] another allocated while a stepped cycle marks.
 */
struct stats_graph {
	struct gc_ctx *c;
	void *root;
	struct node *live[STATS_LIVE + 1];
};

/* A chain of STATS_LIVE nodes from the root, and a ring of STATS_DEAD. */
static struct stats_graph *stats_graph_new(struct kunit *test,
					   const char *name)
{
	struct stats_graph *g = kunit_kzalloc(test, sizeof(*g), GFP_KERNEL);
	struct node *n, *first = NULL, *prev = NULL;
	int tok, i;

	KUNIT_ASSERT_NOT_NULL(test, g);
	g->c = gc_ctx_new(test, name);
	goslab_gc_set_percent(g->c->h, STATS_PERCENT);
	KUNIT_ASSERT_EQ(test, goslab_gc_root_add(g->c->h, &g->root), 0);
	tok = goslab_gc_enter(g->c->h);
	for (i = 0; i < STATS_LIVE; i++) {
		n = gc_node_new(g->c, i);
		g->live[i] = n;
		if (prev)
			link(prev, 0, n);
		else
			goslab_gc_store(&g->root, n);
		prev = n;
	}
	prev = NULL;
	for (i = 0; i < STATS_DEAD; i++) {
		n = gc_node_new(g->c, STATS_LIVE + i);
		if (prev)
			link(prev, 0, n);
		else
			first = n;
		prev = n;
	}
	link(prev, 0, first);
	goslab_gc_exit(g->c->h, tok);
	return g;
}

static void stats_graph_drop(struct stats_graph *g)
{
	goslab_gc_store(&g->root, NULL);
	goslab_gc_root_del(g->c->h, &g->root);
}

/* Spans of a few hundred objects at most: the graph's few. */
#define STATS_MAX_SPANS	8

/*
 * The colour counts of every span holding one of @objs, summed, each span
 * once; each span's counts must add up to its objects.
 */
static void stats_colors(struct kunit *test, struct goslab_gc_heap *h,
			 struct node *const *objs, unsigned int n,
			 struct goslab_gc_span_colors *sum)
{
	const void *seen[STATS_MAX_SPANS];
	struct goslab_gc_span_colors sc = {};
	unsigned int i, j, nseen = 0;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < n; i++) {
		if (!objs[i])
			continue;
		KUNIT_ASSERT_EQ(test, goslab_gc_test_span_colors(h, objs[i], &sc), 0);
		for (j = 0; j < nseen && seen[j] != sc.base; j++)
			;
		if (j < nseen)
			continue;
		KUNIT_ASSERT_LT(test, nseen, STATS_MAX_SPANS);
		seen[nseen++] = sc.base;
		KUNIT_EXPECT_EQ_MSG(test, sc.white + sc.grey + sc.black, sc.nalloc,
				    "span %p: %u white %u grey %u black, %u objects",
				    sc.base, sc.white, sc.grey, sc.black, sc.nalloc);
		sum->nalloc += sc.nalloc;
		sum->white += sc.white;
		sum->grey += sc.grey;
		sum->black += sc.black;
	}
}

/* What every cycle's figures must satisfy, @released objects died. */
static void stats_expect_cycle(struct kunit *test, struct goslab_gc_heap *h,
			       u64 released)
{
	struct goslab_gc_stats st;

	goslab_gc_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.last_released, released);
	KUNIT_EXPECT_GE(test, st.last_cpus_marked, 1ULL);
	KUNIT_EXPECT_LE(test, st.last_cpus_marked, (u64)num_possible_cpus());
	KUNIT_EXPECT_LE(test, st.created_ns, st.last_cycle_ns);
	KUNIT_EXPECT_LE(test, st.last_cycle_ns, ktime_get_ns());
	KUNIT_EXPECT_LE(test, st.last_pause_ns, st.pause_max_ns);
	KUNIT_EXPECT_GT(test, st.cpu_ns, 0ULL);
}

/*
 * A cycle over a known graph: the unreachable ring is released, counted
 * in last_released, and the other figures hold; then a stop-the-world
 * cycle, which pauses and releases nothing.
 */
static void goslab_gc_test_stats_cycle(struct kunit *test)
{
	struct stats_graph *g;
	struct goslab_gc_span_colors sum;
	struct goslab_gc_stats st;
	u64 now = ktime_get_ns();

	gc_param_set(test, "gc_mode", "concurrent");
	g = stats_graph_new(test, "kunit-stats");
	goslab_gc_get_stats(g->c->h, &st);
	KUNIT_EXPECT_GE(test, st.created_ns, now);
	KUNIT_EXPECT_EQ(test, st.last_cycle_ns, 0ULL);
	stats_colors(test, g->c->h, g->live, STATS_LIVE, &sum);
	KUNIT_EXPECT_EQ(test, sum.white, sum.nalloc);

	goslab_gc_collect(g->c->h);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gc_rel.released), (long)STATS_DEAD);
	stats_expect_cycle(test, g->c->h, STATS_DEAD);
	/* Swept: everything allocated is white again. */
	stats_colors(test, g->c->h, g->live, STATS_LIVE, &sum);
	KUNIT_EXPECT_EQ(test, sum.grey, 0U);
	KUNIT_EXPECT_EQ(test, sum.black, 0U);
	KUNIT_EXPECT_EQ(test, sum.nalloc, (unsigned int)STATS_LIVE);

	gc_param_set(test, "gc_mode", "stw");
	goslab_gc_collect(g->c->h);
	stats_expect_cycle(test, g->c->h, 0);
	goslab_gc_get_stats(g->c->h, &st);
	KUNIT_EXPECT_GT(test, st.last_pause_ns, 0ULL);

	stats_graph_drop(g);
	gc_expect_no_misses(test, g->c->h);
	gc_expect_clean_releases(test);
}

/*
 * The colours of a hand-stepped cycle: the root's node grey, then a
 * front of black moving down the chain, one grey ahead of it; a node
 * allocated meanwhile black; after the sweep all white, and in the next
 * cycle the root's node grey again.  The span counts agree with
 * goslab_gc_color() of every object.
 */
static void goslab_gc_test_stats_colors(struct kunit *test)
{
	struct goslab_gc_span_colors sum;
	unsigned int i, grey, black;
	struct stats_graph *g;
	int tok;

	g = stats_graph_new(test, "kunit-colors");
	KUNIT_ASSERT_EQ(test, goslab_gc_step_begin(g->c->h), 0);
	stats_colors(test, g->c->h, g->live, STATS_LIVE, &sum);
	KUNIT_EXPECT_EQ(test, sum.grey, 1U);
	KUNIT_EXPECT_EQ(test, sum.black, 0U);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(g->c->h, g->live[0]),
			GOSLAB_GC_GREY);

	KUNIT_EXPECT_EQ(test, goslab_gc_step(g->c->h, 10), 10UL);
	tok = goslab_gc_enter(g->c->h);
	g->live[STATS_LIVE] = gc_node_new(g->c, STATS_LIVE + STATS_DEAD);
	goslab_gc_exit(g->c->h, tok);
	stats_colors(test, g->c->h, g->live, STATS_LIVE + 1, &sum);
	KUNIT_EXPECT_EQ(test, sum.grey, 1U);
	KUNIT_EXPECT_EQ(test, sum.black, 11U);
	KUNIT_EXPECT_EQ(test, sum.white + sum.grey + sum.black, sum.nalloc);
	grey = 0;
	black = 0;
	for (i = 0; i < STATS_LIVE; i++) {
		grey += goslab_gc_color(g->c->h, g->live[i]) == GOSLAB_GC_GREY;
		black += goslab_gc_color(g->c->h, g->live[i]) == GOSLAB_GC_BLACK;
	}
	KUNIT_EXPECT_EQ(test, grey, 1U);
	KUNIT_EXPECT_EQ(test, black, 10U);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(g->c->h, g->live[STATS_LIVE]),
			GOSLAB_GC_BLACK);

	KUNIT_EXPECT_EQ(test, goslab_gc_step_finish(g->c->h), 0UL);
	stats_expect_cycle(test, g->c->h, STATS_DEAD);
	stats_colors(test, g->c->h, g->live, STATS_LIVE + 1, &sum);
	KUNIT_EXPECT_EQ(test, sum.grey, 0U);
	KUNIT_EXPECT_EQ(test, sum.black, 0U);
	/* The extra node was black, so it lives until the next cycle. */
	KUNIT_EXPECT_EQ(test, sum.white, (unsigned int)STATS_LIVE + 1);

	/*
	 * The next cycle starts from clear scan bits: the root's node, black
	 * last cycle, is grey again, and nothing is black before a scan.
	 */
	KUNIT_ASSERT_EQ(test, goslab_gc_step_begin(g->c->h), 0);
	stats_colors(test, g->c->h, g->live, STATS_LIVE + 1, &sum);
	KUNIT_EXPECT_EQ(test, sum.grey, 1U);
	KUNIT_EXPECT_EQ(test, sum.black, 0U);
	KUNIT_EXPECT_EQ(test, goslab_gc_color(g->c->h, g->live[0]),
			GOSLAB_GC_GREY);
	KUNIT_EXPECT_EQ(test, goslab_gc_step_finish(g->c->h), 0UL);

	stats_graph_drop(g);
	gc_expect_no_misses(test, g->c->h);
	gc_expect_clean_releases(test);
}

/* The trace line's text, consumed as it is checked. */
struct trace_parse {
	struct kunit *test;
	const char *p;
	bool ok;
};

/* @lit comes next. */
static void trace_lit(struct trace_parse *tp, const char *lit)
{
	if (!tp->ok)
		return;
	if (!strstarts(tp->p, lit)) {
		KUNIT_FAIL(tp->test, "trace line: \"%s\" expected at \"%s\"",
			   lit, tp->p);
		tp->ok = false;
		return;
	}
	tp->p += strlen(lit);
}

/* An unsigned integer comes next. */
static u64 trace_uint(struct trace_parse *tp)
{
	const char *start = tp->p;
	u64 v = 0;

	if (!tp->ok)
		return 0;
	for (; isdigit(*tp->p); tp->p++)
		v = v * 10 + (*tp->p - '0');
	if (tp->p == start) {
		KUNIT_FAIL(tp->test, "trace line: number expected at \"%s\"",
			   tp->p);
		tp->ok = false;
	}
	return v;
}

/* A decimal with three places comes next: return it in thousandths. */
static u64 trace_milli(struct trace_parse *tp)
{
	u64 whole = trace_uint(tp), frac;
	const char *frac_at;

	trace_lit(tp, ".");
	frac_at = tp->p;
	frac = trace_uint(tp);
	if (tp->ok && tp->p - frac_at != 3) {
		KUNIT_FAIL(tp->test, "trace line: three decimals expected at \"%s\"",
			   frac_at);
		tp->ok = false;
	}
	return whole * 1000 + frac;
}

/* Bytes as the trace line shows them: MiB in thousandths. */
static u64 trace_mb(u64 bytes)
{
	return mul_u64_u32_shr(bytes, 1000, 20);
}

/*
 * The gc_trace line of a cycle, parsed back: every field in Go's order
 * and punctuation, each checked against struct goslab_gc_stats.
 */
static void goslab_gc_test_stats_trace(struct kunit *test)
{
	u64 clock[3], cpu[5], heap[3], at, util, goal, globals, sum;
	struct trace_parse tp = { .test = test, .ok = true };
	/* Off the stack, which the figures parsed fill already. */
	struct {
		struct goslab_gc_stats before, st;
		char line[512];
	} *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct stats_graph *g;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	gc_param_set(test, "gc_mode", "concurrent");
	gc_param_set(test, "gc_trace", "Y");
	g = stats_graph_new(test, "kunit-trace");
	goslab_gc_get_stats(g->c->h, &t->before);
	goslab_gc_collect(g->c->h);
	goslab_gc_get_stats(g->c->h, &t->st);
	KUNIT_ASSERT_GT(test, goslab_gc_test_trace(g->c->h, t->line,
						   sizeof(t->line)), 0);
	kunit_info(test, "%s\n", t->line);

	tp.p = t->line;
	trace_lit(&tp, "goslab gc(kunit-trace) ");
	KUNIT_EXPECT_EQ(test, trace_uint(&tp), t->st.cycles);
	trace_lit(&tp, " @");
	at = trace_milli(&tp);
	trace_lit(&tp, "s ");
	util = trace_uint(&tp);
	trace_lit(&tp, "%: ");
	for (i = 0; i < ARRAY_SIZE(clock); i++) {
		if (i)
			trace_lit(&tp, "+");
		clock[i] = trace_milli(&tp);
	}
	trace_lit(&tp, " ms clock, ");
	for (i = 0; i < ARRAY_SIZE(cpu); i++) {
		if (i)
			trace_lit(&tp, i == 2 || i == 3 ? "/" : "+");
		cpu[i] = trace_milli(&tp);
	}
	trace_lit(&tp, " ms cpu, ");
	for (i = 0; i < ARRAY_SIZE(heap); i++) {
		if (i)
			trace_lit(&tp, "->");
		heap[i] = trace_milli(&tp);
	}
	trace_lit(&tp, " MB, ");
	goal = trace_milli(&tp);
	trace_lit(&tp, " MB goal, ");
	globals = trace_milli(&tp);
	trace_lit(&tp, " MB globals, ");
	KUNIT_EXPECT_EQ(test, trace_uint(&tp), t->st.last_cpus_marked);
	trace_lit(&tp, " P (forced) (checkmark 0 missed)");
	KUNIT_ASSERT_TRUE(test, tp.ok);
	KUNIT_EXPECT_STREQ(test, tp.p, "");

	/* The cycle began after the heap was made, before it ended. */
	KUNIT_EXPECT_LE(test, at,
			div_u64(t->st.last_cycle_ns - t->st.created_ns, NSEC_PER_MSEC));
	KUNIT_EXPECT_EQ(test, util,
			div64_u64(t->st.cpu_ns * 100,
				  (t->st.last_cycle_ns - t->st.created_ns) *
				  num_online_cpus()));
	/* Each phase is rounded down to a microsecond: the sum to within 3. */
	sum = clock[0] + clock[1] + clock[2];
	KUNIT_EXPECT_LE(test, sum, div_u64(t->st.last_mark_ns, NSEC_PER_USEC));
	KUNIT_EXPECT_GE(test, sum + 2, div_u64(t->st.last_mark_ns, NSEC_PER_USEC));
	/* The heap's first cycle: its CPU time is all of cpu_ns. */
	KUNIT_EXPECT_EQ(test, cpu[3], 0ULL);
	sum = cpu[0] + cpu[1] + cpu[2] + cpu[3] + cpu[4];
	KUNIT_EXPECT_LE(test, sum, div_u64(t->st.cpu_ns, NSEC_PER_USEC));
	KUNIT_EXPECT_GE(test, sum + 4, div_u64(t->st.cpu_ns, NSEC_PER_USEC));
	KUNIT_EXPECT_EQ(test, heap[0], trace_mb(t->before.heap_live));
	KUNIT_EXPECT_LE(test, heap[0], heap[1]);
	KUNIT_EXPECT_EQ(test, heap[2], trace_mb(t->st.heap_marked));
	KUNIT_EXPECT_EQ(test, goal, trace_mb(t->before.heap_goal));
	KUNIT_EXPECT_EQ(test, globals, trace_mb(sizeof(void *)));

	stats_graph_drop(g);
	gc_expect_no_misses(test, g->c->h);
	gc_expect_clean_releases(test);
}

static struct kunit_case goslab_gc_stats_cases[] = {
	KUNIT_CASE(goslab_gc_test_stats_cycle),
	KUNIT_CASE(goslab_gc_test_stats_colors),
	KUNIT_CASE(goslab_gc_test_stats_trace),
	{}
};

GC_TEST_SUITE(stats);
