//! Keystone authentication with keystonemiddleware's contract: token validation against the
//! real Keystone, a bounded token cache, and the request context that handlers receive.

pub mod cache;
pub mod context;
pub mod keystone;
pub mod middleware;

pub use context::{Identity, RequestContext};
pub use keystone::{KeystoneClient, ValidateError};
pub use middleware::Authenticator;
