-- wrk script for bench/survey_load.py: posts distinct, valid survey answers, a fixed number per
-- wrk thread, then stops that thread once every answer it sent has been answered.
--
--   wrk -t 1 -c C -d MAX --timeout 30s -s bench/survey_load.lua URL -- \
--       MODE CSRF_COOKIE CSRF_TOKEN ORIGIN NONCE PER_THREAD
--
-- Requests are counted where they are sent, in delay(), which wrk calls before each one; once
-- the quota is sent, delay() parks the thread's connections for an hour instead.
--
-- MODE is "survey" (success: a 302 to the thanks page, carrying the submission id) or
-- "ceiling" (success: a 204). NONCE is 8 hex digits, new for each run. Each answer's submission id is a UUID built from the nonce,
-- the thread and a counter, so every request is a distinct answer and the form keeps the id as
-- sent (it replaces an id that is not a UUID with a random one, which would hide duplicates);
-- the comment repeats the id, so a stored row can be traced to its request whatever its id.
--
-- Each client address (X-Forwarded-For, read behind one trusted proxy) posts 4 answers, well
-- under the rate limit, so the limiter counts per client on every request (its first post
-- creates the counter, the next ones increment it) without refusing any.
--
-- wrk itself runs for its whole -d before it prints, even when every thread has stopped: each
-- thread prints "survey_load: thread done" instead, and bench/survey_load.py interrupts wrk
-- (SIGINT) once all have, so the run's duration is the time the answers took.

local ANSWERS_PER_ADDRESS = 4

-- setup/done environment -----------------------------------------------------------------------

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_no", #threads)
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
      "survey_load: result sent=%d ok=%d bad=%d requests=%d duration_us=%d "
         .. "p50_us=%d p99_us=%d mean_us=%d max_us=%d "
         .. "connect=%d read=%d write=%d status=%d timeout=%d\n",
      sent, ok, bad, summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
   io.stdout:flush()
end

-- running environment (one per wrk thread) -----------------------------------------------------

sent, ok, bad = 0, 0, 0
local built, quota, stopped = 0, 0, false
local mode, nonce, headers

function init(args)
   mode, nonce, quota = args[1], args[5], tonumber(args[6])
   headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = "csrftoken=" .. args[2],
      ["Origin"] = args[4],
      ["X-Forwarded-Proto"] = "https",
   }
   csrf_token = args[3]
end

function delay()
   -- Called before each request is sent: once this thread's quota is sent, its connections idle.
   if sent < quota then
      sent = sent + 1
      return 0
   end
   return 3600 * 1000
end

function request()
   -- Not a count of requests sent: wrk also calls this once before the run, to check the
   -- request it returns, and never sends that one.
   local n = built
   built = built + 1
   local id = string.format("%s-%04x-4%03x-8%03x-%012x", nonce, thread_no, 0, 0, n)
   local address = math.floor(n / ANSWERS_PER_ADDRESS)
   headers["X-Forwarded-For"] = string.format(
      "10.%d.%d.%d", thread_no, math.floor(address / 256) % 256, address % 256)
   local body = string.format(
      "csrfmiddlewaretoken=%s&customer=&submission=%s&nps=%d&csat=%d&respect=%d"
         .. "&solutions=%d&simplicity=&responsibility=&comment=bench+%s",
      csrf_token, id, n % 11, n % 5 + 1, n % 5 + 1, (n + 2) % 5 + 1, id)
   return wrk.format("POST", nil, headers, body)
end

function response(status, response_headers, body)
   local location = response_headers["Location"] or response_headers["location"] or ""
   if (mode == "survey" and status == 302 and location:find("/thanks/?s=", 1, true))
      or (mode == "ceiling" and status == 204) then
      ok = ok + 1
   else
      bad = bad + 1
      if bad <= 3 then
         io.write(string.format("survey_load: unexpected response %d %s\n", status, location))
         io.stdout:flush()
      end
   end
   if not stopped and sent >= quota and ok + bad >= sent then
      stopped = true
      io.write("survey_load: thread done\n")
      io.stdout:flush()
      wrk.thread:stop()
   end
end
