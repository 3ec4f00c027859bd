//! Option value types and their parsers. The oslo.config types of the same names
//! (`oslo_config/types.py`) set the accepted syntax. `Path` and `AwsRegion` are ours.

use std::net::IpAddr;

/// Value type of an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKind {
    String,
    /// `true/1/on/yes` or `false/0/off/no`, case-insensitive.
    Bool,
    /// A decimal integer within the inclusive bounds that are set.
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    /// A TCP port, 1 to 65535.
    Port,
    /// Comma-separated items, each trimmed. One trailing comma is ignored.
    List,
    /// Every occurrence of the key adds one item, across all files.
    MultiString,
    /// Exactly one of the listed strings, case-sensitive.
    Choice(&'static [&'static str]),
    /// An absolute `http://` or `https://` URL.
    Uri,
    /// A non-empty file system path.
    Path,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// An AWS region name such as `us-east-1`, see [`is_aws_region`].
    AwsRegion,
}

/// A parsed option value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptValue {
    /// No value and no default.
    Unset,
    Str(String),
    Bool(bool),
    Int(i64),
    List(Vec<String>),
    Ip(IpAddr),
}

/// Lowest and highest TCP port accepted by [`OptKind::Port`].
pub const PORT_RANGE: (i64, i64) = (1, 65535);

impl OptKind {
    /// Parses one value. The error describes the expected form and never quotes the value.
    pub fn parse(&self, text: &str) -> Result<OptValue, String> {
        match *self {
            OptKind::String | OptKind::MultiString => Ok(OptValue::Str(text.to_string())),
            OptKind::Bool => parse_bool(text).map(OptValue::Bool),
            OptKind::Int { min, max } => parse_int(text, min, max).map(OptValue::Int),
            OptKind::Port => parse_int(text, Some(PORT_RANGE.0), Some(PORT_RANGE.1))
                .map(OptValue::Int)
                .map_err(|_| "expected a port number between 1 and 65535".to_string()),
            OptKind::List => Ok(OptValue::List(split_list(text))),
            OptKind::Choice(choices) => parse_choice(text, choices).map(OptValue::Str),
            OptKind::Uri => parse_uri(text).map(OptValue::Str),
            OptKind::Path => parse_path(text).map(OptValue::Str),
            OptKind::IpAddress => text
                .trim()
                .parse()
                .map(OptValue::Ip)
                .map_err(|_| "expected an IPv4 or IPv6 address such as 127.0.0.1 or ::".into()),
            OptKind::AwsRegion => parse_region(text).map(OptValue::Str),
        }
    }

    /// Returns the type description that oslo-config-generator prints, e.g. `integer value`.
    pub fn type_name(&self) -> &'static str {
        match self {
            OptKind::String | OptKind::Path | OptKind::AwsRegion | OptKind::Choice(_) => {
                "string value"
            }
            OptKind::Bool => "boolean value",
            OptKind::Int { .. } => "integer value",
            OptKind::Port => "port value",
            OptKind::List => "list value",
            OptKind::MultiString => "multi valued",
            OptKind::Uri => "uri value",
            OptKind::IpAddress => "IP address value",
        }
    }

    /// Returns the inclusive lower and upper bounds of integer kinds.
    pub fn bounds(&self) -> (Option<i64>, Option<i64>) {
        match *self {
            OptKind::Int { min, max } => (min, max),
            OptKind::Port => (Some(PORT_RANGE.0), Some(PORT_RANGE.1)),
            _ => (None, None),
        }
    }
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "on" | "yes" => Ok(true),
        "false" | "0" | "off" | "no" => Ok(false),
        _ => Err("expected true or false (also accepted: 1/0, on/off, yes/no)".into()),
    }
}

fn parse_int(text: &str, min: Option<i64>, max: Option<i64>) -> Result<i64, String> {
    let expected = match (min, max) {
        (Some(min), Some(max)) => format!("expected an integer between {min} and {max}"),
        (Some(min), None) => format!("expected an integer of at least {min}"),
        (None, Some(max)) => format!("expected an integer of at most {max}"),
        (None, None) => "expected an integer".to_string(),
    };
    let value: i64 = text.trim().parse().map_err(|_| expected.clone())?;
    let too_low = min.is_some_and(|min| value < min);
    let too_high = max.is_some_and(|max| value > max);
    if too_low || too_high {
        return Err(expected);
    }
    Ok(value)
}

/// Splits a list value the way oslo.config's `ListOpt` does: `a, b ,c,` has 3 items and
/// an empty value has none. Empty items between two commas are kept.
pub fn split_list(text: &str) -> Vec<String> {
    let text = text.trim();
    let text = text.strip_suffix(',').unwrap_or(text);
    if text.trim().is_empty() {
        return Vec::new();
    }
    text.split(',')
        .map(|item| item.trim().to_string())
        .collect()
}

fn parse_choice(text: &str, choices: &[&str]) -> Result<String, String> {
    let text = text.trim();
    if choices.contains(&text) {
        Ok(text.to_string())
    } else {
        Err(format!("expected one of: {}", choices.join(", ")))
    }
}

fn parse_uri(text: &str) -> Result<String, String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.contains(char::is_whitespace) => {
            Ok(text.to_string())
        }
        _ => Err("expected a URL starting with http:// or https://".into()),
    }
}

fn parse_path(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        Err("expected a file path".into())
    } else {
        Ok(text.to_string())
    }
}

fn parse_region(text: &str) -> Result<String, String> {
    let text = text.trim();
    if is_aws_region(text) {
        Ok(text.to_string())
    } else {
        Err("expected an AWS region name such as us-east-1".into())
    }
}

/// Returns whether `name` has the shape of an AWS region name: two lower-case letters,
/// one or more `-word` parts and a final `-number`, e.g. `us-east-1` or `us-gov-west-1`.
/// It does not check that the region exists.
pub fn is_aws_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let [country, words @ .., number] = parts.as_slice() else {
        return false;
    };
    let lower = |part: &&str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase());
    country.len() == 2
        && lower(country)
        && !words.is_empty()
        && words.iter().all(lower)
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests;
