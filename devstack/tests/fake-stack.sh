#!/usr/bin/env bash
# Runs phases of the aws-hybrid devstack plugin the way stack.sh, unstack.sh
# and clean.sh source them, with the stand-in helpers of fake-devstack.sh.
#
# Usage: devstack/tests/fake-stack.sh LOCALRC PHASE...
#
# LOCALRC is a shell file that sets the devstack globals and the plugin
# settings, as stackrc and the [[local|localrc]] section of local.conf do.
# Each PHASE is MODE:PHASE (stack:install, stack:post-config, stack:extra)
# or MODE alone (unstack, clean). Like stack.sh, the phases run with errexit
# and xtrace on. The last output line is ENABLED_SERVICES=<list>.
# shellcheck source-path=SCRIPTDIR
set -o errexit

if [[ $# -lt 2 ]]; then
    echo "usage: $0 LOCALRC PHASE..." >&2
    exit 2
fi
localrc=$1
shift

plugin_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# shellcheck source=fake-devstack.sh
source "$plugin_dir/tests/fake-devstack.sh"
# LOCALRC contains secrets, so it is read before xtrace is on.
# shellcheck disable=SC1090
source "$localrc"
set -o xtrace

# devstack sources each plugin's settings once. Sourcing them a second time,
# with aws-hybrid already in ENABLED_SERVICES from LOCALRC, shows that
# enabling the service again adds nothing.
# shellcheck source=../settings
source "$plugin_dir/settings"
# shellcheck source=../settings
source "$plugin_dir/settings"

for phase in "$@"; do
    mode=${phase%%:*}
    if [[ $phase == *:* ]]; then
        # shellcheck source=../plugin.sh
        source "$plugin_dir/plugin.sh" "$mode" "${phase#*:}"
    else
        # shellcheck source=../plugin.sh
        source "$plugin_dir/plugin.sh" "$mode"
    fi
done

set +o xtrace
echo "ENABLED_SERVICES=$ENABLED_SERVICES"
