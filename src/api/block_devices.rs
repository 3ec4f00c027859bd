//! The `block_device_mappings` of a launch request: EBS volumes to create and attach to each
//! new instance, checked before they are sent to EC2.

use serde::Deserialize;

use super::error::ApiError;
use crate::cloud::BlockDeviceSpec;

/// Mappings accepted in one launch; a limit of this service, well above what launches need.
const MAX_MAPPINGS: usize = 24;
const DEFAULT_VOLUME_TYPE: &str = "gp3";

/// Volume types with their size limits in GiB, from the `EbsBlockDevice` documentation of
/// aws-sdk-ec2 1.274. io1 and io2 are left out because they need a provisioned IOPS value,
/// which this request does not take.
const VOLUME_SIZES: [(&str, i32, i32); 5] = [
    ("gp2", 1, 16_384),
    ("gp3", 1, 65_536),
    ("st1", 125, 16_384),
    ("sc1", 125, 16_384),
    ("standard", 1, 1_024),
];

/// One EBS volume of a launch request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BlockDeviceRequest {
    /// Device name on the instance: `/dev/sd[a-z]` or `/dev/xvd[a-z]`, optionally followed by
    /// a partition number from 1 to 15, such as `/dev/sda1`. The image's root device name
    /// resizes the root volume.
    device_name: String,
    /// Size in GiB, within the limits of the volume type.
    volume_size: i32,
    /// gp2, gp3 (the default), st1, sc1 or standard.
    volume_type: Option<String>,
    /// Whether the volume is deleted when the instance terminates; true unless given.
    delete_on_termination: Option<bool>,
    /// Whether the volume is encrypted with the account's default EBS key; false unless given.
    encrypted: Option<bool>,
}

fn invalid(detail: String) -> ApiError {
    ApiError::bad_request("invalid_parameter", detail)
}

/// Check every mapping of a launch request and name the first bad field with its fix.
pub(crate) fn block_device_specs(
    requests: Vec<BlockDeviceRequest>,
) -> Result<Vec<BlockDeviceSpec>, ApiError> {
    if requests.len() > MAX_MAPPINGS {
        return Err(invalid(format!(
            "Invalid block_device_mappings: {} given, at most {MAX_MAPPINGS} are allowed.",
            requests.len()
        )));
    }
    let mut specs: Vec<BlockDeviceSpec> = Vec::with_capacity(requests.len());
    for (index, request) in requests.into_iter().enumerate() {
        let field = |name: &str| format!("block_device_mappings[{index}].{name}");
        if !is_device_name(&request.device_name) {
            return Err(invalid(format!(
                "Invalid {} {:?}: use /dev/sd[a-z] or /dev/xvd[a-z], optionally followed by a partition number from 1 to 15, such as /dev/sdf or /dev/sda1.",
                field("device_name"),
                request.device_name
            )));
        }
        if specs.iter().any(|s| s.device_name == request.device_name) {
            return Err(invalid(format!(
                "Invalid {} {:?}: another mapping of this request uses the same device name; give each volume its own.",
                field("device_name"),
                request.device_name
            )));
        }
        let volume_type = request
            .volume_type
            .unwrap_or_else(|| DEFAULT_VOLUME_TYPE.to_owned());
        let Some(&(_, min, max)) = VOLUME_SIZES.iter().find(|(name, ..)| *name == volume_type)
        else {
            let known: Vec<&str> = VOLUME_SIZES.iter().map(|(name, ..)| *name).collect();
            return Err(invalid(format!(
                "Invalid {} {volume_type:?}: use one of {}; io1 and io2 need a provisioned IOPS value, which a launch here does not take.",
                field("volume_type"),
                known.join(", ")
            )));
        };
        if !(min..=max).contains(&request.volume_size) {
            return Err(invalid(format!(
                "Invalid {} {}: a {volume_type} volume must have between {min} and {max} GiB.",
                field("volume_size"),
                request.volume_size
            )));
        }
        specs.push(BlockDeviceSpec {
            device_name: request.device_name,
            volume_size: request.volume_size,
            volume_type,
            delete_on_termination: request.delete_on_termination.unwrap_or(true),
            encrypted: request.encrypted.unwrap_or(false),
        });
    }
    Ok(specs)
}

/// `/dev/sd[a-z]` or `/dev/xvd[a-z]`, optionally followed by a partition number from 1 to 15.
fn is_device_name(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix("/dev/sd")
        .or_else(|| name.strip_prefix("/dev/xvd"))
    else {
        return false;
    };
    let mut chars = rest.chars();
    let Some(letter) = chars.next() else {
        return false;
    };
    if !letter.is_ascii_lowercase() {
        return false;
    }
    let partition = chars.as_str();
    partition.is_empty()
        || (!partition.starts_with('0')
            && partition.parse::<u8>().is_ok_and(|n| (1..=15).contains(&n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(
        device_name: &str,
        volume_size: i32,
        volume_type: Option<&str>,
    ) -> BlockDeviceRequest {
        BlockDeviceRequest {
            device_name: device_name.into(),
            volume_size,
            volume_type: volume_type.map(str::to_owned),
            delete_on_termination: None,
            encrypted: None,
        }
    }

    #[test]
    fn device_names_follow_linux_conventions() {
        for good in [
            "/dev/sdf",
            "/dev/sda1",
            "/dev/xvda",
            "/dev/xvdb15",
            "/dev/sdz",
        ] {
            assert!(is_device_name(good), "{good}");
        }
        for bad in [
            "/dev/sd",
            "/dev/sdA",
            "/dev/sda0",
            "/dev/sda16",
            "/dev/sda01",
            "sdf",
            "/dev/nvme0n1",
            "/dev/sdf ",
        ] {
            assert!(!is_device_name(bad), "{bad}");
        }
    }

    #[test]
    fn defaults_are_gp3_deleted_unencrypted() {
        let specs = block_device_specs(vec![request("/dev/sdf", 10, None)]).unwrap();

        assert_eq!(specs[0].volume_type, "gp3");
        assert!(specs[0].delete_on_termination);
        assert!(!specs[0].encrypted);
    }

    #[test]
    fn size_limits_depend_on_type() {
        let too_small =
            block_device_specs(vec![request("/dev/sdf", 100, Some("st1"))]).unwrap_err();
        let too_large =
            block_device_specs(vec![request("/dev/sdf", 1025, Some("standard"))]).unwrap_err();
        let zero = block_device_specs(vec![request("/dev/sdf", 0, Some("gp2"))]).unwrap_err();

        assert!(
            too_small
                .detail
                .contains("block_device_mappings[0].volume_size")
        );
        assert!(too_small.detail.contains("between 125 and 16384"));
        assert!(too_large.detail.contains("between 1 and 1024"));
        assert!(zero.detail.contains("volume_size 0"));
    }

    #[test]
    fn unknown_and_iops_types_are_rejected() {
        for volume_type in ["io2", "gp4"] {
            let error =
                block_device_specs(vec![request("/dev/sdf", 10, Some(volume_type))]).unwrap_err();
            assert!(error.detail.contains("volume_type"), "{volume_type}");
        }
    }

    #[test]
    fn duplicate_device_names_are_rejected() {
        let error = block_device_specs(vec![
            request("/dev/sdf", 10, None),
            request("/dev/sdf", 20, None),
        ])
        .unwrap_err();

        assert!(
            error
                .detail
                .contains("block_device_mappings[1].device_name")
        );
    }

    #[test]
    fn too_many_mappings_are_rejected() {
        let many = (0..25).map(|_| request("/dev/sdf", 10, None)).collect();

        assert!(
            block_device_specs(many)
                .unwrap_err()
                .detail
                .contains("at most 24")
        );
    }
}
