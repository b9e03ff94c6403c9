/* view_query.h - the queue queries (views), ordered by urgency. */
#ifndef CB_VIEW_QUERY_H
#define CB_VIEW_QUERY_H
#include "store/db.h"

typedef enum {
	CB_VIEW_ALL_OPEN,
	CB_VIEW_MINE,
	CB_VIEW_UNASSIGNED,
	CB_VIEW_AT_RISK,
	CB_VIEW_BREACHED,
} cb_view_kind;

typedef struct {
	cb_view_kind kind;
	int64_t me;               /* for MINE */
	int64_t now;              /* ms */
	int64_t group;            /* 0 any, -1 none */
	unsigned priorities;      /* bit p set: Pp; 0 any */
	const char *tier;         /* NULL any */
	int64_t assignee;         /* >0 a user, -1 unassigned, 0 any (besides MINE) */
	int sort;                 /* CB_VIEW_SORT_* */
	int64_t offset;
	int limit;
} cb_view_query;

enum {
	CB_VIEW_SORT_URGENCY,       /* breached first, then earliest due, no clock last */
	CB_VIEW_SORT_PRIORITY,      /* P1 first, then urgency */
	CB_VIEW_SORT_CREATED_ASC,   /* oldest first */
	CB_VIEW_SORT_CREATED_DESC,  /* newest first */
	CB_VIEW_SORT_UPDATED_DESC,  /* most recently updated first */
};

/* Rows: ticket ids, most urgent first: breached clocks first, then by the
 * earliest due instant, tickets without a running clock last. */
cb_q *cb_view_query_prepare(cb_conn *c, const cb_view_query *vq, cb_err *err);

#endif
