//! Input checks shared by the resource modules; each error names the field and the fix.

use std::collections::BTreeMap;

use super::error::ApiError;
use crate::cloud::TAG_PREFIX;

/// User tags allowed per resource: EC2's limit of 50 less the service's own tags and `Name`.
const MAX_USER_TAGS: usize = 46;

fn invalid(detail: String) -> ApiError {
    ApiError::bad_request("invalid_parameter", detail)
}

fn is_hex(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `<prefix>-` followed by 8 or 17 lowercase hex digits, the two forms EC2 ids take.
fn is_aws_id(prefix: &str, value: &str) -> bool {
    value
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| (hex.len() == 8 || hex.len() == 17) && is_hex(hex))
}

pub fn aws_id(field: &str, prefix: &str, value: &str) -> Result<(), ApiError> {
    if is_aws_id(prefix, value) {
        return Ok(());
    }
    Err(invalid(format!(
        "Invalid {field} {value:?}: expected an id of the form {prefix}-<8 or 17 hex digits>."
    )))
}

pub fn image_id(field: &str, value: &str) -> Result<(), ApiError> {
    aws_id(field, "ami", value)
}

/// Check an instance id; one that cannot exist is reported as not found, like any unknown id.
pub fn instance_id(value: &str) -> Result<(), ApiError> {
    if is_aws_id("i", value) {
        return Ok(());
    }
    Err(ApiError::not_found(
        "instance.not_found",
        format!(
            "The instance {value} was not found in this project: instance ids look like i-0123456789abcdef0."
        ),
    ))
}

/// Instance type names look like `t3.micro` or `m7g.metal-48xl`.
pub fn instance_type(value: &str) -> Result<(), ApiError> {
    let valid = value.split_once('.').is_some_and(|(family, size)| {
        !family.is_empty()
            && !size.is_empty()
            && family
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && size
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    if valid {
        return Ok(());
    }
    Err(invalid(format!(
        "Invalid instance_type {value:?}: expected a name such as t3.micro; GET /v1/instance-types lists them."
    )))
}

/// Checks that `value` is one of the `allowed` values; the error lists them.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    Err(invalid(format!(
        "Invalid {field} {value:?}: use one of {}.",
        allowed.join(", ")
    )))
}

pub fn length(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    if value.chars().any(char::is_control) {
        return Err(invalid(format!(
            "Invalid {field}: it contains control characters (such as a line break or NUL); remove them."
        )));
    }
    let len = value.chars().count();
    if (min..=max).contains(&len) {
        return Ok(());
    }
    Err(invalid(format!(
        "Invalid {field}: it has {len} characters; it must have between {min} and {max}."
    )))
}

pub fn tags(tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if tags.len() > MAX_USER_TAGS {
        return Err(invalid(format!(
            "Invalid tags: {} given, at most {MAX_USER_TAGS} are allowed.",
            tags.len()
        )));
    }
    for (key, value) in tags {
        length("tag key", key, 1, 128)?;
        length(&format!("value of tag {key:?}"), value, 0, 256)?;
        let lowercase = key.to_ascii_lowercase();
        if lowercase.starts_with("aws:") || lowercase.starts_with(TAG_PREFIX) || key == "Name" {
            return Err(invalid(format!(
                "Invalid tag key {key:?}: keys starting with aws: or {TAG_PREFIX} are reserved, and Name is set through the name field."
            )));
        }
    }
    Ok(())
}

// ---- Volumes, snapshots and Elastic IP addresses ------------------------------------------

/// Check an EC2 id in a URL path. One that cannot exist is reported as not found, like any
/// unknown id, with the form ids take.
fn path_id(
    value: &str,
    prefix: &str,
    resource: &str,
    code: &'static str,
    example: &str,
) -> Result<(), ApiError> {
    if is_aws_id(prefix, value) {
        return Ok(());
    }
    Err(ApiError::not_found(
        code,
        format!(
            "The {resource} {value} was not found in this project: {resource} ids look like {example}."
        ),
    ))
}

pub fn volume_id(value: &str) -> Result<(), ApiError> {
    path_id(
        value,
        "vol",
        "volume",
        "volume.not_found",
        "vol-0123456789abcdef0",
    )
}

pub fn snapshot_id(value: &str) -> Result<(), ApiError> {
    path_id(
        value,
        "snap",
        "snapshot",
        "snapshot.not_found",
        "snap-0123456789abcdef0",
    )
}

/// Check the allocation id of an Elastic IP address.
pub fn allocation_id(value: &str) -> Result<(), ApiError> {
    path_id(
        value,
        "eipalloc",
        "address",
        "address.not_found",
        "eipalloc-0123456789abcdef0",
    )
}

/// Check a device name for a data volume: `/dev/sd[f-p]` or `/dev/xvd[f-p]`, the names EC2
/// recommends for EBS data volumes on Linux instances. Root devices such as `/dev/sda1` or
/// `/dev/xvda` are rejected, because a data volume must not take them.
pub fn device_name(field: &str, value: &str) -> Result<(), ApiError> {
    let letter = value
        .strip_prefix("/dev/sd")
        .or_else(|| value.strip_prefix("/dev/xvd"));
    let valid = letter.is_some_and(|rest| {
        rest.len() == 1 && ('f'..='p').contains(&rest.chars().next().unwrap_or(' '))
    });
    if valid {
        return Ok(());
    }
    Err(invalid(format!(
        "Invalid {field} {value:?}: use /dev/sdf to /dev/sdp or /dev/xvdf to /dev/xvdp, the device names EC2 recommends for data volumes."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_ids_take_both_lengths() {
        assert!(is_aws_id("i", "i-12345678"));
        assert!(is_aws_id("i", "i-0123456789abcdef0"));
        assert!(!is_aws_id("i", "i-123"));
        assert!(!is_aws_id("i", "i-0123456789ABCDEF0"));
        assert!(!is_aws_id("sg", "i-12345678"));
    }

    #[test]
    fn instance_types_need_family_and_size() {
        assert!(instance_type("t3.micro").is_ok());
        assert!(instance_type("m7g.metal-48xl").is_ok());
        assert!(instance_type("t3").is_err());
        assert!(instance_type("T3.micro").is_err());
    }

    #[test]
    fn reserved_tag_keys_are_rejected() {
        for key in [
            "aws:foo",
            "AWS:foo",
            "aws-hybrid:project-id",
            "AWS-HYBRID:project-id",
            "Name",
        ] {
            let given = BTreeMap::from([(key.to_owned(), "v".to_owned())]);
            assert!(tags(&given).unwrap_err().detail.contains(key));
        }
    }

    #[test]
    fn one_of_lists_allowed_values() {
        assert!(one_of("state", "available", &["available", "in-use"]).is_ok());

        let error = one_of("state", "gone", &["available", "in-use"]).unwrap_err();

        assert_eq!(error.code, "invalid_parameter");
        assert_eq!(
            error.detail,
            "Invalid state \"gone\": use one of available, in-use."
        );
    }

    #[test]
    fn control_characters_are_rejected() {
        assert!(length("name", "a\u{0}b", 1, 255).is_err());
        assert!(length("name", "a\nb", 1, 255).is_err());
        let given = BTreeMap::from([("team".to_owned(), "a\u{0}b".to_owned())]);
        assert!(tags(&given).is_err());
    }
}
