/* handlers.h - handler declarations and each module's route rows.
 *
 * Each api/h_<noun>.c owns a CB_ROUTES_<NOUN> macro here listing its rows of
 * the route table (designated, greppable), so modules can be added without
 * editing each other. Rows: {method, pattern, handler, least role, flags, name};
 * the flags (api.h) decide the request's database scope (CB_R_WRITE or a
 * read), its body limit and whether it may be shed. */
#ifndef CB_HANDLERS_H
#define CB_HANDLERS_H
#include "api/api.h"

int cb_h_healthz(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_metrics(cb_req *req, cb_resp *resp, cb_err *err);

/* h_accounts.c */
int cb_h_accounts_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_accounts_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_accounts_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_accounts_patch(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_ACCOUNTS \
	{"POST", "/api/v1/accounts", cb_h_accounts_create, CB_ROLE_ADMIN, CB_R_WRITE, "accounts.create"}, \
	{"GET", "/api/v1/accounts", cb_h_accounts_list, CB_ROLE_CUSTOMER, 0, "accounts.list"}, \
	{"GET", "/api/v1/accounts/{id}", cb_h_accounts_get, CB_ROLE_CUSTOMER, 0, "accounts.get"}, \
	{"PATCH", "/api/v1/accounts/{id}", cb_h_accounts_patch, CB_ROLE_ADMIN, CB_R_WRITE, "accounts.update"},

/* h_users.c */
int cb_h_users_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_users_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_users_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_users_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_users_me(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_users_password(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_USERS \
	{"POST", "/api/v1/users", cb_h_users_create, CB_ROLE_ADMIN, CB_R_WRITE, "users.create"}, \
	{"GET", "/api/v1/users", cb_h_users_list, CB_ROLE_ENGINEER, 0, "users.list"}, \
	{"GET", "/api/v1/users/me", cb_h_users_me, CB_ROLE_CUSTOMER, 0, "users.me"}, \
	{"POST", "/api/v1/users/me/password", cb_h_users_password, CB_ROLE_CUSTOMER, CB_R_WRITE, "users.password"}, \
	{"GET", "/api/v1/users/{id}", cb_h_users_get, CB_ROLE_CUSTOMER, 0, "users.get"}, \
	{"PATCH", "/api/v1/users/{id}", cb_h_users_patch, CB_ROLE_ADMIN, CB_R_WRITE, "users.update"},

/* h_tokens.c */
int cb_h_tokens_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_tokens_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_tokens_revoke(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_TOKENS \
	{"POST", "/api/v1/tokens", cb_h_tokens_create, CB_ROLE_CUSTOMER, CB_R_WRITE, "tokens.create"}, \
	{"GET", "/api/v1/tokens", cb_h_tokens_list, CB_ROLE_CUSTOMER, 0, "tokens.list"}, \
	{"DELETE", "/api/v1/tokens/{id}", cb_h_tokens_revoke, CB_ROLE_CUSTOMER, CB_R_WRITE, "tokens.revoke"},

/* h_groups.c */
int cb_h_groups_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_groups_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_groups_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_groups_patch(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_GROUPS \
	{"POST", "/api/v1/groups", cb_h_groups_create, CB_ROLE_ADMIN, CB_R_WRITE, "groups.create"}, \
	{"GET", "/api/v1/groups", cb_h_groups_list, CB_ROLE_ENGINEER, 0, "groups.list"}, \
	{"GET", "/api/v1/groups/{id}", cb_h_groups_get, CB_ROLE_ENGINEER, 0, "groups.get"}, \
	{"PATCH", "/api/v1/groups/{id}", cb_h_groups_patch, CB_ROLE_ADMIN, CB_R_WRITE, "groups.update"},

/* h_tickets.c */
int cb_h_tickets_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_tickets_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_tickets_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_tickets_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_comments_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_comments_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_events_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_settings_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_settings_put(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_TICKETS \
	{"POST", "/api/v1/tickets", cb_h_tickets_create, CB_ROLE_CUSTOMER, CB_R_WRITE, "tickets.create"}, \
	{"GET", "/api/v1/tickets", cb_h_tickets_list, CB_ROLE_CUSTOMER, 0, "tickets.list"}, \
	{"GET", "/api/v1/tickets/{id}", cb_h_tickets_get, CB_ROLE_CUSTOMER, 0, "tickets.get"}, \
	{"PATCH", "/api/v1/tickets/{id}", cb_h_tickets_patch, CB_ROLE_CUSTOMER, CB_R_WRITE, "tickets.update"}, \
	{"POST", "/api/v1/tickets/{id}/comments", cb_h_comments_create, CB_ROLE_CUSTOMER, CB_R_WRITE, "comments.create"}, \
	{"GET", "/api/v1/tickets/{id}/comments", cb_h_comments_list, CB_ROLE_CUSTOMER, 0, "comments.list"}, \
	{"GET", "/api/v1/tickets/{id}/events", cb_h_events_list, CB_ROLE_CUSTOMER, 0, "events.list"}, \
	{"GET", "/api/v1/ticket-settings", cb_h_ticket_settings_get, CB_ROLE_ENGINEER, 0, "ticket_settings.get"}, \
	{"PUT", "/api/v1/ticket-settings", cb_h_ticket_settings_put, CB_ROLE_ADMIN, CB_R_WRITE, "ticket_settings.update"},

/* h_import.c */
int cb_h_import_tickets(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_export_tickets(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_IMPORT \
	{"POST", "/api/v1/import/tickets", cb_h_import_tickets, CB_ROLE_ADMIN, CB_R_WRITE | CB_R_SPOOL, "import.tickets"}, \
	{"GET", "/api/v1/export/tickets", cb_h_export_tickets, CB_ROLE_ADMIN, 0, "export.tickets"},

/* h_views.c */
int cb_h_views_tickets(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_sla_history(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_views_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_views_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_views_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_views_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_views_delete(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_VIEWS \
	{"GET", "/api/v1/views", cb_h_views_list, CB_ROLE_ENGINEER, 0, "views.list"}, \
	{"POST", "/api/v1/views", cb_h_views_create, CB_ROLE_ENGINEER, CB_R_WRITE, "views.create"}, \
	{"GET", "/api/v1/views/{id}", cb_h_views_get, CB_ROLE_ENGINEER, 0, "views.get"}, \
	{"PATCH", "/api/v1/views/{id}", cb_h_views_patch, CB_ROLE_ENGINEER, CB_R_WRITE, "views.update"}, \
	{"DELETE", "/api/v1/views/{id}", cb_h_views_delete, CB_ROLE_ENGINEER, CB_R_WRITE, "views.delete"}, \
	{"GET", "/api/v1/views/{name}/tickets", cb_h_views_tickets, CB_ROLE_ENGINEER, 0, "views.tickets"}, \
	{"GET", "/api/v1/tickets/{id}/sla/history", cb_h_sla_history, CB_ROLE_ENGINEER, 0, "sla.history"},

/* h_sla.c */
int cb_h_calendars_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_calendars_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_calendars_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_calendars_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_calendars_holidays(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_policies_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_policies_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_policies_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_policies_patch(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_SLA_CONFIG \
	{"POST", "/api/v1/calendars", cb_h_calendars_create, CB_ROLE_ADMIN, CB_R_WRITE, "calendars.create"}, \
	{"GET", "/api/v1/calendars", cb_h_calendars_list, CB_ROLE_ENGINEER, 0, "calendars.list"}, \
	{"GET", "/api/v1/calendars/{id}", cb_h_calendars_get, CB_ROLE_ENGINEER, 0, "calendars.get"}, \
	{"PATCH", "/api/v1/calendars/{id}", cb_h_calendars_patch, CB_ROLE_ADMIN, CB_R_WRITE, "calendars.update"}, \
	{"POST", "/api/v1/calendars/{id}/holidays", cb_h_calendars_holidays, CB_ROLE_ADMIN, CB_R_WRITE, "calendars.holidays"}, \
	{"POST", "/api/v1/sla-policies", cb_h_policies_create, CB_ROLE_ADMIN, CB_R_WRITE, "sla_policies.create"}, \
	{"GET", "/api/v1/sla-policies", cb_h_policies_list, CB_ROLE_AGENT, 0, "sla_policies.list"}, \
	{"GET", "/api/v1/sla-policies/{id}", cb_h_policies_get, CB_ROLE_AGENT, 0, "sla_policies.get"}, \
	{"PATCH", "/api/v1/sla-policies/{id}", cb_h_policies_patch, CB_ROLE_ADMIN, CB_R_WRITE, "sla_policies.update"},

/* h_reports.c */
int cb_h_reports_kpis(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_reports_backlog(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_reports_queue_health(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_reports_top_drivers(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_reports_throughput(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_tickets_csat(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_tickets_ces(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_REPORTS \
	{"GET", "/api/v1/reports/kpis", cb_h_reports_kpis, CB_ROLE_AGENT, 0, "reports.kpis"}, \
	{"GET", "/api/v1/reports/backlog", cb_h_reports_backlog, CB_ROLE_AGENT, 0, "reports.backlog"}, \
	{"GET", "/api/v1/reports/queue-health", cb_h_reports_queue_health, CB_ROLE_AGENT, 0, "reports.queue_health"}, \
	{"GET", "/api/v1/reports/top-drivers", cb_h_reports_top_drivers, CB_ROLE_AGENT, 0, "reports.top_drivers"}, \
	{"GET", "/api/v1/reports/throughput", cb_h_reports_throughput, CB_ROLE_AGENT, 0, "reports.throughput"}, \
	{"POST", "/api/v1/tickets/{id}/csat", cb_h_tickets_csat, CB_ROLE_CUSTOMER, CB_R_WRITE, "tickets.csat"}, \
	{"POST", "/api/v1/tickets/{id}/ces", cb_h_tickets_ces, CB_ROLE_CUSTOMER, CB_R_WRITE, "tickets.ces"},

/* h_articles.c, h_search.c (knowledge base and search) */
int cb_h_articles_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_articles_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_articles_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_articles_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_articles_versions(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_articles_diff(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_articles_stats(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_articles_vote(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_articles_link(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_articles_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_reports_knowledge(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_known_issues_json(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_known_issues_html(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_search(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_suggestions(cb_req *req, cb_resp *resp, cb_err *err);
/* records a portal view or search (for deflection); never fails the request */
void cb_h_kb_record(cb_req *req, const char *kind, int64_t article);
#define CB_ROUTES_KB \
	{"POST", "/api/v1/articles", cb_h_articles_create, CB_ROLE_ENGINEER, CB_R_WRITE, "articles.create"}, \
	{"GET", "/api/v1/articles", cb_h_articles_list, CB_ROLE_CUSTOMER, 0, "articles.list"}, \
	{"GET", "/api/v1/articles/{id}", cb_h_articles_get, CB_ROLE_CUSTOMER, 0, "articles.get"}, \
	{"PATCH", "/api/v1/articles/{id}", cb_h_articles_patch, CB_ROLE_ENGINEER, CB_R_WRITE, "articles.update"}, \
	{"GET", "/api/v1/articles/{id}/versions", cb_h_articles_versions, CB_ROLE_ENGINEER, 0, "articles.versions"}, \
	{"GET", "/api/v1/articles/{id}/diff", cb_h_articles_diff, CB_ROLE_ENGINEER, 0, "articles.diff"}, \
	{"GET", "/api/v1/articles/{id}/stats", cb_h_articles_stats, CB_ROLE_ENGINEER, 0, "articles.stats"}, \
	{"POST", "/api/v1/articles/{id}/votes", cb_h_articles_vote, CB_ROLE_CUSTOMER, CB_R_WRITE, "articles.vote"}, \
	{"POST", "/api/v1/tickets/{id}/articles", cb_h_ticket_articles_link, CB_ROLE_ENGINEER, CB_R_WRITE, "tickets.articles.link"}, \
	{"GET", "/api/v1/tickets/{id}/articles", cb_h_ticket_articles_list, CB_ROLE_ENGINEER, 0, "tickets.articles.list"}, \
	{"GET", "/api/v1/tickets/{id}/suggestions", cb_h_ticket_suggestions, CB_ROLE_ENGINEER, 0, "tickets.suggestions"}, \
	{"GET", "/api/v1/search", cb_h_search, CB_ROLE_CUSTOMER, 0, "search"}, \
	{"GET", "/api/v1/reports/knowledge", cb_h_reports_knowledge, CB_ROLE_AGENT, 0, "reports.knowledge"}, \
	{"GET", "/known-issues.json", cb_h_known_issues_json, CB_ROLE_NONE, CB_R_PUBLIC, "known_issues.json"}, \
	{"GET", "/known-issues", cb_h_known_issues_html, CB_ROLE_NONE, CB_R_PUBLIC, "known_issues.html"},

/* h_macros.c (saved replies with field changes) */
int cb_h_macros_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_macros_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_macros_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_macros_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_macros_delete(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_macros_preview(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_macros_apply(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_MACROS \
	{"POST", "/api/v1/macros", cb_h_macros_create, CB_ROLE_ENGINEER, CB_R_WRITE, "macros.create"}, \
	{"GET", "/api/v1/macros", cb_h_macros_list, CB_ROLE_ENGINEER, 0, "macros.list"}, \
	{"GET", "/api/v1/macros/{id}", cb_h_macros_get, CB_ROLE_ENGINEER, 0, "macros.get"}, \
	{"PATCH", "/api/v1/macros/{id}", cb_h_macros_patch, CB_ROLE_ENGINEER, CB_R_WRITE, "macros.update"}, \
	{"DELETE", "/api/v1/macros/{id}", cb_h_macros_delete, CB_ROLE_ENGINEER, CB_R_WRITE, "macros.delete"}, \
	{"GET", "/api/v1/tickets/{id}/macros/{macro_id}/preview", cb_h_macros_preview, CB_ROLE_ENGINEER, 0, "tickets.macros.preview"}, \
	{"POST", "/api/v1/tickets/{id}/macros/{macro_id}", cb_h_macros_apply, CB_ROLE_ENGINEER, CB_R_WRITE, "tickets.macros.apply"},

/* h_session.c (browser sessions) */
int cb_h_session_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_session_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_session_delete(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_SESSION \
	{"POST", "/api/v1/session", cb_h_session_create, CB_ROLE_NONE, CB_R_PUBLIC | CB_R_WRITE | CB_R_NOIDEM, "session.create"}, \
	{"GET", "/api/v1/session", cb_h_session_get, CB_ROLE_CUSTOMER, 0, "session.get"}, \
	{"DELETE", "/api/v1/session", cb_h_session_delete, CB_ROLE_CUSTOMER, CB_R_WRITE, "session.delete"},

/* h_mail.c (the e-mail channel and attachments) */
int cb_h_mail_inbound(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_mail_message_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_mail_message_raw(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_mail(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_attachments(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_attachment_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_mail_settings_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_mail_settings_put(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_mail_templates_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_mail_template_put(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_mail_outbox(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_survey_page(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_survey_submit(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_MAIL \
	{"GET", "/api/v1/mail/settings", cb_h_mail_settings_get, CB_ROLE_ADMIN, 0, "mail.settings.get"}, \
	{"PUT", "/api/v1/mail/settings", cb_h_mail_settings_put, CB_ROLE_ADMIN, CB_R_WRITE, "mail.settings.put"}, \
	{"GET", "/api/v1/mail/templates", cb_h_mail_templates_list, CB_ROLE_ADMIN, 0, "mail.templates.list"}, \
	{"PUT", "/api/v1/mail/templates/{event}", cb_h_mail_template_put, CB_ROLE_ADMIN, CB_R_WRITE, "mail.templates.put"}, \
	{"GET", "/api/v1/mail/outbox", cb_h_mail_outbox, CB_ROLE_ADMIN, 0, "mail.outbox"}, \
	{"GET", "/survey/{token}", cb_h_survey_page, CB_ROLE_NONE, CB_R_PUBLIC, "survey.page"}, \
	{"POST", "/survey/{token}", cb_h_survey_submit, CB_ROLE_NONE, CB_R_PUBLIC | CB_R_WRITE | CB_R_NOIDEM, "survey.submit"}, \
	{"POST", "/api/v1/mail/inbound", cb_h_mail_inbound, CB_ROLE_AGENT, CB_R_WRITE | CB_R_MAIL, "mail.inbound"}, \
	{"GET", "/api/v1/mail/messages/{id}", cb_h_mail_message_get, CB_ROLE_ENGINEER, 0, "mail.messages.get"}, \
	{"GET", "/api/v1/mail/messages/{id}/raw", cb_h_mail_message_raw, CB_ROLE_ENGINEER, 0, "mail.messages.raw"}, \
	{"GET", "/api/v1/tickets/{id}/mail", cb_h_ticket_mail, CB_ROLE_ENGINEER, 0, "tickets.mail"}, \
	{"GET", "/api/v1/tickets/{id}/attachments", cb_h_ticket_attachments, CB_ROLE_CUSTOMER, 0, "tickets.attachments"}, \
	{"GET", "/api/v1/attachments/{id}", cb_h_attachment_get, CB_ROLE_CUSTOMER, 0, "attachments.get"},

/* h_incidents.c, h_status.c (major incidents, components, post-incident
 * reviews, the public status page) */
int cb_h_incidents_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_incidents_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_incidents_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_incidents_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_incidents_link(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_incidents_unlink(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_incidents_post_update(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_incidents_timeline(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_incident_settings_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_incident_settings_put(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_components_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_components_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_components_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_components_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_review_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_review_put(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_review_actions_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_review_actions_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_review_actions_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_status_html(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_status_json(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_status_atom(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_INCIDENTS \
	{"POST", "/api/v1/incidents", cb_h_incidents_create, CB_ROLE_ENGINEER, CB_R_WRITE, "incidents.create"}, \
	{"GET", "/api/v1/incidents", cb_h_incidents_list, CB_ROLE_ENGINEER, 0, "incidents.list"}, \
	{"GET", "/api/v1/incidents/{id}", cb_h_incidents_get, CB_ROLE_ENGINEER, 0, "incidents.get"}, \
	{"PATCH", "/api/v1/incidents/{id}", cb_h_incidents_patch, CB_ROLE_ENGINEER, CB_R_WRITE, "incidents.update"}, \
	{"POST", "/api/v1/incidents/{id}/tickets", cb_h_incidents_link, CB_ROLE_ENGINEER, CB_R_WRITE, "incidents.tickets.link"}, \
	{"DELETE", "/api/v1/incidents/{id}/tickets/{ticket_id}", cb_h_incidents_unlink, CB_ROLE_ENGINEER, CB_R_WRITE, "incidents.tickets.unlink"}, \
	{"POST", "/api/v1/incidents/{id}/updates", cb_h_incidents_post_update, CB_ROLE_ENGINEER, CB_R_WRITE, "incidents.updates.create"}, \
	{"GET", "/api/v1/incidents/{id}/timeline", cb_h_incidents_timeline, CB_ROLE_ENGINEER, 0, "incidents.timeline"}, \
	{"GET", "/api/v1/incidents/{id}/review", cb_h_review_get, CB_ROLE_ENGINEER, 0, "incidents.review.get"}, \
	{"PUT", "/api/v1/incidents/{id}/review", cb_h_review_put, CB_ROLE_ENGINEER, CB_R_WRITE, "incidents.review.put"}, \
	{"POST", "/api/v1/incidents/{id}/review/actions", cb_h_review_actions_create, CB_ROLE_ENGINEER, CB_R_WRITE, "review_actions.create"}, \
	{"GET", "/api/v1/review-actions", cb_h_review_actions_list, CB_ROLE_ENGINEER, 0, "review_actions.list"}, \
	{"PATCH", "/api/v1/review-actions/{id}", cb_h_review_actions_patch, CB_ROLE_ENGINEER, CB_R_WRITE, "review_actions.update"}, \
	{"GET", "/api/v1/incident-settings", cb_h_incident_settings_get, CB_ROLE_ENGINEER, 0, "incident_settings.get"}, \
	{"PUT", "/api/v1/incident-settings", cb_h_incident_settings_put, CB_ROLE_ADMIN, CB_R_WRITE, "incident_settings.update"}, \
	{"GET", "/api/v1/components", cb_h_components_list, CB_ROLE_ENGINEER, 0, "components.list"}, \
	{"POST", "/api/v1/components", cb_h_components_create, CB_ROLE_ADMIN, CB_R_WRITE, "components.create"}, \
	{"GET", "/api/v1/components/{id}", cb_h_components_get, CB_ROLE_ENGINEER, 0, "components.get"}, \
	{"PATCH", "/api/v1/components/{id}", cb_h_components_patch, CB_ROLE_ENGINEER, CB_R_WRITE, "components.update"},
#define CB_ROUTES_STATUS_PAGE \
	{"GET", "/status", cb_h_status_html, CB_ROLE_NONE, CB_R_PUBLIC, "status.html"}, \
	{"GET", "/status.json", cb_h_status_json, CB_ROLE_NONE, CB_R_PUBLIC, "status.json"}, \
	{"GET", "/status.atom", cb_h_status_atom, CB_ROLE_NONE, CB_R_PUBLIC, "status.atom"},

/* h_escalations.c, h_defects.c, h_problems.c (escalations, defects, problems) */
int cb_h_escalations_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_escalations_score(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_escalations_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_escalations_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_escalations_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_escalations_list(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_ESCALATIONS \
	{"POST", "/api/v1/escalations/score", cb_h_escalations_score, CB_ROLE_ENGINEER, 0, "escalations.score"}, \
	{"GET", "/api/v1/escalations", cb_h_escalations_list, CB_ROLE_ENGINEER, 0, "escalations.list"}, \
	{"GET", "/api/v1/escalations/{id}", cb_h_escalations_get, CB_ROLE_ENGINEER, 0, "escalations.get"}, \
	{"PATCH", "/api/v1/escalations/{id}", cb_h_escalations_patch, CB_ROLE_ENGINEER, CB_R_WRITE, "escalations.update"}, \
	{"POST", "/api/v1/tickets/{id}/escalations", cb_h_escalations_create, CB_ROLE_AGENT, CB_R_WRITE, "tickets.escalations.create"}, \
	{"GET", "/api/v1/tickets/{id}/escalations", cb_h_ticket_escalations_list, CB_ROLE_ENGINEER, 0, "tickets.escalations.list"},

int cb_h_defects_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_defects_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_defects_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_defects_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_defects_fix_available(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_defects_link(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_defects_unlink(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_defects_list(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_DEFECTS \
	{"POST", "/api/v1/defects", cb_h_defects_create, CB_ROLE_ENGINEER, CB_R_WRITE, "defects.create"}, \
	{"GET", "/api/v1/defects", cb_h_defects_list, CB_ROLE_ENGINEER, 0, "defects.list"}, \
	{"GET", "/api/v1/defects/fix-available", cb_h_defects_fix_available, CB_ROLE_ENGINEER, 0, "defects.fix_available"}, \
	{"GET", "/api/v1/defects/{id}", cb_h_defects_get, CB_ROLE_ENGINEER, 0, "defects.get"}, \
	{"PATCH", "/api/v1/defects/{id}", cb_h_defects_patch, CB_ROLE_ENGINEER, CB_R_WRITE, "defects.update"}, \
	{"POST", "/api/v1/tickets/{id}/defects", cb_h_ticket_defects_link, CB_ROLE_ENGINEER, CB_R_WRITE, "tickets.defects.link"}, \
	{"GET", "/api/v1/tickets/{id}/defects", cb_h_ticket_defects_list, CB_ROLE_ENGINEER, 0, "tickets.defects.list"}, \
	{"DELETE", "/api/v1/tickets/{id}/defects/{defect_id}", cb_h_ticket_defects_unlink, CB_ROLE_ENGINEER, CB_R_WRITE, "tickets.defects.unlink"},

int cb_h_problems_create(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_problems_list(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_problems_get(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_problems_patch(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_problems_stats(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_reports_problems(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_problems_link(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_problems_unlink(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_ticket_problems_list(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_PROBLEMS \
	{"POST", "/api/v1/problems", cb_h_problems_create, CB_ROLE_ENGINEER, CB_R_WRITE, "problems.create"}, \
	{"GET", "/api/v1/problems", cb_h_problems_list, CB_ROLE_ENGINEER, 0, "problems.list"}, \
	{"GET", "/api/v1/problems/{id}", cb_h_problems_get, CB_ROLE_ENGINEER, 0, "problems.get"}, \
	{"PATCH", "/api/v1/problems/{id}", cb_h_problems_patch, CB_ROLE_ENGINEER, CB_R_WRITE, "problems.update"}, \
	{"GET", "/api/v1/problems/{id}/stats", cb_h_problems_stats, CB_ROLE_ENGINEER, 0, "problems.stats"}, \
	{"GET", "/api/v1/reports/problems", cb_h_reports_problems, CB_ROLE_AGENT, 0, "reports.problems"}, \
	{"POST", "/api/v1/tickets/{id}/problems", cb_h_ticket_problems_link, CB_ROLE_ENGINEER, CB_R_WRITE, "tickets.problems.link"}, \
	{"GET", "/api/v1/tickets/{id}/problems", cb_h_ticket_problems_list, CB_ROLE_ENGINEER, 0, "tickets.problems.list"}, \
	{"DELETE", "/api/v1/tickets/{id}/problems/{problem_id}", cb_h_ticket_problems_unlink, CB_ROLE_ENGINEER, CB_R_WRITE, "tickets.problems.unlink"},

/* h_upload.c (files uploaded to a ticket; app/ticket/upload.h) */
int cb_h_ticket_attachment_upload(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_UPLOAD \
	{"POST", "/api/v1/tickets/{id}/attachments", cb_h_ticket_attachment_upload, CB_ROLE_CUSTOMER, CB_R_WRITE, "tickets.attachments.upload"},

/* h_web.c (the web console, portal and dashboard, embedded from web/) */
int cb_h_web_page(cb_req *req, cb_resp *resp, cb_err *err);
int cb_h_web_asset(cb_req *req, cb_resp *resp, cb_err *err);
#define CB_ROUTES_WEB \
	{"GET", "/", cb_h_web_page, CB_ROLE_NONE, CB_R_PUBLIC | CB_R_UNLIMITED, "web.console"}, \
	{"GET", "/portal", cb_h_web_page, CB_ROLE_NONE, CB_R_PUBLIC | CB_R_UNLIMITED, "web.portal"}, \
	{"GET", "/dashboard", cb_h_web_page, CB_ROLE_NONE, CB_R_PUBLIC | CB_R_UNLIMITED, "web.dashboard"}, \
	{"GET", "/app/{file}", cb_h_web_asset, CB_ROLE_NONE, CB_R_PUBLIC | CB_R_UNLIMITED, "web.asset"},

#endif
