//! Configuration errors. Loading collects every problem it finds, so one run of the
//! service shows them all.

use std::fmt;

use super::ini::ParseErrorKind;

/// All problems found while loading the configuration, in the order found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", join_lines(.0))]
pub struct ConfigError(pub Vec<ConfigIssue>);

/// One problem, with where it was found and what to do about it.
///
/// Displays as `FILE:LINE: [GROUP] OPTION: MESSAGE`, leaving out the parts that are unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub location: Option<Location>,
    pub group: Option<String>,
    pub option: Option<String>,
    pub kind: IssueKind,
}

/// Source of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file, and the line when one applies.
    File { path: String, line: Option<usize> },
    /// An `OS_<GROUP>__<OPTION>` environment variable.
    Env { var: String },
}

/// Kind of problem. Messages never contain the value of a secret option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueKind {
    #[error("configuration file not found; check the path given with --config-file")]
    FileNotFound,
    #[error("configuration directory not found; check the path given with --config-dir")]
    DirNotFound,
    #[error("failed to read: {0}")]
    ReadFailed(String),
    #[error("{0}")]
    Syntax(ParseErrorKind),
    #[error("unknown section; {}", alternatives(.suggestion.as_ref().map(|name| format!("[{name}]")), "sections", .known))]
    UnknownSection {
        suggestion: Option<String>,
        known: Vec<String>,
    },
    #[error("unknown option; {}", alternatives(.suggestion.clone(), &format!("options in [{group}]"), .known))]
    UnknownOption {
        group: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    /// `value` is `None` for secret options.
    #[error("invalid value {}: {expected}", quote_or_hide(.value))]
    InvalidValue {
        value: Option<String>,
        expected: String,
    },
    #[error("required option is missing; set it in {file} or {env_var}")]
    MissingRequired { file: String, env_var: String },
    #[error("required option is empty; set a value in {file} or {env_var}")]
    EmptyRequired { file: String, env_var: String },
    #[error(
        "{reference} refers to an unknown option; use $name for an option in the same group or [DEFAULT], ${{group.name}} for another group, or $$ for a literal $"
    )]
    UnknownReference { reference: String },
    #[error("{reference} refers to an option that is not set; set it or remove the reference")]
    UnsetReference { reference: String },
    #[error("{reference} refers to a multi-valued option, which cannot be substituted")]
    MultiValuedReference { reference: String },
    #[error(
        "invalid $ in value {value:?}; write $$ for a literal $, or use $name or ${{group.name}}"
    )]
    InvalidPlaceholder { value: String },
    #[error("references form a cycle: {chain}; remove one of them")]
    ReferenceCycle { chain: String },
    /// Any `$` problem in a secret value, which the message must not quote.
    #[error(
        "the value (hidden) contains a $ reference that cannot be expanded; write $$ for a literal $"
    )]
    HiddenReference,
    #[error("{0}")]
    Inconsistent(String),
}

impl ConfigIssue {
    /// Creates an issue about `[group] option`.
    pub fn for_option(
        location: Option<Location>,
        group: &str,
        option: &str,
        kind: IssueKind,
    ) -> Self {
        Self {
            location,
            group: Some(group.to_string()),
            option: Some(option.to_string()),
            kind,
        }
    }

    /// Creates an issue about a whole file or directory.
    pub fn for_path(path: &str, kind: IssueKind) -> Self {
        Self {
            location: Some(Location::file(path, None)),
            group: None,
            option: None,
            kind,
        }
    }
}

impl Location {
    /// Creates a file location.
    pub fn file(path: &str, line: Option<usize>) -> Self {
        Location::File {
            path: path.to_string(),
            line,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File {
                path,
                line: Some(line),
            } => write!(f, "{path}:{line}"),
            Location::File { path, line: None } => f.write_str(path),
            Location::Env { var } => write!(f, "environment variable {var}"),
        }
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        match (&self.group, &self.option) {
            (Some(group), Some(option)) => write!(f, "[{group}] {option}: ")?,
            (Some(group), None) => write!(f, "[{group}]: ")?,
            (None, Some(option)) => write!(f, "{option}: ")?,
            (None, None) => {}
        }
        write!(f, "{}", self.kind)
    }
}

fn join_lines(issues: &[ConfigIssue]) -> String {
    let lines: Vec<String> = issues.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// Formats the list of valid names, led by the closest one when there is one.
fn alternatives(suggestion: Option<String>, list_name: &str, known: &[String]) -> String {
    let known = known.join(", ");
    match suggestion {
        Some(name) => format!("did you mean {name}? Known {list_name}: {known}"),
        None => format!("known {list_name}: {known}"),
    }
}

fn quote_or_hide(value: &Option<String>) -> String {
    match value {
        Some(value) => format!("{value:?}"),
        None => "(hidden)".to_string(),
    }
}
