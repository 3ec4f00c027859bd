//! Regions, availability zones, instance types and images, read live from the emulator.

use serde_json::Value;

use crate::common::{Service, ServiceOptions, error_item, project};

#[tokio::test]
async fn regions_mark_the_allowed_ones() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let body: Value = service
        .get("/v1/regions", &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let regions = body["regions"].as_array().unwrap();
    assert!(regions.len() > 10);
    let allowed: Vec<&str> = regions
        .iter()
        .filter(|r| r["allowed"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(allowed, vec!["us-east-1", "us-west-2"]);
}

#[tokio::test]
async fn availability_zones_are_in_the_project_region() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let body: Value = service
        .get("/v1/availability-zones", &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let zones = body["availability_zones"].as_array().unwrap();
    assert!(!zones.is_empty());
    assert!(
        zones
            .iter()
            .all(|z| z["name"].as_str().unwrap().starts_with("us-east-1"))
    );
}

#[tokio::test]
async fn instance_types_are_live_and_paginated() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let body: Value = service
        .get("/v1/instance-types?limit=5", &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["instance_types"].as_array().unwrap().len(), 5);
    assert!(
        body["instance_types_links"][0]["href"]
            .as_str()
            .unwrap()
            .contains("marker=")
    );

    let body: Value = service
        .get("/v1/instance-types/t3.micro", &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["instance_type"]["vcpus"], 2);
    assert_eq!(body["instance_type"]["memory_mib"], 1024);

    let body: Value = service
        .get("/v1/instance-types?vcpus=2", &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        body["instance_types"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["vcpus"] == 2)
    );

    let response = service
        .get("/v1/instance-types/t9.colossal", &p.reader_token)
        .send()
        .await
        .unwrap();
    error_item(response, 404).await;
}

#[tokio::test]
async fn images_default_to_own_account() {
    let p = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let body: Value = service
        .get("/v1/images", &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        body["images"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["owner_id"] == crate::common::account("beta").aws_account_id.as_str())
    );

    let body: Value = service
        .get("/v1/images?owner=amazon&limit=3", &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let images = body["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    let id = images[0]["id"].as_str().unwrap();
    let body: Value = service
        .get(&format!("/v1/images/{id}"), &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["image"]["id"], id);

    let response = service
        .get("/v1/images?owner=everyone", &p.reader_token)
        .send()
        .await
        .unwrap();
    error_item(response, 400).await;
    let response = service
        .get("/v1/images/ami-00000000", &p.reader_token)
        .send()
        .await
        .unwrap();
    error_item(response, 404).await;
}
