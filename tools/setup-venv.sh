#!/usr/bin/env bash
# Create the Python venv used by the test harness: Keystone, uWSGI, the moto
# AWS emulator, boto3 and python-openstackclient, pinned by
# tools/constraints.txt.
#
# The venv lives at ${AWS_HYBRID_CACHE:-$HOME/.cache/aws-hybrid}/venv-<hash>,
# where <hash> is the first 12 hex digits of the sha256 of constraints.txt, so
# a changed constraints file gets a new venv. A marker file is written only
# after a successful install, and a run that finds it does nothing more.
#
# Usage: tools/setup-venv.sh [--print-path]
#   --print-path  print the venv path and exit without installing
# The last stdout line is always the venv path. Progress goes to stderr.
#
# Needs python3 (>= 3.11, for Keystone 30) with venv and its C headers, and gcc,
# because uWSGI is built from source. As root on Debian, missing python3-venv,
# python3-dev and gcc packages are installed with apt-get.
set -euo pipefail

tools_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
constraints="$tools_dir/constraints.txt"
python=${AWS_HYBRID_PYTHON:-python3}
cache_dir=${AWS_HYBRID_CACHE:-$HOME/.cache/aws-hybrid}
packages=(keystone uwsgi 'moto[server]' boto3 python-openstackclient oslo.policy PyJWT cryptography)

constraints_hash=$(sha256sum "$constraints" | cut -c1-12)
venv="$cache_dir/venv-$constraints_hash"
marker="$venv/.aws-hybrid-setup-complete"

say() { printf 'setup-venv: %s\n' "$*" >&2; }

if [[ ${1:-} == --print-path ]]; then
    printf '%s\n' "$venv"
    exit 0
elif [[ $# -gt 0 ]]; then
    say "unknown argument: $1 (usage: setup-venv.sh [--print-path])"
    exit 2
fi

if [[ -f $marker ]]; then
    printf '%s\n' "$venv"
    exit 0
fi

# Install the Debian packages the build needs, when they are missing and we can.
missing_debs=()
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    missing_debs+=(python3-venv)
fi
if ! "$python" -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null; then
    missing_debs+=(python3-dev)
fi
if ! command -v gcc >/dev/null; then
    missing_debs+=(gcc)
fi
if [[ ${#missing_debs[@]} -gt 0 ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        say "installing Debian packages: ${missing_debs[*]}"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debs[@]}" >&2
    else
        say "missing prerequisites: ${missing_debs[*]}; install them (Debian package names) and rerun"
        exit 1
    fi
fi

if ! "$python" -c 'import sys; raise SystemExit(sys.version_info < (3, 11))'; then
    say "$python is $("$python" -V 2>&1); Keystone 30 needs Python >= 3.11 (set AWS_HYBRID_PYTHON)"
    exit 1
fi

mkdir -p "$cache_dir"
# Serialise concurrent runs for the same venv, then check the marker again.
exec 9>"$venv.lock"
flock 9
if [[ -f $marker ]]; then
    printf '%s\n' "$venv"
    exit 0
fi

# A venv without the marker is a failed or interrupted install, so start over.
rm -rf "$venv"
say "creating $venv"
"$python" -m venv "$venv"
say "installing ${packages[*]} (a first install builds uWSGI and takes about 2 minutes)"
"$venv/bin/pip" install --disable-pip-version-check --quiet \
    -c "$constraints" "${packages[@]}" >&2
"$venv/bin/pip" check >&2

printf 'constraints sha256 prefix %s\n' "$constraints_hash" >"$marker"
say "done"
printf '%s\n' "$venv"
