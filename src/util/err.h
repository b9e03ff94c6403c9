/* err.h - the one error type, filled where a failure happens and mapped to
 * an HTTP problem (api/) or an exit code (cli/) exactly once.
 *
 * cb_err_set() never overwrites an error that is already set, so the lowest
 * (most specific) failure is the one reported; only a further CB_E_INVALID
 * with a field, on an error that is CB_E_INVALID already, adds its field
 * item, so validators that go on after a bad field name every one. */
#ifndef CB_ERR_H
#define CB_ERR_H

typedef enum {
	CB_OK = 0,
	CB_E_INVALID,   /* valid syntax, invalid values (422) */
	CB_E_BADREQ,    /* malformed request (400) */
	CB_E_UNAUTH,    /* no or bad credentials (401) */
	CB_E_FORBIDDEN, /* authenticated, not allowed (403) */
	CB_E_NOTFOUND,  /* missing or not visible (404) */
	CB_E_METHOD,    /* method not allowed (405) */
	CB_E_CONFLICT,  /* uniqueness or state conflict (409) */
	CB_E_TOOBIG,    /* body too large (413) */
	CB_E_MEDIA,     /* unsupported media type (415) */
	CB_E_TOOMANY,   /* too many attempts, retry later (429) */
	CB_E_BUSY,      /* overloaded, retry later (503) */
	CB_E_STALE,     /* the state a decision was made on changed under it (another
			   writer): the writer decides again on the fresh state; 409 if
			   it keeps changing */
	CB_E_INTERNAL,  /* anything else (500) */
} cb_errcode;

#define CB_ERR_MAX_FIELDS 16

typedef struct {
	char field[96];   /* JSON path of the offending field, "" if none */
	char message[256];
} cb_err_item;

typedef struct {
	cb_errcode code;
	char message[256];                /* one line, no prefixes */
	int nitems;                       /* extra per-field errors */
	cb_err_item items[CB_ERR_MAX_FIELDS];
} cb_err;

/* Sets code/field/message unless an error is already set (then only adds
 * the field item of another CB_E_INVALID, see above). Returns -1. */
int cb_err_set(cb_err *e, cb_errcode code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Adds a field error (for validation that reports several at once). */
void cb_err_add(cb_err *e, cb_errcode code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void cb_err_clear(cb_err *e);
/* Adds what src found to dst, so a validator written as checks that each
 * stop at their first failure can run them all into a scratch cb_err and
 * report every bad field: two CB_E_INVALID errors combine their items;
 * any other error (403, 404, 500...) wins over validation errors; otherwise
 * the first error stays. Returns -1 when src held an error, else 0. */
int cb_err_merge(cb_err *dst, const cb_err *src);
/* For CB_E_INVALID with field items whose messages read after the field
 * ("is required"): sets the detail to "name is required" (and how many
 * more). Returns -1, so validators can `return cb_err_summarize(err)`. */
int cb_err_summarize(cb_err *e);
int cb_err_http_status(cb_errcode code);
const char *cb_err_title(cb_errcode code);
const char *cb_err_type(cb_errcode code); /* short slug for the problem type */

#endif
