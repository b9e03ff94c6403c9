/* article.h - the knowledge base: articles (kb, runbook, known_error, faq),
 * their versions and diffs, links to tickets, votes, portal activity
 * (views, searches) and the reuse/deflection counts built on them.
 *
 * Visibility: agent-side users see every article; customers only
 * published public ones (every other is a 404 like a missing one). Every
 * create or PATCH stores a new version (a JSON snapshot with author and
 * time). Links are kept in article_links, each with an article_linked
 * event on the ticket (staff-only on the timeline). */
#ifndef CB_ARTICLE_H
#define CB_ARTICLE_H
#include <jansson.h>
#include "app/app.h"

int cb_article_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *id,
		      cb_err *err);
int cb_article_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		      cb_err *err);
json_t *cb_article_get(cb_conn *c, const cb_actor *viewer, int64_t id, cb_err *err);

typedef struct {
	const char *type, *state, *visibility, *tag, *product_area;
	int stale; /* review_by before today */
} cb_article_filter;
int cb_article_list(cb_conn *c, const cb_actor *viewer, const cb_article_filter *f, cb_ms now,
		    int limit, int64_t after, json_t **items, int64_t *next, cb_err *err);
int cb_article_versions(cb_conn *c, const cb_actor *viewer, int64_t id, int limit, int64_t after,
			json_t **items, int64_t *next, cb_err *err);
/* A line diff of two versions: {"from","to","fields":[changed names],
 * "lines":[{"op":" "|"-"|"+","text"}]}. */
json_t *cb_article_diff(cb_conn *c, const cb_actor *viewer, int64_t id, int64_t from, int64_t to,
			cb_err *err);

/* Links an article to a ticket ({"article": id}) and appends the
 * article_linked event (not for a repeated link); returns the link. */
json_t *cb_article_link(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket, json_t *in,
			cb_err *err);
json_t *cb_article_links(cb_conn *c, int64_t ticket, cb_err *err);
/* {"helpful": bool}: one vote per user, a new vote replaces the old. */
int cb_article_vote(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		    cb_err *err);
/* Records a portal view ("view", article) or search ("search", 0). */
int cb_kb_record(cb_conn *c, const cb_actor *actor, cb_ms now, const char *kind, int64_t article,
		 cb_err *err);
/* Counts of one article as of as_of (deflections need 24 h to settle). */
json_t *cb_article_stats(cb_conn *c, int64_t id, cb_ms as_of, cb_err *err);
/* Knowledge report over [from, to): deflection totals and per-author contribution. */
json_t *cb_kb_report(cb_conn *c, cb_ms from, cb_ms to, cb_ms as_of, cb_err *err);
/* Published public known errors: {"items": [...]}. */
json_t *cb_article_known_issues(cb_conn *c, cb_err *err);
/* HTML page of the same list (cb_free). */
char *cb_article_known_issues_html(json_t *list);
#endif
