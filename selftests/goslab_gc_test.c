// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/goslab's GC commands: graphs built from user space, collected by
 * goslab's collector.  Unreachable cycles go, rooted graphs stay with
 * their contents, stores change reachability, bad arguments fail with
 * their errno and change nothing, and closing the file releases it all.
 */
#include "kselftest_harness.h"
#include "goslab_util.h"

#define NEXT		0	/* the pointer field the tests chain through */
#define OTHER		1

FIXTURE(gc) {
	int fd;
	__u64 heap;
	__u64 type;
	struct goslab_ioc_stats base;
	unsigned long taint;
};

FIXTURE_SETUP(gc)
{
	struct goslab_ioc_version v;

	self->fd = gs_open();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, gs_version(self->fd, &v));
	if (!(v.features & GOSLAB_FEATURE_GC))
		SKIP(return, GS_NO_GC);
	ASSERT_EQ(0, gs_snap(self->fd, &self->base));
	self->taint = gs_taint();
	/* Manual: no cycle but those the tests ask for. */
	ASSERT_EQ(0, gs_gc_heap_create(self->fd, GOSLAB_GC_HEAP_MANUAL,
				       &self->heap));
	ASSERT_EQ(0, gs_gc_type_create(self->fd, self->heap, 2, 40,
				       &self->type));
}

FIXTURE_TEARDOWN(gc)
{
	gs_check_closed(_metadata, self->fd, &self->base, self->taint,
			"after close");
}

/* Allocate @n objects, linked @ids[i] -> @ids[i + 1] through NEXT. */
static int chain(int fd, __u64 type, unsigned int n, __u64 *h, __u64 *ids)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = gs_gc_alloc(fd, type, &h[i], &ids[i]);
		if (ret)
			return ret;
		if (i) {
			ret = gs_gc_store(fd, h[i - 1], NEXT, h[i]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

TEST_F(gc, unreachable_cycles_are_collected)
{
	struct goslab_ioc_gc_stats st;
	__u64 h[3], ids[3], self_h, self_id;
	unsigned int i;

	/* A triangle: 0 -> 1 -> 2 -> 0. */
	ASSERT_EQ(0, chain(self->fd, self->type, 3, h, ids));
	ASSERT_EQ(0, gs_gc_store(self->fd, h[2], NEXT, h[0]));
	/* A self-loop. */
	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &self_h, &self_id));
	ASSERT_EQ(0, gs_gc_store(self->fd, self_h, NEXT, self_h));

	/* Held by their handles, they survive a collection. */
	ASSERT_EQ(0, gs_gc_collect(self->fd, self->heap));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(1, gs_gc_alive(self->fd, ids[i]));
	EXPECT_EQ(1, gs_gc_alive(self->fd, self_id));
	ASSERT_EQ(0, gs_gc_stats(self->fd, self->heap, &st));
	EXPECT_EQ(4, st.live_objects);
	EXPECT_EQ(4, st.handles);

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, gs_gc_drop(self->fd, h[i]));
	ASSERT_EQ(0, gs_gc_drop(self->fd, self_h));
	ASSERT_EQ(0, gs_gc_collect(self->fd, self->heap));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, gs_gc_alive(self->fd, ids[i]));
	EXPECT_EQ(0, gs_gc_alive(self->fd, self_id));
	ASSERT_EQ(0, gs_gc_stats(self->fd, self->heap, &st));
	EXPECT_EQ(0, st.live_objects);
	EXPECT_EQ(0, st.handles);
	EXPECT_LE(4, st.objects_released);
	EXPECT_LE(2, st.cycles);
	EXPECT_EQ(0, st.bad_pointers);
}

TEST_F(gc, rooted_chain_survives)
{
	__u64 h[6], ids[6], cur, next, id;
	unsigned int i;

	ASSERT_EQ(0, chain(self->fd, self->type, 6, h, ids));
	/* Only the head keeps a handle. */
	for (i = 1; i < 6; i++)
		ASSERT_EQ(0, gs_gc_drop(self->fd, h[i]));
	for (int round = 0; round < 2; round++) {
		ASSERT_EQ(0, gs_gc_collect(self->fd, self->heap));
		for (i = 0; i < 6; i++)
			EXPECT_EQ(1, gs_gc_alive(self->fd, ids[i]));
	}

	/* The contents: walk the chain, each link to the next id. */
	cur = h[0];
	for (i = 1; i < 6; i++) {
		ASSERT_EQ(0, gs_gc_load(self->fd, cur, NEXT, &next, &id));
		ASSERT_NE(0, next);
		EXPECT_EQ(ids[i], id);
		/* The other field was never written. */
		ASSERT_EQ(0, gs_gc_load(self->fd, next, OTHER, &h[i], &id));
		EXPECT_EQ(0, h[i]);
		EXPECT_EQ(0, id);
		if (cur != h[0])
			ASSERT_EQ(0, gs_gc_drop(self->fd, cur));
		cur = next;
	}
	ASSERT_EQ(0, gs_gc_load(self->fd, cur, NEXT, &next, &id));
	EXPECT_EQ(0, next);
	EXPECT_EQ(0, id);
	ASSERT_EQ(0, gs_gc_drop(self->fd, cur));

	/* Cutting the chain after the third frees the rest. */
	ASSERT_EQ(0, gs_gc_load(self->fd, h[0], NEXT, &next, NULL));
	ASSERT_EQ(0, gs_gc_load(self->fd, next, NEXT, &cur, NULL));
	ASSERT_EQ(0, gs_gc_store(self->fd, cur, NEXT, 0));
	ASSERT_EQ(0, gs_gc_drop(self->fd, next));
	ASSERT_EQ(0, gs_gc_drop(self->fd, cur));
	ASSERT_EQ(0, gs_gc_collect(self->fd, self->heap));
	for (i = 0; i < 6; i++)
		EXPECT_EQ(i < 3, gs_gc_alive(self->fd, ids[i]));
}

TEST_F(gc, store_and_clear_change_reachability)
{
	__u64 a, b, c, a_id, b_id, c_id, got, got_id;

	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &a, &a_id));
	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &b, &b_id));
	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &c, &c_id));
	ASSERT_EQ(0, gs_gc_store(self->fd, a, OTHER, b));
	ASSERT_EQ(0, gs_gc_drop(self->fd, b));
	ASSERT_EQ(0, gs_gc_collect(self->fd, self->heap));
	EXPECT_EQ(1, gs_gc_alive(self->fd, b_id));

	/* Overwrite b with c: b goes, c stays without its handle. */
	ASSERT_EQ(0, gs_gc_store(self->fd, a, OTHER, c));
	ASSERT_EQ(0, gs_gc_drop(self->fd, c));
	ASSERT_EQ(0, gs_gc_collect(self->fd, self->heap));
	EXPECT_EQ(0, gs_gc_alive(self->fd, b_id));
	EXPECT_EQ(1, gs_gc_alive(self->fd, c_id));

	/* A loaded handle keeps c after the field is cleared. */
	ASSERT_EQ(0, gs_gc_load(self->fd, a, OTHER, &got, &got_id));
	EXPECT_EQ(c_id, got_id);
	ASSERT_EQ(0, gs_gc_store(self->fd, a, OTHER, 0));
	ASSERT_EQ(0, gs_gc_collect(self->fd, self->heap));
	EXPECT_EQ(1, gs_gc_alive(self->fd, c_id));
	ASSERT_EQ(0, gs_gc_drop(self->fd, got));
	ASSERT_EQ(0, gs_gc_collect(self->fd, self->heap));
	EXPECT_EQ(0, gs_gc_alive(self->fd, c_id));
	EXPECT_EQ(1, gs_gc_alive(self->fd, a_id));

	/* Ids are never reused. */
	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &b, &b_id));
	EXPECT_LT(c_id, b_id);
	EXPECT_EQ(-ENOENT, gs_gc_alive(self->fd, b_id + 1));
}

/* Expect @call to fail with @err, leaving goslab and the heap as they were. */
#define GC_FAILS_CLEANLY(err, call)					\
	do {								\
		struct goslab_ioc_stats __b, __a;			\
		struct goslab_ioc_gc_stats __gb, __ga;			\
									\
		ASSERT_EQ(0, gs_snap(self->fd, &__b));			\
		ASSERT_EQ(0, gs_gc_stats(self->fd, self->heap, &__gb));	\
		EXPECT_EQ(-(err), (call)) {				\
			TH_LOG("%s", #call);				\
		}							\
		ASSERT_EQ(0, gs_snap(self->fd, &__a));			\
		ASSERT_EQ(0, gs_gc_stats(self->fd, self->heap, &__ga));	\
		EXPECT_TRUE(gs_stats_same(&__b, &__a, #call));		\
		EXPECT_EQ(__gb.objects, __ga.objects);			\
		EXPECT_EQ(__gb.live_objects, __ga.live_objects);	\
		EXPECT_EQ(__gb.handles, __ga.handles);			\
	} while (0)

TEST_F(gc, bad_inputs)
{
	struct goslab_ioc_gc_store st = { .size = sizeof(st) };
	struct goslab_ioc_gc_load ld = { .size = sizeof(ld) };
	struct goslab_ioc_gc_alive al = { .size = sizeof(al) };
	struct goslab_ioc_gc_heap_create hc = { .size = sizeof(hc) };
	struct goslab_ioc_gc_type_create tc = { .size = sizeof(tc) };
	struct goslab_ioc_gc_alloc ga = { .size = sizeof(ga) };
	__u64 a, b, a_id, obj, heap2, type2, x, dropped, dropped_id;

	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &a, &a_id));
	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &b, NULL));
	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &dropped, &dropped_id));
	ASSERT_EQ(0, gs_gc_drop(self->fd, dropped));
	ASSERT_EQ(0, gs_alloc(self->fd, 64, 0, &obj));
	ASSERT_EQ(0, gs_gc_heap_create(self->fd, GOSLAB_GC_HEAP_MANUAL, &heap2));
	ASSERT_EQ(0, gs_gc_type_create(self->fd, heap2, 1, 0, &type2));

	/* Unknown flags and nonzero pad. */
	hc.flags = 2;
	GC_FAILS_CLEANLY(EINVAL, gs_ioctl(self->fd, GOSLAB_IOC_GC_HEAP_CREATE, &hc));
	tc.heap = self->heap;
	tc.flags = 1;
	GC_FAILS_CLEANLY(EINVAL, gs_ioctl(self->fd, GOSLAB_IOC_GC_TYPE_CREATE, &tc));
	ga.type = self->type;
	ga.flags = 1;
	GC_FAILS_CLEANLY(EINVAL, gs_ioctl(self->fd, GOSLAB_IOC_GC_ALLOC, &ga));
	st.dst = a;
	st.pad = 1;
	GC_FAILS_CLEANLY(EINVAL, gs_ioctl(self->fd, GOSLAB_IOC_GC_STORE, &st));
	ld.src = a;
	ld.pad = 1;
	GC_FAILS_CLEANLY(EINVAL, gs_ioctl(self->fd, GOSLAB_IOC_GC_LOAD, &ld));
	al.id = a_id;
	al.pad = 1;
	GC_FAILS_CLEANLY(EINVAL, gs_ioctl(self->fd, GOSLAB_IOC_GC_ALIVE, &al));
	/* A struct shorter than its first version; none at all. */
	hc.flags = 0;
	hc.size = 8;
	GC_FAILS_CLEANLY(EINVAL, gs_ioctl(self->fd, GOSLAB_IOC_GC_HEAP_CREATE, &hc));
	GC_FAILS_CLEANLY(EFAULT, gs_ioctl(self->fd, GOSLAB_IOC_GC_ALLOC, NULL));

	/* Layouts out of bounds. */
	GC_FAILS_CLEANLY(EINVAL, gs_gc_type_create(self->fd, self->heap,
						   GOSLAB_DEV_MAX_GC_PTRS + 1, 0, &x));
	GC_FAILS_CLEANLY(EINVAL, gs_gc_type_create(self->fd, self->heap, 0,
						   GOSLAB_DEV_MAX_GC_DATA + 1, &x));

	/* Handles of the wrong kind, stale, or made up. */
	GC_FAILS_CLEANLY(ENOENT, gs_gc_type_create(self->fd, obj, 1, 0, &x));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_type_create(self->fd, self->type, 1, 0, &x));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_alloc(self->fd, self->heap, &x, NULL));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_alloc(self->fd, 0, &x, NULL));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_alloc(self->fd, self->type ^ (1ULL << 40),
					     &x, NULL));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_store(self->fd, dropped, NEXT, a));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_store(self->fd, a, NEXT, dropped));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_store(self->fd, obj, NEXT, a));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_store(self->fd, a, NEXT, self->type));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_load(self->fd, dropped, NEXT, &x, NULL));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_drop(self->fd, dropped));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_drop(self->fd, self->heap));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_collect(self->fd, a));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_stats(self->fd, self->type,
					     &(struct goslab_ioc_gc_stats){}));
	EXPECT_EQ(-ENOENT, gs_free(self->fd, a));
	EXPECT_EQ(-ENOENT, gs_read(self->fd, a, 0, 1, &x));

	/* Fields out of the type, and a pointer into another heap. */
	GC_FAILS_CLEANLY(EINVAL, gs_gc_store(self->fd, a, 2, b));
	GC_FAILS_CLEANLY(EINVAL, gs_gc_store(self->fd, a, ~0U, 0));
	GC_FAILS_CLEANLY(EINVAL, gs_gc_load(self->fd, a, 2, &x, NULL));
	ASSERT_EQ(0, gs_gc_alloc(self->fd, type2, &x, NULL));
	GC_FAILS_CLEANLY(EINVAL, gs_gc_store(self->fd, a, NEXT, x));
	GC_FAILS_CLEANLY(EINVAL, gs_gc_store(self->fd, x, 0, a));

	/* Ids never given out; a dead one is not an error. */
	GC_FAILS_CLEANLY(ENOENT, gs_gc_alive(self->fd, 0));
	GC_FAILS_CLEANLY(ENOENT, gs_gc_alive(self->fd, ~0ULL));
	ASSERT_EQ(0, gs_gc_collect(self->fd, self->heap));
	EXPECT_EQ(0, gs_gc_alive(self->fd, dropped_id));
	EXPECT_EQ(1, gs_gc_alive(self->fd, a_id));

	/* Nothing above touched the graph. */
	ASSERT_EQ(0, gs_gc_load(self->fd, a, NEXT, &x, NULL));
	EXPECT_EQ(0, x);
	ASSERT_EQ(0, gs_gc_load(self->fd, a, OTHER, &x, NULL));
	EXPECT_EQ(0, x);
}

/* Results that cannot be written back: the new handles are dropped again. */
TEST_F(gc, results_not_writable)
{
	struct goslab_ioc_gc_stats before, after;
	struct goslab_ioc_gc_alloc *ga;
	struct goslab_ioc_gc_load *ld;
	size_t page = getpagesize();
	__u64 a, b, b_id, id;
	char *ro;

	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &a, NULL));
	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &b, &b_id));
	ASSERT_EQ(0, gs_gc_store(self->fd, a, NEXT, b));
	ASSERT_EQ(0, gs_gc_drop(self->fd, b));
	ro = mmap(NULL, page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ga = (void *)ro;
	ga->size = sizeof(*ga);
	ga->type = self->type;
	ld = (void *)(ro + 128);
	ld->size = sizeof(*ld);
	ld->src = a;
	ld->field = NEXT;
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ));

	ASSERT_EQ(0, gs_gc_stats(self->fd, self->heap, &before));
	EXPECT_EQ(-EFAULT, gs_ioctl(self->fd, GOSLAB_IOC_GC_ALLOC, ga));
	EXPECT_EQ(-EFAULT, gs_ioctl(self->fd, GOSLAB_IOC_GC_LOAD, ld));
	ASSERT_EQ(0, gs_gc_stats(self->fd, self->heap, &after));
	EXPECT_EQ(before.handles, after.handles);
	/* The object GC_ALLOC made is garbage: a collection releases it. */
	ASSERT_EQ(0, gs_gc_collect(self->fd, self->heap));
	ASSERT_EQ(0, gs_gc_stats(self->fd, self->heap, &after));
	EXPECT_EQ(before.live_objects, after.live_objects);
	EXPECT_EQ(1, gs_gc_alive(self->fd, b_id));
	EXPECT_EQ(0, gs_gc_alive(self->fd, b_id + 1));
	/* Its id is not given out again. */
	ASSERT_EQ(0, gs_gc_alloc(self->fd, self->type, &a, &id));
	EXPECT_EQ(b_id + 2, id);
	munmap(ro, page);
}

/*
 * A GC heap whose handle cannot be written back stays with the session,
 * charged, until it closes: another thread may be using it already,
 * having guessed the handle.  It counts against the cap and against
 * GOSLAB_DEV_MAX_GC_HEAPS.
 */
TEST_F(gc, heap_not_writable_stays)
{
	struct goslab_ioc_gc_heap_create *hc;
	struct goslab_ioc_stats before, after;
	size_t page = getpagesize();
	char *ro;
	__u64 h;
	int i;

	ro = mmap(NULL, page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	hc = (void *)ro;
	hc->size = sizeof(*hc);
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ));
	ASSERT_EQ(0, gs_stats(self->fd, 0, &before));
	EXPECT_EQ(-EFAULT, gs_ioctl(self->fd, GOSLAB_IOC_GC_HEAP_CREATE, hc));
	ASSERT_EQ(0, gs_stats(self->fd, 0, &after));
	EXPECT_EQ(before.session_charged + GOSLAB_DEV_GC_HEAP_CHARGE,
		  after.session_charged);
	/* The fixture's heap and that one: room for the rest only. */
	for (i = 2; i < GOSLAB_DEV_MAX_GC_HEAPS; i++)
		ASSERT_EQ(0, gs_gc_heap_create(self->fd, 0, &h));
	GC_FAILS_CLEANLY(ENOSPC, gs_gc_heap_create(self->fd, 0, &h));
	munmap(ro, page);
}

TEST_F(gc, too_many_heaps)
{
	__u64 h;
	int i;

	/* The fixture made one. */
	for (i = 1; i < GOSLAB_DEV_MAX_GC_HEAPS; i++)
		ASSERT_EQ(0, gs_gc_heap_create(self->fd, 0, &h));
	GC_FAILS_CLEANLY(ENOSPC, gs_gc_heap_create(self->fd, 0, &h));
}

/* Closing a file with live GC objects, reachable or not, releases all. */
TEST_F(gc, close_releases_everything)
{
	struct goslab_ioc_stats a, mid, b;
	struct goslab_ioc_gc_stats st;
	__u64 heap, type, big, h[64], ids[64], x;
	unsigned int i;
	int fd;

	ASSERT_EQ(0, gs_snap(self->fd, &a));
	for (int round = 0; round < 2; round++) {
		fd = gs_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, gs_gc_heap_create(fd, round ? 0 : GOSLAB_GC_HEAP_MANUAL,
					       &heap));
		ASSERT_EQ(0, gs_gc_type_create(fd, heap, 2, 0, &type));
		ASSERT_EQ(0, gs_gc_type_create(fd, heap, 1, GOSLAB_DEV_MAX_GC_DATA,
					       &big));
		/* A rooted chain, a dropped cycle, and large objects. */
		ASSERT_EQ(0, chain(fd, type, 64, h, ids));
		ASSERT_EQ(0, gs_gc_store(fd, h[63], NEXT, h[32]));
		for (i = 32; i < 64; i++)
			ASSERT_EQ(0, gs_gc_drop(fd, h[i]));
		for (i = 0; i < 64; i++) {
			ASSERT_EQ(0, gs_gc_alloc(fd, big, &x, NULL));
			ASSERT_EQ(0, gs_gc_store(fd, h[i % 32], OTHER, x));
			ASSERT_EQ(0, gs_gc_drop(fd, x));
		}
		ASSERT_EQ(0, gs_gc_stats(fd, heap, &st));
		/* Round 1 lets the pacer run cycles: the cycle may be gone. */
		if (!round)
			EXPECT_EQ(128, st.live_objects);
		EXPECT_EQ(32, st.handles);
		ASSERT_EQ(0, gs_snap(fd, &mid));
		EXPECT_LT(a.pages_held, mid.pages_held);
		EXPECT_LT(64 * GOSLAB_DEV_MAX_GC_DATA, mid.session_charged);
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(0, gs_snap(self->fd, &b));
		EXPECT_TRUE(gs_stats_same(&a, &b, "close"));
		EXPECT_EQ(a.pages_held, b.pages_held);
	}
}

TEST_HARNESS_MAIN
