// SPDX-License-Identifier: GPL-2.0
/*
 * goslab_demo, part one: the tiers at work.  A thread on every online
 * CPU allocates a burst of tiny, small and large objects and cache
 * objects (each CPU from its own mcache), the main thread frees them all
 * (objects go back through its CPU's lists to the mcentrals, empty spans
 * to the page heap), and the scavenger gives the free pages back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/goslab.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "goslab_demo.h"

#define BURST		3000	/* objects per CPU */
#define LARGE_EVERY	64	/* one in this many is large */
#define HUGE_SIZE	(5UL << 20)	/* more than alloc_pages() gives at once */
#define SCAVENGE_WAIT_MS 5000
#define HOLD_MS		1000	/* the burst stays live this long: watchers see it */

static const size_t tiny_sizes[] = { 1, 8, 12 };
static const size_t small_sizes[] = { 16, 32, 48, 64, 100, 256, 512, 1024,
				      4000, 8192, 32768 };
static const size_t large_sizes[] = { 40000, 65536, 262144 };

struct demo_item {
	unsigned int magic;
	unsigned int id;
	u8 payload[56];
};

#define ITEM_MAGIC	0x60514bU

struct burst {
	struct completion done;
	void *objs[BURST];
	size_t bytes[3];	/* tiny, small, large: bytes asked */
	unsigned int count[3];
	int err;
};

static struct goslab_cache *item_cache;
static void *huge;

static void item_ctor(void *p)
{
	struct demo_item *it = p;

	it->magic = ITEM_MAGIC;
	it->id = 0;
}

/* The size of a burst's object @i, and its tier (0 tiny, 1 small, 2 large). */
static size_t burst_size(unsigned int i, unsigned int *tier)
{
	if (i % LARGE_EVERY == LARGE_EVERY - 1) {
		*tier = 2;
		return large_sizes[i / LARGE_EVERY % ARRAY_SIZE(large_sizes)];
	}
	if (i % 3 == 0) {
		*tier = 0;
		return tiny_sizes[i / 3 % ARRAY_SIZE(tiny_sizes)];
	}
	*tier = 1;
	return small_sizes[i % ARRAY_SIZE(small_sizes)];
}

static int burst_fn(void *arg)
{
	struct burst *b = arg;
	unsigned int i, tier;
	struct demo_item *it;
	size_t size;

	for (i = 0; i < BURST && !b->err; i++) {
		/* Every fifth small object from the cache: its constructor ran. */
		if (i % 5 == 4) {
			it = goslab_cache_alloc(item_cache, GFP_KERNEL);
			if (it && it->magic != ITEM_MAGIC)
				b->err = -EINVAL;
			b->objs[i] = it;
			tier = 1;
			size = sizeof(*it);
		} else {
			size = burst_size(i, &tier);
			b->objs[i] = goslab_alloc(size, GFP_KERNEL);
			if (b->objs[i])
				memset(b->objs[i], 0xa5, size);
		}
		if (!b->objs[i])
			b->err = -ENOMEM;
		b->bytes[tier] += size;
		b->count[tier]++;
	}
	complete(&b->done);
	return 0;
}

static void burst_free(struct burst *b)
{
	unsigned int i;

	for (i = 0; i < BURST; i++) {
		if (!b->objs[i])
			continue;
		if (i % 5 == 4)
			goslab_cache_free(item_cache, b->objs[i]);
		else
			goslab_free(b->objs[i]);
		b->objs[i] = NULL;
	}
}

static unsigned long pages_released(void)
{
	struct goslab_stats st;

	goslab_get_stats(&st);
	return st.pages_released;
}

/*
 * Wait for the scavenger to start giving pages back (@ms: when it did) and
 * then to finish; return the kernel pages it gave back.
 */
static unsigned long wait_scavenger(unsigned long before, unsigned int *ms)
{
	unsigned long last = before, now;
	unsigned int t;

	*ms = 0;
	for (t = 50; t <= SCAVENGE_WAIT_MS; t += 50) {
		msleep(50);
		now = pages_released();
		if (now > last && !*ms)
			*ms = t;
		else if (now == last && *ms)
			break;
		last = now;
	}
	return last - before;
}

/**
 * demo_tiers_run() - the burst, its release, and the scavenger
 *
 * Keeps one huge object and the cache until demo_tiers_release().
 *
 * Return: 0, or an errno if an allocation failed.
 */
int demo_tiers_run(void)
{
	unsigned int cpu, ncpus = 0, n[3] = { 0 }, ms, t;
	struct task_struct *task;
	struct burst *bursts;
	size_t bytes[3] = { 0 };
	unsigned long before;
	int err = 0;

	item_cache = goslab_cache_create("demo_item", sizeof(struct demo_item),
					 0, item_ctor);
	if (!item_cache)
		return -ENOMEM;
	bursts = kvcalloc(nr_cpu_ids, sizeof(*bursts), GFP_KERNEL);
	if (!bursts)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		init_completion(&bursts[cpu].done);
		task = kthread_create(burst_fn, &bursts[cpu], "goslab_demo/%u",
				      cpu);
		if (IS_ERR(task)) {
			bursts[cpu].err = PTR_ERR(task);
			complete(&bursts[cpu].done);
			continue;
		}
		kthread_bind(task, cpu);
		wake_up_process(task);
	}
	for_each_online_cpu(cpu) {
		wait_for_completion(&bursts[cpu].done);
		err = err ? : bursts[cpu].err;
		for (t = 0; t < 3; t++) {
			n[t] += bursts[cpu].count[t];
			bytes[t] += bursts[cpu].bytes[t];
		}
		ncpus++;
	}
	huge = goslab_alloc(HUGE_SIZE, GFP_KERNEL);
	if (!huge || goslab_object_tier(huge) != GOSLAB_HUGE)
		err = err ? : -ENOMEM;
	pr_info("tiers: %u CPUs allocated %u tiny (%zu B), %u small (%zu KiB, 1 in 5 from cache demo_item), %u large (%zu KiB) objects, plus one huge (%lu KiB)\n",
		ncpus, n[0], bytes[0], n[1], bytes[1] >> 10, n[2],
		bytes[2] >> 10, HUGE_SIZE >> 10);
	demo_stats("tiers: allocated");
	msleep(HOLD_MS);

	before = pages_released();
	for_each_online_cpu(cpu)
		burst_free(&bursts[cpu]);
	kvfree(bursts);
	demo_stats("tiers: all freed");
	before = wait_scavenger(before, &ms);
	pr_info("tiers: the scavenger began to give pages back %u ms later; it gave %lu KiB\n",
		ms, before * (PAGE_SIZE >> 10));
	demo_stats("tiers: scavenged");
	return err;
}

/**
 * demo_tiers_release() - free the huge object, destroy the cache
 */
void demo_tiers_release(void)
{
	goslab_free(huge);
	huge = NULL;
	if (item_cache)
		goslab_cache_destroy(item_cache);
	item_cache = NULL;
}
