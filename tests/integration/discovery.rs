//! Version discovery, healthcheck, request ids and routing edges.

use serde_json::Value;

use crate::common::{Service, ServiceOptions, error_item, http, project};

#[tokio::test]
async fn version_documents_need_no_token() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    for path in ["/", "/v1", "/v1/"] {
        let response = http()
            .get(format!("{}{path}", service.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        let request_id = response.headers()["x-openstack-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(request_id.starts_with("req-"), "{request_id}");
        assert_eq!(request_id.len(), 40, "{request_id}");
        let body: Value = response.json().await.unwrap();
        let version = if path == "/" {
            &body["versions"][0]
        } else {
            &body["version"]
        };
        assert_eq!(version["id"], "v1.0");
        assert_eq!(version["status"], "CURRENT");
        assert_eq!(version["links"][0]["rel"], "self");
        assert_eq!(version["links"][0]["href"], format!("{}/v1/", service.url));
        assert_eq!(version["links"][1]["href"], format!("{}/", service.url));
    }
}

#[tokio::test]
async fn links_never_double_the_version_segment() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    let port = crate::common::free_port();
    options.port = Some(port);
    // An operator who copies the catalog URL, version and slash included, into public_endpoint.
    options.env.push((
        "OS_API__PUBLIC_ENDPOINT".into(),
        format!("http://127.0.0.1:{port}/v1/"),
    ));
    let service = Service::start(options).await;
    let body: Value = http()
        .get(format!("{}/v1/", service.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["version"]["links"][0]["href"],
        format!("http://127.0.0.1:{port}/v1/")
    );
    assert_eq!(
        body["version"]["links"][1]["href"],
        format!("http://127.0.0.1:{port}/")
    );
}

#[tokio::test]
async fn healthcheck_needs_no_token() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = http()
        .get(format!("{}/healthcheck", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn unknown_routes_get_json_404() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    for path in ["/v1//instances", "/v2/instances", "/v1/instancez"] {
        let response = service.get(path, &p.member_token).send().await.unwrap();
        let item = error_item(response, 404).await;
        assert_eq!(item["code"], "aws-hybrid.route_not_found", "{path}");
    }
}

#[tokio::test]
async fn inbound_global_request_id_is_logged_not_echoed() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let global = "req-11111111-2222-3333-4444-555555555555";
    let response = service
        .get("/v1/instances", &p.member_token)
        .header("X-OpenStack-Request-ID", global)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let own = response.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap();
    assert_ne!(own, global);
    assert!(service.log().contains(global));
}

/// The path an operator documents: a token from Keystone, the URL from the catalog, a list.
#[tokio::test]
async fn catalog_endpoint_lists_project_instances() {
    let e = crate::common::env();
    let alpha = &e.projects["alpha"];
    let mut options = ServiceOptions::new(&[]);
    options.mappings.push((alpha.id.clone(), "alpha"));
    // The harness registered this port in the catalog; no other test uses it.
    options.port = Some(e.api_port);
    let service = Service::start(options).await;
    let response = http()
        .post(format!("{}/v3/auth/tokens", e.keystone_url))
        .json(&serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": alpha.member.username, "domain": {"id": "default"}, "password": alpha.member.password}}},
            "scope": {"project": {"id": alpha.id}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let token = response.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    let endpoint = body["token"]["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "aws-hybrid")
        .and_then(|s| {
            s["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["interface"] == "public")
        })
        .map(|e| e["url"].as_str().unwrap().trim_end_matches('/').to_owned())
        .expect("the catalog lists a public aws-hybrid endpoint");
    let launched = service.launch(&token, "from-catalog").await;
    let listed: Value = http()
        .get(format!("{endpoint}/instances"))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed["instances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == launched.as_str())
    );
    let reader = http()
        .post(format!("{}/v3/auth/tokens", e.keystone_url))
        .json(&serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": alpha.reader.username, "domain": {"id": "default"}, "password": alpha.reader.password}}},
            "scope": {"project": {"id": alpha.id}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(reader.status(), 201);
    service.assert_log_free_of(&[&token, &alpha.member.password, &alpha.aws_secret_access_key]);
}

#[tokio::test]
async fn wrong_method_gets_405_with_allow() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = http()
        .put(format!("{}/v1/instances", service.url))
        .header("X-Auth-Token", &p.member_token)
        .send()
        .await
        .unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET"), "{allow}");
    assert!(allow.contains("POST"), "{allow}");
    let item = error_item(response, 405).await;
    assert_eq!(item["code"], "aws-hybrid.method_not_allowed");
}

#[tokio::test]
async fn log_lines_carry_request_and_project_ids() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = service
        .get("/v1/instances", &p.member_token)
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.status(), 200);
    let log = service.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(&request_id)).collect();
    assert!(!lines.is_empty(), "{log}");
    let served = lines
        .iter()
        .find(|l| l.contains("request served"))
        .expect("a request served line");
    // oslo.log's context block: [global_request_id request_id user_id project_id - - - -]
    let context = format!("[None {request_id} {} {} - - - -]", p.member_id, p.id);
    assert!(served.contains(&context), "{served}");
    assert!(
        served.contains(" INFO aws_hybrid.api.request_id "),
        "{served}"
    );
    let startup = log
        .lines()
        .find(|l| l.contains("aws-hybrid-api is ready"))
        .expect("a ready line");
    assert!(startup.contains(" [-] "), "{startup}");
}

#[tokio::test]
async fn json_logs_when_configured() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    options
        .env
        .push(("OS_DEFAULT__USE_JSON".into(), "true".into()));
    let service = Service::start(options).await;
    let response = service
        .get("/v1/instances", &p.member_token)
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let log = service.log();
    let mut with_project = 0;
    for line in log.lines() {
        let entry: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        // Lines written before authentication finished have the request id but no project yet.
        if entry["span"]["request_id"] == request_id.as_str()
            && entry["span"]["project_id"] == p.id.as_str()
        {
            with_project += 1;
        }
    }
    assert!(with_project > 0, "{log}");
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish() {
    let p = project("alpha").await;
    let mut service = Service::start(ServiceOptions::new(&[&p])).await;
    // Walking every instance type of the emulator takes a few seconds: long enough to be in
    // flight when the signal arrives.
    let slow = tokio::spawn(
        service
            .get("/v1/instance-types?limit=1", &p.member_token)
            .send(),
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    service.terminate();
    let response = slow.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let exited = service.wait_exit(std::time::Duration::from_secs(10)).await;
    assert_eq!(exited, Some(true), "{}", service.log());
    assert!(service.log().contains("SIGTERM received"));
}
