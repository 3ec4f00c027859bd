//! Mapping of Keystone projects to the AWS credentials and regions that serve them.
//!
//! [`TenantMap::load`] reads the file named by `[tenancy] mapping_file`, and
//! [`render_sample`] documents its format.

mod error;
pub mod guardrails;
mod mapping;

pub use error::{MappingError, MappingIssue, MappingIssueKind};
pub use guardrails::Guardrails;
pub use mapping::{TenantCredentials, TenantEntry, TenantMap, is_role_arn};

/// Renders a commented sample mapping file that documents the format.
///
/// The example sections are commented out, so the sample itself maps no project and
/// loading it fails with "no [project:<id>] section".
pub fn render_sample() -> String {
    SAMPLE.to_string()
}

const SAMPLE: &str = "\
# Sample tenant mapping for aws-hybrid.
#
# This file maps each Keystone project to the AWS credentials that
# aws-hybrid uses for requests scoped to that project. The service reads
# it from the path in [tenancy] mapping_file of aws-hybrid.conf, by default
# /etc/aws-hybrid/tenants.conf. The file contains AWS secret access keys,
# so make it readable only by root and the user that runs the service.
#
# Syntax is that of aws-hybrid.conf: `name = value` lines, comment lines
# starting with # or ;, and no comments after a value. Unlike in
# aws-hybrid.conf, $ in a value has no special meaning.
#
# Each project gets one [project:<id>] section, where <id> is the Keystone
# project ID (1 to 64 letters, digits, '_' or '-'), as printed by
# `openstack project show -f value -c id <project>`. IDs are case-sensitive.
# Fields:
#
#   aws_access_key_id      Access key ID of the AWS credentials, 16 to 128
#                          upper-case letters and digits. Several projects
#                          may share one AWS account.
#   aws_secret_access_key  Secret access key of the same credentials.
#   role_arn               IAM role to assume instead of using keys, such
#                          as arn:aws:iam::123456789012:role/aws-hybrid.
#                          The service assumes it through STS with the
#                          credentials of [sts] in aws-hybrid.conf and the
#                          Keystone project ID as external ID (or as the
#                          subject of its own OIDC token). The role's trust
#                          policy should require that ID. Give either
#                          role_arn or both keys.
#   region                 AWS region for requests that name none. When
#                          unset, [DEFAULT] region applies, then [aws]
#                          region of aws-hybrid.conf.
#   allowed_regions        Comma-separated AWS regions that the project may
#                          use. It must include region. When unset, the
#                          project may use region only. A request picks
#                          one with the AWS-Hybrid-Region header.
#   max_instances          Most instances the project may have pending,
#                          running or stopping at once. Unset: no limit.
#   max_vcpus              Most vCPUs those instances may have together,
#                          by their types' default vCPU counts.
#   allowed_instance_types Comma-separated instance type patterns with the
#                          wildcards * and ?, such as t3.*, m5.large.
#                          Unset: every type.
#   allowed_image_owners   Comma-separated owners whose images the project
#                          may launch: 12-digit account IDs, self, amazon
#                          or aws-marketplace. Unset: every owner.
#
# A [DEFAULT] section gives fallbacks for every field of every project
# section.

#[DEFAULT]
#region = us-east-1

#[project:0123456789abcdef0123456789abcdef]
#aws_access_key_id = AKIAIOSFODNN7EXAMPLE
#aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
#region = eu-west-1
#allowed_regions = eu-west-1, eu-central-1

#[project:fedcba9876543210fedcba9876543210]
#aws_access_key_id = AKIAI44QH8DHBEXAMPLE
#aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY

#[project:00112233445566778899aabbccddeeff]
#role_arn = arn:aws:iam::123456789012:role/aws-hybrid
#max_instances = 10
#max_vcpus = 32
#allowed_instance_types = t3.*, m5.large
#allowed_image_owners = self, amazon
";

/// Return a warning naming the file and the fix when its group or other users can read the
/// mapping file. Returns `None` for mode 0600 or stricter, or when the mode cannot be read.
pub fn permission_warning(path: &std::path::Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;

    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} has mode {:04o} and holds AWS secret keys: make it readable by the service user only (chmod 600 {})",
            path.display(),
            mode & 0o7777,
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Removes the `#` from the example lines of the sample.
    fn uncomment_examples(sample: &str) -> String {
        let mut out = String::new();
        for line in sample.lines() {
            let example = ["#[", "#aws_", "#region", "#allowed_", "#role_", "#max_"]
                .iter()
                .any(|prefix| line.starts_with(prefix));
            out.push_str(if example { &line[1..] } else { line });
            out.push('\n');
        }
        out
    }

    #[test]
    fn sample_maps_no_project() {
        let error = TenantMap::parse(&render_sample(), "sample", "us-east-1").unwrap_err();

        assert_eq!(error.0.len(), 1);
        assert_eq!(error.0[0].kind, MappingIssueKind::NoProjects);
    }

    #[test]
    fn sample_examples_are_valid() {
        let text = uncomment_examples(&render_sample());
        let map = match TenantMap::parse(&text, "sample", "us-west-2") {
            Ok(map) => map,
            Err(error) => panic!("{error}"),
        };

        assert_eq!(map.len(), 3);
        let first = map.get("0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(first.region, "eu-west-1");
        assert_eq!(first.allowed_regions, ["eu-west-1", "eu-central-1"]);
        let second = map.get("fedcba9876543210fedcba9876543210").unwrap();
        assert_eq!(second.region, "us-east-1");
        assert_eq!(second.allowed_regions, ["us-east-1"]);
        let third = map.get("00112233445566778899aabbccddeeff").unwrap();
        assert_eq!(
            third.credentials,
            TenantCredentials::Role {
                role_arn: "arn:aws:iam::123456789012:role/aws-hybrid".into()
            }
        );
        assert_eq!(third.guardrails.max_vcpus, Some(32));
        assert_eq!(third.guardrails.allowed_image_owners, ["self", "amazon"]);
    }

    #[test]
    fn sample_lines_fit_width() {
        for line in render_sample().lines() {
            assert!(line.len() <= 78, "{line:?}");
        }
    }
}
