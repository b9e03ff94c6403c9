/* safename.c - unsafe characters in file names (see safename.h). */
#include "util/safename.h"

#include <string.h>

size_t cb_name_unsafe_at(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if (!p[0])
		return 0;
	if (p[0] < 0x20 || p[0] == 0x7f)
		return 1;
	/* C1 controls U+0080-U+009F: C2 80 .. C2 9F */
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	/* U+061C ARABIC LETTER MARK: D8 9C */
	if (p[0] == 0xd8 && p[1] == 0x9c)
		return 2;
	if (p[0] == 0xe2 && p[1] == 0x80 && p[2]) {
		/* U+200E, U+200F: E2 80 8E/8F; U+202A-U+202E: E2 80 AA..AE */
		if (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae))
			return 3;
	}
	/* U+2066-U+2069: E2 81 A6..A9 */
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 3;
	return 0;
}

int cb_name_has_unsafe(const char *s)
{
	for (; *s; s++)
		if (cb_name_unsafe_at(s))
			return 1;
	return 0;
}

void cb_name_clean(char *s)
{
	char *w = s;
	while (*s) {
		size_t n = cb_name_unsafe_at(s);
		if (n) {
			*w++ = '_';
			s += n;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}
