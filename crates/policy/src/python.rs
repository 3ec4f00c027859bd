//! The few Python behaviours that oslo.policy's results depend on: `str()` of creds and target
//! values, `ast.literal_eval` of a check's left side, truthiness and `str.isspace`.
//!
//! Behaviour was checked against CPython 3.11.

use serde_json::Value;

/// Python keywords (3.11), which can't be attribute names, so a creds path segment that is one
/// makes `ast.literal_eval` raise `SyntaxError` in oslo.policy.
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Maximum length in characters of a numeric literal on a check's left side. Any limit under
/// 4300 digits works: CPython refuses to convert longer integers to text, and oslo.policy then
/// reads the literal as a creds path.
const MAX_NUMBER_LITERAL_CHARS: usize = 100;

/// Returns whether Python's `str.isspace()` is true for `c`, which is also what the `\s` of
/// Python's `re` matches. Rust's `char::is_whitespace` lacks only U+001C to U+001F.
pub(crate) fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Returns Python's truthiness of a JSON value, as `if creds.get('system'):` tests it.
pub(crate) fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Formats a JSON value as Python's `str()` formats the object that `json.loads` makes of it.
///
/// NOTE: an object prints in serde_json's key order (sorted), where Python prints insertion
/// order, and non-ASCII characters that Python's `repr` escapes (format characters, unassigned
/// code points) are printed as they are inside lists and objects.
pub(crate) fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => {
            let mut out = String::new();
            write_repr(other, &mut out);
            out
        }
    }
}

fn write_repr(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                out.push_str(&float_repr(n.as_f64().unwrap_or(f64::NAN)));
            }
        }
        Value::String(s) => write_str_repr(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(key, out);
                out.push_str(": ");
                write_repr(item, out);
            }
            out.push('}');
        }
    }
}

/// Writes Python's `repr()` of a string: single quotes unless the text contains a single quote
/// and no double quote.
fn write_str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || (c.is_whitespace() && c != ' ') => {
                let code = u32::from(c);
                if code < 0x100 {
                    out.push_str(&format!("\\x{code:02x}"));
                } else if code < 0x10000 {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Formats a float as Python's `repr(float)`: the shortest digits that read back to the same
/// value, in positional notation when the decimal exponent is from -4 to 15 and in scientific
/// notation (`1e+16`, `1e-05`) otherwise.
pub(crate) fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }

    // Rust's `{:e}` prints the same shortest round-trip digits, as `-1.2345e-7`.
    let scientific = format!("{x:e}");
    let (negative, unsigned) = match scientific.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, scientific.as_str()),
    };
    let (mantissa, exponent) = unsigned
        .split_once('e')
        .expect("Rust's {:e} output always contains an exponent");
    let exponent: i32 = exponent
        .parse()
        .expect("Rust's {:e} exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();

    // The value is 0.DIGITS times ten to the power `point`.
    let point = exponent + 1;
    let mut out = String::new();
    if negative {
        out.push('-');
    }

    if -4 < point && point <= 16 {
        let count = digits.len() as i32;
        if point <= 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-point) as usize));
            out.push_str(&digits);
        } else if point >= count {
            out.push_str(&digits);
            out.push_str(&"0".repeat((point - count) as usize));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        out.push_str(&format!("e{sign}{:02}", exponent.abs()));
    }
    out
}

/// The left side of a generic check, as oslo.policy reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Left {
    /// A path into the creds, split at dots: `token.user.id`.
    CredsPath(Vec<String>),
    /// A Python literal, which oslo.policy compares as text with the right side.
    Literal {
        /// The literal as written in the check string, such as `'shared'` or `1e3`.
        source: String,
        /// Python's `str()` of the literal's value, such as `shared` or `1000.0`.
        text: String,
    },
}

impl Left {
    /// Returns the left side as written in the check string.
    pub fn source(&self) -> String {
        match self {
            Left::CredsPath(segments) => segments.join("."),
            Left::Literal { source, .. } => source.clone(),
        }
    }
}

/// An invalid left side: a character offset into it and what is wrong.
#[derive(Debug)]
pub(crate) struct LeftError {
    pub offset: usize,
    pub message: String,
}

/// Parses the text before the first `:` of a generic check.
///
/// oslo.policy first tries `ast.literal_eval` on it. A literal is compared as its `str()`, a
/// `ValueError` makes it a creds path, and any other exception escapes at evaluation time.
/// This accepts only the literals and paths whose meaning is plain: quoted strings without
/// escapes, `True`, `False`, `None`, real numbers, and dotted paths of ASCII identifiers that are
/// not Python keywords. Everything else is an error.
pub(crate) fn parse_left(kind: &str) -> Result<Left, LeftError> {
    let literal = |text: &str| Left::Literal {
        source: kind.to_string(),
        text: text.to_string(),
    };
    if kind.is_empty() {
        return Err(LeftError {
            offset: 0,
            message: "nothing before ':'; write a creds attribute such as project_id, or a \
                      quoted literal"
                .to_string(),
        });
    }
    if matches!(kind, "True" | "False" | "None") {
        return Ok(literal(kind));
    }
    let first = kind.chars().next().unwrap_or(' ');
    if first == '\'' || first == '"' {
        return parse_quoted(kind, first).map(|text| literal(&text));
    }
    if first.is_ascii_digit() || matches!(first, '.' | '+' | '-') {
        return parse_number(kind).map(|text| literal(&text));
    }
    parse_creds_path(kind).map(Left::CredsPath)
}

fn parse_quoted(kind: &str, quote: char) -> Result<String, LeftError> {
    let chars: Vec<char> = kind.chars().collect();
    if chars.len() < 2 || chars[chars.len() - 1] != quote {
        return Err(LeftError {
            offset: 0,
            message: format!(
                "unterminated quoted string `{kind}`; end it with {quote} before the ':'"
            ),
        });
    }
    let body = &chars[1..chars.len() - 1];
    for (i, c) in body.iter().enumerate() {
        if *c == '\\' {
            return Err(LeftError {
                offset: i + 1,
                message: "backslash escapes are not supported in a quoted literal; write the \
                          character itself"
                    .to_string(),
            });
        }
        if *c == quote {
            return Err(LeftError {
                offset: i + 1,
                message: format!(
                    "quoted literal `{kind}` contains its own quote character {quote}; use the \
                     other kind of quotes around it"
                ),
            });
        }
    }
    Ok(body.iter().collect())
}

/// Scans digits with single underscores between them (Python's `digitpart`) from `start`, and
/// returns the end, or `None` when there is no digit at `start`.
fn scan_digits(chars: &[char], start: usize, is_digit: fn(char) -> bool) -> Option<usize> {
    if start >= chars.len() || !is_digit(chars[start]) {
        return None;
    }
    let mut end = start + 1;
    loop {
        if end < chars.len() && is_digit(chars[end]) {
            end += 1;
        } else if end + 1 < chars.len() && chars[end] == '_' && is_digit(chars[end + 1]) {
            end += 2;
        } else {
            return Some(end);
        }
    }
}

fn parse_number(kind: &str) -> Result<String, LeftError> {
    let invalid = |offset: usize, message: String| Err(LeftError { offset, message });
    let chars: Vec<char> = kind.chars().collect();
    if chars.len() > MAX_NUMBER_LITERAL_CHARS {
        return invalid(
            0,
            format!("numeric literal longer than {MAX_NUMBER_LITERAL_CHARS} characters"),
        );
    }
    let (negative, start) = match chars[0] {
        '-' => (true, 1),
        '+' => (false, 1),
        _ => (false, 0),
    };
    let not_a_number = || {
        invalid(
            0,
            format!(
                "`{kind}` is not a number, a quoted string or a creds path; write a number such \
                 as 1, -2 or 1.5, or quote text as 'text'"
            ),
        )
    };
    let body = &chars[start..];
    let radix = match body {
        ['0', 'x' | 'X', ..] => Some(16),
        ['0', 'o' | 'O', ..] => Some(8),
        ['0', 'b' | 'B', ..] => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        // Python's grammar is a prefix then (["_"] digit)+, so 0x_1f is valid and 0x1__f not.
        let mut digits = Vec::new();
        let mut pending_underscore = false;
        for c in &body[2..] {
            if *c == '_' && !pending_underscore {
                pending_underscore = true;
            } else if let Some(d) = c.to_digit(radix) {
                digits.push(d);
                pending_underscore = false;
            } else {
                return not_a_number();
            }
        }
        if digits.is_empty() || pending_underscore {
            return not_a_number();
        }
        return Ok(signed_integer_text(
            negative,
            &digits_to_decimal(&digits, radix),
        ));
    }

    let is_decimal: fn(char) -> bool = |c| c.is_ascii_digit();
    let mut end = 0;
    let integer_end = scan_digits(body, 0, is_decimal);
    if let Some(e) = integer_end {
        end = e;
    }
    let mut is_float = false;
    let mut has_fraction = false;
    if end < body.len() && body[end] == '.' {
        is_float = true;
        end += 1;
        if let Some(e) = scan_digits(body, end, is_decimal) {
            end = e;
            has_fraction = true;
        }
    }
    if integer_end.is_none() && !has_fraction {
        return not_a_number();
    }
    if end < body.len() && matches!(body[end], 'e' | 'E') {
        is_float = true;
        end += 1;
        if end < body.len() && matches!(body[end], '+' | '-') {
            end += 1;
        }
        match scan_digits(body, end, is_decimal) {
            Some(e) => end = e,
            None => return not_a_number(),
        }
    }
    if end < body.len() && matches!(body[end], 'j' | 'J') {
        return invalid(
            0,
            format!("complex number `{kind}` is not supported; use a real number"),
        );
    }
    if end != body.len() {
        return not_a_number();
    }
    let plain: String = body.iter().filter(|c| **c != '_').collect();
    if is_float {
        let value: f64 = plain.parse().map_err(|_| LeftError {
            offset: 0,
            message: format!("`{kind}` is not a valid float"),
        })?;
        return Ok(float_repr(if negative { -value } else { value }));
    }
    let trimmed = plain.trim_start_matches('0');
    if trimmed.len() != plain.len() && !trimmed.is_empty() {
        return invalid(
            start,
            format!(
                "leading zeros in the integer `{kind}` are not allowed (Python reads 0o17 as \
                 octal); remove them"
            ),
        );
    }
    let digits: Vec<u32> = plain.chars().filter_map(|c| c.to_digit(10)).collect();
    Ok(signed_integer_text(
        negative,
        &digits_to_decimal(&digits, 10),
    ))
}

/// Converts big-endian digits in `radix` to decimal text without leading zeros.
fn digits_to_decimal(digits: &[u32], radix: u32) -> String {
    // Little-endian limbs of nine decimal digits each.
    const LIMB: u64 = 1_000_000_000;
    let mut limbs: Vec<u64> = vec![0];
    for digit in digits {
        let mut carry = u64::from(*digit);
        for limb in limbs.iter_mut() {
            let value = *limb * u64::from(radix) + carry;
            *limb = value % LIMB;
            carry = value / LIMB;
        }
        while carry > 0 {
            limbs.push(carry % LIMB);
            carry /= LIMB;
        }
    }
    let mut text = limbs.last().map(u64::to_string).unwrap_or_default();
    for limb in limbs.iter().rev().skip(1) {
        text.push_str(&format!("{limb:09}"));
    }
    text
}

fn signed_integer_text(negative: bool, magnitude: &str) -> String {
    if negative && magnitude != "0" {
        format!("-{magnitude}")
    } else {
        magnitude.to_string()
    }
}

fn parse_creds_path(kind: &str) -> Result<Vec<String>, LeftError> {
    let mut segments = Vec::new();
    let mut offset = 0;
    for segment in kind.split('.') {
        let valid_start = segment
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let valid_rest = segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_start || !valid_rest {
            let message = if segment.is_empty() {
                format!(
                    "creds path `{kind}` has an empty name between dots; write names such as \
                     token.user.id"
                )
            } else {
                format!(
                    "`{kind}` is neither a creds path (names of ASCII letters, digits and \
                     underscores, joined by dots, such as token.user.id) nor a literal (a \
                     quoted string, True, False, None or a number)"
                )
            };
            return Err(LeftError { offset, message });
        }
        if PYTHON_KEYWORDS.contains(&segment) {
            return Err(LeftError {
                offset,
                message: format!(
                    "`{segment}` in creds path `{kind}` is a Python keyword, which oslo.policy \
                     cannot read as a name"
                ),
            });
        }
        segments.push(segment.to_string());
        offset += segment.chars().count() + 1;
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn literal_text(kind: &str) -> String {
        match parse_left(kind) {
            Ok(Left::Literal { text, .. }) => text,
            other => panic!("{kind}: expected a literal, got {other:?}"),
        }
    }

    fn left_error(kind: &str) -> String {
        match parse_left(kind) {
            Err(e) => e.message,
            Ok(left) => panic!("{kind}: expected an error, got {left:?}"),
        }
    }

    #[test]
    fn float_repr_matches_python() {
        let cases = [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1000.0, "1000.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (-2.5, "-2.5"),
            (-0.0, "-0.0"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e300, "1e+300"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (value, expected) in cases {
            assert_eq!(float_repr(value), expected, "repr of {value:e}");
        }
    }

    #[test]
    fn python_str_of_scalars() {
        assert_eq!(python_str(&json!("text")), "text");
        assert_eq!(python_str(&json!(true)), "True");
        assert_eq!(python_str(&json!(false)), "False");
        assert_eq!(python_str(&json!(null)), "None");
        assert_eq!(python_str(&json!(42)), "42");
        assert_eq!(python_str(&json!(-7)), "-7");
        assert_eq!(python_str(&json!(u64::MAX)), "18446744073709551615");
        assert_eq!(python_str(&json!(2.0)), "2.0");
    }

    #[test]
    fn python_str_of_containers() {
        assert_eq!(
            python_str(&json!(["a", 1, true, null])),
            "['a', 1, True, None]"
        );
        assert_eq!(
            python_str(&json!({"b": "x", "a": [1.5]})),
            "{'a': [1.5], 'b': 'x'}"
        );
        assert_eq!(python_str(&json!(["it's"])), "[\"it's\"]");
        assert_eq!(python_str(&json!(["a'\"b"])), "['a\\'\"b']");
        assert_eq!(
            python_str(&json!(["tab\there\u{1}"])),
            "['tab\\there\\x01']"
        );
        assert_eq!(python_str(&json!([])), "[]");
    }

    #[test]
    fn truthiness_follows_python() {
        assert!(!is_truthy(&json!(null)));
        assert!(!is_truthy(&json!("")));
        assert!(!is_truthy(&json!(0)));
        assert!(!is_truthy(&json!(0.0)));
        assert!(!is_truthy(&json!([])));
        assert!(!is_truthy(&json!({})));
        assert!(!is_truthy(&json!(false)));
        assert!(is_truthy(&json!("all")));
        assert!(is_truthy(&json!(1)));
        assert!(is_truthy(&json!([0])));
    }

    #[test]
    fn python_space_includes_separators() {
        assert!(is_python_space(' '));
        assert!(is_python_space('\t'));
        assert!(is_python_space('\u{1c}'));
        assert!(is_python_space('\u{a0}'));
        assert!(!is_python_space('x'));
    }

    #[test]
    fn left_keywords_are_literals() {
        assert_eq!(literal_text("True"), "True");
        assert_eq!(literal_text("False"), "False");
        assert_eq!(literal_text("None"), "None");
    }

    #[test]
    fn left_quoted_strings() {
        assert_eq!(literal_text("'shared'"), "shared");
        assert_eq!(literal_text("\"public\""), "public");
        assert_eq!(literal_text("\"it's\""), "it's");
        assert_eq!(literal_text("''"), "");
        assert_eq!(literal_text("'a.b'"), "a.b");
    }

    #[test]
    fn left_integers() {
        assert_eq!(literal_text("1"), "1");
        assert_eq!(literal_text("-0"), "0");
        assert_eq!(literal_text("+5"), "5");
        assert_eq!(literal_text("-12"), "-12");
        assert_eq!(literal_text("1_000"), "1000");
        assert_eq!(literal_text("0x_1f"), "31");
        assert_eq!(literal_text("0o17"), "15");
        assert_eq!(literal_text("0b101"), "5");
        assert_eq!(literal_text("000"), "0");
        assert_eq!(
            literal_text("0xffffffffffffffffffffffffffffffff"),
            "340282366920938463463374607431768211455"
        );
    }

    #[test]
    fn left_floats() {
        assert_eq!(literal_text("1.5"), "1.5");
        assert_eq!(literal_text("1e3"), "1000.0");
        assert_eq!(literal_text("1_0.5e-3"), "0.0105");
        assert_eq!(literal_text("00.5"), "0.5");
        assert_eq!(literal_text(".5"), "0.5");
        assert_eq!(literal_text("5."), "5.0");
        assert_eq!(literal_text("1e16"), "1e+16");
        assert_eq!(literal_text("-1e999"), "-inf");
        assert_eq!(literal_text("01e3"), "1000.0");
    }

    #[test]
    fn left_creds_paths() {
        assert_eq!(
            parse_left("token.user.id").unwrap(),
            Left::CredsPath(vec!["token".into(), "user".into(), "id".into()])
        );
        assert_eq!(
            parse_left("_private").unwrap(),
            Left::CredsPath(vec!["_private".into()])
        );
        assert_eq!(
            parse_left("TRUE").unwrap(),
            Left::CredsPath(vec!["TRUE".into()])
        );
    }

    #[test]
    fn left_rejects_malformed_numbers() {
        assert!(left_error("01").contains("leading zeros"));
        assert!(left_error("1__0").contains("not a number"));
        assert!(left_error("1e").contains("not a number"));
        assert!(left_error("1_").contains("not a number"));
        assert!(left_error("0x").contains("not a number"));
        assert!(left_error("--5").contains("not a number"));
        assert!(left_error("1.5.x").contains("not a number"));
        assert!(left_error("2j").contains("complex"));
        assert!(left_error(&"1".repeat(101)).contains("longer than"));
    }

    #[test]
    fn left_rejects_malformed_strings() {
        assert!(left_error("'abc").contains("unterminated"));
        assert!(left_error("'").contains("unterminated"));
        assert!(left_error("'a\\nb'").contains("backslash"));
        assert!(left_error("'a'b'").contains("own quote"));
    }

    #[test]
    fn left_rejects_malformed_paths() {
        assert!(left_error("").contains("nothing before"));
        assert!(left_error("a..b").contains("empty name"));
        assert!(left_error("a.").contains("empty name"));
        assert!(left_error("user.class").contains("Python keyword"));
        assert!(left_error("x.True").contains("Python keyword"));
        assert!(left_error("tenant-id").contains("neither a creds path"));
        assert!(left_error("@x").contains("neither a creds path"));
        assert!(left_error("a.1").contains("neither a creds path"));
    }
}
