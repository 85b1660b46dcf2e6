/*
 * sim/output/plot.c - see plot.h.
 *
 * gnuplot runs as a child (posix_spawnp, no shell): its standard input is a
 * pipe that carries the script, its standard output the caller's chart
 * file, its standard error an unlinked temporary that gives a failure's
 * message. It starts with -d (no initialisation file: a ~/.gnuplot cannot
 * redirect the output or change the terminal) and the script says "set
 * output" with no name, which is standard output (gnuplot 5.4 manual,
 * "set output"). The child gets the signals outfile's watcher blocks
 * unblocked and SIGPIPE/SIGXFSZ at their defaults, as from a shell
 * (sim/study/calibrate.c starts its children the same way).
 *
 * Strings are single-quoted: there gnuplot knows one escape, '' for a quote,
 * a backslash is an ordinary character, and neither backquote (command)
 * nor @ (macro) substitution happens (gnuplot 5.4 manual, "Strings", "quote
 * marks", "Substitution": "Command-line substitution can be used anywhere
 * on the gnuplot command line except inside strings delimited by single
 * quotes"). A newline would end the command, so control characters go; the
 * svg terminal copies text bytes into an XML document that says UTF-8, and
 * cairo refuses what is not UTF-8, so an invalid sequence goes too: each
 * becomes '?'. Bar labels are xtics, not data (a quote in a data column
 * cannot be escaped: gnuplot ends the column there).
 *
 * DEVIATION: gnuplot 6 also reads \U+hhhh in single-quoted strings (its
 * "quote marks"); with it a name holding that text shows the character
 * instead. Only the text drawn changes; no command can come of it.
 */
#include "plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* PNG: the signature and the IEND chunk that ends every image (ISO/IEC
 * 15948 / PNG spec sections 5.2 and 11.2.5: length 0, type, CRC). */
static const unsigned char png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
static const unsigned char png_iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60,
					    0x82 };
#define SVG_HEAD 512      /* "<svg" is looked for in the first bytes */
#define SVG_TAIL 64       /* "</svg>" in the last ones (then white space) */
#define MSG_MAX 300       /* gnuplot's message, at most, in ours */

int plot_kind_of(const char *path, plot_kind *out)
{
	size_t n = strlen(path);
	if (n > 4 && strcasecmp(path + n - 4, ".png") == 0) {
		*out = PLOT_PNG;
		return 0;
	}
	if (n > 4 && strcasecmp(path + n - 4, ".svg") == 0) {
		*out = PLOT_SVG;
		return 0;
	}
	return -1;
}

static const char *const install_hint =
	"gnuplot is not installed: install Debian's gnuplot-nox "
	"(apt-get install gnuplot-nox; make check installs it)";

int plot_available(char *err, size_t errlen)
{
	FILE *p = popen("gnuplot --version >/dev/null 2>&1", "r");
	int st = p ? pclose(p) : -1;
	if (st == 0)
		return 0;
	snprintf(err, errlen, "%s", install_hint);
	return -1;
}

/* ---------------------------------------------------------------- text */

/* The length of the valid UTF-8 sequence at P that is not a control
 * character or a noncharacter XML refuses (U+FFFE, U+FFFF), or 0. */
static size_t utf8_ok(const unsigned char *p)
{
	unsigned char b = p[0];
	if (b < 0x80)
		return b >= 0x20 && b != 0x7f;
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;   /* the second byte's range (RFC 3629 ch. 4) */
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
		if (b == 0xc2)
			lo = 0xa0;   /* U+0080..U+009F: C1 controls */
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;   /* no surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;   /* at most U+10FFFF */
	} else {
		return 0;
	}
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	if (n == 3 && b == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))
		return 0;
	return n;
}

/* S as a gnuplot single-quoted string (see the top of the file). */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
		size_t n = utf8_ok(p);
		if (!n) {
			fputc('?', f);
			p++;
		} else if (*p == '\'') {
			fputs("''", f);
			p++;
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
	fputc('\'', f);
}

static void put_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
	else
		fputs("NaN", f);
}

/* ---------------------------------------------------------------- script */

/* Point I of series R can be drawn: finite, and positive on a log axis. */
static int drawable(const plot_spec *s, const plot_series *r, size_t i)
{
	double x = r->x ? r->x[i] : 0, y = r->y[i];
	if (!isfinite(y) || (s->logy && y <= 0))
		return 0;
	return s->bars || (isfinite(x) && (!s->logx || x > 0));
}

static size_t drawable_points(const plot_spec *s, const plot_series *r)
{
	size_t m = 0;
	for (size_t i = 0; i < r->n; i++)
		m += (size_t)drawable(s, r, i);
	return m;
}

static void script(FILE *f, plot_kind kind, const plot_spec *s)
{
	if (kind == PLOT_PNG)
		fputs("set terminal pngcairo size 960,600 noenhanced font 'sans,10'\n", f);
	else
		fputs("set terminal svg size 960,600 noenhanced font 'sans,10' background '#ffffff'\n",
		      f);
	fputs("set output\nset title ", f);   /* (no name: standard output) */
	put_quoted(f, s->title);
	fputs("\nset xlabel ", f);
	put_quoted(f, s->xlabel);
	fputs("\nset ylabel ", f);
	put_quoted(f, s->ylabel);
	fputs("\nset grid\nset key outside right top\nset border 3\nset tics nomirror\n", f);
	if (s->logx)
		fputs("set logscale x 2\nset format x '%g'\n", f);
	if (s->logy)
		fputs("set logscale y 10\nset format y '%g'\n", f);
	if (s->labels) {
		/* Labels at x = 0, 1, ...: a bar's place in a histogram, a value's
		 * index on a line chart. */
		fprintf(f, "set xtics %s(", s->bars ? "rotate by -30 " : "");
		for (size_t i = 0; i < s->nlabels; i++) {
			fputs(i ? ", " : "", f);
			put_quoted(f, s->labels[i]);
			fprintf(f, " %zu", i);
		}
		fputs(")\n", f);
		if (!s->bars)
			fprintf(f, "set xrange [-0.5:%zu.5]\n", s->nlabels ? s->nlabels - 1 : 0);
	}
	if (s->bars) {
		size_t n = s->nseries ? s->series[0].n : 0;
		fputs("$bars << EOD\n", f);
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < s->nseries; k++) {
				fputs(k ? " " : "", f);
				put_num(f, i < s->series[k].n ? s->series[k].y[i] : NAN);
			}
			fputc('\n', f);
		}
		fputs("EOD\nset style data histograms\nset style histogram rowstacked\n"
		      "set style fill solid 0.8 border -1\nset boxwidth 0.7\nset yrange [0:*]\n", f);
		fputs("plot ", f);
		for (size_t k = 0; k < s->nseries; k++) {
			fprintf(f, "%s$bars using %zu title ", k ? ", " : "", k + 1);
			put_quoted(f, s->series[k].title);
		}
		fputc('\n', f);
		return;
	}
	/* Only series with a point to draw: an empty datablock is an error for
	 * gnuplot when it is the only one, a warning otherwise. */
	size_t drawn = 0;
	for (size_t k = 0; k < s->nseries; k++) {
		const plot_series *r = &s->series[k];
		if (!drawable_points(s, r))
			continue;
		fprintf(f, "$s%zu << EOD\n", k);
		for (size_t i = 0; i < r->n; i++) {
			if (!drawable(s, r, i))
				continue;
			put_num(f, r->x[i]);
			fputc(' ', f);
			put_num(f, r->y[i]);
			fputc('\n', f);
		}
		fputs("EOD\n", f);
	}
	fputs("plot ", f);
	for (size_t k = 0; k < s->nseries; k++) {
		if (!drawable_points(s, &s->series[k]))
			continue;
		fprintf(f, "%s$s%zu using 1:2 with linespoints pointsize 0.6 title ",
			drawn++ ? ", " : "", k);
		put_quoted(f, s->series[k].title);
	}
	fputc('\n', f);
}

/* ---------------------------------------------------------------- gnuplot */

/* The last non-empty line of what gnuplot said on LOG (its error: "line N:
 * MESSAGE"), without control characters, into MSG. */
static void last_line(FILE *log, char *msg, size_t len)
{
	char line[1024], keep[1024] = "";
	msg[0] = '\0';
	if (!log || fflush(log) != 0 || fseek(log, 0, SEEK_SET) != 0)
		return;
	while (fgets(line, sizeof(line), log)) {
		size_t a = strspn(line, " \t\r\n"), b = strlen(line);
		while (b > a && strchr(" \t\r\n", line[b - 1]))
			b--;
		if (b > a) {
			line[b] = '\0';
			snprintf(keep, sizeof(keep), "%s", line + a);
		}
	}
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)keep; *p && o + 1 < len &&
	     o < MSG_MAX; p++)
		msg[o++] = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;
	msg[o] = '\0';
}

/* Run gnuplot on SCRIPT (LEN bytes) with its standard output on OUT_FD. */
static int run_gnuplot(int out_fd, const char *script_text, size_t len, const char *name,
		       char *err, size_t errlen)
{
	FILE *log = tmpfile();   /* (unlinked already: nothing to remove) */
	int pfd[2];
	if (pipe(pfd) != 0) {
		if (log)
			fclose(log);
		snprintf(err, errlen, "%s: cannot start gnuplot: pipe: %s", name, strerror(errno));
		return PLOT_FAILED;
	}
	fcntl(pfd[0], F_SETFD, FD_CLOEXEC);   /* the child gets dup2'd copies */
	fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (log)
		posix_spawn_file_actions_adddup2(&fa, fileno(log), 2);
	if (out_fd > 2)
		posix_spawn_file_actions_addclose(&fa, out_fd);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	static const int dflt[] = { SIGPIPE, SIGXFSZ, SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++)
		sigaddset(&def, dflt[i]);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *argv[] = { "gnuplot", "-d", NULL };
	pid_t pid;
	int rc = posix_spawnp(&pid, "gnuplot", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pfd[0]);
	if (rc) {
		close(pfd[1]);
		if (log)
			fclose(log);
		if (rc == ENOENT)
			snprintf(err, errlen, "%s: %s", name, install_hint);
		else
			snprintf(err, errlen, "%s: cannot start gnuplot: %s", name, strerror(rc));
		return PLOT_FAILED;
	}
	/* SIGPIPE is ignored (lib/outfile.h): a gnuplot that stopped reading
	 * is EPIPE here, and its exit status says why. */
	int werr = 0;
	for (size_t done = 0; done < len;) {
		ssize_t w = write(pfd[1], script_text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			werr = w < 0 ? errno : EIO;
			break;
		}
		done += (size_t)w;
	}
	close(pfd[1]);
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			int e = errno;
			if (log)
				fclose(log);
			snprintf(err, errlen, "%s: waiting for gnuplot: %s", name, strerror(e));
			return PLOT_FAILED;
		}
	}
	char msg[MSG_MAX + 1];
	last_line(log, msg, sizeof(msg));
	if (log)
		fclose(log);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, errlen, "%s: gnuplot failed (%s %d)%s%s", name,
			 WIFEXITED(st) ? "exit status" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), msg[0] ? ": " : "", msg);
		return PLOT_FAILED;
	}
	if (werr) {
		snprintf(err, errlen, "%s: writing to gnuplot: %s", name, strerror(werr));
		return PLOT_FAILED;
	}
	return 0;
}

/* LEN bytes at OFF of FD into BUF: 0, or -1. */
static int read_at(int fd, void *buf, size_t len, off_t off)
{
	for (size_t got = 0; got < len;) {
		ssize_t r = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Is what gnuplot wrote at FD a complete chart of KIND? */
static int check_chart(int fd, plot_kind kind, const char *name, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: reading the chart back: %s", name, strerror(errno));
		return PLOT_FAILED;
	}
	off_t size = st.st_size;
	const char *what = kind == PLOT_PNG ? "PNG" : "SVG";
	if (size == 0) {
		snprintf(err, errlen, "%s: gnuplot wrote nothing (it exited with status 0)", name);
		return PLOT_FAILED;
	}
	int ok;
	if (kind == PLOT_PNG) {
		unsigned char head[8], tail[12];
		ok = size >= (off_t)(sizeof(head) + sizeof(tail)) &&
		     read_at(fd, head, sizeof(head), 0) == 0 &&
		     read_at(fd, tail, sizeof(tail), size - (off_t)sizeof(tail)) == 0 &&
		     memcmp(head, png_signature, sizeof(head)) == 0 &&
		     memcmp(tail, png_iend, sizeof(tail)) == 0;
	} else {
		char head[SVG_HEAD + 1], tail[SVG_TAIL + 1];
		size_t hn = size < SVG_HEAD ? (size_t)size : SVG_HEAD;
		size_t tn = size < SVG_TAIL ? (size_t)size : SVG_TAIL;
		ok = read_at(fd, head, hn, 0) == 0 && read_at(fd, tail, tn, size - (off_t)tn) == 0;
		if (ok) {
			head[hn] = tail[tn] = '\0';
			while (tn && strchr(" \t\r\n", tail[tn - 1]))
				tail[--tn] = '\0';
			ok = strncmp(head, "<?xml", 5) == 0 && strstr(head, "<svg") &&
			     tn >= 6 && strcmp(tail + tn - 6, "</svg>") == 0;
		}
	}
	if (!ok) {
		snprintf(err, errlen, "%s: what gnuplot wrote (%lld bytes) is not a complete %s; "
			 "not put in place", name, (long long)size, what);
		return PLOT_FAILED;
	}
	return 0;
}

/* ---------------------------------------------------------------- charts */

int plot_draw(FILE *out, const char *name, plot_kind kind, const plot_spec *s, char *err,
	      size_t errlen)
{
	size_t points = 0;
	for (size_t k = 0; k < s->nseries; k++)
		points += drawable_points(s, &s->series[k]);
	if (!points) {
		snprintf(err, errlen, "%s: nothing to draw (no point with a finite value%s)", name,
			 s->logx || s->logy ? ", positive on the log scale" : "");
		return PLOT_EMPTY;
	}
	struct stat st;
	int fd = fileno(out);
	if (fflush(out) != 0 || fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != 0) {
		snprintf(err, errlen, "%s: internal error: the chart's file is not an empty regular "
			 "file", name);
		return PLOT_FAILED;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m) {
		snprintf(err, errlen, "out of memory (drawing %s)", name);
		return PLOT_FAILED;
	}
	script(m, kind, s);
	if (fclose(m) != 0) {
		free(text);
		snprintf(err, errlen, "out of memory (drawing %s)", name);
		return PLOT_FAILED;
	}
	int rc = run_gnuplot(fd, text, len, name, err, errlen);
	free(text);
	if (!rc)
		rc = check_chart(fd, kind, name, err, errlen);
	return rc;
}

int plot_miss_ratio(FILE *out, const char *name, plot_kind kind, const char *title,
		    const plot_curve *c, size_t n, char *err, size_t errlen)
{
	enum { MAXPTS = 40 };
	double (*x)[MAXPTS] = calloc(n ? n : 1, sizeof(*x));
	double (*y)[MAXPTS] = calloc(n ? n : 1, sizeof(*y));
	plot_series *ser = calloc(n ? n : 1, sizeof(*ser));
	if (!x || !y || !ser) {
		free(x);
		free(y);
		free(ser);
		snprintf(err, errlen, "out of memory (drawing %s)", name);
		return PLOT_FAILED;
	}
	size_t ns = 0;
	for (size_t k = 0; k < n; k++) {
		if (!c[k].lookups)
			continue;
		size_t m = 0;
		for (size_t e = 1; e <= c[k].n && m < MAXPTS; e *= 2) {
			x[ns][m] = (double)e;
			y[ns][m++] = (double)c[k].misses[e - 1] / (double)c[k].lookups;
		}
		ser[ns] = (plot_series){ .title = c[k].title, .x = x[ns], .y = y[ns], .n = m };
		ns++;
	}
	plot_spec sp = { .title = title, .xlabel = "TLB entries (fully associative, LRU)",
			 .ylabel = "misses per lookup", .logx = 1, .logy = 1, .series = ser,
			 .nseries = ns };
	int rc = plot_draw(out, name, kind, &sp, err, errlen);
	free(x);
	free(y);
	free(ser);
	return rc;
}
