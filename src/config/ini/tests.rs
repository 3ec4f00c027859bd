use super::*;

fn parse_ok(text: &str) -> IniFile {
    match parse(text, "test.conf") {
        Ok(file) => file,
        Err(errors) => panic!("unexpected parse errors: {errors:?}"),
    }
}

fn parse_errors(text: &str) -> Vec<ParseError> {
    match parse(text, "test.conf") {
        Ok(file) => panic!("expected parse errors, got {file:?}"),
        Err(errors) => errors,
    }
}

fn values<'a>(section: &'a Section, key: &str) -> Vec<&'a str> {
    section
        .entries
        .iter()
        .filter(|entry| entry.key == key)
        .map(|entry| entry.value.as_str())
        .collect()
}

#[test]
fn equals_and_colon_separators() {
    let file = parse_ok("[g]\na = 1\nb: 2\nc = x:y\nd: x=y\ne=\n");
    let section = &file.sections[0];

    assert_eq!(values(section, "a"), ["1"]);
    assert_eq!(values(section, "b"), ["2"]);
    assert_eq!(values(section, "c"), ["x:y"]);
    assert_eq!(values(section, "d"), ["x=y"]);
    assert_eq!(values(section, "e"), [""]);
}

#[test]
fn comment_lines_are_skipped() {
    let file = parse_ok("# top\n; also\n[g]\n# a = 1\n;b = 2\nc = 3\n");
    let section = &file.sections[0];

    assert_eq!(section.entries.len(), 1);
    assert_eq!(values(section, "c"), ["3"]);
}

#[test]
fn no_inline_comments() {
    let file = parse_ok("[g]\ninline = value # x\nsemi = value ; y\n");
    let section = &file.sections[0];

    assert_eq!(values(section, "inline"), ["value # x"]);
    assert_eq!(values(section, "semi"), ["value ; y"]);
}

#[test]
fn continuation_lines_join_with_newline() {
    let file = parse_ok("[g]\nkey = first\n  second\n\tthird  \nnext = n\n");
    let section = &file.sections[0];

    assert_eq!(values(section, "key"), ["first\nsecond\nthird"]);
    assert_eq!(values(section, "next"), ["n"]);
    assert_eq!(section.entries[0].line, 2);
    assert_eq!(section.entries[1].line, 5);
}

#[test]
fn blank_line_ends_continuation() {
    let errors = parse_errors("[g]\nkey = first\n  second\n\n  orphan\n");

    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 5);
    assert_eq!(errors[0].kind, ParseErrorKind::UnexpectedContinuation);
}

#[test]
fn continuation_without_key_is_error() {
    let after_header = parse_errors("[g]\n  orphan\n");
    let after_comment = parse_errors("[g]\na = 1\n# note\n  orphan\n");

    assert_eq!(after_header[0].line, 2);
    assert_eq!(after_header[0].kind, ParseErrorKind::UnexpectedContinuation);
    assert_eq!(after_comment[0].line, 4);
    assert_eq!(
        after_comment[0].to_string(),
        "test.conf:4: continuation line without an option before it: remove the leading \
         whitespace, or remove the blank or comment line above it"
    );
}

#[test]
fn whitespace_only_line_is_blank() {
    let file = parse_ok("[g]\nkey = a\n   \nother = b\n");
    let section = &file.sections[0];

    assert_eq!(values(section, "key"), ["a"]);
    assert_eq!(values(section, "other"), ["b"]);
}

#[test]
fn one_pair_of_quotes_stripped() {
    let file = parse_ok(
        "[g]\nd = \"  spaced  \"\ns = 'single'\nn = \"\"x\"\"\nm = \"mixed'\nh = \"\nc = \"a\"\n  \"b\"\n",
    );
    let section = &file.sections[0];

    assert_eq!(values(section, "d"), ["  spaced  "]);
    assert_eq!(values(section, "s"), ["single"]);
    assert_eq!(values(section, "n"), ["\"x\""]);
    assert_eq!(values(section, "m"), ["\"mixed'"]);
    assert_eq!(values(section, "h"), [""]);
    assert_eq!(values(section, "c"), ["a\n\"b\""]);
}

#[test]
fn repeated_keys_keep_all_values() {
    let file = parse_ok("[g]\nmulti = first\nmulti = second\nother = x\nmulti = third\n");
    let section = &file.sections[0];

    assert_eq!(values(section, "multi"), ["first", "second", "third"]);
    assert_eq!(section.last("multi").map(|e| e.line), Some(5));
}

#[test]
fn group_names_fold_case_except_default() {
    let file = parse_ok("[Tenant_Map]\na = 1\n[DEFAULT]\nb = 2\n[default]\nc = 3\n");

    assert_eq!(file.sections[0].name, "Tenant_Map");
    assert_eq!(file.sections[0].group(), "tenant_map");
    assert_eq!(file.sections[1].group(), "DEFAULT");
    assert!(file.sections[1].is_default());
    assert_eq!(file.sections[2].group(), "default");
    assert!(!file.sections[2].is_default());
}

#[test]
fn repeated_headers_are_separate_sections() {
    let file = parse_ok("[g]\na = 1\n[h]\nb = 2\n[g]\nc = 3\n");

    assert_eq!(file.sections.len(), 3);
    assert_eq!(file.sections[2].name, "g");
    assert_eq!(file.sections[2].line, 5);
}

#[test]
fn malformed_header_is_error() {
    let errors = parse_errors("[g]\na = 1\n[broken\nb = 2\n[h] # note\n[]\n[ok]\nc = 3\n");

    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 5, 6]);
    assert_eq!(errors[0].kind, ParseErrorKind::InvalidSectionHeader);
    assert_eq!(errors[1].kind, ParseErrorKind::InvalidSectionHeader);
    assert_eq!(errors[2].kind, ParseErrorKind::EmptySectionName);
}

#[test]
fn key_outside_section_is_error() {
    let errors = parse_errors("# header comment\nkey = value\n  continued\n[g]\nok = 1\n");

    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 2);
    assert_eq!(errors[0].kind, ParseErrorKind::OutsideSection);
}

#[test]
fn line_without_separator_is_error() {
    let errors = parse_errors("[g]\njust words\n  continued\n= value\n");

    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].line, 2);
    assert_eq!(errors[0].kind, ParseErrorKind::MissingSeparator);
    assert_eq!(errors[1].line, 4);
    assert_eq!(errors[1].kind, ParseErrorKind::EmptyKey);
}

#[test]
fn errors_do_not_quote_line() {
    let errors = parse_errors("[g]\ns3cr3t-password\n");

    assert!(!errors[0].to_string().contains("s3cr3t"));
}

#[test]
fn all_errors_reported() {
    let errors = parse_errors("a = 1\n[g]\nno separator\n[bad\n[h]\n  orphan\n");

    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 3, 4, 6]);
}

#[test]
fn backslashes_kept_literally() {
    let file = parse_ok("[g]\npath = C:\\temp\\new\ntab = a\\tb\\\n");
    let section = &file.sections[0];

    assert_eq!(values(section, "path"), ["C:\\temp\\new"]);
    assert_eq!(values(section, "tab"), ["a\\tb\\"]);
}

#[test]
fn crlf_and_bom_accepted() {
    let file = parse_ok("\u{feff}[g]\r\na = 1\r\nb = 2  \r\n");
    let section = &file.sections[0];

    assert_eq!(section.line, 1);
    assert_eq!(values(section, "a"), ["1"]);
    assert_eq!(values(section, "b"), ["2"]);
}

#[test]
fn value_with_default_falls_back() {
    let file = parse_ok(
        "[DEFAULT]\nregion = us-east-1\nregion = us-east-2\n[p]\nkey = k\n[q]\nregion = eu-west-1\n",
    );
    let (p, q) = (&file.sections[1], &file.sections[2]);

    assert_eq!(
        file.value_with_default(p, "region")
            .map(|e| e.value.as_str()),
        Some("us-east-2")
    );
    assert_eq!(
        file.value_with_default(q, "region")
            .map(|e| e.value.as_str()),
        Some("eu-west-1")
    );
    assert_eq!(file.value_with_default(p, "key").map(|e| e.line), Some(5));
    assert!(file.value_with_default(q, "key").is_none());
}

#[test]
fn dollar_signs_not_interpreted() {
    let file = parse_ok("[g]\na = $b/${c}$$\n");

    assert_eq!(values(&file.sections[0], "a"), ["$b/${c}$$"]);
}
