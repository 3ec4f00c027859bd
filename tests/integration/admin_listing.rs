//! Instance listing across projects with `all_projects` and `project_id`: open to
//! administrators of a mapped project by the rule `aws-hybrid:instance:list:all_projects`,
//! rejected for members.

use serde_json::Value;

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
