/* upload.c - the media type an attachment is served inline as (src/app/ticket/upload.c). */
#include "harness.h"
#include "app/ticket/upload.h"

CB_TEST(media_type_inline_compares_the_type)
{
	char mt[64];
	CB_CHECK(!cb_media_inline("image/svg+xml; charset=utf-8", mt, sizeof mt));
	CB_CHECK(!cb_media_inline("IMAGE/SVG+XML", mt, sizeof mt));
	CB_CHECK(!cb_media_inline("image/svg+xml", mt, sizeof mt));
	CB_CHECK(!cb_media_inline("image/pngx", mt, sizeof mt));
	CB_CHECK(!cb_media_inline("image/png x", mt, sizeof mt));
	CB_CHECK(!cb_media_inline("text/html", mt, sizeof mt));
	CB_CHECK(!cb_media_inline(NULL, mt, sizeof mt));
	CB_REQUIRE(cb_media_inline(" Image/PNG ; name=a", mt, sizeof mt));
	CB_CHECK_STR(mt, "image/png");
	CB_REQUIRE(cb_media_inline("image/jpeg", mt, sizeof mt));
	CB_CHECK_STR(mt, "image/jpeg");
}
