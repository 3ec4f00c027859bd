#!/usr/bin/env bash
# devstack entry point of the aws-hybrid plugin. devstack sources this file as
# `plugin.sh MODE [PHASE]` in each phase, after the settings file. Every step
# can run again on a host that an earlier stack.sh set up, because it finds or
# replaces what that run created and adds nothing twice.
#
#   stack install      install the binaries
#   stack post-config  write the configuration, then create the service user,
#                      the catalog service and its endpoints (Keystone runs)
#   stack extra        start the service and wait until it serves
#   unstack            stop the service
#   clean              remove the files the plugin wrote

# shellcheck source-path=SCRIPTDIR source=lib/aws-hybrid
source "$(dirname "${BASH_SOURCE[0]}")/lib/aws-hybrid"

if is_service_enabled aws-hybrid; then
    case "$1:${2:-}" in
        stack:install)
            echo_summary "Installing aws-hybrid"
            install_aws_hybrid
            ;;
        stack:post-config)
            echo_summary "Configuring aws-hybrid"
            configure_aws_hybrid
            create_aws_hybrid_accounts
            ;;
        stack:extra)
            echo_summary "Starting aws-hybrid"
            start_aws_hybrid
            ;;
        unstack:*)
            stop_aws_hybrid
            ;;
        clean:*)
            cleanup_aws_hybrid
            ;;
    esac
fi
