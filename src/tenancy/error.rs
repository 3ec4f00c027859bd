//! Errors of the tenant mapping file. Loading collects every problem it finds.

use std::fmt;

use crate::config::ini::ParseErrorKind;

use super::mapping::FIELDS;

/// All problems found in a tenant mapping file, one per line when displayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", join_lines(.0))]
pub struct MappingError(pub Vec<MappingIssue>);

/// One problem, displayed as `FILE:LINE: [SECTION] FIELD: MESSAGE` without the parts
/// that do not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingIssue {
    pub path: String,
    pub line: Option<usize>,
    pub section: Option<String>,
    pub field: Option<String>,
    pub kind: MappingIssueKind,
}

/// Kind of problem. Messages never contain a secret access key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingIssueKind {
    #[error("tenant mapping file not found; create it or set [tenancy] mapping_file to its path")]
    FileNotFound,
    #[error("failed to read tenant mapping file: {0}")]
    ReadFailed(String),
    #[error("{0}")]
    Syntax(ParseErrorKind),
    #[error(
        "invalid section name; expected [DEFAULT] or [project:<id>], where <id> is a Keystone project ID of 1 to 64 letters, digits, '_' or '-'"
    )]
    InvalidSection,
    #[error(
        "duplicate section for this project, first defined at line {first_line}; merge the two sections"
    )]
    DuplicateProject { first_line: usize },
    #[error("no [project:<id>] section; add one section per Keystone project")]
    NoProjects,
    #[error("unknown field; {}{}", did_you_mean(.suggestion), FIELDS.join(", "))]
    UnknownField { suggestion: Option<String> },
    #[error("required field is missing; set it in this section or in [DEFAULT]")]
    MissingField,
    #[error("field is empty; set a value")]
    EmptyField,
    #[error(
        "invalid access key ID {value:?}: expected 16 to 128 upper-case letters and digits, such as AKIAIOSFODNN7EXAMPLE"
    )]
    InvalidAccessKeyId { value: String },
    #[error("invalid region {value:?}: expected an AWS region name such as us-east-1")]
    InvalidRegion { value: String },
    #[error(
        "invalid region {value:?} from [aws] region in the service configuration; fix that option or set region in this section"
    )]
    InvalidDefaultRegion { value: String },
    #[error(
        "a section gives either role_arn or the two aws_ keys, not both; remove the keys to assume the role, or remove role_arn"
    )]
    KeysAndRole,
    #[error(
        "invalid role ARN {value:?}: expected arn:aws:iam::<12-digit account>:role/<name>, such as arn:aws:iam::123456789012:role/aws-hybrid"
    )]
    InvalidRoleArn { value: String },
    #[error("invalid count {value:?}: expected a whole number from 0 to 4294967295")]
    InvalidCount { value: String },
    #[error(
        "invalid instance type pattern {value:?}: expected letters, digits, '.', '-' and the wildcards * and ?, such as t3.* or m5.large"
    )]
    InvalidInstanceTypePattern { value: String },
    #[error(
        "invalid image owner {value:?}: expected a 12-digit AWS account ID, self, amazon or aws-marketplace"
    )]
    InvalidImageOwner { value: String },
    #[error("region {region:?} is not in allowed_regions ({}); add it there or choose an allowed region", .allowed.join(", "))]
    RegionNotAllowed {
        region: String,
        allowed: Vec<String>,
    },
}

impl MappingIssue {
    pub(super) fn at(path: &str, line: Option<usize>, kind: MappingIssueKind) -> Self {
        Self {
            path: path.to_string(),
            line,
            section: None,
            field: None,
            kind,
        }
    }
}

impl fmt::Display for MappingIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        match (&self.section, &self.field) {
            (Some(section), Some(field)) => write!(f, "[{section}] {field}: ")?,
            (Some(section), None) => write!(f, "[{section}]: ")?,
            (None, Some(field)) => write!(f, "{field}: ")?,
            (None, None) => {}
        }
        write!(f, "{}", self.kind)
    }
}

fn join_lines(issues: &[MappingIssue]) -> String {
    let lines: Vec<String> = issues.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(name) => format!("did you mean {name}? Known fields: "),
        None => "known fields: ".to_string(),
    }
}
