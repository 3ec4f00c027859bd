//! Projects mapped to an IAM role instead of keys: AssumeRole with the project ID as external
//! ID, AssumeRoleWithWebIdentity with tokens the service signs itself, and session renewal.
//! The emulator checks trust policies, external IDs, token signatures and expiry like AWS.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{
    Service, ServiceOptions, TEST_AMI, account, env, error_item, free_port, http, project, unique,
};

/// Account of the roles; no harness key belongs to it, so only an assumed role reaches it.
const ROLE_ACCOUNT: &str = "333333333333";
const AUDIENCE: &str = "sts.amazonaws.com";

/// Runs tools/harness/aws_fixture.py against `endpoint` in `account`.
fn fixture(endpoint: &str, account: &str, args: &[&str]) -> Value {
    let e = env();
    let output = Command::new(e.venv.join("bin/python"))
        .arg(e.tools_dir.join("harness/aws_fixture.py"))
        .args(["--endpoint", endpoint, "--account", account])
        .args(args)
        .output()
        .expect("running aws_fixture.py");
    assert!(
        output.status.success(),
        "aws_fixture.py {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn create_role(endpoint: &str, trust: Value) -> String {
    let name = unique("role");
    let trust = trust.to_string();
    let created = fixture(
        endpoint,
        ROLE_ACCOUNT,
        &["create-role", "--name", &name, "--trust-policy", &trust],
    );
    created["arn"].as_str().unwrap().to_owned()
}

/// Builds a trust policy that lets `principal_account` assume the role with `external_id`.
fn trust_with_external_id(principal_account: &str, external_id: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{principal_account}:root")},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}
    }]})
}

/// Instance IDs tagged with `project_id` in `account`, read straight from the emulator.
fn instances_in(endpoint: &str, account: &str, project_id: &str) -> Vec<String> {
    let found = fixture(endpoint, account, &["instances", "--tag-value", project_id]);
    serde_json::from_value(found["instances"].clone()).unwrap()
}

async fn sts_calls(endpoint: &str, role_arn: &str) -> Vec<Value> {
    let calls: Vec<Value> = http()
        .get(format!("{endpoint}/_aws_hybrid/sts-calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    calls
        .into_iter()
        .filter(|call| call["role_arn"] == role_arn)
        .collect()
}

/// Service options that assume roles with the alpha account's keys.
fn role_options(project_id: &str, role_arn: &str) -> ServiceOptions {
    let alpha = account("alpha");
    let mut options = ServiceOptions::new(&[]);
    options.extra_mapping =
        format!("[project:{project_id}]\nrole_arn = {role_arn}\nregion = us-east-1\n");
    options.extra_config = format!(
        "[sts]\naccess_key_id = {}\nsecret_access_key = {}\n",
        alpha.aws_access_key_id, alpha.aws_secret_access_key
    );
    options
}

#[tokio::test]
async fn role_mapping_launches_in_the_roles_account() {
    let p = project("alpha").await;
    let moto = &env().moto_url;
    let role = create_role(
        moto,
        trust_with_external_id(&account("alpha").aws_account_id, &p.id),
    );
    let service = Service::start(role_options(&p.id, &role)).await;

    let id = service.launch(&p.member_token, "via-role").await;

    assert_eq!(
        instances_in(moto, ROLE_ACCOUNT, &p.id),
        std::slice::from_ref(&id)
    );
    assert!(instances_in(moto, &account("alpha").aws_account_id, &p.id).is_empty());
    let listed: Value = service
        .get("/v1/instances", &p.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["instances"][0]["id"], id.as_str());
    let calls = sts_calls(moto, &role).await;
    let first = &calls[0];
    assert_eq!(first["action"], "AssumeRole");
    assert_eq!(first["external_id"], p.id.as_str());
    assert_eq!(first["outcome"], "success");
    let session_name = first["role_session_name"].as_str().unwrap();
    let expected = format!("{}.{}", p.id, p.member_id);
    assert_eq!(session_name, &expected[..expected.len().min(64)]);
    // One session serves the launch and the listing.
    assert_eq!(calls.len(), 1, "{calls:?}");
    service.assert_log_free_of(&[&account("alpha").aws_secret_access_key, &p.member_token]);
}

#[tokio::test]
async fn role_with_another_external_id_refused() {
    let p = project("alpha").await;
    let moto = &env().moto_url;
    let alpha = &account("alpha").aws_account_id;
    let role = create_role(moto, trust_with_external_id(alpha, "some-other-project"));
    let service = Service::start(role_options(&p.id, &role)).await;

    let response = service
        .get("/v1/instances", &p.member_token)
        .send()
        .await
        .unwrap();

    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.aws_role_refused");
    let detail = item["detail"].as_str().unwrap();
    assert!(detail.contains(&role), "{detail}");
    assert!(
        detail.contains(&format!("external ID {}", p.id)),
        "{detail}"
    );
    let calls = sts_calls(moto, &role).await;
    assert_eq!(calls[0]["error_code"], "AccessDenied");
}

/// A separate emulator whose credentials live a few seconds, owned by one test.
struct ShortLivedEmulator {
    child: Child,
    url: String,
}

impl ShortLivedEmulator {
    async fn start(lifetime_seconds: u32) -> Self {
        let e = env();
        let port = free_port();
        let child = Command::new(e.venv.join("bin/python"))
            .arg(e.tools_dir.join("moto_server.py"))
            .args(["--port", &port.to_string()])
            .args(["--sts-credential-lifetime", &lifetime_seconds.to_string()])
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting tools/moto_server.py");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = http()
                .get(format!("{url}/_aws_hybrid/sts-calls"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the emulator did not start on {url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        ShortLivedEmulator { child, url }
    }
}

impl Drop for ShortLivedEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn expiring_sessions_renewed_without_a_failed_request() {
    let p = project("alpha").await;
    let emulator = ShortLivedEmulator::start(8).await;
    // In a fresh emulator every key belongs to moto's default account.
    let role = create_role(&emulator.url, trust_with_external_id("123456789012", &p.id));
    let mut options = role_options(&p.id, &role);
    options.aws_endpoint = emulator.url.clone();
    let service = Service::start(options).await;

    // Requests every 250 ms for 20 s span two and a half credential lifetimes.
    let until = Instant::now() + Duration::from_secs(20);
    let mut requests = 0;
    while Instant::now() < until {
        let response = service
            .get("/v1/availability-zones", &p.member_token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert_eq!(
            status,
            200,
            "request {requests}: {}",
            response.text().await.unwrap()
        );
        requests += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // After a pause longer than a lifetime the session is renewed on the request path.
    tokio::time::sleep(Duration::from_secs(9)).await;
    let late = service
        .get("/v1/availability-zones", &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 200);

    let calls = sts_calls(&emulator.url, &role).await;
    let successes = calls.iter().filter(|c| c["outcome"] == "success").count();
    assert!(
        successes >= 4,
        "{requests} requests made {successes} AssumeRole calls"
    );
    assert_eq!(successes, calls.len(), "{calls:?}");
}

/// Service options for web identity: no AWS key anywhere, a signing key and the issuer URL of
/// the service itself.
fn web_identity_options(project_id: &str, role_arn: &str, port: u16) -> ServiceOptions {
    let key = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/oidc-test-ec.pem");
    let mut options = ServiceOptions::new(&[]);
    options.port = Some(port);
    options.extra_mapping = format!("[project:{project_id}]\nrole_arn = {role_arn}\n");
    options.extra_config = format!(
        "[sts]\ncredential_source = web_identity\n\n[oidc]\nsigning_key_file = {key}\n\
         issuer = http://127.0.0.1:{port}\naudience = {AUDIENCE}\n"
    );
    options
}

/// Registers the service at `port` as an OIDC provider in the role account and creates a role
/// that trusts tokens whose subject is `subject`.
fn web_identity_role(port: u16, subject: &str) -> String {
    let moto = &env().moto_url;
    let provider_host = format!("127.0.0.1:{port}");
    let provider = fixture(
        moto,
        ROLE_ACCOUNT,
        &[
            "create-oidc-provider",
            "--url",
            &format!("http://{provider_host}"),
            "--client-id",
            AUDIENCE,
        ],
    );
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider["arn"]},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            format!("{provider_host}:sub"): subject,
            format!("{provider_host}:aud"): AUDIENCE,
        }}
    }]});
    create_role(moto, trust)
}

#[tokio::test]
async fn web_identity_launches_without_any_aws_key() {
    let p = project("alpha").await;
    let port = free_port();
    let role = web_identity_role(port, &p.id);
    let service = Service::start(web_identity_options(&p.id, &role, port)).await;
    let config = std::fs::read_to_string(service.dir.join("aws-hybrid.conf")).unwrap();
    let mapping = std::fs::read_to_string(service.dir.join("tenants.conf")).unwrap();
    assert!(!config.contains("access_key"));
    assert!(!mapping.contains("access_key"));

    let id = service.launch(&p.member_token, "via-web-identity").await;

    assert_eq!(instances_in(&env().moto_url, ROLE_ACCOUNT, &p.id), [id]);
    let calls = sts_calls(&env().moto_url, &role).await;
    assert_eq!(calls[0]["action"], "AssumeRoleWithWebIdentity");
    assert_eq!(calls[0]["outcome"], "success");
    assert_eq!(calls[0]["token_subject"], p.id.as_str());
    assert_eq!(calls[0]["token_audience"], AUDIENCE);
    assert_eq!(calls[0]["token_issuer"], format!("http://127.0.0.1:{port}"));
}

#[tokio::test]
async fn web_identity_role_of_another_project_refused() {
    let p = project("alpha").await;
    let port = free_port();
    let role = web_identity_role(port, "another-project-id");
    let service = Service::start(web_identity_options(&p.id, &role, port)).await;

    let response = service
        .post(
            "/v1/instances",
            &p.member_token,
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro"}}),
        )
        .send()
        .await
        .unwrap();

    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.aws_role_refused");
    assert!(instances_in(&env().moto_url, ROLE_ACCOUNT, &p.id).is_empty());
}

#[tokio::test]
async fn discovery_document_and_key_set_served_without_token() {
    let p = project("alpha").await;
    let port = free_port();
    let service = Service::start(web_identity_options(
        &p.id,
        "arn:aws:iam::333333333333:role/unused",
        port,
    ))
    .await;

    let discovery: Value = http()
        .get(format!("{}/.well-known/openid-configuration", service.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys: Value = http()
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(discovery["issuer"], format!("http://127.0.0.1:{port}"));
    assert_eq!(keys["keys"][0]["kty"], "EC");
    assert!(keys["keys"][0].get("d").is_none(), "the private key leaked");
}

#[tokio::test]
async fn key_set_absent_without_signing_key() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;

    let response = http()
        .get(format!("{}/.well-known/jwks.json", service.url))
        .send()
        .await
        .unwrap();

    let item = error_item(response, 404).await;
    assert_eq!(item["code"], "aws-hybrid.oidc_not_configured");
}
