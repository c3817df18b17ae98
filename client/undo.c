#include "undo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNDO_MAGIC "herald-undo 1"

void
undo_add(struct undo *u, const struct response *resp)
{
	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];
		const char *rd = record_get(r, "read"), *st = record_get(r, "starred");

		if (r->n == 0 || strcmp(r->f[0].key, "item") != 0 || !rd || !st)
			continue;
		if (u->n == u->cap) {
			u->cap = u->cap ? u->cap * 2 : 64;
			u->v = xrealloc(u->v, u->cap * sizeof *u->v);
		}
		snprintf(u->v[u->n].id, sizeof u->v[u->n].id, "%s", r->f[0].value);
		u->v[u->n].read = strcmp(rd, "0") != 0;
		u->v[u->n].starred = strcmp(st, "0") != 0;
		u->n++;
	}
}

static int
cmp_item(const void *a, const void *b)
{
	const struct undo_item *x = a, *y = b;
	size_t lx = strlen(x->id), ly = strlen(y->id);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->id, y->id);
}

void
undo_unique(struct undo *u)
{
	size_t k = 0;

	if (u->n < 2)
		return;
	qsort(u->v, u->n, sizeof *u->v, cmp_item);
	for (size_t i = 1; i < u->n; i++)
		if (strcmp(u->v[i].id, u->v[k].id) != 0)
			u->v[++k] = u->v[i];
	u->n = k + 1;
}

/* The directory of the file, malloc'd, or NULL. */
static char *
undo_dir(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct sb b = {0};

	if (state && *state == '/')
		sb_printf(&b, "%s/herald", state);
	else if (home && *home)
		sb_printf(&b, "%s/.local/state/herald", home);
	return b.data;
}

char *
undo_path(void)
{
	char *dir = undo_dir();
	struct sb b = {0};

	if (dir == NULL)
		return NULL;
	sb_printf(&b, "%s/undo", dir);
	free(dir);
	return b.data;
}

/* mkdir -p of dir, 0700 for what it creates. */
static int
make_dirs(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1; *s && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0700) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

int
undo_save(const struct undo *u, char *err, size_t errlen)
{
	char *dir = undo_dir(), *path = undo_path();
	struct sb tmp = {0};
	FILE *fp = NULL;
	int fd = -1, rc = -1;

	if (dir == NULL || path == NULL) {
		snprintf(err, errlen, "no place for the undo file (set HOME or XDG_STATE_HOME)");
		goto out;
	}
	if (u == NULL) {
		if (unlink(path) < 0 && errno != ENOENT)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		else
			rc = 0;
		goto out;
	}
	sb_printf(&tmp, "%s.XXXXXX", path);
	if (make_dirs(dir) < 0 || (fd = mkstemp(tmp.data)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", fd < 0 ? dir : tmp.data, strerror(errno));
		goto out;
	}
	fd = -1;
	fprintf(fp, "%s\n%s\n%s\n%s\n", UNDO_MAGIC, u->socket, u->what,
		u->starring ? "starred" : "read");
	for (size_t i = 0; i < u->n; i++)
		fprintf(fp, "%s %d %d\n", u->v[i].id, u->v[i].read, u->v[i].starred);
	if (fclose(fp) != 0 || rename(tmp.data, path) < 0) {
		fp = NULL;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	fp = NULL;
	rc = 0;
out:
	if (fp)
		fclose(fp);
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp.data)
		unlink(tmp.data);
	sb_free(&tmp);
	free(dir);
	free(path);
	return rc;
}

int
undo_load(struct undo *u, char *err, size_t errlen)
{
	char *path = undo_path(), line[512];
	FILE *fp = path ? fopen(path, "r") : NULL;
	int rc = -1, lineno = 0;

	if (fp == NULL) {
		if (path == NULL || errno == ENOENT)
			rc = 1;
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	while (fgets(line, sizeof line, fp)) {
		struct undo_item it;
		char id[24];

		line[strcspn(line, "\n")] = '\0';
		if (++lineno == 1 && strcmp(line, UNDO_MAGIC) != 0)
			goto bad;
		if (lineno == 2)
			snprintf(u->socket, sizeof u->socket, "%.200s", line);
		if (lineno == 3)
			snprintf(u->what, sizeof u->what, "%.200s", line);
		if (lineno == 4)
			u->starring = strcmp(line, "starred") == 0;
		if (lineno <= 4)
			continue;
		if (sscanf(line, "%23s %d %d", id, &it.read, &it.starred) != 3 ||
		    strspn(id, "0123456789") != strlen(id))
			goto bad;
		memcpy(it.id, id, sizeof it.id);
		if (u->n == u->cap) {
			u->cap = u->cap ? u->cap * 2 : 64;
			u->v = xrealloc(u->v, u->cap * sizeof *u->v);
		}
		u->v[u->n++] = it;
	}
	rc = lineno >= 4 ? 0 : 1;
	goto out;
bad:
	snprintf(err, errlen, "%s:%d: not an undo record (remove the file)", path, lineno);
out:
	fclose(fp);
	free(path);
	return rc;
}

void
undo_free(struct undo *u)
{
	free(u->v);
	memset(u, 0, sizeof *u);
}
