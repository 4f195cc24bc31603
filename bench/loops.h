/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab_bench: the allocation loops that more than one case runs.
 *
 * Everything here is static, so that each case file gets its own copy,
 * compiled as it was when all the cases were one file: fill() and
 * free_one() inline into the timed code of batch_run() and remote_run(),
 * and slub_fill_loop() stays a static function whose every caller the
 * compiler sees.  GCC's interprocedural range propagation (-fipa-vrp)
 * learns from them that @n fits in 32 bits, and shapes the loop by it:
 * the same body as a global function compiles to other instructions.
 * The figures are instruction counts: keep it this way, and compare
 * objdump -d of the loops before and after any change here.
 */
#ifndef GOSLAB_BENCH_LOOPS_H
#define GOSLAB_BENCH_LOOPS_H

#include "bench.h"

#include <linux/compiler.h>
#include <linux/goslab.h>
#include <linux/slab.h>

/*
 * kmalloc() picks its cache at compile time when the size is a constant,
 * as it is for most callers: give it a constant for each size the cases
 * use.  goslab_alloc() is out of line and takes the size at run time.
 */
enum slub_op { SLUB_PAIR, SLUB_FILL };

static __always_inline void slub_loop(enum slub_op op, size_t size, void **v,
				      unsigned long n)
{
	unsigned long i;
	void *p;

	for (i = 0; i < n; i++) {
		p = kmalloc(size, GFP_KERNEL);
		OPTIMIZER_HIDE_VAR(p);
		if (op == SLUB_PAIR)
			kfree(p);
		else
			v[i] = p;
	}
}

static __always_inline void slub_const(enum slub_op op, size_t size, void **v,
				       unsigned long n)
{
	switch (size) {
	case 8:
		slub_loop(op, 8, v, n);
		break;
	case 16:
		slub_loop(op, 16, v, n);
		break;
	case 32:
		slub_loop(op, 32, v, n);
		break;
	case 64:
		slub_loop(op, 64, v, n);
		break;
	case 96:
		slub_loop(op, 96, v, n);
		break;
	case 128:
		slub_loop(op, 128, v, n);
		break;
	case 192:
		slub_loop(op, 192, v, n);
		break;
	case 256:
		slub_loop(op, 256, v, n);
		break;
	case 512:
		slub_loop(op, 512, v, n);
		break;
	case 1024:
		slub_loop(op, 1024, v, n);
		break;
	case 2048:
		slub_loop(op, 2048, v, n);
		break;
	case 4096:
		slub_loop(op, 4096, v, n);
		break;
	case 8192:
		slub_loop(op, 8192, v, n);
		break;
	case 16384:
		slub_loop(op, 16384, v, n);
		break;
	case 32768:
		slub_loop(op, 32768, v, n);
		break;
	case 65536:
		slub_loop(op, 65536, v, n);
		break;
	case 1048576:
		slub_loop(op, 1048576, v, n);
		break;
	default:
		slub_loop(op, size, v, n);
		break;
	}
}

/*
 * One copy per @op, so that neither loop tests it: this is SLUB_FILL's;
 * pair.c has SLUB_PAIR's.  Unused in the files that include this only
 * for slub_const() or all_there().
 */
static noinline void __maybe_unused slub_fill_loop(size_t size, void **v,
						   unsigned long n)
{
	slub_const(SLUB_FILL, size, v, n);
}

static inline void fill(int a, size_t size, void **v, unsigned long n)
{
	unsigned long i;

	if (a == SLUB) {
		slub_fill_loop(size, v, n);
		return;
	}
	for (i = 0; i < n; i++)
		v[i] = goslab_alloc(size, GFP_KERNEL);
}

static inline void free_one(int a, void *p)
{
	if (a == SLUB)
		kfree(p);
	else
		goslab_free(p);
}

static inline bool all_there(void **v, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (!v[i])
			return false;
	return true;
}

#endif /* GOSLAB_BENCH_LOOPS_H */
