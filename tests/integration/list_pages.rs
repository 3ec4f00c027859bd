//! The pages after the first of one listing are cut from the list the first page read, and a
//! change the project makes drops that list.

use serde_json::json;

use crate::common::{FaultProxy, Service, create_item, get_ok, project, service_behind, unique};

/// Fetches `path` and returns the listed group IDs and the path of the `next` link, if any.
async fn page(service: &Service, token: &str, path: &str) -> (Vec<String>, Option<String>) {
    let body = get_ok(service, token, path).await;
    let ids = body["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    let next = body["security_groups_links"]
        .as_array()
        .and_then(|links| links.iter().find(|l| l["rel"] == "next"))
        .map(|l| {
            let href = l["href"].as_str().unwrap();
            href.strip_prefix(&service.url).unwrap().to_owned()
        });
    (ids, next)
}

async fn create_group(service: &Service, token: &str) {
    let group = json!({"name": unique("paged")});
    create_item(
        service,
        token,
        "security-groups",
        "security_group",
        group,
        201,
    )
    .await;
}

#[tokio::test]
async fn later_pages_reuse_first_read() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &[&p]).await;
    let token = &p.member_token;
    for _ in 0..5 {
        create_group(&service, token).await;
    }
    let reads = || proxy.calls("DescribeSecurityGroups");

    let before = reads().await;
    let (first, next) = page(&service, token, "/v1/security-groups?limit=2").await;
    let second_path = next.unwrap();
    let (second, next) = page(&service, token, &second_path).await;
    let (third, next) = page(&service, token, &next.unwrap()).await;

    assert_eq!(reads().await, before + 1);
    assert!(next.is_none());
    let mut all: Vec<String> = [first, second.clone(), third].concat();
    assert_eq!(all.len(), 5);
    all.dedup();
    assert_eq!(all.len(), 5);

    // A change drops the kept list, so the same page is read afresh.
    create_group(&service, token).await;
    let before = reads().await;
    let (again, _) = page(&service, token, &second_path).await;
    assert_eq!(reads().await, before + 1);
    assert_eq!(again.len(), 2);

    // A first page always reads afresh.
    let before = reads().await;
    page(&service, token, "/v1/security-groups?limit=2").await;
    assert_eq!(reads().await, before + 1);
}
