// SPDX-License-Identifier: GPL-2.0
/*
 * dev.c: /dev/goslab, the misc device, and its one table of commands:
 * each command's number, its argument struct and its handler.  The table
 * drives the dispatch, the copies of the argument struct in and out
 * (undone if the copy out fails), and the checks of the ABI.  The
 * session the commands work on is session.c's.
 */

#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/ioctl.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include <uapi/linux/goslab.h>

#include "dev.h"

/* The largest argument struct of this kernel: room for it on the stack. */
#define GSD_ARG_MAX	128

/**
 * struct gsd_cmd - a command of /dev/goslab
 * @nr: its number, GOSLAB_IOC_*
 * @size: the size of its struct in this kernel
 * @fn: its handler, on the struct copied in; NULL for a command of a
 *	part this goslab was built without (the GC commands if GOSLAB_GC
 *	is 0), which fails with EOPNOTSUPP whatever its struct holds
 *
 * A command whose number says _IOC_READ returns data: its struct is
 * copied out after @fn succeeded.  The size in its number is that of the
 * first version of its struct, GOSLAB_*_SIZE_VER0, the least a caller
 * may pass.
 */
struct gsd_cmd {
	unsigned int nr;
	u32 size;
	gsd_cmd_fn fn;
};

/*
 * A command's entry, with the checks of its struct, which may only grow
 * at its end: no struct has grown yet, so each is still its first
 * version, fits GSD_ARG_MAX, and starts with its size field, which
 * gsd_copy_out() sets through a u32 *.
 */
#define GSD_CMD(_nr, type, _ver0, _fn) {				\
	.nr = (_nr),							\
	.size = sizeof(type) + BUILD_BUG_ON_ZERO(sizeof(type) != (_ver0)) + \
		BUILD_BUG_ON_ZERO(sizeof(type) > GSD_ARG_MAX) +		\
		BUILD_BUG_ON_ZERO(offsetof(type, size)),		\
	.fn = (_fn),							\
}

/* A command of the collector: no handler without it (dev.h). */
#define GSD_GC_CMD(_nr, type, _ver0, _fn)				\
	GSD_CMD(_nr, type, _ver0, GOSLAB_GC ? (_fn) : NULL)

static const struct gsd_cmd gsd_cmds[] = {
	GSD_CMD(GOSLAB_IOC_VERSION, struct goslab_ioc_version,
		GOSLAB_VERSION_SIZE_VER0, gsd_cmd_version),
	GSD_CMD(GOSLAB_IOC_ALLOC, struct goslab_ioc_alloc,
		GOSLAB_ALLOC_SIZE_VER0, gsd_cmd_alloc),
	GSD_CMD(GOSLAB_IOC_FREE, struct goslab_ioc_free,
		GOSLAB_FREE_SIZE_VER0, gsd_cmd_free),
	GSD_CMD(GOSLAB_IOC_WRITE, struct goslab_ioc_rw,
		GOSLAB_RW_SIZE_VER0, gsd_cmd_write),
	GSD_CMD(GOSLAB_IOC_READ, struct goslab_ioc_rw,
		GOSLAB_RW_SIZE_VER0, gsd_cmd_read),
	GSD_CMD(GOSLAB_IOC_USABLE_SIZE, struct goslab_ioc_usable,
		GOSLAB_USABLE_SIZE_VER0, gsd_cmd_usable_size),
	GSD_CMD(GOSLAB_IOC_CACHE_CREATE, struct goslab_ioc_cache_create,
		GOSLAB_CACHE_CREATE_SIZE_VER0, gsd_cmd_cache_create),
	GSD_CMD(GOSLAB_IOC_CACHE_ALLOC, struct goslab_ioc_cache_alloc,
		GOSLAB_CACHE_ALLOC_SIZE_VER0, gsd_cmd_cache_alloc),
	GSD_CMD(GOSLAB_IOC_CACHE_FREE, struct goslab_ioc_cache_free,
		GOSLAB_CACHE_FREE_SIZE_VER0, gsd_cmd_cache_free),
	GSD_CMD(GOSLAB_IOC_CACHE_DESTROY, struct goslab_ioc_cache_destroy,
		GOSLAB_CACHE_DESTROY_SIZE_VER0, gsd_cmd_cache_destroy),
	GSD_CMD(GOSLAB_IOC_STATS, struct goslab_ioc_stats,
		GOSLAB_STATS_SIZE_VER0, gsd_cmd_stats),
	GSD_GC_CMD(GOSLAB_IOC_GC_HEAP_CREATE, struct goslab_ioc_gc_heap_create,
		   GOSLAB_GC_HEAP_CREATE_SIZE_VER0, gsd_cmd_gc_heap_create),
	GSD_GC_CMD(GOSLAB_IOC_GC_TYPE_CREATE, struct goslab_ioc_gc_type_create,
		   GOSLAB_GC_TYPE_CREATE_SIZE_VER0, gsd_cmd_gc_type_create),
	GSD_GC_CMD(GOSLAB_IOC_GC_ALLOC, struct goslab_ioc_gc_alloc,
		   GOSLAB_GC_ALLOC_SIZE_VER0, gsd_cmd_gc_alloc),
	GSD_GC_CMD(GOSLAB_IOC_GC_STORE, struct goslab_ioc_gc_store,
		   GOSLAB_GC_STORE_SIZE_VER0, gsd_cmd_gc_store),
	GSD_GC_CMD(GOSLAB_IOC_GC_LOAD, struct goslab_ioc_gc_load,
		   GOSLAB_GC_LOAD_SIZE_VER0, gsd_cmd_gc_load),
	GSD_GC_CMD(GOSLAB_IOC_GC_DROP, struct goslab_ioc_gc_drop,
		   GOSLAB_GC_DROP_SIZE_VER0, gsd_cmd_gc_drop),
	GSD_GC_CMD(GOSLAB_IOC_GC_COLLECT, struct goslab_ioc_gc_collect,
		   GOSLAB_GC_COLLECT_SIZE_VER0, gsd_cmd_gc_collect),
	GSD_GC_CMD(GOSLAB_IOC_GC_ALIVE, struct goslab_ioc_gc_alive,
		   GOSLAB_GC_ALIVE_SIZE_VER0, gsd_cmd_gc_alive),
	GSD_GC_CMD(GOSLAB_IOC_GC_STATS, struct goslab_ioc_gc_stats,
		   GOSLAB_GC_STATS_SIZE_VER0, gsd_cmd_gc_stats),
};

/*
 * Every argument struct starts with __u32 size: read that, then the struct
 * as copy_struct_from_user() does for openat2() and clone3(): a caller's
 * struct shorter than ours is zero-extended, a longer one must be zero
 * past our end (-E2BIG otherwise), and one shorter than @ver0, the first
 * version, is refused.  Inlined, so that copy_struct_from_user() still
 * sees the real object size of @a->k.
 */
static __always_inline int gsd_copy_in(struct gsd_arg *a, u32 ver0)
{
	if (get_user(a->usize, (const u32 __user *)a->user))
		return -EFAULT;
	if (a->usize < ver0)
		return -EINVAL;
	if (a->usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(a->k, a->ksize, a->user, a->usize);
}

/*
 * Write back what the caller's struct has room for, and say how much in
 * its size field (at offset 0 in every struct: GSD_CMD()).
 */
static int gsd_copy_out(struct gsd_arg *a)
{
	u32 n = min(a->usize, a->ksize);

	*(u32 *)a->k = n;
	return copy_to_user(a->user, a->k, n) ? -EFAULT : 0;
}

/*
 * Write a command's results back, without the session's mutex: user
 * memory may fault, and a fault may wait for long (userfaultfd, FUSE).
 * If that fails, user space never learnt the handle the command gave
 * out, so what it names goes again.  The write-back was done without the
 * mutex, so another thread may have used the handle already (it could
 * only have read it from the half-written struct): whatever it names now
 * is looked up afresh by the command's undo, and left alone if it is gone
 * or in use (a cache with objects).  A GC type stays on its heap,
 * charged; a GC heap stays with the session.
 */
static int gsd_copy_out_or_undo(struct gsd_session *s, struct gsd_arg *a)
{
	lockdep_assert_not_held(&s->lock);
	if (!gsd_copy_out(a))
		return 0;
	if (a->undo) {
		mutex_lock(&s->lock);
		a->undo(s, a->handle);
		mutex_unlock(&s->lock);
	}
	return -EFAULT;
}

static const struct gsd_cmd *gsd_cmd_find(unsigned int nr)
{
	const struct gsd_cmd *cmd;

	for (cmd = gsd_cmds; cmd < gsd_cmds + ARRAY_SIZE(gsd_cmds); cmd++)
		if (cmd->nr == nr)
			return cmd;
	return NULL;
}

static long gsd_ioctl(struct file *file, unsigned int nr, unsigned long arg)
{
	struct gsd_session *s = file->private_data;
	u64 k[GSD_ARG_MAX / sizeof(u64)];
	struct gsd_arg a = {
		.user = (void __user *)arg,
		.k = k,
	};
	const struct gsd_cmd *cmd;
	int ret;

	cmd = gsd_cmd_find(nr);
	if (!cmd)
		return -ENOTTY;
	if (!cmd->fn)
		return -EOPNOTSUPP;
	a.ksize = cmd->size;
	/* The size in the number is the first version's. */
	ret = gsd_copy_in(&a, _IOC_SIZE(nr));
	if (ret)
		return ret;
	ret = cmd->fn(s, &a);
	if (ret || !(_IOC_DIR(nr) & _IOC_READ))
		return ret;
	return gsd_copy_out_or_undo(s, &a);
}

static const struct file_operations gsd_fops = {
	.owner		= THIS_MODULE,
	.open		= gsd_open,
	.release	= gsd_release,
	.unlocked_ioctl	= gsd_ioctl,
	/* The structs are the same for 32-bit callers: no holes, no longs. */
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice gsd_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= GOSLAB_DEVICE_NAME,
	.fops	= &gsd_fops,
	.mode	= 0600,		/* root only: sessions pin kernel memory */
};

/**
 * goslab_dev_init() - register /dev/goslab
 *
 * Called by goslab's module init once the allocator works.
 *
 * Return: 0 or a negative errno from misc_register().
 */
int __init goslab_dev_init(void)
{
	return misc_register(&gsd_misc);
}

/**
 * goslab_dev_exit() - unregister /dev/goslab
 *
 * Called by goslab's module exit.  No session is left: each open file
 * holds a reference on the module.
 */
void goslab_dev_exit(void)
{
	misc_deregister(&gsd_misc);
}
