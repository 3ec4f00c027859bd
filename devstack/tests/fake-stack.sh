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
#
# When LOCALRC calls enable_plugin, the plugins are cloned into $DEST/<name>
# first, as stack.sh does, and the settings and plugin.sh of those clones
# run, in the order of the enable_plugin calls. Otherwise the plugin is the
# one that contains this script.
# shellcheck source-path=SCRIPTDIR
set -o errexit

if [[ $# -lt 2 ]]; then
    echo "usage: $0 LOCALRC PHASE..." >&2
    exit 2
fi
localrc=$1
shift

tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# shellcheck source=fake-devstack.sh
source "$tests_dir/fake-devstack.sh"
# LOCALRC contains secrets, so it is read before xtrace is on.
# shellcheck disable=SC1090
source "$localrc"
set -o xtrace

# A clone step that fails stops the run here, before any plugin file runs.
fetch_plugins
plugin_dirs=()
for name in "${FAKE_DEVSTACK_PLUGINS[@]}"; do
    plugin_dirs+=("$DEST/$name/devstack")
done
if [[ ${#plugin_dirs[@]} -eq 0 ]]; then
    plugin_dirs=("$(dirname "$tests_dir")")
fi
for plugin_dir in "${plugin_dirs[@]}"; do
    if [[ ! -f $plugin_dir/plugin.sh ]]; then
        die $LINENO "$plugin_dir/plugin.sh not found; enable a ref that contains devstack/plugin.sh"
    fi
done

# devstack sources each plugin's settings once. Sourcing them a second time,
# with aws-hybrid already in ENABLED_SERVICES from LOCALRC, shows that
# enabling the service again adds nothing.
for plugin_dir in "${plugin_dirs[@]}"; do
    # shellcheck source=../settings
    source "$plugin_dir/settings"
    # shellcheck source=../settings
    source "$plugin_dir/settings"
done

for phase in "$@"; do
    mode=${phase%%:*}
    for plugin_dir in "${plugin_dirs[@]}"; do
        echo "fake-stack: running phase $phase of $plugin_dir/plugin.sh"
        if [[ $phase == *:* ]]; then
            # shellcheck source=../plugin.sh
            source "$plugin_dir/plugin.sh" "$mode" "${phase#*:}"
        else
            # shellcheck source=../plugin.sh
            source "$plugin_dir/plugin.sh" "$mode"
        fi
    done
done

set +o xtrace
echo "ENABLED_SERVICES=$ENABLED_SERVICES"
