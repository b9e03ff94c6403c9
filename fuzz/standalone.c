/* standalone.c - replays inputs through a harness without libFuzzer.
 *
 * Usage: fuzz_<name> PATH...   where each PATH is a file or a directory
 * (its regular files, in name order, dot files skipped; a missing directory
 * is skipped). Every input goes through LLVMFuzzerTestOneInput exactly as
 * under libFuzzer; a crash or broken invariant aborts with the sanitizer's
 * report after the line naming the input. Exits 0 and prints
 * "ok N inputs" when all passed. (After libgit2's standalone_driver.c.) */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf)
		return -1;
	/* exactly n bytes, as libFuzzer passes them: overreads are caught */
	uint8_t *in = malloc(n ? n : 1);
	memcpy(in, buf, n);
	free(buf);
	printf("input %s (%zu bytes)\n", path, n);
	fflush(stdout);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int count = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0)
			continue; /* e.g. an empty fuzz/regress/<name> not in git */
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]) != 0;
			count++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		if (!d)
			continue;
		char **names = NULL;
		size_t n = 0;
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			names = realloc(names, (n + 1) * sizeof *names);
			size_t len = strlen(argv[i]) + strlen(e->d_name) + 2;
			names[n] = malloc(len);
			snprintf(names[n], len, "%s/%s", argv[i], e->d_name);
			n++;
		}
		closedir(d);
		if (n)
			qsort(names, n, sizeof *names, cmp_str);
		for (size_t k = 0; k < n; k++) {
			if (stat(names[k], &st) == 0 && S_ISREG(st.st_mode)) {
				bad |= run_file(names[k]) != 0;
				count++;
			}
			free(names[k]);
		}
		free(names);
	}
	if (bad)
		return 1;
	printf("ok %d inputs\n", count);
	return 0;
}
