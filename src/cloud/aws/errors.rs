//! Translation of AWS SDK errors into [`CloudError`], by EC2 error code.

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::cloud::CloudError;

/// Classify a failed SDK call. `action` is the EC2 action name, e.g. `DescribeInstances`.
pub(super) fn from_sdk<E>(action: &str, error: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let unavailable = |message: &str| CloudError::Unavailable {
        action: action.to_owned(),
        message: message.to_owned(),
    };
    match &error {
        SdkError::ServiceError(_) => {}
        SdkError::TimeoutError(_) => {
            return unavailable("the AWS endpoint did not respond in time");
        }
        SdkError::DispatchFailure(_) => {
            return unavailable("the AWS endpoint could not be reached");
        }
        SdkError::ResponseError(_) => {
            return unavailable("the AWS endpoint sent an unreadable response");
        }
        _ => {
            tracing::error!(action, error = %aws_sdk_ec2::error::DisplayErrorContext(&error), "AWS request could not be built");
            return CloudError::Internal(format!("{action} could not be sent"));
        }
    }
    let code = error.code().unwrap_or_default().to_owned();
    let message = error.message().unwrap_or_default().to_owned();
    let status = match &error {
        SdkError::ServiceError(context) => context.raw().status().as_u16(),
        _ => 0,
    };
    tracing::info!(action, code = %code, status, message = %message, "AWS returned an error");
    classify(action, &code, &message, status)
}

/// Reads the result of a Describe call by id with `pick`. A NotFound error, such as
/// `InvalidVolume.NotFound`, becomes `Ok(None)`. Any other error is classified and returned.
pub(super) fn none_if_not_found<O, E, T>(
    action: &str,
    result: Result<O, SdkError<E, HttpResponse>>,
    pick: impl FnOnce(O) -> Option<T>,
) -> Result<Option<T>, CloudError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(output) => Ok(pick(output)),
        Err(error) => match from_sdk(action, error) {
            CloudError::NotFound { .. } => Ok(None),
            other => Err(other),
        },
    }
}

/// Map an EC2 error code (and HTTP status for unknown codes) to a [`CloudError`].
pub(super) fn classify(action: &str, code: &str, message: &str, status: u16) -> CloudError {
    let action = action.to_owned();
    let message = message.to_owned();
    match code {
        // No error code at all: the response could not be read, which is not the client's fault.
        "" => CloudError::Unavailable {
            action,
            message: format!("the AWS endpoint sent a response that could not be read (HTTP {status})"),
        },
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException" | "EC2ThrottledException" => {
            CloudError::Throttled { action }
        }
        // A client token reused with other parameters; the service derives client tokens from
        // the Idempotency-Key header, so the key is what the client must change.
        "IdempotentParameterMismatch" => CloudError::InvalidParameter {
            field: "Idempotency-Key".into(),
            message: "the key was already used for a request with other parameters; send a new key for a new request".into(),
        },
        "IncorrectInstanceState" | "IncorrectState" => CloudError::InvalidState {
            id: String::new(),
            state: String::new(),
            action: "act on",
        },
        // The AWS text can carry an encoded authorization failure message that describes the
        // account's IAM policies, so only the code reaches the client.
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" | "OptInRequired" | "Blocked" => {
            CloudError::Forbidden {
                action,
                message: format!(
                    "{code}; ask the cloud administrator to grant this action to the project's AWS credentials"
                ),
            }
        }
        _ if code.ends_with("LimitExceeded") => CloudError::QuotaExceeded { action, message },
        "AuthFailure" | "InvalidClientTokenId" | "SignatureDoesNotMatch" | "UnrecognizedClientException" => {
            CloudError::Forbidden {
                action,
                message: "AWS rejected the credentials mapped to this project; ask the cloud administrator to check the tenant mapping".into(),
            }
        }
        // A name or rule that is taken, such as InvalidKeyPair.Duplicate or
        // InvalidPermission.Duplicate, and a resource that others still use.
        _ if code.ends_with(".Duplicate") => CloudError::Conflict {
            resource: resource_of(code),
            reason: "exists",
            message,
        },
        // A volume attached to an instance, a snapshot an image uses, an associated address.
        "VolumeInUse" | "InvalidSnapshot.InUse" | "InvalidIPAddress.InUse" | "Resource.AlreadyAssociated" => {
            CloudError::Conflict {
                resource: resource_of(code),
                reason: "in_use",
                message,
            }
        }
        "DependencyViolation" | "InvalidGroup.InUse" => CloudError::Conflict {
            resource: resource_of(code),
            reason: "in_use",
            message,
        },
        _ if code.ends_with(".NotFound") => CloudError::NotFound {
            resource: resource_of(code),
            id: String::new(),
        },
        _ if code.starts_with("Invalid") || code.starts_with("Missing") || code == "Unsupported" => {
            CloudError::InvalidParameter {
                field: field_of(code).to_owned(),
                message: if message.is_empty() { code.to_owned() } else { message },
            }
        }
        "InternalError" | "Unavailable" | "ServiceUnavailable" | "InsufficientInstanceCapacity" => {
            CloudError::Unavailable { action, message }
        }
        _ if status >= 500 => CloudError::Unavailable { action, message },
        _ => CloudError::InvalidParameter {
            field: "request".into(),
            message: format!("{code}: {message}"),
        },
    }
}

fn resource_of(code: &str) -> &'static str {
    match code.split('.').next().unwrap_or_default() {
        "InvalidInstanceID" => "instance",
        "InvalidAMIID" => "image",
        "InvalidKeyPair" => "key pair",
        "InvalidGroup" => "security group",
        "InvalidPermission" | "InvalidSecurityGroupRuleId" => "security group rule",
        "InvalidSubnetID" => "subnet",
        "InvalidVpcID" => "vpc",
        "InvalidVolume" | "VolumeInUse" => "volume",
        "InvalidSnapshot" => "snapshot",
        "InvalidAllocationID"
        | "InvalidAddress"
        | "InvalidAssociationID"
        | "InvalidIPAddress"
        | "Resource" => "address",
        "InvalidNetworkInterfaceID" => "network interface",
        _ => "resource",
    }
}

/// Return the API field an EC2 validation error most likely refers to.
fn field_of(code: &str) -> &'static str {
    match code.split('.').next().unwrap_or_default() {
        "InvalidInstanceID" => "instance_id",
        "InvalidAMIID" => "image_id",
        "InvalidKeyPair" => "key_name",
        "InvalidGroup" | "InvalidGroupId" => "security_group_ids",
        "InvalidSubnetID" => "subnet_id",
        "InvalidInstanceType" => "instance_type",
        "InvalidAvailabilityZone" => "availability_zone",
        "InvalidUserData" => "user_data",
        "InvalidVolume" => "volume_id",
        "InvalidSnapshot" => "snapshot_id",
        "InvalidNetworkInterfaceID" => "network_interface_id",
        _ => "request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_are_throttled() {
        for code in ["RequestLimitExceeded", "Throttling"] {
            assert!(matches!(
                classify("DescribeInstances", code, "", 503),
                CloudError::Throttled { .. }
            ));
        }
    }

    #[test]
    fn not_found_names_the_resource() {
        let error = classify(
            "DescribeInstances",
            "InvalidInstanceID.NotFound",
            "gone",
            400,
        );
        assert!(matches!(
            error,
            CloudError::NotFound {
                resource: "instance",
                ..
            }
        ));
    }

    #[test]
    fn unauthorized_operation_is_forbidden_with_action() {
        let error = classify(
            "RunInstances",
            "UnauthorizedOperation",
            "You are not authorized",
            403,
        );
        match error {
            CloudError::Forbidden { action, .. } => assert_eq!(action, "RunInstances"),
            other => panic!("expected Forbidden, got {other:?}"),
        }
    }

    #[test]
    fn malformed_ami_names_image_field() {
        let error = classify("RunInstances", "InvalidAMIID.Malformed", "bad", 400);
        match error {
            CloudError::InvalidParameter { field, .. } => assert_eq!(field, "image_id"),
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    #[test]
    fn unreadable_response_is_unavailable() {
        assert!(matches!(
            classify("RunInstances", "", "", 200),
            CloudError::Unavailable { .. }
        ));
    }

    #[test]
    fn account_limits_are_quota_errors() {
        let error = classify(
            "RunInstances",
            "InstanceLimitExceeded",
            "Your quota allows for 0 more",
            400,
        );
        assert!(matches!(error, CloudError::QuotaExceeded { .. }));
    }

    #[test]
    fn storage_and_address_codes_name_the_resource() {
        let cases = [
            ("VolumeInUse", "volume"),
            ("InvalidSnapshot.InUse", "snapshot"),
            ("InvalidIPAddress.InUse", "address"),
            ("Resource.AlreadyAssociated", "address"),
        ];
        for (code, expected) in cases {
            match classify("DeleteVolume", code, "in use", 400) {
                CloudError::Conflict {
                    resource, reason, ..
                } => {
                    assert_eq!(resource, expected, "{code}");
                    assert_eq!(reason, "in_use", "{code}");
                }
                other => panic!("{code}: expected Conflict, got {other:?}"),
            }
        }
        for (code, expected) in [
            ("InvalidVolume.NotFound", "volume"),
            ("InvalidSnapshot.NotFound", "snapshot"),
            ("InvalidAllocationID.NotFound", "address"),
            ("InvalidNetworkInterfaceID.NotFound", "network interface"),
        ] {
            match classify("DescribeVolumes", code, "", 400) {
                CloudError::NotFound { resource, .. } => assert_eq!(resource, expected, "{code}"),
                other => panic!("{code}: expected NotFound, got {other:?}"),
            }
        }
    }

    #[test]
    fn idempotent_parameter_mismatch_names_the_key() {
        let error = classify(
            "RunInstances",
            "IdempotentParameterMismatch",
            "Arguments on this idempotent request are inconsistent",
            400,
        );
        match error {
            CloudError::InvalidParameter { field, .. } => assert_eq!(field, "Idempotency-Key"),
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    #[test]
    fn unknown_server_error_is_unavailable() {
        let error = classify("DescribeInstances", "Mystery", "boom", 502);
        assert!(matches!(error, CloudError::Unavailable { .. }));
    }

    #[test]
    fn duplicates_and_dependencies_are_conflicts() {
        let cases = [
            ("InvalidKeyPair.Duplicate", "key pair", "exists"),
            ("InvalidGroup.Duplicate", "security group", "exists"),
            (
                "InvalidPermission.Duplicate",
                "security group rule",
                "exists",
            ),
            ("DependencyViolation", "resource", "in_use"),
        ];
        for (code, expected_resource, expected_reason) in cases {
            match classify("Action", code, "taken", 400) {
                CloudError::Conflict {
                    resource, reason, ..
                } => {
                    assert_eq!(resource, expected_resource, "{code}");
                    assert_eq!(reason, expected_reason, "{code}");
                }
                other => panic!("{code}: expected Conflict, got {other:?}"),
            }
        }
    }
}
