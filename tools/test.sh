#!/usr/bin/env bash
# Run the whole test suite. It starts a real Keystone and the moto AWS emulator on 127.0.0.1,
# runs the unit and integration tests, the openstackclient plugin's tests, the devstack
# plugin's phases and the api-ref build, and stops everything at the end.
#
# Environment:
#   AWS_HYBRID_CACHE   where the Python venv and the cargo target directory are kept between
#                      runs (default: $HOME/.cache/aws-hybrid)
#   CARGO_TARGET_DIR   overrides the cargo target directory
#   AWS_HYBRID_TEST_KEEP=1
#                      keeps the state directory (harness logs, test records, openrc
#                      files) after a passing run; a failing run always keeps it
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/cargo-target.sh
. "$root/tools/cargo-target.sh"
export AWS_EC2_METADATA_DISABLED=true

echo "==> Python environment (Keystone, moto, openstackclient)"
venv=$("$root/tools/setup-venv.sh" | tail -n 1)

echo "==> Building aws-hybrid and its tests"
cd "$root"
cargo build --locked --workspace --all-targets

state=$(mktemp -d /tmp/aws-hybrid-test.XXXXXX)
stop_harness() {
    "$root/tools/harness/down.sh" "$state" >/dev/null 2>&1 || true
}
trap 'stop_harness; echo "test.sh: logs and records kept in $state" >&2' EXIT
echo "==> Starting Keystone and the AWS emulator in $state"
"$root/tools/harness/up.sh" "$state"

echo "==> Harness and fault proxy self-tests"
AWS_HYBRID_STATE_DIR="$state" "$venv/bin/python" -m unittest discover -s "$root/tools/tests" -p "test_*.py"

# AWS_HYBRID_PYTHON runs real oslo.policy for the policy crate's differential test.
# AWS_HYBRID_TEST_RECORD keeps every response body and service log for the secret scan.
echo "==> Rust tests"
AWS_HYBRID_TEST_ENV="$state/env.json" AWS_HYBRID_PYTHON="$venv/bin/python" \
    AWS_HYBRID_TEST_RECORD="$state/record" \
    cargo test --locked --workspace --all-targets

echo "==> No secret in any response body or service log of the Rust tests"
"$venv/bin/python" "$root/tools/scan_secrets.py" --env "$state/env.json" "$state/record"

echo "==> openstackclient plugin and keystoneauth discovery"
AWS_HYBRID_API_BIN="$CARGO_TARGET_DIR/debug/aws-hybrid-api" "$root/osc/tests/run.sh" "$state"

# The devstack test replaces the harness's catalog registration while it runs and restores it
# at the end, so it runs after every other test that uses the harness.
echo "==> devstack plugin, every phase against the harness Keystone"
AWS_HYBRID_PREBUILT_BIN_DIR="$CARGO_TARGET_DIR/debug" \
    AWS_HYBRID_DEVSTACK_TEST_CARGO_TARGET_DIR="$CARGO_TARGET_DIR" \
    "$root/devstack/tests/run.sh" "$state"

echo "==> api-ref (sphinx-build -W)"
"$root/api-ref/build.sh"

# The state directory contains the harness's passwords and the test records, so a passing run
# removes it.
trap - EXIT
stop_harness
if [[ -n ${AWS_HYBRID_TEST_KEEP:-} ]]; then
    echo "==> Passed; state kept in $state"
else
    rm -rf "$state"
    echo "==> Passed"
fi
