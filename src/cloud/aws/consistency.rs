//! EC2's eventual consistency: right after a create, a describe or an action on the new
//! resource may answer NotFound for a short while. Callers that know the resource was just
//! created retry such reads a bounded number of times before giving up.

use std::future::Future;
use std::time::Duration;

use crate::cloud::CloudError;

/// Attempts in all, and the first wait; each wait doubles, so the last attempt starts about
/// 3 seconds after the first.
const ATTEMPTS: u32 = 5;
const FIRST_WAIT: Duration = Duration::from_millis(200);

/// Runs `operation` until it returns something other than [`CloudError::NotFound`], at most
/// five times, and returns the last result.
pub async fn retry_not_found<T, F, Fut>(operation: F) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CloudError>>,
{
    retry_with(ATTEMPTS, FIRST_WAIT, operation).await
}

async fn retry_with<T, F, Fut>(
    attempts: u32,
    first_wait: Duration,
    mut operation: F,
) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CloudError>>,
{
    let mut wait = first_wait;
    let mut attempt = 1;
    loop {
        match operation().await {
            Err(CloudError::NotFound { resource, id }) if attempt < attempts => {
                tracing::info!(resource, id = %id, attempt, "not found yet; retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn not_found() -> CloudError {
        CloudError::NotFound {
            resource: "volume",
            id: "vol-1".into(),
        }
    }

    #[tokio::test]
    async fn succeeds_once_the_resource_appears() {
        let calls = AtomicU32::new(0);

        let result = retry_with(ATTEMPTS, Duration::from_millis(1), || async {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            if call < 2 { Err(not_found()) } else { Ok(call) }
        })
        .await;

        assert_eq!(result.unwrap(), 2);
    }

    #[tokio::test]
    async fn gives_up_after_five_attempts() {
        let calls = AtomicU32::new(0);

        let result: Result<(), _> = retry_with(ATTEMPTS, Duration::from_millis(1), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(not_found())
        })
        .await;

        assert!(matches!(result, Err(CloudError::NotFound { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let calls = AtomicU32::new(0);

        let result: Result<(), _> = retry_with(ATTEMPTS, Duration::from_millis(1), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(CloudError::Internal("boom".into()))
        })
        .await;

        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
