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
    """Return the rows of the main table: (measure, aws-hybrid, peer name, peer value, ratio, target)."""
    starts, keystone_starts = r["api_starts"], r["keystone_starts"]
    idle, end = r["api_memory_idle"], r["api_memory_end"]
    keystone_end = r["keystone_memory_end"]
    api_list, boto3_list = r["listing_api"], r["listing_boto3"]
    tokens = r["token_validation"]
    n_api, n_ks = len(starts["samples"]), len(keystone_starts["samples"])
    ready = starts["ready_ms_median"]
    rows = [
        (f"start to ready, median of {n_api} (ms)", f"{ready:.1f}",
         f"Keystone 30 under uWSGI, exec to first 200 on GET /v3, median of {n_ks}",
         f"{keystone_starts['ready_ms_median']:.0f}", ratio(ready, keystone_starts["ready_ms_median"]),
         f"≤ {START_TARGET_MS:.0f} ms: {verdict(ready <= START_TARGET_MS)}"),
        (f"startup_ms logged by the service, median of {n_api}", f"{starts['startup_ms_median']:.0f}",
         "", "", "", ""),
        ("VmRSS idle, 2 s after ready (MiB)", f"{mib(idle['vm_rss_kib']):.1f}",
         "Keystone just started, VmRSS summed over uWSGI master and worker",
         f"{mib(keystone_starts['vm_rss_kib_median']):.1f}",
         ratio(idle["vm_rss_kib"], keystone_starts["vm_rss_kib_median"]),
         f"≤ {IDLE_RSS_TARGET_MIB:.0f} MiB: {verdict(mib(idle['vm_rss_kib']) <= IDLE_RSS_TARGET_MIB)}"),
        ("PSS idle (MiB)", f"{mib(idle['pss_kib']):.1f}",
         "Keystone just started, PSS summed over master and worker",
         f"{mib(keystone_starts['pss_kib_median']):.1f}",
         ratio(idle["pss_kib"], keystone_starts["pss_kib_median"]), ""),
        ("VmRSS after all load phases (MiB)", f"{mib(end['vm_rss_kib']):.1f}",
         "the harness Keystone after serving the run, summed VmRSS", f"{mib(keystone_end['vm_rss_kib']):.1f}",
         ratio(end["vm_rss_kib"], keystone_end["vm_rss_kib"]), ""),
        ("peak RSS, VmHWM (MiB)", f"{mib(end['vm_hwm_kib']):.1f}",
         "the harness Keystone, summed VmHWM", f"{mib(keystone_end['vm_hwm_kib']):.1f}",
         ratio(end["vm_hwm_kib"], keystone_end["vm_hwm_kib"]), ""),
        (f"GET /v1/instances, {api_list['connections']} connections: requests/s",
         f"{api_list['requests_per_s']:.1f}",
         f"boto3 DescribeInstances straight to moto, {boto3_list['threads']} threads",
         f"{boto3_list['requests_per_s']:.1f}",
         ratio(api_list["requests_per_s"], boto3_list["requests_per_s"]), ""),
    ]
    for key in ("p50", "p99"):
        rows.append((f"GET /v1/instances: {key} (ms)", f"{api_list['latency_ms'][key]:.0f}",
                     "boto3 straight to moto", f"{boto3_list['latency_ms'][key]:.0f}",
                     ratio(api_list["latency_ms"][key], boto3_list["latency_ms"][key]), ""))
    fresh, direct = tokens["api_fresh_token_ms"], tokens["keystone_direct_ms"]
    count = tokens["tokens_per_side"]
    rows.append((f"fresh token, GET {'/v1/nothing-here'} (404 after auth): median of {count} (ms)",
                 f"{fresh['p50']:.2f}", f"Keystone GET /v3/auth/tokens?nocatalog, {count} other fresh tokens",
                 f"{direct['p50']:.2f}", ratio(fresh["p50"], direct["p50"]),
                 f"≤ {TOKEN_RATIO_TARGET}×: {verdict(fresh['p50'] <= TOKEN_RATIO_TARGET * direct['p50'])}"))
    rows.append(("fresh token: p90 (ms)", f"{fresh['p90']:.2f}", "Keystone validation", f"{direct['p90']:.2f}",
                 ratio(fresh["p90"], direct["p90"]), ""))
    cached, version = tokens["api_cached_token_ms"], tokens["keystone_version_ms"]
    rows.append(("cached token, same route: median (ms)", f"{cached['p50']:.2f}",
                 "Keystone GET /v3 (version document)", f"{version['p50']:.2f}",
                 ratio(cached["p50"], version["p50"]), ""))
    return rows


def cpu_rows(r):
    rows = []
    for label, key in (("aws-hybrid + wrk", "listing_api"), ("boto3 threads", "listing_boto3")):
        phase = r[key]
        cores = phase["cpu"]["cores"]
        requests = phase["requests"]
        cpu = phase["cpu"]["cpu_s"]
        api_ms = f"{1000 * cpu['aws-hybrid-api'] / requests:.2f}" if requests else "n/a"
        moto_ms = f"{1000 * cpu['moto'] / requests:.1f}" if requests else "n/a"
        client_ms = f"{1000 * cpu['client'] / requests:.1f}" if requests else "n/a"
        rows.append((label, f"{cores['machine_busy']:.2f}", f"{cores['moto']:.2f}", f"{cores['aws-hybrid-api']:.2f}",
                     f"{cores['client']:.2f}", f"{cores['other'] + cores['keystone'] + cores['self']:.2f}",
                     moto_ms, api_ms, client_ms))
    return rows


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(r):
    before, after = r["machine_before"], r["machine_after"]
    api_list, boto3_list = r["listing_api"], r["listing_boto3"]
    errors = sum(api_list["errors"].values())
    parts = [
        f"Machine: {before['nproc']} CPUs ({before['cpu_model']}), {mib(before['mem_total_kib']) / 1024:.1f} GiB RAM, "
        f"Linux {before['kernel']}. Load average (1, 5, 15 min) before: {before['loadavg']}, "
        f"after: {after['loadavg']}. Run time {r['duration_s']:.0f} s.",
        "",
        table(["measure", "aws-hybrid", "peer", "peer value", "ratio", "target"], result_rows(r)),
        "",
        "CPU during the measured listing windows (cores kept busy; CPU ms per request):",
        "",
        table(["run", "machine busy", "moto", "aws-hybrid", "load client", "other", "moto ms/req",
               "aws-hybrid ms/req", "client ms/req"], cpu_rows(r)),
        "",
        f"Listing checks: {r['instances_listed']} instances per answer; wrk errors {api_list['errors']} "
        f"({errors} total); boto3 errors {boto3_list['errors']}, instances per answer "
        f"{boto3_list['instances_per_response']}.",
    ]
    return "\n".join(parts)


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: report.py RESULTS.json")
    with open(sys.argv[1]) as handle:
        print(render(json.load(handle)))


if __name__ == "__main__":
    main()
