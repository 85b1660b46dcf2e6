/*
 * sim/plot.c - see plot.h.
 *
 * gnuplot runs as a child with the script on a pipe to its standard input
 * (popen); its exit status says whether the chart was written. Strings are
 * single-quoted, where gnuplot knows only one escape: '' for a quote
 * (gnuplot 5.4 manual, "Strings").
 */
#include "plot.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

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

/* S as a gnuplot single-quoted string; control bytes become spaces. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '\'')
			fputs("''", f);
		else
			fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
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

static void script(FILE *f, const char *path, plot_kind kind, const plot_spec *s)
{
	if (kind == PLOT_PNG)
		fputs("set terminal pngcairo size 960,600 noenhanced font 'sans,10'\n", f);
	else
		fputs("set terminal svg size 960,600 noenhanced font 'sans,10' background '#ffffff'\n",
		      f);
	fputs("set output ", f);
	put_quoted(f, path);
	fputs("\nset title ", f);
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
	if (!s->bars && s->labels) {
		fputs("set xtics (", f);
		for (size_t i = 0; i < s->nlabels; i++) {
			fputs(i ? ", " : "", f);
			put_quoted(f, s->labels[i]);
			fprintf(f, " %zu", i);
		}
		fprintf(f, ")\nset xrange [-0.5:%zu.5]\n", s->nlabels ? s->nlabels - 1 : 0);
	}
	if (s->bars) {
		size_t n = s->nseries ? s->series[0].n : 0;
		fputs("$bars << EOD\n", f);
		for (size_t i = 0; i < n; i++) {
			/* Labels are quoted in the data: "..." with \" for a quote. */
			fputc('"', f);
			for (const char *p = s->labels[i]; *p; p++) {
				if (*p == '"' || *p == '\\')
					fputc('\\', f);
				fputc(iscntrl((unsigned char)*p) ? ' ' : *p, f);
			}
			fputc('"', f);
			for (size_t k = 0; k < s->nseries; k++) {
				fputc(' ', f);
				put_num(f, s->series[k].y[i]);
			}
			fputc('\n', f);
		}
		fputs("EOD\nset style data histograms\nset style histogram rowstacked\n"
		      "set style fill solid 0.8 border -1\nset boxwidth 0.7\n"
		      "set xtics rotate by -30\nset yrange [0:*]\n", f);
		fputs("plot ", f);
		for (size_t k = 0; k < s->nseries; k++) {
			fprintf(f, "%s$bars using %zu%s title ", k ? ", " : "", k + 2,
				k ? "" : ":xtic(1)");
			put_quoted(f, s->series[k].title);
		}
		fputc('\n', f);
		return;
	}
	for (size_t k = 0; k < s->nseries; k++) {
		fprintf(f, "$s%zu << EOD\n", k);
		for (size_t i = 0; i < s->series[k].n; i++) {
			put_num(f, s->series[k].x[i]);
			fputc(' ', f);
			put_num(f, s->series[k].y[i]);
			fputc('\n', f);
		}
		fputs("EOD\n", f);
	}
	fputs("plot ", f);
	for (size_t k = 0; k < s->nseries; k++) {
		fprintf(f, "%s$s%zu using 1:2 with linespoints pointsize 0.6 title ", k ? ", " : "",
			k);
		put_quoted(f, s->series[k].title);
	}
	fputc('\n', f);
}

int plot_draw(const char *path, plot_kind kind, const plot_spec *s, char *err, size_t errlen)
{
	if (!s->nseries) {   /* (gnuplot's "plot" with nothing fails with a script error) */
		snprintf(err, errlen, "nothing to draw in %s", path);
		return -1;
	}
	if (plot_available(err, errlen))
		return -1;
	FILE *g = popen("exec gnuplot", "w");
	if (!g) {
		snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
		return -1;
	}
	script(g, path, kind, s);
	int st = pclose(g);
	if (st != 0) {
		snprintf(err, errlen, "gnuplot failed (%s %d) drawing %s", WIFEXITED(st) ?
			 "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			 path);
		return -1;
	}
	return 0;
}

int plot_miss_ratio(const char *path, plot_kind kind, const char *title, const plot_curve *c,
		    size_t n, char *err, size_t errlen)
{
	enum { MAXPTS = 40 };
	double (*x)[MAXPTS] = calloc(n ? n : 1, sizeof(*x));
	double (*y)[MAXPTS] = calloc(n ? n : 1, sizeof(*y));
	plot_series *ser = calloc(n ? n : 1, sizeof(*ser));
	if (!x || !y || !ser) {
		free(x);
		free(y);
		free(ser);
		snprintf(err, errlen, "out of memory");
		return -1;
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
	int rc = plot_draw(path, kind, &sp, err, errlen);
	free(x);
	free(y);
	free(ser);
	return rc;
}
