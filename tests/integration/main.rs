//! Integration tests: every test talks over HTTP to an aws-hybrid process that validates real
//! Keystone tokens and calls the moto AWS emulator, both started by `tools/harness/up.sh`.

mod addresses;
mod admin_listing;
mod api_ref;
mod auth;
mod common;
mod config_errors;
mod consistency;
mod discovery;
mod faults;
mod guardrails;
mod image_changes;
mod instance_operations;
mod instances;
mod key_pairs;
mod keystone_outage;
mod list_pages;
mod manage;
mod manage_online;
mod networks;
mod policy;
mod read_only;
mod regions;
mod reload;
mod roles;
mod security_groups;
mod snapshots;
mod volumes;
