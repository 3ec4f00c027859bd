//! The `AWS-Hybrid-Region` header: it picks one of the project's allowed regions, and a region
//! outside `allowed_regions` or a malformed name is rejected before AWS is called.
//!
//! `common::write_config` maps every project with `region = us-east-1` and
//! `allowed_regions = us-east-1, us-west-2`.

use serde_json::{Value, json};

use crate::common::{Service, ServiceOptions, TEST_AMI, error_item, project};

const REGION_HEADER: &str = "AWS-Hybrid-Region";

async fn listed_ids(service: &Service, token: &str, region: Option<&str>) -> Vec<String> {
    let mut request = service.get("/v1/instances", token);
    if let Some(region) = region {
        request = request.header(REGION_HEADER, region);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn header_selects_allowed_region() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;

    let response = service
        .post(
            "/v1/instances",
            &p.member_token,
            json!({"instance": {"name": "west", "image_id": TEST_AMI, "instance_type": "t3.micro"}}),
        )
        .header(REGION_HEADER, "us-west-2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    let id = body["instance"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["instance"]["region"], "us-west-2");

    let west = listed_ids(&service, &p.member_token, Some("us-west-2")).await;
    assert_eq!(west, vec![id.clone()]);
    let default_region = listed_ids(&service, &p.member_token, None).await;
    assert!(
        default_region.is_empty(),
        "the default-region listing shows {default_region:?}"
    );
    let east = listed_ids(&service, &p.member_token, Some("us-east-1")).await;
    assert!(east.is_empty(), "the us-east-1 listing shows {east:?}");

    let show_body: Value = service
        .get(&format!("/v1/instances/{id}"), &p.member_token)
        .header(REGION_HEADER, "us-west-2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(show_body["instance"]["id"], id.as_str());
    assert_eq!(show_body["instance"]["region"], "us-west-2");
}

/// Showing an instance reads the request's region only, like listing does, so an instance
/// of another region is not found without the header.
#[tokio::test]
async fn show_without_header_uses_default_region() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = service
        .post(
            "/v1/instances",
            &p.member_token,
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro"}}),
        )
        .header(REGION_HEADER, "us-west-2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    let id = body["instance"]["id"].as_str().unwrap().to_owned();

    let response = service
        .get(&format!("/v1/instances/{id}"), &p.member_token)
        .send()
        .await
        .unwrap();
    if response.status() != 404 {
        let status = response.status();
        let body = response.text().await.unwrap();
        panic!("GET without the header returned {status} for the us-west-2 instance: {body}");
    }
    let item = error_item(response, 404).await;
    assert_eq!(item["code"], "aws-hybrid.instance.not_found");
}

#[tokio::test]
async fn region_outside_allowed_list_forbidden() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let requests = [
        service.get("/v1/instances", &p.member_token),
        service.post(
            "/v1/instances",
            &p.member_token,
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro"}}),
        ),
    ];

    for request in requests {
        let response = request
            .header(REGION_HEADER, "eu-west-1")
            .send()
            .await
            .unwrap();
        let item = error_item(response, 403).await;
        assert_eq!(item["code"], "aws-hybrid.region_not_allowed");
        let detail = item["detail"].as_str().unwrap();
        assert!(detail.contains("eu-west-1"), "{detail}");
        assert!(detail.contains("us-east-1"), "{detail}");
        assert!(detail.contains("us-west-2"), "{detail}");
    }
    // The rejected launch reached no region: neither allowed region lists an instance.
    assert!(listed_ids(&service, &p.member_token, None).await.is_empty());
    let west = listed_ids(&service, &p.member_token, Some("us-west-2")).await;
    assert!(west.is_empty());
}

#[tokio::test]
async fn malformed_region_is_bad_request() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    for value in ["mars", "US-EAST-1", "us-east-", "us east 1"] {
        let response = service
            .get("/v1/instances", &p.member_token)
            .header(REGION_HEADER, value)
            .send()
            .await
            .unwrap();
        let item = error_item(response, 400).await;
        assert_eq!(item["code"], "aws-hybrid.invalid_region", "{value}");
        let detail = item["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("{value:?}")), "{value}: {detail}");
    }
}

#[tokio::test]
async fn region_list_marks_allowed_regions() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = service
        .get("/v1/regions", &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let regions = body["regions"].as_array().unwrap();
    let allowed = |name: &str| {
        regions
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} is missing from {body}"))["allowed"]
            .clone()
    };

    assert_eq!(allowed("us-east-1"), true);
    assert_eq!(allowed("us-west-2"), true);
    assert_eq!(allowed("eu-west-1"), false);
    let allowed_names: Vec<&str> = regions
        .iter()
        .filter(|r| r["allowed"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(allowed_names, ["us-east-1", "us-west-2"]);
}
