//! Cloud failures, in terms the API can map to precise responses.

#[derive(Debug, Clone, thiserror::Error)]
pub enum CloudError {
    #[error("{resource} {id} was not found")]
    NotFound { resource: &'static str, id: String },
    #[error("cannot {action} instance {id} while it is {state}")]
    InvalidState {
        id: String,
        state: String,
        action: &'static str,
    },
    #[error("invalid value for {field}: {message}")]
    InvalidParameter { field: String, message: String },
    #[error("the cloud account is not authorized to perform {action}: {message}")]
    Forbidden { action: String, message: String },
    #[error("{action} exceeds a limit of the cloud account: {message}")]
    QuotaExceeded { action: String, message: String },
    #[error("{action} was throttled by the cloud after all retries")]
    Throttled { action: String },
    #[error("{action} failed: {message}")]
    Unavailable { action: String, message: String },
    #[error("{0}")]
    Internal(String),
}
