"""Measure aws-hybrid-api against its peers on a harness started by tools/harness/up.sh.

tools/bench/run.sh builds the binary, brings up the harness and runs this with
the harness venv's python. The phases, in order:

1. start to ready: exec of aws-hybrid-api to the first 200 on /healthcheck,
   and the startup_ms it logs. Peer: Keystone under uWSGI, exec to the first
   200 on GET /v3.
2. memory: VmRSS and PSS of aws-hybrid-api idle after start, after load, and
   its peak (VmHWM). Peer: Keystone.
3. GET /v1/instances with a cached token under wrk (listing.py). Peer: the
   same DescribeInstances straight to moto with boto3 (boto3_list.py), at
   the same concurrency, and again with one connection.
4. the first request with a token aws-hybrid has not validated yet
   (tokens.py). Peer: Keystone's own GET /v3/auth/tokens for another fresh
   token.

Results go to --output as JSON, and report.py renders them as Markdown.
Tokens and passwords are never printed, and wrk gets its token through an
environment variable.
"""

import argparse
import configparser
import json
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procinfo  # noqa: E402
import report  # noqa: E402
import services  # noqa: E402
import tokens  # noqa: E402
from listing import Listing  # noqa: E402
from services import Connection, ManagedProcess  # noqa: E402

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
TOOLS_DIR = os.path.dirname(BENCH_DIR)
HARNESS_DIR = os.path.join(TOOLS_DIR, "harness")
# POST /v1/instances accepts at most this many instances per request.
MAX_LAUNCH_COUNT = 20
LAUNCH_BODY = {"image_id": "ami-12c6146b", "instance_type": "t3.micro"}
# Seconds between the first 200 on /healthcheck and the idle memory reading.
IDLE_SETTLE_S = 2.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--state-dir", required=True, help="harness state directory (env.json, aws-hybrid.conf)"
    )
    parser.add_argument("--binary", required=True, help="path of the aws-hybrid-api release binary")
    parser.add_argument("--output", required=True, help="JSON file for the results")
    parser.add_argument(
        "--revision", default="", help="source revision to record, e.g. a commit id"
    )

    parser.add_argument(
        "--keystone-peer-port",
        type=int,
        required=True,
        help="free 127.0.0.1 port for the Keystone started as the peer",
    )
    parser.add_argument(
        "--starts", type=int, default=15, help="measured aws-hybrid-api starts (default 15)"
    )
    parser.add_argument(
        "--keystone-starts", type=int, default=3, help="measured Keystone starts (default 3)"
    )

    parser.add_argument(
        "--instances", type=int, default=50, help="instances launched before listing (default 50)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=64,
        help="concurrent connections and boto3 threads (default 64)",
    )
    # Whole seconds, because wrk's -d option takes no fractions.
    parser.add_argument(
        "--duration",
        type=int,
        default=20,
        help="seconds of each measured run at --connections (default 20)",
    )
    parser.add_argument(
        "--single-duration",
        type=int,
        default=10,
        help="seconds of each measured run with one connection, 0 to skip (default 10)",
    )
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of load before each listing run (default 3)"
    )

    parser.add_argument(
        "--tokens",
        type=int,
        default=40,
        help="fresh tokens per side in the validation test (default 40)",
    )
    return parser.parse_args()


class Bench:
    def __init__(self, args):
        self.args = args
        self.state_dir = os.path.abspath(args.state_dir)
        self.pid_dir = os.path.join(self.state_dir, "pids")
        self.log_dir = os.path.join(self.state_dir, "logs")
        with open(os.path.join(self.state_dir, "env.json")) as handle:
            self.env = json.load(handle)
        self.keystone_port = services.check_loopback_url(self.env["keystone_url"])[1]
        services.check_loopback_url(self.env["moto_url"])
        self.api_port = int(self.env["api_port"])
        self.project = self.env["projects"]["alpha"]
        self.config_files = self._config_files()
        self.region = self._project_region()
        self.moto_pid = self._recorded_pid("moto")
        self.keystone_pid = self._recorded_pid("keystone")
        self.results = {
            "parameters": {k: v for k, v in vars(args).items() if k not in ("state_dir", "output")}
        }
        self.api = None
        self.keystone_peer = None

    def _recorded_pid(self, name):
        with open(os.path.join(self.pid_dir, f"{name}.pid")) as handle:
            return int(handle.read())

    def _config_files(self):
        """Return the harness service config and an override: info-level logs, loopback bind."""
        service_conf = os.path.join(self.state_dir, "aws-hybrid.conf")
        parser = configparser.RawConfigParser()
        parser.read(service_conf)
        services.check_loopback_url(parser.get("aws", "endpoint_url"))
        services.check_loopback_url(parser.get("keystone_authtoken", "auth_url"))
        override = os.path.join(self.state_dir, "bench-override.conf")
        # The harness config sets debug = true for the tests. A deployment logs at info
        # level, which still writes one line per request.
        with open(override, "w") as handle:
            handle.write(
                f"[DEFAULT]\ndebug = false\n\n[api]\nbind_host = 127.0.0.1\nbind_port = {self.api_port}\n"
            )
        return [service_conf, override]

    def _project_region(self):
        parser = configparser.RawConfigParser()
        parser.read(os.path.join(self.state_dir, "tenants.conf"))
        return parser.get(f"project:{self.project['id']}", "region")

    def start_api(self, name, log_name):
        command = [self.args.binary]
        for path in self.config_files:
            command += ["--config-file", path]
        process = ManagedProcess(
            name, command, self.api_port, os.path.join(self.log_dir, log_name), self.pid_dir
        )
        ready_at = services.wait_for_status(
            self.api_port, "/healthcheck", 200, process.process, timeout=30
        )
        return process, ready_at

    # Phases 1 and 2: start-up and memory

    def measure_api_starts(self):
        samples = []
        for index in range(self.args.starts + 1):
            process, ready_at = self.start_api("bench-start", f"aws-hybrid-api-start-{index}.log")
            try:
                memory = procinfo.tree_memory_kib(process.pid)
                startup_ms = services.read_startup_ms(process.log_path, process.log_offset)
            finally:
                process.stop()
            sample = {
                "ready_ms": (ready_at - process.started_at) * 1000.0,
                "startup_ms": startup_ms,
                "vm_rss_kib": memory["vm_rss_kib"],
                "pss_kib": memory["pss_kib"],
            }
            # The first start may read the binary and libraries from disk.
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
        """Start the peer Keystone --keystone-starts times, and keep the last one for phase 4."""
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
                ready_at = services.wait_for_status(
                    port, "/v3", 200, process.process, timeout=120, poll_interval=0.005
                )
                memory = procinfo.tree_memory_kib(process.pid)
            except BaseException:
                process.stop()
                raise
            samples.append({"ready_ms": (ready_at - process.started_at) * 1000.0, **memory})
            if index + 1 < self.args.keystone_starts:
                process.stop()
            else:
                self.keystone_peer = process
        self.results["keystone_starts"] = {
            "samples": samples,
            "ready_ms_median": statistics.median(s["ready_ms"] for s in samples),
            "vm_rss_kib_median": statistics.median(s["vm_rss_kib"] for s in samples),
            "pss_kib_median": statistics.median(s["pss_kib"] for s in samples),
        }

    def start_main_api(self):
        self.api, ready_at = self.start_api("bench-aws-hybrid-api", "aws-hybrid-api.log")
        self.results["main_api_ready_ms"] = (ready_at - self.api.started_at) * 1000.0
        # Idle means that only the readiness probes on /healthcheck have reached it.
        time.sleep(IDLE_SETTLE_S)
        self.results["api_memory_idle"] = procinfo.tree_memory_kib(self.api.pid)

    # Phase 3: listing

    def list_instances(self, api, token):
        status, _, data, _ = api.request("GET", "/v1/instances", headers={"X-Auth-Token": token})
        if status != 200:
            raise RuntimeError(f"GET /v1/instances returned HTTP {status}: {data[:300]!r}")
        return len(json.loads(data)["instances"])

    def launch_instances(self, token):
        """Launch instances until the project has --instances of them (a fresh harness has none)."""
        api = Connection(self.api_port)
        remaining = self.args.instances - self.list_instances(api, token)
        while remaining > 0:
            count = min(remaining, MAX_LAUNCH_COUNT)
            body = json.dumps({"instance": {**LAUNCH_BODY, "count": count}})
            status, _, data, _ = api.request(
                "POST",
                "/v1/instances",
                headers={"X-Auth-Token": token, "Content-Type": "application/json"},
                body=body,
            )
            if status != 202:
                raise RuntimeError(f"POST /v1/instances returned HTTP {status}: {data[:300]!r}")
            remaining -= count
        listed = self.list_instances(api, token)
        api.close()
        if listed != self.args.instances:
            raise RuntimeError(
                f"GET /v1/instances returned {listed} instances, expected {self.args.instances}"
            )
        self.results["instances_listed"] = listed

    def measure_listing(self, token):
        listing = Listing(
            self.api_port,
            token,
            {"aws-hybrid-api": self.api.pid, "moto": self.moto_pid, "keystone": self.keystone_pid},
            os.path.join(self.log_dir, "moto.log"),
            self.state_dir,
            self.region,
        )
        runs = [("concurrent", self.args.connections, self.args.duration)]
        if self.args.single_duration > 0:
            runs.append(("single", 1, self.args.single_duration))
        for name, connections, duration in runs:
            _say(
                f"GET /v1/instances with wrk: {connections} connection(s), {self.args.warmup} s warm-up, "
                f"{duration} s measured"
            )
            self.results[f"listing_api_{name}"] = listing.measure_api(
                connections, self.args.warmup, duration
            )
            if name == "concurrent":
                self.results["api_memory_after_listing"] = procinfo.tree_memory_kib(self.api.pid)
            _say(
                f"DescribeInstances straight to moto with boto3: {connections} thread(s), same durations"
            )
            self.results[f"listing_boto3_{name}"] = listing.measure_boto3(
                connections, self.args.warmup, duration
            )

    # Whole run

    def run(self):
        self.results["revision"] = self.args.revision
        self.results["machine_before"] = procinfo.machine()
        self.results["started_unix"] = time.time()
        _say(
            f"start to ready: {self.args.starts} measured aws-hybrid-api starts after one warm-up start"
        )
        self.measure_api_starts()
        _say(
            f"start to ready: {self.args.keystone_starts} Keystone (uWSGI) starts on port "
            f"{self.args.keystone_peer_port}"
        )
        self.measure_keystone_starts()

        _say("starting the aws-hybrid-api instance for the load phases")
        self.start_main_api()
        keystone = Connection(self.keystone_port)
        member_token, _ = tokens.issue_member_token(keystone, self.project)
        # The harness Keystone serves one keep-alive connection at a time, so free it for aws-hybrid.
        keystone.close()
        _say(f"launching {self.args.instances} instances through POST /v1/instances")
        self.launch_instances(member_token)
        self.measure_listing(member_token)

        _say(f"token validation: {self.args.tokens} fresh tokens per side")
        self.results["token_validation"] = tokens.measure(
            self.api_port,
            self.keystone_port,
            self.args.keystone_peer_port,
            self.env,
            self.project,
            self.args.tokens,
            member_token,
        )

        self.results["api_memory_end"] = procinfo.tree_memory_kib(self.api.pid)
        self.results["keystone_memory_end"] = procinfo.tree_memory_kib(self.keystone_pid)
        self.results["machine_after"] = procinfo.machine()
        self.results["duration_s"] = time.time() - self.results["started_unix"]

    def stop(self):
        for process in (self.api, self.keystone_peer):
            if process is not None:
                process.stop()


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
