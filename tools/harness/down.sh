#!/usr/bin/env bash
# Stop every process recorded in STATE_DIR/pids/ by up.sh and
# extra-keystone.sh: SIGTERM, up to 3 s of grace, then SIGKILL for the process
# and its children. Waits until their ports are closed. Safe to run twice, and
# on a directory that never held a run.
#
# Usage: tools/harness/down.sh STATE_DIR
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ $# -ne 1 ]]; then
    echo "usage: $0 STATE_DIR" >&2
    exit 2
fi

pid_dir="$1/pids"
if [[ ! -d $pid_dir ]]; then
    exit 0
fi

# Stop all processes at once, because each takes about 1 s to exit after
# SIGTERM.
stoppers=()
for pid_file in "$pid_dir"/*.pid; do
    [[ -e $pid_file ]] || continue
    stop_recorded_process "$pid_dir" "$(basename "$pid_file" .pid)" &
    stoppers+=($!)
done

status=0
for stopper in "${stoppers[@]}"; do
    wait "$stopper" || status=1
done
exit "$status"
