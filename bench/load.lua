-- The load of one scenario of bench/benchmark.py, a script for wrk 4 (bench/load_driver.py runs it):
--
--   wrk -t THREADS -c CONNECTIONS -d SECONDS -H 'Name: value' -s bench/load.lua URL -- MODE
--
-- MODE "plain" sends the same request again and again and counts the answers by status.
-- MODE "counter" also plays clients that each keep their own cookies, and checks that the counter
-- in the body of each client's answers (bench/support/bench_urls.py) rises by exactly one per
-- request: 1 for a client's first answer, the previous one plus 1 afterwards.
-- At the end one line "LOAD {json}" gives wrk's figures and these counts, over all threads.
--
-- How clients keep their own session. wrk tells a script neither on which connection a request
-- goes out nor on which one an answer comes back, so the client travels with the request: each
-- request takes an idle client (a new one, with no cookie, when none is idle), sends its number in
-- the X-Bench-Client header and its cookies; the probe view echoes the header, and the answer goes
-- to that client, which is idle again. wrk writes a connection's next request only once its answer
-- was read (no pipelining: request() makes one request at a time), so a client never has two
-- requests in flight and its counter must rise by exactly one from one answer to the next. A client
-- is made only when all are busy, so there are as many as connections, plus one that wrk asks for
-- when it checks the script, plus one per request that wrk drops on a broken connection (those
-- stay busy). The other way, one session per wrk thread with -c equal to -t, would cost an
-- operating-system thread per client, on the cores that the server needs.
-- Each wrk thread has a Lua state of its own, hence clients of its own; done() adds them up.

local mode = "plain"
local idle = {} -- numbers of the clients with no request in flight
local jars = {} -- client number -> {cookie name -> value}
local last = {} -- client number -> counter of its last answer

-- Global, so that done() can read each thread's with thread:get().
counts = {
  answers_2xx = 0, answers_3xx = 0, answers_4xx = 0, answers_5xx = 0, answers_other = 0,
  clients = 0,      -- clients made
  checked = 0,      -- 2xx answers whose counter was checked
  violations = 0,   -- counters that were not the client's previous one plus 1
  resets = 0,       -- of which back to 1: a session that was lost
  unattributed = 0, -- 2xx answers without a known client number or without a counter
}

function init(args)
  mode = args[1] or "plain"
  if mode ~= "counter" then
    request = nil -- wrk then formats one request, with the -H headers, and sends it every time
  end
end

function request()
  local client = table.remove(idle)
  if client == nil then
    counts.clients = counts.clients + 1
    client = counts.clients
    jars[client] = {}
  end
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["X-Bench-Client"] = tostring(client)
  local cookies = {}
  for name, value in pairs(jars[client]) do
    cookies[#cookies + 1] = name .. "=" .. value
  end
  if #cookies > 0 then
    headers["Cookie"] = table.concat(cookies, "; ")
  end
  return wrk.format(nil, nil, headers)
end

local function count_status(status)
  local class = math.floor(status / 100)
  local name = "answers_" .. class .. "xx"
  if counts[name] == nil then
    name = "answers_other"
  end
  counts[name] = counts[name] + 1
end

function response(status, headers, body)
  count_status(status)
  if mode ~= "counter" then
    return
  end
  local client, cookie
  for name, value in pairs(headers) do
    local lower = string.lower(name)
    if lower == "x-bench-client" then
      client = tonumber(value)
    elseif lower == "set-cookie" then
      cookie = value
    end
  end
  local good = status >= 200 and status < 300
  if client == nil or jars[client] == nil then
    if good then -- (an error answer is counted as one already)
      counts.unattributed = counts.unattributed + 1
    end
    return -- the client it was sent for stays busy: it is lost
  end
  if good then
    if cookie then
      local name, value = string.match(cookie, "^%s*([^=;%s]+)=([^;]*)")
      if name then
        jars[client][name] = value
      end
    end
    local counter = tonumber(body)
    if counter == nil then
      counts.unattributed = counts.unattributed + 1
    else
      counts.checked = counts.checked + 1
      local previous = last[client] or 0
      if counter ~= previous + 1 then
        counts.violations = counts.violations + 1
        if counter == 1 then
          counts.resets = counts.resets + 1
        end
      end
      last[client] = counter
    end
  end
  -- An error answer leaves the client as it was: the run has failed anyway (benchmark.py).
  table.insert(idle, client)
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for name, value in pairs(thread:get("counts")) do
      total[name] = (total[name] or 0) + value
    end
  end
  local fields = {}
  local function add(name, value)
    fields[#fields + 1] = string.format('"%s": %.0f', name, value)
  end
  add("requests", summary.requests)
  add("duration_us", summary.duration)
  add("bytes", summary.bytes)
  for _, name in ipairs({ "connect", "read", "write", "timeout" }) do
    add("socket_errors_" .. name, summary.errors[name])
  end
  for _, percent in ipairs({ 50, 90, 99 }) do
    add("latency_p" .. percent .. "_us", latency:percentile(percent))
  end
  add("latency_max_us", latency.max)
  for name, value in pairs(total) do
    add(name, value)
  end
  io.write("LOAD {" .. table.concat(fields, ", ") .. "}\n")
end
