-- wrk script for bench/server.py: prints one machine-readable summary line at the end.
-- With WRK_PUT_PREFIX set, every request is a PUT to WRK_PUT_PREFIX .. <a new UUID> with the
-- JSON body WRK_BODY (the record write); otherwise the command line's URL is requested.

local thread_count = 0

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end

local put_prefix = os.getenv("WRK_PUT_PREFIX")
local body = os.getenv("WRK_BODY")

function init(_args)
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919 + math.floor(os.clock() * 1000000))
end

local function uuid4()
  local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (template:gsub("[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

if put_prefix then
  request = function()
    return wrk.format("PUT", put_prefix .. uuid4(), nil, body)
  end
end

function done(summary, latency, _requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
