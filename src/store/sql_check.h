/* sql_check.h - statements for `casebook check`. */
#ifndef CB_SQL_CHECK_H
#define CB_SQL_CHECK_H

static const char CB_SQL_CHECK_TICKET_IDS[] =
	"SELECT id FROM tickets WHERE id > ?1 ORDER BY id LIMIT 1000";
static const char CB_SQL_CHECK_TICKET_COUNT[] = "SELECT count(*) FROM tickets";

#endif
