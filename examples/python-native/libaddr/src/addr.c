/* libaddr: street-address normalisation. See include/addr.h for the rules. */
#include "config.h"

#include <stddef.h>
#include <string.h>
#if ADDR_DEBUG
#include <assert.h>
#define ADDR_ASSERT(x) assert(x)
#else
#define ADDR_ASSERT(x) ((void)0)
#endif

#if ADDR_HAVE_VISIBILITY
#define ADDR_API __attribute__((visibility("default")))
#endif
#include "addr.h"

/* Longest abbreviation we expand, plus one; longer tokens skip the lookup. */
#define ABBREV_MAX 8

struct abbrev {
	const char *from;
	const char *to;
};

/* Whole-token expansions, USPS style. No context: "St" is always "street". */
static const struct abbrev abbrevs[] = {
	{ "apt", "apartment" }, { "av", "avenue" },     { "ave", "avenue" },
	{ "bldg", "building" }, { "blvd", "boulevard" }, { "cir", "circle" },
	{ "ct", "court" },      { "dr", "drive" },       { "e", "east" },
	{ "fl", "floor" },      { "hwy", "highway" },    { "ln", "lane" },
	{ "n", "north" },       { "ne", "northeast" },   { "nw", "northwest" },
	{ "pkwy", "parkway" },  { "pl", "place" },       { "rd", "road" },
	{ "s", "south" },       { "se", "southeast" },   { "sq", "square" },
	{ "st", "street" },     { "ste", "suite" },      { "sw", "southwest" },
	{ "ter", "terrace" },   { "w", "west" },
};

/* Output cursor with snprintf semantics: counts everything, stores what fits. */
struct out {
	char *buf;
	size_t cap;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static const char *expansion(const char *tok, size_t len)
{
	size_t i;

	if (len == 0 || len >= ABBREV_MAX)
		return NULL;
	for (i = 0; i < sizeof abbrevs / sizeof abbrevs[0]; i++)
		if (strlen(abbrevs[i].from) == len && memcmp(abbrevs[i].from, tok, len) == 0)
			return abbrevs[i].to;
	return NULL;
}

/* Ends the current token at o->len; rewrites it if it is an abbreviation. */
static void end_token(struct out *o, size_t start, const char *tok, size_t toklen)
{
	const char *full = expansion(tok, toklen);

	if (full == NULL)
		return;
	ADDR_ASSERT(o->len == start + toklen);
	o->len = start;
	while (*full != '\0')
		put(o, *full++);
}

/* A dot inside initials like "N.W." or "U.S.A." joins instead of splitting. */
static int joins_initials(const unsigned char *p, size_t run)
{
	return run == 1 && is_alpha(p[1]) && !is_alnum(p[2]);
}

ADDR_API size_t addr_normalize(const char *in, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)(in != NULL ? in : "");
	struct out o = { out, outlen, 0 };
	char tok[ABBREV_MAX]; /* the token's first bytes, for the lookup */
	size_t start = 0, toklen = 0, run = 0;

	for (; *p != '\0'; p++) {
		unsigned char c = *p;

		if (c == '\'' && toklen > 0)
			continue; /* "O'Hare" -> "ohare" */
		if (c == '.' && toklen > 0 && joins_initials(p, run)) {
			run = 0;
			continue;
		}
		if ((c == '-' || c == '/') && toklen > 0 && is_alnum(p[1])) {
			/* keep "12-14" and "1/2" together */
		} else if (!is_alnum(c) && c < 0x80) {
			if (toklen > 0)
				end_token(&o, start, tok, toklen);
			toklen = 0;
			run = 0;
			continue;
		}
		if (toklen == 0) {
			if (o.len > 0)
				put(&o, ' ');
			start = o.len;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		put(&o, (char)c);
		if (toklen < ABBREV_MAX)
			tok[toklen] = (char)c;
		toklen++;
		run = is_alpha(c) ? run + 1 : 2; /* digits never start initials */
	}
	if (toklen > 0)
		end_token(&o, start, tok, toklen);
	if (outlen > 0)
		out[o.len < outlen ? o.len : outlen - 1] = '\0';
	return o.len;
}

ADDR_API const char *addr_version(void)
{
	return ADDR_VERSION;
}
