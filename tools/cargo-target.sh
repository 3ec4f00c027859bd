# Source this file: it sets CARGO_TARGET_DIR to the shared build cache and makes sure the
# aws-hybrid binaries in it were built from this checkout.
#
# Dependencies are shared between checkouts to save the long cold build. aws-hybrid's own
# artifacts are not: cargo records the absolute paths of the sources it compiled and checks
# their times, so after a build from another checkout it would take that checkout's binaries
# for fresh. When the cache was last used by another checkout, they are removed first.
# shellcheck shell=bash

cargo_target_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${AWS_HYBRID_CACHE:-$HOME/.cache/aws-hybrid}/target}
mkdir -p "$CARGO_TARGET_DIR"
if [[ $(cat "$CARGO_TARGET_DIR/.aws-hybrid-checkout" 2>/dev/null) != "$cargo_target_root" ]]; then
    (cd "$cargo_target_root" && cargo clean --quiet -p aws-hybrid)
    printf '%s\n' "$cargo_target_root" >"$CARGO_TARGET_DIR/.aws-hybrid-checkout"
fi
