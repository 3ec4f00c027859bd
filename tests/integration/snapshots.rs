//! EBS snapshots: the lifecycle, input checks, idempotent creates, IAM denials and project
//! isolation.

use serde_json::{Value, json};

use crate::common::{
    self, FaultProxy, Service, ServiceOptions, assert_show_and_delete_not_found, ec2, error_item,
    project, proxied_calls, service_behind, tag_value,
};
use crate::volumes::create_volume;

async fn listed_ids(service: &Service, token: &str, query: &str) -> Vec<String> {
    common::listed_ids(service, token, "snapshots", query).await
}

async fn create_snapshot(service: &Service, token: &str, snapshot: Value) -> reqwest::Response {
    service
        .post("/v1/snapshots", token, json!({ "snapshot": snapshot }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn snapshot_lifecycle() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let volume = create_volume(&service, token, json!({"size": 3})).await;
    let volume_id = volume["id"].as_str().unwrap().to_owned();
    let other_volume = create_volume(&service, token, json!({"size": 1})).await;

    let response = create_snapshot(
        &service,
        token,
        json!({"volume_id": volume_id, "name": "nightly", "description": "before the upgrade", "tags": {"team": "blue"}}),
    )
    .await;
    assert_eq!(response.status(), 202);
    let request_id = response.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let snapshot = &body["snapshot"];
    let id = snapshot["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/v1/snapshots/{id}", service.url));
    assert_eq!(snapshot["name"], "nightly");
    assert_eq!(snapshot["description"], "before the upgrade");
    assert_eq!(snapshot["volume_id"], volume_id.as_str());
    assert_eq!(snapshot["volume_size"], 3);
    assert_eq!(snapshot["project_id"], p.id.as_str());
    assert_eq!(snapshot["tags"], json!({"team": "blue"}));

    let described = ec2("alpha")
        .describe_snapshots()
        .snapshot_ids(&id)
        .send()
        .await
        .unwrap();
    let tags = described.snapshots()[0].tags();
    assert_eq!(
        tag_value(tags, "aws-hybrid:project-id").as_deref(),
        Some(p.id.as_str())
    );
    assert_eq!(
        tag_value(tags, "aws-hybrid:user-id").as_deref(),
        Some(p.member_id.as_str())
    );
    assert_eq!(
        tag_value(tags, "aws-hybrid:request-id").as_deref(),
        Some(request_id.as_str())
    );

    let details: Value = service
        .get(&format!("/v1/snapshots/{id}"), &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(details["snapshot"]["id"], id.as_str());
    // The emulator completes a snapshot at once; EC2 shows it pending first.
    assert_eq!(details["snapshot"]["state"], "completed");

    let second = create_snapshot(&service, token, json!({"volume_id": other_volume["id"]})).await;
    assert_eq!(second.status(), 202);
    assert_eq!(listed_ids(&service, token, "").await.len(), 2);
    assert_eq!(
        listed_ids(&service, token, &format!("volume_id={volume_id}")).await,
        vec![id.clone()]
    );
    assert_eq!(
        listed_ids(&service, token, "name=nightly").await,
        vec![id.clone()]
    );
    assert_eq!(
        listed_ids(&service, token, "state=completed").await.len(),
        2
    );
    assert!(
        listed_ids(&service, token, "state=pending")
            .await
            .is_empty()
    );

    let response = service
        .delete(&format!("/v1/snapshots/{id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = service
        .get(&format!("/v1/snapshots/{id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_item(response, 404).await["code"],
        "aws-hybrid.snapshot.not_found"
    );
}

#[tokio::test]
async fn snapshot_bad_input_names_field() {
    let p = project("alpha").await;
    let other = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p, &other])).await;
    let foreign = create_volume(&service, &other.member_token, json!({"size": 1})).await;
    let own = create_volume(&service, &p.member_token, json!({"size": 1})).await;
    let cases = [
        (json!({"volume_id": "volume-1"}), "volume_id"),
        (json!({"volume_id": "vol-0123456789abcdef0"}), "volume_id"),
        (json!({"volume_id": foreign["id"]}), "volume_id"),
        (
            json!({"volume_id": own["id"], "description": "d".repeat(256)}),
            "description",
        ),
        (json!({"volume_id": own["id"], "name": "a\nb"}), "name"),
        (
            json!({"volume_id": own["id"], "tags": {"aws:created": "x"}}),
            "aws:created",
        ),
    ];
    for (snapshot, field) in cases {
        let item = error_item(
            create_snapshot(&service, &p.member_token, snapshot.clone()).await,
            400,
        )
        .await;
        assert_eq!(item["code"], "aws-hybrid.invalid_parameter", "{snapshot}");
        assert!(
            item["detail"].as_str().unwrap().contains(field),
            "{snapshot}: {item}"
        );
    }

    let item = error_item(
        create_snapshot(&service, &p.member_token, json!({"name": "no volume"})).await,
        400,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.invalid_body");

    for query in ["state=done", "volume_id=v-1"] {
        let response = service
            .get(&format!("/v1/snapshots?{query}"), &p.member_token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_item(response, 400).await["code"],
            "aws-hybrid.invalid_parameter",
            "{query}"
        );
    }
    assert!(listed_ids(&service, &p.member_token, "").await.is_empty());
}

#[tokio::test]
async fn snapshot_isolation_between_projects() {
    let p = project("alpha").await;
    let neighbour = project("alpha").await;
    let stranger = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&p, &neighbour, &stranger])).await;
    let volume = create_volume(&service, &p.member_token, json!({"size": 1})).await;
    let response = create_snapshot(
        &service,
        &p.member_token,
        json!({"volume_id": volume["id"], "name": "mine"}),
    )
    .await;
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    let id = body["snapshot"]["id"].as_str().unwrap().to_owned();

    for other in [&neighbour, &stranger] {
        assert!(
            listed_ids(&service, &other.member_token, "")
                .await
                .is_empty()
        );
        assert!(
            listed_ids(&service, &other.member_token, "name=mine")
                .await
                .is_empty()
        );
        assert_show_and_delete_not_found(
            &service,
            &other.member_token,
            "snapshots",
            &id,
            "aws-hybrid.snapshot.not_found",
        )
        .await;
    }
    assert_eq!(listed_ids(&service, &p.member_token, "").await, vec![id]);
}

#[tokio::test]
async fn snapshot_create_idempotent_with_key() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let volume = create_volume(&service, &p.member_token, json!({"size": 1})).await;
    let key = uuid::Uuid::new_v4().to_string();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = service
            .post(
                "/v1/snapshots",
                &p.member_token,
                json!({"snapshot": {"volume_id": volume["id"]}}),
            )
            .header("Idempotency-Key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        let body: Value = response.json().await.unwrap();
        ids.push(body["snapshot"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(
        listed_ids(&service, &p.member_token, "").await,
        vec![ids[0].clone()]
    );
}

#[tokio::test]
async fn snapshot_iam_denial_is_403() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &[&p]).await;
    let volume = create_volume(&service, &p.member_token, json!({"size": 1})).await;
    proxy
        .rule(
            json!({"action": "CreateSnapshot", "status": 403, "code": "UnauthorizedOperation",
                     "message": "You are not authorized to perform this operation."}),
        )
        .await;

    let response = create_snapshot(
        &service,
        &p.member_token,
        json!({"volume_id": volume["id"]}),
    )
    .await;

    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.aws_unauthorized");
    assert!(
        item["detail"].as_str().unwrap().contains("CreateSnapshot"),
        "{item}"
    );
    assert_eq!(proxied_calls(&proxy, "CreateSnapshot").await.len(), 1);
}
