#!/usr/bin/env bash
# The main job, end to end on 127.0.0.1. Build aws-hybrid, start Keystone and the AWS emulator,
# and start the service registered in the Keystone catalog. Then, as a member of project alpha,
# launch an EC2 instance through the catalog endpoint, list it and terminate it.
#
# Environment:
#   AWS_HYBRID_CACHE      venv and cargo target cache (default: $HOME/.cache/aws-hybrid)
#   AWS_HYBRID_DEMO_DIR   state directory (default: /tmp/aws-hybrid-demo)
#   AWS_HYBRID_DEMO_KEEP  set to 1 to leave everything running at the end
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/cargo-target.sh
. "$root/tools/cargo-target.sh"
export AWS_EC2_METADATA_DISABLED=true
state=${AWS_HYBRID_DEMO_DIR:-/tmp/aws-hybrid-demo}

step() { printf '\n==> %s\n' "$*"; }

step "Python environment (Keystone, moto, openstackclient)"
venv=$("$root/tools/setup-venv.sh" | tail -n 1)

step "Building aws-hybrid"
(cd "$root" && cargo build --locked --bin aws-hybrid-api)

"$root/tools/harness/down.sh" "$state" >/dev/null 2>&1 || true
if [[ ${AWS_HYBRID_DEMO_KEEP:-0} != 1 ]]; then
    trap '"$root/tools/harness/down.sh" "$state" >/dev/null 2>&1 || true' EXIT
fi
step "Starting Keystone and the AWS emulator"
"$root/tools/harness/up.sh" "$state"

step "Starting aws-hybrid-api"
# shellcheck source=tools/harness/common.sh
. "$root/tools/harness/common.sh"
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_port"])' "$state/env.json")
if port_open "$port"; then
    die "127.0.0.1:$port is already in use; stop the process listening there first"
fi
api_pid=$(start_process "$state/pids" aws-hybrid-api "$port" "$state/logs/aws-hybrid-api.log" \
    "$CARGO_TARGET_DIR/debug/aws-hybrid-api" --config-file "$state/aws-hybrid.conf")
wait_http_status "http://127.0.0.1:$port/healthcheck" 200 30 "$api_pid" || {
    echo "aws-hybrid-api did not start; its log:" >&2
    cat "$state/logs/aws-hybrid-api.log" >&2
    exit 1
}
echo "aws-hybrid-api answers on 127.0.0.1:$port"

step "As alpha-member: openstack token issue, openstack catalog list"
set -a
# shellcheck disable=SC1091
. "$state/openrc-alpha-member"
set +a
openstack="$venv/bin/openstack"
token=$("$openstack" token issue -f value -c id)
echo "got a project-scoped token for project alpha (not shown)"
url=$("$openstack" catalog list -f json | "$venv/bin/python" -c '
import json, sys
for service in json.load(sys.stdin):
    if service["Type"] == "aws-hybrid":
        for endpoint in service["Endpoints"]:
            if endpoint["interface"] == "public" and endpoint["region_id"] == "RegionOne":
                print(endpoint["url"].rstrip("/"))
')
[[ -n $url ]] || { echo "the catalog has no public aws-hybrid endpoint in RegionOne" >&2; exit 1; }
echo "catalog endpoint of service type aws-hybrid: $url"

api() {
    local method=$1 path=$2
    shift 2
    # shellcheck disable=SC2016 # $TOKEN is printed literally, never the token itself
    printf '\n$ curl -X %s -H "X-Auth-Token: $TOKEN" -H '"'"'Content-Type: application/json'"'"' %s%s' \
        "$method" "$url" "$path"
    # Each argument in single quotes, so that the printed command can be pasted into a shell.
    local arg quote="'"
    for arg in "$@"; do
        printf " '%s'" "${arg//$quote/$quote\\$quote$quote}"
    done
    printf '\n'
    curl -sS -X "$method" -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
        -w '\nHTTP %{http_code}\n' "$@" "$url$path"
}

step "Pick an Amazon x86_64 image (t3.micro is an x86_64 type)"
images=$(curl -sS -H "X-Auth-Token: $token" "$url/images?owner=amazon&architecture=x86_64&limit=1")
image=$(printf '%s' "$images" | "$venv/bin/python" -c '
import json, sys
body = json.load(sys.stdin)
if not body.get("images"):
    sys.exit("no Amazon image listed: %s" % json.dumps(body))
print(body["images"][0]["id"])
')
echo "image: $image"

step "Launch an instance"
created=$(api POST /instances -d "{\"instance\": {\"name\": \"demo\", \"image_id\": \"$image\", \"instance_type\": \"t3.micro\"}}")
echo "$created"
id=$(printf '%s\n' "$created" | sed -n 's/.*"id":"\(i-[0-9a-f]*\)".*/\1/p' | head -n 1)
[[ -n $id ]] || { echo "the launch did not return an instance id" >&2; exit 1; }

step "List the project's instances"
api GET /instances

step "Terminate $id"
api DELETE "/instances/$id"

step "Show it once more"
api GET "/instances/$id"

printf '\nDone: launched, listed and terminated %s through %s.\n' "$id" "$url"
if [[ ${AWS_HYBRID_DEMO_KEEP:-0} == 1 ]]; then
    printf 'Everything is still running; stop it with: tools/harness/down.sh %s\n' "$state"
fi
