// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab: every command's success path, with data written and read
 * back, and every error path, each checked for its errno and for leaving
 * goslab's and the session's counters exactly as they were.
 */
#include <grp.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "goslab_util.h"

#define MIB		(1024ULL * 1024)
#define PAGE		4096

static inline __u64 gs_round_up(__u64 x, __u64 to)
{
	return (x + to - 1) / to * to;
}

/* Expect @call (an expression giving 0 or -errno) to fail with @err, cleanly. */
#define FAILS_CLEANLY(fd, err, call)	FAILS_CLEANLY_AS(fd, err, call, #call)

/* The same, naming the call @what (a string) in the log. */
#define FAILS_CLEANLY_AS(fd, err, call, what)				\
	do {								\
		struct goslab_ioc_stats __before, __after;		\
		const char *__what = (what);				\
		int __fd = (fd);					\
									\
		ASSERT_EQ(0, gs_snap(__fd, &__before));			\
		EXPECT_EQ(-(err), (call)) {				\
			TH_LOG("%s", __what);				\
		}							\
		ASSERT_EQ(0, gs_snap(__fd, &__after));			\
		EXPECT_TRUE(gs_stats_same(&__before, &__after, __what));	\
	} while (0)

#define CMD(c, ver0, f, out, pad)	{ #c, GOSLAB_IOC_##c, ver0, f, out, pad }

/*
 * Every command: its first size, the flags it knows, whether it writes
 * results back, and the offset of its pad field (0: none).
 */
static const struct {
	const char *name;
	unsigned long cmd;
	__u32 ver0;
	__u32 flags;
	bool out;
	__u32 pad;
} cmds[] = {
	CMD(VERSION, GOSLAB_VERSION_SIZE_VER0, 0, true, 0),
	CMD(ALLOC, GOSLAB_ALLOC_SIZE_VER0, GOSLAB_ALLOC_ZERO, true, 0),
	CMD(FREE, GOSLAB_FREE_SIZE_VER0, 0, false, 0),
	CMD(WRITE, GOSLAB_RW_SIZE_VER0, 0, false, 0),
	CMD(READ, GOSLAB_RW_SIZE_VER0, 0, false, 0),
	CMD(USABLE_SIZE, GOSLAB_USABLE_SIZE_VER0, 0, true,
	    offsetof(struct goslab_ioc_usable, pad)),
	CMD(CACHE_CREATE, GOSLAB_CACHE_CREATE_SIZE_VER0, GOSLAB_CACHE_CTOR, true, 0),
	CMD(CACHE_ALLOC, GOSLAB_CACHE_ALLOC_SIZE_VER0, GOSLAB_ALLOC_ZERO, true, 0),
	CMD(CACHE_FREE, GOSLAB_CACHE_FREE_SIZE_VER0, 0, false, 0),
	CMD(CACHE_DESTROY, GOSLAB_CACHE_DESTROY_SIZE_VER0, 0, false, 0),
	CMD(STATS, GOSLAB_STATS_SIZE_VER0, GOSLAB_STATS_TRIM, true, 0),
	CMD(GC_HEAP_CREATE, GOSLAB_GC_HEAP_CREATE_SIZE_VER0, GOSLAB_GC_HEAP_MANUAL,
	    true, 0),
	CMD(GC_TYPE_CREATE, GOSLAB_GC_TYPE_CREATE_SIZE_VER0, 0, true, 0),
	CMD(GC_ALLOC, GOSLAB_GC_ALLOC_SIZE_VER0, 0, true, 0),
	CMD(GC_STORE, GOSLAB_GC_STORE_SIZE_VER0, 0, false,
	    offsetof(struct goslab_ioc_gc_store, pad)),
	CMD(GC_LOAD, GOSLAB_GC_LOAD_SIZE_VER0, 0, true,
	    offsetof(struct goslab_ioc_gc_load, pad)),
	CMD(GC_DROP, GOSLAB_GC_DROP_SIZE_VER0, 0, false, 0),
	CMD(GC_COLLECT, GOSLAB_GC_COLLECT_SIZE_VER0, 0, false, 0),
	CMD(GC_ALIVE, GOSLAB_GC_ALIVE_SIZE_VER0, 0, true,
	    offsetof(struct goslab_ioc_gc_alive, pad)),
	CMD(GC_STATS, GOSLAB_GC_STATS_SIZE_VER0, 0, true, 0),
};

/* All 20 commands, no fewer: a new one must be added above. */
static_assert(ARRAY_SIZE(cmds) == 0x14, "cmds[] misses a command");

/*
 * A session with one of everything a command may name, so that each
 * command can be given arguments it accepts (valid_arg()): the tests of
 * bad flags and sizes then fail for that reason only, and prove it by
 * succeeding once the flags or sizes are put right.
 */
struct env {
	int fd;
	__u64 obj;		/* 64 bytes */
	__u64 cache, cobj;	/* 64-byte objects, and one of them */
	__u64 empty;		/* a cache without objects */
	__u64 heap, type;	/* GC: a type with one pointer field */
	__u64 r1, r2, id1;	/* GC handles, r1's field 0 -> r2's object */
	unsigned char data[64];
};

static int env_open(struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = gs_open();
	if (e->fd < 0)
		return -errno;
	return gs_alloc(e->fd, 64, 0, &e->obj) ?:
	       gs_cache_create(e->fd, 64, 0, 0, &e->cache) ?:
	       gs_cache_alloc(e->fd, e->cache, 0, &e->cobj) ?:
	       gs_cache_create(e->fd, 64, 0, 0, &e->empty) ?:
	       gs_gc_heap_create(e->fd, GOSLAB_GC_HEAP_MANUAL, &e->heap) ?:
	       gs_gc_type_create(e->fd, e->heap, 1, 8, &e->type) ?:
	       gs_gc_alloc(e->fd, e->type, &e->r1, &e->id1) ?:
	       gs_gc_alloc(e->fd, e->type, &e->r2, NULL) ?:
	       gs_gc_store(e->fd, e->r1, 0, e->r2);
}

/* Arguments command @i accepts, in the first @ver0 bytes of @buf. */
static void valid_arg(struct env *e, unsigned int i, unsigned char *buf)
{
	__u64 *q = (__u64 *)buf;

	memset(buf, 0, cmds[i].ver0);
	*(__u32 *)buf = cmds[i].ver0;
	switch (cmds[i].cmd) {
	case GOSLAB_IOC_ALLOC:
		((struct goslab_ioc_alloc *)buf)->len = 100;
		break;
	case GOSLAB_IOC_FREE:
	case GOSLAB_IOC_USABLE_SIZE:
		q[1] = e->obj;
		break;
	case GOSLAB_IOC_WRITE:
	case GOSLAB_IOC_READ: {
		struct goslab_ioc_rw *rw = (void *)buf;

		rw->handle = e->obj;
		rw->len = sizeof(e->data);
		rw->buf = (unsigned long)e->data;
		break;
	}
	case GOSLAB_IOC_CACHE_CREATE:
		((struct goslab_ioc_cache_create *)buf)->obj_size = 64;
		break;
	case GOSLAB_IOC_CACHE_ALLOC:
		q[1] = e->cache;
		break;
	case GOSLAB_IOC_CACHE_FREE:
		q[1] = e->cache;
		q[2] = e->cobj;
		break;
	case GOSLAB_IOC_CACHE_DESTROY:
		q[1] = e->empty;
		break;
	case GOSLAB_IOC_GC_TYPE_CREATE:
		q[1] = e->heap;
		break;
	case GOSLAB_IOC_GC_ALLOC:
		q[1] = e->type;
		break;
	case GOSLAB_IOC_GC_STORE:
		q[1] = e->r1;
		q[3] = e->r2;
		break;
	case GOSLAB_IOC_GC_LOAD:
		q[1] = e->r1;
		break;
	case GOSLAB_IOC_GC_DROP:
		q[1] = e->r2;
		break;
	case GOSLAB_IOC_GC_COLLECT:
	case GOSLAB_IOC_GC_STATS:
		q[1] = e->heap;
		break;
	case GOSLAB_IOC_GC_ALIVE:
		q[1] = e->id1;
		break;
	}
}

/*
 * Lengths across goslab's tiers, with where each must land; 0 for "tiny
 * or small", where that is goslab's policy to choose (8 bytes, a common
 * kernel size, may get a size class of its own).
 */
static const struct {
	__u64 len;
	__u32 tier;
} sizes[] = {
	{ 1, GOSLAB_TIER_TINY },
	{ 8, 0 },
	{ 15, GOSLAB_TIER_TINY },
	{ 16, GOSLAB_TIER_SMALL },
	{ 17, GOSLAB_TIER_SMALL },
	{ 100, GOSLAB_TIER_SMALL },
	{ 1024, GOSLAB_TIER_SMALL },
	{ 4096, GOSLAB_TIER_SMALL },
	{ 8193, GOSLAB_TIER_SMALL },
	{ 32768, GOSLAB_TIER_SMALL },
	{ 32769, GOSLAB_TIER_LARGE },
	{ 65536, GOSLAB_TIER_LARGE },
	{ MIB, GOSLAB_TIER_LARGE },
	{ 4 * MIB, GOSLAB_TIER_LARGE },
	{ 4 * MIB + 1, GOSLAB_TIER_HUGE },
	{ 6 * MIB + 12345, GOSLAB_TIER_HUGE },
};

FIXTURE(dev) {
	int fd;
	bool debug;
	struct goslab_ioc_version v;
	struct goslab_ioc_stats base;
	unsigned long taint;
};

FIXTURE_SETUP(dev)
{
	self->fd = gs_open();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, self->fd) {
		TH_LOG("open %s: %s", GS_DEV, strerror(errno));
	}
	ASSERT_EQ(0, gs_version(self->fd, &self->v));
	self->debug = self->v.features & GOSLAB_FEATURE_DEBUG;
	ASSERT_EQ(0, gs_snap(self->fd, &self->base));
	self->taint = gs_taint();
}

FIXTURE_TEARDOWN(dev)
{
	/* Whatever the test left in its session goes with the file. */
	gs_check_closed(_metadata, self->fd, &self->base, self->taint,
			"after close");
}

/* ---- success paths ---- */

TEST_F(dev, version)
{
	struct goslab_ioc_version v;
	long long cap_kb = gs_read_num(GS_PARAM_CAP);

	ASSERT_EQ(0, gs_version(self->fd, &v));
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_EQ(GOSLAB_VERSION_MAJOR, v.major);
	EXPECT_EQ(GOSLAB_VERSION_MINOR, v.minor);
	EXPECT_EQ(GOSLAB_FEATURE_ALLOC | GOSLAB_FEATURE_RW | GOSLAB_FEATURE_CACHE |
		  GOSLAB_FEATURE_CACHE_CTOR | GOSLAB_FEATURE_STATS |
		  GOSLAB_FEATURE_GC,
		  v.features & ~GOSLAB_FEATURE_DEBUG);
	EXPECT_EQ(GOSLAB_DEV_MAX_ALLOC, v.max_alloc);
	EXPECT_EQ(GOSLAB_DEV_OBJ_CHARGE, v.obj_charge);
	EXPECT_EQ(GOSLAB_DEV_CACHE_CHARGE, v.cache_charge);
	EXPECT_EQ(GOSLAB_DEV_MAX_CACHE_OBJ, v.max_cache_obj);
	EXPECT_EQ(GOSLAB_DEV_MAX_CACHE_ALIGN, v.max_cache_align);
	EXPECT_EQ(GOSLAB_DEV_MAX_CACHES, v.max_caches);
	EXPECT_LT(1, v.nr_size_classes);
	ASSERT_LE(0, cap_kb);
	EXPECT_EQ((__u64)cap_kb * 1024, v.session_cap);
	TH_LOG("interface %u.%u, session cap %llu KiB, %u size classes, debug %s",
	       v.major, v.minor, (unsigned long long)v.session_cap / 1024,
	       v.nr_size_classes, self->debug ? "on" : "off");
}

/* The default cap is 64 MiB, unless someone changed the parameter. */
TEST_F(dev, session_cap_default)
{
	if (gs_read_num(GS_PARAM_CAP) != 64 * 1024)
		SKIP(return, "session_cap_kb is not at its default");
	EXPECT_EQ(64 * MIB, self->v.session_cap);
}

/* A struct from an older or newer user space: size tells. */
TEST_F(dev, struct_sizes)
{
	unsigned char buf[256];
	struct goslab_ioc_stats *st = (void *)buf;
	struct goslab_ioc_version *v = (void *)buf;
	struct goslab_ioc_alloc *a = (void *)buf;

	/* Newer user space, zero tail: accepted, size says what was filled. */
	memset(buf, 0, sizeof(buf));
	v->size = sizeof(*v) + 64;
	ASSERT_EQ(0, gs_ioctl(self->fd, GOSLAB_IOC_VERSION, v));
	EXPECT_EQ(sizeof(*v), v->size);
	EXPECT_EQ(GOSLAB_VERSION_MAJOR, v->major);
	EXPECT_EQ(-1, gs_find_not(buf + sizeof(*v), 0, 64));

	/* Older user space: only the bytes it has are written. */
	memset(buf, 0xee, sizeof(buf));
	memset(buf, 0, GOSLAB_STATS_SIZE_VER0);
	st->size = GOSLAB_STATS_SIZE_VER0;
	ASSERT_EQ(0, gs_ioctl(self->fd, GOSLAB_IOC_STATS, st));
	EXPECT_EQ(GOSLAB_STATS_SIZE_VER0, st->size);
	EXPECT_EQ(-1, gs_find_not(buf + GOSLAB_STATS_SIZE_VER0, 0xee,
				  sizeof(buf) - GOSLAB_STATS_SIZE_VER0));

	/* A bigger alloc struct works, and its handle is a real one. */
	memset(buf, 0, sizeof(buf));
	a->size = sizeof(*a) + 8;
	a->len = 100;
	ASSERT_EQ(0, gs_ioctl(self->fd, GOSLAB_IOC_ALLOC, a));
	EXPECT_EQ(sizeof(*a), a->size);
	EXPECT_EQ(0, gs_free(self->fd, a->handle));
}

/*
 * Every command, given arguments it accepts, in a struct of another size:
 * smaller than the first version (EINVAL), larger with a non-zero tail
 * (E2BIG), larger with a zero tail (accepted: what a newer user space
 * passes when it uses none of the new fields; results come back in our
 * size, the tail untouched).
 */
TEST_F(dev, struct_sizes_every_command)
{
	unsigned char buf[256];
	char what[64];
	struct env e;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		__u32 ver0 = cmds[i].ver0;

		ASSERT_EQ(0, env_open(&e)) {
			TH_LOG("%s: setting up", cmds[i].name);
		}
		valid_arg(&e, i, buf);
		*(__u32 *)buf = ver0 - 1;
		snprintf(what, sizeof(what), "%s: size %u", cmds[i].name, ver0 - 1);
		FAILS_CLEANLY_AS(e.fd, EINVAL, gs_ioctl(e.fd, cmds[i].cmd, buf), what);
		valid_arg(&e, i, buf);
		*(__u32 *)buf = ver0 - 8;
		FAILS_CLEANLY(e.fd, EINVAL, gs_ioctl(e.fd, cmds[i].cmd, buf));

		valid_arg(&e, i, buf);
		memset(buf + ver0, 0, 64);
		*(__u32 *)buf = ver0 + 64;
		buf[ver0 + 63] = 1;
		FAILS_CLEANLY(e.fd, E2BIG, gs_ioctl(e.fd, cmds[i].cmd, buf));
		buf[ver0 + 63] = 0;
		buf[ver0] = 0x80;
		FAILS_CLEANLY(e.fd, E2BIG, gs_ioctl(e.fd, cmds[i].cmd, buf));

		valid_arg(&e, i, buf);
		memset(buf + ver0, 0, 64);
		*(__u32 *)buf = ver0 + 64;
		EXPECT_EQ(0, gs_ioctl(e.fd, cmds[i].cmd, buf)) {
			TH_LOG("%s: a larger struct with a zero tail", cmds[i].name);
		}
		if (cmds[i].out)
			EXPECT_EQ(ver0, *(__u32 *)buf);
		EXPECT_EQ(-1, gs_find_not(buf + ver0, 0, 64));
		close(e.fd);
	}
}

TEST_F(dev, alloc_write_read)
{
	unsigned char *pat = malloc(7 * MIB), *got = malloc(7 * MIB);
	struct goslab_ioc_usable u;
	unsigned int i;
	__u64 h;

	ASSERT_NE(NULL, pat);
	ASSERT_NE(NULL, got);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		__u64 len = sizes[i].len, third = len / 3;
		__u32 tier = sizes[i].tier;

		if (tier == GOSLAB_TIER_TINY && self->debug)
			tier = GOSLAB_TIER_SMALL;	/* no packing in debug mode */
		ASSERT_EQ(0, gs_alloc(self->fd, len, 0, &h));

		/* Not zeroed: the fill byte, never old kernel data. */
		memset(got, 0, len);
		ASSERT_EQ(0, gs_read(self->fd, h, 0, len, got));
		EXPECT_EQ(-1, gs_find_not(got, GOSLAB_DEV_FILL_BYTE, len)) {
			TH_LOG("len %llu: not filled", (unsigned long long)len);
		}

		/* All of it, then a slice in the middle, read back whole. */
		gs_pattern(pat, len, i);
		ASSERT_EQ(0, gs_write(self->fd, h, 0, len, pat));
		gs_pattern(pat + third, third, i + 1000);
		ASSERT_EQ(0, gs_write(self->fd, h, third, third, pat + third));
		memset(got, 0, len);
		ASSERT_EQ(0, gs_read(self->fd, h, 0, len, got));
		EXPECT_EQ(0, memcmp(pat, got, len)) {
			TH_LOG("len %llu: read back differs", (unsigned long long)len);
		}
		/* The last byte alone, and an empty access at the end. */
		ASSERT_EQ(0, gs_read(self->fd, h, len - 1, 1, got));
		EXPECT_EQ(pat[len - 1], got[0]);
		EXPECT_EQ(0, gs_read(self->fd, h, len, 0, got));
		EXPECT_EQ(0, gs_write(self->fd, h, len, 0, got));

		ASSERT_EQ(0, gs_usable(self->fd, h, &u));
		EXPECT_EQ(len, u.len);
		EXPECT_LE(len, u.usable);
		if (!tier && (u.tier == GOSLAB_TIER_TINY || u.tier == GOSLAB_TIER_SMALL))
			tier = u.tier;
		EXPECT_EQ(tier, u.tier) {
			TH_LOG("len %llu: tier %u", (unsigned long long)len, u.tier);
		}
		EXPECT_EQ(0, u.pad);
		if (u.tier == GOSLAB_TIER_LARGE || u.tier == GOSLAB_TIER_HUGE)
			EXPECT_EQ(0, u.usable % 8192);
		if (u.tier == GOSLAB_TIER_SMALL)
			EXPECT_GE(32768, u.usable);
		ASSERT_EQ(0, gs_free(self->fd, h));
	}
	free(pat);
	free(got);
}

/* Zeroing must wipe what the memory held, most likely our own pattern. */
TEST_F(dev, alloc_zero)
{
	unsigned char *buf = malloc(7 * MIB);
	unsigned int i, k;
	__u64 h;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		__u64 len = sizes[i].len;

		for (k = 0; k < 2; k++) {
			ASSERT_EQ(0, gs_alloc(self->fd, len, GOSLAB_ALLOC_ZERO, &h));
			memset(buf, 0xff, len);
			ASSERT_EQ(0, gs_read(self->fd, h, 0, len, buf));
			EXPECT_EQ(-1, gs_find_not(buf, 0, len)) {
				TH_LOG("len %llu: not zeroed", (unsigned long long)len);
			}
			memset(buf, 0xab, len);
			ASSERT_EQ(0, gs_write(self->fd, h, 0, len, buf));
			ASSERT_EQ(0, gs_free(self->fd, h));
		}
	}
	free(buf);
}

/* Many objects live at once, each with its own contents. */
TEST_F(dev, many_live_objects)
{
	enum { N = 2000 };
	static __u64 h[N];
	unsigned char pat[300], got[300];
	__u64 seed = 1;
	unsigned int i;

	for (i = 0; i < N; i++) {
		__u64 len = 1 + gs_rand(&seed) % sizeof(pat);

		ASSERT_EQ(0, gs_alloc(self->fd, len, 0, &h[i]));
		gs_pattern(pat, len, i);
		ASSERT_EQ(0, gs_write(self->fd, h[i], 0, len, pat));
	}
	seed = 1;
	for (i = 0; i < N; i++) {
		__u64 len = 1 + gs_rand(&seed) % sizeof(pat);

		gs_pattern(pat, len, i);
		ASSERT_EQ(0, gs_read(self->fd, h[i], 0, len, got));
		ASSERT_EQ(0, memcmp(pat, got, len)) {
			TH_LOG("object %u of %llu bytes corrupted", i,
			       (unsigned long long)len);
		}
	}
	for (i = 0; i < N; i += 2)
		ASSERT_EQ(0, gs_free(self->fd, h[i]));
	for (i = 1; i < N; i += 2)
		ASSERT_EQ(0, gs_free(self->fd, h[i]));
}

/* A freed handle stays dead, and no new handle repeats an old one. */
TEST_F(dev, handles_never_reused)
{
	enum { N = 1000 };
	static __u64 seen[N];
	unsigned char b = 0;
	unsigned int i, j;

	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, gs_alloc(self->fd, 32, 0, &seen[i]));
		ASSERT_NE(0, seen[i]);
		ASSERT_EQ(0, gs_free(self->fd, seen[i]));
		/* Dead at once, with a live object in the session. */
		EXPECT_EQ(-ENOENT, gs_read(self->fd, seen[i], 0, 1, &b));
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			ASSERT_NE(seen[i], seen[j]);
}

TEST_F(dev, usable_size)
{
	struct goslab_ioc_usable u;
	__u64 h, c, o;

	ASSERT_EQ(0, gs_alloc(self->fd, 1000, 0, &h));
	ASSERT_EQ(0, gs_usable(self->fd, h, &u));
	EXPECT_EQ(sizeof(u), u.size);
	EXPECT_EQ(1000, u.len);
	EXPECT_LE(1000, u.usable);
	EXPECT_GE(1024, u.usable);	/* Go's class for 1000 is 1024 */
	EXPECT_EQ(GOSLAB_TIER_SMALL, u.tier);
	EXPECT_EQ(0, gs_free(self->fd, h));

	ASSERT_EQ(0, gs_cache_create(self->fd, 200, 0, 0, &c));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, c, 0, &o));
	ASSERT_EQ(0, gs_usable(self->fd, o, &u));
	EXPECT_EQ(200, u.len);
	EXPECT_EQ(200, u.usable);	/* a cache's size is exact */
	EXPECT_EQ(GOSLAB_TIER_SMALL, u.tier);
	EXPECT_EQ(0, gs_cache_free(self->fd, c, o));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, c));
}

TEST_F(dev, cache_lifecycle)
{
	static const struct { __u32 size, align; } shapes[] = {
		{ 1, 0 }, { 7, 0 }, { 24, 8 }, { 100, 64 }, { 200, 0 },
		{ 4096, 4096 }, { 5000, 8192 }, { 32768, 0 },
	};
	unsigned char pat[32768], got[32768];
	enum { N = 40 };
	__u64 c, h[N];
	unsigned int i, k;

	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		__u32 len = shapes[i].size;
		struct goslab_ioc_stats st;

		ASSERT_EQ(0, gs_cache_create(self->fd, len, shapes[i].align, 0, &c));
		for (k = 0; k < N; k++) {
			ASSERT_EQ(0, gs_cache_alloc(self->fd, c, k & 1 ? GOSLAB_ALLOC_ZERO : 0,
						    &h[k]));
			ASSERT_EQ(0, gs_read(self->fd, h[k], 0, len, got));
			EXPECT_EQ(-1, gs_find_not(got, k & 1 ? 0 : GOSLAB_DEV_FILL_BYTE, len));
			gs_pattern(pat, len, k);
			ASSERT_EQ(0, gs_write(self->fd, h[k], 0, len, pat));
		}
		ASSERT_EQ(0, gs_stats(self->fd, 0, &st));
		EXPECT_EQ(N, st.session_objects);
		EXPECT_EQ(1, st.session_caches);
		/* Each object is charged the same: at least its slot. */
		st.session_charged -= GOSLAB_DEV_CACHE_CHARGE;
		EXPECT_EQ(0, st.session_charged % N);
		EXPECT_LE(N * (gs_round_up(len, shapes[i].align ? : 8) +
			       GOSLAB_DEV_OBJ_CHARGE), st.session_charged);
		for (k = 0; k < N; k++) {
			gs_pattern(pat, len, k);
			ASSERT_EQ(0, gs_read(self->fd, h[k], 0, len, got));
			EXPECT_EQ(0, memcmp(pat, got, len));
			ASSERT_EQ(0, gs_cache_free(self->fd, c, h[k]));
		}
		ASSERT_EQ(0, gs_cache_destroy(self->fd, c));
		/* Gone: the handle is stale now. */
		EXPECT_EQ(-ENOENT, gs_cache_alloc(self->fd, c, 0, &h[0]));
	}
}

/* The constructor runs once per object and its work survives a free. */
TEST_F(dev, cache_ctor)
{
	enum { N = 300 };
	__u64 c, h[N], magic;
	unsigned int k;

	ASSERT_EQ(0, gs_cache_create(self->fd, 48, 0, GOSLAB_CACHE_CTOR, &c));
	for (k = 0; k < N; k++) {
		ASSERT_EQ(0, gs_cache_alloc(self->fd, c, 0, &h[k]));
		ASSERT_EQ(0, gs_read(self->fd, h[k], 0, 8, &magic));
		EXPECT_EQ(GOSLAB_DEV_CTOR_MAGIC, magic);
		/* Scribble past the constructed part only. */
		ASSERT_EQ(0, gs_write(self->fd, h[k], 8, 8, &magic));
	}
	for (k = 0; k < N; k++)
		ASSERT_EQ(0, gs_cache_free(self->fd, c, h[k]));
	for (k = 0; k < N; k++) {
		ASSERT_EQ(0, gs_cache_alloc(self->fd, c, 0, &h[k]));
		ASSERT_EQ(0, gs_read(self->fd, h[k], 0, 8, &magic));
		EXPECT_EQ(GOSLAB_DEV_CTOR_MAGIC, magic) {
			TH_LOG("object %u lost its constructed state", k);
		}
	}
	for (k = 0; k < N; k++)
		ASSERT_EQ(0, gs_free(self->fd, h[k]));	/* FREE takes them too */
	ASSERT_EQ(0, gs_cache_destroy(self->fd, c));
}

/*
 * No session sees what another left in memory.  The first session writes
 * stale_pat, over and over, into every byte of many objects of each tier
 * and kind (ALLOC, plain caches, constructor caches) and frees them all;
 * the second then reads every byte of fresh objects of each kind and size
 * and must find only what goslab or the device put there: the fill byte,
 * zeroes, or GOSLAB_DEV_CTOR_MAGIC followed by zeroes.
 */
static const unsigned char stale_pat[8] = { 'g', 's', 'S', 'T', 'A', 'L', 'E', '!' };

/* ALLOC lengths: tiny, small, and large (over 32 KiB). */
static const __u64 stale_alloc_lens[] = {
	1, 7, 13, 16, 100, 1001, 5000, 32768, 40000, 100000, MIB,
};

/* Cache object sizes; at least 8 for the constructor. */
static const __u32 stale_cache_sizes[] = {
	8, 13, 24, 100, 1001, 5000, 20000, 32768,
};

#define STALE_MAX	256

/* Objects of @len bytes per size and kind: about 512 KiB, 8 to 256. */
static unsigned int stale_count(__u64 len)
{
	__u64 n = 512 * 1024 / len;

	return n < 8 ? 8 : n > STALE_MAX ? STALE_MAX : n;
}

static void stale_fill(unsigned char *buf, __u64 len)
{
	__u64 i;

	for (i = 0; i < len; i++)
		buf[i] = stale_pat[i % sizeof(stale_pat)];
}

/*
 * Whether the @len bytes read, @got, are @want and hold no copy of
 * stale_pat at any offset; if not, and @log, say where they differ.
 */
static bool stale_ok(struct __test_metadata *_metadata, bool log,
		     const char *what, __u64 len, const unsigned char *got,
		     const unsigned char *want)
{
	const unsigned char *pat = memmem(got, len, stale_pat, sizeof(stale_pat));
	__u64 i;

	if (!pat && !memcmp(got, want, len))
		return true;
	for (i = 0; i < len - 1 && got[i] == want[i]; i++)
		;
	if (log)
		TH_LOG("%s of %llu bytes: byte %llu is %#x, not %#x; stale_pat %s %lld",
		       what, (unsigned long long)len, (unsigned long long)i,
		       got[i], want[i], pat ? "at byte" : "absent",
		       pat ? (long long)(pat - got) : -1LL);
	return false;
}

/* Session one: fill objects with stale_pat, free them, close. */
static void stale_dirty(struct __test_metadata *_metadata, unsigned char *pat)
{
	static __u64 h[STALE_MAX];
	unsigned int i, k, n, ctor;
	__u64 c;
	int fd;

	fd = gs_open();
	ASSERT_LE(0, fd);
	stale_fill(pat, MIB);
	for (i = 0; i < ARRAY_SIZE(stale_alloc_lens); i++) {
		__u64 len = stale_alloc_lens[i];

		n = stale_count(len);
		for (k = 0; k < n; k++) {
			ASSERT_EQ(0, gs_alloc(fd, len, 0, &h[k]));
			ASSERT_EQ(0, gs_write(fd, h[k], 0, len, pat));
		}
		for (k = 0; k < n; k++)
			ASSERT_EQ(0, gs_free(fd, h[k]));
	}
	for (ctor = 0; ctor < 2; ctor++) {
		for (i = 0; i < ARRAY_SIZE(stale_cache_sizes); i++) {
			__u32 len = stale_cache_sizes[i];

			ASSERT_EQ(0, gs_cache_create(fd, len, 0,
						     ctor ? GOSLAB_CACHE_CTOR : 0, &c));
			n = stale_count(len);
			for (k = 0; k < n; k++) {
				ASSERT_EQ(0, gs_cache_alloc(fd, c, 0, &h[k]));
				ASSERT_EQ(0, gs_write(fd, h[k], 0, len, pat));
			}
			for (k = 0; k < n; k++)
				ASSERT_EQ(0, gs_cache_free(fd, c, h[k]));
			ASSERT_EQ(0, gs_cache_destroy(fd, c));
		}
	}
	ASSERT_EQ(0, close(fd));
}

#define GS_PARAM_RETAIN	"/sys/module/goslab/parameters/retain_kb"

/*
 * Its own fixture: the heap keeps all the free pages the first session
 * leaves (retain_kb raised, so the scavenger gives none back) for the
 * second to reuse, and teardown puts retain_kb back.
 */
FIXTURE(stale) {
	int fd;
	long long retain_kb;
	struct goslab_ioc_stats base;
	unsigned long taint;
};

FIXTURE_SETUP(stale)
{
	self->retain_kb = -1;
	self->fd = gs_open();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, gs_snap(self->fd, &self->base));
	self->taint = gs_taint();
	self->retain_kb = gs_read_num(GS_PARAM_RETAIN);
	ASSERT_LE(0, self->retain_kb);
	ASSERT_EQ(0, gs_write_str(GS_PARAM_RETAIN, "1048576"));
}

FIXTURE_TEARDOWN(stale)
{
	char was[32];

	if (self->retain_kb >= 0) {
		snprintf(was, sizeof(was), "%lld", self->retain_kb);
		EXPECT_EQ(0, gs_write_str(GS_PARAM_RETAIN, was));
	}
	gs_check_closed(_metadata, self->fd, &self->base, self->taint,
			"after close");
}

/* Session two (self->fd): fresh objects of each kind, every byte read. */
TEST_F(stale, no_stale_data)
{
	unsigned char *got = malloc(MIB), *want = malloc(MIB);
	static __u64 h[STALE_MAX];
	unsigned int i, k, n, bad, ctor, total = 0;
	__u64 c, magic = GOSLAB_DEV_CTOR_MAGIC;
	char what[64];

	ASSERT_NE(NULL, got);
	ASSERT_NE(NULL, want);
	stale_dirty(_metadata, got);

	/* Constructor caches first: nothing of ours is in the heap yet. */
	for (ctor = 2; ctor-- > 0;) {
		for (i = 0; i < ARRAY_SIZE(stale_cache_sizes); i++) {
			__u32 len = stale_cache_sizes[i];

			ASSERT_EQ(0, gs_cache_create(self->fd, len, 0,
						     ctor ? GOSLAB_CACHE_CTOR : 0, &c));
			n = stale_count(len);
			bad = 0;
			for (k = 0; k < n; k++) {
				__u32 zero = !ctor && (k & 1) ? GOSLAB_ALLOC_ZERO : 0;

				ASSERT_EQ(0, gs_cache_alloc(self->fd, c, zero, &h[k]));
				memset(got, 0xee, len);
				ASSERT_EQ(0, gs_read(self->fd, h[k], 0, len, got));
				/* Nothing past the object: not even its padding. */
				if (!k)
					EXPECT_EQ(-EINVAL, gs_read(self->fd, h[k], len, 1, got));
				if (ctor) {
					/* The constructor's 8 bytes, zeroes after. */
					memset(want, 0, len);
					memcpy(want, &magic, sizeof(magic));
				} else {
					memset(want, zero ? 0 : GOSLAB_DEV_FILL_BYTE, len);
				}
				snprintf(what, sizeof(what), "%s cache object%s",
					 ctor ? "constructor" : "plain",
					 zero ? ", zeroed" : "");
				bad += !stale_ok(_metadata, !bad, what, len, got, want);
			}
			EXPECT_EQ(0, bad) {
				TH_LOG("%s cache of %u: %u of %u objects hold stale data",
				       ctor ? "constructor" : "plain", len, bad, n);
			}
			total += bad;
			for (k = 0; k < n; k++)
				ASSERT_EQ(0, gs_cache_free(self->fd, c, h[k]));
			ASSERT_EQ(0, gs_cache_destroy(self->fd, c));
		}
	}
	for (i = 0; i < ARRAY_SIZE(stale_alloc_lens); i++) {
		__u64 len = stale_alloc_lens[i];

		n = stale_count(len);
		bad = 0;
		for (k = 0; k < n; k++) {
			__u32 zero = k & 1 ? GOSLAB_ALLOC_ZERO : 0;

			ASSERT_EQ(0, gs_alloc(self->fd, len, zero, &h[k]));
			memset(got, 0xee, len);
			ASSERT_EQ(0, gs_read(self->fd, h[k], 0, len, got));
			memset(want, zero ? 0 : GOSLAB_DEV_FILL_BYTE, len);
			snprintf(what, sizeof(what), "ALLOC%s", zero ? " zeroed" : "");
			bad += !stale_ok(_metadata, !bad, what, len, got, want);
		}
		EXPECT_EQ(0, bad) {
			TH_LOG("ALLOC %llu: %u of %u objects hold stale data",
			       (unsigned long long)len, bad, n);
		}
		total += bad;
		for (k = 0; k < n; k++)
			ASSERT_EQ(0, gs_free(self->fd, h[k]));
	}
	EXPECT_EQ(0, total);
	free(got);
	free(want);
}

TEST_F(dev, stats_track_session)
{
	struct goslab_ioc_stats a, b;
	__u64 h, c;

	ASSERT_EQ(0, gs_snap(self->fd, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(0, a.session_objects);
	EXPECT_EQ(0, a.session_charged);
	EXPECT_EQ(0, a.objects_cached);	/* trimmed */

	ASSERT_EQ(0, gs_alloc(self->fd, 100000, 0, &h));
	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, 0, &c));
	ASSERT_EQ(0, gs_snap(self->fd, &b));
	EXPECT_EQ(a.large_in_use + 1, b.large_in_use);
	EXPECT_EQ(a.objects_in_use + 1, b.objects_in_use);
	EXPECT_LE(a.pages_held + 100000 / PAGE, b.pages_held);
	EXPECT_LE(a.pages_in_use + 100000 / PAGE, b.pages_in_use);
	EXPECT_EQ(1, b.session_objects);
	EXPECT_EQ(1, b.session_caches);
	/* A large object is charged its whole 8 KiB heap pages. */
	EXPECT_EQ(gs_round_up(100000, 8192) + GOSLAB_DEV_OBJ_CHARGE +
		  GOSLAB_DEV_CACHE_CHARGE, b.session_charged);

	ASSERT_EQ(0, gs_free(self->fd, h));
	ASSERT_EQ(0, gs_cache_destroy(self->fd, c));
	ASSERT_EQ(0, gs_snap(self->fd, &b));
	EXPECT_TRUE(gs_stats_same(&a, &b, "alloc+free"));
	EXPECT_LE(a.pages_released, b.pages_released);
}

/* GOSLAB_IOC_STATS shows what debugfs shows, field for field. */
TEST_F(dev, stats_match_debugfs)
{
	static const struct { const char *name; size_t off; } f[] = {
#define F(x) { #x, offsetof(struct goslab_ioc_stats, x) }
		F(pages_held), F(pages_in_use), F(pages_free), F(pages_released),
		F(objects_in_use), F(bytes_in_use), F(objects_cached),
		F(large_in_use), F(debug_double_free), F(debug_invalid_free),
		F(debug_poison_corrupt),
#undef F
	};
	struct goslab_ioc_stats a, b;
	unsigned long long v;
	unsigned int i, seen = 0;
	char name[64];
	FILE *t;
	__u64 h;

	/* Something in every tier, so that the numbers are not all 0. */
	ASSERT_EQ(0, gs_alloc(self->fd, 8, 0, &h));
	ASSERT_EQ(0, gs_alloc(self->fd, 100, 0, &h));
	ASSERT_EQ(0, gs_alloc(self->fd, 100000, 0, &h));
	ASSERT_EQ(0, gs_snap(self->fd, &a));
	t = fopen("/sys/kernel/debug/goslab/totals", "re");
	if (!t)
		SKIP(return, "/sys/kernel/debug/goslab/totals: %s", strerror(errno));
	ASSERT_EQ(0, gs_stats(self->fd, 0, &b));
	ASSERT_TRUE(gs_stats_same(&a, &b, "quiescent"));
	while (fscanf(t, "%63s %llu", name, &v) == 2) {
		for (i = 0; i < ARRAY_SIZE(f); i++) {
			if (strcmp(name, f[i].name))
				continue;
			seen++;
			EXPECT_EQ(v, *(__u64 *)((char *)&a + f[i].off)) {
				TH_LOG("%s: debugfs %llu", name, v);
			}
		}
	}
	fclose(t);
	EXPECT_EQ(ARRAY_SIZE(f), seen);
	EXPECT_LT(0, a.objects_in_use);
}

/* Closing a file with objects and caches in it frees them all. */
TEST_F(dev, close_releases_everything)
{
	struct goslab_ioc_stats a, b, mid;
	unsigned int i;
	__u64 h, c;
	int fd;

	ASSERT_EQ(0, gs_snap(self->fd, &a));
	for (int round = 0; round < 3; round++) {
		fd = gs_open();
		ASSERT_LE(0, fd);
		for (i = 0; i < ARRAY_SIZE(sizes); i++)
			ASSERT_EQ(0, gs_alloc(fd, sizes[i].len, 0, &h));
		for (i = 0; i < 4; i++) {
			ASSERT_EQ(0, gs_cache_create(fd, 100 * (i + 1), 0,
						     i & 1 ? GOSLAB_CACHE_CTOR : 0, &c));
			for (int k = 0; k < 50; k++)
				ASSERT_EQ(0, gs_cache_alloc(fd, c, 0, &h));
		}
		ASSERT_EQ(0, gs_snap(fd, &mid));
		EXPECT_LT(a.pages_held, mid.pages_held);
		EXPECT_EQ(ARRAY_SIZE(sizes) + 200, mid.session_objects);
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(0, gs_snap(self->fd, &b));
		EXPECT_TRUE(gs_stats_same(&a, &b, "close"));
	}
}

/* ---- error paths ---- */

TEST_F(dev, unknown_command)
{
	unsigned char buf[PAGE] = { 0 };
	unsigned long bad[] = {
		_IO(GOSLAB_IOC_MAGIC, 0x14),
		_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x14, 24),
		_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0xff, 24),
		/* A real number with the wrong direction or size bits. */
		_IOC(_IOC_READ, GOSLAB_IOC_MAGIC, 0x01, GOSLAB_ALLOC_SIZE_VER0),
		_IOC(_IOC_NONE, GOSLAB_IOC_MAGIC, 0x01, GOSLAB_ALLOC_SIZE_VER0),
		_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x01, 32),
		_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC, 0x0a, 136),
		_IOC(_IOC_READ | _IOC_WRITE, GOSLAB_IOC_MAGIC + 1, 0x01,
		     GOSLAB_ALLOC_SIZE_VER0),
		0x12345678, 0, ~0UL,
	};
	unsigned int i;

	((struct goslab_ioc_alloc *)buf)->size = GOSLAB_ALLOC_SIZE_VER0;
	((struct goslab_ioc_alloc *)buf)->len = 64;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		FAILS_CLEANLY(self->fd, ENOTTY, gs_ioctl(self->fd, bad[i], buf));
}

/* Size fields below the first version, beyond a page, or with a tail. */
TEST_F(dev, bad_struct_size)
{
	static unsigned char buf[2 * PAGE];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		__u32 *size = (__u32 *)buf;
		unsigned long cmd = cmds[i].cmd;

		memset(buf, 0, sizeof(buf));
		*size = 0;
		FAILS_CLEANLY(self->fd, EINVAL, gs_ioctl(self->fd, cmd, buf));
		*size = cmds[i].ver0 - 1;
		FAILS_CLEANLY(self->fd, EINVAL, gs_ioctl(self->fd, cmd, buf));
		*size = 4;
		FAILS_CLEANLY(self->fd, EINVAL, gs_ioctl(self->fd, cmd, buf));
		*size = PAGE + 1;
		FAILS_CLEANLY(self->fd, E2BIG, gs_ioctl(self->fd, cmd, buf));
		*size = ~0U;
		FAILS_CLEANLY(self->fd, E2BIG, gs_ioctl(self->fd, cmd, buf));
		/* Newer than the kernel, and using the new part: refused. */
		*size = cmds[i].ver0 + 8;
		buf[cmds[i].ver0 + 3] = 1;
		FAILS_CLEANLY(self->fd, E2BIG, gs_ioctl(self->fd, cmd, buf));
		*size = PAGE;
		buf[PAGE - 1] = 1;
		buf[cmds[i].ver0 + 3] = 0;
		FAILS_CLEANLY(self->fd, E2BIG, gs_ioctl(self->fd, cmd, buf));
	}
}

/*
 * Unknown flags and non-zero pads, for every command: EINVAL, though the
 * rest of the struct is one the command accepts, as the same struct with
 * the flags and pads put right then shows.
 */
TEST_F(dev, unknown_flags)
{
	unsigned char buf[256];
	unsigned int i, bit;
	char what[64];
	struct env e;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		ASSERT_EQ(0, env_open(&e)) {
			TH_LOG("%s: setting up", cmds[i].name);
		}
		for (bit = 0; bit < 32; bit++) {
			__u32 flag = 1U << bit;

			if (cmds[i].flags & flag)
				continue;
			valid_arg(&e, i, buf);
			((__u32 *)buf)[1] = flag;
			snprintf(what, sizeof(what), "%s: flags %#x", cmds[i].name, flag);
			FAILS_CLEANLY_AS(e.fd, EINVAL, gs_ioctl(e.fd, cmds[i].cmd, buf), what);
		}
		if (cmds[i].pad) {
			valid_arg(&e, i, buf);
			*(__u32 *)(buf + cmds[i].pad) = 1;
			snprintf(what, sizeof(what), "%s: pad 1", cmds[i].name);
			FAILS_CLEANLY_AS(e.fd, EINVAL, gs_ioctl(e.fd, cmds[i].cmd, buf), what);
			*(__u32 *)(buf + cmds[i].pad) = 0x80000000;
			FAILS_CLEANLY(e.fd, EINVAL, gs_ioctl(e.fd, cmds[i].cmd, buf));
		}
		/* The same arguments, flags and pads 0: accepted. */
		valid_arg(&e, i, buf);
		EXPECT_EQ(0, gs_ioctl(e.fd, cmds[i].cmd, buf)) {
			TH_LOG("%s: valid arguments refused", cmds[i].name);
		}
		close(e.fd);
	}
}

TEST_F(dev, alloc_bad_len)
{
	__u64 h = 0;

	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, 0, 0, &h));
	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, 0, GOSLAB_ALLOC_ZERO, &h));
	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, GOSLAB_DEV_MAX_ALLOC + 1, 0, &h));
	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, 1ULL << 40, 0, &h));
	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, ~0ULL, 0, &h));
	FAILS_CLEANLY(self->fd, EINVAL, gs_alloc(self->fd, ~0ULL - 63, 0, &h));
	EXPECT_EQ(0, h);
}

TEST_F(dev, cache_bad_args)
{
	__u64 c, h;

	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_create(self->fd, 0, 0, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL,
		      gs_cache_create(self->fd, GOSLAB_DEV_MAX_CACHE_OBJ + 1, 0, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_create(self->fd, ~0U, 0, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_create(self->fd, 64, 3, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_create(self->fd, 64, 24, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL,
		      gs_cache_create(self->fd, 64, GOSLAB_DEV_MAX_CACHE_ALIGN * 2, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_create(self->fd, 64, 1U << 31, 0, &c));
	FAILS_CLEANLY(self->fd, EINVAL,
		      gs_cache_create(self->fd, 7, 0, GOSLAB_CACHE_CTOR, &c));

	/* Zeroing would undo a constructor. */
	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, GOSLAB_CACHE_CTOR, &c));
	FAILS_CLEANLY(self->fd, EINVAL,
		      gs_cache_alloc(self->fd, c, GOSLAB_ALLOC_ZERO, &h));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, c));
}

TEST_F(dev, cache_busy_and_mismatch)
{
	__u64 c1, c2, o1, o2, h;

	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, 0, &c1));
	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, 0, &c2));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, c1, 0, &o1));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, c2, 0, &o2));
	ASSERT_EQ(0, gs_alloc(self->fd, 64, 0, &h));

	FAILS_CLEANLY(self->fd, EBUSY, gs_cache_destroy(self->fd, c1));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_free(self->fd, c1, o2));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_free(self->fd, c2, o1));
	FAILS_CLEANLY(self->fd, EINVAL, gs_cache_free(self->fd, c1, h));

	EXPECT_EQ(0, gs_cache_free(self->fd, c1, o1));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, c1));
	EXPECT_EQ(0, gs_free(self->fd, o2));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, c2));
	EXPECT_EQ(0, gs_free(self->fd, h));
}

/* Every way a handle can be wrong, for every command that takes one. */
TEST_F(dev, bad_handles)
{
	__u64 obj, stale, cache, cobj, staleobj, stalecache, other;
	unsigned char b[16] = { 0 };
	struct goslab_ioc_usable u;
	unsigned int i;
	__u64 h;
	int fd2;

	ASSERT_EQ(0, gs_alloc(self->fd, 16, 0, &obj));
	ASSERT_EQ(0, gs_alloc(self->fd, 16, 0, &stale));
	ASSERT_EQ(0, gs_free(self->fd, stale));
	ASSERT_EQ(0, gs_cache_create(self->fd, 16, 0, 0, &cache));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, cache, 0, &cobj));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, cache, 0, &staleobj));
	ASSERT_EQ(0, gs_cache_free(self->fd, cache, staleobj));
	ASSERT_EQ(0, gs_cache_create(self->fd, 16, 0, 0, &stalecache));
	ASSERT_EQ(0, gs_cache_destroy(self->fd, stalecache));
	fd2 = gs_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, gs_alloc(fd2, 16, 0, &other));

	/* Not objects: each must be refused where an object is wanted. */
	__u64 bad_obj[] = {
		0, 1, ~0ULL, 0xffffffff00000000ULL, stale, staleobj,
		obj + (1ULL << 32), obj - (1ULL << 32), obj ^ 1,
		obj & 0xffffffffULL, cache, stalecache, other,
	};
	/* Not caches. */
	__u64 bad_cache[] = {
		0, 1, ~0ULL, stalecache, cache + (1ULL << 32),
		cache & 0xffffffffULL, obj, cobj, stale, other,
	};

	for (i = 0; i < ARRAY_SIZE(bad_obj); i++) {
		h = bad_obj[i];
		FAILS_CLEANLY(self->fd, ENOENT, gs_free(self->fd, h));
		FAILS_CLEANLY(self->fd, ENOENT, gs_read(self->fd, h, 0, 1, b));
		FAILS_CLEANLY(self->fd, ENOENT, gs_write(self->fd, h, 0, 1, b));
		FAILS_CLEANLY(self->fd, ENOENT, gs_read(self->fd, h, 0, 0, b));
		FAILS_CLEANLY(self->fd, ENOENT, gs_usable(self->fd, h, &u));
		FAILS_CLEANLY(self->fd, ENOENT, gs_cache_free(self->fd, cache, h));
	}
	for (i = 0; i < ARRAY_SIZE(bad_cache); i++) {
		h = bad_cache[i];
		FAILS_CLEANLY(self->fd, ENOENT, gs_cache_alloc(self->fd, h, 0, &u.handle));
		FAILS_CLEANLY(self->fd, ENOENT, gs_cache_free(self->fd, h, cobj));
		FAILS_CLEANLY(self->fd, ENOENT, gs_cache_destroy(self->fd, h));
	}
	/* The live ones still work, in their own session only. */
	EXPECT_EQ(0, gs_read(self->fd, obj, 0, 16, b));
	EXPECT_EQ(0, gs_read(fd2, other, 0, 16, b));
	EXPECT_EQ(-ENOENT, gs_read(fd2, obj, 0, 16, b));
	EXPECT_EQ(0, gs_free(self->fd, obj));
	EXPECT_EQ(0, gs_cache_free(self->fd, cache, cobj));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, cache));
	close(fd2);
}

TEST_F(dev, double_free)
{
	__u64 h, c, o;

	ASSERT_EQ(0, gs_alloc(self->fd, 5000, 0, &h));
	ASSERT_EQ(0, gs_free(self->fd, h));
	FAILS_CLEANLY(self->fd, ENOENT, gs_free(self->fd, h));
	ASSERT_EQ(0, gs_cache_create(self->fd, 50, 0, 0, &c));
	ASSERT_EQ(0, gs_cache_alloc(self->fd, c, 0, &o));
	ASSERT_EQ(0, gs_cache_free(self->fd, c, o));
	FAILS_CLEANLY(self->fd, ENOENT, gs_cache_free(self->fd, c, o));
	FAILS_CLEANLY(self->fd, ENOENT, gs_free(self->fd, o));
	ASSERT_EQ(0, gs_cache_destroy(self->fd, c));
	FAILS_CLEANLY(self->fd, ENOENT, gs_cache_destroy(self->fd, c));
}

TEST_F(dev, rw_out_of_range)
{
	static const struct { __u64 off, len; } bad[] = {
		{ 101, 0 }, { 0, 101 }, { 100, 1 }, { 50, 51 }, { 1, 100 },
		{ 1, ~0ULL }, { ~0ULL, 1 }, { ~0ULL, 0 }, { 1ULL << 63, 1ULL << 63 },
		{ 64, ~0ULL - 63 },
	};
	unsigned char pat[100], got[100];
	unsigned int i;
	__u64 h;

	ASSERT_EQ(0, gs_alloc(self->fd, 100, 0, &h));
	gs_pattern(pat, sizeof(pat), 7);
	ASSERT_EQ(0, gs_write(self->fd, h, 0, sizeof(pat), pat));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		FAILS_CLEANLY(self->fd, EINVAL,
			      gs_read(self->fd, h, bad[i].off, bad[i].len, got));
		FAILS_CLEANLY(self->fd, EINVAL,
			      gs_write(self->fd, h, bad[i].off, bad[i].len, got));
	}
	ASSERT_EQ(0, gs_read(self->fd, h, 0, sizeof(got), got));
	EXPECT_EQ(0, memcmp(pat, got, sizeof(got)));
	EXPECT_EQ(0, gs_free(self->fd, h));
}

/* Argument structs that cannot be read, or whose results cannot be written. */
TEST_F(dev, bad_arg_pointer)
{
	unsigned char *guard = gs_map_guarded(PAGE);
	struct goslab_ioc_cache_create *cc;
	struct goslab_ioc_cache_alloc *ca;
	struct goslab_ioc_version *v;
	struct goslab_ioc_usable *u;
	struct goslab_ioc_alloc *a;
	struct goslab_ioc_stats st, *s;
	unsigned char *ro;
	unsigned int i;
	__u64 h, c;

	ASSERT_NE(NULL, guard);
	ASSERT_EQ(0, gs_alloc(self->fd, 64, 0, &h));
	ASSERT_EQ(0, gs_cache_create(self->fd, 64, 0, 0, &c));

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		unsigned long cmd = cmds[i].cmd;
		__u32 ver0 = cmds[i].ver0;
		unsigned char *tail = guard + PAGE - ver0 + 4;

		FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, cmd, NULL));
		FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, cmd, (void *)16));
		FAILS_CLEANLY(self->fd, EFAULT,
			      gs_ioctl(self->fd, cmd, (void *)0xffffffff81000000UL));
		FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, cmd, guard + PAGE));
		/* The size field is readable, the rest of the struct is not. */
		memset(tail, 0, ver0 - 4);
		*(__u32 *)tail = ver0;
		FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, cmd, tail));
		/* A newer struct whose tail beyond ours cannot be read. */
		tail = guard + PAGE - ver0;
		memset(tail, 0, ver0);
		*(__u32 *)tail = ver0 + 8;
		FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, cmd, tail));
	}

	/* Readable but not writable: results cannot get out, so undone. */
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	a = (void *)ro;
	cc = (void *)(ro + 256);
	ca = (void *)(ro + 512);
	u = (void *)(ro + 768);
	v = (void *)(ro + 1024);
	s = (void *)(ro + 1280);
	a->size = sizeof(*a);
	a->len = 100;
	cc->size = sizeof(*cc);
	cc->obj_size = 100;
	ca->size = sizeof(*ca);
	ca->cache = c;
	u->size = sizeof(*u);
	u->handle = h;
	v->size = sizeof(*v);
	s->size = sizeof(*s);
	ASSERT_EQ(0, mprotect(ro, PAGE, PROT_READ));
	FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, GOSLAB_IOC_ALLOC, a));
	FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, GOSLAB_IOC_CACHE_CREATE, cc));
	FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, GOSLAB_IOC_CACHE_ALLOC, ca));
	FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, GOSLAB_IOC_USABLE_SIZE, u));
	FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, GOSLAB_IOC_VERSION, v));
	FAILS_CLEANLY(self->fd, EFAULT, gs_ioctl(self->fd, GOSLAB_IOC_STATS, s));
	/* And the session holds just what it held. */
	ASSERT_EQ(0, gs_stats(self->fd, 0, &st));
	EXPECT_EQ(1, st.session_objects);
	EXPECT_EQ(1, st.session_caches);
	munmap(ro, PAGE);
	EXPECT_EQ(0, gs_free(self->fd, h));
	EXPECT_EQ(0, gs_cache_destroy(self->fd, c));
}

/* Data buffers that fault: a write changes nothing, a read nothing in goslab. */
TEST_F(dev, bad_data_pointer)
{
	enum { LEN = 3 * PAGE };
	unsigned char *half = gs_map_guarded(LEN / 2);
	unsigned char pat[LEN], got[LEN], *ro;
	__u64 h;

	ASSERT_NE(NULL, half);
	ASSERT_EQ(0, gs_alloc(self->fd, LEN, 0, &h));
	gs_pattern(pat, LEN, 3);
	ASSERT_EQ(0, gs_write(self->fd, h, 0, LEN, pat));

	FAILS_CLEANLY(self->fd, EFAULT, gs_write(self->fd, h, 0, LEN, NULL));
	FAILS_CLEANLY(self->fd, EFAULT, gs_write(self->fd, h, 0, 1, (void *)16));
	FAILS_CLEANLY(self->fd, EFAULT,
		      gs_write(self->fd, h, 0, LEN, (void *)0xffff888000000000UL));
	/* Half of it readable: all or nothing. */
	memset(half, 0x11, LEN / 2);
	FAILS_CLEANLY(self->fd, EFAULT, gs_write(self->fd, h, 0, LEN, half));
	FAILS_CLEANLY(self->fd, EFAULT, gs_write(self->fd, h, 100, LEN - 100, half));
	ASSERT_EQ(0, gs_read(self->fd, h, 0, LEN, got));
	EXPECT_EQ(0, memcmp(pat, got, LEN)) {
		TH_LOG("a faulting write changed the object");
	}

	FAILS_CLEANLY(self->fd, EFAULT, gs_read(self->fd, h, 0, LEN, NULL));
	FAILS_CLEANLY(self->fd, EFAULT,
		      gs_read(self->fd, h, 0, LEN, (void *)0xffff888000000000UL));
	FAILS_CLEANLY(self->fd, EFAULT, gs_read(self->fd, h, 0, LEN, half));
	ro = mmap(NULL, LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	FAILS_CLEANLY(self->fd, EFAULT, gs_read(self->fd, h, 0, LEN, ro));
	munmap(ro, LEN);

	ASSERT_EQ(0, gs_read(self->fd, h, 0, LEN, got));
	EXPECT_EQ(0, memcmp(pat, got, LEN));
	EXPECT_EQ(0, gs_free(self->fd, h));
}

/*
 * Fill the session to its cap, with ever smaller objects until even the
 * smallest charge (an 8-byte slot) does not fit: then every allocation
 * is ENOMEM.
 */
TEST_F(dev, session_cap)
{
	static const __u64 lens[] = { 4 * MIB, 64 * 1024, 8192, 1024, 64, 8 };
	struct goslab_ioc_stats st;
	__u64 c, h, first = 0, left;
	unsigned int i;
	int ret, fd2;

	if (self->v.session_cap > 256 * MIB)
		SKIP(return, "session cap %llu KiB is too big to fill here",
		     (unsigned long long)self->v.session_cap / 1024);
	ASSERT_EQ(0, gs_cache_create(self->fd, 100, 0, 0, &c));
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		while (!(ret = gs_alloc(self->fd, lens[i], 0, &h)))
			if (!first)
				first = h;
		ASSERT_EQ(-ENOMEM, ret);
	}
	ASSERT_EQ(0, gs_stats(self->fd, 0, &st));
	left = self->v.session_cap - st.session_charged;
	ASSERT_GT(8 + GOSLAB_DEV_OBJ_CHARGE, left);

	FAILS_CLEANLY(self->fd, ENOMEM, gs_alloc(self->fd, 1, 0, &h));
	FAILS_CLEANLY(self->fd, ENOMEM, gs_alloc(self->fd, 1, GOSLAB_ALLOC_ZERO, &h));
	FAILS_CLEANLY(self->fd, ENOMEM, gs_alloc(self->fd, 2 * MIB, 0, &h));
	FAILS_CLEANLY(self->fd, ENOMEM, gs_alloc(self->fd, GOSLAB_DEV_MAX_ALLOC, 0, &h));
	FAILS_CLEANLY(self->fd, ENOMEM, gs_cache_alloc(self->fd, c, 0, &h));
	FAILS_CLEANLY(self->fd, ENOMEM, gs_cache_create(self->fd, 100, 0, 0, &h));

	/* Room again after a free; other sessions have their own cap. */
	ASSERT_EQ(0, gs_free(self->fd, first));
	EXPECT_EQ(0, gs_cache_alloc(self->fd, c, 0, &h));
	EXPECT_EQ(0, gs_alloc(self->fd, 1000, 0, &h));
	fd2 = gs_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, gs_alloc(fd2, MIB, 0, &h));
	close(fd2);
}

/* The cap is read at open: a smaller one for the next session. */
TEST_F(dev, session_cap_param)
{
	struct goslab_ioc_version v;
	__u64 h;
	int fd2;

	ASSERT_EQ(0, gs_open_capped(16, &fd2, 1));
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, gs_version(fd2, &v));
	EXPECT_EQ(16 * 1024, v.session_cap);
	/* 8192 bytes and the record; the second does not fit. */
	EXPECT_EQ(0, gs_alloc(fd2, 8192, 0, &h));
	FAILS_CLEANLY(fd2, ENOMEM, gs_alloc(fd2, 8192, 0, &h));
	close(fd2);
	/* Ours, opened before, kept its own. */
	ASSERT_EQ(0, gs_version(self->fd, &v));
	EXPECT_EQ(self->v.session_cap, v.session_cap);
}

/*
 * The cap bounds the memory a session pins, not the bytes it asks for:
 * under a 4 MiB cap, allocate objects whose slot is far larger than their
 * length until ENOMEM, and count the pages goslab has in use for them.
 * Each loop stops at twice the cap's worth of slots, should the cap not
 * hold.  "About the cap": the last span of a size may be partly empty.
 */
TEST_F(dev, cap_counts_pinned_memory)
{
	static const struct {
		const char *what;
		__u32 obj_size, align;	/* a cache's; 0: GOSLAB_IOC_ALLOC */
		__u32 gc_data;		/* a GC type's data bytes; 0: not GC */
		__u64 len;
		__u64 slot;		/* memory one object pins at least */
	} loops[] = {
		{ "cache of 1-byte objects aligned to 8192", 1, 8192, 0, 0, 8192 },
		{ "cache of 2049-byte objects aligned to 2048", 2049, 2048, 0, 0, 4096 },
		{ "8193-byte objects", 0, 0, 0, 8193, 9472 },
		{ "32769-byte objects", 0, 0, 0, 32769, 40960 },
		{ "GC objects of 32784 bytes", 0, 0, GOSLAB_DEV_MAX_GC_DATA, 0, 40960 },
	};
	const __u64 cap = 4096 * 1024;
	struct goslab_ioc_stats a, b;
	int fd[ARRAY_SIZE(loops)];
	__u64 c = 0, h, n, limit, pinned, heap;
	unsigned int i;
	int ret = 0;

	/* A session per loop, all opened under the small cap. */
	ASSERT_EQ(0, gs_open_capped(4096, fd, ARRAY_SIZE(loops)));

	for (i = 0; i < ARRAY_SIZE(loops); i++) {
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, gs_snap(fd[i], &a));
		if (loops[i].obj_size)
			ASSERT_EQ(0, gs_cache_create(fd[i], loops[i].obj_size,
						     loops[i].align, 0, &c));
		if (loops[i].gc_data) {
			ASSERT_EQ(0, gs_gc_heap_create(fd[i], GOSLAB_GC_HEAP_MANUAL,
						       &heap));
			ASSERT_EQ(0, gs_gc_type_create(fd[i], heap, 0,
						       loops[i].gc_data, &c));
		}
		limit = 2 * cap / loops[i].slot;
		for (n = 0; n < limit; n++) {
			if (loops[i].gc_data)
				ret = gs_gc_alloc(fd[i], c, &h, NULL);
			else if (loops[i].obj_size)
				ret = gs_cache_alloc(fd[i], c, 0, &h);
			else
				ret = gs_alloc(fd[i], loops[i].len, 0, &h);
			if (ret)
				break;
		}
		ASSERT_EQ(0, gs_snap(fd[i], &b));
		pinned = (b.pages_in_use - a.pages_in_use) * PAGE;
		TH_LOG("%s: %llu objects pin %llu KiB, charged %llu KiB",
		       loops[i].what, (unsigned long long)n,
		       (unsigned long long)pinned / 1024,
		       (unsigned long long)b.session_charged / 1024);
		EXPECT_EQ(-ENOMEM, ret) {
			TH_LOG("%s: no ENOMEM after %llu objects",
			       loops[i].what, (unsigned long long)n);
		}
		EXPECT_GE(cap + cap / 16, pinned) {
			TH_LOG("%s: %llu KiB pinned under a %llu KiB cap",
			       loops[i].what, (unsigned long long)pinned / 1024,
			       (unsigned long long)cap / 1024);
		}
		EXPECT_GE(cap, b.session_charged);
		close(fd[i]);
	}
}

TEST_F(dev, too_many_caches)
{
	__u64 c[GOSLAB_DEV_MAX_CACHES], x;
	unsigned int i;

	for (i = 0; i < GOSLAB_DEV_MAX_CACHES; i++)
		ASSERT_EQ(0, gs_cache_create(self->fd, 8 + i, 0, 0, &c[i]));
	FAILS_CLEANLY(self->fd, ENOSPC, gs_cache_create(self->fd, 8, 0, 0, &x));
	ASSERT_EQ(0, gs_cache_destroy(self->fd, c[0]));
	ASSERT_EQ(0, gs_cache_create(self->fd, 8, 0, 0, &c[0]));
	for (i = 0; i < GOSLAB_DEV_MAX_CACHES; i++)
		ASSERT_EQ(0, gs_cache_destroy(self->fd, c[i]));
}

/* ---- permissions ---- */

/* Failures, not skips: the programs run where goslab.ko is loaded. */
TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(GS_DEV, &st)) {
		TH_LOG(GS_DEV ": %s", strerror(errno));
	}
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
}

/* Dropped to nobody, the device is out of reach; root again cannot be had. */
TEST(unprivileged_open)
{
	int status, fd;
	pid_t pid;

	/* Root can: else the refusal below would prove nothing. */
	fd = gs_open();
	ASSERT_LE(0, fd) {
		TH_LOG("root cannot open " GS_DEV ": %s", strerror(errno));
	}
	close(fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		gid_t none[1] = { 65534 };

		if (setgroups(1, none) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		fd = gs_open();
		if (fd >= 0)
			_exit(11);
		_exit(errno == EACCES ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child: 10 cannot drop privileges, 11 opened, 12 wrong errno");
	}
}

TEST_HARNESS_MAIN
