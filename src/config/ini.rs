//! Parser for the INI dialect that oslo.config reads. It follows `BaseParser` in
//! `oslo_config/iniparser.py` and the group-name folding of `oslo_config/cfg.py`.
//!
//! Rules, each covered by a unit test:
//! - `name = value` or `name: value`, split at whichever separator comes first.
//! - Lines starting with `#` or `;` are comments. There are no inline comments:
//!   `a = b # c` sets `a` to `b # c`.
//! - A line starting with a space or tab continues the previous value. The parts are
//!   joined with `\n`, and a blank line or any unindented line ends the value.
//! - One matching pair of surrounding `"` or `'` is stripped from the first line of a value.
//! - A line that is only `[name]` starts a section. Any other line starting with `[` is
//!   an error, and so is an option before the first section.
//! - Repeated keys keep every value in file order, and repeated section headers start a
//!   new [`Section`] each time. Consumers decide how to merge them.
//! - Backslashes are kept literally because there are no escape sequences.
//!
//! The parser does not interpolate `$` references and does not know any option names.
//! It reports every syntax error in the file, each with its line number.

/// The group name that oslo.config never case-folds.
pub const DEFAULT_GROUP: &str = "DEFAULT";

/// A parsed INI file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniFile {
    /// File name used in error messages.
    pub path: String,
    /// Section occurrences in file order.
    pub sections: Vec<Section>,
}

/// One `[name]` header and the entries under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Name between the brackets, as written.
    pub name: String,
    /// 1-based line number of the header.
    pub line: usize,
    /// Entries in file order, repeated keys included.
    pub entries: Vec<Entry>,
}

/// One `name = value` assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Option name with surrounding whitespace removed.
    pub key: String,
    /// Value with quotes stripped and continuation lines joined with `\n`.
    pub value: String,
    /// 1-based line number of the line that contains the key.
    pub line: usize,
}

/// A syntax error at one line of a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {kind}")]
pub struct ParseError {
    /// File name, as passed to [`parse`].
    pub path: String,
    /// 1-based line number.
    pub line: usize,
    /// Kind of syntax error.
    pub kind: ParseErrorKind,
}

/// The kinds of syntax error. Messages never quote the line, because it may contain a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error(
        "invalid section header: expected [name] on a line of its own, with any comment on a separate line"
    )]
    InvalidSectionHeader,
    #[error("empty section name: expected [DEFAULT] or [group]")]
    EmptySectionName,
    #[error("option outside any section: add a [DEFAULT] or [group] header above it")]
    OutsideSection,
    #[error(
        "continuation line without an option before it: remove the leading whitespace, or remove the blank or comment line above it"
    )]
    UnexpectedContinuation,
    #[error(
        "invalid line: expected `name = value`, `name: value`, a [section] header or a comment"
    )]
    MissingSeparator,
    #[error("empty option name before the separator")]
    EmptyKey,
}

/// Returns the oslo.config group name for a section name: lower case, except that
/// `DEFAULT` stays as it is. So `[Tenant_Map]` is group `tenant_map`, and `[default]` is
/// group `default`, not `DEFAULT`.
pub fn normalize_group(name: &str) -> String {
    if name == DEFAULT_GROUP {
        name.to_string()
    } else {
        name.to_lowercase()
    }
}

impl Section {
    /// Returns the oslo.config group name of this section, see [`normalize_group`].
    pub fn group(&self) -> String {
        normalize_group(&self.name)
    }

    /// Returns whether this is a `[DEFAULT]` section.
    pub fn is_default(&self) -> bool {
        self.name == DEFAULT_GROUP
    }

    /// Returns the last entry for `key`, which is the effective one for a single-valued option.
    pub fn last(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|entry| entry.key == key)
    }
}

impl IniFile {
    /// Returns the entries of all `[DEFAULT]` sections in file order.
    pub fn default_entries(&self) -> impl Iterator<Item = &Entry> {
        self.sections
            .iter()
            .filter(|section| section.is_default())
            .flat_map(|section| section.entries.iter())
    }

    /// Returns the effective entry for `key` in `section`, falling back to `[DEFAULT]`.
    ///
    /// oslo.config itself never copies `[DEFAULT]` values into other groups. Files that
    /// use `[DEFAULT]` as per-section fallbacks, such as the tenant mapping file, use this
    /// helper. The last entry in `section` wins, then the last one in any `[DEFAULT]`.
    pub fn value_with_default<'a>(&'a self, section: &'a Section, key: &str) -> Option<&'a Entry> {
        section.last(key).or_else(|| {
            self.default_entries()
                .filter(|entry| entry.key == key)
                .last()
        })
    }
}

/// Parses `text`, naming `path` in errors. Returns every syntax error in the file.
pub fn parse(text: &str, path: &str) -> Result<IniFile, Vec<ParseError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser::new(path);
    for (index, line) in text.lines().enumerate() {
        parser.feed(index + 1, line);
    }
    parser.finish()
}

/// State of the current section, which decides where entries go.
enum SectionState {
    /// No header seen yet, so an entry is an error.
    NoneYet,
    /// The last header was invalid. Its entries are dropped without further errors,
    /// because the header error already covers them.
    Invalid,
    /// Entries go to the last element of `sections`.
    Valid,
}

/// An assignment whose value may still get continuation lines.
struct Pending {
    key: String,
    parts: Vec<String>,
    line: usize,
}

struct Parser<'a> {
    path: &'a str,
    sections: Vec<Section>,
    state: SectionState,
    pending: Option<Pending>,
    /// The previous line was dropped, so its continuation lines are dropped too.
    skip_continuation: bool,
    errors: Vec<ParseError>,
}

impl<'a> Parser<'a> {
    fn new(path: &'a str) -> Self {
        Self {
            path,
            sections: Vec::new(),
            state: SectionState::NoneYet,
            pending: None,
            skip_continuation: false,
            errors: Vec::new(),
        }
    }

    fn feed(&mut self, number: usize, raw: &str) {
        let line = raw.trim_end();
        if line.is_empty() {
            self.flush();
            self.skip_continuation = false;
            return;
        }
        if line.starts_with([' ', '\t']) {
            self.continue_value(number, line.trim_start());
            return;
        }

        self.flush();
        self.skip_continuation = false;
        if line.starts_with('[') {
            self.start_section(number, line);
        } else if !line.starts_with(['#', ';']) {
            self.start_entry(number, line);
        }
    }

    fn continue_value(&mut self, number: usize, part: &str) {
        if let Some(pending) = &mut self.pending {
            pending.parts.push(part.to_string());
        } else if !self.skip_continuation {
            self.error(number, ParseErrorKind::UnexpectedContinuation);
        }
    }

    fn start_section(&mut self, number: usize, line: &str) {
        let name = match line.strip_suffix(']') {
            None => {
                self.error(number, ParseErrorKind::InvalidSectionHeader);
                self.state = SectionState::Invalid;
                return;
            }
            Some(inner) => &inner[1..],
        };
        if name.is_empty() {
            self.error(number, ParseErrorKind::EmptySectionName);
            self.state = SectionState::Invalid;
            return;
        }
        self.sections.push(Section {
            name: name.to_string(),
            line: number,
            entries: Vec::new(),
        });
        self.state = SectionState::Valid;
    }

    fn start_entry(&mut self, number: usize, line: &str) {
        let Some((key, value)) = split_assignment(line) else {
            self.error(number, ParseErrorKind::MissingSeparator);
            self.skip_continuation = true;
            return;
        };
        if key.is_empty() {
            self.error(number, ParseErrorKind::EmptyKey);
            self.skip_continuation = true;
            return;
        }
        match self.state {
            SectionState::NoneYet => {
                self.error(number, ParseErrorKind::OutsideSection);
                self.skip_continuation = true;
            }
            SectionState::Invalid => self.skip_continuation = true,
            SectionState::Valid => {
                self.pending = Some(Pending {
                    key: key.to_string(),
                    parts: vec![strip_quotes(value).to_string()],
                    line: number,
                });
            }
        }
    }

    /// Moves the pending assignment, if any, into the current section.
    fn flush(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        let section = self
            .sections
            .last_mut()
            .expect("an assignment is pending only inside a valid section");
        section.entries.push(Entry {
            key: pending.key,
            value: pending.parts.join("\n"),
            line: pending.line,
        });
    }

    fn error(&mut self, line: usize, kind: ParseErrorKind) {
        self.errors.push(ParseError {
            path: self.path.to_string(),
            line,
            kind,
        });
    }

    fn finish(mut self) -> Result<IniFile, Vec<ParseError>> {
        self.flush();
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        Ok(IniFile {
            path: self.path.to_string(),
            sections: self.sections,
        })
    }
}

/// Splits a line at the first `=` or `:` and trims both sides.
fn split_assignment(line: &str) -> Option<(&str, &str)> {
    let at = line.find(['=', ':'])?;
    Some((line[..at].trim(), line[at + 1..].trim()))
}

/// Removes one pair of matching `"` or `'` around the whole value. Like oslo.config,
/// it turns a value that is a single quote character into an empty value.
fn strip_quotes(value: &str) -> &str {
    let Some(first) = value.chars().next() else {
        return value;
    };
    if !matches!(first, '"' | '\'') || !value.ends_with(first) {
        return value;
    }
    if value.len() == 1 {
        ""
    } else {
        &value[1..value.len() - 1]
    }
}

#[cfg(test)]
mod tests;
