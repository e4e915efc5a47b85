-- wrk script for bench/webhook_load.py: posts signed webhook deliveries, each a distinct answer,
-- a fixed number per wrk thread, then stops once every delivery it sent has been answered.
--
--   wrk -t 1 -c C -d MAX --timeout 30s -s bench/webhook_load.lua URL -- BODIES_FILE COUNT
--
-- LuaJIT has no HMAC, so bench/webhook_load.py signs the deliveries beforehand: BODIES_FILE holds
-- one per line, "<headers>\t<body>", the headers as "name: value" joined by "|". A success is a
-- 200 whose JSON says the answer was stored.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local sent, ok, bad = 0, 0, 0
   for _, thread in ipairs(threads) do
      sent = sent + (thread:get("sent") or 0)
      ok = ok + (thread:get("ok") or 0)
      bad = bad + (thread:get("bad") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      "webhook_load: result sent=%d ok=%d bad=%d requests=%d duration_us=%d "
         .. "p50_us=%d p99_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
      sent, ok, bad, summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99),
      e.connect, e.read, e.write, e.status, e.timeout))
   io.stdout:flush()
end

sent, ok, bad = 0, 0, 0
local built, quota, stopped = 0, 0, false
local deliveries = {}

function init(args)
   quota = tonumber(args[2])
   for line in io.lines(args[1]) do
      local head, body = line:match("^([^\t]*)\t(.*)$")
      local headers = {
         ["Content-Type"] = "application/json",
         ["X-Forwarded-Proto"] = "https",
         ["X-Forwarded-For"] = "10.9.0.1",
      }
      for pair in head:gmatch("[^|]+") do
         local name, value = pair:match("^([^:]+): (.*)$")
         headers[name] = value
      end
      table.insert(deliveries, {headers = headers, body = body})
   end
end

function delay()
   if sent < quota then
      sent = sent + 1
      return 0
   end
   return 3600 * 1000
end

function request()
   -- wrk calls this once before the run to check the request, without sending it: that first
   -- build reuses delivery 1, which is then sent for real.
   local n = built % #deliveries + 1
   if built > 0 then
      n = (built - 1) % #deliveries + 1
   end
   built = built + 1
   local d = deliveries[n]
   return wrk.format("POST", nil, d.headers, d.body)
end

function response(status, headers, body)
   if status == 200 and body:find('"outcome": "stored"', 1, true) then
      ok = ok + 1
   else
      bad = bad + 1
      if bad <= 3 then
         io.write(string.format("webhook_load: unexpected response %d %s\n", status, body))
         io.stdout:flush()
      end
   end
   if not stopped and sent >= quota and ok + bad >= sent then
      stopped = true
      io.write("webhook_load: thread done\n")
      io.stdout:flush()
      wrk.thread:stop()
   end
end
