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
	cb_text_parsed p;
	CB_CHECK_INT(cb_text_parse("Failing \"nightly Exports\" replic* happy*", &p, &t), 4);
	CB_CHECK(!p.item[0].prefix && !p.item[1].prefix && p.item[2].prefix && p.item[3].prefix);
	CB_CHECK_STR(p.item[0].text, "fail");
	CB_CHECK_STR(p.item[1].text, "night export");
	CB_CHECK_STR(p.item[2].text, "replic");
	CB_CHECK(p.item[2].alt == NULL);
	/* a prefix whose stem is not a prefix of the word: either matches */
	CB_CHECK_STR(p.item[3].text, "happy");
	CB_CHECK_STR(p.item[3].alt, "happi");
	CB_CHECK_INT(t.n, 6);
	cb_text_parsed_free(&p);
	cb_text_terms_free(&t);
	/* no operators: everything else separates words */
	CB_CHECK_INT(cb_text_parse("a OR b NEAR(c) -d ^e:f", &p, &t), 8);
	const char *want[] = {"a", "or", "b", "near", "c", "d", "e", "f"};
	for (int i = 0; i < 8; i++)
		CB_CHECK_STR(p.item[i].text, want[i]);
	cb_text_parsed_free(&p);
	cb_text_terms_free(&t);
	CB_CHECK_INT(cb_text_parse("  \"\" ** ", &p, &t), 0);
	CB_CHECK_INT(t.n, 0);
}

CB_TEST(text_snippet_marks_original_words)
{
	cb_text_terms t;
	cb_text_parsed p;
	CB_CHECK_INT(cb_text_parse("failing", &p, &t), 1);
	char *s = NULL;
	CB_CHECK_INT(cb_text_snippet("The <job> FAILED at night & failed again", &t, 24, &s), 1);
	CB_CHECK_STR(s, "The &lt;job&gt; <mark>FAILED</mark> at night &amp; <mark>failed</mark> again");
	cb_free(s);
	CB_CHECK_INT(cb_text_snippet("nothing here", &t, 24, &s), 0);
	CB_CHECK_STR(s, "nothing here");
	cb_free(s);
	CB_CHECK(cb_text_matches("it fails", &t));
	CB_CHECK(!cb_text_matches("it works", &t));
	cb_text_parsed_free(&p);
	cb_text_terms_free(&t);
}
