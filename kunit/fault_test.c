// SPDX-License-Identifier: GPL-2.0
/*
 * goslab KUnit tests: running out of pages, with fail_page_alloc failing
 * every page allocation of the test thread and of no other.
 */
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "goslab_test.h"

#if defined(CONFIG_FAIL_PAGE_ALLOC) && defined(CONFIG_FAULT_INJECTION_DEBUG_FS)

#define FPA_DIR "/sys/kernel/debug/fail_page_alloc/"

/* Every page allocation of a task with make_it_fail fails, silently. */
static const struct {
	const char *name;
	const char *val;
} fpa_settings[] = {
	{ "task-filter", "Y" },
	{ "probability", "100" },
	{ "interval", "1" },
	{ "times", "-1" },
	{ "space", "0" },
	{ "ignore-gfp-wait", "N" },
	{ "min-order", "0" },
	{ "verbose", "0" },
};

#define FPA_N ARRAY_SIZE(fpa_settings)

/*
 * debugfs attribute files have no read_iter/write_iter, so kernel_read()
 * and kernel_write() refuse them: their ->read and ->write are called on
 * a user buffer, in an mm KUnit gives the test thread.
 */
struct fpa {
	char __user *ubuf;
	char old[FPA_N][32];
	unsigned int nsaved;
};

#define FPA_UBUF	PAGE_SIZE

static int fpa_io(struct fpa *fpa, unsigned int i, char *val, size_t len,
		  bool write)
{
	char path[96];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	snprintf(path, sizeof(path), FPA_DIR "%s", fpa_settings[i].name);
	f = filp_open(path, write ? O_WRONLY : O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	if (write) {
		n = strlen(val);
		if (copy_to_user(fpa->ubuf, val, n))
			n = -EFAULT;
		else if (!f->f_op->write)
			n = -EINVAL;
		else
			n = f->f_op->write(f, fpa->ubuf, n, &pos);
	} else {
		n = f->f_op->read ? f->f_op->read(f, fpa->ubuf, len - 1, &pos) : -EINVAL;
		if (n >= 0 && copy_from_user(val, fpa->ubuf, n))
			n = -EFAULT;
		if (n >= 0) {
			val[n] = '\0';
			strim(val);
		}
	}
	filp_close(f, NULL);
	return n < 0 ? n : 0;
}

/* Puts back what fpa_setup() changed; from the test thread, which has the mm. */
static void fpa_restore(struct fpa *fpa)
{
	while (fpa->nsaved) {
		unsigned int i = --fpa->nsaved;

		if (fpa_io(fpa, i, fpa->old[i], sizeof(fpa->old[i]), true))
			pr_err("goslab_kunit: cannot restore fail_page_alloc/%s\n",
			       fpa_settings[i].name);
	}
}

/* Arms fail_page_alloc; current still has to opt in. */
static int fpa_setup(struct kunit *test, struct fpa *fpa)
{
	char val[32];
	unsigned int i;
	int ret;

	fpa->nsaved = 0;
	fpa->ubuf = (char __user *)kunit_vm_mmap(test, NULL, 0, FPA_UBUF,
						 PROT_READ | PROT_WRITE,
						 MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!fpa->ubuf)
		return -ENOMEM;
	for (i = 0; i < FPA_N; i++) {
		ret = fpa_io(fpa, i, fpa->old[i], sizeof(fpa->old[i]), false);
		if (ret)
			break;
		strscpy(val, fpa_settings[i].val, sizeof(val));
		ret = fpa_io(fpa, i, val, sizeof(val), true);
		if (ret)
			break;
		fpa->nsaved++;
	}
	if (ret) {
		kunit_err(test, "fail_page_alloc/%s: error %d (debugfs mounted?)\n",
			  fpa_settings[i].name, ret);
		fpa_restore(fpa);
	}
	return ret;
}

static void fault_inject(bool on)
{
	current->make_it_fail = on;
}

/* Enough to use up the free objects that partly used spans still have. */
#define FAULT_CAP	32768

static const size_t fault_sizes[] = {
	8, 16, 256, 4096, GS_SMALL_MAX, GS_SMALL_MAX + 1, 1 << 20, 8 << 20,
};

/*
 * With nothing free in the heap, allocating until goslab needs a page must
 * end in NULL, not a crash or a hang; then nothing is leaked and goslab
 * works again.
 */
static void goslab_test_fault_alloc(struct kunit *test)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	unsigned int i, n, got[ARRAY_SIZE(fault_sizes)];
	struct goslab_stats base, st;
	struct fpa *fpa;
	void **objs;

	objs = kunit_kmalloc_array(test, FAULT_CAP, sizeof(*objs), GFP_KERNEL);
	fpa = kunit_kzalloc(test, sizeof(*fpa), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, fpa);
	KUNIT_ASSERT_EQ(test, fpa_setup(test, fpa), 0);
	/* No assertion until fpa_restore(): it must run on this thread. */
	goslab_trim();
	gs_stats(test, &base);

	for (i = 0; i < ARRAY_SIZE(fault_sizes); i++) {
		void *p;

		n = 0;
		fault_inject(true);
		while (n < FAULT_CAP && (p = goslab_alloc(fault_sizes[i], gfp)))
			objs[n++] = p;
		fault_inject(false);
		got[i] = n;
		while (n)
			goslab_free(objs[--n]);
		goslab_trim();
	}
	fpa_restore(fpa);

	for (i = 0; i < ARRAY_SIZE(fault_sizes); i++) {
		KUNIT_EXPECT_LT_MSG(test, got[i], FAULT_CAP,
				    "size %zu: no NULL without pages", fault_sizes[i]);
		/* Nothing was free in the heap: a large object needs new pages. */
		if (fault_sizes[i] > GS_SMALL_MAX)
			KUNIT_EXPECT_EQ_MSG(test, got[i], 0, "size %zu", fault_sizes[i]);
	}

	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use);
	KUNIT_EXPECT_EQ(test, st.bytes_in_use, base.bytes_in_use);
	KUNIT_EXPECT_EQ(test, st.large_in_use, base.large_in_use);
	KUNIT_EXPECT_EQ(test, st.pages_in_use, base.pages_in_use);
	KUNIT_EXPECT_EQ(test, st.pages_free, 0);

	/* Pages again: every size works. */
	for (i = 0; i < ARRAY_SIZE(fault_sizes); i++) {
		void *p = goslab_alloc(fault_sizes[i], GFP_KERNEL);

		KUNIT_EXPECT_NOT_NULL_MSG(test, p, "size %zu after injection", fault_sizes[i]);
		if (p)
			memset(p, 0x77, fault_sizes[i]);
		goslab_free(p);
	}
}

/*
 * Bulk allocation is all or nothing: when the cache runs out of pages part
 * way, the objects already taken go back and 0 is returned.
 */
static void goslab_test_fault_cache_bulk(struct kunit *test)
{
	enum { NR = 4096, FEW = 64 };
	struct goslab_stats base, st;
	struct goslab_cache *c;
	void **objs, *first;
	struct fpa *fpa;
	int ret, few;

	objs = kunit_kmalloc_array(test, NR, sizeof(*objs), GFP_KERNEL);
	fpa = kunit_kzalloc(test, sizeof(*fpa), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, fpa);
	c = goslab_cache_create("goslab_kunit_fault", 64, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	/* One live object keeps a span with free objects in the cache. */
	first = goslab_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_ASSERT_EQ(test, fpa_setup(test, fpa), 0);
	goslab_trim();
	gs_stats(test, &base);

	/*
	 * The failed bulk gives its objects back to this CPU's list, where
	 * the next one must find them: stay on this CPU.
	 */
	migrate_disable();
	fault_inject(true);
	ret = goslab_cache_alloc_bulk(c, GFP_KERNEL | __GFP_NOWARN, NR, objs);
	/* The span's free objects are enough: no page needed. */
	few = goslab_cache_alloc_bulk(c, GFP_KERNEL | __GFP_NOWARN, FEW, objs);
	fault_inject(false);
	migrate_enable();
	fpa_restore(fpa);

	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "bulk of %d without pages", NR);
	if (ret)
		goslab_cache_free_bulk(c, ret, objs);
	KUNIT_EXPECT_EQ_MSG(test, few, FEW, "bulk of %d from a partly used span", FEW);
	if (few)
		goslab_cache_free_bulk(c, few, objs);
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ_MSG(test, st.objects_in_use, base.objects_in_use,
			    "objects leaked by a failed bulk allocation");

	ret = goslab_cache_alloc_bulk(c, GFP_KERNEL, NR, objs);
	KUNIT_EXPECT_EQ(test, ret, NR);
	if (ret)
		goslab_cache_free_bulk(c, ret, objs);
	goslab_cache_free(c, first);
	goslab_cache_destroy(c);
	goslab_trim();
	gs_stats(test, &st);
	KUNIT_EXPECT_EQ(test, st.objects_in_use, base.objects_in_use - 1);
}

#else

static void goslab_test_fault_alloc(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAIL_PAGE_ALLOC and CONFIG_FAULT_INJECTION_DEBUG_FS");
}

static void goslab_test_fault_cache_bulk(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAIL_PAGE_ALLOC and CONFIG_FAULT_INJECTION_DEBUG_FS");
}

#endif

static struct kunit_case goslab_fault_cases[] = {
	KUNIT_CASE(goslab_test_fault_alloc),
	KUNIT_CASE(goslab_test_fault_cache_bulk),
	{}
};

static struct kunit_suite goslab_fault_suite = {
	.name = "goslab_fault",
	.suite_init = gs_suite_init,
	.suite_exit = gs_suite_exit,
	.test_cases = goslab_fault_cases,
};

kunit_test_suite(goslab_fault_suite);
