//! EBS volumes: the lifecycle with attach and detach, input checks, volumes from snapshots,
//! idempotent creates, IAM denials and project isolation.

use serde_json::{Value, json};

use crate::common::{
    self, FaultProxy, Service, ServiceOptions, assert_show_and_delete_not_found, create_item, ec2,
    error_item, http, post_action, project, proxied_calls, service_behind, show_item, tag_value,
};

/// Create a volume and return its body; fails the test unless the service returns 202.
pub(crate) async fn create_volume(service: &Service, token: &str, volume: Value) -> Value {
    create_item(service, token, "volumes", "volume", volume, 202).await
}

async fn show_volume(service: &Service, token: &str, id: &str) -> Value {
    show_item(service, token, "volumes", "volume", id).await
}

async fn act(service: &Service, token: &str, id: &str, body: Value) -> reqwest::Response {
    post_action(service, token, "volumes", id, body).await
}

async fn listed_ids(service: &Service, token: &str, query: &str) -> Vec<String> {
    common::listed_ids(service, token, "volumes", query).await
}

/// Launch an instance and return its id and availability zone.
pub(crate) async fn instance_in_zone(
    service: &Service,
    token: &str,
    name: &str,
) -> (String, String) {
    let id = service.launch(token, name).await;
    let response = service
        .get(&format!("/v1/instances/{id}"), token)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let zone = body["instance"]["availability_zone"]
        .as_str()
        .expect("the instance has a zone")
        .to_owned();
    (id, zone)
}

fn attach(instance_id: &str, device: &str) -> Value {
    json!({"attach": {"instance_id": instance_id, "device": device}})
}

#[tokio::test]
async fn volume_lifecycle() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let (instance_id, zone) = instance_in_zone(&service, token, "vol-host").await;

    let response = service
        .post(
            "/v1/volumes",
            token,
            json!({"volume": {"name": "data-1", "size": 10, "volume_type": "gp3", "availability_zone": zone, "tags": {"team": "blue"}}}),
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
    let volume = &body["volume"];
    let id = volume["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/v1/volumes/{id}", service.url));
    assert_eq!(volume["name"], "data-1");
    assert_eq!(volume["size"], 10);
    assert_eq!(volume["volume_type"], "gp3");
    assert_eq!(volume["availability_zone"], zone.as_str());
    assert_eq!(volume["encrypted"], false);
    assert_eq!(volume["project_id"], p.id.as_str());
    assert_eq!(volume["tags"], json!({"team": "blue"}));

    // The AWS volume carries the project, user and request ids.
    let described = ec2("alpha")
        .describe_volumes()
        .volume_ids(&id)
        .send()
        .await
        .unwrap();
    let tags = described.volumes()[0].tags();
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
    assert_eq!(tag_value(tags, "Name").as_deref(), Some("data-1"));

    assert_eq!(
        show_volume(&service, &p.reader_token, &id).await["state"],
        "available"
    );
    assert_eq!(
        listed_ids(&service, token, "name=data-1").await,
        vec![id.clone()]
    );
    // The root volume of the instance carries the project's tags too, so it is listed.
    let listed: Value = service
        .get("/v1/volumes", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let volumes = listed["volumes"].as_array().unwrap();
    assert_eq!(volumes.len(), 2, "{listed}");
    assert!(volumes.iter().any(|v| v["id"] == id.as_str()));
    assert!(
        volumes
            .iter()
            .any(|v| v["attachments"][0]["instance_id"] == instance_id.as_str())
    );

    let response = act(&service, token, &id, attach(&instance_id, "/dev/sdf")).await;
    assert_eq!(response.status(), 202);
    let attached = show_volume(&service, token, &id).await;
    assert_eq!(attached["state"], "in-use");
    assert_eq!(
        attached["attachments"][0]["instance_id"],
        instance_id.as_str()
    );
    assert_eq!(attached["attachments"][0]["device"], "/dev/sdf");
    // Attaching again to the same instance and device changes nothing.
    let response = act(&service, token, &id, attach(&instance_id, "/dev/sdf")).await;
    assert_eq!(response.status(), 202);

    // An attached volume cannot be deleted.
    let response = service
        .delete(&format!("/v1/volumes/{id}"), token)
        .send()
        .await
        .unwrap();
    let item = error_item(response, 409).await;
    assert_eq!(item["code"], "aws-hybrid.volume.in_use");
    assert!(item["detail"].as_str().unwrap().contains(&instance_id));

    let response = act(&service, token, &id, json!({"detach": null})).await;
    assert_eq!(response.status(), 202);
    let detached = show_volume(&service, token, &id).await;
    assert_eq!(detached["state"], "available");
    assert_eq!(detached["attachments"], json!([]));
    // Detaching a detached volume changes nothing.
    let response = act(&service, token, &id, json!({"detach": {}})).await;
    assert_eq!(response.status(), 202);

    let response = service
        .delete(&format!("/v1/volumes/{id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = service
        .get(&format!("/v1/volumes/{id}"), token)
        .send()
        .await
        .unwrap();
    let item = error_item(response, 404).await;
    assert_eq!(item["code"], "aws-hybrid.volume.not_found");
}

#[tokio::test]
async fn volume_defaults_zone_and_type() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let zones: Value = service
        .get("/v1/availability-zones", &p.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first_zone = zones["availability_zones"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();

    let volume = create_volume(
        &service,
        &p.member_token,
        json!({"size": 1, "encrypted": true}),
    )
    .await;

    assert_eq!(volume["availability_zone"], first_zone.as_str());
    assert_eq!(volume["volume_type"], "gp2");
    assert_eq!(volume["encrypted"], true);
    assert_eq!(volume["name"], Value::Null);
}

#[tokio::test]
async fn volume_list_filters_match() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let a = create_volume(
        &service,
        token,
        json!({"name": "logs", "size": 1, "availability_zone": "us-east-1a"}),
    )
    .await;
    let b = create_volume(
        &service,
        token,
        json!({"name": "db", "size": 1, "availability_zone": "us-east-1b"}),
    )
    .await;
    let a = a["id"].as_str().unwrap().to_owned();
    let b = b["id"].as_str().unwrap().to_owned();
    let (instance_id, zone) = instance_in_zone(&service, token, "filter-host").await;
    let c = create_volume(
        &service,
        token,
        json!({"name": "attached", "size": 1, "availability_zone": zone}),
    )
    .await;
    let c = c["id"].as_str().unwrap().to_owned();
    assert_eq!(
        act(&service, token, &c, attach(&instance_id, "/dev/xvdg"))
            .await
            .status(),
        202
    );

    assert_eq!(
        listed_ids(&service, token, "name=logs").await,
        vec![a.clone()]
    );
    assert_eq!(
        listed_ids(&service, token, "availability_zone=us-east-1b").await,
        vec![b.clone()]
    );
    // The instance's root volume is in use too.
    let in_use = listed_ids(&service, token, "state=in-use").await;
    assert!(in_use.contains(&c), "{in_use:?}");
    assert!(!in_use.contains(&a), "{in_use:?}");
    assert!(!in_use.contains(&b), "{in_use:?}");
    let mut available = listed_ids(&service, token, "state=available").await;
    available.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(available, expected);
    assert!(
        listed_ids(&service, token, "name=nothing-has-this")
            .await
            .is_empty()
    );

    // Pages of one follow each other in id order and end without a next link.
    let all = listed_ids(&service, token, "").await;
    assert_eq!(all.len(), 4, "{all:?}");
    assert!(all.is_sorted(), "{all:?}");
    let mut seen = Vec::new();
    let mut url = format!("{}/v1/volumes?limit=1", service.url);
    loop {
        let body: Value = http()
            .get(&url)
            .header("X-Auth-Token", token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            body["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_owned()),
        );
        match body["volumes_links"][0]["href"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
        assert!(seen.len() <= all.len(), "the pages do not end");
    }
    assert_eq!(seen, all);
}

#[tokio::test]
async fn volume_bad_input_names_field() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let cases = [
        (json!({"volume_type": "gp2"}), "size"),
        (json!({"size": 0}), "size"),
        (json!({"size": -5}), "size"),
        (json!({"size": 100, "volume_type": "st1"}), "125"),
        (json!({"size": 2048, "volume_type": "standard"}), "1024"),
        (json!({"size": 70000, "volume_type": "gp3"}), "65536"),
        (json!({"size": 10, "volume_type": "io1"}), "iops"),
        (
            json!({"size": 10, "volume_type": "io2", "iops": 50}),
            "iops",
        ),
        (
            json!({"size": 10, "volume_type": "gp2", "iops": 3000}),
            "iops",
        ),
        (
            json!({"size": 10, "volume_type": "gp2", "throughput": 200}),
            "throughput",
        ),
        (json!({"size": 10, "volume_type": "ssd"}), "volume_type"),
        (
            json!({"size": 10, "availability_zone": "us-east-1z"}),
            "availability_zone",
        ),
        (
            json!({"size": 10, "snapshot_id": "snapshot-1"}),
            "snapshot_id",
        ),
        (
            json!({"size": 10, "tags": {"aws-hybrid:project-id": "other"}}),
            "aws-hybrid:project-id",
        ),
        (json!({"size": 10, "name": ""}), "name"),
    ];
    for (volume, field) in cases {
        let response = service
            .post("/v1/volumes", &p.member_token, json!({ "volume": volume }))
            .send()
            .await
            .unwrap();
        let item = error_item(response, 400).await;
        assert_eq!(item["code"], "aws-hybrid.invalid_parameter", "{volume}");
        assert!(
            item["detail"].as_str().unwrap().contains(field),
            "{volume}: {item}"
        );
    }

    let response = service
        .post(
            "/v1/volumes",
            &p.member_token,
            json!({"volume": {"size": 1, "iops_limit": 3}}),
        )
        .send()
        .await
        .unwrap();
    let item = error_item(response, 400).await;
    assert_eq!(item["code"], "aws-hybrid.invalid_body");

    // Nothing reached AWS for the project.
    let listed = listed_ids(&service, &p.member_token, "").await;
    assert!(listed.is_empty(), "{listed:?}");
}

#[tokio::test]
async fn volume_bad_attach_names_field() {
    let p = project("alpha").await;
    let other = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p, &other])).await;
    let token = &p.member_token;
    let (instance_id, zone) = instance_in_zone(&service, token, "attach-host").await;
    let (foreign_instance, _) =
        instance_in_zone(&service, &other.member_token, "foreign-host").await;
    let volume = create_volume(
        &service,
        token,
        json!({"size": 1, "availability_zone": zone}),
    )
    .await;
    let id = volume["id"].as_str().unwrap().to_owned();

    let cases = [
        (attach(&instance_id, "/dev/sda1"), "device"),
        (attach(&instance_id, "xvdf"), "device"),
        (attach("vol-12345678", "/dev/sdf"), "instance_id"),
        (attach(&foreign_instance, "/dev/sdf"), "instance_id"),
        (attach("i-0123456789abcdef0", "/dev/sdf"), "instance_id"),
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
        json!({"attach": {"instance_id": instance_id}}),
        json!({"extend": null}),
        json!({"detach": {"force": true}}),
    ] {
        let item = error_item(act(&service, token, &id, body.clone()).await, 400).await;
        assert_eq!(item["code"], "aws-hybrid.invalid_action", "{body}");
    }
    assert_eq!(
        show_volume(&service, token, &id).await["state"],
        "available"
    );
}

#[tokio::test]
async fn attach_checks_zone_and_device() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let (instance_id, zone) = instance_in_zone(&service, token, "zone-host").await;
    let other_zone = if zone == "us-east-1a" {
        "us-east-1b"
    } else {
        "us-east-1a"
    };
    let far = create_volume(
        &service,
        token,
        json!({"size": 1, "availability_zone": other_zone}),
    )
    .await;
    let first = create_volume(
        &service,
        token,
        json!({"size": 1, "availability_zone": zone}),
    )
    .await;
    let second = create_volume(
        &service,
        token,
        json!({"size": 1, "availability_zone": zone}),
    )
    .await;
    let (far, first, second) = (
        far["id"].as_str().unwrap().to_owned(),
        first["id"].as_str().unwrap().to_owned(),
        second["id"].as_str().unwrap().to_owned(),
    );

    let item = error_item(
        act(&service, token, &far, attach(&instance_id, "/dev/sdf")).await,
        400,
    )
    .await;
    assert!(
        item["detail"].as_str().unwrap().contains(other_zone),
        "{item}"
    );

    assert_eq!(
        act(&service, token, &first, attach(&instance_id, "/dev/sdf"))
            .await
            .status(),
        202
    );
    let item = error_item(
        act(&service, token, &second, attach(&instance_id, "/dev/sdf")).await,
        409,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.volume.device_in_use");
    assert!(
        item["detail"].as_str().unwrap().contains("/dev/sdf"),
        "{item}"
    );
    // The attached volume cannot go to another device while attached.
    let item = error_item(
        act(&service, token, &first, attach(&instance_id, "/dev/sdg")).await,
        409,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.volume.in_use");

    // A terminated instance takes no volume.
    let response = service
        .delete(&format!("/v1/instances/{instance_id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let item = error_item(
        act(&service, token, &second, attach(&instance_id, "/dev/sdh")).await,
        409,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.instance.invalid_state");
}

#[tokio::test]
async fn detach_names_instance_and_device() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &[&p]).await;
    let token = &p.member_token;
    let (instance_id, zone) = instance_in_zone(&service, token, "detach-host").await;
    let volume = create_volume(
        &service,
        token,
        json!({"size": 1, "availability_zone": zone}),
    )
    .await;
    let id = volume["id"].as_str().unwrap().to_owned();
    assert_eq!(
        act(&service, token, &id, attach(&instance_id, "/dev/sdk"))
            .await
            .status(),
        202
    );

    assert_eq!(
        act(&service, token, &id, json!({"detach": null}))
            .await
            .status(),
        202
    );

    let calls = proxied_calls(&proxy, "DetachVolume").await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["params"]["VolumeId"], id.as_str());
    assert_eq!(calls[0]["params"]["InstanceId"], instance_id.as_str());
    assert_eq!(calls[0]["params"]["Device"], "/dev/sdk");
    assert_eq!(calls[0]["status"], 200);
}

#[tokio::test]
async fn volume_from_snapshot() {
    let p = project("alpha").await;
    let other = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p, &other])).await;
    let token = &p.member_token;
    let source = create_volume(&service, token, json!({"size": 8, "volume_type": "gp3"})).await;
    let response = service
        .post(
            "/v1/snapshots",
            token,
            json!({"snapshot": {"volume_id": source["id"]}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let snapshot: Value = response.json().await.unwrap();
    let snapshot_id = snapshot["snapshot"]["id"].as_str().unwrap().to_owned();

    let copy = create_volume(&service, token, json!({"snapshot_id": snapshot_id})).await;
    assert_eq!(copy["size"], 8);
    assert_eq!(copy["snapshot_id"], snapshot_id.as_str());
    let bigger = create_volume(
        &service,
        token,
        json!({"snapshot_id": snapshot_id, "size": 20}),
    )
    .await;
    assert_eq!(bigger["size"], 20);

    // Smaller than the snapshot: a 400 that names size and the snapshot's size.
    let response = service
        .post(
            "/v1/volumes",
            token,
            json!({"volume": {"snapshot_id": snapshot_id, "size": 4}}),
        )
        .send()
        .await
        .unwrap();
    let item = error_item(response, 400).await;
    let detail = item["detail"].as_str().unwrap();
    assert!(detail.contains("size"), "{detail}");
    assert!(detail.contains('8'), "{detail}");

    // Another project of the same account cannot use the snapshot.
    for body in [
        json!({"snapshot_id": snapshot_id}),
        json!({"snapshot_id": snapshot_id, "size": 10}),
    ] {
        let response = service
            .post(
                "/v1/volumes",
                &other.member_token,
                json!({ "volume": body }),
            )
            .send()
            .await
            .unwrap();
        let item = error_item(response, 400).await;
        assert!(
            item["detail"].as_str().unwrap().contains("snapshot_id"),
            "{item}"
        );
    }
}

#[tokio::test]
async fn volume_isolation_between_projects() {
    let p = project("alpha").await;
    let neighbour = project("alpha").await;
    let stranger = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&p, &neighbour, &stranger])).await;
    let (instance_id, zone) = instance_in_zone(&service, &p.member_token, "own-host").await;
    let volume = create_volume(
        &service,
        &p.member_token,
        json!({"name": "private", "size": 1, "availability_zone": zone}),
    )
    .await;
    let id = volume["id"].as_str().unwrap().to_owned();
    let (neighbour_instance, _) =
        instance_in_zone(&service, &neighbour.member_token, "neighbour-host").await;

    let owned = listed_ids(&service, &p.member_token, "").await;
    assert!(owned.contains(&id), "{owned:?}");
    for other in [&neighbour, &stranger] {
        let seen = listed_ids(&service, &other.member_token, "").await;
        assert!(
            seen.iter().all(|v| !owned.contains(v)),
            "{seen:?} overlaps {owned:?}"
        );
        assert!(
            listed_ids(&service, &other.member_token, "name=private")
                .await
                .is_empty()
        );
        assert_show_and_delete_not_found(
            &service,
            &other.member_token,
            "volumes",
            &id,
            "aws-hybrid.volume.not_found",
        )
        .await;
        let attach_foreign = act(
            &service,
            &other.member_token,
            &id,
            attach(&instance_id, "/dev/sdf"),
        )
        .await;
        assert_eq!(
            error_item(attach_foreign, 404).await["code"],
            "aws-hybrid.volume.not_found"
        );
        let detach_foreign = act(&service, &other.member_token, &id, json!({"detach": null})).await;
        assert_eq!(
            error_item(detach_foreign, 404).await["code"],
            "aws-hybrid.volume.not_found"
        );
    }
    // The owner cannot attach its volume to the neighbour's instance either.
    let item = error_item(
        act(
            &service,
            &p.member_token,
            &id,
            attach(&neighbour_instance, "/dev/sdf"),
        )
        .await,
        400,
    )
    .await;
    assert!(
        item["detail"].as_str().unwrap().contains("instance_id"),
        "{item}"
    );

    assert_eq!(
        show_volume(&service, &p.member_token, &id).await["state"],
        "available"
    );
    assert_eq!(listed_ids(&service, &p.member_token, "").await, owned);
}

#[tokio::test]
async fn volume_create_idempotent_with_key() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let key = uuid::Uuid::new_v4().to_string();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = service
            .post(
                "/v1/volumes",
                &p.member_token,
                json!({"volume": {"name": "once", "size": 2}}),
            )
            .header("Idempotency-Key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        let body: Value = response.json().await.unwrap();
        ids.push(body["volume"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(
        listed_ids(&service, &p.member_token, "name=once").await,
        vec![ids[0].clone()]
    );

    // Another key makes another volume.
    let response = service
        .post(
            "/v1/volumes",
            &p.member_token,
            json!({"volume": {"name": "once", "size": 2}}),
        )
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(
        listed_ids(&service, &p.member_token, "name=once")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn volume_iam_denial_is_403() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &[&p]).await;
    proxy
        .rule(
            json!({"action": "CreateVolume", "status": 403, "code": "UnauthorizedOperation",
                     "message": "You are not authorized to perform this operation."}),
        )
        .await;

    let response = service
        .post(
            "/v1/volumes",
            &p.member_token,
            json!({"volume": {"size": 1}}),
        )
        .send()
        .await
        .unwrap();

    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.aws_unauthorized");
    assert!(
        item["detail"].as_str().unwrap().contains("CreateVolume"),
        "{item}"
    );
    assert_eq!(proxied_calls(&proxy, "CreateVolume").await.len(), 1);
}

#[tokio::test]
async fn volume_reader_cannot_create() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;

    let create = service
        .post(
            "/v1/volumes",
            &p.reader_token,
            json!({"volume": {"size": 1}}),
        )
        .send()
        .await
        .unwrap();
    let list = service
        .get("/v1/volumes", &p.reader_token)
        .send()
        .await
        .unwrap();

    let item = error_item(create, 403).await;
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:volume:create"),
        "{item}"
    );
    assert_eq!(list.status(), 200);
}
