//! Tests of the value sources: defaults, files, the config directory, the environment
//! and `$` references.

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::*;

#[test]
fn defaults_fill_unset_options() {
    let config = load_ok(&[KEYSTONE], no_env());

    assert!(!config.default.debug);
    assert_eq!(config.default.log_file, None);
    assert!(!config.default.use_json);
    assert_eq!(
        config.default.state_path,
        PathBuf::from("/var/lib/aws-hybrid")
    );
    assert_eq!(config.default.cloud_driver, "aws");
    assert_eq!(config.api.bind_host.to_string(), "127.0.0.1");
    assert_eq!(config.api.bind_port, 9797);
    assert_eq!(config.api.public_endpoint, None);
    assert_eq!(config.api.max_header_size, 32768);
    assert_eq!(config.api.graceful_shutdown_timeout, 30);
    assert_eq!(config.api.max_limit, 1000);
    let keystone = &config.keystone_authtoken;
    assert_eq!(keystone.auth_type, "password");
    assert_eq!(keystone.password.expose(), "s3cr3t-pw");
    assert_eq!(keystone.user_domain_name, "Default");
    assert_eq!(keystone.project_domain_name, "Default");
    assert_eq!(keystone.interface, "internal");
    assert_eq!(keystone.region_name, None);
    assert_eq!(keystone.token_cache_time, 300);
    assert_eq!(keystone.service_token_roles, ["service"]);
    assert!(keystone.service_token_roles_required);
    assert!(keystone.memcached_servers.is_empty());
    assert_eq!(keystone.http_connect_timeout, None);
    assert_eq!(keystone.http_request_max_retries, 3);
    assert_eq!(keystone.service_type, "aws-hybrid");
    assert_eq!(config.aws.region, "us-east-1");
    assert_eq!(config.aws.endpoint_url, None);
    assert_eq!(config.aws.max_attempts, 8);
    assert_eq!(config.aws.retry_initial_backoff_ms, 100);
    assert_eq!(config.aws.retry_max_backoff_ms, 20000);
    assert_eq!(config.aws.operation_timeout, 60);
    assert_eq!(
        config.tenancy.mapping_file,
        PathBuf::from("/etc/aws-hybrid/tenants.conf")
    );
}

#[test]
fn file_values_typed() {
    let text = "[DEFAULT]
debug = Yes
log_file = /var/log/aws-hybrid/api.log
[API]
bind_host: ::
bind_port = 8080
public_endpoint = https://cloud.example.com:9797
[keystone_authtoken]
interface = public
memcached_servers = m1:11211, m2:11211,
http_connect_timeout = 5
token_cache_time = -1
region_name = RegionOne
[aws]
endpoint_url = http://localhost:4566
";
    let config = load_ok(&[KEYSTONE, text], no_env());

    assert!(config.default.debug);
    assert_eq!(
        config.default.log_file,
        Some(PathBuf::from("/var/log/aws-hybrid/api.log"))
    );
    assert_eq!(config.api.bind_host.to_string(), "::");
    assert_eq!(config.api.bind_port, 8080);
    assert_eq!(
        config.api.public_endpoint.as_deref(),
        Some("https://cloud.example.com:9797")
    );
    assert_eq!(config.keystone_authtoken.interface, "public");
    assert_eq!(
        config.keystone_authtoken.memcached_servers,
        ["m1:11211", "m2:11211"]
    );
    assert_eq!(config.keystone_authtoken.http_connect_timeout, Some(5));
    assert_eq!(config.keystone_authtoken.token_cache_time, -1);
    assert_eq!(
        config.keystone_authtoken.region_name.as_deref(),
        Some("RegionOne")
    );
    assert_eq!(
        config.aws.endpoint_url.as_deref(),
        Some("http://localhost:4566")
    );
}

#[test]
fn later_file_and_key_win() {
    let first = format!("{KEYSTONE}[api]\nbind_port = 1000\nbind_port = 1001\n");
    let config = load_ok(&[&first, "[api]\nbind_port = 2000\n"], no_env());

    assert_eq!(config.api.bind_port, 2000);
}

#[test]
fn config_dir_after_files_sorted() {
    let dir = TempDir::new().unwrap();
    let main = write(
        dir.path(),
        "main.conf",
        &format!("{KEYSTONE}[api]\nbind_port = 1000\n"),
    );
    let conf_d = dir.path().join("conf.d");
    fs::create_dir(&conf_d).unwrap();
    write(&conf_d, "20-port.conf", "[api]\nbind_port = 2000\n");
    write(
        &conf_d,
        "10-port.conf",
        "[api]\nbind_port = 1500\nmax_limit = 5\n",
    );
    write(&conf_d, "99-ignored.ini", "[api]\nbind_port = 9999\n");
    write(&conf_d, ".hidden.conf", "[api]\nbind_port = 9998\n");
    fs::create_dir(conf_d.join("dir.conf")).unwrap();

    let config = Config::load(&[main], Some(&conf_d), no_env()).unwrap();

    assert_eq!(config.api.bind_port, 2000);
    assert_eq!(config.api.max_limit, 5);
}

#[test]
fn env_overrides_files() {
    let env = env(&[
        ("OS_API__BIND_PORT", "5555"),
        ("OS_DEFAULT__DEBUG", "true"),
        ("OS_KEYSTONE_AUTHTOKEN__PASSWORD", "from-env"),
        ("OS_API__bind_host", "10.0.0.1"),
        ("OS_AUTH_URL", "http://ignored"),
    ]);
    let config = load_ok(&[KEYSTONE, "[api]\nbind_port = 1000\n"], env);

    assert_eq!(config.api.bind_port, 5555);
    assert!(config.default.debug);
    assert_eq!(config.keystone_authtoken.password.expose(), "from-env");
    assert_eq!(config.api.bind_host.to_string(), "127.0.0.1");
}

#[test]
fn env_satisfies_required() {
    let env = env(&[
        (
            "OS_KEYSTONE_AUTHTOKEN__WWW_AUTHENTICATE_URI",
            "http://k/identity",
        ),
        ("OS_KEYSTONE_AUTHTOKEN__AUTH_URL", "http://k/identity"),
        ("OS_KEYSTONE_AUTHTOKEN__USERNAME", "u"),
        ("OS_KEYSTONE_AUTHTOKEN__PASSWORD", "p"),
        ("OS_KEYSTONE_AUTHTOKEN__PROJECT_NAME", "service"),
    ]);

    let config = Config::load(&[], None, env).unwrap();

    assert_eq!(config.keystone_authtoken.username, "u");
}

#[test]
fn interpolation_in_files() {
    let text = "[DEFAULT]
state_path = /srv/state
[tenancy]
mapping_file = $state_path/tenants-$$1.conf
[keystone_authtoken]
auth_url = ${keystone_authtoken.www_authenticate_uri}/v3
www_authenticate_uri = http://controller/identity
";
    let config = load_ok(&[KEYSTONE, text], no_env());

    assert_eq!(
        config.tenancy.mapping_file,
        PathBuf::from("/srv/state/tenants-$1.conf")
    );
    assert_eq!(
        config.keystone_authtoken.auth_url,
        "http://controller/identity/v3"
    );
}

#[test]
fn interpolation_uses_defaults_and_env() {
    let text = "[tenancy]\nmapping_file = ${DEFAULT.state_path}/t.conf\n";
    let plain = load_ok(&[KEYSTONE, text], no_env());
    let from_env = load_ok(&[KEYSTONE, text], env(&[("OS_DEFAULT__STATE_PATH", "/e")]));

    assert_eq!(
        plain.tenancy.mapping_file,
        PathBuf::from("/var/lib/aws-hybrid/t.conf")
    );
    assert_eq!(from_env.tenancy.mapping_file, PathBuf::from("/e/t.conf"));
}

#[test]
fn group_names_case_insensitive() {
    let config = load_ok(
        &[KEYSTONE, "[Keystone_AuthToken]\nusername = other\n"],
        no_env(),
    );

    assert_eq!(config.keystone_authtoken.username, "other");
}

#[test]
fn empty_optional_is_unset() {
    let text = "[DEFAULT]\nlog_file =\n[api]\npublic_endpoint = \"\"\n[keystone_authtoken]\nhttp_connect_timeout =\n";
    let config = load_ok(&[KEYSTONE, text], no_env());

    assert_eq!(config.default.log_file, None);
    assert_eq!(config.api.public_endpoint, None);
    assert_eq!(config.keystone_authtoken.http_connect_timeout, None);
}

#[test]
fn multi_valued_option_takes_all() {
    static REGISTRY: &[OptDef] = &[
        OptDef::new("DEFAULT", "base", OptKind::String, Some("b"), "Base."),
        OptDef::new("g", "multi", OptKind::MultiString, None, "Multi."),
        OptDef::new("g", "single", OptKind::String, None, "Single."),
    ];
    let dir = TempDir::new().unwrap();
    let files = [
        write(
            dir.path(),
            "a.conf",
            "[g]\nmulti = one\nmulti = $base-two\nsingle = 1\n",
        ),
        write(dir.path(), "b.conf", "[g]\nmulti = three\nsingle = 2\n"),
    ];

    let values = resolve::load_values(REGISTRY, &files, None, no_env(), "x").unwrap();

    assert_eq!(values.list("g", "multi"), ["one", "b-two", "three"]);
    assert_eq!(values.string("g", "single"), "2");
}

#[test]
fn multi_valued_required_missing() {
    static REGISTRY: &[OptDef] =
        &[OptDef::new("g", "multi", OptKind::MultiString, None, "Multi.").required()];

    let error = resolve::load_values(REGISTRY, &[], None, no_env(), "x.conf").unwrap_err();

    assert_eq!(
        error.to_string(),
        "[g] multi: required option is missing; set it in x.conf or OS_G__MULTI"
    );
}

#[test]
fn default_config_paths_probe_only() {
    let files = default_config_files();

    assert!(files.len() <= 1);
    assert_eq!(!files.is_empty(), Path::new(DEFAULT_CONFIG_FILE).is_file());
    assert_eq!(
        default_config_dir().is_some(),
        Path::new(DEFAULT_CONFIG_DIR).is_dir()
    );
}

#[test]
fn debug_output_hides_password() {
    let config = load_ok(&[KEYSTONE], no_env());

    assert!(!format!("{config:?}").contains("s3cr3t"));
}
