-- wrk script: POST /echo with a ~300-byte JSON ticket body (keep-alive)
wrk.method = "POST"
wrk.path = "/echo"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"ticket":{"id":9007199254740993,"subject":"Printer on floor 3 is jammed again",' ..
           '"requester":"alice@example.com","priority":"high","status":"open",' ..
           '"tags":["hardware","printer","floor-3"],"sla":{"first_reply_due":"2026-11-23T09:00:00Z"},' ..
           '"body":"It shows error E-204 and makes a grinding noise. Tried power cycling twice."}}'
