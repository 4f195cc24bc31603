/* SPDX-License-Identifier: GPL-2.0 */
/* What module/main.c calls of debugfs.c. */
#ifndef _GOSLAB_DEBUGFS_H
#define _GOSLAB_DEBUGFS_H

void gs_debugfs_init(void);
void gs_debugfs_exit(void);

#endif /* _GOSLAB_DEBUGFS_H */
