/* app.c - roles and other shared application helpers. */
#include "app/app.h"

#include <string.h>

const char *cb_role_name(cb_role r)
{
	switch (r) {
	case CB_ROLE_ADMIN: return "admin";
	case CB_ROLE_AGENT: return "agent";
	case CB_ROLE_ENGINEER: return "engineer";
	case CB_ROLE_CUSTOMER: return "customer";
	case CB_ROLE_NONE: break;
	}
	return "none";
}

int cb_role_parse(const char *s, cb_role *out)
{
	static const struct { const char *n; cb_role r; } t[] = {
		{"admin", CB_ROLE_ADMIN}, {"agent", CB_ROLE_AGENT},
		{"engineer", CB_ROLE_ENGINEER}, {"customer", CB_ROLE_CUSTOMER},
	};
	for (size_t i = 0; s && i < sizeof t / sizeof t[0]; i++)
		if (strcmp(s, t[i].n) == 0) {
			*out = t[i].r;
			return 0;
		}
	return -1;
}
