#!/usr/bin/env bash
# Test of `enable_plugin aws-hybrid URL [REF]` with a branch, a tag, a
# commit, no ref and refs that do not exist, through the enable_plugin and
# fetch_plugins of fake-devstack.sh. It needs no harness and no network.
#
# Usage: devstack/tests/plugin-refs.sh
#
# The test clones this repository's committed history with `git clone
# --no-local` into a temporary directory and commits this working tree's
# devstack directory on top. It tags that commit and adds two empty commits,
# so that the tag, the second-to-last commit and the default branch are three
# different commits that all contain the plugin. Each run then enables the
# plugin from that clone's file:// URL in a local.conf-style LOCALRC and a new
# DEST, and runs the install phase through fake-stack.sh:
#   - the default branch name, the tag and the commit ID check out that
#     commit into DEST/aws-hybrid, and its plugin.sh installs the binaries
#     into the AWS_HYBRID_BIN_DIR that LOCALRC sets;
#   - no ref means master, devstack's documented default. The repository has
#     no master branch, so that run fails at the clone step. After a master
#     branch is added, the same line checks it out;
#   - a ref that does not exist, and a file path of the repository, fail at
#     the clone step with git's error, and no plugin.sh runs;
#   - a second enable_plugin line for the plugin fails before the clone.
# It also checks that devstack/settings gives every setting as
# ${VAR:-default}, and that the enable_plugin samples of devstack/README.rst
# name the repository's default branch. run.sh checks that a setting from
# LOCALRC wins in the written service config.
#
# Environment:
#   AWS_HYBRID_PREBUILT_BIN_DIR    directory with aws-hybrid-api and
#       aws-hybrid-manage, as for run.sh (default: the debug build of
#       tools/test.sh)
#   AWS_HYBRID_DEVSTACK_TEST_KEEP  1 keeps the temporary directory
#
# The last output line is "N passed, M failed", and the exit status is 1 when
# a check failed.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail

if [[ $# -ne 0 ]]; then
    echo "usage: $0" >&2
    exit 2
fi

tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plugin_dir=$(dirname "$tests_dir")
repo_dir=$(dirname "$plugin_dir")
cache_dir=${AWS_HYBRID_CACHE:-$HOME/.cache/aws-hybrid}
prebuilt_dir=${AWS_HYBRID_PREBUILT_BIN_DIR:-${CARGO_TARGET_DIR:-$cache_dir/target}/debug}
completed=false

# shellcheck source=checks.sh
source "$tests_dir/checks.sh"

for binary in aws-hybrid-api aws-hybrid-manage; do
    if [[ ! -x $prebuilt_dir/$binary ]]; then
        echo "$0: $prebuilt_dir/$binary not found; build it or set AWS_HYBRID_PREBUILT_BIN_DIR" >&2
        exit 2
    fi
done
if ! default_branch=$(git -C "$repo_dir" symbolic-ref --short HEAD 2>/dev/null); then
    echo "$0: HEAD of $repo_dir is not on a branch; check out the default branch first" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/aws-hybrid-plugin-refs.XXXXXX") || exit 2
chmod 700 "$work"

# Removes the temporary directory and prints the result line.
finish() {
    local status=0
    if [[ $completed != true ]]; then
        fail "the test stopped before its last check; see the messages above"
    fi
    if [[ ${AWS_HYBRID_DEVSTACK_TEST_KEEP:-0} == 1 ]]; then
        echo "kept $work"
    else
        rm -rf "$work"
    fi
    echo "$passed passed, $failed failed"
    if ((failed > 0)); then
        status=1
    fi
    exit "$status"
}
trap finish EXIT

# The repository that the runs enable the plugin from.
served=$work/served
served_url=file://$served

# Runs git in the served repository with a fixed identity, without signing
# and without reading standard input.
served_git() {
    git -C "$served" -c user.name="devstack plugin refs test" -c user.email=test@example.invalid \
        -c commit.gpgsign=false -c tag.gpgsign=false "$@" </dev/null
}

git clone --quiet --no-local "$repo_dir" "$served" </dev/null || exit 2
rm -rf "$served/devstack"
cp -a "$plugin_dir" "$served/devstack"
served_git add --all devstack || exit 2
if ! served_git diff --cached --quiet; then
    served_git commit --quiet --no-verify -m "devstack plugin under test" || exit 2
fi
tag=plugin-refs-test
served_git tag -a -m "tag of the devstack plugin refs test" "$tag" || exit 2
served_git commit --quiet --no-verify --allow-empty -m "commit that the test enables by its ID" || exit 2
noted_commit=$(served_git rev-parse HEAD) || exit 2
served_git commit --quiet --no-verify --allow-empty -m "tip of the default branch" || exit 2
branch_commit=$(served_git rev-parse HEAD) || exit 2
tag_commit=$(served_git rev-parse "$tag^{commit}") || exit 2

check_equal "setup: the clone's default branch is the repository's" "$default_branch" \
    "$(served_git symbolic-ref --short HEAD)"
check "setup: the tag and the noted commit differ" test "$tag_commit" != "$noted_commit"
check "setup: the noted commit and the branch tip differ" test "$noted_commit" != "$branch_commit"

# Prints a LOCALRC line that calls enable_plugin with arguments $@.
enable_line() {
    printf 'enable_plugin'
    printf ' %q' "$@"
    printf '\n'
}

# run_install LABEL LINE... runs the install phase through fake-stack.sh with
# a LOCALRC of the devstack globals plus LINE..., in a new root $work/LABEL
# that contains DEST, DATA_DIR and AWS_HYBRID_BIN_DIR. It runs with standard
# input closed and a minimal environment, with output in $work/LABEL.log.
# Returns the exit status of fake-stack.sh.
run_install() {
    local label=$1 root=$work/$1
    shift
    mkdir -p "$root/opt/stack/data" "$root/bin" "$root/run"
    {
        printf '%s=%q\n' \
            DEST "$root/opt/stack" \
            DATA_DIR "$root/opt/stack/data" \
            STACK_USER "$(id -un)" \
            SERVICE_HOST 127.0.0.1 \
            FAKE_DEVSTACK_RUN_DIR "$root/run" \
            AWS_HYBRID_CONF_DIR "$root/etc/aws-hybrid" \
            AWS_HYBRID_BIN_DIR "$root/bin" \
            AWS_HYBRID_PREBUILT_BIN_DIR "$prebuilt_dir"
        printf '%s\n' "$@"
    } >"$root/localrc.sh"
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" LANG=C.UTF-8 TMPDIR="${TMPDIR:-/tmp}" \
        timeout 120 bash "$tests_dir/fake-stack.sh" "$root/localrc.sh" stack:install \
        0<&- >"$work/$label.log" 2>&1
}

# Succeeds when file $1 does not contain string $2.
file_lacks() {
    ! grep -q -F -e "$2" "$1"
}

# Prints the last lines of the log of run $1 after an unexpected result.
show_log() {
    echo "last lines of $work/$1.log:"
    tail -n 15 "$work/$1.log"
}

# check_installed LABEL STATUS COMMIT checks a run that must clone the plugin
# at COMMIT and run its install phase.
check_installed() {
    local label=$1 status=$2 commit=$3
    local root=$work/$label log=$work/$label.log
    local clone=$root/opt/stack/aws-hybrid
    local failed_before=$failed

    check_equal "$label: exit status" 0 "$status"
    check_equal "$label: the plugin checkout is at the expected commit" "$commit" \
        "$(git -C "$clone" rev-parse HEAD 2>/dev/null)"
    check "$label: the checkout has devstack/plugin.sh" test -f "$clone/devstack/plugin.sh"
    check "$label: the install phase of the checkout's plugin.sh ran" grep -q -F -e \
        "fake-stack: running phase stack:install of $clone/devstack/plugin.sh" "$log"
    check "$label: aws-hybrid-api is installed into AWS_HYBRID_BIN_DIR" test -x "$root/bin/aws-hybrid-api"
    check_equal "$label: the checkout's settings enabled aws-hybrid" "ENABLED_SERVICES=aws-hybrid" \
        "$(tail -n 1 "$log")"
    if ((failed > failed_before)); then
        show_log "$label"
    fi
    # The two binaries take about 140 MB per run.
    rm -rf "${root:?}/bin"
}

# check_clone_failed LABEL STATUS REF checks a run whose clone step must fail
# because REF is no branch, tag or commit of the served repository.
check_clone_failed() {
    local label=$1 status=$2 ref=$3
    local root=$work/$label log=$work/$label.log
    local failed_before=$failed

    check "$label: the run fails" test "$status" -ne 0
    check "$label: git reports the ref '$ref' as invalid" grep -q -F -e "invalid reference: $ref" "$log"
    check "$label: the clone step stops the run" grep -q -F -e "has no branch, tag or commit '$ref'" "$log"
    check "$label: no plugin.sh ran" file_lacks "$log" "fake-stack: running phase"
    check "$label: nothing is installed" test ! -e "$root/bin/aws-hybrid-api"
    check "$label: the failed clone is removed" test ! -e "$root/opt/stack/aws-hybrid"
    if ((failed > failed_before)); then
        show_log "$label"
    fi
}

run_install default-branch "$(enable_line aws-hybrid "$served_url" "$default_branch")"
check_installed default-branch $? "$branch_commit"
check_equal "default-branch: the checkout is on branch $default_branch" "$default_branch" \
    "$(git -C "$work/default-branch/opt/stack/aws-hybrid" symbolic-ref --short HEAD 2>/dev/null)"

run_install tag "$(enable_line aws-hybrid "$served_url" "$tag")"
check_installed tag $? "$tag_commit"

run_install commit "$(enable_line aws-hybrid "$served_url" "$noted_commit")"
check_installed commit $? "$noted_commit"

# Without a ref, the checkout is of master, which this repository lacks
# unless master is its default branch.
if [[ $default_branch != master ]]; then
    run_install no-ref-without-master "$(enable_line aws-hybrid "$served_url")"
    check_clone_failed no-ref-without-master $? master
fi

run_install missing-ref "$(enable_line aws-hybrid "$served_url" no-such-ref)"
check_clone_failed missing-ref $? no-such-ref

# A path of the repository is no ref either, so it must not leave the default
# branch checked out.
run_install file-path-ref "$(enable_line aws-hybrid "$served_url" devstack/plugin.sh)"
check_clone_failed file-path-ref $? devstack/plugin.sh

run_install enabled-twice "$(enable_line aws-hybrid "$served_url" "$default_branch")" \
    "$(enable_line aws-hybrid "$served_url" "$tag")"
status=$?
check "enabled-twice: the run fails" test "$status" -ne 0
check "enabled-twice: the message names the plugin" \
    grep -q -F -e "plugin aws-hybrid is enabled twice" "$work/enabled-twice.log"
check "enabled-twice: nothing is cloned" test ! -e "$work/enabled-twice/opt/stack/aws-hybrid"
check "enabled-twice: no plugin.sh ran" file_lacks "$work/enabled-twice.log" "fake-stack: running phase"

# Once the repository has master, the line without a ref checks it out.
if [[ $default_branch != master ]]; then
    served_git branch master "$noted_commit" || exit 2
fi
master_commit=$(served_git rev-parse refs/heads/master) || exit 2
run_install no-ref-with-master "$(enable_line aws-hybrid "$served_url")"
check_installed no-ref-with-master $? "$master_commit"

# devstack reads local.conf before a plugin's settings, so only settings of
# the form VAR=${VAR:-default} let local.conf override them.
assignments=$(grep -E '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*=' "$plugin_dir/settings" |
    sed 's/^[[:space:]]*//' | sort -u)
check "settings: devstack/settings assigns variables" test -n "$assignments"
while IFS= read -r line; do
    name=${line%%=*}
    if [[ $line == "$name=\${$name:-"*"}" ]]; then
        pass "settings: $name has the form \${$name:-default}"
    else
        fail "settings: '$line' is not of the form \${$name:-default}, so local.conf cannot override it"
    fi
done <<<"$assignments"

# The samples in the README name the default branch, because devstack would
# check out master without a ref.
readme_samples=$(grep -E '^[[:space:]]*enable_plugin aws-hybrid ' "$plugin_dir/README.rst")
check "README: has enable_plugin samples" test -n "$readme_samples"
while read -r _ _ _ ref _; do
    check_equal "README: an enable_plugin sample names the default branch" "$default_branch" "$ref"
done <<<"$readme_samples"

completed=true
