/* make check: exercises libaddr through its shared library. */
#include <stdio.h>
#include <string.h>

#include "addr.h"

static int failures;

static void expect(const char *in, const char *want)
{
	char out[256];
	size_t n = addr_normalize(in, out, sizeof out);

	if (strcmp(out, want) != 0 || n != strlen(want)) {
		fprintf(stderr, "FAIL: \"%s\" -> \"%s\" (%zu), want \"%s\"\n", in ? in : "(null)", out, n, want);
		failures++;
	}
}

static void test_truncation(void)
{
	char small[8];
	size_t n = addr_normalize("12 Main St", small, sizeof small);

	/* Full result "12 main street" is 14 bytes; only 7 + NUL fit. */
	if (n != 14 || strcmp(small, "12 main") != 0) {
		fprintf(stderr, "FAIL: truncation gave \"%s\" (%zu), want \"12 main\" (14)\n", small, n);
		failures++;
	}
	if (addr_normalize("Main St", NULL, 0) != 11) {
		fprintf(stderr, "FAIL: outlen 0 must only measure\n");
		failures++;
	}
}

int main(void)
{
	expect("12 Main St.", "12 main street");
	expect("  1600   Pennsylvania Ave. N.W. ", "1600 pennsylvania avenue northwest");
	expect("221B Baker St, Apt #4", "221b baker street apartment 4");
	expect("O'Hare Blvd.", "ohare boulevard");
	expect("12-14 Elm Rd; Ste 5", "12-14 elm road suite 5");
	expect("U.S. Hwy 1", "us highway 1");
	expect("St.Mark's Pl", "street marks place");
	expect("Stanley Ave", "stanley avenue");
	expect("Bahnhofstraße 5", "bahnhofstraße 5");
	expect("", "");
	expect(" ,.; ", "");
	expect(NULL, "");
	test_truncation();

	if (strcmp(addr_version(), ADDR_VERSION) != 0) {
		fprintf(stderr, "FAIL: addr_version() is \"%s\", header says \"%s\"\n", addr_version(), ADDR_VERSION);
		failures++;
	}
	if (failures > 0) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("libaddr %s: all checks passed\n", addr_version());
	return 0;
}
