// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab's ABI under hostile input, for all 20 commands at once:
 * struct sizes older, newer and wrong, unknown command numbers, unknown
 * flags and non-zero pads, argument structs that cannot be read or
 * written back.  Each is refused with its errno and changes no counter,
 * though the rest of the struct is one the command accepts.  On a goslab
 * built without its collector, the GC commands are left out of those
 * tests: gc_commands_follow_feature checks that they answer EOPNOTSUPP.
 */
#include "kselftest_harness.h"
#include "goslab_util.h"
#include "goslab_dev_fixture.h"

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

/* Whether this goslab has command @i: all but the GC ones without GC. */
static bool have_cmd(const struct goslab_ioc_version *v, unsigned int i)
{
	return !gs_is_gc_cmd(cmds[i].cmd) || (v->features & GOSLAB_FEATURE_GC);
}

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

static int env_open(struct env *e, const struct goslab_ioc_version *v)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->fd = gs_open();
	if (e->fd < 0)
		return -errno;
	ret = gs_alloc(e->fd, 64, 0, &e->obj) ?:
	      gs_cache_create(e->fd, 64, 0, 0, &e->cache) ?:
	      gs_cache_alloc(e->fd, e->cache, 0, &e->cobj) ?:
	      gs_cache_create(e->fd, 64, 0, 0, &e->empty);
	if (ret || !(v->features & GOSLAB_FEATURE_GC))
		return ret;
	return gs_gc_heap_create(e->fd, GOSLAB_GC_HEAP_MANUAL, &e->heap) ?:
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

		if (!have_cmd(&self->v, i))
			continue;
		ASSERT_EQ(0, env_open(&e, &self->v)) {
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

		if (!have_cmd(&self->v, i))
			continue;
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
		if (!have_cmd(&self->v, i))
			continue;
		ASSERT_EQ(0, env_open(&e, &self->v)) {
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

		if (!have_cmd(&self->v, i))
			continue;
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

/*
 * The GC commands follow GOSLAB_FEATURE_GC: without it (goslab built
 * without its collector) each is refused with EOPNOTSUPP whatever its
 * struct holds, before the struct is read; with it, each reads its
 * struct (a size below the first version is EINVAL) and GC_HEAP_CREATE
 * works.
 */
TEST_F(dev, gc_commands_follow_feature)
{
	bool gc = self->v.features & GOSLAB_FEATURE_GC;
	unsigned char buf[256];
	unsigned int i, n = 0;
	char what[64];
	__u64 heap;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!gs_is_gc_cmd(cmds[i].cmd))
			continue;
		n++;
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = cmds[i].ver0 - 1;
		snprintf(what, sizeof(what), "%s: size %u", cmds[i].name,
			 cmds[i].ver0 - 1);
		FAILS_CLEANLY_AS(self->fd, gc ? EINVAL : EOPNOTSUPP,
				 gs_ioctl(self->fd, cmds[i].cmd, buf), what);
		if (gc)
			continue;
		*(__u32 *)buf = cmds[i].ver0;
		FAILS_CLEANLY(self->fd, EOPNOTSUPP, gs_ioctl(self->fd, cmds[i].cmd, buf));
		FAILS_CLEANLY(self->fd, EOPNOTSUPP, gs_ioctl(self->fd, cmds[i].cmd, NULL));
	}
	EXPECT_EQ(9, n);
	EXPECT_EQ(gc ? 0 : -EOPNOTSUPP, gs_gc_heap_create(self->fd, 0, &heap));
}

TEST_HARNESS_MAIN
