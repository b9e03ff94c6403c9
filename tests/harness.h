/* harness.h - a tiny unit test harness.
 *
 * CB_TEST(name) { ... } defines a case; the Makefile collects the names into
 * tests_list.h. CB_CHECK(expr) records a failure and continues; CB_REQUIRE
 * stops the case. `unit_tests [-s name]` runs all cases or one. */
#ifndef CB_HARNESS_H
#define CB_HARNESS_H
#include <stdio.h>
#include <string.h>

extern int cb_test_failed;
void cb_test_fail(const char *file, int line, const char *expr);

#define CB_TEST(name) void cb_test_##name(void); void cb_test_##name(void)
#define CB_CHECK(expr) \
	do { if (!(expr)) cb_test_fail(__FILE__, __LINE__, #expr); } while (0)
#define CB_REQUIRE(expr) \
	do { if (!(expr)) { cb_test_fail(__FILE__, __LINE__, #expr); return; } } while (0)
#define CB_CHECK_INT(a, b) \
	do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { \
		char _m[256]; snprintf(_m, sizeof _m, "%s == %s (%lld != %lld)", #a, #b, _a, _b); \
		cb_test_fail(__FILE__, __LINE__, _m); } } while (0)
#define CB_CHECK_STR(a, b) \
	do { const char *_a = (a), *_b = (b); if (!_a || !_b || strcmp(_a, _b)) { \
		char _m[512]; snprintf(_m, sizeof _m, "%s == %s (\"%s\" != \"%s\")", #a, #b, \
			_a ? _a : "(null)", _b ? _b : "(null)"); \
		cb_test_fail(__FILE__, __LINE__, _m); } } while (0)

#endif
