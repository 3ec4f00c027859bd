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
# with standard input closed and SYSTEMD_PAGER=less, from the clone that an
# enable_plugin line makes in DEST. At the end it runs plugin-refs.sh, which
# enables the plugin with other refs, and counts its checks with its own.
#
# The harness registers aws-hybrid itself (service, endpoints and service
# user). The test deletes that registration first, so that it checks only
# what the plugin creates. At the end it deletes the plugin's registration and
# recreates the harness's one with the harness password. Do not run it while
# other tests use the same harness.
#
# The first two stacks map project beta to an IAM role of the emulator that
# the service assumes with [sts] keys, and the third one to a role that it
# assumes with tokens it signs itself (web identity). The emulator checks
# trust policies, external IDs and token signatures.
#
# Environment:
#   AWS_HYBRID_PREBUILT_BIN_DIR    directory with aws-hybrid-api and
#       aws-hybrid-manage (default: the debug build of tools/test.sh,
#       ${CARGO_TARGET_DIR:-${AWS_HYBRID_CACHE:-~/.cache/aws-hybrid}/target}/debug)
#   AWS_HYBRID_DEVSTACK_TEST_PORT  API port of the first two stacks (27797).
#       The third stack uses the next port.
#   AWS_HYBRID_DEVSTACK_TEST_KEEP  1 keeps the temporary directory
#   AWS_HYBRID_DEVSTACK_TEST_CARGO_TARGET_DIR  when set, the test also runs
#       the install phase without prebuilt binaries. That phase runs `cargo
#       build` with the dev profile on this working tree, not on the private
#       checkout, into this target directory. Give the one that tools/test.sh
#       fills, so that the build is incremental. Unset skips that check.
#   AWS_HYBRID_DEVSTACK_TEST_CARGO_LOCK  a lock file that the test holds with
#       flock while that build runs, for machines where several builds share
#       the target directory (default: none)
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

completed=false

# shellcheck source=checks.sh
source "$tests_dir/checks.sh"

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
alpha_account=$(env_value projects.alpha.aws_account_id) || exit 2
beta_id=$(env_value projects.beta.id) || exit 2
python=$venv/bin/python
# Emulator account of the IAM roles. No harness key belongs to it, so only an
# assumed role reaches it.
role_account=333333333333
oidc_audience=sts.amazonaws.com
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

# The plugin is served from a private checkout: a clone of the repository's
# HEAD with this working tree's devstack directory committed on top. LOCALRC
# enables the plugin from it with its default branch, so that fake-stack.sh
# clones it into $DEST/aws-hybrid, where the phases run. Edits made elsewhere
# in the working tree while the test runs cannot affect it, and the `git
# status --porcelain` of $DEST/aws-hybrid must be empty after the last phase.
checkout=$work/checkout
plugin_checkout=$dest/aws-hybrid
git clone --quiet "$repo_dir" "$checkout" </dev/null || exit 2
rm -rf "$checkout/devstack"
cp -a "$plugin_dir" "$checkout/devstack"
git -C "$checkout" add --all devstack
if ! git -C "$checkout" diff --cached --quiet; then
    git -C "$checkout" -c user.name="devstack plugin test" -c user.email=test@example.invalid \
        -c commit.gpgsign=false commit --quiet --no-verify -m "devstack plugin under test" </dev/null || exit 2
fi
checkout_branch=$(git -C "$checkout" symbolic-ref --short HEAD) || exit 2
checkout_commit=$(git -C "$checkout" rev-parse HEAD) || exit 2

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

# Directories put in front of PATH for the phases, such as the one of cargo.
phase_path_prefix=

# run_phases LABEL LOCALRC PHASE... runs fake-stack.sh with standard input
# closed, SYSTEMD_PAGER=less, a 10-minute limit and a minimal environment, with
# output in $log_dir/LABEL.log. Returns its exit status.
run_phases() {
    local label=$1 localrc=$2 status
    shift 2
    echo "running $label: $*"
    env -i PATH="${phase_path_prefix:+$phase_path_prefix:}$venv/bin:/usr/local/bin:/usr/bin:/bin" HOME="$HOME" LANG=C.UTF-8 \
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

# Runs tools/harness/aws_fixture.py of this working tree in the role account
# of the emulator and prints the value of key $1 of its JSON output.
aws_fixture() {
    local key=$1
    shift
    "$python" "$repo_dir/tools/harness/aws_fixture.py" --endpoint "$moto_url" \
        --account "$role_account" "$@" </dev/null |
        "$python" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$key"
}

# Registers the service at port $1 as an OIDC provider in the role account,
# unless an earlier run did, and prints the provider's ARN.
register_oidc_provider() {
    local url="http://127.0.0.1:$1" errors=$work/oidc-provider.err
    if aws_fixture arn create-oidc-provider --url "$url" --client-id "$oidc_audience" 2>"$errors"; then
        return 0
    fi
    if grep -q EntityAlreadyExists "$errors"; then
        echo "arn:aws:iam::$role_account:oidc-provider/127.0.0.1:$1"
        return 0
    fi
    cat "$errors" >&2
    return 1
}

# Prints the value of key $2 of the JSON object in file $1, or nothing.
json_file_value() {
    "$python" -c '
import json, sys
try:
    value = json.load(open(sys.argv[1]))
    for key in sys.argv[2].split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    print(value)
except (OSError, ValueError, KeyError, IndexError, TypeError):
    pass' "$1" "$2"
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

# Prints the tree below $root, one "TYPE PATH" line per entry, sorted,
# without the plugin checkout. stack-1 clones it, and clean.sh leaves the
# repositories in DEST in place (devstack's clean.sh removes DATA_DIR,
# DEST/status and DEST/async only).
list_tree() {
    find "$root" -path "$plugin_checkout" -prune -o -printf '%y %p\n' | sort
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

# A rule that differs from the default: readers may no longer list regions.
printf '%s\n' '# Policy of the devstack plugin test.' \
    '"aws-hybrid:region:list": "rule:project_member_or_admin"' >"$work/policy.yaml"
# A signing key made for this run only.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/oidc-key.pem" \
    2>/dev/null || exit 2
# A line of the private key's base64 body, which must appear in no log.
signing_key_line=$(sed -n 2p "$work/oidc-key.pem")

# Role of project beta for the first two stacks: it trusts the alpha account
# (whose keys become [sts] access_key_id and secret_access_key) when the
# external ID is beta's project ID.
run_name=devstack-test-$(date +%s)-$$
keys_trust=$(printf '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "%s"}}}]}' \
    "$alpha_account" "$beta_id")
keys_role=$(aws_fixture arn create-role --name "$run_name-keys" --trust-policy "$keys_trust") || exit 2
# Role of project beta for the third stack: it trusts the service on the
# second port as an OIDC provider when the token's subject is beta's ID.
provider_arn=$(register_oidc_provider "$second_port") || exit 2
web_trust=$(printf '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "%s"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"127.0.0.1:%s:sub": "%s", "127.0.0.1:%s:aud": "%s"}}}]}' \
    "$provider_arn" "$second_port" "$beta_id" "$second_port" "$oidc_audience")
web_role=$(aws_fixture arn create-role --name "$run_name-web" --trust-policy "$web_trust") || exit 2

# The keys that assume beta's role are alpha's, so the checks for alpha's
# secret in the logs cover them too.
(
    umask 077
    printf '%s=%q\n' \
        AWS_HYBRID_STS_ACCESS_KEY_ID "$alpha_access_key" \
        AWS_HYBRID_STS_SECRET_ACCESS_KEY "$alpha_secret" >"$work/sts-secrets.sh"
)

# The globals of stackrc and the plugin settings and enable_plugin line of a
# local.conf. AWS_HYBRID_AWS_REGION differs from its default us-east-1, so
# check_config's "[aws] region us-west-2" shows that a local.conf setting
# wins. AWS_HYBRID_DIR keeps its default $DEST/aws-hybrid, the directory that
# enable_plugin clones into.
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
        AWS_HYBRID_CONF_DIR "$conf_dir" \
        AWS_HYBRID_BIN_DIR "$bin_dir" \
        AWS_HYBRID_PREBUILT_BIN_DIR "$prebuilt_dir" \
        AWS_HYBRID_PORT "$port" \
        AWS_HYBRID_AWS_REGION us-west-2 \
        AWS_HYBRID_AWS_ENDPOINT_URL "$moto_url" \
        AWS_HYBRID_POLICY_FILE "$work/policy.yaml" \
        AWS_HYBRID_STS_CREDENTIAL_SOURCE keys \
        AWS_HYBRID_OIDC_SIGNING_KEY_FILE "$work/oidc-key.pem"
    printf 'source %q\n' "$work/secrets.sh" "$work/sts-secrets.sh"
    printf 'AWS_HYBRID_TENANT_MAPPINGS+=%q\n' " beta:$keys_role"
    printf 'enable_plugin aws-hybrid %q %q\n' "file://$checkout" "$checkout_branch"
} >"$work/localrc.sh"
# The third stack moves to the second port and assumes beta's role with
# tokens that the service signs, with no STS keys.
{
    printf 'source %q\n' "$work/localrc.sh"
    printf '%s=%q\n' \
        AWS_HYBRID_PORT "$second_port" \
        AWS_HYBRID_STS_CREDENTIAL_SOURCE web_identity \
        AWS_HYBRID_STS_ACCESS_KEY_ID "" \
        AWS_HYBRID_STS_SECRET_ACCESS_KEY "" \
        AWS_HYBRID_OIDC_SIGNING_ALGORITHM ES256
    printf 'source %q\n' "$work/secrets.sh"
    printf 'AWS_HYBRID_TENANT_MAPPINGS+=%q\n' " beta:$web_role:us-east-1"
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

    # Project beta is mapped to an IAM role only, so a 200 shows that the
    # service assumed it (with [sts] keys, or with its own token in stack-3).
    "${keystone_admin[@]}" write-token-header "$env_json" beta member "$work/token-header" ||
        fail "$label: token for beta-member"
    check_equal "$label: GET /v1/instances as beta-member (role mapping) returns 200" 200 \
        "$(http_status "$stack_url/instances" "$work/token-header")"
    rm -f "$work/token-header"

    # The policy file denies readers the region list.
    "${keystone_admin[@]}" write-token-header "$env_json" alpha reader "$work/token-header" ||
        fail "$label: token for alpha-reader"
    check_equal "$label: GET /v1/regions as alpha-reader returns 403 by the policy file" 403 \
        "$(http_status "$stack_url/regions" "$work/token-header")"
    check "$label: the 403 names the rule aws-hybrid:region:list" \
        grep -q 'Policy does not allow aws-hybrid:region:list' "$work/response.body"
    check_equal "$label: GET /v1/availability-zones as alpha-reader returns 200" 200 \
        "$(http_status "$stack_url/availability-zones" "$work/token-header")"
    rm -f "$work/token-header"

    check_equal "$label: GET /.well-known/openid-configuration returns 200" 200 \
        "$(http_status "http://127.0.0.1:$stack_port/.well-known/openid-configuration")"
    check_equal "$label: the issuer is the service's public endpoint" \
        "http://127.0.0.1:$stack_port" "$(json_file_value "$work/response.body" issuer)"
    check_equal "$label: GET /.well-known/jwks.json returns 200" 200 \
        "$(http_status "http://127.0.0.1:$stack_port/.well-known/jwks.json")"
    check_equal "$label: the key set has the EC signing key" EC \
        "$(json_file_value "$work/response.body" keys.0.kty)"

    check "$label: the service log contains no service password" \
        file_lacks "$run_dir/aws-hybrid.log" "$password_suffix"
    check "$label: the service log contains no AWS secret key" \
        file_lacks "$run_dir/aws-hybrid.log" "$alpha_secret"
    check "$label: the output contains no signing key" file_lacks "$log" "$signing_key_line"
    check "$label: the service log contains no signing key" \
        file_lacks "$run_dir/aws-hybrid.log" "$signing_key_line"
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
oslo_policy policy_file $conf_dir/policy.yaml
sts credential_source keys
sts access_key_id $alpha_access_key
oidc signing_key_file $conf_dir/oidc-signing-key.pem
oidc issuer http://127.0.0.1:$port
EOF
    if [[ $(iniget "$conf_file" keystone_authtoken password) == "$escaped_password" ]]; then
        pass "config: [keystone_authtoken] password is SERVICE_PASSWORD with \$ written as \$\$"
    else
        fail "config: [keystone_authtoken] password is not SERVICE_PASSWORD with \$ written as \$\$"
    fi
    check "config: no [keystone_authtoken] cafile" lacks_option "$conf_file" keystone_authtoken cafile
    if [[ $(iniget "$conf_file" sts secret_access_key) == "${alpha_secret//\$/\$\$}" ]]; then
        pass "config: [sts] secret_access_key is AWS_HYBRID_STS_SECRET_ACCESS_KEY"
    else
        fail "config: [sts] secret_access_key differs from AWS_HYBRID_STS_SECRET_ACCESS_KEY"
    fi
    check "config: no [oidc] signing_algorithm when its setting is empty" \
        lacks_option "$conf_file" oidc signing_algorithm
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
    check_equal "mapping: beta role ARN" "$keys_role" "$(iniget "$mapping_file" "project:$beta_id" role_arn)"
    check "mapping: beta has no access key" lacks_option "$mapping_file" "project:$beta_id" aws_access_key_id
    check "policy: copied into the configuration directory" cmp -s "$work/policy.yaml" "$conf_dir/policy.yaml"
    check "oidc: signing key copied into the configuration directory" \
        cmp -s "$work/oidc-key.pem" "$conf_dir/oidc-signing-key.pem"
    check_equal "oidc: signing key copy mode" 600 "$(file_mode "$conf_dir/oidc-signing-key.pem")"
    local binary
    for binary in aws-hybrid-api aws-hybrid-manage; do
        check "install: $binary is the prebuilt binary" cmp -s "$prebuilt_dir/$binary" "$bin_dir/$binary"
        check "install: $binary is executable" test -x "$bin_dir/$binary"
    done
}

# First stack. Its enable_plugin line clones the plugin.
run_phases stack-1 "$work/localrc.sh" stack:install stack:post-config stack:extra
check_stack stack-1 $? "$port"
check_equal "stack-1: enable_plugin cloned the $checkout_branch branch into \$DEST/aws-hybrid" \
    "$checkout_commit" "$(git -C "$plugin_checkout" rev-parse HEAD 2>/dev/null)"
check "stack-1: the phases ran from \$DEST/aws-hybrid" grep -q -F -e \
    "fake-stack: running phase stack:extra of $plugin_checkout/devstack/plugin.sh" "$log_dir/stack-1.log"
check_config
check_equal "catalog: openstack endpoint list --service aws-hybrid shows 2 endpoints" 2 \
    "$(env -i PATH="$venv/bin:/usr/bin:/bin" HOME="$HOME" OS_CLIENT_CONFIG_FILE="$work/clouds.yaml" \
        openstack --os-cloud devstack-admin endpoint list --service aws-hybrid -f value -c URL </dev/null | wc -l)"
cp "$work/stack-1.summary" "$work/after-first-stack.summary"
conf_sums_first=$(sha256sum "$conf_file" "$mapping_file" 2>/dev/null)

# Second stack on the same host, without unstack: nothing may change.
run_phases stack-2 "$work/localrc.sh" stack:install stack:post-config stack:extra
check_stack stack-2 $? "$port"
check "stack-2: the existing plugin checkout is kept" grep -q -F -e \
    "fetch_plugins: $plugin_checkout exists" "$log_dir/stack-2.log"
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
while read -r section option expected; do
    check_equal "stack-3 config: [$section] $option" "$expected" "$(iniget "$conf_file" "$section" "$option")"
done <<EOF
sts credential_source web_identity
oidc issuer http://127.0.0.1:$second_port
oidc signing_algorithm ES256
EOF
check_equal "stack-3 mapping: beta role ARN" "$web_role" "$(iniget "$mapping_file" "project:$beta_id" role_arn)"
check_equal "stack-3 mapping: beta region" us-east-1 "$(iniget "$mapping_file" "project:$beta_id" region)"
check "stack-3 config: no [sts] access_key_id" lacks_option "$conf_file" sts access_key_id
check "stack-3 config: no [sts] secret_access_key" lacks_option "$conf_file" sts secret_access_key

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

# run_rejected LABEL MESSAGE SETTING... runs post-config with the settings of
# the third stack plus SETTING lines, and checks that it fails with MESSAGE,
# leaves both files unchanged and prints no secret.
run_rejected() {
    local label=$1 message=$2
    shift 2
    {
        printf 'source %q\n' "$work/localrc-second-port.sh"
        printf '%s\n' "$@"
    } >"$work/localrc-$label.sh"
    run_phases "$label" "$work/localrc-$label.sh" stack:post-config
    check "$label: post-config fails" test $? -ne 0
    check "$label: the message says why" grep -q -F -e "$message" "$log_dir/$label.log"
    check "$label: the output contains no AWS secret key" file_lacks "$log_dir/$label.log" "$alpha_secret"
    check_equal "$label: aws-hybrid.conf and tenants.conf unchanged" "$conf_sums_before" \
        "$(sha256sum "$conf_file" "$mapping_file" 2>/dev/null)"
}
run_rejected invalid-role-arn \
    "entry 1 of AWS_HYBRID_TENANT_MAPPINGS (project beta) has an invalid role ARN 'arn:aws:iam::123:role/x'" \
    "AWS_HYBRID_TENANT_MAPPINGS=beta:arn:aws:iam::123:role/x"
run_rejected web-identity-without-key \
    "AWS_HYBRID_STS_CREDENTIAL_SOURCE is web_identity, which needs AWS_HYBRID_OIDC_SIGNING_KEY_FILE" \
    "AWS_HYBRID_OIDC_SIGNING_KEY_FILE="
run_rejected sts-secret-without-key \
    "set both AWS_HYBRID_STS_ACCESS_KEY_ID and AWS_HYBRID_STS_SECRET_ACCESS_KEY, or neither" \
    "source $(printf %q "$work/sts-secrets.sh")" "AWS_HYBRID_STS_ACCESS_KEY_ID="

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
check "clean: the policy copy is removed" test ! -e "$conf_dir/policy.yaml"
check "clean: the signing key copy is removed" test ! -e "$conf_dir/oidc-signing-key.pem"
tree_after=$(list_tree)
if [[ $tree_after == "$tree_before" ]]; then
    pass "clean: the temporary root is as before the first stack"
else
    fail "clean: left behind: $(diff <(echo "$tree_before") <(echo "$tree_after") | grep '^[<>]' | tr '\n' ' ')"
fi

# The cargo path of the install phase, with the dev profile and a target
# directory that earlier builds of this working tree filled, so that it
# builds incrementally. It installs into a directory of its own.
cargo_target_dir=${AWS_HYBRID_DEVSTACK_TEST_CARGO_TARGET_DIR:-}
if [[ -n $cargo_target_dir ]]; then
    cargo_bin_dir=$work/cargo-bin
    mkdir -p "$cargo_bin_dir"
    {
        printf 'source %q\n' "$work/localrc.sh"
        printf '%s=%q\n' \
            AWS_HYBRID_DIR "$repo_dir" \
            AWS_HYBRID_BIN_DIR "$cargo_bin_dir" \
            AWS_HYBRID_PREBUILT_BIN_DIR "" \
            AWS_HYBRID_CARGO_PROFILE dev \
            AWS_HYBRID_CARGO_TARGET_DIR "$cargo_target_dir"
    } >"$work/localrc-cargo.sh"
    if cargo_command=$(command -v cargo); then
        phase_path_prefix=$(dirname "$cargo_command")
    fi
    cargo_lock=${AWS_HYBRID_DEVSTACK_TEST_CARGO_LOCK:-}
    cargo_started=$SECONDS
    if [[ -n $cargo_lock ]]; then
        echo "waiting for the cargo lock $cargo_lock"
        (
            flock 9
            run_phases cargo-install "$work/localrc-cargo.sh" stack:install
        ) 9>"$cargo_lock"
    else
        run_phases cargo-install "$work/localrc-cargo.sh" stack:install
    fi
    check_equal "cargo install: exit status" 0 $?
    echo "cargo install took $((SECONDS - cargo_started)) s, waiting for the lock included"
    phase_path_prefix=
    check "cargo install: the log shows the dev build" \
        grep -q "building the dev binaries of $repo_dir" "$log_dir/cargo-install.log"
    for binary in aws-hybrid-api aws-hybrid-manage; do
        check "cargo install: $binary is the one cargo built" \
            cmp -s "$cargo_target_dir/debug/$binary" "$cargo_bin_dir/$binary"
        check "cargo install: $binary is executable" test -x "$cargo_bin_dir/$binary"
    done
fi

# plugin-refs.sh needs no harness. Its checks are added to this test's counts.
plugin_refs_log=$log_dir/plugin-refs.log
echo "running plugin-refs.sh"
AWS_HYBRID_PREBUILT_BIN_DIR=$prebuilt_dir bash "$tests_dir/plugin-refs.sh" 0<&- >"$plugin_refs_log" 2>&1
plugin_refs_status=$?
# The prefix keeps its result line apart from the final one of this test.
sed '$s/^/plugin-refs.sh: /' "$plugin_refs_log"
if [[ $(tail -n 1 "$plugin_refs_log") =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
else
    fail "plugin-refs.sh exited with status $plugin_refs_status without its result line"
fi

check_equal "git: the plugin checkout has no changes" "" "$(git -C "$plugin_checkout" status --porcelain)"
completed=true
