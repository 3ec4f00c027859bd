//! `aws-hybrid-manage`: upgrade checks with OpenStack's exit codes, and help texts.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{ServiceOptions, project, write_config};

fn manage(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_aws-hybrid-manage"))
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap(), text)
}

#[tokio::test]
async fn upgrade_check_exit_codes() {
    let p = project("alpha").await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &ServiceOptions::new(&[&p]), 1);
    let config_arg = config.to_str().unwrap();
    let mapping = dir.path().join("tenants.conf");

    std::fs::set_permissions(&mapping, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, text) = manage(&["--config-file", config_arg, "status", "upgrade", "check"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(text.matches("Result: Success").count(), 4, "{text}");

    std::fs::set_permissions(&mapping, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, text) = manage(&["--config-file", config_arg, "status", "upgrade", "check"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("chmod 600"), "{text}");

    let broken = std::fs::read_to_string(&config)
        .unwrap()
        .replace("auth_url = ", "auth_url = http://127.0.0.1:9/#");
    std::fs::write(&config, broken).unwrap();
    let (code, text) = manage(&["--config-file", config_arg, "status", "upgrade", "check"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("Check: Keystone\nResult: Failure"), "{text}");

    let (code, text) = manage(&[
        "--config-file",
        "/nonexistent/aws-hybrid.conf",
        "status",
        "upgrade",
        "check",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("/nonexistent/aws-hybrid.conf"), "{text}");
}

#[test]
fn every_command_explains_itself() {
    for args in [
        vec!["--help"],
        vec!["config", "sample", "--help"],
        vec!["config", "check", "--help"],
        vec!["mappings", "sample", "--help"],
        vec!["mappings", "check", "--help"],
        vec!["status", "upgrade", "check", "--help"],
    ] {
        let (code, text) = manage(&args);
        assert_eq!(code, 0, "{args:?}");
        assert!(
            text.lines().next().is_some_and(|l| l.len() > 10),
            "{args:?}: {text}"
        );
    }
}
