/* h_system.c - liveness and metrics. */
#include "api/handlers.h"

int cb_h_healthz(cb_req *req, cb_resp *resp, cb_err *err)
{
	(void)err;
	cb_api_raw(req, resp, 200, "application/json", "{\"status\":\"ok\"}", 15);
	return 0;
}

int cb_h_metrics(cb_req *req, cb_resp *resp, cb_err *err)
{
	(void)err;
	cb_api_metrics_render(req, resp);
	return 0;
}
