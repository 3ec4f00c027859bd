//! The steps that the list endpoints share: parse `limit`, list the projects that
//! `all_projects` or `project_id` select, and build one page of the body with its `next` link.
//! Each handler keeps its own policy check, input checks and filter type.

use std::future::Future;
use std::sync::Arc;

use axum::http::HeaderMap;
use serde::Serialize;
use serde_json::Value;

use super::SharedState;
use super::all_projects::{ProjectSelection, list_selected};
use super::error::ApiError;
use super::pagination::{Page, next_link, paginate, parse_limit};
use super::project::Project;
use crate::cloud::{CloudError, Scope};

/// The names under which one list endpoint is known.
pub struct ListEndpoint {
    /// The resource in the rule `aws-hybrid:<resource>:list:all_projects`, e.g. `volume`.
    pub resource: &'static str,
    /// The key of the items in the response body, e.g. `volumes`.
    pub collection: &'static str,
    /// The URL path that `next` links point to, e.g. `/v1/volumes`.
    pub path: &'static str,
}

/// The query parameters of a list request, as sent.
pub struct ListParams<'q> {
    pub limit: Option<&'q str>,
    pub marker: Option<&'q str>,
    pub all_projects: Option<&'q str>,
    pub project_id: Option<&'q str>,
    /// The resource's own filters as (query parameter, value) pairs, repeated in `next` links.
    pub filters: &'q [(&'q str, Option<&'q str>)],
}

impl<'q> ListParams<'q> {
    /// Builds the parameters of a list of account resources, such as VPCs, which takes no
    /// `all_projects` or `project_id` and so always lists the caller's own project.
    pub fn account_wide(
        limit: Option<&'q str>,
        marker: Option<&'q str>,
        filters: &'q [(&'q str, Option<&'q str>)],
    ) -> Self {
        ListParams {
            limit,
            marker,
            all_projects: None,
            project_id: None,
            filters,
        }
    }
}

/// Builds [`ListParams`] from a query struct with the fields `limit`, `marker`,
/// `all_projects`, `project_id` and the named filter fields, all `Option<String>`. Each filter
/// keeps its field name as its query parameter name.
macro_rules! list_params {
    ($query:ident, [$($filter:ident),* $(,)?]) => {
        $crate::api::listing::ListParams {
            limit: $query.limit.as_deref(),
            marker: $query.marker.as_deref(),
            all_projects: $query.all_projects.as_deref(),
            project_id: $query.project_id.as_deref(),
            filters: &[$((stringify!($filter), $query.$filter.as_deref())),*],
        }
    };
}
pub(crate) use list_params;

/// A list request whose `limit` and project selection are parsed.
pub struct ListRequest<'q> {
    endpoint: &'q ListEndpoint,
    params: ListParams<'q>,
    /// The page size: `limit`, capped at `[api] max_limit`.
    pub limit: usize,
    pub selection: ProjectSelection<'q>,
}

impl<'q> ListRequest<'q> {
    /// Parses `limit`, then `all_projects` and `project_id`. A request with both wrong gets the
    /// `limit` error.
    pub fn parse(
        endpoint: &'q ListEndpoint,
        params: ListParams<'q>,
        max_limit: usize,
    ) -> Result<Self, ApiError> {
        let limit = parse_limit(params.limit, max_limit)?;
        let selection = ProjectSelection::parse(params.all_projects, params.project_id)?;
        Ok(ListRequest {
            endpoint,
            params,
            limit,
            selection,
        })
    }

    /// Lists the resource in the selected projects with [`list_selected`].
    pub async fn list<T, Fut>(
        &self,
        project: &'q Project,
        key_of: impl Fn(&T) -> &str,
        list: impl Fn(Scope<'q>) -> Fut,
    ) -> Result<Vec<T>, ApiError>
    where
        Fut: Future<Output = Result<Vec<T>, CloudError>>,
    {
        list_selected(
            project,
            self.endpoint.resource,
            self.selection,
            key_of,
            list,
        )
        .await
    }

    /// Returns the key under which the list of this request is kept for its later pages, or
    /// None for a listing of other projects, which checks its rule and reads afresh each time.
    fn cursor_key(&self, project: &Project) -> Option<String> {
        if !self.selection.is_own_project() {
            return None;
        }
        let scope = project.scope();
        let key = (
            scope.project_id,
            scope.region,
            self.endpoint.path,
            self.params.filters,
        );
        Some(serde_json::to_string(&key).expect("strings serialize"))
    }

    /// Builds the link to the page after `marker`: the resource's filters, then
    /// `all_projects` and `project_id`, each only when the request sent it.
    pub fn next_href(&self, base: &str, marker: &str) -> String {
        let mut filters = self.params.filters.to_vec();
        filters.push(("all_projects", self.params.all_projects));
        filters.push(("project_id", self.params.project_id));
        next_link(base, self.endpoint.path, &filters, self.limit, marker)
    }

    /// Takes the page after the request's `marker` from `items`, which must be sorted by
    /// `key_of`.
    pub fn page<T>(&self, items: Vec<T>, key_of: impl Fn(&T) -> &str, base: &str) -> Page<T> {
        paginate(items, key_of, self.limit, self.params.marker, |marker| {
            self.next_href(base, marker)
        })
    }
}

/// Runs a whole list request after the handler's own checks: parses `limit` and the project
/// selection, calls `list` for each selected project, and returns the body of the requested
/// page. `key_of` is the sort and marker key, for example the id.
///
/// A page with a `next` link keeps the list it was cut from, and a later page of the caller's
/// own project whose marker is in that list is cut from it without calling `list`
/// (see [`super::list_cursors`]).
pub async fn list_page<'q, T, Fut>(
    state: &SharedState,
    project: &'q Project,
    headers: &HeaderMap,
    endpoint: &'q ListEndpoint,
    params: ListParams<'q>,
    key_of: impl Fn(&T) -> &str,
    list: impl Fn(Scope<'q>) -> Fut,
) -> Result<Value, ApiError>
where
    T: Serialize + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<T>, CloudError>>,
{
    let request = ListRequest::parse(endpoint, params, state.config.api.max_limit)?;
    let cursor = request.cursor_key(project);
    let marker = request.params.marker;
    let saved = match (&cursor, marker) {
        (Some(key), Some(marker)) => state.cursors.resume(key, marker, &key_of),
        _ => None,
    };
    let fresh = saved.is_none();
    let items = match saved {
        Some(items) => items,
        None => Arc::new(request.list(project, &key_of, list).await?),
    };
    // One item past the page shows whether a next page exists.
    let candidates = items
        .iter()
        .filter(|item| marker.is_none_or(|m| key_of(item) > m))
        .take(request.limit + 1)
        .cloned()
        .collect();
    let page = request.page(candidates, &key_of, &state.base_url(headers));
    if let Some(key) = cursor
        && fresh
        && !page.links.is_empty()
    {
        state.cursors.keep(key, &project.context.project_id, items);
    }
    Ok(page.into_body(endpoint.collection))
}

#[cfg(test)]
mod tests {
    use super::*;

    const THINGS: ListEndpoint = ListEndpoint {
        resource: "thing",
        collection: "things",
        path: "/v1/things",
    };

    fn params<'q>(
        all_projects: Option<&'q str>,
        project_id: Option<&'q str>,
        filters: &'q [(&'q str, Option<&'q str>)],
    ) -> ListParams<'q> {
        ListParams {
            limit: Some("2"),
            marker: None,
            all_projects,
            project_id,
            filters,
        }
    }

    #[test]
    fn next_href_keeps_filters_then_selection() {
        let filters = [("name", Some("a b")), ("state", None)];
        let request = ListRequest::parse(&THINGS, params(Some("true"), None, &filters), 10);

        let href = request.unwrap().next_href("http://h", "t-1");

        assert_eq!(
            href,
            "http://h/v1/things?name=a%20b&all_projects=true&limit=2&marker=t-1"
        );
    }

    #[test]
    fn next_href_without_selection_has_only_filters() {
        let request = ListRequest::parse(&THINGS, params(None, None, &[]), 10).unwrap();

        assert_eq!(
            request.next_href("http://h", "t-1"),
            "http://h/v1/things?limit=2&marker=t-1"
        );
    }

    #[test]
    fn limit_error_comes_before_selection_error() {
        let mut both_wrong = params(Some("maybe"), None, &[]);
        both_wrong.limit = Some("0");

        let error = ListRequest::parse(&THINGS, both_wrong, 10).err().unwrap();

        assert_eq!(error.code, "invalid_limit");
    }

    #[test]
    fn page_takes_items_after_marker() {
        let mut after_b = params(None, None, &[]);
        after_b.marker = Some("b");
        let request = ListRequest::parse(&THINGS, after_b, 10).unwrap();

        let page = request.page(vec!["a", "b", "c", "d", "e"], |s| s, "http://h");

        assert_eq!(page.items, vec!["c", "d"]);
        assert_eq!(page.links[0].href, "http://h/v1/things?limit=2&marker=d");
    }
}
