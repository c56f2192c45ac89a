-- bench/failover.sh: counts every response per 100 ms bucket of wall-clock time and per
-- answer: the x-upstream header of a 2xx (which mock served it) or "E<status>" otherwise.
-- Loaded after bench/lua/stats.lua, whose done() it extends with one "TL <bucket> <key>
-- <count>" line per bucket and key (bucket = epoch milliseconds / 100).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_usec; } failover_timeval;
int gettimeofday(failover_timeval *tv, void *tz);
]]
local tv = ffi.new("failover_timeval")

local function bucket()
    ffi.C.gettimeofday(tv, nil)
    return tonumber(tv.tv_sec) * 10 + math.floor(tonumber(tv.tv_usec) / 100000)
end

local threads = {}
function setup(thread)
    table.insert(threads, thread)
end

counts = {}
function response(status, headers, body)
    local key
    if status >= 200 and status < 300 then
        -- Proxies may change the case of header names.
        key = headers["x-upstream"]
        if key == nil then
            for name, value in pairs(headers) do
                if string.lower(name) == "x-upstream" then key = value end
            end
        end
        key = key or "unknown"
    else
        key = "E" .. status
    end
    local k = bucket() .. " " .. key
    counts[k] = (counts[k] or 0) + 1
end

local stats_done = done
function done(summary, latency, requests)
    stats_done(summary, latency, requests)
    for _, t in ipairs(threads) do
        for k, v in pairs(t:get("counts")) do
            io.write(string.format("TL %s %d\n", k, v))
        end
    end
end
