//! The HTTP model every avisos component shares, independent of Spin.
//!
//! Components in `functions/` convert Spin's request into an [`HttpRequest`], call a handler written
//! here or in a domain crate, and convert the [`HttpResponse`] back (see `avisos-spin`). Keeping the
//! model plain data is what lets every handler be tested natively without a runtime.

pub mod endpoint;
pub mod error;
pub mod files;
pub mod health;
pub mod refusal;
pub mod request;
pub mod response;

pub use endpoint::Endpoint;
pub use error::ApiError;
pub use refusal::RequestError;
pub use request::{HttpRequest, Method};
pub use response::HttpResponse;
