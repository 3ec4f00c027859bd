//! Keystone down, Keystone back, and token lifetimes shorter than the cache time, using a
//! Keystone process of the test's own that shares the harness's database and keys.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{
    Service, ServiceOptions, admin_token, env, error_item, free_port, http, issue_token, project,
};

struct Keystone {
    port: u16,
    pid: i32,
    dir: tempfile::TempDir,
}

impl Keystone {
    fn start(expiration: Option<u32>) -> Keystone {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let pid = Self::launch(port, dir.path(), expiration);
        Keystone { port, pid, dir }
    }

    fn launch(port: u16, dir: &std::path::Path, expiration: Option<u32>) -> i32 {
        let e = env();
        let mut command = Command::new(e.tools_dir.join("harness/extra-keystone.sh"));
        command.arg(&e.state_dir).arg(port.to_string()).arg(dir);
        if let Some(seconds) = expiration {
            command.arg(seconds.to_string());
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "extra-keystone.sh failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .trim()
            .parse()
            .expect("extra-keystone.sh prints a PID")
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn stop(&self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-9", &self.pid.to_string()])
            .status();
    }

    fn restart(&mut self) {
        self.pid = Self::launch(self.port, self.dir.path(), None);
    }
}

impl Drop for Keystone {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Register `url` as the `admin` identity endpoint; returns the endpoint id. The service reaches
/// Keystone through the catalog, as keystonemiddleware does, so this points one service (whose
/// `interface` is `admin`) at this test's Keystone while every other test keeps using `public`.
async fn register_admin_identity_endpoint(url: &str) -> String {
    let token = admin_token().await;
    let services: Value = http()
        .get(format!("{}/v3/services?type=identity", env().keystone_url))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let service_id = services["services"][0]["id"].as_str().unwrap();
    let created: Value = http()
        .post(format!("{}/v3/endpoints", env().keystone_url))
        .header("X-Auth-Token", &token)
        .json(&json!({"endpoint": {"service_id": service_id, "interface": "admin", "region_id": "RegionOne", "url": format!("{url}/v3")}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["endpoint"]["id"].as_str().unwrap().to_owned()
}

async fn delete_endpoint(id: &str) {
    http()
        .delete(format!("{}/v3/endpoints/{id}", env().keystone_url))
        .header("X-Auth-Token", admin_token().await)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn keystone_outage_gives_503_and_recovers() {
    let p = project("alpha").await;
    let mut keystone = Keystone::start(None);
    let endpoint_id = register_admin_identity_endpoint(&keystone.url()).await;
    let mut options = ServiceOptions::new(&[&p]);
    options.keystone_url = keystone.url();
    options
        .env
        .push(("OS_KEYSTONE_AUTHTOKEN__INTERFACE".into(), "admin".into()));
    let service = Service::start(options).await;
    assert_eq!(
        service
            .get("/v1/instances", &p.member_token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    keystone.stop();
    // The reader's token was never sent before, so no cache entry can hide the outage.
    let response = service
        .get("/v1/instances", &p.reader_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        503,
        "while Keystone is stopped; service log:\n{}",
        service.log()
    );
    assert!(response.headers().get("retry-after").is_some());
    let item = error_item(response, 503).await;
    assert_eq!(item["code"], "aws-hybrid.identity_unavailable");
    keystone.restart();
    let response = service
        .get("/v1/instances", &p.reader_token)
        .send()
        .await
        .unwrap();
    delete_endpoint(&endpoint_id).await;
    assert_eq!(response.status(), 200);
}

async fn short_token_expires_in_cache(tz: &str) {
    let p = project("alpha").await;
    let short_lived = Keystone::start(Some(5));
    let mut options = ServiceOptions::new(&[&p]);
    options.env.push(("TZ".into(), tz.into()));
    let service = Service::start(options).await;
    // Tokens from the short-lived Keystone are valid everywhere: the database and keys are shared.
    let token = short_lived_token(&short_lived, &p).await;
    assert_eq!(
        service
            .get("/v1/instances", &token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_secs(8)).await;
    let response = service.get("/v1/instances", &token).send().await.unwrap();
    assert!(response.headers().get("www-authenticate").is_some());
    assert_eq!(response.status(), 401);
}

async fn short_lived_token(keystone: &Keystone, p: &crate::common::Project) -> String {
    // The project's users have random passwords; use a new user for the short-lived token.
    let name = crate::common::unique("short");
    let user_id = crate::common::create_user(&name, "pw-short-1").await;
    crate::common::grant(&p.id, &user_id, "member").await;
    issue_token(&keystone.url(), &name, "pw-short-1", Some(&p.name)).await
}

#[tokio::test]
async fn cached_token_expires_east_of_utc() {
    short_token_expires_in_cache("Asia/Seoul").await;
}

#[tokio::test]
async fn cached_token_expires_west_of_utc() {
    short_token_expires_in_cache("America/Los_Angeles").await;
}

#[tokio::test]
async fn service_token_is_renewed_before_expiry() {
    let p = project("alpha").await;
    // The service authenticates at a Keystone whose tokens last 5 s.
    let short_lived = Keystone::start(Some(5));
    let mut options = ServiceOptions::new(&[&p]);
    options.keystone_url = short_lived.url();
    let service = Service::start(options).await;
    let first = service
        .get("/v1/instances", &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let second = service
        .get("/v1/instances", &p.reader_token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);
    let log = service.log();
    assert_eq!(
        log.matches("obtained the service token").count(),
        2,
        "{log}"
    );
    // Renewed ahead of expiry, not after Keystone rejected an expired token.
    assert!(
        !log.contains("Keystone rejected the service token"),
        "{log}"
    );
}

#[tokio::test]
async fn service_token_needs_service_role() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    // A member's token is a valid token, but not a service token.
    let response = service
        .get("/v1/instances", &p.member_token)
        .header("X-Service-Token", &p.reader_token)
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("www-authenticate").is_some());
    error_item(response, 401).await;

    let service_token = service_user_token().await;
    let response = service
        .get("/v1/instances", &p.member_token)
        .header("X-Service-Token", &service_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    service.assert_log_free_of(&[&service_token, &env().service_user.password]);
}

#[tokio::test]
async fn expired_user_token_passes_with_service_token() {
    let p = project("alpha").await;
    let short_lived = Keystone::start(Some(5));
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let user_token = short_lived_token(&short_lived, &p).await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    let response = service
        .get("/v1/instances", &user_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        401,
        "the expired token alone is rejected"
    );

    let service_token = service_user_token().await;
    let response = service
        .get("/v1/instances", &user_token)
        .header("X-Service-Token", &service_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", service.log());
}

/// Issue a token for the harness's service user, which has the `service` role.
async fn service_user_token() -> String {
    let e = env();
    issue_token(
        &e.keystone_url,
        &e.service_user.username,
        &e.service_user.password,
        Some(&e.service_user.project_name),
    )
    .await
}
