//! `/v1/images`: AMIs the project's AWS account owns (or, with `owner`, another owner's), and
//! for administrators, with `all_projects` or `project_id`, the images other projects created.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::extract::{ApiQuery, NoQuery};
use super::listing::{ListEndpoint, ListRequest, list_params};
use super::openapi::*;
use super::project::Project;
use super::{SharedState, validate};
use crate::cloud::{CloudError, Image, ImageFilter, Scope};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/images", get(list))
        .route("/images/{image_id}", get(show))
}

const LIST: ListEndpoint = ListEndpoint {
    resource: "image",
    collection: "images",
    path: "/v1/images",
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    /// `self` (the default), `amazon`, `aws-marketplace`, or a 12-digit account id.
    owner: Option<String>,
    name: Option<String>,
    state: Option<String>,
    architecture: Option<String>,
    all_projects: Option<String>,
    project_id: Option<String>,
}

fn check_owner(owner: &str) -> Result<(), ApiError> {
    let is_account = owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit());
    if is_account || matches!(owner, "self" | "amazon" | "aws-marketplace") {
        return Ok(());
    }
    Err(ApiError::bad_request(
        "invalid_parameter",
        format!(
            "Invalid owner {owner:?}: use self, amazon, aws-marketplace or a 12-digit AWS account id."
        ),
    ))
}

#[utoipa::path(get, path = "/v1/images", tag = "images",
    params(("limit" = Option<usize>, Query), ("marker" = Option<String>, Query), ("owner" = Option<String>, Query),
           ("name" = Option<String>, Query), ("state" = Option<String>, Query), ("architecture" = Option<String>, Query),
           ("all_projects" = Option<bool>, Query), ("project_id" = Option<String>, Query)),
    responses((status = 200, description = "AMIs of the owner", body = ImageList), (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn list(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    project.enforce("aws-hybrid:image:list")?;
    if let Some(owner) = &query.owner {
        check_owner(owner)?;
    }
    let filter = ImageFilter {
        owner: query.owner.clone(),
        name: query.name.clone(),
        state: query.state.clone(),
        architecture: query.architecture.clone(),
    };
    let params = list_params!(query, [owner, name, state, architecture]);
    let request = ListRequest::parse(&LIST, params, state.config.api.max_limit)?;
    let own_project = request.selection.is_own_project();
    let images = request
        .list(
            &project,
            |i: &Image| i.id.as_str(),
            |scope| images_of(&state, scope, &filter, own_project),
        )
        .await?;
    let base = state.base_url(&headers);
    let page = request.page(images, |i| i.id.as_str(), &base);
    Ok(axum::Json(page.into_body(LIST.collection)))
}

/// Lists the images visible to `scope`'s project. For another project's listing it keeps only
/// the images that project created through the service: the rest (public AMIs and those made
/// in the account outside the service) belong to no project and show in every project's own
/// listing.
async fn images_of(
    state: &SharedState,
    scope: Scope<'_>,
    filter: &ImageFilter,
    own_project: bool,
) -> Result<Vec<Image>, CloudError> {
    let mut images = state.driver.list_images(scope, filter).await?;
    if !own_project {
        images.retain(|image| image.project_id.as_deref() == Some(scope.project_id));
    }
    Ok(images)
}

#[utoipa::path(get, path = "/v1/images/{image_id}", tag = "images",
    params(("image_id" = String, Path)),
    responses((status = 200, description = "One AMI", body = ImageShow),
        (status = 404, description = "No such image", body = ErrorBody), (status = 400, description = "Invalid query or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, or project not mapped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn show(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    project.enforce("aws-hybrid:image:get")?;
    validate::image_id("image id", &id).map_err(|_| {
        ApiError::not_found(
            "image.not_found",
            format!("The image {id} was not found: image ids look like ami-0123456789abcdef0."),
        )
    })?;
    let image = state.driver.get_image(project.scope(), &id).await?;
    Ok(axum::Json(json!({ "image": image })))
}
