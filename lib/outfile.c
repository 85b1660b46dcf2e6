/*
 * lib/outfile.c - see outfile.h.
 *
 * Invariant: every outfile with a temporary is on its outset's list from the
 * moment the temporary exists until it is renamed or removed, and both
 * happen under the outset's mutex, so the signal watcher (which takes the
 * mutex and never gives it back) sees each temporary either still to remove
 * or already gone, never half renamed. Nothing that can block (opening a
 * FIFO that has no reader yet) happens under the mutex.
 */
#define _GNU_SOURCE   /* renameat2, RENAME_NOREPLACE */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
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
	char *tmp_aux;       /* OUTFILE_PATH: TMP.hier, which an FST writer makes */
	char *key;           /* identity of an absent destination: its resolved path */
	file_id id;          /* identity of an existing destination */
	int have_id;
	int is_stdout;
	FILE *f;
};

/* The signals that end a run: the watcher takes them (unless they were
 * ignored when slatsim started, as for a job started with nohup or '&'). */
static const int term_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM, SIGUSR1,
				    SIGUSR2, SIGVTALRM, SIGPROF };
#define NTERM (sizeof(term_signals) / sizeof(term_signals[0]))

struct outset {
	pthread_mutex_t mu;
	pthread_t watcher;
	int have_watcher;
	sigset_t sigs;           /* what the watcher waits for */
	outfile *open;
	input *in;
	size_t nin;
	mode_t umask;
	int closed_fd[3];        /* standard descriptors that were closed at start */
	file_id out_id;          /* standard output, when it is a regular file */
	int out_reg;
	int embedded;            /* outset_create_embedded: no watcher, no hook */
};

/* ---------------------------------------------------------------- helpers */

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

/* The watcher: wait for a terminating signal, remove every temporary, exit.
 * It keeps the mutex, so no commit can complete after the decision. */
static void *watch(void *arg)
{
	outset *s = arg;
	int sig = SIGTERM;
	while (sigwait(&s->sigs, &sig) != 0)
		;
	pthread_mutex_lock(&s->mu);
	for (outfile *o = s->open; o; o = o->next) {
		if (o->tmp)
			unlink(o->tmp);
		if (o->tmp_aux)
			unlink(o->tmp_aux);
	}
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
	free(o->tmp_aux);
	free(o->key);
	free(o);
}

/* Remove O's temporaries (mutex held). */
static void remove_temps(outfile *o)
{
	if (o->tmp)
		unlink(o->tmp);
	if (o->tmp_aux)
		unlink(o->tmp_aux);
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
		remove_temps(o);
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
	int closed[3] = { 0 };
	/* A closed standard descriptor would be reused by the next open():
	 * --json FILE would receive the report. Open it on /dev/null the wrong
	 * way round, so that using it fails (EBADF) instead. */
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		closed[fd] = 1;
		int n = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (n < 0)
			return fail(err, errlen, OUTFILE_FAILED,
				    "cannot open /dev/null for closed descriptor %d", fd);
		if (n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
	outset *s = calloc(1, sizeof(*s));
	if (!s)
		return fail(err, errlen, OUTFILE_NOMEM, "out of memory (starting)");
	memcpy(s->closed_fd, closed, sizeof(closed));
	struct stat st;
	if (!closed[1] && fstat(1, &st) == 0 && S_ISREG(st.st_mode)) {
		s->out_id = (file_id){ st.st_dev, st.st_ino };
		s->out_reg = 1;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->umask = umask(0);
	umask(s->umask);
	signal(SIGPIPE, SIG_IGN);   /* a closed pipe is a write error (EPIPE) */
	signal(SIGXFSZ, SIG_IGN);   /* past the file-size limit: a write error (EFBIG) */
	sigemptyset(&s->sigs);
	for (size_t i = 0; i < NTERM; i++) {
		struct sigaction old;
		if (sigaction(term_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;   /* ignored by whoever started us: it stays ignored */
		sigaddset(&s->sigs, term_signals[i]);
	}
	pthread_sigmask(SIG_BLOCK, &s->sigs, NULL);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);   /* not RLIMIT_STACK's size */
	int e = pthread_create(&s->watcher, &attr, watch, s);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		pthread_sigmask(SIG_UNBLOCK, &s->sigs, NULL);
		free(s);
		/* EAGAIN: no memory (or thread) for it: the one out-of-memory line. */
		return fail(err, errlen, OUTFILE_NOMEM,
			    "out of memory (starting the signal watcher: %s)", strerror(e));
	}
	s->have_watcher = 1;
	if (on_exit(on_exit_abandon, s) != 0) {
		/* Without the exit hook an error path could leave a temporary. */
		pthread_cancel(s->watcher);
		pthread_join(s->watcher, NULL);
		pthread_sigmask(SIG_UNBLOCK, &s->sigs, NULL);
		free(s);
		return fail(err, errlen, OUTFILE_NOMEM, "out of memory (registering the exit hook)");
	}
	*out = s;
	return 0;
}

int outset_create_embedded(outset **out, char *err, size_t errlen)
{
	*out = NULL;
	outset *s = calloc(1, sizeof(*s));
	if (!s)
		return fail(err, errlen, OUTFILE_NOMEM, "out of memory (an output set)");
	struct stat st;
	if (fstat(1, &st) == 0 && S_ISREG(st.st_mode)) {
		s->out_id = (file_id){ st.st_dev, st.st_ino };
		s->out_reg = 1;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->umask = umask(0);
	umask(s->umask);
	s->embedded = 1;
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
	if (!s->embedded)
		return;   /* freed by the exit hook */
	for (size_t i = 0; i < s->nin; i++)
		free(s->in[i].path);
	free(s->in);
	pthread_mutex_destroy(&s->mu);
	free(s);
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

const char *outset_input_at(const outset *s, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return NULL;
	for (size_t i = 0; i < s->nin; i++)
		if (s->in[i].id.dev == st.st_dev && s->in[i].id.ino == st.st_ino)
			return s->in[i].path;
	return NULL;
}

int outset_check_stdout(const outset *s, char *err, size_t errlen)
{
	if (!s->out_reg)
		return 0;
	for (size_t i = 0; i < s->nin; i++)
		if (s->in[i].id.dev == s->out_id.dev && s->in[i].id.ino == s->out_id.ino)
			return fail(err, errlen, OUTFILE_REFUSED, "standard output is the input %s; "
				    "refusing to write into an input", s->in[i].path);
	return 0;
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

/* The standard descriptor PATH names ("/dev/stdout", "/dev/fd/1",
 * "/proc/self/fd/2"...), or -1. */
static int std_alias(const char *path)
{
	static const char *const named[3] = { "/dev/stdin", "/dev/stdout", "/dev/stderr" };
	for (int fd = 0; fd <= 2; fd++)
		if (strcmp(path, named[fd]) == 0)
			return fd;
	const char *p = NULL;
	if (strncmp(path, "/dev/fd/", 8) == 0)
		p = path + 8;
	else if (strncmp(path, "/proc/self/fd/", 14) == 0)
		p = path + 14;
	if (p && p[0] >= '0' && p[0] <= '2' && p[1] == '\0')
		return p[0] - '0';
	return -1;
}

/* Refuse an output that is an input, standard output (regular file) or
 * another output (mutex held). */
static int check_clash(outset *s, const outfile *o, const char *what, char *err, size_t errlen)
{
	if (o->have_id) {
		for (size_t i = 0; i < s->nin; i++)
			if (s->in[i].id.dev == o->id.dev && s->in[i].id.ino == o->id.ino)
				return fail(err, errlen, OUTFILE_REFUSED, "%s: %s is the same file as "
					    "the input %s; refusing to overwrite an input", what,
					    o->name, s->in[i].path);
		if (!o->is_stdout && s->out_reg && s->out_id.dev == o->id.dev &&
		    s->out_id.ino == o->id.ino)
			return fail(err, errlen, OUTFILE_REFUSED, "%s: %s is standard output, which "
				    "the report goes to; give '-' to write it there", what, o->name);
	}
	for (const outfile *p = s->open; p; p = p->next) {
		int same = (o->is_stdout && p->is_stdout) ||
			   (o->have_id && p->have_id && o->id.dev == p->id.dev &&
			    o->id.ino == p->id.ino) ||
			   (o->key && p->key && strcmp(o->key, p->key) == 0);
		if (same)
			return fail(err, errlen, OUTFILE_REFUSED, "%s: %s is already an output of "
				    "this command (as %s)", what, o->name, p->name);
	}
	return 0;
}

/* Create the temporary next to TARGET with the final permission bits (and,
 * as root, the replaced file's owner). Returns 0 or a code. */
static int make_temp(outfile *o, mode_t mode, const struct stat *old, unsigned flags,
		     const char *what, char *err, size_t errlen)
{
	const char *base;
	char *dir = dir_of(o->target, &base);
	if (!dir)
		return fail(err, errlen, OUTFILE_NOMEM, "out of memory (opening %s %s)", what,
			    o->name);
	size_t n = strlen(dir) + strlen(base) + 32;
	o->tmp = malloc(n);
	if (!o->tmp) {
		free(dir);
		return fail(err, errlen, OUTFILE_NOMEM, "out of memory (opening %s %s)", what,
			    o->name);
	}
	/* Hidden, and short enough for NAME_MAX whatever the base. */
	snprintf(o->tmp, n, "%s/.%.200s.slatsim-XXXXXX", dir, base);
	free(dir);
	int fd = mkstemp(o->tmp);
	if (fd < 0) {
		int e = errno;
		free(o->tmp);
		o->tmp = NULL;
		return fail(err, errlen, e == ENOENT ? OUTFILE_REFUSED : OUTFILE_FAILED,
			    "%s: %s: cannot create: %s", what, o->name, strerror(e));
	}
	(void)fchmod(fd, mode);   /* not fatal: the file is ours, with mkstemp's 0600 */
	if (old && geteuid() == 0)
		(void)fchown(fd, old->st_uid, old->st_gid);   /* keep a replaced file's owner */
	if (flags & OUTFILE_PATH) {
		close(fd);
		size_t an = strlen(o->tmp) + 6;
		o->tmp_aux = malloc(an);
		if (!o->tmp_aux) {
			unlink(o->tmp);
			return fail(err, errlen, OUTFILE_NOMEM, "out of memory (opening %s %s)",
				    what, o->name);
		}
		snprintf(o->tmp_aux, an, "%s.hier", o->tmp);
		return 0;
	}
	o->f = fdopen(fd, "wb");
	if (!o->f) {
		close(fd);
		unlink(o->tmp);
		return fail(err, errlen, OUTFILE_NOMEM, "out of memory (opening %s %s)", what,
			    o->name);
	}
	return 0;
}

int outfile_open(outset *s, outfile **out, const char *path, const char *what, unsigned flags,
		 char *err, size_t errlen)
{
	*out = NULL;
	if (!path[0])
		return fail(err, errlen, OUTFILE_REFUSED, "%s: an empty file name", what);
	outfile *o = calloc(1, sizeof(*o));
	if (!o || !(o->name = strdup(strcmp(path, "-") == 0 ? "standard output" : path))) {
		free(o);
		return fail(err, errlen, OUTFILE_NOMEM, "out of memory (opening %s %s)", what, path);
	}
	o->s = s;
	struct stat st, lst;
	mode_t mode = 0666 & ~s->umask;
	int rc = 0, locked = 1, fd_alias = std_alias(path);
	pthread_mutex_lock(&s->mu);
	if (strcmp(path, "-") == 0) {
		if (flags & (OUTFILE_REGULAR | OUTFILE_PATH)) {
			rc = fail(err, errlen, OUTFILE_REFUSED, "%s: needs a file name, not '-' (it "
				  "is written by name and must be a regular file)", what);
			goto out;
		}
		o->is_stdout = 1;
		o->f = stdout;
		if (s->out_reg) {
			o->id = s->out_id;
			o->have_id = 1;
		}
		rc = check_clash(s, o, what, err, errlen);
		goto out;
	}
	if (fd_alias >= 0 && s->closed_fd[fd_alias]) {
		rc = fail(err, errlen, OUTFILE_FAILED, "%s: %s: standard %s is closed", what, path,
			  fd_alias == 0 ? "input" : fd_alias == 1 ? "output" : "error");
		goto out;
	}
	if (lstat(path, &lst) != 0) {
		if (errno != ENOENT) {
			rc = fail(err, errlen, OUTFILE_FAILED, "%s: %s: %s", what, path,
				  strerror(errno));
			goto out;
		}
		/* Absent: created by the rename. */
		o->key = absent_key(path);
		if (!o->key) {
			rc = fail(err, errlen, errno == ENOMEM ? OUTFILE_NOMEM : OUTFILE_REFUSED,
				  "%s: %s: cannot create: %s", what, path,
				  errno == ENOENT ? "no such directory" : strerror(errno));
			goto out;
		}
		if (!(o->target = strdup(path))) {
			rc = fail(err, errlen, OUTFILE_NOMEM, "out of memory (opening %s %s)", what,
				  path);
			goto out;
		}
		rc = check_clash(s, o, what, err, errlen);
		if (!rc)
			rc = make_temp(o, mode, NULL, flags, what, err, errlen);
		goto out;
	}
	if (stat(path, &st) != 0) {
		rc = fail(err, errlen, OUTFILE_REFUSED, "%s: %s: a symbolic link to nothing (%s); not "
			  "following it", what, path, strerror(errno));
		goto out;
	}
	o->id = (file_id){ st.st_dev, st.st_ino };
	o->have_id = 1;
	if (S_ISDIR(st.st_mode)) {
		rc = fail(err, errlen, OUTFILE_REFUSED, "%s: %s: is a directory", what, path);
		goto out;
	}
	if ((rc = check_clash(s, o, what, err, errlen)))
		goto out;
	if (S_ISREG(st.st_mode)) {
		/* Replacing goes round the file's own permissions (the directory's
		 * decide a rename): refuse one that could not be opened for writing,
		 * as '>' would. */
		if (access(path, W_OK) != 0) {
			rc = fail(err, errlen, OUTFILE_FAILED, "%s: %s: cannot write: %s", what, path,
				  strerror(errno));
			goto out;
		}
		o->target = S_ISLNK(lst.st_mode) ? realpath(path, NULL) : strdup(path);
		if (!o->target) {
			rc = fail(err, errlen, OUTFILE_FAILED, "%s: %s: %s", what, path,
				  strerror(errno));
			goto out;
		}
		rc = make_temp(o, st.st_mode & 07777, &st, flags, what, err, errlen);
		goto out;
	}
	/* A special file: in place, or refused. */
	if (flags & (OUTFILE_REGULAR | OUTFILE_PATH)) {
		rc = fail(err, errlen, OUTFILE_REFUSED, "%s: %s: not a regular file (this output is "
			  "written with seeks and renamed into place; give a regular file name)",
			  what, path);
		goto out;
	}
	/* Opening a FIFO blocks until a reader comes: not under the mutex, so a
	 * signal can still end the run. Nothing of ours needs cleaning here. */
	pthread_mutex_unlock(&s->mu);
	locked = 0;
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = fail(err, errlen, OUTFILE_FAILED, "%s: %s: cannot open: %s", what, path,
			  strerror(errno));
		goto out;
	}
	o->f = fdopen(fd, "wb");
	if (!o->f) {
		close(fd);
		rc = fail(err, errlen, OUTFILE_NOMEM, "out of memory (opening %s %s)", what, path);
	}
out:
	if (!locked)
		pthread_mutex_lock(&s->mu);
	if (rc == 0) {
		o->next = s->open;
		s->open = o;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc != 0) {
		outfile_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

FILE *outfile_stream(outfile *o) { return o->f; }
const char *outfile_write_path(const outfile *o) { return o->tmp ? o->tmp : o->name; }
const char *outfile_name(const outfile *o) { return o->name; }
int outfile_is_stdout(const outfile *o) { return o->is_stdout; }

/* Put the temporary in place (mutex held): only over what was there when
 * the output was opened - a path that appeared, or changed, meanwhile is
 * someone else's and is left alone. Returns 0 or an errno, with WHY. */
static int put_in_place(outfile *o, char *why, size_t whylen)
{
	struct stat st;
	if (o->key) {   /* absent at open */
		if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->target, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EINVAL && errno != ENOSYS) {
			int e = errno;
			snprintf(why, whylen, e == EEXIST ? "%s appeared during the run; not replaced"
				 : "cannot rename into place: %s", e == EEXIST ? o->target : strerror(e));
			return e;
		}
		/* The filesystem has no RENAME_NOREPLACE: check, then rename. */
		if (lstat(o->target, &st) == 0) {
			snprintf(why, whylen, "%s appeared during the run; not replaced", o->target);
			return EEXIST;
		}
	} else if (lstat(o->target, &st) != 0 || !S_ISREG(st.st_mode) ||
		   st.st_dev != o->id.dev || st.st_ino != o->id.ino) {
		snprintf(why, whylen, "%s changed during the run; not replaced", o->target);
		return EEXIST;
	}
	if (rename(o->tmp, o->target) != 0) {
		int e = errno;
		snprintf(why, whylen, "cannot rename into place: %s", strerror(e));
		return e;
	}
	return 0;
}

int outfile_commit(outfile *o, char *err, size_t errlen)
{
	outset *s = o->s;
	int e = 0;
	char why[512] = "";
	if (o->f) {
		if ((e = outfile_stream_errno(o->f)))
			snprintf(why, sizeof(why), "write error: %s", strerror(e));
		if (!e && o->tmp && fsync(fileno(o->f)) != 0 && errno != EINVAL) {
			e = errno;
			snprintf(why, sizeof(why), "write error: %s", strerror(e));
		}
		if (!o->is_stdout && fclose(o->f) != 0 && !e) {
			e = errno;
			snprintf(why, sizeof(why), "close error: %s", strerror(e));
		}
		o->f = NULL;
	}
	pthread_mutex_lock(&s->mu);
	if (o->tmp) {
		if (!e)
			e = put_in_place(o, why, sizeof(why));
		if (e)
			unlink(o->tmp);
		if (o->tmp_aux)
			unlink(o->tmp_aux);
	}
	unlink_from_set(o);
	pthread_mutex_unlock(&s->mu);
	if (e)
		snprintf(err, errlen, "%s: %s", o->name, why);
	outfile_free(o);
	return e;
}

void outfile_abandon(outfile *o)
{
	if (!o)
		return;
	outset *s = o->s;
	if (o->f && !o->is_stdout)
		fclose(o->f);
	pthread_mutex_lock(&s->mu);
	remove_temps(o);
	unlink_from_set(o);
	pthread_mutex_unlock(&s->mu);
	outfile_free(o);
}

int outfile_stream_errno(FILE *f)
{
	errno = 0;
	if (fflush(f) != 0 && errno)
		return errno;
	if (!ferror(f))
		return 0;
	/* An earlier write failed inside stdio and its errno is gone: one more
	 * byte, on a stream that has lost data already, says why. */
	clearerr(f);
	errno = 0;
	if ((fputc('\n', f) == EOF || fflush(f) != 0) && errno)
		return errno;
	return EIO;
}

int outfile_close_stdout(char *err, size_t errlen)
{
	int e = outfile_stream_errno(stdout);
	int bad = e != 0;
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
