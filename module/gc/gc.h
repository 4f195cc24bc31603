/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the layer above the collector uses: module/main.c starts and
 * stops it, module/debugfs.c shows its heaps.  The rest of the collector's
 * interface is the public one (include/linux/goslab.h); its internals are
 * in mgc.h.
 */
#ifndef _GOSLAB_GC_H
#define _GOSLAB_GC_H

#include <linux/fs.h>
#include <linux/seq_file.h>

int gs_gc_init(void);
void gs_gc_exit(void);
extern const struct file_operations gs_gc_fops;

#endif /* _GOSLAB_GC_H */
