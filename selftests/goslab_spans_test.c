// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs "spans", "cpus", "classes" and "caches" (Documentation/
 * debugfs.rst): "spans" read whole and in small pieces while other
 * threads allocate and free through /dev/goslab, each read well formed;
 * and at a quiet point every file agrees with the others and with
 * "heap" and "totals": each chunk's runs cover it, the pages of each
 * state add up to the heap's, the objects of the spans to those in use
 * and cached, the objects a CPU's lists hold to objects_cached, and each
 * size class's and cache's refills less flushes to what it handed out.
 */
#include <pthread.h>
#include <sched.h>

#include "kselftest_harness.h"
#include "goslab_util.h"

#define DEBUGFS		"/sys/kernel/debug/goslab/"
/* Kernel pages (PAGE) per 8 KiB heap page. */
#define KPAGES		(8192 / PAGE)
#define SPANS_HEADER	"chunk page npages state owner elemsize nelems nalloc white grey black"

/* A whole debugfs file, NUL-terminated, read @piece bytes per read(). */
static char *slurp(const char *name, size_t piece)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1);
	ssize_t n;
	int fd;

	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (len + piece > cap) {
			cap = 2 * (len + piece);
			buf = realloc(buf, cap + 1);
			if (!buf)
				break;
		}
		n = read(fd, buf + len, piece);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* One line of "spans"; @chunk and @page are -1 for a huge span's "-". */
struct run {
	long chunk, page;
	unsigned long npages;
	char state[16];
	char owner[64];
	unsigned long elemsize, nelems, nalloc;
	int fields;
};

struct spans {
	struct run *r;
	unsigned int n;
};

static const char *const states[] = {
	"class", "cache", "gc", "free", "released", "large", "huge",
};

/*
 * Parse "spans" into @sp.  Return: NULL, or what is wrong with it: the
 * version and column lines, a line's fields, its state, huge spans last
 * and alone in having no chunk.
 */
static const char *parse_spans(char *text, struct spans *sp)
{
	char *line, *save = NULL, c[24], p[24];
	unsigned int i, cap = 0;
	bool huge = false;
	struct run *r;

	sp->n = 0;
	sp->r = NULL;
	line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, "goslab-spans 1"))
		return "no version line";
	line = strtok_r(NULL, "\n", &save);
	if (!line || strcmp(line, SPANS_HEADER))
		return "no column line";
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (sp->n == cap) {
			cap = cap ? 2 * cap : 256;
			sp->r = realloc(sp->r, cap * sizeof(*sp->r));
			if (!sp->r)
				return "out of memory";
		}
		r = &sp->r[sp->n++];
		memset(r, 0, sizeof(*r));
		r->fields = sscanf(line, "%23s %23s %lu %15s %63s %lu %lu %lu",
				   c, p, &r->npages, r->state, r->owner,
				   &r->elemsize, &r->nelems, &r->nalloc);
		if (r->fields < 4)
			return "a line of fewer than 4 fields";
		for (i = 0; i < ARRAY_SIZE(states); i++)
			if (!strcmp(r->state, states[i]))
				break;
		if (i == ARRAY_SIZE(states))
			return "an unknown state";
		if (!strcmp(r->state, "huge")) {
			if (strcmp(c, "-") || strcmp(p, "-"))
				return "a huge span in a chunk";
			r->chunk = -1;
			r->page = -1;
			huge = true;
			continue;
		}
		if (huge)
			return "a run after the huge spans";
		r->chunk = strtol(c, NULL, 10);
		r->page = strtol(p, NULL, 10);
		if ((!strcmp(r->state, "class") || !strcmp(r->state, "cache")) &&
		    r->fields != 8)
			return "a small span's line without its 8 fields";
		if (!strcmp(r->state, "gc") && r->fields != 5 && r->fields < 8)
			return "a GC span's line without its fields";
	}
	return NULL;
}

/* A number in a "name value" file ("heap", "totals"); -1 if absent. */
static long long field(const char *text, const char *name)
{
	size_t len = strlen(name);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, name, len) && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/*
 * Column @col (by the header line's names) of the row of a table file
 * ("classes", "caches", "cpus") whose column @key is @value; -1 if none.
 */
static long long cell(const char *text, const char *key, const char *value,
		      const char *col)
{
	char head[512], row[512], *names[32], *vals[32], *s;
	int nk = -1, nc = -1, n = 0, i;
	const char *p = text, *e;

	e = strchr(p, '\n');
	if (!e || e - p >= (long)sizeof(head))
		return -1;
	memcpy(head, p, e - p);
	head[e - p] = '\0';
	for (s = strtok(head, " "); s && n < 32; s = strtok(NULL, " "))
		names[n++] = s;
	for (i = 0; i < n; i++) {
		if (!strcmp(names[i], key))
			nk = i;
		if (!strcmp(names[i], col))
			nc = i;
	}
	if (nk < 0 || nc < 0)
		return -1;
	for (p = e + 1; *p; p = e + 1) {
		e = strchr(p, '\n');
		if (!e || e - p >= (long)sizeof(row))
			return -1;
		memcpy(row, p, e - p);
		row[e - p] = '\0';
		for (i = 0, s = strtok(row, " "); s && i < 32; s = strtok(NULL, " "))
			vals[i++] = s;
		if (i > nk && i > nc && !strcmp(vals[nk], value))
			return strtoll(vals[nc], NULL, 10);
	}
	return -1;
}

/* The sum of column @col over every row of a table file. */
static long long column_sum(const char *text, const char *key,
			    const char *col)
{
	char value[64];
	const char *p = strchr(text, '\n');
	long long sum = 0, v;

	while (p && p[1]) {
		if (sscanf(p + 1, "%63s", value) != 1)
			break;
		v = cell(text, key, value, col);
		if (v < 0)
			return -1;
		sum += v;
		p = strchr(p + 1, '\n');
	}
	return sum;
}

/* What a worker allocates: sizes of every tier, and a cache's objects. */
struct worker {
	pthread_t thread;
	int fd;
	__u64 cache;
	__u64 seed;
	bool *stop;		/* __atomic */
	unsigned long ops;
	int err;
};

#define WORKER_SLOTS	64

static void *worker_main(void *arg)
{
	static const __u64 sizes[] = { 5, 8, 24, 100, 1000, 3000, 20000, 40000,
				       200000 };
	__u64 h[WORKER_SLOTS] = { 0 }, r;
	bool cached[WORKER_SLOTS] = { false };
	struct worker *w = arg;
	unsigned int i;
	int err = 0;

	while (!__atomic_load_n(w->stop, __ATOMIC_RELAXED) && !err) {
		r = gs_rand(&w->seed);
		i = r % WORKER_SLOTS;
		if (h[i]) {
			err = cached[i] ? gs_cache_free(w->fd, w->cache, h[i]) :
					  gs_free(w->fd, h[i]);
			h[i] = 0;
		} else if ((r >> 8) % 4 == 0) {
			err = gs_cache_alloc(w->fd, w->cache, 0, &h[i]);
			cached[i] = true;
		} else {
			err = gs_alloc(w->fd, sizes[(r >> 16) % ARRAY_SIZE(sizes)],
				       0, &h[i]);
			cached[i] = false;
		}
		w->ops++;
	}
	/* The objects left go with the session. */
	w->err = err;
	return NULL;
}

FIXTURE(spans) {
	int fd;
	struct goslab_ioc_stats base;
	unsigned long taint;
	long long retain_kb;
	bool armed;
};

FIXTURE_SETUP(spans)
{
	self->fd = gs_open();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, self->fd);
	if (access(DEBUGFS "spans", R_OK))
		SKIP(return, DEBUGFS "spans: %s", strerror(errno));
	ASSERT_EQ(0, gs_snap(self->fd, &self->base));
	self->taint = gs_taint();
	/* No scavenger: free heap pages stay free while the files are read. */
	self->retain_kb = gs_scavenger_off();
	ASSERT_LE(0, self->retain_kb);
	self->armed = true;
}

FIXTURE_TEARDOWN(spans)
{
	if (!self->armed)
		return;
	EXPECT_EQ(0, gs_scavenger_on(self->retain_kb));
	gs_check_closed(_metadata, self->fd, &self->base, self->taint,
			"after close");
}

/*
 * "spans" read over and over, whole and a few bytes per read(), while
 * three threads allocate and free every tier: each read is well formed
 * (under lockdep and KASAN on the debug kernel, with no splat).
 */
TEST_F_TIMEOUT(spans, read_while_allocating, 400)
{
	struct worker w[3];
	bool stop = false;
	static const size_t pieces[] = { 1 << 16, 7, 100, 4096 };
	unsigned int i, reads;
	struct spans sp;
	const char *bad;
	__u64 cache;
	char *text;

	ASSERT_EQ(0, gs_cache_create(self->fd, 200, 0, 0, &cache));
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		w[i] = (struct worker){
			.fd = self->fd, .cache = cache, .seed = i + 1,
			.stop = &stop,
		};
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, worker_main,
					    &w[i]));
	}
	for (reads = 0; reads < 40; reads++) {
		text = slurp(DEBUGFS "spans", pieces[reads % ARRAY_SIZE(pieces)]);
		ASSERT_NE(NULL, text);
		bad = parse_spans(text, &sp);
		EXPECT_EQ(NULL, bad) {
			TH_LOG("read %u: %s", reads, bad);
		}
		free(sp.r);
		free(text);
		if (bad)
			break;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		ASSERT_EQ(0, pthread_join(w[i].thread, NULL));
		EXPECT_EQ(0, w[i].err);
		EXPECT_LT(0, w[i].ops);
	}
	printf("# %u reads of spans beside %lu, %lu and %lu ioctls\n", reads,
	       w[0].ops, w[1].ops, w[2].ops);
}

/* Every file at one quiet point. */
struct files {
	char *spans, *heap, *totals, *classes, *caches, *cpus;
};

static void files_free(struct files *f)
{
	free(f->spans);
	free(f->heap);
	free(f->totals);
	free(f->classes);
	free(f->caches);
	free(f->cpus);
}

static bool files_read(struct files *f)
{
	f->spans = slurp(DEBUGFS "spans", 1 << 16);
	f->heap = slurp(DEBUGFS "heap", 1 << 16);
	f->totals = slurp(DEBUGFS "totals", 1 << 16);
	f->classes = slurp(DEBUGFS "classes", 1 << 16);
	f->caches = slurp(DEBUGFS "caches", 1 << 16);
	f->cpus = slurp(DEBUGFS "cpus", 1 << 16);
	return f->spans && f->heap && f->totals && f->classes && f->caches &&
	       f->cpus;
}

/* Log and count a disagreement. */
#define AGREE(bad, a, b)						\
	do {								\
		long long __a = (a), __b = (b);				\
		if (__a != __b) {					\
			printf("# %s: %lld, not %lld\n", #a " == " #b,	\
			       __a, __b);				\
			(bad)++;					\
		}							\
	} while (0)

/*
 * The files at a quiet point against each other; @bad counts what
 * disagrees, each logged.  Return: NULL, or what made the check
 * impossible (a file that does not parse).
 */
static const char *check_quiet(struct files *f, unsigned int *bad)
{
	long long free_runs = 0, held = 0, inuse = 0, nalloc = 0, objects = 0;
	long long chunk = -1, next = 0, chunks = 0, v;
	char *spans = strdup(f->spans);
	const char *err, *table;
	char *p, name[64];
	struct spans sp;
	unsigned int i;
	struct run *r;

	if (!spans)
		return "out of memory";
	err = parse_spans(spans, &sp);
	if (err)
		goto out;
	for (i = 0; i < sp.n; i++) {
		r = &sp.r[i];
		if (!strcmp(r->state, "huge")) {
			held += r->npages;
			inuse += r->npages;
			objects++;
			continue;
		}
		if (r->chunk != chunk) {
			/* The previous chunk ended, a new one starts at 0. */
			AGREE(*bad, r->chunk, chunk + 1);
			AGREE(*bad, r->page, 0);
			chunk = r->chunk;
			chunks++;
		} else {
			AGREE(*bad, r->page, next);
		}
		next = r->page + r->npages;
		if (!strcmp(r->state, "free"))
			free_runs += r->npages;
		if (strcmp(r->state, "released"))
			held += r->npages;
		if (strcmp(r->state, "released") && strcmp(r->state, "free"))
			inuse += r->npages;
		if (!strcmp(r->state, "large"))
			objects++;
		if (!strcmp(r->state, "class") || !strcmp(r->state, "cache"))
			nalloc += r->nalloc;
	}
	AGREE(*bad, chunks, field(f->heap, "chunks"));
	AGREE(*bad, free_runs * KPAGES, field(f->heap, "pages_free"));
	AGREE(*bad, held * KPAGES, field(f->heap, "pages_held"));
	AGREE(*bad, inuse * KPAGES, field(f->heap, "pages_in_use"));
	AGREE(*bad, free_runs * KPAGES, field(f->totals, "pages_free"));
	AGREE(*bad, held * KPAGES, field(f->totals, "pages_held"));
	/* Objects of the spans: in use or on CPU lists. */
	AGREE(*bad, nalloc + objects,
	      field(f->totals, "objects_in_use") +
	      field(f->totals, "objects_cached"));
	AGREE(*bad, column_sum(f->cpus, "cpu", "cached"),
	      field(f->totals, "objects_cached"));

	/* Per size class and cache: spans, lists, refills and flushes. */
	for (table = f->classes; table; table = table == f->classes ? f->caches : NULL) {
		const char *key = table == f->classes ? "class" : "name";
		const char *out = table == f->classes ? "objects_in_use" : "allocated";

		for (p = strchr(table, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
			if (sscanf(p + 1, "%63s", name) != 1)
				break;
			nalloc = 0;
			for (i = 0; i < sp.n; i++)
				if ((!strcmp(sp.r[i].state, "class") ||
				     !strcmp(sp.r[i].state, "cache")) &&
				    !strcmp(sp.r[i].owner, name) &&
				    !strcmp(sp.r[i].state, table == f->classes ?
					    "class" : "cache"))
					nalloc += sp.r[i].nalloc;
			v = cell(table, key, name, out);
			if (table == f->classes)
				v += cell(table, key, name, "cached");
			AGREE(*bad, nalloc, v);
			AGREE(*bad, cell(table, key, name, "refills") -
			      cell(table, key, name, "flushes"), v);
		}
	}
out:
	free(sp.r);
	free(spans);
	return err;
}

/*
 * Some of every tier in use, some freed onto CPU lists, a few pages
 * given back: at a quiet point the files agree.  A freed huge object's
 * pages leave the heap's books in a work item, so the check may wait for
 * the work to run (a few tries, 100 ms apart).
 */
TEST_F(spans, quiet_point_agrees)
{
	static const __u64 sizes[] = { 5, 8, 100, 1000, 3000, 40000, 200000,
				       5 << 20 };
	__u64 h[3 * ARRAY_SIZE(sizes)], ch[40], cache, heap, type;
	unsigned int i, bad, tries;
	struct goslab_ioc_stats st;
	struct files f;
	const char *err;

	ASSERT_EQ(0, gs_cache_create(self->fd, 300, 0, 0, &cache));
	for (i = 0; i < ARRAY_SIZE(h); i++)
		ASSERT_EQ(0, gs_alloc(self->fd, sizes[i % ARRAY_SIZE(sizes)], 0,
				      &h[i]));
	for (i = 0; i < ARRAY_SIZE(ch); i++)
		ASSERT_EQ(0, gs_cache_alloc(self->fd, cache, 0, &ch[i]));
	/* Pages given back: holes in chunks still in use. */
	ASSERT_EQ(0, gs_snap(self->fd, &st));
	for (i = 0; i < ARRAY_SIZE(h); i += 2)
		ASSERT_EQ(0, gs_free(self->fd, h[i]));
	for (i = 0; i < ARRAY_SIZE(ch); i += 3)
		ASSERT_EQ(0, gs_cache_free(self->fd, cache, ch[i]));
	if (gs_has_gc()) {
		ASSERT_EQ(0, gs_gc_heap_create(self->fd, 0, &heap));
		ASSERT_EQ(0, gs_gc_type_create(self->fd, heap, 1, 8, &type));
		for (i = 0; i < 10; i++)
			ASSERT_EQ(0, gs_gc_alloc(self->fd, type, &h[0], NULL));
	}

	for (tries = 1;; tries++) {
		memset(&f, 0, sizeof(f));
		ASSERT_TRUE(files_read(&f));
		bad = 0;
		err = check_quiet(&f, &bad);
		EXPECT_EQ(NULL, err) {
			TH_LOG("%s", err);
		}
		if (err || !bad || tries == 10)
			break;
		files_free(&f);
		usleep(100000);
	}
	EXPECT_EQ(0, bad) {
		TH_LOG("spans:\n%s", f.spans);
	}
	EXPECT_NE(NULL, strstr(f.spans, " class ")) {
		TH_LOG("no span of a size class");
	}
	EXPECT_NE(NULL, strstr(f.spans, " cache dev-")) {
		TH_LOG("no span of a cache");
	}
	EXPECT_NE(NULL, strstr(f.spans, " large\n"));
	EXPECT_NE(NULL, strstr(f.spans, " huge\n"));
	EXPECT_NE(NULL, strstr(f.spans, " released\n"));
	if (gs_has_gc())
		EXPECT_NE(NULL, strstr(f.spans, " gc "));
	printf("# agreed after %u reads\n", tries);
	files_free(&f);
}

/* Column @col of this CPU's line of "cpus". */
static long long cpu_cell(int cpu, const char *col)
{
	char *text = slurp(DEBUGFS "cpus", 1 << 16);
	char id[16];
	long long v;

	if (!text)
		return -1;
	snprintf(id, sizeof(id), "%d", cpu);
	v = cell(text, "cpu", id, col);
	free(text);
	return v;
}

/* Column @col of the row of "caches" whose objsize is @objsize. */
static long long cache_cell(unsigned int objsize, const char *col)
{
	char *text = slurp(DEBUGFS "caches", 1 << 16), name[64], *p;
	unsigned int size;
	long long v = -1;

	if (!text)
		return -1;
	for (p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		if (sscanf(p + 1, "%63s %u", name, &size) == 2 && size == objsize)
			v = cell(text, "name", name, col);
	free(text);
	return v;
}

/*
 * On one CPU: a fresh cache's first allocation refills that CPU's list
 * with a span's objects but one (caches "refills"), each free puts one on
 * it ("cpus" cached), and a trim takes them all back ("flushes").
 */
TEST_F(spans, cpu_cached_and_refills)
{
	/* A size no other test uses: its cache is this one. */
	const unsigned int objsize = 1234;
	long long nelems, cached;
	struct goslab_ioc_stats st;
	char *cpus;
	cpu_set_t one;
	__u64 cache, h[4];
	unsigned int i;
	int cpu;

	cpu = sched_getcpu();
	ASSERT_LE(0, cpu);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));

	ASSERT_EQ(0, gs_cache_create(self->fd, objsize, 0, 0, &cache));
	nelems = cache_cell(objsize, "nelems");
	ASSERT_LT(4, nelems);
	EXPECT_EQ(0, cache_cell(objsize, "refills"));
	cached = cpu_cell(cpu, "cached");
	ASSERT_LE(0, cached);

	for (i = 0; i < ARRAY_SIZE(h); i++)
		ASSERT_EQ(0, gs_cache_alloc(self->fd, cache, 0, &h[i]));
	EXPECT_EQ(nelems, cache_cell(objsize, "refills"));
	EXPECT_EQ(0, cache_cell(objsize, "flushes"));
	EXPECT_EQ(nelems - 4, cache_cell(objsize, "cached"));
	EXPECT_EQ(cached + nelems - 4, cpu_cell(cpu, "cached"));

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, gs_cache_free(self->fd, cache, h[i]));
	EXPECT_EQ(cached + nelems - 1, cpu_cell(cpu, "cached"));
	EXPECT_EQ(nelems - 1, cache_cell(objsize, "cached"));

	/* The trim drains every CPU's lists back to the spans. */
	ASSERT_EQ(0, gs_snap(self->fd, &st));
	EXPECT_EQ(0, cache_cell(objsize, "cached"));
	EXPECT_EQ(nelems - 1, cache_cell(objsize, "flushes"));
	EXPECT_EQ(1, cache_cell(objsize, "allocated"));
	cpus = slurp(DEBUGFS "cpus", 1 << 16);
	ASSERT_NE(NULL, cpus);
	EXPECT_EQ(0, column_sum(cpus, "cpu", "cached"));
	free(cpus);
	ASSERT_EQ(0, gs_cache_free(self->fd, cache, h[3]));
	ASSERT_EQ(0, gs_cache_destroy(self->fd, cache));
}

TEST_HARNESS_MAIN
