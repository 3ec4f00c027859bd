#!/usr/bin/env bash
# Build aws-hybrid-api and the policy crate's enforce_bench example in release
# mode, start a private harness (Keystone and moto on 127.0.0.1) in a temporary
# state directory, and measure, each beside a peer in the same run:
#   - ns per policy enforce call, beside oslo.policy's Enforcer.enforce;
#   - requests/s with the default policy, beside every rule set to "@";
#   - a request of a role-mapped project with its session cached, beside a
#     direct AssumeRole call, and the AssumeRole calls the service made.
# Then stop everything. docs/benchmarks.md describes the method and the results.
#
# Usage: tools/bench/run-tenancy.sh [tenancy_bench.py options, e.g. --duration 5]
#
# Environment (common.sh lists the ports, target directory and cargo lock):
#   AWS_HYBRID_BENCH_POLICY_TARGET_DIR   cargo target directory of the example
#                                        (default $HOME/.cache/aws-hybrid/target-policy-release)
#   AWS_HYBRID_BENCH_OUTPUT              results JSON (default
#                                        /tmp/aws-hybrid-bench-tenancy-<UTC time>.json);
#                                        the service and harness logs are copied
#                                        to the same name without .json plus -logs
#
# Needs wrk: as root it installs the Debian package when wrk is missing.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

policy_target_dir=${AWS_HYBRID_BENCH_POLICY_TARGET_DIR:-$HOME/.cache/aws-hybrid/target-policy-release}
output=${AWS_HYBRID_BENCH_OUTPUT:-/tmp/aws-hybrid-bench-tenancy-$(date -u +%Y%m%dT%H%M%SZ).json}

check_ports "$AWS_HYBRID_KEYSTONE_PORT" "$AWS_HYBRID_MOTO_PORT" "$AWS_HYBRID_API_PORT"
ensure_wrk
build_release
say "building the enforce_bench example (release) in $policy_target_dir"
CARGO_TARGET_DIR="$policy_target_dir" run_cargo build --release --locked -p aws-hybrid-policy --examples ||
    die "cargo build of the policy example failed"
policy_example="$policy_target_dir/release/examples/enforce_bench"
setup_venv

started=$SECONDS
start_harness "${output%.json}-logs"
"$venv/bin/python" "$bench_dir/tenancy_bench.py" \
    --state-dir "$state" \
    --binary "$binary" \
    --policy-example "$policy_example" \
    --output "$output" \
    --revision "$revision" \
    "$@"
say "results in $output; harness and measurements took $((SECONDS - started)) s"
