//! The api-ref stays true: its samples are real responses, and its routes are the router's.
//!
//! Set `AWS_HYBRID_UPDATE_SAMPLES=1` to rewrite `api-ref/source/samples/` from this run.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::common::{Service, ServiceOptions, TEST_AMI, http, project};

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
