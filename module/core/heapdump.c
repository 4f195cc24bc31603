// SPDX-License-Identifier: GPL-2.0
/*
 * The heap dumped for debugfs "spans", as Go's heapdump.go writes its heap
 * out for tools: every chunk run by run, then the huge spans
 * (Documentation/debugfs.rst gives the format).
 *
 * The walk goes in batches: the heap lock is held for at most
 * GS_SPANS_BATCH steps (a run shown, or skipped), then dropped, so that
 * a read of a big heap never keeps span allocation, or interrupts, waiting
 * for long.  Each batch is one seq_file record; between two, the walk
 * keeps its place as numbers, the chunk by its sequence number (struct
 * mchunk), a huge span by its address: under the lock again it finds the
 * chunk, or the one after it if it is gone, in mheap.chunk_tree, and the
 * huge span after the last one shown in mheap.huge, in as many steps as
 * the trees are deep.  So a batch looks at GS_SPANS_BATCH runs and a few
 * tree nodes, however many chunks or spans come before its place.
 */

#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "mheap.h"

#ifdef GOSLAB_TEST
/* A test hook: the runs, chunks and tree nodes a batch looks at. */
#define spans_visit(it)	((it)->visited++)
#else
#define spans_visit(it)	((void)(it))
#endif

/*
 * The chunk @pos stands at, under the lock: the chunk it saw, found again
 * by its sequence number, or, if that chunk is gone, the first one made
 * after it, shown from its first page on.  NULL when there is none.
 */
static struct mchunk *spans_chunk(struct mheap_spans *it,
				  struct mheap_spans_pos *pos)
{
	struct rb_node *n = it->h->chunk_tree.rb_node;
	struct mchunk *ch, *found = NULL;

	lockdep_assert_held(&it->h->lock);
	while (n) {
		spans_visit(it);
		ch = rb_entry(n, struct mchunk, node);
		if (ch->seq >= pos->seq) {
			found = ch;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	if (found && found->seq != pos->seq) {
		if (pos->seq)
			pos->chunk++;	/* not the one shown last */
		pos->seq = found->seq;
		pos->page = 0;
	}
	return found;
}

/*
 * The span of busy page @idx of @ch, its first page in @first, if the
 * span is seen as one that holds the page.  The pages of a span are
 * pointed at it with no lock held and in no order with the stores of
 * its fields (mheap_alloc_span()): a span being set up may be seen with
 * the ->base and ->npages of its struct's last life, which must not send
 * the walk from @idx to the end of a run elsewhere.  NULL for such a
 * span, and for one being set up or taken down.
 */
static struct mspan *spans_span(struct mchunk *ch, unsigned long idx,
				unsigned long *first)
{
	struct mspan *s = gs_page_span(virt_to_page((void *)chunk_addr(ch, idx)));

	if (!s || s->chunk != ch)
		return NULL;
	*first = ((unsigned long)s->base - ch->base) >> GS_PAGE_SHIFT;
	return idx >= *first && idx < *first + s->npages ? s : NULL;
}

/*
 * One step of @pos through @ch: the line of the run at its page, if one
 * starts there, and the page after the run.  A page in a span not (or no
 * longer) starting there, since the heap changed between two batches, or
 * a busy page whose span is being set up or taken down, has no line.
 */
static void spans_run(struct mheap_spans *it, struct seq_file *m,
		      struct mchunk *ch, struct mheap_spans_pos *pos)
{
	unsigned long idx = pos->page, end, first;
	struct mspan *s;

	lockdep_assert_held(&it->h->lock);
	spans_visit(it);
	if (test_bit(idx, ch->released)) {
		end = find_next_zero_bit(ch->released, ch->npages, idx);
		seq_printf(m, "%lu %lu %lu released\n", pos->chunk, idx,
			   end - idx);
	} else if (!test_bit(idx, ch->busy)) {
		end = find_next_bit(ch->busy, ch->npages, idx);
		seq_printf(m, "%lu %lu %lu free\n", pos->chunk, idx, end - idx);
	} else {
		/* A span found under the lock stays: freeing it takes the lock. */
		s = spans_span(ch, idx, &first);
		if (!s) {
			end = idx + 1;	/* being set up or taken down */
		} else {
			end = first + s->npages;
			/* One that starts before had its line in an earlier batch. */
			if (first == idx && s->state == MSPAN_LARGE)
				seq_printf(m, "%lu %lu %u large\n", pos->chunk,
					   idx, s->npages);
			else if (first == idx)
				it->show(m, pos->chunk, idx, s);
		}
	}
	pos->page = end;
}

/*
 * The huge spans' lines, in address order, from the first one past
 * @pos->huge on, @budget at most.  One added behind that place since is
 * not shown, one gone is not missed: each shows once at most, and every
 * one there for the whole read shows.
 */
static void spans_huge(struct mheap_spans *it, struct seq_file *m,
		       struct mheap_spans_pos *pos, unsigned int budget)
{
	struct rb_node *n = it->h->huge.rb_node, *next = NULL;
	struct mspan *s;

	lockdep_assert_held(&it->h->lock);
	while (n) {
		spans_visit(it);
		s = rb_entry(n, struct mspan, node);
		if ((unsigned long)s->base > pos->huge) {
			next = n;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	for (n = next; n; n = rb_next(n)) {
		if (!budget--)
			return;
		spans_visit(it);
		s = rb_entry(n, struct mspan, node);
		seq_printf(m, "- - %u huge\n", s->npages);
		pos->huge = (unsigned long)s->base;
	}
	pos->done = true;
}

/*
 * One batch: the lines from @it->at on, GS_SPANS_BATCH steps at most,
 * under one hold of the heap lock; where it ended goes to @it->next.
 */
static int spans_show(struct seq_file *m, void *v)
{
	struct mheap_spans *it = m->private;
	struct mheap_spans_pos pos = it->at;
	unsigned int steps = 0;
	unsigned long flags;
	struct mchunk *ch;

	if (pos.header) {
		seq_puts(m, "goslab-spans 1\n");
		seq_puts(m, "chunk page npages state owner elemsize nelems nalloc white grey black\n");
		pos.header = false;
	}
	spin_lock_irqsave(&it->h->lock, flags);
	ch = pos.chunks_done ? NULL : spans_chunk(it, &pos);
	while (ch && steps < GS_SPANS_BATCH) {
		if (pos.page < ch->npages) {
			spans_run(it, m, ch, &pos);
			steps++;
			continue;
		}
		if (list_is_last(&ch->list, &it->h->chunks)) {
			ch = NULL;
			break;
		}
		ch = list_next_entry(ch, list);
		spans_visit(it);
		pos.seq = ch->seq;
		pos.chunk++;
		pos.page = 0;
	}
	if (!ch) {
		pos.chunks_done = true;
		spans_huge(it, m, &pos, GS_SPANS_BATCH - steps);
	}
	spin_unlock_irqrestore(&it->h->lock, flags);
	it->next = pos;
	return 0;
}

/**
 * mheap_spans_reset() - put a reader of "spans" at the start
 * @it: the reader
 */
void mheap_spans_reset(struct mheap_spans *it)
{
	it->index = 0;
	it->at = (struct mheap_spans_pos){ .header = true };
	it->next = it->at;
}

/*
 * The batch at @pos: the first one, or the one the walk stands at.  A
 * seq_file asks for the same batch again after its buffer overflowed or
 * a read ended, and restarts from 0 on a seek; nothing else.
 */
static void *spans_start(struct seq_file *m, loff_t *pos)
{
	struct mheap_spans *it = m->private;

	if (!*pos)
		mheap_spans_reset(it);
	if (*pos != it->index || it->at.done)
		return NULL;
	return it;
}

static void *spans_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct mheap_spans *it = m->private;

	it->at = it->next;
	it->index = ++*pos;
	if (it->at.done)
		return NULL;
	cond_resched();
	return it;
}

static void spans_stop(struct seq_file *m, void *v)
{
}

/* The seq_file of "spans"; tests/mheap-kunit.h drives it as seq_read() does. */
const struct seq_operations mheap_spans_ops = {
	.start	= spans_start,
	.next	= spans_next,
	.stop	= spans_stop,
	.show	= spans_show,
};

/**
 * mheap_spans_open() - open debugfs "spans": every run of every chunk
 * @file: the file; its release must be seq_release_private()
 * @show: writes the line of a small or GC span, whose owner knows it;
 *	called under mheap.lock, interrupts off
 *
 * Chunk by chunk, in address order within each, then the huge spans:
 * the picture of the heap (Documentation/debugfs.rst).  Read in batches
 * of GS_SPANS_BATCH steps per hold of mheap.lock.
 *
 * Return: 0 or -ENOMEM.
 */
int mheap_spans_open(struct file *file,
		     void (*show)(struct seq_file *m, unsigned long chunk,
				  unsigned long page, const struct mspan *s))
{
	struct mheap_spans *it;

	it = __seq_open_private(file, &mheap_spans_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->h = &mheap;
	it->show = show;
	mheap_spans_reset(it);
	return 0;
}

