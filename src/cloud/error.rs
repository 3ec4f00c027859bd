//! Cloud failures, in terms the API can map to precise responses.

#[derive(Debug, Clone, thiserror::Error)]
pub enum CloudError {
    #[error("{resource} {id} was not found")]
    NotFound { resource: &'static str, id: String },
    /// The project can see the resource but did not create it, so it may not change it.
    #[error("{resource} {id} was not created by this project")]
    NotOwned { resource: &'static str, id: String },
    #[error("cannot {action} instance {id} while it is {state}")]
    InvalidState {
        id: String,
        state: String,
        action: &'static str,
    },
    #[error("invalid value for {field}: {message}")]
    InvalidParameter { field: String, message: String },
    /// The request conflicts with a resource that exists: `reason` is `exists` for a name or
    /// rule that is taken, `in_use` for a resource that others still use. `message` is a full
    /// sentence for the client.
    #[error("{message}")]
    Conflict {
        resource: &'static str,
        reason: &'static str,
        message: String,
    },
    #[error("the cloud account is not authorized to perform {action}: {message}")]
    Forbidden { action: String, message: String },
    #[error("{action} exceeds a limit of the cloud account: {message}")]
    QuotaExceeded { action: String, message: String },
    #[error("{action} was throttled by the cloud after all retries")]
    Throttled { action: String },
    #[error("{action} failed: {message}")]
    Unavailable { action: String, message: String },
    #[error(
        "AWS refused to let the service assume role {role_arn} for project {project_id}: {message}"
    )]
    RoleRefused {
        role_arn: String,
        project_id: String,
        message: String,
    },
    #[error("{0}")]
    Internal(String),
}
