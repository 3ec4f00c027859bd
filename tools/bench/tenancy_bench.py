"""Measure policy evaluation, policy cost per request and role session caching of aws-hybrid.

tools/bench/run-tenancy.sh builds the binary and the policy example, brings up the
harness and runs this with the harness venv's python. The phases, in order:

1. ns per enforce call of aws-hybrid's policy engine (crates/policy, release-built
   example) beside oslo.policy's Enforcer.enforce, with the same rules, creds and
   target (policy_eval.py).
2. requests/s of a route the service serves from memory, with the default policy
   and with every rule set to "@" (policy_throughput.py).
3. a request of a project mapped to an IAM role, with the role session cached,
   beside a direct AssumeRole call to the emulator, and the number of AssumeRole
   calls the emulator saw from the service (role_sessions.py).

Results go to --output as JSON, and tenancy_report.py renders them as Markdown.
Tokens, passwords and AWS keys are never printed.
"""

import argparse
import configparser
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policy_eval  # noqa: E402
import policy_throughput  # noqa: E402
import procinfo  # noqa: E402
import role_sessions  # noqa: E402
import services  # noqa: E402
import tenancy_report  # noqa: E402
import tokens  # noqa: E402
from services import Connection, ManagedProcess  # noqa: E402

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
TOOLS_DIR = os.path.dirname(BENCH_DIR)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--state-dir", required=True, help="harness state directory (env.json, aws-hybrid.conf)"
    )
    parser.add_argument("--binary", required=True, help="path of the aws-hybrid-api release binary")
    parser.add_argument(
        "--policy-example", required=True, help="path of the release-built enforce_bench example"
    )
    parser.add_argument("--output", required=True, help="JSON file for the results")
    parser.add_argument("--revision", default="", help="source revision to record, e.g. a commit id")

    parser.add_argument(
        "--policy-rounds",
        type=int,
        default=7,
        help="timed batches per case and side in the policy evaluation test (default 7)",
    )
    parser.add_argument(
        "--rust-iterations",
        type=int,
        default=policy_eval.DEFAULT_RUST_ITERATIONS,
        help=f"enforce calls per Rust batch (default {policy_eval.DEFAULT_RUST_ITERATIONS})",
    )
    parser.add_argument(
        "--python-iterations",
        type=int,
        default=policy_eval.DEFAULT_PYTHON_ITERATIONS,
        help=f"enforce calls per oslo.policy batch (default {policy_eval.DEFAULT_PYTHON_ITERATIONS})",
    )

    parser.add_argument(
        "--throughput-rounds",
        type=int,
        default=5,
        help="runs of each policy mode in the throughput test (default 5)",
    )
    parser.add_argument(
        "--connections", type=int, default=64, help="wrk connections (default 64)"
    )
    # Whole seconds, because wrk's -d option takes no fractions.
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds of each measured wrk run (default 10)"
    )
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of load before each wrk run (default 2)"
    )

    parser.add_argument(
        "--role-requests",
        type=int,
        default=200,
        help="measured requests per user, and direct AssumeRole calls, in the role test (default 200)",
    )
    args = parser.parse_args()
    for name in ("policy_rounds", "rust_iterations", "python_iterations", "throughput_rounds",
                 "connections", "duration", "warmup", "role_requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


class ApiLauncher:
    """Starts aws-hybrid-api with the harness config, a bench override and extra config files."""

    def __init__(self, binary, state_dir, port):
        self.binary = binary
        self.state_dir = state_dir
        self.port = port
        self.pid_dir = os.path.join(state_dir, "pids")
        self.log_dir = os.path.join(state_dir, "logs")
        service_conf = os.path.join(state_dir, "aws-hybrid.conf")
        parser = configparser.RawConfigParser()
        parser.read(service_conf)
        services.check_loopback_url(parser.get("aws", "endpoint_url"))
        services.check_loopback_url(parser.get("keystone_authtoken", "auth_url"))
        override = os.path.join(state_dir, "bench-override.conf")
        # The harness config sets debug = true for the tests. A deployment logs at info
        # level, which still writes one line per request.
        with open(override, "w") as handle:
            handle.write(
                f"[DEFAULT]\ndebug = false\n\n[api]\nbind_host = 127.0.0.1\nbind_port = {port}\n"
            )
        self.config_files = [service_conf, override]

    def start(self, name, log_name, extra_config_files):
        """Start the service, wait for 200 on /healthcheck and return its ManagedProcess.

        Later config files override earlier ones, so extra_config_files win.
        """
        command = [self.binary]
        for path in self.config_files + list(extra_config_files):
            command += ["--config-file", path]
        process = ManagedProcess(
            name, command, self.port, os.path.join(self.log_dir, log_name), self.pid_dir
        )
        try:
            services.wait_for_status(self.port, "/healthcheck", 200, process.process, timeout=30)
        except BaseException:
            process.stop()
            raise
        return process


def reader_token(keystone_port, project):
    """Issue a token of the project's reader, scoped to the project."""
    keystone = Connection(keystone_port)
    reader = project["reader"]
    token, _ = tokens.issue_token(
        keystone, reader["username"], reader["password"], {"project": {"id": project["id"]}}
    )
    # Free the harness Keystone's only worker for aws-hybrid.
    keystone.close()
    return token


def _say(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main():
    args = parse_args()
    state_dir = os.path.abspath(args.state_dir)
    with open(os.path.join(state_dir, "env.json")) as handle:
        env = json.load(handle)
    keystone_port = services.check_loopback_url(env["keystone_url"])[1]
    services.check_loopback_url(env["moto_url"])
    launcher = ApiLauncher(args.binary, state_dir, int(env["api_port"]))

    results = {
        "parameters": {
            k: v for k, v in vars(args).items() if k not in ("state_dir", "output")
        },
        "revision": args.revision,
        "machine_before": procinfo.machine(),
        "started_unix": time.time(),
    }

    _say(
        f"policy evaluation: {args.policy_rounds} rounds of {args.rust_iterations} Rust and "
        f"{args.python_iterations} oslo.policy calls per case"
    )
    results["policy_eval"] = policy_eval.measure(
        args.policy_example, args.policy_rounds, args.rust_iterations, args.python_iterations
    )

    alpha, beta = env["projects"]["alpha"], env["projects"]["beta"]
    results["policy_throughput"] = policy_throughput.measure(
        launcher,
        state_dir,
        policy_eval.service_rule_names(args.policy_example),
        reader_token(keystone_port, alpha),
        beta["id"],
        args.throughput_rounds,
        args.connections,
        args.warmup,
        args.duration,
    )

    _say(f"role sessions: {args.role_requests} requests per user and direct AssumeRole calls")
    results["role_sessions"] = role_sessions.measure(
        launcher, env, keystone_port, TOOLS_DIR, state_dir, args.role_requests
    )

    results["machine_after"] = procinfo.machine()
    results["duration_s"] = time.time() - results["started_unix"]
    with open(args.output, "w") as handle:
        json.dump(results, handle, indent=2)
        handle.write("\n")
    print(tenancy_report.render(results))


if __name__ == "__main__":
    main()
