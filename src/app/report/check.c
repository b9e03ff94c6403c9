/* check.c - `casebook check` (see check.h). */
#include "app/report/check.h"
#include "app/ticket/ticket.h"
#include "store/sql.h"

#include <string.h>

int cb_check_run(cb_app *app, cb_check_report *out, cb_err *err)
{
	memset(out, 0, sizeof *out);
	if (cb_db_integrity(app->db, err))
		return -1;
	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	int64_t total = 0;
	cb_q *cq = cb_q_get(c, CB_SQL_CHECK_TICKET_COUNT, err);
	if (!cq || cb_q_step(cq, err) != 1)
		return -1;
	total = cb_q_i64(cq, 0);
	cb_q_reset(cq);
	cb_progress_report(&app->progress, 0, total);
	int64_t after = 0;
	for (;;) {
		int64_t ids[1000];
		int n = 0, r;
		cb_q *q = cb_q_get(c, CB_SQL_CHECK_TICKET_IDS, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, after);
		while ((r = cb_q_step(q, err)) == 1)
			ids[n++] = cb_q_i64(q, 0);
		if (r < 0)
			return -1;
		for (int i = 0; i < n; i++) {
			int same = cb_ticketsvc_verify_fold(c, ids[i], err);
			if (same < 0)
				return -1;
			out->tickets++;
			if (!same) {
				out->mismatched++;
				if (!out->first_bad)
					out->first_bad = ids[i];
			}
		}
		cb_progress_report(&app->progress, out->tickets, total);
		if (n < 1000)
			break;
		after = ids[n - 1];
	}
	return 0;
}
