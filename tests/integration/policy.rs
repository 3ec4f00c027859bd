//! Authorization by policy: operator overrides in policy.yaml and policy.d, reload on SIGHUP,
//! and malformed files rejected with the file, rule and position.

use std::path::Path;
use std::process::Command;

use crate::common::{Service, ServiceOptions, error_item, project, write_config};

/// Service options whose `[oslo_policy]` points into `dir`.
fn options_with_policy(p: &crate::common::Project, dir: &Path) -> ServiceOptions {
    let mut options = ServiceOptions::new(&[p]);
    options.extra_config = format!(
        "[oslo_policy]\npolicy_file = {}\npolicy_dirs = {}\n",
        dir.join("policy.yaml").display(),
        dir.join("policy.d").display()
    );
    options
}

#[tokio::test]
async fn policy_file_overrides_one_rule() {
    let p = project("alpha").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "\"aws-hybrid:instance:list\": \"role:admin\"\n",
    )
    .unwrap();
    let service = Service::start(options_with_policy(&p, dir.path())).await;

    let list = service
        .get("/v1/instances", &p.member_token)
        .send()
        .await
        .unwrap();
    let zones = service
        .get("/v1/availability-zones", &p.member_token)
        .send()
        .await
        .unwrap();

    let item = error_item(list, 403).await;
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:instance:list"),
        "{item}"
    );
    assert_eq!(zones.status(), 200);
}

#[tokio::test]
async fn policy_dir_file_wins_over_policy_file() {
    let p = project("alpha").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "\"aws-hybrid:region:list\": \"!\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("policy.d")).unwrap();
    std::fs::write(
        dir.path().join("policy.d/50-regions.yaml"),
        "\"aws-hybrid:region:list\": \"role:reader\"\n",
    )
    .unwrap();
    let service = Service::start(options_with_policy(&p, dir.path())).await;

    let response = service
        .get("/v1/regions", &p.reader_token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn sighup_applies_a_changed_policy_and_keeps_it_when_broken() {
    let p = project("alpha").await;
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    let service = Service::start(options_with_policy(&p, dir.path())).await;
    let status = || async {
        service
            .get("/v1/regions", &p.member_token)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(status().await, 200);

    std::fs::write(&policy, "\"aws-hybrid:region:list\": \"!\"\n").unwrap();
    service.reload();
    service.wait_for_log("reload done", 1).await;
    assert_eq!(status().await, 403);

    std::fs::write(
        &policy,
        "\"aws-hybrid:region:list\": \"role:reader and (\"\n",
    )
    .unwrap();
    service.reload();
    service.wait_for_log("reload refused", 1).await;
    assert_eq!(
        status().await,
        403,
        "the broken file replaced the rules in force"
    );
    let log = service.log();
    let refused = log.lines().find(|l| l.contains("reload refused")).unwrap();
    assert!(refused.contains(&policy.display().to_string()), "{refused}");
    assert!(refused.contains("aws-hybrid:region:list"), "{refused}");
}

#[tokio::test]
async fn malformed_policy_file_stops_start_naming_file_rule_and_position() {
    let p = project("alpha").await;
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    let cases = [
        (
            "\"aws-hybrid:instance:list\": \"role:reader or\"\n",
            "aws-hybrid:instance:list",
        ),
        (
            "\"aws-hybrid:image:get\": \"rule:admin_api and (role:x\"\n",
            "aws-hybrid:image:get",
        ),
        ("\"a\": \"rule:b\"\n\"b\": \"rule:a\"\n", "rule:"),
        (
            "\"aws-hybrid:region:list\": \"http://127.0.0.1:1/check\"\n",
            "aws-hybrid:region:list",
        ),
        ("\"aws-hybrid:region:list\": [1, 2]\n", "line 1"),
    ];
    let config = write_config(dir.path(), &options_with_policy(&p, dir.path()), 1);
    for (text, expected) in cases {
        std::fs::write(&policy, text).unwrap();

        let output = Command::new(env!("CARGO_BIN_EXE_aws-hybrid-api"))
            .arg("--config-file")
            .arg(&config)
            .output()
            .unwrap();

        let printed = String::from_utf8_lossy(&output.stderr).into_owned()
            + &String::from_utf8_lossy(&output.stdout);
        assert!(!output.status.success(), "started with {text:?}");
        assert!(
            printed.contains(&policy.display().to_string()),
            "{text:?}: {printed}"
        );
        assert!(printed.contains(expected), "{text:?}: {printed}");
    }
}

#[tokio::test]
async fn manage_policy_check_lists_overrides() {
    let p = project("alpha").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "\"aws-hybrid:instance:delete\": \"role:admin\"\n",
    )
    .unwrap();
    let config = write_config(dir.path(), &options_with_policy(&p, dir.path()), 1);

    let output = Command::new(env!("CARGO_BIN_EXE_aws-hybrid-manage"))
        .args(["--config-file"])
        .arg(&config)
        .args(["policy", "check"])
        .output()
        .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("aws-hybrid:instance:delete: \"role:admin\""),
        "{stdout}"
    );
    assert!(stdout.contains("1 rule(s) differ"), "{stdout}");
}
