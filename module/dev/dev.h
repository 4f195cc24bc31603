/* SPDX-License-Identifier: GPL-2.0 */
/* What module/main.c calls of the misc device, /dev/goslab. */
#ifndef _GOSLAB_DEV_H
#define _GOSLAB_DEV_H

int goslab_dev_init(void);
void goslab_dev_exit(void);

#endif /* _GOSLAB_DEV_H */
