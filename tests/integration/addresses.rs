//! Elastic IP addresses: allocation, association with instances and network interfaces,
//! release, input checks, idempotent allocation, IAM denials and project isolation.
//!
//! The emulator hands out addresses in 127.0.0.0/8; no test sends traffic to one.

use serde_json::{Value, json};

use crate::common::{
    self, FaultProxy, Service, ServiceOptions, assert_show_and_delete_not_found, create_item, ec2,
    error_item, post_action, project, proxied_calls, service_behind, show_item, tag_value,
};

async fn allocate(service: &Service, token: &str, address: Value) -> Value {
    create_item(service, token, "addresses", "address", address, 201).await
}

async fn show(service: &Service, token: &str, id: &str) -> Value {
    show_item(service, token, "addresses", "address", id).await
}

async fn act(service: &Service, token: &str, id: &str, body: Value) -> reqwest::Response {
    post_action(service, token, "addresses", id, body).await
}

async fn listed_ids(service: &Service, token: &str, query: &str) -> Vec<String> {
    common::listed_ids(service, token, "addresses", query).await
}

/// Return the id of the primary network interface of an instance, read from EC2.
async fn primary_interface(account_name: &str, instance_id: &str) -> String {
    let described = ec2(account_name)
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .unwrap();
    let instance = &described.reservations()[0].instances()[0];
    instance.network_interfaces()[0]
        .network_interface_id()
        .unwrap()
        .to_owned()
}

fn associate_instance(instance_id: &str) -> Value {
    json!({"associate": {"instance_id": instance_id}})
}

#[tokio::test]
async fn address_lifecycle() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let web = service.launch(token, "eip-web").await;
    let db = service.launch(token, "eip-db").await;

    let response = service
        .post(
            "/v1/addresses",
            token,
            json!({"address": {"name": "public-web", "tags": {"team": "blue"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let request_id = response.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let address = &body["address"];
    let id = address["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("eipalloc-"), "{id}");
    assert_eq!(location, format!("{}/v1/addresses/{id}", service.url));
    assert_eq!(address["name"], "public-web");
    assert_eq!(address["tags"], json!({"team": "blue"}));
    assert_eq!(address["project_id"], p.id.as_str());
    assert_eq!(address["instance_id"], Value::Null);
    let public_ip = address["public_ip"].as_str().unwrap().to_owned();
    assert!(
        public_ip.parse::<std::net::Ipv4Addr>().is_ok(),
        "{public_ip}"
    );

    let described = ec2("alpha")
        .describe_addresses()
        .allocation_ids(&id)
        .send()
        .await
        .unwrap();
    let tags = described.addresses()[0].tags();
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

    assert_eq!(
        show(&service, &p.reader_token, &id).await["public_ip"],
        public_ip.as_str()
    );
    assert_eq!(listed_ids(&service, token, "").await, vec![id.clone()]);
    assert_eq!(
        listed_ids(&service, token, &format!("public_ip={public_ip}")).await,
        vec![id.clone()]
    );

    assert_eq!(
        act(&service, token, &id, associate_instance(&web))
            .await
            .status(),
        202
    );
    let associated = show(&service, token, &id).await;
    assert_eq!(associated["instance_id"], web.as_str());
    assert!(associated["association_id"].is_string(), "{associated}");
    assert!(
        associated["network_interface_id"].is_string(),
        "{associated}"
    );
    assert_eq!(
        listed_ids(&service, token, &format!("instance_id={web}")).await,
        vec![id.clone()]
    );
    assert!(
        listed_ids(&service, token, &format!("instance_id={db}"))
            .await
            .is_empty()
    );
    // Associating again with the same instance changes nothing.
    assert_eq!(
        act(&service, token, &id, associate_instance(&web))
            .await
            .status(),
        202
    );
    assert_eq!(
        show(&service, token, &id).await["association_id"],
        associated["association_id"]
    );

    // Moving it to another instance needs a disassociation first.
    let item = error_item(
        act(&service, token, &id, associate_instance(&db)).await,
        409,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.address.in_use");
    assert!(item["detail"].as_str().unwrap().contains(&web), "{item}");
    // So does a release.
    let response = service
        .delete(&format!("/v1/addresses/{id}"), token)
        .send()
        .await
        .unwrap();
    let item = error_item(response, 409).await;
    assert_eq!(item["code"], "aws-hybrid.address.in_use");

    assert_eq!(
        act(&service, token, &id, json!({"disassociate": null}))
            .await
            .status(),
        202
    );
    let free = show(&service, token, &id).await;
    assert_eq!(free["instance_id"], Value::Null);
    assert_eq!(free["association_id"], Value::Null);
    assert_eq!(
        act(&service, token, &id, json!({"disassociate": {}}))
            .await
            .status(),
        202
    );

    let response = service
        .delete(&format!("/v1/addresses/{id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = service
        .get(&format!("/v1/addresses/{id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_item(response, 404).await["code"],
        "aws-hybrid.address.not_found"
    );
}

#[tokio::test]
async fn address_associates_with_network_interface() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let instance_id = service.launch(token, "eni-host").await;
    let interface_id = primary_interface("alpha", &instance_id).await;
    let address = allocate(&service, token, json!({})).await;
    let id = address["id"].as_str().unwrap().to_owned();

    let response = act(
        &service,
        token,
        &id,
        json!({"associate": {"network_interface_id": interface_id}}),
    )
    .await;

    assert_eq!(response.status(), 202);
    let associated = show(&service, token, &id).await;
    assert_eq!(associated["network_interface_id"], interface_id.as_str());
    assert!(associated["private_ip_address"].is_string(), "{associated}");
    assert_eq!(
        act(&service, token, &id, json!({"disassociate": null}))
            .await
            .status(),
        202
    );
}

#[tokio::test]
async fn address_bad_input_names_field() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let instance_id = service.launch(token, "bad-input-host").await;
    let address = allocate(&service, token, json!({"name": "checks"})).await;
    let id = address["id"].as_str().unwrap().to_owned();

    let cases = [
        (
            json!({"associate": {"instance_id": "instance-1"}}),
            "instance_id",
        ),
        (
            json!({"associate": {"instance_id": "i-0123456789abcdef0"}}),
            "instance_id",
        ),
        (
            json!({"associate": {"network_interface_id": "eni-0123456789abcdef0"}}),
            "network_interface_id",
        ),
        (
            json!({"associate": {"network_interface_id": "nic-1"}}),
            "network_interface_id",
        ),
        (
            json!({"associate": {"instance_id": instance_id, "network_interface_id": "eni-12345678"}}),
            "exactly one",
        ),
        (json!({"associate": {}}), "exactly one"),
        (
            json!({"associate": {"instance_id": instance_id, "private_ip_address": "10.0.0.5"}}),
            "private_ip_address",
        ),
        (
            json!({"associate": {"network_interface_id": "eni-12345678", "private_ip_address": "10.0.0"}}),
            "private_ip_address",
        ),
    ];
    for (body, field) in cases {
        let item = error_item(act(&service, token, &id, body.clone()).await, 400).await;
        assert_eq!(item["code"], "aws-hybrid.invalid_parameter", "{body}");
        assert!(
            item["detail"].as_str().unwrap().contains(field),
            "{body}: {item}"
        );
    }
    for body in [
        json!({"associate": null}),
        json!({"release": null}),
        json!({"disassociate": {"force": true}}),
    ] {
        let item = error_item(act(&service, token, &id, body.clone()).await, 400).await;
        assert_eq!(item["code"], "aws-hybrid.invalid_action", "{body}");
    }
    for (query, field) in [
        ("public_ip=not-an-ip", "public_ip"),
        ("instance_id=i-1", "instance_id"),
    ] {
        let response = service
            .get(&format!("/v1/addresses?{query}"), token)
            .send()
            .await
            .unwrap();
        let item = error_item(response, 400).await;
        assert!(
            item["detail"].as_str().unwrap().contains(field),
            "{query}: {item}"
        );
    }
    let response = service
        .post(
            "/v1/addresses",
            token,
            json!({"address": {"tags": {"aws-hybrid:user-id": "x"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_item(response, 400).await["code"],
        "aws-hybrid.invalid_parameter"
    );
    let response = service
        .post(
            "/v1/addresses",
            token,
            json!({"address": {"domain": "standard"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_item(response, 400).await["code"],
        "aws-hybrid.invalid_body"
    );
    assert_eq!(
        show(&service, token, &id).await["association_id"],
        Value::Null
    );
}

#[tokio::test]
async fn address_isolation_between_projects() {
    let p = project("alpha").await;
    let neighbour = project("alpha").await;
    let stranger = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&p, &neighbour, &stranger])).await;
    let own_instance = service.launch(&p.member_token, "own-eip-host").await;
    let neighbour_instance = service
        .launch(&neighbour.member_token, "neighbour-eip-host")
        .await;
    let neighbour_interface = primary_interface("alpha", &neighbour_instance).await;
    let address = allocate(&service, &p.member_token, json!({"name": "mine"})).await;
    let id = address["id"].as_str().unwrap().to_owned();

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
            "addresses",
            &id,
            "aws-hybrid.address.not_found",
        )
        .await;
        let moved = act(
            &service,
            &other.member_token,
            &id,
            associate_instance(&own_instance),
        )
        .await;
        assert_eq!(
            error_item(moved, 404).await["code"],
            "aws-hybrid.address.not_found"
        );
    }
    // The owner cannot point its address at the neighbour's instance or network interface.
    let item = error_item(
        act(
            &service,
            &p.member_token,
            &id,
            associate_instance(&neighbour_instance),
        )
        .await,
        400,
    )
    .await;
    assert!(
        item["detail"].as_str().unwrap().contains("instance_id"),
        "{item}"
    );
    let body = json!({"associate": {"network_interface_id": neighbour_interface}});
    let item = error_item(act(&service, &p.member_token, &id, body).await, 400).await;
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("network_interface_id"),
        "{item}"
    );

    assert_eq!(
        show(&service, &p.member_token, &id).await["association_id"],
        Value::Null
    );
    assert_eq!(listed_ids(&service, &p.member_token, "").await, vec![id]);
}

#[tokio::test]
async fn address_allocation_idempotent_with_key() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let key = uuid::Uuid::new_v4().to_string();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = service
            .post(
                "/v1/addresses",
                &p.member_token,
                json!({"address": {"name": "once"}}),
            )
            .header("Idempotency-Key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        ids.push(body["address"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(
        listed_ids(&service, &p.member_token, "").await,
        vec![ids[0].clone()]
    );
}

#[tokio::test]
async fn address_iam_denial_is_403() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &[&p]).await;
    let address = allocate(&service, &p.member_token, json!({})).await;
    let instance_id = service.launch(&p.member_token, "denied-host").await;
    for action in ["AllocateAddress", "AssociateAddress"] {
        proxy
            .rule(
                json!({"action": action, "status": 403, "code": "UnauthorizedOperation",
                         "message": "You are not authorized to perform this operation."}),
            )
            .await;
    }

    let allocation = service
        .post("/v1/addresses", &p.member_token, json!({"address": {}}))
        .send()
        .await
        .unwrap();
    let association = act(
        &service,
        &p.member_token,
        address["id"].as_str().unwrap(),
        associate_instance(&instance_id),
    )
    .await;

    let item = error_item(allocation, 403).await;
    assert_eq!(item["code"], "aws-hybrid.aws_unauthorized");
    assert!(
        item["detail"].as_str().unwrap().contains("AllocateAddress"),
        "{item}"
    );
    let item = error_item(association, 403).await;
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("AssociateAddress"),
        "{item}"
    );
    assert_eq!(proxied_calls(&proxy, "AllocateAddress").await.len(), 2);
}
