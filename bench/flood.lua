-- wrk script: flood one household's card, alternating GET /h/<token> and POST /h/<token>/help.
-- Environment: BENCH_TOKEN (the card), BENCH_COOKIE and BENCH_CSRF (an anonymous session that
-- opened the card). Prints BENCH_STATUSES status=count,... summed over wrk's threads.
local token = os.getenv("BENCH_TOKEN")
local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function escape(text)
  return (string.gsub(text, "[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local body = "category=visit&message=flood&csrf_token=" .. escape(csrf)
local counter = 0

request = function()
  counter = counter + 1
  if counter % 2 == 1 then
    return wrk.format("GET", "/h/" .. token, {["Cookie"] = cookie})
  end
  return wrk.format("POST", "/h/" .. token .. "/help", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body)
end

statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local cells = {}
  for status, n in pairs(total) do
    table.insert(cells, string.format("%d=%d", status, n))
  end
  io.write(string.format("BENCH_STATUSES %s\n", table.concat(cells, ",")))
  io.write(string.format("BENCH_ERRORS connect=%d read=%d write=%d timeout=%d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
