# shellcheck shell=bash
# Stand-ins for the devstack functions that the aws-hybrid plugin calls, for
# running the plugin's phases without a devstack host. Source this file, then
# set the devstack globals, then source the plugin's settings and plugin.sh.
#
# The functions follow the behaviour that devstack documents for them:
# - Keystone helpers call the real openstack CLI with the cloud
#   devstack-system-admin, which OS_CLIENT_CONFIG_FILE must define, and find
#   existing objects before creating any.
# - run_process starts the command in the background in its own session, with
#   the small environment a systemd unit gets, and records it in
#   $FAKE_DEVSTACK_RUN_DIR/<service>.pid instead of writing a systemd unit.
#   Output goes to $FAKE_DEVSTACK_RUN_DIR/<service>.log.
# - iniset writes with the current user's rights and ignores -sudo.
# - enable_plugin records a plugin, and fetch_plugins clones it into
#   $DEST/<name> and checks out its ref, with plain git commands.
# The ini functions and the helpers that receive SERVICE_PASSWORD turn xtrace
# off while they run, as devstack's ini functions do.

# Prints the command that restores the current xtrace setting.
_fake_xtrace_restore_command() {
    if [[ $- == *x* ]]; then
        echo "set -o xtrace"
    else
        echo "set +o xtrace"
    fi
}

# die LINE MESSAGE... prints MESSAGE with the caller's file and line and exits
# with the status of the last command, or 1 if that status was 0.
die() {
    local status=$?
    set +o xtrace
    local line=${1:-?}
    shift || true
    if [[ $status -eq 0 ]]; then
        status=1
    fi
    echo "[ERROR] ${BASH_SOURCE[1]:-?}:$line $*" >&2
    exit "$status"
}

# err LINE MESSAGE... prints an error without exiting.
err() {
    local line=${1:-?}
    shift || true
    echo "[ERROR] ${BASH_SOURCE[1]:-?}:$line $*" >&2
}

# warn LINE MESSAGE... prints a warning.
warn() {
    local line=${1:-?}
    shift || true
    echo "[WARNING] ${BASH_SOURCE[1]:-?}:$line $*" >&2
}

echo_summary() {
    echo "[summary] $*"
}

# define_plugin and plugin_requires do nothing in devstack either. Tools read
# them from the settings file.
define_plugin() {
    :
}

plugin_requires() {
    :
}

# is_service_enabled SERVICE... succeeds when any SERVICE is in the
# comma-separated ENABLED_SERVICES.
is_service_enabled() {
    local service
    for service in "$@"; do
        if [[ ,${ENABLED_SERVICES:-}, == *,"$service",* ]]; then
            return 0
        fi
    done
    return 1
}

# enable_service SERVICE... adds each SERVICE to ENABLED_SERVICES once,
# except services listed in DISABLED_SERVICES.
enable_service() {
    local service
    for service in "$@"; do
        if [[ ,${DISABLED_SERVICES:-}, == *,"$service",* ]]; then
            warn $LINENO "not enabling $service, which DISABLED_SERVICES lists"
            continue
        fi
        if ! is_service_enabled "$service"; then
            ENABLED_SERVICES=${ENABLED_SERVICES:+$ENABLED_SERVICES,}$service
        fi
    done
}

# disable_service SERVICE... removes each SERVICE from ENABLED_SERVICES.
disable_service() {
    local service list=,${ENABLED_SERVICES:-},
    for service in "$@"; do
        list=${list//,"$service",/,}
    done
    list=${list#,}
    ENABLED_SERVICES=${list%,}
}

# Plugins that enable_plugin recorded, in the order of the calls, with the
# git URL and ref of each.
FAKE_DEVSTACK_PLUGINS=()
declare -gA FAKE_DEVSTACK_PLUGIN_URLS=() FAKE_DEVSTACK_PLUGIN_REFS=()

# is_plugin_enabled NAME succeeds when enable_plugin recorded plugin NAME.
is_plugin_enabled() {
    local name
    for name in "${FAKE_DEVSTACK_PLUGINS[@]}"; do
        if [[ $name == "$1" ]]; then
            return 0
        fi
    done
    return 1
}

# enable_plugin NAME URL [REF] records plugin NAME for fetch_plugins. REF is a
# branch, tag or commit of the git repository at URL. Without REF, the ref is
# master, the default that devstack's doc/source/plugins.rst gives for the
# third argument (checked at devstack commit 493835a, July 2026). So a
# repository without a master branch needs REF. Enabling one name twice is an
# error, as in devstack's enable_plugin (functions-common).
enable_plugin() {
    local name=${1:-} url=${2:-} ref=${3:-master}
    if [[ -z $name || -z $url ]]; then
        die $LINENO "enable_plugin needs a plugin name and a git URL; usage: enable_plugin NAME URL [REF]"
    fi
    if is_plugin_enabled "$name"; then
        die $LINENO "plugin $name is enabled twice; keep one enable_plugin line for it in local.conf"
    fi
    FAKE_DEVSTACK_PLUGINS+=("$name")
    FAKE_DEVSTACK_PLUGIN_URLS[$name]=$url
    FAKE_DEVSTACK_PLUGIN_REFS[$name]=$ref
}

# fetch_plugins clones each plugin that enable_plugin recorded from its URL
# into $DEST/<name> and checks out its ref, in the order of the enable_plugin
# calls. It leaves a plugin directory that already exists as it is, as
# stack.sh does without RECLONE. It dies with git's message when the ref does
# not exist, and removes that clone so that a run with a corrected ref clones
# again.
#
# The checkout takes the ref as a branch, tag or commit only (the "--"), so a
# ref that happens to name a file of the repository fails too instead of
# restoring that file. Git then reports "invalid reference: REF". NOTE:
# devstack's own git message differs: releases up to 2023.1 run a plain
# checkout ("pathspec 'REF' did not match"), and 2023.2 and later fetch the
# ref first ("couldn't find remote ref REF").
fetch_plugins() {
    local name url ref dir
    for name in "${FAKE_DEVSTACK_PLUGINS[@]}"; do
        url=${FAKE_DEVSTACK_PLUGIN_URLS[$name]}
        ref=${FAKE_DEVSTACK_PLUGIN_REFS[$name]}
        dir=${DEST:?DEST must name a directory}/$name
        if [[ -d $dir ]]; then
            echo "fetch_plugins: $dir exists; leaving plugin $name as it is"
            continue
        fi
        echo "fetch_plugins: cloning plugin $name from $url into $dir and checking out $ref"
        git clone --quiet "$url" "$dir" </dev/null ||
            die $LINENO "failed to clone plugin $name from $url; check the URL of its enable_plugin line"
        if ! git -C "$dir" -c advice.detachedHead=false checkout --quiet "$ref" -- </dev/null; then
            rm -rf -- "$dir"
            die $LINENO "plugin $name: $url has no branch, tag or commit '$ref'; give one that exists as the third argument of enable_plugin"
        fi
        echo "fetch_plugins: plugin $name is at commit $(git -C "$dir" rev-parse HEAD)"
    done
}

# The awk program behind iniset. Arguments come from the environment, because
# awk -v would interpret backslashes in the value. The file is read twice: the
# first pass finds whether the section and the option exist, the second
# writes the result.
# shellcheck disable=SC2016 # $0 and $1 are awk fields, not shell expansions
_FAKE_INISET_AWK='
function header_name(line) {
    if (line !~ /^[ \t]*\[[^]]*\][ \t]*$/) return ""
    sub(/^[ \t]*\[/, "", line)
    sub(/\][ \t]*$/, "", line)
    return line
}
function option_name(line) {
    if (line ~ /^[ \t]*[#;]/ || index(line, "=") == 0) return ""
    line = substr(line, 1, index(line, "=") - 1)
    gsub(/^[ \t]+|[ \t]+$/, "", line)
    return line
}
BEGIN {
    section = ENVIRON["FAKE_INI_SECTION"]
    option = ENVIRON["FAKE_INI_OPTION"]
    value = ENVIRON["FAKE_INI_VALUE"]
}
FNR == NR {
    name = header_name($0)
    if (name != "") { current = name; if (name == section) has_section = 1; next }
    if (current == section && option_name($0) == option) has_option = 1
    next
}
{
    name = header_name($0)
    if (name != "") {
        current = name
        print
        if (name == section && !has_option && !written) { print option " = " value; written = 1 }
        next
    }
    if (current == section && option_name($0) == option) {
        if (!written) { print option " = " value; written = 1 }
        next
    }
    print
}
END {
    if (!has_section) {
        if (FNR > 0) print ""
        print "[" section "]"
        print option " = " value
    }
}'

# iniset [-sudo] FILE SECTION OPTION VALUE sets OPTION in SECTION of FILE to
# VALUE. It creates FILE and SECTION when missing, puts a new option right
# after its section header, replaces the first existing line of the option and
# drops later ones, and keeps the file's mode.
iniset() {
    local restore_xtrace
    restore_xtrace=$(_fake_xtrace_restore_command)
    set +o xtrace
    if [[ ${1:-} == -sudo ]]; then
        shift
    fi
    local file=$1 section=$2 option=$3 value=${4:-}
    if [[ -z $section || -z $option ]]; then
        $restore_xtrace
        return 0
    fi
    if [[ ! -e $file ]]; then
        : >"$file" || die $LINENO "cannot create $file"
    fi
    local output
    output=$(mktemp "$file.XXXXXX") || die $LINENO "cannot create a temporary file next to $file"
    FAKE_INI_SECTION=$section FAKE_INI_OPTION=$option FAKE_INI_VALUE=$value \
        awk "$_FAKE_INISET_AWK" "$file" "$file" >"$output" ||
        die $LINENO "cannot update $file"
    # Writing into the existing file keeps its inode and mode, as sed -i
    # keeps the mode in devstack's iniset.
    cat "$output" >"$file"
    rm -f "$output"
    $restore_xtrace
}

# iniget FILE SECTION OPTION prints the value of the first OPTION line in
# SECTION, without surrounding blanks, or nothing when there is none.
iniget() {
    local restore_xtrace
    restore_xtrace=$(_fake_xtrace_restore_command)
    set +o xtrace
    local file=$1 section=$2 option=$3
    # shellcheck disable=SC2016 # awk fields
    FAKE_INI_SECTION=$section FAKE_INI_OPTION=$option awk '
        BEGIN { section = ENVIRON["FAKE_INI_SECTION"]; option = ENVIRON["FAKE_INI_OPTION"] }
        /^[ \t]*\[[^]]*\][ \t]*$/ {
            current = $0
            sub(/^[ \t]*\[/, "", current)
            sub(/\][ \t]*$/, "", current)
            next
        }
        current == section && $0 !~ /^[ \t]*[#;]/ && index($0, "=") > 0 {
            name = substr($0, 1, index($0, "=") - 1)
            gsub(/^[ \t]+|[ \t]+$/, "", name)
            if (name != option) next
            value = substr($0, index($0, "=") + 1)
            gsub(/^[ \t]+|[ \t]+$/, "", value)
            print value
            exit
        }' "$file" 2>/dev/null
    $restore_xtrace
}

# ini_has_option FILE SECTION OPTION succeeds when SECTION of FILE sets OPTION.
ini_has_option() {
    local restore_xtrace
    restore_xtrace=$(_fake_xtrace_restore_command)
    set +o xtrace
    local file=$1 section=$2 option=$3 found=1
    # shellcheck disable=SC2016 # awk fields
    if FAKE_INI_SECTION=$section FAKE_INI_OPTION=$option awk '
        BEGIN { section = ENVIRON["FAKE_INI_SECTION"]; option = ENVIRON["FAKE_INI_OPTION"] }
        /^[ \t]*\[[^]]*\][ \t]*$/ {
            current = $0
            sub(/^[ \t]*\[/, "", current)
            sub(/\][ \t]*$/, "", current)
            next
        }
        current == section && $0 !~ /^[ \t]*[#;]/ && index($0, "=") > 0 {
            name = substr($0, 1, index($0, "=") - 1)
            gsub(/^[ \t]+|[ \t]+$/, "", name)
            if (name == option) { found = 1; exit }
        }
        END { exit found ? 0 : 1 }' "$file" 2>/dev/null; then
        found=0
    fi
    $restore_xtrace
    return $found
}

# Runs the openstack CLI as devstack-system-admin, never reading stdin.
_fake_openstack() {
    openstack --os-cloud devstack-system-admin "$@" </dev/null
}

# get_or_create_user NAME PASSWORD DOMAIN [EMAIL] prints the ID of user NAME
# in DOMAIN, creating it with PASSWORD if it does not exist. An existing
# user's password is left unchanged.
get_or_create_user() {
    local restore_xtrace
    restore_xtrace=$(_fake_xtrace_restore_command)
    set +o xtrace
    local name=$1 password=$2 domain=$3 email=${4:-} user_id
    if ! user_id=$(_fake_openstack user show --domain "$domain" -f value -c id "$name" 2>/dev/null); then
        # NOTE: the password is on the openstack command line, as in
        # devstack, so other local users can see it in the process list
        # while the command runs.
        user_id=$(_fake_openstack user create --domain "$domain" --password "$password" \
            ${email:+--email "$email"} -f value -c id "$name") ||
            die $LINENO "cannot create user $name in domain $domain"
    fi
    echo "$user_id"
    $restore_xtrace
}

# get_or_add_user_project_role ROLE USER PROJECT [USER_DOMAIN PROJECT_DOMAIN]
# grants ROLE to USER on PROJECT, which Keystone does once however often it is
# asked, and prints ROLE.
get_or_add_user_project_role() {
    local role=$1 user=$2 project=$3 user_domain=${4:-} project_domain=${5:-}
    local -a domain_args=()
    if [[ -n $user_domain ]]; then
        domain_args+=(--user-domain "$user_domain")
    fi
    if [[ -n $project_domain ]]; then
        domain_args+=(--project-domain "$project_domain")
    fi
    _fake_openstack role add --user "$user" --project "$project" "${domain_args[@]}" "$role" ||
        die $LINENO "cannot grant role $role to user $user on project $project"
    echo "$role"
}

# create_service_user NAME [ROLE] creates user NAME in SERVICE_DOMAIN_NAME
# with password SERVICE_PASSWORD, and grants it the service role, plus ROLE
# when given, on SERVICE_PROJECT_NAME.
create_service_user() {
    local restore_xtrace
    restore_xtrace=$(_fake_xtrace_restore_command)
    set +o xtrace
    local name=$1 extra_role=${2:-}
    get_or_create_user "$name" "$SERVICE_PASSWORD" "$SERVICE_DOMAIN_NAME" >/dev/null
    get_or_add_user_project_role service "$name" "$SERVICE_PROJECT_NAME" \
        "$SERVICE_DOMAIN_NAME" "$SERVICE_DOMAIN_NAME" >/dev/null
    if [[ -n $extra_role ]]; then
        get_or_add_user_project_role "$extra_role" "$name" "$SERVICE_PROJECT_NAME" \
            "$SERVICE_DOMAIN_NAME" "$SERVICE_DOMAIN_NAME" >/dev/null
    fi
    $restore_xtrace
}

# get_or_create_service NAME TYPE DESCRIPTION prints the ID of the service
# that `openstack service show TYPE` finds, creating service NAME of TYPE when
# there is none.
get_or_create_service() {
    local name=$1 type=$2 description=$3 service_id
    if ! service_id=$(_fake_openstack service show -f value -c id "$type" 2>/dev/null); then
        service_id=$(_fake_openstack service create --name "$name" \
            --description "$description" -f value -c id "$type") ||
            die $LINENO "cannot create service $name of type $type"
    fi
    echo "$service_id"
}

# Prints the ID of the SERVICE endpoint of INTERFACE in REGION, creating one
# with URL when there is none.
_fake_get_or_create_endpoint() {
    local service=$1 interface=$2 url=$3 region=$4 endpoint_id
    endpoint_id=$(_fake_openstack endpoint list --service "$service" --interface "$interface" \
        --region "$region" -f value -c ID) ||
        die $LINENO "cannot list the $interface endpoints of $service"
    if [[ -z $endpoint_id ]]; then
        endpoint_id=$(_fake_openstack endpoint create --region "$region" -f value -c id \
            "$service" "$interface" "$url") ||
            die $LINENO "cannot create the $interface endpoint of $service"
    fi
    echo "$endpoint_id"
}

# get_or_create_endpoint SERVICE REGION PUBLIC_URL [ADMIN_URL] [INTERNAL_URL]
# makes sure that SERVICE has one endpoint in REGION for each interface whose
# URL is given, and prints the ID of the public one. An existing endpoint
# keeps its URL.
get_or_create_endpoint() {
    local service=$1 region=$2 public_url=$3 admin_url=${4:-} internal_url=${5:-}
    local public_id
    public_id=$(_fake_get_or_create_endpoint "$service" public "$public_url" "$region")
    if [[ -n $admin_url ]]; then
        _fake_get_or_create_endpoint "$service" admin "$admin_url" "$region" >/dev/null
    fi
    if [[ -n $internal_url ]]; then
        _fake_get_or_create_endpoint "$service" internal "$internal_url" "$region" >/dev/null
    fi
    echo "$public_id"
}

# Prints the start time of process $1 (field 22 of /proc/PID/stat), or
# nothing when it does not exist.
_fake_process_start_time() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    # Field 2 is the command name in parentheses and may contain blanks, so
    # the fields are counted after its closing parenthesis.
    stat=${stat##*) }
    local -a fields
    read -r -a fields <<<"$stat"
    echo "${fields[19]}"
}

# Succeeds when process $1 exists, is not a zombie, and started at time $2,
# so that a reused PID is never taken for the recorded process.
_fake_process_matches() {
    local pid=$1 start=$2 stat
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z && $(_fake_process_start_time "$pid") == "$start" ]]
}

# run_process SERVICE COMMAND [GROUP] [USER] [ENV_VARS] starts COMMAND when
# SERVICE is enabled. COMMAND must start with an absolute path and must not
# use sudo, as devstack requires for systemd units. It is split on blanks
# like a unit's ExecStart, and runs from / with PATH, HOME, USER and LOGNAME
# plus ENV_VARS ("A=1 B=2") as its only environment. A service that already
# runs is left alone, as `systemctl start` does. GROUP and USER are ignored:
# the process runs as the current user.
run_process() {
    local service=$1 command=$2 env_vars=${5:-}
    if ! is_service_enabled "$service"; then
        return 0
    fi
    if [[ $command == *sudo* ]]; then
        die $LINENO "run_process $service: the command uses sudo, which does not work under systemd; pass the user as the fourth argument instead"
    fi
    if [[ $command != /* ]]; then
        die $LINENO "run_process $service: the command '$command' does not start with an absolute path, so systemd could not start it"
    fi

    local run_dir=${FAKE_DEVSTACK_RUN_DIR:?FAKE_DEVSTACK_RUN_DIR must name a directory}
    local pid_file=$run_dir/$service.pid log_file=$run_dir/$service.log
    mkdir -p "$run_dir"
    local pid start
    if [[ -f $pid_file ]] && read -r pid start <"$pid_file" && _fake_process_matches "$pid" "$start"; then
        echo "run_process: $service already runs (pid $pid)"
        return 0
    fi

    local -a words env_words
    read -r -a words <<<"$command"
    read -r -a env_words <<<"$env_vars"
    # In a shell without job control a background job is no process group
    # leader, so setsid needs no fork and $! is the service's own PID.
    (set +o xtrace && cd / && exec setsid env -i PATH="$PATH" HOME="$HOME" USER="$(id -un)" LOGNAME="$(id -un)" \
        "${env_words[@]}" "${words[@]}") </dev/null >>"$log_file" 2>&1 &
    pid=$!
    start=$(_fake_process_start_time "$pid")
    echo "$pid $start" >"$pid_file"
    echo "run_process: started $service (pid $pid), output in $log_file"
}

# stop_process SERVICE stops the process that run_process started for an
# enabled SERVICE: SIGTERM, then SIGKILL after FAKE_DEVSTACK_STOP_TIMEOUT
# seconds (default 30). It waits until the process has exited and does
# nothing when none runs.
stop_process() {
    local service=$1
    if ! is_service_enabled "$service"; then
        return 0
    fi
    local pid_file=${FAKE_DEVSTACK_RUN_DIR:?FAKE_DEVSTACK_RUN_DIR must name a directory}/$service.pid
    local pid start deadline
    if [[ ! -f $pid_file ]]; then
        return 0
    fi
    if read -r pid start <"$pid_file" && _fake_process_matches "$pid" "$start"; then
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$((SECONDS + ${FAKE_DEVSTACK_STOP_TIMEOUT:-30}))
        while _fake_process_matches "$pid" "$start" && ((SECONDS < deadline)); do
            sleep 0.2
        done
        if _fake_process_matches "$pid" "$start"; then
            echo "stop_process: $service (pid $pid) still runs after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            deadline=$((SECONDS + 10))
            while _fake_process_matches "$pid" "$start" && ((SECONDS < deadline)); do
                sleep 0.2
            done
            if _fake_process_matches "$pid" "$start"; then
                die $LINENO "stop_process: $service (pid $pid) still runs 10 s after SIGKILL"
            fi
        fi
        echo "stop_process: stopped $service (pid $pid)"
    fi
    rm -f "$pid_file"
}
