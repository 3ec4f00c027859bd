//! The expression tree of a parsed check string.

use std::fmt;

use serde_json::{Map, Value};

pub use crate::python::Left;
use crate::python::python_str;

/// A parsed check string.
///
/// `Display` prints the tree the way oslo.policy's `str()` of its check objects does, so two
/// parsers can be compared: `@`, `!`, `kind:match`, `not X`, `(A and B)`, `(A or B)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `@` or an empty check string: always true.
    Allow,
    /// `!`: always false.
    Deny,
    /// `role:<name>`: true when the creds' `roles` contain the name, compared case-insensitively.
    Role(Template),
    /// `rule:<name>`: the result of the named rule.
    Rule(String),
    /// `<left>:<right>`: true when the text of `right` equals the creds value at a path, or
    /// equals a literal.
    Generic {
        /// The creds path or literal before the first `:`.
        left: Left,
        /// The text after the first `:`, with `%(key)s` taken from the target.
        right: Template,
    },
    /// `http:<url>` or `https:<url>`: a remote check, which parses but never loads.
    Remote {
        /// `http` or `https`.
        scheme: String,
        /// The text after the `:`.
        url: String,
    },
    /// `not <check>`.
    Not(Box<Check>),
    /// Checks joined by `and`.
    And(Vec<Check>),
    /// Checks joined by `or`.
    Or(Vec<Check>),
}

impl Check {
    /// Calls `visit` on this check and on every check inside it, parents first.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Check)) {
        visit(self);
        match self {
            Check::Not(inner) => inner.walk(visit),
            Check::And(checks) | Check::Or(checks) => {
                for check in checks {
                    check.walk(visit);
                }
            }
            _ => {}
        }
    }

    /// Returns the names of the rules this check refers to with `rule:`, in order of appearance.
    pub fn rule_references(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.walk(&mut |check| {
            if let Check::Rule(name) = check {
                names.push(name.as_str());
            }
        });
        names
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, checks: &[Check], operator: &str| {
            f.write_str("(")?;
            for (i, check) in checks.iter().enumerate() {
                if i > 0 {
                    write!(f, " {operator} ")?;
                }
                write!(f, "{check}")?;
            }
            f.write_str(")")
        };
        match self {
            Check::Allow => f.write_str("@"),
            Check::Deny => f.write_str("!"),
            Check::Role(name) => write!(f, "role:{name}"),
            Check::Rule(name) => write!(f, "rule:{name}"),
            Check::Generic { left, right } => write!(f, "{}:{right}", left.source()),
            Check::Remote { scheme, url } => write!(f, "{scheme}:{url}"),
            Check::Not(inner) => write!(f, "not {inner}"),
            Check::And(checks) => join(f, checks, "and"),
            Check::Or(checks) => join(f, checks, "or"),
        }
    }
}

/// Text with `%(key)s` placeholders filled from the target, as Python's `text % target` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplatePart {
    Text(String),
    /// A flat target key; `%(target.owner)s` reads the key `target.owner`, not a nested value.
    Key(String),
}

/// An invalid template: a character offset into it and what is wrong.
#[derive(Debug)]
pub(crate) struct TemplateError {
    pub offset: usize,
    pub message: String,
}

impl Template {
    /// Parses `source`, which may contain `%(key)s` placeholders and `%%` for a percent sign.
    ///
    /// Python also accepts other conversions (`%(key)d`, `%s`), but they raise `TypeError` or
    /// `ValueError` during an oslo.policy evaluation, so they are errors here.
    pub(crate) fn parse(source: &str) -> Result<Template, TemplateError> {
        let chars: Vec<char> = source.chars().collect();
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != '%' {
                text.push(chars[i]);
                i += 1;
                continue;
            }
            match chars.get(i + 1) {
                Some('%') => {
                    text.push('%');
                    i += 2;
                }
                Some('(') => {
                    let key_start = i + 2;
                    let Some(close) = chars[key_start..].iter().position(|c| *c == ')') else {
                        return Err(TemplateError {
                            offset: i,
                            message: "`%(` has no closing `)`; write %(key)s".to_string(),
                        });
                    };
                    let key: String = chars[key_start..key_start + close].iter().collect();
                    if key.is_empty() {
                        return Err(TemplateError {
                            offset: i,
                            message: "empty key in `%()s`; name a target attribute, as in \
                                      %(project_id)s"
                                .to_string(),
                        });
                    }
                    if key.contains('(') {
                        return Err(TemplateError {
                            offset: i,
                            message: format!(
                                "target key `{key}` contains `(`; keys may not contain \
                                 parentheses"
                            ),
                        });
                    }
                    let after = key_start + close + 1;
                    if chars.get(after) != Some(&'s') {
                        return Err(TemplateError {
                            offset: i,
                            message: format!(
                                "`%({key})` must be followed by `s`; only %(key)s placeholders \
                                 are supported"
                            ),
                        });
                    }
                    if !text.is_empty() {
                        parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                    }
                    parts.push(TemplatePart::Key(key));
                    i = after + 1;
                }
                _ => {
                    return Err(TemplateError {
                        offset: i,
                        message: "a `%` must start a %(key)s placeholder; write %% for a \
                                  literal percent sign"
                            .to_string(),
                    });
                }
            }
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Ok(Template {
            source: source.to_string(),
            parts,
        })
    }

    /// Returns the template as written in the check string.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns the target keys the template reads, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            TemplatePart::Key(key) => Some(key.as_str()),
            TemplatePart::Text(_) => None,
        })
    }

    /// Fills the placeholders with Python's `str()` of the target values, or returns `None`
    /// when a key is missing from the target (Python's `KeyError`, which oslo.policy treats as
    /// a false check).
    pub fn render(&self, target: &Map<String, Value>) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(text) => out.push_str(text),
                TemplatePart::Key(key) => out.push_str(&python_str(target.get(key)?)),
            }
        }
        Some(out)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(value: Value) -> Map<String, Value> {
        value
            .as_object()
            .cloned()
            .expect("test target is an object")
    }

    fn template_error(source: &str) -> TemplateError {
        match Template::parse(source) {
            Err(e) => e,
            Ok(t) => panic!("{source}: expected an error, got {t:?}"),
        }
    }

    #[test]
    fn template_fills_flat_keys() {
        let t = Template::parse("%(target.owner)s").unwrap();
        let flat = target(json!({"target.owner": "u1"}));
        let nested = target(json!({"target": {"owner": "u1"}}));
        assert_eq!(t.render(&flat).as_deref(), Some("u1"));
        assert_eq!(t.render(&nested), None);
    }

    #[test]
    fn template_formats_values_as_python_str() {
        let t = Template::parse("%(a)s/%(b)s/%(c)s/%(d)s").unwrap();
        let values = target(json!({"a": true, "b": null, "c": 3, "d": 1.0}));
        assert_eq!(t.render(&values).as_deref(), Some("True/None/3/1.0"));
    }

    #[test]
    fn template_literal_text_and_percent() {
        let t = Template::parse("50%%-%(x)s").unwrap();
        assert_eq!(
            t.render(&target(json!({"x": "y"}))).as_deref(),
            Some("50%-y")
        );
        let plain = Template::parse("admin").unwrap();
        assert_eq!(plain.render(&Map::new()).as_deref(), Some("admin"));
    }

    #[test]
    fn template_missing_key_renders_none() {
        let t = Template::parse("%(project_id)s").unwrap();
        assert_eq!(t.render(&Map::new()), None);
    }

    #[test]
    fn template_lists_keys() {
        let t = Template::parse("%(a)s-%(b.c)s").unwrap();
        assert_eq!(t.keys().collect::<Vec<_>>(), ["a", "b.c"]);
    }

    #[test]
    fn template_rejects_lone_percent() {
        let e = template_error("50%");
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("write %%"));
    }

    #[test]
    fn template_rejects_unclosed_key() {
        assert!(template_error("%(abc").message.contains("no closing"));
    }

    #[test]
    fn template_rejects_other_conversions() {
        assert!(template_error("%(n)d").message.contains("followed by `s`"));
        assert!(template_error("%s").message.contains("must start"));
    }

    #[test]
    fn template_rejects_empty_key() {
        assert!(template_error("%()s").message.contains("empty key"));
    }

    #[test]
    fn template_rejects_parenthesis_in_key() {
        assert!(template_error("%(a(b)s").message.contains("parentheses"));
    }

    #[test]
    fn display_matches_oslo_str() {
        let check = Check::Or(vec![
            Check::Role(Template::parse("admin").unwrap()),
            Check::And(vec![
                Check::Not(Box::new(Check::Rule("owner".into()))),
                Check::Allow,
                Check::Deny,
            ]),
        ]);
        assert_eq!(
            check.to_string(),
            "(role:admin or (not rule:owner and @ and !))"
        );
    }

    #[test]
    fn rule_references_in_order() {
        let check = Check::And(vec![
            Check::Rule("a".into()),
            Check::Not(Box::new(Check::Or(vec![
                Check::Rule("b".into()),
                Check::Allow,
            ]))),
        ]);
        assert_eq!(check.rule_references(), ["a", "b"]);
    }
}
