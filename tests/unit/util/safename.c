/* safename.c - unsafe characters in file names (src/util/safename.c). */
#include "harness.h"
#include "util/safename.h"

CB_TEST(file_names_unsafe_characters)
{
	const char *bad[] = {"a\x01" "b", "a\x7f" "b", "a\xc2\x85" "b", "invoice_\xe2\x80\xae" "fdp.exe",
			     "\xe2\x80\xaa", "\xe2\x81\xa6", "\xe2\x81\xa9", "\xe2\x80\x8f", "\xd8\x9c"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CB_CHECK(cb_name_has_unsafe(bad[i]));
	const char *good[] = {"report.pdf", "r\xc3\xa9sum\xc3\xa9.pdf", "\xd7\xa9\xd7\x9c.txt",
			      "\xe2\x80\x94" "dash", "\xe2\x82\xac.csv"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		CB_CHECK(!cb_name_has_unsafe(good[i]));
	char s[] = "invoice_\xe2\x80\xae" "fdp.exe\x01\xc2\x85x";
	cb_name_clean(s);
	CB_CHECK_STR(s, "invoice__fdp.exe__x");
}
