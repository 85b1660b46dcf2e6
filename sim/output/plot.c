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
 * becomes '?'. Every label is a tic's text or a string, never data (a quote
 * in a data column cannot be escaped: gnuplot ends the column there); the
 * datablocks hold numbers only.
 *
 * The figure is a multiplot whose every panel's plot area is placed in
 * screen coordinates worked out here (set lmargin/rmargin/tmargin/bmargin
 * at screen): panels of a grid line up, and the key is a last plot of
 * points outside its range (gnuplot draws the key's samples, not the
 * points) in the band under the panels. Text widths are estimated at
 * CHAR_W pixels a character of the 10-point sans font.
 *
 * DEVIATION: gnuplot 6 also reads \U+hhhh in single-quoted strings (its
 * "quote marks"); with it a name holding that text shows the character
 * instead. Only the text drawn changes; no command can come of it.
 */
#include "plot.h"
#include "machine.h"   /* SLATSIM_VERSION */

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
#include <zlib.h>

extern char **environ;

/* PNG: the signature and the IEND chunk that ends every image (ISO/IEC
 * 15948 / PNG spec sections 5.2 and 11.2.5: length 0, type, CRC). */
static const unsigned char png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
static const unsigned char png_iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60,
					    0x82 };
#define PNG_IHDR_END 33   /* signature 8 + IHDR (length 4, type 4, data 13, CRC 4) */
#define SVG_HEAD 512      /* "<svg" is looked for in the first bytes */
#define SVG_TAIL 64       /* "</svg>" in the last ones (then white space) */
#define MSG_MAX 300       /* gnuplot's message, at most, in ours */
#define CHART_MAX (512u << 20)   /* a chart read back for its metadata, at most */
#define META_MAX 4096     /* metadata text, at most (bytes) */

/* Layout, in pixels of the 10-point font (pngcairo and svg alike). */
#define CHAR_W 6.6        /* a character's mean width */
#define LINE_H 16.0       /* a line of text */
#define MAX_TICS 64
#define TIC_TEXT 256      /* a tic's text, bytes (a bar labelled by a file's path) */
#define REACH_SAMPLES_PER_OCTAVE 32   /* reach curves: every size to 64, then these */

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


/* The characters of S (its width in the font, counted in characters). */
static size_t text_chars(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

/* ---------------------------------------------------------------- numbers */

/* V with DEC decimals (-1: as few as show it to 1e-9 of itself), the
 * integer part grouped by thousands. */
static void num_text(char *buf, size_t len, double v, int dec)
{
	char t[400];
	if (!isfinite(v)) {
		snprintf(buf, len, "%s", isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
		return;
	}
	if (fabs(v) >= 1e21) {   /* (no count of this model comes near) */
		snprintf(buf, len, "%.3g", v);
		return;
	}
	if (dec < 0)
		for (dec = 0; dec < 9; dec++) {
			snprintf(t, sizeof(t), "%.*f", dec, v);
			if (fabs(strtod(t, NULL) - v) <= 1e-9 * fmax(1.0, fabs(v)))
				break;
		}
	snprintf(t, sizeof(t), "%.*f", dec, v);
	const char *p = t;
	if (*p == '-' && strtod(t, NULL) == 0)
		p++;   /* no "-0" */
	char o[420];
	size_t k = 0;
	if (*p == '-')
		o[k++] = *p++;
	size_t digits = strcspn(p, ".");
	for (size_t i = 0; i < digits; i++) {
		if (i && (digits - i) % 3 == 0)
			o[k++] = ',';
		o[k++] = p[i];
	}
	snprintf(o + k, sizeof(o) - k, "%s", p + digits);
	snprintf(buf, len, "%s", o);
}

void plot_num_text(char *buf, size_t len, double v)
{
	num_text(buf, len, v, -1);
}

/* "4 KB", "1.5 MB": V bytes in the largest binary unit it reaches. */
static void bytes_text(char *buf, size_t len, double v)
{
	static const char *const unit[] = { "B", "KB", "MB", "GB", "TB", "PB" };
	size_t u = 0;
	while (u + 1 < sizeof(unit) / sizeof(unit[0]) && fabs(v) >= 1024.0) {
		v /= 1024.0;
		u++;
	}
	char n[24];
	num_text(n, sizeof(n), round(v * 100) / 100, -1);
	snprintf(buf, len, "%s %s", n, unit[u]);
}

void plot_bytes_text(char *buf, size_t len, double v)
{
	bytes_text(buf, len, v);
}

/* "10⁻⁵": a power of ten with a superscript exponent (UTF-8). */
static void power_text(char *buf, size_t len, int e)
{
	static const char *const sup[] = { "\u2070", "\u00b9", "\u00b2", "\u00b3", "\u2074",
					   "\u2075", "\u2076", "\u2077", "\u2078", "\u2079" };
	char digits[16];
	size_t o = (size_t)snprintf(buf, len, "10%s", e < 0 ? "\u207b" : "");
	snprintf(digits, sizeof(digits), "%d", e < 0 ? -e : e);
	for (const char *d = digits; *d && o < len; d++)
		o += (size_t)snprintf(buf + o, len - o, "%s", sup[*d - '0']);
}

/* ---------------------------------------------------------------- tics */

typedef struct tics {
	size_t n, nminor;
	double v[MAX_TICS];
	char text[MAX_TICS][TIC_TEXT];
	double minor[MAX_TICS * 2];
	double lo, hi;            /* the range */
	size_t widest;            /* characters of the widest text */
} tics;

static void tic_add(tics *t, double v, const char *text)
{
	if (t->n == MAX_TICS)
		return;
	t->v[t->n] = v;
	snprintf(t->text[t->n], TIC_TEXT, "%s", text);
	size_t w = text_chars(t->text[t->n]);
	if (w > t->widest)
		t->widest = w;
	t->n++;
}

static void value_text(const plot_axis *a, char *buf, size_t len, double v, int dec)
{
	if (a->bytes)
		bytes_text(buf, len, v);
	else
		num_text(buf, len, v, dec);
}

/* The tics and range of axis A over data from DLO to DHI (HAVE: there is
 * data; on a log axis both are positive). */
static void make_tics(const plot_axis *a, double dlo, double dhi, int have, tics *t)
{
	char b[TIC_TEXT];
	memset(t, 0, sizeof(*t));
	if (!have) {
		dlo = a->scale == PLOT_LINEAR ? 0 : 1;
		dhi = a->scale == PLOT_LINEAR ? 1 : 10;
	}
	if (a->at && a->nat && (a->scale != PLOT_LOG2 || a->text || a->nat <= 16)) {
		double mn = dlo, mx = dhi;
		for (size_t i = 0; i < a->nat; i++) {
			double v = a->at[i];
			if (!isfinite(v) || (a->scale != PLOT_LINEAR && v <= 0))
				continue;
			if (a->text)
				tic_add(t, v, a->text[i]);
			else {
				value_text(a, b, sizeof(b), v, -1);
				tic_add(t, v, b);
			}
			mn = fmin(mn, v);
			mx = fmax(mx, v);
		}
		if (a->scale == PLOT_LINEAR) {
			double pad = a->text ? 0.5 : mx > mn ? (mx - mn) * 0.05 : 0.5;
			t->lo = mn - pad;
			t->hi = mx + pad;
		} else {
			double f = a->scale == PLOT_LOG2 ? pow(2, 0.3) : pow(10, 0.15);
			t->lo = mn / f;
			t->hi = mx * f;
		}
	} else if (a->scale == PLOT_LINEAR) {
		double lo = dlo, hi = dhi;
		if (a->zero) {
			lo = fmin(lo, 0);
			hi = fmax(hi, 0);
		}
		if (hi <= lo) {
			double d = lo != 0 ? fabs(lo) * 0.1 : 1;
			if (!(a->zero && lo == 0))
				lo -= d;
			hi += d;
		}
		double raw = (hi - lo) / 5, e = floor(log10(raw)), f = raw / pow(10, e), nf;
		nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
		double step = nf * pow(10, e);
		int dec = nf == 10 ? (int)-(e + 1) : (int)-e + (nf == 2.5);
		if (dec < 0)
			dec = 0;
		double first = floor(lo / step + 1e-9) * step, last = ceil(hi / step - 1e-9) * step;
		for (int i = 0; first + i * step <= last + step * 1e-6 && t->n < MAX_TICS; i++) {
			double v = first + i * step;
			if (fabs(v) < step * 1e-9)
				v = 0;
			value_text(a, b, sizeof(b), v, a->bytes ? -1 : dec);
			tic_add(t, v, b);
		}
		t->lo = first;
		t->hi = last;
	} else if (a->scale == PLOT_LOG2) {
		int k0 = (int)floor(log2(dlo) + 1e-9), k1 = (int)ceil(log2(dhi) - 1e-9), step = 1;
		if (k1 <= k0)
			k1 = k0 + 1;
		while ((k1 - k0) / step > 9)
			step *= 2;
		for (int k = k0; k <= k1; k++) {
			if ((k - k0) % step == 0) {
				value_text(a, b, sizeof(b), ldexp(1, k), -1);
				tic_add(t, ldexp(1, k), b);
			} else if (t->nminor < sizeof(t->minor) / sizeof(t->minor[0])) {
				t->minor[t->nminor++] = ldexp(1, k);
			}
		}
		t->lo = ldexp(1, k0);
		t->hi = ldexp(1, k1);
	} else {
		/* A decade below the smallest value unless it lies above the
		 * decade's floor: a small value never sits on the axis. */
		int d0 = (int)floor(log10(dlo) - 1e-9), d1 = (int)ceil(log10(dhi) - 1e-9), step = 1;
		if (d1 <= d0)
			d1 = d0 + 1;
		while ((d1 - d0) / step > 8)
			step++;
		int powers = d0 < -3 || d1 > 6;
		for (int d = d0; d <= d1; d += step) {
			if (powers && d != 0)
				power_text(b, sizeof(b), d);
			else
				num_text(b, sizeof(b), pow(10, d), d < 0 ? -d : 0);
			tic_add(t, pow(10, d), b);
		}
		for (int d = d0; d1 - d0 <= 6 && d < d1; d++)
			for (int m = 2; m <= 9; m++)
				t->minor[t->nminor++] = m * pow(10, d);
		t->lo = pow(10, d0);
		t->hi = pow(10, d1);
	}
	if (a->lo < a->hi) {
		t->lo = a->lo;
		t->hi = a->hi;
	}
}

/* gnuplot's "set xtics (...)" of T for AXIS ("x", "y"). */
static void put_tics(FILE *f, const char *axis, const tics *t)
{
	fprintf(f, "set %stics (", axis);
	for (size_t i = 0; i < t->n; i++) {
		fputs(i ? ", " : "", f);
		put_quoted(f, t->text[i]);
		fprintf(f, " %.17g", t->v[i]);
	}
	for (size_t i = 0; i < t->nminor; i++)
		fprintf(f, "%s'' %.17g 1", t->n || i ? ", " : "", t->minor[i]);
	fputs(")\n", f);
}

/* ---------------------------------------------------------------- styles */

/* Okabe and Ito's colours (colour-blind safe), in an order whose
 * neighbours also differ in lightness, then grey; a dash pattern and a
 * point shape each, so that series stay apart in greyscale. */
static const char *const style_colour[PLOT_STYLES] = {
	"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#7F7F7F"
};
static const char *const style_dash[PLOT_STYLES] = {
	"1", "(8,4)", "(2,3)", "(10,3,2,3)", "(16,5)", "(4,3,4,3,12,3)", "(2,3,2,3,8,3)",
	"(12,3,2,3,2,3)"
};
/* pngcairo/svg point types: filled circle, square, triangle, diamond,
 * down-triangle, pentagon, then circle and square again (black and grey,
 * their own dashes); the open shape of a filled one is one less. */
static const int style_point[PLOT_STYLES] = { 7, 5, 9, 13, 11, 15, 7, 5 };

/* Bars' categories: lightness apart (light grey, dark blue, orange,
 * vermilion) and the fourth on a hatch. */
#define BAR_STYLES 6
static const char *const bar_colour[BAR_STYLES] = { "#BBBBBB", "#0072B2", "#E69F00", "#D55E00",
						    "#009E73", "#CC79A7" };
static const char *const bar_fill[BAR_STYLES] = { "solid 1.0", "solid 1.0", "solid 1.0",
						  "pattern 4", "solid 1.0", "pattern 5" };

static void put_style(FILE *f, int style, unsigned flags)
{
	unsigned s = (unsigned)(style < 0 ? 0 : style);
	const char *with = (flags & PLOT_LINE) && (flags & PLOT_POINTS) ? "linespoints"
			   : flags & PLOT_POINTS ? "points" : "lines";
	int pt = style_point[(s + 3 * (s / PLOT_STYLES)) % PLOT_STYLES];
	if ((flags & PLOT_HOLLOW) && pt >= 5 && pt % 2)
		pt--;
	fprintf(f, "with %s lc rgb '%s'", with, style_colour[s % PLOT_STYLES]);
	if (flags & PLOT_LINE)
		fprintf(f, " dt %s lw 2", style_dash[(s + s / PLOT_STYLES) % PLOT_STYLES]);
	if (flags & PLOT_POINTS)
		fprintf(f, " pt %d ps %s%s", pt, flags & PLOT_HOLLOW ? "1.6" : "1.0",
			flags & PLOT_LINE ? "" : " lw 1.5");
}

static void put_bar_style(FILE *f, size_t c)
{
	fprintf(f, "fs %s border lc rgb '#303030' lc rgb '%s'", bar_fill[c % BAR_STYLES],
		bar_colour[c % BAR_STYLES]);
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

/* ---------------------------------------------------------------- figure */

/* Can (X, Y) be drawn on axes of scales XS and YS? */
static int drawable(double x, double y, int xs, int ys)
{
	return isfinite(x) && isfinite(y) && (xs == PLOT_LINEAR || x > 0) &&
	       (ys == PLOT_LINEAR || y > 0);
}

static const plot_axis *panel_y(const plot_spec *s, const plot_panel *p)
{
	return p->y ? p->y : &s->y;
}

/* Bar B's place on panel P's x axis: in order, a gap between groups. */
static double bar_x(const plot_bars *b, size_t i)
{
	return (double)i + (b->group ? (double)b->group[i] : 0.0);
}

static double bar_value(const plot_bars *b, size_t c, size_t i)
{
	double v = b->y[c * b->nbars + i];
	return isfinite(v) && v > 0 ? v : 0;
}

typedef struct key_entry {
	const char *title;
	int style;
	unsigned flags;
	int bar;                  /* a bar category's (index + 1), or 0 */
} key_entry;

/* What the figure's layout and axes came to. */
typedef struct fig {
	int w, h;
	size_t cols, rows;
	tics x;                   /* the figure's x (line panels) */
	const plot_axis **yaxes;  /* distinct y axes, and their tics */
	tics *y;
	size_t ny;
	size_t *yof;              /* each panel's index into yaxes */
	tics *bx;                 /* bar panels: their x tics */
	int *rot;                 /* bar panels: tic text rotated */
	key_entry *key;
	size_t nkey, key_cols, key_rows;
	double title_h, key_h;    /* bands, pixels */
	double lm, rm, tm, bm;    /* a cell's margins around its plot area, pixels */
	double xtic_h;            /* the x tics' text under the plot area, pixels */
	double cell_w, cell_h;
} fig;

static void fig_free(fig *g)
{
	free(g->yaxes);
	free(g->y);
	free(g->yof);
	free(g->bx);
	free(g->rot);
	free(g->key);
}

static int fig_key_add(fig *g, const char *title, int style, unsigned flags, int bar)
{
	if (!title)
		return 0;
	for (size_t i = 0; i < g->nkey; i++)
		if (strcmp(g->key[i].title, title) == 0 && g->key[i].style == style &&
		    g->key[i].bar == bar)
			return 0;
	key_entry *k = realloc(g->key, (g->nkey + 1) * sizeof(*k));
	if (!k)
		return -1;
	g->key = k;
	g->key[g->nkey++] = (key_entry){ title, style, flags & ~(unsigned)PLOT_HOLLOW, bar };
	return 0;
}

/* The position of V on T's axis of scale SCALE, 0..1 of its length. */
static double axis_frac(const tics *t, int scale, double v)
{
	if (scale == PLOT_LINEAR)
		return t->hi > t->lo ? (v - t->lo) / (t->hi - t->lo) : 0;
	return t->hi > t->lo && v > 0 && t->lo > 0 ? log(v / t->lo) / log(t->hi / t->lo) : 0;
}

/* Blank the text of tics whose text would run into the previous one's on
 * an axis LEN pixels long (ACROSS: the texts stand across it, a line high
 * each, as y tics and rotated x tics do); the tic marks stay. */
static void thin_tics(tics *t, int scale, double len, int across)
{
	double prev_at = -INFINITY, prev_half = 0;
	for (size_t i = 0; i < t->n; i++) {
		double at = axis_frac(t, scale, t->v[i]) * len;
		double half = across ? LINE_H / 2 : (double)text_chars(t->text[i]) * CHAR_W / 2;
		if (!t->text[i][0])
			continue;
		if (at - half < prev_at + prev_half + (across ? 2 : 14)) {
			t->text[i][0] = '\0';
			continue;
		}
		prev_at = at;
		prev_half = half;
	}
}

/* Ranges, tics, key and layout of S. -1: out of memory; -2: the size
 * leaves no room (MSG says why). */
static int fig_make(const plot_spec *s, fig *g, char *msg, size_t msglen)
{
	size_t np = s->npanels;
	memset(g, 0, sizeof(*g));
	g->yaxes = calloc(np + 1, sizeof(*g->yaxes));
	g->y = calloc(np + 1, sizeof(*g->y));
	g->yof = calloc(np, sizeof(*g->yof));
	g->bx = calloc(np, sizeof(*g->bx));
	g->rot = calloc(np, sizeof(*g->rot));
	if (!g->yaxes || !g->y || !g->yof || !g->bx || !g->rot)
		return -1;
	/* x over every line panel */
	double xlo = INFINITY, xhi = -INFINITY;
	int xs = s->x.scale, any_lines = 0, any_bars = 0, any_groups = 0;
	for (size_t p = 0; p < np; p++) {
		const plot_panel *pa = &s->panels[p];
		const plot_axis *ya = panel_y(s, pa);
		size_t q = 0;
		while (q < g->ny && g->yaxes[q] != ya)
			q++;
		if (q == g->ny)
			g->yaxes[g->ny++] = ya;
		g->yof[p] = q;
		if (pa->bars) {
			any_bars = 1;
			any_groups |= pa->bars->ngroups > 1 || (pa->bars->group_label &&
								pa->bars->ngroups == 1);
			continue;
		}
		for (size_t k = 0; k < pa->nseries; k++) {
			const plot_series *r = &pa->series[k];
			any_lines = 1;
			for (size_t i = 0; i < r->n; i++)
				if (drawable(r->x[i], r->y[i], xs, ya->scale)) {
					xlo = fmin(xlo, r->x[i]);
					xhi = fmax(xhi, r->x[i]);
				}
		}
		for (size_t v = 0; v < pa->nvlines; v++)
			if (drawable(pa->vlines[v].x, 1, xs, PLOT_LINEAR)) {
				xlo = fmin(xlo, pa->vlines[v].x);
				xhi = fmax(xhi, pa->vlines[v].x);
			}
	}
	make_tics(&s->x, xlo, xhi, xlo <= xhi, &g->x);
	/* each y axis over the panels that have it */
	for (size_t q = 0; q < g->ny; q++) {
		const plot_axis *ya = g->yaxes[q];
		double lo = INFINITY, hi = -INFINITY;
		for (size_t p = 0; p < np; p++) {
			const plot_panel *pa = &s->panels[p];
			if (g->yof[p] != q)
				continue;
			if (pa->bars) {
				for (size_t i = 0; i < pa->bars->nbars; i++) {
					double sum = 0;
					for (size_t c = 0; c < pa->bars->ncat; c++)
						sum += bar_value(pa->bars, c, i);
					lo = fmin(lo, sum);
					hi = fmax(hi, sum);
				}
				continue;
			}
			for (size_t k = 0; k < pa->nseries; k++) {
				const plot_series *r = &pa->series[k];
				for (size_t i = 0; i < r->n; i++)
					if (drawable(r->x[i], r->y[i], xs, ya->scale) &&
					    r->x[i] >= g->x.lo && r->x[i] <= g->x.hi) {
						lo = fmin(lo, r->y[i]);
						hi = fmax(hi, r->y[i]);
					}
			}
		}
		make_tics(ya, lo, hi, lo <= hi, &g->y[q]);
	}
	/* the key: series titles in order, else the bars' categories */
	for (size_t p = 0; p < np; p++) {
		const plot_panel *pa = &s->panels[p];
		for (size_t k = 0; k < pa->nseries; k++)
			if (fig_key_add(g, pa->series[k].title, pa->series[k].style,
					pa->series[k].flags, 0))
				return -1;
		for (size_t c = 0; pa->bars && c < pa->bars->ncat; c++)
			if (fig_key_add(g, pa->bars->cat[c], (int)c, 0, (int)c + 1))
				return -1;
	}
	/* the grid of panels, and the size */
	g->cols = s->cols ? s->cols : np <= 3 ? np : np == 4 ? 2 : np <= 9 ? 3 : 4;
	if (g->cols > np)
		g->cols = np;
	g->rows = (np + g->cols - 1) / g->cols;
	g->w = s->width ? s->width : g->cols <= 2 ? PLOT_WIDTH : (int)(330 * g->cols);
	size_t widest = 0;
	for (size_t i = 0; i < g->nkey; i++)
		if (text_chars(g->key[i].title) > widest)
			widest = text_chars(g->key[i].title);
	double entry_w = (double)widest * CHAR_W + 64;
	g->key_cols = g->nkey ? (size_t)fmax(1, floor((g->w - 40) / entry_w)) : 0;
	if (g->key_cols > g->nkey)
		g->key_cols = g->nkey;
	g->key_rows = g->nkey ? (g->nkey + g->key_cols - 1) / g->key_cols : 0;
	g->key_h = g->nkey ? (double)g->key_rows * LINE_H * 1.25 + 16 +
			     (s->key_title ? LINE_H * 1.25 : 0) : 6;
	g->title_h = 10 + (s->title ? 26 : 0) + (s->subtitle ? 18 : 0);
	g->h = s->height ? s->height : g->rows == 1 ? PLOT_HEIGHT :
	       (int)(g->title_h + g->key_h + 300.0 * (double)g->rows);
	/* margins */
	size_t ytw = 0;
	int ylabel = 0, ptitle = 0;
	for (size_t q = 0; q < g->ny; q++) {
		if (g->y[q].widest > ytw)
			ytw = g->y[q].widest;
		ylabel |= g->yaxes[q]->label != NULL;
	}
	for (size_t p = 0; p < np; p++)
		ptitle |= s->panels[p].title != NULL;
	g->cell_w = (g->w - 16.0) / (double)g->cols;
	g->cell_h = (g->h - g->title_h - g->key_h) / (double)g->rows;
	g->lm = (double)ytw * CHAR_W + 14 + (ylabel ? 24 : 0);
	g->rm = fmax(18, any_lines && g->x.n ? (double)text_chars(g->x.text[g->x.n - 1]) *
					       CHAR_W / 2 + 6 : 18);
	g->tm = 8 + (ptitle ? 22 : 0);
	double xtic_h = LINE_H + 6;
	for (size_t p = 0; any_bars && p < np; p++) {
		const plot_bars *b = s->panels[p].bars;
		if (!b)
			continue;
		size_t wl = 0;
		for (size_t i = 0; i < b->nbars; i++) {
			char t[TIC_TEXT];
			snprintf(t, sizeof(t), "%s", b->label[i] ? b->label[i] : "");
			tic_add(&g->bx[p], bar_x(b, i), t);
		}
		wl = g->bx[p].widest;
		double room = (g->cell_w - g->lm - g->rm) /
			      (bar_x(b, b->nbars ? b->nbars - 1 : 0) + 1);
		g->rot[p] = (double)wl * CHAR_W > room * 0.92;
		/* Standing labels take at most 45% of the cell's height: a longer
		 * one keeps its end (a path's file name), after an ellipsis. */
		size_t most = (size_t)fmax(8, g->cell_h * 0.45 / CHAR_W);
		if (g->rot[p] && wl > most) {
			for (size_t i = 0; i < g->bx[p].n; i++) {
				char *t = g->bx[p].text[i];
				size_t n = text_chars(t), skip = 0;
				if (n <= most)
					continue;
				const char *q = t;
				while (skip < n - (most - 1)) {   /* (whole characters) */
					q++;
					while ((*q & 0xc0) == 0x80)
						q++;
					skip++;
				}
				char cut[TIC_TEXT];
				snprintf(cut, sizeof(cut), "\u2026%s", q);
				snprintf(t, TIC_TEXT, "%s", cut);
			}
			wl = most;
			g->bx[p].widest = most;
		}
		g->bx[p].lo = -0.6;
		g->bx[p].hi = bar_x(b, b->nbars ? b->nbars - 1 : 0) + 0.6;
		if (g->rot[p])
			xtic_h = fmax(xtic_h, (double)wl * CHAR_W + 10);
	}
	g->xtic_h = xtic_h;
	g->bm = xtic_h + (any_groups ? LINE_H + 14 : 0) + (s->x.label ? LINE_H + 8 : 0) + 4;
	double pw = g->cell_w - g->lm - g->rm, ph = g->cell_h - g->tm - g->bm;
	thin_tics(&g->x, s->x.scale, pw, 0);
	for (size_t q = 0; q < g->ny; q++)
		thin_tics(&g->y[q], g->yaxes[q]->scale, ph, 1);
	for (size_t p = 0; any_bars && p < np; p++)
		if (s->panels[p].bars)
			thin_tics(&g->bx[p], PLOT_LINEAR, pw, g->rot[p]);
	if (pw < 80 || ph < 60) {
		snprintf(msg, msglen, "a %dx%d figure leaves %.0fx%.0f pixels for each of its %zu "
			 "panels (%zu x %zu): not enough to draw (a larger size, or fewer panels)",
			 g->w, g->h, fmax(pw, 0), fmax(ph, 0), np, g->cols, g->rows);
		return -2;
	}
	return 0;
}

/* S cut to at most MAX characters (an ellipsis at the end), into BUF. */
static const char *fit_text(char *buf, size_t len, const char *s, double max)
{
	size_t n = text_chars(s), keep = max > 4 ? (size_t)max - 1 : 3, chars = 0, i = 0;
	if ((double)n <= max)
		return s;
	while (s[i] && i + 4 < len && chars < keep)
		chars += ((unsigned char)s[++i] & 0xc0) != 0x80;
	snprintf(buf, len, "%.*s\u2026", (int)i, s);
	return buf;
}

/* Screen fractions of pixel positions (y from the bottom). */
#define SX(g, px) ((px) / (double)(g)->w)
#define SY(g, px) ((px) / (double)(g)->h)

/* The range LO..HI; a log axis a hair wider, so that a tic at an end is
 * not lost to rounding. */
static void put_range(FILE *f, const char *axis, double lo, double hi, int scale)
{
	double pad = scale == PLOT_LINEAR ? 0 : 1e-6;
	fprintf(f, "set %srange [%.17g:%.17g]\n", axis, lo / (1 + pad), hi * (1 + pad));
}

static void put_scale(FILE *f, const char *axis, int scale)
{
	if (scale == PLOT_LOG2)
		fprintf(f, "set logscale %s 2\n", axis);
	else if (scale == PLOT_LOG10)
		fprintf(f, "set logscale %s 10\n", axis);
}

/* Panel P's plot: its data, axes, labels and plot command. */
static void panel_script(FILE *f, const plot_spec *s, const fig *g, size_t p)
{
	const plot_panel *pa = &s->panels[p];
	const plot_axis *ya = g->yaxes[g->yof[p]];
	const tics *yt = &g->y[g->yof[p]];
	const tics *xt = pa->bars ? &g->bx[p] : &g->x;
	size_t col = p % g->cols, row = p / g->cols;
	double left = 8 + (double)col * g->cell_w, top = g->h - g->title_h - (double)row * g->cell_h;
	double x0 = left + g->lm, x1 = left + g->cell_w - g->rm;
	double y1 = top - g->tm, y0 = top - g->cell_h + g->bm;
	int xs = pa->bars ? PLOT_LINEAR : s->x.scale;
	fputs("unset label\nunset arrow\nunset key\nunset logscale\nunset title\n", f);
	fprintf(f, "set lmargin at screen %.5f\nset rmargin at screen %.5f\n"
		"set tmargin at screen %.5f\nset bmargin at screen %.5f\n", SX(g, x0), SX(g, x1),
		SY(g, y1), SY(g, y0));
	fputs("set border 3 lw 1 lc rgb '#404040'\nset tics nomirror out scale 0.6\n", f);
	fprintf(f, "unset grid\nset grid %sytics lc rgb '#dcdcdc' lw 1 dt 1\n",
		pa->bars ? "" : "xtics ");
	put_scale(f, "x", xs);
	put_scale(f, "y", ya->scale);
	put_range(f, "x", xt->lo, xt->hi, xs);
	put_range(f, "y", yt->lo, yt->hi, ya->scale);
	fputs(pa->bars && g->rot[p] ? "set xtics rotate by 90 right\n" : "set xtics norotate center\n",
	      f);
	put_tics(f, "x", xt);
	put_tics(f, "y", yt);
	/* Axis labels where this module measured room for them (gnuplot places
	 * its own by its estimate of the tics' width, which counts bytes). */
	int show_x = p + g->cols >= s->npanels;
	int show_y = col == 0 || g->yof[p] != g->yof[p - 1];
	fputs("unset xlabel\nunset ylabel\n", f);
	if (show_x && s->x.label) {
		fputs("set label ", f);
		put_quoted(f, s->x.label);
		fprintf(f, " at screen %.5f, screen %.5f center\n", SX(g, (x0 + x1) / 2),
			SY(g, top - g->cell_h + 4 + LINE_H / 2));
	}
	if (show_y && ya->label) {
		fputs("set label ", f);
		put_quoted(f, ya->label);
		fprintf(f, " at screen %.5f, screen %.5f center rotate by 90\n", SX(g, left + 12),
			SY(g, (y0 + y1) / 2));
	}
	if (pa->title) {
		fputs("set title ", f);
		put_quoted(f, pa->title);
		fputs(" font ',10'\n", f);
	}
	if (p == 0 && s->title) {   /* the figure's title, drawn with the first panel */
		char cut[512];
		fputs("set label ", f);
		put_quoted(f, fit_text(cut, sizeof(cut), s->title, (g->w - 24) / (CHAR_W * 1.2)));
		fprintf(f, " at screen 0.5, screen %.5f center font ',12'\n",
			SY(g, g->h - 8 - 14));
		if (s->subtitle) {
			fputs("set label ", f);
			put_quoted(f, fit_text(cut, sizeof(cut), s->subtitle, (g->w - 24) / CHAR_W));
			fprintf(f, " at screen 0.5, screen %.5f center tc rgb '#404040'\n",
				SY(g, g->h - 8 - 24 - 10));
		}
	}
	if (pa->note) {
		char cut[512];
		fputs("set label ", f);
		put_quoted(f, fit_text(cut, sizeof(cut), pa->note, (x1 - x0) / (CHAR_W * 0.9)));
		fputs(" at graph 0.98, graph 0.96 right font ',9' tc rgb '#404040' front\n", f);
	}
	for (size_t v = 0; v < pa->nvlines; v++) {
		double x = pa->vlines[v].x;
		if (!drawable(x, 1, xs, PLOT_LINEAR) || x < xt->lo || x > xt->hi)
			continue;
		fprintf(f, "set arrow from %.17g, graph 0 to %.17g, graph 1 nohead dt (4,4) lw 1 "
			"lc rgb '#707070' back\n", x, x);
		fputs("set label ", f);
		put_quoted(f, pa->vlines[v].text);
		fprintf(f, " at %.17g, graph 1 offset 0.4,-0.9 left font ',9' tc rgb '#404040' "
			"front\n", x);
	}
	if (pa->bars && pa->bars->group_label) {
		const plot_bars *b = pa->bars;
		double gy = y0 - g->xtic_h - LINE_H / 2 - 8;
		for (size_t q = 0; q < b->ngroups; q++) {
			double a = INFINITY, z = -INFINITY;
			for (size_t i = 0; i < b->nbars; i++)
				if (!b->group || b->group[i] == q) {
					a = fmin(a, bar_x(b, i));
					z = fmax(z, bar_x(b, i));
				}
			if (a > z)
				continue;
			fputs("set label ", f);
			put_quoted(f, b->group_label[q]);
			fprintf(f, " at first %.17g, screen %.5f center font ',10'\n", (a + z) / 2,
				SY(g, gy));
			if (q)
				fprintf(f, "set arrow from first %.17g, graph 0 to first %.17g, graph 1 "
					"nohead lc rgb '#c0c0c0' dt 1 lw 1 back\n", a - 1, a - 1);
		}
	}
	/* data: numbers only */
	size_t drawn = 0;
	if (pa->bars) {
		const plot_bars *b = pa->bars;
		fprintf(f, "$p%zub << EOD\n", p);
		for (size_t i = 0; i < b->nbars; i++) {
			double sum = 0;
			fprintf(f, "%.17g", bar_x(b, i));
			for (size_t c = 0; c < b->ncat; c++) {
				double v = bar_value(b, c, i);
				fprintf(f, " %.17g %.17g", sum, sum + v);
				sum += v;
			}
			fputc('\n', f);
		}
		fputs("EOD\nplot ", f);
		for (size_t c = 0; c < b->ncat; c++) {
			fprintf(f, "%s$p%zub using 1:((column(%zu)+column(%zu))/2):($1-0.38):($1+0.38):"
				"%zu:%zu with boxxyerror ", c ? ", " : "", p, 2 * c + 2, 2 * c + 3,
				2 * c + 2, 2 * c + 3);
			put_bar_style(f, c);
			fputs(" notitle", f);
		}
		fputc('\n', f);
		return;
	}
	for (size_t k = 0; k < pa->nseries; k++) {
		const plot_series *r = &pa->series[k];
		size_t m = 0;
		for (size_t i = 0; i < r->n; i++)
			m += (size_t)drawable(r->x[i], r->y[i], xs, ya->scale);
		if (!m)
			continue;
		fprintf(f, "$p%zus%zu << EOD\n", p, k);
		for (size_t i = 0; i < r->n; i++)
			if (drawable(r->x[i], r->y[i], xs, ya->scale))
				fprintf(f, "%.17g %.17g\n", r->x[i], r->y[i]);
		fputs("EOD\n", f);
	}
	fputs("plot ", f);
	for (size_t k = 0; k < pa->nseries; k++) {
		const plot_series *r = &pa->series[k];
		size_t m = 0;
		for (size_t i = 0; i < r->n; i++)
			m += (size_t)drawable(r->x[i], r->y[i], xs, ya->scale);
		if (!m)
			continue;
		fprintf(f, "%s$p%zus%zu using 1:2 ", drawn++ ? ", " : "", p, k);
		put_style(f, r->style, r->flags);
		fputs(" notitle", f);
	}
	if (!drawn)   /* the axes alone: a point outside them */
		fprintf(f, "'-' using 1:2 with points notitle\n%.17g %.17g\ne", xt->hi * 4 + 1,
			yt->hi * 4 + 1);
	fputc('\n', f);
}

/* The key: a plot of points outside its range in the band under the
 * panels, whose samples gnuplot draws. */
static void key_script(FILE *f, const plot_spec *s, const fig *g)
{
	if (!g->nkey)
		return;
	fputs("unset label\nunset arrow\nunset logscale\nunset title\nunset grid\nunset border\n"
	      "unset tics\nunset xlabel\nunset ylabel\n", f);
	fprintf(f, "set lmargin at screen 0.02\nset rmargin at screen 0.98\n"
		"set tmargin at screen %.5f\nset bmargin at screen %.5f\n", SY(g, g->key_h - 4),
		SY(g, 4));
	fputs("set xrange [0:1]\nset yrange [0:1]\n$nokey << EOD\n-1 -1\nEOD\n", f);
	fprintf(f, "set key inside center center horizontal maxcols %zu reverse Left samplen 3 "
		"spacing 1.25 width 2 noautotitle", g->key_cols);
	if (s->key_title) {
		fputs(" title ", f);
		put_quoted(f, s->key_title);
	}
	fputs("\nplot ", f);
	for (size_t i = 0; i < g->nkey; i++) {
		const key_entry *k = &g->key[i];
		fprintf(f, "%s$nokey using 1:2 ", i ? ", " : "");
		if (k->bar) {
			fputs("with boxes ", f);
			put_bar_style(f, (size_t)k->bar - 1);
		} else {
			put_style(f, k->style, k->flags);
		}
		fputs(" title ", f);
		put_quoted(f, k->title);
	}
	fputc('\n', f);
}

static void script(FILE *f, plot_kind kind, const plot_spec *s, const fig *g)
{
	fprintf(f, "set terminal %s size %d,%d noenhanced font 'sans,10'%s\n",
		kind == PLOT_PNG ? "pngcairo" : "svg", g->w, g->h,
		kind == PLOT_PNG ? "" : " background '#ffffff'");
	fputs("set output\nset multiplot\n", f);   /* (no name: standard output) */
	for (size_t p = 0; p < s->npanels; p++)
		panel_script(f, s, g, p);
	key_script(f, s, g);
	fputs("unset multiplot\n", f);
}

/* ---------------------------------------------------------------- metadata */

/* S as metadata text: valid UTF-8, control characters but a line break as
 * '?', at most META_MAX bytes (cut at a character), XML-escaped for SVG. */
static void meta_text(FILE *m, const char *s, int xml)
{
	size_t out = 0;
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && out < META_MAX;) {
		size_t n = *p == '\n' ? 1 : utf8_ok(p);
		if (!n) {
			fputc('?', m);
			p++;
			out++;
			continue;
		}
		const char *esc = !xml ? NULL : *p == '&' ? "&amp;" : *p == '<' ? "&lt;" :
				  *p == '>' ? "&gt;" : *p == '"' ? "&quot;" : NULL;
		if (esc) {
			fputs(esc, m);
			out += strlen(esc);
		} else
			out += fwrite(p, 1, n, m);
		p += n;
	}
}

/* A PNG iTXt chunk (PNG spec 11.3.4.5): KEY, uncompressed, no language. */
static void png_itxt(FILE *m, const char *key, const char *text)
{
	char *body = NULL;
	size_t len = 0;
	FILE *b = open_memstream(&body, &len);
	if (!b)
		return;
	fputs("iTXt", b);
	fputs(key, b);
	fputc(0, b);
	fputc(0, b);   /* compression flag */
	fputc(0, b);   /* compression method */
	fputc(0, b);   /* language tag: none */
	fputc(0, b);   /* translated keyword: none */
	meta_text(b, text, 0);
	if (fclose(b) != 0) {
		free(body);
		return;
	}
	uint32_t n = (uint32_t)(len - 4);
	unsigned char hdr[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
				 (unsigned char)(n >> 8), (unsigned char)n };
	uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)body, (uInt)len);
	unsigned char c[4] = { (unsigned char)(crc >> 24), (unsigned char)(crc >> 16),
			       (unsigned char)(crc >> 8), (unsigned char)crc };
	fwrite(hdr, 1, 4, m);
	fwrite(body, 1, len, m);
	fwrite(c, 1, 4, m);
	free(body);
}

/* Put TITLE and META into the chart at FD: iTXt chunks after the PNG's
 * IHDR; <title> and <desc> for gnuplot's in the SVG. 0 or PLOT_FAILED. */
static int put_metadata(int fd, plot_kind kind, const char *title, const char *meta,
			const char *name, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || (uint64_t)st.st_size > CHART_MAX) {
		snprintf(err, errlen, "%s: reading the chart back: %s", name,
			 st.st_size > 0 ? "too large" : "empty or unreadable");
		return PLOT_FAILED;
	}
	size_t size = (size_t)st.st_size;
	char *old = malloc(size + 1), *nw = NULL;
	size_t nlen = 0;
	FILE *m = old ? open_memstream(&nw, &nlen) : NULL;
	if (!m || read_at(fd, old, size, 0) != 0) {
		if (m)
			fclose(m);
		free(nw);
		free(old);
		snprintf(err, errlen, "%s: reading the chart back: %s", name,
			 m ? "short read" : "out of memory");
		return PLOT_FAILED;
	}
	old[size] = '\0';
	char soft[64];
	snprintf(soft, sizeof(soft), "slatsim %s, gnuplot", SLATSIM_VERSION);
	int ok = 1;
	if (kind == PLOT_PNG) {
		ok = size > PNG_IHDR_END && memcmp(old, png_signature, 8) == 0 &&
		     memcmp(old + 12, "IHDR", 4) == 0;
		if (ok) {
			fwrite(old, 1, PNG_IHDR_END, m);
			png_itxt(m, "Title", title);
			png_itxt(m, "Description", meta);
			png_itxt(m, "Software", soft);
			fwrite(old + PNG_IHDR_END, 1, size - PNG_IHDR_END, m);
		}
	} else {
		/* gnuplot's own <title>Gnuplot</title> and <desc>, or after <svg ...> */
		char *svg = strstr(old, "<svg"), *at = NULL, *end = NULL;
		char *t = svg ? strstr(svg, "<title>Gnuplot</title>") : NULL;
		ok = svg != NULL && strchr(svg, '>') != NULL;
		if (ok && t) {
			at = t;
			end = t + strlen("<title>Gnuplot</title>");
			char *d = strstr(end, "<desc>"), *de = d ? strstr(d, "</desc>") : NULL;
			if (d && de && strspn(end, " \t\r\n") == (size_t)(d - end))
				end = de + strlen("</desc>");
		} else if (ok) {
			at = end = strchr(svg, '>') + 1;
		}
		if (ok) {
			fwrite(old, 1, (size_t)(at - old), m);
			fputs(at == end ? "\n<title>" : "<title>", m);
			meta_text(m, title, 1);
			fputs("</title>\n<desc>", m);
			meta_text(m, meta, 1);
			fputs(" (", m);
			meta_text(m, soft, 1);
			fputs(")</desc>", m);
			fwrite(end, 1, size - (size_t)(end - old), m);
		}
	}
	free(old);
	if (fclose(m) != 0 || !ok) {
		free(nw);
		if (!ok) {
			snprintf(err, errlen, "%s: what gnuplot wrote (%zu bytes) is not a complete "
				 "%s; not put in place", name, size, kind == PLOT_PNG ? "PNG" : "SVG");
			return PLOT_FAILED;
		}
		snprintf(err, errlen, "out of memory (drawing %s)", name);
		return PLOT_FAILED;
	}
	int rc = 0;
	for (size_t done = 0; done < nlen && !rc;) {
		ssize_t w = pwrite(fd, nw + done, nlen - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = -1;
		else
			done += (size_t)w;
	}
	if (!rc && ftruncate(fd, (off_t)nlen) != 0)
		rc = -1;
	free(nw);
	if (rc) {
		snprintf(err, errlen, "%s: writing the chart's metadata: %s", name, strerror(errno));
		return PLOT_FAILED;
	}
	return 0;
}

/* ---------------------------------------------------------------- charts */

int plot_figure(FILE *out, const char *name, plot_kind kind, const plot_spec *s, char *err,
		size_t errlen)
{
	size_t points = 0;
	for (size_t p = 0; p < s->npanels; p++) {
		const plot_panel *pa = &s->panels[p];
		int ys = panel_y(s, pa)->scale;
		for (size_t i = 0; pa->bars && i < pa->bars->nbars; i++)
			for (size_t c = 0; c < pa->bars->ncat; c++)
				points += bar_value(pa->bars, c, i) > 0;
		for (size_t k = 0; k < pa->nseries; k++)
			for (size_t i = 0; i < pa->series[k].n; i++)
				points += (size_t)drawable(pa->series[k].x[i], pa->series[k].y[i],
							   s->x.scale, ys);
	}
	if (!points) {
		int logs = s->x.scale != PLOT_LINEAR || s->y.scale != PLOT_LINEAR;
		for (size_t p = 0; p < s->npanels; p++)
			logs |= s->panels[p].y && s->panels[p].y->scale != PLOT_LINEAR;
		snprintf(err, errlen, "%s: nothing to draw (no point with a finite value%s)", name,
			 logs ? ", positive on the log scale" : "");
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
	fig g;
	char msg[300];
	int frc = fig_make(s, &g, msg, sizeof(msg));
	if (frc) {
		fig_free(&g);
		if (frc == -2) {
			snprintf(err, errlen, "%s: %s", name, msg);
			return PLOT_EMPTY;
		}
		snprintf(err, errlen, "out of memory (drawing %s)", name);
		return PLOT_FAILED;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m) {
		fig_free(&g);
		snprintf(err, errlen, "out of memory (drawing %s)", name);
		return PLOT_FAILED;
	}
	script(m, kind, s, &g);
	fig_free(&g);
	if (fclose(m) != 0) {
		free(text);
		snprintf(err, errlen, "out of memory (drawing %s)", name);
		return PLOT_FAILED;
	}
	int rc = run_gnuplot(fd, text, len, name, err, errlen);
	free(text);
	if (!rc)
		rc = check_chart(fd, kind, name, err, errlen);
	if (!rc)
		rc = put_metadata(fd, kind, s->title, s->meta, name, err, errlen);
	if (!rc)
		rc = check_chart(fd, kind, name, err, errlen);
	return rc;
}

/* ---------------------------------------------------------------- reach */

void plot_short_trace(char *buf, size_t len, const char *desc, const char *path)
{
	enum { SHORT = 48 };
	char t[256] = "";
	const char *q = desc ? strchr(desc, '\'') : NULL, *qe = q ? strchr(q + 1, '\'') : NULL;
	if (q && qe && qe > q + 1) {
		snprintf(t, sizeof(t), "%.*s", (int)(qe - q - 1 < 255 ? qe - q - 1 : 255), q + 1);
	} else if (desc && *desc) {
		/* the readers' own descriptions name a format, not a program:
		 * the file's name tells more */
		static const char *const format_only[] = { "plain text trace", "ChampSim trace",
							   "DynamoRIO drmemtrace", "valgrind lackey" };
		int fmt = 0;
		for (size_t i = 0; i < sizeof(format_only) / sizeof(format_only[0]); i++)
			fmt |= strncmp(desc, format_only[i], strlen(format_only[i])) == 0;
		size_t n = fmt ? 0 : strcspn(desc, "(;\n");
		snprintf(t, sizeof(t), "%.*s", (int)(n < 255 ? n : 255), desc);
	}
	size_t n = strlen(t);
	while (n && strchr(" \t,:", t[n - 1]))
		t[--n] = '\0';
	if (!n) {
		const char *b = path ? strrchr(path, '/') : NULL;
		snprintf(buf, len, "%s", b && b[1] ? b + 1 : path ? path : "");
		return;
	}
	if (text_chars(t) > SHORT) {   /* at a space before the limit, or at a character */
		size_t cut = 0, chars = 0;
		for (size_t i = 0; t[i] && chars < SHORT - 3; i++) {
			if ((t[i] & 0xc0) != 0x80)
				chars++;
			if (t[i] == ' ')
				cut = i;
		}
		if (!cut) {
			cut = 0;
			for (chars = 0; t[cut] && chars < SHORT - 3; cut++)
				chars += (t[cut] & 0xc0) != 0x80;
			while (cut && (t[cut] & 0xc0) == 0x80)
				cut--;
		}
		snprintf(t + cut, sizeof(t) - cut, "\u2026");
	}
	snprintf(buf, len, "%s", t);
}

/* Entry counts a reach curve is drawn through: every one to 64, then
 * REACH_SAMPLES_PER_OCTAVE an octave, the configuration's sizes and the
 * last; in order. Returns how many (OUT holds at least 64 + 32 x 25 + 4). */
static size_t reach_samples(uint32_t entries, const uint64_t *cfg, size_t ncfg, double *out)
{
	size_t n = 0;
	uint64_t prev = 0;
	for (uint64_t k = 1; k <= entries && k <= 64; k++)
		out[n++] = (double)(prev = k);
	for (int j = 6 * REACH_SAMPLES_PER_OCTAVE + 1;; j++) {
		uint64_t k = (uint64_t)llround(pow(2, (double)j / REACH_SAMPLES_PER_OCTAVE));
		if (k > entries)
			break;
		for (size_t c = 0; c < ncfg; c++)   /* a configured size between */
			if (cfg[c] > prev && cfg[c] < k && cfg[c] <= entries)
				out[n++] = (double)(prev = cfg[c]);
		if (k > prev)
			out[n++] = (double)(prev = k);
	}
	for (size_t c = 0; c < ncfg; c++)
		if (cfg[c] > prev && cfg[c] <= entries) {
			/* (sizes past the last sample, in order) */
			uint64_t best = 0;
			for (size_t d = 0; d < ncfg; d++)
				if (cfg[d] > prev && cfg[d] <= entries && (!best || cfg[d] < best))
					best = cfg[d];
			out[n++] = (double)(prev = best);
			c = (size_t)-1;
		}
	if (prev < entries)
		out[n++] = (double)entries;
	return n;
}

static void size_name(char *b, size_t n, unsigned shift)
{
	if (!shift)
		snprintf(b, n, "mixed sizes");
	else
		bytes_text(b, n, ldexp(1, (int)shift));
}

int plot_reach(FILE *out, const char *name, plot_kind kind, const plot_reach_in *in,
	       char *err, size_t errlen)
{
	static const char *const stream_title[2] = { "data stream (L1D: reads and writes)",
						     "instruction stream (L1I: fetches)" };
	enum { NS = 2, NZ = PLOT_REACH_SIZES, MAXS = 64 + REACH_SAMPLES_PER_OCTAVE * 25 + 8 };
	uint64_t cfg[NS][2] = { { in->l1d, in->l2 }, { in->l1i, in->l2 } };
	const char *cfg_name[NS][2] = { { "L1D", "L2" }, { "L1I", "L2" } };
	if (in->mpki && !in->instructions) {
		snprintf(err, errlen, "%s: nothing to draw: MPKI needs instructions, and the trace "
			 "has none", name);
		return PLOT_EMPTY;
	}
	double *xs = malloc(MAXS * sizeof(double));
	double *ys = malloc((size_t)NS * NZ * MAXS * sizeof(double));
	double *mx = malloc((size_t)NS * NZ * 2 * sizeof(double));
	double *my = malloc((size_t)NS * NZ * 2 * sizeof(double));
	if (!xs || !ys || !mx || !my) {
		free(xs);
		free(ys);
		free(mx);
		free(my);
		snprintf(err, errlen, "out of memory (drawing %s)", name);
		return PLOT_FAILED;
	}
	plot_series ser[NS][2 * NZ];
	plot_panel pan[NS];
	plot_vline vl[NS][2];
	char vtext[NS][2][48], titles[NZ][96];
	size_t np = 0;
	/* the combined curve: its own line, or one of the sizes' */
	unsigned cs = in->combined_shift;
	int combined_is = -1;
	for (int k = 0; k < NZ - 1; k++)
		if (cs && in->c[0][k].shift == cs)
			combined_is = k;
	for (int k = 0; k < NZ; k++) {
		char sz[32];
		size_name(sz, sizeof(sz), in->c[0][k].shift ? in->c[0][k].shift :
					  in->c[1][k].shift);
		if (k == NZ - 1) {
			size_name(sz, sizeof(sz), cs);
			snprintf(titles[k], sizeof(titles[k]), "the configuration's entries (%s)", sz);
		} else {
			snprintf(titles[k], sizeof(titles[k]), "%s pages%s", sz,
				 k == combined_is ? " = the configuration's entries" : "");
		}
	}
	size_t nx = 0;
	for (int s = 0; s < NS; s++) {
		size_t nser = 0, nv = 0;
		uint64_t look = 0;
		for (int k = 0; k < NZ; k++)
			look |= in->c[s][k].lookups;
		if (!look)
			continue;
		nx = reach_samples(in->entries, cfg[s], 2, xs);
		for (int k = 0; k < NZ; k++) {
			const plot_reach_curve *c = &in->c[s][k];
			if (!c->lookups || !c->misses || (k == NZ - 1 && combined_is >= 0))
				continue;
			double den = in->mpki ? (double)in->instructions / 1000.0 : (double)c->lookups;
			double *y = ys + ((size_t)s * NZ + (size_t)k) * MAXS;
			for (size_t i = 0; i < nx; i++)
				y[i] = (double)c->misses[(size_t)xs[i] - 1] / den;
			int style = k == NZ - 1 ? 6 : k;
			/* (a curve of a few sizes shows each: a line alone may be none) */
			ser[s][nser++] = (plot_series){ .title = titles[k], .x = xs, .y = y, .n = nx,
						       .style = style,
						       .flags = PLOT_LINE | (nx < 16 ? PLOT_POINTS : 0) };
			size_t nm = 0;
			double *px = mx + ((size_t)s * NZ + (size_t)k) * 2;
			double *py = my + ((size_t)s * NZ + (size_t)k) * 2;
			for (int q = 0; q < 2; q++)
				if (cfg[s][q] && cfg[s][q] <= in->entries) {
					px[nm] = (double)cfg[s][q];
					py[nm++] = (double)c->misses[cfg[s][q] - 1] / den;
				}
			if (nm)
				ser[s][nser++] = (plot_series){ .x = px, .y = py, .n = nm, .style = style,
							       .flags = PLOT_POINTS };
		}
		for (int q = 0; q < 2; q++)
			if (cfg[s][q] && cfg[s][q] <= in->entries) {
				char n[32];
				num_text(n, sizeof(n), (double)cfg[s][q], 0);
				snprintf(vtext[s][nv], sizeof(vtext[s][nv]), "%s %s", cfg_name[s][q], n);
				vl[s][nv] = (plot_vline){ (double)cfg[s][q], vtext[s][nv] };
				nv++;
			}
		pan[np++] = (plot_panel){ .title = stream_title[s], .series = ser[s],
					  .nseries = nser, .vlines = vl[s], .nvlines = nv };
	}
	int rc;
	if (!np) {
		snprintf(err, errlen, "%s: nothing to draw: %s has no lookups (no R, W or X record)",
			 name, in->trace ? in->trace : "the trace");
		rc = PLOT_EMPTY;
	} else {
		char shorttr[128], title[256], sub[160], *meta = NULL;
		size_t ml = 0;
		plot_short_trace(shorttr, sizeof(shorttr), in->desc, in->trace);
		snprintf(title, sizeof(title), "%s: TLB %s against entries, per page size", shorttr,
			 in->mpki ? "MPKI" : "miss ratio");
		snprintf(sub, sizeof(sub), "approximate: invalidation records in the trace (LRU with "
			 "invalid ways is not a stack algorithm)");
		FILE *m = open_memstream(&meta, &ml);
		if (m) {
			char csz[32];
			size_name(csz, sizeof(csz), cs);
			fprintf(m, "slatsim reach: misses of every fully-associative LRU TLB of 1..%u "
				"entries (Mattson's stack distances). Trace: %s", (unsigned)in->entries,
				in->trace ? in->trace : "");
			if (in->desc && *in->desc)
				fprintf(m, " (%s)", in->desc);
			fprintf(m, ". Combined entry size of the configuration: %s.", csz);
			if (in->source)
				fprintf(m, " Read from %s.", in->source);
			if (fclose(m) != 0) {
				free(meta);
				meta = NULL;
			}
		}
		plot_spec sp = {
			.title = title, .subtitle = in->exact ? NULL : sub, .meta = meta,
			.x = { .label = "TLB entries (fully associative, LRU)", .scale = PLOT_LOG2,
			       .lo = 1, .hi = in->entries > 1 ? in->entries : 2 },
			.y = { .label = in->mpki ? "MPKI (misses per 1,000 instructions)"
					: "miss ratio (misses per lookup)", .scale = PLOT_LOG10 },
			.panels = pan, .npanels = np, .cols = np,
			.width = in->width, .height = in->height,
		};
		rc = plot_figure(out, name, kind, &sp, err, errlen);
		free(meta);
	}
	free(xs);
	free(ys);
	free(mx);
	free(my);
	return rc;
}
