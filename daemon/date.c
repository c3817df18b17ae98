/* date: feed date formats to Unix seconds; see date.h. */
#include "date.h"

#include <stdio.h>
#include <string.h>

#define DATE_MAX 200

struct dt {
	int year, mon, day, hour, min, sec;
	int tz; /* offset east of UTC in minutes */
	int have_tz;
	int pm;  /* 1 = PM marker, 2 = AM marker seen */
	int kst; /* Korean forms: no zone means +09:00 */
};

static const char *const month_names[] = {"january",   "february", "march",    "april",
					  "may",       "june",     "july",     "august",
					  "september", "october",  "november", "december"};
static const char *const day_names[] = {"monday", "tuesday",  "wednesday", "thursday",
					"friday", "saturday", "sunday"};

/* Named zones feeds use (RFC 822 and common abbreviations), minutes east. */
static const struct {
	const char *name;
	int off;
} zones[] = {
	{"ut", 0},     {"utc", 0},    {"gmt", 0},     {"z", 0},       {"wet", 0},    {"est", -300},
	{"edt", -240}, {"cst", -360}, {"cdt", -300},  {"mst", -420},  {"mdt", -360}, {"pst", -480},
	{"pdt", -420}, {"ast", -240}, {"adt", -180},  {"at", -240},   {"et", -300},  {"ct", -360},
	{"mt", -420},  {"pt", -480},  {"akst", -540}, {"akdt", -480}, {"hst", -600}, {"nst", -210},
	{"ndt", -150}, {"bst", 60},   {"ist", 330},   {"cet", 60},    {"cest", 120}, {"met", 60},
	{"mest", 120}, {"eet", 120},  {"eest", 180},  {"msk", 180},   {"jst", 540},  {"kst", 540},
	{"hkt", 480},  {"sgt", 480},  {"awst", 480},  {"acst", 570},  {"aest", 600}, {"aedt", 660},
	{"nzst", 720}, {"nzdt", 780}, {"wib", 420},
};

static int
lower_eq(const char *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != b[i])
			return 0;
	}
	return 1;
}

/* 1..12 for "Jan", "January", "Sept"; 0 otherwise. */
static int
month_from(const char *s, size_t n)
{
	for (int i = 0; i < 12; i++) {
		const char *m = month_names[i];
		size_t l = strlen(m);
		char pre[16];

		if (n < 3 || n > l)
			continue;
		memcpy(pre, m, n);
		pre[n] = '\0';
		if (lower_eq(s, n, pre) && (n == 3 || n == l || (i == 8 && n == 4)))
			return i + 1;
	}
	return 0;
}

static int
is_weekday(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++) {
		char pre[16];
		size_t l = strlen(day_names[i]);
		if (n < 3 || n > l)
			continue;
		memcpy(pre, day_names[i], n);
		pre[n] = '\0';
		if (lower_eq(s, n, pre) && (n == 3 || n == l))
			return 1;
	}
	return 0;
}

/* Named or military zone; 0 and *off set, or -1. */
static int
zone_from(const char *s, size_t n, int *off)
{
	if (n > 4 && lower_eq(s, 4, "etc/"))
		s += 4, n -= 4;
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
		if (lower_eq(s, n, zones[i].name)) {
			*off = zones[i].off;
			return 0;
		}
	if (n == 1) {
		char c = (char)(s[0] | 0x20);
		if (c >= 'a' && c <= 'i')
			*off = (c - 'a' + 1) * 60;
		else if (c >= 'k' && c <= 'm')
			*off = (c - 'k' + 10) * 60;
		else if (c >= 'n' && c <= 'y')
			*off = -(c - 'n' + 1) * 60;
		else
			return -1;
		return 0;
	}
	return -1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads up to max digits (at least min); returns the count or -1. */
static int
num(const char **p, int min, int max, int *out)
{
	int n = 0, v = 0;

	while (n < max && is_digit((*p)[n]))
		v = v * 10 + ((*p)[n++] - '0');
	if (n < min)
		return -1;
	*p += n;
	*out = v;
	return n;
}

static int
ndigits(const char *p)
{
	int n = 0;
	while (is_digit(p[n]))
		n++;
	return n;
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
finish(struct dt *t, int64_t *out)
{
	int64_t s;
	int64_t y;
	int m, d;

	if (t->pm == 1 && t->hour < 12)
		t->hour += 12;
	else if (t->pm == 2 && t->hour == 12)
		t->hour = 0;
	if (t->year < 1 || t->year > 9999 || t->mon < 1 || t->mon > 12 || t->day < 1 ||
	    t->day > mdays(t->year, t->mon) || t->hour > 23 || t->min > 59 || t->sec > 60)
		return -1;
	if (!t->have_tz && t->kst)
		t->tz = 540;
	s = days_from_civil(t->year, t->mon, t->day) * 86400 + t->hour * 3600 + t->min * 60 +
	    (t->sec == 60 ? 59 : t->sec) - (int64_t)t->tz * 60;
	civil_from_days(s >= 0 ? s / 86400 : -((-s + 86399) / 86400), &y, &m, &d);
	if (y < 1 || y > 9999)
		return -1;
	*out = s;
	return 0;
}

/* "Z", "+hh:mm", "+hhmm", "+hh" (also after "GMT"); -1 when malformed. */
static int
numeric_zone(const char **pp, int *off)
{
	const char *p = *pp;
	int sign, h = 0, m = 0;

	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	int n = ndigits(p);
	if (n == 4) {
		num(&p, 2, 2, &h);
		num(&p, 2, 2, &m);
	} else if (n == 1 || n == 2) {
		num(&p, 1, 2, &h);
		if (*p == ':' && num(&(const char *){p + 1}, 2, 2, &m) == 2)
			p += 3;
		else if (*p == ':')
			return -1;
	} else {
		return -1;
	}
	if (h > 23 || m > 59)
		return -1;
	*off = sign * (h * 60 + m);
	*pp = p;
	return 0;
}

/* hh:mm[:ss[.frac]] (hour may be one digit); basic hhmmss when allowed. */
static int
clock_time(const char **pp, struct dt *t, int basic)
{
	const char *p = *pp;
	int n = ndigits(p);

	if (basic && (n == 4 || n == 6) && p[n] != ':') {
		num(&p, 2, 2, &t->hour);
		num(&p, 2, 2, &t->min);
		if (n == 6)
			num(&p, 2, 2, &t->sec);
	} else {
		if (num(&p, 1, 2, &t->hour) < 0 || *p++ != ':' || num(&p, 1, 2, &t->min) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (num(&p, 1, 2, &t->sec) < 0)
				return -1;
		}
	}
	if (*p == '.' || *p == ',') {
		if (!is_digit(p[1]))
			return -1;
		p++;
		while (is_digit(*p))
			p++;
	}
	if (*p == ':')
		return -1;
	*pp = p;
	return 0;
}

/* The date part of ISO 8601 / W3CDTF; on success *pp is past it. */
static int
iso_date(const char **pp, struct dt *t)
{
	const char *p = *pp;
	int n, v = 0;

	t->mon = t->day = 1;
	if (*p == '-') { /* -YYMM, -YY-MM */
		p++;
		if (num(&p, 2, 2, &t->year) < 0)
			return -1;
		if (*p == '-')
			p++;
		if (num(&p, 2, 2, &t->mon) < 0)
			return -1;
		t->year += 2000;
		goto done;
	}
	n = ndigits(p);
	if (n == 8 || n == 6) { /* YYYYMMDD, YYMMDD */
		num(&p, n - 4, n - 4, &t->year);
		num(&p, 2, 2, &t->mon);
		num(&p, 2, 2, &t->day);
		if (n == 6)
			t->year += 2000;
		goto done;
	}
	if (n == 7 || n == 5) { /* YYYYDDD, YYDDD (ordinal) */
		num(&p, n - 3, n - 3, &t->year);
		num(&p, 3, 3, &v);
		if (n == 5)
			t->year += 2000;
		goto ordinal;
	}
	if (n != 4 && n != 2)
		return -1;
	num(&p, n, n, &t->year);
	if (n == 2) {
		t->year += 2000;
		if (*p != '-')
			return -1;
	}
	if (*p != '-')
		goto done;
	p++;
	n = ndigits(p);
	if (n == 3 && p[3] != '-') {
		num(&p, 3, 3, &v);
		goto ordinal;
	}
	if (num(&p, 1, 3, &t->mon) < 0)
		return -1;
	if (*p == '-') {
		p++;
		if (num(&p, 1, 2, &t->day) < 0)
			return -1;
	}
	goto done;
ordinal:
	if (v < 1 || v > (leap(t->year) ? 366 : 365))
		return -1;
	t->mon = 1;
	while (v > mdays(t->year, t->mon))
		v -= mdays(t->year, t->mon++);
	t->day = v;
done:
	*pp = p;
	return 0;
}

static int
parse_iso(const char *s, int64_t *out, struct dt t)
{
	const char *p = s;
	int timed = 0;

	if (iso_date(&p, &t) < 0)
		return -1;
	if (*p == 'T' || *p == 't' || (*p == ' ' && (is_digit(p[1]) || p[1] == ' '))) {
		p++;
		while (*p == ' ')
			p++;
		if (clock_time(&p, &t, 1) < 0)
			return -1;
		timed = 1;
	}
	while (*p == ' ')
		p++;
	if (*p == 'Z' || *p == 'z') {
		p++;
		t.have_tz = 1;
	} else if (timed && (*p == '+' || *p == '-')) {
		if (numeric_zone(&p, &t.tz) < 0)
			return -1;
		t.have_tz = 1;
	}
	if (*p != '\0')
		return -1;
	return finish(&t, out);
}

/* One alphabetic token of an RFC 822-like date. */
static int
rfc_word(const char *w, size_t n, struct dt *t, int *seen_zone)
{
	int m = month_from(w, n);

	if (m) {
		if (t->mon)
			return -1;
		t->mon = m;
	} else if (is_weekday(w, n)) {
		/* ignored: the date decides the weekday */
	} else if (lower_eq(w, n, "pm") || lower_eq(w, n, "am")) {
		t->pm = lower_eq(w, n, "pm") ? 1 : 2;
	} else if (zone_from(w, n, &t->tz) == 0) {
		if (*seen_zone)
			return -1;
		*seen_zone = 1;
		t->have_tz = 1;
	} else {
		return -1;
	}
	return 0;
}

/* A bare number: day, year (4 digits or > 31) or Y/M/D. */
static int
rfc_number(const char **pp, struct dt *t, int *have_day, int *have_year)
{
	const char *p = *pp;
	int n = ndigits(p), v = 0;

	if (p[n] == ':') {
		if (t->hour || t->min || t->sec)
			return -1;
		if (clock_time(&p, t, 0) < 0)
			return -1;
		*pp = p;
		return 0;
	}
	if (p[n] == '/' && n == 4) { /* YYYY/MM/DD */
		num(&p, 4, 4, &t->year);
		if (*p++ != '/' || num(&p, 1, 2, &t->mon) < 0 || *p++ != '/' ||
		    num(&p, 1, 2, &t->day) < 0)
			return -1;
		*have_day = *have_year = 1;
		*pp = p;
		return 0;
	}
	if (n > 4)
		return -1;
	num(&p, 1, 4, &v);
	if ((n >= 3 || v > 31 || *have_day) && !*have_year) {
		t->year = n <= 2 ? (v < 50 ? v + 2000 : v + 1900) : v;
		*have_year = 1;
	} else if (!*have_day) {
		t->day = v;
		*have_day = 1;
	} else {
		return -1;
	}
	*pp = p;
	return 0;
}

static int
parse_rfc(const char *s, int64_t *out, struct dt t)
{
	const char *p = s;
	int have_day = 0, have_year = 0, seen_zone = 0, seen_num_zone = 0;

	while (*p) {
		if (*p == ' ' || *p == ',' || *p == '\t' ||
		    (*p == '-' && !have_year && !is_digit(p[1]))) {
			p++;
		} else if ((*p == '+' || *p == '-') && is_digit(p[1])) {
			if (seen_num_zone || numeric_zone(&p, &t.tz) < 0)
				return -1;
			seen_num_zone = t.have_tz = 1;
		} else if (is_digit(*p)) {
			if (rfc_number(&p, &t, &have_day, &have_year) < 0)
				return -1;
			if (*p == '-' && !have_year && !is_digit(p[1]))
				p++;
		} else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') {
			size_t n = 0;
			while (((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z') || p[n] == '/' ||
			       p[n] == '.')
				n++;
			if (p[n - 1] == '.')
				n--; /* "Jan." */
			if (rfc_word(p, n, &t, &seen_zone) < 0)
				return -1;
			p += n;
			if (*p == '.')
				p++;
		} else {
			return -1;
		}
	}
	if (!have_day || !have_year || !t.mon)
		return -1;
	return finish(&t, out);
}

/* Localised words mapped to what the parsers above read. */
static const struct {
	const char *from, *to;
} local_words[] = {
	/* Greek */
	{"Κυρ", "Sun"},
	{"Δευ", "Mon"},
	{"Τρι", "Tue"},
	{"Τετ", "Wed"},
	{"Πεμ", "Thu"},
	{"Παρ", "Fri"},
	{"Σαβ", "Sat"},
	{"Ιαν", "Jan"},
	{"Φεβ", "Feb"},
	{"Μάώ", "Mar"},
	{"Μάρ", "Mar"},
	{"Μαρ", "Mar"},
	{"Απρ", "Apr"},
	{"Μάι", "May"},
	{"Μαΐ", "May"},
	{"Μαι", "May"},
	{"Ιούν", "Jun"},
	{"Ιον", "Jun"},
	{"Ιούλ", "Jul"},
	{"Ιολ", "Jul"},
	{"Αύγ", "Aug"},
	{"Αυγ", "Aug"},
	{"Σεπ", "Sep"},
	{"Οκτ", "Oct"},
	{"Νοέ", "Nov"},
	{"Νοε", "Nov"},
	{"Δεκ", "Dec"},
	/* Hungarian */
	{"január", "01"},
	{"február", "02"},
	{"március", "03"},
	{"április", "04"},
	{"május", "05"},
	{"június", "06"},
	{"július", "07"},
	{"augusztus", "08"},
	{"szeptember", "09"},
	{"október", "10"},
	{"november", "11"},
	{"december", "12"},
};

/* Copies s into out, trimmed, with localised words replaced; -1 if too long. */
static int
normalise(const char *s, char *out, size_t outlen, struct dt *t)
{
	size_t o = 0;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	while (*s) {
		const char *rep = NULL;
		size_t skip = 0;
		/* Greek words are non-ASCII; Hungarian months follow "YYYY-". Most
		 * characters are neither: they skip the table. */
		int high = (unsigned char)*s >= 0x80, dash = o > 0 && out[o - 1] == '-';
		for (size_t i = 0; (high || dash) && i < sizeof local_words / sizeof local_words[0];
		     i++) {
			if (!(i < 27 ? high : dash))
				continue;
			size_t l = strlen(local_words[i].from);
			if (strncmp(s, local_words[i].from, l) == 0) {
				rep = local_words[i].to, skip = l;
				break;
			}
		}
		if (high && !rep) { /* Korean: non-ASCII too */
			if (strncmp(s, "오후", 6) == 0)
				rep = "", skip = 6, t->pm = 1, t->kst = 1;
			else if (strncmp(s, "오전", 6) == 0)
				rep = "", skip = 6, t->pm = 2, t->kst = 1;
			else if (strncmp(s, "년", 3) == 0 || strncmp(s, "월", 3) == 0)
				rep = "-", skip = 3, t->kst = 1;
			else if (strncmp(s, "일", 3) == 0)
				rep = "", skip = 3, t->kst = 1;
		}
		if (rep) {
			size_t l = strlen(rep);
			if (o + l >= outlen)
				return -1;
			memcpy(out + o, rep, l);
			o += l;
			s += skip;
			if (*rep == '-')
				while (*s == ' ')
					s++;
			continue;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = *s == '\t' ? ' ' : *s;
		s++;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\r' || out[o - 1] == '\n'))
		o--;
	out[o] = '\0';
	return 0;
}

int
date_parse(const char *s, int64_t *out)
{
	char b[DATE_MAX * 2];
	struct dt t;

	if (s == NULL || strlen(s) > DATE_MAX)
		return -1;
	memset(&t, 0, sizeof t);
	if (normalise(s, b, sizeof b, &t) < 0 || b[0] == '\0')
		return -1;
	if ((is_digit(b[0]) || b[0] == '-') && parse_iso(b, out, t) == 0)
		return 0;
	return parse_rfc(b, out, t);
}

int
date_format(int64_t t, char *out, size_t outlen)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400, y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999 || outlen < 21)
		return -1;
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d, (int)(secs / 3600),
		 (int)(secs / 60 % 60), (int)(secs % 60));
	return 0;
}
