//! EC2's eventual consistency for resources other than instances: right after a create, a
//! read of the new resource may answer NotFound for a while. The service retries such reads a
//! bounded number of times for resources it created in the last minutes, and answers 404 at
//! once for any other ID.

use serde_json::json;

use crate::common::{FaultProxy, error_item, project, proxied_calls, service_behind};
use crate::volumes::create_volume;

#[tokio::test]
async fn new_volume_read_through_the_not_found_window() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &[&p]).await;
    let volume = create_volume(&service, &p.member_token, json!({"size": 1})).await;
    let id = volume["id"].as_str().unwrap();
    proxy
        .rule(
            json!({"action": "DescribeVolumes", "count": 2, "status": 400,
                     "code": "InvalidVolume.NotFound",
                     "message": format!("The volume '{id}' does not exist.")}),
        )
        .await;

    let response = service
        .get(&format!("/v1/volumes/{id}"), &p.member_token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(proxied_calls(&proxy, "DescribeVolumes").await.len(), 3);
}

#[tokio::test]
async fn unknown_volume_is_404_without_retries() {
    let p = project("alpha").await;
    let proxy = FaultProxy::start();
    let service = service_behind(&proxy, &[&p]).await;

    let response = service
        .get("/v1/volumes/vol-0123456789abcdef0", &p.member_token)
        .send()
        .await
        .unwrap();

    error_item(response, 404).await;
    assert_eq!(proxied_calls(&proxy, "DescribeVolumes").await.len(), 1);
}
