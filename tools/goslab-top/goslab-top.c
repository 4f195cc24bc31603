// SPDX-License-Identifier: GPL-2.0
/*
 * goslab-top: a live view of goslab's debugfs statistics, as slabtop and
 * top show theirs.  Interactive on a terminal (ANSI escapes, no curses, so
 * that a static binary runs in a busybox guest), or plain text screens
 * for scripts with -b.  See usage_text below, or run goslab-top --help.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "screen.h"
#include "stats.h"

#define DEFAULT_ROOT	"/sys/kernel/debug/goslab"

static const char usage_text[] =
"NAME\n"
"    goslab-top - display goslab's allocator statistics in real time\n"
"\n"
"SYNOPSIS\n"
"    goslab-top [--root DIR] [-d SECONDS] [-n N] [-s COLUMN] [-a] [-b]\n"
"\n"
"DESCRIPTION\n"
"    goslab-top reads goslab's debugfs files every SECONDS and shows, like\n"
"    slabtop(1) and top(1):\n"
"\n"
"    Pages    heap pages (8 KiB) held, in use, free and released (given back\n"
"             to the kernel), each with its change per second;\n"
"    Objects  objects and bytes in use (large objects included), objects\n"
"             cached on CPU lists, large objects, and the bytes of the spans\n"
"             held that hold no object in use (waste);\n"
"    Debug    debug mode and its findings;\n"
"    GC       the collector's parameters and its heaps;\n"
"    a table per CPU: allocations, frees, refills and flushes per second,\n"
"             objects cached on its lists now;\n"
"    a table per GC heap: phase, cycles, live heap and goal (KiB), last and\n"
"             longest pause, assists, objects released per cycle (the last\n"
"             cycle's, or the mean over all cycles when goslab does not\n"
"             report the last);\n"
"    a table of the size classes and goslab_caches, sorted: object size,\n"
"             spans, objects in use, occupancy, bytes in use, waste, and\n"
"             objects moving per second between central and CPU lists.\n"
"             Size classes that hold no span are hidden unless -a.\n"
"\n"
"    Files are read by their column and field names; a file or a figure\n"
"    goslab does not provide shows as \"-\" (the gc file is absent when\n"
"    goslab is built without its collector).  Rates need two samples: the\n"
"    first screen shows \"-\" for them.\n"
"\n"
"OPTIONS\n"
"    --root DIR        read the files under DIR, a live debugfs directory or\n"
"                      a saved copy of one (default " DEFAULT_ROOT ");\n"
"                      DIR/uptime, if there, gives the uptime shown, else\n"
"                      /proc/uptime\n"
"    -d, --delay SECONDS  between samples (default 1; fractions allowed)\n"
"    -n, --iterations N   stop after N screens (default: until q)\n"
"    -b, --batch       print plain-text screens to standard output, no\n"
"                      escapes, no keys: every screen begins with a line\n"
"                      \"goslab-top - up ...\" and is followed by a blank line\n"
"    -s, --sort COLUMN sort the class table by name, size, spans, objects,\n"
"                      use, bytes (default), waste or rate\n"
"    -a, --all         show the size classes that hold no span too\n"
"    -h, --help        this text\n"
"\n"
"KEYS (interactive)\n"
"    n s l o u b w r   sort by name, size, spans, objects, use, bytes, waste,\n"
"                      rate (numbers largest first, names A first)\n"
"    < >               sort by the column left / right of the current one\n"
"                      (also the left and right arrow keys)\n"
"    i                 reverse the order\n"
"    a                 show all size classes / only those holding spans\n"
"    space             refresh now\n"
"    h ?               help\n"
"    q                 quit\n"
"\n"
"FILES\n"
"    DIR/classes DIR/caches DIR/cpus  a header line of column names, then a\n"
"                      row per class, cache or CPU\n"
"    DIR/heap DIR/totals DIR/debug    \"name value\" lines\n"
"    DIR/gc            parameters, then a \"heap NAME\" block per GC heap\n"
"\n"
"EXIT STATUS\n"
"    0 when quit with q or after N screens; 1 if nothing could be read\n"
"    under DIR, on a bad option, or if interactive without a terminal;\n"
"    128 plus the signal's number when ended by a signal.\n";

/*
 * The signals that end goslab-top, and SIGWINCH, arrive through a pipe
 * polled beside the keys: the handler only writes the signal's number to
 * it.  (Not a signalfd: kernels without CONFIG_SIGNALFD, as the test
 * kernels, have none.)
 */
static int sigpipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char c = sig;
	int saved = errno;
	ssize_t n;

	n = write(sigpipe[1], &c, 1);
	(void)n;
	errno = saved;
}

static int signals_setup(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned int i;

	if (pipe2(sigpipe, O_CLOEXEC | O_NONBLOCK))
		return -1;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

/* The signal that came, if any: its number, or 0. */
static int signal_read(void)
{
	unsigned char c;

	return read(sigpipe[0], &c, 1) == 1 ? c : 0;
}

/* Waits up to SECONDS for a signal; returns its number, or 0. */
static int signal_wait(double seconds)
{
	struct pollfd pfd = { .fd = sigpipe[0], .events = POLLIN };

	if (poll(&pfd, 1, (int)(seconds * 1000)) <= 0)
		return 0;
	return signal_read();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads the files; fails if there were none. */
static int take(struct sample *s, const char *root)
{
	if (sample_read(s, root))
		return 0;
	fprintf(stderr,
		"goslab-top: no goslab statistics under %s (is goslab loaded and debugfs mounted?)\n",
		root);
	sample_free(s);
	return -1;
}

static int run_batch(const struct view *v, long iterations)
{
	struct sample cur, prev;
	int have_prev = 0, sig = 0;
	double next = now();
	long i;

	for (i = 0; iterations < 0 || i < iterations; i++) {
		/* Sleep to the next sample; SIGWINCH means nothing here. */
		while (i && !sig && now() < next) {
			sig = signal_wait(next - now());
			if (sig == SIGWINCH)
				sig = 0;
		}
		if (sig)
			break;
		next = now() + v->delay;
		/* Only the first sample must find something. */
		if (!i && take(&cur, v->root))
			return 1;
		if (i) {
			sample_read(&cur, v->root);
			putchar('\n');
		}
		screen_render(stdout, &cur, have_prev ? &prev : NULL, v);
		fflush(stdout);
		if (have_prev)
			sample_free(&prev);
		prev = cur;
		have_prev = 1;
	}
	if (have_prev)
		sample_free(&prev);
	return sig ? 128 + sig : 0;
}

static struct termios saved_tio;

static void tty_restore(void)
{
	/* Cursor shown, the normal screen back. */
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
}

static int tty_setup(void)
{
	struct termios tio;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "goslab-top: not a terminal (use -b for plain text)\n");
		return -1;
	}
	if (tcgetattr(STDIN_FILENO, &saved_tio)) {
		perror("goslab-top: tcgetattr");
		return -1;
	}
	tio = saved_tio;
	/* Keys one at a time, unechoed; ^C still a signal. */
	tio.c_lflag &= ~(ICANON | ECHO);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio)) {
		perror("goslab-top: tcsetattr");
		return -1;
	}
	/* A screen in one write, not a line at a time: no flicker. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	/* The alternate screen, cursor hidden. */
	fputs("\033[?1049h\033[?25l", stdout);
	return 0;
}

/* Writes LINE cut to WIDTH visible columns; escapes take none. */
static void put_line(FILE *out, const char *line, int width)
{
	int col = 0;

	while (*line) {
		if (*line == '\033') {
			const char *end = strchr(line, 'm');

			if (!end)
				break;
			fwrite(line, 1, end + 1 - line, out);
			line = end + 1;
			continue;
		}
		if (col < width)
			fputc(*line, out);
		col++;
		line++;
	}
	fputs("\033[m\033[K", out);
}

/* TEXT's lines, cut to the terminal, from the top left. */
static void draw(const char *text)
{
	struct winsize ws = { 0 };
	int rows = 24, cols = 80, row = 0;
	const char *p = text, *nl;
	char *line;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		rows = ws.ws_row;
		cols = ws.ws_col;
	}
	fputs("\033[H", stdout);
	while (*p && row < rows) {
		nl = strchrnul(p, '\n');
		line = strndup(p, nl - p);
		if (!line)
			break;
		if (row)
			fputs("\r\n", stdout);
		put_line(stdout, line, cols);
		free(line);
		row++;
		p = *nl ? nl + 1 : nl;
	}
	fputs("\033[J", stdout);
	fflush(stdout);
}

static void redraw(const struct sample *cur, const struct sample *prev,
		   const struct view *v, int help)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out) {
		perror("goslab-top");
		exit(1);
	}
	if (help)
		screen_help(out, v);
	else
		screen_render(out, cur, prev, v);
	fclose(out);
	draw(text);
	free(text);
}

/* Acts on the keys in BUF; returns 1 to quit, 2 to refresh now. */
static int keys(struct view *v, int *help, const char *buf, ssize_t n)
{
	int i, c, ret = 0;

	for (i = 0; i < n; i++) {
		if (*help) {
			*help = 0;
			continue;
		}
		c = buf[i];
		/* The arrow keys: ESC [ C and ESC [ D. */
		if (c == '\033' && i + 2 < n && buf[i + 1] == '[') {
			c = buf[i + 2] == 'C' ? '>' : buf[i + 2] == 'D' ? '<' : 0;
			i += 2;
		}
		switch (c) {
		case 'q':
			return 1;
		case 'h':
		case '?':
			*help = 1;
			break;
		case '<':
			v->sort = (v->sort + COL_COUNT - 1) % COL_COUNT;
			break;
		case '>':
			v->sort = (v->sort + 1) % COL_COUNT;
			break;
		case 'i':
			v->reverse = !v->reverse;
			break;
		case 'a':
			v->all = !v->all;
			break;
		case ' ':
			ret = 2;
			break;
		default:
			if (column_by_key(c) >= 0)
				v->sort = column_by_key(c);
		}
	}
	return ret;
}

static int run_tty(struct view *v, long iterations)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = sigpipe[0], .events = POLLIN },
	};
	int have_prev = 0, help = 0, k, sig = 0, ret = 0;
	struct sample cur, prev;
	double next, wait;
	long shown = 0;
	char buf[64];
	ssize_t n;

	if (take(&cur, v->root) || tty_setup())
		return 1;
	v->escapes = 1;
	redraw(&cur, NULL, v, help);
	shown++;
	next = now() + v->delay;
	while (iterations < 0 || shown < iterations) {
		wait = next - now();
		if (wait <= 0) {
			if (have_prev)
				sample_free(&prev);
			prev = cur;
			have_prev = 1;
			/* Nothing there (goslab unloaded) shows as such. */
			sample_read(&cur, v->root);
			redraw(&cur, &prev, v, help);
			shown++;
			next = now() + v->delay;
			continue;
		}
		if (poll(pfd, 2, (int)(wait * 1000) + 1) <= 0)
			continue;
		if (pfd[1].revents) {
			sig = signal_read();
			if (sig == SIGWINCH) {
				sig = 0;
				redraw(&cur, have_prev ? &prev : NULL, v, help);
			} else if (sig) {
				break;
			}
		}
		if (!pfd[0].revents)
			continue;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0) {
			/* The terminal went away. */
			ret = 1;
			break;
		}
		k = keys(v, &help, buf, n);
		if (k == 1)
			break;
		if (k == 2)
			next = now();
		else
			redraw(&cur, have_prev ? &prev : NULL, v, help);
	}
	tty_restore();
	sample_free(&cur);
	if (have_prev)
		sample_free(&prev);
	return sig ? 128 + sig : ret;
}

static int number(const char *arg, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(arg, &end);
	return *arg && !*end && !errno && *v >= 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'R' },
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "sort", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct view v = {
		.root = DEFAULT_ROOT, .delay = 1, .sort = COL_BYTES,
	};
	long iterations = -1;
	int c, batch = 0;
	double d;

	while ((c = getopt_long(argc, argv, "bn:d:s:ah", opts, NULL)) != -1) {
		switch (c) {
		case 'R':
			v.root = optarg;
			break;
		case 'b':
			batch = 1;
			break;
		case 'n':
			if (!number(optarg, &d) || d < 1 || d != (long)d) {
				fprintf(stderr, "goslab-top: -n wants a count of at least 1\n");
				return 1;
			}
			iterations = (long)d;
			break;
		case 'd':
			if (!number(optarg, &d) || d < 0.01) {
				fprintf(stderr, "goslab-top: -d wants seconds, at least 0.01\n");
				return 1;
			}
			v.delay = d;
			break;
		case 's':
			if (column_by_name(optarg) < 0) {
				fprintf(stderr, "goslab-top: no column %s to sort by\n", optarg);
				return 1;
			}
			v.sort = column_by_name(optarg);
			break;
		case 'a':
			v.all = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr,
				"usage: goslab-top [--root DIR] [-d SECONDS] [-n N] [-s COLUMN] [-a] [-b]\n");
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "goslab-top: unexpected argument %s (see --help)\n", argv[optind]);
		return 1;
	}
	if (signals_setup()) {
		perror("goslab-top: signals");
		return 1;
	}
	return batch ? run_batch(&v, iterations) : run_tty(&v, iterations);
}
