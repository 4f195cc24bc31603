/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab_bench: what the harness (harness.c) gives the cases, one file
 * each, and what they give it.  Include it first: it sets pr_fmt.
 *
 * A case is a "long bench_<name>(void)" in the table of harness.c; it
 * times itself with now() or hands measure() a run_fn, and prints its
 * figures with put().  The loops that several cases share are in
 * loops.h.
 */
#ifndef GOSLAB_BENCH_H
#define GOSLAB_BENCH_H

#define pr_fmt(fmt) "goslab-bench: " fmt

#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/types.h>

/* Module parameters (harness.c). */
extern bool short_run;
extern unsigned int reps;
extern char *unit;

enum { GOSLAB, SLUB, NR_ALLOCS };
extern const char *const alloc_name[NR_ALLOCS];

/* Up to this many figures per run; the first one picks the best run. */
#define NR_FIGS	3

/* One run of a case for allocator @a; fills @t with ktime deltas. */
typedef void (*run_fn)(int a, void *arg, u64 *t);

static inline unsigned long scaled(unsigned long n)
{
	return short_run ? max(n / 1000, 10UL) : n;
}

static inline u64 now(void)
{
	return ktime_get_ns();
}

void put(const char *row, const char *alloc, u64 t, u64 n);
void measure(run_fn run, void *arg, u64 best[NR_ALLOCS][NR_FIGS]);

/* The cases, in the order harness.c runs them. */
long bench_verify(void);	/* verify.c */
long bench_memset(void);	/* pair.c */
long bench_pair(void);		/* pair.c */
long bench_batch(void);		/* batch.c */
long bench_mixed(void);		/* mixed.c */
long bench_memory(void);	/* mixed.c */
long bench_cache(void);		/* cache.c */
long bench_remote(void);	/* remote.c */
long bench_large(void);		/* pair.c */
long bench_gc(void);		/* gc.c */

#endif /* GOSLAB_BENCH_H */
