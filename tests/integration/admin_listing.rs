//! Listing across projects with `all_projects` and `project_id`: open to administrators of a
//! mapped project by the rules `aws-hybrid:<resource>:list:all_projects`, rejected for
//! members.

use serde_json::{Value, json};

use crate::common::{
    Project, Service, ServiceOptions, create_user, env, error_item, grant, issue_token, project,
    unique,
};

const ALL_PROJECTS_RULE: &str = "aws-hybrid:instance:list:all_projects";

/// Creates a user with the `admin` role on `p` and returns a token scoped to `p`.
async fn admin_token_of(p: &Project) -> String {
    let name = unique("admin");
    let password = uuid::Uuid::new_v4().to_string();
    let user_id = create_user(&name, &password).await;
    grant(&p.id, &user_id, "admin").await;
    issue_token(&env().keystone_url, &name, &password, Some(&p.name)).await
}

/// Lists with `query` and returns (id, project_id) of each instance, in response order.
async fn listed(service: &Service, token: &str, query: &str) -> Vec<(String, String)> {
    let response = service
        .get(&format!("/v1/instances?{query}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET /v1/instances?{query}");
    let body: Value = response.json().await.unwrap();
    body["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let id = i["id"].as_str().unwrap().to_owned();
            let project_id = i["project_id"].as_str().unwrap().to_owned();
            (id, project_id)
        })
        .collect()
}

#[tokio::test]
async fn admin_lists_other_projects() {
    let admin_project = project("alpha").await;
    let first = project("alpha").await;
    let second = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&admin_project, &first, &second])).await;
    let admin = admin_token_of(&admin_project).await;
    let first_id = service.launch(&first.member_token, "first").await;
    let second_id = service.launch(&second.member_token, "second").await;

    let mut expected = vec![
        (first_id.clone(), first.id.clone()),
        (second_id.clone(), second.id.clone()),
    ];
    expected.sort();
    assert_eq!(
        listed(&service, &admin, "all_projects=true").await,
        expected
    );
    assert_eq!(
        listed(&service, &admin, &format!("project_id={}", first.id)).await,
        vec![(first_id, first.id.clone())]
    );
    assert_eq!(
        listed(&service, &admin, &format!("project_id={}", second.id)).await,
        vec![(second_id, second.id.clone())]
    );
    // Without either parameter an administrator lists only the token's own project.
    assert!(listed(&service, &admin, "").await.is_empty());
}

/// Lists `path` with `query` and returns the `key` and project_id of each item of
/// `collection`, in response order.
async fn listed_items(
    service: &Service,
    token: &str,
    path: &str,
    collection: &str,
    key: &str,
    query: &str,
) -> Vec<(String, String)> {
    let response = service
        .get(&format!("{path}?{query}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET {path}?{query}");
    let body: Value = response.json().await.unwrap();
    body[collection]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let key = item[key].as_str().unwrap().to_owned();
            let project_id = item["project_id"].as_str().unwrap().to_owned();
            (key, project_id)
        })
        .collect()
}

/// Follows the `next` links of `path` from `query` and returns the `key` and project_id of
/// every item of `collection`, with the number of pages.
async fn walk_pages(
    service: &Service,
    token: &str,
    path: &str,
    collection: &str,
    key: &str,
    query: &str,
) -> (Vec<(String, String)>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut url = format!("{}{path}?{query}", service.url);
    loop {
        let response = crate::common::http()
            .get(&url)
            .header("X-Auth-Token", token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {url}");
        let body: Value = response.json().await.unwrap();
        pages += 1;
        for item in body[collection].as_array().unwrap() {
            let key = item[key].as_str().unwrap().to_owned();
            let project_id = item["project_id"].as_str().unwrap().to_owned();
            items.push((key, project_id));
        }
        let next = body[format!("{collection}_links")]
            .as_array()
            .and_then(|links| links.iter().find(|link| link["rel"] == "next"))
            .map(|link| link["href"].as_str().unwrap().to_owned());
        match next {
            Some(href) => {
                assert!(href.contains("all_projects=true"), "{href}");
                url = href;
            }
            None => return (items, pages),
        }
        assert!(pages < 20, "more than 20 pages from {path}?{query}");
    }
}

/// Creates a resource with `POST path` and returns the `key` field of the created item.
async fn create(
    service: &Service,
    token: &str,
    path: &str,
    wrapper: &str,
    key: &str,
    body: Value,
) -> String {
    let response = service
        .post(path, token, json!({ wrapper: body }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "POST {path} failed: {}",
        response.text().await.unwrap()
    );
    let created: Value = response.json().await.unwrap();
    created[wrapper][key].as_str().unwrap().to_owned()
}

/// A resource whose list takes `all_projects` and `project_id`, and how to create one.
struct Resource {
    path: &'static str,
    collection: &'static str,
    wrapper: &'static str,
    /// The field that orders the list and identifies an item in it.
    key: &'static str,
    rule: &'static str,
    body: fn() -> Value,
}

const RESOURCES: [Resource; 3] = [
    Resource {
        path: "/v1/volumes",
        collection: "volumes",
        wrapper: "volume",
        key: "id",
        rule: "aws-hybrid:volume:list:all_projects",
        body: || json!({"size": 1}),
    },
    Resource {
        path: "/v1/security-groups",
        collection: "security_groups",
        wrapper: "security_group",
        key: "id",
        rule: "aws-hybrid:security-group:list:all_projects",
        body: || json!({"name": unique("admin-listing")}),
    },
    Resource {
        path: "/v1/key-pairs",
        collection: "key_pairs",
        wrapper: "key_pair",
        key: "name",
        rule: "aws-hybrid:key-pair:list:all_projects",
        body: || json!({"name": unique("admin-listing"), "key_type": "ed25519"}),
    },
];

#[tokio::test]
async fn admin_lists_other_projects_resources() {
    let admin_project = project("alpha").await;
    let first = project("alpha").await;
    let second = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&admin_project, &first, &second])).await;
    let admin = admin_token_of(&admin_project).await;

    for resource in &RESOURCES {
        let (path, collection, key) = (resource.path, resource.collection, resource.key);
        let first_key = create(
            &service,
            &first.member_token,
            path,
            resource.wrapper,
            key,
            (resource.body)(),
        )
        .await;
        let second_key = create(
            &service,
            &second.member_token,
            path,
            resource.wrapper,
            key,
            (resource.body)(),
        )
        .await;

        let mut expected = vec![
            (first_key.clone(), first.id.clone()),
            (second_key.clone(), second.id.clone()),
        ];
        if key == "id" {
            expected.sort();
        } else {
            // Across projects, key pairs are ordered by project and then name.
            expected.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        }
        let all = listed_items(&service, &admin, path, collection, key, "all_projects=true").await;
        assert_eq!(all, expected, "{path}?all_projects=true");
        let only_first = format!("project_id={}", first.id);
        assert_eq!(
            listed_items(&service, &admin, path, collection, key, &only_first).await,
            vec![(first_key, first.id.clone())],
            "{path}?{only_first}"
        );
        let only_second = format!("project_id={}", second.id);
        assert_eq!(
            listed_items(&service, &admin, path, collection, key, &only_second).await,
            vec![(second_key, second.id.clone())],
            "{path}?{only_second}"
        );
        // Without either parameter an administrator lists only the token's own project.
        let own = listed_items(&service, &admin, path, collection, key, "").await;
        assert!(own.is_empty(), "{path}: {own:?}");
    }
}

#[tokio::test]
async fn admin_pages_through_merged_list() {
    let admin_project = project("alpha").await;
    let first = project("alpha").await;
    let second = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&admin_project, &first, &second])).await;
    let admin = admin_token_of(&admin_project).await;
    let mut expected = Vec::new();
    for p in [&first, &second, &first, &second] {
        let id = create(
            &service,
            &p.member_token,
            "/v1/volumes",
            "volume",
            "id",
            json!({"size": 1}),
        )
        .await;
        expected.push((id, p.id.clone()));
    }
    expected.sort();

    let (items, pages) = walk_pages(
        &service,
        &admin,
        "/v1/volumes",
        "volumes",
        "id",
        "all_projects=true&limit=3",
    )
    .await;

    assert_eq!(items, expected);
    assert_eq!(pages, 2);
}

#[tokio::test]
async fn same_key_pair_name_pages_across_projects() {
    let admin_project = project("alpha").await;
    let first = project("alpha").await;
    let second = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&admin_project, &first, &second])).await;
    let admin = admin_token_of(&admin_project).await;
    // The two projects use different AWS accounts, so both may have a key pair of this name.
    let name = unique("shared-name");
    for p in [&first, &second] {
        create(
            &service,
            &p.member_token,
            "/v1/key-pairs",
            "key_pair",
            "name",
            json!({"name": name, "key_type": "ed25519"}),
        )
        .await;
    }
    let mut expected = vec![
        (name.clone(), first.id.clone()),
        (name.clone(), second.id.clone()),
    ];
    expected.sort_by(|a, b| a.1.cmp(&b.1));

    let (items, pages) = walk_pages(
        &service,
        &admin,
        "/v1/key-pairs",
        "key_pairs",
        "name",
        "all_projects=true&limit=1",
    )
    .await;

    assert_eq!(items, expected);
    assert_eq!(pages, 2);
}

#[tokio::test]
async fn member_cannot_list_other_projects_resources() {
    let member_project = project("alpha").await;
    let other = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&member_project, &other])).await;
    let queries = [
        "all_projects=true".to_owned(),
        format!("project_id={}", other.id),
        format!("project_id={}", member_project.id),
    ];
    let mut resources: Vec<(&str, &str)> = RESOURCES.iter().map(|r| (r.path, r.rule)).collect();
    resources.extend([
        ("/v1/snapshots", "aws-hybrid:snapshot:list:all_projects"),
        ("/v1/addresses", "aws-hybrid:address:list:all_projects"),
        ("/v1/images", "aws-hybrid:image:list:all_projects"),
    ]);

    for (path, rule) in resources {
        for query in &queries {
            let response = service
                .get(&format!("{path}?{query}"), &member_project.member_token)
                .send()
                .await
                .unwrap();
            let item = error_item(response, 403).await;
            assert_eq!(
                item["code"], "aws-hybrid.policy_not_authorized",
                "{path}?{query}"
            );
            let detail = item["detail"].as_str().unwrap();
            assert!(detail.contains(rule), "{path}?{query}: {detail}");
        }
    }
}

#[tokio::test]
async fn member_cannot_list_other_projects() {
    let member_project = project("alpha").await;
    let other = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&member_project, &other])).await;
    service.launch(&other.member_token, "other").await;
    let queries = [
        "all_projects=true".to_owned(),
        "all_projects=1".to_owned(),
        format!("project_id={}", other.id),
        format!("project_id={}", member_project.id),
    ];

    for query in &queries {
        let response = service
            .get(
                &format!("/v1/instances?{query}"),
                &member_project.member_token,
            )
            .send()
            .await
            .unwrap();
        let item = error_item(response, 403).await;
        assert_eq!(item["code"], "aws-hybrid.policy_not_authorized", "{query}");
        let detail = item["detail"].as_str().unwrap();
        assert!(detail.contains(ALL_PROJECTS_RULE), "{query}: {detail}");
    }
}

#[tokio::test]
async fn invalid_all_projects_is_bad_request() {
    let admin_project = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&admin_project])).await;
    let admin = admin_token_of(&admin_project).await;

    let response = service
        .get("/v1/instances?all_projects=maybe", &admin)
        .send()
        .await
        .unwrap();
    let item = error_item(response, 400).await;
    assert_eq!(item["code"], "aws-hybrid.invalid_parameter");
    let detail = item["detail"].as_str().unwrap();
    assert!(detail.contains("all_projects"), "{detail}");
    assert!(detail.contains("maybe"), "{detail}");
}
