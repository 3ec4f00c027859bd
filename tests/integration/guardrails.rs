//! Per-project guardrails of the tenant mapping file, enforced before a launch and before a
//! stopped instance starts: each breach is a 403 whose detail names what was requested, what is
//! allowed and what is in use, and nothing reaches AWS.

use serde_json::{Value, json};

use crate::common::{Service, ServiceOptions, TEST_AMI, error_item, project};

async fn launch(
    service: &Service,
    token: &str,
    instance_type: &str,
    count: u32,
) -> reqwest::Response {
    let body =
        json!({"instance": {"image_id": TEST_AMI, "instance_type": instance_type, "count": count}});
    service
        .post("/v1/instances", token, body)
        .send()
        .await
        .unwrap()
}

async fn launched_id(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    body["instance"]["id"].as_str().unwrap().to_owned()
}

async fn listed_ids(service: &Service, token: &str) -> Vec<String> {
    let body: Value = service
        .get("/v1/instances", token)
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

fn detail(item: &Value) -> &str {
    item["detail"].as_str().unwrap()
}

#[tokio::test]
async fn instance_limit_rejects_second_launch() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    options.mapping_fields = "max_instances = 1\n".into();
    let service = Service::start(options).await;

    let first = launched_id(launch(&service, &p.member_token, "t3.micro", 1).await).await;
    let item = error_item(launch(&service, &p.member_token, "t3.micro", 1).await, 403).await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.max_instances");
    let text = detail(&item);
    assert!(
        text.contains("1 more instance(s) would make 2 active"),
        "{text}"
    );
    assert!(text.contains("limit of 1"), "{text}");
    assert!(text.contains("1 are active now"), "{text}");
    assert_eq!(
        listed_ids(&service, &p.member_token).await,
        vec![first.clone()]
    );

    let response = service
        .delete(&format!("/v1/instances/{first}"), &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let second = launched_id(launch(&service, &p.member_token, "t3.micro", 1).await).await;
    assert_ne!(second, first);
}

/// Launches that arrive together take turns, so only as many as the limit allows pass.
#[tokio::test]
async fn simultaneous_launches_respect_limit() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    options.mapping_fields = "max_instances = 1\n".into();
    let service = Service::start(options).await;

    let token = &p.member_token;
    let responses = tokio::join!(
        launch(&service, token, "t3.micro", 1),
        launch(&service, token, "t3.micro", 1),
        launch(&service, token, "t3.micro", 1),
        launch(&service, token, "t3.micro", 1),
    );

    let (a, b, c, d) = responses;
    let mut statuses: Vec<u16> = [a, b, c, d].iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [202, 403, 403, 403]);
    assert_eq!(listed_ids(&service, &p.member_token).await.len(), 1);
}

/// A launch retried with its Idempotency-Key gets the first launch's instance even when that
/// launch used up the limit; a new key is still refused.
#[tokio::test]
async fn retried_launch_at_limit_gets_first_instance() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    options.mapping_fields = "max_instances = 1\n".into();
    let service = Service::start(options).await;
    let body = json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro"}});
    let launch_with_key = |key: &'static str| {
        service
            .post("/v1/instances", &p.member_token, body.clone())
            .header("Idempotency-Key", key)
            .send()
    };

    let first = launched_id(launch_with_key("retry-1").await.unwrap()).await;
    let retried = launched_id(launch_with_key("retry-1").await.unwrap()).await;
    let other = launch_with_key("retry-2").await.unwrap();

    assert_eq!(retried, first);
    let item = error_item(other, 403).await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.max_instances");
    assert_eq!(listed_ids(&service, &p.member_token).await, vec![first]);
}

/// The emulator gives t3.micro 2 vCPUs, so a limit of 3 admits one instance but not two.
#[tokio::test]
async fn vcpu_limit_counts_every_requested_instance() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    options.mapping_fields = "max_vcpus = 3\n".into();
    let service = Service::start(options).await;

    let item = error_item(launch(&service, &p.member_token, "t3.micro", 2).await, 403).await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.max_vcpus");
    let text = detail(&item);
    assert!(
        text.contains("4 more vCPU(s) would make 4 in use"),
        "{text}"
    );
    assert!(text.contains("limit of 3"), "{text}");
    assert!(text.contains("0 are in use now"), "{text}");
    assert!(listed_ids(&service, &p.member_token).await.is_empty());

    let id = launched_id(launch(&service, &p.member_token, "t3.micro", 1).await).await;
    let item = error_item(launch(&service, &p.member_token, "t3.micro", 1).await, 403).await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.max_vcpus");
    let text = detail(&item);
    assert!(text.contains("2 are in use now"), "{text}");
    assert_eq!(listed_ids(&service, &p.member_token).await, vec![id]);
}

#[tokio::test]
async fn instance_type_outside_patterns_rejected() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    options.mapping_fields = "allowed_instance_types = t3.*, t2.micro\n".into();
    let service = Service::start(options).await;

    let item = error_item(launch(&service, &p.member_token, "m5.large", 1).await, 403).await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.instance_type");
    let text = detail(&item);
    assert!(text.contains("m5.large"), "{text}");
    assert!(text.contains("t3.*, t2.micro"), "{text}");
    assert!(listed_ids(&service, &p.member_token).await.is_empty());

    launched_id(launch(&service, &p.member_token, "t3.micro", 1).await).await;
}

/// The emulator applies `Owners` together with `ImageIds` as AWS does (tools/emulator/images.py);
/// moto alone would let every image pass.
#[tokio::test]
async fn image_of_other_owner_rejected() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    options.mapping_fields = "allowed_image_owners = 999999999999\n".into();
    let service = Service::start(options).await;
    let image: Value = service
        .get(&format!("/v1/images/{TEST_AMI}"), &p.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(image["image"]["owner_id"], "999999999999");

    let response = launch(&service, &p.member_token, "t3.micro", 1).await;
    if response.status() != 403 {
        let status = response.status();
        let body = response.text().await.unwrap();
        panic!("the launch of an image outside allowed_image_owners returned {status}: {body}");
    }
    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.image_owner");
    let text = detail(&item);
    assert!(text.contains(TEST_AMI), "{text}");
    assert!(text.contains("999999999999"), "{text}");
    assert!(listed_ids(&service, &p.member_token).await.is_empty());
}

#[tokio::test]
async fn image_of_allowed_owner_accepted() {
    let p = project("alpha").await;
    let reader = Service::start(ServiceOptions::new(&[&p])).await;
    let image: Value = reader
        .get(&format!("/v1/images/{TEST_AMI}"), &p.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let owner = image["image"]["owner_id"]
        .as_str()
        .expect("the test AMI has an owner_id")
        .to_owned();
    drop(reader);

    let mut options = ServiceOptions::new(&[&p]);
    options.mapping_fields = format!("allowed_image_owners = 999999999999, {owner}\n");
    let service = Service::start(options).await;
    let id = launched_id(launch(&service, &p.member_token, "t3.micro", 1).await).await;
    assert_eq!(listed_ids(&service, &p.member_token).await, vec![id]);
}

#[tokio::test]
async fn start_over_instance_limit_rejected() {
    let p = project("alpha").await;
    let mut options = ServiceOptions::new(&[&p]);
    options.mapping_fields = "max_instances = 1\n".into();
    let service = Service::start(options).await;
    let stopped = launched_id(launch(&service, &p.member_token, "t3.micro", 1).await).await;
    assert_eq!(
        act(&service, &p.member_token, &stopped, "stop")
            .await
            .status(),
        202
    );
    assert_eq!(
        service.instance_state(&p.member_token, &stopped).await,
        "stopped"
    );
    // A stopped instance does not count, so a second one fits under the limit.
    launched_id(launch(&service, &p.member_token, "t3.micro", 1).await).await;

    let item = error_item(act(&service, &p.member_token, &stopped, "start").await, 403).await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.max_instances");
    let text = detail(&item);
    assert!(text.contains("limit of 1"), "{text}");
    assert!(text.contains("1 are active now"), "{text}");
    assert_eq!(
        service.instance_state(&p.member_token, &stopped).await,
        "stopped"
    );
}

#[tokio::test]
async fn limits_ignore_other_projects_of_account() {
    let first = project("alpha").await;
    let second = project("alpha").await;
    let mut options = ServiceOptions::new(&[&first, &second]);
    options.mapping_fields = "max_instances = 1\n".into();
    let service = Service::start(options).await;

    launched_id(launch(&service, &second.member_token, "t3.micro", 1).await).await;
    let id = launched_id(launch(&service, &first.member_token, "t3.micro", 1).await).await;
    let item = error_item(
        launch(&service, &first.member_token, "t3.micro", 1).await,
        403,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.max_instances");
    let text = detail(&item);
    assert!(text.contains("1 are active now"), "{text}");
    assert_eq!(listed_ids(&service, &first.member_token).await, vec![id]);
}
