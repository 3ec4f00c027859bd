#!/usr/bin/env bash
# Run the tests of the openstackclient plugin against a running test harness.
#
# Usage: osc/tests/run.sh STATE_DIR
#
# STATE_DIR is a directory made by tools/harness/up.sh (Keystone and moto running). This
# script:
#   1. creates, once per version of osc/constraints.txt, the venv
#      ${AWS_HYBRID_CACHE:-$HOME/.cache/aws-hybrid}/venv-osc-<first 12 hex of its sha256>
#      with python-openstackclient, keystoneauth1 and pytest, and installs the plugin into it
#      on every run;
#   2. starts aws-hybrid-api with STATE_DIR/aws-hybrid.conf on the harness's api_port, the
#      port that the harness registered in the Keystone catalog as service type aws-hybrid;
#   3. waits for GET /healthcheck to return 200, runs pytest on osc/tests/, stops the
#      service and exits with pytest's status.
#
# Environment:
#   AWS_HYBRID_API_BIN  the aws-hybrid-api binary (default: $CARGO_TARGET_DIR/debug, or
#                       $AWS_HYBRID_CACHE/target/debug, the directory tools/test.sh builds in)
#   AWS_HYBRID_CACHE    where the venv is kept (default: $HOME/.cache/aws-hybrid)
#   AWS_HYBRID_PYTHON   the interpreter for `-m venv` (default: python3, which must be >= 3.11)
#   PYTEST_ADDOPTS      extra pytest options, e.g. "-k discovery"
set -euo pipefail

say() { printf 'osc-tests: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ $# -ne 1 ]]; then
    echo "usage: $0 STATE_DIR" >&2
    exit 2
fi
[[ -f $1/env.json && -f $1/aws-hybrid.conf ]] ||
    die "$1 has no env.json or aws-hybrid.conf; create it with tools/harness/up.sh $1"
state_dir=$(cd "$1" && pwd)

osc_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
constraints="$osc_dir/constraints.txt"
cache_dir=${AWS_HYBRID_CACHE:-$HOME/.cache/aws-hybrid}
python=${AWS_HYBRID_PYTHON:-python3}
api_bin=${AWS_HYBRID_API_BIN:-${CARGO_TARGET_DIR:-$cache_dir/target}/debug/aws-hybrid-api}

[[ -x $api_bin ]] ||
    die "no aws-hybrid-api binary at $api_bin; build it with cargo build, or set AWS_HYBRID_API_BIN"

# Keep every client away from proxies, local AWS configuration and the EC2 metadata service.
export NO_PROXY='127.0.0.1,localhost' no_proxy='127.0.0.1,localhost'
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

# --- 1. The venv ----------------------------------------------------------------------------

constraints_hash=$(sha256sum "$constraints" | cut -c1-12)
venv="$cache_dir/venv-osc-$constraints_hash"
marker="$venv/.aws-hybrid-osc-setup-complete"

# The plugin is built from a copy of its sources, so that no build/ or *.egg-info directory
# is left in the work tree and no stale file from an earlier build gets into the wheel.
work_dir=$(mktemp -d /tmp/aws-hybrid-osc-tests.XXXXXX)
api_pid=
# Succeed when process $1 exists and is not a zombie (kill -0 also succeeds on a zombie).
running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
    if [[ -n $api_pid ]] && running "$api_pid"; then
        kill -TERM "$api_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            running "$api_pid" || break
            sleep 0.1
        done
        if running "$api_pid"; then
            say "aws-hybrid-api (pid $api_pid) still running 5 s after SIGTERM; sending SIGKILL"
            kill -KILL "$api_pid" 2>/dev/null || true
        fi
        wait "$api_pid" 2>/dev/null || true
    fi
    rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

source_copy="$work_dir/src"
mkdir -p "$source_copy"
cp -r "$osc_dir/pyproject.toml" "$osc_dir/README.md" "$osc_dir/aws_hybrid_osc" "$source_copy/"
find "$source_copy" -name __pycache__ -prune -exec rm -rf {} +

pip_install() {
    "$venv/bin/pip" install --disable-pip-version-check --quiet -c "$constraints" "$@" >&2
}

mkdir -p "$cache_dir"
# Serialise concurrent runs for the same venv, then check the marker again.
exec 9>"$venv.lock"
flock 9
if [[ ! -f $marker ]]; then
    if ! "$python" -c 'import sys; raise SystemExit(sys.version_info < (3, 11))'; then
        die "$python is $("$python" -V 2>&1); python-openstackclient 10 needs Python >= 3.11 (set AWS_HYBRID_PYTHON)"
    fi
    # A venv without the marker is a failed or interrupted install, so start over.
    rm -rf "$venv"
    say "creating $venv"
    "$python" -m venv "$venv"
    # The plugin is built with these versions (--no-build-isolation), not the newest ones.
    pip_install --upgrade setuptools wheel
    say "installing python-openstackclient, keystoneauth1 and pytest (about a minute)"
    pip_install --no-build-isolation "${source_copy}[test]"
    "$venv/bin/pip" check >&2
    printf 'constraints sha256 prefix %s\n' "$constraints_hash" >"$marker"
else
    # pip always rebuilds and reinstalls a requirement given as a local directory, and the
    # dependencies are already there unless pyproject.toml gained one.
    say "installing the plugin into $venv"
    pip_install --no-build-isolation "${source_copy}[test]"
fi
# The lock is held until this script exits, so that no concurrent run reinstalls the plugin
# while these tests use it.

# --- 2. The service -------------------------------------------------------------------------

api_port=$("$venv/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["api_port"])' \
    "$state_dir/env.json")
[[ $api_port =~ ^[0-9]+$ ]] || die "env.json has no numeric api_port"
if (exec 3<>"/dev/tcp/127.0.0.1/$api_port") 2>/dev/null; then
    die "port $api_port on 127.0.0.1 is already in use; stop whatever listens there first"
fi

# A copy of the binary, because a cargo build running at the same time replaces the original.
cp "$api_bin" "$work_dir/aws-hybrid-api"
api_bin="$work_dir/aws-hybrid-api"

mkdir -p "$state_dir/logs"
api_log="$state_dir/logs/aws-hybrid-api-osc-tests.log"
say "starting $api_bin on 127.0.0.1:$api_port (log: $api_log)"
"$api_bin" --config-file "$state_dir/aws-hybrid.conf" </dev/null >>"$api_log" 2>&1 9>&- &
api_pid=$!

health_url="http://127.0.0.1:$api_port/healthcheck"
deadline=$((SECONDS + 30))
until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --noproxy '*' "$health_url" || true) == 200 ]]; do
    running "$api_pid" || die "aws-hybrid-api exited before it was ready; see $api_log"
    ((SECONDS < deadline)) || die "timed out after 30 s waiting for $health_url; see $api_log"
    sleep 0.1
done
say "aws-hybrid-api is ready"

# --- 3. The tests ---------------------------------------------------------------------------

# The EXIT trap stops the service without printing, so that pytest's summary stays the last
# line of the output.
status=0
AWS_HYBRID_OSC_STATE_DIR="$state_dir" AWS_HYBRID_API_BIN="$api_bin" \
    "$venv/bin/python" -m pytest -p no:cacheprovider -v -rs "$osc_dir/tests" || status=$?
exit "$status"
