#!/usr/bin/env bash
# Build aws-hybrid-api in release mode, start a private harness (Keystone and
# moto on 127.0.0.1) in a temporary state directory, measure start-up time,
# memory, listing throughput and token validation against named peers, and
# stop everything. docs/benchmarks.md describes the method and the results.
#
# Usage: tools/bench/run.sh [bench.py options, e.g. --duration 10 --starts 11]
#
# Environment:
#   AWS_HYBRID_BENCH_TARGET_DIR          cargo target directory
#                                        (default $HOME/.cache/aws-hybrid/target-release)
#   AWS_HYBRID_BENCH_KEYSTONE_PORT       harness Keystone port (default 61500)
#   AWS_HYBRID_BENCH_MOTO_PORT           harness moto port (default 61555)
#   AWS_HYBRID_BENCH_API_PORT            aws-hybrid-api port (default 61797)
#   AWS_HYBRID_BENCH_KEYSTONE_PEER_PORT  port of the Keystone started as the
#                                        start-up peer (default 61501)
#   AWS_HYBRID_BENCH_OUTPUT              results JSON (default
#                                        /tmp/aws-hybrid-bench-<UTC time>.json);
#                                        the service and harness logs are copied
#                                        to the same name without .json plus -logs
#
# The test suite uses ports 25000, 25555 and 29797, so this script rejects them.
# The defaults lie above Linux's default ephemeral range (32768-60999): a port
# inside it can be held by the local end of any client connection, such as a
# test talking to Keystone, and a server then fails to bind it.
# Needs wrk: as root it installs the Debian package when wrk is missing.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench_dir/../.." && pwd)

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

target_dir=${AWS_HYBRID_BENCH_TARGET_DIR:-$HOME/.cache/aws-hybrid/target-release}
export AWS_HYBRID_KEYSTONE_PORT=${AWS_HYBRID_BENCH_KEYSTONE_PORT:-61500}
export AWS_HYBRID_MOTO_PORT=${AWS_HYBRID_BENCH_MOTO_PORT:-61555}
export AWS_HYBRID_API_PORT=${AWS_HYBRID_BENCH_API_PORT:-61797}
keystone_peer_port=${AWS_HYBRID_BENCH_KEYSTONE_PEER_PORT:-61501}
output=${AWS_HYBRID_BENCH_OUTPUT:-/tmp/aws-hybrid-bench-$(date -u +%Y%m%dT%H%M%SZ).json}

ports=("$AWS_HYBRID_KEYSTONE_PORT" "$AWS_HYBRID_MOTO_PORT" "$AWS_HYBRID_API_PORT" "$keystone_peer_port")
for port in "${ports[@]}"; do
    [[ $port =~ ^[0-9]+$ ]] || die "ports must be numbers, got '$port'"
    case $port in
        25000 | 25555 | 29797) die "port $port is a test-suite port; choose another so the tests can run beside the bench" ;;
    esac
done
if [[ $(printf '%s\n' "${ports[@]}" | sort -u | wc -l) -ne ${#ports[@]} ]]; then
    die "the four ports must differ, got ${ports[*]}"
fi
read -r ephemeral_low ephemeral_high </proc/sys/net/ipv4/ip_local_port_range
for port in "${ports[@]}"; do
    if ((port >= ephemeral_low && port <= ephemeral_high)); then
        say "note: port $port is in the ephemeral range $ephemeral_low-$ephemeral_high; a client connection may hold it and make the bind fail"
    fi
done

# No AWS client may read local AWS config or reach the EC2 metadata address,
# and loopback traffic must not go through a proxy from the environment.
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
export NO_PROXY='127.0.0.1,localhost' no_proxy='127.0.0.1,localhost'

if ! command -v wrk >/dev/null; then
    if [[ $(id -u) -ne 0 ]]; then
        die "wrk is not installed; install it (Debian: apt-get install -y wrk) and run again"
    fi
    say "installing wrk with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >&2 || die "apt-get install wrk failed"
fi

if pgrep -x cargo >/dev/null || pgrep -x rustc >/dev/null; then
    say "note: another cargo or rustc process is running; the build below and the measurements share the CPU with it"
fi
# Read-only git calls: --no-optional-locks keeps git from refreshing the index.
# NOTE: a source change made while cargo builds is in the binary but not in this revision.
revision=$(git -C "$root" rev-parse --short HEAD)
if ! git -C "$root" --no-optional-locks diff --quiet HEAD -- src Cargo.toml Cargo.lock; then
    revision="$revision with uncommitted changes to src, Cargo.toml or Cargo.lock"
fi
say "building aws-hybrid-api (release) in $target_dir"
(cd "$root" && CARGO_TARGET_DIR="$target_dir" cargo build --release --locked --bin aws-hybrid-api) ||
    die "cargo build failed"
binary="$target_dir/release/aws-hybrid-api"

venv=$("$root/tools/setup-venv.sh" | tail -n 1)
[[ -x $venv/bin/python ]] || die "tools/setup-venv.sh returned no usable venv ($venv)"

state=$(mktemp -d "${TMPDIR:-/tmp}/aws-hybrid-bench.XXXXXX")
logs_copy="${output%.json}-logs"
cleanup() {
    local stopped=true
    if ! "$root/tools/harness/down.sh" "$state"; then
        stopped=false
        say "down.sh failed: $state is kept, so run tools/harness/down.sh $state again and then delete it"
    fi
    if [[ -d $state/logs ]]; then
        rm -rf "$logs_copy"
        cp -r "$state/logs" "$logs_copy" && say "logs copied to $logs_copy"
    fi
    # The state directory contains the run's passwords and keys, but also the PID
    # records that down.sh needs while a process may still run.
    if [[ $stopped == true ]]; then
        rm -rf "$state"
    fi
}
trap cleanup EXIT

started=$SECONDS
"$root/tools/harness/up.sh" "$state"
"$venv/bin/python" "$bench_dir/bench.py" \
    --state-dir "$state" \
    --binary "$binary" \
    --output "$output" \
    --keystone-peer-port "$keystone_peer_port" \
    --revision "$revision" \
    "$@"
say "results in $output; harness and measurements took $((SECONDS - started)) s"
