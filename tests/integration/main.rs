//! Integration tests: every test talks over HTTP to an aws-hybrid process that validates real
//! Keystone tokens and calls the moto AWS emulator, both started by `tools/harness/up.sh`.

mod api_ref;
mod auth;
mod common;
mod config_errors;
mod discovery;
mod faults;
mod instances;
mod keystone_outage;
mod manage;
mod read_only;
