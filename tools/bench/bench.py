"""Measure aws-hybrid-api against its peers on a harness started by tools/harness/up.sh.

tools/bench/run.sh builds the binary, brings up the harness and runs this with
the harness venv's python. The phases, in order:

1. start to ready: exec of aws-hybrid-api to the first 200 on /healthcheck,
   and the startup_ms it logs; peer: Keystone under uWSGI, exec to the first
   200 on GET /v3.
2. memory: VmRSS and PSS of aws-hybrid-api idle after start, after load, and
   its peak (VmHWM); peer: Keystone.
3. GET /v1/instances with a cached token under wrk; peer: the same
   DescribeInstances straight to moto with boto3 (boto3_list.py).
4. the first request with a token aws-hybrid has not validated yet, on a
   route that authenticates and then returns 404 without calling AWS; peer:
   Keystone's own GET /v3/auth/tokens for another fresh token.

Results go to --output as JSON, and report.py renders them as Markdown.
Tokens and passwords are never printed or written outside the 600-mode state
directory: wrk gets its token through an environment variable.
"""

import argparse
import configparser
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procinfo  # noqa: E402
import report  # noqa: E402
import services  # noqa: E402
from services import Connection, ManagedProcess  # noqa: E402
from stats import latency_summary_ms  # noqa: E402

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
TOOLS_DIR = os.path.dirname(BENCH_DIR)
HARNESS_DIR = os.path.join(TOOLS_DIR, "harness")
DOMAIN = "Default"
# POST /v1/instances accepts at most this many instances per request.
MAX_LAUNCH_COUNT = 20
# An unknown route: the middleware validates the token, then the fallback returns 404.
AUTH_ONLY_PATH = "/v1/nothing-here"
LAUNCH_BODY = {"image_id": "ami-12c6146b", "instance_type": "t3.micro"}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", required=True, help="harness state directory (env.json, aws-hybrid.conf)")
    parser.add_argument("--binary", required=True, help="path of the aws-hybrid-api release binary")
    parser.add_argument("--output", required=True, help="JSON file for the results")
    parser.add_argument("--keystone-peer-port", type=int, required=True,
                        help="free 127.0.0.1 port for the Keystone started as the start-up peer")
    parser.add_argument("--starts", type=int, default=15, help="measured aws-hybrid-api starts (default 15)")
    parser.add_argument("--keystone-starts", type=int, default=3, help="measured Keystone starts (default 3)")
    parser.add_argument("--instances", type=int, default=50, help="instances launched before listing (default 50)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections or threads (default 64)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of each measured listing run (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before each listing run (default 3)")
    parser.add_argument("--tokens", type=int, default=40, help="fresh tokens per side in the validation test (default 40)")
    return parser.parse_args()


class Bench:
    def __init__(self, args):
        self.args = args
        self.state_dir = os.path.abspath(args.state_dir)
        self.pid_dir = os.path.join(self.state_dir, "pids")
        self.log_dir = os.path.join(self.state_dir, "logs")
        with open(os.path.join(self.state_dir, "env.json")) as handle:
            self.env = json.load(handle)
        self.keystone_url = self.env["keystone_url"]
        self.keystone_port = services.check_loopback_url(self.keystone_url)[1]
        services.check_loopback_url(self.env["moto_url"])
        self.api_port = int(self.env["api_port"])
        self.project = self.env["projects"]["alpha"]
        self.config_files = self._config_files()
        self.region = self._project_region()
        self.results = {"parameters": {k: v for k, v in vars(args).items() if k not in ("state_dir", "output")}}
        self.api = None

    # Set-up

    def _config_files(self):
        """Return the harness service config plus an override with info-level logging on loopback."""
        service_conf = os.path.join(self.state_dir, "aws-hybrid.conf")
        parser = configparser.RawConfigParser()
        parser.read(service_conf)
        services.check_loopback_url(parser.get("aws", "endpoint_url"))
        services.check_loopback_url(parser.get("keystone_authtoken", "auth_url"))
        override = os.path.join(self.state_dir, "bench-override.conf")
        # The harness config sets debug = true for the tests. A deployment logs at info
        # level, which still writes one line per request.
        with open(override, "w") as handle:
            handle.write(f"[DEFAULT]\ndebug = false\n\n[api]\nbind_host = 127.0.0.1\nbind_port = {self.api_port}\n")
        return [service_conf, override]

    def _project_region(self):
        parser = configparser.RawConfigParser()
        parser.read(os.path.join(self.state_dir, "tenants.conf"))
        return parser.get(f"project:{self.project['id']}", "region")

    def api_command(self):
        command = [self.args.binary]
        for path in self.config_files:
            command += ["--config-file", path]
        return command

    def start_api(self, name, log_name):
        log_path = os.path.join(self.log_dir, log_name)
        process = ManagedProcess(name, self.api_command(), self.api_port, log_path, self.pid_dir)
        ready_at = services.wait_for_status(self.api_port, "/healthcheck", 200, process.process, timeout=30)
        return process, ready_at

    # Phase 1 and 2: start-up and memory

    def measure_api_starts(self):
        samples = []
        for index in range(self.args.starts + 1):
            process, ready_at = self.start_api("bench-start", f"aws-hybrid-api-start-{index}.log")
            try:
                memory = procinfo.tree_memory_kib(process.pid)
                startup_ms = services.read_startup_ms(process.log_path)
            finally:
                process.stop()
            sample = {"ready_ms": (ready_at - process.started_at) * 1000.0, "startup_ms": startup_ms,
                      "vm_rss_kib": memory["vm_rss_kib"], "pss_kib": memory["pss_kib"]}
            # The first start reads the binary and libraries from disk if they are not cached.
            if index == 0:
                self.results["api_start_warmup"] = sample
            else:
                samples.append(sample)
        self.results["api_starts"] = {
            "samples": samples,
            "ready_ms_median": statistics.median(s["ready_ms"] for s in samples),
            "ready_ms_min": min(s["ready_ms"] for s in samples),
            "ready_ms_max": max(s["ready_ms"] for s in samples),
            "startup_ms_median": statistics.median(s["startup_ms"] for s in samples),
            "vm_rss_kib_median": statistics.median(s["vm_rss_kib"] for s in samples),
        }

    def measure_keystone_starts(self):
        port = self.args.keystone_peer_port
        conf_dir = os.path.join(self.state_dir, "bench-keystone")
        os.makedirs(conf_dir, exist_ok=True)
        shutil.copy(os.path.join(self.state_dir, "keystone", "keystone.conf"), conf_dir)
        command = services.keystone_uwsgi_command(HARNESS_DIR, self.env["venv"], port, conf_dir)
        samples = []
        for index in range(self.args.keystone_starts):
            log_path = os.path.join(self.log_dir, f"keystone-peer-start-{index}.log")
            process = ManagedProcess("bench-keystone", command, port, log_path, self.pid_dir)
            try:
                ready_at = services.wait_for_status(port, "/v3", 200, process.process, timeout=120, poll_interval=0.005)
                memory = procinfo.tree_memory_kib(process.pid)
            finally:
                process.stop()
            samples.append({"ready_ms": (ready_at - process.started_at) * 1000.0, **memory})
        self.results["keystone_starts"] = {
            "samples": samples,
            "ready_ms_median": statistics.median(s["ready_ms"] for s in samples),
            "vm_rss_kib_median": statistics.median(s["vm_rss_kib"] for s in samples),
            "pss_kib_median": statistics.median(s["pss_kib"] for s in samples),
        }

    def start_main_api(self):
        self.api, ready_at = self.start_api("bench-aws-hybrid-api", "aws-hybrid-api.log")
        self.results["main_api_ready_ms"] = (ready_at - self.api.started_at) * 1000.0
        # Idle: two seconds after the first 200 on /healthcheck, before any authenticated request.
        time.sleep(2.0)
        self.results["api_memory_idle"] = procinfo.tree_memory_kib(self.api.pid)

    # Keystone tokens

    def issue_token(self, connection, username, password, scope):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": username, "domain": {"name": DOMAIN}, "password": password}}},
            "scope": scope,
        }}
        status, headers, _, elapsed = connection.request(
            "POST", "/v3/auth/tokens?nocatalog", headers={"Content-Type": "application/json"},
            body=json.dumps(body))
        if status != 201:
            raise RuntimeError(f"Keystone returned HTTP {status} when issuing a token for {username}")
        return headers["X-Subject-Token"], elapsed

    def member_token(self, connection):
        member = self.project["member"]
        return self.issue_token(connection, member["username"], member["password"],
                                {"project": {"id": self.project["id"]}})

    # Phase 3: listing

    def launch_instances(self, token):
        api = Connection(self.api_port)
        remaining = self.args.instances
        while remaining > 0:
            count = min(remaining, MAX_LAUNCH_COUNT)
            body = json.dumps({"instance": {**LAUNCH_BODY, "count": count}})
            status, _, data, _ = api.request("POST", "/v1/instances", headers={
                "X-Auth-Token": token, "Content-Type": "application/json"}, body=body)
            if status != 202:
                raise RuntimeError(f"POST /v1/instances returned HTTP {status}: {data[:300]!r}")
            remaining -= count
        status, _, data, _ = api.request("GET", "/v1/instances", headers={"X-Auth-Token": token})
        api.close()
        listed = len(json.loads(data)["instances"]) if status == 200 else None
        if listed != self.args.instances:
            raise RuntimeError(f"GET /v1/instances returned HTTP {status} with {listed} instances, "
                               f"expected {self.args.instances}")
        self.results["instances_listed"] = listed

    def cpu_snapshot(self):
        return {
            "wall": time.monotonic(),
            "aws-hybrid-api": procinfo.cpu_seconds(self.api.pid),
            "moto": procinfo.tree_cpu_seconds(self.moto_pid),
            "keystone": procinfo.tree_cpu_seconds(self.keystone_pid),
            "system": procinfo.system_cpu_ticks(),
            "children": _children_cpu(),
            "self": _self_cpu(),
        }

    def cpu_window(self, before, after, client_cpu=None):
        """Return the CPU cores each party kept busy between two snapshots.

        other is the machine's busy time not used by these processes, the load
        generator or this script (for example a build running beside the bench).
        """
        wall = after["wall"] - before["wall"]
        busy = (after["system"][0] - before["system"][0]) / procinfo.CLOCK_TICKS
        if client_cpu is None:
            client_cpu = after["children"] - before["children"]
        used = {name: after[name] - before[name] for name in ("aws-hybrid-api", "moto", "keystone", "self")}
        used["client"] = client_cpu
        cores = {name: value / wall for name, value in used.items()}
        cores["machine_busy"] = busy / wall
        cores["other"] = (busy - sum(used.values())) / wall
        return {"wall_s": wall, "cores": cores, "cpu_s": used}

    def run_wrk(self, token, duration):
        threads = min(os.cpu_count() or 1, self.args.connections)
        command = ["wrk", f"-t{threads}", f"-c{self.args.connections}", f"-d{duration}s", "--timeout", "60s",
                   "-s", os.path.join(BENCH_DIR, "wrk_report.lua"),
                   f"http://127.0.0.1:{self.api_port}/v1/instances"]
        env = dict(os.environ, BENCH_AUTH_TOKEN=token)
        output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
        match = re.search(r"^BENCH_JSON (.*)$", output, re.MULTILINE)
        if not match:
            raise RuntimeError(f"wrk printed no BENCH_JSON line; its output:\n{output}")
        result = json.loads(match.group(1))
        seconds = result["duration_us"] / 1e6
        return {
            "threads": threads,
            "connections": self.args.connections,
            "duration_s": seconds,
            "requests": result["requests"],
            "requests_per_s": result["requests"] / seconds,
            "errors": result["errors"],
            "latency_ms": {key: value / 1000.0 for key, value in result["latency_us"].items()},
        }

    def measure_api_listing(self, token):
        warmup = self.run_wrk(token, self.args.warmup)
        before = self.cpu_snapshot()
        measured = self.run_wrk(token, self.args.duration)
        after = self.cpu_snapshot()
        measured["warmup_requests"] = warmup["requests"]
        measured["warmup_errors"] = warmup["errors"]
        measured["cpu"] = self.cpu_window(before, after)
        self.results["listing_api"] = measured
        self.results["api_memory_after_listing"] = procinfo.tree_memory_kib(self.api.pid)

    def measure_boto3_listing(self):
        command = [sys.executable, os.path.join(BENCH_DIR, "boto3_list.py"), "--state-dir", self.state_dir,
                   "--project", "alpha", "--region", self.region, "--threads", str(self.args.connections),
                   "--warmup", str(self.args.warmup), "--duration", str(self.args.duration)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        before = None
        lines = []
        for line in process.stdout:
            if line.strip() == "window-start" and before is None:
                before = self.cpu_snapshot()
            else:
                lines.append(line)
        after = self.cpu_snapshot()
        if process.wait() != 0 or before is None:
            raise RuntimeError(f"boto3_list.py failed with status {process.returncode}")
        result = json.loads(lines[-1])
        result["cpu"] = self.cpu_window(before, after, client_cpu=result["client_cpu_s"])
        self.results["listing_boto3"] = result

    # Phase 4: cold token validation

    def measure_token_validation(self, keystone, member_token):
        count = self.args.tokens
        service = self.env["service_user"]
        service_token, _ = self.issue_token(keystone, service["username"], service["password"],
                                            {"project": {"name": service["project_name"], "domain": {"name": DOMAIN}}})
        issued = [self.member_token(keystone) for _ in range(2 * count + 1)]
        fresh = [token for token, _ in issued]
        api = Connection(self.api_port)

        def via_api(token):
            status, _, _, elapsed = api.request("GET", AUTH_ONLY_PATH, headers={"X-Auth-Token": token})
            if status != 404:
                raise RuntimeError(f"GET {AUTH_ONLY_PATH} returned HTTP {status}, expected 404 after authentication")
            return elapsed

        def via_keystone(token):
            status, _, _, elapsed = keystone.request("GET", "/v3/auth/tokens?nocatalog", headers={
                "X-Auth-Token": service_token, "X-Subject-Token": token})
            if status != 200:
                raise RuntimeError(f"Keystone token validation returned HTTP {status}, expected 200")
            return elapsed

        # The first validation also makes aws-hybrid obtain its own service token; keep it out.
        via_api(fresh[0])
        direct, through_api = [], []
        for index in range(count):
            keystone_token, api_token = fresh[1 + 2 * index], fresh[2 + 2 * index]
            # Alternate the order so neither side always follows the other.
            if index % 2 == 0:
                direct.append(via_keystone(keystone_token))
                through_api.append(via_api(api_token))
            else:
                through_api.append(via_api(api_token))
                direct.append(via_keystone(keystone_token))
        # Context: the same route with a token already in aws-hybrid's cache, and
        # Keystone's cheapest route (the version document).
        cached = [via_api(member_token) for _ in range(count)]
        keystone_root = []
        for _ in range(count):
            status, _, _, elapsed = keystone.request("GET", "/v3")
            if status != 200:
                raise RuntimeError(f"Keystone GET /v3 returned HTTP {status}")
            keystone_root.append(elapsed)
        api.close()
        self.results["token_validation"] = {
            "tokens_per_side": count,
            "keystone_direct_ms": latency_summary_ms(direct),
            "api_fresh_token_ms": latency_summary_ms(through_api),
            "api_cached_token_ms": latency_summary_ms(cached),
            "keystone_version_ms": latency_summary_ms(keystone_root),
            "token_issue_ms": latency_summary_ms([elapsed for _, elapsed in issued]),
            "client_connects": {"aws-hybrid": api.connects, "keystone": keystone.connects},
        }

    # Whole run

    def run(self):
        self.moto_pid = int(open(os.path.join(self.pid_dir, "moto.pid")).read())
        self.keystone_pid = int(open(os.path.join(self.pid_dir, "keystone.pid")).read())
        self.results["machine_before"] = procinfo.machine()
        self.results["started_unix"] = time.time()
        _say(f"start to ready: {self.args.starts} measured aws-hybrid-api starts after one warm-up start")
        self.measure_api_starts()
        _say(f"start to ready: {self.args.keystone_starts} Keystone (uWSGI) starts on port {self.args.keystone_peer_port}")
        self.measure_keystone_starts()
        _say("starting the aws-hybrid-api instance for the load phases")
        self.start_main_api()
        keystone = Connection(self.keystone_port)
        try:
            member_token, _ = self.member_token(keystone)
            _say(f"launching {self.args.instances} instances through POST /v1/instances")
            self.launch_instances(member_token)
            _say(f"GET /v1/instances: {self.args.connections} connections, {self.args.warmup:g} s warm-up, "
                 f"{self.args.duration:g} s measured (wrk)")
            self.measure_api_listing(member_token)
            _say(f"DescribeInstances straight to moto: {self.args.connections} boto3 threads, same durations")
            self.measure_boto3_listing()
            _say(f"token validation: {self.args.tokens} fresh tokens per side")
            self.measure_token_validation(keystone, member_token)
        finally:
            keystone.close()
        self.results["api_memory_end"] = procinfo.tree_memory_kib(self.api.pid)
        self.results["keystone_memory_end"] = procinfo.tree_memory_kib(self.keystone_pid)
        self.results["machine_after"] = procinfo.machine()
        self.results["duration_s"] = time.time() - self.results["started_unix"]

    def stop(self):
        if self.api is not None:
            self.api.stop()


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _say(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main():
    args = parse_args()
    bench = Bench(args)
    try:
        bench.run()
    finally:
        bench.stop()
    with open(args.output, "w") as handle:
        json.dump(bench.results, handle, indent=2)
        handle.write("\n")
    print(report.render(bench.results))


if __name__ == "__main__":
    main()
