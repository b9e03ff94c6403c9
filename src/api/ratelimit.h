/* ratelimit.h - per-caller request rates (429 Too Many Requests).
 *
 * A token bucket per caller: an authenticated user (by id, at the rate of
 * its role's class) or, for public routes, the client's IP address. A
 * bucket holds up to `burst` requests and refills at `rate` per second; a
 * request that finds it empty is answered 429 with Retry-After and never
 * dispatched. Buckets live in a fixed table (RL_SLOTS, direct-mapped by key
 * hash), so memory does not grow with the number of callers; a collision
 * replaces the older bucket with a full one (lenient, never stricter).
 * Rates are set once at start-up (serve's --rate-* options); 0 = no limit. */
#ifndef CB_API_RATELIMIT_H
#define CB_API_RATELIMIT_H
#include <stdint.h>

#include "util/timeutil.h"

typedef enum { CB_RL_CUSTOMER, CB_RL_STAFF, CB_RL_ANONYMOUS, CB_RL__COUNT } cb_rl_class;

/* requests per second for the class; burst = 5 s worth (at least 10) */
void cb_rl_configure(cb_rl_class cls, double per_second);
double cb_rl_rate(cb_rl_class cls);

/* Takes one request from the bucket of (cls, key). 1: allowed; 0: limited,
 * *retry_s (>= 1) seconds until one is available. */
int cb_rl_take(cb_rl_class cls, const char *key, cb_ms now, int *retry_s);

#endif
