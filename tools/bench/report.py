"""Render the JSON written by bench.py as Markdown tables.

Usage: python tools/bench/report.py RESULTS.json
"""

import json
import sys

START_TARGET_MS = 200.0
IDLE_RSS_TARGET_MIB = 25.0
TOKEN_RATIO_TARGET = 1.2


def mib(kib):
    return kib / 1024.0


def ratio(value, peer):
    return f"{value / peer:.2f}×" if peer else "n/a"


def verdict(met):
    return "met" if met else "**missed**"


def result_rows(r):
    """Return the rows of the main table: (measure, aws-hybrid, peer, peer value, ratio, target)."""
    starts, keystone_starts = r["api_starts"], r["keystone_starts"]
    idle, end = r["api_memory_idle"], r["api_memory_end"]
    keystone_end = r["keystone_memory_end"]
    n_api, n_ks = len(starts["samples"]), len(keystone_starts["samples"])
    ready = starts["ready_ms_median"]
    rows = [
        (
            f"start to ready, median of {n_api} (ms)",
            f"{ready:.1f}",
            f"Keystone 30 under uWSGI, exec to first 200 on GET /v3, median of {n_ks}",
            f"{keystone_starts['ready_ms_median']:.0f}",
            ratio(ready, keystone_starts["ready_ms_median"]),
            f"≤ {START_TARGET_MS:.0f} ms: {verdict(ready <= START_TARGET_MS)}",
        ),
        (
            f"startup_ms logged by the service, median of {n_api}",
            f"{starts['startup_ms_median']:.0f}",
            "",
            "",
            "",
            "",
        ),
        (
            "VmRSS idle, 2 s after ready (MiB)",
            f"{mib(idle['vm_rss_kib']):.1f}",
            "Keystone at its first 200, VmRSS summed over uWSGI master and worker",
            f"{mib(keystone_starts['vm_rss_kib_median']):.1f}",
            ratio(idle["vm_rss_kib"], keystone_starts["vm_rss_kib_median"]),
            f"≤ {IDLE_RSS_TARGET_MIB:.0f} MiB: {verdict(mib(idle['vm_rss_kib']) <= IDLE_RSS_TARGET_MIB)}",
        ),
        (
            "PSS idle (MiB)",
            f"{mib(idle['pss_kib']):.1f}",
            "Keystone at its first 200, PSS summed over master and worker",
            f"{mib(keystone_starts['pss_kib_median']):.1f}",
            ratio(idle["pss_kib"], keystone_starts["pss_kib_median"]),
            "",
        ),
        (
            "VmRSS after all load phases (MiB)",
            f"{mib(end['vm_rss_kib']):.1f}",
            "the harness Keystone after serving the run, summed VmRSS",
            f"{mib(keystone_end['vm_rss_kib']):.1f}",
            ratio(end["vm_rss_kib"], keystone_end["vm_rss_kib"]),
            "",
        ),
        (
            "peak RSS, VmHWM (MiB)",
            f"{mib(end['vm_hwm_kib']):.1f}",
            "the harness Keystone, summed VmHWM",
            f"{mib(keystone_end['vm_hwm_kib']):.1f}",
            ratio(end["vm_hwm_kib"], keystone_end["vm_hwm_kib"]),
            "",
        ),
    ]
    for name in ("concurrent", "single"):
        if f"listing_api_{name}" in r:
            rows += listing_rows(r[f"listing_api_{name}"], r[f"listing_boto3_{name}"])
    rows += token_rows(r["token_validation"])
    return rows


def listing_rows(api, boto3):
    connections = api["connections"]
    label = f"GET /v1/instances, {connections} connection{'s' if connections > 1 else ''}"
    rows = [
        (
            f"{label}: requests/s",
            f"{api['requests_per_s']:.1f}",
            f"boto3 DescribeInstances straight to moto, {boto3['threads']} thread{'s' if connections > 1 else ''}",
            f"{boto3['requests_per_s']:.1f}",
            ratio(api["requests_per_s"], boto3["requests_per_s"]),
            "",
        )
    ]
    for key in ("p50", "p99"):
        rows.append(
            (
                f"{label}: {key} (ms)",
                f"{api['latency_ms'][key]:.1f}",
                "boto3 straight to moto",
                f"{boto3['latency_ms'][key]:.1f}",
                ratio(api["latency_ms"][key], boto3["latency_ms"][key]),
                "",
            )
        )
    rows.append(
        (
            f"{label}: moto calls per request served",
            f"{api['cpu']['moto_calls'] / api['requests']:.3f}" if api["requests"] else "n/a",
            "boto3 straight to moto",
            f"{boto3['cpu']['moto_calls'] / boto3['requests']:.3f}" if boto3["requests"] else "n/a",
            "",
            "",
        )
    )
    return rows


def token_rows(tokens):
    fresh, direct = tokens["api_fresh_token_ms"], tokens["keystone_direct_ms"]
    count = tokens["tokens_per_side"]
    cached, version = tokens["api_cached_token_ms"], tokens["keystone_version_ms"]
    return [
        (
            f"fresh token, GET /v1/nothing-here (404 after auth): median of {count} (ms)",
            f"{fresh['p50']:.2f}",
            f"Keystone GET /v3/auth/tokens?nocatalog, {count} other fresh tokens",
            f"{direct['p50']:.2f}",
            ratio(fresh["p50"], direct["p50"]),
            f"≤ {TOKEN_RATIO_TARGET}×: {verdict(fresh['p50'] <= TOKEN_RATIO_TARGET * direct['p50'])}",
        ),
        (
            "fresh token: p90 (ms)",
            f"{fresh['p90']:.2f}",
            "Keystone validation",
            f"{direct['p90']:.2f}",
            ratio(fresh["p90"], direct["p90"]),
            "",
        ),
        (
            "cached token, same route: median (ms)",
            f"{cached['p50']:.2f}",
            "Keystone GET /v3 (version document)",
            f"{version['p50']:.2f}",
            ratio(cached["p50"], version["p50"]),
            "",
        ),
    ]


def cpu_rows(r):
    rows = []
    for name in ("concurrent", "single"):
        for label, key in (
            ("aws-hybrid + wrk", f"listing_api_{name}"),
            ("boto3", f"listing_boto3_{name}"),
        ):
            if key not in r:
                continue
            phase = r[key]
            connections = phase.get("connections", phase.get("threads"))
            cores, cpu = phase["cpu"]["cores"], phase["cpu"]["cpu_s"]
            requests = phase["requests"]

            def per_request(seconds):
                return f"{1000 * seconds / requests:.2f}" if requests else "n/a"

            rows.append(
                (
                    f"{label}, {connections}",
                    f"{cores['machine_busy']:.2f}",
                    f"{cores['moto']:.2f}",
                    f"{cores['aws-hybrid-api']:.2f}",
                    f"{cores['client']:.2f}",
                    f"{cores['other'] + cores['keystone'] + cores['bench']:.2f}",
                    str(phase["cpu"]["moto_calls"]),
                    per_request(cpu["moto"]),
                    per_request(cpu["aws-hybrid-api"]),
                    per_request(cpu["client"]),
                )
            )
    return rows


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(r):
    before, after = r["machine_before"], r["machine_after"]
    checks = [f"{r['instances_listed']} instances per aws-hybrid response"]
    for name in ("concurrent", "single"):
        if f"listing_api_{name}" in r:
            api, boto3 = r[f"listing_api_{name}"], r[f"listing_boto3_{name}"]
            checks.append(
                f"{name}: wrk errors {sum(api['errors'].values())}, boto3 errors {boto3['errors']}, "
                f"instances per boto3 response {boto3['instances_per_response']}"
            )
    parts = [
        f"Revision {r.get('revision') or 'unknown'}. Machine: {before['nproc']} CPUs ({before['cpu_model']}), "
        f"{mib(before['mem_total_kib']) / 1024:.1f} GiB RAM, Linux {before['kernel']}. "
        f"Load average (1, 5, 15 min) before: {before['loadavg']}, after: {after['loadavg']}. "
        f"Run time {r['duration_s']:.0f} s.",
        "",
        table(["measure", "aws-hybrid", "peer", "peer value", "ratio", "target"], result_rows(r)),
        "",
        "CPU in the measured listing windows: cores kept busy, moto calls in its access log, "
        "and CPU ms per request served. other = machine busy minus moto, aws-hybrid, the client, "
        "Keystone and bench.py.",
        "",
        table(
            [
                "run, connections",
                "machine busy",
                "moto",
                "aws-hybrid",
                "client",
                "other",
                "moto calls",
                "moto ms/req",
                "aws-hybrid ms/req",
                "client ms/req",
            ],
            cpu_rows(r),
        ),
        "",
        "Checks: " + "; ".join(checks) + ".",
    ]
    return "\n".join(parts)


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: report.py RESULTS.json")
    with open(sys.argv[1]) as handle:
        print(render(json.load(handle)))


if __name__ == "__main__":
    main()
