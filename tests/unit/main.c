/* main.c - unit test runner: runs every CB_TEST case (or one with -s NAME)
 * and prints one line per case and a closing "N passed, N failed". */
#include "harness.h"

#include <stdlib.h>

#define X(name) void cb_test_##name(void);
#include "tests_list.h"
#undef X

int cb_test_failed;

void cb_test_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "    %s:%d: check failed: %s\n", file, line, expr);
	cb_test_failed = 1;
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
#define X(name) {#name, cb_test_##name},
#include "tests_list.h"
#undef X
};

int main(int argc, char **argv)
{
	const char *only = argc == 3 && strcmp(argv[1], "-s") == 0 ? argv[2] : NULL;
	int passed = 0, failed = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (only && strcmp(only, cases[i].name) != 0)
			continue;
		cb_test_failed = 0;
		cases[i].fn();
		printf("%s - %s\n", cb_test_failed ? "FAIL" : "ok", cases[i].name);
		if (cb_test_failed)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
