//! Key pairs: generation, import and its checks, isolation between projects, idempotent
//! creates and AWS errors.

use serde_json::{Value, json};

use crate::common::{FaultProxy, Service, ServiceOptions, ec2, error_item, project};

/// Public keys made with ssh-keygen for these tests. Their private keys were discarded.
const RSA_2048: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCQQ3ir0rs/uDmn9C2IMekKwoHUKRf3U3cI/v92bu7AMfM6UzXSEeKVaiT4YjQP+k83oDzQEaYbjXAvrshj8+x2U4MIKpuzRBFjiiEQUrZzwCdnRjVuWunkOAiA9lpqpRPMaHG/WBf3T5n7JZP4u8Rsh0WSWRyD1p1cssCoHMeMMrtrvYlMXMhv7Nt/IvawMcHcTehpl9Bt3Ukp5O5bIJXnbJFmV10DhwD0uea7ygS805ePP8TqIZB0/4SIhmahcy84TDutBQk+FP/BWFvuiKOilem8l8IFJwZQVMRERxP0JlgbJO7Drc1BiGlVKVCCPNgskCJfS6rdRVVUxAShrTeb test-rsa-2048";
const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIXoii9JIBzis5yxrBrURUu7sX8GRqV7KdwV87lO+G4J test-ed25519";
const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDaWYxyhcNZle6jlyS3eJ4Qe7K4oJc37CthCBJ39SIYF43ZsqSZy572bSoqnO8vAHCDISb7QKPjsdpZ+gpwHwua3IdSEW5cKY66cHB2kLp55gl6MW8xdBc1i3hiO9oNY38OizScHLS42sGKW1YH+Gakqq8kXaJRJ4zmgHAnCTWqPw== test-rsa-1024";
const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBD5LGGLZkXpdlNzWHEk23/VeJ3I7tdxnbW+jtmAR2OzYYitboXbzj8Co9j3oAvesHgw2xna1tNFbu9M5yPvEWRc= test-ecdsa";

/// Return a key pair name that no other test uses, because names are unique per AWS account
/// and region.
fn key_name(prefix: &str) -> String {
    crate::common::unique(prefix)
}

async fn create(service: &Service, token: &str, body: Value) -> reqwest::Response {
    service
        .post("/v1/key-pairs", token, json!({ "key_pair": body }))
        .send()
        .await
        .unwrap()
}

async fn create_ok(service: &Service, token: &str, body: Value) -> Value {
    let response = create(service, token, body).await;
    assert_eq!(
        response.status(),
        201,
        "create failed: {}",
        response.text().await.unwrap()
    );
    response.json::<Value>().await.unwrap()["key_pair"].clone()
}

async fn listed_names(service: &Service, token: &str, query: &str) -> Vec<String> {
    let response = service
        .get(&format!("/v1/key-pairs{query}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["key_pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn key_pair_lifecycle() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let rsa_name = key_name("kp-rsa");
    let ed_name = key_name("kp-ed");

    let response = create(&service, &p.member_token, json!({"name": rsa_name})).await;
    assert_eq!(response.status(), 201);
    let request_id = response.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let rsa: Value = response.json::<Value>().await.unwrap()["key_pair"].clone();
    assert_eq!(location, format!("{}/v1/key-pairs/{rsa_name}", service.url));
    assert_eq!(rsa["name"], rsa_name.as_str());
    assert_eq!(rsa["key_type"], "rsa");
    assert_eq!(rsa["project_id"], p.id.as_str());
    assert!(rsa["id"].as_str().unwrap().starts_with("key-"));
    assert!(rsa["fingerprint"].as_str().unwrap().contains(':'));
    let rsa_private = rsa["private_key"].as_str().unwrap().to_owned();
    assert!(rsa_private.starts_with("-----BEGIN"), "not a PEM key");
    assert!(rsa_private.contains("PRIVATE KEY"));

    let ed = create_ok(
        &service,
        &p.member_token,
        json!({"name": ed_name, "key_type": "ed25519", "tags": {"team": "blue"}}),
    )
    .await;
    assert_eq!(ed["key_type"], "ed25519");
    assert_eq!(ed["tags"]["team"], "blue");
    let ed_private = ed["private_key"].as_str().unwrap().to_owned();
    assert!(ed_private.contains("PRIVATE KEY"));

    // The AWS resource carries the project, user and request ids.
    let described = ec2("alpha")
        .describe_key_pairs()
        .key_names(&rsa_name)
        .send()
        .await
        .unwrap();
    let tags = described.key_pairs()[0].tags();
    let tag = |key: &str| {
        tags.iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(str::to_owned)
    };
    assert_eq!(tag("aws-hybrid:project-id").as_deref(), Some(p.id.as_str()));
    assert_eq!(
        tag("aws-hybrid:user-id").as_deref(),
        Some(p.member_id.as_str())
    );
    assert_eq!(
        tag("aws-hybrid:request-id").as_deref(),
        Some(request_id.as_str())
    );

    // Lists and shows never carry the private key, and the reader may read them.
    let mut expected = vec![rsa_name.clone(), ed_name.clone()];
    expected.sort();
    assert_eq!(listed_names(&service, &p.reader_token, "").await, expected);
    let listed: Value = service
        .get("/v1/key-pairs", &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for item in listed["key_pairs"].as_array().unwrap() {
        assert!(item.get("private_key").is_none());
        assert!(item["fingerprint"].is_string());
    }
    assert_eq!(
        listed_names(&service, &p.reader_token, "?key_type=ed25519").await,
        vec![ed_name.clone()]
    );
    let shown: Value = service
        .get(&format!("/v1/key-pairs/{ed_name}"), &p.reader_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["key_pair"]["id"], ed["id"]);
    assert!(
        shown["key_pair"]["public_key"]
            .as_str()
            .unwrap()
            .starts_with("ssh-ed25519 ")
    );
    assert!(shown["key_pair"].get("private_key").is_none());

    let deleted = service
        .delete(&format!("/v1/key-pairs/{rsa_name}"), &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let item = error_item(
        service
            .get(&format!("/v1/key-pairs/{rsa_name}"), &p.member_token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(item["code"], "aws-hybrid.key_pair.not_found");
    let again = service
        .delete(&format!("/v1/key-pairs/{rsa_name}"), &p.member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    assert_eq!(
        listed_names(&service, &p.member_token, "").await,
        vec![ed_name]
    );

    service.assert_log_free_of(&[&rsa_private, &ed_private]);
}

#[tokio::test]
async fn list_pages_by_name() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let mut names = Vec::new();
    for _ in 0..3 {
        let name = key_name("kp-page");
        create_ok(
            &service,
            &p.member_token,
            json!({"name": name, "key_type": "ed25519"}),
        )
        .await;
        names.push(name);
    }
    names.sort();

    let first: Value = service
        .get("/v1/key-pairs?limit=2", &p.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first_names: Vec<&str> = first["key_pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(first_names, vec![names[0].as_str(), names[1].as_str()]);
    let next = first["key_pairs_links"][0]["href"].as_str().unwrap();
    assert!(next.contains(&format!("marker={}", names[1])), "{next}");

    let rest = listed_names(
        &service,
        &p.member_token,
        &format!("?limit=2&marker={}", names[1]),
    )
    .await;
    assert_eq!(rest, vec![names[2].clone()]);
}

#[tokio::test]
async fn import_keeps_the_public_key() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;

    for (public_key, key_type) in [(RSA_2048, "rsa"), (ED25519, "ed25519")] {
        let name = key_name("kp-import");
        let imported = create_ok(
            &service,
            &p.member_token,
            json!({"name": name, "public_key": format!("{public_key}\n")}),
        )
        .await;
        assert_eq!(imported["key_type"], key_type);
        assert_eq!(imported["public_key"].as_str().unwrap().trim(), public_key);
        assert!(imported.get("private_key").is_none());
        assert!(imported["fingerprint"].as_str().unwrap().contains(':'));

        let described = ec2("alpha")
            .describe_key_pairs()
            .key_names(&name)
            .send()
            .await
            .unwrap();
        assert_eq!(described.key_pairs().len(), 1);
    }
    // An RSA key with an explicit, matching type is accepted too.
    let explicit = create_ok(
        &service,
        &p.member_token,
        json!({"name": key_name("kp-typed"), "key_type": "rsa", "public_key": RSA_2048}),
    )
    .await;
    assert_eq!(explicit["key_type"], "rsa");
}

#[tokio::test]
async fn malformed_public_keys_never_reach_aws() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let mut options = ServiceOptions::new(&[&p]);
    options.aws_endpoint = proxy.url.clone();
    let service = Service::start(options).await;
    let truncated = &ED25519[..40];
    let ed25519_blob = ED25519.split_whitespace().nth(1).unwrap();
    let private_key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----";
    let cases = [
        ("not a key at all".to_owned(), "key type"),
        (String::new(), "empty"),
        ("ssh-rsa".to_owned(), "no key data"),
        ("ssh-ed25519 %%%%".to_owned(), "base64"),
        (truncated.to_owned(), "not a valid ssh-ed25519"),
        (format!("ssh-rsa {ed25519_blob}"), "does not encode"),
        (RSA_1024.to_owned(), "1024 bits"),
        (ECDSA.to_owned(), "not supported"),
        (private_key.to_owned(), "private key"),
        (
            "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----".to_owned(),
            "PEM",
        ),
        (format!("{ED25519}\n{RSA_2048}"), "several lines"),
    ];
    for (public_key, reason) in cases {
        let response = create(
            &service,
            &p.member_token,
            json!({"name": key_name("kp-bad"), "public_key": public_key}),
        )
        .await;
        let item = error_item(response, 400).await;
        let detail = item["detail"].as_str().unwrap();
        assert!(detail.contains("public_key"), "{public_key:?}: {detail}");
        assert!(detail.contains(reason), "{public_key:?}: {detail}");
    }
    assert_eq!(proxy.calls("ImportKeyPair").await, 0);
    service.assert_log_free_of(&["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"]);
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"name": "caf\u{e9}"}), "name"),
        (json!({"name": " padded"}), "name"),
        (json!({"name": "k".repeat(256)}), "name"),
        (json!({"name": "ok", "key_type": "dsa"}), "key_type"),
        (
            json!({"name": "ok", "key_type": "rsa", "public_key": ED25519}),
            "key_type",
        ),
        (
            json!({"name": "ok", "tags": {"aws-hybrid:project-id": "x"}}),
            "aws-hybrid:project-id",
        ),
        (json!({"name": "ok", "colour": "red"}), "colour"),
        (json!({"key_type": "rsa"}), "name"),
    ];
    for (body, field) in cases {
        let response = create(&service, &p.member_token, body.clone()).await;
        let item = error_item(response, 400).await;
        assert!(
            item["detail"].as_str().unwrap().contains(field),
            "{body}: {}",
            item["detail"]
        );
    }
    let item = error_item(
        service
            .get("/v1/key-pairs?key_type=dsa", &p.member_token)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(item["detail"].as_str().unwrap().contains("key_type"));
}

#[tokio::test]
async fn duplicate_name_is_conflict() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let name = key_name("kp-dup");
    create_ok(&service, &p.member_token, json!({"name": name})).await;

    let generated = create(&service, &p.member_token, json!({"name": name})).await;
    let item = error_item(generated, 409).await;
    assert_eq!(item["code"], "aws-hybrid.key_pair.exists");
    assert!(item["detail"].as_str().unwrap().contains(&name));
    let imported = create(
        &service,
        &p.member_token,
        json!({"name": name, "public_key": ED25519}),
    )
    .await;
    assert_eq!(
        error_item(imported, 409).await["code"],
        "aws-hybrid.key_pair.exists"
    );
}

#[tokio::test]
async fn projects_sharing_an_account_are_isolated() {
    let a = project("alpha").await;
    let b = project("alpha").await;
    let other_account = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&a, &b, &other_account])).await;
    let name = key_name("kp-only-a");
    let created = create_ok(&service, &a.member_token, json!({"name": name})).await;

    for intruder in [&b, &other_account] {
        assert!(
            !listed_names(&service, &intruder.member_token, "")
                .await
                .contains(&name)
        );
        let show = service
            .get(&format!("/v1/key-pairs/{name}"), &intruder.member_token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_item(show, 404).await["code"],
            "aws-hybrid.key_pair.not_found"
        );
        let delete = service
            .delete(&format!("/v1/key-pairs/{name}"), &intruder.member_token)
            .send()
            .await
            .unwrap();
        assert_eq!(delete.status(), 404);
    }
    // Names are unique per AWS account: the other project in the same account cannot take it,
    // while the project in another account can.
    let same_account = create(&service, &b.member_token, json!({"name": name})).await;
    assert_eq!(
        error_item(same_account, 409).await["code"],
        "aws-hybrid.key_pair.exists"
    );
    let other = create_ok(&service, &other_account.member_token, json!({"name": name})).await;
    assert_ne!(other["id"], created["id"]);

    let still_there: Value = service
        .get(&format!("/v1/key-pairs/{name}"), &a.member_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still_there["key_pair"]["id"], created["id"]);
}

#[tokio::test]
async fn same_idempotency_key_creates_one_key_pair() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let name = key_name("kp-idem");
    let send = || {
        service
            .post(
                "/v1/key-pairs",
                &p.member_token,
                json!({"key_pair": {"name": name, "key_type": "ed25519"}}),
            )
            .header("Idempotency-Key", "kp-retry-1")
            .send()
    };

    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert!(first["key_pair"]["private_key"].is_string());
    let retry = send().await.unwrap();
    assert_eq!(retry.status(), 201);
    assert!(retry.headers().get("location").is_some());
    let retry: Value = retry.json().await.unwrap();

    assert_eq!(retry["key_pair"]["id"], first["key_pair"]["id"]);
    assert!(retry["key_pair"].get("private_key").is_none());
    assert_eq!(
        listed_names(&service, &p.member_token, "").await,
        vec![name.clone()]
    );
    // Without the header, the same body is a new request, which finds the name taken.
    let plain = create(
        &service,
        &p.member_token,
        json!({"name": name, "key_type": "ed25519"}),
    )
    .await;
    assert_eq!(plain.status(), 409);
}

#[tokio::test]
async fn reader_may_not_create_or_delete() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let name = key_name("kp-reader");

    let denied = create(&service, &p.reader_token, json!({"name": name})).await;
    let item = error_item(denied, 403).await;
    assert_eq!(item["code"], "aws-hybrid.policy_not_authorized");
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:key-pair:create")
    );
    create_ok(&service, &p.member_token, json!({"name": name})).await;
    let delete = service
        .delete(&format!("/v1/key-pairs/{name}"), &p.reader_token)
        .send()
        .await
        .unwrap();
    let item = error_item(delete, 403).await;
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("aws-hybrid:key-pair:delete")
    );
}

#[tokio::test]
async fn iam_denial_is_403_naming_the_action() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let mut options = ServiceOptions::new(&[&p]);
    options.aws_endpoint = proxy.url.clone();
    let service = Service::start(options).await;
    for action in ["CreateKeyPair", "ImportKeyPair"] {
        proxy
            .rule(
                json!({"action": action, "status": 403, "code": "UnauthorizedOperation",
                         "message": "You are not authorized to perform this operation."}),
            )
            .await;
    }

    let generated = create(
        &service,
        &p.member_token,
        json!({"name": key_name("kp-denied")}),
    )
    .await;
    let item = error_item(generated, 403).await;
    assert_eq!(item["code"], "aws-hybrid.aws_unauthorized");
    assert!(item["detail"].as_str().unwrap().contains("CreateKeyPair"));
    let imported = create(
        &service,
        &p.member_token,
        json!({"name": key_name("kp-denied"), "public_key": ED25519}),
    )
    .await;
    let item = error_item(imported, 403).await;
    assert!(item["detail"].as_str().unwrap().contains("ImportKeyPair"));
}

/// EC2 may not list a new key pair at once, but the create still returns the full record.
#[tokio::test]
async fn create_waits_out_eventual_consistency() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let mut options = ServiceOptions::new(&[&p]);
    options.aws_endpoint = proxy.url.clone();
    let service = Service::start(options).await;
    let name = key_name("kp-late");
    proxy
        .rule(
            json!({"action": "DescribeKeyPairs", "count": 2, "status": 400,
                     "code": "InvalidKeyPair.NotFound", "message": "The key pair does not exist"}),
        )
        .await;

    let created = create_ok(&service, &p.member_token, json!({"name": name})).await;

    assert_eq!(created["name"], name.as_str());
    assert!(created["created_at"].is_string());
    assert!(created["private_key"].is_string());
    assert_eq!(proxy.calls("DescribeKeyPairs").await, 3);
}
