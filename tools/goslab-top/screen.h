/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goslab-top: one screen, as text, from a sample and the one before it.
 */
#ifndef GOSLAB_TOP_SCREEN_H
#define GOSLAB_TOP_SCREEN_H

#include <stdio.h>

#include "stats.h"

/* The class table's columns, in screen order; the sort keys. */
enum column {
	COL_NAME, COL_SIZE, COL_SPANS, COL_OBJS, COL_USE, COL_BYTES,
	COL_WASTE, COL_RATE,
	COL_COUNT
};

struct view {
	const char *root;
	double delay;		/* seconds between samples */
	enum column sort;
	int reverse;		/* smallest first (names: Z first) */
	int all;		/* also the classes that hold no span */
	int escapes;		/* interactive: highlight the sort column */
};

void screen_render(FILE *out, const struct sample *cur,
		   const struct sample *prev, const struct view *v);
void screen_help(FILE *out, const struct view *v);
int column_by_key(int key);
int column_by_name(const char *name);
const char *column_name(enum column c);

#endif
