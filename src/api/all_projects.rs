//! Administrators' listings of other projects' resources, chosen with the query parameters
//! `all_projects=true` (every mapped project) or `project_id=<id>` (one project). The rule
//! `aws-hybrid:<resource>:list:all_projects` decides who may use them.

use std::future::Future;

use super::error::ApiError;
use super::project::Project;
use crate::cloud::{CloudError, Scope};

/// The projects a list request covers, from its `all_projects` and `project_id` parameters.
#[derive(Debug, Clone, Copy)]
pub struct ProjectSelection<'a> {
    all_projects: bool,
    project_id: Option<&'a str>,
}

impl<'a> ProjectSelection<'a> {
    /// Parses the two query parameters as sent. `project_id` wins when both are present.
    pub fn parse(
        all_projects: Option<&str>,
        project_id: Option<&'a str>,
    ) -> Result<Self, ApiError> {
        Ok(ProjectSelection {
            all_projects: parse_bool("all_projects", all_projects)?,
            project_id,
        })
    }

    /// Returns whether the request lists only the token's own project, as without either
    /// parameter.
    pub fn is_own_project(&self) -> bool {
        !self.all_projects && self.project_id.is_none()
    }
}

/// Lists a resource in the selected projects by calling `list` once per project scope.
///
/// The caller's own project needs no further rule. Any other selection needs
/// `aws-hybrid:<resource>:list:all_projects`, checked against the named project, or against
/// the caller's project for `all_projects`. A merged list is sorted by `key_of`, which must be
/// the key that pagination compares markers with.
pub async fn list_selected<'a, T, Fut>(
    project: &'a Project,
    resource: &str,
    selection: ProjectSelection<'a>,
    key_of: impl Fn(&T) -> &str,
    list: impl Fn(Scope<'a>) -> Fut,
) -> Result<Vec<T>, ApiError>
where
    Fut: Future<Output = Result<Vec<T>, CloudError>>,
{
    if selection.is_own_project() {
        return Ok(list(project.scope()).await?);
    }
    let rule = format!("aws-hybrid:{resource}:list:all_projects");
    let projects: Vec<&str> = match selection.project_id {
        Some(id) => {
            project.enforce_for(&rule, id)?;
            vec![id]
        }
        None => {
            project.enforce(&rule)?;
            project.mapped_projects().collect()
        }
    };
    let mut items = Vec::new();
    for id in projects {
        items.extend(list(project.scope_of(id)?).await?);
    }
    items.sort_by(|a, b| key_of(a).cmp(key_of(b)));
    Ok(items)
}

/// Parses a boolean query parameter the way OpenStack APIs accept them.
fn parse_bool(name: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "no" | "off") => Ok(false),
        Some("true" | "1" | "yes" | "on" | "") => Ok(true),
        Some(other) => Err(ApiError::bad_request(
            "invalid_parameter",
            format!("Invalid {name} {other:?}: use true or false."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_parameters_select_own_project() {
        let selection = ProjectSelection::parse(None, None).unwrap();

        assert!(selection.is_own_project());
    }

    #[test]
    fn false_all_projects_selects_own_project() {
        for value in ["false", "0", "no", "off", "FALSE"] {
            let selection = ProjectSelection::parse(Some(value), None).unwrap();

            assert!(selection.is_own_project(), "{value}");
        }
    }

    #[test]
    fn true_all_projects_selects_others() {
        for value in ["true", "1", "yes", "on", "", "True"] {
            let selection = ProjectSelection::parse(Some(value), None).unwrap();

            assert!(!selection.is_own_project(), "{value:?}");
        }
    }

    #[test]
    fn project_id_selects_others() {
        let selection = ProjectSelection::parse(None, Some("p")).unwrap();

        assert!(!selection.is_own_project());
    }

    #[test]
    fn invalid_all_projects_is_rejected() {
        let error = ProjectSelection::parse(Some("maybe"), None).unwrap_err();

        assert_eq!(error.status.as_u16(), 400);
        assert!(error.detail.contains("all_projects"), "{}", error.detail);
        assert!(error.detail.contains("\"maybe\""), "{}", error.detail);
    }
}
