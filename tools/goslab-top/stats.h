/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab-top: one reading of goslab's debugfs files.
 *
 * Every file is read by its names, never by position: the table files
 * (classes, caches, cpus) by their header line's column names, the others
 * (heap, totals, debug, gc) as "name value" pairs.  A file or a column
 * that is not there reads as absent, and what shows it prints "-".
 */
#ifndef GOSLAB_TOP_STATS_H
#define GOSLAB_TOP_STATS_H

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A file of a header line of column names and one row per line. */
struct table {
	char *text;		/* the file; names and cells point into it */
	int ncols, nrows;
	char **col;		/* column names */
	char ***cell;		/* cell[row][col], NULL past a short row */
};

/* "name value" pairs, several on a line or one a line. */
struct kv {
	char *text;
	int n;
	char **key, **val;
};

/* A block of the gc file: "heap NAME", then the heap's pairs. */
struct gc_heap {
	const char *name;
	struct kv kv;
};

/* The files, for struct sample's present mask. */
enum stat_file {
	F_CLASSES, F_CACHES, F_CPUS, F_HEAP, F_TOTALS, F_DEBUG, F_GC,
	F_COUNT
};

struct sample {
	double when;		/* CLOCK_MONOTONIC, seconds */
	double uptime;		/* ROOT/uptime or /proc/uptime; < 0: unknown */
	unsigned int present;	/* 1 << enum stat_file for each file read */
	struct table classes, caches, cpus;
	struct kv heap, totals, debug;
	struct kv gc;		/* the gc file's lines before its first heap */
	int ngc;
	struct gc_heap *gc_heaps;
};

int sample_read(struct sample *s, const char *root);
void sample_free(struct sample *s);

int table_col(const struct table *t, const char *name);
const char *table_str(const struct table *t, int row, const char *name);
int table_num(const struct table *t, int row, const char *name,
	      long long *v);
int table_find(const struct table *t, const char *name, const char *value);

const char *kv_str(const struct kv *kv, const char *name);
int kv_num(const struct kv *kv, const char *name, long long *v);

#endif
