// SPDX-License-Identifier: GPL-2.0
/*
 * The scavenger: giving the page heap's free pages back to the kernel,
 * as Go's mgcscavenge.go does for its heap.
 *
 * Free heap pages above retain_kb that stay free for scavenge_delay_ms go
 * back, newest chunk first, so that live spans gather in the oldest
 * chunks and the newest drain (mheap.c allocates first fit from the
 * oldest).  The shrinker (reclaim.c) and goslab_trim() call
 * mheap_release() for the same work under memory pressure or on demand.
 */

#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "mheap.h"

/* Heap pages given back per hold of mheap.lock. */
#define GS_RELEASE_BATCH	64

static unsigned int scavenge_delay_ms = 1000;
static int scavenge_delay_set(const char *val, const struct kernel_param *kp);
static const struct kernel_param_ops scavenge_delay_ops = {
	.set = scavenge_delay_set,
	.get = param_get_uint,
};
module_param_cb(scavenge_delay_ms, &scavenge_delay_ops, &scavenge_delay_ms,
		0644);
MODULE_PARM_DESC(scavenge_delay_ms,
		 "How long free heap memory must stay above retain_kb before the scavenger gives it back");

static unsigned int retain_kb = 4096;
module_param(retain_kb, uint, 0644);
MODULE_PARM_DESC(retain_kb,
		 "Free heap memory (KiB) the scavenger keeps for reuse");

static unsigned long retain_pages(void)
{
	return READ_ONCE(retain_kb) / (PAGE_SIZE / SZ_1K);
}

/**
 * mheap_scavenger_kick() - arm the scavenger if free memory is over retain_kb
 *
 * Free heap memory went over retain_kb: the scavenger runs
 * scavenge_delay_ms later, once, so that memory freed and reused within
 * that time never goes back to the kernel.  Armed only under mheap.lock
 * while @scavenging, so that unload can disarm it for good.
 *
 * Context: mheap.lock held.
 */
void mheap_scavenger_kick(void)
{
	lockdep_assert_held(&mheap.lock);
	if (mheap.free > retain_pages() && mheap.scavenging &&
	    !delayed_work_pending(&mheap.scavenge))
		schedule_delayed_work(&mheap.scavenge,
				      msecs_to_jiffies(READ_ONCE(scavenge_delay_ms)));
}

/*
 * Give @h's free heap pages back to the kernel, newest chunk first, until
 * at most @keep kernel pages are free; a batch at a time, so interrupts are
 * never off for long.  A chunk left with no page held goes to @dead.
 */
static unsigned long release_batch(struct mheap *h, unsigned long keep,
				   struct list_head *dead)
{
	unsigned long flags, idx, done = 0;
	struct mchunk *ch, *tmp;
	struct page *page, *next;
	LIST_HEAD(pages);
	unsigned int i;

	spin_lock_irqsave(&h->lock, flags);
	list_for_each_entry_safe_reverse(ch, tmp, &h->chunks, list) {
		while (ch->nfree && h->free > keep &&
		       done < GS_RELEASE_BATCH) {
			idx = find_first_zero_bit(ch->busy, ch->npages);
			__set_bit(idx, ch->busy);
			__set_bit(idx, ch->released);
			ch->nfree--;
			ch->nheld--;
			page = virt_to_page((void *)chunk_addr(ch, idx));
			for (i = 0; i < GS_KPAGES; i++)
				list_add(&page[i].lru, &pages);
			h->free -= GS_KPAGES;
			h->held -= GS_KPAGES;
			h->released += GS_KPAGES;
			done++;
		}
		if (!ch->nheld) {
			list_move(&ch->list, dead);
			rb_erase(&ch->node, &h->chunk_tree);
			h->nchunks--;
		}
		if (h->free <= keep || done >= GS_RELEASE_BATCH)
			break;
	}
	spin_unlock_irqrestore(&h->lock, flags);
	/* With interrupts on: init_on_free has the kernel zero each page. */
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	return done;
}

/**
 * __mheap_release() - give a heap's free pages back to the kernel
 * @h: &mheap, or a white-box test's own heap (tests/mheap-kunit.h)
 * @keep: kernel pages that may stay free
 *
 * Newest chunk first, lowest free heap page first within a chunk; a
 * chunk whose every page went back is freed.
 *
 * Context: process context; may sleep.
 * Return: kernel pages given back.
 */
unsigned long __mheap_release(struct mheap *h, unsigned long keep)
{
	unsigned long n, total = 0;
	struct mchunk *ch, *tmp;
	LIST_HEAD(dead);

	while ((n = release_batch(h, keep, &dead))) {
		total += n * GS_KPAGES;
		cond_resched();
	}
	list_for_each_entry_safe(ch, tmp, &dead, list)
		kfree(ch);
	return total;
}

/**
 * mheap_release() - give free heap pages back to the kernel
 * @keep: kernel pages that may stay free
 *
 * Context: process context; may sleep.
 * Return: kernel pages given back.
 */
unsigned long mheap_release(unsigned long keep)
{
	return __mheap_release(&mheap, keep);
}

/**
 * mheap_release_some() - give up to @nr free kernel pages back
 * @nr: how many, at most (give or take a heap page)
 *
 * Context: process context; may sleep.
 * Return: kernel pages given back.
 */
unsigned long mheap_release_some(unsigned long nr)
{
	unsigned long free = READ_ONCE(mheap.free);

	return mheap_release(free > nr ? free - nr : 0);
}

/**
 * mheap_free_pages() - kernel pages in free runs, read racily
 *
 * Return: the count.
 */
unsigned long mheap_free_pages(void)
{
	return READ_ONCE(mheap.free);
}

/*
 * What the scavenger did, for debugfs "heap": its runs and the kernel
 * pages they gave back.  Written by scavenge_fn() only (a work item never
 * runs on two CPUs at once), read racily.
 */
static unsigned long scavenges, scavenged;

static void scavenge_fn(struct work_struct *work)
{
	unsigned long n = mheap_release(retain_pages());

	WRITE_ONCE(scavenges, scavenges + 1);
	WRITE_ONCE(scavenged, scavenged + n);
}

/*
 * A new delay applies to a scavenge already waiting, too.  The parameter
 * can be written while goslab loads or unloads: only a waiting scavenge
 * of a heap that reclaims is moved, under the lock that disarms it.
 */
static int scavenge_delay_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint(val, kp);
	unsigned long flags;

	if (ret)
		return ret;
	spin_lock_irqsave(&mheap.lock, flags);
	if (mheap.scavenging && delayed_work_pending(&mheap.scavenge))
		mod_delayed_work(system_wq, &mheap.scavenge,
				 msecs_to_jiffies(READ_ONCE(scavenge_delay_ms)));
	spin_unlock_irqrestore(&mheap.lock, flags);
	return 0;
}

/**
 * mheap_scavenger_show() - the scavenger's settings, for debugfs "heap"
 * @m: the file
 */
void mheap_scavenger_show(struct seq_file *m)
{
	seq_printf(m, "retain_kb %u\n", READ_ONCE(retain_kb));
	seq_printf(m, "scavenge_delay_ms %u\n", READ_ONCE(scavenge_delay_ms));
	seq_printf(m, "scavenges %lu\n", READ_ONCE(scavenges));
	seq_printf(m, "scavenged_pages %lu\n", READ_ONCE(scavenged));
}

/* mheap_init(): the scavenger is set up, off until enabled. */
void mheap_scavenger_init(void)
{
	INIT_DELAYED_WORK(&mheap.scavenge, scavenge_fn);
}

/**
 * mheap_scavenger_enable() - let the scavenger run, or stop it for good
 * @on: whether it may run
 *
 * Off, it waits for a scavenge in progress; no later free or
 * scavenge_delay_ms write arms it again.
 *
 * Context: process context; sleeps.
 */
void mheap_scavenger_enable(bool on)
{
	spin_lock_irq(&mheap.lock);
	mheap.scavenging = on;
	spin_unlock_irq(&mheap.lock);
	if (!on)
		cancel_delayed_work_sync(&mheap.scavenge);
}
