// SPDX-License-Identifier: GPL-2.0
/*
 * The heap profiler, after Go's runtime/mprof.go: goslab samples about
 * one allocation per profile_rate bytes allocated (Go's MemProfileRate)
 * and keeps, per call stack, the objects and bytes it sampled allocated
 * and those still in use.  debugfs "profile" prints them, raw, with the
 * rate; tools/goslab-pprof scales them as Go's pprof writer does and
 * writes what `go tool pprof` reads.
 *
 * Off (profile_rate=0, the default) it costs nothing: the fast paths
 * test the hooks' static keys they test anyway (internal.h), and only
 * turning the profiler on sends every allocation and free through the
 * hooks (hooks.c), the tiny and large paths through gs_mprof_key.
 *
 * Sampling is Go's: each CPU counts down the bytes until its next sample,
 * drawn from an exponential distribution whose mean is the rate, so that
 * an object of s bytes is sampled with probability 1 - exp(-s / rate)
 * whatever the sizes around it (Go's nextSample and fastexprand).  A
 * sample records its call stack in the kernel's stack depot, which
 * keeps each distinct stack once, and counts it in that stack's bucket
 * (Go's bucket and memRecord).  So that a free can take a sampled object
 * out of "in use", each sampled object is a record in a hash table by
 * address (where Go hangs a special on the span), and each span counts
 * its sampled objects, which spares the other frees the lookup.
 *
 * Any context goslab allocates in may sample: the tables are allocated
 * when the profiler first starts, not in the hooks, and are guarded by
 * one raw spinlock held for a few hash steps; the stack is captured and
 * saved (which may allocate, with the caller's gfp) before it is taken.
 * NMIs never get here: goslab fails allocations and defers frees there.
 *
 * Changing the rate starts a new profile: turning the profiler off forgets
 * every bucket and record, so read the profile before.
 */

#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/kallsyms.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

/* Go's default MemProfileRate, 512 KiB: profile_rate=on. */
#define GS_MPROF_DEFAULT_RATE	(512 * 1024)
/* Frames kept per stack, and the allocator's own a stack may start with. */
#define GS_MPROF_DEPTH		32
#define GS_MPROF_SKIP		8
/* Distinct stacks (buckets), and sampled objects tracked at once. */
#define GS_MPROF_STACK_BITS	12
#define GS_MPROF_OBJECT_BITS	14
#define GS_MPROF_STACKS		BIT(GS_MPROF_STACK_BITS)
#define GS_MPROF_OBJECTS	BIT(GS_MPROF_OBJECT_BITS)
/* Hash chains forgotten per hold of the lock when the profiler stops. */
#define GS_MPROF_BATCH		64
/* The end of a chain. */
#define GS_MPROF_NONE		U32_MAX
/* Go's fastexprand(): random bits of the uniform draw. */
#define GS_MPROF_RAND_BITS	26
/* ln(2) in 0.32 fixed point. */
#define GS_LN2_Q32		2977044472ULL

/**
 * struct gs_mprof_bucket - the samples of one call stack
 * @stack: its stack depot handle
 * @next: the next bucket in its hash chain
 * @allocs: objects sampled
 * @alloc_bytes: their bytes
 * @frees: of those, objects freed, or never tracked (see gs_mprof_record())
 * @free_bytes: their bytes
 */
struct gs_mprof_bucket {
	u32 stack;
	u32 next;
	u64 allocs;
	u64 alloc_bytes;
	u64 frees;
	u64 free_bytes;
};

/**
 * struct gs_mprof_special - a sampled object in use (Go's specialprofile)
 * @addr: its address, inverted: kmemleak must not see these tables point
 *	at the objects, or it would take a leaked sampled object for one in
 *	use
 * @size: the bytes it was sampled for
 * @bucket: the bucket of its stack
 * @next: the next record in its hash chain, or on the free list
 */
struct gs_mprof_special {
	unsigned long addr;
	u32 size;
	u32 bucket;
	u32 next;
};

struct gs_mprof_tables {
	u32 stack_hash[GS_MPROF_STACKS];
	u32 object_hash[GS_MPROF_OBJECTS];
	struct gs_mprof_bucket bucket[GS_MPROF_STACKS];
	struct gs_mprof_special special[GS_MPROF_OBJECTS];
};

enum gs_mprof_counter {
	GS_MPROF_SAMPLES,	/* allocations sampled */
	GS_MPROF_NO_STACK,	/* samples lost: no stack saved, or no bucket */
	GS_MPROF_UNTRACKED,	/* samples whose free cannot be seen */
	GS_MPROF_COUNTER_COUNT,
};

static const char *const gs_mprof_counter_names[] = {
	[GS_MPROF_SAMPLES]	= "samples",
	[GS_MPROF_NO_STACK]	= "lost_samples",
	[GS_MPROF_UNTRACKED]	= "untracked_samples",
};

static_assert(ARRAY_SIZE(gs_mprof_counter_names) == GS_MPROF_COUNTER_COUNT);

/**
 * struct gs_mprof - the profile
 * @lock: protects everything below, and mspan.nsampled; taken with
 *	interrupts off, never around anything that may sleep or allocate
 * @rate: bytes per sample, 0 while off (also written under gs_mprof_mutex,
 *	read racily by the hooks)
 * @nbuckets: buckets in use, the first of @t->bucket
 * @gen: profiles started so far: a bucket's index means something only
 *	with the profile it was read in (gs_mprof_bucket_read())
 * @free: the first free record of @t->special
 * @stat: enum gs_mprof_counter
 * @t: the tables, from the profiler's first start until goslab unloads
 *	(set under gs_mprof_mutex and @lock).  Frees may still be in flight
 *	when it unloads (an NMI's deferred free runs until gs_nmi_flush(),
 *	after gs_mprof_exit()), past their check of mspan.nsampled: they
 *	read @t under @lock, and find it NULL once it is gone
 */
static struct gs_mprof {
	raw_spinlock_t lock;
	unsigned int rate;
	unsigned int nbuckets;
	unsigned long gen;
	u32 free;
	unsigned long stat[GS_MPROF_COUNTER_COUNT];
	struct gs_mprof_tables *t;
} gs_mprof = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(gs_mprof.lock),
};

/*
 * Serializes starting and stopping the profiler, and the profile_rate
 * parameter: @gs_mprof_param is what it reads, @gs_mprof_ready is whether
 * goslab is up (before its init, and once its exit began, a rate written
 * is only kept).
 */
static DEFINE_MUTEX(gs_mprof_mutex);
static unsigned int gs_mprof_param;
static bool gs_mprof_ready;

/* On from the profiler's start until it has forgotten its last record. */
DEFINE_STATIC_KEY_FALSE(gs_mprof_key);

/* Each CPU's bytes to allocate before its next sample (Go's nextSample). */
static DEFINE_PER_CPU(long, gs_mprof_next);

/* log2(@x) in 16.16 fixed point, for @x >= 1: a bit per squaring. */
static u32 gs_log2_q16(u32 x)
{
	unsigned int ip = ilog2(x), i;
	u64 m = (u64)x << (31 - ip);	/* x / 2^ip in [1, 2), 1.31 */
	u32 frac = 0;

	for (i = 0; i < 16; i++) {
		m = (m * m) >> 31;
		frac <<= 1;
		if (m >= 2ULL << 31) {
			m >>= 1;
			frac |= 1;
		}
	}
	return ip << 16 | frac;
}

/*
 * Go's fastexprand(): the bytes until the next sample, exponentially
 * distributed with mean @mean, from 32 random bits @rnd.  Of a uniform
 * q in (0, 1] (GS_MPROF_RAND_BITS of @rnd), -ln(q) * mean, plus one.
 */
static unsigned long gs_mprof_exprand(unsigned int mean, u32 rnd)
{
	u32 q = (rnd >> (32 - GS_MPROF_RAND_BITS)) + 1;
	u64 nlog2 = (GS_MPROF_RAND_BITS << 16) - gs_log2_q16(q);	/* 16.16 */
	u64 nln = (nlog2 * GS_LN2_Q32) >> 32;				/* 16.16 */

	return ((nln * mean) >> 16) + 1;
}

/*
 * The allocator's own functions, which a stack starts with: it is kept
 * from its first frame outside them, the caller of goslab_alloc() or
 * goslab_cache_alloc() (which may have tail-called past their own frames).
 * Names, since some are static; goslab_mprof_internal's cases check each
 * tier's stacks start at their caller.
 */
static const char *const gs_mprof_alloc_fns[] = {
	"goslab_alloc", "goslab_cache_alloc", "goslab_cache_alloc_bulk",
	"alloc_under16", "alloc_under16_hooked", "large_alloc",
	"gs_alloc_hooks", "gs_alloc_refill", "gs_mprof_malloc",
	"gs_mprof_record",
};

/*
 * Return addresses in goslab looked up by name so far, in those functions
 * and out of them: each is looked up once (in any context, with a
 * KSYM_SYMBOL_LEN buffer on the stack), until its table is full.
 */
#define GS_MPROF_SITES	32
static unsigned long gs_mprof_sites[GS_MPROF_SITES];
static unsigned long gs_mprof_other_sites[GS_MPROF_SITES];

static noinline bool gs_mprof_alloc_fn(unsigned long addr)
{
	char name[KSYM_SYMBOL_LEN];
	unsigned int i;
	size_t len;

	sprint_symbol_no_offset(name, addr);
	/* "name", "name.constprop.0", "name [goslab]": up to '.' or ' '. */
	len = strcspn(name, ". ");
	for (i = 0; i < ARRAY_SIZE(gs_mprof_alloc_fns); i++)
		if (strlen(gs_mprof_alloc_fns[i]) == len &&
		    !strncmp(name, gs_mprof_alloc_fns[i], len))
			return true;
	return false;
}

static bool gs_mprof_site_known(const unsigned long *sites, unsigned long addr)
{
	unsigned int i;

	for (i = 0; i < GS_MPROF_SITES; i++)
		if (READ_ONCE(sites[i]) == addr)
			return true;
	return false;
}

/* A full table only costs the lookup again. */
static void gs_mprof_site_add(unsigned long *sites, unsigned long addr)
{
	unsigned int i;

	for (i = 0; i < GS_MPROF_SITES; i++)
		if (!cmpxchg(&sites[i], 0, addr))
			break;
}

/* Whether @addr, a return address, is in the allocator's own functions. */
static bool gs_mprof_internal(unsigned long addr)
{
	bool internal;

	if (!within_module(addr, THIS_MODULE))
		return false;
	if (gs_mprof_site_known(gs_mprof_sites, addr))
		return true;
	if (gs_mprof_site_known(gs_mprof_other_sites, addr))
		return false;
	internal = gs_mprof_alloc_fn(addr);
	gs_mprof_site_add(internal ? gs_mprof_sites : gs_mprof_other_sites, addr);
	return internal;
}

/* The bucket of @stack, new if need be; NULL if every bucket is taken. */
static struct gs_mprof_bucket *gs_mprof_bucket(struct gs_mprof_tables *t,
					       u32 stack)
{
	u32 *head = &t->stack_hash[hash_32(stack, GS_MPROF_STACK_BITS)];
	struct gs_mprof_bucket *b;
	u32 i;

	lockdep_assert_held(&gs_mprof.lock);
	for (i = *head; i != GS_MPROF_NONE; i = b->next) {
		b = &t->bucket[i];
		if (b->stack == stack)
			return b;
	}
	if (gs_mprof.nbuckets == GS_MPROF_STACKS)
		return NULL;
	i = gs_mprof.nbuckets++;
	b = &t->bucket[i];
	*b = (struct gs_mprof_bucket){ .stack = stack, .next = *head };
	*head = i;
	return b;
}

static u32 *gs_mprof_object_head(struct gs_mprof_tables *t, const void *p)
{
	return &t->object_hash[hash_ptr(p, GS_MPROF_OBJECT_BITS)];
}

/*
 * Count the sample of @p, @size bytes, if the profiler still samples at
 * @rate.  An object no record is left for is counted freed at once: its
 * free could not be seen, and "in use" must not keep it forever.
 */
static noinline void gs_mprof_record(const void *p, size_t size, gfp_t gfp,
				     unsigned int rate)
{
	unsigned long entries[GS_MPROF_SKIP + GS_MPROF_DEPTH];
	struct gs_mprof_tables *t;
	struct gs_mprof_special *sp;
	struct gs_mprof_bucket *b;
	unsigned int nr, skip = 0;
	unsigned long flags;
	u32 stack, i, *head;
	struct mspan *s;

	nr = gs_stack_trace(entries, ARRAY_SIZE(entries));
	while (skip < min_t(unsigned int, nr, GS_MPROF_SKIP) &&
	       gs_mprof_internal(entries[skip]))
		skip++;
	stack = gs_stack_save(entries + skip,
			      min_t(unsigned int, nr - skip, GS_MPROF_DEPTH),
			      gs_gfp(gfp));

	raw_spin_lock_irqsave(&gs_mprof.lock, flags);
	t = gs_mprof.t;
	/* Stopped, or started anew, meanwhile. */
	if (gs_mprof.rate != rate)
		goto out;
	gs_mprof.stat[GS_MPROF_SAMPLES]++;
	b = stack ? gs_mprof_bucket(t, stack) : NULL;
	if (!b) {
		gs_mprof.stat[GS_MPROF_NO_STACK]++;
		goto out;
	}
	b->allocs++;
	b->alloc_bytes += size;
	i = gs_mprof.free;
	if (i == GS_MPROF_NONE) {
		gs_mprof.stat[GS_MPROF_UNTRACKED]++;
		b->frees++;
		b->free_bytes += size;
		goto out;
	}
	sp = &t->special[i];
	gs_mprof.free = sp->next;
	head = gs_mprof_object_head(t, p);
	*sp = (struct gs_mprof_special){
		.addr = ~(unsigned long)p,
		.size = size,
		.bucket = b - t->bucket,
		.next = *head,
	};
	*head = i;
	s = span_of(p);
	WRITE_ONCE(s->nsampled, s->nsampled + 1);
out:
	raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
}

/**
 * gs_mprof_malloc() - an allocation, seen by the profiler
 * @p: the object
 * @size: the bytes it takes: its slot, a tiny object's size, a large
 *	object's pages (as Go counts them)
 * @gfp: the caller's flags, for the stack depot
 *
 * Called from the hooks while gs_mprof_key is on.  Counts @size down from
 * this CPU's next sample, and samples when it is reached, as Go's
 * mallocgc() does; with profile_rate=1, every allocation.
 */
void gs_mprof_malloc(const void *p, size_t size, gfp_t gfp)
{
	unsigned int rate = READ_ONCE(gs_mprof.rate);

	if (!rate)
		return;
	if (rate != 1 && this_cpu_sub_return(gs_mprof_next, size) > 0)
		return;
	this_cpu_write(gs_mprof_next, gs_mprof_exprand(rate, get_random_u32()));
	gs_mprof_record(p, size, gfp, rate);
}

/**
 * __gs_mprof_free() - a free in a span that holds sampled objects
 * @s: the span
 * @p: the object being freed
 *
 * If @p is a sampled object, its bucket counts it freed.
 */
void __gs_mprof_free(struct mspan *s, const void *p)
{
	struct gs_mprof_special *sp;
	struct gs_mprof_bucket *b;
	struct gs_mprof_tables *t;
	unsigned long flags;
	u32 *link, i;

	raw_spin_lock_irqsave(&gs_mprof.lock, flags);
	t = gs_mprof.t;
	/* goslab unloads: the tables are gone, and every record with them. */
	if (unlikely(!t))
		goto out;
	for (link = gs_mprof_object_head(t, p); *link != GS_MPROF_NONE;
	     link = &sp->next) {
		sp = &t->special[*link];
		if (sp->addr != ~(unsigned long)p)
			continue;
		b = &t->bucket[sp->bucket];
		b->frees++;
		b->free_bytes += sp->size;
		WRITE_ONCE(s->nsampled, s->nsampled - 1);
		i = *link;
		*link = sp->next;
		sp->next = gs_mprof.free;
		gs_mprof.free = i;
		break;
	}
out:
	raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
}

/*
 * Forget every record and bucket, with sampling stopped and the frees
 * still followed; the lock is held for GS_MPROF_BATCH chains at a time.
 */
static void gs_mprof_forget(struct gs_mprof_tables *t)
{
	struct gs_mprof_special *sp;
	unsigned long flags;
	unsigned int h, k;
	struct mspan *s;
	u32 i;

	for (h = 0; h < GS_MPROF_OBJECTS; h += GS_MPROF_BATCH) {
		raw_spin_lock_irqsave(&gs_mprof.lock, flags);
		for (k = h; k < h + GS_MPROF_BATCH; k++) {
			while ((i = t->object_hash[k]) != GS_MPROF_NONE) {
				sp = &t->special[i];
				t->object_hash[k] = sp->next;
				s = span_of((void *)~sp->addr);
				WRITE_ONCE(s->nsampled, s->nsampled - 1);
				sp->next = gs_mprof.free;
				gs_mprof.free = i;
			}
		}
		raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
		cond_resched();
	}
	raw_spin_lock_irqsave(&gs_mprof.lock, flags);
	gs_mprof.nbuckets = 0;
	memset(t->stack_hash, 0xff, sizeof(t->stack_hash));
	memset(gs_mprof.stat, 0, sizeof(gs_mprof.stat));
	raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
}

static struct gs_mprof_tables *gs_mprof_tables_alloc(void)
{
	struct gs_mprof_tables *t = kvmalloc(sizeof(*t), GFP_KERNEL);
	unsigned int i;

	if (!t)
		return NULL;
	memset(t->stack_hash, 0xff, sizeof(t->stack_hash));
	memset(t->object_hash, 0xff, sizeof(t->object_hash));
	for (i = 0; i < GS_MPROF_OBJECTS; i++)
		t->special[i].next = i + 1 < GS_MPROF_OBJECTS ? i + 1 : GS_MPROF_NONE;
	return t;
}

/* Whether the stack depot saves stacks (it may be off: stack_depot_disable). */
static bool gs_mprof_depot_works(void)
{
	unsigned long entries[GS_MPROF_DEPTH];
	unsigned int nr = gs_stack_trace(entries, ARRAY_SIZE(entries));

	return nr && gs_stack_save(entries, nr, GFP_KERNEL);
}

static int gs_mprof_start(unsigned int rate)
{
	struct gs_mprof_tables *t;
	unsigned long flags;
	unsigned int cpu;
	int ret;

	lockdep_assert_held(&gs_mprof_mutex);
	if (!gs_mprof.t) {
		ret = gs_stack_depot_init();
		if (ret)
			return ret;
		if (!gs_mprof_depot_works())
			return -EOPNOTSUPP;
		t = gs_mprof_tables_alloc();
		if (!t)
			return -ENOMEM;
		raw_spin_lock_irqsave(&gs_mprof.lock, flags);
		gs_mprof.t = t;
		gs_mprof.free = 0;
		raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
	}
	for_each_possible_cpu(cpu)
		per_cpu(gs_mprof_next, cpu) = gs_mprof_exprand(rate, get_random_u32());
	/* Frees are followed before the first sample is taken. */
	static_branch_enable(&gs_mprof_key);
	gs_hooks_update(true, true);
	raw_spin_lock_irqsave(&gs_mprof.lock, flags);
	gs_mprof.rate = rate;
	gs_mprof.gen++;
	raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
	return 0;
}

static void gs_mprof_stop(void)
{
	unsigned long flags;

	lockdep_assert_held(&gs_mprof_mutex);
	raw_spin_lock_irqsave(&gs_mprof.lock, flags);
	gs_mprof.rate = 0;
	raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
	gs_hooks_update(false, true);
	gs_mprof_forget(gs_mprof.t);
	gs_hooks_update(false, false);
	static_branch_disable(&gs_mprof_key);
}

/* Profile at @rate bytes per sample from now on, or stop (0). */
static int gs_mprof_set_rate(unsigned int rate)
{
	int ret = 0;

	lockdep_assert_held(&gs_mprof_mutex);
	if (!gs_mprof_ready) {
		gs_mprof_param = rate;
		return 0;
	}
	if (rate == gs_mprof.rate)
		return 0;
	if (gs_mprof.rate)
		gs_mprof_stop();
	if (rate)
		ret = gs_mprof_start(rate);
	gs_mprof_param = gs_mprof.rate;
	return ret;
}

static int profile_rate_set(const char *val, const struct kernel_param *kp)
{
	unsigned int rate;
	int ret;

	if (sysfs_streq(val, "on")) {
		rate = GS_MPROF_DEFAULT_RATE;
	} else if (sysfs_streq(val, "off")) {
		rate = 0;
	} else {
		ret = kstrtouint(val, 0, &rate);
		if (ret)
			return ret;
	}
	mutex_lock(&gs_mprof_mutex);
	ret = gs_mprof_set_rate(rate);
	mutex_unlock(&gs_mprof_mutex);
	return ret;
}

static int profile_rate_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(gs_mprof_param));
}

static const struct kernel_param_ops profile_rate_ops = {
	.set = profile_rate_set,
	.get = profile_rate_get,
};

module_param_cb(profile_rate, &profile_rate_ops, NULL, 0644);
MODULE_PARM_DESC(profile_rate,
		 "Heap profiler: sample one allocation per N bytes on average (0 or off: no profiling, the default; on: 524288, Go's MemProfileRate)");

/*
 * Copy bucket @i of profile @gen (gs_mprof.gen), one bucket at a time,
 * consistent in itself.  Return: false if there is no such bucket: that
 * profile ended meanwhile, whether another one started or not.
 */
static bool gs_mprof_bucket_read(unsigned int i, unsigned long gen,
				 struct gs_mprof_bucket *b)
{
	unsigned long flags;
	bool there;

	raw_spin_lock_irqsave(&gs_mprof.lock, flags);
	there = gs_mprof.gen == gen && gs_mprof.rate && i < gs_mprof.nbuckets;
	if (there)
		*b = gs_mprof.t->bucket[i];
	raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
	return there;
}

/**
 * struct gs_mprof_iter - a read of debugfs "profile", one record at a time
 * @gen: the profile it reads (gs_mprof.gen), taken with the header
 * @rate: that profile's rate, for the header
 * @stat: its counters, for the header
 * @b: the bucket of the record at hand, copied by gs_mprof_bucket_read()
 */
struct gs_mprof_iter {
	unsigned long gen;
	unsigned int rate;
	unsigned long stat[GS_MPROF_COUNTER_COUNT];
	struct gs_mprof_bucket b;
};

/*
 * Record @pos of the file: the header at 0 (which takes the profile the
 * read is of), then bucket @pos - 1 of that profile.  The profile may
 * stop or restart meanwhile: the file ends there.
 */
static void *gs_mprof_seq_record(struct seq_file *m, loff_t pos)
{
	struct gs_mprof_iter *it = m->private;
	unsigned long flags;

	if (!pos) {
		raw_spin_lock_irqsave(&gs_mprof.lock, flags);
		it->rate = gs_mprof.rate;
		it->gen = gs_mprof.gen;
		memcpy(it->stat, gs_mprof.stat, sizeof(it->stat));
		raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
		return SEQ_START_TOKEN;
	}
	if (pos > GS_MPROF_STACKS || !gs_mprof_bucket_read(pos - 1, it->gen, &it->b))
		return NULL;
	return it;
}

static void *gs_mprof_seq_start(struct seq_file *m, loff_t *pos)
{
	return gs_mprof_seq_record(m, *pos);
}

static void *gs_mprof_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	return gs_mprof_seq_record(m, ++*pos);
}

static void gs_mprof_seq_stop(struct seq_file *m, void *v)
{
}

static int gs_mprof_seq_show(struct seq_file *m, void *v)
{
	struct gs_mprof_iter *it = m->private;
	struct gs_mprof_bucket *b = &it->b;
	unsigned long *entries;
	unsigned int i, nr;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "goslab-profile 1\nrate %u\n", it->rate);
		for (i = 0; i < GS_MPROF_COUNTER_COUNT; i++)
			seq_printf(m, "%s %lu\n", gs_mprof_counter_names[i],
				   it->stat[i]);
		seq_puts(m, "stack alloc_objects alloc_bytes inuse_objects inuse_bytes\n");
		return 0;
	}
	seq_printf(m, "@ %llu %llu %llu %llu\n", b->allocs, b->alloc_bytes,
		   b->allocs - b->frees, b->alloc_bytes - b->free_bytes);
	nr = gs_stack_fetch(b->stack, &entries);
	for (i = 0; i < nr; i++)
		seq_printf(m, "\t%pS\n", (void *)entries[i]);
	return 0;
}

static const struct seq_operations gs_mprof_seq_ops = {
	.start	= gs_mprof_seq_start,
	.next	= gs_mprof_seq_next,
	.stop	= gs_mprof_seq_stop,
	.show	= gs_mprof_seq_show,
};

static int gs_mprof_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &gs_mprof_seq_ops,
				sizeof(struct gs_mprof_iter));
}

/* debugfs "profile" (registered by module/debugfs.c). */
const struct file_operations gs_mprof_fops = {
	.owner		= THIS_MODULE,
	.open		= gs_mprof_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= seq_release_private,
};

/**
 * gs_mprof_init() - the profiler is ready; start it if profile_rate asks
 *
 * A profiler that cannot start (no stack depot) leaves goslab running
 * without it, and says why.
 *
 * Context: goslab's init, once every tier is up.
 */
void gs_mprof_init(void)
{
	int ret;

	mutex_lock(&gs_mprof_mutex);
	gs_mprof_ready = true;
	ret = gs_mprof_set_rate(gs_mprof_param);
	mutex_unlock(&gs_mprof_mutex);
	if (ret)
		pr_warn("goslab: heap profiler unavailable (%d): profile_rate ignored\n",
			ret);
}

/**
 * gs_mprof_exit() - stop the profiler and free its tables
 *
 * The tables go under gs_mprof.lock: a free still in flight (see
 * gs_mprof.t) finds them there or not at all.
 *
 * Context: goslab's exit, with no caller left and debugfs gone, before
 * the tiers go.
 */
void gs_mprof_exit(void)
{
	struct gs_mprof_tables *t;
	unsigned long flags;

	mutex_lock(&gs_mprof_mutex);
	gs_mprof_set_rate(0);
	gs_mprof_ready = false;
	raw_spin_lock_irqsave(&gs_mprof.lock, flags);
	t = gs_mprof.t;
	gs_mprof.t = NULL;
	raw_spin_unlock_irqrestore(&gs_mprof.lock, flags);
	kvfree(t);
	mutex_unlock(&gs_mprof_mutex);
}

#ifdef GOSLAB_TEST
#include "tests/mprof-kunit.h"
#endif
