//! Start-up fails fast on bad configuration, naming the file, section, option and fix, and
//! never printing a secret.

use std::process::Command;

use crate::common::{ServiceOptions, env, project, write_config};

fn start_with(config: &std::path::Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_aws-hybrid-api"))
        .arg("--config-file")
        .arg(config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[tokio::test]
async fn config_errors_name_file_section_and_option() {
    let p = project("alpha").await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &ServiceOptions::new(&[&p]), 1);
    let good = std::fs::read_to_string(&path).unwrap();
    let password = &env().service_user.password;
    let cases = [
        (good.replace("bind_port = 1", "bind_prot = 1"), "bind_prot"),
        (good.replace("bind_port = 1", "bind_port = 99999"), "99999"),
        (
            good.replace(&format!("password = {password}\n"), ""),
            "password",
        ),
        (
            good.replace("interface = public", "interface = sideways"),
            "interface",
        ),
        (good.clone() + "\n[bogus_section]\nx = 1\n", "bogus_section"),
    ];
    for (text, expected) in cases {
        std::fs::write(&path, &text).unwrap();
        let (ok, output) = start_with(&path);
        assert!(!ok, "start succeeded with a bad config: {expected}");
        assert!(
            output.contains(&path.display().to_string()) || expected == "password",
            "{output}"
        );
        assert!(output.contains(expected), "{output}");
        assert!(
            !output.contains(password.as_str()),
            "the service password was printed"
        );
    }
}

#[tokio::test]
async fn mapping_errors_name_file_line_and_field() {
    let p = project("alpha").await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &ServiceOptions::new(&[&p]), 1);
    let mapping = dir.path().join("tenants.conf");
    let good = std::fs::read_to_string(&mapping).unwrap();
    let secret = &crate::common::account("alpha").aws_secret_access_key;
    let cases = [
        (
            good.replace("region = us-east-1", "region = moon-1"),
            "region",
        ),
        (
            good.replace("aws_access_key_id", "aws_acess_key_id"),
            "aws_acess_key_id",
        ),
        (
            good.replace(&format!("aws_secret_access_key = {secret}\n"), ""),
            "aws_secret_access_key",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(&mapping, &text).unwrap();
        let (ok, output) = start_with(&path);
        assert!(!ok, "start succeeded with a bad mapping: {expected}");
        assert!(output.contains(&mapping.display().to_string()), "{output}");
        assert!(output.contains(expected), "{output}");
        assert!(
            !output.contains(secret.as_str()),
            "the AWS secret was printed"
        );
    }
    std::fs::remove_file(&mapping).unwrap();
    let (ok, output) = start_with(&path);
    assert!(!ok);
    assert!(output.contains(&mapping.display().to_string()), "{output}");
}

#[test]
fn version_report_names_sdk_crates() {
    let output = Command::new(env!("CARGO_BIN_EXE_aws-hybrid-api"))
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success());
    assert!(text.contains("aws-sdk-ec2 1."), "{text}");
}

#[test]
fn lockfile_has_one_version_of_each_sdk_core_crate() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
    let watched = [
        "aws-types",
        "aws-config",
        "aws-runtime",
        "aws-credential-types",
        "aws-sigv4",
    ];
    let mut names: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|l| l.trim_end_matches('"'))
        .filter(|n| n.starts_with("aws-smithy-") || watched.contains(n))
        .collect();
    let total = names.len();
    names.sort();
    names.dedup();
    assert!(!names.is_empty());
    assert_eq!(
        total,
        names.len(),
        "Cargo.lock holds two versions of an AWS SDK core crate"
    );
}

#[test]
fn committed_samples_are_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (args, file) in [
        (["config", "sample"], "aws-hybrid.conf.sample"),
        (["mappings", "sample"], "tenants.conf.sample"),
        (["policy", "sample"], "policy.yaml.sample"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_aws-hybrid-manage"))
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success());
        let committed = std::fs::read_to_string(format!("{root}/etc/aws-hybrid/{file}")).unwrap();
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            committed,
            "etc/aws-hybrid/{file} is stale: regenerate it with `aws-hybrid-manage {} {}`",
            args[0],
            args[1]
        );
    }
}
