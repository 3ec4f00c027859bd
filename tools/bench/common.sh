# Shell code shared by tools/bench/run.sh and tools/bench/run-tenancy.sh. Source it, do not
# run it. Sourcing it sets the port variables and the AWS and proxy environment. Its
# functions check ports, install wrk, build, prepare the venv and start the private harness.
#
# Environment, besides the variables that each script lists:
#   AWS_HYBRID_BENCH_TARGET_DIR          cargo target directory of the service
#                                        (default $HOME/.cache/aws-hybrid/target-release)
#   AWS_HYBRID_BENCH_KEYSTONE_PORT       harness Keystone port (default 61500)
#   AWS_HYBRID_BENCH_MOTO_PORT           harness moto port (default 61555)
#   AWS_HYBRID_BENCH_API_PORT            aws-hybrid-api port (default 61797)
#   AWS_HYBRID_BENCH_BINARY              an aws-hybrid-api binary to measure instead
#                                        of building one (default: build)
#   AWS_HYBRID_BENCH_CARGO_LOCK          a lock file that the bench holds with flock
#                                        while cargo builds, for machines where several
#                                        builds share the CPU or target directories
#                                        (default: none)
#
# The test suite uses ports 25000, 25555 and 29797, so check_ports rejects them.
# The defaults lie above Linux's default ephemeral range (32768-60999): a port
# inside it can be held by the local end of any client connection, such as a
# test talking to Keystone, and a server then fails to bind it.
# shellcheck shell=bash

# The scripts that source this file use these variables.
# shellcheck disable=SC2034
{
    bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    root=$(cd "$bench_dir/../.." && pwd)
    target_dir=${AWS_HYBRID_BENCH_TARGET_DIR:-$HOME/.cache/aws-hybrid/target-release}
    cargo_lock=${AWS_HYBRID_BENCH_CARGO_LOCK:-}
}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

export AWS_HYBRID_KEYSTONE_PORT=${AWS_HYBRID_BENCH_KEYSTONE_PORT:-61500}
export AWS_HYBRID_MOTO_PORT=${AWS_HYBRID_BENCH_MOTO_PORT:-61555}
export AWS_HYBRID_API_PORT=${AWS_HYBRID_BENCH_API_PORT:-61797}

# No AWS client may read local AWS config or reach the EC2 metadata address,
# and loopback traffic must not go through a proxy from the environment.
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
export NO_PROXY='127.0.0.1,localhost' no_proxy='127.0.0.1,localhost'

# Reject ports that are not numbers, test-suite ports and duplicates, and note
# ports inside the ephemeral range. Usage: check_ports PORT...
check_ports() {
    local ports=("$@") port ephemeral_low ephemeral_high
    for port in "${ports[@]}"; do
        [[ $port =~ ^[0-9]+$ ]] || die "ports must be numbers, got '$port'"
        case $port in
            25000 | 25555 | 29797) die "port $port is a test-suite port; choose another so the tests can run beside the bench" ;;
        esac
    done
    if [[ $(printf '%s\n' "${ports[@]}" | sort -u | wc -l) -ne ${#ports[@]} ]]; then
        die "the ${#ports[@]} ports must differ, got ${ports[*]}"
    fi
    read -r ephemeral_low ephemeral_high </proc/sys/net/ipv4/ip_local_port_range
    for port in "${ports[@]}"; do
        if ((port >= ephemeral_low && port <= ephemeral_high)); then
            say "note: port $port is in the ephemeral range $ephemeral_low-$ephemeral_high; a client connection may hold it and make the bind fail"
        fi
    done
}

# Install wrk with apt-get when it is missing (as root only).
ensure_wrk() {
    if ! command -v wrk >/dev/null; then
        if [[ $(id -u) -ne 0 ]]; then
            die "wrk is not installed; install it (Debian: apt-get install -y wrk) and run again"
        fi
        say "installing wrk with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >&2 || die "apt-get install wrk failed"
    fi
}

# Run cargo in $root, holding $cargo_lock with flock when it is set. Usage: run_cargo ARG...
run_cargo() {
    if [[ -n $cargo_lock ]]; then
        say "waiting for the cargo lock $cargo_lock"
        (cd "$root" && flock "$cargo_lock" cargo "$@")
    else
        (cd "$root" && cargo "$@")
    fi
}

# Build aws-hybrid-api in release mode into $target_dir, and set binary and revision.
# With AWS_HYBRID_BENCH_BINARY set, use that binary instead and record its path and time.
build_release() {
    if [[ -n ${AWS_HYBRID_BENCH_BINARY:-} ]]; then
        binary=$AWS_HYBRID_BENCH_BINARY
        [[ -x $binary ]] || die "AWS_HYBRID_BENCH_BINARY $binary is not an executable file"
        revision="prebuilt $binary, modified $(date -u -r "$binary" +%Y-%m-%dT%H:%M:%SZ)"
        say "using the prebuilt binary $binary"
        return
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
    CARGO_TARGET_DIR="$target_dir" run_cargo build --release --locked --bin aws-hybrid-api ||
        die "cargo build failed"
    binary="$target_dir/release/aws-hybrid-api"
}

# Set venv to the harness venv that tools/setup-venv.sh prepares.
setup_venv() {
    venv=$("$root/tools/setup-venv.sh" | tail -n 1)
    [[ -x $venv/bin/python ]] || die "tools/setup-venv.sh returned no usable venv ($venv)"
}

# Start the harness in a new state directory and set state. On exit, stop it,
# copy its logs to LOGS_COPY and delete the state directory.
# Usage: start_harness LOGS_COPY
start_harness() {
    logs_copy=$1
    state=$(mktemp -d "${TMPDIR:-/tmp}/aws-hybrid-bench.XXXXXX")
    trap cleanup EXIT
    "$root/tools/harness/up.sh" "$state"
}

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
