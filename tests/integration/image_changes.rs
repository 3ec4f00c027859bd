//! Images created from the project's instances: create, tag, deregister, and the wall between
//! projects that share an AWS account.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common::{
    FaultProxy, Service, ServiceOptions, TEST_AMI, ec2, error_item, http, project, unique,
};

/// Describe image `id` in EC2 and return its tags, or None when EC2 does not know the image.
async fn aws_image_tags(account_name: &str, id: &str) -> Option<BTreeMap<String, String>> {
    let output = ec2(account_name)
        .describe_images()
        .image_ids(id)
        .send()
        .await
        .ok()?;
    let image = output.images().first()?;
    Some(
        image
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
    )
}

async fn create(service: &Service, token: &str, body: Value) -> reqwest::Response {
    service
        .post("/v1/images", token, json!({ "image": body }))
        .send()
        .await
        .unwrap()
}

/// Create an image of `instance_id` named `name` and return its id.
async fn created_image(service: &Service, token: &str, instance_id: &str, name: &str) -> String {
    let response = create(
        service,
        token,
        json!({"instance_id": instance_id, "name": name}),
    )
    .await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let body: Value = response.json().await.unwrap();
    body["image"]["id"].as_str().unwrap().to_owned()
}

async fn put_tags(service: &Service, token: &str, id: &str, tags: Value) -> reqwest::Response {
    http()
        .put(format!("{}/v1/images/{id}/tags", service.url))
        .header("X-Auth-Token", token)
        .json(&json!({ "tags": tags }))
        .send()
        .await
        .unwrap()
}

async fn listed_image_ids(service: &Service, token: &str) -> Vec<String> {
    let body: Value = service
        .get("/v1/images?owner=self", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn image_create_show_deregister() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let instance_id = service.launch(&p.member_token, "web").await;
    let name = unique("web-image");

    let response = create(
        &service,
        &p.member_token,
        json!({"instance_id": instance_id, "name": name, "description": "web tier",
               "tags": {"team": "storefront"}}),
    )
    .await;
    assert_eq!(response.status(), 202);
    let request_id = response.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let id = body["image"]["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/v1/images/{id}", service.url));
    assert_eq!(body["image"]["name"], name.as_str());
    assert_eq!(body["image"]["description"], "web tier");
    assert_eq!(body["image"]["project_id"], p.id.as_str());
    assert_eq!(body["image"]["tags"], json!({"team": "storefront"}));

    let tags = aws_image_tags("alpha", &id)
        .await
        .expect("the image exists in AWS");
    assert_eq!(tags["aws-hybrid:project-id"], p.id);
    assert_eq!(tags["aws-hybrid:user-id"], p.member_id);
    assert_eq!(tags["aws-hybrid:request-id"], request_id);
    assert!(tags["aws-hybrid:idempotency-token"].starts_with("req-"));
    assert_eq!(tags["team"], "storefront");

    let shown: Value = service
        .get(&format!("/v1/images/{id}"), &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["image"]["project_id"], p.id.as_str());
    assert_eq!(shown["image"]["state"], "available");
    assert!(
        listed_image_ids(&service, &p.reader_token)
            .await
            .contains(&id)
    );

    let response = service
        .delete(&format!("/v1/images/{id}"), &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(aws_image_tags("alpha", &id).await.is_none());
    let item = error_item(
        service
            .get(&format!("/v1/images/{id}"), &p.reader_token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.image.not_found");
}

#[tokio::test]
async fn images_of_other_projects_hidden() {
    let owner = project("alpha").await;
    let neighbour = project("alpha").await;
    let other_account = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&owner, &neighbour, &other_account])).await;
    let instance_id = service.launch(&owner.member_token, "web").await;
    let id = created_image(
        &service,
        &owner.member_token,
        &instance_id,
        &unique("owned"),
    )
    .await;

    for p in [&neighbour, &other_account] {
        let show = service
            .get(&format!("/v1/images/{id}"), &p.member_token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_item(show, 404).await["code"],
            "aws-hybrid.image.not_found"
        );
        let delete = service
            .delete(&format!("/v1/images/{id}"), &p.member_token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_item(delete, 404).await["code"],
            "aws-hybrid.image.not_found"
        );
        let tag = put_tags(&service, &p.member_token, &id, json!({"x": "y"})).await;
        assert_eq!(
            error_item(tag, 404).await["code"],
            "aws-hybrid.image.not_found"
        );
        assert!(
            !listed_image_ids(&service, &p.member_token)
                .await
                .contains(&id)
        );
    }
    // The neighbour's attempts changed nothing.
    let tags = aws_image_tags("alpha", &id)
        .await
        .expect("the image still exists");
    assert!(!tags.contains_key("x"));
    assert!(
        listed_image_ids(&service, &owner.member_token)
            .await
            .contains(&id)
    );
}

#[tokio::test]
async fn images_made_outside_service_not_owned() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let instance_id = service.launch(&p.member_token, "web").await;
    // An image made in the account without the service carries no project tag.
    let outside = ec2("alpha")
        .create_image()
        .instance_id(&instance_id)
        .name(unique("outside"))
        .send()
        .await
        .unwrap()
        .image_id()
        .unwrap()
        .to_owned();

    for id in [outside.as_str(), TEST_AMI] {
        let show = service
            .get(&format!("/v1/images/{id}"), &p.member_token)
            .send()
            .await
            .unwrap();
        assert_eq!(show.status(), 200, "{id} is readable");
        let delete = service
            .delete(&format!("/v1/images/{id}"), &p.member_token)
            .send()
            .await
            .unwrap();
        let item = error_item(delete, 403).await;
        assert_eq!(item["code"], "aws-hybrid.image.not_owned");
        assert!(item["detail"].as_str().unwrap().contains(id));
        let tag = put_tags(&service, &p.member_token, id, json!({"x": "y"})).await;
        assert_eq!(
            error_item(tag, 403).await["code"],
            "aws-hybrid.image.not_owned"
        );
    }
    assert!(aws_image_tags("alpha", &outside).await.is_some());
}

#[tokio::test]
async fn image_tags_replaced() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let instance_id = service.launch(&p.member_token, "web").await;
    let response = create(
        &service,
        &p.member_token,
        json!({"instance_id": instance_id, "name": unique("tagged"), "tags": {"a": "1", "b": "2"}}),
    )
    .await;
    assert_eq!(response.status(), 202);
    let id = response.json::<Value>().await.unwrap()["image"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = put_tags(&service, &p.member_token, &id, json!({"b": "3", "c": "4"})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"tags": {"b": "3", "c": "4"}}));
    let shown: Value = service
        .get(&format!("/v1/images/{id}"), &p.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["image"]["tags"], json!({"b": "3", "c": "4"}));
    let tags = aws_image_tags("alpha", &id).await.unwrap();
    assert!(!tags.contains_key("a"));
    assert_eq!(tags["b"], "3");
    assert_eq!(tags["c"], "4");
    assert_eq!(tags["aws-hybrid:project-id"], p.id, "service tags stay");

    let response = put_tags(&service, &p.member_token, &id, json!({})).await;
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"tags": {}}));
    let tags = aws_image_tags("alpha", &id).await.unwrap();
    assert!(
        tags.keys().all(|k| k.starts_with("aws-hybrid:")),
        "{tags:?}"
    );

    for reserved in ["aws-hybrid:project-id", "aws:cloudformation:stack-name"] {
        let item = error_item(
            put_tags(&service, &p.member_token, &id, json!({ reserved: "x" })).await,
            400,
        )
        .await;
        assert!(
            item["detail"].as_str().unwrap().contains(reserved),
            "{item}"
        );
    }
    assert_eq!(
        aws_image_tags("alpha", &id).await.unwrap()["aws-hybrid:project-id"],
        p.id
    );
    let reader = put_tags(&service, &p.reader_token, &id, json!({"x": "y"})).await;
    assert!(
        error_item(reader, 403).await["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:image:update")
    );
}

#[tokio::test]
async fn image_create_rejects_bad_input() {
    let owner = project("alpha").await;
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&owner, &p])).await;
    let own_instance = service.launch(&p.member_token, "mine").await;
    let foreign_instance = service.launch(&owner.member_token, "theirs").await;

    let cases = [
        (json!({"instance_id": own_instance, "name": "ab"}), "name"),
        (
            json!({"instance_id": own_instance, "name": "web#1"}),
            "name",
        ),
        (json!({"instance_id": own_instance}), "name"),
        (
            json!({"instance_id": "ami-12345678", "name": "web"}),
            "instance_id",
        ),
        (
            json!({"instance_id": foreign_instance, "name": "web"}),
            "instance_id",
        ),
        (
            json!({"instance_id": own_instance, "name": "web", "description": "x".repeat(256)}),
            "description",
        ),
        (
            json!({"instance_id": own_instance, "name": "web", "tags": {"aws-hybrid:user-id": "u"}}),
            "aws-hybrid:user-id",
        ),
        (
            json!({"instance_id": own_instance, "name": "web", "reboot": false}),
            "reboot",
        ),
    ];
    for (body, field) in cases {
        let item = error_item(create(&service, &p.member_token, body.clone()).await, 400).await;
        assert!(
            item["detail"].as_str().unwrap().contains(field),
            "{body}: {item}"
        );
    }
    let reader = create(
        &service,
        &p.reader_token,
        json!({"instance_id": own_instance, "name": "web"}),
    )
    .await;
    assert!(
        error_item(reader, 403).await["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:image:create")
    );
}

#[tokio::test]
async fn image_create_idempotent_with_key() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let instance_id = service.launch(&p.member_token, "web").await;
    let name = unique("once");
    let key = uuid::Uuid::new_v4().to_string();
    let send = |name: String| {
        service
            .post(
                "/v1/images",
                &p.member_token,
                json!({"image": {"instance_id": instance_id, "name": name}}),
            )
            .header("Idempotency-Key", &key)
            .send()
    };

    let first = send(name.clone()).await.unwrap();
    let retry = send(name.clone()).await.unwrap();
    assert_eq!(first.status(), 202);
    assert_eq!(retry.status(), 202);
    let first_id = first.json::<Value>().await.unwrap()["image"]["id"].clone();
    let retry_id = retry.json::<Value>().await.unwrap()["image"]["id"].clone();
    assert_eq!(first_id, retry_id);
    let named = ec2("alpha")
        .describe_images()
        .owners("self")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("name")
                .values(&name)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(named.images().len(), 1);

    let item = error_item(send(unique("other")).await.unwrap(), 400).await;
    assert!(
        item["detail"].as_str().unwrap().contains("Idempotency-Key"),
        "{item}"
    );
}

#[tokio::test]
async fn image_of_terminated_instance_conflicts() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let instance_id = service.launch(&p.member_token, "gone").await;
    let response = service
        .delete(&format!("/v1/instances/{instance_id}"), &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        service.instance_state(&p.member_token, &instance_id).await,
        "terminated"
    );

    let response = create(
        &service,
        &p.member_token,
        json!({"instance_id": instance_id, "name": unique("late")}),
    )
    .await;

    let item = error_item(response, 409).await;
    assert_eq!(item["code"], "aws-hybrid.instance.invalid_state");
    assert!(item["detail"].as_str().unwrap().contains("terminated"));
}

#[tokio::test]
async fn denied_create_image_is_forbidden() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let mut options = ServiceOptions::new(&[&p]);
    options.aws_endpoint = proxy.url.clone();
    let service = Service::start(options).await;
    let instance_id = service.launch(&p.member_token, "web").await;
    proxy
        .rule(
            json!({"action": "CreateImage", "status": 403, "code": "UnauthorizedOperation",
                     "message": "You are not authorized to perform this operation."}),
        )
        .await;

    let response = create(
        &service,
        &p.member_token,
        json!({"instance_id": instance_id, "name": unique("denied")}),
    )
    .await;

    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.aws_unauthorized");
    assert!(item["detail"].as_str().unwrap().contains("CreateImage"));
    assert_eq!(proxy.calls("CreateImage").await, 1);
}
