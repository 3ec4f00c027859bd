"""The listing benchmark: GET /v1/instances under wrk, beside boto3 DescribeInstances to moto.

Each run records the requests, latency percentiles, the CPU each process used
in the measured window and the DescribeInstances calls moto logged in it.
aws-hybrid shares one DescribeInstances walk among the identical lists that
arrive while it runs, so under concurrency it sends moto far fewer calls than
the requests it serves. The moto call count shows how many fewer.
"""

import json
import os
import re
import resource
import subprocess
import sys
import time

import procinfo

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
# werkzeug's access-log line for an AWS query API call. Every EC2 call is a POST to /.
MOTO_CALL = re.compile(rb'"POST / HTTP/1\.1" \d{3}')


class Listing:
    """Runs the listing comparison for one concurrency.

    pids maps a name (aws-hybrid-api, moto, keystone) to the PID whose process
    tree CPU time is counted.
    """

    def __init__(self, api_port, token, pids, moto_log, state_dir, region):
        self.api_port = api_port
        self.token = token
        self.pids = pids
        self.moto_log = moto_log
        self.state_dir = state_dir
        self.region = region

    def cpu_snapshot(self):
        snapshot = {name: procinfo.tree_cpu_seconds(pid) for name, pid in self.pids.items()}
        snapshot.update(
            wall=time.monotonic(),
            system=procinfo.system_cpu_ticks(),
            children=_children_cpu(),
            bench=_self_cpu(),
            moto_log_size=os.path.getsize(self.moto_log),
        )
        return snapshot

    def window(self, before, after, client_cpu=None):
        """Return the cores each party kept busy between two snapshots and moto's call count.

        other is the machine's busy time that none of these processes, the load
        generator or bench.py used, such as a build running beside the bench.
        """
        wall = after["wall"] - before["wall"]
        busy = (after["system"][0] - before["system"][0]) / procinfo.CLOCK_TICKS
        if client_cpu is None:
            client_cpu = after["children"] - before["children"]
        used = {name: after[name] - before[name] for name in (*self.pids, "bench")}
        used["client"] = client_cpu
        cores = {name: value / wall for name, value in used.items()}
        cores["machine_busy"] = busy / wall
        cores["other"] = (busy - sum(used.values())) / wall
        return {
            "wall_s": wall,
            "cores": cores,
            "cpu_s": used,
            "moto_calls": self._moto_calls(before["moto_log_size"], after["moto_log_size"]),
        }

    def _moto_calls(self, start, end):
        with open(self.moto_log, "rb") as handle:
            handle.seek(start)
            return len(MOTO_CALL.findall(handle.read(end - start)))

    def run_wrk(self, connections, duration):
        return run_wrk(self.api_port, "/v1/instances", self.token, connections, duration)

    def measure_api(self, connections, warmup, duration):
        warm = self.run_wrk(connections, warmup)
        before = self.cpu_snapshot()
        measured = self.run_wrk(connections, duration)
        after = self.cpu_snapshot()
        measured["warmup_requests"] = warm["requests"]
        measured["warmup_errors"] = warm["errors"]
        measured["cpu"] = self.window(before, after)
        return measured

    def measure_boto3(self, threads, warmup, duration):
        command = [
            sys.executable,
            os.path.join(BENCH_DIR, "boto3_list.py"),
            "--state-dir",
            self.state_dir,
            "--project",
            "alpha",
            "--region",
            self.region,
            "--threads",
            str(threads),
            "--warmup",
            str(warmup),
            "--duration",
            str(duration),
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        before = after = None
        lines = []
        for line in process.stdout:
            if line.strip() == "window-start":
                before = self.cpu_snapshot()
            elif line.strip() == "window-end":
                after = self.cpu_snapshot()
            else:
                lines.append(line)
        if process.wait() != 0 or before is None or after is None or not lines:
            raise RuntimeError(f"boto3_list.py failed with status {process.returncode}")
        result = json.loads(lines[-1])
        result["cpu"] = self.window(before, after, client_cpu=result["client_cpu_s"])
        return result


def run_wrk(port, path, token, connections, duration):
    """Run wrk against GET path on 127.0.0.1:port with the token, and return its totals.

    Returns the threads, connections, measured seconds, requests, requests/s, wrk's
    error counts and latency percentiles in ms. Raises RuntimeError when wrk fails.
    """
    threads = min(os.cpu_count() or 1, connections)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "60s",
        "-s",
        os.path.join(BENCH_DIR, "wrk_report.lua"),
        f"http://127.0.0.1:{port}{path}",
    ]
    env = dict(os.environ, BENCH_AUTH_TOKEN=token)
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    match = re.search(r"^BENCH_JSON (.*)$", completed.stdout, re.MULTILINE)
    if completed.returncode != 0 or not match:
        raise RuntimeError(
            f"wrk failed with status {completed.returncode}. Its output:\n"
            f"{completed.stdout}{completed.stderr}"
        )
    result = json.loads(match.group(1))
    seconds = result["duration_us"] / 1e6
    return {
        "threads": threads,
        "connections": connections,
        "duration_s": seconds,
        "requests": result["requests"],
        "requests_per_s": result["requests"] / seconds,
        "errors": result["errors"],
        "latency_ms": {key: value / 1000.0 for key, value in result["latency_us"].items()},
    }


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
