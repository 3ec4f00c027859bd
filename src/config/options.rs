//! The option registry: every option that aws-hybrid reads from its configuration files,
//! with type, default and help text.
//!
//! [`OPTIONS`] drives validation in [`super::Config::load`] and the sample file written by
//! [`super::sample::render_sample`]. A new option needs a row here and a field in the
//! matching struct in `config/mod.rs`.

pub use super::kinds::{OptKind, OptValue, is_aws_region, split_list};

/// A configuration group, shown as `[name]` in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupDef {
    pub name: &'static str,
    /// Help text printed under the group header in the sample file. Empty for none.
    pub help: &'static str,
}

/// A registered option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptDef {
    pub group: &'static str,
    pub name: &'static str,
    pub kind: OptKind,
    /// Default in file syntax, parsed like a value from a file. `None` means unset.
    pub default: Option<&'static str>,
    /// Loading fails when the option has no value and no default, or an empty value.
    pub required: bool,
    /// Error messages never show the value.
    pub secret: bool,
    pub help: &'static str,
}

impl OptDef {
    /// Creates an optional, non-secret option.
    pub const fn new(
        group: &'static str,
        name: &'static str,
        kind: OptKind,
        default: Option<&'static str>,
        help: &'static str,
    ) -> Self {
        Self {
            group,
            name,
            kind,
            default,
            required: false,
            secret: false,
            help,
        }
    }

    /// Marks the option as required.
    pub const fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    /// Marks the option as secret.
    pub const fn secret(self) -> Self {
        Self {
            secret: true,
            ..self
        }
    }

    /// Returns the environment variable that overrides this option.
    pub fn env_var(&self) -> String {
        env_var_name(self.group, self.name)
    }
}

/// Returns the environment variable that overrides an option, `OS_<GROUP>__<OPTION>` with
/// group and option in upper case, as oslo.config's environment source names it.
pub fn env_var_name(group: &str, name: &str) -> String {
    format!(
        "OS_{}__{}",
        group.to_ascii_uppercase(),
        name.to_ascii_uppercase()
    )
}

/// Returns the registered option `group.name`, if any.
pub fn find<'r>(registry: &'r [OptDef], group: &str, name: &str) -> Option<&'r OptDef> {
    registry
        .iter()
        .find(|opt| opt.group == group && opt.name == name)
}

const DEFAULT: &str = "DEFAULT";
const API: &str = "api";
const KEYSTONE: &str = "keystone_authtoken";
const AWS: &str = "aws";
const TENANCY: &str = "tenancy";
const POLICY: &str = "oslo_policy";
const STS: &str = "sts";
const OIDC: &str = "oidc";

/// Groups in sample-file order: `DEFAULT` first, then alphabetical, as
/// oslo-config-generator orders them.
pub static GROUPS: &[GroupDef] = &[
    GroupDef {
        name: DEFAULT,
        help: "",
    },
    GroupDef {
        name: API,
        help: "HTTP API server.",
    },
    GroupDef {
        name: AWS,
        help: "Calls to AWS APIs.",
    },
    GroupDef {
        name: KEYSTONE,
        help: "Keystone token validation and the credentials of the aws-hybrid service user. \
               Option names follow keystonemiddleware's auth_token middleware.",
    },
    GroupDef {
        name: OIDC,
        help: "The service as an OpenID Connect identity provider. With a signing key set, \
               the service signs short-lived tokens whose subject is the Keystone project ID \
               and exchanges them for role credentials with STS \
               AssumeRoleWithWebIdentity, so no AWS key is stored anywhere.",
    },
    GroupDef {
        name: POLICY,
        help: "Authorization rules. Option names follow oslo.policy.",
    },
    GroupDef {
        name: STS,
        help: "Role assumption for projects mapped to a role_arn.",
    },
    GroupDef {
        name: TENANCY,
        help: "Mapping of Keystone projects to AWS credentials.",
    },
];

const fn min(min: i64) -> OptKind {
    OptKind::Int {
        min: Some(min),
        max: None,
    }
}

/// All options, grouped as in [`GROUPS`].
pub static OPTIONS: &[OptDef] = &[
    OptDef::new(
        DEFAULT,
        "debug",
        OptKind::Bool,
        Some("false"),
        "Log at debug level instead of info level.",
    ),
    OptDef::new(
        DEFAULT,
        "log_file",
        OptKind::Path,
        None,
        "Path of the log file. When unset, logs go to standard error.",
    ),
    OptDef::new(
        DEFAULT,
        "use_json",
        OptKind::Bool,
        Some("false"),
        "Write each log line as a JSON object instead of in the OpenStack text format.",
    ),
    OptDef::new(
        DEFAULT,
        "state_path",
        OptKind::Path,
        Some("/var/lib/aws-hybrid"),
        "Directory for the service's persistent state. Other options can refer to it as \
         $state_path.",
    ),
    OptDef::new(
        DEFAULT,
        "cloud_driver",
        OptKind::Choice(&["aws"]),
        Some("aws"),
        "Cloud driver that serves requests.",
    ),
    OptDef::new(
        API,
        "bind_host",
        OptKind::IpAddress,
        Some("127.0.0.1"),
        "IP address to listen on.",
    ),
    OptDef::new(
        API,
        "bind_port",
        OptKind::Port,
        Some("9797"),
        "TCP port to listen on.",
    ),
    OptDef::new(
        API,
        "public_endpoint",
        OptKind::Uri,
        None,
        "Base URL for links in API responses, e.g. http://controller:9797. When unset, \
         links use the Host header of the request.",
    ),
    OptDef::new(
        API,
        "max_header_size",
        min(1024),
        Some("32768"),
        "Maximum size of one request header line, in bytes.",
    ),
    OptDef::new(
        API,
        "graceful_shutdown_timeout",
        min(0),
        Some("30"),
        "Time in seconds that the server waits for requests in progress to finish when it \
         is stopped.",
    ),
    OptDef::new(
        API,
        "max_limit",
        min(1),
        Some("1000"),
        "Maximum number of items that a list request returns in one page.",
    ),
    OptDef::new(
        KEYSTONE,
        "www_authenticate_uri",
        OptKind::Uri,
        None,
        "Public Keystone URL that 401 responses send clients to, in the WWW-Authenticate \
         header.",
    )
    .required(),
    OptDef::new(
        KEYSTONE,
        "auth_url",
        OptKind::Uri,
        None,
        "Keystone URL that the service user authenticates against.",
    )
    .required(),
    OptDef::new(
        KEYSTONE,
        "auth_type",
        OptKind::Choice(&["password"]),
        Some("password"),
        "Authentication method of the service user.",
    ),
    OptDef::new(
        KEYSTONE,
        "username",
        OptKind::String,
        None,
        "Name of the service user.",
    )
    .required(),
    OptDef::new(
        KEYSTONE,
        "password",
        OptKind::String,
        None,
        "Password of the service user.",
    )
    .required()
    .secret(),
    OptDef::new(
        KEYSTONE,
        "project_name",
        OptKind::String,
        None,
        "Project that the service user's token is scoped to.",
    )
    .required(),
    OptDef::new(
        KEYSTONE,
        "user_domain_name",
        OptKind::String,
        Some("Default"),
        "Domain of the service user.",
    ),
    OptDef::new(
        KEYSTONE,
        "project_domain_name",
        OptKind::String,
        Some("Default"),
        "Domain of project_name.",
    ),
    OptDef::new(
        KEYSTONE,
        "interface",
        OptKind::Choice(&["public", "internal", "admin"]),
        Some("internal"),
        "Service catalog interface used to reach Keystone.",
    ),
    OptDef::new(
        KEYSTONE,
        "region_name",
        OptKind::String,
        None,
        "Region used to look up Keystone in the service catalog.",
    ),
    OptDef::new(
        KEYSTONE,
        "token_cache_time",
        min(-1),
        Some("300"),
        "Time in seconds that a validated token stays in the cache. -1 disables the cache.",
    ),
    OptDef::new(
        KEYSTONE,
        "service_token_roles",
        OptKind::List,
        Some("service"),
        "Roles of which a service token must carry at least one.",
    ),
    OptDef::new(
        KEYSTONE,
        "service_token_roles_required",
        OptKind::Bool,
        Some("true"),
        "Reject a service token that carries none of service_token_roles. When false, such \
         a token is accepted.",
    ),
    OptDef::new(
        KEYSTONE,
        "memcached_servers",
        OptKind::List,
        None,
        "Memcached servers as host:port, accepted for compatibility with keystonemiddleware \
         configurations such as the ones devstack writes.",
    ),
    OptDef::new(
        KEYSTONE,
        "http_connect_timeout",
        min(1),
        None,
        "Timeout in seconds for connecting to Keystone.",
    ),
    OptDef::new(
        KEYSTONE,
        "http_request_max_retries",
        min(0),
        Some("3"),
        "Number of retries of a failed request to Keystone.",
    ),
    OptDef::new(
        KEYSTONE,
        "service_type",
        OptKind::String,
        Some("aws-hybrid"),
        "Service type of aws-hybrid in the Keystone catalog. Tokens of application \
         credentials with access rules are checked against it.",
    ),
    OptDef::new(
        AWS,
        "region",
        OptKind::AwsRegion,
        Some("us-east-1"),
        "Default AWS region for tenant mappings that name none.",
    ),
    OptDef::new(
        AWS,
        "endpoint_url",
        OptKind::Uri,
        None,
        "AWS endpoint URL that replaces the default one, for other AWS partitions and for \
         emulators.",
    ),
    OptDef::new(
        AWS,
        "max_attempts",
        OptKind::Int {
            min: Some(1),
            max: Some(20),
        },
        Some("8"),
        "Maximum attempts per AWS call, including retries after throttling and 5xx errors.",
    ),
    OptDef::new(
        AWS,
        "retry_initial_backoff_ms",
        min(1),
        Some("100"),
        "Wait before the first retry of an AWS call, in milliseconds.",
    ),
    OptDef::new(
        AWS,
        "retry_max_backoff_ms",
        min(1),
        Some("20000"),
        "Maximum wait between retries of an AWS call, in milliseconds. Must not be less \
         than retry_initial_backoff_ms.",
    ),
    OptDef::new(
        AWS,
        "operation_timeout",
        min(1),
        Some("60"),
        "Time limit in seconds for one AWS call, including all its retries.",
    ),
    OptDef::new(
        AWS,
        "instance_metadata_tokens",
        OptKind::Choice(&["required", "optional"]),
        Some("required"),
        "Whether instances launched by the service require session tokens for the instance \
         metadata service (IMDSv2, HttpTokens=required) or also answer IMDSv1 requests \
         without a token (optional).",
    ),
    OptDef::new(
        AWS,
        "instance_metadata_hop_limit",
        OptKind::Int {
            min: Some(1),
            max: Some(64),
        },
        Some("1"),
        "Network hops the metadata service's token response may travel, sent as \
         HttpPutResponseHopLimit at launch. 1 keeps tokens on the instance; containers on \
         the instance need 2.",
    ),
    OptDef::new(
        OIDC,
        "signing_key_file",
        OptKind::Path,
        None,
        "PEM file with the private key that signs the service's tokens: an EC P-256 key in \
         PKCS#8 form for ES256, or an RSA key of at least 2048 bits for RS256. Unset: the \
         service is no identity provider.",
    ),
    OptDef::new(
        OIDC,
        "signing_algorithm",
        OptKind::Choice(&["ES256", "RS256"]),
        Some("ES256"),
        "Signature algorithm of the tokens; it must fit the key in signing_key_file.",
    ),
    OptDef::new(
        OIDC,
        "issuer",
        OptKind::Uri,
        None,
        "Public issuer URL written in each token's iss claim. AWS fetches \
         <issuer>/.well-known/openid-configuration from it, so it must reach this \
         service's /.well-known/ paths. Required when signing_key_file is set.",
    ),
    OptDef::new(
        OIDC,
        "audience",
        OptKind::String,
        Some("sts.amazonaws.com"),
        "aud claim of the tokens: a client ID of the IAM OIDC provider.",
    ),
    OptDef::new(
        OIDC,
        "token_lifetime",
        OptKind::Int {
            min: Some(60),
            max: Some(3600),
        },
        Some("300"),
        "Seconds a signed token stays valid. STS needs it only for the exchange.",
    ),
    OptDef::new(
        POLICY,
        "policy_file",
        OptKind::Path,
        Some("policy.yaml"),
        "YAML file whose rules override the defaults rule by rule. A relative path is \
         taken from the directory of the first configuration file. A missing file means \
         the defaults apply.",
    ),
    OptDef::new(
        POLICY,
        "policy_dirs",
        OptKind::List,
        Some("policy.d"),
        "Directories of further YAML rule files, read in name order after policy_file; a \
         later rule wins. Relative paths are taken like policy_file; missing directories \
         are skipped.",
    ),
    OptDef::new(
        STS,
        "credential_source",
        OptKind::Choice(&["keys", "shared_credentials_file", "web_identity"]),
        Some("keys"),
        "Where the credentials that assume roles come from: keys, the access_key_id and \
         secret_access_key options; shared_credentials_file, a profile of an AWS \
         credentials file; web_identity, tokens signed by this service (see [oidc]).",
    ),
    OptDef::new(
        STS,
        "access_key_id",
        OptKind::String,
        None,
        "Access key ID used to call sts:AssumeRole when credential_source is keys.",
    ),
    OptDef::new(
        STS,
        "secret_access_key",
        OptKind::String,
        None,
        "Secret access key matching access_key_id.",
    )
    .secret(),
    OptDef::new(
        STS,
        "shared_credentials_file",
        OptKind::Path,
        Some("/etc/aws-hybrid/aws-credentials"),
        "AWS credentials file read when credential_source is shared_credentials_file. Only \
         static keys (aws_access_key_id, aws_secret_access_key, optional \
         aws_session_token) are read from it.",
    ),
    OptDef::new(
        STS,
        "profile",
        OptKind::String,
        Some("default"),
        "Profile of shared_credentials_file to use.",
    ),
    OptDef::new(
        STS,
        "session_duration",
        OptKind::Int {
            min: Some(900),
            max: Some(43200),
        },
        Some("3600"),
        "Lifetime in seconds asked for assumed-role sessions. It must not exceed the \
         role's maximum session duration.",
    ),
    OptDef::new(
        STS,
        "endpoint_url",
        OptKind::Uri,
        None,
        "STS endpoint URL. Unset: [aws] endpoint_url when set, else the regional STS \
         endpoint of [aws] region.",
    ),
    OptDef::new(
        TENANCY,
        "mapping_file",
        OptKind::Path,
        Some("/etc/aws-hybrid/tenants.conf"),
        "Path of the file that maps Keystone projects to AWS credentials.",
    ),
];

#[cfg(test)]
mod tests;
