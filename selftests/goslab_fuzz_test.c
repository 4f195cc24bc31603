// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab fuzzer: random command numbers (goslab's own, their
 * neighbours, other types and fully random ones) with random argument
 * bytes, half of them shaped enough to get past the size and flags checks
 * and reach real handles.  Every ioctl must succeed or fail with one of
 * the documented errnos, and nothing may splat (taint) or leak (goslab's
 * counters after all sessions close are as before).
 *
 * Seeded and reproducible: the seed is printed; GOSLAB_FUZZ_SEED=<n>
 * replays a run, GOSLAB_FUZZ_ITERS=<n> sets the number of ioctls, and
 * GOSLAB_FUZZ_WATCH=1 reads goslab's debug counters after every ioctl and
 * reports the first ioctls that move them (a bad free goslab caught).
 */
#include <stdint.h>
#include <time.h>

#include "kselftest_harness.h"
#include "goslab_util.h"

#define NR_SESSIONS	3
#define POOL_SIZE	512
#define ARENA		(2 * 4096)
#define DATA_SIZE	(128 * 1024)
#define REOPEN_EVERY	4096

static const struct {
	unsigned long cmd;
	__u32 ver0;
} cmds[] = {
	{ GOSLAB_IOC_VERSION, GOSLAB_VERSION_SIZE_VER0 },
	{ GOSLAB_IOC_ALLOC, GOSLAB_ALLOC_SIZE_VER0 },
	{ GOSLAB_IOC_FREE, GOSLAB_FREE_SIZE_VER0 },
	{ GOSLAB_IOC_WRITE, GOSLAB_RW_SIZE_VER0 },
	{ GOSLAB_IOC_READ, GOSLAB_RW_SIZE_VER0 },
	{ GOSLAB_IOC_USABLE_SIZE, GOSLAB_USABLE_SIZE_VER0 },
	{ GOSLAB_IOC_CACHE_CREATE, GOSLAB_CACHE_CREATE_SIZE_VER0 },
	{ GOSLAB_IOC_CACHE_ALLOC, GOSLAB_CACHE_ALLOC_SIZE_VER0 },
	{ GOSLAB_IOC_CACHE_FREE, GOSLAB_CACHE_FREE_SIZE_VER0 },
	{ GOSLAB_IOC_CACHE_DESTROY, GOSLAB_CACHE_DESTROY_SIZE_VER0 },
	{ GOSLAB_IOC_STATS, GOSLAB_STATS_SIZE_VER0 },
	{ GOSLAB_IOC_GC_HEAP_CREATE, GOSLAB_GC_HEAP_CREATE_SIZE_VER0 },
	{ GOSLAB_IOC_GC_TYPE_CREATE, GOSLAB_GC_TYPE_CREATE_SIZE_VER0 },
	{ GOSLAB_IOC_GC_ALLOC, GOSLAB_GC_ALLOC_SIZE_VER0 },
	{ GOSLAB_IOC_GC_STORE, GOSLAB_GC_STORE_SIZE_VER0 },
	{ GOSLAB_IOC_GC_LOAD, GOSLAB_GC_LOAD_SIZE_VER0 },
	{ GOSLAB_IOC_GC_DROP, GOSLAB_GC_DROP_SIZE_VER0 },
	{ GOSLAB_IOC_GC_COLLECT, GOSLAB_GC_COLLECT_SIZE_VER0 },
	{ GOSLAB_IOC_GC_ALIVE, GOSLAB_GC_ALIVE_SIZE_VER0 },
	{ GOSLAB_IOC_GC_STATS, GOSLAB_GC_STATS_SIZE_VER0 },
};

#define NR_CMDS		(ARRAY_SIZE(cmds))
/* All 20 commands, no fewer: a new one must be added above. */
static_assert(NR_CMDS == 0x14, "cmds[] misses a command");

/* What /dev/goslab may answer; Documentation/userspace-api.rst. */
static const int allowed[] = {
	ENOTTY, EINVAL, EFAULT, E2BIG, ENOENT, ENOMEM, ENOSPC, EBUSY,
};

struct fuzz {
	__u64 rng;
	int fd[NR_SESSIONS];
	unsigned int cur;	/* the session of this ioctl */
	/* Handles each session was given, live or not: the best guesses. */
	__u64 pool[NR_SESSIONS][POOL_SIZE];
	unsigned int npool[NR_SESSIONS];
	/* Cache objects with their cache, for CACHE_FREE. */
	__u64 pair[NR_SESSIONS][64][2];
	/* GC heaps, types and handles, to name the right kind more often. */
	__u64 gc[NR_SESSIONS][3][64];
	unsigned char *arena;	/* ARENA bytes, then a PROT_NONE page */
	unsigned char *data;	/* for READ and WRITE */
	unsigned long ok[NR_CMDS + 1];
	unsigned long err[256];
	unsigned long bad;
	bool has_gc;		/* goslab has its collector */
};

static __u64 rnd(struct fuzz *f)
{
	return gs_rand(&f->rng);
}

static __u64 below(struct fuzz *f, __u64 n)
{
	return rnd(f) % n;
}

/*
 * Commands the VFS handles itself before the driver sees them (fs/ioctl.c):
 * some change the file or even the filesystem (FS_IOC_SETFLAGS, FIFREEZE).
 * A fully random number is not to hit those by accident.
 */
static bool vfs_command(unsigned long cmd)
{
	unsigned int type = _IOC_TYPE(cmd);

	return type == 'X' || type == 'f' || type == 'T' || type == 0x94 ||
	       type == 0x15 || type == 0;
}

static __u64 pick_handle(struct fuzz *f)
{
	unsigned int s = below(f, 8) ? f->cur : below(f, NR_SESSIONS);
	unsigned int n = f->npool[s];

	switch (below(f, 8)) {
	case 0:
		return rnd(f);
	case 1:
		return below(f, 4);
	case 2:
		/* A real index with a wrong generation, or the reverse. */
		return n ? f->pool[s][below(f, n)] ^ (1ULL << below(f, 64)) : rnd(f);
	default:
		return n ? f->pool[s][below(f, n)] : rnd(f);
	}
}

enum { GC_HEAP, GC_TYPE, GC_REF };

/* Mostly a GC handle of @kind this session was given, else any guess. */
static __u64 pick_gc(struct fuzz *f, unsigned int kind)
{
	__u64 h = f->gc[f->cur][kind][below(f, 64)];

	return h && below(f, 4) ? h : pick_handle(f);
}

static void remember_gc(struct fuzz *f, unsigned int kind, __u64 h)
{
	f->gc[f->cur][kind][below(f, 64)] = h;
}

static __u64 pick_len(struct fuzz *f)
{
	switch (below(f, 16)) {
	case 0:
		return rnd(f);
	case 1:
		return 0;
	case 2:
		return 32768 + below(f, 5 << 20);	/* large and huge */
	case 3:
		return GOSLAB_DEV_MAX_ALLOC + below(f, 3) - 1;
	default:
		return 1 + below(f, 1 << (1 + below(f, 15)));
	}
}

static __u64 pick_buf(struct fuzz *f)
{
	switch (below(f, 10)) {
	case 0:
		return 0;
	case 1:
		return rnd(f);
	case 2:
		return 0xffff888000000000ULL + below(f, 1 << 30);
	case 3:	/* runs into the guard page */
		return (unsigned long)(f->arena + ARENA - below(f, 64));
	default:
		return (unsigned long)(f->data + below(f, 4096));
	}
}

/* Make a random struct plausible enough to reach deeper checks. */
static void shape(struct fuzz *f, unsigned int c, unsigned char *arg)
{
	__u32 *size = (__u32 *)arg, *flags = size + 1;
	__u32 ver0 = cmds[c].ver0;

	switch (below(f, 10)) {
	case 0:
		*size = below(f, 2 * ver0);
		break;
	case 1:
		/* A newer struct; its tail is usually zero. */
		*size = ver0 + 8 * (1 + below(f, 8));
		if (below(f, 2))
			memset(arg + ver0, 0, *size - ver0);
		break;
	default:
		*size = ver0;
		break;
	}
	if (below(f, 5))
		*flags = below(f, 4) ? 0 : 1;
	else if (below(f, 2))
		*flags = 1U << below(f, 32);

	switch (cmds[c].cmd) {
	case GOSLAB_IOC_ALLOC: {
		struct goslab_ioc_alloc *a = (void *)arg;

		a->len = pick_len(f);
		break;
	}
	case GOSLAB_IOC_FREE: {
		struct goslab_ioc_free *fr = (void *)arg;

		fr->handle = pick_handle(f);
		break;
	}
	case GOSLAB_IOC_READ:
	case GOSLAB_IOC_WRITE: {
		struct goslab_ioc_rw *r = (void *)arg;

		r->handle = pick_handle(f);
		r->offset = below(f, 4) ? below(f, 512) : rnd(f);
		r->len = below(f, 4) ? below(f, 1024) : pick_len(f);
		r->buf = pick_buf(f);
		/* A read must never run past our buffer into our own heap. */
		if (r->buf >= (unsigned long)f->data &&
		    r->buf < (unsigned long)f->data + DATA_SIZE)
			r->len %= DATA_SIZE - 4096;
		break;
	}
	case GOSLAB_IOC_USABLE_SIZE: {
		struct goslab_ioc_usable *u = (void *)arg;

		u->handle = pick_handle(f);
		if (below(f, 4))
			u->pad = 0;
		break;
	}
	case GOSLAB_IOC_CACHE_CREATE: {
		struct goslab_ioc_cache_create *cc = (void *)arg;

		cc->obj_size = below(f, 4) ? below(f, 40000) : rnd(f);
		cc->align = below(f, 2) ? 0 : below(f, 3) ? 1U << below(f, 15) : rnd(f);
		break;
	}
	case GOSLAB_IOC_CACHE_ALLOC: {
		struct goslab_ioc_cache_alloc *ca = (void *)arg;

		ca->cache = pick_handle(f);
		break;
	}
	case GOSLAB_IOC_CACHE_FREE: {
		struct goslab_ioc_cache_free *cf = (void *)arg;

		cf->cache = pick_handle(f);
		cf->handle = pick_handle(f);
		if (below(f, 2)) {
			__u64 *pr = f->pair[f->cur][below(f, 64)];

			cf->cache = pr[0];
			cf->handle = pr[1];
		}
		break;
	}
	case GOSLAB_IOC_CACHE_DESTROY: {
		struct goslab_ioc_cache_destroy *cd = (void *)arg;

		cd->cache = pick_handle(f);
		break;
	}
	case GOSLAB_IOC_GC_TYPE_CREATE: {
		struct goslab_ioc_gc_type_create *tc = (void *)arg;

		tc->heap = pick_gc(f, GC_HEAP);
		tc->nr_ptrs = below(f, 4) ? below(f, below(f, 2) ? 4 : 70) : rnd(f);
		tc->data_size = below(f, 4) ? below(f, below(f, 2) ? 256 : 40000) :
			rnd(f);
		break;
	}
	case GOSLAB_IOC_GC_ALLOC: {
		struct goslab_ioc_gc_alloc *a = (void *)arg;

		a->type = pick_gc(f, GC_TYPE);
		break;
	}
	case GOSLAB_IOC_GC_STORE: {
		struct goslab_ioc_gc_store *st = (void *)arg;

		st->dst = pick_gc(f, GC_REF);
		st->src = below(f, 4) ? pick_gc(f, GC_REF) : 0;
		st->field = below(f, 4) ? below(f, below(f, 2) ? 4 : 70) : rnd(f);
		st->pad = below(f, 4) ? 0 : rnd(f);
		break;
	}
	case GOSLAB_IOC_GC_LOAD: {
		struct goslab_ioc_gc_load *ld = (void *)arg;

		ld->src = pick_gc(f, GC_REF);
		ld->field = below(f, 4) ? below(f, below(f, 2) ? 4 : 70) : rnd(f);
		ld->pad = below(f, 4) ? 0 : rnd(f);
		break;
	}
	case GOSLAB_IOC_GC_DROP:
		((struct goslab_ioc_gc_drop *)arg)->handle = pick_gc(f, GC_REF);
		break;
	case GOSLAB_IOC_GC_COLLECT:
		((struct goslab_ioc_gc_collect *)arg)->heap = pick_gc(f, GC_HEAP);
		break;
	case GOSLAB_IOC_GC_STATS:
		((struct goslab_ioc_gc_stats *)arg)->heap = pick_gc(f, GC_HEAP);
		break;
	case GOSLAB_IOC_GC_ALIVE: {
		struct goslab_ioc_gc_alive *al = (void *)arg;

		al->id = below(f, 4) ? below(f, 16) : rnd(f);
		al->pad = below(f, 4) ? 0 : rnd(f);
		break;
	}
	}
}

static void remember(struct fuzz *f, __u64 h)
{
	unsigned int s = f->cur;

	if (f->npool[s] < POOL_SIZE)
		f->pool[s][f->npool[s]++] = h;
	else
		f->pool[s][below(f, POOL_SIZE)] = h;
}

/* Keep what a successful command created, to use it later. */
static void note_handles(struct fuzz *f, unsigned long cmd, unsigned char *arg)
{
	struct goslab_ioc_cache_create *cc = (void *)arg;
	struct goslab_ioc_cache_alloc *ca = (void *)arg;
	struct goslab_ioc_alloc *a = (void *)arg;
	__u64 *pr;

	switch (cmd) {
	case GOSLAB_IOC_ALLOC:
		remember(f, a->handle);
		break;
	case GOSLAB_IOC_CACHE_CREATE:
		remember(f, cc->handle);
		break;
	case GOSLAB_IOC_CACHE_ALLOC:
		remember(f, ca->handle);
		pr = f->pair[f->cur][below(f, 64)];
		pr[0] = ca->cache;
		pr[1] = ca->handle;
		break;
	case GOSLAB_IOC_GC_HEAP_CREATE:
		remember(f, ((struct goslab_ioc_gc_heap_create *)arg)->handle);
		remember_gc(f, GC_HEAP, ((struct goslab_ioc_gc_heap_create *)arg)->handle);
		break;
	case GOSLAB_IOC_GC_TYPE_CREATE:
		remember(f, ((struct goslab_ioc_gc_type_create *)arg)->handle);
		remember_gc(f, GC_TYPE, ((struct goslab_ioc_gc_type_create *)arg)->handle);
		break;
	case GOSLAB_IOC_GC_ALLOC:
		remember(f, ((struct goslab_ioc_gc_alloc *)arg)->handle);
		remember_gc(f, GC_REF, ((struct goslab_ioc_gc_alloc *)arg)->handle);
		break;
	case GOSLAB_IOC_GC_LOAD:
		if (!((struct goslab_ioc_gc_load *)arg)->handle)
			break;
		remember(f, ((struct goslab_ioc_gc_load *)arg)->handle);
		remember_gc(f, GC_REF, ((struct goslab_ioc_gc_load *)arg)->handle);
		break;
	}
}

/* One ioctl: true if its outcome is allowed. */
static bool fuzz_one(struct fuzz *f, unsigned long *cmdp, int *errp,
		     unsigned char **argp)
{
	unsigned int c = below(f, NR_CMDS), i;
	unsigned char *arg = f->arena + ARENA / 2 - 256 + 8 * below(f, 32);
	unsigned long cmd = cmds[c].cmd;
	bool structured = false;
	void *p = arg;
	int fd, ret;

	f->cur = below(f, NR_SESSIONS);
	fd = f->fd[f->cur];
	for (i = 0; i < 256; i++)
		arg[i] = (unsigned char)rnd(f);

	switch (below(f, 100)) {
	case 0 ... 49:		/* goslab's commands, shaped arguments */
		structured = true;
		shape(f, c, arg);
		break;
	case 50 ... 59:		/* goslab's commands, random bytes */
		break;
	case 60 ... 71:		/* goslab's type, any number */
		cmd = _IOC(below(f, 4), GOSLAB_IOC_MAGIC, below(f, 64), below(f, 1 << 14));
		if (below(f, 2))
			shape(f, c, arg);
		break;
	case 72 ... 79:		/* a real command, one bit off */
		cmd ^= 1UL << below(f, 32);
		shape(f, c, arg);
		break;
	case 80 ... 87:		/* the neighbouring types */
		cmd = _IOC(_IOC_DIR(cmd), GOSLAB_IOC_MAGIC + (below(f, 2) ? 1 : -1),
			   _IOC_NR(cmd), _IOC_SIZE(cmd));
		shape(f, c, arg);
		break;
	default:		/* anything */
		do {
			cmd = (__u32)rnd(f);
		} while (vfs_command(cmd));
		break;
	}

	switch (below(f, 20)) {
	case 0:
		p = NULL;
		break;
	case 1:
		p = (void *)(unsigned long)(0xffffffff81000000ULL + below(f, 1 << 24));
		break;
	case 2:
		p = (void *)(unsigned long)rnd(f);
		break;
	case 3:	/* the struct straddles the guard page */
		p = f->arena + ARENA - 4 * (1 + below(f, 16));
		*(__u32 *)p = cmds[c].ver0;
		break;
	}

	ret = gs_ioctl(fd, cmd, p);
	*cmdp = cmd;
	*errp = -ret;
	*argp = arg;
	if (!ret) {
		for (i = 0; i < NR_CMDS && cmds[i].cmd != cmd; i++)
			;
		f->ok[i]++;
		if (p == arg && structured)
			note_handles(f, cmd, arg);
		return true;
	}
	f->err[-ret & 255]++;
	/* Without the collector, its commands are refused, whatever they hold. */
	if (-ret == EOPNOTSUPP)
		return !f->has_gc && gs_is_gc_cmd(cmd);
	for (i = 0; i < ARRAY_SIZE(allowed); i++)
		if (-ret == allowed[i])
			return true;
	return false;
}

FIXTURE(fuzz) {
	struct fuzz f;
	struct goslab_ioc_stats base;
	unsigned long taint;
	int witness;
	__u64 canary[4];
};

static const __u64 canary_len[4] = { 9, 200, 70000, (4 << 20) + 100 };

FIXTURE_SETUP(fuzz)
{
	unsigned char buf[256];
	unsigned int i;

	self->witness = gs_open();
	if (self->witness < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, self->witness);
	ASSERT_EQ(0, gs_snap(self->witness, &self->base));
	self->taint = gs_taint();

	/* Objects the fuzzer cannot name, checked at the end. */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, gs_alloc(self->witness, canary_len[i], 0, &self->canary[i]));
		gs_pattern(buf, sizeof(buf), i);
		ASSERT_EQ(0, gs_write(self->witness, self->canary[i],
				      canary_len[i] - (canary_len[i] < 256 ? canary_len[i] : 256),
				      canary_len[i] < 256 ? canary_len[i] : 256, buf));
	}
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->witness >= 0)
		close(self->witness);
}

TEST_F_TIMEOUT(fuzz, random_ioctls, 400)
{
	struct fuzz *f = &self->f;
	const char *env = getenv("GOSLAB_FUZZ_SEED");
	const char *iters_env = getenv("GOSLAB_FUZZ_ITERS");
	unsigned long iters = iters_env ? strtoul(iters_env, NULL, 0) : 100000;
	unsigned char buf[256], got[256];
	struct goslab_ioc_stats after;
	bool watch = getenv("GOSLAB_FUZZ_WATCH");
	struct goslab_ioc_stats now, last;
	unsigned long n, cmd, reopened = 0, moved = 0;
	unsigned char *arg;
	__u64 seed;
	int err, i;

	if (env) {
		seed = strtoull(env, NULL, 0);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (__u64)ts.tv_sec * 1000000007ULL ^ (__u64)ts.tv_nsec ^ getpid();
	}
	printf("# seed %llu (replay: GOSLAB_FUZZ_SEED=%llu), %lu ioctls\n",
	       (unsigned long long)seed, (unsigned long long)seed, iters);
	fflush(stdout);
	f->rng = seed;
	f->has_gc = gs_has_gc();

	f->arena = gs_map_guarded(ARENA);
	ASSERT_NE(NULL, f->arena);
	f->data = malloc(DATA_SIZE);
	ASSERT_NE(NULL, f->data);
	memset(f->data, 0x33, DATA_SIZE);
	for (i = 0; i < NR_SESSIONS; i++) {
		f->fd[i] = gs_open();
		ASSERT_LE(0, f->fd[i]);
	}

	ASSERT_EQ(0, gs_stats(self->witness, 0, &last));
	for (n = 0; n < iters; n++) {
		cmd = 0;
		if (n && n % REOPEN_EVERY == 0) {
			/* Close a session with whatever it holds. */
			i = below(f, NR_SESSIONS);
			ASSERT_EQ(0, close(f->fd[i]));
			f->fd[i] = gs_open();
			ASSERT_LE(0, f->fd[i]);
			reopened++;
		}
		if (!fuzz_one(f, &cmd, &err, &arg)) {
			f->bad++;
			if (f->bad <= 10)
				printf("# ioctl %lu: cmd %#lx: unexpected errno %d (%s)\n",
				       n, cmd, err, strerror(err));
		}
		if (!watch)
			continue;
		ASSERT_EQ(0, gs_stats(self->witness, 0, &now));
		if (now.debug_double_free == last.debug_double_free &&
		    now.debug_invalid_free == last.debug_invalid_free &&
		    now.debug_poison_corrupt == last.debug_poison_corrupt)
			continue;
		if (++moved <= 5) {
			printf("# ioctl %lu%s: cmd %#lx errno %d moved the debug counters; arg:",
			       n, n % REOPEN_EVERY ? "" : " (after a close)", cmd, err);
			for (i = 0; i < 48; i++)
				printf("%s%02x", i % 8 ? "" : " ", arg[i]);
			printf("\n");
		}
		last = now;
	}
	EXPECT_EQ(0, moved);
	for (i = 0; i < NR_SESSIONS; i++)
		ASSERT_EQ(0, close(f->fd[i]));

	printf("# %lu ioctls, %lu sessions closed with their objects; succeeded:",
	       iters, reopened + NR_SESSIONS);
	for (i = 0; i < (int)NR_CMDS; i++)
		printf(" %lu", f->ok[i]);
	printf(" (by command number), %lu other\n# errnos:", f->ok[NR_CMDS]);
	for (i = 0; i < 256; i++)
		if (f->err[i])
			printf(" %s=%lu", strerrorname_np(i) ?: "?", f->err[i]);
	printf("\n");
	EXPECT_EQ(0, f->bad);
	/*
	 * Reaching real objects is the point: some of each must have worked.
	 * But GC_STORE, GC_LOAD and GC_DROP, which need a live GC object
	 * (and a field its type has): random arguments hit that a handful
	 * of times in 100000 calls, and some seeds never do (goslab_gc_test
	 * drives them deterministically).  Without the collector, no GC
	 * command may ever work.
	 */
	for (i = 0; i < (int)NR_CMDS; i++) {
		if (gs_is_gc_cmd(cmds[i].cmd) && !f->has_gc) {
			EXPECT_EQ(0, f->ok[i]);
		} else if (cmds[i].cmd != GOSLAB_IOC_GC_STORE &&
			   cmds[i].cmd != GOSLAB_IOC_GC_LOAD &&
			   cmds[i].cmd != GOSLAB_IOC_GC_DROP) {
			EXPECT_LT(0, f->ok[i]);
		}
	}

	for (i = 0; i < 4; i++) {
		__u64 len = canary_len[i] < 256 ? canary_len[i] : 256;

		gs_pattern(buf, sizeof(buf), i);
		ASSERT_EQ(0, gs_read(self->witness, self->canary[i],
				     canary_len[i] - len, len, got));
		EXPECT_EQ(0, memcmp(buf, got, len)) {
			TH_LOG("canary %d changed", i);
		}
		ASSERT_EQ(0, gs_free(self->witness, self->canary[i]));
	}
	ASSERT_EQ(0, gs_snap(self->witness, &after));
	EXPECT_TRUE(gs_global_same(&self->base, &after, "after fuzzing"));
	EXPECT_EQ(0, gs_taint() & ~self->taint & GS_TAINT_SPLAT);
}

TEST_HARNESS_MAIN
