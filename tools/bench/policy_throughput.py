"""The policy on/off benchmark: request throughput with the default rules and with every rule "@".

The route is GET /v1/instance-types/t3.micro. After its first request the service
serves it from memory: the token is in the token cache, and the instance types of
the account and region stay cached for an hour, so no call reaches Keystone or moto.
Its cost is the service's own work (HTTP, token cache, tenant mapping, policy, JSON),
which is where a change in policy cost can show. GET /v1/regions and
/v1/availability-zones call moto on every request, and moto's few milliseconds per
call would hide a cost of a microsecond.

The two modes run the same binary and differ only in [oslo_policy]:
  - on: policy_file names a file that does not exist, so the registered defaults apply;
  - off: policy_file sets every rule the service registers to "@" (always allowed).
The registered scope types are still checked in both modes. Each start is checked
with GET /v1/instances?project_id=<another project> by the project's reader, which
the defaults deny with 403 and "@" allows.
"""

import os
import statistics
import sys

import procinfo
from listing import run_wrk
from services import Connection

ROUTE = "/v1/instance-types/t3.micro"
MODES = ("on", "off")
# The service logs one line per request at info level, about 250 bytes. A run of 10 s at
# 20,000 requests/s writes 50 MB, so these lines are counted and removed after each run.
SERVED_LINE = f"request served method=GET path={ROUTE} status=200".encode()


def write_policy_configs(state_dir, rule_names):
    """Write the policy file of the off mode and one config file per mode, and return the configs."""
    absent_dir = os.path.join(state_dir, "bench-policy-absent.d")
    off_policy = os.path.join(state_dir, "bench-policy-off.yaml")
    with open(off_policy, "w") as handle:
        handle.write("# Every rule aws-hybrid registers, always allowed.\n")
        for name in rule_names:
            handle.write(f'"{name}": "@"\n')
    policy_files = {
        "on": os.path.join(state_dir, "bench-policy-absent.yaml"),
        "off": off_policy,
    }
    configs = {}
    for mode, policy_file in policy_files.items():
        path = os.path.join(state_dir, f"bench-policy-{mode}.conf")
        with open(path, "w") as handle:
            handle.write(f"[oslo_policy]\npolicy_file = {policy_file}\npolicy_dirs = {absent_dir}\n")
        configs[mode] = path
    return configs


def check_mode(api, token, mode, other_project_id):
    """Raise RuntimeError unless the service enforces the rules of mode."""
    status, _, data, _ = api.request(
        "GET", f"/v1/instances?project_id={other_project_id}", headers={"X-Auth-Token": token}
    )
    expected = 403 if mode == "on" else 200
    if status != expected or (mode == "on" and b"policy_not_authorized" not in data):
        raise RuntimeError(
            f"policy {mode}: GET /v1/instances?project_id=<other project> returned HTTP {status}, "
            f"expected {expected}{' policy_not_authorized' if mode == 'on' else ''}: {data[:300]!r}"
        )


def prime(api, token):
    """Send the first request, which validates the token and caches the instance types."""
    status, _, data, elapsed = api.request("GET", ROUTE, headers={"X-Auth-Token": token})
    if status != 200 or b'"instance_type"' not in data:
        raise RuntimeError(f"GET {ROUTE} returned HTTP {status}: {data[:300]!r}")
    return elapsed


def condense_log(path):
    """Replace the successful request lines of ROUTE in a service log with one line counting them."""
    condensed_path = path + ".condensed"
    removed = 0
    with open(path, "rb") as source, open(condensed_path, "wb") as target:
        for line in source:
            if SERVED_LINE in line:
                removed += 1
            else:
                target.write(line)
        if removed:
            target.write(
                f"bench: removed {removed} lines '{SERVED_LINE.decode()}' from this log\n".encode()
            )
    os.replace(condensed_path, path)


def measure_one(launcher, config, mode, token, other_project_id, connections, warmup, duration):
    api_process = launcher.start(f"bench-policy-{mode}", f"aws-hybrid-api-policy-{mode}.log", [config])
    try:
        api = Connection(launcher.port)
        first_ms = prime(api, token) * 1000.0
        check_mode(api, token, mode, other_project_id)
        api.close()
        warm = run_wrk(launcher.port, ROUTE, token, connections, warmup)
        cpu_before = procinfo.tree_cpu_seconds(api_process.pid)
        busy_before = procinfo.system_cpu_ticks()[0]
        result = run_wrk(launcher.port, ROUTE, token, connections, duration)
        cpu_after = procinfo.tree_cpu_seconds(api_process.pid)
        busy_after = procinfo.system_cpu_ticks()[0]
    finally:
        api_process.stop()
        condense_log(api_process.log_path)
    cpu_s = cpu_after - cpu_before
    result.update(
        mode=mode,
        first_request_ms=first_ms,
        warmup_requests=warm["requests"],
        warmup_errors=warm["errors"],
        api_cpu_s=cpu_s,
        api_cpu_us_per_request=1e6 * cpu_s / result["requests"] if result["requests"] else None,
        machine_busy_cores=(busy_after - busy_before) / procinfo.CLOCK_TICKS / result["duration_s"],
    )
    return result


def measure(launcher, state_dir, rule_names, token, other_project_id, rounds, connections, warmup, duration):
    """Run rounds of both modes in the order on, off, off, on, on, off, ... and summarise them.

    Alternating the order keeps a slow drift in machine load from favouring either mode.
    """
    configs = write_policy_configs(state_dir, rule_names)
    runs = []
    for index in range(rounds):
        order = MODES if index % 2 == 0 else tuple(reversed(MODES))
        for mode in order:
            _say(f"policy {mode}: GET {ROUTE}, {connections} connections, {warmup} s warm-up, {duration} s measured")
            run = measure_one(
                launcher, configs[mode], mode, token, other_project_id, connections, warmup, duration
            )
            run["round"] = index
            runs.append(run)
    summary = {}
    for mode in MODES:
        mine = [run for run in runs if run["mode"] == mode]
        summary[mode] = {
            "requests_per_s_median": statistics.median(r["requests_per_s"] for r in mine),
            "requests_per_s_all": [r["requests_per_s"] for r in mine],
            "p50_ms_median": statistics.median(r["latency_ms"]["p50"] for r in mine),
            "p99_ms_median": statistics.median(r["latency_ms"]["p99"] for r in mine),
            "api_cpu_us_per_request_median": statistics.median(
                r["api_cpu_us_per_request"] for r in mine
            ),
            "errors": sum(sum(r["errors"].values()) for r in mine),
        }
    return {
        "route": ROUTE,
        "rounds": rounds,
        "connections": connections,
        "warmup_s": warmup,
        "duration_s": duration,
        "rule_count": len(rule_names),
        "runs": runs,
        "summary": summary,
    }


def _say(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)
