-- wrk script for bench/run.py. One script, the request shape chosen by
-- environment variables (wrk passes nothing else to every thread's state):
--   CB_MODE   get     GET /api/v1/tickets/{random id from CB_IDS}
--             reply   POST /api/v1/tickets/{random id from CB_IDS}/comments
--             create  POST /api/v1/tickets (requester: random line of CB_IDS)
--             path    GET the URL's path as given (queues, lists, nginx)
--   CB_IDS    file with one id (or e-mail) per line
--   CB_TOKEN  API token (sent as Authorization: Bearer), optional
-- done() prints one line "RESULT {json}" with exact percentiles (us).
local mode = os.getenv("CB_MODE") or "path"
local token = os.getenv("CB_TOKEN")
local ids_file = os.getenv("CB_IDS")

local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local ids = {}
local headers = {}
local n = 0

local subjects = {
  "SSO login loop after enabling SAML",
  "API returns 429 although we are under quota",
  "Invoice shows seats we removed",
  "Dashboard takes 30 seconds to load",
  "CSV export truncates at 10,000 rows",
  "Slack notifications stopped",
}
local prios = { "P1", "P2", "P2", "P3", "P3", "P3", "P4" }

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  if ids_file then
    for line in io.lines(ids_file) do
      if #line > 0 then
        n = n + 1
        ids[n] = line
      end
    end
  end
  if token then headers["Authorization"] = "Bearer " .. token end
  if mode == "create" or mode == "reply" then
    headers["Content-Type"] = "application/json"
  end
end

local seq = 0
function request()
  seq = seq + 1
  if mode == "get" then
    return wrk.format("GET", "/api/v1/tickets/" .. ids[math.random(n)], headers)
  elseif mode == "reply" then
    local body = '{"body":"Thanks, we are looking into it (bench reply ' .. seq ..
      '). Could you send the request IDs and the time it happened?","public":true}'
    return wrk.format("POST", "/api/v1/tickets/" .. ids[math.random(n)] .. "/comments", headers, body)
  elseif mode == "create" then
    local s = subjects[math.random(#subjects)]
    local body = '{"subject":"' .. s .. '","description":"' .. s ..
      '. Started this morning for everyone in the EU tenant; request ids attached.",' ..
      '"priority":"' .. prios[math.random(#prios)] .. '","category":"api","tags":["bench"],' ..
      '"requester":"' .. ids[math.random(n)] .. '","environment":{"version":"5.2.1","region":"eu-west-1"}}'
    return wrk.format("POST", "/api/v1/tickets", headers, body)
  else
    return wrk.format("GET", nil, headers)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
    '"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
