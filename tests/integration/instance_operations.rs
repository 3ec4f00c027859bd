//! Instance additions: resize, console output, EBS block device mappings at launch, the
//! instance metadata service options, and idempotent launches.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{
    FaultProxy, Project, Service, ServiceOptions, TEST_AMI, ec2, error_item, project,
};

async fn aws_instance(account_name: &str, id: &str) -> aws_sdk_ec2::types::Instance {
    let output = ec2(account_name)
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .unwrap();
    output.reservations()[0].instances()[0].clone()
}

async fn act(service: &Service, token: &str, id: &str, body: Value) -> reqwest::Response {
    service
        .post(&format!("/v1/instances/{id}/action"), token, body)
        .send()
        .await
        .unwrap()
}

fn resize_to(instance_type: &str) -> Value {
    json!({"resize": {"instance_type": instance_type}})
}

async fn instance_body(service: &Service, token: &str, id: &str) -> Value {
    let body: Value = service
        .get(&format!("/v1/instances/{id}"), token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["instance"].clone()
}

/// Poll until the instance reports `state`; panics after 30 seconds.
async fn wait_for_state(service: &Service, token: &str, id: &str, state: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while service.instance_state(token, id).await != state {
        assert!(Instant::now() < deadline, "{id} never reached {state}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn launch(service: &Service, token: &str, instance: Value) -> reqwest::Response {
    service
        .post("/v1/instances", token, json!({ "instance": instance }))
        .send()
        .await
        .unwrap()
}

async fn stopped_instance(service: &Service, p: &Project, instance_type: &str) -> String {
    let response = launch(
        service,
        &p.member_token,
        json!({"image_id": TEST_AMI, "instance_type": instance_type}),
    )
    .await;
    assert_eq!(response.status(), 202);
    let id = response.json::<Value>().await.unwrap()["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stop = act(service, &p.member_token, &id, json!({"stop": null})).await;
    assert_eq!(stop.status(), 202);
    wait_for_state(service, &p.member_token, &id, "stopped").await;
    id
}

#[tokio::test]
async fn resize_needs_stopped_instance() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let id = service.launch(&p.member_token, "web").await;

    let item = error_item(
        act(&service, &p.member_token, &id, resize_to("t3.large")).await,
        409,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.instance.invalid_state");
    assert!(
        item["detail"].as_str().unwrap().contains("running"),
        "{item}"
    );
    assert_eq!(
        aws_instance("alpha", &id)
            .await
            .instance_type()
            .unwrap()
            .as_str(),
        "t3.micro"
    );

    let stop = act(&service, &p.member_token, &id, json!({"stop": null})).await;
    assert_eq!(stop.status(), 202);
    wait_for_state(&service, &p.member_token, &id, "stopped").await;
    let response = act(&service, &p.member_token, &id, resize_to("t3.large")).await;
    assert_eq!(response.status(), 202);

    assert_eq!(
        instance_body(&service, &p.member_token, &id).await["instance_type"],
        "t3.large"
    );
    assert_eq!(
        aws_instance("alpha", &id)
            .await
            .instance_type()
            .unwrap()
            .as_str(),
        "t3.large"
    );
    // The same type again changes nothing and is not an error.
    let again = act(&service, &p.member_token, &id, resize_to("t3.large")).await;
    assert_eq!(again.status(), 202);
}

#[tokio::test]
async fn resize_rejects_bad_input() {
    let p = project("alpha").await;
    let other = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p, &other])).await;
    let id = stopped_instance(&service, &p, "t3.micro").await;

    let cases = [
        (resize_to("t3.enormous"), "instance_type"),
        (resize_to("T3.large"), "instance_type"),
        (json!({"resize": {}}), "instance_type"),
        (json!({"resize": null}), "resize"),
        (
            json!({"resize": {"instance_type": "t3.large", "force": true}}),
            "force",
        ),
    ];
    for (body, field) in cases {
        let item = error_item(act(&service, &p.member_token, &id, body.clone()).await, 400).await;
        assert!(
            item["detail"].as_str().unwrap().contains(field),
            "{body}: {item}"
        );
    }
    assert_eq!(
        aws_instance("alpha", &id)
            .await
            .instance_type()
            .unwrap()
            .as_str(),
        "t3.micro"
    );

    let item = error_item(
        act(&service, &other.member_token, &id, resize_to("t3.large")).await,
        404,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.instance.not_found");
    let item = error_item(
        act(&service, &p.reader_token, &id, resize_to("t3.large")).await,
        403,
    )
    .await;
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:instance:action:resize")
    );
}

#[tokio::test]
async fn resize_respects_guardrails() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    options.mapping_fields = "allowed_instance_types = t3.*, t2.micro\nmax_vcpus = 3\n".into();
    let service = Service::start(options).await;
    // Stopped instances do not count, so the running one uses 2 of the 3 vCPUs.
    let stopped = stopped_instance(&service, &p, "t3.micro").await;
    service.launch(&p.member_token, "running").await;

    let item = error_item(
        act(&service, &p.member_token, &stopped, resize_to("m5.large")).await,
        403,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.instance_type");
    let item = error_item(
        act(&service, &p.member_token, &stopped, resize_to("t3.xlarge")).await,
        403,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.max_vcpus");
    assert_eq!(
        aws_instance("alpha", &stopped)
            .await
            .instance_type()
            .unwrap()
            .as_str(),
        "t3.micro"
    );

    let response = act(&service, &p.member_token, &stopped, resize_to("t2.micro")).await;
    assert_eq!(response.status(), 202);
    assert_eq!(
        aws_instance("alpha", &stopped)
            .await
            .instance_type()
            .unwrap()
            .as_str(),
        "t2.micro"
    );
}

#[tokio::test]
async fn denied_resize_is_forbidden() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let mut options = ServiceOptions::new(&[&p]);
    options.aws_endpoint = proxy.url.clone();
    let service = Service::start(options).await;
    let id = stopped_instance(&service, &p, "t3.micro").await;
    proxy
        .rule(json!({"action": "ModifyInstanceAttribute", "status": 403, "code": "UnauthorizedOperation",
                     "message": "You are not authorized to perform this operation."}))
        .await;

    let item = error_item(
        act(&service, &p.member_token, &id, resize_to("t3.large")).await,
        403,
    )
    .await;

    assert_eq!(item["code"], "aws-hybrid.aws_unauthorized");
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("ModifyInstanceAttribute")
    );
}

#[tokio::test]
async fn console_output_is_text() {
    let p = project("alpha").await;
    let other = project("alpha").await;
    let other_account = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&p, &other, &other_account])).await;
    let id = service.launch(&p.member_token, "web").await;
    let path = format!("/v1/instances/{id}/console-output");

    let response = service.get(&path, &p.member_token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let output = body["console_output"]["output"].as_str().unwrap();
    // The emulator's canned boot log, decoded from base64.
    assert!(output.starts_with("Linux version"), "{output}");
    assert!(output.lines().count() > 2);
    assert_eq!(body["console_output"]["instance_id"], id.as_str());
    assert!(body["console_output"]["updated_at"].is_string());

    let tail: Value = service
        .get(&format!("{path}?length=2"), &p.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tail = tail["console_output"]["output"].as_str().unwrap();
    assert_eq!(tail.lines().count(), 2);
    assert!(output.ends_with(tail));

    let item = error_item(
        service
            .get(&format!("{path}?length=0"), &p.member_token)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(item["detail"].as_str().unwrap().contains("length"));
    for outsider in [&other, &other_account] {
        let response = service
            .get(&path, &outsider.member_token)
            .send()
            .await
            .unwrap();
        let item = error_item(response, 404).await;
        assert_eq!(item["code"], "aws-hybrid.instance.not_found");
    }
    let item = error_item(
        service.get(&path, &p.reader_token).send().await.unwrap(),
        403,
    )
    .await;
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:instance:console-output")
    );
}

#[tokio::test]
async fn denied_console_output_is_forbidden() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let mut options = ServiceOptions::new(&[&p]);
    options.aws_endpoint = proxy.url.clone();
    let service = Service::start(options).await;
    let id = service.launch(&p.member_token, "web").await;
    proxy
        .rule(
            json!({"action": "GetConsoleOutput", "status": 403, "code": "UnauthorizedOperation",
                     "message": "You are not authorized to perform this operation."}),
        )
        .await;

    let response = service
        .get(
            &format!("/v1/instances/{id}/console-output"),
            &p.member_token,
        )
        .send()
        .await
        .unwrap();

    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.aws_unauthorized");
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("GetConsoleOutput")
    );
}

#[tokio::test]
async fn launch_with_block_devices() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;

    let response = launch(
        &service,
        &p.member_token,
        json!({"image_id": TEST_AMI, "instance_type": "t3.micro", "block_device_mappings": [
            {"device_name": "/dev/sdf", "volume_size": 125, "volume_type": "st1",
             "encrypted": true, "delete_on_termination": false},
            {"device_name": "/dev/sdg", "volume_size": 8}
        ]}),
    )
    .await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let id = response.json::<Value>().await.unwrap()["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let body = instance_body(&service, &p.member_token, &id).await;
    let devices = body["block_device_mappings"].as_array().unwrap();
    let device = |name: &str| {
        devices
            .iter()
            .find(|d| d["device_name"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {devices:?}"))
            .clone()
    };
    let sdf = device("/dev/sdf");
    let sdg = device("/dev/sdg");
    assert_eq!(sdf["delete_on_termination"], false);
    assert_eq!(sdg["delete_on_termination"], true);
    assert_eq!(sdf["status"], "attached");

    let volumes = ec2("alpha")
        .describe_volumes()
        .volume_ids(sdf["volume_id"].as_str().unwrap())
        .volume_ids(sdg["volume_id"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let volume = |id: &Value| {
        volumes
            .volumes()
            .iter()
            .find(|v| v.volume_id() == id.as_str())
            .unwrap()
            .clone()
    };
    let first = volume(&sdf["volume_id"]);
    let second = volume(&sdg["volume_id"]);
    assert_eq!(first.size(), Some(125));
    assert_eq!(first.volume_type().unwrap().as_str(), "st1");
    assert_eq!(first.encrypted(), Some(true));
    assert_eq!(second.size(), Some(8));
    assert_eq!(second.volume_type().unwrap().as_str(), "gp3");
    assert_eq!(second.encrypted(), Some(false));
    // The volumes carry the instance's project tag, like the instance.
    let project_tag = first
        .tags()
        .iter()
        .find(|t| t.key() == Some("aws-hybrid:project-id"))
        .and_then(|t| t.value());
    assert_eq!(project_tag, Some(p.id.as_str()));
}

#[tokio::test]
async fn bad_block_devices_never_reach_aws() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let mut options = ServiceOptions::new(&[&p]);
    options.aws_endpoint = proxy.url.clone();
    let service = Service::start(options).await;
    let mapping = |extra: Value| {
        let mut device = json!({"device_name": "/dev/sdf", "volume_size": 10});
        device
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"image_id": TEST_AMI, "instance_type": "t3.micro", "block_device_mappings": [device]})
    };

    let cases = [
        (
            mapping(json!({"device_name": "/dev/nvme1n1"})),
            "block_device_mappings[0].device_name",
        ),
        (
            mapping(json!({"volume_size": 0})),
            "block_device_mappings[0].volume_size",
        ),
        (
            mapping(json!({"volume_size": 70000})),
            "block_device_mappings[0].volume_size",
        ),
        (
            mapping(json!({"volume_type": "st1"})),
            "between 125 and 16384",
        ),
        (
            mapping(json!({"volume_type": "io2"})),
            "block_device_mappings[0].volume_type",
        ),
        (
            mapping(json!({"volume_type": "gp9"})),
            "block_device_mappings[0].volume_type",
        ),
        (mapping(json!({"iops": 3000})), "iops"),
        (mapping(json!({"volume_size": "ten"})), "volume_size"),
        (
            json!({"image_id": TEST_AMI, "instance_type": "t3.micro", "block_device_mappings": [
                {"device_name": "/dev/sdf", "volume_size": 10}, {"device_name": "/dev/sdf", "volume_size": 20}]}),
            "block_device_mappings[1].device_name",
        ),
        (
            json!({"image_id": TEST_AMI, "instance_type": "t3.micro", "block_device_mappings": [{"volume_size": 10}]}),
            "device_name",
        ),
    ];
    for (body, expected) in cases {
        let item = error_item(launch(&service, &p.member_token, body.clone()).await, 400).await;
        assert!(
            item["detail"].as_str().unwrap().contains(expected),
            "{body}: {item}"
        );
    }
    assert_eq!(proxy.calls("RunInstances").await, 0);
}

#[tokio::test]
async fn launch_requires_imdsv2_by_default() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let id = service.launch(&p.member_token, "web").await;

    let body = instance_body(&service, &p.member_token, &id).await;
    assert_eq!(body["metadata_options"]["http_tokens"], "required");
    assert_eq!(body["metadata_options"]["http_put_response_hop_limit"], 1);
    assert_eq!(body["metadata_options"]["http_endpoint"], "enabled");

    let instance = aws_instance("alpha", &id).await;
    let options = instance.metadata_options().unwrap();
    assert_eq!(options.http_tokens().unwrap().as_str(), "required");
    assert_eq!(options.http_put_response_hop_limit(), Some(1));
}

#[tokio::test]
async fn metadata_options_follow_configuration() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    options.env = vec![
        ("OS_AWS__INSTANCE_METADATA_TOKENS".into(), "optional".into()),
        ("OS_AWS__INSTANCE_METADATA_HOP_LIMIT".into(), "2".into()),
    ];
    let service = Service::start(options).await;
    let id = service.launch(&p.member_token, "legacy").await;

    let instance = aws_instance("alpha", &id).await;
    let options = instance.metadata_options().unwrap();
    assert_eq!(options.http_tokens().unwrap().as_str(), "optional");
    assert_eq!(options.http_put_response_hop_limit(), Some(2));
    let body = instance_body(&service, &p.member_token, &id).await;
    assert_eq!(body["metadata_options"]["http_tokens"], "optional");
}

/// List the project's instances as EC2 has them, by their project tag.
async fn aws_instances_of(
    account_name: &str,
    project_id: &str,
) -> Vec<aws_sdk_ec2::types::Instance> {
    let output = ec2(account_name)
        .describe_instances()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:aws-hybrid:project-id")
                .values(project_id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    output
        .reservations()
        .iter()
        .flat_map(|r| r.instances().iter().cloned())
        .collect()
}

#[tokio::test]
async fn launch_idempotent_with_key() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let key = uuid::Uuid::new_v4().to_string();
    let send = |instance_type: &'static str| {
        service
            .post(
                "/v1/instances",
                &p.member_token,
                json!({"instance": {"name": "once", "image_id": TEST_AMI, "instance_type": instance_type}}),
            )
            .header("Idempotency-Key", &key)
            .send()
    };

    let first = send("t3.micro").await.unwrap();
    assert_eq!(first.status(), 202);
    let first_request = first.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let first_id = first.json::<Value>().await.unwrap()["instance"]["id"].clone();
    let retry = send("t3.micro").await.unwrap();
    assert_eq!(retry.status(), 202);
    let retry_id = retry.json::<Value>().await.unwrap()["instance"]["id"].clone();

    assert_eq!(first_id, retry_id);
    let instances = aws_instances_of("alpha", &p.id).await;
    assert_eq!(instances.len(), 1);
    // The instance keeps the id of the request that launched it.
    let request_tag = instances[0]
        .tags()
        .iter()
        .find(|t| t.key() == Some("aws-hybrid:request-id"))
        .and_then(|t| t.value())
        .map(str::to_owned);
    assert_eq!(request_tag.as_deref(), Some(first_request.as_str()));

    let item = error_item(send("t3.small").await.unwrap(), 400).await;
    assert!(
        item["detail"].as_str().unwrap().contains("Idempotency-Key"),
        "{item}"
    );
    assert_eq!(aws_instances_of("alpha", &p.id).await.len(), 1);
}
