//! `aws-hybrid-manage mappings check --online`: one row per project with the AWS account that
//! STS GetCallerIdentity reports for its credentials, and exit code 1 when any project fails.

use std::path::Path;
use std::process::Command;

use crate::common::{Project, ServiceOptions, account, project, write_config};

/// A role in the beta account that the harness never creates, so assuming it fails.
const MISSING_ROLE: &str = "arn:aws:iam::222222222222:role/aws-hybrid-missing";

/// Runs `mappings check --online` and returns the exit code, stdout and stderr.
fn check_online(config: &Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_aws-hybrid-manage"))
        .arg("--config-file")
        .arg(config)
        .args(["mappings", "check", "--online"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    (
        output
            .status
            .code()
            .expect("aws-hybrid-manage exited by a signal"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Returns the output row of project `p`.
fn row<'a>(stdout: &'a str, p: &Project) -> &'a str {
    stdout
        .lines()
        .find(|line| line.starts_with(&p.id))
        .unwrap_or_else(|| panic!("no row for project {}:\n{stdout}", p.id))
}

/// Asserts that no AWS secret access key of the harness appears in `text`.
fn assert_free_of_secrets(text: &str) {
    for name in ["alpha", "beta"] {
        let secret = &account(name).aws_secret_access_key;
        assert!(!secret.is_empty());
        assert!(
            !text.contains(secret.as_str()),
            "the secret access key of account {name} appeared in the output"
        );
    }
}

#[tokio::test]
async fn online_check_reports_each_account() {
    let first = project("alpha").await;
    let second = project("beta").await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &ServiceOptions::new(&[&first, &second]), 1);

    let (code, stdout, stderr) = check_online(&config);

    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    for p in [&first, &second] {
        let line = row(&stdout, p);
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[1], account(p.account).aws_account_id, "{line}");
        assert_eq!(fields[2], "us-east-1", "{line}");
        assert_eq!(fields[3], "ok", "{line}");
    }
    assert!(stdout.contains("2 project(s) reached AWS"), "{stdout}");
    assert_free_of_secrets(&stdout);
    assert_free_of_secrets(&stderr);
}

/// moto 5.2.5 returns its default account from GetCallerIdentity for an access key that IAM
/// never issued, so a bogus key would pass. A role that does not exist makes AssumeRole fail.
#[tokio::test]
async fn online_check_fails_on_denied_role() {
    let working = project("alpha").await;
    let denied = project("beta").await;
    let mut options = ServiceOptions::new(&[&working]);
    options.extra_mapping = format!("[project:{}]\nrole_arn = {MISSING_ROLE}\n", denied.id);
    let sts_keys = account("alpha");
    options.extra_config = format!(
        "[sts]\naccess_key_id = {}\nsecret_access_key = {}\n",
        sts_keys.aws_access_key_id, sts_keys.aws_secret_access_key
    );
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &options, 1);

    let (code, stdout, stderr) = check_online(&config);

    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let line = row(&stdout, &working);
    assert!(line.contains(&account("alpha").aws_account_id), "{line}");
    assert!(line.contains(" ok ("), "{line}");
    let line = row(&stdout, &denied);
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[1], "-", "{line}");
    assert_eq!(fields[3], "error:", "{line}");
    assert!(line.contains(MISSING_ROLE), "{line}");
    assert!(stderr.contains("1 of 2 project(s) failed"), "{stderr}");
    assert_free_of_secrets(&stdout);
    assert_free_of_secrets(&stderr);
}
