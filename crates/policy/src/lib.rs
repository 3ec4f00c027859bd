//! Policy rules with the semantics of OpenStack's oslo.policy (checked against 6.0.1).
//!
//! A service registers its rules in code as [`RuleDefault`]s, lets operators override them
//! rule by rule in YAML policy files, and gets each [`Decision`] from an [`Enforcer`]:
//!
//! ```
//! use aws_hybrid_policy::{Enforcer, RuleDefault};
//! use serde_json::json;
//!
//! let defaults = [RuleDefault {
//!     name: "aws-hybrid:instance:list".into(),
//!     check_str: "role:admin or (role:reader and project_id:%(project_id)s)".into(),
//!     description: "List instances.".into(),
//!     operations: vec![("GET".into(), "/v1/instances".into())],
//!     scope_types: vec!["project".into()],
//! }];
//! let enforcer = Enforcer::new(&defaults, &[]).unwrap();
//! let creds = json!({"roles": ["Reader"], "project_id": "p1"});
//! let decision = enforcer.enforce("aws-hybrid:instance:list", &json!({"project_id": "p1"}), &creds);
//! assert!(decision.is_allowed());
//! ```
//!
//! Evaluation follows oslo.policy, including its surprises: a `rule:` reference to an
//! undefined rule evaluates the `default` rule, and a list in the creds matches when any
//! element matches. Parsing is stricter: where oslo.policy logs a malformed check string and
//! denies, this crate returns an error with the rule name and column. The crate's tests compare
//! both behaviours with the real oslo.policy; see `tests/oslo_differential.rs`.

mod check;
mod enforcer;
mod error;
mod file;
mod parse;
mod python;
mod sample;
pub mod testgen;

pub use check::{Check, Left, Template};
pub use enforcer::{
    DEFAULT_RULE, Decision, DenyReason, EffectiveRule, Enforcer, RuleDefault, TokenScope,
};
pub use error::{CycleStep, PolicyError, PolicyWarning, RuleOrigin};
pub use file::{FileRule, PolicyFile, policy_file_paths};
pub use parse::{CheckStrError, parse_check_str};
pub use sample::sample_yaml;
