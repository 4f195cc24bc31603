/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the layer above the collector uses: module/main.c starts and
 * stops it, module/debugfs.c shows its heaps.  The rest of the collector's
 * interface is the public one (include/linux/goslab.h); its internals are
 * in mgc.h.
 *
 * The collector is optional: built with GOSLAB_GC=n (module/Kbuild),
 * goslab has no gc/ at all.  Then GOSLAB_GC is 0, the calls below do
 * nothing, include/linux/goslab.h declares no GC function, /dev/goslab
 * reports no GOSLAB_FEATURE_GC and answers its GC commands with
 * EOPNOTSUPP, and debugfs has no gc file.  No MSPAN_GC span ever exists,
 * so core/ never asks for the ops of struct mspan_gc_ops.
 */
#ifndef _GOSLAB_GC_H
#define _GOSLAB_GC_H

#include <linux/fs.h>
#include <linux/seq_file.h>

extern const struct file_operations gs_gc_fops;

#ifndef GOSLAB_GC
#error "GOSLAB_GC is set by module/gc.mk"
#elif GOSLAB_GC
int gs_gc_init(void);
void gs_gc_exit(void);
#else
static inline int gs_gc_init(void)
{
	return 0;
}

static inline void gs_gc_exit(void) { }
#endif

#endif /* _GOSLAB_GC_H */
