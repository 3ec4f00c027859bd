//! aws-hybrid: an OpenStack-native service through which each OpenStack project manages the
//! AWS resources of the AWS account its operator mapped it to, with ordinary Keystone tokens.
//!
//! The request path runs `api` (routing, errors, request ids) → `auth` (Keystone token
//! validation, default rules) → `tenancy` (project → AWS account) → `cloud` (the driver chosen
//! by `[DEFAULT] cloud_driver`). `config` reads oslo.config-style files.

pub mod api;
pub mod auth;
pub mod cloud;
pub mod config;
pub mod logging;
pub mod oidc;
pub mod policy;
pub mod secret;
pub mod server;
pub mod tenancy;
pub mod upgrade_check;

/// Versions of this service and of the cloud SDK crates it was built with.
pub fn version_report() -> String {
    format!(
        "aws-hybrid {}\naws-sdk-ec2 {}\n",
        env!("CARGO_PKG_VERSION"),
        aws_sdk_ec2::meta::PKG_VERSION
    )
}
