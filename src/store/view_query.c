/* view_query.c - builds the queue query (see view_query.h); values bound. */
#include "store/view_query.h"
#include "util/buf.h"

cb_q *cb_view_query_prepare(cb_conn *c, const cb_view_query *vq, cb_err *err)
{
	cb_buf sql = {0};
	/* driven by ticket_sla's (open, urgency_at) index: every ticket has a
	 * row, refreshed with its every write */
	cb_buf_puts(&sql, "SELECT t.id FROM ticket_sla s JOIN tickets t ON t.id = s.ticket_id"
			  " WHERE s.open = 1");
	switch (vq->kind) {
	case CB_VIEW_MINE: cb_buf_puts(&sql, " AND t.assignee_id = ?1"); break;
	case CB_VIEW_UNASSIGNED: cb_buf_puts(&sql, " AND t.assignee_id IS NULL"); break;
	case CB_VIEW_AT_RISK:
		/* not breached nor overdue (urgency in the future: a range of the
		 * urgency index, read in order), and past its at-risk instant */
		cb_buf_puts(&sql, " AND s.urgency_at >= ?2 AND s.breached = 0 AND s.at_risk_at <= ?2");
		break;
	case CB_VIEW_BREACHED:
		/* breached, or due and past (its timer has not run yet) */
		cb_buf_puts(&sql, " AND s.urgency_at < ?2");
		break;
	case CB_VIEW_ALL_OPEN: break;
	}
	if (vq->group > 0)
		cb_buf_puts(&sql, " AND t.group_id = ?3");
	else if (vq->group < 0)
		cb_buf_puts(&sql, " AND t.group_id IS NULL");
	if (vq->priorities) {
		cb_buf_puts(&sql, " AND t.priority IN ('-'");
		for (int p = 1; p <= 4; p++)
			if (vq->priorities & (1u << p))
				cb_buf_printf(&sql, ", 'P%d'", p);
		cb_buf_puts(&sql, ")");
	}
	if (vq->tier)
		cb_buf_puts(&sql, " AND t.account_id IN (SELECT id FROM accounts WHERE tier = ?4)");
	if (vq->assignee > 0)
		cb_buf_puts(&sql, " AND t.assignee_id = ?7");
	else if (vq->assignee < 0)
		cb_buf_puts(&sql, " AND t.assignee_id IS NULL");
	static const char urgency[] = "s.urgency_at, s.ticket_id";
	switch (vq->sort) {
	case CB_VIEW_SORT_PRIORITY: cb_buf_printf(&sql, " ORDER BY t.priority, %s", urgency); break;
	case CB_VIEW_SORT_CREATED_ASC: cb_buf_puts(&sql, " ORDER BY t.created_at, t.id"); break;
	case CB_VIEW_SORT_CREATED_DESC: cb_buf_puts(&sql, " ORDER BY t.created_at DESC, t.id DESC"); break;
	case CB_VIEW_SORT_UPDATED_DESC: cb_buf_puts(&sql, " ORDER BY t.updated_at DESC, t.id DESC"); break;
	default: cb_buf_printf(&sql, " ORDER BY %s", urgency); break;
	}
	cb_buf_puts(&sql, " LIMIT ?5 OFFSET ?6");
	cb_q *q = cb_q_prepare(c, sql.p, err);
	cb_buf_free(&sql);
	if (!q)
		return NULL;
	if (vq->kind == CB_VIEW_MINE)
		cb_q_bind_i64(q, 1, vq->me);
	cb_q_bind_i64(q, 2, vq->now);
	if (vq->group > 0)
		cb_q_bind_i64(q, 3, vq->group);
	if (vq->tier)
		cb_q_bind_text(q, 4, vq->tier);
	cb_q_bind_i64(q, 5, vq->limit);
	cb_q_bind_i64(q, 6, vq->offset);
	if (vq->assignee > 0)
		cb_q_bind_i64(q, 7, vq->assignee);
	return q;
}
