/* directory.h - who is who: customer accounts, users, API tokens and agent
 * groups.
 *
 * Every change follows two steps:
 *   1. cb_dir_<noun>_from_json() (API) or filling the input struct and
 *      calling cb_dir_<noun>_check() (CLI, importer): strict, database-free
 *      validation. Unknown fields, wrong JSON types, unknown enum values,
 *      lengths and shapes are reported together as CB_E_INVALID with one
 *      errors[] item per field. Passwords are hashed here (argon2id is slow
 *      and must not run on the writer thread).
 *   2. cb_dir_<noun>_create() / _update() inside a write transaction (a
 *      cb_db_write() callback, e.g. through cb_api_commit()): uniqueness
 *      (CB_E_CONFLICT), references (CB_E_INVALID naming the field) and the
 *      audit row ("account.create", target "account:12").
 *
 * Reads take any connection (a reader, or the writer inside a transaction)
 * and a viewer: customers see only their own account and themselves; a NULL
 * viewer is the system and sees everything. Renderers return new json_t
 * references owned by the caller.
 *
 * References in requests are an integer id or the unique name (e-mail for
 * users); the resolvers below turn them into ids for every module. */
#ifndef CB_DIRECTORY_H
#define CB_DIRECTORY_H
#include <jansson.h>

#include "app/app.h"

#define CB_DIR_NAME_MAX 200         /* characters in a name */
#define CB_DIR_DESCRIPTION_MAX 10000
#define CB_DIR_PASSWORD_MIN 8
#define CB_DIR_PASSWORD_MAX 1024
#define CB_DIR_DOMAINS_MAX 100      /* domains per account */
#define CB_DIR_MEMBERS_MAX 1000     /* members per group */

/* One page of a list: rows with id > after, at most limit of them. */
typedef struct {
	int limit;     /* 1..500 */
	int64_t after; /* 0 = from the start */
} cb_dir_page;

/* ---- accounts ---- */

enum {
	CB_DIR_ACCOUNT_NAME = 1u << 0,
	CB_DIR_ACCOUNT_TIER = 1u << 1,
	CB_DIR_ACCOUNT_DOMAINS = 1u << 2,
};

typedef struct {
	unsigned set;         /* CB_DIR_ACCOUNT_* bits of the fields given */
	const char *name;     /* 1..200 characters, unique (case-insensitive) */
	const char *tier;     /* "enterprise", "business" or "standard" */
	json_t *domains;      /* borrowed array of e-mail domains */
	/* filled by cb_dir_account_check(): */
	const char **domainv; /* lower-cased domains (arena) */
	int ndomains;
} cb_dir_account_in;

/* Decodes a request body into *out (strict: unknown fields and wrong types
 * are errors) and runs cb_dir_account_check(). partial=1 for PATCH (nothing
 * required). Strings in *out borrow from body or the arena. */
int cb_dir_account_from_json(cb_dir_account_in *out, json_t *body, int partial, cb_arena *a,
			     cb_err *err);
/* Database-free validation and normalisation (trims the name, lower-cases
 * domains into domainv). partial=0 requires name and tier. */
int cb_dir_account_check(cb_dir_account_in *in, int partial, cb_arena *a, cb_err *err);
/* Creates an account (409 on a taken name or domain) and its audit row. */
int cb_dir_account_create(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now,
			  const cb_dir_account_in *in, int64_t *out_id, cb_err *err);
/* Changes the fields in in->set (404 if missing, 409 on conflicts); the
 * account_domains index follows the new domains. */
int cb_dir_account_update(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now, int64_t id,
			  const cb_dir_account_in *in, cb_err *err);
/* {"id","name","tier","domains","created_at","updated_at"}; 404 when
 * missing or not visible to viewer. */
int cb_dir_account_get(cb_conn *c, const cb_actor *viewer, int64_t id, json_t **out,
		       cb_err *err);
/* A page of accounts visible to viewer in id order: a new array in
 * *out_items, and in *out_next the last id when more rows follow, else 0. */
int cb_dir_account_list(cb_conn *c, const cb_actor *viewer, const cb_dir_page *page,
			json_t **out_items, int64_t *out_next, cb_err *err);
/* The account owning the domain of email through account_domains: 1 and
 * *out set, 0 if none. */
int cb_dir_account_for_email(cb_conn *c, const char *email, int64_t *out, cb_err *err);

/* ---- users ---- */

enum {
	CB_DIR_USER_EMAIL = 1u << 0,
	CB_DIR_USER_NAME = 1u << 1,
	CB_DIR_USER_ROLE = 1u << 2,
	CB_DIR_USER_ACCOUNT = 1u << 3,
	CB_DIR_USER_PASSWORD = 1u << 4,
	CB_DIR_USER_ACTIVE = 1u << 5,
};

typedef struct {
	unsigned set;         /* CB_DIR_USER_* bits of the fields given */
	const char *email;    /* lower-cased by check */
	const char *name;     /* 0..200 characters */
	const char *role;     /* "admin", "agent", "engineer" or "customer" */
	json_t *account;      /* borrowed: id, name or JSON null; customers only */
	const char *password; /* 8..1024 characters; never stored */
	int active;           /* 0 or 1 */
	/* filled by cb_dir_user_check(): */
	char *password_hash;  /* argon2id of password (arena) or NULL */
} cb_dir_user_in;

typedef struct {
	unsigned set;   /* CB_DIR_USER_ROLE / CB_DIR_USER_ACCOUNT: filters given */
	cb_role role;
	int64_t account_id;
} cb_dir_user_filter;

/* A user's identity as other modules need it. */
typedef struct {
	int64_t id;
	const char *email; /* arena */
	const char *name;  /* arena */
	cb_role role;
	int64_t account_id; /* 0 when none */
	int active;
} cb_dir_user_info;

int cb_dir_user_from_json(cb_dir_user_in *out, json_t *body, int partial, cb_arena *a,
			  cb_err *err);
/* The password rules (length in characters, UTF-8): adds an error on field
 * and returns -1 when broken. */
int cb_dir_password_check(const char *password, const char *field, cb_err *err);
/* Database-free validation; hashes the password (slow: call it before the
 * write transaction). partial=0 requires email and role, and an account
 * for customers. */
int cb_dir_user_check(cb_dir_user_in *in, int partial, cb_arena *a, cb_err *err);
/* Creates a user (409 on a taken e-mail, 422 on an unknown account). */
int cb_dir_user_create(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now,
		       const cb_dir_user_in *in, int64_t *out_id, cb_err *err);
/* Changes the fields in in->set. Giving an agent-side role drops the account;
 * a customer must keep one. Leaving the instance without an active admin is a
 * 409. A user who becomes a customer leaves every group. */
int cb_dir_user_update(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now, int64_t id,
		       const cb_dir_user_in *in, cb_err *err);
/* {"id","email","name","role","account":{"id","name","tier"}|null,"active",
 * "created_at","updated_at"}; customers see only themselves (404). */
int cb_dir_user_get(cb_conn *c, const cb_actor *viewer, int64_t id, json_t **out, cb_err *err);
/* A page of users matching filter (NULL: all) in id order; as account_list. */
int cb_dir_user_list(cb_conn *c, const cb_actor *viewer, const cb_dir_user_filter *filter,
		     const cb_dir_page *page, json_t **out_items, int64_t *out_next, cb_err *err);
/* Loads a user by id (email NULL) or by e-mail (id 0): 1 found, 0 not. */
int cb_dir_user_load(cb_conn *c, cb_arena *a, int64_t id, const char *email,
		     cb_dir_user_info *out, cb_err *err);

/* ---- API tokens ---- */

typedef struct {
	json_t *user;     /* borrowed reference, NULL: the actor */
	const char *name; /* label, 0..200 characters, NULL = "" */
} cb_dir_token_in;

int cb_dir_token_from_json(cb_dir_token_in *out, json_t *body, cb_arena *a, cb_err *err);
/* Creates a token for in->user (admins only, else 403) or for the actor;
 * *out = {"id","token","name","user":{"id","email","name"},"created_at"},
 * the only place the secret ever appears. */
int cb_dir_token_create(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now,
			const cb_dir_token_in *in, json_t **out, cb_err *err);
/* A page of live tokens in id order: {"id","name","user":{...},"created_at"}
 * (never the secret or its hash). Admins see every user's (user_id 0) or
 * one user's; anyone else only their own (403 when naming another user). */
int cb_dir_token_list(cb_conn *c, const cb_actor *viewer, int64_t user_id,
		      const cb_dir_page *page, json_t **out_items, int64_t *out_next, cb_err *err);
/* Revokes a live token of the actor (any token for admins; 404 otherwise
 * and when unknown or already revoked), audited as token.revoke;
 * *out = {"id","user","revoked_at"}. */
int cb_dir_token_revoke(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now, int64_t id,
			json_t **out, cb_err *err);
/* Revokes every live token of user_id (each audited, with why); *count. */
int cb_dir_tokens_revoke_user(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now,
			      int64_t user_id, const char *why, int64_t *count, cb_err *err);

/* ---- groups ---- */

enum {
	CB_DIR_GROUP_NAME = 1u << 0,
	CB_DIR_GROUP_DESCRIPTION = 1u << 1,
	CB_DIR_GROUP_MEMBERS = 1u << 2,
};

typedef struct {
	unsigned set;            /* CB_DIR_GROUP_* bits of the fields given */
	const char *name;        /* 1..200 characters, unique (case-insensitive) */
	const char *description; /* 0..10000 characters */
	json_t *members;         /* borrowed array of user references */
} cb_dir_group_in;

int cb_dir_group_from_json(cb_dir_group_in *out, json_t *body, int partial, cb_arena *a,
			   cb_err *err);
int cb_dir_group_check(cb_dir_group_in *in, int partial, cb_arena *a, cb_err *err);
/* Creates a group; members must be agent-side users (422 naming
 * "members[i]"); 409 on a taken name. */
int cb_dir_group_create(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now,
			const cb_dir_group_in *in, int64_t *out_id, cb_err *err);
/* Changes the fields in in->set; members, when given, replace the list. */
int cb_dir_group_update(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now, int64_t id,
			const cb_dir_group_in *in, cb_err *err);
/* {"id","name","description","members":[{"id","email","name"}],
 * "created_at","updated_at"}. */
int cb_dir_group_get(cb_conn *c, int64_t id, json_t **out, cb_err *err);
int cb_dir_group_list(cb_conn *c, const cb_dir_page *page, json_t **out_items,
		      int64_t *out_next, cb_err *err);
/* 1 if user_id is a member of group_id, 0 if not. */
int cb_dir_group_has_member(cb_conn *c, int64_t group_id, int64_t user_id, cb_err *err);

/* ---- references, for every module ---- */

/* Resolves a request reference (JSON integer id, or JSON string name /
 * e-mail) to an id. Unknown ones and wrong types are CB_E_INVALID (422)
 * naming field, e.g. "account" or "events[3].assignee". */
int cb_dir_resolve_account(cb_conn *c, json_t *ref_or_string, int64_t *out, const char *field,
			   cb_err *err);
int cb_dir_resolve_user(cb_conn *c, json_t *ref_or_string, int64_t *out, const char *field,
			cb_err *err);
int cb_dir_resolve_group(cb_conn *c, json_t *ref_or_string, int64_t *out, const char *field,
			 cb_err *err);

/* Small embedded objects for responses: {"id","name","tier"},
 * {"id","email","name"}, {"id","name"}. A new reference; JSON null when id
 * is 0 or missing (never NULL). */
json_t *cb_dir_account_ref(cb_conn *c, int64_t id);
json_t *cb_dir_user_ref(cb_conn *c, int64_t id);
json_t *cb_dir_group_ref(cb_conn *c, int64_t id);

/* The same references for a page of rows, loaded in one statement (a list
 * page renders them from memory instead of one lookup per row). Ids <= 0
 * are skipped; duplicates are fine. NULL with err on a database error. */
typedef struct cb_dir_refs cb_dir_refs;
cb_dir_refs *cb_dir_refs_load(cb_conn *c, const int64_t *users, int nusers,
			      const int64_t *accounts, int naccounts, const int64_t *groups,
			      int ngroups, cb_err *err);
/* As cb_dir_*_ref for an id of the page (JSON null when 0, missing or not
 * asked for): a new reference. */
json_t *cb_dir_refs_user(const cb_dir_refs *r, int64_t id);
json_t *cb_dir_refs_account(const cb_dir_refs *r, int64_t id);
json_t *cb_dir_refs_group(const cb_dir_refs *r, int64_t id);
/* The tier of an account that was asked for: 1 and *tier (NULL when there
 * is no such account); 0 when the account was not asked for. */
int cb_dir_refs_tier(const cb_dir_refs *r, int64_t id, const char **tier);
void cb_dir_refs_free(cb_dir_refs *r);

/* Shape checks shared with other modules: an e-mail address ("local@domain"
 * with a dotted domain, at most 254 bytes) and a DNS domain name. */
int cb_dir_email_valid(const char *s);
int cb_dir_domain_valid(const char *s);

#endif
