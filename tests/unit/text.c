/* text.c - tokenizing, stemming, query parsing and snippets (src/core/text.c). */
#include "harness.h"
#include "core/text.h"
#include "util/alloc.h"

CB_TEST(text_stem_into)
{
	cb_buf b = {0};
	cb_text_stem_into(&b, "Failing, FAILED; fails -- connections_timed-out!");
	CB_CHECK_STR(b.p, "fail fail fail connect time out");
	cb_buf_free(&b);
	cb_text_stem_into(&b, "");
	CB_CHECK_STR(b.p, "");
	cb_buf_free(&b);
}

CB_TEST(text_query_words_phrases_prefixes)
{
	cb_text_terms t;
	char *m = cb_text_query("Failing \"nightly Exports\" replic*", &t);
	CB_CHECK_STR(m, "\"fail\" \"night export\" \"replic\"*");
	CB_CHECK_INT(t.n, 4);
	cb_free(m);
	cb_text_terms_free(&t);
	/* FTS5 syntax in the input is never passed through */
	m = cb_text_query("a OR b NEAR(c) -d ^e:f", &t);
	CB_CHECK_STR(m, "\"a\" \"or\" \"b\" \"near\" \"c\" \"d\" \"e\" \"f\"");
	cb_free(m);
	cb_text_terms_free(&t);
	CB_CHECK(cb_text_query("  \"\" ** ", &t) == NULL);
	CB_CHECK_INT(t.n, 0);
}

CB_TEST(text_snippet_marks_original_words)
{
	cb_text_terms t;
	char *m = cb_text_query("failing", &t);
	char *s = NULL;
	CB_CHECK_INT(cb_text_snippet("The <job> FAILED at night & failed again", &t, 24, &s), 1);
	CB_CHECK_STR(s, "The &lt;job&gt; <mark>FAILED</mark> at night &amp; <mark>failed</mark> again");
	cb_free(s);
	CB_CHECK_INT(cb_text_snippet("nothing here", &t, 24, &s), 0);
	CB_CHECK_STR(s, "nothing here");
	cb_free(s);
	CB_CHECK(cb_text_matches("it fails", &t));
	CB_CHECK(!cb_text_matches("it works", &t));
	cb_free(m);
	cb_text_terms_free(&t);
}
