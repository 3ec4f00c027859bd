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
        "InvalidSubnetID" => "subnet",
        "InvalidVpcID" => "vpc",
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
    fn unknown_server_error_is_unavailable() {
        let error = classify("DescribeInstances", "Mystery", "boom", 502);
        assert!(matches!(error, CloudError::Unavailable { .. }));
    }
}
