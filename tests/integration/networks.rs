//! VPCs and subnets: read-only lists of the whole AWS account, not of one project.

use serde_json::{Value, json};

use crate::common::{FaultProxy, Service, ServiceOptions, TEST_AMI, error_item, project};

async fn get_json(service: &Service, path: &str, token: &str) -> Value {
    let response = service.get(path, token).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

fn ids(body: &Value, collection: &str) -> Vec<String> {
    body[collection]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn vpcs_list_and_show() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;

    let listed = get_json(&service, "/v1/vpcs", &p.reader_token).await;
    let vpcs = listed["vpcs"].as_array().unwrap();
    let default = vpcs
        .iter()
        .find(|v| v["is_default"] == true)
        .expect("the emulator gives every account a default VPC");
    let id = default["id"].as_str().unwrap();
    assert!(id.starts_with("vpc-"));
    assert_eq!(default["state"], "available");
    assert_eq!(default["region"], "us-east-1");
    assert!(default["cidr_block"].is_string());

    let shown = get_json(&service, &format!("/v1/vpcs/{id}"), &p.reader_token).await;
    assert_eq!(&shown["vpc"], default);
}

#[tokio::test]
async fn subnets_list_filters_and_show() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let vpcs = get_json(&service, "/v1/vpcs", &p.reader_token).await;
    let vpc_id = vpcs["vpcs"][0]["id"].as_str().unwrap().to_owned();

    let all = get_json(&service, "/v1/subnets", &p.reader_token).await;
    let subnets = all["subnets"].as_array().unwrap();
    assert!(subnets.len() >= 2, "the default VPC has a subnet per zone");
    let listed_ids = ids(&all, "subnets");
    let mut sorted = listed_ids.clone();
    sorted.sort();
    assert_eq!(listed_ids, sorted, "subnets are sorted by id");

    let zone = subnets[0]["availability_zone"].as_str().unwrap().to_owned();
    let in_zone = get_json(
        &service,
        &format!("/v1/subnets?availability_zone={zone}"),
        &p.reader_token,
    )
    .await;
    let in_zone = in_zone["subnets"].as_array().unwrap();
    assert!(!in_zone.is_empty());
    assert!(
        in_zone
            .iter()
            .all(|s| s["availability_zone"] == zone.as_str())
    );
    assert!(in_zone.len() < subnets.len());

    let in_vpc = get_json(
        &service,
        &format!("/v1/subnets?vpc_id={vpc_id}"),
        &p.reader_token,
    )
    .await;
    let in_vpc = in_vpc["subnets"].as_array().unwrap();
    assert!(!in_vpc.is_empty());
    assert!(in_vpc.iter().all(|s| s["vpc_id"] == vpc_id.as_str()));
    let none = get_json(
        &service,
        "/v1/subnets?vpc_id=vpc-0000000000000000a",
        &p.reader_token,
    )
    .await;
    assert_eq!(none["subnets"], json!([]));

    let first = &subnets[0];
    let id = first["id"].as_str().unwrap();
    let shown = get_json(&service, &format!("/v1/subnets/{id}"), &p.reader_token).await;
    assert_eq!(&shown["subnet"], first);
}

#[tokio::test]
async fn subnets_paginate_with_marker() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let all = ids(
        &get_json(&service, "/v1/subnets", &p.reader_token).await,
        "subnets",
    );

    let first_page = get_json(&service, "/v1/subnets?limit=2", &p.reader_token).await;
    assert_eq!(ids(&first_page, "subnets"), all[..2].to_vec());
    let next = first_page["subnets_links"][0]["href"].as_str().unwrap();
    assert!(next.contains(&format!("marker={}", all[1])), "{next}");
    let path = next.strip_prefix(&service.url).unwrap();
    let second_page = get_json(&service, path, &p.reader_token).await;
    assert_eq!(
        ids(&second_page, "subnets"),
        all[2..4.min(all.len())].to_vec()
    );
}

#[tokio::test]
async fn launch_uses_listed_subnet() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let subnets = get_json(&service, "/v1/subnets", &p.reader_token).await;
    let subnet = &subnets["subnets"][1];
    let subnet_id = subnet["id"].as_str().unwrap();

    let response = service
        .post(
            "/v1/instances",
            &p.member_token,
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro", "subnet_id": subnet_id}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();

    assert_eq!(body["instance"]["subnet_id"], subnet_id);
    assert_eq!(body["instance"]["vpc_id"], subnet["vpc_id"]);
    assert_eq!(
        body["instance"]["availability_zone"],
        subnet["availability_zone"]
    );
}

#[tokio::test]
async fn projects_sharing_account_see_same_networks() {
    let first = project("alpha").await;
    let second = project("alpha").await;
    let other_account = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&first, &second, &other_account])).await;

    let seen_by_first = get_json(&service, "/v1/vpcs", &first.reader_token).await;
    let seen_by_second = get_json(&service, "/v1/vpcs", &second.reader_token).await;
    let seen_in_beta = get_json(&service, "/v1/vpcs", &other_account.reader_token).await;
    assert_eq!(ids(&seen_by_first, "vpcs"), ids(&seen_by_second, "vpcs"));
    let alpha_vpc = &ids(&seen_by_first, "vpcs")[0];
    assert!(!ids(&seen_in_beta, "vpcs").contains(alpha_vpc));

    // A VPC of another account is not found, like any unknown id.
    let item = error_item(
        service
            .get(
                &format!("/v1/vpcs/{alpha_vpc}"),
                &other_account.reader_token,
            )
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.vpc.not_found");
    let alpha_subnet = ids(
        &get_json(&service, "/v1/subnets", &first.reader_token).await,
        "subnets",
    )[0]
    .clone();
    let item = error_item(
        service
            .get(
                &format!("/v1/subnets/{alpha_subnet}"),
                &other_account.reader_token,
            )
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.subnet.not_found");
}

#[tokio::test]
async fn bad_network_input_rejected() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;

    let item = error_item(
        service
            .get("/v1/subnets?vpc_id=default", &p.reader_token)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(item["detail"].as_str().unwrap().contains("vpc_id"));
    let item = error_item(
        service
            .get("/v1/subnets?zone=us-east-1a", &p.reader_token)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(item["detail"].as_str().unwrap().contains("zone"));
    let item = error_item(
        service
            .get("/v1/vpcs?limit=0", &p.reader_token)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(item["detail"].as_str().unwrap().contains("limit"));

    for (path, code) in [
        ("/v1/vpcs/main", "aws-hybrid.vpc.not_found"),
        ("/v1/vpcs/vpc-0000000000000000a", "aws-hybrid.vpc.not_found"),
        ("/v1/subnets/subnet-12", "aws-hybrid.subnet.not_found"),
        (
            "/v1/subnets/subnet-0000000000000000a",
            "aws-hybrid.subnet.not_found",
        ),
    ] {
        let item = error_item(
            service.get(path, &p.reader_token).send().await.unwrap(),
            404,
        )
        .await;
        assert_eq!(item["code"], code, "{path}");
    }
}

/// Each read enforces its own rule: overriding one denies that read and no other.
#[tokio::test]
async fn network_reads_enforce_their_rules() {
    let p = project("alpha").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "\"aws-hybrid:subnet:list\": \"role:admin\"\n\"aws-hybrid:vpc:get\": \"role:admin\"\n",
    )
    .unwrap();
    let mut options = ServiceOptions::new(&[&p]);
    options.extra_config = format!(
        "[oslo_policy]\npolicy_file = {}\n",
        dir.path().join("policy.yaml").display()
    );
    let service = Service::start(options).await;

    let vpcs = get_json(&service, "/v1/vpcs", &p.member_token).await;
    let vpc_id = ids(&vpcs, "vpcs")[0].clone();
    let subnet_list = service
        .get("/v1/subnets", &p.member_token)
        .send()
        .await
        .unwrap();
    let vpc_show = service
        .get(&format!("/v1/vpcs/{vpc_id}"), &p.member_token)
        .send()
        .await
        .unwrap();

    let item = error_item(subnet_list, 403).await;
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:subnet:list")
    );
    let item = error_item(vpc_show, 403).await;
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:vpc:get")
    );
}

#[tokio::test]
async fn denied_describe_vpcs_is_forbidden() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let mut options = ServiceOptions::new(&[&p]);
    options.aws_endpoint = proxy.url.clone();
    let service = Service::start(options).await;
    proxy
        .rule(
            json!({"action": "DescribeVpcs", "status": 403, "code": "UnauthorizedOperation",
                     "message": "You are not authorized to perform this operation."}),
        )
        .await;

    let item = error_item(
        service
            .get("/v1/vpcs", &p.reader_token)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;

    assert_eq!(item["code"], "aws-hybrid.aws_unauthorized");
    assert!(item["detail"].as_str().unwrap().contains("DescribeVpcs"));
}
