//! Instance operations beyond launch and the power actions: the `resize` action of
//! `POST /v1/instances/{instance_id}/action`, and `GET /v1/instances/{instance_id}/console-output`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::ApiQuery;
use super::openapi::*;
use super::project::Project;
use super::{SharedState, guardrails, validate};
use crate::cloud::ConsoleOutput;

/// Most lines `length` may ask for; EC2 keeps at most the last 64 KiB of output anyway.
const MAX_LINES: usize = 10_000;

pub fn routes() -> Router<SharedState> {
    Router::new().route(
        "/instances/{instance_id}/console-output",
        get(console_output),
    )
}

/// The body of the resize action, `{"resize": {"instance_type": "t3.large"}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resize {
    instance_type: String,
}

/// Returns whether an action body requests a resize, which `instances::action` passes to [`resize`].
pub(super) fn is_resize(body: &Map<String, Value>) -> bool {
    body.contains_key("resize")
}

/// Change the instance type of a stopped instance: `{"resize": {"instance_type": "..."}}`.
/// The new type must exist in the region and pass the project's guardrails as a start with it
/// would.
pub(super) async fn resize(
    state: &SharedState,
    project: &Project,
    id: &str,
    body: Map<String, Value>,
) -> Result<StatusCode, ApiError> {
    project.enforce("aws-hybrid:instance:action:resize")?;
    validate::instance_id(id)?;
    let request = parse_resize(body)?;
    validate::instance_type(&request.instance_type)?;
    let scope = project.scope();
    let types = state.driver.list_instance_types(scope).await?;
    if !types.iter().any(|t| t.name == request.instance_type) {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!(
                "Invalid instance_type {:?}: the region {} does not offer it; GET /v1/instance-types lists the types it offers.",
                request.instance_type, scope.region
            ),
        ));
    }
    guardrails::check_resize(&*state.driver, scope, &request.instance_type).await?;
    state
        .driver
        .resize_instance(scope, id, &request.instance_type)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

fn parse_resize(mut body: Map<String, Value>) -> Result<Resize, ApiError> {
    let invalid = |detail: String| ApiError::bad_request("invalid_action", detail);
    if body.len() != 1 {
        return Err(invalid(
            "The action body must have exactly one key, e.g. {\"resize\": {\"instance_type\": \"t3.large\"}}.".into(),
        ));
    }
    let arguments = body.remove("resize").unwrap_or_default();
    serde_json::from_value(arguments).map_err(|error| {
        invalid(format!(
            "Invalid resize action: {error}; send {{\"resize\": {{\"instance_type\": \"t3.large\"}}}}."
        ))
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsoleQuery {
    /// Return only this many lines from the end.
    length: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConsoleOutputShow {
    pub console_output: ConsoleOutput,
}

#[utoipa::path(get, path = "/v1/instances/{instance_id}/console-output", tag = "instances",
    params(("instance_id" = String, Path), ("length" = Option<usize>, Query, description = "Return only this many lines from the end")),
    responses((status = 200, description = "The instance's console output as text", body = ConsoleOutputShow),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Role not allowed, token not project-scoped, project not mapped, or AWS denied the call", body = ErrorBody),
        (status = 404, description = "No such instance in this project", body = ErrorBody),
        (status = 503, description = "Keystone or AWS unavailable or throttling", body = ErrorBody)))]
async fn console_output(
    State(state): State<SharedState>,
    project: Project,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ConsoleQuery>,
) -> Result<axum::Json<ConsoleOutputShow>, ApiError> {
    project.enforce("aws-hybrid:instance:console-output")?;
    validate::instance_id(&id)?;
    let length = parse_length(query.length.as_deref())?;
    let mut output = state.driver.console_output(project.scope(), &id).await?;
    if let Some(lines) = length {
        output.output = last_lines(&output.output, lines).to_owned();
    }
    Ok(axum::Json(ConsoleOutputShow {
        console_output: output,
    }))
}

fn parse_length(raw: Option<&str>) -> Result<Option<usize>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    match raw.parse::<usize>() {
        Ok(lines) if (1..=MAX_LINES).contains(&lines) => Ok(Some(lines)),
        _ => Err(ApiError::bad_request(
            "invalid_parameter",
            format!(
                "Invalid length {raw:?}: it must be a whole number of lines from 1 to {MAX_LINES}."
            ),
        )),
    }
}

/// Return the last `count` lines of `text`. A final line break does not start another line.
fn last_lines(text: &str, count: usize) -> &str {
    let body = text.strip_suffix('\n').unwrap_or(text);
    match body
        .char_indices()
        .rev()
        .filter(|(_, c)| *c == '\n')
        .nth(count - 1)
    {
        Some((index, _)) => &text[index + 1..],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn resize_takes_an_instance_type() {
        let resize = parse_resize(body(json!({"resize": {"instance_type": "t3.large"}}))).unwrap();

        assert_eq!(resize.instance_type, "t3.large");
    }

    #[test]
    fn resize_rejects_missing_extra_and_unknown_fields() {
        for bad in [
            json!({"resize": null}),
            json!({"resize": {}}),
            json!({"resize": {"instance_type": "t3.large", "force": true}}),
            json!({"resize": {"instance_type": "t3.large"}, "stop": null}),
        ] {
            assert!(parse_resize(body(bad.clone())).is_err(), "{bad}");
        }
    }

    #[test]
    fn last_lines_keep_the_end() {
        let text = "one\ntwo\nthree\n";

        assert_eq!(last_lines(text, 1), "three\n");
        assert_eq!(last_lines(text, 2), "two\nthree\n");
        assert_eq!(last_lines(text, 3), text);
        assert_eq!(last_lines(text, 10), text);
        assert_eq!(last_lines("no break", 1), "no break");
    }

    #[test]
    fn length_must_be_a_positive_line_count() {
        assert_eq!(parse_length(Some("5")).unwrap(), Some(5));
        for bad in ["0", "-1", "ten", "10001"] {
            assert!(
                parse_length(Some(bad))
                    .unwrap_err()
                    .detail
                    .contains("length")
            );
        }
    }
}
