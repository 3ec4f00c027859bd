//! Keystone authentication as keystonemiddleware does it, and the default role rules.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::json;

use crate::common::{
    Service, ServiceOptions, admin_token, create_user, env, error_item, grant, http, issue_token,
    project, unique,
};

fn www_authenticate(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("www-authenticate")
        .expect("WWW-Authenticate on 401")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn missing_and_bogus_tokens_get_401() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let expected = format!("Keystone uri=\"{}\"", env().keystone_url);

    let response = http()
        .get(format!("{}/v1/instances", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(www_authenticate(&response), expected);
    error_item(response, 401).await;

    let response = service
        .get("/v1/instances", "gAAAAABnot-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(www_authenticate(&response), expected);
    error_item(response, 401).await;
}

#[tokio::test]
async fn bogus_token_is_checked_every_time() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    for _ in 0..2 {
        let response = service
            .get("/v1/instances", "bogus-token")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
}

#[tokio::test]
async fn unscoped_token_gets_403() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let name = unique("unscoped");
    let user_id = create_user(&name, "pw-unscoped-1").await;
    grant(&p.id, &user_id, "member").await;
    let token = issue_token(&env().keystone_url, &name, "pw-unscoped-1", None).await;
    let response = service.get("/v1/instances", &token).send().await.unwrap();
    assert!(response.headers().get("www-authenticate").is_none());
    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.project_scoped_token_required");
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("project-scoped token is required")
    );
}

#[tokio::test]
async fn reader_reads_but_cannot_write() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = service
        .get("/v1/instances", &p.reader_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = service
        .post(
            "/v1/instances",
            &p.reader_token,
            json!({"instance": {"image_id": "ami-12c6146b", "instance_type": "t3.micro"}}),
        )
        .header("X-Roles", "admin,member")
        .header("X-Project-Id", &p.id)
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("www-authenticate").is_none());
    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.policy_not_authorized");
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:instance:create")
    );
}

#[tokio::test]
async fn role_outside_personas_gets_nothing() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let name = unique("foo-role");
    let user_id = create_user(&name, "pw-foo-role-1").await;
    grant(&p.id, &user_id, "service").await;
    let token = issue_token(&env().keystone_url, &name, "pw-foo-role-1", Some(&p.name)).await;
    let response = service.get("/v1/instances", &token).send().await.unwrap();
    error_item(response, 403).await;
}

#[tokio::test]
async fn unmapped_project_is_told_to_ask_admin() {
    let mapped = project("alpha").await;
    let unmapped = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&mapped])).await;
    let response = service
        .get("/v1/instances", &unmapped.member_token)
        .send()
        .await
        .unwrap();
    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.project_not_mapped");
    let detail = item["detail"].as_str().unwrap();
    assert!(detail.contains(&unmapped.id));
    assert!(detail.contains("cloud administrator"));
}

/// Send raw bytes so that no client library cleans the header value.
fn raw_request(url: &str, token_header: &[u8]) -> String {
    let address = url.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request =
        b"GET /v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".to_vec();
    request.extend_from_slice(token_header);
    request.extend_from_slice(b"\r\n\r\n");
    stream.write_all(&request).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[tokio::test]
async fn token_whitespace_and_control_bytes() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let url = service.url.clone();
    let token = p.member_token.clone();

    let padded = format!("X-Auth-Token:   {token} \t");
    let response = tokio::task::spawn_blocking({
        let url = url.clone();
        move || raw_request(&url, padded.as_bytes())
    })
    .await
    .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{}",
        response.lines().next().unwrap_or("")
    );

    let mut with_cr = b"X-Auth-Token: ".to_vec();
    with_cr.extend_from_slice(&token.as_bytes()[..10]);
    with_cr.push(b'\r');
    with_cr.extend_from_slice(&token.as_bytes()[10..]);
    let response = tokio::task::spawn_blocking({
        let url = url.clone();
        move || raw_request(&url, &with_cr)
    })
    .await
    .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 400"),
        "{}",
        response.lines().next().unwrap_or("")
    );
    assert!(!response.contains(&token));

    let response = tokio::task::spawn_blocking(move || raw_request(&url, b"X-Auth-Token:"))
        .await
        .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "{}",
        response.lines().next().unwrap_or("")
    );
    assert!(response.contains("WWW-Authenticate") || response.contains("www-authenticate"));
    service.assert_log_free_of(&[&token]);
}

#[tokio::test]
async fn large_headers_pass_and_oversized_get_431() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = service
        .get("/v1/instances", &p.member_token)
        .header("X-Service-Catalog", "c".repeat(20 * 1024))
        .header("X-Padding", "p".repeat(12 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let response = service
        .get("/v1/instances", &p.member_token)
        .header("X-Padding", "p".repeat(70 * 1024))
        .send()
        .await
        .unwrap();
    let item = error_item(response, 431).await;
    assert_eq!(item["code"], "aws-hybrid.header_too_large");
}

#[tokio::test]
async fn unknown_large_token_gets_401() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = service
        .get("/v1/instances", &"x".repeat(12 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

/// Sets `enabled` on Keystone user `user_id`. Disabling a user revokes every token it holds.
async fn set_user_enabled(user_id: &str, enabled: bool) {
    let response = http()
        .request(
            reqwest::Method::PATCH,
            format!("{}/v3/users/{user_id}", env().keystone_url),
        )
        .header("X-Auth-Token", admin_token().await)
        .json(&json!({"user": {"enabled": enabled}}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

/// Keystone revoking the service's own token costs one new authentication, not an outage.
#[tokio::test]
async fn revoked_service_token_is_replaced() {
    let p = project("alpha").await;
    let admin = admin_token().await;
    let projects: serde_json::Value = http()
        .get(format!("{}/v3/projects?name=service", env().keystone_url))
        .header("X-Auth-Token", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let service_project = projects["projects"][0]["id"].as_str().unwrap().to_owned();
    let name = unique("svc");
    let password = uuid::Uuid::new_v4().to_string();
    let user_id = create_user(&name, &password).await;
    grant(&service_project, &user_id, "service").await;
    let mut options = ServiceOptions::new(&[&p]);
    options.service_user = (name, password);
    let service = Service::start(options).await;
    let first = service.get("/v1/instances", &p.member_token).send().await;
    assert_eq!(first.unwrap().status(), 200);

    set_user_enabled(&user_id, false).await;
    set_user_enabled(&user_id, true).await;
    // Fernet tokens carry their issue time in whole seconds, and Keystone rejects a token issued
    // in the second of a revocation, so the service's next token must come from a later second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // A token the service has not validated yet, so that it must ask Keystone.
    let second = service.get("/v1/instances", &p.reader_token).send().await;

    assert_eq!(second.unwrap().status(), 200);
    service
        .wait_for_log(
            "Keystone rejected the service token; authenticating again",
            1,
        )
        .await;
}
