/* fuzz_directory.c - JSON bodies of the directory endpoints: accounts,
 * users, groups (POST and PATCH) and tokens, through cb_api_body_object and
 * the database-free cb_dir_*_from_json validators.
 *
 * Input: byte 0 picks the noun (% 4: account, user, group, token) and
 * partial (PATCH) with bit 2; the rest is the body. A valid password in a
 * user body is dropped before validation: it would only be hashed with
 * argon2id (0.1 s, no parsing); invalid ones are kept and checked.
 * Invariants: a failure is CB_E_INVALID with at least one item; a success
 * is normalised (trimmed names in range, lower-case valid distinct
 * domains, a valid lower-case e-mail, member references of the right
 * types), and the normalised values validate again to the same result. */
#include "common.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/directory/directory.h"

static int utf8_ok_len(const char *s, long *chars)
{
	/* the same UTF-8 rules as directory.c, counting characters */
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;
	while (*p) {
		unsigned c = *p;
		int k = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
			: (c & 0xF8) == 0xF0 ? 3 : -1;
		if (k < 0)
			return 0;
		for (int i = 1; i <= k; i++)
			if ((p[i] & 0xC0) != 0x80)
				return 0;
		p += k + 1;
		n++;
	}
	*chars = n;
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void check_trimmed(const char *s, long min, long max)
{
	FUZZ_CHECK(s != NULL);
	long n = 0;
	FUZZ_CHECK(utf8_ok_len(s, &n));
	FUZZ_CHECK(n >= min && n <= max);
	size_t l = strlen(s);
	if (l)
		FUZZ_CHECK(!is_space(s[0]) && !is_space(s[l - 1]));
}

static void check_lower(const char *s)
{
	for (; *s; s++)
		FUZZ_CHECK(!(*s >= 'A' && *s <= 'Z'));
}

static void account(json_t *body, int partial, cb_arena *a)
{
	cb_dir_account_in in;
	cb_err err = {0};
	if (cb_dir_account_from_json(&in, body, partial, a, &err)) {
		fuzz_note_err("validate", -1, &err);
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_INVALID && err.nitems > 0);
		return;
	}
	if (!partial)
		FUZZ_CHECK((in.set & CB_DIR_ACCOUNT_NAME) && (in.set & CB_DIR_ACCOUNT_TIER));
	if (in.set & CB_DIR_ACCOUNT_NAME)
		check_trimmed(in.name, 1, CB_DIR_NAME_MAX);
	json_t *again = json_object();
	if (in.set & CB_DIR_ACCOUNT_NAME)
		json_object_set_new(again, "name", json_string(in.name));
	if (in.set & CB_DIR_ACCOUNT_TIER)
		json_object_set_new(again, "tier", json_string(in.tier));
	if (in.set & CB_DIR_ACCOUNT_DOMAINS) {
		FUZZ_CHECK(in.ndomains >= 0 && in.ndomains <= CB_DIR_DOMAINS_MAX);
		json_t *d = json_array();
		for (int i = 0; i < in.ndomains; i++) {
			FUZZ_CHECK(cb_dir_domain_valid(in.domainv[i]));
			check_lower(in.domainv[i]);
			for (int j = 0; j < i; j++)
				FUZZ_CHECK(strcmp(in.domainv[i], in.domainv[j]) != 0);
			json_array_append_new(d, json_string(in.domainv[i]));
		}
		json_object_set_new(again, "domains", d);
	}
	cb_dir_account_in in2;
	cb_err err2 = {0};
	FUZZ_CHECK(cb_dir_account_from_json(&in2, again, partial, a, &err2) == 0);
	FUZZ_CHECK(in2.set == in.set && in2.ndomains == in.ndomains);
	if (in.set & CB_DIR_ACCOUNT_NAME)
		FUZZ_CHECK(strcmp(in.name, in2.name) == 0);
	json_decref(again);
}

static void user(json_t *body, int partial, cb_arena *a)
{
	json_t *pw = json_object_get(body, "password");
	long n = 0;
	if (json_is_string(pw) && utf8_ok_len(json_string_value(pw), &n) &&
	    n >= CB_DIR_PASSWORD_MIN && n <= CB_DIR_PASSWORD_MAX)
		json_object_del(body, "password");
	cb_dir_user_in in;
	cb_err err = {0};
	if (cb_dir_user_from_json(&in, body, partial, a, &err)) {
		fuzz_note_err("validate", -1, &err);
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_INVALID && err.nitems > 0);
		return;
	}
	FUZZ_CHECK(in.password_hash == NULL);
	if (!partial)
		FUZZ_CHECK((in.set & CB_DIR_USER_EMAIL) && (in.set & CB_DIR_USER_ROLE));
	json_t *again = json_object();
	if (in.set & CB_DIR_USER_EMAIL) {
		FUZZ_CHECK(cb_dir_email_valid(in.email));
		check_lower(in.email);
		json_object_set_new(again, "email", json_string(in.email));
	}
	if (in.set & CB_DIR_USER_NAME) {
		check_trimmed(in.name, 0, CB_DIR_NAME_MAX);
		json_object_set_new(again, "name", json_string(in.name));
	}
	if (in.set & CB_DIR_USER_ROLE) {
		cb_role r;
		FUZZ_CHECK(cb_role_parse(in.role, &r) == 0);
		json_object_set_new(again, "role", json_string(in.role));
	}
	if (in.set & CB_DIR_USER_ACCOUNT) {
		FUZZ_CHECK(in.account && (json_is_null(in.account) || json_is_integer(in.account) ||
					  json_is_string(in.account)));
		json_object_set(again, "account", in.account);
	}
	if (in.set & CB_DIR_USER_ACTIVE)
		json_object_set_new(again, "active", json_boolean(in.active));
	cb_dir_user_in in2;
	cb_err err2 = {0};
	FUZZ_CHECK(cb_dir_user_from_json(&in2, again, partial, a, &err2) == 0);
	FUZZ_CHECK(in2.set == in.set);
	if (in.set & CB_DIR_USER_EMAIL)
		FUZZ_CHECK(strcmp(in.email, in2.email) == 0);
	json_decref(again);
}

static void group(json_t *body, int partial, cb_arena *a)
{
	cb_dir_group_in in;
	cb_err err = {0};
	if (cb_dir_group_from_json(&in, body, partial, a, &err)) {
		fuzz_note_err("validate", -1, &err);
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_INVALID && err.nitems > 0);
		return;
	}
	if (!partial)
		FUZZ_CHECK(in.set & CB_DIR_GROUP_NAME);
	if (in.set & CB_DIR_GROUP_NAME)
		check_trimmed(in.name, 1, CB_DIR_NAME_MAX);
	if (in.set & CB_DIR_GROUP_DESCRIPTION)
		check_trimmed(in.description, 0, CB_DIR_DESCRIPTION_MAX);
	if (in.set & CB_DIR_GROUP_MEMBERS) {
		FUZZ_CHECK(json_is_array(in.members));
		FUZZ_CHECK(json_array_size(in.members) <= CB_DIR_MEMBERS_MAX);
		size_t i;
		json_t *v;
		json_array_foreach(in.members, i, v)
			FUZZ_CHECK(json_is_integer(v) || json_is_string(v));
	}
}

static void token(json_t *body, cb_arena *a)
{
	cb_dir_token_in in;
	cb_err err = {0};
	if (cb_dir_token_from_json(&in, body, a, &err)) {
		fuzz_note_err("validate", -1, &err);
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_INVALID && err.nitems > 0);
		return;
	}
	if (in.name)
		check_trimmed(in.name, 0, CB_DIR_NAME_MAX);
	if (in.user)
		FUZZ_CHECK(json_is_integer(in.user) || json_is_string(in.user));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_init();
	cb_req req = {0};
	req.arena = cb_arena_new();
	req.content_type = "application/json";
	req.body = (const char *)data + 1;
	req.body_len = size - 1;
	cb_err err = {0};
	json_t *body = cb_api_body_object(&req, &err);
	if (!body) {
		fuzz_note_err("body", -1, &err);
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_BADREQ);
	} else {
		int partial = (data[0] >> 2) & 1;
		switch (data[0] % 4) {
		case 0: account(body, partial, req.arena); break;
		case 1: user(body, partial, req.arena); break;
		case 2: group(body, partial, req.arena); break;
		default: token(body, req.arena); break;
		}
	}
	cb_arena_free(req.arena);
	return 0;
}
