// SPDX-License-Identifier: GPL-2.0
/*
 * goslab-top: one screen, as text (see screen.h).
 *
 * A screen is a summary (pages, objects, debug, collector), then a table
 * per CPU, one per GC heap, and last the size classes and goslab_caches,
 * sorted, so that a short terminal cuts the longest table.  Rates are the
 * change between this sample and the one before, per second; with no
 * sample before, or a figure missing from either, they print "-".
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "screen.h"

/*
 * Bytes per heap page (goslab's GOSLAB_PAGE_SHIFT, 13).  Used only to
 * derive a row's waste when its file has no waste_bytes column (caches).
 */
#define HEAP_PAGE_BYTES	8192.0

/* Highlight (reverse video) and back, around the sort column's title. */
#define HL_ON	"\033[7m"
#define HL_OFF	"\033[m"

struct column_def {
	const char *title;
	int width;
	int key;
	const char *name;
	const char *help;
};

static const struct column_def columns[COL_COUNT] = {
	[COL_NAME]  = { "NAME", 0, 'n', "name",
			"the size class (its size in bytes, or tiny) or the goslab_cache" },
	[COL_SIZE]  = { "SIZE", 6, 's', "size",
			"bytes per object slot (a cache's elemsize)" },
	[COL_SPANS] = { "SPANS", 6, 'l', "spans", "spans held" },
	[COL_OBJS]  = { "OBJS", 8, 'o', "objects",
			"objects in use (those on CPU lists not counted)" },
	[COL_USE]   = { "USE%", 5, 'u', "use",
			"occupancy: objects in use per object slot of the spans held" },
	[COL_BYTES] = { "BYTES", 10, 'b', "bytes", "bytes in use: OBJS x SIZE" },
	[COL_WASTE] = { "WASTE", 10, 'w', "waste",
			"bytes of the spans held that hold no object in use" },
	[COL_RATE]  = { "MOVED/S", 8, 'r', "rate",
			"objects per second between central and CPU lists (refills + flushes)" },
};

/**
 * column_by_key() - the class table's column a key sorts by
 * @key: the key
 *
 * Return: the column, or -1.
 */
int column_by_key(int key)
{
	int i;

	for (i = 0; i < COL_COUNT; i++)
		if (columns[i].key == key)
			return i;
	return -1;
}

/**
 * column_by_name() - the class table's column of a name (--sort)
 * @name: the name
 *
 * Return: the column, or -1.
 */
int column_by_name(const char *name)
{
	int i;

	for (i = 0; i < COL_COUNT; i++)
		if (!strcmp(columns[i].name, name))
			return i;
	return -1;
}

/**
 * column_name() - a column's name, as --sort takes it
 * @c: the column
 *
 * Return: the name.
 */
const char *column_name(enum column c)
{
	return columns[c].name;
}

/* A row of the class table: a size class or a goslab_cache. */
struct row {
	const char *kind, *name;
	double v[COL_COUNT];
	unsigned int has;	/* 1 << column for each figure known */
};

static void set(struct row *r, enum column c, double v)
{
	r->v[c] = v;
	r->has |= 1u << c;
}

static int known(const struct row *r, enum column c)
{
	return !!(r->has & (1u << c));
}

/* Objects moved between central and CPU lists: refills + flushes. */
static int moved(const struct table *t, int row, long long *v)
{
	long long n;
	int found = 0;

	*v = 0;
	if (table_num(t, row, "refills", &n)) {
		*v += n;
		found = 1;
	}
	if (table_num(t, row, "flushes", &n)) {
		*v += n;
		found = 1;
	}
	return found;
}

/*
 * Row I of T (classes or caches, whose names are in column KEY), with
 * PT, the same file dt seconds before (NULL: none), for its rate.
 */
static void row_fill(struct row *r, const char *kind, const struct table *t,
		     int i, const char *key, const struct table *pt, double dt)
{
	long long size, spans, nelems, npages, objs, cached, n, now, before;
	int has_size, has_spans, has_objs, prow;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->name = table_str(t, i, key);
	if (!r->name)
		r->name = "?";
	has_size = table_num(t, i, "elemsize", &size) ||
		   table_num(t, i, "size", &size);
	if (has_size)
		set(r, COL_SIZE, size);
	has_spans = table_num(t, i, "spans", &spans);
	if (has_spans)
		set(r, COL_SPANS, spans);
	/* Classes say objects_in_use; caches allocated, cached among them. */
	has_objs = table_num(t, i, "objects_in_use", &objs);
	if (!has_objs && table_num(t, i, "allocated", &objs)) {
		has_objs = 1;
		if (table_num(t, i, "cached", &cached))
			objs -= cached < objs ? cached : objs;
	}
	if (has_objs)
		set(r, COL_OBJS, objs);
	if (table_num(t, i, "bytes_in_use", &n))
		set(r, COL_BYTES, n);
	else if (has_objs && has_size)
		set(r, COL_BYTES, (double)objs * size);
	if (has_objs && has_spans && table_num(t, i, "nelems", &nelems))
		set(r, COL_USE, spans * nelems > 0 ? 100.0 * objs / (spans * nelems) : 0);
	if (table_num(t, i, "waste_bytes", &n)) {
		set(r, COL_WASTE, n);
	} else if (has_spans && known(r, COL_BYTES) &&
		   table_num(t, i, "npages", &npages)) {
		double held = spans * npages * HEAP_PAGE_BYTES;

		set(r, COL_WASTE, held > r->v[COL_BYTES] ? held - r->v[COL_BYTES] : 0);
	}
	prow = pt ? table_find(pt, key, r->name) : -1;
	if (prow >= 0 && dt > 0 && moved(t, i, &now) && moved(pt, prow, &before))
		set(r, COL_RATE, (now - before) / dt);
}

static enum column sort_col;
static int sort_rev;

/* Names that are numbers (classes' sizes) compare as numbers. */
static int name_cmp(const char *a, const char *b)
{
	char *ea, *eb;
	double na = strtod(a, &ea), nb = strtod(b, &eb);

	if (ea != a && !*ea && eb != b && !*eb && na != nb)
		return na < nb ? -1 : 1;
	return strcmp(a, b);
}

/* Numbers largest first, names A first; unknown figures always last. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	int c = 0;

	if (sort_col != COL_NAME) {
		if (known(a, sort_col) != known(b, sort_col))
			return known(a, sort_col) ? -1 : 1;
		if (known(a, sort_col) && a->v[sort_col] != b->v[sort_col])
			c = a->v[sort_col] > b->v[sort_col] ? -1 : 1;
	}
	if (!c)
		c = name_cmp(a->name, b->name);
	if (!c)
		c = strcmp(a->kind, b->kind);
	return sort_rev ? -c : c;
}

/* A figure, or "-" if unknown, right-aligned in WIDTH. */
static void put_num(FILE *out, int width, int has, double v, const char *fmt)
{
	char buf[64];

	if (has)
		snprintf(buf, sizeof(buf), fmt, v);
	else
		snprintf(buf, sizeof(buf), "-");
	fprintf(out, " %*s", width, buf);
}

static double kv_or(const struct kv *kv, const char *name, int *has)
{
	long long v;

	*has = kv_num(kv, name, &v);
	return *has ? (double)v : 0;
}

/*
 * A gauge of goslab_stats: from totals, else from heap (pages), and its
 * change per second since the sample before.
 */
static void put_gauge(FILE *out, const struct sample *cur,
		      const struct sample *prev, const char *name,
		      const char *label)
{
	double v, pv = 0, dt;
	int has, phas = 0;

	v = kv_or(&cur->totals, name, &has);
	if (!has)
		v = kv_or(&cur->heap, name, &has);
	if (prev) {
		pv = kv_or(&prev->totals, name, &phas);
		if (!phas)
			pv = kv_or(&prev->heap, name, &phas);
	}
	dt = prev ? cur->when - prev->when : 0;
	if (has)
		fprintf(out, "%.0f %s", v, label);
	else
		fprintf(out, "- %s", label);
	if (has && phas && dt > 0)
		fprintf(out, " (%+.0f/s)", (v - pv) / dt);
	else
		fprintf(out, " (-)");
}

static void put_total(FILE *out, const struct sample *s, const char *name,
		      const char *label)
{
	int has;
	double v = kv_or(&s->totals, name, &has);

	if (has)
		fprintf(out, "%.0f %s", v, label);
	else
		fprintf(out, "- %s", label);
}

static void header(FILE *out, const struct sample *cur,
		   const struct sample *prev, const struct view *v,
		   double waste, int has_waste)
{
	int i, ncpu = cur->cpus.nrows;

	fprintf(out, "goslab-top - ");
	if (cur->uptime >= 0)
		fprintf(out, "up %.2fs", cur->uptime);
	else
		fprintf(out, "up ?");
	fprintf(out, ", %d CPU%s, every %gs, sort %s%s, %s\n", ncpu,
		ncpu == 1 ? "" : "s", v->delay, columns[v->sort].name,
		v->reverse ? " (reversed)" : "", v->root);
	if (!cur->present)
		fprintf(out,
			"(no goslab statistics under %s: is goslab loaded and debugfs mounted?)\n",
			v->root);

	fprintf(out, "Pages:   ");
	put_gauge(out, cur, prev, "pages_held", "held");
	fprintf(out, ", ");
	put_gauge(out, cur, prev, "pages_in_use", "in use");
	fprintf(out, ", ");
	put_gauge(out, cur, prev, "pages_free", "free");
	fprintf(out, ", ");
	put_gauge(out, cur, prev, "pages_released", "released");
	fprintf(out, "\n");

	fprintf(out, "Objects: ");
	put_total(out, cur, "objects_in_use", "in use, ");
	put_total(out, cur, "bytes_in_use", "bytes in use, ");
	put_total(out, cur, "objects_cached", "cached, ");
	put_total(out, cur, "large_in_use", "large, ");
	if (has_waste)
		fprintf(out, "%.0f bytes waste\n", waste);
	else
		fprintf(out, "- bytes waste\n");

	fprintf(out, "Debug:   ");
	if (!(cur->present & (1u << F_DEBUG)))
		fprintf(out, "-");
	for (i = 0; i < cur->debug.n; i++) {
		if (!strcmp(cur->debug.key[i], "enabled"))
			fprintf(out, "%s%s", i ? ", " : "",
				strcmp(cur->debug.val[i], "0") ? "on" : "off");
		else
			fprintf(out, "%s%s %s", i ? ", " : "",
				cur->debug.key[i], cur->debug.val[i]);
	}
	fprintf(out, "\n");

	fprintf(out, "GC:      ");
	if (!(cur->present & (1u << F_GC))) {
		fprintf(out, "no gc file (goslab built without its collector)\n");
		return;
	}
	for (i = 0; i < cur->gc.n; i++)
		fprintf(out, "%s %s, ", cur->gc.key[i], cur->gc.val[i]);
	fprintf(out, "%d heap%s\n", cur->ngc, cur->ngc == 1 ? "" : "s");
}

/* A rate of table T's column NAME for row I, against PT's row of KEY. */
static int table_rate(const struct table *t, int i, const struct table *pt,
		      const char *key, const char *name, double dt, double *r)
{
	long long now, before;
	int prow;

	if (!pt || dt <= 0 || !table_num(t, i, name, &now))
		return 0;
	prow = table_find(pt, key, table_str(t, i, key));
	if (prow < 0 || !table_num(pt, prow, name, &before))
		return 0;
	*r = (now - before) / dt;
	return 1;
}

static void cpu_table(FILE *out, const struct sample *cur,
		      const struct sample *prev)
{
	static const char *const rates[] = { "allocs", "frees", "refills", "flushes" };
	const struct table *pt = prev ? &prev->cpus : NULL;
	double dt = prev ? cur->when - prev->when : 0, r;
	const struct table *t = &cur->cpus;
	long long n;
	unsigned int j;
	int i, has;

	if (!t->nrows)
		return;
	fprintf(out, "\n%4s %9s %9s %9s %9s %9s\n", "CPU", "ALLOCS/S",
		"FREES/S", "REFILLS/S", "FLUSHES/S", "CACHED");
	for (i = 0; i < t->nrows; i++) {
		fprintf(out, "%4s", table_str(t, i, "cpu") ?: "?");
		for (j = 0; j < ARRAY_SIZE(rates); j++) {
			has = table_rate(t, i, pt, "cpu", rates[j], dt, &r);
			put_num(out, 9, has, r, "%.0f");
		}
		has = table_num(t, i, "cached", &n);
		put_num(out, 9, has, n, "%.0f");
		fprintf(out, "\n");
	}
}

/* Nanoseconds in the unit that suits them. */
static void put_ns(FILE *out, int width, int has, double ns)
{
	char buf[32];

	if (!has)
		snprintf(buf, sizeof(buf), "-");
	else if (ns < 1e3)
		snprintf(buf, sizeof(buf), "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, sizeof(buf), "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, sizeof(buf), "%.2fms", ns / 1e6);
	else
		snprintf(buf, sizeof(buf), "%.2fs", ns / 1e9);
	fprintf(out, " %*s", width, buf);
}

/* The widest of a GC heap's names or phases, at least MIN. */
static int gc_width(const struct sample *s, const char *field, int min)
{
	const char *str;
	int i, w = min;

	for (i = 0; i < s->ngc; i++) {
		str = field ? kv_str(&s->gc_heaps[i].kv, field) : s->gc_heaps[i].name;
		if (str && (int)strlen(str) > w)
			w = strlen(str);
	}
	return w;
}

static void gc_table(FILE *out, const struct sample *cur)
{
	int i, has, width = gc_width(cur, NULL, 4);
	int pwidth = gc_width(cur, "phase", 5);
	double v, cycles;

	if (!cur->ngc)
		return;
	fprintf(out, "\n%-*s %-*s %6s %8s %8s %10s %9s %7s %7s\n", width,
		"HEAP", pwidth, "PHASE", "CYCLES", "LIVE_KB", "GOAL_KB",
		"LAST_PAUSE", "MAX_PAUSE", "ASSISTS", "REL/CYC");
	for (i = 0; i < cur->ngc; i++) {
		const struct kv *kv = &cur->gc_heaps[i].kv;

		fprintf(out, "%-*s %-*s", width, cur->gc_heaps[i].name, pwidth,
			kv_str(kv, "phase") ?: "-");
		cycles = kv_or(kv, "cycles", &has);
		put_num(out, 6, has, cycles, "%.0f");
		v = kv_or(kv, "heap_live", &has);
		put_num(out, 8, has, v / 1024, "%.0f");
		v = kv_or(kv, "heap_goal", &has);
		put_num(out, 8, has, v / 1024, "%.0f");
		v = kv_or(kv, "last_pause_ns", &has);
		put_ns(out, 10, has, v);
		v = kv_or(kv, "pause_max_ns", &has);
		put_ns(out, 9, has, v);
		v = kv_or(kv, "assists", &has);
		put_num(out, 7, has, v, "%.0f");
		/* The last cycle's; without it, the mean over all cycles. */
		v = kv_or(kv, "last_released", &has);
		if (!has) {
			v = kv_or(kv, "objects_released", &has);
			has = has && cycles > 0;
			v = has ? v / cycles : 0;
		}
		put_num(out, 7, has, v, "%.0f");
		fprintf(out, "\n");
	}
}

static void class_table(FILE *out, struct row *rows, int n,
			const struct view *v)
{
	int i, c, width = 4;

	for (i = 0; i < n; i++)
		if ((int)strlen(rows[i].name) > width)
			width = strlen(rows[i].name);
	if (width > 24)
		width = 24;
	sort_col = v->sort;
	sort_rev = v->reverse;
	qsort(rows, n, sizeof(*rows), row_cmp);

	fprintf(out, "\n%-5s ", "KIND");
	for (c = 0; c < COL_COUNT; c++) {
		int hl = v->escapes && c == (int)v->sort;
		int w = c == COL_NAME ? -width : columns[c].width;

		fprintf(out, "%s%s%*s%s", c ? " " : "", hl ? HL_ON : "", w,
			columns[c].title, hl ? HL_OFF : "");
	}
	fprintf(out, "\n");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		fprintf(out, "%-5s %-*.*s", r->kind, width, width, r->name);
		for (c = COL_SIZE; c < COL_COUNT; c++)
			put_num(out, columns[c].width, known(r, c), r->v[c],
				c == COL_USE ? "%.1f" : "%.0f");
		fprintf(out, "\n");
	}
}

/**
 * screen_render() - write one screen
 * @out: where
 * @cur: the sample to show
 * @prev: the sample before it, for rates; NULL: none
 * @v: how
 */
void screen_render(FILE *out, const struct sample *cur,
		   const struct sample *prev, const struct view *v)
{
	int i, n = 0, has_waste = 0;
	double dt = prev ? cur->when - prev->when : 0, waste = 0;
	struct row *rows;

	rows = calloc(cur->classes.nrows + cur->caches.nrows + 1, sizeof(*rows));
	if (!rows) {
		perror("goslab-top");
		exit(1);
	}
	/* Waste counts every row; the table hides the classes holding none. */
	for (i = 0; i < cur->classes.nrows; i++) {
		row_fill(&rows[n], "class", &cur->classes, i, "class",
			 prev ? &prev->classes : NULL, dt);
		if (known(&rows[n], COL_WASTE)) {
			waste += rows[n].v[COL_WASTE];
			has_waste = 1;
		}
		if (v->all || !known(&rows[n], COL_SPANS) || rows[n].v[COL_SPANS])
			n++;
	}
	for (i = 0; i < cur->caches.nrows; i++) {
		row_fill(&rows[n], "cache", &cur->caches, i, "name",
			 prev ? &prev->caches : NULL, dt);
		if (known(&rows[n], COL_WASTE)) {
			waste += rows[n].v[COL_WASTE];
			has_waste = 1;
		}
		n++;
	}
	header(out, cur, prev, v, waste, has_waste);
	cpu_table(out, cur, prev);
	gc_table(out, cur);
	class_table(out, rows, n, v);
	free(rows);
}

/**
 * screen_help() - the interactive keys, in place of the tables
 * @out: where
 * @v: the view, for the current sort
 */
void screen_help(FILE *out, const struct view *v)
{
	int i;

	fprintf(out, "goslab-top - help (any key returns)\n\n");
	fprintf(out, "Sort the class table by (now: %s%s):\n",
		columns[v->sort].name, v->reverse ? ", reversed" : "");
	for (i = 0; i < COL_COUNT; i++)
		fprintf(out, "  %c  %-8s %s\n", columns[i].key, columns[i].title,
			columns[i].help);
	fprintf(out, "\n  < >  sort by the column left / right of the current one\n");
	fprintf(out, "  i    reverse the order\n");
	fprintf(out, "  a    show all size classes, or only those holding spans (now: %s)\n",
		v->all ? "all" : "holding spans");
	fprintf(out, "  space  refresh now\n");
	fprintf(out, "  h ?  this help\n");
	fprintf(out, "  q    quit\n");
}
