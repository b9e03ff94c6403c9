/* err.c - errors keep the first cause and map to HTTP (src/util/err.c). */
#include "harness.h"
#include "util/err.h"

CB_TEST(err_keeps_first_error)
{
	cb_err e = {0};
	cb_err_set(&e, CB_E_NOTFOUND, "a", "first");
	cb_err_set(&e, CB_E_INTERNAL, "b", "second");
	CB_CHECK_INT(e.code, CB_E_NOTFOUND);
	CB_CHECK_STR(e.message, "first");
	CB_CHECK_INT(cb_err_http_status(CB_E_INVALID), 422);
}
