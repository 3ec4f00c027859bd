# Shell functions shared by the test harness scripts. Source this file, do not run it.
#
# Every process the harness starts is recorded in STATE_DIR/pids/ as
#   NAME.pid    the PID
#   NAME.start  the process start time from /proc/PID/stat, so that a PID
#               reused by an unrelated process after a reboot is never signalled
#   NAME.port   the loopback TCP port the process listens on
# shellcheck shell=bash

# The scripts that source this file use these variables.
# shellcheck disable=SC2034
{
    harness_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    tools_dir=$(dirname "$harness_dir")
    # Marker that identifies a directory as a harness state directory, so
    # that up.sh only ever wipes directories it created.
    state_marker=.aws-hybrid-harness-state
}

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Print the start time (clock ticks since boot) of process $1, or nothing.
proc_start_time() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    # This is field 22 of /proc/PID/stat. The command name in field 2 may
    # contain spaces, so fields are counted after its closing parenthesis.
    stat=${stat##*) }
    # shellcheck disable=SC2086 # word splitting into fields is intended
    set -- $stat
    printf '%s\n' "${20}"
}

# Succeed when process $1 exists and is not a zombie. A stopped process stays
# a zombie until PID 1 reaps it, which can take seconds in a container, and
# kill -0 still succeeds on a zombie.
process_running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# Succeed when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Wait up to $2 seconds (default 10) for port $1 to stop accepting connections.
wait_port_closed() {
    local port=$1 deadline=$((SECONDS + ${2:-10}))
    while port_open "$port"; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.1
    done
}

# Wait up to $3 seconds for URL $1 to return HTTP status $2 while process $4
# is alive. Fails early when the process exits.
wait_http_status() {
    local url=$1 expected=$2 deadline=$((SECONDS + $3)) pid=$4 status
    while true; do
        status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --noproxy '*' "$url" || true)
        if [[ $status == "$expected" ]]; then
            return 0
        fi
        if ! process_running "$pid"; then
            say "process $pid exited before $url returned $expected"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            say "timed out waiting for $url to return $expected (last status $status)"
            return 1
        fi
        sleep 0.1
    done
}

# Succeed when the process recorded as NAME in pid directory $1 is running.
recorded_process_alive() {
    local pid_dir=$1 name=$2 pid start
    pid=$(cat "$pid_dir/$name.pid" 2>/dev/null) || return 1
    start=$(cat "$pid_dir/$name.start" 2>/dev/null) || return 1
    [[ -n $pid && -n $start && $(proc_start_time "$pid") == "$start" ]] && process_running "$pid"
}

# Start a command in the background in its own session, with stdin from
# /dev/null and stdout/stderr appended to LOG, and record it as NAME.
# Usage: start_process PID_DIR NAME PORT LOG COMMAND [ARG...]
# Prints the PID.
start_process() {
    local pid_dir=$1 name=$2 port=$3 log=$4 pid_file
    shift 4
    pid_file="$pid_dir/$name.pid"
    mkdir -p "$pid_dir"
    rm -f "$pid_file" "$pid_dir/$name.start" "$pid_dir/$name.port"
    # The child writes its own PID and then execs the command, so the PID
    # stays right whether or not setsid forks.
    # shellcheck disable=SC2016 # $$ must expand in the child shell
    setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' \
        "$pid_file" "$@" </dev/null >>"$log" 2>&1 &
    local deadline=$((SECONDS + 5))
    until [[ -s $pid_file ]]; do
        if ((SECONDS >= deadline)); then
            die "could not start $name (no PID file after 5 s); see $log"
        fi
        sleep 0.02
    done
    local pid
    pid=$(cat "$pid_file")
    proc_start_time "$pid" >"$pid_dir/$name.start"
    printf '%s\n' "$port" >"$pid_dir/$name.port"
    printf '%s\n' "$pid"
}

# Stop the process recorded as NAME in pid directory $1: SIGTERM, wait up to
# 3 s, then SIGKILL the process and its children. Then wait for its port to
# close and remove its records. Does nothing for a process that is gone.
stop_recorded_process() {
    local pid_dir=$1 name=$2 pid port children tick child
    pid=$(cat "$pid_dir/$name.pid" 2>/dev/null || true)
    port=$(cat "$pid_dir/$name.port" 2>/dev/null || true)
    if [[ -n $pid ]] && recorded_process_alive "$pid_dir" "$name"; then
        # List the children before the signal, because once the parent exits
        # they are re-parented and pgrep -P no longer finds them.
        children=$(pgrep -P "$pid" || true)
        kill -TERM "$pid" 2>/dev/null || true
        for ((tick = 0; tick < 30; tick++)); do
            process_running "$pid" || break
            sleep 0.1
        done
        if process_running "$pid"; then
            children="$children $(pgrep -P "$pid" || true)"
            say "$name (pid $pid) still running 3 s after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        for child in $children; do
            if process_running "$child"; then
                kill -KILL "$child" 2>/dev/null || true
            fi
        done
        say "stopped $name (pid $pid)"
    fi
    if [[ -n $port ]] && ! wait_port_closed "$port" 10; then
        say "port $port of $name is still open 10 s after stopping it"
        return 1
    fi
    rm -f "$pid_dir/$name.pid" "$pid_dir/$name.start" "$pid_dir/$name.port"
}

# Print the uWSGI command line that serves Keystone from config directory $3
# on 127.0.0.1:$2 with venv $1, one word a line.
keystone_uwsgi_command() {
    local venv=$1 port=$2 conf_dir=$3
    # uWSGI's HTTP router (--http with --http-keepalive) keeps the clients'
    # keep-alive connections and hands the worker one request at a time. With
    # --http11-socket an idle keep-alive connection would occupy the worker
    # until it timed out (about 4 s), and --http-socket closes connections
    # after each response, which breaks pooled clients. The cache in
    # keystone.conf is per process, which is why there is one worker. It has one
    # thread because password authentication writes user.last_active_at in a
    # read-then-write SQLite transaction, and two threads doing that at once get
    # an immediate "database is locked" that no busy timeout can wait out.
    printf '%s\n' "$venv/bin/uwsgi" \
        --http "127.0.0.1:$port" --http-keepalive \
        --http-buffer-size 65535 \
        --module keystone.wsgi.api:application \
        --virtualenv "$venv" \
        --master --processes 1 --threads 1 \
        --die-on-term --need-app \
        --worker-reload-mercy 2 --reload-mercy 2 \
        --buffer-size 32768 \
        --env "OS_KEYSTONE_CONFIG_DIR=$conf_dir"
}
