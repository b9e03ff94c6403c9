/* ticket_query.h - the ticket list query, built from a filter at run time. */
#ifndef CB_TICKET_QUERY_H
#define CB_TICKET_QUERY_H
#include "store/db.h"

#define CB_TQ_MAX_IN 8

typedef struct {
	int nstatus; const char *status[CB_TQ_MAX_IN];
	int npriority; const char *priority[CB_TQ_MAX_IN];
	int64_t assignee; int assignee_none;  /* assignee > 0, or none */
	int64_t group; int group_none;
	int64_t account;                      /* > 0 */
	int64_t requester;
	const char *tag;
	const char *external_id;
	int64_t created_from, created_to;     /* ms; 0 = open */
	int64_t before_id;                    /* cursor: id < before_id */
	int limit;
} cb_tquery;

/* Prepares the query; rows are ticket ids, newest first. Free with cb_q_free. */
cb_q *cb_tquery_prepare(cb_conn *c, const cb_tquery *tq, cb_err *err);

#endif
