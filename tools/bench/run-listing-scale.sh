#!/usr/bin/env bash
# Build aws-hybrid-api in release mode and start a private harness (Keystone and
# moto on 127.0.0.1) in a temporary state directory. Seed one project's AWS
# account with 1000 instances, 500 security groups and 500 volumes. Time paging
# through them with GET /v1/instances, /v1/security-groups and /v1/volumes,
# beside paging moto directly with boto3, and stop everything.
# docs/benchmarks.md describes the method and the results.
#
# Usage: tools/bench/run-listing-scale.sh [listing_scale.py options, e.g. --repetitions 5]
#
# Environment (common.sh lists the ports, target directory and binary):
#   AWS_HYBRID_BENCH_CARGO_LOCK  lock file held with flock while cargo builds
#                                (default /tmp/aws-hybrid-cargo.lock)
#   AWS_HYBRID_BENCH_OUTPUT      results JSON (default
#                                /tmp/aws-hybrid-bench-listing-scale-<UTC time>.json);
#                                the service and harness logs are copied to the
#                                same name without .json plus -logs
set -euo pipefail

# Builds on a shared machine wait for each other on this lock.
export AWS_HYBRID_BENCH_CARGO_LOCK=${AWS_HYBRID_BENCH_CARGO_LOCK:-/tmp/aws-hybrid-cargo.lock}

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

output=${AWS_HYBRID_BENCH_OUTPUT:-/tmp/aws-hybrid-bench-listing-scale-$(date -u +%Y%m%dT%H%M%SZ).json}

check_ports "$AWS_HYBRID_KEYSTONE_PORT" "$AWS_HYBRID_MOTO_PORT" "$AWS_HYBRID_API_PORT"
build_release
setup_venv

started=$SECONDS
start_harness "${output%.json}-logs"
"$venv/bin/python" "$bench_dir/listing_scale.py" \
    --state-dir "$state" \
    --binary "$binary" \
    --output "$output" \
    --revision "$revision" \
    "$@"
say "results in $output; harness, seeding and measurements took $((SECONDS - started)) s"
