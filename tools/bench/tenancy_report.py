"""Render the JSON written by tenancy_bench.py as Markdown tables.

Usage: python tools/bench/tenancy_report.py RESULTS.json
"""

import json
import sys

from report import mib, table


def ratio(value, peer):
    """Format value / peer with three significant digits, so that small ratios keep their digits."""
    return f"{value / peer:.3g}×" if peer else "n/a"


def policy_rows(policy):
    rows = []
    rounds = policy["rounds"]
    for case in policy["cases"]:
        median = case["median_ns"]
        rows.append(
            (
                f"`enforce`, {case['name']}, median of {rounds} (ns)",
                f"{median['rust']:.0f}",
                f"oslo.policy {policy['oslo_policy_version']} `Enforcer.enforce`, configured as a service configures it",
                f"{median['service_config']:.0f}",
                ratio(median["rust"], median["service_config"]),
            )
        )
    return rows


def policy_detail_rows(policy):
    rows = []
    for case in policy["cases"]:
        median = case["median_ns"]
        rows.append(
            (
                case["name"],
                f"`{case['rule']}`",
                f"{median['rust']:.0f}",
                f"{median['rust_building_values']:.0f}",
                f"{median['service_config']:.0f}",
                f"{median['no_file_checks']:.0f}",
                ratio(median["rust"], median["no_file_checks"]),
            )
        )
    return rows


def throughput_rows(throughput):
    on, off = throughput["summary"]["on"], throughput["summary"]["off"]
    label = (
        f"`GET {throughput['route']}`, {throughput['connections']} connections, "
        f"median of {throughput['rounds']} runs of {throughput['duration_s']} s"
    )
    peer = 'same binary, policy off (every rule "@")'
    return [
        (
            f"{label}: requests/s, default policy",
            f"{on['requests_per_s_median']:.0f}",
            peer,
            f"{off['requests_per_s_median']:.0f}",
            ratio(on["requests_per_s_median"], off["requests_per_s_median"]),
        ),
        (
            "same: p50 (ms)",
            f"{on['p50_ms_median']:.2f}",
            peer,
            f"{off['p50_ms_median']:.2f}",
            ratio(on["p50_ms_median"], off["p50_ms_median"]),
        ),
        (
            "same: p99 (ms)",
            f"{on['p99_ms_median']:.2f}",
            peer,
            f"{off['p99_ms_median']:.2f}",
            ratio(on["p99_ms_median"], off["p99_ms_median"]),
        ),
        (
            "same: aws-hybrid CPU per request (µs)",
            f"{on['api_cpu_us_per_request_median']:.1f}",
            peer,
            f"{off['api_cpu_us_per_request_median']:.1f}",
            ratio(on["api_cpu_us_per_request_median"], off["api_cpu_us_per_request_median"]),
        ),
    ]


def role_rows(roles):
    cached, keys = roles["api_cached_session_ms"], roles["api_static_keys_ms"]
    direct = roles["direct_assume_role_ms"]
    count = roles["requests_per_user"]
    users = roles["role_users"]
    first = roles["api_first_request_ms"]
    calls = roles["service_assume_role_calls"]
    assume_peer = f"boto3 `AssumeRole` straight to the emulator, median of {direct['count']}"
    return [
        (
            f"`GET {roles['route']}`, project mapped to a role, session cached: "
            f"median of {cached['count']} ({users} users × {count}) (ms)",
            f"{cached['p50']:.2f}",
            assume_peer,
            f"{direct['p50']:.2f}",
            ratio(cached["p50"], direct["p50"]),
        ),
        ("same: p90 (ms)", f"{cached['p90']:.2f}", "same", f"{direct['p90']:.2f}", ratio(cached["p90"], direct["p90"])),
        (
            f"same route, project mapped to static keys, median of {keys['count']} (ms)",
            f"{keys['p50']:.2f}",
            "the role-mapped request above",
            f"{cached['p50']:.2f}",
            ratio(keys["p50"], cached["p50"]),
        ),
        (
            "first request of each role user, no session yet (ms)",
            " / ".join(f"{value:.1f}" for value in first.values()),
            "cached-session median + AssumeRole median (an estimate)",
            f"{cached['p50'] + direct['p50']:.1f}",
            "",
        ),
        (
            f"AssumeRole calls the emulator recorded from the service "
            f"({users} users, {roles['role_user_requests']} requests)",
            str(calls),
            "target: 1 per user",
            str(users),
            "met" if calls == users and roles["service_assume_role_calls_per_session"] == [1] * users else "**missed**",
        ),
    ]


def render(r):
    before, after = r["machine_before"], r["machine_after"]
    policy, throughput, roles = r["policy_eval"], r["policy_throughput"], r["role_sessions"]
    wrk_errors = throughput["summary"]["on"]["errors"] + throughput["summary"]["off"]["errors"]
    checks = [
        "both policy engines returned the expected verdict in every case (checked before timing)",
        f"wrk errors or non-2xx responses {wrk_errors}",
        f"failed AssumeRole calls: service {roles['service_assume_role_failures']}, "
        f"direct {roles['direct_assume_role_failures']}",
        f"aws-hybrid client connections in the role test {roles['client_connects']}",
    ]
    run_rows = [
        (
            str(run["round"] + 1),
            run["mode"],
            f"{run['requests_per_s']:.0f}",
            f"{run['latency_ms']['p50']:.2f}",
            f"{run['latency_ms']['p99']:.2f}",
            f"{run['api_cpu_us_per_request']:.1f}",
            f"{run['machine_busy_cores']:.2f}",
        )
        for run in throughput["runs"]
    ]
    parts = [
        f"Revision {r.get('revision') or 'unknown'}. Machine: {before['nproc']} CPUs ({before['cpu_model']}), "
        f"{mib(before['mem_total_kib']) / 1024:.1f} GiB RAM, Linux {before['kernel']}. "
        f"Load average (1, 5, 15 min) before: {before['loadavg']}, after: {after['loadavg']}. "
        f"Run time {r['duration_s']:.0f} s.",
        "",
        table(
            ["measure", "aws-hybrid", "peer", "peer value", "ratio"],
            policy_rows(policy) + throughput_rows(throughput) + role_rows(roles),
        ),
        "",
        f"Policy evaluation per case, median ns per call of {policy['rounds']} batches "
        f"({policy['rust_iterations']} Rust calls, {policy['python_iterations']} oslo.policy calls each):",
        "",
        table(
            [
                "case",
                "rule",
                "Rust",
                "Rust, building creds and target per call",
                "oslo.policy, service config",
                "oslo.policy, no file checks",
                "Rust / oslo.policy without file checks",
            ],
            policy_detail_rows(policy),
        ),
        "",
        "Throughput runs in the order they ran:",
        "",
        table(
            ["round", "policy", "requests/s", "p50 (ms)", "p99 (ms)", "aws-hybrid CPU µs/request", "machine busy (cores)"],
            run_rows,
        ),
        "",
        "Checks: " + "; ".join(checks) + ".",
    ]
    return "\n".join(parts)


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: tenancy_report.py RESULTS.json")
    with open(sys.argv[1]) as handle:
        print(render(json.load(handle)))


if __name__ == "__main__":
    main()
