// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab with threads: several on one file allocating, writing,
 * reading back and freeing, handing objects to each other and racing
 * frees against lookups; several files at once; files closed with live
 * objects and while other threads still issue ioctls on them.  Afterwards
 * goslab holds exactly the pages it held before (after goslab_trim()).
 *
 * GOSLAB_STRESS_ITERS=<n> sets the iterations per thread.
 */
#include <pthread.h>
#include <sched.h>

#include "kselftest_harness.h"
#include "goslab_util.h"

#define NR_THREADS	4
#define WINDOW		8
#define MAX_LEN		(4 << 20)

struct shared {
	int fd;
	__u64 cache;		/* object size CACHE_OBJ, shared by all */
	unsigned long iters;
	/* Handles passed between threads: whoever swaps one out owns it. */
	__u64 mailbox[16];
	/* Failures, and the first one's story. */
	unsigned long failures;
	pthread_mutex_t lock;
	char first[256];
	bool stop;		/* __atomic */
};

struct worker {
	struct shared *sh;
	int fd;
	unsigned int id;
	pthread_t thread;
	unsigned long ops;
};

#define CACHE_OBJ	136

static void fail(struct shared *sh, const char *what, unsigned int id, int ret)
{
	pthread_mutex_lock(&sh->lock);
	if (!sh->failures++)
		snprintf(sh->first, sizeof(sh->first), "thread %u: %s: %d (%s)",
			 id, what, ret, strerror(ret < 0 ? -ret : ret));
	pthread_mutex_unlock(&sh->lock);
}

#define CHECK(sh, id, what, expr)			\
	({						\
		int __r = (expr);			\
		if (__r)				\
			fail(sh, what, id, __r);	\
		__r;					\
	})

static unsigned long iters_from_env(unsigned long dflt)
{
	const char *e = getenv("GOSLAB_STRESS_ITERS");

	return e ? strtoul(e, NULL, 0) : dflt;
}

static __u64 pick_len(__u64 *rng)
{
	__u64 r = gs_rand(rng) % 1000;

	if (r < 300)
		return 1 + gs_rand(rng) % 15;		/* tiny */
	if (r < 900)
		return 16 + gs_rand(rng) % 32753;	/* small */
	if (r < 998)
		return 32769 + gs_rand(rng) % 300000;	/* large */
	return MAX_LEN + 1 + gs_rand(rng) % 100000;	/* huge */
}

/* Allocate, check, fill, read back; 0 and a handle, or a failure noted. */
static int make_object(struct worker *w, __u64 *rng, unsigned char *pat,
		       unsigned char *got, __u64 *h, __u64 *len, __u64 *seed)
{
	struct shared *sh = w->sh;
	struct goslab_ioc_usable u;
	__u32 zero = gs_rand(rng) & 1 ? GOSLAB_ALLOC_ZERO : 0;

	*len = pick_len(rng);
	*seed = gs_rand(rng);
	if (CHECK(sh, w->id, "alloc", gs_alloc(w->fd, *len, zero, h)))
		return -1;
	if (CHECK(sh, w->id, "read new", gs_read(w->fd, *h, 0, *len, got)))
		return -1;
	if (gs_find_not(got, zero ? 0 : GOSLAB_DEV_FILL_BYTE, *len) != -1)
		fail(sh, "new object not zeroed or filled", w->id, 0);
	gs_pattern(pat, *len, *seed);
	if (CHECK(sh, w->id, "write", gs_write(w->fd, *h, 0, *len, pat)))
		return -1;
	if (CHECK(sh, w->id, "read back", gs_read(w->fd, *h, 0, *len, got)))
		return -1;
	if (memcmp(pat, got, *len))
		fail(sh, "read back differs", w->id, 0);
	if (!CHECK(sh, w->id, "usable", gs_usable(w->fd, *h, &u)) &&
	    (u.len != *len || u.usable < *len))
		fail(sh, "usable size", w->id, 0);
	w->ops += 5;
	return 0;
}

/* The shared cache, from every thread at once. */
static void cache_round(struct worker *w, unsigned long i, unsigned char *pat,
			unsigned char *got)
{
	struct shared *sh = w->sh;
	__u64 h;
	int ret;

	gs_pattern(pat, CACHE_OBJ, i);
	if (CHECK(sh, w->id, "cache alloc", gs_cache_alloc(w->fd, sh->cache, 0, &h)))
		return;
	CHECK(sh, w->id, "cache write", gs_write(w->fd, h, 0, CACHE_OBJ, pat));
	CHECK(sh, w->id, "cache read", gs_read(w->fd, h, 0, CACHE_OBJ, got));
	if (memcmp(pat, got, CACHE_OBJ))
		fail(sh, "cache object differs", w->id, 0);
	/* Both ways back: to the cache, and through plain FREE. */
	if (i & 1)
		ret = gs_cache_free(w->fd, sh->cache, h);
	else
		ret = gs_free(w->fd, h);
	CHECK(sh, w->id, "cache free", ret);
	w->ops += 4;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	unsigned char *pat = malloc(MAX_LEN + 200000), *got = malloc(MAX_LEN + 200000);
	__u64 live[WINDOW] = { 0 }, lens[WINDOW], seeds[WINDOW];
	__u64 rng = 0x1234 + w->id, h, len, seed;
	unsigned long i;
	unsigned int k;

	if (!pat || !got) {
		fail(sh, "malloc", w->id, -ENOMEM);
		return NULL;
	}
	for (i = 0; i < sh->iters; i++) {
		k = i % WINDOW;
		/* The oldest object in the window: still intact?  Then free it. */
		if (live[k]) {
			int ret = gs_read(w->fd, live[k], 0, lens[k], got);

			if (!CHECK(sh, w->id, "read old", ret)) {
				gs_pattern(pat, lens[k], seeds[k]);
				if (memcmp(pat, got, lens[k]))
					fail(sh, "old object changed", w->id, 0);
			}
			CHECK(sh, w->id, "free", gs_free(w->fd, live[k]));
			live[k] = 0;
			w->ops += 2;
		}
		if (make_object(w, &rng, pat, got, &h, &len, &seed))
			continue;
		live[k] = h;
		lens[k] = len;
		seeds[k] = seed;

		if (sh->cache)
			cache_round(w, i, pat, got);

		/* Hand a small object over; free whatever was waiting. */
		if (w->fd == sh->fd && !(i % 3) &&
		    !CHECK(sh, w->id, "alloc mail", gs_alloc(w->fd, 48, 0, &h))) {
			h = __atomic_exchange_n(&sh->mailbox[gs_rand(&rng) % 16], h,
						__ATOMIC_ACQ_REL);
			if (h) {
				CHECK(sh, w->id, "read mail", gs_read(w->fd, h, 0, 48, got));
				CHECK(sh, w->id, "free mail", gs_free(w->fd, h));
			}
			w->ops += 3;
		}
	}
	/* Leave the window's objects live: the file's close must free them. */
	free(pat);
	free(got);
	return NULL;
}

FIXTURE(stress) {
	struct shared sh;
	struct worker w[NR_THREADS];
	struct goslab_ioc_stats base;
	unsigned long taint;
};

FIXTURE_SETUP(stress)
{
	int fd = gs_open();

	if (fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gs_snap(fd, &self->base));
	close(fd);
	pthread_mutex_init(&self->sh.lock, NULL);
	self->sh.iters = iters_from_env(1500);
	self->taint = gs_taint();
}

FIXTURE_TEARDOWN(stress)
{
	gs_check_closed(_metadata, -1, &self->base, self->taint,
			"after the files closed");
}

static unsigned long run_workers(struct __test_metadata *_metadata,
				 struct shared *sh, struct worker *w,
				 bool own_files)
{
	unsigned long ops = 0;
	unsigned int i;

	for (i = 0; i < NR_THREADS; i++) {
		w[i].sh = sh;
		w[i].id = i;
		w[i].fd = own_files ? gs_open() : sh->fd;
		ASSERT_LE(0, w[i].fd);
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, worker_main, &w[i]));
	}
	for (i = 0; i < NR_THREADS; i++) {
		ASSERT_EQ(0, pthread_join(w[i].thread, NULL));
		ops += w[i].ops;
	}
	EXPECT_EQ(0, sh->failures) {
		TH_LOG("%lu failures; first: %s", sh->failures, sh->first);
	}
	return ops;
}

TEST_F_TIMEOUT(stress, threads_one_file, 400)
{
	struct goslab_ioc_stats live;
	unsigned long ops;

	self->sh.fd = gs_open();
	ASSERT_LE(0, self->sh.fd);
	ASSERT_EQ(0, gs_cache_create(self->sh.fd, CACHE_OBJ, 0, 0, &self->sh.cache));
	ops = run_workers(_metadata, &self->sh, self->w, false);

	/* The objects left: the windows plus the mailbox. */
	ASSERT_EQ(0, gs_snap(self->sh.fd, &live));
	EXPECT_LE(1, live.session_objects);
	EXPECT_GE(NR_THREADS * WINDOW + 16, live.session_objects);
	EXPECT_LT(self->base.pages_held, live.pages_held);
	printf("# %lu ioctls from %d threads; closing with %llu objects, %llu pages held\n",
	       ops, NR_THREADS, (unsigned long long)live.session_objects,
	       (unsigned long long)live.pages_held);
	/* The teardown checks that this gave every page back. */
	ASSERT_EQ(0, close(self->sh.fd));
}

TEST_F_TIMEOUT(stress, many_files, 400)
{
	unsigned long ops;
	unsigned int i;

	self->sh.fd = -1;
	ops = run_workers(_metadata, &self->sh, self->w, true);
	printf("# %lu ioctls on %d files\n", ops, NR_THREADS);
	for (i = 0; i < NR_THREADS; i++)
		ASSERT_EQ(0, close(self->w[i].fd));
}

/* Frees racing reads, writes and usable-size queries of the same handles. */
struct racer {
	int fd;
	__u64 *h;
	unsigned int n;
	bool freer;
	unsigned long bad, enoent;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	unsigned char buf[64] = { 0 };
	struct goslab_ioc_usable u;
	unsigned int i;
	int ret;

	for (i = 0; i < r->n; i++) {
		unsigned int k = r->freer ? i : r->n - 1 - i;

		if (r->freer) {
			ret = gs_free(r->fd, r->h[k]);
		} else {
			ret = gs_read(r->fd, r->h[k], 0, 64, buf);
			if (!ret)
				ret = gs_write(r->fd, r->h[k], 0, 64, buf);
			if (!ret)
				ret = gs_usable(r->fd, r->h[k], &u);
		}
		if (ret == -ENOENT)
			r->enoent++;
		else if (ret)
			r->bad++;
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, free_races_lookup, 400)
{
	enum { N = 3000 };
	static __u64 h[N];
	struct racer r[3];
	pthread_t t[3];
	unsigned int i, round;

	self->sh.fd = gs_open();
	ASSERT_LE(0, self->sh.fd);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < N; i++)
			ASSERT_EQ(0, gs_alloc(self->sh.fd, i % 50 ? 64 + (i % 5) * 1000 : 40000,
					      0, &h[i]));
		for (i = 0; i < 3; i++) {
			r[i] = (struct racer){ .fd = self->sh.fd, .h = h, .n = N,
					       .freer = i == 0 };
			ASSERT_EQ(0, pthread_create(&t[i], NULL, racer_main, &r[i]));
		}
		for (i = 0; i < 3; i++)
			ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, r[0].bad + r[0].enoent);	/* every free succeeds once */
		EXPECT_EQ(0, r[1].bad);
		EXPECT_EQ(0, r[2].bad);
		printf("# round %u: %lu + %lu lookups lost the race\n", round,
		       r[1].enoent, r[2].enoent);
	}
	ASSERT_EQ(0, close(self->sh.fd));
}

/* Closing a file while other threads still use it. */
static void *hammer_main(void *arg)
{
	struct worker *w = arg;
	unsigned char buf[32];
	unsigned long n;
	__u64 h;
	int ret;

	for (n = 0; !__atomic_load_n(&w->sh->stop, __ATOMIC_RELAXED); n++) {
		ret = gs_alloc(w->fd, 1 + n % 3000, 0, &h);
		if (!ret)
			ret = gs_write(w->fd, h, 0, 1, buf);
		if (ret && ret != -EBADF)
			__atomic_fetch_add(&w->sh->failures, 1, __ATOMIC_RELAXED);
		if (ret == -EBADF)
			break;
		w->ops++;
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, close_during_ioctls, 400)
{
	unsigned int i, round;

	for (round = 0; round < 20; round++) {
		int fd = gs_open();

		ASSERT_LE(0, fd);
		__atomic_store_n(&self->sh.stop, false, __ATOMIC_RELAXED);
		for (i = 0; i < NR_THREADS; i++) {
			self->w[i] = (struct worker){ .sh = &self->sh, .fd = fd, .id = i };
			ASSERT_EQ(0, pthread_create(&self->w[i].thread, NULL, hammer_main,
						    &self->w[i]));
		}
		usleep(20000 + round * 5000);
		ASSERT_EQ(0, close(fd));
		usleep(20000);
		__atomic_store_n(&self->sh.stop, true, __ATOMIC_RELAXED);
		for (i = 0; i < NR_THREADS; i++)
			ASSERT_EQ(0, pthread_join(self->w[i].thread, NULL));
	}
	EXPECT_EQ(0, self->sh.failures);
}

/*
 * The GC commands from several threads of one session at once, on one
 * heap whose collector also runs cycles of its own: allocations, stores
 * and loads between objects the threads share through a table of GC
 * handles, drops racing them, collections and queries.  A handle another
 * thread dropped is ENOENT; nothing else may fail.  In the end the
 * session drops every handle and a collection must release every object.
 */
#define GC_SLOTS	64

struct gc_shared {
	int fd;
	__u64 heap, type;
	__u64 slot[GC_SLOTS];	/* GC handles, swapped atomically; 0: none */
	unsigned long iters;
	struct shared *sh;
};

struct gc_worker {
	struct gc_shared *g;
	unsigned int id;
	pthread_t thread;
};

/* Take slot @i's handle, leaving 0: whoever takes one owns it. */
static __u64 gc_take(struct gc_shared *g, unsigned int i)
{
	return __atomic_exchange_n(&g->slot[i], 0, __ATOMIC_ACQ_REL);
}

/* Put @h in slot @i; drop what was there. */
static int gc_put(struct gc_shared *g, unsigned int i, __u64 h)
{
	__u64 old = __atomic_exchange_n(&g->slot[i], h, __ATOMIC_ACQ_REL);

	return old ? gs_gc_drop(g->fd, old) : 0;
}

static void *gc_worker_main(void *arg)
{
	struct gc_worker *w = arg;
	struct gc_shared *g = w->g;
	struct goslab_ioc_gc_stats st;
	__u64 rng = 0x9c + w->id, h, h2, id;
	unsigned long n;
	int ret;

	for (n = 0; n < g->iters; n++) {
		unsigned int i = gs_rand(&rng) % GC_SLOTS;
		unsigned int j = gs_rand(&rng) % GC_SLOTS;
		__u32 field = gs_rand(&rng) % 2;

		ret = 0;
		switch (gs_rand(&rng) % 16) {
		case 0 ... 4:
			ret = gs_gc_alloc(g->fd, g->type, &h, &id);
			if (!ret)
				ret = gc_put(g, i, h);
			break;
		case 5 ... 8:
			/* Link two shared objects; either may be gone. */
			h = __atomic_load_n(&g->slot[i], __ATOMIC_ACQUIRE);
			h2 = __atomic_load_n(&g->slot[j], __ATOMIC_ACQUIRE);
			if (h && h2)
				ret = gs_gc_store(g->fd, h, field, h2);
			if (ret == -ENOENT)
				ret = 0;
			break;
		case 9 ... 10:
			h = __atomic_load_n(&g->slot[i], __ATOMIC_ACQUIRE);
			h2 = 0;
			if (h)
				ret = gs_gc_load(g->fd, h, field, &h2, NULL);
			if (ret == -ENOENT)
				ret = 0;
			else if (!ret && h2)
				ret = gc_put(g, j, h2);
			break;
		case 11 ... 12:
			h = gc_take(g, i);
			if (h)
				ret = gs_gc_drop(g->fd, h);
			break;
		case 13:
			if (!(n % 8))
				ret = gs_gc_collect(g->fd, g->heap);
			break;
		case 14:
			ret = gs_gc_alive(g->fd, 1 + gs_rand(&rng) % 64);
			if (ret == 1 || ret == -ENOENT)
				ret = 0;	/* ENOENT: not given out yet */
			break;
		default:
			ret = gs_gc_stats(g->fd, g->heap, &st);
			break;
		}
		if (CHECK(g->sh, w->id, "gc command", ret))
			break;
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, gc_threads_one_file, 400)
{
	struct gc_worker w[NR_THREADS];
	struct goslab_ioc_gc_stats st;
	struct gc_shared g = { .sh = &self->sh };
	unsigned int i;

	if (!gs_has_gc())
		SKIP(return, GS_NO_GC);
	g.fd = gs_open();
	ASSERT_LE(0, g.fd);
	g.iters = self->sh.iters;
	ASSERT_EQ(0, gs_gc_heap_create(g.fd, 0, &g.heap));
	ASSERT_EQ(0, gs_gc_type_create(g.fd, g.heap, 2, 40, &g.type));
	for (i = 0; i < NR_THREADS; i++) {
		w[i] = (struct gc_worker){ .g = &g, .id = i };
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, gc_worker_main, &w[i]));
	}
	for (i = 0; i < NR_THREADS; i++)
		ASSERT_EQ(0, pthread_join(w[i].thread, NULL));
	EXPECT_EQ(0, self->sh.failures) {
		TH_LOG("%lu failures; first: %s", self->sh.failures, self->sh.first);
	}

	/* Nothing rooted any more: one collection releases everything. */
	for (i = 0; i < GC_SLOTS; i++)
		if (g.slot[i])
			EXPECT_EQ(0, gs_gc_drop(g.fd, g.slot[i]));
	ASSERT_EQ(0, gs_gc_collect(g.fd, g.heap));
	ASSERT_EQ(0, gs_gc_stats(g.fd, g.heap, &st));
	EXPECT_EQ(0, st.handles);
	EXPECT_EQ(0, st.live_objects);
	EXPECT_EQ(0, st.bad_pointers);
	printf("# %llu GC objects released, %llu cycles\n",
	       (unsigned long long)st.objects_released,
	       (unsigned long long)st.cycles);
	ASSERT_EQ(0, close(g.fd));
}

TEST_HARNESS_MAIN
