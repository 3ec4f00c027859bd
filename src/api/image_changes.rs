//! `/v1/images` changes: create an AMI from one of the project's instances, deregister it, and
//! replace its tags. The reads stay in `images`.
//!
//! Only images the project created through the service can be changed. An image of another
//! project is hidden from every read, so it is not found (404). Any other image the project can
//! read, such as a public AMI or one made in the account outside the service, is 403
//! `image.not_owned`: the project reads it with GET, so a 404 would contradict that read.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post, put};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, NoQuery};
use super::openapi::*;
use super::project::Project;
use super::{SharedState, idempotency, validate};
use crate::cloud::ImageSpec;

/// EC2's limits on AMI names and descriptions.
const NAME_LENGTH: (usize, usize) = (3, 128);
const MAX_DESCRIPTION_LENGTH: usize = 255;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/images", post(create))
        .route("/images/{image_id}", delete(deregister))
        .route("/images/{image_id}/tags", put(replace_tags))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImageCreateBody {
    image: CreateImage,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateImage {
    /// The project's instance to image; it must be running or stopped.
    instance_id: String,
    /// 3 to 128 characters: letters, digits, spaces and ( ) [ ] . / - ' @ _.
    name: String,
    description: Option<String>,
    /// Image a running instance without rebooting it first; its file systems may then be
    /// inconsistent in the image. False unless given.
    no_reboot: Option<bool>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageTags {
    /// The image's complete set of user tags.
    pub tags: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/v1/images", tag = "images", request_body = ImageCreateBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key returns the first image")),
    responses((status = 202, description = "Image creation started; the image is pending until EC2 finishes it", body = ImageShow),
        (status = 400, description = "Invalid body, an instance not in this project, or an Idempotency-Key reused with other parameters", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, project not mapped, or AWS denied the call", body = ErrorBody),
        (status = 409, description = "The instance is neither running nor stopped", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn create(
    State(state): State<SharedState>,
    project: Project,
    headers: HeaderMap,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<ImageCreateBody>,
) -> Result<Response, ApiError> {
    project.enforce("aws-hybrid:image:create")?;
    let token = idempotency::client_token(
        &headers,
        &project.context.project_id,
        "image:create",
        &project.context.request_id,
    )?;
    let spec = image_spec(body.image, token)?;
    let image = state.driver.create_image(project.scope(), &spec).await?;
    let location = format!("{}/v1/images/{}", state.base_url(&headers), image.id);
    let mut response =
        (StatusCode::ACCEPTED, axum::Json(json!({ "image": image }))).into_response();
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Check every field of a create request and name the first bad one with its fix.
fn image_spec(request: CreateImage, client_token: String) -> Result<ImageSpec, ApiError> {
    validate::aws_id("instance_id", "i", &request.instance_id)?;
    check_name(&request.name)?;
    let description = request.description.filter(|d| !d.is_empty());
    if let Some(description) = &description {
        validate::length("description", description, 1, MAX_DESCRIPTION_LENGTH)?;
    }
    validate::tags(&request.tags)?;
    Ok(ImageSpec {
        instance_id: request.instance_id,
        name: request.name,
        description,
        no_reboot: request.no_reboot.unwrap_or(false),
        tags: request.tags,
        client_token,
    })
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let (min, max) = NAME_LENGTH;
    validate::length("name", name, min, max)?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || " ()[]./-'@_".contains(c);
    if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!(
                "Invalid name {name:?}: {bad:?} is not allowed; AMI names take letters, digits, spaces and ( ) [ ] . / - ' @ _."
            ),
        ));
    }
    Ok(())
}

/// Check an image id in a path; one that cannot exist is not found, like any unknown id.
fn path_image_id(id: &str) -> Result<(), ApiError> {
    validate::image_id("image id", id).map_err(|_| {
        ApiError::not_found(
            "image.not_found",
            format!("The image {id} was not found: image ids look like ami-0123456789abcdef0."),
        )
    })
}

#[utoipa::path(delete, path = "/v1/images/{image_id}", tag = "images",
    params(("image_id" = String, Path)),
    responses((status = 204, description = "Image deregistered"),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, project not mapped, AWS denied the call, or the image was not created by this project", body = ErrorBody),
        (status = 404, description = "No such image, or an image of another project", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn deregister(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<StatusCode, ApiError> {
    project.enforce("aws-hybrid:image:delete")?;
    path_image_id(&id)?;
    state.driver.deregister_image(project.scope(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/v1/images/{image_id}/tags", tag = "images", request_body = ImageTags,
    params(("image_id" = String, Path)),
    responses((status = 200, description = "The image's user tags now", body = ImageTags),
        (status = 400, description = "Invalid body, or a reserved tag key", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, project not mapped, AWS denied the call, or the image was not created by this project", body = ErrorBody),
        (status = 404, description = "No such image, or an image of another project", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn replace_tags(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<ImageTags>,
) -> Result<axum::Json<ImageTags>, ApiError> {
    project.enforce("aws-hybrid:image:update")?;
    path_image_id(&id)?;
    validate::tags(&body.tags)?;
    let image = state
        .driver
        .replace_image_tags(project.scope(), &id, &body.tags)
        .await?;
    Ok(axum::Json(ImageTags { tags: image.tags }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str) -> CreateImage {
        CreateImage {
            instance_id: "i-0123456789abcdef0".into(),
            name: name.into(),
            description: None,
            no_reboot: None,
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn names_take_ec2_characters() {
        assert!(image_spec(request("web (2026-11-30) v1.2/base_@'x'"), "t".into()).is_ok());
        for bad in ["ab", "web#1", "naïve", &"n".repeat(129)] {
            let error = image_spec(request(bad), "t".into()).unwrap_err();
            assert!(error.detail.contains("name"), "{bad}: {}", error.detail);
        }
    }

    #[test]
    fn empty_description_means_none() {
        let mut given = request("web");
        given.description = Some(String::new());

        assert_eq!(image_spec(given, "t".into()).unwrap().description, None);
    }

    #[test]
    fn instance_id_must_be_an_instance_id() {
        let mut given = request("web");
        given.instance_id = "ami-12345678".into();

        assert!(
            image_spec(given, "t".into())
                .unwrap_err()
                .detail
                .contains("instance_id")
        );
    }

    #[test]
    fn service_tags_are_rejected() {
        let mut given = request("web");
        given
            .tags
            .insert("aws-hybrid:project-id".into(), "p".into());

        assert_eq!(
            image_spec(given, "t".into()).unwrap_err().status.as_u16(),
            400
        );
    }
}
