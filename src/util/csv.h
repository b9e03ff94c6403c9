/* csv.h - the one CSV cell writer (RFC 4180) for every CSV Casebook writes.
 *
 * Text cells are neutralised against formula injection (OWASP "CSV
 * Injection"): a cell whose text starts with '=', '+', '-', '@', a tab or a
 * carriage return gets a leading single quote, so a spreadsheet shows it as
 * text instead of evaluating it. Numbers are written with cb_csv_int /
 * cb_csv_real and stay numbers (a negative count is still -3). */
#ifndef CB_CSV_H
#define CB_CSV_H
#include <stdint.h>

#include "util/buf.h"

/* Appends one text cell: neutralised, then quoted when it holds a comma,
 * a quote, CR or LF. */
void cb_csv_text(cb_buf *b, const char *s);
/* Appends one numeric cell. */
void cb_csv_int(cb_buf *b, int64_t v);
void cb_csv_real(cb_buf *b, double v);

#endif
