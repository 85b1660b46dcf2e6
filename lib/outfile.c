/*
 * lib/outfile.c - see outfile.h.
 *
 * Invariant: every outfile with a temporary is on its outset's list from the
 * moment the temporary exists until it is renamed or removed, and both
 * happen under the outset's mutex, so the signal watcher (which takes the
 * mutex and never gives it back) sees each temporary either still to remove
 * or already gone, never half renamed.
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

typedef struct file_id {
	dev_t dev;
	ino_t ino;
} file_id;

typedef struct input {
	file_id id;
	char *path;
} input;

struct outfile {
	outset *s;
	outfile *next;
	char *name;          /* as given */
	char *target;        /* the path renamed over at commit (temporary case) */
	char *tmp;           /* the temporary, or NULL (in place, standard output) */
	char *key;           /* identity of an absent destination: its resolved path */
	file_id id;          /* identity of an existing destination */
	int have_id;
	int is_stdout;
	FILE *f;
};

struct outset {
	pthread_mutex_t mu;
	pthread_t watcher;
	int have_watcher;
	int destroyed;
	outfile *open;
	input *in;
	size_t nin;
	mode_t umask;
};

/* ---------------------------------------------------------------- helpers */

static int errf(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
	return -1;
}

static void sig_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

/* The watcher: wait for a terminating signal, remove every temporary, exit.
 * It keeps the mutex, so no commit can complete after the decision. */
static void *watch(void *arg)
{
	outset *s = arg;
	sigset_t set;
	int sig = SIGTERM;
	sig_set(&set);
	while (sigwait(&set, &sig) != 0)
		;
	pthread_mutex_lock(&s->mu);
	for (outfile *o = s->open; o; o = o->next)
		if (o->tmp)
			unlink(o->tmp);
	_exit(128 + sig);
}

/* Remove O from its set's list (mutex held). */
static void unlink_from_set(outfile *o)
{
	for (outfile **pp = &o->s->open; *pp; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			return;
		}
}

static void outfile_free(outfile *o)
{
	free(o->name);
	free(o->target);
	free(o->tmp);
	free(o->key);
	free(o);
}

/* exit() with outputs still open: abandon them (and free the set). */
static void on_exit_abandon(int status, void *arg)
{
	(void)status;
	outset *s = arg;
	pthread_mutex_lock(&s->mu);
	while (s->open) {
		outfile *o = s->open;
		s->open = o->next;
		if (o->tmp)
			unlink(o->tmp);
		if (o->f && !o->is_stdout)
			fclose(o->f);
		outfile_free(o);
	}
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < s->nin; i++)
		free(s->in[i].path);
	free(s->in);
	if (s->have_watcher) {
		pthread_cancel(s->watcher);
		pthread_join(s->watcher, NULL);
	}
	/* The mutex is left as it is: nothing uses the set after this. */
	free(s);
}

/* ---------------------------------------------------------------- the set */

int outset_create(outset **out, char *err, size_t errlen)
{
	*out = NULL;
	/* A closed standard descriptor would be reused by the next open():
	 * --json FILE would receive the report. Open it on /dev/null the wrong
	 * way round, so that using it fails (EBADF) instead. */
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		int n = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (n < 0)
		{
			snprintf(err, errlen, "cannot open /dev/null for closed descriptor %d", fd);
			return -1;
		}
		if (n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
	outset *s = calloc(1, sizeof(*s));
	if (!s)
	{
		snprintf(err, errlen, "out of memory (starting)");
		return -1;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->umask = umask(0);
	umask(s->umask);
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sig_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int e = pthread_create(&s->watcher, NULL, watch, s);
	if (e != 0) {
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		free(s);
		/* EAGAIN: no memory (or thread) for it: the one out-of-memory line. */
		snprintf(err, errlen, "out of memory (starting the signal watcher: %s)", strerror(e));
		return -1;
	}
	s->have_watcher = 1;
	if (on_exit(on_exit_abandon, s) != 0) {
		/* Without the exit hook an error path could leave a temporary. */
		pthread_cancel(s->watcher);
		pthread_join(s->watcher, NULL);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		free(s);
		snprintf(err, errlen, "cannot register the exit hook");
		return -1;
	}
	*out = s;
	return 0;
}

void outset_destroy(outset *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	outfile *o = s->open;
	pthread_mutex_unlock(&s->mu);
	while (o) {
		outfile *next = o->next;
		outfile_abandon(o);
		o = next;
	}
	s->destroyed = 1;   /* freed by the exit hook */
}

void outset_add_input(outset *s, const char *path)
{
	struct stat st;
	int rc = strcmp(path, "-") == 0 ? fstat(0, &st) : stat(path, &st);
	if (rc != 0)
		return;
	input *n = realloc(s->in, (s->nin + 1) * sizeof(*n));
	if (!n)
		return;   /* the check is lost, not the run: out of memory shows soon */
	s->in = n;
	s->in[s->nin].id = (file_id){ st.st_dev, st.st_ino };
	s->in[s->nin].path = strdup(strcmp(path, "-") == 0 ? "standard input" : path);
	s->nin++;
}

/* ---------------------------------------------------------------- outputs */

/* "dir/base" -> newly allocated "dir" ("." for a bare name) and base. */
static char *dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	*base = slash ? slash + 1 : path;
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	size_t n = (size_t)(slash - path);
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, path, n);
		d[n] = '\0';
	}
	return d;
}

/* The identity of an absent destination: its directory resolved + base. */
static char *absent_key(const char *path)
{
	const char *base;
	char *dir = dir_of(path, &base);
	if (!dir)
		return NULL;
	char *real = realpath(dir, NULL);
	free(dir);
	if (!real)
		return NULL;
	size_t n = strlen(real) + strlen(base) + 2;
	char *k = malloc(n);
	if (k)
		snprintf(k, n, "%s/%s", real, base);
	free(real);
	return k;
}

/* Refuse an output that is an input or another output (mutex held). */
static int check_clash(outset *s, const outfile *o, const char *what, char *err, size_t errlen)
{
	if (o->have_id)
		for (size_t i = 0; i < s->nin; i++)
			if (s->in[i].id.dev == o->id.dev && s->in[i].id.ino == o->id.ino) {
				snprintf(err, errlen, "%s: %s is the same file as the input %s; "
					 "refusing to overwrite an input", what, o->name,
					 s->in[i].path);
				return -1;
			}
	for (const outfile *p = s->open; p; p = p->next) {
		int same = (o->is_stdout && p->is_stdout) ||
			   (o->have_id && p->have_id && o->id.dev == p->id.dev &&
			    o->id.ino == p->id.ino) ||
			   (o->key && p->key && strcmp(o->key, p->key) == 0);
		if (same) {
			snprintf(err, errlen, "%s: %s is already an output of this command (as %s)",
				 what, o->name, p->name);
			return -1;
		}
	}
	return 0;
}

/* Create the temporary next to TARGET with the final permission bits. */
static int make_temp(outfile *o, mode_t mode, unsigned flags, const char *what, char *err,
		     size_t errlen)
{
	const char *base;
	char *dir = dir_of(o->target, &base);
	if (!dir)
		return errf(err, errlen, "out of memory (opening %s %s)", what, o->name);
	size_t n = strlen(dir) + strlen(base) + 32;
	o->tmp = malloc(n);
	if (!o->tmp) {
		free(dir);
		return errf(err, errlen, "out of memory (opening %s %s)", what, o->name);
	}
	/* Hidden, and short enough for NAME_MAX whatever the base. */
	snprintf(o->tmp, n, "%s/.%.200s.slatsim-XXXXXX", dir, base);
	free(dir);
	int fd = mkstemp(o->tmp);
	if (fd < 0) {
		int e = errno;
		free(o->tmp);
		o->tmp = NULL;
		snprintf(err, errlen, "%s: %s: cannot create: %s", what, o->name, strerror(e));
		return -1;
	}
	if (fchmod(fd, mode) != 0) {
		/* Not fatal: the file is ours, with mkstemp's 0600. */
	}
	if (flags & OUTFILE_PATH) {
		close(fd);
		return 0;
	}
	o->f = fdopen(fd, "wb");
	if (!o->f) {
		close(fd);
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		snprintf(err, errlen, "out of memory (opening %s %s)", what, o->name);
		return -1;
	}
	return 0;
}

int outfile_open(outset *s, outfile **out, const char *path, const char *what, unsigned flags,
		 char *err, size_t errlen)
{
	*out = NULL;
	outfile *o = calloc(1, sizeof(*o));
	if (!o || !(o->name = strdup(strcmp(path, "-") == 0 ? "standard output" : path))) {
		free(o);
		return errf(err, errlen, "out of memory (opening %s %s)", what, path);
	}
	o->s = s;
	struct stat st, lst;
	mode_t mode = 0666 & ~s->umask;
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	if (strcmp(path, "-") == 0) {
		if (flags & (OUTFILE_REGULAR | OUTFILE_PATH)) {
			rc = errf(err, errlen, "%s: needs a file name, not '-' (%s)", what,
				  "the output is written by name and must be a regular file");
			goto out;
		}
		o->is_stdout = 1;
		o->f = stdout;
		if (fstat(1, &st) == 0 && S_ISREG(st.st_mode)) {
			o->id = (file_id){ st.st_dev, st.st_ino };
			o->have_id = 1;
		}
		rc = check_clash(s, o, what, err, errlen);
		goto out;
	}
	if (lstat(path, &lst) != 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s: %s", what, path, strerror(errno));
			rc = -1;
			goto out;
		}
		/* Absent: created by the rename. */
		o->key = absent_key(path);
		if (!o->key) {
			snprintf(err, errlen, "%s: %s: cannot create: %s", what, path,
				 errno == ENOENT ? "no such directory" : strerror(errno));
			rc = -1;
			goto out;
		}
		o->target = strdup(path);
		if (!o->target || check_clash(s, o, what, err, errlen) ||
		    make_temp(o, mode, flags, what, err, errlen)) {
			if (!o->target)
				errf(err, errlen, "out of memory (opening %s %s)", what, path);
			rc = -1;
		}
		goto out;
	}
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s: a symbolic link to nothing (%s); not following it",
			 what, path, strerror(errno));
		rc = -1;
		goto out;
	}
	o->id = (file_id){ st.st_dev, st.st_ino };
	o->have_id = 1;
	if (S_ISDIR(st.st_mode)) {
		rc = errf(err, errlen, "%s: %s: is a directory", what, path);
		goto out;
	}
	if (check_clash(s, o, what, err, errlen)) {
		rc = -1;
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		o->target = S_ISLNK(lst.st_mode) ? realpath(path, NULL) : strdup(path);
		if (!o->target) {
			snprintf(err, errlen, "%s: %s: %s", what, path, strerror(errno));
			rc = -1;
			goto out;
		}
		rc = make_temp(o, st.st_mode & 07777, flags, what, err, errlen);
		goto out;
	}
	/* A special file: in place, or refused. */
	if (flags & (OUTFILE_REGULAR | OUTFILE_PATH)) {
		rc = errf(err, errlen, "%s: %s: not a regular file (this output is written with "
			  "seeks and renamed into place; give a regular file name)", what, path);
		goto out;
	}
	int fd = open(path, O_WRONLY | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s: cannot open: %s", what, path, strerror(errno));
		rc = -1;
		goto out;
	}
	o->f = fdopen(fd, "wb");
	if (!o->f) {
		close(fd);
		rc = errf(err, errlen, "out of memory (opening %s %s)", what, path);
	}
out:
	if (rc == 0) {
		o->next = s->open;
		s->open = o;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc != 0) {
		outfile_free(o);
		return -1;
	}
	*out = o;
	return 0;
}

FILE *outfile_stream(outfile *o) { return o->f; }
const char *outfile_write_path(const outfile *o) { return o->tmp ? o->tmp : o->name; }
const char *outfile_name(const outfile *o) { return o->name; }
int outfile_is_stdout(const outfile *o) { return o->is_stdout; }

int outfile_commit(outfile *o, char *err, size_t errlen)
{
	outset *s = o->s;
	int rc = 0;
	char why[256] = "";
	if (o->f) {
		errno = 0;
		if (fflush(o->f) != 0 || ferror(o->f)) {
			snprintf(why, sizeof(why), "write error%s%s", errno ? ": " : "",
				 errno ? strerror(errno) : "");
			rc = -1;
		}
		if (rc == 0 && o->tmp && fsync(fileno(o->f)) != 0 && errno != EINVAL) {
			snprintf(why, sizeof(why), "write error: %s", strerror(errno));
			rc = -1;
		}
		if (!o->is_stdout) {
			if (fclose(o->f) != 0 && rc == 0) {
				snprintf(why, sizeof(why), "close error: %s", strerror(errno));
				rc = -1;
			}
		}
		o->f = NULL;
	}
	pthread_mutex_lock(&s->mu);
	if (o->tmp) {
		if (rc == 0 && rename(o->tmp, o->target) != 0) {
			snprintf(why, sizeof(why), "cannot rename %s into place: %s", o->tmp,
				 strerror(errno));
			rc = -1;
		}
		if (rc != 0)
			unlink(o->tmp);
	}
	unlink_from_set(o);
	pthread_mutex_unlock(&s->mu);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", o->name, why);
	outfile_free(o);
	return rc;
}

void outfile_abandon(outfile *o)
{
	if (!o)
		return;
	outset *s = o->s;
	if (o->f && !o->is_stdout)
		fclose(o->f);
	pthread_mutex_lock(&s->mu);
	if (o->tmp)
		unlink(o->tmp);
	unlink_from_set(o);
	pthread_mutex_unlock(&s->mu);
	outfile_free(o);
}

int outfile_close_stdout(char *err, size_t errlen)
{
	errno = 0;
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;
	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (!bad)
		return 0;
	snprintf(err, errlen, "standard output: write error%s%s", e ? ": " : "",
		 e ? strerror(e) : "");
	return e ? e : EIO;
}
