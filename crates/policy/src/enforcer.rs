//! The enforcer: registered defaults, overridden by policy files, evaluated with oslo.policy's
//! semantics.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::check::{Check, Left, Template};
use crate::error::{CycleStep, PolicyError, PolicyWarning, RuleOrigin};
use crate::file::{PolicyFile, policy_file_paths};
use crate::parse::parse_check_str;
use crate::python::{is_python_space, is_truthy, python_str};

/// Name of the rule that oslo.policy evaluates in place of an undefined rule (the default of its
/// `policy_default_rule` option).
pub const DEFAULT_RULE: &str = "default";

/// The scope types a rule may list, as in Keystone token scopes.
const SCOPE_TYPES: [&str; 3] = ["system", "domain", "project"];

/// A rule registered in code, like oslo.policy's `DocumentedRuleDefault`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleDefault {
    /// The rule name, such as `aws-hybrid:instance:list`.
    pub name: String,
    /// The default check string.
    pub check_str: String,
    /// Text for operators, shown as comments in the sample file. Empty for none.
    pub description: String,
    /// The API operations the rule guards, as (HTTP method, path) pairs.
    pub operations: Vec<(String, String)>,
    /// The token scopes allowed to pass the rule: `system`, `domain` and `project`. Empty for no
    /// scope check.
    pub scope_types: Vec<String>,
}

/// The scope of the token behind a set of creds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// `system` or `system_scope` is set in the creds.
    System,
    /// `domain_id` is set in the creds, and no system scope.
    Domain,
    /// Neither of the above.
    Project,
}

impl TokenScope {
    /// Returns the scope type name: `system`, `domain` or `project`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::System => "system",
            TokenScope::Domain => "domain",
            TokenScope::Project => "project",
        }
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of [`Enforcer::enforce`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The rule passed.
    Allow,
    /// The rule did not pass.
    Deny(DenyReason),
}

impl Decision {
    /// Returns whether the decision is [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Why [`Enforcer::enforce`] denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyReason {
    /// The token's scope is not one of the registered default's scope types.
    ScopeMismatch {
        /// The scope of the creds.
        token_scope: TokenScope,
        /// The rule's scope types.
        scope_types: Vec<String>,
    },
    /// The check string evaluated to false.
    CheckFailed,
    /// Neither the rule nor the default rule is defined.
    RuleNotFound,
    /// The creds have a shape that makes oslo.policy raise during evaluation, such as a
    /// `roles` list with a non-string element or a creds path that walks into a string.
    MalformedCreds(String),
}

/// A rule as the enforcer evaluates it, for status and upgrade checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveRule {
    /// The rule name.
    pub name: String,
    /// The check string in force.
    pub check_str: String,
    /// Whether a [`RuleDefault`] of this name is registered.
    pub registered: bool,
    /// Whether a policy file replaces the registered default's check string.
    pub overridden: bool,
    /// Origin of the check string in force.
    pub origin: RuleOrigin,
}

#[derive(Debug)]
struct LoadedRule {
    check_str: String,
    check: Check,
    origin: RuleOrigin,
}

/// Registered defaults overridden by policy files, ready to evaluate.
///
/// Construction rejects invalid check strings, remote checks and `rule:` cycles, so evaluation
/// always terminates.
#[derive(Debug)]
pub struct Enforcer {
    rules: HashMap<String, LoadedRule>,
    /// Rule names: registered defaults in registration order, then rules that only files
    /// define, in file order.
    order: Vec<String>,
    /// The scope types of each registered default.
    scope_types: HashMap<String, Vec<String>>,
    warnings: Vec<PolicyWarning>,
}

impl Enforcer {
    /// Builds an enforcer from registered defaults and parsed policy files.
    ///
    /// Each rule of a file replaces the rule of the same name from the defaults and from the
    /// files before it. Returns an error for a duplicate default, an invalid scope type, an
    /// invalid check string in a default, a remote check, or a cycle of `rule:` references. A
    /// reference to an undefined rule counts as one to [`DEFAULT_RULE`] in the cycle search,
    /// because oslo.policy evaluates it that way. [`Enforcer::warnings`] lists such references.
    pub fn new(defaults: &[RuleDefault], files: &[PolicyFile]) -> Result<Enforcer, PolicyError> {
        let mut rules = HashMap::new();
        let mut order = Vec::new();
        let mut scope_types = HashMap::new();
        for default in defaults {
            if scope_types.contains_key(&default.name) {
                return Err(PolicyError::DuplicateDefault {
                    name: default.name.clone(),
                });
            }
            validate_scope_types(default)?;
            let origin = RuleOrigin::Default;
            let check = parse_loadable(&default.name, &default.check_str, &origin)?;
            scope_types.insert(default.name.clone(), default.scope_types.clone());
            order.push(default.name.clone());
            rules.insert(
                default.name.clone(),
                LoadedRule {
                    check_str: default.check_str.clone(),
                    check,
                    origin,
                },
            );
        }
        for file in files {
            for rule in file.rules() {
                let loaded = LoadedRule {
                    check_str: rule.check_str.clone(),
                    check: rule.check.clone(),
                    origin: RuleOrigin::File {
                        path: file.path().to_path_buf(),
                        line: rule.line,
                    },
                };
                if rules.insert(rule.name.clone(), loaded).is_none() {
                    order.push(rule.name.clone());
                }
            }
        }
        let enforcer = Enforcer {
            warnings: undefined_references(&rules, &order),
            rules,
            order,
            scope_types,
        };
        enforcer.check_cycles()?;
        Ok(enforcer)
    }

    /// Loads the policy files that [`policy_file_paths`] lists for `policy_file` and
    /// `policy_dirs`, and builds an enforcer from them with [`Enforcer::new`].
    pub fn load(
        defaults: &[RuleDefault],
        policy_file: Option<&Path>,
        policy_dirs: &[PathBuf],
    ) -> Result<Enforcer, PolicyError> {
        let files = policy_file_paths(policy_file, policy_dirs)?
            .iter()
            .map(|path| PolicyFile::load(path))
            .collect::<Result<Vec<_>, _>>()?;
        Enforcer::new(defaults, &files)
    }

    /// Returns the `rule:` references to undefined rules found when loading.
    pub fn warnings(&self) -> &[PolicyWarning] {
        &self.warnings
    }

    /// Lists the rules in force: registered defaults in registration order, then rules that
    /// only policy files define.
    pub fn effective_rules(&self) -> Vec<EffectiveRule> {
        self.order
            .iter()
            .map(|name| {
                let rule = &self.rules[name];
                let registered = self.scope_types.contains_key(name);
                EffectiveRule {
                    name: name.clone(),
                    check_str: rule.check_str.clone(),
                    registered,
                    overridden: registered && matches!(rule.origin, RuleOrigin::File { .. }),
                    origin: rule.origin.clone(),
                }
            })
            .collect()
    }

    /// Returns the parsed check in force for a rule name, without the default-rule fallback.
    pub fn rule_check(&self, name: &str) -> Option<&Check> {
        self.rules.get(name).map(|rule| &rule.check)
    }

    /// Evaluates a rule for a target and creds, both JSON objects (anything else counts as an
    /// empty object).
    ///
    /// This follows oslo.policy. A name that is not defined is evaluated as [`DEFAULT_RULE`].
    /// A registered default's scope types are checked first, against the token scope of the
    /// creds: `system` when `system_scope` or `system` is set, else `domain` when `domain_id`
    /// is set, else `project`. A non-empty `system_scope` also replaces the creds' `system`
    /// value during evaluation.
    pub fn enforce(&self, rule: &str, target: &Value, creds: &Value) -> Decision {
        let empty = Map::new();
        let evaluation = Evaluation::new(
            self,
            target.as_object().unwrap_or(&empty),
            creds.as_object().unwrap_or(&empty),
        );
        let Some(check) = self.lookup(rule) else {
            return Decision::Deny(DenyReason::RuleNotFound);
        };
        if let Some(scope_types) = self.scope_types.get(rule)
            && !scope_types.is_empty()
        {
            let token_scope = evaluation.token_scope();
            if !scope_types.iter().any(|s| s == token_scope.as_str()) {
                return Decision::Deny(DenyReason::ScopeMismatch {
                    token_scope,
                    scope_types: scope_types.clone(),
                });
            }
        }
        match evaluation.evaluate(check) {
            Ok(true) => Decision::Allow,
            Ok(false) => Decision::Deny(DenyReason::CheckFailed),
            Err(message) => Decision::Deny(DenyReason::MalformedCreds(message)),
        }
    }

    /// Returns the check for a rule name, falling back to [`DEFAULT_RULE`] as oslo.policy's
    /// `Rules.__missing__` does.
    fn lookup(&self, name: &str) -> Option<&Check> {
        self.rules
            .get(name)
            .or_else(|| self.rules.get(DEFAULT_RULE))
            .map(|rule| &rule.check)
    }

    /// Returns the rules a rule's check reaches through `rule:` references.
    fn successors(&self, name: &str) -> Vec<Edge<'_>> {
        let mut successors = Vec::new();
        for reference in self.rules[name].check.rule_references() {
            if self.rules.contains_key(reference) {
                successors.push(Edge {
                    to: reference,
                    via_undefined: None,
                });
            } else if self.rules.contains_key(DEFAULT_RULE) {
                successors.push(Edge {
                    to: DEFAULT_RULE,
                    via_undefined: Some(reference),
                });
            }
        }
        successors
    }

    fn check_cycles(&self) -> Result<(), PolicyError> {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            Unvisited,
            OnPath,
            Done,
        }
        let mut states: HashMap<&str, State> = self
            .order
            .iter()
            .map(|name| (name.as_str(), State::Unvisited))
            .collect();
        for start in &self.order {
            if states[start.as_str()] != State::Unvisited {
                continue;
            }
            // Depth-first search with an explicit stack, so deep reference chains cannot
            // overflow the call stack.
            states.insert(start, State::OnPath);
            let mut path = vec![Frame {
                name: start,
                successors: self.successors(start),
                next: 0,
            }];
            while let Some(frame) = path.last_mut() {
                let Some(edge) = frame.successors.get(frame.next).copied() else {
                    states.insert(frame.name, State::Done);
                    path.pop();
                    continue;
                };
                frame.next += 1;
                match states[edge.to] {
                    State::Done => {}
                    State::Unvisited => {
                        states.insert(edge.to, State::OnPath);
                        path.push(Frame {
                            name: edge.to,
                            successors: self.successors(edge.to),
                            next: 0,
                        });
                    }
                    State::OnPath => {
                        let first = path
                            .iter()
                            .position(|frame| frame.name == edge.to)
                            .expect("a rule on the path is in the path");
                        // Each frame's last taken edge leads to the next rule of the cycle.
                        let steps = path[first..]
                            .iter()
                            .map(|frame| CycleStep {
                                name: frame.name.to_string(),
                                origin: self.rules[frame.name].origin.clone(),
                                via_undefined: frame.successors[frame.next - 1]
                                    .via_undefined
                                    .map(str::to_string),
                            })
                            .collect();
                        return Err(PolicyError::Cycle { steps });
                    }
                }
            }
        }
        Ok(())
    }
}

/// A `rule:` reference from one rule to another.
#[derive(Clone, Copy)]
struct Edge<'a> {
    to: &'a str,
    /// The undefined name referred to, when the reference reaches the default rule by fallback.
    via_undefined: Option<&'a str>,
}

/// A rule on the path of the cycle search, with the index of its next edge to follow.
struct Frame<'a> {
    name: &'a str,
    successors: Vec<Edge<'a>>,
    next: usize,
}

/// Parses a check string for loading: like [`parse_check_str`], and also rejects remote checks.
pub(crate) fn parse_loadable(
    name: &str,
    check_str: &str,
    origin: &RuleOrigin,
) -> Result<Check, PolicyError> {
    let invalid = |column: usize, message: String| PolicyError::InvalidRule {
        origin: origin.clone(),
        name: name.to_string(),
        check_str: check_str.to_string(),
        column,
        message,
    };
    let check = parse_check_str(check_str).map_err(|e| invalid(e.column, e.message))?;
    let mut remote = None;
    check.walk(&mut |c| {
        if let Check::Remote { scheme, url } = c
            && remote.is_none()
        {
            remote = Some(format!("{scheme}:{url}"));
        }
    });
    match remote {
        Some(text) => Err(invalid(
            remote_check_column(check_str),
            format!(
                "remote check `{text}` is not supported because this service never makes \
                 remote policy calls; use role:, rule: and attribute checks instead"
            ),
        )),
        None => Ok(check),
    }
}

/// Returns the column of the first token that starts with `http:` or `https:`.
fn remote_check_column(check_str: &str) -> usize {
    let chars: Vec<char> = check_str.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if is_python_space(chars[i]) {
            i += 1;
            continue;
        }
        let mut start = i;
        while start < chars.len() && chars[start] == '(' {
            start += 1;
        }
        let rest: String = chars[start..].iter().take(6).collect();
        if rest.starts_with("http:") || rest.starts_with("https:") {
            return start + 1;
        }
        while i < chars.len() && !is_python_space(chars[i]) {
            i += 1;
        }
    }
    1
}

fn validate_scope_types(default: &RuleDefault) -> Result<(), PolicyError> {
    for (i, scope_type) in default.scope_types.iter().enumerate() {
        let message = if !SCOPE_TYPES.contains(&scope_type.as_str()) {
            format!("scope type \"{scope_type}\" is not one of system, domain and project")
        } else if default.scope_types[..i].contains(scope_type) {
            format!("scope type \"{scope_type}\" is listed twice")
        } else {
            continue;
        };
        return Err(PolicyError::InvalidScopeTypes {
            name: default.name.clone(),
            message,
        });
    }
    Ok(())
}

fn undefined_references(
    rules: &HashMap<String, LoadedRule>,
    order: &[String],
) -> Vec<PolicyWarning> {
    let mut warnings: Vec<PolicyWarning> = Vec::new();
    for name in order {
        let rule = &rules[name];
        for reference in rule.check.rule_references() {
            let seen = warnings
                .iter()
                .any(|w| &w.rule == name && w.undefined == reference);
            if !rules.contains_key(reference) && !seen {
                warnings.push(PolicyWarning {
                    rule: name.clone(),
                    origin: rule.origin.clone(),
                    undefined: reference.to_string(),
                    default_rule_defined: rules.contains_key(DEFAULT_RULE),
                });
            }
        }
    }
    warnings
}

/// The state of one [`Enforcer::enforce`] call.
struct Evaluation<'a> {
    enforcer: &'a Enforcer,
    target: &'a Map<String, Value>,
    creds: &'a Map<String, Value>,
    /// The creds' `system` value after oslo.policy copies a non-empty `system_scope` into it.
    system: Option<&'a Value>,
}

impl<'a> Evaluation<'a> {
    fn new(
        enforcer: &'a Enforcer,
        target: &'a Map<String, Value>,
        creds: &'a Map<String, Value>,
    ) -> Self {
        let system = creds
            .get("system_scope")
            .filter(|value| is_truthy(value))
            .or_else(|| creds.get("system"));
        Evaluation {
            enforcer,
            target,
            creds,
            system,
        }
    }

    fn creds_get(&self, key: &str) -> Option<&'a Value> {
        if key == "system" {
            self.system
        } else {
            self.creds.get(key)
        }
    }

    fn token_scope(&self) -> TokenScope {
        if self.system.is_some_and(is_truthy) {
            TokenScope::System
        } else if self.creds.get("domain_id").is_some_and(is_truthy) {
            TokenScope::Domain
        } else {
            TokenScope::Project
        }
    }

    /// Evaluates a check left to right with short-circuit `and` and `or`, so an error in a
    /// branch that oslo.policy would not reach is not raised either.
    fn evaluate(&self, check: &Check) -> Result<bool, String> {
        match check {
            Check::Allow => Ok(true),
            Check::Deny => Ok(false),
            Check::Not(inner) => Ok(!self.evaluate(inner)?),
            Check::And(checks) => {
                for check in checks {
                    if !self.evaluate(check)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Check::Or(checks) => {
                for check in checks {
                    if self.evaluate(check)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            // Enforcer::new rejected cycles, so this recursion ends.
            Check::Rule(name) => match self.enforcer.lookup(name) {
                Some(check) => self.evaluate(check),
                None => Ok(false),
            },
            Check::Role(name) => self.role_matches(name),
            Check::Generic { left, right } => self.generic_matches(left, right),
            // Enforcer::new rejects remote checks.
            Check::Remote { scheme, .. } => Err(format!("{scheme}: checks are not supported")),
        }
    }

    fn role_matches(&self, template: &Template) -> Result<bool, String> {
        let Some(name) = template.render(self.target) else {
            return Ok(false);
        };
        let Some(roles) = self.creds.get("roles") else {
            return Ok(false);
        };
        let role_name = name.to_lowercase();
        // Python iterates a string by character and a dict by key.
        let lowered: Vec<String> = match roles {
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::String(role) => Ok(role.to_lowercase()),
                    other => Err(format!(
                        "creds roles contain {}, which is not a string",
                        describe(other)
                    )),
                })
                .collect::<Result<_, _>>()?,
            Value::String(text) => text.chars().map(|c| c.to_lowercase().collect()).collect(),
            Value::Object(map) => map.keys().map(|key| key.to_lowercase()).collect(),
            other => {
                return Err(format!(
                    "creds roles is {}, not a list of strings",
                    describe(other)
                ));
            }
        };
        Ok(lowered.contains(&role_name))
    }

    fn generic_matches(&self, left: &Left, right: &Template) -> Result<bool, String> {
        let Some(expected) = right.render(self.target) else {
            return Ok(false);
        };
        match left {
            Left::Literal { text, .. } => Ok(&expected == text),
            Left::CredsPath(segments) => match self.creds_get(&segments[0]) {
                Some(value) => find_in_value(value, &segments[1..], &expected, segments),
                None => Ok(false),
            },
        }
    }
}

/// Matches the rest of a creds path below a value that the path reached, as oslo.policy's
/// `GenericCheck._find_in_dict` does: a list matches when any element matches.
fn find_in_value(
    value: &Value,
    rest: &[String],
    expected: &str,
    path: &[String],
) -> Result<bool, String> {
    if let Value::Array(items) = value {
        for item in items {
            if find_below(item, rest, expected, path)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    find_below(value, rest, expected, path)
}

fn find_below(
    value: &Value,
    rest: &[String],
    expected: &str,
    path: &[String],
) -> Result<bool, String> {
    let Some((key, rest)) = rest.split_first() else {
        return Ok(expected == python_str(value));
    };
    match value {
        Value::Object(map) => match map.get(key) {
            Some(next) => find_in_value(next, rest, expected, path),
            None => Ok(false),
        },
        other => Err(format!(
            "creds path {} reaches {} before its end at \"{key}\"",
            path.join("."),
            describe(other)
        )),
    }
}

/// Describes a JSON value for an error message: its type and a short form of it.
fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    let mut text = value.to_string();
    if text.chars().count() > 40 {
        text = text.chars().take(37).collect::<String>() + "...";
    }
    format!("{kind} ({text})")
}
