//! Per-project limits from the mapping file, checked before the service calls AWS to launch or
//! start instances. They cap what one project may use of an AWS account that several projects
//! can share, below whatever AWS itself allows.

/// Limits of one project. An unset or empty field means no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guardrails {
    /// Instances that may be pending, running or stopping at once.
    pub max_instances: Option<u32>,
    /// vCPUs of those instances together, by the instance types' default vCPU counts.
    pub max_vcpus: Option<u32>,
    /// Patterns with `*` and `?` wildcards; an instance type must match one.
    pub allowed_instance_types: Vec<String>,
    /// Account IDs or the aliases `self`, `amazon` and `aws-marketplace`; an image must be
    /// owned by one of them.
    pub allowed_image_owners: Vec<String>,
}

/// Usage of a project, counted over its instances that are not stopped or terminated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub instances: u32,
    pub vcpus: u32,
}

/// Demand that a launch or start would add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Demand<'a> {
    pub instances: u32,
    pub instance_type: &'a str,
    /// Default vCPUs of `instance_type`.
    pub vcpus_per_instance: u32,
}

/// A limit a request would exceed: what was asked, what is allowed and what is used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error(
        "instance type {requested} is not allowed for this project; allowed types: {}",
        .allowed.join(", ")
    )]
    InstanceType {
        requested: String,
        allowed: Vec<String>,
    },
    #[error(
        "image {image_id} is not owned by an owner allowed for this project; allowed owners: {}",
        .allowed.join(", ")
    )]
    ImageOwner {
        image_id: String,
        allowed: Vec<String>,
    },
    #[error(
        "{requested} more instance(s) would make {} active, above this project's limit of {limit}; {used} are active now",
        .used + .requested
    )]
    Instances {
        requested: u32,
        limit: u32,
        used: u32,
    },
    #[error(
        "{requested} more vCPU(s) would make {} in use, above this project's limit of {limit}; {used} are in use now",
        .used + .requested
    )]
    Vcpus {
        requested: u32,
        limit: u32,
        used: u32,
    },
}

impl Violation {
    /// Error code for the API response, one per limit.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::InstanceType { .. } => "guardrail.instance_type",
            Violation::ImageOwner { .. } => "guardrail.image_owner",
            Violation::Instances { .. } => "guardrail.max_instances",
            Violation::Vcpus { .. } => "guardrail.max_vcpus",
        }
    }
}

impl Guardrails {
    /// Returns whether an instance or vCPU limit is set, so callers can skip counting usage.
    pub fn limits_capacity(&self) -> bool {
        self.max_instances.is_some() || self.max_vcpus.is_some()
    }

    pub fn check_instance_type(&self, instance_type: &str) -> Result<(), Violation> {
        let allowed = &self.allowed_instance_types;
        if allowed.is_empty() || allowed.iter().any(|p| wildcard_match(p, instance_type)) {
            return Ok(());
        }
        Err(Violation::InstanceType {
            requested: instance_type.to_owned(),
            allowed: allowed.clone(),
        })
    }

    /// Checks the instance and vCPU limits for `demand` on top of `usage`.
    pub fn check_capacity(&self, demand: Demand<'_>, usage: Usage) -> Result<(), Violation> {
        if let Some(limit) = self.max_instances
            && usage.instances.saturating_add(demand.instances) > limit
        {
            return Err(Violation::Instances {
                requested: demand.instances,
                limit,
                used: usage.instances,
            });
        }
        let vcpus = demand.instances.saturating_mul(demand.vcpus_per_instance);
        if let Some(limit) = self.max_vcpus
            && usage.vcpus.saturating_add(vcpus) > limit
        {
            return Err(Violation::Vcpus {
                requested: vcpus,
                limit,
                used: usage.vcpus,
            });
        }
        Ok(())
    }
}

/// Returns whether `text` matches `pattern`, where `*` matches any run of characters and `?`
/// matches one.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    // Position after the last `*` seen, and the text position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((after_star, tried)) => {
                    p = after_star;
                    t = tried + 1;
                    star = Some((after_star, tried + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Returns whether `pattern` is a valid `allowed_instance_types` item.
pub fn is_instance_type_pattern(pattern: &str) -> bool {
    !pattern.is_empty()
        && pattern.len() <= 64
        && pattern
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-*?".contains(&b))
}

/// Returns whether `owner` is a valid `allowed_image_owners` item.
pub fn is_image_owner(owner: &str) -> bool {
    matches!(owner, "self" | "amazon" | "aws-marketplace")
        || (owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(instances: Option<u32>, vcpus: Option<u32>) -> Guardrails {
        Guardrails {
            max_instances: instances,
            max_vcpus: vcpus,
            ..Guardrails::default()
        }
    }

    fn demand(instances: u32, vcpus_per_instance: u32) -> Demand<'static> {
        Demand {
            instances,
            instance_type: "t3.micro",
            vcpus_per_instance,
        }
    }

    #[test]
    fn wildcards_match_like_shell_globs() {
        let cases = [
            ("t3.*", "t3.micro", true),
            ("t3.*", "t3a.micro", false),
            ("t3?.*", "t3a.micro", true),
            ("*.large", "m5.large", true),
            ("*.large", "m5.xlarge", false),
            ("m5.large", "m5.large", true),
            ("m5.large", "m5.large2", false),
            ("*", "anything", true),
            ("t*.*o", "t3.micro", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYc.", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                wildcard_match(pattern, text),
                expected,
                "{pattern} vs {text}"
            );
        }
    }

    #[test]
    fn empty_type_list_allows_every_type() {
        assert_eq!(
            Guardrails::default().check_instance_type("x1e.32xlarge"),
            Ok(())
        );
    }

    #[test]
    fn unlisted_type_names_the_allowed_patterns() {
        let rails = Guardrails {
            allowed_instance_types: vec!["t3.*".into(), "m5.large".into()],
            ..Guardrails::default()
        };

        let error = rails.check_instance_type("m5.xlarge").unwrap_err();

        assert_eq!(error.code(), "guardrail.instance_type");
        assert_eq!(
            error.to_string(),
            "instance type m5.xlarge is not allowed for this project; allowed types: t3.*, m5.large"
        );
        assert_eq!(rails.check_instance_type("t3.nano"), Ok(()));
    }

    #[test]
    fn instance_limit_counts_the_request_and_the_usage() {
        let rails = limits(Some(3), None);
        let usage = Usage {
            instances: 2,
            vcpus: 4,
        };

        assert_eq!(rails.check_capacity(demand(1, 2), usage), Ok(()));
        let error = rails.check_capacity(demand(2, 2), usage).unwrap_err();
        assert_eq!(
            error,
            Violation::Instances {
                requested: 2,
                limit: 3,
                used: 2
            }
        );
        assert_eq!(
            error.to_string(),
            "2 more instance(s) would make 4 active, above this project's limit of 3; 2 are active now"
        );
    }

    #[test]
    fn vcpu_limit_multiplies_by_count() {
        let rails = limits(None, Some(8));
        let usage = Usage {
            instances: 1,
            vcpus: 2,
        };

        assert_eq!(rails.check_capacity(demand(3, 2), usage), Ok(()));
        assert_eq!(
            rails.check_capacity(demand(2, 4), usage),
            Err(Violation::Vcpus {
                requested: 8,
                limit: 8,
                used: 2
            })
        );
    }

    #[test]
    fn zero_limit_refuses_everything() {
        let rails = limits(Some(0), None);

        assert!(
            rails
                .check_capacity(demand(1, 1), Usage::default())
                .is_err()
        );
    }

    #[test]
    fn no_limits_means_no_capacity_check() {
        assert!(!Guardrails::default().limits_capacity());
        assert!(limits(None, Some(1)).limits_capacity());
    }

    #[test]
    fn owner_and_pattern_formats() {
        assert!(is_image_owner("self"));
        assert!(is_image_owner("123456789012"));
        assert!(!is_image_owner("12345678901"));
        assert!(!is_image_owner("Amazon"));
        assert!(is_instance_type_pattern("t3.*"));
        assert!(!is_instance_type_pattern("T3.micro"));
        assert!(!is_instance_type_pattern("t3 micro"));
    }
}
