//! The instance lifecycle, input checks, pagination and project isolation.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::common::{Service, ServiceOptions, TEST_AMI, ec2, error_item, http, project};

async fn act(service: &Service, token: &str, id: &str, action: &str) -> reqwest::Response {
    service
        .post(
            &format!("/v1/instances/{id}/action"),
            token,
            json!({ action: null }),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn instance_lifecycle() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = service
        .post(
            "/v1/instances",
            &p.member_token,
            json!({"instance": {"name": "web-1", "image_id": TEST_AMI, "instance_type": "t3.micro", "tags": {"team": "blue"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let request_id = response.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let id = body["instance"]["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/v1/instances/{id}", service.url));
    assert_eq!(body["instance"]["name"], "web-1");
    assert_eq!(body["instance"]["project_id"], p.id.as_str());
    assert_eq!(body["instance"]["tags"]["team"], "blue");

    // The AWS resource carries the project, user and request ids.
    let described = ec2("alpha")
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    let instance = &described.reservations()[0].instances()[0];
    let tag = |key: &str| {
        instance
            .tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(str::to_owned)
    };
    assert_eq!(tag("aws-hybrid:project-id").as_deref(), Some(p.id.as_str()));
    assert_eq!(
        tag("aws-hybrid:user-id").as_deref(),
        Some(p.member_id.as_str())
    );
    assert_eq!(
        tag("aws-hybrid:request-id").as_deref(),
        Some(request_id.as_str())
    );

    let listed: Value = service
        .get("/v1/instances", &p.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = listed["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str()]);

    assert_eq!(
        act(&service, &p.member_token, &id, "stop").await.status(),
        202
    );
    assert_eq!(
        service.instance_state(&p.member_token, &id).await,
        "stopped"
    );
    // Stopping again changes nothing and is not an error.
    assert_eq!(
        act(&service, &p.member_token, &id, "stop").await.status(),
        202
    );
    assert_eq!(
        service.instance_state(&p.member_token, &id).await,
        "stopped"
    );
    // A stopped instance cannot be rebooted.
    let item = error_item(act(&service, &p.member_token, &id, "reboot").await, 409).await;
    assert!(item["detail"].as_str().unwrap().contains("stopped"));
    assert_eq!(
        act(&service, &p.member_token, &id, "start").await.status(),
        202
    );
    assert_eq!(
        service.instance_state(&p.member_token, &id).await,
        "running"
    );
    assert_eq!(
        act(&service, &p.member_token, &id, "reboot").await.status(),
        202
    );

    let response = service
        .delete(&format!("/v1/instances/{id}"), &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        service.instance_state(&p.member_token, &id).await,
        "terminated"
    );
    // Acting on a terminated instance is a conflict that names its state (the emulator would
    // accept it; AWS would not).
    let item = error_item(act(&service, &p.member_token, &id, "start").await, 409).await;
    assert_eq!(item["code"], "aws-hybrid.instance.invalid_state");
    assert!(item["detail"].as_str().unwrap().contains("terminated"));
    let response = service
        .delete(&format!("/v1/instances/{id}"), &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

async fn listed_ids(service: &Service, token: &str, query: &str) -> Vec<String> {
    let body: Value = service
        .get(&format!("/v1/instances?{query}"), token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn list_filters_match() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let a = service.launch(&p.member_token, "alpha-web").await;
    let b = service.launch(&p.member_token, "alpha-db").await;
    assert_eq!(
        act(&service, &p.member_token, &b, "stop").await.status(),
        202
    );

    assert_eq!(
        listed_ids(&service, &p.member_token, "name=alpha-web").await,
        vec![a.clone()]
    );
    assert_eq!(
        listed_ids(&service, &p.member_token, "state=stopped").await,
        vec![b.clone()]
    );
    assert_eq!(
        listed_ids(&service, &p.member_token, "instance_type=t3.micro")
            .await
            .len(),
        2
    );
    assert_eq!(
        listed_ids(&service, &p.member_token, &format!("image_id={TEST_AMI}"))
            .await
            .len(),
        2
    );
    assert!(
        listed_ids(&service, &p.member_token, "instance_type=m5.large")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn pagination_walks_every_instance_once() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = service
        .post(
            "/v1/instances",
            &p.member_token,
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro", "count": 5}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    let launched: HashSet<String> = body["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(launched.len(), 5);

    let mut seen = Vec::new();
    let mut url = format!("{}/v1/instances?limit=2", service.url);
    let mut pages = 0;
    loop {
        pages += 1;
        let body: Value = http()
            .get(&url)
            .header("X-Auth-Token", &p.member_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = body["instances"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match body["instances_links"][0]["href"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), launched);

    // A marker that names no instance continues after it in id order.
    let mut sorted: Vec<String> = launched.into_iter().collect();
    sorted.sort();
    let marker = format!("{}0", &sorted[1][..sorted[1].len() - 1]);
    let body: Value = service
        .get(&format!("/v1/instances?marker={marker}"), &p.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let after: Vec<&str> = body["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(after.iter().all(|id| *id > marker.as_str()));
}

#[tokio::test]
async fn projects_sharing_an_account_are_isolated() {
    let a = project("alpha").await;
    let b = project("alpha").await;
    let other_account = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&a, &b, &other_account])).await;
    let id = service.launch(&a.member_token, "only-a").await;

    for intruder in [&b, &other_account] {
        let listed: Value = service
            .get("/v1/instances", &intruder.member_token)
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
                .all(|i| i["id"] != id.as_str())
        );
        let show = service
            .get(&format!("/v1/instances/{id}"), &intruder.member_token)
            .send()
            .await
            .unwrap();
        let item = error_item(show, 404).await;
        assert_eq!(item["code"], "aws-hybrid.instance.not_found");
        assert_eq!(
            act(&service, &intruder.member_token, &id, "stop")
                .await
                .status(),
            404
        );
        let delete = service
            .delete(&format!("/v1/instances/{id}"), &intruder.member_token)
            .send()
            .await
            .unwrap();
        assert_eq!(delete.status(), 404);
    }
    assert_eq!(
        service.instance_state(&a.member_token, &id).await,
        "running"
    );
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let cases = [
        (
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro", "colour": "red"}}),
            "colour",
        ),
        (
            json!({"instance": {"instance_type": "t3.micro"}}),
            "image_id",
        ),
        (
            json!({"instance": {"image_id": "ubuntu", "instance_type": "t3.micro"}}),
            "image_id",
        ),
        (
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "huge"}}),
            "instance_type",
        ),
        (
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro", "count": 0}}),
            "count",
        ),
        (
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro", "security_group_ids": ["default"]}}),
            "security_group_ids",
        ),
        (
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro", "user_data": "#!/bin/sh"}}),
            "user_data",
        ),
        (
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro", "tags": {"aws-hybrid:project-id": "x"}}}),
            "aws-hybrid:project-id",
        ),
        (
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro", "name": "a\u{0}b"}}),
            "name",
        ),
        (
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro", "tags": {"team": "a\nb"}}}),
            "team",
        ),
        (
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro", "tags": {"AWS:owner": "x"}}}),
            "AWS:owner",
        ),
        (json!({"server": {}}), "server"),
    ];
    for (body, field) in cases {
        let response = service
            .post("/v1/instances", &p.member_token, body.clone())
            .send()
            .await
            .unwrap();
        let item = error_item(response, 400).await;
        assert!(
            item["detail"].as_str().unwrap().contains(field),
            "{body}: {}",
            item["detail"]
        );
    }
    let response = service
        .get("/v1/instances?colour=red", &p.member_token)
        .send()
        .await
        .unwrap();
    let item = error_item(response, 400).await;
    assert!(item["detail"].as_str().unwrap().contains("colour"));
    for query in ["limit=0", "limit=ten", "state=exploded"] {
        let response = service
            .get(&format!("/v1/instances?{query}"), &p.member_token)
            .send()
            .await
            .unwrap();
        error_item(response, 400).await;
    }
    let id = service.launch(&p.member_token, "x").await;
    for body in [
        json!({"explode": null}),
        json!({"stop": null, "start": null}),
        json!({"stop": {"force": true}}),
    ] {
        let response = service
            .post(&format!("/v1/instances/{id}/action"), &p.member_token, body)
            .send()
            .await
            .unwrap();
        let item = error_item(response, 400).await;
        assert_eq!(item["code"], "aws-hybrid.invalid_action");
    }
    let response = service
        .get("/v1/instances/not-an-id", &p.member_token)
        .send()
        .await
        .unwrap();
    error_item(response, 404).await;
}

/// A launch may not use another project's security group or key pair, even when both
/// projects share the AWS account and EC2 would accept them.
#[tokio::test]
async fn launch_refuses_another_projects_group_and_key() {
    let owner = project("alpha").await;
    let other = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&owner, &other])).await;
    let group: Value = service
        .post(
            "/v1/security-groups",
            &owner.member_token,
            json!({"security_group": {"name": crate::common::unique("owned")}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group_id = group["security_group"]["id"].as_str().unwrap().to_owned();
    let key_name = crate::common::unique("owned-key");
    let created = service
        .post(
            "/v1/key-pairs",
            &owner.member_token,
            json!({"key_pair": {"name": key_name}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let launch = |field: Value| {
        let mut instance = json!({"image_id": TEST_AMI, "instance_type": "t3.micro"});
        instance
            .as_object_mut()
            .unwrap()
            .extend(field.as_object().unwrap().clone());
        service
            .post(
                "/v1/instances",
                &other.member_token,
                json!({ "instance": instance }),
            )
            .send()
    };

    let with_group = launch(json!({"security_group_ids": [group_id]}))
        .await
        .unwrap();
    let with_key = launch(json!({"key_name": key_name})).await.unwrap();

    let group_error = error_item(with_group, 400).await;
    assert!(
        group_error["detail"]
            .as_str()
            .unwrap()
            .contains("security_group_ids")
    );
    let key_error = error_item(with_key, 400).await;
    assert!(key_error["detail"].as_str().unwrap().contains("key_name"));
    let listed: Value = service
        .get("/v1/instances", &other.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["instances"], json!([]));
}
