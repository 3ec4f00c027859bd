#!/usr/bin/env bash
# Build aws-hybrid-api in release mode, start a private harness (Keystone and
# moto on 127.0.0.1) in a temporary state directory, measure start-up time,
# memory, listing throughput and token validation against named peers, and
# stop everything. docs/benchmarks.md describes the method and the results.
#
# Usage: tools/bench/run.sh [bench.py options, e.g. --duration 10 --starts 11]
#
# Environment (common.sh lists the ports, target directory and cargo lock):
#   AWS_HYBRID_BENCH_KEYSTONE_PEER_PORT  port of the Keystone started as the
#                                        start-up peer (default 61501)
#   AWS_HYBRID_BENCH_OUTPUT              results JSON (default
#                                        /tmp/aws-hybrid-bench-<UTC time>.json);
#                                        the service and harness logs are copied
#                                        to the same name without .json plus -logs
#
# Needs wrk: as root it installs the Debian package when wrk is missing.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

keystone_peer_port=${AWS_HYBRID_BENCH_KEYSTONE_PEER_PORT:-61501}
output=${AWS_HYBRID_BENCH_OUTPUT:-/tmp/aws-hybrid-bench-$(date -u +%Y%m%dT%H%M%SZ).json}

check_ports "$AWS_HYBRID_KEYSTONE_PORT" "$AWS_HYBRID_MOTO_PORT" "$AWS_HYBRID_API_PORT" "$keystone_peer_port"
ensure_wrk
build_release
setup_venv

started=$SECONDS
start_harness "${output%.json}-logs"
"$venv/bin/python" "$bench_dir/bench.py" \
    --state-dir "$state" \
    --binary "$binary" \
    --output "$output" \
    --keystone-peer-port "$keystone_peer_port" \
    --revision "$revision" \
    "$@"
say "results in $output; harness and measurements took $((SECONDS - started)) s"
