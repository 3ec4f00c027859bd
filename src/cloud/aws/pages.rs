//! Walking a paginated EC2 Describe call to its last page.

use std::future::Future;

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use super::errors::from_sdk;
use crate::cloud::CloudError;

/// Calls `send` with each page's token, starting with none, and collects what `items` takes
/// from each page. A page may be short or empty while more pages follow, so only a missing or
/// empty token, read by `next_token`, ends the walk. After `max_pages` pages the walk stops
/// with Unavailable, which guards against an endpoint that keeps sending a token.
pub(super) async fn collect_pages<P, E, T, Fut>(
    action: &str,
    max_pages: usize,
    mut send: impl FnMut(Option<String>) -> Fut,
    mut items: impl FnMut(&P) -> Vec<T>,
    next_token: impl Fn(&P) -> Option<&str>,
) -> Result<Vec<T>, CloudError>
where
    Fut: Future<Output = Result<P, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut collected = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..max_pages {
        let page = send(token.take()).await.map_err(|e| from_sdk(action, e))?;
        collected.extend(items(&page));
        token = next_token(&page)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            return Ok(collected);
        }
    }
    Err(CloudError::Unavailable {
        action: action.to_owned(),
        message: format!("more than {max_pages} result pages"),
    })
}
