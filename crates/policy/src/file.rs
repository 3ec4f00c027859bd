//! Policy files: YAML mappings of rule names to check strings, read strictly.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex_lite::Regex;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::check::Check;
use crate::error::{PolicyError, RuleOrigin};

/// A parsed policy file.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    path: PathBuf,
    rules: Vec<FileRule>,
}

/// One rule of a policy file.
#[derive(Debug, Clone)]
pub struct FileRule {
    /// The rule name.
    pub name: String,
    /// The check string as written.
    pub check_str: String,
    /// Line of the check string, counted from 1.
    pub line: usize,
    /// The parsed check string.
    pub check: Check,
}

impl PolicyFile {
    /// Reads and parses a policy file; see [`PolicyFile::parse`].
    pub fn load(path: &Path) -> Result<PolicyFile, PolicyError> {
        if is_json_path(path) {
            return Err(PolicyError::Json {
                path: path.to_path_buf(),
            });
        }
        let text = fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        PolicyFile::parse(path, &text)
    }

    /// Parses the text of a policy file; `path` names the file in errors.
    ///
    /// The file must be a YAML mapping of rule names to check strings, or empty. This returns
    /// an error where oslo.policy, which reads the file with PyYAML, would silently accept
    /// something surprising. Such input is a duplicate rule name (PyYAML keeps the last), a
    /// null value (oslo.policy allows everyone) or an unquoted value that YAML 1.1 reads as a
    /// boolean, number or date. A nested mapping or list, more than one document and a JSON-style
    /// `{...}` top level are errors too. Check strings are parsed with
    /// [`crate::parse_check_str`], and remote (`http:`) checks are rejected.
    pub fn parse(path: &Path, text: &str) -> Result<PolicyFile, PolicyError> {
        if is_json_path(path) {
            return Err(PolicyError::Json {
                path: path.to_path_buf(),
            });
        }
        let mut reader = EventReader {
            parser: Parser::new_from_str(text),
            path,
        };
        let rules = reader.read_document(text)?;
        Ok(PolicyFile {
            path: path.to_path_buf(),
            rules,
        })
    }

    /// Returns the file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the rules in file order.
    pub fn rules(&self) -> &[FileRule] {
        &self.rules
    }
}

fn is_json_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("json"))
}

/// Lists the policy files to load, in override order, as oslo.policy finds them: `policy_file`
/// when it exists, then for each directory of `policy_dirs` that exists, its files sorted by
/// name, skipping names that start with `.` and subdirectories. A missing file or directory is
/// skipped, as in oslo.policy.
pub fn policy_file_paths(
    policy_file: Option<&Path>,
    policy_dirs: &[PathBuf],
) -> Result<Vec<PathBuf>, PolicyError> {
    let mut paths = Vec::new();
    if let Some(file) = policy_file
        && file.exists()
    {
        paths.push(file.to_path_buf());
    }
    for dir in policy_dirs {
        if !dir.exists() {
            continue;
        }
        if !dir.is_dir() {
            return Err(PolicyError::NotADirectory { path: dir.clone() });
        }
        let read_error = |source| PolicyError::Read {
            path: dir.clone(),
            source,
        };
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(read_error)? {
            let entry = entry.map_err(read_error)?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') || entry.path().is_dir() {
                continue;
            }
            names.push(name);
        }
        names.sort();
        paths.extend(names.into_iter().map(|name| dir.join(name)));
    }
    Ok(paths)
}

struct EventReader<'a> {
    parser: Parser<std::str::Chars<'a>>,
    path: &'a Path,
}

impl EventReader<'_> {
    fn error<T>(&self, line: usize, message: impl Into<String>) -> Result<T, PolicyError> {
        Err(PolicyError::File {
            path: self.path.to_path_buf(),
            line,
            message: message.into(),
        })
    }

    fn next(&mut self) -> Result<(Event, Marker), PolicyError> {
        self.parser.next_token().map_err(|e| PolicyError::File {
            path: self.path.to_path_buf(),
            line: e.marker().line(),
            // yaml-rust2 counts columns from 0.
            message: format!(
                "invalid YAML at column {}: {}",
                e.marker().col() + 1,
                e.info()
            ),
        })
    }

    fn read_document(&mut self, text: &str) -> Result<Vec<FileRule>, PolicyError> {
        let (event, mark) = self.next()?;
        if event != Event::StreamStart {
            return self.error(mark.line(), "invalid YAML: no stream start");
        }
        let (event, mark) = self.next()?;
        match event {
            Event::StreamEnd => return Ok(Vec::new()),
            Event::DocumentStart => {}
            _ => return self.error(mark.line(), "invalid YAML: no document start"),
        }
        let (event, mark) = self.next()?;
        let rules = match event {
            Event::MappingStart(_, tag) => {
                // The marker's index counts characters, not bytes.
                if text.chars().nth(mark.index()) == Some('{') {
                    return Err(PolicyError::Json {
                        path: self.path.to_path_buf(),
                    });
                }
                if let Some(tag) = tag {
                    return self.error(mark.line(), unsupported_tag(&tag));
                }
                self.read_rules()?
            }
            Event::Scalar(value, style, _, tag) => {
                if resolve_scalar(&value, style, tag.as_ref()) != Ok(ScalarType::Null) {
                    return self.error(
                        mark.line(),
                        "the file is a single value, not a mapping of rule names to check \
                         strings; write one `\"rule name\": \"check string\"` line per rule",
                    );
                }
                Vec::new()
            }
            Event::SequenceStart(..) => {
                return self.error(
                    mark.line(),
                    "the file is a list, not a mapping of rule names to check strings; write \
                     one `\"rule name\": \"check string\"` line per rule",
                );
            }
            _ => return self.error(mark.line(), "aliases (`*name`) are not supported"),
        };
        let (event, mark) = self.next()?;
        if event != Event::DocumentEnd {
            return self.error(mark.line(), "invalid YAML: no document end");
        }
        let (event, mark) = self.next()?;
        if event != Event::StreamEnd {
            return self.error(
                mark.line(),
                "the file has more than one YAML document; keep all rules in one mapping",
            );
        }
        Ok(rules)
    }

    fn read_rules(&mut self) -> Result<Vec<FileRule>, PolicyError> {
        let mut rules = Vec::new();
        let mut first_lines: HashMap<String, usize> = HashMap::new();
        loop {
            let (event, mark) = self.next()?;
            let name_line = mark.line();
            let name = match event {
                Event::MappingEnd => return Ok(rules),
                Event::Scalar(value, style, _, tag) => {
                    match resolve_scalar(&value, style, tag.as_ref()) {
                        Ok(ScalarType::Str) => value,
                        Ok(other) => {
                            return self.error(
                                mark.line(),
                                format!(
                                    "rule name `{value}` is read by YAML as {}; put it in \
                                     quotes",
                                    other.description()
                                ),
                            );
                        }
                        Err(message) => return self.error(mark.line(), message),
                    }
                }
                Event::Alias(_) => {
                    return self.error(mark.line(), "aliases (`*name`) are not supported");
                }
                _ => {
                    return self.error(
                        mark.line(),
                        "a rule name must be a string, not a mapping or a list",
                    );
                }
            };
            let (event, mark) = self.next()?;
            let line = mark.line();
            let check_str = match event {
                Event::Scalar(value, style, _, tag) => {
                    match resolve_scalar(&value, style, tag.as_ref()) {
                        Ok(ScalarType::Str) => value,
                        // An empty value's position is that of the next token, so name the
                        // key's line.
                        Ok(ScalarType::Null) => {
                            return self.error(
                                name_line,
                                format!(
                                    "rule \"{name}\" has no check string (YAML null), which \
                                     oslo.policy reads as allow everyone; write \"\" to allow \
                                     everyone or \"!\" to deny everyone"
                                ),
                            );
                        }
                        Ok(other) => {
                            return self.error(
                                line,
                                format!(
                                    "the check string of rule \"{name}\" is read by YAML as {} \
                                     (`{value}`); put it in quotes",
                                    other.description()
                                ),
                            );
                        }
                        Err(message) => return self.error(line, message),
                    }
                }
                Event::SequenceStart(..) => {
                    return self.error(
                        line,
                        format!(
                            "rule \"{name}\" is a list; the old list syntax is not supported, \
                             so write a check string such as \"role:a or role:b\""
                        ),
                    );
                }
                Event::MappingStart(..) => {
                    return self.error(
                        line,
                        format!("rule \"{name}\" is a mapping; write a check string instead"),
                    );
                }
                _ => return self.error(line, "aliases (`*name`) are not supported"),
            };
            if let Some(first) = first_lines.get(&name) {
                return self.error(
                    line,
                    format!(
                        "duplicate rule \"{name}\" (first defined on line {first}); YAML keeps \
                         only the last one, so remove one of them"
                    ),
                );
            }
            first_lines.insert(name.clone(), line);
            let origin = RuleOrigin::File {
                path: self.path.to_path_buf(),
                line,
            };
            let check = crate::enforcer::parse_loadable(&name, &check_str, &origin)?;
            rules.push(FileRule {
                name,
                check_str,
                line,
                check,
            });
        }
    }
}

/// The type PyYAML's `safe_load` gives a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScalarType {
    Str,
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    /// `<<` or `=`, which `safe_load` treats specially or rejects.
    Special,
}

impl ScalarType {
    fn description(self) -> &'static str {
        match self {
            ScalarType::Str => "a string",
            ScalarType::Null => "null",
            ScalarType::Bool => "a boolean",
            ScalarType::Int => "an integer",
            ScalarType::Float => "a float",
            ScalarType::Timestamp => "a date",
            ScalarType::Special => "a merge or value key",
        }
    }
}

/// PyYAML's implicit resolvers for plain scalars (YAML 1.1), from PyYAML 6.0's `resolver.py`.
static PLAIN_RESOLVERS: LazyLock<Vec<(ScalarType, Regex)>> = LazyLock::new(|| {
    let patterns = [
        (
            ScalarType::Bool,
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
        ),
        (
            ScalarType::Float,
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        ),
        (
            ScalarType::Int,
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
        ),
        (ScalarType::Special, r"^(?:<<|=)$"),
        (ScalarType::Null, r"^(?:~|null|Null|NULL|)$"),
        (
            ScalarType::Timestamp,
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
        ),
    ];
    patterns
        .into_iter()
        .map(|(kind, pattern)| {
            (
                kind,
                Regex::new(pattern).expect("resolver pattern is valid"),
            )
        })
        .collect()
});

fn unsupported_tag(tag: &Tag) -> String {
    format!(
        "YAML tag `{}{}` is not supported; remove it and quote the value",
        tag.handle, tag.suffix
    )
}

/// Returns the type PyYAML gives a scalar, or an error for tags other than `!!str`.
fn resolve_scalar(
    value: &str,
    style: TScalarStyle,
    tag: Option<&Tag>,
) -> Result<ScalarType, String> {
    if let Some(tag) = tag {
        let is_str =
            tag.suffix == "str" && (tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:");
        return if is_str {
            Ok(ScalarType::Str)
        } else {
            Err(unsupported_tag(tag))
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(ScalarType::Str);
    }
    Ok(PLAIN_RESOLVERS
        .iter()
        .find(|(_, pattern)| pattern.is_match(value))
        .map_or(ScalarType::Str, |(kind, _)| *kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PolicyFile, PolicyError> {
        PolicyFile::parse(Path::new("policy.yaml"), text)
    }

    fn file_error(text: &str) -> (usize, String) {
        match parse(text) {
            Err(PolicyError::File { line, message, .. }) => (line, message),
            other => panic!("{text:?}: expected a file error, got {other:?}"),
        }
    }

    fn names_and_lines(file: &PolicyFile) -> Vec<(String, String, usize)> {
        file.rules()
            .iter()
            .map(|rule| (rule.name.clone(), rule.check_str.clone(), rule.line))
            .collect()
    }

    #[test]
    fn reads_rules_in_order_with_lines() {
        let text =
            "# comment\n\"a\": \"role:admin\"\nb: 'role:x or @'\n\"c\": role:reader\n\"d\": \"\"\n";
        let file = parse(text).unwrap();
        assert_eq!(
            names_and_lines(&file),
            [
                ("a".into(), "role:admin".into(), 2),
                ("b".into(), "role:x or @".into(), 3),
                ("c".into(), "role:reader".into(), 4),
                ("d".into(), "".into(), 5),
            ]
        );
    }

    #[test]
    fn reads_block_scalars() {
        let text = "\"a\": >-\n  role:admin\n  or role:reader\n";
        let file = parse(text).unwrap();
        assert_eq!(file.rules()[0].check_str, "role:admin or role:reader");
    }

    #[test]
    fn empty_file_has_no_rules() {
        assert!(parse("").unwrap().rules().is_empty());
        assert!(parse("# only a comment\n").unwrap().rules().is_empty());
        assert!(parse("---\n").unwrap().rules().is_empty());
    }

    #[test]
    fn explicit_str_tag_is_a_string() {
        let file = parse("\"a\": !!str role:x\n").unwrap();
        assert_eq!(file.rules()[0].check_str, "role:x");
        // Read as the string "yes", which is then not a valid check.
        let result = parse("\"a\": !!str yes\n");
        assert!(matches!(result, Err(PolicyError::InvalidRule { .. })));
    }

    #[test]
    fn json_extension_is_rejected() {
        let result = PolicyFile::parse(Path::new("/etc/x/policy.json"), "{}");
        let Err(e) = result else {
            panic!("expected an error");
        };
        assert!(matches!(e, PolicyError::Json { .. }));
        assert!(e.to_string().contains("convert the file to YAML"));
    }

    #[test]
    fn non_ascii_comment_before_rules() {
        let file = parse("# règles été\n\"a\": \"role:é\"\n").unwrap();
        assert_eq!(file.rules()[0].check_str, "role:é");
        let result = parse("# règles été\n{\"a\": \"role:x\"}\n");
        assert!(matches!(result, Err(PolicyError::Json { .. })));
    }

    #[test]
    fn json_content_is_rejected() {
        let result = parse("{\"a\": \"role:x\"}\n");
        assert!(matches!(result, Err(PolicyError::Json { .. })));
    }

    #[test]
    fn invalid_yaml_is_rejected_with_line() {
        let (line, message) = file_error("\"a\": \"role:x\"\n\"b\": \"unterminated\n");
        assert_eq!(line, 2);
        assert!(
            message.starts_with("invalid YAML at column 6: "),
            "{message}"
        );
    }

    #[test]
    fn list_top_level_is_rejected() {
        let (line, message) = file_error("- \"role:x\"\n");
        assert_eq!(line, 1);
        assert!(message.contains("is a list"));
    }

    #[test]
    fn scalar_top_level_is_rejected() {
        let (line, message) = file_error("role:admin\n");
        assert_eq!(line, 1);
        assert!(message.contains("single value"));
    }

    #[test]
    fn duplicate_rule_is_rejected() {
        let (line, message) = file_error("\"a\": \"@\"\n\"b\": \"!\"\n\"a\": \"!\"\n");
        assert_eq!(line, 3);
        assert!(message.contains("duplicate rule \"a\" (first defined on line 1)"));
    }

    #[test]
    fn null_value_is_rejected() {
        let (line, message) = file_error("\"a\": \"@\"\n\"b\":\n");
        assert_eq!(line, 2);
        assert!(message.contains("YAML null"));
    }

    #[test]
    fn boolean_value_is_rejected() {
        let (line, message) = file_error("\"a\": yes\n");
        assert_eq!(line, 1);
        assert!(message.contains("as a boolean"));
    }

    #[test]
    fn number_value_is_rejected() {
        assert!(file_error("\"a\": 1\n").1.contains("as an integer"));
        assert!(file_error("\"a\": 1.5\n").1.contains("as a float"));
        assert!(file_error("\"a\": 2024-01-02\n").1.contains("as a date"));
    }

    #[test]
    fn non_string_rule_name_is_rejected() {
        let (line, message) = file_error("\"a\": \"@\"\ntrue: \"!\"\n");
        assert_eq!(line, 2);
        assert!(message.contains("rule name `true` is read by YAML as a boolean"));
    }

    #[test]
    fn list_value_is_rejected() {
        let (line, message) = file_error("\"a\":\n  - \"role:x\"\n");
        assert_eq!(line, 2);
        assert!(message.contains("is a list"));
    }

    #[test]
    fn mapping_value_is_rejected() {
        let (line, message) = file_error("\"a\":\n  b: c\n");
        assert_eq!(line, 2);
        assert!(message.contains("is a mapping"));
    }

    #[test]
    fn alias_is_rejected() {
        let (line, message) = file_error("\"a\": &x \"@\"\n\"b\": *x\n");
        assert_eq!(line, 2);
        assert!(message.contains("aliases"));
    }

    #[test]
    fn other_tags_are_rejected() {
        let (_, message) = file_error("\"a\": !custom \"@\"\n");
        assert!(message.contains("tag"));
    }

    #[test]
    fn multiple_documents_are_rejected() {
        let (line, message) = file_error("\"a\": \"@\"\n---\n\"b\": \"!\"\n");
        assert_eq!(line, 2);
        assert!(message.contains("more than one YAML document"));
    }

    #[test]
    fn check_string_error_has_location() {
        let result = parse("\"a\": \"@\"\n\"b\": \"role:x and\"\n");
        let Err(e) = result else {
            panic!("expected an error");
        };
        let PolicyError::InvalidRule {
            origin,
            name,
            column,
            ..
        } = &e
        else {
            panic!("expected an invalid rule error, got {e:?}");
        };
        assert_eq!(
            origin,
            &RuleOrigin::File {
                path: "policy.yaml".into(),
                line: 2
            }
        );
        assert_eq!(name, "b");
        assert_eq!(*column, 8);
        assert!(e.to_string().starts_with(
            "policy.yaml line 2: rule \"b\": invalid check string \"role:x and\" at column 8: "
        ));
    }

    #[test]
    fn remote_check_is_rejected() {
        let result = parse("\"a\": \"role:x or http://policy.example/check\"\n");
        let Err(PolicyError::InvalidRule {
            column, message, ..
        }) = result
        else {
            panic!("expected an invalid rule error, got {result:?}");
        };
        assert_eq!(column, 11);
        assert!(message.contains("remote"));
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let result = PolicyFile::load(Path::new("/nonexistent/aws-hybrid/policy.yaml"));
        assert!(matches!(result, Err(PolicyError::Read { .. })));
    }

    #[test]
    fn file_paths_follow_oslo_order() {
        let dir = tempfile::tempdir().unwrap();
        let policy_file = dir.path().join("policy.yaml");
        fs::write(&policy_file, "").unwrap();
        let first = dir.path().join("policy.d");
        let second = dir.path().join("more.d");
        fs::create_dir_all(first.join("subdir")).unwrap();
        fs::create_dir(&second).unwrap();
        for name in ["20-b.yaml", "10-a.yaml", ".hidden.yaml"] {
            fs::write(first.join(name), "").unwrap();
        }
        fs::write(second.join("00-c.yaml"), "").unwrap();
        let missing = dir.path().join("missing.d");
        let paths = policy_file_paths(
            Some(&policy_file),
            &[first.clone(), missing, second.clone()],
        )
        .unwrap();
        assert_eq!(
            paths,
            [
                policy_file,
                first.join("10-a.yaml"),
                first.join("20-b.yaml"),
                second.join("00-c.yaml")
            ]
        );
    }

    #[test]
    fn missing_policy_file_is_skipped() {
        let paths = policy_file_paths(Some(Path::new("/nonexistent/policy.yaml")), &[]).unwrap();
        assert!(paths.is_empty());
    }

    #[test]
    fn policy_dir_that_is_a_file_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.d");
        fs::write(&file, "").unwrap();
        let result = policy_file_paths(None, &[file]);
        assert!(matches!(result, Err(PolicyError::NotADirectory { .. })));
    }
}
