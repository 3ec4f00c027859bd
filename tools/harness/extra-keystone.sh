#!/usr/bin/env bash
# Start one more Keystone on 127.0.0.1:PORT that shares the SQLite database
# and the fernet and credential keys of the Keystone started by up.sh, so
# tokens issued by either one are valid on both. Tests use it to issue
# short-lived tokens, and to stop and restart a Keystone by PID.
#
# Usage: tools/harness/extra-keystone.sh STATE_DIR PORT OUTDIR [TOKEN_EXPIRATION_SECONDS]
#
# OUTDIR gets a copy of keystone.conf (with [token] expiration set when
# TOKEN_EXPIRATION_SECONDS is given), keystone.log and keystone.pid. Waits
# until GET /v3 returns 200, then prints the PID as the only stdout line.
# Running it again with the same PORT and OUTDIR restarts that Keystone: a
# process still running from OUTDIR/keystone.pid is stopped first, and the
# port must be free within 10 s. down.sh STATE_DIR stops it too.
#
# NOTE: each Keystone has its own in-process cache, so a change made through
# one (a revoked token, a removed role) can stay unseen by the other until
# its cache entry expires (600 s, the oslo.cache default).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ $# -lt 3 || $# -gt 4 ]]; then
    echo "usage: $0 STATE_DIR PORT OUTDIR [TOKEN_EXPIRATION_SECONDS]" >&2
    exit 2
fi
port=$2
expiration=${4:-}
[[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$port'"
if [[ -n $expiration && ! $expiration =~ ^[0-9]+$ ]]; then
    die "TOKEN_EXPIRATION_SECONDS must be a whole number of seconds, got '$expiration'"
fi

state_dir=$(cd "$1" && pwd) || die "state directory $1 not found"
env_file="$state_dir/env.json"
[[ -f $env_file ]] || die "$env_file not found; run tools/harness/up.sh $state_dir first"
venv=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["venv"])' "$env_file")
base_conf="$state_dir/keystone/keystone.conf"

mkdir -p "$3"
out_dir=$(cd "$3" && pwd)
umask 077

# Restart: stop the Keystone started earlier with this OUTDIR, if it still runs.
name="keystone-$port"
if [[ -f $out_dir/keystone.pid ]]; then
    old_pid=$(cat "$out_dir/keystone.pid")
    if [[ -f $state_dir/pids/$name.pid && $(cat "$state_dir/pids/$name.pid") == "$old_pid" ]]; then
        stop_recorded_process "$state_dir/pids" "$name"
    fi
fi
if ! wait_port_closed "$port" 10; then
    die "port $port on 127.0.0.1 is still in use after 10 s"
fi

cp "$base_conf" "$out_dir/keystone.conf"
if [[ -n $expiration ]]; then
    # The base keystone.conf has a [token] section without an expiration key.
    sed -i "/^\[token\]\$/a expiration = $expiration" "$out_dir/keystone.conf"
fi

mapfile -t command < <(keystone_uwsgi_command "$venv" "$port" "$out_dir")
pid=$(start_process "$state_dir/pids" "$name" "$port" "$out_dir/keystone.log" "${command[@]}")
printf '%s\n' "$pid" >"$out_dir/keystone.pid"

if ! wait_http_status "http://127.0.0.1:$port/v3" 200 60 "$pid"; then
    stop_recorded_process "$state_dir/pids" "$name" || true
    die "Keystone on port $port did not start; see $out_dir/keystone.log"
fi
printf '%s\n' "$pid"
