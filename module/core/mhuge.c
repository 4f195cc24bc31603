// SPDX-License-Identifier: GPL-2.0
/*
 * Huge objects: those larger than a chunk can ever be (MAX_PAGE_ORDER).
 * Their pages come straight from alloc_pages(), one at a time, and are
 * vmap()ed, as vmalloc() would do, so they need a sleeping GFP.  A freed
 * huge object is unmapped and its pages freed by a work item, since
 * vunmap() may sleep and goslab_free() may be called where nothing may.
 */

#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "mheap.h"

#ifdef GOSLAB_TEST
/*
 * A test hook, in the test build only (GOSLAB_TEST, module/Kbuild).  While
 * test_huge_free_hold is 1, the work that unmaps freed huge objects waits
 * (10 s at most) before it starts: KUnit looks at a freed huge object
 * before its unmapping every time, not by luck.
 */
static unsigned int test_huge_free_hold;
static DECLARE_WAIT_QUEUE_HEAD(huge_free_test_wq);

static int huge_free_hold_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint(val, kp);

	wake_up_all(&huge_free_test_wq);
	return ret;
}

static const struct kernel_param_ops huge_free_hold_ops = {
	.set = huge_free_hold_set,
	.get = param_get_uint,
};
module_param_cb(test_huge_free_hold, &huge_free_hold_ops,
		&test_huge_free_hold, 0644);
MODULE_PARM_DESC(test_huge_free_hold,
		 "Testing only: 1 holds off the unmapping of freed huge objects (10 s at most)");

static void huge_free_test_hold(void)
{
	wait_event_timeout(huge_free_test_wq, !READ_ONCE(test_huge_free_hold),
			   10 * HZ);
}

/* Unloading: nothing holds the work any more. */
static void huge_free_test_release(void)
{
	WRITE_ONCE(test_huge_free_hold, 0);
	wake_up_all(&huge_free_test_wq);
}
#else
static void huge_free_test_hold(void) { }
static void huge_free_test_release(void) { }
#endif

/* Unmap a freed huge span and free its pages; runs in the heap's wq. */
static void huge_free_now(struct mspan *s)
{
	unsigned long i, kpages = (unsigned long)s->npages * GS_KPAGES;
	unsigned long flags;

	vunmap(s->base);
	for (i = 0; i < kpages; i++) {
		page_set_span(s->pages[i], NULL);
		__free_page(s->pages[i]);
		if (!(i % GS_RESCHED_PAGES))
			cond_resched();
	}
	spin_lock_irqsave(&mheap.lock, flags);
	list_del(&s->list);
	mheap.held -= kpages;
	mheap.inuse -= kpages;
	mheap.released += kpages;
	spin_unlock_irqrestore(&mheap.lock, flags);
	kvfree(s->pages);
	kmem_cache_free(mheap.span_cache, s);
}

static void huge_free_deferred(struct work_struct *work)
{
	struct llist_node *n, *next, *list;

	/*
	 * The hold comes after the take: a span freed after the hold was set
	 * (llist_add() and llist_del_all() are full barriers) is held.
	 */
	list = llist_del_all(&mheap.huge_deferred);
	huge_free_test_hold();
	llist_for_each_safe(n, next, list)
		huge_free_now(llist_entry(n, struct mspan, free_node));
}

/**
 * mheap_huge_free() - free a huge span, unmapping it in the background
 * @s: the span
 *
 * A huge span leaves mheap.huge at once, for the dying list, where
 * debug mode finds a second free of it; a work item unmaps it and frees
 * its pages.  KASAN sees it freed at once too, not once the work has run.
 *
 * Context: any.
 */
void mheap_huge_free(struct mspan *s)
{
	unsigned long flags, kpages = (unsigned long)s->npages * GS_KPAGES;

	gs_kasan_poison(s->base, (size_t)s->npages << GS_PAGE_SHIFT);
	spin_lock_irqsave(&mheap.lock, flags);
	rb_erase(&s->node, &mheap.huge);
	list_add(&s->list, &mheap.huge_dying);	/* where ->node was */
	mheap.nlarge--;
	mheap.nlarge_pages -= kpages;
	spin_unlock_irqrestore(&mheap.lock, flags);
	llist_add(&s->free_node, &mheap.huge_deferred);
	queue_work(mheap.wq, &mheap.huge_free);
}

/**
 * mheap_flush_huge() - wait until the huge spans freed so far are gone
 *
 * Context: process context; sleeps.
 */
void mheap_flush_huge(void)
{
	flush_work(&mheap.huge_free);
}

/*
 * vmap() and the page array allocate with GFP_KERNEL inside: a scope
 * keeps a GFP_NOFS or GFP_NOIO caller out of FS and IO reclaim there too.
 */
static unsigned int huge_scope_enter(gfp_t gfp)
{
	if (!(gfp & __GFP_IO))
		return memalloc_noio_save();
	if (!(gfp & __GFP_FS))
		return memalloc_nofs_save();
	return 0;
}

static void huge_scope_exit(gfp_t gfp, unsigned int scope)
{
	if (!(gfp & __GFP_IO))
		memalloc_noio_restore(scope);
	else if (!(gfp & __GFP_FS))
		memalloc_nofs_restore(scope);
}

static struct mspan *huge_alloc(unsigned int npages, gfp_t gfp)
{
	unsigned long i, flags, kpages = (unsigned long)npages * GS_KPAGES;
	struct mspan *s;

	s = mheap_span_struct_alloc(gfp);
	if (!s)
		return NULL;
	s->pages = kvcalloc(kpages, sizeof(*s->pages), gs_gfp(gfp));
	if (!s->pages)
		goto fail;
	for (i = 0; i < kpages; i++) {
		s->pages[i] = alloc_page(gs_gfp(gfp));
		if (!s->pages[i])
			goto fail;
		page_set_span(s->pages[i], s);
	}
	s->base = vmap(s->pages, kpages, VM_MAP, PAGE_KERNEL);
	if (!s->base)
		goto fail;
	s->npages = npages;
	s->state = MSPAN_HUGE;

	spin_lock_irqsave(&mheap.lock, flags);
	mheap_huge_insert(&mheap, s);
	mheap.nlarge++;
	mheap.nlarge_pages += kpages;
	mheap.held += kpages;
	mheap.inuse += kpages;
	spin_unlock_irqrestore(&mheap.lock, flags);
	return s;

fail:
	for (i = 0; s->pages && i < kpages && s->pages[i]; i++) {
		page_set_span(s->pages[i], NULL);
		__free_page(s->pages[i]);
	}
	kvfree(s->pages);
	kmem_cache_free(mheap.span_cache, s);
	return NULL;
}

/**
 * mheap_alloc_huge() - a span beyond the largest contiguous run, vmap()ed
 * @npages: heap pages wanted
 * @gfp: the caller's GFP flags; must allow sleeping
 *
 * Return: the span, or NULL.
 */
struct mspan *mheap_alloc_huge(unsigned int npages, gfp_t gfp)
{
	unsigned int scope;
	struct mspan *s;

	if (!gfpflags_allow_blocking(gfp))
		return NULL;
	scope = huge_scope_enter(gfp);
	s = huge_alloc(npages, gfp);
	huge_scope_exit(gfp, scope);
	return s;
}

/* mheap_init(): the work that unmaps freed huge spans. */
void mheap_huge_init(void)
{
	INIT_WORK(&mheap.huge_free, huge_free_deferred);
	init_llist_head(&mheap.huge_deferred);
}

/* mheap_exit(), before the heap's workqueue goes: nothing holds the work. */
void mheap_huge_exit(void)
{
	huge_free_test_release();
}
