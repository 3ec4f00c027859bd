//! Parsing of check strings: oslo.policy's tokenizer and greedy shift-reduce parser, with every
//! input that oslo.policy would turn into a silent deny (or an exception at evaluation time)
//! rejected with a column and a message.

use std::fmt;

use crate::check::{Check, Template};
use crate::python::{is_python_space, parse_left};

/// An invalid check string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckStrError {
    /// Character position in the check string where the problem is, counted from 1.
    pub column: usize,
    /// Description of the problem and of its fix.
    pub message: String,
}

impl fmt::Display for CheckStrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for CheckStrError {}

fn error<T>(column: usize, message: impl Into<String>) -> Result<T, CheckStrError> {
    Err(CheckStrError {
        column,
        message: message.into(),
    })
}

/// Parses a check string with oslo.policy's grammar and precedence.
///
/// `not` binds tightest, then `and`, then `or`; `and`, `or` and `not` match in any letter case.
/// The tree has the shape that oslo.policy's parser builds, including its flattening of
/// `a or b and c and d` into `(a or (b and c and d))`. The empty string allows everyone, like
/// `@`. Unlike oslo.policy, which logs and denies, this returns an error for unbalanced
/// parentheses, operators without operands, checks without an operator between them, quoted
/// tokens, tokens without `:`, and left or right sides that oslo.policy would fail on when
/// evaluating. `http:` and `https:` checks parse; [`crate::Enforcer`] rejects them.
pub fn parse_check_str(check_str: &str) -> Result<Check, CheckStrError> {
    if check_str.is_empty() {
        return Ok(Check::Allow);
    }
    let tokens = tokenize(check_str);
    if tokens.is_empty() {
        return error(
            1,
            "the check string contains only whitespace, which oslo.policy reads as deny; write \
             \"\" or \"@\" to allow everyone, or \"!\" to deny everyone",
        );
    }
    validate(&tokens)?;
    Ok(reduce_tokens(tokens))
}

#[derive(Debug)]
enum TokenKind {
    LeftParen,
    RightParen,
    And,
    Or,
    Not,
    Leaf(Result<Check, CheckStrError>),
}

#[derive(Debug)]
struct Token {
    kind: TokenKind,
    /// Character position in the check string, counted from 1.
    column: usize,
    text: String,
}

/// Splits the check string as oslo.policy does: at runs of whitespace, then peels `(` off the
/// front and `)` off the back of each word. Parentheses elsewhere stay inside a check, as in
/// `%(project_id)s`.
fn tokenize(check_str: &str) -> Vec<Token> {
    let chars: Vec<char> = check_str.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_python_space(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !is_python_space(chars[i]) {
            i += 1;
        }
        tokenize_word(&chars[start..i], start + 1, &mut tokens);
    }
    tokens
}

fn tokenize_word(word: &[char], column: usize, tokens: &mut Vec<Token>) {
    let lead = word.iter().take_while(|c| **c == '(').count();
    for k in 0..lead {
        tokens.push(Token {
            kind: TokenKind::LeftParen,
            column: column + k,
            text: "(".to_string(),
        });
    }
    let rest = &word[lead..];
    if rest.is_empty() {
        return;
    }
    let trail = rest.iter().rev().take_while(|c| **c == ')').count();
    let clean: String = rest[..rest.len() - trail].iter().collect();
    let clean_column = column + lead;
    if !clean.is_empty() {
        let kind = match clean.to_lowercase().as_str() {
            "and" => TokenKind::And,
            "or" => TokenKind::Or,
            "not" => TokenKind::Not,
            // oslo.policy tests the quotes on the word before peeling off `)`.
            _ if rest.len() >= 2
                && matches!(rest[0], '\'' | '"')
                && rest[0] == rest[rest.len() - 1] =>
            {
                TokenKind::Leaf(error(
                    clean_column,
                    format!(
                        "`{clean}` starts and ends with a quote, so oslo.policy reads it as a \
                         bare string rather than a check and denies the whole rule; quote only \
                         a literal before the ':', as in 'shared':%(visibility)s"
                    ),
                ))
            }
            _ => TokenKind::Leaf(parse_leaf(&clean, clean_column)),
        };
        tokens.push(Token {
            kind,
            column: clean_column,
            text: clean.clone(),
        });
    }
    let close_column = clean_column + clean.chars().count();
    for k in 0..trail {
        tokens.push(Token {
            kind: TokenKind::RightParen,
            column: close_column + k,
            text: ")".to_string(),
        });
    }
}

/// Parses one check: `@`, `!` or `kind:match`.
fn parse_leaf(text: &str, column: usize) -> Result<Check, CheckStrError> {
    match text {
        "@" => return Ok(Check::Allow),
        "!" => return Ok(Check::Deny),
        _ => {}
    }
    let lower = text.to_lowercase();
    for operator in ["and", "or", "not"] {
        if lower.starts_with(&format!("{operator}(")) {
            return error(
                column,
                format!(
                    "`{text}` joins the operator `{operator}` and `(`; put a space between them"
                ),
            );
        }
    }
    let Some((kind, matched)) = text.split_once(':') else {
        return error(
            column,
            format!(
                "`{text}` is not a check; write kind:value (such as role:admin or \
                 project_id:%(project_id)s), @ to allow everyone or ! to deny everyone"
            ),
        );
    };
    let match_column = column + kind.chars().count() + 1;
    let template = |what: &str| -> Result<Template, CheckStrError> {
        if matched.is_empty() {
            return error(
                match_column,
                format!("nothing after `{kind}:`; write the {what} to compare with"),
            );
        }
        Template::parse(matched).map_err(|e| CheckStrError {
            column: match_column + e.offset,
            message: e.message,
        })
    };
    match kind {
        "http" | "https" => Ok(Check::Remote {
            scheme: kind.to_string(),
            url: matched.to_string(),
        }),
        "rule" => {
            if matched.is_empty() {
                return error(match_column, "nothing after `rule:`; write a rule name");
            }
            Ok(Check::Rule(matched.to_string()))
        }
        "role" => Ok(Check::Role(template("role name")?)),
        _ => {
            let left = parse_left(kind).map_err(|e| CheckStrError {
                column: column + e.offset,
                message: e.message,
            })?;
            let right = template("value or %(key)s placeholder")?;
            Ok(Check::Generic { left, right })
        }
    }
}

/// Checks the token sequence against the grammar that oslo.policy's reductions accept:
/// `expr = term (("and" | "or") term)*` and `term = "not"* (check | "(" expr ")")`.
fn validate(tokens: &[Token]) -> Result<(), CheckStrError> {
    let mut expect_operand = true;
    let mut open_columns: Vec<usize> = Vec::new();
    let mut previous: Option<&Token> = None;
    for token in tokens {
        let column = token.column;
        match &token.kind {
            TokenKind::LeftParen => {
                if !expect_operand {
                    return error(
                        column,
                        format!(
                            "missing `and` or `or` between `{}` and `(`",
                            previous.map_or("", |p| p.text.as_str())
                        ),
                    );
                }
                open_columns.push(column);
            }
            TokenKind::Not => {
                if !expect_operand {
                    return error(
                        column,
                        format!(
                            "`{}` cannot follow a check directly; write `and not` or `or not`",
                            token.text
                        ),
                    );
                }
            }
            TokenKind::Leaf(result) => {
                // A broken check explains itself better than the structure around it.
                if let Err(e) = result {
                    return Err(e.clone());
                }
                if !expect_operand {
                    return error(
                        column,
                        format!(
                            "missing `and` or `or` between `{}` and `{}`",
                            previous.map_or("", |p| p.text.as_str()),
                            token.text
                        ),
                    );
                }
                expect_operand = false;
            }
            TokenKind::And | TokenKind::Or => {
                if expect_operand {
                    let message = match previous {
                        None => format!(
                            "`{}` at the start has no check before it; add one or remove the \
                             operator",
                            token.text
                        ),
                        Some(p) => format!(
                            "`{}` directly after `{}` has no check before it; add one or remove \
                             the operator",
                            token.text, p.text
                        ),
                    };
                    return error(column, message);
                }
                expect_operand = true;
            }
            TokenKind::RightParen => {
                if expect_operand {
                    let message = match previous {
                        Some(Token {
                            kind: TokenKind::LeftParen,
                            ..
                        }) => "empty parentheses `()`; put a check between them or remove them"
                            .to_string(),
                        Some(p) => format!(
                            "`{}` has no check after it before `)`; add one or remove the \
                             operator",
                            p.text
                        ),
                        None => "`)` has no matching `(`; remove it".to_string(),
                    };
                    return error(column, message);
                }
                if open_columns.pop().is_none() {
                    return error(
                        column,
                        "`)` has no matching `(`; remove it or add a `(` before it",
                    );
                }
            }
        }
        previous = Some(token);
    }
    // A final `(` is reported as never closed below.
    if expect_operand
        && let Some(last) = previous
        && !matches!(last.kind, TokenKind::LeftParen)
    {
        return error(
            last.column,
            format!(
                "`{}` at the end has no check after it; add one or remove the operator",
                last.text
            ),
        );
    }
    if let Some(column) = open_columns.first() {
        return error(*column, "`(` is never closed; add a matching `)`");
    }
    Ok(())
}

/// An entry of the parser stack, named after oslo.policy's token classes.
enum StackItem {
    LeftParen,
    RightParen,
    And,
    Or,
    Not,
    Check(Check),
    AndExpr(Vec<Check>),
    OrExpr(Vec<Check>),
}

/// Builds the tree from validated tokens by shifting each token and reducing greedily, with the
/// same reductions as oslo.policy so the tree has the same shape.
fn reduce_tokens(tokens: Vec<Token>) -> Check {
    let mut stack = Vec::new();
    for token in tokens {
        stack.push(match token.kind {
            TokenKind::LeftParen => StackItem::LeftParen,
            TokenKind::RightParen => StackItem::RightParen,
            TokenKind::And => StackItem::And,
            TokenKind::Or => StackItem::Or,
            TokenKind::Not => StackItem::Not,
            TokenKind::Leaf(check) => {
                StackItem::Check(check.expect("validate() returned every leaf error"))
            }
        });
        while reduce_once(&mut stack) {}
    }
    assert_eq!(
        stack.len(),
        1,
        "validate() accepts only sequences that reduce to one item"
    );
    match stack.pop() {
        Some(item) => into_check(item),
        None => unreachable!("the stack has one item"),
    }
}

fn into_check(item: StackItem) -> Check {
    match item {
        StackItem::Check(check) => check,
        StackItem::AndExpr(checks) => Check::And(checks),
        StackItem::OrExpr(checks) => Check::Or(checks),
        _ => unreachable!("only checks and expressions become checks"),
    }
}

/// Applies the first reduction that matches the top of the stack, and returns whether one did.
fn reduce_once(stack: &mut Vec<StackItem>) -> bool {
    use StackItem as S;
    let n = stack.len();
    if n >= 3 {
        let matches_three = matches!(
            (&stack[n - 3], &stack[n - 2], &stack[n - 1]),
            (
                S::LeftParen,
                S::Check(_) | S::AndExpr(_) | S::OrExpr(_),
                S::RightParen
            ) | (
                S::Check(_) | S::AndExpr(_) | S::OrExpr(_),
                S::And | S::Or,
                S::Check(_)
            )
        );
        if matches_three {
            let third = stack.pop();
            let second = stack.pop();
            let first = stack.pop();
            let reduced = match (first, second, third) {
                (Some(S::LeftParen), Some(inner), Some(S::RightParen)) => {
                    S::Check(into_check(inner))
                }
                (Some(S::Check(a)), Some(S::And), Some(S::Check(b))) => S::AndExpr(vec![a, b]),
                (Some(S::AndExpr(mut checks)), Some(S::And), Some(S::Check(b))) => {
                    checks.push(b);
                    S::AndExpr(checks)
                }
                // `a or b and c`: the `and` takes the last operand of the `or`, and extends it
                // in place when it already is an `and`, even one from inside parentheses.
                (Some(S::OrExpr(mut checks)), Some(S::And), Some(S::Check(b))) => {
                    match checks.pop() {
                        Some(Check::And(mut inner)) => {
                            inner.push(b);
                            checks.push(Check::And(inner));
                        }
                        Some(last) => checks.push(Check::And(vec![last, b])),
                        None => unreachable!("an `or` expression has operands"),
                    }
                    S::OrExpr(checks)
                }
                (Some(S::Check(a)), Some(S::Or), Some(S::Check(b))) => S::OrExpr(vec![a, b]),
                (Some(S::AndExpr(checks)), Some(S::Or), Some(S::Check(b))) => {
                    S::OrExpr(vec![Check::And(checks), b])
                }
                (Some(S::OrExpr(mut checks)), Some(S::Or), Some(S::Check(b))) => {
                    checks.push(b);
                    S::OrExpr(checks)
                }
                _ => unreachable!("the shape was matched above"),
            };
            stack.push(reduced);
            return true;
        }
    }
    if n >= 2 && matches!((&stack[n - 2], &stack[n - 1]), (S::Not, S::Check(_))) {
        let Some(S::Check(check)) = stack.pop() else {
            unreachable!("the shape was matched above")
        };
        stack.pop();
        stack.push(S::Check(Check::Not(Box::new(check))));
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::Left;

    fn tree(check_str: &str) -> String {
        match parse_check_str(check_str) {
            Ok(check) => check.to_string(),
            Err(e) => panic!("{check_str:?}: {e}"),
        }
    }

    fn parse_error(check_str: &str) -> CheckStrError {
        match parse_check_str(check_str) {
            Err(e) => e,
            Ok(check) => panic!("{check_str:?}: expected an error, got {check}"),
        }
    }

    #[test]
    fn empty_string_allows() {
        assert_eq!(parse_check_str("").unwrap(), Check::Allow);
    }

    #[test]
    fn at_sign_allows() {
        assert_eq!(parse_check_str("@").unwrap(), Check::Allow);
    }

    #[test]
    fn exclamation_mark_denies() {
        assert_eq!(parse_check_str("!").unwrap(), Check::Deny);
    }

    #[test]
    fn role_check() {
        let check = parse_check_str("role:Admin").unwrap();
        let Check::Role(name) = check else {
            panic!("expected a role check, got {check:?}");
        };
        assert_eq!(name.source(), "Admin");
    }

    #[test]
    fn role_name_may_contain_colons() {
        assert_eq!(tree("role:compute:admin"), "role:compute:admin");
    }

    #[test]
    fn rule_check() {
        assert_eq!(
            parse_check_str("rule:admin_required").unwrap(),
            Check::Rule("admin_required".into())
        );
    }

    #[test]
    fn generic_check_with_placeholder() {
        let check = parse_check_str("project_id:%(project_id)s").unwrap();
        let Check::Generic { left, right } = check else {
            panic!("expected a generic check, got {check:?}");
        };
        assert_eq!(left, Left::CredsPath(vec!["project_id".into()]));
        assert_eq!(right.keys().collect::<Vec<_>>(), ["project_id"]);
    }

    #[test]
    fn generic_check_with_nested_creds_path() {
        let check = parse_check_str("token.user.id:%(target.owner)s").unwrap();
        let Check::Generic { left, right } = check else {
            panic!("expected a generic check, got {check:?}");
        };
        assert_eq!(
            left,
            Left::CredsPath(vec!["token".into(), "user".into(), "id".into()])
        );
        assert_eq!(right.keys().collect::<Vec<_>>(), ["target.owner"]);
    }

    #[test]
    fn generic_check_with_literal_left() {
        let check = parse_check_str("'shared':%(visibility)s").unwrap();
        let Check::Generic { left, .. } = check else {
            panic!("expected a generic check, got {check:?}");
        };
        assert_eq!(
            left,
            Left::Literal {
                source: "'shared'".into(),
                text: "shared".into()
            }
        );
    }

    #[test]
    fn remote_checks_parse() {
        assert_eq!(
            parse_check_str("https://policy.example/check").unwrap(),
            Check::Remote {
                scheme: "https".into(),
                url: "//policy.example/check".into()
            }
        );
    }

    #[test]
    fn and_joins_left_to_right() {
        assert_eq!(tree("a:1 and b:2 and c:3"), "(a:1 and b:2 and c:3)");
    }

    #[test]
    fn or_joins_left_to_right() {
        assert_eq!(tree("a:1 or b:2 or c:3"), "(a:1 or b:2 or c:3)");
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(tree("a:1 or b:2 and c:3"), "(a:1 or (b:2 and c:3))");
        assert_eq!(tree("a:1 and b:2 or c:3"), "((a:1 and b:2) or c:3)");
    }

    #[test]
    fn or_then_and_chain_flattens() {
        assert_eq!(
            tree("a:1 or b:2 and c:3 and d:4"),
            "(a:1 or (b:2 and c:3 and d:4))"
        );
    }

    #[test]
    fn or_then_and_extends_parenthesized_and() {
        // oslo.policy's parser appends to the `and` from inside the parentheses.
        assert_eq!(
            tree("a:1 or (b:2 and c:3) and d:4"),
            "(a:1 or (b:2 and c:3 and d:4))"
        );
    }

    #[test]
    fn parenthesized_and_then_and_nests() {
        assert_eq!(tree("(b:2 and c:3) and d:4"), "((b:2 and c:3) and d:4)");
    }

    #[test]
    fn not_binds_tightest() {
        assert_eq!(tree("not a:1 and b:2"), "(not a:1 and b:2)");
        assert_eq!(tree("a:1 or not b:2"), "(a:1 or not b:2)");
    }

    #[test]
    fn not_applies_to_parentheses() {
        assert_eq!(tree("not (a:1 or b:2)"), "not (a:1 or b:2)");
    }

    #[test]
    fn not_repeats() {
        assert_eq!(tree("not not a:1"), "not not a:1");
    }

    #[test]
    fn operators_ignore_case() {
        assert_eq!(tree("a:1 AND b:2 Or NOT c:3"), "((a:1 and b:2) or not c:3)");
    }

    #[test]
    fn parentheses_group() {
        assert_eq!(tree("(a:1 or b:2) and c:3"), "((a:1 or b:2) and c:3)");
        assert_eq!(tree("((a:1))"), "a:1");
        assert_eq!(tree("( a:1 )"), "a:1");
        assert_eq!(tree("(@)"), "@");
    }

    #[test]
    fn parentheses_inside_a_check_stay() {
        assert_eq!(
            tree("(project_id:%(project_id)s)"),
            "project_id:%(project_id)s"
        );
    }

    #[test]
    fn any_whitespace_separates_tokens() {
        assert_eq!(
            tree("a:1\tand\nb:2\u{a0}or\u{1f}c:3"),
            "((a:1 and b:2) or c:3)"
        );
    }

    #[test]
    fn whitespace_only_is_rejected() {
        let e = parse_error("   ");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("only whitespace"));
    }

    #[test]
    fn unclosed_parenthesis_is_rejected() {
        let e = parse_error("role:a and (role:b or role:c");
        assert_eq!(e.column, 12);
        assert!(e.message.contains("never closed"));
    }

    #[test]
    fn unmatched_closing_parenthesis_is_rejected() {
        let e = parse_error("role:a)");
        assert_eq!(e.column, 7);
        assert!(e.message.contains("no matching `(`"));
    }

    #[test]
    fn empty_parentheses_are_rejected() {
        let e = parse_error("role:a or ()");
        assert_eq!(e.column, 12);
        assert!(e.message.contains("empty parentheses"));
    }

    #[test]
    fn dangling_and_is_rejected() {
        let e = parse_error("role:a and");
        assert_eq!(e.column, 8);
        assert!(e.message.contains("at the end"));
    }

    #[test]
    fn leading_or_is_rejected() {
        let e = parse_error("or role:a");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("at the start"));
    }

    #[test]
    fn two_operators_in_a_row_are_rejected() {
        let e = parse_error("role:a and or role:b");
        assert_eq!(e.column, 12);
        assert!(e.message.contains("directly after `and`"));
    }

    #[test]
    fn operator_before_closing_parenthesis_is_rejected() {
        let e = parse_error("(role:a or)");
        assert_eq!(e.column, 11);
        assert!(e.message.contains("`or` has no check after it"));
    }

    #[test]
    fn lone_not_is_rejected() {
        let e = parse_error("not");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("at the end"));
    }

    #[test]
    fn not_after_check_is_rejected() {
        let e = parse_error("role:a not role:b");
        assert_eq!(e.column, 8);
        assert!(e.message.contains("and not"));
    }

    #[test]
    fn adjacent_checks_are_rejected() {
        let e = parse_error("role:a role:b");
        assert_eq!(e.column, 8);
        assert!(e.message.contains("missing `and` or `or`"));
    }

    #[test]
    fn check_before_parenthesis_is_rejected() {
        let e = parse_error("role:a (role:b)");
        assert_eq!(e.column, 8);
        assert!(e.message.contains("missing `and` or `or`"));
    }

    #[test]
    fn token_without_colon_is_rejected() {
        let e = parse_error("admin or role:b");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("`admin` is not a check"));
    }

    #[test]
    fn operator_glued_to_parenthesis_is_rejected() {
        let e = parse_error("role:a and(role:b)");
        assert_eq!(e.column, 8);
        assert!(e.message.contains("put a space"));
    }

    #[test]
    fn quoted_token_is_rejected() {
        let e = parse_error("role:a or 'shared'");
        assert_eq!(e.column, 11);
        assert!(e.message.contains("bare string"));
    }

    #[test]
    fn fully_quoted_generic_check_is_rejected() {
        let e = parse_error("'shared':'%(visibility)s'");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("bare string"));
    }

    #[test]
    fn quoted_token_inside_parenthesis_is_not_a_check() {
        let e = parse_error("('shared')");
        assert_eq!(e.column, 2);
        assert!(e.message.contains("is not a check"));
    }

    #[test]
    fn empty_kind_is_rejected() {
        let e = parse_error("role:a or :x");
        assert_eq!(e.column, 11);
        assert!(e.message.contains("nothing before ':'"));
    }

    #[test]
    fn invalid_creds_path_is_rejected() {
        let e = parse_error("user.class:%(x)s");
        assert_eq!(e.column, 6);
        assert!(e.message.contains("Python keyword"));
    }

    #[test]
    fn invalid_literal_is_rejected() {
        let e = parse_error("01:%(x)s");
        assert!(e.message.contains("leading zeros"));
    }

    #[test]
    fn empty_role_is_rejected() {
        let e = parse_error("role:");
        assert_eq!(e.column, 6);
        assert!(e.message.contains("role name"));
    }

    #[test]
    fn empty_rule_is_rejected() {
        let e = parse_error("rule:");
        assert_eq!(e.column, 6);
        assert!(e.message.contains("rule name"));
    }

    #[test]
    fn empty_generic_value_is_rejected() {
        let e = parse_error("project_id:");
        assert_eq!(e.column, 12);
        assert!(e.message.contains("nothing after `project_id:`"));
    }

    #[test]
    fn bad_placeholder_column_points_at_percent() {
        let e = parse_error("role:a or project_id:%(project_id)d");
        assert_eq!(e.column, 22);
        assert!(e.message.contains("followed by `s`"));
    }

    #[test]
    fn first_error_in_the_string_wins() {
        let e = parse_error("or admin");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("at the start"));
    }

    #[test]
    fn column_counts_characters() {
        let e = parse_error("role:é and");
        assert_eq!(e.column, 8);
    }
}
