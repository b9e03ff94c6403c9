/* fts_rank.c - see fts_rank.h. */
#include "store/fts_rank.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

#define MAX_COLS 16
#define MAX_PHRASES 128

static void cb_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		    int nval, sqlite3_value **val)
{
	int ncol = api->xColumnCount(fts);
	if (ncol > MAX_COLS || nval < ncol) {
		sqlite3_result_error(ctx, "cb_rank: one weight per column", -1);
		return;
	}
	double w[MAX_COLS];
	for (int i = 0; i < ncol; i++)
		w[i] = sqlite3_value_double(val[i]);
	sqlite3_int64 nrow = 0;
	if (api->xRowCount(fts, &nrow) != SQLITE_OK || nrow <= 0)
		nrow = 1;
	double total = 0, dl = 0;
	for (int i = 0; i < ncol; i++) {
		if (w[i] <= 0)
			continue;
		sqlite3_int64 t = 0;
		int sz = 0;
		if (api->xColumnTotalSize(fts, i, &t) == SQLITE_OK)
			total += (double)t;
		if (api->xColumnSize(fts, i, &sz) == SQLITE_OK)
			dl += sz;
	}
	double avgdl = total > 0 ? total / (double)nrow : 1.0;
	int nphrase = api->xPhraseCount(fts);
	if (nphrase > MAX_PHRASES)
		nphrase = MAX_PHRASES;
	double tf[MAX_PHRASES] = {0};
	int ninst = 0;
	if (api->xInstCount(fts, &ninst) != SQLITE_OK) {
		sqlite3_result_error(ctx, "cb_rank: no instances", -1);
		return;
	}
	for (int i = 0; i < ninst; i++) {
		int ip, ic, io;
		if (api->xInst(fts, i, &ip, &ic, &io) == SQLITE_OK && ip < nphrase && ic < ncol)
			tf[ip] += w[ic];
	}
	const double k1 = 1.2, b = 0.75;
	double score = 0;
	for (int p = 0; p < nphrase; p++) {
		if (tf[p] <= 0)
			continue;
		double df = ncol + p < nval ? sqlite3_value_double(val[ncol + p]) : (double)nrow;
		double idf = log(((double)nrow - df + 0.5) / (df + 0.5));
		if (idf <= 0)
			idf = 1e-6;
		score += idf * tf[p] * (k1 + 1) / (tf[p] + k1 * (1 - b + b * dl / avgdl));
	}
	sqlite3_result_double(ctx, -score);
}

int cb_fts_rank_register(struct sqlite3 *h)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->iVersion < 2)
		return -1;
	return api->xCreateFunction(api, "cb_rank", NULL, cb_rank, NULL) == SQLITE_OK ? 0 : -1;
}
