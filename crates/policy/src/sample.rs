//! Sample policy files in the format of oslo.policy's `oslopolicy-sample-generator`.

use crate::enforcer::RuleDefault;
use crate::python::is_python_space;

/// Width of the wrapped description lines, including the `# ` prefix, as in oslo.policy.
const WRAP_WIDTH: usize = 70;

/// Formats registered defaults as a commented sample policy file, byte for byte as
/// `oslopolicy-sample-generator` (oslo.policy 6.0.1) formats `DocumentedRuleDefault`s.
///
/// Each rule is its description wrapped at 70 columns (indented lines are kept as they are),
/// then one `# METHOD  path` line per operation, then `# Intended scope(s): ...` when it has
/// scope types, then the commented rule `#"name": "check string"` and a blank line. Like the
/// generator, this does not escape quotes in names or check strings, because the rules are
/// commented out.
pub fn sample_yaml(defaults: &[RuleDefault]) -> String {
    defaults.iter().map(format_rule).collect()
}

fn format_rule(default: &RuleDefault) -> String {
    let mut text = String::new();
    if !default.description.is_empty() {
        text.push_str(&format_help_text(&default.description));
        text.push('\n');
    }
    for (method, path) in &default.operations {
        if !method.is_empty() && !path.is_empty() {
            text.push_str(&format!("# {method}  {path}\n"));
        }
    }
    if !default.scope_types.is_empty() {
        text.push_str(&format!(
            "# Intended scope(s): {}\n",
            default.scope_types.join(", ")
        ));
    }
    text.push_str(&format!(
        "#\"{}\": \"{}\"\n\n",
        default.name, default.check_str
    ));
    text
}

/// Formats a description as comment lines: paragraphs are joined and wrapped, blank lines
/// become `#`, and lines that start with whitespace are kept unwrapped.
fn format_help_text(description: &str) -> String {
    let mut lines = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    for line in split_lines(python_strip(description)) {
        if python_strip(line).is_empty() {
            lines.extend(wrap_paragraph(&paragraph));
            lines.push("#".to_string());
            paragraph.clear();
        } else if !line.starts_with(is_python_space) {
            paragraph.push(python_rstrip(line));
        } else {
            // oslo.policy warns here when no blank line precedes the indented block.
            if !paragraph.is_empty() {
                lines.extend(wrap_paragraph(&paragraph));
                lines.push("#".to_string());
                paragraph.clear();
            }
            lines.push(format!("# {}", python_rstrip(line)));
        }
    }
    if !paragraph.is_empty() {
        lines.extend(wrap_paragraph(&paragraph));
    }
    lines.join("\n")
}

fn wrap_paragraph(lines: &[&str]) -> Vec<String> {
    wrap(&lines.join(" "), WRAP_WIDTH, "# ")
}

fn python_strip(text: &str) -> &str {
    text.trim_matches(is_python_space)
}

fn python_rstrip(text: &str) -> &str {
    text.trim_end_matches(is_python_space)
}

/// Splits at line boundaries as Python's `str.splitlines()` does.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let is_boundary = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !is_boundary {
            continue;
        }
        lines.push(&text[start..i]);
        start = i + c.len_utf8();
        if c == '\r'
            && let Some((j, '\n')) = chars.peek().copied()
        {
            chars.next();
            start = j + 1;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Wraps text as Python's `textwrap.wrap(text, width, initial_indent=indent,
/// subsequent_indent=indent)` does with its other options at their defaults: tabs expanded,
/// whitespace made spaces, words split after hyphens, and words longer than a line broken.
///
/// NOTE: Python's `\w` and `\d` are approximated with Rust's `char::is_alphanumeric` and
/// `char::is_numeric`, which differ from Python for some non-ASCII characters.
fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let text: Vec<char> = expand_tabs(text)
        .chars()
        .map(|c| if is_textwrap_space(c) { ' ' } else { c })
        .collect();
    let mut chunks = split_chunks(&text);
    chunks.reverse();
    let width = width - indent.chars().count();
    let mut lines: Vec<String> = Vec::new();
    while !chunks.is_empty() {
        let mut line: Vec<Vec<char>> = Vec::new();
        let mut line_len = 0;
        if !lines.is_empty() && chunks.last().is_some_and(|c| is_blank(c)) {
            chunks.pop();
        }
        while let Some(chunk) = chunks.last() {
            if line_len + chunk.len() > width {
                break;
            }
            line_len += chunk.len();
            line.extend(chunks.pop());
        }
        if chunks.last().is_some_and(|chunk| chunk.len() > width) {
            break_long_word(&mut chunks, &mut line, line_len, width);
        }
        if line.last().is_some_and(|c| is_blank(c)) {
            line.pop();
        }
        if !line.is_empty() {
            let mut out = indent.to_string();
            out.extend(line.iter().flatten());
            lines.push(out);
        }
    }
    lines
}

/// Moves as much of the next chunk onto the line as fits, breaking after its last hyphen in
/// that part when there is one with a non-hyphen before it.
fn break_long_word(
    chunks: &mut [Vec<char>],
    line: &mut Vec<Vec<char>>,
    line_len: usize,
    width: usize,
) {
    let space_left = if width < 1 { 1 } else { width - line_len };
    let Some(chunk) = chunks.last_mut() else {
        return;
    };
    let mut end = space_left.min(chunk.len());
    if chunk.len() > space_left {
        let hyphen = chunk[..space_left].iter().rposition(|c| *c == '-');
        if let Some(h) = hyphen
            && h > 0
            && chunk[..h].iter().any(|c| *c != '-')
        {
            end = h + 1;
        }
    }
    let rest = chunk.split_off(end);
    line.push(std::mem::replace(chunk, rest));
}

fn is_blank(chunk: &[char]) -> bool {
    chunk.iter().all(|c| is_python_space(*c))
}

/// Returns whether `c` is whitespace for Python's `textwrap` (`'\t\n\x0b\x0c\r '`).
fn is_textwrap_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ')
}

/// Expands tabs to the next multiple of 8 columns, as Python's `str.expandtabs()` does.
fn expand_tabs(text: &str) -> String {
    let mut out = String::new();
    let mut column = 0;
    for c in text.chars() {
        match c {
            '\t' => {
                let spaces = 8 - column % 8;
                out.push_str(&" ".repeat(spaces));
                column += spaces;
            }
            '\n' | '\r' => {
                out.push(c);
                column = 0;
            }
            _ => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

/// Returns whether `c` matches Python's `\w`.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Returns whether `c` is in `textwrap`'s letter class `[^\d\W]`.
fn is_letter(c: char) -> bool {
    is_word(c) && !c.is_numeric()
}

/// Returns whether `c` is in `textwrap`'s `word_punct` class `[\w!"'&.,?]`.
fn is_word_punct(c: char) -> bool {
    is_word(c) || matches!(c, '!' | '"' | '\'' | '&' | '.' | ',' | '?')
}

/// Splits munged text into the chunks of `textwrap`'s `wordsep_re`: runs of spaces, em-dashes
/// (`--` between words), and words, which end at a space, before an em-dash, or after a hyphen
/// inside a word such as `goof-` in `goof-ball`.
fn split_chunks(text: &[char]) -> Vec<Vec<char>> {
    let at = |i: usize| text.get(i).copied();
    let letter_at = |i: usize| at(i).is_some_and(is_letter);
    let dash_run_end = |start: usize| {
        let mut end = start;
        while at(end) == Some('-') {
            end += 1;
        }
        end
    };
    // `(?<=word_punct) -{2,} (?=\w)` starting at `i`, returning its end.
    let em_dash = |i: usize| {
        if i == 0 || !is_word_punct(text[i - 1]) {
            return None;
        }
        let end = dash_run_end(i);
        (end - i >= 2 && at(end).is_some_and(is_word)).then_some(end)
    };
    // A hyphen at `i` that `wordsep_re` splits after: two letters or letter-hyphen-letter
    // before it, and a letter, an optional hyphen and a letter after it.
    let splits_after_hyphen = |i: usize| {
        let behind = (i >= 2 && letter_at(i - 2) && letter_at(i - 1))
            || (i >= 3 && letter_at(i - 3) && at(i - 2) == Some('-') && letter_at(i - 1));
        let ahead =
            letter_at(i + 1) && (letter_at(i + 2) || (at(i + 2) == Some('-') && letter_at(i + 3)));
        at(i) == Some('-') && behind && ahead
    };

    let mut chunks = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let end = if text[i] == ' ' {
            let mut end = i;
            while at(end) == Some(' ') {
                end += 1;
            }
            end
        } else if let Some(end) = em_dash(i) {
            end
        } else {
            // The shortest run of non-spaces followed by a splitting hyphen, a space or the
            // end of the text, or an em-dash.
            let mut end = i + 1;
            loop {
                if splits_after_hyphen(end) {
                    end += 1;
                    break;
                }
                if end == text.len() || text[end] == ' ' {
                    break;
                }
                if is_word_punct(text[end - 1]) && em_dash(end).is_some() {
                    break;
                }
                end += 1;
            }
            end
        };
        chunks.push(text[i..end].to_vec());
        i = end;
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        split_chunks(&chars)
            .into_iter()
            .map(|chunk| chunk.into_iter().collect())
            .collect()
    }

    fn rule(name: &str, check_str: &str, description: &str) -> RuleDefault {
        RuleDefault {
            name: name.to_string(),
            check_str: check_str.to_string(),
            description: description.to_string(),
            ..RuleDefault::default()
        }
    }

    #[test]
    fn chunks_match_textwrap_example() {
        // The example in the docstring of Python's TextWrapper._split.
        assert_eq!(
            chunks("Look, goof-ball -- use the -b option!"),
            [
                "Look,", " ", "goof-", "ball", " ", "--", " ", "use", " ", "the", " ", "-b", " ",
                "option!"
            ]
        );
    }

    #[test]
    fn chunks_split_em_dash_between_words() {
        assert_eq!(chunks("this--that"), ["this", "--", "that"]);
    }

    #[test]
    fn chunks_keep_short_hyphenated_parts() {
        assert_eq!(chunks("a-b-c"), ["a-b-c"]);
        assert_eq!(chunks("x-ray"), ["x-ray"]);
        assert_eq!(chunks("self-service"), ["self-", "service"]);
    }

    #[test]
    fn rule_without_description() {
        assert_eq!(
            sample_yaml(&[rule("n", "role:a", "")]),
            "#\"n\": \"role:a\"\n\n"
        );
    }

    #[test]
    fn rule_with_everything() {
        let default = RuleDefault {
            operations: vec![
                ("GET".into(), "/v1/instances".into()),
                ("POST".into(), "/v1/instances".into()),
            ],
            scope_types: vec!["project".into(), "system".into()],
            ..rule(
                "aws-hybrid:instance:list",
                "role:reader and project_id:%(project_id)s",
                "List instances. This description is long enough that it wraps at seventy \
                 columns.",
            )
        };
        let expected = "# List instances. This description is long enough that it wraps at\n\
                        # seventy columns.\n\
                        # GET  /v1/instances\n\
                        # POST  /v1/instances\n\
                        # Intended scope(s): project, system\n\
                        #\"aws-hybrid:instance:list\": \"role:reader and project_id:%(project_id)s\"\n\n";
        assert_eq!(sample_yaml(&[default]), expected);
    }

    #[test]
    fn paragraphs_and_literal_blocks() {
        let description = "First paragraph\ncontinues here.\n\n    literal  line\nAfter.";
        let expected = "# First paragraph continues here.\n\
                        #\n\
                        #     literal  line\n\
                        # After.\n\
                        #\"n\": \"@\"\n\n";
        assert_eq!(sample_yaml(&[rule("n", "@", description)]), expected);
    }

    #[test]
    fn literal_block_without_blank_line_closes_paragraph() {
        let expected = "# Text\n#\n#   code\n#\"n\": \"@\"\n\n";
        assert_eq!(sample_yaml(&[rule("n", "@", "Text\n  code")]), expected);
    }

    #[test]
    fn long_word_breaks_at_width() {
        let word = "x".repeat(80);
        let expected = format!(
            "# {}\n# {}\n#\"n\": \"@\"\n\n",
            "x".repeat(68),
            "x".repeat(12)
        );
        assert_eq!(sample_yaml(&[rule("n", "@", &word)]), expected);
    }

    #[test]
    fn whitespace_only_description_gives_empty_line() {
        assert_eq!(sample_yaml(&[rule("n", "@", "  ")]), "\n#\"n\": \"@\"\n\n");
    }

    #[test]
    fn empty_operations_are_skipped() {
        let default = RuleDefault {
            operations: vec![("".into(), "/x".into())],
            ..rule("n", "@", "")
        };
        assert_eq!(sample_yaml(&[default]), "#\"n\": \"@\"\n\n");
    }

    #[test]
    fn rules_follow_each_other() {
        let text = sample_yaml(&[rule("a", "@", ""), rule("b", "!", "")]);
        assert_eq!(text, "#\"a\": \"@\"\n\n#\"b\": \"!\"\n\n");
    }

    #[test]
    fn split_lines_follows_python() {
        assert_eq!(
            split_lines("a\r\nb\rc\n\nd\u{2028}e\n"),
            ["a", "b", "c", "", "d", "e"]
        );
        assert!(split_lines("").is_empty());
    }

    #[test]
    fn expand_tabs_to_multiples_of_eight() {
        assert_eq!(expand_tabs("ab\tc"), "ab      c");
        assert_eq!(expand_tabs("\t"), "        ");
    }
}
