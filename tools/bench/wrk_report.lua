-- wrk script for the aws-hybrid load benchmarks (wrk 4.1).
--
-- Sends the Keystone token from the BENCH_AUTH_TOKEN environment variable in
-- X-Auth-Token, so the token appears on no command line and in no file. When
-- the run ends, prints one line "BENCH_JSON {...}" with the totals, the error
-- counts and latency percentiles in microseconds, for listing.py to parse.

local token = os.getenv("BENCH_AUTH_TOKEN")
if token == nil or token == "" then
  error("BENCH_AUTH_TOKEN is not set; bench.py passes the token in this variable")
end
wrk.method = "GET"
wrk.headers["X-Auth-Token"] = token
wrk.headers["Accept"] = "application/json"

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
