/* buf.c - growing buffers (src/util/buf.c). */
#include "harness.h"
#include "util/buf.h"

CB_TEST(buf_printf_grows)
{
	cb_buf b = {0};
	for (int i = 0; i < 1000; i++)
		cb_buf_printf(&b, "%d,", i);
	CB_CHECK(b.len > 3000);
	CB_CHECK(strncmp(b.p, "0,1,2,", 6) == 0);
	cb_buf_free(&b);
}
