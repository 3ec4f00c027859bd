//! The api-ref stays true: its samples are real responses, and its routes are the router's.
//!
//! Set `AWS_HYBRID_UPDATE_SAMPLES=1` to rewrite `api-ref/source/samples/` from this run.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::common::{Service, ServiceOptions, TEST_AMI, free_port, http, project};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("api-ref/source/samples")
}

/// Replace the values that change from run to run with fixed placeholders, so that a sample
/// differs only when the shape or the meaning of a response changes.
struct Normalizer {
    replacements: Vec<(String, String)>,
}

impl Normalizer {
    fn replace(&mut self, actual: &str, placeholder: &str) {
        self.replacements
            .push((actual.to_owned(), placeholder.to_owned()));
    }

    fn apply(&self, value: &Value) -> Value {
        let mut text = serde_json::to_string(value).unwrap();
        for (actual, placeholder) in &self.replacements {
            text = text.replace(actual, placeholder);
        }
        let mut value: Value = serde_json::from_str(&text).unwrap();
        fix_volatile_fields(&mut value);
        value
    }
}

fn fix_volatile_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                let placeholder = match key.as_str() {
                    "launched_at" => Some("2026-11-30T09:12:44Z"),
                    // The emulator stamps its built-in images with the time it loaded them.
                    "created_at" => Some("2026-11-30T08:00:00.000Z"),
                    "private_ip_address" => Some("10.0.12.34"),
                    "public_ip_address" if !field.is_null() => Some("203.0.113.25"),
                    "subnet_id" if !field.is_null() => Some("subnet-0a1b2c3d4e5f60718"),
                    "vpc_id" if !field.is_null() => Some("vpc-0a1b2c3d4e5f60718"),
                    "request_id" => Some("req-0c4b5a1e-2f3d-4a6b-8c9d-0e1f2a3b4c5d"),
                    "attached_at" => Some("2026-11-30T09:12:45Z"),
                    "volume_id" if !field.is_null() => Some("vol-0a1b2c3d4e5f60718"),
                    _ => None,
                };
                match placeholder {
                    Some(text) if !field.is_null() => *field = json!(text),
                    _ => fix_volatile_fields(field),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(fix_volatile_fields),
        _ => {}
    }
}

/// Writes `samples` to `api-ref/source/samples/` when `AWS_HYBRID_UPDATE_SAMPLES=1`, and
/// otherwise fails naming each sample file that differs from its normalized response.
fn update_or_compare_samples(samples: Vec<(&str, Value)>, normalizer: &Normalizer) {
    let update = std::env::var("AWS_HYBRID_UPDATE_SAMPLES").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (name, value) in samples {
        let text = serde_json::to_string_pretty(&normalizer.apply(&value)).unwrap() + "\n";
        let path = samples_dir().join(name);
        if update {
            std::fs::create_dir_all(samples_dir()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "api-ref samples differ from real responses: {stale:?}; regenerate them with AWS_HYBRID_UPDATE_SAMPLES=1 tools/test.sh"
    );
}

async fn get_json(service: &Service, path: &str, token: &str) -> Value {
    let response = service.get(path, token).send().await.unwrap();
    assert!(
        response.status().is_success(),
        "GET {path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

#[tokio::test]
async fn api_ref_samples_match_responses() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let mut samples: Vec<(&str, Value)> = Vec::new();

    samples.push((
        "versions-list-response.json",
        http()
            .get(format!("{}/", service.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    ));
    samples.push((
        "version-show-response.json",
        http()
            .get(format!("{}/v1/", service.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    ));

    let create = json!({"instance": {
        "name": "web-1",
        "image_id": TEST_AMI,
        "instance_type": "t3.micro",
        "tags": {"team": "storefront"}
    }});
    samples.push(("instance-create-request.json", create.clone()));
    let response = service
        .post("/v1/instances", token, create)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let created: Value = response.json().await.unwrap();
    let id = created["instance"]["id"].as_str().unwrap().to_owned();
    samples.push(("instance-create-response.json", created));
    samples.push((
        "instance-show-response.json",
        get_json(&service, &format!("/v1/instances/{id}"), token).await,
    ));
    samples.push((
        "instances-list-response.json",
        get_json(&service, "/v1/instances", token).await,
    ));
    for action in ["stop", "start", "reboot"] {
        let body = json!({ action: null });
        let response = service
            .post(&format!("/v1/instances/{id}/action"), token, body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "{action}");
        let name = match action {
            "stop" => "instance-action-stop-request.json",
            "start" => "instance-action-start-request.json",
            _ => "instance-action-reboot-request.json",
        };
        samples.push((name, body));
    }
    samples.push((
        "regions-list-response.json",
        get_json(&service, "/v1/regions", token).await,
    ));
    samples.push((
        "availability-zones-list-response.json",
        get_json(&service, "/v1/availability-zones", token).await,
    ));
    samples.push((
        "instance-types-list-response.json",
        get_json(&service, "/v1/instance-types?limit=3", token).await,
    ));
    samples.push((
        "instance-type-show-response.json",
        get_json(&service, "/v1/instance-types/t3.micro", token).await,
    ));
    let images = get_json(&service, "/v1/images?owner=amazon&limit=2", token).await;
    let image_id = images["images"][0]["id"].as_str().unwrap().to_owned();
    samples.push(("images-list-response.json", images));
    samples.push((
        "image-show-response.json",
        get_json(&service, &format!("/v1/images/{image_id}"), token).await,
    ));
    let missing = service
        .get("/v1/instances/i-0000000000000000a", token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    samples.push(("error-response.json", missing.json().await.unwrap()));

    let mut normalizer = Normalizer {
        replacements: Vec::new(),
    };
    normalizer.replace(&service.url, "http://controller:9797");
    normalizer.replace(&id, "i-0123456789abcdef0");
    normalizer.replace(&p.id, "8f1c0b2e5d6a4f0e9c3b7a1d2e4f6a8b");
    normalizer.replace(&p.member_id, "d2c5e8f14a7b4c0e9a3f6b1d8e2c5a70");
    update_or_compare_samples(samples, &normalizer);
}

/// Fetches a public `/.well-known/` document and checks its status and cache header.
async fn get_well_known(service: &Service, path: &str) -> Value {
    let response = http()
        .get(format!("{}{path}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    let cache_control = response.headers().get("cache-control").cloned();
    assert_eq!(
        cache_control.as_ref().and_then(|v| v.to_str().ok()),
        Some("public, max-age=300"),
        "Cache-Control of {path}"
    );
    response.json().await.unwrap()
}

/// The OpenID Connect samples, from a service that signs with the ES256 test key. The key is
/// fixed, so only the issuer's port changes from run to run.
#[tokio::test]
async fn api_ref_oidc_samples_match_responses() {
    let p = project("alpha").await;
    let key = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/oidc-test-ec.pem");
    let port = free_port();
    let mut options = ServiceOptions::new(&[&p]);
    options.port = Some(port);
    options.extra_config = format!(
        "[sts]\ncredential_source = web_identity\n\n[oidc]\nsigning_key_file = {key}\n\
         issuer = http://127.0.0.1:{port}\n"
    );
    let service = Service::start(options).await;

    let discovery = get_well_known(&service, "/.well-known/openid-configuration").await;
    let keys = get_well_known(&service, "/.well-known/jwks.json").await;

    assert_eq!(discovery["issuer"], service.url.as_str());
    assert_eq!(keys["keys"].as_array().map(Vec::len), Some(1));
    assert!(
        keys["keys"][0].get("d").is_none(),
        "the key set has the private key"
    );
    let mut normalizer = Normalizer {
        replacements: Vec::new(),
    };
    normalizer.replace(&service.url, "http://controller:9797");
    update_or_compare_samples(
        vec![
            ("oidc-discovery-response.json", discovery),
            ("oidc-jwks-response.json", keys),
        ],
        &normalizer,
    );
}

/// Collect the `.. rest_method::` lines of the api-ref, as (method, path).
fn api_ref_routes() -> BTreeSet<(String, String)> {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("api-ref/source");
    let mut routes = BTreeSet::new();
    for entry in std::fs::read_dir(&source).expect("api-ref/source exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "inc" && e != "rst") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            if let Some(rest) = line.trim().strip_prefix(".. rest_method::") {
                let mut parts = rest.split_whitespace();
                let method = parts.next().unwrap().to_owned();
                let url = parts.next().unwrap().to_owned();
                routes.insert((method, url));
            }
        }
    }
    routes
}

/// Operations that do not use the tenant mapping, so they take no `AWS-Hybrid-Region` header.
const REGIONLESS_PATHS: [&str; 6] = [
    "/",
    "/v1/",
    "/healthcheck",
    "/v1/openapi.json",
    "/.well-known/openid-configuration",
    "/.well-known/jwks.json",
];

#[test]
fn api_ref_documents_region_header() {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("api-ref/source");
    let mut missing = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&source).expect("api-ref/source exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "inc") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Each operation runs from its rest_method line to the next one.
        for operation in text.split(".. rest_method::").skip(1) {
            let route = operation.lines().next().unwrap().trim().to_owned();
            let url = route.split_whitespace().nth(1).unwrap();
            if REGIONLESS_PATHS.contains(&url) {
                continue;
            }
            checked += 1;
            if !operation.contains("- AWS-Hybrid-Region: aws-hybrid-region") {
                missing.push(route);
            }
        }
    }
    assert!(
        checked > 0,
        "no /v1 resource operation found in the api-ref"
    );
    assert!(
        missing.is_empty(),
        "operations without the AWS-Hybrid-Region request header: {missing:?}"
    );
}

#[test]
fn api_ref_lists_every_route() {
    let documented = api_ref_routes();
    let served: BTreeSet<(String, String)> = aws_hybrid::api::ROUTES
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the api-ref: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "api-ref routes the service does not serve: {unserved:?}"
    );
}

#[tokio::test]
async fn route_table_matches_router() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    for (method, path) in aws_hybrid::api::ROUTES {
        let concrete = path
            .replace("{instance_id}", "i-0000000000000000a")
            .replace("{instance_type}", "t3.micro")
            .replace("{image_id}", "ami-00000000");
        let request = http()
            .request(
                method.parse().unwrap(),
                format!("{}{concrete}", service.url),
            )
            .header("X-Auth-Token", &p.reader_token)
            .json(&json!({}));
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_ne!(status, 405, "{method} {path} is not routed");
        assert!(
            !body.contains("route_not_found"),
            "{method} {path} is not routed"
        );
    }
}

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let response = http()
        .get(format!("{}/v1/openapi.json", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the document needs no token");
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut documented = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> = aws_hybrid::api::ROUTES
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(documented, served);
}

/// Sends `body` to `path` with POST, checks the status and returns the response body.
async fn post_json(service: &Service, path: &str, token: &str, body: Value, status: u16) -> Value {
    let response = service.post(path, token, body).send().await.unwrap();
    assert_eq!(response.status(), status, "POST {path}");
    response.json().await.unwrap_or(Value::Null)
}

/// The samples of the volume, snapshot and Elastic IP address operations.
#[tokio::test]
async fn api_ref_storage_and_address_samples_match_responses() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let mut samples: Vec<(&str, Value)> = Vec::new();
    let instance_id = service.launch(token, "web-1").await;
    let instance = get_json(&service, &format!("/v1/instances/{instance_id}"), token).await;
    let zone = instance["instance"]["availability_zone"].clone();

    let create = json!({"volume": {
        "name": "data-1",
        "size": 20,
        "volume_type": "gp3",
        "availability_zone": zone,
        "encrypted": true,
        "tags": {"team": "storefront"}
    }});
    samples.push(("volume-create-request.json", create.clone()));
    let created = post_json(&service, "/v1/volumes", token, create, 202).await;
    let volume_id = created["volume"]["id"].as_str().unwrap().to_owned();
    samples.push(("volume-create-response.json", created));
    let attach = json!({"attach": {"instance_id": instance_id, "device": "/dev/sdf"}});
    samples.push(("volume-action-attach-request.json", attach.clone()));
    let action_path = format!("/v1/volumes/{volume_id}/action");
    post_json(&service, &action_path, token, attach, 202).await;
    samples.push((
        "volume-show-response.json",
        get_json(&service, &format!("/v1/volumes/{volume_id}"), token).await,
    ));
    samples.push((
        "volumes-list-response.json",
        get_json(&service, "/v1/volumes?name=data-1", token).await,
    ));
    let detach = json!({"detach": null});
    samples.push(("volume-action-detach-request.json", detach.clone()));
    post_json(&service, &action_path, token, detach, 202).await;

    let create = json!({"snapshot": {
        "volume_id": volume_id,
        "name": "data-1-nightly",
        "description": "Before the schema upgrade",
        "tags": {"team": "storefront"}
    }});
    samples.push(("snapshot-create-request.json", create.clone()));
    let created = post_json(&service, "/v1/snapshots", token, create, 202).await;
    let snapshot_id = created["snapshot"]["id"].as_str().unwrap().to_owned();
    let started_at = created["snapshot"]["started_at"]
        .as_str()
        .unwrap()
        .to_owned();
    samples.push(("snapshot-create-response.json", created));
    samples.push((
        "snapshot-show-response.json",
        get_json(&service, &format!("/v1/snapshots/{snapshot_id}"), token).await,
    ));
    samples.push((
        "snapshots-list-response.json",
        get_json(&service, "/v1/snapshots", token).await,
    ));

    let create = json!({"address": {"name": "web-1-public", "tags": {"team": "storefront"}}});
    samples.push(("address-create-request.json", create.clone()));
    let created = post_json(&service, "/v1/addresses", token, create, 201).await;
    let allocation_id = created["address"]["id"].as_str().unwrap().to_owned();
    let public_ip = created["address"]["public_ip"].as_str().unwrap().to_owned();
    samples.push(("address-create-response.json", created));
    let associate = json!({"associate": {"instance_id": instance_id}});
    samples.push(("address-action-associate-request.json", associate.clone()));
    let action_path = format!("/v1/addresses/{allocation_id}/action");
    post_json(&service, &action_path, token, associate, 202).await;
    let address_details =
        get_json(&service, &format!("/v1/addresses/{allocation_id}"), token).await;
    let association_id = address_details["address"]["association_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let interface_id = address_details["address"]["network_interface_id"]
        .as_str()
        .unwrap()
        .to_owned();
    samples.push(("address-show-response.json", address_details));
    samples.push((
        "addresses-list-response.json",
        get_json(&service, "/v1/addresses", token).await,
    ));
    let disassociate = json!({"disassociate": null});
    samples.push((
        "address-action-disassociate-request.json",
        disassociate.clone(),
    ));
    post_json(&service, &action_path, token, disassociate, 202).await;

    let mut normalizer = Normalizer {
        replacements: Vec::new(),
    };
    normalizer.replace(&service.url, "http://controller:9797");
    normalizer.replace(&instance_id, "i-0123456789abcdef0");
    normalizer.replace(&volume_id, "vol-0a1b2c3d4e5f60718");
    normalizer.replace(&snapshot_id, "snap-0123456789abcdef0");
    normalizer.replace(&started_at, "2026-11-30T09:20:31Z");
    normalizer.replace(&allocation_id, "eipalloc-0123456789abcdef0");
    normalizer.replace(&association_id, "eipassoc-0123456789abcdef0");
    normalizer.replace(&interface_id, "eni-0123456789abcdef0");
    // The emulator hands out addresses in 127.0.0.0/8; the sample shows a documentation one.
    normalizer.replace(&public_ip, "203.0.113.10");
    normalizer.replace(&p.id, "8f1c0b2e5d6a4f0e9c3b7a1d2e4f6a8b");
    normalizer.replace(&p.member_id, "d2c5e8f14a7b4c0e9a3f6b1d8e2c5a70");
    update_or_compare_samples(samples, &normalizer);
}

/// Sets `field` of every object in `value` to `placeholder`, for counts and times that change
/// from run to run and that `fix_volatile_fields` does not cover.
fn set_everywhere(value: &mut Value, field: &str, placeholder: Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if key == field {
                    *item = placeholder.clone();
                } else {
                    set_everywhere(item, field, placeholder.clone());
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| set_everywhere(item, field, placeholder.clone())),
        _ => {}
    }
}

/// The samples of the VPC and subnet reads, the image changes, resize, console output and a
/// launch with block device mappings.
#[tokio::test]
async fn api_ref_network_image_and_instance_operation_samples_match_responses() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let mut samples: Vec<(&str, Value)> = Vec::new();

    // Other tests may create VPCs in the shared emulator account; the samples keep the
    // account's default VPC and its subnet in us-east-1a, which every run has.
    let mut vpcs = get_json(&service, "/v1/vpcs", token).await;
    vpcs["vpcs"]
        .as_array_mut()
        .unwrap()
        .retain(|v| v["is_default"] == true);
    let vpc_id = vpcs["vpcs"][0]["id"].as_str().unwrap().to_owned();
    samples.push(("vpcs-list-response.json", vpcs));
    samples.push((
        "vpc-show-response.json",
        get_json(&service, &format!("/v1/vpcs/{vpc_id}"), token).await,
    ));
    let mut subnets = get_json(
        &service,
        &format!("/v1/subnets?vpc_id={vpc_id}&availability_zone=us-east-1a"),
        token,
    )
    .await;
    let subnet_id = subnets["subnets"][0]["id"].as_str().unwrap().to_owned();
    let mut subnet = get_json(&service, &format!("/v1/subnets/{subnet_id}"), token).await;
    // Each instance launched in the subnet takes an address.
    set_everywhere(&mut subnets, "available_ip_address_count", json!(4091));
    set_everywhere(&mut subnet, "available_ip_address_count", json!(4091));
    samples.push(("subnets-list-response.json", subnets));
    samples.push(("subnet-show-response.json", subnet));

    let launch = json!({"instance": {
        "name": "db-1",
        "image_id": TEST_AMI,
        "instance_type": "t3.micro",
        "subnet_id": subnet_id,
        "block_device_mappings": [{
            "device_name": "/dev/sdf",
            "volume_size": 100,
            "volume_type": "gp3",
            "delete_on_termination": false,
            "encrypted": true
        }]
    }});
    samples.push(("instance-create-block-devices-request.json", launch.clone()));
    let launched = post_json(&service, "/v1/instances", token, launch, 202).await;
    let instance_id = launched["instance"]["id"].as_str().unwrap().to_owned();

    let mut console = get_json(
        &service,
        &format!("/v1/instances/{instance_id}/console-output?length=3"),
        token,
    )
    .await;
    set_everywhere(&mut console, "updated_at", json!("2026-11-30T09:13:02Z"));
    samples.push(("instance-console-output-response.json", console));

    let create = json!({"image": {
        "instance_id": instance_id,
        "name": "db-1 2026-11-30",
        "description": "Database server before the upgrade",
        "tags": {"team": "storefront"}
    }});
    samples.push(("image-create-request.json", create.clone()));
    let created = post_json(&service, "/v1/images", token, create, 202).await;
    let image_id = created["image"]["id"].as_str().unwrap().to_owned();
    samples.push(("image-create-response.json", created));
    let tags = json!({"tags": {"team": "storefront", "release": "2026.11"}});
    samples.push(("image-tags-request.json", tags.clone()));
    let response = http()
        .put(format!("{}/v1/images/{image_id}/tags", service.url))
        .header("X-Auth-Token", token)
        .json(&tags)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    samples.push(("image-tags-response.json", response.json().await.unwrap()));
    let response = service
        .delete(&format!("/v1/images/{image_id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let stop = post_json(
        &service,
        &format!("/v1/instances/{instance_id}/action"),
        token,
        json!({"stop": null}),
        202,
    )
    .await;
    assert_eq!(stop, Value::Null);
    let resize = json!({"resize": {"instance_type": "t3.large"}});
    samples.push(("instance-action-resize-request.json", resize.clone()));
    let action_path = format!("/v1/instances/{instance_id}/action");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while service.instance_state(token, &instance_id).await != "stopped" {
        assert!(
            std::time::Instant::now() < deadline,
            "the instance never stopped"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    post_json(&service, &action_path, token, resize, 202).await;

    let mut normalizer = Normalizer {
        replacements: Vec::new(),
    };
    normalizer.replace(&service.url, "http://controller:9797");
    normalizer.replace(&vpc_id, "vpc-0a1b2c3d4e5f60718");
    normalizer.replace(&subnet_id, "subnet-0a1b2c3d4e5f60718");
    normalizer.replace(&instance_id, "i-0123456789abcdef0");
    normalizer.replace(&image_id, "ami-0123456789abcdef0");
    normalizer.replace(&p.id, "8f1c0b2e5d6a4f0e9c3b7a1d2e4f6a8b");
    normalizer.replace(&p.member_id, "d2c5e8f14a7b4c0e9a3f6b1d8e2c5a70");
    update_or_compare_samples(samples, &normalizer);
}

/// Sorts every array of security group rules in `value` by id, after the normalizer gave the
/// rules fixed ids, so that the samples keep the service's id order from run to run.
fn sort_rules_by_id(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if let (true, Value::Array(rules)) =
                    (key == "rules" || key == "security_group_rules", &mut *item)
                {
                    rules.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
                } else {
                    sort_rules_by_id(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sort_rules_by_id),
        _ => {}
    }
}

/// The samples of the key pair and security group operations.
#[tokio::test]
async fn api_ref_key_pair_and_security_group_samples_match_responses() {
    const PUBLIC_KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIXoii9JIBzis5yxrBrURUu7sX8GRqV7KdwV87lO+G4J laptop";
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let token = &p.member_token;
    let mut samples: Vec<(&str, Value)> = Vec::new();
    let mut normalizer = Normalizer {
        replacements: Vec::new(),
    };
    // Key pair names are unique per AWS account, which other tests share.
    let deploy = crate::common::unique("deploy");
    let laptop = crate::common::unique("laptop");

    samples.push((
        "key-pair-create-request.json",
        json!({"key_pair": {"name": "deploy", "key_type": "ed25519"}}),
    ));
    let mut created = post_json(
        &service,
        "/v1/key-pairs",
        token,
        json!({"key_pair": {"name": deploy, "key_type": "ed25519"}}),
        201,
    )
    .await;
    let private_key = created["key_pair"]["private_key"].as_str().unwrap();
    assert!(
        private_key.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA")
    );
    // The sample shows the fixed start of every OpenSSH private key, not a real key.
    created["key_pair"]["private_key"] = json!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA...\n-----END OPENSSH PRIVATE KEY-----\n"
    );
    let generated = created["key_pair"].clone();
    normalizer.replace(&deploy, "deploy");
    normalizer.replace(generated["id"].as_str().unwrap(), "key-0123456789abcdef0");
    normalizer.replace(
        generated["fingerprint"].as_str().unwrap(),
        "4f:21:9d:0c:6e:b8:3a:57:e2:19:c4:7d:80:5b:ee:31:96:0a:d2:7f:48:c3:1e:b5:6a:92:d7:04:fe:3b:61:8c",
    );
    normalizer.replace(
        generated["public_key"].as_str().unwrap(),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx3CvQ0o4kJ5UGm2bY9WcTn1Lr8sDhFa7Ez6KpXiVqN",
    );
    samples.push(("key-pair-create-response.json", created));

    let import = json!({"key_pair": {"name": "laptop", "public_key": PUBLIC_KEY}});
    samples.push(("key-pair-import-request.json", import));
    let imported = post_json(
        &service,
        "/v1/key-pairs",
        token,
        json!({"key_pair": {"name": laptop, "public_key": PUBLIC_KEY}}),
        201,
    )
    .await;
    normalizer.replace(&laptop, "laptop");
    normalizer.replace(
        imported["key_pair"]["id"].as_str().unwrap(),
        "key-0a1b2c3d4e5f60718",
    );
    samples.push(("key-pair-import-response.json", imported));
    samples.push((
        "key-pairs-list-response.json",
        get_json(&service, "/v1/key-pairs", token).await,
    ));
    samples.push((
        "key-pair-show-response.json",
        get_json(&service, &format!("/v1/key-pairs/{laptop}"), token).await,
    ));
    for name in [&deploy, &laptop] {
        let response = service
            .delete(&format!("/v1/key-pairs/{name}"), token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }

    let web = crate::common::unique("web");
    samples.push((
        "security-group-create-request.json",
        json!({"security_group": {"name": "web", "description": "Web servers",
                                  "tags": {"team": "storefront"}}}),
    ));
    let group = post_json(
        &service,
        "/v1/security-groups",
        token,
        json!({"security_group": {"name": web, "description": "Web servers",
                                  "tags": {"team": "storefront"}}}),
        201,
    )
    .await;
    let group_id = group["security_group"]["id"].as_str().unwrap().to_owned();
    let egress_id = group["security_group"]["rules"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    normalizer.replace(&web, "web");
    normalizer.replace(&group_id, "sg-0123456789abcdef0");
    normalizer.replace(&egress_id, "sgr-0a1b2c3d4e5f60718");
    samples.push(("security-group-create-response.json", group));

    let rule = json!({"security_group_rule": {
        "direction": "ingress",
        "protocol": "tcp",
        "port_range_min": 22,
        "port_range_max": 22,
        "remote_ip_prefix": "203.0.113.0/24",
        "description": "SSH from the office"
    }});
    samples.push(("security-group-rule-create-request.json", rule.clone()));
    let rules_path = format!("/v1/security-groups/{group_id}/rules");
    let added = post_json(&service, &rules_path, token, rule.clone(), 201).await;
    let rule_id = added["security_group_rule"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    normalizer.replace(&rule_id, "sgr-0123456789abcdef0");
    samples.push(("security-group-rule-create-response.json", added));
    samples.push((
        "security-group-rule-exists-response.json",
        post_json(&service, &rules_path, token, rule, 409).await,
    ));
    samples.push((
        "security-group-rules-list-response.json",
        get_json(&service, &rules_path, token).await,
    ));
    samples.push((
        "security-group-rule-show-response.json",
        get_json(&service, &format!("{rules_path}/{rule_id}"), token).await,
    ));
    samples.push((
        "security-group-show-response.json",
        get_json(&service, &format!("/v1/security-groups/{group_id}"), token).await,
    ));
    samples.push((
        "security-groups-list-response.json",
        get_json(&service, "/v1/security-groups", token).await,
    ));

    normalizer.replace(&service.url, "http://controller:9797");
    normalizer.replace(&p.id, "8f1c0b2e5d6a4f0e9c3b7a1d2e4f6a8b");
    normalizer.replace(&p.member_id, "d2c5e8f14a7b4c0e9a3f6b1d8e2c5a70");
    let samples = samples
        .into_iter()
        .map(|(name, value)| {
            let mut value = normalizer.apply(&value);
            sort_rules_by_id(&mut value);
            (name, value)
        })
        .collect();
    update_or_compare_samples(samples, &normalizer);
}
