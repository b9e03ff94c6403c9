/* ratelimit.c - see ratelimit.h. */
#include "api/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define RL_SLOTS 16384
#define RL_STRIPES 64
#define RL_KEY 64 /* "ip:" + an IPv6 address (45) fits whole */

typedef struct {
	char key[RL_KEY]; /* "" empty */
	int cls;
	double tokens;
	cb_ms at; /* tokens as of this instant */
} bucket;

static bucket B[RL_SLOTS];
static pthread_mutex_t mu[RL_STRIPES];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic double rates[CB_RL__COUNT];

static void init(void)
{
	for (int i = 0; i < RL_STRIPES; i++)
		pthread_mutex_init(&mu[i], NULL);
}

void cb_rl_configure(cb_rl_class cls, double per_second)
{
	if ((unsigned)cls < CB_RL__COUNT)
		atomic_store(&rates[cls], per_second > 0 ? per_second : 0);
}

double cb_rl_rate(cb_rl_class cls)
{
	return (unsigned)cls < CB_RL__COUNT ? atomic_load(&rates[cls]) : 0;
}

static double burst_of(double rate)
{
	double b = rate * 5;
	return b < 10 ? 10 : b;
}

int cb_rl_take(cb_rl_class cls, const char *key, cb_ms now, int *retry_s)
{
	*retry_s = 0;
	double rate = cb_rl_rate(cls);
	if (rate <= 0)
		return 1;
	pthread_once(&once, init);
	size_t n = strnlen(key, RL_KEY - 1);
	uint32_t h = 2166136261u ^ (uint32_t)cls;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	size_t slot = h % RL_SLOTS;
	double burst = burst_of(rate);
	pthread_mutex_lock(&mu[slot % RL_STRIPES]);
	bucket *b = &B[slot];
	if (b->cls != (int)cls || strncmp(b->key, key, n) != 0 || b->key[n] != '\0') {
		memcpy(b->key, key, n);
		b->key[n] = '\0';
		b->cls = (int)cls;
		b->tokens = burst;
		b->at = now;
	} else if (now > b->at) {
		b->tokens += (double)(now - b->at) * rate / 1000.0;
		if (b->tokens > burst)
			b->tokens = burst;
		b->at = now;
	}
	int ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	else
		*retry_s = (int)ceil((1.0 - b->tokens) / rate);
	pthread_mutex_unlock(&mu[slot % RL_STRIPES]);
	if (!ok && *retry_s < 1)
		*retry_s = 1;
	return ok;
}
