//! AWS errors mapped to precise responses, with faults injected by a proxy in front of the
//! emulator.

use std::time::Instant;

use serde_json::json;

use crate::common::{FaultProxy, Service, ServiceOptions, error_item, http, project};

async fn service_behind(proxy: &FaultProxy, p: &crate::common::Project) -> Service {
    let mut options = ServiceOptions::new(&[p]);
    options.aws_endpoint = proxy.url.clone();
    Service::start(options).await
}

fn aws_error(
    action: &str,
    count: Option<u32>,
    status: u16,
    code: &str,
    message: &str,
) -> serde_json::Value {
    json!({"action": action, "count": count, "status": status, "code": code, "message": message})
}

#[tokio::test]
async fn throttling_is_retried_then_succeeds() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &p).await;
    proxy
        .rule(aws_error(
            "DescribeInstances",
            Some(6),
            503,
            "RequestLimitExceeded",
            "Request limit exceeded.",
        ))
        .await;
    let response = service
        .get("/v1/instances", &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(proxy.calls("DescribeInstances").await, 7);
}

#[tokio::test]
async fn endless_throttling_gets_503_with_retry_after() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &p).await;
    proxy
        .rule(aws_error(
            "DescribeInstances",
            None,
            503,
            "RequestLimitExceeded",
            "Request limit exceeded.",
        ))
        .await;
    let started = Instant::now();
    let response = service
        .get("/v1/instances", &p.member_token)
        .send()
        .await
        .unwrap();
    assert!(started.elapsed().as_secs() < 30);
    assert!(response.headers().get("retry-after").is_some());
    let item = error_item(response, 503).await;
    assert_eq!(item["code"], "aws-hybrid.aws_throttled");
    // The default budget is 8 attempts per call.
    assert_eq!(proxy.calls("DescribeInstances").await, 8);
}

#[tokio::test]
async fn iam_denial_is_403_naming_the_action() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &p).await;
    proxy
        .rule(aws_error(
            "RunInstances",
            None,
            403,
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ))
        .await;
    let response = service
        .post(
            "/v1/instances",
            &p.member_token,
            json!({"instance": {"image_id": "ami-12c6146b", "instance_type": "t3.micro"}}),
        )
        .send()
        .await
        .unwrap();
    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.aws_unauthorized");
    assert!(item["detail"].as_str().unwrap().contains("RunInstances"));
}

#[tokio::test]
async fn invalid_parameter_is_400_naming_the_field() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &p).await;
    proxy
        .rule(aws_error(
            "RunInstances",
            Some(1),
            400,
            "InvalidAMIID.NotFound",
            "The image id '[ami-12c6146b]' does not exist",
        ))
        .await;
    let response = service
        .post(
            "/v1/instances",
            &p.member_token,
            json!({"instance": {"image_id": "ami-12c6146b", "instance_type": "t3.micro"}}),
        )
        .send()
        .await
        .unwrap();
    let item = error_item(response, 400).await;
    assert!(item["detail"].as_str().unwrap().contains("image_id"));
}

#[tokio::test]
async fn aws_server_errors_become_503() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &p).await;
    proxy
        .rule(aws_error(
            "DescribeRegions",
            None,
            500,
            "InternalError",
            "An internal error has occurred",
        ))
        .await;
    let response = service
        .get("/v1/regions", &p.member_token)
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("retry-after").is_some());
    let item = error_item(response, 503).await;
    assert_eq!(item["code"], "aws-hybrid.aws_unavailable");
}

#[tokio::test]
async fn new_instance_is_shown_during_not_found_window() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &p).await;
    let id = service.launch(&p.member_token, "fresh").await;
    proxy
        .rule(json!({"action": "DescribeInstances", "params": {"InstanceId.1": "*"}, "count": 2, "status": 400,
                     "code": "InvalidInstanceID.NotFound", "message": "The instance ID does not exist"}))
        .await;
    for _ in 0..2 {
        let response = service
            .get(&format!("/v1/instances/{id}"), &p.member_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["instance"]["id"], id.as_str());
        assert_eq!(body["instance"]["state"], "pending");
    }
}

#[tokio::test]
async fn stop_of_pending_instance_is_409_with_state() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &p).await;
    let id = service.launch(&p.member_token, "booting").await;
    proxy
        .rule(json!({"action": "DescribeInstances", "count": null,
                     "rewrite": [{"pattern": "<code>16</code>\\s*<name>running</name>", "replacement": "<code>0</code><name>pending</name>"}]}))
        .await;
    proxy
        .rule(aws_error(
            "StopInstances",
            None,
            400,
            "IncorrectInstanceState",
            "The instance is not in a state from which it can be stopped.",
        ))
        .await;
    let response = service
        .post(
            &format!("/v1/instances/{id}/action"),
            &p.member_token,
            json!({"stop": null}),
        )
        .send()
        .await
        .unwrap();
    let item = error_item(response, 409).await;
    assert!(
        item["detail"].as_str().unwrap().contains("pending"),
        "{}",
        item["detail"]
    );
}

#[tokio::test]
async fn concurrent_lists_share_one_walk() {
    let projects = [
        project("alpha").await,
        project("alpha").await,
        project("alpha").await,
    ];
    let proxy = FaultProxy::start();
    let mut options = ServiceOptions::new(&[&projects[0], &projects[1], &projects[2]]);
    options.aws_endpoint = proxy.url.clone();
    let service = Service::start(options).await;
    let mut launched = Vec::new();
    for p in &projects {
        launched.push(service.launch(&p.member_token, "shared-account").await);
    }
    // Validate every token once, so the burst below measures only the AWS side.
    for p in &projects {
        assert_eq!(
            service
                .get("/v1/instances", &p.member_token)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let before = proxy.calls("DescribeInstances").await;
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..20 {
        let index = i % 3;
        let request = http()
            .get(format!("{}/v1/instances", service.url))
            .header("X-Auth-Token", &projects[index].member_token);
        burst.spawn(async move {
            let body: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            (index, body)
        });
    }
    while let Some(joined) = burst.join_next().await {
        let (index, body) = joined.unwrap();
        let ids: Vec<&str> = body["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![launched[index].as_str()]);
    }
    let walks = proxy.calls("DescribeInstances").await - before;
    assert!(
        walks < 10,
        "20 concurrent lists made {walks} DescribeInstances calls"
    );
}
