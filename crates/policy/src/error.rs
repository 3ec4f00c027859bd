//! Errors and warnings of policy loading.

use std::fmt;
use std::path::PathBuf;

/// Origin of a rule's check string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOrigin {
    /// A [`crate::RuleDefault`] registered in code.
    Default,
    /// A policy file.
    File {
        /// The policy file.
        path: PathBuf,
        /// Line of the check string in the file, counted from 1.
        line: usize,
    },
}

impl fmt::Display for RuleOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleOrigin::Default => f.write_str("registered default"),
            RuleOrigin::File { path, line } => write!(f, "{} line {line}", path.display()),
        }
    }
}

/// A policy that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A policy file or directory could not be read.
    #[error("failed to read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A policy directory path exists but is not a directory.
    #[error("policy directory {} is not a directory", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A JSON policy file.
    #[error(
        "{}: JSON policy files are not supported (oslo.policy removed them); convert the file \
         to YAML, with one `\"rule name\": \"check string\"` line per rule",
        path.display()
    )]
    Json {
        /// The file.
        path: PathBuf,
    },
    /// A policy file that is not valid YAML or not a mapping of rule names to check strings.
    #[error("{} line {line}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Line of the problem, counted from 1.
        line: usize,
        /// Description of the problem and of its fix.
        message: String,
    },
    /// A rule whose check string is invalid or uses a remote (`http:`) check.
    #[error(
        "{origin}: rule \"{name}\": invalid check string \"{check_str}\" at column {column}: \
         {message}"
    )]
    InvalidRule {
        /// Origin of the check string.
        origin: RuleOrigin,
        /// The rule name.
        name: String,
        /// The check string.
        check_str: String,
        /// Character position of the problem in the check string, counted from 1.
        column: usize,
        /// Description of the problem and of its fix.
        message: String,
    },
    /// Two registered defaults with the same name.
    #[error("rule \"{name}\" is registered twice; give each registered default its own name")]
    DuplicateDefault {
        /// The rule name.
        name: String,
    },
    /// A registered default whose scope types are not a set of `system`, `domain` and `project`.
    #[error("registered default \"{name}\": {message}")]
    InvalidScopeTypes {
        /// The rule name.
        name: String,
        /// Description of the problem.
        message: String,
    },
    /// Rules that reach themselves through `rule:` references, so evaluating them never ends.
    #[error(
        "rules form a cycle of rule: references, so evaluating them never ends: {}; change one \
         of these rules to break the cycle",
        describe_cycle(steps)
    )]
    Cycle {
        /// The rules of the cycle in order; the last one refers back to the first.
        steps: Vec<CycleStep>,
    },
}

/// One rule of a reference cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleStep {
    /// The rule name.
    pub name: String,
    /// Origin of its check string.
    pub origin: RuleOrigin,
    /// The undefined rule name it refers to, when it reaches the next rule through the
    /// fallback to the default rule.
    pub via_undefined: Option<String>,
}

fn describe_cycle(steps: &[CycleStep]) -> String {
    let mut text = String::new();
    for step in steps {
        text.push_str(&format!("\"{}\" ({})", step.name, step.origin));
        match &step.via_undefined {
            Some(undefined) => text.push_str(&format!(
                " -> undefined \"{undefined}\", evaluated as the default rule -> "
            )),
            None => text.push_str(" -> "),
        }
    }
    if let Some(first) = steps.first() {
        text.push_str(&format!("\"{}\"", first.name));
    }
    text
}

/// A problem that does not stop loading: a `rule:` reference to a rule that is not defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWarning {
    /// The rule that contains the reference.
    pub rule: String,
    /// Origin of that rule's check string.
    pub origin: RuleOrigin,
    /// The undefined rule name.
    pub undefined: String,
    /// Whether the default rule exists, in which case oslo.policy evaluates the reference as
    /// the default rule instead of as false.
    pub default_rule_defined: bool,
}

impl fmt::Display for PolicyWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: rule \"{}\" refers to undefined rule \"{}\", ",
            self.origin, self.rule, self.undefined
        )?;
        if self.default_rule_defined {
            write!(
                f,
                "which is evaluated as the default rule \"{}\"",
                crate::DEFAULT_RULE
            )
        } else {
            write!(
                f,
                "which is always false because the default rule \"{}\" is not defined either",
                crate::DEFAULT_RULE
            )
        }
    }
}
