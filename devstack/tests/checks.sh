# shellcheck shell=bash
# Check helpers of the devstack plugin tests. Sourcing this file sets the
# counters passed and failed to 0. Each test prints "$passed passed, $failed
# failed" as its last line.

passed=0
failed=0

pass() {
    passed=$((passed + 1))
    echo "ok: $*"
}

fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}

# check DESCRIPTION COMMAND... passes when COMMAND succeeds.
check() {
    local description=$1
    shift
    if "$@"; then
        pass "$description"
    else
        fail "$description"
    fi
}

# check_equal DESCRIPTION EXPECTED ACTUAL
check_equal() {
    if [[ $2 == "$3" ]]; then
        pass "$1"
    else
        fail "$1: expected '$2', got '$3'"
    fi
}
