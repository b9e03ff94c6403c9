/* fuzz_form.c - multipart/form-data request bodies (cb_form_parse, GMime),
 * as POST /api/v1/tickets/{id}/attachments accepts them.
 *
 * Input: the first line is the Content-Type value (its boundary), the rest
 * the body. Invariants: a parse that succeeds has 1 to CB_FORM_MAX_PARTS
 * parts, each with a name, a lower-case media type, a NUL after its bytes
 * and a file name without '/'; a failed parse returns no parts and names a
 * field. */
#include "common.h"

#include <string.h>

#include "mail/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	const char *nl = memchr(data, '\n', size);
	if (!nl)
		return 0;
	size_t hl = (size_t)(nl - (const char *)data);
	char ctype[512];
	if (hl >= sizeof ctype)
		return 0;
	memcpy(ctype, data, hl);
	ctype[hl] = 0;
	if (memchr(ctype, 0, hl))
		return 0;
	cb_form_part *parts = NULL;
	int n = -1;
	cb_err err = {0};
	if (cb_form_parse(ctype, nl + 1, size - hl - 1, &parts, &n, &err) == 0) {
		FUZZ_CHECK(n >= 1 && n <= CB_FORM_MAX_PARTS && parts);
		for (int i = 0; i < n; i++) {
			FUZZ_CHECK(parts[i].name && parts[i].content_type && parts[i].data);
			FUZZ_CHECK(parts[i].data[parts[i].size] == 0);
			for (const char *p = parts[i].content_type; *p; p++)
				FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
			FUZZ_CHECK(!parts[i].filename || !strchr(parts[i].filename, '/'));
		}
	} else {
		FUZZ_CHECK(n == 0 && parts == NULL && err.code == CB_E_BADREQ && err.nitems >= 1 && err.items[0].field[0]);
	}
	cb_form_parts_free(parts, n > 0 ? n : 0);
	return 0;
}
