#!/usr/bin/env bash
# Test of the aws-hybrid devstack plugin against a running test harness.
#
# Usage: devstack/tests/run.sh STATE_DIR
#
# STATE_DIR is a harness state directory from tools/harness/up.sh. The test
# runs every phase of devstack/plugin.sh through fake-stack.sh, with DEST,
# DATA_DIR, AWS_HYBRID_CONF_DIR and AWS_HYBRID_BIN_DIR inside a new temporary
# directory, the harness's Keystone, and the harness's moto as the AWS
# emulator. It stacks three times (the third time on another port), then
# unstacks and cleans, and checks the catalog, the service user, the written
# files, the running service and what is left afterwards. The phases run
# with standard input closed and SYSTEMD_PAGER=less.
#
# The harness registers aws-hybrid itself (service, endpoints and service
# user). The test deletes that registration first, so that it checks only
# what the plugin creates. At the end it deletes the plugin's registration and
# recreates the harness's one with the harness password. Do not run it while
# other tests use the same harness.
#
# Environment:
#   AWS_HYBRID_PREBUILT_BIN_DIR    directory with aws-hybrid-api and
#       aws-hybrid-manage (default: the debug build of tools/test.sh,
#       ${CARGO_TARGET_DIR:-${AWS_HYBRID_CACHE:-~/.cache/aws-hybrid}/target}/debug)
#   AWS_HYBRID_DEVSTACK_TEST_PORT  API port of the first two stacks (27797).
#       The third stack uses the next port.
#   AWS_HYBRID_DEVSTACK_TEST_KEEP  1 keeps the temporary directory
#
# The last output line is "N passed, M failed", and the exit status is 1 when
# a check failed.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 STATE_DIR" >&2
    exit 2
fi
state_dir=$(cd "$1" && pwd) || exit 2
env_json=$state_dir/env.json
if [[ ! -r $env_json ]]; then
    echo "$0: $env_json not found; start the harness with tools/harness/up.sh $1" >&2
    exit 2
fi

tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plugin_dir=$(dirname "$tests_dir")
repo_dir=$(dirname "$plugin_dir")
port=${AWS_HYBRID_DEVSTACK_TEST_PORT:-27797}
second_port=$((port + 1))
cache_dir=${AWS_HYBRID_CACHE:-$HOME/.cache/aws-hybrid}
prebuilt_dir=${AWS_HYBRID_PREBUILT_BIN_DIR:-${CARGO_TARGET_DIR:-$cache_dir/target}/debug}

passed=0
failed=0
completed=false

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

# Prints a non-secret value of env.json, named by a dotted path.
env_value() {
    python3 -c '
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    value = value[key]
print(value)' "$env_json" "$1"
}

venv=$(env_value venv) || exit 2
keystone_url=$(env_value keystone_url) || exit 2
moto_url=$(env_value moto_url) || exit 2
alpha_id=$(env_value projects.alpha.id) || exit 2
alpha_access_key=$(env_value projects.alpha.aws_access_key_id) || exit 2
python=$venv/bin/python
# iniget and ini_has_option read the files that the plugin writes.
# shellcheck source=fake-devstack.sh
source "$tests_dir/fake-devstack.sh"
keystone_admin=("$python" "$tests_dir/keystone_admin.py")

for binary in aws-hybrid-api aws-hybrid-manage; do
    if [[ ! -x $prebuilt_dir/$binary ]]; then
        echo "$0: $prebuilt_dir/$binary not found; build it or set AWS_HYBRID_PREBUILT_BIN_DIR" >&2
        exit 2
    fi
done
if [[ ! -x $venv/bin/openstack ]]; then
    echo "$0: the openstack CLI is missing from the harness venv $venv" >&2
    exit 2
fi

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits up to 10 s for port $1 to stop accepting connections.
wait_port_closed() {
    local deadline=$((SECONDS + 10))
    while port_open "$1"; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.2
    done
}

for test_port in "$port" "$second_port"; do
    if port_open "$test_port"; then
        echo "$0: port $test_port on 127.0.0.1 is in use; set AWS_HYBRID_DEVSTACK_TEST_PORT to a free port" >&2
        exit 2
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/aws-hybrid-devstack-test.XXXXXX") || exit 2
chmod 700 "$work"
# Everything the plugin writes goes below $root. The test compares the tree
# below it before the first stack and after clean.
root=$work/root
dest=$root/opt/stack
data_dir=$dest/data
conf_dir=$root/etc/aws-hybrid
bin_dir=$root/usr/local/bin
run_dir=$work/run
log_dir=$work/logs
mkdir -p "$data_dir" "$root/etc" "$bin_dir" "$run_dir" "$log_dir"

# The plugin runs from a private checkout: a clone of the repository's HEAD
# with this working tree's devstack directory committed on top. Edits made
# elsewhere in the working tree while the test runs cannot affect it, and its
# `git status --porcelain` must be empty after the last phase.
checkout=$work/checkout
git clone --quiet "$repo_dir" "$checkout" </dev/null || exit 2
rm -rf "$checkout/devstack"
cp -a "$plugin_dir" "$checkout/devstack"
git -C "$checkout" add --all devstack
if ! git -C "$checkout" diff --cached --quiet; then
    git -C "$checkout" -c user.name="devstack plugin test" -c user.email=test@example.invalid \
        -c commit.gpgsign=false commit --quiet --no-verify -m "devstack plugin under test" </dev/null || exit 2
fi

# Stops a service left running by a failed phase, removes the plugin's
# Keystone registration, recreates the harness's one, removes the temporary
# directory and prints the result line.
finish() {
    local status
    if [[ $completed != true ]]; then
        fail "the test stopped before its last check; see the messages above"
    fi
    if [[ -f $run_dir/aws-hybrid.pid ]]; then
        echo "stopping the aws-hybrid process left by a failed phase"
        run_phases unstack-after-failure "$work/localrc.sh" unstack || true
    fi
    echo "restoring the harness's aws-hybrid registration in Keystone"
    if ! "${keystone_admin[@]}" remove-aws-hybrid "$env_json" ||
        ! "${keystone_admin[@]}" restore-harness "$env_json"; then
        fail "restoring the harness's aws-hybrid registration in Keystone"
    fi
    if [[ ${AWS_HYBRID_DEVSTACK_TEST_KEEP:-0} == 1 ]]; then
        echo "kept $work"
    else
        rm -rf "$work"
    fi
    echo "$passed passed, $failed failed"
    status=0
    if ((failed > 0)); then
        status=1
    fi
    exit "$status"
}
trap finish EXIT

# run_phases LABEL LOCALRC PHASE... runs fake-stack.sh with standard input
# closed, SYSTEMD_PAGER=less, a 10-minute limit and a minimal environment, with
# output in $log_dir/LABEL.log. Returns its exit status.
run_phases() {
    local label=$1 localrc=$2 status
    shift 2
    echo "running $label: $*"
    env -i PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" HOME="$HOME" LANG=C.UTF-8 \
        OS_CLIENT_CONFIG_FILE="$work/clouds.yaml" OS_CLOUD=devstack-admin \
        SYSTEMD_PAGER=less PAGER=less TMPDIR="${TMPDIR:-/tmp}" \
        timeout 600 bash "$checkout/devstack/tests/fake-stack.sh" "$localrc" "$@" \
        0<&- >"$log_dir/$label.log" 2>&1
    status=$?
    if ((status != 0)); then
        echo "$label exited with status $status; last lines of $log_dir/$label.log:"
        tail -n 25 "$log_dir/$label.log"
        if [[ -f $run_dir/aws-hybrid.log ]]; then
            echo "last lines of the service log $run_dir/aws-hybrid.log:"
            tail -n 15 "$run_dir/aws-hybrid.log"
        fi
    fi
    return "$status"
}

# summary_value FILE NAME prints NAME's value from a keystone_admin.py summary.
summary_value() {
    sed -n "s/^$2=//p" "$1"
}

# Prints the HTTP status of GET $1, sending the headers of file $2 if given.
http_status() {
    local -a headers=()
    if [[ -n ${2:-} ]]; then
        headers=(-H "@$2")
    fi
    curl --silent --output "$work/response.body" --write-out '%{http_code}' --max-time 30 \
        --noproxy '*' "${headers[@]}" "$1" </dev/null || true
}

# Succeeds when file $1 does not contain string $2. Neither is printed.
file_lacks() {
    ! grep -q -F -e "$2" "$1"
}

file_mode() {
    stat -c %a "$1" 2>/dev/null
}

# Succeeds when fake-devstack.sh's run_process exits with an error for
# command $1 instead of starting it.
expect_run_process_rejected() {
    (
        ENABLED_SERVICES=rejection-test
        FAKE_DEVSTACK_RUN_DIR=$work/rejection-test
        run_process rejection-test "$1"
    ) </dev/null >/dev/null 2>&1 && return 1
    [[ ! -e $work/rejection-test/rejection-test.pid ]]
}

# Prints the tree below $root, one "TYPE PATH" line per entry, sorted.
list_tree() {
    find "$root" -printf '%y %p\n' | sort
}

"${keystone_admin[@]}" write-files "$env_json" "$work" || exit 2
# secrets.sh sets SERVICE_PASSWORD and AWS_HYBRID_TENANT_MAPPINGS.
# shellcheck source=/dev/null
source "$work/secrets.sh"
alpha_secret=${AWS_HYBRID_TENANT_MAPPINGS#*:*:}
alpha_secret=${alpha_secret%%:*}
# The random part of the password, which must appear in no log, escaped or not.
password_suffix=${SERVICE_PASSWORD#*\$}
escaped_password=${SERVICE_PASSWORD//\$/\$\$}

printf 'policy file of the devstack plugin test\n' >"$work/policy.yaml"

# The globals of stackrc and the plugin settings of a local.conf.
{
    printf '%s=%q\n' \
        DEST "$dest" \
        DATA_DIR "$data_dir" \
        STACK_USER "$(id -un)" \
        SERVICE_HOST 127.0.0.1 \
        SERVICE_PROTOCOL http \
        SERVICE_DOMAIN_NAME Default \
        SERVICE_PROJECT_NAME service \
        REGION_NAME RegionOne \
        KEYSTONE_SERVICE_URI "$keystone_url" \
        MEMCACHE_SERVERS 127.0.0.1:11211 \
        ENABLE_DEBUG_LOG_LEVEL True \
        SERVICE_TIMEOUT 60 \
        ENABLED_SERVICES key,aws-hybrid \
        FAKE_DEVSTACK_RUN_DIR "$run_dir" \
        AWS_HYBRID_DIR "$checkout" \
        AWS_HYBRID_CONF_DIR "$conf_dir" \
        AWS_HYBRID_BIN_DIR "$bin_dir" \
        AWS_HYBRID_PREBUILT_BIN_DIR "$prebuilt_dir" \
        AWS_HYBRID_PORT "$port" \
        AWS_HYBRID_AWS_REGION us-west-2 \
        AWS_HYBRID_AWS_ENDPOINT_URL "$moto_url" \
        AWS_HYBRID_POLICY_FILE "$work/policy.yaml"
    printf 'source %q\n' "$work/secrets.sh"
} >"$work/localrc.sh"
{
    printf 'source %q\n' "$work/localrc.sh"
    printf 'AWS_HYBRID_PORT=%q\n' "$second_port"
} >"$work/localrc-second-port.sh"

echo "removing the harness's aws-hybrid registration from Keystone"
"${keystone_admin[@]}" remove-aws-hybrid "$env_json" || exit 2

tree_before=$(list_tree)
conf_file=$conf_dir/aws-hybrid.conf
mapping_file=$conf_dir/tenants.conf

# Checks that follow every stack: exit status, secrets, catalog, service user,
# and the running service. Arguments: LABEL STATUS PORT.
check_stack() {
    local label=$1 status=$2 stack_port=$3
    local log=$log_dir/$label.log summary=$work/$label.summary
    local stack_url="http://127.0.0.1:$stack_port/v1"

    check_equal "$label: exit status" 0 "$status"
    check_equal "$label: aws-hybrid enabled once" "ENABLED_SERVICES=key,aws-hybrid" "$(tail -n 1 "$log")"
    check "$label: the output contains no service password" file_lacks "$log" "$password_suffix"
    check "$label: the output contains no AWS secret key" file_lacks "$log" "$alpha_secret"

    "${keystone_admin[@]}" summary "$env_json" >"$summary" || fail "$label: Keystone summary"
    check_equal "$label: one aws-hybrid service" 1 "$(summary_value "$summary" aws_hybrid_services)"
    check_equal "$label: one public endpoint in RegionOne" 1 "$(summary_value "$summary" aws_hybrid_endpoints_public)"
    check_equal "$label: one internal endpoint in RegionOne" 1 "$(summary_value "$summary" aws_hybrid_endpoints_internal)"
    check_equal "$label: no admin endpoint" 0 "$(summary_value "$summary" aws_hybrid_endpoints_admin)"
    check_equal "$label: no endpoint in other regions" 0 "$(summary_value "$summary" aws_hybrid_endpoints_other_regions)"
    check_equal "$label: endpoint URL" "$stack_url" "$(summary_value "$summary" aws_hybrid_endpoint_urls)"
    check_equal "$label: one service user" 1 "$(summary_value "$summary" aws_hybrid_users)"
    check_equal "$label: service user roles" "service@service" "$(summary_value "$summary" aws_hybrid_user_roles)"

    check_equal "$label: GET / returns 200" 200 "$(http_status "http://127.0.0.1:$stack_port/")"
    "${keystone_admin[@]}" write-token-header "$env_json" alpha member "$work/token-header" ||
        fail "$label: token for alpha-member"
    check_equal "$label: GET /v1/instances as alpha-member returns 200" 200 \
        "$(http_status "$stack_url/instances" "$work/token-header")"
    check "$label: the instance list is JSON with an instances key" \
        grep -q '"instances"' "$work/response.body"
    rm -f "$work/token-header"
    check "$label: the service log contains no service password" \
        file_lacks "$run_dir/aws-hybrid.log" "$password_suffix"
    check "$label: the service log contains no AWS secret key" \
        file_lacks "$run_dir/aws-hybrid.log" "$alpha_secret"
}

# Succeeds when SECTION of FILE does not set OPTION. Arguments: FILE SECTION OPTION.
lacks_option() {
    ! ini_has_option "$@"
}

# Checks of the files that the post-config and install phases wrote.
check_config() {
    local section option expected
    while read -r section option expected; do
        check_equal "config: [$section] $option" "$expected" "$(iniget "$conf_file" "$section" "$option")"
    done <<EOF
DEFAULT debug True
DEFAULT state_path $data_dir/aws-hybrid
api bind_host 127.0.0.1
api bind_port $port
api public_endpoint http://127.0.0.1:$port
keystone_authtoken auth_type password
keystone_authtoken interface public
keystone_authtoken auth_url $keystone_url
keystone_authtoken www_authenticate_uri $keystone_url
keystone_authtoken username aws-hybrid
keystone_authtoken user_domain_name Default
keystone_authtoken project_domain_name Default
keystone_authtoken project_name service
keystone_authtoken region_name RegionOne
keystone_authtoken memcached_servers 127.0.0.1:11211
keystone_authtoken service_type aws-hybrid
aws region us-west-2
aws endpoint_url $moto_url
tenancy mapping_file $mapping_file
EOF
    if [[ $(iniget "$conf_file" keystone_authtoken password) == "$escaped_password" ]]; then
        pass "config: [keystone_authtoken] password is SERVICE_PASSWORD with \$ written as \$\$"
    else
        fail "config: [keystone_authtoken] password is not SERVICE_PASSWORD with \$ written as \$\$"
    fi
    check "config: no [keystone_authtoken] cafile" lacks_option "$conf_file" keystone_authtoken cafile
    check_equal "config: aws-hybrid.conf mode" 600 "$(file_mode "$conf_file")"

    check_equal "mapping: tenants.conf mode" 600 "$(file_mode "$mapping_file")"
    check_equal "mapping: alpha access key" "$alpha_access_key" \
        "$(iniget "$mapping_file" "project:$alpha_id" aws_access_key_id)"
    check_equal "mapping: alpha region" us-east-1 "$(iniget "$mapping_file" "project:$alpha_id" region)"
    if [[ $(iniget "$mapping_file" "project:$alpha_id" aws_secret_access_key) == "$alpha_secret" ]]; then
        pass "mapping: alpha secret key"
    else
        fail "mapping: alpha secret key differs from the one in AWS_HYBRID_TENANT_MAPPINGS"
    fi
    check "policy: copied into the configuration directory" cmp -s "$work/policy.yaml" "$conf_dir/policy.yaml"
    local binary
    for binary in aws-hybrid-api aws-hybrid-manage; do
        check "install: $binary is the prebuilt binary" cmp -s "$prebuilt_dir/$binary" "$bin_dir/$binary"
        check "install: $binary is executable" test -x "$bin_dir/$binary"
    done
}

# First stack.
run_phases stack-1 "$work/localrc.sh" stack:install stack:post-config stack:extra
check_stack stack-1 $? "$port"
check_config
check_equal "catalog: openstack endpoint list --service aws-hybrid shows 2 endpoints" 2 \
    "$(env -i PATH="$venv/bin:/usr/bin:/bin" HOME="$HOME" OS_CLIENT_CONFIG_FILE="$work/clouds.yaml" \
        openstack --os-cloud devstack-admin endpoint list --service aws-hybrid -f value -c URL </dev/null | wc -l)"
cp "$work/stack-1.summary" "$work/after-first-stack.summary"
conf_sums_first=$(sha256sum "$conf_file" "$mapping_file" 2>/dev/null)

# Second stack on the same host, without unstack: nothing may change.
run_phases stack-2 "$work/localrc.sh" stack:install stack:post-config stack:extra
check_stack stack-2 $? "$port"
if cmp -s "$work/after-first-stack.summary" "$work/stack-2.summary"; then
    pass "stack-2: Keystone services, endpoints, users and role assignments unchanged"
else
    fail "stack-2: Keystone changed: $(diff "$work/after-first-stack.summary" "$work/stack-2.summary" | tr '\n' ' ')"
fi
check_equal "stack-2: aws-hybrid.conf and tenants.conf unchanged" "$conf_sums_first" \
    "$(sha256sum "$conf_file" "$mapping_file" 2>/dev/null)"

# Third stack with another AWS_HYBRID_PORT: the endpoints follow it.
run_phases stack-3 "$work/localrc-second-port.sh" stack:install stack:post-config stack:extra
check_stack stack-3 $? "$second_port"
for total in services_total endpoints_total users_total role_assignments_total; do
    check_equal "stack-3: $total unchanged" "$(summary_value "$work/after-first-stack.summary" "$total")" \
        "$(summary_value "$work/stack-3.summary" "$total")"
done
check "stack-3: the first port is closed" wait_port_closed "$port"

# An invalid mapping entry stops post-config before anything is written,
# with a message that names the entry but not the secret.
{
    printf 'source %q\n' "$work/localrc-second-port.sh"
    printf 'AWS_HYBRID_TENANT_MAPPINGS=%q\n' "alpha:not-an-access-key:$alpha_secret"
} >"$work/localrc-invalid-mapping.sh"
conf_sums_before=$(sha256sum "$conf_file" "$mapping_file" 2>/dev/null)
run_phases invalid-mapping "$work/localrc-invalid-mapping.sh" stack:post-config
check "invalid mapping: post-config fails" test $? -ne 0
check "invalid mapping: the message names the entry" \
    grep -q "entry 1 of AWS_HYBRID_TENANT_MAPPINGS (project alpha) has an invalid access key ID" \
    "$log_dir/invalid-mapping.log"
check "invalid mapping: the output contains no AWS secret key" \
    file_lacks "$log_dir/invalid-mapping.log" "$alpha_secret"
check_equal "invalid mapping: aws-hybrid.conf and tenants.conf unchanged" "$conf_sums_before" \
    "$(sha256sum "$conf_file" "$mapping_file" 2>/dev/null)"

# run_process rejects commands that systemd could not run.
check "run_process: a relative command is rejected" \
    expect_run_process_rejected "relative/aws-hybrid-api --config-file x"
check "run_process: a command with sudo is rejected" \
    expect_run_process_rejected "/usr/bin/sudo /usr/local/bin/aws-hybrid-api"

# Unstack stops the service.
run_phases unstack "$work/localrc-second-port.sh" unstack
check_equal "unstack: exit status" 0 $?
check "unstack: the port is closed" wait_port_closed "$second_port"
check "unstack: the PID file is removed" test ! -e "$run_dir/aws-hybrid.pid"

# clean.sh runs unstack.sh first, then the clean phase.
run_phases clean "$work/localrc-second-port.sh" unstack clean
check_equal "clean: exit status" 0 $?
check "clean: the configuration directory is removed" test ! -e "$conf_dir"
check "clean: the state directory is removed" test ! -e "$data_dir/aws-hybrid"
check "clean: aws-hybrid-api is removed" test ! -e "$bin_dir/aws-hybrid-api"
check "clean: aws-hybrid-manage is removed" test ! -e "$bin_dir/aws-hybrid-manage"
tree_after=$(list_tree)
if [[ $tree_after == "$tree_before" ]]; then
    pass "clean: the temporary root is as before the first stack"
else
    fail "clean: left behind: $(diff <(echo "$tree_before") <(echo "$tree_after") | grep '^[<>]' | tr '\n' ' ')"
fi

check_equal "git: the plugin checkout has no changes" "" "$(git -C "$checkout" status --porcelain)"
completed=true
