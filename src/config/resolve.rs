//! Turns raw values into checked, typed values: picks the effective value of each
//! option, expands `$` references and parses the result with the option's kind.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigIssue, IssueKind, Location};
use super::interpolate::{Failure, Interpolator};
use super::options::{OptDef, OptKind, OptValue};
use super::sources::{self, Layers};

/// The final value of one option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub value: OptValue,
    /// Source of the effective value, `None` for a default.
    pub location: Option<Location>,
}

/// Checked values of every registered option, indexed like the registry.
#[derive(Debug)]
pub(crate) struct Values<'r> {
    registry: &'r [OptDef],
    resolved: Vec<Resolved>,
}

/// Reads all sources and checks every option of `registry`.
///
/// `config_file_hint` is the file that messages about missing options tell the
/// operator to edit. Returns every problem found.
pub(crate) fn load_values<'r>(
    registry: &'r [OptDef],
    config_files: &[PathBuf],
    config_dir: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    config_file_hint: &str,
) -> Result<Values<'r>, ConfigError> {
    let mut issues = Vec::new();
    let layers = sources::collect(registry, config_files, config_dir, env, &mut issues);
    let values = resolve(registry, &layers, config_file_hint, &mut issues);
    if issues.is_empty() {
        Ok(values)
    } else {
        Err(ConfigError(issues))
    }
}

fn resolve<'r>(
    registry: &'r [OptDef],
    layers: &Layers,
    config_file_hint: &str,
    issues: &mut Vec<ConfigIssue>,
) -> Values<'r> {
    let texts: Vec<Option<&str>> = registry
        .iter()
        .zip(&layers.values)
        .map(|(opt, raws)| raws.last().map(|raw| raw.text.as_str()).or(opt.default))
        .collect();
    let mut interpolator = Interpolator::new(registry, texts.clone());
    let mut resolved = Vec::with_capacity(registry.len());

    for (index, opt) in registry.iter().enumerate() {
        let location = layers.values[index].last().map(|raw| raw.location.clone());
        let mut report = |kind: IssueKind| {
            let issue = ConfigIssue::for_option(location.clone(), opt.group, opt.name, kind);
            issues.push(issue);
        };
        let value = if texts[index].is_none() {
            if opt.required && !layers.incomplete {
                report(missing(opt, config_file_hint, false));
            }
            OptValue::Unset
        } else if opt.kind == OptKind::MultiString {
            resolve_multi(index, opt, layers, &mut interpolator, issues)
        } else {
            match resolve_single(index, opt, &mut interpolator, config_file_hint) {
                Ok(value) => value,
                Err(kind) => {
                    if let Some(kind) = kind {
                        report(kind);
                    }
                    OptValue::Unset
                }
            }
        };
        resolved.push(Resolved { value, location });
    }
    Values { registry, resolved }
}

/// Expands and parses the value of a single-valued option that has a value or default.
/// The error is `None` when a referenced option failed, because that option's own
/// issue covers it.
fn resolve_single(
    index: usize,
    opt: &OptDef,
    interpolator: &mut Interpolator<'_>,
    config_file_hint: &str,
) -> Result<OptValue, Option<IssueKind>> {
    match interpolator.expand_option(index) {
        Ok(expanded) => {
            parse_single(opt, &expanded.text, expanded.secret, config_file_hint).map_err(Some)
        }
        Err(Failure::Own(kind)) => Err(Some(kind)),
        Err(Failure::Dependent) => Err(None),
    }
}

/// Parses the expanded value of a single-valued option.
///
/// An empty value is an error for a required option, and means unset for an optional
/// option without a default. Otherwise the option's kind decides.
fn parse_single(
    opt: &OptDef,
    text: &str,
    secret: bool,
    config_file_hint: &str,
) -> Result<OptValue, IssueKind> {
    if text.trim().is_empty() {
        if opt.required {
            return Err(missing(opt, config_file_hint, true));
        }
        if opt.default.is_none() {
            return Ok(OptValue::Unset);
        }
    }
    opt.kind
        .parse(text)
        .map_err(|expected| IssueKind::InvalidValue {
            value: (!secret).then(|| text.to_string()),
            expected,
        })
}

/// Expands every value of a multi-valued option that has a value or default. Values
/// come from all files, or from the default when no file sets the option.
fn resolve_multi(
    index: usize,
    opt: &OptDef,
    layers: &Layers,
    interpolator: &mut Interpolator<'_>,
    issues: &mut Vec<ConfigIssue>,
) -> OptValue {
    let raws = &layers.values[index];
    let items: Vec<(&str, Option<Location>)> = if raws.is_empty() {
        opt.default.into_iter().map(|text| (text, None)).collect()
    } else {
        raws.iter()
            .map(|raw| (raw.text.as_str(), Some(raw.location.clone())))
            .collect()
    };

    let mut values = Vec::with_capacity(items.len());
    for (text, location) in items {
        match interpolator.expand_text(index, text) {
            Ok(expanded) => values.push(expanded.text),
            Err(Failure::Own(kind)) => {
                issues.push(ConfigIssue::for_option(location, opt.group, opt.name, kind));
            }
            Err(Failure::Dependent) => {}
        }
    }
    OptValue::List(values)
}

fn missing(opt: &OptDef, config_file_hint: &str, empty: bool) -> IssueKind {
    let file = config_file_hint.to_string();
    let env_var = opt.env_var();
    if empty {
        IssueKind::EmptyRequired { file, env_var }
    } else {
        IssueKind::MissingRequired { file, env_var }
    }
}

/// Typed accessors for building [`super::Config`].
///
/// They panic when the option is not registered or its kind does not produce the
/// requested type. Both are mistakes in `config/options.rs` or `config/mod.rs`, and
/// the loading tests catch them.
impl Values<'_> {
    fn get(&self, group: &str, name: &str) -> &Resolved {
        let index = self
            .registry
            .iter()
            .position(|opt| opt.group == group && opt.name == name)
            .unwrap_or_else(|| panic!("[{group}] {name} is not registered"));
        &self.resolved[index]
    }

    fn mismatch(group: &str, name: &str, value: &OptValue, expected: &str) -> ! {
        panic!(
            "[{group}] {name}: registered kind gives {value:?}, the Config field needs {expected}"
        )
    }

    /// Returns the source of the effective value of an option, `None` for a default.
    pub fn location(&self, group: &str, name: &str) -> Option<Location> {
        self.get(group, name).location.clone()
    }

    pub fn bool(&self, group: &str, name: &str) -> bool {
        match &self.get(group, name).value {
            OptValue::Bool(value) => *value,
            other => Self::mismatch(group, name, other, "a boolean"),
        }
    }

    pub fn opt_string(&self, group: &str, name: &str) -> Option<String> {
        match &self.get(group, name).value {
            OptValue::Str(value) => Some(value.clone()),
            OptValue::Unset => None,
            other => Self::mismatch(group, name, other, "a string"),
        }
    }

    pub fn string(&self, group: &str, name: &str) -> String {
        self.opt_string(group, name)
            .unwrap_or_else(|| panic!("[{group}] {name} has no value and no default"))
    }

    pub fn opt_int<T: TryFrom<i64>>(&self, group: &str, name: &str) -> Option<T> {
        match &self.get(group, name).value {
            OptValue::Int(value) => Some(T::try_from(*value).unwrap_or_else(|_| {
                panic!("[{group}] {name}: the registered bounds exceed the field type")
            })),
            OptValue::Unset => None,
            other => Self::mismatch(group, name, other, "an integer"),
        }
    }

    pub fn int<T: TryFrom<i64>>(&self, group: &str, name: &str) -> T {
        self.opt_int(group, name)
            .unwrap_or_else(|| panic!("[{group}] {name} has no value and no default"))
    }

    pub fn list(&self, group: &str, name: &str) -> Vec<String> {
        match &self.get(group, name).value {
            OptValue::List(items) => items.clone(),
            OptValue::Unset => Vec::new(),
            other => Self::mismatch(group, name, other, "a list"),
        }
    }

    pub fn ip(&self, group: &str, name: &str) -> IpAddr {
        match &self.get(group, name).value {
            OptValue::Ip(address) => *address,
            other => Self::mismatch(group, name, other, "an IP address"),
        }
    }
}
