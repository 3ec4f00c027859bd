//! `limit` and `marker` pagination over lists sorted by id, with a `next` link.

use serde::Serialize;

use super::error::ApiError;

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Link {
    pub rel: &'static str,
    pub href: String,
}

/// One page of a list and the link to the next page, if any.
pub struct Page<T> {
    pub items: Vec<T>,
    pub links: Vec<Link>,
}

impl<T: Serialize> Page<T> {
    /// Build the list body `{"<collection>": [...]}`, with `<collection>_links` when a next
    /// page exists.
    pub fn into_body(self, collection: &str) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert(collection.to_owned(), serde_json::json!(self.items));
        if !self.links.is_empty() {
            body.insert(format!("{collection}_links"), serde_json::json!(self.links));
        }
        serde_json::Value::Object(body)
    }
}

/// Parse `limit`: a positive integer, capped at `max_limit`; absent means `max_limit`.
pub fn parse_limit(limit: Option<&str>, max_limit: usize) -> Result<usize, ApiError> {
    let Some(raw) = limit else {
        return Ok(max_limit);
    };
    match raw.parse::<usize>() {
        Ok(0) | Err(_) => Err(ApiError::bad_request(
            "invalid_limit",
            format!(
                "Invalid limit {raw:?}: it must be a positive integer (at most {max_limit} items are returned)."
            ),
        )),
        Ok(value) => Ok(value.min(max_limit)),
    }
}

/// Take the page after `marker` from `items`, which must be sorted by `id_of`. A marker that
/// no longer exists continues at the next id in order, as the API-SIG guideline allows.
/// `next_href` builds the link for a given next marker.
pub fn paginate<T>(
    items: Vec<T>,
    id_of: impl Fn(&T) -> &str,
    limit: usize,
    marker: Option<&str>,
    next_href: impl Fn(&str) -> String,
) -> Page<T> {
    let mut remaining: Vec<T> = match marker {
        Some(marker) => items
            .into_iter()
            .filter(|item| id_of(item) > marker)
            .collect(),
        None => items,
    };
    let more = remaining.len() > limit;
    remaining.truncate(limit);
    let links = match remaining.last() {
        Some(last) if more => vec![Link {
            rel: "next",
            href: next_href(id_of(last)),
        }],
        _ => Vec::new(),
    };
    Page {
        items: remaining,
        links,
    }
}

/// Build `<base><path>?<params>` with `limit` and `marker` set and the filters kept.
pub fn next_link(
    base: &str,
    path: &str,
    filters: &[(&str, Option<&str>)],
    limit: usize,
    marker: &str,
) -> String {
    let mut query: Vec<String> = filters
        .iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name}={}", encode(v))))
        .collect();
    query.push(format!("limit={limit}"));
    query.push(format!("marker={}", encode(marker)));
    format!("{base}{path}?{}", query.join("&"))
}

/// Percent-encode a query value (RFC 3986 unreserved characters stay as they are).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("i-{i:04}")).collect()
    }

    fn page(items: Vec<String>, limit: usize, marker: Option<&str>) -> Page<String> {
        paginate(
            items,
            |s| s.as_str(),
            limit,
            marker,
            |m| format!("next:{m}"),
        )
    }

    #[test]
    fn first_page_links_to_next() {
        let p = page(ids(5), 2, None);
        assert_eq!(p.items, vec!["i-0000", "i-0001"]);
        assert_eq!(p.links[0].href, "next:i-0001");
    }

    #[test]
    fn last_page_has_no_next_link() {
        let p = page(ids(5), 2, Some("i-0003"));
        assert_eq!(p.items, vec!["i-0004"]);
        assert!(p.links.is_empty());
    }

    #[test]
    fn exact_fit_has_no_next_link() {
        let p = page(ids(4), 2, Some("i-0001"));
        assert_eq!(p.items.len(), 2);
        assert!(p.links.is_empty());
    }

    #[test]
    fn vanished_marker_continues_at_next_id() {
        let p = page(vec!["i-0001".into(), "i-0005".into()], 10, Some("i-0003"));
        assert_eq!(p.items, vec!["i-0005"]);
    }

    #[test]
    fn limit_zero_and_garbage_are_rejected() {
        assert_eq!(
            parse_limit(Some("0"), 100).unwrap_err().status.as_u16(),
            400
        );
        assert_eq!(
            parse_limit(Some("ten"), 100).unwrap_err().status.as_u16(),
            400
        );
    }

    #[test]
    fn limit_is_capped() {
        assert_eq!(parse_limit(Some("5000"), 1000).unwrap(), 1000);
        assert_eq!(parse_limit(None, 1000).unwrap(), 1000);
    }

    #[test]
    fn next_link_keeps_filters_and_encodes() {
        let href = next_link(
            "http://h",
            "/v1/instances",
            &[("name", Some("a b")), ("state", None)],
            2,
            "i-1",
        );
        assert_eq!(href, "http://h/v1/instances?name=a%20b&limit=2&marker=i-1");
    }
}
