//! The tenant mapping file, which assigns AWS credentials and regions to Keystone projects.
//!
//! The file uses the oslo.config INI syntax of [`crate::config::ini`] without `$`
//! interpolation. Each `[project:<id>]` section maps one project, and `[DEFAULT]` gives
//! fallbacks for every field of every project section.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::Path;

use crate::config::ini::{self, IniFile, Section};
use crate::config::options::{is_aws_region, split_list};
use crate::config::suggest;
use crate::secret::Secret;

use super::error::{MappingError, MappingIssue, MappingIssueKind};
use super::guardrails::{Guardrails, is_image_owner, is_instance_type_pattern};

const ACCESS_KEY_ID: &str = "aws_access_key_id";
const SECRET_ACCESS_KEY: &str = "aws_secret_access_key";
const REGION: &str = "region";
const ALLOWED_REGIONS: &str = "allowed_regions";
const ROLE_ARN: &str = "role_arn";
const MAX_INSTANCES: &str = "max_instances";
const MAX_VCPUS: &str = "max_vcpus";
const ALLOWED_INSTANCE_TYPES: &str = "allowed_instance_types";
const ALLOWED_IMAGE_OWNERS: &str = "allowed_image_owners";
pub(super) const FIELDS: [&str; 9] = [
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    ROLE_ARN,
    REGION,
    ALLOWED_REGIONS,
    MAX_INSTANCES,
    MAX_VCPUS,
    ALLOWED_INSTANCE_TYPES,
    ALLOWED_IMAGE_OWNERS,
];

/// Case-insensitive prefix of project section names, as oslo.config folds group names.
const PROJECT_PREFIX: &str = "project:";
/// Maximum length of a project ID in a section name.
const MAX_PROJECT_ID_LEN: usize = 64;

/// Source of a project's AWS credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantCredentials {
    /// Long-lived keys written in the mapping file.
    Keys {
        access_key_id: String,
        secret_access_key: Secret,
    },
    /// An IAM role that the service assumes through STS, with the project ID as external ID
    /// (or as the subject of its own web identity token).
    Role { role_arn: String },
}

/// AWS access for one Keystone project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantEntry {
    /// Keystone project ID, as written in the section name.
    pub project_id: String,
    pub credentials: TenantCredentials,
    /// Region for requests that name none.
    pub region: String,
    /// Regions the project may use. Contains `region`, and only `region` when the
    /// file gives no `allowed_regions`.
    pub allowed_regions: Vec<String>,
    pub guardrails: Guardrails,
}

impl TenantEntry {
    /// Names the AWS identity used for this project, for cache keys and for output: the
    /// access key ID, or the role ARN with the project ID, since each project assumes the
    /// role with its own external ID.
    pub fn account_key(&self) -> String {
        match &self.credentials {
            TenantCredentials::Keys { access_key_id, .. } => access_key_id.clone(),
            TenantCredentials::Role { role_arn } => format!("{role_arn}#{}", self.project_id),
        }
    }
}

/// All tenant entries by Keystone project ID. Several projects may share one access key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantMap {
    entries: BTreeMap<String, TenantEntry>,
}

impl TenantMap {
    /// Reads and validates the mapping file at `path`.
    ///
    /// `default_region` is `[aws] region` from the service configuration. It applies to
    /// projects whose section and `[DEFAULT]` set no region.
    pub fn load(path: &Path, default_region: &str) -> Result<TenantMap, MappingError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| {
            let kind = match error.kind() {
                io::ErrorKind::NotFound => MappingIssueKind::FileNotFound,
                _ => MappingIssueKind::ReadFailed(error.to_string()),
            };
            MappingError(vec![MappingIssue::at(&name, None, kind)])
        })?;
        Self::parse(&text, &name, default_region)
    }

    /// Parses and validates mapping file text, naming `source` in errors. Returns every
    /// problem found.
    pub fn parse(
        text: &str,
        source: &str,
        default_region: &str,
    ) -> Result<TenantMap, MappingError> {
        let file = ini::parse(text, source).map_err(|errors| {
            let issues = errors
                .into_iter()
                .map(|e| MappingIssue::at(source, Some(e.line), MappingIssueKind::Syntax(e.kind)))
                .collect();
            MappingError(issues)
        })?;
        let mut validator = Validator::new(&file, default_region);
        let entries = validator.validate();
        if validator.issues.is_empty() {
            Ok(TenantMap { entries })
        } else {
            Err(MappingError(validator.issues))
        }
    }

    /// Returns the entry of a Keystone project. IDs compare exactly, case included.
    pub fn get(&self, project_id: &str) -> Option<&TenantEntry> {
        self.entries.get(project_id)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns whether any project is mapped to a role rather than keys.
    pub fn has_roles(&self) -> bool {
        self.entries
            .values()
            .any(|entry| matches!(entry.credentials, TenantCredentials::Role { .. }))
    }

    /// Returns the mapped project IDs in sorted order.
    pub fn project_ids(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

/// Returns the project ID of a `[project:<id>]` section name, if the name is valid.
fn project_id(section_name: &str) -> Option<&str> {
    let prefix = section_name.get(..PROJECT_PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(PROJECT_PREFIX) {
        return None;
    }
    let id = &section_name[PROJECT_PREFIX.len()..];
    let valid_chars = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let valid = !id.is_empty() && id.len() <= MAX_PROJECT_ID_LEN && valid_chars;
    valid.then_some(id)
}

/// Returns whether `id` has the form of an AWS access key ID: 16 to 128 upper-case
/// ASCII letters and digits.
fn is_access_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Returns whether `arn` names an IAM role: `arn:<partition>:iam::<12 digits>:role/<path and
/// name>`, with the characters IAM allows in role paths and names.
pub fn is_role_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let Some(name) = resource.strip_prefix("role/") else {
        return false;
    };
    partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name.len() <= 512
        && !name.ends_with('/')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
}

/// Checks a parsed file and collects its issues.
struct Validator<'f> {
    file: &'f IniFile,
    default_region: &'f str,
    /// Lines of entries that failed a format check, so later checks skip them.
    invalid_lines: HashSet<usize>,
    default_region_reported: bool,
    issues: Vec<MappingIssue>,
}

impl<'f> Validator<'f> {
    fn new(file: &'f IniFile, default_region: &'f str) -> Self {
        Self {
            file,
            default_region,
            invalid_lines: HashSet::new(),
            default_region_reported: false,
            issues: Vec::new(),
        }
    }

    fn validate(&mut self) -> BTreeMap<String, TenantEntry> {
        let file = self.file;
        let mut projects: Vec<(&str, &Section)> = Vec::new();
        let mut first_lines: HashMap<&str, usize> = HashMap::new();
        let mut section_errors = false;

        for section in &file.sections {
            if section.is_default() {
                self.check_fields(section);
                continue;
            }
            let Some(id) = project_id(&section.name) else {
                self.issue(
                    section,
                    None,
                    section.line,
                    MappingIssueKind::InvalidSection,
                );
                section_errors = true;
                continue;
            };
            if let Some(&first_line) = first_lines.get(id) {
                let kind = MappingIssueKind::DuplicateProject { first_line };
                self.issue(section, None, section.line, kind);
                section_errors = true;
                continue;
            }
            first_lines.insert(id, section.line);
            self.check_fields(section);
            projects.push((id, section));
        }

        if projects.is_empty() && !section_errors {
            let kind = MappingIssueKind::NoProjects;
            self.issues.push(MappingIssue::at(&file.path, None, kind));
        }
        projects
            .into_iter()
            .filter_map(|(id, section)| self.build_entry(id, section))
            .map(|entry| (entry.project_id.clone(), entry))
            .collect()
    }

    /// Reports unknown fields, and format errors in the effective value of each known field.
    fn check_fields(&mut self, section: &Section) {
        for entry in &section.entries {
            if !FIELDS.contains(&entry.key.as_str()) {
                let suggestion = suggest::closest(&entry.key, FIELDS).map(str::to_string);
                let kind = MappingIssueKind::UnknownField { suggestion };
                self.issue(section, Some(&entry.key), entry.line, kind);
            }
        }
        for field in FIELDS {
            let Some(entry) = section.last(field) else {
                continue;
            };
            if let Some(kind) = check_value(field, &entry.value) {
                self.invalid_lines.insert(entry.line);
                self.issue(section, Some(field), entry.line, kind);
            }
        }
    }

    /// Builds the entry of one project from its section and `[DEFAULT]`. Returns `None`
    /// after reporting a missing field or a region outside `allowed_regions`, and also
    /// when a field that it needs failed its format check.
    fn build_entry(&mut self, id: &str, section: &Section) -> Option<TenantEntry> {
        let credentials = self.credentials(section);
        let guardrails = self.guardrails(section);
        let region_entry = self.file.value_with_default(section, REGION);
        let allowed_entry = self.file.value_with_default(section, ALLOWED_REGIONS);
        if [region_entry, allowed_entry]
            .iter()
            .flatten()
            .any(|entry| self.invalid_lines.contains(&entry.line))
        {
            return None;
        }

        let region = match region_entry {
            Some(entry) => entry.value.clone(),
            None => self.default_region(section)?,
        };
        let mut allowed_regions = allowed_entry
            .map(|entry| split_list(&entry.value))
            .unwrap_or_default();
        if allowed_regions.is_empty() {
            allowed_regions.push(region.clone());
        } else if !allowed_regions.contains(&region) {
            let (field, line) = match (region_entry, allowed_entry) {
                (Some(entry), _) => (REGION, entry.line),
                (None, Some(entry)) => (ALLOWED_REGIONS, entry.line),
                (None, None) => (REGION, section.line),
            };
            let kind = MappingIssueKind::RegionNotAllowed {
                region,
                allowed: allowed_regions,
            };
            self.issue(section, Some(field), line, kind);
            return None;
        }

        Some(TenantEntry {
            project_id: id.to_string(),
            credentials: credentials?,
            region,
            allowed_regions,
            guardrails: guardrails?,
        })
    }

    /// Returns the keys or the role of a project. A section gives either both keys or a
    /// role ARN; giving both is reported, since the service would not know which to use.
    fn credentials(&mut self, section: &Section) -> Option<TenantCredentials> {
        let role = self.file.value_with_default(section, ROLE_ARN);
        let Some(role) = role else {
            let access_key_id = self.required(section, ACCESS_KEY_ID);
            let secret_access_key = self.required(section, SECRET_ACCESS_KEY);
            return Some(TenantCredentials::Keys {
                access_key_id: access_key_id?,
                secret_access_key: Secret::new(secret_access_key?),
            });
        };
        let key = [ACCESS_KEY_ID, SECRET_ACCESS_KEY]
            .into_iter()
            .find_map(|field| {
                self.file
                    .value_with_default(section, field)
                    .map(|e| (field, e))
            });
        if let Some((field, entry)) = key {
            let kind = MappingIssueKind::KeysAndRole;
            self.issue(section, Some(field), entry.line, kind);
            return None;
        }
        if self.invalid_lines.contains(&role.line) {
            return None;
        }
        Some(TenantCredentials::Role {
            role_arn: role.value.clone(),
        })
    }

    /// Returns the project's guardrails. Values that failed their format check were
    /// reported already and make the entry invalid.
    fn guardrails(&mut self, section: &Section) -> Option<Guardrails> {
        let mut invalid = false;
        let mut value = |field: &str| {
            let entry = self.file.value_with_default(section, field)?;
            invalid |= self.invalid_lines.contains(&entry.line);
            Some(entry.value.clone())
        };
        let number = |text: Option<String>| text.and_then(|t| t.parse::<u32>().ok());
        let guardrails = Guardrails {
            max_instances: number(value(MAX_INSTANCES)),
            max_vcpus: number(value(MAX_VCPUS)),
            allowed_instance_types: value(ALLOWED_INSTANCE_TYPES)
                .map(|list| split_list(&list))
                .unwrap_or_default(),
            allowed_image_owners: value(ALLOWED_IMAGE_OWNERS)
                .map(|list| split_list(&list))
                .unwrap_or_default(),
        };
        (!invalid).then_some(guardrails)
    }

    /// Returns the effective value of a required field, reporting it when missing.
    /// Returns `None` without a report when the value failed its format check.
    fn required(&mut self, section: &Section, field: &str) -> Option<String> {
        match self.file.value_with_default(section, field) {
            None => {
                self.issue(
                    section,
                    Some(field),
                    section.line,
                    MappingIssueKind::MissingField,
                );
                None
            }
            Some(entry) if self.invalid_lines.contains(&entry.line) => None,
            Some(entry) => Some(entry.value.clone()),
        }
    }

    /// Returns the service's default region, reporting it once if it is invalid.
    fn default_region(&mut self, section: &Section) -> Option<String> {
        if is_aws_region(self.default_region) {
            return Some(self.default_region.to_string());
        }
        if !self.default_region_reported {
            self.default_region_reported = true;
            let kind = MappingIssueKind::InvalidDefaultRegion {
                value: self.default_region.to_string(),
            };
            self.issue(section, Some(REGION), section.line, kind);
        }
        None
    }

    fn issue(
        &mut self,
        section: &Section,
        field: Option<&str>,
        line: usize,
        kind: MappingIssueKind,
    ) {
        self.issues.push(MappingIssue {
            path: self.file.path.clone(),
            line: Some(line),
            section: Some(section.name.clone()),
            field: field.map(str::to_string),
            kind,
        });
    }
}

/// Checks the format of one field value. Secret values are only checked for emptiness.
fn check_value(field: &str, value: &str) -> Option<MappingIssueKind> {
    let invalid_region = |region: &str| MappingIssueKind::InvalidRegion {
        value: region.to_string(),
    };
    match field {
        ACCESS_KEY_ID if !is_access_key_id(value) => Some(MappingIssueKind::InvalidAccessKeyId {
            value: value.to_string(),
        }),
        SECRET_ACCESS_KEY if value.is_empty() => Some(MappingIssueKind::EmptyField),
        REGION if !is_aws_region(value) => Some(invalid_region(value)),
        ALLOWED_REGIONS => split_list(value)
            .into_iter()
            .find(|region| !is_aws_region(region))
            .map(|region: String| invalid_region(&region)),
        ROLE_ARN if !is_role_arn(value) => Some(MappingIssueKind::InvalidRoleArn {
            value: value.to_string(),
        }),
        MAX_INSTANCES | MAX_VCPUS if value.parse::<u32>().is_err() => {
            Some(MappingIssueKind::InvalidCount {
                value: value.to_string(),
            })
        }
        ALLOWED_INSTANCE_TYPES => split_list(value)
            .into_iter()
            .find(|pattern| !is_instance_type_pattern(pattern))
            .map(|value| MappingIssueKind::InvalidInstanceTypePattern { value }),
        ALLOWED_IMAGE_OWNERS => split_list(value)
            .into_iter()
            .find(|owner| !is_image_owner(owner))
            .map(|value| MappingIssueKind::InvalidImageOwner { value }),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
