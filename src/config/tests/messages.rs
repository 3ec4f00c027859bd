//! Error messages: wording, location, secrets, and collecting every problem.

use tempfile::TempDir;

use super::*;

#[test]
fn invalid_env_value_named() {
    let errors = load_err(&[KEYSTONE], env(&[("OS_API__BIND_PORT", "http")]));

    assert_eq!(
        errors,
        [
            "environment variable OS_API__BIND_PORT: [api] bind_port: invalid value \"http\": \
          expected a port number between 1 and 65535"
        ]
    );
}

#[test]
fn unknown_reference_located() {
    let errors = load_err(&[KEYSTONE, "[api]\n\nbind_host = $listen\n"], no_env());

    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .starts_with("DIR/f1.conf:3: [api] bind_host: $listen refers to an unknown option;"),
        "{}",
        errors[0]
    );
}

#[test]
fn reference_cycle_reported_once() {
    let text = "[DEFAULT]\nstate_path = ${tenancy.mapping_file}\n[tenancy]\nmapping_file = $state_path/x\n";
    let errors = load_err(&[KEYSTONE, text], no_env());

    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("references form a cycle: "),
        "{}",
        errors[0]
    );
}

#[test]
fn secret_never_in_errors() {
    let errors = load_err(
        &[
            KEYSTONE,
            "[keystone_authtoken]\npassword = pa$word-s3cr3t\n",
        ],
        no_env(),
    );

    assert_eq!(
        errors,
        [
            "DIR/f1.conf:2: [keystone_authtoken] password: the value (hidden) contains a $ \
          reference that cannot be expanded; write $$ for a literal $"
        ]
    );
}

#[test]
fn value_from_secret_hidden() {
    let text =
        "[keystone_authtoken]\npassword = 12x\n[api]\nmax_limit = ${keystone_authtoken.password}\n";
    let errors = load_err(&[KEYSTONE, text], no_env());

    assert_eq!(
        errors,
        [
            "DIR/f1.conf:4: [api] max_limit: invalid value (hidden): expected an integer of at least 1"
        ]
    );
}

#[test]
fn invalid_value_message() {
    let errors = load_err(&[KEYSTONE, "[api]\nbind_port = 99999\n"], no_env());

    assert_eq!(
        errors,
        [
            "DIR/f1.conf:2: [api] bind_port: invalid value \"99999\": expected a port number \
          between 1 and 65535"
        ]
    );
}

#[test]
fn missing_required_message() {
    let errors = load_err(
        &["[keystone_authtoken]\nusername = u\npassword =\n"],
        no_env(),
    );

    assert_eq!(
        errors,
        [
            "[keystone_authtoken] www_authenticate_uri: required option is missing; set it in \
             DIR/f0.conf or OS_KEYSTONE_AUTHTOKEN__WWW_AUTHENTICATE_URI",
            "[keystone_authtoken] auth_url: required option is missing; set it in DIR/f0.conf \
             or OS_KEYSTONE_AUTHTOKEN__AUTH_URL",
            "DIR/f0.conf:3: [keystone_authtoken] password: required option is empty; set a \
             value in DIR/f0.conf or OS_KEYSTONE_AUTHTOKEN__PASSWORD",
            "[keystone_authtoken] project_name: required option is missing; set it in \
             DIR/f0.conf or OS_KEYSTONE_AUTHTOKEN__PROJECT_NAME",
        ]
    );
}

#[test]
fn missing_required_names_default_file() {
    let error = Config::load(&[], None, no_env()).unwrap_err();

    assert!(error.to_string().contains(
        "[keystone_authtoken] password: required option is missing; set it in \
         /etc/aws-hybrid/aws-hybrid.conf or OS_KEYSTONE_AUTHTOKEN__PASSWORD"
    ));
}

#[test]
fn unknown_option_suggests_closest() {
    let errors = load_err(&[KEYSTONE, "[api]\nbind_prot = 1\nlisten = x\n"], no_env());

    assert_eq!(
        errors,
        [
            "DIR/f1.conf:2: [api] bind_prot: unknown option; did you mean bind_port? Known \
             options in [api]: bind_host, bind_port, public_endpoint, max_header_size, \
             graceful_shutdown_timeout, max_limit",
            "DIR/f1.conf:3: [api] listen: unknown option; known options in [api]: bind_host, \
             bind_port, public_endpoint, max_header_size, graceful_shutdown_timeout, max_limit",
        ]
    );
}

#[test]
fn unknown_section_suggests_closest() {
    let errors = load_err(
        &[KEYSTONE, "[default]\ndebug = true\n[oslo_log]\nx = 1\n"],
        no_env(),
    );

    assert_eq!(
        errors,
        [
            "DIR/f1.conf:1: [default]: unknown section; did you mean [DEFAULT]? Known sections: \
             DEFAULT, api, keystone_authtoken, aws, oidc, oslo_policy, sts, tenancy",
            "DIR/f1.conf:3: [oslo_log]: unknown section; known sections: DEFAULT, api, \
             keystone_authtoken, aws, oidc, oslo_policy, sts, tenancy",
        ]
    );
}

#[test]
fn missing_file_named() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("absent.conf");
    let error = Config::load(std::slice::from_ref(&missing), None, no_env()).unwrap_err();

    assert_eq!(
        error.to_string(),
        format!(
            "{}: configuration file not found; check the path given with --config-file",
            missing.display()
        )
    );
}

#[test]
fn missing_dir_named() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("absent.d");
    let files = [write(dir.path(), "main.conf", KEYSTONE)];
    let error = Config::load(&files, Some(&missing), no_env()).unwrap_err();

    assert_eq!(
        error.to_string(),
        format!(
            "{}: configuration directory not found; check the path given with --config-dir",
            missing.display()
        )
    );
}

#[test]
fn all_errors_collected() {
    let broken = "[api]\nbind_port = 0\n  cont\n\n  orphan\n[aws]\nmax_attempts = 21\n";
    let errors = load_err(&[KEYSTONE, broken, "[api\nmax_limit = 0\n"], no_env());

    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("DIR/f1.conf:5: continuation line"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].starts_with("DIR/f2.conf:1: invalid section header"),
        "{}",
        errors[1]
    );
}

#[test]
fn value_errors_collected() {
    let text = "[api]\nbind_port = 0\nmax_limit = 0\n[aws]\nmax_attempts = 21\nregion = mars\n";
    let errors = load_err(&[KEYSTONE, text], no_env());

    let lines: Vec<&str> = errors
        .iter()
        .map(|error| error.split(": invalid").next().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            "DIR/f1.conf:2: [api] bind_port",
            "DIR/f1.conf:3: [api] max_limit",
            "DIR/f1.conf:6: [aws] region",
            "DIR/f1.conf:5: [aws] max_attempts",
        ]
    );
}

#[test]
fn parse_error_skips_required_check() {
    let errors = load_err(&["[keystone_authtoken\nusername = u\n"], no_env());

    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn empty_value_with_default_invalid() {
    let errors = load_err(&[KEYSTONE, "[api]\nbind_port =\n"], no_env());

    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("bind_port: invalid value \"\""),
        "{}",
        errors[0]
    );
}

#[test]
fn backoff_bounds_consistent() {
    let text = "[aws]\nretry_initial_backoff_ms = 500\nretry_max_backoff_ms = 100\n";
    let errors = load_err(&[KEYSTONE, text], no_env());

    assert_eq!(
        errors,
        [
            "DIR/f1.conf:2: [aws] retry_initial_backoff_ms: 500 is greater than [aws] \
          retry_max_backoff_ms (100); lower it or raise retry_max_backoff_ms"
        ]
    );
}
