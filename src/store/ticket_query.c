/* ticket_query.c - builds the filtered ticket list query. Values are always
 * bound, never spliced into the SQL text. */
#include "store/ticket_query.h"
#include "util/buf.h"

cb_q *cb_tquery_prepare(cb_conn *c, const cb_tquery *tq, cb_err *err)
{
	cb_buf sql = {0};
	int n = 0;
	cb_buf_puts(&sql, "SELECT t.id FROM tickets t WHERE 1");
	if (tq->nstatus) {
		cb_buf_puts(&sql, " AND t.status IN (");
		for (int i = 0; i < tq->nstatus; i++)
			cb_buf_printf(&sql, "%s?%d", i ? "," : "", ++n);
		cb_buf_puts(&sql, ")");
	}
	if (tq->npriority) {
		cb_buf_puts(&sql, " AND t.priority IN (");
		for (int i = 0; i < tq->npriority; i++)
			cb_buf_printf(&sql, "%s?%d", i ? "," : "", ++n);
		cb_buf_puts(&sql, ")");
	}
	if (tq->assignee_none)
		cb_buf_puts(&sql, " AND t.assignee_id IS NULL");
	else if (tq->assignee)
		cb_buf_printf(&sql, " AND t.assignee_id = ?%d", ++n);
	if (tq->group_none)
		cb_buf_puts(&sql, " AND t.group_id IS NULL");
	else if (tq->group)
		cb_buf_printf(&sql, " AND t.group_id = ?%d", ++n);
	if (tq->account)
		cb_buf_printf(&sql, " AND t.account_id = ?%d", ++n);
	if (tq->requester)
		cb_buf_printf(&sql, " AND t.requester_id = ?%d", ++n);
	if (tq->tag)
		cb_buf_printf(&sql, " AND t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ?%d)", ++n);
	if (tq->external_id)
		cb_buf_printf(&sql, " AND t.external_id = ?%d", ++n);
	if (tq->created_from)
		cb_buf_printf(&sql, " AND t.created_at >= ?%d", ++n);
	if (tq->created_to)
		cb_buf_printf(&sql, " AND t.created_at < ?%d", ++n);
	if (tq->before_id)
		cb_buf_printf(&sql, " AND t.id < ?%d", ++n);
	cb_buf_printf(&sql, " ORDER BY t.id DESC LIMIT ?%d", ++n);
	cb_q *q = cb_q_prepare(c, sql.p, err);
	cb_buf_free(&sql);
	if (!q)
		return NULL;
	int i = 0;
	for (int k = 0; k < tq->nstatus; k++)
		cb_q_bind_text(q, ++i, tq->status[k]);
	for (int k = 0; k < tq->npriority; k++)
		cb_q_bind_text(q, ++i, tq->priority[k]);
	if (!tq->assignee_none && tq->assignee)
		cb_q_bind_i64(q, ++i, tq->assignee);
	if (!tq->group_none && tq->group)
		cb_q_bind_i64(q, ++i, tq->group);
	if (tq->account)
		cb_q_bind_i64(q, ++i, tq->account);
	if (tq->requester)
		cb_q_bind_i64(q, ++i, tq->requester);
	if (tq->tag)
		cb_q_bind_text(q, ++i, tq->tag);
	if (tq->external_id)
		cb_q_bind_text(q, ++i, tq->external_id);
	if (tq->created_from)
		cb_q_bind_i64(q, ++i, tq->created_from);
	if (tq->created_to)
		cb_q_bind_i64(q, ++i, tq->created_to);
	if (tq->before_id)
		cb_q_bind_i64(q, ++i, tq->before_id);
	cb_q_bind_i64(q, ++i, tq->limit);
	return q;
}
