#!/usr/bin/env bash
# Build the API reference into api-ref/build/html, with Sphinx warnings
# treated as errors.
#
# Sphinx, os-api-ref and openstackdocstheme come from a venv at
# ${AWS_HYBRID_CACHE:-$HOME/.cache/aws-hybrid}/venv-docs-<hash>, where <hash>
# is the first 12 hex digits of the sha256 of api-ref/constraints.txt, so a
# changed constraints file gets a new venv. A marker file is written only
# after a successful install, and a run that finds it installs nothing.
# The build itself reads only local files. It needs a git checkout, because
# openstackdocstheme warns, and so fails the build, when `git rev-parse HEAD`
# fails.
#
# Usage: api-ref/build.sh
# Needs python3 (>= 3.11) with the venv module. As root on Debian, a missing
# python3-venv package is installed with apt-get.
set -euo pipefail

api_ref_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$api_ref_dir")
constraints="$api_ref_dir/constraints.txt"
python=${AWS_HYBRID_PYTHON:-python3}
cache_dir=${AWS_HYBRID_CACHE:-$HOME/.cache/aws-hybrid}
packages=(sphinx os-api-ref openstackdocstheme setuptools)

constraints_hash=$(sha256sum "$constraints" | cut -c1-12)
venv="$cache_dir/venv-docs-$constraints_hash"
marker="$venv/.aws-hybrid-docs-setup-complete"

say() { printf 'api-ref: %s\n' "$*" >&2; }

if [[ $# -gt 0 ]]; then
    say "unknown argument: $1 (usage: api-ref/build.sh)"
    exit 2
fi

install_venv() {
    if ! "$python" -c 'import sys; raise SystemExit(sys.version_info < (3, 11))' 2>/dev/null; then
        say "$python is $("$python" -V 2>&1); Sphinx 9 needs Python >= 3.11 (set AWS_HYBRID_PYTHON)"
        exit 1
    fi
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
            say "installing the Debian package python3-venv"
            apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
        else
            say "$python has no venv module; install python3-venv (Debian) and rerun"
            exit 1
        fi
    fi
    # A venv without the marker is a failed or interrupted install, so start over.
    rm -rf "$venv"
    say "creating $venv"
    "$python" -m venv "$venv"
    say "installing ${packages[*]}"
    "$venv/bin/pip" install --disable-pip-version-check --quiet \
        -c "$constraints" "${packages[@]}" >&2
    "$venv/bin/pip" check >&2
    printf 'constraints sha256 prefix %s\n' "$constraints_hash" >"$marker"
}

if [[ ! -f $marker ]]; then
    mkdir -p "$cache_dir"
    # Serialise concurrent runs for the same venv, then check the marker again.
    exec 9>"$venv.lock"
    flock 9
    if [[ ! -f $marker ]]; then
        install_venv
    fi
    flock -u 9
fi

cd "$repo_root"
if ! "$venv/bin/sphinx-build" -W -b html -d api-ref/build/doctrees \
    api-ref/source api-ref/build/html; then
    # Sphinx 9 saves its environment even when -W fails the build. The next
    # run would then skip the unchanged sources and not repeat their
    # warnings, so drop the environment to make it read everything again.
    rm -rf api-ref/build/doctrees
    say "the build failed; fix the warnings above"
    exit 1
fi
