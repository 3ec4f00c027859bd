#!/usr/bin/env bash
# Bring up the integration-test environment of aws-hybrid on 127.0.0.1:
# the moto AWS emulator and a real Keystone 30 (SQLite, fernet tokens) with
# the test projects, users, catalog entries and AWS accounts.
#
# Usage: tools/harness/up.sh STATE_DIR
#
# STATE_DIR is created. If it contains an earlier run whose processes are all
# stopped, it is wiped first; if any of them still runs, up.sh fails (run
# down.sh first). Stop everything with tools/harness/down.sh STATE_DIR.
#
# Environment:
#   AWS_HYBRID_MOTO_PORT      moto port (default 25555)
#   AWS_HYBRID_KEYSTONE_PORT  Keystone port (default 25000)
#   AWS_HYBRID_API_PORT       port written to the catalog and the service
#                             config for aws-hybrid itself (default 29797)
#   AWS_HYBRID_CACHE          where tools/setup-venv.sh keeps the venv
#
# Outputs in STATE_DIR (secrets only in files of mode 600, never printed):
#   env.json, aws-hybrid.conf, tenants.conf, openrc-<user>, secrets/,
#   keystone/ (keystone.conf, DB, keys), pids/, logs/
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ $# -ne 1 ]]; then
    echo "usage: $0 STATE_DIR" >&2
    exit 2
fi

moto_port=${AWS_HYBRID_MOTO_PORT:-25555}
keystone_port=${AWS_HYBRID_KEYSTONE_PORT:-25000}
api_port=${AWS_HYBRID_API_PORT:-29797}

for port in "$moto_port" "$keystone_port" "$api_port"; do
    [[ $port =~ ^[0-9]+$ ]] || die "ports must be numbers, got '$port'"
done

mkdir -p "$1"
state_dir=$(cd "$1" && pwd)
pid_dir="$state_dir/pids"
log_dir="$state_dir/logs"
keystone_dir="$state_dir/keystone"

# Reuse the state directory only if it is empty or an earlier harness run.
if [[ -n $(ls -A "$state_dir") ]]; then
    if [[ ! -f $state_dir/$state_marker ]]; then
        die "$state_dir is not empty and is not a harness state directory; choose another"
    fi
    for pid_file in "$pid_dir"/*.pid; do
        [[ -e $pid_file ]] || continue
        name=$(basename "$pid_file" .pid)
        if recorded_process_alive "$pid_dir" "$name"; then
            die "$name from an earlier run is still running; run tools/harness/down.sh $state_dir first"
        fi
    done
    say "wiping the earlier run in $state_dir"
    find "$state_dir" -mindepth 1 -delete
fi

for port in "$moto_port" "$keystone_port"; do
    if port_open "$port"; then
        die "port $port on 127.0.0.1 is already in use"
    fi
done

umask 077
touch "$state_dir/$state_marker"
mkdir -p "$pid_dir" "$log_dir" "$keystone_dir" "$state_dir/secrets"

# On failure, stop whatever this run started.
started=false
cleanup_on_failure() {
    if [[ $started == true ]]; then
        say "bring-up failed; stopping the processes it started (logs in $log_dir)"
        "$harness_dir/down.sh" "$state_dir" || true
    fi
}
trap cleanup_on_failure EXIT

say "preparing the venv"
venv=$("$tools_dir/setup-venv.sh" | tail -n 1)
[[ -x $venv/bin/python ]] || die "setup-venv.sh returned no usable venv ($venv)"

# Keep every AWS client from reading local AWS config or the metadata service.
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# Loopback traffic must not go through a proxy from the environment.
export NO_PROXY='127.0.0.1,localhost' no_proxy='127.0.0.1,localhost'

say "starting moto on 127.0.0.1:$moto_port"
started=true
moto_pid=$(start_process "$pid_dir" moto "$moto_port" "$log_dir/moto.log" \
    "$venv/bin/python" "$tools_dir/moto_server.py" --port "$moto_port")

say "initialising Keystone (database, fernet and credential keys)"
cat >"$keystone_dir/keystone.conf" <<EOF
[DEFAULT]
debug = false
use_stderr = true

# The Keystones started by extra-keystone.sh share this file with the main one.
# A writer waits up to 30 s for SQLite's lock instead of failing at once with
# "database is locked". The journal is switched to WAL below.
[database]
connection = sqlite:///$keystone_dir/keystone.db?timeout=30

[token]
provider = fernet

[fernet_tokens]
key_repository = $keystone_dir/fernet-keys

[fernet_receipts]
key_repository = $keystone_dir/fernet-keys

[credential]
key_repository = $keystone_dir/credential-keys

# One uWSGI worker per Keystone, so an in-process cache is coherent. Without
# it each token validation costs several hundred SQL queries.
[cache]
enabled = true
backend = dogpile.cache.memory

# The bcrypt minimum, for fast token issue. It must be set before bootstrap
# and user creation, because each password keeps the cost it was hashed with.
[identity]
password_hash_rounds = 4
EOF

manage=("$venv/bin/keystone-manage" --config-file "$keystone_dir/keystone.conf")
key_owner=(--keystone-user "$(id -un)" --keystone-group "$(id -gn)")
manage_log="$log_dir/keystone-manage.log"

# db_sync is the slowest step, and its result holds only the schema (the
# alembic versions and Keystone's root-domain row), so it runs once per venv
# and each run copies that template. The steps below touch different files,
# so they run in parallel.
schema_template="$venv/keystone-schema.db"
pending=()
if [[ ! -f $schema_template ]]; then
    say "creating the Keystone schema template $schema_template (once per venv)"
    schema_tmp="$schema_template.tmp.$$"
    printf '[database]\nconnection = sqlite:///%s\n' "$schema_tmp" >"$keystone_dir/schema.conf"
    "$venv/bin/keystone-manage" --config-file "$keystone_dir/schema.conf" db_sync >>"$manage_log" 2>&1 &&
        mv "$schema_tmp" "$schema_template" &
    pending+=($!)
fi
"${manage[@]}" fernet_setup "${key_owner[@]}" >>"$manage_log" 2>&1 &
pending+=($!)
"${manage[@]}" credential_setup "${key_owner[@]}" >>"$manage_log" 2>&1 &
pending+=($!)

bootstrap() {
    cp "$schema_template" "$keystone_dir/keystone.db"
    # keystone-manage reads the password from OS_BOOTSTRAP_PASSWORD, which
    # keeps it off the command line.
    OS_BOOTSTRAP_PASSWORD=$(cat "$state_dir/secrets/admin-password") \
        "${manage[@]}" bootstrap \
        --bootstrap-username admin \
        --bootstrap-project-name admin \
        --bootstrap-role-name admin \
        --bootstrap-service-name keystone \
        --bootstrap-region-id RegionOne \
        --bootstrap-public-url "$keystone_url/v3" \
        --bootstrap-internal-url "$keystone_url/v3" \
        >>"$manage_log" 2>&1
}

"$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$state_dir/secrets/admin-password"
keystone_url="http://127.0.0.1:$keystone_port"
if [[ -f $schema_template ]]; then
    say "bootstrapping Keystone (admin user, identity endpoints in RegionOne)"
    bootstrap &
    pending+=($!)
fi
for pid in "${pending[@]}"; do
    wait "$pid" || die "keystone-manage failed; see $manage_log"
done
if [[ ! -f $keystone_dir/keystone.db ]]; then
    say "bootstrapping Keystone (admin user, identity endpoints in RegionOne)"
    bootstrap || die "keystone-manage bootstrap failed; see $manage_log"
fi

# WAL lets readers go on while one writer has the lock. The mode is stored in
# the database file, so extra Keystones sharing it use it too.
"$venv/bin/python" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' \
    "$keystone_dir/keystone.db" || die "cannot switch the Keystone database to WAL mode"

say "starting Keystone on 127.0.0.1:$keystone_port"
mapfile -t keystone_command < <(keystone_uwsgi_command "$venv" "$keystone_port" "$keystone_dir")
keystone_pid=$(start_process "$pid_dir" keystone "$keystone_port" "$log_dir/keystone.log" \
    "${keystone_command[@]}")

wait_http_status "http://127.0.0.1:$moto_port/moto-api/" 200 60 "$moto_pid" ||
    die "moto did not start; see $log_dir/moto.log"
say "moto is ready"
wait_http_status "$keystone_url/v3" 200 60 "$keystone_pid" ||
    die "Keystone did not start; see $log_dir/keystone.log"
say "Keystone is ready"

"$venv/bin/python" "$harness_dir/seed.py" \
    --state-dir "$state_dir" \
    --keystone-url "$keystone_url" \
    --moto-url "http://127.0.0.1:$moto_port" \
    --api-port "$api_port" \
    --venv "$venv" \
    --tools-dir "$tools_dir" ||
    die "seeding Keystone and moto failed; see the messages above"

trap - EXIT
say "up: Keystone $keystone_url, moto http://127.0.0.1:$moto_port; test settings in $state_dir/env.json"
