"""The policy evaluation benchmark: ns per enforce call, aws-hybrid's Rust engine beside oslo.policy.

Both sides evaluate the same input. The example crates/policy/examples/enforce_bench.rs
prints the rules aws-hybrid registers (compiled in from src/policy/defaults.rs), one
benchmark rule with three levels of rule: references, and the cases: rule, target, creds
and the expected verdict. This module registers the same rules in an oslo.policy
Enforcer and times Enforcer.enforce with the same target and creds dicts.

oslo.policy is timed in two configurations:
  - as a service runs it: a config file, no policy file and no policy.d directory,
    so the defaults apply. Enforcer.enforce calls load_rules(), which looks for the
    policy file and the policy directories and walks the registered defaults on
    every call;
  - without those per-call checks: use_conf is turned off after the first
    load_rules(), so later calls only evaluate.

The Rust side runs in its own process, one process per round, and the sides take
turns round by round, so that a change in machine load affects both.
"""

import json
import os
import statistics
import subprocess
import tempfile
import time

from oslo_config import cfg
from oslo_policy import policy

# Calls per timed batch. In a trial on a 2-vCPU machine a Rust call took about 1 µs and
# an oslo.policy call 200 to 400 µs, so these gave batches of about 0.1 s and 0.2 to 0.4 s.
DEFAULT_RUST_ITERATIONS = 100_000
DEFAULT_PYTHON_ITERATIONS = 1_000


def load_cases(example):
    """Return the rules and cases that the example prints with its cases command."""
    completed = subprocess.run([example, "cases"], check=True, capture_output=True, text=True)
    return json.loads(completed.stdout)


def _rule_default(spec):
    """Build the oslo.policy RuleDefault of one rule, as tools/policy_oracle.py does."""
    scope_types = spec["scope_types"] or None
    description = spec["description"] or None
    if spec["operations"]:
        operations = [{"method": method, "path": path} for method, path in spec["operations"]]
        return policy.DocumentedRuleDefault(
            spec["name"], spec["check_str"], description, operations, scope_types=scope_types
        )
    return policy.RuleDefault(
        spec["name"], spec["check_str"], description=description, scope_types=scope_types
    )


def make_enforcer(rules, config_dir, file_checks):
    """Build an oslo.policy Enforcer with the rules registered as defaults.

    The config file in config_dir is empty, and [oslo_policy] keeps its defaults:
    policy_file policy.yaml and policy_dirs policy.d, which do not exist there.
    Without file_checks, use_conf is turned off after the first load_rules(). The
    first call must run with use_conf on, because only then does load_rules() copy
    the registered defaults into the rules it evaluates (oslo.policy 6.0.1).
    Raises RuntimeError when oslo.policy finds a policy file anyway (for example in
    /etc/aws-hybrid), because then the rules would not be the defaults.
    """
    config_file = os.path.join(config_dir, "aws-hybrid.conf")
    with open(config_file, "w") as handle:
        handle.write("[DEFAULT]\n")
    conf = cfg.ConfigOpts()
    conf(
        args=["--config-file", config_file],
        project="aws-hybrid",
        default_config_files=[],
        default_config_dirs=[],
    )
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults([_rule_default(spec) for spec in rules])
    enforcer.load_rules()
    if enforcer.file_rules or enforcer.policy_path:
        raise RuntimeError(
            f"oslo.policy loaded a policy file ({enforcer.policy_path}); "
            "move it away so that both sides evaluate the registered defaults"
        )
    if not file_checks:
        enforcer.use_conf = False
    return enforcer


def time_python(enforcer, case, iterations):
    """Return the ns per call of one batch of Enforcer.enforce calls."""
    enforce = enforcer.enforce
    rule, target, creds = case["rule"], case["target"], case["creds"]
    started = time.perf_counter_ns()
    for _ in range(iterations):
        enforce(rule, target, creds)
    return (time.perf_counter_ns() - started) / iterations


def run_rust(example, iterations):
    """Run one round of the example and return its JSON: one timed batch per case."""
    completed = subprocess.run(
        [example, "measure", "--iterations", str(iterations), "--repetitions", "1"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout)


def check_verdicts(cases, enforcers):
    """Raise RuntimeError unless every enforcer returns each case's expected verdict."""
    for case in cases:
        expected = case["expected"] == "allow"
        for label, enforcer in enforcers.items():
            allowed = bool(enforcer.enforce(case["rule"], case["target"], case["creds"]))
            if allowed != expected:
                raise RuntimeError(
                    f"oslo.policy ({label}) returned {allowed} for case {case['name']!r}, "
                    f"expected {case['expected']}"
                )


def measure(example, rounds, rust_iterations, python_iterations):
    """Return per-case samples and medians of both sides over the given number of rounds."""
    document = load_cases(example)
    rules = document["service_rules"] + document["bench_rules"]
    cases = document["cases"]
    with tempfile.TemporaryDirectory(prefix="aws-hybrid-policy-bench-") as config_dir:
        enforcers = {
            "service_config": make_enforcer(rules, config_dir, file_checks=True),
            "no_file_checks": make_enforcer(rules, config_dir, file_checks=False),
        }
        check_verdicts(cases, enforcers)
        # Warm-up: the first calls build oslo.policy's caches and Python's inline caches.
        for case in cases:
            for enforcer in enforcers.values():
                time_python(enforcer, case, python_iterations // 10 + 1)

        samples = {
            case["name"]: {"rust": [], "rust_building_values": [], **{k: [] for k in enforcers}}
            for case in cases
        }
        for _ in range(rounds):
            for result in run_rust(example, rust_iterations)["cases"]:
                expected = next(c for c in cases if c["name"] == result["name"])["expected"]
                if result["allowed"] != (expected == "allow"):
                    raise RuntimeError(
                        f"the Rust engine returned allowed={result['allowed']} for case "
                        f"{result['name']!r}, expected {expected}"
                    )
                samples[result["name"]]["rust"] += result["ns_per_call"]
                samples[result["name"]]["rust_building_values"] += result[
                    "ns_per_call_building_values"
                ]
            for case in cases:
                for label, enforcer in enforcers.items():
                    samples[case["name"]][label].append(
                        time_python(enforcer, case, python_iterations)
                    )

    results = []
    for case in cases:
        case_samples = samples[case["name"]]
        results.append(
            {
                "name": case["name"],
                "rule": case["rule"],
                "expected": case["expected"],
                "samples_ns": case_samples,
                "median_ns": {k: statistics.median(v) for k, v in case_samples.items()},
            }
        )
    return {
        "rounds": rounds,
        "rust_iterations": rust_iterations,
        "python_iterations": python_iterations,
        "oslo_policy_version": _version("oslo.policy"),
        "service_rule_count": len(document["service_rules"]),
        "cases": results,
    }


def service_rule_names(example):
    """Return the names of the rules aws-hybrid registers, from the example."""
    return [rule["name"] for rule in load_cases(example)["service_rules"]]


def _version(distribution):
    from importlib import metadata

    return metadata.version(distribution)
