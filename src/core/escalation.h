/* escalation.h - the escalation lifecycle and the completeness rubric of an
 * escalation package. Pure: no I/O, no clock.
 *
 * Lifecycle (docs/escalations.md):
 *
 *   open -> acknowledged -> accepted -> resolved
 *                       \-> returned -> open (the submitter answers)
 *
 * Resolving needs an acceptance first: acknowledged -> resolved is not
 * allowed, so every resolved escalation has a recorded decision and counts
 * in escalation_acceptance_rate. resolved is terminal.
 *
 * Package: summary, steps, observed, expected, environment {versions,
 * region, tenant}, artifacts {request_ids, timestamps, logs, attachments},
 * impact {accounts, users, tier}, severity_rationale, hypotheses. The score
 * is the number of complete rubric groups (0..5); a group is complete when
 * every field it names is present (non-empty). */
#ifndef CB_CORE_ESCALATION_H
#define CB_CORE_ESCALATION_H
#include <jansson.h>

#include "util/err.h"

typedef enum {
	CB_ESC_OPEN,
	CB_ESC_ACKNOWLEDGED,
	CB_ESC_ACCEPTED,
	CB_ESC_RETURNED,
	CB_ESC_RESOLVED,
	CB_ESC__COUNT
} cb_esc_status;

/* Who makes a move: the resolver group (its members, admins) or the
 * support side that submitted it (agents, admins). */
typedef enum { CB_ESC_BY_RESOLVER, CB_ESC_BY_SUBMITTER } cb_esc_party;

const char *cb_esc_status_name(cb_esc_status s);
int cb_esc_status_parse(const char *s, cb_esc_status *out); /* 0 ok, -1 unknown */

/* Who makes the moves into `to` (the same party from every status), so
 * that permission is decided before the move: a caller who may never move
 * an escalation to `to` gets 403, not the 409 of an illegal transition. */
cb_esc_party cb_esc_party_of(cb_esc_status to);
/* Bit (1u << to) set for every status reachable from `from` in one move. */
unsigned cb_esc_allowed(cb_esc_status from);
/* 0 when from -> to is a legal move, else CB_E_CONFLICT (409) on "status"
 * whose message names the allowed targets ("allowed from open:
 * acknowledged"). *party says who may make it. */
int cb_esc_decide(cb_esc_status from, cb_esc_status to, cb_esc_party *party, cb_err *err);
/* Writes the allowed targets of `from` as "a, b" (or "none") into buf. */
void cb_esc_allowed_text(cb_esc_status from, char *buf, size_t n);

/* Validates a package (the keys above, each of its type); 422 naming the
 * field (e.g. "environment.region", "artifacts.timestamps[1]"). Keys in
 * `extra` (NULL-terminated, may be NULL) are skipped. */
int cb_esc_package_check(json_t *pkg, const char *const *extra, cb_err *err);

#define CB_ESC_GROUPS 5
/* Scores a (checked) package: returns 0..5. *missing gets a new array of
 * the missing field names in rubric order; *groups (may be NULL) a new
 * array [{"name","points","fields","missing"}]. */
int cb_esc_score(json_t *pkg, json_t **missing, json_t **groups);

#endif
