/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page heap's own header, for its four files only: mheap.c (chunks
 * and spans), mgcscavenge.c (giving free pages back), mhuge.c (objects
 * beyond a chunk) and heapdump.c (the heap for debugfs "spans").  The
 * rest of goslab uses the mheap_*() functions that internal.h declares.
 */
#ifndef _GOSLAB_MHEAP_H
#define _GOSLAB_MHEAP_H

#include <linux/llist.h>
#include <linux/workqueue.h>

#include "internal.h"

/* Kernel pages freed or cleared between two chances to reschedule. */
#define GS_RESCHED_PAGES	512

/**
 * struct mchunk - a block of memory from alloc_pages()
 * @list: on mheap.chunks, oldest first: in increasing @seq
 * @node: in mheap.chunk_tree, by @seq
 * @seq: the chunk's number in the order chunks were added, from 1: no
 *	two chunks of a heap's life share one, unlike their addresses
 * @base: address of heap page 0
 * @npages: heap pages covered
 * @nfree: heap pages free (busy bit clear)
 * @nheld: heap pages not given back
 * @busy: bit set: the heap page is in a span or was given back
 * @released: bit set: the heap page was given back to the kernel
 * @bits: storage for both bitmaps
 *
 * All fields but @seq, @base and @npages are under mheap.lock.
 */
struct mchunk {
	struct list_head list;
	struct rb_node node;
	unsigned long seq;
	unsigned long base;
	unsigned int npages;
	unsigned int nfree;
	unsigned int nheld;
	unsigned long *busy;
	unsigned long *released;
	unsigned long bits[];
};

/**
 * struct mheap - the page heap
 * @lock: protects everything here but @span_cache and the works
 * @chunks: struct mchunk, oldest first
 * @chunk_tree: the same chunks, by their seq: a paused walk of debugfs
 *	"spans" finds its place again in a few steps
 * @large: large spans in use
 * @huge: huge spans in use, by address (struct mspan.node)
 * @huge_dying: huge spans freed, until their work unmaps them
 * @nchunks: chunks on @chunks
 * @chunk_seq: the last chunk's struct mchunk.seq
 * @nlarge: large and huge spans in use
 * @nlarge_pages: kernel pages in them
 * @held: kernel pages held, in chunks or huge spans
 * @inuse: kernel pages in spans
 * @free: kernel pages in free runs
 * @released: kernel pages given back since load
 * @scavenging: the scavenger may be armed (mheap_scavenger_enable())
 * @span_cache: struct mspan
 * @scavenge: the scavenger
 * @wq: runs @huge_free: unbound, and with a rescuer, since it gives memory
 *	back under pressure
 * @huge_free: unmaps and frees the huge spans that were freed
 * @huge_deferred: those spans, by their free_node
 *
 * "Kernel pages" are PAGE_SIZE; a heap page is GS_KPAGES of them.
 */
struct mheap {
	spinlock_t lock; /* see above */
	struct list_head chunks;
	struct rb_root chunk_tree;
	struct list_head large;
	struct rb_root huge;
	struct list_head huge_dying;
	unsigned long nchunks;
	unsigned long chunk_seq;
	unsigned long nlarge;
	unsigned long nlarge_pages;
	unsigned long held;
	unsigned long inuse;
	unsigned long free;
	unsigned long released;
	bool scavenging;

	struct kmem_cache *span_cache;
	struct delayed_work scavenge;
	struct workqueue_struct *wq;
	struct work_struct huge_free;
	struct llist_head huge_deferred;
};

extern struct mheap mheap;

/* Point a kernel page at its span and mark it goslab's; NULL undoes it. */
static inline void page_set_span(struct page *page, struct mspan *s)
{
	set_page_private(page, (unsigned long)s);
	page->index = s ? GS_PAGE_MAGIC : 0;
}

static inline unsigned long chunk_addr(const struct mchunk *ch,
				       unsigned long idx)
{
	return ch->base + (idx << GS_PAGE_SHIFT);
}

/* mheap.c */
struct mspan *mheap_span_struct_alloc(gfp_t gfp);
void mheap_huge_insert(struct mheap *h, struct mspan *s);

/* heapdump.c: debugfs "spans", GS_SPANS_BATCH steps per hold of the lock */
#define GS_SPANS_BATCH	64

/**
 * struct mheap_spans_pos - where a walk of "spans" stands
 * @chunk: the chunk's ordinal in this read, as the lines show it
 * @seq: its sequence number (struct mchunk); 0 before the first
 * @page: the next heap page of that chunk to show
 * @huge: the address of the last huge span shown; 0 before the first
 * @header: the version and column lines are still to come
 * @chunks_done: past the last chunk, on to the huge spans
 * @done: nothing left
 */
struct mheap_spans_pos {
	unsigned long chunk;
	unsigned long seq;
	unsigned long page;
	unsigned long huge;
	bool header;
	bool chunks_done;
	bool done;
};

/**
 * struct mheap_spans - a reader of debugfs "spans", its seq_file's private
 * @h: the heap walked: &mheap, or a white-box test's
 * @show: writes the line of a small or GC span, whose owner knows it
 * @index: the seq_file position of the batch that starts at @at
 * @at: where that batch starts: shown again if seq_file asks again
 * @next: where it ended, the start of the batch at @index + 1
 * @visited: test build only: nodes the last batch looked at (spans_visit())
 */
struct mheap_spans {
	struct mheap *h;
	void (*show)(struct seq_file *m, unsigned long chunk,
		     unsigned long page, const struct mspan *s);
	loff_t index;
	struct mheap_spans_pos at;
	struct mheap_spans_pos next;
#ifdef GOSLAB_TEST
	unsigned int visited;
#endif
};

extern const struct seq_operations mheap_spans_ops;
void mheap_spans_reset(struct mheap_spans *it);

/* mgcscavenge.c */
unsigned long __mheap_release(struct mheap *h, unsigned long keep);
void mheap_scavenger_kick(void);
void mheap_scavenger_init(void);
void mheap_scavenger_show(struct seq_file *m);

/* mhuge.c */
void mheap_huge_free(struct mspan *s);
void mheap_huge_init(void);
void mheap_huge_exit(void);

#endif /* _GOSLAB_MHEAP_H */
