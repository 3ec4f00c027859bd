//! Service configuration in oslo.config format.
//!
//! [`Config::load`] reads the files given with `--config-file`, then the `*.conf` files
//! of `--config-dir` in sorted order, then `OS_<GROUP>__<OPTION>` environment
//! variables. Later sources win. It expands `$` references, checks every value against
//! [`options::OPTIONS`] and reports all problems at once. Unknown sections and options
//! are errors, unlike in oslo.config, which ignores them.

mod error;
pub mod ini;
mod interpolate;
mod kinds;
pub mod options;
mod resolve;
pub mod sample;
mod sources;
pub(crate) mod suggest;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::secret::Secret;

pub use error::{ConfigError, ConfigIssue, IssueKind, Location};
pub use options::{GROUPS, GroupDef, OPTIONS, OptDef, OptKind, OptValue};
use resolve::Values;

/// Configuration file that [`default_config_files`] returns when it exists.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/aws-hybrid/aws-hybrid.conf";

/// Configuration directory that [`default_config_dir`] returns when it exists.
pub const DEFAULT_CONFIG_DIR: &str = "/etc/aws-hybrid/aws-hybrid.conf.d";

/// The complete, checked service configuration. Field names match option names.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub default: DefaultOpts,
    pub api: ApiOpts,
    pub keystone_authtoken: KeystoneAuthtokenOpts,
    pub aws: AwsOpts,
    pub tenancy: TenancyOpts,
    pub oslo_policy: PolicyOpts,
    pub sts: StsOpts,
    pub oidc: OidcOpts,
}

/// Options of `[DEFAULT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultOpts {
    pub debug: bool,
    /// `None` means log to standard error.
    pub log_file: Option<PathBuf>,
    pub use_json: bool,
    pub state_path: PathBuf,
    pub cloud_driver: String,
}

/// Options of `[api]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiOpts {
    pub bind_host: IpAddr,
    pub bind_port: u16,
    /// `None` means links use the Host header of the request.
    pub public_endpoint: Option<String>,
    /// Bytes.
    pub max_header_size: usize,
    /// Seconds.
    pub graceful_shutdown_timeout: u64,
    pub max_limit: usize,
}

/// Options of `[keystone_authtoken]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystoneAuthtokenOpts {
    pub www_authenticate_uri: String,
    pub auth_url: String,
    pub auth_type: String,
    pub username: String,
    pub password: Secret,
    pub project_name: String,
    pub user_domain_name: String,
    pub project_domain_name: String,
    pub interface: String,
    pub region_name: Option<String>,
    /// Seconds. -1 disables the token cache.
    pub token_cache_time: i64,
    pub service_token_roles: Vec<String>,
    pub service_token_roles_required: bool,
    /// Empty when unset.
    pub memcached_servers: Vec<String>,
    /// Seconds.
    pub http_connect_timeout: Option<u64>,
    pub http_request_max_retries: u32,
    pub service_type: String,
}

/// Options of `[aws]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsOpts {
    pub region: String,
    pub endpoint_url: Option<String>,
    pub max_attempts: u32,
    pub retry_initial_backoff_ms: u64,
    pub retry_max_backoff_ms: u64,
    /// Seconds.
    pub operation_timeout: u64,
    /// `required` or `optional`: the HttpTokens metadata option every launch sends.
    pub instance_metadata_tokens: String,
    pub instance_metadata_hop_limit: i32,
}

/// Options of `[oslo_policy]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyOpts {
    pub policy_file: PathBuf,
    pub policy_dirs: Vec<PathBuf>,
}

impl PolicyOpts {
    /// Makes relative paths start at `base`, the directory of the configuration, as
    /// oslo.config finds policy files beside the configuration files.
    fn resolve_relative_to(&mut self, base: &Path) {
        let resolve = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        };
        resolve(&mut self.policy_file);
        self.policy_dirs.iter_mut().for_each(resolve);
    }
}

/// Source of the credentials that assume roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    Keys,
    SharedCredentialsFile,
    WebIdentity,
}

/// Options of `[sts]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsOpts {
    pub credential_source: CredentialSource,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    pub shared_credentials_file: PathBuf,
    pub profile: String,
    /// Seconds.
    pub session_duration: u32,
    pub endpoint_url: Option<String>,
}

/// Options of `[oidc]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcOpts {
    pub signing_key_file: Option<PathBuf>,
    pub signing_algorithm: String,
    pub issuer: Option<String>,
    pub audience: String,
    /// Seconds.
    pub token_lifetime: u64,
}

/// Options of `[tenancy]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenancyOpts {
    pub mapping_file: PathBuf,
}

impl Config {
    /// Loads and checks the configuration.
    ///
    /// `config_files` are read in order, then the `*.conf` files of `config_dir` sorted
    /// by name, then the `OS_<GROUP>__<OPTION>` variables of `env`, usually
    /// `std::env::vars()`. Returns every problem found, each with file, line, section
    /// and option where known.
    pub fn load(
        config_files: &[PathBuf],
        config_dir: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let hint = config_files
            .first()
            .map(|path| path.display().to_string())
            .unwrap_or_else(|| DEFAULT_CONFIG_FILE.to_string());
        let values = resolve::load_values(OPTIONS, config_files, config_dir, env, &hint)?;
        let mut config = Self::from_values(&values);
        config.check_consistency(&values)?;
        let base = config_files
            .first()
            .and_then(|file| file.parent())
            .or(config_dir);
        if let Some(base) = base {
            config.oslo_policy.resolve_relative_to(base);
        }
        Ok(config)
    }

    fn from_values(values: &Values<'_>) -> Config {
        let path = |group, name| PathBuf::from(values.string(group, name));
        let opt_path = |group, name| values.opt_string(group, name).map(PathBuf::from);
        let default = "DEFAULT";
        let api = "api";
        let keystone = "keystone_authtoken";
        let aws = "aws";
        Config {
            default: DefaultOpts {
                debug: values.bool(default, "debug"),
                log_file: opt_path(default, "log_file"),
                use_json: values.bool(default, "use_json"),
                state_path: path(default, "state_path"),
                cloud_driver: values.string(default, "cloud_driver"),
            },
            api: ApiOpts {
                bind_host: values.ip(api, "bind_host"),
                bind_port: values.int(api, "bind_port"),
                public_endpoint: values.opt_string(api, "public_endpoint"),
                max_header_size: values.int(api, "max_header_size"),
                graceful_shutdown_timeout: values.int(api, "graceful_shutdown_timeout"),
                max_limit: values.int(api, "max_limit"),
            },
            keystone_authtoken: KeystoneAuthtokenOpts {
                www_authenticate_uri: values.string(keystone, "www_authenticate_uri"),
                auth_url: values.string(keystone, "auth_url"),
                auth_type: values.string(keystone, "auth_type"),
                username: values.string(keystone, "username"),
                password: Secret::new(values.string(keystone, "password")),
                project_name: values.string(keystone, "project_name"),
                user_domain_name: values.string(keystone, "user_domain_name"),
                project_domain_name: values.string(keystone, "project_domain_name"),
                interface: values.string(keystone, "interface"),
                region_name: values.opt_string(keystone, "region_name"),
                token_cache_time: values.int(keystone, "token_cache_time"),
                service_token_roles: values.list(keystone, "service_token_roles"),
                service_token_roles_required: values.bool(keystone, "service_token_roles_required"),
                memcached_servers: values.list(keystone, "memcached_servers"),
                http_connect_timeout: values.opt_int(keystone, "http_connect_timeout"),
                http_request_max_retries: values.int(keystone, "http_request_max_retries"),
                service_type: values.string(keystone, "service_type"),
            },
            aws: AwsOpts {
                region: values.string(aws, "region"),
                endpoint_url: values.opt_string(aws, "endpoint_url"),
                max_attempts: values.int(aws, "max_attempts"),
                retry_initial_backoff_ms: values.int(aws, "retry_initial_backoff_ms"),
                retry_max_backoff_ms: values.int(aws, "retry_max_backoff_ms"),
                operation_timeout: values.int(aws, "operation_timeout"),
                instance_metadata_tokens: values.string(aws, "instance_metadata_tokens"),
                instance_metadata_hop_limit: values.int(aws, "instance_metadata_hop_limit"),
            },
            tenancy: TenancyOpts {
                mapping_file: path("tenancy", "mapping_file"),
            },
            oslo_policy: PolicyOpts {
                policy_file: path("oslo_policy", "policy_file"),
                policy_dirs: values
                    .list("oslo_policy", "policy_dirs")
                    .into_iter()
                    .map(PathBuf::from)
                    .collect(),
            },
            sts: StsOpts {
                credential_source: match values.string("sts", "credential_source").as_str() {
                    "shared_credentials_file" => CredentialSource::SharedCredentialsFile,
                    "web_identity" => CredentialSource::WebIdentity,
                    _ => CredentialSource::Keys,
                },
                access_key_id: values.opt_string("sts", "access_key_id"),
                secret_access_key: values
                    .opt_string("sts", "secret_access_key")
                    .map(Secret::new),
                shared_credentials_file: path("sts", "shared_credentials_file"),
                profile: values.string("sts", "profile"),
                session_duration: values.int("sts", "session_duration"),
                endpoint_url: values.opt_string("sts", "endpoint_url"),
            },
            oidc: OidcOpts {
                signing_key_file: opt_path("oidc", "signing_key_file"),
                signing_algorithm: values.string("oidc", "signing_algorithm"),
                issuer: values.opt_string("oidc", "issuer"),
                audience: values.string("oidc", "audience"),
                token_lifetime: values.int("oidc", "token_lifetime"),
            },
        }
    }

    /// Checks rules that involve more than one option.
    fn check_consistency(&self, values: &Values<'_>) -> Result<(), ConfigError> {
        let mut issues = Vec::new();
        if self.aws.retry_initial_backoff_ms > self.aws.retry_max_backoff_ms {
            let message = format!(
                "{} is greater than [aws] retry_max_backoff_ms ({}); lower it or raise retry_max_backoff_ms",
                self.aws.retry_initial_backoff_ms, self.aws.retry_max_backoff_ms
            );
            issues.push(ConfigIssue::for_option(
                values.location("aws", "retry_initial_backoff_ms"),
                "aws",
                "retry_initial_backoff_ms",
                IssueKind::Inconsistent(message),
            ));
        }
        let oidc_needed = self.sts.credential_source == CredentialSource::WebIdentity;
        if oidc_needed && self.oidc.signing_key_file.is_none() {
            issues.push(ConfigIssue::for_option(
                values.location("sts", "credential_source"),
                "sts",
                "credential_source",
                IssueKind::Inconsistent(
                    "web_identity needs a signing key; set [oidc] signing_key_file and [oidc] issuer"
                        .to_string(),
                ),
            ));
        }
        if self.oidc.signing_key_file.is_some() && self.oidc.issuer.is_none() {
            issues.push(ConfigIssue::for_option(
                values.location("oidc", "signing_key_file"),
                "oidc",
                "issuer",
                IssueKind::Inconsistent(
                    "is required when signing_key_file is set; set it to the public URL of this service".to_string(),
                ),
            ));
        }
        if self.sts.access_key_id.is_some() != self.sts.secret_access_key.is_some() {
            issues.push(ConfigIssue::for_option(
                values.location("sts", "access_key_id"),
                "sts",
                "access_key_id",
                IssueKind::Inconsistent(
                    "access_key_id and secret_access_key go together; set both or neither"
                        .to_string(),
                ),
            ));
        }
        if issues.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(issues))
        }
    }
}

/// Returns `[DEFAULT_CONFIG_FILE]` if that file exists, otherwise an empty list.
/// oslo.config also searches `~/.<project>/`, `~/` and `/etc/`, but this function
/// checks only `/etc/aws-hybrid/`.
pub fn default_config_files() -> Vec<PathBuf> {
    let path = PathBuf::from(DEFAULT_CONFIG_FILE);
    if path.is_file() {
        vec![path]
    } else {
        Vec::new()
    }
}

/// Returns [`DEFAULT_CONFIG_DIR`] if that directory exists.
pub fn default_config_dir() -> Option<PathBuf> {
    let path = PathBuf::from(DEFAULT_CONFIG_DIR);
    path.is_dir().then_some(path)
}

#[cfg(test)]
mod tests;
