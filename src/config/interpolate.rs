//! `$` references between option values, as oslo.config substitutes them.
//!
//! - `$name` and `${name}` refer to option `name` in the same group, or in `[DEFAULT]`
//!   when the group has no such option.
//! - `${group.name}` refers to an option of another group.
//! - `$$` is a literal `$`. Any other `$` is an error.
//!
//! References name registered options, so a reference to an option that no file sets
//! gets its default. The referenced value is substituted as text before type checks,
//! after its own references are expanded. Cycles are reported instead of followed.

use super::error::IssueKind;
use super::ini::{DEFAULT_GROUP, normalize_group};
use super::options::{OptDef, OptKind};

/// An expanded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expanded {
    pub text: String,
    /// The text contains the value of a secret option.
    pub secret: bool,
}

/// Reason that a value could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The value itself is wrong. Report this against the option.
    Own(IssueKind),
    /// A referenced option failed, and that option's own failure is reported instead.
    Dependent,
}

/// Expands references, remembering each option's result so that every option is
/// expanded once.
pub(crate) struct Interpolator<'a> {
    registry: &'a [OptDef],
    /// Effective text of each option before expansion, `None` when unset.
    texts: Vec<Option<&'a str>>,
    memo: Vec<Option<Result<Expanded, Failure>>>,
    /// Options whose expansion is in progress, innermost last.
    stack: Vec<usize>,
}

/// A `$` placeholder found at the start of the text after the `$`.
enum Placeholder<'t> {
    /// `$$`.
    Dollar,
    /// `$name`, `${name}` or `${group.name}`. `len` counts the bytes after the `$`.
    Reference {
        target: &'t str,
        len: usize,
    },
    Invalid,
}

impl<'a> Interpolator<'a> {
    /// Creates an interpolator over the effective text of each registered option.
    pub fn new(registry: &'a [OptDef], texts: Vec<Option<&'a str>>) -> Self {
        assert_eq!(
            registry.len(),
            texts.len(),
            "one text per registered option"
        );
        Self {
            registry,
            texts,
            memo: vec![None; registry.len()],
            stack: Vec::new(),
        }
    }

    /// Expands the effective text of option `index`, which must be set.
    pub fn expand_option(&mut self, index: usize) -> Result<Expanded, Failure> {
        if let Some(result) = &self.memo[index] {
            return result.clone();
        }
        let text = self.texts[index].expect("expand_option is called only for set options");
        self.stack.push(index);
        let result = self.expand_text(index, text);
        self.stack.pop();
        self.memo[index] = Some(result.clone());
        result
    }

    /// Expands `text` as a value of option `index`, e.g. one item of a multi-valued option.
    pub fn expand_text(&mut self, index: usize, text: &str) -> Result<Expanded, Failure> {
        let opt = self.registry[index];
        let mut expanded = Expanded {
            text: String::with_capacity(text.len()),
            secret: opt.secret,
        };
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            expanded.text.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            match parse_placeholder(after) {
                Placeholder::Dollar => {
                    expanded.text.push('$');
                    rest = &after[1..];
                }
                Placeholder::Invalid => {
                    let kind = IssueKind::InvalidPlaceholder {
                        value: text.to_string(),
                    };
                    return Err(self.own(&opt, kind));
                }
                Placeholder::Reference { target, len } => {
                    let written = &rest[at..at + 1 + len];
                    let value = self.expand_reference(&opt, target, written)?;
                    expanded.text.push_str(&value.text);
                    expanded.secret |= value.secret;
                    rest = &after[len..];
                }
            }
        }
        expanded.text.push_str(rest);
        Ok(expanded)
    }

    /// Returns the expanded value of the option that `target` names from `opt`'s group.
    fn expand_reference(
        &mut self,
        opt: &OptDef,
        target: &str,
        written: &str,
    ) -> Result<Expanded, Failure> {
        let reference = written.to_string();
        let Some(index) = self.find_target(opt.group, target) else {
            return Err(self.own(opt, IssueKind::UnknownReference { reference }));
        };
        if self.registry[index].kind == OptKind::MultiString {
            return Err(self.own(opt, IssueKind::MultiValuedReference { reference }));
        }
        if let Some(start) = self.stack.iter().position(|&open| open == index) {
            let chain = self.describe_cycle(start, index);
            return Err(self.own(opt, IssueKind::ReferenceCycle { chain }));
        }
        if self.texts[index].is_none() {
            return Err(self.own(opt, IssueKind::UnsetReference { reference }));
        }
        self.expand_option(index).map_err(|_| Failure::Dependent)
    }

    fn find_target(&self, group: &str, target: &str) -> Option<usize> {
        let position = |group: &str, name: &str| {
            self.registry
                .iter()
                .position(|opt| opt.group == group && opt.name == name)
        };
        match target.split_once('.') {
            Some((group, name)) => position(&normalize_group(group), name),
            None => position(group, target).or_else(|| position(DEFAULT_GROUP, target)),
        }
    }

    /// Formats the cycle from `stack[start]` back to `index`, e.g. `[api] a -> [api] b -> [api] a`.
    fn describe_cycle(&self, start: usize, index: usize) -> String {
        let names: Vec<String> = self.stack[start..]
            .iter()
            .chain(std::iter::once(&index))
            .map(|&i| format!("[{}] {}", self.registry[i].group, self.registry[i].name))
            .collect();
        names.join(" -> ")
    }

    /// Wraps `kind` for `opt`. Secret options get a message without any part of the value,
    /// because even a reference name is part of it.
    fn own(&self, opt: &OptDef, kind: IssueKind) -> Failure {
        if opt.secret {
            Failure::Own(IssueKind::HiddenReference)
        } else {
            Failure::Own(kind)
        }
    }
}

fn parse_placeholder(after: &str) -> Placeholder<'_> {
    if after.starts_with('$') {
        return Placeholder::Dollar;
    }
    if let Some(braced) = after.strip_prefix('{') {
        let Some(end) = braced.find('}') else {
            return Placeholder::Invalid;
        };
        let target = &braced[..end];
        let valid = match target.split_once('.') {
            Some((group, name)) => is_identifier(group) && is_identifier(name),
            None => is_identifier(target),
        };
        return if valid {
            Placeholder::Reference {
                target,
                len: end + 2,
            }
        } else {
            Placeholder::Invalid
        };
    }
    let len = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    let target = &after[..len];
    if is_identifier(target) {
        Placeholder::Reference { target, len }
    } else {
        Placeholder::Invalid
    }
}

/// Returns whether `name` matches `[A-Za-z_][A-Za-z0-9_]*`, the identifier syntax of
/// Python's `string.Template`.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests;
