-- wrk script: POST /api/v1/visits/sync with fresh visits each time.
-- Environment: BENCH_COOKIE, BENCH_CSRF, BENCH_HOUSEHOLDS (comma-separated codes), BENCH_BATCH.
local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF")
local batch = tonumber(os.getenv("BENCH_BATCH") or "1")
local households = {}
for code in string.gmatch(os.getenv("BENCH_HOUSEHOLDS"), "[^,]+") do
  table.insert(households, code)
end
local counter = 0

local threads = {}

function setup(thread)
  thread:set("id", tostring(math.random(1, 2^30)))
  table.insert(threads, thread)
end

-- Each thread draws its own ids: threads seeded alike would send the same client_uuid twice.
function init(args)
  math.randomseed(tonumber(id) + os.time())
end

local function uuid4()
  counter = counter + 1
  local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (string.gsub(template, "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

request = function()
  local items = {}
  for i = 1, batch do
    local code = households[math.random(1, #households)]
    items[i] = string.format(
      '{"client_uuid":"%s","household":"%s","visited_at":"%s","kind":"routine","wellbeing":"green"}',
      uuid4(), code, os.date("!%Y-%m-%dT%H:%M:%S+00:00"))
  end
  local body = '{"visits":[' .. table.concat(items, ",") .. ']}'
  return wrk.format("POST", "/api/v1/visits/sync", {
    ["Content-Type"] = "application/json",
    ["Cookie"] = cookie,
    ["X-CSRFToken"] = csrf,
  }, body)
end

-- Every visit must be created: a rejected one would be cheap and flatter the figure.
-- Each wrk thread counts its own; done() adds them up.
rejected = 0

response = function(status, headers, body)
  if string.find(body, '"rejected"', 1, true) then
    rejected = rejected + 1
  end
end

done = function(summary, latency, requests)
  local rejected_total = 0
  for _, thread in ipairs(threads) do
    rejected_total = rejected_total + (thread:get("rejected") or 0)
  end
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d non2xx=%d rejected=%d p50_us=%d p95_us=%d\n",
    summary.requests, summary.duration, summary.errors.status, rejected_total,
    latency:percentile(50), latency:percentile(95)))
end
