// SPDX-License-Identifier: GPL-2.0
/*
 * goslab-top: reading goslab's debugfs files (see stats.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

static const char *const file_names[F_COUNT] = {
	[F_CLASSES]	= "classes",
	[F_CACHES]	= "caches",
	[F_CPUS]	= "cpus",
	[F_HEAP]	= "heap",
	[F_TOTALS]	= "totals",
	[F_DEBUG]	= "debug",
	[F_GC]		= "gc",
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		perror("goslab-top");
		exit(1);
	}
	return p;
}

/* The whole of DIR/NAME, NUL-terminated; NULL if it cannot be read. */
static char *read_file(const char *dir, const char *name)
{
	size_t len = 0, size = 4096;
	char path[4096], *buf;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = xrealloc(NULL, size);
	/* debugfs files have no size: read to the end. */
	for (;;) {
		if (len + 1 >= size)
			buf = xrealloc(buf, size *= 2);
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * The next line of *p, NUL-terminated in place, or NULL at the end;
 * carriage returns (a console log's) are cut off.
 */
static char *next_line(char **p)
{
	char *line = *p, *end;

	if (!line || !*line)
		return NULL;
	end = strchr(line, '\n');
	if (end) {
		*end = '\0';
		*p = end + 1;
	} else {
		*p = NULL;
	}
	end = strchr(line, '\r');
	if (end)
		*end = '\0';
	return line;
}

/* The words of LINE, NUL-terminated in place; returns how many. */
static int split(char *line, char ***words)
{
	char *w, *save = NULL;
	int n = 0;

	for (w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		*words = xrealloc(*words, (n + 1) * sizeof(**words));
		(*words)[n++] = w;
	}
	return n;
}

/* A version line: "goslab-NAME N", ahead of a table's column names. */
static int is_version_line(char **w, int n)
{
	return n == 2 && !strncmp(w[0], "goslab-", 7);
}

static void table_parse(struct table *t, char *text)
{
	char *p = text, *line, **w = NULL;
	int n;

	memset(t, 0, sizeof(*t));
	t->text = text;
	while ((line = next_line(&p))) {
		n = split(line, &w);
		if (!n)
			continue;
		if (!t->col) {
			if (is_version_line(w, n))
				continue;
			t->col = w;
			t->ncols = n;
			w = NULL;
			continue;
		}
		/* Cells past the header's names are dropped; missing ones NULL. */
		w = xrealloc(w, (t->ncols > n ? t->ncols : n) * sizeof(*w));
		while (n < t->ncols)
			w[n++] = NULL;
		t->cell = xrealloc(t->cell, (t->nrows + 1) * sizeof(*t->cell));
		t->cell[t->nrows++] = w;
		w = NULL;
	}
	free(w);
}

static void table_free(struct table *t)
{
	int i;

	for (i = 0; i < t->nrows; i++)
		free(t->cell[i]);
	free(t->cell);
	free(t->col);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

/* Appends the pairs of a line already split into N words. */
static void kv_add(struct kv *kv, char **w, int n)
{
	int i;

	for (i = 0; i + 1 < n; i += 2) {
		kv->key = xrealloc(kv->key, (kv->n + 1) * sizeof(*kv->key));
		kv->val = xrealloc(kv->val, (kv->n + 1) * sizeof(*kv->val));
		kv->key[kv->n] = w[i];
		kv->val[kv->n++] = w[i + 1];
	}
}

static void kv_parse(struct kv *kv, char *text)
{
	char *p = text, *line, **w = NULL;
	int n;

	memset(kv, 0, sizeof(*kv));
	kv->text = text;
	while ((line = next_line(&p))) {
		n = split(line, &w);
		kv_add(kv, w, n);
	}
	free(w);
}

static void kv_free(struct kv *kv)
{
	free(kv->key);
	free(kv->val);
	free(kv->text);
	memset(kv, 0, sizeof(*kv));
}

/*
 * The gc file: its first lines (the parameters) in s->gc, then one block
 * per heap, begun by an unindented "heap NAME" line; NAME is the rest of
 * that line.
 */
static void gc_parse(struct sample *s, char *text)
{
	char *p = text, *line, **w = NULL;
	struct kv *cur = &s->gc;
	int n;

	memset(&s->gc, 0, sizeof(s->gc));
	s->gc.text = text;
	while ((line = next_line(&p))) {
		if (!strncmp(line, "heap ", 5)) {
			line += 5;
			line += strspn(line, " \t");
			s->gc_heaps = xrealloc(s->gc_heaps,
					       (s->ngc + 1) * sizeof(*s->gc_heaps));
			memset(&s->gc_heaps[s->ngc], 0, sizeof(*s->gc_heaps));
			s->gc_heaps[s->ngc].name = line;
			cur = &s->gc_heaps[s->ngc++].kv;
			continue;
		}
		n = split(line, &w);
		kv_add(cur, w, n);
	}
	free(w);
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ROOT/uptime, as a snapshot keeps it, else the system's. */
static double read_uptime(const char *root)
{
	char *text = read_file(root, "uptime");
	double up = -1;

	if (!text)
		text = read_file("/proc", "uptime");
	if (text && sscanf(text, "%lf", &up) != 1)
		up = -1;
	free(text);
	return up;
}

/**
 * sample_read() - read every file under ROOT into S
 * @s: filled in; sample_free() it
 * @root: the debugfs directory
 *
 * Return: the number of files read (0: nothing there).
 */
int sample_read(struct sample *s, const char *root)
{
	char *text[F_COUNT];
	int i, n = 0;

	memset(s, 0, sizeof(*s));
	s->when = monotonic();
	s->uptime = read_uptime(root);
	for (i = 0; i < F_COUNT; i++) {
		text[i] = read_file(root, file_names[i]);
		if (text[i]) {
			s->present |= 1u << i;
			n++;
		} else {
			/* Parsed empty, so that readers need not check. */
			text[i] = xrealloc(NULL, 1);
			text[i][0] = '\0';
		}
	}
	table_parse(&s->classes, text[F_CLASSES]);
	table_parse(&s->caches, text[F_CACHES]);
	table_parse(&s->cpus, text[F_CPUS]);
	kv_parse(&s->heap, text[F_HEAP]);
	kv_parse(&s->totals, text[F_TOTALS]);
	kv_parse(&s->debug, text[F_DEBUG]);
	gc_parse(s, text[F_GC]);
	return n;
}

/**
 * sample_free() - release what sample_read() allocated
 * @s: the sample
 */
void sample_free(struct sample *s)
{
	int i;

	table_free(&s->classes);
	table_free(&s->caches);
	table_free(&s->cpus);
	kv_free(&s->heap);
	kv_free(&s->totals);
	kv_free(&s->debug);
	for (i = 0; i < s->ngc; i++)
		kv_free(&s->gc_heaps[i].kv);
	free(s->gc_heaps);
	kv_free(&s->gc);
	memset(s, 0, sizeof(*s));
}

/* Parses a whole decimal number; 0 if STR is not one. */
static int parse_num(const char *str, long long *v)
{
	char *end;

	if (!str || !*str)
		return 0;
	errno = 0;
	*v = strtoll(str, &end, 10);
	return !*end && !errno;
}

/**
 * table_col() - a column's index
 * @t: the table
 * @name: the column's name in the header line
 *
 * Return: its index, or -1 if the file has no such column.
 */
int table_col(const struct table *t, const char *name)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		if (!strcmp(t->col[i], name))
			return i;
	return -1;
}

/**
 * table_str() - a cell
 * @t: the table
 * @row: its row
 * @name: its column's name
 *
 * Return: the cell's text, or NULL if the column or cell is missing.
 */
const char *table_str(const struct table *t, int row, const char *name)
{
	int col = table_col(t, name);

	return col < 0 || row < 0 || row >= t->nrows ? NULL : t->cell[row][col];
}

/**
 * table_num() - a cell's number
 * @t: the table
 * @row: its row
 * @name: its column's name
 * @v: set to the number
 *
 * Return: 1, or 0 if the cell is missing or not a number.
 */
int table_num(const struct table *t, int row, const char *name, long long *v)
{
	return parse_num(table_str(t, row, name), v);
}

/**
 * table_find() - the row whose cell in a column holds a value
 * @t: the table
 * @name: the column's name
 * @value: the cell's text
 *
 * Return: the first such row, or -1.
 */
int table_find(const struct table *t, const char *name, const char *value)
{
	int col = table_col(t, name), i;

	for (i = 0; col >= 0 && value && i < t->nrows; i++)
		if (t->cell[i][col] && !strcmp(t->cell[i][col], value))
			return i;
	return -1;
}

/**
 * kv_str() - a pair's value
 * @kv: the pairs
 * @name: the name
 *
 * Return: its value's text, or NULL if there is no such pair.
 */
const char *kv_str(const struct kv *kv, const char *name)
{
	int i;

	for (i = 0; i < kv->n; i++)
		if (!strcmp(kv->key[i], name))
			return kv->val[i];
	return NULL;
}

/**
 * kv_num() - a pair's number
 * @kv: the pairs
 * @name: the name
 * @v: set to its value
 *
 * Return: 1, or 0 if there is no such pair or its value is not a number.
 */
int kv_num(const struct kv *kv, const char *name, long long *v)
{
	return parse_num(kv_str(kv, name), v);
}
